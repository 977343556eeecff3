"""Import, continued: a batch's spans and relations, checked against the documents, the
labels' schemas and what the project holds already."""

from __future__ import annotations

from sqlalchemy import (
    insert,
    select,
)

from db.records import (
    ImportBatch,
)
from db.store.base import (
    RELATION,
    SPAN,
    SpanError,
    StoreBase,
    StoreError,
    chunks,
    json_text,
    new_uuid,
    new_uuids,
)
from db.tables import (
    SPAN_ORIGINS,
    SPAN_STATUSES,
    utcnow,
)


class ImportSpansMixin(StoreBase):
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
        same_as: dict[str, str],
    ) -> set[tuple[int, int]]:
        """Insert the batch's new spans; returns the (document, annotator) pairs that gained
        accepted spans. A span skipped as identical to one already there (or earlier in the
        batch) goes into ``same_as``, its uuid to the kept span's, so that the batch's
        relations can point at the kept span."""
        existing_keys: dict[tuple, str] = {}
        for chunk in chunks(sorted(matched)):
            existing_keys.update(
                (tuple(row[:5]), row[5])
                for row in connection.execute(
                    select(
                        SPAN.c.document_id,
                        SPAN.c.annotator_id,
                        SPAN.c.label_id,
                        SPAN.c.start,
                        SPAN.c.end,
                        SPAN.c.uuid,
                    ).where(SPAN.c.document_id.in_(chunk))
                )
            )
        wanted_uuids = [
            span.uuid for document in batch.documents for span in document.spans if span.uuid
        ]
        existing_uuids: set[str] = set()
        if wanted_uuids and connection.execute(select(SPAN.c.id).limit(1)).first():
            for chunk in chunks(wanted_uuids):
                existing_uuids.update(
                    connection.execute(select(SPAN.c.uuid).where(SPAN.c.uuid.in_(chunk))).scalars()
                )
        missing_uuids = sum(
            1 for document in batch.documents for span in document.spans if not span.uuid
        )
        fresh_uuids = iter(new_uuids(missing_uuids))
        label_cache: dict[str, int] = {}
        annotator_cache: dict[str, int] = {}
        schemas = self._schemas(connection)
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
                if span.attributes:
                    self._check_attributes(
                        schemas, label_id, span.attributes, span.where or document.where
                    )
                span_uuid = span.uuid
                if span_uuid and span_uuid in existing_uuids:
                    summary.spans_skipped += 1
                    continue
                key = (document_id, annotator_id, label_id, start, end)
                if key in existing_keys:
                    summary.spans_skipped += 1
                    if not span_uuid:
                        next(fresh_uuids)
                    elif span_uuid != existing_keys[key]:
                        same_as[span_uuid] = existing_keys[key]
                    continue
                if not span_uuid:
                    span_uuid = next(fresh_uuids)
                existing_keys[key] = span_uuid
                existing_uuids.add(span_uuid)
                entity_id = None
                if span.entity_uuid:
                    entity_id = entities.get(span.entity_uuid)
                    if entity_id is None:
                        try:
                            entity_id = self._entity_id(connection, span.entity_uuid)
                        except StoreError:
                            raise SpanError(
                                f"{span.where or document.where}: the span links to entity "
                                f"{span.entity_uuid}, which is neither in the file nor in the "
                                "project"
                            ) from None
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
                        None if span.confidence is None else float(span.confidence),
                        span.note,
                        json_text(span.attributes),
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

    def _import_relations(
        self, connection, batch: ImportBatch, annotators, summary, same_as: dict[str, str]
    ) -> None:
        relations = [
            (relation, document) for document in batch.documents for relation in document.relations
        ]
        if not relations:
            return

        def kept(span_uuid: str) -> str:
            return same_as.get(span_uuid, span_uuid)

        needed = sorted(
            {kept(r.head_uuid) for r, _ in relations} | {kept(r.tail_uuid) for r, _ in relations}
        )
        ids: dict[str, tuple[int, int]] = {}
        label_of: dict[int, int] = {}
        for chunk in chunks(needed):
            for span_uuid, span_id, document_id, label_id in connection.execute(
                select(SPAN.c.uuid, SPAN.c.id, SPAN.c.document_id, SPAN.c.label_id).where(
                    SPAN.c.uuid.in_(chunk)
                )
            ):
                ids[span_uuid] = (span_id, document_id)
                label_of[span_id] = label_id
        schemas = self._schemas(connection)
        relation_uuids = [r.uuid for r, _ in relations if r.uuid]
        existing: set[str] = set()
        for chunk in chunks(relation_uuids):
            existing.update(
                connection.execute(
                    select(RELATION.c.uuid).where(RELATION.c.uuid.in_(chunk))
                ).scalars()
            )
        # The links the spans already have, so that a relation imported again (without a
        # uuid, as doccano and Label Studio files have them) is not added twice.
        present: set[tuple] = set()
        for chunk in chunks(sorted(span_id for span_id, _ in ids.values())):
            present.update(
                tuple(row)
                for row in connection.execute(
                    select(RELATION.c.head_id, RELATION.c.tail_id, RELATION.c.type).where(
                        RELATION.c.head_id.in_(chunk)
                    )
                )
            )
        rows = []
        now = utcnow()
        for relation, document in relations:
            where = relation.where or document.where or "relation"
            for end in (relation.head_uuid, relation.tail_uuid):
                if kept(end) not in ids:
                    raise SpanError(f"{where}: relation points at span {end!r}, which is not there")
            head_id, head_document = ids[kept(relation.head_uuid)]
            tail_id, tail_document = ids[kept(relation.tail_uuid)]
            if head_document != tail_document:
                raise SpanError(f"{where}: a relation links spans of two different documents")
            self._check_relation_labels(
                schemas, relation.type, label_of[head_id], label_of[tail_id], where
            )
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
