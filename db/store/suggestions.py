"""Pending suggestions: clearing them, and the names they look for."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    and_,
    delete,
    func,
    select,
)

from db.store.base import (
    ENTITY,
    LABEL,
    SPAN,
    StoreBase,
    chunks,
)


class SuggestionsMixin(StoreBase):
    def delete_suggestions(
        self,
        document_ids: Sequence[int] | None,
        *,
        origin: str | None = None,
        annotator_id: int | None = None,
    ) -> int:
        """Remove pending suggestions (of one origin, on some documents); returns how many."""
        condition = SPAN.c.status == "suggested"
        if origin is not None:
            condition = and_(condition, SPAN.c.origin == origin)
        if annotator_id is not None:
            condition = and_(condition, SPAN.c.annotator_id == annotator_id)
        with self._write() as connection:
            if document_ids is None:
                return connection.execute(delete(SPAN).where(condition)).rowcount
            total = 0
            for chunk in chunks(list(document_ids)):
                total += connection.execute(
                    delete(SPAN).where(condition, SPAN.c.document_id.in_(chunk))
                ).rowcount
            return total

    def discard_suggestions(self, span_uuids: Sequence[str]) -> int:
        """Delete the spans named that are still pending suggestions; returns how many.

        A suggestion the analyst accepted or rejected in the meantime is left alone, so a
        background job can clear stale suggestions without racing the analyst's keys.
        """
        total = 0
        with self._write() as connection:
            for chunk in chunks(list(span_uuids)):
                total += connection.execute(
                    delete(SPAN).where(SPAN.c.uuid.in_(chunk), SPAN.c.status == "suggested")
                ).rowcount
        return total

    def span_texts(
        self, label: str, *, statuses: Sequence[str] = ("accepted",)
    ) -> list[tuple[str, str | None]]:
        """The distinct covered texts of spans with ``label`` (any case), each with the
        entity its span links to (None when unlinked): the names actor propagation looks for."""
        query = (
            select(SPAN.c.text, ENTITY.c.uuid)
            .select_from(SPAN)
            .join(LABEL, LABEL.c.id == SPAN.c.label_id)
            .outerjoin(ENTITY, ENTITY.c.id == SPAN.c.entity_id)
            .where(func.lower(LABEL.c.name) == label.lower(), SPAN.c.status.in_(statuses))
            .distinct()
        )
        with self._read() as connection:
            return sorted(
                ((text, entity_uuid) for text, entity_uuid in connection.execute(query)),
                key=lambda row: (row[0], row[1] or ""),
            )
