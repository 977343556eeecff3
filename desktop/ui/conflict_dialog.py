"""The choice shown when a write was refused because a colleague changed a span first:
their version and mine side by side, and keep theirs (T), apply mine on top (M) or edit
(E) by key. Several spans of one action are listed in one dialog, and one choice answers
for the whole action; E edits one span, so it is offered when the action concerns one.
"""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from db.records import LabelRecord, SpanRecord
from desktop.commands import short
from desktop.conflicts import SpanConflict
from desktop.ui.span_panel import swatch

THEIRS, MINE, EDIT = "theirs", "mine", "edit"
CONTEXT_WORDS = 5  # words shown either side of the covered text
DIFFERS = "background: #fff1b8; border-radius: 3px; padding: 1px 4px;"
SAME = "padding: 1px 4px;"


def context(text: str, start: int, end: int, words: int = CONTEXT_WORDS) -> tuple[str, str, str]:
    """The covered text with a few words either side, on one line (offsets exact: the
    covered part is ``text[start:end]``)."""
    before = " ".join(text[:start].split()[-words:])
    after = " ".join(text[end:].split()[:words])
    # No-break spaces: rich text drops a plain one at the edge of the bold covered part.
    if before and text[:start][-1:].isspace():
        before += "\u00a0"
    if after and text[end : end + 1].isspace():
        after = "\u00a0" + after
    return before, " ".join(text[start:end].split()), after


def _when(at: str | None) -> str:
    """An ISO time as people read it: date and time to the second, UTC."""
    if not at:
        return ""
    return at.replace("T", " ")[:19] + " UTC"


class ConflictDialog(QDialog):
    """Theirs and mine for each conflicting span; :attr:`choice` is THEIRS, MINE or EDIT
    once closed, and :attr:`edited` the fields the editor gave (label_id, start, end,
    note) for :attr:`edited_uuid`."""

    def __init__(
        self,
        conflicts: list[SpanConflict],
        labels: list[LabelRecord],
        document_text: str,
        action: str,
        spans_in_action: int,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Changed by someone else")
        self.conflicts = conflicts
        self.labels = {label.id: label for label in labels}
        self.label_list = labels
        self.text = document_text
        self.choice = THEIRS  # Esc, or closing the dialog, keeps theirs
        self.edited: dict[str, Any] = {}
        self.edited_uuid: str | None = None

        if spans_in_action == 1:
            headline = f"“{action}” was not saved: someone else changed this span first."
        else:
            headline = (
                f"“{action}” was not saved: {len(conflicts)} of its {spans_in_action} spans "
                "were changed by someone else first. Nothing of it was written."
            )
        heading = QLabel(f"<b>{html.escape(headline)}</b>", self)
        heading.setWordWrap(True)
        hint = QLabel(
            "T keeps theirs (nothing is written). M makes your change again on their version. "
            + ("E lets you edit it first. " if self._editable() else "")
            + "Esc keeps theirs. Either way, Ctrl+Z undoes what is written.",
            self,
        )
        hint.setWordWrap(True)

        body = QWidget(self)
        rows = QVBoxLayout(body)
        rows.setContentsMargins(0, 0, 0, 0)
        for conflict in conflicts:
            rows.addWidget(self._comparison(conflict))
        shown: QWidget = body
        if len(conflicts) > 1:  # a long list scrolls; one span is shown whole
            rows.addStretch(1)
            shown = QScrollArea(self)
            shown.setWidget(body)
            shown.setWidgetResizable(True)
            shown.setFrameShape(QFrame.Shape.NoFrame)
            shown.setMinimumHeight(460)

        self.theirs_button = QPushButton("Keep theirs  T", self)
        self.theirs_button.setToolTip("Nothing is written; the document shows their version")
        self.mine_button = QPushButton("Apply mine on top  M", self)
        self.mine_button.setToolTip("Your change, made again on their version (Ctrl+Z undoes it)")
        self.edit_button = QPushButton("Edit…  E", self)
        self.edit_button.setToolTip("Change the label, offsets or note, then apply on theirs")
        self.edit_button.setVisible(self._editable())
        for button in (self.theirs_button, self.mine_button, self.edit_button):
            button.setAutoDefault(False)
        self.theirs_button.setDefault(True)
        self.theirs_button.clicked.connect(lambda: self._choose(THEIRS))
        self.mine_button.clicked.connect(lambda: self._choose(MINE))
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.theirs_button)
        buttons.addWidget(self.mine_button)
        buttons.addWidget(self.edit_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(shown, 1 if len(conflicts) > 1 else 0)
        layout.addLayout(buttons)
        self.resize(820, self.sizeHint().height())

    # --- public API ------------------------------------------------------------------------

    def editable_conflict(self) -> SpanConflict | None:
        """The one span E edits (None when the action concerns several, or none is left)."""
        if len(self.conflicts) != 1:
            return None
        conflict = self.conflicts[0]
        return conflict if (conflict.mine or conflict.theirs) is not None else None

    # --- building --------------------------------------------------------------------------

    def _editable(self) -> bool:
        return self.editable_conflict() is not None

    def _comparison(self, conflict: SpanConflict) -> QGroupBox:
        shown = conflict.theirs or conflict.mine
        title = f"“{short(shown.text, 60)}”" if shown is not None else conflict.span_uuid
        box = QGroupBox(title, self)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(12)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        who = f" ({conflict.changed_by})" if conflict.changed_by else ""
        grid.addWidget(QLabel(f"<b>Theirs</b> — as it is now{html.escape(who)}", box), 0, 1)
        grid.addWidget(QLabel("<b>Mine</b> — your change, not saved", box), 0, 2)
        theirs, mine = conflict.theirs, conflict.mine
        rows = self._rows(conflict)
        for number, (name, _theirs_value, _mine_value) in enumerate(rows, start=1):
            grid.addWidget(QLabel(name, box), number, 0, Qt.AlignmentFlag.AlignTop)
        for column, side, other, gone in (
            (1, theirs, mine, "Deleted by their change"),
            (2, mine, theirs, "Deleted: your change deletes it"),
        ):
            if side is None:
                when = _when(conflict.changed_at) if column == 1 else ""
                who = f" by {conflict.changed_by}" if column == 1 and conflict.changed_by else ""
                detail = f"<br>{html.escape(when + who)}" if when or who else ""
                cell = QLabel(f"<i>{gone}</i>{detail}", box)
                cell.setStyleSheet(DIFFERS)
                cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
                grid.addWidget(cell, 1, column, len(rows), 1)
                continue
            for number, row in enumerate(rows, start=1):
                value = row[column]
                # when each side was changed always differs: not worth the eye
                differs = other is not None and row[1] != row[2] and row[0] != "Changed"
                cell = QLabel(value, box)
                cell.setTextFormat(Qt.TextFormat.RichText)
                cell.setWordWrap(True)
                cell.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                cell.setStyleSheet(DIFFERS if differs else SAME)
                grid.addWidget(cell, number, column, Qt.AlignmentFlag.AlignTop)
        return box

    def _rows(self, conflict: SpanConflict) -> list[tuple[str, str, str]]:
        """(field, theirs as shown, mine as shown) for every field of a span."""

        def cells(span: SpanRecord | None, changed: str) -> list[str]:
            if span is None:
                return [""] * 8
            return [
                self._label_cell(span),
                self._text_cell(span),
                f"{span.start}–{span.end}",
                span.status,
                html.escape(span.note) or "<i>none</i>",
                html.escape(
                    ", ".join(
                        f"{k}: {json.dumps(v, ensure_ascii=False)}"
                        for k, v in sorted(span.attributes.items())
                    )
                )
                or "<i>none</i>",
                html.escape(span.annotator),
                changed,
            ]

        who = f" by {conflict.changed_by}" if conflict.changed_by else ""
        theirs = cells(conflict.theirs, html.escape(_when(conflict.changed_at) + who))
        mine = cells(conflict.mine, "now, by you")
        names = ["Label", "Text", "Offsets", "Status", "Note", "Attributes", "Annotator", "Changed"]
        return list(zip(names, theirs, mine, strict=True))

    def _label_cell(self, span: SpanRecord) -> str:
        label = self.labels.get(span.label_id)
        colour = label.colour if label else "#888888"
        name = label.name if label else span.label
        return f"<span style='color:{colour}'>■</span> {html.escape(name)}"

    def _text_cell(self, span: SpanRecord) -> str:
        before, covered, after = context(self.text, span.start, span.end)
        return (
            f"<span style='color:#666'>…{html.escape(before)}</span>"
            f"<b>{html.escape(covered)}</b>"
            f"<span style='color:#666'>{html.escape(after)}…</span>"
        )

    # --- Qt overrides ----------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """T, M and E press their buttons (nothing in the dialog takes typed letters)."""
        buttons = {
            Qt.Key.Key_T: self.theirs_button,
            Qt.Key.Key_M: self.mine_button,
            Qt.Key.Key_E: self.edit_button,
        }
        button = buttons.get(Qt.Key(event.key()))
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if button is not None and plain and button.isVisible() and button.isEnabled():
            button.click()
            return
        super().keyPressEvent(event)

    # --- slots -----------------------------------------------------------------------------

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    def _on_edit_button_clicked(self) -> None:
        conflict = self.editable_conflict()
        if conflict is None:
            return
        editor = SpanEditorDialog(
            conflict.mine or conflict.theirs, self.label_list, self.text, parent=self
        )
        if editor.exec() == QDialog.DialogCode.Accepted:
            self.edited = editor.fields()
            self.edited_uuid = conflict.span_uuid
            self._choose(EDIT)


class SpanEditorDialog(QDialog):
    """A small editor of one span's label, offsets (exact code points) and note, filled in
    with mine; what it gives is applied on top of their version."""

    def __init__(
        self,
        span: SpanRecord,
        labels: list[LabelRecord],
        document_text: str,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Edit, then apply on theirs")
        self.text = document_text
        self.label = QComboBox(self)
        for label in labels:
            self.label.addItem(swatch(label.colour), label.name, label.id)
        self.label.setCurrentIndex(max(0, self.label.findData(span.label_id)))
        self.start = QSpinBox(self)
        self.end = QSpinBox(self)
        for box in (self.start, self.end):
            box.setRange(0, len(document_text))
        self.start.setValue(span.start)
        self.end.setValue(span.end)
        self.covered = QLabel(self)
        self.covered.setWordWrap(True)
        self.note = QLineEdit(span.note, self)
        self.note.setPlaceholderText("A note for the span")
        form = QFormLayout()
        form.addRow("&Label", self.label)
        form.addRow("&Start", self.start)
        form.addRow("E&nd", self.end)
        form.addRow("Covers", self.covered)
        form.addRow("N&ote", self.note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Apply on theirs")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.start.valueChanged.connect(self._on_offsets_changed)
        self.end.valueChanged.connect(self._on_offsets_changed)
        self._on_offsets_changed()
        self.resize(520, self.sizeHint().height())
        self.note.setFocus()

    def fields(self) -> dict[str, Any]:
        """The span's new label, offsets and note."""
        return {
            "label_id": self.label.currentData(),
            "start": self.start.value(),
            "end": self.end.value(),
            "note": self.note.text(),
        }

    def _on_offsets_changed(self) -> None:
        start, end = self.start.value(), self.end.value()
        covered = self.text[start:end]
        fits = start < end and bool(covered.strip())
        if fits:
            before, middle, after = context(self.text, start, end, 3)
            self.covered.setText(
                f"…{html.escape(before)}<b>{html.escape(middle)}</b>{html.escape(after)}…"
            )
        else:
            self.covered.setText("<i>nothing: the end must come after the start, on text</i>")
        self.ok.setEnabled(fits)
