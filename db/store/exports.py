"""Export: documents with what passes a filter, read in chunks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Text,
    bindparam,
    cast,
    func,
    select,
)

from db.records import (
    DocumentRecord,
    DocumentStateRecord,
    ExportDocument,
    ExportFilter,
    RelationRecord,
    ReviewDecisionRecord,
    SpanRecord,
)
from db.store.base import (
    ANNOTATOR,
    DOC,
    LABEL,
    RELATION,
    REVIEW,
    SPAN,
    STATE,
    StoreBase,
    chunks,
    json_column,
    relation_select,
    span_order,
    span_record,
    span_select,
)

EXPORT_CHUNK = 200  # documents read at a time: memory stays flat whatever the project's size


class _ExportQueries:
    """The statements of one export, made once: each reads one chunk of documents, so that
    SQLAlchemy compiles each statement once per export instead of once per chunk."""

    def __init__(self, flt: ExportFilter, span_filter: list, *, ranged: bool):
        # A chunk is named by its first and last id when it holds every document between
        # them (an export of the whole project): two parameters instead of one per document.
        self.ranged = ranged
        if ranged:
            low, high = bindparam("low"), bindparam("high")

            def chunk_of(column):
                return column.between(low, high)

        else:
            block = bindparam("block", expanding=True)

            def chunk_of(column):
                return column.in_(block)

        self.documents = (
            select(
                DOC.c.id,
                DOC.c.content_hash,
                DOC.c.title,
                DOC.c.text,
                DOC.c.source,
                DOC.c.url,
                DOC.c.published,
                DOC.c.language,
                cast(DOC.c.meta, Text),
                DOC.c.imported_from,
                DOC.c.created_at,
            )
            .where(chunk_of(DOC.c.id))
            .order_by(DOC.c.id)
        )
        self.spans = (
            span_select().where(chunk_of(SPAN.c.document_id), *span_filter).order_by(*span_order())
        )
        relations, head, _tail = relation_select()
        self.relations = (
            relations.add_columns(head.c.document_id)
            .where(chunk_of(head.c.document_id))
            .order_by(RELATION.c.id)
        )
        states = (
            select(STATE.c.document_id, ANNOTATOR.c.name, STATE.c.status, STATE.c.updated_at)
            .join(ANNOTATOR, ANNOTATOR.c.id == STATE.c.annotator_id)
            .where(chunk_of(STATE.c.document_id))
            .order_by(ANNOTATOR.c.name)
        )
        # The states of the annotators whose spans leave, and only theirs.
        if flt.gold:
            states = states.where(ANNOTATOR.c.is_gold.is_(True))
        elif flt.annotators:
            states = states.where(ANNOTATOR.c.name.in_(flt.annotators))
        self.states = states
        # Review decisions leave with every annotator's spans, or with the gold layer.
        self.with_reviews = flt.gold or not flt.annotators

    def parameters(self, block: Sequence[int]) -> dict[str, Any]:
        """The statements' parameters for the chunk of documents ``block`` (ids in order)."""
        if self.ranged:
            return {"low": block[0], "high": block[-1]}
        return {"block": list(block)}

    def reviews_of(self, block: Sequence[int]):
        """The condition on review decisions for the chunk ``block``."""
        if self.ranged:
            return REVIEW.c.document_id.between(block[0], block[-1])
        return REVIEW.c.document_id.in_(block)


class ExportMixin(StoreBase):
    def _span_filter(self, flt: ExportFilter) -> list:
        """The conditions a span must meet to pass ``flt`` (on span_select's joins)."""
        conditions = []
        if flt.gold:
            conditions.append(ANNOTATOR.c.is_gold.is_(True))
        elif flt.annotators:
            conditions.append(ANNOTATOR.c.name.in_(flt.annotators))
        if flt.labels:
            conditions.append(func.lower(LABEL.c.name).in_([name.lower() for name in flt.labels]))
        if flt.statuses:
            conditions.append(SPAN.c.status.in_(flt.statuses))
        return conditions

    def _filtered_span_query(self, flt: ExportFilter):
        return span_select().where(*self._span_filter(flt))

    def export_documents(
        self,
        flt: ExportFilter | None = None,
        *,
        only_with_spans: bool = False,
        chunk: int = EXPORT_CHUNK,
    ) -> Iterator[ExportDocument]:
        """Documents in project order with the spans, relations, states and reviews that pass
        ``flt``. Read in chunks of ``chunk`` documents, so memory stays flat on large projects.

        A relation leaves when both its spans do; the states are those of the annotators
        whose spans leave; review decisions leave unless the filter names annotators other
        than gold.
        """
        if chunk < 1:
            raise ValueError(f"documents are read at least one at a time, not {chunk}")
        flt = flt or ExportFilter()
        span_filter = self._span_filter(flt)
        queries = _ExportQueries(flt, span_filter, ranged=not (flt.document_ids or only_with_spans))
        with self._read() as connection:
            ids_query = select(DOC.c.id).order_by(DOC.c.id)
            if flt.document_ids:
                ids_query = ids_query.where(DOC.c.id.in_(flt.document_ids))
            if only_with_spans:
                ids_query = ids_query.where(
                    DOC.c.id.in_(
                        span_select()
                        .where(*span_filter)
                        .with_only_columns(SPAN.c.document_id)
                        .distinct()
                        .scalar_subquery()
                    )
                )
            ids = connection.execute(ids_query).scalars().all()
            for block in chunks(ids, chunk):
                yield from self._export_chunk(connection, queries, block)

    def _export_chunk(
        self, connection: Connection, queries: _ExportQueries, block: Sequence[int]
    ) -> list[ExportDocument]:
        """The documents ``block`` (ids in order) with what passes the export's filter."""
        parameters = queries.parameters(block)
        spans: dict[int, list[SpanRecord]] = defaultdict(list)
        for row in connection.execute(queries.spans, parameters).all():
            spans[row[2]].append(span_record(row))
        relations: dict[int, list[RelationRecord]] = defaultdict(list)
        for *relation, document_id in connection.execute(queries.relations, parameters).all():
            relations[document_id].append(RelationRecord(*relation))
        states: dict[int, list[DocumentStateRecord]] = defaultdict(list)
        for document_id, annotator, status, updated_at in connection.execute(
            queries.states, parameters
        ).all():
            states[document_id].append(
                DocumentStateRecord(document_id, annotator, status, updated_at)
            )
        reviews: dict[int, list[ReviewDecisionRecord]] = defaultdict(list)
        if queries.with_reviews:
            for decision in self._decisions(connection, queries.reviews_of(block)):
                reviews[decision.document_id].append(decision)
        documents = []
        for (
            document_id,
            content_hash,
            title,
            text,
            source,
            url,
            published,
            language,
            meta,
            imported_from,
            created_at,
        ) in connection.execute(queries.documents, parameters).all():
            kept = spans.get(document_id, [])
            related = relations.get(document_id, [])
            if related:
                uuids = {span.uuid for span in kept}
                related = [r for r in related if r.head_uuid in uuids and r.tail_uuid in uuids]
            documents.append(
                ExportDocument(
                    document=DocumentRecord(
                        document_id,
                        content_hash,
                        title,
                        text,
                        source,
                        url,
                        published,
                        language,
                        json_column(meta) or {},
                        imported_from,
                        created_at,
                    ),
                    spans=kept,
                    relations=related,
                    states=states.get(document_id, []),
                    reviews=reviews.get(document_id, []),
                )
            )
        return documents

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

    def count_export_documents(self, flt: ExportFilter | None = None) -> int:
        """How many documents an export with ``flt`` goes through (those it names, or all):
        the total of its progress bar, counted without reading a span."""
        flt = flt or ExportFilter()
        query = select(func.count()).select_from(DOC)
        if flt.document_ids:
            query = query.where(DOC.c.id.in_(flt.document_ids))
        with self._read() as connection:
            return connection.execute(query).scalar_one()

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
