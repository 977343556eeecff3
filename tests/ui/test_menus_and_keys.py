"""The window's menus and the document view's keys, pressed as a person presses them: the
View menu's panels and text size, Help, Quit, a document's progress and the filter box, the
suggestions accepted or rejected all at once, several layers at once, the label palette, and
the keys that select, tag and walk the spans. Each is checked in the window and, where it
writes, in the database."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QMessageBox,
    QTextBrowser,
    QToolButton,
)

from db.store import Store
from desktop import __version__
from desktop.formats import import_paths
from desktop.settings import Settings
from desktop.ui import workers
from desktop.ui.document_list import ID_ROLE
from desktop.ui.help import ShortcutsDialog
from desktop.ui.layers import SeveralLayersDialog
from tests.ui.driving import (
    CTRL,
    LEFT,
    SHIFT,
    activate,
    answer_dialog,
    button_of,
    choose_menu_item,
    click,
    drag,
    place_cursor,
    press,
    press_ok,
    tick,
)
from tests.ui.test_annotating import FIRST, ready, stored_spans

ALT_SHIFT = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier


def choose_entry(qtbot, window, title: str, entry) -> None:
    """Open a menu of the menu bar and click one of its entries (for an entry whose text
    another entry of the menu shares: View → Layers is a submenu and a toolbar's toggle)."""
    bar = window.menuBar()
    top = next(a for a in bar.actions() if a.text().replace("&", "") == title)
    qtbot.mouseMove(bar, bar.actionGeometry(top).center())
    qtbot.mouseClick(bar, LEFT, pos=bar.actionGeometry(top).center())
    menu = top.menu()
    qtbot.waitUntil(menu.isVisible)
    assert entry in menu.actions() and entry.isEnabled()
    where = menu.actionGeometry(entry).center()
    qtbot.mouseMove(menu, where)
    qtbot.mouseClick(menu, LEFT, pos=where)
    QApplication.processEvents()


def status_of(location: str, document_id: int, annotator: str = "me") -> str:
    with Store.open(location) as store:
        return store.document_status(document_id, store.ensure_annotator(annotator).id)


def listed(window) -> list[int]:
    """The documents the list shows, top to bottom."""
    proxy = window.documents.proxy
    return [proxy.data(proxy.index(row, 0), ID_ROLE) for row in range(proxy.rowCount())]


def listed_status(window, document_id: int) -> str:
    """What the Status column of the list says for a document."""
    proxy = window.documents.proxy
    row = listed(window).index(document_id)
    return proxy.data(proxy.index(row, 4))


def tag(qtbot, view, fragment: str, key: Qt.Key) -> tuple[int, int]:
    start = FIRST.index(fragment)
    drag(view, start, start + len(fragment))
    qtbot.keyClick(view, key)
    return start, start + len(fragment)


def selected_range(view) -> tuple[int, int] | None:
    span = view.selected_span()
    return None if span is None else (span.start, span.end)


# --- the View menu -----------------------------------------------------------------------------


def test_the_view_menu_hides_and_shows_each_panel(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window)
    for name, dock in (
        ("Documents", window.documents_dock),
        ("Labels", window.labels_dock),
        ("Spans", window.spans_dock),
    ):
        assert dock.isVisible(), name
        choose_menu_item(qtbot, window, "View", name)
        assert not dock.isVisible(), name
        choose_menu_item(qtbot, window, "View", name)
        assert dock.isVisible(), name

    review = window.review.dock
    assert not review.isVisible()
    choose_menu_item(qtbot, window, "View", "Review")
    assert review.isVisible()
    choose_menu_item(qtbot, window, "View", "Review")
    assert not review.isVisible()

    # View → Layers is both the submenu of layer choices and the toolbar's toggle.
    toggle = next(
        a for a in window.view_menu.actions() if a.text() == "Layers" and a.menu() is None
    )
    toolbar = window.layer_chooser.toolbar
    assert toolbar.isVisible() and window.layer_chooser.combo.isVisible()
    choose_entry(qtbot, window, "View", toggle)
    assert not toolbar.isVisible() and not window.layer_chooser.combo.isVisible()
    choose_entry(qtbot, window, "View", toggle)
    assert toolbar.isVisible() and window.layer_chooser.combo.isVisible()


def test_larger_and_smaller_text_resize_the_article_and_are_remembered(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    size = view.font().pointSize()
    line = view.cursorRect().height()
    choose_menu_item(qtbot, window, "View", "Larger text")
    assert view.font().pointSize() == size + 1
    choose_menu_item(qtbot, window, "View", "Larger text")
    assert view.font().pointSize() == size + 2
    assert view.cursorRect().height() > line  # the text is drawn larger
    choose_menu_item(qtbot, window, "View", "Smaller text")
    assert view.font().pointSize() == size + 1
    qtbot.keyClick(view, Qt.Key.Key_Minus, CTRL)
    assert view.font().pointSize() == size
    qtbot.keyClick(view, Qt.Key.Key_Plus, CTRL)
    assert view.font().pointSize() == size + 1

    window.close()
    assert Settings.load().font_size == size + 1
    again = open_window(project, annotator="me")
    assert again.view.font().pointSize() == size + 1


# --- Help --------------------------------------------------------------------------------------


def test_help_lists_the_keyboard_shortcuts_and_closes(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    seen = []

    def read_and_close(dialog) -> None:
        seen.append(dialog.findChild(QTextBrowser).toPlainText())
        press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Close))
        seen.append(dialog.isVisible())

    answered = answer_dialog(qtbot, ShortcutsDialog, read_and_close)
    choose_menu_item(qtbot, window, "Help", "Keyboard shortcuts")
    assert answered == ["Keyboard shortcuts"]
    text, still_open = seen
    assert not still_open
    for keys in (
        "Alt+Shift+←/→",
        "Tab / Shift+Tab",
        "F8",
        "Ctrl+Shift+Enter / Ctrl+Shift+Backspace",
        "Ctrl+D / Ctrl+Shift+D",
        "Ctrl+PgDown / Ctrl+PgUp",
        "Ctrl+F",
        "Ctrl+P",
        "F3 / Shift+F3",
        "Ctrl+Shift+F",
    ):
        assert keys in text, keys

    activate(qtbot, window)
    answered = answer_dialog(qtbot, ShortcutsDialog, read_and_close)
    qtbot.keyClick(view, Qt.Key.Key_F1)  # the same from its key
    assert answered == ["Keyboard shortcuts"] and seen[2:] == [text, False]


def test_about_shows_the_version_and_its_ok_closes_it(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window)
    seen = []

    def read_and_close(box: QMessageBox) -> None:
        seen.append(box.text())
        press_ok(qtbot, box)
        seen.append(box.isVisible())

    answered = answer_dialog(qtbot, QMessageBox, read_and_close)
    choose_menu_item(qtbot, window, "Help", "About Dossier")
    assert answered == ["About Dossier"]
    text, still_open = seen
    assert f"Dossier {__version__}" in text and not still_open


# --- File → Quit -------------------------------------------------------------------------------


def test_quit_closes_the_window_and_leaves_the_project_whole(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    document_id = window.session.document.id
    start, end = tag(qtbot, view, "Joe Biden", Qt.Key.Key_A)
    mine_before = stored_spans(project)
    assert mine_before == [("Actor", start, end, "Joe Biden", "accepted", "manual", "")]
    with Store.open(project) as store:
        everything = {d: store.spans(d) for d in store.document_ids()}

    choose_menu_item(qtbot, window, "File", "Quit")
    qtbot.waitUntil(lambda: not window.isVisible())
    assert stored_spans(project) == mine_before
    with Store.open(project) as store:
        assert {d: store.spans(d) for d in store.document_ids()} == everything
        assert store.document(document_id).text == FIRST

    again = open_window(project, annotator="me")
    qtbot.waitUntil(lambda: again.session.all_spans_shown)
    assert again.session.document.id == document_id
    assert [(s.record.label, s.record.start, s.record.end) for s in again.view.spans()] == [
        ("Actor", start, end)
    ]


# --- the Document menu -------------------------------------------------------------------------


def test_mark_in_progress_from_the_menu_and_by_key(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    document_id = window.session.document.id
    assert status_of(project, document_id) == "not_started"
    assert listed_status(window, document_id) == "not started"

    choose_menu_item(qtbot, window, "Document", "Mark in progress")
    assert status_of(project, document_id) == "in_progress"
    assert listed_status(window, document_id) == "in progress"
    assert window.header.status.currentText() == "in progress"

    qtbot.keyClick(view, Qt.Key.Key_D, CTRL)
    assert status_of(project, document_id) == "done"
    assert listed_status(window, document_id) == "done"
    qtbot.keyClick(view, Qt.Key.Key_D, CTRL | SHIFT)
    assert status_of(project, document_id) == "in_progress"
    assert listed_status(window, document_id) == "in progress"
    assert window.header.status.currentText() == "in progress"


def test_next_and_previous_unfinished_document_from_the_menu(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    order = listed(window)
    assert order[0] == window.session.document.id and len(order) >= 3
    qtbot.keyClick(view, Qt.Key.Key_D, CTRL)  # the first is done: it is skipped
    assert status_of(project, order[0]) == "done"
    assert {status_of(project, d) for d in order[1:]} == {"not_started"}

    choose_menu_item(qtbot, window, "Document", "Next unfinished document")
    assert window.session.document.id == order[1]
    choose_menu_item(qtbot, window, "Document", "Next unfinished document")
    assert window.session.document.id == order[2]
    assert window.view.text == window.store.document(order[2]).text
    choose_menu_item(qtbot, window, "Document", "Previous unfinished document")
    assert window.session.document.id == order[1]
    choose_menu_item(qtbot, window, "Document", "Previous unfinished document")
    assert window.session.document.id == order[1]
    assert window.statusBar().currentMessage() == "No unfinished document in that direction"


def test_go_to_document_goes_to_the_filter_box_and_typing_filters(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    with Store.open(project) as store:
        every = sorted(store.document_ids())
        titles = {d: store.document(d).title.lower() for d in every}
    tehran = [d for d in every if "tehran" in titles[d]]
    militias = [d for d in every if "militias" in titles[d]]
    assert len(tehran) == 1 and len(militias) == 2  # the seed corpus's titles

    choose_menu_item(qtbot, window, "View", "Documents")
    assert not window.documents_dock.isVisible()
    choose_menu_item(qtbot, window, "Document", "Go to document")
    assert window.documents_dock.isVisible()  # the list comes back to be searched
    typed_into = QApplication.focusWidget()
    assert typed_into is window.documents.filter
    qtbot.keyClicks(typed_into, "Tehran")
    assert listed(window) == tehran

    qtbot.mouseClick(view.viewport(), LEFT, pos=view.viewport().rect().center())
    assert view.hasFocus()
    qtbot.keyClick(view, Qt.Key.Key_P, CTRL)  # the same from its key: what was typed goes
    typed_into = QApplication.focusWidget()
    assert typed_into is window.documents.filter
    qtbot.keyClicks(typed_into, "militias")
    assert window.documents.filter.text() == "militias"
    assert sorted(listed(window)) == militias


# --- the Suggest menu --------------------------------------------------------------------------


def suggest_here(qtbot, window) -> None:
    """Suggest → Suggest in this document (rules), by its key Ctrl+G; wait for the job."""
    before = window.suggestions.last_job
    qtbot.keyClick(window.view, Qt.Key.Key_G, CTRL)
    job = window.suggestions.last_job
    assert job is not None and job is not before
    if job in workers._running:
        with qtbot.waitSignal(job.ended, timeout=120000):
            pass
    QApplication.processEvents()


def mine(location: str, status: str | None = None) -> list:
    """The spans of "me" in every document, read through a connection of the test's own."""
    with Store.open(location) as store:
        person = store.ensure_annotator("me")
        spans = [s for d in store.document_ids() for s in store.spans(d, annotator_ids=[person.id])]
    return [s for s in spans if status is None or s.status == status]


def suggestions_drawn(window) -> set[str]:
    return {s.uuid for s in window.view.spans() if s.style == "suggested"}


def test_accept_all_and_reject_all_from_the_suggest_menu(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window)
    document_id = window.session.document.id
    suggest_here(qtbot, window)
    pending = {s.uuid for s in mine(project, status="suggested")}
    assert len(pending) > 3 and suggestions_drawn(window) == pending

    choose_menu_item(qtbot, window, "Suggest", "Accept all suggestions")
    assert {s.uuid: s.status for s in mine(project) if s.uuid in pending} == dict.fromkeys(
        pending, "accepted"
    )
    assert suggestions_drawn(window) == set()
    assert {s.uuid for s in window.view.spans()} == pending

    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # all of them back to suggestions
    assert {s.uuid for s in mine(project, status="suggested")} == pending
    assert suggestions_drawn(window) == pending

    choose_menu_item(qtbot, window, "Suggest", "Reject all suggestions")
    assert {s.uuid: s.status for s in mine(project) if s.uuid in pending} == dict.fromkeys(
        pending, "rejected"
    )
    assert window.view.spans() == []
    assert window.session.document.id == document_id


# --- Layers → Several… -------------------------------------------------------------------------


def accepted_of(location: str, names: list[str], document_id: int) -> list[tuple]:
    with Store.open(location) as store:
        ids = [store.ensure_annotator(name).id for name in names]
        return sorted(
            (s.annotator, s.label, s.start, s.end)
            for s in store.spans(document_id, annotator_ids=ids, statuses=["accepted"])
        )


def drawn(window) -> list[tuple]:
    return sorted(
        (s.record.annotator, s.record.label, s.record.start, s.record.end)
        for s in window.view.spans()
    )


def open_several(qtbot, window) -> SeveralLayersDialog:
    choose_menu_item(qtbot, window, "View", "Layers", "Several…")
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, SeveralLayersDialog)
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_several_layers_from_the_menu_cancel_changes_nothing_and_ok_shows_them(
    qtbot, project, open_window
):
    window = open_window(project, annotator="lead")
    view = ready(qtbot, window)
    document_id = window.session.document.id
    chooser = window.layer_chooser
    assert chooser.current_title() == "My spans" and drawn(window) == []

    dialog = open_several(qtbot, window)
    tick(qtbot, dialog.list, {"lead (you)", "analyst_a", "analyst_b"})
    press(qtbot, button_of(dialog, QDialogButtonBox.StandardButton.Cancel))
    assert not dialog.isVisible()
    activate(qtbot, window)
    assert [layer.annotator.name for layer in window.session.layers] == ["lead"]
    assert chooser.current_title() == "My spans" and drawn(window) == []

    dialog = open_several(qtbot, window)
    tick(qtbot, dialog.list, {"lead (you)", "analyst_a", "analyst_b"})
    press_ok(qtbot, dialog)
    assert not dialog.isVisible()
    activate(qtbot, window)
    both = accepted_of(project, ["analyst_a", "analyst_b"], document_id)
    assert {row[0] for row in both} == {"analyst_a", "analyst_b"}
    assert drawn(window) == both
    assert chooser.current_title() == "lead + analyst_a + analyst_b"
    # New tags are still the lead's own.
    start = FIRST.index("Wissam Mohammed")
    drag(view, start, start + 15)
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert accepted_of(project, ["lead"], document_id) == [("lead", "Actor", start, start + 15)]


# --- the label palette -------------------------------------------------------------------------


def palette_button(window, name: str) -> QToolButton:
    """The palette's button that reads as the label's name."""
    found = [
        b
        for b in window.palette.findChildren(QToolButton)
        if b.isVisible() and b.text().split("  ")[0] == name
    ]
    assert len(found) == 1, [b.text() for b in window.palette.findChildren(QToolButton)]
    return found[0]


def test_a_palette_button_tags_the_selection_and_relabels_the_selected_span(
    qtbot, project, open_window
):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    start = FIRST.index("Kataib Hezbollah")
    end = start + len("Kataib Hezbollah")
    drag(view, start + 2, end - 3)  # snaps to the two words
    press(qtbot, palette_button(window, "Actor"))
    assert stored_spans(project) == [
        ("Actor", start, end, "Kataib Hezbollah", "accepted", "manual", "")
    ]
    assert view.hasFocus()  # the keys go on working in the text
    qtbot.waitUntil(lambda: palette_button(window, "Actor").text().endswith("(1)"))

    click(view, start + 3)
    assert selected_range(view) == (start, end)
    press(qtbot, palette_button(window, "Claim"))
    assert [row[:3] for row in stored_spans(project)] == [("Claim", start, end)]
    qtbot.waitUntil(lambda: palette_button(window, "Claim").text().endswith("(1)"))
    assert not palette_button(window, "Actor").text().endswith(")")


# --- keys in the document view -----------------------------------------------------------------

LINES = ("Ministers met in Baghdad.", "Militia leaders stayed away.", "Talks resume on Monday.")


def test_shift_down_selects_by_line_and_a_number_key_tags_it(qtbot, tmp_path, open_window):
    location = str(tmp_path / "lines.db")
    article = tmp_path / "lines.txt"
    text = "\n".join(LINES) + "\n"
    article.write_text(text, encoding="utf-8")
    with Store.open(location) as store:
        import_paths(store, [article])
        [document_id] = store.document_ids()
        assert store.document(document_id).text == text
    window = open_window(location, annotator="me")
    view = window.view
    qtbot.waitUntil(lambda: view.token_index is not None, timeout=20000)
    second, third = text.index(LINES[1]), text.index(LINES[2])

    place_cursor(view, second)
    qtbot.keyClick(view, Qt.Key.Key_Down, SHIFT)
    assert view.python_selection() == (second, third)
    qtbot.keyClick(view, Qt.Key.Key_1)  # the first label, Claim; the line break is dropped
    assert stored_spans(location) == [
        ("Claim", second, second + len(LINES[1]), LINES[1], "accepted", "manual", "")
    ]

    place_cursor(view, 0)
    qtbot.keyClick(view, Qt.Key.Key_Down, SHIFT)
    qtbot.keyClick(view, Qt.Key.Key_Down, SHIFT)
    assert view.python_selection() == (0, third)
    qtbot.keyClick(view, Qt.Key.Key_3)  # the third label, Event
    event = (0, third - 1, text[: third - 1])
    assert ("Event", *event, "accepted", "manual", "") in stored_spans(location)
    assert len(stored_spans(location)) == 2


def test_alt_shift_left_selects_exact_characters_back(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    end = FIRST.index("Yahya Rasool") + len("Yahya Rasool")
    place_cursor(view, end)
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_Left, ALT_SHIFT)
    assert view.python_selection() == (end - 3, end)
    assert view.selection_is_exact
    qtbot.keyClick(view, Qt.Key.Key_2)  # the second label, Actor: not snapped to the word
    assert stored_spans(project) == [("Actor", end - 3, end, "ool", "accepted", "manual", "")]


def test_shift_tab_selects_the_previous_span(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    spokesman = tag(qtbot, view, "Yahya Rasool", Qt.Key.Key_A)
    strike = tag(qtbot, view, "precision missile strike", Qt.Key.Key_E)
    president = tag(qtbot, view, "Joe Biden", Qt.Key.Key_A)
    assert spokesman < strike < president

    place_cursor(view, FIRST.index("authorized a retaliatory"))  # just after Joe Biden
    assert view.selected_span() is None
    seen = []
    for _ in range(4):
        qtbot.keyClick(view, Qt.Key.Key_Backtab, SHIFT)
        seen.append(selected_range(view))
    assert seen == [president, strike, spokesman, president]  # round to the last
    # The span panel follows: its record and its current row are the span's.
    assert window.spans.record.title.text().startswith("<b>Actor</b> “Joe Biden”")
    table = window.spans.table
    assert window.spans.model.span(table.currentIndex().row()).text == "Joe Biden"


def test_shift_tab_highlights_the_spans_row_in_the_panel(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, "Yahya Rasool", Qt.Key.Key_A)
    tag(qtbot, view, "Joe Biden", Qt.Key.Key_A)
    place_cursor(view, FIRST.index("authorized a retaliatory"))
    qtbot.keyClick(view, Qt.Key.Key_Backtab, SHIFT)
    assert view.selected_span().text == "Joe Biden"
    rows = window.spans.table.selectionModel().selectedRows()
    assert [window.spans.model.span(index.row()).text for index in rows] == ["Joe Biden"]


def test_f8_selects_each_incomplete_record_in_turn(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, "Yahya Rasool", Qt.Key.Key_A)  # an actor needs nothing
    strike = tag(qtbot, view, "precision missile strike", Qt.Key.Key_E)  # needs type, date
    campaign = tag(qtbot, view, "retaliatory military campaign", Qt.Key.Key_E)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert view.selected_span() is None
    seen = []
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_F8)
        seen.append(selected_range(view))
    assert seen == [strike, campaign, strike]
