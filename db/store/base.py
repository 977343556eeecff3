"""The store's foundations: the table handles, row readers and transactions (its errors are
in ``db.store.errors``, and imported from here as well).

Every module of the store builds on these; ``db.store.Store`` puts them together.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid as uuidlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Text,
    cast,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (
    DBAPIError,
)

from db.engine import Identity, renew_identity
from db.records import (
    DocumentRecord,
    LabelRecord,
    SpanRecord,
)
from db.schema import LabelSchema
from db.store.errors import (  # noqa: F401  (the store's modules import them from here)
    ConflictError,
    LabelInUseError,
    NotAllowedError,
    SpanError,
    StoreError,
    UnavailableError,
    first_line,
    not_allowed,
    read_failure,
    unavailable,
    write_failure,
)
from db.tables import (
    Annotation,
    Annotator,
    Document,
    DocumentState,
    Entity,
    EntityAlias,
    Label,
    Relation,
    ReviewDecision,
)

DOC = Document.__table__
LABEL = Label.__table__
ANNOTATOR = Annotator.__table__
SPAN = Annotation.__table__
RELATION = Relation.__table__
ENTITY = Entity.__table__
ALIAS = EntityAlias.__table__
REVIEW = ReviewDecision.__table__
STATE = DocumentState.__table__

CHUNK = 500  # ids per IN (...) clause: well inside every database's parameter limit
Progress = Callable[[int, int], None]


def content_hash(text: str) -> str:
    """The identity of a document: sha256 of its text as UTF-8."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def new_uuids(count: int) -> list[str]:
    """``count`` random (version 4) uuids from one call to the system's random source."""
    data = os.urandom(16 * count).hex()
    result = []
    for index in range(0, 32 * count, 32):
        h = data[index : index + 32]
        variant = "89ab"[int(h[16], 16) & 3]
        result.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}")
    return result


def json_text(value: Any) -> str:
    return "{}" if not value else json.dumps(value)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def span_select():
    return (
        select(
            SPAN.c.id,
            SPAN.c.uuid,
            SPAN.c.document_id,
            SPAN.c.label_id,
            LABEL.c.name,
            SPAN.c.annotator_id,
            ANNOTATOR.c.name,
            SPAN.c.start,
            SPAN.c.end,
            SPAN.c.text,
            SPAN.c.status,
            SPAN.c.origin,
            SPAN.c.confidence,
            SPAN.c.note,
            # Read as text and decoded by span_record: most spans have no attributes, and
            # skipping the JSON type's decoder for them halves the cost of large exports.
            cast(SPAN.c.attributes, Text),
            ENTITY.c.uuid,
            SPAN.c.created_at,
            SPAN.c.updated_at,
            SPAN.c.version,
        )
        .select_from(SPAN)
        .join(LABEL, LABEL.c.id == SPAN.c.label_id)
        .join(ANNOTATOR, ANNOTATOR.c.id == SPAN.c.annotator_id)
        .outerjoin(ENTITY, ENTITY.c.id == SPAN.c.entity_id)
    )


def span_order():
    return (
        SPAN.c.document_id,
        SPAN.c.start,
        SPAN.c.end,
        LABEL.c.name,
        ANNOTATOR.c.name,
        SPAN.c.uuid,
    )


def json_column(text: str | None) -> Any:
    """The value of a JSON column read as text (``{}`` for NULL and for ``{}``, the value of
    most spans and documents). orjson reads nearly everything; the standard module takes
    what it refuses (integers beyond 64 bits, NaN), which an older import may have stored."""
    if text is None or text == "{}":
        return {}
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def span_record(row) -> SpanRecord:
    attributes = row[14]
    if attributes.__class__ is str or attributes is None:
        attributes = json_column(attributes)
    return SpanRecord(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        attributes,
        row[15],
        row[16],
        row[17],
        row[18],
    )


def span_content(span: SpanRecord) -> tuple:
    """What a person sees of a span: everything but its bookkeeping (id, version, times)."""
    return (
        span.label_id,
        span.annotator_id,
        span.start,
        span.end,
        span.status,
        span.origin,
        span.confidence,
        span.note,
        span.attributes,
        span.entity_uuid,
    )


def check_unchanged(current: SpanRecord, expected_version, expected, mine=None) -> None:
    """Refuse to write over a span that changed since the caller saw it, by version or by
    content (undo and redo compare content: undoing a later edit moves the version on).
    The refusal carries the span now and ``mine()``, what the write would have made."""
    if expected_version is not None and current.version != expected_version:
        reason = (
            f"span {current.uuid} was changed elsewhere (version {current.version}, "
            f"expected {expected_version})"
        )
    elif expected is not None and span_content(current) != span_content(expected):
        reason = f"span “{current.text[:40]}” was changed elsewhere since"
    else:
        return
    raise ConflictError(reason, span_uuid=current.uuid, theirs=current, mine=mine and mine())


def relation_select():
    head = SPAN.alias("head")
    tail = SPAN.alias("tail")
    return (
        (
            select(
                RELATION.c.id,
                RELATION.c.uuid,
                RELATION.c.type,
                head.c.uuid,
                tail.c.uuid,
                ANNOTATOR.c.name,
                RELATION.c.created_at,
            )
            .select_from(RELATION)
            .join(head, head.c.id == RELATION.c.head_id)
            .join(tail, tail.c.id == RELATION.c.tail_id)
            .join(ANNOTATOR, ANNOTATOR.c.id == RELATION.c.annotator_id)
        ),
        head,
        tail,
    )


def document_record(row) -> DocumentRecord:
    return DocumentRecord(
        id=row.id,
        content_hash=row.content_hash,
        title=row.title,
        text=row.text,
        source=row.source,
        url=row.url,
        published=row.published,
        language=row.language,
        meta=row.meta or {},
        imported_from=row.imported_from,
        created_at=row.created_at,
    )


def label_record(row) -> LabelRecord:
    return LabelRecord(
        id=row.id,
        name=row.name,
        kind=row.kind,
        colour=row.colour,
        shortcut=row.shortcut,
        description=row.description,
        position=row.position,
        schema=LabelSchema.from_json(row._mapping[LABEL.c["schema"]]),
    )


def _copy_rows(connection: Connection, table, columns: Sequence[str], rows: Sequence[tuple]):
    """Insert many rows into a PostgreSQL table with COPY, several times faster than one
    INSERT a row; constraints and triggers apply as they do to INSERT. The driver's errors
    become SQLAlchemy's, as those of any other statement do."""
    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    error = connection.dialect.loaded_dbapi.Error
    try:
        with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except error as exc:
        raise DBAPIError.instance(statement, None, exc, error, dialect=connection.dialect) from exc


class StoreBase:
    """The engine, its transactions and bulk writes: what every part of the store uses."""

    def __init__(
        self, engine: Engine, *, backup: Path | None = None, identity: Identity | None = None
    ):
        self.engine = engine
        self.backup = backup
        self.url = engine.url.render_as_string(hide_password=True)
        # Who the history records as making this store's changes; an engine made without
        # it (not through Store.open) records its changes with no actor.
        self._identity = identity or Identity()

    @property
    def actor(self) -> str | None:
        """The annotator name this store's changes are recorded as (None: unknown)."""
        return self._identity.actor

    @property
    def session(self) -> str:
        """12 hex characters naming this store among the sessions on the database."""
        return self._identity.session

    def set_actor(self, name: str | None) -> None:
        """Record the changes from now on as ``name``'s (the connections are renewed)."""
        self._identity.actor = name
        renew_identity(self.engine, self._identity)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Check that the database answers; :class:`UnavailableError` says why not."""
        with self._read() as connection:
            connection.exec_driver_sql("SELECT 1")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection:
                with connection.begin():
                    yield connection
        except DBAPIError as exc:
            raise read_failure(exc) from exc

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction for one user action: committed when the block ends, rolled back
        (nothing written) if anything in it fails.

        A failure of the database itself becomes :class:`UnavailableError`; a unique key
        that another session took first, :class:`ConflictError`.
        """
        try:
            with self.engine.connect() as connection:
                connection = connection.execution_options(dossier_write=True)
                with connection.begin():
                    yield connection
        except DBAPIError as exc:
            raise write_failure(exc) from exc

    @staticmethod
    def _bulk_insert(
        connection: Connection,
        table,
        columns: Sequence[str],
        rows: Sequence[tuple],
        conflict: str = "",
    ) -> None:
        """Insert many rows straight through the driver's executemany (PostgreSQL's COPY
        when there is no ``conflict`` clause).

        The rows are tuples in ``columns`` order with JSON already serialised: skipping
        SQLAlchemy's per-row processing is what keeps large imports near raw speed.
        ``conflict`` is an ``ON CONFLICT …`` clause, spelled alike in SQLite and PostgreSQL.
        """
        if not rows:
            return
        # PostgreSQL refuses COPY where row-level security applies (a team member, db.team)
        row_security = "SELECT row_security_active(%s)"
        if (
            not conflict
            and connection.dialect.name == "postgresql"
            and not connection.exec_driver_sql(row_security, (table.name,)).scalar()
        ):
            _copy_rows(connection, table, columns, rows)
            return
        quote = connection.dialect.identifier_preparer.quote
        marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        statement = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join([marker] * len(columns))}) {conflict}"
        )
        connection.exec_driver_sql(statement, list(rows))

    @staticmethod
    def _rows_by_key(
        connection: Connection, table, key: str, columns: Sequence[str], keys: Sequence[Any]
    ) -> list[tuple]:
        """``columns`` of the rows of ``table`` whose ``key`` is among ``keys``, looked up
        a chunk at a time straight through the driver: an import looks up thousands of
        hashes and uuids a part, and compiling each ``IN`` through SQLAlchemy costs more
        than the lookup."""
        quote = connection.dialect.identifier_preparer.quote
        marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        found: list[tuple] = []
        for chunk in chunks(keys):
            statement = (
                f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)} "
                f"WHERE {quote(key)} IN ({', '.join([marker] * len(chunk))})"
            )
            found.extend(tuple(row) for row in connection.exec_driver_sql(statement, tuple(chunk)))
        return found

    def _upsert(self, table, values: list[dict[str, Any]], keys: list[str], update_cols: list[str]):
        if self.dialect == "postgresql":
            statement = postgresql.insert(table)
        else:
            statement = sqlite.insert(table)
        return statement.values(values).on_conflict_do_update(
            index_elements=keys,
            set_={column: getattr(statement.excluded, column) for column in update_cols},
        )


def driver_rows(connection: Connection, statement) -> list[tuple]:
    """The rows of ``statement`` as the driver's own tuples. Making 100,000 rows into
    SQLAlchemy's Row objects, then into tuples, costs as much as reading them: for columns
    of numbers and text, which the drivers return as they are, this skips that."""
    result = connection.execute(statement)
    try:
        return result.cursor.fetchall()
    except connection.dialect.loaded_dbapi.Error as exc:
        # as SQLAlchemy's own fetch would: the store turns DBAPIError into its errors
        raise DBAPIError(str(statement), None, exc) from exc
    finally:
        result.close()


def outlet_documents(outlets: Sequence[str]):
    """The ids of the documents whose source (outlet) is one of ``outlets``, as a select;
    "" stands for documents of no source."""
    named = [outlet for outlet in outlets if outlet]
    sources = [DOC.c.source.in_(named)] if named else []
    if "" in outlets:
        sources += [DOC.c.source.is_(None), DOC.c.source == ""]
    return select(DOC.c.id).where(or_(*sources))


def span_conditions(
    statuses: Sequence[str], annotator_ids: Sequence[int] | None
) -> Callable[[Any], list]:
    """A function giving, for the span table or an alias of it, the conditions that keep
    spans of ``statuses`` by ``annotator_ids`` (empty statuses, or None: any)."""

    def passing(span) -> list:
        conditions = []
        if statuses:
            conditions.append(span.c.status.in_(list(statuses)))
        if annotator_ids is not None:
            conditions.append(span.c.annotator_id.in_(list(annotator_ids)))
        return conditions

    return passing
