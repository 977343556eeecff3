"""A label's schema: the attributes its spans carry and the relations that may start from them.

An event has a type, a date, a place and a toll, and links to its agent and target; a claim
has a stance and a certainty, and links to its source. The schema says so, per label, and the
store checks every value and relation against it. It is kept as JSON on the label (and in the
native JSONL) in the form :meth:`LabelSchema.to_json` writes.

Dates are ISO strings whose form gives their precision: ``2024-02-03`` (day), ``2024-W05``
(ISO week), ``2024-02`` (month) or ``2024`` (year).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

ATTRIBUTE_KINDS = ("choice", "text", "date", "number", "yesno")
DATE_PRECISIONS = ("day", "week", "month", "year")
# [0-9], not \d: \d also matches Arabic-Indic and other digits, which ISO 8601 does not.
_DATE_FORMS = (
    ("day", re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")),
    ("week", re.compile(r"[0-9]{4}-W[0-9]{2}")),
    ("month", re.compile(r"[0-9]{4}-[0-9]{2}")),
    ("year", re.compile(r"[0-9]{4}")),
)
# Alt+letter starts a relation in the window; these letters open the menus instead.
RESERVED_RELATION_KEYS = frozenset("FEDVH")


class SchemaError(ValueError):
    """A schema, a value or a relation that does not fit; the message says which and why."""


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One attribute of a label's spans: ``kind`` is choice, text, date, number or yesno."""

    name: str
    kind: str = "text"
    values: tuple[str, ...] = ()  # the choices, for kind "choice"
    required: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class RelationSpec:
    """A relation that may start from a label's spans.

    ``targets`` are the label names it may point at (empty: any span); ``many`` lets one
    span have several (an event's agents); ``key`` is the letter that starts it in the window.
    """

    type: str
    targets: tuple[str, ...] = ()
    many: bool = False
    required: bool = False
    key: str | None = None
    description: str = ""

    def allows(self, label: str) -> bool:
        return not self.targets or label.lower() in {target.lower() for target in self.targets}


@dataclass(frozen=True, slots=True)
class LabelSchema:
    attributes: tuple[AttributeSpec, ...] = ()
    relations: tuple[RelationSpec, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.attributes or self.relations)

    def attribute(self, name: str) -> AttributeSpec | None:
        return next((spec for spec in self.attributes if spec.name == name), None)

    def relation(self, type: str) -> RelationSpec | None:  # noqa: A002 - the field's name
        return next((spec for spec in self.relations if spec.type == type), None)

    def to_json(self) -> dict[str, Any]:
        """The schema as JSON, every field always present and in one order (so that native
        exports are byte-identical across a round trip)."""
        if not self:
            return {}
        return {
            "attributes": [
                {
                    "name": spec.name,
                    "kind": spec.kind,
                    "values": list(spec.values),
                    "required": spec.required,
                    "description": spec.description,
                }
                for spec in self.attributes
            ],
            "relations": [
                {
                    "type": spec.type,
                    "targets": list(spec.targets),
                    "many": spec.many,
                    "required": spec.required,
                    "key": spec.key,
                    "description": spec.description,
                }
                for spec in self.relations
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> LabelSchema:
        """Read (and check) a schema as :meth:`to_json` writes it; absent fields take their
        defaults. Raises :class:`SchemaError` naming what is wrong."""
        if data is None or data == {}:
            return cls()
        if not isinstance(data, Mapping):
            raise SchemaError("a label schema is an object with 'attributes' and 'relations'")
        unknown = set(data) - {"attributes", "relations"}
        if unknown:
            raise SchemaError(f"a label schema has no field {sorted(unknown)[0]!r}")
        attributes = tuple(
            _attribute_spec(item) for item in _list(data.get("attributes"), "attributes")
        )
        relations = tuple(
            _relation_spec(item) for item in _list(data.get("relations"), "relations")
        )
        schema = cls(attributes, relations)
        schema.check()
        return schema

    def check(self) -> None:
        """Raise :class:`SchemaError` if the schema contradicts itself."""
        names = [spec.name for spec in self.attributes]
        for spec in self.attributes:
            if not spec.name.strip():
                raise SchemaError("an attribute needs a name")
            if names.count(spec.name) > 1:
                raise SchemaError(f"two attributes are called {spec.name!r}")
            if spec.kind not in ATTRIBUTE_KINDS:
                raise SchemaError(
                    f"attribute {spec.name!r}: unknown kind {spec.kind!r} "
                    f"(one of {', '.join(ATTRIBUTE_KINDS)})"
                )
            if spec.kind == "choice" and not spec.values:
                raise SchemaError(f"attribute {spec.name!r}: a choice needs its values")
            if spec.kind != "choice" and spec.values:
                raise SchemaError(f"attribute {spec.name!r}: only a choice has values")
            if len(set(spec.values)) != len(spec.values):
                raise SchemaError(f"attribute {spec.name!r}: a value is listed twice")
        types = [spec.type for spec in self.relations]
        keys = [spec.key.upper() for spec in self.relations if spec.key]
        for spec in self.relations:
            if not spec.type.strip():
                raise SchemaError("a relation needs a type")
            if types.count(spec.type) > 1:
                raise SchemaError(f"two relations are called {spec.type!r}")
            if spec.key is not None:
                if len(spec.key) != 1 or not spec.key.isalpha():
                    raise SchemaError(f"relation {spec.type!r}: its key is one letter")
                if spec.key.upper() in RESERVED_RELATION_KEYS:
                    raise SchemaError(
                        f"relation {spec.type!r}: Alt+{spec.key.upper()} opens a menu; "
                        "choose another letter"
                    )
                if keys.count(spec.key.upper()) > 1:
                    raise SchemaError(f"two relations use the key {spec.key.upper()!r}")

    def check_value(self, name: str, value: Any) -> None:
        """Raise :class:`SchemaError` if ``value`` does not fit the attribute ``name``.

        Attributes the schema does not declare are free (an import may bring its own);
        None (no value) fits every attribute."""
        spec = self.attribute(name)
        if spec is None or value is None:
            return
        if spec.kind == "choice":
            if value not in spec.values:
                raise SchemaError(
                    f"{name} {value!r} is not one of {', '.join(spec.values)}"
                    if len(spec.values) <= 8
                    else f"{name} {value!r} is not one of its {len(spec.values)} choices"
                )
        elif spec.kind == "text":
            if not isinstance(value, str):
                raise SchemaError(f"{name} should be text, not {value!r}")
        elif spec.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SchemaError(f"{name} should be a number, not {value!r}")
        elif spec.kind == "yesno":
            if not isinstance(value, bool):
                raise SchemaError(f"{name} should be true or false, not {value!r}")
        elif spec.kind == "date":
            if not isinstance(value, str) or date_precision(value) is None:
                raise SchemaError(
                    f"{name} {value!r} is not an ISO date (2024-02-03, 2024-W05, 2024-02 or 2024)"
                )

    def check_values(self, attributes: Mapping[str, Any]) -> None:
        for name, value in attributes.items():
            self.check_value(name, value)

    def missing(self, attributes: Mapping[str, Any], relation_types: Iterable[str]) -> list[str]:
        """What a span still lacks: its required attributes without a value and its
        required relations that do not start from it, by name, in schema order."""
        have = set(relation_types)
        lacking = [
            spec.name
            for spec in self.attributes
            if spec.required and attributes.get(spec.name) in (None, "")
        ]
        lacking += [spec.type for spec in self.relations if spec.required and spec.type not in have]
        return lacking

    def with_attribute(self, spec: AttributeSpec, index: int | None = None) -> LabelSchema:
        """A copy with ``spec`` in place of the attribute of that name (where it was), or
        added at ``index`` (default: the end)."""
        return replace(self, attributes=_put(self.attributes, spec, "name", index))

    def with_relation(self, spec: RelationSpec, index: int | None = None) -> LabelSchema:
        """A copy with ``spec`` in place of the relation of that type, or added."""
        return replace(self, relations=_put(self.relations, spec, "type", index))


def _put(items: tuple, spec: Any, key: str, index: int | None) -> tuple:
    names = [getattr(item, key) for item in items]
    name = getattr(spec, key)
    if name in names and index is None:
        return tuple(spec if getattr(item, key) == name else item for item in items)
    kept = [item for item in items if getattr(item, key) != name]
    kept.insert(len(kept) if index is None else index, spec)
    return tuple(kept)


def date_precision(value: str) -> str | None:
    """The precision of an ISO date string (day, week, month, year), or None if it is not
    one. A day or a month must exist: 2024-02-30 is no date."""
    for precision, pattern in _DATE_FORMS:
        if pattern.fullmatch(value):
            try:
                if precision == "day":
                    date.fromisoformat(value)
                elif precision == "week":
                    year, week = int(value[:4]), int(value[6:])
                    date.fromisocalendar(year, week, 1)
                elif precision == "month":
                    date(int(value[:4]), int(value[5:7]), 1)
                else:
                    date(int(value), 1, 1)  # year 0000 is no year
            except ValueError:
                return None
            return precision
    return None


def removed_values(old: LabelSchema, new: LabelSchema) -> dict[str, set[str] | None]:
    """What a schema change takes away: per attribute, the choices removed, or None when
    the attribute itself goes (or changes kind, so its old values no longer fit)."""
    result: dict[str, set[str] | None] = {}
    for spec in old.attributes:
        after = new.attribute(spec.name)
        if after is None or after.kind != spec.kind:
            result[spec.name] = None
        elif spec.kind == "choice":
            gone = set(spec.values) - set(after.values)
            if gone:
                result[spec.name] = gone
    return result


def default_schemas() -> dict[str, LabelSchema]:
    """The schemas of a new project's labels, by label name (Event, Claim, Actor)."""
    from resources import label_defaults

    return {
        label["name"]: LabelSchema.from_json(label.get("schema"))
        for label in label_defaults()["labels"]
    }


def _list(value: Any, what: str) -> Sequence[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SchemaError(f"a label schema's {what} are a list")
    return value


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SchemaError(f"{what} are a list of strings")
    return tuple(value)


def _field(item: Mapping[str, Any], name: str, kind: type, default: Any, what: str) -> Any:
    value = item.get(name, default)
    if value is None and default is None:
        return None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise SchemaError(f"{what}: {name!r} should be {kind.__name__}, not {value!r}")
    return value


def _attribute_spec(item: Any) -> AttributeSpec:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        raise SchemaError("an attribute is an object with a 'name'")
    what = f"attribute {item['name']!r}"
    unknown = set(item) - {"name", "kind", "values", "required", "description"}
    if unknown:
        raise SchemaError(f"{what} has no field {sorted(unknown)[0]!r}")
    return AttributeSpec(
        name=item["name"],
        kind=_field(item, "kind", str, "text", what),
        values=_strings(item.get("values"), f"{what}: values"),
        required=_field(item, "required", bool, False, what),
        description=_field(item, "description", str, "", what),
    )


def _relation_spec(item: Any) -> RelationSpec:
    if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
        raise SchemaError("a relation is an object with a 'type'")
    what = f"relation {item['type']!r}"
    unknown = set(item) - {"type", "targets", "many", "required", "key", "description"}
    if unknown:
        raise SchemaError(f"{what} has no field {sorted(unknown)[0]!r}")
    return RelationSpec(
        type=item["type"],
        targets=_strings(item.get("targets"), f"{what}: targets"),
        many=_field(item, "many", bool, False, what),
        required=_field(item, "required", bool, False, what),
        key=_field(item, "key", str, None, what),
        description=_field(item, "description", str, "", what),
    )
