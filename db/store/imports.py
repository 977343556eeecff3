"""Import: a whole batch of documents, spans and relations in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)

from db.records import (
    ImportBatch,
    ImportSummary,
)
from db.store.base import (
    ALIAS,
    ANNOTATOR,
    DOC,
    ENTITY,
    LABEL,
    RELATION,
    REVIEW,
    SPAN,
    STATE,
    Progress,
    SpanError,
    StoreBase,
    chunks,
    content_hash,
    json_text,
    new_uuid,
    new_uuids,
)
from db.tables import (
    DOCUMENT_STATUSES,
    GOLD,
    SPAN_ORIGINS,
    SPAN_STATUSES,
    utcnow,
)


class ImportMixin(StoreBase):
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
            # A batch span skipped as one the document already has: its uuid -> the kept one's.
            same_as: dict[str, str] = {}
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
                same_as,
            )
            self._mark_started(connection, started)
            self._import_relations(connection, batch, annotators, summary, same_as)
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
                if label.schema is not None:
                    values["schema"] = label.schema.to_json()
                if row is not None:
                    connection.execute(update(LABEL).where(LABEL.c.id == row.id).values(**values))
                else:
                    connection.execute(insert(LABEL).values(**values))
                    summary.labels_added += 1
            return
        taken = {row.shortcut.lower() for row in existing.values() if row.shortcut}
        for label in batch.labels:
            row = existing.get(label.name.strip().lower())
            if row is not None:
                if label.schema and not row._mapping["schema"]:
                    # The project's label has no schema yet: it takes the file's.
                    connection.execute(
                        update(LABEL)
                        .where(LABEL.c.id == row.id)
                        .values(schema=label.schema.to_json())
                    )
                continue
            shortcut = (
                label.shortcut if label.shortcut and label.shortcut.lower() not in taken else None
            )
            self._insert_label(
                connection,
                label.name,
                label.colour,
                shortcut,
                label.description,
                label.kind,
                schema=label.schema,
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
        for chunk in chunks(uuids):
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
        for chunk in chunks(sorted(set(hashes))):
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
                    json_text(document.meta),
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
        for index, chunk in enumerate(chunks(rows, 1000)):
            self._bulk_insert(connection, DOC, columns, chunk)
            if progress:
                progress(min((index + 1) * 1000, total), total)
        new_hashes = [row[0] for row in rows]
        for chunk in chunks(new_hashes):
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
            for chunk in chunks([review["uuid"] for review in reviews]):
                existing.update(
                    connection.execute(
                        select(REVIEW.c.uuid).where(REVIEW.c.uuid.in_(chunk))
                    ).scalars()
                )
            fresh = [review for review in reviews if review["uuid"] not in existing]
            if fresh:
                connection.execute(insert(REVIEW), fresh)
