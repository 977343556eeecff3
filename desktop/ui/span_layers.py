"""The spans a document view draws: their Qt positions, how they look, and a fast lookup.

Spans are kept in buckets of Qt positions, so finding the few dozen spans in view among
tens of thousands costs a handful of set unions. Each span gets a *level*: overlapping spans
never share one, so nested spans are drawn as separate underline bars.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from heapq import heappop, heappush

import numpy as np

from db.records import SpanRecord

BUCKET = 1024


@dataclass(slots=True)
class ViewSpan:
    record: SpanRecord
    start: int  # Qt positions
    end: int
    style: str  # "own", "suggested", "other", "gold"
    layer: int = 0  # which annotator of a multi-layer view (0 for one's own)
    level: int = 0

    @property
    def uuid(self) -> str:
        return self.record.uuid


class SpanIndex:
    """ViewSpans by uuid and by the buckets of text they cover.

    Plain Python: a worker thread can build one for a large document, and the view adopts
    it whole.
    """

    def __init__(self) -> None:
        self._spans: dict[str, ViewSpan] = {}
        self._buckets: dict[int, set[str]] = defaultdict(set)
        # Every span in reading order, kept up to date once asked for: the panels ask for
        # it after every load and edit, and sorting 20,000 spans each time shows.
        self._ordered: list[ViewSpan] | None = None

    def __len__(self) -> int:
        return len(self._spans)

    def __contains__(self, span_uuid: str) -> bool:
        return span_uuid in self._spans

    def get(self, span_uuid: str) -> ViewSpan | None:
        return self._spans.get(span_uuid)

    def all(self) -> list[ViewSpan]:
        return list(self._spans.values())

    def clear(self) -> None:
        self._spans.clear()
        self._buckets.clear()
        self._ordered = None

    def add(self, span: ViewSpan, *, place: bool = True) -> None:
        """Add (or replace) a span; with ``place``, give it the lowest free level."""
        if span.uuid in self._spans:
            self.remove(span.uuid)
        if place:
            used = {other.level for other in self.between(span.start, span.end)}
            level = 0
            while level in used:
                level += 1
            span.level = level
        self._spans[span.uuid] = span
        for bucket in range(span.start // BUCKET, max(span.start, span.end - 1) // BUCKET + 1):
            self._buckets[bucket].add(span.uuid)
        if self._ordered is not None:
            insort(self._ordered, span, key=_reading_order)

    def remove(self, span_uuid: str) -> ViewSpan | None:
        span = self._spans.pop(span_uuid, None)
        if span is not None:
            if self._ordered is not None:
                del self._ordered[
                    bisect_left(self._ordered, _reading_order(span), key=_reading_order)
                ]
            for bucket in range(span.start // BUCKET, max(span.start, span.end - 1) // BUCKET + 1):
                members = self._buckets.get(bucket)
                if members is not None:
                    members.discard(span_uuid)
                    if not members:
                        del self._buckets[bucket]
        return span

    def replace_all(self, spans: Iterable[ViewSpan]) -> None:
        """Load many spans at once and give them levels in one sweep."""
        self.clear()
        spans = list(spans)
        count = len(spans)
        starts = np.fromiter((span.start for span in spans), np.int64, count)
        ends = np.fromiter((span.end for span in spans), np.int64, count)
        uuids = [span.record.uuid for span in spans]
        # By start, the longer first (a stable sort: ties keep the order given). Each span
        # takes the lowest level that no span still open holds.
        still_open: list[tuple[int, int]] = []  # (end, level)
        free: list[int] = []
        levels = 0
        by_uuid = self._spans
        for number in np.lexsort((-ends, starts)).tolist():
            span = spans[number]
            start = span.start
            while still_open and still_open[0][0] <= start:
                heappush(free, heappop(still_open)[1])
            if free:
                level = heappop(free)
            else:
                level = levels
                levels += 1
            span.level = level
            heappush(still_open, (span.end, level))
            by_uuid[uuids[number]] = span
        # Most spans lie in one bucket: those are put in their buckets a bucket at a time.
        firsts = starts // BUCKET
        lasts = np.maximum(starts, ends - 1) // BUCKET
        buckets = self._buckets
        single = np.flatnonzero(firsts == lasts)
        single = single[np.argsort(firsts[single], kind="stable")]
        bounds = np.flatnonzero(np.diff(firsts[single])) + 1
        for group in np.split(single, bounds) if len(single) else ():
            buckets[int(firsts[group[0]])].update(uuids[number] for number in group.tolist())
        for number in np.flatnonzero(firsts != lasts).tolist():
            for bucket in range(int(firsts[number]), int(lasts[number]) + 1):
                buckets[bucket].add(uuids[number])

    @classmethod
    def build(cls, spans: Iterable[tuple[SpanRecord, str, int]], offsets) -> SpanIndex:
        """An index of (record, style, layer) spans, placed with ``offsets`` (an OffsetMap)."""
        spans = list(spans)
        positions = offsets.to_qt_many(
            [record.start for record, _, _ in spans] + [record.end for record, _, _ in spans]
        )
        count = len(spans)
        index = cls()
        index.replace_all(
            [
                ViewSpan(record, positions[number], positions[count + number], style, layer)
                for number, (record, style, layer) in enumerate(spans)
            ]
        )
        index.ordered()  # here, in the thread that builds the index
        return index

    def between(self, start: int, end: int) -> list[ViewSpan]:
        """Spans that overlap Qt positions ``[start, end)``, shortest last."""
        found: set[str] = set()
        for bucket in range(start // BUCKET, max(start, end - 1) // BUCKET + 1):
            members = self._buckets.get(bucket)
            if members:
                found |= members
        spans = [self._spans[u] for u in found]
        result = [s for s in spans if s.start < end and s.end > start]
        result.sort(key=lambda s: (-(s.end - s.start), s.start, s.uuid))
        return result

    def at(self, position: int) -> list[ViewSpan]:
        """Spans covering the character at ``position``, innermost (shortest) first."""
        return list(reversed(self.between(position, position + 1)))

    def ordered(self) -> list[ViewSpan]:
        """Every span in reading order."""
        if self._ordered is None:
            self._ordered = sorted(self._spans.values(), key=_reading_order)
        return list(self._ordered)


def actor_mark(span: ViewSpan, actor_labels: Collection[int]) -> str | None:
    """How a span shows its actor: "linked" (it links to a canonical actor), "unlinked" (a
    span of a label that names actors, linked to none; suggestions aside) or None."""
    record = span.record
    if record.entity_uuid is not None:
        return "linked"
    if record.label_id in actor_labels and span.style != "suggested":
        return "unlinked"
    return None


def _reading_order(span: ViewSpan) -> tuple[int, int, str]:
    return (span.start, span.end, span.record.uuid)
