"""Annotating in the window as a person does, checking both the view and the database."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from tests.conftest import CORPUS
from tests.ui.driving import click, drag

FIRST = (CORPUS / "000_f40a1a98859d52a1.txt").read_text(encoding="utf-8")


def stored_spans(location: str, annotator: str = "me") -> list[tuple]:
    """What the database holds for an annotator, read through a separate connection."""
    with Store.open(location) as store:
        person = store.ensure_annotator(annotator)
        return sorted(
            (s.label, s.start, s.end, s.text, s.status, s.origin, s.note)
            for document_id in store.document_ids()
            for s in store.spans(document_id, annotator_ids=[person.id])
        )


def ready(qtbot, window, document_text: str = FIRST):
    """Open the first seed article and wait until its tokens are known (for snapping)."""
    with Store.open(window.location) as store:
        document_id = next(
            d.id for d in store.list_documents() if store.document(d.id).text == document_text
        )
    window.open_document(document_id)
    qtbot.waitUntil(lambda: window.view.token_index is not None, timeout=20000)
    window.view.setFocus()
    return window.view


def test_select_with_the_mouse_and_press_a_label_key(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("Yahya Rasool")
    drag(view, start + 2, start + 9)  # "hya Ras": snaps to whole words
    assert FIRST[slice(*view.python_selection())] == "Yahya Rasool"
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert stored_spans(project) == [
        ("Actor", start, start + 12, "Yahya Rasool", "accepted", "manual", "")
    ]
    shown = [s.record for s in view.spans() if s.record.annotator == "me"]
    assert [(s.label, s.text) for s in shown] == [("Actor", "Yahya Rasool")]
    assert window.spans.model.rowCount() == 1
    document_id = window.session.document.id
    qtbot.waitUntil(lambda: window.documents.model.summary(document_id).span_count == 1)
    assert window.header.status.currentData() == "in_progress"


def test_every_change_undoes_and_redoes_in_the_database(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("Joe Biden")
    drag(view, start, start + 9)
    qtbot.keyClick(view, Qt.Key.Key_2)  # the second label, Actor
    added = stored_spans(project)
    assert [row[:4] for row in added] == [("Actor", start, start + 9, "Joe Biden")]
    uuid = view.spans()[-1].uuid if view.spans()[-1].record.annotator == "me" else None
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored_spans(project) == []
    assert all(s.record.annotator != "me" for s in view.spans())
    qtbot.keyClick(
        view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert stored_spans(project) == added
    mine = [s for s in view.spans() if s.record.annotator == "me"]
    assert len(mine) == 1 and (uuid is None or mine[0].uuid == uuid)


def test_click_selects_a_span_then_keys_relabel_and_delete_it(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("US military")
    drag(view, start, start + 11)
    qtbot.keyClick(view, Qt.Key.Key_E)
    view.select_span(None)
    click(view, start + 3)
    assert view.selected_span() is not None and view.selected_span().text == "US military"
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert stored_spans(project)[0][:2] == ("Actor", start)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert stored_spans(project) == []
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [row[:4] for row in stored_spans(project)] == [
        ("Actor", start, start + 11, "US military")
    ]
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored_spans(project)[0][0] == "Event"


def test_holding_ctrl_selects_exact_characters(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("Iran-backed")
    drag(view, start, start + 4, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert [row[:4] for row in stored_spans(project)] == [("Actor", start, start + 4, "Iran")]


def test_shift_arrows_select_whole_words_and_alt_exact_characters(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("Central Command")
    view.select_python_range(start, start)
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert FIRST[slice(*view.python_selection())] == "Central"
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert FIRST[slice(*view.python_selection())] == "Central Command"
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert FIRST[slice(*view.python_selection())] == "Central Command"
    qtbot.keyClick(view, Qt.Key.Key_A)
    view.select_python_range(start, start)
    alt_shift = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_Right, alt_shift)
    qtbot.keyClick(view, Qt.Key.Key_C)
    assert [row[:4] for row in stored_spans(project)] == [
        ("Actor", start, start + 15, "Central Command"),
        ("Claim", start, start + 3, "Cen"),
    ]


def test_nested_spans_are_all_reachable_and_described(qtbot, project, open_window):
    window = open_window(project, annotator="analyst_a")
    view = ready(qtbot, window)
    inner = FIRST.index("Iran-backed armed groups")
    click(view, inner + 5)
    first = view.selected_span()
    click(view, inner + 5)
    second = view.selected_span()
    assert {first.label, second.label} == {"Actor", "Claim"}
    assert first.label == "Actor"  # the innermost comes first
    spans = [s for s in view.spans() if s.uuid in (first.uuid, second.uuid)]
    assert len({s.level for s in spans}) == 2  # separate underline bars
    hover = view.describe(spans)
    assert "Actor" in hover and "Claim" in hover and "analyst_a" in hover


def test_tab_walks_spans_and_the_panel_follows(qtbot, project, open_window):
    window = open_window(project, annotator="analyst_a")
    view = ready(qtbot, window)
    view.select_python_range(0, 0)
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    first = view.selected_span()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    second = view.selected_span()
    assert (first.start, first.end) <= (second.start, second.end) and first.uuid != second.uuid
    rows = window.spans.table.selectionModel().selectedRows()
    assert [window.spans.model.span(index.row()).uuid for index in rows] == [second.uuid]


def test_palette_click_and_panel_edits_are_commands(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("CENTCOM")
    drag(view, start, start + 7)
    event = next(label for label in window.session.labels if label.name == "Event")
    window.palette.button(event.id).click()
    assert stored_spans(project)[0][:4] == ("Event", start, start + 7, "CENTCOM")
    model = window.spans.model
    row = next(r for r in range(model.rowCount()) if model.span(r).annotator == "me")
    model.setData(model.index(row, 4), "check the acronym")
    actor = next(label for label in window.session.labels if label.name == "Actor")
    model.setData(model.index(row, 0), actor.id)
    assert (
        stored_spans(project)[0][0] == "Actor"
        and stored_spans(project)[0][6] == "check the acronym"
    )
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert stored_spans(project)[0][0] == "Event" and stored_spans(project)[0][6] == ""


def test_another_annotators_spans_are_not_changed(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    window.session.set_layers(
        [window.store.ensure_annotator("analyst_b"), window.session.annotator]
    )
    view = ready(qtbot, window)
    theirs = next(s for s in view.spans() if s.record.annotator == "analyst_b")
    view.select_span(theirs.uuid)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    QApplication.processEvents()
    with Store.open(project) as store:
        assert store.span(theirs.uuid) is not None


def test_progress_keys_mark_done_and_move_to_the_next_unfinished(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    first_id = window.session.document.id
    qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    with Store.open(project) as store:
        me = store.ensure_annotator("me")
        assert store.document_status(first_id, me.id) == "done"
    assert window.documents.model.summary(first_id).status == "done"
    qtbot.keyClick(view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    second_id = window.session.document.id
    assert second_id != first_id
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert (
        window.session.document.id not in (first_id, second_id)
        or window.session.document.id == second_id
    )


def test_the_window_remembers_its_document_and_position(qtbot, project, open_window, tmp_path):
    window = open_window(project, annotator="me")
    long_id = max(window.store.list_documents(), key=lambda d: d.length).id
    window.open_document(long_id)
    window.resize(900, 500)
    window.view.scroll_to_offset(window.view.text.index("\n", 3000) + 1)
    QApplication.processEvents()
    position = window.view.first_visible_offset()
    assert position > 0
    window.close()
    again = open_window(project, annotator="me")
    assert again.session.document.id == long_id
    QApplication.processEvents()
    assert again.view.first_visible_offset() == position
