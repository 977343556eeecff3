"""Opening a project database: the engine, SQLite pragmas, and migrations on open.

A project is one SQLite file or any SQLAlchemy URL (PostgreSQL for teams). Opening it
brings the schema up to date with Alembic, after copying an SQLite file aside; a database
written by a newer Dossier is refused and left exactly as it was.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(Exception):
    """A project database that cannot be opened; the message says why and what to do."""


class NewerSchemaError(DatabaseError):
    """The database was written by a newer version of Dossier."""


def database_url(path_or_url: str | Path) -> str:
    """Turn what a user typed after ``--db`` into an SQLAlchemy URL.

    Anything with ``://`` is taken as a URL (``postgresql://`` gets the psycopg 3 driver);
    anything else is a path to an SQLite file, created with its folder when missing.
    """
    text = str(path_or_url)
    if "://" in text:
        if text.startswith("postgresql://") or text.startswith("postgres://"):
            text = "postgresql+psycopg://" + text.split("://", 1)[1]
        return text
    if text == ":memory:":
        return "sqlite://"
    path = Path(text).expanduser().resolve()
    return "sqlite:///" + str(path)


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # Transactions are begun by _on_sqlite_begin, not by the sqlite3 module's guesswork.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 10000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _on_sqlite_begin(connection) -> None:
    # A write takes the lock at BEGIN, so two writers wait for each other instead of one
    # failing half-way when its read lock cannot be upgraded.
    if connection.get_execution_options().get("dossier_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def create_project_engine(url: str) -> Engine:
    """An engine for ``url`` with Dossier's connection settings (no migration)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path is None:
            engine = create_engine(
                "sqlite://",
                connect_args={"check_same_thread": False},
                poolclass=StaticPool,
            )
        else:
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def _sqlite_revision(path: Path) -> tuple[bool, str | None]:
    """Read (has tables, alembic revision) without writing a byte beside the file either."""
    # Without a WAL file the database is all in the main file, and immutable=1 keeps SQLite
    # from creating -wal and -shm files just to read it.
    wal = path.with_name(path.name + "-wal")
    flags = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    connection = sqlite3.connect(f"file:{path}?{flags}", uri=True)
    try:
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        revision = None
        if "alembic_version" in tables:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return bool(tables), revision
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: not a Dossier database ({exc})") from exc
    finally:
        connection.close()


def _refuse_unknown(where: str, revision: str | None, has_tables: bool) -> None:
    if revision is None:
        if has_tables:
            raise DatabaseError(
                f"{where}: this database has tables but no Dossier schema version; "
                "it was not made by Dossier and was left untouched"
            )
        return
    if revision not in _known_revisions():
        raise NewerSchemaError(
            f"{where}: this project was written by a newer version of Dossier "
            f"(schema {revision}; this version knows up to {head_revision()}). "
            "It was left untouched: open it with the newer Dossier."
        )


def backup_sqlite(path: Path, revision: str) -> Path:
    """Copy an SQLite project aside (with its WAL content) before migrating it."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{revision}.{stamp}.bak")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target


class OpenedDatabase(NamedTuple):
    engine: Engine
    created: bool  # True when this open made the schema (a new project)
    backup: Path | None  # the copy taken before migrating, if any


def open_engine(path_or_url: str | Path) -> OpenedDatabase:
    """Open a project database, creating or migrating it to the current schema.

    Raises :class:`NewerSchemaError` for a database written by a newer Dossier and
    :class:`DatabaseError` for anything that is not a Dossier database; neither is modified.
    """
    url = database_url(path_or_url)
    path = _sqlite_path(url)
    revision: str | None = None
    if path is not None:
        if path.exists() and path.stat().st_size > 0:
            has_tables, revision = _sqlite_revision(path)
            _refuse_unknown(str(path), revision, has_tables)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_project_engine(url)
    try:
        if path is None:
            with engine.connect() as connection:
                revision = MigrationContext.configure(connection).get_current_revision()
                has_tables = bool(inspect(connection).get_table_names())
            _refuse_unknown(engine.url.render_as_string(hide_password=True), revision, has_tables)
        backup = None
        if path is not None and revision is not None and revision != head_revision():
            backup = backup_sqlite(path, revision)
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return OpenedDatabase(engine, revision is None, backup)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` on ``engine``."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
