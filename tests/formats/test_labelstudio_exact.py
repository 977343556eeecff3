"""Label Studio, exactly: every refusal's whole message (file, line and reason), what a
result item's parts become (notes, attributes, relations, region ids, origins and
confidences), and a whole task as the export writes it.

Every expected value below is worked out by hand. The import text, code point by code point
(Label Studio counts code points, as Python does; formats.md):

    😀 Biden spoke.
    😀=0 ' '=1 B=2 i=3 d=4 e=5 n=6 ' '=7 s=8 ... .=14        "Biden" is 2-7

The export text, with a combining acute accent and a CRLF:

    😀 Cafe\u0301 said:\r\nno.
    😀=0 ' '=1 C=2 a=3 f=4 e=5 U+0301=6 ' '=7 s=8 a=9 i=10 d=11 :=12 CR=13 LF=14 n=15 o=16 .=17
"""

from __future__ import annotations

import json
import uuid

import pytest

from db.records import ExportFilter, ImportBatch, NewDocument, NewRelation, NewSpan
from desktop.formats import ExportOptions, ImportOptions, InputError, export_project, import_paths
from tests.formats.project import snapshot

TEXT = "😀 Biden spoke."
UUID_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"


def region(start=2, end=7, labels=("Actor",), id="r1", **value) -> dict:  # noqa: A002
    return {
        "id": id,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "labels": list(labels), **value},
    }


def per_region(kind: str, name, value, id="r1") -> dict:  # noqa: A002
    return {"id": id, "from_name": name, "to_name": "text", "type": kind, "value": value}


def relation(**fields) -> dict:
    return {"from_id": "r1", "to_id": "r1", "type": "relation", **fields}


def annotated(*result) -> dict:
    return {"data": {"text": TEXT}, "annotations": [{"completed_by": 1, "result": list(result)}]}


def annotation_with(**fields) -> dict:
    return {"data": {"text": TEXT}, "annotations": [{"completed_by": 1, **fields}]}


GOOD = annotated(region(text="Biden"))

# (bad second task, which starts on line 3; the reason str(error) gives after "file:3: ")
BAD_TASKS = [
    (annotation_with(result="x"), "task 2: annotation 1: 'result' should be a list"),
    (
        {"data": {"text": TEXT}, "predictions": [{"model_version": "m", "result": {}}]},
        "task 2: prediction 1: 'result' should be a list",
    ),
    (annotated(region(), 5), "task 2: annotation 1: result 2: expected an object"),
    (
        annotated({"id": "r1", "type": "labels", "value": "Biden"}),
        "task 2: annotation 1: result 1: 'value' should be an object",
    ),
    (
        annotated({"id": "r1", "type": "labels", "value": {"start": 2, "labels": ["Actor"]}}),
        "task 2: annotation 1: result 1: a text region needs 'start' and 'end' "
        "(not an HTML region)",
    ),
    (
        annotated({"id": "r1", "type": "labels", "value": {"end": 7, "labels": ["Actor"]}}),
        "task 2: annotation 1: result 1: a text region needs 'start' and 'end' "
        "(not an HTML region)",
    ),
    (
        annotated(region(labels=[""])),
        "task 2: annotation 1: result 1: 'labels' should be a list of label names",
    ),
    (
        annotated(region(labels=[5])),
        "task 2: annotation 1: result 1: 'labels' should be a list of label names",
    ),
    (
        annotated({**region(), "score": "high"}),
        'task 2: annotation 1: result 1: score should be a number, not "high"',
    ),
    (
        annotated(region(), region(8, 13)),
        "task 2: annotation 1: result 2: region id 'r1' is used twice",
    ),
    (
        annotated(region(), per_region("textarea", "", {"text": ["x"]})),
        "task 2: annotation 1: result 2: a per-region result needs 'from_name' and 'value'",
    ),
    (
        annotated(region(), per_region("textarea", "note", "x")),
        "task 2: annotation 1: result 2: a per-region result needs 'from_name' and 'value'",
    ),
    (
        annotated(region(), per_region("textarea", "note", {"text": ["x", 3]})),
        "task 2: annotation 1: result 2: 'value.text' should be a list of strings",
    ),
    (
        annotated(region(), per_region("choices", "role", {"choices": "armed"})),
        "task 2: annotation 1: result 2: 'value.choices' should be a list of strings",
    ),
    (
        annotated(region(), relation(from_id=5)),
        "task 2: annotation 1: result 2: from_id 5 names no labelled region",
    ),
    (
        annotated(region(), {"from_id": "r1", "type": "relation"}),
        "task 2: annotation 1: result 2: to_id null names no labelled region",
    ),
    (
        annotated(region(), relation(to_id="r2")),
        "task 2: annotation 1: result 2: to_id 'r2' names no labelled region",
    ),
    (
        annotated(region(), relation(labels=["blames", 5])),
        "task 2: annotation 1: result 2: 'labels' should be a list of relation names",
    ),
    (
        annotated(region(), relation(labels="blames")),
        "task 2: annotation 1: result 2: 'labels' should be a list of relation names",
    ),
]


def write_tasks(path, *tasks):
    """A JSON array, one task per line after the opening bracket: task N starts on line N+1."""
    lines = ",\n".join(json.dumps(task, ensure_ascii=False) for task in tasks)
    path.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("bad,reason", BAD_TASKS)
def test_a_bad_task_is_refused_with_its_file_line_and_reason(memory_store, tmp_path, bad, reason):
    path = write_tasks(tmp_path / "tasks.json", GOOD, bad)
    before = snapshot(memory_store)
    with pytest.raises(InputError) as caught:
        import_paths(memory_store, [path], ImportOptions(format="labelstudio"))
    assert str(caught.value) == f"{path}:3: {reason}"
    assert snapshot(memory_store) == before  # the good first task is not imported either


def imported(store, tmp_path, *tasks):
    path = write_tasks(tmp_path / "tasks.json", *tasks)
    import_paths(store, [path], ImportOptions(format="labelstudio"))
    [document_id] = store.document_ids()
    spans = store.spans(document_id, statuses=("accepted", "suggested"))
    return spans, store.relations(document_id)


def test_notes_join_their_lines_and_attributes_keep_every_choice(memory_store, tmp_path):
    task = annotated(
        region(),
        per_region("textarea", "note", {"text": ["first", "second"]}),
        per_region("choices", "role", {"choices": ["armed", "state"]}),
        per_region("choices", "side", {"choices": ["east"]}),
    )
    [span], _ = imported(memory_store, tmp_path, task)
    assert span.text == "Biden"
    assert span.note == "first\nsecond"
    assert span.attributes == {"role": ["armed", "state"], "side": "east"}


def test_a_relation_without_labels_is_related_and_keeps_its_direction(memory_store, tmp_path):
    task = annotated(
        region(),
        region(8, 13, id="r2"),  # "spoke"
        relation(to_id="r2"),
        relation(to_id="r2", direction="left", labels=[]),
        relation(to_id="r2", labels=["blames"]),
    )
    spans, relations = imported(memory_store, tmp_path, task)
    text = {span.uuid: span.text for span in spans}
    got = sorted((r.type, text[r.head_uuid], text[r.tail_uuid]) for r in relations)
    assert got == [
        ("blames", "Biden", "spoke"),
        ("related", "Biden", "spoke"),
        ("related", "spoke", "Biden"),
    ]


def test_annotations_are_imported_and_unscored_predictions_are_model_suggestions(
    memory_store, tmp_path
):
    """An annotation's item score is not a confidence; a prediction's item score wins over
    the prediction's own."""
    task = {
        "data": {"text": TEXT},
        "annotations": [{"completed_by": "dana", "result": [{**region(), "score": 0.9}]}],
        "predictions": [
            {
                "model_version": "ner",
                "score": 0.5,
                "result": [{**region(8, 13, id="p1"), "score": 0.25}, region(2, 7, id="p2")],
            }
        ],
    }
    spans, _ = imported(memory_store, tmp_path, task)
    got = sorted((s.text, s.annotator, s.status, s.origin, s.confidence) for s in spans)
    assert got == [
        ("Biden", "dana", "accepted", "imported", None),
        ("Biden", "ner", "suggested", "model", 0.5),
        ("spoke", "ner", "suggested", "model", 0.25),
    ]


def test_region_ids_that_are_uuids_are_kept_once_and_others_are_not(memory_store, tmp_path):
    """Label Studio keeps a prediction's region id in the annotation made from it: the
    first region keeps the uuid, the second gets a fresh one; "r1" is no uuid; a region
    id that is no string names no region, and is not a reason to refuse the task."""
    task = {
        "data": {"text": TEXT},
        "annotations": [
            {
                "completed_by": "dana",
                "result": [region(id=UUID_A), region(8, 13, id="r1"), region(0, 1, id=5)],
            }
        ],
        "predictions": [{"model_version": "ner", "result": [region(id=UUID_A)]}],
    }
    spans, _ = imported(memory_store, tmp_path, task)
    by_key = {(s.text, s.annotator): s.uuid for s in spans}
    assert set(by_key) == {("Biden", "dana"), ("spoke", "dana"), ("😀", "dana"), ("Biden", "ner")}
    assert by_key[("Biden", "dana")] == UUID_A
    others = [by_key[key] for key in (("spoke", "dana"), ("😀", "dana"), ("Biden", "ner"))]
    assert all(str(uuid.UUID(value)) == value for value in others)
    assert len({UUID_A, *others}) == 4


# --- export -------------------------------------------------------------------------------

EXPORT_TEXT = "😀 Cafe\u0301 said:\r\nno."
U1 = "11111111-1111-4111-8111-111111111111"
U2 = "22222222-2222-4222-8222-222222222222"
U3 = "33333333-3333-4333-8333-333333333333"
U4 = "44444444-4444-4444-8444-444444444444"


def test_a_task_is_written_exactly(memory_store, tmp_path):
    """One annotator's two spans (the earliest created and the latest updated are different
    spans; one accepted span carries a confidence, which an annotation has no place for),
    a relation, and a model's two suggestions whose mean score is 0.5."""
    memory_store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=EXPORT_TEXT,
                    title="Cafe",
                    source="Wire",
                    spans=[
                        NewSpan(
                            "Actor",
                            2,
                            7,
                            "ana",
                            uuid=U1,
                            confidence=0.9,
                            created_at="2024-01-02T00:00:00+00:00",
                            updated_at="2024-01-05T00:00:00+00:00",
                        ),
                        NewSpan(
                            "Claim",
                            8,
                            17,
                            "ana",
                            uuid=U2,
                            created_at="2024-01-01T00:00:00+00:00",
                            updated_at="2024-01-03T00:00:00+00:00",
                        ),
                        NewSpan(
                            "Actor", 15, 17, "model", uuid=U3, status="suggested", confidence=0.25
                        ),
                        NewSpan(
                            "Event", 8, 12, "model", uuid=U4, status="suggested", confidence=0.75
                        ),
                    ],
                    relations=[NewRelation("attributed_to", U2, U1, "ana")],
                )
            ]
        )
    )
    out = tmp_path / "tasks.json"
    report = export_project(
        memory_store,
        "labelstudio",
        out,
        ExportOptions(filter=ExportFilter(statuses=("accepted", "suggested"))),
    )
    assert report.adjusted == {}

    def labels(uuid_, start, end, text, label, origin):
        return {
            "id": uuid_,
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "origin": origin,
            "value": {"start": start, "end": end, "text": text, "labels": [label]},
        }

    assert json.loads(out.read_text(encoding="utf-8")) == [
        {
            "id": 1,
            "data": {"text": EXPORT_TEXT, "title": "Cafe", "source": "Wire"},
            "meta": {"annotators": {"1": "ana"}},
            "annotations": [
                {
                    "id": 1,
                    "result": [
                        labels(U1, 2, 7, "Cafe\u0301", "Actor", "manual"),
                        # CR and LF each written as the two characters \ n
                        labels(U2, 8, 17, "said:\\n\\nno", "Claim", "manual"),
                        {
                            "from_id": U2,
                            "to_id": U1,
                            "type": "relation",
                            "direction": "right",
                            "labels": ["attributed_to"],
                        },
                    ],
                    "was_cancelled": False,
                    "ground_truth": False,
                    "created_at": "2024-01-01T00:00:00+00:00",
                    "updated_at": "2024-01-05T00:00:00+00:00",
                }
            ],
            "predictions": [
                {
                    "model_version": "model",
                    "score": 0.5,
                    "result": [
                        {**labels(U4, 8, 12, "said", "Event", "prediction"), "score": 0.75},
                        {**labels(U3, 15, 17, "no", "Actor", "prediction"), "score": 0.25},
                    ],
                }
            ],
        }
    ]
