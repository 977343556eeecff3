"""Prodigy JSONL: one task per line with ``text``, ``spans`` and an ``answer``.

Offsets are code points, end exclusive, as in Dossier; ``token_end`` is inclusive. Only
accepted tasks carry labels: rejected and ignored tasks are skipped and counted. The
annotator is ``_annotator_id`` (or ``_session_id``) unless ``--annotator`` names one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from db.records import ImportBatch, NewDocument, NewSpan
from desktop.formats.base import (
    ImportOptions,
    InputError,
    ReadResult,
    annotator_for,
    check_covered,
    check_offsets,
    iter_jsonl,
    optional,
    require,
)

ANSWERS = ("accept", "reject", "ignore")
_META_FIELDS = {
    "title": "title",
    "source": "source",
    "url": "url",
    "date": "published",
    "published": "published",
    "language": "language",
    "lang": "language",
}


def read(path: Path, options: ImportOptions) -> ReadResult:
    batch = ImportBatch()
    result = ReadResult(batch)
    skipped = {"rejected": 0, "ignored": 0}
    for line, task in iter_jsonl(path):
        text = require(task, "text", str, path, line)
        if not text:
            raise InputError(path, line, "the task's text is empty")
        answer = task.get("answer", "accept")
        if answer not in ANSWERS:
            raise InputError(path, line, f"unknown answer {answer!r} (accept, reject or ignore)")
        if answer != "accept":
            skipped["rejected" if answer == "reject" else "ignored"] += 1
            continue
        document = _document(task, text, path, line)
        spans = optional(task, "spans", list, path, line) or []
        if spans:
            annotator = annotator_for(
                task.get("_annotator_id") or task.get("_session_id"), options, path, line, result
            )
        for number, span in enumerate(spans, start=1):
            what = f"span {number}: "
            if not isinstance(span, dict):
                raise InputError(path, line, f"{what}expected an object")
            label = require(span, "label", str, path, line, what)
            start, end = check_offsets(
                span.get("start"), span.get("end"), len(text), path, line, what
            )
            check_covered(text, start, end, span.get("text"), path, line, what)
            document.spans.append(
                NewSpan(
                    label=label,
                    start=start,
                    end=end,
                    annotator=annotator,
                    origin="imported",
                    where=f"{path}:{line}",
                )
            )
        batch.documents.append(document)
    result.skipped = {key: count for key, count in skipped.items() if count}
    return result


def _document(task: dict[str, Any], text: str, path: Path, line: int) -> NewDocument:
    meta = optional(task, "meta", dict, path, line) or {}
    fields: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in meta.items():
        target = _META_FIELDS.get(key)
        if target and isinstance(value, str) and target not in fields:
            fields[target] = value
        else:
            rest[key] = value
    for key in ("_input_hash", "_task_hash"):
        if key in task:
            rest.setdefault("prodigy", {})[key] = task[key]
    title = fields.pop("title", None)
    if title is None:
        from desktop.formats.text import title_from_text

        title = title_from_text(text)
    return NewDocument(
        text=text,
        title=title,
        meta=rest,
        imported_from=str(path),
        where=f"{path}:{line}",
        **fields,
    )
