"""The analysts' tables: one row per event and one row per claim, built from the spans and
what they link to; expected rows are worked out here from the project's spans."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from db.records import ExportFilter, ImportBatch, NewDocument
from desktop.formats import ExportOptions, export_project, import_paths
from tests.formats.project import TEXT_A


def read_table(path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_events_table(rich, tmp_path):
    out = tmp_path / "events.csv"
    export_project(rich.store, "events", out)
    rows = read_table(out)
    assert list(rows[0]) == [
        "event",
        "date",
        "date precision",
        "type",
        "agents",
        "agent ids",
        "targets",
        "target ids",
        "location",
        "fatalities",
        "evidence",
        "document",
        "outlet",
        "publication date",
        "annotator",
    ]
    events = [s for s in rich.store.spans(rich.doc_a, statuses=("accepted",)) if s.label == "Event"]
    assert len(rows) == len(events) == 2
    by_annotator = {row["annotator"]: row for row in rows}
    assert (
        by_annotator["analyst_a"]
        == {
            "event": rich.event.uuid,
            "date": "2024-02-07",
            "date precision": "day",
            "type": "airstrike",
            "agents": "US",  # the span the event names as its agent
            "agent ids": "",  # linked to no canonical actor
            "targets": "",
            "target ids": "",
            "location": "Baghdad",  # no location attribute: the span linked by "location"
            "fatalities": "",
            "evidence": TEXT_A[rich.event.start : rich.event.end],
            "document": "Strike on Baghdad",
            "outlet": "Reuters",
            "publication date": "",
            "annotator": "analyst_a",
        }
    )
    other = by_annotator["analyst_b"]
    assert (other["evidence"], other["date"], other["date precision"]) == ("US strike", "", "")
    assert other["event"] == next(e.uuid for e in events if e.annotator == "analyst_b")


def test_claims_table_names_the_source_by_its_canonical_name(rich, tmp_path):
    out = tmp_path / "claims.csv"
    export_project(rich.store, "claims", out)
    rows = read_table(out)
    assert list(rows[0]) == [
        "claim",
        "text",
        "source",
        "source ids",
        "stance",
        "certainty",
        "about",
        "about ids",
        "document",
        "outlet",
        "publication date",
        "annotator",
    ]
    # attributed_to, the older name of a claim's source, is still read
    assert sorted((r["annotator"], r["source"], r["stance"], r["outlet"]) for r in rows) == [
        ("analyst_a", "Kataib Hezbollah", "critical", "Reuters"),
        ("analyst_b", "", "", "Reuters"),
    ]
    assert sorted((r["annotator"], r["source ids"]) for r in rows) == [
        ("analyst_a", rich.entity.uuid),
        ("analyst_b", ""),
    ]
    assert {r["text"] for r in rows} == {rich.claim.text}
    assert rich.claim.uuid in {r["claim"] for r in rows}


ARTICLE = (
    "On Monday militiamen of the Kataib Hezbollah and Harakat al-Nujaba shelled a US base near "
    "Erbil, killing three soldiers. The Pentagon said Iran was behind the attack; Tehran "
    "denied any role. Residents reported a second blast in early February."
)


def build_records(store):
    """A project with the default schema: a dated, typed event with two agents (one a
    canonical actor), a target and a place; an older event dated by a ``time`` link; a claim
    with a source, certainty and what it is about; an older claim attributed_to its source."""
    store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=ARTICLE, title="=Strike near Erbil", source="AFP", published="2024-02-05"
                )
            ]
        )
    )
    [document_id] = store.document_ids()
    analyst = store.ensure_annotator("dana")
    label = {name: store.label_by_name(name).id for name in ("Claim", "Actor", "Event")}
    label["Time"] = store.add_label("Time").id
    khez = store.add_entity("Kataib Hezbollah", label="Actor", aliases=["KH"])

    def add(name, fragment, **fields):
        start = ARTICLE.index(fragment)
        return store.add_span(
            document_id, label[name], analyst.id, start, start + len(fragment), **fields
        )

    kh = add("Actor", "the Kataib Hezbollah", entity_uuid=khez.uuid)
    nujaba = add("Actor", "Harakat al-Nujaba")
    base = add("Actor", "a US base")
    pentagon = add("Actor", "The Pentagon")
    iran = add("Actor", "Iran")
    tehran = add("Actor", "Tehran")
    shelling = add(
        "Event",
        "shelled",
        attributes={"type": "ASSAULT", "date": "2024-W06", "location": "Erbil", "fatalities": 3},
    )
    blast = add("Event", "a second blast")
    when = add("Time", "early February")  # older projects linked a date span by "time"
    claim = add(
        "Claim",
        "Iran was behind the attack",
        attributes={"stance": "supports", "certainty": "asserted"},
    )
    denial = add("Claim", "denied any role", attributes={"certainty": "denied"})
    for head, tail, kind in (
        (shelling, nujaba, "agent"),
        (shelling, kh, "agent"),
        (shelling, base, "target"),
        (blast, when, "time"),
        (claim, pentagon, "source"),
        (claim, iran, "about"),
        (claim, shelling, "about"),
        (denial, tehran, "attributed_to"),
    ):
        store.add_relation(head.uuid, tail.uuid, kind, analyst.id)
    return shelling, blast, claim, denial


def test_events_are_records_with_date_precision_actors_and_the_outlet(memory_store, tmp_path):
    shelling, blast, _, _ = build_records(memory_store)
    [khez] = [entity.uuid for entity in memory_store.entities()]
    out = tmp_path / "events.csv"
    export_project(memory_store, "events", out)
    rows = {row["event"]: row for row in read_table(out)}
    assert set(rows) == {shelling.uuid, blast.uuid}
    assert rows[shelling.uuid] == {
        "event": shelling.uuid,
        "date": "2024-W06",
        "date precision": "week",
        "type": "ASSAULT",
        # canonical name where linked, else the text; in text order
        "agents": "Kataib Hezbollah; Harakat al-Nujaba",
        # the canonical actors' uuids, one per name, empty where a name is no actor's
        "agent ids": f"{khez}; ",
        "targets": "a US base",
        "target ids": "",
        "location": "Erbil",
        "fatalities": "3",
        "evidence": "shelled",
        "document": "'=Strike near Erbil",  # formula-safe
        "outlet": "AFP",
        "publication date": "2024-02-05",
        "annotator": "dana",
    }
    older = rows[blast.uuid]
    # no date attribute: the text of the span linked by "time", of no ISO precision
    assert (older["date"], older["date precision"], older["type"]) == ("early February", "", "")


def test_claims_are_records_with_source_certainty_and_what_they_are_about(memory_store, tmp_path):
    _, _, claim, denial = build_records(memory_store)
    out = tmp_path / "claims.csv"
    export_project(memory_store, "claims", out)
    rows = {row["claim"]: row for row in read_table(out)}
    assert rows[claim.uuid] == {
        "claim": claim.uuid,
        "text": "Iran was behind the attack",
        "source": "The Pentagon",
        "source ids": "",
        "stance": "supports",
        "certainty": "asserted",
        "about": "shelled; Iran",  # an event and an actor, in text order
        "about ids": "",
        "document": "'=Strike near Erbil",
        "outlet": "AFP",
        "publication date": "2024-02-05",
        "annotator": "dana",
    }
    assert (rows[denial.uuid]["source"], rows[denial.uuid]["certainty"]) == ("Tehran", "denied")
    assert rows[denial.uuid]["stance"] == rows[denial.uuid]["about"] == ""


def test_suggested_events_stay_out_and_label_filters_are_refused(rich, tmp_path):
    out = tmp_path / "events.csv"
    export_project(rich.store, "events", out)
    assert all(row["evidence"] != rich.rejected.text for row in read_table(out))
    with pytest.raises(ValueError, match="--label does not apply to the events table"):
        export_project(
            rich.store, "events", out, ExportOptions(filter=ExportFilter(labels=("Event",)))
        )
    with pytest.raises(ValueError, match="events writes accepted spans only"):
        export_project(
            rich.store, "events", out, ExportOptions(filter=ExportFilter(statuses=("suggested",)))
        )


def test_one_annotators_table(rich, tmp_path):
    out = tmp_path / "claims.csv"
    export_project(
        rich.store, "claims", out, ExportOptions(filter=ExportFilter(annotators=("analyst_b",)))
    )
    assert [row["annotator"] for row in read_table(out)] == ["analyst_b"]


def test_the_corpus_tables(memory_store, corpus, tmp_path):
    import_paths(memory_store, [corpus])
    for name, label in (("events", "Event"), ("claims", "Claim")):
        out = tmp_path / f"{name}.csv"
        export_project(memory_store, name, out)
        rows = read_table(out)
        spans = [
            s
            for d in memory_store.document_ids()
            for s in memory_store.spans(d)
            if s.label == label
        ]
        column = "evidence" if name == "events" else "text"
        assert sorted(row[column] for row in rows) == sorted(s.text for s in spans)


def test_what_the_tables_cannot_carry(rich, tmp_path):
    """Offsets, notes, attributes the tables have no column for, and links they do not
    follow."""
    out = tmp_path / "events.csv"
    export_project(rich.store, "events", out)
    content = out.read_bytes().decode("utf-8-sig")
    assert "retaliation" not in content and "True" not in content  # an attribute left out
    assert "HYPERLINK" not in content  # the event's note
    assert not {"start", "end"} & set(content.split("\r\n", 1)[0].split(","))
    claims = tmp_path / "claims.csv"
    export_project(rich.store, "claims", claims)
    text = claims.read_bytes().decode("utf-8-sig")
    assert "two words" not in text and "0.9" not in text  # the claim's other attributes


def test_canonical_ids_stand_beside_the_names(memory_store, tmp_path):
    """Two spans of one actor are one name and one id; two actors of one name are two;
    the ids line up with the names, an unlinked name's id empty."""
    shelling, _, claim, _ = build_records(memory_store)
    [khez] = memory_store.entities()
    document_id = memory_store.document_ids()[0]
    dana = memory_store.ensure_annotator("dana").id
    actor = memory_store.label_by_name("Actor").id
    iran = memory_store.add_entity("Iran", label="Actor", type="state")
    tehran = memory_store.add_entity("Iran", label="Actor", description="another Iran")
    spans = {s.text: s for s in memory_store.spans(document_id)}
    for text, entity in (("Iran", iran), ("Tehran", tehran)):
        span = spans[text]
        memory_store.update_span(span.uuid, span.version, entity_uuid=entity.uuid)
    start = ARTICLE.index("militiamen")
    militia = memory_store.add_span(
        document_id, actor, dana, start, start + len("militiamen"), entity_uuid=khez.uuid
    )
    for tail in (militia, spans["Tehran"]):
        memory_store.add_relation(shelling.uuid, tail.uuid, "agent", dana)
        memory_store.add_relation(claim.uuid, tail.uuid, "about", dana)
    out = tmp_path / "events.csv"
    export_project(memory_store, "events", out)
    row = next(r for r in read_table(out) if r["event"] == shelling.uuid)
    # militiamen and the Kataib Hezbollah: one actor; the Iran of Tehran: another Iran
    assert row["agents"] == "Kataib Hezbollah; Harakat al-Nujaba; Iran"
    assert row["agent ids"] == f"{khez.uuid}; ; {tehran.uuid}"
    claims = tmp_path / "claims.csv"
    export_project(memory_store, "claims", claims)
    row = next(r for r in read_table(claims) if r["claim"] == claim.uuid)
    assert row["about"] == "Kataib Hezbollah; shelled; Iran; Iran"
    assert row["about ids"] == f"{khez.uuid}; ; {iran.uuid}; {tehran.uuid}"
