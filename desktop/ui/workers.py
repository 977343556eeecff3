"""Long work off the GUI thread: a job reports progress, can be cancelled, and says how it
ended through signals delivered on the GUI thread."""

from __future__ import annotations

import gc
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop.progress import Cancelled, Progress

_running: set[Job] = set()  # jobs are kept alive until they end


class Job(QObject):
    """Runs ``work(progress)`` in the thread pool.

    ``work`` calls ``progress(phase, done, total)``; after :meth:`cancel`, that call raises
    :class:`Cancelled`, which the work lets through (writing nothing). The public signals
    are always emitted on the GUI thread; once ``owner`` is destroyed they are not emitted.
    """

    #: (phase, done, total)
    progressed = Signal(str, int, int)
    #: the work's return value
    succeeded = Signal(object)
    #: a one-line reason (bad input names its file and line)
    failed = Signal(str)
    cancelled = Signal()
    #: emitted last, however the job ended
    ended = Signal()

    # Emitted from the worker thread; received on the GUI thread, where the Job lives.
    _reported = Signal(str, int, int)
    _finished = Signal(str, object)

    def __init__(self, work: Callable[[Progress], Any], owner: QObject | None = None):
        super().__init__()
        self._work = work
        self._cancel = False
        self._orphaned = False
        self._reported.connect(self._on_worker_reported)
        self._finished.connect(self._on_worker_finished)
        if owner is not None:
            owner.destroyed.connect(self._on_owner_destroyed)

    def start(self) -> None:
        _running.add(self)
        QThreadPool.globalInstance().start(_Runnable(self))

    def cancel(self) -> None:
        self._cancel = True

    @property
    def is_cancelled(self) -> bool:
        return self._cancel

    @property
    def is_running(self) -> bool:
        return self in _running

    # --- worker thread -------------------------------------------------------------------

    def _progress(self, phase: str, done: int, total: int) -> None:
        if self._cancel:
            raise Cancelled()
        self._reported.emit(phase, done, total)

    def _run(self) -> None:
        try:
            result = self._work(self._progress)
        except Cancelled:
            outcome, payload = "cancelled", None
        except Exception as exc:  # shown to the user; the traceback goes to the log
            if not _is_input_error(exc):
                traceback.print_exc()
            outcome, payload = "failed", str(exc) or type(exc).__name__
        else:
            outcome, payload = "succeeded", result
        try:
            self._finished.emit(outcome, payload)
        except RuntimeError:
            pass  # the application has quit while the job ran: nobody is left to tell

    # --- GUI thread ----------------------------------------------------------------------

    def _on_worker_reported(self, phase: str, done: int, total: int) -> None:
        if not self._orphaned:
            self.progressed.emit(phase, done, total)

    def _on_worker_finished(self, outcome: str, payload: object) -> None:
        try:
            if self._orphaned:
                return
            if outcome == "succeeded":
                self.succeeded.emit(payload)
            elif outcome == "failed":
                self.failed.emit(payload)
            else:
                self.cancelled.emit()
            self.ended.emit()
        finally:
            _running.discard(self)

    def _on_owner_destroyed(self) -> None:
        self._orphaned = True
        self._cancel = True


def _is_input_error(exc: Exception) -> bool:
    """A refusal said in plain words (bad input, the store's refusals, a database that
    could not be written): no traceback to print."""
    return any(
        kind.__name__ in {"InputError", "StoreError", "ValueError"} for kind in type(exc).__mro__
    )


class _Runnable(QRunnable):
    def __init__(self, job: Job):
        super().__init__()
        self.job = job

    def run(self) -> None:
        self.job._run()


def run_with_progress(parent: QWidget, title: str, work: Callable[[Progress], Any]) -> Job:
    """Start a job with a progress dialog whose Cancel button cancels it.

    The window stays responsive; connect to the job's signals for the outcome.
    """
    dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    job = Job(work, owner=parent)

    def progressed(phase: str, done: int, total: int) -> None:
        # "Importing: importing…" says one thing twice: then the title alone.
        same = phase.casefold() == title.casefold()
        dialog.setLabelText(f"{title}…" if same else f"{title}: {phase}…")
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))

    job.progressed.connect(progressed)
    dialog.canceled.connect(job.cancel)
    job.ended.connect(dialog.close)
    job.ended.connect(dialog.deleteLater)
    job.start()
    return job


def keep_from_collector() -> None:
    """Set what exists now aside from the cyclic collector: a job that has just made some
    100,000 records (an actor ranking, a corpus's events) would otherwise have the next
    full collection pass over all of them on the GUI thread, a pause of half a second.
    They are freed by reference counting all the same."""
    gc.freeze()
