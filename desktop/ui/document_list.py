"""The list of documents: title, source, date, number of spans, one's own progress and,
on a shared project, who else works on each; with a filter box; keys move to the next or
previous unfinished document.

The list reads the rows it shows a page at a time: sorting and the filter box are queries
of the store (ids only), and a row's title, counts and progress are read when it is drawn.
In the order of import, the first page is all that is read before the window first
paints; the rest of the order follows a part at a time while the window is idle.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import (
    QAbstractTableModel,
    QIdentityProxyModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
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
from db.store import Store, StoreError

STATUS_TEXT = {"not_started": "not started", "in_progress": "in progress", "done": "done"}
STATUS_COLOUR = {"not_started": "#888888", "in_progress": "#B8860B", "done": "#2E7D32"}
COLUMNS = ("Title", "Source", "Date", "Spans", "Status", "With")
SPANS = 3
WITH = 5  # the colleagues who have the document open (PostgreSQL projects)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole
# The store's order for each column (the list's own order, of import, is column -1).
COLUMN_ORDERS = ("title", "source", "date", "spans", "status")
PAGE = 200  # rows read at once, a few screens' worth
ID_PART = 2_000  # ids of the order of import read per idle moment (a few ms each)


class DocumentListModel(QAbstractTableModel):
    """The documents of a project in the list's order, read from the store as they are
    shown. Row count and order are known (ids, from the store); summaries are read a page
    at a time when a row is first drawn."""

    #: reading the list failed (the StoreError); the rows not read show empty
    readFailed = Signal(object)
    #: the order of every row is now known (it was being read a part at a time)
    orderCompleted = Signal()
    #: a row read has a source or a date, where none read before had (column, as in COLUMNS)
    columnFilled = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._store: Store | None = None
        self._annotator_id: int | None = None
        self._layer_ids: tuple[int, ...] = ()
        self._order = "list"
        self._descending = False
        self._contains = ""
        self._by_uncertainty = False
        self._scores: dict[int, float] = {}
        # Ids in the list's order; None where the order of import is still being read.
        self._ids: list[int | None] = []
        self._known = 0  # how many ids from the top are known
        self._row_of: dict[int, int] | None = None
        self._rows: dict[int, DocumentSummary] = {}  # summaries read, by document id
        self._failed = False  # a failed read was reported since the last reset
        self._filled = {1: False, 2: False}  # whether a row read has a source, a date
        self._with: dict[int, list[str]] = {}  # colleagues working on a document, by id
        #: summaries read from the store since the list was made (tests look at it)
        self.rows_read = 0
        self._more = QTimer(self)
        self._more.setSingleShot(True)
        self._more.setInterval(0)
        self._more.timeout.connect(self._on_more_timeout)

    # --- public API --------------------------------------------------------------------------

    def set_source(
        self, store: Store, annotator_id: int | None, layer_ids: list[int] | tuple[int, ...]
    ) -> None:
        """List ``store``'s documents: ``annotator_id``'s progress, the accepted spans of
        ``layer_ids``. Raises StoreError (the list is left as it was) if it cannot be read."""
        self._store = store
        self._annotator_id = annotator_id
        self._layer_ids = tuple(layer_ids)
        self.reload()

    def reload(self) -> None:
        """Read the order again and forget the rows read (StoreError leaves it as it was)."""
        if self._store is None:
            return
        rows: list[DocumentSummary] = []
        if self._order == "list" and not self._contains and not self._by_uncertainty:
            count = self._store.document_count()
            rows = self._store.document_page(
                self._annotator_id, self._layer_ids, offset=0, limit=PAGE
            )
            ids: list[int | None] = [row.id for row in rows]
            known = len(ids)
            ids += [None] * max(0, count - known)
        else:
            order = "list" if self._by_uncertainty else self._order
            ids = list(
                self._store.document_order(
                    self._annotator_id,
                    self._layer_ids,
                    order=order,
                    descending=self._descending and not self._by_uncertainty,
                    contains=self._contains,
                )
            )
            if self._by_uncertainty:
                ids.sort(key=lambda document_id: -self._scores.get(document_id, -1.0))
            known = len(ids)
        self.beginResetModel()
        self._ids = ids
        self._known = known
        self._row_of = None
        self._rows = {row.id: row for row in rows}
        self.rows_read += len(rows)
        self._failed = False
        self.endResetModel()
        self._note_filled(rows)
        if known < len(ids):
            self._more.start()

    def set_order(self, order: str, descending: bool = False) -> None:
        """Sort by one of COLUMN_ORDERS (or "list", the order of import)."""
        self._order, self._descending, self._by_uncertainty = order, descending, False
        self._reload_or_report()

    def set_filter(self, text: str) -> None:
        """Keep only the documents whose title, source, date, spans or status contain
        ``text`` (ignoring case)."""
        if text == self._contains:
            return
        self._contains = text
        self._reload_or_report()

    def set_layers(self, layer_ids: list[int] | tuple[int, ...]) -> None:
        """Count the accepted spans of these annotators' layers (View → Layers)."""
        self._layer_ids = tuple(layer_ids)
        if self._order == "spans" or self._contains.isdigit():
            self.reload()
            return
        self._rows.clear()
        self._emit_all_changed()

    def set_scores(self, scores: dict[int, float]) -> None:
        """Model uncertainty per document, for ordering (shown in the tooltip)."""
        self._scores = dict(scores)
        self._emit_all_changed()

    def order_by_scores(self, scores: dict[int, float]) -> None:
        """Most uncertain first (documents without a score last), the filter kept."""
        self._scores = dict(scores)
        self._by_uncertainty = True
        self.reload()

    def summary(self, document_id: int) -> DocumentSummary | None:
        """The row of a document (read if it was not yet), or None if there is none."""
        summary = self._rows.get(document_id)
        if summary is None and self._store is not None:
            for row in self._read_summaries([document_id]):
                summary = row
        return summary

    def row_of(self, document_id: int) -> int | None:
        """The row of a document in the list's order (all of it read, if it was not yet)."""
        self.complete_order()
        if self._row_of is None:
            self._row_of = {document_id: row for row, document_id in enumerate(self._ids)}
        return self._row_of.get(document_id)

    def is_complete(self) -> bool:
        """Whether the order of every row is known."""
        return self._known >= len(self._ids)

    def complete_order(self) -> None:
        """Read what is left of the order now, rather than while the window is idle."""
        while not self.is_complete():
            if not self._read_more_ids():
                return

    def document_ids(self) -> list[int]:
        """Every document listed, top to bottom."""
        self.complete_order()
        return [document_id for document_id in self._ids if document_id is not None]

    def document_at(self, row: int) -> int | None:
        """The id of the document in ``row``."""
        if not 0 <= row < len(self._ids):
            return None
        if self._ids[row] is None:
            self._read_page_of_ids(row)
        return self._ids[row]

    def summary_at(self, row: int) -> DocumentSummary | None:
        document_id = self.document_at(row)
        if document_id is None:
            return None
        summary = self._rows.get(document_id)
        if summary is None:
            start = row - row % PAGE
            wanted = [
                i for i in self._ids[start : start + PAGE] if i is not None and i not in self._rows
            ]
            self._read_summaries(wanted)
            summary = self._rows.get(document_id)
        return summary

    def update_document(self, document_id: int, *, status: str) -> None:
        """One's progress on a document changed."""
        summary = self._rows.get(document_id)
        if summary is not None:
            self._rows[document_id] = replace(summary, status=status)
        self._emit_row_changed(document_id)

    def set_presence(self, working: dict[int, list[str]]) -> None:
        """Who else works on which document (names by document id; others: no one)."""
        changed = set(working) ^ set(self._with)
        changed |= {key for key in working if working[key] != self._with.get(key)}
        self._with = {key: list(names) for key, names in working.items() if names}
        for document_id in changed:
            self._emit_row_changed(document_id, WITH)

    def working_on(self, document_id: int) -> list[str]:
        """The colleagues who have a document open."""
        return list(self._with.get(document_id, ()))

    def anyone_working(self) -> bool:
        return bool(self._with)

    def forget_rows(self, document_ids) -> None:
        """Read these documents' rows again when next drawn (a colleague changed their
        spans or progress)."""
        for document_id in document_ids:
            if self._rows.pop(document_id, None) is not None:
                self._emit_row_changed(document_id)

    def set_span_counts(self, counts: dict[int, int]) -> None:
        """New span counts by document id (documents not named keep theirs)."""
        for document_id, count in counts.items():
            summary = self._rows.get(document_id)
            if summary is None or summary.span_count == count:
                continue
            self._rows[document_id] = replace(summary, span_count=count)
            self._emit_row_changed(document_id, SPANS)

    # --- reading -----------------------------------------------------------------------------

    def _reload_or_report(self) -> None:
        try:
            self.reload()
        except StoreError as exc:
            self.readFailed.emit(exc)

    def _read_summaries(self, document_ids: list[int]) -> list[DocumentSummary]:
        if not document_ids or self._store is None:
            return []
        try:
            rows = self._store.document_summaries(document_ids, self._annotator_id, self._layer_ids)
        except StoreError as exc:
            self._report(exc)
            return []
        self.rows_read += len(rows)
        self._rows.update((row.id, row) for row in rows)
        self._note_filled(rows)
        return rows

    def _read_page_of_ids(self, row: int) -> None:
        """The page of the order of import holding ``row``, read before its turn."""
        start = row - row % PAGE
        try:
            rows = self._store.document_page(
                self._annotator_id, self._layer_ids, offset=start, limit=PAGE
            )
        except StoreError as exc:
            self._report(exc)
            return
        self.rows_read += len(rows)
        for offset, summary in enumerate(rows):
            if start + offset < len(self._ids):
                self._ids[start + offset] = summary.id
                self._rows[summary.id] = summary
        self._note_filled(rows)

    def _read_more_ids(self) -> bool:
        """Read the next part of the order of import; False if it could not be read."""
        after = self._ids[self._known - 1] if self._known else None
        try:
            part = self._store.document_order(
                self._annotator_id, self._layer_ids, after_id=after, limit=ID_PART
            )
        except StoreError as exc:
            self._report(exc)
            return False
        end = self._known + len(part)
        if end > len(self._ids):  # documents were added meanwhile: the next reload shows them
            part = part[: len(self._ids) - self._known]
            end = len(self._ids)
        self._ids[self._known : end] = part
        self._known = end
        if len(part) < ID_PART and self._known < len(self._ids):
            # Documents were removed meanwhile: the rows past the end go.
            self.beginRemoveRows(QModelIndex(), self._known, len(self._ids) - 1)
            del self._ids[self._known :]
            self.endRemoveRows()
        if self.is_complete():
            self._row_of = None
            self.orderCompleted.emit()
        return True

    def is_filled(self, column: int) -> bool:
        """Whether a row read so far has a source (column 1) or a date (column 2)."""
        return self._filled[column]

    def _note_filled(self, rows: list[DocumentSummary]) -> None:
        for column, field in ((1, "source"), (2, "published")):
            if not self._filled[column] and any(getattr(row, field) for row in rows):
                self._filled[column] = True
                self.columnFilled.emit(column)

    def _report(self, exc: StoreError) -> None:
        if not self._failed:
            self._failed = True
            self.readFailed.emit(exc)

    def _emit_row_changed(self, document_id: int, column: int | None = None) -> None:
        if self.is_complete():
            row = self.row_of(document_id)
        else:
            row = next((r for r, i in enumerate(self._ids) if i == document_id), None)
        if row is None:
            return
        first = self.index(row, column if column is not None else 0)
        last = self.index(row, column if column is not None else len(COLUMNS) - 1)
        self.dataChanged.emit(first, last)

    def _emit_all_changed(self) -> None:
        if self._ids:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1)
            )

    def _on_more_timeout(self) -> None:
        if self._store is None or self.is_complete():
            return
        if self._read_more_ids() and not self.is_complete():
            self._more.start()

    # --- Qt overrides ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._ids)

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
        if role == ID_ROLE:
            return self.document_at(index.row())
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.TextAlignmentRole,
        ):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == SPANS:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        row = self.summary_at(index.row())
        if row is None:
            return None
        working = self._with.get(row.id, ())
        if column == WITH:
            if role == Qt.ItemDataRole.DisplayRole:
                return ", ".join(working)
            if role == Qt.ItemDataRole.ToolTipRole and working:
                return f"Working on it now: {', '.join(working)}"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                row.title or "(untitled)",
                row.source or "",
                (row.published or "")[:10],
                str(row.span_count),
                STATUS_TEXT.get(row.status, row.status),
            )[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(STATUS_COLOUR.get(row.status, "#888888")) if column == 4 else None
        score = self._scores.get(row.id)
        extra = f"\nmodel uncertainty {score:.2f}" if score is not None else ""
        return f"{row.title}\n{row.length:,} characters · {row.span_count} spans{extra}"

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """A click on a column's header: the store sorts (column -1: the order of import)."""
        self.set_order(
            COLUMN_ORDERS[column] if 0 <= column < len(COLUMN_ORDERS) else "list",
            order == Qt.SortOrder.DescendingOrder,
        )


class DocumentListWidget(QWidget):
    """The filter box and the table."""

    #: the analyst chose a document (its id)
    documentChosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = DocumentListModel(self)
        # The table's model: rows map one to one (sorting and filtering are the store's),
        # kept so that code mapping the table's rows to the list's need not change.
        self.proxy = QIdentityProxyModel(self)
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
        # Column widths from the rows on screen only: measuring more would read them all.
        header.setResizeContentsPrecision(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        self.filter.textChanged.connect(self._on_filter_text_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_changed)
        self.model.modelReset.connect(self._on_model_reset)
        self.model.orderCompleted.connect(self._on_model_order_completed)
        self.model.columnFilled.connect(self._on_model_column_filled)
        self._quiet = False
        self._current: int | None = None  # the document shown, highlighted when listed

    # --- public API --------------------------------------------------------------------------

    def show_presence(self, working: dict[int, list[str]]) -> None:
        """Who else works on which document; the "With" column shows only while someone
        does."""
        self.model.set_presence(working)
        self.table.setColumnHidden(WITH, not self.model.anyone_working())

    def show_documents(
        self, store: Store, annotator_id: int | None, layer_ids: list[int] | tuple[int, ...]
    ) -> None:
        """List ``store``'s documents (StoreError if they cannot be read)."""
        self.model.set_source(store, annotator_id, layer_ids)
        self._on_model_column_filled()

    def select_document(self, document_id: int | None) -> None:
        """Highlight the row of a document without announcing it (once the list's order is
        known, if it is still being read)."""
        self._current = document_id
        if not self.model.is_complete():
            return  # done when the order is complete: finding a row now would read it all
        self._quiet = True
        try:
            row = self.model.row_of(document_id) if document_id is not None else None
            if row is None:
                self.table.clearSelection()
                return
            index = self.proxy.index(row, 0)
            if index.isValid():
                self.table.setCurrentIndex(index)
                self.table.scrollTo(index)
        finally:
            self._quiet = False

    def neighbour(
        self, document_id: int | None, *, backwards: bool = False, unfinished: bool = True
    ) -> int | None:
        """The next (or previous) document in the list's order that is not done."""
        count = self.model.rowCount()
        if count == 0:
            return None
        row = self.model.row_of(document_id) if document_id is not None else None
        position = row if row is not None else (-1 if not backwards else count)
        step = -1 if backwards else 1
        while True:
            position += step
            if not 0 <= position < count:
                return None
            summary = self.model.summary_at(position)
            if summary is not None and (not unfinished or summary.status != "done"):
                return summary.id

    def sort_by_uncertainty(self, scores: dict[int, float]) -> None:
        """Order the list by model uncertainty, most uncertain first."""
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.model.order_by_scores(scores)

    # --- slots -------------------------------------------------------------------------------

    def _on_filter_text_changed(self, text: str) -> None:
        self.model.set_filter(text)

    def _on_model_reset(self) -> None:
        self.select_document(self._current)

    def _on_model_column_filled(self, _column: int = 0) -> None:
        # Columns no document read so far fills only take room from the titles (a
        # project's every row is not read to know: they appear once one has them).
        for column in (1, 2):
            self.table.setColumnHidden(column, not self.model.is_filled(column))
        self.table.setColumnHidden(WITH, not self.model.anyone_working())

    def _on_model_order_completed(self) -> None:
        self.select_document(self._current)

    def _on_table_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._quiet or not current.isValid():
            return
        document_id = self.model.document_at(current.row())
        if document_id is not None:
            self._current = document_id
            self.documentChosen.emit(document_id)
