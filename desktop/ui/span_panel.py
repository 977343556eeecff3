"""The spans of the open document as a table (label, text, annotator, status, note, and
what each record still needs), under the selected span's record.

Clicking a row shows the span in the document; the label and the note are edited in place
(each edit is a command on the undo stack); Delete removes the selected spans. "Incomplete
only" keeps the rows of records that lack a required value or relation.
"""

from __future__ import annotations

import html
from bisect import bisect_left
from operator import attrgetter

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.records import LabelRecord, SpanRecord
from desktop.ui.record_panel import RecordPanel

COLUMNS = ("Label", "Text", "Annotator", "Status", "Note", "Needs")
LABEL, TEXT, ANNOTATOR, STATUS, NOTE, NEEDS = range(6)
UUID_ROLE = Qt.ItemDataRole.UserRole


def swatch(colour: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class SpanTableModel(QAbstractTableModel):
    """An adapter over the open document's spans, in reading order."""

    #: the analyst edited a cell: (span, field, value) with field "label" (a label id) or "note"
    editRequested = Signal(object, str, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._spans: list[SpanRecord] = []
        # The spans by uuid; a span's row is found by its place in reading order, so that
        # adding or removing one does not renumber thousands of rows.
        self._by_uuid: dict[str, SpanRecord] = {}
        self._suggested = 0  # rows that are suggestions, for the summary
        self._labels: dict[int, LabelRecord] = {}
        self._swatches: dict[int, QIcon] = {}  # by label id: made once, not for every cell
        self._relation_types: dict[str, set[str]] = {}  # head span uuid -> relation types
        self._editable = lambda span: True

    # --- public API --------------------------------------------------------------------------

    def set_labels(self, labels: list[LabelRecord]) -> None:
        self._labels = {label.id: label for label in labels}
        self._swatches = {label.id: swatch(label.colour) for label in labels}
        if self._spans:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._spans) - 1, 0))

    def set_relation_types(self, heads: dict[str, set[str]]) -> None:
        """The relation types starting from each span: what a record's needs count."""
        self._relation_types = heads
        if self._spans:
            self.dataChanged.emit(self.index(0, NEEDS), self.index(len(self._spans) - 1, NEEDS))

    def set_relation_types_of(self, head_uuid: str, types: set[str]) -> None:
        """One span's relation types changed: redraw its row only."""
        if types:
            self._relation_types[head_uuid] = types
        else:
            self._relation_types.pop(head_uuid, None)
        row = self.row_of(head_uuid)
        if row is not None:
            self.dataChanged.emit(self.index(row, NEEDS), self.index(row, NEEDS))

    def needs(self, span: SpanRecord) -> list[str]:
        """What the span's record lacks: required attributes and relations (see db.schema)."""
        label = self._labels.get(span.label_id)
        if label is None or not label.schema or span.status == "rejected":
            return []
        return label.schema.missing(span.attributes, self._relation_types.get(span.uuid, ()))

    def labels(self) -> list[LabelRecord]:
        return sorted(self._labels.values(), key=lambda label: label.position)

    def set_editable(self, editable) -> None:
        self._editable = editable

    def set_spans(self, spans: list[SpanRecord]) -> None:
        self.beginResetModel()
        self._spans = sorted(spans, key=_reading_order)
        self._by_uuid = {span.uuid: span for span in self._spans}
        self._suggested = sum(1 for span in self._spans if span.status == "suggested")
        self.endResetModel()

    def put(self, span: SpanRecord) -> None:
        """Insert a new span, or redraw a changed one, keeping reading order."""
        row = self.row_of(span.uuid)
        if row is not None and _reading_order(self._spans[row]) == _reading_order(span):
            self._count_suggested(self._spans[row], -1)
            self._spans[row] = span
            self._by_uuid[span.uuid] = span
            self._count_suggested(span, 1)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        if row is not None:
            self.remove(span.uuid)
        position = bisect_left(self._spans, _reading_order(span), key=_reading_order)
        self.beginInsertRows(QModelIndex(), position, position)
        self._spans.insert(position, span)
        self._by_uuid[span.uuid] = span
        self._count_suggested(span, 1)
        self.endInsertRows()

    def remove(self, span_uuid: str) -> None:
        row = self.row_of(span_uuid)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self._count_suggested(self._spans.pop(row), -1)
        del self._by_uuid[span_uuid]
        self.endRemoveRows()

    def span(self, row: int) -> SpanRecord:
        return self._spans[row]

    def row_of(self, span_uuid: str) -> int | None:
        span = self._by_uuid.get(span_uuid)
        if span is None:
            return None
        return bisect_left(self._spans, _reading_order(span), key=_reading_order)

    def suggested_count(self) -> int:
        """How many rows are suggestions."""
        return self._suggested

    def spans(self) -> list[SpanRecord]:
        """Every row's span, in order."""
        return list(self._spans)

    def rows_to_measure(self) -> dict[int, list[int]]:
        """For the label, annotator and status columns, a row of each different thing the
        column shows: rows that show the same measure the same."""
        shown = dict(zip(map(_SHOWN, self._spans), range(len(self._spans)), strict=True))
        rows: dict[int, dict] = {LABEL: {}, ANNOTATOR: {}, STATUS: {}}
        for (label_id, label, annotator, status), row in shown.items():
            rows[LABEL].setdefault((label_id, label), row)
            rows[ANNOTATOR].setdefault(annotator, row)
            rows[STATUS].setdefault(status, row)
        return {column: list(each.values()) for column, each in rows.items()}

    def _count_suggested(self, span: SpanRecord, step: int) -> None:
        if span.status == "suggested":
            self._suggested += step

    # --- Qt overrides ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._spans)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if (
            index.isValid()
            and index.column() in (LABEL, NOTE)
            and self._editable(self._spans[index.row()])
        ):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        span = self._spans[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == LABEL:
                return span.label if role == Qt.ItemDataRole.DisplayRole else span.label_id
            if column == TEXT:
                return " ".join(span.text.split())
            if column == ANNOTATOR:
                return span.annotator
            if column == STATUS:
                return span.status
            if column == NEEDS:
                return ", ".join(self.needs(span))
            return span.note
        if role == Qt.ItemDataRole.DecorationRole and column == LABEL:
            return self._swatches.get(span.label_id)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{span.text}\n{span.start}–{span.end}" + (f"\n{span.note}" if span.note else "")
        if role == UUID_ROLE:
            return span.uuid
        if role == Qt.ItemDataRole.ForegroundRole and column == NEEDS:
            return QColor("#B00020")
        if role == Qt.ItemDataRole.ForegroundRole and span.status == "suggested":
            return QColor("#777777")
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        span = self._spans[index.row()]
        if index.column() == LABEL and value != span.label_id:
            self.editRequested.emit(span, "label", int(value))
        elif index.column() == NOTE and value != span.note:
            self.editRequested.emit(span, "note", str(value))
        return False  # the table redraws when the store says the edit is done


class LabelDelegate(QStyledItemDelegate):
    """Edits a span's label with a list of the labels."""

    def __init__(self, model: SpanTableModel, parent=None):
        super().__init__(parent)
        self._model = model

    def createEditor(self, parent, option, index):  # noqa: N802
        editor = QComboBox(parent)
        for label in self._model.labels():
            editor.addItem(swatch(label.colour), label.name, label.id)
        return editor

    def setEditorData(self, editor: QComboBox, index) -> None:  # noqa: N802
        editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))

    def setModelData(self, editor: QComboBox, model, index) -> None:  # noqa: N802
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class SpanTable(QTableView):
    """The table; Delete removes the selected spans; Home and End go to the first and last
    span, as in a list (a row is a span: its cells are not visited one by one)."""

    #: Delete was pressed (the selected spans)
    deleteRequested = Signal(list)
    #: a key moved the current row (arrows, Page Up/Down, Home, End): its row
    rowMovedByKey = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if (
            event.key() == Qt.Key.Key_Delete
            and self.state() != QAbstractItemView.State.EditingState
        ):
            rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
            model: SpanTableModel = self.model()
            self.deleteRequested.emit([model.span(row) for row in rows])
            return
        before = self.currentIndex().row()
        super().keyPressEvent(event)
        # Only a key the analyst pressed follows the span into the document: rows that move
        # because spans were added or removed must not scroll the article away.
        after = self.currentIndex()
        if after.isValid() and after.row() != before:
            self.rowMovedByKey.emit(after.row())

    def moveCursor(self, action, modifiers):  # noqa: N802
        if action in (
            QAbstractItemView.CursorAction.MoveHome,
            QAbstractItemView.CursorAction.MoveEnd,
        ):
            modifiers |= Qt.KeyboardModifier.ControlModifier  # the table's first or last row
        return super().moveCursor(action, modifiers)


class ActorLine(QWidget):
    """The selected span's actor, under its record: the actor's name, type and aliases, and
    the buttons that link it, unlink it or make a new actor of it (an Actor span only)."""

    #: Link…: open the actor picker for the selected span
    linkRequested = Signal()
    #: Unlink: the selected span links to no actor any more
    unlinkRequested = Signal()
    #: New actor: a new actor named by the selected span's text, linked to it
    newRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = QLabel("", self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.link = QPushButton("Link…", self)
        self.link.setToolTip("Link this span to a canonical actor (Ctrl+K)")
        self.unlink = QPushButton("Unlink", self)
        self.unlink.setToolTip("This span names no actor (Ctrl+Backspace in the picker)")
        self.new = QPushButton("New actor", self)
        self.new.setToolTip("A new actor named by this span's text, linked to it (Ctrl+Shift+K)")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.link, self.unlink, self.new):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the text
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self.link.clicked.connect(self.linkRequested)
        self.unlink.clicked.connect(self.unlinkRequested)
        self.new.clicked.connect(self.newRequested)
        self.hide()

    def show_actor(
        self,
        shown: bool,
        name: str | None = None,
        kind: str | None = None,
        aliases: tuple[str, ...] = (),
        *,
        linked: bool = False,
        editable: bool = True,
    ) -> None:
        """Show the actor of an actor span (``shown``): its name, type and aliases when it
        is ``linked``; hide the line for any other span."""
        self.setVisible(shown)
        if not shown:
            return
        if linked and name is None:
            self.text.setText("Actor: <i>one that no longer exists</i>")
        elif linked:
            text = f"Actor: <b>{html.escape(name)}</b>"
            if kind:
                text += f" ({html.escape(kind)})"
            if aliases:
                text += (
                    "<br><span style='color:#555'>also "
                    + html.escape(", ".join(aliases))
                    + "</span>"
                )
            self.text.setText(text)
        else:
            self.text.setText("Actor: <i>none linked</i>")
        self.link.setEnabled(editable)
        self.new.setEnabled(editable)
        self.unlink.setVisible(linked)
        self.unlink.setEnabled(editable)


class SpanPanelWidget(QWidget):
    """The selected span's record above the span table and its one-line summary."""

    #: a span was clicked, or reached with the keys (uuid): show it in the document
    spanChosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = SpanTableModel(self)
        self._choosing: str | None = None  # the span this table is showing in the document
        self.record = RecordPanel(self)
        self.actor = ActorLine(self)
        self._filtered = False  # whether rows may be hidden by "Incomplete only"
        self.summary = QLabel("No document open", self)
        self.incompleteOnly = QCheckBox("Incomplete only", self)
        self.incompleteOnly.setToolTip(
            "Show only records that lack a required value or relation (F8: the next one)"
        )
        self.table = SpanTable(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.setItemDelegateForColumn(LABEL, LabelDelegate(self.model, self.table))
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        # Fitted to their contents when a document's spans arrive, not on every edit: Qt
        # would measure a thousand rows again each time a span changes.
        for column in (LABEL, ANNOTATOR, STATUS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NOTE, QHeaderView.ResizeMode.Interactive)
        # Sized once, not to its contents: measuring it again on every edit would read the
        # needs of a thousand records each time.
        header.setSectionResizeMode(NEEDS, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(NEEDS, 72)
        header.resizeSection(NOTE, 64)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        top_row = QHBoxLayout()
        top_row.addWidget(self.summary, 1)
        top_row.addWidget(self.incompleteOnly)
        lower_layout.addLayout(top_row)
        lower_layout.addWidget(self.table)
        upper = QWidget(self)
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.setSpacing(0)
        upper_layout.addWidget(self.record)
        upper_layout.addWidget(self.actor)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self.table.clicked.connect(self._on_table_clicked)
        self.table.rowMovedByKey.connect(self._on_table_row_moved_by_key)
        # The summary counts every row: it is redrawn once the edit is shown, not during it.
        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.setInterval(0)
        self._summary_timer.timeout.connect(self._update_summary)
        self.model.rowsInserted.connect(self._schedule_summary)
        self.model.rowsRemoved.connect(self._schedule_summary)
        self.model.modelReset.connect(self._update_summary)
        self.model.modelReset.connect(self._fit_columns)
        # Accepting a suggestion changes a row in place: the counts change with it.
        self.model.dataChanged.connect(self._schedule_summary)
        for signal in (self.model.rowsInserted, self.model.dataChanged, self.model.modelReset):
            signal.connect(self._on_model_changed)

    def _schedule_summary(self, *_args) -> None:
        self._summary_timer.start()

    def _fit_columns(self) -> None:
        # As resizeColumnToContents does, measuring one row of each value a column shows
        # rather than the thousand rows Qt would ask the model about.
        header = self.table.horizontalHeader()
        grid = 1 if self.table.showGrid() else 0
        for column, rows in self.model.rows_to_measure().items():
            content = max(
                (
                    self.table.sizeHintForIndex(self.model.index(row, column)).width()
                    for row in rows
                ),
                default=0,
            )
            header.resizeSection(column, max(content + grid, header.sectionSizeHint(column)))

    def _on_model_changed(self, *_args) -> None:
        if self.incompleteOnly.isChecked():
            self.apply_incomplete_filter()

    def select_span(self, span_uuid: str) -> None:
        """Select a span's row (the document selected it); "" clears the selection."""
        if span_uuid and span_uuid == self._choosing:
            return  # the document follows this table: keep the rows as the keys left them
        row = self.model.row_of(span_uuid) if span_uuid else None
        if row is None:
            self.table.clearSelection()
            return
        index = self.model.index(row, 0)
        # Through the selection model, not selectRow: selectRow reads the keyboard, and the
        # Shift still held from Shift+Tab would extend the selection instead of moving it.
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def _on_table_clicked(self, index: QModelIndex) -> None:
        self._choose(self.model.data(index, UUID_ROLE))

    def _on_table_row_moved_by_key(self, row: int) -> None:
        self._choose(self.model.span(row).uuid)

    def _choose(self, span_uuid: str) -> None:
        self._choosing = span_uuid
        try:
            self.spanChosen.emit(span_uuid)
        finally:
            self._choosing = None

    def apply_incomplete_filter(self, *_args) -> None:
        """Hide the rows of complete records while "Incomplete only" is ticked."""
        only = self.incompleteOnly.isChecked()
        if not only and not self._filtered:
            return  # nothing hidden, nothing to hide: no pass over every row
        self._filtered = only
        for row in range(self.model.rowCount()):
            hidden = only and not self.model.needs(self.model.span(row))
            if self.table.isRowHidden(row) != hidden:
                self.table.setRowHidden(row, hidden)
        self._update_summary()

    def _update_summary(self, *_args) -> None:
        count = self.model.rowCount()
        suggested = self.model.suggested_count()
        # Counting needs costs a pass over every record: only while the filter is on.
        incomplete = (
            sum(
                1
                for span in self.model.spans()
                if span.status == "accepted" and self.model.needs(span)
            )
            if self.incompleteOnly.isChecked()
            else 0
        )
        text = f"{count - suggested} span(s)"
        if suggested:
            text += f", {suggested} suggestion(s)"
        if incomplete:
            text += f", {incomplete} incomplete"
        self.summary.setText(text)


_reading_order = attrgetter("start", "end", "label", "annotator", "uuid")
_SHOWN = attrgetter("label_id", "label", "annotator", "status")  # in the fitted columns
