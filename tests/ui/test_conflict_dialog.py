"""A span a colleague changed first: the window shows theirs and mine side by side and the
analyst keeps theirs (T, or Esc), applies mine on top (M) or edits (E), by key; each is
checked in the database, then Ctrl+Z and checked again.

The colleague is a second store on the same project (an SQLite file, and a PostgreSQL
database of the test's own), as a second window would be.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.formats import import_paths
from desktop.ui.conflict_dialog import ConflictDialog, SpanEditorDialog
from tests.ui.driving import (
    CTRL,
    activate,
    answer_dialog,
    choose_in_combo,
    click,
    drag,
    press,
    type_into,
)
from tests.ui.test_annotating import FIRST, edit_cell, ready

WORDS = "Joe Biden"


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path, corpus):
    """The seed corpus in a project on each database, with the annotator "me"."""
    if request.param == "sqlite":
        where = str(tmp_path / "project.db")
        with Store.open(where) as store:
            import_paths(store, [corpus])
            store.ensure_annotator("me")
        yield where
        return
    from tests.test_cli_failures import pg_database

    with pg_database() as (url, _name):
        with Store.open(url) as store:
            import_paths(store, [corpus])
            store.ensure_annotator("me")
        yield url


@pytest.fixture
def colleague(location):
    """Another session on the same project."""
    store = Store.open(location)
    yield store
    store.close()


def mine(location: str) -> list[tuple]:
    """The spans of "me", read through a connection of their own."""
    with Store.open(location) as store:
        me = store.ensure_annotator("me")
        return sorted(
            (s.uuid, s.label, s.start, s.end, s.text, s.note)
            for document_id in store.document_ids()
            for s in store.spans(document_id, annotator_ids=[me.id])
        )


def tagged(qtbot, window, location: str):
    """Tag "Joe Biden" as an Actor in the window, as a person does; the span, as stored."""
    view = ready(qtbot, window)
    start = FIRST.index(WORDS)
    drag(view, start, start + len(WORDS))
    qtbot.keyClick(view, Qt.Key.Key_A)
    [(uuid, *_)] = mine(location)
    with Store.open(location) as store:
        return store.span(uuid)


def select(qtbot, window, span) -> None:
    view = window.view
    click(window.view, span.start + 1)
    assert view.selected_span() is not None and view.selected_span().uuid == span.uuid


def answered(qtbot, answer) -> list[str]:
    """Answer the next conflict dialog with ``answer(dialog)``."""
    return answer_dialog(qtbot, ConflictDialog, answer)


def key(qtbot, letter):
    return lambda dialog: qtbot.keyClick(dialog, letter)


def shown_label(window, uuid: str) -> str | None:
    found = [s.record for s in window.view.spans() if s.record.uuid == uuid]
    return found[0].label if found else None


def test_their_relabel_then_mine_t_keeps_theirs(qtbot, location, colleague, open_window):
    window = open_window(location, annotator="me")
    span = tagged(qtbot, window, location)
    colleague.update_span(span.uuid, 1, label_id=colleague.label_by_name("Claim").id)
    select(qtbot, window, span)

    answer = answered(qtbot, key(qtbot, Qt.Key.Key_T))
    qtbot.keyClick(window.view, Qt.Key.Key_E)  # relabel as Event: refused, shown
    qtbot.waitUntil(lambda: answer == ["Changed by someone else"])

    start = span.start
    assert mine(location) == [(span.uuid, "Claim", start, start + 9, WORDS, "")]
    assert shown_label(window, span.uuid) == "Claim"  # the view shows theirs
    assert "Kept their version" in window.statusBar().currentMessage()
    activate(qtbot, window)
    answer = answered(qtbot, key(qtbot, Qt.Key.Key_T))
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # the tag's undo meets their relabel
    qtbot.waitUntil(lambda: answer == ["Changed by someone else"])
    assert mine(location) == [(span.uuid, "Claim", start, start + 9, WORDS, "")]
    assert window.session.undo_stack.count() == 0  # the refused undo left the stack


def test_their_move_then_mine_m_applies_my_label_on_their_offsets(
    qtbot, location, colleague, open_window
):
    window = open_window(location, annotator="me")
    span = tagged(qtbot, window, location)
    wider = FIRST.index("President Joe Biden")
    colleague.update_span(span.uuid, 1, start=wider, end=span.end)
    select(qtbot, window, span)
    answer = answered(qtbot, lambda dialog: press(qtbot, dialog.mine_button))
    qtbot.keyClick(window.view, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: answer == ["Changed by someone else"])

    covered = FIRST[wider : span.end]
    assert mine(location) == [(span.uuid, "Event", wider, span.end, covered, "")]
    assert shown_label(window, span.uuid) == "Event"
    activate(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # the relabel on theirs, undone
    assert mine(location) == [(span.uuid, "Actor", wider, span.end, covered, "")]


def test_their_note_then_mine_e_edits_and_applies_on_theirs(
    qtbot, location, colleague, open_window
):
    window = open_window(location, annotator="me")
    span = tagged(qtbot, window, location)
    colleague.update_span(span.uuid, 1, note="their note")
    select(qtbot, window, span)
    start = FIRST.index("Biden")  # the editor takes exact code points
    editors: list[list[str]] = []

    def cancel_then_edit(dialog: ConflictDialog) -> None:
        cancelled = answer_dialog(
            qtbot, SpanEditorDialog, lambda editor: press(qtbot, editor.buttons.buttons()[1])
        )
        qtbot.keyClick(dialog, Qt.Key.Key_E)  # the editor, cancelled: back to the choice
        editors.append(cancelled)
        assert dialog.isVisible()

        def fill(editor: SpanEditorDialog) -> None:
            assert editor.note.text() == ""  # mine: no note
            choose_in_combo(qtbot, editor.label, "Claim")
            type_into(qtbot, editor.start, str(start))
            type_into(qtbot, editor.end, str(start + 5))
            type_into(qtbot, editor.note, "mine, edited")
            assert "<b>Biden</b>" in editor.covered.text()
            press(qtbot, editor.ok)

        editors.append(answer_dialog(qtbot, SpanEditorDialog, fill))
        qtbot.keyClick(dialog, Qt.Key.Key_E)

    answer = answered(qtbot, cancel_then_edit)
    qtbot.keyClick(window.view, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: answer == ["Changed by someone else"])

    assert editors == [["Edit, then apply on theirs"]] * 2
    assert mine(location) == [(span.uuid, "Claim", start, start + 5, "Biden", "mine, edited")]
    activate(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert mine(location) == [(span.uuid, "Actor", span.start, span.end, WORDS, "their note")]


def test_their_note_then_my_delete_esc_keeps_theirs(qtbot, location, colleague, open_window):
    window = open_window(location, annotator="me")
    span = tagged(qtbot, window, location)
    colleague.update_span(span.uuid, 1, note="keep this one")
    select(qtbot, window, span)

    def escape(dialog: ConflictDialog) -> None:
        assert dialog.mine_button.isVisible() and dialog.edit_button.isVisible()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    answer = answered(qtbot, escape)
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: answer == ["Changed by someone else"])

    kept = [(span.uuid, "Actor", span.start, span.end, WORDS, "keep this one")]
    assert mine(location) == kept
    activate(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # the tag's undo now meets their note
    answer = answered(qtbot, key(qtbot, Qt.Key.Key_T))
    qtbot.waitUntil(lambda: answer == ["Changed by someone else"])
    assert mine(location) == kept


def test_their_delete_then_my_note_m_puts_mine_back(qtbot, location, colleague, open_window):
    window = open_window(location, annotator="me")
    span = tagged(qtbot, window, location)
    model, table = window.spans.model, window.spans.table
    row = next(r for r in range(model.rowCount()) if model.span(r).uuid == span.uuid)
    colleague.delete_span(span.uuid, 1)

    answer = answered(qtbot, key(qtbot, Qt.Key.Key_M))
    note = edit_cell(qtbot, table, row, 4)
    qtbot.keyClicks(note, "mine")
    qtbot.keyClick(note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: answer == ["Changed by someone else"])

    assert mine(location) == [(span.uuid, "Actor", span.start, span.end, WORDS, "mine")]
    activate(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # the span put back as mine, taken away
    assert mine(location) == []


def test_their_note_then_my_undo_m_takes_my_label_back_and_keeps_their_note(
    qtbot, location, colleague, open_window
):
    window = open_window(location, annotator="me")
    span = tagged(qtbot, window, location)
    select(qtbot, window, span)
    qtbot.keyClick(window.view, Qt.Key.Key_E)  # relabel as Event: saved
    assert mine(location)[0][1] == "Event"
    colleague.update_span(span.uuid, 2, note="theirs")

    answer = answered(qtbot, key(qtbot, Qt.Key.Key_M))
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # undo the relabel: refused, shown
    qtbot.waitUntil(lambda: answer == ["Changed by someone else"])

    assert mine(location) == [(span.uuid, "Actor", span.start, span.end, WORDS, "theirs")]
    activate(qtbot, window)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert mine(location) == [(span.uuid, "Event", span.start, span.end, WORDS, "theirs")]
    assert QApplication.activeModalWidget() is None
