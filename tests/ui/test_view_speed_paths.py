"""The quick paths of a long document: spans read in one query and indexed in bulk, the
reading order and the span table kept up to date edit by edit, columns fitted from one row
of each value. What the analyst sees must be what the slow paths showed."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt

from db.records import ImportBatch, NewDocument, NewSpan
from db.store import Store
from desktop.ui.offsets import OffsetMap
from desktop.ui.span_panel import ANNOTATOR, LABEL, STATUS
from tests.ui.driving import CTRL, click_row, drag, place_cursor
from tests.ui.test_annotating import open_in_list
from tests.ui.test_layers_view import show_layers, show_several

WORDS = "Kataib Hezbollah said 👍🏽 the café drone حزب الله strike e\u0301 CENTCOM".split()
SHIFT = Qt.KeyboardModifier.ShiftModifier


def long_text(paragraphs: int = 60, seed: int = 1) -> str:
    """Paragraphs with CRLF line ends, emoji, a combining mark and Arabic: offsets in Qt
    and in Python part ways many times over."""
    rng = random.Random(seed)
    return "\r\n\r\n".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 80))) + "."
        for _ in range(paragraphs)
    )


def word_spans(text: str, count: int, annotator: str, seed: int, **fields) -> list[NewSpan]:
    """Spans over whole words, some of them long enough to hold others, and some pairs on
    exactly the same words with different labels."""
    rng = random.Random(seed)
    starts = [i for i in range(len(text)) if text[i] != " " and (i == 0 or text[i - 1] == " ")]
    spans = []
    for number in range(count):
        first = rng.randrange(len(starts) - 12)
        start = starts[first]
        end = text.index(" ", starts[first + (6 if number % 7 == 0 else rng.randint(0, 2))])
        label = ("Actor", "Event", "Claim")[number % 3]
        spans.append(NewSpan(label, start, end, annotator, origin="manual", **fields))
        if number % 11 == 0:  # the same words under another label
            spans.append(NewSpan("Event", start, end, annotator, origin="manual", **fields))
    return spans


def long_project(tmp_path, text: str, spans: list[NewSpan]) -> str:
    location = str(tmp_path / "long.db")
    with Store.open(location) as store:
        store.import_batch(ImportBatch(documents=[NewDocument(text=text, spans=spans)]))
    return location


def opened(qtbot, open_window, location: str, annotator: str = "me"):
    window = open_window(location, annotator=annotator)
    with Store.open(location) as store:
        [document_id] = store.document_ids()
    open_in_list(qtbot, window, document_id)
    qtbot.waitUntil(lambda: window.session.all_spans_shown, timeout=20000)
    qtbot.waitUntil(lambda: window.view.token_index is not None, timeout=20000)
    return window


def reading_order(view) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.uuid) for s in view.spans()]


def check_view(window, stored) -> None:
    """Every stored span drawn at its own place, in reading order, on a level that no
    overlapping span shares; the span table holds the same spans in its order."""
    view = window.view
    drawn = {s.uuid: s for s in view.spans()}
    assert set(drawn) == {s.uuid for s in stored}
    for record in stored:
        span = drawn[record.uuid]
        assert (span.start, span.end) == (
            view.offsets.to_qt(record.start),
            view.offsets.to_qt(record.end),
        )
        assert view.text[record.start : record.end] == record.text
    assert reading_order(view) == sorted(reading_order(view))
    for span in drawn.values():
        for other in view.spans_between(span.start, span.end):
            assert other is span or other.level != span.level
    model = window.spans.model
    rows = [model.span(row) for row in range(model.rowCount())]
    assert [r.uuid for r in rows] == [
        r.uuid for r in sorted(stored, key=lambda r: (r.start, r.end, r.label, r.annotator, r.uuid))
    ]
    assert all(model.row_of(r.uuid) == row for row, r in enumerate(rows))


def test_a_long_document_draws_every_span_where_it_is(qtbot, tmp_path, open_window):
    text = long_text()
    location = long_project(tmp_path, text, word_spans(text, 900, "me", seed=2))
    window = opened(qtbot, open_window, location)
    with Store.open(location) as store:
        stored = store.spans(window.session.document.id)
    check_view(window, stored)
    # Spans on the same words: the first by label keeps the lowest bar, as before.
    pairs = {}
    for record in stored:
        pairs.setdefault((record.start, record.end), []).append(record)
    for same in pairs.values():
        levels = [window.view.view_span(r.uuid).level for r in sorted(same, key=lambda r: r.label)]
        assert levels == sorted(levels)


def test_tagging_deleting_undo_and_redo_keep_view_and_table_in_step(qtbot, tmp_path, open_window):
    text = long_text(seed=3)
    location = long_project(tmp_path, text, word_spans(text, 600, "me", seed=4))
    window = opened(qtbot, open_window, location)
    view, model = window.view, window.spans.model
    document_id = window.session.document.id

    def stored():
        with Store.open(location) as store:
            return store.spans(document_id)

    start = text.index("CENTCOM", len(text) // 2)
    drag(view, start + 2, start + 5)  # inside the word: snaps to all of it
    qtbot.keyClick(view, Qt.Key.Key_A)
    [added] = [s for s in stored() if (s.start, s.end, s.label) == (start, start + 7, "Actor")]
    check_view(window, stored())
    assert view.selected_span().uuid == added.uuid
    row = model.row_of(added.uuid)
    assert model.span(row).text == "CENTCOM"
    # A click on its row shows the span in the document.
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    click_row(qtbot, window.spans.table, row)
    assert view.selected_span().uuid == added.uuid
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert added.uuid not in {s.uuid for s in stored()}
    check_view(window, stored())
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert added.uuid in {s.uuid for s in stored()}
    check_view(window, stored())
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
    check_view(window, stored())
    # Relabelled in place: the same row, redrawn.
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    click_row(qtbot, window.spans.table, model.row_of(added.uuid))
    assert view.selected_span().uuid == added.uuid
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_E)
    assert model.span(model.row_of(added.uuid)).label == "Event"
    check_view(window, stored())


def test_switching_layers_redraws_every_span_of_the_layers_shown(qtbot, tmp_path, open_window):
    text = long_text(seed=5)
    spans = word_spans(text, 300, "me", seed=6) + word_spans(text, 300, "other", seed=7)
    location = long_project(tmp_path, text, spans)
    window = opened(qtbot, open_window, location)
    with Store.open(location) as store:
        everyone = store.spans(window.session.document.id)
    mine = [s for s in everyone if s.annotator == "me"]
    check_view(window, mine)
    show_several(qtbot, window, {"me (you)", "other"})
    check_view(window, everyone)
    styles = {s.uuid: s.style for s in window.view.spans()}
    assert {styles[s.uuid] for s in everyone if s.annotator == "other"} == {"other"}
    assert {styles[s.uuid] for s in mine} == {"own"}
    show_layers(qtbot, window, "other")
    check_view(window, [s for s in everyone if s.annotator == "other"])
    show_layers(qtbot, window, "My spans")
    check_view(window, mine)


def test_the_summary_counts_suggestions_as_they_are_accepted_and_rejected(
    qtbot, tmp_path, open_window
):
    text = long_text(paragraphs=20, seed=8)
    spans = word_spans(text, 60, "me", seed=9) + word_spans(
        text, 40, "me", seed=10, status="suggested"
    )
    location = long_project(tmp_path, text, spans)
    window = opened(qtbot, open_window, location)
    view, summary = window.view, window.spans.summary
    suggested = [s for s in view.spans() if s.record.status == "suggested"]
    accepted = len(view.spans()) - len(suggested)
    qtbot.waitUntil(lambda: summary.text() == f"{accepted} span(s), {len(suggested)} suggestion(s)")
    # A suggestion no other span overlaps: the one the cursor is in.
    alone = next(s for s in suggested if len(view.spans_between(s.start, s.end)) == 1)
    place_cursor(view, alone.record.start + 1)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: summary.text() == f"{accepted + 1} span(s), {len(suggested) - 1} suggestion(s)"
    )
    with Store.open(location) as store:
        assert store.span(alone.uuid).status == "accepted"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: summary.text() == f"{accepted} span(s), {len(suggested)} suggestion(s)")
    # Rejected, the suggestion leaves the table; undone, it comes back as a suggestion.
    place_cursor(view, alone.record.start + 1)
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert window.spans.model.row_of(alone.uuid) is None
    qtbot.waitUntil(
        lambda: summary.text() == f"{accepted} span(s), {len(suggested) - 1} suggestion(s)"
    )
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: summary.text() == f"{accepted} span(s), {len(suggested)} suggestion(s)")
    model = window.spans.model
    assert model.span(model.row_of(alone.uuid)).status == "suggested"


def test_columns_fit_as_qt_would_fit_them(qtbot, tmp_path, open_window):
    text = long_text(paragraphs=30, seed=11)
    spans = word_spans(text, 400, "me", seed=12) + word_spans(
        text, 30, "me", seed=13, status="suggested"
    )
    location = long_project(tmp_path, text, spans)
    window = opened(qtbot, open_window, location)
    table = window.spans.table
    header = table.horizontalHeader()
    fitted = [header.sectionSize(column) for column in (LABEL, ANNOTATOR, STATUS)]
    for column in (LABEL, ANNOTATOR, STATUS):
        table.resizeColumnToContents(column)
    assert [header.sectionSize(column) for column in (LABEL, ANNOTATOR, STATUS)] == fitted


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                " ",
                "\r",
                "\n",
                "\r\n",
                "😀",
                "👍🏽",
                "e\u0301",
                "\ufe0f",
                "ح",
                "\u2028",
                "\u2029",
            ]
        )
    )
)
def test_offsets_of_many_spans_are_those_of_each(pieces):
    text = "".join(pieces)
    offsets = OffsetMap(text)
    every = list(range(-2, len(text) + 3))
    assert offsets.to_qt_many(every) == [offsets.to_qt(offset) for offset in every]
    assert offsets.to_qt_many([]) == []


def test_the_spans_a_view_shows_are_read_in_one_query_as_layer_by_layer(store):
    text = long_text(paragraphs=8, seed=14)
    spans = (
        word_spans(text, 120, "me", seed=15)
        + word_spans(text, 30, "me", seed=16, status="suggested")
        + word_spans(text, 20, "me", seed=17, status="rejected")
        + word_spans(text, 90, "other", seed=18)
        + word_spans(text, 20, "other", seed=19, status="suggested")
    )
    summary = store.import_batch(ImportBatch(documents=[NewDocument(text=text, spans=spans)]))
    [document_id] = summary.document_ids
    me, other = store.ensure_annotator("me"), store.ensure_annotator("other")
    layers = [(other.id, ["accepted"]), (me.id, ["accepted", "suggested"])]
    expected = [
        span
        for annotator_id, statuses in layers
        for span in store.spans(document_id, annotator_ids=[annotator_id], statuses=statuses)
    ]
    assert store.shown_spans(document_id, layers) == expected
    mine = store.spans(document_id, annotator_ids=[me.id], statuses=["accepted", "suggested"])
    assert store.shown_spans(document_id, layers[1:]) == mine
    assert store.shown_spans(document_id, []) == []


def test_going_back_to_a_document_snaps_with_the_tokens_it_had(qtbot, tmp_path, open_window):
    first, second = long_text(paragraphs=10, seed=20), long_text(paragraphs=10, seed=21)
    location = str(tmp_path / "two.db")
    with Store.open(location) as store:
        summary = store.import_batch(
            ImportBatch(documents=[NewDocument(text=first), NewDocument(text=second)])
        )
    first_id, second_id = summary.document_ids
    window = open_window(location, annotator="me")
    view = window.view
    for document_id in (first_id, second_id):
        open_in_list(qtbot, window, document_id)
        qtbot.waitUntil(lambda: view.token_index is not None, timeout=20000)
    tokens = view.token_index
    open_in_list(qtbot, window, first_id)
    open_in_list(qtbot, window, second_id)
    qtbot.waitUntil(lambda: view.token_index is not None)
    assert view.token_index is tokens  # not tokenized again
    start = second.index("CENTCOM")
    drag(view, start + 1, start + 4)
    qtbot.keyClick(view, Qt.Key.Key_A)
    with Store.open(location) as store:
        [span] = store.spans(second_id)
    assert (span.start, span.end, span.text) == (start, start + 7, "CENTCOM")
