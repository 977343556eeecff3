"""Edits as commands: apply, undo and redo, in any order a person produces, on both backends."""

from __future__ import annotations

import pytest

from db.records import ImportBatch, NewDocument
from db.store import ConflictError
from desktop import commands, conflicts

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


# --- restoring a version from the history ----------------------------------------------------

RESTORE_TEXT = "Kata’ib Hezbollah 👍🏽 warned\r\nالعراق denied it, é."


def _at(piece: str) -> tuple[int, int]:
    start = RESTORE_TEXT.index(piece)
    return start, start + len(piece)


def _row(span):
    return (span.uuid, span.label, span.start, span.end, span.text, span.note, span.version > 0)


def test_restore_version_brings_a_deleted_span_back_and_undo_redo_follow(store):
    store.set_actor("alice")
    [document] = store.import_batch(
        ImportBatch(documents=[NewDocument(text=RESTORE_TEXT)])
    ).document_ids
    alice = store.ensure_annotator("alice")
    claim = store.add_span(document, store.label_by_name("Claim").id, alice.id, *_at("👍🏽 warned"))
    actor = store.add_span(document, store.label_by_name("Actor").id, alice.id, *_at("العراق"))
    store.add_relation(claim.uuid, actor.uuid, "source", alice.id)
    commands.DeleteSpans(store, [actor]).apply()
    deletion = store.history(key=actor.uuid)[-1]
    assert deletion.op == "delete"

    restore = commands.RestoreVersion(store, deletion, "before", seen_id=deletion.id + 1)
    change = restore.apply()
    [back] = store.spans_by_uuid([actor.uuid])
    assert (back.label, back.start, back.end, back.text) == ("Actor", *_at("العراق"), "العراق")
    assert [s.uuid for s in change.added] == [actor.uuid] and change.document_id == document
    assert store.history()[-1].op == "insert" and store.history()[-1].actor == "alice"
    restore.undo()
    assert store.span(actor.uuid) is None
    restore.redo()
    assert store.span(actor.uuid) is not None
    restore.undo()
    assert store.span(actor.uuid) is None


def test_restore_version_puts_a_relabel_and_a_move_back_and_before_an_insert_removes(store):
    store.set_actor("alice")
    [document] = store.import_batch(
        ImportBatch(documents=[NewDocument(text=RESTORE_TEXT)])
    ).document_ids
    alice = store.ensure_annotator("alice")
    span = store.add_span(document, store.label_by_name("Claim").id, alice.id, *_at("Kata’ib"))
    other = store.add_span(document, store.label_by_name("Actor").id, alice.id, *_at("é"))
    store.add_relation(span.uuid, other.uuid, "source", alice.id)
    relabel = commands.relabel_spans(store, [span], store.label_by_name("Event").id, "Event")
    relabel.apply()
    start, end = _at("Hezbollah 👍🏽")
    move = commands.UpdateSpans(store, relabel.after, "Move", start=start, end=end)
    move.apply()
    moved = store.span(span.uuid)
    assert moved.text == "Hezbollah 👍🏽" and moved.label == "Event"
    relabelled, shifted = store.history(key=span.uuid)[1:]

    back = commands.RestoreVersion(store, relabelled, "before")
    back.apply()
    now = store.span(span.uuid)
    assert (now.label, now.text) == ("Claim", "Kata’ib")  # the whole version: offsets too
    back.undo()
    assert _row(store.span(span.uuid)) == _row(moved)
    after = commands.RestoreVersion(store, relabelled, "after")
    after.apply()
    assert (store.span(span.uuid).label, store.span(span.uuid).text) == ("Event", "Kata’ib")
    after.undo()
    assert store.span(span.uuid).text == "Hezbollah 👍🏽"

    inserted = store.history(key=span.uuid)[0]
    remove = commands.RestoreVersion(store, inserted, "before")
    change = remove.apply()
    assert change.removed == [span.uuid] and store.span(span.uuid) is None
    assert store.relations(document) == []
    remove.undo()  # the span and its relation are back
    assert store.span(span.uuid).text == "Hezbollah 👍🏽"
    assert [(r.head_uuid, r.tail_uuid) for r in store.relations(document)] == [
        (span.uuid, other.uuid)
    ]
    remove.redo()
    assert store.span(span.uuid) is None and store.relations(document) == []
    assert shifted.op == "update"


def test_restore_version_refuses_a_span_changed_since_and_an_undo_over_a_colleague(store):
    from db.store import Store

    store.set_actor("alice")
    [document] = store.import_batch(
        ImportBatch(documents=[NewDocument(text=RESTORE_TEXT)])
    ).document_ids
    alice = store.ensure_annotator("alice")
    span = store.add_span(document, store.label_by_name("Claim").id, alice.id, *_at("warned"))
    noted = store.update_span(span.uuid, note="first")
    entry = store.history(key=span.uuid)[-1]
    with Store.open(store.url, actor="bob") as bob:
        bob.update_span(span.uuid, noted.version, note="bob's")
    stale = commands.RestoreVersion(store, entry, "before", seen_id=entry.id)
    with pytest.raises(ConflictError, match="by bob"):
        stale.apply()
    assert store.span(span.uuid).note == "bob's"
    seen = store.history(limit=1)[0].id

    restore = commands.RestoreVersion(store, entry, "before", seen_id=seen)
    restore.apply()
    assert store.span(span.uuid).note == ""
    with Store.open(store.url, actor="bob") as bob:
        bob.update_span(span.uuid, store.span(span.uuid).version, note="bob again")
    with pytest.raises(ConflictError) as refused:
        restore.undo()
    assert refused.value.span_uuid == span.uuid
    assert refused.value.theirs.note == "bob again" and refused.value.mine.note == "bob's"
    [intent] = restore.intents("undo")
    assert intent.fields["note"] == "bob's" and intent.base.note == ""
    assert store.span(span.uuid).note == "bob again"


def test_restore_version_of_a_label_rename_and_its_undo(store):
    store.set_actor("alice")
    claim = store.label_by_name("Claim")
    commands.UpdateLabel(store, claim, name="Statement").apply()
    rename = store.history(key=str(claim.id))[-1]
    restore = commands.RestoreVersion(store, rename, "before")
    assert isinstance(restore.apply(), commands.LabelChange)
    assert store.label_by_name("Claim") is not None
    restore.undo()
    assert store.label_by_name("Statement") is not None and store.label_by_name("Claim") is None
    restore.redo()
    assert store.label_by_name("Claim").id == claim.id


# --- a step refused by a colleague's change, made again on their version ----------------------


def three_of_mine(store, document):
    me = store.ensure_annotator("me")
    actor = store.label_by_name("Actor").id
    return [
        commands.AddSpan(store, document, actor, me.id, start, end).apply().added[0]
        for start, end in ((0, 6), (7, 16), (50, 52))
    ]


def test_a_relabel_of_several_refused_lists_each_changed_span_and_applies_on_top(store, document):
    spans = three_of_mine(store, document)
    event, claim = store.label_by_name("Event").id, store.label_by_name("Claim").id
    store.update_span(spans[0].uuid, 1, note="theirs")  # changed
    store.delete_span(spans[1].uuid, 1)  # deleted
    relabel = commands.relabel_spans(store, spans, event, "Event")
    with pytest.raises(ConflictError) as raised:
        relabel.apply()
    intents = conflicts.step_intents(relabel, "apply")

    changed = conflicts.span_conflicts(store, intents, raised.value)

    assert [c.span_uuid for c in changed] == [spans[0].uuid, spans[1].uuid]
    assert changed[0].theirs == store.span(spans[0].uuid)
    assert (changed[0].mine.label, changed[0].mine.note) == ("Event", "")
    assert changed[1].theirs is None and changed[1].mine.label == "Event"
    if hasattr(store, "history"):  # who deleted it, and when, from the project's history
        last = store.history(key=spans[1].uuid)[-1]
        assert last.op == "delete"
        assert (changed[1].changed_at, changed[1].changed_by) == (
            last.at,
            last.actor or last.login,
        )
    else:
        assert changed[1].changed_at is None
    assert state(store, document) == [
        ("Actor", 0, 6, "theirs", "accepted"),
        ("Actor", 50, 52, "", "accepted"),
    ]

    again = conflicts.on_top(store, intents, "Relabel as Event (on their version)")
    change = again.apply()
    assert state(store, document) == [
        ("Event", 0, 6, "theirs", "accepted"),
        ("Event", 7, 16, "", "accepted"),  # put back as mine, with its own uuid
        ("Event", 50, 52, "", "accepted"),
    ]
    assert spans[1].uuid in {span.uuid for span in change.added}
    again.undo()
    assert state(store, document) == [
        ("Actor", 0, 6, "theirs", "accepted"),
        ("Actor", 50, 52, "", "accepted"),
    ]
    again.redo()
    assert len(state(store, document)) == 3
    edited = conflicts.on_top(
        store, intents, "edited", edited={spans[0].uuid: {"label_id": claim, "note": "edited"}}
    )
    edited.apply()
    assert state(store, document)[0] == ("Claim", 0, 6, "edited", "accepted")


def test_on_top_of_theirs_a_step_refused_midway_leaves_nothing(store, document):
    spans = three_of_mine(store, document)
    store.delete_span(spans[1].uuid, 1)
    relabel = commands.relabel_spans(store, spans, store.label_by_name("Event").id, "Event")
    intents = conflicts.step_intents(relabel, "apply")
    again = conflicts.on_top(store, intents, "again")
    store.update_span(spans[2].uuid, 1, note="raced")  # after the plan, before the write
    before = state(store, document)
    with pytest.raises(ConflictError):
        again.apply()
    assert state(store, document) == before
