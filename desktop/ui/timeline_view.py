"""The Timeline dock: the corpus's events on a time axis, in lanes by type or by actor,
filtered by type, actor, outlet, annotator and dates; the undated events listed beside.

The chart is a QWidget that paints itself, not a QGraphicsView: 100,000 events would be
100,000 graphics items (seconds to create and index, and memory for each), while a paint
event draws only what the window shows, from the numpy arrays of
:class:`desktop.corpus.timeline.Timeline`: bars when a lane has few enough events in view,
else counts per day, week, month or year. Nothing here plots: pyqtgraph or matplotlib
would add weight and draw the same rectangles no faster.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop.corpus.records import (
    EventItem,
    Facets,
    RecordFilter,
    load_event_marks,
    load_events,
    record_facets,
)
from desktop.corpus.timeline import Timeline, day_of, keep_events, stretch, ticks
from desktop.ui.corpus_docks import open_evidence
from desktop.ui.workers import Job, keep_from_collector

LANE_LABELS = 140  # pixels left of the chart for the lanes' names
AXIS = 26  # pixels under the chart for the time axis
BAR = 10  # a bar's height with its gap
ZOOM_STEP = 1.5
MIN_PIXELS_PER_DAY = 0.005  # about two centuries across a wide window
MAX_PIXELS_PER_DAY = 400.0
HINT = "← → step through the events, Enter opens one; drag to pan"
WAITING = "Reading the events' actors; the filters apply in a moment…"


def describe(item: EventItem) -> str:
    """One line on an event: date, type, agents → targets, document, outlet."""
    who = ", ".join(p.name for p in item.agents) or "?"
    whom = ", ".join(p.name for p in item.targets)
    parts = [item.date or "undated", item.type or "no type", f"{who} → {whom}" if whom else who]
    where = item.document_title + (f" ({item.outlet})" if item.outlet else "")
    return " · ".join(parts) + f"\n{where}\n“{_short(item.text)}”"


def read_dates_first(store) -> tuple[Timeline, Facets, int]:
    """What the dock reads first, off the GUI thread: the timeline of every accepted
    event by type, made from their dates, types, documents and offsets alone; the filters'
    choices those give (the actors come second); and how many events there are."""
    marks = load_event_marks(store)
    facets = Facets(
        types=tuple(sorted({name for name in set(marks.types) if name})),
        outlets=tuple(store.document_outlets()),
        annotators=marks.annotators,
    )
    return Timeline.of_marks(marks), facets, len(marks)


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TimelineChart(QWidget):
    """The events on a time axis. Drag to pan, the wheel or Ctrl+= / Ctrl+- to zoom,
    ← and → to step through the events, Enter to open the one selected."""

    #: an event to open (EventItem)
    opened = Signal(object)
    #: the selected event changed (EventItem or None)
    selected = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumHeight(160)
        self.timeline: Timeline | None = None
        self.low = 0.0  # the day at the chart's left edge
        self.pixels_per_day = 1.0
        self.current: int | None = None  # index into timeline.events
        self.painted = 0  # paints so far (benchmarks wait for the first)
        self.timeline_painted: Timeline | None = None  # the last drawn (benchmarks wait for it)
        self.empty_text = "Loading events…"
        self._fitted = False  # the view is as fit() made it: it follows the chart's size
        self._drag: QPoint | None = None
        self._dragged = False
        self._bars = np.zeros((0, 5))  # x0, y0, x1, y1, placement
        self._bins: list[tuple[QRectF, int, int, int, str]] = []  # rect, first, last, count, lane

    # --- public API -----------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline | None, *, keep_view: bool = False) -> None:
        self.timeline = timeline
        self.current = None
        if not keep_view:
            self.fit()
        self.update()

    def fit(self) -> None:
        """Every event in view."""
        extent = self.timeline.extent() if self.timeline is not None else None
        if extent is None:
            return
        first, last = extent
        days = max(last + 1 - first, 7)
        pad = days * 0.03
        self.pixels_per_day = self._clamp(self._plot_width() / (days + 2 * pad))
        self.low = first - pad
        self._fitted = True
        self.update()

    def zoom(self, factor: float, x: float | None = None) -> None:
        """Zoom by ``factor`` keeping the day under ``x`` (default: the middle) in place."""
        x = self._plot_width() / 2 if x is None else x - LANE_LABELS
        self._fitted = False
        day = self.low + x / self.pixels_per_day
        self.pixels_per_day = self._clamp(self.pixels_per_day * factor)
        self.low = day - x / self.pixels_per_day
        self.update()

    def step(self, delta: int) -> None:
        """Select the next (or previous) event in time and bring it into view."""
        if self.timeline is None or not self.timeline.events:
            return
        count = len(self.timeline.events)
        if self.current is None:
            self.current = 0 if delta > 0 else count - 1
        else:
            self.current = max(0, min(count - 1, self.current + delta))
        self._reveal(self.current)
        self.selected.emit(self.timeline.events[self.current])
        self.update()

    def select_event(self, index: int | None) -> None:
        self.current = index
        if index is not None:
            self._reveal(index)
            self.selected.emit(self.timeline.events[index])
        self.update()

    def high(self) -> float:
        return self.low + self._plot_width() / self.pixels_per_day

    # --- Qt overrides ---------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(900, 300)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._fitted:
            self.fit()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        self._bars = np.zeros((0, 5))
        self._bins = []
        timeline = self.timeline
        if timeline is None or not len(timeline):
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            painter.end()
            self.painted += 1
            return
        self._paint_axis(painter)
        lanes = len(timeline.lanes)
        lane_height = max((self.height() - AXIS - 4) / lanes, 6.0)
        rows = max(int(lane_height // BAR), 1)
        plans = timeline.plan(self.low, self.high(), self.pixels_per_day, rows)
        font = QFont(self.font())
        metrics = QFontMetrics(font)
        grid = self.palette().mid().color()
        grid.setAlpha(60)
        for lane, name in enumerate(timeline.lanes):
            top = 2 + lane * lane_height
            painter.setPen(grid)
            painter.drawLine(
                QPointF(0, top + lane_height), QPointF(self.width(), top + lane_height)
            )
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRectF(6, top, LANE_LABELS - 10, lane_height),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                metrics.elidedText(name, Qt.TextElideMode.ElideRight, LANE_LABELS - 10),
            )
        painter.setClipRect(QRectF(LANE_LABELS, 0, self._plot_width(), self.height() - AXIS))
        bars = []
        for plan in plans:
            top = 2 + plan.lane * lane_height
            if plan.bars is not None:
                # As tall as the lane allows, up to a comfortable bar, row under row.
                needed = int(plan.rows.max()) + 1
                row_height = min(lane_height / needed, 2.2 * BAR)
                height = max(row_height - 3, 2)
                bars.append(self._paint_bars(painter, plan, top, row_height, height))
            else:
                self._paint_bins(painter, plan, top, lane_height)
        if bars:
            self._bars = np.concatenate(bars)
        self._paint_current(painter, lane_height)
        painter.end()
        self.painted += 1
        self.timeline_painted = timeline

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = event.position().toPoint()
            self._dragged = False
        self.setFocus()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        position = event.position()
        if self._drag is not None and event.buttons() & Qt.MouseButton.LeftButton:
            dx = position.x() - self._drag.x()
            if abs(dx) > 3 or self._dragged:
                self._dragged = True
                self._fitted = False
                self.low -= dx / self.pixels_per_day
                self._drag = position.toPoint()
                self.update()
            return
        tip = self._tip_at(position)
        if tip:
            QToolTip.showText(event.globalPosition().toPoint(), tip, self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() != Qt.MouseButton.LeftButton or self._drag is None:
            return
        self._drag = None
        if self._dragged:
            return
        position = event.position()
        placement = self._bar_at(position)
        if placement is not None:
            index = int(self.timeline.item[placement])
            self.select_event(index)
            self.opened.emit(self.timeline.events[index])
            return
        found = self._bin_at(position)
        if found is not None:  # a bin: zoom into its stretch of time
            _rect, first, last, _count, _lane = found
            days = last + 1 - first
            self.pixels_per_day = self._clamp(self._plot_width() / (days * 1.2))
            self.low = first - days * 0.1
            self.update()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP**steps, event.position().x())

    def event(self, event) -> bool:
        # The window's Larger / Smaller text (Ctrl++ / Ctrl+-) would take these keys first:
        # while the chart has the focus they zoom the chart.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
            and event.key() in (Qt.Key.Key_Equal, Qt.Key.Key_Plus, Qt.Key.Key_Minus)
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        key = event.key()
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if key == Qt.Key.Key_Right:
            self.step(1)
        elif key == Qt.Key.Key_Left:
            self.step(-1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.current is not None:
            self.opened.emit(self.timeline.events[self.current])
        elif control and key in (Qt.Key.Key_Equal, Qt.Key.Key_Plus):
            self.zoom(ZOOM_STEP)
        elif control and key == Qt.Key.Key_Minus:
            self.zoom(1 / ZOOM_STEP)
        else:
            super().keyPressEvent(event)

    # --- drawing ---------------------------------------------------------------------------
    def _plot_width(self) -> float:
        return max(self.width() - LANE_LABELS - 8, 50)

    def _x(self, day: float) -> float:
        return LANE_LABELS + (day - self.low) * self.pixels_per_day

    @staticmethod
    def _clamp(pixels_per_day: float) -> float:
        return min(max(pixels_per_day, MIN_PIXELS_PER_DAY), MAX_PIXELS_PER_DAY)

    def _paint_axis(self, painter: QPainter) -> None:
        bottom = self.height() - AXIS
        light = self.palette().mid().color()
        light.setAlpha(50)
        strong = self.palette().mid().color()
        painter.setPen(self.palette().text().color())
        painter.drawLine(QPointF(LANE_LABELS, bottom), QPointF(self.width(), bottom))
        for tick in ticks(self.low, self.high(), self.pixels_per_day):
            x = self._x(tick.day)
            if x < LANE_LABELS:
                continue
            painter.setPen(strong if tick.major else light)
            painter.drawLine(QPointF(x, 0), QPointF(x, bottom))
            painter.setPen(self.palette().text().color())
            painter.drawLine(QPointF(x, bottom), QPointF(x, bottom + 4))
            painter.drawText(QPointF(x + 3, bottom + 17), tick.label)

    def _paint_bars(self, painter, plan, top: float, row_height: float, bar: float) -> np.ndarray:
        timeline = self.timeline
        x0 = LANE_LABELS + (timeline.first[plan.bars] - self.low) * self.pixels_per_day
        x1 = LANE_LABELS + (timeline.last[plan.bars] + 1 - self.low) * self.pixels_per_day
        x1 = np.maximum(x1 - 1, x0 + 2)  # a gap between days; a day is never invisible
        y0 = top + plan.rows * row_height + 1
        types = timeline.type_of[timeline.item[plan.bars]]
        for type_index in np.unique(types):
            colour = QColor(timeline.colours[timeline.types[type_index]])
            # An outline a shade darker: two stretches that meet stay two bars.
            painter.setPen(QPen(colour.darker(150), 1))
            painter.setBrush(colour)
            chosen = np.flatnonzero(types == type_index)
            painter.drawRects(
                [
                    QRectF(a, b, c - a, bar)
                    for a, b, c in zip(
                        x0[chosen].tolist(), y0[chosen].tolist(), x1[chosen].tolist(), strict=True
                    )
                ]
            )
        return np.column_stack((x0, y0, x1, y0 + bar, plan.bars))

    def _paint_bins(self, painter, plan, top: float, lane_height: float) -> None:
        timeline = self.timeline
        bins = plan.bins
        name = timeline.lanes[plan.lane]
        colour = QColor(timeline.colours.get(name, "#5b6c80"))
        colour.setAlpha(210)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        most = max(int(bins.counts.max()), 1)
        usable = lane_height - 4
        for first, last, count in zip(
            bins.first.tolist(), bins.last.tolist(), bins.counts.tolist(), strict=True
        ):
            x0, x1 = self._x(first), self._x(last + 1)
            height = max(usable * count / most, 2)
            rect = QRectF(x0, top + lane_height - 1 - height, max(x1 - x0 - 1, 1), height)
            painter.drawRect(rect)
            self._bins.append((QRectF(x0, top, x1 - x0, lane_height), first, last, count, name))

    def _paint_current(self, painter: QPainter, lane_height: float) -> None:
        if self.current is None or self.timeline is None:
            return
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(self.palette().highlight().color(), 3))
        mine = self.timeline.placements_of(self.current)
        if len(self._bars):
            hits = np.isin(self._bars[:, 4].astype(np.int64), mine)
            for x0, y0, x1, y1, _ in self._bars[hits].tolist():
                painter.drawRect(QRectF(x0 - 2, y0 - 2, x1 - x0 + 4, y1 - y0 + 4))
            if hits.any():
                return
        # binned where it lies: a line at its date
        x = self._x(float(self.timeline.first[mine[0]])) if len(mine) else None
        if x is not None:
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height() - AXIS))

    # --- what is under the mouse -------------------------------------------------------------
    def _bar_at(self, position: QPointF) -> int | None:
        if not len(self._bars):
            return None
        x, y = position.x(), position.y()
        bars = self._bars
        hit = np.flatnonzero(
            (bars[:, 0] <= x + 1) & (x - 1 <= bars[:, 2]) & (bars[:, 1] <= y) & (y <= bars[:, 3])
        )
        return int(bars[hit[0], 4]) if len(hit) else None

    def _bin_at(self, position: QPointF):
        return next((found for found in self._bins if found[0].contains(position)), None)

    def _tip_at(self, position: QPointF) -> str:
        placement = self._bar_at(position)
        if placement is not None:
            return describe(self.timeline.events[int(self.timeline.item[placement])])
        found = self._bin_at(position)
        if found is not None:
            _rect, first, last, count, lane = found
            when = day_of(first).isoformat()
            if last != first:
                when += f" – {day_of(last).isoformat()}"
            return f"{lane}: {count} event{'s' if count != 1 else ''}\n{when}\n(click to zoom in)"
        return ""

    def _reveal(self, index: int) -> None:
        day = float(self.timeline.event_first[index])
        if not (self.low <= day <= self.high()):
            self._fitted = False
            self.low = day - (self.high() - self.low) / 2


class TimelinePanel(QWidget):
    """The dock's contents: filters, the chart with its legend, the undated events."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.events: list[EventItem] = []  # every event loaded; the filters choose among them
        self.timeline: Timeline | None = None
        self._stale = True
        self._job: Job | None = None
        self._full_job: Job | None = None
        self.complete = False  # the events are loaded with their agents and targets

        self.type_filter = QComboBox()
        self.type_filter.setAccessibleName("Event type")
        self.actor_filter = QComboBox()
        self.actor_filter.setEditable(True)
        self.actor_filter.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.actor_filter.setAccessibleName("Actor")
        self.actor_filter.lineEdit().setPlaceholderText("Any actor")
        self.outlet_filter = QComboBox()
        self.outlet_filter.setAccessibleName("Outlet")
        self.annotator_filter = QComboBox()
        self.annotator_filter.setAccessibleName("Annotator")
        self.since_edit = QLineEdit()
        self.since_edit.setPlaceholderText("from (2024, 2024-02…)")
        self.until_edit = QLineEdit()
        self.until_edit.setPlaceholderText("until")
        for edit in (self.since_edit, self.until_edit):
            edit.setMaximumWidth(150)
        for combo in (
            self.type_filter,
            self.actor_filter,
            self.outlet_filter,
            self.annotator_filter,
        ):
            combo.setMinimumContentsLength(12)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
        self.lanes_choice = QComboBox()
        self.lanes_choice.addItems(["Lanes by type", "Lanes by actor"])
        self.zoom_in_button = QPushButton("Zoom in")
        self.zoom_in_button.setToolTip("Zoom in (Ctrl+=, or the wheel)")
        self.zoom_out_button = QPushButton("Zoom out")
        self.zoom_out_button.setToolTip("Zoom out (Ctrl+-)")
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Show every event")
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save the chart as a PNG image")

        filters = QHBoxLayout()
        for widget in (
            self.type_filter,
            self.actor_filter,
            self.outlet_filter,
            self.annotator_filter,
            self.since_edit,
            self.until_edit,
            self.lanes_choice,
        ):
            filters.addWidget(widget)
        filters.addStretch(1)
        for button in (
            self.zoom_in_button,
            self.zoom_out_button,
            self.fit_button,
            self.save_button,
        ):
            filters.addWidget(button)

        self.chart = TimelineChart()
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.detail = QLabel(HINT)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.undated_list = QListWidget()
        self.undated_label = QLabel("Undated events")

        chart_side = QWidget()
        chart_layout = QVBoxLayout(chart_side)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.addWidget(self.legend)
        chart_layout.addWidget(self.chart, 1)
        chart_layout.addWidget(self.detail)
        undated_side = QWidget()
        undated_layout = QVBoxLayout(undated_side)
        undated_layout.setContentsMargins(0, 0, 0, 0)
        undated_layout.addWidget(self.undated_label)
        undated_layout.addWidget(self.undated_list, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(chart_side)
        splitter.addWidget(undated_side)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        self.undated_list.setMinimumWidth(240)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)

        self.chart.opened.connect(self._on_chart_opened)
        self.chart.selected.connect(self._on_chart_selected)
        self.undated_list.itemActivated.connect(self._on_undated_list_item_activated)
        for combo in (self.type_filter, self.outlet_filter, self.annotator_filter):
            combo.currentIndexChanged.connect(self._on_filter_changed)
        self.actor_filter.activated.connect(self._on_filter_changed)
        self.actor_filter.lineEdit().returnPressed.connect(self._on_filter_changed)
        self.lanes_choice.currentIndexChanged.connect(self._on_filter_changed)
        self.since_edit.editingFinished.connect(self._on_filter_changed)
        self.until_edit.editingFinished.connect(self._on_filter_changed)
        self.zoom_in_button.clicked.connect(lambda: self.chart.zoom(ZOOM_STEP))
        self.zoom_out_button.clicked.connect(lambda: self.chart.zoom(1 / ZOOM_STEP))
        self.fit_button.clicked.connect(self.chart.fit)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.session.changed.connect(self._on_session_changed)
        self.session.actorsChanged.connect(self._on_session_records_changed)
        self.session.labelsChanged.connect(self._on_session_records_changed)
        self._updating = False

    # --- public API -------------------------------------------------------------------------
    def on_shown(self) -> None:
        if self._stale:
            self.reload()

    def reload(self) -> None:
        """Read the events again, off the GUI thread, in two steps: their dates and types
        first, as columns, so that the chart draws at once, then as records with their
        agents and targets (for the tooltips, the filters and the lanes by actor), which
        take twice as long again."""
        for job in (self._job, self._full_job):
            if job is not None and job.is_running:
                job.cancel()
        self._stale = False
        self.complete = False
        store = self.session.store

        def dates_first(_progress):
            return read_dates_first(store)

        def with_actors(_progress):
            events = load_events(store)
            # laid out here too, for the unfiltered view: not on the GUI thread
            result = events, record_facets(store, events, ()), Timeline(events)
            keep_from_collector()
            return result

        self._job = Job(dates_first, owner=self)
        self._job.succeeded.connect(self._on_job_succeeded)
        self._job.failed.connect(self._on_job_failed)
        self._full_job = Job(with_actors, owner=self)
        self._full_job.succeeded.connect(self._on_full_job_succeeded)
        self._full_job.failed.connect(self._on_job_failed)
        self._job.start()

    def current_filter(self) -> RecordFilter:
        def chosen(combo: QComboBox) -> tuple[str, ...]:
            value = combo.currentData()
            return (value,) if value is not None else ()

        actor = self._actor_key()
        return RecordFilter(
            annotators=chosen(self.annotator_filter),
            types=chosen(self.type_filter),
            outlets=chosen(self.outlet_filter),
            actors=(actor,) if actor else (),
            since=self._day(self.since_edit, 0),
            until=self._day(self.until_edit, 1),
        )

    # --- building ---------------------------------------------------------------------------
    def _show_facets(self, facets) -> None:
        self._updating = True
        try:
            _fill(self.type_filter, "All types", [(t, t) for t in facets.types])
            _fill(
                self.outlet_filter,
                "All outlets",
                [(o or "(no outlet)", o) for o in facets.outlets],
            )
            _fill(self.annotator_filter, "All annotators", [(a, a) for a in facets.annotators])
            text = self.actor_filter.currentText()
            self.actor_filter.clear()
            for participant in facets.actors:
                self.actor_filter.addItem(participant.name, participant.key)
            self.actor_filter.setCurrentIndex(-1)
            self.actor_filter.setEditText(text)
            completer = QCompleter([p.name for p in facets.actors], self.actor_filter)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.actor_filter.setCompleter(completer)
        finally:
            self._updating = False

    def _apply(self, *, keep_view: bool = False) -> None:
        events = keep_events(self.events, self.current_filter())
        by = "actor" if self.lanes_choice.currentIndex() == 1 else "type"
        self._show_timeline(Timeline(events, by=by), bool(self.events), keep_view=keep_view)

    def _filtered(self) -> bool:
        """Whether the filters or the lanes ask for more than every event by type."""
        return self.current_filter() != RecordFilter() or self.lanes_choice.currentIndex() == 1

    def _show_timeline(self, timeline: Timeline, any_events: bool, *, keep_view: bool) -> None:
        self.timeline = timeline
        self.chart.empty_text = (
            "No dated events match the filters" if any_events else "No events in this project"
        )
        self.chart.set_timeline(self.timeline, keep_view=keep_view)
        self.legend.setText(
            "  ".join(
                f'<span style="color:{self.timeline.colours[name]}">■</span>&nbsp;{name}'
                for name in self.timeline.types
            )
        )
        self.undated_list.clear()
        for item in self.timeline.undated:
            row = QListWidgetItem(
                f"{_short(item.text, 60)} — {item.document_title[:40]}"
                + (f" ({item.outlet})" if item.outlet else "")
            )
            row.setToolTip(describe(item))
            row.setData(Qt.ItemDataRole.UserRole, item)
            self.undated_list.addItem(row)
        self.undated_label.setText(f"Undated events ({len(self.timeline.undated)})")

    def _actor_key(self) -> str | None:
        text = self.actor_filter.currentText().strip()
        if not text:
            return None
        index = self.actor_filter.findText(text, Qt.MatchFlag.MatchFixedString)
        if index >= 0:
            return self.actor_filter.itemData(index)
        return "text:" + text.casefold()  # a name no record has: matches its own spelling

    @staticmethod
    def _day(edit: QLineEdit, end: int) -> date | None:
        days = stretch(edit.text().strip())
        return days[end] if days else None

    # --- reacting ---------------------------------------------------------------------------
    def _on_job_succeeded(self, result) -> None:
        timeline, facets, count = result
        self._show_facets(facets)
        # Unfiltered, this is the whole picture; a filter (kept across a reload) waits for
        # the records, rather than showing for a moment what it leaves out.
        if not self._filtered():
            self._show_timeline(timeline, count > 0, keep_view=False)
        self._full_job.start()

    def _on_full_job_succeeded(self, result) -> None:
        current = self.chart.current
        chosen = self.timeline.events[current].span_uuid if current is not None else None
        self.events, facets, timeline = result
        self._show_facets(facets)
        if self._filtered():
            self._apply(keep_view=True)
        else:
            self._show_timeline(timeline, bool(self.events), keep_view=True)
        self.complete = True
        if self.detail.text() == WAITING:
            self.detail.setText(HINT)
        if chosen is not None:
            index = next(
                (i for i, e in enumerate(self.timeline.events) if e.span_uuid == chosen), None
            )
            self.chart.select_event(index)

    def _on_job_failed(self, reason: str) -> None:
        self.chart.empty_text = f"The events could not be read: {reason}"
        self.chart.update()

    def _on_filter_changed(self, *_args) -> None:
        if self._updating:
            return
        bad = [
            e
            for e in (self.since_edit, self.until_edit)
            if e.text().strip() and not self._day(e, 0)
        ]
        for edit in (self.since_edit, self.until_edit):
            edit.setStyleSheet("color: #b00020;" if edit in bad else "")
        if bad:
            self.detail.setText("A date is 2024-02-03, 2024-W05, 2024-02 or 2024")
            return
        if not self.complete:  # the records with their actors apply it when they come
            self.detail.setText(WAITING)
            return
        self._apply()

    def _on_chart_opened(self, item: EventItem) -> None:
        open_evidence(self.window, item.document_id, item.start, item.end, item.span_uuid)

    def _on_chart_selected(self, item: EventItem | None) -> None:
        self.detail.setText(describe(item).replace("\n", " · ") if item is not None else "")

    def _on_undated_list_item_activated(self, row: QListWidgetItem) -> None:
        item = row.data(Qt.ItemDataRole.UserRole)
        open_evidence(self.window, item.document_id, item.start, item.end, item.span_uuid)

    def _on_session_changed(self, change) -> None:
        if not (
            change.added
            or change.updated
            or change.removed
            or change.relations_added
            or change.relations_removed
        ):
            return  # only the document's progress
        self._on_session_records_changed(change)

    def _on_session_records_changed(self, _change) -> None:
        if self.isVisible():
            QTimer.singleShot(0, self, self._reload_if_visible)
        self._stale = True

    def _reload_if_visible(self) -> None:
        if self._stale and self.isVisible():
            self.reload()

    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the timeline", "timeline.png", "PNG (*.png)"
        )
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            if not self.chart.grab().save(path, "PNG"):
                self.session.failed.emit(f"the image could not be saved to {path}")


def _fill(combo: QComboBox, everything: str, entries: list[tuple[str, str]]) -> None:
    """Refill a filter's choices, keeping the one chosen when it is still there."""
    current = combo.currentData()
    combo.clear()
    combo.addItem(everything, None)
    for text, value in entries:
        combo.addItem(text, value)
    index = combo.findData(current) if current is not None else 0
    combo.setCurrentIndex(max(index, 0))
