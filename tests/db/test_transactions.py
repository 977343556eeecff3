"""Transactions and their failures: SQLite's connection settings, a write's lock taken at
its start, and what each kind of database failure tells the analyst, word for word.

The failures are the drivers' own exceptions, raised by real statements on a real SQLite
database and wrapped by SQLAlchemy as it wraps them in the store."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import DBAPIError

from db.store import Store
from db.store.base import (
    ConflictError,
    StoreError,
    UnavailableError,
    first_line,
    read_failure,
    unavailable,
    write_failure,
)


def driver_error(script: str, statement: str) -> DBAPIError:
    """The SQLAlchemy error for what sqlite3 raises when ``statement`` runs after ``script``."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(script)
        connection.execute(statement)
    except sqlite3.Error as exc:
        return DBAPIError.instance(statement, (), exc, sqlite3.Error)
    finally:
        connection.close()
    raise AssertionError(f"{statement} did not fail")


def unique_clash() -> DBAPIError:
    return driver_error(
        "CREATE TABLE t (k INTEGER UNIQUE); INSERT INTO t VALUES (1);", "INSERT INTO t VALUES (1)"
    )


def no_such_table() -> DBAPIError:
    return driver_error("", "SELECT * FROM nowhere")


def operational(message: str) -> DBAPIError:
    return DBAPIError.instance("UPDATE span", (), sqlite3.OperationalError(message), sqlite3.Error)


def test_the_drivers_errors_are_what_the_store_meets():
    assert type(unique_clash()).__name__ == "IntegrityError"
    assert type(no_such_table()).__name__ == "OperationalError"
    assert type(operational("x")).__name__ == "OperationalError"


# --- first_line ---------------------------------------------------------------------------


def test_first_line_is_the_drivers_message_not_sqlalchemys():
    error = unique_clash()
    assert "[SQL:" in str(error)  # SQLAlchemy's own text, with the statement
    assert first_line(error) == "UNIQUE constraint failed: t.k"


def test_first_line_keeps_only_the_first_line_stripped():
    error = operational("  disk I/O error\nsecond line\nthird  ")
    assert first_line(error) == "disk I/O error"


def test_first_line_of_an_error_without_a_message_is_its_kind():
    assert first_line(ValueError()) == "ValueError"
    assert first_line(ValueError("  \n ")) == "ValueError"
    assert first_line(operational("")) == "OperationalError"
    assert first_line(OSError("no driver beneath\nat all")) == "no driver beneath"


# --- unavailable --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("driver", "message"),
    [
        ("attempt to write a readonly database", "the project file is read-only"),
        (
            "cannot execute UPDATE in a read-only transaction",
            "the database server accepts no writes (read-only)",
        ),
        (
            "unable to open database file",
            "the project's file or folder cannot be opened or written",
        ),
        ("database or disk is full", "the disk is full"),
        ('could not extend file "base/1/2": wrote only 4096', "the database server's disk is full"),
        ("No space left on device", "the disk is full"),
        ("database is locked", "another program holds the project locked"),
        ("Disk I/O error", "the disk reported an error"),
        ("permission denied for table span", "permission to the database was denied"),
        ("server closed the connection unexpectedly", "the connection to the database was lost"),
        ("something else entirely", "the connection to the database was lost"),
    ],
)
def test_unavailable_says_the_cause_in_plain_words(driver, message):
    error = unavailable(operational(driver))
    assert type(error) is UnavailableError and error.retry
    assert str(error) == f"{message} ({driver})"


def test_a_failure_that_is_neither_a_lost_connection_nor_a_known_cause():
    assert str(unavailable(OSError("the sky fell"))) == "the database failed (the sky fell)"
    assert str(unavailable(OSError("connection reset by peer"))) == (
        "the connection to the database was lost (connection reset by peer)"
    )


def test_the_cause_is_read_from_the_drivers_whole_message():
    # The first line alone shows; the cause may be on a later line.
    error = unavailable(operational("could not write block\nNo space left on device"))
    assert str(error) == "the disk is full (could not write block)"


# --- write_failure and read_failure --------------------------------------------------------


def test_a_unique_key_taken_first_by_another_session_is_a_conflict():
    error = write_failure(unique_clash())
    assert type(error) is ConflictError
    assert str(error) == (
        "another session wrote the same thing at the same time; nothing was changed "
        "(UNIQUE constraint failed: t.k)"
    )


def test_a_refused_statement_or_value_is_a_store_error_naming_it():
    statement = DBAPIError.instance(
        "X", (), sqlite3.ProgrammingError("bad parameter"), sqlite3.Error
    )
    assert type(statement).__name__ == "ProgrammingError"
    for failure, words in ((write_failure, "refused the change"), (read_failure, "refused")):
        error = failure(statement)
        assert type(error) is StoreError
        assert str(error) == f"the database {words}: bad parameter"


def test_a_data_error_is_refused_not_unavailable():
    error = DBAPIError.instance("X", (), sqlite3.DataError("value too long"), sqlite3.Error)
    assert type(error).__name__ == "DataError"
    assert (type(write_failure(error)), str(write_failure(error))) == (
        StoreError,
        "the database refused the change: value too long",
    )
    assert (type(read_failure(error)), str(read_failure(error))) == (
        StoreError,
        "the database refused: value too long",
    )


def test_a_read_that_meets_a_unique_clash_is_refused_not_a_conflict():
    error = read_failure(unique_clash())
    assert (type(error), str(error)) == (
        StoreError,
        "the database refused: UNIQUE constraint failed: t.k",
    )


@pytest.mark.parametrize("failure", [write_failure, read_failure])
def test_a_locked_or_lost_database_is_unavailable(failure):
    locked = failure(operational("database is locked"))
    assert (type(locked), str(locked)) == (
        UnavailableError,
        "another program holds the project locked (database is locked)",
    )
    lost = failure(operational("server closed the connection unexpectedly"))
    assert (type(lost), str(lost)) == (
        UnavailableError,
        "the connection to the database was lost (server closed the connection unexpectedly)",
    )


# --- SQLite's settings and the write lock ----------------------------------------------------


def pragmas(store: Store) -> dict[str, object]:
    with store.engine.connect() as connection:
        return {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "busy_timeout", "journal_mode", "synchronous")
        }


def test_a_project_file_is_written_ahead_synced_in_full_and_checks_its_keys(tmp_path):
    with Store.open(str(tmp_path / "project.db")) as store:
        # synchronous 2 is FULL: every commit reaches the disk before it returns
        assert pragmas(store) == {
            "foreign_keys": 1,
            "busy_timeout": 10000,
            "journal_mode": "wal",
            "synchronous": 2,
        }


def test_a_project_in_memory_keeps_its_journal_in_memory(memory_store):
    settings = pragmas(memory_store)
    assert (settings["foreign_keys"], settings["journal_mode"]) == (1, "memory")


def other_writer_can_begin(path) -> bool:
    """Whether a second connection (not waiting at all) can start writing now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "database is locked" in str(exc)
        return False
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


def test_a_write_holds_the_lock_from_its_start_and_a_read_takes_none(tmp_path):
    path = tmp_path / "project.db"
    with Store.open(str(path)) as store:
        assert other_writer_can_begin(path)
        with store._write():
            # Nothing written yet: the lock is taken at BEGIN, so that two writers wait
            # for each other instead of one failing half-way.
            assert not other_writer_can_begin(path)
        assert other_writer_can_begin(path)
        with store._read() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM annotation").scalar()
            assert other_writer_can_begin(path)


def test_a_failed_write_leaves_nothing_behind_and_says_why(tmp_path):
    path = tmp_path / "project.db"
    with Store.open(str(path)) as store:
        before = store.list_documents()
        with pytest.raises(ConflictError) as raised:
            with store._write() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO annotator (name, is_gold, created_at) VALUES ('twice', 0, '')"
                )
                connection.exec_driver_sql(
                    "INSERT INTO annotator (name, is_gold, created_at) VALUES ('twice', 0, '')"
                )
        assert str(raised.value) == (
            "another session wrote the same thing at the same time; nothing was changed "
            "(UNIQUE constraint failed: annotator.name)"
        )
        assert store.list_documents() == before
        names = sqlite3.connect(path).execute("SELECT name FROM annotator").fetchall()
        assert ("twice",) not in names


def test_the_cause_is_the_drivers_not_the_words_of_the_statement():
    # An analyst's note that mentions a full disk, in a write that failed for another reason:
    # the statement and its values are in SQLAlchemy's text, the cause only in the driver's.
    error = DBAPIError.instance(
        "UPDATE span SET note = ?",
        ("the disk is full of reports",),
        sqlite3.OperationalError("server closed the connection unexpectedly"),
        sqlite3.Error,
    )
    assert "disk is full" in str(error)
    assert str(unavailable(error)) == (
        "the connection to the database was lost (server closed the connection unexpectedly)"
    )


# --- one project, many threads: the window's jobs run beside it ------------------------------


def in_thread(function):
    """Run ``function`` in another thread, as the window's background jobs do."""
    import threading

    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.mark.parametrize("where", ["memory", "file"])
def test_a_project_is_shared_by_the_threads_that_use_it(tmp_path, where):
    from db.records import ImportBatch, NewDocument

    location = ":memory:" if where == "memory" else str(tmp_path / "project.db")
    with Store.open(location) as store:
        store.import_batch(ImportBatch(documents=[NewDocument(text="Kataib Hezbollah warned.")]))
        # The same project, not an empty one of the thread's own, and no refusal to use a
        # connection made in another thread.
        titles = in_thread(lambda: [d.title for d in store.list_documents()])
        assert titles == [d.title for d in store.list_documents()] and len(titles) == 1
        in_thread(lambda: store.import_batch(ImportBatch(documents=[NewDocument(text="Two.")])))
        assert len(store.list_documents()) == 2


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced_before_use(pg_url):
    from sqlalchemy import create_engine, text

    from tests.conftest import PG_URL

    with Store.open(pg_url) as store:
        before = store.list_documents()
        with store.engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as connection:
            assert connection.execute(text(f"SELECT pg_terminate_backend({pid})")).scalar()
        admin.dispose()
        # The pooled connection is dead; the store notices before using it.
        assert store.list_documents() == before
