"""Window fixtures: a project on disk with the seed corpus, and the window on it."""

from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.formats import import_paths


@pytest.fixture
def project(tmp_path, corpus) -> str:
    """A project holding the seed corpus and both analysts' spans."""
    location = str(tmp_path / "project.db")
    with Store.open(location) as store:
        import_paths(store, [corpus])
    return location


@pytest.fixture
def open_window(qtbot):
    """Open the window on a project as a person would; closed after the test."""
    from desktop.settings import Settings
    from desktop.ui.app import create_window

    launchers = []

    def opener(location: str, annotator: str = "analyst_a", size=(1400, 900), **settings):
        """``size``: the window's size for the test (None: as Dossier chooses it)."""
        preferences = Settings.load()  # what a restart would find
        preferences.annotator = annotator
        for key, value in settings.items():
            setattr(preferences, key, value)
        launcher, window = create_window(location, preferences)
        launchers.append(launcher)
        if size is not None:
            window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)  # keys reach it
        return window

    yield opener
    for launcher in launchers:
        # A window the launcher replaced (another project was opened) is gone already.
        if launcher.window is not None and shiboken6.isValid(launcher.window):
            launcher.window.close()
            launcher.window.deleteLater()
        if launcher.store is not None:
            launcher.store.close()


@pytest.fixture(scope="session", autouse=True)
def control_recorder(qapp):
    """Watch which controls the tests show and press (tests/ui/controls.py)."""
    from tests.ui.controls import recorder

    qapp.installEventFilter(recorder)
    yield recorder
    qapp.removeEventFilter(recorder)


@pytest.fixture(autouse=True)
def widget_dialogs(qapp):
    """File, colour and message dialogs as Qt widgets, which keys and clicks can fill in,
    whatever the desktop would otherwise show."""
    from tests.ui.driving import stop_answering

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    yield
    stop_answering()
