"""Label Studio JSON tasks for a ``<Labels>`` on a ``<Text>``, offsets in code points.

Label Studio counts offsets in code points, as Python does (its frontend walks ``[...text]``
since its fix of emoji offsets), so offsets pass through unchanged. In a region's
``value.text`` it writes every line break, ``\\r`` and ``\\n`` alike, as the two
characters ``\\`` ``n`` (so CRLF is ``\\n\\n``); Dossier writes and reads that form too.

A task is ``{"id", "data": {"text", ...}, "meta", "annotations": [...], "predictions": [...]}``;
a result item is ``{"id", "from_name": "label", "to_name": "text", "type": "labels",
"value": {"start", "end", "text", "labels"}}``. Relations are ``"type": "relation"`` items
between region ids; an attribute or a note is a per-region ``textarea`` item that shares
its region's id (``from_name`` is the attribute's name, or ``note``).

Export: one task per document, one annotation per annotator, and, when suggestions are
exported (``--status suggested``), one prediction per suggesting annotator with the span's
confidence as ``score``. An annotation has no ``completed_by``: Label Studio refuses a file
whose ``completed_by`` is not one of its own users, and gives an annotation without one to
the user who imports it. The annotators' names go in the task's ``meta.annotators``, keyed
by annotation id; Label Studio keeps a task's ``meta`` and each imported annotation's id
(as ``import_id``), so the names come back with its own export. ``ground_truth`` marks the
gold layer. Region ids are the spans' uuids. Beside the tasks goes the labelling config
that reads them (``NAME.label_config.xml``), with each label's description as its
``<Label hint=…>`` (shown on hover) and each attribute's as its ``<TextArea placeholder=…>``
(characters XML cannot hold dropped from them); a label, relation type or attribute whose
name XML cannot hold (a control character) stops the export, named, before either file
appears. Label Studio cannot carry attribute values
other than text, links to canonical entities, or rejected spans.

Import: annotations become accepted spans (cancelled ones are skipped and counted), and
predictions become suggestions (origin ``model``, confidence from the item's or the
prediction's ``score``). The annotator is ``--annotator``, else the name ``meta.annotators``
gives the annotation's ``import_id`` (Label Studio's export) or, without one, its ``id``
(Dossier's), else ``completed_by`` (its ``email`` when it is an object); a prediction's is
its ``model_version``.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from db.limits import check_real
from db.records import ExportDocument, NewDocument, NewRelation, NewSpan, SpanRecord
from db.store import new_uuid
from desktop.formats.base import (
    PART_DOCUMENTS,
    ExportContext,
    ImportOptions,
    InputError,
    Parts,
    ReadResult,
    TextChunks,
    annotator_for,
    atomic_output,
    check_covered,
    check_offsets,
    counted,
    dumps_bytes,
    merged,
    relations_among,
    shown,
    within_limits,
)

LABELS = "label"  # the <Labels> control
TEXT = "text"  # the <Text> object
NOTE = "note"  # the per-region <TextArea> that holds a span's note
# Control names an attribute cannot take, because the config already uses them.
_RESERVED = {LABELS, TEXT, NOTE, "relation", "relations"}
_DOCUMENT_FIELDS = ("title", "source", "url", "published", "language")
_WHITESPACE = re.compile(r"\s*")
_LINE_BREAK = re.compile("[\r\n]")
READ_SIZE = 1 << 20  # bytes of the file read at a time
_DECODER = json.JSONDecoder()
# A decoding error this close to the end of the buffer may only mean that the task goes on
# past it (a literal, a number or a \uXXXX escape cut in two): more is read and it is tried
# again. Anything further back is the file's fault, whatever follows.
_NEAR_THE_END = 16
PREDICTIONS_BY_ID = (
    "predictions given by id only (Label Studio's plain JSON export names them so; "
    "its export snapshots with predictions carry them whole)"
)


def region_text(covered: str) -> str:
    """A region's ``value.text`` as Label Studio writes it: each CR and LF as ``\\n``."""
    if "\n" not in covered and "\r" not in covered:
        return covered  # most spans: spared the regular expression, once per span on export
    return _LINE_BREAK.sub(r"\\n", covered)


# --- reading -----------------------------------------------------------------------------


def read(path: Path, options: ImportOptions) -> ReadResult:
    """Every task of a Label Studio JSON file; see the module's docstring."""
    return merged(read_parts(path, options))


def read_parts(
    path: Path, options: ImportOptions, size: int = PART_DOCUMENTS, *, read_size: int = READ_SIZE
) -> Iterator[ReadResult]:
    """:func:`read` in parts of at most ``size`` documents, read as they are asked for;
    the file is read ``read_size`` bytes at a time (see :class:`_Tasks`)."""
    tasks = _Tasks(path, read_size)
    parts = Parts(path, tasks, size)  # type: ignore[arg-type]  # it has the position Parts reads
    cancelled = by_id = 0
    used_uuids: set[str] = set()
    for number, (line, task) in enumerate(tasks, start=1):
        result = parts.current
        what = f"task {number}: "
        if not isinstance(task, dict):
            raise InputError(path, line, f"{what}expected an object, found {type(task).__name__}")
        data = task.get("data", task)
        if not isinstance(data, dict):
            raise InputError(path, line, f"{what}'data' should be an object")
        text = _task_text(data, path, line, what)
        document = _document(task, data, text, path, line)
        reading = _Task(document, text, used_uuids, path, line)
        names = _annotator_names(task)
        annotations = _list(task, "annotations", path, line, what) or _list(
            task, "completions", path, line, what
        )
        for index, annotation in enumerate(annotations, start=1):
            where = f"{what}annotation {index}: "
            if not isinstance(annotation, dict):
                raise InputError(path, line, f"{where}expected an object")
            if annotation.get("was_cancelled"):
                cancelled += 1
                continue
            annotator = annotator_for(_named(annotation, names), options, path, line, result)
            reading.read_results(annotation, annotator, where)
        for index, prediction in enumerate(_list(task, "predictions", path, line, what), start=1):
            where = f"{what}prediction {index}: "
            if isinstance(prediction, int) and not isinstance(prediction, bool):
                # Label Studio's plain JSON export names predictions by id only.
                by_id += 1
                continue
            if not isinstance(prediction, dict):
                raise InputError(path, line, f"{where}expected an object")
            version = prediction.get("model_version")
            annotator = options.annotator or (
                version.strip() if isinstance(version, str) and version.strip() else "model"
            )
            score = _score(prediction.get("score"), path, line, where)
            reading.read_results(prediction, annotator, where, prediction=True, score=score)
        result.batch.documents.append(document)
        if parts.full():
            _count_skipped(result, cancelled, by_id)
            cancelled = by_id = 0
            yield parts.take()
    _count_skipped(parts.current, cancelled, by_id)
    yield parts.take()


def _count_skipped(result: ReadResult, cancelled: int, by_id: int) -> None:
    if cancelled:
        result.skipped["cancelled annotations"] = cancelled
    if by_id:
        result.skipped[PREDICTIONS_BY_ID] = by_id


class _Tasks:
    """Each task of a JSON array (or of a lone object, or of JSON lines) with its first line.

    The file is read a chunk at a time into a buffer, from which tasks are decoded one by
    one; what has been decoded is dropped when the buffer is topped up, so memory holds a
    chunk and a task whatever the size of the file. ``position`` says how many bytes of the
    file have been read.
    """

    def __init__(self, path: Path, read_size: int = READ_SIZE):
        self.path = path
        self._chunks = TextChunks(path)
        self._read_size = max(1, read_size)
        self._text = ""  # the buffer
        self._at = 0  # where reading is in the buffer
        self._line = 1  # the line of the buffer's first character
        self._column = 0  # the characters of that line before the buffer's first character
        self._counted_line, self._counted_to = 1, 0
        self._ended = False

    @property
    def position(self) -> int:
        return self._chunks.position

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        with self._chunks:
            yield from self._tasks()

    def _tasks(self) -> Iterator[tuple[int, Any]]:
        path = self.path
        first = self._skip()
        if not first:
            raise InputError(path, 1, "the file is empty: there are no tasks")
        if first != "[":
            while self._skip():
                yield self._decode()
            return
        self._at += 1
        if self._skip() == "]":
            return
        while True:
            yield self._decode()
            following = self._skip()
            line = self._line_at(self._at)
            if following == ",":
                self._at += 1
                self._skip()
            elif following == "]":
                self._at += 1
                if self._skip():
                    raise InputError(path, line, "text after the end of the task list")
                return
            else:
                raise InputError(path, line, "expected ',' or ']' after a task")

    def _line_at(self, position: int) -> int:
        """The line of a place in the buffer at or after the last one asked about."""
        self._counted_line += self._text.count("\n", self._counted_to, position)
        self._counted_to = position
        return self._counted_line

    def _skip(self) -> str:
        """Move past white space: the character there, or "" at the end of the file."""
        while True:
            self._at = _WHITESPACE.match(self._text, self._at).end()  # type: ignore[union-attr]
            if self._at < len(self._text):
                return self._text[self._at]
            if not self._more():
                return ""

    def _decode(self) -> tuple[int, Any]:
        """The task that starts where reading is, with its line, read past."""
        path = self.path
        while True:
            try:
                task, end = _DECODER.raw_decode(self._text, self._at)
            except json.JSONDecodeError as exc:
                if self._cut_short(exc) and self._more():
                    continue
                line = self._line + exc.lineno - 1
                column = exc.colno + (self._column if exc.lineno == 1 else 0)
                raise InputError(
                    path, line, f"malformed JSON ({exc.msg.removesuffix(' at')} at column {column})"
                ) from None
            except RecursionError:
                raise InputError(
                    path, self._line_at(self._at), "the task is nested too deeply to read"
                ) from None
            except ValueError:  # int() refuses a number of thousands of digits
                raise InputError(
                    path, self._line_at(self._at), "the task holds a number too long to read"
                ) from None
            # A number near the end of the buffer may go on past it ("1" of "1.5" or "12").
            if (
                isinstance(task, (int, float))
                and end >= len(self._text) - _NEAR_THE_END
                and self._more()
            ):
                continue
            line = self._line_at(self._at)  # where it starts, once the buffer is settled
            self._at = end
            return line, task

    def _cut_short(self, error: json.JSONDecodeError) -> bool:
        """Whether a decoding error may only mean that the buffer ends inside the task."""
        return error.msg.startswith("Unterminated string") or (
            error.pos >= len(self._text) - _NEAR_THE_END
        )

    def _more(self) -> bool:
        """Top the buffer up, dropping what has been read; False at the end of the file."""
        if self._ended:
            return False
        cut = self._at
        # A task longer than a read doubles the buffer, so it is decoded a few times at most.
        more = self._chunks.read(max(self._read_size, len(self._text) - cut))
        if not more:
            self._ended = True  # the buffer stays as it is, for the error that may follow
            return False
        if cut:
            line = self._line_at(cut)
            last_break = self._text.rfind("\n", 0, cut)
            self._column = cut - last_break - 1 if last_break >= 0 else self._column + cut
            self._text = self._text[cut:]
            self._line, self._at, self._counted_to = line, 0, 0
        self._text += more
        return True


def _list(record: dict[str, Any], key: str, path, line: int, what: str) -> list[Any]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(path, line, f"{what}{key!r} should be a list")
    return value


def _task_text(data: dict[str, Any], path, line: int, what: str) -> str:
    """The text of ``data["text"]``, or of the task's only text field."""
    text = data.get(TEXT)
    if text is None:
        strings = [value for value in data.values() if isinstance(value, str)]
        if len(strings) != 1:
            raise InputError(path, line, f"{what}data has no 'text' to label")
        text = strings[0]
    if not isinstance(text, str):
        raise InputError(path, line, f"{what}'text' should be a string")
    if not text:
        raise InputError(path, line, f"{what}the text is empty")
    return text


def _annotator_names(task: dict[str, Any]) -> dict[str, str]:
    meta = task.get("meta")
    names = meta.get("annotators") if isinstance(meta, dict) else None
    if not isinstance(names, dict):
        return {}
    return {str(key): value for key, value in names.items() if isinstance(value, str)}


def _named(annotation: dict[str, Any], names: dict[str, str]) -> Any:
    """Who made an annotation: the name ``meta.annotators`` gives its id, else ``completed_by``.

    Label Studio's export keeps the id an annotation was imported with as ``import_id``
    (null for an annotation made in Label Studio) and gives it an id of its own, which
    must not be looked up; a file Dossier wrote has no ``import_id``.
    """
    key = annotation.get("import_id") if "import_id" in annotation else annotation.get("id")
    if key is not None and str(key) in names:
        return names[str(key)]
    completed_by = annotation.get("completed_by")
    if isinstance(completed_by, dict):
        return completed_by.get("email") or completed_by.get("id")
    return completed_by


def _score(value: Any, path, line: int, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(path, line, f"{what}score should be a number, not {shown(value)}")
    return within_limits(path, line, what, check_real, value, "score")


def _document(
    task: dict[str, Any], data: dict[str, Any], text: str, path: Path, line: int
) -> NewDocument:
    fields = {
        key: data[key] for key in _DOCUMENT_FIELDS if isinstance(data.get(key), str) and data[key]
    }
    meta = {}
    if "id" in task and "data" in task:
        meta["labelstudio_id"] = task["id"]
    title = fields.pop("title", None)
    if title is None:
        from desktop.formats.text import title_from_text

        title = title_from_text(text)
    return NewDocument(
        text=text, title=title, meta=meta, imported_from=str(path), where=f"{path}:{line}", **fields
    )


@dataclass(slots=True)
class _Task:
    """One task being read: its document, and where it starts in the file."""

    document: NewDocument
    text: str
    used_uuids: set[str]  # region uuids already taken in this file
    path: Path
    line: int

    def read_results(
        self,
        holder: dict[str, Any],
        annotator: str,
        what: str,
        *,
        prediction: bool = False,
        score: float | None = None,
    ) -> None:
        """The spans, relations, attributes and notes of one annotation, or of one
        prediction, whose spans are suggestions scored by the item's ``score``, else by
        the prediction's ``score``."""
        path, line = self.path, self.line
        results = _list(holder, "result", path, line, what)
        regions: dict[str, list[NewSpan]] = {}
        for index, item in enumerate(results, start=1):
            where = f"{what}result {index}: "
            if not isinstance(item, dict):
                raise InputError(path, line, f"{where}expected an object")
            if item.get("type") != "labels":
                continue
            spans = self._region(item, annotator, prediction, score, where)
            region = item.get("id")
            if isinstance(region, str) and region:
                if region in regions:
                    raise InputError(path, line, f"{where}region id {region!r} is used twice")
                regions[region] = spans
                # Label Studio keeps a prediction's region ids in the annotation made from
                # it, so an id seen before gets a fresh uuid rather than being skipped.
                if _is_uuid(region) and region not in self.used_uuids:
                    spans[0].uuid = region
            self.used_uuids.update(span.uuid for span in spans if span.uuid)
            self.document.spans.extend(spans)
        for index, item in enumerate(results, start=1):
            where = f"{what}result {index}: "
            kind = item.get("type")
            if kind == "relation":
                self.document.relations.append(
                    _relation(item, regions, annotator, path, line, where)
                )
            elif kind in ("textarea", "choices") and _region_id(item.get("id")) in regions:
                _region_value(item, regions[item["id"]], path, line, where)

    def _region(
        self, item: dict[str, Any], annotator: str, prediction: bool, score, where: str
    ) -> list[NewSpan]:
        """The spans of one labelled text region: one per label it carries."""
        path, line = self.path, self.line
        value = item.get("value")
        if not isinstance(value, dict):
            raise InputError(path, line, f"{where}'value' should be an object")
        if "start" not in value or "end" not in value:
            raise InputError(
                path, line, f"{where}a text region needs 'start' and 'end' (not an HTML region)"
            )
        start, end = check_offsets(value["start"], value["end"], len(self.text), path, line, where)
        stated = value.get("text")
        if stated is not None and stated != self.text[start:end]:
            # Label Studio's own form, with line breaks as "\\n", is the other one accepted.
            if stated == region_text(self.text[start:end]):
                stated = None
        check_covered(self.text, start, end, stated, path, line, where)
        labels = value.get("labels")
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(label, str) and label for label in labels)
        ):
            raise InputError(path, line, f"{where}'labels' should be a list of label names")
        confidence = _score(item.get("score"), path, line, where)
        if confidence is None:
            confidence = score
        return [
            NewSpan(
                label=label,
                start=start,
                end=end,
                annotator=annotator,
                uuid=new_uuid(),
                status="suggested" if prediction else "accepted",
                origin="model" if prediction else "imported",
                confidence=confidence if prediction else None,
                where=f"{path}:{line}",
            )
            for label in labels
        ]


def _relation(
    item: dict[str, Any], regions: dict[str, list[NewSpan]], annotator: str, path, line, what
) -> NewRelation:
    ends = []
    for key in ("from_id", "to_id"):
        region = _region_id(item.get(key))
        if region not in regions:
            said = repr(region) if region is not None else shown(item.get(key))
            raise InputError(path, line, f"{what}{key} {said} names no labelled region")
        ends.append(regions[item[key]][0].uuid)
    if item.get("direction") == "left":
        ends.reverse()
    labels = item.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise InputError(path, line, f"{what}'labels' should be a list of relation names")
    return NewRelation(
        type=labels[0] if labels else "related",
        head_uuid=ends[0],  # type: ignore[arg-type]
        tail_uuid=ends[1],  # type: ignore[arg-type]
        annotator=annotator,
        where=f"{path}:{line}",
    )


def _region_value(item: dict[str, Any], spans: list[NewSpan], path, line: int, what: str) -> None:
    """A per-region text or choice: the span's note, or one of its attributes."""
    name = item.get("from_name")
    value = item.get("value")
    if not isinstance(name, str) or not name or not isinstance(value, dict):
        raise InputError(path, line, f"{what}a per-region result needs 'from_name' and 'value'")
    key = "text" if item["type"] == "textarea" else "choices"
    values = value.get(key)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputError(path, line, f"{what}'value.{key}' should be a list of strings")
    for span in spans:
        if name == NOTE:
            span.note = "\n".join(values)
        else:
            span.attributes[name] = values[0] if len(values) == 1 else values


def _region_id(value: Any) -> str | None:
    """A result item's region id: a string (anything else names no region)."""
    return value if isinstance(value, str) else None


def _is_uuid(value: str) -> bool:
    try:
        return str(uuidlib.UUID(value)) == value
    except ValueError:
        return False


# --- writing -----------------------------------------------------------------------------


# What XML 1.0 cannot hold at all, not even written as "&#1;": Label Studio parses its
# labelling config with Python's ElementTree (defusedxml, in core/label_config.py), which
# refuses it.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_attribute(value: str, what: str) -> str:
    """``value`` as a quoted XML attribute, or ValueError naming it when it holds a character
    XML cannot (a control character): Label Studio would refuse the whole config."""
    found = _NOT_XML.search(value)
    if found is not None:
        raise ValueError(
            f"the {what} {value!r} holds U+{ord(found.group()):04X}, a control character that "
            "Label Studio's labelling config (XML) cannot hold; rename it and export again"
        )
    return quoteattr(value)


def _prose(value: str) -> str:
    """A description as XML can hold it: characters it cannot are dropped, not refused (a
    description is guidance, not data)."""
    return _NOT_XML.sub("", value).strip()


def config_path(out: Path) -> Path:
    """Where the labelling config goes beside the tasks: ``tasks.json`` → ``tasks.label_config.xml``."""
    return out.with_name(f"{out.stem}.label_config.xml")


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """The tasks as one JSON array, one task per line, and the labelling config beside them."""
    gold = {annotator.name for annotator in context.annotators if annotator.is_gold}
    scheme = _Scheme(context)
    annotation_ids = iter(range(1, 1 << 62))
    with atomic_output(config_path(out), "w", encoding="utf-8") as config:
        with atomic_output(out, "wb") as stream:
            stream.write(b"[")
            separator = b"\n"
            for item in counted(documents, context):
                task = _task(item, gold, annotation_ids, scheme, context)
                stream.write(separator)
                stream.write(dumps_bytes(task))
                separator = b",\n"
            stream.write(b"\n]\n")
            labelling = scheme.config()  # may refuse a name: then neither file appears
        config.write(labelling)


def _task(
    item: ExportDocument,
    gold: set[str],
    annotation_ids: Iterator[int],
    scheme: _Scheme,
    context: ExportContext,
) -> dict[str, Any]:
    document = item.document
    data: dict[str, Any] = {TEXT: document.text}
    for key in _DOCUMENT_FIELDS:
        value = getattr(document, key)
        if value:
            data[key] = value
    # Rejected spans never arrive: the export refuses that status for Label Studio.
    accepted: dict[str, list[SpanRecord]] = {}
    suggested: dict[str, list[SpanRecord]] = {}
    for span in item.spans:
        if span.status == "accepted":
            accepted.setdefault(span.annotator, []).append(span)
        elif span.status == "suggested":
            suggested.setdefault(span.annotator, []).append(span)
    annotations = []
    names: dict[str, str] = {}
    for annotator, spans in sorted(accepted.items()):
        number = next(annotation_ids)
        names[str(number)] = annotator
        annotation: dict[str, Any] = {
            "id": number,
            "result": _results(item, spans, "manual", scheme, context),
            "was_cancelled": False,
            "ground_truth": annotator in gold,
            "created_at": min(span.created_at for span in spans),
            "updated_at": max(span.updated_at for span in spans),
        }
        annotations.append(annotation)
    predictions = []
    for annotator, spans in sorted(suggested.items()):
        scores = [span.confidence for span in spans if span.confidence is not None]
        prediction: dict[str, Any] = {"model_version": annotator}
        if scores:
            prediction["score"] = sum(scores) / len(scores)
        prediction["result"] = _results(item, spans, "prediction", scheme, context)
        predictions.append(prediction)
    task: dict[str, Any] = {"id": document.id, "data": data}
    if annotations:
        task["meta"] = {"annotators": names}
    task["annotations"] = annotations
    task["predictions"] = predictions
    return task


def _results(
    item: ExportDocument,
    spans: list[SpanRecord],
    origin: str,
    scheme: _Scheme,
    context: ExportContext,
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    not_text = 0
    for span in spans:
        start, end = span.start, span.end
        region: dict[str, Any] = {
            "id": span.uuid,
            "from_name": LABELS,
            "to_name": TEXT,
            "type": "labels",
            "origin": origin,
            "value": {
                "start": start,
                "end": end,
                "text": region_text(span.text),
                "labels": [span.label],
            },
        }
        if origin == "prediction" and span.confidence is not None:
            region["score"] = span.confidence
        results.append(region)
        scheme.labels.setdefault(span.label, None)
        if span.note:
            results.append(_per_region(span, NOTE, span.note, start, end, origin))
        for key, value in span.attributes.items():
            if isinstance(value, str) and key not in _RESERVED:
                results.append(_per_region(span, key, value, start, end, origin))
                scheme.attributes.setdefault(key, None)
            else:
                not_text += 1
    context.note("attributes that are not text (Label Studio keeps text only)", not_text)
    for relation in relations_among(item, spans):
        results.append(
            {
                "from_id": relation.head_uuid,
                "to_id": relation.tail_uuid,
                "type": "relation",
                "direction": "right",
                "labels": [relation.type],
            }
        )
        scheme.relations.setdefault(relation.type, None)
    return results


def _per_region(
    span: SpanRecord, name: str, value: str, start: int, end: int, origin: str
) -> dict[str, Any]:
    return {
        "id": span.uuid,
        "from_name": name,
        "to_name": TEXT,
        "type": "textarea",
        "origin": origin,
        "value": {"start": start, "end": end, "text": [value]},
    }


class _Scheme:
    """The labels, relation types and attributes the tasks use, for the labelling config."""

    def __init__(self, context: ExportContext):
        self.colours = {label.name: label.colour for label in context.labels}
        # The guidelines travel with the config: a label's description as its <Label>'s
        # hint (shown on hover), an attribute's as its <TextArea>'s placeholder.
        self.hints = {label.name: label.description for label in context.labels}
        self.placeholders: dict[str, list[str]] = {}
        for label in context.labels:
            for spec in label.schema.attributes:
                if spec.description.strip():
                    self.placeholders.setdefault(spec.name, []).append(
                        f"{label.name}: {spec.description.strip()}"
                    )
        # Every project label is offered, so annotators can add spans in Label Studio too.
        self.labels: dict[str, None] = dict.fromkeys(self.colours)
        self.relations: dict[str, None] = {}
        self.attributes: dict[str, None] = {}
        for name in self.labels:  # refused before a task is written
            xml_attribute(name, "label")

    def config(self) -> str:
        """The labelling config; ValueError for a name XML cannot hold (see xml_attribute)."""
        lines = ["<View>"]
        if self.relations:
            lines.append("  <Relations>")
            lines.extend(
                f"    <Relation value={xml_attribute(name, 'relation type')}/>"
                for name in self.relations
            )
            lines.append("  </Relations>")
        lines.append(f'  <Labels name="{LABELS}" toName="{TEXT}">')
        for name in self.labels:
            colour = self.colours.get(name)
            background = f" background={xml_attribute(colour, 'colour')}" if colour else ""
            hint = _prose(self.hints.get(name, ""))
            hint = f" hint={quoteattr(hint)}" if hint else ""
            lines.append(f"    <Label value={xml_attribute(name, 'label')}{background}{hint}/>")
        lines.append("  </Labels>")
        lines.append(f'  <Text name="{TEXT}" value="${TEXT}"/>')
        for name in (NOTE, *self.attributes):
            said = self.placeholders.get(name, [])
            placeholder = _prose(said[0].partition(": ")[2] if len(said) == 1 else " · ".join(said))
            placeholder = f" placeholder={quoteattr(placeholder)}" if placeholder else ""
            lines.append(
                f'  <TextArea name={xml_attribute(name, "attribute")} toName="{TEXT}" '
                f'perRegion="true" editable="true" displayMode="region-list"{placeholder}/>'
            )
        lines.append("</View>")
        return "\n".join(lines) + "\n"
