"""Live updates on PostgreSQL: a background connection that listens for the changes other
sessions commit to the project and keeps this session's row of who works on what.

The database's triggers (migration 0006) ``pg_notify('dossier:<schema>', payload)`` once
per statement and document; a :class:`Listener` hands what it hears to a callback as
:class:`LiveEvent` batches, from its own thread. No Qt here: the window turns the batches
into redraws (``desktop.ui.live``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "dossier:"
# What the triggers (and listeners' presence) notify about; anything else is not Dossier's.
TABLES = frozenset(
    {
        "annotation",
        "relation",
        "label",
        "review_decision",
        "document_state",
        "document",
        "entity",
        "presence",
    }
)
WAIT = 0.25  # s a wait for notifications lasts: how soon stop() and set_document() are seen
IDLE_CHECK = 3.0  # s without traffic before the server is asked whether it is still there
BACKOFF = (0.2, 0.5, 1.0, 2.0, 3.0)  # s between attempts to reconnect; the last repeats
LISTENER_APP = "dossier-live"  # application_name of a listening connection, before the session


@dataclass(frozen=True)
class LiveEvent:
    """One notification: ``table`` changed by ``op`` in document ``document_id`` (None for
    labels and actors); ``keys`` are the uuids of the spans or relations changed (None:
    too many, read the document again); ``session`` and ``actor`` say who changed it."""

    table: str
    op: str
    document_id: int | None
    keys: tuple[str, ...] | None
    session: str
    actor: str


def parse_event(payload: str) -> LiveEvent | None:
    """The event a notification's payload describes; None for one that is not Dossier's
    (not JSON, not an object, an unknown table, fields of the wrong kind)."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    table, op = data.get("table"), data.get("op")
    if table not in TABLES or not isinstance(op, str):
        return None
    document = data.get("document")
    if isinstance(document, bool) or not (document is None or isinstance(document, int)):
        return None
    keys = data.get("keys")
    if keys is not None:
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            return None
        keys = tuple(keys)
    session, actor = data.get("session") or "", data.get("actor") or ""
    if not isinstance(session, str) or not isinstance(actor, str):
        return None
    return LiveEvent(table, op, document, keys, session, actor)


def channel_for(connection: Any) -> str:
    """The channel a project's changes are announced on: ``dossier:<schema>``.

    ``connection``: a SQLAlchemy connection or a psycopg one, on the project's schema.
    """
    query = "SELECT current_schema()"
    if hasattr(connection, "exec_driver_sql"):
        schema = connection.exec_driver_sql(query).scalar()
    else:
        schema = connection.execute(query).fetchone()[0]
    return f"{CHANNEL_PREFIX}{schema}"


def conninfo_of(store) -> str:
    """The libpq connection string of a store's PostgreSQL URL, with its password and its
    options (the tests' ``search_path``) kept."""
    url = store.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Listener:
    """A daemon thread with its own autocommit connection that LISTENs on the project's
    channel and keeps this session's presence row.

    ``on_events`` gets each batch of events (the store's own session's left out);
    ``on_state(False, reason)`` says the connection was lost, ``on_state(True, "")`` that
    it is back after a loss (events may have been missed meanwhile). Both are called from
    the listener's thread.
    """

    def __init__(
        self,
        store,
        on_events: Callable[[list[LiveEvent]], None],
        on_state: Callable[[bool, str], None],
        *,
        annotator: str,
    ):
        self.store = store
        self.session = getattr(store, "session", "") or ""
        self.annotator = annotator
        self.on_events = on_events
        self.on_state = on_state
        self._conninfo = conninfo_of(store)
        self._stop = threading.Event()
        self._nudge = threading.Event()  # cuts a wait between two attempts short
        self._up = threading.Event()  # set while connected
        self._lost = False
        self._document: int | None = None
        self._presence_due = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = False
        #: the server's process id of the listening connection (None while disconnected)
        self.pid: int | None = None
        self.channel: str | None = None

    # --- public API ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="dossier-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop listening: the presence row goes and the connection closes (within about
        a quarter of a second)."""
        self._stop.set()
        self._nudge.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def is_running(self) -> bool:
        """Whether the listening thread is still alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def lost(self) -> bool:
        """Whether the connection was lost and is not yet made again (False before the
        first connection, while it is being made)."""
        return self._lost

    def wake(self) -> None:
        """Try to reconnect now rather than at the end of the current wait."""
        self._nudge.set()

    def wait_connected(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the connection; whether it is made."""
        return self._up.wait(timeout)

    def set_document(self, document_id: int | None) -> None:
        """Say which document this session works on (None: none); written by the
        listening thread at its next turn."""
        self._document = document_id
        self._presence_due.set()

    # --- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            connection = None
            try:
                connection = self._connect()
                self._up.set()
                if self._lost:
                    self._lost = False
                    self._call(self.on_state, True, "")
                attempt = 0
                self._listen(connection)
            except Exception as exc:  # psycopg's errors, and a server gone mid-packet
                self._up.clear()
                self.connected = False
                self.pid = None
                if self._stop.is_set():
                    break
                if not self._lost:
                    self._lost = True
                    self._call(self.on_state, False, _reason(exc))
                self._nudge.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                self._nudge.clear()
                attempt += 1
            finally:
                if connection is not None:
                    self._leave(connection)

    def _connect(self):
        import psycopg
        from psycopg import sql

        connection = psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=3,
            application_name=f"{LISTENER_APP} {self.session}",
            # A server that vanished without a word (a cable, a sleeping laptop) is noticed.
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=2,
        )
        try:
            self.channel = channel_for(connection)
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.pid = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
            self._write_presence(connection)
        except BaseException:
            connection.close()
            raise
        self.connected = True
        return connection

    def _listen(self, connection) -> None:
        quiet_since = time.monotonic()
        while not self._stop.is_set():
            if self._presence_due.is_set():
                self._write_presence(connection)
            notes = list(connection.notifies(timeout=WAIT, stop_after=1))
            if notes:
                notes += list(connection.notifies(timeout=0))  # the rest of the packet
                quiet_since = time.monotonic()
                events = [event for event in map(self._event_of, notes) if event is not None]
                if events:
                    self._call(self.on_events, events)
            elif time.monotonic() - quiet_since > IDLE_CHECK:
                connection.execute("SELECT 1")
                quiet_since = time.monotonic()

    def _event_of(self, note) -> LiveEvent | None:
        event = parse_event(note.payload)
        if event is None or (self.session and event.session == self.session):
            return None
        return event

    def _write_presence(self, connection) -> None:
        self._presence_due.clear()
        document = self._document
        with connection.transaction():
            connection.execute(
                "INSERT INTO presence (session, annotator, document_id, pid, seen_at) "
                "VALUES (%s, %s, %s, pg_backend_pid(), %s) ON CONFLICT (session) DO UPDATE "
                "SET annotator = EXCLUDED.annotator, document_id = EXCLUDED.document_id, "
                "pid = EXCLUDED.pid, seen_at = EXCLUDED.seen_at",
                (self.session, self.annotator, document, _now()),
            )
            self._announce(connection, "update", document)

    def _announce(self, connection, op: str, document: int | None) -> None:
        payload = {
            "table": "presence",
            "op": op,
            "document": document,
            "keys": None,
            "session": self.session,
            "actor": self.annotator,
        }
        connection.execute(
            "SELECT pg_notify(%s, %s)", (self.channel, orjson.dumps(payload).decode())
        )

    def _leave(self, connection) -> None:
        """Take the presence row away (when stopping) and close the connection."""
        try:
            if self._stop.is_set() and not connection.closed and self.connected:
                with connection.transaction():
                    connection.execute("DELETE FROM presence WHERE session = %s", (self.session,))
                    self._announce(connection, "delete", None)
        except Exception:  # a dead connection: its row is stale, and ignored, anyway
            pass
        finally:
            self.connected = False
            self._up.clear()
            connection.close()

    def _call(self, callback, *args) -> None:
        try:
            callback(*args)
        except Exception:  # a failing receiver must not end the listening
            log.exception("live update callback failed")
