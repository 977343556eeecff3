"""Events and claims across the corpus, with what they link to, read in bulk for the
timeline, the actor network and the outlets view.

A handful of statements whatever the size of the project: the labels and annotators, the
documents that hold such spans, the spans themselves, and the relations that start from
them with the spans they point at. Rows come back as plain tuples, attributes as the JSON
text the database holds, so that 100,000 events cost one pass of the driver and no ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Text, cast, func, select

from db.store.base import (
    ANNOTATOR,
    DOC,
    ENTITY,
    LABEL,
    RELATION,
    SPAN,
    StoreBase,
    driver_rows,
    outlet_documents,
    span_conditions,
)

SPAN_IDS_AT_ONCE = 5000  # span ids per read; a read names them thrice


@dataclass(slots=True)
class RecordRows:
    """What :meth:`CorpusMixin.record_rows` reads.

    ``documents``: document id -> (title, source, published). ``spans``: (id, uuid,
    document id, annotator id, start, end, text, attributes as JSON text), in no
    particular order (the caller sorts what it builds). ``links``: (head span id, relation type, tail start, tail text, tail label
    id, entity uuid, entity name), the tail's entity None when it is linked to none.
    ``labels`` and ``annotators`` name the ids.
    """

    documents: dict[int, tuple[str, str | None, str | None]] = field(default_factory=dict)
    spans: list[tuple] = field(default_factory=list)
    links: list[tuple] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)
    annotators: dict[int, str] = field(default_factory=dict)


class CorpusMixin(StoreBase):
    def record_rows(
        self,
        label: str,
        relation_types: Sequence[str],
        *,
        annotators: Sequence[str] = (),
        outlets: Sequence[str] = (),
        statuses: Sequence[str] = ("accepted",),
        span_ids: Sequence[int] | None = None,
    ) -> RecordRows:
        """The spans of the label ``label`` (any case) and the relations of
        ``relation_types`` that start from them, as :class:`RecordRows`.

        ``annotators`` (names), ``outlets`` (document sources; "" for documents of no
        source) and ``statuses`` narrow the spans; empty means all; ``span_ids``, when
        given, keeps only those spans. A relation is read when the span it points at also
        passes the annotators and statuses, as the analysts' tables read them.
        """
        if span_ids is not None and len(span_ids) > SPAN_IDS_AT_ONCE:
            # in parts: each statement repeats the ids, within every database's limit
            whole = RecordRows()
            for low in range(0, len(span_ids), SPAN_IDS_AT_ONCE):
                part = self.record_rows(
                    label,
                    relation_types,
                    annotators=annotators,
                    outlets=outlets,
                    statuses=statuses,
                    span_ids=span_ids[low : low + SPAN_IDS_AT_ONCE],
                )
                whole.documents.update(part.documents)
                whole.spans += part.spans
                whole.links += part.links
                whole.labels, whole.annotators = part.labels, part.annotators
            return whole
        rows = RecordRows()
        with self._read() as connection:
            rows.labels = dict(connection.execute(select(LABEL.c.id, LABEL.c.name)).all())
            rows.annotators = dict(
                connection.execute(select(ANNOTATOR.c.id, ANNOTATOR.c.name)).all()
            )
            label_ids = [id_ for id_, name in rows.labels.items() if name.lower() == label.lower()]
            if not label_ids:
                return rows
            annotator_ids = [id_ for id_, name in rows.annotators.items() if name in annotators]
            if annotators and not annotator_ids:
                return rows

            # the conditions on annotator and status, for the spans and their tails
            passing = span_conditions(statuses, annotator_ids if annotators else None)

            heads = [SPAN.c.label_id.in_(label_ids), *passing(SPAN)]
            if span_ids is not None:
                heads.append(SPAN.c.id.in_(list(span_ids)))
            if outlets:
                heads.append(SPAN.c.document_id.in_(outlet_documents(outlets)))
            rows.spans = driver_rows(
                connection,
                select(
                    SPAN.c.id,
                    SPAN.c.uuid,
                    SPAN.c.document_id,
                    SPAN.c.annotator_id,
                    SPAN.c.start,
                    SPAN.c.end,
                    SPAN.c.text,
                    # As text, decoded by the caller with orjson: the JSON type's own
                    # decoder costs more than the rest of the row.
                    cast(SPAN.c.attributes, Text),
                ).where(*heads),
            )
            if not rows.spans:
                return rows
            head_ids = select(SPAN.c.id).where(*heads).scalar_subquery()
            # By the ids the spans name, a part at a time: a third faster than asking the
            # database for the distinct documents of the spans again.
            wanted = sorted({row[2] for row in rows.spans})
            for low in range(0, len(wanted), SPAN_IDS_AT_ONCE):
                for id_, title, source, published in connection.execute(
                    select(DOC.c.id, DOC.c.title, DOC.c.source, DOC.c.published).where(
                        DOC.c.id.in_(wanted[low : low + SPAN_IDS_AT_ONCE])
                    )
                ):
                    rows.documents[id_] = (title, source, published)
            if relation_types:
                # Only the types the project uses: an older project's ``time`` links, say,
                # are none in most, and asking for none skips the whole statement.
                relation_types = list(
                    connection.execute(
                        select(RELATION.c.type)
                        .where(RELATION.c.type.in_(list(relation_types)))
                        .distinct()
                    ).scalars()
                )
            if relation_types:
                tail = SPAN.alias("tail")
                rows.links = driver_rows(
                    connection,
                    select(
                        RELATION.c.head_id,
                        RELATION.c.type,
                        tail.c.start,
                        tail.c.text,
                        tail.c.label_id,
                        ENTITY.c.uuid,
                        ENTITY.c.name,
                    )
                    .select_from(RELATION)
                    .join(tail, tail.c.id == RELATION.c.tail_id)
                    .outerjoin(ENTITY, ENTITY.c.id == tail.c.entity_id)
                    .where(
                        RELATION.c.type.in_(list(relation_types)),
                        RELATION.c.head_id.in_(head_ids),
                        *passing(tail),
                    ),
                )
        return rows

    def document_outlets(self) -> list[str]:
        """Every document source (outlet) of the project, once each, in order; "" stands
        for documents of no source."""
        with self._read() as connection:
            found = connection.execute(select(func.coalesce(DOC.c.source, "")).distinct()).scalars()
            return sorted(set(found))
