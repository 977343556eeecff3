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

from db.records import (
    DeletedSpan,
    HistoryEntry,
    LabelRecord,
    RelationRecord,
    RemovedLabel,
    Restored,
    SpanRecord,
)
from db.schema import LabelSchema
from db.store import ConflictError, Store
from db.store.base import span_content


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
        # One transaction says whether the tag started the document (an accepted span
        # does): no read apart from the write, which could fail after the span was written
        # and report a tag that is there as not added.
        self.span, started = self.store.add_span_started(
            self.document_id, self.label_id, self.annotator_id, self.start, self.end, **self.fields
        )
        self.text = f"Tag {self.span.label} “{short(self.span.text)}”"
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

    def intents(self, step: str) -> list[SpanIntent]:
        if step == "undo" and self.span is not None:
            return [SpanIntent(self.span.uuid, self.document_id, self.span, None, self.span)]
        if step == "redo" and self._deleted is not None:
            span = self._deleted.span
            return [SpanIntent(span.uuid, self.document_id, None, content_fields(span), span)]
        return []  # a new span collides with nobody's


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

    def intents(self, step: str) -> list[SpanIntent]:
        if step == "undo":
            return [
                SpanIntent(d.span.uuid, self.document_id, None, content_fields(d.span), d.span)
                for d in self._deleted
            ]
        return [SpanIntent(s.uuid, self.document_id, s, None, s) for s in self.spans]


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

    def intents(self, step: str) -> list[SpanIntent]:
        if step == "undo":
            # Only what the edit changed goes back (a relabel may have dropped values and
            # a link too): a colleague's other changes stay.
            return [
                SpanIntent(
                    after.uuid,
                    self.document_id,
                    after,
                    {
                        key: value
                        for key, value in content_fields(before).items()
                        if content_fields(after)[key] != value
                    },
                    before,
                )
                for before, after in zip(self.before, self.after, strict=True)
            ]
        return [
            SpanIntent(span.uuid, self.document_id, span, dict(self.changes), span)
            for span in self.before
        ]


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


# --- conflicts: a step refused because a colleague changed a span first ----------------------


@dataclass(frozen=True, slots=True)
class SpanIntent:
    """What one step of a span command wants of one span: the span it was based on
    (``base``; None: it expected the span absent), and the fields it sets (``fields``;
    None: it deletes the span). ``snapshot`` is the span the fields apply to when it must
    be added again."""

    span_uuid: str
    document_id: int
    base: SpanRecord | None
    fields: dict[str, Any] | None
    snapshot: SpanRecord


# The fields of a span a person sets (what span_content compares, but the entity by uuid).
CONTENT_FIELDS = (
    "label_id",
    "annotator_id",
    "start",
    "end",
    "status",
    "origin",
    "confidence",
    "note",
    "attributes",
    "entity_uuid",
)


def content_fields(span: SpanRecord) -> dict[str, Any]:
    """What a person set of a span, as fields an update takes."""
    return {name: getattr(span, name) for name in CONTENT_FIELDS}


def merged(changes: Sequence[Change]) -> Change:
    """One change saying what several did to one document."""
    result = Change(changes[0].document_id)
    for change in changes:
        result.added += change.added
        result.updated += change.updated
        result.removed += change.removed
        result.relations_added += change.relations_added
        result.relations_removed += change.relations_removed
        result.status = change.status or result.status
    return result


# --- history: putting back a version of a row -----------------------------------------------

# The order in which a restore's own rows are put back on undo: a span before the relations
# that hang on it (a restore that deleted a span took its relations with it).
UNDO_ORDER = {"label": 0, "span": 1, "relation": 2, "review": 3}


class RestoreVersion:
    """Put a row back as the history recorded it ``before`` a change (a deleted span comes
    back with its uuid, a relabelled or moved one goes back, a tag added is removed) or
    right ``after`` it. Undo puts back what the restore replaced, from the history rows the
    restore itself recorded; redo restores the same version again.

    ``seen_id``: the newest history entry the analyst had in front of them. A row changed
    after it is refused (the analyst chose a version without seeing the later change);
    undo and redo of a span that changed since are refused with both sides, for the
    conflict dialog."""

    def __init__(
        self,
        store: Store,
        entry: HistoryEntry,
        state: str = "before",
        *,
        seen_id: int | None = None,
        text: str | None = None,
    ):
        self.store = store
        self.entry = entry
        self.state = state
        self.seen_id = seen_id
        self.previous: SpanRecord | None = None  # a span as it was before the restore
        self.restored: SpanRecord | None = None  # ... and as the restore left it
        self.recorded: list[HistoryEntry] = []  # the rows the restore wrote
        when = "before" if state == "before" else "right after"
        self.text = text or f"Restore the version {when} change {entry.id}"

    @property
    def is_span(self) -> bool:
        return self.entry.kind == "span"

    def apply(self) -> Change | LabelChange:
        if self.seen_id is not None:
            newer = self.store.history(key=self.entry.key, after_id=self.seen_id)
            if newer:
                who = newer[-1].actor or newer[-1].login or "someone outside Dossier"
                raise ConflictError(
                    f"it was changed again (by {who}) after the history you chose from: "
                    "the history now shows that change; choose the version again"
                )
        return self._restore()

    def undo(self) -> Change | LabelChange:
        if self.is_span:
            self._check_span(self.restored, self.previous, "undo")
        changes = []
        for entry in sorted(self.recorded, key=lambda e: (UNDO_ORDER.get(e.kind, 9), e.id)):
            changes.append(self._change(self.store.restore_history(entry.id, state="before")))
        self.recorded = []
        return _joined(changes, self.entry.document_id)

    def redo(self) -> Change | LabelChange:
        if self.is_span:
            self._check_span(self.previous, self.restored, "redo")
        return self._restore()

    def intents(self, step: str) -> list[SpanIntent]:
        """What undo and redo want of the span, for the conflict dialog (a restore itself is
        refused in plain words: the analyst chooses the version again)."""
        if not self.is_span or step == "apply":
            return []
        base, wanted = (
            (self.restored, self.previous) if step == "undo" else (self.previous, self.restored)
        )
        snapshot = wanted or base
        if snapshot is None:
            return []
        fields = content_fields(wanted) if wanted is not None else None
        return [SpanIntent(self.entry.key, snapshot.document_id, base, fields, snapshot)]

    # --- the work ----------------------------------------------------------------------------

    def _restore(self) -> Change | LabelChange:
        mark = self.store.history(limit=1)
        after_id = mark[0].id if mark else 0
        if self.is_span:
            self.previous = self.store.span(self.entry.key)
        result = self.store.restore_history(self.entry.id, state=self.state)
        keys = {self.entry.key, *result.relations_removed}
        self.recorded = [
            entry
            for entry in self.store.history(after_id=after_id)
            if entry.key in keys or (result.labels_changed and entry.kind == "label")
            if entry.actor == self.store.actor
        ]
        if self.is_span:
            self.restored = self.store.span(self.entry.key)
        return self._change(result)

    def _check_span(
        self, expected: SpanRecord | None, wanted: SpanRecord | None, step: str
    ) -> None:
        """Refuse a step on a span that no longer looks as the restore (or its undo) left
        it: the conflict dialog shows theirs and this step's."""
        now = self.store.span(self.entry.key)
        if expected is None:
            same = now is None
        else:
            same = now is not None and span_content(now) == span_content(expected)
        if same:
            return
        known = now or expected or wanted
        what = f" “{short(known.text)}”" if known is not None else ""
        raise ConflictError(
            f"span{what} was changed elsewhere since it was restored: cannot {step}",
            span_uuid=self.entry.key,
            theirs=now,
            mine=wanted,
        )

    def _change(self, result: Restored) -> Change | LabelChange:
        if result.labels_changed:
            return LabelChange(spans_changed=True)
        document_id = result.document_id
        if document_id is None:
            document_id = self.entry.document_id
        return Change(
            document_id if document_id is not None else -1,
            added=list(result.added),
            updated=list(result.updated),
            removed=list(result.removed),
            relations_added=list(result.relations_added),
            relations_removed=list(result.relations_removed),
        )


def _joined(
    changes: Sequence[Change | LabelChange], document_id: int | None
) -> Change | LabelChange:
    """The changes of several restores as one: a label's reloads everything."""
    if any(isinstance(change, LabelChange) for change in changes):
        return LabelChange(spans_changed=True)
    if not changes:
        return Change(document_id if document_id is not None else -1)
    return merged(changes)
