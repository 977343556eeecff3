"""The actor network: nodes and aggregated edges from records made by hand, congruence and
conflict, the top-N cap, the layout and GraphML; then the seed corpus on SQLite and
PostgreSQL through the records loaders."""

from __future__ import annotations

import math
from datetime import date
from itertools import combinations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.corpus.network import (
    CLAIMS,
    CONFLICT,
    CONGRUENCE,
    EVENTS,
    STANCE_COLOURS,
    Edge,
    EdgeTable,
    Network,
    Node,
    actor_sizes,
    build_network,
    edge_colour,
    event_type_colours,
    layout,
    load_network,
    separate,
    write_graphml,
)
from desktop.corpus.records import (
    ClaimItem,
    EventItem,
    Participant,
    RecordFilter,
    load_claims,
    load_events,
)
from tests.corpus.seed_records import tag_seed_records

# Names as analysts meet them: apostrophes, diacritics, right-to-left script, an emoji.
KATAIB = Participant("e-kataib", "Kata’ib Hezbollah", "e-kataib")
US = Participant("e-us", "United States", "e-us")
IRAQ = Participant("e-iraq", "العراق", "e-iraq")
MILITIA = Participant("text:milicia", "milícia 🚩", None)  # unlinked: keyed by its text
STRIKE = Participant("text:the strike", "the strike", None, "Event")


def event(uuid, agents, targets, type_="ASSAULT", document_id=1, start=0):
    return EventItem(
        uuid,
        document_id,
        f"Article {document_id}",
        "Reuters",
        "2024-02-08",
        "analyst_a",
        start,
        start + 6,
        "strike",
        type_,
        "2024-02-07",
        "day",
        None,
        None,
        tuple(agents),
        tuple(targets),
    )


def claim(uuid, sources, about, stance, document_id=2, start=0):
    return ClaimItem(
        uuid,
        document_id,
        f"Article {document_id}",
        "AP",
        "2024-02-09",
        "analyst_b",
        start,
        start + 10,
        "they said…",
        stance,
        "asserted",
        tuple(sources),
        tuple(about),
    )


MENTIONS = {"e-kataib": 12, "e-us": 30, "e-iraq": 4}


def test_events_make_agent_to_target_edges_per_type_with_their_records():
    events = [
        event("ev1", [US], [KATAIB], "ASSAULT"),
        event("ev2", [US], [KATAIB], "ASSAULT", start=40),
        event("ev3", [US], [KATAIB], "THREATEN"),
        event("ev4", [KATAIB], [US, IRAQ], "ASSAULT"),
        event("ev5", [MILITIA], [], "PROTEST"),  # no target: a node, no edge
    ]
    network = build_network(events, [], mentions=MENTIONS)
    edges = {(e.source, e.target, e.kind, e.type): e for e in network.edges}
    assert set(edges) == {
        ("e-us", "e-kataib", EVENTS, "ASSAULT"),
        ("e-us", "e-kataib", EVENTS, "THREATEN"),
        ("e-kataib", "e-us", EVENTS, "ASSAULT"),
        ("e-kataib", "e-iraq", EVENTS, "ASSAULT"),
    }
    assault = edges[("e-us", "e-kataib", EVENTS, "ASSAULT")]
    assert (assault.count, assault.records, assault.directed) == (2, ("ev1", "ev2"), True)
    assert [r.span_uuid for r in network.records_of_edge(assault)] == ["ev1", "ev2"]
    # Canonical actors sized by their mentions across the corpus, the unlinked by records.
    sizes = {node.key: node.mentions for node in network.nodes}
    assert sizes == {"e-us": 30, "e-kataib": 12, "e-iraq": 4, "text:milicia": 1}
    assert [node.key for node in network.nodes] == ["e-us", "e-kataib", "e-iraq", "text:milicia"]
    assert network.node("text:milicia").name == "milícia 🚩"
    assert network.node("text:milicia").entity_uuid is None
    assert [r.span_uuid for r in network.records_of_node("e-kataib")] == [
        "ev1",
        "ev2",
        "ev3",
        "ev4",
    ]
    assert [r.span_uuid for r in network.records_of_node("text:milicia")] == ["ev5"]


def test_claims_make_source_to_about_edges_per_stance_coloured_by_stance():
    claims = [
        claim("cl1", [IRAQ], [US], "opposes"),
        claim("cl2", [IRAQ], [US], "opposes"),
        claim("cl3", [IRAQ], [US], "supports"),
        claim("cl4", [KATAIB], [STRIKE], "neutral"),
        claim("cl5", [KATAIB], [US], None),
    ]
    network = build_network([], claims, mentions=MENTIONS)
    edges = {(e.source, e.target, e.type): e for e in network.edges}
    assert all(e.kind == CLAIMS for e in network.edges)
    assert edges[("e-iraq", "e-us", "opposes")].count == 2
    assert edges[("e-iraq", "e-us", "supports")].records == ("cl3",)
    assert network.node("text:the strike").label == "Event"
    colours = {key: edge_colour(e) for key, e in edges.items()}
    assert colours[("e-iraq", "e-us", "supports")] == STANCE_COLOURS["supports"] == "#009E73"
    assert colours[("e-iraq", "e-us", "opposes")] == STANCE_COLOURS["opposes"] == "#D55E00"
    assert colours[("e-kataib", "text:the strike", "neutral")] == "#999999"
    assert colours[("e-kataib", "e-us", None)] == "#999999"


def test_event_type_colours_differ_from_the_stance_colours_and_from_one_another():
    colours = event_type_colours(["ASSAULT", "THREATEN", None, "AID", "ASSAULT"])
    assert list(colours) == ["AID", "ASSAULT", "THREATEN"]
    assert len(set(colours.values())) == 3
    assert not set(colours.values()) & set(STANCE_COLOURS.values())
    edge = Edge("a", "b", EVENTS, "THREATEN", 1, ("x",))
    assert edge_colour(edge, colours) == colours["THREATEN"]


def test_kinds_choose_the_edges_and_the_records():
    events = [event("ev1", [US], [KATAIB])]
    claims = [claim("cl1", [IRAQ], [US], "opposes")]
    only_events = build_network(events, claims, mentions=MENTIONS, kinds=(EVENTS,))
    assert {e.kind for e in only_events.edges} == {EVENTS}
    assert set(only_events.records) == {"ev1"}
    assert only_events.node("e-iraq") is None
    only_claims = build_network(events, claims, mentions=MENTIONS, kinds=(CLAIMS,))
    assert {e.kind for e in only_claims.edges} == {CLAIMS}
    with pytest.raises(ValueError, match="unknown kind of link 'votes'"):
        build_network(events, claims, mentions=MENTIONS, kinds=("votes",))


def test_congruence_links_sources_of_the_same_stance_and_conflict_opposite_ones():
    claims = [
        claim("cl1", [IRAQ], [US], "opposes"),
        claim("cl2", [KATAIB], [US], "opposes"),
        claim("cl3", [MILITIA], [US], "supports"),
        claim("cl4", [IRAQ, KATAIB], [STRIKE], "opposes"),
        claim("cl5", [US], [US], "supports"),  # about itself: no link with itself
    ]
    network = build_network([], claims, mentions=MENTIONS, kinds=(CONGRUENCE, CONFLICT))
    congruent = [e for e in network.edges if e.kind == CONGRUENCE]
    # Iraq and Kataib agree twice: on the US, and on the strike (one claim made by both).
    assert [(e.source, e.target, e.count) for e in congruent] == [("e-iraq", "e-kataib", 3)]
    assert congruent[0].records == ("cl1", "cl2", "cl4")
    assert congruent[0].directed is False
    conflict = {(e.source, e.target): e for e in network.edges if e.kind == CONFLICT}
    assert set(conflict) == {("e-iraq", "text:milicia"), ("e-kataib", "text:milicia")}
    assert conflict[("e-iraq", "text:milicia")].type == "United States"  # what they dispute
    assert conflict[("e-iraq", "text:milicia")].records == ("cl3", "cl1")
    assert edge_colour(congruent[0]) != edge_colour(conflict[("e-iraq", "text:milicia")])


def test_top_keeps_the_most_mentioned_nodes_and_the_edges_among_them():
    events = [
        event("ev1", [US], [KATAIB]),
        event("ev2", [KATAIB], [IRAQ]),
        event("ev3", [MILITIA], [US]),
    ]
    network = build_network(events, [], mentions=MENTIONS, top=2)
    assert [node.key for node in network.nodes] == ["e-us", "e-kataib"]
    assert network.total_nodes == 4
    assert [(e.source, e.target) for e in network.edges] == [("e-us", "e-kataib")]
    assert network.records_of_node("e-iraq") == []
    with pytest.raises(ValueError, match="at least 1, not 0"):
        build_network(events, [], mentions=MENTIONS, top=0)


def _random_network(count: int, edges: int, seed: int) -> Network:
    import random

    rng = random.Random(seed)
    nodes = [Node(f"k{i}", f"actor {i}", None, "Actor", count - i, 1) for i in range(count)]
    links = [
        Edge(f"k{rng.randrange(count)}", f"k{rng.randrange(count)}", EVENTS, "ASSAULT", 1, ())
        for _ in range(edges)
    ]
    return Network(nodes, links, count)


def test_layout_is_the_same_for_a_seed_and_keeps_nodes_apart():
    network = _random_network(300, 900, seed=1)
    first = layout(network, seed=7)
    assert first == layout(network, seed=7)
    assert first != layout(network, seed=8)
    points = list(first.values())
    assert all(math.isfinite(x) and -1 <= x <= 1 and -1 <= y <= 1 for x, y in points)
    # No blow-up and no collapse: the nodes spread over the frame, none on top of another.
    ideal = 2 / math.sqrt(len(points))
    closest = min(math.dist(a, b) for a, b in combinations(points, 2))
    assert closest > 0.05 * ideal
    xs = [x for x, _ in points]
    assert max(xs) - min(xs) > 1.0


def test_layout_of_linked_nodes_puts_them_closer_than_unlinked_ones():
    nodes = [Node(k, k, None, "Actor", 1, 1) for k in "abcdef"]
    edges = [Edge(a, b, EVENTS, None, 5, ()) for a, b in ("ab", "bc", "ca", "de", "ef", "fd")]
    where = layout(Network(nodes, edges, 6), seed=3)
    within = math.dist(where["a"], where["b"])
    across = min(math.dist(where[a], where[b]) for a in "abc" for b in "def")
    assert within < across


@settings(max_examples=25, deadline=None)
@given(count=st.integers(0, 40), links=st.integers(0, 80), seed=st.integers(0, 2**31))
def test_layout_places_every_node_in_the_frame(count, links, seed):
    network = _random_network(count, links if count else 0, seed)
    where = layout(network, seed=seed)
    assert set(where) == {node.key for node in network.nodes}
    assert all(math.isfinite(v) and -1 <= v <= 1 for point in where.values() for v in point)


def test_graphml_round_trips_through_networkx(tmp_path):
    events = [event("ev1", [US], [KATAIB]), event("ev2", [US], [KATAIB], start=9)]
    claims = [claim("cl1", [IRAQ], [MILITIA], "opposes"), claim("cl2", [IRAQ], [US], None)]
    network = build_network(
        events, claims, mentions=MENTIONS, actor_types={"e-us": "state", "e-kataib": None}
    )
    path = tmp_path / "network.graphml"
    write_graphml(network, path)
    graph = nx.read_graphml(path, force_multigraph=True)
    assert graph.is_directed() and graph.is_multigraph()
    assert graph.nodes["e-iraq"]["name"] == "العراق"
    assert graph.nodes["text:milicia"]["name"] == "milícia 🚩"
    assert graph.nodes["text:milicia"]["entity_uuid"] == ""
    assert graph.nodes["e-us"]["mentions"] == 30
    assert graph.nodes["e-us"]["type"] == "state"
    strike = graph.get_edge_data("e-us", "e-kataib")
    assert list(strike) == ["events:ASSAULT"]
    assert list(strike.values()) == [
        {
            "kind": "events",
            "type": "ASSAULT",
            "count": 2,
            "directed": True,
            "records": "ev1 ev2",
        }
    ]
    said = list(graph.get_edge_data("e-iraq", "text:milicia").values())
    assert [(d["kind"], d["type"], d["count"]) for d in said] == [("claims", "opposes", 1)]
    assert [(d["type"]) for d in graph.get_edge_data("e-iraq", "e-us").values()] == [""]


# --- the seed corpus, through the loaders ----------------------------------------------------


def test_the_network_of_the_seed_corpus(store, corpus, tmp_path):
    actors = tag_seed_records(store, corpus)
    us, saadi = actors["United States"], actors["Abu Baqir al-Saadi"]
    network = load_network(store)
    edges = {(e.source, e.target, e.kind, e.type): e for e in network.edges}
    # Three articles report the strike that killed al-Saadi, each in its own spelling.
    strike = edges[(us, saadi, EVENTS, "ASSAULT")]
    assert strike.count == 3
    assert len({record.document_id for record in network.records_of_edge(strike)}) == 3
    assert network.node(saadi).name == "Abu Baqir al-Saadi"
    assert network.node(us).mentions == max(node.mentions for node in network.nodes)
    assert network.node(us).type == "state"
    said = edges[(actors["Yahya Rasool"], us, CLAIMS, "opposes")]
    assert [record.text[:8] for record in network.records_of_edge(said)] == ["Repeated"]
    # A claim about an event links to that event.
    about_events = [e for e in network.edges if network.node(e.target).label == "Event"]
    assert {(e.type, network.node(e.source).name) for e in about_events} == {
        ("opposes", "Islamic Resistance in Iraq"),
        ("supports", "Pentagon"),
    }
    # Filters go to the loaders: event types and stances apart.
    threats = load_network(
        store, events=RecordFilter(types=("THREATEN",)), claims=RecordFilter(types=("supports",))
    )
    assert {(e.kind, e.type) for e in threats.edges} == {(EVENTS, "THREATEN"), (CLAIMS, "supports")}
    since = load_network(store, events=RecordFilter(since=date(2024, 1, 1)), kinds=(EVENTS,))
    assert all(r.first_day.year == 2024 for e in since.edges for r in since.records_of_edge(e))
    assert (us, actors["Qasem Soleimani"], EVENTS, "ASSAULT") not in {
        (e.source, e.target, e.kind, e.type) for e in since.edges
    }
    path = tmp_path / "seed.graphml"
    write_graphml(network, path)
    graph = nx.read_graphml(path, force_multigraph=True)
    assert graph.number_of_edges() == len(network.edges)
    assert graph.nodes[saadi]["name"] == "Abu Baqir al-Saadi"
    written = graph.get_edge_data(us, saadi)["events:ASSAULT"]["records"].split()
    assert sorted(written) == sorted(r.span_uuid for r in network.records_of_edge(strike))


# --- read from the database's links, against built from the records ------------------------


def same_network(store, *, events=RecordFilter(), claims=RecordFilter(), kinds, top=None):
    """The network load_network reads equals the one build_network makes of the records the
    loaders read with the same filters: nodes, their order, edges, counts and records."""
    read = load_network(store, events=events, claims=claims, kinds=kinds, top=top)
    mentions, types = actor_sizes(store)
    built = build_network(
        load_events(store, events) if EVENTS in kinds else [],
        load_claims(store, claims) if set(kinds) - {EVENTS} else [],
        mentions=mentions,
        kinds=kinds,
        top=top,
        actor_types=types,
    )
    assert read.nodes == built.nodes
    assert read.total_nodes == built.total_nodes
    assert read.record_count() == built.record_count()

    def fields(edge):
        return edge.source, edge.target, edge.kind, edge.type, edge.count

    assert [fields(e) for e in read.edges] == [fields(e) for e in built.edges]
    for mine, theirs in zip(read.edges, built.edges, strict=True):
        records = [r.span_uuid for r in read.records_of_edge(mine)]
        if mine.directed:
            assert records == list(theirs.records)
        else:  # the claims that link two sources: in record order, where build_network
            # lists one source's and then the other's
            assert sorted(records) == sorted(set(theirs.records))
    for node in read.nodes:
        assert read.records_of_node(node.key) == built.records_of_node(node.key)
    # what the view draws and explains, from the columns, as from the built list
    assert read.link_types() == built.link_types() == {(e.kind, e.type) for e in built.edges}
    for limit in (1, 2, 5, len(built.edges) + 1):
        assert [fields(e) for e in read.strongest_edges(limit)] == [
            fields(e) for e in built.strongest_edges(limit)
        ]
    assert all(
        sorted(set(mine)) == sorted(set(theirs))
        for mine, theirs in zip(read.edge_uuids(), built.edge_uuids(), strict=True)
    )
    return read


@pytest.mark.parametrize("kinds", [(EVENTS, CLAIMS), (CONGRUENCE, CONFLICT), (EVENTS,)])
def test_the_network_read_from_links_equals_the_one_built_from_records(store, corpus, kinds):
    tag_seed_records(store, corpus)
    network = same_network(store, kinds=kinds)
    assert network.edges
    for top in (1, 3):
        same_network(store, kinds=kinds, top=top)
    threats = RecordFilter(types=("THREATEN",))
    same_network(store, events=threats, claims=RecordFilter(types=("opposes",)), kinds=kinds)
    dated = RecordFilter(since=date(2024, 1, 1), until=date(2024, 2, 10), undated=False)
    same_network(store, events=dated, claims=dated, kinds=kinds)
    iran = RecordFilter(outlets=("Iran International",))
    same_network(store, events=iran, claims=iran, kinds=kinds)
    nowhere = RecordFilter(outlets=("",), annotators=("nobody",))
    assert load_network(store, events=nowhere, claims=nowhere, kinds=kinds).nodes == []


UNLINKED = ("Katáib", "kataib", "Kata’ib", "milícia 🚩", "MILÍCIA 🚩", "الحشد")
DATES = ("2024-02-07", "2024-W05", "2024-02", "2023", "2019-12-31", None)


def generated_project(store, tmp_path, seed: int = 5, articles: int = 30) -> None:
    """A project made up at random, with what the seed corpus lacks: two annotators,
    suggested spans, unlinked actors written several ways (diacritics, apostrophes, case,
    right-to-left, an emoji), dates of every precision, from a time link or none at all,
    attributed_to in place of source, and documents of no outlet."""
    import random
    import uuid as uuids

    import orjson

    from desktop.formats import import_paths

    rng = random.Random(seed)
    entities = [
        {"type": "entity", "uuid": str(uuids.UUID(int=rng.getrandbits(128))), "name": name}
        for name in ("Kata’ib Hezbollah", "United States", "العراق", "Iran")
    ]
    lines = [{"type": "annotator", "name": name} for name in ("ana", "bo")] + entities
    lines += [_generated_document(rng, number, entities) for number in range(articles)]
    path = tmp_path / "generated.jsonl"
    path.write_bytes(
        b"\n".join(orjson.dumps({k: v for k, v in line.items() if v is not None}) for line in lines)
        + b"\n"
    )
    import_paths(store, [path])


def _generated_document(rng, number: int, entities: list[dict]) -> dict:
    import uuid as uuids

    words = [rng.choice((*UNLINKED, "strike", "talks", "said")) for _ in range(60)]
    text = " ".join(words) + " 🙂\r\nend"
    offsets, at = [], 0
    for word in words:
        offsets.append((at, at + len(word)))
        at += len(word) + 1
    spans, relations = [], []
    places = iter(rng.sample(range(len(words)), len(words)))

    def span(label, **more):
        start, end = offsets[next(places)]
        record = {
            "uuid": str(uuids.uuid4()),
            "label": label,
            "start": start,
            "end": end,
            "text": text[start:end],
            "annotator": rng.choice(("ana", "bo")),
            "status": rng.choice(("accepted", "accepted", "accepted", "suggested")),
        }
        record.update(more)
        spans.append(record)
        return record

    def actor():
        if rng.random() < 0.5:
            return span("Actor", entity=rng.choice(entities)["uuid"])
        return span("Actor")

    def link(kind, head, tail):
        relations.append(
            {
                "uuid": str(uuids.uuid4()),
                "type": kind,
                "head": head["uuid"],
                "tail": tail["uuid"],
                "annotator": head["annotator"],
            }
        )

    made = []
    for _ in range(6):
        attributes = (
            {"type": rng.choice(("ASSAULT", "THREATEN", "AID"))} if rng.random() < 0.9 else {}
        )
        written = rng.choice(DATES)
        if written is not None:
            attributes["date"] = written
        event = span("Event", attributes=attributes)
        made.append(event)
        if written is None and rng.random() < 0.5:
            link("time", event, span("Time"))
        for kind in ("agent", "target"):
            for _ in range(rng.choice((0, 1, 1, 2))):
                link(kind, event, actor())
    for _ in range(4):
        stance = rng.choice(("supports", "opposes", "neutral", None))
        claim = span("Claim", attributes={"stance": stance} if stance else {})
        for _ in range(rng.choice((1, 1, 2))):
            link(rng.choice(("source", "source", "attributed_to")), claim, actor())
        link("about", claim, rng.choice(made) if rng.random() < 0.3 else actor())
    return {
        "type": "document",
        "title": f"Dispatch {number}",
        "text": text,
        "source": rng.choice(("Outlet A", "Outlet B", None)),
        "published": rng.choice(("2024-02-08", "2023-05", "2020-01-03T10:00:00", None)),
        "spans": spans,
        "relations": relations,
    }


def test_the_network_read_from_links_equals_the_built_one_on_a_generated_project(store, tmp_path):
    generated_project(store, tmp_path)
    kinds = (EVENTS, CLAIMS, CONGRUENCE, CONFLICT)
    whole = same_network(store, kinds=kinds)
    assert any(node.entity_uuid is None for node in whole.nodes)
    assert {e.kind for e in whole.edges} == set(kinds)
    same_network(store, kinds=kinds, top=4)
    for flt in (
        RecordFilter(types=("ASSAULT", "opposes")),
        RecordFilter(outlets=("Outlet A", "")),
        RecordFilter(since=date(2024, 1, 29), until=date(2024, 2, 7), undated=False),
        RecordFilter(until=date(2023, 12, 31)),
        RecordFilter(annotators=("bo",)),
        RecordFilter(statuses=("accepted", "suggested")),
        RecordFilter(annotators=("ana",), outlets=("Outlet B",), since=date(2023, 1, 1)),
    ):
        same_network(store, events=flt, claims=flt, kinds=kinds)


# --- the edges made on demand, and circles moved apart -----------------------------------------


def test_an_edge_table_makes_each_edge_when_asked_and_the_same_ones_when_iterated(store, corpus):
    tag_seed_records(store, corpus)
    network = load_network(store, kinds=(EVENTS, CLAIMS, CONGRUENCE, CONFLICT))
    edges = network.edges
    assert isinstance(edges, EdgeTable)
    count = len(edges)
    assert count > 3
    last, first = edges[-1], edges[0]  # made one at a time, before any iteration
    assert edges[count - 1] is last
    made = list(edges)
    assert made[0] is first and made[-1] is last
    assert edges[1:3] == made[1:3]
    assert edges == made and made == list(edges)
    assert {EVENTS, CLAIMS, CONGRUENCE} <= {e.kind for e in made}  # columns of several blocks
    for edge in made:
        assert network.records_of_edge(edge)  # each edge finds its records by its slot
    with pytest.raises(IndexError):
        edges[count]
    strongest = network.strongest_edges(3)
    assert strongest == sorted(made, key=lambda e: -e.count)[:3]
    assert network.strongest_edges(0) == []


def test_an_empty_network_has_no_edges_to_draw(memory_store):
    network = load_network(memory_store)
    assert len(network.edges) == 0 and list(network.edges) == []
    assert network.strongest_edges(10) == [] and network.link_types() == set()


def _separated_pair_by_pair(points, radii, gap, rounds=60):
    """Circles moved apart looking at every pair every round: what separate() must equal."""
    import numpy as np

    position = np.asarray(points, dtype=np.float64).copy()
    radius = np.asarray(radii, dtype=np.float64)
    wanted = radius[:, None] + radius[None, :] + gap
    np.fill_diagonal(wanted, 0.0)
    rng = np.random.default_rng(0)
    for _ in range(rounds):
        dx = position[:, 0:1] - position[:, 0]
        dy = position[:, 1:2] - position[:, 1]
        distance = np.sqrt(dx * dx + dy * dy)
        short = np.maximum(wanted - distance, 0.0)
        if not short.any():
            break
        same = distance < 1e-9
        np.fill_diagonal(same, False)
        if same.any():
            jitter = rng.normal(size=(2, int(same.sum())))
            dx[same], dy[same] = jitter
            distance[same] = np.hypot(*jitter)
        share = short / (2 * np.maximum(distance, 1e-9))
        position[:, 0] += (dx * share).sum(axis=1)
        position[:, 1] += (dy * share).sum(axis=1)
    return position


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-300, 300),
            st.floats(-300, 300),
            st.floats(1, 30),
        ),
        min_size=2,
        max_size=40,
    ),
    st.floats(0, 50),
    st.integers(0, 5),
)
def test_separate_pushes_only_near_pairs_yet_matches_every_pair_pushed(circles, gap, twins):
    points = [(x, y) for x, y, _ in circles]
    for i in range(1, min(twins, len(points))):
        points[i] = points[0]  # circles on one spot part in a seeded direction
    radii = [r for *_, r in circles]
    moved = separate(points, radii, gap=gap)
    expected = _separated_pair_by_pair(points, radii, gap)
    for (x, y), (ex, ey) in zip(moved, expected.tolist(), strict=True):
        assert math.isclose(x, ex, abs_tol=1e-6) and math.isclose(y, ey, abs_tol=1e-6)


def test_separate_leaves_no_two_circles_overlapping():
    points = [(float(i % 7), float(i // 7)) for i in range(49)]  # a tight grid of big circles
    radii = [10.0 + i % 5 for i in range(49)]
    moved = separate(points, radii, gap=4.0, rounds=400)
    for (a, ra), (b, rb) in combinations(zip(moved, radii, strict=True), 2):
        assert math.dist(a, b) >= ra + rb + 4.0 - 1e-3
