"""Find in the document (Ctrl+F), driven by keys and clicks: the hits highlighted, F3 /
Shift+F3 and Enter / Shift+Enter stepping through them with exact Python ranges selected,
the options, a bad pattern, Esc, and a label's key tagging the hit found."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.corpus.search import find_in_text
from desktop.formats import import_paths
from tests.conftest import CORPUS
from tests.ui.driving import CTRL, SHIFT, choose_menu_item, press, type_into
from tests.ui.test_annotating import ready, stored_spans

KATAIB = (CORPUS / "003_4efb708408d6d1e4.txt").read_text(encoding="utf-8")
# Emoji (two Qt units each) and CRLF (one Qt unit for two code points) before the hits.
ODD = "Kata’ib 😀 report\r\nSecond line 👍🏽 Katáib again\r\n\r\nThird: kataib. 🇮🇶 again!\r\n"


def bar_of(window):
    return window.find.bar


def selected_text(window) -> str:
    start, end = window.view.python_selection()
    return window.view.text[start:end]


def odd_project(tmp_path) -> str:
    source = tmp_path / "odd.txt"
    source.write_bytes(ODD.encode("utf-8"))  # the CRLF kept as it is
    location = str(tmp_path / "odd.db")
    with Store.open(location) as store:
        import_paths(store, [source])
        assert store.document(store.document_ids()[0]).text == ODD
    return location


def test_ctrl_f_finds_every_spelling_and_f3_steps_through_them(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window, KATAIB)
    bar = bar_of(window)
    assert not bar.isVisible()

    qtbot.keyClick(view, Qt.Key.Key_F, CTRL)
    assert bar.isVisible() and QApplication.focusWidget() is bar.field
    qtbot.keyClicks(bar.field, "Kataib")  # the text spells it Kata’ib
    expected = [(m.start(), m.end()) for m in re.finditer("Kata’ib", KATAIB)]
    assert len(expected) == 8 and bar.hits == expected
    assert bar.count.text() == "1 of 8"
    assert view.python_selection() == expected[0]
    assert set(bar.highlighted()) <= set(expected) and expected[0] in bar.highlighted()

    qtbot.keyClick(bar.field, Qt.Key.Key_F3)
    assert bar.count.text() == "2 of 8" and view.python_selection() == expected[1]
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    assert bar.count.text() == "3 of 8" and view.python_selection() == expected[2]
    qtbot.keyClick(bar.field, Qt.Key.Key_Return, SHIFT)
    assert view.python_selection() == expected[1]
    qtbot.keyClick(bar.field, Qt.Key.Key_F3, SHIFT)
    qtbot.keyClick(bar.field, Qt.Key.Key_F3, SHIFT)  # before the first: round to the last
    assert bar.count.text() == "8 of 8" and view.python_selection() == expected[7]
    press(qtbot, bar.next_button)
    assert bar.count.text() == "1 of 8" and view.python_selection() == expected[0]
    press(qtbot, bar.previous_button)
    assert view.python_selection() == expected[7]
    assert expected[7] in bar.highlighted()  # the view scrolled to it, and it is drawn

    # Esc: the bar goes, the keyboard is back in the text with the hit selected, and a
    # label's key tags it.
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible() and view.hasFocus() and bar.highlighted() == []
    assert selected_text(window) == "Kata’ib"
    start, end = expected[7]
    qtbot.keyClick(view, Qt.Key.Key_A)
    tagged = [s for s in stored_spans(project) if s[0] == "Actor"]
    assert [(s[1], s[2]) for s in tagged] == [(start, end)] and tagged[0][3] == "Kata’ib"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert [s for s in stored_spans(project) if s[0] == "Actor"] == []

    # F3 with the bar closed opens it again on the same words.
    qtbot.keyClick(view, Qt.Key.Key_F3)
    assert bar.isVisible() and bar.field.text() == "Kataib" and len(bar.hits) == 8


def test_offsets_stay_exact_after_emoji_and_crlf(qtbot, tmp_path, open_window):
    location = odd_project(tmp_path)
    window = open_window(location, annotator="me")
    view = ready(qtbot, window, ODD)
    bar = bar_of(window)
    choose_menu_item(qtbot, window, "Document", "Find in document…")
    assert bar.isVisible()
    qtbot.keyClicks(bar.field, "again")
    expected = [(m.start(), m.end()) for m in re.finditer("again", ODD)]
    assert bar.hits == expected and len(expected) == 2
    assert view.python_selection() == expected[0] and selected_text(window) == "again"
    choose_menu_item(qtbot, window, "Document", "Find next")
    assert view.python_selection() == expected[1] and selected_text(window) == "again"
    choose_menu_item(qtbot, window, "Document", "Find previous")
    assert view.python_selection() == expected[0]
    assert sorted(bar.highlighted()) == expected

    # Every spelling of the name: apostrophe, accent, lower case.
    type_into(qtbot, bar.field, "kataib")
    spelled = [(0, 7), (ODD.index("Katáib"), ODD.index("Katáib") + 6)]
    spelled.append((ODD.index("kataib"), ODD.index("kataib") + 6))
    assert bar.hits == spelled and sorted(bar.highlighted()) == spelled
    # The search goes on from where the cursor was (the first "again"): the next is the last.
    assert view.python_selection() == spelled[2] and selected_text(window) == "kataib"
    assert bar.count.text() == "3 of 3"
    qtbot.keyClick(bar.field, Qt.Key.Key_F3)
    assert view.python_selection() == spelled[0] and selected_text(window) == "Kata’ib"
    assert "from the top" in window.statusBar().currentMessage()
    qtbot.keyClick(bar.field, Qt.Key.Key_F3)
    assert view.python_selection() == spelled[1] and selected_text(window) == "Katáib"


def test_options_and_a_bad_pattern(qtbot, tmp_path, open_window):
    location = odd_project(tmp_path)
    window = open_window(location, annotator="me")
    view = ready(qtbot, window, ODD)
    bar = bar_of(window)
    qtbot.keyClick(view, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(bar.field, "kataib")
    assert len(bar.hits) == 3

    press(qtbot, bar.case)  # match case: only the lower-case one
    assert bar.hits == [(ODD.index("kataib"), ODD.index("kataib") + 6)]
    assert bar.count.text() == "1 of 1"
    press(qtbot, bar.case)
    press(qtbot, bar.fold)  # accents and apostrophes count: Kata’ib and Katáib are not it
    assert bar.hits == [(ODD.index("kataib"), ODD.index("kataib") + 6)]
    press(qtbot, bar.fold)
    assert len(bar.hits) == 3

    type_into(qtbot, bar.field, "Kat")
    assert len(bar.hits) == 3  # inside words
    press(qtbot, bar.whole_words)
    assert bar.hits == [] and bar.count.text() == "No hits"
    press(qtbot, bar.whole_words)

    press(qtbot, bar.regex)
    type_into(qtbot, bar.field, r"ag\w+n")
    assert [ODD[a:b] for a, b in bar.hits] == ["again", "again"]
    type_into(qtbot, bar.field, "ag(ain")
    assert bar.hits == [] and bar.error.isVisible() and bar.error.text()
    assert bar.count.text() == ""
    type_into(qtbot, bar.field, "again")
    assert not bar.error.isVisible() and len(bar.hits) == 2

    press(qtbot, bar.close_button)
    assert not bar.isVisible() and view.hasFocus() and view.extraSelections() == []


def test_the_hits_follow_the_document_opened(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window, KATAIB)
    bar = bar_of(window)
    qtbot.keyClick(view, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(bar.field, "Iraq")
    assert bar.hits == [(m.start(), m.end()) for m in re.finditer("(?i)iraq", KATAIB)]
    other = (CORPUS / "004_0fdf7b9a76ced070.txt").read_text(encoding="utf-8")
    ready(qtbot, window, other)
    assert bar.isVisible()
    assert bar.hits == [(m.start(), m.end()) for m in re.finditer("(?i)iraq", other)]


def test_ctrl_p_goes_to_the_document_filter(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window, KATAIB)
    qtbot.keyClick(view, Qt.Key.Key_P, CTRL)
    assert QApplication.focusWidget() is window.documents.filter
    assert not bar_of(window).isVisible()


def test_a_long_article_highlights_only_the_hits_in_view(qtbot, tmp_path, open_window):
    paragraph = "Kata’ib Hezbollah 😀 said the strike hit the depot.\r\n"
    long_text = paragraph * 6000  # 300,000 code points, 6,000 lines
    source = tmp_path / "long.txt"
    source.write_bytes(long_text.encode("utf-8"))
    location = str(tmp_path / "long.db")
    with Store.open(location) as store:
        import_paths(store, [source])
    window = open_window(location, annotator="me")
    view = ready(qtbot, window, long_text)
    bar = bar_of(window)
    qtbot.keyClick(view, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(bar.field, "the")
    qtbot.waitUntil(lambda: len(bar.hits) == 12000)  # after a pause in the typing
    assert bar.count.text() == "1 of 12,000"
    shown = bar.highlighted()
    assert 0 < len(shown) < 400 and set(shown) <= set(bar.hits)
    qtbot.keyClick(bar.field, Qt.Key.Key_F3, SHIFT)  # round to the last hit, at the end
    last = (long_text.rindex("the"), long_text.rindex("the") + 3)
    assert view.python_selection() == last and bar.count.text() == "12,000 of 12,000"
    qtbot.waitUntil(lambda: last in bar.highlighted())
    assert len(bar.highlighted()) < 400


PIECES = [
    "a",
    " ",
    "😀",
    "👍🏽",
    "🇮🇶",
    "e\u0301",
    "\u0301",
    "\r\n",
    "\r",
    "\n",
    "\u2028",
    "\u2029",
    "حزب الله",
    "\t",
    "Kata’ib",
    "KATÁIB",
    "kataib",
    "Kata\u0301ib",
]


def test_each_hit_is_selected_as_its_exact_python_range(qtbot, tmp_path, open_window):
    window = open_window(odd_project(tmp_path), annotator="me")
    view = ready(qtbot, window, ODD)
    bar = bar_of(window)
    qtbot.keyClick(view, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(bar.field, "kataib")

    @given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=30).map("".join))
    @settings(max_examples=40, deadline=None)
    def check(text: str) -> None:
        view.set_document(text)  # as if another document were opened
        expected = find_in_text(text, bar.query())
        qtbot.keyClick(bar.field, Qt.Key.Key_F3)  # the text changed: found again, the first
        assert bar.hits == expected
        seen = []
        for _ in expected:
            seen.append(view.python_selection())
            assert bar.count.text() == f"{len(seen)} of {len(expected)}"
            qtbot.keyClick(bar.field, Qt.Key.Key_F3)
        assert seen == expected
        if expected:
            assert view.python_selection() == expected[0]  # round again

    check()
