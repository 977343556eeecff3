"""A team on one PostgreSQL project: the group roles of analysts, reviewers and admins, the
members' logins, and the row-level security and guard triggers with which the server itself
decides who may change what (``dossier team``; the window annotates as the login).

The group roles are ``dossier_<key>_analyst``, ``…_reviewer`` (a member of analyst) and
``…_admin`` (a member of reviewer), the key naming the database and, when it is not
``public``, the schema. An analyst writes their own spans, relations and progress; a
reviewer also the gold layer and their review decisions; an admin everything. A connection
that is no member (the project's owner, a superuser, a login from before the team) is not
restricted. Roles are the server's, shared by every database on it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlmodel import SQLModel

from db.store.base import NotAllowedError, StoreError
from db.tables import GOLD, utcnow

if TYPE_CHECKING:
    from db.store import Store

ROLES = ("analyst", "reviewer", "admin")  # each holds the rights of the one before
NAME_BYTES = 63  # PostgreSQL's longest identifier
_KEY_BYTES = NAME_BYTES - len("dossier__reviewer")

# Tables whose rows belong to an annotator (column annotator_id).
OWNED = ("annotation", "relation", "document_state")
# Tables only an admin changes.
ADMIN_ONLY = ("label", "annotator")
# Tables every member adds to, and only an admin changes or deletes from.
ADDED_TO = ("document", "document_search")
# Tables the members read and never write (history is written by trigger functions that
# run as the owner).
READ_ONLY = ("history", "alembic_version")
# Tables the team's rules cover, besides the shared ones (actors, presence) every member
# writes.
GUARDED = (*OWNED, "review_decision", *ADMIN_ONLY, *ADDED_TO)


@dataclass(frozen=True, slots=True)
class TeamMember:
    """A login of the team: its name (also its annotator's), its role, its annotator's id
    (None when the annotator is missing)."""

    name: str
    role: str
    annotator_id: int | None


@dataclass(frozen=True, slots=True)
class TeamSetup:
    """What ``team init`` set up: the group roles by role, the tables granted, the tables
    under row-level security."""

    groups: dict[str, str]
    tables: tuple[str, ...]
    guarded: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemberActivity:
    """A member's work for ``team list``: spans held, time of the last recorded change."""

    spans: int
    last_change: str | None


class NoTeamError(StoreError):
    """A team command on a project that is not on PostgreSQL."""


def team_key(database: str, schema: str) -> str:
    """The part of the group roles' names that names the project: the database, and the
    schema when it is not ``public``; lower case, ``[a-z0-9_]`` only, shortened with a
    hash so that every role name stays within PostgreSQL's 63 bytes."""
    raw = database if schema == "public" else f"{database}_{schema}"
    key = re.sub(r"[^a-z0-9_]", "_", raw.lower())
    if len(key) > _KEY_BYTES:
        digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]
        key = f"{key[: _KEY_BYTES - 9]}_{digest}"
    return key


def group_roles(key: str) -> dict[str, str]:
    """The group role of each role, by role."""
    return {role: f"dossier_{key}_{role}" for role in ROLES}


def project_groups(connection: Connection) -> dict[str, str]:
    """The group roles of the project this connection is on (they may not exist yet)."""
    database, schema = connection.execute(text("SELECT current_database(), current_schema()")).one()
    return group_roles(team_key(database, schema))


def _existing(connection: Connection, names) -> set[str]:
    rows = connection.execute(
        text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"), {"names": list(names)}
    )
    return {row[0] for row in rows}


def _annotator_id(connection: Connection, name: str) -> int | None:
    return connection.execute(
        text("SELECT id FROM annotator WHERE name = :name"), {"name": name}
    ).scalar()


def member_of(connection: Connection) -> TeamMember | None:
    """The connection's login as a team member, or None (SQLite, no team, a superuser, a
    login in no group: they are not restricted)."""
    if connection.dialect.name != "postgresql":
        return None
    groups = project_groups(connection)
    name, superuser = connection.execute(
        text("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
    ).one()
    present = _existing(connection, groups.values())
    if superuser or name in groups.values() or not present:
        return None
    for role in reversed(ROLES):
        group = groups[role]
        if (
            group in present
            and connection.execute(
                text("SELECT pg_has_role(current_user, :group, 'MEMBER')"), {"group": group}
            ).scalar()
        ):
            return TeamMember(name, role, _annotator_id(connection, name))
    return None


def _ddl(connection: Connection, statement: str) -> None:
    """Run a statement that takes no parameters (the driver would read its % signs as
    placeholders)."""
    connection.exec_driver_sql(statement.replace("%", "%%"))


def _require_postgresql(store: Store, command: str) -> None:
    if store.dialect != "postgresql":
        raise NoTeamError(
            f"a team needs a PostgreSQL project: {store.url} is an SQLite file, which "
            "only one person at a time works in. Put the project on a PostgreSQL server "
            "(`dossier --db postgresql://USER@HOST/DATABASE import …` creates it there, "
            f"then `dossier --db postgresql://USER@HOST/DATABASE {command}`)"
        )


# --- team init -----------------------------------------------------------------------------


def _functions(schema: str, groups: dict[str, str]) -> list[str]:
    """The SQL functions the policies and guard triggers use, with the group roles' names
    written in (they are the project's own)."""
    s = schema
    role_of = f"""
CREATE OR REPLACE FUNCTION {s}.dossier_team_role() RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT CASE
    WHEN pg_has_role(current_user, '{groups["admin"]}', 'MEMBER') THEN 'admin'
    WHEN pg_has_role(current_user, '{groups["reviewer"]}', 'MEMBER') THEN 'reviewer'
    WHEN pg_has_role(current_user, '{groups["analyst"]}', 'MEMBER') THEN 'analyst'
  END
$$"""
    is_admin = f"""
CREATE OR REPLACE FUNCTION {s}.dossier_is_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT coalesce({s}.dossier_team_role() = 'admin', true)
$$"""
    may_write = f"""
CREATE OR REPLACE FUNCTION {s}.dossier_may_write(owner integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT t.role IS NULL OR t.role = 'admin' OR EXISTS (
    SELECT 1 FROM {s}.annotator a
    WHERE a.id = owner
      AND (a.name = current_user::text OR (t.role = 'reviewer' AND a.is_gold)))
  FROM (SELECT {s}.dossier_team_role() AS role) AS t
$$"""
    may_review = f"""
CREATE OR REPLACE FUNCTION {s}.dossier_may_review(reviewer integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT t.role IS NULL OR t.role = 'admin' OR (t.role = 'reviewer' AND EXISTS (
    SELECT 1 FROM {s}.annotator a WHERE a.id = reviewer AND a.name = current_user::text))
  FROM (SELECT {s}.dossier_team_role() AS role) AS t
$$"""
    owner_name = f"""
CREATE OR REPLACE FUNCTION {s}.dossier_annotator_name(owner integer) RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT coalesce((SELECT name FROM {s}.annotator WHERE id = owner), 'an unknown annotator')
$$"""
    # The guards raise where a policy would only hide the row: an UPDATE or DELETE of a
    # colleague's span is an error, never a silent "UPDATE 0" that looks like a conflict.
    guard_owned = f"""
CREATE OR REPLACE FUNCTION {s}.dossier_guard_owned() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
  role text := {s}.dossier_team_role();
  owner integer;
  things text;
  this text;
BEGIN
  IF role IS NULL OR role = 'admin' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP <> 'INSERT' AND NOT {s}.dossier_may_write(OLD.annotator_id) THEN
    owner := OLD.annotator_id;
  ELSIF TG_OP <> 'DELETE' AND NOT {s}.dossier_may_write(NEW.annotator_id) THEN
    owner := NEW.annotator_id;
  ELSE
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  things := CASE TG_TABLE_NAME WHEN 'annotation' THEN 'spans'
    WHEN 'relation' THEN 'relations' ELSE 'progress' END;
  this := CASE TG_TABLE_NAME WHEN 'annotation' THEN 'this span is %s''s'
    WHEN 'relation' THEN 'this relation is %s''s' ELSE 'this is %s''s progress' END;
  RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
    '%s (%s) may change only their own %s%s; ' || this,
    current_user, role, things,
    CASE WHEN role = 'reviewer' THEN ' and the gold layer' ELSE '' END,
    {s}.dossier_annotator_name(owner));
END
$$"""
    guard_review = f"""
CREATE OR REPLACE FUNCTION {s}.dossier_guard_review() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
  role text := {s}.dossier_team_role();
BEGIN
  IF role = 'analyst' THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
      '%s (analyst) may not record review decisions; a reviewer or an admin may',
      current_user);
  END IF;
  IF TG_OP <> 'INSERT' AND NOT {s}.dossier_may_review(OLD.reviewer_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
      '%s (%s) may change only their own review decisions; this one is %s''s',
      current_user, role, {s}.dossier_annotator_name(OLD.reviewer_id));
  END IF;
  IF TG_OP <> 'DELETE' AND NOT {s}.dossier_may_review(NEW.reviewer_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
      '%s (%s) may record review decisions only as themselves, not as %s',
      current_user, role, {s}.dossier_annotator_name(NEW.reviewer_id));
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$"""
    guard_admin = f"""
CREATE OR REPLACE FUNCTION {s}.dossier_guard_admin() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
  role text := {s}.dossier_team_role();
BEGIN
  IF NOT {s}.dossier_is_admin() THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
      '%s (%s) may not %s; only an admin may', current_user, role,
      CASE TG_TABLE_NAME
        WHEN 'label' THEN 'add, change or remove labels and their attributes'
        WHEN 'annotator' THEN 'add or change annotators (an admin adds people with '
          || '`dossier team add`)'
        ELSE 'change or delete documents' END);
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$"""
    return [
        role_of,
        is_admin,
        may_write,
        may_review,
        owner_name,
        guard_owned,
        guard_review,
        guard_admin,
    ]


def _policies(schema: str, table: str) -> list[str]:
    """The row-level security policies of one guarded table: everyone reads; what may be
    written is said by the functions (the guard trigger says it in words first)."""
    s = schema
    if table in OWNED:
        insert = update = f"{s}.dossier_may_write(annotator_id)"
    elif table == "review_decision":
        insert = update = f"{s}.dossier_may_review(reviewer_id)"
    elif table in ADMIN_ONLY:
        insert = update = f"{s}.dossier_is_admin()"
    else:  # ADDED_TO: every member adds articles
        insert, update = "true", f"{s}.dossier_is_admin()"
    t = f"{s}.{table}"
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS dossier_read ON {t}",
        f"CREATE POLICY dossier_read ON {t} FOR SELECT USING (true)",
        f"DROP POLICY IF EXISTS dossier_insert ON {t}",
        f"CREATE POLICY dossier_insert ON {t} FOR INSERT WITH CHECK ({insert})",
        f"DROP POLICY IF EXISTS dossier_update ON {t}",
        f"CREATE POLICY dossier_update ON {t} FOR UPDATE USING (true) WITH CHECK ({update})",
        f"DROP POLICY IF EXISTS dossier_delete ON {t}",
        f"CREATE POLICY dossier_delete ON {t} FOR DELETE USING (true)",
    ]


def _guard(schema: str, table: str) -> list[str]:
    if table in OWNED:
        function, events = "dossier_guard_owned", "INSERT OR UPDATE OR DELETE"
    elif table == "review_decision":
        function, events = "dossier_guard_review", "INSERT OR UPDATE OR DELETE"
    elif table in ADMIN_ONLY:
        function, events = "dossier_guard_admin", "INSERT OR UPDATE OR DELETE"
    else:
        function, events = "dossier_guard_admin", "UPDATE OR DELETE"
    t = f"{schema}.{table}"
    return [
        f"DROP TRIGGER IF EXISTS dossier_guard ON {t}",
        f"CREATE TRIGGER dossier_guard BEFORE {events} ON {t} "
        f"FOR EACH ROW EXECUTE FUNCTION {schema}.{function}()",
    ]


def _project_tables(connection: Connection) -> list[str]:
    """The project's tables in its schema (not another application's that share it)."""
    known = set(SQLModel.metadata.tables) | {"document_search", *READ_ONLY, "presence"}
    rows = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    )
    return sorted(row[0] for row in rows if row[0] in known)


def team_init(store: Store) -> TeamSetup:
    """Set the project up for a team, or bring the set-up up to date (after a migration
    added a table, say): the group roles, their grants, the gold annotator, and the
    row-level security policies and guard triggers. Run it as the project's owner or a
    superuser."""
    _require_postgresql(store, "team init")
    try:
        with store._write() as connection:
            groups = project_groups(connection)
            member = member_of(connection)
            if member is not None:
                raise NotAllowedError(
                    f"{member.name} is a team member ({member.role}); run `dossier team "
                    "init` as the project's owner or a superuser"
                )
            quote = connection.dialect.identifier_preparer.quote_identifier
            present = _existing(connection, groups.values())
            for role in ROLES:
                if groups[role] not in present:
                    _ddl(connection, f"CREATE ROLE {quote(groups[role])} NOLOGIN")
            _ddl(connection, f"GRANT {quote(groups['analyst'])} TO {quote(groups['reviewer'])}")
            _ddl(connection, f"GRANT {quote(groups['reviewer'])} TO {quote(groups['admin'])}")
            database, schema = connection.execute(
                text("SELECT current_database(), current_schema()")
            ).one()
            s = quote(schema)
            analyst = quote(groups["analyst"])
            _ddl(connection, f"GRANT CONNECT ON DATABASE {quote(database)} TO {analyst}")
            _ddl(connection, f"GRANT USAGE ON SCHEMA {s} TO {analyst}")
            tables = _project_tables(connection)
            for table in tables:
                t = f"{s}.{quote(table)}"
                _ddl(connection, f"REVOKE ALL ON {t} FROM {analyst}")
                rights = "SELECT" if table in READ_ONLY else "SELECT, INSERT, UPDATE, DELETE"
                _ddl(connection, f"GRANT {rights} ON {t} TO {analyst}")
            _ddl(connection, f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {analyst}")
            if _annotator_id(connection, GOLD) is None:
                connection.execute(
                    text(
                        "INSERT INTO annotator (name, is_gold, created_at) "
                        "VALUES (:name, true, :now)"
                    ),
                    {"name": GOLD, "now": utcnow()},
                )
            for statement in _functions(s, groups):
                _ddl(connection, statement)
            guarded = [table for table in GUARDED if table in tables]
            for table in guarded:
                for statement in _policies(s, table) + _guard(s, table):
                    _ddl(connection, statement)
    except NotAllowedError as exc:
        raise NotAllowedError(
            f"team init must be run by the project's owner or a superuser: {exc}"
        ) from None
    return TeamSetup(groups, tuple(tables), tuple(guarded))


# --- members -------------------------------------------------------------------------------


def _check_member_name(name: str, groups: dict[str, str]) -> str:
    name = name.strip()
    if not name:
        raise StoreError("a member needs a name")
    if len(name.encode("utf-8")) > NAME_BYTES:
        raise StoreError(
            f"“{name[:40]}…” is too long for a PostgreSQL login (at most {NAME_BYTES} bytes)"
        )
    if "\x00" in name or name.lower().startswith("pg_"):
        raise StoreError(f"“{name}” cannot be a PostgreSQL login (pg_ names are the server's)")
    if name in groups.values():
        raise StoreError(f"“{name}” is one of the team's group roles, not a person")
    return name


def _require_groups(connection: Connection, groups: dict[str, str]) -> None:
    if len(_existing(connection, groups.values())) < len(ROLES):
        raise StoreError("this project has no team yet: run `dossier team init` first")


def _direct_groups(connection: Connection, name: str, groups: dict[str, str]) -> set[str]:
    """The team roles ``name`` holds directly (not through another group)."""
    rows = connection.execute(
        text(
            "SELECT g.rolname FROM pg_auth_members am "
            "JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member "
            "WHERE m.rolname = :name AND g.rolname = ANY(:groups)"
        ),
        {"name": name, "groups": list(groups.values())},
    )
    by_group = {group: role for role, group in groups.items()}
    return {by_group[row[0]] for row in rows}


def team_add(
    store: Store,
    name: str,
    role: str,
    *,
    password: bool = True,
    reset_password: bool = False,
) -> str | None:
    """Make ``name`` a member of the team in ``role``: its login (created with a generated
    password unless ``password`` is false, for certificate or peer authentication) and its
    annotator. An existing login keeps its password unless ``reset_password``; a member
    changing role leaves their former group. Returns the new password, or None."""
    _require_postgresql(store, "team add")
    if role not in ROLES:
        raise StoreError(f"no role “{role}”: choose {', '.join(ROLES)}")
    secret: str | None = None
    try:
        with store._write() as connection:
            groups = project_groups(connection)
            name = _check_member_name(name, groups)
            _require_groups(connection, groups)
            quote = connection.dialect.identifier_preparer.quote_identifier
            login = quote(name)
            found = connection.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = :name"), {"name": name}
            ).first()
            if found is not None and found[0]:
                raise StoreError(
                    f"{name} is a superuser: the server lets it change everything, whatever "
                    "its team role; give the person a login of their own"
                )
            # secrets.token_urlsafe is letters, digits, - and _: safe between quotes.
            if found is None:
                if password:
                    secret = secrets.token_urlsafe(18)
                    _ddl(connection, f"CREATE ROLE {login} LOGIN PASSWORD '{secret}'")
                else:
                    _ddl(connection, f"CREATE ROLE {login} LOGIN")
            elif reset_password and password:
                secret = secrets.token_urlsafe(18)
                _ddl(connection, f"ALTER ROLE {login} LOGIN PASSWORD '{secret}'")
            for held in _direct_groups(connection, name, groups) - {role}:
                _ddl(connection, f"REVOKE {quote(groups[held])} FROM {login}")
            _ddl(connection, f"GRANT {quote(groups[role])} TO {login}")
            if _annotator_id(connection, name) is None:
                connection.execute(
                    text(
                        "INSERT INTO annotator (name, is_gold, created_at) "
                        "VALUES (:name, false, :now)"
                    ),
                    {"name": name, "now": utcnow()},
                )
    except NotAllowedError as exc:
        raise NotAllowedError(
            "team add must be run by the project's owner (with the right to create roles) "
            f"or a superuser: {exc}"
        ) from None
    return secret


def team_remove(store: Store, name: str) -> TeamMember:
    """Take ``name`` out of the team: its group roles are revoked; the login and the spans
    stay. Returns the member as it was."""
    _require_postgresql(store, "team remove")
    with store._write() as connection:
        groups = project_groups(connection)
        held = _direct_groups(connection, name, groups)
        if not held:
            raise StoreError(f"{name} is not a member of this project's team")
        quote = connection.dialect.identifier_preparer.quote_identifier
        for role in held:
            _ddl(connection, f"REVOKE {quote(groups[role])} FROM {quote(name)}")
        role = max(held, key=ROLES.index)
        return TeamMember(name, role, _annotator_id(connection, name))


def team_list(store: Store) -> list[TeamMember]:
    """The team's members by name, each with their highest role."""
    _require_postgresql(store, "team list")
    with store._read() as connection:
        groups = project_groups(connection)
        rows = connection.execute(
            text(
                "SELECT m.rolname, g.rolname FROM pg_auth_members am "
                "JOIN pg_roles g ON g.oid = am.roleid JOIN pg_roles m ON m.oid = am.member "
                "WHERE g.rolname = ANY(:groups) AND NOT m.rolname = ANY(:groups)"
            ),
            {"groups": list(groups.values())},
        ).all()
        by_group = {group: role for role, group in groups.items()}
        roles: dict[str, str] = {}
        for member, group in rows:
            role = by_group[group]
            if member not in roles or ROLES.index(role) > ROLES.index(roles[member]):
                roles[member] = role
        return [
            TeamMember(name, roles[name], _annotator_id(connection, name)) for name in sorted(roles)
        ]


def member_activity(store: Store, members: list[TeamMember]) -> dict[str, MemberActivity]:
    """Each member's spans and last recorded change (from the history, when the project
    keeps one; by login, else by the annotator Dossier worked as)."""
    with store._read() as connection:
        has_history = connection.execute(text("SELECT to_regclass('history') IS NOT NULL")).scalar()
        result = {}
        for member in members:
            spans = 0
            if member.annotator_id is not None:
                spans = connection.execute(
                    text("SELECT count(*) FROM annotation WHERE annotator_id = :id"),
                    {"id": member.annotator_id},
                ).scalar()
            last = None
            if has_history:
                last = connection.execute(
                    text("SELECT max(at) FROM history WHERE login = :name OR actor = :name"),
                    {"name": member.name},
                ).scalar()
            result[member.name] = MemberActivity(spans, last)
        return result
