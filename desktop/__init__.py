"""Dossier: a desktop workbench for analysts who tag claims, actors and events in news."""

__version__ = "0.1.0"
