"""GraphML: actors as nodes, events and claims as edges, read back with networkx and
checked as Gephi reads GraphML (every attribute declared as a key, typed, no empty values)."""

from __future__ import annotations

import networkx as nx
import pytest
from lxml import etree

from db.records import ExportFilter, ImportBatch, NewDocument
from desktop.formats import ExportOptions, export_project

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
ARTICLE = (
    "Kataib Hezbollah and Harakat al-Nujaba shelled a US base near Erbil on Monday. "
    "The Pentagon said KH was behind the attack; the  pentagon also blamed Iran. "
    "Militias later struck again. Protesters were dispersed. Tehran denied\x0bany role."
)


def build(store):
    """One article, tagged by dana with the default schema; returns the spans by name."""
    store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=ARTICLE, title="Strike near Erbil", source="AFP", published="2024-02-05"
                )
            ]
        )
    )
    [document_id] = store.document_ids()
    dana = store.ensure_annotator("dana")
    label = {name: store.label_by_name(name).id for name in ("Claim", "Actor", "Event")}
    khez = store.add_entity("Kataib Hezbollah", label="Actor", aliases=["KH"], type="armed group")

    def add(name, fragment, **fields):
        start = ARTICLE.index(fragment)
        return store.add_span(
            document_id, label[name], dana.id, start, start + len(fragment), **fields
        )

    spans = {
        "kh": add("Actor", "Kataib Hezbollah", entity_uuid=khez.uuid),
        "kh2": add("Actor", "KH", entity_uuid=khez.uuid),
        "nujaba": add("Actor", "Harakat al-Nujaba"),
        "base": add("Actor", "a US base"),
        "pentagon": add("Actor", "The Pentagon"),
        "pentagon2": add("Actor", "the  pentagon"),
        "iran": add("Actor", "Iran"),
        "militias": add("Actor", "Militias"),
        "protesters": add("Actor", "Protesters"),
        "tehran": add("Actor", "Tehran"),
        "shelling": add(
            "Event",
            "shelled",
            attributes={"type": "ASSAULT", "date": "2024-02-05", "fatalities": 3},
        ),
        "strike": add("Event", "struck again", attributes={"date": "2024-02"}),
        "dispersal": add("Event", "dispersed", attributes={"type": "COERCE"}),
        "claim": add(
            "Claim",
            "KH was behind the attack",
            attributes={"stance": "supports", "certainty": "asserted"},
        ),
        "blame": add("Claim", "also blamed Iran"),
        "denial": add("Claim", "denied\x0bany role", attributes={"certainty": "denied"}),
        "suggested": add("Event", "near Erbil", status="suggested", origin="model"),
    }
    for head, tail, kind in (
        ("shelling", "kh", "agent"),
        ("shelling", "nujaba", "agent"),
        ("shelling", "base", "target"),
        ("strike", "militias", "agent"),
        ("dispersal", "protesters", "target"),
        ("claim", "pentagon", "source"),
        ("claim", "kh2", "about"),
        ("claim", "shelling", "about"),
        ("blame", "pentagon2", "attributed_to"),  # the older name of a claim's source
        ("blame", "iran", "about"),
        ("denial", "tehran", "source"),
        ("suggested", "base", "target"),
    ):
        store.add_relation(spans[head].uuid, spans[tail].uuid, kind, dana.id)
    return spans, khez


@pytest.fixture
def exported(memory_store, tmp_path):
    spans, entity = build(memory_store)
    out = tmp_path / "network.graphml"
    report = export_project(memory_store, "graphml", out)
    return out, spans, entity, report


def edges(graph, kind):
    return {
        (head, tail, data.get("event") or data.get("claim")): data
        for head, tail, data in graph.edges(data=True)
        if data["kind"] == kind
    }


def test_actors_are_nodes_one_per_entity_or_per_text(exported):
    out, spans, entity, _ = exported
    graph = nx.read_graphml(out, force_multigraph=True)
    assert isinstance(graph, nx.MultiDiGraph)
    actors = {node: data for node, data in graph.nodes(data=True) if data["kind"] == "actor"}
    # a canonical actor: its uuid is the node's id, and the node says it is canonical
    assert actors[entity.uuid] == {
        "label": "Kataib Hezbollah",
        "kind": "actor",
        "mentions": 2,
        "canonical": True,
        "aliases": "KH",
        "actor_type": "armed group",
    }
    # "The Pentagon" and "the  pentagon" are one actor: case and whitespace do not count
    assert actors["actor:the pentagon"] == {
        "label": "The Pentagon",
        "kind": "actor",
        "mentions": 2,
        "canonical": False,
    }
    assert set(actors) == {
        entity.uuid,
        "actor:harakat al-nujaba",
        "actor:a us base",
        "actor:the pentagon",
        "actor:iran",
        "actor:militias",
        "actor:protesters",
        "actor:tehran",
    }


def test_events_are_edges_from_agents_to_targets(exported):
    out, spans, entity, _ = exported
    graph = nx.read_graphml(out, force_multigraph=True)
    shelling = spans["shelling"].uuid
    events = edges(graph, "event")
    both = {
        "kind": "event",
        "label": "ASSAULT",
        "type": "ASSAULT",
        "date": "2024-02-05",
        "date_precision": "day",
        "fatalities": 3,
        "event": shelling,
        "document": "Strike near Erbil",
        "evidence": "shelled",
        "annotator": "dana",
    }
    assert events[(entity.uuid, "actor:a us base", shelling)] == both
    assert events[("actor:harakat al-nujaba", "actor:a us base", shelling)] == both
    # agents but no target: the event's own node stands in for the target
    strike = spans["strike"].uuid
    assert graph.nodes[f"event:{strike}"] == {
        "label": "struck again",
        "kind": "event",
        "event": strike,
        "date": "2024-02",
        "date_precision": "month",
        "document": "Strike near Erbil",
        "annotator": "dana",
    }
    assert "type" not in events[("actor:militias", f"event:{strike}", strike)]  # left out
    # a target but no agent: the event's node is the agent
    dispersal = spans["dispersal"].uuid
    assert events[(f"event:{dispersal}", "actor:protesters", dispersal)]["type"] == "COERCE"
    assert len(events) == 4  # the suggested event stays out


def test_claims_are_edges_from_source_to_what_they_are_about(exported):
    out, spans, entity, report = exported
    graph = nx.read_graphml(out, force_multigraph=True)
    claims = edges(graph, "claim")
    claim, shelling = spans["claim"].uuid, spans["shelling"].uuid
    fields = {
        "kind": "claim",
        "label": "supports",
        "stance": "supports",
        "certainty": "asserted",
        "claim": claim,
        "text": "KH was behind the attack",
        "document": "Strike near Erbil",
        "annotator": "dana",
    }
    assert claims[("actor:the pentagon", entity.uuid, claim)] == fields
    # about an event: the edge ends at the event's node
    assert claims[("actor:the pentagon", f"event:{shelling}", claim)] == fields
    assert graph.nodes[f"event:{shelling}"]["type"] == "ASSAULT"
    blame = spans["blame"].uuid
    assert claims[("actor:the pentagon", "actor:iran", blame)]["label"] == "claim"
    # a source but nothing it is about: the claim's node stands in for it
    denial = spans["denial"].uuid
    edge = claims[("actor:tehran", f"claim:{denial}", denial)]
    assert edge["text"] == "denied\ufffdany role"  # XML 1.0 holds no vertical tab
    assert graph.nodes[f"claim:{denial}"]["kind"] == "claim"
    assert report.adjusted == {"characters XML cannot hold, written as U+FFFD": 2}
    assert len(claims) == 4


def test_the_file_is_what_gephi_reads(exported):
    """Gephi needs every data key declared (for, name, type), a directed default, unique
    edge ids and no empty values."""
    out, *_ = exported
    root = etree.parse(str(out)).getroot()
    assert root.tag == f"{GRAPHML}graphml"
    keys = {key.get("id"): key for key in root.iter(f"{GRAPHML}key")}
    assert all(key.get("attr.name") and key.get("attr.type") for key in keys.values())
    [graph] = root.iter(f"{GRAPHML}graph")
    assert graph.get("edgedefault") == "directed"
    used = set()
    for element in (*root.iter(f"{GRAPHML}node"), *root.iter(f"{GRAPHML}edge")):
        scope = element.tag.removeprefix(GRAPHML)
        for data in element.iter(f"{GRAPHML}data"):
            assert data.get("key") in keys
            assert keys[data.get("key")].get("for") == scope
            assert data.text not in (None, "", "None")
            used.add((scope, keys[data.get("key")].get("attr.name")))
    assert {
        ("node", "label"),
        ("node", "kind"),
        ("node", "mentions"),
        ("node", "canonical"),
    } <= used
    assert {("edge", name) for name in ("kind", "type", "date", "event", "stance", "claim")} <= used
    ids = [edge.get("id") for edge in root.iter(f"{GRAPHML}edge")]
    assert len(ids) == len(set(ids)) == 8
    types = {key.get("attr.name"): key.get("attr.type") for key in keys.values()}
    assert types["mentions"] in ("int", "long") and types["label"] == "string"
    assert types["canonical"] == "boolean"
    assert set(types.values()) <= {"boolean", "int", "long", "float", "double", "string"}


def test_one_annotator_and_an_export_that_fails_leaves_nothing(memory_store, tmp_path):
    build(memory_store)
    other = memory_store.ensure_annotator("eve")
    out = tmp_path / "network.graphml"
    export_project(
        memory_store, "graphml", out, ExportOptions(filter=ExportFilter(annotators=("eve",)))
    )
    assert (
        other.name == "eve" and nx.read_graphml(out, force_multigraph=True).number_of_nodes() == 0
    )
    with pytest.raises(ValueError, match="--label does not apply"):
        export_project(
            memory_store, "graphml", out, ExportOptions(filter=ExportFilter(labels=("Event",)))
        )
    assert [p.name for p in tmp_path.iterdir()] == ["network.graphml"]


def test_an_attribute_keeps_one_type_so_gephi_sees_one_column(memory_store, tmp_path):
    memory_store.import_batch(ImportBatch(documents=[NewDocument(text="Two raids, one blast.")]))
    [document_id] = memory_store.document_ids()
    dana = memory_store.ensure_annotator("dana")
    event = memory_store.label_by_name("Event").id
    memory_store.add_span(document_id, event, dana.id, 0, 9, attributes={"fatalities": 2})
    memory_store.add_span(document_id, event, dana.id, 11, 20, attributes={"fatalities": 0.5})
    out = tmp_path / "network.graphml"
    export_project(memory_store, "graphml", out)
    root = etree.parse(str(out)).getroot()
    keys = [k for k in root.iter(f"{GRAPHML}key") if k.get("attr.name") == "fatalities"]
    assert [(k.get("for"), k.get("attr.type")) for k in keys] == [("node", "double")]
    graph = nx.read_graphml(out, force_multigraph=True)
    assert sorted(d["fatalities"] for _, d in graph.nodes(data=True)) == [0.5, 2.0]
