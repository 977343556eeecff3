"""The analysts' tables: one row per event and one row per claim, built from the spans and
what they link to; expected rows are worked out here from the project's spans."""

from __future__ import annotations

import codecs
import csv
import io

import pytest

from db.records import ExportFilter
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
        "date",
        "type",
        "actors",
        "targets",
        "location",
        "evidence",
        "document",
        "annotator",
    ]
    events = [s for s in rich.store.spans(rich.doc_a, statuses=("accepted",)) if s.label == "Event"]
    assert len(rows) == len(events) == 2
    by_annotator = {row["annotator"]: row for row in rows}
    assert (
        by_annotator["analyst_a"]
        == {
            "date": "2024-02-07",
            "type": "airstrike",
            "actors": "US",  # the span the event names as its agent
            "targets": "",
            "location": "Baghdad",  # no location attribute: the span linked by "location"
            "evidence": TEXT_A[rich.event.start : rich.event.end],
            "document": "Strike on Baghdad",
            "annotator": "analyst_a",
        }
    )
    assert by_annotator["analyst_b"]["evidence"] == "US strike"
    assert by_annotator["analyst_b"]["date"] == ""


def test_claims_table_names_the_source_by_its_canonical_name(rich, tmp_path):
    out = tmp_path / "claims.csv"
    export_project(rich.store, "claims", out)
    rows = read_table(out)
    assert list(rows[0]) == ["text", "source actor", "stance", "document", "annotator"]
    assert sorted((r["annotator"], r["source actor"], r["stance"]) for r in rows) == [
        ("analyst_a", "Kataib Hezbollah", "critical"),
        ("analyst_b", "", ""),
    ]
    assert {r["text"] for r in rows} == {rich.claim.text}


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
    """Offsets, notes, attributes other than date, type, location and stance, and links the
    table has no column for (a claim's relations besides its source)."""
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
