"""Adjudication: settling review items into the gold layer, as Qt-free undoable commands.

A :class:`ReviewSession` holds the items of some annotators on some documents and the latest
decision on each. ``take``, ``edit``, ``reject`` and ``accept_agreed`` each write, in one
transaction through the store, the gold spans and a review decision, and return an applied
:class:`ReviewCommand` that knows its inverse (the window wraps it in a ``QUndoCommand``).

How a decision is found again: every entry of a decision's ``candidates`` carries the item's
key under ``"item"``. The entries are, per item:

- ``{"role": "candidate", "item", "annotator", "uuid", "label", "start", "end", "text"}``
  for each span compared (plus ``"taken": true/false`` when the action is ``take``);
- ``{"role": "absent", "item", "annotator"}`` for each compared annotator without a span
  (plus ``"taken"`` on a take);
- ``{"role": "outcome", "item", "annotator": "gold", "uuid", "label", "start", "end",
  "text"}`` for each gold span the decision wrote.

An item counts as reviewed when some decision names its key; the latest such decision is its
current one. Re-deciding an item removes the gold spans of its current decision (in the same
transaction) and keeps the earlier decision as history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from db.records import DeletedSpan, NewSpan, ReviewDecisionRecord, SpanRecord
from db.store import Store, new_uuid
from db.tables import GOLD
from desktop.progress import Progress, no_progress
from desktop.review.compare import (
    AGREED,
    KINDS,
    ReviewError,
    ReviewItem,
    compare_annotators,
    resolve_annotators,
)

TAKE = "take"
EDIT = "edit"
REJECT = "reject"
ACCEPT = "accept"
Command = TypeVar("Command", bound="ReviewCommand")


@dataclass(frozen=True, slots=True)
class ReviewProgress:
    """Reviewed of total items, overall and per kind (agreed, missing, label, boundary)."""

    reviewed: int
    total: int
    per_kind: dict[str, tuple[int, int]]

    @property
    def fraction(self) -> float:
        return self.reviewed / self.total if self.total else 1.0

    @property
    def done(self) -> bool:
        return self.reviewed == self.total


@dataclass(slots=True)
class _Plan:
    """One decision to write: the gold spans keep their uuids across undo and redo."""

    item: ReviewItem
    action: str
    gold: list[NewSpan]
    candidates: list[dict[str, Any]]
    note: str = ""
    remove: list[str] = field(default_factory=list)


class ReviewCommand:
    """Decisions on one or more items, applied through the store; ``undo()`` takes them back.

    A command returned by a :class:`ReviewSession` method is already applied. ``redo()`` and
    ``undo()`` alternate from there (a ``QUndoCommand`` wrapper skips its first ``redo``
    when ``applied`` is true). After each, :attr:`decisions`, :attr:`written` (gold spans
    now in the database) and :attr:`removed` (gold spans of earlier decisions it replaced)
    describe the latest application.
    """

    text = "Review"

    def __init__(self, session: ReviewSession, plans: Sequence[_Plan]):
        self._session = session
        self._plans = list(plans)
        self.applied = False
        self.decisions: list[ReviewDecisionRecord] = []
        self.written: list[SpanRecord] = []
        self.removed: list[DeletedSpan] = []

    @property
    def items(self) -> tuple[ReviewItem, ...]:
        return tuple(plan.item for plan in self._plans)

    @property
    def document_ids(self) -> tuple[int, ...]:
        return tuple(sorted({plan.item.document_id for plan in self._plans}))

    def redo(self) -> None:
        """Write the decisions and their gold spans (one transaction)."""
        if self.applied:
            raise ReviewError("this review command is already applied")
        store = self._session.store
        for plan in self._plans:
            plan.remove = self._session._current_outcome_uuids(plan.item)
        if len(self._plans) == 1:
            plan = self._plans[0]
            results = [
                store.record_decision(
                    plan.item.document_id,
                    self._session.reviewer.id,
                    kind=plan.item.kind,
                    action=plan.action,
                    candidates=plan.candidates,
                    gold_spans=plan.gold,
                    remove_gold=plan.remove,
                    note=plan.note,
                )
            ]
        else:
            results = store.record_decisions(
                self._session.reviewer.id,
                [
                    {
                        "document_id": plan.item.document_id,
                        "kind": plan.item.kind,
                        "action": plan.action,
                        "candidates": plan.candidates,
                        "gold_spans": plan.gold,
                        "remove_gold": plan.remove,
                        "note": plan.note,
                    }
                    for plan in self._plans
                ],
            )
        self.decisions = [decision for decision, _, _ in results]
        self.written = [span for _, written, _ in results for span in written]
        self.removed = [span for _, _, removed in results for span in removed]
        self.applied = True
        self._session._reload_decisions(self.document_ids)

    def undo(self) -> None:
        """Delete the decisions and the gold spans they wrote; put back what they replaced."""
        if not self.applied:
            raise ReviewError("this review command is not applied")
        store = self._session.store
        gold = [span.uuid for span in self.written]
        if len(self.decisions) == 1:
            store.undo_decision(self.decisions[0].uuid, gold, self.removed)
        else:
            store.undo_decisions([d.uuid for d in self.decisions], gold, self.removed)
        self.applied = False
        self._session._reload_decisions(self.document_ids)


class TakeSide(ReviewCommand):
    text = "Take one side"


class EditOutcome(ReviewCommand):
    text = "Edit the outcome"


class RejectItem(ReviewCommand):
    text = "Reject"


class AcceptAgreed(ReviewCommand):
    text = "Accept agreed spans"


def _entry(item: ReviewItem, role: str, annotator: str, **span: Any) -> dict[str, Any]:
    return {"item": item.key, "role": role, "annotator": annotator, **span}


def candidate_entries(item: ReviewItem, taken: str | None = None) -> list[dict[str, Any]]:
    """The snapshot of what was compared, as stored in a decision's ``candidates``.

    ``taken`` names the annotator whose side was taken (adds ``"taken"`` to every entry).
    """
    entries = [
        _entry(
            item,
            "candidate",
            c.annotator,
            uuid=c.uuid,
            label=c.label,
            start=c.start,
            end=c.end,
            text=c.text,
        )
        for c in item.candidates
    ]
    entries += [_entry(item, "absent", name) for name in item.absent]
    if taken is not None:
        for entry in entries:
            entry["taken"] = entry["annotator"] == taken
    return entries


def decision_item_keys(decision: ReviewDecisionRecord) -> set[str]:
    """The keys of the items a decision settled (none for decisions made elsewhere)."""
    return {
        entry["item"]
        for entry in decision.candidates or ()
        if isinstance(entry, dict) and isinstance(entry.get("item"), str)
    }


def outcome_uuids(decision: ReviewDecisionRecord, key: str) -> list[str]:
    """The uuids of the gold spans a decision wrote for the item ``key``."""
    return [
        entry["uuid"]
        for entry in decision.candidates or ()
        if isinstance(entry, dict)
        and entry.get("item") == key
        and entry.get("role") == "outcome"
        and entry.get("uuid")
    ]


class ReviewSession:
    """Review of two or more annotators on a set of documents, by one reviewer.

    ``annotators``: names of the annotators compared (not gold). ``document_ids``: None for
    every document. ``reviewer``: the name recorded on decisions (created if new).
    Raises :class:`ReviewError` for unknown annotators or fewer than two.
    """

    def __init__(
        self,
        store: Store,
        annotators: Sequence[str],
        document_ids: Sequence[int] | None = None,
        *,
        reviewer: str,
        progress: Progress = no_progress,
    ):
        self.store = store
        self.annotators = tuple(
            record.name for record in resolve_annotators(store, annotators, allow_gold=False)
        )
        self.document_ids = None if document_ids is None else tuple(document_ids)
        if reviewer.strip() == GOLD:
            raise ReviewError("the reviewer must be a person, not the gold layer")
        self.reviewer = store.ensure_annotator(reviewer)
        self.gold = store.gold_annotator()
        self.items: list[ReviewItem] = []
        self._latest: dict[str, ReviewDecisionRecord] = {}
        self._texts: dict[int, str] = {}
        self.refresh(progress)

    # --- reading ----------------------------------------------------------------------------

    def refresh(self, progress: Progress = no_progress) -> None:
        """Compare the annotators again and re-read the decisions (after their spans changed)."""
        self.items = compare_annotators(
            self.store, self.annotators, self.document_ids, progress=progress
        )
        self._texts.clear()
        self._reload_decisions(None)

    def _reload_decisions(self, document_ids: Sequence[int] | None) -> None:
        scope = set(document_ids if document_ids is not None else self._item_documents())
        keys = {item.key for item in self.items if item.document_id in scope}
        for key in [key for key in self._latest if key in keys]:
            del self._latest[key]
        for decision in self.store.review_decisions(sorted(scope)):  # oldest first
            for key in decision_item_keys(decision) & keys:
                self._latest[key] = decision

    def _item_documents(self) -> list[int]:
        return sorted({item.document_id for item in self.items})

    def item(self, key: str) -> ReviewItem | None:
        """The current item with this key, if any."""
        return next((item for item in self.items if item.key == key), None)

    def decision(self, item: ReviewItem) -> ReviewDecisionRecord | None:
        """The latest decision on ``item``, or None if it has not been reviewed."""
        return self._latest.get(item.key)

    def is_reviewed(self, item: ReviewItem) -> bool:
        return item.key in self._latest

    def outcome(self, item: ReviewItem) -> list[SpanRecord]:
        """The gold spans the item's latest decision wrote that are still there."""
        wanted = set(self._current_outcome_uuids(item))
        if not wanted:
            return []
        return [
            span
            for span in self.store.spans(item.document_id, annotator_ids=[self.gold.id])
            if span.uuid in wanted
        ]

    def _current_outcome_uuids(self, item: ReviewItem) -> list[str]:
        decision = self._latest.get(item.key)
        if decision is None:
            return []
        uuids = outcome_uuids(decision, item.key)
        if not uuids:
            return []
        present = {
            span.uuid for span in self.store.spans(item.document_id, annotator_ids=[self.gold.id])
        }
        return [value for value in uuids if value in present]

    def progress(self) -> ReviewProgress:
        """How many items have a decision, of how many, overall and per kind."""
        per_kind = {kind: [0, 0] for kind in KINDS}
        for item in self.items:
            counts = per_kind[item.kind]
            counts[1] += 1
            counts[0] += item.key in self._latest
        reviewed = sum(counts[0] for counts in per_kind.values())
        return ReviewProgress(
            reviewed, len(self.items), {kind: (r, t) for kind, (r, t) in per_kind.items()}
        )

    def pending(self, kinds: Iterable[str] | None = None) -> list[ReviewItem]:
        """The items without a decision, optionally of some kinds only, in document order."""
        wanted = set(kinds) if kinds is not None else set(KINDS)
        return [i for i in self.items if i.kind in wanted and i.key not in self._latest]

    def next_pending(
        self, after: ReviewItem | None = None, kinds: Iterable[str] | None = None
    ) -> ReviewItem | None:
        """The first item without a decision after ``after`` (wrapping round), or None."""
        pending = self.pending(kinds)
        if not pending:
            return None
        if after is not None:
            position = {item.key: index for index, item in enumerate(self.items)}
            here = position.get(after.key, -1)
            for item in pending:
                if position[item.key] > here:
                    return item
        return pending[0]

    # --- deciding ---------------------------------------------------------------------------

    def take(self, item: ReviewItem, annotator: str, *, note: str = "") -> TakeSide:
        """Make ``annotator``'s spans in the item the gold outcome (none, if they have none)."""
        if annotator not in item.annotators:
            raise ReviewError(
                f"{annotator!r} is not one of the annotators compared "
                f"({', '.join(item.annotators)})"
            )
        gold = [
            NewSpan(
                label=c.label,
                start=c.start,
                end=c.end,
                annotator=GOLD,
                uuid=new_uuid(),
                origin="review",
                attributes=dict(c.attributes),
                entity_uuid=c.entity_uuid,
            )
            for c in item.spans_of(annotator)
        ]
        outcome = [(span, c.text) for span, c in zip(gold, item.spans_of(annotator), strict=True)]
        plan = self._plan(item, TAKE, outcome, note, taken=annotator)
        return self._apply(TakeSide(self, [plan]))

    def edit(
        self, item: ReviewItem, label: str, start: int, end: int, *, note: str = ""
    ) -> EditOutcome:
        """Make one new span, ``label`` on ``[start, end)``, the gold outcome of the item."""
        record = self.store.label_by_name(label)
        if record is None:
            raise ReviewError(f"no label called {label!r}")
        text = self._text(item.document_id)
        if not 0 <= start < end <= len(text):
            raise ReviewError(
                f"span {start}-{end} does not fit document {item.document_id} "
                f"of {len(text)} characters"
            )
        span = NewSpan(label=record.name, start=start, end=end, annotator=GOLD, uuid=new_uuid())
        plan = self._plan(item, EDIT, [(span, text[start:end])], note)
        return self._apply(EditOutcome(self, [plan]))

    def reject(self, item: ReviewItem, *, note: str = "") -> RejectItem:
        """Settle the item with nothing in gold."""
        return self._apply(RejectItem(self, [self._plan(item, REJECT, [], note)]))

    def accept_agreed(
        self, items: Iterable[ReviewItem] | None = None, *, note: str = ""
    ) -> AcceptAgreed | None:
        """Accept agreed items into gold in one step (one transaction, one undo).

        ``items`` None means every agreed item without a decision; other kinds are ignored.
        Returns None when there is nothing to accept.
        """
        chosen = self.pending([AGREED]) if items is None else list(items)
        plans = []
        seen: set[str] = set()
        for item in chosen:
            if item.kind != AGREED or item.key in seen:
                continue
            seen.add(item.key)
            first = item.candidates[0]
            span = NewSpan(
                label=first.label,
                start=first.start,
                end=first.end,
                annotator=GOLD,
                uuid=new_uuid(),
                origin="review",
                attributes=dict(first.attributes),
                entity_uuid=first.entity_uuid,
            )
            plans.append(self._plan(item, ACCEPT, [(span, first.text)], note))
        if not plans:
            return None
        return self._apply(AcceptAgreed(self, plans))

    def _plan(
        self,
        item: ReviewItem,
        action: str,
        outcome: list[tuple[NewSpan, str]],
        note: str,
        taken: str | None = None,
    ) -> _Plan:
        entries = candidate_entries(item, taken)
        entries += [
            _entry(
                item,
                "outcome",
                self.gold.name,
                uuid=span.uuid,
                label=span.label,
                start=span.start,
                end=span.end,
                text=text,
            )
            for span, text in outcome
        ]
        return _Plan(item, action, [span for span, _ in outcome], entries, note)

    def _apply(self, command: Command) -> Command:
        command.redo()
        return command

    def _text(self, document_id: int) -> str:
        text = self._texts.get(document_id)
        if text is None:
            text = self._texts[document_id] = self.store.document(document_id).text
        return text
