"""The history in plain words (desktop.review.history.describe), read from real entries
of an in-memory project: tagging, relabelling, moving, attributes, deleting, relations,
labels and review decisions."""

from __future__ import annotations

from db.records import ImportBatch, NewDocument
from db.schema import LabelSchema
from desktop.review.history import describe, entry_json

TEXT = "Kata’ib Hezbollah said… 👍🏽 the strike\r\nالعراق denied it."


def words(store, entries, span_texts=None):
    labels = {label.id: label for label in store.labels()}
    annotators = {a.id: a for a in store.annotators()}
    return [describe(e, labels, annotators, span_texts=span_texts) for e in entries]


def test_span_and_relation_changes_in_plain_words(memory_store):
    store = memory_store
    document_id = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[
        0
    ]
    alice = store.ensure_annotator("alice").id
    claim, event = store.label_by_name("Claim").id, store.label_by_name("Event").id
    start = TEXT.index("Hezbollah")
    first_end, moved_end = TEXT.index(" 👍🏽"), TEXT.index(" the strike")
    span = store.add_span(document_id, claim, alice, start, first_end)
    count = len(store.history())
    store.update_span(span.uuid, label_id=event)
    store.update_span(span.uuid, end=moved_end)
    store.update_span(span.uuid, attributes={"date": "2024-01-28"})
    store.update_span(span.uuid, status="rejected", note="")
    actor = store.add_span(document_id, store.label_by_name("Actor").id, alice, 0, 17)
    relation = store.add_relation(span.uuid, actor.uuid, "agent", alice)
    store.delete_relation(relation.uuid)
    store.delete_span(actor.uuid)
    entries = store.history()
    texts = {e.after["id"]: e.after["text"] for e in entries if e.kind == "span" and e.after}
    assert words(store, entries[count - 1 : count], texts) == [
        f"Tagged Claim “Hezbollah said…” ({start}–{first_end})"
    ]
    assert words(store, entries[count:], texts) == [
        "Relabelled Claim → Event",
        f"Moved {start}–{first_end} → {start}–{moved_end}",
        "Set date to 2024-01-28",
        "Rejected",
        "Tagged Actor “Kata’ib Hezbollah” (0–17)",
        "Added relation agent: “Hezbollah said… 👍🏽” → “Kata’ib Hezbollah”",
        "Removed relation agent: “Hezbollah said… 👍🏽” → “Kata’ib Hezbollah”",
        "Deleted Actor “Kata’ib Hezbollah”",
    ]
    assert words(store, [entries[-2]]) == ["Removed relation agent"]
    assert entry_json(entries[-1])["before"]["text"] == "Kata’ib Hezbollah"


def test_label_and_review_changes_in_plain_words(memory_store):
    store = memory_store
    document_id = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[
        0
    ]
    count = len(store.history())
    claim = store.label_by_name("Claim")
    store.update_label(claim.id, name="Assertion")
    store.set_label_schema(store.label_by_name("Event").id, LabelSchema())
    label = store.add_label("Place", shortcut="P")
    store.delete_label(label.id)
    alice = store.ensure_annotator("alice").id
    store.record_decision(
        document_id,
        alice,
        kind="label",
        action="take",
        candidates=[
            {"role": "candidate", "item": "k", "annotator": "alice", "taken": True},
            {"role": "candidate", "item": "k", "annotator": "bob", "taken": False},
        ],
    )
    store.record_decision(document_id, alice, kind="missing", action="reject", candidates=[])
    assert words(store, store.history()[count:]) == [
        "Renamed label Claim → Assertion",
        "Changed the schema of Event",
        "Added label Place",
        "Removed label Place",
        "Review: took alice’s span",
        "Review: rejected (missing)",
    ]
