"""Corpus search: the database's own index of every document's folded text (SQLite FTS5
trigram, PostgreSQL pg_trgm), kept in step with every document written or deleted, and the
queries that find the documents a search must read.

The index holds :func:`db.search_text.index_key` of each text (folded and case-folded), so
a term that occurs in a text, in any case, with or without its accents and apostrophes,
occurs in its key. The index only narrows the documents to read; the exact hits are found
in the texts themselves (``desktop.corpus.search``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from sqlalchemy import Connection, column, delete, or_, table

from db.records import DeletedSpan, RelationRecord, SpanRecord
from db.search_text import index_key
from db.store.base import (
    RELATION,
    SPAN,
    ConflictError,
    StoreBase,
    check_unchanged,
    chunks,
    relation_select,
)

SEARCH_TABLE = "document_search"
# The names of the index's tables (FTS5 keeps its own beside it): not SQLModel tables, so
# the comparison of the migrations with the models leaves them out.
SEARCH_TABLES = frozenset(
    {SEARCH_TABLE}
    | {f"{SEARCH_TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config")}
)
TRIGRAM = 3  # the shortest term a trigram index can look up; shorter ones are scanned for

_SQLITE_INDEX = table(SEARCH_TABLE, column("rowid"), column("folded"))
_POSTGRESQL_INDEX = table(SEARCH_TABLE, column("document_id"), column("folded"))


class SearchText(NamedTuple):
    """What a search reads of a document."""

    id: int
    title: str
    text: str
    language: str | None


class SpanAt(NamedTuple):
    """A span that overlaps a hit: what the hit list shows of it."""

    document_id: int
    uuid: str
    label: str
    annotator: str
    start: int
    end: int


class SearchMixin(StoreBase):
    # --- keeping the index in step ----------------------------------------------------------

    def _index_documents(
        self, connection: Connection, documents: Iterable[tuple[int, str]]
    ) -> None:
        """Index new documents, (id, text) pairs, in the transaction that writes them."""
        rows = [(document_id, index_key(text)) for document_id, text in documents]
        if connection.dialect.name == "postgresql":
            self._bulk_insert(connection, _POSTGRESQL_INDEX, ("document_id", "folded"), rows)
        else:
            self._bulk_insert(connection, _SQLITE_INDEX, ("rowid", "folded"), rows)

    @staticmethod
    def _unindex_documents(connection: Connection, document_ids: Sequence[int]) -> None:
        """Take deleted documents out of the index (PostgreSQL's foreign key does it there;
        an FTS5 table has none)."""
        if connection.dialect.name == "postgresql" or not document_ids:
            return
        for chunk in chunks(list(document_ids)):
            marks = ", ".join("?" * len(chunk))
            connection.exec_driver_sql(
                f"DELETE FROM {SEARCH_TABLE} WHERE rowid IN ({marks})", tuple(chunk)
            )

    def search_index_kind(self) -> str:
        """How this project's index looks terms up: ``fts5``, ``pg_trgm``, or ``scan``."""
        with self._read() as connection:
            return _index_kind(connection)

    # --- reading ----------------------------------------------------------------------------

    def search_documents(
        self,
        terms: Sequence[str],
        *,
        after_id: int = 0,
        limit: int | None = None,
        document_ids: Sequence[int] | None = None,
    ) -> list[int]:
        """The ids, in order, of the documents whose text holds every one of ``terms``,
        ignoring case, accents and apostrophes (the terms are folded here).

        ``after_id`` and ``limit`` read them a page at a time; ``document_ids`` keeps only
        those documents. With no terms, every document is listed. Terms of fewer than three
        letters cannot use a trigram index and are looked for by scanning the texts' keys.
        """
        keys = sorted({index_key(term) for term in terms} - {""}, key=len, reverse=True)
        with self._read() as connection:
            if (
                document_ids is None
                and keys
                and limit is not None
                and self._kind(connection) != "fts5"
            ):
                return self._candidates_by_window(connection, keys, after_id, limit)
            if document_ids is None:
                return self._candidates(connection, keys, after_id, limit, None)
            found: list[int] = []
            wanted = sorted(i for i in set(document_ids) if i > after_id)
            for chunk in chunks(wanted):
                found.extend(self._candidates(connection, keys, after_id, None, chunk))
                if limit is not None and len(found) >= limit:
                    return found[:limit]
            return found

    def _kind(self, connection: Connection) -> str:
        kind = self.__dict__.get("_search_kind")
        if kind is None:
            # Fixed once the project is migrated: read once per store.
            kind = self.__dict__["_search_kind"] = _index_kind(connection)
        return kind

    def _candidates_by_window(
        self, connection: Connection, keys: Sequence[str], after_id: int, limit: int
    ) -> list[int]:
        """A page of candidates read through windows of ids, each wider than the last.

        Without a full-text index that yields ids in order (FTS5 does), the database
        checks every document after ``after_id`` before it can return the first in order:
        paging a common name through 10,000 documents would check them again and again.
        A window of ids is checked once.
        """
        top = connection.exec_driver_sql(f"SELECT max(document_id) FROM {SEARCH_TABLE}").scalar()
        found: list[int] = []
        low = after_id
        window = max(limit, 64)
        while top is not None and low < top:
            got = self._candidates(connection, keys, low, None, None, until_id=low + window)
            found.extend(got)
            low += window
            wanted = limit - len(found)
            if wanted <= 0:
                break
            # The next window as wide as the last one's share of hits says is needed (and
            # a little more), so that few documents are checked twice.
            window = max(64, int(wanted * window / len(got) * 1.25)) if got else window * 4
        return found[:limit]

    def _candidates(
        self,
        connection: Connection,
        keys: Sequence[str],
        after_id: int,
        limit: int | None,
        among: Sequence[int] | None,
        *,
        until_id: int | None = None,
    ) -> list[int]:
        kind = self._kind(connection)
        if kind == "pg_trgm" or kind == "scan_pg":
            key_column, marker = "document_id", "%s"
            conditions = [f"folded LIKE {marker}" for _ in keys]
            parameters: list = [f"%{_like_escape(key)}%" for key in keys]
        else:
            key_column, marker = "rowid", "?"
            long = [key for key in keys if len(key) >= TRIGRAM] if kind == "fts5" else []
            conditions, parameters = [], []
            if long:
                conditions.append(f"{SEARCH_TABLE} MATCH ?")
                parameters.append(" AND ".join('"' + key.replace('"', '""') + '"' for key in long))
            for key in keys:
                if key not in long:
                    conditions.append("instr(folded, ?) > 0")
                    parameters.append(key)
        if not keys:
            # Every document: read from the documents, so that a document the index lacks
            # (written by another program) is still searched.
            key_column = "id"
        conditions.append(f"{key_column} > {marker}")
        parameters.append(after_id)
        if until_id is not None:
            conditions.append(f"{key_column} <= {marker}")
            parameters.append(until_id)
        if among is not None:
            conditions.append(f"{key_column} IN ({', '.join([marker] * len(among))})")
            parameters.extend(among)
        source = "document" if not keys else SEARCH_TABLE
        statement = (
            f"SELECT {key_column} FROM {source} WHERE {' AND '.join(conditions)} "
            f"ORDER BY {key_column}"
        )
        if limit is not None:
            statement += f" LIMIT {int(limit)}"
        return list(connection.exec_driver_sql(statement, tuple(parameters)).scalars())

    def search_texts(self, document_ids: Sequence[int]) -> list[SearchText]:
        """(id, title, text, language) of these documents, in id order."""
        found: list[SearchText] = []
        with self._read() as connection:
            for chunk in chunks(sorted(set(document_ids))):
                marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
                rows = connection.exec_driver_sql(
                    "SELECT id, title, text, language FROM document "
                    f"WHERE id IN ({', '.join([marker] * len(chunk))}) ORDER BY id",
                    tuple(chunk),
                )
                found.extend(SearchText(*row) for row in rows)
        return found

    def spans_overlapping(self, ranges: Mapping[int, Sequence[tuple[int, int]]]) -> list[SpanAt]:
        """The spans, not rejected, that overlap any of the ``[start, end)`` ranges given
        per document id, each once, ordered by document and position."""
        wanted = [
            (document_id, start, end)
            for document_id, pieces in sorted(ranges.items())
            for start, end in pieces
        ]
        if not wanted:
            return []
        found: dict[str, tuple] = {}
        with self._read() as connection:
            labels = dict(connection.exec_driver_sql("SELECT id, name FROM label").all())
            annotators = dict(connection.exec_driver_sql("SELECT id, name FROM annotator").all())
            if connection.dialect.name == "postgresql":
                rows = self._spans_on_hits_postgresql(connection, wanted)
            else:
                rows = self._spans_on_hits_sqlite(connection, wanted)
            for row in rows:
                found[row[0]] = tuple(row)
        spans = [
            SpanAt(document_id, uuid, labels[label_id], annotators[annotator_id], start, end)
            for uuid, document_id, label_id, annotator_id, start, end in found.values()
        ]
        spans.sort(
            key=lambda span: (
                span.document_id,
                span.start,
                span.end,
                span.label,
                span.annotator,
                span.uuid,
            )
        )
        return spans

    @staticmethod
    def _spans_on_hits_postgresql(connection: Connection, wanted: list[tuple[int, int, int]]):
        # The hits go as three arrays, and each hit's document's spans are read through the
        # index on the document: a lateral join says so to PostgreSQL, which would
        # otherwise scan every span (OFFSET 0 keeps the subquery from being flattened).
        documents, firsts, lasts = (list(column) for column in zip(*wanted, strict=True))
        return connection.exec_driver_sql(
            "SELECT a.* FROM unnest(%s::integer[], %s::integer[], %s::integer[]) "
            "AS hit (document_id, first, last) "
            f"CROSS JOIN LATERAL (SELECT {_HIT_COLUMNS} FROM annotation a WHERE {_ON_HIT} "
            "OFFSET 0) AS a",
            (documents, firsts, lasts),
        ).all()

    @staticmethod
    def _spans_on_hits_sqlite(connection: Connection, wanted: list[tuple[int, int, int]]):
        found = []
        cursor = connection.connection.cursor()
        try:
            for chunk in chunks(wanted, 1000):
                values = ", ".join(["(?, ?, ?)"] * len(chunk))
                cursor.execute(
                    f"WITH hit (document_id, first, last) AS (VALUES {values}) "
                    f"SELECT {_HIT_COLUMNS} FROM hit JOIN annotation a ON {_ON_HIT}",
                    [value for item in chunk for value in item],
                )
                found.extend(cursor.fetchall())
        finally:
            cursor.close()
        return found

    # --- writing across documents -----------------------------------------------------------

    def delete_spans_across(self, expected: Sequence[SpanRecord]) -> list[DeletedSpan]:
        """Delete spans of any documents, with the relations that touch them, in one
        transaction; refused (:class:`ConflictError`, nothing deleted) if any is gone or
        changed since ``expected`` was read. Returns what :meth:`restore_spans` needs.

        Reads each kind of row once for all the spans: undoing the tagging of a thousand
        hits costs a few statements, not three a span.
        """
        uuids = [span.uuid for span in expected]
        if not uuids:
            return []
        with self._write() as connection:
            self._lock_spans(connection, uuids)
            current = {span.uuid: span for span in self._spans_by_uuid(connection, uuids)}
            for span in expected:
                now = current.get(span.uuid)
                if now is None:
                    raise ConflictError(f"span “{span.text[:40]}” was deleted elsewhere")
                check_unchanged(now, None, span)
            ids = [current[uuid].id for uuid in uuids]
            touching: dict[int, list[RelationRecord]] = defaultdict(list)
            query, head, tail = relation_select()
            for chunk in chunks(ids):
                for row in connection.execute(
                    query.where(or_(RELATION.c.head_id.in_(chunk), RELATION.c.tail_id.in_(chunk)))
                ):
                    relation = RelationRecord(*row)
                    for span_id in {row_id for row_id in _ends(relation, current) if row_id}:
                        touching[span_id].append(relation)
            for chunk in chunks(ids):
                result = connection.execute(delete(SPAN).where(SPAN.c.id.in_(chunk)))
                if result.rowcount != len(chunk):
                    raise ConflictError("a span was deleted elsewhere at the same time")
            return [
                DeletedSpan(current[uuid], tuple(touching.get(current[uuid].id, ())))
                for uuid in uuids
            ]


# A span on a hit (spans_overlapping): its columns, and its join to the hit.
_HIT_COLUMNS = 'a.uuid, a.document_id, a.label_id, a.annotator_id, a.start, a."end"'
_ON_HIT = (
    'a.document_id = hit.document_id AND a.start < hit.last AND a."end" > hit.first '
    "AND a.status <> 'rejected'"
)


def _ends(relation: RelationRecord, spans: Mapping[str, SpanRecord]) -> tuple[int | None, ...]:
    """The ids of the spans among ``spans`` (by uuid) at either end of ``relation``."""
    head = spans.get(relation.head_uuid)
    tail = spans.get(relation.tail_uuid)
    return (head.id if head else None, tail.id if tail else None)


def _index_kind(connection: Connection) -> str:
    """``fts5``, ``scan`` (SQLite's plain table), ``pg_trgm`` or ``scan_pg``: read from the
    database's catalogue, which costs less than a query's planning."""
    if connection.dialect.name == "postgresql":
        indexed = connection.exec_driver_sql(
            "SELECT 1 FROM pg_indexes WHERE tablename = %s AND indexname = %s "
            "AND schemaname = current_schema()",
            (SEARCH_TABLE, "ix_document_search_folded"),
        ).first()
        return "pg_trgm" if indexed else "scan_pg"
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE name = ?", (SEARCH_TABLE,)
    ).scalar()
    return "fts5" if sql and "VIRTUAL" in sql.upper() else "scan"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
