"""Export reads documents a chunk at a time: whatever the chunk's size, the same documents,
spans, relations, states and reviews leave, with every filter, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from db.records import (
    ExportFilter,
    ImportBatch,
    NewDocument,
    NewRelation,
    NewReviewDecision,
    NewSpan,
    NewState,
)
from db.store.base import DOC, SPAN

TEXTS = (
    "Nothing tagged here.",
    "Biden 👍🏽 said\r\nKataib Hezbollah warned: «لا» — café\u0301.",
    "CENTCOM said the strike in Baghdad killed a commander.\r\n",
    "Iraqi officials 🇮🇶 denied it; the Pentagon confirmed.",
    "An untagged article\rwith a lone CR.",
    "Abu Baqir al-Saadi was killed by a drone on Wednesday.",
    "حزب الله said nothing about the attack.",
)
SPAN_KINDS = (  # (label, annotator, status, attributes)
    ("Claim", "a", "accepted", {"stance": "opposes"}),
    ("Actor", "a", "accepted", {}),
    ("Event", "b", "accepted", {"type": "ASSAULT", "date": "2024-02-07"}),
    ("Actor", "b", "suggested", {}),
    ("Claim", "gold", "accepted", {"stance": "neutral"}),
    ("Actor", "gold", "rejected", {}),
)
FILTERS = {
    "everything": ExportFilter(),
    "annotator a": ExportFilter(annotators=("a",)),
    "annotators a and b": ExportFilter(annotators=("a", "b")),
    "gold": ExportFilter(gold=True),
    "claims and actors": ExportFilter(labels=("claim", "ACTOR")),
    "accepted": ExportFilter(statuses=("accepted",)),
    "suggested by b": ExportFilter(annotators=("b",), statuses=("suggested",)),
    "some documents": ExportFilter(document_ids=(2, 3, 5)),
    "gold events": ExportFilter(gold=True, labels=("Event",)),
}


def uuid(kind: str, number: int) -> str:
    """A uuid of one shape for every kind, so that databases and Python sort them alike."""
    prefix = {"span": "5", "relation": "6", "review": "7"}[kind]
    return f"{prefix}0000000-0000-4000-8000-{number:012d}"


def project(store) -> dict:
    """Seven documents (two with no span) tagged by a, b and gold, with relations between
    and across annotators, progress and a review decision; returns what went in."""
    documents, made = [], []
    number = 0
    for index, text in enumerate(TEXTS):
        spans, relations, states, reviews = [], [], [], []
        if index not in (0, 4):
            words = [(start, start + len(word)) for start, word in _words(text)]
            for kind, (label, annotator, status, attributes) in enumerate(SPAN_KINDS):
                start, end = words[(index + kind) % len(words)]
                if kind == 0:  # a claim runs over several words, holding the actor inside it
                    end = words[min((index + kind) % len(words) + 2, len(words) - 1)][1]
                number += 1
                spans.append(
                    NewSpan(
                        label,
                        start,
                        end,
                        annotator,
                        uuid=uuid("span", number),
                        status=status,
                        origin="manual" if status == "accepted" else "rules",
                        attributes=dict(attributes),
                        note="check" if kind == 2 else "",
                    )
                )
            first = number - len(SPAN_KINDS) + 1
            # a's claim to a's actor; b's event to a's actor; gold's claim to b's actor.
            ends = ((0, 1, "source", "a"), (2, 1, "agent", "b"), (4, 3, "source", "gold"))
            relations = [
                NewRelation(
                    kind,
                    uuid("span", first + head),
                    uuid("span", first + tail),
                    annotator,
                    uuid=uuid("relation", first + head),
                )
                for head, tail, kind, annotator in ends
            ]
            states = [
                NewState("a", "done"),
                NewState("b", "done" if index % 2 else "in_progress"),
                NewState("gold", "in_progress"),
            ]
            if index == 3:
                reviews = [
                    NewReviewDecision(
                        "gold",
                        "span",
                        "accepted",
                        candidates=[{"uuid": uuid("span", first), "annotator": "a"}],
                        outcome_uuid=uuid("span", first + 4),
                        note="agreed after discussion",
                        uuid=uuid("review", index),
                    )
                ]
        meta = {"feed": "wire", "words": len(text.split())} if index % 3 else {}
        documents.append(
            NewDocument(
                text=text,
                title=f"Article {index}",
                meta=meta,
                spans=spans,
                relations=relations,
                states=states,
                reviews=reviews,
            )
        )
        made.append((text, meta, spans, relations, states, reviews))
    summary = store.import_batch(ImportBatch(documents=documents))
    assert summary.document_ids == sorted(summary.document_ids)
    return dict(zip(summary.document_ids, made, strict=True))


def _words(text: str) -> list[tuple[int, str]]:
    found, start = [], None
    for index, char in enumerate(text + " "):
        if char.isspace():
            if start is not None:
                found.append((start, text[start:index]))
            start = None
        elif start is None:
            start = index
    return found


def expected(made: dict, flt: ExportFilter, only_with_spans: bool) -> list[tuple]:
    """What an export with ``flt`` must give, worked out in plain Python from what went in:
    per document, its text and meta, its spans' uuids in order, its relations' uuids, its
    states and its reviews."""
    labels = {label.lower() for label in flt.labels}
    result = []
    for document_id, (text, meta, spans, relations, states, reviews) in made.items():
        if flt.document_ids and document_id not in flt.document_ids:
            continue

        def passes(annotator: str) -> bool:
            if flt.gold:
                return annotator == "gold"
            return not flt.annotators or annotator in flt.annotators

        kept = [
            span
            for span in spans
            if passes(span.annotator)
            and (not labels or span.label.lower() in labels)
            and (not flt.statuses or span.status in flt.statuses)
        ]
        if only_with_spans and not kept:
            continue
        kept.sort(key=lambda s: (s.start, s.end, s.label, s.annotator, s.uuid))
        uuids = {span.uuid for span in kept}
        result.append(
            (
                text,
                meta,
                [(span.uuid, span.text or text[span.start : span.end]) for span in kept],
                [r.uuid for r in relations if r.head_uuid in uuids and r.tail_uuid in uuids],
                sorted((s.annotator, s.status) for s in states if passes(s.annotator)),
                [r.uuid for r in reviews] if flt.gold or not flt.annotators else [],
            )
        )
    return result


def summary(documents) -> list[tuple]:
    return [
        (
            item.document.text,
            item.document.meta,
            [(span.uuid, span.text) for span in item.spans],
            [relation.uuid for relation in item.relations],
            [(state.annotator, state.status) for state in item.states],
            [review.uuid for review in item.reviews],
        )
        for item in documents
    ]


@pytest.mark.parametrize("only_with_spans", [False, True], ids=["all", "only with spans"])
@pytest.mark.parametrize("name", list(FILTERS))
def test_every_chunk_size_exports_the_same_documents(store, name, only_with_spans):
    made = project(store)
    flt = FILTERS[name]
    # The filter's document ids are positions in the project; make them its real ids.
    if flt.document_ids:
        ids = list(made)
        flt = ExportFilter(document_ids=tuple(ids[position] for position in flt.document_ids))
    exports = {
        chunk: list(store.export_documents(flt, only_with_spans=only_with_spans, chunk=chunk))
        for chunk in (1, 2, 200)
    }
    assert summary(exports[200]) == expected(made, flt, only_with_spans)
    assert exports[1] == exports[2] == exports[200]  # every field of every record


def test_exported_records_carry_every_field(store):
    made = project(store)
    document_id = list(made)[3]
    (item,) = store.export_documents(ExportFilter(document_ids=(document_id,)), chunk=1)
    text = made[document_id][0]
    assert item.document.id == document_id
    assert item.document.title == "Article 3"
    claim = next(span for span in item.spans if span.annotator == "a" and span.label == "Claim")
    assert claim.attributes == {"stance": "opposes"}
    assert text[claim.start : claim.end] == claim.text
    assert (claim.status, claim.origin, claim.version) == ("accepted", "manual", 1)
    event = next(span for span in item.spans if span.label == "Event")
    assert (event.note, event.attributes["type"]) == ("check", "ASSAULT")
    rejected = next(span for span in item.spans if span.status == "rejected")
    assert (rejected.attributes, rejected.origin) == ({}, "rules")
    (review,) = item.reviews
    assert review.reviewer == "gold"
    assert review.candidates == [{"uuid": claim.uuid, "annotator": "a"}]
    assert review.note == "agreed after discussion"
    agent = next(relation for relation in item.relations if relation.type == "agent")
    assert (agent.head_uuid, agent.tail_uuid, agent.annotator) == (
        event.uuid,
        next(span.uuid for span in item.spans if span.label == "Actor" and span.annotator == "a"),
        "b",
    )


def test_json_that_orjson_refuses_is_still_read(store):
    """Imports refuse integers beyond 64 bits, but a project written by another program may
    hold one: the export reads it whole rather than failing."""
    made = project(store)
    document_id, span_uuid = list(made)[5], uuid("span", 1)
    with store.engine.begin() as connection:
        connection.execute(update(DOC).where(DOC.c.id == document_id).values(meta={"count": 2**70}))
        connection.execute(
            update(SPAN).where(SPAN.c.uuid == span_uuid).values(attributes={"n": -(2**65)})
        )
    (item,) = store.export_documents(ExportFilter(document_ids=(document_id,)))
    assert item.document.meta == {"count": 2**70}
    (span,) = [
        span for item in store.export_documents() for span in item.spans if span.uuid == span_uuid
    ]
    assert span.attributes == {"n": -(2**65)}


def test_an_empty_project_exports_nothing(store):
    assert list(store.export_documents(chunk=1)) == []


def test_a_chunk_of_no_documents_is_refused(store):
    with pytest.raises(ValueError, match="at least one"):
        list(store.export_documents(chunk=0))
