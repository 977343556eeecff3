"""The failure bar: a failed write or an unexpected error, said above the document in plain
words until the analyst dismisses it, with Retry when the same action may yet succeed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.workers import Job

RETRY_KEY = "F5"
PING_INTERVAL = 2000  # ms between two questions to a database that did not answer
STYLE = """
FailureBar { background: #FFF1C2; border-bottom: 1px solid #D9A300; }
FailureBar QLabel { color: #3D2E00; background: transparent; }
"""


@dataclass(frozen=True)
class Failure:
    """What failed, in the analyst's words, and how to try it again.

    ``text`` is the sentence shown ("Not saved: the project file is read-only. Your tag was
    not added."); ``detail``, the database's own words; ``outcome``, what became of the
    action, said again when the database is back. ``retry`` runs the very same action again
    and returns whether it worked; ``watch`` asks the bar to find out when the database
    answers again.
    """

    text: str
    detail: str = ""
    outcome: str = ""
    retry: Callable[[], bool] | None = None
    watch: bool = False


def split_cause(message: str) -> tuple[str, str]:
    """("the project file is read-only", "attempt to write a readonly database") from a
    store message that ends with the driver's words in brackets."""
    message = message.strip()
    depth = 0
    for index in range(len(message) - 1, 0, -1):  # back to the bracket the last one closes
        if message[index] == ")":
            depth += 1
        elif message[index] == "(":
            depth -= 1
            if depth == 0:
                if message[index - 1] == " " and message.endswith(")"):
                    return message[: index - 1], message[index + 1 : -1]
                break
        elif depth == 0:
            break  # the message does not end with a bracket
    return message, ""


class FailureBar(QFrame):
    """Stays until dismissed (its close button or Esc); Retry (a button and F5) re-runs
    the failed action. While a database failure is shown, the database is asked every two
    seconds whether it answers; when it answers again, the bar says so and focuses Retry."""

    #: the analyst asked to run the failed action again (the Failure)
    retryRequested = Signal(object)
    #: the analyst dismissed the bar (whether the keyboard was in it)
    dismissed = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("failure-bar")
        self.setStyleSheet(STYLE)
        self.setAccessibleName("Failure")
        self.failure: Failure | None = None
        self.back = False  # the database answers again since the failure
        self._probe: Callable[[], str] | None = None
        self._lost = False  # the database did not answer once since the failure
        self._ping_job: Job | None = None

        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setStyleSheet("font-size: 8pt; color: #6B5500;")
        self.retry_button = QPushButton("&Retry", self)
        self.retry_button.setToolTip(f"Do the same again ({RETRY_KEY})")
        self.retry_button.setAutoDefault(True)
        self.close_button = QToolButton(self)
        self.close_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton)
        )
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss (Esc)")
        self.close_button.setAccessibleName("Dismiss")

        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.text)
        words.addWidget(self.detail)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(icon)
        row.addLayout(words, 1)
        row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)

        # Window-wide while the bar shows (a hidden bar's shortcuts do not fire): the first
        # Esc after a failure dismisses it, wherever the keyboard is.
        self.dismiss_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.dismiss_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.dismiss_shortcut.activated.connect(self.dismiss)
        self.retry_shortcut = QShortcut(QKeySequence(RETRY_KEY), self)
        self.retry_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.retry_shortcut.activated.connect(self._on_retry_clicked)
        self.retry_button.clicked.connect(self._on_retry_clicked)
        self.close_button.clicked.connect(self.dismiss)
        self._ping_timer = QTimer(self)
        self._ping_timer.setInterval(PING_INTERVAL)
        self._ping_timer.timeout.connect(self._ping)
        self.hide()

    # --- public API --------------------------------------------------------------------------

    def show_failure(self, failure: Failure, probe: Callable[[], str] | None = None) -> None:
        """Show ``failure`` in place of what the bar said. ``probe`` (run off the GUI thread)
        returns "" when the database answers, else why not; it is asked while the failure
        is shown, if the failure asks to be watched."""
        self.failure = failure
        self.back = False
        self._lost = False
        self._probe = probe if failure.watch and failure.retry is not None else None
        self.text.setText(failure.text)
        self.detail.setText(f"The database said: {failure.detail}" if failure.detail else "")
        self.detail.setVisible(bool(failure.detail))
        self.retry_button.setVisible(failure.retry is not None)
        self.retry_shortcut.setEnabled(failure.retry is not None)
        self.show()
        if self._probe is not None:
            self._ping_timer.start()
            self._ping()  # at once: a server that is down now tells "back" from "never lost"
        else:
            self._ping_timer.stop()

    def dismiss(self) -> None:
        """Hide the bar and forget its failure (nothing is retried)."""
        was_shown = self.isVisible()
        had_focus = self.isAncestorOf(QApplication.focusWidget())
        self._ping_timer.stop()
        self._probe = None
        self.failure = None
        self.back = False
        self.hide()
        if was_shown:
            self.dismissed.emit(had_focus)

    # --- asking the database -----------------------------------------------------------------

    def _ping(self) -> None:
        probe = self._probe
        if probe is None or (self._ping_job is not None and self._ping_job.is_running):
            return
        job = Job(lambda _progress: probe(), owner=self)
        job.succeeded.connect(lambda reason, asked=probe: self._on_ping_answered(asked, reason))
        self._ping_job = job
        job.start()

    def _on_ping_answered(self, asked: Callable[[], str], reason: str) -> None:
        if asked is not self._probe or self.failure is None:
            return  # another failure is shown, or none
        if reason:
            self._lost = True
            return
        if not self._lost:
            return  # it answered all along (a read-only file): only Retry can tell
        self._ping_timer.stop()
        self.back = True
        outcome = f" {self.failure.outcome}" if self.failure.outcome else ""
        self.text.setText(f"The database is back.{outcome} Press Retry to try again.")
        self.detail.hide()
        if self.retry_button.isVisible():
            self.retry_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- slots -------------------------------------------------------------------------------

    def _on_retry_clicked(self) -> None:
        if self.failure is not None and self.failure.retry is not None:
            self.retryRequested.emit(self.failure)
