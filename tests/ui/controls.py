"""Which of Dossier's controls the tests press, and which they only show.

An event filter on the application watches every push button, tool button, check box and
radio button that appears on screen, and every action in a menu bar or menu that opens:
each is *shown*. A button counts as *pressed* when it emits ``clicked`` and an action when
it emits ``triggered``, which a test can only make happen by clicking, typing its key or
choosing it in its menu (``tests/ui/test_controls.py`` refuses a test that calls
``click()``, ``trigger()``, ``accept()`` or emits a signal itself). The keys the help
screen lists are counted from the key presses the widgets receive.

When the whole of ``tests/ui`` runs, ``tests/conftest.py`` fails the run if a control that
was shown was never pressed, or a listed key never typed, and names them.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QColorDialog,
    QFileDialog,
    QMainWindow,
    QMenu,
    QTabBar,
    QToolButton,
    QWidget,
)

# Qt's own dialogs: their buttons are Qt's, pressed through their fields in the tests.
_QT_DIALOGS = (QFileDialog, QColorDialog)

Key = Qt.Key
NONE = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier

# The keys the help screen (desktop/ui/help.py) lists that are not menu shortcuts: the
# widget class that handles them, the key and its modifiers. Menu shortcuts are counted as
# the menu actions they trigger.
KEYS = (
    ("DocumentView", Key.Key_Right, SHIFT, "Shift+→ selects by word"),
    ("DocumentView", Key.Key_Left, SHIFT, "Shift+← selects by word"),
    ("DocumentView", Key.Key_Down, SHIFT, "Shift+↓ selects by line"),
    ("DocumentView", Key.Key_Right, ALT | SHIFT, "Alt+Shift+→ selects a character"),
    ("DocumentView", Key.Key_Left, ALT | SHIFT, "Alt+Shift+← selects a character"),
    ("DocumentView", Key.Key_1, NONE, "a label's number tags"),
    ("DocumentView", Key.Key_C, NONE, "a label's letter tags"),
    ("DocumentView", Key.Key_Tab, NONE, "Tab: next span"),
    ("DocumentView", Key.Key_Backtab, SHIFT, "Shift+Tab: previous span"),
    ("DocumentView", Key.Key_Delete, NONE, "Delete: the selected span"),
    ("DocumentView", Key.Key_Escape, NONE, "Esc: clear the selection"),
    ("DocumentView", Key.Key_F2, NONE, "F2: edit the span's fields"),
    ("DocumentView", Key.Key_S, ALT, "Alt+S: link a source"),
    ("DocumentView", Key.Key_Return, NONE, "Enter: accept a suggestion"),
    ("DocumentView", Key.Key_Backspace, NONE, "Backspace: reject a suggestion"),
    ("RelationList", Key.Key_Delete, NONE, "Delete: remove a link in the span panel"),
    ("CandidateList", Key.Key_Down, NONE, "↓: the next span a link may point at"),
    ("CandidateList", Key.Key_Return, NONE, "Enter: link to the span chosen"),
    ("CandidateList", Key.Key_1, NONE, "1–9: link to the span numbered"),
    ("CandidateList", Key.Key_Escape, NONE, "Esc: cancel a link half made"),
    ("ActorQueryEdit", Key.Key_Down, NONE, "↓: the next actor in the picker"),
    ("ActorQueryEdit", Key.Key_Return, NONE, "Enter: link the span to the actor chosen"),
    ("ActorQueryEdit", Key.Key_Escape, NONE, "Esc: close the actor picker"),
    ("ActorQueryEdit", Key.Key_N, CTRL, "Ctrl+N: a new actor from the span"),
    ("ActorQueryEdit", Key.Key_Backspace, CTRL, "Ctrl+Backspace: unlink the span"),
    ("ActorFilter", Key.Key_Down, NONE, "↓: from the actor filter to the list"),
    ("ActorTable", Key.Key_F2, NONE, "F2: rename the actor"),
    ("ActorField", Key.Key_Escape, NONE, "Esc: put the actor's name back"),
    ("ActorTable", Key.Key_M, CTRL, "Ctrl+M: merge the selected actors"),
    ("ActorTable", Key.Key_Delete, NONE, "Delete: delete the actor"),
    ("MentionTable", Key.Key_Return, NONE, "Enter: open the mention"),
    ("ProposalTable", Key.Key_Return, NONE, "Enter: accept the proposed group"),
    ("ProposalTable", Key.Key_Return, SHIFT, "Shift+Enter: the group into an actor"),
    ("ProposalTable", Key.Key_Backspace, NONE, "Backspace: reject the proposed group"),
    ("ProposalTable", Key.Key_Space, NONE, "Space: the next proposed group"),
    ("ProposalTable", Key.Key_Space, SHIFT, "Shift+Space: the previous proposed group"),
    ("ReviewItemTable", Key.Key_1, NONE, "1–9: take an annotator's side"),
    ("ReviewItemTable", Key.Key_Return, NONE, "Enter: keep an agreed span"),
    ("ReviewItemTable", Key.Key_E, NONE, "E: edit an item"),
    ("ReviewItemTable", Key.Key_Backspace, NONE, "Backspace: reject an item"),
    ("ReviewItemTable", Key.Key_Space, NONE, "Space: next pending item"),
    ("ReviewItemTable", Key.Key_Space, SHIFT, "Shift+Space: previous pending item"),
    ("ReviewItemTable", Key.Key_A, NONE, "A: accept all agreed"),
    ("TimelineChart", Key.Key_Right, NONE, "→: the next event on the timeline"),
    ("TimelineChart", Key.Key_Left, NONE, "←: the previous event on the timeline"),
    ("TimelineChart", Key.Key_Return, NONE, "Enter: open the event"),
    ("TimelineChart", Key.Key_Equal, CTRL, "Ctrl+=: zoom the timeline in"),
    ("TimelineChart", Key.Key_Minus, CTRL, "Ctrl+-: zoom the timeline out"),
    ("ChoiceFilter", Key.Key_Down, NONE, "↓: from the outlets filter to its list"),
    ("ReportTree", Key.Key_Return, NONE, "Enter: open the report"),
    ("FindField", Key.Key_Return, NONE, "Enter: the next hit in the document"),
    ("FindField", Key.Key_Return, SHIFT, "Shift+Enter: the previous hit in the document"),
    ("FindField", Key.Key_Escape, NONE, "Esc: close the find bar"),
    ("SearchField", Key.Key_Return, NONE, "Enter: search every document"),
    ("SearchField", Key.Key_Down, NONE, "↓: from the search field to the hits"),
    ("HitTable", Key.Key_Return, NONE, "Enter: open the hit"),
    ("HitTable", Key.Key_Space, NONE, "Space: check the hit"),
    ("HitTable", Key.Key_1, NONE, "a label's number tags the hits"),
    ("HitTable", Key.Key_A, NONE, "a label's letter tags the hits"),
    ("RecordTable", Key.Key_Return, NONE, "Enter: open the network's record"),
    ("NetworkGraphView", Key.Key_Equal, CTRL, "Ctrl+=: zoom the network in"),
    ("NetworkGraphView", Key.Key_Minus, CTRL, "Ctrl+-: zoom the network out"),
    ("NetworkGraphView", Key.Key_0, CTRL, "Ctrl+0: the whole network in view"),
    ("HistoryTable", Key.Key_Return, NONE, "Enter: restore the version before a change"),
    ("HistoryTable", Key.Key_Return, SHIFT, "Shift+Enter: restore the version after it"),
    ("HistoryTable", Key.Key_S, NONE, "S: only the selected span's changes"),
    ("HistoryTable", Key.Key_W, NONE, "W: the whole project's changes"),
    ("ConflictDialog", Key.Key_T, NONE, "T: keep their version"),
    ("ConflictDialog", Key.Key_M, NONE, "M: apply mine on top"),
    ("ConflictDialog", Key.Key_E, NONE, "E: edit mine"),
    ("ConflictDialog", Key.Key_Escape, NONE, "Esc: keep their version"),
)


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def _window(widget: QWidget) -> QWidget:
    """The window a control belongs to (a menu's, not the menu's own popup)."""
    while isinstance(widget, QMenu) and widget.parentWidget() is not None:
        widget = widget.parentWidget()
    return widget.window()


def _owner(widget: QWidget) -> str:
    return type(_window(widget)).__name__


class ControlRecorder(QObject):
    """The application's event filter; see the module docstring."""

    def __init__(self, skip: str | None = None):
        """``skip``: the object name of windows whose controls are not counted."""
        super().__init__()
        self.skip = skip
        self.mark = f"_controls_watched_{id(self)}"  # on each control this recorder connects
        self.shown: dict[str, str] = {}  # control -> where it was seen
        self.pressed: set[str] = set()
        self.keys: set[tuple[str, int, int]] = set()

    def _skipped(self, widget: QWidget) -> bool:
        while widget is not None:
            if self.skip is not None and widget.objectName() == self.skip:
                return True
            widget = widget.parentWidget()
        return False

    # -- what is on screen ----------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.KeyPress:
            modifiers = (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier).value
            self.keys.add((type(watched).__name__, event.key(), modifiers))
            parent = watched.parent()
            if parent is not None:  # a key sent to a view's viewport reaches the view
                self.keys.add((type(parent).__name__, event.key(), modifiers))
        elif (
            kind == QEvent.Type.Show and isinstance(watched, QWidget) and not self._skipped(watched)
        ):
            if isinstance(watched, QAbstractButton):
                self._watch_button(watched)
            elif isinstance(watched, QMenu):
                for action in watched.actions():
                    if action.isEnabled():
                        self._watch_action(action, watched)
            elif isinstance(watched, QMainWindow):
                for title in watched.menuBar().actions():
                    if title.menu() is not None:
                        self._watch_menu(title.menu())
        return False

    def _watch_menu(self, menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                self._watch_menu(action.menu())
            else:
                self._watch_action(action, menu)

    def _watch_action(self, action, menu: QMenu) -> None:
        if action.isSeparator() or action.menu() is not None or not action.text():
            return
        path = []
        widget = menu
        while isinstance(widget, QMenu):
            path.insert(0, _plain(widget.title()) or "context menu")
            widget = widget.parentWidget()
        if path[-1] == "Open recent":  # a list of paths that changes with every test
            name = f"{_owner(menu)}: {' → '.join(path)} → (a project)"
        elif action.actionGroup() is not None and action.actionGroup().isExclusive():
            name = f"{_owner(menu)}: {' → '.join(path)} → (one of its choices)"
        else:
            name = f"{_owner(menu)}: {' → '.join(path)} → {_plain(action.text())}"
        self.shown.setdefault(name, "menu")
        # One action may sit in several menus (Accept all in Document and in Suggest): a
        # press counts for each, since the test cannot tell which menu it came through.
        names = action.property(self.mark) or []
        if name not in names:
            action.setProperty(self.mark, [*names, name])
        if not names:  # the first time this recorder sees the action
            action.triggered.connect(
                lambda *_, action=action: self.pressed.update(action.property(self.mark))
            )

    def _watch_button(self, button: QAbstractButton) -> None:
        window = button.window()
        if isinstance(window, _QT_DIALOGS) or button.objectName().startswith("qt_"):
            return
        if isinstance(button, QToolButton) and button.defaultAction() is not None:
            return  # a tool bar's button: counted as its action
        if isinstance(button.parentWidget(), QTabBar) or type(button).__name__.startswith("QLine"):
            return  # Qt's own parts (a line edit's clear button, a tab bar's arrows)
        # A button's key hint or count follows two spaces ("Take  1", "Actor   A · 2").
        label = _plain(button.text()).split("  ")[0] or button.toolTip() or button.accessibleName()
        if not label:
            return
        if type(button.parentWidget()).__name__ == "LabelPaletteWidget":
            label = "(a label of the palette)"
        name = f"{_owner(button)}: {label}"
        self.shown.setdefault(name, type(button).__name__)
        if not button.property(self.mark):
            button.setProperty(self.mark, True)
            button.clicked.connect(lambda *_, name=name: self.pressed.add(name))

    # -- the report -------------------------------------------------------------------------
    def never_pressed(self) -> list[str]:
        return sorted(name for name in self.shown if name not in self.pressed)

    def keys_never_typed(self) -> list[str]:
        typed = self.keys
        return [
            f"{widget}: {what}"
            for widget, key, modifiers, what in KEYS
            if (widget, key, modifiers.value) not in typed
        ]


SELF_TEST = "controls-self-test"  # tests/ui/test_controls.py's own window
recorder = ControlRecorder(skip=SELF_TEST)
