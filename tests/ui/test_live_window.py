"""Live updates between windows on one PostgreSQL project: a colleague's window, in a
process of its own (tests/ui/live_peer.py), sees the tags made here; the list says who
works on which document; a dropped connection makes the window read-only until it is back.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from PySide6.QtCore import Qt

from db.live import LISTENER_APP, conninfo_of
from db.store import Store
from desktop.formats import import_paths
from desktop.ui.document_list import WITH
from desktop.ui.live import LOST
from tests.ui.driving import CTRL, click, drag, press
from tests.ui.test_annotating import FIRST, ready

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_project(pg_url, corpus) -> str:
    """A PostgreSQL project holding the seed corpus and both analysts' spans."""
    with Store.open(pg_url) as store:
        import_paths(store, [corpus])
    return pg_url


def spans_of(location: str, annotator: str) -> list[tuple[str, str, int, int]]:
    """(uuid, label, start, end) of an annotator's spans, read through a store of its own."""
    with Store.open(location) as store:
        person = store.ensure_annotator(annotator)
        return sorted(
            (s.uuid, s.label, s.start, s.end)
            for document_id in store.document_ids()
            for s in store.spans(document_id, annotator_ids=[person.id])
        )


class Peer:
    """The colleague's window: a process driven through its standard input and output."""

    def __init__(self, location: str, annotator: str, document_id: int, shown: str, home: Path):
        env = dict(os.environ, DOSSIER_HOME=str(home), QT_QPA_PLATFORM="offscreen")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.ui.live_peer",
                location,
                annotator,
                str(document_id),
                shown,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [self.lines.put(line.strip()) for line in self.process.stdout],
            daemon=True,
        ).start()

    def answer(self, qtbot, timeout: int = 30000) -> str:
        """The peer's next line; this window keeps running meanwhile."""
        qtbot.waitUntil(lambda: not self.lines.empty(), timeout=timeout)
        return self.lines.get()

    def seen(self, qtbot, command: str) -> float:
        """Send a wait command; when the peer saw it so (its clock)."""
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        line = self.answer(qtbot)
        assert line.startswith("seen "), f"{command}: the peer said {line!r}"
        return float(line.split()[1])

    def quit(self) -> int:
        if self.process.poll() is None:
            try:
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
                return self.process.wait(15)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
        return self.process.wait()


def test_a_colleagues_window_shows_tags_deletions_and_colours_within_a_second(
    qtbot, pg_project, open_window, tmp_path
):
    window = open_window(pg_project, annotator="analyst_a")
    view = ready(qtbot, window)
    document_id = window.session.document.id
    peer = Peer(pg_project, "analyst_b", document_id, "analyst_a", tmp_path / "peer-home")
    try:
        assert peer.answer(qtbot) == "ready"

        # Who works where: the colleague's name against the document, in the list.
        documents = window.documents
        qtbot.waitUntil(lambda: documents.model.working_on(document_id) == ["analyst_b"])
        row = documents.model.row_of(document_id)
        assert documents.model.index(row, WITH).data() == "analyst_b"
        assert not documents.table.isColumnHidden(WITH)

        # A tag made here appears there.
        before = spans_of(pg_project, "analyst_a")
        start = FIRST.index("prime minister")  # no one's span yet
        drag(view, start, start + 14)
        qtbot.keyClick(view, Qt.Key.Key_A)
        committed = time.time()
        (tagged,) = set(spans_of(pg_project, "analyst_a")) - set(before)
        assert tagged[1:] == ("Actor", start, start + 14)
        elapsed = peer.seen(qtbot, f"appear {tagged[0]}") - committed
        print(f"the colleague saw the tag {elapsed * 1000:.0f} ms after its commit")
        assert elapsed < 1.0

        # Deleted here (a click on it, Delete): gone there; undone here: back there.
        click(view, start + 3)
        assert view.selected_span().uuid == tagged[0]
        qtbot.keyClick(view, Qt.Key.Key_Delete)
        assert spans_of(pg_project, "analyst_a") == before
        deleted = time.time()
        assert peer.seen(qtbot, f"gone {tagged[0]}") - deleted < 1.0
        qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
        assert tagged in spans_of(pg_project, "analyst_a")
        assert peer.seen(qtbot, f"appear {tagged[0]}") > deleted

        # A label recoloured by a third session: the colleague's view takes the colour.
        with Store.open(pg_project) as lead:
            claim = lead.label_by_name("Claim")
            lead.update_label(claim.id, colour="#7B1FA2")
            recoloured = time.time()
        assert peer.seen(qtbot, f"colour {claim.id} #7B1FA2") - recoloured < 1.0
        qtbot.waitUntil(lambda: window.session.label(claim.id).colour.upper() == "#7B1FA2")

        # The colleague closes the window: their name goes from the list.
        assert peer.quit() == 0
        qtbot.waitUntil(lambda: not documents.model.anyone_working(), timeout=5000)
        assert documents.table.isColumnHidden(WITH)
    finally:
        peer.quit()


def backends_of(location: str, session: str) -> list[int]:
    """The server processes of a window's session: its store's and its listener's."""
    with Store.open(location) as store, psycopg.connect(conninfo_of(store)) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name IN (%s, %s)",
            (f"dossier {session}", f"{LISTENER_APP} {session}"),
        ).fetchall()
    return [pid for (pid,) in rows]


def test_a_dropped_connection_in_the_middle_of_tagging(qtbot, pg_project, open_window):
    window = open_window(pg_project, annotator="analyst_a")
    view = ready(qtbot, window)
    live = window.live
    qtbot.waitUntil(lambda: live.listener.connected)
    before = spans_of(pg_project, "analyst_a")
    start = FIRST.index("prime minister")
    drag(view, start, start + 14)
    qtbot.keyClick(view, Qt.Key.Key_A)
    (first,) = set(spans_of(pg_project, "analyst_a")) - set(before)

    # The server drops every connection of the window. The listener's presence write is
    # held back by a lock, so that the window stays disconnected until the test lets go.
    session = window.store.session
    with psycopg.connect(conninfo_of(window.store)) as admin:
        admin.execute("LOCK TABLE presence IN EXCLUSIVE MODE")
        pids = backends_of(pg_project, session)
        assert live.listener.pid in pids
        with psycopg.connect(conninfo_of(window.store), autocommit=True) as killer:
            for pid in pids:
                killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        qtbot.waitUntil(lambda: live.bar.isVisible())
        assert live.bar.text.text() == LOST and live.lost

        # A tag pressed meanwhile is refused: nothing written, the selection kept.
        other = FIRST.index("Thursday")
        drag(view, other, other + 8)
        selection = view.python_selection()
        qtbot.keyClick(view, Qt.Key.Key_C)
        assert window.failure_bar.text.text() == (
            "Not saved: the connection to the server is lost, and what you see is read-only "
            "until it is back. Your tag was not added."
        )
        assert view.python_selection() == selection
        assert window.session.undo_stack.count() == 1
        assert sorted(spans_of(pg_project, "analyst_a")) == sorted([*before, first])
        admin.commit()  # the lock goes: the listener gets through

    qtbot.waitUntil(lambda: not live.bar.isVisible(), timeout=10000)
    assert not live.lost
    # Editing works again: Retry makes the refused tag; the one made before the drop stays.
    press(qtbot, window.failure_bar.retry_button)
    assert not window.failure_bar.isVisible()
    after = set(spans_of(pg_project, "analyst_a"))
    (second,) = after - set(before) - {first}
    assert second[1] == "Claim" and first in after
    assert view.view_span(first[0]) is not None and view.view_span(second[0]) is not None
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert set(spans_of(pg_project, "analyst_a")) == {*before, first}


def test_a_colleagues_link_and_deletion_of_the_open_document_show_without_disturbing(
    qtbot, pg_project, open_window
):
    window = open_window(pg_project, annotator="analyst_a")
    view = ready(qtbot, window)
    live, document_id = window.live, window.session.document.id
    qtbot.waitUntil(lambda: live.listener.connected)
    mine = [s.record for s in view.spans() if s.record.annotator == "analyst_a"]
    click(view, mine[0].start)
    selected = view.selected_span().uuid
    scroll = view.verticalScrollBar().value()

    with Store.open(pg_project) as colleague:
        a = colleague.ensure_annotator("analyst_a")
        relation = colleague.add_relation(mine[0].uuid, mine[1].uuid, "source", a.id)
        qtbot.waitUntil(lambda: view.arcs.get(relation.uuid) is not None, timeout=5000)
        assert view.selected_span().uuid == selected
        assert view.verticalScrollBar().value() == scroll
        assert window.session.undo_stack.count() == 0

        colleague.delete_document(document_id)
        qtbot.waitUntil(lambda: window.session.document is None, timeout=5000)
    assert window.failure_bar.text.text().startswith("The document you had open was deleted")
    assert window.documents.model.summary(document_id) is None
    press(qtbot, window.failure_bar.close_button)
    assert not window.failure_bar.isVisible()
