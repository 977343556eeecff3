"""Edits as commands: apply, undo and redo, in any order a person produces, on both backends."""

from __future__ import annotations

import pytest

from db.records import ImportBatch, NewDocument
from db.store import ConflictError
from desktop import commands

TEXT = "Kataib Hezbollah warned on Friday that attacks on US forces would resume."


@pytest.fixture
def document(store):
    summary = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)]))
    return summary.document_ids[0]


def state(store, document_id):
    return sorted((s.label, s.start, s.end, s.note, s.status) for s in store.spans(document_id))


def test_a_chain_of_edits_undoes_and_redoes_whole(store, document):
    me = store.ensure_annotator("me")
    actor, claim = store.label_by_name("Actor").id, store.label_by_name("Claim").id
    add = commands.AddSpan(store, document, actor, me.id, 0, 16)
    add.apply()
    note = commands.edit_note(store, add.span, "the militia")
    note.apply()
    relabel = commands.relabel_spans(store, note.after, claim, "Claim")
    relabel.apply()
    final = state(store, document)
    assert final == [("Claim", 0, 16, "the militia", "accepted")]
    relabel.undo()
    assert state(store, document) == [("Actor", 0, 16, "the militia", "accepted")]
    note.undo()
    assert state(store, document) == [("Actor", 0, 16, "", "accepted")]
    add.undo()
    assert state(store, document) == []
    add.redo()
    note.redo()
    relabel.redo()
    assert state(store, document) == final
    assert store.spans(document)[0].uuid == add.span.uuid


def test_undo_refuses_to_overwrite_a_colleagues_change(store, document):
    me = store.ensure_annotator("me")
    add = commands.AddSpan(store, document, store.label_by_name("Actor").id, me.id, 0, 16)
    add.apply()
    note = commands.edit_note(store, add.span, "mine")
    note.apply()
    store.update_span(add.span.uuid, note.after[0].version, note="a colleague's")
    with pytest.raises(ConflictError):
        note.undo()
    assert store.spans(document)[0].note == "a colleague's"
    with pytest.raises(ConflictError):
        add.undo()
    assert len(store.spans(document)) == 1


def test_delete_undo_brings_back_relations(store, document):
    me = store.ensure_annotator("me")
    claim = store.add_span(document, store.label_by_name("Claim").id, me.id, 17, 73)
    actor = store.add_span(document, store.label_by_name("Actor").id, me.id, 0, 16)
    store.add_relation(claim.uuid, actor.uuid, "attributed_to", me.id)
    delete = commands.DeleteSpans(store, [actor])
    delete.apply()
    assert store.relations(document) == []
    delete.undo()
    assert [(r.head_uuid, r.tail_uuid) for r in store.relations(document)] == [
        (claim.uuid, actor.uuid)
    ]
    delete.redo()
    assert store.span(actor.uuid) is None


def test_suggestions_accept_and_reject_and_document_status(store, document):
    from db.records import NewSpan

    me = store.ensure_annotator("me")
    attacks = TEXT.index("attacks")
    suggested = store.add_spans(
        document,
        [
            NewSpan("Event", attacks, attacks + 7, "me", status="suggested", origin="rules"),
            NewSpan("Actor", 0, 16, "me", status="suggested", origin="rules"),
        ],
    )
    accept = commands.accept_suggestions(store, suggested[:1])
    accept.apply()
    reject = commands.reject_suggestions(store, suggested[1:])
    reject.apply()
    assert {(s.text, s.status) for s in store.spans(document)} == {
        ("attacks", "accepted"),
        ("Kataib Hezbollah", "rejected"),
    }
    reject.undo()
    accept.undo()
    assert {s.status for s in store.spans(document)} == {"suggested"}
    assert store.document_status(document, me.id) == "in_progress"  # accepting began the work
    status = commands.SetDocumentStatus(store, document, me.id, "done")
    status.apply()
    assert store.document_status(document, me.id) == "done"
    status.undo()
    assert store.document_status(document, me.id) == "in_progress"


def test_removing_a_label_in_use_and_undoing_it(store, document):
    me = store.ensure_annotator("me")
    actor = store.label_by_name("Actor")
    span = store.add_span(document, actor.id, me.id, 0, 16, note="keep me")
    remove = commands.RemoveLabel(store, actor)
    remove.apply()
    assert store.label_by_name("Actor") is None and store.spans(document) == []
    remove.undo()
    assert store.label_by_name("Actor") == actor
    assert [(s.uuid, s.label, s.note) for s in store.spans(document)] == [
        (span.uuid, "Actor", "keep me")
    ]
    move = commands.RemoveLabel(store, actor, relabel_to=store.label_by_name("Claim").id)
    move.apply()
    assert [s.label for s in store.spans(document)] == ["Claim"]
    move.undo()
    assert [s.label for s in store.spans(document)] == ["Actor"]


def test_the_first_tag_starts_the_document_and_says_so_once(store, document):
    me = store.ensure_annotator("me")
    actor = store.label_by_name("Actor").id
    first = commands.AddSpan(store, document, actor, me.id, 0, 6).apply()
    assert first.status == "in_progress"
    assert store.document_status(document, me.id) == "in_progress"
    assert commands.AddSpan(store, document, actor, me.id, 7, 16).apply().status is None
    store.set_document_status(document, me.id, "done")
    assert commands.AddSpan(store, document, actor, me.id, 63, 72).apply().status is None
    assert store.document_status(document, me.id) == "done"
