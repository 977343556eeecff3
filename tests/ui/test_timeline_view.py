"""The Timeline dock, driven as an analyst drives it: its key, clicks on the chart and the
undated list, the filters, the zoom buttons and keys, and saving the chart as a PNG. The
project is the seed corpus with analyst_a's events dated (tests/corpus/test_records.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from db.store import Store
from tests.corpus.test_records import build_dated
from tests.ui.driving import (
    CTRL,
    LEFT,
    SHIFT,
    answer_file_dialog,
    choose_in_combo,
    click_row,
    drag,
    press,
    type_into,
)


@pytest.fixture
def dated_project(tmp_path, corpus):
    """A project file with the seed corpus and dated events; the uuids of those events."""
    location = str(tmp_path / "dated.db")
    with Store.open(location) as store:
        dated = build_dated(store, corpus)
    return location, dated.events


def show_timeline(qtbot, window):
    """Press Ctrl+Shift+E and wait for the events to be drawn."""
    qtbot.keyClick(window, Qt.Key.Key_E, CTRL | SHIFT)
    panel = window.timeline_dock.panel
    qtbot.waitUntil(lambda: panel.complete and panel.chart.painted > 0)
    qtbot.waitUntil(lambda: panel.chart.isVisible())
    QApplication.processEvents()
    return panel


def bar_point(panel, span_uuid: str) -> QPoint:
    """Where the chart drew the event's bar (after painting)."""
    chart = panel.chart
    chart.repaint()
    index = next(i for i, e in enumerate(panel.timeline.events) if e.span_uuid == span_uuid)
    placement = panel.timeline.placements_of(index)[0]
    [row] = [bar for bar in chart._bars.tolist() if int(bar[4]) == placement]
    x0, y0, x1, y1, _ = row
    return QPoint(int((x0 + x1) / 2), int((y0 + y1) / 2))


def opened(qtbot, window, span_uuid: str) -> None:
    """Wait until the view shows the document with the span selected, and has read the
    document's tokens (work the window starts when a document opens)."""
    qtbot.waitUntil(
        lambda: (
            window.view.selected_span() is not None
            and window.view.selected_span().uuid == span_uuid
        )
    )
    qtbot.waitUntil(lambda: window.view.token_index is not None, timeout=20000)


def shown(panel) -> set[str]:
    return {event.span_uuid for event in panel.timeline.events}


def test_the_key_shows_the_dated_events_by_type_and_lists_the_undated(
    qtbot, dated_project, open_window
):
    location, uuid = dated_project
    window = open_window(location)
    panel = show_timeline(qtbot, window)
    assert window.timeline_dock.dock.isVisible()
    assert shown(panel) == {uuid[n] for n in ("strike", "deaths", "february", "shelled")}
    assert panel.timeline.lanes == ["ASSAULT", "COERCE"]
    assert "ASSAULT" in panel.legend.text() and "COERCE" in panel.legend.text()
    undated = [panel.undated_list.item(i) for i in range(panel.undated_list.count())]
    assert uuid["soleimani"] in {row.data(Qt.ItemDataRole.UserRole).span_uuid for row in undated}
    assert panel.undated_label.text() == f"Undated events ({len(undated)})"
    # a month is drawn as a month: its bar is about 31 times as long as a day's
    strike, deaths = bar_point(panel, uuid["strike"]), bar_point(panel, uuid["deaths"])
    assert strike.x() != deaths.x()
    widths = {int(bar[4]): bar[2] - bar[0] for bar in panel.chart._bars.tolist()}
    events = panel.timeline.events
    width_of = {events[int(panel.timeline.item[p])].precision: w for p, w in widths.items()}
    assert width_of["month"] > 20 * width_of["day"]
    assert width_of["year"] > 10 * width_of["month"]


def test_clicking_an_event_opens_its_document_with_the_span_selected(
    qtbot, dated_project, open_window
):
    location, uuid = dated_project
    window = open_window(location)
    panel = show_timeline(qtbot, window)
    qtbot.mouseClick(panel.chart, LEFT, pos=bar_point(panel, uuid["shelled"]))
    opened(qtbot, window, uuid["shelled"])
    assert window.session.document.title == "Shelling near Erbil"
    # hovering a bar tells what the event is
    from desktop.ui.timeline_view import describe

    tip = describe(next(e for e in panel.timeline.events if e.span_uuid == uuid["shelled"]))
    assert tip.startswith("2023 · ASSAULT · Kataib Hezbollah, fighters")
    assert "Shelling near Erbil (Wire)" in tip


def test_filters_by_type_actor_outlet_annotator_and_dates(qtbot, dated_project, open_window):
    location, uuid = dated_project
    window = open_window(location)
    panel = show_timeline(qtbot, window)
    choose_in_combo(qtbot, panel.type_filter, "COERCE")
    assert shown(panel) == {uuid["february"]} and panel.timeline.lanes == ["COERCE"]
    choose_in_combo(qtbot, panel.type_filter, "All types")
    assert len(shown(panel)) == 4

    edit = panel.actor_filter.lineEdit()
    type_into(qtbot, edit, "United States")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert shown(panel) == {uuid["strike"], uuid["february"]}
    type_into(qtbot, edit, "")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert len(shown(panel)) == 4

    choose_in_combo(qtbot, panel.outlet_filter, "Wire")
    assert shown(panel) == {uuid["shelled"]}
    choose_in_combo(qtbot, panel.outlet_filter, "(no outlet)")
    assert uuid["shelled"] not in shown(panel)
    choose_in_combo(qtbot, panel.outlet_filter, "All outlets")
    choose_in_combo(qtbot, panel.annotator_filter, "analyst_b")
    assert shown(panel) == set() and panel.undated_list.count() > 0
    assert {
        panel.undated_list.item(i).data(Qt.ItemDataRole.UserRole).annotator
        for i in range(panel.undated_list.count())
    } == {"analyst_b"}
    choose_in_combo(qtbot, panel.annotator_filter, "All annotators")

    # a date of any precision; the week of 29 January meets February
    type_into(qtbot, panel.since_edit, "2024-02")
    qtbot.keyClick(panel.since_edit, Qt.Key.Key_Return)
    assert shown(panel) == {uuid["strike"], uuid["february"]}
    type_into(qtbot, panel.until_edit, "2024-W05")
    qtbot.keyClick(panel.until_edit, Qt.Key.Key_Return)
    assert shown(panel) == {uuid["february"]}
    type_into(qtbot, panel.until_edit, "2024-13")
    qtbot.keyClick(panel.until_edit, Qt.Key.Key_Return)
    assert "A date is" in panel.detail.text()
    assert shown(panel) == {uuid["february"]}  # unchanged until the date reads
    type_into(qtbot, panel.until_edit, "")
    qtbot.keyClick(panel.until_edit, Qt.Key.Key_Return)
    assert shown(panel) == {uuid["strike"], uuid["february"]}

    choose_in_combo(qtbot, panel.lanes_choice, "Lanes by actor")
    assert panel.timeline.lanes[0] == "United States"  # the agent of both
    assert {"a top commander", "Iran-related targets"} <= set(panel.timeline.lanes)


def test_the_undated_list_opens_its_event_by_enter_and_double_click(
    qtbot, dated_project, open_window
):
    location, uuid = dated_project
    window = open_window(location)
    panel = show_timeline(qtbot, window)
    rows = [panel.undated_list.item(i) for i in range(panel.undated_list.count())]
    row = next(
        i
        for i, r in enumerate(rows)
        if r.data(Qt.ItemDataRole.UserRole).span_uuid == uuid["soleimani"]
    )
    click_row(qtbot, panel.undated_list, row)
    qtbot.keyClick(panel.undated_list, Qt.Key.Key_Return)
    opened(qtbot, window, uuid["soleimani"])

    other = next(  # one of analyst_a's: the window shows her spans
        i
        for i, r in enumerate(rows)
        if i != row and r.data(Qt.ItemDataRole.UserRole).annotator == "analyst_a"
    )
    wanted = rows[other].data(Qt.ItemDataRole.UserRole)
    list_view = panel.undated_list
    point = list_view.visualItemRect(rows[other]).center()
    qtbot.mouseClick(list_view.viewport(), LEFT, pos=point)
    qtbot.mouseDClick(list_view.viewport(), LEFT, pos=point)
    opened(qtbot, window, wanted.span_uuid)
    assert window.session.document.id == wanted.document_id


def test_arrows_step_through_the_events_and_enter_opens_one(qtbot, dated_project, open_window):
    location, uuid = dated_project
    window = open_window(location)
    panel = show_timeline(qtbot, window)
    chart = panel.chart
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    assert panel.timeline.events[chart.current].span_uuid == uuid["shelled"]  # 2023 first
    assert panel.detail.text().startswith("2023 · ASSAULT")
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    assert panel.timeline.events[chart.current].span_uuid == uuid["deaths"]  # January
    qtbot.keyClick(chart, Qt.Key.Key_Return)
    opened(qtbot, window, uuid["deaths"])


def test_zoom_by_buttons_keys_and_wheel_then_fit(qtbot, dated_project, open_window):
    location, _uuid = dated_project
    window = open_window(location)
    panel = show_timeline(qtbot, window)
    chart = panel.chart
    fitted = chart.pixels_per_day
    press(qtbot, panel.zoom_in_button)
    assert chart.pixels_per_day == pytest.approx(fitted * 1.5)
    press(qtbot, panel.zoom_out_button)
    press(qtbot, panel.zoom_out_button)
    assert chart.pixels_per_day == pytest.approx(fitted / 1.5)
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_Equal, CTRL)
    qtbot.keyClick(chart, Qt.Key.Key_Equal, CTRL)
    assert chart.pixels_per_day == pytest.approx(fitted * 1.5)
    qtbot.keyClick(chart, Qt.Key.Key_Minus, CTRL)
    assert chart.pixels_per_day == pytest.approx(fitted)
    # the wheel zooms about the pointer: the day under it stays put
    at = QPointF(chart.width() * 0.7, chart.height() / 2)
    day = chart.low + (at.x() - 140) / chart.pixels_per_day
    wheel = QWheelEvent(
        at,
        chart.mapToGlobal(at),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(chart, wheel)
    assert chart.pixels_per_day == pytest.approx(fitted * 2.25)
    assert chart.low + (at.x() - 140) / chart.pixels_per_day == pytest.approx(day)
    # a drag pans: the same day moves with the pointer
    low = chart.low
    qtbot.mousePress(chart, LEFT, pos=QPoint(600, 60))
    qtbot.mouseMove(chart, QPoint(500, 60))
    qtbot.mouseMove(chart, QPoint(400, 60))
    qtbot.mouseRelease(chart, LEFT, pos=QPoint(400, 60))
    assert chart.low == pytest.approx(low + 200 / chart.pixels_per_day)
    assert window.session.document is None or window.view.selected_span() is None
    press(qtbot, panel.fit_button)
    assert chart.pixels_per_day == pytest.approx(fitted)


def test_save_the_chart_as_a_png(qtbot, dated_project, open_window, tmp_path):
    location, _uuid = dated_project
    window = open_window(location)
    panel = show_timeline(qtbot, window)
    target = tmp_path / "chart"
    answered = answer_file_dialog(qtbot, target)
    press(qtbot, panel.save_button)
    assert answered == ["Save the timeline"]
    saved = Path(f"{target}.png")
    assert saved.exists()
    image = QImage(str(saved))
    assert image.width() == panel.chart.width() and image.height() == panel.chart.height()


def test_an_event_tagged_in_the_view_appears_and_goes_with_undo(qtbot, dated_project, open_window):
    location, _uuid = dated_project
    window = open_window(location, annotator="me")
    panel = show_timeline(qtbot, window)
    before = panel.undated_list.count()
    with Store.open(location) as store:
        document_id = next(d.id for d in store.list_documents() if d.title == "Shelling near Erbil")
        text = store.document(document_id).text
    from tests.ui.test_annotating import open_in_list

    open_in_list(qtbot, window, document_id)
    view = window.view
    qtbot.waitUntil(lambda: view.token_index is not None, timeout=20000)
    qtbot.waitUntil(lambda: window.session.all_spans_shown)
    start = text.index("a base near")
    drag(view, start, start + len("a base near"))
    qtbot.keyClick(view, Qt.Key.Key_E)

    def mine(store) -> list[str]:
        me = store.ensure_annotator("me")
        return [
            s.text for s in store.spans(document_id, annotator_ids=[me.id]) if s.label == "Event"
        ]

    with Store.open(location) as store:
        assert mine(store) == ["a base near"]
    qtbot.waitUntil(lambda: panel.complete and panel.undated_list.count() == before + 1)
    texts = [panel.undated_list.item(i).text() for i in range(panel.undated_list.count())]
    assert any(t.startswith("a base near") for t in texts)
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    with Store.open(location) as store:
        assert mine(store) == []
    qtbot.waitUntil(lambda: panel.complete and panel.undated_list.count() == before)


def test_the_chart_draws_and_opens_events_before_their_actors_are_read(
    qtbot, dated_project, open_window, monkeypatch
):
    """The first step draws from dates and types alone; the second (held back here until
    the test lets it go) brings the actors, and the filters chosen meanwhile apply then."""
    import threading

    from PySide6.QtWidgets import QToolTip

    import desktop.ui.timeline_view as timeline_view

    location, uuid = dated_project
    release = threading.Event()
    real_load_events = timeline_view.load_events

    def held_back(*args, **kwargs):
        release.wait(30)
        return real_load_events(*args, **kwargs)

    monkeypatch.setattr(timeline_view, "load_events", held_back)
    window = open_window(location)
    try:
        qtbot.keyClick(window, Qt.Key.Key_E, CTRL | SHIFT)
        panel = window.timeline_dock.panel
        qtbot.waitUntil(lambda: panel.chart.timeline_painted is not None)
        assert not panel.complete
        assert shown(panel) == {uuid[n] for n in ("strike", "deaths", "february", "shelled")}
        assert panel.timeline.lanes == ["ASSAULT", "COERCE"]
        assert uuid["soleimani"] in {
            panel.undated_list.item(i).data(Qt.ItemDataRole.UserRole).span_uuid
            for i in range(panel.undated_list.count())
        }
        # hovering a bar says its date, type and document; clicking it opens the event
        point = bar_point(panel, uuid["shelled"])
        qtbot.mouseMove(panel.chart, point)
        qtbot.waitUntil(lambda: QToolTip.text().startswith("2023 · ASSAULT"))
        assert "Shelling near Erbil (Wire)" in QToolTip.text()
        qtbot.mouseClick(panel.chart, LEFT, pos=point)
        opened(qtbot, window, uuid["shelled"])
        assert window.session.document.title == "Shelling near Erbil"
        # a filter waits for the actors, then applies
        choose_in_combo(qtbot, panel.type_filter, "COERCE")
        assert "filters apply in a moment" in panel.detail.text()
        assert len(shown(panel)) == 4
    finally:
        release.set()
    qtbot.waitUntil(lambda: panel.complete)
    assert shown(panel) == {uuid["february"]}
    assert "filters apply" not in panel.detail.text()
    describe = timeline_view.describe(panel.timeline.events[0])
    assert "United States → Iran-related targets" in describe
