"""Label schemas: changing them without dropping values, and checking spans and relations
against them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Text, cast, select, update

from db.records import LabelRecord, SpanRecord
from db.schema import LabelSchema, SchemaError, removed_values
from db.store.base import (
    LABEL,
    SPAN,
    SpanError,
    StoreBase,
    StoreError,
    chunks,
    label_record,
    span_record,
    span_select,
)
from db.tables import utcnow

# What becomes of the values a schema change takes away: per attribute, per old value, the
# new value, or None to clear it; the key "*" stands for every value of that attribute.
Recode = Mapping[str, Mapping[str, Any]]


class SchemaInUseError(StoreError):
    """A schema change would take away values that spans still carry; say what to do."""

    def __init__(self, label: str, attribute: str, values: dict[str, int]):
        count = sum(values.values())
        shown = ", ".join(f"{value!r} ({n})" for value, n in sorted(values.items()))
        super().__init__(
            f"label {label!r}: {count} span(s) have {attribute} {shown}, which the new schema "
            "no longer allows"
        )
        self.label = label
        self.attribute = attribute
        self.values = values
        self.count = count


class SchemasMixin(StoreBase):
    def _schemas(self, connection: Connection) -> dict[int, tuple[str, LabelSchema]]:
        """Every label's (name, schema) by label id."""
        return {
            label_id: (name, LabelSchema.from_json(schema))
            for label_id, name, schema in connection.execute(
                select(LABEL.c.id, LABEL.c.name, LABEL.c["schema"])
            )
        }

    def set_label_schema(
        self,
        label_id: int,
        schema: LabelSchema,
        *,
        recode: Recode | None = None,
        restore: Sequence[SpanRecord] = (),
    ) -> tuple[LabelRecord, list[SpanRecord]]:
        """Give a label a new schema, in one transaction.

        Values that the new schema no longer allows (a removed choice, a removed attribute)
        must be named in ``recode`` (attribute -> old value or "*" -> new value or None);
        otherwise :class:`SchemaInUseError` names the first attribute in the way and nothing
        is written. ``restore`` puts spans' attributes back as those snapshots have them
        first (undo of a recode). Returns the label and the spans changed, as they were
        before (for undo).
        """
        try:
            schema.check()
        except SchemaError as exc:
            raise StoreError(str(exc)) from None
        recode = recode or {}
        with self._write() as connection:
            current = self._schemas(connection).get(label_id)
            if current is None:
                raise StoreError(f"no label with id {label_id}")
            name, old = current
            self._put_attributes(connection, restore)
            removed = removed_values(old, schema)
            before: list[SpanRecord] = []
            if removed:
                before = self._recode_spans(connection, label_id, name, schema, removed, recode)
            connection.execute(
                update(LABEL).where(LABEL.c.id == label_id).values(schema=schema.to_json())
            )
            row = connection.execute(select(LABEL).where(LABEL.c.id == label_id)).one()
        return label_record(row), before

    def _recode_spans(
        self,
        connection: Connection,
        label_id: int,
        label: str,
        schema: LabelSchema,
        removed: dict[str, set[str] | None],
        recode: Recode,
    ) -> list[SpanRecord]:
        spans = [
            span_record(row)
            for row in connection.execute(
                span_select().where(
                    SPAN.c.label_id == label_id, cast(SPAN.c.attributes, Text) != "{}"
                )
            )
        ]
        changes: dict[str, dict[str, Any]] = {}
        before: dict[str, SpanRecord] = {}
        for attribute, gone in removed.items():
            hit: dict[str, int] = {}
            mapping = recode.get(attribute, {})
            for span in spans:
                value = span.attributes.get(attribute)
                if value is None:  # no value, as schema_usage and check_value have it
                    continue
                if gone is not None and value not in gone:
                    continue
                key = value if isinstance(value, str) else str(value)
                if gone is None and key not in mapping and _fits(schema, attribute, value):
                    continue  # a change of kind takes away only the values that no longer fit
                if key in mapping or "*" in mapping:
                    new = mapping[key] if key in mapping else mapping["*"]
                    attributes = dict(changes.get(span.uuid, span.attributes))
                    if new is None:
                        attributes.pop(attribute, None)
                    else:
                        try:
                            schema.check_value(attribute, new)
                        except SchemaError as exc:
                            raise StoreError(f"label {label!r}: {exc}") from None
                        attributes[attribute] = new
                    changes[span.uuid] = attributes
                    before[span.uuid] = span
                else:
                    hit[key] = hit.get(key, 0) + 1
            if hit:
                raise SchemaInUseError(label, attribute, hit)
        now = utcnow()
        for span_uuid, attributes in changes.items():
            connection.execute(
                update(SPAN)
                .where(SPAN.c.uuid == span_uuid)
                .values(attributes=attributes, updated_at=now, version=SPAN.c.version + 1)
            )
        return list(before.values())

    def restore_span_attributes(self, snapshots: Sequence[SpanRecord]) -> None:
        """Put spans' attributes back as the snapshots have them (undo of a recode)."""
        with self._write() as connection:
            self._put_attributes(connection, snapshots)

    @staticmethod
    def _put_attributes(connection: Connection, snapshots: Sequence[SpanRecord]) -> None:
        now = utcnow()
        for span in snapshots:
            connection.execute(
                update(SPAN)
                .where(SPAN.c.uuid == span.uuid)
                .values(attributes=span.attributes, updated_at=now, version=SPAN.c.version + 1)
            )

    def schema_usage(self, label_id: int, attribute: str) -> dict[str, int]:
        """How many of the label's spans carry each value of ``attribute``."""
        counts: dict[str, int] = {}
        with self._read() as connection:
            for row in connection.execute(
                span_select().where(
                    SPAN.c.label_id == label_id, cast(SPAN.c.attributes, Text) != "{}"
                )
            ):
                value = span_record(row).attributes.get(attribute)
                if value is not None:
                    key = value if isinstance(value, str) else str(value)
                    counts[key] = counts.get(key, 0) + 1
        return counts

    # --- checks used by every write ----------------------------------------------------------

    @staticmethod
    def _check_attributes(
        schemas: dict[int, tuple[str, LabelSchema]],
        label_id: int,
        attributes: Mapping[str, Any] | None,
        where: str = "",
    ) -> None:
        """Raise :class:`SpanError` if an attribute value does not fit the label's schema."""
        if not attributes or label_id not in schemas:
            return
        name, schema = schemas[label_id]
        try:
            schema.check_values(attributes)
        except SchemaError as exc:
            prefix = f"{where}: " if where else ""
            raise SpanError(f"{prefix}{name}: {exc}") from None

    @staticmethod
    def _check_relation_labels(
        schemas: dict[int, tuple[str, LabelSchema]],
        type: str,  # noqa: A002 - the relation's field
        head_label_id: int,
        tail_label_id: int,
        where: str = "",
    ) -> None:
        """Raise :class:`SpanError` if the head's schema declares ``type`` and does not let
        it point at the tail's label. Types a schema does not declare are free."""
        head_name, schema = schemas.get(head_label_id, ("", LabelSchema()))
        spec = schema.relation(type)
        tail_name = schemas.get(tail_label_id, ("?", None))[0]
        if spec is not None and not spec.allows(tail_name):
            prefix = f"{where}: " if where else ""
            raise SpanError(
                f"{prefix}a {head_name}'s {type} points at {', '.join(spec.targets)}, "
                f"not at {tail_name}"
            )

    def _label_ids_of_spans(self, connection: Connection, span_ids: list[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for chunk in chunks(span_ids):
            found.update(
                connection.execute(
                    select(SPAN.c.id, SPAN.c.label_id).where(SPAN.c.id.in_(chunk))
                ).all()
            )
        return found


def _fits(schema: LabelSchema, attribute: str, value: Any) -> bool:
    """Whether ``value`` is still a value of ``attribute`` under ``schema`` (which has it)."""
    if schema.attribute(attribute) is None:
        return False
    try:
        schema.check_value(attribute, value)
    except SchemaError:
        return False
    return True
