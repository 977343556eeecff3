"""Corpus search: an index of every document's folded text (db.search_text.index_key), in
the database's own full-text machinery, filled here for the documents already there.

SQLite: an FTS5 table with the trigram tokenizer (rowid = document id), or a plain table
scanned with instr() where this SQLite has no FTS5 or no trigram tokenizer. PostgreSQL: a
table with a pg_trgm GIN index when the extension can be had, the plain table otherwise.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from db.search_text import index_key

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PAGE = 500  # documents read and indexed at a time: a large project is filled in bounded memory


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        _create_sqlite(connection)
        columns = "rowid, folded"
    else:
        _create_postgresql(connection)
        columns = "document_id, folded"
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    last = 0
    while True:
        rows = connection.exec_driver_sql(
            f"SELECT id, text FROM document WHERE id > {marker} ORDER BY id LIMIT {PAGE}",
            (last,),
        ).all()
        if not rows:
            break
        connection.exec_driver_sql(
            f"INSERT INTO document_search ({columns}) VALUES ({marker}, {marker})",
            [(document_id, index_key(text)) for document_id, text in rows],
        )
        last = rows[-1][0]


def _create_sqlite(connection) -> None:
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(
                "CREATE VIRTUAL TABLE document_search USING fts5("
                "folded, tokenize = 'trigram case_sensitive 0')"
            )
    except sa.exc.OperationalError:
        # No FTS5, or an SQLite before 3.34 without the trigram tokenizer: searches scan.
        connection.exec_driver_sql(
            "CREATE TABLE document_search ("
            "document_id INTEGER PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE, "
            "folded TEXT NOT NULL)"
        )


def _create_postgresql(connection) -> None:
    connection.exec_driver_sql(
        "CREATE TABLE document_search ("
        "document_id INTEGER PRIMARY KEY REFERENCES document (id) ON DELETE CASCADE, "
        "folded TEXT NOT NULL)"
    )
    schema = _trigram_schema(connection)
    if schema is None:
        return  # searches still find everything, by scanning
    quote = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(
        "CREATE INDEX ix_document_search_folded ON document_search "
        f"USING gin (folded {quote(schema)}.gin_trgm_ops)"
    )


def _trigram_schema(connection) -> str | None:
    """The schema holding pg_trgm, created when it is missing and the user may (it is a
    trusted extension); None when it cannot be had.

    An extension is one per database, whatever schema holds it, and dropping that schema
    drops it with every index that uses it: it goes in ``public``, which outlives any one
    project's schema, and in the project's own schema only when ``public`` is refused.
    """
    query = (
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    )
    schema = connection.exec_driver_sql(query).scalar()
    if schema is not None:
        return schema
    for where in (" SCHEMA public", ""):
        try:
            with connection.begin_nested():
                connection.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS pg_trgm{where}")
        except sa.exc.DBAPIError:
            continue
        return connection.exec_driver_sql(query).scalar()
    return None


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS document_search")
