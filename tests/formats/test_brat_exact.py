"""brat standoff, exactly: every refusal's whole message (file, line and reason), the
document, spans, relations, attributes, links and notes a hand-written ``.ann`` gives, and
the ``.ann`` lines and report an export writes.

brat counts offsets in code points, as Python does. Every expected value below is worked
out by hand from this text (an astral character is one code point, two UTF-16 units; a
combining mark is a code point of its own; CRLF is two):

    Iraq 🛸 said\\r\\nnothing.\\u2028Cafe\\u0301 shut.
    I=0 r=1 a=2 q=3 ' '=4 🛸=5 ' '=6 s=7 a=8 i=9 d=10 \\r=11 \\n=12 n=13 o=14 t=15 h=16
    i=17 n=18 g=19 .=20 U+2028=21 C=22 a=23 f=24 e=25 U+0301=26 ' '=27 s=28 h=29 u=30
    t=31 .=32

33 code points (34 UTF-16 units): "Iraq" 0-4, "🛸" 5-6, "said" 7-11, "nothing" 13-20,
"Cafe\\u0301" 22-27, "shut." 28-33.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from db.records import ImportBatch, NewDocument
from desktop.formats import (
    ExportOptions,
    ImportOptions,
    InputError,
    brat,
    export_project,
    import_paths,
)
from tests.formats.project import snapshot

TEXT = "Iraq 🛸 said\r\nnothing.\u2028Cafe\u0301 shut."


def write_pair(folder: Path, text: str, ann: str, name: str = "doc") -> Path:
    """``name.txt`` and ``name.ann`` in ``folder``, byte for byte (no newline translation)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_bytes(text.encode("utf-8"))
    (folder / f"{name}.ann").write_bytes(ann.encode("utf-8"))
    return folder / f"{name}.ann"


def refusal(store, path: Path) -> str:
    """The message of the InputError an import of ``path`` raises; the project unchanged."""
    before = snapshot(store)
    with pytest.raises(InputError) as caught:
        import_paths(store, [path], ImportOptions(format="brat"))
    assert snapshot(store) == before
    return str(caught.value)


# --- refusals: the .ann is line 1 "T1 Actor 0 4 Iraq", a blank line 2, then the lines below --

# (lines after the first two, the line number of the refusal, its reason)
BAD_LINES = [
    # _parse
    ("T2 Actor 0 4\tIraq", 3, "expected an ID, a TAB, then the annotation: 'T2 Actor 0 4\\tIraq'"),
    ("T2 Actor 0 4", 3, "expected an ID, a TAB, then the annotation: 'T2 Actor 0 4'"),
    (
        "T2 " + "x" * 70,
        3,
        "expected an ID, a TAB, then the annotation: 'T2 "
        + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'",  # 3 + 57 = 60
    ),
    ("X1\tActor 0 4\tIraq", 3, "unknown kind of annotation 'X1'"),
    ("T2a\tActor 0 4\tIraq", 3, "unknown kind of annotation 'T2a'"),
    ("T2\tActor 0 4\tIraq\nT2\tActor 0 4\tIraq", 4, "ID T2 is used twice"),
    ("T1\tPlace 5 6\t🛸", 3, "ID T1 is used twice"),
    # _span
    ("T2\tActor", 3, "a T line needs a type and offsets, found 'Actor'"),
    ("T2\tActor \tIraq", 3, "a T line needs a type and offsets, found 'Actor '"),
    ("T2\t 0 4\tIraq", 3, "a T line needs a type and offsets, found ' 0 4'"),
    ("T2\tActor 0\tIraq", 3, "offsets should be 'START END', found '0'"),
    ("T2\tActor 0 4 5\tIraq", 3, "offsets should be 'START END', found '0 4 5'"),
    ("T2\tActor 0 4;5\tIraq", 3, "offsets should be 'START END', found '5'"),
    ("T2\tActor 0 ٤\tIraq", 3, "offsets should be 'START END', found '0 ٤'"),
    ("T2\tActor 0 4x\tIraq", 3, "offsets should be 'START END', found '0 4x'"),
    ("T2\tActor -1 4\tIraq", 3, "offsets should be 'START END', found '-1 4'"),
    (
        "T2\tActor 0 0000000000000000004\tIraq",  # 19 digits
        3,
        "offsets should be 'START END', found '0 0000000000000000004'",
    ),
    (
        "T2\tActor 0 4;" + "1 " * 40,
        3,
        "offsets should be 'START END', found '1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 "
        "1 1 1 1 1 1 '",  # the first 60 characters of the fragment
    ),
    ("T2\tActor 4 4\t", 3, "start 4 is not before end 4"),
    ("T2\tActor 5 4\t", 3, "start 5 is not before end 4"),
    ("T2\tActor 0 4;7 7\tIraq ", 3, "start 7 is not before end 7"),
    ("T2\tActor 28 34\tshut.", 3, "offsets 28-34 fall outside the text of 33 characters"),
    ("T2\tActor 0 4;28 34\tIraq shut.", 3, "offsets 28-34 fall outside the text of 33 characters"),
    ("T2\tActor 0 4\tIran", 3, "text 'Iran' disagrees with the document, which has 'Iraq' there"),
    ("T2\tActor 5 6\t🛸x", 3, "text '🛸x' disagrees with the document, which has '🛸' there"),
    (
        "T2\tActor 0 4;13 20\tIraq nothin",
        3,
        "text 'Iraq nothin' disagrees with the document, which has 'Iraq nothing' there",
    ),
    (
        "T2\tActor 7 20\tsaidnothing",
        3,
        "text 'saidnothing' disagrees with the document, which has 'said\\r\\nnothing' there",
    ),
    # _build: events
    ("E1\tActor", 3, "an event starts with TYPE:TRIGGER, found 'Actor'"),
    ("E1\t:T1", 3, "an event starts with TYPE:TRIGGER, found ':T1'"),
    ("E1\tActor T1 agent:T1", 3, "an event starts with TYPE:TRIGGER, found 'Actor T1 agent:T1'"),
    ("E1\tActor:T9", 3, "event trigger 'T9' is not a T line of this file"),
    ("E1\tActor:", 3, "event trigger '' is not a T line of this file"),
    ("E1\tActor:T1:x", 3, "event trigger 'T1:x' is not a T line of this file"),
    (
        "R1\tsource Arg1:T1 Arg2:T1\nE1\tActor:R1",
        4,
        "event trigger 'R1' is not a T line of this file",
    ),
    # E2's trigger is E1, which is in the spans by then but is no T line
    ("E1\tActor:T1\nE2\tActor:E1", 4, "event trigger 'E1' is not a T line of this file"),
    ("E1\tEvent:T1", 3, "event type 'Event' differs from its trigger's type 'Actor'"),
    ("E1\tactor:T1", 3, "event type 'actor' differs from its trigger's type 'Actor'"),
    ("E1\tActor:T1 agent", 3, "event argument 'agent' should be ROLE:ID"),
    ("E1\tActor:T1 :T1", 3, "event argument ':T1' should be ROLE:ID"),
    ("E1\tActor:T1 agent:T1 agent:T4", 3, "event argument 'agent:T4' names no span"),
    ("E1\tActor:T1 agent:", 3, "event argument 'agent:' names no span"),
    ("E1\tActor:T1 agent:x:T1", 3, "event argument 'agent:x:T1' names no span"),
    # _build: the other kinds of line
    (
        "R1\tsource Arg1:T1",
        3,
        "a relation needs a type and two arguments, found 'source Arg1:T1'",
    ),
    ("R1\tsource Arg1:T1 T1", 3, "relation argument 'T1' should be ROLE:ID"),
    (
        "R1\tsource Arg1:T1 Arg2:T7",
        3,
        "relation argument 'T7' is not a T or E line of this file",
    ),
    (
        "A1\tNegated",
        3,
        "an attribute needs a name, a target and at most one value, found 'Negated'",
    ),
    ("A1\tstance T9 critical", 3, "attribute target 'T9' is not a T or E line of this file"),
    ("M1\tstance T9 critical", 3, "attribute target 'T9' is not a T or E line of this file"),
    (
        "N1\tReference T1\tIraq",
        3,
        "a normalisation needs 'Reference ID DB:KEY', found 'Reference T1'",
    ),
    (
        "N1\tReference T1 Wikipedia\tIraq",
        3,
        "a normalisation needs 'Reference ID DB:KEY', found 'Reference T1 Wikipedia'",
    ),
    ("N1\tReference T1 dossier:xyz\tIraq", 3, "'xyz' is not the uuid of a Dossier entity"),
    (
        "N1\tReference T8 Wikipedia:1\tIraq",
        3,
        "normalisation target 'T8' is not a T or E line of this file",
    ),
    (
        "#1\tAnnotatorNotes\tnote",
        3,
        "a note needs a type and a target, found 'AnnotatorNotes'",
    ),
    ("#1\tAnnotatorNotes T5\tnote", 3, "note target 'T5' is not a T or E line of this file"),
    ("#1\tAttribute T1\tdate", 3, "an attribute note is NAME=VALUE, found 'date'"),
    ("#1\tAttribute T1\t=5", 3, "an attribute note is NAME=VALUE, found '=5'"),
]


@pytest.mark.parametrize("lines,number,reason", BAD_LINES)
def test_a_bad_line_is_refused_with_its_file_line_and_reason(
    memory_store, tmp_path, lines, number, reason
):
    import_paths(memory_store, [write_pair(tmp_path / "before", "Already here.", "")])
    ann = write_pair(tmp_path / "dana", TEXT, "T1\tActor 0 4\tIraq\n\n" + lines + "\n")
    assert refusal(memory_store, ann) == f"{ann}:{number}: {reason}"


def test_line_numbers_count_every_line_break_brat_counts(memory_store, tmp_path):
    """brat splits an .ann as str.splitlines does: CRLF is one break, U+2028 one more."""
    ann = write_pair(
        tmp_path / "dana",
        TEXT,
        "T1\tActor 0 4\tIraq\r\n   \r\nT2\tPlace 5 6\t🛸\u2028T1\tActor 0 4\tIraq\n",
    )
    assert refusal(memory_store, ann) == f"{ann}:4: ID T1 is used twice"


LONG = "The ministry in Baghdad said on Wednesday that the strike near Erbil killed three men."


def test_a_long_disagreeing_text_is_shown_cut_to_60_characters(memory_store, tmp_path):
    # LONG[0:86] is the whole sentence; its first 60 characters end at "strike ne"
    ann = write_pair(tmp_path / "dana", LONG, "T1\tClaim 0 86\t" + "x" * 86 + "\n")
    assert refusal(memory_store, ann) == (
        f"{ann}:1: text '{'x' * 60}' disagrees with the document, which has "
        "'The ministry in Baghdad said on Wednesday that the strike ne' there"
    )


def test_an_ann_without_its_text_is_refused_naming_the_ann(memory_store, tmp_path):
    ann = tmp_path / "lonely.ann"
    ann.write_text("T1\tActor 0 4\tIraq\n", encoding="utf-8")
    assert refusal(memory_store, ann) == (
        f"{ann}: brat needs the text beside the annotations: lonely.txt is missing"
    )


def test_an_empty_text_is_refused_naming_the_txt_and_its_first_line(memory_store, tmp_path):
    ann = write_pair(tmp_path / "dana", "", "")
    assert refusal(memory_store, ann) == f"{tmp_path / 'dana' / 'doc.txt'}:1: the text is empty"


# --- what a hand-written .ann gives -------------------------------------------------------

ANN = (
    "T1\tActor 0 4\tIraq\n"
    "T2\tPlace 5 6\t🛸\n"
    "T3\tClaim 7 11;13 20\tsaid nothing\n"  # cut only at the CRLF: one span 7-20
    "T4\tEvent 22 27\tCafe\u0301\n"
    "E1\tEvent:T4 Agent:T1 Agent2:T2 Theme:T3\n"
    "R1\tsource Arg1:T3 Arg2:T1\n"
    "A1\tNegated E1\n"
    "M2\tstance T3 critical\n"
    "N1\tReference T1 Wikipedia:534366\tRepublic of Iraq\n"
    "#1\tAnnotatorNotes E1\tcheck this\n"
    "#2\tAttribute T3\tweight=0.9\n"
    "#3\tAnnotatorNotes T3\tfirst\n"
    "#4\tAnnotatorNotes T3\tsecond\n"
    "*\tEquiv T1 T2\n"
    "*\tEquiv T3 T4\n"  # equivalences have no ID: two are no ID used twice
    "T5\tActor 28 33\tshut.\n"  # ends at the end of the text
    "T6\tActor 13 20;0 4\tnothing Iraq\n"  # fragments kept in the line's order
    "T7\tActor 7 11;28 33\tsaid shut.\n"
    "T8\tActor 0 2;2 4\tIr aq\n"  # touching fragments are one stretch of text
    "T9\tActor 5 6\n"  # no text to check
    "T10\tActor 7 20\tsaid  nothing\n"  # one fragment over CRLF, its text on one line
    "#5\tAnnotatorNotes T5\tsee\tabove\n"  # a note holds everything after the second TAB
)


def test_every_kind_of_line_becomes_what_it_says(tmp_path):
    ann = write_pair(tmp_path / "dana", TEXT, ANN)
    result = brat.read(ann, ImportOptions())
    [document] = result.batch.documents
    assert (document.text, document.title, document.meta) == (
        TEXT,
        "Iraq 🛸 said",
        {"file": "doc.txt"},
    )
    assert (document.imported_from, document.where) == (
        str(tmp_path / "dana" / "doc.txt"),
        f"{ann}:1",
    )
    assert result.attributed == {str(tmp_path / "dana"): "dana"}
    assert result.skipped == {}
    wikipedia = str(uuid.uuid5(uuid.NAMESPACE_URL, "brat:Wikipedia:534366"))
    assert [
        (s.label, s.start, s.end, s.annotator, s.attributes, s.note, s.entity_uuid, s.where)
        for s in document.spans
    ] == [
        ("Actor", 0, 4, "dana", {}, "", wikipedia, f"{ann}:1"),
        ("Place", 5, 6, "dana", {}, "", None, f"{ann}:2"),
        (
            "Claim",
            7,
            20,
            "dana",
            {"stance": "critical", "weight": 0.9},
            "first\nsecond",
            None,
            f"{ann}:3",
        ),
        ("Event", 22, 27, "dana", {"Negated": True}, "check this", None, f"{ann}:4"),
        ("Actor", 28, 33, "dana", {}, "see\tabove", None, f"{ann}:16"),
        ("Actor", 0, 20, "dana", {"brat_fragments": "13-20;0-4"}, "", None, f"{ann}:17"),
        ("Actor", 7, 33, "dana", {"brat_fragments": "7-11;28-33"}, "", None, f"{ann}:18"),
        ("Actor", 0, 4, "dana", {}, "", None, f"{ann}:19"),
        ("Actor", 5, 6, "dana", {}, "", None, f"{ann}:20"),
        ("Actor", 7, 20, "dana", {}, "", None, f"{ann}:21"),
    ]
    iraq, ufo, claim, event = document.spans[:4]
    # only the spans that something refers to get a uuid here
    assert all(s.uuid for s in document.spans[:4])
    assert [s.uuid for s in document.spans[4:]] == [None] * 6
    assert [
        (r.type, r.head_uuid, r.tail_uuid, r.annotator, r.where) for r in document.relations
    ] == [
        ("agent", event.uuid, iraq.uuid, "dana", f"{ann}:5"),
        ("agent", event.uuid, ufo.uuid, "dana", f"{ann}:5"),
        ("theme", event.uuid, claim.uuid, "dana", f"{ann}:5"),
        ("source", claim.uuid, iraq.uuid, "dana", f"{ann}:6"),
    ]
    assert [(e.name, e.uuid, e.label, e.description, e.where) for e in result.batch.entities] == [
        ("Republic of Iraq", wikipedia, "Actor", "Wikipedia:534366", f"{ann}:9")
    ]


def test_visual_conf_names_types_roles_and_relations(tmp_path):
    """A role without its number, a relation type and a label go by their visual.conf name."""
    (tmp_path / "visual.conf").write_text(
        "[labels]\nAgent | Perpetrator\nsrc | said by\nPlace | Place name\n", encoding="utf-8"
    )
    ann = write_pair(
        tmp_path / "dana",
        TEXT,
        "T1\tActor 0 4\tIraq\nT2\tPlace 5 6\t🛸\nE1\tPlace:T2 Agent3:T1 Target:T1\n"
        "R1\tsrc Arg1:T1 Arg2:T2\n",
    )
    [document] = brat.read(ann, ImportOptions()).batch.documents
    assert [s.label for s in document.spans] == ["Actor", "Place name"]
    assert [r.type for r in document.relations] == ["Perpetrator", "target", "said by"]


def test_an_annotator_given_wins_and_nobody_is_attributed(tmp_path):
    ann = write_pair(tmp_path / "dana", TEXT, "T1\tActor 0 4\tIraq\nE1\tActor:T1 agent:T1\n")
    result = brat.read(ann, ImportOptions(annotator="eve"))
    [document] = result.batch.documents
    assert [s.annotator for s in document.spans] == ["eve"]
    assert [r.annotator for r in document.relations] == ["eve"]
    assert result.attributed == {}


@pytest.mark.parametrize("ann", ["", "\n  \n", "*\tEquiv T1 T2\n"])
def test_an_ann_without_spans_gives_the_document_alone(tmp_path, ann):
    path = write_pair(tmp_path / "dana", TEXT, ann)
    result = brat.read(path, ImportOptions())
    [document] = result.batch.documents
    assert (document.spans, document.relations, result.attributed) == ([], [], {})


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("R1\tsource Arg1:T1 Arg2:T2", "relation argument 'T1' is not a T or E line of this file"),
        ("A1\tNegated T7", "attribute target 'T7' is not a T or E line of this file"),
        ("#1\tAnnotatorNotes T3\tsome note", "note target 'T3' is not a T or E line of this file"),
        (
            "N1\tReference T1 dossier:not-a-uuid",
            "normalisation target 'T1' is not a T or E line of this file",
        ),
    ],
)
def test_a_line_pointing_at_spans_of_an_ann_without_any_is_refused(tmp_path, line, reason):
    """Without a T or E line, an R, A, N or # line can only point at nothing."""
    ann = write_pair(tmp_path / "dana", TEXT, f"\n{line}\n")
    with pytest.raises(InputError) as raised:
        brat.read(ann, ImportOptions())
    assert str(raised.value) == f"{ann}:2: {reason}"


def test_an_event_alone_is_read_and_attributed(tmp_path):
    """An E line whose trigger comes later in the file: the T lines are read first."""
    ann = write_pair(tmp_path / "dana", TEXT, "E1\tEvent:T1\nT1\tEvent 22 27\tCafe\u0301\n")
    result = brat.read(ann, ImportOptions())
    [document] = result.batch.documents
    assert [(s.label, s.start, s.end, s.where) for s in document.spans] == [
        ("Event", 22, 27, f"{ann}:2")
    ]
    assert result.attributed == {str(tmp_path / "dana"): "dana"}


def test_a_text_of_blank_lines_is_titled_after_its_file(tmp_path):
    ann = write_pair(tmp_path / "dana", "\r\n \n", "", name="Report 7")
    [document] = brat.read(ann, ImportOptions()).batch.documents
    assert (document.title, document.meta) == ("Report 7", {"file": "Report 7.txt"})


def test_the_txt_may_be_named_instead_of_the_ann(tmp_path):
    ann = write_pair(tmp_path / "dana", TEXT, "T1\tActor 0 4\tIraq\n")
    result = brat.read(ann.with_suffix(".txt"), ImportOptions())
    [document] = result.batch.documents
    assert [(s.label, s.start, s.end, s.where) for s in document.spans] == [
        ("Actor", 0, 4, f"{ann}:1")
    ]
    assert (document.imported_from, document.where) == (str(ann.with_suffix(".txt")), f"{ann}:1")


def test_an_ann_in_capitals_is_read_beside_its_txt(memory_store, tmp_path):
    folder = tmp_path / "dana"
    folder.mkdir()
    (folder / "Report.txt").write_bytes(TEXT.encode("utf-8"))
    (folder / "Report.ANN").write_bytes(b"T1\tActor 0 4\tIraq\n")
    import_paths(memory_store, [folder / "Report.ANN"])
    [document_id] = memory_store.document_ids()
    document = memory_store.document(document_id)
    assert (document.title, document.meta, document.imported_from) == (
        "Iraq 🛸 said",
        {"file": "Report.txt"},
        str(folder / "Report.txt"),
    )
    assert [
        (s.label, s.start, s.end, s.text, s.annotator) for s in memory_store.spans(document_id)
    ] == [("Actor", 0, 4, "Iraq", "dana")]


# --- what an export writes ----------------------------------------------------------------


def test_the_ann_lines_and_the_report_of_an_export(memory_store, tmp_path):
    """Spans of one annotator on TEXT, in the export's order (start, end, label):

    Actor 0-4 "Iraq" (a choice, a link)        T1
    Actor 5-6 "🛸" (a note over CRLF)          T2
    Claim 7-20 "said\\r\\nnothing"             T3, fragments 7 11;13 20
    Actor 11-13 "\\r\\n"                       left out: nothing but line breaks
    Claim 11-22 "\\r\\nnothing.\\u2028"          T4, shortened to 13-21
    Actor 21-22 "\\u2028"                       left out: nothing but line breaks
    Event 21-27 "\\u2028Cafe\\u0301"             T5, shortened to 22-27, the trigger of E1
    """
    memory_store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT, title="Iraq")]))
    [document_id] = memory_store.document_ids()
    dana = memory_store.ensure_annotator("dana").id
    label = {name: memory_store.label_by_name(name).id for name in ("Claim", "Actor", "Event")}
    entity = memory_store.add_entity("Republic\nof Iraq", label="Actor")

    def add(name, start, end, **fields):
        return memory_store.add_span(document_id, label[name], dana, start, end, **fields)

    iraq = add("Actor", 0, 4, attributes={"type": "state"}, entity_uuid=entity.uuid)
    ufo = add("Actor", 5, 6, note="line one\r\nline two")
    said = add("Claim", 7, 20, attributes={"stance": "supports", "weight": 2})
    add("Actor", 11, 13)
    nothing = add("Claim", 11, 22)
    add("Actor", 21, 22)
    cafe = add("Event", 21, 27, attributes={"date": None, "type": "ASSAULT", "a=b": "x"})
    for head, tail, kind in (
        (cafe, iraq, "agent"),
        (said, iraq, "source"),
        (cafe, ufo, "agent"),
        (nothing, cafe, "about"),
        (cafe, said, "witness"),  # a role no schema declares
        (iraq, ufo, "ally"),  # a relation no schema declares
    ):
        memory_store.add_relation(head.uuid, tail.uuid, kind, dana)
    out = tmp_path / "brat"
    report = export_project(memory_store, "brat", out, ExportOptions())
    [ann] = (out / "dana").glob("*.ann")
    assert ann.with_suffix(".txt").read_bytes() == TEXT.encode("utf-8")
    assert ann.read_bytes().decode("utf-8") == (
        "T1\tActor 0 4\tIraq\n"
        "T2\tActor 5 6\t🛸\n"
        "T3\tClaim 7 11;13 20\tsaid nothing\n"
        "T4\tClaim 13 21\tnothing.\n"
        "T5\tEvent 22 27\tCafe\u0301\n"
        "E1\tEvent:T5 agent:T1 agent2:T2 witness:T3\n"
        "R1\tsource Arg1:T3 Arg2:T1\n"
        "R2\tabout Arg1:T4 Arg2:E1\n"
        "R3\tally Arg1:T1 Arg2:T2\n"
        "A1\ttype T1 state\n"
        f"N1\tReference T1 Dossier:{entity.uuid}\tRepublic of Iraq\n"
        "#1\tAnnotatorNotes T2\tline one  line two\n"
        "A2\tstance T3 supports\n"
        "#2\tAttribute T3\tweight=2\n"
        "A3\ttype E1 ASSAULT\n"
    )
    assert report.adjusted == {
        "spans of nothing but line breaks left out (a brat span cannot hold one)": 2,
        "spans shortened by the line breaks at their ends (a brat span cannot hold one)": 2,
        "attributes whose name brat cannot hold (a line break or '=')": 1,
    }
    conf = (out / "annotation.conf").read_text(encoding="utf-8").splitlines()
    assert "ally\tArg1:Actor, Arg2:Actor" in conf
    assert "Event\tagent*:Actor, target*:Actor, location?:<ANY>, witness*:Claim" in conf


def test_an_export_with_nothing_to_shorten_reports_nothing(memory_store, tmp_path):
    memory_store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT, title="Iraq")]))
    [document_id] = memory_store.document_ids()
    dana = memory_store.ensure_annotator("dana").id
    actor = memory_store.label_by_name("Actor").id
    memory_store.add_span(document_id, actor, dana, 7, 20)  # over a CRLF, not at its ends
    memory_store.add_span(document_id, actor, dana, 0, 33)  # the whole text
    report = export_project(memory_store, "brat", tmp_path / "brat", ExportOptions())
    [ann] = (tmp_path / "brat" / "dana").glob("*.ann")
    assert ann.read_bytes().decode("utf-8") == (
        "T1\tActor 0 11;13 21;22 33\tIraq 🛸 said nothing. Cafe\u0301 shut.\n"
        "T2\tActor 7 11;13 20\tsaid nothing\n"
    )
    assert report.adjusted == {}


def test_a_type_may_hold_a_no_break_space(tmp_path):
    """Only a space ends an event's TYPE:TRIGGER and a T line's type: a no-break space
    (which str.split() would take for one) is part of the type, in the E line as in the T."""
    ann = write_pair(tmp_path / "dana", TEXT, "T1\tAct\u00a0or 0 4\tIraq\nE1\tAct\u00a0or:T1\n")
    [document] = brat.read(ann, ImportOptions()).batch.documents
    assert [(s.label, s.start, s.end) for s in document.spans] == [("Act\u00a0or", 0, 4)]
