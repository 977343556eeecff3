"""The Actors dock: every canonical actor of the project, narrowed as one types, with its
mentions across the corpus; rename, aliases, type, description, merge, split and delete;
and the proposed spellings of one actor, accepted or rejected by key as in review mode.

Every edit is a command of ``desktop.review.actors`` run through the session, so Ctrl+Z
undoes it. The dock reads the actors again when they change (``Session.actorsChanged``), and
a moment after a span edit while it is shown (a span linked in the view changes counts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from operator import attrgetter

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db.records import ActorMention, ActorSummary
from db.store import StoreError
from desktop.review import actors as edits
from desktop.ui.actors_dock import FIND_ACTOR_KEY
from desktop.ui.table_models import ListTableModel
from desktop.ui.workers import Job

REFRESH_DELAY = 300  # ms after a span edit before the counts are read again
MENTIONS_SHOWN = 2000  # an actor's mentions listed at most
PICKER_ROWS = 50  # actors the "Into actor…" picker lists for a query
UUID_ROLE = Qt.ItemDataRole.UserRole

ACTOR_COLUMNS = ("Name", "Type", "Aliases", "Mentions", "Documents")
NAME, TYPE, ALIASES, MENTIONS, DOCUMENTS = range(5)
MENTION_COLUMNS = ("Document", "Before", "Mention", "After", "By")
DOCUMENT, BEFORE, MENTION, AFTER, BY = range(5)
PROPOSAL_COLUMNS = ("Names", "Score", "Actors")
NAMES, SCORE, ACTORS = range(3)

_SPACE = re.compile(r"\s+")


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text)


def _fold(text: str) -> str:
    # The suggestion engine loads rapidfuzz and anyascii: imported when the dock first
    # reads actors, not when the window opens.
    from desktop.nlp.actors import fold

    return fold(text)


# --- models ----------------------------------------------------------------------------------


def _may_change_counts(change, actor_label) -> bool:
    """Whether a span edit may change an actor's mentions: a linked span added, changed or
    deleted, or an Actor span changed (it may have been unlinked). Tagging claims and events,
    or a new Actor span not yet linked, leaves the counts as they are."""
    if change.removed:
        return True
    if any(span.entity_uuid is not None for span in change.added + change.updated):
        return True
    actor_id = actor_label.id if actor_label is not None else None
    return any(span.label_id == actor_id for span in change.updated)


class ActorTableModel(QAbstractTableModel):
    """An adapter over the actor summaries: narrowed by a query (every word of it in a name
    or alias, compared folded: case, accents and punctuation aside) and sorted by a column."""

    #: the rows shown changed (shown, total)
    countsChanged = Signal(int, int)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._actors: list[ActorSummary] = []  # every actor, in the sort order
        self._keys: list[str] = []  # the folded name and aliases of each, one per line
        self._rows: list[int] = []  # the actors shown, as indices into _actors
        self._row_of: dict[str, int] = {}  # uuid: row shown
        self._words: list[str] = []
        self._sort = (NAME, Qt.SortOrder.AscendingOrder)
        self._folded: dict[str, str] = {}  # fold() of names met before, kept across reads
        self._by_uuid: dict[str, ActorSummary] = {}

    # --- public API --------------------------------------------------------------------------

    def set_actors(self, actors: Sequence[ActorSummary]) -> None:
        self.beginResetModel()
        self._actors = self._sorted(actors)
        self._keys = [self._key(actor) for actor in self._actors]
        self._rows = self._matching()
        self.endResetModel()
        self.countsChanged.emit(len(self._rows), len(self._actors))

    def set_filter(self, text: str) -> None:
        words = _fold(text).split()
        if words == self._words:
            return
        self.beginResetModel()
        self._words = words
        self._rows = self._matching()
        self.endResetModel()
        self.countsChanged.emit(len(self._rows), len(self._actors))

    def actor_at(self, row: int) -> ActorSummary:
        return self._actors[self._rows[row]]

    def row_of(self, uuid: str) -> int | None:
        return self._row_of.get(uuid)

    def actor(self, uuid: str) -> ActorSummary | None:
        return self._by_uuid.get(uuid)

    def all_actors(self) -> list[ActorSummary]:
        return list(self._actors)

    def total(self) -> int:
        return len(self._actors)

    # --- Qt overrides ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(ACTOR_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt override
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ACTOR_COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        actor = self.actor_at(index.row())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME:
                return actor.name
            if column == TYPE:
                return actor.type or ""
            if column == ALIASES:
                return " · ".join(actor.aliases)
            if column == MENTIONS:
                return actor.mentions
            if column == DOCUMENTS:
                return actor.documents
        elif role == Qt.ItemDataRole.ToolTipRole:
            if column == NAME and actor.description:
                return actor.description
            if column == ALIASES and actor.aliases:
                return "\n".join(actor.aliases)
        elif role == Qt.ItemDataRole.TextAlignmentRole and column in (MENTIONS, DOCUMENTS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == UUID_ROLE:
            return actor.uuid
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        uuids = [index.data(UUID_ROLE) for index in self.persistentIndexList()]
        self._sort = (column, order)
        order_of = {actor.uuid: key for actor, key in zip(self._actors, self._keys, strict=True)}
        self._actors = self._sorted(self._actors)
        self._keys = [order_of[actor.uuid] for actor in self._actors]
        self._rows = self._matching()
        old = self.persistentIndexList()
        new = []
        for index, uuid in zip(old, uuids, strict=True):
            row = self.row_of(uuid) if uuid is not None else None
            new.append(QModelIndex() if row is None else self.index(row, index.column()))
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    # --- helpers -----------------------------------------------------------------------------

    def _key(self, actor: ActorSummary) -> str:
        lines = []
        for text in (actor.name, *actor.aliases):
            folded = self._folded.get(text)
            if folded is None:
                folded = self._folded[text] = _fold(text)
            lines.append(folded)
        return "\n".join(lines)

    def _matching(self) -> list[int]:
        """The actors shown (and, as a side effect, the index of their rows)."""
        words = self._words
        if not words:
            rows = list(range(len(self._actors)))
        else:
            rows = [i for i, key in enumerate(self._keys) if all(word in key for word in words)]
        actors = self._actors
        self._row_of = {actors[index].uuid: row for row, index in enumerate(rows)}
        self._by_uuid = {actor.uuid: actor for actor in actors}
        return rows

    def _sorted(self, actors: Sequence[ActorSummary]) -> list[ActorSummary]:
        column, order = self._sort
        by_name = sorted(actors, key=lambda a: (a.name.casefold(), a.name, a.uuid))
        if column == TYPE:
            ordered = sorted(by_name, key=lambda a: (a.type is None, (a.type or "").casefold()))
        elif column == ALIASES:
            ordered = sorted(
                by_name, key=lambda a: (not a.aliases, [x.casefold() for x in a.aliases])
            )
        elif column == MENTIONS:
            ordered = sorted(by_name, key=attrgetter("mentions"))
        elif column == DOCUMENTS:
            ordered = sorted(by_name, key=attrgetter("documents"))
        else:
            ordered = by_name
        if order == Qt.SortOrder.DescendingOrder:
            ordered.reverse()
        return ordered


class MentionTableModel(ListTableModel):
    """An adapter over an actor's mentions: the document, the words before, the mention
    (bold) and the words after."""

    COLUMNS = MENTION_COLUMNS

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def set_mentions(self, mentions: Sequence[ActorMention]) -> None:
        self.set_items(mentions)

    def mention_at(self, row: int) -> ActorMention:
        return self.items[row]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        mention = self.items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == DOCUMENT:
                return mention.document_title or f"document {mention.document_id}"
            if column == BEFORE:
                return _one_line(mention.before)
            if column == MENTION:
                return _one_line(mention.text)
            if column == AFTER:
                return _one_line(mention.after)
            if column == BY:
                return mention.annotator
        elif role == Qt.ItemDataRole.FontRole and column == MENTION:
            return self._bold
        elif role == Qt.ItemDataRole.TextAlignmentRole and column == BEFORE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == Qt.ItemDataRole.ToolTipRole:
            status = "" if mention.status == "accepted" else f" ({mention.status})"
            return f"{mention.document_title}\nTagged by {mention.annotator}{status}"
        elif role == UUID_ROLE:
            return mention.span_uuid
        return None


class ProposalTableModel(ListTableModel):
    """An adapter over the proposed groups of spellings, best first."""

    COLUMNS = PROPOSAL_COLUMNS

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._names: dict[str, str] = {}  # actor uuid: name, for the Actors column

    def set_proposals(self, proposals: Sequence, actor_names: dict[str, str]) -> None:
        self.beginResetModel()
        self.items = list(proposals)
        self._names = dict(actor_names)
        self.endResetModel()

    def set_actor_names(self, actor_names: dict[str, str]) -> None:
        self._names = dict(actor_names)
        if self.items:
            self.dataChanged.emit(self.index(0, ACTORS), self.index(len(self.items) - 1, ACTORS))

    def proposal_at(self, row: int):
        return self.items[row]

    def proposals(self) -> list:
        return list(self.items)

    def remove(self, proposal) -> None:
        for row, each in enumerate(self.items):
            if each is proposal:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.items[row]
                self.endRemoveRows()
                return

    def actor_names(self, proposal) -> list[str]:
        return [self._names.get(uuid, "(an actor since removed)") for uuid in proposal.entity_uuids]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        proposal = self.items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAMES:
                return " / ".join(proposal.names)
            if column == SCORE:
                return f"{proposal.score:.2f}"
            if column == ACTORS:
                return " · ".join(self.actor_names(proposal))
        elif role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(proposal.reasons)
        elif role == Qt.ItemDataRole.TextAlignmentRole and column == SCORE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


# --- views -----------------------------------------------------------------------------------


def _table(view: QTableView, stretch: int) -> None:
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setStretchLastSection(False)
    view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


def _no_modifier(event: QKeyEvent) -> bool:
    return event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier


class ActorFilter(QLineEdit):
    """The filter box; ↓ or Enter goes to the list."""

    #: the keyboard goes to the list of actors
    leaveRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if _no_modifier(event) and event.key() in (
            Qt.Key.Key_Down,
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
        ):
            self.leaveRequested.emit()
            return
        super().keyPressEvent(event)


class ActorTable(QTableView):
    """The actors; F2 renames the current one, Delete deletes it, Ctrl+M merges the
    selected ones into the first selected."""

    renameRequested = Signal()
    deleteRequested = Signal()
    mergeRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if _no_modifier(event) and key == Qt.Key.Key_F2:
            self.renameRequested.emit()
            return
        if _no_modifier(event) and key == Qt.Key.Key_Delete:
            self.deleteRequested.emit()
            return
        if key == Qt.Key.Key_M and event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            self.mergeRequested.emit()
            return
        super().keyPressEvent(event)


class MentionTable(QTableView):
    """An actor's mentions; Enter opens the current one in its document."""

    openRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if _no_modifier(event) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.openRequested.emit()
            return
        super().keyPressEvent(event)


class ProposalTable(QTableView):
    """The proposed groups; the review keys work while it has the focus."""

    #: Enter: accept the current group (into its actor, or as a new one)
    acceptRequested = Signal()
    #: Shift+Enter: accept it into an actor chosen from a list
    intoRequested = Signal()
    #: Backspace or Delete: the names are not one actor
    rejectRequested = Signal()
    #: Space / Shift+Space: the next / previous group (True: backwards)
    stepRequested = Signal(bool)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        shift = modifiers == Qt.KeyboardModifier.ShiftModifier
        plain = modifiers == Qt.KeyboardModifier.NoModifier
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (plain or shift):
            (self.intoRequested if shift else self.acceptRequested).emit()
            return
        if key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete) and plain:
            self.rejectRequested.emit()
            return
        if key == Qt.Key.Key_Space and (plain or shift):
            self.stepRequested.emit(shift)
            return
        super().keyPressEvent(event)


class _ElideLeftDelegate(QStyledItemDelegate):
    """The words before a mention, cut at their start so that those next to it show."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 - Qt override
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideLeft


class ActorField(QLineEdit):
    """A field of the actor; Esc puts back what it held and returns to the list."""

    #: Esc: the edit is dropped
    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if _no_modifier(event) and event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class ActorEditor(QWidget):
    """The current actor's name, type, description and aliases. Each field says what the
    analyst changed; the panel makes the edit."""

    renamed = Signal(str)
    #: the type chosen (None: no type)
    typeChosen = Signal(object)
    described = Signal(str)
    aliasAdded = Signal(str)
    aliasRemoved = Signal(str)
    aliasTakenOut = Signal(str)
    #: Esc in a field: back to the list of actors
    done = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor: ActorSummary | None = None
        self.heading = QLabel(self)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.name = ActorField(self)
        self.name.setToolTip("Enter renames the actor; Esc puts the name back")
        self.type = QComboBox(self)
        self.type.setToolTip("What kind of actor (the Actor label's “type” choices)")
        self.description = ActorField(self)
        self.description.setPlaceholderText("Who or what this is, for the other analysts")
        self.aliases = QListWidget(self)
        self.aliases.setToolTip("Other spellings of the actor's name")
        self.new_alias = QLineEdit(self)
        self.new_alias.setPlaceholderText("Another spelling")
        self.add_alias = QPushButton("Add alias", self)
        self.remove_alias = QPushButton("Remove alias", self)
        self.take_alias_out = QPushButton("Take alias out", self)
        self.take_alias_out.setToolTip(
            "Make the selected alias an actor of its own, with the mentions written that way"
        )
        adding = QHBoxLayout()
        adding.addWidget(self.new_alias, 1)
        adding.addWidget(self.add_alias)
        alias_buttons = QHBoxLayout()
        alias_buttons.addWidget(self.remove_alias)
        alias_buttons.addWidget(self.take_alias_out)
        alias_buttons.addStretch(1)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.name)
        form.addRow("Type", self.type)
        form.addRow("Description", self.description)
        form.addRow("Aliases", self.aliases)
        form.addRow("", adding)
        form.addRow("", alias_buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.heading)
        layout.addLayout(form, 1)

        self.name.editingFinished.connect(self._on_name_edited)
        self.name.escaped.connect(self._on_field_escaped)
        self.description.editingFinished.connect(self._on_description_edited)
        self.description.escaped.connect(self._on_field_escaped)
        self.type.activated.connect(self._on_type_activated)
        self.new_alias.returnPressed.connect(self._on_add_alias_clicked)
        self.add_alias.clicked.connect(self._on_add_alias_clicked)
        self.remove_alias.clicked.connect(self._on_remove_alias_clicked)
        self.take_alias_out.clicked.connect(self._on_take_alias_out_clicked)
        self.aliases.currentRowChanged.connect(self._enable)
        self.set_types(())
        self.show_actor(None)

    # --- public API --------------------------------------------------------------------------

    def set_types(self, values: Sequence[str]) -> None:
        self._types = list(values)
        self._fill_types(self.actor.type if self.actor else None)

    def show_actor(self, actor: ActorSummary | None) -> None:
        """Show an actor's fields (None: no actor is current)."""
        current_alias = self.aliases.currentItem()
        keep_alias = current_alias.text() if current_alias is not None else None
        self.actor = actor
        self.name.setText(actor.name if actor else "")
        self.description.setText(actor.description if actor else "")
        self._fill_types(actor.type if actor else None)
        self.aliases.clear()
        if actor is not None:
            self.aliases.addItems(list(actor.aliases))
            if keep_alias in actor.aliases:
                self.aliases.setCurrentRow(actor.aliases.index(keep_alias))
            self.heading.setText(
                f"<b>{_escape(actor.name)}</b> · {actor.mentions} mention(s) in "
                f"{actor.documents} document(s)"
            )
        else:
            self.heading.setText("<i>Select an actor to edit it</i>")
        self.setEnabled(actor is not None)
        self._enable()

    def focus_name(self) -> None:
        self.name.setFocus()
        self.name.selectAll()

    # --- slots -------------------------------------------------------------------------------

    def _on_name_edited(self) -> None:
        if self.actor is not None and self.name.text().strip() != self.actor.name:
            self.renamed.emit(self.name.text())

    def _on_description_edited(self) -> None:
        if self.actor is not None and self.description.text() != self.actor.description:
            self.described.emit(self.description.text())

    def _on_field_escaped(self) -> None:
        self.show_actor(self.actor)
        self.done.emit()

    def _on_type_activated(self, index: int) -> None:
        chosen = self.type.itemData(index) or None
        if self.actor is not None and chosen != self.actor.type:
            self.typeChosen.emit(chosen)

    def _on_add_alias_clicked(self) -> None:
        alias = self.new_alias.text().strip()
        if self.actor is not None and alias:
            self.aliasAdded.emit(alias)

    def _on_remove_alias_clicked(self) -> None:
        item = self.aliases.currentItem()
        if item is not None:
            self.aliasRemoved.emit(item.text())

    def _on_take_alias_out_clicked(self) -> None:
        item = self.aliases.currentItem()
        if item is not None:
            self.aliasTakenOut.emit(item.text())

    # --- helpers -----------------------------------------------------------------------------

    def _fill_types(self, current: str | None) -> None:
        self.type.clear()
        self.type.addItem("—", "")
        values = list(self._types)
        if current and current not in values:  # set by an import, say: still shown
            values.append(current)
        for value in values:
            self.type.addItem(value, value)
        self.type.setCurrentIndex(values.index(current) + 1 if current else 0)

    def _enable(self, *_args) -> None:
        chosen = self.aliases.currentItem() is not None
        self.remove_alias.setEnabled(chosen)
        self.take_alias_out.setEnabled(chosen)


class ActorPickerDialog(QDialog):
    """Choose a canonical actor: type to narrow (names and aliases ranked by how well they
    match), ↑/↓ to move, Enter to choose."""

    def __init__(
        self, index, actors: dict[str, ActorSummary], query: str, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Into which actor?")
        self._index = index
        self._actors = actors
        self.filter = QLineEdit(query, self)
        self.filter.setPlaceholderText("Type a name or an alias")
        self.filter.installEventFilter(self)
        self.list = QListWidget(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.choose_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.choose_button.setText("Choose")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(460, 420)
        self.filter.textChanged.connect(self._rank)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self._rank(query)
        self.filter.selectAll()

    def chosen(self) -> str | None:
        item = self.list.currentItem()
        return item.data(UUID_ROLE) if item is not None else None

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.filter and event.type() == QEvent.Type.KeyPress:
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(event.key())
            if step is not None and self.list.count():
                row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
                self.list.setCurrentRow(row)
                return True
        return super().eventFilter(watched, event)

    def _rank(self, query: str) -> None:
        self.list.clear()
        for uuid, _score in self._index.rank(query, PICKER_ROWS):
            actor = self._actors.get(uuid)
            if actor is None:
                continue
            text = actor.name
            if actor.aliases:
                text += f"  ({', '.join(actor.aliases[:4])}{'…' if len(actor.aliases) > 4 else ''})"
            item = QListWidgetItem(text, self.list)
            item.setData(UUID_ROLE, uuid)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.choose_button.setEnabled(self.list.count() > 0)


# --- the panel -------------------------------------------------------------------------------


class ActorsPanel(QWidget):
    """The dock's content: the Actors tab (list, fields, mentions) and the Proposed tab."""

    def __init__(self, window):
        super().__init__(window)
        self.main_window = window
        self.session = window.session
        self.store = window.store
        self.dock: QDockWidget | None = None
        self._stale = True  # the actors shown may be out of date
        self._picked: list[str] = []  # the selected actors, in the order they were selected
        self._pending_span: str | None = None  # a mention to select once its spans load
        self._own_change = False  # a proposal is being accepted or rejected from here
        self._proposal_job: Job | None = None
        self._proposals_wanted = False  # computed once asked for (first showing, the button)
        self._proposals_again = False  # asked again while a job ran
        self.picker: ActorPickerDialog | None = None

        # The Actors tab.
        self.filter = ActorFilter(self)
        self.filter.setPlaceholderText(f"Filter actors by name or alias ({FIND_ACTOR_KEY})")
        self.filter.setClearButtonEnabled(True)
        self.count = QLabel(self)
        self.model = ActorTableModel(self)
        self.table = ActorTable(self)
        self.table.setModel(self.model)
        _table(self.table, ALIASES)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.setColumnWidth(NAME, 190)
        self.table.setColumnWidth(TYPE, 90)
        self.table.setColumnWidth(MENTIONS, 70)
        self.table.setColumnWidth(DOCUMENTS, 80)
        self.table.horizontalHeader().setMinimumSectionSize(40)
        self.merge_button = QPushButton("Merge", self)
        self.merge_button.setToolTip(
            "Merge the selected actors into the one selected first: it keeps its name, the "
            "others' names become its aliases and their mentions link to it (Ctrl+M)"
        )
        self.delete_button = QPushButton("Delete actor", self)
        self.delete_button.setToolTip("Delete the current actor; its spans stay, unlinked (Delete)")
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.filter, 1)
        filter_row.addWidget(self.count)
        actor_buttons = QHBoxLayout()
        actor_buttons.addWidget(self.merge_button)
        actor_buttons.addWidget(self.delete_button)
        actor_buttons.addStretch(1)
        list_side = QWidget(self)
        list_layout = QVBoxLayout(list_side)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addLayout(filter_row)
        list_layout.addWidget(self.table, 1)
        list_layout.addLayout(actor_buttons)

        self.editor = ActorEditor(self)

        self.mentions_title = QLabel(self)
        self.mention_model = MentionTableModel(self)
        self.mentions = MentionTable(self)
        self.mentions.setModel(self.mention_model)
        _table(self.mentions, AFTER)
        self.mentions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.mentions.setItemDelegateForColumn(BEFORE, _ElideLeftDelegate(self.mentions))
        self.mentions.setColumnWidth(DOCUMENT, 110)
        self.mentions.setColumnWidth(BEFORE, 170)
        self.mentions.setColumnWidth(MENTION, 150)
        self.mentions.setColumnWidth(BY, 70)
        self.open_button = QPushButton("Open", self)
        self.open_button.setToolTip("Open the document at this mention (Enter, or double-click)")
        self.take_mention_out = QPushButton("Take mention out", self)
        self.take_mention_out.setToolTip("Make this mention an actor of its own, named by its text")
        mention_buttons = QHBoxLayout()
        mention_buttons.addWidget(self.open_button)
        mention_buttons.addWidget(self.take_mention_out)
        mention_buttons.addStretch(1)
        mention_side = QWidget(self)
        mention_layout = QVBoxLayout(mention_side)
        mention_layout.setContentsMargins(0, 0, 0, 0)
        mention_layout.addWidget(self.mentions_title)
        mention_layout.addWidget(self.mentions, 1)
        mention_layout.addLayout(mention_buttons)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(list_side)
        self.splitter.addWidget(self.editor)
        self.splitter.addWidget(mention_side)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([560, 380, 660])

        # The Proposed tab.
        self.find_button = QPushButton("Find spellings", self)
        self.find_button.setToolTip(
            "Look through the Actor spans and the actors for names that look like one actor"
        )
        self.proposal_status = QLabel(self)
        self.proposal_model = ProposalTableModel(self)
        self.proposals = ProposalTable(self)
        self.proposals.setModel(self.proposal_model)
        _table(self.proposals, NAMES)
        self.proposals.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.proposals.setColumnWidth(SCORE, 60)
        self.proposals.setColumnWidth(ACTORS, 220)
        self.reasons = QLabel(self)
        self.reasons.setWordWrap(True)
        self.reasons.setTextFormat(Qt.TextFormat.RichText)
        self.reasons.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.reasons.setMinimumWidth(260)
        self.accept_button = QPushButton("Accept", self)
        self.accept_button.setToolTip("One actor: into the group's actor, or a new one (Enter)")
        self.into_button = QPushButton("Into actor…", self)
        self.into_button.setToolTip("One actor: into an actor you choose (Shift+Enter)")
        self.reject_button = QPushButton("Reject", self)
        self.reject_button.setToolTip(
            "Not one actor: these names are not proposed together again (Backspace)"
        )
        top = QHBoxLayout()
        top.addWidget(self.find_button)
        top.addWidget(self.proposal_status, 1)
        decide = QHBoxLayout()
        decide.addWidget(self.accept_button)
        decide.addWidget(self.into_button)
        decide.addWidget(self.reject_button)
        decide.addStretch(1)
        details = QWidget(self)
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(4, 0, 0, 0)
        details_layout.addWidget(self.reasons, 1)
        details_layout.addLayout(decide)
        proposal_split = QSplitter(Qt.Orientation.Horizontal, self)
        proposal_split.addWidget(self.proposals)
        proposal_split.addWidget(details)
        proposal_split.setStretchFactor(0, 3)
        proposal_split.setStretchFactor(1, 2)
        proposal_split.setChildrenCollapsible(False)
        proposed = QWidget(self)
        proposed_layout = QVBoxLayout(proposed)
        proposed_layout.setContentsMargins(4, 4, 4, 4)
        proposed_layout.addLayout(top)
        proposed_layout.addWidget(proposal_split, 1)

        actors_page = QWidget(self)
        actors_layout = QVBoxLayout(actors_page)
        actors_layout.setContentsMargins(4, 4, 4, 4)
        actors_layout.addWidget(self.splitter)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(actors_page, "Actors")
        self.tabs.addTab(proposed, "Proposed")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY)
        self._refresh_timer.timeout.connect(self._on_refresh_timer_timeout)

        self.filter.textChanged.connect(self._on_filter_text_changed)
        self.filter.leaveRequested.connect(self._on_filter_leave_requested)
        self.model.countsChanged.connect(self._on_model_counts_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_changed)
        self.table.renameRequested.connect(self.editor.focus_name)
        self.table.deleteRequested.connect(self.delete_current)
        self.table.mergeRequested.connect(self.merge_selected)
        self.merge_button.clicked.connect(self.merge_selected)
        self.delete_button.clicked.connect(self.delete_current)
        self.editor.renamed.connect(self._on_editor_renamed)
        self.editor.typeChosen.connect(self._on_editor_type_chosen)
        self.editor.described.connect(self._on_editor_described)
        self.editor.aliasAdded.connect(self._on_editor_alias_added)
        self.editor.aliasRemoved.connect(self._on_editor_alias_removed)
        self.editor.aliasTakenOut.connect(self._on_editor_alias_taken_out)
        self.editor.done.connect(self.table.setFocus)
        self.mentions.openRequested.connect(self.open_mention)
        self.mentions.doubleClicked.connect(lambda _index: self.open_mention())
        self.mentions.selectionModel().currentRowChanged.connect(self._enable)
        self.open_button.clicked.connect(self.open_mention)
        self.take_mention_out.clicked.connect(self.take_out_mention)
        self.find_button.clicked.connect(lambda _checked=False: self.find_spellings())
        self.proposals.acceptRequested.connect(self.accept_proposal)
        self.proposals.intoRequested.connect(self.ask_into_actor)
        self.proposals.rejectRequested.connect(self.reject_proposal)
        self.proposals.stepRequested.connect(self.step_proposal)
        self.proposals.selectionModel().currentRowChanged.connect(self._on_proposal_current_changed)
        self.accept_button.clicked.connect(lambda _checked=False: self.accept_proposal())
        self.into_button.clicked.connect(self.ask_into_actor)
        self.reject_button.clicked.connect(self.reject_proposal)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        session = self.session
        session.actorsChanged.connect(self._on_session_actors_changed)
        session.changed.connect(self._on_session_changed)
        session.labelsChanged.connect(self._on_session_labels_changed)
        session.spansLoaded.connect(self._on_session_spans_loaded)
        self._on_session_labels_changed(session.labels)
        self._show_proposal(None)
        self._enable()

    # --- public API --------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Read the actors again, keeping the selection, the current actor and the scroll
        position."""
        try:
            actors = self.store.actor_summaries(edits.ACTOR)
        except StoreError as exc:
            self.session.report_read_failure(
                exc, "The actors shown may be out of date.", self.refresh
            )
            return False
        self._stale = False
        picked = list(self._picked)
        current = self._current_uuid()
        scroll = self.table.verticalScrollBar().value()
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        self.model.set_actors(actors)
        selection.blockSignals(False)
        self._reselect(picked, current)
        self.table.verticalScrollBar().setValue(scroll)
        self._show_current()
        self.proposal_model.set_actor_names({a.uuid: a.name for a in actors})
        self._show_proposal(self._current_proposal())
        return True

    def show_and_find(self) -> None:
        """Ctrl+Shift+A: the dock, on the Actors tab, with the keyboard in its filter."""
        assert self.dock is not None
        self.dock.show()
        self.dock.raise_()
        self.tabs.setCurrentIndex(0)
        if self._stale:
            self.refresh()
        self.filter.setFocus()
        self.filter.selectAll()

    def selected_uuids(self) -> list[str]:
        """The selected actors, in the order they were selected."""
        return list(self._picked)

    def current_actor(self) -> ActorSummary | None:
        uuid = self._current_uuid()
        return self.model.actor(uuid) if uuid else None

    def merge_selected(self) -> bool:
        """Merge the selected actors into the one selected first."""
        picked = self.selected_uuids()
        if len(picked) < 2:
            self.session.message.emit("Select two or more actors to merge (Ctrl+click)", 4000)
            return False
        keep, others = picked[0], picked[1:]
        if not self._execute(lambda: edits.merge_actors(self.store, keep, others)):
            return False
        self._select_only(keep)
        kept = self.model.actor(keep)
        if kept is not None:
            self.session.message.emit(f"{len(others) + 1} actors merged into “{kept.name}”", 5000)
        return True

    def delete_current(self) -> bool:
        actor = self.current_actor()
        if actor is None:
            return False
        row = self.model.row_of(actor.uuid) or 0
        if not self._execute(lambda: edits.delete_actor(self.store, actor.uuid)):
            return False
        if self.model.rowCount():
            self._select_only(self.model.actor_at(min(row, self.model.rowCount() - 1)).uuid)
        self.session.message.emit(
            f"Actor “{actor.name}” deleted; its spans stay, unlinked (Ctrl+Z brings it back)", 5000
        )
        return True

    def open_mention(self) -> bool:
        """Open the current mention's document at it, the span selected."""
        index = self.mentions.currentIndex()
        if not index.isValid():
            return False
        mention = self.mention_model.mention_at(index.row())
        session = self.session
        if session.document is None or session.document.id != mention.document_id:
            if not session.open_document(mention.document_id, scroll_to=mention.start):
                return False
        view = self.main_window.view
        if view.view_span(mention.span_uuid) is not None:
            self._pending_span = None
            view.clear_text_selection()
            view.select_span(mention.span_uuid, reveal=True)
        elif not session.all_spans_shown:
            self._pending_span = mention.span_uuid  # selected once the spans are loaded
        else:
            view.scroll_to_offset(mention.start)
            session.message.emit(
                f"This mention is {mention.annotator}'s, whose layer is not shown", 5000
            )
        return True

    def take_out_mention(self) -> bool:
        index = self.mentions.currentIndex()
        if not index.isValid():
            return False
        mention = self.mention_model.mention_at(index.row())

        def command():
            span = self.store.span(mention.span_uuid)
            if span is None:
                raise StoreError("the mention's span no longer exists")
            return edits.split_mention(self.store, span)

        return self._execute(command)

    # --- proposals -------------------------------------------------------------------------

    def find_spellings(self) -> Job:
        """Compute the proposed groups off the GUI thread (again, if asked while running)."""
        self._proposals_wanted = True
        if self._proposal_job is not None and self._proposal_job.is_running:
            self._proposals_again = True
            return self._proposal_job
        store = self.store
        job = Job(lambda _progress: edits.suggest(store), owner=self)
        job.succeeded.connect(self._on_proposal_job_succeeded)
        job.failed.connect(self._on_proposal_job_failed)
        job.ended.connect(self._on_proposal_job_ended)
        self._proposal_job = job
        self.proposal_status.setText("Finding spellings…")
        self.tabs.setTabText(1, "Proposed (…)")
        self.find_button.setEnabled(False)
        job.start()
        return job

    def proposals_ready(self) -> bool:
        """Whether the groups shown are computed and none is being computed."""
        job = self._proposal_job
        return job is not None and not job.is_running and not self._proposals_again

    def accept_proposal(self, into: str | None = None) -> bool:
        """Make the current group one actor: into ``into``, the group's own actor, or new."""
        proposal = self._current_proposal()
        if proposal is None:
            return False
        target = into or (proposal.entity_uuids[0] if proposal.entity_uuids else None)
        done = self._decide(
            proposal, lambda: edits.accept_proposal(self.store, proposal, into=into)
        )
        if done:
            if target is None:
                name = edits.canonical_name(proposal.names)
                self.session.message.emit(f"New actor “{name}”", 4000)
            else:
                actor = self.model.actor(target)
                if actor is not None:
                    self.session.message.emit(
                        f"{len(proposal.names)} names now spell “{actor.name}”", 4000
                    )
        return done

    def ask_into_actor(self) -> ActorPickerDialog | None:
        """Shift+Enter: choose the actor the current group goes into."""
        proposal = self._current_proposal()
        if proposal is None:
            return None
        try:
            # The window's ranking of actors, which the link picker shares and keeps fresh.
            index, actors = self.main_window.actor_links.index_of(edits.ACTOR)
        except StoreError as exc:
            self.session.report_read_failure(exc, "No group was accepted.", None)
            return None
        if not actors:
            self.session.message.emit("There is no actor yet: Enter makes a new one", 4000)
            return None
        dialog = ActorPickerDialog(index, actors, proposal.names[0], self)
        dialog.accepted.connect(lambda: self._on_picker_accepted(dialog, proposal))
        dialog.finished.connect(lambda _result: self.proposals.setFocus())
        self.picker = dialog
        dialog.open()
        return dialog

    def reject_proposal(self) -> bool:
        """The current group's names are not one actor: not proposed together again."""
        proposal = self._current_proposal()
        if proposal is None:
            return False
        return self._decide(proposal, lambda: edits.RejectProposal(self.store, proposal))

    def step_proposal(self, backwards: bool = False) -> None:
        rows = self.proposal_model.rowCount()
        if not rows:
            return
        current = self.proposals.currentIndex().row()
        row = (current + (-1 if backwards else 1)) % rows if current >= 0 else 0
        self._select_proposal(row)

    # --- reacting ----------------------------------------------------------------------------

    def _on_session_actors_changed(self, _change) -> None:
        self._refresh_timer.stop()  # the spans relinked were announced first: one read
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True
        if not self._own_change and self._proposals_wanted:
            self.find_spellings()

    def _on_session_changed(self, change) -> None:
        if not _may_change_counts(change, self.session.label_by_name(edits.ACTOR)):
            return
        if self.isVisible():
            self._refresh_timer.start()
        else:
            self._stale = True

    def _on_refresh_timer_timeout(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _on_session_labels_changed(self, _labels) -> None:
        label = self.session.label_by_name(edits.ACTOR)
        spec = label.schema.attribute("type") if label is not None else None
        self.editor.set_types(spec.values if spec is not None else ())

    def _on_session_spans_loaded(self) -> None:
        pending, self._pending_span = self._pending_span, None
        if pending is not None and self.main_window.view.view_span(pending) is not None:
            self.main_window.view.select_span(pending, reveal=True)

    def on_dock_visibility_changed(self, visible: bool) -> None:
        if visible and self._stale:
            self.refresh()
        if visible and self.tabs.currentIndex() == 1 and not self._proposals_wanted:
            self.find_spellings()

    def _on_tabs_current_changed(self, index: int) -> None:
        if index == 1 and not self._proposals_wanted:
            self.find_spellings()
        if index == 1:
            self.proposals.setFocus()

    def _on_filter_text_changed(self, text: str) -> None:
        picked, current = list(self._picked), self._current_uuid()
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        self.model.set_filter(text)
        selection.blockSignals(False)
        self._reselect(picked, current)
        if self._current_uuid() != current:  # filtered away: nothing is current
            self._show_current()

    def _on_filter_leave_requested(self) -> None:
        self.table.setFocus()
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self._select_only(self.model.actor_at(0).uuid)

    def _on_model_counts_changed(self, shown: int, total: int) -> None:
        self.count.setText(f"{shown:,} of {total:,}" if shown != total else f"{total:,} actors")
        self.tabs.setTabText(0, f"Actors ({total:,})")

    def _on_table_selection_changed(
        self, selected: QItemSelection, deselected: QItemSelection
    ) -> None:
        gone = {index.data(UUID_ROLE) for index in deselected.indexes()}
        self._picked = [uuid for uuid in self._picked if uuid not in gone]
        for index in selected.indexes():
            uuid = index.data(UUID_ROLE)
            if index.column() == 0 and uuid not in self._picked:
                self._picked.append(uuid)
        self._enable()

    def _on_table_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_current()

    def _on_editor_renamed(self, name: str) -> None:
        actor = self.editor.actor
        if actor is not None:
            self._execute(lambda: edits.edit_actor(self.store, actor.uuid, name=name))
            self.editor.show_actor(self.current_actor())

    def _on_editor_type_chosen(self, kind: str | None) -> None:
        actor = self.editor.actor
        if actor is not None:
            self._execute(lambda: edits.edit_actor(self.store, actor.uuid, type=kind))
            self.editor.show_actor(self.current_actor())

    def _on_editor_described(self, description: str) -> None:
        actor = self.editor.actor
        if actor is not None:
            self._execute(lambda: edits.edit_actor(self.store, actor.uuid, description=description))
            self.editor.show_actor(self.current_actor())

    def _on_editor_alias_added(self, alias: str) -> None:
        actor = self.editor.actor
        if actor is None:
            return
        if alias == actor.name or alias in actor.aliases:
            self.session.message.emit(f"“{alias}” is already a name of “{actor.name}”", 4000)
            return
        aliases = [*actor.aliases, alias]
        if self._execute(lambda: edits.edit_actor(self.store, actor.uuid, aliases=aliases)):
            self.editor.new_alias.clear()

    def _on_editor_alias_removed(self, alias: str) -> None:
        actor = self.editor.actor
        if actor is not None:
            aliases = [each for each in actor.aliases if each != alias]
            self._execute(lambda: edits.edit_actor(self.store, actor.uuid, aliases=aliases))

    def _on_editor_alias_taken_out(self, alias: str) -> None:
        actor = self.editor.actor
        if actor is not None and self._execute(
            lambda: edits.split_alias(self.store, actor.uuid, alias)
        ):
            self.session.message.emit(f"“{alias}” is an actor of its own now", 4000)

    def _on_picker_accepted(self, dialog: ActorPickerDialog, proposal) -> None:
        chosen = dialog.chosen()
        if chosen is not None and self._current_proposal() is proposal:
            self.accept_proposal(into=chosen)

    def _on_proposal_job_succeeded(self, proposals) -> None:
        if self._proposals_again:
            return  # something changed while it ran: the next run's list is the one shown
        current = self._current_proposal()
        keep = current.names if current is not None else None
        row = max(self.proposals.currentIndex().row(), 0)
        names = {actor.uuid: actor.name for actor in self.model.all_actors()}
        if self._stale or not names:
            try:
                names = {
                    actor.uuid: actor.name for actor in self.store.actor_summaries(edits.ACTOR)
                }
            except StoreError:
                pass  # the Actors column shows what it can; the list itself is right
        self.proposal_model.set_proposals(proposals, names)
        rows = self.proposal_model.rowCount()
        if rows:
            found = next((i for i, p in enumerate(proposals) if p.names == keep), None)
            self._select_proposal(found if found is not None else min(row, rows - 1))
        else:
            self._show_proposal(None)
        self._show_proposal_counts()

    def _on_proposal_job_failed(self, reason: str) -> None:
        if not self._proposals_again:
            self.proposal_status.setText(f"Could not find spellings: {reason}")
            self.tabs.setTabText(1, "Proposed")

    def _on_proposal_job_ended(self) -> None:
        self.find_button.setEnabled(True)
        if self._proposals_again:
            self._proposals_again = False
            self.find_spellings()

    def _on_proposal_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        proposal = self.proposal_model.proposal_at(current.row()) if current.isValid() else None
        self._show_proposal(proposal)

    # --- helpers -----------------------------------------------------------------------------

    def _execute(self, make: Callable[[], object]) -> bool:
        """Make a command (which reads the actors as they stand) and run it through the
        session: a refusal is reported and changes nothing."""
        try:
            command = make()
        except StoreError as exc:
            self.session.report_write_failure(
                exc, "Nothing was changed.", lambda: self._execute(make)
            )
            self.editor.show_actor(self.current_actor())
            return False
        done = self.session.execute(command)
        if not done:
            self.editor.show_actor(self.current_actor())
        return done

    def _decide(self, proposal, make: Callable[[], object]) -> bool:
        """Accept or reject a group: it leaves the list and the next is selected."""
        row = self.proposals.currentIndex().row()
        self._own_change = True
        try:
            done = self._execute(make)
        finally:
            self._own_change = False
        if done:
            self.proposal_model.remove(proposal)
            rows = self.proposal_model.rowCount()
            if rows:
                self._select_proposal(min(row, rows - 1))
            else:
                self._show_proposal(None)
            self._show_proposal_counts()
            self.proposals.setFocus()
        return done

    def _current_uuid(self) -> str | None:
        index = self.table.currentIndex()
        return index.data(UUID_ROLE) if index.isValid() else None

    def _reselect(self, picked: Sequence[str], current: str | None) -> None:
        """Select again, after the rows were read again or filtered, the actors that were
        selected and are still listed (quietly: the caller shows what is current)."""
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        rows = {uuid: self.model.row_of(uuid) for uuid in picked}
        self._picked = [uuid for uuid in picked if rows[uuid] is not None]
        selection.blockSignals(True)
        try:
            for uuid in self._picked:
                selection.select(self.model.index(rows[uuid], 0), flags)
            row = self.model.row_of(current) if current else None
            if row is not None:
                selection.setCurrentIndex(
                    self.model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate
                )
        finally:
            selection.blockSignals(False)
        self.table.viewport().update()

    def _select_only(self, uuid: str) -> None:
        row = self.model.row_of(uuid)
        if row is None:
            return
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def _show_current(self) -> None:
        actor = self.current_actor()
        self.editor.show_actor(actor)
        mentions: list[ActorMention] = []
        if actor is not None:
            try:
                mentions = self.store.actor_mentions(actor.uuid, limit=MENTIONS_SHOWN)
            except StoreError as exc:
                self.session.report_read_failure(exc, "Its mentions are not listed.", None)
        shown = self.mentions.currentIndex()
        keep = shown.data(UUID_ROLE) if shown.isValid() else None
        self.mention_model.set_mentions(mentions)
        row = next((i for i, m in enumerate(mentions) if m.span_uuid == keep), 0)
        if mentions:
            self.mentions.selectionModel().setCurrentIndex(
                self.mention_model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        if actor is None:
            self.mentions_title.setText("<i>Mentions of the selected actor</i>")
        else:
            more = (
                f" (the first {MENTIONS_SHOWN:,} listed)" if actor.mentions > len(mentions) else ""
            )
            self.mentions_title.setText(
                f"<b>{_escape(actor.name)}</b>: {actor.mentions} mention(s) in "
                f"{actor.documents} document(s){more}"
            )
        self._enable()

    def _enable(self, *_args) -> None:
        self.merge_button.setEnabled(len(self._picked) >= 2)
        self.delete_button.setEnabled(self.table.currentIndex().isValid())
        mention = self.mentions.currentIndex().isValid()
        self.open_button.setEnabled(mention)
        self.take_mention_out.setEnabled(mention)
        proposal = self.proposals.currentIndex().isValid()
        for button in (self.accept_button, self.into_button, self.reject_button):
            button.setEnabled(proposal)
        picked = [self.model.actor(uuid) for uuid in self._picked[:1]]
        if picked and picked[0] is not None:
            self.merge_button.setToolTip(
                f"Merge the selected actors into “{picked[0].name}”, the one selected first "
                "(Ctrl+M)"
            )

    def _current_proposal(self):
        index = self.proposals.currentIndex()
        return self.proposal_model.proposal_at(index.row()) if index.isValid() else None

    def _select_proposal(self, row: int) -> None:
        index = self.proposal_model.index(row, 0)
        self.proposals.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.proposals.scrollTo(index)

    def _show_proposal(self, proposal) -> None:
        self._enable()
        if proposal is None:
            self.reasons.setText(
                "<i>Enter accepts the group, Shift+Enter puts it into an actor you choose, "
                "Backspace rejects it; Space and Shift+Space move on and back.</i>"
            )
            return
        names = self.proposal_model.actor_names(proposal)
        if names:
            outcome = f"Enter adds the names to <b>{_escape(names[0])}</b>"
            if len(names) > 1:
                outcome += (
                    " and merges " + ", ".join(f"“{_escape(n)}”" for n in names[1:]) + " into it"
                )
        else:
            outcome = (
                f"Enter makes a new actor <b>{_escape(edits.canonical_name(proposal.names))}</b>"
            )
        reasons = "".join(f"<li>{_escape(reason)}</li>" for reason in proposal.reasons)
        self.reasons.setText(
            f"<p><b>{' / '.join(_escape(n) for n in proposal.names)}</b> · score "
            f"{proposal.score:.2f}</p><ul style='margin-left: -20px'>{reasons}</ul>"
            f"<p>{outcome}.</p>"
        )

    def _show_proposal_counts(self) -> None:
        rows = self.proposal_model.rowCount()
        self.tabs.setTabText(1, f"Proposed ({rows})")
        self.proposal_status.setText(
            f"{rows} group(s) of names that may be one actor, best first"
            if rows
            else "No spellings to propose"
        )


def _escape(text: str) -> str:
    import html

    return html.escape(text)
