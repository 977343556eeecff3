"""Documents, each annotator's progress on them, and the project's counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    func,
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
    document_record,
)
from db.tables import (
    DOCUMENT_STATUSES,
    utcnow,
)


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
    ) -> None:
        """An accepted span starts a document for its annotator: not started becomes in
        progress, done stays done. One statement, so two sessions making the annotator's
        first span on a document at once both succeed."""
        quote = connection.dialect.identifier_preparer.quote
        self._bulk_insert(
            connection,
            STATE,
            ("document_id", "annotator_id", "status", "updated_at"),
            [(document_id, annotator_id, "in_progress", utcnow())],
            "ON CONFLICT (document_id, annotator_id) DO UPDATE SET "
            "status = excluded.status, updated_at = excluded.updated_at "
            f"WHERE {quote(STATE.name)}.status = 'not_started'",
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
