"""The timeline's arithmetic without Qt: dates as stretches of time, lanes, stacking,
counts per day, week, month and year, the axis's ticks, the filter on loaded events, and
the first step's timeline made from columns, which must be the records' own."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from db.records import ImportBatch, NewDocument
from db.store.base import SPAN
from desktop.corpus.records import (
    EventItem,
    Participant,
    RecordFilter,
    load_event_marks,
    load_events,
)
from desktop.corpus.timeline import (
    BAR_LIMIT,
    MIN_BIN_PIXELS,
    NO_ACTOR,
    NO_TYPE,
    OTHER_ACTORS,
    Timeline,
    bin_ids,
    bin_unit,
    day_number,
    day_of,
    keep_events,
    published_stretch,
    stretch,
    ticks,
    type_colours,
)


# --- stretches ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, first, last",
    [
        ("2024-02-29", date(2024, 2, 29), date(2024, 2, 29)),  # a leap day
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        ("2024-12", date(2024, 12, 1), date(2024, 12, 31)),
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
        ("2024-W01", date(2024, 1, 1), date(2024, 1, 7)),
        ("2020-W53", date(2020, 12, 28), date(2021, 1, 3)),  # week 53 runs into the next year
        ("2025-W01", date(2024, 12, 30), date(2025, 1, 5)),  # week 1 begins in the last
        ("9999-12", date(9999, 12, 1), date(9999, 12, 31)),
    ],
)
def test_a_date_stands_for_its_stretch_of_time(value, first, last):
    assert stretch(value) == (first, last)


@pytest.mark.parametrize(
    "value", ["", None, "2024-W54", "2021-W53", "2023-02-29", "early February", "２０２４", "0000"]
)
def test_what_is_no_iso_date_has_no_stretch(value):
    assert stretch(value) is None


def test_a_publication_date_is_read_from_its_leading_iso_date():
    assert published_stretch("2024-02-09T10:30:00+00:00") == (date(2024, 2, 9), date(2024, 2, 9))
    assert published_stretch("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert published_stretch("yesterday") is None and published_stretch(None) is None


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_every_stretch_holds_its_day_and_is_as_long_as_its_precision(day):
    iso_year, iso_week, _ = day.isocalendar()
    week = f"{iso_year:04d}-W{iso_week:02d}"
    for value, low, high in (
        (day.isoformat(), 1, 1),
        (week, 7, 7),
        (day.isoformat()[:7], 28, 31),
        (day.isoformat()[:4], 365, 366),
    ):
        if value.startswith("0000") or (value == week and day.isocalendar()[0] in (0, 10000)):
            continue
        first, last = stretch(value)
        assert first <= day <= last
        assert low <= (last - first).days + 1 <= high
        if value == week:
            assert first.weekday() == 0


def test_day_numbers_are_numpys():
    day = date(2024, 2, 29)
    assert day_number(day) == int(np.datetime64("2024-02-29", "D").astype(np.int64))
    assert day_of(day_number(day)) == day


# --- bins -----------------------------------------------------------------------------------
def test_bins_are_days_iso_weeks_months_and_years():
    days = np.array([day_number(date(2020, 12, 28)), day_number(date(2021, 1, 3))])
    assert bin_ids(days, "week")[0] == bin_ids(days, "week")[1]  # week 53 of 2020
    monday = np.array([day_number(date(2021, 1, 4))])
    assert bin_ids(monday, "week")[0] == bin_ids(days, "week")[0] + 1
    leap = np.array([day_number(date(2024, 2, 29)), day_number(date(2024, 3, 1))])
    assert bin_ids(leap, "month").tolist()[0] + 1 == bin_ids(leap, "month").tolist()[1]
    assert len(set(bin_ids(leap, "year").tolist())) == 1
    with pytest.raises(ValueError, match="day, week, month or year"):
        bin_ids(days, "fortnight")


def test_the_bin_unit_follows_the_zoom():
    assert bin_unit(10) == "day"
    assert bin_unit(1) == "week"
    assert bin_unit(0.2) == "month"
    assert bin_unit(0.01) == "year"


# --- events --------------------------------------------------------------------------------
def event(uuid, written, kind="ASSAULT", agents=(), targets=(), **fields) -> EventItem:
    days = stretch(written) if written else None
    defaults = dict(
        span_uuid=uuid,
        document_id=fields.pop("document_id", 1),
        document_title="An article",
        outlet=fields.pop("outlet", "Wire"),
        published=None,
        annotator=fields.pop("annotator", "dana"),
        start=fields.pop("start", 0),
        end=5,
        text="كتائب 👍🏽",
        type=kind,
        date=written,
        precision=None,
        first_day=days[0] if days else None,
        last_day=days[1] if days else None,
        agents=tuple(agents),
        targets=tuple(targets),
    )
    return EventItem(**defaults)


US = Participant("uuid-us", "United States", "uuid-us")
KH = Participant("uuid-kh", "Kataib Hezbollah", "uuid-kh")
BASE = Participant("text:a base", "a base")


def test_lanes_by_type_most_events_first_and_undated_apart():
    events = [
        event("a", "2024-02-07"),
        event("b", "2024-02", "COERCE"),
        event("c", "2024-W05"),
        event("d", None),
        event("e", "2023", None),
    ]
    timeline = Timeline(events)
    assert timeline.lanes == ["ASSAULT", "COERCE", NO_TYPE]
    assert [e.span_uuid for e in timeline.events] == ["e", "c", "b", "a"]  # by first day
    assert [e.span_uuid for e in timeline.undated] == ["d"]
    assert timeline.extent() == (day_number(date(2023, 1, 1)), day_number(date(2024, 2, 29)))
    colours = timeline.colours
    assert colours[NO_TYPE] == "#8c8c8c" and colours["ASSAULT"] != colours["COERCE"]
    assert Timeline([]).extent() is None and len(Timeline([event("x", None)])) == 0


def test_overlapping_or_touching_bars_stack_in_rows_and_keep_them():
    events = [
        event("month", "2024-02"),
        event("day", "2024-02-07"),  # inside the month: a row below
        event("week", "2024-W06"),  # 5-11 February: overlaps both
        event("next", "2024-03-01"),  # touches the month's end: not in its row
        event("later", "2024-03-20"),  # after everything: the first row again
    ]
    timeline = Timeline(events)
    rows = timeline.rows()
    row_of = {timeline.events[int(timeline.item[i])].span_uuid: int(rows[i]) for i in range(5)}
    assert row_of["month"] == 0 and row_of["later"] == 0
    assert len({row_of["month"], row_of["day"], row_of["week"]}) == 3
    assert row_of["next"] != row_of["month"]


def test_lanes_by_actor_place_an_event_in_each_of_its_actors_lanes():
    events = [
        event("a", "2024-02-07", agents=[US], targets=[KH]),
        event("b", "2024-02-08", agents=[US]),
        event("c", "2024-02-09", targets=[BASE]),
        event("d", "2024-02-10"),
    ]
    timeline = Timeline(events, by="actor", max_lanes=2)
    # the most named first, ties by name; the rest share a lane
    assert timeline.lanes == ["United States", "a base", OTHER_ACTORS, NO_ACTOR]
    assert len(timeline) == 5  # "a" twice
    placed = {
        (timeline.lanes[int(lane)], timeline.events[int(item)].span_uuid)
        for lane, item in zip(timeline.lane, timeline.item, strict=True)
    }
    assert placed == {
        ("United States", "a"),
        (OTHER_ACTORS, "a"),
        ("United States", "b"),
        ("a base", "c"),
        (NO_ACTOR, "d"),
    }
    index_of_a = next(i for i, e in enumerate(timeline.events) if e.span_uuid == "a")
    assert len(timeline.placements_of(index_of_a)) == 2
    with pytest.raises(ValueError, match="by 'type' or by 'actor'"):
        Timeline(events, by="outlet")


def test_visible_finds_long_stretches_that_began_before_the_view():
    timeline = Timeline([event("year", "2023"), event("day", "2023-06-01")])
    july = day_number(date(2023, 7, 1))
    found = timeline.visible(0, july, july + 30)
    assert {timeline.events[int(timeline.item[i])].span_uuid for i in found} == {"year"}


def many_events(count: int) -> list[EventItem]:
    start = date(2020, 1, 1)
    return [
        event(f"e{n}", (start + timedelta(days=n % 1000)).isoformat(), ("A", "B")[n % 2], start=n)
        for n in range(count)
    ]


def test_many_events_in_view_are_drawn_as_counts_few_as_bars():
    timeline = Timeline(many_events(4 * BAR_LIMIT + 10))
    low, high = timeline.extent()
    zoomed_out = timeline.plan(low, high, 300 / (high - low), rows_per_lane=10)
    assert [plan.bins is not None for plan in zoomed_out] == [True, True]
    bins = zoomed_out[0].bins
    assert bins.unit == "month" and int(bins.counts.sum()) == len(timeline) // 2
    assert (bins.last >= bins.first).all()
    # the counts are per calendar month, each bin a whole month
    assert [day_of(d).day for d in bins.first.tolist()] == [1] * len(bins.first)
    week = timeline.plan(low, low + 6, 100, rows_per_lane=10)
    assert all(plan.bars is not None for plan in week)
    in_week = sum(1 for e in timeline.events if day_number(e.first_day) <= low + 6)
    assert sum(len(plan.bars) for plan in week) == in_week == 63
    # too many to stack in the rows the lane has: counts again
    crowded = timeline.plan(low, low + 6, 100, rows_per_lane=2)
    assert all(plan.bins is not None and plan.bins.unit == "day" for plan in crowded)


def test_a_hundred_thousand_events_are_never_a_hundred_thousand_shapes():
    timeline = Timeline(many_events(100_000))
    low, high = timeline.extent()
    plans = timeline.plan(low, high, 1200 / (high - low), rows_per_lane=12)
    # at most one shape per MIN_BIN_PIXELS of width in each of the two lanes
    assert sum(len(plan.bins.counts) for plan in plans) <= 2 * 1200 / MIN_BIN_PIXELS
    assert sum(int(plan.bins.counts.sum()) for plan in plans) == 100_000


# --- axis -----------------------------------------------------------------------------------
def test_ticks_adapt_to_the_zoom():
    low = day_number(date(2019, 6, 15))
    years = ticks(low, low + 3650, 0.3)
    assert [t.label for t in years][:3] == ["2020", "2021", "2022"]
    assert all(day_of(t.day).month == 1 and day_of(t.day).day == 1 for t in years)
    months = ticks(low, low + 250, 3)
    assert [t.label for t in months][:8] == [
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
        "2020",
        "Feb",
    ]
    assert [t.major for t in months][6] is True
    days = ticks(low, low + 10, 80)
    assert [t.label for t in days][:3] == ["15 Jun", "16 Jun", "17 Jun"]
    weeks = ticks(low, low + 30, 15)
    assert all(day_of(t.day).weekday() == 0 for t in weeks)
    new_year = ticks(day_number(date(2023, 12, 30)), day_number(date(2024, 1, 3)), 80)
    assert "1 Jan 2024" in [t.label for t in new_year]


def test_colours_are_distinct_for_the_first_types():
    colours = type_colours([f"T{n}" for n in range(15)])
    assert len(set(colours.values())) == 15


# --- filtering loaded events -----------------------------------------------------------------
def test_loaded_events_are_filtered_as_the_store_filters_them():
    events = [
        event("a", "2024-02-07", agents=[US], annotator="dana", outlet="Wire"),
        event("b", "2024-W05", "COERCE", targets=[KH], annotator="ali", outlet=""),
        event("c", None, None),
        event("d", "2023"),
    ]

    def kept(**fields):
        return [e.span_uuid for e in keep_events(events, RecordFilter(**fields))]

    assert kept() == ["a", "b", "c", "d"]
    assert kept(types=("COERCE",)) == ["b"]
    assert kept(types=(NO_TYPE,)) == ["c"]
    assert kept(actors=("uuid-kh",)) == ["b"]
    assert kept(annotators=("dana",)) == ["a", "c", "d"]
    assert kept(outlets=("",)) == ["b"]
    assert kept(since=date(2024, 2, 1)) == ["a", "b", "c"]  # the week meets February
    assert kept(since=date(2024, 2, 1), undated=False) == ["a", "b"]
    assert kept(until=date(2023, 12, 31), undated=False) == ["d"]


# --- the first step: the timeline from columns ----------------------------------------------
def assert_same_timeline(made: Timeline, expected: Timeline) -> None:
    """Two timelines draw alike, hold the same events in the same order, and say the same
    of each (the records made from columns carry no agents or targets)."""
    assert made.lanes == expected.lanes and made.types == expected.types
    assert made.colours == expected.colours
    for name in ("item", "lane", "first", "last", "type_of", "event_first"):
        assert np.array_equal(getattr(made, name), getattr(expected, name)), name
    assert np.array_equal(made.rows(), expected.rows())
    assert len(made.events) == len(expected.events)
    bare = [replace(e, agents=(), targets=()) for e in expected.events]
    assert list(made.events) == bare
    assert made.events[-1] == bare[-1] and made.events[1:3] == bare[1:3]
    assert made.undated == [replace(e, agents=(), targets=()) for e in expected.undated]


def test_columns_draw_the_timeline_the_records_draw(store, corpus):
    from tests.corpus.seed_records import tag_seed_records

    tag_seed_records(store, corpus)
    tag_seed_records(store, corpus, annotator="analyst_b")  # the same spans, twice: ties
    marks = load_event_marks(store)
    timeline = Timeline.of_marks(marks)
    assert len(marks) == len(load_events(store)) > 10
    assert_same_timeline(timeline, Timeline(load_events(store, participants=False)))
    assert_same_timeline(timeline, Timeline(load_events(store)))
    assert set(marks.annotators) == {"analyst_a", "analyst_b"}
    # a bar drawn from columns opens where its record does
    first = timeline.events[0]
    text = store.document(first.document_id).text
    assert text[first.start : first.end] == first.text


def test_columns_read_odd_values_time_links_and_ties_as_the_records_do(memory_store):
    store = memory_store
    text = "👍🏽 shelled Erbil on 2024-02-03.\r\nكتائب حزب الله struck; Cafe\u0301 burned in 2024."
    store.import_batch(
        ImportBatch(documents=[NewDocument(text=text, title="Wire", published="2024-02-09")])
    )
    [document_id] = store.document_ids()
    label = {name: store.label_by_name(name).id for name in ("Event", "Actor")}
    label["Time"] = store.add_label("Time").id
    dana, ali = store.ensure_annotator("dana"), store.ensure_annotator("ali")

    def add(name, fragment, annotator=dana, **fields):
        start = text.index(fragment)
        return store.add_span(
            document_id, label[name], annotator.id, start, start + len(fragment), **fields
        )

    shelled = add("Event", "shelled")  # dated by its time link only
    when = add("Time", "2024-02-03")
    store.add_relation(shelled.uuid, when.uuid, "time", dana.id)
    struck = [add("Event", "struck"), add("Event", "struck", ali)]
    burned = add("Event", "burned")
    # numbers where text belongs, as older imports wrote them (the schema refuses them now)
    with store.engine.begin() as connection:
        for span, attributes in (
            (struck[0], {"type": 7, "date": 2024}),
            (struck[1], {"type": 7, "date": 2024.0}),
            (burned, {"type": ["odd"], "date": "", "location": 3}),
        ):
            connection.execute(
                update(SPAN).where(SPAN.c.uuid == span.uuid).values(attributes=attributes)
            )
    add("Event", "Cafe\u0301", attributes={"date": "2024-W05"})
    add("Event", "Cafe\u0301", ali, attributes={"date": "2024-W05", "type": "COERCE"})
    expected = Timeline(load_events(store, participants=False))
    timeline = Timeline.of_marks(load_event_marks(store))
    assert_same_timeline(timeline, expected)
    # 2024 (from its first day), the week of 29 January, 3 February
    texts = ["struck", "struck", "Cafe\u0301", "Cafe\u0301", "shelled"]
    assert [e.text for e in timeline.events] == texts
    assert timeline.events[4].date == "2024-02-03" and timeline.events[0].type == "7"
    assert [(e.text, e.location) for e in timeline.undated] == [("burned", "3")]


def test_a_project_without_events_has_empty_columns(memory_store):
    marks = load_event_marks(memory_store)
    timeline = Timeline.of_marks(marks)
    assert len(marks) == 0 and len(timeline) == 0 and timeline.extent() is None
    assert list(timeline.events) == [] and timeline.undated == [] and timeline.lanes == []
