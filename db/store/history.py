"""The history of every change (read from the ``history`` table that triggers write; see
``db.triggers``), and restoring a row to the state one entry recorded.

A restore is one transaction, checked against the row as it is now, and is recorded in
the history itself like any other change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from db.records import HistoryEntry, RelationRecord, Restored
from db.store.base import (
    ANNOTATOR,
    DOC,
    ENTITY,
    LABEL,
    RELATION,
    REVIEW,
    SPAN,
    ConflictError,
    LabelInUseError,
    StoreBase,
    StoreError,
)
from db.store.relations import built_relation_select
from db.store.spans import NEW_SPAN_COLUMNS
from db.tables import History, utcnow

HISTORY = History.__table__
STATES = ("before", "after")
# The columns of a span that a restore puts back (its id, uuid, document and times are
# bookkeeping; the version moves on, so that anyone holding the span sees a conflict).
SPAN_FIELDS = tuple(
    column
    for column in NEW_SPAN_COLUMNS
    if column not in ("uuid", "document_id", "created_at", "updated_at", "version")
)
LABEL_FIELDS = ("name", "kind", "colour", "shortcut", "description", "position", "schema")


def _entry(row) -> HistoryEntry:
    return HistoryEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        login=row.login,
        kind=row.kind,
        op=row.op,
        key=row.key,
        document_id=row.document_id,
        before=row.before,
        after=row.after,
    )


class HistoryMixin(StoreBase):
    def history(
        self,
        *,
        document_id: int | None = None,
        key: str | None = None,
        since: str | None = None,
        limit: int | None = None,
        after_id: int | None = None,
        before_id: int | None = None,
    ) -> list[HistoryEntry]:
        """Recorded changes, oldest first: of one document, of one row (``key``: a span's,
        relation's or review decision's uuid, a label's id as text), at or after ``since``
        (an ISO 8601 UTC time or date, compared as text), after the entry ``after_id`` and
        before the entry ``before_id`` (a page of older ones). ``limit`` keeps the newest
        that many."""
        query = select(HISTORY)
        if document_id is not None:
            query = query.where(HISTORY.c.document_id == document_id)
        if key is not None:
            query = query.where(HISTORY.c.key == key)
        if since is not None:
            query = query.where(HISTORY.c.at >= since)
        if after_id is not None:
            query = query.where(HISTORY.c.id > after_id)
        if before_id is not None:
            query = query.where(HISTORY.c.id < before_id)
        query = query.order_by(HISTORY.c.id.desc() if limit is not None else HISTORY.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as connection:
            entries = [_entry(row) for row in connection.execute(query)]
        return entries[::-1] if limit is not None else entries

    def history_entry(self, entry_id: int) -> HistoryEntry | None:
        with self._read() as connection:
            row = connection.execute(select(HISTORY).where(HISTORY.c.id == entry_id)).first()
        return _entry(row) if row else None

    def restore_history(self, entry_id: int, *, state: str = "before") -> Restored:
        """Put the row of a history entry back as it was ``before`` the change or ``after``
        it, in one transaction: a span's label, offsets, text, status, note, attributes
        and actor link (a deleted span comes back with its uuid; one that did not exist
        yet is deleted), a relation re-inserted or deleted, a label's fields and schema,
        a deleted review decision. Raises :class:`StoreError` (nothing written) when it
        cannot be done, :class:`ConflictError` when the row changed while restoring."""
        if state not in STATES:
            raise StoreError(f"restore the state 'before' or 'after' a change, not {state!r}")
        with self._write() as connection:
            row = connection.execute(select(HISTORY).where(HISTORY.c.id == entry_id)).first()
            if row is None:
                raise StoreError(f"there is no change {entry_id} in the history")
            entry = _entry(row)
            target = entry.before if state == "before" else entry.after
            restore = {
                "span": self._restore_span_state,
                "relation": self._restore_relation_state,
                "label": self._restore_label_state,
                "review": self._restore_review_state,
            }.get(entry.kind)
            if restore is None:
                raise StoreError(f"change {entry_id} is of an unknown kind {entry.kind!r}")
            return restore(connection, entry, target)

    # --- spans -------------------------------------------------------------------------------

    def _restore_span_state(
        self, connection: Connection, entry: HistoryEntry, target: dict[str, Any] | None
    ) -> Restored:
        self._lock_spans(connection, [entry.key])
        found = self._spans_by_uuid(connection, [entry.key])
        current = found[0] if found else None
        if target is None:
            if current is None:
                return Restored(entry.document_id)
            query, _, _ = built_relation_select()
            relations = [
                row.uuid
                for row in connection.execute(
                    query.where(
                        (RELATION.c.head_id == current.id) | (RELATION.c.tail_id == current.id)
                    )
                )
            ]
            result = connection.execute(
                delete(SPAN).where(SPAN.c.id == current.id, SPAN.c.version == current.version)
            )
            if result.rowcount != 1:
                raise ConflictError(f"span “{current.text[:40]}” was changed elsewhere")
            return Restored(
                current.document_id, removed=(current.uuid,), relations_removed=tuple(relations)
            )
        values = self._span_values(connection, target)
        now = utcnow()
        if current is not None:
            result = connection.execute(
                update(SPAN)
                .where(SPAN.c.id == current.id, SPAN.c.version == current.version)
                .values(**values, updated_at=now, version=current.version + 1)
            )
            if result.rowcount != 1:
                raise ConflictError(f"span “{current.text[:40]}” was changed elsewhere")
            return Restored(
                current.document_id, updated=tuple(self._spans_by_uuid(connection, [entry.key]))
            )
        taken = connection.execute(select(SPAN.c.id).where(SPAN.c.id == target["id"])).first()
        connection.execute(
            insert(SPAN).values(
                **({} if taken else {"id": target["id"]}),
                uuid=entry.key,
                document_id=target["document_id"],
                **values,
                created_at=target.get("created_at") or now,
                updated_at=now,
                version=int(target.get("version") or 0) + 1,
            )
        )
        return Restored(
            target["document_id"], added=tuple(self._spans_by_uuid(connection, [entry.key]))
        )

    def _span_values(self, connection: Connection, target: dict[str, Any]) -> dict[str, Any]:
        """The columns of a span as ``target`` has them, checked against the project now:
        its document, label, annotator and actor must still be there, and its text must
        still be what the document holds at its offsets."""
        values = {name: target.get(name) for name in SPAN_FIELDS}
        values["attributes"] = values["attributes"] or {}
        values["note"] = values["note"] or ""
        document_id = target["document_id"]
        if connection.execute(select(DOC.c.id).where(DOC.c.id == document_id)).first() is None:
            raise StoreError(f"document {document_id} of this span was deleted")
        label = connection.execute(
            select(LABEL.c.id).where(LABEL.c.id == values["label_id"])
        ).first()
        if label is None:
            raise StoreError(
                f"the label of this span (id {values['label_id']}) was removed: "
                "restore the label first"
            )
        annotator = connection.execute(
            select(ANNOTATOR.c.id).where(ANNOTATOR.c.id == values["annotator_id"])
        ).first()
        if annotator is None:
            raise StoreError(f"the annotator of this span (id {values['annotator_id']}) is gone")
        entity_id = values["entity_id"]
        if entity_id is not None and (
            connection.execute(select(ENTITY.c.id).where(ENTITY.c.id == entity_id)).first() is None
        ):
            raise StoreError(f"the actor this span was linked to (id {entity_id}) was deleted")
        covered = self._covered_text(connection, document_id, values["start"], values["end"])
        if covered != values["text"]:
            raise StoreError(
                f"the text at {values['start']}–{values['end']} is no longer "
                f"“{values['text'][:40]}”"
            )
        self._check_attributes(self._schemas(connection), values["label_id"], values["attributes"])
        return values

    # --- relations ---------------------------------------------------------------------------

    def _restore_relation_state(
        self, connection: Connection, entry: HistoryEntry, target: dict[str, Any] | None
    ) -> Restored:
        query, head, _ = built_relation_select()
        row = connection.execute(query.where(RELATION.c.uuid == entry.key)).first()
        if target is None:
            if row is None:
                return Restored(entry.document_id)
            connection.execute(delete(RELATION).where(RELATION.c.uuid == entry.key))
            document_id = connection.execute(
                select(SPAN.c.document_id).where(SPAN.c.uuid == row[3])
            ).scalar()
            return Restored(document_id, relations_removed=(entry.key,))
        if row is not None:
            return Restored(entry.document_id)  # relations do not change once made
        ends = []
        for side in ("head_id", "tail_id"):
            span_uuid = self._span_uuid_then(connection, target[side], entry.id)
            span_id = (
                connection.execute(select(SPAN.c.id).where(SPAN.c.uuid == span_uuid)).scalar()
                if span_uuid
                else None
            )
            if span_id is None:
                which = "head" if side == "head_id" else "tail"
                raise StoreError(
                    f"the {which} span of this {target['type']} relation no longer exists: "
                    "restore the span first"
                )
            ends.append(span_id)
        if (
            connection.execute(
                select(ANNOTATOR.c.id).where(ANNOTATOR.c.id == target["annotator_id"])
            ).first()
            is None
        ):
            raise StoreError(
                f"the annotator of this relation (id {target['annotator_id']}) is gone"
            )
        taken = connection.execute(
            select(RELATION.c.id).where(RELATION.c.id == target["id"])
        ).first()
        connection.execute(
            insert(RELATION).values(
                **({} if taken else {"id": target["id"]}),
                uuid=entry.key,
                type=target["type"],
                head_id=ends[0],
                tail_id=ends[1],
                annotator_id=target["annotator_id"],
                created_at=target.get("created_at") or utcnow(),
            )
        )
        row = connection.execute(query.where(RELATION.c.uuid == entry.key)).first()
        document_id = connection.execute(
            select(SPAN.c.document_id).where(SPAN.c.id == ends[0])
        ).scalar()
        return Restored(document_id, relations_added=(RelationRecord(*row),))

    def _span_uuid_then(self, connection: Connection, span_id: int, entry_id: int) -> str | None:
        """The uuid of the span that had ``span_id`` when entry ``entry_id`` was recorded:
        ids of deleted spans can be given again, uuids never are. Read from the latest span
        entry up to then, else from the span that has the id now."""
        before_id = HISTORY.c.before["id"].as_integer()
        after_id = HISTORY.c.after["id"].as_integer()
        for order, condition in (
            (HISTORY.c.id.desc(), HISTORY.c.id <= entry_id),
            (HISTORY.c.id, HISTORY.c.id > entry_id),
        ):
            found = connection.execute(
                select(HISTORY.c.key)
                .where(
                    HISTORY.c.kind == "span",
                    condition,
                    (before_id == span_id) | (after_id == span_id),
                )
                .order_by(order)
                .limit(1)
            ).scalar()
            if found is not None:
                return found
        return connection.execute(select(SPAN.c.uuid).where(SPAN.c.id == span_id)).scalar()

    # --- labels ------------------------------------------------------------------------------

    def _restore_label_state(
        self, connection: Connection, entry: HistoryEntry, target: dict[str, Any] | None
    ) -> Restored:
        label_id = int(entry.key)
        current = connection.execute(select(LABEL).where(LABEL.c.id == label_id)).first()
        if target is None:
            if current is None:
                return Restored(None)
            used = connection.execute(
                select(func.count()).select_from(SPAN).where(SPAN.c.label_id == label_id)
            ).scalar_one()
            if used:
                raise LabelInUseError(current.name, used)
            connection.execute(delete(LABEL).where(LABEL.c.id == label_id))
            return Restored(None, labels_changed=True)
        values = {name: target.get(name) for name in LABEL_FIELDS}
        values["schema"] = values["schema"] or {}
        self._check_label_fields(
            connection, values["name"], values["shortcut"], label_id if current else None
        )
        if current is not None:
            self._rename_targets(connection, label_id, values["name"])
            connection.execute(update(LABEL).where(LABEL.c.id == label_id).values(**values))
        else:
            connection.execute(insert(LABEL).values(id=label_id, **values))
        return Restored(None, labels_changed=True)

    # --- review decisions --------------------------------------------------------------------

    def _restore_review_state(
        self, connection: Connection, entry: HistoryEntry, target: dict[str, Any] | None
    ) -> Restored:
        if entry.op == "update":
            raise StoreError(
                "a change to a review decision cannot be restored: take the decision back "
                "and decide again in Review"
            )
        exists = connection.execute(select(REVIEW.c.id).where(REVIEW.c.uuid == entry.key)).first()
        if target is None:
            if exists is None:
                return Restored(entry.document_id)
            connection.execute(delete(REVIEW).where(REVIEW.c.uuid == entry.key))
            return Restored(entry.document_id, reviews_changed=True)
        if exists is not None:
            return Restored(entry.document_id)
        document_id = target["document_id"]
        if connection.execute(select(DOC.c.id).where(DOC.c.id == document_id)).first() is None:
            raise StoreError(f"document {document_id} of this review decision was deleted")
        if (
            connection.execute(
                select(ANNOTATOR.c.id).where(ANNOTATOR.c.id == target["reviewer_id"])
            ).first()
            is None
        ):
            raise StoreError(f"the reviewer of this decision (id {target['reviewer_id']}) is gone")
        taken = connection.execute(select(REVIEW.c.id).where(REVIEW.c.id == target["id"])).first()
        connection.execute(
            insert(REVIEW).values(
                **({} if taken else {"id": target["id"]}),
                uuid=entry.key,
                document_id=document_id,
                reviewer_id=target["reviewer_id"],
                kind=target["kind"],
                action=target["action"],
                candidates=target.get("candidates") or [],
                outcome_uuid=target.get("outcome_uuid"),
                note=target.get("note") or "",
                created_at=target.get("created_at") or utcnow(),
            )
        )
        return Restored(document_id, reviews_changed=True)
