"""Agreement on attributes and relations in the window: measured, then read on their tabs and
copied, as a reviewer does with the mouse."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTabWidget

from db.store import Store
from desktop.ui.agreement_view import UNDEFINED
from tests.review.test_agreement import add_records, tag
from tests.ui.driving import CTRL, LEFT, SHIFT, tick
from tests.ui.driving import press as click_button


@pytest.fixture
def records(tmp_path) -> str:
    """A project where a and b tagged the same spans with attributes and relations (the
    figures are worked out by hand in tests/review/test_agreement.py)."""
    location = str(tmp_path / "records.db")
    with Store.open(location) as store:
        spans = add_records(store)
        # c tagged only Joe Biden, as a state where a and b saw a person
        tag(store, spans["a"]["event"].document_id, "c", "Actor", "Joe Biden", type="state")
    return location


def measure(qtbot, window, annotators):
    qtbot.keyClick(window.view, Qt.Key.Key_R, CTRL | SHIFT)  # Review → Agreement…
    dialog = window.agreement
    tick(qtbot, dialog.annotators, annotators)
    with qtbot.waitSignal(dialog.measured, timeout=60000):
        click_button(qtbot, dialog.measure_button)
    return dialog


def open_tab(qtbot, tabs: QTabWidget, title: str) -> None:
    bar = tabs.tabBar()
    index = next(i for i in range(bar.count()) if bar.tabText(i).replace("&", "") == title)
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(index).center())
    QApplication.processEvents()
    assert tabs.currentIndex() == index


def shown(model, table) -> list[list[str]]:
    """The cells a person reads: the visible columns of every row."""
    columns = [c for c in range(model.columnCount()) if not table.isColumnHidden(c)]
    return [[model.data(model.index(row, c)) for c in columns] for row in range(model.rowCount())]


def test_the_attribute_and_relation_tabs_show_the_pair(qtbot, open_window, records):
    window = open_window(records, annotator="lead")
    dialog = measure(qtbot, window, {"a", "b"})
    assert dialog.checked() == ["a", "b"]
    assert dialog.tabs.currentIndex() == 0  # the span figures come first
    assert not dialog.attribute_table.isVisible()

    open_tab(qtbot, dialog.tabs, "Attributes")
    table, model = dialog.attribute_table, dialog.attribute_model
    assert table.isVisible() and table.isColumnHidden(0)  # one pair: no annotators column
    assert shown(model, table) == [
        ["Claim.stance", "4", "2", "0.364"],  # 4 / 11, by hand
        ["Claim.certainty", "2", "2", "1.000"],
        ["Actor.type", "2", "2", "1.000"],
        ["Event.type", "1", "1", UNDEFINED],
        ["Event.date", "1", "0", "0.000"],
        ["Event.location", "1", "1", UNDEFINED],
    ]
    assert model.data(model.index(0, 4), model.FIGURE_ROLE) == pytest.approx(4 / 11)
    assert model.data(model.index(3, 4), model.FIGURE_ROLE) is None
    assert "(matched spans: a / b: 9)" in dialog.attribute_note.text()
    QApplication.clipboard().setText("")
    click_button(qtbot, dialog.copy_button)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0] == "Attribute\tUnits\tAgreed\tα"
    assert lines[1] == "Claim.stance\t4\t2\t0.364"
    assert window.statusBar().currentMessage() == "Agreement table copied"

    open_tab(qtbot, dialog.tabs, "Relations")
    table, model = dialog.relation_table, dialog.relation_model
    assert table.isVisible() and table.isColumnHidden(0)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(1, 8)]
    assert headers == ["Relation", "a", "b", "Shared", "P", "R", "F1"]
    assert shown(model, table) == [
        ["about", "1", "1", "1", "1.000", "1.000", "1.000"],
        ["agent", "1", "1", "1", "1.000", "1.000", "1.000"],
        ["source", "1", "1", "1", "1.000", "1.000", "1.000"],
        ["target", "1", "0", "0", UNDEFINED, "0.000", "0.000"],  # b forgot the target
        ["Overall", "4", "3", "3", "1.000", "0.750", "0.857"],
    ]
    assert model.data(model.index(4, 7), model.FIGURE_ROLE) == pytest.approx(6 / 7)
    assert model.data(model.index(4, 1), Qt.ItemDataRole.FontRole).bold()
    click_button(qtbot, dialog.copy_button)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0] == "Relation\ta\tb\tShared\tP\tR\tF1"
    assert lines[-1] == "Overall\t4\t3\t3\t1.000\t0.750\t0.857"


def test_several_pairs_get_an_annotators_column(qtbot, open_window, records):
    window = open_window(records, annotator="lead")
    dialog = measure(qtbot, window, {"a", "b", "c"})
    open_tab(qtbot, dialog.tabs, "Attributes")
    table, model = dialog.attribute_table, dialog.attribute_model
    assert not table.isColumnHidden(0)
    rows = shown(model, table)
    assert [row[0] for row in rows] == ["a / b"] * 6 + ["a / c", "b / c"]
    # Joe Biden: a and b said person, c state; one pair of values, two categories: alpha 0
    assert rows[-2:] == [["a / c", "Actor.type", "1", "0", "0.000"]] + [
        ["b / c", "Actor.type", "1", "0", "0.000"]
    ]
    open_tab(qtbot, dialog.tabs, "Relations")
    rows = shown(dialog.relation_model, dialog.relation_table)
    # c linked nothing: against c, each of a's four types and b's three is missed
    assert [row[:2] for row in rows if row[0] != "a / b"] == [
        ["a / c", "about"],
        ["a / c", "agent"],
        ["a / c", "source"],
        ["a / c", "target"],
        ["a / c", "Overall"],
        ["b / c", "about"],
        ["b / c", "agent"],
        ["b / c", "source"],
        ["b / c", "Overall"],
    ]
    assert rows[9] == ["a / c", "Overall", "4", "0", "0", UNDEFINED, "0.000", "0.000"]
    headers = [dialog.relation_model.headerData(c, Qt.Orientation.Horizontal) for c in (2, 3)]
    assert headers == ["Reference", "Other"]
