"""doccano JSONL, in both its forms, with offsets in UTF-16 code units as doccano counts them.

- list form: ``{"text": ..., "label": [[start, end, "LABEL"], ...]}`` (``labels`` also read)
- entity form: ``{"text": ..., "entities": [{"id", "start_offset", "end_offset", "label"}],
  "relations": [{"id", "from_id", "to_id", "type"}]}``

Other keys are kept as document metadata (the keys of a ``meta`` object among them). The
annotator is the record's ``annotator`` or ``user`` field unless ``--annotator`` names one;
failing both, the file's name (doccano exports one file per user, named after the user). A
record that names its annotator but holds no span marks the document done for that
annotator.

Export writes one record per document and annotator (a document nobody labelled is a record
with no spans, ready to annotate). Every record has the same keys, ``null`` where it has no
value: doccano reads a file with pandas, which fills a key missing from some records with
NaN, and its database then refuses the whole upload. The keys are ``text``, the spans,
``annotator``, ``title``, ``source``, ``url``, ``published``, ``language`` and ``meta`` (the
rest of the document's metadata, an object, so that no column mixes numbers and nulls,
which pandas would also turn into NaN). A doccano project reads one form per file, so the
whole file takes the entity form when any exported spans are related, and the list form
otherwise. Unless the project allows overlapping spans, doccano keeps, of spans that
overlap, only the first by start offset, silently: the export counts the spans it would
drop. doccano cannot carry attributes, notes, links to canonical entities or suggestions;
the list form cannot carry relations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from db.records import (
    ExportDocument,
    NewDocument,
    NewRelation,
    NewSpan,
    NewState,
)
from db.store import new_uuid
from desktop.formats.base import (
    METADATA_FIELDS,
    PART_DOCUMENTS,
    ExportContext,
    ImportOptions,
    InputError,
    JsonLines,
    Parts,
    ReadResult,
    Utf16Offsets,
    annotator_for,
    atomic_output,
    counted,
    document_from,
    dumps_bytes,
    examples,
    identifier,
    merged,
    optional,
    relations_among,
    require,
    utf16_to_code_points,
)

_KNOWN = {"text", "label", "labels", "entities", "relations", "annotator", "user", "id", "meta"}


def read(path: Path, options: ImportOptions) -> ReadResult:
    """Every record of a doccano JSONL file, in either form."""
    return merged(read_parts(path, options))


def read_parts(
    path: Path, options: ImportOptions, size: int = PART_DOCUMENTS
) -> Iterator[ReadResult]:
    """:func:`read` in parts of at most ``size`` documents, read as they are asked for."""
    lines = JsonLines(path)
    parts = Parts(path, lines, size)
    for line, record in lines:
        result = parts.current
        batch = result.batch
        text = require(record, "text", str, path, line)
        if not text:
            raise InputError(path, line, "the record's text is empty")
        offsets = Utf16Offsets(text)
        document = _document(record, text, path, line)
        raw_spans = _raw_spans(record, path, line)
        named = record.get("annotator", record.get("user"))
        if raw_spans or record.get("relations"):
            annotator = annotator_for(named, options, path, line, result)
        elif named is not None:
            # A record that names its annotator but holds no span is that annotator's
            # answer (Dossier writes its true negatives so); one that names nobody may
            # simply not have been labelled yet.
            document.states.append(
                NewState(annotator_for(named, options, path, line, result), "done")
            )
        # A span gets a uuid only when a relation points at it: the store gives the others
        # theirs, and remembers no links for them when they are skipped as already there.
        ids: dict[Any, NewSpan] = {}
        for number, (span_id, start, end, label) in enumerate(raw_spans, start=1):
            what = f"span {number}: "
            if not isinstance(label, str) or not label:
                raise InputError(path, line, f"{what}label should be a name, not {label!r}")
            start, end = utf16_to_code_points(offsets, start, end, path, line, what)
            span = NewSpan(
                label=label, start=start, end=end, annotator=annotator, where=f"{path}:{line}"
            )
            if span_id is not None:
                span_id = identifier(span_id, path, line, f"entity {number}: 'id' ")
                if span_id in ids:
                    raise InputError(path, line, f"{what}entity id {span_id!r} is used twice")
                ids[span_id] = span
            document.spans.append(span)
        for number, relation in enumerate(
            optional(record, "relations", list, path, line) or [], start=1
        ):
            what = f"relation {number}: "
            if not isinstance(relation, dict):
                raise InputError(path, line, f"{what}expected an object")
            ends = []
            for key in ("from_id", "to_id"):
                if key not in relation:
                    raise InputError(path, line, f"{what}missing {key!r}")
                identifier(relation[key], path, line, f"{what}{key!r} ")
                if relation[key] not in ids:
                    raise InputError(
                        path, line, f"{what}{key} {relation[key]!r} names no entity of this record"
                    )
                end = ids[relation[key]]
                if end.uuid is None:
                    end.uuid = new_uuid()
                ends.append(end.uuid)
            document.relations.append(
                NewRelation(
                    type=require(relation, "type", str, path, line, what),
                    head_uuid=ends[0],
                    tail_uuid=ends[1],
                    annotator=annotator,
                    where=f"{path}:{line}",
                )
            )
        batch.documents.append(document)
        if parts.full():
            yield parts.take()
    yield parts.take()


def _raw_spans(record: dict[str, Any], path: Path, line: int) -> list[tuple[Any, Any, Any, Any]]:
    """(id, start, end, label) for every span of either form, offsets still in UTF-16."""
    spans: list[tuple[Any, Any, Any, Any]] = []
    if "entities" in record:
        entities = require(record, "entities", list, path, line)
        for number, entity in enumerate(entities, start=1):
            what = f"entity {number}: "
            if not isinstance(entity, dict):
                raise InputError(path, line, f"{what}expected an object")
            for key in ("start_offset", "end_offset", "label"):
                if key not in entity:
                    raise InputError(path, line, f"{what}missing {key!r}")
            spans.append(
                (entity.get("id"), entity["start_offset"], entity["end_offset"], entity["label"])
            )
        return spans
    key = "label" if "label" in record else "labels" if "labels" in record else None
    if key is None:
        return spans
    items = record[key]
    if not isinstance(items, list):
        raise InputError(path, line, f"{key!r} should be a list of [start, end, label]")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, list) or len(item) != 3:
            raise InputError(
                path, line, f"span {number}: expected [start, end, label], found {item!r}"[:160]
            )
        spans.append((None, item[0], item[1], item[2]))
    return spans


def _document(record: dict[str, Any], text: str, path: Path, line: int) -> NewDocument:
    items = [
        (key, value)
        for key, value in record.items()
        if key not in _KNOWN and value is not None  # null: a key Dossier writes on every record
    ]
    meta = record.get("meta")
    if isinstance(meta, dict):
        items.extend(meta.items())
    elif meta is not None:
        items.append(("meta", meta))
    if "id" in record:
        items.append(("doccano_id", record["id"]))
    return document_from(text, items, path, line)


# --- writing -----------------------------------------------------------------------------

# Document fields written as keys of their own; the rest of the metadata goes under "meta".
_FIELDS = ("title", "source", "url", "published", "language")
# Metadata keys the reader would take for document fields; the fields themselves carry them.
_RESERVED = set(METADATA_FIELDS)
OVERLAP_DROPPED = (
    "overlapping spans doccano drops unless the project allows overlapping spans "
    "(Settings → Allow overlapping spans)"
)


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """One record per document and annotator, offsets in UTF-16 units; see the docstring."""
    entity_form = context.has_relations
    entity_ids = iter(range(1, 1 << 62))
    relation_ids = iter(range(1, 1 << 62))
    with atomic_output(out, "wb") as stream:
        for item in counted(documents, context):
            document = item.document
            fields = _fields(item)
            labelled = examples(item) or [(None, [])]
            to_utf16 = Utf16Offsets(document.text).to_utf16
            for annotator, spans in labelled:
                record: dict[str, Any] = {"text": document.text}
                offsets = [(to_utf16(span.start), to_utf16(span.end)) for span in spans]
                if entity_form:
                    ids = {}
                    entities = []
                    for span, (start, end) in zip(spans, offsets, strict=True):
                        ids[span.uuid] = entity_id = next(entity_ids)
                        entities.append(
                            {
                                "id": entity_id,
                                "start_offset": start,
                                "end_offset": end,
                                "label": span.label,
                            }
                        )
                    record["entities"] = entities
                    record["relations"] = [
                        {
                            "id": next(relation_ids),
                            "from_id": ids[relation.head_uuid],
                            "to_id": ids[relation.tail_uuid],
                            "type": relation.type,
                        }
                        for relation in relations_among(item, spans)
                    ]
                else:
                    record["label"] = [
                        [start, end, span.label]
                        for span, (start, end) in zip(spans, offsets, strict=True)
                    ]
                record["annotator"] = annotator
                record.update(fields)
                context.note(OVERLAP_DROPPED, dropped_by_doccano(offsets))
                stream.write(dumps_bytes(record))
                stream.write(b"\n")


def dropped_by_doccano(offsets: list[tuple[int, int]]) -> int:
    """How many of one record's spans a doccano project without overlapping spans drops.

    doccano sorts a record's spans by start offset (a stable sort) and keeps a span only
    when it starts at or after the end of the last span it kept.
    """
    dropped, last_end = 0, -1
    for start, end in sorted(offsets, key=lambda pair: pair[0]):
        if start >= last_end:
            last_end = end
        else:
            dropped += 1
    return dropped


def _fields(item: ExportDocument) -> dict[str, Any]:
    """The document's metadata: the same keys for every document, ``None`` where it has none."""
    document = item.document
    fields: dict[str, Any] = {key: getattr(document, key) or None for key in _FIELDS}
    fields["meta"] = {key: value for key, value in document.meta.items() if key not in _RESERVED}
    return fields
