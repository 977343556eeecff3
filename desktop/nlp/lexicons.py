"""The word lists the suggestion rules read from ``resources/lexicons/``.

A lexicon file is plain UTF-8 text: a line starting with ``#`` is a comment, blank lines are
skipped, and each other line is one entry, optionally followed by a whole number
(``Monday 1``) and then by flags in brackets (``said [bare]``, ``last week -1 [week]``).
Files are read once and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import resources


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a lexicon: the words, an optional value, and optional flags."""

    text: str
    value: str | None = None
    flags: frozenset[str] = frozenset()


class LexiconError(ValueError):
    """A lexicon file that cannot be read; the message names the file and line."""


def parse_line(line: str) -> Entry | None:
    """The entry on one line of a lexicon file, or None for a comment or a blank line."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    flags: frozenset[str] = frozenset()
    if line.endswith("]") and "[" in line:
        line, _, flag_text = line[:-1].rpartition("[")
        flags = frozenset(flag.strip() for flag in flag_text.split(",") if flag.strip())
        line = line.strip()
    value = None
    head, _, tail = line.rpartition(" ")
    if head and tail.lstrip("-").isdigit():  # "Monday 1", "last week week -1" keep words whole
        line, value = head.strip(), tail
    return Entry(line, value, flags)


@cache
def entries(name: str) -> tuple[Entry, ...]:
    """Every entry of ``resources/lexicons/<name>.txt``, in file order."""
    file = resources.path("lexicons", f"{name}.txt")
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LexiconError(f"{file}: cannot read the lexicon: {exc.strerror or exc}") from None
    return tuple(entry for entry in map(parse_line, lines) if entry is not None)


@cache
def words(name: str) -> frozenset[str]:
    """The entries of a lexicon as a set of strings (values and flags ignored)."""
    return frozenset(entry.text for entry in entries(name))


@cache
def numbered(name: str) -> dict[str, int]:
    """A lexicon of ``word number`` lines as a mapping (weekdays, months)."""
    table = {}
    for line_number, entry in enumerate(entries(name), 1):
        if entry.value is None:
            raise LexiconError(
                f"lexicons/{name}.txt: entry {line_number} ({entry.text!r}) has no number"
            )
        table[entry.text] = int(entry.value)
    return table
