"""Review mode: compare two or more annotators on some documents, walk the review items
(disagreements first), settle each into the gold layer by key, and follow the progress.

The work is done by :class:`desktop.review.adjudicate.ReviewSession`; this module shows its
items, turns keys into its calls, and puts every decision on the window's undo stack.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QKeyEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.records import ReviewDecisionRecord
from db.store import StoreError, UnavailableError
from desktop.review.adjudicate import (
    ACCEPT,
    EDIT,
    REJECT,
    TAKE,
    ReviewCommand,
    ReviewSession,
)
from desktop.review.compare import AGREED, BOUNDARY, KINDS, LABEL, MISSING, ReviewError, ReviewItem
from desktop.ui import checklist
from desktop.ui.layers import pattern_pixmap
from desktop.ui.session import Session
from desktop.ui.table_models import list_table
from desktop.ui.undo import DatabaseUndoCommand, OnError
from desktop.ui.workers import Job

REVIEW_MODE_KEY = "Ctrl+R"
KIND_COLOUR = {  # Okabe-Ito: told apart with every common colour-vision deficiency
    AGREED: "#009E73",
    MISSING: "#E69F00",
    LABEL: "#CC79A7",
    BOUNDARY: "#0072B2",
}
KIND_TITLE = {
    AGREED: "Agreed",
    MISSING: "Missing on one side",
    LABEL: "Label disagreement",
    BOUNDARY: "Boundary disagreement",
}
FILTERS = (
    ("All items", lambda review, item: True),
    ("Pending", lambda review, item: not review.is_reviewed(item)),
    ("Disagreements", lambda review, item: item.is_disagreement),
    ("Agreed", lambda review, item: not item.is_disagreement),
)
OPEN_DOCUMENT = "open"  # the scope "only the open document", whichever it is on Compare
KEY_HINT = (
    "<b>1</b>–<b>{n}</b> take a side · <b>Enter</b> keep · <b>E</b> edit · "
    "<b>Backspace</b> reject · <b>Space</b> next pending · <b>A</b> accept all agreed · "
    "<b>Ctrl+Z</b> undo"
)


def display_order(items: list[ReviewItem]) -> list[ReviewItem]:
    """Disagreements first, then the agreed items, each in document order."""
    return [item for item in items if item.is_disagreement] + [
        item for item in items if not item.is_disagreement
    ]


def decision_summary(decision: ReviewDecisionRecord | None) -> str:
    """A decision in a few words: "pending", "took analyst_a's", "edited", …"""
    if decision is None:
        return "pending"
    if decision.action == TAKE:
        taken = next(
            (
                entry.get("annotator")
                for entry in decision.candidates or ()
                if isinstance(entry, dict) and entry.get("taken")
            ),
            None,
        )
        return f"took {taken}'s" if taken else "took a side"
    return {EDIT: "edited", REJECT: "rejected", ACCEPT: "accepted"}.get(
        decision.action, decision.action
    )


def _when(timestamp: str) -> str:
    try:
        moment = datetime.fromisoformat(timestamp).astimezone()
    except ValueError:
        return timestamp
    return moment.strftime("%d %b %H:%M")


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str, limit: int) -> str:
    """Escaped and shortened, in quotation marks unless it brings its own."""
    text = _short(text, limit)
    quoted = text if text[:1] in "“\"'‘«" else f"“{text}”"
    return html.escape(quoted)


class ReviewUndoCommand(DatabaseUndoCommand):
    """A review decision on the window's undo stack. It wraps a command that the review
    session has already applied, so the first redo (the push) does nothing.

    ``on_change`` redraws after undo and redo; failures are as for every edit (see
    :class:`desktop.ui.undo.DatabaseUndoCommand`).
    """

    refusals = (ReviewError, StoreError)

    def __init__(
        self,
        command: ReviewCommand,
        review: ReviewSession,
        text: str,
        stack: QUndoStack,
        on_change: Callable[[ReviewUndoCommand], None],
        on_error: OnError,
    ):
        super().__init__(text, stack, on_error)
        self.command = command
        self.review = review
        self._on_change = on_change

    def step(self, step: str) -> None:
        self.command.undo() if step == "undo" else self.command.redo()

    def changed(self, result: object) -> None:
        self._on_change(self)


class ReviewItemModel(QAbstractTableModel):
    """An adapter over the review items, disagreements first, filtered by decision or kind."""

    COLUMNS = ("Kind", "Text", "Document", "Decision")
    KIND, TEXT, DOCUMENT, DECISION = range(4)
    KEY_ROLE = Qt.ItemDataRole.UserRole

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._review: ReviewSession | None = None
        self._titles: dict[int, str] = {}
        self._ordered: list[ReviewItem] = []
        self._rows: list[ReviewItem] = []
        self._keep = FILTERS[0][1]

    # --- public API --------------------------------------------------------------------------

    def set_review(self, review: ReviewSession | None, titles: dict[int, str]) -> None:
        self._review = review
        self._titles = dict(titles)
        self._ordered = display_order(review.items) if review is not None else []
        self.refresh()

    def set_filter(self, index: int) -> None:
        self._keep = FILTERS[index][1]
        self.refresh()

    def refresh(self) -> None:
        """Filter again and redraw (after a decision, an undo or a redo)."""
        self.beginResetModel()
        review = self._review
        self._rows = [item for item in self._ordered if review and self._keep(review, item)]
        self.endResetModel()

    def item(self, row: int) -> ReviewItem | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, key: str) -> int | None:
        return next((row for row, item in enumerate(self._rows) if item.key == key), None)

    def items(self) -> list[ReviewItem]:
        """The items shown, in order."""
        return list(self._rows)

    def ordered(self) -> list[ReviewItem]:
        """Every item, disagreements first, whatever the filter."""
        return list(self._ordered)

    def title(self, document_id: int) -> str:
        return self._titles.get(document_id) or f"document {document_id}"

    # --- Qt overrides ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._review is None:
            return None
        item = self._rows[index.row()]
        column = index.column()
        decided = self._review.is_reviewed(item)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.KIND:
                return item.kind
            if column == self.TEXT:
                widest = max(item.candidates, key=lambda c: c.end - c.start)
                return _short(widest.text, 70)
            if column == self.DOCUMENT:
                return self.title(item.document_id)
            summary = decision_summary(self._review.decision(item))
            return f"✓ {summary}" if decided else summary
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.KIND:
                return QColor(KIND_COLOUR[item.kind])
            if decided or column == self.DOCUMENT:
                return QColor("#808080")
            return None
        if role == Qt.ItemDataRole.FontRole and column == self.KIND:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.FontRole and column == self.DECISION and not decided:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{KIND_TITLE[item.kind]} · {self.title(item.document_id)}"]
            lines += [
                f"{c.annotator}: {c.label} “{_short(c.text, 60)}” ({c.start}–{c.end})"
                for c in item.candidates
            ]
            lines += [f"{name}: no span" for name in item.absent]
            return "\n".join(lines)
        if role == self.KEY_ROLE:
            return item.key
        return None


class ReviewItemTable(QTableView):
    """The items; the review keys work while it has the focus."""

    #: take the side of the n-th compared annotator (0-based)
    takeRequested = Signal(int)
    #: Enter: keep what is there (accept an agreed span, take a missing span's only side)
    keepRequested = Signal()
    #: E: edit the outcome in the document
    editRequested = Signal()
    #: Backspace or Delete: settle the item with nothing in gold
    rejectRequested = Signal()
    #: A: accept every pending agreed item
    acceptAgreedRequested = Signal()
    #: Space / Shift+Space: the next / previous pending item (True: backwards)
    pendingRequested = Signal(bool)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers == Qt.KeyboardModifier.NoModifier:
            if int(Qt.Key.Key_1) <= key <= int(Qt.Key.Key_9):
                self.takeRequested.emit(key - int(Qt.Key.Key_1))
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.keepRequested.emit()
                return
            if key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
                self.rejectRequested.emit()
                return
            if key == Qt.Key.Key_E:
                self.editRequested.emit()
                return
            if key == Qt.Key.Key_A:
                self.acceptAgreedRequested.emit()
                return
        if key == Qt.Key.Key_Space and modifiers in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.ShiftModifier,
        ):
            self.pendingRequested.emit(modifiers == Qt.KeyboardModifier.ShiftModifier)
            return
        super().keyPressEvent(event)


class CandidateCard(QFrame):
    """One compared annotator's reading of the current item, with the key that takes it."""

    #: the Take button was clicked (the annotator's position, 0-based)
    takeClicked = Signal(int)

    def __init__(self, position: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.position = position
        self.setObjectName("candidate-card")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.header = QLabel(self)
        self.pattern = QLabel(self)
        self.body = QLabel(self)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.take = QPushButton(f"Take  {position + 1}", self)
        self.take.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.take.clicked.connect(lambda: self.takeClicked.emit(self.position))
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.header, 1)
        top.addWidget(self.pattern)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.take, 0, Qt.AlignmentFlag.AlignLeft)

    def show_side(
        self, annotator: str, style_index: int, rows: list[str], taken: bool, colour: QColor
    ) -> None:
        key = self.position + 1
        mark = " <span style='color:#009E73'>✓ taken</span>" if taken else ""
        self.header.setText(
            f"<span style='background:palette(mid); color:palette(window); "
            f"border-radius:3px'>&nbsp;{key}&nbsp;</span>&nbsp; <b>{html.escape(annotator)}</b>"
            f"{mark}"
        )
        self.pattern.setPixmap(pattern_pixmap("other", style_index, colour))
        self.pattern.setToolTip(f"{annotator}'s spans are underlined like this")
        if rows:
            self.body.setText("<br>".join(rows))
        else:
            self.body.setText("<i style='color:#808080'>no span here</i>")
        border = "#009E73" if taken else "palette(mid)"
        self.setStyleSheet(
            f"#candidate-card {{ border: 1px solid {border}; border-radius: 6px; "
            f"background: palette(base); }}"
        )
        self.take.setToolTip(
            f"Make {annotator}'s reading the gold outcome (key {key})"
            if rows
            else f"Side with {annotator}: nothing goes into gold here (key {key})"
        )


class ItemDetailsWidget(QWidget):
    """The current item: its kind, the candidates side by side, the decision, the keys."""

    #: a card's Take button (annotator position, 0-based)
    takeClicked = Signal(int)
    editClicked = Signal()
    rejectClicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.cards_row = QHBoxLayout()
        self.cards_row.setSpacing(8)
        self.cards: list[CandidateCard] = []
        self.outcome = QLabel(self)
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.edit_button = QPushButton("Edit  E", self)
        self.reject_button = QPushButton("Reject  ⌫", self)
        for button in (self.edit_button, self.reject_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.edit_button.setToolTip(
            "Select the gold extent in the document (the item is preselected), "
            "then press the label's key"
        )
        self.reject_button.setToolTip("Settle this item with nothing in gold (Backspace)")
        self.edit_button.clicked.connect(self.editClicked)
        self.reject_button.clicked.connect(self.rejectClicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(mid);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addLayout(self.cards_row)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        self.show_nothing()

    def show_nothing(self, text: str = "") -> None:
        self.title.setText(text)
        for card in self.cards:
            card.hide()
        self.outcome.setText("")
        self.edit_button.setEnabled(False)
        self.reject_button.setEnabled(False)
        self.hint.setText("")

    def show_item(
        self,
        item: ReviewItem,
        document_title: str,
        decision: ReviewDecisionRecord | None,
        outcome: list[tuple[str, str, str]],
        colours: dict[str, str],
    ) -> None:
        """``outcome``: (label, text, offsets) of the gold spans the decision wrote."""
        colour = QColor(KIND_COLOUR[item.kind])
        self.title.setText(
            f"<span style='color:{colour.name()}'>■</span> <b>{KIND_TITLE[item.kind]}</b>"
            f"<br><span style='color:#808080'>{html.escape(_short(document_title, 70))} · "
            f"characters {item.start}–{item.end}</span>"
        )
        taken = {
            entry.get("annotator")
            for entry in (decision.candidates if decision and decision.action == TAKE else ())
            if isinstance(entry, dict) and entry.get("taken")
        }
        while len(self.cards) < len(item.annotators):
            card = CandidateCard(len(self.cards), self)
            card.takeClicked.connect(self.takeClicked)
            self.cards.append(card)
            self.cards_row.addWidget(card, 1)
        text_colour = self.palette().windowText().color()
        for position, card in enumerate(self.cards):
            if position >= len(item.annotators):
                card.hide()
                continue
            annotator = item.annotators[position]
            rows = [
                f"<span style='color:{colours.get(c.label.casefold(), '#999999')}'>■</span> "
                f"<b>{html.escape(c.label)}</b> "
                f"<span style='color:#808080'>{c.start}–{c.end}</span><br>"
                f"{_quoted(c.text, 160)}"
                for c in item.spans_of(annotator)
            ]
            card.show_side(annotator, position + 1, rows, annotator in taken, text_colour)
            card.show()
        if decision is None:
            self.outcome.setText("<i style='color:#808080'>Pending: no decision yet</i>")
        else:
            gold = "; ".join(
                f"<b>{html.escape(label)}</b> {_quoted(text, 80)} ({where})"
                for label, text, where in outcome
            )
            self.outcome.setText(
                f"<span style='color:#009E73'>✓</span> <b>{decision_summary(decision)}</b> "
                f"by {html.escape(decision.reviewer)}, {_when(decision.created_at)}"
                f"<br>Gold: {gold or '<i>nothing</i>'}"
            )
        self.edit_button.setEnabled(True)
        self.reject_button.setEnabled(True)
        self.hint.setText(KEY_HINT.format(n=len(item.annotators)))


class ReviewSetupWidget(QWidget):
    """Which annotators to compare (two or more) and on which documents."""

    #: Compare was pressed: (annotator names, document ids or None for all)
    compareRequested = Signal(list, object)

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self._session = session
        self.annotators = QListWidget(self)
        self.annotators.setMaximumHeight(96)
        self.documents = QComboBox(self)
        self.compare_button = QPushButton("Compare", self)
        self.compare_button.setDefault(True)
        self.problem = QLabel(self)
        self.problem.setStyleSheet("color: #B00020;")
        self.problem.setWordWrap(True)
        caption = QLabel("<b>Annotators to compare</b> (two or more)", self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Documents:", self))
        row.addWidget(self.documents, 1)
        row.addWidget(self.compare_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(caption)
        layout.addWidget(self.annotators)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        self.compare_button.clicked.connect(self._on_compare_clicked)
        self.annotators.itemChanged.connect(self._on_annotators_changed)

    def prepare(self) -> None:
        """Fill the lists from the project, keeping what was checked."""
        session = self._session
        store = session.store
        try:
            annotators, count = store.annotators(), store.document_count()
        except StoreError as exc:
            session.report_read_failure(exc, "The lists to compare may be out of date.", None)
            return
        rows = checklist.annotators_to_compare(
            annotators, session.annotator.name, self.checked(), gold=False
        )
        checklist.fill(self.annotators, rows)
        checklist.fill_scope(self.documents, count, session.document, OPEN_DOCUMENT)
        self._on_annotators_changed()

    def set_checked(self, names: list[str]) -> None:
        for row in range(self.annotators.count()):
            item = self.annotators.item(row)
            wanted = item.text() in names
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def checked(self) -> list[str]:
        return checklist.ticked(self.annotators)

    def document_ids(self) -> list[int] | None:
        if self.documents.currentData() == OPEN_DOCUMENT and self._session.document is not None:
            return [self._session.document.id]
        return None

    def _on_annotators_changed(self, *_args) -> None:
        enough = len(self.checked()) >= 2
        self.compare_button.setEnabled(enough)
        self.problem.setText("" if enough else "Check two or more annotators to compare.")

    def _on_compare_clicked(self) -> None:
        self.compareRequested.emit(self.checked(), self.document_ids())


class ReviewModeWidget(QWidget):
    """The review dock: setup, progress, the items, and the current item's candidates."""

    #: a comparison finished and its items are listed
    reviewStarted = Signal()
    #: review mode ended (the view shows one's own spans again)
    reviewEnded = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.view = session.view
        self.review: ReviewSession | None = None
        self.job: Job | None = None
        self._request: tuple[list[str], list[int] | None] | None = None
        self._quiet = False
        self._adjusting = False  # E was pressed: the view holds the extent being edited
        self.dock: QDockWidget | None = None  # set by install_review
        self.open_action: QAction | None = None

        self.setup = ReviewSetupWidget(session, self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.change_button = QPushButton("Change…", self)
        self.again_button = QPushButton("Compare again", self)
        self.end_button = QPushButton("End review", self)
        for button in (self.change_button, self.again_button, self.end_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        running = QWidget(self)
        running_layout = QVBoxLayout(running)
        running_layout.setContentsMargins(0, 0, 0, 0)
        running_layout.addWidget(self.summary)
        buttons = QHBoxLayout()
        buttons.addWidget(self.change_button)
        buttons.addWidget(self.again_button)
        buttons.addStretch(1)
        buttons.addWidget(self.end_button)
        running_layout.addLayout(buttons)
        self.running_box = running
        running.hide()

        self.job_bar = QProgressBar(self)
        self.job_bar.setTextVisible(False)
        self.job_bar.setMaximumHeight(8)
        self.cancel_button = QPushButton("Cancel", self)
        job_row = QHBoxLayout()
        job_row.addWidget(self.job_bar, 1)
        job_row.addWidget(self.cancel_button)
        self.job_row = QWidget(self)
        self.job_row.setLayout(job_row)
        job_row.setContentsMargins(0, 0, 0, 0)
        self.job_row.hide()

        self.progress_label = QLabel(self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(6)
        self.kinds_label = QLabel(self)
        self.kinds_label.setTextFormat(Qt.TextFormat.RichText)
        self.kinds_label.setWordWrap(True)
        self.filter = QComboBox(self)
        for title, _keep in FILTERS:
            self.filter.addItem(title)
        self.filter.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.accept_button = QPushButton("Accept all agreed", self)
        self.accept_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.accept_button.setToolTip(
            "Put every pending agreed span into gold in one step (A; Ctrl+Z undoes it)"
        )
        list_row = QHBoxLayout()
        list_row.addWidget(QLabel("Show:", self))
        list_row.addWidget(self.filter)
        list_row.addStretch(1)
        list_row.addWidget(self.accept_button)

        self.model = ReviewItemModel(self)
        self.table = ReviewItemTable(self)
        self.table.setModel(self.model)
        list_table(self.table)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ReviewItemModel.KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ReviewItemModel.TEXT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ReviewItemModel.DOCUMENT, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(
            ReviewItemModel.DECISION, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.setColumnWidth(ReviewItemModel.DOCUMENT, 90)
        self.details = ItemDetailsWidget(self)

        self.body = QWidget(self)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.progress_label)
        body.addWidget(self.progress_bar)
        body.addWidget(self.kinds_label)
        body.addLayout(list_row)
        body.addWidget(self.table, 1)
        body.addWidget(self.details)
        self.body.hide()
        self.empty = QLabel(
            "Choose the annotators whose tags you review and press Compare. Dossier lists "
            "every disagreement; you settle each into the gold layer by key.",
            self,
        )
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: palette(mid);")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.setup)
        layout.addWidget(self.running_box)
        layout.addWidget(self.job_row)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.empty, 1)

        self.setup.compareRequested.connect(self._on_setup_compare_requested)
        self.change_button.clicked.connect(self._on_change_clicked)
        self.again_button.clicked.connect(self.compare_again)
        self.end_button.clicked.connect(self.end)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.filter.currentIndexChanged.connect(self._on_filter_changed)
        self.accept_button.clicked.connect(self.accept_all_agreed)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_changed)
        self.table.takeRequested.connect(self.take)
        self.table.keepRequested.connect(self.keep)
        self.table.editRequested.connect(self.edit)
        self.table.rejectRequested.connect(self.reject)
        self.table.acceptAgreedRequested.connect(self.accept_all_agreed)
        self.table.pendingRequested.connect(self.go_pending)
        self.details.takeClicked.connect(self.take)
        self.details.editClicked.connect(self.edit)
        self.details.rejectClicked.connect(self.reject)
        session.layersChanged.connect(self._on_session_layers_changed)
        self.view.installEventFilter(self)

    # --- public API: starting and ending -----------------------------------------------------

    def prepare(self) -> None:
        """Refresh the setup from the project (annotators, the open document)."""
        self.setup.prepare()

    def start(self, annotators: list[str], document_ids: list[int] | None = None) -> Job:
        """Compare ``annotators`` on the documents (None: all) in the background; the items
        are listed when it is done (:attr:`reviewStarted`)."""
        if self.job is not None and self.job.is_running:
            self.job.cancel()
        store = self.session.store
        reviewer = self.session.annotator.name
        self._request = (list(annotators), None if document_ids is None else list(document_ids))

        def work(progress):
            review = ReviewSession(
                store, annotators, document_ids, reviewer=reviewer, progress=progress
            )
            titles = {summary.id: summary.title for summary in store.list_documents()}
            return review, titles

        job = Job(work, self)
        job.progressed.connect(self._on_job_progressed)
        job.succeeded.connect(lambda result, job=job: self._on_job_succeeded(job, result))
        job.failed.connect(self._on_job_failed)
        job.cancelled.connect(lambda: self.session.message.emit("Comparison cancelled", 4000))
        job.ended.connect(lambda job=job: self._on_job_ended(job))
        self.job = job
        self.job_bar.setRange(0, 0)
        self.job_row.show()
        self.setup.problem.setText("")
        job.start()
        return job

    def compare_again(self) -> Job | None:
        """Compare the same annotators again (after their spans changed)."""
        if self._request is None:
            return None
        return self.start(*self._request)

    def end(self) -> None:
        """Leave review mode: the view shows one's own spans again; decisions stay."""
        if self.review is None:
            return
        self.review = None
        self._adjusting = False
        self.model.set_review(None, {})
        self.details.show_nothing()
        self.body.hide()
        self.empty.show()
        self._show_setup(True)
        self.setup.prepare()
        self.session.set_layers([self.session.annotator])
        self.reviewEnded.emit()

    # --- public API: the items ---------------------------------------------------------------

    def current_item(self) -> ReviewItem | None:
        index = self.table.currentIndex()
        return self.model.item(index.row()) if index.isValid() else None

    def select_item(
        self, item: ReviewItem | None, *, show: bool = True, reveal: bool = False
    ) -> bool:
        """Make ``item`` current and, with ``show``, show it in the document. With
        ``reveal``, a filter that hides the item is reset to every item."""
        if item is None:
            return False
        row = self.model.row_of(item.key)
        if row is None and reveal and self.filter.currentIndex() != 0:
            self.filter.setCurrentIndex(0)
            row = self.model.row_of(item.key)
        if row is None:
            return False
        self._quiet = True
        try:
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.table.scrollTo(self.model.index(row, 0))
        finally:
            self._quiet = False
        if show:
            self._show_item(item)
        return True

    def progress_text(self) -> str:
        """ "Reviewed N of M", as shown above the list."""
        return self.progress_label.text().replace("<b>", "").replace("</b>", "")

    def go_pending(
        self, backwards: bool = False, *, after: ReviewItem | None = None
    ) -> ReviewItem | None:
        """Move to the next (or previous) pending item the list shows, after the current one
        (or ``after``) in the list's order, wrapping round."""
        if self.review is None:
            return None
        ordered = self.model.ordered()
        count = len(ordered)
        if not count:
            return None
        reference = after or self.current_item()
        here = next(
            (i for i, item in enumerate(ordered) if reference and item.key == reference.key),
            count if backwards else -1,
        )
        step = -1 if backwards else 1
        for offset in range(1, count + 1):
            item = ordered[(here + step * offset) % count]
            if not self.review.is_reviewed(item) and self.model.row_of(item.key) is not None:
                self.select_item(item)
                return item
        self.session.message.emit("No pending item left in this list", 5000)
        return None

    # --- public API: deciding ----------------------------------------------------------------

    def take(self, position: int) -> None:
        """Take the side of the compared annotator at ``position`` (0-based; key 1 is 0)."""
        item = self.current_item()
        if item is None or self.review is None:
            return
        if not 0 <= position < len(item.annotators):
            self.session.message.emit(
                f"Only {len(item.annotators)} annotators are compared: keys 1–"
                f"{len(item.annotators)}",
                4000,
            )
            return
        annotator = item.annotators[position]
        review = self.review
        self._decide(lambda: review.take(item, annotator), f"Take {annotator}'s side")

    def keep(self) -> None:
        """Enter: accept an agreed item, or take the only reading of a missing one."""
        item = self.current_item()
        if item is None or self.review is None:
            return
        review = self.review
        if item.kind == AGREED:
            self._decide(lambda: review.accept_agreed([item]), "Accept an agreed span")
        elif item.kind == MISSING:
            holder = item.holders[0]
            self._decide(lambda: review.take(item, holder), f"Take {holder}'s side")
        else:
            self.session.message.emit(
                "Several readings here: press 1–"
                f"{len(item.annotators)} to take one, E to edit, Backspace to reject",
                5000,
            )

    def reject(self) -> None:
        """Settle the current item with nothing in gold."""
        item = self.current_item()
        if item is None or self.review is None:
            return
        review = self.review
        self._decide(lambda: review.reject(item), "Reject a review item")

    def edit(self) -> None:
        """E: select the item's extent in the document for the reviewer to adjust; the
        label's key then makes that the gold outcome (see :meth:`edit_selection`)."""
        item = self.current_item()
        if item is None:
            return
        self._show_item(item)
        self.view.select_python_range(item.start, item.end)
        self.view.selection_is_exact = True
        self._adjusting = True
        self.view.setFocus()
        self.session.message.emit(
            "Adjust the selection (Shift+arrows, or drag), then press the label's key; "
            "Esc goes back to the list",
            8000,
        )

    def edit_selection(self, label_id: int) -> bool:
        """Make the text selected in the view, with this label, the current item's gold
        outcome. Returns False (nothing done) unless the selection overlaps the item."""
        item = self.current_item()
        review = self.review
        session = self.session
        if item is None or review is None or not session.editing.is_gold:
            return False
        if session.document is None or session.document.id != item.document_id:
            return False
        start, end = self.view.python_selection()
        if start >= end:
            return False
        if self.view.snap_to_tokens and not self.view.selection_is_exact:
            start, end = session.token_index().snap(start, end)
        if not (start < item.end and item.start < end):
            return False
        label = session.label(label_id)
        if label is None:
            return False
        self._adjusting = False
        self.view.clear_text_selection()
        self._decide(
            lambda: review.edit(item, label.name, start, end), f"Edit the outcome to {label.name}"
        )
        self.table.setFocus()
        return True

    def accept_all_agreed(self) -> None:
        """Put every pending agreed item into gold, in one step and one undo."""
        if self.review is None:
            return
        review = self.review
        count = len(review.pending([AGREED]))
        self._decide(
            lambda: review.accept_agreed(),
            f"Accept {count} agreed span(s)",
            advance=False,
            nothing="No agreed item is pending",
        )

    # --- deciding: the common path -----------------------------------------------------------

    def _decide(
        self,
        make: Callable[[], ReviewCommand | None],
        text: str,
        *,
        advance: bool = True,
        nothing: str = "",
    ) -> bool:
        review = self.review
        try:
            command = make()
        except UnavailableError as exc:

            def again() -> bool:  # the same decision, while the same comparison is open
                return self.review is review and self._decide(make, text, advance=advance)

            self.session.report_write_failure(exc, "The decision was not recorded.", again)
            return False
        except (ReviewError, StoreError) as exc:
            self.session.failed.emit(str(exc))
            return False
        if command is None:
            if nothing:
                self.session.message.emit(nothing, 4000)
            return False
        session = self.session
        session.undo_stack.push(
            ReviewUndoCommand(
                command,
                review,
                text,
                session.undo_stack,
                self._on_undo_changed,
                session.report_step_failure,
            )
        )
        self.session.message.emit(f"{text}: saved", 3000)
        current = self.current_item()
        self._redraw(command)
        if advance and self.go_pending(after=current) is not None:
            return True
        if not self.select_item(current) and self.model.rowCount():
            self.select_item(self.model.item(0))
        return True

    def _redraw(self, command: ReviewCommand) -> None:
        """After a decision, an undo or a redo: the list, the progress and the view."""
        current = self.current_item()
        self.model.refresh()
        self._update_progress()
        document = self.session.document
        if document is not None and document.id in command.document_ids:
            self.session.reload_spans()
        if current is not None and self.select_item(current, show=False):
            self._show_details(current)

    # --- showing -----------------------------------------------------------------------------

    def _show_setup(self, setup: bool) -> None:
        """The annotator checklist, or (once comparing) a line saying what is compared."""
        self.setup.setVisible(setup)
        self.running_box.setVisible(not setup)

    def _show_item(self, item: ReviewItem) -> None:
        """The item's candidates here, and its spans in the document view."""
        self._show_details(item)
        session = self.session
        if session.document is None or session.document.id != item.document_id:
            session.open_document(item.document_id, scroll_to=item.start)
        target = None
        if self.review is not None and self.review.is_reviewed(item):
            outcome = self.review.outcome(item)
            target = outcome[0].uuid if outcome else None
        if target is None or self.view.view_span(target) is None:
            target = next(
                (c.uuid for c in item.candidates if self.view.view_span(c.uuid) is not None),
                None,
            )
        if target is not None:
            self.view.select_span(target, reveal=True)

    def _show_details(self, item: ReviewItem | None) -> None:
        if item is None or self.review is None:
            self.details.show_nothing()
            return
        decision = self.review.decision(item)
        outcome = []
        if decision is not None:
            outcome = [
                (span.label, span.text, f"{span.start}–{span.end}")
                for span in self.review.outcome(item)
            ]
        colours = {label.name.casefold(): label.colour for label in self.session.labels}
        self.details.show_item(item, self.model.title(item.document_id), decision, outcome, colours)

    def _update_progress(self) -> None:
        if self.review is None:
            return
        progress = self.review.progress()
        self.progress_label.setText(f"<b>Reviewed {progress.reviewed} of {progress.total}</b>")
        self.progress_bar.setRange(0, max(progress.total, 1))
        self.progress_bar.setValue(progress.reviewed)
        parts = []
        for kind in (MISSING, LABEL, BOUNDARY, AGREED):
            done, total = progress.per_kind.get(kind, (0, 0))
            parts.append(f"<span style='color:{KIND_COLOUR[kind]}'>■</span> {kind} {done}/{total}")
        self.kinds_label.setText(" &nbsp; ".join(parts))
        pending_agreed = progress.per_kind[AGREED][1] - progress.per_kind[AGREED][0]
        self.accept_button.setText(f"Accept all agreed ({pending_agreed})")
        self.accept_button.setEnabled(pending_agreed > 0)

    def kind_counts(self) -> dict[str, tuple[int, int]]:
        """Reviewed and total per kind, as the progress line shows them."""
        return self.review.progress().per_kind if self.review else {kind: (0, 0) for kind in KINDS}

    # --- Qt overrides ------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # In review mode a label key over a selection that overlaps the current item edits
        # the item; anywhere else the view tags as usual (a new gold span).
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and self.review is not None
        ):
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
                label_id = self.view.label_of_key(event.text())
                if label_id is not None and self.edit_selection(label_id):
                    return True
            if event.key() == Qt.Key.Key_Escape and self._adjusting:
                self._adjusting = False
                self.table.setFocus()
        return super().eventFilter(watched, event)

    # --- slots -------------------------------------------------------------------------------

    def _on_setup_compare_requested(self, annotators: list, document_ids) -> None:
        self.start(annotators, document_ids)

    def _on_change_clicked(self) -> None:
        self.setup.prepare()
        self._show_setup(True)

    def _on_cancel_clicked(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_job_progressed(self, _phase: str, done: int, total: int) -> None:
        self.job_bar.setRange(0, max(total, 1))
        self.job_bar.setValue(done)

    def _on_job_succeeded(self, job: Job, result) -> None:
        if job is not self.job:
            return
        review, titles = result
        keep = self.current_item()
        self.review = review
        self._adjusting = False
        self.model.set_review(review, titles)
        names = ", ".join(review.annotators)
        scope = (
            "all documents"
            if review.document_ids is None
            else f"{len(review.document_ids)} document(s)"
        )
        self.summary.setText(
            f"Comparing <b>{html.escape(names)}</b> on {scope}; reviewing as "
            f"<b>{html.escape(review.reviewer.name)}</b> into <b>gold</b>"
        )
        self._show_setup(False)
        self.empty.hide()
        self.body.show()
        self._update_progress()
        try:
            known = {annotator.name: annotator for annotator in self.session.store.annotators()}
        except StoreError as exc:
            self.session.report_read_failure(exc, "Only gold is shown beside the list.", None)
            known = {}
        layers = [known[name] for name in review.annotators if name in known] + [review.gold]
        self.session.set_layers(layers, editing=review.gold)
        again = review.item(keep.key) if keep is not None else None
        if again is not None:
            self.select_item(again)
        elif self.go_pending() is None and self.model.rowCount():
            self.select_item(self.model.item(0))
        if not self.model.rowCount():
            self.details.show_nothing("These annotators have no accepted spans to compare.")
        self.table.setFocus()
        self.reviewStarted.emit()

    def _on_job_failed(self, reason: str) -> None:
        self.setup.problem.setText(reason)
        self._show_setup(True)
        self.session.message.emit(f"Could not compare: {reason}", 8000)

    def _on_job_ended(self, job: Job) -> None:
        if job is self.job:
            self.job_row.hide()

    def _on_filter_changed(self, index: int) -> None:
        current = self.current_item()
        self.model.set_filter(index)
        if current is not None and self.model.row_of(current.key) is not None:
            self.select_item(current, show=False)
        elif self.model.rowCount():
            self.select_item(self.model.item(0))

    def _on_table_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._quiet or not current.isValid():
            return
        item = self.model.item(current.row())
        if item is not None:
            self._adjusting = False
            self._show_item(item)

    def _on_undo_changed(self, command: ReviewUndoCommand) -> None:
        if self.review is None:  # review mode has ended: only the view needs redrawing
            document = self.session.document
            if document is not None and document.id in command.command.document_ids:
                self.session.reload_spans()
            return
        if command.review is not self.review:
            # A decision of an earlier comparison: its items may have other keys now.
            self.compare_again()
            return
        self._redraw(command.command)
        items = command.command.items
        if items:
            self.select_item(self.review.item(items[0].key) or items[0], reveal=True)

    def _on_session_layers_changed(self) -> None:
        if self.review is not None and not self.session.editing.is_gold:
            self.session.message.emit(
                "Review mode is on, but gold is not shown: label keys tag as usual", 5000
            )


def review_menu(window) -> QMenu:
    """The window's Review menu (made, before Help, by whichever feature needs it first)."""
    bar = window.menuBar()
    for action in bar.actions():
        menu = action.menu()
        if menu is not None and menu.objectName() == "review-menu":
            return menu
    menu = QMenu("&Review", window)
    menu.setObjectName("review-menu")
    help_action = next(
        (a for a in bar.actions() if a.menu() is not None and a.text() == "&Help"), None
    )
    if help_action is not None:
        bar.insertMenu(help_action, menu)
    else:
        bar.addMenu(menu)
    return menu


def install_review(window) -> ReviewModeWidget:
    """Add review mode to the window: a dock next to the span panel and the Review menu."""
    widget = ReviewModeWidget(window.session, window)
    dock = QDockWidget("Review", window)
    dock.setObjectName("review-dock")
    dock.setWidget(widget)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.tabifyDockWidget(window.spans_dock, dock)
    dock.hide()
    widget.dock = dock

    def make_room() -> None:
        # The list needs height; the label palette above it needs little while reviewing.
        window.resizeDocks([window.labels_dock, dock], [175, 800], Qt.Orientation.Vertical)

    widget.reviewStarted.connect(make_room)

    def open_review_mode() -> None:
        dock.show()
        dock.raise_()
        if widget.review is None:
            widget.setup.annotators.setFocus()
        else:
            widget.table.setFocus()

    def on_dock_visibility_changed(visible: bool) -> None:
        # Also when the dock comes back with the window's saved layout.
        if visible and widget.review is None:
            widget.prepare()

    dock.visibilityChanged.connect(on_dock_visibility_changed)

    menu = review_menu(window)
    start = QAction("&Review mode… (compare annotators)", window)
    start.setShortcut(QKeySequence(REVIEW_MODE_KEY))
    start.setStatusTip("Compare annotators and settle their disagreements into gold")
    start.triggered.connect(lambda _checked=False: open_review_mode())
    again = QAction("&Compare again", window)
    again.triggered.connect(lambda _checked=False: widget.compare_again())
    accept = QAction("&Accept all agreed", window)
    accept.triggered.connect(lambda _checked=False: widget.accept_all_agreed())
    end = QAction("&End review mode", window)
    end.triggered.connect(lambda _checked=False: widget.end())

    def enable() -> None:
        running = widget.review is not None
        for action in (again, accept, end):
            action.setEnabled(running)

    menu.aboutToShow.connect(enable)
    window.addAction(start)
    menu.addActions([start, again, accept, end])
    shown = window.view_menu.actions()
    spans = window.spans_dock.toggleViewAction()
    after = shown[shown.index(spans) + 1] if spans in shown[:-1] else None
    window.view_menu.insertAction(after, dock.toggleViewAction())
    widget.open_action = start
    return widget
