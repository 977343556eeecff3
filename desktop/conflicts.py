"""Conflicts: a step of an edit refused because a colleague changed a span first.

What the step wanted of each span (``SpanIntent``, which each span command describes of
itself), the spans that changed under it with both sides (theirs and mine), and the same
step made again on their version ("apply mine on top"). Qt-free: the window's dialog
(``desktop/ui/conflict_dialog.py``) shows these and lets the analyst choose.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from db.records import SpanRecord
from db.store import ConflictError, Store, StoreError
from db.store.base import span_content
from desktop.commands import (
    AddSpan,
    Change,
    Command,
    DeleteSpans,
    SpanIntent,
    UpdateSpans,
    content_fields,
    merged,
)


@dataclass(frozen=True, slots=True)
class SpanConflict:
    """One span that changed under a refused step: as it is now (``theirs``; None: deleted
    by their change) and as the step would have made it (``mine``; None: deleted); who
    changed it last, and when, as far as the project knows."""

    span_uuid: str
    theirs: SpanRecord | None
    mine: SpanRecord | None
    changed_at: str | None = None
    changed_by: str | None = None


def step_intents(command: Command, step: str) -> list[SpanIntent]:
    """What ``step`` ("apply", "undo" or "redo") of a command wants of each span; empty
    for commands that are not about spans."""
    intents = getattr(command, "intents", None)
    return intents(step) if intents is not None else []


def span_conflicts(
    store: Store, intents: Sequence[SpanIntent], error: ConflictError | None = None
) -> list[SpanConflict]:
    """The spans of a refused step that changed since it was based on them, each with
    both sides; ``error``'s own span takes the sides the store gave."""
    if not intents:
        return []
    now = {span.uuid: span for span in store.spans_by_uuid([i.span_uuid for i in intents])}
    labels = {label.id: label.name for label in store.labels()}
    text: str | None = None
    found = []
    for intent in intents:
        theirs = now.get(intent.span_uuid)
        if theirs is None and (intent.base is None or intent.fields is None):
            continue  # absent as expected, or deleted as the step would have deleted it
        if theirs is not None and intent.base is not None:
            if span_content(theirs) == span_content(intent.base):
                continue
        if text is None:
            text = store.document(intent.document_id).text
        mine = planned(intent, intent.fields, labels, text)
        if error is not None and error.span_uuid == intent.span_uuid:
            theirs = error.theirs
            mine = error.mine if error.mine is not None or intent.fields is None else mine
        at, by = last_change(store, intent.span_uuid, theirs)
        found.append(SpanConflict(intent.span_uuid, theirs, mine, at, by))
    return found


def planned(
    intent: SpanIntent, fields: dict[str, Any] | None, labels: dict[int, str], text: str
) -> SpanRecord | None:
    """The span ``fields`` make of the step's span (None for a deletion)."""
    if fields is None:
        return None
    basis = intent.base or intent.snapshot
    values = dict(fields)
    if "label_id" in values:
        values["label"] = labels.get(values["label_id"], basis.label)
    start, end = values.get("start", basis.start), values.get("end", basis.end)
    values["text"] = text[start:end]
    return replace(basis, **values)


def last_change(
    store: Store, span_uuid: str, theirs: SpanRecord | None
) -> tuple[str | None, str | None]:
    """When a span last changed and by whom: from the project's history when it keeps one,
    else the span's own time of change (and no name)."""
    history = getattr(store, "history", None)
    if history is not None:
        try:
            entries = history(key=span_uuid)
        except StoreError:
            entries = []
        if entries:
            last = entries[-1]
            return last.at, last.actor or last.login
    return (theirs.updated_at if theirs is not None else None), None


def current_change(store: Store, intents: Sequence[SpanIntent]) -> Change | None:
    """The spans of a step as they are now, for the view to show theirs."""
    if not intents:
        return None
    now = store.spans_by_uuid([intent.span_uuid for intent in intents])
    found = {span.uuid for span in now}
    gone = [i.span_uuid for i in intents if i.span_uuid not in found]
    return Change(intents[0].document_id, updated=now, removed=gone)


def on_top(
    store: Store,
    intents: Sequence[SpanIntent],
    text: str,
    edited: dict[str, dict[str, Any]] | None = None,
) -> Command | None:
    """The refused step made again on the spans as they are now (mine on top of theirs):
    each span gets the same fields (or ``edited``'s, for the spans it names), a deletion
    deletes their version, and a span they deleted is added again as mine (its own uuid).
    Every part is version-checked against theirs; None when nothing is left to do."""
    edited = edited or {}
    now = {span.uuid: span for span in store.spans_by_uuid([i.span_uuid for i in intents])}
    labels = {label.id: label.name for label in store.labels()}
    document_text: str | None = None
    updates: dict[str, tuple[list[SpanRecord], dict[str, Any]]] = {}
    deletions: list[SpanRecord] = []
    parts: list[Command] = []
    for intent in intents:
        theirs = now.get(intent.span_uuid)
        fields = intent.fields
        if intent.span_uuid in edited:
            fields = {**(fields or {}), **edited[intent.span_uuid]}
        if fields is None:
            if theirs is not None:
                deletions.append(theirs)
            continue
        if theirs is None:
            if document_text is None:
                document_text = store.document(intent.document_id).text
            mine = planned(intent, fields, labels, document_text)
            assert mine is not None
            values = content_fields(mine)
            parts.append(
                AddSpan(
                    store,
                    intent.document_id,
                    values.pop("label_id"),
                    values.pop("annotator_id"),
                    values.pop("start"),
                    values.pop("end"),
                    span_uuid=mine.uuid,
                    **values,
                )
            )
            continue
        current = content_fields(theirs)
        changes = {key: value for key, value in fields.items() if current.get(key) != value}
        if changes:
            key = json.dumps(changes, sort_keys=True, default=str)
            updates.setdefault(key, ([], changes))[0].append(theirs)
    for spans, changes in updates.values():
        parts.insert(0, UpdateSpans(store, spans, text, **changes))
    if deletions:
        parts.append(DeleteSpans(store, deletions))
    if not parts:
        return None
    if len(parts) == 1:
        parts[0].text = text
        return parts[0]
    return Steps(parts, text)


class Steps:
    """Several commands as one edit on the undo stack (mine on top of theirs: some spans
    changed, some added again). A part refused undoes the parts made before it."""

    def __init__(self, parts: Sequence[Command], text: str):
        self.parts = list(parts)
        self.text = text

    def _run(self, parts: Sequence[Command], step: str, back: str) -> Change:
        done: list[Command] = []
        changes = []
        for part in parts:
            try:
                changes.append(getattr(part, step)())
            except StoreError:
                for made in reversed(done):
                    try:
                        getattr(made, back)()
                    except StoreError:
                        pass  # the refusal below is what the analyst is told
                raise
            done.append(part)
        return merged(changes)

    def apply(self) -> Change:
        return self._run(self.parts, "apply", "undo")

    def undo(self) -> Change:
        return self._run(list(reversed(self.parts)), "undo", "redo")

    def redo(self) -> Change:
        return self._run(self.parts, "redo", "undo")
