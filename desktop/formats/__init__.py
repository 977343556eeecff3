"""The registry of formats, and the one import path and one export path that use them.

The command line and the window both call :func:`import_paths` and :func:`export_project`;
a format is a module with ``read(path, options) -> ReadResult`` and/or
``write(documents, out, context)``. Modules load only when their format is used.
"""

from __future__ import annotations

import gc
import importlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from db.records import ExportFilter, ImportBatch, ImportSummary
from db.store import Store, StoreError, UnavailableError
from desktop.formats.alignment import OVERLAP_RULES
from desktop.formats.base import (
    PART_DOCUMENTS,
    ExportContext,
    ExportOptions,
    ImportOptions,
    InputError,
    ReadResult,
    collector_paused,
    first_record,
)
from desktop.formats.output import recover
from desktop.progress import Cancelled, Progress

__all__ = [
    "FORMATS",
    "OVERLAP_RULES",
    "Cancelled",
    "ExportOptions",
    "ExportReport",
    "FormatInfo",
    "ImportOptions",
    "ImportReport",
    "InputError",
    "OptionInfo",
    "export_formats",
    "export_project",
    "get_format",
    "import_formats",
    "import_paths",
    "read_paths",
]


SPAN_STATUSES = ("accepted", "suggested", "rejected")
FILTERS = ("annotator", "gold", "label", "status")
OUTSIDE_LINKS = "symbolic links that lead outside the folder given (not followed)"


@dataclass(frozen=True, slots=True)
class OptionInfo:
    """A choice a format offers on export: an :class:`ExportOptions` field, for a dialog."""

    name: str  # the ExportOptions field
    title: str
    description: str
    choices: tuple[tuple[str, str], ...] = ()  # (value, description); empty: a free value


SPLIT = OptionInfo(
    "split",
    "Held out as dev",
    "share of documents written to dev.spacy (the output is then a folder with train.spacy)",
)
SEED = OptionInfo("seed", "Seed", "seed of the shuffle that chooses the dev documents")
OVERLAP = OptionInfo(
    "overlap",
    "Where spans overlap, keep",
    "which spans a layer without overlap keeps",
    tuple(OVERLAP_RULES.items()),
)


@dataclass(frozen=True, slots=True)
class FormatInfo:
    """A format: what it reads and writes, and what its export accepts (for a dialog too)."""

    name: str
    module: str
    description: str
    can_import: bool
    can_export: bool
    extension: str = ""  # of the exported file; "" when the export is a folder
    export_statuses: tuple[str, ...] = ("accepted",)  # what leaves when --status is not given
    only_annotated: bool = False  # export only documents that keep at least one span
    statuses: tuple[str, ...] = ("accepted",)  # the statuses an export may ask for
    filters: tuple[str, ...] = FILTERS  # which of --annotator/--gold/--label/--status apply
    options: tuple[OptionInfo, ...] = ()  # format-specific choices (ExportOptions fields)
    folder_with: str = ""  # an option that, when set, makes the export a folder

    def load(self) -> ModuleType:
        return importlib.import_module(f"desktop.formats.{self.module}")

    def writes_folder(self, options: ExportOptions | None = None) -> bool:
        """Whether an export with ``options`` writes a folder rather than one file."""
        if not self.extension:
            return True
        return bool(self.folder_with and options and getattr(options, self.folder_with))


FORMATS: dict[str, FormatInfo] = {
    info.name: info
    for info in (
        FormatInfo(
            "jsonl",
            "native",
            "Dossier JSONL: documents, spans, relations and entities, lossless",
            True,
            True,
            ".jsonl",
            export_statuses=(),
            statuses=SPAN_STATUSES,
        ),
        FormatInfo("text", "text", "plain-text and Markdown articles", True, False),
        FormatInfo(
            "prodigy",
            "prodigy",
            "Prodigy JSONL tasks with spaCy tokens, spans and relations",
            True,
            True,
            ".jsonl",
        ),
        FormatInfo(
            "doccano",
            "doccano",
            "doccano JSONL (UTF-16 offsets; entities and relations when spans are related)",
            True,
            True,
            ".jsonl",
        ),
        FormatInfo(
            "spacy",
            "spacy_docbin",
            "spaCy DocBin for `spacy train`: every span in doc.spans['sc'], no overlap in doc.ents",
            False,
            True,
            ".spacy",
            options=(SPLIT, SEED, OVERLAP),
            folder_with="split",
        ),
        FormatInfo(
            "conll",
            "conll",
            "CoNLL IOB2, one token per line",
            False,
            True,
            ".conll",
            options=(OVERLAP,),
        ),
        FormatInfo(
            "brat",
            "brat",
            "brat standoff: .txt and .ann per document, a folder per annotator",
            True,
            True,
            "",
        ),
        FormatInfo(
            "xmi",
            "xmi",
            "UIMA CAS XMI for INCEpTION: TypeSystem.xml and an .xmi per document and annotator",
            True,
            True,
            "",
        ),
        FormatInfo(
            "labelstudio",
            "labelstudio",
            "Label Studio JSON tasks (suggestions as predictions) and its labelling config",
            True,
            True,
            ".json",
            statuses=("accepted", "suggested"),
        ),
        FormatInfo(
            "csv",
            "csv_table",
            "one row per span, for spreadsheets",
            False,
            True,
            ".csv",
            only_annotated=True,
            statuses=SPAN_STATUSES,
        ),
        FormatInfo(
            "events",
            "analyst_tables",
            "one row per event: date, type, actors, location, evidence",
            False,
            True,
            ".csv",
            only_annotated=True,
            filters=("annotator", "gold", "status"),
        ),
        FormatInfo(
            "claims",
            "analyst_tables",
            "one row per claim: text, source actor, stance",
            False,
            True,
            ".csv",
            only_annotated=True,
            filters=("annotator", "gold", "status"),
        ),
        FormatInfo(
            "graphml",
            "graphml",
            "GraphML network for Gephi: actors as nodes, events and claims as edges",
            False,
            True,
            ".graphml",
            only_annotated=True,
            filters=("annotator", "gold", "status"),
        ),
    )
}
ALIASES = {
    "native": "jsonl",
    "markdown": "text",
    "md": "text",
    "txt": "text",
    "label-studio": "labelstudio",
    "inception": "xmi",
    "uima": "xmi",
}
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


def get_format(name: str) -> FormatInfo:
    """The format called ``name`` (or one of its other names); ValueError if unknown."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in FORMATS:
        raise ValueError(f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}")
    return FORMATS[key]


def import_formats() -> list[str]:
    """The names of the formats Dossier reads."""
    return [name for name, info in FORMATS.items() if info.can_import]


def export_formats() -> list[str]:
    """The names of the formats Dossier writes; ``FORMATS[name]`` describes each."""
    return [name for name, info in FORMATS.items() if info.can_export]


# --- import -------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportReport:
    """What an import read and wrote; ``skipped`` and ``attributed`` are for the user to
    see (the command line and the window both show them)."""

    files: int
    summary: ImportSummary
    # Why things were passed over, with how many: rejected Prodigy tasks, OUTSIDE_LINKS...
    skipped: dict[str, int] = field(default_factory=dict)
    attributed: dict[str, str] = field(default_factory=dict)  # file -> annotator from its name
    batch: ImportBatch | None = None  # what was read; None once it has been written


def detect_format(path: Path) -> str:
    """Guess a file's format from its name and, for JSON lines, its first record."""
    suffix = path.suffix.lower()
    if suffix == ".ann":
        return "brat"
    if suffix in TEXT_SUFFIXES:
        if path.with_suffix(".ann").exists():
            return "brat"
        return "text"
    if suffix == ".json":
        return "labelstudio"
    if suffix == ".xmi":
        return "xmi"
    if suffix in JSONL_SUFFIXES:
        record = first_record(path) or {}
        # A tuple, not a set: the value may be a list, which a set cannot look up.
        if record.get("type") in ("label", "annotator", "entity", "document"):
            return "jsonl"
        if any(
            key in record
            for key in ("_input_hash", "_task_hash", "answer", "tokens", "_annotator_id")
        ):
            return "prodigy"
        if "entities" in record or isinstance(record.get("label"), list) or "labels" in record:
            return "doccano"
        if (
            isinstance(record.get("spans"), list)
            and record["spans"]
            and isinstance(record["spans"][0], dict)
        ):
            span = record["spans"][0]
            return "jsonl" if "uuid" in span or "annotator" in span else "prodigy"
        return "jsonl"
    raise InputError(
        path,
        None,
        f"unknown kind of file; name its format with --format ({', '.join(import_formats())})",
    )


def collect_files(
    paths: Sequence[str | Path], format_name: str = "auto", skipped: dict[str, int] | None = None
) -> list[tuple[Path, str]]:
    """Every file to read, with its format: folders are walked recursively (hidden files and
    files of unknown kinds inside folders are passed over; named files never are).

    Symbolic links inside a folder that lead out of it are not followed; each one is
    counted in ``skipped`` (under :data:`OUTSIDE_LINKS`) so that the user is told.
    """
    chosen = None if format_name == "auto" else get_format(format_name).name
    files: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def add(path: Path, explicit: bool) -> None:
        resolved = path.resolve()
        if resolved in seen:
            return
        if chosen is not None:
            fmt = chosen
        elif explicit:
            fmt = detect_format(path)
        else:
            try:
                fmt = detect_format(path)
            except InputError:
                return
        if fmt == "brat":
            # A brat document is its .txt and .ann together; read it once, from the .ann.
            if path.suffix.lower() != ".ann":
                ann = path.with_suffix(".ann")
                if not ann.exists():
                    if explicit:
                        raise InputError(path, None, "brat needs the .ann file beside the .txt")
                    return
                path = ann
                resolved = path.resolve()
                if resolved in seen:
                    return
            seen.add(path.with_suffix(".txt").resolve())
        if fmt == "xmi" and path.suffix.lower() != ".xmi" and not explicit:
            return  # TypeSystem.xml and the like sit beside the CASes they describe
        seen.add(resolved)
        files.append((path, fmt))

    for raw in paths:
        path = Path(raw)
        # A folder export killed while swapping folders is put back first (output.recover).
        if not path.exists() and not recover(path):
            raise InputError(path, None, "no such file or folder")
        if path.is_dir():
            root = path.resolve()
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if child.is_symlink() and not child.resolve().is_relative_to(root):
                    # A link out of the folder would read files the user did not choose.
                    if skipped is not None:
                        skipped[OUTSIDE_LINKS] = skipped.get(OUTSIDE_LINKS, 0) + 1
                    continue
                if child.is_file():
                    add(child, explicit=False)
        else:
            add(path, explicit=True)
    return files


def read_paths(
    paths: Sequence[str | Path],
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read every file (without writing anything) into one batch, held whole in memory;
    :func:`import_paths` reads and writes in parts instead."""
    options = options or ImportOptions()
    skipped: dict[str, int] = {}
    files = _importable(collect_files(paths, options.format, skipped))
    report = ImportReport(len(files), ImportSummary(), skipped, {}, ImportBatch())
    batch = report.batch
    done = -1
    for index, part in _read_parts(files, options, PART_DOCUMENTS):
        batch.documents.extend(part.batch.documents)
        batch.labels.extend(part.batch.labels)
        batch.entities.extend(part.batch.entities)
        batch.annotators.extend(part.batch.annotators)
        _tally(report, part)
        if progress and index != done:
            done = index
            progress("reading", index + 1, len(files))
    return report


COLLECT_EVERY = 100  # parts between two runs of the cyclic garbage collector in an import


def import_paths(
    store: Store,
    paths: Sequence[str | Path],
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    *,
    part_size: int = PART_DOCUMENTS,
) -> ImportReport:
    """Import files and folders into ``store``: all of them, or on any error none of them.

    Files are read in parts of at most ``part_size`` documents, each written before the next
    is read, all in one transaction: memory stays flat whatever the size of the files.
    ``progress("importing", bytes read, bytes in all)`` follows each part (in larger units
    past a gigabyte). Raises
    :class:`InputError` (``file:line: reason``) for bad input and :class:`Cancelled` when
    ``progress`` raises it; in both cases the project is unchanged.
    """
    options = options or ImportOptions()
    skipped: dict[str, int] = {}
    files = _importable(collect_files(paths, options.format, skipped))
    report = ImportReport(len(files), ImportSummary(), skipped)
    # Where each file starts in the bytes of the whole import, for progress.
    starts = [0]
    for path, _ in files:
        starts.append(starts[-1] + _size(path))
    # Past a gigabyte, progress counts in larger units: a progress bar takes 32-bit numbers.
    unit = starts[-1] // 2**30 + 1
    try:
        # Each part's objects outlive many young collections, so with the collector on it
        # would rescan everything alive over and over; paused, it runs once in a while.
        with collector_paused(), store.importing() as writer:
            for number, (index, part) in enumerate(_read_parts(files, options, part_size), 1):
                writer.add(part.batch)
                _tally(report, part)
                if number % COLLECT_EVERY == 0:
                    gc.collect()
                if progress:
                    size = starts[index + 1] - starts[index]
                    done = starts[index] + min(part.read, size)
                    progress("importing", done // unit, starts[-1] // unit)
        report.summary = writer.summary
    except UnavailableError:
        raise  # the database failed, not the file: said as such, and worth a retry
    except StoreError as exc:
        raise InputError(*_locate(str(exc))) from None
    return report


def _importable(files: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    """``files``, once every one of them is of a format Dossier reads."""
    for path, fmt in files:
        if not get_format(fmt).can_import:
            raise InputError(path, None, f"Dossier can export {fmt} but not import it")
    return files


def _read_parts(
    files: list[tuple[Path, str]], options: ImportOptions, size: int
) -> Iterator[tuple[int, ReadResult]]:
    """(file index, part) for every part of every file, read as they are asked for.

    Formats with ``read_parts`` (JSON lines, and Label Studio's JSON read task by task) come
    in parts of at most ``size`` documents; the others (one document per file: brat, XMI,
    text) as one part per file.
    """
    for index, (path, fmt) in enumerate(files):
        module = get_format(fmt).load()
        if hasattr(module, "read_parts"):
            for part in module.read_parts(path, options, size):
                yield index, part
        else:
            with collector_paused():  # a whole file's objects live until it is written
                part = module.read(path, options)
            part.batch.source = str(path)
            part.read = _size(path)
            yield index, part


def _tally(report: ImportReport, part: ReadResult) -> None:
    for key, count in part.skipped.items():
        report.skipped[key] = report.skipped.get(key, 0) + count
    report.attributed.update(part.attributed)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the reader says what is wrong with it


_PLACE = re.compile(r"(.+?):([0-9]+): (.+)", re.DOTALL)


def _locate(message: str) -> tuple[str, int | None, str]:
    """Split a store message that starts with ``file:line:`` back into its parts (the
    file's name may hold ``: `` itself)."""
    found = _PLACE.fullmatch(message)
    if found:
        return found.group(1), int(found.group(2)), found.group(3)
    return "import", None, message


# --- export -------------------------------------------------------------------------------


@dataclass(slots=True)
class ExportReport:
    """What an export wrote: the file or folder, and the documents and spans it took."""

    path: Path
    documents: int
    spans: int
    # What the format had to change or leave out, e.g. {"spans widened to whole tokens": 2}.
    adjusted: dict[str, int] = field(default_factory=dict)


def export_project(
    store: Store,
    format_name: str,
    out: str | Path,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Export the project (filtered by ``options.filter``) to ``out`` in a named format.

    Files appear only when complete: a failed or cancelled export leaves nothing behind.
    Raises ValueError, before writing anything, for a filter or option the format refuses.
    """
    info, context = prepare_export(store, format_name, options, progress)
    stats = _Counting(
        store.export_documents(context.options.filter, only_with_spans=info.only_annotated)
    )
    with collector_paused():
        info.load().write(stats, Path(out), context)
    return ExportReport(Path(out), stats.documents, stats.spans, dict(context.adjusted))


def prepare_export(
    store: Store,
    format_name: str,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> tuple[FormatInfo, ExportContext]:
    """The format and everything its writer needs besides the documents: options checked,
    the format's default statuses filled in, and the project's labels and entities."""
    info = get_format(format_name)
    if not info.can_export:
        raise ValueError(f"Dossier can import {info.name} but not export it")
    options = options or ExportOptions()
    check_export(info, options)
    flt = options.filter
    if not flt.statuses and info.export_statuses:
        flt = ExportFilter(
            annotators=flt.annotators,
            gold=flt.gold,
            labels=flt.labels,
            statuses=info.export_statuses,
            document_ids=flt.document_ids,
        )
        options.filter = flt
    total_documents = store.count_export_documents(flt)
    context = ExportContext(
        labels=store.labels(),
        annotators=store.annotators(),
        entities=store.entities(),
        options=options,
        total_documents=total_documents,
        progress=(lambda done, total: progress("exporting", done, total)) if progress else None,
        format=info.name,
        has_relations=info.name == "doccano" and store.count_export_relations(flt) > 0,
    )
    return info, context


def check_export(info: FormatInfo, options: ExportOptions) -> None:
    """Refuse, with ValueError, a filter or option that ``info`` cannot honour.

    Formats that write labels take accepted spans only: a suggestion never leaves as a
    label unless it was accepted.
    """
    flt = options.filter
    refused = [status for status in flt.statuses if status not in info.statuses]
    if refused:
        raise ValueError(
            f"{info.name} writes {' and '.join(info.statuses)} spans only, not {refused[0]}: "
            "a suggestion leaves as a label only once accepted"
        )
    if flt.labels and "label" not in info.filters:
        raise ValueError(
            f"--label does not apply to the {info.name} table: it is built from the spans "
            "and what they link to"
        )
    names = {option.name for option in info.options}
    if "overlap" in names and options.overlap not in OVERLAP_RULES:
        raise ValueError(
            f"unknown overlap rule {options.overlap!r}; choose {', '.join(OVERLAP_RULES)}"
        )
    if options.split is not None and "split" not in names:
        raise ValueError(f"--split applies to the spacy format, not to {info.name}")
    if options.split is not None and not 0 < options.split < 1:
        raise ValueError(
            f"--split is the share of documents held out for dev: between 0 and 1, not {options.split}"
        )


class _Counting:
    """Counts the documents and spans a writer consumed."""

    def __init__(self, documents: Iterable):
        self._documents = documents
        self.documents = 0
        self.spans = 0

    def __iter__(self):
        for document in self._documents:
            self.documents += 1
            self.spans += len(document.spans)
            yield document
