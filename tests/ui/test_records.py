"""Records in the window, driven as a person drives them: a claim's source picked with the
keyboard, its stance set in the span panel, an event's fields, relations drawn, undone,
redone and removed with their spans; then the database, and the tables made from it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.store import Store
from tests.ui.driving import click, click_row, drag, hover, press
from tests.ui.test_annotating import FIRST, ready

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
REDO = CTRL | Qt.KeyboardModifier.ShiftModifier

CLAIM = (
    "Repeated US strikes against Iran-backed armed groups in Iraq are pushing the government "
    "to end the mission of US troops in the country"
)
SPOKESMAN = "Yahya Rasool"
EVENT = "precision missile strike"


def stored(location: str, annotator: str = "me"):
    """(spans by text: (label, attributes)), relations as (type, head text, tail text)."""
    with Store.open(location) as store:
        person = store.ensure_annotator(annotator)
        spans, relations = {}, set()
        for document_id in store.document_ids():
            mine = store.spans(document_id, annotator_ids=[person.id])
            by_uuid = {span.uuid: span for span in mine}
            spans.update({span.text: (span.label, span.attributes) for span in mine})
            for relation in store.relations(document_id):
                if relation.head_uuid in by_uuid:
                    relations.add(
                        (
                            relation.type,
                            by_uuid[relation.head_uuid].text,
                            by_uuid[relation.tail_uuid].text,
                        )
                    )
        return spans, relations


def tag(qtbot, view, fragment: str, key: Qt.Key) -> int:
    start = FIRST.index(fragment)
    drag(view, start, start + len(fragment))
    qtbot.keyClick(view, key)
    return start


def select(qtbot, view, fragment: str) -> None:
    """Click inside a span until it is the selected one (a click cycles nested spans)."""
    offset = FIRST.index(fragment) + len(fragment) // 2
    for _ in range(4):
        click(view, offset)
        selected = view.selected_span()
        if selected is not None and selected.text == fragment:
            return
    raise AssertionError(f"could not select {fragment!r}")


def test_a_claims_source_by_keyboard_its_stance_then_undo_and_redo(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, CLAIM, Qt.Key.Key_C)
    tag(qtbot, view, SPOKESMAN, Qt.Key.Key_A)
    select(qtbot, view, CLAIM)
    panel = window.spans.record
    assert "needs source" in panel.title.text()
    assert "Alt+S source" in panel.keys.text()

    qtbot.keyClick(view, Qt.Key.Key_S, ALT)  # start the claim's source
    assert panel.picker.isVisible() and panel.picker.hasFocus()
    assert panel.picker.item(0).text() == f"1. Actor: “{SPOKESMAN}”"
    qtbot.keyClick(panel.picker, Qt.Key.Key_Return)
    spans, relations = stored(project)
    assert relations == {("source", CLAIM, SPOKESMAN)}
    assert not panel.picker.isVisible() and view.hasFocus()
    assert "needs" not in panel.title.text()
    assert [panel.relations.item(0).text()] == [f"→ source: “{SPOKESMAN}” (Actor)"]
    assert len(view.arcs) == 1

    qtbot.keyClick(view, Qt.Key.Key_F2)  # into the fields: the stance first
    stance = panel.fields["stance"]
    assert stance.hasFocus()
    qtbot.keyClick(stance, Qt.Key.Key_Down)  # supports
    qtbot.keyClick(stance, Qt.Key.Key_Down)  # opposes
    assert stored(project)[0][CLAIM] == ("Claim", {"stance": "opposes"})
    qtbot.keyClick(stance, Qt.Key.Key_Escape)
    assert view.hasFocus()

    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the stance
    assert stored(project)[0][CLAIM] == ("Claim", {"stance": "supports"})
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)  # the source
    assert stored(project) == (
        {CLAIM: ("Claim", {}), SPOKESMAN: ("Actor", {})},
        set(),
    )
    assert len(view.arcs) == 0
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_Z, REDO)
    assert stored(project) == (
        {CLAIM: ("Claim", {"stance": "opposes"}), SPOKESMAN: ("Actor", {})},
        {("source", CLAIM, SPOKESMAN)},
    )
    assert len(view.arcs) == 1
    assert f"source: “{SPOKESMAN}”" in hover(view, FIRST.index(CLAIM) + 3)


def test_the_other_end_clicked_in_the_text_and_a_wrong_label_refused(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, EVENT, Qt.Key.Key_E)
    tag(qtbot, view, SPOKESMAN, Qt.Key.Key_A)
    tag(qtbot, view, "the US military", Qt.Key.Key_A)
    tag(qtbot, view, "Iran-backed militia", Qt.Key.Key_C)  # a claim: no agent
    select(qtbot, view, EVENT)
    qtbot.keyClick(view, Qt.Key.Key_G, ALT)  # agent
    assert view.picking
    click(view, FIRST.index("Iran-backed militia") + 3)  # a Claim: refused, still picking
    assert view.picking and stored(project)[1] == set()
    assert "not a Claim" in window.statusBar().currentMessage()
    click(view, FIRST.index("the US military") + 5)
    assert not view.picking
    assert stored(project)[1] == {("agent", EVENT, "the US military")}
    # Esc cancels a relation half made.
    qtbot.keyClick(view, Qt.Key.Key_T, ALT)
    assert view.picking
    qtbot.keyClick(window.spans.record.picker, Qt.Key.Key_Escape)
    assert not view.picking and stored(project)[1] == {("agent", EVENT, "the US military")}


def test_a_one_only_relation_is_replaced_and_undo_brings_the_old_one_back(
    qtbot, project, open_window
):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, CLAIM, Qt.Key.Key_C)
    tag(qtbot, view, SPOKESMAN, Qt.Key.Key_A)
    tag(qtbot, view, "Joe Biden", Qt.Key.Key_A)
    select(qtbot, view, CLAIM)
    qtbot.keyClick(view, Qt.Key.Key_S, ALT)
    click(view, FIRST.index(SPOKESMAN) + 2)
    select(qtbot, view, CLAIM)
    qtbot.keyClick(view, Qt.Key.Key_S, ALT)
    click(view, FIRST.index("Joe Biden") + 2)
    assert stored(project)[1] == {("source", CLAIM, "Joe Biden")}
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert stored(project)[1] == {("source", CLAIM, SPOKESMAN)}
    assert len(view.arcs) == 1


def test_deleting_a_span_takes_its_relations_and_undo_restores_them(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, EVENT, Qt.Key.Key_E)
    tag(qtbot, view, "the US military", Qt.Key.Key_A)
    select(qtbot, view, EVENT)
    qtbot.keyClick(view, Qt.Key.Key_G, ALT)
    qtbot.keyClick(window.spans.record.picker, Qt.Key.Key_1)
    assert stored(project)[1] == {("agent", EVENT, "the US military")}
    select(qtbot, view, "the US military")
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert stored(project)[1] == set() and len(view.arcs) == 0
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert stored(project)[1] == {("agent", EVENT, "the US military")}
    assert len(view.arcs) == 1
    # The relation's own Delete, in the span panel's list.
    select(qtbot, view, EVENT)
    relations = window.spans.record.relations
    click_row(qtbot, relations, 0)
    qtbot.keyClick(relations, Qt.Key.Key_Delete)
    assert stored(project)[1] == set() and len(view.arcs) == 0


def test_an_events_fields_and_the_incomplete_records(qtbot, project, open_window):
    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    tag(qtbot, view, EVENT, Qt.Key.Key_E)
    tag(qtbot, view, SPOKESMAN, Qt.Key.Key_A)
    panel = window.spans.record
    spans = window.spans
    press(qtbot, spans.incompleteOnly)
    shown = [
        spans.model.span(row).text
        for row in range(spans.model.rowCount())
        if not spans.table.isRowHidden(row)
    ]
    assert shown == [EVENT]  # the actor has nothing required; the event needs type and date
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(view, Qt.Key.Key_F8)
    assert view.selected_span().text == EVENT
    assert "needs type, date" in panel.title.text()
    qtbot.keyClick(view, Qt.Key.Key_F2)
    kind = panel.fields["type"]
    qtbot.keyClicks(kind, "ASSAULT")  # typing a choice's name selects it
    qtbot.keyClick(kind, Qt.Key.Key_Tab)

    date = panel.fields["date"]
    assert date.hasFocus()
    qtbot.keyClicks(date, "2024-02-30")  # no such day: refused, nothing written
    qtbot.keyClick(date, Qt.Key.Key_Return)
    assert stored(project)[0][EVENT] == ("Event", {"type": "ASSAULT"})
    assert "not an ISO date" in window.statusBar().currentMessage() or any(
        "not an ISO date" in w.text() for w in QApplication.topLevelWidgets() if hasattr(w, "text")
    )
    date = panel.fields["date"]
    date.setFocus()
    date.selectAll()
    qtbot.keyClicks(date, "2024-02")
    qtbot.keyClick(date, Qt.Key.Key_Return)
    panel.fields["fatalities"].setFocus()
    qtbot.keyClicks(panel.fields["fatalities"], "3")
    qtbot.keyClick(panel.fields["fatalities"], Qt.Key.Key_Return)
    assert stored(project)[0][EVENT] == (
        "Event",
        {"type": "ASSAULT", "date": "2024-02", "fatalities": 3},
    )
    assert all(
        spans.table.isRowHidden(row) for row in range(spans.model.rowCount())
    )  # complete now
    qtbot.keyClick(view, Qt.Key.Key_F8)
    assert "Every record here is complete" in window.statusBar().currentMessage()


def test_records_made_by_keys_reach_the_tables_and_the_network(
    qtbot, project, open_window, tmp_path
):
    """The analyst's whole record, made in the window with keys only, then exported: the
    claims and events tables carry it, and the GraphML reads back with networkx."""
    import csv

    import networkx as nx

    from desktop.formats import export_project

    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    panel = window.spans.record
    tag(qtbot, view, EVENT, Qt.Key.Key_E)
    tag(qtbot, view, "the US military", Qt.Key.Key_A)
    tag(qtbot, view, "a top commander", Qt.Key.Key_A)
    tag(qtbot, view, CLAIM, Qt.Key.Key_C)
    tag(qtbot, view, SPOKESMAN, Qt.Key.Key_A)
    select(qtbot, view, EVENT)
    for key, target in ((Qt.Key.Key_G, "the US military"), (Qt.Key.Key_T, "a top commander")):
        qtbot.keyClick(view, key, ALT)
        picker = panel.picker
        row = next(
            number
            for number in range(picker.count())
            if f"“{target}”" in picker.item(number).text()
        )
        for _ in range(row):
            qtbot.keyClick(picker, Qt.Key.Key_Down)
        qtbot.keyClick(picker, Qt.Key.Key_Return)
    qtbot.keyClick(view, Qt.Key.Key_F2)
    qtbot.keyClicks(panel.fields["type"], "ASSAULT")
    qtbot.keyClick(panel.fields["type"], Qt.Key.Key_Tab)
    qtbot.keyClicks(panel.fields["date"], "2024-02-07")
    qtbot.keyClick(panel.fields["date"], Qt.Key.Key_Tab)  # leaving the field commits it
    qtbot.keyClick(panel.fields["location"], Qt.Key.Key_Escape)
    select(qtbot, view, CLAIM)
    qtbot.keyClick(view, Qt.Key.Key_S, ALT)
    qtbot.keyClick(panel.picker, Qt.Key.Key_Return)  # the nearest actor: the spokesman
    qtbot.keyClick(view, Qt.Key.Key_B, ALT)  # about: the strike
    picker = panel.picker
    row = next(n for n in range(picker.count()) if f"“{EVENT}”" in picker.item(n).text())
    qtbot.keyClick(picker, Qt.Key(Qt.Key.Key_1 + row))
    qtbot.keyClick(view, Qt.Key.Key_F2)
    qtbot.keyClick(panel.fields["stance"], Qt.Key.Key_Down)  # supports
    window.close()

    with Store.open(project) as store:
        me = store.ensure_annotator("me").name
        for name in ("events", "claims", "graphml"):
            export_project(store, name, tmp_path / name)
    events = list(csv.DictReader((tmp_path / "events").open(encoding="utf-8")))
    mine = [row for row in events if row["annotator"] == me]
    assert [
        (r["date"], r["date precision"], r["type"], r["agents"], r["targets"], r["evidence"])
        for r in mine
    ] == [("2024-02-07", "day", "ASSAULT", "the US military", "a top commander", EVENT)]
    claims = [
        row
        for row in csv.DictReader((tmp_path / "claims").open(encoding="utf-8"))
        if row["annotator"] == me
    ]
    assert [(r["text"], r["source"], r["stance"], r["about"]) for r in claims] == [
        (CLAIM, SPOKESMAN, "supports", EVENT)
    ]
    graph = nx.read_graphml(tmp_path / "graphml")
    edges = {
        (graph.nodes[a]["label"], graph.nodes[b].get("label"), data["kind"])
        for a, b, data in graph.edges(data=True)
        if data.get("annotator") == me
    }
    assert ("the US military", "a top commander", "event") in edges
    [claim_edge] = [
        (graph.nodes[a]["label"], data["stance"])
        for a, _, data in graph.edges(data=True)
        if data.get("kind") == "claim" and data.get("annotator") == me
    ]
    assert claim_edge == (SPOKESMAN, "supports")


def test_a_date_the_rules_resolved_waits_in_the_date_field(qtbot, project, open_window):
    """An event the rules suggest with a resolved date shows it in its date field; accepting
    the suggestion keeps it, and the analyst can correct it there."""
    from tests.ui.test_suggestions import suggest_here

    window = open_window(project, annotator="me")
    view = ready(qtbot, window)
    suggest_here(qtbot, window)
    dated = [
        s.record
        for s in view.spans()
        if s.record.status == "suggested" and s.record.attributes.get("date")
    ]
    assert dated, "the rules date at least one event of the first article"
    event = dated[0]
    view.select_span(event.uuid, reveal=True)
    panel = window.spans.record
    assert panel.fields["date"].text() == event.attributes["date"]
    assert "rules" in panel.fields["date"].toolTip()
    qtbot.keyClick(view, Qt.Key.Key_Return)  # accept the suggestion at the cursor
    with Store.open(project) as store:
        accepted = store.span(event.uuid)
    assert accepted.status == "accepted" and accepted.attributes["date"] == event.attributes["date"]
    view.select_span(event.uuid, reveal=True)
    qtbot.keyClick(view, Qt.Key.Key_F2)
    date = panel.fields["date"]
    date.selectAll()
    qtbot.keyClicks(date, "2024-W05")
    qtbot.keyClick(date, Qt.Key.Key_Return)
    with Store.open(project) as store:
        assert store.span(event.uuid).attributes["date"] == "2024-W05"


def test_relations_show_in_every_layer_view_that_shows_both_spans(qtbot, project, open_window):
    """Analyst A's links, seen by a lead in A's layer and among several layers; not in the
    lead's own layer, where A's spans are not shown."""
    from tests.ui.test_layers_view import show_layers, show_several

    with Store.open(project) as store:
        a = store.ensure_annotator("analyst_a")
        document_id = next(
            d.id for d in store.list_documents() if store.document(d.id).text == FIRST
        )
        spans = store.spans(document_id, annotator_ids=[a.id])
        claim = next(s for s in spans if s.label == "Claim")
        actor = min(
            (s for s in spans if s.label == "Actor"), key=lambda s: abs(s.start - claim.start)
        )
        store.add_relation(claim.uuid, actor.uuid, "source", a.id)
    window = open_window(project, annotator="lead")
    view = ready(qtbot, window)

    def drawn() -> set[str]:
        view.viewport().repaint()
        return {relation.type for relation in view.drawn_relations()}

    def hovered() -> bool:
        return any(
            f"→ source: “{actor.text}”" in hover(view, position)
            for position in range(claim.start, min(claim.end, claim.start + 40))
        )

    assert drawn() == set() and not hovered()  # the lead's own layer: A's spans are not there
    show_layers(qtbot, window, "analyst_a")
    qtbot.waitUntil(lambda: len(view.arcs) == 1)
    view.select_span(claim.uuid, reveal=True)
    assert drawn() == {"source"} and hovered()
    show_several(qtbot, window, {"analyst_a", "analyst_b"})
    view.select_span(claim.uuid, reveal=True)
    assert drawn() == {"source"} and hovered()
    show_layers(qtbot, window, "analyst_b")
    assert drawn() == set()
