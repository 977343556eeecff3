"""The document view: an article's text with its spans drawn over it, selectable by mouse
and keyboard.

Spans are painted, not stored in the text document: a translucent band in the label's
colour behind the text, and an underline bar per span below it, stacked by level so that
nested and overlapping spans stay distinguishable. Only spans in view are painted, so a
1 MB article with 20,000 spans scrolls as smoothly as a bare text widget.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QTextCursor,
    QTextDocument,
    QTextLayout,
)
from PySide6.QtWidgets import QPlainTextDocumentLayout, QPlainTextEdit, QToolTip, QWidget

from db.records import LabelRecord, RelationRecord, SpanRecord
from desktop.ui.offsets import OffsetMap
from desktop.ui.relation_arcs import RelationArcs
from desktop.ui.span_layers import SpanIndex, ViewSpan, actor_mark

LINE_SPACING = 1.6  # times the font's line height: room under each line for underline bars
PARAGRAPH_GAP = 0.35  # extra space after a paragraph, in lines
BAR = 2.0  # thickness of an underline bar, in pixels
BAR_GAP = 1.5
MARK = 3.2  # radius of the dot a span linked to an actor carries at its end, in pixels
ACTOR_LABEL = "actor"  # spans of this label (any case) name canonical actors
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_LAYER_PENS = (
    Qt.PenStyle.DashLine,
    Qt.PenStyle.DotLine,
    Qt.PenStyle.DashDotLine,
    Qt.PenStyle.DashDotDotLine,
)


def layer_pen_style(layer: int) -> Qt.PenStyle:
    """The underline pattern of another annotator's layer (1, 2, …); legends draw the same."""
    return _LAYER_PENS[(layer - 1) % len(_LAYER_PENS)]


class SpacedTextLayout(QPlainTextDocumentLayout):
    """The plain-text layout with the lines of each paragraph spread apart.

    ``QPlainTextEdit`` ignores a block's line height, and its layout is what keeps a 1 MB
    article instant (it lays out only what is shown); so the lines are moved apart here,
    when Qt asks where a paragraph is, leaving room for the underline bars below them.
    """

    def __init__(self, document: QTextDocument, spacing: float = LINE_SPACING):
        super().__init__(document)
        self.spacing = spacing

    def blockBoundingRect(self, block) -> QRectF:  # noqa: N802 - Qt override
        rect = super().blockBoundingRect(block)
        layout = block.layout()
        count = layout.lineCount() if layout is not None else 0
        if count == 0:
            return rect
        y = 0.0
        for number in range(count):
            line = layout.lineAt(number)
            if line.y() != y:
                line.setPosition(QPointF(line.x(), y))
            y += line.height() * self.spacing
        y += layout.lineAt(count - 1).height() * PARAGRAPH_GAP
        return QRectF(rect.x(), rect.y(), rect.width(), y)


class DocumentView(QPlainTextEdit):
    """Shows one document and reports what the analyst does with it; the session decides
    what happens (creating, relabelling or deleting spans)."""

    #: a label's key was pressed (label id); the session tags the selection or relabels
    labelKeyPressed = Signal(int)
    #: Delete was pressed with a span selected
    deleteRequested = Signal()
    #: Enter / Backspace: accept / reject the suggestion under the cursor or selected
    acceptRequested = Signal()
    rejectRequested = Signal()
    #: the selected span changed (uuid, or "" when none is selected)
    spanSelected = Signal(str)
    #: the text selection changed (Python offsets; equal when nothing is selected)
    selectionChangedTo = Signal(int, int)
    #: Alt+letter: start the relation with that key from the selected span (the letter)
    relationKeyPressed = Signal(str)
    #: F2: edit the selected span's attributes
    recordFormRequested = Signal()
    #: while picking the other end of a relation: a span was clicked (uuid), or Esc pressed
    spanPicked = Signal(str)
    pickCancelled = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setTabChangesFocus(False)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setCenterOnScroll(False)
        self.setCursorWidth(2)
        self.document().setDocumentLayout(SpacedTextLayout(self.document()))
        self.document().setDocumentMargin(18)
        self._text = ""
        self._offsets = OffsetMap("")
        self._index = SpanIndex()
        self._colours: dict[int, QColor] = {}
        self._label_names: dict[int, str] = {}
        self._label_keys: dict[str, int] = {}
        self._relation_keys: dict[int, set[str]] = {}
        self._selected: str | None = None
        self._painted: list[tuple[ViewSpan, QRectF]] = []
        self._tokens = None  # desktop.nlp.tokens.TokenIndex, set when ready
        self._exact_drag = False
        self.selection_is_exact = False  # made with Ctrl (mouse) or Alt (keys): never snapped
        self._press_position: QPoint | None = None
        self._click_cycle: list[str] = []
        self.snap_to_tokens = True
        self.arcs = RelationArcs()
        self._drawn_relations: list[RelationRecord] = []
        self.picking = False  # the other end of a relation is being picked
        self._actor_labels: frozenset[int] = frozenset()
        # Entity uuid -> the name and type of a linked span's actor, for the hover text (None
        # when there is no such actor); set by the actor links (desktop/ui/actor_links.py).
        self.actor_of: Callable[[str], tuple[str, str | None] | None] | None = None
        self._marks: dict[str, str] = {}  # span uuid -> the actor mark the last paint drew
        self.cursorPositionChanged.connect(self._on_cursor_moved)
        self.selectionChanged.connect(self._on_selection_changed)

    # --- public API --------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._text

    @property
    def offsets(self) -> OffsetMap:
        return self._offsets

    def set_document(self, text: str, spans: Iterable[tuple[SpanRecord, str, int]] = ()) -> None:
        """Show ``text`` with spans given as (record, style, layer)."""
        self._text = text
        self._offsets = OffsetMap(text)
        self._tokens = None
        self._selected = None
        self._painted = []
        self.setPlainText(text)
        self.set_spans(spans)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def set_spans(self, spans: Iterable[tuple[SpanRecord, str, int]]) -> None:
        """Replace every drawn span (e.g. when the layers change)."""
        self.adopt_index(SpanIndex.build(spans, self._offsets))

    def adopt_index(self, index: SpanIndex) -> None:
        """Draw the spans of an index built elsewhere (a worker thread, for a long article)."""
        self._index = index
        if self._selected and self._selected not in self._index:
            self._selected = None
        self.viewport().update()

    def put_span(self, record: SpanRecord, style: str, layer: int = 0) -> None:
        """Add or redraw one span."""
        previous = self._index.get(record.uuid)
        span = ViewSpan(
            record, self._offsets.to_qt(record.start), self._offsets.to_qt(record.end), style, layer
        )
        if previous is not None and (previous.start, previous.end) == (span.start, span.end):
            span.level = previous.level
            self._index.add(span, place=False)
        else:
            self._index.add(span)
        self.viewport().update()

    def remove_span(self, span_uuid: str) -> None:
        self._index.remove(span_uuid)
        if self._selected == span_uuid:
            self.select_span(None)
        self.viewport().update()

    def drawn_actor_marks(self) -> dict[str, str]:
        """The actor marks the last paint drew: span uuid -> "linked" (a dot) or "unlinked"
        (a ring)."""
        return dict(self._marks)

    def drawn_relations(self) -> list[RelationRecord]:
        """The relations the last paint drew (both spans shown, one of them on screen)."""
        return list(self._drawn_relations)

    def set_relations(self, relations: Iterable[RelationRecord]) -> None:
        """Replace every drawn relation (a relation shows when both its spans do)."""
        self.arcs.set(relations)
        self.viewport().update()

    def put_relation(self, relation: RelationRecord) -> None:
        self.arcs.put(relation)
        self.viewport().update()

    def remove_relation(self, relation_uuid: str) -> None:
        self.arcs.remove(relation_uuid)
        self.viewport().update()

    def spans(self) -> list[ViewSpan]:
        return self._index.ordered()

    def spans_between(self, start: int, end: int) -> list[ViewSpan]:
        """The spans overlapping Qt positions ``[start, end)``: cheap, whatever the document
        holds."""
        return self._index.between(start, end)

    def view_span(self, span_uuid: str) -> ViewSpan | None:
        return self._index.get(span_uuid)

    def set_labels(self, labels: Sequence[LabelRecord]) -> None:
        """Colours, names and keys of the labels (a label's letter, and 1-9 by order)."""
        self._colours = {label.id: QColor(label.colour) for label in labels}
        self._label_names = {label.id: label.name for label in labels}
        keys: dict[str, int] = {}
        for number, label in enumerate(labels[:9], start=1):
            keys[str(number)] = label.id
        for label in labels:
            if label.shortcut:
                keys[label.shortcut.lower()] = label.id
        self._label_keys = keys
        self._relation_keys = {
            label.id: {spec.key.upper() for spec in label.schema.relations if spec.key}
            for label in labels
        }
        self._actor_labels = frozenset(
            label.id for label in labels if label.name.lower() == ACTOR_LABEL
        )
        self.viewport().update()

    def _is_relation_key(self, event) -> bool:
        selected = self.selected_span()
        if selected is None or event.modifiers() != Qt.KeyboardModifier.AltModifier:
            return False
        key = event.key()
        return Qt.Key.Key_A <= key <= Qt.Key.Key_Z and chr(key) in self._relation_keys.get(
            selected.label_id, ()
        )

    def label_of_key(self, text: str) -> int | None:
        """The label id a key's text stands for (a label's letter or 1-9), or None."""
        return self._label_keys.get(text.lower()) if text else None

    def set_token_index(self, tokens) -> None:
        self._tokens = tokens

    @property
    def token_index(self):
        return self._tokens

    def set_text_font(self, family: str, size: int) -> None:
        font = QFont(self.font())
        if family:
            font.setFamily(family)
        font.setPointSize(size)
        self.setFont(font)

    def python_selection(self) -> tuple[int, int]:
        """The selected text as Python offsets (start == end when nothing is selected)."""
        cursor = self.textCursor()
        return self._offsets.to_python_range(cursor.selectionStart(), cursor.selectionEnd())

    def select_python_range(self, start: int, end: int) -> None:
        cursor = self.textCursor()
        cursor.setPosition(self._offsets.to_qt(start))
        cursor.setPosition(self._offsets.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    def cursor_offset(self) -> int:
        return self._offsets.to_python(self.textCursor().position())

    def clear_text_selection(self) -> None:
        cursor = self.textCursor()
        cursor.clearSelection()
        self.setTextCursor(cursor)

    def selected_span(self) -> SpanRecord | None:
        span = self._index.get(self._selected) if self._selected else None
        return span.record if span else None

    def select_span(self, span_uuid: str | None, *, reveal: bool = False) -> None:
        """Select a span (drawn outlined); ``reveal`` scrolls it into view."""
        if span_uuid is not None and span_uuid not in self._index:
            span_uuid = None
        changed = span_uuid != self._selected
        self._selected = span_uuid
        if span_uuid and reveal:
            span = self._index.get(span_uuid)
            cursor = self.textCursor()
            # The end first, then the start: the whole span is in view when it fits, and
            # its start when it does not.
            for position in (span.end, span.start):
                cursor.setPosition(position)
                self.setTextCursor(cursor)
                self.ensureCursorVisible()
        self.viewport().update()
        if changed:
            self.spanSelected.emit(span_uuid or "")

    def spans_at_cursor(self) -> list[SpanRecord]:
        """Spans covering the cursor (or the selected span first), innermost first."""
        position = self.textCursor().position()
        spans = self._index.at(position) or self._index.at(max(0, position - 1))
        records = [span.record for span in spans]
        selected = self.selected_span()
        if selected is not None:
            records = [selected] + [r for r in records if r.uuid != selected.uuid]
        return records

    def first_visible_offset(self) -> int:
        return self._offsets.to_python(self.firstVisibleBlock().position())

    def scroll_to_offset(self, offset: int) -> None:
        """Put the paragraph holding ``offset`` at the top of the view."""
        block = self.document().findBlock(
            self._offsets.to_qt(min(offset, self._offsets.python_length))
        )
        if block.isValid():
            self.verticalScrollBar().setValue(block.blockNumber())

    def visible_python_range(self) -> tuple[int, int]:
        """Python offsets of the text in view (roughly: whole paragraphs)."""
        first = self.firstVisibleBlock()
        block = first
        offset = self.contentOffset()
        height = self.viewport().height()
        last = first
        while (
            block.isValid() and self.blockBoundingGeometry(block).translated(offset).top() <= height
        ):
            last = block
            block = block.next()
        end = last.position() + last.length()
        return self._offsets.to_python(first.position()), self._offsets.to_python(
            min(end, self._offsets.qt_length)
        )

    # --- painting ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        segments = self._visible_segments()
        painter = QPainter(self.viewport())
        for span, rect in segments:
            painter.fillRect(rect, self._band(span))
        painter.end()
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        ends: dict[str, tuple[ViewSpan, QRectF, str]] = {}
        actor_labels = self._actor_labels
        for span, rect in segments:
            self._paint_bar(painter, span, rect)
            if span.record.entity_uuid is not None or span.record.label_id in actor_labels:
                mark = actor_mark(span, actor_labels)
                if mark is not None:
                    if mark == "linked":
                        self._paint_link_box(painter, span, rect)
                    ends[span.uuid] = (span, rect, mark)  # the last piece: where the span ends
        for span, rect, mark in ends.values():
            self._paint_mark(painter, span, rect, mark)
        self._marks = {uuid: mark for uuid, (_, _, mark) in ends.items()}
        if len(self.arcs):
            anchors: dict[str, QRectF] = {}
            for span, rect in segments:
                anchors.setdefault(span.uuid, rect)
            drawn = self.arcs.paint(
                painter, anchors, self._anchor_of, self._colour_of_span, self._selected
            )
            self._drawn_relations = [relation for relation, _ in drawn]
        else:
            self._drawn_relations = []
        painter.end()
        self._painted = segments

    def _anchor_of(self, span_uuid: str) -> QRectF | None:
        """Where to aim at a span that is off screen: just above the view when it comes
        before, just below when after (laying out the text up to it would cost more than
        the whole paint)."""
        span = self._index.get(span_uuid)
        if span is None:
            return None
        first = self.firstVisibleBlock().position()
        width = self.viewport().width()
        if span.end <= first:
            return QRectF(width / 2, -40.0, 1.0, 1.0)
        return QRectF(width / 2, self.viewport().height() + 40.0, 1.0, 1.0)

    def _colour_of_span(self, span_uuid: str) -> QColor | None:
        span = self._index.get(span_uuid)
        if span is None:
            return None
        return self._colours.get(span.record.label_id, QColor("#999999"))

    def _band(self, span: ViewSpan) -> QColor:
        colour = QColor(self._colours.get(span.record.label_id, QColor("#999999")))
        if span.style == "suggested":
            colour.setAlpha(22)
        elif span.uuid == self._selected:
            colour.setAlpha(110)
        elif span.style == "other":
            colour.setAlpha(28)
        else:
            colour.setAlpha(52)
        return colour

    def _paint_bar(self, painter: QPainter, span: ViewSpan, rect: QRectF) -> None:
        colour = QColor(self._colours.get(span.record.label_id, QColor("#999999")))
        y = rect.bottom() + BAR_GAP + span.level * (BAR + BAR_GAP) + BAR / 2
        pen = QPen(colour, BAR)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        if span.style == "suggested":
            pen.setStyle(Qt.PenStyle.DashLine)
            pen.setDashPattern([2.0, 1.5])
        elif span.style == "other":
            pen.setStyle(layer_pen_style(span.layer))
        painter.setPen(pen)
        painter.drawLine(QPointF(rect.left() + 0.5, y), QPointF(rect.right() - 0.5, y))
        if span.style == "gold":
            painter.drawLine(
                QPointF(rect.left() + 0.5, y + BAR + 0.5),
                QPointF(rect.right() - 0.5, y + BAR + 0.5),
            )
        if span.uuid == self._selected:
            outline = QPen(colour.darker(140), 1.5)
            painter.setPen(outline)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 2, 2)

    def _paint_link_box(self, painter: QPainter, span: ViewSpan, rect: QRectF) -> None:
        """A thin box round each piece of a span linked to an actor."""
        colour = QColor(self._colours.get(span.record.label_id, QColor("#999999"))).darker(125)
        colour.setAlpha(200 if span.style != "suggested" else 90)
        painter.setPen(QPen(colour, 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))

    def _paint_mark(self, painter: QPainter, span: ViewSpan, rect: QRectF, mark: str) -> None:
        """At the top right of where a span ends: a dot when it links to an actor, a ring
        on an actor span linked to none. Drawn over every layer's underline pattern, so
        the two read apart in each (own, other, gold)."""
        colour = QColor(self._colours.get(span.record.label_id, QColor("#999999"))).darker(125)
        centre = QPointF(rect.right() + 0.5, rect.top() + 0.5)
        if mark == "linked":
            painter.setPen(QPen(QColor(255, 255, 255, 230), 1.0))
            painter.setBrush(colour)
            painter.drawEllipse(centre, MARK, MARK)
        else:
            painter.setPen(QPen(colour, 1.4))
            painter.setBrush(QColor(255, 255, 255, 230))
            painter.drawEllipse(centre, MARK - 0.5, MARK - 0.5)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _visible_segments(self) -> list[tuple[ViewSpan, QRectF]]:
        """(span, rectangle of text) for every piece of every span in view."""
        segments: list[tuple[ViewSpan, QRectF]] = []
        if not len(self._index):
            return segments
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        height = self.viewport().height()
        while block.isValid():
            geometry = self.blockBoundingGeometry(block).translated(offset)
            if geometry.top() > height:
                break
            if block.isVisible() and geometry.bottom() >= 0:
                start = block.position()
                spans = self._index.between(start, start + max(block.length() - 1, 1))
                if spans:
                    self._block_segments(block, geometry, spans, segments)
            block = block.next()
        return segments

    def _block_segments(self, block, geometry: QRectF, spans: list[ViewSpan], out: list) -> None:
        layout = block.layout()
        start = block.position()
        right_to_left = bool(_RTL.search(block.text()))
        for number in range(layout.lineCount()):
            line = layout.lineAt(number)
            line_start = line.textStart()
            line_end = line_start + line.textLength()
            top = geometry.top() + line.y()
            text_height = line.ascent() + line.descent()
            for span in spans:
                a = max(span.start - start, line_start)
                b = min(span.end - start, line_end)
                if a >= b:
                    continue
                for left, right in _horizontal_extents(layout, line, a, b, right_to_left):
                    out.append(
                        (span, QRectF(geometry.left() + left, top, right - left, text_height))
                    )

    # --- mouse -------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._exact_drag = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        self._press_position = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        moved = self._press_position is not None and (
            (event.position().toPoint() - self._press_position).manhattanLength() > 3
        )
        if self.textCursor().hasSelection() and moved:
            self.select_span(None)
            self.selection_is_exact = self._exact_drag
            if self.snap_to_tokens and not self._exact_drag:
                self.snap_selection()
            return
        self._click_span(event.position())

    def _click_span(self, point: QPointF) -> None:
        """Select the span under a click; clicking again on nested spans cycles through them."""
        hits = [
            span
            for span, rect in self._painted
            if rect.adjusted(0, 0, 0, 3 + 3 * (BAR + BAR_GAP)).contains(point)
        ]
        unique: dict[str, ViewSpan] = {}
        for span in sorted(hits, key=lambda s: s.end - s.start):
            unique.setdefault(span.uuid, span)
        uuids = list(unique)
        if self.picking:
            if uuids:
                self.spanPicked.emit(uuids[0])
            return
        if not uuids:
            self.select_span(None)
            return
        if uuids == self._click_cycle and self._selected in uuids:
            following = uuids[(uuids.index(self._selected) + 1) % len(uuids)]
        else:
            following = uuids[0]
        self._click_cycle = uuids
        self.select_span(following)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mouseMoveEvent(event)
        if event.buttons() != Qt.MouseButton.NoButton:
            return
        point = event.position()
        hits: dict[str, ViewSpan] = {}
        for span, rect in self._painted:
            if rect.adjusted(0, 0, 0, 3 + 3 * (BAR + BAR_GAP)).contains(point):
                hits.setdefault(span.uuid, span)
        if hits:
            self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
            QToolTip.showText(
                event.globalPosition().toPoint(),
                self.describe(list(hits.values())),
                self.viewport(),
            )
        else:
            self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
            QToolTip.hideText()

    def describe(self, spans: list[ViewSpan]) -> str:
        """The hover text for spans: label, annotator, status and note of each."""
        rows = []
        for span in sorted(spans, key=lambda s: s.end - s.start):
            record = span.record
            colour = self._colours.get(record.label_id, QColor("#999999")).name()
            status = "" if record.status == "accepted" else f" · {record.status}"
            note = f"<br><i>{html.escape(record.note)}</i>" if record.note else ""
            rows.append(
                f"<span style='color:{colour}'>■</span> <b>{html.escape(record.label)}</b>"
                f" · {html.escape(record.annotator)}{status}{note}"
            )
            actor = self._actor_row(span)
            if actor:
                rows.append(actor)
            for relation in self.arcs.of_span(record.uuid):
                outgoing = relation.head_uuid == record.uuid
                other = self._index.get(relation.tail_uuid if outgoing else relation.head_uuid)
                if other is None:
                    continue
                arrow = "→" if outgoing else "←"
                rows.append(
                    f"&nbsp;&nbsp;{arrow} {html.escape(relation.type)}: "
                    f"“{html.escape(_short(other.record.text))}”"
                )
        return "<br>".join(rows)

    def _actor_row(self, span: ViewSpan) -> str:
        """The hover text's line for a span's actor: its name and type when linked, a hint
        when an actor span is linked to none."""
        mark = actor_mark(span, self._actor_labels)
        if mark == "linked":
            actor = self.actor_of(span.record.entity_uuid) if self.actor_of else None
            if actor is None:
                return "&nbsp;&nbsp;→ <i>an actor that no longer exists</i>"
            name, kind = actor
            kind = f"&nbsp;({_unbroken(kind)})" if kind else ""
            return f"&nbsp;&nbsp;→&nbsp;<b>{_unbroken(name)}</b>{kind}"
        if mark == "unlinked":
            return f"&nbsp;&nbsp;<i>{_unbroken('no actor linked (Ctrl+K links one)')}</i>"
        return ""

    # --- keyboard ----------------------------------------------------------------------------

    def event(self, event) -> bool:  # noqa: A003 - Qt override
        # Alt and a relation's letter starts that relation from the selected span, even
        # where a menu's mnemonic uses the same letter.
        if event.type() == QEvent.Type.ShortcutOverride and self._is_relation_key(event):
            event.accept()
            return True
        # Tab walks the spans here; Qt would otherwise take it to move the focus away.
        if event.type() == QEvent.Type.KeyPress and event.key() in (
            Qt.Key.Key_Tab,
            Qt.Key.Key_Backtab,
        ):
            self.keyPressEvent(event)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        plain = modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_Delete,) and self._selected:
            self.deleteRequested.emit()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            self.acceptRequested.emit()
            return
        if key == Qt.Key.Key_Backspace and plain:
            self.rejectRequested.emit()
            return
        if key == Qt.Key.Key_Escape:
            if self.picking:
                self.pickCancelled.emit()
                return
            self.select_span(None)
            self.clear_text_selection()
            return
        if modifiers == Qt.KeyboardModifier.AltModifier and Qt.Key.Key_A <= key <= Qt.Key.Key_Z:
            self.relationKeyPressed.emit(chr(key))
            return
        if key == Qt.Key.Key_F2 and modifiers == Qt.KeyboardModifier.NoModifier:
            self.recordFormRequested.emit()
            return
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and modifiers in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.ShiftModifier,
        ):
            self.select_neighbour(backwards=key == Qt.Key.Key_Backtab)
            return
        text = event.text().lower()
        if plain and text and text in self._label_keys:
            self.labelKeyPressed.emit(self._label_keys[text])
            return
        exact_keys = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and modifiers == exact_keys:
            # Alt+Shift+arrow: extend by exactly one character, never snapped.
            cursor = self.textCursor()
            cursor.movePosition(
                QTextCursor.MoveOperation.Right
                if key == Qt.Key.Key_Right
                else QTextCursor.MoveOperation.Left,
                QTextCursor.MoveMode.KeepAnchor,
            )
            self.setTextCursor(cursor)
            self.selection_is_exact = True
            return
        if (
            key in (Qt.Key.Key_Left, Qt.Key.Key_Right)
            and modifiers == Qt.KeyboardModifier.ShiftModifier
            and self.snap_to_tokens
            and self._tokens is not None
        ):
            self._extend_by_token(forwards=key == Qt.Key.Key_Right)
            return
        super().keyPressEvent(event)
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            self.selection_is_exact = False

    def select_neighbour(self, backwards: bool = False) -> None:
        """Select the next (or previous) span in reading order, wrapping round."""
        ordered = self._index.ordered()
        if not ordered:
            return
        current = self._index.get(self._selected) if self._selected else None
        here = (
            (current.start, current.end, current.uuid)
            if current
            else (self.textCursor().position(), -1, "")
        )
        keys = [(s.start, s.end, s.uuid) for s in ordered]
        if backwards:
            index = bisect_left(keys, here) - 1
        else:
            index = bisect_right(keys, here)
        target = ordered[index % len(ordered)]
        self.clear_text_selection()
        self.select_span(target.uuid, reveal=True)

    # --- token snapping ----------------------------------------------------------------------

    def snap_selection(self) -> None:
        """Widen the selection to whole tokens, keeping its direction."""
        if self._tokens is None:
            return
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return
        start, end = self._offsets.to_python_range(cursor.selectionStart(), cursor.selectionEnd())
        snapped = self._tokens.snap(start, end)
        if snapped == (start, end):
            return
        forwards = cursor.position() >= cursor.anchor()
        first, last = self._offsets.to_qt(snapped[0]), self._offsets.to_qt(snapped[1])
        cursor.setPosition(first if forwards else last)
        cursor.setPosition(last if forwards else first, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    def _extend_by_token(self, forwards: bool) -> None:
        """Shift+arrow with snapping: move the selection's moving end one token, skipping
        white space. Moving away from the anchor takes in the next token; moving towards it
        gives back the last one."""
        cursor = self.textCursor()
        offset = self._offsets.to_python(cursor.position())
        anchor = self._offsets.to_python(cursor.anchor())
        starts, ends = self._tokens.starts, self._tokens.ends
        if forwards and offset >= anchor:  # grow to the end of the next token
            index = bisect_right(ends, offset)
            target = ends[index] if index < len(ends) else self._offsets.python_length
        elif forwards:  # shrink from the left: to the start of the next token
            index = bisect_right(starts, offset)
            target = min(starts[index] if index < len(starts) else anchor, anchor)
        elif offset > anchor:  # shrink from the right: to the end of the previous token
            index = bisect_left(ends, offset) - 1
            target = max(ends[index] if index >= 0 else anchor, anchor)
        else:  # grow to the start of the previous token
            index = bisect_left(starts, offset) - 1
            target = starts[index] if index >= 0 else 0
        cursor.setPosition(self._offsets.to_qt(target), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.selection_is_exact = False

    # --- slots -------------------------------------------------------------------------------

    def _on_cursor_moved(self) -> None:
        self.viewport().update()

    def _on_selection_changed(self) -> None:
        start, end = self.python_selection()
        self.selectionChangedTo.emit(start, end)


def _horizontal_extents(
    layout: QTextLayout, line, a: int, b: int, right_to_left: bool
) -> list[tuple[float, float]]:
    """Left and right x of the text ``[a, b)`` of one line (block-local positions).

    In a line that mixes directions a logical range can be several pieces on screen; the
    glyph runs of the range give each piece exactly.
    """
    if not right_to_left:
        left = line.cursorToX(a)[0]
        right = line.cursorToX(b)[0]
        return [(min(left, right), max(left, right))] if right != left else []
    pieces = []
    for run in layout.glyphRuns(a, b - a):
        box = run.boundingRect()
        if box.width() > 0:
            pieces.append((box.left(), box.right()))
    if not pieces:
        left = line.cursorToX(a)[0]
        right = line.cursorToX(b)[0]
        return [(min(left, right), max(left, right))]
    pieces.sort()
    merged = [pieces[0]]
    for left, right in pieces[1:]:
        if left <= merged[-1][1] + 0.5:
            merged[-1] = (merged[-1][0], max(merged[-1][1], right))
        else:
            merged.append((left, right))
    return merged


def _unbroken(text: str) -> str:
    """Text for the hover text that Qt does not wrap: a tooltip is made narrow, and would
    break a name at its spaces and hyphens."""
    return html.escape(text).replace(" ", "&nbsp;").replace("-", "\u2011")


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
