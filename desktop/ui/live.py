"""Live updates in the window: colleagues' changes on a PostgreSQL project redrawn as they
are committed, who works on which document in the list, and a bar while the connection to
the server is lost (what the window shows is read-only until it is back).

The listening itself is Qt-free (``db.live``); this module hands its events to the GUI
thread, gathers those of a tenth of a second and redraws only what they touched.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QVBoxLayout, QWidget

from db.live import Listener, LiveEvent
from db.store import StoreError, UnavailableError
from desktop.commands import Change
from desktop.ui.failure_bar import Failure

GATHER_MS = 100  # events of this long are applied together
CATCH_UP = 1.0  # s an edit waits for a listener woken because the server answers again
LOST = "Connection to the server lost — reconnecting… What you see is read-only until then."
LOST_EDIT = "the connection to the server is lost, and what you see is read-only until it is back"
SPAN_TABLES = frozenset({"annotation", "relation"})
STYLE = """
ConnectionBar { background: #FDE2E1; border-bottom: 1px solid #C62828; }
ConnectionBar QLabel { color: #5C1010; background: transparent; }
"""


class ConnectionBar(QFrame):
    """Above the document while the connection to the server is lost; it goes by itself
    when the connection is back (there is nothing to press)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("connection-bar")
        self.setStyleSheet(STYLE)
        self.setAccessibleName("Connection lost")
        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload).pixmap(size)
        )
        self.text = QLabel(LOST, self)
        self.text.setWordWrap(True)
        self.detail = QLabel(self)
        self.detail.setStyleSheet("font-size: 8pt; color: #7A2A2A;")
        self.detail.setWordWrap(True)
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.text)
        words.addWidget(self.detail)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(icon)
        row.addLayout(words, 1)
        self.hide()

    def show_lost(self, reason: str) -> None:
        self.detail.setText(f"The server said: {reason}" if reason else "")
        self.detail.setVisible(bool(reason))
        self.detail.setToolTip(reason)
        self.show()


class LiveUpdates(QObject):
    """Listens while the window is open on a PostgreSQL project (on SQLite nothing else
    writes the project while the window is open, and nothing is started)."""

    #: a batch of events, from the listener's thread (list of LiveEvent)
    _eventsHeard = Signal(object)
    #: the connection was lost (False, why) or is back (True, ""), from the listener's thread
    _stateHeard = Signal(bool, str)
    #: events were applied to the window (the events): tests and panels wait on it
    applied = Signal(object)
    #: the connection was lost (False) or is back and the window reloaded (True)
    connectionChanged = Signal(bool)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.store = window.store
        self.bar = ConnectionBar(window.centralWidget())
        window.centralWidget().layout().insertWidget(0, self.bar)
        self.listener: Listener | None = None
        self._pending: list[LiveEvent] = []
        self._gather = QTimer(self)
        self._gather.setSingleShot(True)
        self._gather.setInterval(GATHER_MS)
        self._gather.timeout.connect(self._on_gather_timeout)
        self._eventsHeard.connect(self._on_events_heard, Qt.ConnectionType.QueuedConnection)
        self._stateHeard.connect(self._on_state_heard, Qt.ConnectionType.QueuedConnection)
        self.session.documentOpened.connect(self._on_session_document_opened)
        if self.store.dialect == "postgresql":
            self.listener = Listener(
                self.store,
                self._eventsHeard.emit,
                self._stateHeard.emit,
                annotator=self.session.annotator.name,
            )
            document = self.session.document
            self.listener.set_document(document.id if document is not None else None)
            self.listener.start()
            self.session.before_edit = self.check_writable
            self.refresh_presence()

    # --- public API ----------------------------------------------------------------------

    @property
    def lost(self) -> bool:
        """Whether the connection to the server is lost (what is shown is read-only)."""
        return self.listener is not None and self.listener.lost

    def check_writable(self) -> None:
        """Before an edit: refuse it (UnavailableError) while the connection is lost.

        A server that answers again is given a moment for the listener to reconnect (the
        analyst pressed Retry as soon as the failure bar said it was back)."""
        listener = self.listener
        if listener is None or not listener.lost:
            return
        self.store.ping()  # a server still down says why, in its own words
        listener.wake()
        if not listener.wait_connected(CATCH_UP):
            raise UnavailableError(LOST_EDIT)

    def stop(self) -> None:
        """Stop listening (the window closes); the presence row goes with it."""
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
            self.session.before_edit = None
        self._gather.stop()

    def refresh_presence(self) -> bool:
        """Show in the document list who else works on which document."""
        if self.listener is None:
            return False
        try:
            rows = self.store.presence()
        except StoreError:
            return False  # the connection bar, or the next read, says what is wrong
        own = self.listener.session
        working: dict[int, list[str]] = {}
        for row in rows:
            if row.session != own and row.document_id is not None:
                names = working.setdefault(row.document_id, [])
                if row.annotator not in names:
                    names.append(row.annotator)
        self.window.documents.show_presence(working)
        return True

    def apply(self, events: list[LiveEvent]) -> None:
        """Redraw what ``events`` touched, and only that."""
        tables = {event.table for event in events}
        document = self.session.document
        open_id = document.id if document is not None else None
        if "document" in tables:
            self._documents_changed(events, open_id)
            document = self.session.document
            open_id = document.id if document is not None else None
        if "label" in tables:
            self.session.reload_labels()  # the spans are redrawn in their new colours
        elif open_id is not None:
            here = [e for e in events if e.table in SPAN_TABLES and e.document_id == open_id]
            if here:
                self._spans_changed(open_id, here)
        elsewhere = {
            e.document_id
            for e in events
            if e.table in SPAN_TABLES | {"document_state"}
            and e.document_id is not None
            and e.document_id != open_id
        }
        if elsewhere:
            self.window.documents.model.forget_rows(elsewhere)
        if open_id is not None and any(
            e.table == "document_state" and e.document_id == open_id for e in events
        ):
            self._progress_changed(open_id)
        if "review_decision" in tables and self.window.review.review is not None:
            self.window.review.compare_again()
        if "entity" in tables and self.window.actors_dock.dock.isVisible():
            self.window.actors.refresh()
        if "presence" in tables:
            self.refresh_presence()
        self.applied.emit(events)

    # --- applying ------------------------------------------------------------------------

    def _spans_changed(self, document_id: int, events: list[LiveEvent]) -> None:
        """Read again the spans and relations the events name, and redraw them."""
        spans = [e for e in events if e.table == "annotation"]
        if any(e.keys is None for e in spans):
            self.session.reload_spans()  # too many to name: the whole document again
            spans = []
        change = Change(document_id)
        keys = sorted({key for e in spans for key in e.keys or ()})
        try:
            if keys:
                records = {r.uuid: r for r in self.store.spans_by_uuid(keys)}
                view = self.session.view
                for key in keys:
                    record = records.get(key)
                    if record is None or record.document_id != document_id:
                        if view.view_span(key) is not None:
                            change.removed.append(key)
                    elif view.view_span(key) is not None:
                        change.updated.append(record)
                    else:
                        change.added.append(record)
            if any(e.table == "relation" for e in events):
                self._relations_changed(document_id, change)
        except StoreError as exc:
            self.session.report_read_failure(
                exc, "The spans shown may be out of date.", self.session.reload_spans
            )
            return
        if (
            change.added
            or change.updated
            or change.removed
            or change.relations_added
            or change.relations_removed
        ):
            self.session.show_change(change)

    def _relations_changed(self, document_id: int, change: Change) -> None:
        current = {r.uuid: r for r in self.store.relations(document_id)}
        shown = {r.uuid: r for r in self.session.view.arcs.all()}
        change.relations_removed.extend(key for key in shown if key not in current)
        change.relations_added.extend(
            relation for key, relation in current.items() if shown.get(key) != relation
        )

    def _progress_changed(self, document_id: int) -> None:
        try:
            status = self.store.document_status(document_id, self.session.annotator.id)
        except StoreError:
            return
        self.window.header.show_status(status)
        self.window.documents.model.update_document(document_id, status=status)

    def _documents_changed(self, events: list[LiveEvent], open_id: int | None) -> None:
        """Documents were added or deleted: the list is read again; the open document, if
        it went, is closed with a word of why."""
        gone = open_id is not None and any(
            e.table == "document" and e.op == "delete" and e.document_id in (open_id, None)
            for e in events
        )
        if gone:
            try:
                self.store.document(open_id)
                gone = False
            except StoreError:
                pass
        if gone:
            who = next(
                (e.actor for e in events if e.table == "document" and e.actor), "a colleague"
            )
            self.session.open_document(None)
            self.window.show_failure(
                Failure(f"The document you had open was deleted by {who}. No document is shown.")
            )
        self.window.refresh_documents()

    def _reload_all(self) -> None:
        """After the connection came back: notifications were missed, so everything shown
        is read again (labels and the open document's spans, the list, who works where)."""
        self.session.reload_labels()
        self.window.refresh_documents()
        self.refresh_presence()
        if self.window.review.review is not None:
            self.window.review.compare_again()

    # --- slots ---------------------------------------------------------------------------

    def _on_events_heard(self, events: list[LiveEvent]) -> None:
        if self.listener is None:
            return
        self._pending.extend(events)
        if not self._gather.isActive():
            self._gather.start()

    def _on_gather_timeout(self) -> None:
        events, self._pending = self._pending, []
        if events and self.listener is not None:
            self.apply(events)

    def _on_state_heard(self, up: bool, reason: str) -> None:
        if self.listener is None:
            return
        if not up:
            self.bar.show_lost(reason)
            self.connectionChanged.emit(False)
            return
        self.bar.hide()
        self.session.fresh_connections()  # those kept for reuse died with the old ones
        self._pending.clear()
        self._reload_all()
        self.connectionChanged.emit(True)

    def _on_session_document_opened(self, document) -> None:
        if self.listener is not None:
            self.listener.set_document(document.id if document is not None else None)


def install_live_updates(window) -> LiveUpdates:
    """Live updates for the window (nothing runs on an SQLite project)."""
    return LiveUpdates(window)
