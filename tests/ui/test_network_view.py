"""The Network dock, driven by keys and clicks on the seed corpus with its records tagged:
Ctrl+Shift+N shows it, clicking an actor or a link lists its records, Enter opens one, the
filters narrow it, an edit redraws it (and Ctrl+Z again), and the pictures and GraphML are
saved where the file dialog is told."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import networkx as nx
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtWidgets import QApplication

from db.store import Store
from desktop.corpus.network import CLAIMS, CONFLICT, CONGRUENCE, EVENTS
from tests.corpus.seed_records import tag_seed_records
from tests.ui.driving import (
    CTRL,
    LEFT,
    SHIFT,
    answer_file_dialog,
    choose_in_combo,
    click_row,
    press,
    type_into,
)


@pytest.fixture
def network_project(tmp_path, corpus):
    """The seed articles (with the outlets they name) and their events and claims."""
    location = str(tmp_path / "network.db")
    with Store.open(location) as store:
        actors = tag_seed_records(store, corpus)
    return location, actors


def rest_on(graph, point: QPoint) -> None:
    """Move the mouse over a point of the graph, no button held."""
    event = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        QPointF(point),
        QPointF(graph.viewport().mapToGlobal(point)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(graph.viewport(), event)
    QApplication.processEvents()


def show_network(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL | SHIFT)
    panel = window.network_dock.panel
    qtbot.waitUntil(lambda: panel.network is not None and not panel.loading(), timeout=15000)
    QApplication.processEvents()
    return panel


def redrawn(qtbot, panel, action) -> None:
    with qtbot.waitSignal(panel.networkShown, timeout=15000):
        action()
    qtbot.waitUntil(lambda: not panel.loading())


def where_is(panel, item) -> QPoint:
    graph = panel.graph
    graph.ensureVisible(item, 20, 20)
    QApplication.processEvents()
    return graph.mapFromScene(item.scenePos())


def click_node(qtbot, panel, name: str) -> None:
    item = next(i for i in panel.graph.nodes.values() if i.node.name == name)
    point = where_is(panel, item)
    # the records are read off the GUI thread, then listed
    with qtbot.waitSignal(panel.recordsListed, timeout=15000):
        qtbot.mouseClick(panel.graph.viewport(), LEFT, pos=point)
    QApplication.processEvents()


def click_edge(qtbot, panel, source: str, target: str, kind: str, type_: str) -> None:
    graph = panel.graph
    item = next(
        i
        for i in graph.edges
        if panel.network.node(i.edge.source).name == source
        and panel.network.node(i.edge.target).name == target
        and (i.edge.kind, i.edge.type) == (kind, type_)
    )
    # zoomed in on it, as a person does to pick out a short link
    graph.centerOn(item)
    graph.setFocus()
    while graph.zoom_level() < 1.5:
        qtbot.keyClick(graph, Qt.Key.Key_Equal, CTRL)
    graph.centerOn(item)
    QApplication.processEvents()
    # a point of the link that no actor or other link covers
    for step in (50, 40, 60, 30, 70, 20, 80):
        pos = graph.mapFromScene(item.path.pointAtPercent(step / 100))
        if graph._item_at(pos) is item:
            break
    else:
        raise AssertionError("the link is hidden under others")
    with qtbot.waitSignal(panel.recordsListed, timeout=15000):
        qtbot.mouseClick(graph.viewport(), LEFT, pos=pos)
    QApplication.processEvents()
    assert panel.model.records_listed() == uuids_of(panel, item.edge)
    assert len(panel.model.records_listed()) == item.edge.count


def uuids_of(panel, edge) -> tuple[str, ...]:
    return tuple(record.span_uuid for record in panel.network.records_of_edge(edge))


def listed(panel) -> list[tuple[str, str, str]]:
    model = panel.model
    return [
        (model.index(row, 0).data(), model.index(row, 2).data(), model.index(row, 3).data())
        for row in range(model.rowCount())
    ]


def test_ctrl_shift_n_shows_the_network_and_a_click_lists_an_actors_records(
    qtbot, open_window, network_project
):
    location, actors = network_project
    window = open_window(location)
    panel = show_network(qtbot, window)
    assert window.network_dock.dock.isVisible()
    names = {item.node.name for item in panel.graph.nodes.values()}
    assert {"United States", "Abu Baqir al-Saadi", "Kataib Hezbollah", "Iran"} <= names
    # Three articles report the strike that killed al-Saadi, each spelling him its own way.
    strike = next(
        i.edge
        for i in panel.graph.edges
        if (i.edge.source, i.edge.target, i.edge.type)
        == (actors["United States"], actors["Abu Baqir al-Saadi"], "ASSAULT")
    )
    assert strike.count == 3
    assert "18 of 18 actors" in panel.status.text()
    # the filters' choices are read once the picture is drawn, by a job of their own
    types = [panel.type_combo.itemText(i) for i in range(panel.type_combo.count())]
    assert types[0] == "All event types"
    assert {"ASSAULT", "RETREAT", "THREATEN"} <= set(types[1:])
    assert panel.outlet_combo.findText("Iran International") > 0
    # a link's outline (to hit it with the pointer) is made only once the pointer is near
    assert all(item._shape is None for item in panel.graph.edges)

    click_node(qtbot, panel, "Abu Baqir al-Saadi")
    assert panel.caption.text() == "Abu Baqir al-Saadi: 4 records"
    assert [row[2] for row in listed(panel)] == [
        "drone attack",
        "precision missile strike",
        "US drone strike",
        "US missile attack",
    ]

    click_edge(qtbot, panel, "Yahya Rasool", "United States", CLAIMS, "opposes")
    assert panel.caption.text().startswith("Yahya Rasool claims about United States: opposes")
    clicked = next(i for i in panel.graph.edges if i.edge.type == "opposes" and i._shape)
    assert clicked.boundingRect().contains(clicked.shape().boundingRect())
    assert [row[1] for row in listed(panel)] == ["opposes"]


def test_enter_opens_a_record_in_its_document_with_its_span_selected(
    qtbot, open_window, network_project
):
    location, _ = network_project
    window = open_window(location)
    panel = show_network(qtbot, window)
    click_edge(qtbot, panel, "United States", "Abu Baqir al-Saadi", EVENTS, "ASSAULT")
    click_row(qtbot, panel.table, 1, 3)
    record = panel.model.record(1)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (
            window.view.selected_span() is not None
            and window.view.selected_span().uuid == record.span_uuid
        )
    )
    assert window.session.document.id == record.document_id
    span = window.view.selected_span()
    assert window.session.document.text[span.start : span.end] == record.text
    # A double-click opens one too.
    panel.graph.setFocus()
    qtbot.keyClick(panel.graph, Qt.Key.Key_0, CTRL)
    click_node(qtbot, panel, "Yahya Rasool")
    assert panel.caption.text() == "Yahya Rasool: 1 record"
    claim = panel.model.record(0)
    point = panel.table.visualRect(panel.model.index(0, 3)).center()
    qtbot.mouseClick(panel.table.viewport(), LEFT, pos=point)
    qtbot.mouseDClick(panel.table.viewport(), LEFT, pos=point)
    qtbot.waitUntil(
        lambda: (
            window.view.selected_span() is not None
            and window.view.selected_span().uuid == claim.span_uuid
        )
    )


def test_hovering_an_actor_brings_out_its_links_and_zoom_keys_zoom(
    qtbot, open_window, network_project
):
    location, actors = network_project
    window = open_window(location)
    panel = show_network(qtbot, window)
    graph = panel.graph
    item = next(i for i in graph.nodes.values() if i.node.name == "Iran")
    rest_on(graph, where_is(panel, item))
    qtbot.waitUntil(lambda: len(graph.highlighted()) < len(graph.edges))
    assert all(actors["Iran"] in (e.source, e.target) for e in graph.highlighted())
    graph.setFocus()
    qtbot.keyClick(graph, Qt.Key.Key_0, CTRL)
    before = graph.zoom_level()
    qtbot.keyClick(graph, Qt.Key.Key_Equal, CTRL)
    assert graph.zoom_level() == pytest.approx(before * 1.25)
    qtbot.keyClick(graph, Qt.Key.Key_Minus, CTRL)
    qtbot.keyClick(graph, Qt.Key.Key_Minus, CTRL)
    assert graph.zoom_level() == pytest.approx(before / 1.25)
    qtbot.keyClick(graph, Qt.Key.Key_0, CTRL)
    shown = graph.mapToScene(graph.viewport().rect()).boundingRect()
    assert shown.adjusted(-2, -2, 2, 2).contains(graph.scene().itemsBoundingRect())


def test_filters_narrow_the_network(qtbot, open_window, network_project):
    location, actors = network_project
    window = open_window(location)
    panel = show_network(qtbot, window)

    def kinds():
        return {(e.kind, e.type) for e in panel.network.edges}

    redrawn(qtbot, panel, lambda: choose_in_combo(qtbot, panel.type_combo, "THREATEN"))
    assert {k for k in kinds() if k[0] == EVENTS} == {(EVENTS, "THREATEN")}
    redrawn(qtbot, panel, lambda: choose_in_combo(qtbot, panel.stance_combo, "supports"))
    assert {k for k in kinds() if k[0] == CLAIMS} == {(CLAIMS, "supports")}
    redrawn(qtbot, panel, lambda: press(qtbot, panel.claims_box))
    assert {k[0] for k in kinds()} == {EVENTS}
    redrawn(qtbot, panel, lambda: choose_in_combo(qtbot, panel.type_combo, "All event types"))
    redrawn(qtbot, panel, lambda: choose_in_combo(qtbot, panel.stance_combo, "All stances"))

    # A date range: the 2024 events only (Soleimani was killed in 2020).
    def since_2024():
        type_into(qtbot, panel.since, "2024")
        qtbot.keyClick(panel.since, Qt.Key.Key_Return)

    redrawn(qtbot, panel, since_2024)
    assert all(
        record.first_day.year == 2024
        for e in panel.network.edges
        for record in panel.network.records_of_edge(e)
    )
    assert panel.network.node(actors["Qasem Soleimani"]) is None
    type_into(qtbot, panel.until, "last week")
    qtbot.keyClick(panel.until, Qt.Key.Key_Return)
    assert "'last week' is no date" in panel.status.text()
    type_into(qtbot, panel.until, "")
    type_into(qtbot, panel.since, "")
    redrawn(qtbot, panel, lambda: qtbot.keyClick(panel.since, Qt.Key.Key_Return))

    redrawn(qtbot, panel, lambda: choose_in_combo(qtbot, panel.outlet_combo, "Iran International"))
    assert {
        record.outlet
        for node in panel.network.nodes
        for record in panel.network.records_of_node(node.key)
    } == {"Iran International"}
    redrawn(qtbot, panel, lambda: choose_in_combo(qtbot, panel.outlet_combo, "All outlets"))

    # The top actors only.
    def top_three():
        type_into(qtbot, panel.top_box.lineEdit(), "3")
        qtbot.keyClick(panel.top_box, Qt.Key.Key_Return)

    redrawn(qtbot, panel, top_three)
    assert len(panel.graph.nodes) == 3
    assert "3 of " in panel.status.text()
    assert actors["United States"] in panel.graph.nodes

    # DNA's congruence and conflict between the sources of claims.
    redrawn(
        qtbot,
        panel,
        lambda: (
            type_into(qtbot, panel.top_box.lineEdit(), "300")
            or qtbot.keyClick(panel.top_box, Qt.Key.Key_Return)
        ),
    )
    redrawn(qtbot, panel, lambda: press(qtbot, panel.events_box))
    redrawn(qtbot, panel, lambda: press(qtbot, panel.congruence_box))
    redrawn(qtbot, panel, lambda: press(qtbot, panel.conflict_box))
    assert {e.kind for e in panel.network.edges} <= {CONGRUENCE, CONFLICT}
    agree = [e for e in panel.network.edges if e.kind == CONGRUENCE]
    names = {
        frozenset((panel.network.node(e.source).name, panel.network.node(e.target).name))
        for e in agree
    }
    # Both oppose the United States (Yahya Rasool; the PMF of the U.S. strikes).
    assert frozenset(("Yahya Rasool", "Popular Mobilization Forces")) in names


def test_an_edit_redraws_the_network_and_ctrl_z_again(qtbot, open_window, network_project):
    location, actors = network_project
    window = open_window(location)
    panel = show_network(qtbot, window)
    click_edge(qtbot, panel, "United States", "Abu Baqir al-Saadi", EVENTS, "ASSAULT")
    record = panel.model.record(0)
    click_row(qtbot, panel.table, 0, 3)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.view.selected_span() is not None)
    window.view.setFocus()
    redrawn(qtbot, panel, lambda: qtbot.keyClick(window.view, Qt.Key.Key_Delete))
    assert window.session.store.span(record.span_uuid) is None

    def strike_count():
        return sum(
            e.count
            for e in panel.network.edges
            if (e.source, e.target, e.type)
            == (actors["United States"], actors["Abu Baqir al-Saadi"], "ASSAULT")
        )

    assert strike_count() == 2
    redrawn(qtbot, panel, lambda: qtbot.keyClick(window, Qt.Key.Key_Z, CTRL))
    assert window.session.store.span(record.span_uuid) is not None
    assert strike_count() == 3


def test_save_png_svg_and_graphml(qtbot, open_window, network_project, tmp_path):
    location, actors = network_project
    window = open_window(location)
    panel = show_network(qtbot, window)

    png = tmp_path / "network.png"
    answered = answer_file_dialog(qtbot, png)
    press(qtbot, panel.save_png)
    assert answered == ["Save the network as PNG"]
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 400
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 10  # circles, links and names, not a blank page

    svg = tmp_path / "network"  # the suffix is added
    answered = answer_file_dialog(qtbot, svg)
    press(qtbot, panel.save_svg)
    assert answered == ["Save the network as SVG"]
    root = ET.parse(tmp_path / "network.svg").getroot()
    assert root.tag.endswith("svg")
    text = (tmp_path / "network.svg").read_text("utf-8")
    assert "Abu Baqir al-Saadi" in text or "Abu" in text

    graphml = tmp_path / "network.graphml"
    answered = answer_file_dialog(qtbot, graphml)
    press(qtbot, panel.save_graphml)
    assert answered == ["Save the network as GraphML"]
    graph = nx.read_graphml(graphml, force_multigraph=True)
    assert graph.nodes[actors["Abu Baqir al-Saadi"]]["name"] == "Abu Baqir al-Saadi"
    assert graph.number_of_edges() == len(panel.network.edges)
    # Nothing saved changed the project.
    assert window.session.store.span(uuids_of(panel, panel.network.edges[0])[0]) is not None
