"""The list of documents: title, source, date, number of spans and one's own progress,
with a filter box; keys move to the next or previous unfinished document."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.records import DocumentSummary

STATUS_TEXT = {"not_started": "not started", "in_progress": "in progress", "done": "done"}
STATUS_COLOUR = {"not_started": "#888888", "in_progress": "#B8860B", "done": "#2E7D32"}
COLUMNS = ("Title", "Source", "Date", "Spans", "Status")
SPANS = 3
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole


class DocumentListModel(QAbstractTableModel):
    """An adapter over a list of DocumentSummary rows."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[DocumentSummary] = []
        self._row_of: dict[int, int] = {}
        self._scores: dict[int, float] = {}

    # --- public API --------------------------------------------------------------------------

    def set_documents(self, rows: list[DocumentSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._row_of = {row.id: number for number, row in enumerate(self._rows)}
        self.endResetModel()

    def set_scores(self, scores: dict[int, float]) -> None:
        """Model uncertainty per document, for ordering (shown in the tooltip)."""
        self._scores = dict(scores)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1)
            )

    def summary(self, document_id: int) -> DocumentSummary | None:
        row = self._row_of.get(document_id)
        return self._rows[row] if row is not None else None

    def row_of(self, document_id: int) -> int | None:
        return self._row_of.get(document_id)

    def update_document(self, document_id: int, *, status: str) -> None:
        """One's progress on a document changed."""
        row = self._row_of.get(document_id)
        if row is None:
            return
        self._rows[row] = replace(self._rows[row], status=status)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def set_span_counts(self, counts: dict[int, int]) -> None:
        """New span counts by document id (documents not named keep theirs)."""
        for document_id, count in counts.items():
            row = self._row_of.get(document_id)
            if row is None or self._rows[row].span_count == count:
                continue
            self._rows[row] = replace(self._rows[row], span_count=count)
            index = self.index(row, SPANS)
            self.dataChanged.emit(index, index)

    # --- Qt overrides ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.ToolTipRole
            and section == SPANS
        ):
            return "Accepted spans of the layers shown (View → Layers)"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                row.title or "(untitled)",
                row.source or "",
                (row.published or "")[:10],
                str(row.span_count),
                STATUS_TEXT.get(row.status, row.status),
            )[column]
        if role == SORT_ROLE:
            if column == SPANS:
                return row.span_count
            if column == 4:
                return ("not_started", "in_progress", "done").index(row.status)
            return self.data(index, Qt.ItemDataRole.DisplayRole).lower()
        if role == ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.ForegroundRole and column == 4:
            return QColor(STATUS_COLOUR.get(row.status, "#888888"))
        if role == Qt.ItemDataRole.ToolTipRole:
            score = self._scores.get(row.id)
            extra = f"\nmodel uncertainty {score:.2f}" if score is not None else ""
            return f"{row.title}\n{row.length:,} characters · {row.span_count} spans{extra}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == SPANS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class DocumentFilter(QSortFilterProxyModel):
    """Filters on every column at once, ignoring case; sorts numbers as numbers."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSortRole(SORT_ROLE)


class DocumentListWidget(QWidget):
    """The filter box and the table."""

    #: the analyst chose a document (its id)
    documentChosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = DocumentListModel(self)
        self.proxy = DocumentFilter(self)
        self.proxy.setSourceModel(self.model)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter documents…")
        self.filter.setClearButtonEnabled(True)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_changed)
        self._quiet = False

    # --- public API --------------------------------------------------------------------------

    def set_documents(self, rows: list[DocumentSummary]) -> None:
        self._quiet = True
        self.model.set_documents(rows)
        # Columns no document fills only take room from the titles.
        self.table.setColumnHidden(1, not any(row.source for row in rows))
        self.table.setColumnHidden(2, not any(row.published for row in rows))
        self._quiet = False

    def select_document(self, document_id: int | None) -> None:
        """Highlight the row of a document without announcing it."""
        self._quiet = True
        try:
            row = self.model.row_of(document_id) if document_id is not None else None
            if row is None:
                self.table.clearSelection()
                return
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                self.table.setCurrentIndex(index)
                self.table.scrollTo(index)
        finally:
            self._quiet = False

    def neighbour(
        self, document_id: int | None, *, backwards: bool = False, unfinished: bool = True
    ) -> int | None:
        """The next (or previous) document in the list's order that is not done."""
        count = self.proxy.rowCount()
        if count == 0:
            return None
        rows = [self.proxy.mapToSource(self.proxy.index(r, 0)).row() for r in range(count)]
        ids = [self.model._rows[row].id for row in rows]
        start = ids.index(document_id) if document_id in ids else (-1 if not backwards else count)
        step = -1 if backwards else 1
        position = start
        for _ in range(count):
            position += step
            if not 0 <= position < count:
                return None
            summary = self.model.summary(ids[position])
            if not unfinished or summary.status != "done":
                return ids[position]
        return None

    def sort_by_uncertainty(self, scores: dict[int, float]) -> None:
        """Order the list by model uncertainty, most uncertain first."""
        self.model.set_scores(scores)
        order = sorted(self.model._rows, key=lambda row: -scores.get(row.id, -1.0))
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(-1)
        self.model.set_documents(order)

    # --- slots -------------------------------------------------------------------------------

    def _on_table_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._quiet or not current.isValid():
            return
        self.documentChosen.emit(self.proxy.data(current, ID_ROLE))
