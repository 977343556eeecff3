"""The spans a document view draws: their Qt positions, how they look, and a fast lookup.

Spans are kept in buckets of Qt positions, so finding the few dozen spans in view among
tens of thousands costs a handful of set unions. Each span gets a *level*: overlapping spans
never share one, so nested spans are drawn as separate underline bars.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

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

    def remove(self, span_uuid: str) -> ViewSpan | None:
        span = self._spans.pop(span_uuid, None)
        if span is not None:
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
        order = sorted(range(len(spans)), key=[(s.start, -s.end) for s in spans].__getitem__)
        active: list[ViewSpan] = []
        by_uuid = self._spans
        buckets = self._buckets
        for number in order:
            span = spans[number]
            if active:
                active = [other for other in active if other.end > span.start]
            level = 0
            if active:
                used = {other.level for other in active}
                while level in used:
                    level += 1
            span.level = level
            active.append(span)
            span_uuid = span.record.uuid
            by_uuid[span_uuid] = span
            for bucket in range(span.start // BUCKET, max(span.start, span.end - 1) // BUCKET + 1):
                buckets[bucket].add(span_uuid)

    @classmethod
    def build(cls, spans: Iterable[tuple[SpanRecord, str, int]], offsets) -> SpanIndex:
        """An index of (record, style, layer) spans, placed with ``offsets`` (an OffsetMap)."""
        to_qt = offsets.to_qt
        index = cls()
        index.replace_all(
            ViewSpan(record, to_qt(record.start), to_qt(record.end), style, layer)
            for record, style, layer in spans
        )
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
        spans = list(self._spans.values())
        keys = [(s.start, s.end, s.record.uuid) for s in spans]
        return [spans[i] for i in sorted(range(len(spans)), key=keys.__getitem__)]
