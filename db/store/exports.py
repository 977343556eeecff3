"""Export: documents with what passes a filter, read in chunks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import (
    func,
    select,
)

from db.records import (
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
    document_record,
    relation_select,
    span_order,
    span_record,
    span_select,
)


class ExportMixin(StoreBase):
    def _filtered_span_query(self, flt: ExportFilter):
        query = span_select()
        if flt.gold:
            query = query.where(ANNOTATOR.c.is_gold.is_(True))
        elif flt.annotators:
            query = query.where(ANNOTATOR.c.name.in_(flt.annotators))
        if flt.labels:
            query = query.where(func.lower(LABEL.c.name).in_([name.lower() for name in flt.labels]))
        if flt.statuses:
            query = query.where(SPAN.c.status.in_(flt.statuses))
        return query

    def export_documents(
        self,
        flt: ExportFilter | None = None,
        *,
        only_with_spans: bool = False,
        chunk: int = 200,
    ) -> Iterator[ExportDocument]:
        """Documents in project order with the spans, relations, states and reviews that pass
        ``flt``. Read in chunks of documents, so memory stays flat on large projects."""
        flt = flt or ExportFilter()
        span_query = self._filtered_span_query(flt)
        relation_query, head, tail = relation_select()
        with self._read() as connection:
            ids_query = select(DOC.c.id).order_by(DOC.c.id)
            if flt.document_ids:
                ids_query = ids_query.where(DOC.c.id.in_(flt.document_ids))
            if only_with_spans:
                ids_query = ids_query.where(
                    DOC.c.id.in_(
                        span_query.with_only_columns(SPAN.c.document_id)
                        .distinct()
                        .scalar_subquery()
                    )
                )
            ids = list(connection.execute(ids_query).scalars())
            annotator_names = None
            if flt.gold:
                annotator_names = set(
                    connection.execute(
                        select(ANNOTATOR.c.name).where(ANNOTATOR.c.is_gold.is_(True))
                    ).scalars()
                )
            elif flt.annotators:
                annotator_names = set(flt.annotators)
            for block in chunks(ids, chunk):
                documents = [
                    document_record(row)
                    for row in connection.execute(
                        select(DOC).where(DOC.c.id.in_(block)).order_by(DOC.c.id)
                    ).all()
                ]
                spans: dict[int, list[SpanRecord]] = defaultdict(list)
                for row in connection.execute(
                    span_query.where(SPAN.c.document_id.in_(block)).order_by(*span_order())
                ).all():
                    spans[row[2]].append(span_record(row))
                relations: dict[int, list[RelationRecord]] = defaultdict(list)
                for row in connection.execute(
                    relation_query.add_columns(head.c.document_id)
                    .where(head.c.document_id.in_(block))
                    .order_by(RELATION.c.id)
                ).all():
                    relations[row[-1]].append(RelationRecord(*row[:-1]))
                states: dict[int, list[DocumentStateRecord]] = defaultdict(list)
                for document_id, annotator, status, updated_at in connection.execute(
                    select(
                        STATE.c.document_id, ANNOTATOR.c.name, STATE.c.status, STATE.c.updated_at
                    )
                    .join(ANNOTATOR, ANNOTATOR.c.id == STATE.c.annotator_id)
                    .where(STATE.c.document_id.in_(block))
                    .order_by(ANNOTATOR.c.name)
                ).all():
                    if annotator_names is None or annotator in annotator_names:
                        states[document_id].append(
                            DocumentStateRecord(document_id, annotator, status, updated_at)
                        )
                reviews: dict[int, list[ReviewDecisionRecord]] = defaultdict(list)
                if annotator_names is None or flt.gold:
                    for decision in self._decisions(connection, REVIEW.c.document_id.in_(block)):
                        reviews[decision.document_id].append(decision)
                for document in documents:
                    kept = spans.get(document.id, [])
                    kept_uuids = {span.uuid for span in kept}
                    yield ExportDocument(
                        document=document,
                        spans=kept,
                        relations=[
                            relation
                            for relation in relations.get(document.id, [])
                            if relation.head_uuid in kept_uuids and relation.tail_uuid in kept_uuids
                        ],
                        states=states.get(document.id, []),
                        reviews=reviews.get(document.id, []),
                    )

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
