"""The actor network's links as the database joins them: for events, agent → target and
the type; for claims, source → about and the stance; one narrow row of ids per record and
pair, in one statement, so that 100,000 events are read without building a single record
(desktop.corpus.network groups them; records are built only for what someone clicks).

A participant comes as its canonical entity's id when its span is linked to one, else as
its own text and label: the caller folds those texts into the participants' keys.
The same filters as :meth:`db.store.corpus.CorpusMixin.record_rows`: labels named Event or
Claim (any case), statuses and annotators (of the record and of the span it links to),
outlets; and the event types or claim stances, and the dates, the caller has chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, or_, select

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

# (the role the link starts from, the roles that may stand for it, the role it points at,
# the attribute that types it), per kind of record
ROLES = {
    "event": (("agent",), "target", "type"),
    "claim": (("source", "attributed_to"), "about", "stance"),
}


@dataclass(slots=True)
class LinkRows:
    """What :meth:`NetworkMixin.network_links` reads.

    ``rows``: (from entity id, from text, from label id, to entity id, to text, to label
    id, type or stance as stored, record id), one per record and pair of the spans it links
    to; a participant's text is None when it is linked to an entity, and one side is all
    None for a record that links to no one on that side (so that every participant of
    every record is met). ``entities``: entity id -> (uuid, name); ``labels``: label id ->
    name.
    """

    rows: list[tuple] = field(default_factory=list)
    entities: dict[int, tuple[str, str]] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)


class NetworkMixin(StoreBase):
    def network_links(
        self,
        kind: str,
        *,
        annotators: Sequence[str] = (),
        outlets: Sequence[str] = (),
        statuses: Sequence[str] = ("accepted",),
        types: Sequence[str] = (),
        dates: Sequence | None = None,
        undated: bool = True,
    ) -> LinkRows:
        """The links of the records of ``kind`` ("event" or "claim"), as :class:`LinkRows`.

        Not grouped here: on SQLite a GROUP BY of 100,000 such rows sorts them in a
        temporary tree, which costs more than reading them, and where actors are many nearly
        every record is a group of its own.

        ``types`` keeps event types (or claim stances) as stored; ``dates``, when given,
        keeps the records whose date (an event's ``date`` attribute, else its first
        ``time`` link; a claim's document's publication date) is one of those values, as
        :meth:`record_dates` returns them, and the undated ones when ``undated``.
        """
        if kind not in ROLES:
            raise ValueError(f"unknown kind of record {kind!r}: expected event or claim")
        starts, ends, attribute = ROLES[kind]
        found = LinkRows()
        with self._read() as connection:
            found.labels = dict(connection.execute(select(LABEL.c.id, LABEL.c.name)).all())
            heads = self._heads(connection, kind, found.labels, annotators, statuses)
            if heads is None:
                return found
            passing = heads.passing
            conditions = list(heads.conditions)
            if outlets:
                conditions.append(SPAN.c.document_id.in_(outlet_documents(outlets)))
            value = SPAN.c.attributes[attribute].as_string()
            if types:
                conditions.append(value.in_(list(types)))
            if dates is not None:
                when = self._when(kind, passing)
                kept = when.in_(list(dates))
                conditions.append(or_(kept, when.is_(None)) if undated else kept)

            one, first = RELATION.alias("one"), SPAN.alias("first")
            other, second = RELATION.alias("other"), SPAN.alias("second")
            first_ok = [*passing(first)]
            if len(starts) > 1:
                # An older project's ``attributed_to`` stands for a source only where the
                # claim has no source link (of a span that passes), as the records read it.
                spare, spare_tail = RELATION.alias("spare"), SPAN.alias("spare_tail")
                has_source = exists(
                    select(spare.c.id)
                    .join(spare_tail, spare_tail.c.id == spare.c.tail_id)
                    .where(
                        spare.c.head_id == SPAN.c.id,
                        spare.c.type == starts[0],
                        *passing(spare_tail),
                    )
                )
                first_ok.append(or_(one.c.type == starts[0], ~has_source))
            columns = []
            for tail in (first, second):
                columns += [
                    tail.c.entity_id,
                    case((tail.c.entity_id.is_(None), tail.c.text)),
                    tail.c.label_id,
                ]
            columns.append(value)
            statement = (
                select(*columns, SPAN.c.id)
                .select_from(SPAN)
                .outerjoin(one, and_(one.c.head_id == SPAN.c.id, one.c.type.in_(list(starts))))
                .outerjoin(first, and_(first.c.id == one.c.tail_id, *first_ok))
                .outerjoin(other, and_(other.c.head_id == SPAN.c.id, other.c.type == ends))
                .outerjoin(second, and_(second.c.id == other.c.tail_id, *passing(second)))
                .where(*conditions, or_(first.c.id.is_not(None), second.c.id.is_not(None)))
            )
            found.rows = driver_rows(connection, statement)
            used = {row[0] for row in found.rows} | {row[3] for row in found.rows}
            used.discard(None)
            if used:
                found.entities = {
                    id_: (uuid, name)
                    for id_, uuid, name in connection.execute(
                        select(ENTITY.c.id, ENTITY.c.uuid, ENTITY.c.name)
                    ).all()
                    if id_ in used
                }
        return found

    def record_dates(self, kind: str, *, statuses: Sequence[str] = ("accepted",)) -> list:
        """Each date the records of ``kind`` are placed at, once (None for undated ones), as
        :meth:`network_links` compares them: few values, to choose from in Python."""
        with self._read() as connection:
            labels = dict(connection.execute(select(LABEL.c.id, LABEL.c.name)).all())
            heads = self._heads(connection, kind, labels, (), statuses)
            if heads is None:
                return []
            when = self._when(kind, heads.passing)
            return list(
                connection.execute(select(when).where(*heads.conditions).distinct()).scalars()
            )

    def record_values(
        self, kind: str, attribute: str, *, statuses: Sequence[str] = ("accepted",)
    ) -> list:
        """Each value of ``attribute`` (an event's type, a claim's stance) the records of
        ``kind`` hold, once, as stored (None for records without it)."""
        with self._read() as connection:
            labels = dict(connection.execute(select(LABEL.c.id, LABEL.c.name)).all())
            heads = self._heads(connection, kind, labels, (), statuses)
            if heads is None:
                return []
            value = SPAN.c.attributes[attribute].as_string()
            return list(
                connection.execute(select(value).where(*heads.conditions).distinct()).scalars()
            )

    def span_uuids(self, ids: Sequence[int]) -> dict[int, str]:
        """The uuids of spans by id."""
        found: dict[int, str] = {}
        ids = list(ids)
        with self._read() as connection:
            for low in range(0, len(ids), 5000):
                found.update(
                    connection.execute(
                        select(SPAN.c.id, SPAN.c.uuid).where(SPAN.c.id.in_(ids[low : low + 5000]))
                    ).all()
                )
        return found

    # --- helpers -------------------------------------------------------------------------

    def _heads(self, connection, kind, labels, annotators, statuses) -> _Heads | None:
        """The conditions on the records of ``kind`` and on the spans they link to; None
        when there can be none (no such label, no such annotator)."""
        label_ids = [id_ for id_, name in labels.items() if name.lower() == kind]
        if not label_ids:
            return None
        annotator_ids = []
        if annotators:
            names = dict(connection.execute(select(ANNOTATOR.c.name, ANNOTATOR.c.id)).all())
            annotator_ids = [names[name] for name in annotators if name in names]
            if not annotator_ids:
                return None

        passing = span_conditions(statuses, annotator_ids if annotators else None)

        return _Heads([SPAN.c.label_id.in_(label_ids), *passing(SPAN)], passing)

    def _when(self, kind: str, passing):
        """The date a record of ``kind`` is placed at, as an expression on SPAN."""
        if kind == "claim":
            return select(DOC.c.published).where(DOC.c.id == SPAN.c.document_id).scalar_subquery()
        link, tail = RELATION.alias("time_link"), SPAN.alias("time_tail")
        first_time = (
            select(tail.c.text)
            .select_from(link)
            .join(tail, tail.c.id == link.c.tail_id)
            .where(link.c.head_id == SPAN.c.id, link.c.type == "time", *passing(tail))
            .order_by(tail.c.start)
            .limit(1)
            .scalar_subquery()
        )
        return func.coalesce(func.nullif(SPAN.c.attributes["date"].as_string(), ""), first_time)


@dataclass(frozen=True, slots=True)
class _Heads:
    conditions: list
    passing: object  # span alias -> its conditions on status and annotator
