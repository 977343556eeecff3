"""The label editor: add, rename, recolour, reorder and set keys; removing a label that is
in use asks what to do with its spans. Every change is on the undo stack."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from db.records import LabelRecord
from desktop import commands
from desktop.ui.span_panel import swatch


class LabelRemovalDialog(QDialog):
    """Asks what becomes of the spans of a label being removed."""

    def __init__(
        self,
        label: LabelRecord,
        count: int,
        others: list[LabelRecord],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(f"Remove label {label.name}")
        question = QLabel(
            f"<p><b>{label.name}</b> is used by {count} span(s). What should happen to them?</p>",
            self,
        )
        self.move = QRadioButton("Move them to the label", self)
        self.target = QComboBox(self)
        for other in others:
            self.target.addItem(swatch(other.colour), other.name, other.id)
        self.delete = QRadioButton(f"Delete the {count} span(s)", self)
        group = QButtonGroup(self)
        group.addButton(self.move)
        group.addButton(self.delete)
        if others:
            self.move.setChecked(True)
        else:
            self.move.setEnabled(False)
            self.target.setEnabled(False)
            self.delete.setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.move)
        row.addWidget(self.target, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Remove label")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addLayout(row)
        layout.addWidget(self.delete)
        layout.addWidget(QLabel("Edit → Undo brings the label and its spans back.", self))
        layout.addWidget(buttons)

    def relabel_to(self) -> int | None:
        return self.target.currentData() if self.move.isChecked() else None


class LabelEditorDialog(QDialog):
    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Labels")
        self.resize(460, 360)
        self.list = QListWidget(self)
        self.buttons: dict[str, QPushButton] = {}
        column = QVBoxLayout()
        for name, slot in (
            ("Add…", self.add_label),
            ("Rename…", self.rename_label),
            ("Colour…", self.recolour_label),
            ("Key…", self.set_key),
            ("Description…", self.describe_label),
            ("Move up", lambda: self.move_label(-1)),
            ("Move down", lambda: self.move_label(1)),
            ("Remove…", self.remove_label),
        ):
            button = QPushButton(name, self)
            button.clicked.connect(slot)
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
        session.labelsChanged.connect(lambda _labels: self.refresh())
        self.refresh()

    # --- public API --------------------------------------------------------------------------

    def refresh(self) -> None:
        current = self.current()
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

    def current(self) -> LabelRecord | None:
        item = self.list.currentItem()
        return self.session.label(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def select(self, name: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).text().split("    ")[0] == name:
                self.list.setCurrentRow(row)

    # --- actions -----------------------------------------------------------------------------
    # Each action asks for what it needs unless it is given (tests and scripts give it).

    def add_label(self, name: str | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(self, "Add label", "Name of the new label:")
            if not ok:
                return
        if name.strip():
            self.session.execute(commands.AddLabel(self.session.store, name.strip()))
            self.select(name.strip())

    def rename_label(self, name: str | None = None) -> None:
        label = self.current()
        if label is None:
            return
        if name is None:
            name, ok = QInputDialog.getText(self, "Rename label", "New name:", text=label.name)
            if not ok:
                return
        if name.strip() and name.strip() != label.name:
            self.session.execute(commands.UpdateLabel(self.session.store, label, name=name.strip()))

    def recolour_label(self, colour: str | None = None) -> None:
        label = self.current()
        if label is None:
            return
        if colour is None:
            chosen = QColorDialog.getColor(QColor(label.colour), self, f"Colour of {label.name}")
            if not chosen.isValid():
                return
            colour = chosen.name()
        self.session.execute(commands.UpdateLabel(self.session.store, label, colour=colour.upper()))

    def set_key(self, key: str | None = None) -> None:
        label = self.current()
        if label is None:
            return
        if key is None:
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
                "A label's key is a single letter; 1–9 follow the order of the labels"
            )
            return
        self.session.execute(
            commands.UpdateLabel(self.session.store, label, shortcut=key.upper() or None)
        )

    def describe_label(self, text: str | None = None) -> None:
        label = self.current()
        if label is None:
            return
        if text is None:
            text, ok = QInputDialog.getMultiLineText(
                self, "Label description", f"What counts as {label.name}:", label.description
            )
            if not ok:
                return
        if text != label.description:
            self.session.execute(commands.UpdateLabel(self.session.store, label, description=text))

    def move_label(self, step: int) -> None:
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

    def remove_label(self, spans: str | None = None, relabel_to: int | None = None) -> None:
        """Remove the current label. A label in use asks what becomes of its spans, unless
        ``spans`` says: "move" (to ``relabel_to``) or "delete"."""
        label = self.current()
        if label is None:
            return
        count = self.session.store.label_usage(label.id)
        if count and spans is None:
            others = [each for each in self.session.labels if each.id != label.id]
            dialog = LabelRemovalDialog(label, count, others, self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            relabel_to = dialog.relabel_to()
        elif count and spans == "delete":
            relabel_to = None
        elif count and relabel_to is None:
            return
        self.session.execute(commands.RemoveLabel(self.session.store, label, relabel_to=relabel_to))
