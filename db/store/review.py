"""Review: the decisions that settle disagreements and the gold spans they write."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    insert,
    select,
)

from db.records import (
    DeletedSpan,
    NewSpan,
    RelationRecord,
    ReviewDecisionRecord,
    SpanRecord,
)
from db.store.base import (
    ANNOTATOR,
    DOC,
    RELATION,
    REVIEW,
    SPAN,
    STATE,
    ConflictError,
    SpanError,
    StoreBase,
    StoreError,
    chunks,
    new_uuid,
    relation_select,
    span_order,
    span_record,
    span_select,
)
from db.tables import (
    GOLD,
    utcnow,
)

COMPARED_CHUNK = 200  # documents read at a time when comparing annotators


@dataclass(frozen=True, slots=True)
class ComparedDocument:
    """One document as agreement measures read it: its text and language, the accepted spans
    of the compared annotators on it (by position, as :meth:`spans_where` orders them) and
    those annotators' relations whose head is on it (in the order they were made)."""

    id: int
    text: str
    language: str | None
    spans: list[SpanRecord]
    relations: list[RelationRecord]


class ReviewMixin(StoreBase):
    def compared_documents(
        self,
        annotator_ids: Sequence[int],
        document_ids: Sequence[int],
        *,
        chunk: int = COMPARED_CHUNK,
    ) -> Iterator[ComparedDocument]:
        """The documents ``document_ids`` in order of id, with the accepted spans and the
        relations of the annotators ``annotator_ids``, read ``chunk`` documents at a time so
        that a large project is never held in memory at once.

        Each chunk is read in one transaction of its own; a document deleted meanwhile is
        left out.
        """
        if chunk < 1:
            raise ValueError(f"documents are read at least one at a time, not {chunk}")
        wanted = sorted(set(document_ids))
        annotators = list(annotator_ids)
        for part in chunks(wanted, chunk):
            yield from self._compared_chunk(annotators, part)

    def _compared_chunk(
        self, annotator_ids: list[int], document_ids: Sequence[int]
    ) -> list[ComparedDocument]:
        spans: dict[int, list[SpanRecord]] = {document_id: [] for document_id in document_ids}
        relations: dict[int, list[RelationRecord]] = {
            document_id: [] for document_id in document_ids
        }
        query, head, _tail = relation_select()
        with self._read() as connection:
            documents = connection.execute(
                select(DOC.c.id, DOC.c.text, DOC.c.language)
                .where(DOC.c.id.in_(document_ids))
                .order_by(DOC.c.id)
            ).all()
            if annotator_ids:
                rows = connection.execute(
                    span_select()
                    .where(
                        SPAN.c.document_id.in_(document_ids),
                        SPAN.c.annotator_id.in_(annotator_ids),
                        SPAN.c.status == "accepted",
                    )
                    .order_by(*span_order())
                ).all()
                for row in rows:
                    spans[row[2]].append(span_record(row))
                rows = connection.execute(
                    query.add_columns(head.c.document_id)
                    .where(
                        head.c.document_id.in_(document_ids),
                        RELATION.c.annotator_id.in_(annotator_ids),
                    )
                    .order_by(RELATION.c.id)
                ).all()
                for row in rows:
                    relations[row[7]].append(RelationRecord(*row[:7]))
        return [
            ComparedDocument(row.id, row.text, row.language, spans[row.id], relations[row.id])
            for row in documents
        ]

    def annotated_documents(
        self, annotator_ids: Sequence[int], document_ids: Sequence[int] | None = None
    ) -> dict[int, set[int]]:
        """Per annotator id, the documents they have annotated: those where they have an
        accepted span or a document state of in progress or done.

        Agreement measures count an annotator's silence on such a document as "no span
        here", and on any other document as a missing value.
        """
        result: dict[int, set[int]] = {annotator_id: set() for annotator_id in annotator_ids}
        if not annotator_ids:
            return result
        spans = select(SPAN.c.annotator_id, SPAN.c.document_id).where(
            SPAN.c.annotator_id.in_(annotator_ids), SPAN.c.status == "accepted"
        )
        states = select(STATE.c.annotator_id, STATE.c.document_id).where(
            STATE.c.annotator_id.in_(annotator_ids), STATE.c.status.in_(("in_progress", "done"))
        )
        wanted = None if document_ids is None else set(document_ids)
        with self._read() as connection:
            for query in (spans.distinct(), states):
                for annotator_id, document_id in connection.execute(query):
                    if wanted is None or document_id in wanted:
                        result[annotator_id].add(document_id)
        return result

    def record_decision(
        self,
        document_id: int,
        reviewer_id: int,
        *,
        kind: str,
        action: str,
        candidates: list[dict[str, Any]],
        gold_spans: Sequence[NewSpan] = (),
        remove_gold: Sequence[str] = (),
        note: str = "",
    ) -> tuple[ReviewDecisionRecord, list[SpanRecord], list[DeletedSpan]]:
        """Settle one disagreement: write the gold spans, remove superseded gold spans and
        record who decided what, all in one transaction.

        Returns the decision, the gold spans written and the gold spans removed.
        """
        entry = {
            "document_id": document_id,
            "kind": kind,
            "action": action,
            "candidates": candidates,
            "gold_spans": gold_spans,
            "remove_gold": remove_gold,
            "note": note,
        }
        return self.record_decisions(reviewer_id, [entry])[0]

    def record_decisions(
        self, reviewer_id: int, decisions: Sequence[dict[str, Any]]
    ) -> list[tuple[ReviewDecisionRecord, list[SpanRecord], list[DeletedSpan]]]:
        """Settle many review items in one transaction (accepting every agreed span at once).

        Each entry holds ``document_id`` and the keyword arguments of
        :meth:`record_decision` (kind, action, candidates, gold_spans, remove_gold, note).
        Returns, per entry, the decision, the gold spans written and the gold spans removed.
        """
        results = []
        with self._write() as connection:
            gold_id = self._annotator_id(connection, GOLD, True)
            labels = self._label_ids(connection, create=False)
            texts: dict[int, str] = {}
            for entry in decisions:
                document_id = entry["document_id"]
                if document_id not in texts:
                    text = connection.execute(
                        select(DOC.c.text).where(DOC.c.id == document_id)
                    ).scalar()
                    if text is None:
                        raise StoreError(f"no document with id {document_id}")
                    texts[document_id] = text
                results.append(
                    self._write_decision(
                        connection, gold_id, labels, texts[document_id], reviewer_id, entry
                    )
                )
            self._mark_started(
                connection,
                [(entry["document_id"], gold_id) for entry in decisions if entry.get("gold_spans")],
            )
        return results

    def _write_decision(
        self, connection: Connection, gold_id: int, labels, text: str, reviewer_id: int, entry
    ) -> tuple[ReviewDecisionRecord, list[SpanRecord], list[DeletedSpan]]:
        removed: list[DeletedSpan] = []
        self._lock_spans(connection, entry.get("remove_gold", ()))
        for span_uuid in entry.get("remove_gold", ()):
            span = self._get_span(connection, span_uuid)
            if span.annotator_id != gold_id:
                raise StoreError("a review removes gold spans only")
            connection.execute(delete(SPAN).where(SPAN.c.id == span.id))
            removed.append(DeletedSpan(span, ()))
        written: list[str] = []
        now = utcnow()
        for span in entry.get("gold_spans", ()):
            if not 0 <= span.start < span.end <= len(text):
                raise SpanError(f"span {span.start}-{span.end} does not fit the document")
            span_uuid = span.uuid or new_uuid()
            connection.execute(
                insert(SPAN).values(
                    uuid=span_uuid,
                    document_id=entry["document_id"],
                    label_id=labels(span.label),
                    annotator_id=gold_id,
                    start=span.start,
                    end=span.end,
                    text=text[span.start : span.end],
                    status="accepted",
                    origin="review",
                    confidence=span.confidence,
                    note=span.note,
                    attributes=span.attributes,
                    entity_id=self._entity_id(connection, span.entity_uuid),
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
            written.append(span_uuid)
        decision_uuid = new_uuid()
        connection.execute(
            insert(REVIEW).values(
                uuid=decision_uuid,
                document_id=entry["document_id"],
                reviewer_id=reviewer_id,
                kind=entry["kind"],
                action=entry["action"],
                candidates=entry.get("candidates", []),
                outcome_uuid=written[0] if written else None,
                note=entry.get("note", ""),
                created_at=now,
            )
        )
        decision = self._decisions(connection, REVIEW.c.uuid == decision_uuid)[0]
        return decision, self._spans_by_uuid(connection, written), removed

    def undo_decision(
        self, decision_uuid: str, gold_uuids: Sequence[str], restore: Sequence[DeletedSpan] = ()
    ) -> None:
        """Take back a review decision: delete its record and the gold spans it wrote, and put
        back gold spans it removed, in one transaction."""
        self.undo_decisions([decision_uuid], gold_uuids, restore)

    def undo_decisions(
        self,
        decision_uuids: Sequence[str],
        gold_uuids: Sequence[str],
        restore: Sequence[DeletedSpan] = (),
    ) -> None:
        """Take back several review decisions in one transaction: delete their records and
        the gold spans they wrote, and put back the gold spans they removed (without
        relations: a review keeps none of a removed gold span's)."""
        with self._write() as connection:
            self._lock_spans(connection, gold_uuids)
            taken = 0
            for chunk in chunks(list(decision_uuids)):
                taken += connection.execute(delete(REVIEW).where(REVIEW.c.uuid.in_(chunk))).rowcount
            if taken != len(set(decision_uuids)):
                raise ConflictError("this review decision was taken back elsewhere")
            gone = 0
            for chunk in chunks(list(gold_uuids)):
                gone += connection.execute(delete(SPAN).where(SPAN.c.uuid.in_(chunk))).rowcount
            if gone != len(set(gold_uuids)):
                raise ConflictError("a gold span of this decision was removed elsewhere")
            if self._spans_by_uuid(connection, [item.span.uuid for item in restore]):
                raise ConflictError("a gold span this decision removed is already back")
            for item in restore:
                self._insert_snapshot(connection, item.span)

    def _decisions(self, connection: Connection, condition) -> list[ReviewDecisionRecord]:
        rows = connection.execute(
            select(REVIEW, ANNOTATOR.c.name.label("reviewer"))
            .join(ANNOTATOR, ANNOTATOR.c.id == REVIEW.c.reviewer_id)
            .where(condition)
            .order_by(REVIEW.c.created_at, REVIEW.c.id)
        )
        return [
            ReviewDecisionRecord(
                row.id,
                row.uuid,
                row.document_id,
                row.reviewer,
                row.kind,
                row.action,
                row.candidates,
                row.outcome_uuid,
                row.note,
                row.created_at,
            )
            for row in rows
        ]

    def review_decisions(
        self, document_ids: Sequence[int] | None = None
    ) -> list[ReviewDecisionRecord]:
        with self._read() as connection:
            if document_ids is None:
                return self._decisions(connection, REVIEW.c.id.isnot(None))
            result = []
            for chunk in chunks(list(document_ids)):
                result.extend(self._decisions(connection, REVIEW.c.document_id.in_(chunk)))
            return result
