"""Dossier's own JSONL: lossless, so that export → import → export gives the same bytes.

One JSON object per line, each with a ``type``:

- ``label``: name, kind, colour, shortcut, description, position, and its ``schema``
  (attributes and relations, as ``db.schema.LabelSchema.to_json`` writes it; ``{}`` for none)
- ``annotator``: name, is_gold
- ``entity``: uuid, name, label, ``entity_type`` (what kind of actor: person, organisation...;
  ``type`` already says what the line is), description, aliases, created_at
- ``document``: hash, title, text, source, url, published, language, meta, imported_from,
  created_at, and lists of ``spans``, ``relations``, ``states`` and ``reviews``

A line without ``type`` but with ``text`` is a document too, so a plain JSONL of articles
(``{"text": ..., "title": ..., "source": ...}``) imports as it is. Offsets are code points.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from db.limits import check_integer
from db.records import (
    ExportDocument,
    NewAnnotator,
    NewDocument,
    NewEntity,
    NewLabel,
    NewRelation,
    NewReviewDecision,
    NewSpan,
    NewState,
)
from db.schema import LabelSchema, SchemaError
from db.store import content_hash
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
    dumps_line,
    merged,
    optional,
    require,
    within_limits,
)

FORMAT_VERSION = 1
DOCUMENT_FIELDS = ("title", "source", "url", "published", "language", "imported_from", "created_at")


# --- reading -----------------------------------------------------------------------------


def read(path: Path, options: ImportOptions) -> ReadResult:
    """The whole file at once; an import reads it in parts (:func:`read_parts`)."""
    return merged(read_parts(path, options))


def read_parts(
    path: Path, options: ImportOptions, size: int = PART_DOCUMENTS
) -> Iterator[ReadResult]:
    """The file's records in parts of at most ``size`` documents, read as they are asked for.

    A label or review decision named twice in the file is an error here; a span uuid met
    twice is found by the store, which remembers no more than the current part.
    """
    lines = JsonLines(path)
    parts = Parts(path, lines, size)
    # What may appear once per file, with the line where it did: ("label", name),
    # ("review", uuid).
    seen: dict[tuple[str, str], int] = {}
    for line, record in lines:
        result = parts.current
        batch = result.batch
        kind = record.get("type", "document" if "text" in record else None)
        if kind == "document":
            batch.documents.append(_read_document(record, path, line, options, result, seen))
            if parts.full():
                yield parts.take()
        elif kind == "label":
            name = require(record, "name", str, path, line, "label: ")
            _once(seen, ("label", name.strip().lower()), path, line, f"label {name.strip()!r}")
            schema = None
            if "schema" in record:
                try:
                    schema = LabelSchema.from_json(record["schema"])
                except SchemaError as exc:
                    raise InputError(path, line, f"label {name!r}: {exc}") from None
            batch.labels.append(
                NewLabel(
                    name=name,
                    kind=optional(record, "kind", str, path, line) or "span",
                    colour=optional(record, "colour", str, path, line),
                    shortcut=optional(record, "shortcut", str, path, line),
                    description=optional(record, "description", str, path, line) or "",
                    position=optional(record, "position", int, path, line),
                    schema=schema,
                    where=f"{path}:{line}",
                )
            )
        elif kind == "annotator":
            batch.annotators.append(
                NewAnnotator(
                    name=require(record, "name", str, path, line, "annotator: "),
                    is_gold=bool(record.get("is_gold", False)),
                    where=f"{path}:{line}",
                )
            )
        elif kind == "entity":
            aliases = optional(record, "aliases", list, path, line) or []
            if not all(isinstance(alias, str) for alias in aliases):
                raise InputError(path, line, "entity: aliases should be strings")
            batch.entities.append(
                NewEntity(
                    name=require(record, "name", str, path, line, "entity: "),
                    uuid=optional(record, "uuid", str, path, line),
                    label=optional(record, "label", str, path, line),
                    type=optional(record, "entity_type", str, path, line),
                    description=optional(record, "description", str, path, line) or "",
                    aliases=aliases,
                    created_at=optional(record, "created_at", str, path, line),
                    where=f"{path}:{line}",
                )
            )
        elif kind is None:
            raise InputError(path, line, "a record needs 'text' (a document) or a 'type'")
        else:
            raise InputError(path, line, f"unknown record type {kind!r}")
    yield parts.take()


def _once(seen: dict[tuple[str, str], int], key: tuple[str, str], path, line: int, what: str):
    """Refuse the second appearance in a file of what may appear once (a label, a uuid)."""
    if key in seen:
        raise InputError(
            path, line, f"{what} appears twice in the file (first on line {seen[key]})"
        )
    seen[key] = line


def _read_document(
    record: dict[str, Any],
    path: Path,
    line: int,
    options: ImportOptions,
    result: ReadResult,
    seen: dict[tuple[str, str], int],
) -> NewDocument:
    text = require(record, "text", str, path, line)
    if not text:
        raise InputError(path, line, "the document's text is empty")
    stated_hash = optional(record, "hash", str, path, line)
    if stated_hash is not None and stated_hash != content_hash(text):
        raise InputError(path, line, "'hash' does not match the text (was the text edited?)")
    meta = optional(record, "meta", dict, path, line) or {}
    if "type" not in record:
        # A plain JSONL of articles: unknown keys are metadata, not errors.
        known = {
            "text",
            "title",
            "source",
            "url",
            "published",
            "date",
            "language",
            "meta",
            "imported_from",
            "created_at",
            "spans",
            "relations",
            "annotator",
            "hash",
        }
        meta = {**{k: v for k, v in record.items() if k not in known}, **meta}
    fields = {}
    for key in DOCUMENT_FIELDS:
        fields[key] = optional(record, key, str, path, line)
    if fields["published"] is None and isinstance(record.get("date"), str):
        fields["published"] = record["date"]
    document = NewDocument(
        text=text,
        title=fields["title"] or "",
        source=fields["source"],
        url=fields["url"],
        published=fields["published"],
        language=fields["language"],
        meta=meta,
        # A field that is present stays as it is, null included: that keeps exports lossless.
        imported_from=fields["imported_from"] if "imported_from" in record else str(path),
        created_at=fields["created_at"],
        where=f"{path}:{line}",
    )
    default_annotator = record.get("annotator")
    spans = optional(record, "spans", list, path, line) or []
    for number, span in enumerate(spans, start=1):
        what = f"span {number}: "
        if not isinstance(span, dict):
            raise InputError(path, line, f"{what}expected an object")
        label = require(span, "label", str, path, line, what)
        start, end = check_offsets(span.get("start"), span.get("end"), len(text), path, line, what)
        check_covered(text, start, end, span.get("text"), path, line, what)
        attributes = optional(span, "attributes", dict, path, line, what) or {}
        version = optional(span, "version", int, path, line, what) or 1
        within_limits(path, line, what, check_integer, version, "version", 1)
        document.spans.append(
            NewSpan(
                label=label,
                start=start,
                end=end,
                annotator=annotator_for(
                    span.get("annotator", default_annotator), options, path, line, result
                ),
                uuid=optional(span, "uuid", str, path, line, what),
                status=optional(span, "status", str, path, line, what) or "accepted",
                origin=optional(span, "origin", str, path, line, what) or "imported",
                confidence=optional(span, "confidence", (int, float), path, line, what),
                note=optional(span, "note", str, path, line, what) or "",
                attributes=attributes,
                entity_uuid=optional(span, "entity", str, path, line, what),
                created_at=optional(span, "created_at", str, path, line, what),
                updated_at=optional(span, "updated_at", str, path, line, what),
                version=version,
                where=f"{path}:{line}",
            )
        )
    uuids = [span.uuid for span in document.spans if span.uuid]
    known_uuids = set(uuids)
    if len(uuids) != len(known_uuids):
        raise InputError(path, line, "two spans share one uuid")
    for number, relation in enumerate(
        optional(record, "relations", list, path, line) or [], start=1
    ):
        what = f"relation {number}: "
        if not isinstance(relation, dict):
            raise InputError(path, line, f"{what}expected an object")
        head = require(relation, "head", str, path, line, what)
        tail = require(relation, "tail", str, path, line, what)
        for end_uuid in (head, tail):
            if end_uuid not in known_uuids:
                raise InputError(
                    path, line, f"{what}points at span {end_uuid!r}, which the record does not have"
                )
        document.relations.append(
            NewRelation(
                type=require(relation, "type", str, path, line, what),
                head_uuid=head,
                tail_uuid=tail,
                annotator=annotator_for(
                    relation.get("annotator", default_annotator), options, path, line, result
                ),
                uuid=optional(relation, "uuid", str, path, line, what),
                created_at=optional(relation, "created_at", str, path, line, what),
                where=f"{path}:{line}",
            )
        )
    for state in optional(record, "states", list, path, line) or []:
        if not isinstance(state, dict):
            raise InputError(path, line, "state: expected an object")
        document.states.append(
            NewState(
                annotator=annotator_for(state.get("annotator"), options, path, line, result),
                status=require(state, "status", str, path, line, "state: "),
                updated_at=optional(state, "updated_at", str, path, line),
            )
        )
    for review in optional(record, "reviews", list, path, line) or []:
        if not isinstance(review, dict):
            raise InputError(path, line, "review: expected an object")
        review_uuid = optional(review, "uuid", str, path, line)
        if review_uuid is not None:
            _once(seen, ("review", review_uuid), path, line, f"review uuid {review_uuid!r}")
        document.reviews.append(
            NewReviewDecision(
                reviewer=require(review, "reviewer", str, path, line, "review: "),
                kind=require(review, "kind", str, path, line, "review: "),
                action=require(review, "action", str, path, line, "review: "),
                candidates=optional(review, "candidates", list, path, line) or [],
                outcome_uuid=optional(review, "outcome", str, path, line),
                note=optional(review, "note", str, path, line) or "",
                uuid=review_uuid,
                created_at=optional(review, "created_at", str, path, line),
            )
        )
    return document


# --- writing -----------------------------------------------------------------------------


def document_record(item: ExportDocument) -> dict[str, Any]:
    """The JSON object of one exported document."""
    document = item.document
    return {
        "type": "document",
        "hash": document.content_hash,
        "title": document.title,
        "text": document.text,
        "source": document.source,
        "url": document.url,
        "published": document.published,
        "language": document.language,
        "meta": document.meta,
        "imported_from": document.imported_from,
        "created_at": document.created_at,
        "spans": [
            {
                "uuid": span.uuid,
                "label": span.label,
                "start": span.start,
                "end": span.end,
                "text": span.text,
                "annotator": span.annotator,
                "status": span.status,
                "origin": span.origin,
                "confidence": span.confidence,
                "note": span.note,
                "attributes": span.attributes,
                "entity": span.entity_uuid,
                "created_at": span.created_at,
                "updated_at": span.updated_at,
                "version": span.version,
            }
            for span in item.spans
        ],
        "relations": [
            {
                "uuid": relation.uuid,
                "type": relation.type,
                "head": relation.head_uuid,
                "tail": relation.tail_uuid,
                "annotator": relation.annotator,
                "created_at": relation.created_at,
            }
            for relation in item.relations
        ],
        "states": [
            {"annotator": state.annotator, "status": state.status, "updated_at": state.updated_at}
            for state in item.states
        ],
        "reviews": [
            {
                "uuid": review.uuid,
                "reviewer": review.reviewer,
                "kind": review.kind,
                "action": review.action,
                "candidates": review.candidates,
                "outcome": review.outcome_uuid,
                "note": review.note,
                "created_at": review.created_at,
            }
            for review in item.reviews
        ],
    }


def header_records(context: ExportContext) -> list[dict[str, Any]]:
    """The label scheme, the annotators and the canonical entities, before the documents."""
    records: list[dict[str, Any]] = [
        {
            "type": "label",
            "name": label.name,
            "kind": label.kind,
            "colour": label.colour,
            "shortcut": label.shortcut,
            "description": label.description,
            "position": label.position,
            "schema": label.schema.to_json(),
        }
        for label in context.labels
    ]
    records.extend(
        {"type": "annotator", "name": annotator.name, "is_gold": annotator.is_gold}
        for annotator in context.annotators
    )
    records.extend(
        {
            "type": "entity",
            "uuid": entity.uuid,
            "name": entity.name,
            "label": entity.label,
            "entity_type": entity.type,
            "description": entity.description,
            "aliases": list(entity.aliases),
            "created_at": entity.created_at,
        }
        for entity in context.entities
    )
    return records


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    with atomic_output(out, "wb") as stream:
        for record in header_records(context):
            stream.write(dumps_line(record))
        for item in counted(documents, context):
            stream.write(dumps_line(document_record(item)))
