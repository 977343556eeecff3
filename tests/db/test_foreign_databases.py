"""Databases that are not Dossier projects: another application's Alembic database is
refused as such (not as a newer Dossier's), and an SQLite file with no tables is made a
project only when the caller says so. Each is left exactly as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from db.engine import (
    DatabaseError,
    EmptyDatabaseError,
    NewerSchemaError,
    NoProjectError,
    open_engine,
)
from db.store import Store
from desktop.cli import app
from tests.conftest import table_names


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def another_applications_database(path: Path, revision: str = "3f2a9c1d7e45") -> None:
    """What Alembic leaves in another application's SQLite database."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    connection.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    connection.commit()
    connection.close()


# --- another application's Alembic database ------------------------------------------------


@pytest.mark.parametrize("revision", ["3f2a9c1d7e45", "0001", "0002"])
def test_another_applications_alembic_database_is_not_a_dossier_project(tmp_path, revision):
    """Its version is unknown to Dossier, or (numbered as Dossier numbers its own) known:
    either way it has none of Dossier's tables, so it is not a project from a newer
    Dossier, nor one to migrate."""
    path = tmp_path / "invoices.db"
    another_applications_database(path, revision)
    before = digest(path)
    for create in (True, False):
        with pytest.raises(DatabaseError) as caught:
            Store.open(path, create=create)
        assert not isinstance(caught.value, NewerSchemaError)
        message = str(caught.value)
        assert message.startswith(f"{path}: not a Dossier project")
        assert f"({revision})" in message and "left untouched" in message
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invoices.db"]


def test_a_project_from_a_newer_dossier_is_still_called_one(tmp_path):
    path = tmp_path / "p.db"
    Store.open(path).close()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    before = digest(path)
    with pytest.raises(NewerSchemaError, match="written by a newer version of Dossier"):
        Store.open(path)
    assert digest(path) == before


def test_another_applications_postgresql_database_is_not_a_dossier_project(pg_url):
    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('3f2a9c1d7e45')"))
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    for create in (True, False):
        with pytest.raises(DatabaseError, match="not a Dossier project") as caught:
            Store.open(pg_url, create=create)
        assert not isinstance(caught.value, NewerSchemaError)
    assert sorted(table_names(pg_url)) == ["alembic_version", "invoices"]


def test_a_postgresql_project_from_a_newer_dossier_is_still_called_one(pg_url):
    Store.open(pg_url).close()
    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(NewerSchemaError):
        Store.open(pg_url)


# --- an SQLite file with no tables ----------------------------------------------------------


def no_tables(path: Path) -> None:
    """An SQLite database that holds nothing (its header written, no table)."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 7")
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    "make,detail",
    [(Path.touch, "0 bytes"), (no_tables, "an SQLite database with no tables")],
    ids=["zero bytes", "no tables"],
)
def test_an_empty_sqlite_file_is_taken_over_only_when_asked(tmp_path, make, detail):
    path = tmp_path / "chosen.sqlite"
    make(path)
    before = digest(path)
    with pytest.raises(EmptyDatabaseError) as caught:
        open_engine(path)
    error = caught.value
    assert isinstance(error, DatabaseError) and not isinstance(error, NoProjectError)
    assert error.where == str(path) and error.detail == detail
    assert str(error) == (
        f"{path}: the file exists but holds no Dossier project ({detail}); it was left "
        "untouched. Choose another file for a new project, or remove this one first"
    )
    with pytest.raises(EmptyDatabaseError):
        Store.open(path)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chosen.sqlite"]
    with Store.open(path, take_over_empty=True) as store:
        assert [label.name for label in store.labels()] == ["Claim", "Actor", "Event"]
    with Store.open(path, create=False) as store:  # a project from now on
        assert store.labels()


def test_without_create_an_empty_file_is_still_no_project(tmp_path):
    path = tmp_path / "p.db"
    no_tables(path)
    with pytest.raises(NoProjectError, match="the database in it is empty"):
        Store.open(path, create=False, take_over_empty=True)


def test_the_command_line_refuses_an_empty_file_and_creates_a_missing_one(tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("An article to import.\n", encoding="utf-8")
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    runner = CliRunner()
    refused = runner.invoke(app, ["--db", str(empty), "import", str(article)])
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"dossier: {empty}: the file exists but holds no Dossier project (0 bytes); it was "
        "left untouched. Choose another file for a new project, or remove this one first\n"
    )
    assert empty.stat().st_size == 0
    new = tmp_path / "new.sqlite"
    created = runner.invoke(app, ["--db", str(new), "import", str(article)])
    assert created.exit_code == 0, created.output
    with Store.open(new, create=False) as store:
        assert store.document_count() == 1
