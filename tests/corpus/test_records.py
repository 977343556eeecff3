"""Events and claims as records across the corpus: the seed corpus with dates of every
precision, linked and unlinked agents, an undated event and a claim whose source is a
canonical actor, on SQLite and PostgreSQL; the records agree with the analysts' tables."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date

import pytest

from db.records import ImportBatch, NewDocument
from db.store import Store
from desktop.corpus.records import (
    ClaimItem,
    EventItem,
    Facets,
    RecordFilter,
    load_claims,
    load_events,
    participant_key,
    record_facets,
)
from desktop.formats import export_project, import_paths
from desktop.formats.csv_table import safe

# An outlet's article: emoji with a skin tone, CRLF, Arabic, a combining mark.
WIRE = (
    "👍🏽 Kataib Hezbollah fighters shelled a base near Erbil.\r\n"
    "كتائب حزب الله said the Kata\u2019ib strike answered the US raid. Cafe\u0301 owners fled."
)


@dataclass
class Dated:
    """The seed corpus with analyst_a's events dated and linked, and a wire story."""

    store: Store
    seed_document: int
    wire: int
    day: EventItem | None = None
    events: dict[str, str] | None = None  # name -> span uuid
    claim: str = ""
    kh_entity: str = ""
    us_entity: str = ""


def _span_at(store, document_id, annotator, fragment, label):
    text = store.document(document_id).text
    start = text.index(fragment)
    return next(
        s
        for s in store.spans(document_id)
        if s.annotator == annotator and s.label == label and s.start <= start < s.end
    )


def build_dated(store: Store, corpus) -> Dated:
    """Import the seed corpus and a wire story (outlet "Wire"), then give analyst_a's
    events of the first article dates of every precision, types, and agents and targets
    (some linked to canonical actors); leave one event undated; give a claim a source
    linked to an actor."""
    import_paths(store, [corpus])
    store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=WIRE, title="Shelling near Erbil", source="Wire", published="2024-02-09"
                )
            ]
        )
    )
    first, *_, wire = store.document_ids()
    a = store.ensure_annotator("analyst_a")
    label = {name: store.label_by_name(name).id for name in ("Claim", "Actor", "Event")}
    kh = store.add_entity("Kataib Hezbollah", label="Actor", aliases=["KH"])
    us = store.add_entity("United States", label="Actor", aliases=["US"])
    text = store.document(first).text

    def add(document_id, name, fragment, after=0, **fields):
        body = store.document(document_id).text
        start = body.index(fragment, after)
        return store.add_span(
            document_id, label[name], a.id, start, start + len(fragment), **fields
        )

    spans = {
        s.text: s for s in store.spans(first) if s.annotator == "analyst_a" and s.label == "Event"
    }
    strike = spans["a precision missile strike Wednesday night"]
    deaths = spans["the deaths of three US troops in January"]
    february = spans["The first major attack was launched on February 3"]
    soleimani = next(s for t, s in spans.items() if t.startswith("killed alongside IRGC"))
    store.update_span(strike.uuid, attributes={"type": "ASSAULT", "date": "2024-02-07"})
    store.update_span(deaths.uuid, attributes={"type": "ASSAULT", "date": "2024-01"})
    store.update_span(february.uuid, attributes={"type": "COERCE", "date": "2024-W05"})
    # the Soleimani strike stays undated and untyped
    us_military = add(first, "Actor", "the US military", entity_uuid=us.uuid)
    commander = add(first, "Actor", "a top commander", text.index("a precision"))
    iran = add(first, "Actor", "Iran-related targets")
    store.add_relation(strike.uuid, us_military.uuid, "agent", a.id)
    store.add_relation(strike.uuid, commander.uuid, "target", a.id)
    store.add_relation(february.uuid, us_military.uuid, "agent", a.id)
    store.add_relation(february.uuid, iran.uuid, "target", a.id)
    # the wire story: an event of a year with a linked and an unlinked agent, both
    # spellings of the group folded or linked into one actor
    shelled = add(wire, "Event", "shelled", attributes={"type": "ASSAULT", "date": "2023"})
    khez = add(wire, "Actor", "Kataib Hezbollah", entity_uuid=kh.uuid)
    fighters = add(wire, "Actor", "fighters")
    arabic = add(wire, "Actor", "كتائب حزب الله")
    store.add_relation(shelled.uuid, fighters.uuid, "agent", a.id)
    store.add_relation(shelled.uuid, khez.uuid, "agent", a.id)
    claim = add(
        wire,
        "Claim",
        "the Kata\u2019ib strike answered the US raid",
        attributes={"stance": "supports"},
    )
    store.add_relation(claim.uuid, arabic.uuid, "source", a.id)
    store.update_span(arabic.uuid, entity_uuid=kh.uuid)
    store.add_relation(claim.uuid, shelled.uuid, "about", a.id)
    return Dated(
        store,
        first,
        wire,
        events={
            "strike": strike.uuid,
            "deaths": deaths.uuid,
            "february": february.uuid,
            "soleimani": soleimani.uuid,
            "shelled": shelled.uuid,
        },
        claim=claim.uuid,
        kh_entity=kh.uuid,
        us_entity=us.uuid,
    )


@pytest.fixture
def dated(store, corpus) -> Dated:
    return build_dated(store, corpus)


def test_events_carry_dates_of_every_precision_as_stretches(dated):
    events = {item.span_uuid: item for item in load_events(dated.store)}
    uuid = dated.events
    assert {(events[uuid[n]].date, events[uuid[n]].precision) for n in uuid} == {
        ("2024-02-07", "day"),
        ("2024-01", "month"),
        ("2024-W05", "week"),
        ("2023", "year"),
        (None, None),
    }
    strike = events[uuid["strike"]]
    assert (strike.first_day, strike.last_day) == (date(2024, 2, 7), date(2024, 2, 7))
    assert strike.type == "ASSAULT" and strike.annotator == "analyst_a"
    assert strike.text == dated.store.document(strike.document_id).text[strike.start : strike.end]
    week = events[uuid["february"]]
    assert (week.first_day, week.last_day) == (date(2024, 1, 29), date(2024, 2, 4))
    month = events[uuid["deaths"]]
    assert (month.first_day, month.last_day) == (date(2024, 1, 1), date(2024, 1, 31))
    undated = events[uuid["soleimani"]]
    assert (undated.first_day, undated.type, undated.agents) == (None, None, ())


def test_participants_are_named_by_their_actor_else_by_their_text(dated):
    events = {item.span_uuid: item for item in load_events(dated.store)}
    strike = events[dated.events["strike"]]
    assert [(p.name, p.entity_uuid, p.key) for p in strike.agents] == [
        ("United States", dated.us_entity, dated.us_entity)
    ]
    assert [(p.name, p.key, p.label) for p in strike.targets] == [
        ("a top commander", "text:a top commander", "Actor")
    ]
    shelled = events[dated.events["shelled"]]
    assert shelled.outlet == "Wire" and shelled.published == "2024-02-09"
    # in text order: the unlinked "fighters" comes after the linked group in the text
    assert [p.name for p in shelled.agents] == ["Kataib Hezbollah", "fighters"]
    assert shelled.agents[0].key == dated.kh_entity


def test_claims_name_their_linked_source_and_what_they_are_about(dated):
    claims = {item.span_uuid: item for item in load_claims(dated.store)}
    claim = claims[dated.claim]
    assert isinstance(claim, ClaimItem)
    assert claim.stance == "supports" and claim.outlet == "Wire"
    assert claim.text == "the Kata\u2019ib strike answered the US raid"
    assert WIRE[claim.start : claim.end] == claim.text  # offsets exact after emoji and CRLF
    assert [(p.name, p.key) for p in claim.sources] == [("Kataib Hezbollah", dated.kh_entity)]
    assert [(p.name, p.label) for p in claim.about] == [("shelled", "Event")]
    # the seed corpus's claims are there too, from both analysts
    assert {item.annotator for item in claims.values()} == {"analyst_a", "analyst_b"}


def test_events_are_ordered_by_time_then_document_and_offset(dated):
    events = load_events(dated.store)
    keys = [
        (
            e.first_day.isoformat() if e.first_day else e.published or "\uffff",
            e.document_id,
            e.start,
        )
        for e in events
    ]
    assert keys == sorted(keys)
    assert events[0].span_uuid == dated.events["shelled"]  # 2023 comes first


def test_the_filter_keeps_what_it_names(dated):
    store, uuid = dated.store, dated.events

    def kept(**fields) -> set[str]:
        return {item.span_uuid for item in load_events(store, RecordFilter(**fields))} & set(
            uuid.values()
        )

    assert kept(types=("COERCE",)) == {uuid["february"]}
    assert kept(outlets=("Wire",)) == {uuid["shelled"]}
    assert uuid["shelled"] not in kept(outlets=("",))  # "" is the documents of no outlet
    assert kept(actors=(dated.us_entity,)) == {uuid["strike"], uuid["february"]}
    assert kept(actors=("text:a top commander",)) == {uuid["strike"]}
    # a stretch meeting the range is kept: the week 29 Jan - 4 Feb meets February
    assert kept(since=date(2024, 2, 1), undated=False) == {uuid["strike"], uuid["february"]}
    assert kept(until=date(2023, 12, 31), undated=False) == {uuid["shelled"]}
    assert uuid["soleimani"] in kept(since=date(2024, 2, 1))
    assert kept(annotators=("analyst_b",)) == set()
    assert {e.annotator for e in load_events(store, RecordFilter(annotators=("analyst_b",)))} == {
        "analyst_b"
    }
    assert kept(annotators=("nobody",)) == set()
    store.set_span_status([uuid["strike"]], "rejected")
    assert uuid["strike"] not in kept()
    assert uuid["strike"] in kept(statuses=("accepted", "rejected"))


def test_a_claims_filter_reads_stances_and_the_publication_date(dated):
    store = dated.store
    only = load_claims(store, RecordFilter(types=("supports",)))
    assert [c.span_uuid for c in only] == [dated.claim]
    dated_claims = load_claims(store, RecordFilter(since=date(2024, 2, 9), undated=False))
    assert [c.span_uuid for c in dated_claims] == [dated.claim]
    assert load_claims(store, RecordFilter(actors=(dated.kh_entity,)))[0].span_uuid == dated.claim


def test_facets_fill_the_filter_controls(dated):
    facets = record_facets(dated.store)
    assert isinstance(facets, Facets)
    assert facets.types == ("ASSAULT", "COERCE")
    assert facets.stances == ("supports",)
    assert facets.outlets == ("", "Wire")
    assert facets.annotators == ("analyst_a", "analyst_b")
    # by the records that name them: the US twice, the group in an event and a claim
    assert [p.name for p in facets.actors[:2]] == ["Kataib Hezbollah", "United States"]
    assert {p.key for p in facets.actors} >= {"text:fighters", "text:a top commander"}


def test_a_project_with_no_events_has_no_records(memory_store):
    assert load_events(memory_store) == [] and load_claims(memory_store) == []
    assert record_facets(memory_store) == Facets(outlets=())


def test_unlinked_participants_are_one_key_whatever_the_spelling():
    assert participant_key("Kata\u2019ib", None) == participant_key("KATAIB", None)
    assert participant_key("Katáib", None) == "text:kataib"
    assert participant_key("anything", "uuid-1") == "uuid-1"


def _table(path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def _ids(participants) -> str:
    ids = [p.entity_uuid or "" for p in participants]
    return "; ".join(ids) if any(ids) else ""


def test_events_agree_with_the_events_table(dated, tmp_path):
    out = tmp_path / "events.csv"
    export_project(dated.store, "events", out)
    rows = {row["event"]: row for row in _table(out)}
    events = load_events(dated.store)
    assert set(rows) == {item.span_uuid for item in events}
    for item in events:
        assert rows[item.span_uuid] == {
            "event": item.span_uuid,
            "date": safe(item.date or ""),
            "date precision": item.precision or "",
            "type": safe(item.type or ""),
            "agents": safe("; ".join(p.name for p in item.agents)),
            "agent ids": _ids(item.agents),
            "targets": safe("; ".join(p.name for p in item.targets)),
            "target ids": _ids(item.targets),
            "location": safe(item.location or ""),
            "fatalities": rows[item.span_uuid]["fatalities"],
            "evidence": safe(item.text),
            "document": safe(item.document_title),
            "outlet": safe(item.outlet),
            "publication date": safe(item.published or ""),
            "annotator": safe(item.annotator),
        }


def test_claims_agree_with_the_claims_table(dated, tmp_path):
    out = tmp_path / "claims.csv"
    export_project(dated.store, "claims", out)
    rows = {row["claim"]: row for row in _table(out)}
    claims = load_claims(dated.store)
    assert set(rows) == {item.span_uuid for item in claims}
    for item in claims:
        row = rows[item.span_uuid]
        assert (row["source"], row["source ids"]) == (
            safe("; ".join(p.name for p in item.sources)),
            _ids(item.sources),
        )
        assert row["about"] == safe("; ".join(p.name for p in item.about))
        assert (row["stance"], row["certainty"]) == (item.stance or "", item.certainty or "")
        assert (row["text"], row["annotator"]) == (safe(item.text), item.annotator)


def test_an_older_event_dated_by_a_time_link_agrees_with_the_table(memory_store, tmp_path):
    from tests.formats.test_analyst_tables import build_records

    shelling, blast, _, _ = build_records(memory_store)
    events = {item.span_uuid: item for item in load_events(memory_store)}
    assert (events[blast.uuid].date, events[blast.uuid].precision) == ("early February", None)
    assert events[blast.uuid].first_day is None  # no ISO date: undated on the timeline
    assert events[shelling.uuid].location == "Erbil"
    test_events_agree_with_the_events_table(Dated(memory_store, 0, 0), tmp_path)
