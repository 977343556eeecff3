"""How long work reports progress and is cancelled, the same way in every layer.

A long job takes a ``progress(phase, done, total)`` callable; the caller cancels the job by
raising :class:`Cancelled` from it. The job then stops and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


class Cancelled(Exception):
    """The user cancelled a long job; nothing of it was written."""


def no_progress(_phase: str, _done: int, _total: int) -> None:
    """A progress callable that ignores every report."""
