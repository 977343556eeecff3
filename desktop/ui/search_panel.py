"""The Search panel (Ctrl+Shift+F): words, a phrase or a pattern searched across every
document, the hits as a keyword-in-context table filled while the search runs, and tagging
one hit, the checked hits or all of them as one undoable action."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.corpus_docks import open_evidence
from desktop.ui.table_models import ListTableModel
from desktop.ui.workers import Job

CHECK, LEFT, HIT, RIGHT, DOCUMENT, SPANS = range(6)
HEADERS = ("", "Before", "Hit", "After", "Document", "Spans on the hit")
TYPING_PAUSE = 250  # ms after the last key before a search starts (Enter starts it at once)


# --- the model -------------------------------------------------------------------------------


class HitTableModel(ListTableModel):
    """An adapter over the hits found so far (desktop.corpus.search.Hit), with which of them
    are checked and the spans now on each (kept in step with every edit)."""

    COLUMNS = HEADERS

    #: the checked hits changed (how many are checked)
    checkedChanged = Signal(int)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._spans: list[tuple] = []  # per row: the spans on the hit now (HitSpan-like)
        self._checked: set[int] = set()
        self._rows_of: dict[int, list[int]] = {}  # document id -> its rows
        self._bold = QFont()
        self._bold.setBold(True)

    # --- public API --------------------------------------------------------------------------

    @property
    def hits(self) -> list:
        """The hits found so far, one per row."""
        return self.items

    def clear(self) -> None:
        self.beginResetModel()
        self.items, self._spans, self._rows_of = [], [], {}
        self._checked.clear()
        self.endResetModel()
        self.checkedChanged.emit(0)

    def append(self, batch: Sequence) -> None:
        if not batch:
            return
        first = len(self.items)
        self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
        for row, hit in enumerate(batch, start=first):
            self.items.append(hit)
            self._spans.append(tuple(hit.spans))
            self._rows_of.setdefault(hit.document_id, []).append(row)
        self.endInsertRows()

    def documents(self) -> int:
        return len(self._rows_of)

    def checked_hits(self) -> list:
        return [self.items[row] for row in sorted(self._checked)]

    def is_checked(self, row: int) -> bool:
        return row in self._checked

    def toggle(self, rows: Sequence[int]) -> None:
        """Space: check the rows, or uncheck them when all of them are checked already."""
        rows = [row for row in rows if 0 <= row < len(self.items)]
        if not rows:
            return
        if all(row in self._checked for row in rows):
            self._checked.difference_update(rows)
        else:
            self._checked.update(rows)
        for row in rows:
            index = self.index(row, CHECK)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checkedChanged.emit(len(self._checked))

    def spans_on(self, row: int) -> tuple:
        return self._spans[row]

    def apply_change(self, change) -> None:
        """A document's spans changed (a desktop.commands.Change): the spans shown on its
        hits follow."""
        rows = self._rows_of.get(change.document_id)
        if not rows:
            return
        from desktop.corpus.search import HitSpan

        removed = set(change.removed)
        records = change.added + change.updated
        edited = removed | {record.uuid for record in records}
        for row in rows:
            hit = self.items[row]
            spans = [span for span in self._spans[row] if span.uuid not in edited]
            spans += [
                HitSpan(record.uuid, record.label, record.annotator, record.start, record.end)
                for record in records
                if record.status != "rejected" and record.start < hit.end and hit.start < record.end
            ]
            spans.sort(key=lambda span: (span.start, span.end, span.label))
            if tuple(spans) != self._spans[row]:
                self._spans[row] = tuple(spans)
                index = self.index(row, SPANS)
                self.dataChanged.emit(index, index)

    # --- Qt overrides ------------------------------------------------------------------------

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == CHECK:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        hit = self.items[row]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == LEFT:
                return hit.left
            if column == HIT:
                return " ".join(hit.text.split())
            if column == RIGHT:
                return hit.right
            if column == DOCUMENT:
                return hit.document_title or f"Document {hit.document_id}"
            if column == SPANS:
                return _spans_text(self._spans[row])
            return None
        if role == Qt.ItemDataRole.CheckStateRole and column == CHECK:
            return Qt.CheckState.Checked if row in self._checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.FontRole and column == HIT:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and column == LEFT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == DOCUMENT:
                return f"{hit.document_title} (document {hit.document_id}), characters {hit.start}–{hit.end}"
            if column == SPANS and self._spans[row]:
                return "<br>".join(
                    f"<b>{html.escape(span.label)}</b> · {html.escape(span.annotator)} "
                    f"({span.start}–{span.end})"
                    for span in self._spans[row]
                )
        return None

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 - Qt override
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != CHECK:
            return False
        wanted = Qt.CheckState(value) == Qt.CheckState.Checked
        if wanted != (index.row() in self._checked):
            self.toggle([index.row()])
        return True


def _spans_text(spans: Sequence) -> str:
    """ "Actor (analyst_a), Claim (analyst_b)": each label and annotator once."""
    seen: dict[tuple[str, str], None] = {}
    for span in spans:
        seen.setdefault((span.label, span.annotator), None)
    return ", ".join(f"{label} ({annotator})" for label, annotator in seen)


# --- the widgets -----------------------------------------------------------------------------


class SearchField(QLineEdit):
    """The pattern. Enter searches at once; ↓ goes to the hits."""

    searchRequested = Signal()
    leaveRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.searchRequested.emit()
            return
        if key == Qt.Key.Key_Down:
            self.leaveRequested.emit()
            return
        super().keyPressEvent(event)


class HitTable(QTableView):
    """The hits. Enter opens the current one, Space checks it, a label's key tags."""

    #: Enter on a hit (its row)
    openRequested = Signal(int)
    #: a label's key (the label's id)
    labelKeyPressed = Signal(int)

    def __init__(self, parent: QWidget, label_of_key: Callable[[str], int | None]):
        super().__init__(parent)
        self._label_of_key = label_of_key

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        plain = modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            if self.currentIndex().isValid():
                self.openRequested.emit(self.currentIndex().row())
            return
        if key == Qt.Key.Key_Space and modifiers == Qt.KeyboardModifier.NoModifier:
            rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
            if not rows and self.currentIndex().isValid():
                rows = [self.currentIndex().row()]
            self.model().toggle(rows)
            return
        label_id = self._label_of_key(event.text()) if plain else None
        if label_id is not None:
            self.labelKeyPressed.emit(label_id)
            return
        super().keyPressEvent(event)


class _ElideLeftDelegate(QStyledItemDelegate):
    """The words before a hit, cut at their start so that those next to it show."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 - Qt override
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideLeft


class _Batches(QObject):
    """Carries batches of hits from the search's thread to the panel (queued)."""

    #: (the search's number, a list of hits)
    arrived = Signal(int, object)


class SearchPanel(QWidget):
    """The dock's content: the pattern and its options, the hits, and tagging them."""

    def __init__(self, window):
        super().__init__(window)
        self.main_window = window
        self.session = window.session
        self.store = window.store
        self.dock = None
        self.job: Job | None = None
        self._generation = 0  # the search whose batches are shown; older ones are dropped
        self._searched: object | None = None  # the query of the hits shown
        self._stale = False  # the hits shown name labels since renamed

        self.field = SearchField(self)
        self.field.setPlaceholderText(
            "Search every document: words, a phrase or a pattern (Ctrl+Shift+F)"
        )
        self.field.setClearButtonEnabled(True)
        self.case = QCheckBox("Match case", self)
        self.fold = QCheckBox("Ignore accents && apostrophes", self)
        self.fold.setToolTip("“Kataib” finds “Kata’ib” and “Katáib”")
        self.fold.setChecked(True)
        self.whole_words = QCheckBox("Whole words", self)
        self.whole_words.setChecked(True)
        self.regex = QCheckBox("Regular expression", self)
        self.options = (self.case, self.fold, self.whole_words, self.regex)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.count = QLabel(self)

        self.model = HitTableModel(self)
        self.table = HitTable(self, self.main_window.view.label_of_key)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setItemDelegateForColumn(LEFT, _ElideLeftDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(CHECK, QHeaderView.ResizeMode.Fixed)
        for column, width in ((CHECK, 28), (LEFT, 330), (HIT, 150), (RIGHT, 330), (DOCUMENT, 220)):
            self.table.setColumnWidth(column, width)

        self.label_choice = QComboBox(self)
        self.label_choice.setToolTip("The label the buttons tag with")
        self.tag_checked_button = QPushButton("Tag checked", self)
        self.tag_checked_button.setToolTip(
            "Tag the checked hits with the label chosen, as one change (Ctrl+Z undoes it)"
        )
        self.tag_all_button = QPushButton("Tag all", self)
        self.tag_all_button.setToolTip(
            "Tag every hit with the label chosen, as one change (Ctrl+Z undoes it)"
        )
        self.hint = QLabel(
            "Enter or double-click: open · Space: check · a label's key: tag the checked "
            "hits (or this one)",
            self,
        )
        self.hint.setStyleSheet("color: palette(mid);")

        top = QHBoxLayout()
        top.addWidget(self.field, 1)
        for box in self.options:
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            top.addWidget(box)
        status = QHBoxLayout()
        status.addWidget(self.error, 1)
        status.addWidget(self.count)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(QLabel("Label:", self))
        bottom.addWidget(self.label_choice)
        bottom.addWidget(self.tag_checked_button)
        bottom.addWidget(self.tag_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(status)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self._batches = _Batches(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPING_PAUSE)
        self.set_labels(self.session.labels)
        self._show_count()

        self._batches.arrived.connect(self._on_batches_arrived)
        self._timer.timeout.connect(self.search)
        self.field.textChanged.connect(self._on_field_text_changed)
        self.field.searchRequested.connect(self.search)
        self.field.leaveRequested.connect(self._on_field_leave_requested)
        for box in self.options:
            box.toggled.connect(self._on_option_toggled)
        self.table.openRequested.connect(self.open_hit)
        self.table.doubleClicked.connect(lambda index: self.open_hit(index.row()))
        self.table.labelKeyPressed.connect(self._on_table_label_key_pressed)
        self.model.checkedChanged.connect(self._on_model_checked_changed)
        self.tag_checked_button.clicked.connect(self._on_tag_checked_clicked)
        self.tag_all_button.clicked.connect(self._on_tag_all_clicked)
        self.session.changed.connect(self._on_session_changed)
        self.session.labelsChanged.connect(self._on_session_labels_changed)
        self._on_model_checked_changed(0)

    # --- public API --------------------------------------------------------------------------

    def on_shown(self) -> None:
        """Each time the dock is shown: the keyboard in the pattern field."""
        self.field.setFocus()
        self.field.selectAll()
        if self._stale:
            self.search()

    def on_hidden(self) -> None:
        pass

    def query(self):
        """The field and the options as a desktop.corpus.search.SearchQuery."""
        from desktop.corpus.search import SearchQuery

        return SearchQuery(
            self.field.text(),
            regex=self.regex.isChecked(),
            fold=self.fold.isChecked(),
            case=self.case.isChecked(),
            whole_words=self.whole_words.isChecked(),
        )

    @property
    def searching(self) -> bool:
        return self.job is not None and self.job.is_running and not self.job.is_cancelled

    def search(self) -> None:
        """Search every document for the field's pattern, off the GUI thread; a search still
        running is cancelled, and its hits dropped."""
        from desktop.corpus.search import SearchError, find_in_text, search

        self._timer.stop()
        self._stop()
        self._stale = False
        self.model.clear()
        self.error.hide()
        self._searched = None
        if not self.field.text().strip():
            self._show_count()
            return
        query = self.query()
        try:
            find_in_text("", query)  # a bad pattern is said at once, under the field
        except SearchError as exc:
            self.error.setText(str(exc))
            self.error.show()
            self._show_count()
            return
        self._generation += 1
        generation = self._generation
        store, batches = self.store, self._batches
        job: Job | None = None

        def work(progress) -> int:
            found = 0
            for batch in search(store, query, cancelled=lambda: job.is_cancelled):
                progress("searching", found, 0)  # raises once cancelled
                found += len(batch)
                batches.arrived.emit(generation, batch)
            return found

        job = Job(work, owner=self)
        job.succeeded.connect(lambda _found: self._on_job_ended(generation, None))
        job.failed.connect(lambda reason: self._on_job_ended(generation, reason))
        self.job = job
        self._searched = query
        self._show_count()
        job.start()

    def open_hit(self, row: int) -> None:
        """Enter or double-click: the document open with the hit selected."""
        if 0 <= row < len(self.model.hits):
            hit = self.model.hits[row]
            open_evidence(self.main_window, hit.document_id, hit.start, hit.end)

    def tag(self, hits: Sequence, label_id: int) -> bool:
        """Tag hits with a label as one undoable change (in one transaction)."""
        from desktop.corpus.search import TagHits

        if not hits:
            return False
        session = self.session
        label = session.label(label_id)
        command = TagHits(
            self.store,
            list(hits),
            label_id,
            session.editing.id,
            snap=self.main_window.view.snap_to_tokens,
            origin="review" if session.editing.is_gold else "manual",
        )
        if not session.execute(command):
            return False
        added, skipped = len(command.spans), command.skipped
        name = label.name if label is not None else "the label"
        text = f"Tagged {added:,} hit{'s' if added != 1 else ''} as {name}"
        if skipped:
            text += f"; {skipped:,} {'were' if skipped != 1 else 'was'} tagged so already"
        session.message.emit(text, 6000)
        return True

    def set_labels(self, labels) -> None:
        """The label chooser: each label with its keys, the choice kept where it can be."""
        chosen = self.label_choice.currentData()
        self.label_choice.clear()
        for number, label in enumerate(labels, start=1):
            keys = [
                k
                for k in (
                    label.shortcut.upper() if label.shortcut else "",
                    str(number) if number <= 9 else "",
                )
                if k
            ]
            self.label_choice.addItem(
                f"{label.name}  ({' · '.join(keys)})" if keys else label.name, label.id
            )
        index = self.label_choice.findData(chosen)
        self.label_choice.setCurrentIndex(max(index, 0))

    # --- helpers -----------------------------------------------------------------------------

    def _stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job = None
        self._generation += 1

    def _show_count(self) -> None:
        hits, documents = len(self.model.hits), self.model.documents()
        if self._searched is None:
            self.count.setText("")
        else:
            text = (
                f"{hits:,} hit{'s' if hits != 1 else ''} in {documents:,} "
                f"document{'s' if documents != 1 else ''}"
            )
            self.count.setText(text + (" — searching…" if self.searching else ""))
        self.tag_all_button.setEnabled(bool(hits) and not self.searching)

    def _current_rows(self) -> list[int]:
        index = self.table.currentIndex()
        return [index.row()] if index.isValid() else []

    # --- slots -------------------------------------------------------------------------------

    def _on_field_text_changed(self, _text: str) -> None:
        self._timer.start()

    def _on_option_toggled(self, _checked: bool) -> None:
        if self.field.text().strip():
            self.search()

    def _on_field_leave_requested(self) -> None:
        if self.model.rowCount():
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.model.index(0, HIT))

    def _on_batches_arrived(self, generation: int, batch) -> None:
        if generation != self._generation:
            return  # a search since cancelled
        self.model.append(batch)
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(0, HIT))
        self._show_count()

    def _on_job_ended(self, generation: int, reason: str | None) -> None:
        if generation != self._generation:
            return
        self.job = None
        if reason is not None:
            self.error.setText(reason)
            self.error.show()
        self._show_count()

    def _on_table_label_key_pressed(self, label_id: int) -> None:
        hits = self.model.checked_hits() or [self.model.hits[row] for row in self._current_rows()]
        self.tag(hits, label_id)

    def _on_tag_checked_clicked(self) -> None:
        label_id = self.label_choice.currentData()
        if label_id is not None:
            self.tag(self.model.checked_hits(), label_id)

    def _on_tag_all_clicked(self) -> None:
        label_id = self.label_choice.currentData()
        if label_id is not None and not self.searching:
            self.tag(list(self.model.hits), label_id)

    def _on_model_checked_changed(self, checked: int) -> None:
        self.tag_checked_button.setEnabled(checked > 0)
        # The count after two spaces: the tests' record of buttons reads the name before them.
        self.tag_checked_button.setText(f"Tag checked  ({checked})" if checked else "Tag checked")

    def _on_session_changed(self, change) -> None:
        self.model.apply_change(change)

    def _on_session_labels_changed(self, labels) -> None:
        self.set_labels(labels)
        if self.model.rowCount():
            if self.isVisible():
                self.search()  # the spans on the hits are read again, under their new names
            else:
                self._stale = True
