"""The span table for spreadsheets: UTF-8 with BOM, CRLF rows, formula-safe cells, read back
with Python's csv module."""

from __future__ import annotations

import codecs
import csv
import io
import json

from db.records import ExportFilter, ImportBatch, NewDocument, NewSpan
from desktop.formats import ExportOptions, export_project, import_paths
from tests.formats.project import TEXT_A


def read_table(path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def unformula(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


def test_one_row_per_span_with_what_an_analyst_reads(rich, tmp_path):
    out = tmp_path / "spans.csv"
    export_project(rich.store, "csv", out)
    rows = read_table(out)
    assert list(rows[0]) == [
        "document",
        "label",
        "text",
        "start",
        "end",
        "annotator",
        "status",
        "note",
        "origin",
        "confidence",
        "attributes",
        "entity",
        "document_hash",
        "uuid",
    ]
    spans = {
        s.uuid: s
        for d in rich.store.document_ids()
        for s in rich.store.spans(d, statuses=("accepted",))
    }
    assert sorted(row["uuid"] for row in rows) == sorted(spans)
    for row in rows:
        span = spans[row["uuid"]]
        document = rich.store.document(span.document_id)
        assert (unformula(row["label"]), int(row["start"]), int(row["end"])) == (
            span.label,
            span.start,
            span.end,
        )
        assert (row["annotator"], row["status"], unformula(row["note"])) == (
            span.annotator,
            span.status,
            span.note,
        )
        assert unformula(row["text"]) == document.text[span.start : span.end]
        assert json.loads(row["attributes"] or "{}") == span.attributes
        assert row["document"] == document.title and row["document_hash"] == document.content_hash
    actor = next(row for row in rows if row["uuid"] == rich.actor.uuid)
    assert actor["entity"] == "Kataib Hezbollah"
    # Rows end with CRLF, as spreadsheets expect; CRLF inside a cell stays inside its quotes.
    assert out.read_bytes().count(b"\r\n") >= len(rows) + 1


def test_cells_that_look_like_formulas_are_written_as_text(memory_store, tmp_path):
    starts = ["=1+1", "+31 6", "-2", "@SUM(A1)", "\tTab", "\rCR", "plain", "a=b"]
    text = " ".join(starts)
    spans, position = [], 0
    for cell in starts:
        start = text.index(cell, position)
        spans.append(NewSpan("Actor", start, start + len(cell), "ana", note=cell))
        position = start + len(cell)
    memory_store.import_batch(
        ImportBatch(documents=[NewDocument(text=text, title='=HYPERLINK("evil")', spans=spans)])
    )
    out = tmp_path / "cells.csv"
    export_project(memory_store, "csv", out)
    rows = read_table(out)
    for row in rows:
        cell = text[int(row["start"]) : int(row["end"])]
        expected = "'" + cell if cell[0] in "=+-@\t\r" else cell
        assert row["text"] == expected and row["note"] == expected
        assert row["document"] == '\'=HYPERLINK("evil")'
    assert sum(row["text"].startswith("'") for row in rows) == 6


def test_the_table_may_show_suggestions_since_it_has_a_status_column(rich, tmp_path):
    out = tmp_path / "all.csv"
    flt = ExportFilter(statuses=("accepted", "suggested", "rejected"))
    export_project(rich.store, "csv", out, ExportOptions(filter=flt))
    statuses = {(row["uuid"], row["status"]) for row in read_table(out)}
    assert (rich.suggestion.uuid, "suggested") in statuses
    assert (rich.rejected.uuid, "rejected") in statuses
    default = tmp_path / "default.csv"
    export_project(rich.store, "csv", default)
    assert {row["status"] for row in read_table(default)} == {"accepted"}


def test_what_the_table_cannot_carry(rich, tmp_path):
    """Relations, and the documents' texts (only the spans' own text is there)."""
    out = tmp_path / "spans.csv"
    export_project(rich.store, "csv", out)
    content = out.read_bytes().decode("utf-8-sig")
    for relation in rich.store.relations(rich.doc_a):
        assert relation.type not in content and relation.uuid not in content
    assert TEXT_A not in content


def test_the_corpus_table_has_both_analysts_spans(memory_store, corpus, tmp_path):
    import_paths(memory_store, [corpus])
    out = tmp_path / "corpus.csv"
    export_project(memory_store, "csv", out)
    rows = read_table(out)
    assert len(rows) == 64
    assert {row["annotator"] for row in rows} == {"analyst_a", "analyst_b"}
