"""Imports that used to end in a traceback, or in an error without a place (issue 15).

Every bad file is refused as ``file:line: reason`` (the command line: exit 2, that one
line on stderr), before anything is written, and alike on SQLite and PostgreSQL: what one
database would refuse, the other refuses too, so that a project moves between them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import limits
from db.store import Store, StoreError
from db.tables import Annotation, Annotator, Label, Relation
from desktop.cli import app
from desktop.formats import ImportOptions, InputError, export_project, import_paths
from tests.db.test_schema import dump
from tests.formats.project import build_rich

TEXT = "Kataib Hezbollah said the US strike killed its commander."
DEEP = "[" * 1000 + "]" * 1000  # deeper than Python's recursion limit lets json.loads go


def jsonl(*records: dict) -> str:
    """JSON lines as another tool writes them: ``json.dumps`` escapes a lone surrogate."""
    return "".join(json.dumps(record) + "\n" for record in records)


def document(**fields) -> dict:
    return {"type": "document", "text": TEXT, **fields}


def span(label="Actor", start=0, end=16, annotator="analyst_a", **fields) -> dict:
    return {"label": label, "start": start, "end": end, "annotator": annotator, **fields}


def doccano(**fields) -> dict:
    entities = [
        {"id": 1, "start_offset": 0, "end_offset": 16, "label": "Actor"},
        {"id": 2, "start_offset": 26, "end_offset": 35, "label": "Event"},
    ]
    return {"text": TEXT, "entities": entities, "relations": [], "annotator": "b", **fields}


def region(region_id="r1", start=0, end=16, labels=("Actor",)) -> dict:
    value = {"start": start, "end": end, "labels": list(labels)}
    return {
        "id": region_id,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": value,
    }


def label_studio(results: list, text: str = TEXT, **task) -> str:
    annotation = {"id": 1, "completed_by": 1, "result": results}
    return json.dumps([{"id": 1, "data": {"text": text}, "annotations": [annotation], **task}])


@dataclass
class Case:
    """A file (with the files it needs beside it) that an import must refuse."""

    files: dict[str, str]  # name -> content; the first is the one imported
    line: int
    reason: str  # what the message says after ``file:line: ``
    format: str = "auto"
    extra: dict[str, str] = field(default_factory=dict)

    def write(self, folder: Path) -> Path:
        for name, content in self.files.items():
            (folder / name).write_text(content, encoding="utf-8", errors="surrogatepass")
        return folder / next(iter(self.files))


TOO_LONG = "characters long; at most"
CASES = {
    # JSON nested a thousand levels deep
    "a Label Studio task nested a thousand levels deep": Case(
        {"tasks.json": f'[\n{{"data": {{"text": "{TEXT}"}}, "x": {DEEP}}}\n]'},
        2,
        "the task is nested too deeply to read",
    ),
    "a JSONL file whose first line, read to detect its format, is nested deeply": Case(
        {"articles.jsonl": f'{{"text": "{TEXT}", "x": {DEEP}}}\n'},
        1,
        "the metadata is nested more than 100 levels deep",
    ),
    "doccano metadata nested a thousand levels deep": Case(
        {"b.jsonl": jsonl(doccano()) + f'{{"text": "{TEXT}", "meta": {{"x": {DEEP}}}}}\n'},
        2,
        "the metadata is nested more than 100 levels deep",
        format="doccano",
    ),
    # a list where an id or a name is expected
    "a JSONL record whose type, read to detect the format, is a list": Case(
        {"p.jsonl": jsonl({"type": ["document"], "text": TEXT})},
        1,
        "unknown record type ['document']",
    ),
    "a doccano entity whose id is a list": Case(
        {"b.jsonl": jsonl(doccano(entities=[{**doccano()["entities"][0], "id": [1]}]))},
        1,
        "entity 1: 'id' should be a number or a string, not [1]",
    ),
    "a doccano relation whose from_id is a list": Case(
        {"b.jsonl": jsonl(doccano(relations=[{"from_id": [1], "to_id": 2, "type": "agent"}]))},
        1,
        "relation 1: 'from_id' should be a number or a string, not [1]",
    ),
    "a doccano relation whose to_id is an object": Case(
        {"b.jsonl": jsonl(doccano(relations=[{"from_id": 1, "to_id": {"id": 2}, "type": "x"}]))},
        1,
        "relation 1: 'to_id' should be a number or a string",
    ),
    "a Label Studio relation whose from_id is a list": Case(
        {
            "tasks.json": label_studio(
                [region(), {"type": "relation", "from_id": ["r1"], "to_id": "r1"}]
            )
        },
        1,
        'task 1: annotation 1: result 2: from_id ["r1"] names no labelled region',
    ),
    # the same label or review twice in one file
    "a label defined twice in one native file": Case(
        {"p.jsonl": jsonl({"type": "label", "name": "Place"}, {"type": "label", "name": "place "})},
        2,
        "label 'place' appears twice in the file (first on line 1)",
    ),
    "a review decision given twice in one native file": Case(
        {
            "p.jsonl": jsonl(
                document(reviews=[{"uuid": "r-1", "reviewer": "a", "kind": "x", "action": "y"}]),
                {
                    **document(text="Another article."),
                    "reviews": [{"uuid": "r-1", "reviewer": "a", "kind": "x", "action": "y"}],
                },
            )
        },
        2,
        "review uuid 'r-1' appears twice in the file (first on line 1)",
    ),
    # integers beyond the database's
    "a span version beyond 64 bits": Case(
        {"p.jsonl": jsonl(document(spans=[span(version=2**63)]))},
        1,
        "span 1: version 9223372036854775808 is out of range (1 to 2147483647)",
    ),
    "a span version beyond PostgreSQL's 32 bits": Case(
        {"p.jsonl": jsonl(document(spans=[span(version=2**40)]))},
        1,
        "span 1: version 1099511627776 is out of range",
    ),
    "a label position beyond 64 bits": Case(
        {"p.jsonl": jsonl({"type": "label", "name": "Place", "position": 2**63})},
        1,
        "label position 9223372036854775808 is out of range",
    ),
    "a confidence written as a 64-bit integer": Case(
        {"p.jsonl": jsonl(document(spans=[span(confidence=2**64 - 1)]))},
        0,
        "",
    ),
    "metadata holding an integer beyond 64 bits": Case(
        {
            "tasks.json": label_studio([region()]).replace(
                '"id": 1, "data"', f'"id": {10**30}, "data"'
            )
        },
        1,
        "the metadata holds an integer beyond 64 bits",
    ),
    "a number of five thousand digits": Case(
        {"tasks.json": label_studio([region(end="END")]).replace('"END"', "9" * 5000)},
        1,
        "the task holds a number too long to read",
    ),
    "a Label Studio score that is not a number (NaN)": Case(
        {
            "tasks.json": json.dumps(
                [
                    {
                        "data": {"text": TEXT},
                        "predictions": [{"score": float("nan"), "result": [region()]}],
                    }
                ]
            )
        },
        1,
        "task 1: prediction 1: score should be a finite number, not nan",
    ),
    # what PostgreSQL refused and SQLite took
    "a label longer than 100 characters": Case(
        {"p.jsonl": jsonl(document(spans=[span(label="L" * 101)]))},
        1,
        f"label name 'LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL'… is 101 {TOO_LONG} 100 fit",
    ),
    "a label record longer than 100 characters": Case(
        {
            "p.jsonl": jsonl(
                {"type": "label", "name": "Place"}, {"type": "label", "name": "L" * 101}
            )
        },
        2,
        f"label name 'LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL'… is 101 {TOO_LONG} 100 fit",
    ),
    "an annotator longer than 200 characters": Case(
        {
            "p.jsonl": jsonl(
                document(), document(text="Two.", spans=[span(end=3, annotator="A" * 201)])
            )
        },
        2,
        f"annotator name 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'… is 201 {TOO_LONG} 200 fit",
    ),
    "a relation type longer than 100 characters": Case(
        {
            "p.jsonl": jsonl(
                document(
                    spans=[span(uuid="s1"), span("Event", 26, 35, uuid="s2")],
                    relations=[{"type": "t" * 101, "head": "s2", "tail": "s1", "annotator": "a"}],
                )
            )
        },
        1,
        f"relation type 'tttttttttttttttttttttttttttttttttttttttt'… is 101 {TOO_LONG} 100 fit",
    ),
    "a span uuid longer than 36 characters": Case(
        {"p.jsonl": jsonl(document(spans=[span(uuid="u" * 37)]))},
        1,
        f"span uuid 'uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu' is 37 {TOO_LONG} 36 fit",
    ),
    "a NUL character in a document's text": Case(
        {"p.jsonl": jsonl(document(text="Kataib\x00 Hezbollah said"))},
        1,
        "the text holds a NUL character (U+0000) at character 7",
    ),
    "a NUL character in a label's name": Case(
        {"p.jsonl": jsonl(document(spans=[span(label="Act\x00or")]))},
        1,
        "label name holds a NUL character (U+0000) at character 4",
    ),
    "a NUL character in an annotator's name": Case(
        {"b.jsonl": jsonl(doccano(annotator="b\x00"))},
        1,
        "annotator name holds a NUL character (U+0000) at character 2",
    ),
    "a NUL character in a Prodigy article's title": Case(
        {"a.jsonl": jsonl({"text": TEXT, "meta": {"title": "A\x00"}, "answer": "accept"})},
        1,
        "the title holds a NUL character (U+0000) at character 2",
    ),
    # a lone surrogate: orjson refuses it, Python's json (Label Studio) took it
    "a lone surrogate in a Label Studio text": Case(
        {"tasks.json": label_studio([region()], text=TEXT + " \ud83d")},
        1,
        f"the text holds a lone surrogate (U+D83D) at character {len(TEXT) + 2}",
    ),
    "a lone surrogate in a Label Studio label": Case(
        {"tasks.json": label_studio([region(labels=["Act\udc00or"])])},
        1,
        "label name holds a lone surrogate (U+DC00) at character 4",
    ),
    # brat offsets in other digits, or with thousands of them
    "a brat offset in superscript digits": Case(
        {"a.ann": "T1\tActor 0 1²\tKataib Hezbollah\n", "a.txt": TEXT},
        1,
        "offsets should be 'START END', found '0 1²'",
    ),
    "a brat offset in Arabic-Indic digits": Case(
        {"a.ann": "T1\tActor 0 ١٦\tKataib Hezbollah\n", "a.txt": TEXT},
        1,
        "offsets should be 'START END', found '0 ١٦'",
    ),
    "a brat offset of five thousand digits": Case(
        {
            "a.ann": "T1\tActor 0 16\tKataib Hezbollah\nT2\tEvent 0 " + "9" * 5000 + "\tx\n",
            "a.txt": TEXT,
        },
        2,
        "offsets should be 'START END', found '0 999999999",
    ),
    "a brat link to an entity of a type longer than 100 characters": Case(
        {
            "a.ann": f"T1\t{'L' * 101} 0 16\tKataib Hezbollah\nN1\tReference T1 Wikipedia:1\tKH\n",
            "a.txt": TEXT,
        },
        2,
        f"entity label 'LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL'… is 101 {TOO_LONG} 100 fit",
    ),
    # a span naming what is not there
    "a span linked to an entity that is not there": Case(
        {"p.jsonl": jsonl(document(spans=[span(entity="0b8f2f7e-6f2a-4c3e-9d43-7c1e0f6f9a11")]))},
        1,
        "the span links to entity 0b8f2f7e-6f2a-4c3e-9d43-7c1e0f6f9a11, which is neither in the "
        "file nor in the project",
    ),
    "a review decision by no one": Case(
        {"p.jsonl": jsonl(document(reviews=[{"reviewer": "  ", "kind": "x", "action": "y"}]))},
        1,
        "reviewer name is empty",
    ),
    "an entity of a label with no name": Case(
        {"p.jsonl": jsonl({"type": "entity", "name": "Kataib Hezbollah", "label": " "})},
        1,
        "entity label is empty",
    ),
}
REFUSED = {name: case for name, case in CASES.items() if case.line}


def place_of(message: str) -> tuple[str, int, str]:
    found = re.fullmatch(r"(.+?):([0-9]+): (.+)", message, re.DOTALL)
    assert found, f"no file:line: in {message!r}"
    return found.group(1), int(found.group(2)), found.group(3)


@pytest.fixture
def project(db_url, corpus):
    """A project on SQLite and on PostgreSQL with a seed article in it, so that "nothing
    written" means something."""
    store = Store.open(db_url)
    import_paths(store, [corpus / "000_f40a1a98859d52a1.txt"])
    yield store
    store.close()


@pytest.mark.parametrize("name", REFUSED)
def test_a_bad_file_is_refused_with_its_place_and_nothing_written(name, project, tmp_path):
    case = REFUSED[name]
    path = case.write(tmp_path)
    before = dump(project)
    with pytest.raises(InputError) as refused:
        import_paths(project, [path], ImportOptions(format=case.format))
    where, line, reason = place_of(str(refused.value))
    assert (where, line) == (str(path), case.line)
    assert reason.startswith(case.reason), reason
    assert dump(project) == before


@pytest.mark.parametrize("name", REFUSED)
def test_the_command_line_says_it_on_one_line_and_exits_2(name, tmp_path, corpus):
    case = REFUSED[name]
    path = case.write(tmp_path)
    db = tmp_path / "p.db"
    runner = CliRunner()
    seeded = runner.invoke(
        app, ["--db", str(db), "import", str(corpus / "001_4932432c3956f33a.txt")]
    )
    assert seeded.exit_code == 0, seeded.output
    with Store.open(db) as store:
        before = dump(store)
    result = runner.invoke(
        app, ["--db", str(db), "import", str(path), "--format", case.format], catch_exceptions=False
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"{path}:{case.line}: {case.reason}")
    assert result.stdout == ""
    with Store.open(db) as store:
        assert dump(store) == before


def test_a_confidence_given_as_an_integer_of_64_bits_is_kept_as_a_number(project, tmp_path):
    path = CASES["a confidence written as a 64-bit integer"].write(tmp_path)
    report = import_paths(project, [path])
    (span_record,) = project.spans(report.summary.document_ids[0])
    assert span_record.confidence == float(2**64 - 1)


def test_a_label_defined_in_two_files_of_one_import_is_one_label(project, tmp_path):
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    first.write_text(jsonl({"type": "label", "name": "Place", "colour": "#111111"}))
    second.write_text(jsonl({"type": "label", "name": "place", "colour": "#222222"}, document()))
    import_paths(project, [first, second])
    places = [label for label in project.labels() if label.name.lower() == "place"]
    assert [(label.name, label.colour) for label in places] == [("Place", "#111111")]


def test_a_review_decision_in_two_files_of_one_import_is_kept_once(project, tmp_path):
    review = {"uuid": "r-1", "reviewer": "a", "kind": "agreed", "action": "accept"}
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    first.write_text(jsonl(document(reviews=[review])))
    second.write_text(jsonl(document(reviews=[review])))
    report = import_paths(project, [first, second])
    assert len(project.review_decisions(report.summary.document_ids)) == 1


def test_a_per_region_text_with_a_list_for_id_names_no_region(project, tmp_path):
    note = {"id": ["r1"], "type": "textarea", "from_name": "note", "value": {"text": ["x"]}}
    path = tmp_path / "tasks.json"
    path.write_text(label_studio([region(), note]))
    report = import_paths(project, [path], ImportOptions(annotator="b"))
    (span_record,) = project.spans(report.summary.document_ids[0])
    assert (span_record.label, span_record.note) == ("Actor", "")


def test_a_store_error_names_a_file_whose_name_holds_a_colon(project, tmp_path):
    path = tmp_path / "notes: 2024:3.jsonl"
    path.write_text(jsonl(document(), document(text="Two.", spans=[span(end=3, label="L" * 101)])))
    with pytest.raises(InputError) as refused:
        import_paths(project, [path])
    assert (refused.value.path, refused.value.line) == (str(path), 2)


def test_what_an_import_took_can_be_exported_again(project, tmp_path):
    """Values at the limits go in and come out again (orjson writes what they hold)."""
    meta = {"deep": json.loads("[" * 99 + "]" * 99), "big": 2**64 - 1, "nul": "a\x00b"}
    path = tmp_path / "p.jsonl"
    path.write_text(
        jsonl(
            {"type": "label", "name": "L" * 100},
            document(
                meta=meta, spans=[span(label="L" * 100, annotator="A" * 200, version=2**31 - 1)]
            ),
        )
    )
    import_paths(project, [path])
    export_project(project, "jsonl", tmp_path / "out.jsonl")
    assert "L" * 100 in (tmp_path / "out.jsonl").read_text(encoding="utf-8")


# --- the store refuses the same values when a person types them --------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"name": "L" * 101},
            f"label name 'LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL'… is 101 {TOO_LONG} 100",
        ),
        ({"name": "Pla\x00ce"}, "label name holds a NUL character (U+0000) at character 4"),
        (
            {"name": "Place", "colour": "#0072B2FF00"},
            f"label colour '#0072B2FF00' is 11 {TOO_LONG} 9",
        ),
        ({"name": "Place", "shortcut": "k" * 21}, f"is 21 {TOO_LONG} 20"),
        ({"name": "Place", "description": "a\x00"}, "label description holds a NUL"),
    ],
)
def test_a_label_no_database_can_hold_is_refused(store, fields, reason):
    count = len(store.labels())
    with pytest.raises(StoreError, match=re.escape(reason)):
        store.add_label(**fields)
    with pytest.raises(StoreError, match=re.escape(reason)):
        store.update_label(store.labels()[0].id, **fields)
    assert len(store.labels()) == count
    assert store.labels()[0].name == "Claim"


def test_an_annotator_no_database_can_hold_is_refused(store):
    with pytest.raises(StoreError, match=f"is 201 {TOO_LONG} 200 fit"):
        store.ensure_annotator("A" * 201)
    with pytest.raises(StoreError, match="annotator name holds a NUL"):
        store.ensure_annotator("analyst\x00")
    assert store.annotators() == []
    assert store.ensure_annotator("A" * 200).name == "A" * 200


def test_the_limits_are_those_of_the_tables():
    assert limits.LABEL_NAME == Label.__table__.c.name.type.length == 100
    assert limits.ANNOTATOR_NAME == Annotator.__table__.c.name.type.length == 200
    assert limits.RELATION_TYPE == Relation.__table__.c.type.type.length == 100
    assert limits.UUID == Annotation.__table__.c.uuid.type.length == 36


@pytest.mark.parametrize(
    ("check", "value", "reason"),
    [
        (limits.check_text, "a\ud800", "holds a lone surrogate (U+D800) at character 2"),
        (limits.check_integer, 2**31, "is out of range (-2147483648 to 2147483647)"),
        (limits.check_integer, 10**40, "a number of 41 digits is out of range"),
        (limits.check_real, float("inf"), "should be a finite number, not inf"),
        (limits.check_real, 10**400, "should be a finite number, not inf"),
        (limits.check_json, [{"a": 2**64}], "holds an integer beyond 64 bits"),
        (limits.check_json, json.loads("[" * 101 + "]" * 101), "nested more than 100 levels"),
        (limits.check_json, {"a\udfff": 1}, "holds a lone surrogate (U+DFFF)"),
        (limits.check_json, [float("nan")], "should be a finite number, not nan"),
    ],
)
def test_each_limit_says_what_is_wrong(check, value, reason):
    with pytest.raises(limits.LimitError, match=re.escape(reason)):
        check(value, "it")


def test_json_at_the_limits_passes():
    value = {"deep": json.loads("[" * 99 + "]" * 99), "nul": "\x00", "big": -(2**63), "x": None}
    assert limits.check_json(value, "it") is value


def test_the_rich_project_exports_and_imports_within_the_limits(memory_store, tmp_path):
    build_rich(memory_store)
    export_project(memory_store, "jsonl", tmp_path / "rich.jsonl")
    with Store.open(tmp_path / "again.db") as again:
        import_paths(again, [tmp_path / "rich.jsonl"])
        assert len(again.document_ids()) == 3


def test_a_label_named_with_a_line_break_is_refused_on_import_as_in_the_window(tmp_path):
    from db.store import Store
    from desktop.formats import import_paths
    from desktop.formats.base import InputError

    source = tmp_path / "tagged.jsonl"
    source.write_text(
        '{"text": "Kataib Hezbollah warned.", "spans": [{"start": 0, "end": 16, '
        '"label": "Act\\u0085or", "annotator": "ana"}]}\n',
        encoding="utf-8",
    )
    with Store.open(tmp_path / "p.db") as store:
        with pytest.raises(InputError, match=r"tagged\.jsonl:1: .*control character"):
            import_paths(store, [source])
        assert store.document_count() == 0
        assert store.label_by_name("Act\x85or") is None
