"""Every edit names the version it was based on: a delete or an update based on an old
version is refused, on SQLite and on PostgreSQL, and the other writer's value stays.

Two stores on one project play two windows. The checks before the write and the version in
the write's own WHERE clause are tested apart: the first by a plain stale edit, the second
by a change slipped in between the check and the write (the moment a row lock normally
closes), so that neither guard can hide a missing other.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event

from db.records import ImportBatch, NewDocument
from db.store import ConflictError, Store
from tests.db.interleave import slipped_in

TEXT = "Kataib Hezbollah 👍🏽 warned on Friday that attacks on US forces would resume."


def new_span(store: Store):
    """One accepted Actor span of "me" on "Kataib Hezbollah" (offsets 0-16), version 1."""
    document_id = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[
        0
    ]
    me = store.ensure_annotator("me")
    span = store.add_span(document_id, store.label_by_name("Actor").id, me.id, 0, 16)
    assert (span.text, span.version) == ("Kataib Hezbollah", 1)
    return document_id, span


def test_a_delete_based_on_an_old_version_is_refused(two):
    a, b = two
    document_id, span = new_span(a)
    # b changes the span: version 1 -> 2
    changed = b.update_span(span.uuid, 1, note="b was here")
    assert changed.version == 2
    # a, still showing version 1, deletes: refused, and b's span stays as b left it
    with pytest.raises(ConflictError):
        a.delete_span(span.uuid, 1)
    kept = a.span(span.uuid)
    assert kept is not None
    assert (kept.note, kept.version, kept.start, kept.end) == ("b was here", 2, 0, 16)
    assert [s.uuid for s in b.spans(document_id)] == [span.uuid]
    # the same span as a saw it (expected=) is refused too
    with pytest.raises(ConflictError):
        a.delete_span(span.uuid, expected=span)
    assert a.span(span.uuid).note == "b was here"
    # based on the version it has now, the delete goes through
    a.delete_span(span.uuid, 2)
    assert a.span(span.uuid) is None and b.spans(document_id) == []


def test_a_delete_of_several_based_on_old_versions_deletes_none(two):
    a, b = two
    document_id, first = new_span(a)
    second = a.add_span(document_id, a.label_by_name("Event").id, first.annotator_id, 17, 19)
    b.update_span(second.uuid, 1, note="changed")
    with pytest.raises(ConflictError):
        a.delete_spans([first.uuid, second.uuid], 1)
    assert sorted(s.uuid for s in b.spans(document_id)) == sorted([first.uuid, second.uuid])


def test_an_update_based_on_an_old_version_is_refused(two):
    a, b = two
    _document_id, span = new_span(a)
    b.update_span(span.uuid, 1, note="b's note", start=0, end=6)
    with pytest.raises(ConflictError):
        a.update_span(span.uuid, 1, note="a's note")
    kept = b.span(span.uuid)
    assert (kept.note, kept.text, kept.version) == ("b's note", "Kataib", 2)


def test_the_update_itself_names_the_version_it_was_based_on(store):
    """The check before the write passes (the version is still 1 when it is read); the row
    then moves to version 2. The UPDATE must match no row and the edit be refused: an
    UPDATE without the version in its WHERE clause would write over the other change."""
    _document_id, span = new_span(store)
    with slipped_in(store, "UPDATE ANNOTATION", span.uuid):
        with pytest.raises(ConflictError):
            store.update_span(span.uuid, 1, note="stale edit")
    # the refused action is rolled back whole: the slipped-in change with it
    kept = store.span(span.uuid)
    assert (kept.note, kept.version) == ("", 1)


def test_a_stale_update_loses_to_a_committed_one_without_the_row_lock(two, db_url):
    """PostgreSQL, a real second session: with a's row lock taken away, b commits between
    a's check and a's UPDATE. The UPDATE's version condition alone must refuse a's edit,
    and b's value must stay. (On SQLite the whole database is held from BEGIN IMMEDIATE,
    so b cannot get in: there the test shows only that b is refused instead.)"""
    a, b = two
    _document_id, span = new_span(a)
    a._lock_spans = lambda connection, uuids: None  # only a's row lock; b keeps its own
    results: dict[str, object] = {}

    def b_edits() -> None:
        try:
            results["b"] = b.update_span(span.uuid, 1, note="b's note")
        except ConflictError as exc:
            results["b"] = exc

    thread = threading.Thread(target=b_edits)
    fired = threading.Event()

    def before(connection, cursor, statement, parameters, context, executemany):
        if fired.is_set() or not statement.lstrip().upper().startswith("UPDATE ANNOTATION"):
            return
        fired.set()
        thread.start()
        thread.join(timeout=2.0)

    event.listen(a.engine, "before_cursor_execute", before)
    try:
        with pytest.raises(ConflictError) if a.dialect == "postgresql" else _no_error():
            a.update_span(span.uuid, 1, note="a's note")
    finally:
        event.remove(a.engine, "before_cursor_execute", before)
    thread.join(timeout=30)
    assert fired.is_set() and not thread.is_alive()
    kept = b.span(span.uuid)
    if a.dialect == "postgresql":
        assert results["b"].version == 2
        assert (kept.note, kept.version) == ("b's note", 2)
    else:
        assert isinstance(results["b"], ConflictError)
        assert (kept.note, kept.version) == ("a's note", 2)


class _no_error:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False
