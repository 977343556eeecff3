"""The live listener on a real PostgreSQL server: another session's writes arrive as events,
one's own do not, presence rows say who works where, and a connection the server drops is
reported and made again."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from db.live import Listener, LiveEvent, channel_for, conninfo_of, parse_event
from db.records import ImportBatch, NewDocument
from db.store import Store

TEXT = "Kataib Hezbollah 👍🏽 warned on Friday that مقاومة attacks\r\nwould resume."


class Heard:
    """What a listener reported, from its thread."""

    def __init__(self):
        self.events: list[LiveEvent] = []
        self.states: list[tuple[bool, str]] = []
        self._lock = threading.Lock()

    def on_events(self, events: list[LiveEvent]) -> None:
        with self._lock:
            self.events.extend(events)

    def on_state(self, up: bool, reason: str) -> None:
        with self._lock:
            self.states.append((up, reason))

    def of(self, table: str) -> list[LiveEvent]:
        with self._lock:
            return [event for event in self.events if event.table == table]


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


@pytest.fixture
def pair(pg_url):
    """Two stores on one PostgreSQL project (two windows), and a document."""
    first, second = Store.open(pg_url), Store.open(pg_url)
    document_id = first.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[
        0
    ]
    yield first, second, document_id
    first.close()
    second.close()


@pytest.fixture
def listening(pair):
    """A listener on the first store, connected; stopped after the test."""
    first, _, _ = pair
    heard = Heard()
    listener = Listener(first, heard.on_events, heard.on_state, annotator="alice")
    listener.start()
    wait_for(lambda: listener.connected)
    yield listener, heard
    listener.stop()


def notify(store: Store, payload: str) -> None:
    with psycopg.connect(conninfo_of(store), autocommit=True) as connection:
        connection.execute("SELECT pg_notify(%s, %s)", (channel_for(connection), payload))


def test_payloads_that_are_not_dossiers_are_ignored():
    assert parse_event("not json") is None
    assert parse_event("[1, 2]") is None
    assert parse_event('{"table": "users", "op": "insert"}') is None
    assert parse_event('{"table": "annotation", "op": "insert", "document": "12"}') is None
    assert parse_event('{"table": "annotation", "op": "insert", "keys": [1]}') is None
    assert parse_event('{"table": "annotation", "op": "insert", "document": true}') is None
    event = parse_event(
        '{"table": "annotation", "op": "delete", "document": 3, "keys": ["u1"], '
        '"session": "abc", "actor": "bob"}'
    )
    assert event == LiveEvent("annotation", "delete", 3, ("u1",), "abc", "bob")
    assert parse_event('{"table": "label", "op": "update"}') == LiveEvent(
        "label", "update", None, None, "", ""
    )


def test_a_notification_sent_by_hand_arrives_and_garbage_does_not(pair, listening):
    first, _, document_id = pair
    listener, heard = listening
    notify(first, "garbage")
    notify(
        first,
        f'{{"table": "annotation", "op": "insert", "document": {document_id}, '
        '"keys": ["k1", "k2"], "session": "elsewhere", "actor": "bob"}',
    )
    event = wait_for(lambda: heard.of("annotation"))[0]
    assert (event.document_id, event.keys, event.actor) == (document_id, ("k1", "k2"), "bob")
    assert len(heard.events) == 1


def test_another_stores_writes_arrive_and_ones_own_do_not(pair, listening):
    first, second, document_id = pair
    _, heard = listening
    actor = first.label_by_name("Actor").id
    mine = first.add_span(document_id, actor, first.ensure_annotator("alice").id, 0, 16)
    theirs = second.add_span(document_id, actor, second.ensure_annotator("bob").id, 17, 19)
    assert theirs.text == "👍🏽"
    events = wait_for(lambda: heard.of("annotation"))
    assert [(e.op, e.document_id, e.keys) for e in events] == [
        ("insert", document_id, (theirs.uuid,))
    ]
    time.sleep(0.3)  # one's own insert, committed first, was not heard later either
    assert all(mine.uuid not in (e.keys or ()) for e in heard.of("annotation"))

    second.delete_spans([theirs.uuid])
    wait_for(lambda: any(e.op == "delete" for e in heard.of("annotation")))
    label = second.update_label(actor, colour="#123456")
    assert label.colour == "#123456"
    wait_for(lambda: heard.of("label"))
    second.set_document_status(document_id, second.ensure_annotator("bob").id, "done")
    wait_for(lambda: heard.of("document_state"))


def test_presence_says_who_works_on_which_document(pair, listening):
    first, second, document_id = pair
    listener, _ = listening
    assert [p.annotator for p in second.presence()] == ["alice"]
    listener.set_document(document_id)
    wait_for(lambda: second.presence() and second.presence()[0].document_id == document_id)
    (row,) = second.presence()
    assert (row.annotator, row.session) == ("alice", listener.session)

    # A second window hears the first one's presence change.
    heard = Heard()
    other = Listener(second, heard.on_events, heard.on_state, annotator="bob")
    other.start()
    try:
        wait_for(lambda: other.connected)
        listener.set_document(None)
        event = wait_for(lambda: heard.of("presence"))[0]
        assert (event.actor, event.document_id) == ("alice", None)
        assert sorted(p.annotator for p in first.presence()) == ["alice", "bob"]
    finally:
        other.stop()
    listener.stop()
    assert first.presence() == []


def test_presence_on_sqlite_is_empty(tmp_path):
    with Store.open(str(tmp_path / "project.db")) as store:
        assert store.presence() == []


def test_a_dropped_connection_is_reported_and_made_again(pair, listening):
    first, second, document_id = pair
    listener, heard = listening
    pid = listener.pid
    with psycopg.connect(conninfo_of(first), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    wait_for(lambda: heard.states and heard.states[0][0] is False)
    assert heard.states[0][1]  # says why
    wait_for(lambda: (True, "") in heard.states)
    assert listener.pid != pid
    # Listening again: a change made after the reconnection arrives.
    actor = second.label_by_name("Actor").id
    span = second.add_span(document_id, actor, second.ensure_annotator("bob").id, 0, 6)
    wait_for(lambda: any(span.uuid in (e.keys or ()) for e in heard.of("annotation")))
    assert [p.session for p in second.presence()] == [listener.session]


def test_stop_is_prompt(pair, listening):
    listener, _ = listening
    assert listener.is_running
    listener.stop(timeout=1.0)  # its wait for notifications is short: it ends within this
    assert not listener.is_running
    assert not listener.connected
