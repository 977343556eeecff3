"""Edits as commands: each applies itself through the store and knows its inverse.

The window wraps these in ``QUndoCommand`` (``desktop/ui/undo.py``); they are Qt-free so
that tests, the review mode and scripts use the very same edits. Every ``apply``, ``undo``
and ``redo`` is committed before it returns, and returns a :class:`Change` saying what the
views must redraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from db.records import DeletedSpan, LabelRecord, RelationRecord, RemovedLabel, SpanRecord
from db.schema import LabelSchema
from db.store import ConflictError, Store


@dataclass(slots=True)
class Change:
    """What an edit did to one document, for the views to redraw."""

    document_id: int
    added: list[SpanRecord] = field(default_factory=list)
    updated: list[SpanRecord] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # uuids
    status: str | None = None  # the annotator's new progress on the document, if it changed
    relations_added: list[RelationRecord] = field(default_factory=list)
    relations_removed: list[str] = field(default_factory=list)  # uuids


class Command(Protocol):
    text: str

    def apply(self) -> Change: ...

    def undo(self) -> Change: ...

    def redo(self) -> Change: ...


class AddSpan:
    """Tag a stretch of a document; undo deletes the span, redo puts the same span back."""

    def __init__(
        self,
        store: Store,
        document_id: int,
        label_id: int,
        annotator_id: int,
        start: int,
        end: int,
        **fields: Any,
    ):
        self.store = store
        self.document_id = document_id
        self.label_id = label_id
        self.annotator_id = annotator_id
        self.start = start
        self.end = end
        self.fields = fields
        self.span: SpanRecord | None = None
        self._deleted: DeletedSpan | None = None
        self.text = "Add span"

    def apply(self) -> Change:
        # Read before the write, never after it: a read failing after the span was written
        # would report a tag that is there as not added (and a retry would add it twice).
        before = self.store.document_status(self.document_id, self.annotator_id)
        self.span = self.store.add_span(
            self.document_id, self.label_id, self.annotator_id, self.start, self.end, **self.fields
        )
        self.text = f"Tag {self.span.label} “{short(self.span.text)}”"
        # The store starts a document not yet started when an accepted span is added to it.
        started = before == "not_started" and self.span.status == "accepted"
        return Change(
            self.document_id, added=[self.span], status="in_progress" if started else None
        )

    def undo(self) -> Change:
        assert self.span is not None
        self._deleted = self.store.delete_span(self.span.uuid, expected=self.span)
        return Change(self.document_id, removed=[self.span.uuid])

    def redo(self) -> Change:
        assert self._deleted is not None
        self.span = self.store.restore_span(self._deleted)
        return Change(self.document_id, added=[self.span])


class DeleteSpans:
    """Delete spans (with the relations that touch them); undo puts all of it back."""

    def __init__(self, store: Store, spans: Sequence[SpanRecord]):
        self.store = store
        self.spans = list(spans)
        self.document_id = self.spans[0].document_id
        self._deleted: list[DeletedSpan] = []
        self.text = (
            f"Delete {self.spans[0].label} “{short(self.spans[0].text)}”"
            if len(self.spans) == 1
            else f"Delete {len(self.spans)} spans"
        )

    def apply(self) -> Change:
        self._deleted = self.store.delete_spans(
            [span.uuid for span in self.spans], expected=self.spans
        )
        return Change(
            self.document_id,
            removed=[span.uuid for span in self.spans],
            relations_removed=[r.uuid for r in self._relations()],
        )

    def undo(self) -> Change:
        restored = self.store.restore_spans(self._deleted)
        self.spans = restored
        return Change(self.document_id, added=restored, relations_added=self._relations())

    def _relations(self) -> list[RelationRecord]:
        unique = {r.uuid: r for item in self._deleted for r in item.relations}
        return list(unique.values())

    def redo(self) -> Change:
        return self.apply()


class UpdateSpans:
    """Change fields of one or more spans (label, note, status, offsets); undo restores each
    span's earlier content. Every step first checks that the span still looks as it did
    (by content: undoing a later edit moves versions on without changing what one sees)."""

    def __init__(self, store: Store, spans: Sequence[SpanRecord], text: str, **changes: Any):
        self.store = store
        self.before = list(spans)
        self.after: list[SpanRecord] = []
        self.document_id = self.before[0].document_id
        self.changes = changes
        self.text = text

    def apply(self) -> Change:
        self.after = self.store.update_spans(self.before, **self.changes)
        return Change(self.document_id, updated=list(self.after))

    def undo(self) -> Change:
        restored = self.store.put_spans(self.before, self.after)
        self.before = restored
        return Change(self.document_id, updated=restored)

    def redo(self) -> Change:
        return self.apply()


def relabel_spans(
    store: Store, spans: Sequence[SpanRecord], label_id: int, label: str
) -> UpdateSpans:
    return UpdateSpans(store, spans, f"Relabel as {label}", label_id=label_id)


def edit_note(store: Store, span: SpanRecord, note: str) -> UpdateSpans:
    return UpdateSpans(store, [span], f"Edit note of “{short(span.text)}”", note=note)


def set_attribute(store: Store, span: SpanRecord, name: str, value: Any) -> UpdateSpans:
    """Set (or, with None, clear) one attribute of a span; the others stay as they are."""
    attributes = dict(span.attributes)
    if value is None or value == "":
        attributes.pop(name, None)
        text = f"Clear {name} of “{short(span.text)}”"
    else:
        attributes[name] = value
        text = f"Set {name} of “{short(span.text)}” to {value}"
    return UpdateSpans(store, [span], text, attributes=attributes)


class AddRelation:
    """Link a span to another (a claim to its source); a one-only relation replaces the one
    the span had. Undo takes the link away and puts back what it replaced."""

    def __init__(
        self,
        store: Store,
        head: SpanRecord,
        tail: SpanRecord,
        type: str,  # noqa: A002 - the relation's field
        annotator_id: int,
        *,
        replaces: Sequence[RelationRecord] = (),
    ):
        self.store = store
        self.head = head
        self.tail = tail
        self.type = type
        self.annotator_id = annotator_id
        self.replaced = list(replaces)
        self.relation: RelationRecord | None = None
        self.text = (
            f"Link {head.label} “{short(head.text, 24)}” → {type} → “{short(tail.text, 24)}”"
        )

    def apply(self) -> Change:
        self.relation = self.store.add_relation(
            self.head.uuid,
            self.tail.uuid,
            self.type,
            self.annotator_id,
            self.relation.uuid if self.relation else None,
            replaces=[relation.uuid for relation in self.replaced],
        )
        return Change(
            self.head.document_id,
            relations_added=[self.relation],
            relations_removed=[relation.uuid for relation in self.replaced],
        )

    def undo(self) -> Change:
        assert self.relation is not None
        self.store.restore_relations(self.replaced, remove=[self.relation.uuid])
        return Change(
            self.head.document_id,
            relations_added=list(self.replaced),
            relations_removed=[self.relation.uuid],
        )

    def redo(self) -> Change:
        """The very relation again (its uuid, id and time), replacing the same ones."""
        assert self.relation is not None
        replaced = [relation.uuid for relation in self.replaced]
        self.store.restore_relations([self.relation], remove=replaced)
        return Change(
            self.head.document_id, relations_added=[self.relation], relations_removed=replaced
        )


class DeleteRelation:
    """Take a link away; undo puts it back as it was."""

    def __init__(self, store: Store, relation: RelationRecord, document_id: int):
        self.store = store
        self.relation = relation
        self.document_id = document_id
        self.text = f"Remove {relation.type} link"

    def apply(self) -> Change:
        if self.store.delete_relation(self.relation.uuid) is None:
            raise ConflictError(f"this {self.relation.type} link was removed elsewhere")
        return Change(self.document_id, relations_removed=[self.relation.uuid])

    def undo(self) -> Change:
        self.store.restore_relations([self.relation])
        return Change(self.document_id, relations_added=[self.relation])

    def redo(self) -> Change:
        return self.apply()


def accept_suggestions(store: Store, spans: Sequence[SpanRecord]) -> UpdateSpans:
    """Accepted suggestions become the analyst's own spans."""
    text = "Accept suggestion" if len(spans) == 1 else f"Accept {len(spans)} suggestions"
    return UpdateSpans(store, spans, text, status="accepted")


def reject_suggestions(store: Store, spans: Sequence[SpanRecord]) -> UpdateSpans:
    """Rejected suggestions stay in the project as rejected, so they are not offered again."""
    text = "Reject suggestion" if len(spans) == 1 else f"Reject {len(spans)} suggestions"
    return UpdateSpans(store, spans, text, status="rejected")


class SetDocumentStatus:
    """Mark a document not started, in progress or done for one annotator."""

    def __init__(self, store: Store, document_id: int, annotator_id: int, status: str):
        self.store = store
        self.document_id = document_id
        self.annotator_id = annotator_id
        self.status = status
        self.previous: str | None = None
        self.text = f"Mark document {status.replace('_', ' ')}"

    def apply(self) -> Change:
        self.previous = self.store.set_document_status(
            self.document_id, self.annotator_id, self.status
        )
        return Change(self.document_id, status=self.status)

    def undo(self) -> Change:
        assert self.previous is not None
        self.store.set_document_status(self.document_id, self.annotator_id, self.previous)
        return Change(self.document_id, status=self.previous)

    def redo(self) -> Change:
        return self.apply()


@dataclass(slots=True)
class LabelChange:
    """What a label edit did: the views reload the labels, and the spans when
    ``spans_changed``."""

    spans_changed: bool = False


class AddLabel:
    def __init__(
        self, store: Store, name: str, colour: str | None = None, shortcut: str | None = None
    ):
        self.store = store
        self.values = {"name": name, "colour": colour, "shortcut": shortcut}
        self.label: LabelRecord | None = None
        self.text = f"Add label {name}"

    def apply(self) -> LabelChange:
        if self.label is None:
            self.label = self.store.add_label(**self.values)
        else:
            self.store.restore_label(self.label)
        return LabelChange()

    def undo(self) -> LabelChange:
        assert self.label is not None
        self.store.delete_label(self.label.id)  # refused if it has been used meanwhile
        return LabelChange()

    def redo(self) -> LabelChange:
        return self.apply()


class UpdateLabel:
    """Rename, recolour, re-key or redescribe a label."""

    def __init__(self, store: Store, label: LabelRecord, **changes: Any):
        self.store = store
        self.before = label
        self.changes = changes
        what = ", ".join(sorted(changes))
        self.text = f"Change {what} of label {label.name}"

    def apply(self) -> LabelChange:
        self.store.update_label(self.before.id, **self.changes)
        return LabelChange(spans_changed="name" in self.changes)

    def undo(self) -> LabelChange:
        self.store.update_label(
            self.before.id, **{key: getattr(self.before, key) for key in self.changes}
        )
        return LabelChange(spans_changed="name" in self.changes)

    def redo(self) -> LabelChange:
        return self.apply()


class ReorderLabels:
    def __init__(self, store: Store, order: Sequence[int]):
        self.store = store
        self.order = list(order)
        self.before = [label.id for label in store.labels()]
        self.text = "Reorder labels"

    def apply(self) -> LabelChange:
        self.store.reorder_labels(self.order)
        return LabelChange()

    def undo(self) -> LabelChange:
        self.store.reorder_labels(self.before)
        return LabelChange()

    def redo(self) -> LabelChange:
        return self.apply()


class RemoveLabel:
    """Remove a label; its spans move to another label or are deleted. Undo brings back the
    label and every span as it was."""

    def __init__(self, store: Store, label: LabelRecord, *, relabel_to: int | None = None):
        self.store = store
        self.label = label
        self.relabel_to = relabel_to
        self._removed: RemovedLabel | None = None
        self.text = f"Remove label {label.name}"

    def apply(self) -> LabelChange:
        self._removed = self.store.remove_label(self.label.id, relabel_to=self.relabel_to)
        return LabelChange(spans_changed=self._spans_changed())

    def undo(self) -> LabelChange:
        self.store.restore_label(self.label, removed=self._removed)
        return LabelChange(spans_changed=self._spans_changed())

    def _spans_changed(self) -> bool:
        return bool(self._removed and (self._removed.deleted or self._removed.moved))

    def redo(self) -> LabelChange:
        return self.apply()


class ChangeLabelSchema:
    """Give a label a new schema. Values the new schema takes away are recoded as
    ``recode`` says (attribute -> old value or "*" -> new value or None); undo puts back the
    old schema and every value as it was."""

    def __init__(
        self,
        store: Store,
        label: LabelRecord,
        schema: LabelSchema,
        *,
        recode: dict[str, dict[str, Any]] | None = None,
        text: str | None = None,
    ):
        self.store = store
        self.label = label
        self.schema = schema
        self.recode = recode or {}
        self._recoded: list[SpanRecord] = []
        self.text = text or f"Change the attributes and relations of {label.name}"

    def apply(self) -> LabelChange:
        _, self._recoded = self.store.set_label_schema(
            self.label.id, self.schema, recode=self.recode
        )
        return LabelChange(spans_changed=bool(self._recoded))

    def undo(self) -> LabelChange:
        self.store.set_label_schema(self.label.id, self.label.schema, restore=self._recoded)
        return LabelChange(spans_changed=bool(self._recoded))

    def redo(self) -> LabelChange:
        return self.apply()


def short(text: str, limit: int = 40) -> str:
    """A text on one line, cut to ``limit`` characters: how edits name what they changed."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
