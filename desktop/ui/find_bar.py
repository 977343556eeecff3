"""Find in the document (Ctrl+F): the bar under the document view, its options, the hits
highlighted in the view, and stepping through them with F3 / Shift+F3. The hits come from
the same matcher as the corpus search (desktop/corpus/search.py)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeyEvent, QKeySequence, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTextEdit,
    QToolButton,
    QWidget,
)

HIT_COLOUR = QColor(255, 214, 10, 120)  # every hit: a light amber, the span bands show through
CURRENT_COLOUR = QColor(255, 140, 0, 170)  # the hit selected
MARGIN = 2000  # Qt positions highlighted beyond what is in view, so a small scroll shows them
PREFILL_LIMIT = 80  # a selection longer than this is not taken as what to find
LONG_TEXT = 100_000  # code points: in a longer text, the search waits for a pause in typing
TYPING_PAUSE = 150  # ms


class FindField(QLineEdit):
    """What to find. Enter / Shift+Enter: the next / previous hit; Esc closes the bar."""

    #: Enter (False) or Shift+Enter (True)
    stepRequested = Signal(bool)
    closeRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and modifiers in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.ShiftModifier,
        ):
            self.stepRequested.emit(modifiers == Qt.KeyboardModifier.ShiftModifier)
            return
        if key == Qt.Key.Key_Escape:
            self.closeRequested.emit()
            return
        super().keyPressEvent(event)


class FindBar(QWidget):
    """The bar: the field, the options, "3 of 17", previous / next and close."""

    def __init__(self, window):
        super().__init__(window)
        self.main_window = window
        self.view = window.view
        self.session = window.session
        self.hits: list[tuple[int, int]] = []  # Python offsets, in text order
        self._qt_hits: list[tuple[int, int]] = []  # the same as Qt positions
        self._qt_starts: list[int] = []
        self._qt_ends: list[int] = []
        self.current = -1  # index of the hit selected, -1 before the first step
        self._highlighted: tuple[int, int, int] | None = None  # (first, last, current) drawn
        self._text_searched: str | None = None  # the document text the hits are of

        self.field = FindField(self)
        self.field.setPlaceholderText("Find in the document")
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumWidth(260)
        self.case = QCheckBox("Match case", self)
        self.fold = QCheckBox("Ignore accents && apostrophes", self)
        self.fold.setToolTip("“Kataib” finds “Kata’ib” and “Katáib”")
        self.fold.setChecked(True)
        self.whole_words = QCheckBox("Whole words", self)
        self.regex = QCheckBox("Regular expression", self)
        self.count = QLabel(self)
        self.count.setMinimumWidth(90)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        self.previous_button = QToolButton(self)
        self.previous_button.setText("▲")
        self.previous_button.setToolTip("Previous hit (Shift+F3, Shift+Enter)")
        self.next_button = QToolButton(self)
        self.next_button.setText("▼")
        self.next_button.setToolTip("Next hit (F3, Enter)")
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Close the find bar (Esc)")
        for button in (self.previous_button, self.next_button, self.close_button):
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for box in (self.case, self.fold, self.whole_words, self.regex):
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab stays out of the way; Esc works

        row = QHBoxLayout(self)
        row.setContentsMargins(10, 3, 6, 3)
        row.addWidget(self.field)
        row.addWidget(self.previous_button)
        row.addWidget(self.next_button)
        row.addWidget(self.count)
        row.addWidget(self.error)
        row.addSpacing(8)
        for box in (self.case, self.fold, self.whole_words, self.regex):
            row.addWidget(box)
        row.addStretch(1)
        row.addWidget(self.close_button)
        self.hide()
        # Searching a 1 MB article takes a tenth of a second or more: there, not at every key.
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE)

        self._typing.timeout.connect(self.find)
        self.field.textChanged.connect(self._on_field_text_changed)
        self.field.stepRequested.connect(self.step)
        self.field.closeRequested.connect(self.close_bar)
        for box in (self.case, self.fold, self.whole_words, self.regex):
            box.toggled.connect(self._on_option_toggled)
        self.previous_button.clicked.connect(lambda: self.step(True))
        self.next_button.clicked.connect(lambda: self.step(False))
        self.close_button.clicked.connect(self.close_bar)
        self.session.documentOpened.connect(self._on_session_document_opened)
        self.view.updateRequest.connect(self._on_view_update_requested)

    # --- public API --------------------------------------------------------------------------

    def query(self):
        """The field and the options as a desktop.corpus.search.SearchQuery."""
        from desktop.corpus.search import SearchQuery  # not needed before the window paints

        return SearchQuery(
            self.field.text(),
            regex=self.regex.isChecked(),
            fold=self.fold.isChecked(),
            case=self.case.isChecked(),
            whole_words=self.whole_words.isChecked(),
        )

    def open_bar(self) -> None:
        """Ctrl+F: the bar shown with the keyboard in its field, holding the text selected
        in the view when there is a short one."""
        start, end = self.view.python_selection()
        selected = self.view.text[start:end]
        if selected.strip() and len(selected) <= PREFILL_LIMIT and "\n" not in selected:
            self.field.setText(selected)
        self.show()
        self.field.setFocus()
        self.field.selectAll()
        if self._text_searched != self.view.text:
            self.find()
        else:
            self._highlight()

    def close_bar(self) -> None:
        """Esc: the bar and its highlights gone; the hit selected stays selected, so that a
        label's key tags it."""
        self.hide()
        self._highlight(clear=True)
        self.view.setFocus()

    def find(self) -> None:
        """Find every hit of the field in the open document; the first at or after the
        cursor becomes the current one."""
        from desktop.corpus.search import SearchError, find_in_text

        self._typing.stop()
        text = self.view.text
        self._text_searched = text
        self.hits, self.current = [], -1
        self._highlighted = None
        self.error.hide()
        if self.field.text():
            try:
                self.hits = find_in_text(text, self.query())
            except SearchError as exc:
                self.error.setText(str(exc))
                self.error.show()
        offsets = self.view.offsets
        starts = offsets.to_qt_many([start for start, _ in self.hits])
        ends = offsets.to_qt_many([end for _, end in self.hits])
        self._qt_hits = list(zip(starts, ends, strict=True))
        self._qt_starts, self._qt_ends = starts, ends
        if self.hits:
            cursor = self.view.cursor_offset()
            selected = self.view.python_selection()
            here = selected[0] if selected[0] < selected[1] else cursor
            self.current = bisect_left([start for start, _ in self.hits], here) % len(self.hits)
            self._select_current()
        self._show_count()
        self._highlight()

    def step(self, backwards: bool = False) -> None:
        """The next (previous) hit selected in the view, wrapping round at the end."""
        if not self.isVisible():
            found = self._text_searched != self.view.text
            self.open_bar()
            if found or not self.hits:
                return  # the hit at or after the cursor is selected: that is the step
        if self._typing.isActive() or self._text_searched != self.view.text:
            self.find()  # the hit at or after the cursor is selected: the step is made
            return
        if not self.hits:
            self.session.message.emit(
                "Nothing to find: type in the find bar" if not self.field.text() else "No hits",
                3000,
            )
            return
        count = len(self.hits)
        if self.current < 0:
            self.current = 0 if not backwards else count - 1
        else:
            following = self.current + (-1 if backwards else 1)
            if following >= count:
                self.session.message.emit("Past the last hit: from the top again", 3000)
            elif following < 0:
                self.session.message.emit("Before the first hit: from the bottom again", 3000)
            self.current = following % count
        self._select_current()
        self._show_count()
        self._highlight()

    def highlighted(self) -> list[tuple[int, int]]:
        """The hits highlighted in the view now, as Python offsets (those in and near view)."""
        offsets = self.view.offsets
        return [
            offsets.to_python_range(
                selection.cursor.selectionStart(), selection.cursor.selectionEnd()
            )
            for selection in self.view.extraSelections()
        ]

    # --- drawing -----------------------------------------------------------------------------

    def _select_current(self) -> None:
        start, end = self.hits[self.current]
        self.view.select_span(None)
        self.view.select_python_range(start, end)
        self.view.ensureCursorVisible()

    def _show_count(self) -> None:
        if not self.field.text() or self.error.isVisible():
            self.count.setText("")
        elif not self.hits:
            self.count.setText("No hits")
        else:
            self.count.setText(f"{self.current + 1:,} of {len(self.hits):,}")

    def _highlight(self, clear: bool = False) -> None:
        """Highlight the hits in view (and a little around): a 1 MB article may hold tens of
        thousands, and Qt looks at every extra selection on each paint."""
        if clear or not self.isVisible() or not self._qt_hits:
            self._highlighted = None
            if self.view.extraSelections():
                self.view.setExtraSelections([])
            return
        viewport = self.view.viewport()
        top = self.view.cursorForPosition(QPoint(0, 0)).position() - MARGIN
        bottom = (
            self.view.cursorForPosition(QPoint(viewport.width(), viewport.height())).position()
            + MARGIN
        )
        first = bisect_right(self._qt_ends, top)
        last = bisect_left(self._qt_starts, bottom)
        if self._highlighted == (first, last, self.current):
            return
        self._highlighted = (first, last, self.current)
        selections = []
        for index in range(first, last):
            start, end = self._qt_hits[index]
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.view.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            colour = CURRENT_COLOUR if index == self.current else HIT_COLOUR
            text_format = QTextCharFormat()
            text_format.setBackground(colour)
            selection.format = text_format
            selections.append(selection)
        self.view.setExtraSelections(selections)

    # --- slots -------------------------------------------------------------------------------

    def _on_field_text_changed(self, _text: str) -> None:
        if len(self.view.text) > LONG_TEXT:
            self._typing.start()
        else:
            self.find()

    def _on_option_toggled(self, _checked: bool) -> None:
        self.find()
        if self.isVisible():
            self.field.setFocus()

    def _on_session_document_opened(self, _document) -> None:
        self._highlighted = None
        if self.isVisible():
            self.find()
        else:
            self._text_searched = None
            self.hits, self._qt_hits, self._qt_starts, self._qt_ends = [], [], [], []

    def _on_view_update_requested(self, _rect, _dy: int) -> None:
        if self.isVisible() and self._qt_hits:
            self._highlight()


class FindActions(QObject):
    """The find bar's menu entries and keys: Ctrl+F, F3 and Shift+F3."""

    def __init__(self, window, bar: FindBar):
        super().__init__(window)
        self.bar = bar
        self.find_action = _action(window, "&Find in document…", QKeySequence.StandardKey.Find)
        self.find_action.setStatusTip("Find words, a phrase or a pattern in the open document")
        self.find_action.triggered.connect(lambda _checked=False: bar.open_bar())
        self.next_action = _action(window, "Find ne&xt", "F3")
        self.next_action.triggered.connect(lambda _checked=False: bar.step(False))
        self.previous_action = _action(window, "Find pre&vious", "Shift+F3")
        self.previous_action.triggered.connect(lambda _checked=False: bar.step(True))

    @property
    def actions(self) -> list[QAction]:
        return [self.find_action, self.next_action, self.previous_action]


def _action(window, text: str, key) -> QAction:
    action = QAction(text, window)
    action.setShortcut(QKeySequence(key))
    window.addAction(action)
    return action


def install_find_bar(window) -> FindActions:
    """The find bar under the document view, and its entries at the top of the Document
    menu."""
    bar = FindBar(window)
    page = window.view.parentWidget().layout()
    page.insertWidget(page.indexOf(window.view) + 1, bar)
    actions = FindActions(window, bar)
    menu = window.document_menu
    first = menu.actions()[0] if menu.actions() else None
    menu.insertActions(first, actions.actions)
    menu.insertSeparator(first)
    return actions
