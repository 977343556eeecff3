"""Lists of things to tick (annotators, labels, statuses), as several dialogs need them, and
the choice of annotators and documents to compare that review mode and the agreement dialog
share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QListWidget, QListWidgetItem

if TYPE_CHECKING:  # pragma: no cover
    from db.records import AnnotatorRecord, DocumentRecord


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


def annotators_to_compare(
    records: Sequence[AnnotatorRecord], me: str, checked: Iterable[str], *, gold: bool
) -> list[tuple[str, str, bool]]:
    """Rows for a list of annotators to compare (gold ones last, when ``gold``): those in
    ``checked`` ticked or, when that is none of them, everyone but ``me`` and gold, or
    everyone but gold when that leaves fewer than two."""
    names = [a.name for a in records if not a.is_gold]
    if gold:
        names += [a.name for a in records if a.is_gold]
    ticked_names = set(checked) & set(names)
    if not ticked_names:
        ticked_names = {a.name for a in records if not a.is_gold and a.name != me}
        if len(ticked_names) < 2:
            ticked_names = {a.name for a in records if not a.is_gold}
    return [(name, name, name in ticked_names) for name in names]


def fill_scope(combo: QComboBox, count: int, document: DocumentRecord | None, only: object) -> None:
    """The documents to compare: all ``count`` of them (data None) or, when a document is
    open, only that one (data ``only``)."""
    combo.clear()
    combo.addItem(f"All documents ({count})", None)
    if document is not None:
        title = " ".join(document.title.split())
        title = title if len(title) <= 40 else title[:39] + "…"
        combo.addItem(f"Only “{title}”", only)
