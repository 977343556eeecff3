"""Layers in the view: switching whose spans are shown with the chooser and the key, showing
several annotators at once (each told apart), and keeping read-only layers read-only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.ui.document_view import layer_pen_style
from tests.ui.driving import drag
from tests.ui.test_annotating import FIRST, ready

NEXT_LAYERS = (
    Qt.Key.Key_L,
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
)


def shown_annotators(window) -> set[str]:
    return {span.record.annotator for span in window.view.spans()}


def stored(location: str, annotator: str, document_id: int) -> list[tuple]:
    with Store.open(location) as store:
        person = store.ensure_annotator(annotator)
        return sorted(
            (s.label, s.start, s.end)
            for s in store.spans(document_id, annotator_ids=[person.id], statuses=["accepted"])
        )


def choose_in_combo(chooser, title: str) -> None:
    """Pick an entry of the toolbar's list, as a click on it does."""
    index = chooser.combo.findText(title)
    assert index >= 0, [chooser.combo.itemText(i) for i in range(chooser.combo.count())]
    chooser.combo.setCurrentIndex(index)
    chooser.combo.activated.emit(index)
    QApplication.processEvents()


def test_the_chooser_and_the_key_switch_whose_spans_are_shown(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    view = ready(qtbot, window)
    document_id = window.session.document.id
    chooser = window.layer_chooser
    assert chooser.current_title() == "My spans" and shown_annotators(window) == set()

    choose_in_combo(chooser, "analyst_b")
    theirs = stored(project, "analyst_b", document_id)
    assert shown_annotators(window) == {"analyst_b"}
    assert sorted((s.record.label, s.record.start, s.record.end) for s in view.spans()) == theirs
    assert [entry[0] for entry in chooser.legend.entries()] == ["analyst_b"]

    # Another annotator's layer alone is read-only: a label key tags nothing.
    start = FIRST.index("Central Command")
    drag(view, start, start + 15)
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert stored(project, "lead", document_id) == []
    assert stored(project, "analyst_b", document_id) == theirs

    seen = [chooser.current_title()]
    for _ in range(3):
        qtbot.keyClick(view, *NEXT_LAYERS)
        seen.append(chooser.current_title())
    assert seen == ["analyst_b", "Gold", "My spans", "analyst_a"]
    assert shown_annotators(window) == {"analyst_a"}
    assert window.session.editing.name == "lead"
    qtbot.keyClick(view, *NEXT_LAYERS)
    assert chooser.current_title() == "analyst_b"


def test_several_annotators_at_once_are_told_apart(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    view = ready(qtbot, window)
    chooser = window.layer_chooser
    choose_in_combo(chooser, "Several…")
    dialog = chooser.several_dialog
    dialog.set_checked(["lead", "analyst_a", "analyst_b"])
    dialog.accept()
    window.activateWindow()  # the dialog gave the focus back (offscreen does not by itself)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    assert [(name, style) for name, style, _index in chooser.legend.entries()] == [
        ("lead", "own"),
        ("analyst_a", "other"),
        ("analyst_b", "other"),
    ]
    assert shown_annotators(window) == {"analyst_a", "analyst_b"}
    patterns = {}
    for span in view.spans():
        patterns.setdefault(span.record.annotator, set()).add(layer_pen_style(span.layer))
    assert all(len(found) == 1 for found in patterns.values())  # one pattern per annotator
    assert patterns["analyst_a"] != patterns["analyst_b"]
    legend = {name: index for name, _style, index in chooser.legend.entries()}
    for span in view.spans():
        assert span.layer == legend[span.record.annotator]

    # The hover names whose span is whose where both tagged the same words.
    start = FIRST.index("Yahya Rasool")
    both = [s for s in view.spans() if s.record.start == start]
    hover = view.describe(both)
    assert "analyst_a" in hover and "analyst_b" in hover

    # One's own layer is shown, so tagging works and the new span is one's own.
    drag(view, start, start + 12)
    qtbot.keyClick(view, Qt.Key.Key_A)
    document_id = window.session.document.id
    assert stored(project, "lead", document_id) == [("Actor", start, start + 12)]
    mine = [s for s in view.spans() if s.record.annotator == "lead"]
    assert [(s.style, s.layer) for s in mine] == [("own", 0)]

    # The checklist's choice joins the cycle of the key.
    titles = []
    for _ in range(5):
        qtbot.keyClick(view, *NEXT_LAYERS)
        titles.append(chooser.current_title())
    assert titles == ["My spans", "analyst_a", "analyst_b", "Gold", "lead + analyst_a + analyst_b"]


def test_the_view_menu_lists_the_layer_choices(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    ready(qtbot, window)
    layers_menu = next(
        action.menu() for action in window.view_menu.actions() if action.text() == "&Layers"
    )
    layers_menu.aboutToShow.emit()
    gold = next(action for action in layers_menu.actions() if action.text() == "Gold")
    gold.trigger()
    QApplication.processEvents()
    assert window.layer_chooser.current_title() == "Gold"
    assert window.session.layers[0].annotator.is_gold
    assert not window.session.editing_shown()  # gold is written by review, not by hand here
