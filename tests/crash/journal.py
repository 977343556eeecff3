"""What the crash test compares: a project's state as an analyst sees it, the effect of one
action on that state, and the journal in which the driver writes each action down.

A state is three dictionaries: ``spans`` (uuid -> what the span shows), ``relations``
(uuid -> type, head, tail, annotator) and ``labels`` (name -> True). An effect has the same
shape and holds only what an action changes: None for a span or relation it removes, False
for a label it removes.

The driver writes two lines per action, each fsync'd before it goes on: ``begin`` before the
action starts, with the effect it must have (and the spans or relations it will add, whose
uuids nobody knows yet), and ``end`` once it has returned and the store shows the effect,
with the effect as observed. A kill between the two leaves one action in flight.
"""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db.records import RelationRecord, SpanRecord
from db.store import Store

PARTS = ("spans", "relations", "labels")
ANNOTATOR = "crash"  # the analyst whose actions the driver performs


def empty() -> dict[str, dict]:
    return {part: {} for part in PARTS}


def span_state(record: SpanRecord) -> dict[str, Any]:
    """Everything about a span an analyst sees (not its id, version or times)."""
    return {
        "document": record.document_id,
        "label": record.label,
        "annotator": record.annotator,
        "start": record.start,
        "end": record.end,
        "text": record.text,
        "status": record.status,
        "origin": record.origin,
        "confidence": record.confidence,
        "note": record.note,
        "attributes": dict(record.attributes),
        "entity": record.entity_uuid,
    }


def relation_state(record: RelationRecord) -> dict[str, Any]:
    return {
        "type": record.type,
        "head": record.head_uuid,
        "tail": record.tail_uuid,
        "annotator": record.annotator,
    }


@dataclass
class Observed:
    """A state read from the store, with the records it was read from (to build commands)."""

    state: dict[str, dict]
    spans: dict[str, SpanRecord]
    relations: dict[str, RelationRecord]


def observe(store: Store, document_ids: list[int] | None = None) -> Observed:
    """The spans and relations of some documents (all when None) and every label."""
    ids = sorted(set(document_ids)) if document_ids is not None else store.document_ids()
    spans = {record.uuid: record for record in store.spans_where(document_ids=ids)}
    relations = {
        record.uuid: record for document_id in ids for record in store.relations(document_id)
    }
    state = {
        "spans": {uuid: span_state(record) for uuid, record in spans.items()},
        "relations": {uuid: relation_state(record) for uuid, record in relations.items()},
        "labels": {label.name: True for label in store.labels()},
    }
    return Observed(state, spans, relations)


def absent(part: str) -> Any:
    return False if part == "labels" else None


def diff(before: dict[str, dict], after: dict[str, dict]) -> dict[str, dict]:
    """The effect that turns ``before`` into ``after``."""
    effect = empty()
    for part in PARTS:
        for key in before[part].keys() | after[part].keys():
            old = before[part].get(key, absent(part))
            new = after[part].get(key, absent(part))
            if old != new:
                effect[part][key] = new
    return effect


def apply(state: dict[str, dict], effect: dict[str, dict]) -> None:
    """Change ``state`` in place as ``effect`` says."""
    for part in PARTS:
        for key, value in effect[part].items():
            if value is None or value is False:
                state[part].pop(key, None)
            else:
                state[part][key] = copy.deepcopy(value)


def matches(value: dict[str, Any], pattern: dict[str, Any]) -> bool:
    return all(value.get(key) == wanted for key, wanted in pattern.items())


@dataclass
class Outcome:
    """How far an action got: its items as expected after it, as before it, or neither."""

    changed: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    # (part, key, before, expected after, found)
    other: list[tuple[str, str, Any, Any, Any]] = field(default_factory=list)
    added: dict[str, dict] = field(default_factory=empty)  # new items matching its patterns
    missing: list[dict[str, Any]] = field(default_factory=list)  # patterns nothing matched
    size: int = 0  # items the action changes, new ones included

    @property
    def complete(self) -> bool:
        return not self.unchanged and not self.other and not self.missing

    @property
    def untouched(self) -> bool:
        return not self.changed and not self.other and not any(self.added.values())

    def effect(self, expected: dict[str, dict]) -> dict[str, dict]:
        """The action's whole effect once it is known to be complete."""
        whole = copy.deepcopy(expected)
        for part in PARTS:
            whole[part].update(self.added[part])
        return whole


def outcome(before: dict[str, dict], after: dict[str, dict], begin: dict[str, Any]) -> Outcome:
    """Compare the state after an action (or after a kill during it) with the state before
    and with the effect its ``begin`` line expects."""
    result = Outcome()
    expected = begin["effect"]
    for part in PARTS:
        for key, wanted in expected[part].items():
            old = before[part].get(key, absent(part))
            if old == wanted:
                continue
            result.size += 1
            found = after[part].get(key, absent(part))
            if found == wanted:
                result.changed.append((part, key))
            elif found == old:
                result.unchanged.append((part, key))
            else:
                result.other.append((part, key, old, wanted, found))
    for part, patterns in (("spans", begin["new_spans"]), ("relations", begin["new_relations"])):
        fresh = {
            key: value
            for key, value in after[part].items()
            if key not in before[part] and key not in expected[part]
        }
        for pattern in patterns:
            result.size += 1
            key = next((k for k, v in fresh.items() if matches(v, pattern)), None)
            if key is None:
                result.missing.append(pattern)
            else:
                result.added[part][key] = fresh.pop(key)
    return result


class Journal:
    """Append-only, one JSON object a line, each line on disk before ``write`` returns."""

    def __init__(self, path: str | Path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.seq = 0

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        os.write(self.fd, line.encode("utf-8"))
        os.fsync(self.fd)

    def begin(
        self,
        action: str,
        text: str,
        expected: dict[str, dict],
        new_spans: list[dict[str, Any]],
        new_relations: list[dict[str, Any]],
    ) -> int:
        self.seq += 1
        items = sum(len(expected[part]) for part in PARTS) + len(new_spans) + len(new_relations)
        self.write(
            {
                "phase": "begin",
                "seq": self.seq,
                "action": action,
                "text": text,
                "items": items,
                "effect": expected,
                "new_spans": new_spans,
                "new_relations": new_relations,
                "time": time.time(),
            }
        )
        return self.seq

    def end(self, seq: int, effect: dict[str, dict]) -> None:
        self.write({"phase": "end", "seq": seq, "effect": effect, "time": time.time()})


def parse_lines(data: bytes) -> tuple[list[dict[str, Any]], bytes]:
    """The complete lines of ``data`` as entries, and the incomplete rest."""
    *lines, rest = data.split(b"\n")
    return [json.loads(line) for line in lines if line.strip()], rest


def read_journal(path: str | Path) -> list[dict[str, Any]]:
    """Every complete line of a journal (a line the kill cut short is not one)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    return parse_lines(data)[0]
