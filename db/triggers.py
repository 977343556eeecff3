"""The triggers that record every change of spans, relations, labels and review decisions
in the ``history`` table, and on PostgreSQL notify the windows listening on the project.

PostgreSQL: statement-level trigger functions (one per table, created by migration 0006),
so that a change made outside Dossier is recorded too; they run as their owner
(SECURITY DEFINER), since team members may only read ``history``. SQLite has no sessions
to tell who is writing: each connection the store opens gets TEMP triggers with the
store's actor written into them (``db.engine`` creates them), and a change made by another
program is not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON

from db.tables import Annotation, Label, Relation, ReviewDecision

OPS = ("insert", "update", "delete")
NOTIFY_LIMIT = 100  # keys in one notification; beyond it, listeners reload the document


@dataclass(frozen=True)
class Recorded:
    """A table whose changes go into ``history``: its kind there, and how its key and
    document are read from a row (``{row}`` stands for the row's name)."""

    table: str
    kind: str
    key: str
    document: str


RECORDED = (
    Recorded("annotation", "span", "{row}.uuid", "{row}.document_id"),
    Recorded(
        "relation",
        "relation",
        "{row}.uuid",
        "(SELECT a.document_id FROM annotation a WHERE a.id = {row}.head_id)",
    ),
    Recorded("label", "label", "CAST({row}.id AS TEXT)", "NULL"),
    Recorded("review_decision", "review", "{row}.uuid", "{row}.document_id"),
)
# Tables whose changes are only announced: a window reloads progress, documents, actors.
NOTIFIED = ("document_state", "document", "entity")
_TABLES = {
    "annotation": Annotation.__table__,
    "relation": Relation.__table__,
    "label": Label.__table__,
    "review_decision": ReviewDecision.__table__,
}
# How a notification names the changed rows and their document, per table.
_NOTIFY_KEYS = {
    "annotation": ("r.uuid", "r.document_id"),
    "relation": ("r.uuid", "(SELECT a.document_id FROM annotation a WHERE a.id = r.head_id)"),
    "review_decision": ("r.uuid", "r.document_id"),
    "document_state": ("NULL", "r.document_id"),
    "document": ("NULL", "r.id"),
    "label": ("CAST(r.id AS TEXT)", None),
    "entity": ("r.uuid", None),
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str | None) -> str:
    """``value`` as an SQL string literal (NULL for None)."""
    if value is None:
        return "NULL"
    if "\x00" in value:
        raise ValueError(f"an actor name cannot hold a NUL character: {value!r}")
    return "'" + value.replace("'", "''") + "'"


# --- PostgreSQL ------------------------------------------------------------------------------

_PG_STAMP = (
    "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '+00:00'"
)


def _pg_history(recorded: Recorded) -> str:
    """The statements of a trigger function that write ``history`` rows for one table."""
    columns = "at, actor, login, kind, op, key, document_id, before, after"
    kind = sql_literal(recorded.kind)
    new_key, new_doc = recorded.key.format(row="n"), recorded.document.format(row="n")
    old_key, old_doc = recorded.key.format(row="o"), recorded.document.format(row="o")
    return f"""
    IF TG_OP = 'INSERT' THEN
        INSERT INTO history ({columns})
        SELECT v_stamp, v_actor, session_user, {kind}, 'insert', {new_key}, {new_doc},
               NULL, CAST(to_jsonb(n) AS json)
        FROM new_rows n ORDER BY n.id;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO history ({columns})
        SELECT v_stamp, v_actor, session_user, {kind}, 'update', {new_key}, {new_doc},
               CAST(to_jsonb(o) AS json), CAST(to_jsonb(n) AS json)
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE to_jsonb(o) IS DISTINCT FROM to_jsonb(n)
        ORDER BY n.id;
    ELSE
        INSERT INTO history ({columns})
        SELECT v_stamp, v_actor, session_user, {kind}, 'delete', {old_key}, {old_doc},
               CAST(to_jsonb(o) AS json), NULL
        FROM old_rows o ORDER BY o.id;
    END IF;"""


def _pg_notify(table: str) -> str:
    """The statements of a trigger function that notify once per document changed (once
    per statement for tables of no document)."""
    key, document = _NOTIFY_KEYS[table]
    keys = (
        "NULL"
        if key == "NULL"
        else f"CASE WHEN count(*) <= {NOTIFY_LIMIT} THEN json_agg({key}) END"
    )
    payload = (
        "json_build_object('table', TG_TABLE_NAME, 'op', lower(TG_OP), "
        f"'document', {document or 'NULL'}, 'keys', {keys}, "
        "'session', v_session, 'actor', coalesce(v_actor, ''))::text"
    )
    group = f"GROUP BY {document}" if document else "HAVING count(*) > 0"
    return f"""
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify(v_channel, {payload}) FROM old_rows r {group};
    ELSE
        PERFORM pg_notify(v_channel, {payload}) FROM new_rows r {group};
    END IF;"""


def pg_function_name(table: str) -> str:
    return f"dossier_{table}_changed"


def pg_trigger_name(table: str, op: str) -> str:
    return f"dossier_{table}_{op}"


def pg_tables() -> tuple[str, ...]:
    """Every table that has Dossier's triggers on PostgreSQL."""
    return tuple(r.table for r in RECORDED) + NOTIFIED


def pg_create_statements(schema: str) -> list[str]:
    """The functions and triggers of the project in ``schema``, to run in that schema.

    The functions name their search path (the project's schema, then ``pg_temp``): a
    SECURITY DEFINER function must not find tables through its caller's path.
    """
    recorded = {r.table: r for r in RECORDED}
    statements = []
    for table in pg_tables():
        history = _pg_history(recorded[table]) if table in recorded else ""
        statements.append(
            f"""CREATE OR REPLACE FUNCTION {pg_function_name(table)}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {_quote(schema)}, pg_temp AS $body$
DECLARE
    v_stamp text := {_PG_STAMP};
    v_actor text := nullif(current_setting('dossier.actor', true), '');
    v_app text := coalesce(current_setting('application_name', true), '');
    v_session text := CASE WHEN left(v_app, 8) = 'dossier ' THEN substr(v_app, 9) ELSE '' END;
    v_channel text := 'dossier:' || TG_TABLE_SCHEMA;
BEGIN{history}{_pg_notify(table)}
    RETURN NULL;
END
$body$"""
        )
        for op in OPS:
            if op == "insert":
                referencing = "REFERENCING NEW TABLE AS new_rows"
            elif op == "update":
                referencing = "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
            else:
                referencing = "REFERENCING OLD TABLE AS old_rows"
            statements.append(
                f"CREATE TRIGGER {pg_trigger_name(table, op)} AFTER {op.upper()} ON {table} "
                f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {pg_function_name(table)}()"
            )
    return statements


def pg_drop_statements() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS {pg_trigger_name(table, op)} ON {table}"
        for table in pg_tables()
        for op in OPS
    ]
    statements += [f"DROP FUNCTION IF EXISTS {pg_function_name(t)}()" for t in pg_tables()]
    return statements


# --- SQLite ----------------------------------------------------------------------------------

_SQLITE_STAMP = "strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000+00:00'"


def _sqlite_row_json(table, row: str) -> str:
    """``json_object`` of every column of ``row`` (NEW or OLD); JSON columns go in as JSON
    when they hold valid JSON (an old import may have stored NaN, which SQLite refuses)."""
    parts = []
    for column in table.columns:
        value = f"{row}.{_quote(column.name)}"
        if isinstance(column.type, JSON):
            value = f"CASE WHEN json_valid({value}) THEN json({value}) ELSE {value} END"
        parts.append(f"'{column.name}', {value}")
    return f"json_object({', '.join(parts)})"


def sqlite_trigger_names() -> list[str]:
    return [f"dossier_history_{r.table}_{op}" for r in RECORDED for op in OPS]


def sqlite_create_statements(actor: str | None) -> list[str]:
    """TEMP triggers recording the changes made on one connection as ``actor``."""
    who = sql_literal(actor)
    statements = []
    for recorded in RECORDED:
        table = _TABLES[recorded.table]
        kind = sql_literal(recorded.kind)
        new, old = _sqlite_row_json(table, "NEW"), _sqlite_row_json(table, "OLD")
        changed = " OR ".join(
            f"OLD.{_quote(c.name)} IS NOT NEW.{_quote(c.name)}" for c in table.columns
        )
        rows = {
            "insert": (
                recorded.key.format(row="NEW"),
                recorded.document.format(row="NEW"),
                "NULL",
                new,
            ),
            "update": (
                recorded.key.format(row="NEW"),
                recorded.document.format(row="NEW"),
                old,
                new,
            ),
            "delete": (
                recorded.key.format(row="OLD"),
                recorded.document.format(row="OLD"),
                old,
                "NULL",
            ),
        }
        for op, (key, document, before, after) in rows.items():
            when = f" WHEN {changed}" if op == "update" else ""
            statements.append(
                f"CREATE TEMP TRIGGER dossier_history_{recorded.table}_{op} "
                f"AFTER {op.upper()} ON main.{recorded.table}{when} BEGIN "
                "INSERT INTO history (at, actor, login, kind, op, key, document_id, before, after) "
                f"VALUES ({_SQLITE_STAMP}, {who}, NULL, {kind}, '{op}', {key}, {document}, "
                f"{before}, {after}); END"
            )
    return statements


def install_sqlite_triggers(dbapi_connection, actor: str | None) -> None:
    """(Re)create the TEMP history triggers on a raw sqlite3 connection, for ``actor``;
    nothing on a database without a ``history`` table (one not yet migrated)."""
    cursor = dbapi_connection.cursor()
    try:
        found = cursor.execute(
            "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'history'"
        ).fetchone()
        for name in sqlite_trigger_names():
            cursor.execute(f"DROP TRIGGER IF EXISTS temp.{name}")
        if found:
            for statement in sqlite_create_statements(actor):
                cursor.execute(statement)
    finally:
        cursor.close()
