"""The label palette: one button per label with its colour and keys; clicking one tags the
selection (or relabels the selected span), as pressing its key does. Hovering one shows the
label's guidelines (desktop/ui/guidelines_panel.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from db.records import LabelRecord
from desktop.ui.guidelines_panel import label_tooltip
from desktop.ui.span_panel import swatch


class LabelPaletteWidget(QWidget):
    #: a label was clicked (its id)
    labelChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._layout.setSpacing(4)
        self._buttons: dict[int, QToolButton] = {}
        self._counts: dict[int, int] = {}
        self._labels: list[LabelRecord] = []
        self._hint = QLabel(self)
        self._hint.setWordWrap(True)
        self._hint.setStyleSheet("color: palette(mid);")

    def set_labels(self, labels: list[LabelRecord]) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None and item.widget() is not self._hint:
                item.widget().deleteLater()
        self._buttons.clear()
        self._labels = list(labels)
        for number, label in enumerate(labels, start=1):
            button = QToolButton(self)
            button.setIcon(swatch(label.colour, 14))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setToolTip(label_tooltip(label, number))  # the label's guidelines
            button.clicked.connect(
                lambda _checked=False, label_id=label.id: self.labelChosen.emit(label_id)
            )
            self._buttons[label.id] = button
            self._layout.addWidget(button)
            self._refresh(label, number)
        self._hint.setText(
            "Select text, then press a label's key. Enter accepts a suggestion, Backspace rejects it."
        )
        self._layout.addWidget(self._hint)
        self._layout.addStretch(1)

    def set_counts(self, counts: dict[int, int]) -> None:
        """How many spans of each label the open document has (shown on the buttons)."""
        self._counts = dict(counts)
        for number, label in enumerate(self._labels, start=1):
            self._refresh(label, number)

    def _refresh(self, label: LabelRecord, number: int) -> None:
        button = self._buttons.get(label.id)
        if button is None:
            return
        keys = [
            key
            for key in (
                label.shortcut.upper() if label.shortcut else None,
                str(number) if number <= 9 else None,
            )
            if key
        ]
        count = self._counts.get(label.id)
        text = label.name
        if keys:
            text += "   " + " · ".join(keys)
        if count:
            text += f"   ({count})"
        button.setText(text)

    def button(self, label_id: int) -> QToolButton | None:
        return self._buttons.get(label_id)
