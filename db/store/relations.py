"""Relations between spans."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import (
    Connection,
    delete,
    insert,
    select,
)

from db.records import (
    RelationRecord,
)
from db.store.base import (
    RELATION,
    SPAN,
    ConflictError,
    StoreBase,
    StoreError,
    chunks,
    new_uuid,
    relation_select,
)
from db.tables import (
    utcnow,
)


@cache
def built_relation_select():
    """:func:`relation_select`, built once: its two aliases of the span table take longer to
    build than adding a relation takes to run. Statements are immutable, so it is shared."""
    return relation_select()


class RelationsMixin(StoreBase):
    def add_relation(
        self,
        head_uuid: str,
        tail_uuid: str,
        type: str,  # noqa: A002 - the relation's field
        annotator_id: int,
        relation_uuid: str | None = None,
        *,
        replaces: Sequence[str] = (),
    ) -> RelationRecord:
        """Link two spans of the same document with a typed relation.

        The head's label schema, when it declares ``type``, says which labels the tail may
        carry and whether the head may have several; ``replaces`` names relations removed
        in the same transaction (a claim's new source replacing its old one).
        """
        with self._write() as connection:
            # Hold both spans: a colleague's relabel or delete waits, and so does another
            # relation to the same head (a claim has one source, not two racing ones).
            self._lock_spans(connection, [head_uuid, tail_uuid])
            rows = {
                row.uuid: row
                for row in connection.execute(
                    select(SPAN.c.uuid, SPAN.c.id, SPAN.c.document_id, SPAN.c.label_id).where(
                        SPAN.c.uuid.in_([head_uuid, tail_uuid])
                    )
                )
            }
            if head_uuid not in rows or tail_uuid not in rows:
                raise StoreError("a relation needs two existing spans")
            head, tail = rows[head_uuid], rows[tail_uuid]
            if head.document_id != tail.document_id:
                raise StoreError("a relation links two spans of the same document")
            if head_uuid == tail_uuid:
                raise StoreError("a relation links two different spans")
            schemas = self._schemas(connection)
            self._check_relation_labels(schemas, type, head.label_id, tail.label_id)
            for chunk in chunks(list(replaces)):
                connection.execute(
                    delete(RELATION).where(
                        RELATION.c.uuid.in_(chunk), RELATION.c.head_id == head.id
                    )
                )
            others = (
                connection.execute(
                    select(RELATION.c.tail_id).where(
                        RELATION.c.head_id == head.id, RELATION.c.type == type
                    )
                )
                .scalars()
                .all()
            )
            if tail.id in others:
                raise StoreError(f"these two spans are already linked by {type!r}")
            name, schema = schemas.get(head.label_id, ("", None))
            spec = schema.relation(type) if schema else None
            if spec is not None and not spec.many and others:
                raise StoreError(f"a {name} has one {type}; replace the one it has")
            relation_uuid = relation_uuid or new_uuid()
            connection.execute(
                insert(RELATION).values(
                    uuid=relation_uuid,
                    type=type,
                    head_id=head.id,
                    tail_id=tail.id,
                    annotator_id=annotator_id,
                    created_at=utcnow(),
                )
            )
            query, _, _ = built_relation_select()
            return RelationRecord(
                *connection.execute(query.where(RELATION.c.uuid == relation_uuid)).one()
            )

    def delete_relation(self, relation_uuid: str) -> RelationRecord | None:
        """Remove a relation; returns it as it was (for undo), or None if it was gone."""
        query, _, _ = built_relation_select()
        with self._write() as connection:
            row = connection.execute(query.where(RELATION.c.uuid == relation_uuid)).first()
            result = connection.execute(delete(RELATION).where(RELATION.c.uuid == relation_uuid))
            if result.rowcount != 1:  # another session removed it first
                return None
        return RelationRecord(*row) if row else None

    def restore_relations(
        self, relations: Sequence[RelationRecord], *, remove: Sequence[str] = ()
    ) -> None:
        """Put relations back exactly as they were, ids included, after removing the
        relations ``remove`` names, in one transaction (undo of adding or replacing)."""
        with self._write() as connection:
            gone = 0
            for chunk in chunks(list(remove)):
                gone += connection.execute(
                    delete(RELATION).where(RELATION.c.uuid.in_(chunk))
                ).rowcount
            if gone != len(set(remove)):
                raise ConflictError("a link to take away was removed elsewhere")
            for relation in relations:
                if not self._put_relation(connection, relation):
                    raise ConflictError("a span of this relation no longer exists")

    def _put_relation(self, connection: Connection, relation: RelationRecord) -> bool:
        """Insert a relation exactly as it was, ids included; False (nothing written) if
        one of its spans is not there."""
        ids = dict(
            connection.execute(
                select(SPAN.c.uuid, SPAN.c.id).where(
                    SPAN.c.uuid.in_([relation.head_uuid, relation.tail_uuid])
                )
            ).all()
        )
        if relation.head_uuid not in ids or relation.tail_uuid not in ids:
            return False
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
        return True

    def relations(self, document_id: int) -> list[RelationRecord]:
        query, head, _ = built_relation_select()
        with self._read() as connection:
            rows = connection.execute(
                query.where(head.c.document_id == document_id).order_by(RELATION.c.id)
            )
            return [RelationRecord(*row) for row in rows]
