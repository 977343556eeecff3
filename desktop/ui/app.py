"""Starting the window: the Qt application, opening a project, switching projects, and
what becomes of an error nobody caught while the window runs.

``create_window`` is what tests call (no event loop); ``run`` is what ``dossier`` calls.
spaCy is loaded in the background once the window has first painted.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import sys
import traceback
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QtMsgType, Signal, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

import resources
from db.engine import DatabaseError, EmptyDatabaseError
from db.store import Store, StoreError
from db.store.base import unavailable
from desktop.paths import log_dir
from desktop.settings import Settings
from desktop.ui.failure_bar import Failure
from desktop.ui.main_window import MainWindow
from desktop.ui.workers import Job

LOG_NAME = "dossier.log"


class CannotOpenError(Exception):
    """A project that could not be opened; the message says why in plain words."""


def application() -> QApplication:
    """The running QApplication, made if there is none yet."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Dossier")
        app.setOrganizationName("Dossier")
        app.setDesktopFileName("dossier")
        icon = resources.path("icons", "dossier.svg")
        if icon.exists():
            app.setWindowIcon(QIcon(str(icon)))
    return app


class Launcher:
    """Keeps the one open window and opens another project in its place on request."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.load()
        self.window: MainWindow | None = None
        self.store: Store | None = None

    def open(self, location: str) -> MainWindow | None:
        """Open the project at ``location`` in a new window (closing the current one).

        A project that cannot be opened (a newer schema, not a Dossier database, a folder
        SQLite cannot write in, a locked database, an unreachable server, a failed
        migration) is reported in plain words: in the current window, which stays; or, at
        start, in a dialog that offers to open another project or to quit (then None).
        """
        while True:
            try:
                return self._open(location)
            except CannotOpenError as exc:
                other = self._cannot_open(location, str(exc))
            if other is None:
                return None
            location = other

    def _open(self, location: str) -> MainWindow:
        store = self._open_store(location)
        if self.window is not None:
            self.window.save_layout()  # before the new window reads the layout back
        try:
            window = MainWindow(store, self.settings, location)
        except (StoreError, DBAPIError, sqlite3.Error, OSError) as exc:
            store.close()
            raise CannotOpenError(_plain_words(exc)) from exc
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
        if self.store is not None:
            self.store.close()
        self.store = store
        self.settings.remember_project(location)
        window.projectRequested.connect(self._on_project_requested)
        self.window = window
        try:
            self.settings.save()
        except OSError as exc:  # a settings folder that cannot be written: work goes on
            window.show_failure(
                Failure(
                    f"Your settings could not be saved: {exc.strerror or exc} "
                    f"({exc.filename or 'the settings file'}). The project is not affected."
                )
            )
        return window

    def _open_store(self, location: str) -> Store:
        """The project's store; an empty SQLite file becomes a project only if the analyst
        says so."""
        try:
            try:
                return Store.open(location, actor=self.settings.annotator)
            except EmptyDatabaseError as exc:
                if not self._ask_take_over(location):
                    raise CannotOpenError(str(exc)) from exc
                return Store.open(location, take_over_empty=True, actor=self.settings.annotator)
        except CannotOpenError:
            raise
        except (DatabaseError, StoreError, DBAPIError, sqlite3.Error, OSError) as exc:
            raise CannotOpenError(_plain_words(exc)) from exc

    def _ask_take_over(self, location: str) -> bool:
        answer = QMessageBox.question(
            self.window,
            "Empty database",
            f"{_shown(location)} holds no Dossier project. Make it a new project?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _cannot_open(self, location: str, reason: str) -> str | None:
        """Say why a project cannot be opened; returns another project to try, or None."""
        if self.window is not None:
            self.window.report(f"Cannot open that project: {reason}")
            return None
        while True:
            box = QMessageBox(QMessageBox.Icon.Critical, "Cannot open project", "")
            box.setText(f"Dossier cannot open {_shown(location)}.")
            box.setInformativeText(_sentence(reason))
            other = box.addButton("&Open another project…", QMessageBox.ButtonRole.AcceptRole)
            quit_button = box.addButton("&Quit", QMessageBox.ButtonRole.RejectRole)
            box.setDefaultButton(other)
            box.setEscapeButton(quit_button)
            box.exec()
            if box.clickedButton() is not other:
                return None
            folder = Path(location).parent if "://" not in location else Path.home()
            path, _ = QFileDialog.getOpenFileName(
                None,
                "Open project",
                str(folder if folder.is_dir() else Path.home()),
                "Dossier projects (*.db);;All files (*)",
            )
            if path:
                return path

    def _on_project_requested(self, location: str) -> None:
        window = self.open(location)
        if window is not None:
            window.show()


def create_window(
    location: str, settings: Settings | None = None
) -> tuple[Launcher, MainWindow | None]:
    """Make the window for a project without entering the event loop (tests use this)."""
    application()
    launcher = Launcher(settings)
    install_exception_reporter(launcher)
    return launcher, launcher.open(location)


class ExceptionReporter:
    """``sys.excepthook`` while the window runs: an error nobody caught (in a slot, say) is
    written with its traceback to the log file and said in the window's failure bar, and
    the window goes on. The hook it replaced is still called (it prints the traceback)."""

    def __init__(self, launcher: Launcher, previous):
        self.launcher = launcher
        self.previous = previous

    def __call__(self, kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self.previous(kind, value, tb)
            return
        log = log_exception(kind, value, tb)
        window = self.launcher.window
        if window is not None and shiboken6.isValid(window):
            try:
                window.show_exception(value, log)
            except Exception:  # the hook itself must never fail
                traceback.print_exc()
        self.previous(kind, value, tb)


def install_exception_reporter(launcher: Launcher) -> ExceptionReporter:
    """Make ``launcher``'s window the one that shows errors nobody caught."""
    hook = sys.excepthook
    if isinstance(hook, ExceptionReporter):
        hook.launcher = launcher
        return hook
    reporter = ExceptionReporter(launcher, hook)
    sys.excepthook = reporter
    return reporter


def log_file() -> Path:
    return log_dir() / LOG_NAME


def log_exception(kind, value, tb) -> Path | None:
    """Append an error and its traceback to the log file; returns the file, or None when it
    cannot be written (then the traceback is on stderr only)."""
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{datetime.now().isoformat(timespec='seconds')} error nobody caught\n")
            log.write("".join(traceback.format_exception(kind, value, tb)))
    except OSError:
        return None
    return path


def log_qt_message(kind: QtMsgType, _context, message: str) -> None:
    """Qt's own messages go to the log file, not to the terminal the window was started
    from (the offscreen platform, for one, says at every start what it cannot do); a
    critical or fatal one is printed on stderr too."""
    grave = kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
    name = {
        QtMsgType.QtDebugMsg: "debug",
        QtMsgType.QtInfoMsg: "info",
        QtMsgType.QtWarningMsg: "warning",
        QtMsgType.QtCriticalMsg: "critical",
        QtMsgType.QtFatalMsg: "fatal",
    }.get(kind, "message")
    line = f"{datetime.now().isoformat(timespec='seconds')} qt {name}: {message}\n"
    try:
        path = log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(line)
    except OSError:
        grave = True  # no log to keep it in: the terminal is all there is
    if grave:
        sys.stderr.write(f"dossier: qt {name}: {message}\n")


def _plain_words(exc: BaseException) -> str:
    """Why a project could not be opened, in plain words (without a password)."""
    if isinstance(exc, (DatabaseError, StoreError)):
        return str(exc)
    return str(unavailable(exc))


def _shown(location: str) -> str:
    """A project's path or URL as shown to the analyst: never with its password."""
    if "://" not in location:
        return location
    try:
        return make_url(location).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: shown without its user and password
        scheme, _, rest = location.partition("://")
        return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def warm_up_spacy() -> Job:
    """Load spaCy's tokenizer off the GUI thread, after the window has appeared."""

    def load(_progress):
        from desktop.nlp.tokens import blank

        blank()

    job = Job(load)
    job.start()
    return job


class FirstPaint(QObject):
    """Tells once when a window has painted itself for the first time: its first Paint
    event, once the paint that event belongs to has ended."""

    #: the window has painted (emitted once)
    painted = Signal()

    def __init__(self, window: QWidget):
        super().__init__(window)
        self._window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._window and event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            # The window paints before its children, within one pass: told after the pass.
            QTimer.singleShot(0, self.painted.emit)
        return False


def run(location: str) -> int:
    """Open the window on a project and run until it is closed; returns the exit code."""
    previous_handler = qInstallMessageHandler(log_qt_message)
    app = application()
    launcher, window = create_window(location)
    if window is None:
        sys.excepthook = getattr(sys.excepthook, "previous", sys.excepthook)
        qInstallMessageHandler(previous_handler)
        return 2
    first_paint = FirstPaint(window)
    # spaCy takes the GIL for most of a second while it loads: not before the window is
    # seen, and only once what the first paint set off has run.
    first_paint.painted.connect(lambda: QTimer.singleShot(0, warm_up_spacy))
    window.show()
    # What exists now lives as long as the window: keep the collector from rescanning it.
    gc.freeze()
    if os.environ.get("DOSSIER_QUIT_WHEN_SHOWN"):
        # For start-up timing (tests/benchmarks): report and leave once painted.
        seen: list[str] = []

        def report(what: str) -> None:
            print(f"dossier: {what} (spaCy loaded: {'spacy' in sys.modules})", flush=True)
            seen.append(what)
            if len(seen) == 2:
                app.quit()

        QTimer.singleShot(0, lambda: report("window shown"))
        first_paint.painted.connect(
            lambda: report("first paint"), Qt.ConnectionType.DirectConnection
        )
    code = app.exec()
    sys.excepthook = getattr(sys.excepthook, "previous", sys.excepthook)
    qInstallMessageHandler(previous_handler)
    if launcher.store is not None:
        launcher.store.close()
    return code
