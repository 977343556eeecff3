"""The Outlets dock: for a chosen actor, event or claim, which outlets report it, in which
documents and how (role, stance), each report opening its evidence; and the coverage table
of outlets × canonical actors, whose cells open the reports of one actor in one outlet.

The queries are ``desktop.corpus.outlets`` over ``desktop.corpus.records``; they are read
off the GUI thread when the dock is shown and again after an edit while it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.corpus import outlets as query
from desktop.corpus.records import ClaimItem, EventItem, load_claims, load_events
from desktop.ui.corpus_docks import open_evidence
from desktop.ui.workers import Job

REFRESH_DELAY = 300  # ms after an edit before the records are read again
KINDS = ("Actors", "Events", "Claims")
ACTOR, EVENT, CLAIM = range(3)
REPORT_COLUMNS = ("Outlet · document", "Published", "Role", "Stance", "What", "By")
DOCUMENT, PUBLISHED, ROLE, STANCE, WHAT, BY = range(6)
REPORT_ROLE = Qt.ItemDataRole.UserRole
SHADE = QColor(230, 159, 0)  # the palette's Actor orange, lighter or darker by count


@dataclass(frozen=True, slots=True)
class Choice:
    """One thing to choose in the list: what it reads, folded for the filter, and what it is."""

    text: str
    folded: str
    kind: int
    item: object  # an ActorSummary, an EventItem or a ClaimItem


@dataclass(frozen=True, slots=True)
class Loaded:
    events: list[EventItem]
    claims: list[ClaimItem]
    actors: list
    coverage: query.Coverage
    index: query.RecordIndex


def _load(store) -> Loaded:
    actors = [actor for actor in store.actor_summaries("Actor") if actor.mentions]
    actors.sort(key=lambda actor: (-actor.documents, actor.name.casefold()))
    events, claims = load_events(store), load_claims(store)
    index = query.RecordIndex.of(events, claims)
    return Loaded(events, claims, actors, query.coverage(store), index)


def _choices(loaded: Loaded, kind: int) -> list[Choice]:
    if kind == ACTOR:
        rows = [
            (
                f"{actor.name}   ({query.plural(actor.documents, 'document')})",
                " ".join((actor.name, *actor.aliases)),
                actor,
            )
            for actor in loaded.actors
        ]
    elif kind == EVENT:
        rows = [
            (f"{query.describe_event(event)}   — {event.document_title}", None, event)
            for event in loaded.events
        ]
    else:
        rows = [
            (f"{query.describe_claim(claim)}   — {claim.document_title}", None, claim)
            for claim in loaded.claims
        ]
    return [
        Choice(text, query.fold_for_filter(key or text), kind, item) for text, key, item in rows
    ]


# --- models ----------------------------------------------------------------------------------


class ChoiceListModel(QAbstractListModel):
    """The actors, events or claims to choose from, narrowed by the filter's words."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._all: list[Choice] = []
        self._shown: list[Choice] = []
        self._words: list[str] = []

    def set_choices(self, choices: list[Choice]) -> None:
        self.beginResetModel()
        self._all = choices
        self._shown = self._matching()
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        self._words = query.fold_for_filter(text).split()
        self._shown = self._matching()
        self.endResetModel()

    def choice_at(self, row: int) -> Choice:
        return self._shown[row]

    def row_of(self, item) -> int | None:
        return next((row for row, choice in enumerate(self._shown) if choice.item is item), None)

    def total(self) -> int:
        return len(self._all)

    def _matching(self) -> list[Choice]:
        if not self._words:
            return list(self._all)
        return [choice for choice in self._all if query.matches(self._words, choice.folded)]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._shown[index.row()].text
        return None


class CoverageModel(QAbstractTableModel):
    """The coverage table: one row per canonical actor, a column of its documents in all
    outlets and one per outlet, cells shaded by count."""

    FIXED = 2  # the Actor and All outlets columns before the outlets

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._table = query.Coverage((), ())
        self._rows: list[query.CoverageActor] = []
        self._sort = (1, Qt.SortOrder.DescendingOrder)

    def set_coverage(self, table: query.Coverage) -> None:
        self.beginResetModel()
        self._table = table
        self._rows = self._sorted()
        self.endResetModel()

    def outlet_of(self, column: int) -> str | None:
        """The outlet a column counts, None for the Actor and All outlets columns."""
        return self._table.outlets[column - self.FIXED] if column >= self.FIXED else None

    def actor_at(self, row: int) -> query.CoverageActor:
        return self._rows[row]

    def _sorted(self) -> list[query.CoverageActor]:
        column, order = self._sort
        descending = order == Qt.SortOrder.DescendingOrder
        if column == 0:
            return sorted(
                self._table.actors, key=lambda a: (a.name.casefold(), a.uuid), reverse=descending
            )
        return self._table.sorted_actors(self.outlet_of(column), descending=descending)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else self.FIXED + len(self._table.outlets)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt override
        if orientation != Qt.Orientation.Horizontal:
            return None
        outlet = self.outlet_of(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return ("Actor", "All outlets")[section] if outlet is None else outlet
        if role == Qt.ItemDataRole.ToolTipRole and outlet is not None:
            documents = self._table.outlet_documents.get(outlet)
            return (
                f"{outlet}: {query.plural(documents, 'document')} in the project"
                if documents
                else outlet
            )
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        actor = self._rows[index.row()]
        column = index.column()
        outlet = self.outlet_of(column)
        count = actor.documents if outlet is None else self._table.count(actor.uuid, outlet)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return actor.name
            return count or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            where = "all outlets" if outlet is None else outlet
            return f"{actor.name} in {where}: {query.plural(count, 'document')}"
        if role == Qt.ItemDataRole.BackgroundRole and outlet is not None and count:
            share = count / max(self._table.largest, 1)
            colour = QColor(SHADE)
            colour.setAlpha(int(40 + 180 * share))
            return QBrush(colour)
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._rows = self._sorted()
        self.layoutChanged.emit()


# --- widgets ---------------------------------------------------------------------------------


class ChoiceFilter(QLineEdit):
    """The filter above the choices; ↓ or Enter goes down to the list."""

    leaveRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.leaveRequested.emit()
            return
        super().keyPressEvent(event)


class ReportTree(QTreeWidget):
    """The reports grouped by outlet; Enter opens the current report's evidence."""

    openRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.openRequested.emit()
            return
        super().keyPressEvent(event)


class OutletsPanel(QWidget):
    """The dock's content: the Reports tab (chooser and reports by outlet) and the Coverage tab."""

    def __init__(self, window):
        super().__init__(window)
        self.main_window = window
        self.session = window.session
        self.store = window.store
        self.dock = None
        self._stale = True
        self._loaded: Loaded | None = None
        self._job: Job | None = None
        self._again = False  # asked to read again while a job ran
        self._outlet: str | None = None  # reports narrowed to one outlet (from the coverage)

        # The Reports tab.
        self.kind = QComboBox(self)
        self.kind.addItems(KINDS)
        self.kind.setToolTip("Choose an actor, an event or a claim")
        self.filter = ChoiceFilter(self)
        self.filter.setPlaceholderText("Filter by name, type or words (↓ to the list)")
        self.filter.setClearButtonEnabled(True)
        self.count = QLabel(self)
        self.choice_model = ChoiceListModel(self)
        self.choices = QListView(self)
        self.choices.setModel(self.choice_model)
        self.choices.setUniformItemSizes(True)
        self.choices.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.title = QLabel("Choose an actor, an event or a claim on the left.", self)
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.reports = ReportTree(self)
        self.reports.setColumnCount(len(REPORT_COLUMNS))
        self.reports.setHeaderLabels(REPORT_COLUMNS)
        self.reports.setUniformRowHeights(True)
        self.reports.setAlternatingRowColors(True)
        header = self.reports.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(WHAT, QHeaderView.ResizeMode.Stretch)
        for column, width in ((DOCUMENT, 260), (PUBLISHED, 90), (ROLE, 80), (STANCE, 80), (BY, 80)):
            self.reports.setColumnWidth(column, width)

        choose_row = QHBoxLayout()
        choose_row.addWidget(self.kind)
        choose_row.addWidget(self.filter, 1)
        choose_row.addWidget(self.count)
        chooser = QWidget(self)
        chooser_layout = QVBoxLayout(chooser)
        chooser_layout.setContentsMargins(0, 0, 0, 0)
        chooser_layout.addLayout(choose_row)
        chooser_layout.addWidget(self.choices, 1)
        shown = QWidget(self)
        shown_layout = QVBoxLayout(shown)
        shown_layout.setContentsMargins(0, 0, 0, 0)
        shown_layout.addWidget(self.title)
        shown_layout.addWidget(self.reports, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(chooser)
        self.splitter.addWidget(shown)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([520, 1080])
        reports_page = QWidget(self)
        reports_layout = QVBoxLayout(reports_page)
        reports_layout.setContentsMargins(4, 4, 4, 4)
        reports_layout.addWidget(self.splitter)

        # The Coverage tab.
        self.coverage_note = QLabel(self)
        self.coverage_model = CoverageModel(self)
        self.coverage_table = QTableView(self)
        self.coverage_table.setModel(self.coverage_model)
        self.coverage_table.setSortingEnabled(True)
        self.coverage_table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.coverage_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.coverage_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.coverage_table.verticalHeader().setVisible(False)
        self.coverage_table.horizontalHeader().setDefaultSectionSize(96)
        self.coverage_table.setColumnWidth(0, 220)
        coverage_page = QWidget(self)
        coverage_layout = QVBoxLayout(coverage_page)
        coverage_layout.setContentsMargins(4, 4, 4, 4)
        coverage_layout.addWidget(self.coverage_note)
        coverage_layout.addWidget(self.coverage_table, 1)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(reports_page, "Reports")
        self.tabs.addTab(coverage_page, "Coverage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY)
        self._refresh_timer.timeout.connect(self._on_refresh_timer_timeout)
        self.kind.currentIndexChanged.connect(self._on_kind_current_index_changed)
        self.filter.textChanged.connect(self._on_filter_text_changed)
        self.filter.leaveRequested.connect(self._on_filter_leave_requested)
        self.choices.selectionModel().currentRowChanged.connect(self._on_choices_current_changed)
        self.reports.openRequested.connect(self.open_report)
        self.reports.itemDoubleClicked.connect(lambda _item, _column: self.open_report())
        self.coverage_table.doubleClicked.connect(self._on_coverage_double_clicked)
        self.session.changed.connect(self._on_session_edited)
        self.session.actorsChanged.connect(self._on_session_edited)
        self.session.labelsChanged.connect(self._on_session_edited)

    # --- public API --------------------------------------------------------------------------

    def on_shown(self) -> None:
        if self._stale:
            self.refresh()
        if self.tabs.currentIndex() == 0:
            self.filter.setFocus()

    def refresh(self) -> Job:
        """Read the records and the coverage again, off the GUI thread."""
        self._stale = False
        if self._job is not None and self._job.is_running:
            self._again = True
            return self._job
        store = self.store
        job = Job(lambda _progress: _load(store), owner=self)
        job.succeeded.connect(self._on_job_succeeded)
        job.failed.connect(self._on_job_failed)
        job.ended.connect(self._on_job_ended)
        self._job = job
        self.count.setText("reading…")
        job.start()
        return job

    def ready(self) -> bool:
        """Whether the records are read and none is being read."""
        return self._loaded is not None and not (self._job is not None and self._job.is_running)

    def current_reports(self) -> list[query.Report]:
        """The reports listed, outlet by outlet."""
        found = []
        for top in range(self.reports.topLevelItemCount()):
            group = self.reports.topLevelItem(top)
            found.extend(group.child(row).data(0, REPORT_ROLE) for row in range(group.childCount()))
        return found

    def open_report(self) -> bool:
        """Open the current report's document at its evidence, the span selected."""
        item = self.reports.currentItem()
        report = item.data(0, REPORT_ROLE) if item is not None else None
        if report is None:  # an outlet's row: its first report
            if item is None or item.childCount() == 0:
                return False
            report = item.child(0).data(0, REPORT_ROLE)
        return open_evidence(
            self.main_window, report.document_id, report.start, report.end, report.span_uuid
        )

    def show_actor_in_outlet(self, actor_uuid: str, outlet: str | None) -> None:
        """The Reports tab on an actor, narrowed to one outlet (all when None)."""
        self.tabs.setCurrentIndex(0)
        if self.kind.currentIndex() != ACTOR:
            self.kind.setCurrentIndex(ACTOR)
        self.filter.clear()
        actor = next((a for a in self._loaded.actors if a.uuid == actor_uuid), None)
        if actor is None:
            return
        row = self.choice_model.row_of(actor)
        selection = self.choices.selectionModel()
        selection.blockSignals(True)  # choosing in the list shows every outlet again
        self.choices.setCurrentIndex(self.choice_model.index(row, 0))
        selection.blockSignals(False)
        self._outlet = outlet
        self._show_reports(actor)
        self.reports.setFocus()

    # --- filling -----------------------------------------------------------------------------

    def _fill_choices(self) -> None:
        if self._loaded is None:
            return
        self.choice_model.set_choices(_choices(self._loaded, self.kind.currentIndex()))
        self.choice_model.set_filter(self.filter.text())
        self._count()

    def _count(self) -> None:
        shown, total = self.choice_model.rowCount(), self.choice_model.total()
        self.count.setText(f"{shown} of {total}" if shown != total else f"{total}")

    def _show_reports(self, item) -> None:
        loaded = self._loaded
        if item is None or loaded is None:
            self.reports.clear()
            return
        if isinstance(item, EventItem):
            groups = loaded.index.event(item, outlet=self._outlet)
            what = f"The event {query.describe_event(item)}"
        elif isinstance(item, ClaimItem):
            groups = query.reports_of_claim(item, loaded.claims, outlet=self._outlet)
            what = f"The claim {query.describe_claim(item)}"
        else:
            mentions = self.store.actor_outlet_mentions(item.uuid)
            groups = loaded.index.actor(item.uuid, mentions, outlet=self._outlet)
            what = item.name
        documents = sum(group.documents for group in groups)
        where = (
            f"in {self._outlet}" if self._outlet else f"by {query.plural(len(groups), 'outlet')}"
        )
        self.title.setText(f"{what}: reported {where}, in {query.plural(documents, 'document')}")
        self.reports.clear()
        for group in groups:
            top = QTreeWidgetItem(
                [f"{group.outlet}   ({query.plural(group.documents, 'document')})"]
            )
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            for report in group.reports:
                child = QTreeWidgetItem(
                    [
                        report.document_title,
                        report.published or "",
                        report.role,
                        report.stance or "",
                        report.detail,
                        report.annotator,
                    ]
                )
                child.setData(0, REPORT_ROLE, report)
                child.setToolTip(0, report.document_title)
                child.setToolTip(WHAT, report.detail)
                top.addChild(child)
            self.reports.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)
            top.setExpanded(True)
        if self.reports.topLevelItemCount():
            first = self.reports.topLevelItem(0)
            self.reports.setCurrentItem(first.child(0) if first.childCount() else first)

    # --- slots -------------------------------------------------------------------------------

    def _on_job_succeeded(self, loaded: Loaded) -> None:
        current = self.choices.currentIndex()
        keep = self.choice_model.choice_at(current.row()).item if current.isValid() else None
        self._loaded = loaded
        self._fill_choices()
        self.coverage_model.set_coverage(loaded.coverage)
        table = loaded.coverage
        self.coverage_note.setText(
            f"Documents of each outlet that mention each actor: {len(table.actors)} actors, "
            f"{len(table.outlets)} outlets. Double-click a cell for its reports."
        )
        if keep is not None:  # the same thing chosen again, if it is still there
            again = self._same_choice(keep)
            if again is not None:
                self.choices.setCurrentIndex(self.choice_model.index(again, 0))

    def _same_choice(self, item) -> int | None:
        key = getattr(item, "uuid", None) or getattr(item, "span_uuid", None)
        for row in range(self.choice_model.rowCount()):
            other = self.choice_model.choice_at(row).item
            if (getattr(other, "uuid", None) or getattr(other, "span_uuid", None)) == key:
                return row
        return None

    def _on_job_failed(self, reason: str) -> None:
        self._stale = True
        self.count.setText("")
        self.session.message.emit(f"The outlets could not be read: {reason}", 6000)

    def _on_job_ended(self) -> None:
        if self._again:
            self._again = False
            self.refresh()

    def _on_kind_current_index_changed(self, _index: int) -> None:
        self._outlet = None
        self._fill_choices()
        self._show_reports(None)
        self.title.setText("Choose an actor, an event or a claim on the left.")

    def _on_filter_text_changed(self, text: str) -> None:
        self.choice_model.set_filter(text)
        self._count()

    def _on_filter_leave_requested(self) -> None:
        self.choices.setFocus()
        if not self.choices.currentIndex().isValid() and self.choice_model.rowCount():
            self.choices.setCurrentIndex(self.choice_model.index(0, 0))

    def _on_choices_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        self._outlet = None
        self._show_reports(self.choice_model.choice_at(current.row()).item)

    def _on_coverage_double_clicked(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        actor = self.coverage_model.actor_at(index.row())
        outlet = self.coverage_model.outlet_of(index.column())
        # Once the double-click is over: hiding the table under the mouse in the middle of
        # its press and release would leave the release to no one.
        QTimer.singleShot(0, self, lambda: self.show_actor_in_outlet(actor.uuid, outlet))

    def _on_session_edited(self, *_args) -> None:
        self._stale = True
        if self.isVisible():
            self._refresh_timer.start()

    def _on_refresh_timer_timeout(self) -> None:
        if self._stale and self.isVisible():
            self.refresh()
