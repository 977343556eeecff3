"""Label schemas on SQLite and PostgreSQL: the defaults, every refusal (which leaves the
database as it was), schema changes with recoding and their undo, renamed targets,
one-only and many relations, and properties of the relation and span commands."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, select

from db.records import ImportBatch, NewDocument, NewRelation, NewSpan
from db.schema import (
    AttributeSpec,
    LabelSchema,
    RelationSpec,
    SchemaError,
    date_precision,
    default_schemas,
    removed_values,
)
from db.store import SchemaInUseError, SpanError, Store, StoreError, content_hash
from desktop.commands import AddRelation, ChangeLabelSchema, DeleteRelation, DeleteSpans

TEXT = (
    "Kataib Hezbollah said the strike on Jurf al-Sakhar 👍🏽 killed 3.\r\n"
    "العراق denied it; the US blamed Kataib Hezbollah."
)


EVENT_AT = TEXT.index("killed")


def dump(store: Store) -> dict[str, list[str]]:
    """Every row of every table, read without the store's code: to check that a refused
    write changed nothing at all."""
    metadata = MetaData()
    metadata.reflect(bind=store.engine)
    with store.engine.connect() as connection:
        return {
            name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for name, table in metadata.tables.items()
            if name != "alembic_version"
        }


@dataclass
class Project:
    store: Store
    document_id: int
    other_document_id: int
    me: int
    claim: object
    claim2: object
    actor: object
    actor2: object
    event: object
    iraq: object

    def label(self, name: str):
        return self.store.label_by_name(name)


def span_at(store, document_id, annotator_id, label, piece, nth=0, **fields):
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(piece, start + 1)
    return store.add_span(
        document_id,
        store.label_by_name(label).id,
        annotator_id,
        start,
        start + len(piece),
        **fields,
    )


def make_project(store: Store) -> Project:
    """The project of these tests: made on first use, found again in a store that has it
    (hypothesis runs many examples on one store)."""
    if store.document_count():
        document_id = store.document_by_hash(content_hash(TEXT)).id
        other = store.document_by_hash(content_hash("Other.")).id
        found = {(s.label, s.text): s for s in store.spans(document_id)}
        return Project(
            store,
            document_id,
            other,
            store.ensure_annotator("me").id,
            claim=found["Claim", "said the strike"],
            claim2=found["Claim", "denied it"],
            actor=found["Actor", "Kataib Hezbollah"],
            actor2=found["Actor", "the US"],
            event=found["Event", "strike"],
            iraq=found["Actor", "العراق"],
        )
    summary = store.import_batch(
        ImportBatch(documents=[NewDocument(text=TEXT, title="a"), NewDocument(text="Other.")])
    )
    document_id, other = summary.document_ids
    me = store.ensure_annotator("me").id
    return Project(
        store,
        document_id,
        other,
        me,
        claim=span_at(
            store, document_id, me, "Claim", "said the strike", attributes={"stance": "neutral"}
        ),
        claim2=span_at(
            store, document_id, me, "Claim", "denied it", attributes={"stance": "neutral"}
        ),
        actor=span_at(store, document_id, me, "Actor", "Kataib Hezbollah"),
        actor2=span_at(store, document_id, me, "Actor", "the US", attributes={"type": "state"}),
        event=span_at(
            store,
            document_id,
            me,
            "Event",
            "strike",
            attributes={"type": "ASSAULT", "date": "2024-W05", "fatalities": 3},
        ),
        iraq=span_at(store, document_id, me, "Actor", "العراق"),
    )


@pytest.fixture
def project(store) -> Project:
    return make_project(store)


# --- the schema itself ---------------------------------------------------------------------


def test_a_new_project_gives_claim_actor_and_event_their_default_schemas(store):
    labels = {label.name: label.schema for label in store.labels()}
    assert labels == default_schemas()
    claim, actor, event = labels["Claim"], labels["Actor"], labels["Event"]
    assert [a.name for a in claim.attributes] == ["stance", "certainty"]
    assert claim.attribute("stance").values == ("supports", "opposes", "neutral")
    source = claim.relation("source")
    assert (source.targets, source.many, source.required, source.key) == (
        ("Actor",),
        False,
        True,
        "S",
    )
    assert claim.relation("about").targets == ("Actor", "Event") and claim.relation("about").many
    assert actor.attribute("type").kind == "choice" and not actor.relations
    assert [(a.name, a.kind, a.required) for a in event.attributes] == [
        ("type", "choice", True),
        ("date", "date", True),
        ("location", "text", False),
        ("fatalities", "number", False),
    ]
    assert len(event.attribute("type").values) == 16
    assert [(r.type, r.targets, r.many) for r in event.relations] == [
        ("agent", ("Actor",), True),
        ("target", ("Actor",), True),
        ("location", (), False),
    ]
    assert {r.key for schema in labels.values() for r in schema.relations} == {
        "S",
        "B",
        "G",
        "T",
        "L",
    }


def test_an_added_label_has_an_empty_schema_that_writes_as_an_empty_object(store):
    label = store.add_label("Location")
    assert label.schema == LabelSchema() and not label.schema
    assert label.schema.to_json() == {}
    assert LabelSchema.from_json({}) == LabelSchema.from_json(None) == LabelSchema()


@pytest.mark.parametrize(
    ("value", "precision"),
    [
        ("2024-02-03", "day"),
        ("2024-02-29", "day"),
        ("2024-W05", "week"),
        ("2020-W53", "week"),
        ("2026-W53", "week"),
        ("2024-02", "month"),
        ("2024", "year"),
        ("2024-02-30", None),
        ("2023-02-29", None),
        ("2024-13-01", None),
        ("2024-00", None),
        ("2024-13", None),
        ("2024-W54", None),
        ("2024-W53", None),  # 2024 has 52 ISO weeks
        ("2024-W00", None),
        ("0000", None),
        ("2024-2-3", None),
        ("2024-W5", None),
        ("20240203", None),
        ("2024-02-03T10:00", None),
        ("2024-02-03 ", None),
        (" 2024", None),
        ("٢٠٢٤", None),  # Arabic-Indic digits are no ISO date
        ("٢٠٢٤-٠٢", None),
        ("2024-w05", None),
        ("", None),
        ("yesterday", None),
    ],
)
def test_date_precision(value, precision):
    assert date_precision(value) == precision


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (LabelSchema((AttributeSpec(" "),)), "needs a name"),
        (LabelSchema((AttributeSpec("a"), AttributeSpec("a"))), "two attributes"),
        (LabelSchema((AttributeSpec("a", "colour"),)), "unknown kind 'colour'"),
        (LabelSchema((AttributeSpec("a", "choice"),)), "needs its values"),
        (LabelSchema((AttributeSpec("a", "text", ("x",)),)), "only a choice"),
        (LabelSchema((AttributeSpec("a", "choice", ("x", "x")),)), "listed twice"),
        (LabelSchema(relations=(RelationSpec(""),)), "needs a type"),
        (LabelSchema(relations=(RelationSpec("r"), RelationSpec("r"))), "two relations"),
        (LabelSchema(relations=(RelationSpec("r", key="SS"),)), "one letter"),
        (LabelSchema(relations=(RelationSpec("r", key="1"),)), "one letter"),
        (LabelSchema(relations=(RelationSpec("r", key="f"),)), "Alt\\+F opens a menu"),
        (
            LabelSchema(relations=(RelationSpec("r", key="s"), RelationSpec("q", key="S"))),
            "key 'S'",
        ),
    ],
)
def test_a_schema_that_contradicts_itself_is_refused(schema, message, store):
    with pytest.raises(SchemaError, match=message):
        schema.check()
    before = dump(store)
    with pytest.raises(StoreError, match=message):
        store.set_label_schema(store.label_by_name("Claim").id, schema)
    assert dump(store) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "is an object"),
        ({"attributes": [], "extra": 1}, "no field 'extra'"),
        ({"attributes": {}}, "are a list"),
        ({"attributes": [{"kind": "text"}]}, "with a 'name'"),
        ({"attributes": [{"name": "a", "colour": 1}]}, "no field 'colour'"),
        ({"attributes": [{"name": "a", "required": "yes"}]}, "'required' should be bool"),
        ({"attributes": [{"name": "a", "required": None}]}, "'required' should be bool"),
        ({"attributes": [{"name": "a", "kind": "choice", "values": [1]}]}, "list of strings"),
        ({"relations": [{"type": "r", "many": 1}]}, "'many' should be bool"),
        ({"relations": [{"type": "r", "targets": "Actor"}]}, "list of strings"),
        ({"relations": [{"type": "r", "key": 5}]}, "'key' should be str"),
        ({"relations": [{"targets": []}]}, "with a 'type'"),
        ({"attributes": [{"name": "a", "kind": "choice"}]}, "needs its values"),
    ],
)
def test_from_json_names_what_is_wrong(data, message):
    with pytest.raises(SchemaError, match=message):
        LabelSchema.from_json(data)


def test_from_json_fills_in_defaults():
    schema = LabelSchema.from_json(
        {"attributes": [{"name": "a"}], "relations": [{"type": "r", "key": None}]}
    )
    assert schema == LabelSchema((AttributeSpec("a"),), (RelationSpec("r"),))
    assert LabelSchema.from_json(schema.to_json()) == schema


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("stance", "supports", True),
        ("stance", "Supports", False),
        ("stance", ["supports"], False),
        ("stance", None, True),
        ("type", "ASSAULT", True),
        ("type", "assault", False),
        ("date", "2024-W05", True),
        ("date", "2024-02-30", False),
        ("date", 2024, False),
        ("location", "Baghdad", True),
        ("location", 3, False),
        ("fatalities", 3, True),
        ("fatalities", 2.5, True),
        ("fatalities", True, False),
        ("fatalities", "3", False),
        ("free", {"any": "thing"}, True),  # undeclared attributes are free
    ],
)
def test_check_value(name, value, ok):
    schemas = default_schemas()
    schema = LabelSchema(
        schemas["Event"].attributes + schemas["Claim"].attributes[:1]
    ).with_attribute(AttributeSpec("done", "yesno"))
    if ok:
        schema.check_value(name, value)
    else:
        with pytest.raises(SchemaError, match=name):
            schema.check_value(name, value)
    with pytest.raises(SchemaError, match="true or false"):
        schema.check_value("done", 1)
    schema.check_value("done", False)


def test_a_long_choice_list_is_summarised_in_the_message():
    event = default_schemas()["Event"]
    with pytest.raises(SchemaError, match="is not one of its 16 choices"):
        event.check_value("type", "RIOT")
    with pytest.raises(SchemaError, match="supports, opposes, neutral"):
        default_schemas()["Claim"].check_value("stance", "maybe")


def test_missing_names_required_attributes_then_required_relations_in_schema_order():
    event = default_schemas()["Event"]
    assert event.missing({}, []) == ["type", "date"]
    assert event.missing({"type": "AID", "date": ""}, ["agent"]) == ["date"]
    assert event.missing({"type": "AID", "date": "2024"}, []) == []
    claim = default_schemas()["Claim"]
    assert claim.missing({}, ["about"]) == ["source"]
    assert claim.missing({}, ["source", "about"]) == []


def test_with_attribute_and_with_relation_replace_in_place_or_insert():
    schema = LabelSchema((AttributeSpec("a"), AttributeSpec("b"), AttributeSpec("c")))
    replaced = schema.with_attribute(AttributeSpec("b", "number"))
    assert [(a.name, a.kind) for a in replaced.attributes] == [
        ("a", "text"),
        ("b", "number"),
        ("c", "text"),
    ]
    assert [a.name for a in schema.with_attribute(AttributeSpec("d")).attributes] == [
        "a",
        "b",
        "c",
        "d",
    ]
    assert [a.name for a in schema.with_attribute(AttributeSpec("d"), 0).attributes] == [
        "d",
        "a",
        "b",
        "c",
    ]
    moved = schema.with_attribute(AttributeSpec("c", "date"), 0)
    assert [(a.name, a.kind) for a in moved.attributes] == [
        ("c", "date"),
        ("a", "text"),
        ("b", "text"),
    ]
    related = schema.with_relation(RelationSpec("r")).with_relation(RelationSpec("r", many=True))
    assert related.relations == (RelationSpec("r", many=True),)
    assert schema.attributes == (AttributeSpec("a"), AttributeSpec("b"), AttributeSpec("c"))


def test_removed_values():
    claim = default_schemas()["Claim"]
    stance = claim.attribute("stance")
    fewer = claim.with_attribute(AttributeSpec("stance", "choice", ("supports", "opposes")))
    assert removed_values(claim, fewer) == {"stance": {"neutral"}}
    assert removed_values(claim, LabelSchema()) == {"stance": None, "certainty": None}
    assert removed_values(claim, claim.with_attribute(AttributeSpec("stance", "text"))) == {
        "stance": None
    }
    more = claim.with_attribute(AttributeSpec("stance", "choice", (*stance.values, "mixed")))
    assert removed_values(claim, more) == {}


# --- every refusal leaves the database as it was ---------------------------------------------


def test_spans_with_values_outside_the_schema_are_refused_and_nothing_changes(project):
    store, p = project.store, project
    before = dump(store)
    event = p.label("Event").id
    with pytest.raises(SpanError, match="Event: type 'RIOT'"):
        store.add_span(p.document_id, event, p.me, 0, 6, attributes={"type": "RIOT"})
    with pytest.raises(SpanError, match="date '2024-02-30' is not an ISO date"):
        store.add_span(p.document_id, event, p.me, 0, 6, attributes={"date": "2024-02-30"})
    with pytest.raises(SpanError, match="date '2024-W54'"):
        store.add_span(p.document_id, event, p.me, 0, 6, attributes={"date": "2024-W54"})
    with pytest.raises(SpanError, match="fatalities should be a number"):
        store.add_spans(
            p.document_id,
            [
                NewSpan("Event", 0, 6, "me", attributes={"fatalities": 2}),
                NewSpan("Event", 7, 9, "someone new", attributes={"fatalities": "two"}),
            ],
        )
    with pytest.raises(SpanError, match="stance 'maybe'"):
        store.update_span(p.claim.uuid, p.claim.version, attributes={"stance": "maybe"})
    # Relabelling with new attributes checks them against the new label's schema.
    with pytest.raises(SpanError, match="Actor: type 'ASSAULT'"):
        store.update_span(
            p.event.uuid,
            p.event.version,
            label_id=p.label("Actor").id,
            attributes={"type": "ASSAULT"},
        )
    assert dump(store) == before
    # Values that fit are taken; undeclared attributes are free.
    span = store.add_span(
        p.document_id,
        event,
        p.me,
        0,
        6,
        attributes={"type": "AID", "date": "2024", "source_row": 17},
    )
    assert span.attributes == {"type": "AID", "date": "2024", "source_row": 17}


def test_relations_the_schema_does_not_allow_are_refused_and_nothing_changes(project):
    store, p = project.store, project
    first = store.add_relation(p.claim.uuid, p.actor.uuid, "source", p.me)
    store.add_relation(p.event.uuid, p.actor.uuid, "agent", p.me)
    other_span = store.add_span(p.other_document_id, p.label("Actor").id, p.me, 0, 5)
    before = dump(store)
    refusals = [
        ((p.claim.uuid, p.event.uuid, "source"), SpanError, "a Claim's source points at Actor"),
        ((p.event.uuid, p.claim.uuid, "agent"), SpanError, "not at Claim"),
        ((p.claim.uuid, p.actor2.uuid, "source"), StoreError, "a Claim has one source"),
        ((p.event.uuid, p.actor.uuid, "agent"), StoreError, "already linked by 'agent'"),
        ((p.claim.uuid, p.actor.uuid, "source"), StoreError, "already linked"),
        ((p.actor.uuid, p.actor.uuid, "blames"), StoreError, "two different spans"),
        ((p.claim.uuid, "no-such-span", "about"), StoreError, "two existing spans"),
        ((p.claim.uuid, other_span.uuid, "about"), StoreError, "same document"),
    ]
    for (head, tail, kind), error, message in refusals:
        with pytest.raises(error, match=message):
            store.add_relation(head, tail, kind, p.me)
        assert dump(store) == before, (kind, message)
    # A refused relation that replaces another keeps the other: one transaction.
    with pytest.raises(SpanError):
        store.add_relation(p.claim.uuid, p.event.uuid, "source", p.me, replaces=[first.uuid])
    assert dump(store) == before
    assert [r.uuid for r in store.relations(p.document_id)][0] == first.uuid


def test_a_refused_import_writes_nothing(project):
    store, p = project.store, project
    store.add_relation(p.claim.uuid, p.actor.uuid, "source", p.me)
    before = dump(store)
    text = "Militia X struck Erbil."

    def batch(spans, relations=()):
        return ImportBatch(
            documents=[
                NewDocument(
                    text=text,
                    spans=spans,
                    relations=list(relations),
                    where="f.jsonl:3",
                )
            ]
        )

    actor = NewSpan("Actor", 0, 9, "b", uuid="s-actor", where="f.jsonl:3")
    event = NewSpan(
        "Event", 10, 16, "b", uuid="s-event", attributes={"type": "ASSAULT"}, where="f.jsonl:3"
    )
    claim = NewSpan("Claim", 0, 23, "b", uuid="s-claim", where="f.jsonl:3")
    bad_value = NewSpan("Event", 10, 16, "b", attributes={"date": "2024-02-30"}, where="f.jsonl:4")
    with pytest.raises(SpanError, match=r"^f\.jsonl:4: Event: date '2024-02-30'"):
        store.import_batch(batch([actor, bad_value]))
    assert dump(store) == before
    wrong_label = NewRelation("agent", "s-event", "s-claim", "b", where="f.jsonl:5")
    with pytest.raises(SpanError, match=r"^f\.jsonl:5: a Event's agent points at Actor"):
        store.import_batch(batch([actor, event, claim], [wrong_label]))
    assert dump(store) == before
    missing = NewRelation("agent", "s-event", "s-nowhere", "b", where="f.jsonl:6")
    with pytest.raises(SpanError, match=r"^f\.jsonl:6: .*'s-nowhere', which is not there"):
        store.import_batch(batch([actor, event], [missing]))
    assert dump(store) == before
    # The same file without its mistakes goes in.
    good = store.import_batch(
        batch([actor, event], [NewRelation("agent", "s-event", "s-actor", "b")])
    )
    assert (good.spans_added, good.relations_added) == (2, 1)


def test_an_imported_relation_to_a_span_skipped_as_a_duplicate_finds_the_kept_span(project):
    store, p = project.store, project
    kept = NewSpan("Actor", 0, 16, "me", uuid="s-kept")
    again = NewSpan("Actor", 0, 16, "me", uuid="s-again")  # the same span, another uuid
    event = NewSpan("Event", EVENT_AT, EVENT_AT + 6, "me", uuid="s-new-event")
    summary = store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=TEXT,
                    spans=[kept, again, event],
                    relations=[NewRelation("agent", "s-new-event", "s-again", "me")],
                )
            ]
        )
    )
    # "Kataib Hezbollah" by "me" was already there: both file spans are that span.
    assert (summary.spans_added, summary.spans_skipped, summary.relations_added) == (1, 2, 1)
    [relation] = store.relations(p.document_id)
    assert (relation.head_uuid, relation.tail_uuid) == ("s-new-event", p.actor.uuid)


# --- changing a schema ---------------------------------------------------------------------


def without_neutral(schema: LabelSchema) -> LabelSchema:
    return schema.with_attribute(
        AttributeSpec("stance", "choice", ("supports", "opposes", "mixed"))
    )


def test_removing_a_used_choice_is_refused_with_counts_and_changes_nothing(project):
    store, p = project.store, project
    claim = p.label("Claim")
    store.add_span(p.document_id, claim.id, p.me, 0, 6, attributes={"stance": "supports"})
    assert store.schema_usage(claim.id, "stance") == {"neutral": 2, "supports": 1}
    assert store.schema_usage(claim.id, "certainty") == {}
    before = dump(store)
    with pytest.raises(SchemaInUseError) as caught:
        store.set_label_schema(claim.id, without_neutral(claim.schema))
    error = caught.value
    assert (error.label, error.attribute, error.values, error.count) == (
        "Claim",
        "stance",
        {"neutral": 2},
        2,
    )
    assert "2 span(s) have stance 'neutral' (2)" in str(error)
    assert dump(store) == before
    # Removing the attribute itself counts every value it has.
    with pytest.raises(SchemaInUseError) as caught:
        store.set_label_schema(claim.id, LabelSchema(claim.schema.attributes[1:]))
    assert caught.value.values == {"neutral": 2, "supports": 1}
    assert "3 span(s)" in str(caught.value)
    # A recode to a value that the new schema does not allow either is refused.
    with pytest.raises(StoreError, match="stance 'bogus'"):
        store.set_label_schema(
            claim.id, without_neutral(claim.schema), recode={"stance": {"neutral": "bogus"}}
        )
    # A recode that covers some of the values only still names the rest.
    with pytest.raises(SchemaInUseError) as caught:
        store.set_label_schema(
            claim.id,
            LabelSchema(claim.schema.attributes[1:]),
            recode={"stance": {"neutral": None}},
        )
    assert caught.value.values == {"supports": 1}
    assert dump(store) == before


def test_an_attribute_set_to_none_does_not_hold_up_a_schema_change(project):
    store, p = project.store, project
    claim = p.label("Claim")
    store.add_span(p.document_id, claim.id, p.me, 0, 6, attributes={"certainty": None})
    assert store.schema_usage(claim.id, "certainty") == {}
    new = LabelSchema(claim.schema.attributes[:1], claim.schema.relations)
    label, changed = store.set_label_schema(claim.id, new)
    assert (label.schema, changed) == (new, [])


def test_a_choice_nobody_uses_goes_without_a_recode(project):
    store, p = project.store, project
    claim = p.label("Claim")
    fewer = claim.schema.with_attribute(
        AttributeSpec("certainty", "choice", ("asserted", "hedged"))
    )
    label, changed = store.set_label_schema(claim.id, fewer)
    assert (label.schema, changed) == (fewer, [])
    assert store.label(claim.id).schema == fewer


def test_a_recode_maps_values_and_returns_the_spans_as_they_were(project):
    store, p = project.store, project
    claim = p.label("Claim")
    new = without_neutral(claim.schema)
    label, before = store.set_label_schema(claim.id, new, recode={"stance": {"neutral": "mixed"}})
    assert label.schema == new == store.label(claim.id).schema
    assert sorted(span.uuid for span in before) == sorted([p.claim.uuid, p.claim2.uuid])
    assert all(span.attributes == {"stance": "neutral"} for span in before)
    assert store.span(p.claim.uuid).attributes == {"stance": "mixed"}
    assert store.span(p.claim.uuid).version == p.claim.version + 1
    assert store.schema_usage(claim.id, "stance") == {"mixed": 2}


def test_a_star_recode_covers_every_value_and_none_clears(project):
    store, p = project.store, project
    event = p.label("Event")
    # fatalities goes from number to choice: every old value must be recoded.
    banded = event.schema.with_attribute(
        AttributeSpec("fatalities", "choice", ("none", "some", "many"))
    )
    with pytest.raises(SchemaInUseError, match="fatalities '3' \\(1\\)"):
        store.set_label_schema(event.id, banded)
    _, before = store.set_label_schema(event.id, banded, recode={"fatalities": {"*": "some"}})
    assert [span.attributes["fatalities"] for span in before] == [3]
    assert store.span(p.event.uuid).attributes == {
        "type": "ASSAULT",
        "date": "2024-W05",
        "fatalities": "some",
    }
    # A specific value wins over "*"; None takes the value away.
    claim = p.label("Claim")
    store.update_span(p.claim2.uuid, p.claim2.version, attributes={"stance": "opposes"})
    store.set_label_schema(
        claim.id,
        LabelSchema(claim.schema.attributes[1:], claim.schema.relations),
        recode={"stance": {"opposes": None, "*": "gone"}},
    )
    assert store.span(p.claim.uuid).attributes == {"stance": "gone"}
    assert store.span(p.claim2.uuid).attributes == {}


def test_change_label_schema_undo_and_redo_restore_values_and_schema(project):
    store, p = project.store, project
    claim = p.label("Claim")
    store.update_span(p.claim2.uuid, p.claim2.version, attributes={"stance": "neutral", "x": 1})
    old_values = {s.uuid: s.attributes for s in store.spans(p.document_id)}
    new = without_neutral(claim.schema).with_relation(RelationSpec("quotes", ("Claim",)))
    command = ChangeLabelSchema(store, claim, new, recode={"stance": {"neutral": "mixed"}})
    assert command.apply().spans_changed
    after_values = {s.uuid: s.attributes for s in store.spans(p.document_id)}
    assert after_values[p.claim2.uuid] == {"stance": "mixed", "x": 1}
    assert store.label(claim.id).schema == new
    for _ in range(2):
        command.undo()
        assert store.label(claim.id).schema == claim.schema
        assert {s.uuid: s.attributes for s in store.spans(p.document_id)} == old_values
        command.redo()
        assert store.label(claim.id).schema == new
        assert {s.uuid: s.attributes for s in store.spans(p.document_id)} == after_values
    # A schema change that recodes nothing undoes too.
    plain = ChangeLabelSchema(store, store.label(claim.id), LabelSchema())
    with pytest.raises(SchemaInUseError):
        plain.apply()
    actor = p.label("Actor")
    keyed = ChangeLabelSchema(
        store, actor, actor.schema.with_relation(RelationSpec("member_of", ("Actor",), key="M"))
    )
    assert not keyed.apply().spans_changed
    keyed.undo()
    assert store.label(actor.id).schema == actor.schema


def test_undoing_a_recode_after_the_new_choice_was_used_elsewhere_is_refused(project):
    store, p = project.store, project
    claim = p.label("Claim")
    command = ChangeLabelSchema(
        store, claim, without_neutral(claim.schema), recode={"stance": {"neutral": "mixed"}}
    )
    command.apply()
    extra = store.add_span(p.document_id, claim.id, p.me, 0, 6, attributes={"stance": "mixed"})
    before = dump(store)
    with pytest.raises(SchemaInUseError, match="mixed"):
        command.undo()
    assert dump(store) == before
    assert store.span(extra.uuid).attributes == {"stance": "mixed"}


# --- renaming a label ------------------------------------------------------------------------


def test_renaming_a_label_renames_it_in_every_schema_that_points_at_it(project):
    store, p = project.store, project
    store.update_label(p.label("Actor").id, name="Person")
    claim, event = p.label("Claim").schema, p.label("Event").schema
    assert claim.relation("source").targets == ("Person",)
    assert claim.relation("about").targets == ("Person", "Event")
    assert event.relation("agent").targets == event.relation("target").targets == ("Person",)
    assert event.relation("location").targets == ()
    relation = store.add_relation(p.claim.uuid, p.actor.uuid, "source", p.me)
    assert relation.type == "source"
    store.update_label(p.label("Event").id, name="Incident")
    assert p.label("Claim").schema.relation("about").targets == ("Person", "Incident")
    with pytest.raises(SpanError, match="points at Person, not at Incident"):
        store.add_relation(p.claim2.uuid, p.event.uuid, "source", p.me)
    # Renaming back (and a change of case only) round-trips.
    store.update_label(p.label("Person").id, name="actor")
    store.update_label(p.label("actor").id, name="Actor")
    store.update_label(p.label("Incident").id, name="Event")
    assert {label.name: label.schema for label in store.labels()} == default_schemas()


# --- one-only, many, replaces ---------------------------------------------------------------


def test_a_one_only_relation_is_replaced_in_one_step_and_undo_puts_the_old_back(project):
    store, p = project.store, project
    first = store.add_relation(p.claim.uuid, p.actor.uuid, "source", p.me)
    assert (first.type, first.head_uuid, first.tail_uuid, first.annotator) == (
        "source",
        p.claim.uuid,
        p.actor.uuid,
        "me",
    )
    command = AddRelation(store, p.claim, p.actor2, "source", p.me, replaces=[first])
    change = command.apply()
    assert change.relations_removed == [first.uuid]
    assert [(r.type, r.tail_uuid) for r in store.relations(p.document_id)] == [
        ("source", p.actor2.uuid)
    ]
    command.undo()
    assert store.relations(p.document_id) == [first]
    command.redo()
    assert [r.uuid for r in store.relations(p.document_id)] == [command.relation.uuid]


def test_replaces_only_removes_relations_of_the_same_head(project):
    store, p = project.store, project
    agent = store.add_relation(p.event.uuid, p.actor.uuid, "agent", p.me)
    store.add_relation(p.claim.uuid, p.actor.uuid, "source", p.me, replaces=[agent.uuid])
    assert agent in store.relations(p.document_id)


def test_many_relations_and_free_types(project):
    store, p = project.store, project
    for actor in (p.actor, p.actor2, p.iraq):
        store.add_relation(p.event.uuid, actor.uuid, "agent", p.me)
    store.add_relation(p.event.uuid, p.actor.uuid, "target", p.me)
    store.add_relation(p.claim.uuid, p.actor.uuid, "about", p.me)
    store.add_relation(p.claim.uuid, p.event.uuid, "about", p.me)
    # "location" has no targets: any label; but one only.
    store.add_relation(p.event.uuid, p.claim2.uuid, "location", p.me)
    with pytest.raises(StoreError, match="a Event has one location"):
        store.add_relation(p.event.uuid, p.iraq.uuid, "location", p.me)
    # A type the schema does not declare is free, and may be many.
    store.add_relation(p.actor.uuid, p.claim.uuid, "blamed_in", p.me)
    store.add_relation(p.actor.uuid, p.claim2.uuid, "blamed_in", p.me)
    assert len(store.relations(p.document_id)) == 9


def test_delete_relation_returns_the_record_and_restore_relations_puts_it_back(project):
    store, p = project.store, project
    kept = store.add_relation(p.event.uuid, p.actor.uuid, "agent", p.me)
    gone = store.add_relation(p.event.uuid, p.iraq.uuid, "agent", p.me)
    assert store.delete_relation(gone.uuid) == gone
    assert store.delete_relation(gone.uuid) is None
    assert store.relations(p.document_id) == [kept]
    store.restore_relations([gone], remove=[kept.uuid])
    assert store.relations(p.document_id) == [gone]


def test_delete_relation_command(project):
    store, p = project.store, project
    relation = store.add_relation(p.claim.uuid, p.actor.uuid, "source", p.me)
    command = DeleteRelation(store, relation, p.document_id)
    assert command.apply().relations_removed == [relation.uuid]
    assert store.relations(p.document_id) == []
    assert command.undo().relations_added == [relation]
    assert store.relations(p.document_id) == [relation]
    command.redo()
    assert store.relations(p.document_id) == []


def test_deleting_a_span_removes_its_relations_and_restoring_brings_them_back(project):
    store, p = project.store, project
    relations = [
        store.add_relation(p.claim.uuid, p.actor.uuid, "source", p.me),
        store.add_relation(p.event.uuid, p.actor.uuid, "agent", p.me),
        store.add_relation(p.event.uuid, p.iraq.uuid, "agent", p.me),
    ]
    deleted = store.delete_span(p.actor.uuid)
    assert sorted(deleted.relations, key=lambda r: r.id) == relations[:2]
    assert store.relations(p.document_id) == relations[2:]
    store.restore_span(deleted)
    assert store.relations(p.document_id) == relations


# --- properties ------------------------------------------------------------------------------

NAMES = st.text(alphabet=st.sampled_from(list("abcXYZ _-é😀ع")), min_size=1, max_size=6).filter(
    lambda name: name.strip() != ""
)
KEYS = [letter for letter in "ABCGIJKLMNOPQRSTUWXYZ"]


@st.composite
def attribute_specs(draw, name):
    kind = draw(st.sampled_from(["choice", "text", "date", "number", "yesno"]))
    values = (
        tuple(draw(st.lists(NAMES, min_size=1, max_size=4, unique=True)))
        if kind == "choice"
        else ()
    )
    return AttributeSpec(name, kind, values, draw(st.booleans()), draw(st.text(max_size=8)))


@st.composite
def label_schemas(draw):
    names = draw(st.lists(NAMES, max_size=4, unique=True))
    attributes = tuple(draw(attribute_specs(name)) for name in names)
    types = draw(st.lists(NAMES, max_size=4, unique=True))
    keys = draw(st.permutations(KEYS))
    relations = tuple(
        RelationSpec(
            type_,
            tuple(
                draw(st.lists(st.sampled_from(["Actor", "Event", "Claim", "Lieu"]), unique=True))
            ),
            draw(st.booleans()),
            draw(st.booleans()),
            draw(st.sampled_from([None, keys[index], keys[index].lower()])),
            draw(st.text(max_size=8)),
        )
        for index, type_ in enumerate(types)
    )
    schema = LabelSchema(attributes, relations)
    schema.check()
    return schema


@settings(max_examples=40, deadline=None)
@given(schema=label_schemas())
def test_any_valid_schema_round_trips_through_json(schema):
    import json

    data = json.loads(json.dumps(schema.to_json()))
    assert LabelSchema.from_json(data) == schema
    assert LabelSchema.from_json(data).to_json() == schema.to_json()


RELATION_TYPES = ["source", "about", "agent", "target", "location", "blames"]


@st.composite
def relation_steps(draw):
    """("add", head, tail, type, replace?) and ("delete", which) steps, by index."""
    steps = []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            steps.append(
                (
                    "add",
                    draw(st.integers(0, 5)),
                    draw(st.integers(0, 5)),
                    draw(st.sampled_from(RELATION_TYPES)),
                    draw(st.booleans()),
                )
            )
        else:
            steps.append(("delete", draw(st.integers(0, 50))))
    return steps


def spans_of(p: Project) -> list:
    return [p.claim, p.claim2, p.actor, p.actor2, p.event, p.iraq]


def run_steps(p: Project, steps) -> list:
    """Apply the steps as commands; the store's refusals are skipped, as the window does."""
    store, spans, done = p.store, spans_of(p), []
    for step in steps:
        if step[0] == "add":
            _, head, tail, kind, replace = step
            replaces = [
                r
                for r in store.relations(p.document_id)
                if replace and r.head_uuid == spans[head].uuid and r.type == kind
            ]
            command = AddRelation(store, spans[head], spans[tail], kind, p.me, replaces=replaces)
        else:
            relations = store.relations(p.document_id)
            if not relations:
                continue
            command = DeleteRelation(store, relations[step[1] % len(relations)], p.document_id)
        try:
            command.apply()
        except StoreError:
            continue
        done.append(command)
    return done


def shape(relations) -> list[tuple]:
    """A relation as the analyst sees it: which link, between which spans, by whom."""
    return sorted((r.uuid, r.type, r.head_uuid, r.tail_uuid, r.annotator) for r in relations)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=relation_steps())
def test_undoing_relation_commands_restores_the_start_and_redoing_the_end(store, steps):
    if not store.document_count():
        p = make_project(store)
        store.add_relation(p.claim.uuid, p.actor.uuid, "source", p.me)
        store.add_relation(p.event.uuid, p.actor2.uuid, "agent", p.me)
    p = make_project(store)
    start = store.relations(p.document_id)
    done = run_steps(p, steps)
    end = store.relations(p.document_id)
    for command in reversed(done):
        command.undo()
    assert store.relations(p.document_id) == start
    for command in done:
        command.redo()
    assert shape(store.relations(p.document_id)) == shape(end)
    # Back to the start for the next example, which shares the project.
    for command in reversed(done):
        command.undo()
    assert store.relations(p.document_id) == start


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=relation_steps(), chosen=st.sets(st.integers(0, 5), min_size=1, max_size=3))
def test_deleting_spans_removes_their_relations_and_undo_restores_the_same_records(
    store, steps, chosen
):
    p = make_project(store)
    for relation in store.relations(p.document_id):
        store.delete_relation(relation.uuid)
    run_steps(p, [step for step in steps if step[0] == "add"])
    before = store.relations(p.document_id)
    spans = [span for index, span in enumerate(spans_of(p)) if index in chosen]
    gone = {span.uuid for span in spans}
    command = DeleteSpans(store, [store.span(span.uuid) for span in spans])
    command.apply()
    assert store.relations(p.document_id) == [
        r for r in before if r.head_uuid not in gone and r.tail_uuid not in gone
    ]
    command.undo()
    assert store.relations(p.document_id) == before
    assert {s.uuid for s in store.spans(p.document_id)} >= gone
    command.redo()
    assert not gone & {s.uuid for s in store.spans(p.document_id)}
    command.undo()
    assert store.relations(p.document_id) == before


def test_a_relabelled_span_keeps_only_values_its_new_label_allows(store):
    """An Actor of type person cannot become an Event of type person (not a PLOVER
    category): the relabel is refused, nothing changes; without the value it goes through."""
    document_id = store.import_batch(
        ImportBatch(documents=[NewDocument(text="The militia attacked the base.")])
    ).document_ids[0]
    me = store.ensure_annotator("me")
    actor = store.label_by_name("Actor")
    event = store.label_by_name("Event")
    span = store.add_span(document_id, actor.id, me.id, 4, 11, attributes={"type": "person"})
    with pytest.raises(SpanError, match="Event: type 'person' is not one of"):
        store.update_span(span.uuid, expected=span, label_id=event.id)
    assert store.span(span.uuid) == span
    moved = store.update_span(span.uuid, expected=span, label_id=event.id, attributes={})
    assert (moved.label, moved.attributes) == ("Event", {})
