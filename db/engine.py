"""Opening a project database: the engine, SQLite pragmas, and migrations on open.

A project is one SQLite file or any SQLAlchemy URL (PostgreSQL for teams). Opening it
brings the schema up to date with Alembic, after copying an SQLite file aside; a database
written by a newer Dossier is refused and left exactly as it was.

Alembic is imported only when there is something to create or migrate: an up-to-date
project's revision is read with plain SQL and compared with the revisions named in the
migration files, which costs no import (Alembic takes most of a second to import).
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from db.triggers import install_sqlite_triggers

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
# How a migration file names itself and its parent (the lines Alembic's template writes).
_REVISION_LINE = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION_LINE = re.compile(
    r"^down_revision\s*(?::[^=]*)?=\s*(?:None|['\"]([^'\"]+)['\"])", re.MULTILINE
)


class DatabaseError(Exception):
    """A project database that cannot be opened; the message says why and what to do."""


class NewerSchemaError(DatabaseError):
    """The database was written by a newer version of Dossier."""


class NoProjectError(DatabaseError):
    """No Dossier project where one was to be opened, and creating one was not asked for.

    ``where`` is the file or the URL (without its password); ``detail`` says more, when
    there is more to say than that the file or the schema is missing.
    """

    def __init__(self, where: str, detail: str | None = None):
        self.where = where
        self.detail = detail
        super().__init__(f"no project at {where}" + (f" ({detail})" if detail else ""))


class EmptyDatabaseError(DatabaseError):
    """The file exists but holds no Dossier project: it is empty, or an SQLite database
    with no tables. It is made a project only when the user says so
    (``open_engine(..., take_over_empty=True)``), never silently.

    ``where`` is the file; ``detail`` says which of the two it is.
    """

    def __init__(self, where: str, detail: str):
        self.where = where
        self.detail = detail
        super().__init__(
            f"{where}: the file exists but holds no Dossier project ({detail}); it was left "
            "untouched. Choose another file for a new project, or remove this one first"
        )


# Tables every Dossier schema has had: a database with an Alembic version but without
# them is another application's, not a project from a newer Dossier.
DOSSIER_TABLES = frozenset({"document", "label", "annotation"})


def database_url(path_or_url: str | Path) -> str:
    """Turn what a user typed after ``--db`` into an SQLAlchemy URL.

    Anything with ``://`` is taken as a URL (``postgresql://`` gets the psycopg 3 driver);
    anything else is a path to an SQLite file (see :func:`open_engine` for when it is made).
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


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # Transactions are begun by _on_sqlite_begin, not by the sqlite3 module's guesswork.
    dbapi_connection.isolation_level = None
    # SQLite's own lower() knows A-Z only; the document list's filter box ignores the case
    # of every letter, as PostgreSQL's lower() does.
    dbapi_connection.create_function("dossier_lower", 1, _lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 10000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
        # A tag shown is a tag kept: every commit reaches the disk before it returns, so
        # even a power cut keeps it (NORMAL could drop the last commits).
        cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _on_sqlite_begin(connection) -> None:
    # A write takes the lock at BEGIN, so two writers wait for each other instead of one
    # failing half-way when its read lock cannot be upgraded.
    if connection.get_execution_options().get("dossier_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


class Identity:
    """Who a store's connections work as: the annotator's name (``actor``, None when
    unknown) and the store's ``session`` (12 hex characters). Read by each new connection,
    so that changing ``actor`` and renewing the connections takes effect."""

    def __init__(self, actor: str | None = None, session: str | None = None):
        self.actor = actor
        self.session = session or secrets.token_hex(6)


def _on_connect_identity(identity: Identity, dbapi_connection, dialect: str) -> None:
    if dialect == "sqlite":
        install_sqlite_triggers(dbapi_connection, identity.actor)
        return
    # What the history triggers record as the actor, and what notifications name as the
    # session (so that a window drops its own); once per connection, not per transaction.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(
            "SELECT set_config('dossier.actor', %s, false), "
            "set_config('application_name', %s, false)",
            (identity.actor or "", f"dossier {identity.session}"),
        )
    finally:
        cursor.close()
    # psycopg begins a transaction for the statement; the settings are the session's.
    dbapi_connection.commit()


def attach_identity(engine: Engine, identity: Identity) -> None:
    """Make every new connection of ``engine`` work as ``identity``."""
    dialect = engine.dialect.name

    def on_connect(dbapi_connection, _record) -> None:
        _on_connect_identity(identity, dbapi_connection, dialect)

    event.listen(engine, "connect", on_connect)


def renew_identity(engine: Engine, identity: Identity) -> None:
    """Bring the connections of ``engine`` to ``identity`` after it changed (or after the
    schema was created): the pool is emptied, except that an in-memory SQLite database,
    which lives in its one connection, gets its triggers made again on it."""
    if isinstance(engine.pool, StaticPool):
        with engine.connect() as connection:
            _on_connect_identity(identity, connection.connection.dbapi_connection, "sqlite")
        return
    engine.dispose()


def create_project_engine(url: str, *, identity: Identity | None = None) -> Engine:
    """An engine for ``url`` with Dossier's connection settings (no migration); with
    ``identity``, its connections record history as that actor (:func:`attach_identity`)."""
    engine = _create_project_engine(url)
    if identity is not None:
        attach_identity(engine, identity)
    return engine


def _create_project_engine(url: str) -> Engine:
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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def revision_graph() -> dict[str, str | None]:
    """Each revision of Dossier's migrations with the one it follows (None for the first),
    read from the migration files' ``revision`` and ``down_revision`` lines, not by
    importing Alembic or the migrations."""
    graph: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision = _REVISION_LINE.search(source)
        down = _DOWN_REVISION_LINE.search(source)
        if revision is None or down is None:
            raise DatabaseError(f"{path}: a migration without a revision line")
        graph[revision.group(1)] = down.group(1)
    return graph


def head_revision() -> str:
    """The newest revision of Dossier's schema: the one no other revision follows."""
    graph = revision_graph()
    heads = set(graph) - set(graph.values())
    if len(heads) != 1:
        raise DatabaseError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def known_revisions() -> frozenset[str]:
    """Every revision of the schema this Dossier knows (and can migrate from)."""
    return frozenset(revision_graph())


def _sqlite_revision(path: Path) -> tuple[set[str], str | None]:
    """Read (its tables, alembic revision) without writing a byte beside the file either."""
    # Without a WAL file the database is all in the main file, and immutable=1 keeps SQLite
    # from creating -wal and -shm files just to read it.
    wal = path.with_name(path.name + "-wal")
    flags = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(f"file:{path}?{flags}", uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path}: cannot open ({exc})") from exc
    try:
        tables = {
            row[0]
            for row in connection.execute(
                # SQLite's own tables (sqlite_sequence, sqlite_stat1) are no one's data.
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        }
        revision = None
        if "alembic_version" in tables:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return tables, revision
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: not a Dossier database ({exc})") from exc
    finally:
        connection.close()


def _refuse_unknown(where: str, revision: str | None, tables: set[str]) -> None:
    """Refuse a database this Dossier must not open, leaving it untouched: tables without
    a schema version, another application's Alembic database (a version, but not Dossier's
    tables), or a project from a newer Dossier (Dossier's tables, an unknown version)."""
    if revision is None:
        if tables:
            raise DatabaseError(
                f"{where}: this database has tables but no Dossier schema version; "
                "it was not made by Dossier and was left untouched"
            )
        return
    missing = DOSSIER_TABLES - tables
    if missing:
        raise DatabaseError(
            f"{where}: not a Dossier project: this database has a schema version "
            f"({revision}) but not Dossier's tables (no {', '.join(sorted(missing))}); "
            "it belongs to another application and was left untouched"
        )
    if revision not in known_revisions():
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


def _hide_password(text: str) -> str:
    """``text`` with the password of a URL in it starred out (for URLs make_url refuses)."""
    return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", text)


def _driver_message(exc: BaseException, url: URL) -> str:
    """The driver's own words for ``exc`` on one line, without the URL's password."""
    original = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    message = " ".join(str(original).split()) or type(original).__name__
    if url.password:
        message = message.replace(str(url.password), "***")
    return _hide_password(message)


def _parse(path_or_url: str | Path) -> tuple[str, URL, str]:
    """(SQLAlchemy URL, parsed, how to name the project in a message) for ``--db``."""
    text = str(path_or_url)
    try:
        url = database_url(text)
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseError(f"{_hide_password(text)}: not a database URL ({exc})") from None
    except RuntimeError as exc:  # expanduser on ~nobody
        raise DatabaseError(f"{text}: {exc}") from None
    path = _sqlite_path(url)
    if path is not None:
        return url, parsed, str(path)
    if "://" in text:
        return url, parsed, make_url(text).render_as_string(hide_password=True)
    return url, parsed, text


def _sqlite_revision_or_create(
    path: Path, create: bool, take_over_empty: bool = False
) -> str | None:
    """The schema revision of an SQLite project, or None for one yet to be created (its
    folder is made then). Refuses a folder, a file that is not Dossier's, without
    ``create`` a missing or empty file, and without ``take_over_empty`` an empty one."""
    if path.is_dir():
        raise DatabaseError(f"{path}: is a folder, not a project file")
    if path.exists() and path.stat().st_size > 0:
        tables, revision = _sqlite_revision(path)
        if not tables and not create:
            raise NoProjectError(str(path), "the database in it is empty")
        if not tables and not take_over_empty:
            raise EmptyDatabaseError(str(path), "an SQLite database with no tables")
        _refuse_unknown(str(path), revision, tables)
        return revision
    if not create:
        if path.parent.exists() and not path.parent.is_dir():
            raise NoProjectError(str(path), f"{path.parent} is not a folder")
        if not path.parent.exists():
            raise NoProjectError(str(path), f"the folder {path.parent} does not exist")
        raise NoProjectError(str(path), "the file is empty" if path.exists() else None)
    if path.exists() and not take_over_empty:
        raise EmptyDatabaseError(str(path), "0 bytes")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"{path}: cannot create the folder {path.parent} ({exc.strerror or exc})"
        ) from None
    return None


def _engine(url: str, parsed: URL, where: str) -> Engine:
    try:
        return create_project_engine(url)
    except NoSuchModuleError:
        raise DatabaseError(
            f"{where}: unknown kind of database {parsed.drivername!r} "
            "(give an SQLite file or a postgresql:// URL)"
        ) from None
    except ImportError as exc:
        raise DatabaseError(
            f"{where}: the {parsed.get_backend_name()} driver is not installed "
            f"(no Python module {exc.name or exc})"
        ) from None


def open_engine(
    path_or_url: str | Path,
    *,
    create: bool = True,
    take_over_empty: bool = False,
    identity: Identity | None = None,
) -> OpenedDatabase:
    """Open a project database, creating or migrating it to the current schema.

    A new project is made where no SQLite file is (with ``create``), or in a database
    server's empty database. An SQLite file that exists but holds no tables (zero bytes,
    or a database without tables) raises :class:`EmptyDatabaseError` unless
    ``take_over_empty`` says to make it a project. With ``create`` false, a missing or
    empty SQLite file and a database without Dossier's schema raise
    :class:`NoProjectError`, and nothing is created: not the file, not its folder. Raises
    :class:`NewerSchemaError` for a database written by a newer Dossier and
    :class:`DatabaseError` for anything else that cannot be opened (a folder, a file or
    database that is not Dossier's, a missing driver, an unreachable server); the message
    names the project, never with its password, and nothing is modified.

    With ``identity``, every connection records history as its actor (see
    :func:`attach_identity`).
    """
    url, parsed, where = _parse(path_or_url)
    path = _sqlite_path(url)
    revision: str | None = None
    tables: set[str] = set()
    if path is not None:
        revision = _sqlite_revision_or_create(path, create, take_over_empty)
    engine = _engine(url, parsed, where)
    if identity is not None:
        attach_identity(engine, identity)
    try:
        try:
            with engine.connect() as connection:
                if path is None:
                    tables = set(inspect(connection).get_table_names())
                    if VERSION_TABLE in tables:
                        revision = connection.execute(
                            text(f"SELECT version_num FROM {VERSION_TABLE}")
                        ).scalar()
        except DBAPIError as exc:
            raise DatabaseError(f"cannot open {where}: {_driver_message(exc, parsed)}") from None
        if path is None:
            if revision is None and not tables and not create:
                raise NoProjectError(where)
            _refuse_unknown(where, revision, tables)
        backup = None
        try:
            if revision != head_revision():
                if path is not None and revision is not None:
                    backup = backup_sqlite(path, revision)
                upgrade(engine)
                if identity is not None:
                    # The connections made before the history table existed have no
                    # triggers on SQLite.
                    renew_identity(engine, identity)
        except (DBAPIError, sqlite3.Error, OSError) as exc:
            raise DatabaseError(
                f"{where}: cannot bring the schema up to date: {_driver_message(exc, parsed)}"
            ) from None
    except BaseException:
        engine.dispose()
        raise
    return OpenedDatabase(engine, revision is None, backup)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` on ``engine``."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
