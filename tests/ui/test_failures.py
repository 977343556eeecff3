"""The window when the database fails under the analyst: a read-only project file, a server
that refuses writes, a lost connection, a project that cannot be opened at start, and an
error nobody caught. Every failure shows at once in the bar above the document and in the
status bar; the action stays undone; Retry does it once the cause is gone; the window
goes on.

The causes are real (see tests/test_cli_failures.py): the file system refuses the file,
the PostgreSQL test server refuses writes or connections on a database of the test's own.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox

from db.store import Store
from desktop.formats import import_paths
from tests.test_cli_failures import (
    pg_accept_connections,
    pg_accept_writes,
    pg_database,
    pg_refuse_connections,
    pg_refuse_writes,
    read_only,
)
from tests.ui.driving import CTRL, SHIFT, answer_dialog, answer_file_dialog, click_row, drag, press
from tests.ui.test_annotating import FIRST, ready, stored_spans

PING_WAIT = 10000  # ms: the bar asks the database every 2 s
FIRST_FILE, SECOND_FILE = "000_f40a1a98859d52a1.txt", "001_4932432c3956f33a.txt"


def my_spans_shown(view) -> list[str]:
    return [s.record.text for s in view.spans() if s.record.annotator == "me"]


def tag(qtbot, view, words: str, key=Qt.Key.Key_A) -> int:
    """Select ``words`` in the first article with the mouse and press a label's key."""
    start = FIRST.index(words)
    drag(view, start, start + len(words))
    qtbot.keyClick(view, key)
    return start


def bar_says(window) -> str:
    bar = window.failure_bar
    return bar.text.text() if bar.isVisible() else ""


@pytest.fixture
def pg_project(corpus):
    """(URL, database name) of a PostgreSQL project of the test's own with the seed corpus."""
    with pg_database() as (url, name):
        with Store.open(url) as store:
            import_paths(store, [corpus])
            store.ensure_annotator("me")
        yield url, name


# --- a read-only project file ------------------------------------------------------------------


def test_a_tag_on_a_read_only_project_is_not_added_and_retry_adds_it_once_writable(
    qtbot, project, open_window
):
    with Store.open(project) as store:
        store.ensure_annotator("me")  # a new annotator would be a write: the window says so
    with read_only(Path(project)):
        window = open_window(project, annotator="me")
        view = ready(qtbot, window)
        start = tag(qtbot, view, "Joe Biden")

        assert bar_says(window) == (
            "Not saved: the project file is read-only. Your tag was not added."
        )
        assert "attempt to write a readonly database" in window.failure_bar.detail.text()
        assert window.statusBar().currentMessage() == bar_says(window)
        assert window.failure_bar.retry_button.isVisible()
        # Undone, not pretended: not in the database, not in the view, nothing to undo.
        assert stored_spans(project) == []
        assert my_spans_shown(view) == []
        assert window.session.undo_stack.count() == 0
        assert window.isVisible()

    press(qtbot, window.failure_bar.retry_button)  # the file is writable again
    assert stored_spans(project) == [
        ("Actor", start, start + 9, "Joe Biden", "accepted", "manual", "")
    ]
    assert my_spans_shown(view) == ["Joe Biden"]
    assert window.session.undo_stack.count() == 1
    assert not window.failure_bar.isVisible()


def test_the_bar_stays_until_dismissed_with_esc_or_its_close_button(qtbot, project, open_window):
    with Store.open(project) as store:
        store.ensure_annotator("me")
    with read_only(Path(project)):
        window = open_window(project, annotator="me")
        view = ready(qtbot, window)
        tag(qtbot, view, "Joe Biden")
        bar = window.failure_bar
        assert bar.isVisible()
        qtbot.wait(2500)  # no timeout takes it away: it stays until read
        assert bar.isVisible()
        qtbot.keyClick(view, Qt.Key.Key_Escape)
        assert not bar.isVisible() and view.hasFocus()

        tag(qtbot, view, "Yahya Rasool", Qt.Key.Key_A)
        assert bar_says(window).startswith("Not saved: the project file is read-only.")
        press(qtbot, bar.close_button)
        assert not bar.isVisible()
        assert stored_spans(project) == []


def test_a_new_annotator_on_a_read_only_project_is_told_at_start(qtbot, project):
    from desktop.settings import Settings
    from desktop.ui.app import create_window

    settings = Settings.load()
    settings.annotator = "someone_new"

    def quit_(box: QMessageBox) -> None:
        assert "the project file is read-only" in box.informativeText()
        press(qtbot, next(b for b in box.buttons() if b.text() == "&Quit"))

    with read_only(Path(project)):
        answered = answer_dialog(qtbot, QMessageBox, quit_)
        launcher, window = create_window(project, settings)
    assert answered == ["Cannot open project"]
    assert window is None and launcher.window is None


def test_a_rename_in_the_label_editor_on_a_read_only_project_is_said_over_the_editor(
    qtbot, project, open_window
):
    from tests.ui.test_label_editor import answer_text, choose, click, open_editor

    with Store.open(project) as store:
        store.ensure_annotator("me")
    with read_only(Path(project)):
        window = open_window(project, annotator="me")
        editor = open_editor(qtbot, window)
        choose(qtbot, editor, "Actor")
        click(qtbot, editor, "Rename…", answer_text(qtbot, "Person"))
        said = "Not saved: the project file is read-only. The label was not changed."
        assert bar_says(window) == said
        [box] = [b for b in editor.findChildren(QMessageBox) if b.isVisible()]
        assert box.text() == said and not box.isModal()
        assert editor.names() == ["Claim", "Actor", "Event"]
        with Store.open(project) as store:
            assert [label.name for label in store.labels()] == ["Claim", "Actor", "Event"]


# --- PostgreSQL: a server that refuses writes, a lost connection -----------------------------


def test_an_undo_and_a_redo_the_server_refuses_stay_on_the_stack_to_be_tried_again(
    qtbot, pg_project, open_window
):
    url, name = pg_project
    window = open_window(url, annotator="me")
    view = ready(qtbot, window)
    stack = window.session.undo_stack
    start = tag(qtbot, view, "Joe Biden")
    tagged = [("Actor", start, start + 9, "Joe Biden", "accepted", "manual", "")]
    assert stored_spans(url) == tagged and stack.index() == 1

    pg_refuse_writes(name)
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert bar_says(window) == (
        "Not undone: the database server accepts no writes (read-only). "
        "“Tag Actor “Joe Biden”” is still in place."
    )
    assert stored_spans(url) == tagged and my_spans_shown(view) == ["Joe Biden"]
    assert stack.index() == 1 and stack.undoText() == "Tag Actor “Joe Biden”"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # again: refused again, still on the stack
    assert bar_says(window).startswith("Not undone:") and stack.index() == 1

    pg_accept_writes(name)
    qtbot.keyClick(view, Qt.Key.Key_F5)  # Retry
    assert stored_spans(url) == [] and my_spans_shown(view) == []
    assert stack.index() == 0 and not window.failure_bar.isVisible()

    pg_refuse_writes(name)
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert bar_says(window).startswith(
        "Not redone: the database server accepts no writes (read-only). "
        "“Tag Actor “Joe Biden”” is still undone."
    )
    assert stored_spans(url) == [] and stack.index() == 0 and stack.canRedo()

    pg_accept_writes(name)
    press(qtbot, window.failure_bar.retry_button)
    assert [row[:4] for row in stored_spans(url)] == [row[:4] for row in tagged]
    assert my_spans_shown(view) == ["Joe Biden"] and stack.index() == 1


def test_a_lost_connection_shows_at_once_and_retry_tags_when_the_server_answers(
    qtbot, pg_project, open_window
):
    url, name = pg_project
    window = open_window(url, annotator="me")
    view = ready(qtbot, window)
    shown = window.session.document.id
    bar = window.failure_bar
    pg_refuse_connections(name)
    try:
        # A read: another document from the list.
        documents = window.documents
        other = next(r for r in range(documents.proxy.rowCount()) if r != 0)
        click_row(qtbot, documents.table, other)
        assert bar_says(window).startswith(
            "Could not read the project: the connection to the database was lost. "
            "The document was not opened."
        )
        assert window.session.document.id == shown and view.toPlainText().startswith(FIRST[:40])

        # A write: a tag.
        view.setFocus()
        start = tag(qtbot, view, "Joe Biden")
        assert bar_says(window) == (
            "Not saved: the connection to the database was lost. Your tag was not added."
        )
        assert "not currently accepting connections" in bar.detail.text()
        assert my_spans_shown(view) == [] and window.session.undo_stack.count() == 0
        qtbot.wait(2500)  # the bar has asked the server again, in vain
        assert not bar.back and bar.isVisible()
    finally:
        pg_accept_connections(name)

    qtbot.waitUntil(lambda: bar.back, timeout=PING_WAIT)
    assert bar_says(window) == (
        "The database is back. Your tag was not added. Press Retry to try again."
    )
    assert bar.retry_button.hasFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)  # the focused Retry
    assert stored_spans(url) == [("Actor", start, start + 9, "Joe Biden", "accepted", "manual", "")]
    assert my_spans_shown(view) == ["Joe Biden"]
    assert not bar.isVisible() and window.isVisible()


def test_a_review_decision_and_its_undo_the_server_refuses_are_told_and_retried(
    qtbot, pg_project, open_window
):
    from tests.ui.test_review_window import decisions_by_item, start_review

    url, name = pg_project
    window = open_window(url, annotator="me")
    panel = start_review(qtbot, window)
    table, stack = panel.table, window.session.undo_stack
    first = panel.current_item()
    qtbot.keyClick(table, Qt.Key.Key_1)  # take analyst_a's side
    assert set(decisions_by_item(url)) == {first.key} and stack.index() == 1

    pg_refuse_writes(name)
    second = panel.current_item()
    qtbot.keyClick(table, Qt.Key.Key_2)
    assert bar_says(window) == (
        "Not saved: the database server accepts no writes (read-only). "
        "The decision was not recorded."
    )
    assert set(decisions_by_item(url)) == {first.key} and stack.index() == 1

    qtbot.keyClick(table, Qt.Key.Key_Z, CTRL)
    assert bar_says(window).startswith("Not undone: the database server accepts no writes")
    assert set(decisions_by_item(url)) == {first.key} and stack.index() == 1

    pg_accept_writes(name)
    qtbot.keyClick(table, Qt.Key.Key_F5)  # Retry: the undo
    assert decisions_by_item(url) == {} and stack.index() == 0
    assert not window.failure_bar.isVisible()
    assert not panel.review.is_reviewed(panel.review.item(second.key))


# --- errors nobody caught --------------------------------------------------------------------


@pytest.mark.qt_no_exception_capture
def test_an_error_nobody_caught_shows_in_the_bar_and_the_log_and_the_window_goes_on(
    qtbot, project, open_window, dossier_home, monkeypatch
):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)

    def broken() -> None:
        raise RuntimeError("a slot that was never meant to fail")

    action = QAction("Broken", window)
    action.setShortcut(QKeySequence("Ctrl+Alt+B"))
    action.triggered.connect(broken)
    window.addAction(action)
    qtbot.keyClick(view, Qt.Key.Key_B, CTRL | Qt.KeyboardModifier.AltModifier)

    log = dossier_home / "logs" / "dossier.log"
    assert bar_says(window) == (
        "Something went wrong: RuntimeError: a slot that was never meant to fail. "
        f"The details are in {log}."
    )
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "in broken" in text and "never meant to fail" in text
    assert window.isVisible()
    tag(qtbot, view, "Joe Biden")  # and the window goes on
    assert [row[3] for row in stored_spans(project)] == ["Joe Biden"]


# --- projects that cannot be opened at start -------------------------------------------------


def choose(qtbot, label: str):
    """Answer a message box by clicking the button that reads ``label``."""

    def answer(box: QMessageBox) -> None:
        press(qtbot, next(b for b in box.buttons() if b.text() == label))

    return answer


def close_all(launcher) -> None:
    if launcher.window is not None and shiboken6.isValid(launcher.window):
        launcher.window.close()
        launcher.window.deleteLater()
    if launcher.store is not None:
        launcher.store.close()


def test_a_project_in_a_folder_sqlite_cannot_write_is_told_and_another_can_be_opened(
    qtbot, tmp_path, corpus
):
    from desktop.ui.app import create_window

    project = tmp_path / "locked-away" / "project.db"
    with Store.open(project) as store:
        import_paths(store, [corpus / FIRST_FILE])
    other = tmp_path / "other" / "other.db"
    with Store.open(other) as store:
        import_paths(store, [corpus / SECOND_FILE])
    said = []

    def another(box: QMessageBox) -> None:
        said.append((box.text(), box.informativeText()))
        choose(qtbot, "&Open another project…")(box)

    with read_only(project.parent):  # SQLite cannot make its -wal and -shm there
        answered = answer_dialog(qtbot, QMessageBox, another)
        picked = answer_file_dialog(qtbot, other)
        launcher, window = create_window(str(project))
    try:
        assert answered == ["Cannot open project"] and picked == ["Open project"]
        [(text, why)] = said
        assert text == f"Dossier cannot open {project}."
        assert "unable to open database file" in why
        assert window is not None and window.location == str(other)
        assert window.store.document_count() == 1
    finally:
        close_all(launcher)


def test_an_unreachable_server_at_start_is_told_and_quit_opens_nothing(qtbot):
    from desktop.ui.app import create_window

    said = []

    def quit_(box: QMessageBox) -> None:
        said.append(box.informativeText())
        choose(qtbot, "&Quit")(box)

    answered = answer_dialog(qtbot, QMessageBox, quit_)
    launcher, window = create_window("postgresql://postgres@127.0.0.1:1/x")
    assert answered == ["Cannot open project"]
    assert window is None and launcher.store is None
    assert "Connection refused" in said[0]


@pytest.mark.parametrize("take_over", [True, False])
def test_an_empty_database_file_becomes_a_project_only_when_the_analyst_says_so(
    qtbot, tmp_path, take_over
):
    from desktop.ui.app import create_window

    empty = tmp_path / "empty.db"
    connection = sqlite3.connect(empty)
    connection.execute("PRAGMA user_version = 7")  # a database file with no tables
    connection.close()
    before = empty.read_bytes()
    asked = []

    def answer(box: QMessageBox) -> None:
        asked.append(box.text())
        which = QMessageBox.StandardButton.Yes if take_over else QMessageBox.StandardButton.No
        press(qtbot, box.button(which))

    answered = answer_dialog(qtbot, QMessageBox, answer)
    refused = None if take_over else answer_dialog(qtbot, QMessageBox, choose(qtbot, "&Quit"))
    launcher, window = create_window(str(empty))
    try:
        assert answered == ["Empty database"]
        assert asked == [f"{empty} holds no Dossier project. Make it a new project?"]
        if take_over:
            assert window is not None and window.store.document_count() == 0
        else:
            assert refused == ["Cannot open project"]
            assert window is None and empty.read_bytes() == before
    finally:
        close_all(launcher)
