"""Edits on Qt's undo stack: a thin ``QUndoCommand`` around a Qt-free command."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from db.store import StoreError, UnavailableError
from desktop.commands import Change, Command

#: on_error(undo_command, "undo" or "redo", the exception)
OnError = Callable[[QUndoCommand, str, Exception], None]


class DatabaseUndoCommand(QUndoCommand):
    """An edit already applied and written, on the stack: pushing it does not apply it again;
    its undo and redo write to the database (:meth:`step`), then redraw (:meth:`changed`).

    A refusal (say, the span was changed by a colleague meanwhile) is reported and drops the
    command from the stack. A database that could not be written (:class:`UnavailableError`)
    changed nothing: it is reported and the command stays where it was on the stack, so
    that the same undo or redo can be tried again.
    """

    #: what the command's steps raise when refused
    refusals: tuple[type[Exception], ...] = (StoreError,)

    def __init__(self, text: str, stack: QUndoStack, on_error: OnError):
        super().__init__(text)
        self._stack = stack
        self._on_error = on_error
        self._pushed = False
        self._skip = False  # the next undo or redo only moves the stack back (see _keep)

    def step(self, step: str) -> object:
        """Undo or redo (``step``) in the database; returns what :meth:`changed` redraws."""
        raise NotImplementedError

    def changed(self, result: object) -> None:
        """Redraw after a step that was written."""

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True  # the first redo is the push of an applied command
            return
        if self._skip:
            self._skip = False
            return
        self._run("redo")

    def undo(self) -> None:
        if self._skip:
            self._skip = False
            return
        self._run("undo")

    def _run(self, step: str) -> None:
        try:
            result = self.step(step)
        except UnavailableError as exc:
            self._keep(step)
            self._on_error(self, step, exc)
            return
        except self.refusals as exc:
            self.setObsolete(True)
            self._on_error(self, step, exc)
            return
        self.changed(result)

    def _keep(self, step: str) -> None:
        """Put the stack back where it was once it has moved past this command.

        Qt moves the stack's index after ``undo``/``redo`` return, whatever they did; the
        step the other way is made as soon as it has (inside its ``indexChanged``), and
        skips the database, which holds the command's change as before.
        """
        stack = self._stack
        self._skip = True

        def back(_index: int) -> None:
            stack.indexChanged.disconnect(back)
            if step == "undo":
                stack.redo()
            else:
                stack.undo()

        stack.indexChanged.connect(back)


class StoreUndoCommand(DatabaseUndoCommand):
    """A Qt-free command (desktop.commands) on the stack; ``on_change`` redraws the views
    after its undo and redo."""

    def __init__(
        self,
        command: Command,
        stack: QUndoStack,
        on_change: Callable[[Change], None],
        on_error: OnError,
    ):
        super().__init__(command.text, stack, on_error)
        self.command = command
        self._on_change = on_change

    def step(self, step: str) -> Change:
        return self.command.undo() if step == "undo" else self.command.redo()

    def changed(self, result: object) -> None:
        self._on_change(result)
