"""Opening projects: creation, pragmas, migrations with a backup, refusing newer schemas."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import textwrap

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import db.engine
from db.engine import (
    DatabaseError,
    NewerSchemaError,
    NoProjectError,
    database_url,
    head_revision,
    open_engine,
)
from db.store import Store
from db.store.search import SEARCH_TABLES
from db.tables import SQLModel
from tests.conftest import table_names

SECOND_REVISION = textwrap.dedent(
    '''
    """A later schema, for tests: documents gain a column."""
    import sqlalchemy as sa
    from alembic import op

    revision = "9000"
    down_revision = "{head}"
    branch_labels = None
    depends_on = None


    def upgrade():
        with op.batch_alter_table("document") as batch:
            batch.add_column(sa.Column("extra", sa.Text(), nullable=True))


    def downgrade():
        with op.batch_alter_table("document") as batch:
            batch.drop_column("extra")
    '''
)


@pytest.fixture
def newer_migrations(tmp_path, monkeypatch):
    """Point Dossier at a copy of its migrations with one more revision."""

    def use() -> None:
        folder = tmp_path / "migrations"
        shutil.copytree(db.engine.MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
        later = SECOND_REVISION.replace("{head}", head_revision())
        (folder / "versions" / "9000_later.py").write_text(later, encoding="utf-8")
        monkeypatch.setattr(db.engine, "MIGRATIONS", folder)

    return use


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_project_has_the_whole_schema_and_the_seed_labels(db_url):
    with Store.open(db_url) as store:
        with store.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert {
                "document",
                "label",
                "annotator",
                "annotation",
                "entity",
                "entity_alias",
                "relation",
                "review_decision",
                "document_state",
                "alembic_version",
            } <= tables
            # The search index is the database's own (an FTS5 table and its shadow tables on
            # SQLite), made by migration 0005 only: no SQLModel table describes it.
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, kind, _parent: (
                        not (kind == "table" and name in SEARCH_TABLES)
                    ),
                },
            )
            assert compare_metadata(context, SQLModel.metadata) == []
        labels = store.labels()
    assert [(label.name, label.shortcut) for label in labels] == [
        ("Claim", "C"),
        ("Actor", "A"),
        ("Event", "E"),
    ]
    assert len({label.colour for label in labels}) == 3


def test_sqlite_projects_use_wal_and_enforce_foreign_keys(tmp_path):
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            # FULL (2): a commit is on the disk when it returns, so a power cut loses no tag.
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2


def test_reopening_keeps_the_users_labels(tmp_path):
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        for label in store.labels():
            store.delete_label(label.id)
        store.add_label("Source")
    with Store.open(path) as store:
        assert [label.name for label in store.labels()] == ["Source"]


def test_an_older_project_is_backed_up_then_migrated(tmp_path, newer_migrations):
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        store.add_label("Location")
    newer_migrations()
    with Store.open(path) as store:
        assert store.backup is not None and store.backup.exists()
        with store.engine.connect() as connection:
            columns = {column["name"] for column in inspect(connection).get_columns("document")}
            assert "extra" in columns
    backup = sqlite3.connect(store.backup)
    try:
        assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == ("0006",)
        assert ("Location",) in backup.execute("SELECT name FROM label").fetchall()
    finally:
        backup.close()


def test_a_project_from_a_newer_dossier_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "p.db"
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path / "later"
        shutil.copytree(db.engine.MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
        later = SECOND_REVISION.replace("{head}", head_revision())
        (folder / "versions" / "9000_later.py").write_text(later, encoding="utf-8")
        patch.setattr(db.engine, "MIGRATIONS", folder)
        Store.open(path).close()
    before = digest(path)
    siblings = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(NewerSchemaError, match="newer version of Dossier"):
        Store.open(path)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == siblings


def test_a_newer_postgresql_schema_is_refused(pg_url, tmp_path, monkeypatch):
    folder = tmp_path / "later"
    shutil.copytree(db.engine.MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    later = SECOND_REVISION.replace("{head}", head_revision())
    (folder / "versions" / "9000_later.py").write_text(later, encoding="utf-8")
    monkeypatch.setattr(db.engine, "MIGRATIONS", folder)
    Store.open(pg_url).close()
    monkeypatch.undo()
    with pytest.raises(NewerSchemaError):
        Store.open(pg_url)


def test_a_database_that_is_not_dossiers_is_refused(tmp_path):
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()
    before = digest(path)
    with pytest.raises(DatabaseError, match="not made by Dossier"):
        open_engine(path)
    assert digest(path) == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("just some notes\n" * 100, encoding="utf-8")
    with pytest.raises(DatabaseError, match="not a Dossier database"):
        open_engine(path)
    assert path.read_text(encoding="utf-8") == "just some notes\n" * 100


def test_database_urls():
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert database_url(":memory:") == "sqlite://"
    assert database_url("rel/p.db").startswith("sqlite:////")


def test_head_revision_is_the_team_revision():
    assert head_revision() == "0006"


def test_a_project_from_before_label_schemas_is_backed_up_and_its_labels_get_the_defaults(tmp_path):
    """A 0001 project (labels without schema) opens: backed up first, then the seeded labels
    get the schema a new project starts with, other labels none, spans untouched."""
    path = tmp_path / "old.db"
    engine = db.engine.create_project_engine(f"sqlite:///{path}")
    db.engine.upgrade(engine, "0001")
    with engine.begin() as connection:
        for position, (name, key) in enumerate([("claim", "C"), ("Actor", "A"), ("Place", "P")]):
            connection.exec_driver_sql(
                "INSERT INTO label (name, kind, colour, shortcut, description, position) "
                f"VALUES ('{name}', 'span', '#123456', '{key}', '', {position})"
            )
    engine.dispose()
    with Store.open(path) as store:
        assert store.backup is not None and store.backup.name.startswith("old.db.0001.")
        schemas = {label.name: label.schema for label in store.labels()}
    assert [spec.type for spec in schemas["claim"].relations] == ["source", "about"]
    assert schemas["Actor"].attribute("type").values[:2] == ("person", "organisation")
    assert not schemas["Place"]
    backup = sqlite3.connect(store.backup)
    try:
        columns = [row[1] for row in backup.execute("PRAGMA table_info(label)")]
        assert "schema" not in columns
    finally:
        backup.close()


def test_a_project_from_before_text_lengths_gets_each_documents_length_in_code_points(db_url):
    """A 0002 project's documents get their text's length as Python counts it (code points:
    an emoji is one, a combining mark one, CRLF two), on SQLite and on PostgreSQL."""
    texts = ["Ahmed 🇮🇶 said", "Cafe\u0301\r\nnext", "بغداد", ""]
    engine = db.engine.create_project_engine(db.engine.database_url(db_url))
    db.engine.upgrade(engine, "0002")
    with engine.begin() as connection:
        for number, text in enumerate(texts):
            connection.execute(
                sqlalchemy.text(
                    "INSERT INTO document (content_hash, title, text, meta, created_at) "
                    "VALUES (:hash, '', :text, '{}', '2026-11-30')"
                ),
                {"hash": f"h{number}", "text": text},
            )
    engine.dispose()
    with Store.open(db_url) as store:
        lengths = [summary.length for summary in store.list_documents()]
    assert lengths == [13, 11, 5, 0]  # the flag is two regional indicators
    assert lengths == [len(text) for text in texts]


# --- opening without creating, and errors that name the project -----------------------------


@pytest.mark.parametrize("where", ["p.db", "missing/folder/p.db"])
def test_without_create_a_missing_file_is_no_project_and_nothing_is_made(tmp_path, where):
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(NoProjectError, match="no project at"):
        Store.open(tmp_path / where, create=False)
    assert sorted(tmp_path.rglob("*")) == before


def test_without_create_an_empty_file_is_no_project_and_stays_empty(tmp_path):
    path = tmp_path / "p.db"
    path.touch()
    with pytest.raises(NoProjectError, match="the file is empty"):
        Store.open(path, create=False)
    assert path.stat().st_size == 0


def test_without_create_an_existing_project_opens(tmp_path):
    path = tmp_path / "p.db"
    Store.open(path).close()
    with Store.open(path, create=False) as store:
        assert [label.name for label in store.labels()] == ["Claim", "Actor", "Event"]


def test_the_window_default_still_creates_a_project_and_its_folder(tmp_path):
    path = tmp_path / "new" / "p.db"
    with Store.open(path) as store:
        assert store.labels()
    assert path.is_file()


def test_an_empty_postgresql_database_is_a_project_only_once_created(pg_url):
    with pytest.raises(NoProjectError, match=r"no project at postgresql\+psycopg://"):
        Store.open(pg_url, create=False)
    with Store.open(pg_url) as store:  # as import does
        assert store.labels()
    with Store.open(pg_url, create=False) as store:
        assert [label.name for label in store.labels()] == ["Claim", "Actor", "Event"]


def test_no_project_in_postgresql_writes_nothing(pg_url):
    with pytest.raises(NoProjectError):
        open_engine(pg_url, create=False)
    assert table_names(pg_url) == []


@pytest.mark.parametrize("create", [True, False])
def test_a_folder_is_refused(tmp_path, create):
    with pytest.raises(DatabaseError, match="is a folder, not a project file"):
        open_engine(tmp_path, create=create)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "url,message",
    [
        (
            "postgresql://nobody:s3cret@127.0.0.1:1/x",
            "cannot open postgresql://nobody:***@127.0.0.1:1/x: ",
        ),
        ("mysql://u:s3cret@h/db", "mysql://u:***@h/db: the mysql driver is not installed"),
        ("madeup://u:s3cret@h/db", "madeup://u:***@h/db: unknown kind of database 'madeup'"),
        ("postgresql://u:s3cret@h:port/db", "postgresql://u:***@h:port/db: not a database URL"),
    ],
)
def test_databases_that_cannot_be_reached_are_one_line_errors_without_the_password(url, message):
    for create in (True, False):
        with pytest.raises(DatabaseError) as caught:
            open_engine(url, create=create)
        text = str(caught.value)
        assert text.startswith(message)
        assert "s3cret" not in text and "\n" not in text
