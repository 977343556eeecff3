"""The store on SQLite and PostgreSQL: spans, labels, progress, relations, imports, exports."""

from __future__ import annotations

import pytest

from db.records import (
    ExportFilter,
    ImportBatch,
    NewDocument,
    NewEntity,
    NewRelation,
    NewSpan,
    NewState,
)
from db.store import ConflictError, LabelInUseError, SpanError, StoreError, content_hash

TEXT = "Biden 👍🏽 said\r\nKataib Hezbollah warned: «لا» — café\u0301."


def one_document(store, text=TEXT, spans=()):
    summary = store.import_batch(
        ImportBatch(documents=[NewDocument(text=text, title="t", spans=list(spans))])
    )
    return summary.document_ids[0]


def label_id(store, name):
    return store.label_by_name(name).id


def test_spans_keep_the_exact_covered_text_on_both_backends(store):
    document_id = one_document(store)
    me = store.ensure_annotator("me")
    start = TEXT.index("👍🏽")
    span = store.add_span(document_id, label_id(store, "Event"), me.id, start, start + 2)
    assert span.text == "👍🏽"
    crlf = TEXT.index("said")
    span = store.add_span(document_id, label_id(store, "Claim"), me.id, crlf, crlf + 8)
    assert span.text == "said\r\nKa"
    arabic = TEXT.index("لا")
    assert (
        store.add_span(document_id, label_id(store, "Actor"), me.id, arabic, arabic + 2).text
        == "لا"
    )
    combining = TEXT.index("café")
    assert (
        store.add_span(document_id, label_id(store, "Actor"), me.id, combining, combining + 5).text
        == "café\u0301"
    )
    assert store.document(document_id).text == TEXT


def test_a_span_outside_the_text_is_refused(store):
    document_id = one_document(store)
    me = store.ensure_annotator("me")
    with pytest.raises(SpanError, match="does not fit"):
        store.add_span(document_id, label_id(store, "Actor"), me.id, 5, len(TEXT) + 1)
    with pytest.raises(SpanError):
        store.add_span(document_id, label_id(store, "Actor"), me.id, 5, 5)
    assert store.spans(document_id) == []


def test_editing_a_span_checks_its_version(store):
    document_id = one_document(store)
    me = store.ensure_annotator("me")
    span = store.add_span(document_id, label_id(store, "Actor"), me.id, 0, 5)
    changed = store.update_span(
        span.uuid, span.version, label_id=label_id(store, "Claim"), note="who?"
    )
    assert (changed.label, changed.note, changed.version) == ("Claim", "who?", 2)
    with pytest.raises(ConflictError):
        store.update_span(span.uuid, span.version, note="stale")
    assert store.span(span.uuid).note == "who?"
    moved = store.update_span(span.uuid, changed.version, start=6, end=10)
    assert moved.text == TEXT[6:10]


def test_delete_and_restore_bring_back_the_span_and_its_relations(store):
    document_id = one_document(store)
    me = store.ensure_annotator("me")
    claim = store.add_span(
        document_id,
        label_id(store, "Claim"),
        me.id,
        0,
        20,
        note="n",
        attributes={"stance": "opposes"},
    )
    actor = store.add_span(document_id, label_id(store, "Actor"), me.id, 0, 5)
    relation = store.add_relation(claim.uuid, actor.uuid, "attributed_to", me.id)
    deleted = store.delete_span(actor.uuid)
    assert store.span(actor.uuid) is None
    assert store.relations(document_id) == []
    assert deleted.relations == (relation,)
    restored = store.restore_span(deleted)
    assert restored == actor
    assert store.relations(document_id) == [relation]
    with pytest.raises(ConflictError):
        store.update_span(claim.uuid, 99, note="x")


def test_put_span_returns_a_span_to_an_earlier_state(store):
    document_id = one_document(store)
    me = store.ensure_annotator("me")
    span = store.add_span(document_id, label_id(store, "Actor"), me.id, 0, 5)
    later = store.update_span(
        span.uuid, span.version, label_id=label_id(store, "Event"), note="later"
    )
    with pytest.raises(ConflictError):
        store.put_span(span, expected_version=span.version)
    back = store.put_span(span, expected_version=later.version)
    assert (back.label, back.note, back.start, back.end) == ("Actor", "", 0, 5)
    assert back.version == later.version + 1


def test_adding_an_accepted_span_marks_the_document_in_progress(store):
    document_id = one_document(store)
    me = store.ensure_annotator("me")
    assert store.document_status(document_id, me.id) == "not_started"
    store.add_span(document_id, label_id(store, "Actor"), me.id, 0, 5)
    assert store.document_status(document_id, me.id) == "in_progress"
    assert store.set_document_status(document_id, me.id, "done") == "in_progress"
    store.add_span(document_id, label_id(store, "Actor"), me.id, 6, 10)
    assert store.document_status(document_id, me.id) == "done"
    summary = store.list_documents(me.id)[0]
    assert (summary.span_count, summary.status, summary.length) == (2, "done", len(TEXT))
    with pytest.raises(StoreError):
        store.set_document_status(document_id, me.id, "finished")


def test_labels_can_be_added_renamed_recoloured_reordered(store):
    location = store.add_label("Location", shortcut="L")
    assert location.position == 3 and location.colour
    with pytest.raises(StoreError, match="already a label"):
        store.add_label("location")
    with pytest.raises(StoreError, match="already belongs"):
        store.add_label("Leader", shortcut="l")
    renamed = store.update_label(location.id, name="Place", colour="#123456")
    assert (renamed.name, renamed.colour, renamed.shortcut) == ("Place", "#123456", "L")
    order = [label.id for label in reversed(store.labels())]
    assert [label.id for label in store.reorder_labels(order)] == order
    with pytest.raises(StoreError):
        store.reorder_labels(order[:-1])


def test_a_label_in_use_is_never_silently_deleted(store):
    document_id = one_document(store)
    me = store.ensure_annotator("me")
    actor, claim = label_id(store, "Actor"), label_id(store, "Claim")
    store.add_span(document_id, actor, me.id, 0, 5)
    store.add_span(document_id, actor, me.id, 6, 10)
    with pytest.raises(LabelInUseError) as error:
        store.delete_label(actor)
    assert error.value.count == 2
    assert store.label_usage(actor) == 2
    assert store.delete_label(actor, relabel_to=claim) == 2
    assert {span.label for span in store.spans(document_id)} == {"Claim"}
    assert store.delete_label(claim, delete_spans=True) == 2
    assert store.spans(document_id) == []


def test_import_matches_documents_by_their_text(store):
    batch = ImportBatch(
        documents=[
            NewDocument(text=TEXT, spans=[NewSpan("Actor", 0, 5, "a", text="Biden")]),
            NewDocument(text="Another article.", spans=[]),
        ]
    )
    first = store.import_batch(batch)
    assert (first.documents_added, first.spans_added, first.annotators_added) == (2, 1, 1)
    second = store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=TEXT, spans=[NewSpan("actor", 0, 5, "a"), NewSpan("ACTOR", 0, 5, "b")]
                ),
            ]
        )
    )
    assert (second.documents_added, second.documents_matched) == (0, 1)
    assert (second.spans_added, second.spans_skipped) == (1, 1)
    document = store.document_by_hash(content_hash(TEXT))
    assert sorted(span.annotator for span in store.spans(document.id)) == ["a", "b"]
    assert store.document_count() == 2


def test_a_bad_span_anywhere_leaves_the_project_unchanged(store):
    one_document(store, "Already here.")
    before = store.stats()
    batch = ImportBatch(
        documents=[
            NewDocument(text="First new article.", spans=[NewSpan("Actor", 0, 5, "a")]),
            NewDocument(
                text="Second new article.",
                spans=[NewSpan("Claim", 0, 6, "a", text="wrong!", where="f.jsonl:2")],
            ),
        ]
    )
    with pytest.raises(SpanError, match="f.jsonl:2: .*disagrees|f.jsonl:2: .*says"):
        store.import_batch(batch)
    assert store.stats() == before
    assert [label.name for label in store.labels()] == ["Claim", "Actor", "Event"]
    assert [annotator.name for annotator in store.annotators()] == []


def test_a_cancelled_import_writes_nothing(store):
    def cancel(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.import_batch(
            ImportBatch(
                documents=[NewDocument(text="x " * 10, spans=[NewSpan("Actor", 0, 1, "a")])]
            ),
            progress=cancel,
        )
    assert store.document_count() == 0


def test_import_with_new_labels_relations_entities_and_states(store):
    text = "Abu Baqir al-Saadi was killed in Baghdad."
    batch = ImportBatch(
        entities=[NewEntity("Abu Baqir al-Saadi", uuid="e1", label="Actor", aliases=["Abu Baqer"])],
        documents=[
            NewDocument(
                text=text,
                spans=[
                    NewSpan("Actor", 0, 18, "a", uuid="s1", entity_uuid="e1"),
                    NewSpan("Location", 33, 40, "a", uuid="s2"),
                ],
                relations=[NewRelation("located_in", "s1", "s2", "a", uuid="r1")],
                states=[NewState("a", "done")],
            )
        ],
    )
    summary = store.import_batch(batch)
    assert (summary.labels_added, summary.entities_added, summary.relations_added) == (1, 1, 1)
    document_id = summary.document_ids[0]
    spans = {span.uuid: span for span in store.spans(document_id)}
    assert spans["s1"].entity_uuid == "e1" and spans["s2"].label == "Location"
    assert [(r.head_uuid, r.tail_uuid, r.type) for r in store.relations(document_id)] == [
        ("s1", "s2", "located_in")
    ]
    annotator = store.ensure_annotator("a")
    assert store.document_status(document_id, annotator.id) == "done"
    assert store.entities("actor")[0].aliases == ("Abu Baqer",)
    again = store.import_batch(batch)
    assert (again.spans_added, again.relations_added, again.entities_added) == (0, 0, 0)


def test_a_relation_to_a_missing_span_is_refused(store):
    batch = ImportBatch(
        documents=[
            NewDocument(
                text="One two.",
                spans=[NewSpan("Actor", 0, 3, "a", uuid="s1")],
                relations=[NewRelation("r", "s1", "nowhere", "a", where="x.jsonl:4")],
            )
        ]
    )
    with pytest.raises(SpanError, match="x.jsonl:4"):
        store.import_batch(batch)
    assert store.document_count() == 0


def test_export_filters_by_annotator_gold_label_and_status(store):
    document_id = one_document(
        store,
        spans=[
            NewSpan("Actor", 0, 5, "a"),
            NewSpan("Claim", 0, 20, "b"),
            NewSpan("Event", 6, 10, "a", status="suggested", origin="rules"),
        ],
    )
    gold = store.gold_annotator()
    store.add_span(document_id, label_id(store, "Actor"), gold.id, 0, 5, origin="review")

    def exported(**kwargs):
        return [
            (s.annotator, s.label, s.status)
            for d in store.export_documents(ExportFilter(**kwargs))
            for s in d.spans
        ]

    assert len(exported()) == 4
    assert exported(annotators=("a",)) == [("a", "Actor", "accepted"), ("a", "Event", "suggested")]
    assert exported(gold=True) == [("gold", "Actor", "accepted")]
    assert exported(labels=("claim",)) == [("b", "Claim", "accepted")]
    assert exported(statuses=("accepted",), annotators=("a",)) == [("a", "Actor", "accepted")]
    assert store.export_counts(ExportFilter(statuses=("suggested",))) == (1, 1)


def test_suggestions_are_not_offered_twice(store):
    document_id = one_document(store)
    suggestions = [NewSpan("Actor", 0, 5, "me", status="suggested", origin="rules")]
    added = store.add_spans(document_id, suggestions)
    assert len(added) == 1
    store.set_span_status([added[0].uuid], "rejected")
    assert store.add_spans(document_id, suggestions) == []
    assert store.delete_suggestions([document_id]) == 0


def test_stats_count_accepted_spans_per_label_and_annotator(store):
    one_document(
        store,
        spans=[
            NewSpan("Actor", 0, 5, "a"),
            NewSpan("Claim", 0, 20, "a"),
            NewSpan("Actor", 0, 5, "b"),
            NewSpan("Event", 6, 10, "b", status="suggested", origin="rules"),
        ],
    )
    stats = store.stats()
    assert stats["documents"] == 1
    assert stats["per_label"] == {"Claim": 1, "Actor": 2, "Event": 0}
    assert stats["per_annotator"] == {"a": 2, "b": 1}
    assert stats["per_status"] == {"accepted": 3, "suggested": 1}


def test_review_decisions_write_gold_spans_in_one_step(store):
    document_id = one_document(store)
    reviewer = store.ensure_annotator("reviewer")
    decision, written, removed = store.record_decision(
        document_id,
        reviewer.id,
        kind="label",
        action="take",
        candidates=[{"annotator": "a", "label": "Actor", "start": 0, "end": 5}],
        gold_spans=[NewSpan("Actor", 0, 5, "gold")],
    )
    assert decision.reviewer == "reviewer" and decision.outcome_uuid == written[0].uuid
    assert written[0].annotator == "gold" and written[0].origin == "review" and removed == []
    store.undo_decision(decision.uuid, [written[0].uuid])
    assert store.review_decisions([document_id]) == []
    assert store.spans(document_id) == []


def test_imported_spans_mark_their_annotator_in_progress_but_keep_recorded_states(store):
    batch = ImportBatch(
        documents=[
            NewDocument(
                text="One article.",
                spans=[
                    NewSpan("Actor", 0, 3, "a"),
                    NewSpan("Actor", 4, 11, "b", status="suggested"),
                ],
            ),
            NewDocument(
                text="Two article.",
                spans=[NewSpan("Actor", 0, 3, "a")],
                states=[NewState("a", "done")],
            ),
        ]
    )
    first, second = store.import_batch(batch).document_ids
    a, b = store.ensure_annotator("a"), store.ensure_annotator("b")
    assert store.document_status(first, a.id) == "in_progress"
    assert store.document_status(first, b.id) == "not_started"  # a suggestion starts nothing
    assert store.document_status(second, a.id) == "done"
    store.set_document_status(first, a.id, "not_started")
    store.import_batch(
        ImportBatch(
            documents=[NewDocument(text="One article.", spans=[NewSpan("Claim", 0, 3, "a")])]
        )
    )
    assert store.document_status(first, a.id) == "not_started"


def test_a_note_no_database_can_hold_is_refused_alike(store):
    document = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[0]
    me = store.ensure_annotator("me")
    actor = store.label_by_name("Actor").id
    with pytest.raises(StoreError, match="NUL"):
        store.add_span(document, actor, me.id, 0, 6, note="a\x00b")
    span = store.add_span(document, actor, me.id, 0, 6)
    with pytest.raises(StoreError, match="surrogate"):
        store.update_span(span.uuid, expected=span, note="\ud83d")
    assert [(s.note, s.version) for s in store.spans(document)] == [("", 1)]
