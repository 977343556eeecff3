"""Plain-text and Markdown articles: one file, one document, its text kept byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

from db.records import ImportBatch, NewDocument
from desktop.formats.base import ImportOptions, InputError, ReadResult, read_text

TITLE_LIMIT = 120
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def title_from_text(text: str, markdown: bool = False) -> str:
    """The first non-blank line (a Markdown heading loses its ``#``), shortened at a word
    boundary when it is a whole paragraph rather than a headline."""
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if markdown:
            heading = _MARKDOWN_HEADING.match(line)
            if heading:
                line = heading.group(1)
        if len(line) <= TITLE_LIMIT:
            return line
        cut = line.rfind(" ", 0, TITLE_LIMIT)
        return line[: cut if cut > TITLE_LIMIT // 2 else TITLE_LIMIT].rstrip(" ,;:") + "…"
    return ""


def date_from_name(name: str) -> str | None:
    """An ISO date written in a file name (``2024-02-08-strike.txt``), if there is one."""
    match = _DATE_IN_NAME.search(name)
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    if 1 <= month <= 12 and 1 <= day <= 31:
        return match.group(0)
    return None


def read(path: Path, options: ImportOptions) -> ReadResult:
    text = read_text(path)
    if not text.strip():
        raise InputError(path, 1, "the file is empty: there is no article to import")
    markdown = path.suffix.lower() in {".md", ".markdown"}
    document = NewDocument(
        text=text,
        title=title_from_text(text, markdown) or path.stem,
        published=date_from_name(path.name),
        meta={"file": path.name},
        imported_from=str(path),
        where=f"{path}:1",
    )
    return ReadResult(ImportBatch(documents=[document]))
