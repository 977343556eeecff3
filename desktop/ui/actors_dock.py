"""The Actors dock in the window: its View menu entry and Ctrl+Shift+A from the start, the
panel itself (desktop/ui/actors_panel.py) built the first time the dock is shown, so that
the window paints without it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

FIND_ACTOR_KEY = "Ctrl+Shift+A"
DOCK_HEIGHT = 340  # the first time it is shown: room for the lists


class ActorsDock(QObject):
    """The dock, below the document and hidden until asked for, and its panel once built."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dock = QDockWidget("Actors", window)
        self.dock.setObjectName("actors-dock")
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self._panel = None
        self._sized = False
        self.dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        self.find_action = QAction("Find an &actor", window)
        self.find_action.setShortcut(QKeySequence(FIND_ACTOR_KEY))
        self.find_action.setStatusTip("Show the Actors panel and type to find an actor")
        self.find_action.triggered.connect(lambda _checked=False: self.show_and_find())
        window.addAction(self.find_action)

    @property
    def panel(self):
        """The Actors panel (desktop.ui.actors_panel.ActorsPanel), built when first needed."""
        if self._panel is None:
            from desktop.ui.actors_panel import ActorsPanel

            panel = ActorsPanel(self.window)
            panel.dock = self.dock
            panel.find_action = self.find_action
            self._panel = panel
            self.dock.setWidget(panel)
        return self._panel

    def show_and_find(self) -> None:
        """Ctrl+Shift+A: the dock, on its Actors tab, with the keyboard in its filter."""
        self.panel.show_and_find()
        if not self._sized and not self.dock.isFloating():
            self._sized = True
            self.window.resizeDocks([self.dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible or self._panel is not None:
            self.panel.on_dock_visibility_changed(visible)


def install_actors(window) -> ActorsDock:
    """The Actors dock, its View menu entry and Ctrl+Shift+A, which shows it with the
    keyboard in its filter."""
    actors = ActorsDock(window)
    menu = window.view_menu
    separator = next((a for a in menu.actions() if a.isSeparator()), None)
    menu.insertActions(separator, [actors.dock.toggleViewAction(), actors.find_action])
    return actors
