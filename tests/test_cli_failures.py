"""The command line when the database itself fails: a read-only file or folder, a lock held
by another program, a server that refuses writes or connections. Every command says it on
one line of stderr and exits 2, never with a traceback.

The causes are real: the file system refuses (for root, whom permissions do not stop, the
immutable attribute does), SQLite holds a real lock, and the PostgreSQL test server is
told to refuse, on a database of the test's own.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from db.store import Store
from desktop.cli import app
from desktop.formats import import_paths
from tests.conftest import PG_URL

runner = CliRunner()
FIRST = "000_f40a1a98859d52a1.txt"
SECOND = "001_4932432c3956f33a.txt"
DOSSIER_SCRIPT = str(Path(sys.executable).with_name("dossier"))


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def one_line(result) -> str:
    """The failure as the analyst reads it: exit 2, one line on stderr, nothing on stdout."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip()


# --- real causes -------------------------------------------------------------------------------


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder read-only as the system enforces it, and writable again after.

    Permissions do not stop root, so as root the immutable attribute is set instead (which
    stops everyone); where that is not possible the test is skipped.
    """
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make {path} read-only for root: {done.stderr.decode().strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        path.chmod(mode)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another program holds the project's write lock: an open write transaction."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE annotator SET name = name")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def pg_admin(statement: str, **params) -> None:
    """Run one statement on the test server as its administrator (outside a transaction)."""
    engine = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


@contextmanager
def pg_database() -> Iterator[tuple[str, str]]:
    """(URL, name) of a database of the test's own on the test server, dropped after; what
    the test makes it refuse touches nobody else's."""
    if not PG_URL:
        if os.environ.get("DOSSIER_REQUIRE_PG"):
            pytest.fail("DOSSIER_REQUIRE_PG is set but DOSSIER_TEST_PG_URL is not")
        pytest.skip("no PostgreSQL server (set DOSSIER_TEST_PG_URL; .ci/run starts one)")
    name = f"t_failures_{uuid.uuid4().hex[:10]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False), name
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_sessions(name: str) -> None:
    pg_admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = :name AND pid <> pg_backend_pid()",
        name=name,
    )


def pg_refuse_connections(name: str) -> None:
    """The server ends every session on the database and accepts no new one."""
    pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    _drop_sessions(name)


def pg_accept_connections(name: str) -> None:
    pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def pg_refuse_writes(name: str) -> None:
    """Every new session on the database is read-only (the sessions it had are ended)."""
    pg_admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    _drop_sessions(name)


def pg_accept_writes(name: str) -> None:
    """New sessions may write again (as after an administrator's fix: old ones stay as they
    were until they reconnect)."""
    pg_admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')


def seed(location: str, corpus: Path) -> None:
    """A project with the first seed article, and the annotators the tests act as."""
    with Store.open(location) as store:
        import_paths(store, [corpus / FIRST])
        store.ensure_annotator("me")


# --- SQLite --------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path, corpus) -> Path:
    path = tmp_path / "project.db"
    seed(str(path), corpus)
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["import", "{corpus}/" + SECOND],
        ["suggest", "--rules", "--annotator", "ana"],
    ],
    ids=["import", "suggest"],
)
def test_a_write_to_a_read_only_project_file_is_one_line_and_exit_2(project, corpus, command):
    args = [arg.format(corpus=corpus) for arg in command]
    with read_only(project):
        line = one_line(run("--db", str(project), *args))
        assert line.startswith(f"dossier {command[0]}: the project file is read-only"), line
        assert "attempt to write a readonly database" in line
        # Reading a read-only project still works.
        assert run("--db", str(project), "stats").exit_code == 0
    with Store.open(project) as store:
        assert store.document_count() == 1 and "ana" not in {a.name for a in store.annotators()}


def test_the_installed_command_says_a_read_only_project_in_one_line(project, corpus, tmp_path):
    env = {**os.environ, "DOSSIER_HOME": str(tmp_path / "home")}
    with read_only(project):
        result = subprocess.run(
            [DOSSIER_SCRIPT, "--db", str(project), "import", str(corpus / SECOND)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.startswith("dossier import: the project file is read-only")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_project_locked_by_another_program_is_one_line_and_exit_2(project, corpus):
    # The engine waits for the lock as long as its busy timeout (10 s in db/engine.py).
    with locked(project):
        line = one_line(run("--db", str(project), "import", str(corpus / SECOND)))
    assert "import: another program holds the project locked" in line, line
    assert "database is locked" in line
    with Store.open(project) as store:
        assert store.document_count() == 1


@pytest.mark.parametrize("command", [["stats"], ["import", "{corpus}/" + SECOND]])
def test_a_project_in_a_folder_sqlite_cannot_write_is_one_line_and_exit_2(project, corpus, command):
    # SQLite needs to make its -wal and -shm files beside the project, even to read it.
    args = [arg.format(corpus=corpus) for arg in command]
    with read_only(project.parent):
        line = one_line(run("--db", str(project), *args))
    assert line.startswith(f"dossier: cannot open {project}"), line
    assert "unable to open database file" in line


def test_a_new_project_in_a_folder_that_cannot_be_written_is_one_line_and_exit_2(tmp_path, corpus):
    folder = tmp_path / "locked-away"
    folder.mkdir()
    with read_only(folder):
        line = one_line(run("--db", str(folder / "p.db"), "import", str(corpus / FIRST)))
    assert line.startswith("dossier: cannot open"), line
    assert not (folder / "p.db").exists()


def test_an_export_into_a_folder_that_cannot_be_written_is_one_line_and_exit_2(project, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with read_only(out):
        line = one_line(run("--db", str(project), "export", "-f", "jsonl", "-o", str(out / "x")))
    assert line.startswith("dossier export: "), line
    assert not (out / "x").exists()


# --- PostgreSQL ------------------------------------------------------------------------------


def test_an_unreachable_server_is_one_line_and_exit_2():
    line = one_line(run("--db", "postgresql://postgres@127.0.0.1:1/x", "stats"))
    assert line.startswith("dossier: cannot open postgresql://postgres@127.0.0.1:1/x"), line


def test_a_server_that_refuses_writes_is_one_line_and_exit_2(corpus):
    with pg_database() as (url, name):
        seed(url, corpus)
        pg_refuse_writes(name)
        line = one_line(run("--db", url, "import", str(corpus / SECOND)))
        assert "import: the database server accepts no writes" in line, line
        assert run("--db", url, "stats").exit_code == 0
        pg_accept_writes(name)
        assert run("--db", url, "import", str(corpus / SECOND)).exit_code == 0


def test_a_database_that_refuses_connections_is_one_line_and_exit_2(corpus):
    with pg_database() as (url, name):
        seed(url, corpus)
        pg_refuse_connections(name)
        try:
            for command in (["stats"], ["import", str(corpus / SECOND)]):
                line = one_line(run("--db", url, *command))
                assert line.startswith("dossier: cannot open postgresql://"), line
                assert "not currently accepting connections" in line
        finally:
            pg_accept_connections(name)
