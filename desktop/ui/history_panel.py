"""The History dock: the open document's recorded changes, newest first (or one span's, or
the whole project's), who made each and when, and restoring the version before a change or
right after it as one edit on the undo stack (``desktop.commands.RestoreVersion``).

It reads the history off the GUI thread, a page at a time, and afterwards only what is newer
than the newest row it shows: after every edit of this window and every change a colleague
makes (``desktop.ui.live``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.records import HistoryEntry
from desktop import commands
from desktop.review.history import describe
from desktop.ui.table_models import list_table
from desktop.ui.workers import Job

PAGE = 500  # rows read at a time; "Show older" reads the page before
FOLLOW_MS = 120  # the cursor rests this long on a span before its history is read
COLUMNS = ("When", "Who", "What", "Text", "Document")
WHEN, WHO, WHAT, TEXT, DOCUMENT = range(5)
QUOTED = 60  # characters of a span's text in the Text column
WIDTH = 560  # the right-hand docks' width the first time the panel shows


# --- rows (Qt-free) ---------------------------------------------------------------------------


def when_text(at: str, now: datetime | None = None) -> str:
    """A recorded UTC time in local time, to the minute: today's as the time alone."""
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    today = (now or datetime.now().astimezone()).date()
    return local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")


def who_text(entry: HistoryEntry) -> str:
    """Who made a change: the annotator Dossier worked as, and the server login when it is
    another name; a change made outside Dossier says so."""
    if entry.actor is None:
        return f"{entry.login} (outside Dossier)" if entry.login else "outside Dossier"
    if entry.login and entry.login != entry.actor:
        return f"{entry.actor} as {entry.login}"
    return entry.actor


def _one_line(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= QUOTED else text[: QUOTED - 1] + "…"


def what_it_touched(entry: HistoryEntry, span_texts: Mapping[int, str]) -> str:
    """The text a change is about: a span's, a relation's two ends, a label's name."""
    row = entry.after if entry.after is not None else entry.before or {}
    if entry.kind == "span":
        return _one_line(row.get("text"))
    if entry.kind == "relation":
        head, tail = span_texts.get(row.get("head_id")), span_texts.get(row.get("tail_id"))
        if head is None or tail is None:
            return ""
        return f"{_one_line(head)} → {_one_line(tail)}"
    if entry.kind == "label":
        return row.get("name") or ""
    return ""


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One change as the panel shows it."""

    entry: HistoryEntry
    when: str
    who: str
    what: str
    text: str
    document: str


def history_rows(
    entries: Sequence[HistoryEntry],
    labels: Mapping[int, object],
    annotators: Mapping[int, object],
    span_texts: Mapping[int, str],
    titles: Mapping[int, str],
    now: datetime | None = None,
) -> list[HistoryRow]:
    """The panel's rows for ``entries`` (oldest first, as the store gives them), newest
    first."""
    rows = []
    for entry in reversed(entries):
        document = "" if entry.document_id is None else titles.get(entry.document_id, "")
        if entry.document_id is not None and not document:
            document = f"document {entry.document_id}"
        rows.append(
            HistoryRow(
                entry,
                when_text(entry.at, now),
                who_text(entry),
                describe(entry, labels, annotators, span_texts=span_texts),
                what_it_touched(entry, span_texts),
                document if entry.kind != "label" else "labels",
            )
        )
    return rows


def span_texts_of(entries: Sequence[HistoryEntry]) -> dict[int, str]:
    """The texts of the spans the entries recorded, by span id (to quote a relation)."""
    return {
        row["id"]: row.get("text", "")
        for entry in entries
        if entry.kind == "span"
        for row in (entry.before, entry.after)
        if row and "id" in row
    }


# --- Qt -----------------------------------------------------------------------------------


class HistoryTableModel(QAbstractTableModel):
    """An adapter over the rows the panel has read, newest first."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[HistoryRow] = []

    # --- public API --------------------------------------------------------------------------

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def add_newer(self, rows: list[HistoryRow]) -> None:
        """Rows newer than every row shown (newest first) go on top."""
        if rows:
            self.beginInsertRows(QModelIndex(), 0, len(rows) - 1)
            self._rows[:0] = rows
            self.endInsertRows()

    def add_older(self, rows: list[HistoryRow]) -> None:
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def row(self, row: int) -> HistoryRow:
        return self._rows[row]

    def rows(self) -> list[HistoryRow]:
        return list(self._rows)

    # --- Qt overrides ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.when, row.who, row.what, row.text, row.document)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == WHEN:
                return f"{row.entry.at[:19].replace('T', ' ')} UTC (change {row.entry.id})"
            if column == WHAT:
                return row.what
            if column == TEXT:
                return row.text
        return None


class HistoryTable(QTableView):
    """The changes; Enter restores the version before the current one, Shift+Enter the
    version right after it, S and W switch "Selected span only" and "Whole project"."""

    #: Enter (state "before") or Shift+Enter ("after")
    restoreRequested = Signal(str)
    #: S or W: the toggle to switch ("span" or "project")
    toggleRequested = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key, modifiers = event.key(), event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
            self.restoreRequested.emit("after" if shift else "before")
            return
        if modifiers == Qt.KeyboardModifier.NoModifier and key == Qt.Key.Key_S:
            self.toggleRequested.emit("span")
            return
        if modifiers == Qt.KeyboardModifier.NoModifier and key == Qt.Key.Key_W:
            self.toggleRequested.emit("project")
            return
        super().keyPressEvent(event)


class HistoryPanel(QWidget):
    """The History dock's panel (see the module docstring)."""

    def __init__(self, window):
        super().__init__(window)
        self.main_window = window
        self.session = window.session
        self.store = window.store
        self.dock = None
        self.model = HistoryTableModel(self)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.spanOnly = QCheckBox("Selected span only", self)
        self.spanOnly.setToolTip(
            "Only the changes of the span selected (or under the cursor) in the document (S)"
        )
        self.wholeProject = QCheckBox("Whole project", self)
        self.wholeProject.setToolTip(
            "The changes of every document and of the labels, not only the open document's (W)"
        )
        self.table = HistoryTable(self)
        self.table.setObjectName("history-table")
        self.table.setModel(self.model)
        list_table(self.table)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column in (WHEN, WHO, TEXT, DOCUMENT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(WHAT, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(TEXT, 150)
        header.resizeSection(DOCUMENT, 120)
        self.table.setColumnHidden(DOCUMENT, True)
        self.restoreButton = QPushButton("Restore", self)
        self.restoreButton.setToolTip(
            "Put back the version from before the selected change (Enter); Ctrl+Z undoes it"
        )
        self.restoreAfterButton = QPushButton("Restore after", self)
        self.restoreAfterButton.setToolTip(
            "Put back the version from right after the selected change (Shift+Enter)"
        )
        self.olderButton = QPushButton("Show older", self)
        self.olderButton.setToolTip(f"Read the {PAGE} changes before the oldest shown")
        for button in (self.restoreButton, self.restoreAfterButton, self.olderButton):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the list
        toggles = QHBoxLayout()
        toggles.addWidget(self.spanOnly)
        toggles.addWidget(self.wholeProject)
        toggles.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restoreButton)
        buttons.addWidget(self.restoreAfterButton)
        buttons.addStretch(1)
        buttons.addWidget(self.olderButton)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(toggles)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        # The right dock area is shared with the span panel: without a floor the panel may
        # open squeezed to its title.
        self.table.setMinimumHeight(200)

        self._span_uuid: str | None = None  # the span "Selected span only" follows
        self._span_label = ""  # how the summary names it
        self._generation = 0  # bumped whenever what is shown starts again from nothing
        self._newest: int | None = None  # ids of the newest and oldest rows read
        self._oldest: int | None = None
        self._more = False  # whether older rows are there to read
        self._loaded = False  # whether the rows shown are of the current scope
        self._stale = False  # changes happened while the dock was hidden
        self._job: Job | None = None  # the read under way, of self._job_generation
        self._job_generation = -1
        self._again = False  # newer rows to read once the read under way ends
        self._span_texts: dict[int, str] = {}
        self._widened = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self._follow_timer = QTimer(self)
        self._follow_timer.setSingleShot(True)
        self._follow_timer.setInterval(FOLLOW_MS)
        self._follow_timer.timeout.connect(self._on_follow_timer_timeout)

        self.spanOnly.toggled.connect(self._on_toggle_toggled)
        self.wholeProject.toggled.connect(self._on_toggle_toggled)
        self.table.restoreRequested.connect(self.restore)
        self.table.toggleRequested.connect(self._on_table_toggle_requested)
        self.table.clicked.connect(self._on_table_clicked)
        self.restoreButton.clicked.connect(lambda: self.restore("before"))
        self.restoreAfterButton.clicked.connect(lambda: self.restore("after"))
        self.olderButton.clicked.connect(self.show_older)
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        session = self.session
        session.changed.connect(self._on_project_changed)
        session.labelsChanged.connect(self._on_project_changed)
        session.documentOpened.connect(self._on_session_document_opened)
        view = window.view
        view.spanSelected.connect(self._on_view_span_selected)
        view.cursorPositionChanged.connect(self._on_view_cursor_moved)
        live = getattr(window, "live", None)
        if live is not None:
            live.applied.connect(self._on_project_changed)
        selected = view.selected_span()
        if selected is not None:
            self._follow(selected.uuid, selected.label, selected.text)
        self._update_buttons()

    # --- public API --------------------------------------------------------------------------

    def on_shown(self) -> None:
        if not self._widened and self.dock is not None and not self.dock.isFloating():
            # The right-hand docks are as narrow as the palette: what changed needs room.
            self._widened = True
            self.main_window.resizeDocks([self.dock], [WIDTH], Qt.Orientation.Horizontal)
        if not self._loaded or self._stale:
            self.reload()
        else:
            self.refresh()
        self.table.setFocus()

    def busy(self) -> bool:
        """Whether a read of the history is under way (tests wait for it)."""
        return self._job is not None and self._job.is_running

    def reload(self) -> None:
        """Read the newest page again, of what the toggles and the open document choose."""
        self._generation += 1
        self._stale = False
        self._newest = self._oldest = None
        self._more = False
        self._again = False
        self.model.clear()
        self.table.setColumnHidden(DOCUMENT, not self.wholeProject.isChecked())
        if self._scope() is None:
            self._loaded = True
            self._show_summary()
            return
        self._loaded = False
        self._show_summary("Reading the history…")
        self._read("page")

    def refresh(self) -> None:
        """Read the changes newer than the newest row shown."""
        if not self.isVisible():
            self._stale = True
            return
        if not self._loaded and not self._reading():
            self.reload()
            return
        if self._scope() is None:
            return
        if self._reading():
            self._again = True
            return
        self._read("newer")

    def show_older(self) -> None:
        if self._more and not self._reading():
            self._read("older")

    def restore(self, state: str) -> bool:
        """Restore the version before (``state`` "before") or right after ("after") the
        selected change, as one edit of the undo stack."""
        index = self.table.currentIndex()
        if not index.isValid():
            self.session.message.emit("Select a change in the History list first", 3000)
            return False
        row = self.model.row(index.row())
        when = "before" if state == "before" else "after"
        command = commands.RestoreVersion(
            self.store,
            row.entry,
            state,
            seen_id=self._newest,
            text=f"Restore {when}: {row.what}",
        )
        done = self.session.execute(command)
        if not done:
            self.refresh()  # whatever changed meanwhile is shown
        return done

    def followed_span(self) -> str | None:
        return self._span_uuid

    # --- reading -----------------------------------------------------------------------------

    def _scope(self) -> dict | None:
        """The history's filters for what is shown; None when there is nothing to show."""
        if self.spanOnly.isChecked():
            return {"key": self._span_uuid} if self._span_uuid else None
        if self.wholeProject.isChecked():
            return {}
        document = self.session.document
        return {"document_id": document.id} if document is not None else None

    def _reading(self) -> bool:
        return self.busy() and self._job_generation == self._generation

    def _read(self, mode: str) -> None:
        scope = self._scope()
        if scope is None:
            return
        if mode == "page":
            bounds = {"limit": PAGE + 1}
        elif mode == "older":
            bounds = {"limit": PAGE + 1, "before_id": self._oldest}
        else:
            bounds = {"after_id": self._newest}
        whole = self.wholeProject.isChecked() and not self.spanOnly.isChecked()
        labels = {label.id: label for label in self.session.labels}
        shown = {span.record.id: span.record.text for span in self.session.view.spans()}
        known = dict(self._span_texts)
        store = self.store
        generation = self._generation

        def work(_progress):
            entries = store.history(**scope, **bounds)
            more = False
            if mode != "newer" and len(entries) > PAGE:
                entries, more = entries[1:], True
            annotators = {annotator.id: annotator for annotator in store.annotators()}
            titles = {}
            if whole:
                titles = {document.id: document.title for document in store.list_documents()}
            texts = {**shown, **known, **span_texts_of(entries)}
            return entries, more, texts, history_rows(entries, labels, annotators, texts, titles)

        job = Job(work, owner=self)
        job.succeeded.connect(lambda result: self._on_job_succeeded(generation, mode, result))
        job.failed.connect(lambda reason: self._on_job_failed(generation, reason))
        job.ended.connect(lambda: self._on_job_ended(generation))
        self._job, self._job_generation = job, generation
        job.start()

    def _on_job_succeeded(self, generation: int, mode: str, result) -> None:
        if generation != self._generation:
            return
        entries, more, texts, rows = result
        self._span_texts.update(texts)
        if entries:
            newest, oldest = entries[-1].id, entries[0].id
            if self._newest is None or newest > self._newest:
                self._newest = newest
            if self._oldest is None or oldest < self._oldest:
                self._oldest = oldest
        if mode == "newer":
            self.model.add_newer(rows)
        else:
            self.model.add_older(rows)
            self._more = more
        if mode == "page" and rows and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.model.index(0, WHAT))
        self._loaded = True
        # Fitted when rows arrive, not on every paint: Qt would measure every row each time.
        for column in (WHEN, WHO):
            self.table.resizeColumnToContents(column)
        self._show_summary()
        self._update_buttons()

    def _on_job_failed(self, generation: int, reason: str) -> None:
        if generation == self._generation:
            self._loaded = True
            self._show_summary(f"Could not read the history: {reason}")

    def _on_job_ended(self, generation: int) -> None:
        if generation == self._generation and self._again:
            self._again = False
            self._read("newer")

    def _show_summary(self, text: str | None = None) -> None:
        if text is None:
            count = self.model.rowCount()
            changes = f"{count} change{'' if count == 1 else 's'}"
            if self.spanOnly.isChecked():
                text = (
                    f"{changes} to {self._span_words()}"
                    if self._span_uuid
                    else "Select a span in the document to see its changes"
                )
            elif self.wholeProject.isChecked():
                text = f"{changes} in the whole project"
            elif self.session.document is not None:
                text = f"{changes} to “{_one_line(self.session.document.title)}”"
            else:
                text = "No document open"
            if self._more:
                text += ", and older ones (Show older)"
        self.summary.setText(text)

    def _span_words(self) -> str:
        """The followed span as its newest row has it (label and text), else as selected."""
        if not self.model.rowCount():
            return self._span_label
        entry = self.model.row(0).entry
        row = entry.after if entry.after is not None else entry.before or {}
        label = self.session.label(row.get("label_id"))
        return f"{label.name if label else 'span'} “{_one_line(row.get('text'))}”"

    def _update_buttons(self, *_args) -> None:
        chosen = self.table.currentIndex().isValid()
        self.restoreButton.setEnabled(chosen)
        self.restoreAfterButton.setEnabled(chosen)
        self.olderButton.setEnabled(self._more)

    # --- following the span --------------------------------------------------------------

    def _follow(self, span_uuid: str, label: str, text: str) -> None:
        self._span_label = f"{label} “{_one_line(text)}”"  # it may have been relabelled
        if span_uuid == self._span_uuid:
            if self.spanOnly.isChecked() and self._loaded and not self._reading():
                self._show_summary()
            return
        self._span_uuid = span_uuid
        if self.spanOnly.isChecked():
            self._loaded = False
            if self.isVisible():
                self._follow_timer.start()

    # --- slots -------------------------------------------------------------------------------

    def _on_toggle_toggled(self, _checked: bool) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._loaded = False

    def _on_table_toggle_requested(self, which: str) -> None:
        box = self.spanOnly if which == "span" else self.wholeProject
        box.setChecked(not box.isChecked())

    def _on_table_clicked(self, index: QModelIndex) -> None:
        """A change of a span shown in the document: the span is selected there."""
        entry = self.model.row(index.row()).entry
        view = self.session.view
        if entry.kind == "span" and view.view_span(entry.key) is not None:
            view.select_span(entry.key, reveal=True)

    def _on_project_changed(self, *_args) -> None:
        self._refresh_timer.start()

    def _on_session_document_opened(self, _document) -> None:
        self._span_uuid = None
        self._span_label = ""
        if self.wholeProject.isChecked() and not self.spanOnly.isChecked():
            return
        if self.isVisible():
            self.reload()
        else:
            self._loaded = False

    def _on_view_span_selected(self, span_uuid: str) -> None:
        if span_uuid:
            record = self.session.view.selected_span()
            if record is not None:
                self._follow(record.uuid, record.label, record.text)

    def _on_view_cursor_moved(self) -> None:
        if not self.spanOnly.isChecked():
            return
        spans = self.session.view.spans_at_cursor()
        if spans:
            self._follow(spans[0].uuid, spans[0].label, spans[0].text)

    def _on_follow_timer_timeout(self) -> None:
        if self.spanOnly.isChecked() and not self._loaded:
            self.reload()
