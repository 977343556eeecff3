"""Events and claims across the corpus as plain records: who, whom, when, what type, which
outlet, which annotator, and the span that is their evidence. The timeline, the actor
network and the outlets view are all drawn from these.

An event is a span of the label named Event (any case), a claim one of the label named
Claim; their participants are the spans they link to (``agent``, ``target``; ``source``, or
``attributed_to`` in older projects, and ``about``), each named by its canonical actor when
linked to one, else by its own text.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from db.schema import date_precision
from db.search_text import fold
from db.store.base import json_column
from desktop.corpus.timeline import EventMarks, day_number, published_stretch, stretch


@dataclass(frozen=True, slots=True)
class Participant:
    """An actor (or, for a claim's ``about``, an event) that a record links to.

    ``key`` identifies it across documents: the canonical entity's uuid when the span is
    linked to one, else ``"text:"`` and the span's text folded (case, diacritics and
    apostrophes aside, as ``db.search_text.fold`` does), so that two unlinked "Hamas" spans
    are one node. ``entity_uuid`` is None for an unlinked span.
    """

    key: str
    name: str
    entity_uuid: str | None = None
    label: str = "Actor"  # the linked span's label (an ``about`` may point at an Event)


@dataclass(slots=True, unsafe_hash=True)
class EventItem:
    span_uuid: str
    document_id: int
    document_title: str
    outlet: str  # the document's source (publisher); "" when unknown
    published: str | None  # the document's publication date, as stored
    annotator: str
    start: int
    end: int
    text: str
    type: str | None  # the ``type`` attribute
    date: str | None  # the ``date`` attribute as written (2024-02-03, 2024-W05, 2024-02, 2024)
    precision: str | None  # day, week, month or year; None when undated or not an ISO date
    first_day: date | None  # the stretch of time the date stands for, both ends included
    last_day: date | None
    agents: tuple[Participant, ...] = ()
    targets: tuple[Participant, ...] = ()
    location: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class ClaimItem:
    span_uuid: str
    document_id: int
    document_title: str
    outlet: str
    published: str | None
    annotator: str
    start: int
    end: int
    text: str
    stance: str | None
    certainty: str | None
    sources: tuple[Participant, ...] = ()
    about: tuple[Participant, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records a view shows. Empty tuples mean all; ``since``/``until`` keep records
    whose stretch of time meets the range (a claim's time is its document's publication
    date); undated records are kept only when ``undated`` is true."""

    annotators: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # event types, or claim stances for claims
    outlets: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()  # participant keys: a record with any of them is kept
    since: date | None = None
    until: date | None = None
    undated: bool = True
    statuses: tuple[str, ...] = ("accepted",)


@dataclass(frozen=True, slots=True)
class Facets:
    """What the records of a project hold, to fill a view's filter controls: event types
    and claim stances in use, outlets, annotators (each sorted), and the participants by the
    number of records that name them, most first."""

    types: tuple[str, ...] = ()
    stances: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    annotators: tuple[str, ...] = ()
    actors: tuple[Participant, ...] = ()


EVENT_LINKS = ("agent", "target", "location", "time")
CLAIM_LINKS = ("source", "attributed_to", "about")


def participant_key(text: str, entity_uuid: str | None) -> str:
    """A participant's key: its canonical entity's uuid, else its folded text."""
    return entity_uuid if entity_uuid else "text:" + fold(text).casefold()


def load_events(
    store,
    filter: RecordFilter = RecordFilter(),  # noqa: A002
    *,
    participants: bool = True,
    span_ids: Sequence[int] | None = None,
) -> list[EventItem]:
    """The events that pass ``filter``, ordered by (first day, else the document's
    publication date; document; offset); only those of ``span_ids`` when given (the
    records of a node or link of the actor network).

    Without ``participants`` the events come without agents and targets, and with a
    location only from their attribute: what a chart needs to draw them, read in half the
    time (the links are most of the reading); a filter on actors reads them all the same.
    """
    with _collector_paused():
        rows = store.record_rows(
            "event",
            EVENT_LINKS if participants or filter.actors else ("time",),
            annotators=filter.annotators,
            outlets=filter.outlets,
            statuses=filter.statuses,
            span_ids=span_ids,
        )
        links = _links_by_head(rows)
        named = _Participants(rows.labels)
        dates = _Dates()
        annotators = rows.annotators
        documents = rows.documents
        items = []
        append = items.append
        keys = []  # what the events are ordered by, made with them: sorting is then cheap
        add_key = keys.append
        for span_id, uuid, document_id, annotator_id, start, end, text, attributes in rows.spans:
            title, source, published = documents[document_id]
            attributes = json_column(attributes)
            linked = links.get(span_id, _NO_LINKS)
            written = attributes.get("date")
            if written is not None and written.__class__ is not str:
                written = _text(written)
            if not written:
                times = linked.get("time")
                written = min(times, key=_first)[1] if times else None
            precision, first, last, when = dates.of(written)
            location = attributes.get("location")
            if location is not None and location.__class__ is not str:
                location = _text(location)
            if not location and "location" in linked:
                location = "; ".join(p.name for p in named.of(linked["location"]))
            kind = attributes.get("type")
            if kind is not None and kind.__class__ is not str:
                kind = _text(kind)
            append(
                EventItem(
                    uuid,
                    document_id,
                    title,
                    source or "",
                    published,
                    annotators[annotator_id],
                    start,
                    end,
                    text,
                    kind or None,
                    written or None,
                    precision,
                    first,
                    last,
                    named.of(linked.get("agent")),
                    named.of(linked.get("target")),
                    location or None,
                )
            )
            add_key((when or published or "\uffff", document_id, start, end, uuid))
        order = sorted(range(len(items)), key=keys.__getitem__)
        items = [items[index] for index in order]
        if filter.types or filter.actors or filter.since or filter.until or not filter.undated:
            items = [item for item in items if _keeps_event(filter, item)]
    return items


def load_event_marks(store, *, statuses: tuple[str, ...] = ("accepted",)) -> EventMarks:
    """The events of ``statuses`` as the timeline first draws them: dates, types,
    documents and offsets in columns (:class:`desktop.corpus.timeline.EventMarks`), read
    as ``load_events(participants=False)`` reads them, without making an EventItem per
    event (most of that reading's time); ``make(index)`` makes the one a tooltip or a
    click needs, equal to that reading's."""
    with _collector_paused():
        rows = store.record_rows("event", ("time",), statuses=statuses)
        columns = list(zip(*rows.spans, strict=True)) if rows.spans else [()] * 8
        span_ids, uuids, document_ids, annotator_ids, starts, ends, texts, attributes = columns
        attributes = list(map(json_column, attributes))
        kinds = [values.get("type") for values in attributes]
        written = [values.get("date") for values in attributes]
        for column in (kinds, written):
            if not {value.__class__ for value in column} <= {str, type(None)}:
                column[:] = [value if value is None else _text(value) for value in column]
        times = {head: by_kind["time"] for head, by_kind in _links_by_head(rows).items()}
        if times:
            for index, span_id in enumerate(span_ids):
                tails = times.get(span_id)
                if tails and not written[index]:
                    written[index] = min(tails, key=_first)[1]
        dates = _Dates()
        spellings = list(set(written))
        stretches = [dates.of(value or None) for value in spellings]
        code = {value: index for index, value in enumerate(spellings)}
        codes = np.fromiter(map(code.__getitem__, written), np.int64, len(written))
        firsts = np.array([day_number(s[1]) if s[1] else 0 for s in stretches], dtype=np.int64)
        lasts = np.array([day_number(s[2]) if s[2] else 0 for s in stretches], dtype=np.int64)
        dated = np.array([s[1] is not None for s in stretches], dtype=bool)
        names, documents = rows.annotators, rows.documents

        def make(index: int) -> EventItem:
            title, source, published = documents[document_ids[index]]
            value = written[index] or None
            precision, first, last, _when = dates.of(value)
            location = attributes[index].get("location")
            if location is not None and location.__class__ is not str:
                location = _text(location)
            return EventItem(
                uuids[index],
                document_ids[index],
                title,
                source or "",
                published,
                names[annotator_ids[index]],
                starts[index],
                ends[index],
                texts[index],
                kinds[index] or None,
                value,
                precision,
                first,
                last,
                location=location or None,
            )

        return EventMarks(
            document=np.array(document_ids, dtype=np.int64),
            start=np.array(starts, dtype=np.int64),
            end=np.array(ends, dtype=np.int64),
            first=firsts[codes],
            last=lasts[codes],
            dated=dated[codes],
            types=kinds,
            uuids=uuids,
            annotators=tuple(sorted({names[id_] for id_ in set(annotator_ids)})),
            make=make,
        )


def load_claims(
    store,
    filter: RecordFilter = RecordFilter(),  # noqa: A002
    *,
    span_ids: Sequence[int] | None = None,
) -> list[ClaimItem]:
    """The claims that pass ``filter`` (its ``types`` are stances), ordered by (the
    document's publication date, document, offset); only those of ``span_ids`` when given."""
    with _collector_paused():
        rows = store.record_rows(
            "claim",
            CLAIM_LINKS,
            annotators=filter.annotators,
            outlets=filter.outlets,
            statuses=filter.statuses,
            span_ids=span_ids,
        )
        links = _links_by_head(rows)
        named = _Participants(rows.labels)
        items = []
        for span_id, uuid, document_id, annotator_id, start, end, text, attributes in rows.spans:
            title, source, published = rows.documents[document_id]
            attributes = json_column(attributes)
            linked = links.get(span_id, _NO_LINKS)
            items.append(
                ClaimItem(
                    uuid,
                    document_id,
                    title,
                    source or "",
                    published,
                    rows.annotators[annotator_id],
                    start,
                    end,
                    text,
                    _text(attributes.get("stance")) or None,
                    _text(attributes.get("certainty")) or None,
                    named.of(linked.get("source") or linked.get("attributed_to")),
                    named.of(linked.get("about")),
                )
            )
        items = [item for item in items if _keeps_claim(filter, item)]
        items.sort(key=_claim_order)
    return items


def record_facets(
    store,
    events: Sequence[EventItem] | None = None,
    claims: Sequence[ClaimItem] | None = None,
    *,
    statuses: tuple[str, ...] = ("accepted",),
) -> Facets:
    """The :class:`Facets` of the project's events and claims of ``statuses`` (or of the
    records given, when a view has them already); outlets are every document source."""
    if events is None:
        events = load_events(store, RecordFilter(statuses=statuses))
    if claims is None:
        claims = load_claims(store, RecordFilter(statuses=statuses))
    counts: Counter[str] = Counter()
    named: dict[str, Participant] = {}
    for item in events:
        for participant in (*item.agents, *item.targets):
            counts[participant.key] += 1
            named.setdefault(participant.key, participant)
    for item in claims:
        for participant in (*item.sources, *item.about):
            counts[participant.key] += 1
            named.setdefault(participant.key, participant)
    return Facets(
        types=tuple(sorted({item.type for item in events if item.type})),
        stances=tuple(sorted({item.stance for item in claims if item.stance})),
        outlets=tuple(store.document_outlets()),
        annotators=tuple(sorted({item.annotator for item in (*events, *claims)})),
        actors=tuple(
            named[key]
            for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], named[kv[0]].name))
        ),
    )


# --- reading the rows -------------------------------------------------------------------
_NO_LINKS: dict[str, list] = {}


def _links_by_head(rows) -> dict[int, dict[str, list[tuple]]]:
    """head span id -> relation type -> [(tail start, tail text, label id, entity uuid,
    entity name)]."""
    links: dict[int, dict[str, list[tuple]]] = {}
    for head_id, kind, *tail in rows.links:
        by_kind = links.get(head_id)
        if by_kind is None:
            links[head_id] = {kind: [tail]}
        elif kind in by_kind:
            by_kind[kind].append(tail)
        else:
            by_kind[kind] = [tail]
    return links


class _Participants:
    """Participants made once per name: 100,000 events name a few thousand actors."""

    def __init__(self, labels: dict[int, str]):
        self.labels = labels
        self.made: dict[tuple, Participant] = {}

    def one(self, text: str, label_id: int, entity_uuid: str | None, entity_name: str | None):
        key = (text if entity_uuid is None else entity_uuid, label_id)
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = Participant(
                participant_key(text, entity_uuid),
                entity_name if entity_uuid else text,
                entity_uuid,
                self.labels[label_id],
            )
        return found

    def of(self, tails: list | None) -> tuple[Participant, ...]:
        """The spans linked, by canonical name where linked to an entity, else by text;
        in text order, once each (a span of one entity, or unlinked spans of one text,
        named once), as the analysts' tables name them."""
        if not tails:
            return ()
        if len(tails) == 1:
            _start, text, label_id, entity_uuid, entity_name = tails[0]
            return (self.one(text, label_id, entity_uuid, entity_name),)
        found: dict[tuple[str, str], Participant] = {}
        for _start, text, label_id, entity_uuid, entity_name in sorted(tails, key=_first):
            participant = self.one(text, label_id, entity_uuid, entity_name)
            found.setdefault((entity_uuid or "", participant.name), participant)
        return tuple(found.values())


class _Dates:
    """A written date's precision and stretch, worked out once per spelling."""

    def __init__(self):
        none = (None, None, None, None)
        self.known: dict[str | None, tuple] = {None: none, "": none}

    def of(self, written: str | None) -> tuple[str | None, date | None, date | None, str | None]:
        """Precision, first and last day, and the first day as ISO text (to sort by)."""
        found = self.known.get(written)
        if found is None:
            precision = date_precision(written)
            days = stretch(written) if precision else None
            found = self.known[written] = (
                (precision, days[0], days[1], days[0].isoformat()) if days else (None,) * 4
            )
        return found


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while records are built: 100,000 events
    make hundreds of thousands of objects that live on, and the collector would rescan
    them over and over (the same pause as desktop.formats' bulk import)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _text(value: Any) -> str:
    """An attribute's value as text ("" for none; whole numbers without a decimal point)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _first(row) -> int:
    return row[0]


def _claim_order(item: ClaimItem) -> tuple:
    return item.published or "\uffff", item.document_id, item.start, item.end, item.span_uuid


def _meets(flt: RecordFilter, days: tuple[date, date] | None) -> bool:
    if days is None:
        return flt.undated
    if flt.since is not None and days[1] < flt.since:
        return False
    return flt.until is None or days[0] <= flt.until


def _keeps_event(flt: RecordFilter, item: EventItem) -> bool:
    if flt.types and item.type not in flt.types:
        return False
    if flt.actors:
        wanted = set(flt.actors)
        if not any(p.key in wanted for p in (*item.agents, *item.targets)):
            return False
    if flt.since is None and flt.until is None and flt.undated:
        return True
    return _meets(flt, (item.first_day, item.last_day) if item.first_day else None)


def _keeps_claim(flt: RecordFilter, item: ClaimItem) -> bool:
    if flt.types and item.stance not in flt.types:
        return False
    if flt.actors:
        wanted = set(flt.actors)
        if not any(p.key in wanted for p in (*item.sources, *item.about)):
            return False
    if flt.since is None and flt.until is None and flt.undated:
        return True
    return _meets(flt, published_stretch(item.published))
