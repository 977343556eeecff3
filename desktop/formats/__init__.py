"""The registry of formats, and the one import path and one export path that use them.

The command line and the window both call :func:`import_paths` and :func:`export_project`;
a format is a module with ``read(path, options) -> ReadResult`` and/or
``write(documents, out, context)``. Modules load only when their format is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from db.records import ExportFilter, ImportBatch, ImportSummary
from db.store import Store, StoreError
from desktop.formats.base import (
    ExportContext,
    ExportOptions,
    ImportOptions,
    InputError,
    collector_paused,
    first_record,
)
from desktop.progress import Cancelled, Progress

__all__ = [
    "FORMATS",
    "Cancelled",
    "ExportOptions",
    "ExportReport",
    "FormatInfo",
    "ImportOptions",
    "ImportReport",
    "InputError",
    "export_project",
    "get_format",
    "import_paths",
    "read_paths",
]


@dataclass(frozen=True, slots=True)
class FormatInfo:
    name: str
    module: str
    description: str
    can_import: bool
    can_export: bool
    extension: str = ""  # of the exported file; "" when the export is a folder
    export_statuses: tuple[str, ...] = ("accepted",)  # what leaves when --status is not given
    only_annotated: bool = False  # export only documents that keep at least one span

    def load(self) -> ModuleType:
        return importlib.import_module(f"desktop.formats.{self.module}")


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
        ),
        FormatInfo("text", "text", "plain-text and Markdown articles", True, False),
        FormatInfo(
            "prodigy",
            "prodigy",
            "Prodigy JSONL tasks with tokens and spans",
            True,
            True,
            ".jsonl",
            only_annotated=False,
        ),
        FormatInfo(
            "doccano",
            "doccano",
            "doccano JSONL (UTF-16 offsets)",
            True,
            True,
            ".jsonl",
        ),
        FormatInfo(
            "spacy",
            "spacy_docbin",
            "spaCy DocBin for `spacy train`",
            False,
            True,
            ".spacy",
        ),
        FormatInfo("conll", "conll", "CoNLL IOB2, one token per line", False, True, ".conll"),
        FormatInfo("brat", "brat", "brat standoff: .txt and .ann per document", True, True, ""),
        FormatInfo(
            "labelstudio",
            "labelstudio",
            "Label Studio JSON tasks (UTF-16 offsets)",
            True,
            True,
            ".json",
        ),
        FormatInfo("csv", "csv_table", "one row per span, for spreadsheets", False, True, ".csv"),
        FormatInfo(
            "events",
            "analyst_tables",
            "one row per event: date, type, actors, location, evidence",
            False,
            True,
            ".csv",
        ),
        FormatInfo(
            "claims",
            "analyst_tables",
            "one row per claim: text, source actor, stance",
            False,
            True,
            ".csv",
        ),
    )
}
ALIASES = {
    "native": "jsonl",
    "markdown": "text",
    "md": "text",
    "txt": "text",
    "label-studio": "labelstudio",
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
    return [name for name, info in FORMATS.items() if info.can_import]


def export_formats() -> list[str]:
    return [name for name, info in FORMATS.items() if info.can_export]


# --- import -------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportReport:
    files: int
    summary: ImportSummary
    skipped: dict[str, int] = field(default_factory=dict)  # e.g. rejected Prodigy tasks
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
    if suffix in JSONL_SUFFIXES:
        record = first_record(path) or {}
        if "type" in record and record.get("type") in {"label", "annotator", "entity", "document"}:
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


def collect_files(paths: Sequence[str | Path], format_name: str = "auto") -> list[tuple[Path, str]]:
    """Every file to read, with its format: folders are walked recursively (hidden files and
    files of unknown kinds inside folders are passed over; named files never are)."""
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
        seen.add(resolved)
        files.append((path, fmt))

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(path, None, "no such file or folder")
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in relative.parts):
                    add(child, explicit=False)
        else:
            add(path, explicit=True)
    return files


def read_paths(
    paths: Sequence[str | Path],
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read every file (without writing anything) into one batch."""
    options = options or ImportOptions()
    files = collect_files(paths, options.format)
    batch = ImportBatch()
    skipped: dict[str, int] = {}
    attributed: dict[str, str] = {}
    for index, (path, fmt) in enumerate(files):
        info = get_format(fmt)
        if not info.can_import:
            raise InputError(path, None, f"Dossier can export {fmt} but not import it")
        result = info.load().read(path, options)
        batch.documents.extend(result.batch.documents)
        batch.labels.extend(result.batch.labels)
        batch.entities.extend(result.batch.entities)
        batch.annotators.extend(result.batch.annotators)
        for key, count in result.skipped.items():
            skipped[key] = skipped.get(key, 0) + count
        attributed.update(result.attributed)
        if progress:
            progress("reading", index + 1, len(files))
    return ImportReport(len(files), ImportSummary(), skipped, attributed, batch)


def import_paths(
    store: Store,
    paths: Sequence[str | Path],
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import files and folders into ``store``: all of them, or on any error none of them.

    Raises :class:`InputError` (``file:line: reason``) for bad input and :class:`Cancelled`
    when ``progress`` raises it; in both cases the project is unchanged.
    """

    def writing(done: int, total: int) -> None:
        if progress:
            progress("writing", done, total)

    with collector_paused():
        report = read_paths(paths, options, progress)
        batch, report.batch = report.batch, None
        if not (batch.documents or batch.entities or batch.labels or batch.annotators):
            return report
        try:
            report.summary = store.import_batch(batch, progress=writing)
        except StoreError as exc:
            raise InputError(*_locate(str(exc))) from None
    return report


def _locate(message: str) -> tuple[str, int | None, str]:
    """Split a store message that starts with ``file:line:`` back into its parts."""
    head, _, rest = message.partition(": ")
    path, _, line = head.rpartition(":")
    if path and line.isdigit() and rest:
        return path, int(line), rest
    return "import", None, message


# --- export -------------------------------------------------------------------------------


@dataclass(slots=True)
class ExportReport:
    path: Path
    documents: int
    spans: int


def export_project(
    store: Store,
    format_name: str,
    out: str | Path,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Export the project (filtered by ``options.filter``) to ``out`` in a named format.

    Files appear only when complete: a failed or cancelled export leaves nothing behind.
    """
    info = get_format(format_name)
    if not info.can_export:
        raise ValueError(f"Dossier can import {info.name} but not export it")
    options = options or ExportOptions()
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
    total_documents, _ = store.export_counts(flt)
    context = ExportContext(
        labels=store.labels(),
        annotators=store.annotators(),
        entities=store.entities(),
        options=options,
        total_documents=total_documents,
        progress=(lambda done, total: progress("exporting", done, total)) if progress else None,
    )
    stats = _Counting(store.export_documents(flt, only_with_spans=info.only_annotated))
    with collector_paused():
        info.load().write(stats, Path(out), context)
    return ExportReport(Path(out), stats.documents, stats.spans)


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
