"""The Outlets dock driven by keys and clicks over the seed articles, each given an outlet:
choose an actor, an event or a claim and see which outlets report it and how; open a
report's evidence; double-click a cell of the coverage table for one outlet's reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.corpus.outlets import NO_OUTLET
from tests.corpus.test_outlets import add_records, seed_with_outlets, tag_kataib
from tests.ui.driving import CTRL, LEFT, SHIFT, choose_in_combo

CTRL_SHIFT = CTRL | SHIFT

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def outlet_project(tmp_path, corpus) -> tuple[str, dict]:
    """The seed corpus with outlets, Kataib Hezbollah linked in every article, and a strike
    and a threat as records (tests/corpus/test_outlets.py)."""
    location = str(tmp_path / "project.db")
    with Store.open(location) as store:
        ids = seed_with_outlets(store, Path(corpus), tmp_path)
        kataib, _linked = tag_kataib(store, ids)
        made = add_records(store, ids, kataib)
    return location, {"ids": ids, "kataib": kataib, **made}


def show_outlets(qtbot, window):
    """Ctrl+Shift+O, then wait for the records to be read."""
    qtbot.keyClick(window.view, Qt.Key.Key_O, CTRL_SHIFT)
    dock = window.outlets_dock
    qtbot.waitUntil(dock.dock.isVisible)
    panel = dock.panel
    qtbot.waitUntil(panel.ready, timeout=15000)
    return panel


def item_of(panel, span_uuid: str):
    tree = panel.reports
    for top in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(top)
        for row in range(group.childCount()):
            item = group.child(row)
            if item.data(0, Qt.ItemDataRole.UserRole).span_uuid == span_uuid:
                return item
    raise AssertionError(f"no report of {span_uuid}")


def double_click(qtbot, widget, point) -> None:
    """A double-click as a finger makes it: press and release, press and release. QTest's
    mouseDClick sends the second press but leaves the button held (Qt 6.11), which would keep
    every later tooltip from showing: the release is sent here."""
    qtbot.mouseClick(widget, LEFT, pos=point)
    qtbot.mouseDClick(widget, LEFT, pos=point)
    if QApplication.mouseButtons() & LEFT:
        qtbot.mouseRelease(widget if widget.isVisible() else widget.window(), LEFT, pos=point)
    assert not QApplication.mouseButtons() & LEFT
    QApplication.processEvents()


def click_item(qtbot, tree, item, double: bool = False) -> None:
    tree.scrollToItem(item)
    point = tree.visualItemRect(item).center()
    if double:
        double_click(qtbot, tree.viewport(), point)
    else:
        qtbot.mouseClick(tree.viewport(), LEFT, pos=point)
    QApplication.processEvents()


def outlets_shown(panel) -> list[str]:
    tree = panel.reports
    return [tree.topLevelItem(i).text(0).split("   ")[0] for i in range(tree.topLevelItemCount())]


def test_an_actors_reports_by_outlet_open_their_evidence(qtbot, outlet_project, open_window):
    location, made = outlet_project
    ids = made["ids"]
    window = open_window(location)
    panel = show_outlets(qtbot, window)
    assert panel.filter.hasFocus()

    qtbot.keyClicks(panel.filter, "kataib")  # the alias's apostrophe aside
    assert panel.choice_model.rowCount() == 1
    qtbot.keyClick(panel.filter, Qt.Key.Key_Down)
    assert panel.choices.hasFocus()

    assert outlets_shown(panel) == ["Al Jazeera", "Reuters", NO_OUTLET]
    reports = panel.current_reports()
    assert {(r.document_id, r.role, r.stance) for r in reports} == {
        (ids[0], "target", None),
        (ids[1], "source", "opposes"),
        (ids[1], "target", None),
        (ids[2], "mentioned", None),
        (ids[3], "mentioned", None),
        (ids[4], "source", "supports"),
    }
    assert "reported by 3 outlets, in 5 documents" in panel.title.text()

    # Enter on a mention opens its article with the Kata’ib span selected.
    mention = next(r for r in reports if r.document_id == ids[3])
    click_item(qtbot, panel.reports, item_of(panel, mention.span_uuid))
    qtbot.keyClick(panel.reports, Qt.Key.Key_Return)
    assert window.session.document.id == ids[3]
    qtbot.waitUntil(lambda: window.view.selected_span() is not None)
    selected = window.view.selected_span()
    assert selected.uuid == mention.span_uuid
    assert window.session.document.text[selected.start : selected.end] == "Kata’ib Hezbollah"


def test_an_event_and_a_claim_side_by_side(qtbot, outlet_project, open_window):
    location, made = outlet_project
    ids = made["ids"]
    window = open_window(location)
    panel = show_outlets(qtbot, window)

    choose_in_combo(qtbot, panel.kind, "Events")
    qtbot.keyClicks(panel.filter, "assault 2024-02-07")
    assert panel.choice_model.rowCount() == 1
    qtbot.keyClick(panel.filter, Qt.Key.Key_Return)
    # The strike dated by its day (Reuters) and by its week (Al Jazeera) is one event.
    assert outlets_shown(panel) == ["Al Jazeera", "Reuters"]
    assert {r.span_uuid for r in panel.current_reports()} == {made["strike"], made["killing"]}
    # A double-click opens the other outlet's report.
    click_item(qtbot, panel.reports, item_of(panel, made["killing"]), double=True)
    assert window.session.document.id == ids[1]
    qtbot.waitUntil(lambda: window.view.selected_span() is not None)
    assert window.view.selected_span().uuid == made["killing"]

    choose_in_combo(qtbot, panel.kind, "Claims")
    panel.filter.setFocus()
    qtbot.keyClick(panel.filter, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(panel.filter, "opposes")
    qtbot.keyClick(panel.filter, Qt.Key.Key_Down)
    stances = {(r.outlet, r.stance) for r in panel.current_reports()}
    assert stances == {("Al Jazeera", "opposes"), (NO_OUTLET, "supports")}


def test_a_coverage_cell_opens_one_outlets_reports(qtbot, outlet_project, open_window):
    location, made = outlet_project
    ids = made["ids"]
    window = open_window(location)
    panel = show_outlets(qtbot, window)
    bar = panel.tabs.tabBar()
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(1).center())
    table, model = panel.coverage_table, panel.coverage_model
    assert model.rowCount() == 1 and model.actor_at(0).name == "Kataib Hezbollah"
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Actor", "All outlets", "Al Jazeera", "Reuters", NO_OUTLET]
    reuters = headers.index("Reuters")
    cell = model.index(0, reuters)
    assert cell.data() == 2
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == "Kataib Hezbollah in Reuters: 2 documents"
    assert cell.data(Qt.ItemDataRole.BackgroundRole) is not None

    # Sorting by an outlet's column (a click on its header) keeps the counts.
    header = table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), LEFT, pos=_middle(header, reuters))
    assert model.index(0, reuters).data() == 2

    rect = table.visualRect(model.index(0, reuters))
    double_click(qtbot, table.viewport(), rect.center())
    qtbot.waitUntil(lambda: panel.tabs.currentIndex() == 0)
    assert outlets_shown(panel) == ["Reuters"]
    assert {r.document_id for r in panel.current_reports()} == {ids[0], ids[2]}
    assert "in Reuters" in panel.title.text()
    qtbot.keyClick(panel.reports, Qt.Key.Key_Return)
    assert window.session.document.id == ids[0]


def _middle(header, section: int) -> QPoint:
    return QPoint(header.sectionViewportPosition(section) + header.sectionSize(section) // 2, 5)
