"""The checks other tools make of the files Dossier writes, reproduced from their source.

Each function returns what the tool would refuse (an empty list when it takes the file), so
a test can show both that Dossier's export passes and that the check catches the mistake it
exists for. Where the tool itself installs from PyPI and runs offline, test_real_tools.py
runs it too.

- brat: ``server/src/annotation.py`` reads an ``.ann`` with ``str.splitlines`` and checks
  every T line: offsets inside the text, fragments that do not overlap, and the
  text after the second TAB beginning with the fragments' text joined by one space. Its
  ``_sanity`` then refuses a document where an ID is referenced but not defined, an event
  (``E1<TAB>TYPE:TRIGGER ROLE:ID...``) whose trigger is not a T line of the event's type,
  or a trigger referenced by anything but an event (a relation, attribute, normalisation
  or note must refer to the E line). An ``N`` line is ``TYPE TARGET DB:ID``, of any
  database: brat checks no ``tools.conf`` for it, and shows ``DB:ID`` and the line's text. ``server/src/projectconfig.py`` parses
  ``annotation.conf`` and ``visual.conf``: a type is the first ``|``-separated term before
  whitespace and is stored with every character outside ``[a-zA-Z0-9_-]`` made ``_``;
  arguments are ``KEY:TYPE|TYPE`` separated by commas, with no whitespace inside; a key
  may end in ``? * + {N} {N-M}``; a repeatable key may not end with a digit (events number
  a repeated role: ``Theme``, ``Theme2``); an unparsable file falls back to a default.
- Label Studio 1.23: its import refuses a ``completed_by`` that is not one of its users
  (``tasks/serializers.py``); its frontend draws a region on ``[...text].slice(start, end)``
  (code points) and writes CR and LF in ``value.text`` as ``\\n``.
- doccano 1.8: reads JSON lines into a pandas DataFrame, so a key missing from some
  records, or a null in a column of numbers, becomes NaN, which its database refuses;
  offsets are JavaScript string indices (UTF-16 units).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

# --- brat ------------------------------------------------------------------------------------


def brat_refusals(text: str, ann: str) -> list[str]:
    """The lines of an ``.ann`` that brat's parser refuses, with why."""
    refused = []
    for number, line in enumerate(ann.splitlines(keepends=True), start=1):
        ident, tab, rest = line.partition("\t")
        if not tab:
            refused.append(f"line {number}: no TAB after the ID: {line!r}")
            continue
        if not ident.startswith("T"):
            continue
        data, tab, tail = rest.partition("\t")
        tail = tab + tail
        reason = _brat_textbound(text, data, tail)
        if reason:
            refused.append(f"line {number}: {reason}: {line!r}")
    return refused


def _brat_textbound(text: str, data: str, tail: str) -> str | None:
    try:
        _, offsets = data.split(" ", 1)
        fragments = []
        for fragment in offsets.split(";"):
            start, end = fragment.split(" ", 2)
            if any(c.isspace() for c in end.rstrip()):
                return "offsets not 'START END'"
            fragments.append((int(start), int(end.rstrip())))
    except ValueError:
        return "cannot parse the offsets"
    seen: list[tuple[int, int]] = []
    for start, end in fragments:
        if start > end or start < 0 or end > len(text):
            return f"offsets {start} {end} outside the text or reversed"
        for other_start, other_end in seen:
            if end >= other_start and start < other_end:
                return "fragments overlap"
        seen.append((start, end))
    length = sum(end - start for start, end in fragments) + len(fragments) - 1
    if tail.strip() == "":
        return "no text after the offsets"
    if tail[0] != "\t" or length > len(tail) - 1:
        return "text missing or shorter than the fragments"
    stated, after = tail[1 : length + 1], tail[length + 1 :]
    expected = " ".join(text[start:end] for start, end in fragments)
    if stated != expected:
        return f"text {stated!r} is not the fragments' text {expected!r}"
    if after and not after[0].isspace():
        return "text not followed by a space or the line's end"
    return None


def brat_document_refusals(ann: str) -> list[str]:
    """What brat's ``Annotations._sanity`` refuses in a whole ``.ann``: references to IDs
    not defined, events without a trigger of their type, triggers referred to by other
    annotations than events; and event lines brat cannot parse."""
    refused = []
    lines: dict[str, tuple[str, str]] = {}  # ID -> (type, body)
    references: list[tuple[str, str]] = []  # (referencing ID, referenced ID)
    events: dict[str, tuple[str, str]] = {}  # E ID -> (type, trigger)
    for line in ann.splitlines():
        ident, tab, rest = line.partition("\t")
        if not tab:
            continue
        body = rest.partition("\t")[0]
        lines[ident] = (body.split(" ", 1)[0], body)
        prefix = ident[:1]
        if prefix == "E":
            type_trigger, *arguments = body.split(" ")
            parts = type_trigger.split(":")
            if len(parts) != 2:
                refused.append(f"{ident}: not TYPE:TRIGGER: {body!r}")
                continue
            events[ident] = (parts[0], parts[1])
            references.append((ident, parts[1]))
            for argument in arguments:
                pieces = argument.split(":")
                if len(pieces) != 2:
                    refused.append(f"{ident}: argument {argument!r} is not ROLE:ID")
                else:
                    references.append((ident, pieces[1]))
        elif prefix == "R":
            for argument in body.split(" ")[1:]:
                references.append((ident, argument.partition(":")[2]))
        elif prefix in "ANM#":
            # _parse_normalization_annotation: any database name, no tools.conf needed
            if prefix == "N" and not re.match(r"(\S+) (\S+) (\S+?):(\S+)", body):
                refused.append(f"{ident}: not TYPE TARGET DB:ID: {body!r}")
            parts = body.split(" ")
            if len(parts) > 1:
                references.append((ident, parts[1]))
    for referrer, referred in references:
        if referred not in lines:
            refused.append(f"{referrer}: ID {referred} not defined")
    triggers = set()
    for ident, (kind, trigger) in events.items():
        triggers.add(trigger)
        if trigger in lines and (trigger[:1] != "T" or lines[trigger][0] != kind):
            refused.append(f"{ident}: trigger {trigger} is not a T line of type {kind}")
    for referrer, referred in references:
        if referred in triggers and referrer[:1] != "E":
            refused.append(f"{referrer}: refers to the trigger {referred}, not to its event")
    return refused


_BRAT_RESERVED = {
    f"<{name}>"
    for name in (
        "ANY ENTITY RELATION EVENT NONE EMPTY REL-TYPE URL URLBASE UNICODE GLYPH-POS DEFAULT "
        "NORM OVERLAP OVL-TYPE INHERIT"
    ).split()
}
_BRAT_SPECIAL_RELATIONS = {"<OVERLAP>", "ENTITY-NESTING"}


def brat_conf_sections(conf: str, labels: bool = False) -> dict[str, list[tuple[str, list[str]]]]:
    """A brat configuration as projectconfig.py reads it: section -> [(type, [args])],
    raising ValueError where brat's parser gives up (and falls back to its default)."""
    sections: dict[str, list[tuple[str, list[str]]]] = {}
    current = sections.setdefault("general", [])
    for line in conf.split("\n"):
        header = re.match(r"^\s*\[(.*)\]\s*$", line)
        if header:
            name = {"spans": "entities"}.get(header.group(1), header.group(1))
            current = sections.setdefault(name, [])
            continue
        if not line.strip() or re.match(r"^\s*#", line) or re.match(r"^\s*-+\s*$", line):
            continue
        for macro in re.findall(r"(<.*?>)", line):
            if macro not in _BRAT_RESERVED:
                raise ValueError(f"undefined macro {macro} in {line!r}")
        in_labels = labels and current is sections.get("labels")
        pattern = r"^(\s*)([^\t]+)(?:\t(.*))?$" if in_labels else r"^(\s*)(\S+)(?:\s+(.*))?$"
        match = re.match(pattern, line)
        if not match:
            raise ValueError(f"cannot parse {line!r}")
        _, terms, args = match.groups()
        terms = [term.strip() for term in terms.split("|") if term.strip()]
        arguments = [a.strip() for a in (args or "").split(",") if a.strip()]
        if any(re.search(r"\s", a) for a in arguments) and not in_labels:
            raise ValueError(f"whitespace inside an argument: {line!r}")
        if not in_labels:
            _brat_check_arguments(arguments, line)
        current.append((terms[0], arguments))
    return sections


def _brat_check_arguments(arguments: list[str], line: str) -> None:
    keys = set()
    for argument in arguments:
        match = re.match(r"^(\S*?):(\S*)$", argument)
        if not match:
            raise ValueError(f"argument {argument!r} is not KEY:TYPES in {line!r}")
        key, types = match.groups()
        if key in _BRAT_RESERVED:
            continue
        repeat = re.match(r"^(\S+?)(\{\S+\}|\?|\*|\+|)$", key)
        if not repeat:
            raise ValueError(f"argument key {key!r} in {line!r}")
        key, modifier = repeat.groups()
        many = modifier in ("*", "+") or (
            modifier.startswith("{")
            and re.match(r"\{(\d+)(?:-(\d+))?\}$", modifier)
            and max(int(n) for n in re.findall(r"\d+", modifier)) > 1
        )
        if many and key[-1].isdigit():
            raise ValueError(f"a repeated argument may not end with a digit: {key!r}")
        if key in keys:
            raise ValueError(f"argument {key!r} appears twice in {line!r}")
        keys.add(key)
        if any(not t.strip() for t in types.split("|")):
            raise ValueError(f"empty type for argument {argument!r}")


def brat_config_refusals(folder: Path) -> list[str]:
    """What brat would warn about or refuse in an exported folder's configuration: files it
    cannot parse, sections missing or unexpected, types it would rename, a type that is both
    an entity and an event, and every type, role, attribute or value an ``.ann`` uses that
    the configuration does not declare (brat marks those as errors)."""
    try:
        conf = brat_conf_sections((folder / "annotation.conf").read_text(encoding="utf-8"))
        visual = brat_conf_sections(
            (folder / "visual.conf").read_text(encoding="utf-8"), labels=True
        )
    except ValueError as exc:
        return [str(exc)]
    refused = []
    expected = {"general", "entities", "relations", "events", "attributes"}
    refused += [f"section [{s}] missing" for s in expected - set(conf) - {"general"}]
    refused += [f"unexpected section [{s}]" for s in set(conf) - expected]
    refused += [
        f"visual.conf: section [{s}] missing" for s in ("labels", "drawing") if s not in visual
    ]
    for section in ("entities", "relations", "events", "attributes"):
        for kind, _ in conf.get(section, []):
            if kind not in _BRAT_SPECIAL_RELATIONS and not re.fullmatch(r"[a-zA-Z0-9_-]+", kind):
                refused.append(f"[{section}] {kind!r} is not a storage form; brat renames it")
    entities = {kind for kind, _ in conf.get("entities", [])}
    events = {kind: args for kind, args in conf.get("events", [])}
    refused += [f"{kind} is both an entity and an event" for kind in entities & set(events)]
    relations = {kind for kind, _ in conf.get("relations", [])}
    attributes = {}
    for kind, args in conf.get("attributes", []):
        values = [a.partition(":")[2].split("|") for a in args if a.startswith("Value:")]
        if not any(a.startswith("Arg:") for a in args):
            refused.append(f"attribute {kind} lacks Arg:")
        attributes[kind] = set(values[0]) if values else None
    for ann in sorted(folder.rglob("*.ann")):
        for line in ann.read_text(encoding="utf-8").splitlines():
            ident, _, rest = line.partition("\t")
            body = rest.partition("\t")[0].split(" ")
            where = f"{ann.name}: {ident}"
            if ident[:1] == "T" and body[0] not in entities | set(events):
                refused.append(f"{where}: type {body[0]} not declared")
            elif ident[:1] == "E":
                kind = body[0].partition(":")[0]
                roles = {
                    re.sub(r"[?*+]$|\{.*\}$", "", a.partition(":")[0]) for a in events.get(kind, [])
                }
                if kind not in events:
                    refused.append(f"{where}: event type {kind} not declared")
                for argument in body[1:]:
                    role = re.sub(r"\d+$", "", argument.partition(":")[0])
                    if role not in roles:
                        refused.append(f"{where}: role {role} not declared for {kind}")
            elif ident[:1] == "R" and body[0] not in relations:
                refused.append(f"{where}: relation {body[0]} not declared")
            elif ident[:1] in "AM":
                if body[0] not in attributes:
                    refused.append(f"{where}: attribute {body[0]} not declared")
                elif (attributes[body[0]] is None) != (len(body) == 2):
                    refused.append(f"{where}: attribute {body[0]} binary/valued mismatch")
                elif len(body) == 3 and body[2] not in attributes[body[0]]:
                    refused.append(f"{where}: value {body[2]} not declared for {body[0]}")
    return refused


def brat_folder_refusals(folder: Path) -> list[str]:
    """Every refusal of every ``.ann`` (with its ``.txt``) in an exported brat folder."""
    refused = []
    for ann in sorted(folder.rglob("*.ann")):
        # brat reads both files as UTF-8, line ends untouched.
        text = ann.with_suffix(".txt").read_bytes().decode("utf-8")
        content = ann.read_bytes().decode()
        refused += [f"{ann.name}: {r}" for r in brat_refusals(text, content)]
        refused += [f"{ann.name}: {r}" for r in brat_document_refusals(content)]
    return refused


# --- Label Studio ----------------------------------------------------------------------------


def labelstudio_value_text(covered: str) -> str:
    """``value.text`` as Label Studio's frontend writes it: each CR and LF as ``\\n``."""
    return re.sub("[\r\n]", "\\\\n", covered)


def labelstudio_refusals(tasks: list[dict[str, Any]], users: tuple = ()) -> list[str]:
    """What a fresh Label Studio refuses on import (``completed_by`` that is not one of its
    ``users``), and every region its frontend would draw on other characters than the
    region's text says."""
    refused = []
    for number, task in enumerate(tasks, start=1):
        code_points = list(task["data"]["text"])
        for annotation in task.get("annotations", []):
            who = annotation.get("completed_by")
            if who is not None and not (
                (isinstance(who, int) and who in users)
                or (isinstance(who, dict) and who.get("email") in users)
            ):
                refused.append(f"task {number}: completed_by={who} is not a user")
            for item in annotation["result"]:
                if item.get("type") != "labels":
                    continue
                value = item["value"]
                drawn = "".join(code_points[value["start"] : value["end"]])
                if labelstudio_value_text(drawn) != value.get("text"):
                    refused.append(
                        f"task {number}: region {value['start']}-{value['end']} draws "
                        f"{drawn!r}, not {value.get('text')!r}"
                    )
    return refused


# --- doccano ---------------------------------------------------------------------------------


def doccano_refusals(path: Path) -> list[str]:
    """Why doccano's import would fail on a JSONL file: records whose keys differ, or
    columns that mix numbers and nulls (pandas makes NaN of both, which doccano's JSON
    check refuses), and spans whose JavaScript slice is not the text Dossier has."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]
    refused = []
    keys = {frozenset(record) for record in records}
    if len(keys) > 1:
        refused.append(f"records carry different keys: {sorted(map(sorted, keys))}")
    columns: dict[str, set[type]] = {}
    for record in records:
        for key, value in record.items():
            columns.setdefault(key, set()).add(type(value))
            if isinstance(value, float) and math.isnan(value):
                refused.append(f"{key} is NaN")
    for key, kinds in columns.items():
        if type(None) in kinds and kinds & {int, float}:
            refused.append(f"column {key!r} mixes numbers and nulls")
    return refused


def javascript_slice(text: str, start: int, end: int) -> str:
    """``text.slice(start, end)`` in JavaScript: indices count UTF-16 units."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def doccano_kept(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The spans of one record that a doccano project without overlapping spans keeps: sorted
    (stably) by start offset, a span is kept when it starts at or after the last kept end."""
    kept, last_end = [], -1
    for span in sorted(spans, key=lambda span: span[0]):
        if span[0] >= last_end:
            kept.append(span)
            last_end = span[1]
    return kept
