"""The Search panel (Ctrl+Shift+F) on the seed corpus, driven by keys and clicks: a name
found however it is spelled, the hits in context, opening one, and tagging all of them, the
checked ones or the current one as one undoable change, checked in the database."""

from __future__ import annotations

import re
from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.corpus.search import SearchQuery, find_in_text
from desktop.ui.search_panel import DOCUMENT, HIT, SPANS
from tests.conftest import CORPUS
from tests.ui.driving import (
    CTRL,
    LEFT,
    SHIFT,
    activate,
    choose_in_combo,
    click_row,
    press,
    type_into,
)
from tests.ui.test_annotating import FIRST, ready

KATAIB_FILE = CORPUS / "003_4efb708408d6d1e4.txt"
KATAIB = KATAIB_FILE.read_text(encoding="utf-8")
ARTICLES = {path.read_text(encoding="utf-8") for path in CORPUS.glob("*.txt")}


def spans_of(location: str, label: str, annotator: str = "me") -> list[tuple]:
    """(document text's first line, start, end, text, uuid) of an annotator's spans of a label."""
    with Store.open(location) as store:
        person = store.ensure_annotator(annotator)
        return sorted(
            (s.document_id, s.start, s.end, s.text, s.uuid)
            for document_id in store.document_ids()
            for s in store.spans(document_id, annotator_ids=[person.id])
            if s.label == label
        )


def expected_hits(location: str, query: SearchQuery) -> list[tuple[int, int, int, str]]:
    """(document id, start, end, text) of every hit, document by document, found with the
    matcher of Find in the document."""
    with Store.open(location) as store:
        found = []
        for document_id in sorted(store.document_ids()):
            text = store.document(document_id).text
            found += [(document_id, a, b, text[a:b]) for a, b in find_in_text(text, query)]
        return found


def shown(panel) -> list[tuple[int, int, int, str]]:
    return [(h.document_id, h.start, h.end, h.text) for h in panel.model.hits]


def drawn(window) -> set[tuple[str, int, int]]:
    """The spans the document view holds (label, start, end)."""
    return {(s.record.label, s.record.start, s.record.end) for s in window.view.spans()}


def search_for(qtbot, window, pattern: str):
    """Ctrl+Shift+F, type the pattern, Enter; wait for every hit."""
    qtbot.keyClick(window.view, Qt.Key.Key_F, CTRL | SHIFT)
    panel = window.search_dock.panel
    assert window.search_dock.dock.isVisible()
    assert QApplication.focusWidget() is panel.field
    type_into(qtbot, panel.field, pattern)
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.searching, timeout=10000)
    return panel


def row_texts(panel, column: int) -> list[str]:
    model = panel.model
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_a_name_spelled_otherwise_is_found_and_all_hits_tagged(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window, FIRST)
    panel = search_for(qtbot, window, "Kataib")  # one article spells it Kata’ib
    expected = expected_hits(project, SearchQuery("Kataib"))
    # 22: "Kataib’s" counts, a whole word before its possessive
    assert shown(panel) == expected and len(expected) == 22
    assert {text for *_, text in expected} == {"Kataib", "Kata’ib"}
    apostrophed = [(a, b) for _, a, b, text in expected if text == "Kata’ib"]
    assert apostrophed == [(m.start(), m.end()) for m in re.finditer("Kata’ib", KATAIB)]
    assert panel.count.text() == "22 hits in 5 documents"
    assert set(row_texts(panel, HIT)) == {"Kataib", "Kata’ib"}
    assert len(set(row_texts(panel, DOCUMENT))) == 5
    texts = {text.replace("\n", " ") for text in ARTICLES}
    for hit in panel.model.hits:  # the words around, as they read in the article
        assert hit.left and hit.right
        assert any(hit.left + hit.text + hit.right in text for text in texts)
    assert not any("(me)" in text for text in row_texts(panel, SPANS))
    assert any("(analyst_a)" in text for text in row_texts(panel, SPANS))  # the seed tags

    choose_in_combo(qtbot, panel.label_choice, "Actor  (A · 2)")
    activate(qtbot, window)  # the keyboard back from the list, as the desktop gives it
    press(qtbot, panel.tag_all_button)
    tagged = spans_of(project, "Actor")
    assert [(d, a, b, t) for d, a, b, t, _ in tagged] == expected
    assert all("Actor (me)" in text for text in row_texts(panel, SPANS))
    assert "Tagged 22 hits as Actor" in window.statusBar().currentMessage()
    # The document list counts the new spans of the documents not open too.
    listed = window.documents.model.summary
    per_document = Counter(d for d, *_ in expected)
    qtbot.waitUntil(lambda: all(listed(d).span_count == n for d, n in per_document.items()))

    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL)  # one undo: every hit
    assert spans_of(project, "Actor") == []
    qtbot.waitUntil(lambda: all(listed(d).span_count == 0 for d in per_document))
    assert not any("(me)" in text for text in row_texts(panel, SPANS))
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL | SHIFT)
    assert spans_of(project, "Actor") == tagged  # the same spans, the same uuids
    assert all("Actor (me)" in text for text in row_texts(panel, SPANS))

    # Tagged again: each hit is skipped, the annotator has that span already.
    press(qtbot, panel.tag_all_button)
    assert spans_of(project, "Actor") == tagged
    assert "22 were tagged so already" in window.statusBar().currentMessage()


def test_checked_hits_and_the_current_hit_are_tagged_by_keys(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window, FIRST)
    panel = search_for(qtbot, window, "Iraq")
    hits = list(panel.model.hits)
    assert len(hits) > 5 and {hit.text.lower() for hit in hits} == {"iraq"}
    assert len({hit.document_id for hit in hits}) > 1
    assert [(h.document_id, h.start) for h in hits] == sorted(
        (h.document_id, h.start) for h in hits
    )

    qtbot.keyClick(panel.field, Qt.Key.Key_Down)  # to the hits
    assert panel.table.hasFocus() and panel.table.currentIndex().row() == 0
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)
    assert panel.model.checked_hits() == [hits[0], hits[2]]
    assert panel.tag_checked_button.text().startswith("Tag checked  (2)")

    choose_in_combo(qtbot, panel.label_choice, "Event  (E · 3)")
    activate(qtbot, window)
    press(qtbot, panel.tag_checked_button)
    events = spans_of(project, "Event")
    assert [(d, a, b) for d, a, b, _, _ in events] == sorted(
        (h.document_id, h.start, h.end) for h in (hits[0], hits[2])
    )
    # The open document's part is drawn at once; the others are not opened.
    assert window.session.document.text == FIRST and hits[0].document_id == events[0][0]
    assert ("Event", hits[0].start, hits[0].end) in drawn(window)
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL)
    assert spans_of(project, "Event") == []
    assert ("Event", hits[0].start, hits[0].end) not in drawn(window)
    assert window.session.document.text == FIRST

    # A label's number with hits checked tags them.
    click_row(qtbot, panel.table, 2, HIT)  # back to the hits (checks stay)
    assert panel.table.hasFocus() and panel.model.checked_hits() == [hits[0], hits[2]]
    qtbot.keyClick(panel.table, Qt.Key.Key_1)
    claims = spans_of(project, "Claim")
    assert [(d, a, b) for d, a, b, _, _ in claims] == sorted(
        (h.document_id, h.start, h.end) for h in (hits[0], hits[2])
    )
    # Unchecked, a label's letter tags the current hit only.
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)  # row 2 unchecked
    qtbot.keyClick(panel.table, Qt.Key.Key_Up)
    qtbot.keyClick(panel.table, Qt.Key.Key_Up)
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)  # row 0 unchecked
    assert panel.model.checked_hits() == []
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    qtbot.keyClick(panel.table, Qt.Key.Key_A)
    actors = spans_of(project, "Actor")
    assert [(d, a, b) for d, a, b, _, _ in actors] == [
        (hits[1].document_id, hits[1].start, hits[1].end)
    ]
    assert "Actor (me)" in row_texts(panel, SPANS)[1]
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL)
    assert spans_of(project, "Actor") == []
    assert "Actor (me)" not in row_texts(panel, SPANS)[1]
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, CTRL)
    assert spans_of(project, "Claim") == []


def test_enter_and_double_click_open_a_hit_in_the_view(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window, FIRST)
    panel = search_for(qtbot, window, "Kataib")
    row = next(r for r, h in enumerate(panel.model.hits) if h.text == "Kata’ib") + 3
    hit = panel.model.hits[row]
    qtbot.keyClick(panel.field, Qt.Key.Key_Down)
    for _ in range(row):
        qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert window.session.document.id == hit.document_id
    assert window.view.text == KATAIB
    assert window.view.python_selection() == (hit.start, hit.end)
    assert window.view.hasFocus()

    other = panel.model.hits[row + 2]
    index = panel.model.index(row + 2, HIT)
    panel.table.scrollTo(index)
    point = panel.table.visualRect(index).center()
    qtbot.mouseClick(panel.table.viewport(), LEFT, pos=point)
    qtbot.mouseDClick(panel.table.viewport(), LEFT, pos=point)
    assert window.view.python_selection() == (other.start, other.end)
    # The hit selected, a label's key in the view tags it.
    qtbot.keyClick(window.view, Qt.Key.Key_A)
    assert [(a, b) for _, a, b, _, _ in spans_of(project, "Actor")] == [(other.start, other.end)]
    assert "Actor (me)" in row_texts(panel, SPANS)[row + 2]
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert spans_of(project, "Actor") == []


def test_options_a_bad_pattern_and_a_new_search_replacing_the_old(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    ready(qtbot, window, FIRST)
    panel = search_for(qtbot, window, "kataib")
    everywhere = expected_hits(project, SearchQuery("kataib"))
    assert shown(panel) == everywhere

    press(qtbot, panel.case)  # match case: "kataib" is nowhere
    qtbot.waitUntil(lambda: not panel.searching)
    assert panel.model.hits == [] and panel.count.text() == "0 hits in 0 documents"
    press(qtbot, panel.case)
    press(qtbot, panel.fold)  # the apostrophe counts: Kata’ib is not kataib
    qtbot.waitUntil(lambda: not panel.searching)
    assert shown(panel) == expected_hits(project, SearchQuery("kataib", fold=False))
    assert {h.text for h in panel.model.hits} == {"Kataib"}
    press(qtbot, panel.fold)
    qtbot.waitUntil(lambda: not panel.searching)
    assert shown(panel) == everywhere

    type_into(qtbot, panel.field, "Kata")
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.searching)
    assert panel.model.hits == []  # whole words
    press(qtbot, panel.whole_words)
    qtbot.waitUntil(lambda: not panel.searching)
    assert shown(panel) == expected_hits(project, SearchQuery("Kata", whole_words=False))
    assert len(panel.model.hits) >= len(everywhere)

    press(qtbot, panel.regex)
    type_into(qtbot, panel.field, "Kata(ib")
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    assert panel.error.isVisible() and panel.error.text()
    assert "c62828" in panel.error.styleSheet()
    assert panel.model.hits == [] and QApplication.activeModalWidget() is None
    type_into(qtbot, panel.field, r"Kata\W?ib")
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.searching)
    assert not panel.error.isVisible()
    assert shown(panel) == expected_hits(project, SearchQuery(r"Kata\W?ib", regex=True))

    # Typing goes on while a search runs: only the last pattern's hits are shown.
    press(qtbot, panel.regex)
    type_into(qtbot, panel.field, "the")
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    type_into(qtbot, panel.field, "Iraq")
    qtbot.waitUntil(lambda: not panel.searching and len(panel.model.hits) > 0, timeout=10000)
    qtbot.wait(400)  # the typing pause has passed: the search it started has ended too
    qtbot.waitUntil(lambda: not panel.searching, timeout=10000)
    assert {hit.text.lower() for hit in panel.model.hits} == {"iraq"}
    # (Whole words is still off.)
    assert shown(panel) == expected_hits(project, SearchQuery("Iraq", whole_words=False))
