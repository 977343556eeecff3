"""Canonical actors as undoable commands (desktop/review/actors.py) on the real store, SQLite
and PostgreSQL: create, edit, merge, split, accept and reject proposed groups; every undo puts
the database back exactly, every redo does the edit again."""

from __future__ import annotations

import pytest

from db.records import ImportBatch, NewDocument, NewSpan
from db.store import StoreError
from desktop import commands
from desktop.nlp.actors import Proposal, name_key
from desktop.review import actors

TEXT_ONE = (
    "Kataib Hezbollah said on Friday that Abu Baqir al-Saadi was killed. "
    "Abu Baqer had led Kata’ib Hezbollah's operations. The Pentagon confirmed it."
)
TEXT_TWO = (
    "👍🏽 Officials in Baghdad said Kataib Hezbollah would respond.\r\n"
    "Wisam Mohammed Saber al-Saedi, known as Abu Baqer, died in the strike. CENTCOM said so."
)


def _spans(text: str, label: str, *names: str) -> list[NewSpan]:
    found = []
    for name in names:
        start = text.index(name)
        found.append(NewSpan(label, start, start + len(name), "ana", attributes={}))
    return found


@pytest.fixture
def project(store):
    one = NewDocument(
        TEXT_ONE,
        title="One",
        spans=_spans(
            TEXT_ONE,
            "Actor",
            "Kataib Hezbollah",
            "Abu Baqir al-Saadi",
            "Abu Baqer",
            "Kata’ib Hezbollah",
            "The Pentagon",
        )
        + _spans(TEXT_ONE, "Claim", "Abu Baqir al-Saadi was killed"),
    )
    two = NewDocument(
        TEXT_TWO,
        title="Two",
        spans=_spans(
            TEXT_TWO,
            "Actor",
            "Kataib Hezbollah",
            "Wisam Mohammed Saber al-Saedi",
            "Abu Baqer",
            "CENTCOM",
        ),
    )
    summary = store.import_batch(ImportBatch(documents=[one, two]))
    return store, summary.document_ids


def _span(store, document_id: int, text: str, label: str = "Actor"):
    return next(
        span for span in store.spans(document_id) if span.text == text and span.label == label
    )


def _picture(store) -> tuple:
    """Everything an actor edit may touch, without ids (an undone delete makes a new row)."""
    entities = sorted(
        (e.uuid, e.name, e.label, e.description, e.aliases, e.type) for e in store.entities()
    )
    links = sorted(
        (span.uuid, span.entity_uuid)
        for document_id in store.document_ids()
        for span in store.spans(document_id)
    )
    return entities, links, sorted(store.rejected_pairs())


def _round_trip(store, command, before) -> tuple:
    """Apply, undo (the database as before), redo; returns the picture after the edit."""
    command.apply()
    after = _picture(store)
    assert after != before
    command.undo()
    assert _picture(store) == before
    command.redo()
    assert _picture(store) == after
    return after


def test_a_new_actor_from_a_span_links_it_and_takes_its_type(project):
    store, (one, _) = project
    span = _span(store, one, "Abu Baqir al-Saadi")
    span = commands.set_attribute(store, span, "type", "person").apply().updated[0]
    before = _picture(store)
    command = actors.create_actor_from_span(store, span)
    change = command.apply()
    (entity,) = store.entities()
    assert (entity.name, entity.label, entity.type, entity.aliases) == (
        "Abu Baqir al-Saadi",
        "Actor",
        "person",
        (),
    )
    assert store.span(span.uuid).entity_uuid == entity.uuid
    assert change.spans == [(span.uuid, one)]
    assert store.span(span.uuid).version == span.version + 1
    command.undo()
    assert _picture(store) == before
    command.redo()
    assert store.span(span.uuid).entity_uuid == entity.uuid
    assert store.entity(entity.uuid).name == "Abu Baqir al-Saadi"


def test_merge_joins_names_aliases_and_links_and_undo_parts_them(project):
    store, (one, two) = project
    saadi = actors.create_actor(
        store,
        "Abu Baqir al-Saadi",
        span_uuids=[_span(store, one, "Abu Baqir al-Saadi").uuid],
        aliases=["Abu Baqer"],
        type="person",
    )
    saadi.apply()
    saedi = actors.create_actor(
        store,
        "Wisam Mohammed Saber al-Saedi",
        span_uuids=[_span(store, two, "Wisam Mohammed Saber al-Saedi").uuid],
        aliases=["Wissam al-Saedi"],
        description="KH commander",
    )
    saedi.apply()
    keep, gone = saadi.after[0].entity.uuid, saedi.after[0].entity.uuid
    before = _picture(store)
    command = actors.merge_actors(store, keep, [gone])
    _round_trip(store, command, before)
    (merged,) = store.entities()
    assert merged.uuid == keep
    assert merged.aliases == ("Abu Baqer", "Wisam Mohammed Saber al-Saedi", "Wissam al-Saedi")
    assert (merged.type, merged.description) == ("person", "KH commander")
    (summary,) = store.actor_summaries()
    assert (summary.mentions, summary.documents) == (2, 2)


def test_taking_an_alias_out_takes_its_mentions(project):
    store, (one, two) = project
    spans = [
        _span(store, one, "Abu Baqir al-Saadi"),
        _span(store, one, "Abu Baqer"),
        _span(store, two, "Abu Baqer"),
    ]
    create = actors.create_actor(
        store, "Abu Baqir al-Saadi", span_uuids=[s.uuid for s in spans], aliases=["Abu Baqer"]
    )
    create.apply()
    uuid = create.after[0].entity.uuid
    before = _picture(store)
    _round_trip(store, actors.split_alias(store, uuid, "Abu Baqer"), before)
    by_name = {entity.name: entity for entity in store.entities()}
    assert by_name["Abu Baqir al-Saadi"].aliases == ()
    moved = {m.span_uuid for m in store.actor_mentions(by_name["Abu Baqer"].uuid)}
    assert moved == {spans[1].uuid, spans[2].uuid}
    with pytest.raises(StoreError, match="not an alias"):
        actors.split_alias(store, uuid, "Nobody")


def test_taking_one_mention_out(project):
    store, (one, two) = project
    spans = [_span(store, one, "Kataib Hezbollah"), _span(store, two, "Kataib Hezbollah")]
    create = actors.create_actor(store, "Kataib Hezbollah", span_uuids=[s.uuid for s in spans])
    create.apply()
    before = _picture(store)
    _round_trip(store, actors.split_mention(store, store.span(spans[1].uuid)), before)
    assert sorted(
        (e.name, tuple(m.span_uuid for m in store.actor_mentions(e.uuid))) for e in store.entities()
    ) == sorted([("Kataib Hezbollah", (spans[0].uuid,)), ("Kataib Hezbollah", (spans[1].uuid,))])


def test_a_span_linked_elsewhere_goes_back_on_undo(project):
    store, (one, _) = project
    span = _span(store, one, "Abu Baqer")
    first = actors.create_actor(store, "Somebody", span_uuids=[span.uuid])
    first.apply()
    before = _picture(store)
    second = actors.create_actor(store, "Abu Baqer", span_uuids=[span.uuid])
    _round_trip(store, second, before)
    assert store.span(span.uuid).entity_uuid == second.after[0].entity.uuid
    second.undo()
    assert store.span(span.uuid).entity_uuid == first.after[0].entity.uuid


def test_edit_renames_and_refuses_an_alias_another_actor_has(project):
    store, _ = project
    kh = store.add_entity("Kataib Hezbollah", label="Actor", aliases=["KH"])
    other = store.add_entity("Hezbollah", label="Actor")
    before = _picture(store)
    command = actors.edit_actor(
        store,
        kh.uuid,
        name="Kata’ib Hezbollah",
        aliases=["KH", "Kataib Hezbollah"],
        type="armed group",
    )
    _round_trip(store, command, before)
    assert store.entity(kh.uuid).aliases == ("KH", "Kataib Hezbollah")
    current = _picture(store)
    with pytest.raises(StoreError, match="already belongs to “Kata’ib Hezbollah”"):
        actors.edit_actor(store, other.uuid, aliases=["KH"]).apply()
    assert _picture(store) == current
    with pytest.raises(StoreError, match="claimed by two actors"):
        store.put_entities(
            [
                actors.EntityState(actors.replace(other, aliases=("X",)), ()),
                actors.EntityState(actors._new_record("Y", aliases=["X"]), ()),
            ]
        )
    assert _picture(store) == current


def test_only_a_span_of_the_actors_label_links_to_it(project):
    store, (one, _) = project
    kh = store.add_entity("Kataib Hezbollah", label="Actor")
    claim = _span(store, one, "Abu Baqir al-Saadi was killed", "Claim")
    with pytest.raises(StoreError, match="only a span labelled Actor"):
        commands.UpdateSpans(store, [claim], "Link", entity_uuid=kh.uuid).apply()
    assert store.span(claim.uuid).entity_uuid is None
    with pytest.raises(StoreError, match="not of the actor's label"):
        actors.create_actor(store, "A claim", span_uuids=[claim.uuid]).apply()
    assert [e.name for e in store.entities()] == ["Kataib Hezbollah"]


def _proposal(names, entity_uuids=()) -> Proposal:
    keys = sorted({name_key(n) for n in names})
    return Proposal(
        names=tuple(names),
        score=0.9,
        reasons=("test",),
        entity_uuids=tuple(entity_uuids),
        pairs=tuple((a, b) for i, a in enumerate(keys) for b in keys[i + 1 :]),
    )


def test_accepting_a_group_makes_one_actor_of_its_spellings(project):
    store, (one, two) = project
    before = _picture(store)
    group = _proposal(["Abu Baqer", "Abu Baqir al-Saadi", "Wisam Mohammed Saber al-Saedi"])
    _round_trip(store, actors.accept_proposal(store, group), before)
    (entity,) = store.entities()
    assert entity.name == "Wisam Mohammed Saber al-Saedi"  # the fullest name
    assert entity.aliases == ("Abu Baqer", "Abu Baqir al-Saadi")
    mentions = store.actor_mentions(entity.uuid)
    assert sorted((m.document_id, m.text) for m in mentions) == [
        (one, "Abu Baqer"),
        (one, "Abu Baqir al-Saadi"),
        (two, "Abu Baqer"),
        (two, "Wisam Mohammed Saber al-Saedi"),
    ]


def test_accepting_a_group_into_actors_it_holds_merges_them(project):
    store, (one, two) = project
    kh = actors.create_actor(
        store, "Kataib Hezbollah", span_uuids=[_span(store, two, "Kataib Hezbollah").uuid]
    )
    kh.apply()
    other = store.add_entity("KH", label="Actor")
    keep = kh.after[0].entity.uuid
    before = _picture(store)
    group = _proposal(["Kataib Hezbollah", "Kata’ib Hezbollah", "KH"], [keep, other.uuid])
    _round_trip(store, actors.accept_proposal(store, group), before)
    (entity,) = store.entities()
    assert (entity.uuid, entity.aliases) == (keep, ("KH", "Kata’ib Hezbollah"))
    assert {m.text for m in store.actor_mentions(keep)} == {"Kataib Hezbollah", "Kata’ib Hezbollah"}
    assert len(store.actor_mentions(keep)) == 3


def test_a_rejected_group_is_remembered_and_undo_forgets_only_what_it_added(project):
    store, _ = project
    store.add_rejected_pairs([("iran", "iraq")])
    group = _proposal(["Iran", "Iraq", "Iraqi"])
    command = actors.RejectProposal(store, group)
    before = _picture(store)
    _round_trip(store, command, before)
    assert store.rejected_pairs() == {("iran", "iraq"), ("iran", "iraqi"), ("iraq", "iraqi")}
    command.undo()
    assert store.rejected_pairs() == {("iran", "iraq")}


def test_summaries_and_mentions_with_the_words_around(project):
    store, (one, two) = project
    spans = [_span(store, one, "Kataib Hezbollah"), _span(store, two, "Kataib Hezbollah")]
    command = actors.create_actor(
        store, "Kataib Hezbollah", span_uuids=[s.uuid for s in spans], type="armed group"
    )
    command.apply()
    uuid = command.after[0].entity.uuid
    # a rejected suggestion that links to the actor is not a mention
    suggested = store.add_span(
        one, spans[0].label_id, spans[0].annotator_id, 0, 6, status="suggested", entity_uuid=uuid
    )
    store.set_span_status([suggested.uuid], "rejected")
    (summary,) = store.actor_summaries()
    assert (summary.name, summary.type, summary.mentions, summary.documents) == (
        "Kataib Hezbollah",
        "armed group",
        2,
        2,
    )
    mentions = store.actor_mentions(uuid)
    assert [(m.document_title, m.text) for m in mentions] == [
        ("One", "Kataib Hezbollah"),
        ("Two", "Kataib Hezbollah"),
    ]
    second = mentions[1]
    start = TEXT_TWO.index("Kataib Hezbollah")
    assert second.before == TEXT_TWO[max(0, start - 60) : start]
    assert second.before.startswith("👍🏽")
    assert second.after == TEXT_TWO[start + 16 : start + 16 + 60]
    assert "\r\n" in second.after
    assert store.actor_summaries("Event") == []


def test_mentions_for_suggestions_read_texts_links_and_actor_names(project):
    store, (one, _) = project
    kh = actors.create_actor(
        store,
        "Kataib Hezbollah",
        span_uuids=[_span(store, one, "Kataib Hezbollah").uuid],
        aliases=["KH"],
    )
    kh.apply()
    uuid = kh.after[0].entity.uuid
    found = {m.text: m for m in actors.mentions(store)}
    assert found["Kataib Hezbollah"].count == 2  # one linked, one not: the link wins
    assert found["Kataib Hezbollah"].entity_uuid == uuid
    assert (found["KH"].count, found["KH"].entity_uuid) == (0, uuid)
    assert (found["Abu Baqer"].count, found["Abu Baqer"].entity_uuid) == (2, None)
    assert "Abu Baqir al-Saadi was killed" not in found  # a Claim


@pytest.mark.parametrize(
    ("names", "chosen"),
    [
        (["Biden", "President Joe Biden", "Joe Biden", "President Biden"], "Joe Biden"),
        (["IRGC", "Islamic Revolutionary Guard Corps"], "Islamic Revolutionary Guard Corps"),
        (["Abu Baqer", "Abu Baqir al-Saadi"], "Abu Baqir al-Saadi"),
        (["Maj. Gen. Qassem Soleimani", "Qasem Soleimani"], "Qasem Soleimani"),
        (
            ["Sudani", "Prime Minister Mohammed Shia al-Sudani"],
            "Prime Minister Mohammed Shia al-Sudani",
        ),
        (["Kataib Hezbollah", "Kata’ib Hezbollah"], "Kata’ib Hezbollah"),
        (["President", "Trump"], "President"),
        (["US military", "the US military"], "US military"),
        (["the Pentagon"], "the Pentagon"),
        (["US Central Command (CENTCOM)", "CENTCOM"], "US Central Command"),
        (["(IRI)", "IRI"], "(IRI)"),
    ],
)
def test_a_new_actor_takes_the_fullest_name_without_titles(names, chosen):
    assert actors.canonical_name(names) == chosen


def test_a_link_made_elsewhere_after_a_merge_was_planned_follows_the_merge(project, db_url):
    """Two analysts: one plans a merge of Saedi into Saadi; meanwhile the other links a span
    to Saedi. The merge takes that span along; it is not left unlinked."""
    from db.store import Store

    store, (one, two) = project
    saadi = store.add_entity("Abu Baqir al-Saadi", label="Actor")
    saedi = store.add_entity("Wisam Mohammed Saber al-Saedi", label="Actor")
    merge = actors.merge_actors(store, saadi.uuid, [saedi.uuid])
    with Store.open(db_url) as colleague:
        span = _span(colleague, two, "Wisam Mohammed Saber al-Saedi")
        commands.UpdateSpans(colleague, [span], "Link", entity_uuid=saedi.uuid).apply()
    change = merge.apply()
    assert store.span(span.uuid).entity_uuid == saadi.uuid
    assert (span.uuid, two) in change.spans
    assert [e.name for e in store.entities()] == ["Abu Baqir al-Saadi"]


def test_a_linked_actor_relabelled_loses_its_link_and_undo_brings_it_back(project, tmp_path):
    """A span relabelled away from the actor's label no longer names the actor; the export
    of the project then imports (an import refuses a Claim linked to an actor)."""
    from db.store import Store
    from desktop.formats import export_project, import_paths

    store, (one, _) = project
    kh = store.add_entity("Kataib Hezbollah", label="Actor")
    span = _span(store, one, "Kataib Hezbollah")
    span = commands.UpdateSpans(store, [span], "Link", entity_uuid=kh.uuid).apply().updated[0]
    claim = store.label_by_name("Claim")
    relabel = commands.relabel_spans(store, [span], claim.id, "Claim")
    (relabelled,) = relabel.apply().updated
    assert (relabelled.label, relabelled.entity_uuid) == ("Claim", None)
    relabel.undo()
    assert (store.span(span.uuid).label, store.span(span.uuid).entity_uuid) == ("Actor", kh.uuid)
    relabel.redo()
    out = tmp_path / "project.jsonl"
    export_project(store, "jsonl", out)
    with Store.open(tmp_path / "again.db") as again:
        import_paths(again, [out])
        assert again.span(span.uuid).label == "Claim"
