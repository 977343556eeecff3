"""Driving the window as a person does: mouse drags, clicks and keys at offsets in the document
view, and the buttons, lists, menus and dialogs around it."""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent, QTextCursor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QToolTip,
    QWidget,
)

from desktop.ui.document_view import DocumentView


def point_at(view: DocumentView, offset: int) -> QPoint:
    """Where, in the view, the boundary before a Python offset is drawn."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.offsets.to_qt(offset))
    return view.cursorRect(cursor).center()


def reveal(view: DocumentView, offset: int) -> None:
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.offsets.to_qt(offset))
    view.setTextCursor(cursor)
    view.ensureCursorVisible()
    QApplication.processEvents()


def _send(view: DocumentView, kind, point: QPoint, buttons, modifiers) -> None:
    button = (
        Qt.MouseButton.LeftButton if kind != QMouseEvent.Type.MouseMove else Qt.MouseButton.NoButton
    )
    event = QMouseEvent(
        kind,
        QPointF(point),
        QPointF(view.viewport().mapToGlobal(point)),
        button,
        buttons,
        modifiers,
    )
    QApplication.sendEvent(view.viewport(), event)


def drag(
    view: DocumentView, start: int, end: int, modifiers=Qt.KeyboardModifier.NoModifier
) -> None:
    """Press the mouse before ``start``, move to ``end`` and release, as a person selects."""
    reveal(view, start)
    first, last = point_at(view, start), point_at(view, end)
    held = Qt.MouseButton.LeftButton
    _send(view, QMouseEvent.Type.MouseButtonPress, first, held, modifiers)
    middle = QPoint((first.x() + last.x()) // 2, (first.y() + last.y()) // 2)
    _send(view, QMouseEvent.Type.MouseMove, middle, held, modifiers)
    _send(view, QMouseEvent.Type.MouseMove, last, held, modifiers)
    _send(view, QMouseEvent.Type.MouseButtonRelease, last, Qt.MouseButton.NoButton, modifiers)
    QApplication.processEvents()


def place_cursor(view: DocumentView, offset: int) -> None:
    """Click on the boundary before ``offset``: the text cursor goes there (a span under
    the click is selected too, as a click does)."""
    reveal(view, offset)
    point = point_at(view, offset)
    none = Qt.KeyboardModifier.NoModifier
    _send(view, QMouseEvent.Type.MouseButtonPress, point, Qt.MouseButton.LeftButton, none)
    _send(view, QMouseEvent.Type.MouseButtonRelease, point, Qt.MouseButton.NoButton, none)
    QApplication.processEvents()
    assert view.cursor_offset() == offset


def hover(view: DocumentView, offset: int) -> str:
    """Rest the mouse on the character at ``offset``; returns the tooltip shown."""
    reveal(view, offset)
    first, after = point_at(view, offset), point_at(view, offset + 1)
    point = QPoint((first.x() + after.x()) // 2, first.y()) if after.y() == first.y() else first
    _send(
        view,
        QMouseEvent.Type.MouseMove,
        point,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.processEvents()
    return QToolTip.text() if QToolTip.isVisible() else ""


def click(view: DocumentView, offset: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Click in the middle of the character at ``offset``."""
    reveal(view, offset)
    first, after = point_at(view, offset), point_at(view, offset + 1)
    point = (
        QPoint((first.x() + after.x()) // 2, first.y())
        if after.y() == first.y()
        else first + QPoint(2, 0)
    )
    _send(view, QMouseEvent.Type.MouseButtonPress, point, Qt.MouseButton.LeftButton, modifiers)
    _send(view, QMouseEvent.Type.MouseButtonRelease, point, Qt.MouseButton.NoButton, modifiers)
    QApplication.processEvents()


# --- buttons, dialogs, lists and menus ---------------------------------------------------------

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def press(qtbot, button: QAbstractButton) -> None:
    """Click a button with the mouse, as a person does (a disabled one does nothing)."""
    assert button.isVisible(), f"{button.text()!r} is not on screen"
    if isinstance(button, (QCheckBox, QRadioButton)):
        # On the box or the circle: the rest of a stretched row is not the button.
        qtbot.mouseClick(button, LEFT, pos=QPoint(6, button.height() // 2))
    else:
        qtbot.mouseClick(button, LEFT)
    QApplication.processEvents()


def type_into(qtbot, edit: QWidget, text: str) -> None:
    """Select what a text field holds and type ``text`` over it."""
    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    if text:
        qtbot.keyClicks(edit, text)
    else:
        qtbot.keyClick(edit, Qt.Key.Key_Delete)


def button_of(dialog: QWidget, which: QDialogButtonBox.StandardButton) -> QPushButton:
    """A dialog's standard button (OK, Cancel, Save, …)."""
    for box in dialog.findChildren(QDialogButtonBox):
        button = box.button(which)
        if button is not None:
            return button
    raise AssertionError(f"{type(dialog).__name__} has no {which.name} button")


def press_ok(qtbot, dialog: QWidget) -> None:
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Ok))


class Answer(list):
    """The titles of the dialogs an :func:`answer_dialog` answered (one at most);
    ``stop()`` stops it from waiting any longer."""

    def __init__(self):
        super().__init__()
        self.waiting = True

    def stop(self) -> None:
        self.waiting = False
        if self in _waiting:
            _waiting.remove(self)


_waiting: list[Answer] = []


def stop_answering() -> None:
    """Stop every answer still waiting (at the end of a test: none may answer the next)."""
    for answer in list(_waiting):
        answer.stop()


def answer_dialog(qtbot, kind: type, answer, timeout: int = 15000) -> Answer:
    """Answer the next modal dialog of ``kind`` when it opens, as a person would:
    ``answer(dialog)`` types into it and presses its buttons. Call this before the click
    that opens the dialog (which waits for it to close). Returns the titles of the dialogs
    answered (empty until then), for the test to check."""
    answered = Answer()
    _waiting.append(answered)
    deadline = time.monotonic() + timeout / 1000

    def look() -> None:
        if not answered.waiting:
            return
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind) and dialog.isVisible():
            answered.stop()
            title = dialog.windowTitle()  # the dialog itself may be gone once answered
            try:
                answer(dialog)
                answered.append(title)
            finally:
                if dialog.isVisible():  # the answer failed or left it open: never hang a test
                    dialog.reject()  # a fallback, not a press
            return
        if time.monotonic() < deadline:
            QTimer.singleShot(20, look)
        else:
            answered.stop()

    QTimer.singleShot(0, look)
    return answered


def answer_file_dialog(qtbot, *paths, timeout: int = 15000) -> Answer:
    """Paste a path (or several, each in quotes) into the next file dialog's name field and
    press Enter. Pasted, not typed: the dialog reads folders in the background and would
    act on a half-typed path."""

    def fill(dialog: QFileDialog) -> None:
        edit = dialog.findChild(QLineEdit, "fileNameEdit")
        text = str(paths[0]) if len(paths) == 1 else " ".join(f'"{path}"' for path in paths)
        QApplication.clipboard().setText(text)
        qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
        qtbot.keyClick(edit, Qt.Key.Key_V, CTRL)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    return answer_dialog(qtbot, QFileDialog, fill, timeout)


def choose_in_combo(qtbot, combo: QComboBox, text: str) -> None:
    """Open a list (F4) and click the entry that reads ``text``."""
    qtbot.keyClick(combo, Qt.Key.Key_F4)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    index = combo.findText(text)  # the list may be refilled as it opens
    assert index >= 0, [combo.itemText(i) for i in range(combo.count())]
    model_index = combo.model().index(index, combo.modelColumn())
    view.scrollTo(model_index)
    qtbot.mouseClick(view.viewport(), LEFT, pos=view.visualRect(model_index).center())
    qtbot.waitUntil(lambda: not view.isVisible())
    QApplication.processEvents()


def choose_menu_item(qtbot, window, *path: str) -> None:
    """Click a menu of the menu bar, then each entry of ``path`` in turn (submenus too).
    Entries are named as they read, without the & of their mnemonic."""

    def plain(text: str) -> str:
        return text.replace("&", "")

    bar = window.menuBar()
    title = next(a for a in bar.actions() if plain(a.text()) == path[0])
    # The pointer goes to the title first, as a person's does: a menu takes a click where
    # the pointer rested when it opened for the release of the press that opened it, and
    # an earlier choice may have left the pointer there.
    qtbot.mouseMove(bar, bar.actionGeometry(title).center())
    qtbot.mouseClick(bar, LEFT, pos=bar.actionGeometry(title).center())
    menu = title.menu()
    qtbot.waitUntil(menu.isVisible)
    for name in path[1:]:
        action = next(
            (a for a in menu.actions() if plain(a.text()) == name),
            None,
        )
        assert action is not None, [plain(a.text()) for a in menu.actions()]
        assert action.isEnabled(), f"{name} is disabled"
        qtbot.mouseMove(menu, menu.actionGeometry(action).center())
        qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(action).center())
        if action.menu() is not None:
            menu = action.menu()
            qtbot.waitUntil(menu.isVisible)
    QApplication.processEvents()


def click_row(qtbot, table: QAbstractItemView, row: int, column: int = 0) -> None:
    """Scroll a table or list to a row and click it."""
    index = table.model().index(row, column)
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), LEFT, pos=table.visualRect(index).center())
    QApplication.processEvents()


def tick(qtbot, checklist: QListWidget, wanted) -> None:
    """Tick exactly the rows whose text is in ``wanted``: click a row, press Space."""
    wanted = set(wanted)
    for row in range(checklist.count()):
        item = checklist.item(row)
        ticked = item.checkState() == Qt.CheckState.Checked
        if ticked != (item.text() in wanted):
            click_row(qtbot, checklist, row)
            qtbot.keyClick(checklist.viewport(), Qt.Key.Key_Space)
    assert {
        checklist.item(row).text()
        for row in range(checklist.count())
        if checklist.item(row).checkState() == Qt.CheckState.Checked
    } == wanted


def message_boxes(parent: QWidget) -> list[QMessageBox]:
    """The message boxes a window shows."""
    return [box for box in parent.findChildren(QMessageBox) if box.isVisible()]


def activate(qtbot, window: QWidget) -> None:
    """Give a window the keyboard back, as the desktop does when a dialog over it closes
    (the offscreen platform does not by itself)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def button_named(parent: QWidget, text: str) -> QPushButton:
    """The visible push button of a window or dialog that reads ``text``."""
    found = [b for b in parent.findChildren(QPushButton) if b.text() == text and b.isVisible()]
    assert len(found) == 1, [b.text() for b in parent.findChildren(QPushButton)]
    return found[0]
