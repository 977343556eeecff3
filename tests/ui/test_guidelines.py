"""Guidelines in the window: the Guidelines dock (Ctrl+Shift+H) and the palette's tooltips
show each label's description, attributes and relations, and follow an edit made in the
label editor (and its undo)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QToolTip

from tests.ui.driving import CTRL, SHIFT, activate
from tests.ui.test_label_editor import answer_text, choose, click, open_editor, undo

CTRL_SHIFT = CTRL | SHIFT
CLAIM = "A statement put forward as true by someone"


def show_guidelines(qtbot, window):
    qtbot.keyClick(window.view, Qt.Key.Key_H, CTRL_SHIFT)
    dock = window.guidelines_dock
    qtbot.waitUntil(dock.dock.isVisible)
    return dock.panel


def hover_label(qtbot, window, name: str) -> str:
    """Rest the mouse on a label of the palette until its tooltip shows; its text."""
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible())
    # Qt shows no tooltip while a button is held, and QTest's mouseDClick (Qt 6.11) leaves
    # the left one held: an earlier test's double-click is let go of first, as a finger has.
    held = QApplication.mouseButtons()
    if held:
        qtbot.mouseRelease(window, held, pos=QPoint(1, 1))
    assert not QApplication.mouseButtons()
    label = window.session.label_by_name(name)
    button = window.palette.button(label.id)
    qtbot.mouseMove(button, QPoint(5, 5))
    qtbot.mouseMove(button, button.rect().center())
    qtbot.waitUntil(QToolTip.isVisible, timeout=5000)
    return QToolTip.text()


def test_the_guidelines_dock_shows_every_label_with_its_schema(qtbot, project, open_window):
    window = open_window(project)
    panel = show_guidelines(qtbot, window)
    text = panel.plain_text()
    # Every label in the palette's order, with its keys and description.
    names = [label.name for label in window.session.labels]
    positions = [text.index(f"■ {name}") for name in names]
    assert positions == sorted(positions)
    assert "Claim  C · 1" in text.replace("\xa0", " ")
    assert CLAIM in text
    # Attributes with their kinds, values and descriptions; relations with their targets.
    assert "stance (choice: supports, opposes, neutral)" in text
    assert "Does the source support or oppose what the claim is about?" in text
    assert "source → Actor (one; required; Alt+S) — Who makes the claim." in text
    assert "agent → Actor (several; Alt+G) — Who did it." in text
    assert "The PLOVER event category." in text


def test_a_palette_label_shows_its_guidelines_on_hover(qtbot, project, open_window):
    window = open_window(project)
    tip = hover_label(qtbot, window, "Event")
    assert "Something that happened or is reported to happen" in tip
    assert "The PLOVER event category." in tip
    assert "Who did it." in tip and "E · 3" in tip


def test_guidelines_follow_a_description_written_in_the_label_editor(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    panel = show_guidelines(qtbot, window)
    store = window.session.store
    before = store.label_by_name("Claim").description
    assert before.startswith(CLAIM)

    editor = open_editor(qtbot, window)
    choose(qtbot, editor, "Claim")
    written = "Said by a named actor; reported speech counts"  # QTest types ASCII only
    click(qtbot, editor, "Description…", answer_text(qtbot, written))
    assert store.label_by_name("Claim").description == written
    assert written in panel.plain_text() and CLAIM not in panel.plain_text()

    undo(qtbot, editor)
    assert store.label_by_name("Claim").description == before
    assert CLAIM in panel.plain_text() and written not in panel.plain_text()
    qtbot.keyClick(editor.list, Qt.Key.Key_Z, CTRL_SHIFT)  # redo
    assert store.label_by_name("Claim").description == written
    qtbot.keyClick(editor.list, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not editor.isVisible())
    activate(qtbot, window)

    # The palette's tooltip follows too.
    assert written in hover_label(qtbot, window, "Claim")
    QApplication.processEvents()
