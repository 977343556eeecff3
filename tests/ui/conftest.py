"""Window fixtures: a project on disk with the seed corpus, and the window on it."""

from __future__ import annotations

import pytest

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

    def opener(location: str, annotator: str = "analyst_a", **settings):
        preferences = Settings.load()  # what a restart would find
        preferences.annotator = annotator
        for key, value in settings.items():
            setattr(preferences, key, value)
        launcher, window = create_window(location, preferences)
        launchers.append(launcher)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield opener
    for launcher in launchers:
        if launcher.window is not None:
            launcher.window.close()
        if launcher.store is not None:
            launcher.store.close()
