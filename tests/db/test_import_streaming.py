"""An import written in parts (``Store.importing``): the same project as one whole batch,
one transaction for all the parts, and nothing kept between parts that the database holds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.records import (
    ImportBatch,
    NewAnnotator,
    NewDocument,
    NewEntity,
    NewLabel,
    NewRelation,
    NewSpan,
    NewState,
)
from db.store import SpanError, Store
from db.store.base import ALIAS, ANNOTATOR, DOC, ENTITY, LABEL, RELATION, SPAN, STATE

# Emoji (astral, with a skin tone), CRLF, a combining mark: offsets are code points.
BASE = "👍🏽 The ministry said\r\nthe strike killed Cafe\u0301 owners in Basra."


def contents(store: Store) -> dict[str, list]:
    """Everything an import writes, without ids or times of writing: comparable between
    projects, and between SQLite and PostgreSQL."""
    with store.engine.connect() as connection:

        def rows(statement) -> list:
            return sorted(tuple(row) for row in connection.execute(statement))

        head, tail = SPAN.alias("head"), SPAN.alias("tail")
        return {
            "documents": rows(
                select(
                    DOC.c.content_hash,
                    DOC.c.title,
                    DOC.c.text,
                    DOC.c.text_length,
                    DOC.c.source,
                    DOC.c.language,
                    DOC.c.imported_from,
                )
            ),
            "metadata": sorted(
                (hash_, repr(meta))
                for hash_, meta in connection.execute(select(DOC.c.content_hash, DOC.c.meta))
            ),
            "spans": rows(
                select(
                    SPAN.c.uuid,
                    DOC.c.content_hash,
                    LABEL.c.name,
                    ANNOTATOR.c.name,
                    SPAN.c.start,
                    SPAN.c.end,
                    SPAN.c.text,
                    SPAN.c.status,
                    SPAN.c.origin,
                    SPAN.c.note,
                    ENTITY.c.uuid,
                    SPAN.c.version,
                )
                .join(DOC, DOC.c.id == SPAN.c.document_id)
                .join(LABEL, LABEL.c.id == SPAN.c.label_id)
                .join(ANNOTATOR, ANNOTATOR.c.id == SPAN.c.annotator_id)
                .outerjoin(ENTITY, ENTITY.c.id == SPAN.c.entity_id)
            ),
            "relations": rows(
                select(RELATION.c.uuid, RELATION.c.type, head.c.uuid, tail.c.uuid, ANNOTATOR.c.name)
                .join(head, head.c.id == RELATION.c.head_id)
                .join(tail, tail.c.id == RELATION.c.tail_id)
                .join(ANNOTATOR, ANNOTATOR.c.id == RELATION.c.annotator_id)
            ),
            "states": rows(
                select(DOC.c.content_hash, ANNOTATOR.c.name, STATE.c.status)
                .join(DOC, DOC.c.id == STATE.c.document_id)
                .join(ANNOTATOR, ANNOTATOR.c.id == STATE.c.annotator_id)
            ),
            "labels": rows(
                select(
                    LABEL.c.name,
                    LABEL.c.kind,
                    LABEL.c.colour,
                    LABEL.c.shortcut,
                    LABEL.c.description,
                    LABEL.c.position,
                )
            ),
            "annotators": rows(select(ANNOTATOR.c.name, ANNOTATOR.c.is_gold)),
            "entities": rows(
                select(ENTITY.c.uuid, ENTITY.c.name, ENTITY.c.description, ALIAS.c.alias).outerjoin(
                    ALIAS, ALIAS.c.entity_id == ENTITY.c.id
                )
            ),
        }


def article(
    number: int, annotator: str, *, uuid_prefix: str = "s", entity: str | None = None
) -> NewDocument:
    """Article ``number`` tagged by ``annotator``: a claim holding an actor (linked to
    ``entity``), related."""
    text = f"{BASE} Report {number}."
    claim, actor = (0, len(text)), (text.index("ministry"), text.index("ministry") + 8)
    head = f"{uuid_prefix}-{number}-{annotator}-claim"
    tail = f"{uuid_prefix}-{number}-{annotator}-actor"
    return NewDocument(
        text=text,
        title=f"Report {number}",
        meta={"n": number},
        where=f"a.jsonl:{number}",
        spans=[
            NewSpan("Claim", *claim, annotator, uuid=head, where=f"a.jsonl:{number}"),
            NewSpan(
                "Actor",
                *actor,
                annotator,
                uuid=tail,
                entity_uuid=entity,
                where=f"a.jsonl:{number}",
            ),
        ],
        relations=[NewRelation("source", head, tail, annotator, uuid=f"r-{head}")],
        states=[NewState(annotator, "done")],
    )


def whole_import() -> ImportBatch:
    """Labels, annotators and an entity first, then articles by two analysts; article 0
    comes again at the end (the second analyst's copy), with an identical span of its own
    uuid that a relation points at."""
    documents = [article(number, "alice", entity="e-ministry") for number in range(7)]
    again = article(0, "bob", entity="e-ministry")
    duplicate = NewSpan("Claim", 0, len(again.text), "alice", uuid="alice-again-claim")
    again.spans.append(duplicate)
    again.relations.append(
        NewRelation("about", "alice-again-claim", "s-0-bob-actor", "bob", uuid="r-about")
    )
    documents.append(again)
    return ImportBatch(
        labels=[
            NewLabel("Claim", colour="#111111", shortcut="q", position=0),
            NewLabel("Actor", colour="#222222", shortcut="w", position=1),
            NewLabel("Source"),
        ],
        annotators=[NewAnnotator("alice"), NewAnnotator("gold", is_gold=True)],
        entities=[NewEntity("The ministry", uuid="e-ministry", aliases=["MoD", "Ministry"])],
        documents=documents,
    )


def in_parts(batch: ImportBatch, size: int) -> list[ImportBatch]:
    """``batch`` as a reader would hand it over: labels, annotators and entities with the
    first part, then ``size`` documents a part."""
    parts = []
    for index in range(0, len(batch.documents), size):
        part = ImportBatch(documents=batch.documents[index : index + size], source="a.jsonl")
        if not index:
            part.labels, part.annotators, part.entities = (
                batch.labels,
                batch.annotators,
                batch.entities,
            )
        parts.append(part)
    return parts


@pytest.mark.parametrize("size", [1, 2, 500])
def test_parts_make_the_same_project_as_one_batch(store, memory_store, size):
    expected = memory_store.import_batch(whole_import())
    with store.importing() as writer:
        for part in in_parts(whole_import(), size):
            writer.add(part)
    summary = writer.summary
    assert contents(store) == contents(memory_store)
    assert (summary.documents_added, summary.documents_matched) == (7, 0)
    assert (summary.spans_added, summary.spans_skipped) == (16, 1)
    assert (summary.relations_added, summary.entities_added) == (9, 1)
    expected.document_ids = summary.document_ids  # ids of two projects
    assert summary == expected
    assert len(summary.document_ids) == len(set(summary.document_ids)) == 7


def test_a_new_project_takes_the_scheme_of_the_file(store):
    with store.importing() as writer:
        for part in in_parts(whole_import(), 1):
            writer.add(part)
        writer.add(ImportBatch(labels=[NewLabel("Event", colour="#333333")]))
    labels = [
        (label.name, label.colour, label.shortcut, label.position) for label in store.labels()
    ]
    # The seeded Event went with the rest of the default scheme; named again later, it
    # comes back after the file's labels.
    assert labels == [
        ("Claim", "#111111", "q", 0),
        ("Actor", "#222222", "w", 1),
        ("Source", labels[2][1], None, 2),
        ("Event", "#333333", None, 3),
    ]


def test_a_document_repeated_in_a_later_part_is_matched_once(store):
    with store.importing() as writer:
        writer.add(ImportBatch(documents=[article(1, "alice")]))
        writer.add(ImportBatch(documents=[article(2, "alice")]))
        writer.add(ImportBatch(documents=[article(1, "bob")]))
    assert writer.summary.documents_added == 2
    assert writer.summary.documents_matched == 0
    assert len(store.document_ids()) == 2
    first = store.document_ids()[0]
    assert sorted(span.annotator for span in store.spans(first)) == [
        "alice",
        "alice",
        "bob",
        "bob",
    ]
    # A project's document named by two parts counts once as already there.
    with store.importing() as writer:
        writer.add(ImportBatch(documents=[article(1, "carol")]))
        writer.add(ImportBatch(documents=[article(1, "dave")]))
    assert (writer.summary.documents_added, writer.summary.documents_matched) == (0, 1)
    assert writer.summary.document_ids == [first]


def test_a_relation_to_a_span_skipped_in_an_earlier_part_lands_on_the_kept_span(store):
    kept = article(1, "alice")
    again = article(1, "alice", uuid_prefix="copy")  # the same spans, uuids of their own
    again.relations = []
    later = NewDocument(
        text=kept.text,
        spans=[NewSpan("Event", 4, 12, "alice", uuid="event")],
        relations=[NewRelation("cause", "copy-1-alice-claim", "event", "alice")],
    )
    with store.importing() as writer:
        writer.add(ImportBatch(documents=[kept]))
        writer.add(ImportBatch(documents=[again]))
        writer.add(ImportBatch(documents=[later]))
    assert writer.summary.spans_skipped == 2
    relations = {
        (r.type, r.head_uuid, r.tail_uuid) for r in store.relations(store.document_ids()[0])
    }
    assert ("cause", "s-1-alice-claim", "event") in relations


def test_a_bad_span_in_the_last_part_leaves_every_table_as_it_was(store):
    store.import_batch(ImportBatch(documents=[article(99, "zoe")]))
    before = contents(store)
    parts = in_parts(whole_import(), 2)
    parts[-1].documents[-1].spans[0].end = 10_000
    with pytest.raises(SpanError, match=r"^a\.jsonl:0: span 0-10000 does not fit"):
        with store.importing() as writer:
            for part in parts:
                writer.add(part)
    assert contents(store) == before


def test_an_error_between_parts_rolls_back_the_parts_written(store):
    before = contents(store)

    class Stop(Exception):
        pass

    with pytest.raises(Stop):
        with store.importing() as writer:
            for index, part in enumerate(in_parts(whole_import(), 2)):
                if index == 2:
                    raise Stop  # a reader's error, or the user's cancel
                writer.add(part)
    assert contents(store) == before


def test_a_span_uuid_twice_in_one_file_is_an_error_and_in_two_files_is_one_span(store):
    first, second = article(1, "alice"), article(2, "alice")
    second.spans[0].uuid = first.spans[0].uuid
    second.relations = []
    with pytest.raises(SpanError, match="a.jsonl:2: span uuid 's-1-alice-claim' appears twice"):
        with store.importing() as writer:
            writer.add(ImportBatch(documents=[first], source="a.jsonl"))
            writer.add(ImportBatch(documents=[second], source="a.jsonl"))
    assert store.document_ids() == []
    with store.importing() as writer:
        writer.add(ImportBatch(documents=[first], source="a.jsonl"))
        writer.add(ImportBatch(documents=[second], source="b.jsonl"))
    assert writer.summary.spans_skipped == 1
    assert writer.summary.spans_added == 3


def test_nothing_to_write_opens_no_transaction(store):
    with store.importing() as writer:
        writer.add(ImportBatch())
    assert writer.connection is None
    assert writer.summary.documents_added == 0


def test_parts_keep_no_span_of_earlier_parts_in_memory(store):
    with store.importing() as writer:
        for part in in_parts(whole_import(), 1):
            writer.add(part)
    # Only the one span skipped with a uuid of its own is remembered (for relations).
    assert writer.same_as == {"alice-again-claim": "s-0-alice-claim"}
    assert set(writer.entities) == {"e-ministry"}
