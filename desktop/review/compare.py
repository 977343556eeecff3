"""Comparing annotators: every accepted span of the chosen annotators, grouped into review items.

The grouping rule, precisely (per document, over the chosen annotators' accepted spans):

1. A **version** is one distinct (start, end, label) that at least one annotator has; its
   **holders** are the annotators who have it. Labels compare without regard to case.
2. Two versions are **alternatives** (two readings of one thing) when they overlap, no
   annotator holds both, and either they have the same offsets (a label disagreement), the
   same label (a boundary disagreement), or their extents cross, neither containing the
   other. Different labels nested one in the other are never alternatives: a claim that
   contains an actor is a second thing, not a second reading of the actor. And an annotator
   who holds both versions has said, by that, that they are two things.
3. An **item** is a connected group of versions under "alternative". Its kind is
   ``agreed`` (one version, held by every chosen annotator), ``missing`` (one version, held
   by only some), ``label`` (several versions, all on the same offsets) or ``boundary``
   (several versions whose offsets differ, with the same or different labels).

A version held by everyone has holders in common with every other version, so an agreed span
is never lumped with anything. An item's **key** is a hash of the document's content hash,
the chosen annotators and the item's versions with their holders: it stays the same across
restarts, exports and re-imports, and changes (reopening the item) when anything the reviewer
saw changes, including a renamed label.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from db.records import AnnotatorRecord, SpanRecord
from db.store import Store
from desktop.progress import Progress, no_progress

AGREED = "agreed"
MISSING = "missing"
LABEL = "label"
BOUNDARY = "boundary"
KINDS = (AGREED, MISSING, LABEL, BOUNDARY)
KEY_VERSION = "dossier-review-item/1"  # part of every key: a change of rule makes new keys


class ReviewError(ValueError):
    """A review or agreement request that cannot be served; the message says why."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One annotator's span inside a review item."""

    annotator: str
    label: str
    start: int
    end: int
    text: str
    uuid: str
    attributes: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    entity_uuid: str | None = field(default=None, compare=False)

    @classmethod
    def of(cls, span: SpanRecord) -> Candidate:
        return cls(
            span.annotator,
            span.label,
            span.start,
            span.end,
            span.text,
            span.uuid,
            dict(span.attributes),
            span.entity_uuid,
        )


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A group of spans to settle: agreed, missing, label or boundary (see the module doc).

    ``annotators`` are all the annotators compared; ``candidates`` their spans in this item,
    in the order of ``annotators``, then by position.
    """

    key: str
    document_id: int
    kind: str
    annotators: tuple[str, ...]
    candidates: tuple[Candidate, ...]

    @property
    def start(self) -> int:
        return min(candidate.start for candidate in self.candidates)

    @property
    def end(self) -> int:
        return max(candidate.end for candidate in self.candidates)

    @property
    def is_disagreement(self) -> bool:
        return self.kind != AGREED

    def spans_of(self, annotator: str) -> tuple[Candidate, ...]:
        """The candidates of one annotator (empty when they have nothing here)."""
        return tuple(c for c in self.candidates if c.annotator == annotator)

    @property
    def holders(self) -> tuple[str, ...]:
        """The compared annotators with at least one span in this item."""
        present = {candidate.annotator for candidate in self.candidates}
        return tuple(name for name in self.annotators if name in present)

    @property
    def absent(self) -> tuple[str, ...]:
        """The compared annotators with no span in this item."""
        present = {candidate.annotator for candidate in self.candidates}
        return tuple(name for name in self.annotators if name not in present)


@dataclass(slots=True)
class _Version:
    start: int
    end: int
    label: str
    spans: list[SpanRecord] = field(default_factory=list)
    holders: set[str] = field(default_factory=set)

    @property
    def label_key(self) -> str:
        return self.label.casefold()


def resolve_annotators(
    store: Store, names: Iterable[str], *, allow_gold: bool
) -> list[AnnotatorRecord]:
    """The annotator records for ``names``, in the order given, duplicates dropped.

    Raises :class:`ReviewError` for an unknown name, fewer than two annotators, or the gold
    layer when ``allow_gold`` is false.
    """
    known = {record.name: record for record in store.annotators()}
    chosen: list[AnnotatorRecord] = []
    for name in names:
        record = known.get(name)
        if record is None:
            listed = ", ".join(sorted(known)) or "none"
            raise ReviewError(f"no annotator called {name!r} (known: {listed})")
        if record.is_gold and not allow_gold:
            raise ReviewError(f"{name!r} is the gold layer, which a review writes into")
        if record not in chosen:
            chosen.append(record)
    if len(chosen) < 2:
        raise ReviewError(f"comparing needs two or more annotators, got {len(chosen)}")
    return chosen


def _overlap(a: _Version, b: _Version) -> bool:
    return a.start < b.end and b.start < a.end


def _contains(outer: _Version, inner: _Version) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def are_alternatives(a: _Version, b: _Version) -> bool:
    """Whether two versions are two readings of one thing (rule 2 of the module doc)."""
    if a.holders & b.holders or not _overlap(a, b):
        return False
    if (a.start, a.end) == (b.start, b.end) or a.label_key == b.label_key:
        return True
    return not (_contains(a, b) or _contains(b, a))


def item_key(content_hash: str, annotators: Sequence[str], versions: Iterable[_Version]) -> str:
    """The stable key of an item: the same disagreement gets the same key after a restart."""
    canonical = [
        KEY_VERSION,
        content_hash,
        sorted(annotators),
        sorted(
            [version.start, version.end, version.label_key, sorted(version.holders)]
            for version in versions
        ),
    ]
    digest = hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()[:32]


def _kind(versions: Sequence[_Version], annotators: Sequence[str]) -> str:
    if len(versions) == 1:
        return AGREED if versions[0].holders >= set(annotators) else MISSING
    if len({(version.start, version.end) for version in versions}) == 1:
        return LABEL
    return BOUNDARY


def _versions(spans: Iterable[SpanRecord], annotators: Sequence[str]) -> list[_Version]:
    chosen = set(annotators)
    versions: dict[tuple[int, int, str], _Version] = {}
    for span in spans:
        if span.annotator not in chosen or span.status != "accepted":
            continue
        key = (span.start, span.end, span.label.casefold())
        version = versions.get(key)
        if version is None:
            version = versions[key] = _Version(span.start, span.end, span.label)
        version.spans.append(span)
        version.holders.add(span.annotator)
    return sorted(versions.values(), key=lambda v: (v.start, -v.end, v.label_key))


def _connected(versions: Sequence[_Version]) -> list[list[int]]:
    """Groups of version indices linked by "alternative", found by one sweep over positions."""
    parent = list(range(len(versions)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    active: list[int] = []  # versions that may still overlap the next ones (sorted by start)
    for index, version in enumerate(versions):
        active = [other for other in active if versions[other].end > version.start]
        for other in active:
            if are_alternatives(versions[other], version):
                parent[root(index)] = root(other)
        active.append(index)
    groups: dict[int, list[int]] = {}
    for index in range(len(versions)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


def group_spans(
    document_id: int,
    content_hash: str,
    spans: Iterable[SpanRecord],
    annotators: Sequence[str],
) -> list[ReviewItem]:
    """The review items of one document, by start (enclosing items before those inside).

    ``spans`` may hold other annotators' and non-accepted spans: they are left out.
    """
    annotators = tuple(annotators)
    order = {name: index for index, name in enumerate(annotators)}
    versions = _versions(spans, annotators)
    items = []
    for group in _connected(versions):
        members = [versions[index] for index in group]
        candidates = sorted(
            (Candidate.of(span) for version in members for span in version.spans),
            key=lambda c: (order[c.annotator], c.start, c.end, c.label.casefold(), c.uuid),
        )
        items.append(
            ReviewItem(
                key=item_key(content_hash, annotators, members),
                document_id=document_id,
                kind=_kind(members, annotators),
                annotators=annotators,
                candidates=tuple(candidates),
            )
        )
    items.sort(key=lambda item: (item.start, -item.end, item.key))
    return items


def compare_annotators(
    store: Store,
    annotators: Sequence[str],
    document_ids: Sequence[int] | None = None,
    *,
    progress: Progress = no_progress,
) -> list[ReviewItem]:
    """Every review item of ``annotators`` (two or more, not gold) on the chosen documents.

    ``document_ids`` None means every document. Items are ordered by document, then position.
    ``progress("comparing", done, total)`` is called per document; raising
    :class:`desktop.progress.Cancelled` from it stops the comparison.
    """
    records = resolve_annotators(store, annotators, allow_gold=False)
    names = [record.name for record in records]
    summaries = store.list_documents()
    if document_ids is not None:
        wanted = set(document_ids)
        summaries = [summary for summary in summaries if summary.id in wanted]
    spans = store.spans_where(
        annotator_ids=[record.id for record in records],
        statuses=["accepted"],
        document_ids=[summary.id for summary in summaries],
    )
    by_document: dict[int, list[SpanRecord]] = {}
    for span in spans:
        by_document.setdefault(span.document_id, []).append(span)
    items: list[ReviewItem] = []
    total = len(summaries)
    for done, summary in enumerate(summaries, 1):
        document_spans = by_document.get(summary.id)
        if document_spans:
            items.extend(group_spans(summary.id, summary.content_hash, document_spans, names))
        progress("comparing", done, total)
    return items
