"""A table model over a list: one row per item under fixed column titles. The panels'
tables (an actor's mentions, proposed spellings, search hits, a network's records) say only
what each cell shows. Also how such a table is set up to be read and chosen from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QTableView


def list_table(table: QTableView, *, stripes: bool = True) -> None:
    """Make ``table`` a list to read and choose one row of: whole rows selected, one at a
    time, nothing edited in place, one line a row, no row numbers (``stripes``: alternate
    row colours)."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    table.setAlternatingRowColors(stripes)


class ListTableModel(QAbstractTableModel):
    """``items`` as rows and ``COLUMNS`` as the column titles; a subclass sets ``COLUMNS``
    and defines ``data``."""

    COLUMNS: Sequence[str] = ()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.items: list[Any] = []

    # --- public API --------------------------------------------------------------------------

    def set_items(self, items: Iterable[Any]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def item_at(self, row: int) -> Any:
        return self.items[row]

    # --- Qt overrides ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt override
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None
