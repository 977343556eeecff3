"""The History dock on the seed corpus, on SQLite and PostgreSQL: what was tagged, relabelled
and deleted in the window and what a colleague changed, newest first with who did it;
restoring the version before a change or right after it (checked in the database and the
view, then Ctrl+Z and checked again); following one span; the whole project; older pages.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt

from db.records import HistoryEntry
from db.store import Store
from desktop.formats import import_paths
from desktop.ui import history_panel
from desktop.ui.history_panel import HistoryPanel, history_rows, when_text, who_text
from tests.ui.driving import CTRL, SHIFT, click, click_row, drag, press
from tests.ui.test_annotating import FIRST, ready

WORDS = "Joe Biden"
OTHER = "Yahya Rasool"
CTRL_SHIFT = CTRL | SHIFT


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path, corpus):
    """The seed corpus in a project on each database."""
    where = (
        str(tmp_path / "project.db")
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    with Store.open(where) as store:
        import_paths(store, [corpus])
        store.ensure_annotator("me")
    return where


def stored(location: str, span_uuid: str):
    with Store.open(location) as store:
        return store.span(span_uuid)


def shown(window, span_uuid: str):
    span = window.view.view_span(span_uuid)
    return span.record if span is not None else None


def open_panel(qtbot, window) -> HistoryPanel:
    qtbot.keyClick(window.view, Qt.Key.Key_Y, CTRL_SHIFT)
    panel = window.history_dock.panel
    qtbot.waitUntil(lambda: panel.isVisible() and not panel.busy() and panel.model.rowCount() > 0)
    return panel


def whats(panel: HistoryPanel, count: int | None = None) -> list[str]:
    rows = panel.model.rows()
    return [row.what for row in rows[:count]]


def row_of(panel: HistoryPanel, starts: str) -> int:
    return next(i for i, row in enumerate(panel.model.rows()) if row.what.startswith(starts))


def settled(qtbot, panel: HistoryPanel, condition) -> None:
    qtbot.waitUntil(lambda: not panel.busy() and condition())


def tag(qtbot, window, words: str, key) -> str:
    """Select ``words`` with the mouse and press a label's key: the new span's uuid."""
    view = window.view
    start = FIRST.index(words)
    before = {span.uuid for span in view.spans()}
    drag(view, start, start + len(words))
    qtbot.keyClick(view, key)
    [new] = [span.uuid for span in view.spans() if span.uuid not in before]
    return new


def test_the_panel_shows_each_change_and_restores_versions(
    qtbot, location, open_window, monkeypatch
):
    window = open_window(location, annotator="me")
    view = ready(qtbot, window)
    uuid = tag(qtbot, window, WORDS, Qt.Key.Key_A)
    start = FIRST.index(WORDS)
    click(view, start + 1)
    qtbot.keyClick(view, Qt.Key.Key_C)  # relabelled: Claim
    click(view, start + 1)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert stored(location, uuid) is None

    panel = open_panel(qtbot, window)
    assert whats(panel, 3) == [
        "Deleted Claim “Joe Biden”",
        "Relabelled Actor → Claim",
        f"Tagged Actor “Joe Biden” ({start}–{start + len(WORDS)})",
    ]
    assert all(row.who.startswith("me") for row in panel.model.rows()[:3])
    assert [row.text for row in panel.model.rows()[:3]] == [WORDS] * 3
    assert panel.model.rows()[0].when == when_text(panel.model.rows()[0].entry.at)

    # the deletion undone from the history: the span is back with its uuid, in the view too
    click_row(qtbot, panel.table, row_of(panel, "Deleted"), 2)
    press(qtbot, panel.restoreButton)
    back = stored(location, uuid)
    assert (back.label, back.text) == ("Claim", WORDS)
    assert shown(window, uuid) is not None
    settled(
        qtbot,
        panel,
        lambda: whats(panel, 1) == ["Tagged Claim “Joe Biden” (" + f"{start}–{start + 9})"],
    )
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL)
    assert stored(location, uuid) is None and shown(window, uuid) is None
    settled(qtbot, panel, lambda: whats(panel, 1) == ["Deleted Claim “Joe Biden”"])

    # Shift+Enter on the relabel: the span as right after it (a Claim)
    row = row_of(panel, "Relabelled")
    click_row(qtbot, panel.table, row, 2)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return, SHIFT)
    assert stored(location, uuid).label == "Claim" and shown(window, uuid).label == "Claim"
    # Enter on the same change: the version before it (an Actor), over the one just restored
    settled(qtbot, panel, lambda: whats(panel, 1)[0].startswith("Tagged Claim"))
    click_row(qtbot, panel.table, row_of(panel, "Relabelled"), 2)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert stored(location, uuid).label == "Actor" and shown(window, uuid).label == "Actor"
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL)
    assert stored(location, uuid).label == "Claim" and shown(window, uuid).label == "Claim"
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL_SHIFT)  # redo
    assert stored(location, uuid).label == "Actor"
    settled(qtbot, panel, lambda: whats(panel, 1)[0].startswith("Relabelled Claim → Actor"))

    # "Restore after" on the tag itself: the span as first tagged
    click_row(qtbot, panel.table, row_of(panel, "Tagged Actor"), 2)
    press(qtbot, panel.restoreAfterButton)
    assert stored(location, uuid).label == "Actor"
    # "Restore" before the tag: no span
    settled(qtbot, panel, lambda: not panel.busy())
    click_row(qtbot, panel.table, row_of(panel, "Tagged Actor “Joe Biden” ("), 2)
    press(qtbot, panel.restoreButton)
    assert stored(location, uuid) is None and shown(window, uuid) is None
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL)
    assert stored(location, uuid).label == "Actor" and shown(window, uuid) is not None

    # a colleague's change: on PostgreSQL the panel hears of it; on SQLite showing the
    # panel again reads it
    with Store.open(location, actor="bob") as bob:
        person = bob.ensure_annotator("bob")
        document_id = window.session.document.id
        other = FIRST.index(OTHER)
        bob.add_span(
            document_id, bob.label_by_name("Actor").id, person.id, other, other + len(OTHER)
        )
        bob.update_label(bob.label_by_name("Event").id, colour="#117733")
    if window.store.dialect == "sqlite":
        qtbot.keyClick(view, Qt.Key.Key_Y, CTRL_SHIFT)
    settled(qtbot, panel, lambda: panel.model.rows()[0].who.startswith("bob"))
    assert whats(panel, 1) == [f"Tagged Actor “{OTHER}” ({other}–{other + len(OTHER)})"]

    # only the selected span's changes, following the span selected in the document
    click(view, start + 1)
    press(qtbot, panel.spanOnly)
    settled(qtbot, panel, lambda: {r.entry.key for r in panel.model.rows()} == {uuid})
    assert "Actor “Joe Biden”" in panel.summary.text()
    assert panel.model.rowCount() == len(window.store.history(key=uuid))
    qtbot.keyClick(panel.table, Qt.Key.Key_S)  # all the document's again
    settled(qtbot, panel, lambda: len({r.entry.key for r in panel.model.rows()}) > 2)
    assert not panel.spanOnly.isChecked()

    # the whole project: every document's changes and the labels'
    qtbot.keyClick(panel.table, Qt.Key.Key_W)
    settled(qtbot, panel, lambda: panel.model.rows()[0].entry.kind == "label")
    assert whats(panel, 1) == ["Recoloured Event #117733"]
    documents = {row.entry.document_id for row in panel.model.rows()}
    assert len(documents - {None}) >= 2
    assert not panel.table.isColumnHidden(history_panel.DOCUMENT)
    press(qtbot, panel.wholeProject)
    settled(qtbot, panel, lambda: panel.model.rows()[0].entry.kind != "label")
    assert {row.entry.document_id for row in panel.model.rows()} == {document_id}

    # older changes a page at a time
    monkeypatch.setattr(history_panel, "PAGE", 4)
    qtbot.keyClick(panel.table, Qt.Key.Key_W)
    settled(qtbot, panel, lambda: panel.model.rowCount() == 4)
    assert panel.olderButton.isEnabled() and "Show older" in panel.summary.text()
    newest = [row.entry.id for row in panel.model.rows()]
    press(qtbot, panel.olderButton)
    settled(qtbot, panel, lambda: panel.model.rowCount() == 8)
    ids = [row.entry.id for row in panel.model.rows()]
    assert ids[:4] == newest and ids == sorted(ids, reverse=True)


def test_a_restore_refused_for_a_span_changed_since_says_so(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    uuid = tag(qtbot, window, WORDS, Qt.Key.Key_A)
    click(view, FIRST.index(WORDS) + 1)
    qtbot.keyClick(view, Qt.Key.Key_C)
    panel = open_panel(qtbot, window)
    click_row(qtbot, panel.table, row_of(panel, "Relabelled"), 2)
    with Store.open(project, actor="bob") as bob:
        span = bob.span(uuid)
        bob.update_span(uuid, span.version, note="bob's")
    press(qtbot, panel.restoreButton)
    assert stored(project, uuid).label == "Claim" and stored(project, uuid).note == "bob's"
    assert "by bob" in window.failure_bar.text.text()
    settled(qtbot, panel, lambda: panel.model.rows()[0].what == "Noted “bob's”")


def test_rows_say_when_and_who_in_plain_words():
    now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC).astimezone()
    today = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    local = today.astimezone()
    assert when_text(today.isoformat(), now) == (
        local.strftime("%H:%M") if local.date() == now.date() else local.strftime("%Y-%m-%d %H:%M")
    )
    assert when_text("2025-01-02T03:04:05.000001+00:00", now).startswith("2025-01-0")

    def entry(actor, login, **fields):
        row = {"id": 7, "label_id": 1, "start": 0, "end": 2, "text": "é👍", **fields}
        return HistoryEntry(
            1, "2026-03-05T09:30:00+00:00", actor, login, "span", "insert", "u", 3, None, row
        )

    assert who_text(entry("alice", None)) == "alice"
    assert who_text(entry("alice", "alice")) == "alice"
    assert who_text(entry("alice", "postgres")) == "alice as postgres"
    assert who_text(entry(None, "postgres")) == "postgres (outside Dossier)"
    [row] = history_rows([entry("alice", None)], {1: "Claim"}, {}, {}, {3: "A title"}, now)
    assert (row.what, row.text, row.document) == ("Tagged Claim “é👍” (0–2)", "é👍", "A title")
