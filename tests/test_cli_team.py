"""`dossier team`: init, add, list and remove on a real PostgreSQL server, the password printed
once and working, a member's imports as themselves, and the refusal on SQLite."""

from __future__ import annotations

import re
import uuid

import pytest
from typer.testing import CliRunner

from desktop.cli import app
from tests.team import Team

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def bare(pg_url):
    """A PostgreSQL project with no team yet; the roles made are dropped afterwards."""
    made = Team(pg_url)
    yield made
    made.close()


def login(team: Team, who: str) -> str:
    name = f"{who}_{uuid.uuid4().hex[:6]}"
    team.logins.append(name)
    return name


@pytest.mark.parametrize("command", [["init"], ["add", "alice", "--role", "analyst"], ["list"]])
def test_a_team_on_sqlite_is_refused_with_how_to(tmp_path, command):
    project = tmp_path / "project.db"
    result = run("--db", str(project), "team", *command)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"dossier team {command[0]}: a team needs a PostgreSQL project")
    assert "dossier --db postgresql://" in result.stderr and "import" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not project.exists()


def test_init_add_list_remove_and_a_member_importing(bare, corpus):
    owner_url = bare.url
    first = run("--db", owner_url, "team", "init")
    assert first.exit_code == 0, first.stderr
    assert all(group in first.stdout for group in bare.groups.values())
    assert "row-level security on: annotation, relation, document_state" in first.stdout
    assert run("--db", owner_url, "team", "init").stdout == first.stdout  # again: the same

    alice, bob = login(bare, "alice"), login(bare, "bob")
    added = run("--db", owner_url, "team", "add", alice, "--role", "analyst")
    assert added.exit_code == 0, added.stderr
    assert added.stdout.startswith(f"{alice} joined the team as analyst\n")
    password = re.search(r"password \(shown this once\): (\S+)", added.stdout).group(1)
    url = re.search(r"connect: dossier --db '([^']+)'", added.stdout).group(1)
    assert url.startswith(f"postgresql://{alice}:{password}@")
    assert run("--db", owner_url, "team", "add", bob, "--role", "analyst").exit_code == 0

    # again, and moved: no new password
    again = run("--db", owner_url, "team", "add", alice, "--role", "analyst")
    assert (again.exit_code, again.stdout) == (0, f"{alice} stays analyst\n")
    moved = run("--db", owner_url, "team", "add", alice, "--role", "reviewer")
    assert moved.stdout == f"{alice}: analyst → reviewer\n"
    assert run("--db", owner_url, "team", "add", alice, "--role", "analyst").exit_code == 0
    wrong = run("--db", owner_url, "team", "add", "carol", "--role", "boss")
    assert wrong.exit_code == 2
    assert wrong.stderr == "dossier team add: no role “boss”: choose analyst, reviewer, admin\n"

    # the printed URL signs alice in; she imports the seed corpus as herself
    imported = run("--db", url, "import", str(corpus / "annotations"))
    assert imported.exit_code == 0, imported.stderr

    def sql(statement: str):
        with bare.owner.engine.connect() as connection:
            return connection.exec_driver_sql(statement).all()

    def span_count() -> int:
        return sql("SELECT count(*) FROM annotation")[0][0]

    owners = sql(
        "SELECT DISTINCT a.name FROM annotation s JOIN annotator a ON a.id = s.annotator_id"
    )
    assert owners == [(alice,)]

    before = span_count()
    assert before > 0
    # as bob: the server refuses, in plain words, and nothing is written
    refused = run("--db", url, "import", "--annotator", bob, str(corpus / "annotations"))
    assert refused.exit_code == 2
    assert f"{alice} (analyst) may change only their own spans; this span is {bob}'s" in (
        refused.stderr
    )
    assert len(refused.stderr.strip().splitlines()) == 1
    assert span_count() == before

    listed = run("--db", owner_url, "team", "list")
    assert listed.exit_code == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert rows[0][:4] == ["member", "role", "spans", "last"]
    assert [row[:3] for row in rows[1:]] == sorted(
        [[alice, "analyst", str(before)], [bob, "analyst", "0"]]
    )
    # a member cannot add people
    member_add = run("--db", url, "team", "add", login(bare, "eve"), "--role", "admin")
    assert member_add.exit_code == 2
    assert "owner" in member_add.stderr and "superuser" in member_add.stderr

    left = run("--db", owner_url, "team", "remove", bob)
    assert left.stdout == f"{bob} (analyst) left the team; their spans stay\n"
    assert bob not in run("--db", owner_url, "team", "list").stdout
    gone = run("--db", owner_url, "team", "remove", bob)
    assert gone.exit_code == 2 and "not a member" in gone.stderr


def test_no_password_for_certificate_or_peer_authentication(bare):
    assert run("--db", bare.url, "team", "init").exit_code == 0
    name = login(bare, "carol")
    added = run("--db", bare.url, "team", "add", name, "--role", "admin", "--no-password")
    assert added.exit_code == 0, added.stderr
    assert "password" not in added.stdout
    assert f"connect: dossier --db 'postgresql://{name}@" in added.stdout
    assert "certificate or peer" in added.stdout


def test_list_before_init_and_with_no_members(bare):
    empty = run("--db", bare.url, "team", "list")
    assert empty.exit_code == 0
    assert empty.stdout.startswith("no members yet")
    early = run("--db", bare.url, "team", "add", login(bare, "dan"), "--role", "analyst")
    assert early.exit_code == 2
    assert "run `dossier team init` first" in early.stderr
