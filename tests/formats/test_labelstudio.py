"""Label Studio: tasks exactly as formats.md has them (code-point offsets, line breaks in
``value.text`` as ``\\n``, no ``completed_by``), one annotation per annotator, suggestions as
predictions; import of annotations and predictions, and of Label Studio's own export."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.records import ExportFilter
from desktop.formats import ExportOptions, ImportOptions, InputError, export_project, import_paths
from desktop.formats.labelstudio import PREDICTIONS_BY_ID, config_path
from tests.formats.project import (
    TEXT_A,
    TEXT_C,
    details_of,
    relations_of,
    round_trip_spans,
    snapshot,
    spans_of,
    tricky_spans,
    tricky_text,
)


def export(store, tmp_path, statuses=(), **filter_fields):
    out = tmp_path / "tasks.json"
    flt = ExportFilter(statuses=statuses, **filter_fields)
    export_project(store, "labelstudio", out, ExportOptions(filter=flt))
    return out, json.loads(out.read_text(encoding="utf-8"))


def test_tasks_are_what_label_studio_reads(rich, tmp_path):
    """Field by field against formats.md, with an emoji (two code points, four UTF-16 units)
    before every span: Label Studio counts code points, so the offsets are Python's."""
    _, tasks = export(rich.store, tmp_path)
    task = next(t for t in tasks if t["data"]["text"] == TEXT_A)
    assert isinstance(task["id"], int)
    assert task["data"] == {"text": TEXT_A, "title": "Strike on Baghdad", "source": "Reuters"}
    # No completed_by: Label Studio refuses one that is not its own user's id or e-mail.
    assert all("completed_by" not in a for a in task["annotations"])
    ids = [a["id"] for a in task["annotations"]]
    assert len(set(ids)) == 3 and all(isinstance(i, int) for i in ids)
    assert task["meta"]["annotators"] == {
        str(i): name for i, name in zip(ids, ("analyst_a", "analyst_b", "gold"), strict=True)
    }
    for annotation in task["annotations"]:
        assert annotation["was_cancelled"] is False
        name = task["meta"]["annotators"][str(annotation["id"])]
        assert annotation["ground_truth"] is (name == "gold")
    annotation = task["annotations"][0]
    regions = [r for r in annotation["result"] if r["type"] == "labels"]
    mine = [
        s
        for s in rich.store.spans(rich.doc_a, statuses=("accepted",))
        if s.annotator == "analyst_a"
    ]
    assert [(r["value"]["start"], r["value"]["end"]) for r in regions] == [
        (s.start, s.end) for s in mine
    ]
    # What Label Studio's frontend draws: [...text].slice(start, end), code point by code point.
    code_points = list(TEXT_A)
    for region in regions:
        value = region["value"]
        assert (
            "".join(code_points[value["start"] : value["end"]])
            == TEXT_A[value["start"] : value["end"]]
        )
    claim = next(r for r in regions if r["value"]["labels"] == ["Claim"])
    assert claim == {
        "id": rich.claim.uuid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": {
            "start": TEXT_A.index("the US strike"),
            "end": TEXT_A.index("the US strike") + len(rich.claim.text),
            "text": rich.claim.text,
            "labels": ["Claim"],
        },
    }
    relations = [r for r in annotation["result"] if r["type"] == "relation"]
    assert {(r["from_id"], r["to_id"], tuple(r["labels"]), r["direction"]) for r in relations} == {
        (rich.claim.uuid, rich.actor.uuid, ("attributed_to",), "right"),
        (rich.event.uuid, rich.us.uuid, ("agent",), "right"),
        (rich.event.uuid, rich.place.uuid, ("location",), "right"),
    }
    assert task["predictions"] == []  # suggestions stay home unless asked for
    untouched = next(t for t in tasks if t["data"]["text"] == TEXT_C)
    assert untouched["annotations"] == [] and "meta" not in untouched


def test_suggestions_leave_as_predictions_never_as_annotations(rich, tmp_path):
    _, tasks = export(rich.store, tmp_path, statuses=("accepted", "suggested"))
    task = next(t for t in tasks if t["data"]["text"] == TEXT_A)
    region_ids = {r["id"] for a in task["annotations"] for r in a["result"] if "id" in r}
    assert rich.suggestion.uuid not in region_ids
    [prediction] = task["predictions"]
    assert prediction["model_version"] == "analyst_a"
    assert prediction["score"] == pytest.approx(0.8)
    [region] = prediction["result"]
    assert region["origin"] == "prediction" and region["score"] == pytest.approx(0.8)
    assert region["value"]["start"] == rich.suggestion.start
    assert region["value"]["labels"] == ["Actor"]


def test_the_labelling_config_names_every_control_the_tasks_use(rich, tmp_path):
    out, tasks = export(rich.store, tmp_path)
    root = ElementTree.fromstring(config_path(out).read_text(encoding="utf-8"))
    labels = {e.get("value") for e in root.iter("Label")}
    assert labels == {label.name for label in rich.store.labels()}
    controls = {e.get("name") for e in root if e.get("name")}
    used = {
        r["from_name"]
        for t in tasks
        for a in t["annotations"]
        for r in a["result"]
        if "from_name" in r
    }
    assert used <= controls
    assert {e.get("value") for e in root.iter("Relation")} == {"attributed_to", "agent", "location"}
    assert root.find("Text").get("value") == "$text"


def test_round_trip_gives_spans_relations_text_attributes_notes_and_suggestions(
    rich, fresh, tmp_path
):
    out, _ = export(rich.store, tmp_path, statuses=("accepted", "suggested"))
    report = import_paths(fresh, [out])
    assert report.summary.spans_added == len(spans_of(rich.store, ("accepted", "suggested")))
    assert spans_of(fresh) == spans_of(rich.store)
    assert spans_of(fresh, ("suggested",)) == spans_of(rich.store, ("suggested",))
    [suggestion] = fresh.spans_where(statuses=("suggested",))
    assert (suggestion.origin, suggestion.confidence) == ("model", pytest.approx(0.8))
    assert relations_of(fresh) == relations_of(rich.store)
    key = (TEXT_A, "Event", rich.event.start, rich.event.end, "analyst_a")
    attributes, note, _ = details_of(fresh)[key]
    assert attributes == {"type": "airstrike", "date": "2024-02-07"}
    assert note == rich.event.note
    claim = details_of(fresh)[(TEXT_A, "Claim", rich.claim.start, rich.claim.end, "analyst_a")]
    assert claim[0] == {"stance": "critical", "quote": "two words"}


def test_what_label_studio_cannot_carry_is_dropped_and_only_that(rich, fresh, tmp_path):
    """Attributes that are not text, links to entities and rejected spans; reported too."""
    out = tmp_path / "tasks.json"
    report = export_project(
        rich.store,
        "labelstudio",
        out,
        ExportOptions(filter=ExportFilter(statuses=("accepted", "suggested"))),
    )
    import_paths(fresh, [out])
    before, after = details_of(rich.store), details_of(fresh)
    assert set(after) == set(before)
    for key, (attributes, note, _) in before.items():
        text_only = {k: v for k, v in attributes.items() if isinstance(v, str)}
        assert after[key] == (text_only, note, None)
    assert report.adjusted == {"attributes that are not text (Label Studio keeps text only)": 3}
    with pytest.raises(ValueError, match="labelstudio writes accepted and suggested spans only"):
        export_project(
            rich.store,
            "labelstudio",
            out,
            ExportOptions(filter=ExportFilter(statuses=("rejected",))),
        )


def test_label_studio_own_export_is_read(memory_store, tmp_path):
    """Region ids that are not uuids, completed_by as an object, a cancelled annotation, a
    relation drawn right to left, per-region choices, and a prediction scored per item."""
    text = "🇮🇶 Iraq said the militia fired."
    iraq, militia = text.index("Iraq"), text.index("the militia")
    tasks = [
        {
            "id": 7,
            "data": {"text": text},
            "annotations": [
                {
                    "id": 1,
                    "completed_by": {"id": 3, "email": "dana@example.org"},
                    "was_cancelled": False,
                    "result": [
                        {
                            "id": "a1",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {"start": iraq, "end": iraq + 4, "labels": ["Actor"]},
                        },
                        {
                            "id": "a2",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {
                                "start": militia,
                                "end": militia + 11,
                                "text": "the militia",
                                "labels": ["Actor"],
                            },
                        },
                        {
                            "id": "a2",
                            "from_name": "role",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"start": militia, "end": militia + 11, "choices": ["armed"]},
                        },
                        {
                            "from_id": "a1",
                            "to_id": "a2",
                            "type": "relation",
                            "direction": "left",
                            "labels": ["blames"],
                        },
                    ],
                },
                {"id": 2, "completed_by": 4, "was_cancelled": True, "result": []},
            ],
            "predictions": [
                {
                    "model_version": "ner-v2",
                    "score": 0.4,
                    "result": [
                        {
                            "id": "p1",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "score": 0.9,
                            "value": {"start": iraq, "end": iraq + 4, "labels": ["Place"]},
                        },
                        {
                            "id": "p2",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {
                                "start": militia + 4,
                                "end": militia + 11,
                                "labels": ["Actor"],
                            },
                        },
                    ],
                },
            ],
        }
    ]
    path = tmp_path / "project-1.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=2), encoding="utf-8")
    report = import_paths(memory_store, [path])
    assert report.skipped == {"cancelled annotations": 1}
    [document_id] = memory_store.document_ids()
    spans = memory_store.spans(document_id, statuses=("accepted", "suggested"))
    got = {(s.label, s.text, s.annotator, s.status, s.confidence) for s in spans}
    assert got == {
        ("Actor", "Iraq", "dana@example.org", "accepted", None),
        ("Actor", "the militia", "dana@example.org", "accepted", None),
        ("Place", "Iraq", "ner-v2", "suggested", 0.9),
        ("Actor", "militia", "ner-v2", "suggested", 0.4),
    }
    militia_span = next(s for s in spans if s.text == "the militia")
    assert militia_span.attributes == {"role": "armed"}
    [relation] = memory_store.relations(document_id)
    by_uuid = {s.uuid: s.text for s in spans}
    assert (by_uuid[relation.head_uuid], relation.type, by_uuid[relation.tail_uuid]) == (
        "the militia",
        "blames",
        "Iraq",
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=tricky_text(), data=st.data())
def test_any_text_and_spans_round_trip(tmp_path, text, data):
    before, after = round_trip_spans(
        text, tricky_spans(data, text), "labelstudio", tmp_path / "roundtrip.json"
    )
    assert after == before


def _task(result, text="😀 Biden spoke.") -> dict:  # "Biden" is 2-7 in code points
    return {"data": {"text": text}, "annotations": [{"completed_by": 1, "result": result}]}


def _region(start, end, labels=("Actor",), **extra) -> dict:
    value = {"start": start, "end": end, "labels": list(labels), **extra}
    return {"id": "r1", "from_name": "label", "to_name": "text", "type": "labels", "value": value}


BAD_TASKS = [
    (_task([_region(7, 2)]), "task 2: annotation 1: result 1: start 7 is not before end 2"),
    (_task([_region(2, 30)]), "task 2: annotation 1: result 1: offsets 2-30 fall outside"),
    (
        # UTF-16 offsets, as Dossier wrote them before: "Biden" is 3-8 there.
        _task([_region(3, 8, text="Biden")]),
        "task 2: annotation 1: result 1: text 'Biden' disagrees",
    ),
    (
        _task([_region(2, 7, text="Obama")]),
        "task 2: annotation 1: result 1: text 'Obama' disagrees",
    ),
    (
        _task([_region(2, 7, labels=())]),
        "task 2: annotation 1: result 1: 'labels' should be a list",
    ),
    (
        _task([_region(2, 7), {"from_id": "r1", "to_id": "r9", "type": "relation"}]),
        "task 2: annotation 1: result 2: to_id 'r9' names no labelled region",
    ),
    ({"data": {"a": 1, "b": 2}}, "task 2: data has no 'text' to label"),
    (
        {"data": {"text": "x"}, "predictions": [{"score": "high", "result": []}]},
        "task 2: prediction 1: score should be a number",
    ),
]


@pytest.mark.parametrize("bad,reason", BAD_TASKS)
def test_a_bad_task_is_located_and_nothing_is_written(memory_store, tmp_path, bad, reason):
    good = _task([_region(2, 7, text="Biden")])
    path = tmp_path / "tasks.json"
    # One task per line after the first two lines: the bad task starts on line 3.
    path.write_text(
        "[\n"
        + json.dumps(good, ensure_ascii=False)
        + ",\n"
        + json.dumps(bad, ensure_ascii=False)
        + "\n]\n",
        encoding="utf-8",
    )
    before = snapshot(memory_store)
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [path], ImportOptions(format="labelstudio"))
    assert str(error.value).startswith(f"{path}:3: {reason}")
    assert snapshot(memory_store) == before


def test_malformed_json_is_located(memory_store, tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(
        '[\n{"data": {"text": "fine"}},\n{"data": {"text": "oops"}\n]\n', encoding="utf-8"
    )
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [path])
    assert str(error.value).startswith(f"{path}:4: malformed JSON")
    assert memory_store.document_count() == 0


def test_the_corpus_round_trips(memory_store, fresh, corpus, tmp_path):
    import_paths(memory_store, [corpus])
    out, tasks = export(memory_store, tmp_path)
    assert len(tasks) == 5  # every article is a task, labelled or not
    assert sum(len(t["annotations"]) for t in tasks) == 4  # two articles, two analysts
    import_paths(fresh, [out])
    assert spans_of(fresh) == spans_of(memory_store)
    assert len(spans_of(fresh)) == 64


# --- files written by a real Label Studio ----------------------------------------------------

DATA = Path(__file__).with_name("data")


def test_a_real_label_studio_export_of_a_dossier_export_comes_back_exactly(rich, fresh):
    """Label Studio 1.23.2's own JSON export of the rich project's tasks, imported into it
    as Dossier wrote them, plus one annotation made in Label Studio over a CRLF: each span
    after the emoji lands on the same characters, the analysts keep their names (through
    ``import_id`` and the task's meta), and the annotation made there is its user's."""
    path = DATA / "label-studio-1.23.2-export.json"
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert all("import_id" in a for t in tasks for a in t["annotations"])  # as exported
    report = import_paths(fresh, [path])
    made_there = {s for s in spans_of(fresh) if s[5] == "1"}
    assert spans_of(fresh) - made_there == spans_of(rich.store)
    start = TEXT_A.index("killed its commander.")
    end = TEXT_A.index("denied it.") + len("denied it.")
    assert made_there == {(TEXT_A, "Event", start, end, TEXT_A[start:end], "1")}
    assert "\r\n" in TEXT_A[start:end]  # written by Label Studio as "\\n\\n"
    assert relations_of(fresh) == relations_of(rich.store)
    # Its plain export names predictions by id only: they are counted, not guessed.
    assert report.skipped == {PREDICTIONS_BY_ID: 1}


def test_a_real_label_studio_export_with_predictions_keeps_the_suggestions(rich, fresh):
    path = DATA / "label-studio-1.23.2-export-with-predictions.json"
    import_paths(fresh, [path])
    assert spans_of(fresh, ("suggested",)) == spans_of(rich.store, ("suggested",))
    [suggestion] = fresh.spans_where(statuses=("suggested",))
    assert suggestion.confidence == pytest.approx(0.8)


def test_line_breaks_in_region_text_are_read_as_label_studio_writes_them(memory_store, tmp_path):
    """Label Studio writes CR and LF in ``value.text`` as ``\\n`` each (CRLF is ``\\n\\n``)."""
    text = "First line.\r\nSecond\rthird\nfourth."
    tasks = [
        _task(
            [_region(6, 19, text="line.\\n\\nSecond"), _region(13, 25, text="Second\\nthird")],
            text=text,
        )
    ]
    tasks[0]["annotations"][0]["result"][1]["id"] = "r2"
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    import_paths(memory_store, [path])
    [document_id] = memory_store.document_ids()
    assert {s.text for s in memory_store.spans(document_id)} == {
        "line.\r\nSecond",
        "Second\rthird",
    }
