"""Driving the document view as a person does: mouse drags, clicks and keys at offsets."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QTextCursor
from PySide6.QtWidgets import QApplication

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
