"""Roles the server enforces: ``team init`` and ``team add`` on a real PostgreSQL server, then
each member signs in with their own login, through the store and through plain SQL, and
the server lets them change only what their role allows; a refusal is an error that says
who may change what, and leaves the row as it was.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from db.records import ImportBatch, NewDocument, NewSpan
from db.store import ConflictError, NotAllowedError, StoreError
from db.team import (
    GUARDED,
    NoTeamError,
    TeamMember,
    team_add,
    team_init,
    team_key,
    team_list,
    team_remove,
)
from tests.team import team  # noqa: F401 - the fixture

# Emoji with a skin tone, CRLF and right-to-left script: offsets are code points.
TEXT = (
    "Kataib Hezbollah 👍🏽 warned on Friday\r\nthat attacks would resume. قال المتحدث باسم الكتائب"
)
ACTOR = (0, 16)  # "Kataib Hezbollah"
FRIDAY = (TEXT.index("Friday"), TEXT.index("Friday") + 6)
ARABIC = (TEXT.index("قال"), len(TEXT))


def _rows(store, sql: str, **params):
    with store.engine.connect() as connection:
        return connection.execute(text(sql), params).all()


@pytest.fixture
def people(team):  # noqa: F811 - the fixture above
    """Two analysts, a reviewer and an admin, each signed in as themselves, on a project
    with one document and a span of each analyst."""
    owner = team.owner
    document_id = owner.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[
        0
    ]
    signed = {}
    for who, role in (
        ("alice", "analyst"),
        ("bob", "analyst"),
        ("rita", "reviewer"),
        ("ada", "admin"),
    ):
        name, password = team.add(who, role)
        signed[who] = (name, password, team.open_as(name, password))
    actor = owner.label_by_name("Actor").id
    event = owner.label_by_name("Event").id

    class People:
        pass

    p = People()
    p.team, p.owner, p.document_id, p.actor, p.event = team, owner, document_id, actor, event
    for who, (name, password, store) in signed.items():
        setattr(p, who, store)
        setattr(p, f"{who}_name", name)
        setattr(p, f"{who}_password", password)
        setattr(p, f"{who}_id", store.team_member().annotator_id)
    p.bob_span = p.bob.add_span(document_id, actor, p.bob_id, *ACTOR)
    p.alice_span = p.alice.add_span(document_id, event, p.alice_id, *FRIDAY)
    return p


def _unchanged(p, span):
    now = p.owner.span(span.uuid)
    assert now is not None
    assert (now.note, now.version, now.annotator_id, now.label_id, now.start, now.end) == (
        span.note,
        span.version,
        span.annotator_id,
        span.label_id,
        span.start,
        span.end,
    )


# --- team init ------------------------------------------------------------------------------


def test_init_sets_up_roles_grants_and_policies_and_is_idempotent(team):  # noqa: F811
    def state():
        return (
            _rows(
                team.owner,
                "SELECT tablename, policyname, cmd FROM pg_policies "
                "WHERE schemaname = current_schema() ORDER BY 1, 2",
            ),
            _rows(
                team.owner,
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'dossier_guard' AND c.relnamespace = current_schema()::regnamespace "
                "ORDER BY 1",
            ),
        )

    before = state()
    again = team.init()
    assert state() == before
    assert set(again.guarded) == set(GUARDED)
    policies, triggers = before
    assert {row[0] for row in triggers} == set(GUARDED)
    assert len(policies) == 4 * len(GUARDED)
    secured = _rows(
        team.owner,
        "SELECT relname FROM pg_class WHERE relrowsecurity "
        "AND relnamespace = current_schema()::regnamespace",
    )
    assert {row[0] for row in secured} == set(GUARDED)
    groups = team.groups
    assert all(len(name.encode()) <= 63 for name in groups.values())
    (chain,) = _rows(
        team.owner,
        "SELECT pg_has_role(:admin, :reviewer, 'MEMBER'), pg_has_role(:reviewer, :analyst, 'MEMBER'),"
        " pg_has_role(:analyst, :reviewer, 'MEMBER')",
        **groups,
    )
    assert chain == (True, True, False)
    (rights,) = _rows(
        team.owner,
        "SELECT has_table_privilege(:analyst, 'history', 'SELECT'),"
        " has_table_privilege(:analyst, 'history', 'INSERT'),"
        " has_table_privilege(:analyst, 'annotation', 'UPDATE'),"
        " has_table_privilege(:analyst, 'entity', 'INSERT'),"
        " has_table_privilege(:analyst, 'alembic_version', 'UPDATE')",
        analyst=groups["analyst"],
    )
    assert rights == (True, False, True, True, False)
    assert [a.name for a in team.owner.annotators() if a.is_gold] == ["gold"]


def test_the_key_names_database_and_schema_within_63_bytes():
    assert team_key("dossier", "public") == "dossier"
    assert team_key("News-Desk", "Team 2") == "news_desk_team_2"
    long = team_key("d" * 80, "s" * 80)
    assert len(f"dossier_{long}_reviewer".encode()) <= 63
    assert long != team_key("d" * 80, "s" * 79 + "t")


def test_a_team_needs_postgresql(memory_store):
    for call in (
        lambda: team_init(memory_store),
        lambda: team_add(memory_store, "alice", "analyst"),
        lambda: team_list(memory_store),
    ):
        with pytest.raises(NoTeamError, match="a team needs a PostgreSQL project"):
            call()
    assert memory_store.team_member() is None


# --- members --------------------------------------------------------------------------------


def test_add_list_move_and_remove_members(team):  # noqa: F811
    alice, password = team.add("alice", "analyst")
    rita, _ = team.add("rita", "reviewer")
    ada, _ = team.add("ada", "admin", password=False)
    assert password and len(password) >= 20
    members = {m.name: m for m in team_list(team.owner)}
    assert {name: m.role for name, m in members.items()} == {
        alice: "analyst",
        rita: "reviewer",
        ada: "admin",
    }
    ids = {a.name: a.id for a in team.owner.annotators()}
    assert members[alice] == TeamMember(alice, "analyst", ids[alice])
    assert team.owner.team_member() is None  # the owner (a superuser) is not restricted
    (stored,) = _rows(
        team.owner, "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = :n", n=ada
    )
    assert stored == (True,)  # certificate or peer authentication: no password at all

    signed = team.open_as(alice, password)
    assert signed.team_member() == TeamMember(alice, "analyst", ids[alice])
    # again: the login keeps its password (none printed) and moves to another group
    assert team_add(team.owner, alice, "reviewer") is None
    assert signed.team_member().role == "reviewer"
    held = _rows(
        team.owner,
        "SELECT g.rolname FROM pg_auth_members am JOIN pg_roles g ON g.oid = am.roleid "
        "JOIN pg_roles m ON m.oid = am.member WHERE m.rolname = :n",
        n=alice,
    )
    assert [row[0] for row in held] == [team.groups["reviewer"]]
    fresh = team_add(team.owner, alice, "reviewer", reset_password=True)
    assert fresh and fresh != password

    removed = team_remove(team.owner, alice)
    assert removed.role == "reviewer"
    assert alice not in {m.name for m in team_list(team.owner)}
    assert signed.team_member() is None
    assert alice in ids  # the annotator (and their spans) stay
    with pytest.raises(StoreError, match="not a member"):
        team_remove(team.owner, alice)


@pytest.mark.parametrize(
    ("name", "role", "reason"),
    [
        ("", "analyst", "needs a name"),
        ("pg_monitor", "analyst", "pg_ names"),
        ("x" * 64, "analyst", "63 bytes"),
        ("carol", "boss", "choose analyst, reviewer, admin"),
        ("postgres", "analyst", "superuser"),
    ],
)
def test_bad_members_are_refused(team, name, role, reason):  # noqa: F811
    before = team_list(team.owner)
    with pytest.raises(StoreError, match=reason):
        team_add(team.owner, name, role)
    assert team_list(team.owner) == before


def test_a_group_role_is_no_person(team):  # noqa: F811
    with pytest.raises(StoreError, match="group roles"):
        team_add(team.owner, team.groups["admin"], "admin")


def test_add_before_init_says_to_run_init(pg_url):
    from tests.team import Team

    made = Team(pg_url)
    try:
        with pytest.raises(StoreError, match="team init"):
            team_add(made.owner, "nobody_here", "analyst")
    finally:
        made.close()


def test_a_member_cannot_run_init(people):
    with pytest.raises(NotAllowedError, match="owner or a superuser"):
        team_init(people.alice)


# --- an analyst ------------------------------------------------------------------------------


def test_an_analyst_writes_their_own_spans_relations_and_progress(people):
    p = people
    own = p.alice.add_span(p.document_id, p.actor, p.alice_id, *ARABIC)
    assert own.text == TEXT[ARABIC[0] : ARABIC[1]]
    own = p.alice.update_span(own.uuid, own.version, note="the spokesman 👍🏽")
    relation = p.alice.add_relation(p.alice_span.uuid, own.uuid, "agent", p.alice_id)
    assert p.owner.relations(p.document_id)[0].uuid == relation.uuid
    p.alice.set_document_status(p.document_id, p.alice_id, "done")
    assert p.owner.document_status(p.document_id, p.alice_id) == "done"
    p.alice.delete_relation(relation.uuid)
    p.alice.delete_span(own.uuid, own.version)
    assert p.owner.span(own.uuid) is None
    # every member adds articles (and their search index), and the shared actors
    added = p.alice.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text="Abu 🙂 e\u0301\r\nBaqir",
                    spans=[NewSpan("Actor", 0, 3, p.alice_name)],
                )
            ]
        )
    )
    assert added.spans_added == 1
    (spans,) = [d for d in added.document_ids if d != p.document_id]
    assert [s.annotator for s in p.owner.spans(spans)] == [p.alice_name]


def test_an_analyst_cannot_change_a_colleagues_span(people):
    p = people
    said = f"{p.alice_name} (analyst) may change only their own spans; this span is {p.bob_name}'s"
    with pytest.raises(NotAllowedError) as refused:
        p.alice.update_span(p.bob_span.uuid, p.bob_span.version, note="mine now")
    assert str(refused.value) == said
    with pytest.raises(NotAllowedError, match="only their own spans"):
        p.alice.update_span(p.bob_span.uuid, p.bob_span.version, annotator_id=p.alice_id)
    with pytest.raises(NotAllowedError, match="only their own spans"):
        p.alice.delete_span(p.bob_span.uuid, p.bob_span.version)
    with pytest.raises(NotAllowedError, match=f"this span is {p.bob_name}'s"):
        p.alice.add_span(p.document_id, p.actor, p.bob_id, *ARABIC)
    with pytest.raises(NotAllowedError, match=f"this span is {p.bob_name}'s"):
        p.alice.update_span(p.alice_span.uuid, p.alice_span.version, annotator_id=p.bob_id)
    _unchanged(p, p.bob_span)
    _unchanged(p, p.alice_span)
    assert len(p.owner.spans(p.document_id)) == 2


def test_a_refusal_is_not_taken_for_a_conflict(people):
    """The version-checked write finds the row (the policies hide nothing): the guard
    refuses it as not allowed; only a stale version is a conflict."""
    p = people
    with pytest.raises(NotAllowedError):
        p.alice.update_span(p.bob_span.uuid, expected=p.bob_span, note="x")
    p.bob.update_span(p.bob_span.uuid, p.bob_span.version, note="bob's note")
    with pytest.raises(ConflictError):
        p.alice.update_span(p.bob_span.uuid, p.bob_span.version, note="x")


def test_an_analyst_cannot_write_gold_reviews_labels_annotators_or_documents(people):
    p = people
    gold = p.owner.gold_annotator()
    with pytest.raises(NotAllowedError, match="this span is gold's"):
        p.alice.add_span(p.document_id, p.actor, gold.id, *ACTOR)
    with pytest.raises(NotAllowedError, match="may not record review decisions"):
        p.alice.record_decision(
            p.document_id, p.alice_id, kind="agreed", action="accept", candidates=[]
        )
    with pytest.raises(NotAllowedError, match="labels"):
        p.alice.add_label("Stance")
    with pytest.raises(NotAllowedError, match="labels"):
        p.alice.update_label(p.actor, colour="#000000")
    with pytest.raises(NotAllowedError, match="annotators"):
        p.alice.ensure_annotator("someone else")
    with pytest.raises(NotAllowedError, match="documents"):
        p.alice.delete_document(p.document_id)
    with pytest.raises(NotAllowedError, match="progress"):
        p.alice.set_document_status(p.document_id, p.bob_id, "done")
    assert [label.name for label in p.owner.labels()] == ["Claim", "Actor", "Event"]
    assert p.owner.label(p.actor).colour != "#000000"
    assert p.owner.document_ids() == [p.document_id]
    assert p.owner.review_decisions([p.document_id]) == []
    assert "someone else" not in {a.name for a in p.owner.annotators()}


def test_plain_sql_as_an_analyst_is_refused_by_the_server(people):
    p = people
    sql = p.team.sql_as(p.alice_name, p.alice_password)
    bob_uuid = p.bob_span.uuid
    for statement, args in [
        ("UPDATE annotation SET note = 'mine' WHERE uuid = %s", (bob_uuid,)),
        ("UPDATE annotation SET annotator_id = %s WHERE uuid = %s", (p.alice_id, bob_uuid)),
        ("DELETE FROM annotation WHERE uuid = %s", (bob_uuid,)),
        (
            'INSERT INTO annotation (uuid, document_id, label_id, annotator_id, start, "end", '
            "text, status, origin, note, attributes, created_at, updated_at, version) "
            "VALUES ('x', %s, %s, %s, 0, 16, 'Kataib Hezbollah', 'accepted', 'manual', '', "
            "'{}', '', '', 1)",
            (p.document_id, p.actor, p.bob_id),
        ),
        ("UPDATE label SET colour = '#000000'", ()),
        ("DELETE FROM document", ()),
        ("INSERT INTO history (at, kind, op, key) VALUES ('', 'span', 'delete', 'x')", ()),
    ]:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sql.execute(statement, args)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        sql.execute(f'SET ROLE "{p.team.groups["admin"]}"')
    _unchanged(p, p.bob_span)
    # their own span: one row updated, as always
    done = sql.execute("UPDATE annotation SET note = 'mine' WHERE uuid = %s", (p.alice_span.uuid,))
    assert done.rowcount == 1


# --- a reviewer and an admin ----------------------------------------------------------------


def test_a_reviewer_writes_gold_and_their_decisions_not_analysts_spans(people):
    p = people
    candidate = {"uuid": p.bob_span.uuid, "label": "Actor", "start": 0, "end": 16}
    decision, gold_spans, _ = p.rita.record_decision(
        p.document_id,
        p.rita_id,
        kind="missing",
        action="take",
        candidates=[candidate],
        gold_spans=[NewSpan("Actor", *ACTOR, "gold", origin="review")],
    )
    assert [s.annotator for s in gold_spans] == ["gold"]
    edited = p.rita.update_span(gold_spans[0].uuid, gold_spans[0].version, note="checked")
    assert edited.note == "checked"
    with pytest.raises(NotAllowedError) as refused:
        p.rita.update_span(p.bob_span.uuid, p.bob_span.version, note="x")
    assert str(refused.value) == (
        f"{p.rita_name} (reviewer) may change only their own spans and the gold layer; "
        f"this span is {p.bob_name}'s"
    )
    with pytest.raises(NotAllowedError, match="only as themselves"):
        p.rita.record_decision(
            p.document_id, p.alice_id, kind="agreed", action="accept", candidates=[]
        )
    with pytest.raises(NotAllowedError, match="labels"):
        p.rita.add_label("Stance")
    with pytest.raises(NotAllowedError, match="may not record review decisions"):
        p.alice.undo_decision(decision.uuid, [s.uuid for s in gold_spans])
    _unchanged(p, p.bob_span)
    assert [d.uuid for d in p.owner.review_decisions([p.document_id])] == [decision.uuid]


def test_an_admin_may_change_everything(people):
    p = people
    changed = p.ada.update_span(p.bob_span.uuid, p.bob_span.version, note="fixed by the lead")
    assert p.owner.span(p.bob_span.uuid).note == "fixed by the lead"
    p.ada.delete_span(p.alice_span.uuid, p.alice_span.version)
    label = p.ada.add_label("Stance")
    p.ada.update_label(label.id, colour="#112233")
    p.ada.ensure_annotator("guest")
    p.ada.set_document_status(p.document_id, p.bob_id, "done")
    p.ada.record_decision(p.document_id, p.ada_id, kind="agreed", action="accept", candidates=[])
    p.ada.delete_span(changed.uuid, changed.version)
    p.ada.delete_document(p.document_id)
    assert p.owner.document_ids() == []
