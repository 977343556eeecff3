"""The history of a project in plain words: one line for each recorded change
(``db.store.history``), for the History panel and ``dossier history``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from db.records import HistoryEntry

QUOTED = 40  # characters of a span's text shown in a line
REVIEW_VERBS = {"accept": "accepted", "take": "took", "edit": "edited", "reject": "rejected"}
STATUS_WORDS = {"accepted": "Accepted", "rejected": "Rejected", "suggested": "Made a suggestion"}


def _name(found: Any, fallback: str) -> str:
    if found is None:
        return fallback
    return getattr(found, "name", None) or str(found)


def _quote(text: str | None) -> str:
    text = " ".join((text or "").split())
    return f"“{text[:QUOTED]}…”" if len(text) > QUOTED else f"“{text}”"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def describe(
    entry: HistoryEntry,
    labels: Mapping[int, Any],
    annotators: Mapping[int, Any],
    *,
    span_texts: Mapping[int, str] | None = None,
) -> str:
    """What ``entry`` changed, in an analyst's words ("Relabelled Claim → Event").

    ``labels`` and ``annotators`` map ids to records (or names); ``span_texts`` maps span
    ids to their text, to quote the two ends of a relation.
    """

    def label(label_id: Any) -> str:
        return _name(labels.get(label_id), f"label {label_id}")

    row = entry.after if entry.after is not None else entry.before or {}
    if entry.kind == "span":
        return _describe_span(entry, row, label, annotators)
    if entry.kind == "relation":
        texts = span_texts or {}
        ends = ""
        if row.get("head_id") in texts and row.get("tail_id") in texts:
            ends = f": {_quote(texts[row['head_id']])} → {_quote(texts[row['tail_id']])}"
        verb = {"insert": "Added", "delete": "Removed"}.get(entry.op, "Changed")
        return f"{verb} relation {row.get('type', '')}{ends}"
    if entry.kind == "label":
        return _describe_label(entry, row)
    if entry.kind == "review":
        return _describe_review(entry, row)
    return f"{entry.op.capitalize()} {entry.kind} {entry.key}"


def _describe_span(entry: HistoryEntry, row: dict, label, annotators) -> str:
    if entry.op == "insert":
        return f"Tagged {label(row.get('label_id'))} {_quote(row.get('text'))} ({row['start']}–{row['end']})"
    if entry.op == "delete":
        return f"Deleted {label(row.get('label_id'))} {_quote(row.get('text'))}"
    before, after = entry.before or {}, entry.after or {}
    parts = []
    if before.get("label_id") != after.get("label_id"):
        parts.append(f"Relabelled {label(before.get('label_id'))} → {label(after.get('label_id'))}")
    if (before.get("start"), before.get("end")) != (after.get("start"), after.get("end")):
        parts.append(
            f"Moved {before.get('start')}–{before.get('end')} → {after.get('start')}–{after.get('end')}"
        )
    if before.get("status") != after.get("status"):
        parts.append(STATUS_WORDS.get(after.get("status"), f"Set status {after.get('status')}"))
    if before.get("note") != after.get("note"):
        parts.append(f"Noted {_quote(after['note'])}" if after.get("note") else "Removed the note")
    old, new = before.get("attributes") or {}, after.get("attributes") or {}
    for name in sorted(set(old) | set(new)):
        if name not in new:
            parts.append(f"Cleared {name}")
        elif old.get(name) != new[name]:
            parts.append(f"Set {name} to {_value(new[name])}")
    if before.get("entity_id") != after.get("entity_id"):
        parts.append("Linked to an actor" if after.get("entity_id") else "Unlinked the actor")
    if before.get("annotator_id") != after.get("annotator_id"):
        name = _name(annotators.get(after.get("annotator_id")), "another annotator")
        parts.append(f"Moved to {name}’s layer")
    if before.get("origin") != after.get("origin") or (
        before.get("confidence") != after.get("confidence")
    ):
        parts.append(f"Set origin {after.get('origin')}")
    if not parts:
        return f"Saved {label(after.get('label_id'))} {_quote(after.get('text'))} again"
    return "; ".join(parts)


def _describe_label(entry: HistoryEntry, row: dict) -> str:
    if entry.op == "insert":
        return f"Added label {row.get('name')}"
    if entry.op == "delete":
        return f"Removed label {row.get('name')}"
    before, after = entry.before or {}, entry.after or {}
    name = after.get("name")
    parts = []
    if before.get("name") != name:
        parts.append(f"Renamed label {before.get('name')} → {name}")
    if before.get("colour") != after.get("colour"):
        parts.append(f"Recoloured {name} {after.get('colour')}")
    if before.get("shortcut") != after.get("shortcut"):
        key = after.get("shortcut")
        parts.append(f"Gave {name} the key {key}" if key else f"Took the key off {name}")
    if before.get("description") != after.get("description"):
        parts.append(f"Described {name} anew")
    if before.get("position") != after.get("position"):
        parts.append(f"Moved {name} in the list of labels")
    if before.get("schema") != after.get("schema"):
        parts.append(f"Changed the schema of {name}")
    if before.get("kind") != after.get("kind"):
        parts.append(f"Made {name} a {after.get('kind')} label")
    return "; ".join(parts) or f"Saved label {name} again"


def _describe_review(entry: HistoryEntry, row: dict) -> str:
    if entry.op == "delete":
        return "Review: took a decision back"
    verb = REVIEW_VERBS.get(row.get("action"), row.get("action", "decided"))
    candidates = [c for c in row.get("candidates") or [] if isinstance(c, dict)]
    taken = sorted({c.get("annotator") for c in candidates if c.get("taken")} - {None})
    if row.get("action") == "take" and len(taken) == 1:
        return f"Review: took {taken[0]}’s span"
    what = f" ({row.get('kind')})" if row.get("kind") else ""
    return f"Review: {verb}{what}"


def entry_json(entry: HistoryEntry) -> dict[str, Any]:
    """``entry`` as a JSON object (``dossier history --json``): every field as recorded."""
    return asdict(entry)
