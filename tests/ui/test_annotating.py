"""Annotating in the window as a person does, checking both the view and the database."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.formats import import_paths
from desktop.ui.document_list import ID_ROLE
from tests.conftest import CORPUS
from tests.ui.driving import (
    CTRL,
    LEFT,
    activate,
    choose_in_combo,
    click,
    click_row,
    drag,
    hover,
    place_cursor,
    press,
)

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


def open_in_list(qtbot, window, document_id: int) -> None:
    """Click a document in the documents list."""
    documents = window.documents
    source_row = documents.model.row_of(document_id)
    row = documents.proxy.mapFromSource(documents.model.index(source_row, 0)).row()
    click_row(qtbot, documents.table, row)
    assert window.session.document.id == document_id


def ready(qtbot, window, document_text: str = FIRST):
    """Open the first seed article from the list, wait until its tokens are known (for
    snapping) and click into the text."""
    with Store.open(window.location) as store:
        document_id = next(
            d.id for d in store.list_documents() if store.document(d.id).text == document_text
        )
    if window.session.document is None or window.session.document.id != document_id:
        open_in_list(qtbot, window, document_id)
    qtbot.waitUntil(lambda: window.view.token_index is not None, timeout=20000)
    qtbot.waitUntil(lambda: window.session.all_spans_shown)
    qtbot.mouseClick(window.view.viewport(), LEFT, pos=QPoint(2, 2))  # into the margin
    assert window.view.hasFocus() and window.view.selected_span() is None
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
    [uuid] = [s.uuid for s in view.spans() if s.record.annotator == "me"]
    with Store.open(project) as store:
        assert store.span(uuid).text == "Joe Biden"
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored_spans(project) == []
    assert all(s.record.annotator != "me" for s in view.spans())
    qtbot.keyClick(
        view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert stored_spans(project) == added
    mine = [s for s in view.spans() if s.record.annotator == "me"]
    assert [s.uuid for s in mine] == [uuid]  # the same span back, not a new one
    with Store.open(project) as store:
        assert store.span(uuid).text == "Joe Biden"


def test_click_selects_a_span_then_keys_relabel_and_delete_it(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("US military")
    drag(view, start, start + 11)
    qtbot.keyClick(view, Qt.Key.Key_E)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert view.selected_span() is None
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
    place_cursor(view, start)
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert FIRST[slice(*view.python_selection())] == "Central"
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert FIRST[slice(*view.python_selection())] == "Central Command"
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert FIRST[slice(*view.python_selection())] == "Central Command"
    qtbot.keyClick(view, Qt.Key.Key_A)
    place_cursor(view, start)
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
    shown = hover(view, inner + 5)
    assert "Actor" in shown and "Claim" in shown and "analyst_a" in shown


def test_tab_walks_spans_and_the_panel_follows(qtbot, project, open_window):
    window = open_window(project, annotator="analyst_a")
    view = ready(qtbot, window)
    qtbot.keyClick(view, Qt.Key.Key_Home, CTRL)  # the start of the article
    assert view.cursor_offset() == 0
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    first = view.selected_span()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    second = view.selected_span()
    assert (first.start, first.end) <= (second.start, second.end) and first.uuid != second.uuid
    rows = window.spans.table.selectionModel().selectedRows()
    assert [window.spans.model.span(index.row()).uuid for index in rows] == [second.uuid]


def edit_cell(qtbot, table, row: int, column: int):
    """Double-click a cell of the span table: its editor opens."""
    index = table.model().index(row, column)
    table.scrollTo(index)
    point = table.visualRect(index).center()
    qtbot.mouseClick(table.viewport(), LEFT, pos=point)
    qtbot.mouseDClick(table.viewport(), LEFT, pos=point)
    editor = QApplication.focusWidget()
    assert editor is not None and editor.parent() is table.viewport(), editor
    return editor


def test_palette_click_and_panel_edits_are_commands(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("CENTCOM")
    drag(view, start, start + 7)
    event = next(label for label in window.session.labels if label.name == "Event")
    press(qtbot, window.palette.button(event.id))
    assert stored_spans(project)[0][:4] == ("Event", start, start + 7, "CENTCOM")
    model, table = window.spans.model, window.spans.table
    row = next(r for r in range(model.rowCount()) if model.span(r).annotator == "me")

    note = edit_cell(qtbot, table, row, 4)
    qtbot.keyClicks(note, "check the acronym")
    qtbot.keyClick(note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != table.State.EditingState)  # Qt commits queued
    assert stored_spans(project)[0][6] == "check the acronym"
    assert model.data(model.index(row, 4)) == "check the acronym"

    label = edit_cell(qtbot, table, row, 0)
    choose_in_combo(qtbot, label, "Actor")
    qtbot.keyClick(label, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != table.State.EditingState)
    assert (
        stored_spans(project)[0][0] == "Actor"
        and stored_spans(project)[0][6] == "check the acronym"
    )
    assert model.data(model.index(row, 0)) == "Actor"

    activate(qtbot, window)  # the label list was a window of its own
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert stored_spans(project)[0][0] == "Event" and stored_spans(project)[0][6] == ""


def test_another_annotators_spans_are_not_changed(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    choose_in_combo(qtbot, window.layer_chooser.combo, "analyst_b")
    theirs = next(s for s in view.spans() if s.record.annotator == "analyst_b")
    click(view, theirs.record.start + 1)
    selected = view.selected_span()
    assert selected is not None and selected.annotator == "analyst_b"
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    QApplication.processEvents()
    assert "Only your own spans" in window.last_error
    with Store.open(project) as store:
        assert store.span(selected.uuid) is not None


def test_progress_keys_mark_done_and_move_to_the_next_unfinished(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    first_id = window.session.document.id
    qtbot.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    with Store.open(project) as store:
        me = store.ensure_annotator("me")
        assert store.document_status(first_id, me.id) == "done"
    assert window.documents.model.summary(first_id).status == "done"
    # The list in its order: the first article on top, none of the others done.
    proxy = window.documents.proxy
    order = [proxy.data(proxy.index(row, 0), ID_ROLE) for row in range(proxy.rowCount())]
    assert order[0] == first_id and len(order) >= 3
    with Store.open(project) as store:
        assert {store.document_status(d, me.id) for d in order[1:]} == {"not_started"}
    qtbot.keyClick(view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    second_id = window.session.document.id
    assert second_id == order[1]
    qtbot.keyClick(window.view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.session.document.id == order[2]
    # Ctrl+PgUp: the previous document that is not done, in the list's order.
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.session.document.id == second_id
    assert window.view.hasFocus() and window.view.text == window.store.document(second_id).text
    # Before it is only the first, which is done: Ctrl+PgUp stays and says so.
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.session.document.id == second_id
    assert window.statusBar().currentMessage() == "No unfinished document in that direction"


def test_the_window_remembers_its_document_and_position(qtbot, project, open_window, tmp_path):
    window = open_window(project, annotator="me")
    long_id = max(window.store.list_documents(), key=lambda d: d.length).id
    open_in_list(qtbot, window, long_id)
    window.resize(900, 500)
    for _ in range(3):
        qtbot.keyClick(window.view, Qt.Key.Key_PageDown)
    QApplication.processEvents()
    position = window.view.first_visible_offset()
    assert position > 0
    window.close()
    again = open_window(project, annotator="me")
    assert again.session.document.id == long_id
    QApplication.processEvents()
    assert again.view.first_visible_offset() == position


def test_moving_through_the_span_table_by_keys_shows_each_span(qtbot, tmp_path, open_window):
    location = str(tmp_path / "long.db")
    article = tmp_path / "long.txt"
    paragraphs = [
        f"Paragraph {n}. Militia commander number {n} said on Thursday that talks would resume."
        for n in range(400)
    ]
    article.write_text("A long report\n\n" + "\n\n".join(paragraphs), encoding="utf-8")
    with Store.open(location) as store:
        import_paths(store, [article])
        [document_id] = store.document_ids()
        text = store.document(document_id).text
        me = store.ensure_annotator("me")
        actor = store.label_by_name("Actor").id
        for n in range(0, 400, 40):
            name = f"Militia commander number {n}"
            start = text.index(name + " ")
            store.add_span(document_id, actor, me.id, start, start + len(name))
    window = open_window(location, annotator="me")
    qtbot.waitUntil(lambda: window.session.all_spans_shown)
    view, table, model = window.view, window.spans.table, window.spans.model
    assert model.rowCount() == 10

    def shown(row: int) -> bool:
        """The span of a row is selected in the document and on screen."""
        span = view.view_span(model.span(row).uuid)
        cursor = QTextCursor(view.document())
        cursor.setPosition(span.start)
        start = view.cursorRect(cursor)
        cursor.setPosition(span.end)
        end = view.cursorRect(cursor)
        screen = view.viewport().rect()
        return (
            view.selected_span() is not None
            and view.selected_span().uuid == span.uuid
            and screen.contains(start)
            and screen.contains(end)
        )

    click_row(qtbot, table, 0)
    assert shown(0)
    for row in (1, 2, 3):
        qtbot.keyClick(table, Qt.Key.Key_Down)
        assert table.currentIndex().row() == row and shown(row), row
    qtbot.keyClick(table, Qt.Key.Key_End)
    assert table.currentIndex().row() == 9 and shown(9)
    assert view.first_visible_offset() > text.index("Paragraph 300.")
    qtbot.keyClick(table, Qt.Key.Key_Up)
    assert shown(8)
    qtbot.keyClick(table, Qt.Key.Key_Home)
    assert shown(0) and view.first_visible_offset() < text.index("Paragraph 20.")
    assert table.hasFocus()  # the keys keep working in the table
    assert [index.row() for index in table.selectionModel().selectedRows()] == [0]
