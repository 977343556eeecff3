"""Starting the window: the Qt application, opening a project, switching projects.

``create_window`` is what tests call (no event loop); ``run`` is what ``dossier`` calls.
spaCy is loaded in the background once the window is on screen.
"""

from __future__ import annotations

import gc
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

import resources
from db.engine import DatabaseError
from db.store import Store
from desktop.settings import Settings
from desktop.ui.main_window import MainWindow
from desktop.ui.workers import Job


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

        A project that cannot be opened (a newer schema, not a Dossier database) is
        reported and the current window stays.
        """
        try:
            store = Store.open(location)
        except DatabaseError as exc:
            if self.window is not None:
                self.window.report(f"Cannot open that project: {exc}")
            else:
                QMessageBox.critical(None, "Cannot open project", str(exc))
            return None
        if self.window is not None:
            self.window.save_layout()
            self.window.close()
            self.window.deleteLater()
        if self.store is not None:
            self.store.close()
        self.store = store
        self.settings.remember_project(location)
        self.settings.save()
        window = MainWindow(store, self.settings, location)
        window.projectRequested.connect(self._on_project_requested)
        self.window = window
        return window

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
    return launcher, launcher.open(location)


def warm_up_spacy() -> Job:
    """Load spaCy's tokenizer off the GUI thread, after the window has appeared."""

    def load(_progress):
        from desktop.nlp.tokens import blank

        blank()

    job = Job(load)
    job.start()
    return job


def run(location: str) -> int:
    """Open the window on a project and run until it is closed; returns the exit code."""
    app = application()
    launcher, window = create_window(location)
    if window is None:
        return 2
    window.show()
    # What exists now lives as long as the window: keep the collector from rescanning it.
    gc.freeze()
    if os.environ.get("DOSSIER_QUIT_WHEN_SHOWN"):
        # For start-up timing (tests/benchmarks/bench_view.py): report and leave once painted.
        def shown() -> None:
            print(f"dossier: window shown (spaCy loaded: {'spacy' in sys.modules})", flush=True)
            app.quit()

        QTimer.singleShot(0, shown)
    QTimer.singleShot(0, warm_up_spacy)
    code = app.exec()
    if launcher.store is not None:
        launcher.store.close()
    return code
