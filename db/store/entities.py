"""Canonical entities (actors): their names, aliases and type, the spans that link to them,
and the pairs of names an analyst said are not one actor.

An alias belongs to one entity of a label: two actors claiming the same spelling would make
every span with it ambiguous. Names may repeat (two people called Ahmed), aliases may not.

Edits of actors that reach across documents (merge, split, accept a proposed group) are
written by :meth:`EntitiesMixin.put_entities`: the caller says how the entities involved
must stand afterwards, names and aliases and the spans that link to each, and the store
writes exactly that in one transaction. Their undo is the same call with the states read
before (:meth:`EntitiesMixin.entity_states`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

from sqlalchemy import (
    Connection,
    bindparam,
    case,
    delete,
    distinct,
    func,
    insert,
    or_,
    select,
    update,
)

from db.records import ActorMention, ActorSummary, EntityRecord, EntityState
from db.store.base import (
    ALIAS,
    ANNOTATOR,
    DOC,
    ENTITY,
    LABEL,
    SPAN,
    StoreBase,
    StoreError,
    chunks,
    new_uuid,
)
from db.tables import utcnow

CONTEXT = 60  # code points of the document shown either side of an actor's mention


class EntitiesMixin(StoreBase):
    # --- reading ------------------------------------------------------------------------

    def _entity_id(self, connection: Connection, entity_uuid: str | None) -> int | None:
        if entity_uuid is None:
            return None
        found = connection.execute(select(ENTITY.c.id).where(ENTITY.c.uuid == entity_uuid)).scalar()
        if found is None:
            raise StoreError(f"no entity {entity_uuid}")
        return found

    @staticmethod
    def _check_entity_label(connection: Connection, entity_id: int, label_id: int) -> None:
        """Refuse to link a span to an entity of another label (an Actor to an Event...)."""
        row = connection.execute(
            select(ENTITY.c.name, ENTITY.c.label_id, LABEL.c.name)
            .outerjoin(LABEL, LABEL.c.id == ENTITY.c.label_id)
            .where(ENTITY.c.id == entity_id)
        ).one()
        if row[1] is not None and row[1] != label_id:
            raise StoreError(f"only a span labelled {row[2]} can link to “{row[0]}”")

    def _entity_records(self, connection: Connection, condition=None) -> list[EntityRecord]:
        query = (
            select(ENTITY, LABEL.c.name.label("label_name"))
            .outerjoin(LABEL, LABEL.c.id == ENTITY.c.label_id)
            .order_by(ENTITY.c.name, ENTITY.c.uuid)
        )
        if condition is not None:
            query = query.where(condition)
        rows = connection.execute(query).all()
        aliases = self._aliases(connection, [row.id for row in rows])
        return [
            EntityRecord(
                row.id,
                row.uuid,
                row.name,
                row.label_name,
                row.description,
                tuple(aliases[row.id]),
                row.created_at,
                row.type,
            )
            for row in rows
        ]

    @staticmethod
    def _aliases(connection: Connection, entity_ids: Sequence[int]) -> dict[int, list[str]]:
        aliases: dict[int, list[str]] = defaultdict(list)
        if len(entity_ids) > 2000:  # most of the table: one scan beats thousands of lookups
            rows = connection.execute(select(ALIAS.c.entity_id, ALIAS.c.alias))
            wanted = set(entity_ids)
            for entity_id, alias in rows:
                if entity_id in wanted:
                    aliases[entity_id].append(alias)
        else:
            for chunk in chunks(list(entity_ids)):
                for entity_id, alias in connection.execute(
                    select(ALIAS.c.entity_id, ALIAS.c.alias).where(ALIAS.c.entity_id.in_(chunk))
                ):
                    aliases[entity_id].append(alias)
        for names in aliases.values():
            names.sort()
        return aliases

    def entities(self, label: str | None = None) -> list[EntityRecord]:
        """Canonical actors and events with their aliases."""
        with self._read() as connection:
            condition = None
            if label is not None:
                condition = func.lower(LABEL.c.name) == label.lower()
            return self._entity_records(connection, condition)

    def entity(self, entity_uuid: str) -> EntityRecord | None:
        with self._read() as connection:
            found = self._entity_records(connection, ENTITY.c.uuid == entity_uuid)
        return found[0] if found else None

    def _actor_condition(self, label: str | None):
        """Entities of ``label`` (any case) and those with no label; all when None."""
        if label is None:
            return None
        return or_(func.lower(LABEL.c.name) == label.lower(), ENTITY.c.label_id.is_(None))

    def actor_summaries(self, label: str | None = "Actor") -> list[ActorSummary]:
        """Every canonical actor (entities of ``label`` and those without a label) with its
        aliases and how often and in how many documents it is mentioned, by name."""
        counts = (
            select(
                SPAN.c.entity_id,
                func.count().label("mentions"),
                func.count(distinct(SPAN.c.document_id)).label("documents"),
            )
            .where(SPAN.c.entity_id.is_not(None), SPAN.c.status != "rejected")
            .group_by(SPAN.c.entity_id)
            .subquery()
        )
        query = (
            select(
                ENTITY.c.id,
                ENTITY.c.uuid,
                ENTITY.c.name,
                ENTITY.c.type,
                LABEL.c.name,
                ENTITY.c.description,
                func.coalesce(counts.c.mentions, 0),
                func.coalesce(counts.c.documents, 0),
            )
            .outerjoin(LABEL, LABEL.c.id == ENTITY.c.label_id)
            .outerjoin(counts, counts.c.entity_id == ENTITY.c.id)
        )
        condition = self._actor_condition(label)
        if condition is not None:
            query = query.where(condition)
        with self._read() as connection:
            rows = connection.execute(query).all()
            aliases = self._aliases(connection, [row[0] for row in rows])
        summaries = [
            ActorSummary(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                tuple(aliases[row[0]]),
                row[6],
                row[7],
            )
            for row in rows
        ]
        summaries.sort(key=lambda summary: (summary.name.casefold(), summary.name, summary.uuid))
        return summaries

    def actor_mentions(self, entity_uuid: str, *, limit: int | None = None) -> list[ActorMention]:
        """The spans linked to an actor across the corpus (rejected suggestions left out),
        by document and position, each with the words around it."""
        before_start = case((SPAN.c.start > CONTEXT, SPAN.c.start - CONTEXT), else_=0)
        query = (
            select(
                SPAN.c.uuid,
                SPAN.c.document_id,
                DOC.c.title,
                SPAN.c.start,
                SPAN.c.end,
                SPAN.c.text,
                ANNOTATOR.c.name,
                SPAN.c.status,
                func.substr(DOC.c.text, before_start + 1, SPAN.c.start - before_start),
                func.substr(DOC.c.text, SPAN.c.end + 1, CONTEXT),
            )
            .select_from(SPAN)
            .join(ENTITY, ENTITY.c.id == SPAN.c.entity_id)
            .join(DOC, DOC.c.id == SPAN.c.document_id)
            .join(ANNOTATOR, ANNOTATOR.c.id == SPAN.c.annotator_id)
            .where(ENTITY.c.uuid == entity_uuid, SPAN.c.status != "rejected")
            .order_by(SPAN.c.document_id, SPAN.c.start, SPAN.c.end, SPAN.c.uuid)
        )
        if limit is not None:
            query = query.limit(limit)
        with self._read() as connection:
            return [ActorMention(*row) for row in connection.execute(query)]

    def entity_states(self, entity_uuids: Iterable[str]) -> list[EntityState]:
        """The entities as they stand, each with the uuids of the spans linking to it (in
        the order asked; uuids of entities that do not exist are left out)."""
        wanted = list(dict.fromkeys(entity_uuids))
        with self._read() as connection:
            return self._entity_states(connection, wanted)

    def _entity_states(self, connection: Connection, wanted: Sequence[str]) -> list[EntityState]:
        records: dict[str, EntityRecord] = {}
        for chunk in chunks(list(wanted)):
            for record in self._entity_records(connection, ENTITY.c.uuid.in_(chunk)):
                records[record.uuid] = record
        linked: dict[int, list[str]] = defaultdict(list)
        ids = [record.id for record in records.values()]
        for chunk in chunks(ids):
            for entity_id, span_uuid in connection.execute(
                select(SPAN.c.entity_id, SPAN.c.uuid)
                .where(SPAN.c.entity_id.in_(chunk))
                .order_by(SPAN.c.uuid)
            ):
                linked[entity_id].append(span_uuid)
        return [
            EntityState(records[uuid], tuple(linked[records[uuid].id]))
            for uuid in wanted
            if uuid in records
        ]

    def linked_entities(self, span_uuids: Iterable[str]) -> dict[str, str]:
        """The entity each of these spans links to (spans linking to none are left out)."""
        found: dict[str, str] = {}
        with self._read() as connection:
            for chunk in chunks(sorted(set(span_uuids))):
                found.update(
                    connection.execute(
                        select(SPAN.c.uuid, ENTITY.c.uuid)
                        .join(ENTITY, ENTITY.c.id == SPAN.c.entity_id)
                        .where(SPAN.c.uuid.in_(chunk))
                    ).all()
                )
        return found

    # --- writing ------------------------------------------------------------------------

    def add_entity(
        self,
        name: str,
        *,
        label: str | None = None,
        aliases: Iterable[str] = (),
        description: str = "",
        entity_uuid: str | None = None,
        type: str | None = None,  # noqa: A002 - the entity's field
    ) -> EntityRecord:
        """Create a canonical entity (its own name counts as an alias)."""
        name = _clean_name(name)
        with self._write() as connection:
            entity_uuid = entity_uuid or new_uuid()
            label_id = None
            if label is not None:
                label_id = self._label_ids(connection, create=True)(label)
            aliases = sorted({_clean_name(a) for a in aliases if a.strip()} - {name})
            self._check_aliases(connection, {entity_uuid: (label_id, aliases)})
            entity_id = connection.execute(
                insert(ENTITY).values(
                    uuid=entity_uuid,
                    name=name,
                    label_id=label_id,
                    description=description,
                    type=type,
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]
            for alias in aliases:
                connection.execute(insert(ALIAS).values(entity_id=entity_id, alias=alias))
            return self._entity_records(connection, ENTITY.c.id == entity_id)[0]

    def add_alias(self, entity_uuid: str, alias: str) -> EntityRecord:
        alias = _clean_name(alias)
        with self._write() as connection:
            entity_id = self._entity_id(connection, entity_uuid)
            record = self._entity_records(connection, ENTITY.c.id == entity_id)[0]
            if alias != record.name and alias not in record.aliases:
                label_id = connection.execute(
                    select(ENTITY.c.label_id).where(ENTITY.c.id == entity_id)
                ).scalar()
                self._check_aliases(connection, {entity_uuid: (label_id, [alias])})
                connection.execute(insert(ALIAS).values(entity_id=entity_id, alias=alias))
            return self._entity_records(connection, ENTITY.c.id == entity_id)[0]

    def _check_aliases(
        self,
        connection: Connection,
        claims: dict[str, tuple[int | None, Sequence[str]]],
        ignore: Collection[str] = (),
    ) -> None:
        """Refuse an alias that another entity of the same label already has.

        ``claims`` maps entity uuids to (label id, the aliases they are to have); entities
        in ``ignore`` (being rewritten or removed in the same transaction) are not counted.
        """
        owners: dict[tuple[int | None, str], str] = {}
        for entity_uuid, (label_id, aliases) in claims.items():
            for alias in aliases:
                other = owners.setdefault((label_id, alias), entity_uuid)
                if other != entity_uuid:
                    raise StoreError(f"the alias “{alias}” is claimed by two actors")
        skip = set(claims) | set(ignore)
        for alias, label_id, uuid, name in alias_owners(connection, {a for _, a in owners}):
            if uuid not in skip and (label_id, alias) in owners:
                raise StoreError(f"the alias “{alias}” already belongs to “{name}”")

    def put_entities(
        self,
        states: Sequence[EntityState],
        *,
        absent: Iterable[str] = (),
        follow: Mapping[str, str] | None = None,
    ) -> list[tuple[str, int]]:
        """Make the entities stand as ``states`` say, in one transaction: each entity's
        name, label, type, description and aliases, and exactly its spans linking to it;
        the entities named in ``absent`` are deleted, their spans left unlinked.

        An entity that does not exist is created with the state's uuid. A span linked to
        one of these entities that no state lists is unlinked, except that a span linked to
        an absent entity that ``follow`` maps to another goes to that one: a merge keeps
        the links a colleague made to the merged actor after the merge was planned. A span
        a state lists that no longer exists is passed over. Returns the spans whose link
        changed, as (uuid, document id); each of them has its version moved on.
        """
        follow = dict(follow or {})
        absent = [
            uuid for uuid in dict.fromkeys(absent) if uuid not in {s.entity.uuid for s in states}
        ]
        targets: dict[str, str] = {}
        for state in states:
            if not state.entity.name.strip():
                raise StoreError("an actor needs a name")
            for span_uuid in state.span_uuids:
                if targets.setdefault(span_uuid, state.entity.uuid) != state.entity.uuid:
                    raise StoreError(f"span {span_uuid} cannot link to two actors")
        with self._write() as connection:
            label_ids = self._label_ids(connection, create=True)
            involved = [state.entity.uuid for state in states] + absent
            ids: dict[str, int] = {}
            for chunk in chunks(involved):
                query = select(ENTITY.c.uuid, ENTITY.c.id).where(ENTITY.c.uuid.in_(chunk))
                if self.dialect == "postgresql":
                    # Two edits of the same actors run one after the other (SQLite's write
                    # transactions hold the whole database already).
                    query = query.order_by(ENTITY.c.id).with_for_update()
                ids.update(connection.execute(query).all())
            wanted_labels = {
                state.entity.uuid: label_ids(state.entity.label) if state.entity.label else None
                for state in states
            }
            self._check_aliases(
                connection,
                {
                    state.entity.uuid: (
                        wanted_labels[state.entity.uuid],
                        [a for a in state.entity.aliases if a != state.entity.name],
                    )
                    for state in states
                },
                ignore=absent,
            )
            # The spans linked now to any entity involved, and the spans to be linked.
            current: dict[str, tuple[int | None, int, int]] = {}  # uuid: entity, doc, label
            columns = (SPAN.c.uuid, SPAN.c.entity_id, SPAN.c.document_id, SPAN.c.label_id)
            for key, wanted in (
                (SPAN.c.entity_id, list(ids.values())),
                (SPAN.c.uuid, list(targets)),  # those not linked to them yet
            ):
                for chunk in chunks([value for value in wanted if value not in current]):
                    for row in connection.execute(select(*columns).where(key.in_(chunk))):
                        current[row[0]] = (row[1], row[2], row[3])
            # Entities: rewrite those that exist, create the others, delete the absent.
            for state in states:
                entity = state.entity
                values = dict(
                    name=_clean_name(entity.name),
                    label_id=wanted_labels[entity.uuid],
                    description=entity.description,
                    type=entity.type,
                )
                if entity.uuid in ids:
                    entity_id = ids[entity.uuid]
                    connection.execute(
                        update(ENTITY).where(ENTITY.c.id == entity_id).values(**values)
                    )
                    connection.execute(delete(ALIAS).where(ALIAS.c.entity_id == entity_id))
                else:
                    entity_id = connection.execute(
                        insert(ENTITY).values(
                            uuid=entity.uuid, created_at=entity.created_at or utcnow(), **values
                        )
                    ).inserted_primary_key[0]
                    ids[entity.uuid] = entity_id
                aliases = sorted({_clean_name(a) for a in entity.aliases} - {values["name"]})
                if aliases:
                    connection.execute(
                        insert(ALIAS), [{"entity_id": entity_id, "alias": a} for a in aliases]
                    )
            # Links: every span whose entity changes moves its version on.
            new_link: dict[str, int | None] = {}
            followed = {
                ids[old]: new for old, new in follow.items() if old in ids and new in wanted_labels
            }
            id_uuid = {entity_id: uuid for uuid, entity_id in ids.items()}
            for span_uuid, (entity_id, _document, label_id) in current.items():
                target = targets.get(span_uuid)
                if target is None and entity_id in followed and id_uuid[entity_id] in absent:
                    target = followed[entity_id]
                wanted = ids[target] if target is not None else None
                if target is not None:
                    wanted_label = wanted_labels[target]
                    if wanted_label is not None and wanted_label != label_id:
                        raise StoreError(
                            f"span {span_uuid} is not of the actor's label and cannot link to it"
                        )
                if wanted != entity_id:
                    new_link[span_uuid] = wanted
            if new_link:
                now = utcnow()
                connection.execute(
                    update(SPAN)
                    .where(SPAN.c.uuid == bindparam("span_uuid"))
                    .values(
                        entity_id=bindparam("entity"), version=SPAN.c.version + 1, updated_at=now
                    ),
                    [{"span_uuid": uuid, "entity": entity} for uuid, entity in new_link.items()],
                )
            for uuid in absent:
                if uuid in ids:
                    connection.execute(delete(ENTITY).where(ENTITY.c.id == ids[uuid]))
            return [(uuid, current[uuid][1]) for uuid in sorted(new_link)]


def alias_owners(connection: Connection, aliases: Collection[str]) -> Iterator[tuple]:
    """(alias, label id, entity uuid, entity name) for every entity of the project that
    has one of ``aliases`` as an alias."""
    for chunk in chunks(sorted(aliases)):
        yield from connection.execute(
            select(ALIAS.c.alias, ENTITY.c.label_id, ENTITY.c.uuid, ENTITY.c.name)
            .join(ENTITY, ENTITY.c.id == ALIAS.c.entity_id)
            .where(ALIAS.c.alias.in_(chunk))
        )


def _clean_name(name: str) -> str:
    """A name as the analyst wrote it, without the spaces around it; never empty."""
    cleaned = name.strip()
    if not cleaned:
        raise StoreError("an actor's name or alias cannot be empty")
    return cleaned
