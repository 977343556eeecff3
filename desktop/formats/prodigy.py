"""Prodigy JSONL: one task per line with ``text``, ``tokens``, ``spans`` and an ``answer``.

Offsets are code points, end exclusive, as in Dossier; ``token_end`` is inclusive. Only
accepted tasks carry labels: rejected and ignored tasks are skipped and counted. The
annotator is ``_annotator_id`` (or ``_session_id``) unless ``--annotator`` names one; an
accepted task with no spans marks the document done for its annotator.

Export writes one accepted task per document and annotator (an annotator who marked a
document done with no spans gives a task with none), tokens from spaCy's tokenizer, and
relations as ``rel.manual`` writes them: ``head``/``child`` are the ``token_end`` of
``head_span``/``child_span``. Prodigy cannot carry attributes, notes, links to canonical
entities, confidence or suggestions; import reads relations back through their spans.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from db.records import (
    ExportDocument,
    NewDocument,
    NewRelation,
    NewSpan,
    NewState,
    SpanRecord,
)
from db.store import new_uuid
from desktop.formats.alignment import Tokens
from desktop.formats.base import (
    PART_DOCUMENTS,
    ExportContext,
    ImportOptions,
    InputError,
    JsonLines,
    Parts,
    ReadResult,
    annotator_for,
    atomic_output,
    check_covered,
    check_offsets,
    counted,
    document_from,
    dumps_bytes,
    examples,
    merged,
    metadata_of,
    optional,
    relations_among,
    require,
)

ANSWERS = ("accept", "reject", "ignore")


# --- reading -----------------------------------------------------------------------------


def read(path: Path, options: ImportOptions) -> ReadResult:
    """The accepted tasks of a Prodigy JSONL file, with their spans and relations."""
    return merged(read_parts(path, options))


def read_parts(
    path: Path, options: ImportOptions, size: int = PART_DOCUMENTS
) -> Iterator[ReadResult]:
    """:func:`read` in parts of at most ``size`` documents, read as they are asked for."""
    lines = JsonLines(path)
    parts = Parts(path, lines, size)
    for line, task in lines:
        result = parts.current
        batch = result.batch
        text = require(task, "text", str, path, line)
        if not text:
            raise InputError(path, line, "the task's text is empty")
        answer = task.get("answer", "accept")
        if answer not in ANSWERS:
            raise InputError(path, line, f"unknown answer {answer!r} (accept, reject or ignore)")
        if answer != "accept":
            reason = "rejected tasks" if answer == "reject" else "ignored tasks"
            result.skipped[reason] = result.skipped.get(reason, 0) + 1
            continue
        document = _document(task, text, path, line)
        spans = optional(task, "spans", list, path, line) or []
        relations = optional(task, "relations", list, path, line) or []
        named = task.get("_annotator_id") or task.get("_session_id")
        if spans or relations:
            annotator = annotator_for(named, options, path, line, result)
        elif named or options.annotator:
            # An accepted task with nothing tagged is an answer too: the annotator found no
            # span. Marking the document done keeps that negative example.
            document.states.append(
                NewState(annotator_for(named, options, path, line, result), "done")
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
        for number, relation in enumerate(relations, start=1):
            document.relations.append(
                _read_relation(
                    relation, document.spans, annotator, path, line, f"relation {number}: "
                )
            )
        batch.documents.append(document)
        if parts.full():
            yield parts.take()
    yield parts.take()


def _read_relation(
    relation: Any, spans: list[NewSpan], annotator: str, path: Path, line: int, what: str
) -> NewRelation:
    """A ``rel.manual`` relation, tied to the task's spans through its head and child spans.

    Dossier relates labelled spans only, so a relation whose span is not among the task's
    spans is an error rather than a silent loss.
    """
    if not isinstance(relation, dict):
        raise InputError(path, line, f"{what}expected an object")
    label = require(relation, "label", str, path, line, what)
    ends = []
    for key in ("head_span", "child_span"):
        end = require(relation, key, dict, path, line, what)
        start_offset, end_offset = end.get("start"), end.get("end")
        wanted = end.get("label")
        span = next(
            (
                s
                for s in spans
                if s.start == start_offset
                and s.end == end_offset
                and (wanted is None or s.label == wanted)
            ),
            None,
        )
        if span is None:
            raise InputError(
                path,
                line,
                f"{what}{key} {start_offset}-{end_offset} ({wanted or 'no label'}) is not one "
                "of the task's spans; Dossier relates labelled spans only",
            )
        if span.uuid is None:
            span.uuid = new_uuid()
        ends.append(span.uuid)
    return NewRelation(
        type=label,
        head_uuid=ends[0],
        tail_uuid=ends[1],
        annotator=annotator,
        where=f"{path}:{line}",
    )


def _document(task: dict[str, Any], text: str, path: Path, line: int) -> NewDocument:
    meta = optional(task, "meta", dict, path, line) or {}
    document = document_from(text, meta.items(), path, line)
    for key in ("_input_hash", "_task_hash"):
        if key in task:
            document.meta.setdefault("prodigy", {})[key] = task[key]
    return document


# --- writing -----------------------------------------------------------------------------


def hash32(data: bytes) -> int:
    """A signed 32-bit hash, the kind of number Prodigy keeps in ``_input_hash``."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "little", signed=True)


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """One accepted task per document and annotator; see the module's docstring."""
    from desktop.nlp.tokens import tokenize

    with atomic_output(out, "wb") as stream:
        for item in counted(documents, context):
            labelled = examples(item)
            if not labelled:
                continue
            document = item.document
            text = document.text
            tokens = Tokens.of(tokenize(text, document.language))
            token_records = _token_records(text, tokens)
            input_hash = hash32(text.encode("utf-8", "surrogatepass"))
            meta = _meta(item)
            for annotator, spans in labelled:
                task = _task(item, annotator, spans, tokens, context)
                task_hash = hash32(dumps_bytes([input_hash, task["spans"], task.get("relations")]))
                record = {
                    "text": text,
                    "meta": meta,
                    "_input_hash": input_hash,
                    "_task_hash": task_hash,
                    "tokens": token_records,
                    **task,
                    "answer": "accept",
                    "_annotator_id": annotator,
                    "_session_id": annotator,
                }
                timestamp = _timestamp(item, annotator, spans)
                if timestamp is not None:
                    record["_timestamp"] = timestamp
                stream.write(dumps_bytes(record))
                stream.write(b"\n")


def _token_records(text: str, tokens: Tokens) -> list[dict[str, Any]]:
    ends = tokens.ends
    following = tokens.starts[1:]
    following.append(len(text))
    return [
        {"text": text[start:end], "start": start, "end": end, "id": index, "ws": end < after}
        for index, (start, end, after) in enumerate(
            zip(tokens.starts, ends, following, strict=True)
        )
    ]


def _task(
    item: ExportDocument,
    annotator: str,
    spans: list[SpanRecord],
    tokens: Tokens,
    context: ExportContext,
) -> dict[str, Any]:
    """The ``spans`` (and ``relations``) of one annotator's task, with ``_view_id``."""
    records = []
    by_uuid: dict[str, dict[str, Any]] = {}
    inexact = 0
    for span in spans:
        first, last = _token_range(tokens, span.start, span.end)
        if not tokens.is_exact(first, last, span.start, span.end):
            inexact += 1
        record = {
            "start": span.start,
            "end": span.end,
            "token_start": first,
            "token_end": last - 1,
            "label": span.label,
        }
        records.append(record)
        by_uuid[span.uuid] = record
    context.note("spans not on token boundaries (kept as they are)", inexact)
    relations = [
        {
            "head": by_uuid[relation.head_uuid]["token_end"],
            "child": by_uuid[relation.tail_uuid]["token_end"],
            "head_span": by_uuid[relation.head_uuid],
            "child_span": by_uuid[relation.tail_uuid],
            "label": relation.type,
        }
        for relation in relations_among(item, spans)
    ]
    if relations:
        return {"spans": records, "relations": relations, "_view_id": "relations"}
    return {"spans": records, "_view_id": "spans_manual"}


def _token_range(tokens: Tokens, start: int, end: int) -> tuple[int, int]:
    """The tokens a span touches; for a span of whitespace only, the token it sits in."""
    covered = tokens.cover(start, end)
    if covered is not None:
        return covered
    index = max(bisect.bisect_right(tokens.starts, start) - 1, 0)
    return index, index + 1


def _meta(item: ExportDocument) -> dict[str, Any]:
    return metadata_of(item.document, ("prodigy",))


def _timestamp(item: ExportDocument, annotator: str, spans: list[SpanRecord]) -> int | None:
    """When the annotator last changed this document's spans, in Unix seconds."""
    latest = max((span.updated_at for span in spans), default=None)
    if latest is None:
        latest = next((s.updated_at for s in item.states if s.annotator == annotator), None)
    if not latest:
        return None
    try:
        return int(datetime.fromisoformat(latest).timestamp())
    except ValueError:
        return None
