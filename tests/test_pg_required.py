"""CI runs the PostgreSQL tests or fails: with ``DOSSIER_REQUIRE_PG`` set, a missing server
is a failure, not a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_PG_TEST = (
    "tests/db/test_schema.py::"
    "test_a_new_project_gives_claim_actor_and_event_their_default_schemas[postgresql]"
)


def run_one_pg_test(**environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DOSSIER_TEST_PG_URL",)}
    env.pop("DOSSIER_REQUIRE_PG", None)
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", ONE_PG_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_server_the_postgresql_tests_are_skipped_on_a_developers_machine():
    done = run_one_pg_test()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout and "DOSSIER_TEST_PG_URL" in done.stdout


def test_without_a_server_the_run_fails_when_postgresql_is_required():
    done = run_one_pg_test(DOSSIER_REQUIRE_PG="1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "DOSSIER_REQUIRE_PG is set but DOSSIER_TEST_PG_URL is not" in done.stdout


def test_ci_requires_postgresql():
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "export DOSSIER_REQUIRE_PG=1" in script
    assert 'export DOSSIER_TEST_PG_URL="postgresql://' in script
