"""Documents, each annotator's progress on them, and the project's counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
)

from db.records import (
    DocumentRecord,
    DocumentSummary,
)
from db.store.base import (
    ANNOTATOR,
    DOC,
    LABEL,
    SPAN,
    STATE,
    StoreBase,
    StoreError,
    chunks,
    document_record,
)
from db.tables import (
    DOCUMENT_STATUSES,
    utcnow,
)

# The document list's columns as it sorts them; "list" is the order of import (by id).
LIST_ORDERS = ("list", "title", "source", "date", "spans", "status")
# What the Status column says for each progress, as the filter box matches it.
STATUS_WORDS = {"not_started": "not started", "in_progress": "in progress", "done": "done"}


class DocumentsMixin(StoreBase):
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
                DOC.c.text_length,
                func.coalesce(counts.c.n, 0),
                func.coalesce(state.c.status, "not_started"),
            )
            .outerjoin(counts, counts.c.document_id == DOC.c.id)
            .outerjoin(state, state.c.document_id == DOC.c.id)
            .order_by(DOC.c.id)
        )
        with self._read() as connection:
            return [DocumentSummary(*row) for row in connection.execute(query)]

    def document_order(
        self,
        annotator_id: int | None,
        layer_ids: Sequence[int],
        *,
        order: str = "list",
        descending: bool = False,
        contains: str = "",
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[int]:
        """The ids of the documents the document list shows, in its order.

        ``order`` is one of :data:`LIST_ORDERS`. Titles (``(untitled)`` when empty), sources
        and dates sort by their text with A-Z lowered, code point by code point; spans by
        the accepted spans of ``layer_ids``; status by not started, in progress, done
        (``annotator_id``'s). Ties, in either direction, keep the order of import.
        ``contains`` keeps the documents whose title, source, date, span count or status,
        as the list shows them, contain it, ignoring case. In the order of import only,
        ``after_id`` and ``limit`` read the list a part at a time: the ids after that one.
        """
        if after_id is not None and (order != "list" or descending):
            raise StoreError("only the order of import is read a part at a time")
        with self._read() as connection:
            query = self._ordered_ids(
                connection, annotator_id, layer_ids, order, descending, contains
            )
            if after_id is not None:
                query = query.where(DOC.c.id > after_id)
            if limit is not None:
                query = query.limit(limit)
            return list(connection.execute(query).scalars())

    def _ordered_ids(
        self, connection, annotator_id, layer_ids, order: str, descending: bool, contains: str
    ):
        """The ids of the listed documents that contain ``contains``, in ``order`` (ties
        in the order of import): the query :meth:`document_order` and
        :meth:`document_page` read from."""
        query = self._list_query(
            connection,
            annotator_id,
            layer_ids,
            select(DOC.c.id),
            contains,
            with_state=order == "status" or bool(contains),
        )
        key = self._list_key(connection, annotator_id, layer_ids, order)
        if key is not None:
            query = query.order_by(key.desc() if descending else key)
        return query.order_by(DOC.c.id.desc() if order == "list" and descending else DOC.c.id)

    def document_summaries(
        self, document_ids: Sequence[int], annotator_id: int | None, layer_ids: Sequence[int]
    ) -> list[DocumentSummary]:
        """The list's rows for just these documents, in the order given (a document that
        is no longer there is left out): span counts of the accepted spans of
        ``layer_ids``, and ``annotator_id``'s progress."""
        found: dict[int, DocumentSummary] = {}
        with self._read() as connection:
            for part in chunks(list(document_ids)):
                query = self._list_query(
                    connection,
                    annotator_id,
                    layer_ids,
                    select(
                        DOC.c.id,
                        DOC.c.content_hash,
                        DOC.c.title,
                        DOC.c.source,
                        DOC.c.published,
                        DOC.c.text_length,
                        _span_count(layer_ids),
                        func.coalesce(STATE.c.status, "not_started"),
                    ),
                ).where(DOC.c.id.in_(part))
                for row in connection.execute(query):
                    found[row[0]] = DocumentSummary(*row)
        return [found[i] for i in document_ids if i in found]

    def document_page(
        self,
        annotator_id: int | None,
        layer_ids: Sequence[int],
        *,
        order: str = "list",
        descending: bool = False,
        contains: str = "",
        offset: int = 0,
        limit: int = 100,
    ) -> list[DocumentSummary]:
        """``limit`` rows of the document list from ``offset``, in the order and with the
        filter of :meth:`document_order`."""
        with self._read() as connection:
            query = self._ordered_ids(
                connection, annotator_id, layer_ids, order, descending, contains
            )
            ids = list(connection.execute(query.offset(offset).limit(limit)).scalars())
        return self.document_summaries(ids, annotator_id, layer_ids)

    def count_listed(
        self, annotator_id: int | None, layer_ids: Sequence[int], contains: str = ""
    ) -> int:
        """How many documents the list shows with the filter ``contains`` (see
        :meth:`document_order`)."""
        with self._read() as connection:
            query = self._list_query(
                connection,
                annotator_id,
                layer_ids,
                select(func.count()),
                contains,
                with_state=bool(contains),
            )
            return connection.execute(query).scalar_one()

    def _list_query(
        self,
        connection: Connection,
        annotator_id: int | None,
        layer_ids: Sequence[int],
        query: Select,
        contains: str = "",
        *,
        with_state: bool = True,
    ) -> Select:
        """``query`` over the documents joined to ``annotator_id``'s progress, with the
        filter box's condition when ``contains`` is not empty."""
        if not with_state:
            return query.select_from(DOC)
        state = and_(
            STATE.c.document_id == DOC.c.id,
            STATE.c.annotator_id == (annotator_id if annotator_id is not None else -1),
        )
        query = query.select_from(DOC.outerjoin(STATE, state))
        if contains:
            query = query.where(_filter(connection, contains, layer_ids))
        return query

    def _list_key(
        self,
        connection: Connection,
        annotator_id: int | None,
        layer_ids: Sequence[int],
        order: str,
    ) -> ColumnElement | None:
        if order not in LIST_ORDERS:
            raise StoreError(f"unknown order of the document list {order!r}")
        if order == "list":
            return None
        if order == "spans":
            return _span_count(layer_ids)
        if order == "status":
            return case(
                (STATE.c.status == "in_progress", 1), (STATE.c.status == "done", 2), else_=0
            )
        text = _shown_text(order)
        if connection.dialect.name == "postgresql":
            # The "C" collation: lower() touches A-Z only and the order is by code point,
            # as SQLite's lower() and BINARY collation do.
            return func.lower(text.collate("C")).collate("C")
        return func.lower(text)

    def document(self, document_id: int) -> DocumentRecord:
        with self._read() as connection:
            row = connection.execute(select(DOC).where(DOC.c.id == document_id)).one_or_none()
        if row is None:
            raise StoreError(f"no document with id {document_id}")
        return document_record(row)

    def document_by_hash(self, digest: str) -> DocumentRecord | None:
        with self._read() as connection:
            row = connection.execute(select(DOC).where(DOC.c.content_hash == digest)).first()
        return document_record(row) if row else None

    def document_ids(self) -> list[int]:
        with self._read() as connection:
            return list(connection.execute(select(DOC.c.id).order_by(DOC.c.id)).scalars())

    def delete_document(self, document_id: int) -> None:
        """Remove a document with its spans, relations, states and review decisions."""
        with self._write() as connection:
            result = connection.execute(delete(DOC).where(DOC.c.id == document_id))
            if result.rowcount == 0:
                raise StoreError(f"no document with id {document_id}")
            self._unindex_documents(connection, [document_id])

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

    def _mark_in_progress(
        self, connection: Connection, document_id: int, annotator_id: int
    ) -> bool:
        """An accepted span starts a document for its annotator: not started becomes in
        progress, done stays done. One statement, so two sessions making the annotator's
        first span on a document at once both succeed. True when it started the document."""
        quote = connection.dialect.identifier_preparer.quote
        marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        result = connection.exec_driver_sql(
            f"INSERT INTO {quote(STATE.name)} (document_id, annotator_id, status, updated_at) "
            f"VALUES ({marker}, {marker}, 'in_progress', {marker}) "
            "ON CONFLICT (document_id, annotator_id) DO UPDATE SET "
            "status = excluded.status, updated_at = excluded.updated_at "
            f"WHERE {quote(STATE.name)}.status = 'not_started'",
            (document_id, annotator_id, utcnow()),
        )
        return result.rowcount > 0

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


def _span_count(layer_ids: Sequence[int]) -> ColumnElement:
    """The accepted spans of ``layer_ids`` on the document of the row."""
    return (
        select(func.count())
        .select_from(SPAN)
        .where(
            SPAN.c.document_id == DOC.c.id,
            SPAN.c.annotator_id.in_(list(layer_ids)),
            SPAN.c.status == "accepted",
        )
        .scalar_subquery()
    )


def _shown_text(column: str) -> ColumnElement:
    """A text column of the document list as it shows it."""
    if column == "title":
        return func.coalesce(func.nullif(DOC.c.title, ""), "(untitled)")
    if column == "source":
        return func.coalesce(DOC.c.source, "")
    return func.substr(func.coalesce(DOC.c.published, ""), 1, 10)


def _filter(connection: Connection, contains: str, layer_ids: Sequence[int]) -> ColumnElement:
    """The filter box: a row whose title, source, date, span count or status contains
    ``contains``, ignoring case (Python's lower() on SQLite, the database's on PostgreSQL)."""
    lower = func.dossier_lower if connection.dialect.name == "sqlite" else func.lower
    needle = contains.lower()
    status = case(
        *((STATE.c.status == status, literal(words)) for status, words in STATUS_WORDS.items()),
        else_=literal(STATUS_WORDS["not_started"]),
    )
    conditions = [
        lower(_shown_text(column)).contains(needle, autoescape=True)
        for column in ("title", "source", "date")
    ]
    conditions.append(status.contains(needle, autoescape=True))
    # A span count is digits only: anything else cannot be in one, and counting is the
    # costly part of the filter.
    if needle.isascii() and needle.isdigit():
        conditions.append(cast(_span_count(layer_ids), String).contains(needle, autoescape=True))
    return or_(*conditions)
