"""Prodigy, exactly: every refusal's whole message (file, line and reason), who a task's spans
and answers belong to, what rejected and ignored tasks count as, and the tokens, token
indices and "not on token boundaries" count an export writes.

Every expected value below is worked out by hand. Prodigy counts code points, as Python does
(formats.md), so an emoji is one character. The export text, code point by code point, with
a combining acute accent, two spaces in a row and a CRLF:

    Cafe\u0301 🛸 hit  Erbil\r\nnow
    C=0 a=1 f=2 e=3 U+0301=4 ' '=5 🛸=6 ' '=7 h=8 i=9 t=10 ' '=11 ' '=12 E=13 ... l=17
    CR=18 LF=19 n=20 o=21 w=22                                          (23 characters)

spaCy's tokens: "Café" 0-5, "🛸" 6-7, "hit" 8-11 (each with one trailing space), the second
of the two spaces as a whitespace token 12-13, "Erbil" 13-18, "\\r\\n" 18-20, "now" 20-23.
"""

from __future__ import annotations

import json

import pytest

from desktop.formats import ExportOptions, ImportOptions, InputError, export_project, import_paths
from tests.formats.project import read_jsonl, relations_of, snapshot, spans_of

GOOD = '{"text": "fine", "spans": [{"start": 0, "end": 4, "label": "Claim"}]}'

# Two labelled spans on "ab" (A 0-1, B 1-2) and a first relation between them that is sound.
AB_SPANS = '"spans": [{"start": 0, "end": 1, "label": "A"}, {"start": 1, "end": 2, "label": "B"}]'
SOUND = (
    '{"head_span": {"start": 0, "end": 1, "label": "A"}, '
    '"child_span": {"start": 1, "end": 2, "label": "B"}, "label": "r"}'
)


def related(*relations: str) -> str:
    return f'{{"text": "ab", {AB_SPANS}, "relations": [{", ".join(relations)}]}}'


def spans(second: str) -> str:
    """A task on "🛸 ab" (🛸=0 ' '=1 a=2 b=3: four characters) whose first span is sound."""
    first = '{"start": 0, "end": 1, "label": "A", "text": "🛸"}'
    return f'{{"text": "🛸 ab", "spans": [{first}, {second}]}}'


NOT_A_SPAN = "is not one of the task's spans; Dossier relates labelled spans only"

# (bad third line, the reason str(error) gives after "file:3: ")
BAD_TASKS = [
    ('{"spans": []}', "missing 'text'"),
    ('{"text": 7}', "'text' should be str, not 7"),
    ('{"text": ""}', "the task's text is empty"),
    ('{"text": "ab", "answer": "maybe"}', "unknown answer 'maybe' (accept, reject or ignore)"),
    ('{"text": "ab", "answer": null}', "unknown answer None (accept, reject or ignore)"),
    ('{"text": "ab", "spans": {"start": 0}}', """'spans' should be list, not {"start": 0}"""),
    ('{"text": "ab", "relations": "r"}', """'relations' should be list, not "r\""""),
    (spans('"x"'), "span 2: expected an object"),
    (spans('{"start": 2, "end": 3}'), "span 2: missing 'label'"),
    (spans('{"start": 2, "end": 3, "label": 5}'), "span 2: 'label' should be str, not 5"),
    (
        spans('{"start": "2", "end": 3, "label": "B"}'),
        'span 2: start should be an integer, not "2"',
    ),
    (spans('{"start": 3, "end": 2, "label": "B"}'), "span 2: start 3 is not before end 2"),
    # 5 would be the end in UTF-16 units (🛸 is two); in code points the text has 4
    (
        spans('{"start": 2, "end": 5, "label": "B"}'),
        "span 2: offsets 2-5 fall outside the text of 4 characters",
    ),
    (
        spans('{"start": 2, "end": 4, "label": "B", "text": " a"}'),
        "span 2: text ' a' disagrees with the document, which has 'ab' at 2-4",
    ),
    (related(SOUND, "7"), "relation 2: expected an object"),
    (
        related(
            SOUND, '{"head_span": {"start": 0, "end": 1}, "child_span": {"start": 1, "end": 2}}'
        ),
        "relation 2: missing 'label'",
    ),
    (
        related('{"child_span": {"start": 1, "end": 2}, "label": "r"}'),
        "relation 1: missing 'head_span'",
    ),
    (
        related('{"head_span": {"start": 0, "end": 1}, "child_span": [1, 2], "label": "r"}'),
        "relation 1: 'child_span' should be dict, not [1, 2]",
    ),
    # right offsets, wrong label: A is 0-1, not B
    (
        related(
            '{"head_span": {"start": 0, "end": 1, "label": "B"}, '
            '"child_span": {"start": 1, "end": 2, "label": "B"}, "label": "r"}'
        ),
        f"relation 1: head_span 0-1 (B) {NOT_A_SPAN}",
    ),
    # no label, and no span 0-2 at all
    (
        related(
            SOUND,
            '{"head_span": {"start": 0, "end": 1}, "child_span": {"start": 0, "end": 2}, "label": "r"}',
        ),
        f"relation 2: child_span 0-2 (no label) {NOT_A_SPAN}",
    ),
    # refused by the store, located at the task's line: a published date is at most 40
    # characters; "Tuesday 2 January 2024, evening, Baghdad time" has 45
    (
        '{"text": "ab", "meta": {"date": "Tuesday 2 January 2024, evening, Baghdad time"}}',
        "the published date 'Tuesday 2 January 2024, evening, Baghdad'… is 45 characters "
        "long; at most 40 fit",
    ),
]


def write_lines(path, *lines: str):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def refusal(store, path, options: ImportOptions) -> str:
    before = snapshot(store)
    with pytest.raises(InputError) as caught:
        import_paths(store, [path], options)
    assert snapshot(store) == before  # the good first line is not imported either
    assert store.document_count() == 0
    return str(caught.value)


@pytest.mark.parametrize("bad,reason", BAD_TASKS)
def test_a_bad_task_is_refused_with_its_file_line_and_reason(memory_store, tmp_path, bad, reason):
    path = write_lines(tmp_path / "bad.jsonl", GOOD, "", bad)
    options = ImportOptions(annotator="ann", format="prodigy")
    assert refusal(memory_store, path, options) == f"{path}:3: {reason}"


NO_ANNOTATOR = "the record names no annotator; give one with --annotator NAME"


@pytest.mark.parametrize(
    "bad",
    [
        '{"text": "abc", "spans": [{"start": 0, "end": 1, "label": "Claim"}]}',
        # nothing tagged, and a blank name: the file's name is asked for, and gives none
        '{"text": "abc", "_annotator_id": "  "}',
    ],
)
def test_a_file_whose_name_gives_no_annotator_needs_one_named(memory_store, tmp_path, bad):
    path = write_lines(tmp_path / ".jsonl", '{"text": "fine", "_annotator_id": "ann"}', bad)
    assert (
        refusal(memory_store, path, ImportOptions(format="prodigy")) == f"{path}:2: {NO_ANNOTATOR}"
    )


def only_document(store):
    [document_id] = store.document_ids()
    return store.document(document_id)


def status_of(store, document_id, name):
    [annotator] = [a for a in store.annotators() if a.name == name]
    return store.document_status(document_id, annotator.id)


def test_spans_without_an_annotator_go_to_the_files_name_and_the_user_is_told(
    memory_store, tmp_path
):
    path = write_lines(
        tmp_path / "frank.prodigy.jsonl",
        '{"text": "Erbil 🛸 now", "spans": [{"start": 8, "end": 11, "label": "Event"}]}',
    )
    report = import_paths(memory_store, [path], ImportOptions(format="prodigy"))
    assert spans_of(memory_store) == {("Erbil 🛸 now", "Event", 8, 11, "now", "frank")}
    assert report.attributed == {str(path): "frank"}


def test_a_task_naming_a_blank_annotator_and_no_span_is_done_for_the_files_name(
    memory_store, tmp_path
):
    path = write_lines(tmp_path / "gina.jsonl", '{"text": "ab", "_annotator_id": " "}')
    report = import_paths(memory_store, [path], ImportOptions(format="prodigy"))
    document = only_document(memory_store)
    assert [a.name for a in memory_store.annotators()] == ["gina"]
    assert status_of(memory_store, document.id, "gina") == "done"
    assert memory_store.spans(document.id) == []
    assert report.attributed == {str(path): "gina"}


def test_the_session_names_the_annotator_when_the_annotator_id_does_not(memory_store, tmp_path):
    path = write_lines(
        tmp_path / "x.jsonl",
        '{"text": "Erbil now", "spans": [{"start": 0, "end": 5, "label": "Place"}], '
        '"_annotator_id": "", "_session_id": "night-shift"}',
    )
    report = import_paths(memory_store, [path], ImportOptions(format="prodigy"))
    assert spans_of(memory_store) == {("Erbil now", "Place", 0, 5, "Erbil", "night-shift")}
    assert report.attributed == {}


def test_rejected_and_ignored_tasks_are_counted_apart_and_the_rest_is_read(memory_store, tmp_path):
    path = write_lines(
        tmp_path / "mixed.jsonl",
        '{"text": "one", "answer": "reject", "_annotator_id": "ann"}',
        '{"text": "two", "answer": "ignore", "_annotator_id": "ann"}',
        '{"text": "three 🛸 four", "spans": [{"start": 8, "end": 12, "label": "Claim"}], '
        '"answer": "accept", "_annotator_id": "ann"}',
        '{"text": "five", "answer": "reject", "_annotator_id": "ann"}',
    )
    report = import_paths(memory_store, [path], ImportOptions(format="prodigy"))
    assert report.skipped == {"rejected tasks": 2, "ignored tasks": 1}
    document = only_document(memory_store)
    assert document.imported_from == str(path)
    assert spans_of(memory_store) == {("three 🛸 four", "Claim", 8, 12, "four", "ann")}


def test_a_relation_whose_ends_name_no_label_ties_the_spans_at_their_offsets(
    memory_store, tmp_path
):
    task = {
        "text": "Biden 🛸 blamed Kataib Hezbollah.",
        "spans": [
            {"start": 0, "end": 5, "label": "Actor"},
            {"start": 15, "end": 31, "label": "Actor"},
        ],
        "relations": [
            {
                "head_span": {"start": 0, "end": 5},
                "child_span": {"start": 15, "end": 31},
                "label": "blames",
            }
        ],
        "_annotator_id": "ann",
    }
    path = write_lines(tmp_path / "rel.jsonl", json.dumps(task, ensure_ascii=False))
    import_paths(memory_store, [path], ImportOptions(format="prodigy"))
    text = task["text"]
    assert relations_of(memory_store) == {
        (text, "blames", ("Actor", 0, 5, "ann"), ("Actor", 15, 31, "ann"), "ann")
    }


# --- export -------------------------------------------------------------------------------

TEXT = "Cafe\u0301 🛸 hit  Erbil\r\nnow"
BLANK_FIRST = "  Erbil"  # spaCy: "  " 0-2 (a whitespace token), "Erbil" 2-7
INEXACT = "spans not on token boundaries (kept as they are)"


def token(text, start, end, id, ws):  # noqa: A002
    return {"text": text, "start": start, "end": end, "id": id, "ws": ws}


TOKENS = [
    token("Cafe\u0301", 0, 5, 0, True),
    token("🛸", 6, 7, 1, True),
    token("hit", 8, 11, 2, True),
    token(" ", 12, 13, 3, False),
    token("Erbil", 13, 18, 4, False),
    token("\r\n", 18, 20, 5, False),
    token("now", 20, 23, 6, False),
]


def span(start, end, token_start, token_end, label):
    return {
        "start": start,
        "end": end,
        "token_start": token_start,
        "token_end": token_end,
        "label": label,
    }


def exported(store, tmp_path) -> tuple[list[dict], dict[str, int]]:
    out = tmp_path / "out" / "tasks.jsonl"
    report = export_project(store, "prodigy", out, ExportOptions())
    tasks = read_jsonl(out)
    for task in tasks:
        # the hashes are pinned in test_prodigy.py; the time is when the spans were made
        assert isinstance(task.pop("_input_hash"), int)
        assert isinstance(task.pop("_task_hash"), int)
        assert isinstance(task.pop("_timestamp"), int)
    return tasks, report.adjusted


def test_spans_off_the_tokens_are_written_as_they_are_and_counted(memory_store, tmp_path):
    """Span 8-10, "hi", ends inside "hit"; " " 11-12 is the space after "hit", which no token
    holds: it goes to the token it sits in, "hit" (2). " " 0-1 of "  Erbil" sits in the
    whitespace token 0. "Erbil" 13-18 is exactly token 4. Three spans off the tokens."""
    tasks = [
        {
            "text": TEXT,
            "meta": {"title": "Drone over Erbil", "source": "Reuters"},
            "spans": [
                {"start": 13, "end": 18, "label": "Actor"},
                {"start": 8, "end": 10, "label": "Event"},
                {"start": 11, "end": 12, "label": "Place"},
            ],
            "_annotator_id": "ann",
        },
        {
            "text": BLANK_FIRST,
            "meta": {"title": "Blank first"},
            "spans": [{"start": 0, "end": 1, "label": "Place"}],
            "_annotator_id": "ann",
        },
    ]
    path = write_lines(
        tmp_path / "in.jsonl", *(json.dumps(task, ensure_ascii=False) for task in tasks)
    )
    import_paths(memory_store, [path], ImportOptions(format="prodigy"))
    written, adjusted = exported(memory_store, tmp_path)
    assert written == [
        {
            "text": TEXT,
            "meta": {"title": "Drone over Erbil", "source": "Reuters"},
            "tokens": TOKENS,
            "spans": [
                span(8, 10, 2, 2, "Event"),
                span(11, 12, 2, 2, "Place"),
                span(13, 18, 4, 4, "Actor"),
            ],
            "_view_id": "spans_manual",
            "answer": "accept",
            "_annotator_id": "ann",
            "_session_id": "ann",
        },
        {
            "text": BLANK_FIRST,
            "meta": {"title": "Blank first"},
            "tokens": [token("  ", 0, 2, 0, False), token("Erbil", 2, 7, 1, False)],
            "spans": [span(0, 1, 0, 0, "Place")],
            "_view_id": "spans_manual",
            "answer": "accept",
            "_annotator_id": "ann",
            "_session_id": "ann",
        },
    ]
    assert adjusted == {INEXACT: 3}


def test_spans_on_token_boundaries_note_nothing(memory_store, tmp_path):
    """The span 6-7 is token 1 ("🛸"); 8-18 is tokens 2 to 4 ("hit  Erbil"), token_end inclusive."""
    task = {
        "text": TEXT,
        "spans": [
            {"start": 6, "end": 7, "label": "Actor"},
            {"start": 8, "end": 18, "label": "Event"},
        ],
        "_annotator_id": "ann",
    }
    path = write_lines(tmp_path / "in.jsonl", json.dumps(task, ensure_ascii=False))
    import_paths(memory_store, [path], ImportOptions(format="prodigy"))
    [written], adjusted = exported(memory_store, tmp_path)
    assert written["spans"] == [span(6, 7, 1, 1, "Actor"), span(8, 18, 2, 4, "Event")]
    assert adjusted == {}
