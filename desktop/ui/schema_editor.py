"""The schema editor: a label's attributes and the relations that may start from its spans.
Each add, edit, removal and move is one undoable change; a change that takes away values
spans carry asks what becomes of them first."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.records import LabelRecord
from db.schema import (
    ATTRIBUTE_KINDS,
    AttributeSpec,
    LabelSchema,
    RelationSpec,
    SchemaError,
    removed_values,
)
from db.store import StoreError
from desktop import commands
from desktop.ui.in_use_dialog import InUseDialog

KIND_NAMES = {
    "choice": "choice",
    "text": "text",
    "date": "date",
    "number": "number",
    "yesno": "yes / no",
}
ATTRIBUTE_COLUMNS = ("Name", "Kind", "Values", "Required", "Description")
RELATION_COLUMNS = ("Type", "Points at", "Per span", "Required", "Key", "Description")
EDITS = ("Add…", "Edit…", "Remove…", "Move up", "Move down")
TEXT_KINDS = ("choice", "text", "date")  # kinds whose values are kept as text


def _checked(ok: Callable[[], str | None], error: QLabel, dialog: QDialog) -> None:
    """Close ``dialog`` if ``ok()`` finds no problem; else say the problem and stay open."""
    problem = ok()
    if problem:
        error.setText(problem)
        error.show()
    else:
        dialog.accept()


def _lay_out(dialog, form: QFormLayout, problem: Callable[[], str | None]) -> None:
    """The form, its error line, and OK (which checks ``problem`` first) and Cancel."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.accepted.connect(lambda: _checked(problem, dialog.error, dialog))
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(dialog.error)
    layout.addWidget(buttons)


def _error_label(parent: QWidget) -> QLabel:
    error = QLabel(parent)
    error.setWordWrap(True)
    error.setStyleSheet("color: #B00020")
    error.hide()
    return error


class AttributeDialog(QDialog):
    """One attribute: its name, kind, values (for a choice), whether it is required, and
    what it means. ``check`` says what is wrong with an attribute (or None); OK stays
    open until nothing is."""

    def __init__(
        self,
        label: str,
        spec: AttributeSpec | None,
        check: Callable[[AttributeSpec], str | None],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(f"Attribute of {label}" if spec else f"New attribute of {label}")
        spec = spec or AttributeSpec("", "choice")
        self.name = QLineEdit(spec.name, self)
        self.kind = QComboBox(self)
        for kind in ATTRIBUTE_KINDS:
            self.kind.addItem(KIND_NAMES[kind], kind)
        self.kind.setCurrentIndex(ATTRIBUTE_KINDS.index(spec.kind))
        self.values = QPlainTextEdit("\n".join(spec.values), self)
        self.values.setTabChangesFocus(True)
        self.values.setPlaceholderText("One value per line")
        self.values.setFixedHeight(self.fontMetrics().lineSpacing() * 7)
        self.required = QCheckBox("&Each span needs a value", self)
        self.required.setChecked(spec.required)
        self.description = QLineEdit(spec.description, self)
        self.error = _error_label(self)
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&Kind:", self.kind)
        form.addRow("&Values:", self.values)
        form.addRow("", self.required)
        form.addRow("&Description:", self.description)
        _lay_out(self, form, lambda: check(self.spec()))
        self.kind.currentIndexChanged.connect(self._on_kind_current_changed)
        self._on_kind_current_changed()

    def spec(self) -> AttributeSpec:
        """The attribute as filled in (values only for a choice, blank lines dropped)."""
        kind = self.kind.currentData()
        values = [line.strip() for line in self.values.toPlainText().splitlines()]
        return AttributeSpec(
            name=self.name.text().strip(),
            kind=kind,
            values=tuple(value for value in values if value) if kind == "choice" else (),
            required=self.required.isChecked(),
            description=self.description.text().strip(),
        )

    def _on_kind_current_changed(self, _index: int = 0) -> None:
        self.values.setEnabled(self.kind.currentData() == "choice")


class RelationDialog(QDialog):
    """One relation: its type, the labels it may point at (none ticked: any span), one or
    several per span, whether it is required, and the key (Alt+letter) that starts it."""

    def __init__(
        self,
        label: str,
        spec: RelationSpec | None,
        labels: list[str],
        check: Callable[[RelationSpec], str | None],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(f"Relation from {label}" if spec else f"New relation from {label}")
        spec = spec or RelationSpec("")
        self.type = QLineEdit(spec.type, self)
        self.targets = QListWidget(self)
        ticked = {target.lower() for target in spec.targets}
        # A target that is no label (any more) stays listed, so that it is not lost unseen.
        names = labels + [t for t in spec.targets if t.lower() not in {n.lower() for n in labels}]
        for name in names:
            item = QListWidgetItem(name, self.targets)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = name.lower() in ticked
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.targets.setFixedHeight(self.fontMetrics().lineSpacing() * 6)
        self.many = QCheckBox("A span may have &several", self)
        self.many.setChecked(spec.many)
        self.required = QCheckBox("&Each span needs one", self)
        self.required.setChecked(spec.required)
        self.key = QLineEdit(spec.key or "", self)
        self.key.setMaxLength(1)
        self.key.setPlaceholderText("none")
        self.key.setFixedWidth(self.fontMetrics().horizontalAdvance("none") * 2)
        self.description = QLineEdit(spec.description, self)
        self.error = _error_label(self)
        form = QFormLayout()
        form.addRow("&Type:", self.type)
        form.addRow("&Points at:", self.targets)
        form.addRow("", QLabel("<small>None ticked: any span.</small>", self))
        form.addRow("", self.many)
        form.addRow("", self.required)
        form.addRow("&Key (Alt+):", self.key)
        form.addRow("&Description:", self.description)
        _lay_out(self, form, lambda: check(self.spec()))

    def spec(self) -> RelationSpec:
        """The relation as filled in (the key upper-case, or None when left empty)."""
        targets = [
            self.targets.item(row).text()
            for row in range(self.targets.count())
            if self.targets.item(row).checkState() == Qt.CheckState.Checked
        ]
        key = self.key.text().strip().upper()
        return RelationSpec(
            type=self.type.text().strip(),
            targets=tuple(targets),
            many=self.many.isChecked(),
            required=self.required.isChecked(),
            key=key or None,
            description=self.description.text().strip(),
        )


class RecodeDialog(InUseDialog):
    """Asks what becomes of values spans carry that a schema change takes away: cleared, or
    changed to one value the new schema allows (``replacements``: what it reads, the value)."""

    def __init__(
        self,
        label: str,
        attribute: str,
        values: dict[str, int],
        replacements: list[tuple[str, Any]],
        preferred: int = 0,
        parent: QWidget | None = None,
    ):
        count = sum(values.values())
        shown = ", ".join(f"“{html.escape(value)}” ({n})" for value, n in sorted(values.items()))
        super().__init__(
            f"Values of {attribute}",
            f"<p>{count} {html.escape(label)} span(s) have <b>{html.escape(attribute)}</b> "
            f"{shown}, which this change takes away. What should happen to them?</p>",
            "C&hange them to",
            "&Clear the values",
            "Change schema",
            "Edit → Undo (Ctrl+Z) brings the values back.",
            parent,
        )
        self.change_values, self.replacement, self.clear_values = (
            self.keep,
            self.choices,
            self.drop,
        )
        for text, value in replacements:
            self.replacement.addItem(text, value)
        self.choices_filled(preferred)

    def recode(self) -> dict[str, Any]:
        """Every value taken away ("*") becomes the replacement, or None (cleared)."""
        return {"*": self.chosen()}


class SchemaEditorDialog(QDialog):
    """A label's attributes and relations, each list with Add, Edit, Remove and Move
    buttons; every change is one command on the undo stack (Ctrl+Z here undoes it)."""

    def __init__(self, session, label_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.label_id = label_id
        self.resize(760, 440)
        self.attributes = self._tree(ATTRIBUTE_COLUMNS, values_column=2)
        self.relations = self._tree(RELATION_COLUMNS, values_column=1)
        self.attribute_buttons = self._buttons("attributes")
        self.relation_buttons = self._buttons("relations")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        # Enter on a row edits it; the event goes on to the dialog, which must not close.
        close.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(
            self._group("&Attributes of its spans", self.attributes, self.attribute_buttons)
        )
        layout.addWidget(
            self._group("&Relations from its spans", self.relations, self.relation_buttons)
        )
        layout.addWidget(close)
        # The window's undo keys do not reach a dialog: the editor has its own on the same stack.
        undo = session.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        redo = session.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addActions([undo, redo])
        self.attributes.currentItemChanged.connect(self._on_tree_current_changed)
        self.relations.currentItemChanged.connect(self._on_tree_current_changed)
        self.attributes.itemActivated.connect(lambda *_: self._edit("attributes"))
        self.relations.itemActivated.connect(lambda *_: self._edit("relations"))
        session.labelsChanged.connect(self._on_session_labels_changed)
        self.refresh()
        self.attributes.setFocus()

    # --- public API --------------------------------------------------------------------------

    def label(self) -> LabelRecord | None:
        """The label edited, as the session has it now (None once it is gone)."""
        return self.session.label(self.label_id)

    def schema(self) -> LabelSchema:
        label = self.label()
        return label.schema if label else LabelSchema()

    def refresh(self) -> None:
        """List the attributes and relations again, keeping the current rows."""
        label = self.label()
        if label is None:  # undone away (say, an added label): nothing left to edit
            self.reject()
            return
        self.setWindowTitle(f"Attributes and relations of {label.name}")
        schema = label.schema
        self._fill(
            self.attributes,
            [
                (
                    spec.name,
                    KIND_NAMES.get(spec.kind, spec.kind),
                    ", ".join(spec.values),
                    "required" if spec.required else "",
                    spec.description,
                )
                for spec in schema.attributes
            ],
        )
        self._fill(
            self.relations,
            [
                (
                    spec.type,
                    ", ".join(spec.targets) or "any span",
                    "several" if spec.many else "one",
                    "required" if spec.required else "",
                    f"Alt+{spec.key}" if spec.key else "",
                    spec.description,
                )
                for spec in schema.relations
            ],
        )
        self._enable_buttons()

    def change(self, schema: LabelSchema, text: str) -> bool:
        """Give the label ``schema`` as one command; values it takes away that spans carry
        are recoded as the analyst says (Cancel: nothing changes)."""
        label = self.label()
        if label is None:
            return False
        recode: dict[str, dict[str, Any]] = {}
        for attribute, gone in removed_values(label.schema, schema).items():
            try:
                usage = self.session.store.schema_usage(label.id, attribute)
            except StoreError as exc:
                self.session.report_read_failure(exc, "The attributes were not changed.", None)
                return False
            in_use = {value: n for value, n in usage.items() if gone is None or value in gone}
            before = label.schema.attribute(attribute)
            if gone is None and schema.attribute(attribute) and before.kind in TEXT_KINDS:
                # A change of kind keeps the values that still fit (a choice becoming text
                # keeps every choice): only the others need an answer.
                in_use = {v: n for v, n in in_use.items() if not _fits(schema, attribute, v)}
            if not in_use:
                continue
            replacements, preferred = _replacements(label.schema, schema, attribute)
            dialog = RecodeDialog(label.name, attribute, in_use, replacements, preferred, self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            recode[attribute] = dialog.recode()
        return self.session.execute(
            commands.ChangeLabelSchema(self.session.store, label, schema, recode=recode, text=text)
        )

    # --- slots: the attributes' and the relations' lists ------------------------------------
    # ``part`` is "attributes" or "relations": the same five edits apply to either list.

    def _part(self, part: str) -> tuple[QTreeWidget, str, str]:
        """The list's tree, the word for one of its items, and the field that names one."""
        if part == "attributes":
            return self.attributes, "attribute", "name"
        return self.relations, "relation", "type"

    def _ask(self, part: str, old, put: Callable[[Any], tuple]):
        ask = self._ask_attribute if part == "attributes" else self._ask_relation
        return ask(old, put)

    def _add(self, part: str) -> None:
        tree, noun, key = self._part(part)
        schema = self.schema()
        items = getattr(schema, part)
        spec = self._ask(part, None, lambda spec: items + (spec,))
        if spec is not None:
            what = f"Add {noun} {getattr(spec, key)} to {self.label().name}"
            if self.change(replace(schema, **{part: items + (spec,)}), what):
                tree.setCurrentItem(tree.topLevelItem(len(items)))

    def _edit(self, part: str) -> None:
        tree, noun, key = self._part(part)
        row, schema = tree.currentIndex().row(), self.schema()
        items = getattr(schema, part)
        if not 0 <= row < len(items):
            return
        old = items[row]

        def put(spec) -> tuple:
            return items[:row] + (spec,) + items[row + 1 :]

        spec = self._ask(part, old, put)
        if spec is not None and spec != old:
            what = f"Change {noun} {getattr(old, key)} of {self.label().name}"
            self.change(replace(schema, **{part: put(spec)}), what)

    def _remove(self, part: str) -> None:
        tree, noun, key = self._part(part)
        row, schema = tree.currentIndex().row(), self.schema()
        items = getattr(schema, part)
        if not 0 <= row < len(items):
            return
        kept = items[:row] + items[row + 1 :]
        what = f"Remove {noun} {getattr(items[row], key)} of {self.label().name}"
        if self.change(replace(schema, **{part: kept}), what):
            self._select(tree, min(row, len(kept) - 1))

    def _move(self, part: str, step: int) -> None:
        tree, noun, key = self._part(part)
        row, schema = tree.currentIndex().row(), self.schema()
        items = getattr(schema, part)
        moved = _swapped(items, row, step)
        if moved is not None:
            what = f"Move {noun} {getattr(items[row], key)} of {self.label().name}"
            if self.change(replace(schema, **{part: moved}), what):
                self._select(tree, row + step)

    # --- slots: the rest ---------------------------------------------------------------------

    def _on_tree_current_changed(self, *_items) -> None:
        self._enable_buttons()

    def _on_session_labels_changed(self, _labels) -> None:
        if self.isVisible():
            self.refresh()

    # --- helpers -----------------------------------------------------------------------------

    def _ask_attribute(
        self, old: AttributeSpec | None, put: Callable[[AttributeSpec], tuple]
    ) -> AttributeSpec | None:
        """Ask for an attribute; ``put`` places it among the others, to check the whole."""
        schema = self.schema()
        dialog = AttributeDialog(
            self.label().name,
            old,
            lambda spec: _problem(replace(schema, attributes=put(spec))),
            self,
        )
        return dialog.spec() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _ask_relation(
        self, old: RelationSpec | None, put: Callable[[RelationSpec], tuple]
    ) -> RelationSpec | None:
        schema = self.schema()
        dialog = RelationDialog(
            self.label().name,
            old,
            [label.name for label in self.session.labels],
            lambda spec: _problem(replace(schema, relations=put(spec))),
            self,
        )
        return dialog.spec() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _tree(self, columns: tuple[str, ...], values_column: int) -> QTreeWidget:
        tree = QTreeWidget(self)
        tree.setColumnCount(len(columns))
        tree.setHeaderLabels(list(columns))
        tree.setRootIsDecorated(False)
        tree.setUniformRowHeights(True)
        tree.setAllColumnsShowFocus(True)
        tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = tree.header()
        header.setStretchLastSection(True)
        for column in range(len(columns) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # A choice may have many values: its column is as wide as the header lets it be.
        header.setSectionResizeMode(values_column, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(values_column, 200)
        return tree

    def _buttons(self, part: str) -> dict[str, QPushButton]:
        """Add, Edit, Remove, Move up and Move down for the attributes' or relations' list."""
        slots = (
            lambda: self._add(part),
            lambda: self._edit(part),
            lambda: self._remove(part),
            lambda: self._move(part, -1),
            lambda: self._move(part, 1),
        )
        buttons = {}
        for name, slot in zip(EDITS, slots, strict=True):
            button = QPushButton(name, self)
            button.setAutoDefault(False)
            # QPushButton.clicked passes its checked flag: each slot takes no argument.
            button.clicked.connect(lambda _checked=False, slot=slot: slot())
            buttons[name] = button
        return buttons

    def _group(self, title: str, tree: QTreeWidget, buttons: dict[str, QPushButton]) -> QGroupBox:
        group = QGroupBox(title, self)
        column = QVBoxLayout()
        for button in buttons.values():
            column.addWidget(button)
        column.addStretch(1)
        row = QHBoxLayout(group)
        row.addWidget(tree, 1)
        row.addLayout(column)
        return group

    @staticmethod
    def _fill(tree: QTreeWidget, rows: list[tuple[str, ...]]) -> None:
        row = tree.currentIndex().row()
        tree.blockSignals(True)
        tree.clear()
        for cells in rows:
            item = QTreeWidgetItem(tree, list(cells))
            for column, text in enumerate(cells):
                item.setToolTip(column, text)
        tree.blockSignals(False)
        if rows:
            tree.setCurrentItem(tree.topLevelItem(min(max(row, 0), len(rows) - 1)))

    @staticmethod
    def _select(tree: QTreeWidget, row: int) -> None:
        if 0 <= row < tree.topLevelItemCount():
            tree.setCurrentItem(tree.topLevelItem(row))

    def _enable_buttons(self) -> None:
        for tree, buttons in (
            (self.attributes, self.attribute_buttons),
            (self.relations, self.relation_buttons),
        ):
            row, count = tree.currentIndex().row(), tree.topLevelItemCount()
            chosen = 0 <= row < count
            buttons["Edit…"].setEnabled(chosen)
            buttons["Remove…"].setEnabled(chosen)
            buttons["Move up"].setEnabled(chosen and row > 0)
            buttons["Move down"].setEnabled(chosen and row < count - 1)


def _fits(schema: LabelSchema, attribute: str, value: str) -> bool:
    try:
        schema.check_value(attribute, value)
    except SchemaError:
        return False
    return True


def _problem(schema: LabelSchema) -> str | None:
    """What is wrong with a schema, in a sentence, or None."""
    try:
        schema.check()
    except SchemaError as exc:
        message = str(exc)
        return message[:1].upper() + message[1:]
    return None


def _swapped(items: tuple, row: int, step: int) -> tuple | None:
    target = row + step
    if not (0 <= row < len(items) and 0 <= target < len(items)):
        return None
    moved = list(items)
    moved[row], moved[target] = moved[target], moved[row]
    return tuple(moved)


def _replacements(
    old: LabelSchema, new: LabelSchema, attribute: str
) -> tuple[list[tuple[str, Any]], int]:
    """The values the new schema offers for values taken away from ``attribute`` (what each
    reads, the value), and which to offer first: a value just added, likely a rename."""
    spec = new.attribute(attribute)
    if spec is None:
        return [], 0
    if spec.kind == "yesno":
        return [("yes", True), ("no", False)], 0
    if spec.kind != "choice":
        return [], 0
    before = old.attribute(attribute)
    earlier = set(before.values) if before is not None and before.kind == "choice" else set()
    added = [index for index, value in enumerate(spec.values) if value not in earlier]
    return [(value, value) for value in spec.values], added[0] if added else 0
