"""Imports check spans and relations against the label schemas: a value outside its schema,
a relation to a label the schema does not allow, or to a span that is not there, is
``file:line: reason`` (exit code 2 from the CLI) and nothing is written. The native JSONL
carries each label's schema, byte for byte across a round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from db.schema import default_schemas
from db.store import Store
from desktop.cli import app
from desktop.formats import InputError, export_project, import_paths
from desktop.formats.base import ImportOptions
from tests.db.test_schema import dump, label_schemas

TEXT = "Kataib Hezbollah said the strike on Jurf al-Sakhar killed 3 👍🏽 people."
ACTOR = (0, 16)
CLAIM = (17, 40)
EVENT = (TEXT.index("strike"), TEXT.index("strike") + 6)

runner = CliRunner()


def cli_import(db: Path, path: Path):
    return runner.invoke(
        app, ["--db", str(db), "import", str(path), "--annotator", "b"], catch_exceptions=False
    )


def write_lines(path: Path, records: list[dict]) -> Path:
    path.write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records),
        encoding="utf-8",
    )
    return path


def span(uuid: str, label: str, offsets: tuple[int, int], **fields) -> dict:
    start, end = offsets
    return {"uuid": uuid, "label": label, "start": start, "end": end, **fields}


def native_document(spans: list[dict], relations: list[dict] = ()) -> dict:
    return {
        "type": "document",
        "text": TEXT,
        "title": "strike",
        "annotator": "b",
        "spans": spans,
        "relations": list(relations),
    }


def good_spans() -> list[dict]:
    return [
        span("s-actor", "Actor", ACTOR, attributes={"type": "armed group"}),
        span("s-claim", "Claim", CLAIM, attributes={"stance": "opposes"}),
        span(
            "s-event",
            "Event",
            EVENT,
            attributes={"type": "ASSAULT", "date": "2024-01", "fatalities": 3},
        ),
    ]


@pytest.fixture
def seeded(tmp_path, corpus) -> Path:
    """A project with the seed articles in it, so that "nothing written" means something."""
    db = tmp_path / "p.db"
    result = runner.invoke(
        app, ["--db", str(db), "import", str(corpus / "000_f40a1a98859d52a1.txt")]
    )
    assert result.exit_code == 0, result.output
    return db


def dump_of(db: Path) -> dict:
    with Store.open(db, create=False) as store:
        return dump(store)


NATIVE_REFUSALS = {
    "a value outside its choices": (
        [
            native_document(good_spans()),
            native_document(
                [span("s-x", "Event", EVENT, attributes={"type": "RIOT"})],
            ),
        ],
        2,
        "Event: type 'RIOT' is not one of its 16 choices",
    ),
    "a date that does not exist": (
        [native_document([span("s-x", "Event", EVENT, attributes={"date": "2024-02-30"})])],
        1,
        "Event: date '2024-02-30' is not an ISO date (2024-02-03, 2024-W05, 2024-02 or 2024)",
    ),
    "an ISO week past the year's last": (
        [native_document([span("s-x", "Event", EVENT, attributes={"date": "2024-W54"})])],
        1,
        "Event: date '2024-W54' is not an ISO date (2024-02-03, 2024-W05, 2024-02 or 2024)",
    ),
    "a number as text": (
        [native_document([span("s-x", "Event", EVENT, attributes={"fatalities": "3"})])],
        1,
        "Event: fatalities should be a number, not '3'",
    ),
    "a relation to a label the schema does not allow": (
        [
            {"text": "Another article."},
            native_document(
                good_spans(),
                [{"type": "source", "head": "s-claim", "tail": "s-event"}],
            ),
        ],
        2,
        "a Claim's source points at Actor, not at Event",
    ),
    "a relation to a span that does not exist": (
        [
            native_document(
                good_spans(),
                [{"type": "agent", "head": "s-event", "tail": "s-gone"}],
            )
        ],
        1,
        "relation 1: points at span 's-gone', which the record does not have",
    ),
}


@pytest.mark.parametrize("case", sorted(NATIVE_REFUSALS))
def test_the_cli_refuses_a_native_file_with_file_line_and_exit_2(seeded, tmp_path, case):
    records, line, reason = NATIVE_REFUSALS[case]
    path = write_lines(tmp_path / "bad.jsonl", records)
    before = dump_of(seeded)
    result = cli_import(seeded, path)
    assert result.exit_code == 2
    assert result.stderr == f"{path}:{line}: {reason}\n"
    assert result.stdout == ""
    assert dump_of(seeded) == before


@pytest.mark.parametrize("case", sorted(NATIVE_REFUSALS))
def test_import_paths_refuses_a_native_file_and_writes_nothing(store, tmp_path, case):
    records, line, reason = NATIVE_REFUSALS[case]
    path = write_lines(tmp_path / "bad.jsonl", records)
    import_paths(store, [write_lines(tmp_path / "good.jsonl", [{"text": "Already here."}])])
    before = dump(store)
    with pytest.raises(InputError) as caught:
        import_paths(store, [path])
    assert (caught.value.path, caught.value.line, caught.value.reason) == (str(path), line, reason)
    assert dump(store) == before


def test_the_same_file_without_its_mistakes_goes_in(store, tmp_path):
    path = write_lines(
        tmp_path / "good.jsonl",
        [
            native_document(
                good_spans(),
                [
                    {"type": "source", "head": "s-claim", "tail": "s-actor"},
                    {"type": "agent", "head": "s-event", "tail": "s-actor"},
                    {"type": "location", "head": "s-event", "tail": "s-claim"},
                ],
            )
        ],
    )
    report = import_paths(store, [path])
    assert (report.summary.spans_added, report.summary.relations_added) == (3, 3)
    event = store.span("s-event")
    assert event.attributes == {"type": "ASSAULT", "date": "2024-01", "fatalities": 3}


def test_a_file_brings_its_own_schema_into_an_empty_project(store, tmp_path):
    """The file's label lines replace a new project's schemas, and its spans are checked
    against the file's schema, not the defaults."""
    schema = {
        "attributes": [{"name": "type", "kind": "choice", "values": ["RIOT"]}],
        "relations": [{"type": "agent", "targets": ["Claim"], "many": True}],
    }
    labels = [
        {"type": "label", "name": name, "schema": schema if name == "Event" else {}}
        for name in ("Claim", "Actor", "Event")
    ]
    riot = native_document(
        [
            span("s-claim", "Claim", CLAIM),
            span("s-event", "Event", EVENT, attributes={"type": "RIOT"}),
        ],
        [{"type": "agent", "head": "s-event", "tail": "s-claim"}],
    )
    import_paths(store, [write_lines(tmp_path / "own.jsonl", [*labels, riot])])
    assert store.label_by_name("Event").schema.to_json() == {
        "attributes": [
            {"name": "type", "kind": "choice", "values": ["RIOT"], "required": False,
             "description": ""}
        ],
        "relations": [
            {"type": "agent", "targets": ["Claim"], "many": True, "required": False,
             "key": None, "description": ""}
        ],
    }  # fmt: skip
    assert store.span("s-event").attributes == {"type": "RIOT"}
    assert [r.type for r in store.relations(store.span("s-event").document_id)] == ["agent"]


def test_a_label_line_with_a_bad_schema_names_its_line(store, tmp_path):
    path = write_lines(
        tmp_path / "bad.jsonl",
        [
            {"type": "label", "name": "Claim", "schema": {}},
            {
                "type": "label",
                "name": "Event",
                "schema": {"attributes": [{"name": "type", "kind": "choice"}]},
            },
        ],
    )
    before = dump(store)
    with pytest.raises(InputError) as caught:
        import_paths(store, [path])
    assert (
        str(caught.value) == f"{path}:2: label 'Event': attribute 'type': a choice needs its values"
    )
    assert dump(store) == before


# --- Label Studio and doccano ----------------------------------------------------------------


def region(region_id: str, label: str, offsets: tuple[int, int]) -> dict:
    start, end = offsets
    return {
        "id": region_id,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "labels": [label]},
    }


def choice(region_id: str, name: str, value: str) -> dict:
    return {
        "id": region_id,
        "from_name": name,
        "to_name": "text",
        "type": "choices",
        "value": {"choices": [value]},
    }


def link(head: str, tail: str, kind: str) -> dict:
    return {"from_id": head, "to_id": tail, "type": "relation", "labels": [kind]}


def label_studio_file(path: Path, results: list[dict]) -> Path:
    """Two tasks: a fine one on lines 2-4, the one with ``results`` from line 5."""
    tasks = [
        {"data": {"text": "A fine task."}, "annotations": []},
        {"data": {"text": TEXT}, "annotations": [{"id": 1, "result": results}]},
    ]
    path.write_text(
        "[\n" + ",\n".join(json.dumps(task, indent=1) for task in tasks) + "\n]\n",
        encoding="utf-8",
    )
    return path


def task_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return max(number for number, line in enumerate(lines, start=1) if line == "{")


LABEL_STUDIO_REFUSALS = {
    "a choice outside the schema": (
        [region("e", "Event", EVENT), choice("e", "type", "RIOT")],
        "Event: type 'RIOT' is not one of its 16 choices",
    ),
    "a date that does not exist": (
        [region("e", "Event", EVENT), choice("e", "date", "2023-02-29")],
        "Event: date '2023-02-29' is not an ISO date (2024-02-03, 2024-W05, 2024-02 or 2024)",
    ),
    "a relation to a label the schema does not allow": (
        [region("c", "Claim", CLAIM), region("e", "Event", EVENT), link("c", "e", "source")],
        "a Claim's source points at Actor, not at Event",
    ),
    "a relation to a region that does not exist": (
        [region("e", "Event", EVENT), link("e", "nowhere", "agent")],
        "task 2: annotation 1: result 2: to_id 'nowhere' names no labelled region",
    ),
}


@pytest.mark.parametrize("case", sorted(LABEL_STUDIO_REFUSALS))
def test_the_cli_refuses_a_label_studio_file(seeded, tmp_path, case):
    results, reason = LABEL_STUDIO_REFUSALS[case]
    path = label_studio_file(tmp_path / "tasks.json", results)
    before = dump_of(seeded)
    result = cli_import(seeded, path)
    assert result.exit_code == 2
    assert result.stderr == f"{path}:{task_line(path)}: {reason}\n"
    assert dump_of(seeded) == before


@pytest.mark.parametrize("case", sorted(LABEL_STUDIO_REFUSALS))
def test_import_paths_refuses_a_label_studio_file(store, tmp_path, case):
    results, reason = LABEL_STUDIO_REFUSALS[case]
    path = label_studio_file(tmp_path / "tasks.json", results)
    before = dump(store)
    with pytest.raises(InputError) as caught:
        import_paths(store, [path], ImportOptions(format="labelstudio"))
    assert (caught.value.line, caught.value.reason) == (task_line(path), reason)
    assert dump(store) == before


def test_a_label_studio_file_that_fits_the_schema_goes_in(store, tmp_path):
    path = label_studio_file(
        tmp_path / "tasks.json",
        [
            region("a", "Actor", ACTOR),
            region("e", "Event", EVENT),
            choice("e", "type", "ASSAULT"),
            choice("e", "date", "2024-W05"),
            link("e", "a", "agent"),
        ],
    )
    report = import_paths(store, [path], ImportOptions(format="labelstudio", annotator="b"))
    assert report.summary.relations_added == 1
    [event] = store.spans_where(labels=["Event"])
    assert event.attributes == {"type": "ASSAULT", "date": "2024-W05"}


def doccano_file(path: Path, relation_type: str) -> Path:
    records = [
        {"text": "A fine record.", "entities": [], "relations": []},
        {
            "text": TEXT,
            "entities": [
                {"id": 1, "label": "Event", "start_offset": EVENT[0], "end_offset": EVENT[1]},
                {"id": 2, "label": "Claim", "start_offset": CLAIM[0], "end_offset": CLAIM[1]},
            ],
            "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": relation_type}],
        },
    ]
    return write_lines(path, records)


def test_the_cli_refuses_a_doccano_relation_the_schema_does_not_allow(seeded, tmp_path):
    path = doccano_file(tmp_path / "d.jsonl", "agent")
    before = dump_of(seeded)
    result = runner.invoke(
        app,
        ["--db", str(seeded), "import", str(path), "--format", "doccano", "--annotator", "b"],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert result.stderr == f"{path}:2: a Event's agent points at Actor, not at Claim\n"
    assert dump_of(seeded) == before
    # A type the schema does not declare is free.
    fine = doccano_file(tmp_path / "free.jsonl", "mentions")
    result = runner.invoke(
        app,
        ["--db", str(seeded), "import", str(fine), "--format", "doccano", "--annotator", "b"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "1 relation(s) added" in result.stdout


def test_a_doccano_file_with_relations_imports_again_without_error_or_duplicates(store, tmp_path):
    """doccano spans get fresh uuids on every read; a second import skips them as already
    there, and its relations must then find the spans already there, not fail or double."""
    path = doccano_file(tmp_path / "d.jsonl", "mentions")
    options = ImportOptions(format="doccano", annotator="b")
    first = import_paths(store, [path], options).summary
    assert (first.spans_added, first.relations_added) == (2, 1)
    before = dump(store)
    again = import_paths(store, [path], options).summary
    assert (again.spans_added, again.spans_skipped, again.relations_added) == (0, 2, 0)
    assert dump(store) == before


def test_a_label_studio_file_with_relations_imports_again(store, tmp_path):
    path = label_studio_file(
        tmp_path / "tasks.json",
        [region("a", "Actor", ACTOR), region("e", "Event", EVENT), link("e", "a", "agent")],
    )
    options = ImportOptions(format="labelstudio", annotator="b")
    assert import_paths(store, [path], options).summary.relations_added == 1
    before = dump(store)
    assert import_paths(store, [path], options).summary.relations_added == 0
    assert dump(store) == before


# --- the schema travels in the native JSONL ---------------------------------------------------


def roundtrip(store: Store, folder: Path) -> tuple[bytes, bytes]:
    first = folder / "1.jsonl"
    export_project(store, "jsonl", first)
    with Store.open(folder / "empty.db") as empty:
        import_paths(empty, [first])
        second = folder / "2.jsonl"
        export_project(empty, "jsonl", second)
    return first.read_bytes(), second.read_bytes()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(event=label_schemas(), extra=label_schemas())
def test_any_valid_schema_round_trips_through_the_native_jsonl(tmp_path_factory, event, extra):
    folder = tmp_path_factory.mktemp("schema")
    with Store.open(folder / "p.db") as store:
        store.set_label_schema(store.label_by_name("Event").id, event)
        store.add_label("Lieu", schema=extra)
        first, second = roundtrip(store, folder)
        with Store.open(folder / "empty.db") as empty:
            assert {label.name: label.schema for label in empty.labels()} == {
                label.name: label.schema for label in store.labels()
            }
    assert first == second
    records = [json.loads(line) for line in first.splitlines()]
    defaults = default_schemas()
    assert [record["schema"] for record in records if record["type"] == "label"] == [
        schema.to_json() for schema in (defaults["Claim"], defaults["Actor"], event, extra)
    ]


def test_the_seed_project_with_schemas_and_values_round_trips(store, corpus, tmp_path):
    import_paths(store, [corpus])
    document_id = store.document_ids()[0]
    me = store.ensure_annotator("me")
    text = store.document(document_id).text
    event = store.add_span(
        document_id,
        store.label_by_name("Event").id,
        me.id,
        0,
        10,
        attributes={"type": "ASSAULT", "date": "2024-W05", "fatalities": 2.5, "x": [1, "a"]},
    )
    actor = store.add_span(document_id, store.label_by_name("Actor").id, me.id, 11, 20)
    store.add_relation(event.uuid, actor.uuid, "agent", me.id)
    store.update_label(store.label_by_name("Actor").id, name="Person")
    assert text[0:10] == event.text
    first, second = roundtrip(store, tmp_path)
    assert first == second
    assert b'"targets":["Person"]' in first and b'"targets":["Actor"]' not in first
