"""Import, continued: a part's spans and relations, checked against the documents, the
labels' schemas and what the project holds already (earlier parts of the import included)."""

from __future__ import annotations

from sqlalchemy import (
    select,
)

from db.records import (
    ImportBatch,
    NewSpan,
)
from db.store.base import (
    ENTITY,
    LABEL,
    RELATION,
    SPAN,
    SpanError,
    StoreBase,
    chunks,
    json_text,
    new_uuid,
    new_uuids,
)
from db.store.spans import NEW_SPAN_COLUMNS
from db.tables import (
    SPAN_ORIGINS,
    SPAN_STATUSES,
    utcnow,
)

SPAN_COLUMNS = ("id", *NEW_SPAN_COLUMNS)  # an import writes the ids it chose


class ImportSpansMixin(StoreBase):
    def _import_spans(
        self,
        writer,
        connection,
        part: ImportBatch,
        document_ids: list[int],
        found: set[int],
        labels,
        annotators,
    ) -> tuple[set[tuple[int, int]], dict[str, tuple[int, int, int]]]:
        """Insert the part's new spans.

        Returns the (document, annotator) pairs that gained accepted spans, and each written
        span's uuid with its (id, document id, label id), for the part's relations. A span
        skipped as identical to one already there goes into ``writer.same_as``, its uuid to
        the kept span's, so that relations can point at the kept span.
        """
        summary = writer.summary
        same_as = writer.same_as
        # Spans already on the documents that the project had before this part.
        existing_keys: dict[tuple, str] = {}
        for chunk in chunks(sorted(found)):
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
            span.uuid for document in part.documents for span in document.spans if span.uuid
        ]
        # uuid -> id of the spans the project holds already
        existing_uuids: dict[str, int] = {}
        if wanted_uuids and writer.has_spans:
            existing_uuids.update(
                self._rows_by_key(connection, SPAN, "uuid", ("uuid", "id"), wanted_uuids)
            )
        missing_uuids = sum(
            1 for document in part.documents for span in document.spans if not span.uuid
        )
        fresh_uuids = iter(new_uuids(missing_uuids))
        written_uuids: set[str] = set()
        label_cache: dict[str, int] = {}
        annotator_cache: dict[str, int] = {}
        schemas = self._schemas(connection)
        statuses, origins = set(SPAN_STATUSES), set(SPAN_ORIGINS)
        rows: list[tuple] = []
        now = utcnow()
        for document, document_id in zip(part.documents, document_ids, strict=True):
            text = document.text
            length = len(text)
            for span in document.spans:
                where = span.where or document.where
                start, end = span.start, span.end
                if not 0 <= start < end <= length:
                    raise SpanError(
                        f"{where or 'span'}: span {start}-{end} does "
                        f"not fit a text of {length} characters"
                    )
                covered = text[start:end]
                if span.text is not None and span.text != covered:
                    raise SpanError(
                        f"{where or 'span'}: span {start}-{end} says "
                        f"{span.text!r} but the document has {covered!r} there"
                    )
                if span.status not in statuses or span.origin not in origins:
                    raise SpanError(
                        f"{where or 'span'}: unknown span status "
                        f"{span.status!r} or origin {span.origin!r}"
                    )
                label_id = label_cache.get(span.label)
                annotator_id = annotator_cache.get(span.annotator)
                if label_id is None or annotator_id is None:
                    try:
                        label_id = label_cache[span.label] = labels(span.label)
                        annotator_id = annotator_cache[span.annotator] = annotators(span.annotator)
                    except SpanError as exc:
                        raise SpanError(f"{where}: {exc}") from None
                if span.attributes:
                    self._check_attributes(schemas, label_id, span.attributes, where)
                span_uuid = span.uuid
                if span_uuid and (span_uuid in existing_uuids or span_uuid in written_uuids):
                    if part.source and self._written_from_source(
                        writer, existing_uuids.get(span_uuid)
                    ):
                        raise SpanError(
                            f"{where}: span uuid {span_uuid!r} appears twice in the file"
                        )
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
                written_uuids.add(span_uuid)
                entity_id = None
                if span.entity_uuid:
                    entity_id = self._linked_entity(writer, connection, span, label_id, where)
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
        ids = writer.new_ids(SPAN, len(rows))
        if ids and writer.source_first_span is None:
            writer.source_first_span = ids[0]
        rows = [(span_id, *row) for span_id, row in zip(ids, rows, strict=True)]
        total = len(rows)
        step = 10000
        for index in range(0, total, step):
            self._bulk_insert(connection, SPAN, SPAN_COLUMNS, rows[index : index + step])
            if writer.progress:
                writer.progress(min(index + step, total), total)
        if rows:
            writer.has_spans = True
        summary.spans_added += total
        started = {(row[2], row[4]) for row in rows if row[8] == "accepted"}
        written = {row[1]: (row[0], row[2], row[3]) for row in rows}
        return started, written

    @staticmethod
    def _linked_entity(writer, connection, span: NewSpan, label_id: int, where: str) -> int:
        """The id of the entity a span of the import links to. The entity must be in the
        import or in the project, and of the span's label (or of none): a Claim span cannot
        link to an actor. Raises :class:`SpanError` at the span's line otherwise."""
        entity_uuid = span.entity_uuid
        entity_id = writer.entities.get(entity_uuid)
        if entity_id is None:
            row = connection.execute(
                select(ENTITY.c.id, ENTITY.c.label_id, ENTITY.c.name).where(
                    ENTITY.c.uuid == entity_uuid
                )
            ).first()
            if row is None:
                raise SpanError(
                    f"{where}: the span links to entity {entity_uuid}, which is neither in "
                    "the file nor in the project"
                )
            entity_id = writer.entities[entity_uuid] = row[0]
            writer.entity_labels[entity_uuid] = (row[1], row[2])
        entity_label, name = writer.entity_labels[entity_uuid]
        if entity_label is not None and entity_label != label_id:
            label_name = connection.execute(
                select(LABEL.c.name).where(LABEL.c.id == entity_label)
            ).scalar()
            raise SpanError(
                f"{where}: a span labelled {span.label} cannot link to “{name}”, "
                f"an entity of the label {label_name}"
            )
        return entity_id

    @staticmethod
    def _written_from_source(writer, span_id: int | None) -> bool:
        """Whether a span met again was written earlier in this import from the same file
        (``None``: earlier in the same part)."""
        if span_id is None:
            return True
        return writer.source_first_span is not None and span_id >= writer.source_first_span

    def _import_relations(
        self,
        writer,
        connection,
        part: ImportBatch,
        annotators,
        written: dict[str, tuple[int, int, int]],
    ) -> None:
        relations = [
            (relation, document) for document in part.documents for relation in document.relations
        ]
        if not relations:
            return
        same_as = writer.same_as

        def kept(span_uuid: str) -> str:
            return same_as.get(span_uuid, span_uuid)

        # The ends written by this part are known; the others (spans of the project or of
        # earlier parts) are looked up by uuid.
        elsewhere = sorted(
            {kept(end) for r, _ in relations for end in (r.head_uuid, r.tail_uuid)} - written.keys()
        )
        looked_up: dict[str, tuple[int, int, int]] = {}
        for chunk in chunks(elsewhere):
            for span_uuid, span_id, document_id, label_id in connection.execute(
                select(SPAN.c.uuid, SPAN.c.id, SPAN.c.document_id, SPAN.c.label_id).where(
                    SPAN.c.uuid.in_(chunk)
                )
            ):
                looked_up[span_uuid] = (span_id, document_id, label_id)
        schemas = self._schemas(connection)
        existing: set[str] = set()
        if writer.has_relations:
            relation_uuids = [r.uuid for r, _ in relations if r.uuid]
            for chunk in chunks(relation_uuids):
                existing.update(
                    connection.execute(
                        select(RELATION.c.uuid).where(RELATION.c.uuid.in_(chunk))
                    ).scalars()
                )
        # The links the spans already have, so that a relation imported again (without a
        # uuid, as doccano and Label Studio files have them) is not added twice. Spans
        # written by this part have none yet.
        present: set[tuple] = set()
        if writer.has_relations:
            for chunk in chunks(sorted(span_id for span_id, _, _ in looked_up.values())):
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
            ends = []
            for end in (relation.head_uuid, relation.tail_uuid):
                span = written.get(kept(end)) or looked_up.get(kept(end))
                if span is None:
                    raise SpanError(f"{where}: relation points at span {end!r}, which is not there")
                ends.append(span)
            (head_id, head_document, head_label), (tail_id, tail_document, tail_label) = ends
            if head_document != tail_document:
                raise SpanError(f"{where}: a relation links spans of two different documents")
            self._check_relation_labels(schemas, relation.type, head_label, tail_label, where)
            if relation.uuid and relation.uuid in existing:
                continue
            key = (head_id, tail_id, relation.type)
            if key in present:
                continue
            present.add(key)
            relation_uuid = relation.uuid or new_uuid()
            existing.add(relation_uuid)
            rows.append(
                (
                    relation_uuid,
                    relation.type,
                    head_id,
                    tail_id,
                    annotators(relation.annotator),
                    relation.created_at or now,
                )
            )
        self._bulk_insert(
            connection,
            RELATION,
            ("uuid", "type", "head_id", "tail_id", "annotator_id", "created_at"),
            rows,
        )
        if rows:
            writer.has_relations = True
        writer.summary.relations_added += len(rows)
