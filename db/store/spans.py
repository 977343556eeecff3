"""Spans: reading them, and every edit a person makes to one, undo included."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from db.records import (
    DeletedSpan,
    NewSpan,
    RelationRecord,
    SpanRecord,
)
from db.store.base import (
    DOC,
    LABEL,
    RELATION,
    SPAN,
    ConflictError,
    SpanError,
    StoreBase,
    StoreError,
    check_unchanged,
    chunks,
    new_uuid,
    relation_select,
    span_order,
    span_record,
    span_select,
)
from db.tables import (
    SPAN_ORIGINS,
    SPAN_STATUSES,
    utcnow,
)


class SpansMixin(StoreBase):
    def spans(
        self,
        document_id: int,
        *,
        annotator_ids: Sequence[int] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[SpanRecord]:
        """The spans of a document, ordered by position; optionally only some annotators'
        or some statuses."""
        query = span_select().where(SPAN.c.document_id == document_id)
        if annotator_ids is not None:
            query = query.where(SPAN.c.annotator_id.in_(annotator_ids))
        if statuses is not None:
            query = query.where(SPAN.c.status.in_(statuses))
        with self._read() as connection:
            rows = connection.execute(query.order_by(*span_order())).all()
        return [span_record(row) for row in rows]

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
        query = span_select().where(
            SPAN.c.document_id == document_id, SPAN.c.start < end, SPAN.c.end > start
        )
        if annotator_ids is not None:
            query = query.where(SPAN.c.annotator_id.in_(annotator_ids))
        if statuses is not None:
            query = query.where(SPAN.c.status.in_(statuses))
        with self._read() as connection:
            rows = connection.execute(query.order_by(*span_order())).all()
        return [span_record(row) for row in rows]

    def span(self, span_uuid: str) -> SpanRecord | None:
        with self._read() as connection:
            row = connection.execute(span_select().where(SPAN.c.uuid == span_uuid)).first()
        return span_record(row) if row else None

    def _get_span(self, connection: Connection, span_uuid: str) -> SpanRecord:
        row = connection.execute(span_select().where(SPAN.c.uuid == span_uuid)).first()
        if row is None:
            raise ConflictError(f"span {span_uuid} no longer exists")
        return span_record(row)

    def _spans_by_uuid(self, connection: Connection, uuids: Sequence[str]) -> list[SpanRecord]:
        found: dict[str, SpanRecord] = {}
        for chunk in chunks(uuids):
            for row in connection.execute(span_select().where(SPAN.c.uuid.in_(chunk))):
                record = span_record(row)
                found[record.uuid] = record
        return [found[value] for value in uuids if value in found]

    def spans_where(
        self,
        *,
        annotator_ids: Sequence[int] | None = None,
        labels: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        document_ids: Sequence[int] | None = None,
    ) -> list[SpanRecord]:
        """Spans across documents, ordered by document and position."""
        query = span_select()
        if annotator_ids is not None:
            query = query.where(SPAN.c.annotator_id.in_(annotator_ids))
        if labels is not None:
            query = query.where(func.lower(LABEL.c.name).in_([name.lower() for name in labels]))
        if statuses is not None:
            query = query.where(SPAN.c.status.in_(statuses))
        with self._read() as connection:
            if document_ids is None:
                rows = connection.execute(query.order_by(*span_order()))
                return [span_record(row) for row in rows]
            result: list[SpanRecord] = []
            for chunk in chunks(sorted(set(document_ids))):
                rows = connection.execute(
                    query.where(SPAN.c.document_id.in_(chunk)).order_by(*span_order())
                )
                result.extend(span_record(row) for row in rows)
            return result

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

    @staticmethod
    def _check_status(status: str, origin: str) -> None:
        if status not in SPAN_STATUSES:
            raise SpanError(f"unknown span status {status!r} (one of {', '.join(SPAN_STATUSES)})")
        if origin not in SPAN_ORIGINS:
            raise SpanError(f"unknown span origin {origin!r} (one of {', '.join(SPAN_ORIGINS)})")

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
            self._check_attributes(self._schemas(connection), label_id, attributes)
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
            schemas = self._schemas(connection)
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
                self._check_attributes(schemas, label_id, span.attributes, span.where)
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
            check_unchanged(current, expected_version, expected)
            values: dict[str, Any] = {}
            if "entity_uuid" in changes:
                values["entity_id"] = self._entity_id(connection, changes.pop("entity_uuid"))
            values.update(changes)
            self._check_status(
                values.get("status", current.status), values.get("origin", current.origin)
            )
            if (
                "attributes" in values
                or values.get("label_id", current.label_id) != current.label_id
            ):
                # A relabelled span keeps its values only where the new label allows them.
                self._check_attributes(
                    self._schemas(connection),
                    values.get("label_id", current.label_id),
                    values.get("attributes", current.attributes),
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
            for chunk in chunks(list(span_uuids)):
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
                check_unchanged(span, expected_version, seen.get(span_uuid))
                query, head, tail = relation_select()
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
            check_unchanged(current, expected_version, expected)
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
