"""Opening an up-to-date project costs no Alembic import; anything else still migrates."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

import db.engine
from db.engine import alembic_config, head_revision, known_revisions, revision_graph
from db.store import Store

ROOT = Path(__file__).resolve().parents[2]

OPEN_AND_REPORT = """
import sys
from db.store import Store
with Store.open(sys.argv[1], create=False) as store:
    labels = [label.name for label in store.labels()]
print("alembic" in sys.modules, labels)
"""


def opened_in_a_fresh_process(location: str) -> str:
    """What a new interpreter prints after opening the project: whether Alembic was
    imported, and the labels it read."""
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_REPORT, location],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_the_kept_revisions_are_alembics():
    script = ScriptDirectory.from_config(alembic_config())
    assert known_revisions() == {rev.revision for rev in script.walk_revisions()}
    assert head_revision() == script.get_current_head()
    assert revision_graph() == {rev.revision: rev.down_revision for rev in script.walk_revisions()}


def test_an_up_to_date_sqlite_project_opens_without_alembic(tmp_path):
    path = tmp_path / "p.db"
    Store.open(path).close()
    assert opened_in_a_fresh_process(str(path)) == "False ['Claim', 'Actor', 'Event']"


def test_an_up_to_date_postgresql_project_opens_without_alembic(pg_url):
    Store.open(pg_url).close()
    assert opened_in_a_fresh_process(pg_url) == "False ['Claim', 'Actor', 'Event']"


def test_an_older_project_imports_alembic_and_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    Store.open(path).close()
    connection = sqlite3.connect(path)
    try:
        connection.execute("ALTER TABLE document DROP COLUMN text_length")
        connection.execute("ALTER TABLE entity DROP COLUMN type")
        connection.execute("DROP INDEX ix_annotation_entity_id")
        connection.execute("DROP TABLE entity_rejection")
        connection.execute("DROP TABLE document_search")
        connection.execute("DROP TABLE history")
        connection.execute("DROP TABLE presence")
        connection.execute("UPDATE alembic_version SET version_num = '0002'")
        connection.commit()
    finally:
        connection.close()
    assert opened_in_a_fresh_process(str(path)) == "True ['Claim', 'Actor', 'Event']"
    check = sqlite3.connect(path)
    try:
        assert check.execute("SELECT version_num FROM alembic_version").fetchone() == ("0006",)
        columns = {row[1] for row in check.execute("PRAGMA table_info(document)")}
        assert "text_length" in columns
    finally:
        check.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("old.db.0002.")]


def test_a_new_project_is_created_by_alembic(tmp_path):
    path = tmp_path / "new.db"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from db.store import Store; Store.open(sys.argv[1]).close();"
            " print('alembic' in sys.modules)",
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "True"
    assert opened_in_a_fresh_process(str(path)) == "False ['Claim', 'Actor', 'Event']"


def test_a_migration_without_a_revision_line_is_said(tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "versions" / "0001_broken.py").write_text("down_revision = None\n")
    monkeypatch.setattr(db.engine, "MIGRATIONS", folder)
    with pytest.raises(db.engine.DatabaseError, match="0001_broken.py: a migration without"):
        revision_graph()
