"""The checks other tools make of the files Dossier writes, reproduced from their source.

Each function returns what the tool would refuse (an empty list when it takes the file), so
a test can show both that Dossier's export passes and that the check catches the mistake it
exists for. Where the tool itself installs from PyPI and runs offline, test_real_tools.py
runs it too.

- brat: ``server/src/annotation.py`` reads an ``.ann`` with ``str.splitlines`` and checks
  every T line: offsets inside the text, fragments that do not overlap, and the
  text after the second TAB beginning with the fragments' text joined by one space.
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


def brat_folder_refusals(folder: Path) -> list[str]:
    """Every refusal of every ``.ann`` (with its ``.txt``) in an exported brat folder."""
    refused = []
    for ann in sorted(folder.rglob("*.ann")):
        # brat reads both files as UTF-8, line ends untouched.
        text = ann.with_suffix(".txt").read_bytes().decode("utf-8")
        refused += [f"{ann.name}: {r}" for r in brat_refusals(text, ann.read_bytes().decode())]
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
