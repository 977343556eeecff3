"""CSV for spreadsheets: one row per span, UTF-8 with a byte-order mark, formula-safe cells.

Columns: document (its title), label, text, start, end (code points, end exclusive),
annotator, status, note, origin, confidence, attributes (JSON), entity (the canonical
name), document_hash and uuid. A text cell that begins with ``=``, ``+``, ``-``, ``@``, TAB
or CR, also behind spaces or quotes (`` =1+1``, ``"@SUM(A1)``), would be run as a formula
by Excel and LibreOffice, so it is written with a leading ``'`` (OWASP, CWE-1236): a reader
must drop that ``'`` to get the text back. The table does not carry relations or the
documents' texts.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from db.records import ExportDocument
from desktop.formats.base import ExportContext, atomic_output, counted, dumps

COLUMNS = (
    "document",
    "label",
    "text",
    "start",
    "end",
    "annotator",
    "status",
    "note",
    "origin",
    "confidence",
    "attributes",
    "entity",
    "document_hash",
    "uuid",
)
# What starts a formula (=, +, -, @, TAB, CR), also behind white space (any Unicode space,
# TAB, CR and LF among it) or quotes: spreadsheets trim the one and drop the other when
# they read a cell, on import or on paste, and run what is left.
_FORMULA = re.compile(r"""[\s"']*[=+\-@\t\r]""")


def safe(cell: str) -> str:
    """A text cell that a spreadsheet shows as text, never runs as a formula."""
    if _FORMULA.match(cell):
        return "'" + cell
    return cell


@contextmanager
def spreadsheet(out: Path, columns: Iterable[str]) -> Iterator[Any]:
    """A csv writer on ``out`` (UTF-8 with BOM, CRLF rows) with its header row written."""
    with atomic_output(out, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        yield writer


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """One row per span, in document and text order."""
    with spreadsheet(out, COLUMNS) as writer:
        for item in counted(documents, context):
            document = item.document
            title = safe(document.title)
            rows = []
            for span in item.spans:
                entity = context.entity(span.entity_uuid)
                rows.append(
                    (
                        title,
                        safe(span.label),
                        safe(span.text),
                        span.start,
                        span.end,
                        safe(span.annotator),
                        span.status,
                        safe(span.note),
                        span.origin,
                        "" if span.confidence is None else span.confidence,
                        dumps(span.attributes) if span.attributes else "",
                        safe(entity.name) if entity else "",
                        document.content_hash,
                        span.uuid,
                    )
                )
            writer.writerows(rows)
