"""Preferences: who is annotating, the text font and size, and token snapping.

On a team's PostgreSQL project the annotator is the login (the server decides it): the name
is shown, not editable."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFontComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from db.team import TeamMember
from desktop.settings import Settings


class PreferencesDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        member: TeamMember | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.member = member
        self.annotator = QLineEdit(member.name if member else settings.annotator, self)
        self.annotator.setToolTip(
            "The name your spans are saved under; a reviewer's gold layer is 'gold'."
        )
        self.signed_in = QLabel(self)
        if member is not None:
            self.annotator.setEnabled(False)
            self.signed_in.setText(
                f"You sign in as {member.name} ({member.role}): the server decides who you are."
            )
            self.signed_in.setWordWrap(True)
        self.signed_in.setVisible(member is not None)
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
        form.addRow("", self.signed_in)
        form.addRow("Text font", self.font_family)
        form.addRow("Text size", self.font_size)
        form.addRow("", self.snap)
        form.addRow(buttons)

    def _on_ok(self) -> None:
        if self.member is None and not self.annotator.text().strip():
            self.annotator.setFocus()
            return
        self.accept()

    def apply_to(self, settings: Settings) -> None:
        if self.member is None:  # a team's login is not the preference's to change
            settings.annotator = self.annotator.text().strip()
        settings.font_family = self.font_family.currentFont().family()
        settings.font_size = self.font_size.value()
        settings.snap_to_tokens = self.snap.isChecked()
