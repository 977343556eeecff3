"""Shared fixtures: a clean data folder for every test, and stores on SQLite and PostgreSQL.

PostgreSQL tests use the server named by ``DOSSIER_TEST_PG_URL`` (``.ci/run`` starts a
throwaway one); each test gets a schema of its own, dropped afterwards. When
``DOSSIER_REQUIRE_PG`` is set, a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
ANNOTATIONS = CORPUS / "annotations"
PG_URL = os.environ.get("DOSSIER_TEST_PG_URL")


@pytest.fixture(autouse=True)
def dossier_home(tmp_path, monkeypatch):
    """No test touches a real home: data, settings and logs live under tmp_path."""
    home = tmp_path / "dossier-home"
    monkeypatch.setenv("DOSSIER_HOME", str(home))
    monkeypatch.delenv("DOSSIER_DB", raising=False)
    return home


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the seed corpus is missing: {CORPUS}")
    return CORPUS


def _pg_schema_url(schema: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture
def pg_url():
    """A URL to an empty PostgreSQL schema of this test's own."""
    if not PG_URL:
        if os.environ.get("DOSSIER_REQUIRE_PG"):
            pytest.fail("DOSSIER_REQUIRE_PG is set but DOSSIER_TEST_PG_URL is not")
        pytest.skip("no PostgreSQL server (set DOSSIER_TEST_PG_URL; .ci/run starts one)")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def table_names(url: str) -> list[str]:
    """The tables of the database at ``url``, read without Dossier's code."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names()
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh project location on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "project.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    """An open, freshly created project on SQLite and on PostgreSQL."""
    from db.store import Store

    opened = Store.open(db_url)
    yield opened
    opened.close()


@pytest.fixture
def memory_store():
    """An in-memory SQLite project, for format, review and nlp tests."""
    from db.store import Store

    opened = Store.open(":memory:")
    yield opened
    opened.close()


# --- every control pressed (tests/ui/controls.py) -------------------------------------------
def _ran_all_window_tests(session) -> bool:
    """True when this run collected every test file of tests/ui and no test was deselected."""
    options = session.config.option
    if options.keyword or options.markexpr or getattr(options, "deselect", None):
        return False
    files = {Path(item.path).resolve() for item in session.items}
    wanted = set((Path(__file__).parent / "ui").glob("test_*.py"))
    return wanted <= files


def pytest_sessionfinish(session, exitstatus):
    module = __import__("sys").modules.get("tests.ui.controls")
    if module is None or not _ran_all_window_tests(session):
        return
    missing = module.recorder.never_pressed() + module.recorder.keys_never_typed()
    session.config._dossier_controls_missing = missing  # for the summary below
    if missing and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    missing = getattr(config, "_dossier_controls_missing", None)
    if missing is None:
        return
    if missing:
        terminalreporter.section("controls no test pressed", red=True)
        for name in missing:
            terminalreporter.line(name)
    else:
        module = __import__("sys").modules["tests.ui.controls"]
        terminalreporter.line(
            f"controls: all {len(module.recorder.shown)} shown controls and "
            f"{len(module.KEYS)} listed keys were pressed by a test"
        )
