"""Outlets side by side, without Qt: the coverage table from the store (SQLite and
PostgreSQL) over the seed corpus, and the matching of one actor's, event's or claim's
reports across outlets."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.records import EntityState
from desktop.corpus.outlets import (
    NO_OUTLET,
    RecordIndex,
    build_coverage,
    coverage,
    describe_claim,
    describe_event,
    fold_for_filter,
    outlet_name,
    reports_of_actor,
    reports_of_claim,
    reports_of_event,
    same_event,
)
from desktop.corpus.records import ClaimItem, EventItem, Participant, load_claims, load_events
from desktop.formats import import_paths
from desktop.formats.base import read_text

# The seed articles by file, each given an outlet and a date; the last has no source.
OUTLETS = ("Reuters", "Al Jazeera", "Reuters", "Al Jazeera", "")
PUBLISHED = ("2024-02-08", "2024-02-09", "2024-02-10", "2024-02-12", "2024-02-14")
KATAIB = ("Kataib Hezbollah", "Kata’ib Hezbollah")


def seed_with_outlets(store, corpus: Path, tmp_path: Path) -> list[int]:
    """The seed articles imported with an outlet and a date each, then both analysts' spans;
    the document ids in file order."""
    articles = tmp_path / "articles.jsonl"
    files = sorted(corpus.glob("*.txt"))
    with articles.open("wb") as out:
        for path, source, published in zip(files, OUTLETS, PUBLISHED, strict=True):
            text = read_text(path)
            record = {"text": text, "title": text.splitlines()[0][:80], "published": published}
            if source:
                record["source"] = source
            out.write(orjson.dumps(record) + b"\n")
    import_paths(store, [articles, corpus / "annotations"])
    ids = sorted(store.document_ids())
    assert len(ids) == len(files)  # the annotations found their articles by content
    return ids


def tag_kataib(store, ids: list[int]) -> tuple[str, dict[int, list[str]]]:
    """Every mention of Kataib Hezbollah (either spelling) an Actor span of analyst_a linked
    to one actor; returns its uuid and the linked span uuids by document."""
    actor = store.label_by_name("Actor")
    analyst = store.ensure_annotator("analyst_a")
    linked: dict[int, list[str]] = defaultdict(list)
    for document_id in ids:
        text = store.document(document_id).text
        existing = {(s.start, s.end): s for s in store.spans(document_id) if s.label == "Actor"}
        for name in KATAIB:
            start = text.find(name)
            while start >= 0:
                end = start + len(name)
                span = existing.get((start, end)) or store.add_span(
                    document_id, actor.id, analyst.id, start, end
                )
                linked[document_id].append(span.uuid)
                start = text.find(name, end)
    entity = store.add_entity("Kataib Hezbollah", label="Actor", aliases=["Kata’ib Hezbollah"])
    all_spans = tuple(uuid for uuids in linked.values() for uuid in uuids)
    store.put_entities([EntityState(entity, all_spans)])
    return entity.uuid, linked


def add_records(store, ids: list[int], kataib: str) -> dict[str, str]:
    """Analyst A's strike on Kataib Hezbollah as an event in the first two articles (dated
    by its day, then by its week) and its threat as a claim in the second and fifth, each
    with its type, date or stance and its participants; their span uuids by name."""
    analyst = store.ensure_annotator("analyst_a")

    def span(document_id: int, label: str, start: int | None = None, text: tuple = ()):
        return next(
            s
            for s in store.spans(document_id)
            if s.annotator == "analyst_a"
            and s.label == label
            and (start is None or s.start == start)
            and (not text or s.text in text)
        )

    def kh(document_id: int):
        return next(s for s in store.spans(document_id) if s.entity_uuid == kataib)

    made = {}
    strike = span(ids[0], "Event", 260)
    store.update_span(strike.uuid, attributes={"type": "ASSAULT", "date": "2024-02-07"})
    store.add_relation(
        strike.uuid,
        span(ids[0], "Actor", text=("the US military", "US military")).uuid,
        "agent",
        analyst.id,
    )
    store.add_relation(strike.uuid, kh(ids[0]).uuid, "target", analyst.id)
    made["strike"] = strike.uuid
    killing = span(ids[1], "Event", 222)
    store.update_span(killing.uuid, attributes={"type": "ASSAULT", "date": "2024-W06"})
    store.add_relation(killing.uuid, kh(ids[1]).uuid, "target", analyst.id)
    made["killing"] = killing.uuid
    threat = span(ids[1], "Claim", 55)
    store.update_span(threat.uuid, attributes={"stance": "opposes"})
    store.add_relation(threat.uuid, kh(ids[1]).uuid, "source", analyst.id)
    made["threat"] = threat.uuid
    claim = store.add_span(
        ids[4],
        store.label_by_name("Claim").id,
        analyst.id,
        kh(ids[4]).start,
        kh(ids[4]).end,
        attributes={"stance": "supports"},
    )
    store.add_relation(claim.uuid, kh(ids[4]).uuid, "source", analyst.id)
    made["echo"] = claim.uuid
    return made


@pytest.fixture
def seeded(store, corpus, tmp_path):
    ids = seed_with_outlets(store, corpus, tmp_path)
    kataib, linked = tag_kataib(store, ids)
    return store, ids, kataib, linked


# --- coverage from the store -------------------------------------------------------------------


def test_coverage_counts_the_documents_of_each_outlet_that_mention_an_actor(seeded):
    store, ids, kataib, linked = seeded
    # Joe Biden, linked in the first article only (both analysts' spans: one document).
    biden_spans = [
        s.uuid for s in store.spans(ids[0]) if s.text in ("Joe Biden", "President Joe Biden")
    ]
    assert len(biden_spans) == 2
    biden = store.add_entity("Joe Biden", label="Actor")
    store.put_entities([EntityState(biden, tuple(biden_spans))])
    # A rejected suggestion linked to Biden in the fourth article is not a mention.
    text = store.document(ids[3]).text
    start = text.index("Kata’ib Hezbollah")
    rejected = store.add_span(
        ids[3],
        store.label_by_name("Actor").id,
        store.ensure_annotator("model").id,
        start,
        start + 4,
        status="suggested",
        origin="model",
        entity_uuid=biden.uuid,
    )
    store.set_span_status([rejected.uuid], "rejected")

    table = coverage(store)

    assert table.outlets == ("Reuters", "Al Jazeera", NO_OUTLET)
    assert [actor.name for actor in table.actors] == ["Kataib Hezbollah", "Joe Biden"]
    assert table.count(kataib, "Reuters") == 2
    assert table.count(kataib, "Al Jazeera") == 2
    assert table.count(kataib, NO_OUTLET) == 1
    assert table.count(biden.uuid, "Reuters") == 1
    assert table.count(biden.uuid, "Al Jazeera") == 0  # the rejected span is left out
    assert table.actors[0].documents == len(linked) == 5
    assert table.outlet_total("Reuters") == 3
    assert table.outlet_documents == {"Reuters": 2, "Al Jazeera": 2, NO_OUTLET: 1}
    assert table.largest == 2
    assert [a.name for a in table.sorted_actors("Reuters", descending=False)] == [
        "Joe Biden",
        "Kataib Hezbollah",
    ]


def test_coverage_agrees_with_the_mentions_of_each_actor(seeded):
    """The grouped query and the actor's mentions, counted by hand, say the same."""
    store, _ids, kataib, _linked = seeded
    by_hand: dict[str, set[int]] = defaultdict(set)
    for mention in store.actor_outlet_mentions(kataib):
        by_hand[outlet_name(mention.outlet)].add(mention.document_id)
    table = coverage(store)
    assert {o: table.count(kataib, o) for o in table.outlets} == {
        o: len(d) for o, d in by_hand.items()
    }


def test_an_actors_mentions_carry_outlet_date_and_exact_text(seeded):
    store, ids, kataib, linked = seeded
    mentions = store.actor_outlet_mentions(kataib)
    assert sorted({m.span_uuid for m in mentions}) == sorted(
        u for us in linked.values() for u in us
    )
    for mention in mentions:
        document = store.document(mention.document_id)
        assert document.text[mention.start : mention.end] == mention.text
        assert mention.outlet == (document.source or "")
        assert mention.published == document.published
    curly = [m for m in mentions if m.document_id == ids[3]]
    assert curly and all(m.text == "Kata’ib Hezbollah" for m in curly)


def test_reports_of_an_actor_by_outlet_with_roles_and_mentions(seeded):
    store, ids, kataib, _linked = seeded
    who = Participant(kataib, "Kataib Hezbollah", kataib)
    us = Participant("text:us", "US")
    strike = _event("e1", ids[0], "Reuters", "ASSAULT", "2024-02-07", agents=(us,), targets=(who,))
    threat = _event("e2", ids[3], "Al Jazeera", "THREATEN", "2024-02", agents=(who,))
    claim = _claim("c1", ids[1], "Al Jazeera", "opposes", sources=(who,), about=(us,))

    groups = reports_of_actor(
        kataib, [strike, threat], [claim], store.actor_outlet_mentions(kataib)
    )

    assert [g.outlet for g in groups] == ["Al Jazeera", "Reuters", NO_OUTLET]  # 2, 2, 1
    roles = {(r.document_id, r.role, r.stance) for g in groups for r in g.reports}
    assert roles == {
        (ids[0], "target", None),
        (ids[1], "source", "opposes"),
        (ids[2], "mentioned", None),
        (ids[3], "agent", None),
        (ids[4], "mentioned", None),
    }
    mentioned = next(r for g in groups for r in g.reports if r.document_id == ids[4])
    document = store.document(ids[4])
    assert document.text[mentioned.start : mentioned.end] == "Kataib Hezbollah"
    assert mentioned.published == "2024-02-14" and mentioned.outlet == NO_OUTLET
    only = reports_of_actor(
        kataib, [strike, threat], [claim], store.actor_outlet_mentions(kataib), outlet="Reuters"
    )
    assert [g.outlet for g in only] == ["Reuters"]
    assert {r.document_id for r in only[0].reports} == {ids[0], ids[2]}


def test_reports_from_the_projects_events_and_claims(seeded):
    """End to end: the records read from the store, matched across outlets."""
    store, ids, kataib, _linked = seeded
    made = add_records(store, ids, kataib)
    events, claims = load_events(store), load_claims(store)
    strike = next(e for e in events if e.span_uuid == made["strike"])

    groups = reports_of_event(strike, events)
    assert {(g.outlet, r.span_uuid) for g in groups for r in g.reports} == {
        ("Reuters", made["strike"]),
        ("Al Jazeera", made["killing"]),
    }
    threat = next(c for c in claims if c.span_uuid == made["threat"])
    stances = {
        (g.outlet, r.stance, r.document_id)
        for g in reports_of_claim(threat, claims)
        for r in g.reports
    }
    assert stances == {("Al Jazeera", "opposes", ids[1]), (NO_OUTLET, "supports", ids[4])}
    actor = reports_of_actor(kataib, events, claims, store.actor_outlet_mentions(kataib))
    roles = sorted((r.document_id, r.role) for g in actor for r in g.reports)
    assert roles == [
        (ids[0], "target"),
        (ids[1], "source"),
        (ids[1], "target"),
        (ids[2], "mentioned"),
        (ids[3], "mentioned"),
        (ids[4], "source"),
    ]
    # The index the dock builds once gives the same reports as a pass over every record.
    index = RecordIndex.of(events, claims)
    assert index.actor(kataib, store.actor_outlet_mentions(kataib)) == actor
    assert index.event(strike) == groups
    assert index.actor("text:nobody") == []
    for report in (r for g in actor for r in g.reports):
        text = store.document(report.document_id).text
        assert report.start < report.end <= len(text)


# --- matching events and claims across outlets -------------------------------------------------

KH = Participant("entity-kh", "Kataib Hezbollah", "entity-kh")
US = Participant("entity-us", "United States", "entity-us")
IRAN = Participant("text:iran", "Iran")


def _days(value: str | None) -> tuple[date | None, date | None, str | None]:
    if value is None:
        return None, None, None
    if len(value) == 10:
        day = date.fromisoformat(value)
        return day, day, "day"
    if "-W" in value:
        year, week = value.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
        return first, date.fromisocalendar(int(year), int(week), 7), "week"
    if len(value) == 7:
        first = date.fromisoformat(value + "-01")
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, date.fromordinal(following.toordinal() - 1), "month"
    return date(int(value), 1, 1), date(int(value), 12, 31), "year"


def _event(uuid, document_id, outlet, type_, when, *, agents=(), targets=(), text="strike"):
    first, last, precision = _days(when)
    return EventItem(
        uuid,
        document_id,
        f"Article {document_id}",
        outlet,
        "2024-02-10",
        "analyst_a",
        10,
        10 + len(text),
        text,
        type_,
        when,
        precision,
        first,
        last,
        tuple(agents),
        tuple(targets),
    )


def _claim(uuid, document_id, outlet, stance, *, sources=(), about=(), text="they will respond"):
    return ClaimItem(
        uuid,
        document_id,
        f"Article {document_id}",
        outlet,
        "2024-02-10",
        "analyst_b",
        5,
        5 + len(text),
        text,
        stance,
        None,
        tuple(sources),
        tuple(about),
    )


def test_the_same_event_across_outlets_is_type_time_and_a_shared_participant():
    chosen = _event("a", 1, "Reuters", "ASSAULT", "2024-02-07", agents=(US,), targets=(KH,))
    events = [
        chosen,
        # the same strike, dated by its week, with a different agent but the same target
        _event("b", 2, "Al Jazeera", "ASSAULT", "2024-W06", agents=(IRAN,), targets=(KH,)),
        # the same, dated by its month, in a document without an outlet
        _event("c", 3, "", "ASSAULT", "2024-02", agents=(US,)),
        _event("d", 4, "Reuters", "THREATEN", "2024-02-07", agents=(US,), targets=(KH,)),
        _event("e", 5, "Reuters", "ASSAULT", "2024-03-01", agents=(US,), targets=(KH,)),
        _event("f", 6, "Reuters", "ASSAULT", "2024-02-07", agents=(IRAN,), targets=(US,)),
        _event("g", 7, "Reuters", "ASSAULT", None, agents=(US,), targets=(KH,)),
    ]
    groups = reports_of_event(chosen, events)
    assert [(g.outlet, [r.span_uuid for r in g.reports]) for g in groups] == [
        ("Al Jazeera", ["b"]),
        ("Reuters", ["a"]),
        (NO_OUTLET, ["c"]),
    ]
    assert {r.role for g in groups for r in g.reports} == {"event"}
    # Agents are matched with agents: an agent named as a target elsewhere is no match.
    swapped = _event("h", 8, "BBC", "ASSAULT", "2024-02-07", agents=(KH,), targets=(US,))
    assert not same_event(chosen, swapped)
    # An undated event is only itself.
    undated = events[-1]
    assert [r.span_uuid for g in reports_of_event(undated, events) for r in g.reports] == ["g"]


def test_the_same_claim_shows_each_outlets_stance():
    chosen = _claim("a", 1, "Reuters", "supports", sources=(KH,), about=(US,))
    claims = [
        chosen,
        _claim("b", 2, "Al Jazeera", "opposes", sources=(KH, IRAN), about=(US,)),
        _claim("c", 3, "Al Jazeera", "neutral", sources=(IRAN,), about=(US,)),
        _claim("d", 4, "BBC", "opposes", sources=(KH,), about=(IRAN,)),
        _claim("e", 5, "BBC", None, sources=(KH,)),
    ]
    groups = reports_of_claim(chosen, claims)
    stances = {g.outlet: [r.stance for r in g.reports] for g in groups}
    assert stances == {"Reuters": ["supports"], "Al Jazeera": ["opposes"]}
    # A claim about nothing matches the source's other claims about nothing.
    lone = claims[-1]
    assert [r.span_uuid for g in reports_of_claim(lone, claims) for r in g.reports] == ["e"]


def test_records_in_a_line_keep_their_words():
    event = _event("a", 1, "", "ASSAULT", "2024-W06", agents=(US,), targets=(KH, IRAN))
    assert describe_event(event) == (
        "ASSAULT · 2024-W06 · United States → Kataib Hezbollah, Iran: “strike”"
    )
    lone = _event("c", 1, "", None, None, text="the\r\nattack 💥")
    assert describe_event(lone) == "(no type) · undated: “the attack 💥”"
    claim = _claim("b", 2, "", "opposes", sources=(KH,), about=(US,), text="We will\r\nrespond 🚀")
    assert (
        describe_claim(claim) == "Kataib Hezbollah on United States (opposes): “We will respond 🚀”"
    )


def test_the_filter_folds_case_accents_and_apostrophes():
    assert fold_for_filter("Kata’ib Ḥezbollah") == fold_for_filter("kataib hezbollah")
    assert fold_for_filter("Al-Ṣadr") == "al-sadr"
    assert "بغداد" in fold_for_filter("في بغداد")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(["", "Reuters", "Al Jazeera", "Rûdaw", "🚀 News"]),
            st.integers(1, 50),
        ),
        unique_by=lambda row: row[:2],
    )
)
def test_coverage_totals_add_up(rows):
    table = build_coverage(rows, {"a": "A", "b": "B", "c": "C"})
    for actor in table.actors:
        assert actor.documents == sum(table.count(actor.uuid, o) for o in table.outlets)
        assert actor.documents == sum(n for u, _s, n in rows if u == actor.uuid)
    assert sum(table.outlet_total(o) for o in table.outlets) == sum(n for *_, n in rows)
    if "" in {s for _u, s, _n in rows}:
        assert table.outlets[-1] == NO_OUTLET


def test_coverage_leaves_out_actors_it_cannot_name_and_merges_unnamed_outlets():
    table = build_coverage(
        [("a", "", 2), ("a", "  ", 1), ("z", "Reuters", 3)], {"a": "A"}, {"": 4, "Reuters": 1}
    )
    assert table.outlets == (NO_OUTLET,)
    assert table.count("a", NO_OUTLET) == 3
    assert table.outlet_documents == {NO_OUTLET: 4, "Reuters": 1}
