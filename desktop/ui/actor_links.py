"""Linking actor spans to canonical actors in the document view.

With an Actor span selected, Ctrl+K opens a picker of the actors of its label, ranked by how
well their names and aliases match what is typed (the span's own text to begin with): ↑/↓
choose, Enter links, Ctrl+N makes a new actor of the span, Ctrl+Backspace unlinks it, Esc
cancels. Ctrl+Shift+K makes a new actor of the span at once. The span panel shows the
selected span's actor with the same three choices as buttons. Each link, unlink and new
actor is one command on the undo stack.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.records import ActorSummary, SpanRecord
from db.store import StoreError
from desktop import commands
from desktop.commands import short
from desktop.review.actors import create_actor_from_span
from desktop.ui.document_view import ACTOR_LABEL
from desktop.ui.workers import Job, keep_from_collector

LINK_KEY = "Ctrl+K"
NEW_KEY = "Ctrl+Shift+K"
SHOWN = 20  # actors the picker lists for a query, best first: two screens of its list
UUID_ROLE = Qt.ItemDataRole.UserRole


def takes_actor(span: SpanRecord) -> bool:
    """Whether a span names an actor: one of the Actor label, or one already linked."""
    return span.label.lower() == ACTOR_LABEL or span.entity_uuid is not None


class ActorListModel(QAbstractListModel):
    """The picker's list: the actors ranked for the query, as (summary, score)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[ActorSummary] = []
        self.linked: str | None = None  # the actor the span links to now: marked ✓

    def set_rows(self, rows: list[ActorSummary]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def actor(self, row: int) -> ActorSummary:
        return self._rows[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        actor = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            mark = "✓ " if actor.uuid == self.linked else ""
            kind = f" · {actor.type}" if actor.type else ""
            also = f" — also {_joined(actor.aliases)}" if actor.aliases else ""
            return f"{mark}{actor.name}{kind}{also}"
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [actor.name + (f" ({actor.type})" if actor.type else "")]
            if actor.aliases:
                lines.append("also: " + ", ".join(actor.aliases))
            if actor.description:
                lines.append(actor.description)
            return "\n".join(lines)
        if role == UUID_ROLE:
            return actor.uuid
        return None


class ActorQueryEdit(QLineEdit):
    """The picker's query. The arrows move in the list, Enter links, Ctrl+N makes a new
    actor, Ctrl+Backspace unlinks, Esc closes; the rest is typing."""

    #: ↑/↓, Page Up/Down: move the current row by this many
    moved = Signal(int)
    linkRequested = Signal()
    newRequested = Signal()
    unlinkRequested = Signal()
    cancelled = Signal()

    def event(self, event) -> bool:  # noqa: A003 - Qt override
        # Ctrl+N is New project in the window, Ctrl+Backspace deletes a word here: both
        # mean the picker's own actions while it has the keyboard.
        if event.type() == QEvent.Type.ShortcutOverride and self._own_key(event) is not None:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        own = self._own_key(event)
        if own is not None:
            own.emit()
            return
        key = event.key()
        steps = {
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_PageDown: 8,
            Qt.Key.Key_PageUp: -8,
        }
        if key in steps and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.moved.emit(steps[key])
            return
        super().keyPressEvent(event)

    def _own_key(self, event) -> Signal | None:
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        control = Qt.KeyboardModifier.ControlModifier
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not modifiers:
            return self.linkRequested
        if key == Qt.Key.Key_Escape and not modifiers:
            return self.cancelled
        if key == Qt.Key.Key_N and modifiers == control:
            return self.newRequested
        if key == Qt.Key.Key_Backspace and modifiers == control:
            return self.unlinkRequested
        return None


class ActorPicker(QFrame):
    """A popup by the selected span: a query, the actors it ranks, and New actor / Unlink."""

    #: Enter or a double-click: link the span to this actor (uuid)
    linkChosen = Signal(str)
    #: Ctrl+N or New actor
    newRequested = Signal()
    #: Ctrl+Backspace or Unlink
    unlinkRequested = Signal()
    #: Esc: closed with nothing done
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("actor-picker")
        self.index = None  # desktop.nlp.actors.ActorIndex of the span's label
        self.actors: dict[str, ActorSummary] = {}
        self.title = QLabel("", self)
        self.title.setWordWrap(True)
        self.query = ActorQueryEdit(self)
        self.query.setPlaceholderText("A name or alias")
        self.model = ActorListModel(self)
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)  # rows are not measured one by one
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the query
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)  # the aliases' tail goes
        self.empty = QLabel("", self)
        self.empty.setWordWrap(True)
        self.hint = QLabel(
            "↑↓ choose · Enter links · Ctrl+N new actor · Ctrl+Backspace unlinks · Esc", self
        )
        self.hint.setStyleSheet("color: #555;")
        self.new = QPushButton("New actor", self)
        self.new.setToolTip("A new actor named by the span's text, linked to it (Ctrl+N)")
        self.unlink = QPushButton("Unlink", self)
        self.unlink.setToolTip("The span names no actor (Ctrl+Backspace)")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.new, self.unlink):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.query)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        self.resize(520, 340)
        self.query.textEdited.connect(self.rank)
        self.query.moved.connect(self._on_query_moved)
        self.query.linkRequested.connect(self._on_query_link_requested)
        self.query.newRequested.connect(self.newRequested)
        self.query.unlinkRequested.connect(self._on_query_unlink_requested)
        self.query.cancelled.connect(self._on_query_cancelled)
        self.list.activated.connect(self._on_list_activated)
        self.new.clicked.connect(self.newRequested)
        self.unlink.clicked.connect(self.unlinkRequested)

    # --- public API --------------------------------------------------------------------------

    def open_for(self, span: SpanRecord, index, actors: dict[str, ActorSummary], at: QRect) -> None:
        """Show the actors ``index`` ranks for the span's text by the span (``at``: its
        rectangle on screen), with that text selected, so that typing replaces it."""
        self.index = index
        self.actors = actors
        self.model.linked = span.entity_uuid
        linked = actors.get(span.entity_uuid) if span.entity_uuid else None
        now = f" (now “{short(linked.name)}”)" if linked else ""
        self.title.setText(f"Link <b>“{short(span.text)}”</b> to an actor{now}")
        self.unlink.setVisible(span.entity_uuid is not None)
        query = " ".join(span.text.split())
        self.query.setText(query)
        self.query.selectAll()
        self.rank(query)
        self._place(at)
        self.show()
        self.raise_()
        self.query.setFocus(Qt.FocusReason.PopupFocusReason)

    def rank(self, query: str) -> None:
        """List the actors that best match ``query`` and make the best the current row."""
        found = self.index.rank(query, SHOWN) if self.index is not None else []
        self.model.set_rows([self.actors[uuid] for uuid, _ in found if uuid in self.actors])
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0, 0))
            self.empty.hide()
        else:
            self.empty.setText(
                "No actor matches: Ctrl+N makes a new one"
                if self.actors
                else "No actors yet: Ctrl+N makes the first from this span"
            )
            self.empty.show()

    def current_actor(self) -> ActorSummary | None:
        index = self.list.currentIndex()
        return self.model.actor(index.row()) if index.isValid() else None

    # --- slots -------------------------------------------------------------------------------

    def _on_query_moved(self, step: int) -> None:
        count = self.model.rowCount()
        if not count:
            return
        row = self.list.currentIndex().row()
        row = min(max(0, (row if row >= 0 else -1) + step), count - 1)
        self.list.setCurrentIndex(self.model.index(row, 0))

    def _on_query_link_requested(self) -> None:
        actor = self.current_actor()
        if actor is not None:
            self.linkChosen.emit(actor.uuid)

    def _on_query_unlink_requested(self) -> None:
        if self.unlink.isVisible():
            self.unlinkRequested.emit()

    def _on_query_cancelled(self) -> None:
        self.close()
        self.cancelled.emit()

    def _on_list_activated(self, index: QModelIndex) -> None:
        self.linkChosen.emit(self.model.actor(index.row()).uuid)

    # --- helpers -----------------------------------------------------------------------------

    def _place(self, at: QRect) -> None:
        """Just below the span, or above it when there is no room below."""
        screen = self.screen().availableGeometry() if self.screen() else None
        position = QPoint(at.left(), at.bottom() + 6)
        if screen is not None:
            if position.y() + self.height() > screen.bottom():
                position.setY(at.top() - self.height() - 6)
            position.setX(min(max(screen.left(), position.x()), screen.right() - self.width()))
            position.setY(max(screen.top(), position.y()))
        self.move(position)


class ActorLinks(QObject):
    """Links the view's actor spans to canonical actors: the picker, the keys, the span
    panel's actor line and the hover text's actor."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.view = window.view
        self.line = window.spans.actor
        # The picker's ranking and the actors it lists, by label (lower case): made when
        # the picker first opens for a label, made again after actors change.
        self._indexes: dict[str, tuple[object, dict[str, ActorSummary]]] = {}
        # Moves on whenever actors change: an index made in the background for an earlier
        # generation is not used.
        self._generation = 0
        self._index_job: Job | None = None
        self._span: SpanRecord | None = None  # the span the picker is open for
        self.picker = ActorPicker(window)
        self.picker.linkChosen.connect(self._on_picker_link_chosen)
        self.picker.newRequested.connect(self._on_picker_new_requested)
        self.picker.unlinkRequested.connect(self._on_picker_unlink_requested)
        self.picker.cancelled.connect(self._on_picker_cancelled)
        self.view.actor_of = self._actor_of
        session = self.session
        session.actorsChanged.connect(self._on_session_actors_changed)
        session.changed.connect(self._on_session_changed)
        session.documentOpened.connect(self._on_session_document_opened)
        session.layersChanged.connect(self.show_selected)
        self.view.spanSelected.connect(self.show_selected)
        self.line.linkRequested.connect(self.open_picker)
        self.line.unlinkRequested.connect(self.unlink_selected)
        self.line.newRequested.connect(self.new_actor_from_selected)

    # --- public API --------------------------------------------------------------------------

    def open_picker(self) -> None:
        """Ctrl+K: the picker for the selected span."""
        span = self._actor_span()
        if span is None:
            return
        try:
            index, actors = self.index_of(span.label)
        except StoreError as exc:
            self.session.report_read_failure(exc, "No actor was linked.", None)
            return
        self._span = span
        self.picker.open_for(span, index, actors, self._span_rect(span))

    def new_actor_from_selected(self) -> None:
        """Ctrl+Shift+K: a new actor named by the selected span's text, linked to it."""
        span = self._actor_span()
        if span is not None:
            self.new_actor(span)

    def unlink_selected(self) -> None:
        span = self._actor_span()
        if span is not None:
            self.unlink(span)

    def link(self, span: SpanRecord, entity_uuid: str) -> bool:
        """Link a span to an actor: one step on the undo stack."""
        if span.entity_uuid == entity_uuid:
            self.session.message.emit(f"“{short(span.text)}” links to that actor already", 3000)
            return False
        actor = self.session.actor(entity_uuid)
        name = actor.name if actor is not None else "an actor"
        return self.session.execute(
            commands.UpdateSpans(
                self.session.store,
                [span],
                f"Link “{short(span.text)}” to “{short(name)}”",
                entity_uuid=entity_uuid,
            )
        )

    def unlink(self, span: SpanRecord) -> bool:
        if span.entity_uuid is None:
            self.session.message.emit(f"“{short(span.text)}” links to no actor", 3000)
            return False
        actor = self.session.actor(span.entity_uuid)
        name = f" from “{short(actor.name)}”" if actor is not None else ""
        return self.session.execute(
            commands.UpdateSpans(
                self.session.store,
                [span],
                f"Unlink “{short(span.text)}”{name}",
                entity_uuid=None,
            )
        )

    def new_actor(self, span: SpanRecord) -> bool:
        try:
            command = create_actor_from_span(self.session.store, span)
        except StoreError as exc:
            self.session.report_write_failure(
                exc, "No actor was made.", lambda: self.new_actor(span)
            )
            return False
        return self.session.execute(command)

    def index_of(self, label: str):
        """(ActorIndex, actors by uuid) of a label's actors (and those of no label)."""
        key = label.lower()
        if key not in self._indexes:
            from desktop.nlp.actors import ActorIndex  # rapidfuzz: when first asked for

            summaries = self.session.store.actor_summaries(label)
            index = ActorIndex((s.uuid, s.name, s.aliases) for s in summaries)
            self._indexes[key] = (index, {s.uuid: s for s in summaries})
            keep_from_collector()
        return self._indexes[key]

    def show_selected(self, *_args) -> None:
        """The span panel's actor line for the selected span."""
        span = self.view.selected_span()
        if span is None or not takes_actor(span):
            self.line.show_actor(False)
            return
        editable = self.session.editable(span)
        actor = self.session.actor(span.entity_uuid) if span.entity_uuid else None
        if actor is None:
            self.line.show_actor(True, linked=span.entity_uuid is not None, editable=editable)
            return
        self.line.show_actor(
            True, actor.name, actor.type, actor.aliases, linked=True, editable=editable
        )

    # --- slots -------------------------------------------------------------------------------

    def _on_picker_link_chosen(self, entity_uuid: str) -> None:
        span = self._picked_span()
        if span is not None:
            self.link(span, entity_uuid)

    def _on_picker_new_requested(self) -> None:
        span = self._picked_span()
        if span is not None:
            self.new_actor(span)

    def _on_picker_unlink_requested(self) -> None:
        span = self._picked_span()
        if span is not None:
            self.unlink(span)

    def _on_picker_cancelled(self) -> None:
        self._span = None
        self._back_to_text()

    def _on_session_actors_changed(self, _change) -> None:
        labels = list(self._indexes)
        self._indexes.clear()
        self._generation += 1
        if labels:
            self._prepare_indexes(labels)
        self.show_selected()

    def _prepare_indexes(self, labels: list[str]) -> None:
        """Make again, off the GUI thread, the rankings the picker has used, so that the next
        Ctrl+K opens at once (10,000 actors take a fifth of a second to index). Should it
        fail or come late, the picker makes its own when it opens."""
        generation = self._generation
        store = self.session.store

        def work(_progress) -> dict[str, tuple[object, dict[str, ActorSummary]]]:
            from desktop.nlp.actors import ActorIndex

            built = {}
            for key in labels:
                summaries = store.actor_summaries(key)
                index = ActorIndex((s.uuid, s.name, s.aliases) for s in summaries)
                built[key] = (index, {s.uuid: s for s in summaries})
            return built

        def adopt(built) -> None:
            if generation == self._generation:
                for key, value in built.items():
                    self._indexes.setdefault(key, value)
                keep_from_collector()

        job = Job(work, owner=self)
        job.succeeded.connect(adopt)
        self._index_job = job
        job.start()

    def _on_session_changed(self, change) -> None:
        selected = self.view.selected_span()
        if selected is not None and any(
            record.uuid == selected.uuid for record in change.added + change.updated
        ):
            self.show_selected()

    def _on_session_document_opened(self, _document) -> None:
        self.picker.close()
        self._span = None
        self.show_selected()

    # --- helpers -----------------------------------------------------------------------------

    def _actor_span(self) -> SpanRecord | None:
        """The selected span, if it is an actor span the analyst may link; else says why."""
        span = self.view.selected_span()
        if span is None:
            self.session.message.emit(
                "Select an Actor span first (click it, or Tab to it), then Ctrl+K", 4000
            )
            return None
        if not takes_actor(span):
            self.session.message.emit(
                f"A {span.label} span names no actor: only Actor spans link to one", 4000
            )
            return None
        if not self.session.editable(span):
            self.session.failed.emit(
                "Only your own spans can be linked to actors; another annotator's stay as they are"
            )
            return None
        return span

    def _picked_span(self) -> SpanRecord | None:
        """The span the picker was opened for, as the view holds it now; the picker closes
        and the keyboard goes back to the text."""
        self.picker.close()
        self._back_to_text()
        span = self._span
        self._span = None
        if span is None:
            return None
        current = self.view.view_span(span.uuid)
        return current.record if current is not None else None

    def _back_to_text(self) -> None:
        """The keyboard back in the document, in the window the picker popped up from."""
        self.window.activateWindow()
        self.view.setFocus(Qt.FocusReason.PopupFocusReason)

    def _actor_of(self, entity_uuid: str) -> tuple[str, str | None] | None:
        actor = self.session.actor(entity_uuid)
        return (actor.name, actor.type) if actor is not None else None

    def _span_rect(self, span: SpanRecord) -> QRect:
        """The span's first line on screen (the view scrolls it into sight first)."""
        view = self.view
        view.select_span(span.uuid, reveal=True)
        cursor = QTextCursor(view.document())
        cursor.setPosition(view.offsets.to_qt(span.start))
        rect = view.cursorRect(cursor)
        cursor.setPosition(view.offsets.to_qt(span.end))
        end = view.cursorRect(cursor)
        if end.top() == rect.top():
            rect = rect.united(end)
        top_left = view.viewport().mapToGlobal(rect.topLeft())
        return QRect(top_left, rect.size())


def install_actor_links(window) -> ActorLinks:
    """Actor linking in the window: the picker (Ctrl+K) and New actor from span
    (Ctrl+Shift+K) in the Document menu, the span panel's actor line, the hover text."""
    links = ActorLinks(window)
    menu = window.document_menu
    menu.addSeparator()
    links.link_action = _action(window, "&Link span to actor…", links.open_picker, LINK_KEY)
    links.new_action = _action(
        window, "New actor from &span", links.new_actor_from_selected, NEW_KEY
    )
    menu.addActions([links.link_action, links.new_action])
    return links


def _action(window, text: str, slot, key: str) -> QAction:
    action = QAction(text, window)
    action.setShortcut(QKeySequence(key))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)
    return action


def _joined(names: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" +{len(names) - limit}" if len(names) > limit else "")
