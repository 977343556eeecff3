"""Relations drawn over the document view: an arc from one span to the other.

An arc leaves the top of the head span and lands, with an arrowhead, on the top of the
tail, bowing upwards into the gap that the spaced lines leave above the text. Arcs are thin
and translucent so the text stays readable through them; the selected span's arcs are
drawn strongly and named (agent, source…), the others faintly, so a dense page stays calm.
Only relations with an end on screen are drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen

from db.records import RelationRecord

ARROW = 5.0
TOP_ROOM = 7.0  # the highest an arc's apex goes, in pixels from the top of the view


class RelationArcs:
    """The relations of the open document, by the spans they touch."""

    def __init__(self) -> None:
        self._relations: dict[str, RelationRecord] = {}
        self._by_span: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._relations)

    def set(self, relations: Iterable[RelationRecord]) -> None:
        self._relations.clear()
        self._by_span.clear()
        for relation in relations:
            self.put(relation)

    def put(self, relation: RelationRecord) -> None:
        self._relations[relation.uuid] = relation
        for end in (relation.head_uuid, relation.tail_uuid):
            self._by_span.setdefault(end, set()).add(relation.uuid)

    def remove(self, relation_uuid: str) -> None:
        relation = self._relations.pop(relation_uuid, None)
        if relation is None:
            return
        for end in (relation.head_uuid, relation.tail_uuid):
            self._by_span.get(end, set()).discard(relation_uuid)

    def get(self, relation_uuid: str) -> RelationRecord | None:
        return self._relations.get(relation_uuid)

    def all(self) -> list[RelationRecord]:
        return list(self._relations.values())

    def of_span(self, span_uuid: str) -> list[RelationRecord]:
        """The relations that start or end at a span, oldest first."""
        found = [self._relations[uuid] for uuid in self._by_span.get(span_uuid, ())]
        return sorted(found, key=lambda relation: (relation.created_at, relation.uuid))

    def touching(self, span_uuids: Iterable[str]) -> list[RelationRecord]:
        seen: dict[str, RelationRecord] = {}
        for span_uuid in span_uuids:
            for relation_uuid in self._by_span.get(span_uuid, ()):
                seen.setdefault(relation_uuid, self._relations[relation_uuid])
        return list(seen.values())

    def paint(
        self,
        painter: QPainter,
        anchors: dict[str, QRectF],
        anchor_of: Callable[[str], QRectF | None],
        colour_of: Callable[[str], QColor | None],
        selected: str | None,
    ) -> list[tuple[RelationRecord, QPainterPath]]:
        """Draw the arcs of the relations with an end among ``anchors`` (span uuid → the
        rectangle of its first piece on screen); ``anchor_of`` places an end off screen, and
        ``colour_of`` gives a span's label colour (None: the span is not drawn, nor its arcs).
        Returns what was drawn, for hit tests."""
        drawn: list[tuple[RelationRecord, QPainterPath]] = []
        if not self._relations:
            return drawn
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.72))
        metrics = QFontMetricsF(font)
        for relation in self.touching(anchors):
            head = anchors.get(relation.head_uuid) or anchor_of(relation.head_uuid)
            tail = anchors.get(relation.tail_uuid) or anchor_of(relation.tail_uuid)
            colour = colour_of(relation.head_uuid)
            if (
                head is None
                or tail is None
                or colour is None
                or colour_of(relation.tail_uuid) is None
            ):
                continue
            strong = selected in (relation.head_uuid, relation.tail_uuid)
            path, apex, arrival = _arc(head, tail)
            pen = QPen(QColor(colour).darker(130), 1.6 if strong else 1.0)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            faint = QColor(pen.color())
            faint.setAlpha(230 if strong else 110)
            pen.setColor(faint)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            _arrowhead(painter, path.currentPosition(), arrival, faint)
            if strong:
                _name(painter, font, metrics, relation.type, apex, faint)
            drawn.append((relation, path))
        return drawn


def _arc(head: QRectF, tail: QRectF) -> tuple[QPainterPath, QPointF, QPointF]:
    """A curve from the top middle of ``head`` to the top middle of ``tail``: the path, its
    apex, and the direction it arrives in (a unit vector)."""
    start = QPointF(head.center().x(), head.top())
    end = QPointF(tail.center().x(), tail.top())
    span = abs(end.x() - start.x()) + abs(end.y() - start.y())
    rise = min(10.0 + span * 0.12, 34.0)
    # Never above the view: an arc from the first line stays (flatter) within it.
    top = max(min(start.y(), end.y()) - rise, TOP_ROOM)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x(), top), QPointF(end.x(), top), end)
    # The curve at its middle, and its tangent at the end (from the last control point),
    # worked out directly: QPainterPath's percent lookups measure the whole curve each time.
    apex = QPointF((start.x() + end.x()) / 2, (start.y() + 6 * top + end.y()) / 8)
    dy = end.y() - top
    arrival = QPointF(0.0, 1.0 if dy >= 0 else -1.0)
    return path, apex, arrival


def _arrowhead(painter: QPainter, end: QPointF, arrival: QPointF, colour: QColor) -> None:
    dx, dy = arrival.x(), arrival.y()
    left = QPointF(end.x() - ARROW * dx + ARROW * 0.5 * dy, end.y() - ARROW * dy - ARROW * 0.5 * dx)
    right = QPointF(
        end.x() - ARROW * dx - ARROW * 0.5 * dy, end.y() - ARROW * dy + ARROW * 0.5 * dx
    )
    head = QPainterPath(end)
    head.lineTo(left)
    head.lineTo(right)
    head.closeSubpath()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawPath(head)
    painter.setBrush(Qt.BrushStyle.NoBrush)


def _name(
    painter: QPainter, font: QFont, metrics: QFontMetricsF, text: str, at: QPointF, colour: QColor
) -> None:
    width = metrics.horizontalAdvance(text) + 6
    height = metrics.height()
    # Above the arc's apex, in the gap over the line, on a light veil: the words under a
    # long name still show through.
    top = max(at.y() - height + 3, 0.0)
    box = QRectF(at.x() - width / 2, top, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255, 170))
    painter.drawRoundedRect(box, 3, 3)
    painter.setFont(font)
    painter.setPen(colour.darker(120))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    painter.setBrush(Qt.BrushStyle.NoBrush)
