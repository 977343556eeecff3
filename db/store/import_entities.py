"""The canonical entities an import writes: new ones whole, known ones (by uuid) their new
aliases, an alias claimed by two actors refused at the entity's line."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from db.records import ImportBatch
from db.store.base import ALIAS, ENTITY, SpanError, StoreBase, chunks, new_uuid
from db.store.entities import alias_owners
from db.tables import utcnow


class ImportEntitiesMixin(StoreBase):
    def _import_entities(self, writer, connection, part: ImportBatch, labels) -> None:
        """Write the part's entities, new ones whole and known ones (by uuid) their new
        aliases. An alias belongs to one entity of a label, as in the store: two entities of
        the import, or one of the import and one of the project, claiming the same alias of
        the same label is a :class:`SpanError` at the entity's line."""
        known = writer.entities
        uuids = sorted({entity.uuid for entity in part.entities if entity.uuid} - known.keys())
        for chunk in chunks(uuids):
            for uuid, entity_id, label_id, name in connection.execute(
                select(ENTITY.c.uuid, ENTITY.c.id, ENTITY.c.label_id, ENTITY.c.name).where(
                    ENTITY.c.uuid.in_(chunk)
                )
            ):
                known[uuid] = entity_id
                writer.entity_labels[uuid] = (label_id, name)
        # Every alias the part claims: (label id, alias) -> (entity uuid, where).
        claims: dict[tuple[int | None, str], tuple[str, str]] = {}
        planned: list[tuple] = []
        for entity in part.entities:
            entity_uuid = entity.uuid or new_uuid()
            if entity_uuid in known:
                label_id = writer.entity_labels[entity_uuid][0]
            else:
                try:
                    label_id = labels(entity.label) if entity.label else None
                except SpanError as exc:
                    raise SpanError(
                        f"{entity.where}: {exc}" if entity.where else str(exc)
                    ) from None
            planned.append((entity, entity_uuid, label_id))
            for alias in entity.aliases:
                owner = writer.aliases.get((label_id, alias))
                if owner is None:
                    owner = claims.setdefault((label_id, alias), (entity_uuid, entity.where))
                if owner[0] != entity_uuid:
                    raise SpanError(
                        f"{_at(entity.where)}the alias “{alias}” of “{entity.name}” is also "
                        f"an alias of another entity in the file ({owner[1] or 'earlier'}): "
                        "an alias belongs to one actor"
                    )
        self._check_project_aliases(writer, connection, claims, planned)
        for entity, entity_uuid, label_id in planned:
            if entity_uuid in known:
                entity_id = known[entity_uuid]
                have = set(
                    connection.execute(
                        select(ALIAS.c.alias).where(ALIAS.c.entity_id == entity_id)
                    ).scalars()
                )
                if entity.type:  # a kind the project does not know yet is taken
                    connection.execute(
                        update(ENTITY)
                        .where(ENTITY.c.id == entity_id, ENTITY.c.type.is_(None))
                        .values(type=entity.type)
                    )
            else:
                entity_id = connection.execute(
                    insert(ENTITY).values(
                        uuid=entity_uuid,
                        name=entity.name,
                        label_id=label_id,
                        description=entity.description,
                        type=entity.type,
                        created_at=entity.created_at or utcnow(),
                    )
                ).inserted_primary_key[0]
                known[entity_uuid] = entity_id
                writer.entity_labels[entity_uuid] = (label_id, entity.name)
                writer.summary.entities_added += 1
                have = set()
            for alias in entity.aliases:
                if alias not in have:
                    connection.execute(insert(ALIAS).values(entity_id=entity_id, alias=alias))
                    have.add(alias)
        for key, (entity_uuid, where) in claims.items():
            writer.aliases.setdefault(key, (entity_uuid, where))

    @staticmethod
    def _check_project_aliases(writer, connection, claims, planned) -> None:
        """Refuse an alias of the import that an entity of the project (of the same label,
        and not the same entity) already has."""
        names = {entity_uuid: entity.name for entity, entity_uuid, _ in planned}
        for alias, label_id, uuid, name in alias_owners(connection, {a for _, a in claims}):
            claim = claims.get((label_id, alias))
            if claim is not None and claim[0] != uuid:
                raise SpanError(
                    f"{_at(claim[1])}the alias “{alias}” of “{names[claim[0]]}” already "
                    f"belongs to “{name}” in the project: an alias belongs to one actor"
                )


def _at(where: str) -> str:
    """The ``file:line: `` a message starts with, when the line is known."""
    return f"{where}: " if where else ""
