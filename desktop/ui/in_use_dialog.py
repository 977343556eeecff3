"""The question asked before taking away something spans still use (a label, a choice):
move them to another, or let them go; undo brings everything back either way."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)


class InUseDialog(QDialog):
    """A question, "<keep> [a list]" or "<drop>", an OK named for the change and an undo hint.

    ``keep`` is chosen when the list has entries; with none, only ``drop`` is possible.
    Subclasses fill ``choices`` and give the radio buttons the names their callers use.
    """

    def __init__(
        self,
        title: str,
        question: str,
        keep: str,
        drop: str,
        ok: str,
        undo_hint: str,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.question = QLabel(question, self)
        self.question.setWordWrap(True)
        self.keep = QRadioButton(keep, self)
        self.choices = QComboBox(self)
        self.drop = QRadioButton(drop, self)
        group = QButtonGroup(self)
        group.addButton(self.keep)
        group.addButton(self.drop)
        self.keep.toggled.connect(self.choices.setEnabled)
        row = QHBoxLayout()
        row.addWidget(self.keep)
        row.addWidget(self.choices, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addLayout(row)
        layout.addWidget(self.drop)
        layout.addWidget(QLabel(undo_hint, self))
        layout.addWidget(self.buttons)

    def choices_filled(self, preferred: int = 0) -> None:
        """Call once ``choices`` holds its entries: picks the default answer."""
        if self.choices.count():
            self.choices.setCurrentIndex(preferred)
            self.keep.setChecked(True)
        else:
            self.keep.setEnabled(False)
            self.choices.setEnabled(False)
            self.drop.setChecked(True)

    def chosen(self):
        """The entry's data when ``keep`` is chosen, else None."""
        return self.choices.currentData() if self.keep.isChecked() else None
