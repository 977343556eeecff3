"""The Network dock: canonical actors as circles sized by mentions, events (agent → target,
coloured by type) and claims (source → about, dashed, coloured by stance) as arrows between
them, filtered by date range, type, stance, outlet and kind of link; a node's or a link's
records listed beside the graph and opened in the document; the picture saved as PNG or SVG
and the network as GraphML.

The network is read (its links grouped from the database's rows, no record built) and laid
out off the GUI thread (``desktop.corpus.network``), and so are the records of what is
clicked and, once the network is drawn, the choices the filters offer; the dock reads the
network again when spans, actors or labels change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.corpus.network import (
    CLAIMS,
    CONFLICT,
    CONFLICT_COLOUR,
    CONGRUENCE,
    CONGRUENCE_COLOUR,
    DEFAULT_TOP,
    EVENTS,
    NO_STANCE_COLOUR,
    STANCE_COLOURS,
    Edge,
    Network,
    edge_colour,
    event_type_colours,
    layout,
    load_network,
    network_facets,
    separate,
    write_graphml,
)
from desktop.corpus.records import ClaimItem, RecordFilter
from desktop.ui.corpus_docks import open_evidence
from desktop.ui.table_models import ListTableModel, list_table
from desktop.ui.workers import Job

SEED = 13  # the layout's seed: the same records give the same picture every time
MAX_EDGES_DRAWN = 2000  # the strongest links drawn; a hairball of more reads as nothing
REFRESH_DELAY = 300  # ms after an edit before a shown network is read again
ZOOM_STEP = 1.25
BEND_AT_LEAST = 14.0  # scene units a link's middle stands off the straight line
SEPARATED_AT_MOST = 1000  # circles moved apart where they overlap, up to so many actors
ACTOR_COLOUR = "#E69F00"  # the Actor label's colour
EVENT_NODE_COLOUR = "#56B4E9"  # an event a claim is about
ALL_TYPES, ALL_STANCES, ALL_OUTLETS = "All event types", "All stances", "All outlets"
RECORD_COLUMNS = ("Date", "Record", "Type or stance", "Text", "Document", "Outlet")
DATE, RECORD, TYPE, TEXT, DOCUMENT, OUTLET = range(6)


@dataclass(frozen=True, slots=True)
class NetworkChoice:
    """What the filters ask for."""

    since: object = None  # date | None
    until: object = None
    type: str | None = None
    stance: str | None = None
    outlet: str | None = None
    kinds: tuple[str, ...] = (EVENTS, CLAIMS)
    top: int = DEFAULT_TOP

    def filters(self) -> tuple[RecordFilter, RecordFilter]:
        dated = self.since is not None or self.until is not None
        common = {
            "outlets": (self.outlet,) if self.outlet else (),
            "since": self.since,
            "until": self.until,
            "undated": not dated,
        }
        events = RecordFilter(types=(self.type,) if self.type else (), **common)
        claims = RecordFilter(types=(self.stance,) if self.stance else (), **common)
        return events, claims

    @property
    def narrowed(self) -> bool:
        return bool(self.since or self.until or self.type or self.stance or self.outlet)


def read_network(store, choice: NetworkChoice):
    """Off the GUI thread: the network and its layout (what the first picture waits for;
    the filters' choices are read after it, by ``network_facets``)."""
    events_filter, claims_filter = choice.filters()
    network = load_network(
        store, events=events_filter, claims=claims_filter, kinds=choice.kinds, top=choice.top
    )
    return network, layout(network, seed=SEED)


def parse_day(text: str, last: bool):
    """The first (or ``last``) day of what a date field holds (2024, 2024-02, 2024-W05,
    2024-02-07); None when empty. ValueError when it is no date."""
    from desktop.corpus.timeline import stretch

    text = text.strip()
    if not text:
        return None
    days = stretch(text)
    if days is None:
        raise ValueError(f"{text!r} is no date: write 2024, 2024-02, 2024-W05 or 2024-02-07")
    return days[1] if last else days[0]


# --- the records listed ---------------------------------------------------------------------


class RecordTableModel(ListTableModel):
    """An adapter over the records of a node or a link."""

    COLUMNS = RECORD_COLUMNS

    def set_records(self, records) -> None:
        self.set_items(records)

    def record(self, row: int):
        return self.items[row]

    def records_listed(self) -> tuple[str, ...]:
        return tuple(record.span_uuid for record in self.items)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self.items[index.row()]
        column = index.column()
        claim = isinstance(item, ClaimItem)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == DATE:
                return (item.published or "")[:10] if claim else (item.date or "undated")
            if column == RECORD:
                return "Claim" if claim else "Event"
            if column == TYPE:
                return (item.stance if claim else item.type) or ""
            if column == TEXT:
                return " ".join(item.text.split())
            if column == DOCUMENT:
                return item.document_title
            if column == OUTLET:
                return item.outlet
        elif role == Qt.ItemDataRole.ToolTipRole and column == TEXT:
            return item.text
        return None


class RecordTable(QTableView):
    """The records of what was clicked; Enter or a double-click opens one."""

    #: the current record is to be opened
    openRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.openRequested.emit()
            return
        super().keyPressEvent(event)


# --- the graph -------------------------------------------------------------------------------


# Looked up once: an enum member costs a microsecond each time, and thousands of links are made
_LINE_STYLES = {EVENTS: Qt.PenStyle.SolidLine, CLAIMS: Qt.PenStyle.DashLine}
_DOTTED, _ROUND_CAP = Qt.PenStyle.DotLine, Qt.PenCapStyle.RoundCap


class NodeItem(QGraphicsEllipseItem):
    """An actor: a circle sized by its mentions, its name beneath."""

    def __init__(self, graph: NetworkGraphView, node, radius: float, position: QPointF):
        super().__init__(-radius, -radius, 2 * radius, 2 * radius)
        self.graph = graph
        self.node = node
        self.radius = radius
        self.setPos(position)
        colour = QColor(EVENT_NODE_COLOUR if node.label == "Event" else ACTOR_COLOUR)
        self.setBrush(QBrush(colour))
        self.setPen(QPen(colour.darker(150), 1.2))
        self.setZValue(2)
        self.setAcceptHoverEvents(True)
        self.setToolTip(
            f"{node.name}\n{node.mentions} mentions · {node.records} records"
            + (f"\n{node.type}" if node.type else "")
        )
        name = QGraphicsSimpleTextItem(node.name, self)
        name.setFont(graph.name_font)
        box = name.boundingRect()
        name.setPos(-box.width() / 2, radius + 1)
        name.setBrush(QBrush(QColor("#222222")))

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.graph.highlight(self.node.key)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.graph.highlight(None)
        super().hoverLeaveEvent(event)


class EdgeItem(QGraphicsItem):
    """A link: a curve from one actor's rim to the other's, bent aside so that links both
    ways and of several types stay apart; an arrow head when it has a direction."""

    def __init__(self, edge: Edge, source: NodeItem, target: NodeItem, bend: float, colour: str):
        super().__init__()
        self.edge = edge
        self.colour = QColor(colour)
        width = min(1.0 + math.log2(edge.count), 6.0)
        style = _LINE_STYLES.get(edge.kind, _DOTTED)
        self.pen = QPen(self.colour, width, style, _ROUND_CAP)
        self.setZValue(1)
        self.path, self.head = _curve(source, target, bend, edge.directed, width)
        self._reach = max(width + 6, 8)  # the width a pointer hits it within
        margin = self._reach  # half of it, and more for the outline's square ends
        self._bounds = self.path.boundingRect().adjusted(-margin, -margin, margin, margin)
        if not self.head.isEmpty():
            self._bounds = self._bounds.united(self.head.boundingRect())
        # made when first asked for (a pointer near it): outlining thousands of curves up
        # front would hold up the first picture
        self._shape: QPainterPath | None = None
        self.setToolTip(_edge_text(edge, source.node.name, target.node.name))

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(self._reach)
            self._shape = stroker.createStroke(self.path)
            self._shape.addPolygon(self.head)
        return self._shape

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        painter.setPen(self.pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path)
        if not self.head.isEmpty():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour)
            painter.drawPolygon(self.head)


def _zoom_key(event: QKeyEvent) -> bool:
    control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
    keys = (Qt.Key.Key_Equal, Qt.Key.Key_Plus, Qt.Key.Key_Minus, Qt.Key.Key_0)
    return bool(control) and event.key() in keys


def _curve(source: NodeItem, target: NodeItem, bend: float, directed: bool, width: float):
    start, end = source.pos(), target.pos()
    dx, dy = end.x() - start.x(), end.y() - start.y()
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    normal = QPointF(-uy, ux)
    middle = QPointF((start.x() + end.x()) / 2, (start.y() + end.y()) / 2)
    # bent by a share of the length and a little more, so that short links both ways part
    control = middle + normal * (bend * length + math.copysign(BEND_AT_LEAST, bend))
    # from rim to rim, along the lines to the control point
    a = _towards(start, control, source.radius)
    b = _towards(end, control, target.radius + (2 if directed else 0))
    path = QPainterPath(a)
    path.quadTo(control, b)
    head = QPolygonF()
    if directed:
        size = 7 + width * 1.5
        tx, ty = b.x() - control.x(), b.y() - control.y()
        t = math.hypot(tx, ty) or 1.0
        tx, ty = tx / t, ty / t
        back = QPointF(b.x() - tx * size, b.y() - ty * size)
        side = QPointF(-ty * size * 0.45, tx * size * 0.45)
        head = QPolygonF([b, back + side, back - side])
    return path, head


def _towards(point: QPointF, to: QPointF, distance: float) -> QPointF:
    dx, dy = to.x() - point.x(), to.y() - point.y()
    length = math.hypot(dx, dy) or 1.0
    return QPointF(point.x() + dx / length * distance, point.y() + dy / length * distance)


def _edge_text(edge: Edge, source: str, target: str) -> str:
    records = f"{edge.count} record{'s' if edge.count != 1 else ''}"
    if edge.kind == EVENTS:
        return f"{source} → {target}: {edge.type or 'no type'} ({records})"
    if edge.kind == CLAIMS:
        return f"{source} claims about {target}: {edge.type or 'no stance'} ({records})"
    if edge.kind == CONGRUENCE:
        return f"{source} and {target} agree ({edge.type}) ({records})"
    return f"{source} and {target} disagree on {edge.type} ({records})"


def legend_entries(network: Network, type_colours: dict[str, str]) -> list[tuple[str, str, str]]:
    """(colour, line style, text) for each kind of link the network shows."""
    links = network.link_types()
    kinds = {kind for kind, _type in links}
    entries = []
    if EVENTS in kinds:
        used = {type_ for kind, type_ in links if kind == EVENTS}
        entries += [("", "", "Events (agent → target)")]
        entries += [(type_colours[t], "solid", t) for t in type_colours if t in used]
        if None in used:
            entries.append((edge_colour(Edge("", "", EVENTS, None, 1, ()), {}), "solid", "no type"))
    if CLAIMS in kinds:
        entries += [("", "", "Claims (source → about)")]
        entries += [(colour, "dash", stance) for stance, colour in STANCE_COLOURS.items()]
        if any(kind == CLAIMS and type_ not in STANCE_COLOURS for kind, type_ in links):
            entries.append((NO_STANCE_COLOUR, "dash", "no stance"))
    if CONGRUENCE in kinds or CONFLICT in kinds:
        entries += [("", "", "Between sources")]
        if CONGRUENCE in kinds:
            entries.append((CONGRUENCE_COLOUR, "dot", "agree (congruence)"))
        if CONFLICT in kinds:
            entries.append((CONFLICT_COLOUR, "dot", "disagree (conflict)"))
    return entries


def paint_legend(painter: QPainter, entries, font: QFont, corner: QPointF) -> None:
    """The legend in a box whose top left is ``corner`` (in the painter's coordinates)."""
    if not entries:
        return
    painter.save()
    painter.setFont(font)
    metrics = painter.fontMetrics()
    line = metrics.height() + 2
    sample = 28
    width = max(metrics.horizontalAdvance(text) for _, _, text in entries) + sample + 20
    box = QRectF(corner.x(), corner.y(), width, line * len(entries) + 10)
    painter.setPen(QPen(QColor("#bbbbbb")))
    painter.setBrush(QColor(255, 255, 255, 225))
    painter.drawRoundedRect(box, 4, 4)
    styles = {"solid": Qt.PenStyle.SolidLine, "dash": Qt.PenStyle.DashLine}
    y = corner.y() + 5
    for colour, style, text in entries:
        baseline = y + metrics.ascent()
        if colour:
            painter.setPen(QPen(QColor(colour), 2.5, styles.get(style, Qt.PenStyle.DotLine)))
            middle = y + line / 2
            painter.drawLine(QPointF(box.x() + 8, middle), QPointF(box.x() + 8 + sample, middle))
            painter.setPen(QColor("#222222"))
            painter.drawText(QPointF(box.x() + 14 + sample, baseline), text)
        else:
            bold = QFont(font)
            bold.setBold(True)
            painter.setFont(bold)
            painter.setPen(QColor("#222222"))
            painter.drawText(QPointF(box.x() + 8, baseline), text)
            painter.setFont(font)
        y += line
    painter.restore()


class NetworkGraphView(QGraphicsView):
    """The drawing: wheel or Ctrl+= / Ctrl+- zoom, Ctrl+0 fits, a drag pans; hovering an
    actor brings out its links; clicking an actor or a link selects it."""

    #: an actor was clicked (its key)
    nodeClicked = Signal(str)
    #: a link was clicked (its Edge)
    edgeClicked = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        # No spatial index: the scene is drawn whole once and rarely changed, and building
        # the index for thousands of links would hold up that first picture; a hit test
        # over a few thousand bounding boxes takes microseconds.
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.setBackgroundBrush(QColor("white"))
        self.name_font = QFont(self.font())
        self.name_font.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        self.legend_font = QFont(self.font())
        self.legend_font.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        self.nodes: dict[str, NodeItem] = {}
        self.edges: list[EdgeItem] = []
        self.legend: list[tuple[str, str, str]] = []
        self._selection: QGraphicsItem | None = None
        self._marker: QGraphicsItem | None = None
        self._fitting = True  # the whole network kept in view, until the user zooms

    # --- public API ----------------------------------------------------------------------

    def show_network(self, network: Network, positions: dict[str, tuple[float, float]]) -> None:
        scene = self.scene()
        scene.clear()
        self.nodes, self.edges, self._selection, self._marker = {}, [], None, None
        count = len(network.nodes)
        half = max(260.0, 55.0 * math.sqrt(count))
        most = max((node.mentions for node in network.nodes), default=1) or 1
        radii = [5.0 + 22.0 * math.sqrt(max(n.mentions, 0) / most) for n in network.nodes]
        points = [positions.get(n.key, (0.0, 0.0)) for n in network.nodes]
        if count <= SEPARATED_AT_MOST:
            points = separate([(x * half, y * half) for x, y in points], radii, gap=40.0)
        else:
            points = [(x * half, y * half) for x, y in points]
        for node, radius, (x, y) in zip(network.nodes, radii, points, strict=True):
            item = NodeItem(self, node, radius, QPointF(x, y))
            scene.addItem(item)
            self.nodes[node.key] = item
        colours = event_type_colours(t for kind, t in network.link_types() if kind == EVENTS)
        drawn = network.strongest_edges(MAX_EDGES_DRAWN)
        between: dict[frozenset, int] = {}
        for edge in drawn:
            pair = frozenset((edge.source, edge.target))
            if len(pair) == 1:
                continue  # an actor acting on itself: listed with its records, not drawn
            nth = between.get(pair, 0)
            between[pair] = nth + 1
            # alternate sides of the pair's line, further out for each further link; the
            # side is taken along the pair in one order, whichever way a link points
            bend = 0.12 + 0.08 * (nth // 2)
            bend = bend if nth % 2 == 0 else -bend
            if edge.source > edge.target:
                bend = -bend
            if not edge.directed:
                bend = bend * 0.5
            item = EdgeItem(
                edge,
                self.nodes[edge.source],
                self.nodes[edge.target],
                bend,
                edge_colour(edge, colours),
            )
            scene.addItem(item)
            self.edges.append(item)
        self.legend = legend_entries(network, colours)
        bounds = scene.itemsBoundingRect().adjusted(-40, -40, 40, 40)
        scene.setSceneRect(bounds)
        self.fit()

    def fit(self) -> None:
        """The whole network in view (Ctrl+0), kept so as the view is resized."""
        self._fitting = True
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.02 < scale < 40:
            self._fitting = False
            self.scale(factor, factor)

    def zoom_level(self) -> float:
        return self.transform().m11()

    def highlight(self, key: str | None) -> None:
        """Bring out one actor's links (None: all alike)."""
        for item in self.edges:
            near = key is None or key in (item.edge.source, item.edge.target)
            item.setOpacity(1.0 if near else 0.12)
            item.setZValue(1.5 if key is not None and near else 1)

    def highlighted(self) -> list[Edge]:
        return [item.edge for item in self.edges if item.opacity() == 1.0]

    def select(self, item: QGraphicsItem | None) -> None:
        """Mark the actor or link whose records are listed."""
        if self._marker is not None:
            self.scene().removeItem(self._marker)
            self._marker = None
        self._selection = item
        if isinstance(item, NodeItem):
            r = item.radius + 4
            marker = QGraphicsEllipseItem(-r, -r, 2 * r, 2 * r)
            marker.setPos(item.pos())
        elif isinstance(item, EdgeItem):
            marker = QGraphicsRectItem(item.shape().boundingRect())
        else:
            return
        marker.setPen(QPen(QColor("#000000"), 2, Qt.PenStyle.DashLine))
        marker.setZValue(3)
        self.scene().addItem(marker)
        self._marker = marker

    def render_to(self, painter: QPainter, target: QRectF) -> None:
        """The whole network and its legend, for saving as a picture."""
        source = self.scene().sceneRect()
        self.scene().render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
        scale = min(target.width() / source.width(), target.height() / source.height())
        painter.save()
        painter.scale(scale, scale)  # the legend as large, beside the actors, as on screen
        paint_legend(painter, self.legend, self.legend_font, QPointF(10, 10))
        painter.restore()

    # --- Qt overrides --------------------------------------------------------------------

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP**steps)
        event.accept()

    def event(self, event) -> bool:
        # The window's Larger / Smaller text keys are the graph's zoom while it has focus.
        if event.type() == QEvent.Type.ShortcutOverride and _zoom_key(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        key = event.key()
        if control and key in (Qt.Key.Key_Equal, Qt.Key.Key_Plus):
            self.zoom(ZOOM_STEP)
        elif control and key == Qt.Key.Key_Minus:
            self.zoom(1 / ZOOM_STEP)
        elif control and key == Qt.Key.Key_0:
            self.fit()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            hit = self._item_at(event.position().toPoint())
            if hit is not None:
                self.select(hit)
                if isinstance(hit, NodeItem):
                    self.nodeClicked.emit(hit.node.key)
                else:
                    self.edgeClicked.emit(hit.edge)
                event.accept()
                return
        super().mousePressEvent(event)

    def drawForeground(self, painter: QPainter, _rect) -> None:  # noqa: N802 - Qt override
        painter.save()
        painter.resetTransform()
        paint_legend(painter, self.legend, self.legend_font, QPointF(8, 8))
        painter.restore()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._fitting and self.nodes:
            self.fit()

    # --- helpers -------------------------------------------------------------------------

    def _item_at(self, point) -> QGraphicsItem | None:
        for item in self.items(point):
            while item is not None and not isinstance(item, (NodeItem, EdgeItem)):
                item = item.parentItem()
            if isinstance(item, (NodeItem, EdgeItem)):
                return item
        return None


# --- the panel -------------------------------------------------------------------------------


class NetworkPanel(QWidget):
    """The Network dock's contents (see the module docstring)."""

    #: a network was read and drawn
    networkShown = Signal()
    #: the records of what was clicked were read and listed
    recordsListed = Signal()

    def __init__(self, window):
        super().__init__(window)
        self.main_window = window
        self.session = window.session
        self.dock = None
        self.network: Network | None = None
        self._facets = None
        self._job: Job | None = None
        self._facets_job: Job | None = None
        self._records_job: Job | None = None
        self._again = False
        self._stale = True
        self._generation = 0
        self._build()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY)
        self._refresh_timer.timeout.connect(self._on_refresh_timer_timeout)
        self._connect()

    def _build(self) -> None:
        self.since = QLineEdit(self)
        self.since.setPlaceholderText("since (2024, 2024-02…)")
        self.until = QLineEdit(self)
        self.until.setPlaceholderText("until")
        for field in (self.since, self.until):
            field.setMaximumWidth(150)
            field.setToolTip("A year, a month, an ISO week or a day; Enter applies it")
        self.type_combo = QComboBox(self)
        self.type_combo.addItem(ALL_TYPES)
        self.type_combo.setToolTip("Only the events of one type")
        self.stance_combo = QComboBox(self)
        self.stance_combo.addItem(ALL_STANCES)
        self.stance_combo.setToolTip("Only the claims of one stance")
        self.outlet_combo = QComboBox(self)
        self.outlet_combo.addItem(ALL_OUTLETS)
        self.outlet_combo.setToolTip("Only the records of one outlet's documents")
        self.events_box = QCheckBox("Events", self)
        self.events_box.setToolTip("Links for events: agent → target, by type")
        self.claims_box = QCheckBox("Claims", self)
        self.claims_box.setToolTip("Links for claims: source → about, by stance")
        self.congruence_box = QCheckBox("Agree", self)
        self.congruence_box.setToolTip(
            "Link sources that make claims of the same stance about the same actor or event"
        )
        self.conflict_box = QCheckBox("Disagree", self)
        self.conflict_box.setToolTip(
            "Link sources that make opposite claims (supports against opposes) about one thing"
        )
        self.events_box.setChecked(True)
        self.claims_box.setChecked(True)
        self.top_box = QSpinBox(self)
        self.top_box.setRange(1, 100_000)
        self.top_box.setValue(DEFAULT_TOP)
        self.top_box.setPrefix("Top ")
        self.top_box.setToolTip("How many actors are drawn, the most mentioned first")
        self.top_box.setKeyboardTracking(False)
        self.save_png = QPushButton("Save PNG…", self)
        self.save_svg = QPushButton("Save SVG…", self)
        self.save_graphml = QPushButton("Save GraphML…", self)
        self.save_graphml.setToolTip("The network for Gephi, visone, networkx or igraph")

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.since,
            self.until,
            self.type_combo,
            self.stance_combo,
            self.outlet_combo,
            self.events_box,
            self.claims_box,
            self.congruence_box,
            self.conflict_box,
            self.top_box,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)
        for button in (self.save_png, self.save_svg, self.save_graphml):
            bar.addWidget(button)

        self.graph = NetworkGraphView(self)
        self.caption = QLabel("Click an actor or a link to list its records", self)
        self.caption.setWordWrap(True)
        self.model = RecordTableModel(self)
        self.table = RecordTable(self)
        self.table.setObjectName("network-records")
        self.table.setModel(self.model)
        list_table(self.table, stripes=False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((DATE, 80), (RECORD, 50), (TYPE, 105), (TEXT, 260), (DOCUMENT, 160)):
            self.table.setColumnWidth(column, width)
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.caption)
        side_layout.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.graph)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([600, 400])  # in proportion: the graph wider than the list
        self.status = QLabel("", self)

        layout_ = QVBoxLayout(self)
        layout_.setContentsMargins(4, 4, 4, 4)
        layout_.addLayout(bar)
        layout_.addWidget(self.splitter, 1)
        layout_.addWidget(self.status)

    def _connect(self) -> None:
        self.since.returnPressed.connect(self.reload)
        self.until.returnPressed.connect(self.reload)
        self.since.editingFinished.connect(self._on_date_editing_finished)
        self.until.editingFinished.connect(self._on_date_editing_finished)
        for combo in (self.type_combo, self.stance_combo, self.outlet_combo):
            combo.activated.connect(lambda _index: self.reload())
        for box in (self.events_box, self.claims_box, self.congruence_box, self.conflict_box):
            box.clicked.connect(lambda _checked: self.reload())
        self.top_box.valueChanged.connect(lambda _value: self.reload())
        self.save_png.clicked.connect(lambda _checked=False: self.ask_save("png"))
        self.save_svg.clicked.connect(lambda _checked=False: self.ask_save("svg"))
        self.save_graphml.clicked.connect(lambda _checked=False: self.ask_save("graphml"))
        self.graph.nodeClicked.connect(self.list_node)
        self.graph.edgeClicked.connect(self.list_edge)
        self.table.openRequested.connect(self.open_current)
        self.table.doubleClicked.connect(lambda _index: self.open_current())
        session = self.session
        session.changed.connect(self._on_session_edited)
        session.actorsChanged.connect(self._on_session_edited)
        session.labelsChanged.connect(self._on_session_edited)

    # --- public API ------------------------------------------------------------------------

    def on_shown(self) -> None:
        if self._stale and not self._reading():
            self.reload()

    def choice(self) -> NetworkChoice:
        """What the filters ask for (ValueError for a date field that holds no date)."""
        kinds = tuple(
            kind
            for kind, box in (
                (EVENTS, self.events_box),
                (CLAIMS, self.claims_box),
                (CONGRUENCE, self.congruence_box),
                (CONFLICT, self.conflict_box),
            )
            if box.isChecked()
        )
        return NetworkChoice(
            since=parse_day(self.since.text(), last=False),
            until=parse_day(self.until.text(), last=True),
            type=_chosen(self.type_combo),
            stance=_chosen(self.stance_combo),
            outlet=_chosen(self.outlet_combo),
            kinds=kinds,
            top=self.top_box.value(),
        )

    def reload(self) -> bool:
        """Read the records and draw the network again, off the GUI thread."""
        try:
            choice = self.choice()
        except ValueError as exc:
            self.status.setText(str(exc))
            return False
        if self._reading():
            self._again = True  # read again once the running read ends, with the filters then
            return True
        self._stale = False
        self._generation += 1
        generation = self._generation
        store = self.session.store
        job = Job(lambda _progress: read_network(store, choice), owner=self)
        job.succeeded.connect(lambda result: self._on_job_succeeded(generation, result))
        job.failed.connect(self._on_job_failed)
        job.ended.connect(self._on_job_ended)
        self._job = job
        self.status.setText("Reading the records…")
        job.start()
        return True

    def loading(self) -> bool:
        """Whether the network, or the choices its filters offer, are being read."""
        return self._reading() or self._reading_facets()

    def list_node(self, key: str) -> None:
        """List an actor's records beside the graph (read off the GUI thread)."""
        if self.network is None:
            return
        network, node = self.network, self.network.node(key)
        self._list(
            lambda: network.records_of_node(key),
            lambda records: f"{node.name}: {_count(len(records), 'record')}",
        )

    def list_edge(self, edge: Edge) -> None:
        """List a link's records beside the graph (read off the GUI thread)."""
        if self.network is None:
            return
        network = self.network
        source, target = network.node(edge.source), network.node(edge.target)
        self._list(
            lambda: network.records_of_edge(edge),
            lambda _records: _edge_text(edge, source.name, target.name),
        )

    def listing(self) -> bool:
        return self._records_job is not None and self._records_job.is_running

    def open_current(self) -> bool:
        """Open the current record's evidence in the document view."""
        index = self.table.currentIndex()
        if not index.isValid():
            return False
        item = self.model.record(index.row())
        return open_evidence(
            self.main_window, item.document_id, item.start, item.end, item.span_uuid
        )

    def ask_save(self, kind: str) -> bool:
        """Ask where, then save the picture (png, svg) or the network (graphml)."""
        if self.network is None:
            return False
        names = {
            "png": "PNG images (*.png)",
            "svg": "SVG drawings (*.svg)",
            "graphml": "GraphML networks (*.graphml)",
        }
        title = {"png": "PNG", "svg": "SVG", "graphml": "GraphML"}[kind]
        path, _ = QFileDialog.getSaveFileName(
            self, f"Save the network as {title}", f"network.{kind}", names[kind]
        )
        if not path:
            return False
        if not path.lower().endswith(f".{kind}"):
            path += f".{kind}"
        try:
            self.save(kind, Path(path))
        except OSError as exc:
            self.session.message.emit(f"Could not save {path}: {exc.strerror or exc}", 6000)
            return False
        self.session.message.emit(f"Saved the network as {path}", 4000)
        return True

    def save(self, kind: str, path: Path) -> None:
        if kind == "graphml":
            write_graphml(self.network, path)
            return
        source = self.graph.scene().sceneRect()
        scale = max(1.0, min(3.0, 2400 / max(source.width(), source.height(), 1)))
        size = QSize(int(source.width() * scale), int(source.height() * scale))
        target = QRectF(0, 0, size.width(), size.height())
        if kind == "png":
            image = QImage(size, QImage.Format.Format_ARGB32)
            image.fill(QColor("white"))
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self.graph.render_to(painter, target)
            painter.end()
            if not image.save(str(path), "PNG"):
                raise OSError(0, "the image could not be written", str(path))
            return
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(size)
        generator.setViewBox(target)
        generator.setTitle("Dossier: actor network")
        painter = QPainter(generator)
        painter.fillRect(target, QColor("white"))
        self.graph.render_to(painter, target)
        if not painter.end():
            raise OSError(0, "the drawing could not be written", str(path))

    # --- reacting ----------------------------------------------------------------------------

    def _on_job_succeeded(self, generation: int, result) -> None:
        if generation != self._generation:
            return
        network, positions = result
        self.network = network
        self.graph.show_network(network, positions)
        self.model.set_records([])
        self.caption.setText("Click an actor or a link to list its records")
        drawn = len(self.graph.edges)
        links = len(network.edges)
        self.status.setText(
            f"{len(network.nodes)} of {_count(network.total_nodes, 'actor')} "
            f"(the most mentioned) · {_count(links, 'link')}"
            + (f", the {drawn} strongest drawn" if drawn < links else "")
            + f" · {_count(network.record_count(), 'record')}"
            + " · wheel or Ctrl+= / Ctrl+- to zoom, drag to pan"
        )
        if self._facets is None and not self._reading_facets():
            self._read_facets()
        self.networkShown.emit()

    def _on_job_failed(self, reason: str) -> None:
        self.status.setText(f"The network could not be read: {reason}")

    def _on_job_ended(self) -> None:
        if self._again:
            self._again = False
            self.reload()

    def _on_session_edited(self, _change=None) -> None:
        self._facets = None  # new types, outlets or stances may have come
        self._facets_job = None  # and one being read may have missed them
        if self.isVisible():
            self._refresh_timer.start()
        else:
            self._stale = True

    def _on_refresh_timer_timeout(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def _on_date_editing_finished(self) -> None:
        try:
            self.choice()
        except ValueError as exc:
            self.status.setText(str(exc))

    # --- helpers -------------------------------------------------------------------------------

    def _reading(self) -> bool:
        return self._job is not None and self._job.is_running

    def _reading_facets(self) -> bool:
        return self._facets_job is not None and self._facets_job.is_running

    def _read_facets(self) -> None:
        """Read the types, stances and outlets the filters offer, off the GUI thread, once
        the network is drawn: the picture need not wait for them."""
        store = self.session.store
        job = Job(lambda _progress: network_facets(store), owner=self)
        self._facets_job = job

        def read(facets) -> None:
            if job is self._facets_job:
                self._facets = facets
                self._fill_filters(facets)

        job.succeeded.connect(read)
        job.failed.connect(lambda reason: self.status.setText(f"The filters: {reason}"))
        job.start()

    def _list(self, read, caption) -> None:
        """Read records off the GUI thread, then list them; a later click wins."""
        self.model.set_records([])
        self.caption.setText("Reading the records…")
        generation = self._generation
        job = Job(lambda _progress: read(), owner=self)
        self._records_job = job

        def listed(records) -> None:
            if job is not self._records_job or generation != self._generation:
                return
            self.model.set_records(records)
            self.caption.setText(caption(records))
            self._first_row()
            self.recordsListed.emit()

        job.succeeded.connect(listed)
        job.failed.connect(lambda reason: self.caption.setText(f"Could not read them: {reason}"))
        job.start()

    def _fill_filters(self, facets) -> None:
        for combo, everything, values in (
            (self.type_combo, ALL_TYPES, facets.types),
            (self.stance_combo, ALL_STANCES, facets.stances),
            (self.outlet_combo, ALL_OUTLETS, [o for o in facets.outlets if o]),
        ):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything)
            combo.addItems(list(values))
            found = combo.findText(current)
            combo.setCurrentIndex(max(found, 0))
            combo.blockSignals(False)

    def _first_row(self) -> None:
        if self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(0, TEXT))


def _chosen(combo: QComboBox) -> str | None:
    return combo.currentText() if combo.currentIndex() > 0 else None


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
