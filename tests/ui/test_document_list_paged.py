"""A project of a few thousand documents: the list reads a page at start, and sorting,
the filter box and the progress keys work over all of it, driven as an analyst does."""

from __future__ import annotations

import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from db.records import ImportBatch, NewDocument, NewSpan, NewState
from db.store import Store
from desktop.ui.document_list import ID_ROLE, PAGE
from tests.ui.driving import click_row, type_into

ROOT = Path(__file__).resolve().parents[2]
COUNT = 3000
DONE_AT_THE_TOP = PAGE + 57  # the first unfinished document is past the first page
WORDS = ("Strike", "militia", "Baghdad", "café", "Éclair", "👍🏽", "حزب", "zulu", "Zulu", "")
CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


@pytest.fixture(scope="module")
def big_project(tmp_path_factory) -> str:
    """COUNT documents with ties in every column, spans of "me" and "other", and "me"
    done with the first DONE_AT_THE_TOP of them."""
    location = str(tmp_path_factory.mktemp("big") / "big.db")
    documents = []
    for number in range(COUNT):
        word = WORDS[number % len(WORDS)]
        text = f"Document {number}: {word} and a few more words here."
        spans = [
            NewSpan("Claim", k, k + 3, ("me", "other")[k % 2]) for k in range((number * 7) % 5)
        ]
        states = [NewState("me", "done")] if number < DONE_AT_THE_TOP else []
        if number % 11 == 0 and number >= DONE_AT_THE_TOP:
            states = [NewState("me", ("in_progress", "done")[number % 2])]
        documents.append(
            NewDocument(
                text=text,
                title=f"{word} {number % 97}" if word else "",
                source=("AP", "reuters", None, "Reuters")[number % 4],
                published=f"2024-{number % 12 + 1:02d}-{number % 28 + 1:02d}"
                if number % 5
                else None,
                spans=spans,
                states=states,
            )
        )
    documents[-1] = NewDocument(text="The very last article.", title="Needle in a haystack")
    with Store.open(location) as store:
        for first in range(0, COUNT, 1000):
            store.import_batch(ImportBatch(documents=documents[first : first + 1000]))
    return location


def listed(window) -> list[int]:
    proxy = window.documents.proxy
    return [proxy.data(proxy.index(row, 0), ID_ROLE) for row in range(proxy.rowCount())]


def python_order(window, column: int, descending: bool) -> list[int]:
    """The whole list sorted in Python, as the list shows it: ties in the order of import."""
    store = window.store
    mine = {row.id: row for row in store.list_documents(window.session.annotator.id)}
    counts = dict.fromkeys(mine, 0)
    for layer in window.session.layers:
        for row in store.list_documents(layer.annotator.id):
            counts[row.id] += row.span_count
    keys = {
        0: lambda r: (r.title or "(untitled)").translate(ASCII_LOWER),
        1: lambda r: (r.source or "").translate(ASCII_LOWER),
        2: lambda r: (r.published or "")[:10],
        3: lambda r: counts[r.id],
        4: lambda r: ("not_started", "in_progress", "done").index(r.status),
    }
    rows = sorted(mine.values(), key=lambda r: r.id)
    return [r.id for r in sorted(rows, key=keys[column], reverse=descending)]


def click_header(qtbot, window, column: int) -> None:
    header = window.documents.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), LEFT, pos=QPoint(x, header.height() // 2))
    QApplication.processEvents()


def shown_status(window, document_id: int) -> str:
    proxy = window.documents.proxy
    return proxy.index(window.documents.model.row_of(document_id), 4).data()


def test_only_a_page_is_read_at_start_and_scrolling_reaches_the_last(
    qtbot, big_project, open_window
):
    window = open_window(big_project, annotator="me")
    model, table = window.documents.model, window.documents.table
    assert model.rowCount() == COUNT
    # The first page (and the summary of the document opened), not the thousands.
    assert 0 < model.rows_read <= PAGE + 1
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_End, CTRL)
    QApplication.processEvents()
    with Store.open(big_project) as store:
        last = max(store.document_ids())
    qtbot.waitUntil(lambda: window.session.document is not None)
    assert window.session.document.id == last
    bottom = window.documents.proxy.index(COUNT - 1, 0)
    assert bottom.data() == "Needle in a haystack" and table.currentIndex().row() == COUNT - 1
    assert model.rows_read < 4 * PAGE
    qtbot.waitUntil(model.is_complete)  # the rest of the order came while idle
    assert listed(window) == sorted(listed(window)) and len(listed(window)) == COUNT


@pytest.mark.parametrize("column", range(5))
def test_a_header_click_sorts_as_python_does(qtbot, big_project, open_window, column):
    window = open_window(big_project, annotator="me")
    current = window.session.document.id
    click_header(qtbot, window, column)
    assert listed(window) == python_order(window, column, descending=False)
    click_header(qtbot, window, column)
    assert listed(window) == python_order(window, column, descending=True)
    # The document open stays the one highlighted.
    assert window.documents.table.currentIndex().row() == listed(window).index(current)


def test_the_filter_box_finds_a_document_far_down(qtbot, big_project, open_window):
    window = open_window(big_project, annotator="me")
    qtbot.keyClick(window, Qt.Key.Key_P, CTRL)  # Document → Go to document
    assert QApplication.focusWidget() is window.documents.filter
    qtbot.keyClicks(window.documents.filter, "NEEDLE in")
    assert window.documents.model.rowCount() == 1
    click_row(qtbot, window.documents.table, 0)
    assert window.session.document.title == "Needle in a haystack"
    type_into(qtbot, window.documents.filter, "zulu 9")
    expected = [
        i
        for i in python_order(window, 0, False)
        if "zulu 9" in window.store.document(i).title.lower()
    ]
    assert sorted(listed(window)) == sorted(expected) and len(expected) > 5
    type_into(qtbot, window.documents.filter, "")
    assert window.documents.model.rowCount() == COUNT


def test_next_unfinished_goes_past_the_first_page_and_a_status_shows_at_once(
    qtbot, big_project, open_window
):
    window = open_window(big_project, annotator="me")
    first = listed(window)[0]
    click_row(qtbot, window.documents.table, 0)
    assert window.session.document.id == first
    qtbot.keyClick(window.view, Qt.Key.Key_PageDown, CTRL)
    target = window.session.document.id
    assert listed(window).index(target) == DONE_AT_THE_TOP
    table = window.documents.table
    assert table.currentIndex().row() == DONE_AT_THE_TOP
    before = shown_status(window, target)
    assert before in {"not started", "in progress"}
    qtbot.keyClick(window.view, Qt.Key.Key_D, CTRL)  # Mark done
    assert shown_status(window, target) == "done"
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp, CTRL)  # nothing before it is unfinished
    assert window.session.document.id == target
    # Undo the mark, so that the module's project is as it was for the other tests.
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert shown_status(window, target) == before


def test_the_app_reports_its_first_paint_before_spacy_loads(big_project, tmp_path):
    env = {
        **os.environ,
        "DOSSIER_QUIT_WHEN_SHOWN": "1",
        "QT_QPA_PLATFORM": "offscreen",
        "DOSSIER_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--db", big_project],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("dossier:")]
    assert sorted(lines) == [
        "dossier: first paint (spaCy loaded: False)",
        "dossier: window shown (spaCy loaded: False)",
    ]
