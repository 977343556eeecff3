"""The names actor suggestions read (the texts of accepted Actor spans), the spans a
suggestion accepted links, and the pairs of names an analyst said are not one actor."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import and_, delete, func, insert, select, tuple_

from db.store.base import ENTITY, LABEL, SPAN, StoreBase, chunks
from db.tables import EntityRejection, utcnow

REJECTION = EntityRejection.__table__


class ActorNamesMixin(StoreBase):
    def mention_texts(self, label: str = "Actor") -> list[tuple[str, str | None, int]]:
        """(text, linked entity uuid or None, number of spans) for the accepted spans of
        ``label``: the names an actor-suggestion works from."""
        query = (
            select(SPAN.c.text, ENTITY.c.uuid, func.count())
            .select_from(SPAN)
            .join(LABEL, LABEL.c.id == SPAN.c.label_id)
            .outerjoin(ENTITY, ENTITY.c.id == SPAN.c.entity_id)
            .where(func.lower(LABEL.c.name) == label.lower(), SPAN.c.status == "accepted")
            .group_by(SPAN.c.text, ENTITY.c.uuid)
        )
        with self._read() as connection:
            return [(text, uuid, count) for text, uuid, count in connection.execute(query)]

    def unlinked_span_uuids(self, label: str, texts: Collection[str]) -> list[str]:
        """The spans of ``label`` (rejected suggestions left out) that link to no entity and
        whose text is one of ``texts``, exactly as written."""
        found: list[str] = []
        with self._read() as connection:
            for chunk in chunks(sorted(set(texts))):
                found.extend(
                    connection.execute(
                        select(SPAN.c.uuid)
                        .join(LABEL, LABEL.c.id == SPAN.c.label_id)
                        .where(
                            func.lower(LABEL.c.name) == label.lower(),
                            SPAN.c.status != "rejected",
                            SPAN.c.entity_id.is_(None),
                            SPAN.c.text.in_(chunk),
                        )
                        .order_by(SPAN.c.uuid)
                    ).scalars()
                )
        return found

    def rejected_pairs(self) -> set[tuple[str, str]]:
        """The pairs of name keys an analyst said are not one actor, each in sorted order."""
        with self._read() as connection:
            return {
                (first, second)
                for first, second in connection.execute(
                    select(REJECTION.c.first, REJECTION.c.second)
                )
            }

    def add_rejected_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Remember pairs of name keys as not one actor; returns those that were new."""
        wanted = sorted({tuple(sorted(pair)) for pair in pairs if pair[0] != pair[1]})
        with self._write() as connection:
            known = set()
            for chunk in chunks(wanted):
                known.update(
                    tuple(row)
                    for row in connection.execute(
                        select(REJECTION.c.first, REJECTION.c.second).where(
                            tuple_(REJECTION.c.first, REJECTION.c.second).in_(chunk)
                        )
                    )
                )
            new = [pair for pair in wanted if pair not in known]
            if new:
                now = utcnow()
                connection.execute(
                    insert(REJECTION),
                    [{"first": a, "second": b, "created_at": now} for a, b in new],
                )
            return new

    def remove_rejected_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        wanted = sorted({tuple(sorted(pair)) for pair in pairs})
        with self._write() as connection:
            for first, second in wanted:
                connection.execute(
                    delete(REJECTION).where(
                        and_(REJECTION.c.first == first, REJECTION.c.second == second)
                    )
                )
