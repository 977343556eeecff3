"""The store's span edits, exactly: every column an edit, an undo or a restore writes, the
other spans it must leave alone, and every message an analyst is shown when one is refused.

The rows are read back with plain SQL (``annotation`` as the database has it), not through
the store's readers; expected values are worked out by hand from ``TEXT`` below, where an
emoji (two code points), a CRLF and a combining accent sit before the spans that move.
The guards in the WHERE clauses are tested by slipping a change in between the store's
check and its write (as tests/db/test_version_guards.py does); the row locks by racing a
second session against the first, which must then win every time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, text

from db.records import ImportBatch, NewDocument, NewSpan
from db.schema import AttributeSpec
from db.store import ConflictError, SpanError, Store, StoreError
from tests.db.interleave import slipped_in

# Code points: "Kataib Hezbollah" 0-16, the emoji 17-19, "that" 37-41, "US forces" 53-62,
# "resume." 69-76, CRLF 76-78, "Cafe\u0301" 78-83, "owners" 84-90; 102 in all.
TEXT = (
    "Kataib Hezbollah 👍🏽 warned on Friday that attacks on US forces would resume.\r\n"
    "Cafe\u0301 owners fled Basra."
)
# What a message shows of a span of 0-49: its first 40 code points.
SHOWN = "Kataib Hezbollah 👍🏽 warned on Friday tha"


def document(store: Store) -> int:
    return store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[0]


def label(store: Store, name: str) -> int:
    return store.label_by_name(name).id


def rows(store: Store) -> list[dict[str, Any]]:
    """Every column of every span, as the database holds it, in id order."""
    with store.engine.connect() as connection:
        return [
            dict(row._mapping)
            for row in connection.execute(text("SELECT * FROM annotation ORDER BY id"))
        ]


def row(store: Store, span_uuid: str) -> dict[str, Any]:
    [found] = [r for r in rows(store) if r["uuid"] == span_uuid]
    return found


def without(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in names}


def three_spans(store: Store) -> tuple[int, int, list]:
    """A document with three of "me"'s accepted spans, each at version 2 (one note edit):
    a long Actor 0-49, an Actor on "US forces" 53-62 and an Event on "Cafe\u0301" 78-83."""
    document_id = document(store)
    me = store.ensure_annotator("me").id
    actor, event_label = label(store, "Actor"), label(store, "Event")
    spans = [
        store.add_span(document_id, actor, me, 0, 49),
        store.add_span(document_id, actor, me, 53, 62),
        store.add_span(
            document_id, event_label, me, 78, 83, attributes={"type": "ASSAULT", "date": "2024"}
        ),
    ]
    spans = [store.update_span(s.uuid, 1, note=f"note {n}") for n, s in enumerate(spans)]
    assert [s.version for s in spans] == [2, 2, 2]
    return document_id, me, spans


def race(
    store_a: Store, action_a: Callable[[], Any], action_b: Callable[[], Any], pause_before: str
) -> tuple[Any, BaseException | None]:
    """Run ``action_a``; just before it sends a statement starting with ``pause_before``,
    run ``action_b`` in another thread for up to a second (it cannot finish while A holds
    the span), then let A go on. Returns A's result (A must succeed) and B's error."""
    outcome: dict[str, Any] = {"b": None}

    def run_b() -> None:
        try:
            action_b()
        except BaseException as exc:  # noqa: BLE001 - the test inspects what happened
            outcome["b"] = exc

    thread = threading.Thread(target=run_b)
    fired = threading.Event()

    def before(_conn, _cursor, statement, *_rest) -> None:
        if fired.is_set() or not statement.lstrip().upper().startswith(pause_before):
            return
        fired.set()
        thread.start()
        thread.join(timeout=1.0)

    event.listen(store_a.engine, "before_cursor_execute", before)
    try:
        result = action_a()
    finally:
        event.remove(store_a.engine, "before_cursor_execute", before)
        if fired.is_set():
            thread.join(timeout=30)
    assert fired.is_set() and not thread.is_alive()
    return result, outcome["b"]


# --- refusals: the exact message, and nothing written ----------------------------------------


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"colour": "red"}, StoreError, "spans have no field 'colour'"),
        ({"zeta": 1, "alpha": 2, "note": "x"}, StoreError, "spans have no field 'alpha'"),
        (
            {"status": "bogus"},
            SpanError,
            "unknown span status 'bogus' (one of suggested, accepted, rejected)",
        ),
        (
            {"origin": "bogus"},
            SpanError,
            "unknown span origin 'bogus' (one of manual, rules, model, imported, review)",
        ),
        (
            {"attributes": {"type": "bogus"}},
            SpanError,
            "Actor: type 'bogus' is not one of person, organisation, state, armed group, "
            "media, other",
        ),
        (
            {"start": 60, "end": 103},
            SpanError,
            "span 60-103 does not fit document {doc} of 102 characters",
        ),
        ({"end": 103}, SpanError, "span 0-103 does not fit document {doc} of 102 characters"),
        ({"start": 49}, SpanError, "span 49-49 does not fit document {doc} of 102 characters"),
        ({"entity_uuid": "no-such-entity"}, StoreError, "no entity no-such-entity"),
    ],
)
@pytest.mark.parametrize("how", ["update_span", "update_spans"])
def test_a_refused_edit_says_why_and_writes_nothing(store, how, changes, error, message):
    document_id, _me, spans = three_spans(store)
    actor = store.update_span(spans[0].uuid, 2, attributes={"type": "person"})
    before = rows(store)
    with pytest.raises(error) as raised:
        if how == "update_span":
            store.update_span(actor.uuid, 3, **changes)
        else:
            store.update_spans([actor, spans[1]], **changes)
    assert type(raised.value) is error
    assert str(raised.value) == message.format(doc=document_id)
    assert rows(store) == before


def test_a_relabel_keeps_values_only_where_the_new_label_allows_them(store):
    _document_id, _me, spans = three_spans(store)
    actor = store.update_span(spans[0].uuid, 2, attributes={"type": "person"})
    before = rows(store)
    with pytest.raises(SpanError) as raised:
        store.update_span(actor.uuid, 3, label_id=label(store, "Event"))
    assert type(raised.value) is SpanError
    assert str(raised.value) == "Event: type 'person' is not one of its 16 choices"
    assert rows(store) == before
    # with values the new label allows, the relabel goes through
    moved = store.update_span(
        actor.uuid, 3, label_id=label(store, "Event"), attributes={"type": "AID", "date": "2024"}
    )
    assert (moved.label, moved.attributes, moved.version) == (
        "Event",
        {"type": "AID", "date": "2024"},
        4,
    )


def test_a_note_is_not_refused_for_a_value_that_only_the_schema_changed_since(store):
    """Values are checked when they or the label change, not on every edit: a span whose
    value a later schema no longer allows still takes a note."""
    document_id = document(store)
    me = store.ensure_annotator("me").id
    actor = store.label_by_name("Actor")
    span = store.add_span(document_id, actor.id, me, 53, 62, attributes={"rank": "zzz"})
    store.set_label_schema(
        actor.id, actor.schema.with_attribute(AttributeSpec("rank", "choice", ("high", "low")))
    )
    noted = store.update_span(span.uuid, 1, note="still takes a note")
    assert (noted.note, noted.attributes, noted.version) == (
        "still takes a note",
        {"rank": "zzz"},
        2,
    )


def test_an_edit_from_a_stale_view_is_refused_with_the_span_named(store):
    _document_id, _me, spans = three_spans(store)
    seen = spans[0]
    store.update_span(seen.uuid, 2, note="a colleague's")
    before = rows(store)
    with pytest.raises(ConflictError) as raised:
        store.update_span(seen.uuid, expected=seen, note="mine")
    assert str(raised.value) == f"span “{SHOWN}” was changed elsewhere since"
    with pytest.raises(ConflictError) as raised:
        store.update_span(seen.uuid, 2, note="mine")
    assert str(raised.value) == f"span {seen.uuid} was changed elsewhere (version 3, expected 2)"
    assert rows(store) == before


def test_an_undo_from_a_stale_view_is_refused_with_the_span_named(store):
    _document_id, _me, spans = three_spans(store)
    seen = spans[0]
    later = store.update_span(seen.uuid, 2, note="a colleague's")
    before = rows(store)
    with pytest.raises(ConflictError) as raised:
        store.put_span(seen, expected=seen)
    assert str(raised.value) == f"span “{SHOWN}” was changed elsewhere since"
    with pytest.raises(ConflictError) as raised:
        store.put_span(seen, 2)
    assert str(raised.value) == f"span {seen.uuid} was changed elsewhere (version 3, expected 2)"
    assert rows(store) == before
    back = store.put_span(seen, expected=later)
    assert (back.note, back.version) == ("note 0", 4)


# --- the version in the write's own WHERE clause ---------------------------------------------


def test_an_update_that_lost_the_row_is_refused_by_its_own_where_clause(store):
    _document_id, _me, spans = three_spans(store)
    before = rows(store)
    with slipped_in(store, "UPDATE ANNOTATION", spans[0].uuid):
        with pytest.raises(ConflictError) as raised:
            store.update_span(spans[0].uuid, 2, note="stale")
    assert str(raised.value) == f"span {spans[0].uuid} was changed elsewhere"
    assert rows(store) == before  # the slipped-in change is rolled back with the action


def test_a_delete_that_lost_the_row_is_refused_by_its_own_where_clause(store):
    _document_id, _me, spans = three_spans(store)
    before = rows(store)
    with slipped_in(store, "DELETE FROM ANNOTATION", spans[0].uuid):
        with pytest.raises(ConflictError) as raised:
            store.delete_span(spans[0].uuid, 2)
    assert str(raised.value) == f"span “{SHOWN}” was changed elsewhere"
    assert rows(store) == before


def test_an_undo_that_lost_the_row_is_refused_by_its_own_where_clause(store):
    _document_id, _me, spans = three_spans(store)
    later = store.update_span(spans[0].uuid, 2, note="later")
    before = rows(store)
    with slipped_in(store, "UPDATE ANNOTATION", spans[0].uuid):
        with pytest.raises(ConflictError) as raised:
            store.put_span(spans[0], expected=later)
    assert str(raised.value) == f"span {spans[0].uuid} was changed elsewhere"
    assert rows(store) == before


# --- what each write puts in every column ----------------------------------------------------


@pytest.mark.parametrize(
    ("span", "changes", "moved"),
    [
        # only the end moves: the text runs from the kept start over the CRLF
        ((69, 76), {"end": 83}, (69, 83, "resume.\r\nCafe\u0301")),
        # only the start moves: the kept end stays after the combining accent
        ((69, 83), {"start": 78}, (78, 83, "Cafe\u0301")),
        ((78, 83), {"start": 84, "end": 90}, (84, 90, "owners")),
    ],
)
def test_moving_either_end_recomputes_the_covered_text(store, span, changes, moved):
    document_id = document(store)
    me = store.ensure_annotator("me").id
    other = store.add_span(document_id, label(store, "Actor"), me, 53, 62)
    edited = store.add_span(document_id, label(store, "Actor"), me, *span)
    after = store.update_span(edited.uuid, 1, **changes)
    assert (after.start, after.end, after.text, after.version) == (*moved, 2)
    stored = row(store, edited.uuid)
    assert (stored["start"], stored["end"], stored["text"]) == moved
    assert row(store, other.uuid)["text"] == "US forces"


def test_a_start_moved_past_the_end_is_refused_as_not_fitting(store):
    document_id = document(store)
    me = store.ensure_annotator("me").id
    span = store.add_span(document_id, label(store, "Actor"), me, 0, 16)
    before = rows(store)
    with pytest.raises(SpanError) as raised:
        store.update_span(span.uuid, 1, start=20)
    assert str(raised.value) == f"span 20-16 does not fit document {document_id} of 102 characters"
    assert rows(store) == before


def test_a_span_is_linked_to_an_entity_and_unlinked(store):
    _document_id, _me, spans = three_spans(store)
    militia = store.add_entity("Kataib Hezbollah", label="Actor")
    linked = store.update_span(spans[1].uuid, 2, entity_uuid=militia.uuid)
    assert (linked.entity_uuid, linked.version) == (militia.uuid, 3)
    assert row(store, spans[1].uuid)["entity_id"] == militia.id
    assert row(store, spans[0].uuid)["entity_id"] is None
    unlinked = store.update_span(spans[1].uuid, 3, entity_uuid=None)
    assert (unlinked.entity_uuid, unlinked.version) == (None, 4)
    assert row(store, spans[1].uuid)["entity_id"] is None


def test_accepting_a_span_starts_the_document_for_its_annotator(store):
    document_id = document(store)
    me = store.ensure_annotator("me").id
    you = store.ensure_annotator("you").id
    actor = label(store, "Actor")
    mine = store.add_span(document_id, actor, me, 0, 16, status="suggested", origin="rules")
    theirs = store.add_span(document_id, actor, me, 53, 62, status="suggested", origin="model")
    # an edit that is not an acceptance starts nothing
    store.update_span(mine.uuid, 1, note="looked at")
    store.update_span(mine.uuid, 2, status="rejected")
    assert (store.document_status(document_id, me), store.document_status(document_id, you)) == (
        "not_started",
        "not_started",
    )
    # accepted as someone else's: their document starts, not the suggestion's annotator's
    store.update_span(theirs.uuid, 1, status="accepted", annotator_id=you)
    assert (store.document_status(document_id, me), store.document_status(document_id, you)) == (
        "not_started",
        "in_progress",
    )
    # accepted as it is: its own annotator's document starts
    accepted = store.update_span(mine.uuid, 3, status="accepted")
    assert (accepted.status, accepted.origin, accepted.annotator) == ("accepted", "rules", "me")
    assert store.document_status(document_id, me) == "in_progress"


def test_setting_the_status_of_some_spans_moves_only_their_versions_and_times(store):
    _document_id, _me, spans = three_spans(store)
    before = rows(store)
    [after] = store.set_span_status([spans[1].uuid], "rejected")
    assert (after.status, after.version) == ("rejected", 3)
    now = rows(store)
    assert now[0] == before[0] and now[2] == before[2]
    assert without(now[1], "status", "version", "updated_at") == without(
        before[1], "status", "version", "updated_at"
    )
    assert (now[1]["status"], now[1]["version"]) == ("rejected", 3)
    assert now[1]["updated_at"] > before[1]["updated_at"]
    assert after.updated_at == now[1]["updated_at"]


def test_an_undo_writes_back_every_column_of_that_span_only(store):
    document_id, me, spans = three_spans(store)
    militia = store.add_entity("US forces", label="Actor")
    you = store.ensure_annotator("you").id
    target = store.update_span(
        spans[1].uuid,
        2,
        confidence=0.25,
        attributes={"type": "state"},
        entity_uuid=militia.uuid,
        status="suggested",
        origin="model",
    )
    for s in (spans[0], spans[2]):  # every span at the version the undo starts from
        store.update_span(s.uuid, 2, note=f"{s.note}, again")
    original = row(store, target.uuid)
    assert original["version"] == 3
    changed = store.update_span(
        target.uuid,
        3,
        label_id=label(store, "Claim"),
        annotator_id=you,
        start=78,
        end=90,
        status="accepted",
        origin="review",
        confidence=0.75,
        note="moved",
        attributes={"stance": "opposes"},
        entity_uuid=None,
    )
    assert (changed.text, changed.version) == ("Cafe\u0301 owners", 4)
    # another span at the version the undo's WHERE clause names
    store.update_span(spans[0].uuid, 3, note="at version 4 too")
    others = [r for r in rows(store) if r["uuid"] != target.uuid]
    back = store.put_span(target, expected=changed)
    stored = row(store, target.uuid)
    assert without(stored, "version", "updated_at") == without(original, "version", "updated_at")
    assert stored["version"] == 5
    assert stored["updated_at"] > changed.updated_at
    assert (back.label, back.annotator, back.start, back.end, back.text) == (
        "Actor",
        "me",
        53,
        62,
        "US forces",
    )
    assert (back.status, back.origin, back.confidence, back.note) == (
        "suggested",
        "model",
        0.25,
        "note 1",
    )
    assert (back.attributes, back.entity_uuid, back.version) == ({"type": "state"}, militia.uuid, 5)
    assert [r for r in rows(store) if r["uuid"] != target.uuid] == others
    assert (document_id, me) == (back.document_id, original["annotator_id"])


def test_undoing_several_needs_as_many_spans_as_it_was_based_on(store):
    _document_id, _me, spans = three_spans(store)
    later = store.update_spans(spans[:2], note="later")
    before = rows(store)
    with pytest.raises(ValueError, match="zip"):
        store.put_spans(spans[:2], later[:1])
    assert rows(store) == before
    back = store.put_spans(spans[:2], later)
    assert [(s.note, s.version) for s in back] == [("note 0", 4), ("note 1", 4)]


def test_a_deleted_span_comes_back_with_every_column(store):
    document_id, _me, spans = three_spans(store)
    militia = store.add_entity("US forces", label="Actor")
    target = store.update_span(
        spans[1].uuid,
        2,
        confidence=0.25,
        entity_uuid=militia.uuid,
        status="suggested",
        origin="model",
        attributes={"type": "state"},
    )
    before = rows(store)
    deleted = store.delete_span(target.uuid, expected=target)
    assert [r["uuid"] for r in rows(store)] == [spans[0].uuid, spans[2].uuid]
    restored = store.restore_span(deleted)
    assert rows(store) == before
    assert (restored.status, restored.origin, restored.confidence, restored.note) == (
        "suggested",
        "model",
        0.25,
        "note 1",
    )
    assert (restored.entity_uuid, restored.version, restored.document_id) == (
        militia.uuid,
        3,
        document_id,
    )


def test_two_linked_spans_deleted_together_come_back_with_their_link(store):
    document_id, me, spans = three_spans(store)
    claim = store.add_span(document_id, label(store, "Claim"), me, 20, 49)
    link = store.add_relation(claim.uuid, spans[0].uuid, "source", me)
    before = rows(store)
    deleted = store.delete_spans([claim.uuid, spans[0].uuid], expected=[claim, spans[0]])
    # the link goes with the first span deleted, so only that one lists it
    assert [d.relations for d in deleted] == [(link,), ()]
    assert store.relations(document_id) == []
    store.restore_spans(deleted)
    assert store.relations(document_id) == [link]
    assert rows(store) == before


def test_a_span_put_back_twice_is_refused_the_second_time_by_name(store):
    _document_id, _me, spans = three_spans(store)
    deleted = store.delete_span(spans[0].uuid, 2)
    store.restore_span(deleted)
    before = rows(store)
    with pytest.raises(ConflictError) as raised:
        store.restore_spans([deleted])
    assert str(raised.value) == f"span “{SHOWN}” is already there: it was put back elsewhere"
    assert rows(store) == before


# --- the row held: of two sessions, the first to act wins every time -------------------------


def test_a_delete_holds_the_span_against_a_concurrent_edit(two):
    a, b = two
    _document_id, _me, spans = three_spans(a)
    target = spans[1]
    deleted, error = race(
        a,
        lambda: a.delete_spans([target.uuid], 2),
        lambda: b.update_span(target.uuid, 2, note="b's"),
        "DELETE FROM ANNOTATION",
    )
    assert [d.span for d in deleted] == [target]
    assert isinstance(error, ConflictError)
    assert str(error) == f"span {target.uuid} no longer exists"
    assert [r["uuid"] for r in rows(b)] == [spans[0].uuid, spans[2].uuid]


@pytest.mark.parametrize("how", ["update_span", "update_spans", "set_span_status"])
def test_an_edit_holds_the_span_against_a_concurrent_edit(two, how):
    a, b = two
    _document_id, _me, spans = three_spans(a)
    target = spans[1]
    action = {
        "update_span": lambda: a.update_span(target.uuid, 2, status="rejected"),
        "update_spans": lambda: a.update_spans([target], status="rejected"),
        "set_span_status": lambda: a.set_span_status([target.uuid], "rejected"),
    }[how]
    _result, error = race(
        a, action, lambda: b.update_span(target.uuid, 2, note="b's"), "UPDATE ANNOTATION"
    )
    assert isinstance(error, ConflictError)
    assert str(error) == f"span {target.uuid} was changed elsewhere (version 3, expected 2)"
    stored = row(b, target.uuid)
    assert (stored["status"], stored["note"], stored["version"]) == ("rejected", "note 1", 3)


@pytest.mark.parametrize("how", ["put_span", "put_spans"])
def test_an_undo_holds_the_span_against_a_concurrent_edit(two, how):
    a, b = two
    _document_id, _me, spans = three_spans(a)
    target = spans[1]
    later = a.update_span(target.uuid, 2, note="later")
    action = {
        "put_span": lambda: a.put_span(target, expected=later),
        "put_spans": lambda: a.put_spans([target], [later]),
    }[how]
    _result, error = race(
        a,
        action,
        lambda: b.update_span(target.uuid, expected=later, note="b's"),
        "UPDATE ANNOTATION",
    )
    assert isinstance(error, ConflictError)
    assert str(error) == "span “US forces” was changed elsewhere since"
    stored = row(b, target.uuid)
    assert (stored["note"], stored["version"]) == ("note 1", 4)


def test_suggestions_accepted_in_one_action_keep_their_own_content(store):
    document_id = document(store)
    suggested = store.add_spans(
        document_id,
        [
            NewSpan(label="Actor", start=0, end=16, annotator="me", status="suggested"),
            NewSpan(label="Actor", start=53, end=62, annotator="me", status="suggested"),
        ],
    )
    accepted = store.update_spans(suggested, status="accepted")
    assert [(s.text, s.status, s.version) for s in accepted] == [
        ("Kataib Hezbollah", "accepted", 2),
        ("US forces", "accepted", 2),
    ]
