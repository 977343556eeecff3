"""doccano, exactly: every refusal's whole message (file, line and reason), the metadata and
annotators a hand-written record gives, and the records and overlap count an export writes.

Every expected value below is worked out by hand. The export text, code point by code point
(an astral character is one code point but two UTF-16 units):

    Drone 🛸 hit Erbil 🇮🇶 at night
    D=0 r=1 o=2 n=3 e=4 ' '=5 🛸=6 ' '=7 h=8 i=9 t=10 ' '=11 E=12 ... l=16 ' '=17 🇮=18 🇶=19

so a code-point offset after 🛸 is one less than its UTF-16 offset, and after 🇮🇶 three less.
"""

from __future__ import annotations

import json

import pytest

from db.records import ImportBatch, NewDocument
from desktop.formats import ImportOptions, InputError, export_project, import_paths
from tests.formats.project import read_jsonl

GOOD = '{"text": "fine", "label": [[0, 4, "Claim"]], "annotator": "ann"}'

# Two entities (ids 1 and 2) for the relation rows; their first relation is sound.
ENTITIES = (
    '"entities": [{"id": 1, "start_offset": 0, "end_offset": 1, "label": "Actor"}, '
    '{"id": 2, "start_offset": 1, "end_offset": 2, "label": "Actor"}]'
)
SOUND = '{"from_id": 1, "to_id": 2, "type": "r"}'


def related(second: str) -> str:
    return f'{{"text": "abc", {ENTITIES}, "relations": [{SOUND}, {second}]}}'


def entities(second: str) -> str:
    first = '{"id": 1, "start_offset": 0, "end_offset": 1, "label": "A"}'
    return f'{{"text": "abc", "entities": [{first}, {second}]}}'


# (bad third line, the reason str(error) gives after "file:3: ")
BAD_RECORDS = [
    ('{"label": []}', "missing 'text'"),
    ('{"text": "", "label": []}', "the record's text is empty"),
    ('{"text": "ab", "label": [[0, 1, "A"], [1, 2, 7]]}', "span 2: label should be a name, not 7"),
    (
        '{"text": "ab", "label": [[0, 1, "A"], [1, 2, ""]]}',
        "span 2: label should be a name, not ''",
    ),
    # "🛸 ab" is 5 UTF-16 units: 🛸 0-2, space 2, a 3, b 4
    (
        '{"text": "🛸 ab", "label": [[0, 2, "A"], [4, 3, "B"]]}',
        "span 2: start 4 is not before end 3",
    ),
    (
        '{"text": "🛸 ab", "label": [[0, 2, "A"], [1, 3, "B"]]}',
        "span 2: offsets 1-3 cut an emoji or other astral character in half",
    ),
    ('{"text": "abc", "label": "x"}', "'label' should be a list of [start, end, label]"),
    ('{"text": "abc", "labels": 5}', "'labels' should be a list of [start, end, label]"),
    (
        '{"text": "abc", "label": [[0, 1, "A"], [0, 1]]}',
        "span 2: expected [start, end, label], found [0, 1]",
    ),
    ('{"text": "abc", "label": [[0, 1, "A"], 5]}', "span 2: expected [start, end, label], found 5"),
    ('{"text": "abc", "entities": {}}', "'entities' should be list, not {}"),
    (entities("5"), "entity 2: expected an object"),
    (entities('{"id": 2, "start_offset": 1, "label": "B"}'), "entity 2: missing 'end_offset'"),
    (
        entities('{"id": 1.5, "start_offset": 1, "end_offset": 2, "label": "B"}'),
        "entity 2: 'id' should be a number or a string, not 1.5",
    ),
    (
        entities('{"id": 1, "start_offset": 1, "end_offset": 2, "label": "B"}'),
        "span 2: entity id 1 is used twice",
    ),
    (
        '{"text": "abc", "entities": [{"id": "x", "start_offset": 0, "end_offset": 1, "label": "A"}'
        ', {"id": "x", "start_offset": 1, "end_offset": 2, "label": "B"}]}',
        "span 2: entity id 'x' is used twice",
    ),
    (f'{{"text": "abc", {ENTITIES}, "relations": "x"}}', "'relations' should be list, not \"x\""),
    (related("3"), "relation 2: expected an object"),
    (related('{"from_id": 1, "type": "r"}'), "relation 2: missing 'to_id'"),
    (related('{"to_id": 2, "type": "r"}'), "relation 2: missing 'from_id'"),
    (
        related('{"from_id": true, "to_id": 2, "type": "r"}'),
        "relation 2: 'from_id' should be a number or a string, not true",
    ),
    (
        related('{"from_id": 1, "to_id": 9, "type": "r"}'),
        "relation 2: to_id 9 names no entity of this record",
    ),
    (
        related('{"from_id": "1", "to_id": 2, "type": "r"}'),
        "relation 2: from_id '1' names no entity of this record",
    ),
    (related('{"from_id": 1, "to_id": 2}'), "relation 2: missing 'type'"),
    (related('{"from_id": 1, "to_id": 2, "type": 5}'), "relation 2: 'type' should be str, not 5"),
    # refused by the project, not the reader: still located at the record
    (
        '{"text": "abc", "language": "xxxxxxxxxxxxxxxxxxxxx"}',
        "the language 'xxxxxxxxxxxxxxxxxxxxx' is 21 characters long; at most 20 fit",
    ),
]


def write_lines(path, *lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def refusal(store, path) -> str:
    with pytest.raises(InputError) as caught:
        import_paths(store, [path], ImportOptions(format="doccano"))
    assert store.document_count() == 0  # the good first line is not imported either
    return str(caught.value)


@pytest.mark.parametrize("bad,reason", BAD_RECORDS)
def test_a_bad_record_is_refused_with_its_file_line_and_reason(memory_store, tmp_path, bad, reason):
    path = write_lines(tmp_path / "bad.jsonl", GOOD, "", bad)
    assert refusal(memory_store, path) == f"{path}:3: {reason}"


def test_a_long_bad_span_is_shown_cut_to_160_characters(memory_store, tmp_path):
    item = ["x" * 200]
    path = write_lines(tmp_path / "long.jsonl", json.dumps({"text": "abc", "label": [item]}))
    # "span 1: expected [start, end, label], found " is 44 characters, "['" two more
    reason = "span 1: expected [start, end, label], found ['" + "x" * 114
    assert len(reason) == 160
    assert refusal(memory_store, path) == f"{path}:1: {reason}"


NO_ANNOTATOR = "the record names no annotator; give one with --annotator NAME"


@pytest.mark.parametrize(
    "bad",
    [
        '{"text": "abc", "label": [[0, 1, "Claim"]]}',
        '{"text": "abc", "annotator": "", "label": []}',
        '{"text": "abc", "annotator": "  "}',
        # relations but no entity: who made them is asked first
        '{"text": "abc", "relations": [{"from_id": 1, "to_id": 2, "type": "r"}]}',
    ],
)
def test_a_file_whose_name_gives_no_annotator_needs_one_named(memory_store, tmp_path, bad):
    """doccano's files are named after their user; ".jsonl" names nobody."""
    path = write_lines(tmp_path / ".jsonl", GOOD, bad)
    assert refusal(memory_store, path) == f"{path}:2: {NO_ANNOTATOR}"


def only_document(store):
    [document_id] = store.document_ids()
    return store.document(document_id)


def test_metadata_comes_from_the_record_and_its_meta_object(memory_store, tmp_path):
    record = (
        '{"text": "Strike 🛸 on Erbil", "labels": [[0, 6, "Event"], [10, 12, "Event"]], '
        '"user": "carol", "id": 42, "lang": "ar", "extra": null, '
        '"meta": {"topic": "war", "title": "From meta"}}'
    )
    path = write_lines(tmp_path / "export.jsonl", record)
    report = import_paths(memory_store, [path], ImportOptions(format="doccano"))
    document = only_document(memory_store)
    assert document.title == "From meta"
    assert document.language == "ar"
    assert document.meta == {"topic": "war", "doccano_id": 42}  # a null key is no metadata
    assert document.imported_from == str(path)
    # "labels", the older tutorials' key; 🛸 is units 7-8, so "on" is units 10-12
    spans = memory_store.spans(document.id)
    assert [(s.label, s.start, s.end, s.text, s.annotator) for s in spans] == [
        ("Event", 0, 6, "Strike", "carol"),
        ("Event", 9, 11, "on", "carol"),
    ]
    assert report.attributed == {}


@pytest.mark.parametrize(
    "record,meta",
    [
        ('{"text": "ab", "meta": "a note", "annotator": "eve"}', {"meta": "a note"}),
        ('{"text": "ab", "meta": null, "annotator": "eve"}', {}),
        ('{"text": "ab", "meta": {"doccano_id": 7}, "annotator": "eve"}', {"doccano_id": 7}),
    ],
)
def test_a_meta_that_is_no_object_is_kept_as_it_is(memory_store, tmp_path, record, meta):
    path = write_lines(tmp_path / "x.jsonl", record)
    import_paths(memory_store, [path], ImportOptions(format="doccano"))
    document = only_document(memory_store)
    assert (document.title, document.meta) == ("ab", meta)


def status_of(store, document_id, name):
    [annotator] = [a for a in store.annotators() if a.name == name]
    return store.document_status(document_id, annotator.id)


def test_spans_without_an_annotator_go_to_the_files_name_and_the_user_is_told(
    memory_store, tmp_path
):
    path = write_lines(
        tmp_path / "frank.doccano.jsonl", '{"text": "ab", "label": [[0, 1, "Claim"]]}'
    )
    report = import_paths(memory_store, [path], ImportOptions(format="doccano"))
    [span] = memory_store.spans(only_document(memory_store).id)
    assert (span.text, span.annotator) == ("a", "frank")
    assert report.attributed == {str(path): "frank"}


def test_a_record_naming_a_blank_annotator_and_no_span_is_done_for_the_files_name(
    memory_store, tmp_path
):
    path = write_lines(tmp_path / "gina.jsonl", '{"text": "ab", "annotator": " "}')
    report = import_paths(memory_store, [path], ImportOptions(format="doccano"))
    assert report.attributed == {str(path): "gina"}  # the user is told, as for spans
    document = only_document(memory_store)
    assert [a.name for a in memory_store.annotators()] == ["gina"]
    assert status_of(memory_store, document.id, "gina") == "done"
    assert memory_store.spans(document.id) == []


TEXT = "Drone 🛸 hit Erbil 🇮🇶 at night"

OVERLAP_DROPPED = (
    "overlapping spans doccano drops unless the project allows overlapping spans "
    "(Settings → Allow overlapping spans)"
)


def test_the_list_form_record_and_the_spans_doccano_would_drop(memory_store, tmp_path):
    """analyst a: "Drone 🛸 hit" holds "ro" and "🛸", which doccano drops (2); analyst b:
    "Drone" and " 🛸" touch without overlapping, and doccano keeps both (0)."""
    memory_store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(text=TEXT, title="Erbil", source="AP", meta={"topic": "war"}),
                NewDocument(text="Quiet day", title="Quiet"),
            ]
        )
    )
    first, _ = memory_store.document_ids()
    a, b = memory_store.ensure_annotator("a").id, memory_store.ensure_annotator("b").id
    event, actor = memory_store.label_by_name("Event").id, memory_store.label_by_name("Actor").id
    for annotator, label, start, end in [
        (a, event, 0, 11),
        (a, event, 1, 3),
        (a, actor, 6, 7),
        (b, actor, 0, 5),
        (b, event, 5, 7),
    ]:
        memory_store.add_span(first, label, annotator, start, end)
    out = tmp_path / "out.jsonl"
    report = export_project(memory_store, "doccano", out)
    fields = {"title": "Erbil", "source": "AP", "url": None, "published": None, "language": None}
    assert read_jsonl(out) == [
        {
            "text": TEXT,
            "label": [[0, 12, "Event"], [1, 3, "Event"], [6, 8, "Actor"]],
            "annotator": "a",
            **fields,
            "meta": {"topic": "war"},
        },
        {
            "text": TEXT,
            "label": [[0, 5, "Actor"], [5, 8, "Event"]],
            "annotator": "b",
            **fields,
            "meta": {"topic": "war"},
        },
        {
            "text": "Quiet day",
            "label": [],
            "annotator": None,
            "title": "Quiet",
            "source": None,
            "url": None,
            "published": None,
            "language": None,
            "meta": {},
        },
    ]
    assert report.adjusted == {OVERLAP_DROPPED: 2}


def test_spans_apart_are_all_kept_and_nothing_is_noted(memory_store, tmp_path):
    """A span at offset 0 is kept too: doccano keeps the first span whatever its start."""
    memory_store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT, title="Erbil")]))
    [document_id] = memory_store.document_ids()
    me = memory_store.ensure_annotator("a").id
    actor = memory_store.label_by_name("Actor").id
    memory_store.add_span(document_id, actor, me, 0, 5)
    memory_store.add_span(document_id, actor, me, 12, 20)
    report = export_project(memory_store, "doccano", tmp_path / "out.jsonl")
    assert read_jsonl(tmp_path / "out.jsonl")[0]["label"] == [[0, 5, "Actor"], [13, 23, "Actor"]]
    assert report.adjusted == {}
