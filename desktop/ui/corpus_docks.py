"""The docks that look across the corpus (search, timeline, network, outlets, guidelines,
history): each has its View menu entry and key from the start, and builds its panel the
first time it is shown, so that the window paints without them. Also how any of them opens
a record's evidence in the document view."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

DOCK_HEIGHT = 380  # the first time a dock is shown: room for a chart or a list


@dataclass(frozen=True, slots=True)
class CorpusView:
    """One dock: its title, its key, and the panel class (``module:Class``) built into it.

    The panel is made as ``Class(window)``; it may define ``on_shown()`` (called each time
    the dock is shown or its key pressed) and ``on_hidden()``.
    """

    name: str  # the attribute of the window that holds the dock (window.<name>_dock)
    title: str
    key: str
    panel: str
    tip: str
    area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea


VIEWS = (
    CorpusView(
        "search",
        "Search",
        "Ctrl+Shift+F",
        "desktop.ui.search_panel:SearchPanel",
        "Search every document; tag one hit, the checked hits or all of them",
    ),
    CorpusView(
        "timeline",
        "Timeline",
        "Ctrl+Shift+E",
        "desktop.ui.timeline_view:TimelinePanel",
        "Events on a time axis, by type, actor, outlet and annotator",
    ),
    CorpusView(
        "network",
        "Network",
        "Ctrl+Shift+N",
        "desktop.ui.network_view:NetworkPanel",
        "Who acts on whom and who claims what, across the corpus",
    ),
    CorpusView(
        "outlets",
        "Outlets",
        "Ctrl+Shift+O",
        "desktop.ui.outlets_view:OutletsPanel",
        "Which outlets report an event, an actor or a claim, and how",
    ),
    CorpusView(
        "guidelines",
        "Guidelines",
        "Ctrl+Shift+H",
        "desktop.ui.guidelines_panel:GuidelinesPanel",
        "What each label, attribute and relation means",
        Qt.DockWidgetArea.RightDockWidgetArea,
    ),
    CorpusView(
        "history",
        "History",
        "Ctrl+Shift+Y",
        "desktop.ui.history_panel:HistoryPanel",
        "Who changed what and when, in this document, one span or the whole project; "
        "restore an earlier version",
        Qt.DockWidgetArea.RightDockWidgetArea,
    ),
)


class CorpusDock(QObject):
    """A dock, hidden until asked for, its action (View menu, key), and its panel once built."""

    def __init__(self, window, view: CorpusView):
        super().__init__(window)
        self.window = window
        self.view = view
        self.dock = QDockWidget(view.title, window)
        self.dock.setObjectName(f"{view.name}-dock")
        window.addDockWidget(view.area, self.dock)
        self.dock.hide()
        self._panel = None
        self._sized = False
        self.dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        self.show_action = QAction(f"{view.title}…", window)
        self.show_action.setShortcut(QKeySequence(view.key))
        self.show_action.setStatusTip(view.tip)
        self.show_action.triggered.connect(lambda _checked=False: self.show())
        window.addAction(self.show_action)

    @property
    def panel(self):
        """The panel, built when first needed."""
        if self._panel is None:
            module, name = self.view.panel.split(":")
            panel = getattr(importlib.import_module(module), name)(self.window)
            panel.dock = self.dock
            self._panel = panel
            self.dock.setWidget(panel)
        return self._panel

    @property
    def built(self) -> bool:
        return self._panel is not None

    def show(self) -> None:
        """The dock shown and raised (tabbed with the other bottom docks), its panel focused."""
        self.panel  # noqa: B018 - built before the dock shows, so it never shows empty
        self.dock.show()
        self.dock.raise_()
        bottom = self.view.area == Qt.DockWidgetArea.BottomDockWidgetArea
        if bottom and not self._sized and not self.dock.isFloating():
            # A bottom dock starts as a strip; a right one shares the Spans dock's tabs and
            # its height.
            self._sized = True
            self.window.resizeDocks([self.dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
        shown = getattr(self.panel, "on_shown", None)
        if shown is not None:
            shown()

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if self._panel is None or not shiboken6.isValid(self._panel):
            return
        hook = getattr(self._panel, "on_shown" if visible else "on_hidden", None)
        if hook is not None:
            hook()


def install_corpus_views(window) -> dict[str, CorpusDock]:
    """The corpus docks, each as ``window.<name>_dock``, with their View menu entries."""
    docks = {view.name: CorpusDock(window, view) for view in VIEWS}
    bottom = [
        d.dock for d in docks.values() if d.view.area == Qt.DockWidgetArea.BottomDockWidgetArea
    ]
    actors = getattr(window, "actors_dock", None)
    first = actors.dock if actors is not None else bottom[0]
    for dock in bottom:
        if dock is not first:
            window.tabifyDockWidget(first, dock)
    spans = getattr(window, "spans_dock", None)
    for item in docks.values():
        if spans is not None and item.view.area == Qt.DockWidgetArea.RightDockWidgetArea:
            window.tabifyDockWidget(spans, item.dock)
    menu = window.view_menu
    separator = next((a for a in menu.actions() if a.isSeparator()), None)
    menu.insertActions(separator, [d.show_action for d in docks.values()])
    for name, dock in docks.items():
        setattr(window, f"{name}_dock", dock)
    return docks


def open_evidence(
    window, document_id: int, start: int, end: int | None = None, span_uuid: str | None = None
) -> bool:
    """Open a document at a record's evidence: the span selected when ``span_uuid`` is given
    (once the document's spans are loaded, if they are still loading), else the text
    ``start:end`` selected. False when the document could not be opened."""
    session = window.session
    if session.document is None or session.document.id != document_id:
        if not session.open_document(document_id, scroll_to=start):
            return False
    view = window.view
    view.clear_text_selection()
    if span_uuid is not None:
        if view.view_span(span_uuid) is not None:
            view.select_span(span_uuid, reveal=True)
            return True
        if not session.all_spans_shown:
            _select_when_loaded(session, view, span_uuid)
            return True
    view.select_span(None)
    view.select_python_range(start, end if end is not None else start)
    view.scroll_to_offset(start)
    view.setFocus()
    return True


def _select_when_loaded(session, view, span_uuid: str) -> None:
    def loaded() -> None:
        session.spansLoaded.disconnect(loaded)
        if view.view_span(span_uuid) is not None:
            view.select_span(span_uuid, reveal=True)

    session.spansLoaded.connect(loaded)
