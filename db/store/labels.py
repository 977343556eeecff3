"""Labels (the palette) and annotators."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    Connection,
    delete,
    func,
    insert,
    select,
    update,
)

from db.limits import (
    ANNOTATOR_NAME,
    LABEL_COLOUR,
    LABEL_NAME,
    LABEL_SHORTCUT,
    LimitError,
    check_name,
    check_one_line,
    check_optional,
)
from db.records import (
    AnnotatorRecord,
    LabelRecord,
    RemovedLabel,
)
from db.schema import LabelSchema, default_schemas
from db.store.base import (
    ANNOTATOR,
    ENTITY,
    LABEL,
    SPAN,
    LabelInUseError,
    SpanError,
    StoreBase,
    StoreError,
    chunks,
    label_record,
)
from db.tables import (
    GOLD,
    utcnow,
)


def _check_label_values(
    name: str | None,
    colour: str | None = None,
    shortcut: str | None = None,
    description: str | None = None,
) -> None:
    """Refuse, with :class:`StoreError`, a label value that no project can hold (db.limits)."""
    try:
        if name is not None:
            check_name(name.strip(), LABEL_NAME, "label name")
            check_one_line(name.strip(), "label name")
        check_optional(colour, LABEL_COLOUR, "label colour")
        check_optional(shortcut, LABEL_SHORTCUT, "label key")
        check_optional(description, None, "label description")
    except LimitError as exc:
        raise StoreError(str(exc)) from None


class LabelsMixin(StoreBase):
    def _seed_labels(self) -> None:
        from resources import label_defaults

        schemas = default_schemas()
        with self._write() as connection:
            if connection.execute(select(func.count()).select_from(LABEL)).scalar_one():
                return
            for position, label in enumerate(label_defaults()["labels"]):
                connection.execute(
                    insert(LABEL).values(
                        name=label["name"],
                        kind="span",
                        colour=label["colour"],
                        shortcut=label.get("shortcut"),
                        description=label.get("description", ""),
                        position=position,
                        schema=schemas[label["name"]].to_json(),
                    )
                )

    def labels(self) -> list[LabelRecord]:
        """Every label, in palette order."""
        with self._read() as connection:
            rows = connection.execute(select(LABEL).order_by(LABEL.c.position, LABEL.c.id))
            return [label_record(row) for row in rows]

    def label(self, label_id: int) -> LabelRecord:
        with self._read() as connection:
            row = connection.execute(select(LABEL).where(LABEL.c.id == label_id)).one_or_none()
        if row is None:
            raise StoreError(f"no label with id {label_id}")
        return label_record(row)

    def label_by_name(self, name: str) -> LabelRecord | None:
        """The label called ``name``, compared without regard to case."""
        with self._read() as connection:
            row = connection.execute(
                select(LABEL).where(func.lower(LABEL.c.name) == name.lower())
            ).first()
        return label_record(row) if row else None

    def _next_colour(self, connection: Connection) -> str:
        from resources import label_defaults

        used = {row[0].lower() for row in connection.execute(select(LABEL.c.colour))}
        palette = label_defaults()["palette"]
        for colour in palette:
            if colour.lower() not in used:
                return colour
        return palette[len(used) % len(palette)]

    def _check_label_fields(
        self, connection: Connection, name: str | None, shortcut: str | None, exclude: int | None
    ) -> None:
        if name is not None:
            if not name.strip():
                raise StoreError("a label needs a name")
            clash = select(LABEL.c.id).where(func.lower(LABEL.c.name) == name.strip().lower())
            if exclude is not None:
                clash = clash.where(LABEL.c.id != exclude)
            if connection.execute(clash).first():
                raise StoreError(f"there is already a label called {name.strip()!r}")
        if shortcut:
            clash = select(LABEL.c.name).where(func.lower(LABEL.c.shortcut) == shortcut.lower())
            if exclude is not None:
                clash = clash.where(LABEL.c.id != exclude)
            taken = connection.execute(clash).scalar()
            if taken:
                raise StoreError(f"the key {shortcut!r} already belongs to label {taken!r}")

    def _insert_label(
        self,
        connection: Connection,
        name: str,
        colour: str | None = None,
        shortcut: str | None = None,
        description: str = "",
        kind: str = "span",
        position: int | None = None,
        schema: LabelSchema | None = None,
    ) -> int:
        if position is None:
            position = (connection.execute(select(func.max(LABEL.c.position))).scalar() or 0) + 1
        result = connection.execute(
            insert(LABEL).values(
                name=name.strip(),
                kind=kind,
                colour=colour or self._next_colour(connection),
                shortcut=shortcut or None,
                description=description,
                position=position,
                schema=(schema or LabelSchema()).to_json(),
            )
        )
        return result.inserted_primary_key[0]

    def add_label(
        self,
        name: str,
        colour: str | None = None,
        shortcut: str | None = None,
        description: str = "",
        schema: LabelSchema | None = None,
    ) -> LabelRecord:
        """Add a label at the end of the palette."""
        _check_label_values(name, colour, shortcut, description)
        if schema is not None:
            schema.check()
        with self._write() as connection:
            self._check_label_fields(connection, name, shortcut, None)
            label_id = self._insert_label(
                connection, name, colour, shortcut, description, schema=schema
            )
        return self.label(label_id)

    def update_label(self, label_id: int, **changes: Any) -> LabelRecord:
        """Rename, recolour, re-key or redescribe a label (``name``, ``colour``, ``shortcut``,
        ``description``)."""
        allowed = {"name", "colour", "shortcut", "description"}
        unknown = set(changes) - allowed
        if unknown:
            raise StoreError(f"labels have no field {sorted(unknown)[0]!r}")
        _check_label_values(
            changes.get("name"),
            changes.get("colour"),
            changes.get("shortcut"),
            changes.get("description"),
        )
        with self._write() as connection:
            self._check_label_fields(
                connection, changes.get("name"), changes.get("shortcut"), label_id
            )
            if "name" in changes:
                changes["name"] = changes["name"].strip()
                self._rename_targets(connection, label_id, changes["name"])
            if "shortcut" in changes and not changes["shortcut"]:
                changes["shortcut"] = None
            result = connection.execute(
                update(LABEL).where(LABEL.c.id == label_id).values(**changes)
            )
            if result.rowcount == 0:
                raise StoreError(f"no label with id {label_id}")
        return self.label(label_id)

    def reorder_labels(self, label_ids: Sequence[int]) -> list[LabelRecord]:
        """Put the labels in the given order (every label id, once)."""
        with self._write() as connection:
            known = set(connection.execute(select(LABEL.c.id)).scalars())
            if set(label_ids) != known or len(label_ids) != len(known):
                raise StoreError("reordering must name every label exactly once")
            for position, label_id in enumerate(label_ids):
                connection.execute(
                    update(LABEL).where(LABEL.c.id == label_id).values(position=position)
                )
        return self.labels()

    def label_usage(self, label_id: int) -> int:
        """How many spans carry this label."""
        with self._read() as connection:
            return connection.execute(
                select(func.count()).select_from(SPAN).where(SPAN.c.label_id == label_id)
            ).scalar_one()

    def delete_label(
        self, label_id: int, *, relabel_to: int | None = None, delete_spans: bool = False
    ) -> int:
        """Remove a label. A label in use needs ``relabel_to`` (move its spans to another
        label) or ``delete_spans``; otherwise :class:`LabelInUseError`. Returns the number
        of spans moved or deleted."""
        with self._write() as connection:
            removed = self._remove_label(connection, label_id, relabel_to, delete_spans)
        return len(removed.deleted) + len(removed.moved)

    def remove_label(self, label_id: int, *, relabel_to: int | None = None) -> RemovedLabel:
        """Remove a label with its spans in one transaction: they move to ``relabel_to``, or
        are deleted with their relations. Returns what :meth:`restore_label` puts back."""
        with self._write() as connection:
            return self._remove_label(connection, label_id, relabel_to, True)

    def _remove_label(
        self, connection: Connection, label_id: int, relabel_to: int | None, delete_spans: bool
    ) -> RemovedLabel:
        row = connection.execute(select(LABEL).where(LABEL.c.id == label_id)).first()
        if row is None:
            raise StoreError(f"no label with id {label_id}")
        label = label_record(row)
        uuids = list(
            connection.execute(select(SPAN.c.uuid).where(SPAN.c.label_id == label_id)).scalars()
        )
        self._lock_spans(connection, uuids)
        spans = self._spans_by_uuid(connection, uuids)
        if spans and relabel_to is None and not delete_spans:
            raise LabelInUseError(label.name, len(spans))
        deleted: list = []
        if spans and relabel_to is not None:
            if relabel_to == label_id:
                raise StoreError("cannot move spans to the label being removed")
            connection.execute(
                update(SPAN)
                .where(SPAN.c.label_id == label_id)
                .values(label_id=relabel_to, updated_at=utcnow(), version=SPAN.c.version + 1)
            )
        elif spans:
            deleted = self._delete(connection, [span.uuid for span in spans], None, {})
        entity_ids = tuple(
            connection.execute(select(ENTITY.c.id).where(ENTITY.c.label_id == label_id)).scalars()
        )
        connection.execute(
            update(ENTITY).where(ENTITY.c.label_id == label_id).values(label_id=relabel_to)
        )
        connection.execute(delete(LABEL).where(LABEL.c.id == label_id))
        moved = tuple(spans) if relabel_to is not None else ()
        return RemovedLabel(label, tuple(deleted), moved, entity_ids)

    def restore_label(
        self, record: LabelRecord, *, removed: RemovedLabel | None = None
    ) -> LabelRecord:
        """Put a removed label back exactly, with its id (undo of a removal), and, given
        what :meth:`remove_label` returned, its spans as they were: all in one transaction."""
        with self._write() as connection:
            self._check_label_fields(connection, record.name, record.shortcut, None)
            connection.execute(
                insert(LABEL).values(
                    id=record.id,
                    name=record.name,
                    kind=record.kind,
                    colour=record.colour,
                    shortcut=record.shortcut,
                    description=record.description,
                    position=record.position,
                    schema=record.schema.to_json(),
                )
            )
            if removed is not None:
                if removed.deleted:
                    self._restore(connection, removed.deleted)
                uuids = [span.uuid for span in removed.moved]
                self._lock_spans(connection, uuids)
                for span in removed.moved:
                    self._put(connection, span, None, None)
                for chunk in chunks(list(removed.entity_ids)):
                    connection.execute(
                        update(ENTITY).where(ENTITY.c.id.in_(chunk)).values(label_id=record.id)
                    )
        return self.label(record.id)

    def _rename_targets(self, connection: Connection, label_id: int, new_name: str) -> None:
        """Point other labels' relations at a label's new name."""
        old_name = connection.execute(select(LABEL.c.name).where(LABEL.c.id == label_id)).scalar()
        if old_name is None or old_name == new_name:
            return
        for row in connection.execute(select(LABEL)).all():
            schema = label_record(row).schema
            if not any(old_name.lower() in map(str.lower, r.targets) for r in schema.relations):
                continue
            relations = tuple(
                replace(
                    spec,
                    targets=tuple(
                        new_name if target.lower() == old_name.lower() else target
                        for target in spec.targets
                    ),
                )
                for spec in schema.relations
            )
            connection.execute(
                update(LABEL)
                .where(LABEL.c.id == row.id)
                .values(schema=replace(schema, relations=relations).to_json())
            )

    def _label_ids(
        self, connection: Connection, *, create: bool, created: list[str] | None = None
    ) -> Callable[[str], int]:
        """A resolver from label names (any case) to ids, creating missing labels when
        ``create``; the names it creates are appended to ``created``."""
        known = {
            name.lower(): label_id
            for label_id, name in connection.execute(select(LABEL.c.id, LABEL.c.name))
        }

        def resolve(name: str) -> int:
            key = name.strip().lower()
            if key in known:
                return known[key]
            if not create or not key:
                raise SpanError(f"unknown label {name!r}")
            try:
                check_name(name.strip(), LABEL_NAME, "label name")
            except LimitError as exc:
                raise SpanError(str(exc)) from None
            known[key] = self._insert_label(connection, name.strip())
            if created is not None:
                created.append(name.strip())
            return known[key]

        return resolve

    def _annotator_id(self, connection: Connection, name: str, is_gold: bool = False) -> int:
        name = name.strip()
        if not name:
            raise StoreError("an annotator needs a name")
        try:
            check_name(name, ANNOTATOR_NAME, "annotator name")
        except LimitError as exc:
            raise StoreError(str(exc)) from None
        found = connection.execute(select(ANNOTATOR.c.id).where(ANNOTATOR.c.name == name)).scalar()
        if found is not None:
            return found
        result = connection.execute(
            insert(ANNOTATOR).values(
                name=name, is_gold=is_gold or name == GOLD, created_at=utcnow()
            )
        )
        return result.inserted_primary_key[0]

    def ensure_annotator(self, name: str, *, is_gold: bool = False) -> AnnotatorRecord:
        """The annotator called ``name``, created if new."""
        with self._write() as connection:
            annotator_id = self._annotator_id(connection, name, is_gold)
            row = connection.execute(select(ANNOTATOR).where(ANNOTATOR.c.id == annotator_id)).one()
        return AnnotatorRecord(row.id, row.name, row.is_gold)

    def gold_annotator(self) -> AnnotatorRecord:
        """The annotator that holds the adjudicated (gold) layer."""
        return self.ensure_annotator(GOLD, is_gold=True)

    def annotators(self) -> list[AnnotatorRecord]:
        with self._read() as connection:
            rows = connection.execute(select(ANNOTATOR).order_by(ANNOTATOR.c.name))
            return [AnnotatorRecord(row.id, row.name, row.is_gold) for row in rows]
