"""The actor network: who acts on whom (events, agent → target, by type) and who claims what
about whom (claims, source → about, by stance), as nodes and aggregated edges drawn from the
corpus's records; optionally, as DNA does, actors linked by agreeing (congruence) or opposite
(conflict) claims about the same thing. Also a force-directed layout of it and its GraphML.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from operator import itemgetter
from pathlib import Path

import numpy as np

from desktop.corpus.records import ClaimItem, EventItem, Facets, Participant, RecordFilter

EVENTS, CLAIMS, CONGRUENCE, CONFLICT = "events", "claims", "congruence", "conflict"
KINDS = (EVENTS, CLAIMS, CONGRUENCE, CONFLICT)
DEFAULT_KINDS = (EVENTS, CLAIMS)
DEFAULT_TOP = 300  # nodes kept by default: a readable picture, and a quick layout

# Claim stances, coloured as supports / opposes / other on a colour-blind-safe palette
# (Okabe–Ito, as resources/labels.json's colours).
STANCE_COLOURS = {"supports": "#009E73", "opposes": "#D55E00", "neutral": "#999999"}
NO_STANCE_COLOUR = "#999999"
# Event types in the order met: colours that none of the stance colours repeats.
TYPE_COLOURS = (
    "#0072B2",
    "#E69F00",
    "#CC79A7",
    "#56B4E9",
    "#882255",
    "#332288",
    "#999933",
    "#44AA99",
    "#AA4499",
    "#000000",
)
CONGRUENCE_COLOUR = "#009E73"
CONFLICT_COLOUR = "#D55E00"
OPPOSITE = {"supports": "opposes", "opposes": "supports"}

Record = EventItem | ClaimItem


@dataclass(frozen=True, slots=True)
class Node:
    """An actor (or, for a claim about an event, that event) in the network.

    ``mentions`` sizes it: a canonical actor's linked spans across the corpus, an unlinked
    participant's records. ``records`` is how many of the network's records it takes part in.
    """

    key: str
    name: str
    entity_uuid: str | None
    label: str
    mentions: int
    records: int
    type: str | None = None  # the actor's type (person, state…), when known


@dataclass(slots=True, unsafe_hash=True)
class Edge:
    """Records aggregated between two nodes: ``kind`` is events, claims, congruence or
    conflict; ``type`` the event type, the claim stance, or (congruence, conflict) the
    stance shared or the thing disputed. Congruence and conflict edges have no direction
    (source sorts before target).

    Treat it as immutable: it is not frozen only because a frozen dataclass takes four
    times as long to make, and a network of 100,000 events has about as many edges.
    """

    source: str
    target: str
    kind: str
    type: str | None
    count: int
    # the records' span uuids, in record order; empty in a network read by
    # :func:`load_network`, whose records are read when asked for (Network.records_of_edge)
    records: tuple[str, ...] = ()
    slot: int = field(default=-1, compare=False, repr=False)  # where its records are kept

    @property
    def directed(self) -> bool:
        return self.kind in (EVENTS, CLAIMS)


@dataclass(slots=True)
class Network:
    """Nodes by mentions (most first) and edges; ``total_nodes`` counts the nodes before the
    cap to the top ones, ``records`` every record loaded, by span uuid (built from records
    by :func:`build_network`; empty when read by :func:`load_network`, which reads a node's
    or an edge's records only when they are asked for)."""

    nodes: list[Node]
    edges: Sequence[Edge]  # a list, or an EdgeTable (load_network) that makes them on demand
    total_nodes: int
    records: dict[str, Record] = field(default_factory=dict)
    _involving: dict[str, list[str]] = field(default_factory=dict)
    _evidence: _Evidence | None = None
    _index: dict[str, Node] | None = None
    _links: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def node(self, key: str) -> Node | None:
        if self._index is None or len(self._index) != len(self.nodes):
            self._index = {node.key: node for node in self.nodes}
        return self._index.get(key)

    def record_count(self) -> int:
        """How many records the network was drawn from: those that name someone (a record
        that links to no one is no part of a network)."""
        if self._evidence is not None:
            return self._evidence.total
        return sum(1 for record in self.records.values() if _named(record))

    def records_of_node(self, key: str) -> list[Record]:
        """The records a node takes part in (as agent, target, source or about), in order:
        events, then claims."""
        if self._evidence is not None:
            return self._evidence.of_node(key)
        return [self.records[uuid] for uuid in self._involving.get(key, ())]

    def records_of_edge(self, edge: Edge) -> list[Record]:
        """An edge's records, in order."""
        if self._evidence is not None and not edge.records:
            return self._evidence.of_edge(edge)
        return [self.records[uuid] for uuid in edge.records]

    def link_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every edge as (source's index in ``nodes``, target's index, count) arrays."""
        if self._links is not None:
            return self._links
        index = {node.key: i for i, node in enumerate(self.nodes)}
        count = len(self.edges)
        return (
            np.fromiter((index[edge.source] for edge in self.edges), np.int64, count),
            np.fromiter((index[edge.target] for edge in self.edges), np.int64, count),
            np.fromiter((edge.count for edge in self.edges), np.int64, count),
        )

    def edge_uuids(self) -> list[tuple[str, ...]]:
        """Each edge's records' span uuids, in the order of ``edges`` (for GraphML): in
        record order for a network built from records, else by span id."""
        if self._evidence is None:
            return [edge.records for edge in self.edges]
        return self._evidence.uuids(self.edges)

    def edges_of(self, key: str) -> list[Edge]:
        return [edge for edge in self.edges if key in (edge.source, edge.target)]

    def strongest_edges(self, limit: int) -> list[Edge]:
        """The ``limit`` edges with most records, most first (in ``edges`` order among
        equals): those a picture draws."""
        if isinstance(self.edges, EdgeTable):
            return self.edges.strongest(limit)
        return sorted(self.edges, key=lambda edge: -edge.count)[:limit]

    def link_types(self) -> set[tuple[str, str | None]]:
        """Each (kind, type) the edges have, once: what a legend explains."""
        if isinstance(self.edges, EdgeTable):
            return self.edges.kinds_and_types()
        return {(edge.kind, edge.type) for edge in self.edges}


class EdgeTable(Sequence):
    """The edges of a network read by :func:`load_network`, kept as columns of codes and
    made into :class:`Edge` objects only when looked at: a network of 100,000 events has
    about as many edges, of which a picture draws a few thousand.

    Each edge ``i`` is ``Edge(keys[source[i]], keys[target[i]], KINDS[kind[i]],
    types[type[i]], count[i], (), slot[i])``; iterating makes them all (once).
    """

    __slots__ = (
        "keys",
        "types",
        "kind",
        "source",
        "target",
        "type",
        "count",
        "slot",
        "_made",
        "_links",
    )

    def __init__(self, keys, types, kind, source, target, type_, count, slot):
        self.keys, self.types = keys, types
        self.kind, self.source, self.target = kind, source, target
        self.type, self.count, self.slot = type_, count, slot
        self._made: list[Edge | None] | None = None
        self._links: set[tuple[str, str | None]] | None = None

    def __len__(self) -> int:
        return len(self.count)

    def __getitem__(self, at):
        if isinstance(at, slice):
            return [self[i] for i in range(*at.indices(len(self)))]
        if at < 0:
            at += len(self)
        if not 0 <= at < len(self):
            raise IndexError(f"edge {at} of {len(self)}")
        if self._made is None:
            self._made = [None] * len(self)
        edge = self._made[at]
        if edge is None:
            edge = self._made[at] = self._edge(at)
        return edge

    def __iter__(self) -> Iterator[Edge]:
        if self._made is None or None in self._made:
            keys, types = self.keys, self.types
            made = self._made or [None] * len(self)
            self._made = [
                edge or Edge(keys[s], keys[t], KINDS[k], types[c], n, (), slot)
                for edge, k, s, t, c, n, slot in zip(
                    made,
                    self.kind.tolist(),
                    self.source.tolist(),
                    self.target.tolist(),
                    self.type.tolist(),
                    self.count.tolist(),
                    self.slot.tolist(),
                    strict=True,
                )
            ]
        return iter(self._made)

    def __eq__(self, other) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # mutable cache, compared by content

    def __repr__(self) -> str:
        return f"EdgeTable({len(self)} edges)"

    def strongest(self, limit: int) -> list[Edge]:
        """See :meth:`Network.strongest_edges`."""
        if limit <= 0:
            return []
        order = np.argsort(-self.count, kind="stable")[:limit]
        return [self[i] for i in order.tolist()]

    def kinds_and_types(self) -> set[tuple[str, str | None]]:
        """See :meth:`Network.link_types`."""
        if self._links is None:
            width = max(len(self.types), 1)
            pairs = np.unique(self.kind * width + self.type).tolist()
            self._links = {(KINDS[p // width], self.types[p % width]) for p in pairs}
        return set(self._links)

    def _edge(self, at: int) -> Edge:
        return Edge(
            self.keys[int(self.source[at])],
            self.keys[int(self.target[at])],
            KINDS[int(self.kind[at])],
            self.types[int(self.type[at])],
            int(self.count[at]),
            (),
            int(self.slot[at]),
        )


def edge_colour(edge: Edge, type_colours: Mapping[str, str] | None = None) -> str:
    """The colour an edge is drawn in: a claim by its stance, congruence green, conflict
    vermillion, an event by its type (``type_colours``, else :func:`event_type_colours`)."""
    if edge.kind == CLAIMS:
        return STANCE_COLOURS.get(edge.type or "", NO_STANCE_COLOUR)
    if edge.kind == CONGRUENCE:
        return CONGRUENCE_COLOUR
    if edge.kind == CONFLICT:
        return CONFLICT_COLOUR
    colours = type_colours or {}
    return colours.get(edge.type or "", TYPE_COLOURS[-1])


def event_type_colours(types: Iterable[str | None]) -> dict[str, str]:
    """A colour for each event type, in the order given (the palette repeats after ten)."""
    named = sorted({t for t in types if t})
    return {name: TYPE_COLOURS[i % len(TYPE_COLOURS)] for i, name in enumerate(named)}


# --- building -----------------------------------------------------------------------------------


def build_network(
    events: Sequence[EventItem],
    claims: Sequence[ClaimItem],
    *,
    mentions: Mapping[str, int],
    kinds: Sequence[str] = DEFAULT_KINDS,
    top: int | None = None,
    actor_types: Mapping[str, str | None] | None = None,
) -> Network:
    """The network of the records given.

    ``mentions`` sizes the canonical actors (by entity uuid, as ``Participant.key``); a
    participant missing from it counts its records. ``kinds`` chooses the edges: events
    (agent → target per type), claims (source → about per stance), congruence (two sources
    of claims with the same stance about the same thing) and conflict (opposite stances).
    ``top`` keeps the nodes with most mentions and the edges among them.
    """
    _check(kinds, top)
    actor_types = actor_types or {}
    records: dict[str, Record] = {}
    involving: dict[str, list[str]] = defaultdict(list)
    people: dict[str, Participant] = {}
    grouped: dict[tuple[str, str, str, str | None], list[str]] = defaultdict(list)

    spellings: dict[str, set[str]] = defaultdict(set)  # an unlinked participant's texts

    def meet(uuid: str, participants: Iterable[Participant]) -> None:
        for participant in participants:
            people.setdefault(participant.key, participant)
            if participant.entity_uuid is None:
                spellings[participant.key].add(participant.name)
            seen = involving[participant.key]
            if not seen or seen[-1] != uuid:
                seen.append(uuid)

    if EVENTS in kinds:
        for event in events:
            records[event.span_uuid] = event
            meet(event.span_uuid, (*event.agents, *event.targets))
            for agent in _distinct(event.agents):
                for target in _distinct(event.targets):
                    grouped[(agent.key, target.key, EVENTS, event.type)].append(event.span_uuid)

    def name_of(participant: Participant) -> str:
        known = spellings.get(participant.key)
        return _spelling(known) if known else participant.name

    claim_kinds = {CLAIMS, CONGRUENCE, CONFLICT}.intersection(kinds)
    if claim_kinds:
        for claim in claims:
            records[claim.span_uuid] = claim
            meet(claim.span_uuid, (*claim.sources, *claim.about))
            if CLAIMS in kinds:
                for source in _distinct(claim.sources):
                    for about in _distinct(claim.about):
                        grouped[(source.key, about.key, CLAIMS, claim.stance)].append(
                            claim.span_uuid
                        )
        for kind in (CONGRUENCE, CONFLICT):
            if kind in kinds:
                for key, uuids in _agreement(claims, kind, name_of).items():
                    grouped[key].extend(uuids)

    nodes = [
        Node(
            key,
            _spelling(spellings[key]) if key in spellings else participant.name,
            participant.entity_uuid,
            participant.label,
            mentions.get(key, len(involving[key])),
            len(involving[key]),
            actor_types.get(key),
        )
        for key, participant in people.items()
    ]
    nodes.sort(key=lambda n: (-n.mentions, -n.records, n.name.casefold(), n.key))
    total = len(nodes)
    if top is not None:
        nodes = nodes[:top]
    kept = {node.key for node in nodes}
    edges = [
        Edge(source, target, kind, type_, len(uuids), tuple(uuids))
        for (source, target, kind, type_), uuids in grouped.items()
        if source in kept and target in kept
    ]
    order = {kind: i for i, kind in enumerate(KINDS)}
    edges.sort(key=lambda e: (order[e.kind], -e.count, e.source, e.target, e.type or ""))
    return Network(
        nodes, edges, total, records, {key: involving[key] for key in kept if key in involving}
    )


def _named(record: Record) -> bool:
    if isinstance(record, EventItem):
        return bool(record.agents or record.targets)
    return bool(record.sources or record.about)


def _spelling(texts: Iterable[str]) -> str:
    """The name of an unlinked participant written several ways: the first spelling in
    alphabetical order, whichever record came first (so that both ways of building the
    network agree)."""
    return min(texts, key=lambda text: (text.casefold(), text))


def _distinct(participants: Iterable[Participant]) -> list[Participant]:
    """Each participant once (a record may link twice to spans of one actor)."""
    seen: dict[str, Participant] = {}
    for participant in participants:
        seen.setdefault(participant.key, participant)
    return list(seen.values())


def _agreement(
    claims: Sequence[ClaimItem], kind: str, name_of=lambda participant: participant.name
) -> dict[tuple[str, str, str, str | None], list[str]]:
    """DNA's congruence or conflict among the sources of claims: two sources are linked once
    for each thing they make claims about with the same stance (congruence) or with opposite
    stances, supports against opposes (conflict). The records are the claims that link them."""
    # about key -> stance -> source key -> claim uuids
    said: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    names: dict[str, str] = {}
    for claim in claims:
        if not claim.stance:
            continue
        for about in _distinct(claim.about):
            names[about.key] = name_of(about)
            for source in _distinct(claim.sources):
                if source.key != about.key:
                    said[about.key][claim.stance][source.key].append(claim.span_uuid)
    linked: dict[tuple[str, str, str, str | None], list[str]] = defaultdict(list)
    for about_key, stances in said.items():
        if kind == CONGRUENCE:
            for stance, sources in stances.items():
                for first, second in combinations(sorted(sources), 2):
                    uuids = _merged(sources[first], sources[second])
                    linked[(first, second, CONGRUENCE, stance)].extend(uuids)
        else:
            backing, against = stances.get("supports", {}), stances.get("opposes", {})
            for first in backing:
                for second in against:
                    if first == second:
                        continue
                    a, b = sorted((first, second))
                    uuids = _merged(backing[first], against[second])
                    linked[(a, b, CONFLICT, names[about_key])].extend(uuids)
    return linked


def _merged(first: list[str], second: list[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


# --- from the store ------------------------------------------------------------------------------


def actor_sizes(store) -> tuple[dict[str, int], dict[str, str | None]]:
    """Each canonical actor's mentions across the corpus and its type, by entity uuid."""
    summaries = store.actor_summaries(None)
    return (
        {actor.uuid: actor.mentions for actor in summaries},
        {actor.uuid: actor.type for actor in summaries},
    )


def load_network(
    store,
    *,
    events: RecordFilter | None = None,
    claims: RecordFilter | None = None,
    kinds: Sequence[str] = DEFAULT_KINDS,
    top: int | None = DEFAULT_TOP,
) -> Network:
    """The network of a project's records: ``events`` and ``claims`` filter what is read
    (their ``types`` are event types and claim stances respectively).

    The same network as :func:`build_network` of the records :func:`load_events` and
    :func:`load_claims` would read, without reading them: the database joins each record
    to the spans it links to (``store.network_links``), and the edges are grouped here
    from those rows of ids with numpy. A node's or an edge's records are read when asked
    for.
    """
    _check(kinds, top)
    events, claims = events or RecordFilter(), claims or RecordFilter()
    wanted_claims = bool({CLAIMS, CONGRUENCE, CONFLICT}.intersection(kinds))
    if events.actors or claims.actors:
        # A filter on actors keeps whole records: read them (no view asks for it).
        from desktop.corpus.records import load_claims, load_events

        mentions, types = actor_sizes(store)
        return build_network(
            load_events(store, events) if EVENTS in kinds else [],
            load_claims(store, claims) if wanted_claims else [],
            mentions=mentions,
            kinds=kinds,
            top=top,
            actor_types=types,
        )
    wanted = [("event", events)] if EVENTS in kinds else []
    wanted += [("claim", claims)] if wanted_claims else []
    found = _fetched(store, wanted)
    names = _Names()
    parts = [
        _Links.of(rows, kind, flt, names) for rows, (kind, flt) in zip(found, wanted, strict=True)
    ]
    mentions, types = actor_sizes(store)
    return _assemble(store, names, parts, kinds, top, mentions, types)


def _fetched(store, wanted: list[tuple[str, RecordFilter]]) -> list:
    """The links of events and of claims, read at the same time where the database allows
    it: the driver lets go of Python's lock while the database works."""
    pool = type(store.engine.pool).__name__
    if len(wanted) < 2 or pool in ("StaticPool", "SingletonThreadPool"):
        # one connection for every thread (an in-memory project): one query at a time
        return [_Links.fetch(store, kind, flt) for kind, flt in wanted]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(wanted)) as pool_:
        return list(pool_.map(lambda pair: _Links.fetch(store, *pair), wanted))


def network_facets(store, *, statuses: tuple[str, ...] = ("accepted",)) -> Facets:
    """What the network's filters offer: the event types and claim stances in use and
    every outlet (no actors: the network shows them), without reading the records."""
    from desktop.corpus.records import _text

    def values(kind: str, attribute: str) -> tuple[str, ...]:
        found = store.record_values(kind, attribute, statuses=statuses)
        return tuple(sorted({_text(value) for value in found} - {""}))

    return Facets(
        types=values("event", "type"),
        stances=values("claim", "stance"),
        outlets=tuple(store.document_outlets()),
    )


def _check(kinds: Sequence[str], top: int | None) -> None:
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown kind of link {unknown[0]!r}: expected one of {', '.join(KINDS)}")
    if top is not None and top < 1:
        raise ValueError(f"the number of actors shown must be at least 1, not {top}")


def passing_dates(values: Iterable, flt: RecordFilter, kind: str) -> list:
    """Of the dates records are placed at (``store.record_dates``), those that meet the
    filter's range, as the records loaders judge them."""
    from desktop.corpus.records import _Dates, _meets, _text
    from desktop.corpus.timeline import published_stretch

    dates = _Dates()
    kept = []
    for value in values:
        if value is None:
            continue
        if kind == "claim":
            days = published_stretch(value)
        else:
            written = value if value.__class__ is str else _text(value)
            _precision, first, last, _when = dates.of(written or None)
            days = (first, last) if first else None
        if _meets(flt, days):
            kept.append(value)
    return kept


class _Names:
    """The participants met, each once by key: a code for each, in the order met."""

    def __init__(self):
        self.keys: list[str] = []
        self.names: list[str] = []
        self.entity_uuids: list[str | None] = []
        self.labels: list[str] = []
        self.code: dict[str, int] = {}
        self.spellings: list[set[str]] = []  # an unlinked participant's texts

    def of(self, key: str, name: str, entity_uuid: str | None, label: str) -> int:
        found = self.code.get(key)
        if found is None:
            found = self.code[key] = len(self.keys)
            self.keys.append(key)
            self.names.append(name)
            self.entity_uuids.append(entity_uuid)
            self.labels.append(label)
            self.spellings.append(set())
        return found

    def name_unlinked(self) -> None:
        for code, spellings in enumerate(self.spellings):
            if len(spellings) > 1:
                self.names[code] = _spelling(spellings)


@dataclass(slots=True)
class _Links:
    """One kind of record's links as arrays: per record and pair, the record's id and the
    codes of the participants on either side (-1 for none) and of its type or stance."""

    kind: str  # "event" or "claim"
    filter: RecordFilter
    ids: np.ndarray
    first: np.ndarray
    second: np.ndarray
    types: np.ndarray
    type_names: list[str | None]

    @classmethod
    def fetch(cls, store, kind: str, flt: RecordFilter):
        """The store's rows of links for the records of ``kind`` that pass ``flt``."""
        dates = None
        if flt.since is not None or flt.until is not None or not flt.undated:
            dates = passing_dates(store.record_dates(kind, statuses=flt.statuses), flt, kind)
        return store.network_links(
            kind,
            annotators=flt.annotators,
            outlets=flt.outlets,
            statuses=flt.statuses,
            types=flt.types,
            dates=dates,
            undated=flt.undated,
        )

    @classmethod
    def of(cls, found, kind: str, flt: RecordFilter, names: _Names) -> _Links:
        """The rows fetched, as arrays of codes (participants coded in ``names``)."""
        from desktop.corpus.records import _text, participant_key

        rows = found.rows
        count = len(rows)
        if not count:
            empty = np.zeros(0, dtype=np.int64)
            return cls(kind, flt, empty, empty, empty, empty, [])
        # a column at a time: zip(*rows) over 100,000 rows costs five times as much
        columns = [list(map(itemgetter(i), rows)) for i in range(len(rows[0]))]
        labels, entities = found.labels, found.entities
        made: dict[tuple, int] = {}  # (entity id or text, label id) -> participant code

        def linked(entity_id: int, label_id: int) -> int:
            uuid, name = entities[entity_id]
            return names.of(uuid, name, uuid, labels[label_id])

        def unlinked(text: str, label_id: int) -> int:
            code = made.get((text, label_id))
            if code is None:
                key = participant_key(text, None)
                code = made[(text, label_id)] = names.of(key, text, None, labels[label_id])
            names.spellings[code].add(text)
            return code

        def side(entity_ids, texts, label_ids) -> np.ndarray:
            """Each row's participant code on one side: most are linked to an entity, and
            those are coded a whole column at a time."""
            codes = np.full(count, -1, dtype=np.int64)
            entity = np.array(entity_ids, dtype=np.float64)  # None: nan
            known = ~np.isnan(entity)
            if known.any():
                rows_known = np.flatnonzero(known)
                unique, first, inverse = np.unique(
                    entity[known].astype(np.int64), return_index=True, return_inverse=True
                )
                table = np.array(
                    [
                        linked(entity_id, label_ids[rows_known[at]])
                        for entity_id, at in zip(unique.tolist(), first.tolist(), strict=True)
                    ],
                    dtype=np.int64,
                )
                codes[known] = table[inverse]
            for row in np.flatnonzero(~known).tolist():
                if texts[row] is not None:
                    codes[row] = unlinked(texts[row], label_ids[row])
            return codes

        first = side(columns[0], columns[1], columns[2])
        second = side(columns[3], columns[4], columns[5])
        raw_types = {value: i for i, value in enumerate(dict.fromkeys(columns[6]))}
        type_codes = np.fromiter(map(raw_types.__getitem__, columns[6]), np.int64, count)
        # Types as the records read them ("" and none alike; numbers as text), each once.
        normal: dict[str | None, int] = {}
        remap = np.array(
            [normal.setdefault(_text(value) or None, len(normal)) for value in raw_types],
            dtype=np.int64,
        )
        ids = np.fromiter(columns[7], np.int64, count)
        return cls(kind, flt, ids, first, second, remap[type_codes], list(normal))

    def participations(self) -> tuple[np.ndarray, np.ndarray]:
        """(participant code, record id) for each participant of each record, once."""
        codes = np.concatenate([self.first, self.second])
        ids = np.concatenate([self.ids, self.ids])
        keep = codes >= 0
        return _distinct_pairs(codes[keep], ids[keep])

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The groups of records by (first, second, type): their codes, and (group, record
        id) once each, sorted by group."""
        both = (self.first >= 0) & (self.second >= 0)
        first, second, types = self.first[both], self.second[both], self.types[both]
        width = max(len(self.type_names), 1)
        span = int(max(first.max(initial=0), second.max(initial=0))) + 1
        group = (first * span + second) * width + types
        groups, records = _distinct_pairs(group, self.ids[both])
        return groups, records, span, width


def _distinct_pairs(codes: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each (code, id) once, sorted by code then id."""
    order = np.lexsort((ids, codes))
    codes, ids = codes[order], ids[order]
    if len(codes):
        fresh = np.ones(len(codes), dtype=bool)
        fresh[1:] = (codes[1:] != codes[:-1]) | (ids[1:] != ids[:-1])
        codes, ids = codes[fresh], ids[fresh]
    return codes, ids


class _Evidence:
    """Where a network read by :func:`load_network` finds the records of a node or an
    edge: their ids, read into records (``load_events``, ``load_claims``) when asked."""

    def __init__(self, store, filters: dict[str, RecordFilter], total: int):
        self.store = store
        self.filters = filters
        self.total = total
        self.nodes: dict[str, dict[str, np.ndarray]] = {}  # key -> kind -> record ids
        # Edges' records by slot: blocks of slots (first slot, kind, record ids, where
        # each slot's ids start and end), and single slots (congruence, conflict).
        self.blocks: list[tuple[int, str, np.ndarray, np.ndarray, np.ndarray]] = []
        self.single: dict[int, tuple[str, np.ndarray]] = {}
        self.slots = 0

    def add_block(self, kind: str, ids: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> int:
        first = self.slots
        self.blocks.append((first, kind, ids, starts, ends))
        self.slots += len(starts)
        return first

    def add_slot(self, kind: str, ids: np.ndarray) -> int:
        self.single[self.slots] = (kind, ids)
        self.slots += 1
        return self.slots - 1

    def ids_of_edge(self, edge: Edge) -> tuple[str, np.ndarray]:
        if edge.slot in self.single:
            return self.single[edge.slot]
        for first, kind, ids, starts, ends in self.blocks:
            if first <= edge.slot < first + len(starts):
                at = edge.slot - first
                return kind, ids[starts[at] : ends[at]]
        raise KeyError(f"no records kept for the edge {edge.source} → {edge.target}")

    def of_edge(self, edge: Edge) -> list[Record]:
        kind, ids = self.ids_of_edge(edge)
        return self._read(kind, ids)

    def of_node(self, key: str) -> list[Record]:
        found = self.nodes.get(key, {})
        return [*self._read("event", found.get("event")), *self._read("claim", found.get("claim"))]

    def uuids(self, edges: Sequence[Edge]) -> list[tuple[str, ...]]:
        held = [self.ids_of_edge(edge)[1] for edge in edges]
        every = np.unique(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
        named = self.store.span_uuids([int(i) for i in every])
        return [tuple(named[int(i)] for i in ids) for ids in held]

    def _read(self, kind: str, ids) -> list[Record]:
        from desktop.corpus.records import load_claims, load_events

        if ids is None or not len(ids):
            return []
        wanted = [int(i) for i in ids]
        if kind == "event":
            return list(load_events(self.store, self.filters["event"], span_ids=wanted))
        return list(load_claims(self.store, self.filters["claim"], span_ids=wanted))


def _assemble(store, names: _Names, parts: list[_Links], kinds, top, mentions, types) -> Network:
    """Nodes ranked as :func:`build_network` ranks them, and the edges among the top ones."""
    names.name_unlinked()
    count = len(names.keys)
    evidence = _Evidence(store, {part.kind: part.filter for part in parts}, 0)
    records = np.zeros(count, dtype=np.int64)
    total = 0
    per_kind = {}
    for part in parts:
        codes, ids = part.participations()
        per_kind[part.kind] = (codes, ids)
        records += np.bincount(codes, minlength=count)
        total += len(np.unique(part.ids))
    evidence.total = total
    nodes = [
        Node(
            key,
            names.names[code],
            names.entity_uuids[code],
            names.labels[code],
            mentions.get(key, int(records[code])),
            int(records[code]),
            types.get(key),
        )
        for code, key in enumerate(names.keys)
    ]
    nodes.sort(key=lambda n: (-n.mentions, -n.records, n.name.casefold(), n.key))
    if top is not None:
        nodes = nodes[:top]
    kept = np.zeros(count, dtype=bool)
    kept[[names.code[node.key] for node in nodes]] = True
    for kind, (codes, ids) in per_kind.items():
        chosen = kept[codes]
        codes, ids = codes[chosen], ids[chosen]
        bounds = np.searchsorted(codes, np.arange(count + 1))
        for node in nodes:
            code = names.code[node.key]
            low, high = bounds[code], bounds[code + 1]
            if high > low:
                evidence.nodes.setdefault(node.key, {})[kind] = ids[low:high]

    # Ranks to sort edges by their keys and types with numpy, as build_network sorts them.
    key_rank = np.empty(count, dtype=np.int64)
    key_rank[np.argsort(np.array(names.keys, dtype=object), kind="stable")] = np.arange(count)
    place = np.full(count, -1, dtype=np.int64)  # a code's node's index in ``nodes``
    place[[names.code[node.key] for node in nodes]] = np.arange(len(nodes))
    edge_types: dict[str | None, int] = {}  # every edge's type, coded
    columns: list[tuple[np.ndarray, ...]] = []  # (kind, source, target, type, count, slot)
    for part in parts:
        wanted = (EVENTS,) if part.kind == "event" else ()
        if part.kind == "claim":
            wanted = tuple(k for k in (CLAIMS,) if k in kinds)
        for kind in wanted:
            columns.append(_grouped_edges(part, kind, kept, key_rank, evidence, edge_types))
        if part.kind == "claim":
            for kind in (CONGRUENCE, CONFLICT):
                if kind in kinds:
                    found = _agreement_edges(part, kind, names, kept, evidence)
                    columns.append(
                        tuple(
                            np.array(values, dtype=np.int64)
                            for values in (
                                [KINDS.index(kind)] * len(found),
                                [names.code[e.source] for e in found],
                                [names.code[e.target] for e in found],
                                [edge_types.setdefault(e.type, len(edge_types)) for e in found],
                                [e.count for e in found],
                                [e.slot for e in found],
                            )
                        )
                    )
    kind_codes, source, target, type_codes, counts, slots = (
        np.concatenate([column[i] for column in columns]) if columns else np.zeros(0, np.int64)
        for i in range(6)
    )
    edges = EdgeTable(
        names.keys, list(edge_types), kind_codes, source, target, type_codes, counts, slots
    )
    links = (place[source], place[target], counts)
    return Network(nodes, edges, count, _evidence=evidence, _links=links)


def _grouped_edges(part: _Links, kind, kept, key_rank, evidence, types) -> tuple[np.ndarray, ...]:
    """The edges of one kind grouped from a part's links, among the nodes ``kept``, sorted
    as :func:`build_network` sorts them: columns (kind, source code, target code, type
    code in ``types``, count, slot), no Edge made."""
    groups, ids, span, width = part.pairs()
    if not len(groups):
        return (np.zeros(0, dtype=np.int64),) * 6
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ends = np.r_[starts[1:], len(groups)]
    group = groups[starts]
    type_code, pair = group % width, group // width
    source, target = pair // span, pair % span
    chosen = kept[source] & kept[target]
    starts, ends = starts[chosen], ends[chosen]
    type_code, source, target = type_code[chosen], source[chosen], target[chosen]
    counts = ends - starts
    type_rank = np.empty(len(part.type_names), dtype=np.int64)
    type_rank[np.argsort(np.array([t or "" for t in part.type_names], dtype=object))] = np.arange(
        len(part.type_names)
    )
    order = np.lexsort((type_rank[type_code], key_rank[target], key_rank[source], -counts))
    first_slot = evidence.add_block(part.kind, ids, starts, ends)
    coded = np.array([types.setdefault(t, len(types)) for t in part.type_names], dtype=np.int64)
    return (
        np.full(len(order), KINDS.index(kind), dtype=np.int64),
        source[order],
        target[order],
        coded[type_code[order]],
        counts[order],
        first_slot + order,
    )


def _agreement_edges(part: _Links, kind, names: _Names, kept, evidence) -> list[Edge]:
    """DNA's congruence or conflict (see :func:`_agreement`) from the grouped claims."""
    groups, ids, span, width = part.pairs()
    said: dict[int, dict[str, dict[str, np.ndarray]]] = defaultdict(lambda: defaultdict(dict))
    if len(groups):
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        ends = np.r_[starts[1:], len(groups)]
        for low, high in zip(starts.tolist(), ends.tolist(), strict=True):
            group = int(groups[low])
            stance = part.type_names[group % width]
            source, about = divmod(group // width, span)
            if not stance or source == about:
                continue
            said[about][stance][names.keys[source]] = ids[low:high]
    linked: dict[tuple[str, str, str | None], list[np.ndarray]] = defaultdict(list)
    for about, stances in said.items():
        if kind == CONGRUENCE:
            for stance, sources in stances.items():
                for first, second in combinations(sorted(sources), 2):
                    linked[(first, second, stance)].append(
                        np.union1d(sources[first], sources[second])
                    )
        else:
            backing, against = stances.get("supports", {}), stances.get("opposes", {})
            for first in backing:
                for second in against:
                    if first != second:
                        a, b = sorted((first, second))
                        linked[(a, b, names.names[about])].append(
                            np.union1d(backing[first], against[second])
                        )
    edges = []
    for (first, second, type_), held in linked.items():
        if not (kept[names.code[first]] and kept[names.code[second]]):
            continue
        count = sum(len(ids) for ids in held)
        slot = evidence.add_slot("claim", np.unique(np.concatenate(held)))
        edges.append(Edge(first, second, kind, type_, count, (), slot))
    edges.sort(key=lambda e: (-e.count, e.source, e.target, e.type or ""))
    return edges


# --- layout --------------------------------------------------------------------------------------

LAYOUT_BUDGET = 3e6  # node pairs visited across all iterations: the layout's time budget
MIN_ITERATIONS, MAX_ITERATIONS = 30, 120


def layout(
    network: Network, *, seed: int = 0, iterations: int | None = None
) -> dict[str, tuple[float, float]]:
    """Fruchterman–Reingold positions in [-1, 1]², by node key: linked nodes pulled
    together, every pair pushed apart, a light pull to the centre so that separate parts
    stay in view. The same network and seed give the same positions.

    ``iterations``: by default as many as a fixed budget of pair visits allows (fewer for
    large networks), between 30 and 120.
    """
    keys = [node.key for node in network.nodes]
    count = len(keys)
    if count == 0:
        return {}
    if count == 1:
        return {keys[0]: (0.0, 0.0)}
    if iterations is None:
        iterations = int(min(MAX_ITERATIONS, max(MIN_ITERATIONS, LAYOUT_BUDGET / count**2)))
    first, second, weight = network.link_arrays()
    apart = first != second
    low = np.minimum(first, second)[apart]
    high = np.maximum(first, second)[apart]
    pair, where = np.unique(low * count + high, return_inverse=True)
    total = np.bincount(where, weights=weight[apart], minlength=len(pair))
    first, second = pair // count, pair % count
    strength = 1.0 + np.log(total)
    pulled = np.concatenate([first, second])

    rng = np.random.default_rng(seed)
    position = rng.uniform(-1.0, 1.0, size=(count, 2))
    single = position.astype(np.float32)  # the pair matrices in single precision: half the memory
    ideal = math.sqrt(4.0 / count)  # the area [-1, 1]² shared among the nodes
    ideal2 = ideal * ideal
    gravity = 2.0  # about the outward push all the others give a node at the rim
    temperature = 0.2
    cooling = temperature / (iterations + 1)
    chunk = max(1, int(4_000_000 // count))  # rows of the pair matrix computed at once
    for _ in range(iterations):
        push = np.zeros_like(position)
        single[:] = position
        for low in range(0, count, chunk):
            rows = single[low : low + chunk]
            dx = rows[:, 0:1] - single[:, 0]
            dy = rows[:, 1:2] - single[:, 1]
            distance2 = dx * dx + dy * dy
            np.maximum(distance2, np.float32(1e-9), out=distance2)
            scale = np.float32(ideal2) / distance2
            # a node does not push itself (its own distance was clamped, not zero)
            scale[np.arange(len(rows)), np.arange(low, low + len(rows))] = 0.0
            push[low : low + chunk, 0] = (dx * scale).sum(axis=1)
            push[low : low + chunk, 1] = (dy * scale).sum(axis=1)
        if len(first):
            delta = position[first] - position[second]
            distance = np.sqrt((delta * delta).sum(axis=1)) + 1e-9
            pull = delta * (distance * strength / ideal)[:, None]
            # np.bincount sums the pulls on each node far faster than np.add.at
            for axis in (0, 1):
                push[:, axis] += np.bincount(
                    pulled, weights=np.concatenate([-pull[:, axis], pull[:, axis]]), minlength=count
                )
        push -= position * gravity
        length = np.sqrt((push * push).sum(axis=1)) + 1e-12
        step = np.minimum(length, temperature) / length
        position += push * step[:, None]
        temperature -= cooling
    return dict(zip(keys, _framed(position), strict=True))


def _framed(position: np.ndarray) -> list[tuple[float, float]]:
    """Positions centred and scaled into [-1, 1]²: the bulk (95% of the nodes) fills 90%
    of the frame; the few pushed far out (actors linked to no one in view) are brought in to
    its rim, in the same directions and order, so that they do not shrink the rest to a dot."""
    position = position - np.median(position, axis=0)
    radius = np.sqrt((position * position).sum(axis=1))
    bulk = float(np.percentile(radius, 95))
    if bulk <= 0:
        bulk = float(radius.max()) or 1.0
    scaled = radius / bulk
    beyond = scaled > 1.0
    framed = scaled.copy()
    framed[beyond] = 1.0 + (1.0 - np.exp(-(scaled[beyond] - 1.0))) * (1.0 / 0.9 - 1.0)
    factor = np.divide(framed * 0.9, radius, out=np.zeros_like(radius), where=radius > 0)
    position = position * factor[:, None]
    return [(float(x), float(y)) for x, y in position]


def separate(
    points: Sequence[tuple[float, float]],
    radii: Sequence[float],
    *,
    gap: float = 4.0,
    rounds: int = 60,
) -> list[tuple[float, float]]:
    """Drawn positions moved apart just enough that no two circles (of ``radii``, in the
    same units) come closer than ``gap``: the layout places points, the view draws circles
    sized by mentions, which may overlap where the layout put two points close."""
    count = len(points)
    if count < 2:
        return [tuple(p) for p in points]
    position = np.asarray(points, dtype=np.float64).copy()
    radius = np.asarray(radii, dtype=np.float64)
    # Each round pushes apart only the pairs that were within ``margin`` of overlapping
    # when last looked at across all pairs; all pairs are looked at again once the points
    # have moved far enough that another pair might overlap. The same result as pushing
    # every pair each round, for a few hundred pairs instead of count² per round.
    margin = float(radius.max()) + gap
    rng = np.random.default_rng(0)
    moved = math.inf
    first = second = wanted = np.zeros(0, dtype=np.int64)
    for _ in range(rounds):
        if 2 * moved >= margin:
            dx = position[:, 0:1] - position[:, 0]
            dy = position[:, 1:2] - position[:, 1]
            reach = radius[:, None] + radius[None, :] + gap
            near = dx * dx + dy * dy < (reach + margin) ** 2
            np.fill_diagonal(near, False)
            first, second = np.nonzero(near)  # row by row, as the jitter below is drawn
            wanted = reach[first, second]
            moved = 0.0
        dx = position[first, 0] - position[second, 0]
        dy = position[first, 1] - position[second, 1]
        distance = np.sqrt(dx * dx + dy * dy)
        short = wanted - distance
        np.maximum(short, 0.0, out=short)
        if not short.any():
            break
        # two points on one spot: apart in some direction, the same for a seed
        same = distance < 1e-9
        if same.any():
            jitter = rng.normal(size=(2, int(same.sum())))
            dx[same], dy[same] = jitter
            distance[same] = np.hypot(*jitter)
        share = short / (2 * np.maximum(distance, 1e-9))
        step_x = np.bincount(first, weights=dx * share, minlength=count)
        step_y = np.bincount(first, weights=dy * share, minlength=count)
        position[:, 0] += step_x
        position[:, 1] += step_y
        moved += float(np.sqrt(step_x * step_x + step_y * step_y).max())
    return [(float(x), float(y)) for x, y in position]


# --- GraphML -------------------------------------------------------------------------------------


def to_graph(network: Network):
    """The network as a networkx MultiDiGraph (node and edge attributes as in GraphML)."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    for node in network.nodes:
        graph.add_node(
            node.key,
            name=node.name,
            mentions=node.mentions,
            records=node.records,
            entity_uuid=node.entity_uuid or "",
            label=node.label,
            type=node.type or "",
        )
    for edge, uuids in zip(network.edges, network.edge_uuids(), strict=True):
        graph.add_edge(
            edge.source,
            edge.target,
            key=f"{edge.kind}:{edge.type or ''}",
            kind=edge.kind,
            type=edge.type or "",
            count=edge.count,
            directed=edge.directed,
            records=" ".join(uuids),
        )
    return graph


def write_graphml(network: Network, path: str | Path) -> None:
    """Write the network as GraphML (for Gephi, visone, networkx, igraph): nodes with name,
    mentions, records, entity_uuid, label and type; edges with kind, type (event type,
    stance, or the thing disputed), count, directed and the records' span uuids; each
    edge's id is its kind and type (``events:ASSAULT``), so that parallel edges between two
    actors stay apart (read it back with ``networkx.read_graphml(path,
    force_multigraph=True)``)."""
    import networkx as nx

    nx.write_graphml(to_graph(network), str(path), encoding="utf-8")
