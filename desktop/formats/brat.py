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
- ``E`` an Event span (the label named Event), so that brat shows and edits it as an event:
  its T line is the trigger, and its links are the event's arguments, a repeated role
  numbered as brat numbers them (``E1<TAB>Event:T3 agent:T1 agent2:T2 target:T4``). brat
  refuses a document where anything but an event refers to a trigger, so relations,
  attributes, links and notes refer to the event's E ID,
- ``R`` any other relation (``Arg1`` the head, ``Arg2`` the tail),
- ``A`` an attribute the label's schema declares as a choice (``A1<TAB>stance T1 supports``)
  or yes/no (binary, ``A2<TAB>claimed E1``, when true),
- ``#`` of type ``Attribute`` every other attribute: dates, numbers, text, values outside
  the choices, false, attributes no schema declares (``#2<TAB>Attribute E1<TAB>date=2024-02-07``).
  brat shows these notes on the span and keeps them when it saves. The value is written as
  it stands, or as JSON where it would otherwise read back differently (numbers, true and
  false, text with line breaks or that reads as JSON),
- ``N`` a link to a canonical actor (``N1<TAB>Reference T1 Dossier:UUID<TAB>name``, the
  actor's name). brat reads an ``N`` line of any database name, keeps it when the span is
  edited and shows ``Dossier:UUID`` and the name on hover; it needs no ``[normalization]``
  entry in ``tools.conf`` for that (one is only for looking names up in a database on its
  server, which Dossier's actors are not, and without that database brat would warn on
  every hover), so the export writes none,
- ``#`` of type ``AnnotatorNotes`` the span's note (line breaks as spaces).

``annotation.conf`` is the label schema, in the syntax of brat's
``server/src/projectconfig.py``: ``[entities]`` every label but Event; ``[relations]``
each relation a schema declares (``source<TAB>Arg1:Claim, Arg2:Actor``; no target labels
gives ``<ANY>``), then the relation types the data uses without a schema; ``[events]``
the Event label with a role per relation (``agent*`` many, ``location?`` at most one, no
mark or ``+`` when required); ``[attributes]`` one line per attribute name (brat keys
attributes by name alone, so labels sharing a name share its line and values).
brat keeps only letters, digits, ``_`` and ``-`` in a type and cannot have a space in a
value, so every label, relation, role, attribute and value has a brat name of those
characters, unique across them (never hyphens alone, which brat reads as a separator);
``visual.conf`` maps each back to the Dossier name (``armed_group | armed group``), which
brat displays and this reader uses, and gives each label its colour. A name brat cannot
show as it is (``a|b``, ``<b>``) is shown approximately, and its exact form kept in a
comment line brat skips (``# dossier-name {"type": "a_b", "name": "a|b"}``). An
annotator's folder is their name as far as a folder name allows (no ``/``, ``:``...; at
most 255 bytes; unique without regard to case); where it is not exactly their name,
``visual.conf`` notes the name (``# dossier-annotator {"folder": ..., "name": ...}``).
What brat cannot carry: line breaks inside notes (they become spaces), suggestions,
confidence, span uuids, and the documents' titles and metadata.

Import reads ``T``, ``R``, ``A``/``M``, ``N``, ``#`` and ``E`` lines, split into lines as brat
splits them, and turns brat names back into Dossier names with the ``visual.conf`` nearest
the ``.ann``. Fragments with nothing but line breaks between them are one span again. A
discontinuous span (``T1<TAB>Location 0 5;16 23<TAB>...``) becomes one span from its first
start to its last end, its fragments kept in the attribute ``brat_fragments``
(``"0-5;16-23"``). An event (``E1<TAB>Attack:T2 Agent:T1``) is its trigger span with a
relation to each argument, named after the role without its number (in lower case when
``visual.conf`` does not name it: ``agent``); attributes, links and notes on the E ID go
to that span. An ``N`` line of ``Dossier:UUID`` (``dossier:`` too, as older exports wrote it)
links the span to that actor, made with the line's name and the span's label when the
project does not have it; one of another database (``Wikipedia:534366``) links to an actor
whose uuid that reference fixes. A link from a span of another label than the actor's is
refused at the span's line. Equivalences (``*``) are not read. The annotator is ``--annotator``, else the
name ``visual.conf`` one folder up notes for the folder holding the ``.ann``, else that
folder's name.
"""

from __future__ import annotations

import json
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
DOSSIER_DB = "Dossier"  # the normalisation database of Dossier's actors (read in any case)
# Every character str.splitlines breaks at: brat reads .ann files line by line that way.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_TEXT_RUN = re.compile("[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
_BREAKS_ONLY = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]*")
LINE_BREAKS_ONLY = "spans of nothing but line breaks left out (a brat span cannot hold one)"
TRIMMED = "spans shortened by the line breaks at their ends (a brat span cannot hold one)"
_WHITESPACE = re.compile(r"\s+")
_NOT_STORAGE = re.compile(r"[^A-Za-z0-9_-]")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?")
# visual.conf separates a type's names with "|" and its [labels] lines with TABs.
_LABEL_BREAKS = re.compile(r"[|\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# brat's configuration treats any other <...> as an undefined macro and gives up.
_MACRO = re.compile(r"<.*?>")
# brat's old rule for overlaps, and the relation type it makes symmetric and transitive.
_SPECIAL_TYPES = {"ENTITY-NESTING", "Equiv"}
# Comment lines of visual.conf (brat skips them) that give Dossier back what brat cannot
# hold: a name it cannot show exactly, and an annotator's name that a folder cannot.
NAME_NOTE = "# dossier-name "
ANNOTATOR_NOTE = "# dossier-annotator "
# The type of the "#" lines that carry the attributes brat has no attribute type for.
ATTRIBUTE_NOTE = "Attribute"
_ID = re.compile(r"[TRAMNE#*]\d*$")


def one_line(text: str) -> str:
    """``text`` with every line break replaced by a space, for notes and entity names."""
    return _LINE_BREAKS.sub(" ", text)


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The pieces of ``text[start:end]`` between line breaks, as brat's editor splits a
    selection over lines: every run of characters that holds no line break."""
    return [match.span() for match in _TEXT_RUN.finditer(text, start, end)]


def brat_type(name: str) -> str:
    """A name as brat stores a type: brat keeps letters, digits, ``_`` and ``-`` of the
    first term of a configuration line and makes every other character ``_``
    (``normalize_to_storage_form`` in its ``server/src/projectconfig.py``), so nothing
    can start a comment (``#``) or a section (``[``). A name of hyphens alone would be a
    separator line and one of brat's special types would change meaning, so those get a
    leading ``_``."""
    kind = _NOT_STORAGE.sub("_", name.strip()) or "_"
    if not kind.strip("-") or kind in _SPECIAL_TYPES:
        kind = f"_{kind}"
    return kind


def shown_name(name: str) -> str:
    """A Dossier name as ``visual.conf`` can show it: brat splits a ``[labels]`` line at
    ``|`` and TAB, and refuses the whole file for ``<...>`` that is not one of its macros
    (``__read_term_hierarchy`` in ``projectconfig.py``)."""
    shown = _LABEL_BREAKS.sub(" ", name).strip()
    if _MACRO.search(shown):
        shown = shown.replace("<", "‹").replace(">", "›")
    return shown


def _notes(conf: str, mark: str) -> Iterable[dict[str, str]]:
    """The Dossier notes of one kind in a configuration: comment lines (brat skips them)
    that begin with ``mark`` and go on with a JSON object of text values."""
    for line in conf.splitlines():
        if line.startswith(mark):
            try:
                note = json.loads(line[len(mark) :])
            except ValueError:
                continue
            if isinstance(note, dict) and all(isinstance(v, str) for v in note.values()):
                yield note


def noted_names(conf: str) -> dict[str, str]:
    """brat type -> the Dossier name, from the notes ``visual.conf`` keeps for names it
    cannot show exactly (``# dossier-name {"type": "a_b", "name": "a|b"}``)."""
    return {
        note["type"]: note["name"]
        for note in _notes(conf, NAME_NOTE)
        if {"type", "name"} <= set(note)
    }


def annotator_of(folder: Path) -> str:
    """The annotator whose ``.ann`` files a folder holds: the name the export's
    ``visual.conf``, one folder up, notes for it (where the folder name had to shorten
    or change it), else the folder's name."""
    folder = folder.resolve()
    conf = folder.parent / VISUAL
    if folder.parent != folder and conf.is_file():
        for note in _notes(read_text(conf), ANNOTATOR_NOTE):
            if note.get("folder") == folder.name and note.get("name"):
                return note["name"]
    return folder.name


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
        (root / VISUAL).write_text(scheme.visual_conf(folders), encoding="utf-8")


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
    bounds: list[str] = []  # T lines
    events: list[str] = []  # E lines
    relations: list[str] = []  # R lines
    extra: list[str] = []  # A, N and # lines
    ids: dict[str, str] = {}  # span uuid -> the ID others refer to it by (E for an event)
    kinds: dict[str, str] = {}  # span uuid -> its brat type
    triggers: dict[str, str] = {}  # event span uuid -> its trigger's T ID
    numbers = {"A": 0, "N": 0, "#": 0}

    def add(prefix: str, body: str) -> None:
        numbers[prefix] += 1
        extra.append(f"{prefix}{numbers[prefix]}\t{body}")

    for number, span in enumerate(spans, start=1):
        tid = f"T{number}"
        kind = kinds[span.uuid] = scheme.entity(span.label)
        offsets = ";".join(f"{start} {end}" for start, end in pieces[span.uuid])
        covered = " ".join(text[start:end] for start, end in pieces[span.uuid])
        bounds.append(f"{tid}\t{kind} {offsets}\t{covered}")
        if scheme.is_event(span.label):
            triggers[span.uuid] = tid
            ids[span.uuid] = f"E{len(triggers)}"
        else:
            ids[span.uuid] = tid
    for span in spans:
        ident = ids[span.uuid]
        for name, value in span.attributes.items():
            if value is None:
                continue
            body = scheme.attribute_line(span.label, name, value)
            if body is not None:
                add("A", body.replace("@", ident, 1))
                continue
            comment = attribute_comment(name, value)
            if comment is None:
                context.note("attributes whose name brat cannot hold (a line break or '=')")
            else:
                add("#", f"{ATTRIBUTE_NOTE} {ident}\t{comment}")
        if span.entity_uuid is not None:
            entity = context.entity(span.entity_uuid)
            if entity is not None:
                add("N", f"Reference {ident} {DOSSIER_DB}:{entity.uuid}\t{one_line(entity.name)}")
        if span.note:
            add("#", f"AnnotatorNotes {ident}\t{one_line(span.note)}")
    labels = {span.uuid: span.label for span in spans}
    arguments: dict[str, list[str]] = {uuid: [] for uuid in triggers}
    roles: dict[str, dict[str, int]] = {uuid: {} for uuid in triggers}
    for relation in relations_among(item, spans):
        head, tail = relation.head_uuid, relation.tail_uuid
        if head in triggers:
            # brat refuses a relation that refers to a trigger: an event's links are its
            # arguments, numbered as brat numbers a repeated role (agent, agent2, ...).
            role = scheme.role(labels[head], relation.type, kinds[tail])
            count = roles[head][role] = roles[head].get(role, 0) + 1
            arguments[head].append(f"{role}{count if count > 1 else ''}:{ids[tail]}")
        else:
            kind = scheme.relation(relation.type, kinds[head], kinds[tail])
            relations.append(f"R{len(relations) + 1}\t{kind} Arg1:{ids[head]} Arg2:{ids[tail]}")
    for uuid, tid in triggers.items():
        line = f"{ids[uuid]}\t{kinds[uuid]}:{tid}"
        events.append(" ".join([line, *arguments[uuid]]))
    return "".join(line + "\n" for line in (*bounds, *events, *relations, *extra))


def attribute_comment(name: str, value: Any) -> str | None:
    """The text of the ``#`` line that carries an attribute brat has no type for
    (``date=2024-02-07``), or None when the name cannot be written (line break or ``=``)."""
    if "=" in name or _LINE_BREAKS.search(name) or not name.strip():
        return None
    return f"{name}={_encode_value(value)}"


def _encode_value(value: Any) -> str:
    """A value on one line, read back as it was by :func:`_decode_value`: text as it stands
    where that is unambiguous, JSON otherwise (numbers, true/false, text with line breaks,
    text that would read as JSON)."""
    if isinstance(value, str) and not _LINE_BREAKS.search(value) and _decode_value(value) == value:
        return value
    encoded = json.dumps(value, ensure_ascii=False)
    # JSON leaves these raw inside strings, but brat (splitlines) breaks lines at them.
    for character in "\x85\u2028\u2029":
        encoded = encoded.replace(character, f"\\u{ord(character):04x}")
    return encoded


def _decode_value(text: str) -> Any:
    """The value of an attribute ``#`` line: JSON when it reads as JSON, else the text."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply for JSON here
        return text


class _Scheme:
    """The types an export uses, for ``annotation.conf`` and ``visual.conf``.

    Every label, relation type, role, attribute and value gets one brat name (see
    :func:`brat_type`), unique across all of them; ``visual.conf`` maps each name whose
    brat form differs back to the Dossier name, which the reader uses.
    """

    def __init__(self, context: ExportContext):
        self._names: dict[str, str] = {}  # Dossier name -> brat name
        self._originals: dict[str, str] = {}  # brat name -> Dossier name
        self.labels = list(context.labels)
        self._events = {label.name for label in self.labels if label.name.lower() == "event"}
        # Relations and roles the data uses beyond the schemas: type -> (heads, tails).
        self.relations: dict[str, tuple[set[str], set[str]]] = {}
        self.roles: dict[tuple[str, str], set[str]] = {}  # (event type, role) -> tail types
        # Attributes brat can hold: the schemas' choices and yes/no, by attribute name.
        self.choices: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
        self.binaries: dict[str, dict[str, None]] = {}
        self._attribute_kinds: dict[tuple[str, str], Any] = {}  # (label, name) -> spec
        for label in self.labels:
            for spec in label.schema.attributes:
                if spec.kind == "choice":
                    targets, values = self.choices.setdefault(spec.name, ({}, {}))
                    targets[label.name] = None
                    values.update(dict.fromkeys(spec.values))
            for spec in label.schema.attributes:
                if spec.kind == "yesno" and spec.name not in self.choices:
                    self.binaries.setdefault(spec.name, {})[label.name] = None
        for label in self.labels:
            for spec in label.schema.attributes:
                if (spec.kind == "choice") or (spec.kind == "yesno" and spec.name in self.binaries):
                    self._attribute_kinds[(label.name, spec.name)] = spec

    def name(self, original: str) -> str:
        """The brat name of a Dossier name: its storage form, unique."""
        found = self._names.get(original)
        if found is None:
            base = found = brat_type(original)
            number = 1
            while found in self._originals:
                number += 1
                found = f"{base}_{number}_"
            self._names[original] = found
            self._originals[found] = original
        return found

    def role(self, event_label: str, relation_type: str, tail_kind: str | None = None) -> str:
        """An event argument's role: brat numbers a repeated role (agent2), so a role may not
        end with a digit; one that would gets ``_``."""
        role = self.name(relation_type)
        if role[-1].isdigit():
            role = self._names[relation_type] = f"{role}_"
            self._originals[role] = relation_type
        tails = self.roles.setdefault((self.entity(event_label), role), set())
        if tail_kind is not None:
            tails.add(tail_kind)
        return role

    def is_event(self, label: str) -> bool:
        """Whether a label's spans are written as brat events (trigger and E line)."""
        return label in self._events

    def entity(self, label: str) -> str:
        return self.name(label)

    def relation(self, relation_type: str, head_type: str, tail_type: str) -> str:
        kind = self.name(relation_type)
        heads, tails = self.relations.setdefault(kind, (set(), set()))
        heads.add(head_type)
        tails.add(tail_type)
        return kind

    def attribute_line(self, label: str, name: str, value: Any) -> str | None:
        """The body of an A line (``@`` for the span's ID), or None when the label's schema
        has no brat attribute for the value (it then leaves as a ``#`` line)."""
        spec = self._attribute_kinds.get((label, name))
        if spec is None:
            return None
        if spec.kind == "choice" and isinstance(value, str) and value in spec.values:
            return f"{self.name(name)} @ {self.name(value)}"
        if spec.kind == "yesno" and value is True:
            return f"{self.name(name)} @"
        return None

    def annotation_conf(self) -> str:
        def targets(names) -> str:
            return "|".join(self.name(name) for name in names) or "<ANY>"

        lines = ["# Written by Dossier from the project's label schemas.", "[entities]"]
        lines += [self.name(label.name) for label in self.labels if not self.is_event(label.name)]
        lines.append("[relations]")
        declared: set[tuple[str, str]] = set()
        for label in self.labels:
            if self.is_event(label.name):
                continue
            for spec in label.schema.relations:
                head, kind = self.name(label.name), self.name(spec.type)
                declared.add((kind, head))
                lines.append(f"{kind}\tArg1:{head}, Arg2:{targets(spec.targets)}")
        for kind, (heads, tails) in self.relations.items():
            undeclared = sorted(head for head in heads if (kind, head) not in declared)
            if undeclared:
                lines.append(f"{kind}\tArg1:{'|'.join(undeclared)}, Arg2:{'|'.join(sorted(tails))}")
        # Claims contain actors and events: spans may overlap and nest in any way.
        lines.append("<OVERLAP>\tArg1:<ANY>, Arg2:<ANY>, <OVL-TYPE>:<ANY>")
        lines.append("[events]")
        for label in self.labels:
            if not self.is_event(label.name):
                continue
            kind = self.name(label.name)
            arguments = []
            for spec in label.schema.relations:
                role = self.role(label.name, spec.type)
                repeat = (
                    ("+" if spec.required else "*") if spec.many else ("" if spec.required else "?")
                )
                arguments.append(f"{role}{repeat}:{targets(spec.targets)}")
            declared_roles = {argument.split(":")[0].rstrip("*+?") for argument in arguments}
            for (event, role), tails in self.roles.items():
                if event == kind and role not in declared_roles:
                    arguments.append(f"{role}*:{'|'.join(sorted(tails)) or '<ANY>'}")
            lines.append(f"{kind}\t{', '.join(arguments)}" if arguments else kind)
        lines.append("[attributes]")
        for name, (labels, values) in self.choices.items():
            lines.append(f"{self.name(name)}\tArg:{targets(labels)}, Value:{targets(values)}")
        for name, labels in self.binaries.items():
            lines.append(f"{self.name(name)}\tArg:{targets(labels)}")
        return "\n".join(lines) + "\n"

    def visual_conf(self, folders: dict[str, str] | None = None) -> str:
        """``[labels]``: every type, role and value by its Dossier name (brat shows these
        names; Dossier's reader turns brat names back into them). A name brat cannot show
        exactly, and an annotator whose folder (in ``folders``: annotator -> folder) is
        not named exactly after them, are noted in comment lines that brat skips."""
        lines = [
            ANNOTATOR_NOTE + json.dumps({"folder": folder, "name": annotator})
            for annotator, folder in (folders or {}).items()
            if folder != annotator
        ]
        lines.append("[labels]")
        for brat, original in self._originals.items():
            shown = shown_name(original)
            if shown != original:
                lines.append(NAME_NOTE + json.dumps({"type": brat, "name": original}))
            lines.append(f"{brat} | {shown}" if shown else brat)
        # brat expects [drawing] (it warns without one): the labels' colours.
        lines.append("[drawing]")
        for label in self.labels:
            if _COLOUR.fullmatch(label.colour or ""):
                lines.append(f"{self.name(label.name)}\tbgColor:{label.colour}")
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
    if lines:  # an R, A, N or # line alone points at a span that is not there: refused
        annotator = options.annotator or annotator_of(path.parent)
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
            source = read_text(conf)
            for line in source.splitlines():
                line = line.strip()
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1].strip()
                elif section == "labels" and line and not line.startswith("#"):
                    kind, _, rest = line.partition("|")
                    full = rest.split("|", 1)[0].strip()
                    if full:
                        names[kind.strip()] = full
            return {**names, **noted_names(source)}  # the exact names win
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
        kind, colon, trigger = body.split(" ", 1)[0].partition(":")
        if not colon or not kind:
            raise InputError(path, number, f"an event starts with TYPE:TRIGGER, found {body!r}")
        if trigger not in spans or lines[trigger][0] != "T":
            raise InputError(
                path, number, f"event trigger {trigger!r} is not a T line of this file"
            )
        trigger_kind = lines[trigger][2].split(" ", 1)[0]
        if trigger_kind != kind:
            # brat refuses the document too (EventWithNonTriggerError)
            raise InputError(
                path,
                number,
                f"event type {kind!r} differs from its trigger's type {trigger_kind!r}",
            )
        spans[ident] = spans[trigger]
    for ident, (_, number, body, _) in events.items():
        for argument in body.split()[1:]:
            role, colon, target = argument.partition(":")
            if not colon or not role:
                raise InputError(path, number, f"event argument {argument!r} should be ROLE:ID")
            if target not in spans:
                raise InputError(path, number, f"event argument {argument!r} names no span")
            # brat numbers a repeated role: Theme, Theme2, Theme3
            base = re.sub(r"\d+$", "", role) or role
            document.relations.append(
                NewRelation(
                    type=names.get(base, base.lower()),
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
            _attribute(body, spans, lines, names, path, number)
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


_OFFSET = re.compile("[0-9]{1,18}")  # more digits could not fit any text, or a database


def _span(
    body: str, tail: str, text: str, annotator: str, names: dict[str, str], path, number: int
) -> NewSpan:
    kind, _, offsets = body.partition(" ")
    if not kind or not offsets:
        raise InputError(path, number, f"a T line needs a type and offsets, found {body!r}")
    pieces = []
    for fragment in offsets.split(";"):
        parts = fragment.split()
        # Only ASCII digits: str.isdigit() also takes "²" and "٥", which int() refuses or reads.
        if len(parts) != 2 or not all(_OFFSET.fullmatch(part) for part in parts):
            raise InputError(
                path, number, f"offsets should be 'START END', found {fragment[:60]!r}"
            )
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


def _attribute(body: str, spans, lines, names: dict[str, str], path, number: int) -> None:
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
    name = names.get(parts[0], parts[0])
    span.attributes[name] = names.get(parts[2], parts[2]) if len(parts) == 3 else True


def _link(body: str, tail: str, spans, path, number: int) -> NewEntity | None:
    parts = body.split()
    if len(parts) != 3 or ":" not in parts[2]:
        raise InputError(
            path, number, f"a normalisation needs 'Reference ID DB:KEY', found {body!r}"
        )
    span = _target(parts[1], spans, path, number, "normalisation target")
    database, _, key = parts[2].partition(":")
    if database.lower() == DOSSIER_DB.lower():
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
        name=tail.strip() or parts[2],
        uuid=entity_uuid,
        label=span.label,
        description=description,
        where=f"{path}:{number}",
    )


def _note(body: str, tail: str, spans, lines, path, number: int) -> None:
    parts = body.split()
    if len(parts) != 2:
        raise InputError(path, number, f"a note needs a type and a target, found {body!r}")
    if parts[1] not in spans and parts[1] in lines:
        return  # notes on relations or attributes have nowhere to go
    span = _target(parts[1], spans, path, number, "note target")
    if parts[0] == ATTRIBUTE_NOTE:
        name, equals, value = tail.partition("=")
        if not equals or not name:
            raise InputError(path, number, f"an attribute note is NAME=VALUE, found {tail[:60]!r}")
        span.attributes[name] = _decode_value(value)
    else:
        span.note = f"{span.note}\n{tail}" if span.note else tail
