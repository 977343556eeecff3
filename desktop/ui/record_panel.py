"""The selected span as a record: its attributes as a compact form, its relations, the keys
that start one, and the list the other end of a relation is picked from.

Every field commits when a value is chosen (a choice, a tick) or entered (Enter, or leaving
a text field); the window turns that into an undoable command.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.records import LabelRecord, RelationRecord, SpanRecord
from db.schema import AttributeSpec, RelationSpec, date_precision

DATE_HINT = "2024-02-03 · 2024-W05 · 2024-02 · 2024"
RELATION_ROLE = Qt.ItemDataRole.UserRole
SPAN_ROLE = Qt.ItemDataRole.UserRole + 1


class RelationList(QListWidget):
    """A span's relations; Delete removes the current one, Enter goes to its other end."""

    removeRequested = Signal(object)  # RelationRecord
    otherEndChosen = Signal(str)  # span uuid

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        item = self.currentItem()
        if item is not None and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.removeRequested.emit(item.data(RELATION_ROLE))
            return
        if item is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.otherEndChosen.emit(item.data(SPAN_ROLE))
            return
        super().keyPressEvent(event)


class CandidateList(QListWidget):
    """The spans a relation may point at, nearest first: arrows and Enter (or 1–9) pick one,
    Esc cancels."""

    picked = Signal(str)  # span uuid
    cancelled = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem() is not None:
            self.picked.emit(self.currentItem().data(SPAN_ROLE))
            return
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and key - Qt.Key.Key_1 < self.count():
            self.picked.emit(self.item(key - Qt.Key.Key_1).data(SPAN_ROLE))
            return
        super().keyPressEvent(event)


class RecordPanel(QWidget):
    """Shows one span's record; says what the analyst changed through its signals."""

    #: a field was set: (span, attribute name, value or None to clear)
    attributeEdited = Signal(object, str, object)
    #: a relation's Delete
    relationRemoveRequested = Signal(object)
    #: go to a span (the other end of a relation)
    spanChosen = Signal(str)
    #: the other end of the relation being made was picked (uuid), or picking was cancelled
    candidatePicked = Signal(str)
    pickCancelled = Signal()
    #: Esc in a field: back to the document
    done = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.span: SpanRecord | None = None
        self.label: LabelRecord | None = None
        self.fields: dict[str, QWidget] = {}
        self._signature: tuple | None = None
        self.title = QLabel("No span selected", self)
        self.title.setWordWrap(True)
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.keys = QLabel("", self)
        self.keys.setWordWrap(True)
        self.keys.setStyleSheet("color: #555;")
        self.relations = RelationList(self)
        self.relations.setMaximumHeight(96)
        self.picker_title = QLabel("", self)
        self.picker_title.setWordWrap(True)
        self.picker = CandidateList(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.form_host)
        layout.addWidget(self.keys)
        layout.addWidget(self.relations)
        layout.addWidget(self.picker_title)
        layout.addWidget(self.picker)
        self.relations.removeRequested.connect(self.relationRemoveRequested)
        self.relations.otherEndChosen.connect(self.spanChosen)
        self.relations.itemDoubleClicked.connect(
            lambda item: self.spanChosen.emit(item.data(SPAN_ROLE))
        )
        self.picker.picked.connect(self.candidatePicked)
        self.picker.cancelled.connect(self.pickCancelled)
        self.picker.itemActivated.connect(
            lambda item: self.candidatePicked.emit(item.data(SPAN_ROLE))
        )
        self.hide_picker()
        self.show_span(None, None, [], {}, False)

    # --- public API --------------------------------------------------------------------------

    def show_span(
        self,
        span: SpanRecord | None,
        label: LabelRecord | None,
        relations: list[RelationRecord],
        spans: dict[str, SpanRecord],
        editable: bool,
        missing: list[str] | None = None,
    ) -> None:
        """Show a span's record: ``relations`` touch it, ``spans`` name their other ends."""
        signature = (
            (
                label.id,
                label.schema,
                editable,
                tuple(k for k in span.attributes if label.schema.attribute(k) is None),
            )
            if span is not None and label is not None
            else None
        )
        same_form = signature is not None and signature == self._signature
        same_span = span is not None and self.span is not None and span.uuid == self.span.uuid
        self._signature = signature
        self.span = span
        self.label = label
        self.relations.clear()
        if same_form:
            # A span of the same label (or the same span, changed): keep the fields, and the
            # keyboard where it is, and show the values.
            self._update_values(span, same_span)
        else:
            self._clear_form()
        if span is None or label is None:
            self.title.setText("No span selected: click one, or Tab to the next")
            self.keys.setText("")
            self.relations.hide()
            return
        needs = f" — <b>needs {', '.join(missing)}</b>" if missing else ""
        self.title.setText(f"<b>{label.name}</b> “{_short(span.text)}”{needs}")
        schema = label.schema
        for spec in schema.attributes if not same_form else ():
            field = self._field(spec, span, editable)
            self.fields[spec.name] = field
            caption = spec.name + (" *" if spec.required else "")
            self.form.addRow(caption, field)
            field.show()  # now, not when the event loop next runs: F2 may follow at once
            field.setToolTip(_tooltip(spec, span))
        for name, value in span.attributes.items() if not same_form else ():
            if schema.attribute(name) is None:
                shown = QLabel(str(value), self.form_host)
                shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.form.addRow(name, shown)
        if not same_form:
            chain = list(self.fields.values())
            for before, after in zip(chain, chain[1:], strict=False):
                QWidget.setTabOrder(before, after)
        hints = [f"Alt+{spec.key.upper()} {spec.type}" for spec in schema.relations if spec.key]
        self.keys.setText(
            ("Link: " + " · ".join(hints) + " · F2 edits the fields") if hints and editable else ""
        )
        for relation in relations:
            outgoing = relation.head_uuid == span.uuid
            other = spans.get(relation.tail_uuid if outgoing else relation.head_uuid)
            if other is None:
                continue
            arrow = "→" if outgoing else "←"
            item = QListWidgetItem(
                f"{arrow} {relation.type}: “{_short(other.text, 36)}” ({other.label})"
            )
            item.setData(RELATION_ROLE, relation)
            item.setData(SPAN_ROLE, other.uuid)
            self.relations.addItem(item)
        self.relations.setVisible(self.relations.count() > 0)

    def focus_first_field(self) -> bool:
        """Put the keyboard in the first field (F2); False when there is none."""
        for widget in self.fields.values():
            if widget.isEnabled():
                widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return True
        return False

    def show_picker(self, head: SpanRecord, spec: RelationSpec, candidates: list[SpanRecord]):
        """List the spans the relation may point at, and give the list the keyboard."""
        allowed = ", ".join(spec.targets) if spec.targets else "any span"
        self.picker_title.setText(
            f"<b>{spec.type}</b> of “{_short(head.text, 30)}”: click a span, or pick "
            f"({allowed}) with ↑↓ and Enter or 1–9; Esc cancels"
        )
        self.picker.clear()
        for number, span in enumerate(candidates, start=1):
            prefix = f"{number}. " if number <= 9 else "    "
            item = QListWidgetItem(f"{prefix}{span.label}: “{_short(span.text, 40)}”")
            item.setData(SPAN_ROLE, span.uuid)
            self.picker.addItem(item)
        if candidates:
            self.picker.setCurrentRow(0)
        self.picker_title.show()
        self.picker.show()
        self.picker.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def hide_picker(self) -> None:
        self.picker.clear()
        self.picker_title.hide()
        self.picker.hide()

    # --- fields ------------------------------------------------------------------------------

    def _update_values(self, span: SpanRecord, same_span: bool) -> None:
        """Show a span's values in the fields; a text being typed for this span stays."""
        for name, widget in self.fields.items():
            value = span.attributes.get(name)
            spec = self.label.schema.attribute(name) if self.label else None
            if spec is not None:
                widget.setToolTip(_tooltip(spec, span))
            widget.blockSignals(True)
            try:
                if isinstance(widget, QComboBox):
                    widget.setCurrentIndex(
                        max(0, widget.findData(value)) if value is not None else 0
                    )
                elif isinstance(widget, QCheckBox):
                    widget.setChecked(bool(value))
                elif isinstance(widget, QLineEdit) and not (same_span and widget.hasFocus()):
                    widget.setText("" if value is None else _shown(value))
            finally:
                widget.blockSignals(False)

    def _clear_form(self) -> None:
        self.fields = {}
        while self.form.rowCount():
            self.form.removeRow(0)

    def _field(self, spec: AttributeSpec, span: SpanRecord, editable: bool) -> QWidget:
        value = span.attributes.get(spec.name)
        host = self.form_host
        if spec.kind == "choice":
            combo = QComboBox(host)
            combo.addItem("—", None)
            for choice in spec.values:
                combo.addItem(choice, choice)
            combo.setCurrentIndex(max(0, combo.findData(value)) if value is not None else 0)
            combo.activated.connect(
                lambda index, c=combo, s=spec: self._commit(s, c.itemData(index))
            )
            widget: QWidget = combo
        elif spec.kind == "yesno":
            box = QCheckBox(host)
            box.setChecked(bool(value))
            box.clicked.connect(lambda checked, s=spec: self._commit(s, bool(checked)))
            widget = box
        else:
            line = QLineEdit(host)
            line.setText("" if value is None else _shown(value))
            if spec.kind == "date":
                line.setPlaceholderText(DATE_HINT)
            elif spec.kind == "number":
                line.setPlaceholderText("a number")
            line.editingFinished.connect(lambda f=line, s=spec: self._commit_text(s, f))
            widget = line
        widget.setEnabled(editable)
        widget.installEventFilter(self)  # Esc in a field: back to the document
        return widget

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Escape
            and watched in self.fields.values()
        ):
            self.done.emit()
            return True
        return super().eventFilter(watched, event)

    def _commit_text(self, spec: AttributeSpec, field: QLineEdit) -> None:
        if self.span is None:
            return
        text = field.text().strip()
        current = self.span.attributes.get(spec.name)
        if spec.kind == "number" and text:
            try:
                number = float(text.replace(",", ""))
            except ValueError:
                self.attributeEdited.emit(self.span, spec.name, text)  # refused, with a reason
                return
            value: object = int(number) if number.is_integer() else number
        else:
            value = text or None
        if value == current:
            return
        self._commit(spec, value)

    def _commit(self, spec: AttributeSpec, value: object) -> None:
        if self.span is not None and value != self.span.attributes.get(spec.name):
            self.attributeEdited.emit(self.span, spec.name, value)


def _tooltip(spec: AttributeSpec, span: SpanRecord) -> str:
    """The field's description, what a date's form says of it, and where a value came from."""
    lines = [spec.description] if spec.description else []
    value = span.attributes.get(spec.name)
    if spec.kind == "date" and isinstance(value, str) and date_precision(value):
        lines.append(f"precision: {date_precision(value)}")
    if value is not None and span.origin in ("rules", "model"):
        lines.append(f"resolved from the text by the {span.origin}: check it")
    return "\n".join(lines)


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _short(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
