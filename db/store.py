"""The store: every read and write of a project goes through here, each user action one transaction.

Callers get plain records (``db.records``) back, never live ORM objects, so a widget or a
worker thread can keep them. Writes check what they are given (offsets inside the text,
the covered text, the span's version) and raise before anything is committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid as uuidlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Text,
    and_,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from db.engine import open_engine
from db.records import (
    AnnotatorRecord,
    DeletedSpan,
    DocumentRecord,
    DocumentStateRecord,
    DocumentSummary,
    EntityRecord,
    ExportDocument,
    ExportFilter,
    ImportBatch,
    ImportSummary,
    LabelRecord,
    NewSpan,
    RelationRecord,
    ReviewDecisionRecord,
    SpanRecord,
)
from db.tables import (
    DOCUMENT_STATUSES,
    GOLD,
    SPAN_ORIGINS,
    SPAN_STATUSES,
    Annotation,
    Annotator,
    Document,
    DocumentState,
    Entity,
    EntityAlias,
    Label,
    Relation,
    ReviewDecision,
    utcnow,
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


class StoreError(Exception):
    """A write that the store refused; the message says why. Nothing was written."""


class SpanError(StoreError):
    """A span that does not fit its document (offsets, covered text, label, status)."""


class ConflictError(StoreError):
    """The span was changed or deleted by someone else since it was read."""


class LabelInUseError(StoreError):
    """A label still has spans; say what to do with them."""

    def __init__(self, label: str, count: int):
        super().__init__(f"label {label!r} is used by {count} span(s)")
        self.label = label
        self.count = count


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


def _json_text(value: Any) -> str:
    return "{}" if not value else json.dumps(value)


def _json_value(value: Any) -> Any:
    """A JSON column read as text (or, from psycopg, already decoded)."""
    if value is None or not isinstance(value, str):
        return value
    return {} if value == "{}" else orjson.loads(value)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def _span_select():
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
            # Read as text and decoded by _span_record: most spans have no attributes, and
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


def _span_order():
    return (
        SPAN.c.document_id,
        SPAN.c.start,
        SPAN.c.end,
        LABEL.c.name,
        ANNOTATOR.c.name,
        SPAN.c.uuid,
    )


def _span_record(row) -> SpanRecord:
    attributes = row[14]
    if attributes.__class__ is str:
        attributes = {} if attributes == "{}" else orjson.loads(attributes)
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


def _content(span: SpanRecord) -> tuple:
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


def _check_unchanged(
    current: SpanRecord, expected_version: int | None, expected: SpanRecord | None
) -> None:
    """Refuse to write over a span that changed since the caller saw it, by version or by
    content (undo and redo compare content: undoing a later edit moves the version on)."""
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(
            f"span {current.uuid} was changed elsewhere (version {current.version}, "
            f"expected {expected_version})"
        )
    if expected is not None and _content(current) != _content(expected):
        raise ConflictError(f"span “{current.text[:40]}” was changed elsewhere since")


def _relation_select():
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


def _document_record(row) -> DocumentRecord:
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


def _label_record(row) -> LabelRecord:
    return LabelRecord(
        id=row.id,
        name=row.name,
        kind=row.kind,
        colour=row.colour,
        shortcut=row.shortcut,
        description=row.description,
        position=row.position,
    )


class Store:
    """A project's database. Open one with :meth:`Store.open`; close it with :meth:`close`."""

    def __init__(self, engine: Engine, *, backup: Path | None = None):
        self.engine = engine
        self.backup = backup
        self.url = engine.url.render_as_string(hide_password=True)

    @classmethod
    def open(cls, path_or_url: str | Path, *, create: bool = True) -> Store:
        """Open (creating or migrating) the project at a path or SQLAlchemy URL.

        With ``create`` false a missing project is :class:`db.engine.NoProjectError`
        instead of a new, empty one.
        """
        opened = open_engine(path_or_url, create=create)
        store = cls(opened.engine, backup=opened.backup)
        if opened.created:
            store._seed_labels()
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # --- transactions -----------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            with connection.begin():
                yield connection

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            connection = connection.execution_options(dossier_write=True)
            with connection.begin():
                yield connection

    @staticmethod
    def _bulk_insert(
        connection: Connection,
        table,
        columns: Sequence[str],
        rows: Sequence[tuple],
        conflict: str = "",
    ) -> None:
        """Insert many rows straight through the driver's executemany.

        The rows are tuples in ``columns`` order with JSON already serialised: skipping
        SQLAlchemy's per-row processing is what keeps large imports near raw speed.
        ``conflict`` is an ``ON CONFLICT …`` clause, spelled alike in SQLite and PostgreSQL.
        """
        if not rows:
            return
        quote = connection.dialect.identifier_preparer.quote
        marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        statement = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join([marker] * len(columns))}) {conflict}"
        )
        connection.exec_driver_sql(statement, list(rows))

    def _upsert(self, table, values: list[dict[str, Any]], keys: list[str], update_cols: list[str]):
        if self.dialect == "postgresql":
            statement = postgresql.insert(table)
        else:
            statement = sqlite.insert(table)
        return statement.values(values).on_conflict_do_update(
            index_elements=keys,
            set_={column: getattr(statement.excluded, column) for column in update_cols},
        )

    # --- labels -----------------------------------------------------------------------------

    def _seed_labels(self) -> None:
        from resources import label_defaults

        with self._write() as connection:
            if connection.execute(select(func.count()).select_from(LABEL)).scalar_one():
                return
            for position, label in enumerate(label_defaults()["labels"]):
                connection.execute(
                    insert(LABEL).values(
                        name=label["name"],
                        kind="span",
                        colour=label["colour"],
                        shortcut=label.get("shortcut"),
                        description=label.get("description", ""),
                        position=position,
                    )
                )

    def labels(self) -> list[LabelRecord]:
        """Every label, in palette order."""
        with self._read() as connection:
            rows = connection.execute(select(LABEL).order_by(LABEL.c.position, LABEL.c.id))
            return [_label_record(row) for row in rows]

    def label(self, label_id: int) -> LabelRecord:
        with self._read() as connection:
            row = connection.execute(select(LABEL).where(LABEL.c.id == label_id)).one_or_none()
        if row is None:
            raise StoreError(f"no label with id {label_id}")
        return _label_record(row)

    def label_by_name(self, name: str) -> LabelRecord | None:
        """The label called ``name``, compared without regard to case."""
        with self._read() as connection:
            row = connection.execute(
                select(LABEL).where(func.lower(LABEL.c.name) == name.lower())
            ).first()
        return _label_record(row) if row else None

    def _next_colour(self, connection: Connection) -> str:
        from resources import label_defaults

        used = {row[0].lower() for row in connection.execute(select(LABEL.c.colour))}
        palette = label_defaults()["palette"]
        for colour in palette:
            if colour.lower() not in used:
                return colour
        return palette[len(used) % len(palette)]

    def _check_label_fields(
        self, connection: Connection, name: str | None, shortcut: str | None, exclude: int | None
    ) -> None:
        if name is not None:
            if not name.strip():
                raise StoreError("a label needs a name")
            clash = select(LABEL.c.id).where(func.lower(LABEL.c.name) == name.strip().lower())
            if exclude is not None:
                clash = clash.where(LABEL.c.id != exclude)
            if connection.execute(clash).first():
                raise StoreError(f"there is already a label called {name.strip()!r}")
        if shortcut:
            clash = select(LABEL.c.name).where(func.lower(LABEL.c.shortcut) == shortcut.lower())
            if exclude is not None:
                clash = clash.where(LABEL.c.id != exclude)
            taken = connection.execute(clash).scalar()
            if taken:
                raise StoreError(f"the key {shortcut!r} already belongs to label {taken!r}")

    def _insert_label(
        self,
        connection: Connection,
        name: str,
        colour: str | None = None,
        shortcut: str | None = None,
        description: str = "",
        kind: str = "span",
        position: int | None = None,
    ) -> int:
        if position is None:
            position = (connection.execute(select(func.max(LABEL.c.position))).scalar() or 0) + 1
        result = connection.execute(
            insert(LABEL).values(
                name=name.strip(),
                kind=kind,
                colour=colour or self._next_colour(connection),
                shortcut=shortcut or None,
                description=description,
                position=position,
            )
        )
        return result.inserted_primary_key[0]

    def add_label(
        self,
        name: str,
        colour: str | None = None,
        shortcut: str | None = None,
        description: str = "",
    ) -> LabelRecord:
        """Add a label at the end of the palette."""
        with self._write() as connection:
            self._check_label_fields(connection, name, shortcut, None)
            label_id = self._insert_label(connection, name, colour, shortcut, description)
        return self.label(label_id)

    def update_label(self, label_id: int, **changes: Any) -> LabelRecord:
        """Rename, recolour, re-key or redescribe a label (``name``, ``colour``, ``shortcut``,
        ``description``)."""
        allowed = {"name", "colour", "shortcut", "description"}
        unknown = set(changes) - allowed
        if unknown:
            raise StoreError(f"labels have no field {sorted(unknown)[0]!r}")
        with self._write() as connection:
            self._check_label_fields(
                connection, changes.get("name"), changes.get("shortcut"), label_id
            )
            if "name" in changes:
                changes["name"] = changes["name"].strip()
            if "shortcut" in changes and not changes["shortcut"]:
                changes["shortcut"] = None
            result = connection.execute(
                update(LABEL).where(LABEL.c.id == label_id).values(**changes)
            )
            if result.rowcount == 0:
                raise StoreError(f"no label with id {label_id}")
        return self.label(label_id)

    def reorder_labels(self, label_ids: Sequence[int]) -> list[LabelRecord]:
        """Put the labels in the given order (every label id, once)."""
        with self._write() as connection:
            known = set(connection.execute(select(LABEL.c.id)).scalars())
            if set(label_ids) != known or len(label_ids) != len(known):
                raise StoreError("reordering must name every label exactly once")
            for position, label_id in enumerate(label_ids):
                connection.execute(
                    update(LABEL).where(LABEL.c.id == label_id).values(position=position)
                )
        return self.labels()

    def label_usage(self, label_id: int) -> int:
        """How many spans carry this label."""
        with self._read() as connection:
            return connection.execute(
                select(func.count()).select_from(SPAN).where(SPAN.c.label_id == label_id)
            ).scalar_one()

    def delete_label(
        self, label_id: int, *, relabel_to: int | None = None, delete_spans: bool = False
    ) -> int:
        """Remove a label. A label in use needs ``relabel_to`` (move its spans to another
        label) or ``delete_spans``; otherwise :class:`LabelInUseError`. Returns the number
        of spans moved or deleted."""
        with self._write() as connection:
            name = connection.execute(select(LABEL.c.name).where(LABEL.c.id == label_id)).scalar()
            if name is None:
                raise StoreError(f"no label with id {label_id}")
            count = connection.execute(
                select(func.count()).select_from(SPAN).where(SPAN.c.label_id == label_id)
            ).scalar_one()
            if count and relabel_to is None and not delete_spans:
                raise LabelInUseError(name, count)
            if count and relabel_to is not None:
                if relabel_to == label_id:
                    raise StoreError("cannot move spans to the label being removed")
                connection.execute(
                    update(SPAN)
                    .where(SPAN.c.label_id == label_id)
                    .values(label_id=relabel_to, updated_at=utcnow(), version=SPAN.c.version + 1)
                )
            elif count:
                connection.execute(delete(SPAN).where(SPAN.c.label_id == label_id))
            connection.execute(
                update(ENTITY).where(ENTITY.c.label_id == label_id).values(label_id=relabel_to)
            )
            connection.execute(delete(LABEL).where(LABEL.c.id == label_id))
        return count

    def restore_label(self, record: LabelRecord) -> LabelRecord:
        """Put a removed label back exactly, with its id (undo of a removal)."""
        with self._write() as connection:
            self._check_label_fields(connection, record.name, record.shortcut, None)
            connection.execute(
                insert(LABEL).values(
                    id=record.id,
                    name=record.name,
                    kind=record.kind,
                    colour=record.colour,
                    shortcut=record.shortcut,
                    description=record.description,
                    position=record.position,
                )
            )
        return self.label(record.id)

    # --- annotators -------------------------------------------------------------------------

    def _annotator_id(self, connection: Connection, name: str, is_gold: bool = False) -> int:
        name = name.strip()
        if not name:
            raise StoreError("an annotator needs a name")
        found = connection.execute(select(ANNOTATOR.c.id).where(ANNOTATOR.c.name == name)).scalar()
        if found is not None:
            return found
        result = connection.execute(
            insert(ANNOTATOR).values(
                name=name, is_gold=is_gold or name == GOLD, created_at=utcnow()
            )
        )
        return result.inserted_primary_key[0]

    def ensure_annotator(self, name: str, *, is_gold: bool = False) -> AnnotatorRecord:
        """The annotator called ``name``, created if new."""
        with self._write() as connection:
            annotator_id = self._annotator_id(connection, name, is_gold)
            row = connection.execute(select(ANNOTATOR).where(ANNOTATOR.c.id == annotator_id)).one()
        return AnnotatorRecord(row.id, row.name, row.is_gold)

    def gold_annotator(self) -> AnnotatorRecord:
        """The annotator that holds the adjudicated (gold) layer."""
        return self.ensure_annotator(GOLD, is_gold=True)

    def annotators(self) -> list[AnnotatorRecord]:
        with self._read() as connection:
            rows = connection.execute(select(ANNOTATOR).order_by(ANNOTATOR.c.name))
            return [AnnotatorRecord(row.id, row.name, row.is_gold) for row in rows]

    # --- documents --------------------------------------------------------------------------

    def document_count(self) -> int:
        with self._read() as connection:
            return connection.execute(select(func.count()).select_from(DOC)).scalar_one()

    def list_documents(
        self, annotator_id: int | None = None, *, statuses: Sequence[str] = ("accepted",)
    ) -> list[DocumentSummary]:
        """Every document with its span count and, for ``annotator_id``, its progress.

        Spans are counted for ``annotator_id`` when given, for everyone otherwise.
        """
        counts = select(SPAN.c.document_id, func.count().label("n")).where(
            SPAN.c.status.in_(statuses)
        )
        if annotator_id is not None:
            counts = counts.where(SPAN.c.annotator_id == annotator_id)
        counts = counts.group_by(SPAN.c.document_id).subquery()
        state = (
            select(STATE.c.document_id, STATE.c.status)
            .where(STATE.c.annotator_id == (annotator_id if annotator_id is not None else -1))
            .subquery()
        )
        query = (
            select(
                DOC.c.id,
                DOC.c.content_hash,
                DOC.c.title,
                DOC.c.source,
                DOC.c.published,
                func.length(DOC.c.text),
                func.coalesce(counts.c.n, 0),
                func.coalesce(state.c.status, "not_started"),
            )
            .outerjoin(counts, counts.c.document_id == DOC.c.id)
            .outerjoin(state, state.c.document_id == DOC.c.id)
            .order_by(DOC.c.id)
        )
        with self._read() as connection:
            return [DocumentSummary(*row) for row in connection.execute(query)]

    def document(self, document_id: int) -> DocumentRecord:
        with self._read() as connection:
            row = connection.execute(select(DOC).where(DOC.c.id == document_id)).one_or_none()
        if row is None:
            raise StoreError(f"no document with id {document_id}")
        return _document_record(row)

    def document_by_hash(self, digest: str) -> DocumentRecord | None:
        with self._read() as connection:
            row = connection.execute(select(DOC).where(DOC.c.content_hash == digest)).first()
        return _document_record(row) if row else None

    def document_ids(self) -> list[int]:
        with self._read() as connection:
            return list(connection.execute(select(DOC.c.id).order_by(DOC.c.id)).scalars())

    def delete_document(self, document_id: int) -> None:
        """Remove a document with its spans, relations, states and review decisions."""
        with self._write() as connection:
            result = connection.execute(delete(DOC).where(DOC.c.id == document_id))
            if result.rowcount == 0:
                raise StoreError(f"no document with id {document_id}")

    # --- document progress ------------------------------------------------------------------

    def set_document_status(self, document_id: int, annotator_id: int, status: str) -> str:
        """Record how far an annotator has got with a document; returns the previous status."""
        if status not in DOCUMENT_STATUSES:
            raise StoreError(f"unknown document status {status!r}")
        with self._write() as connection:
            previous = connection.execute(
                select(STATE.c.status).where(
                    STATE.c.document_id == document_id, STATE.c.annotator_id == annotator_id
                )
            ).scalar()
            connection.execute(
                self._upsert(
                    STATE,
                    [
                        {
                            "document_id": document_id,
                            "annotator_id": annotator_id,
                            "status": status,
                            "updated_at": utcnow(),
                        }
                    ],
                    ["document_id", "annotator_id"],
                    ["status", "updated_at"],
                )
            )
        return previous or "not_started"

    def document_status(self, document_id: int, annotator_id: int) -> str:
        with self._read() as connection:
            status = connection.execute(
                select(STATE.c.status).where(
                    STATE.c.document_id == document_id, STATE.c.annotator_id == annotator_id
                )
            ).scalar()
        return status or "not_started"

    # --- spans ------------------------------------------------------------------------------

    def spans(
        self,
        document_id: int,
        *,
        annotator_ids: Sequence[int] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[SpanRecord]:
        """The spans of a document, ordered by position; optionally only some annotators'
        or some statuses."""
        query = _span_select().where(SPAN.c.document_id == document_id)
        if annotator_ids is not None:
            query = query.where(SPAN.c.annotator_id.in_(annotator_ids))
        if statuses is not None:
            query = query.where(SPAN.c.status.in_(statuses))
        with self._read() as connection:
            rows = connection.execute(query.order_by(*_span_order())).all()
        return [_span_record(row) for row in rows]

    def spans_in_range(
        self,
        document_id: int,
        start: int,
        end: int,
        *,
        annotator_ids: Sequence[int] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[SpanRecord]:
        """The spans of a document that overlap ``[start, end)``: what a view shows first."""
        query = _span_select().where(
            SPAN.c.document_id == document_id, SPAN.c.start < end, SPAN.c.end > start
        )
        if annotator_ids is not None:
            query = query.where(SPAN.c.annotator_id.in_(annotator_ids))
        if statuses is not None:
            query = query.where(SPAN.c.status.in_(statuses))
        with self._read() as connection:
            rows = connection.execute(query.order_by(*_span_order())).all()
        return [_span_record(row) for row in rows]

    def span(self, span_uuid: str) -> SpanRecord | None:
        with self._read() as connection:
            row = connection.execute(_span_select().where(SPAN.c.uuid == span_uuid)).first()
        return _span_record(row) if row else None

    def _get_span(self, connection: Connection, span_uuid: str) -> SpanRecord:
        row = connection.execute(_span_select().where(SPAN.c.uuid == span_uuid)).first()
        if row is None:
            raise ConflictError(f"span {span_uuid} no longer exists")
        return _span_record(row)

    def _covered_text(self, connection: Connection, document_id: int, start: int, end: int) -> str:
        row = connection.execute(
            select(func.length(DOC.c.text), func.substr(DOC.c.text, start + 1, end - start)).where(
                DOC.c.id == document_id
            )
        ).first()
        if row is None:
            raise SpanError(f"no document with id {document_id}")
        length, covered = row
        if not 0 <= start < end <= length:
            raise SpanError(
                f"span {start}-{end} does not fit document {document_id} of {length} characters"
            )
        return covered

    def _entity_id(self, connection: Connection, entity_uuid: str | None) -> int | None:
        if entity_uuid is None:
            return None
        found = connection.execute(select(ENTITY.c.id).where(ENTITY.c.uuid == entity_uuid)).scalar()
        if found is None:
            raise StoreError(f"no entity {entity_uuid}")
        return found

    @staticmethod
    def _check_status(status: str, origin: str) -> None:
        if status not in SPAN_STATUSES:
            raise SpanError(f"unknown span status {status!r} (one of {', '.join(SPAN_STATUSES)})")
        if origin not in SPAN_ORIGINS:
            raise SpanError(f"unknown span origin {origin!r} (one of {', '.join(SPAN_ORIGINS)})")

    def _mark_in_progress(
        self, connection: Connection, document_id: int, annotator_id: int
    ) -> None:
        current = connection.execute(
            select(STATE.c.status).where(
                STATE.c.document_id == document_id, STATE.c.annotator_id == annotator_id
            )
        ).scalar()
        if current is None:
            connection.execute(
                insert(STATE).values(
                    document_id=document_id,
                    annotator_id=annotator_id,
                    status="in_progress",
                    updated_at=utcnow(),
                )
            )
        elif current == "not_started":
            connection.execute(
                update(STATE)
                .where(STATE.c.document_id == document_id, STATE.c.annotator_id == annotator_id)
                .values(status="in_progress", updated_at=utcnow())
            )

    def _mark_started(self, connection: Connection, pairs: Iterable[tuple[int, int]]) -> None:
        """Mark documents in progress for annotators who now have accepted spans on them,
        leaving every state already recorded as it is."""
        now = utcnow()
        rows = [(d, a, "in_progress", now) for d, a in sorted(set(pairs))]
        self._bulk_insert(
            connection,
            STATE,
            ("document_id", "annotator_id", "status", "updated_at"),
            rows,
            "ON CONFLICT (document_id, annotator_id) DO NOTHING",
        )

    def add_span(
        self,
        document_id: int,
        label_id: int,
        annotator_id: int,
        start: int,
        end: int,
        *,
        status: str = "accepted",
        origin: str = "manual",
        note: str = "",
        attributes: dict[str, Any] | None = None,
        confidence: float | None = None,
        entity_uuid: str | None = None,
        span_uuid: str | None = None,
    ) -> SpanRecord:
        """Tag ``text[start:end]`` of a document; committed before it returns."""
        self._check_status(status, origin)
        with self._write() as connection:
            covered = self._covered_text(connection, document_id, start, end)
            now = utcnow()
            span_uuid = span_uuid or new_uuid()
            connection.execute(
                insert(SPAN).values(
                    uuid=span_uuid,
                    document_id=document_id,
                    label_id=label_id,
                    annotator_id=annotator_id,
                    start=start,
                    end=end,
                    text=covered,
                    status=status,
                    origin=origin,
                    confidence=confidence,
                    note=note,
                    attributes=attributes or {},
                    entity_id=self._entity_id(connection, entity_uuid),
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
            if status == "accepted":
                self._mark_in_progress(connection, document_id, annotator_id)
            return self._get_span(connection, span_uuid)

    def add_spans(
        self, document_id: int, spans: Iterable[NewSpan], *, skip_existing: bool = True
    ) -> list[SpanRecord]:
        """Add many spans to one document in one transaction (suggestions, accept-all).

        With ``skip_existing``, a span identical in annotator, label and offsets to one the
        document already has, in any status, is not added again: a rejected suggestion stays
        rejected.
        """
        spans = list(spans)
        if not spans:
            return []
        with self._write() as connection:
            text = connection.execute(select(DOC.c.text).where(DOC.c.id == document_id)).scalar()
            if text is None:
                raise SpanError(f"no document with id {document_id}")
            labels = self._label_ids(connection, create=True)
            existing = set()
            if skip_existing:
                existing = {
                    tuple(row)
                    for row in connection.execute(
                        select(
                            SPAN.c.annotator_id, SPAN.c.label_id, SPAN.c.start, SPAN.c.end
                        ).where(SPAN.c.document_id == document_id)
                    )
                }
            rows = []
            annotators: dict[str, int] = {}
            for span in spans:
                self._check_status(span.status, span.origin)
                if not 0 <= span.start < span.end <= len(text):
                    raise SpanError(
                        f"{span.where or 'span'}: {span.start}-{span.end} does not fit a text "
                        f"of {len(text)} characters"
                    )
                annotator_id = annotators.get(span.annotator)
                if annotator_id is None:
                    annotator_id = annotators[span.annotator] = self._annotator_id(
                        connection, span.annotator
                    )
                label_id = labels(span.label)
                key = (annotator_id, label_id, span.start, span.end)
                if key in existing:
                    continue
                existing.add(key)
                now = utcnow()
                rows.append(
                    {
                        "uuid": span.uuid or new_uuid(),
                        "document_id": document_id,
                        "label_id": label_id,
                        "annotator_id": annotator_id,
                        "start": span.start,
                        "end": span.end,
                        "text": text[span.start : span.end],
                        "status": span.status,
                        "origin": span.origin,
                        "confidence": span.confidence,
                        "note": span.note,
                        "attributes": span.attributes,
                        "entity_id": self._entity_id(connection, span.entity_uuid),
                        "created_at": span.created_at or now,
                        "updated_at": span.updated_at or now,
                        "version": span.version,
                    }
                )
            if rows:
                connection.execute(insert(SPAN), rows)
                self._mark_started(
                    connection,
                    [
                        (document_id, row["annotator_id"])
                        for row in rows
                        if row["status"] == "accepted"
                    ],
                )
                uuids = [row["uuid"] for row in rows]
                return self._spans_by_uuid(connection, uuids)
            return []

    def _spans_by_uuid(self, connection: Connection, uuids: Sequence[str]) -> list[SpanRecord]:
        found: dict[str, SpanRecord] = {}
        for chunk in _chunks(uuids):
            for row in connection.execute(_span_select().where(SPAN.c.uuid.in_(chunk))):
                record = _span_record(row)
                found[record.uuid] = record
        return [found[value] for value in uuids if value in found]

    def update_span(
        self,
        span_uuid: str,
        expected_version: int | None = None,
        *,
        expected: SpanRecord | None = None,
        **changes: Any,
    ) -> SpanRecord:
        """Change a span's ``label_id``, ``note``, ``status``, ``origin``, ``attributes``,
        ``entity_uuid``, ``confidence``, ``annotator_id`` or offsets (``start``, ``end``).

        ``expected_version`` is the version the caller last saw, or ``expected`` the span as
        the caller last saw it; if the span has changed since, :class:`ConflictError` is
        raised and nothing is written.
        """
        allowed = {
            "label_id",
            "note",
            "status",
            "origin",
            "attributes",
            "entity_uuid",
            "confidence",
            "start",
            "end",
            "annotator_id",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise StoreError(f"spans have no field {sorted(unknown)[0]!r}")
        with self._write() as connection:
            current = self._get_span(connection, span_uuid)
            _check_unchanged(current, expected_version, expected)
            values: dict[str, Any] = {}
            if "entity_uuid" in changes:
                values["entity_id"] = self._entity_id(connection, changes.pop("entity_uuid"))
            values.update(changes)
            self._check_status(
                values.get("status", current.status), values.get("origin", current.origin)
            )
            if "start" in values or "end" in values:
                start = values.get("start", current.start)
                end = values.get("end", current.end)
                values["text"] = self._covered_text(connection, current.document_id, start, end)
            values["updated_at"] = utcnow()
            values["version"] = current.version + 1
            result = connection.execute(
                update(SPAN)
                .where(SPAN.c.uuid == span_uuid, SPAN.c.version == current.version)
                .values(**values)
            )
            if result.rowcount != 1:
                raise ConflictError(f"span {span_uuid} was changed elsewhere")
            if values.get("status") == "accepted":
                self._mark_in_progress(
                    connection,
                    current.document_id,
                    values.get("annotator_id", current.annotator_id),
                )
            return self._get_span(connection, span_uuid)

    def set_span_status(self, span_uuids: Sequence[str], status: str) -> list[SpanRecord]:
        """Accept or reject many spans at once (e.g. every suggestion of a document)."""
        self._check_status(status, "manual")
        with self._write() as connection:
            now = utcnow()
            for chunk in _chunks(list(span_uuids)):
                connection.execute(
                    update(SPAN)
                    .where(SPAN.c.uuid.in_(chunk))
                    .values(status=status, updated_at=now, version=SPAN.c.version + 1)
                )
            return self._spans_by_uuid(connection, list(span_uuids))

    def delete_span(
        self,
        span_uuid: str,
        expected_version: int | None = None,
        *,
        expected: SpanRecord | None = None,
    ) -> DeletedSpan:
        """Delete a span and the relations that touch it; returns what undo needs."""
        return self.delete_spans(
            [span_uuid], expected_version, expected=[expected] if expected else None
        )[0]

    def delete_spans(
        self,
        span_uuids: Sequence[str],
        expected_version: int | None = None,
        *,
        expected: Sequence[SpanRecord] | None = None,
    ) -> list[DeletedSpan]:
        """Delete spans (with their relations) in one transaction; ``expected`` (the spans
        as the caller saw them) refuses the deletion if any has changed since."""
        seen = {span.uuid: span for span in expected} if expected else {}
        with self._write() as connection:
            deleted = []
            for span_uuid in span_uuids:
                span = self._get_span(connection, span_uuid)
                _check_unchanged(span, expected_version, seen.get(span_uuid))
                query, head, tail = _relation_select()
                relations = tuple(
                    RelationRecord(*row)
                    for row in connection.execute(
                        query.where(or_(head.c.id == span.id, tail.c.id == span.id))
                    )
                )
                connection.execute(delete(SPAN).where(SPAN.c.id == span.id))
                deleted.append(DeletedSpan(span, relations))
            return deleted

    def _insert_snapshot(self, connection: Connection, span: SpanRecord) -> None:
        """Insert a span exactly as a snapshot has it, id and uuid included."""
        connection.execute(
            insert(SPAN).values(
                id=span.id,
                uuid=span.uuid,
                document_id=span.document_id,
                label_id=span.label_id,
                annotator_id=span.annotator_id,
                start=span.start,
                end=span.end,
                text=span.text,
                status=span.status,
                origin=span.origin,
                confidence=span.confidence,
                note=span.note,
                attributes=span.attributes,
                entity_id=self._entity_id(connection, span.entity_uuid),
                created_at=span.created_at,
                updated_at=span.updated_at,
                version=span.version,
            )
        )

    def restore_spans(self, deleted: Sequence[DeletedSpan]) -> list[SpanRecord]:
        """Put deleted spans back exactly as they were, relations included (undo)."""
        with self._write() as connection:
            for item in deleted:
                self._insert_snapshot(connection, item.span)
            seen = set()
            for item in deleted:
                for relation in item.relations:
                    if relation.uuid in seen:
                        continue
                    seen.add(relation.uuid)
                    ids = dict(
                        connection.execute(
                            select(SPAN.c.uuid, SPAN.c.id).where(
                                SPAN.c.uuid.in_([relation.head_uuid, relation.tail_uuid])
                            )
                        ).all()
                    )
                    if relation.head_uuid in ids and relation.tail_uuid in ids:
                        connection.execute(
                            insert(RELATION).values(
                                id=relation.id,
                                uuid=relation.uuid,
                                type=relation.type,
                                head_id=ids[relation.head_uuid],
                                tail_id=ids[relation.tail_uuid],
                                annotator_id=self._annotator_id(connection, relation.annotator),
                                created_at=relation.created_at,
                            )
                        )
            return self._spans_by_uuid(connection, [item.span.uuid for item in deleted])

    def restore_span(self, deleted: DeletedSpan) -> SpanRecord:
        return self.restore_spans([deleted])[0]

    def put_span(
        self,
        snapshot: SpanRecord,
        expected_version: int | None = None,
        *,
        expected: SpanRecord | None = None,
    ) -> SpanRecord:
        """Write a span back to the content of ``snapshot`` (undo of an edit).

        The version still moves forward, so that anyone holding the undone state sees a
        conflict; ``expected_version`` or ``expected`` is what the caller last saw.
        """
        with self._write() as connection:
            current = self._get_span(connection, snapshot.uuid)
            _check_unchanged(current, expected_version, expected)
            result = connection.execute(
                update(SPAN)
                .where(SPAN.c.uuid == snapshot.uuid, SPAN.c.version == current.version)
                .values(
                    label_id=snapshot.label_id,
                    annotator_id=snapshot.annotator_id,
                    start=snapshot.start,
                    end=snapshot.end,
                    text=snapshot.text,
                    status=snapshot.status,
                    origin=snapshot.origin,
                    confidence=snapshot.confidence,
                    note=snapshot.note,
                    attributes=snapshot.attributes,
                    entity_id=self._entity_id(connection, snapshot.entity_uuid),
                    updated_at=utcnow(),
                    version=current.version + 1,
                )
            )
            if result.rowcount != 1:
                raise ConflictError(f"span {snapshot.uuid} was changed elsewhere")
            return self._get_span(connection, snapshot.uuid)

    def delete_suggestions(
        self,
        document_ids: Sequence[int] | None,
        *,
        origin: str | None = None,
        annotator_id: int | None = None,
    ) -> int:
        """Remove pending suggestions (of one origin, on some documents); returns how many."""
        condition = SPAN.c.status == "suggested"
        if origin is not None:
            condition = and_(condition, SPAN.c.origin == origin)
        if annotator_id is not None:
            condition = and_(condition, SPAN.c.annotator_id == annotator_id)
        with self._write() as connection:
            if document_ids is None:
                return connection.execute(delete(SPAN).where(condition)).rowcount
            total = 0
            for chunk in _chunks(list(document_ids)):
                total += connection.execute(
                    delete(SPAN).where(condition, SPAN.c.document_id.in_(chunk))
                ).rowcount
            return total

    def spans_where(
        self,
        *,
        annotator_ids: Sequence[int] | None = None,
        labels: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        document_ids: Sequence[int] | None = None,
    ) -> list[SpanRecord]:
        """Spans across documents, ordered by document and position."""
        query = _span_select()
        if annotator_ids is not None:
            query = query.where(SPAN.c.annotator_id.in_(annotator_ids))
        if labels is not None:
            query = query.where(func.lower(LABEL.c.name).in_([name.lower() for name in labels]))
        if statuses is not None:
            query = query.where(SPAN.c.status.in_(statuses))
        with self._read() as connection:
            if document_ids is None:
                rows = connection.execute(query.order_by(*_span_order()))
                return [_span_record(row) for row in rows]
            result: list[SpanRecord] = []
            for chunk in _chunks(sorted(set(document_ids))):
                rows = connection.execute(
                    query.where(SPAN.c.document_id.in_(chunk)).order_by(*_span_order())
                )
                result.extend(_span_record(row) for row in rows)
            return result

    # --- relations --------------------------------------------------------------------------

    def add_relation(
        self,
        head_uuid: str,
        tail_uuid: str,
        type: str,
        annotator_id: int,
        relation_uuid: str | None = None,
    ) -> RelationRecord:
        """Link two spans of the same document with a typed relation."""
        with self._write() as connection:
            rows = dict(
                connection.execute(
                    select(SPAN.c.uuid, SPAN.c.document_id).where(
                        SPAN.c.uuid.in_([head_uuid, tail_uuid])
                    )
                ).all()
            )
            if head_uuid not in rows or tail_uuid not in rows:
                raise StoreError("a relation needs two existing spans")
            if rows[head_uuid] != rows[tail_uuid]:
                raise StoreError("a relation links two spans of the same document")
            ids = dict(
                connection.execute(
                    select(SPAN.c.uuid, SPAN.c.id).where(SPAN.c.uuid.in_([head_uuid, tail_uuid]))
                ).all()
            )
            relation_uuid = relation_uuid or new_uuid()
            connection.execute(
                insert(RELATION).values(
                    uuid=relation_uuid,
                    type=type,
                    head_id=ids[head_uuid],
                    tail_id=ids[tail_uuid],
                    annotator_id=annotator_id,
                    created_at=utcnow(),
                )
            )
            query, _, _ = _relation_select()
            return RelationRecord(
                *connection.execute(query.where(RELATION.c.uuid == relation_uuid)).one()
            )

    def delete_relation(self, relation_uuid: str) -> None:
        with self._write() as connection:
            connection.execute(delete(RELATION).where(RELATION.c.uuid == relation_uuid))

    def relations(self, document_id: int) -> list[RelationRecord]:
        query, head, _ = _relation_select()
        with self._read() as connection:
            rows = connection.execute(
                query.where(head.c.document_id == document_id).order_by(RELATION.c.id)
            )
            return [RelationRecord(*row) for row in rows]

    # --- entities ---------------------------------------------------------------------------

    def _entity_records(self, connection: Connection, condition=None) -> list[EntityRecord]:
        query = (
            select(ENTITY, LABEL.c.name.label("label_name"))
            .outerjoin(LABEL, LABEL.c.id == ENTITY.c.label_id)
            .order_by(ENTITY.c.name, ENTITY.c.uuid)
        )
        if condition is not None:
            query = query.where(condition)
        rows = connection.execute(query).all()
        aliases: dict[int, list[str]] = defaultdict(list)
        ids = [row.id for row in rows]
        for chunk in _chunks(ids):
            for entity_id, alias in connection.execute(
                select(ALIAS.c.entity_id, ALIAS.c.alias)
                .where(ALIAS.c.entity_id.in_(chunk))
                .order_by(ALIAS.c.alias)
            ):
                aliases[entity_id].append(alias)
        return [
            EntityRecord(
                row.id,
                row.uuid,
                row.name,
                row.label_name,
                row.description,
                tuple(aliases[row.id]),
                row.created_at,
            )
            for row in rows
        ]

    def entities(self, label: str | None = None) -> list[EntityRecord]:
        """Canonical actors and events with their aliases."""
        with self._read() as connection:
            condition = None
            if label is not None:
                condition = func.lower(LABEL.c.name) == label.lower()
            return self._entity_records(connection, condition)

    def add_entity(
        self,
        name: str,
        *,
        label: str | None = None,
        aliases: Iterable[str] = (),
        description: str = "",
        entity_uuid: str | None = None,
    ) -> EntityRecord:
        """Create a canonical entity (its own name counts as an alias)."""
        with self._write() as connection:
            entity_uuid = entity_uuid or new_uuid()
            label_id = None
            if label is not None:
                label_id = self._label_ids(connection, create=True)(label)
            entity_id = connection.execute(
                insert(ENTITY).values(
                    uuid=entity_uuid,
                    name=name,
                    label_id=label_id,
                    description=description,
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]
            for alias in sorted({a.strip() for a in aliases if a.strip()} - {name}):
                connection.execute(insert(ALIAS).values(entity_id=entity_id, alias=alias))
            return self._entity_records(connection, ENTITY.c.id == entity_id)[0]

    def add_alias(self, entity_uuid: str, alias: str) -> EntityRecord:
        with self._write() as connection:
            entity_id = self._entity_id(connection, entity_uuid)
            exists = connection.execute(
                select(ALIAS.c.id).where(ALIAS.c.entity_id == entity_id, ALIAS.c.alias == alias)
            ).first()
            if not exists:
                connection.execute(insert(ALIAS).values(entity_id=entity_id, alias=alias))
            return self._entity_records(connection, ENTITY.c.id == entity_id)[0]

    # --- review -----------------------------------------------------------------------------

    def record_decision(
        self,
        document_id: int,
        reviewer_id: int,
        *,
        kind: str,
        action: str,
        candidates: list[dict[str, Any]],
        gold_spans: Sequence[NewSpan] = (),
        remove_gold: Sequence[str] = (),
        note: str = "",
    ) -> tuple[ReviewDecisionRecord, list[SpanRecord], list[DeletedSpan]]:
        """Settle one disagreement: write the gold spans, remove superseded gold spans and
        record who decided what, all in one transaction.

        Returns the decision, the gold spans written and the gold spans removed.
        """
        entry = {
            "document_id": document_id,
            "kind": kind,
            "action": action,
            "candidates": candidates,
            "gold_spans": gold_spans,
            "remove_gold": remove_gold,
            "note": note,
        }
        return self.record_decisions(reviewer_id, [entry])[0]

    def undo_decision(
        self, decision_uuid: str, gold_uuids: Sequence[str], restore: Sequence[DeletedSpan] = ()
    ) -> None:
        """Take back a review decision: delete its record and the gold spans it wrote, and put
        back gold spans it removed, in one transaction."""
        self.undo_decisions([decision_uuid], gold_uuids, restore)

    def _decisions(self, connection: Connection, condition) -> list[ReviewDecisionRecord]:
        rows = connection.execute(
            select(REVIEW, ANNOTATOR.c.name.label("reviewer"))
            .join(ANNOTATOR, ANNOTATOR.c.id == REVIEW.c.reviewer_id)
            .where(condition)
            .order_by(REVIEW.c.created_at, REVIEW.c.id)
        )
        return [
            ReviewDecisionRecord(
                row.id,
                row.uuid,
                row.document_id,
                row.reviewer,
                row.kind,
                row.action,
                row.candidates,
                row.outcome_uuid,
                row.note,
                row.created_at,
            )
            for row in rows
        ]

    def review_decisions(
        self, document_ids: Sequence[int] | None = None
    ) -> list[ReviewDecisionRecord]:
        with self._read() as connection:
            if document_ids is None:
                return self._decisions(connection, REVIEW.c.id.isnot(None))
            result = []
            for chunk in _chunks(list(document_ids)):
                result.extend(self._decisions(connection, REVIEW.c.document_id.in_(chunk)))
            return result

    # --- statistics -------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts for ``dossier stats``: documents, spans per label, annotator and status."""
        with self._read() as connection:
            documents = connection.execute(select(func.count()).select_from(DOC)).scalar_one()
            rows = connection.execute(
                select(LABEL.c.name, ANNOTATOR.c.name, SPAN.c.status, func.count())
                .select_from(SPAN)
                .join(LABEL, LABEL.c.id == SPAN.c.label_id)
                .join(ANNOTATOR, ANNOTATOR.c.id == SPAN.c.annotator_id)
                .group_by(LABEL.c.name, ANNOTATOR.c.name, SPAN.c.status)
            ).all()
            annotated = connection.execute(
                select(func.count(func.distinct(SPAN.c.document_id))).where(
                    SPAN.c.status == "accepted"
                )
            ).scalar_one()
            label_order = [
                row[0]
                for row in connection.execute(
                    select(LABEL.c.name).order_by(LABEL.c.position, LABEL.c.id)
                )
            ]
        per_label: dict[str, int] = {name: 0 for name in label_order}
        per_annotator: dict[str, int] = {}
        per_annotator_label: dict[str, dict[str, int]] = {}
        per_status: dict[str, int] = {}
        for label, annotator, status, count in rows:
            per_status[status] = per_status.get(status, 0) + count
            if status != "accepted":
                continue
            per_label[label] = per_label.get(label, 0) + count
            per_annotator[annotator] = per_annotator.get(annotator, 0) + count
            per_annotator_label.setdefault(annotator, {})[label] = count
        return {
            "documents": documents,
            "documents_annotated": annotated,
            "spans": sum(per_label.values()),
            "per_label": per_label,
            "per_annotator": dict(sorted(per_annotator.items())),
            "per_annotator_label": dict(sorted(per_annotator_label.items())),
            "per_status": dict(sorted(per_status.items())),
        }

    # --- import -----------------------------------------------------------------------------

    def _label_ids(
        self, connection: Connection, *, create: bool, created: list[str] | None = None
    ) -> Callable[[str], int]:
        """A resolver from label names (any case) to ids, creating missing labels when
        ``create``; the names it creates are appended to ``created``."""
        known = {
            name.lower(): label_id
            for label_id, name in connection.execute(select(LABEL.c.id, LABEL.c.name))
        }

        def resolve(name: str) -> int:
            key = name.strip().lower()
            if key in known:
                return known[key]
            if not create or not key:
                raise SpanError(f"unknown label {name!r}")
            known[key] = self._insert_label(connection, name.strip())
            if created is not None:
                created.append(name.strip())
            return known[key]

        return resolve

    def import_batch(
        self,
        batch: ImportBatch,
        *,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Write an import in one transaction: all of it, or (on any error) none of it.

        Documents are matched by content hash; a span identical (annotator, label, offsets)
        to one already on the document, or with a uuid already in the project, is skipped.
        ``progress(done, total)`` is called between chunks; if it raises, nothing is written.
        """
        summary = ImportSummary()
        with self._write() as connection:
            empty_project = not connection.execute(select(DOC.c.id).limit(1)).first()
            self._import_labels(connection, batch, empty_project, summary)
            new_labels: list[str] = []
            labels = self._label_ids(connection, create=True, created=new_labels)
            annotators = self._import_annotators(connection, batch, summary)
            entities = self._import_entities(connection, batch, labels, summary)
            document_ids, matched = self._import_documents(connection, batch, summary, progress)
            started = self._import_spans(
                connection,
                batch,
                document_ids,
                matched,
                labels,
                annotators,
                entities,
                summary,
                progress,
            )
            self._mark_started(connection, started)
            self._import_relations(connection, batch, annotators, summary)
            self._import_states_and_reviews(connection, batch, document_ids, annotators)
            summary.labels_added += len(new_labels)
        return summary

    def _import_labels(self, connection, batch: ImportBatch, empty_project: bool, summary) -> None:
        if not batch.labels:
            return
        existing = {row.name.lower(): row for row in connection.execute(select(LABEL))}
        if empty_project and not connection.execute(select(SPAN.c.id).limit(1)).first():
            # A new project takes the file's label scheme whole: colours, keys and order.
            named = {label.name.strip().lower() for label in batch.labels}
            for key, row in existing.items():
                if key not in named:
                    connection.execute(delete(LABEL).where(LABEL.c.id == row.id))
            connection.execute(update(LABEL).values(shortcut=None))
            for position, label in enumerate(batch.labels):
                row = existing.get(label.name.strip().lower())
                values = {
                    "name": label.name.strip(),
                    "kind": label.kind,
                    "colour": label.colour
                    or (row.colour if row else self._next_colour(connection)),
                    "shortcut": label.shortcut or None,
                    "description": label.description,
                    "position": label.position if label.position is not None else position,
                }
                if row is not None:
                    connection.execute(update(LABEL).where(LABEL.c.id == row.id).values(**values))
                else:
                    connection.execute(insert(LABEL).values(**values))
                    summary.labels_added += 1
            return
        taken = {row.shortcut.lower() for row in existing.values() if row.shortcut}
        for label in batch.labels:
            if label.name.strip().lower() in existing:
                continue
            shortcut = (
                label.shortcut if label.shortcut and label.shortcut.lower() not in taken else None
            )
            self._insert_label(
                connection, label.name, label.colour, shortcut, label.description, label.kind
            )
            if shortcut:
                taken.add(shortcut.lower())
            summary.labels_added += 1

    def _import_annotators(self, connection, batch: ImportBatch, summary) -> Callable[[str], int]:
        known = {
            name: annotator_id
            for annotator_id, name in connection.execute(select(ANNOTATOR.c.id, ANNOTATOR.c.name))
        }
        gold_names = {annotator.name for annotator in batch.annotators if annotator.is_gold}

        def resolve(name: str) -> int:
            name = name.strip()
            if name in known:
                return known[name]
            if not name:
                raise SpanError("a span needs an annotator")
            known[name] = connection.execute(
                insert(ANNOTATOR).values(
                    name=name, is_gold=name in gold_names or name == GOLD, created_at=utcnow()
                )
            ).inserted_primary_key[0]
            summary.annotators_added += 1
            return known[name]

        for annotator in batch.annotators:
            resolve(annotator.name)
        return resolve

    def _import_entities(self, connection, batch: ImportBatch, labels, summary) -> dict[str, int]:
        uuids = [entity.uuid for entity in batch.entities if entity.uuid]
        known: dict[str, int] = {}
        for chunk in _chunks(uuids):
            known.update(
                connection.execute(
                    select(ENTITY.c.uuid, ENTITY.c.id).where(ENTITY.c.uuid.in_(chunk))
                ).all()
            )
        for entity in batch.entities:
            entity_uuid = entity.uuid or new_uuid()
            if entity_uuid in known:
                entity_id = known[entity_uuid]
            else:
                entity_id = connection.execute(
                    insert(ENTITY).values(
                        uuid=entity_uuid,
                        name=entity.name,
                        label_id=labels(entity.label) if entity.label else None,
                        description=entity.description,
                        created_at=entity.created_at or utcnow(),
                    )
                ).inserted_primary_key[0]
                known[entity_uuid] = entity_id
                summary.entities_added += 1
            have = set(
                connection.execute(
                    select(ALIAS.c.alias).where(ALIAS.c.entity_id == entity_id)
                ).scalars()
            )
            for alias in entity.aliases:
                if alias not in have:
                    connection.execute(insert(ALIAS).values(entity_id=entity_id, alias=alias))
                    have.add(alias)
        return known

    def _import_documents(
        self, connection, batch: ImportBatch, summary, progress
    ) -> tuple[list[int], set[int]]:
        """Insert the new documents; returns each batch document's id and the ids of the
        documents that were in the project already."""
        hashes = [content_hash(document.text) for document in batch.documents]
        known: dict[str, int] = {}
        for chunk in _chunks(sorted(set(hashes))):
            known.update(
                connection.execute(
                    select(DOC.c.content_hash, DOC.c.id).where(DOC.c.content_hash.in_(chunk))
                ).all()
            )
        matched = set(known.values())
        rows = []
        seen: set[str] = set()
        now = utcnow()
        for document, digest in zip(batch.documents, hashes, strict=True):
            if digest in known or digest in seen:
                continue
            seen.add(digest)
            rows.append(
                (
                    digest,
                    document.title or "",
                    document.text,
                    document.source,
                    document.url,
                    document.published,
                    document.language,
                    _json_text(document.meta),
                    document.imported_from,
                    document.created_at or now,
                )
            )
        total = len(rows)
        columns = (
            "content_hash",
            "title",
            "text",
            "source",
            "url",
            "published",
            "language",
            "meta",
            "imported_from",
            "created_at",
        )
        for index, chunk in enumerate(_chunks(rows, 1000)):
            self._bulk_insert(connection, DOC, columns, chunk)
            if progress:
                progress(min((index + 1) * 1000, total), total)
        new_hashes = [row[0] for row in rows]
        for chunk in _chunks(new_hashes):
            known.update(
                connection.execute(
                    select(DOC.c.content_hash, DOC.c.id).where(DOC.c.content_hash.in_(chunk))
                ).all()
            )
        summary.documents_added = len(rows)
        summary.documents_matched = len(set(hashes) - set(new_hashes))
        ids = [known[digest] for digest in hashes]
        summary.document_ids = list(dict.fromkeys(ids))
        return ids, matched

    def _import_spans(
        self,
        connection,
        batch,
        document_ids,
        matched,
        labels,
        annotators,
        entities,
        summary,
        progress,
    ) -> set[tuple[int, int]]:
        """Insert the batch's new spans; returns the (document, annotator) pairs that gained
        accepted spans."""
        existing_keys: set[tuple] = set()
        for chunk in _chunks(sorted(matched)):
            existing_keys.update(
                tuple(row)
                for row in connection.execute(
                    select(
                        SPAN.c.document_id,
                        SPAN.c.annotator_id,
                        SPAN.c.label_id,
                        SPAN.c.start,
                        SPAN.c.end,
                    ).where(SPAN.c.document_id.in_(chunk))
                )
            )
        wanted_uuids = [
            span.uuid for document in batch.documents for span in document.spans if span.uuid
        ]
        existing_uuids: set[str] = set()
        if wanted_uuids and connection.execute(select(SPAN.c.id).limit(1)).first():
            for chunk in _chunks(wanted_uuids):
                existing_uuids.update(
                    connection.execute(select(SPAN.c.uuid).where(SPAN.c.uuid.in_(chunk))).scalars()
                )
        missing_uuids = sum(
            1 for document in batch.documents for span in document.spans if not span.uuid
        )
        fresh_uuids = iter(new_uuids(missing_uuids))
        label_cache: dict[str, int] = {}
        annotator_cache: dict[str, int] = {}
        statuses, origins = set(SPAN_STATUSES), set(SPAN_ORIGINS)
        rows: list[tuple] = []
        now = utcnow()
        for document, document_id in zip(batch.documents, document_ids, strict=True):
            text = document.text
            length = len(text)
            for span in document.spans:
                start, end = span.start, span.end
                if not 0 <= start < end <= length:
                    raise SpanError(
                        f"{span.where or document.where or 'span'}: span {start}-{end} does "
                        f"not fit a text of {length} characters"
                    )
                covered = text[start:end]
                if span.text is not None and span.text != covered:
                    raise SpanError(
                        f"{span.where or document.where or 'span'}: span {start}-{end} says "
                        f"{span.text!r} but the document has {covered!r} there"
                    )
                if span.status not in statuses or span.origin not in origins:
                    raise SpanError(
                        f"{span.where or document.where or 'span'}: unknown span status "
                        f"{span.status!r} or origin {span.origin!r}"
                    )
                label_id = label_cache.get(span.label)
                annotator_id = annotator_cache.get(span.annotator)
                if label_id is None or annotator_id is None:
                    try:
                        label_id = label_cache[span.label] = labels(span.label)
                        annotator_id = annotator_cache[span.annotator] = annotators(span.annotator)
                    except SpanError as exc:
                        raise SpanError(f"{span.where or document.where}: {exc}") from None
                span_uuid = span.uuid
                if span_uuid and span_uuid in existing_uuids:
                    summary.spans_skipped += 1
                    continue
                key = (document_id, annotator_id, label_id, start, end)
                if key in existing_keys:
                    summary.spans_skipped += 1
                    if not span_uuid:
                        next(fresh_uuids)
                    continue
                existing_keys.add(key)
                if not span_uuid:
                    span_uuid = next(fresh_uuids)
                existing_uuids.add(span_uuid)
                entity_id = None
                if span.entity_uuid:
                    entity_id = entities.get(span.entity_uuid)
                    if entity_id is None:
                        entity_id = self._entity_id(connection, span.entity_uuid)
                rows.append(
                    (
                        span_uuid,
                        document_id,
                        label_id,
                        annotator_id,
                        start,
                        end,
                        covered,
                        span.status,
                        span.origin,
                        span.confidence,
                        span.note,
                        _json_text(span.attributes),
                        entity_id,
                        span.created_at or now,
                        span.updated_at or span.created_at or now,
                        span.version,
                    )
                )
        total = len(rows)
        columns = (
            "uuid",
            "document_id",
            "label_id",
            "annotator_id",
            "start",
            "end",
            "text",
            "status",
            "origin",
            "confidence",
            "note",
            "attributes",
            "entity_id",
            "created_at",
            "updated_at",
            "version",
        )
        step = 10000
        for index in range(0, total, step):
            self._bulk_insert(connection, SPAN, columns, rows[index : index + step])
            if progress:
                progress(min(index + step, total), total)
        summary.spans_added = total
        return {(row[1], row[3]) for row in rows if row[7] == "accepted"}

    def _import_relations(self, connection, batch: ImportBatch, annotators, summary) -> None:
        relations = [
            (relation, document) for document in batch.documents for relation in document.relations
        ]
        if not relations:
            return
        needed = sorted({r.head_uuid for r, _ in relations} | {r.tail_uuid for r, _ in relations})
        ids: dict[str, tuple[int, int]] = {}
        for chunk in _chunks(needed):
            for span_uuid, span_id, document_id in connection.execute(
                select(SPAN.c.uuid, SPAN.c.id, SPAN.c.document_id).where(SPAN.c.uuid.in_(chunk))
            ):
                ids[span_uuid] = (span_id, document_id)
        relation_uuids = [r.uuid for r, _ in relations if r.uuid]
        existing: set[str] = set()
        for chunk in _chunks(relation_uuids):
            existing.update(
                connection.execute(
                    select(RELATION.c.uuid).where(RELATION.c.uuid.in_(chunk))
                ).scalars()
            )
        present = (
            set(
                connection.execute(
                    select(RELATION.c.head_id, RELATION.c.tail_id, RELATION.c.type)
                ).all()
            )
            if existing or relation_uuids
            else set()
        )
        rows = []
        now = utcnow()
        for relation, document in relations:
            where = relation.where or document.where or "relation"
            for end in (relation.head_uuid, relation.tail_uuid):
                if end not in ids:
                    raise SpanError(f"{where}: relation points at span {end!r}, which is not there")
            head_id, head_document = ids[relation.head_uuid]
            tail_id, tail_document = ids[relation.tail_uuid]
            if head_document != tail_document:
                raise SpanError(f"{where}: a relation links spans of two different documents")
            if relation.uuid and relation.uuid in existing:
                continue
            key = (head_id, tail_id, relation.type)
            if key in present:
                continue
            present.add(key)
            relation_uuid = relation.uuid or new_uuid()
            existing.add(relation_uuid)
            rows.append(
                {
                    "uuid": relation_uuid,
                    "type": relation.type,
                    "head_id": head_id,
                    "tail_id": tail_id,
                    "annotator_id": annotators(relation.annotator),
                    "created_at": relation.created_at or now,
                }
            )
        if rows:
            connection.execute(insert(RELATION), rows)
        summary.relations_added = len(rows)

    def _import_states_and_reviews(self, connection, batch, document_ids, annotators) -> None:
        states = []
        reviews = []
        now = utcnow()
        for document, document_id in zip(batch.documents, document_ids, strict=True):
            for state in document.states:
                if state.status not in DOCUMENT_STATUSES:
                    raise SpanError(
                        f"{document.where or 'document'}: unknown document status {state.status!r}"
                    )
                states.append(
                    {
                        "document_id": document_id,
                        "annotator_id": annotators(state.annotator),
                        "status": state.status,
                        "updated_at": state.updated_at or now,
                    }
                )
            for review in document.reviews:
                reviews.append(
                    {
                        "uuid": review.uuid or new_uuid(),
                        "document_id": document_id,
                        "reviewer_id": annotators(review.reviewer),
                        "kind": review.kind,
                        "action": review.action,
                        "candidates": review.candidates,
                        "outcome_uuid": review.outcome_uuid,
                        "note": review.note,
                        "created_at": review.created_at or now,
                    }
                )
        self._bulk_insert(
            connection,
            STATE,
            ("document_id", "annotator_id", "status", "updated_at"),
            [(r["document_id"], r["annotator_id"], r["status"], r["updated_at"]) for r in states],
            "ON CONFLICT (document_id, annotator_id) DO UPDATE SET status = excluded.status, "
            "updated_at = excluded.updated_at",
        )
        if reviews:
            existing = set()
            for chunk in _chunks([review["uuid"] for review in reviews]):
                existing.update(
                    connection.execute(
                        select(REVIEW.c.uuid).where(REVIEW.c.uuid.in_(chunk))
                    ).scalars()
                )
            fresh = [review for review in reviews if review["uuid"] not in existing]
            if fresh:
                connection.execute(insert(REVIEW), fresh)

    # --- export -----------------------------------------------------------------------------

    def _filtered_span_query(self, flt: ExportFilter):
        query = _span_select()
        if flt.gold:
            query = query.where(ANNOTATOR.c.is_gold.is_(True))
        elif flt.annotators:
            query = query.where(ANNOTATOR.c.name.in_(flt.annotators))
        if flt.labels:
            query = query.where(func.lower(LABEL.c.name).in_([name.lower() for name in flt.labels]))
        if flt.statuses:
            query = query.where(SPAN.c.status.in_(flt.statuses))
        return query

    def export_documents(
        self,
        flt: ExportFilter | None = None,
        *,
        only_with_spans: bool = False,
        chunk: int = 200,
    ) -> Iterator[ExportDocument]:
        """Documents in project order with the spans, relations, states and reviews that pass
        ``flt``. Read in chunks of documents, so memory stays flat on large projects."""
        flt = flt or ExportFilter()
        span_query = self._filtered_span_query(flt)
        relation_query, head, tail = _relation_select()
        with self._read() as connection:
            ids_query = select(DOC.c.id).order_by(DOC.c.id)
            if flt.document_ids:
                ids_query = ids_query.where(DOC.c.id.in_(flt.document_ids))
            if only_with_spans:
                ids_query = ids_query.where(
                    DOC.c.id.in_(
                        span_query.with_only_columns(SPAN.c.document_id)
                        .distinct()
                        .scalar_subquery()
                    )
                )
            ids = list(connection.execute(ids_query).scalars())
            annotator_names = None
            if flt.gold:
                annotator_names = set(
                    connection.execute(
                        select(ANNOTATOR.c.name).where(ANNOTATOR.c.is_gold.is_(True))
                    ).scalars()
                )
            elif flt.annotators:
                annotator_names = set(flt.annotators)
            for block in _chunks(ids, chunk):
                documents = [
                    _document_record(row)
                    for row in connection.execute(
                        select(DOC).where(DOC.c.id.in_(block)).order_by(DOC.c.id)
                    ).all()
                ]
                spans: dict[int, list[SpanRecord]] = defaultdict(list)
                for row in connection.execute(
                    span_query.where(SPAN.c.document_id.in_(block)).order_by(*_span_order())
                ).all():
                    spans[row[2]].append(_span_record(row))
                relations: dict[int, list[RelationRecord]] = defaultdict(list)
                for row in connection.execute(
                    relation_query.add_columns(head.c.document_id)
                    .where(head.c.document_id.in_(block))
                    .order_by(RELATION.c.id)
                ).all():
                    relations[row[-1]].append(RelationRecord(*row[:-1]))
                states: dict[int, list[DocumentStateRecord]] = defaultdict(list)
                for document_id, annotator, status, updated_at in connection.execute(
                    select(
                        STATE.c.document_id, ANNOTATOR.c.name, STATE.c.status, STATE.c.updated_at
                    )
                    .join(ANNOTATOR, ANNOTATOR.c.id == STATE.c.annotator_id)
                    .where(STATE.c.document_id.in_(block))
                    .order_by(ANNOTATOR.c.name)
                ).all():
                    if annotator_names is None or annotator in annotator_names:
                        states[document_id].append(
                            DocumentStateRecord(document_id, annotator, status, updated_at)
                        )
                reviews: dict[int, list[ReviewDecisionRecord]] = defaultdict(list)
                if annotator_names is None or flt.gold:
                    for decision in self._decisions(connection, REVIEW.c.document_id.in_(block)):
                        reviews[decision.document_id].append(decision)
                for document in documents:
                    kept = spans.get(document.id, [])
                    kept_uuids = {span.uuid for span in kept}
                    yield ExportDocument(
                        document=document,
                        spans=kept,
                        relations=[
                            relation
                            for relation in relations.get(document.id, [])
                            if relation.head_uuid in kept_uuids and relation.tail_uuid in kept_uuids
                        ],
                        states=states.get(document.id, []),
                        reviews=reviews.get(document.id, []),
                    )

    def export_counts(self, flt: ExportFilter | None = None) -> tuple[int, int]:
        """(documents, spans) an export with ``flt`` would write: for progress bars."""
        flt = flt or ExportFilter()
        query = self._filtered_span_query(flt)
        with self._read() as connection:
            documents = connection.execute(select(func.count()).select_from(DOC)).scalar_one()
            spans = connection.execute(
                select(func.count()).select_from(query.subquery())
            ).scalar_one()
        return documents, spans

    # --- dataset formats ---------------------------------------------------------------------

    def count_export_relations(self, flt: ExportFilter | None = None) -> int:
        """How many relations an export with ``flt`` keeps (both spans pass the filter): a
        format whose layout depends on relations (doccano) decides before writing."""
        flt = flt or ExportFilter()
        kept = self._filtered_span_query(flt).with_only_columns(SPAN.c.id)
        if flt.document_ids:
            kept = kept.where(SPAN.c.document_id.in_(flt.document_ids))
        query = (
            select(func.count())
            .select_from(RELATION)
            .where(RELATION.c.head_id.in_(kept), RELATION.c.tail_id.in_(kept))
        )
        with self._read() as connection:
            return connection.execute(query).scalar_one()

    # --- review: comparing annotators, adjudication ------------------------------------------

    def annotated_documents(
        self, annotator_ids: Sequence[int], document_ids: Sequence[int] | None = None
    ) -> dict[int, set[int]]:
        """Per annotator id, the documents they have annotated: those where they have an
        accepted span or a document state of in progress or done.

        Agreement measures count an annotator's silence on such a document as "no span
        here", and on any other document as a missing value.
        """
        result: dict[int, set[int]] = {annotator_id: set() for annotator_id in annotator_ids}
        if not annotator_ids:
            return result
        spans = select(SPAN.c.annotator_id, SPAN.c.document_id).where(
            SPAN.c.annotator_id.in_(annotator_ids), SPAN.c.status == "accepted"
        )
        states = select(STATE.c.annotator_id, STATE.c.document_id).where(
            STATE.c.annotator_id.in_(annotator_ids), STATE.c.status.in_(("in_progress", "done"))
        )
        wanted = None if document_ids is None else set(document_ids)
        with self._read() as connection:
            for query in (spans.distinct(), states):
                for annotator_id, document_id in connection.execute(query):
                    if wanted is None or document_id in wanted:
                        result[annotator_id].add(document_id)
        return result

    def record_decisions(
        self, reviewer_id: int, decisions: Sequence[dict[str, Any]]
    ) -> list[tuple[ReviewDecisionRecord, list[SpanRecord], list[DeletedSpan]]]:
        """Settle many review items in one transaction (accepting every agreed span at once).

        Each entry holds ``document_id`` and the keyword arguments of
        :meth:`record_decision` (kind, action, candidates, gold_spans, remove_gold, note).
        Returns, per entry, the decision, the gold spans written and the gold spans removed.
        """
        results = []
        with self._write() as connection:
            gold_id = self._annotator_id(connection, GOLD, True)
            labels = self._label_ids(connection, create=False)
            texts: dict[int, str] = {}
            for entry in decisions:
                document_id = entry["document_id"]
                if document_id not in texts:
                    text = connection.execute(
                        select(DOC.c.text).where(DOC.c.id == document_id)
                    ).scalar()
                    if text is None:
                        raise StoreError(f"no document with id {document_id}")
                    texts[document_id] = text
                results.append(
                    self._write_decision(
                        connection, gold_id, labels, texts[document_id], reviewer_id, entry
                    )
                )
            self._mark_started(
                connection,
                [(entry["document_id"], gold_id) for entry in decisions if entry.get("gold_spans")],
            )
        return results

    def _write_decision(
        self, connection: Connection, gold_id: int, labels, text: str, reviewer_id: int, entry
    ) -> tuple[ReviewDecisionRecord, list[SpanRecord], list[DeletedSpan]]:
        removed: list[DeletedSpan] = []
        for span_uuid in entry.get("remove_gold", ()):
            span = self._get_span(connection, span_uuid)
            if span.annotator_id != gold_id:
                raise StoreError("a review removes gold spans only")
            connection.execute(delete(SPAN).where(SPAN.c.id == span.id))
            removed.append(DeletedSpan(span, ()))
        written: list[str] = []
        now = utcnow()
        for span in entry.get("gold_spans", ()):
            if not 0 <= span.start < span.end <= len(text):
                raise SpanError(f"span {span.start}-{span.end} does not fit the document")
            span_uuid = span.uuid or new_uuid()
            connection.execute(
                insert(SPAN).values(
                    uuid=span_uuid,
                    document_id=entry["document_id"],
                    label_id=labels(span.label),
                    annotator_id=gold_id,
                    start=span.start,
                    end=span.end,
                    text=text[span.start : span.end],
                    status="accepted",
                    origin="review",
                    confidence=span.confidence,
                    note=span.note,
                    attributes=span.attributes,
                    entity_id=self._entity_id(connection, span.entity_uuid),
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
            written.append(span_uuid)
        decision_uuid = new_uuid()
        connection.execute(
            insert(REVIEW).values(
                uuid=decision_uuid,
                document_id=entry["document_id"],
                reviewer_id=reviewer_id,
                kind=entry["kind"],
                action=entry["action"],
                candidates=entry.get("candidates", []),
                outcome_uuid=written[0] if written else None,
                note=entry.get("note", ""),
                created_at=now,
            )
        )
        decision = self._decisions(connection, REVIEW.c.uuid == decision_uuid)[0]
        return decision, self._spans_by_uuid(connection, written), removed

    def undo_decisions(
        self,
        decision_uuids: Sequence[str],
        gold_uuids: Sequence[str],
        restore: Sequence[DeletedSpan] = (),
    ) -> None:
        """Take back several review decisions in one transaction: delete their records and
        the gold spans they wrote, and put back the gold spans they removed (without
        relations: a review keeps none of a removed gold span's)."""
        with self._write() as connection:
            for chunk in _chunks(list(decision_uuids)):
                connection.execute(delete(REVIEW).where(REVIEW.c.uuid.in_(chunk)))
            for chunk in _chunks(list(gold_uuids)):
                connection.execute(delete(SPAN).where(SPAN.c.uuid.in_(chunk)))
            for item in restore:
                self._insert_snapshot(connection, item.span)

    # --- suggestions and training ------------------------------------------------------------

    def span_texts(
        self, label: str, *, statuses: Sequence[str] = ("accepted",)
    ) -> list[tuple[str, str | None]]:
        """The distinct covered texts of spans with ``label`` (any case), each with the
        entity its span links to (None when unlinked): the names actor propagation looks for."""
        query = (
            select(SPAN.c.text, ENTITY.c.uuid)
            .select_from(SPAN)
            .join(LABEL, LABEL.c.id == SPAN.c.label_id)
            .outerjoin(ENTITY, ENTITY.c.id == SPAN.c.entity_id)
            .where(func.lower(LABEL.c.name) == label.lower(), SPAN.c.status.in_(statuses))
            .distinct()
        )
        with self._read() as connection:
            return sorted(
                ((text, entity_uuid) for text, entity_uuid in connection.execute(query)),
                key=lambda row: (row[0], row[1] or ""),
            )

    def discard_suggestions(self, span_uuids: Sequence[str]) -> int:
        """Delete the spans named that are still pending suggestions; returns how many.

        A suggestion the analyst accepted or rejected in the meantime is left alone, so a
        background job can clear stale suggestions without racing the analyst's keys.
        """
        total = 0
        with self._write() as connection:
            for chunk in _chunks(list(span_uuids)):
                total += connection.execute(
                    delete(SPAN).where(SPAN.c.uuid.in_(chunk), SPAN.c.status == "suggested")
                ).rowcount
        return total

    # --- the document overview of ``dossier documents`` ---------------------------------------

    def document_progress(
        self, *, statuses: Sequence[str] = ("accepted",)
    ) -> dict[int, dict[str, tuple[int, str]]]:
        """Per document id, per annotator name: (spans with ``statuses``, progress status).

        Only annotators with such a span or a recorded progress on a document are listed
        for it; progress is ``not_started`` where none was recorded.
        """
        counts = (
            select(SPAN.c.document_id, ANNOTATOR.c.name, func.count())
            .select_from(SPAN)
            .join(ANNOTATOR, ANNOTATOR.c.id == SPAN.c.annotator_id)
            .where(SPAN.c.status.in_(statuses))
            .group_by(SPAN.c.document_id, ANNOTATOR.c.name)
        )
        states = (
            select(STATE.c.document_id, ANNOTATOR.c.name, STATE.c.status)
            .select_from(STATE)
            .join(ANNOTATOR, ANNOTATOR.c.id == STATE.c.annotator_id)
        )
        result: dict[int, dict[str, tuple[int, str]]] = defaultdict(dict)
        with self._read() as connection:
            for document_id, name, count in connection.execute(counts):
                result[document_id][name] = (count, "not_started")
            for document_id, name, status in connection.execute(states):
                count = result[document_id].get(name, (0, status))[0]
                result[document_id][name] = (count, status)
        return dict(result)
