"""The command-line contract: import, export, stats, --db / DOSSIER_DB, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db.store import Store
from desktop.cli import app
from tests.conftest import table_names

runner = CliRunner()


def run(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def test_import_then_stats(tmp_path, corpus):
    db = str(tmp_path / "p.db")
    result = run("--db", db, "import", str(corpus))
    assert result.exit_code == 0, result.output
    assert "5 document(s) added" in result.stdout
    assert "attributed to 'analyst_b'" in result.stdout
    stats = json.loads(run("stats", "--json", "--db", db).stdout)
    assert stats["documents"] == 5 and stats["documents_annotated"] == 2
    table = run("stats", "--db", db).stdout
    assert "analyst_a" in table and "per label" in table


def test_db_comes_from_the_environment(tmp_path, corpus):
    db = tmp_path / "env.db"
    result = run("import", str(corpus / "000_f40a1a98859d52a1.txt"), env={"DOSSIER_DB": str(db)})
    assert result.exit_code == 0
    with Store.open(db) as store:
        assert store.document_count() == 1


def test_the_default_project_lives_in_the_data_folder(dossier_home, corpus):
    result = run("import", str(corpus / "001_4932432c3956f33a.txt"))
    assert result.exit_code == 0
    assert (dossier_home / "data" / "dossier.db").exists()


def test_bad_input_exits_2_with_file_and_line_and_writes_nothing(tmp_path):
    db = str(tmp_path / "p.db")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"text": "fine"}\n{"text": "x", "spans": [{"start": 0, "end": 5, "label": "A"}]}\n',
        encoding="utf-8",
    )
    result = run("--db", db, "import", str(bad), "--annotator", "a")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"{bad}:2: span 1: offsets 0-5 fall outside the text of 1 characters"
    )
    assert result.stdout == ""
    with Store.open(db) as store:
        assert store.document_count() == 0


def test_a_newer_project_is_refused_with_exit_2(tmp_path):
    import sqlite3

    db = tmp_path / "p.db"
    Store.open(db).close()
    connection = sqlite3.connect(db)
    connection.execute("UPDATE alembic_version SET version_num = 'ffff'")
    connection.commit()
    connection.close()
    result = run("--db", str(db), "stats")
    assert result.exit_code == 2
    assert "newer version of Dossier" in result.stderr


def test_export_options_are_checked(tmp_path, corpus):
    db = str(tmp_path / "p.db")
    run("--db", db, "import", str(corpus))
    out = str(tmp_path / "x.jsonl")
    assert run("--db", db, "export", "-f", "nonsense", "-o", out).exit_code == 2
    assert run("--db", db, "export", "-f", "jsonl", "-o", out, "--status", "maybe").exit_code == 2
    result = run("--db", db, "export", "-f", "jsonl", "-o", out, "--annotator", "nobody")
    assert result.exit_code == 2 and "no annotator called 'nobody'" in result.stderr
    assert not os.path.exists(out)
    result = run(
        "--db",
        db,
        "export",
        "-f",
        "jsonl",
        "-o",
        out,
        "--annotator",
        "analyst_b",
        "--label",
        "claim",
    )
    assert result.exit_code == 0
    assert "4 span(s)" in result.stdout


def test_usage_errors_exit_2():
    assert run("import").exit_code == 2
    assert run("frobnicate").exit_code == 2


DOSSIER_SCRIPT = str(Path(sys.executable).with_name("dossier"))


@pytest.mark.parametrize("command", [[sys.executable, "-m", "desktop"], [DOSSIER_SCRIPT]])
def test_the_installed_commands_run(command, tmp_path, corpus):
    env = {**os.environ, "DOSSIER_HOME": str(tmp_path)}
    version = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, env=env, check=False
    )
    assert version.returncode == 0 and version.stdout.startswith("dossier ")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Caf\xe9 in Baghdad\n")
    result = subprocess.run(
        [*command, "import", str(bad)], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"{bad}:1: not UTF-8 (byte 0xe9); save the file as UTF-8 or UTF-16 with a byte-order mark"
    )


# --- refusing a bad --db: one line, exit 2, for every command ---------------------------------

READ_COMMANDS = {
    "stats": ["stats"],
    "documents": ["documents"],
    "export": ["export", "-f", "jsonl", "-o", "{tmp}/out.jsonl"],
    "agreement": ["agreement", "--annotators", "analyst_a", "analyst_b"],
    "suggest": ["suggest", "--annotator", "ana"],
    "train": ["train", "-o", "{tmp}/model"],
}
COMMANDS = {**READ_COMMANDS, "import": ["import", "{corpus}/000_f40a1a98859d52a1.txt"]}


def command_args(name: str, tmp_path: Path, corpus: Path) -> list[str]:
    return [arg.format(tmp=tmp_path, corpus=corpus) for arg in COMMANDS[name]]


def bad_db(kind: str, tmp_path: Path) -> tuple[str, str]:
    """A --db that cannot be opened, and what the one line must say about it."""
    if kind == "unreachable":
        return "postgresql://nobody:s3cret@127.0.0.1:1/x", "postgresql://nobody:***@127.0.0.1:1/x"
    if kind == "no driver":
        return "mysql://u@h/db", "mysql driver is not installed"
    if kind == "made-up scheme":
        return "madeup://u@h/db", "unknown kind of database 'madeup'"
    if kind == "folder":
        return str(tmp_path), "is a folder, not a project file"
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("just some notes\n" * 100, encoding="utf-8")
    return str(not_a_database), "not a Dossier database"


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    "kind", ["unreachable", "no driver", "made-up scheme", "folder", "not a database"]
)
def test_a_bad_db_is_one_line_on_stderr_and_exit_2(command, kind, tmp_path, corpus):
    db, says = bad_db(kind, tmp_path)
    result = run("--db", db, *command_args(command, tmp_path, corpus))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("dossier: ") and result.stderr.count("\n") == 1
    assert says in result.stderr and "s3cret" not in result.stderr
    assert result.stdout == ""


def test_the_installed_command_refuses_an_unreachable_server_without_a_traceback(tmp_path):
    env = {**os.environ, "DOSSIER_HOME": str(tmp_path)}
    result = subprocess.run(
        [DOSSIER_SCRIPT, "--db", "postgresql://nobody:s3cret@127.0.0.1:1/x", "stats"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("dossier: cannot open postgresql://nobody:***@127.0.0.1:1/x: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# --- only import creates a project -------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(READ_COMMANDS))
@pytest.mark.parametrize("where", ["typo.db", "no/such/folder/p.db"])
def test_a_read_command_on_a_missing_project_creates_nothing(command, where, tmp_path, corpus):
    db = tmp_path / where
    result = run("--db", str(db), *command_args(command, tmp_path, corpus))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"dossier: no project at {db}")
    assert result.stderr.count("\n") == 1
    assert not db.exists() and not (tmp_path / "no").exists()
    if where == "typo.db":
        assert "`dossier import` to create one, or check the path" in result.stderr
    else:
        assert f"the folder {db.parent} does not exist" in result.stderr


def test_a_read_command_on_the_missing_default_project_creates_nothing(dossier_home):
    result = run("stats")
    assert result.exit_code == 2
    assert f"no project at {dossier_home / 'data' / 'dossier.db'}" in result.stderr
    assert not (dossier_home / "data").exists()


def test_import_creates_the_project_that_read_commands_then_open(tmp_path, corpus):
    db = str(tmp_path / "new" / "p.db")
    assert run("--db", db, "stats").exit_code == 2
    assert run("--db", db, "import", str(corpus)).exit_code == 0
    result = run("--db", db, "stats", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["documents"] == 5


def test_an_empty_postgresql_database_is_refused_by_reads_and_created_by_import(pg_url, corpus):
    for command in (["stats"], ["documents"], ["agreement", "-a", "analyst_a", "analyst_b"]):
        result = run("--db", pg_url, *command)
        assert result.exit_code == 2
        assert result.stderr.startswith("dossier: no project at postgresql")
        assert "or check the URL" in result.stderr
    assert table_names(pg_url) == []
    assert run("--db", pg_url, "import", str(corpus)).exit_code == 0
    result = run("--db", pg_url, "documents", "--json")
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 5


# --- export and train: the output's folder must exist -----------------------------------------


@pytest.fixture
def seeded(tmp_path, corpus) -> str:
    db = str(tmp_path / "seeded.db")
    assert run("--db", db, "import", str(corpus)).exit_code == 0
    return db


@pytest.mark.parametrize(
    "args,output",
    [
        (["export", "-f", "jsonl"], "missing/folder/x.jsonl"),
        (["export", "-f", "conll"], "missing/x.conll"),
        (["export", "-f", "brat"], "missing/brat"),
        (["export", "-f", "spacy", "--split", "0.5"], "missing/corpus"),
        (["train"], "missing/model"),
    ],
)
def test_an_output_in_a_missing_folder_is_refused(seeded, tmp_path, args, output):
    result = run("--db", seeded, *args, "-o", str(tmp_path / output))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert f"the folder {tmp_path / 'missing'}" in result.stderr
    assert "does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()


def test_an_output_under_a_file_is_refused(seeded, tmp_path):
    result = run("--db", seeded, "export", "-f", "jsonl", "-o", f"{seeded}/x.jsonl")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(f"{seeded} is not a folder")


def test_export_reports_what_the_format_adjusted(seeded, tmp_path):
    out = tmp_path / "seed.conll"
    result = run("--db", seeded, "export", "-f", "conll", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"5 document(s), 64 span(s) written to {out}"
    lines = result.stderr.splitlines()
    assert lines and lines == sorted(lines)
    assert all(line.startswith("adjusted: ") for line in lines)
    overlap = [line for line in lines if line.endswith(" spans left out where spans overlap")]
    assert len(overlap) == 1 and int(overlap[0].split()[1]) > 0


def test_a_lossless_export_reports_no_adjustment(seeded, tmp_path):
    result = run("--db", seeded, "export", "-f", "jsonl", "-o", str(tmp_path / "all.jsonl"))
    assert result.exit_code == 0 and result.stderr == ""


# --- documents ---------------------------------------------------------------------------------


def test_documents_lists_ids_titles_lengths_spans_and_progress(seeded, corpus):
    result = run("--db", seeded, "documents", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == [1, 2, 3, 4, 5]
    texts = {path.read_text(encoding="utf-8") for path in corpus.glob("*.txt")}
    assert {row["length"] for row in rows} == {len(text) for text in texts}
    assert all(row["title"] and set(row) >= {"source", "published"} for row in rows)
    assert sum(row["spans"] for row in rows) == 64
    per_annotator = {
        name: sum(row["annotators"][name]["spans"] for row in rows)
        for name in ("analyst_a", "analyst_b")
    }
    with Store.open(seeded) as store:
        assert per_annotator == store.stats()["per_annotator"]
    annotated = [row for row in rows if row["spans"]]
    assert len(annotated) == 2
    for row in annotated:
        assert row["spans"] == sum(cell["spans"] for cell in row["annotators"].values())
        assert {cell["status"] for cell in row["annotators"].values()} == {"in_progress"}
    untouched = [row for row in rows if not row["spans"]]
    assert all(
        cell == {"spans": 0, "status": "not_started"}
        for row in untouched
        for cell in row["annotators"].values()
    )


def test_documents_prints_a_table_with_every_id(seeded):
    with Store.open(seeded) as store:
        first = store.list_documents()[0]
        store.set_document_status(first.id, store.ensure_annotator("analyst_a").id, "done")
    result = run("--db", seeded, "documents")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "id", "title", "source", "published", "chars", "spans", "analyst_a", "analyst_b"
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:6]] == ["1", "2", "3", "4", "5"]
    assert " done " in lines[1] + " " and "in progress" in lines[1]
    assert lines[-1] == "5 document(s)"


def test_documents_on_a_project_without_documents(tmp_path):
    db = str(tmp_path / "empty.db")
    Store.open(db).close()
    assert run("--db", db, "documents", "--json").stdout.strip() == "[]"
    assert "dossier import" in run("--db", db, "documents").stdout


# --- agreement on attributes and relations ----------------------------------------------------


@pytest.fixture
def records(tmp_path) -> str:
    """A project where a and b tagged the same spans with attributes and relations."""
    from tests.review.test_agreement import add_records

    db = str(tmp_path / "records.db")
    with Store.open(db) as store:
        add_records(store)
    return db


def test_agreement_json_adds_attributes_and_relations_per_pair(records):
    result = run("--db", records, "agreement", "--annotators", "a", "b", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report) == [
        "annotators", "reference", "documents", "tokens", "labels", "per_label", "overall",
        "pairs",
    ]  # fmt: skip
    pair = report["pairs"][0]
    assert list(pair)[:6] == ["reference", "other", "documents", "tokens", "per_label", "overall"]
    assert pair["matched_spans"] == 9
    stance = pair["attributes"]["Claim.stance"]
    assert (stance["units"], stance["agreed"]) == (4, 2)
    assert stance["alpha"] == pytest.approx(4 / 11)  # worked out in tests/review
    assert pair["attributes"]["Claim.certainty"]["alpha"] == 1.0
    assert pair["attributes"]["Event.type"]["alpha"] is None  # one value throughout
    overall = pair["relations"]["overall"]
    assert (overall["precision"], overall["recall"]) == (1.0, 0.75)
    assert overall["f1"] == pytest.approx(6 / 7)
    assert pair["relations"]["per_type"]["target"]["precision"] is None


def test_agreement_table_has_attribute_and_relation_sections(records):
    result = run("--db", records, "agreement", "--annotators", "a", "b")
    assert result.exit_code == 0, result.output
    table = result.stdout
    spans, rest = table.split("\nattributes of matched spans", 1)
    attributes, relations = rest.split("\nrelations:", 1)
    assert "overall" in spans and "kappa" in spans
    assert "a / b: 9 matched span(s)" in attributes
    rows = {line.split()[0]: line.split()[1:] for line in attributes.splitlines() if "." in line}
    assert rows["Claim.stance"] == ["4", "2", "0.364"]
    assert rows["Event.type"] == ["1", "1", "-"]
    assert rows["Event.date"] == ["1", "0", "0.000"]
    lines = {line.split()[0]: line.split()[1:] for line in relations.splitlines() if line.strip()}
    assert lines["type"] == ["a", "b", "shared", "P", "R", "F1"]
    assert lines["target"] == ["1", "0", "0", "-", "0.000", "0.000"]
    assert lines["overall"] == ["4", "3", "3", "1.000", "0.750", "0.857"]


def test_agreement_table_says_when_there_is_nothing_to_compare(seeded):
    table = run("--db", seeded, "agreement", "-a", "analyst_a", "analyst_b").stdout
    assert "analyst_a / analyst_b: 21 matched span(s)\n  no attribute set on a matched span" in (
        table
    )
    assert "no relation between their spans" in table


# --- wording and help --------------------------------------------------------------------------


def test_suggest_names_the_analyst_without_quotes_before_the_apostrophe(seeded):
    result = run("--db", seeded, "suggest", "--annotator", "analyst_a")
    assert result.exit_code == 0, result.output
    assert "overlapping analyst_a's accepted spans" in result.stdout
    assert "''s" not in result.stdout


def all_commands() -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(app)
    return [[], *([name] for name in sorted(group.commands))]


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c) or "dossier")
def test_help_shows_names_not_python_types(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert not re.search(r"<[^>]*>", result.stdout), result.stdout
    assert "list[" not in result.stdout and "{paths}" not in result.stdout


def test_every_command_is_in_the_help():
    assert {tuple(c) for c in all_commands()} >= {
        (), ("import",), ("export",), ("stats",), ("documents",), ("agreement",),
        ("suggest",), ("train",),
    }  # fmt: skip
