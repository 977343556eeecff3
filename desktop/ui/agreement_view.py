"""Agreement in the window: choose annotators (and documents), measure in the background, and
read the figures as a table (per label and overall) and as a per-label bar chart, then, on
their own tabs, agreement on attributes and on relations over the spans both annotators tagged.

The figures come from :func:`desktop.review.agreement.measure_agreement`, as in
``dossier agreement``; this module only shows them.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QGuiApplication,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from db.store import StoreError
from desktop.ui import checklist
from desktop.ui.session import Session
from desktop.ui.workers import Job

if TYPE_CHECKING:  # the measures (and numpy) are imported when first measured
    from desktop.review.agreement import (
        AgreementReport,
        AttributeAgreement,
        Figures,
        SpanScores,
    )

AGREEMENT_KEY = "Ctrl+Shift+R"


def safe(text: str) -> str:
    """A name as a spreadsheet should take it (desktop.formats.csv_table.safe), imported
    when first asked for: the formats package is not needed before the window paints."""
    from desktop.formats.csv_table import safe as spreadsheet_safe

    return spreadsheet_safe(text)


def measure_agreement(*args, **kwargs) -> AgreementReport:
    """desktop.review.agreement.measure_agreement, imported when first measured (it brings
    numpy, which the window does not need before it paints)."""
    from desktop.review.agreement import measure_agreement as measure

    return measure(*args, **kwargs)


UNDEFINED = "—"
OVERALL = "Overall"

# (header, tooltip, how to read the figure)
COLUMNS: tuple[tuple[str, str, Callable[[Figures], float | None]], ...] = (
    ("Exact P", "Span precision, exact match (same label and offsets)", lambda f: f.exact.precision),
    ("Exact R", "Span recall, exact match", lambda f: f.exact.recall),
    ("Exact F1", "Span F1, exact match", lambda f: f.exact.f1),
    ("Overlap P", "Span precision, overlap match (same label, one character shared)", lambda f: f.overlap.precision),
    ("Overlap R", "Span recall, overlap match", lambda f: f.overlap.recall),
    ("Overlap F1", "Span F1, overlap match", lambda f: f.overlap.f1),
    ("κ", "Cohen's kappa on word tokens (mean over pairs with more than two annotators)", lambda f: f.kappa),
    ("α", "Krippendorff's alpha (nominal) on word tokens, every annotator at once", lambda f: f.alpha),
)  # fmt: skip
# (legend, colour, how to read the figure): Okabe-Ito colours
SERIES: tuple[tuple[str, str, Callable[[Figures], float | None]], ...] = (
    ("Exact F1", "#0072B2", lambda f: f.exact.f1),
    ("Overlap F1", "#56B4E9", lambda f: f.overlap.f1),
    ("Cohen's κ", "#E69F00", lambda f: f.kappa),
    ("Krippendorff's α", "#D55E00", lambda f: f.alpha),
)


class AttributeRow(NamedTuple):
    pair: str  # "reference / other"
    figures: AttributeAgreement


class RelationRow(NamedTuple):
    pair: str
    type: str  # the relation type, or OVERALL
    scores: SpanScores


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a :class:`RecordTableModel`: ``read`` takes the row's value from a row;
    a ``figure`` is a float shown with three decimals (a dash when undefined)."""

    header: str
    tip: str
    read: Callable[[Any], Any]
    figure: bool = False


PAIR_TIP = "The two annotators compared; the first is the reference"
ATTRIBUTE_COLUMNS: tuple[Column, ...] = (
    Column("Annotators", PAIR_TIP, lambda r: r.pair),
    Column("Attribute", "Label and attribute, over the spans both tagged with the same label and offsets", lambda r: r.figures.name),
    Column("Units", "Span pairs where at least one of the two set the attribute", lambda r: r.figures.units),
    Column("Agreed", "Of those, the pairs with the same value", lambda r: r.figures.agreed),
    Column("α", "Krippendorff's alpha (nominal); an unset value counts as the value “(none)”", lambda r: r.figures.alpha, figure=True),
)  # fmt: skip
RELATION_COLUMNS: tuple[Column, ...] = (
    Column("Annotators", PAIR_TIP, lambda r: r.pair),
    Column("Relation", "Relation type", lambda r: r.type),
    Column("Reference", "Relations of the reference between their spans", lambda r: r.scores.reference),
    Column("Other", "Relations of the other annotator between their spans", lambda r: r.scores.other),
    Column("Shared", "Of the same type between matched spans: head matched to head, tail to tail", lambda r: r.scores.matched_other),
    Column("P", "Precision: shared / the other's relations", lambda r: r.scores.precision, figure=True),
    Column("R", "Recall: shared / the reference's relations", lambda r: r.scores.recall, figure=True),
    Column("F1", "F1: the harmonic mean of P and R (the same whichever is the reference)", lambda r: r.scores.f1, figure=True),
)  # fmt: skip


def format_figure(value: float | None) -> str:
    """A figure as the table shows it: three decimals, or a dash when undefined."""
    return UNDEFINED if value is None else f"{value:.3f}"


def report_rows(report: AgreementReport) -> list[tuple[str, Figures]]:
    """(label, figures) per label in palette order, then overall."""
    return [(label, report.per_label[label]) for label in report.labels] + [
        (OVERALL, report.overall)
    ]


def attribute_rows(report: AgreementReport) -> list[AttributeRow]:
    """A row per pair and attribute set on a matched span, pair by pair."""
    return [
        AttributeRow(f"{pair.reference} / {pair.other}", figures)
        for pair in report.pairs
        for figures in pair.attributes.values()
    ]


def relation_rows(report: AgreementReport) -> list[RelationRow]:
    """Per pair with relations: a row per relation type, then one for all types."""
    rows = []
    for pair in report.pairs:
        if not pair.relations:
            continue
        name = f"{pair.reference} / {pair.other}"
        rows += [RelationRow(name, kind, scores) for kind, scores in pair.relations.items()]
        rows.append(RelationRow(name, OVERALL, pair.relations_overall))
    return rows


class RecordTableModel(QAbstractTableModel):
    """An adapter over plain rows (attribute or relation agreement), one :class:`Column` per
    column; a row whose second column reads "Overall" is bold."""

    FIGURE_ROLE = Qt.ItemDataRole.UserRole  # the figure as a float (None when undefined)

    def __init__(self, columns: Sequence[Column], parent=None):
        super().__init__(parent)
        self.columns = tuple(columns)
        self._rows: list[Any] = []
        self._headers: dict[int, str] = {}

    # --- public API --------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Any], headers: dict[int, str] | None = None) -> None:
        """Show ``rows``; ``headers`` replaces the headers of some columns (by number)."""
        self.beginResetModel()
        self._rows = list(rows)
        self._headers = dict(headers or {})
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self.columns) - 1)

    def header(self, column: int) -> str:
        return self._headers.get(column, self.columns[column].header)

    def text(self, row: int, column: int) -> str:
        """A cell as shown."""
        spec = self.columns[column]
        value = spec.read(self._rows[row])
        return format_figure(value) if spec.figure else str(value)

    def _pasted(self, row: int, column: int) -> str:
        """A cell as a spreadsheet should take it: names as text, never as formulas."""
        text = self.text(row, column)
        return text if self.columns[column].figure else safe(text)

    def as_text(self, hidden: Sequence[int] = ()) -> str:
        """The table as tab-separated text, without the ``hidden`` columns."""
        shown = [column for column in range(len(self.columns)) if column not in hidden]
        lines = ["\t".join(self.header(column) for column in shown)]
        for row in range(len(self._rows)):
            lines.append("\t".join(self._pasted(row, column) for column in shown))
        return "\n".join(lines) + "\n"

    # --- Qt overrides ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.header(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tip
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, spec = self._rows[index.row()], self.columns[index.column()]
        value = spec.read(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), index.column())
        if role == self.FIGURE_ROLE:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and value is None:
            return QColor("#808080")
        if role == Qt.ItemDataRole.FontRole and self.columns[1].read(row) == OVERALL:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return spec.tip
        return None


class AgreementTableModel(QAbstractTableModel):
    """An adapter over an agreement report: a row per label and one for all labels."""

    FIGURE_ROLE = Qt.ItemDataRole.UserRole  # the figure as a float (None when undefined)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[tuple[str, Figures]] = []

    # --- public API --------------------------------------------------------------------------

    def set_report(self, report: AgreementReport | None) -> None:
        self.beginResetModel()
        self._rows = report_rows(report) if report is not None else []
        self.endResetModel()

    def label(self, row: int) -> str:
        return self._rows[row][0]

    def figures(self, row: int) -> Figures:
        return self._rows[row][1]

    def row_of(self, label: str) -> int | None:
        return next((row for row, (name, _f) in enumerate(self._rows) if name == label), None)

    def as_text(self) -> str:
        """The table as tab-separated text (for the clipboard and spreadsheets)."""
        lines = ["\t".join(["Label"] + [header for header, _tip, _read in COLUMNS])]
        for label, figures in self._rows:
            cells = [format_figure(read(figures)) for _header, _tip, read in COLUMNS]
            lines.append("\t".join([safe(label)] + cells))
        return "\n".join(lines) + "\n"

    # --- Qt overrides ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section][0]
            if role == Qt.ItemDataRole.ToolTipRole:
                return COLUMNS[section][1]
        elif role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._rows):
            return self._rows[section][0]
        elif role == Qt.ItemDataRole.FontRole and self._rows[section][0] == OVERALL:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        label, figures = self._rows[index.row()]
        _header, tip, read = COLUMNS[index.column()]
        value = read(figures)
        if role == Qt.ItemDataRole.DisplayRole:
            return format_figure(value)
        if role == self.FIGURE_ROLE:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and value is None:
            return QColor("#808080")
        if role == Qt.ItemDataRole.FontRole and label == OVERALL:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            column = index.column()
            scores = figures.exact if column < 3 else figures.overlap if column < 6 else None
            if scores is None:
                return f"{label}: {tip}"
            return (
                f"{label}: {tip}\nreference spans {scores.reference}, matched "
                f"{scores.matched_reference}\nother spans {scores.other}, matched "
                f"{scores.matched_other}"
            )
        return None


class AgreementChartWidget(QWidget):
    """Grouped bars per label (and overall): exact F1, overlap F1, kappa and alpha."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[tuple[str, Figures]] = []
        self._bars: list[tuple[QRectF, str]] = []  # hit areas for the hover text
        self.setMouseTracking(True)
        self.setMinimumHeight(200)

    def set_report(self, report: AgreementReport | None) -> None:
        self._rows = report_rows(report) if report is not None else []
        self.update()

    def bars(self) -> list[tuple[str, str, float | None]]:
        """(label, series, value) of every bar, in drawing order (for tests and the hover)."""
        return [
            (label, name, read(figures))
            for label, figures in self._rows
            for name, _colour, read in SERIES
        ]

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(560, 260)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        palette = self.palette()
        text = palette.windowText().color()
        faint = QColor(text)
        faint.setAlpha(40)
        painter.fillRect(self.rect(), palette.base())
        self._bars = []
        metrics = painter.fontMetrics()
        line = metrics.height()
        if not self._rows:
            painter.setPen(QColor("#808080"))
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "Measure agreement to see the chart"
            )
            painter.end()
            return
        # The legend, one line across the top.
        x = 12.0
        y = 8.0
        for name, colour, _read in SERIES:
            painter.fillRect(QRectF(x, y + line / 2 - 5, 10, 10), QColor(colour))
            painter.setPen(text)
            painter.drawText(QPointF(x + 15, y + metrics.ascent()), name)
            x += 15 + metrics.horizontalAdvance(name) + 18
        lowest = min([0.0] + [value for _l, _n, value in self.bars() if value is not None])
        low = 0.0 if lowest >= 0 else max(-1.0, -0.25 * math.ceil(-lowest / 0.25))  # κ, α < 0
        axis_width = metrics.horizontalAdvance("-0.75") + 10
        plot = QRectF(
            12 + axis_width,
            y + line + 14,
            self.width() - 24 - axis_width,
            self.height() - (y + line + 14) - line - 14,
        )
        if plot.width() < 40 or plot.height() < 40:
            painter.end()
            return

        def to_y(value: float) -> float:
            return plot.bottom() - (value - low) / (1.0 - low) * plot.height()

        # Grid lines every 0.25, with their values.
        step = 0.25
        tick = low
        while tick <= 1.0001:
            ty = to_y(tick)
            painter.setPen(QPen(faint if abs(tick) > 1e-9 else text, 1))
            painter.drawLine(QPointF(plot.left(), ty), QPointF(plot.right(), ty))
            painter.setPen(QColor("#808080"))
            painter.drawText(
                QRectF(12, ty - line / 2, axis_width - 6, line),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                f"{tick:.2f}",
            )
            tick += step
        # The groups.
        groups = len(self._rows)
        group_width = plot.width() / groups
        inner = group_width * 0.78
        bar_width = inner / len(SERIES)
        zero = to_y(0.0)
        for number, (label, figures) in enumerate(self._rows):
            left = plot.left() + number * group_width + (group_width - inner) / 2
            for position, (name, colour, read) in enumerate(SERIES):
                value = read(figures)
                bx = left + position * bar_width
                if value is None:
                    painter.setPen(QColor("#808080"))
                    painter.drawText(
                        QRectF(bx, zero - line, bar_width, line),
                        int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom),
                        UNDEFINED,
                    )
                    area = QRectF(bx, zero - line, bar_width, line)
                else:
                    top = to_y(max(value, 0.0))
                    bottom = to_y(min(value, 0.0))
                    area = QRectF(bx + 1, top, bar_width - 2, max(bottom - top, 1.0))
                    painter.fillRect(area, QColor(colour))
                self._bars.append((area, f"{label} · {name}: {format_figure(value)}"))
            painter.setPen(text)
            font = painter.font()
            font.setBold(label == OVERALL)
            painter.setFont(font)
            painter.drawText(
                QRectF(plot.left() + number * group_width, plot.bottom() + 4, group_width, line),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(group_width) - 4),
            )
            font.setBold(False)
            painter.setFont(font)
        painter.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        point = event.position()
        hit = next(
            (text for area, text in self._bars if area.adjusted(-1, -2, 1, 2).contains(point)), None
        )
        if hit:
            QToolTip.showText(event.globalPosition().toPoint(), hit, self)
        else:
            QToolTip.hideText()


class AgreementDialog(QDialog):
    """Choose annotators and documents, measure, and read the table and the chart."""

    #: a measurement finished (the AgreementReport)
    measured = Signal(object)

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Agreement between annotators")
        self.setModal(False)
        self.resize(860, 660)
        self.session = session
        self.report: AgreementReport | None = None
        self.job: Job | None = None
        self.open_action: QAction | None = None  # set by install_agreement

        self.annotators = QListWidget(self)
        self.annotators.setMaximumHeight(92)
        self.documents = QComboBox(self)
        self.measure_button = QPushButton("Measure", self)
        self.measure_button.setDefault(True)
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #B00020;")
        self.problem.setWordWrap(True)
        self.job_bar = QProgressBar(self)
        self.job_bar.setTextVisible(False)
        self.job_bar.setMaximumHeight(8)
        self.cancel_button = QPushButton("Cancel", self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)

        self.model = AgreementTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.chart = AgreementChartWidget(self)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.attribute_model = RecordTableModel(ATTRIBUTE_COLUMNS, self)
        self.attribute_table = self._record_table(self.attribute_model)
        self.attribute_note = QLabel(self)
        self.attribute_note.setWordWrap(True)
        self.relation_model = RecordTableModel(RELATION_COLUMNS, self)
        self.relation_table = self._record_table(self.relation_model)
        self.relation_note = QLabel(self)
        self.relation_note.setWordWrap(True)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(splitter, "&Spans")
        self.tabs.addTab(self._tab(self.attribute_note, self.attribute_table), "A&ttributes")
        self.tabs.addTab(self._tab(self.relation_note, self.relation_table), "&Relations")

        self.copy_button = QPushButton("Copy table", self)
        self.save_button = QPushButton("Save JSON…", self)
        close = QPushButton("Close", self)
        close.setAutoDefault(False)

        choose = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Annotators</b> (two or more; the first is the reference)", self))
        left.addWidget(self.annotators)
        choose.addLayout(left, 1)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Documents</b>", self))
        right.addWidget(self.documents)
        right.addStretch(1)
        right.addWidget(self.measure_button)
        choose.addLayout(right)
        running = QHBoxLayout()
        running.addWidget(self.job_bar, 1)
        running.addWidget(self.cancel_button)
        self.running = QWidget(self)
        self.running.setLayout(running)
        running.setContentsMargins(0, 0, 0, 0)
        self.running.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addWidget(self.problem)
        layout.addWidget(self.running)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)

        self.measure_button.clicked.connect(self._on_measure_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.copy_button.clicked.connect(self.copy_table)
        self.save_button.clicked.connect(self._on_save_clicked)
        close.clicked.connect(self.close)
        self.annotators.itemChanged.connect(self._on_annotators_changed)
        self._show_report(None)

    # --- public API --------------------------------------------------------------------------

    def prepare(self, annotators: list[str] | None = None) -> None:
        """Fill the choices from the project; ``annotators`` are checked (default: those
        checked before; see :func:`checklist.annotators_to_compare`)."""
        session = self.session
        store, document = session.store, session.document
        try:
            annotators, count = store.annotators(), store.document_count()
        except StoreError as exc:
            session.report_read_failure(exc, "The lists to compare may be out of date.", None)
            return
        rows = checklist.annotators_to_compare(
            annotators,
            session.annotator.name,
            self.checked() if annotators is None else annotators,
            gold=True,
        )
        checklist.fill(self.annotators, rows)
        only = [document.id] if document is not None else None
        checklist.fill_scope(self.documents, count, document, only)
        self._on_annotators_changed()

    def checked(self) -> list[str]:
        return checklist.ticked(self.annotators)

    def start(self, annotators: list[str], document_ids: list[int] | None = None) -> Job:
        """Measure in the background; :attr:`measured` says when the figures are shown."""
        if self.job is not None and self.job.is_running:
            self.job.cancel()
        store = self.session.store
        names = list(annotators)
        job = Job(
            lambda progress: measure_agreement(store, names, document_ids, progress=progress),
            self,
        )
        job.progressed.connect(self._on_job_progressed)
        job.succeeded.connect(lambda report, job=job: self._on_job_succeeded(job, report))
        job.failed.connect(self._on_job_failed)
        job.cancelled.connect(lambda: self.problem.setText("Measuring was cancelled."))
        job.ended.connect(lambda job=job: self._on_job_ended(job))
        self.job = job
        self.problem.setText("")
        self.job_bar.setRange(0, 0)
        self.running.show()
        self.measure_button.setEnabled(False)
        job.start()
        return job

    def copy_table(self) -> str:
        """Put the table of the tab shown on the clipboard as tab-separated text; returns it."""
        shown = self.tabs.currentIndex()
        if shown == 0:
            text = self.model.as_text()
        else:
            table, model = (
                (self.attribute_table, self.attribute_model)
                if shown == 1
                else (self.relation_table, self.relation_model)
            )
            hidden = [c for c in range(model.columnCount()) if table.isColumnHidden(c)]
            text = model.as_text(hidden)
        QGuiApplication.clipboard().setText(text)
        self.session.message.emit("Agreement table copied", 3000)
        return text

    def save_json(self, path: str | Path) -> None:
        """Write the report as ``dossier agreement --json`` prints it."""
        if self.report is None:
            return
        Path(path).write_text(
            json.dumps(self.report.to_json(), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
        self.session.message.emit(f"Agreement saved to {path}", 5000)

    # --- showing -----------------------------------------------------------------------------

    def _record_table(self, model: RecordTableModel) -> QTableView:
        table = QTableView(self)
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return table

    def _tab(self, note: QLabel, table: QTableView) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addWidget(note)
        layout.addWidget(table, 1)
        return page

    def _show_records(self, report: AgreementReport | None) -> None:
        """Fill the attribute and relation tabs (the annotators column only for several pairs)."""
        pairs = report.pairs if report is not None else ()
        self.attribute_model.set_rows(attribute_rows(report) if report is not None else [])
        headers = {2: pairs[0].reference, 3: pairs[0].other} if len(pairs) == 1 else {}
        self.relation_model.set_rows(relation_rows(report) if report is not None else [], headers)
        for table in (self.attribute_table, self.relation_table):
            table.setColumnHidden(0, len(pairs) <= 1)
        matched = ", ".join(f"{p.reference} / {p.other}: {p.matched_spans}" for p in pairs)
        if report is None:
            self.attribute_note.setText("")
            self.relation_note.setText("")
            return
        self.attribute_note.setText(
            f"Over the spans both annotators tagged with the same label and offsets "
            f"(matched spans: {matched}). α counts the pairs where at least one set the "
            f"attribute; an unset value is the value “(none)”; “{UNDEFINED}” means a single "
            f"value throughout."
            if self.attribute_model.rowCount()
            else f"No attribute was set on a span both annotators tagged ({matched} matched)."
        )
        self.relation_note.setText(
            "A relation is shared when both have it, of the same type, between matched spans "
            "(head matched to head, tail to tail). P and R are the second annotator's against "
            "the first's."
            if self.relation_model.rowCount()
            else "Neither annotator linked their spans with a relation."
        )

    def _show_report(self, report: AgreementReport | None) -> None:
        self.report = report
        self.model.set_report(report)
        self.chart.set_report(report)
        self._show_records(report)
        self.copy_button.setEnabled(report is not None)
        self.table.resizeRowsToContents()
        rows = self.table.verticalHeader().length() + self.table.horizontalHeader().height()
        self.table.setMaximumHeight(rows + 2 * self.table.frameWidth() + 2)
        self.save_button.setEnabled(report is not None)
        if report is None:
            self.summary.setText(
                "<span style='color:#808080'>Choose two or more annotators and press "
                "Measure.</span>"
            )
            return
        names = [html.escape(name) for name in report.annotators]
        who = f"<b>{names[0]}</b> (reference) and " + ", ".join(f"<b>{n}</b>" for n in names[1:])
        if not report.document_ids:
            self.summary.setText(f"{who}: no document was annotated by two of them.")
            return
        pooled = (
            " Span counts are pooled over every pair; κ is the mean over pairs."
            if len(names) > 2
            else ""
        )
        self.summary.setText(
            f"{who} on {len(report.document_ids)} document(s), {report.tokens:,} word tokens. "
            f"Accepted spans only; “{UNDEFINED}” means there is nothing to measure.{pooled}"
        )

    # --- slots -------------------------------------------------------------------------------

    def _on_annotators_changed(self, *_args, running: bool | None = None) -> None:
        enough = len(self.checked()) >= 2
        if running is None:
            running = self.job is not None and self.job.is_running
        self.measure_button.setEnabled(enough and not running)
        if not enough:
            self.problem.setText("Check two or more annotators.")
        elif self.problem.text() == "Check two or more annotators.":
            self.problem.setText("")

    def _on_measure_clicked(self) -> None:
        self.start(self.checked(), self.documents.currentData())

    def _on_cancel_clicked(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_job_progressed(self, _phase: str, done: int, total: int) -> None:
        self.job_bar.setRange(0, max(total, 1))
        self.job_bar.setValue(done)

    def _on_job_succeeded(self, job: Job, report: AgreementReport) -> None:
        if job is not self.job:
            return
        self._show_report(report)
        self.measured.emit(report)

    def _on_job_failed(self, reason: str) -> None:
        self.problem.setText(reason)

    def _on_job_ended(self, job: Job) -> None:
        if job is self.job:
            self.running.hide()
            self._on_annotators_changed(running=False)

    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save agreement", str(Path.home() / "agreement.json"), "JSON (*.json)"
        )
        if path:
            self.save_json(path)


def install_agreement(window) -> AgreementDialog:
    """Add Review → Agreement… to the window; the dialog is made once and reused."""
    from desktop.ui.review_mode import review_menu

    dialog = AgreementDialog(window.session, window)

    def open_agreement() -> None:
        dialog.prepare()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    action = QAction("A&greement…", window)
    action.setShortcut(QKeySequence(AGREEMENT_KEY))
    action.setStatusTip("Span F1, Cohen's kappa and Krippendorff's alpha between annotators")
    action.triggered.connect(lambda _checked=False: open_agreement())
    window.addAction(action)
    menu = review_menu(window)
    menu.addSeparator()
    menu.addAction(action)
    dialog.open_action = action
    return dialog
