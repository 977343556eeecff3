"""brat standoff: the export read back by an independent reader written here, round trips,
what brat cannot carry, discontinuous spans and events on import, and bad .ann lines."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.records import ExportFilter
from desktop.formats import ExportOptions, ImportOptions, InputError, export_project, import_paths
from tests.formats.project import (
    TEXT_A,
    TEXT_B,
    TEXT_C,
    details_of,
    relations_of,
    round_trip_spans,
    snapshot,
    spans_of,
    tricky_spans,
    tricky_text,
)

# --- an independent reader of brat's standoff, written from formats.md --------------------


def read_standoff(ann: Path) -> dict:
    """T, R, A, N and # lines of one .ann file, checked against its .txt as brat would."""
    text = ann.with_suffix(".txt").read_bytes().decode("utf-8")
    entities, relations, attributes, links, notes = {}, [], [], [], []
    for line in ann.read_bytes().decode("utf-8").split("\n"):
        if not line:
            continue
        fields = line.split("\t")
        ident = fields[0]
        if ident.startswith("T"):
            kind, *offsets = fields[1].replace(";", " ").split(" ")
            start, end = int(offsets[0]), int(offsets[-1])
            assert len(fields) == 3
            entities[ident] = (kind, start, end, fields[2])
        elif ident.startswith("R"):
            kind, arg1, arg2 = fields[1].split(" ")
            assert arg1.startswith("Arg1:") and arg2.startswith("Arg2:")
            relations.append((kind, arg1[5:], arg2[5:]))
        elif ident.startswith("A"):
            parts = fields[1].split(" ")
            attributes.append((parts[0], parts[1], parts[2] if len(parts) == 3 else True))
        elif ident.startswith("N"):
            reference, target, key = fields[1].split(" ")
            assert reference == "Reference"
            links.append((target, key, fields[2]))
        elif ident.startswith("#"):
            kind, target = fields[1].split(" ")
            assert kind == "AnnotatorNotes"
            notes.append((target, fields[2]))
        else:
            raise AssertionError(f"unexpected line {line!r}")
    return {
        "text": text,
        "entities": entities,
        "relations": relations,
        "attributes": attributes,
        "links": links,
        "notes": notes,
    }


def read_conf(path: Path) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif line and not line.startswith("#") and current is not None:
            current.append(line)
    return sections


def export(store, tmp_path, **filter_fields) -> Path:
    out = tmp_path / "brat"
    export_project(store, "brat", out, ExportOptions(filter=ExportFilter(**filter_fields)))
    return out


# --- tests --------------------------------------------------------------------------------


def test_the_export_is_what_brat_reads(rich, tmp_path):
    out = export(rich.store, tmp_path)
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["analyst_a", "analyst_b", "gold"]
    assert (out / "annotation.conf").is_file() and (out / "visual.conf").is_file()
    [ann] = [
        p
        for p in (out / "analyst_a").glob("*.ann")
        if p.with_suffix(".txt").read_bytes() == TEXT_A.encode()
    ]
    standoff = read_standoff(ann)
    text = standoff["text"]
    assert text == TEXT_A  # CRLF and U+2028 kept: brat counts "\r" as a character
    mine = [
        s
        for s in rich.store.spans(rich.doc_a, statuses=("accepted",))
        if s.annotator == "analyst_a"
    ]
    assert sorted(
        (kind, start, end) for kind, start, end, _ in standoff["entities"].values()
    ) == sorted((s.label.replace(" ", "_"), s.start, s.end) for s in mine)
    for _, start, end, covered in standoff["entities"].values():
        assert covered == re.sub("[\r\n\u2028]", " ", text[start:end])
    by_offsets = {(start, end): ident for ident, (_, start, end, _) in standoff["entities"].items()}

    def ident(span):
        return by_offsets[(span.start, span.end)]

    assert sorted(standoff["relations"]) == sorted(
        [
            ("attributed_to", ident(rich.claim), ident(rich.actor)),
            ("agent", ident(rich.event), ident(rich.us)),
            ("location", ident(rich.event), ident(rich.place)),
        ]
    )
    assert sorted(standoff["attributes"], key=str) == sorted(
        [
            ("stance", ident(rich.claim), "critical"),
            ("type", ident(rich.event), "airstrike"),
            ("date", ident(rich.event), "2024-02-07"),
            ("retaliation", ident(rich.event), True),
        ],
        key=str,
    )
    assert standoff["links"] == [
        (ident(rich.actor), f"dossier:{rich.entity.uuid}", "Kataib Hezbollah")
    ]
    assert standoff["notes"] == [(ident(rich.event), '=HYPERLINK("x") second line')]


def test_the_configuration_declares_every_type_used(rich, tmp_path):
    out = export(rich.store, tmp_path)
    conf = read_conf(out / "annotation.conf")
    assert set(conf["entities"]) >= {"Claim", "Actor", "Event", "Place", "Armed_group"}
    relations = {line.split("\t")[0]: line.split("\t")[1] for line in conf["relations"]}
    assert relations["attributed_to"] == "Arg1:Claim, Arg2:Actor"
    assert relations["location"] == "Arg1:Event, Arg2:Place"
    assert "<OVERLAP>" in relations  # claims hold actors and events
    attributes = {line.split("\t")[0]: line.split("\t")[1] for line in conf["attributes"]}
    assert attributes["stance"] == "Arg:Claim, Value:critical"
    assert attributes["retaliation"] == "Arg:Event"
    labels = read_conf(out / "visual.conf")["labels"]
    assert "Armed_group | Armed group" in labels


def test_documents_nobody_labelled_wait_at_the_top(rich, tmp_path):
    out = export(rich.store, tmp_path)
    top = [p for p in out.glob("*.txt")]
    assert [p.read_text(encoding="utf-8") for p in top] == [TEXT_C]
    assert top[0].with_suffix(".ann").read_bytes() == b""
    done = [p for p in (out / "analyst_b").glob("*.txt") if p.read_text(encoding="utf-8") == TEXT_B]
    assert done and done[0].with_suffix(".ann").read_bytes() == b""


def test_round_trip_gives_spans_relations_attributes_links_and_notes(rich, fresh, tmp_path):
    out = export(rich.store, tmp_path)
    report = import_paths(fresh, [out])
    assert spans_of(fresh) == spans_of(rich.store)
    assert relations_of(fresh) == relations_of(rich.store)
    assert [label.name for label in fresh.labels()][-2:] == ["Place", "Armed group"]
    assert report.attributed == {
        str(out / name): name for name in ("analyst_a", "analyst_b", "gold")
    }
    entity = next(e for e in fresh.entities() if e.uuid == rich.entity.uuid)
    assert (entity.name, entity.label) == ("Kataib Hezbollah", "Actor")


def test_what_brat_cannot_carry_is_dropped_and_only_that(rich, fresh, tmp_path):
    """Attribute values that are not one word of text or true, line breaks in notes,
    suggestions; everything else comes back."""
    out = tmp_path / "brat"
    report = export_project(rich.store, "brat", out)
    import_paths(fresh, [out])
    before, after = details_of(rich.store), details_of(fresh)
    assert set(after) == set(before)
    for key, (attributes, note, entity) in before.items():
        word_or_true = {
            k: v
            for k, v in attributes.items()
            if v is True or (isinstance(v, str) and " " not in v)
        }
        assert after[key] == (word_or_true, note.replace("\n", " "), entity)
    assert report.adjusted == {"attributes brat cannot hold (not one word of text, or not true)": 3}
    assert spans_of(fresh, statuses=("suggested", "rejected")) == set()


def test_the_corpus_round_trips(memory_store, fresh, corpus, tmp_path):
    import_paths(memory_store, [corpus])
    out = export(memory_store, tmp_path)
    import_paths(fresh, [out])
    assert spans_of(fresh) == spans_of(memory_store)
    assert len(spans_of(fresh)) == 64


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=tricky_text(), data=st.data())
def test_any_text_and_spans_round_trip(tmp_path, text, data):
    before, after = round_trip_spans(
        text, tricky_spans(data, text), "brat", tmp_path / "brat-roundtrip"
    )
    # A brat span holds no line break at its ends, and none that is all line breaks.
    expected = set()
    for text_, label, start, end, _, annotator in before:
        while start < end and is_line_break(text_[start]):
            start += 1
        while end > start and is_line_break(text_[end - 1]):
            end -= 1
        if start < end:
            expected.add((text_, label, start, end, text_[start:end], annotator))
    assert after == expected


def is_line_break(character: str) -> bool:
    """Whether Python's splitlines, and so brat, breaks a line at ``character``."""
    return len(f"a{character}b".splitlines()) == 2


def test_exporting_over_a_folder_that_is_not_an_export_is_refused(rich, tmp_path):
    out = tmp_path / "papers"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(ValueError, match="holds files that are not an earlier export"):
        export_project(rich.store, "brat", out)
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]
    export(rich.store, tmp_path)
    again = export(rich.store, tmp_path)  # an earlier export is replaced
    assert (again / "annotation.conf").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# --- import of brat written by other tools -------------------------------------------------


def write_pair(folder: Path, text: str, ann: str, name: str = "doc") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(text, encoding="utf-8", newline="")
    (folder / f"{name}.ann").write_text(ann, encoding="utf-8", newline="")
    return folder / f"{name}.ann"


def test_discontinuous_spans_become_one_span_with_their_fragments_kept(memory_store, tmp_path):
    text = "North and South America"
    ann = write_pair(tmp_path / "dana", text, "T1\tLocation 0 5;16 23\tNorth America\n")
    import_paths(memory_store, [ann])
    [span] = memory_store.spans(memory_store.document_ids()[0])
    assert (span.start, span.end, span.text, span.label, span.annotator) == (
        0,
        23,
        text,
        "Location",
        "dana",
    )
    assert span.attributes == {"brat_fragments": "0-5;16-23"}


def test_events_become_trigger_spans_related_to_their_arguments(memory_store, tmp_path):
    text = "Militias attacked the base in Erbil."
    ann = write_pair(
        tmp_path / "eve",
        text,
        "T1\tActor 0 8\tMilitias\nT2\tAttack 9 17\tattacked\nT3\tFacility 18 26\tthe base\n"
        "T4\tPlace 30 35\tErbil\nE1\tAttack:T2 Agent:T1 Target:T3 Place:T4\nA1\tNegated E1\n"
        "N1\tReference T4 Wikipedia:207272\tErbil\n*\tEquiv T1 T3\n",
    )
    import_paths(memory_store, [ann])
    document_id = memory_store.document_ids()[0]
    spans = {s.uuid: s for s in memory_store.spans(document_id)}
    got = {
        (spans[r.head_uuid].text, r.type, spans[r.tail_uuid].text)
        for r in memory_store.relations(document_id)
    }
    assert got == {
        ("attacked", "agent", "Militias"),
        ("attacked", "target", "the base"),
        ("attacked", "place", "Erbil"),
    }
    trigger = next(s for s in spans.values() if s.text == "attacked")
    assert (trigger.label, trigger.attributes) == ("Attack", {"Negated": True})
    erbil = next(s for s in spans.values() if s.text == "Erbil")
    entity = next(e for e in memory_store.entities() if e.uuid == erbil.entity_uuid)
    assert erbil.entity_uuid == str(uuid.uuid5(uuid.NAMESPACE_URL, "brat:Wikipedia:207272"))
    assert (entity.name, entity.description) == ("Erbil", "Wikipedia:207272")


BAD_LINES = [
    ("T1 Actor 0 4\tIraq", "expected an ID, a TAB, then the annotation"),
    ("X1\tActor 0 4\tIraq", "unknown kind of annotation 'X1'"),
    ("T1\tActor 0 99\tIraq", "offsets 0-99 fall outside the text of 24 characters"),
    ("T1\tActor 4 4\t", "start 4 is not before end 4"),
    ("T1\tActor zero 4\tIraq", "offsets should be 'START END', found 'zero 4'"),
    ("T1\tActor 0 4\tIran", "text 'Iran' disagrees with the document, which has 'Iraq' there"),
    ("R1\tblames Arg1:T0 Arg2:T7", "relation argument 'T7' is not a T or E line of this file"),
    ("A1\tstance T9 critical", "attribute target 'T9' is not a T or E line of this file"),
    (
        "N1\tReference T0 dossier:not-a-uuid\tIraq",
        "'not-a-uuid' is not the uuid of a Dossier entity",
    ),
    ("#1\tAnnotatorNotes T5\tnote", "note target 'T5' is not a T or E line of this file"),
    ("T0\tActor 5 9\tsaid", "ID T0 is used twice"),
]


@pytest.mark.parametrize("line,reason", BAD_LINES)
def test_a_bad_line_is_reported_with_its_ann_line_and_nothing_is_written(
    memory_store, tmp_path, line, reason
):
    text = "Iraq said nothing today."
    import_paths(memory_store, [write_pair(tmp_path / "before", "Already here.", "")])
    before = snapshot(memory_store)
    ann = write_pair(tmp_path / "dana", text, "T0\tActor 0 4\tIraq\n\n" + line + "\n")
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [ann], ImportOptions(format="brat"))
    assert str(error.value).startswith(f"{ann}:3: {reason}")
    assert snapshot(memory_store) == before


def test_an_ann_without_its_text_is_refused(memory_store, tmp_path):
    ann = tmp_path / "lonely.ann"
    ann.write_text("T1\tActor 0 4\tIraq\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"lonely.ann: brat needs the text beside the annotations"):
        import_paths(memory_store, [ann], ImportOptions(format="brat"))
