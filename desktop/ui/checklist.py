"""Lists of things to tick (annotators, labels, statuses), as several dialogs need them."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem


def fill(widget: QListWidget, items: Iterable[tuple[str, object, bool]]) -> None:
    """Replace the list's rows by (text, data, ticked) rows, without announcing each."""
    widget.blockSignals(True)
    widget.clear()
    for text, data, ticked in items:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, data)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        widget.addItem(item)
    widget.blockSignals(False)


def ticked(widget: QListWidget) -> list:
    """The data of the ticked rows, in order."""
    return [
        widget.item(row).data(Qt.ItemDataRole.UserRole)
        for row in range(widget.count())
        if widget.item(row).checkState() == Qt.CheckState.Checked
    ]
