"""Outlets and the actors they mention: how many documents of each outlet (a document's
source) mention each canonical actor, and an actor's mentions with the outlet and date of
their documents, for the outlets view."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, or_, select

from db.store.base import ANNOTATOR, DOC, ENTITY, LABEL, SPAN, StoreBase


@dataclass(frozen=True, slots=True)
class OutletMention:
    """A span linked to an actor, with the outlet and publication date of its document."""

    span_uuid: str
    document_id: int
    document_title: str
    outlet: str  # the document's source; "" when it has none
    published: str | None
    start: int
    end: int
    text: str
    annotator: str


class OutletsMixin(StoreBase):
    def actor_coverage(self, label: str | None = "Actor") -> list[tuple[str, str, str, int]]:
        """(entity uuid, name, outlet, documents) for every canonical actor and every outlet in
        whose documents it is mentioned: how many documents of that outlet hold a span
        linked to it (rejected suggestions left out). The outlet is the document's source,
        "" when it has none. Entities of ``label`` (any case) and those with no label;
        every entity when None. One statement, grouped in the database."""
        outlet = func.coalesce(DOC.c.source, "")
        query = (
            select(ENTITY.c.uuid, ENTITY.c.name, outlet, func.count(distinct(SPAN.c.document_id)))
            .select_from(SPAN)
            .join(ENTITY, ENTITY.c.id == SPAN.c.entity_id)
            .join(DOC, DOC.c.id == SPAN.c.document_id)
            .outerjoin(LABEL, LABEL.c.id == ENTITY.c.label_id)
            .where(SPAN.c.status != "rejected")
            .group_by(ENTITY.c.uuid, ENTITY.c.name, outlet)
        )
        if label is not None:
            query = query.where(
                or_(func.lower(LABEL.c.name) == label.lower(), ENTITY.c.label_id.is_(None))
            )
        with self._read() as connection:
            return [tuple(row) for row in connection.execute(query)]

    def outlet_documents(self) -> dict[str, int]:
        """How many documents each outlet has in the project ("" for those without a source)."""
        outlet = func.coalesce(DOC.c.source, "")
        with self._read() as connection:
            return dict(connection.execute(select(outlet, func.count()).group_by(outlet)).all())

    def actor_outlet_mentions(self, entity_uuid: str) -> list[OutletMention]:
        """The spans linked to an actor (rejected suggestions left out), each with its
        document's outlet and publication date, by document and position."""
        query = (
            select(
                SPAN.c.uuid,
                SPAN.c.document_id,
                DOC.c.title,
                func.coalesce(DOC.c.source, ""),
                DOC.c.published,
                SPAN.c.start,
                SPAN.c.end,
                SPAN.c.text,
                ANNOTATOR.c.name,
            )
            .select_from(SPAN)
            .join(ENTITY, ENTITY.c.id == SPAN.c.entity_id)
            .join(DOC, DOC.c.id == SPAN.c.document_id)
            .join(ANNOTATOR, ANNOTATOR.c.id == SPAN.c.annotator_id)
            .where(ENTITY.c.uuid == entity_uuid, SPAN.c.status != "rejected")
            .order_by(SPAN.c.document_id, SPAN.c.start, SPAN.c.end, SPAN.c.uuid)
        )
        with self._read() as connection:
            return [OutletMention(*row) for row in connection.execute(query)]
