"""brat standoff: ``NAME.txt`` beside ``NAME.ann``, offsets in code points, end exclusive.

Export writes a folder: ``annotation.conf`` and ``visual.conf`` at the top, and one folder
per annotator holding ``.txt`` and ``.ann`` for each document the annotator labelled (brat
compares annotators folder by folder). Documents nobody labelled sit at the top with an
empty ``.ann``, ready to annotate. An ``.ann`` holds:

- ``T`` a span. brat checks that a T line's text is its fragments' text joined by one
  space, and an ``.ann`` line cannot hold a line break (brat splits lines as Python's
  ``str.splitlines`` does: CR, LF, U+2028, U+2029, U+0085, VT, FF and FS/GS/RS too). So a
  span that runs over line breaks is written, as brat's own editor writes a selection over
  lines, as fragments split at each break (``T1<TAB>Claim 38 48;50 53<TAB>officials. قال``),
  line breaks at a span's ends are left out, and a span of nothing but line breaks is left
  out too (both are counted in the export's report),
- ``R`` a relation (``Arg1`` the head, ``Arg2`` the tail),
- ``A`` an attribute: valued (``A1<TAB>stance T1 critical``) when the value is one word of
  text, binary (``A2<TAB>negated T1``) when it is true,
- ``N`` a link to a canonical entity (``N1<TAB>Reference T1 dossier:UUID<TAB>name``),
- ``#`` the span's note (``#1<TAB>AnnotatorNotes T1<TAB>text``, line breaks as spaces).

brat type names cannot hold spaces: a label's spaces become ``_`` and ``visual.conf`` maps
the type back to the label. brat cannot carry attribute values that are not one word of
text or true, line breaks inside notes (they become spaces), suggestions, confidence, span
uuids, or the documents' titles and metadata; an annotator's name loses the characters a
folder name cannot hold (``/``, ``:``...), which become ``_``.

Import reads ``T``, ``R``, ``A``/``M``, ``N``, ``#`` and ``E`` lines, split into lines as brat
splits them. Fragments with nothing but line breaks between them are one span again. A
discontinuous span (``T1<TAB>Location 0 5;16 23<TAB>...``) becomes one span from its first
start to its last end, its fragments kept in the attribute ``brat_fragments``
(``"0-5;16-23"``). An event
(``E1<TAB>Attack:T2 Agent:T1``) is its trigger span with a relation to each argument,
named after the role in lower case (``agent``). Equivalences (``*``) are not read. The
annotator is ``--annotator``, else the name of the folder holding the ``.ann``.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from db.records import ExportDocument, ImportBatch, NewDocument, NewEntity, NewRelation, NewSpan
from db.store import new_uuid
from desktop.formats.base import (
    ExportContext,
    ImportOptions,
    InputError,
    ReadResult,
    atomic_folder,
    counted,
    document_stem,
    examples,
    folder_name,
    only_an_export,
    read_text,
    relations_among,
)

CONF = "annotation.conf"
VISUAL = "visual.conf"
DOSSIER_DB = "dossier"  # the normalisation database name of Dossier's canonical entities
# Every character str.splitlines breaks at: brat reads .ann files line by line that way.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_TEXT_RUN = re.compile("[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
_BREAKS_ONLY = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]*")
LINE_BREAKS_ONLY = "spans of nothing but line breaks left out (a brat span cannot hold one)"
TRIMMED = "spans shortened by the line breaks at their ends (a brat span cannot hold one)"
_WHITESPACE = re.compile(r"\s+")
_ID = re.compile(r"[TRAMNE#*]\d*$")


def one_line(text: str) -> str:
    """``text`` with every line break replaced by a space, for notes and entity names."""
    return _LINE_BREAKS.sub(" ", text)


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The pieces of ``text[start:end]`` between line breaks, as brat's editor splits a
    selection over lines: every run of characters that holds no line break."""
    return [match.span() for match in _TEXT_RUN.finditer(text, start, end)]


def brat_type(name: str) -> str:
    """A label or relation name as a brat type, which cannot hold whitespace."""
    return _WHITESPACE.sub("_", name.strip())


# --- writing -----------------------------------------------------------------------------


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """A brat folder: the configuration, and a folder per annotator; see the docstring."""
    scheme = _Scheme(context)
    stems: set[str] = set()
    folders: dict[str, str] = {}
    with atomic_folder(out, _earlier_export) as root:
        for item in counted(documents, context):
            document = item.document
            stem = document_stem(item, stems)
            labelled = examples(item)
            if not labelled:
                _write_pair(root, stem, document.text, "")
                continue
            for annotator, spans in labelled:
                folder = folders.get(annotator) or folders.setdefault(
                    annotator, folder_name(annotator, set(folders.values()), (CONF, VISUAL))
                )
                ann = _ann(item, spans, scheme, context)
                _write_pair(root / folder, stem, document.text, ann)
        (root / CONF).write_text(scheme.annotation_conf(), encoding="utf-8")
        (root / VISUAL).write_text(scheme.visual_conf(), encoding="utf-8")


def _earlier_export(folder: Path) -> bool:
    """Whether a folder holds nothing but brat export (so it may be replaced)."""
    return only_an_export(folder, CONF, (".txt", ".ann", ".conf"))


def _write_pair(folder: Path, stem: str, text: str, ann: str) -> None:
    folder.mkdir(exist_ok=True)
    # Bytes, not text mode: brat counts "\r" as a character, so line ends must stay as they are.
    for name, content in ((f"{stem}.txt", text), (f"{stem}.ann", ann)):
        with open(folder / name, "wb", buffering=0) as stream:
            stream.write(content.encode("utf-8", "surrogatepass"))


def _ann(item: ExportDocument, spans, scheme: _Scheme, context: ExportContext) -> str:
    """The ``.ann`` text of one annotator's spans on one document."""
    lines: list[str] = []
    ids: dict[str, str] = {}
    kinds: dict[str, str] = {}
    extra: list[str] = []
    attribute_number = note_number = link_number = 0
    left_out = 0
    text = item.document.text
    pieces = {span.uuid: fragments(text, span.start, span.end) for span in spans}
    context.note(LINE_BREAKS_ONLY, sum(1 for span in spans if not pieces[span.uuid]))
    spans = [span for span in spans if pieces[span.uuid]]
    context.note(
        TRIMMED,
        sum(
            1
            for span in spans
            if (pieces[span.uuid][0][0], pieces[span.uuid][-1][1]) != (span.start, span.end)
        ),
    )
    for number, span in enumerate(spans, start=1):
        tid = ids[span.uuid] = f"T{number}"
        kind = kinds[tid] = scheme.entity(span.label)
        offsets = ";".join(f"{start} {end}" for start, end in pieces[span.uuid])
        covered = " ".join(text[start:end] for start, end in pieces[span.uuid])
        lines.append(f"{tid}\t{kind} {offsets}\t{covered}")
        for key, value in span.attributes.items():
            line = scheme.attribute_line(key, value, kind)
            if line is None:
                left_out += 1
            else:
                attribute_number += 1
                extra.append(f"A{attribute_number}\t{line.replace('@', tid, 1)}")
        if span.entity_uuid is not None:
            entity = context.entity(span.entity_uuid)
            if entity is not None:
                link_number += 1
                extra.append(
                    f"N{link_number}\tReference {tid} {DOSSIER_DB}:{entity.uuid}\t{one_line(entity.name)}"
                )
        if span.note:
            note_number += 1
            extra.append(f"#{note_number}\tAnnotatorNotes {tid}\t{one_line(span.note)}")
    context.note("attributes brat cannot hold (not one word of text, or not true)", left_out)
    for number, relation in enumerate(relations_among(item, spans), start=1):
        head, tail = ids[relation.head_uuid], ids[relation.tail_uuid]
        kind = scheme.relation(relation.type, kinds[head], kinds[tail])
        lines.append(f"R{number}\t{kind} Arg1:{head} Arg2:{tail}")
    lines.extend(extra)
    return "".join(line + "\n" for line in lines)


class _Scheme:
    """The types an export uses, for ``annotation.conf`` and ``visual.conf``."""

    def __init__(self, context: ExportContext):
        self.entities: dict[str, str] = {}  # brat type -> label
        self._kinds: dict[str, str] = {}  # label -> brat type
        for label in context.labels:
            self.entity(label.name)
        self.relations: dict[str, tuple[str, set[str], set[str]]] = {}
        self.attributes: dict[str, tuple[set[str], dict[str, None], bool]] = {}
        # (name, value, type) -> the A line's body with "@" for the span's ID, or None.
        self._attribute_lines: dict[tuple[str, str, str], str | None] = {}

    def entity(self, label: str) -> str:
        kind = self._kinds.get(label)
        if kind is None:
            kind = self._kinds[label] = brat_type(label)
            self.entities.setdefault(kind, label)
        return kind

    def attribute_line(self, name: str, value: Any, kind: str) -> str | None:
        """The body of an A line for an attribute (``@`` standing for the span's ID), or
        None when brat cannot hold it: a name or value that is not one word, or a value
        that is neither text nor true. Analysts reuse a few values, so answers are kept."""
        if value is True:
            value = True
        elif not isinstance(value, str):
            return None
        key = (name, value, kind)
        if key in self._attribute_lines:
            return self._attribute_lines[key]
        line = None
        if name and not _WHITESPACE.search(name):
            if value is True:
                line = f"{name} @"
                self.attribute(name, kind, None)
            elif value and not _WHITESPACE.search(value):
                line = f"{name} @ {value}"
                self.attribute(name, kind, value)
        self._attribute_lines[key] = line
        return line

    def relation(self, name: str, head_type: str, tail_type: str) -> str:
        kind = brat_type(name)
        _, heads, tails = self.relations.setdefault(kind, (name, set(), set()))
        heads.add(head_type)
        tails.add(tail_type)
        return kind

    def attribute(self, name: str, entity: str, value: str | None) -> None:
        targets, values, binary = self.attributes.setdefault(name, (set(), {}, False))
        targets.add(entity)
        if value is None:
            self.attributes[name] = (targets, values, True)
        else:
            values.setdefault(value, None)

    def annotation_conf(self) -> str:
        lines = ["# Written by Dossier: the types this export uses.", "[entities]"]
        lines.extend(self.entities)
        lines.append("[relations]")
        for kind, (_, heads, tails) in self.relations.items():
            lines.append(f"{kind}\tArg1:{'|'.join(sorted(heads))}, Arg2:{'|'.join(sorted(tails))}")
        # Claims contain actors and events: spans may overlap and nest in any way.
        lines.append("<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>")
        lines.append("[events]")
        lines.append("[attributes]")
        for name, (targets, values, binary) in self.attributes.items():
            arg = f"Arg:{'|'.join(sorted(targets))}"
            if values and not binary:
                lines.append(f"{name}\t{arg}, Value:{'|'.join(values)}")
            else:
                lines.append(f"{name}\t{arg}")
        return "\n".join(lines) + "\n"

    def visual_conf(self) -> str:
        lines = ["[labels]"]
        for kind, label in self.entities.items():
            lines.append(f"{kind} | {label}")
        for kind, (name, _, _) in self.relations.items():
            lines.append(f"{kind} | {name}")
        return "\n".join(lines) + "\n"


# --- reading -----------------------------------------------------------------------------


def read(path: Path, options: ImportOptions) -> ReadResult:
    """One brat document: ``path`` is the ``.ann``; its ``.txt`` is beside it."""
    if path.suffix.lower() != ".ann":
        path = path.with_suffix(".ann")
    txt = path.with_suffix(".txt")
    if not txt.exists():
        raise InputError(
            path, None, f"brat needs the text beside the annotations: {txt.name} is missing"
        )
    text = read_text(txt)
    if not text:
        raise InputError(txt, 1, "the text is empty")
    from desktop.formats.text import title_from_text

    document = NewDocument(
        text=text,
        title=title_from_text(text) or path.stem,
        meta={"file": txt.name},
        imported_from=str(txt),
        where=f"{path}:1",
    )
    result = ReadResult(ImportBatch(documents=[document]))
    lines = _parse(read_text(path), path)
    if any(kind in "TE" for kind, *_ in lines.values()):
        annotator = options.annotator or path.parent.resolve().name
        if not options.annotator:
            result.attributed[str(path.parent)] = annotator
        _build(lines, document, text, annotator, _type_names(path.parent), result, path)
    return result


def _parse(source: str, path: Path) -> dict[str, tuple[str, int, str, str]]:
    """Every annotation line by ID: (kind, line number, body, text after the second TAB)."""
    lines: dict[str, tuple[str, int, str, str]] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        if not line.strip():
            continue
        ident, tab, rest = line.partition("\t")
        if not tab or " " in ident:
            raise InputError(
                path, number, f"expected an ID, a TAB, then the annotation: {line[:60]!r}"
            )
        if not _ID.match(ident):
            raise InputError(path, number, f"unknown kind of annotation {ident!r}")
        body, _, tail = rest.partition("\t")
        if ident == "*":
            continue  # equivalence sets: Dossier has no place for them
        if ident in lines:
            raise InputError(path, number, f"ID {ident} is used twice")
        kind = "A" if ident[0] == "M" else ident[0]
        lines[ident] = (kind, number, body, tail)
    return lines


def _type_names(folder: Path) -> dict[str, str]:
    """The display names ``visual.conf`` gives types, from the nearest folder that has one."""
    for candidate in (folder, *folder.resolve().parents):
        conf = candidate / VISUAL
        if conf.is_file():
            names: dict[str, str] = {}
            section = None
            for line in read_text(conf).splitlines():
                line = line.strip()
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1].strip()
                elif section == "labels" and line and not line.startswith("#"):
                    kind, _, rest = line.partition("|")
                    full = rest.split("|", 1)[0].strip()
                    if full:
                        names[kind.strip()] = full
            return names
    return {}


def _build(
    lines: dict[str, tuple[str, int, str, str]],
    document: NewDocument,
    text: str,
    annotator: str,
    names: dict[str, str],
    result: ReadResult,
    path: Path,
) -> None:
    spans: dict[str, NewSpan] = {}  # T and E ids -> span
    for ident, (kind, number, body, tail) in lines.items():
        if kind == "T":
            spans[ident] = _span(body, tail, text, annotator, names, path, number)
            document.spans.append(spans[ident])
    events = {ident: entry for ident, entry in lines.items() if entry[0] == "E"}
    for ident, (_, number, body, _) in events.items():
        trigger = body.split(" ", 1)[0].partition(":")[2]
        if trigger not in spans:
            raise InputError(
                path, number, f"event trigger {trigger!r} is not a T line of this file"
            )
        spans[ident] = spans[trigger]
    for ident, (_, number, body, _) in events.items():
        for argument in body.split()[1:]:
            role, _, target = argument.partition(":")
            if target not in spans:
                raise InputError(path, number, f"event argument {argument!r} names no span")
            document.relations.append(
                NewRelation(
                    type=re.sub(r"\d+$", "", role).lower() or role.lower(),
                    head_uuid=_uuid(spans[ident]),
                    tail_uuid=_uuid(spans[target]),
                    annotator=annotator,
                    where=f"{path}:{number}",
                )
            )
    for kind, number, body, tail in lines.values():
        if kind == "R":
            document.relations.append(_relation(body, spans, annotator, names, path, number))
        elif kind == "A":
            _attribute(body, spans, lines, path, number)
        elif kind == "N":
            entity = _link(body, tail, spans, path, number)
            if entity is not None:
                result.batch.entities.append(entity)
        elif kind == "#":
            _note(body, tail, spans, lines, path, number)


def _uuid(span: NewSpan) -> str:
    if span.uuid is None:
        span.uuid = new_uuid()
    return span.uuid


def _span(
    body: str, tail: str, text: str, annotator: str, names: dict[str, str], path, number: int
) -> NewSpan:
    kind, _, offsets = body.partition(" ")
    if not kind or not offsets:
        raise InputError(path, number, f"a T line needs a type and offsets, found {body!r}")
    pieces = []
    for fragment in offsets.split(";"):
        parts = fragment.split()
        if len(parts) != 2 or not all(part.isdigit() for part in parts):
            raise InputError(path, number, f"offsets should be 'START END', found {fragment!r}")
        start, end = int(parts[0]), int(parts[1])
        if start >= end:
            raise InputError(path, number, f"start {start} is not before end {end}")
        if end > len(text):
            raise InputError(
                path,
                number,
                f"offsets {start}-{end} fall outside the text of {len(text)} characters",
            )
        pieces.append((start, end))
    covered = " ".join(text[start:end] for start, end in pieces)
    if tail and one_line(tail) != one_line(covered):
        raise InputError(
            path,
            number,
            f"text {tail[:60]!r} disagrees with the document, which has {covered[:60]!r} there",
        )
    start, end = min(s for s, _ in pieces), max(e for _, e in pieces)
    attributes: dict[str, Any] = {}
    if not _split_at_line_breaks(pieces, text):
        attributes["brat_fragments"] = ";".join(f"{s}-{e}" for s, e in pieces)
    return NewSpan(
        label=names.get(kind, kind),
        start=start,
        end=end,
        annotator=annotator,
        attributes=attributes,
        where=f"{path}:{number}",
    )


def _split_at_line_breaks(pieces: list[tuple[int, int]], text: str) -> bool:
    """Whether a T line's fragments are one stretch of text cut only at its line breaks."""
    ordered = sorted(pieces)
    return all(
        _BREAKS_ONLY.fullmatch(text, before[1], after[0]) is not None
        for before, after in zip(ordered, ordered[1:], strict=False)
    )


def _target(name: str, spans: dict[str, NewSpan], path, number: int, what: str) -> NewSpan:
    if name not in spans:
        raise InputError(path, number, f"{what} {name!r} is not a T or E line of this file")
    return spans[name]


def _relation(
    body: str, spans, annotator: str, names: dict[str, str], path, number: int
) -> NewRelation:
    parts = body.split()
    if len(parts) != 3:
        raise InputError(path, number, f"a relation needs a type and two arguments, found {body!r}")
    ends = []
    for argument in parts[1:]:
        _, colon, target = argument.partition(":")
        if not colon:
            raise InputError(path, number, f"relation argument {argument!r} should be ROLE:ID")
        ends.append(_uuid(_target(target, spans, path, number, "relation argument")))
    return NewRelation(
        type=names.get(parts[0], parts[0]),
        head_uuid=ends[0],
        tail_uuid=ends[1],
        annotator=annotator,
        where=f"{path}:{number}",
    )


def _attribute(body: str, spans, lines, path, number: int) -> None:
    parts = body.split()
    if len(parts) not in (2, 3):
        raise InputError(
            path,
            number,
            f"an attribute needs a name, a target and at most one value, found {body!r}",
        )
    if parts[1] not in spans and lines.get(parts[1], ("",))[0] == "R":
        return  # Dossier's relations have no attributes
    span = _target(parts[1], spans, path, number, "attribute target")
    span.attributes[parts[0]] = parts[2] if len(parts) == 3 else True


def _link(body: str, tail: str, spans, path, number: int) -> NewEntity | None:
    parts = body.split()
    if len(parts) != 3 or ":" not in parts[2]:
        raise InputError(
            path, number, f"a normalisation needs 'Reference ID DB:KEY', found {body!r}"
        )
    span = _target(parts[1], spans, path, number, "normalisation target")
    database, _, key = parts[2].partition(":")
    if database.lower() == DOSSIER_DB:
        try:
            entity_uuid = str(uuidlib.UUID(key))
        except ValueError:
            raise InputError(path, number, f"{key!r} is not the uuid of a Dossier entity") from None
        description = ""
    else:
        # Links to other databases become entities too, with a uuid fixed by the reference,
        # so that every document citing Wikipedia:534366 links to the same entity.
        entity_uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"brat:{database}:{key}"))
        description = parts[2]
    span.entity_uuid = entity_uuid
    return NewEntity(
        name=tail.strip() or parts[2], uuid=entity_uuid, label=span.label, description=description
    )


def _note(body: str, tail: str, spans, lines, path, number: int) -> None:
    parts = body.split()
    if len(parts) != 2:
        raise InputError(path, number, f"a note needs a type and a target, found {body!r}")
    if parts[1] not in spans and parts[1] in lines:
        return  # notes on relations or attributes have nowhere to go
    span = _target(parts[1], spans, path, number, "note target")
    span.note = f"{span.note}\n{tail}" if span.note else tail
