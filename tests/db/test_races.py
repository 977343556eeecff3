"""Two sessions acting on one span at the same moment: exactly one wins, the other is told.

Each race is made to happen, not hoped for: session A is stopped just before the statement
that writes (its check already done), session B runs its whole action meanwhile, then A
goes on. Without a row held or a conditional write, both would succeed and A's window would
show a change the database no longer has. On SQLite, B waits for A's write transaction;
on PostgreSQL, for the row A holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from db.records import ImportBatch, NewDocument, NewSpan
from db.store import ConflictError, Store, StoreError
from desktop import commands

TEXT = "Kataib Hezbollah warned on Friday that attacks on US forces would resume."


class Outcome:
    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None

    def run(self, action: Callable[[], Any]) -> None:
        try:
            self.value = action()
        except BaseException as exc:  # noqa: BLE001 - the test inspects what happened
            self.error = exc


def race(
    store_a: Store,
    action_a: Callable[[], Any],
    action_b: Callable[[], Any],
    *,
    pause_before: str,
) -> tuple[Outcome, Outcome]:
    """Run ``action_a``; just before A sends a statement starting with ``pause_before``,
    run ``action_b`` in another thread and give it a second to finish (it cannot, if A
    holds what B needs), then let A go on and wait for both."""
    a, b = Outcome(), Outcome()
    thread_b = threading.Thread(target=b.run, args=(action_b,))
    fired = threading.Event()

    def before(_conn, _cursor, statement, *_rest) -> None:
        if fired.is_set() or not statement.lstrip().upper().startswith(pause_before.upper()):
            return
        fired.set()
        thread_b.start()
        thread_b.join(timeout=1.0)

    event.listen(store_a.engine, "before_cursor_execute", before)
    try:
        a.run(action_a)
    finally:
        event.remove(store_a.engine, "before_cursor_execute", before)
    assert fired.is_set(), f"A never sent a statement starting with {pause_before!r}"
    thread_b.join(timeout=30)
    assert not thread_b.is_alive(), "B is still waiting after A finished"
    return a, b


def one_won(a: Outcome, b: Outcome) -> str:
    """Exactly one succeeded and the other was refused as a conflict; returns which won."""
    errors = [o.error for o in (a, b) if o.error is not None]
    assert len(errors) == 1, f"A: {a.error!r}, B: {b.error!r}"
    assert isinstance(errors[0], ConflictError), repr(errors[0])
    return "a" if a.error is None else "b"


@pytest.fixture
def document(two):
    return two[0].import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[0]


def tag(store: Store, document_id: int, annotator: str = "me", start: int = 0, end: int = 16):
    me = store.ensure_annotator(annotator)
    return store.add_span(document_id, store.label_by_name("Actor").id, me.id, start, end)


def test_a_delete_from_a_stale_view_loses_to_a_relabel(two, document):
    a, b = two
    span = tag(a, document)
    claim = b.label_by_name("Claim").id
    outcome_a, outcome_b = race(
        a,
        lambda: a.delete_span(span.uuid, expected=span),
        lambda: b.update_span(span.uuid, expected=span, label_id=claim),
        pause_before="DELETE",
    )
    winner = one_won(outcome_a, outcome_b)
    left = a.spans(document)
    if winner == "a":
        assert left == []
    else:
        assert [s.label for s in left] == ["Claim"]


@pytest.mark.parametrize("change", ["move", "note", "attribute"])
def test_a_relabel_or_move_loses_to_a_delete_or_wins_before_it(two, document, change):
    a, b = two
    span = tag(a, document)
    changes = {
        "move": {"start": 0, "end": 6},
        "note": {"note": "the militia"},
        "attribute": {"attributes": {"type": "armed group"}},
    }[change]
    outcome_a, outcome_b = race(
        a,
        lambda: a.update_span(span.uuid, expected=span, **changes),
        lambda: b.delete_span(span.uuid, expected=span),
        pause_before="UPDATE",
    )
    winner = one_won(outcome_a, outcome_b)
    assert len(a.spans(document)) == (1 if winner == "a" else 0)


def test_two_deletes_of_one_span_then_two_undos(two, document):
    a, b = two
    span = tag(a, document)
    delete_a = commands.DeleteSpans(a, [span])
    delete_b = commands.DeleteSpans(b, [span])
    outcome_a, outcome_b = race(a, delete_a.apply, delete_b.apply, pause_before="DELETE")
    winner = one_won(outcome_a, outcome_b)
    won = delete_a if winner == "a" else delete_b
    won.undo()
    assert [s.uuid for s in a.spans(document)] == [span.uuid]
    # An undo of the same deletion from a second window (a copy of the command) is refused,
    # not an IntegrityError.
    with pytest.raises(ConflictError, match="already there"):
        won.store.restore_spans(won._deleted)
    assert [s.uuid for s in b.spans(document)] == [span.uuid]


def test_two_sessions_make_an_annotators_first_span_at_once(two, document):
    a, b = two
    me = a.ensure_annotator("me")
    actor = a.label_by_name("Actor").id
    outcome_a, outcome_b = race(
        a,
        lambda: a.add_span(document, actor, me.id, 0, 6),
        lambda: b.add_span(document, actor, me.id, 7, 16),
        pause_before="INSERT INTO document_state",
    )
    assert outcome_a.error is None and outcome_b.error is None, (outcome_a.error, outcome_b.error)
    assert len(a.spans(document)) == 2
    assert a.document_status(document, me.id) == "in_progress"


def test_a_done_document_stays_done_when_a_span_is_added(two, document):
    a, _ = two
    me = a.ensure_annotator("me")
    a.set_document_status(document, me.id, "done")
    tag(a, document)
    assert a.document_status(document, me.id) == "done"


def test_two_relations_racing_for_a_one_only_slot(two, document):
    a, b = two
    me = a.ensure_annotator("me")
    claim = a.label_by_name("Claim").id
    actor = a.label_by_name("Actor").id
    statement = a.add_span(document, claim, me.id, 17, 72)
    source = a.add_span(document, actor, me.id, 0, 16)
    other = a.add_span(document, actor, me.id, 63, 72)
    kind = next(spec for spec in a.label(claim).schema.relations if not spec.many).type
    outcome_a, outcome_b = race(
        a,
        lambda: a.add_relation(statement.uuid, source.uuid, kind, me.id),
        lambda: b.add_relation(statement.uuid, other.uuid, kind, me.id),
        pause_before="INSERT INTO relation",
    )
    errors = [o.error for o in (outcome_a, outcome_b) if o.error is not None]
    assert len(errors) == 1 and isinstance(errors[0], StoreError), errors
    assert len(a.relations(document)) == 1


def test_accept_all_is_all_or_nothing(store):
    document = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[0]
    words = [(0, 6), (7, 16), (17, 23), (27, 33), (39, 46)]
    suggested = store.add_spans(
        document,
        [
            NewSpan(
                label="Actor", start=s, end=e, annotator="me", status="suggested", origin="rules"
            )
            for s, e in words
        ],
    )
    accept = commands.accept_suggestions(store, suggested)
    # The third was rejected in another window meanwhile: accepting all is refused whole.
    store.update_span(suggested[2].uuid, expected=suggested[2], status="rejected")
    with pytest.raises(ConflictError):
        accept.apply()
    statuses = [s.status for s in store.spans(document)]
    assert statuses == ["suggested", "suggested", "rejected", "suggested", "suggested"]


def test_undo_of_relabelling_several_is_all_or_nothing(store):
    document = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[0]
    me = store.ensure_annotator("me")
    actor, claim = store.label_by_name("Actor").id, store.label_by_name("Claim").id
    spans = [store.add_span(document, actor, me.id, s, e) for s, e in [(0, 6), (7, 16), (63, 72)]]
    relabel = commands.relabel_spans(store, spans, claim, "Claim")
    relabel.apply()
    store.update_span(spans[1].uuid, expected=relabel.after[1], note="a colleague's")
    with pytest.raises(ConflictError):
        relabel.undo()
    assert [s.label for s in store.spans(document)] == ["Claim", "Claim", "Claim"]


def test_removing_a_label_with_its_spans_is_one_step(store):
    document = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[0]
    me = store.ensure_annotator("me")
    claim = store.label_by_name("Claim")
    actor = store.label_by_name("Actor").id
    spans = [store.add_span(document, claim.id, me.id, s, e) for s, e in [(0, 6), (17, 23)]]
    source = store.add_span(document, actor, me.id, 7, 16)
    store.add_relation(spans[0].uuid, source.uuid, "source", me.id)
    before = sorted((s.uuid, s.label, s.version) for s in store.spans(document))
    relations = store.relations(document)
    remove = commands.RemoveLabel(store, claim)
    remove.apply()
    assert [s.uuid for s in store.spans(document)] == [source.uuid]
    assert store.label_by_name("Claim") is None
    remove.undo()
    assert sorted((s.uuid, s.label, s.version) for s in store.spans(document)) == before
    assert store.relations(document) == relations
    assert store.label_by_name("Claim") == claim


def test_a_link_removed_in_two_windows_comes_back_once(two, document):
    a, b = two
    me = a.ensure_annotator("me")
    claim = a.add_span(document, a.label_by_name("Claim").id, me.id, 17, 72)
    source = a.add_span(document, a.label_by_name("Actor").id, me.id, 0, 16)
    link = a.add_relation(claim.uuid, source.uuid, "source", me.id)
    first = commands.DeleteRelation(a, link, document)
    second = commands.DeleteRelation(b, link, document)
    first.apply()
    with pytest.raises(ConflictError, match="removed elsewhere"):
        second.apply()
    first.undo()
    assert [r.uuid for r in a.relations(document)] == [link.uuid]
    # Undoing the link's making in a window that did not see it go is refused whole.
    add = commands.AddRelation(b, claim, source, "source", me.id)
    add.relation = link
    first.apply()
    with pytest.raises(ConflictError, match="removed elsewhere"):
        add.undo()
    assert a.relations(document) == []
