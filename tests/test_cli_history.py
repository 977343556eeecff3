"""``dossier history`` over a project made from the seed corpus: one line a change with
its time, who, document and what, --json, --document, --span, --since, a bad date."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from db.store import Store
from desktop.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, corpus):
    db = str(tmp_path / "p.db")
    imported = run(
        "--db",
        db,
        "import",
        str(corpus / "annotations" / "analyst_a.prodigy.jsonl"),
        "--annotator",
        "alice",
    )
    assert imported.exit_code == 0, imported.output
    return db


def rows(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines()]


def test_every_change_is_a_line_with_time_who_document_and_what(project):
    with Store.open(project, actor="bob") as store:
        span = store.spans_where()[0]
        store.update_span(span.uuid, note="checked")
        store.delete_span(span.uuid)
        count = len(store.history())
        document_id = span.document_id
    done = run("--db", project, "history")
    assert done.exit_code == 0
    lines = rows(done.stdout)
    assert len(lines) == count
    assert all(len(line) == 4 and line[0].endswith("Z") and len(line[0]) == 20 for line in lines)
    assert lines[0][1:] == ["alice", "-", "Added label Claim"]
    assert any(line[1] == "alice" and line[3].startswith("Tagged ") for line in lines)
    assert lines[-2][1:3] == ["bob", str(document_id)]
    assert lines[-2][3] == "Noted “checked”"
    assert lines[-1][3].startswith(f"Deleted {span.label} “")

    only = rows(run("--db", project, "history", "--span", span.uuid).stdout)
    assert [line[3].split()[0] for line in only] == ["Tagged", "Noted", "Deleted"]
    of_document = rows(run("--db", project, "history", "--document", str(document_id)).stdout)
    assert {line[2] for line in of_document} == {str(document_id)}
    assert len(of_document) < len(lines)


def test_json_since_and_a_bad_date(project):
    entries = [
        json.loads(line) for line in run("--db", project, "history", "--json").stdout.splitlines()
    ]
    assert entries[0]["kind"] == "label" and entries[0]["before"] is None
    spans = [e for e in entries if e["kind"] == "span"]
    assert spans and all(isinstance(e["after"]["attributes"], dict) for e in spans)
    assert all(e["what"].startswith("Tagged ") for e in spans)
    assert run("--db", project, "history", "--since", "2999-01-01").stdout == ""
    everything = run("--db", project, "history", "--since", "2000-01-01T00:00")
    assert len(everything.stdout.splitlines()) == len(entries)
    with_offset = run("--db", project, "history", "--since", "2000-01-01T05:00+05:00")
    assert with_offset.stdout == everything.stdout
    bad = run("--db", project, "history", "--since", "last tuesday")
    assert bad.exit_code == 2
    assert "--since 'last tuesday' is not a date" in bad.stderr
