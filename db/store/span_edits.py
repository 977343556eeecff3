"""Edits to existing spans: change, delete, put back; one transaction per user action.

Every edit names what it was based on (the version the caller saw, or the span as the
caller saw it) and is refused with :class:`ConflictError` if the span has changed since.
The check and the write happen in one transaction with the span's row held (see
``_lock_spans``), so of two sessions racing on one span exactly one wins. An action on
many spans (accept all, relabel several, a label removed with its spans) is all or
nothing: one refusal, or a crash, leaves every span as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from db.records import DeletedSpan, RelationRecord, SpanRecord
from db.store.base import (
    ANNOTATOR,
    LABEL,
    RELATION,
    SPAN,
    ConflictError,
    StoreBase,
    StoreError,
    check_unchanged,
    chunks,
)
from db.store.relations import built_relation_select
from db.tables import utcnow

EDITABLE = frozenset(
    {
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
)


def _check_fields(changes: dict[str, Any]) -> None:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise StoreError(f"spans have no field {sorted(unknown)[0]!r}")


class SpanEditsMixin(StoreBase):
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
        _check_fields(changes)
        with self._write() as connection:
            self._lock_spans(connection, [span_uuid])
            return self._update(connection, span_uuid, expected_version, expected, changes)

    def update_spans(self, spans: Sequence[SpanRecord], **changes: Any) -> list[SpanRecord]:
        """Make the same change to several spans in one transaction (accept all, relabel
        several): each must still be as ``spans`` has it, or nothing is written."""
        _check_fields(changes)
        with self._write() as connection:
            self._lock_spans(connection, [span.uuid for span in spans])
            schemas = self._schemas(connection)  # read once for every span of the action
            return [
                self._update(connection, span.uuid, None, span, changes, schemas) for span in spans
            ]

    def _update(
        self,
        connection: Connection,
        span_uuid: str,
        expected_version: int | None,
        expected: SpanRecord | None,
        changes: dict[str, Any],
        schemas: dict | None = None,
    ) -> SpanRecord:
        try:
            current = self._get_span(connection, span_uuid)
        except ConflictError as exc:  # deleted: mine is the span as seen, changed
            exc.mine = self._planned(connection, expected, changes)
            raise
        check_unchanged(
            current,
            expected_version,
            expected,
            lambda: self._planned(connection, expected or current, changes),
        )
        values = dict(changes)
        if "note" in values:
            self._check_note(values["note"])
        if "entity_uuid" in values:
            values["entity_id"] = self._entity_id(connection, values.pop("entity_uuid"))
            if values["entity_id"] is not None:
                self._check_entity_label(
                    connection, values["entity_id"], values.get("label_id", current.label_id)
                )
        elif current.entity_uuid is not None and values.get("label_id", current.label_id) != (
            current.label_id
        ):
            # A linked actor relabelled as a claim no longer names the actor: the link goes
            # (and comes back with undo, which puts the span back as it was).
            entity_id = self._entity_id(connection, current.entity_uuid)
            try:
                self._check_entity_label(connection, entity_id, values["label_id"])
            except StoreError:
                values["entity_id"] = None
        self._check_status(
            values.get("status", current.status), values.get("origin", current.origin)
        )
        if "attributes" in values or values.get("label_id", current.label_id) != current.label_id:
            # A relabelled span keeps its values only where the new label allows them.
            self._check_attributes(
                schemas if schemas is not None else self._schemas(connection),
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
            raise ConflictError(
                f"span {span_uuid} was changed elsewhere",
                span_uuid=span_uuid,
                theirs=self._now(connection, span_uuid),
                mine=self._planned(connection, expected or current, changes),
            )
        if values.get("status") == "accepted":
            self._mark_in_progress(
                connection, current.document_id, values.get("annotator_id", current.annotator_id)
            )
        return self._get_span(connection, span_uuid)

    def _now(self, connection: Connection, span_uuid: str) -> SpanRecord | None:
        """The span as it is now (None: deleted): the other side of a conflict."""
        found = self._spans_by_uuid(connection, [span_uuid])
        return found[0] if found else None

    def _planned(
        self, connection: Connection, base: SpanRecord | None, changes: dict[str, Any]
    ) -> SpanRecord | None:
        """What ``changes`` would have made of ``base``: the analyst's side of a conflict
        (None when the span as the analyst saw it is not known)."""
        if base is None:
            return None
        values = {key: value for key, value in changes.items() if key in EDITABLE}
        if values.get("label_id", base.label_id) != base.label_id:
            values["label"] = connection.execute(
                select(LABEL.c.name).where(LABEL.c.id == values["label_id"])
            ).scalar_one_or_none() or str(values["label_id"])
        if values.get("annotator_id", base.annotator_id) != base.annotator_id:
            values["annotator"] = connection.execute(
                select(ANNOTATOR.c.name).where(ANNOTATOR.c.id == values["annotator_id"])
            ).scalar_one_or_none() or str(values["annotator_id"])
        if "start" in values or "end" in values:
            start, end = values.get("start", base.start), values.get("end", base.end)
            try:
                values["text"] = self._covered_text(connection, base.document_id, start, end)
            except StoreError:
                values["text"] = ""  # offsets that do not fit: the write was refused anyway
        return replace(base, **values)

    def set_span_status(self, span_uuids: Sequence[str], status: str) -> list[SpanRecord]:
        """Accept or reject many spans at once, whatever they look like now (scripts)."""
        self._check_status(status, "manual")
        with self._write() as connection:
            self._lock_spans(connection, span_uuids)
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
            self._lock_spans(connection, span_uuids)
            return self._delete(connection, span_uuids, expected_version, seen)

    def _delete(
        self,
        connection: Connection,
        span_uuids: Sequence[str],
        expected_version: int | None,
        seen: dict[str, SpanRecord],
    ) -> list[DeletedSpan]:
        deleted = []
        query, _head, _tail = built_relation_select()
        for span_uuid in span_uuids:
            span = self._get_span(connection, span_uuid)
            check_unchanged(span, expected_version, seen.get(span_uuid), lambda: None)
            relations = tuple(
                RelationRecord(*row)
                for row in connection.execute(
                    # On the relation's own columns, which are indexed: on the joined
                    # spans' ids PostgreSQL reads every relation of the project.
                    query.where(or_(RELATION.c.head_id == span.id, RELATION.c.tail_id == span.id))
                )
            )
            result = connection.execute(
                delete(SPAN).where(SPAN.c.id == span.id, SPAN.c.version == span.version)
            )
            if result.rowcount != 1:
                raise ConflictError(
                    f"span “{span.text[:40]}” was changed elsewhere",
                    span_uuid=span.uuid,
                    theirs=self._now(connection, span.uuid),
                )
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
            return self._restore(connection, deleted)

    def _restore(self, connection: Connection, deleted: Sequence[DeletedSpan]) -> list[SpanRecord]:
        uuids = [item.span.uuid for item in deleted]
        back = self._spans_by_uuid(connection, uuids)
        if back:
            mine = next(item.span for item in deleted if item.span.uuid == back[0].uuid)
            raise ConflictError(
                f"span “{back[0].text[:40]}” is already there: it was put back elsewhere",
                span_uuid=back[0].uuid,
                theirs=back[0],
                mine=mine,
            )
        for item in deleted:
            self._insert_snapshot(connection, item.span)
        seen = set()
        for item in deleted:
            for relation in item.relations:
                if relation.uuid not in seen:
                    seen.add(relation.uuid)
                    self._put_relation(connection, relation)  # both its spans, or none
        return self._spans_by_uuid(connection, uuids)

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
            self._lock_spans(connection, [snapshot.uuid])
            return self._put(connection, snapshot, expected_version, expected)

    def put_spans(
        self, snapshots: Sequence[SpanRecord], expected: Sequence[SpanRecord | None]
    ) -> list[SpanRecord]:
        """:meth:`put_span` for several spans in one transaction: all back, or none."""
        with self._write() as connection:
            self._lock_spans(connection, [snapshot.uuid for snapshot in snapshots])
            return [
                self._put(connection, snapshot, None, seen)
                for snapshot, seen in zip(snapshots, expected, strict=True)
            ]

    def _put(
        self,
        connection: Connection,
        snapshot: SpanRecord,
        expected_version: int | None,
        expected: SpanRecord | None,
    ) -> SpanRecord:
        try:
            current = self._get_span(connection, snapshot.uuid)
        except ConflictError as exc:  # deleted: mine is what was to be put back
            exc.mine = snapshot
            raise
        check_unchanged(current, expected_version, expected, lambda: snapshot)
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
            raise ConflictError(
                f"span {snapshot.uuid} was changed elsewhere",
                span_uuid=snapshot.uuid,
                theirs=self._now(connection, snapshot.uuid),
                mine=snapshot,
            )
        return self._get_span(connection, snapshot.uuid)
