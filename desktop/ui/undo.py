"""Edits on Qt's undo stack: a thin ``QUndoCommand`` around a Qt-free command."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from db.store import StoreError
from desktop.commands import Change, Command


class StoreUndoCommand(QUndoCommand):
    """Wraps a command that has already been applied: pushing it does not apply it again.

    ``on_change`` redraws the views after undo and redo; ``on_error`` reports a refusal
    (say, the span was changed by a colleague meanwhile), after which the command is
    dropped from the stack.
    """

    def __init__(
        self,
        command: Command,
        on_change: Callable[[Change], None],
        on_error: Callable[[str], None],
    ):
        super().__init__(command.text)
        self.command = command
        self._on_change = on_change
        self._on_error = on_error
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False  # the first redo is the push of an applied command
            return
        self._run(self.command.redo)

    def undo(self) -> None:
        self._run(self.command.undo)

    def _run(self, step: Callable[[], Change]) -> None:
        try:
            change = step()
        except StoreError as exc:
            self.setObsolete(True)
            self._on_error(f"Could not {self.text().lower()}: {exc}")
            return
        self._on_change(change)
