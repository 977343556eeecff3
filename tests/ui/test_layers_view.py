"""Layers in the view: switching whose spans are shown with the chooser and the key, showing
several annotators at once (each told apart), and keeping read-only layers read-only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.ui.document_list import ID_ROLE, SPANS
from desktop.ui.document_view import layer_pen_style
from desktop.ui.layers import SeveralLayersDialog
from tests.ui.driving import (
    activate,
    choose_in_combo,
    choose_menu_item,
    drag,
    hover,
    press_ok,
    tick,
)
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


def show_layers(qtbot, window, title: str) -> None:
    """Pick an entry of the toolbar's "Show:" list."""
    choose_in_combo(qtbot, window.layer_chooser.combo, title)
    activate(qtbot, window)  # the list was a window of its own


def show_several(qtbot, window, names: set[str]) -> None:
    """ "Show: Several…", tick the annotators, press OK."""
    choose_in_combo(qtbot, window.layer_chooser.combo, "Several…")
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, SeveralLayersDialog)
    tick(qtbot, dialog.list, names)
    press_ok(qtbot, dialog)
    assert not dialog.isVisible()
    activate(qtbot, window)  # the dialog gave the focus back (offscreen does not by itself)


def listed_counts(window) -> dict[int, int]:
    """The Spans column of the documents list, by document id."""
    model = window.documents.model
    return {
        model.data(model.index(row, 0), ID_ROLE): int(model.data(model.index(row, SPANS)))
        for row in range(model.rowCount())
    }


def stored_counts(location: str, annotators: list[str]) -> dict[int, int]:
    """Accepted spans per document of these annotators, from the database."""
    with Store.open(location) as store:
        ids = [store.ensure_annotator(name).id for name in annotators]
        counts = dict.fromkeys(store.document_ids(), 0)
        for span in store.spans_where(annotator_ids=ids, statuses=["accepted"]):
            counts[span.document_id] += 1
        return counts


def test_the_chooser_and_the_key_switch_whose_spans_are_shown(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    view = ready(qtbot, window)
    document_id = window.session.document.id
    chooser = window.layer_chooser
    assert chooser.current_title() == "My spans" and shown_annotators(window) == set()

    show_layers(qtbot, window, "analyst_b")
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
    show_several(qtbot, window, {"lead (you)", "analyst_a", "analyst_b"})

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
    shown = hover(view, start + 2)
    assert "analyst_a" in shown and "analyst_b" in shown

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
    choose_menu_item(qtbot, window, "View", "Layers", "Gold")
    assert window.layer_chooser.current_title() == "Gold"
    assert shown_annotators(window) <= {"gold"}
    assert window.session.layers[0].annotator.is_gold
    assert not window.session.editing_shown()  # gold is written by review, not by hand here


def test_the_documents_list_counts_the_spans_of_the_layers_shown(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    view = ready(qtbot, window)
    assert set(listed_counts(window).values()) == {0}  # lead has tagged nothing yet
    assert listed_counts(window) == stored_counts(project, ["lead"])

    show_layers(qtbot, window, "analyst_b")
    assert listed_counts(window) == stored_counts(project, ["analyst_b"])
    assert any(listed_counts(window).values())

    show_several(qtbot, window, {"lead (you)", "analyst_a", "analyst_b"})
    both = stored_counts(project, ["lead", "analyst_a", "analyst_b"])
    assert listed_counts(window) == both

    # A new span of one's own counts at once; its document's row says so.
    document_id = window.session.document.id
    start = FIRST.index("Central Command")
    drag(view, start, start + 15)
    qtbot.keyClick(view, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: listed_counts(window)[document_id] == both[document_id] + 1)
    assert listed_counts(window) == stored_counts(project, ["lead", "analyst_a", "analyst_b"])

    # The key that cycles the layers changes the counts as well.
    qtbot.keyClick(view, *NEXT_LAYERS)
    assert window.layer_chooser.current_title() == "My spans"
    assert listed_counts(window) == stored_counts(project, ["lead"])
    assert listed_counts(window)[document_id] == 1
