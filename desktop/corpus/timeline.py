"""The timeline's arithmetic, without Qt: the stretch of time a date stands for, events laid
out in lanes (by type or by actor) so that long bars do not hide short ones, counts per
day, week, month or year when there are too many events to draw one by one, and the ticks
of the time axis.

Days are counted as integers (days since 1970-01-01, numpy's ``datetime64[D]``) so that a
whole corpus's events sit in a few numpy arrays and a zoom or a pan never walks a Python
list of 100,000 items.
"""

from __future__ import annotations

import calendar
import heapq
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from db.schema import date_precision

if TYPE_CHECKING:
    from desktop.corpus.records import EventItem, RecordFilter

EPOCH = date(1970, 1, 1)
UNITS = ("day", "week", "month", "year")
NO_TYPE = "(no type)"
OTHER_ACTORS = "(other actors)"
NO_ACTOR = "(no actor)"
# Colour-blind-safe (Okabe and Ito, then Tol's muted scheme) for up to 15 types; more
# types repeat them.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#F0E442",
    "#332288",
    "#117733",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#DDCC77",
    "#88CCEE",
)
NO_TYPE_COLOUR = "#8c8c8c"


# --- dates --------------------------------------------------------------------------------
def stretch(value: str | None) -> tuple[date, date] | None:
    """The days an ISO date stands for, both ends included: a day itself, an ISO week
    Monday to Sunday, a month, a year; None for anything that is no ISO date."""
    if not value:
        return None
    precision = date_precision(value)
    if precision == "day":
        day = date.fromisoformat(value)
        return day, day
    if precision == "week":
        monday = date.fromisocalendar(int(value[:4]), int(value[6:]), 1)
        return monday, monday + timedelta(days=6)
    if precision == "month":
        year, month = int(value[:4]), int(value[5:7])
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if precision == "year":
        return date(int(value), 1, 1), date(int(value), 12, 31)
    return None


def published_stretch(published: str | None) -> tuple[date, date] | None:
    """The days a document's publication date stands for: its leading ISO date (a
    timestamp's day, or a month or year as written); None when it has none."""
    if not published:
        return None
    published = published.strip()
    if len(published) > 10 and date_precision(published[:10]) == "day":
        return stretch(published[:10])
    return stretch(published)


def day_number(day: date) -> int:
    """Days since 1970-01-01 (numpy's count)."""
    return day.toordinal() - EPOCH.toordinal()


def day_of(number: int) -> date:
    return date.fromordinal(int(number) + EPOCH.toordinal())


# --- colours ------------------------------------------------------------------------------
def type_colours(types: Sequence[str]) -> dict[str, str]:
    """A colour (#rrggbb) for each type, in the order given; NO_TYPE is grey."""
    colours = {}
    index = 0
    for name in types:
        if name == NO_TYPE:
            colours[name] = NO_TYPE_COLOUR
        else:
            colours[name] = PALETTE[index % len(PALETTE)]
            index += 1
    return colours


# --- the events on the axis ---------------------------------------------------------------
BAR_LIMIT = 2_000  # bars one lane draws before it shows counts instead
MIN_BIN_PIXELS = 3.0  # a bin narrower than this on screen is too fine to read


@dataclass(frozen=True, slots=True)
class Bins:
    """Counts of a lane's events per stretch of ``unit``: day numbers of each bin's first
    and last day (both included) and how many events start in it."""

    unit: str
    first: np.ndarray
    last: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True, slots=True)
class LanePlan:
    """What one lane shows of a stretch of time: its events one by one (``bars``: indices
    into the timeline's placements, with ``rows``: each bar's row within the lane), or
    ``bins`` when there are too many to draw or to stack."""

    lane: int
    name: str
    bars: np.ndarray | None = None
    rows: np.ndarray | None = None
    bins: Bins | None = None


@dataclass(slots=True)
class EventMarks:
    """Events as the chart needs them to draw, in columns, one entry per event in no
    particular order (``desktop.corpus.records.load_event_marks`` reads them): document
    id, start and end offsets, first and last day numbers (0 where ``dated`` is false),
    type and span uuid. ``annotators`` names those who tagged them; ``make(index)`` makes
    the EventItem of one event, for the few a person points at."""

    document: np.ndarray
    start: np.ndarray
    end: np.ndarray
    first: np.ndarray
    last: np.ndarray
    dated: np.ndarray
    types: list[str | None]
    uuids: Sequence[str]
    annotators: tuple[str, ...]
    make: Callable[[int], EventItem]

    def __len__(self) -> int:
        return len(self.types)


class _MarkedEvents(Sequence):
    """A timeline's events in time order, each EventItem made from the marks when asked
    for: a tooltip or a click needs one, the drawing none."""

    __slots__ = ("_make", "_rows")

    def __init__(self, make: Callable[[int], EventItem], rows: list[int]):
        self._make = make
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._make(row) for row in self._rows[index]]
        return self._make(self._rows[index])


class Timeline:
    """Dated events placed in lanes, by type or by actor, in numpy arrays.

    A *placement* is one event in one lane: by type each event has one; by actor an event
    sits in the lane of each of its agents and targets (the ``max_lanes`` actors with most
    events get a lane of their own, the rest share OTHER_ACTORS). ``events`` are the dated
    events in time order, ``undated`` the rest. Placement arrays, sorted by lane then first
    day: ``item`` (index into ``events``), ``lane``, ``first`` and ``last`` (day numbers).
    """

    def __init__(self, events: Sequence[EventItem], *, by: str = "type", max_lanes: int = 12):
        if by not in ("type", "actor"):
            raise ValueError(f"lanes are by 'type' or by 'actor', not {by!r}")
        self.by = by
        dated = [item for item in events if item.first_day is not None]
        self.undated = [item for item in events if item.first_day is None]
        count = len(dated)
        # Read field by field with C loops (attrgetter, map): a Python loop over 100,000
        # events is what a redraw after a filter would wait for.
        first_days, last_days, documents, starts, types = (
            list(map(attrgetter(name), dated))
            for name in ("first_day", "last_day", "document_id", "start", "type")
        )
        offset = EPOCH.toordinal()
        numbers = {day: day.toordinal() - offset for day in {*first_days, *last_days}}
        firsts = np.fromiter(map(numbers.__getitem__, first_days), np.int64, count)
        lasts = np.fromiter(map(numbers.__getitem__, last_days), np.int64, count)
        order = np.lexsort(
            (np.array(starts, dtype=np.int64), np.array(documents, dtype=np.int64), firsts)
        )
        ordered = order.tolist()
        self.events = list(map(dated.__getitem__, ordered))
        names, codes = _coded(types)
        self._place(firsts[order], lasts[order], names, codes[order], max_lanes)

    @classmethod
    def of_marks(cls, marks: EventMarks) -> Timeline:
        """The timeline of events read as :class:`EventMarks`, in lanes by type (lanes by
        actor need the events' agents and targets), without making an EventItem per
        event: ``events`` makes each when asked for (a tooltip, a click), and only the
        undated ones are made at once, for their list."""
        timeline = cls.__new__(cls)
        timeline.by = "type"
        dated = np.flatnonzero(marks.dated)
        # The order load_events gives and __init__ keeps: first day, document, start,
        # end, then uuid for the spans two annotators tagged alike.
        order = dated[
            np.lexsort(
                (
                    marks.end[dated],
                    marks.start[dated],
                    marks.document[dated],
                    marks.first[dated],
                )
            )
        ]
        order = _uuids_in_ties(
            order, (marks.first, marks.document, marks.start, marks.end), marks.uuids
        )
        timeline.events = _MarkedEvents(marks.make, order.tolist())
        undated = [marks.make(index) for index in np.flatnonzero(~marks.dated).tolist()]
        undated.sort(key=_undated_order)
        timeline.undated = undated
        names, codes = _coded(marks.types)
        timeline._place(marks.first[order], marks.last[order], names, codes[order], 0)
        return timeline

    def _place(
        self,
        firsts: np.ndarray,
        lasts: np.ndarray,
        names: list[str | None],
        codes: np.ndarray,
        max_lanes: int,
    ) -> None:
        """Lay the events out (``self.events`` in time order, their first and last days
        alike, and their types as ``names[codes[i]]``) in lanes, in the placement arrays."""
        count = len(firsts)
        names = [name or NO_TYPE for name in names]
        type_counts: Counter[str] = Counter()
        numbers = np.bincount(codes, minlength=len(names)).tolist()
        for name, number in zip(names, numbers, strict=True):
            if number:
                type_counts[name] += number
        # Most events first; events of no type last, whatever their number.
        self.types = [name for name, _ in sorted(type_counts.items(), key=_most_first)]
        if NO_TYPE in type_counts:
            self.types = [name for name in self.types if name != NO_TYPE] + [NO_TYPE]
        self.colours = type_colours(self.types)
        type_index = {name: index for index, name in enumerate(self.types)}
        recoded = np.array([type_index.get(name, -1) for name in names], dtype=np.int32)
        self.type_of = recoded[codes] if count else np.zeros(0, dtype=np.int32)
        self.event_first = firsts
        if self.by == "type":
            self.lanes = list(self.types)
            items = np.arange(count, dtype=np.int64)
            lanes = self.type_of.astype(np.int64)
        else:
            self.lanes, items, lanes = self._actor_lanes(max_lanes)
        order = np.lexsort((firsts[items], lanes))
        self.item = items[order]
        self.lane = lanes[order]
        self.first = firsts[self.item]
        self.last = lasts[self.item]
        bounds = np.searchsorted(self.lane, np.arange(len(self.lanes) + 1))
        self._bounds = [(int(bounds[i]), int(bounds[i + 1])) for i in range(len(self.lanes))]
        self._longest = int((self.last - self.first).max()) if len(self.item) else 0
        self._rows: np.ndarray | None = None
        self._bin_ids: dict[str, np.ndarray] = {}

    def _actor_lanes(self, max_lanes: int):
        counts: Counter[str] = Counter()
        names: dict[str, str] = {}
        for item in self.events:
            for participant in {p.key: p for p in (*item.agents, *item.targets)}.values():
                counts[participant.key] += 1
                names.setdefault(participant.key, participant.name)
        top = sorted(counts, key=lambda key: (-counts[key], names[key].casefold()))[:max_lanes]
        lane_of = {key: index for index, key in enumerate(top)}
        lanes = [names[key] for key in top]
        other, none = len(lanes), len(lanes) + 1
        lanes += [OTHER_ACTORS, NO_ACTOR]
        items: list[int] = []
        placed: list[int] = []
        for index, item in enumerate(self.events):
            keys = {p.key for p in (*item.agents, *item.targets)}
            mine = sorted({lane_of.get(key, other) for key in keys}) or [none]
            items += [index] * len(mine)
            placed += mine
        return lanes, np.array(items, dtype=np.int64), np.array(placed, dtype=np.int64)

    # -- public API ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.item)

    def extent(self) -> tuple[int, int] | None:
        """The first and last day (numbers) of any event, or None when nothing is dated."""
        if not len(self.item):
            return None
        return int(self.first.min()), int(self.last.max())

    def lane_range(self, lane: int) -> tuple[int, int]:
        """The placements of a lane, as a slice of the arrays."""
        return self._bounds[lane]

    def visible(self, lane: int, low: int, high: int) -> np.ndarray:
        """Indices of the lane's placements whose stretch meets the days low..high."""
        begin, end = self._bounds[lane]
        firsts = self.first[begin:end]
        left = int(np.searchsorted(firsts, low - self._longest, "left"))
        right = int(np.searchsorted(firsts, high, "right"))
        found = np.arange(begin + left, begin + right)
        return found[self.last[found] >= low]

    def rows(self) -> np.ndarray:
        """Each placement's row within its lane: a bar takes the lowest row free on its
        first day, so overlapping (or touching) stretches stack, and a bar keeps its row
        when zooming."""
        if self._rows is None:
            rows = np.zeros(len(self.item), dtype=np.int32)
            firsts, lasts = self.first.tolist(), self.last.tolist()
            for begin, end in self._bounds:
                busy: list[tuple[int, int]] = []  # (last day, row)
                free: list[int] = []
                count = 0
                for index in range(begin, end):
                    first = firsts[index]
                    # A row is free a day after its bar ends: bars that meet would read as one.
                    while busy and busy[0][0] < first - 1:
                        heapq.heappush(free, heapq.heappop(busy)[1])
                    if free:
                        row = heapq.heappop(free)
                    else:
                        row, count = count, count + 1
                    rows[index] = row
                    heapq.heappush(busy, (lasts[index], row))
            self._rows = rows
        return self._rows

    def bins(self, lane: int, low: int, high: int, unit: str) -> Bins:
        """Counts of the lane's events meeting low..high per ``unit`` (day, week, month,
        year), each event counted in the bin of its first day."""
        found = self.visible(lane, low, high)
        ids = self._ids(unit)[found]
        unique, counts = np.unique(ids, return_counts=True)
        first, last = _bin_days(unique, unit)
        return Bins(unit, first, last, counts)

    def plan(
        self, low: float, high: float, pixels_per_day: float, rows_per_lane: int
    ) -> list[LanePlan]:
        """What each lane draws of the days low..high at this zoom: its bars when they
        are at most BAR_LIMIT and stack in ``rows_per_lane`` rows, else its counts per the
        finest unit whose bins are at least MIN_BIN_PIXELS wide."""
        low_day, high_day = int(np.floor(low)), int(np.ceil(high))
        plans = []
        unit = bin_unit(pixels_per_day)
        for lane, name in enumerate(self.lanes):
            found = self.visible(lane, low_day, high_day)
            if not len(found):
                continue
            if len(found) <= BAR_LIMIT:
                rows = self.rows()[found]
                if int(rows.max()) < rows_per_lane:
                    plans.append(LanePlan(lane, name, bars=found, rows=rows))
                    continue
            plans.append(LanePlan(lane, name, bins=self.bins(lane, low_day, high_day, unit)))
        return plans

    def placements_of(self, event: int) -> np.ndarray:
        """The placements of the event ``event`` (index into ``events``)."""
        return np.flatnonzero(self.item == event)

    def _ids(self, unit: str) -> np.ndarray:
        if unit not in self._bin_ids:
            self._bin_ids[unit] = bin_ids(self.first, unit)
        return self._bin_ids[unit]


def _most_first(pair: tuple[str, int]) -> tuple[int, str]:
    return -pair[1], pair[0]


def _coded(values: list) -> tuple[list, np.ndarray]:
    """The distinct values, and each value's index among them (a C loop, not a Python
    one: 100,000 events have a few dozen types)."""
    distinct = list(dict.fromkeys(values))
    index = {value: number for number, value in enumerate(distinct)}
    return distinct, np.fromiter(map(index.__getitem__, values), np.int64, len(values))


def _uuids_in_ties(
    order: np.ndarray, keys: tuple[np.ndarray, ...], uuids: Sequence[str]
) -> np.ndarray:
    """``order`` (indices sorted by ``keys``) with each run of equal keys sorted by uuid."""
    if len(order) < 2:
        return order
    same = np.ones(len(order) - 1, dtype=bool)
    for key in keys:
        column = key[order]
        same &= column[1:] == column[:-1]
    tied = np.flatnonzero(same)
    if not len(tied):
        return order
    order = order.copy()
    breaks = np.diff(tied) > 1
    begins = tied[np.concatenate(([True], breaks))]
    ends = tied[np.concatenate((breaks, [True]))] + 2
    for begin, end in zip(begins.tolist(), ends.tolist(), strict=True):
        order[begin:end] = sorted(order[begin:end].tolist(), key=uuids.__getitem__)
    return order


def _undated_order(item: EventItem) -> tuple:
    # as load_events orders the undated: by their document's publication date
    return item.published or "\uffff", item.document_id, item.start, item.end, item.span_uuid


def bin_unit(pixels_per_day: float) -> str:
    """The finest of day, week, month, year whose bins are MIN_BIN_PIXELS wide or more."""
    for unit, days in (("day", 1), ("week", 7), ("month", 30.4), ("year", 365.25)):
        if pixels_per_day * days >= MIN_BIN_PIXELS:
            return unit
    return "year"


def bin_ids(days: np.ndarray, unit: str) -> np.ndarray:
    """The bin of each day number: the day, its ISO week (Monday first), month or year."""
    if unit == "day":
        return days
    if unit == "week":
        return (days + 3) // 7  # 1970-01-01 was a Thursday: weeks begin on Mondays
    stamps = days.astype("datetime64[D]")
    if unit == "month":
        return stamps.astype("datetime64[M]").astype(np.int64)
    if unit == "year":
        return stamps.astype("datetime64[Y]").astype(np.int64)
    raise ValueError(f"a bin is a day, week, month or year, not {unit!r}")


def _bin_days(ids: np.ndarray, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """The first and last day numbers of bins."""
    if unit == "day":
        return ids, ids
    if unit == "week":
        first = ids * 7 - 3
        return first, first + 6
    kind = "datetime64[M]" if unit == "month" else "datetime64[Y]"
    first = ids.astype(kind).astype("datetime64[D]").astype(np.int64)
    following = (ids + 1).astype(kind).astype("datetime64[D]").astype(np.int64)
    return first, following - 1


# --- the time axis ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Tick:
    day: int  # day number
    label: str
    major: bool  # the start of a year (months, years) or of a month (days, weeks)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# (unit, step, typical days between ticks), finest first
_STEPS = (
    ("day", 1, 1),
    ("day", 7, 7),
    ("month", 1, 30.4),
    ("month", 3, 91.3),
    ("month", 6, 182.6),
    ("year", 1, 365.25),
    ("year", 2, 730.5),
    ("year", 5, 1826),
    ("year", 10, 3652),
    ("year", 25, 9131),
    ("year", 50, 18262),
    ("year", 100, 36525),
)


def ticks(low: float, high: float, pixels_per_day: float, spacing: float = 64.0) -> list[Tick]:
    """The ticks of the axis over the days low..high: the finest step (days, Mondays,
    months, quarters, half-years, years, decades…) whose labels stand ``spacing`` pixels
    apart or more."""
    unit, step, _days = next((s for s in _STEPS if s[2] * pixels_per_day >= spacing), _STEPS[-1])
    first, last = day_of(int(np.floor(low))), day_of(int(np.ceil(high)))
    result = []
    if unit == "day":
        day = first
        if step == 7:
            day -= timedelta(days=day.weekday())
        while day <= last:
            if day >= first:
                label = f"{day.day} {_MONTHS[day.month - 1]}"
                if day.month == 1 and day.day <= step:
                    label += f" {day.year}"
                result.append(Tick(day_number(day), label, day.day <= step))
            day += timedelta(days=step)
    elif unit == "month":
        year, month = first.year, first.month
        month -= (month - 1) % step
        while (year, month) <= (last.year, last.month):
            day = date(year, month, 1)
            if day >= first:
                label = str(year) if month == 1 else _MONTHS[month - 1]
                result.append(Tick(day_number(day), label, month == 1))
            month += step
            if month > 12:
                year, month = year + 1, month - 12
    else:
        year = first.year - first.year % step
        while year <= last.year:
            if year >= 1:
                day = date(year, 1, 1)
                if day >= first:
                    result.append(Tick(day_number(day), str(year), year % (step * 5) == 0))
            year += step
    return result


def keep_events(events: Sequence[EventItem], flt: RecordFilter) -> list[EventItem]:
    """The events of a list already loaded that pass ``flt`` (annotators, outlets, types,
    actors and dates; statuses were chosen when they were loaded), for a view that filters
    without going back to the database."""
    annotators, outlets = set(flt.annotators), set(flt.outlets)
    types, actors = set(flt.types), set(flt.actors)
    kept = []
    for item in events:
        if annotators and item.annotator not in annotators:
            continue
        if outlets and item.outlet not in outlets:
            continue
        if types and (item.type or NO_TYPE) not in types and item.type not in types:
            continue
        if actors and not any(p.key in actors for p in (*item.agents, *item.targets)):
            continue
        if item.first_day is None:
            if not flt.undated:
                continue
        elif (flt.since is not None and item.last_day < flt.since) or (
            flt.until is not None and item.first_day > flt.until
        ):
            continue
        kept.append(item)
    return kept
