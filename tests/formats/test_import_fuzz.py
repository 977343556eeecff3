"""Every importer, fed broken files: it imports them, or refuses them as ``file:line: reason``.

Each test starts from valid files of one format (the rich project's exports, the analysts'
annotations of the seed corpus, a real Label Studio export), breaks them at random
(characters and lines deleted, doubled or replaced; a value swapped for a list, an object,
a huge integer, nesting a thousand deep, a NUL, a lone surrogate, a long name; offsets in
other digits) and imports the result with ``dossier --db P import FILE`` into a copy of a
real SQLite project. Then exactly one of two things holds:

- the import succeeded (exit 0), and the project still exports;
- it was refused: exit 2, one line on stderr that starts with the path of one of the files
  and a line number, no traceback, and every table of the project as it was.

Any other exception escapes the command and fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from db.store import Store
from desktop.cli import app
from desktop.formats import export_project, import_paths
from tests.conftest import ANNOTATIONS, CORPUS
from tests.db.test_schema import dump
from tests.formats.project import build_rich, share_rich_schema

# Examples per importer; raise it for a longer hunt: DOSSIER_FUZZ_EXAMPLES=1000 pytest ...
EXAMPLES = int(os.environ.get("DOSSIER_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
DATA = Path(__file__).parent / "data"
runner = CliRunner()
# importer -> Counter of "tried", "imported", "refused"; printed when the module ends.
OUTCOMES: dict[str, Counter] = {}

DEEP = "__deep__"  # stands for a list nested a thousand levels deep, spliced in as text
DEEP_TEXT = "[" * 1000 + "]" * 1000
# What a value of a JSON file is replaced with.
VALUES: list[Any] = [
    [],
    {},
    ["x"],
    [[1]],
    {"id": 1},
    2**31,
    2**63,
    2**64 - 1,
    2**64,
    10**30,
    -1,
    0,
    1.5,
    None,
    True,
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "L" * 300,
    "²",
    "٥",
    DEEP,
]
# What is put into a file's raw text at some place.
TOKENS = [
    "\\u0000",
    "\\ud800",
    "\\udc00x",
    '"',
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\\",
    "\n",
    "\t",
    " ",
    ";",
    "9" * 30,
    "9" * 5000,
    "²",
    "٥",
    "１",
    "\u2028",
    "[" * 1000,
    DEEP_TEXT,
    "null",
    "NaN",
    "-",
]
# Replacements for the numbers of a brat .ann or the attributes of an XMI file.
NUMBERS = ["²", "١٦", "٥", "１６", "9" * 5000, "9" * 20, "-1", "0", "", "1_0", " 3", "x", "L" * 150]
XML_VALUES = NUMBERS + ["&#0;", "&#xD800;", "&amp;", "<", '"', "a&#10;b"]


# --- the files to start from, and the project to import into --------------------------------


class Seeds(dict):
    """Importer -> sets of files; shown briefly, for hypothesis reports the fixtures."""

    def __repr__(self) -> str:
        return f"Seeds({', '.join(self)})"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> Seeds:
    """For each importer, valid sets of files (name -> bytes; the first is the one
    imported, the rest lie beside it as the format needs)."""
    folder = tmp_path_factory.mktemp("seeds")
    with Store.open(":memory:") as rich:
        build_rich(rich)
        for name, out in (
            ("jsonl", "rich.jsonl"),
            ("doccano", "rich.doccano.jsonl"),
            ("labelstudio", "rich.json"),
            ("brat", "brat"),
            ("xmi", "xmi"),
        ):
            export_project(rich, name, folder / out)
    stem = next((folder / "brat" / "analyst_a").glob("strike-*.ann")).stem

    def files(*paths: Path) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in paths}

    brat = folder / "brat"
    return Seeds(
        {
            "jsonl": [files(folder / "rich.jsonl")],
            "doccano": [
                files(folder / "rich.doccano.jsonl"),
                files(ANNOTATIONS / "analyst_b.doccano.jsonl"),
            ],
            "prodigy": [files(ANNOTATIONS / "analyst_a.prodigy.jsonl")],
            "labelstudio": [
                files(folder / "rich.json"),
                files(DATA / "label-studio-1.23.2-export.json"),
            ],
            "brat": [
                files(
                    brat / "analyst_a" / f"{stem}.ann",
                    brat / "analyst_a" / f"{stem}.txt",
                    brat / "annotation.conf",
                    brat / "visual.conf",
                )
            ],
            "xmi": [
                files(
                    folder / "xmi" / "analyst_a" / f"{stem}.xmi", folder / "xmi" / "TypeSystem.xml"
                )
            ],
            "text": [files(CORPUS / "000_f40a1a98859d52a1.txt")],
        }
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A project with the seed articles and the rich project's schema in it, copied for
    every example, so that "nothing written" means something."""
    db = tmp_path_factory.mktemp("template") / "project.db"
    with Store.open(db) as store:
        share_rich_schema(store)
        import_paths(store, sorted(CORPUS.glob("*.txt")))
    return db


@pytest.fixture(scope="module", autouse=True)
def report_outcomes():
    yield
    for importer, counts in sorted(OUTCOMES.items()):
        print(
            f"\nfuzz {importer}: {counts['tried']} tried, {counts['imported']} imported, "
            f"{counts['refused']} refused with file:line"
        )


# --- breaking files ------------------------------------------------------------------------


def splice(text: str) -> str:
    return text.replace(json.dumps(DEEP), DEEP_TEXT).replace(DEEP, DEEP_TEXT)


def slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) of a JSON value, in a fixed order."""
    found: list[tuple[Any, Any]] = []
    pending = [value]
    while pending:
        item = pending.pop()
        keys = item.keys() if isinstance(item, dict) else range(len(item))
        for key in keys:
            found.append((item, key))
            if isinstance(item[key], (dict, list)):
                pending.append(item[key])
    return found


def swap_value(draw, parsed: Any) -> None:
    """Replace one value anywhere in ``parsed`` (in place) with one of :data:`VALUES`."""
    places = slots(parsed)
    if places:
        container, key = places[draw(st.integers(0, len(places) - 1))]
        container[key] = draw(st.sampled_from(VALUES))


def edit_text(draw, text: str, tokens: list[str]) -> str:
    """Delete, double or replace a stretch of characters, or insert a token."""
    where = draw(st.integers(0, len(text)))
    size = draw(st.integers(1, 12))
    action = draw(st.sampled_from(["delete", "double", "replace", "insert"]))
    if action == "delete":
        return text[:where] + text[where + size :]
    if action == "double":
        return text[: where + size] + text[where : where + size] + text[where + size :]
    token = draw(st.sampled_from(tokens))
    rest = text[where + size :] if action == "replace" else text[where:]
    return text[:where] + token + rest


def edit_lines(draw, text: str) -> str:
    """Delete, double or swap lines."""
    lines = text.split("\n")
    first = draw(st.integers(0, len(lines) - 1))
    second = draw(st.integers(0, len(lines) - 1))
    action = draw(st.sampled_from(["delete", "double", "swap"]))
    if action == "delete":
        del lines[first]
    elif action == "double":
        lines.insert(second, lines[first])
    else:
        lines[first], lines[second] = lines[second], lines[first]
    return "\n".join(lines)


def break_jsonl(draw, text: str) -> str:
    action = draw(st.sampled_from(["value", "value", "text", "lines"]))
    if action == "text":
        return edit_text(draw, text, TOKENS)
    if action == "lines":
        return edit_lines(draw, text)
    try:
        records = [json.loads(line) for line in text.split("\n") if line.strip()]
    except (ValueError, RecursionError):  # broken already: break it further
        return edit_text(draw, text, TOKENS)
    swap_value(draw, records)
    return splice("".join(json.dumps(record) + "\n" for record in records))


def break_json(draw, text: str) -> str:
    action = draw(st.sampled_from(["value", "value", "text", "lines"]))
    if action == "text":
        return edit_text(draw, text, TOKENS)
    if action == "lines":
        return edit_lines(draw, text)
    try:
        tasks = json.loads(text)
    except (ValueError, RecursionError):
        return edit_text(draw, text, TOKENS)
    swap_value(draw, tasks)
    return splice(json.dumps(tasks, indent=1))


def break_ann(draw, text: str) -> str:
    action = draw(st.sampled_from(["number", "number", "text", "lines"]))
    numbers = list(re.finditer(r"[0-9]+", text))
    if action == "number" and numbers:
        found = numbers[draw(st.integers(0, len(numbers) - 1))]
        return text[: found.start()] + draw(st.sampled_from(NUMBERS)) + text[found.end() :]
    if action == "lines":
        return edit_lines(draw, text)
    return edit_text(draw, text, TOKENS)


def break_xmi(draw, text: str) -> str:
    action = draw(st.sampled_from(["attribute", "attribute", "text", "lines"]))
    attributes = list(re.finditer(r'(?<=[ \n])[\w:]+="([^"]*)"', text))
    if action == "attribute" and attributes:
        found = attributes[draw(st.integers(0, len(attributes) - 1))]
        value = draw(st.sampled_from(XML_VALUES))
        return text[: found.start(1)] + value + text[found.end(1) :]
    if action == "lines":
        return edit_lines(draw, text)
    return edit_text(draw, text, TOKENS)


def break_text(draw, data: bytes) -> bytes:
    where = draw(st.integers(0, len(data)))
    token = draw(
        st.sampled_from(
            [b"\x00", b"\xff", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3", b"", b"\r"]
        )
    )
    if draw(st.booleans()):
        return token + data[where:]  # the start cut off, something else in front
    return data[:where] + token + data[where:]


def text_breaker(breaker: Callable) -> Callable:
    def apply(draw, data: bytes) -> bytes:
        text = data.decode("utf-8", "surrogatepass")
        return breaker(draw, text).encode("utf-8", "surrogatepass")

    return apply


BREAKERS: dict[str, Callable] = {
    "jsonl": text_breaker(break_jsonl),
    "doccano": text_breaker(break_jsonl),
    "prodigy": text_breaker(break_jsonl),
    "labelstudio": text_breaker(break_json),
    "brat": text_breaker(break_ann),
    "xmi": text_breaker(break_xmi),
    "text": break_text,
}


# --- importing them -----------------------------------------------------------------------


def project_tables(db: Path) -> dict:
    with Store.open(db, create=False) as store:
        return dump(store)


def import_broken(importer: str, files: dict[str, bytes], template: Path, fmt: str) -> None:
    """Import the files as the command line does and check the outcome; see the docstring."""
    counts = OUTCOMES.setdefault(importer, Counter())
    counts["tried"] += 1
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "analyst_a"  # brat and XMI name the annotator by folder
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        target = folder / next(iter(files))
        db = Path(temporary) / "project.db"
        shutil.copy(template, db)
        before = project_tables(db)
        result = runner.invoke(
            app,
            ["--db", str(db), "import", str(target), "--format", fmt],
            catch_exceptions=False,
        )
        if result.exit_code == 0:
            counts["imported"] += 1
            with Store.open(db, create=False) as store:  # what went in comes out again
                export_project(store, "jsonl", Path(temporary) / "out.jsonl")
            return
        assert result.exit_code == 2, result.output
        message = result.stderr
        assert message.count("\n") == 1 and "Traceback" not in message, message
        place = re.match(r"(.+?):([0-9]+): \S", message)
        assert place is not None, f"no file:line: in {message!r}"
        assert Path(place.group(1)).parent == folder, message
        assert int(place.group(2)) >= 1, message
        assert project_tables(db) == before, message
        counts["refused"] += 1


def fuzz(importer: str, data, seeds, template) -> None:
    files = dict(data.draw(st.sampled_from(seeds[importer])))
    names = list(files)
    # Mostly the file imported; sometimes what lies beside it (brat's text, XMI's type system).
    name = names[0] if len(names) == 1 or data.draw(st.integers(0, 3)) else names[1]
    for _ in range(data.draw(st.integers(1, 2))):
        files[name] = BREAKERS[importer](data.draw, files[name])
    fmt = importer if data.draw(st.booleans()) else "auto"
    import_broken(importer, files, template, fmt)


@pytest.mark.parametrize(
    "importer", ["jsonl", "doccano", "prodigy", "labelstudio", "brat", "xmi", "text"]
)
@FUZZ
@given(data=st.data())
def test_a_broken_file_imports_or_is_refused_with_its_place(importer, data, seeds, template):
    fuzz(importer, data, seeds, template)
