"""spaCy DocBin (``.spacy``), what ``python -m spacy train`` reads.

Each document and annotator becomes one Doc (an annotator who marked a document done with
no spans gives a Doc with none: a true negative), tokenized by spaCy's tokenizer for the
document's language. Every span is in ``doc.spans["sc"]`` (spancat's key), with the span's
uuid as ``span.id_`` and its canonical entity's uuid as ``span.kb_id_``. ``doc.ents`` holds
the subset that does not overlap, chosen by the ``--overlap`` rule (see
:data:`desktop.formats.alignment.OVERLAP_RULES`; default ``longest``: the longer span wins,
then the earlier). A span covers every token it touches, so a span that ends inside a word
takes the whole word. ``doc.user_data`` names the document (its content hash) and the
annotator.

With ``--split``, the output is a folder holding ``train.spacy`` and ``dev.spacy``: the
documents (all of a document's Docs go together, so no text is in both) are shuffled with
``--seed`` and ``round(split × documents)`` of them, at least one, go to dev. A DocBin
cannot carry exact character offsets of spans off token boundaries, relations,
attributes, notes or the documents' metadata.

spaCy is imported inside the functions, so that loading this module costs nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.records import ExportDocument
from desktop.formats.alignment import Tokens, check_overlap_rule, without_overlap
from desktop.formats.base import ExportContext, atomic_output, counted, examples

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc, DocBin

SPANS_KEY = "sc"
TRAIN = "train.spacy"
DEV = "dev.spacy"


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """One DocBin, or with ``options.split`` a folder with train and dev; see the docstring."""
    from spacy.tokens import DocBin

    split = context.options.split
    rule = check_overlap_rule(context.options.overlap)
    if split is not None:
        check_split(split)
        if out.exists() and not out.is_dir():
            raise ValueError(f"{out} is a file; with a split, the output is a folder")
    ranks = context.label_ranks()
    if split is None:
        corpus = DocBin(store_user_data=True)
        for item in counted(documents, context):
            for doc in docs(item, rule, ranks, context):
                corpus.add(doc)
        with atomic_output(out, "wb") as stream:
            stream.write(corpus.to_bytes())
        return
    # Documents go whole to train or dev, and which ones cannot be known before all are in:
    # keep each document's Docs in a small DocBin (compact arrays, not live Docs) meanwhile.
    per_document: dict[str, DocBin] = {}
    for item in counted(documents, context):
        made = docs(item, rule, ranks, context)
        if made:
            bin_ = per_document.setdefault(item.document.content_hash, DocBin(store_user_data=True))
            for doc in made:
                bin_.add(doc)
    dev_hashes = choose_dev(sorted(per_document), split, context.options.seed)
    train, dev = DocBin(store_user_data=True), DocBin(store_user_data=True)
    for digest, bin_ in per_document.items():
        (dev if digest in dev_hashes else train).merge(bin_)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        with (
            atomic_output(out / TRAIN, "wb") as train_stream,
            atomic_output(out / DEV, "wb") as dev_stream,
        ):
            train_stream.write(train.to_bytes())
            dev_stream.write(dev.to_bytes())
    except BaseException:
        if created:
            out.rmdir()  # left empty by the atomic writes: a failed export leaves nothing
        raise


def check_split(split: float) -> float:
    """``split`` if it is a share strictly between 0 and 1, else ValueError."""
    if not 0 < split < 1:
        raise ValueError(
            f"--split is the share of documents held out for dev: between 0 and 1, not {split}"
        )
    return split


def choose_dev(hashes: list[str], split: float, seed: int) -> set[str]:
    """The documents held out for dev: ``round(split × n)`` of them (at least one, and at
    least one left for train), drawn after shuffling the sorted hashes with ``seed``."""
    if len(hashes) < 2:
        raise ValueError(
            f"cannot split {len(hashes)} labelled document(s) into train and dev; "
            "export without --split"
        )
    order = list(hashes)
    random.Random(seed).shuffle(order)
    count = min(max(round(split * len(order)), 1), len(order) - 1)
    return set(order[:count])


def docs(
    item: ExportDocument, rule: str, ranks: dict[str, int], context: ExportContext
) -> list[Doc]:
    """The Docs of one document, one per annotator who labelled it."""
    from spacy.tokens import Span

    from desktop.nlp.tokens import tokenize

    labelled = examples(item)
    if not labelled:
        return []
    document = item.document
    first = tokenize(document.text, document.language)
    tokens = Tokens.of(first)
    # Copies are taken before any is labelled, so no annotator's spans leak into another's.
    blanks = [first] + [first.copy() for _ in labelled[1:]]
    made = []
    for doc, (annotator, spans) in zip(blanks, labelled, strict=True):
        candidates: list[tuple[int, int, int, int, str, Any]] = []
        seen: set[tuple[int, int, str]] = set()
        widened = 0
        for span in spans:
            covered = tokens.cover(span.start, span.end)
            if covered is None:
                context.note("spans of whitespace only (no token to tag)")
                continue
            key = (*covered, span.label)
            if key in seen:
                context.note("spans that became duplicates on whole tokens")
                continue
            seen.add(key)
            if not tokens.is_exact(*covered, span.start, span.end):
                widened += 1
            candidates.append((*covered, span.start, span.end, span.label, span))
        context.note("spans widened to whole tokens", widened)

        def as_span(candidate, doc=doc) -> Span:
            record = candidate[5]
            return Span(
                doc,
                candidate[0],
                candidate[1],
                label=record.label,
                kb_id=record.entity_uuid or "",
                span_id=record.uuid,
            )

        doc.spans[SPANS_KEY] = [as_span(candidate) for candidate in candidates]
        kept = without_overlap(candidates, rule, ranks)
        context.note("spans left out of doc.ents where spans overlap", len(candidates) - len(kept))
        doc.ents = [as_span(candidate) for candidate in kept]
        doc.user_data["dossier_document"] = document.content_hash
        doc.user_data["dossier_annotator"] = annotator
        made.append(doc)
    return made
