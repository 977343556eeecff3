"""Review mode and agreement in the window, driven by keys as a reviewer does; the gold layer
and the review decisions are checked in the database through a separate connection."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import spacy
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.review.adjudicate import decision_item_keys
from desktop.review.agreement import measure_agreement
from desktop.review.compare import AGREED, compare_annotators
from desktop.ui.agreement_view import OVERALL
from tests.ui.driving import CTRL, SHIFT, answer_file_dialog, click_row, drag, tick
from tests.ui.driving import press as click_button

PAIR = ["analyst_a", "analyst_b"]
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
RAW_SOURCES = ("000_f40a1a98859d52a1.txt", "001_4932432c3956f33a.txt")  # both analysts tagged
LABELS = {"CLAIM": "Claim", "ACTOR": "Actor", "EVENT": "Event"}  # the files' names, the palette's


# --- the raw data: the analysts' files and the articles, read without Dossier -------------------


def raw_spans() -> dict[str, dict[str, list[tuple[str, int, int]]]]:
    """Per analyst, per source file: (label, start, end) of each span, as the files hold them."""
    folder = CORPUS / "annotations"
    spans: dict[str, dict[str, list[tuple[str, int, int]]]] = {"analyst_a": {}, "analyst_b": {}}
    for line in (folder / "analyst_a.prodigy.jsonl").read_text(encoding="utf-8").splitlines():
        task = json.loads(line)
        spans["analyst_a"][task["meta"]["source"]] = [
            (LABELS[span["label"]], span["start"], span["end"]) for span in task["spans"]
        ]
    for line in (folder / "analyst_b.doccano.jsonl").read_text(encoding="utf-8").splitlines():
        task = json.loads(line)
        spans["analyst_b"][task["source"]] = [
            (LABELS[label], start, end) for start, end, label in task["label"]
        ]
    return spans


def raw_document_ids(location: str) -> dict[str, int]:
    """The project's document id of each article file, matched by its text."""
    texts = {path.name: path.read_text(encoding="utf-8") for path in CORPUS.glob("*.txt")}
    with Store.open(location) as store:
        ids = {store.document(summary.id).text: summary.id for summary in store.list_documents()}
    return {name: ids[text] for name, text in texts.items()}


@cache
def raw_tokens(source: str) -> list[tuple[int, int]]:
    """(start, end) of the article's word tokens: spaCy's English tokenizer, spaces left out."""
    text = (CORPUS / source).read_text(encoding="utf-8")
    return [(t.idx, t.idx + len(t.text)) for t in spacy.blank("en")(text) if not t.is_space]


def raw_token_count() -> int:
    return sum(len(raw_tokens(source)) for source in RAW_SOURCES)


def _scores(reference: list, other: list, matched_reference: int, matched_other: int) -> list:
    precision = matched_other / len(other) if other else None
    recall = matched_reference / len(reference) if reference else None
    if not reference and not other:
        return [precision, recall, None]
    p, r = precision or 0.0, recall or 0.0
    return [precision, recall, 2 * p * r / (p + r) if p + r else 0.0]


def _kappa(first: list, second: list) -> float | None:
    total = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / total
    chance = sum(first.count(c) * second.count(c) for c in set(first)) / total**2
    return None if chance == 1 else (observed - chance) / (1 - chance)


def _alpha(first: list, second: list) -> float | None:
    """Nominal alpha of two coders with no value missing: 1 - (n - 1) * 2D / (n² - Σ n_c²)."""
    values = first + second
    n = len(values)
    expected = n * n - sum(values.count(c) ** 2 for c in set(values))
    if expected == 0:
        return None
    disagreements = sum(a != b for a, b in zip(first, second, strict=True))
    return 1 - (n - 1) * 2 * disagreements / expected


def raw_agreement() -> dict[str, list[float | None]]:
    """Per label and overall, analyst_b against analyst_a (the reference): exact P, R, F1,
    overlap P, R, F1, Cohen's kappa and Krippendorff's alpha on the word tokens (a token's
    value: whether a span of the label shares a character with it; overall, the set of
    labels that do)."""
    spans = raw_spans()
    result = {}
    for label in [*LABELS.values(), OVERALL]:

        def keep(span, label=label):
            return label == OVERALL or span[0] == label

        a = [(s, *span) for s in RAW_SOURCES for span in spans["analyst_a"][s] if keep(span)]
        b = [(s, *span) for s in RAW_SOURCES for span in spans["analyst_b"][s] if keep(span)]
        exact = sum(min(a.count(span), b.count(span)) for span in set(a))

        def touching(span, others):
            return any(o[:2] == span[:2] and o[2] < span[3] and span[2] < o[3] for o in others)

        overlap_a = sum(touching(span, b) for span in a)
        overlap_b = sum(touching(span, a) for span in b)
        values = {"analyst_a": [], "analyst_b": []}
        for source in RAW_SOURCES:
            for start, end in raw_tokens(source):
                for name in values:
                    covering = frozenset(
                        lab for lab, s, e in spans[name][source] if s < end and start < e
                    )
                    values[name].append(covering if label == OVERALL else int(label in covering))
        result[label] = [
            *_scores(a, b, exact, exact),
            *_scores(a, b, overlap_a, overlap_b),
            _kappa(values["analyst_a"], values["analyst_b"]),
            _alpha(values["analyst_a"], values["analyst_b"]),
        ]
    return result


def cell(figure: float | None) -> str:
    """A figure as a table cell reads: three decimals, a dash when undefined."""
    return "—" if figure is None else f"{figure:.3f}"


# --- reading the database ---------------------------------------------------------------------


def gold_spans(location: str) -> set[tuple]:
    """(document, label, start, end) of every gold span."""
    with Store.open(location) as store:
        gold = store.gold_annotator()
        return {
            (span.document_id, span.label, span.start, span.end)
            for span in store.spans_where(annotator_ids=[gold.id])
        }


def decisions_by_item(location: str) -> dict[str, object]:
    """The latest decision on each item key."""
    with Store.open(location) as store:
        latest = {}
        for decision in store.review_decisions():
            for key in decision_item_keys(decision):
                latest[key] = decision
        return latest


def expected_items(location: str):
    with Store.open(location) as store:
        return compare_annotators(store, PAIR)


def sides(item, annotator: str) -> set[tuple]:
    return {(item.document_id, c.label, c.start, c.end) for c in item.spans_of(annotator)}


def in_item(spans: set[tuple], item) -> set[tuple]:
    return {
        span
        for span in spans
        if span[0] == item.document_id and span[2] < item.end and item.start < span[3]
    }


# --- driving the window -----------------------------------------------------------------------


def start_review(qtbot, window):
    """Review → Review mode… (Ctrl+R), keep the two analysts checked, press Compare, wait
    for the list."""
    qtbot.keyClick(window.view, Qt.Key.Key_R, CTRL)
    panel = window.review
    assert panel.isVisible()
    assert panel.setup.checked() == PAIR  # the reviewer is not compared with themselves
    with qtbot.waitSignal(panel.reviewStarted, timeout=30000):
        qtbot.mouseClick(panel.setup.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.view.token_index is not None, timeout=20000)
    return panel


def press(qtbot, widget, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(widget, key, modifiers)
    QApplication.processEvents()


def test_review_mode_by_keys_writes_gold_and_decisions_and_undoes(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    panel = start_review(qtbot, window)
    view, table = window.view, panel.table
    items = expected_items(project)
    agreed = [item for item in items if item.kind == AGREED]
    assert panel.progress_text() == f"Reviewed 0 of {len(items)}"
    assert [layer.annotator.name for layer in window.session.layers] == [*PAIR, "gold"]
    assert window.session.editing.is_gold
    assert {s.record.annotator for s in view.spans()} <= {*PAIR, "gold"}

    # Disagreements come first; the first one is shown in the view with its candidates.
    first = panel.current_item()
    assert first.is_disagreement and first.document_id == window.session.document.id
    assert view.selected_span().uuid in {c.uuid for c in first.candidates}
    shown = [card for card in panel.details.cards if card.isVisible()]
    assert ["analyst_a" in c.header.text() for c in shown] == [True, False]

    # 1: take analyst_a's side.
    press(qtbot, table, Qt.Key.Key_1)
    assert in_item(gold_spans(project), first) == sides(first, "analyst_a")
    decision = decisions_by_item(project)[first.key]
    assert (decision.reviewer, decision.kind, decision.action) == ("lead", first.kind, "take")
    taken = {e["annotator"]: e["taken"] for e in decision.candidates if e["role"] != "outcome"}
    assert taken == {"analyst_a": True, "analyst_b": False}

    # The next pending item follows; 2: take analyst_b's side.
    second = panel.current_item()
    assert second.key != first.key and second.is_disagreement
    press(qtbot, table, Qt.Key.Key_2)
    assert in_item(gold_spans(project), second) == sides(second, "analyst_b")
    assert decisions_by_item(project)[second.key].action == "take"

    # E: the item's extent is selected in the document; the reviewer narrows it with the
    # mouse to its last word and presses the Actor key there.
    third = panel.current_item()
    press(qtbot, table, Qt.Key.Key_E)
    assert view.hasFocus() and view.python_selection() == (third.start, third.end)
    word = view.text[third.start : third.end].rstrip(' .,”’"').split()[-1]
    word_end = view.text.rindex(word, third.start, third.end) + len(word)
    drag(view, word_end - len(word) + 1, word_end - 1)
    start, end = view.python_selection()
    assert view.text[start:end] == word
    press(qtbot, view, Qt.Key.Key_A)
    third_decision = decisions_by_item(project)[third.key]
    assert (third_decision.action, third_decision.kind) == ("edit", third.kind)
    assert in_item(gold_spans(project), third) == {(third.document_id, "Actor", start, end)}
    outcome = [e for e in third_decision.candidates if e["role"] == "outcome"]
    assert [(e["label"], e["start"], e["end"], e["annotator"]) for e in outcome] == [
        ("Actor", start, end, "gold")
    ]
    assert table.hasFocus()

    # Backspace: reject; nothing goes into gold.
    fourth = panel.current_item()
    gold_before = gold_spans(project)
    press(qtbot, table, Qt.Key.Key_Backspace)
    assert decisions_by_item(project)[fourth.key].action == "reject"
    assert gold_spans(project) == gold_before
    assert panel.progress_text() == f"Reviewed 4 of {len(items)}"

    # A: every agreed span into gold at once.
    press(qtbot, table, Qt.Key.Key_A)
    gold = gold_spans(project)
    latest = decisions_by_item(project)
    for item in agreed:
        assert latest[item.key].action == "accept" and latest[item.key].reviewer == "lead"
        assert sides(item, "analyst_a") <= gold
    assert panel.progress_text() == f"Reviewed {4 + len(agreed)} of {len(items)}"
    reviewed, total = panel.kind_counts()[AGREED]
    assert reviewed == total == len(agreed)
    assert {s.record.annotator for s in view.spans() if s.style == "gold"} == {"gold"}

    # Ctrl+Z takes back the agreed spans, then the rejection; Ctrl+Shift+Z puts it back.
    press(qtbot, table, Qt.Key.Key_Z, CTRL)
    assert gold_spans(project) == gold_before
    assert set(decisions_by_item(project)) == {first.key, second.key, third.key, fourth.key}
    assert panel.progress_text() == f"Reviewed 4 of {len(items)}"
    press(qtbot, table, Qt.Key.Key_Z, CTRL)
    assert fourth.key not in decisions_by_item(project)
    assert panel.current_item().key == fourth.key
    assert panel.progress_text() == f"Reviewed 3 of {len(items)}"
    press(qtbot, table, Qt.Key.Key_Z, CTRL | SHIFT)
    assert decisions_by_item(project)[fourth.key].action == "reject"
    assert panel.progress_text() == f"Reviewed 4 of {len(items)}"

    # Undoing the edit brings back exactly what was there before it.
    press(qtbot, table, Qt.Key.Key_Z, CTRL)
    press(qtbot, table, Qt.Key.Key_Z, CTRL)
    assert third.key not in decisions_by_item(project)
    assert in_item(gold_spans(project), third) == set()
    assert in_item(gold_spans(project), first) == sides(first, "analyst_a")


def test_enter_keeps_a_missing_span_and_progress_survives_a_restart(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    panel = start_review(qtbot, window)
    missing = next(item for item in panel.model.items() if item.kind == "missing")
    click_row(qtbot, panel.table, panel.model.row_of(missing.key))
    assert panel.current_item().key == missing.key
    press(qtbot, panel.table, Qt.Key.Key_Return)
    holder = missing.holders[0]
    assert in_item(gold_spans(project), missing) == sides(missing, holder)
    decision = decisions_by_item(project)[missing.key]
    assert decision.action == "take" and decision.kind == "missing"
    pending = panel.current_item()
    assert pending.key != missing.key
    press(qtbot, panel.table, Qt.Key.Key_Space)
    assert panel.current_item().key != pending.key
    press(qtbot, panel.table, Qt.Key.Key_Space, SHIFT)
    assert panel.current_item().key == pending.key
    window.close()

    again = open_window(project, annotator="lead")
    panel = start_review(qtbot, again)
    assert panel.progress_text() == f"Reviewed 1 of {len(expected_items(project))}"
    assert panel.review.is_reviewed(panel.review.item(missing.key))
    click_button(qtbot, panel.end_button)
    assert [layer.annotator.name for layer in again.session.layers] == ["lead"]
    assert panel.review is None and not panel.body.isVisible()


def test_a_label_key_away_from_the_item_tags_gold_directly(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    panel = start_review(qtbot, window)
    view = window.view
    item = panel.current_item()
    text = view.text
    word = "Thursday"
    start = text.index(word)
    assert not (start < item.end and item.start < start + len(word))
    drag(view, start, start + len(word))
    press(qtbot, view, Qt.Key.Key_E)  # Event, in the view
    assert (item.document_id, "Event", start, start + len(word)) in gold_spans(project)
    assert decisions_by_item(project) == {}


def test_the_agreement_table_and_chart_show_the_figures_of_the_raw_files(
    qtbot, project, open_window, tmp_path
):
    window = open_window(project, annotator="lead")
    qtbot.keyClick(window.view, Qt.Key.Key_R, CTRL | SHIFT)  # Review → Agreement…
    dialog = window.agreement
    assert dialog.isVisible() and not dialog.isModal()
    assert dialog.checked() == PAIR
    with qtbot.waitSignal(dialog.measured, timeout=60000):
        qtbot.mouseClick(dialog.measure_button, Qt.MouseButton.LeftButton)
    # The figures, worked out here from the two analysts' files and spaCy's tokens.
    expected = raw_agreement()
    rows = ["Claim", "Actor", "Event", OVERALL]  # the palette's order, then all labels
    model = dialog.model
    assert [model.headerData(row, Qt.Orientation.Vertical) for row in range(len(rows))] == rows
    shown = [[model.data(model.index(row, c)) for c in range(8)] for row in range(len(rows))]
    assert shown == [[cell(value) for value in expected[label]] for label in rows]
    # Exact matches by hand: analyst_a tagged 37 spans, analyst_b 27, and 21 are the same.
    assert shown[-1][:3] == [cell(21 / 27), cell(21 / 37), cell(2 * 21 / (27 + 37))]
    for row, label in enumerate(rows):
        for column, value in enumerate(expected[label]):
            figure = model.data(model.index(row, column), model.FIGURE_ROLE)
            assert figure == pytest.approx(value)
    overall = {name: value for label, name, value in dialog.chart.bars() if label == OVERALL}
    assert overall == pytest.approx(
        {
            "Exact F1": expected[OVERALL][2],
            "Overlap F1": expected[OVERALL][5],
            "Cohen's κ": expected[OVERALL][6],
            "Krippendorff's α": expected[OVERALL][7],
        }
    )
    assert len(dialog.chart.bars()) == 4 * len(rows)

    QApplication.clipboard().setText("")
    click_button(qtbot, dialog.copy_button)
    header = "Label\tExact P\tExact R\tExact F1\tOverlap P\tOverlap R\tOverlap F1\tκ\tα"
    assert QApplication.clipboard().text() == "\n".join(
        [header] + ["\t".join([label, *map(cell, expected[label])]) for label in rows] + [""]
    )
    assert window.statusBar().currentMessage() == "Agreement table copied"
    out = tmp_path / "agreement.json"
    answered = answer_file_dialog(qtbot, out)
    click_button(qtbot, dialog.save_button)
    assert answered == ["Save agreement"]
    saved = json.loads(out.read_text(encoding="utf-8"))
    ids = raw_document_ids(project)
    assert saved["annotators"] == PAIR and saved["reference"] == "analyst_a"
    assert saved["documents"] == sorted(ids[source] for source in RAW_SOURCES)
    assert saved["labels"] == ["Claim", "Actor", "Event"]
    assert saved["tokens"] == raw_token_count()
    for label in rows:
        figures = saved["overall"] if label == OVERALL else saved["per_label"][label]
        read = [
            *(figures["exact"][name] for name in ("precision", "recall", "f1")),
            *(figures["overlap"][name] for name in ("precision", "recall", "f1")),
            figures["kappa"],
            figures["alpha"],
        ]
        assert read == pytest.approx(expected[label])
    assert str(out) in window.statusBar().currentMessage()


def test_agreement_needs_two_annotators(qtbot, project, open_window):
    with Store.open(project) as store:
        store.gold_annotator()
    window = open_window(project, annotator="lead")
    qtbot.keyClick(window.view, Qt.Key.Key_R, CTRL | SHIFT)
    dialog = window.agreement
    tick(qtbot, dialog.annotators, {"analyst_a"})
    assert not dialog.measure_button.isEnabled()
    assert "two or more" in dialog.problem.text()
    tick(qtbot, dialog.annotators, {"analyst_a", "gold"})
    assert dialog.measure_button.isEnabled() and not dialog.problem.text()
    with qtbot.waitSignal(dialog.measured, timeout=60000):
        click_button(qtbot, dialog.measure_button)
    assert dialog.report.annotators == ("analyst_a", "gold")
    assert dialog.model.data(dialog.model.index(0, 0)) == "—"  # gold has no spans yet


def test_undo_after_review_mode_ended_takes_the_decision_back(qtbot, project, open_window):
    window = open_window(project, annotator="lead")
    panel = start_review(qtbot, window)
    item = panel.current_item()
    press(qtbot, panel.table, Qt.Key.Key_2)
    assert item.key in decisions_by_item(project)
    click_button(qtbot, panel.end_button)
    assert [layer.annotator.name for layer in window.session.layers] == ["lead"]
    press(qtbot, window.view, Qt.Key.Key_Z, CTRL)
    assert decisions_by_item(project) == {} and gold_spans(project) == set()
    assert panel.review is None and not panel.body.isVisible()  # review mode stays ended


def test_review_mode_by_its_buttons(qtbot, project, open_window):
    """Every decision has a button as well as a key: Take, Edit, Reject, Accept all agreed;
    Compare again and End review have only buttons (and the Review menu)."""
    window = open_window(project, annotator="lead")
    panel = start_review(qtbot, window)
    view = window.view
    items = expected_items(project)
    agreed = [item for item in items if item.kind == AGREED]

    # Take (on analyst_b's card): gold gets analyst_b's reading.
    first = panel.current_item()
    [_a, b] = [card for card in panel.details.cards if card.isVisible()]
    assert "analyst_b" in b.header.text()
    click_button(qtbot, b.take)
    assert in_item(gold_spans(project), first) == sides(first, "analyst_b")
    decision = decisions_by_item(project)[first.key]
    assert (decision.action, decision.reviewer) == ("take", "lead")
    taken = {e["annotator"]: e["taken"] for e in decision.candidates if e["role"] != "outcome"}
    assert taken == {"analyst_a": False, "analyst_b": True}

    # Reject: settled with nothing in gold.
    second = panel.current_item()
    assert second.key != first.key
    gold_before = gold_spans(project)
    click_button(qtbot, panel.details.reject_button)
    assert decisions_by_item(project)[second.key].action == "reject"
    assert gold_spans(project) == gold_before

    # Edit: the item's extent is selected in the document; the Event key makes it gold.
    third = panel.current_item()
    click_button(qtbot, panel.details.edit_button)
    assert view.hasFocus() and view.python_selection() == (third.start, third.end)
    press(qtbot, view, Qt.Key.Key_E)
    third_decision = decisions_by_item(project)[third.key]
    assert third_decision.action == "edit"
    assert in_item(gold_spans(project), third) == {
        (third.document_id, "Event", third.start, third.end)
    }
    assert panel.progress_text() == f"Reviewed 3 of {len(items)}"

    # Accept all agreed: one button, every agreed item into gold.
    assert panel.accept_button.text() == f"Accept all agreed ({len(agreed)})"
    click_button(qtbot, panel.accept_button)
    latest = decisions_by_item(project)
    assert all(latest[item.key].action == "accept" for item in agreed)
    assert all(sides(item, "analyst_a") <= gold_spans(project) for item in agreed)
    assert panel.progress_text() == f"Reviewed {3 + len(agreed)} of {len(items)}"
    assert not panel.accept_button.isEnabled()

    # Compare again after analyst_b's spans changed: the new span is a new item.
    with Store.open(project) as store:
        analyst_b = store.ensure_annotator("analyst_b")
        document = store.document(first.document_id)
        tagged = [(span.start, span.end) for span in store.spans(document.id)]
        start, end = next(
            (m.start(), m.end())
            for m in re.finditer(r"\b[A-Z][a-z]{3,}\b", document.text)
            if not any(a < m.end() and m.start() < b for a, b in tagged)
        )
        store.add_span(document.id, store.label_by_name("Event").id, analyst_b.id, start, end)
    with qtbot.waitSignal(panel.reviewStarted, timeout=30000):
        click_button(qtbot, panel.again_button)
    assert len(panel.model.ordered()) == len(expected_items(project)) == len(items) + 1
    assert panel.progress_text() == f"Reviewed {3 + len(agreed)} of {len(items) + 1}"

    # End review: one's own spans again; the decisions stay.
    click_button(qtbot, panel.end_button)
    assert panel.review is None and panel.setup.isVisible() and not panel.body.isVisible()
    assert [layer.annotator.name for layer in window.session.layers] == ["lead"]
    assert not window.session.editing.is_gold
    assert len(decisions_by_item(project)) == 3 + len(agreed)


def test_a_label_named_like_a_formula_is_copied_as_text_and_figures_as_numbers(memory_store):
    from db.records import ImportBatch, NewDocument, NewSpan
    from desktop.ui.agreement_view import AgreementTableModel

    text = "Kataib Hezbollah warned on Friday that attacks on US forces would resume."
    spans = [
        NewSpan("=HYPERLINK(1)", 0, 16, "ana"),
        NewSpan("=HYPERLINK(1)", 27, 33, "ben"),
        NewSpan("@cmd", 39, 46, "ana"),
        NewSpan("@cmd", 39, 46, "ben"),
    ]
    memory_store.import_batch(ImportBatch(documents=[NewDocument(text=text, spans=spans)]))
    report = measure_agreement(memory_store, ("ana", "ben"))
    model = AgreementTableModel()
    model.set_report(report)
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in model.as_text().splitlines()}
    assert "'=HYPERLINK(1)" in rows and "'@cmd" in rows and "=HYPERLINK(1)" not in rows
    # Figures stay numbers a spreadsheet can sum, a negative kappa included.
    figures = rows["'=HYPERLINK(1)"]
    assert all(not cell.startswith("'") for cell in figures)
    assert any(cell.startswith("-") for cell in figures), figures
