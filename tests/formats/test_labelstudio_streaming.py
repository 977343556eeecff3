"""Label Studio files read as a stream: the same documents, spans, relations and annotators
whatever the size of each read, a task cut by the end of a read at every place, the same
``file:line: reason`` for bad input, a malformed task reported without reading on, and
parts that arrive before the file has been read to its end."""

from __future__ import annotations

import codecs
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from desktop.formats import ExportOptions, ImportOptions, InputError, export_project, import_paths
from desktop.formats.base import merged
from desktop.formats.labelstudio import PREDICTIONS_BY_ID, READ_SIZE, _Tasks, read, read_parts
from tests.formats.project import snapshot

DATA = Path(__file__).with_name("data")
READ_SIZES = [1, 7, 64, 4096, READ_SIZE]
OPTIONS = ImportOptions(format="labelstudio")


def contents(result, path: Path) -> dict:
    """Everything read from a file, with the uuids made up on reading (for region ids that
    are not uuids, or are taken) replaced by their place, so that two readings compare equal."""
    text = path.read_bytes().decode("utf-8", "replace")
    places: dict[str, str] = {}
    documents = []
    for number, document in enumerate(result.batch.documents):
        for index, span in enumerate(document.spans):
            if span.uuid not in text:
                places[span.uuid] = f"{number}.{index}"
        documents.append(asdict(document))
    for fields in documents:
        for span in fields["spans"]:
            span["uuid"] = places.get(span["uuid"], span["uuid"])
        for relation in fields["relations"]:
            relation["head_uuid"] = places.get(relation["head_uuid"], relation["head_uuid"])
            relation["tail_uuid"] = places.get(relation["tail_uuid"], relation["tail_uuid"])
    return {
        "documents": documents,
        "labels": result.batch.labels,
        "annotators": result.batch.annotators,
        "skipped": result.skipped,
        "attributed": result.attributed,
    }


def read_with(path: Path, read_size: int, options: ImportOptions = OPTIONS):
    return merged(read_parts(path, options, read_size=read_size))


def refusal(path: Path, read_size: int) -> str:
    with pytest.raises(InputError) as caught:
        read_with(path, read_size)
    return str(caught.value)


# --- the same content whatever the size of a read ------------------------------------------


@pytest.fixture(scope="module")
def analysts_export(tmp_path_factory) -> Path:
    """The two analysts' annotations of the seed corpus, exported by Dossier to Label Studio."""
    from db.store import Store
    from tests.conftest import CORPUS

    store = Store.open(":memory:")
    try:
        import_paths(store, [CORPUS])
        out = tmp_path_factory.mktemp("labelstudio") / "analysts.json"
        export_project(store, "labelstudio", out, ExportOptions())
    finally:
        store.close()
    return out


@pytest.mark.parametrize("read_size", READ_SIZES)
def test_the_analysts_annotations_read_the_same_whatever_the_read_size(analysts_export, read_size):
    whole = read(analysts_export, OPTIONS)
    assert len(whole.batch.documents) == 5
    assert sum(len(d.spans) for d in whole.batch.documents) == 64
    assert {s.annotator for d in whole.batch.documents for s in d.spans} == {
        "analyst_a",
        "analyst_b",
    }
    assert contents(read_with(analysts_export, read_size), analysts_export) == contents(
        whole, analysts_export
    )


@pytest.mark.parametrize("read_size", READ_SIZES)
@pytest.mark.parametrize(
    "name", ["label-studio-1.23.2-export.json", "label-studio-1.23.2-export-with-predictions.json"]
)
def test_label_studio_s_own_exports_read_the_same_whatever_the_read_size(name, read_size):
    path = DATA / name
    whole = read_with(path, 1 << 30)  # one read: the file whole, as before streaming
    assert whole.batch.documents and any(d.relations for d in whole.batch.documents)
    assert contents(read_with(path, read_size), path) == contents(whole, path)


# Text that a cut can hurt: an emoji (one code point, four UTF-8 bytes), a combining accent,
# CRLF, and brackets, braces, quotes and commas inside strings.
TRICKY = 'A 😀 "quote" [sic], {not: "JSON"}, ]},{ Cafe\u0301\r\nsaid: [1, 2] }\r\n'


def tricky_task(number: int) -> dict:
    start = TRICKY.index("Cafe")
    return {
        "id": number,
        "data": {"text": f"{number}. {TRICKY}", "title": f"[{number}] {{title}} 😀"},
        "meta": {"annotators": {"7": "analyst 😀 [b]"}},
        "annotations": [
            {
                "id": 7,
                "result": [
                    {
                        "id": f"r{number}",
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {
                            "start": start + len(f"{number}. "),
                            "end": start + len(f"{number}. ") + 5,
                            "text": "Cafe\u0301",
                            "labels": ["Actor"],
                        },
                    },
                    {
                        "id": "a",
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": 0, "end": 1, "labels": ["Event"], "score": 0.5},
                    },
                    {"from_id": f"r{number}", "to_id": "a", "type": "relation", "labels": ["]"]},
                ],
            },
            {"id": 8, "was_cancelled": True, "result": []},
        ],
        "predictions": [3],
    }


def tricky_file(path: Path) -> list[str]:
    """Three tasks: the first with \\uXXXX escapes (the emoji as a surrogate pair), the
    others with characters as they are; CRLF between them and a BOM before them."""
    tasks = [
        json.dumps(tricky_task(1), ensure_ascii=True),
        json.dumps(tricky_task(2), ensure_ascii=False, indent=1),
        json.dumps(tricky_task(3), ensure_ascii=False),
    ]
    assert "\\ud83d\\ude00" in tasks[0]
    path.write_bytes(codecs.BOM_UTF8 + ("[\r\n" + ",\r\n".join(tasks) + "\r\n]\r\n").encode())
    return tasks


def test_a_task_cut_by_the_end_of_a_read_at_every_place_reads_the_same(tmp_path):
    path = tmp_path / "tricky.json"
    tasks = tricky_file(path)
    whole = read_with(path, 1 << 30)
    [first, second, third] = whole.batch.documents
    assert first.text == "1. " + TRICKY and "😀" in first.text
    lines = [2, 3, 4 + tasks[1].count("\n")]
    assert [d.where for d in whole.batch.documents] == [f"{path}:{line}" for line in lines]
    assert {s.annotator for s in first.spans} == {"analyst 😀 [b]"}
    assert whole.skipped == {"cancelled annotations": 3, PREDICTIONS_BY_ID: 3}
    expected = contents(whole, path)
    size = len(path.read_bytes())
    for read_size in range(1, size + 1):
        assert contents(read_with(path, read_size), path) == expected, read_size


@pytest.mark.parametrize("read_size", [1, 5, 64])
@pytest.mark.parametrize("shape", ["lone object", "JSON lines", "empty list"])
def test_a_lone_object_json_lines_and_an_empty_list_read_the_same(tmp_path, shape, read_size):
    path = tmp_path / "tasks.json"
    if shape == "lone object":
        path.write_text(json.dumps(tricky_task(1), ensure_ascii=False, indent=2), "utf-8")
    elif shape == "JSON lines":
        lines = (json.dumps(tricky_task(n), ensure_ascii=n == 2) for n in (1, 2, 3))
        path.write_text("\n".join(lines) + "\n\n", "utf-8")
    else:
        path.write_text(" \r\n[ \n ]\n", "utf-8")
    whole = read_with(path, 1 << 30)
    assert len(whole.batch.documents) == {"lone object": 1, "JSON lines": 3, "empty list": 0}[shape]
    if shape == "JSON lines":
        assert [d.where for d in whole.batch.documents] == [f"{path}:{n}" for n in (1, 2, 3)]
    assert contents(read_with(path, read_size), path) == contents(whole, path)


def test_a_utf16_file_is_read_whole_as_before(tmp_path):
    path = tmp_path / "tasks.json"
    text = "[\n" + json.dumps(tricky_task(1), ensure_ascii=False) + "\n]\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    [document] = read_with(path, 3).batch.documents
    assert document.text == "1. " + TRICKY and document.where == f"{path}:2"


@pytest.mark.parametrize("read_size", [1, 2, 3, 5])
def test_values_cut_by_the_end_of_a_read_are_read_whole(tmp_path, read_size):
    """A number, a literal or an escape that a read cuts in two is not taken for a shorter one."""
    values = [12345, -1.5e-10, True, None, "ab]c,{", "😀", {"x": [1, 22, 333]}, []]
    path = tmp_path / "values.json"
    path.write_text(json.dumps(values), "utf-8")
    assert [task for _, task in _Tasks(path, read_size)] == values


# --- bad input: the same message whatever the size of a read --------------------------------

GOOD = json.dumps(tricky_task(1), ensure_ascii=False)
BAD_FILES = {
    # (content, the whole message after "file:")
    "a missing comma inside a task": (
        f'[\n{GOOD},\n{{"data": {{"text": "[x] {{y}}"}}\n "id": 2}}\n]\n',
        "4: malformed JSON (Expecting ',' delimiter at column 2)",
    ),
    "a missing closing brace at the end": (
        f'[\n{GOOD},\n{{"data": {{"text": "oops"}}\n]\n',
        "4: malformed JSON (Expecting ',' delimiter at column 1)",
    ),
    "a string never closed at the end of the file": (
        f'[\n{GOOD},\n{{"data": {{"text": "oops',
        "3: malformed JSON (Unterminated string starting at column 19)",
    ),
    "a line break inside a string": (
        f'[\n{GOOD},\n{{"data": {{"text": "two\nlines"}}}}\n]\n',
        "3: malformed JSON (Invalid control character at column 23)",
    ),
    "a bad escape": (
        f'[\n{GOOD}, {{"data": {{"text": "\\uZZZZ"}}}}\n]\n',
        f"2: malformed JSON (Invalid \\uXXXX escape at column {len(GOOD) + 23})",
    ),
    "a list cut short": (f"[\n{GOOD},\n", "3: malformed JSON (Expecting value at column 1)"),
    "a task that is not an object": (
        f"[\n{GOOD},\n 12345]",
        "3: task 2: expected an object, found int",
    ),
    "a missing comma between tasks": (f"[\n{GOOD}\n{GOOD}]", "3: expected ',' or ']' after a task"),
    "text after the list": (f"[\n{GOOD}\r\n]\r\n\r\n x", "3: text after the end of the task list"),
    "an empty file": (" \r\n\n", "1: the file is empty: there are no tasks"),
    "a task nested too deeply": (
        f'[\n{GOOD},\n{{"data": {{"text": "x"}}, "x": {"[" * 5000}{"]" * 5000}}}]',
        "3: the task is nested too deeply to read",
    ),
    "a number too long": (
        f'[\n{GOOD},\n{{"data": {{"text": "x"}}, "x": {"9" * 5000}}}]',
        "3: the task holds a number too long to read",
    ),
    "JSON lines with a bad line": (
        f"{GOOD}\n{GOOD}\n{{]\n",
        "3: malformed JSON (Expecting property name enclosed in double quotes at column 2)",
    ),
}


@pytest.mark.parametrize("read_size", READ_SIZES)
@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_input_gives_the_same_file_line_and_reason_whatever_the_read_size(
    tmp_path, case, read_size
):
    content, message = BAD_FILES[case]
    path = tmp_path / "tasks.json"
    path.write_text(content, "utf-8")
    assert refusal(path, read_size) == f"{path}:{message}"


@pytest.mark.parametrize("read_size", READ_SIZES)
@pytest.mark.parametrize(
    "bad,message",
    [
        (b"\xff", "not UTF-8 (byte 0xff); save the file as UTF-8 or UTF-16 with a byte-order mark"),
        # an emoji's first three bytes, then a line break
        (
            b"\xf0\x9f\x98\n",
            "not UTF-8 (byte 0xf0); save the file as UTF-8 or UTF-16 with a byte-order mark",
        ),
        (b"\x00", "binary data (NUL byte), not a text file"),
    ],
)
def test_bad_bytes_are_located_as_before(tmp_path, bad, message, read_size):
    path = tmp_path / "tasks.json"
    head = f"[\n{GOOD},\n{GOOD},\n".encode()
    path.write_bytes(head + b'{"data": {"text": "' + bad + b'"}}]\n')
    assert refusal(path, read_size) == f"{path}:4: {message}"


# --- reading no further than needed ----------------------------------------------------------


def large_file(path: Path, tasks: int, bad_task: str | None = None, tail: bytes = b"") -> Path:
    """``tasks`` tasks of about 10 kB each, the third one ``bad_task`` if given, then ``tail``
    before the closing bracket."""
    text = ("A report on the strike 😀, with [brackets] and {braces}.\r\n" * 180).rstrip()
    with path.open("wb") as out:
        out.write(b"[\n")
        for number in range(1, tasks + 1):
            task = {"data": {"text": f"{number}: {text}"}, "annotations": []}
            line = bad_task if number == 3 and bad_task else json.dumps(task, ensure_ascii=False)
            out.write(line.encode() + (b",\n" if number < tasks else b"\n"))
        out.write(tail + b"]\n")
    return path


def test_a_malformed_task_early_in_a_large_file_is_reported_without_reading_on(tmp_path):
    """A reader that took the error for a task cut short would read on to the end, and
    meet the invalid byte there first: the malformed task is what is reported."""
    path = large_file(
        tmp_path / "large.json", 3000, bad_task='{"data": {"text": "[oops"]}', tail=b"\xff"
    )
    assert path.stat().st_size > 25 * READ_SIZE
    assert refusal(path, READ_SIZE) == (
        f"{path}:4: malformed JSON (Expecting ',' delimiter at column 26)"
    )


def test_an_unterminated_string_early_in_a_large_file_is_reported_without_reading_on(tmp_path):
    path = large_file(
        tmp_path / "large.json", 3000, bad_task='{"data": {"text": "oops}}', tail=b"\xff"
    )
    assert refusal(path, READ_SIZE).startswith(
        f"{path}:4: malformed JSON (Invalid control character"
    )


def test_parts_arrive_before_the_file_is_read_to_its_end(tmp_path):
    path = large_file(tmp_path / "large.json", 3000)
    size = path.stat().st_size
    parts = read_parts(path, OPTIONS, 100)
    first = next(parts)
    assert len(first.batch.documents) == 100
    assert first.read <= 2 * READ_SIZE < size // 10  # about 1 MB of a 30 MB file
    reads = [first.read] + [part.read for part in parts]
    assert reads == sorted(reads) and reads[-1] == size
    assert len(reads) >= 30


# --- through the store: one transaction ------------------------------------------------------


def test_an_error_in_a_late_part_leaves_the_project_unchanged(store, tmp_path):
    path = large_file(tmp_path / "large.json", 40, tail=b',{"data": {"text": ""}}\n')
    before = snapshot(store)
    with pytest.raises(InputError) as caught:
        import_paths(store, [path], OPTIONS, part_size=5)
    assert str(caught.value) == f"{path}:42: task 41: the text is empty"
    assert snapshot(store) == before
    good = large_file(tmp_path / "good.json", 40)
    report = import_paths(store, [good], OPTIONS, part_size=5)
    assert report.summary.documents_added == store.document_count() == 40
