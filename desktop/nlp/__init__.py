"""spaCy for Dossier: tokens, suggestion rules, trained span models and installed pipelines.

Importing this package (or any module in it) does not import spaCy: spaCy loads on first
use, so the window appears first. ``tokens`` (shared tokenizer, snapping), ``rules`` (actor
propagation, claims, events, dates), ``suggest`` (computing and writing suggestions),
``train`` (span categorizer from accepted spans), ``pipelines`` (installed spaCy pipelines),
``uncertainty`` (ordering documents by a model's doubt).
"""
