"""Preferences: who is annotating, the text font and size, and token snapping."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFontComboBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from desktop.settings import Settings


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.annotator = QLineEdit(settings.annotator, self)
        self.annotator.setToolTip(
            "The name your spans are saved under; a reviewer's gold layer is 'gold'."
        )
        self.font_family = QFontComboBox(self)
        if settings.font_family:
            self.font_family.setCurrentFont(QFont(settings.font_family))
        self.font_size = QSpinBox(self)
        self.font_size.setRange(7, 40)
        self.font_size.setValue(settings.font_size)
        self.font_size.setSuffix(" pt")
        self.snap = QCheckBox("Snap selections to whole words (spaCy tokens)", self)
        self.snap.setChecked(settings.snap_to_tokens)
        self.snap.setToolTip(
            "Hold Ctrl while dragging, or Alt with Shift+arrows, to select exact characters."
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Annotator name", self.annotator)
        form.addRow("Text font", self.font_family)
        form.addRow("Text size", self.font_size)
        form.addRow("", self.snap)
        form.addRow(buttons)

    def _on_ok(self) -> None:
        if not self.annotator.text().strip():
            self.annotator.setFocus()
            return
        self.accept()

    def apply_to(self, settings: Settings) -> None:
        settings.annotator = self.annotator.text().strip()
        settings.font_family = self.font_family.currentFont().family()
        settings.font_size = self.font_size.value()
        settings.snap_to_tokens = self.snap.isChecked()
