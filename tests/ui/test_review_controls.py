"""The review-mode and agreement controls pressed with the mouse as a reviewer does: a card's
Take button, Change…, Cancel while comparing or measuring, the Review menu's entries and the
agreement dialog's Close. Each outcome is checked in the window and, through a separate
connection, in the database; the expected spans come from the analysts' files or from spans
the test itself made, never from Dossier's own comparison."""

from __future__ import annotations

import re
import threading

import pytest
from PySide6.QtCore import Qt

from db.store import Store
from desktop.ui import agreement_view, review_mode
from tests.ui.driving import button_named, choose_menu_item, tick
from tests.ui.driving import press as click_button
from tests.ui.test_review_window import PAIR, RAW_SOURCES, raw_document_ids, raw_spans

FIRST, SECOND = RAW_SOURCES  # the two articles both analysts tagged


# --- reading the database and the window -------------------------------------------------------


def gold_spans(location: str) -> set[tuple]:
    """(document, label, start, end) of every gold span."""
    with Store.open(location) as store:
        gold = [a for a in store.annotators() if a.is_gold]
        if not gold:
            return set()
        return {
            (span.document_id, span.label, span.start, span.end)
            for span in store.spans_where(annotator_ids=[gold[0].id])
        }


def decisions(location: str) -> list:
    with Store.open(location) as store:
        return store.review_decisions()


def taken(decision) -> dict[str, bool]:
    return {e["annotator"]: e["taken"] for e in decision.candidates if e["role"] != "outcome"}


def rows(panel) -> list[tuple[str, str, str]]:
    """(kind, text, decision) of every row of the review list, as it reads."""
    model = panel.model
    return [
        tuple(model.data(model.index(row, column)) for column in (0, 1, 3))
        for row in range(model.rowCount())
    ]


def shown_cards(panel) -> list:
    return [card for card in panel.details.cards if card.isVisible()]


def first_difference(source: str) -> dict[str, set]:
    """From the files: where the analysts first differ in an article (the earliest span one
    of them tagged and the other did not), each analyst's spans of that label there."""
    spans = {name: set(by_source[source]) for name, by_source in raw_spans().items()}
    label, start, end = min(
        spans["analyst_a"] ^ spans["analyst_b"], key=lambda span: (span[1], span[2])
    )
    return {
        name: {s for s in theirs if s[0] == label and s[1] < end and start < s[2]}
        for name, theirs in spans.items()
    }


# --- driving -----------------------------------------------------------------------------------


def open_review_mode(qtbot, window):
    """Review → Review mode… (Ctrl+R): the setup of the dock."""
    qtbot.keyClick(window.view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    panel = window.review
    assert panel.isVisible() and panel.setup.isVisible()
    return panel


def compare(qtbot, panel, annotators) -> None:
    """Tick exactly ``annotators`` in the setup, press Compare and wait for the list."""
    tick(qtbot, panel.setup.annotators, annotators)
    with qtbot.waitSignal(panel.reviewStarted, timeout=30000):
        click_button(qtbot, panel.setup.compare_button)


class Held:
    """Wraps a background job's work so that it waits, at its first progress report, until
    the test lets it go: the job is still running when the test presses Cancel. Once let
    go, the work reports as usual, and a cancelled job stops there."""

    def __init__(self):
        self.gate = threading.Event()
        self.reached = threading.Event()

    def progress(self, report):
        def held(phase, done, total):
            self.reached.set()
            self.gate.wait(30)
            report(phase, done, total)

        return held


@pytest.fixture
def held():
    """A :class:`Held`, let go at the end of the test whatever happened."""
    holding = Held()
    yield holding
    holding.gate.set()


# --- review mode -------------------------------------------------------------------------------


def test_take_1_on_the_first_card_puts_exactly_analyst_a_span_into_gold(
    qtbot, project, open_window
):
    window = open_window(project, annotator="lead")
    panel = open_review_mode(qtbot, window)
    compare(qtbot, panel, set(PAIR))
    document = raw_document_ids(project)[FIRST]
    # From the files: analyst_a's Actor 238–249, where analyst_b tagged Actor 234–249.
    readings = first_difference(FIRST)
    [(label, a_start, a_end)] = readings["analyst_a"]
    [(_label, start, end)] = readings["analyst_b"]
    assert (label, a_start, a_end, start, end) == ("Actor", 238, 249, 234, 249)

    # The first disagreement is on screen, analyst_a's reading on the first card.
    one, two = shown_cards(panel)
    assert "analyst_a" in one.header.text() and "analyst_b" in two.header.text()
    assert f"{a_start}–{a_end}" in one.body.text() and f"{start}–{end}" in two.body.text()
    assert one.take.text() == "Take  1"
    row = panel.table.currentIndex().row()
    assert rows(panel)[row] == ("boundary", window.view.text[start:end], "pending")

    click_button(qtbot, one.take)

    assert gold_spans(project) == {(document, label, a_start, a_end)}
    [decision] = decisions(project)
    assert (decision.reviewer, decision.action, decision.kind) == ("lead", "take", "boundary")
    assert taken(decision) == {"analyst_a": True, "analyst_b": False}
    # The row says so, and the document shows the new gold span.
    assert rows(panel)[row] == ("boundary", window.view.text[start:end], "✓ took analyst_a's")
    gold = [(s.record.start, s.record.end) for s in window.view.spans() if s.style == "gold"]
    assert gold == [(a_start, a_end)]
    assert panel.progress_text().startswith("Reviewed 1 of ")
    # The next pending item follows: the files' next difference, Event 260–302 / 260–286.
    one, two = shown_cards(panel)
    assert "260–302" in one.body.text() and "260–286" in two.body.text()


def test_change_compares_other_annotators(qtbot, project, open_window):
    # analyst_c tagged what analyst_a tagged, except one Actor, begun four characters earlier.
    ids = raw_document_ids(project)
    moved = ("Actor", 238, 249)
    with Store.open(project) as store:
        analyst_c = store.ensure_annotator("analyst_c")
        for source in RAW_SOURCES:
            for label, start, end in raw_spans()["analyst_a"][source]:
                if source == FIRST and (label, start, end) == moved:
                    start = 234
                store.add_span(ids[source], store.label_by_name(label).id, analyst_c.id, start, end)
    window = open_window(project, annotator="lead")
    panel = open_review_mode(qtbot, window)
    compare(qtbot, panel, set(PAIR))
    assert len([r for r in rows(panel) if r[0] != "agreed"]) > 1
    assert not panel.setup.isVisible() and "analyst_b" in panel.summary.text()

    click_button(qtbot, button_named(window, "Change…"))
    assert panel.setup.isVisible() and not panel.running_box.isVisible()
    assert panel.setup.checked() == PAIR  # what was compared, to change
    compare(qtbot, panel, {"analyst_a", "analyst_c"})

    assert not panel.setup.isVisible() and panel.running_box.isVisible()
    assert "analyst_a, analyst_c" in panel.summary.text()
    names = [layer.annotator.name for layer in window.session.layers]
    assert names == ["analyst_a", "analyst_c", "gold"]
    # One disagreement left, the Actor analyst_c moved; everything else agreed.
    disagreements = [r for r in rows(panel) if r[0] != "agreed"]
    assert disagreements == [("boundary", window.view.text[234:249], "pending")]
    one, two = shown_cards(panel)
    assert "analyst_a" in one.header.text() and "analyst_c" in two.header.text()
    assert "238–249" in one.body.text() and "234–249" in two.body.text()
    click_button(qtbot, two.take)
    assert gold_spans(project) == {(ids[FIRST], "Actor", 234, 249)}
    [decision] = decisions(project)
    assert taken(decision) == {"analyst_a": False, "analyst_c": True}


def test_cancel_stops_a_comparison_and_writes_nothing(
    qtbot, project, open_window, monkeypatch, held
):
    real = review_mode.ReviewSession

    def slow(store, annotators, document_ids=None, *, reviewer, progress):
        return real(
            store, annotators, document_ids, reviewer=reviewer, progress=held.progress(progress)
        )

    monkeypatch.setattr(review_mode, "ReviewSession", slow)
    window = open_window(project, annotator="lead")
    panel = open_review_mode(qtbot, window)
    tick(qtbot, panel.setup.annotators, set(PAIR))
    started = []
    panel.reviewStarted.connect(lambda: started.append(True))
    click_button(qtbot, panel.setup.compare_button)
    qtbot.waitUntil(held.reached.is_set, timeout=20000)
    job = panel.job
    assert panel.job_row.isVisible() and job.is_running

    click_button(qtbot, button_named(panel, "Cancel"))
    with qtbot.waitSignal(job.ended, timeout=20000):
        held.gate.set()

    assert not panel.job_row.isVisible()
    assert started == [] and panel.review is None and not panel.body.isVisible()
    assert panel.setup.isVisible() and panel.setup.compare_button.isEnabled()
    assert window.statusBar().currentMessage() == "Comparison cancelled"
    assert [layer.annotator.name for layer in window.session.layers] == ["lead"]
    assert gold_spans(project) == set() and decisions(project) == []
    # Nothing is stuck: Compare works again.
    with qtbot.waitSignal(panel.reviewStarted, timeout=30000):
        click_button(qtbot, panel.setup.compare_button)
    assert panel.review is not None and panel.model.rowCount() > 0


def test_the_review_menu_accepts_the_agreed_compares_again_and_ends(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    panel = open_review_mode(qtbot, window)
    compare(qtbot, panel, set(PAIR))
    ids = raw_document_ids(project)
    spans = raw_spans()
    # From the files: the spans both analysts tagged alike (21 of them).
    agreed = {
        (ids[source], *span)
        for source in RAW_SOURCES
        for span in set(spans["analyst_a"][source]) & set(spans["analyst_b"][source])
    }
    assert len(agreed) == 21
    total = int(panel.progress_text().rsplit(" ", 1)[1])

    choose_menu_item(qtbot, window, "Review", "Accept all agreed")
    assert gold_spans(project) == agreed
    made = decisions(project)
    assert {d.action for d in made} == {"accept"} and {d.reviewer for d in made} == {"lead"}
    assert panel.progress_text() == f"Reviewed 21 of {total}"
    assert [r[2] for r in rows(panel) if r[0] == "agreed"] == ["✓ accepted"] * 21
    assert panel.accept_button.text() == "Accept all agreed (0)"

    # analyst_b tags a word nobody tagged; Compare again lists it as a new, pending item.
    with Store.open(project) as store:
        analyst_b = store.ensure_annotator("analyst_b")
        text = store.document(ids[FIRST]).text
        tagged = [(s, e) for source in PAIR for _l, s, e in spans[source][FIRST]]
        word = next(
            m
            for m in re.finditer(r"\b[A-Z][a-z]{3,}\b", text)
            if not any(s < m.end() and m.start() < e for s, e in tagged)
        )
        event = store.label_by_name("Event").id
        store.add_span(ids[FIRST], event, analyst_b.id, word.start(), word.end())
    with qtbot.waitSignal(panel.reviewStarted, timeout=30000):
        choose_menu_item(qtbot, window, "Review", "Compare again")
    assert ("missing", word.group(), "pending") in rows(panel)
    assert panel.progress_text() == f"Reviewed 21 of {total + 1}"
    assert gold_spans(project) == agreed

    choose_menu_item(qtbot, window, "Review", "End review mode")
    assert panel.review is None and panel.setup.isVisible() and not panel.body.isVisible()
    assert [layer.annotator.name for layer in window.session.layers] == ["lead"]
    assert not window.session.editing.is_gold
    assert gold_spans(project) == agreed and len(decisions(project)) == len(made)


# --- the agreement dialog ----------------------------------------------------------------------


def test_agreement_cancel_stops_measuring_and_close_closes(
    qtbot, project, open_window, monkeypatch, held
):
    real = agreement_view.measure_agreement

    def slow(store, names, document_ids=None, *, progress):
        return real(store, names, document_ids, progress=held.progress(progress))

    monkeypatch.setattr(agreement_view, "measure_agreement", slow)
    window = open_window(project, annotator="lead")
    qtbot.keyClick(
        window.view,
        Qt.Key.Key_R,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = window.agreement
    assert dialog.checked() == PAIR
    measured = []
    dialog.measured.connect(measured.append)
    click_button(qtbot, dialog.measure_button)
    qtbot.waitUntil(held.reached.is_set, timeout=20000)
    job = dialog.job
    assert dialog.running.isVisible() and not dialog.measure_button.isEnabled()

    click_button(qtbot, button_named(dialog, "Cancel"))
    with qtbot.waitSignal(job.ended, timeout=20000):
        held.gate.set()

    assert measured == [] and dialog.report is None
    assert dialog.problem.text() == "Measuring was cancelled."
    assert not dialog.running.isVisible() and dialog.measure_button.isEnabled()
    assert dialog.model.rowCount() == 0 and dialog.chart.bars() == []
    assert not dialog.copy_button.isEnabled() and not dialog.save_button.isEnabled()

    # Measured to the end this time: the rows are there.
    with qtbot.waitSignal(dialog.measured, timeout=60000):
        click_button(qtbot, dialog.measure_button)
    labels = [dialog.model.headerData(r, Qt.Orientation.Vertical) for r in range(4)]
    assert labels == ["Claim", "Actor", "Event", "Overall"]
    assert dialog.problem.text() == ""

    click_button(qtbot, button_named(dialog, "Close"))
    assert not dialog.isVisible()
    assert window.isVisible() and window.agreement is dialog
