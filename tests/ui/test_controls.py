"""The window tests press what a person presses, and the recorder that proves every control
is pressed counts only real presses (tests/ui/controls.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMainWindow, QPushButton, QVBoxLayout

from tests.ui.controls import SELF_TEST, ControlRecorder
from tests.ui.driving import choose_menu_item, press

TESTS = Path(__file__).resolve().parents[1]

# Calls that make a control act without a person's click or key: a test that makes them
# would pass with the button, its shortcut or its connection broken.
CALLS_A_PERSON_CANNOT_MAKE = {
    "click",
    "animateClick",
    "trigger",
    "toggle",
    "accept",
    "reject",
    "done",
    "emit",
    "setChecked",
    "setCurrentIndex",
    "setCurrentRow",
    "setCurrentText",
    "setValue",
}
ALLOWED = "# a fallback, not a press"  # driving.py closes a dialog a failed answer left open


def _window_test_files() -> list[Path]:
    return [
        path
        for path in sorted(TESTS.rglob("*.py"))
        if "benchmarks" not in path.parts
        and path.name != "test_controls.py"
        and ("qtbot" in (text := path.read_text("utf-8")) or "PySide6" in text)
    ]


def test_window_tests_press_controls_instead_of_calling_them():
    found = []
    for path in _window_test_files():
        source = path.read_text("utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CALLS_A_PERSON_CANNOT_MAKE
                and ALLOWED not in lines[node.lineno - 1]
            ):
                found.append(f"{path.relative_to(TESTS)}:{node.lineno}: .{node.func.attr}()")
    assert found == []


def test_the_recorder_counts_clicks_and_menu_choices_not_calls(qtbot):
    recorder = ControlRecorder()
    window = QMainWindow()
    window.setObjectName(SELF_TEST)  # the session's own recorder leaves it out
    qtbot.addWidget(window)
    menu = window.menuBar().addMenu("&Tools")
    chosen, called = QAction("&Chosen", window), QAction("Called", window)
    menu.addActions([chosen, called])
    dialog = QDialog(window)
    layout = QVBoxLayout(dialog)
    pressed, shown = QPushButton("&Pressed  P", dialog), QPushButton("Only shown", dialog)
    layout.addWidget(pressed)
    layout.addWidget(shown)
    window.installEventFilter(recorder)
    dialog.installEventFilter(recorder)
    pressed.installEventFilter(recorder)
    shown.installEventFilter(recorder)
    window.show()
    qtbot.waitExposed(window)
    dialog.show()
    qtbot.waitExposed(dialog)

    press(qtbot, pressed)
    choose_menu_item(qtbot, window, "Tools", "Chosen")
    called.trigger()  # not a press: yet the recorder cannot tell; test_window_tests_… can
    shown.setDown(True)  # looks pressed, is not clicked
    shown.setDown(False)

    assert set(recorder.shown) == {
        "QMainWindow: Tools → Chosen",
        "QMainWindow: Tools → Called",
        "QDialog: Pressed",
        "QDialog: Only shown",
    }
    assert recorder.never_pressed() == ["QDialog: Only shown"]
    qtbot.keyClick(pressed, Qt.Key.Key_F8)
    assert ("QPushButton", int(Qt.Key.Key_F8), 0) in recorder.keys
