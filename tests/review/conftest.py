"""Helpers for the review tests: hand-made documents with several annotators' spans."""

from __future__ import annotations

import pytest

from db.records import ImportBatch, NewDocument, NewSpan

TEXT = "Joe Biden said that the US military struck Kataib Hezbollah in Iraq on Wednesday."


def at(text: str, words: str, occurrence: int = 0) -> tuple[int, int]:
    """The offsets of ``words`` in ``text`` (its ``occurrence``-th appearance)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(words, start + 1)
    return start, start + len(words)


def add_document(store, text: str, spans: dict[str, list[tuple[str, str]]]) -> int:
    """Import one document with, per annotator, spans given as (label, covered words)."""
    document = NewDocument(text=text, title=text[:20])
    for annotator, tags in spans.items():
        for label, words in tags:
            start, end = at(text, words)
            document.spans.append(NewSpan(label=label, start=start, end=end, annotator=annotator))
    summary = store.import_batch(ImportBatch(documents=[document]))
    return summary.document_ids[0]


@pytest.fixture
def add():
    return add_document
