"""The command-line contract: import, export, stats, --db / DOSSIER_DB, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db.store import Store
from desktop.cli import app

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
