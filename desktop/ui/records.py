"""Records in the window: a span's attributes and relations, made from the keyboard.

Select a span, press Alt and a relation's letter (shown in the span panel), then click the
other end or pick it from the list with the arrows and Enter; Esc cancels. F2 puts the
keyboard in the span's fields. F8 walks through the incomplete records (an event without
type or date, a claim without its source). Every change is a command on the undo stack.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from db.records import RelationRecord, SpanRecord
from db.schema import RelationSpec
from db.store import StoreError
from desktop import commands
from desktop.commands import Change

NEXT_INCOMPLETE_KEY = "F8"
CANDIDATES = 30  # spans offered in the keyboard list, nearest first


class RecordController(QObject):
    """Keeps the open document's relations, the record panel and the view in step."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.view = window.view
        self.panel = window.spans.record
        self.table = window.spans
        self._picking: tuple[SpanRecord, RelationSpec] | None = None
        session = self.session
        session.documentOpened.connect(self._on_document_opened)
        session.changed.connect(self._on_session_changed)
        session.spansLoaded.connect(self._on_spans_loaded)
        session.labelsChanged.connect(self._on_labels_changed)
        session.layersChanged.connect(self._on_layers_changed)
        self.view.spanSelected.connect(self._on_view_span_selected)
        self.view.relationKeyPressed.connect(self.start_relation)
        self.view.recordFormRequested.connect(self._on_view_record_form_requested)
        self.view.spanPicked.connect(self.finish_relation)
        self.view.pickCancelled.connect(self.cancel_relation)
        self.panel.attributeEdited.connect(self._on_panel_attribute_edited)
        self.panel.relationRemoveRequested.connect(self.remove_relation)
        self.panel.spanChosen.connect(self._on_panel_span_chosen)
        self.panel.candidatePicked.connect(self.finish_relation)
        self.panel.pickCancelled.connect(self.cancel_relation)
        self.panel.done.connect(self._back_to_document)
        self.table.incompleteOnly.toggled.connect(self._refresh_incomplete)

    # --- public API --------------------------------------------------------------------------

    @property
    def relations(self) -> list[RelationRecord]:
        return self.view.arcs.all()

    def start_relation(self, key: str) -> None:
        """Alt+letter: begin the relation of that key from the selected span."""
        head = self.view.selected_span()
        if head is None:
            self.session.message.emit("Select a span first, then Alt and a relation's letter", 4000)
            return
        label = self.session.label(head.label_id)
        spec = (
            next(
                (s for s in label.schema.relations if s.key and s.key.upper() == key.upper()), None
            )
            if label
            else None
        )
        if spec is None:
            self.session.message.emit(f"A {head.label} has no relation on Alt+{key.upper()}", 4000)
            return
        if not self.session.editable(head):
            self.session.failed.emit("Only your own spans can be linked")
            return
        candidates = self.candidates(head, spec)
        self._picking = (head, spec)
        self.view.picking = True
        self.window.spans_dock.show()
        self.panel.show_picker(head, spec, candidates)
        self.session.message.emit(
            f"Pick the {spec.type} of “{head.text[:40]}”: click a span or choose from the "
            "list; Esc cancels",
            8000,
        )

    def candidates(self, head: SpanRecord, spec: RelationSpec) -> list[SpanRecord]:
        """The spans the relation may point at, of the head's annotator, nearest first: looked
        for around the head, further out until there are enough."""
        around = self.view.view_span(head.uuid)
        if around is None:
            return []
        length = self.view.offsets.qt_length
        reach = 2000
        while True:
            spans = [
                view_span.record
                for view_span in self.view.spans_between(
                    max(0, around.start - reach), around.end + reach
                )
                if view_span.uuid != head.uuid
                and view_span.record.annotator_id == head.annotator_id
                and view_span.record.status != "rejected"
                and spec.allows(view_span.record.label)
            ]
            if len(spans) >= CANDIDATES or reach >= length:
                break
            reach *= 4
        spans.sort(key=lambda s: (abs(s.start - head.start), s.start, s.end, s.uuid))
        return spans[:CANDIDATES]

    def finish_relation(self, tail_uuid: str) -> None:
        if self._picking is None:
            return
        head, spec = self._picking
        tail_view = self.view.view_span(tail_uuid)
        if tail_view is None:
            return
        tail = tail_view.record
        if not spec.allows(tail.label):
            self.session.message.emit(
                f"A {head.label}'s {spec.type} is a {' or '.join(spec.targets)}, "
                f"not a {tail.label}: pick another span",
                5000,
            )
            return
        self._end_picking()
        replaces = []
        if not spec.many:
            replaces = [
                relation
                for relation in self.view.arcs.of_span(head.uuid)
                if relation.head_uuid == head.uuid and relation.type == spec.type
            ]
        self.session.execute(
            commands.AddRelation(
                self.session.store,
                head,
                tail,
                spec.type,
                self.session.editing.id,
                replaces=replaces,
            )
        )
        self.view.select_span(head.uuid)
        self._show_selected()

    def cancel_relation(self) -> None:
        if self._picking is not None:
            self._end_picking()
            self.session.message.emit("No relation made", 2000)

    def remove_relation(self, relation: RelationRecord) -> None:
        document = self.session.document
        if document is None:
            return
        head = self.view.view_span(relation.head_uuid)
        if head is not None and not self.session.editable(head.record):
            self.session.failed.emit("Only your own relations can be removed")
            return
        self.session.execute(commands.DeleteRelation(self.session.store, relation, document.id))

    def missing(self, span: SpanRecord) -> list[str]:
        label = self.session.label(span.label_id)
        if label is None or not label.schema:
            return []
        types = {
            relation.type
            for relation in self.view.arcs.of_span(span.uuid)
            if relation.head_uuid == span.uuid
        }
        return label.schema.missing(span.attributes, types)

    def next_incomplete(self) -> None:
        """F8: select the next record that lacks a required value, in reading order."""
        ordered = self.view.spans()
        if not ordered:
            return
        current = self.view.selected_span()
        start = 0
        if current is not None:
            uuids = [span.uuid for span in ordered]
            start = uuids.index(current.uuid) + 1 if current.uuid in uuids else 0
        for step in range(len(ordered)):
            span = ordered[(start + step) % len(ordered)].record
            if span.status != "rejected" and self.missing(span):
                self.view.clear_text_selection()
                self.view.select_span(span.uuid, reveal=True)
                return
        self.session.message.emit("Every record here is complete", 3000)

    # --- reacting ----------------------------------------------------------------------------

    def _on_document_opened(self, document) -> None:
        self._end_picking()
        self.view.set_relations([])  # drawn once every span is loaded (after the first paint)
        self.table.model.set_relation_types({})
        self._show_selected()

    def _on_spans_loaded(self) -> None:
        document = self.session.document
        relations = self.session.loaded_relations  # read with the spans, off the GUI thread
        if relations is None:
            try:
                relations = self.session.store.relations(document.id) if document else []
            except StoreError as exc:
                self.session.report_read_failure(exc, "The links are not drawn.", None)
                relations = []
        self.view.set_relations(relations)
        self._refresh_relation_types()
        self._show_selected()

    def _on_layers_changed(self) -> None:
        self._show_selected()

    def _on_labels_changed(self, _labels) -> None:
        self._refresh_incomplete()
        self._show_selected()

    def _on_session_changed(self, change: Change) -> None:
        heads = set()
        for relation_uuid in change.relations_removed:
            gone = self.view.arcs.get(relation_uuid)
            if gone is not None:
                heads.add(gone.head_uuid)
            self.view.remove_relation(relation_uuid)
        for relation in change.relations_added:
            self.view.put_relation(relation)
            heads.add(relation.head_uuid)
        for head in heads:
            self.table.model.set_relation_types_of(
                head,
                {r.type for r in self.view.arcs.of_span(head) if r.head_uuid == head},
            )
        selected = self.view.selected_span()
        if selected is not None:
            self._show_selected()

    def _on_view_span_selected(self, _uuid: str) -> None:
        if self._picking is None:
            self._show_selected()

    def _on_view_record_form_requested(self) -> None:
        if self.view.selected_span() is None:
            self.session.message.emit("Select a span first (Tab goes to the next)", 3000)
            return
        self.window.spans_dock.show()
        if not self.panel.focus_first_field():
            self.session.message.emit("This label has no fields: the label editor adds some", 3000)

    def _on_panel_attribute_edited(self, span: SpanRecord, name: str, value) -> None:
        if not self.session.editable(span):
            self.session.failed.emit("Only your own spans can be changed")
            return
        current = self.view.view_span(span.uuid)
        record = current.record if current is not None else span
        self.session.execute(commands.set_attribute(self.session.store, record, name, value))
        self._show_selected()

    def _on_panel_span_chosen(self, span_uuid: str) -> None:
        self.view.clear_text_selection()
        self.view.select_span(span_uuid, reveal=True)
        self.view.setFocus()

    def _back_to_document(self) -> None:
        self._show_selected()
        self.view.setFocus()

    # --- helpers -----------------------------------------------------------------------------

    def _end_picking(self) -> None:
        self._picking = None
        self.view.picking = False
        self.panel.hide_picker()
        self.view.setFocus()

    def _show_selected(self) -> None:
        span = self.view.selected_span()
        if span is None:
            self.panel.show_span(None, None, [], {}, False)
            return
        relations = self.view.arcs.of_span(span.uuid)
        ends = {}
        for relation in relations:
            for end in (relation.head_uuid, relation.tail_uuid):
                found = self.view.view_span(end)
                if found is not None:
                    ends[end] = found.record
        self.panel.show_span(
            span,
            self.session.label(span.label_id),
            relations,
            ends,
            self.session.editable(span),
            self.missing(span),
        )

    def _refresh_relation_types(self) -> None:
        heads: dict[str, set[str]] = {}
        for relation in self.view.arcs.all():
            heads.setdefault(relation.head_uuid, set()).add(relation.type)
        self.table.model.set_relation_types(heads)
        self._refresh_incomplete()

    def _refresh_incomplete(self, *_args) -> None:
        self.table.apply_incomplete_filter()


def install_records(window) -> RecordController:
    """Records in the window: the controller and the Next incomplete record action (F8)."""
    controller = RecordController(window)
    action = QAction("Next &incomplete record", window)
    action.setShortcut(QKeySequence(NEXT_INCOMPLETE_KEY))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(controller.next_incomplete)
    window.addAction(action)
    window.document_menu.addAction(action)
    controller.next_incomplete_action = action
    return controller
