"""What every format module shares: reading files exactly, JSONL lines, errors, UTF-16 offsets.

Readers turn a file into an :class:`ImportBatch` (line-based formats also into parts of a
few hundred documents, read as they are written) and raise :class:`InputError` (``file:line:
reason``) for the first thing wrong with it; an import is one transaction, so nothing of it
stays written after an error. Writers take the documents of an export and an output path.
"""

from __future__ import annotations

import bisect
import codecs
import gc
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from db.limits import LimitError
from db.records import (
    AnnotatorRecord,
    DocumentRecord,
    EntityRecord,
    ExportDocument,
    ExportFilter,
    ImportBatch,
    LabelRecord,
    NewDocument,
    RelationRecord,
    SpanRecord,
)
from desktop.formats import output
from desktop.progress import Cancelled  # noqa: F401 - formats raise and re-export it


class InputError(Exception):
    """Bad input, located: ``str(error)`` is ``file:line: reason``."""

    def __init__(self, path: str | Path, line: int | None, reason: str):
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.reason}"
        return f"{self.path}:{self.line}: {self.reason}"


Progress = Callable[[int, int], None]


@dataclass(slots=True)
class ImportOptions:
    annotator: str | None = None  # when given, every span is attributed to this annotator
    format: str = "auto"


@dataclass(slots=True)
class ReadResult:
    """What a reader got from one file, or from one part of it (see :class:`Parts`)."""

    batch: ImportBatch
    skipped: dict[str, int] = field(default_factory=dict)  # e.g. {"rejected tasks": 3}
    attributed: dict[str, str] = field(default_factory=dict)  # file -> annotator from its name
    read: int = 0  # bytes of the file read so far, for progress


# A part of a streamed import: this many documents, or fewer once about PART_BYTES of the
# file have been read (a few very long articles make a part of their own).
PART_DOCUMENTS = 500
PART_BYTES = 8 << 20


class Parts:
    """Cuts what a line-based reader reads into parts, each an :class:`ImportBatch` of at
    most ``size`` documents with the labels, annotators and entities read since the last.

    A reader appends to ``current`` and yields :meth:`take` whenever :meth:`full`, and once
    at the end; an import writes each part before the next is read.
    """

    def __init__(self, path: Path, lines: JsonLines, size: int = PART_DOCUMENTS):
        self._path = path
        self._lines = lines
        self._size = max(1, size)
        self._taken_at = 0
        self.current = self._new()

    def _new(self) -> ReadResult:
        return ReadResult(ImportBatch(source=str(self._path)))

    def full(self) -> bool:
        return (
            len(self.current.batch.documents) >= self._size
            or self._lines.position - self._taken_at >= PART_BYTES
        )

    def take(self) -> ReadResult:
        """The part read so far; a new, empty one is begun."""
        part = self.current
        part.read = self._taken_at = self._lines.position
        self.current = self._new()
        return part


def merged(parts: Iterable[ReadResult]) -> ReadResult:
    """A file's parts as one result, for callers that want the file whole."""
    whole = ReadResult(ImportBatch())
    for part in parts:
        whole.batch.documents.extend(part.batch.documents)
        whole.batch.labels.extend(part.batch.labels)
        whole.batch.entities.extend(part.batch.entities)
        whole.batch.annotators.extend(part.batch.annotators)
        whole.batch.source = part.batch.source
        for key, count in part.skipped.items():
            whole.skipped[key] = whole.skipped.get(key, 0) + count
        whole.attributed.update(part.attributed)
        whole.read = part.read
    return whole


@dataclass(slots=True)
class ExportOptions:
    """Format-specific export choices; each format reads the fields it knows."""

    filter: ExportFilter = field(default_factory=ExportFilter)
    split: float | None = None  # spacy: share of documents held out as dev
    seed: int = 0
    overlap: str = "longest"  # conll and spacy's doc.ents: which span wins where spans overlap
    label_order: tuple[str, ...] = ()  # for overlap="label-order"; default: the project's order


@dataclass(slots=True)
class ExportContext:
    """The project-wide facts a writer may need besides the documents."""

    labels: list[LabelRecord]
    annotators: list[AnnotatorRecord]
    entities: list[EntityRecord]
    options: ExportOptions
    total_documents: int = 0
    progress: Progress | None = None
    format: str = ""  # the format's name: one module writes both "events" and "claims"
    has_relations: bool = False  # whether any exported span pair is related (doccano's form)
    # What a writer had to change or leave out, e.g. {"spans widened to whole tokens": 3}.
    adjusted: dict[str, int] = field(default_factory=dict)
    _entities: dict[str, EntityRecord] | None = field(default=None, repr=False)

    def entity(self, entity_uuid: str | None) -> EntityRecord | None:
        """The canonical entity a span links to, if any."""
        if entity_uuid is None:
            return None
        if self._entities is None:
            self._entities = {entity.uuid: entity for entity in self.entities}
        return self._entities.get(entity_uuid)

    def note(self, what: str, count: int = 1) -> None:
        """Count something the format could not carry as it was, for the export report."""
        if count:
            self.adjusted[what] = self.adjusted.get(what, 0) + count

    def label_ranks(self) -> dict[str, int]:
        """Each label's place in ``options.label_order``, else in the project's label order."""
        order = self.options.label_order or tuple(label.name for label in self.labels)
        return {name.lower(): rank for rank, name in enumerate(order)}


# --- reading files exactly --------------------------------------------------------------


def decode_text(data: bytes, path: str | Path) -> str:
    """Decode a text file exactly: UTF-8 (a BOM is dropped) or BOM-marked UTF-16.

    Line ends are kept as they are. Anything else (another encoding, a binary file) is an
    :class:`InputError` naming the line where it goes wrong.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        encoding = "utf-8"
    elif data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
        if b"\x00" in data:
            line = data.count(b"\n", 0, data.index(b"\x00")) + 1
            raise InputError(path, line, "binary data (NUL byte), not a text file")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16":
            line = data[: exc.start].decode("utf-16", "replace").count("\n") + 1
            raise InputError(path, line, f"invalid UTF-16 ({exc.reason})") from None
        line = data.count(b"\n", 0, exc.start) + 1
        raise _not_utf8(path, line, data[exc.start]) from None
    if encoding == "utf-16" and "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(path, line, "binary data (NUL character), not a text file")
    return text


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror or exc}") from None
    return decode_text(data, path)


def _not_utf8(path: str | Path, line: int, byte: int) -> InputError:
    return InputError(
        path,
        line,
        f"not UTF-8 (byte 0x{byte:02x}); save the file as UTF-8 or UTF-16 with a byte-order mark",
    )


class TextChunks:
    """A text file's text a chunk at a time, decoded exactly as :func:`decode_text` decodes
    it whole, each error on the same line; ``position`` says how many bytes have been read.

    UTF-8, with or without a BOM, is decoded as it is read, so that a file of any size is
    never held whole; a UTF-16 file is decoded whole, in one chunk. Use it as a context
    manager: the file is open inside the ``with``.
    """

    def __init__(self, path: Path):
        self.path = path
        self.position = 0
        self._stream: IO[bytes] | None = None
        self._decoder: codecs.IncrementalDecoder | None = None
        self._whole: str | None = None  # a UTF-16 file's text, until it is read
        self._look_for_nul = True  # decode_text looks for NUL bytes only in UTF-8 without BOM
        self._newlines = 0  # in the bytes decoded so far

    def __enter__(self) -> TextChunks:
        try:
            self._stream = self.path.open("rb")
        except OSError as exc:
            raise InputError(self.path, None, f"cannot read: {exc.strerror or exc}") from None
        head = self._read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            data = head + self._read(-1)
            self.position = len(data)
            self._whole = decode_text(data, self.path)
            return self
        bom = head.startswith(codecs.BOM_UTF8)
        self._look_for_nul = not bom
        self.position = len(codecs.BOM_UTF8) if bom else 0
        self._stream.seek(self.position)
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            self._stream.close()

    def read(self, size: int) -> str:
        """At least one character, from about ``size`` more bytes; "" at the end of the file."""
        if self._decoder is None:
            text, self._whole = self._whole or "", ""
            return text
        while True:
            data = self._read(max(1, size))
            self.position += len(data)
            if self._look_for_nul and b"\x00" in data:
                line = self._newlines + data.count(b"\n", 0, data.index(b"\x00")) + 1
                raise InputError(self.path, line, "binary data (NUL byte), not a text file")
            try:
                text = self._decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                # What is decoded begins with the few bytes of a character that the last
                # read cut in two, and they hold no line break.
                bad = exc.object
                line = self._newlines + bad.count(b"\n", 0, exc.start) + 1
                raise _not_utf8(self.path, line, bad[exc.start]) from None
            self._newlines += data.count(b"\n")
            if text or not data:
                return text

    def _read(self, size: int) -> bytes:
        try:
            return self._stream.read(size)  # type: ignore[union-attr]
        except OSError as exc:
            raise InputError(self.path, None, f"cannot read: {exc.strerror or exc}") from None


def iter_jsonl(path: Path, text: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for every non-blank line of a JSONL file, reading it a
    line at a time (see :class:`JsonLines`)."""
    return iter(JsonLines(path, text))


class JsonLines:
    """The (line number, object) pairs of a JSONL file, for every non-blank line.

    Lines are split on ``\\n`` only: U+2028 and friends may sit raw inside JSON strings.
    A UTF-8 file is read and parsed a line at a time, as bytes, so that a file of any size
    is never held whole; ``position`` says how many bytes have been read. A UTF-16 file
    (its lines cannot be split as bytes) is decoded whole first.
    """

    def __init__(self, path: Path, text: str | None = None):
        self.path = path
        self.text = text
        self.position = 0

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        path = self.path
        if self.text is not None:
            yield from self._parsed(enumerate(self.text.split("\n"), start=1))
            return
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise InputError(path, None, f"cannot read: {exc.strerror or exc}") from None
        with stream:
            head = self._read(stream.read, 4)
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                data = head + self._read(stream.read)
                self.position = len(data)
                lines = decode_text(data, path).split("\n")
                yield from self._parsed(enumerate(lines, start=1))
                return
            skip = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
            stream.seek(skip)
            self.position = skip
            yield from self._parsed(self._lines(stream))

    def _lines(self, stream) -> Iterator[tuple[int, bytes]]:
        number = 0
        while True:
            line = self._read(stream.readline)
            if not line:
                return
            number += 1
            self.position += len(line)
            yield number, line

    def _read(self, read: Callable[..., bytes], *args: int) -> bytes:
        try:
            return read(*args)
        except OSError as exc:
            raise InputError(self.path, None, f"cannot read: {exc.strerror or exc}") from None

    def _parsed(self, lines: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
        path = self.path
        for number, line in lines:
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                if not line.strip():
                    continue
                if isinstance(line, bytes):
                    try:
                        decode_text(line, path)
                    except InputError as bad_encoding:  # say so, rather than "malformed JSON"
                        raise InputError(path, number, bad_encoding.reason) from None
                raise InputError(
                    path,
                    number,
                    f"malformed JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})",
                ) from None
            if not isinstance(record, dict):
                raise InputError(
                    path, number, f"expected a JSON object, found {type(record).__name__}"
                )
            yield number, record


def first_record(path: Path) -> dict[str, Any] | None:
    """The first JSON object of a JSONL file, for format detection (None if unreadable).

    Reads only as far as the first non-blank line, so detecting a large file costs nothing.
    It is parsed as :func:`iter_jsonl` parses it (orjson, which refuses nesting deeper than
    it can handle), so that detection fails on nothing that reading would not report.
    """
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                records = iter_jsonl(path)  # UTF-16 lines cannot be split as bytes
                return next(records, (0, None))[1]
            stream.seek(len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0)
            for raw in stream:
                if raw.strip():
                    record = orjson.loads(raw)
                    return record if isinstance(record, dict) else None
    except (OSError, InputError, orjson.JSONDecodeError):
        return None
    return None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during bulk reading and writing.

    An import allocates hundreds of thousands of small objects that live until it ends;
    without this the collector rescans them over and over, which more than doubles the
    time to read a large file. Cycles made meanwhile are collected once it resumes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _is_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true is not a number here
    return isinstance(value, kinds)


def shown(value: Any, limit: int = 40) -> str:
    """``value`` as JSON for a message, cut to ``limit`` characters; a value nested too
    deeply or a number too long to print is described instead."""
    try:
        text = json.dumps(value)
    except (RecursionError, ValueError, TypeError):
        text = f"a {type(value).__name__} too deeply nested or too long to show"
    return text[:limit]


def require(
    record: dict[str, Any], key: str, kind: type | tuple[type, ...], path, line: int, what: str = ""
):
    """``record[key]``, checked to be present and of ``kind``."""
    if key not in record:
        raise InputError(path, line, f"{what}missing {key!r}")
    value = record[key]
    if not _is_kind(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        expected = " or ".join(k.__name__ for k in kinds)
        raise InputError(path, line, f"{what}{key!r} should be {expected}, not {shown(value)}")
    return value


def optional(
    record: dict[str, Any], key: str, kind: type | tuple[type, ...], path, line: int, what: str = ""
):
    """``record.get(key)``, checked to be of ``kind`` when present and not null."""
    if record.get(key) is None:
        return None
    return require(record, key, kind, path, line, what)


def identifier(value: Any, path, line: int, what: str) -> str | int:
    """An id that other items of the file refer to: a string or an integer."""
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise InputError(path, line, f"{what}should be a number or a string, not {shown(value)}")


def within_limits(path, line: int, what: str, check: Callable[..., Any], *args: Any) -> Any:
    """``check(*args)``, one of :mod:`db.limits`' checks, with its refusal located."""
    try:
        return check(*args)
    except LimitError as exc:
        raise InputError(path, line, f"{what}{exc}") from None


def check_offsets(start: Any, end: Any, length: int, path, line: int, what: str) -> tuple[int, int]:
    """Offsets that are integers with 0 <= start < end <= length, or an InputError."""
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InputError(path, line, f"{what}{name} should be an integer, not {shown(value)}")
        if abs(value) > 10**18:  # spare the message a number of thousands of digits
            raise InputError(
                path, line, f"{what}{name} lies far outside the text of {length} characters"
            )
    if start >= end:
        raise InputError(path, line, f"{what}start {start} is not before end {end}")
    if start < 0 or end > length:
        raise InputError(
            path, line, f"{what}offsets {start}-{end} fall outside the text of {length} characters"
        )
    return start, end


def check_covered(text: str, start: int, end: int, stated: Any, path, line: int, what: str) -> None:
    """The span's stored text, when the file gives one, must be what the document has."""
    if stated is None:
        return
    covered = text[start:end]
    if stated != covered:
        raise InputError(
            path,
            line,
            f"{what}text {stated[:60] if isinstance(stated, str) else shown(stated, 60)!r} "
            "disagrees with the document, which has "
            f"{covered[:60]!r} at {start}-{end}",
        )


def annotator_from_name(path: str | Path) -> str:
    """The annotator a file's name suggests: doccano exports one file per user, named after
    the user (``alice.jsonl``); ``analyst_b.doccano.jsonl`` gives ``analyst_b``."""
    return Path(path).name.split(".", 1)[0]


def annotator_for(
    record_annotator: Any, options: ImportOptions, path, line: int, result: ReadResult | None = None
) -> str:
    """``--annotator`` if given, else the annotator the record names, else the file's name
    (noted in ``result.attributed`` so that the user is told)."""
    if options.annotator:
        return options.annotator
    if isinstance(record_annotator, str) and record_annotator.strip():
        return record_annotator.strip()
    if isinstance(record_annotator, int) and not isinstance(record_annotator, bool):
        return str(record_annotator)
    name = annotator_from_name(path)
    if not name:
        raise InputError(
            path, line, "the record names no annotator; give one with --annotator NAME"
        )
    if result is not None:
        result.attributed[str(path)] = name
    return name


# Record keys that name a document field, as other tools' files spell them.
METADATA_FIELDS = {
    "title": "title",
    "source": "source",
    "url": "url",
    "date": "published",
    "published": "published",
    "language": "language",
    "lang": "language",
}


def document_from(text: str, items: Iterable[tuple[str, Any]], path, line: int) -> NewDocument:
    """A document whose title, source, url, date and language come from a record's metadata
    (the first of each wins); everything else is kept in ``meta``. Without a title, the
    first line of the text is the title."""
    fields: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for key, value in items:
        target = METADATA_FIELDS.get(key)
        if target and isinstance(value, str) and target not in fields:
            fields[target] = value
        else:
            meta[key] = value
    title = fields.pop("title", None)
    if title is None:
        from desktop.formats.text import title_from_text  # text.py reads files with this module

        title = title_from_text(text)
    return NewDocument(
        text=text, title=title, meta=meta, imported_from=str(path), where=f"{path}:{line}", **fields
    )


def metadata_of(document: DocumentRecord, reserved: Iterable[str] = ()) -> dict[str, Any]:
    """A document's metadata as one dict, as other tools keep it: its ``meta`` (less the
    ``reserved`` keys) with its title, source, url, published date and language."""
    skip = set(reserved)
    fields = {key: value for key, value in document.meta.items() if key not in skip}
    for key in ("title", "source", "url", "published", "language"):
        value = getattr(document, key)
        if value:
            fields[key] = value
    return fields


# --- UTF-16 offsets (doccano, Label Studio) -----------------------------------------------


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class Utf16Offsets:
    """Convert between Python code-point offsets and JavaScript (UTF-16 unit) offsets."""

    def __init__(self, text: str):
        # Code-point indices of astral characters: each one is two UTF-16 units. A regular
        # expression finds them at C speed; most news text has none or a few.
        self._astral = [match.start() for match in _ASTRAL.finditer(text)]
        self._units = [index + number + 1 for number, index in enumerate(self._astral)]
        self.utf16_length = len(text) + len(self._astral)

    def to_utf16(self, offset: int) -> int:
        return offset + bisect.bisect_left(self._astral, offset)

    def from_utf16(self, unit: int) -> int | None:
        """The code-point offset of a UTF-16 offset, or None if it splits a surrogate pair."""
        if not self._astral:
            return unit
        # Each astral character before the offset adds one unit.
        before = bisect.bisect_right(self._units, unit)
        if before and self._units[before - 1] == unit:
            return None  # points between the two halves of a surrogate pair
        return unit - before


def utf16_to_code_points(
    offsets: Utf16Offsets, start: Any, end: Any, path, line: int, what: str
) -> tuple[int, int]:
    """Check UTF-16 offsets as doccano and Label Studio would, then turn them into code points."""
    start, end = check_offsets(start, end, offsets.utf16_length, path, line, what)
    converted = (offsets.from_utf16(start), offsets.from_utf16(end))
    if None in converted:
        raise InputError(
            path,
            line,
            f"{what}offsets {start}-{end} cut an emoji or other astral character in half",
        )
    return converted  # type: ignore[return-value]


# --- what leaves as labels ----------------------------------------------------------------


def examples(item: ExportDocument) -> list[tuple[str, list[SpanRecord]]]:
    """The document as each annotator labelled it: (annotator, accepted spans), by name.

    An annotator who marked the document done without tagging anything gives an example
    with no spans (a true negative); suggestions and rejected spans are never labels.
    """
    by_annotator: dict[str, list[SpanRecord]] = {}
    for span in item.spans:
        if span.status == "accepted":
            by_annotator.setdefault(span.annotator, []).append(span)
    for state in item.states:
        if state.status == "done":
            by_annotator.setdefault(state.annotator, [])
    return sorted(by_annotator.items())


_UNSAFE_NAME = re.compile(r'[\x00-\x1f/\\:*?"<>|]+')
# Names Windows keeps for devices, with or without an extension.
_DEVICES = {"con", "prn", "aux", "nul"} | {
    f"{port}{n}" for port in ("com", "lpt") for n in range(10)
}


def document_stem(item: ExportDocument, used: set[str]) -> str:
    """A file name for a document in a folder export: its title made safe, then the start
    of its hash; unique among ``used``, which it joins."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", item.document.title).strip("-")[:48].strip("-").lower()
    stem = f"{slug or 'document'}-{item.document.content_hash[:12]}"
    candidate, number = stem, 1
    while candidate in used:
        number += 1
        candidate = f"{stem}-{number}"
    used.add(candidate)
    return candidate


def folder_name(annotator: str, used: set[str], reserved: Iterable[str] = ()) -> str:
    """A folder name for an annotator: the characters a file name cannot hold become ``_``,
    a name Windows keeps for a device gets a ``_``, and the whole fits in 255 bytes of
    UTF-8 (cut between characters); unique among ``used`` and never one of the
    ``reserved`` names, compared without case (macOS and Windows ignore it)."""
    name = _UNSAFE_NAME.sub("_", annotator).strip(" .") or "annotator"
    if name.split(".", 1)[0].lower() in _DEVICES:
        name += "_"
    taken = {entry.lower() for entry in (*used, *reserved)}
    candidate, number = _fitted(name), 1
    while candidate.lower() in taken:
        number += 1
        suffix = f"-{number}"
        candidate = _fitted(name, len(suffix.encode())) + suffix
    return candidate


def _fitted(name: str, room: int = 0) -> str:
    """``name`` within 255 bytes less ``room``, without a space or dot at its end."""
    return output.fit_name(name, output.NAME_BYTES - room).rstrip(" .") or "annotator"


def only_an_export(folder: Path, marker: str, suffixes: Iterable[str]) -> bool:
    """Whether ``folder`` holds nothing but a folder export: the ``marker`` file at its top,
    and files with the ``suffixes`` there and one folder down (so it may be replaced)."""
    if not (folder / marker).is_file():
        return False
    allowed = set(suffixes)
    for path in folder.rglob("*"):
        if path.is_dir():
            if path.parent != folder:
                return False
        elif path.suffix not in allowed and path != folder / marker:
            return False
    return True


def relations_among(item: ExportDocument, spans: list[SpanRecord]) -> list[RelationRecord]:
    """The document's relations whose two ends are both among ``spans``."""
    if not item.relations:
        return []
    uuids = {span.uuid for span in spans}
    return [r for r in item.relations if r.head_uuid in uuids and r.tail_uuid in uuids]


# --- writing -----------------------------------------------------------------------------


def _umask() -> int:
    """The process's umask, read without changing it (``os.umask`` would race other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _as_made_normally(path: str | Path, folder: bool = False) -> None:
    """Give a temporary file or folder the mode a plain ``open``/``mkdir`` would have given
    it: ``mkstemp`` and ``mkdtemp`` make them private, which an export must not be."""
    if os.name == "posix":
        os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


@contextmanager
def atomic_output(
    path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = ""
) -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and move it into place only on success.

    The file is on disk before the rename and the rename is on disk when this returns;
    temporaries that killed exports left in the folder are cleaned up first (see
    :mod:`desktop.formats.output`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    output.sweep(path.parent)
    handle, temporary = tempfile.mkstemp(prefix=output.temporary_prefix(path.name), dir=path.parent)
    os.close(handle)
    output.track(temporary)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
        with open(temporary, mode, **kwargs) as stream:
            yield stream
            output.fsync_stream(stream)
        _as_made_normally(temporary)
        os.replace(temporary, path)
        output.release(temporary)
        output.fsync_folder(path.parent)
    except BaseException:
        output.remove(temporary)
        raise


@contextmanager
def atomic_folder(path: Path, replaceable: Callable[[Path], bool]) -> Iterator[Path]:
    """Write a folder beside ``path`` and move it into place only on success.

    A folder already at ``path`` is replaced when it is empty or ``replaceable`` says it
    holds nothing but an earlier export; anything else is refused with ValueError before
    a byte is written, so that an export never deletes someone's files. Every file is on
    disk before the folder takes its place, and the earlier export is swapped out in one
    step where the system can (else recoverably: see :mod:`desktop.formats.output`).
    """
    output.recover(path)
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"{path} is a file; this format writes a folder")
        if any(path.iterdir()) and not replaceable(path):
            raise ValueError(
                f"{path} holds files that are not an earlier export; choose a new or empty folder"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=output.temporary_prefix(path.name), dir=path.parent))
    output.track(temporary)
    try:
        yield temporary
        _as_made_normally(temporary, folder=True)
        output.fsync_tree(temporary)
        if path.exists():
            output.replace_folder(temporary, path)
        else:
            os.replace(temporary, path)
            output.release(temporary)
            output.fsync_folder(path.parent)
    except BaseException:
        output.remove(temporary)
        raise


def dumps(record: Any) -> str:
    """JSON as Dossier writes it: compact, characters as they are, keys in the order given."""
    return orjson.dumps(record).decode("utf-8")


def dumps_bytes(record: Any) -> bytes:
    """:func:`dumps` as UTF-8 bytes, for writers that write a binary stream."""
    return orjson.dumps(record)


def dumps_line(record: Any) -> bytes:
    """:func:`dumps_bytes` and a newline: one line of a JSONL file, made in one piece (the
    record is not copied again to add its newline)."""
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


def counted(
    documents: Iterable[ExportDocument], context: ExportContext
) -> Iterator[ExportDocument]:
    """Pass documents through, reporting progress every 100."""
    done = 0
    for document in documents:
        yield document
        done += 1
        if context.progress and done % 100 == 0:
            context.progress(done, context.total_documents)
    if context.progress:
        context.progress(done, context.total_documents)
