"""The label editor: add, rename, recolour, reorder, set keys and edit the attributes and
relations of a label's spans; removing a label that is in use asks what to do with its spans.
Every change is on the undo stack."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.records import LabelRecord
from db.store import StoreError
from desktop import commands
from desktop.ui.in_use_dialog import InUseDialog
from desktop.ui.schema_editor import SchemaEditorDialog
from desktop.ui.span_panel import swatch


class LabelRemovalDialog(InUseDialog):
    """Asks what becomes of the spans of a label being removed: moved to another label, or
    deleted with it."""

    def __init__(
        self,
        label: LabelRecord,
        count: int,
        others: list[LabelRecord],
        parent: QWidget | None = None,
    ):
        # Not "move" and "delete": those would hide QWidget.move for everyone using the dialog.
        super().__init__(
            f"Remove label {label.name}",
            f"<p><b>{html.escape(label.name)}</b> is used by {count} span(s). "
            "What should happen to them?</p>",
            "&Move them to the label",
            f"&Delete the {count} span(s)",
            "Remove label",
            "Edit → Undo (Ctrl+Z) brings the label and its spans back.",
            parent,
        )
        self.move_spans, self.target, self.delete_spans = self.keep, self.choices, self.drop
        for other in others:
            self.target.addItem(swatch(other.colour), other.name, other.id)
        self.choices_filled()

    def relabel_to(self) -> int | None:
        """The label the spans move to, or None when they are deleted."""
        return self.chosen()


class LabelEditorDialog(QDialog):
    """The labels in order with a button per edit. Each button asks what it needs (a name,
    a colour, a key) and makes one command; Ctrl+Z undoes it while the editor is open."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Labels")
        self.resize(460, 360)
        self.list = QListWidget(self)
        self.buttons: dict[str, QPushButton] = {}
        column = QVBoxLayout()
        # QPushButton.clicked passes its checked flag: each slot takes no argument.
        for name, slot in (
            ("Add…", self._on_add_clicked),
            ("Rename…", self._on_rename_clicked),
            ("Colour…", self._on_colour_clicked),
            ("Key…", self._on_key_clicked),
            ("Description…", self._on_description_clicked),
            ("Schema…", self._on_schema_clicked),
            ("Move up", self._on_move_up_clicked),
            ("Move down", self._on_move_down_clicked),
            ("Remove…", self._on_remove_clicked),
        ):
            button = QPushButton(name, self)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, slot=slot: slot())
            column.addWidget(button)
            self.buttons[name] = button
        column.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(column)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(close)
        # The window's undo keys do not reach a dialog: the editor has its own on the same stack.
        undo = session.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        redo = session.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addActions([undo, redo])
        self.buttons["Schema…"].setToolTip("The attributes and relations of the label's spans")
        self.schema_editor: SchemaEditorDialog | None = None
        self.list.currentRowChanged.connect(self._on_list_current_changed)
        session.labelsChanged.connect(self._on_session_labels_changed)
        self.refresh()

    # --- public API --------------------------------------------------------------------------

    def refresh(self) -> None:
        """List the labels again, keeping the current one."""
        current = self.current()
        self.list.blockSignals(True)
        self.list.clear()
        for number, label in enumerate(self.session.labels, start=1):
            keys = " · ".join(
                k for k in ((label.shortcut or "").upper(), str(number) if number <= 9 else "") if k
            )
            item = QListWidgetItem(swatch(label.colour, 14), f"{label.name}    {keys}")
            item.setData(Qt.ItemDataRole.UserRole, label.id)
            item.setToolTip(label.description)
            self.list.addItem(item)
            if current and current.id == label.id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._enable_buttons()

    def current(self) -> LabelRecord | None:
        item = self.list.currentItem()
        return self.session.label(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def names(self) -> list[str]:
        """The labels' names as listed."""
        return [self.list.item(row).text().split("    ")[0] for row in range(self.list.count())]

    def select(self, name: str) -> None:
        for row, listed in enumerate(self.names()):
            if listed == name:
                self.list.setCurrentRow(row)

    # --- slots: one per button ---------------------------------------------------------------

    def _on_add_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, "Add label", "Name of the new label:")
        name = name.strip()
        if ok and name:
            if self.session.execute(commands.AddLabel(self.session.store, name)):
                self.select(name)

    def _on_rename_clicked(self) -> None:
        label = self.current()
        if label is None:
            return
        name, ok = QInputDialog.getText(self, "Rename label", "New name:", text=label.name)
        name = name.strip()
        if ok and name and name != label.name:
            self.session.execute(commands.UpdateLabel(self.session.store, label, name=name))

    def _on_colour_clicked(self) -> None:
        label = self.current()
        if label is None:
            return
        chosen = QColorDialog.getColor(QColor(label.colour), self, f"Colour of {label.name}")
        if chosen.isValid() and chosen.name().upper() != label.colour.upper():
            self.session.execute(
                commands.UpdateLabel(self.session.store, label, colour=chosen.name().upper())
            )

    def _on_key_clicked(self) -> None:
        label = self.current()
        if label is None:
            return
        key, ok = QInputDialog.getText(
            self,
            "Label key",
            f"Key for {label.name} (one letter; empty for none):",
            text=label.shortcut or "",
        )
        if not ok:
            return
        key = key.strip()
        if len(key) > 1 or (key and not key.isalpha()):
            self.session.failed.emit(
                f"A label's key is a single letter, not {key!r}; 1–9 follow the order of the labels"
            )
            return
        if (key.upper() or None) != label.shortcut:
            self.session.execute(
                commands.UpdateLabel(self.session.store, label, shortcut=key.upper() or None)
            )

    def _on_description_clicked(self) -> None:
        label = self.current()
        if label is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self, "Label description", f"What counts as {label.name}:", label.description
        )
        if ok and text != label.description:
            self.session.execute(commands.UpdateLabel(self.session.store, label, description=text))

    def _on_schema_clicked(self) -> None:
        label = self.current()
        if label is None:
            return
        self.schema_editor = SchemaEditorDialog(self.session, label.id, self)
        self.schema_editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.schema_editor.open()

    def _on_move_up_clicked(self) -> None:
        self._move_current(-1)

    def _on_move_down_clicked(self) -> None:
        self._move_current(1)

    def _on_remove_clicked(self) -> None:
        """Remove the current label; one in use asks what becomes of its spans."""
        label = self.current()
        if label is None:
            return
        relabel_to = None
        try:
            count = self.session.store.label_usage(label.id)
        except StoreError as exc:
            self.session.report_read_failure(exc, "The label was not removed.", None)
            return
        if count:
            others = [each for each in self.session.labels if each.id != label.id]
            dialog = LabelRemovalDialog(label, count, others, self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            relabel_to = dialog.relabel_to()
        row = self.list.currentRow()
        if self.session.execute(
            commands.RemoveLabel(self.session.store, label, relabel_to=relabel_to)
        ):
            self.list.setCurrentRow(min(row, self.list.count() - 1))

    def _on_list_current_changed(self, _row: int) -> None:
        self._enable_buttons()

    def _on_session_labels_changed(self, _labels) -> None:
        self.refresh()

    # --- helpers -----------------------------------------------------------------------------

    def _move_current(self, step: int) -> None:
        label = self.current()
        if label is None:
            return
        order = [each.id for each in self.session.labels]
        index = order.index(label.id)
        target = index + step
        if not 0 <= target < len(order):
            return
        order[index], order[target] = order[target], order[index]
        self.session.execute(commands.ReorderLabels(self.session.store, order))

    def _enable_buttons(self) -> None:
        row = self.list.currentRow()
        chosen = row >= 0
        for name in ("Rename…", "Colour…", "Key…", "Description…", "Schema…", "Remove…"):
            self.buttons[name].setEnabled(chosen)
        self.buttons["Move up"].setEnabled(chosen and row > 0)
        self.buttons["Move down"].setEnabled(chosen and row < self.list.count() - 1)
