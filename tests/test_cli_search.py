"""``dossier search`` over the seed corpus: plain, folded, case, substring and regular
expression searches, tab-separated and JSON output with exact offsets, bad patterns."""

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
    assert run("--db", db, "import", str(corpus)).exit_code == 0
    return db


def rows(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines()]


def test_folded_search_finds_a_name_spelled_with_and_without_an_apostrophe(project):
    plain = run("--db", project, "search", "Kataib")
    folded = run("--db", project, "search", "Kataib", "--fold")
    assert plain.exit_code == folded.exit_code == 0
    assert {row[4] for row in rows(plain.stdout)} == {"Kataib"}
    assert {row[4] for row in rows(folded.stdout)} == {"Kataib", "Kata’ib"}
    assert len(rows(folded.stdout)) > len(rows(plain.stdout))
    apostrophe = run("--db", project, "search", "Kata'ib", "--fold")
    assert apostrophe.stdout == folded.stdout
    with Store.open(project) as store:
        for document_id, title, start, end, text in rows(folded.stdout):
            document = store.document(int(document_id))
            assert document.text[int(start) : int(end)] == text
            assert document.title == title


def test_json_lines_carry_the_same_hits(project):
    lines = run("--db", project, "search", "Kataib Hezbollah", "--fold", "--json").stdout
    hits = [json.loads(line) for line in lines.splitlines()]
    assert hits and set(hits[0]) == {"document_id", "title", "start", "end", "text"}
    assert {hit["text"] for hit in hits} >= {"Kataib Hezbollah", "Kata’ib Hezbollah"}
    order = [(hit["document_id"], hit["start"]) for hit in hits]
    assert order == sorted(order)


def test_case_substring_and_regular_expressions(project):
    lower = rows(run("--db", project, "search", "kataib", "--case").stdout)
    assert lower == []
    inside = rows(run("--db", project, "search", "bolla", "--substring").stdout)
    assert inside and {row[4] for row in inside} == {"bolla"}
    assert rows(run("--db", project, "search", "bolla").stdout) == []
    regex = rows(run("--db", project, "search", r"Kata\S?ib\s+Hezbollah", "--regex").stdout)
    assert {row[4] for row in regex} == {"Kataib Hezbollah", "Kata’ib Hezbollah"}


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ["kata(ib", "--regex"],
            "dossier search: not a valid regular expression: missing ), unterminated subpattern at position 4",
        ),
        (["  "], "dossier search: the search is empty"),
    ],
)
def test_a_bad_pattern_exits_2_with_the_reason(project, args, reason):
    result = run("--db", project, "search", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(reason)


def test_searching_a_missing_project_creates_nothing(tmp_path):
    result = run("--db", str(tmp_path / "none.db"), "search", "x")
    assert result.exit_code == 2 and "no project" in result.stderr
    assert not (tmp_path / "none.db").exists()
