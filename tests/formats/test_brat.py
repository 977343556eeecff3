"""brat standoff: the export read back by an independent reader written here, round trips,
what brat cannot carry, discontinuous spans and events on import, and bad .ann lines."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.records import ExportFilter, ImportBatch, NewDocument
from db.store import Store
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
from tests.formats.tool_checks import (
    brat_conf_sections,
    brat_config_refusals,
    brat_document_refusals,
    brat_folder_refusals,
)

# --- an independent reader of brat's standoff, written from formats.md --------------------


def read_standoff(ann: Path) -> dict:
    """T, E, R, A, N and # lines of one .ann file, checked against its .txt as brat would."""
    text = ann.with_suffix(".txt").read_bytes().decode("utf-8")
    entities, events, relations, attributes, links, notes = {}, {}, [], [], [], []
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
        elif ident.startswith("E"):
            kind_trigger, *arguments = fields[1].split(" ")
            kind, trigger = kind_trigger.split(":")
            assert entities[trigger][0] == kind  # brat: the trigger is a T line of its type
            events[ident] = (trigger, [tuple(a.split(":")) for a in arguments])
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
            assert kind in ("AnnotatorNotes", "Attribute")
            notes.append((kind, target, fields[2]))
        else:
            raise AssertionError(f"unexpected line {line!r}")
    return {
        "text": text,
        "entities": entities,
        "events": events,
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

    # The event is an E line on its trigger; its links are its arguments, and everything
    # else refers to it by its E ID (brat refuses references to a trigger).
    [(event, (trigger, arguments))] = standoff["events"].items()
    assert trigger == ident(rich.event)
    assert arguments == [("agent", ident(rich.us)), ("location", ident(rich.place))]
    assert standoff["relations"] == [("attributed_to", ident(rich.claim), ident(rich.actor))]
    assert sorted(standoff["attributes"], key=str) == sorted(
        [("stance", ident(rich.claim), "critical"), ("type", event, "airstrike")], key=str
    )
    assert standoff["links"] == [
        (ident(rich.actor), f"Dossier:{rich.entity.uuid}", "Kataib Hezbollah")
    ]
    # Attributes brat has no type for (a date, a number, text, undeclared ones) are notes.
    assert sorted(standoff["notes"]) == sorted(
        [
            ("AnnotatorNotes", event, '=HYPERLINK("x") second line'),
            ("Attribute", event, "date=2024-02-07"),
            ("Attribute", event, "retaliation=true"),
            ("Attribute", ident(rich.claim), "weight=0.9"),
            ("Attribute", ident(rich.claim), "verified=false"),
            ("Attribute", ident(rich.claim), "quote=two words"),
        ]
    )
    assert brat_folder_refusals(out) == []


def test_the_configuration_is_the_label_schema(rich, tmp_path):
    out = export(rich.store, tmp_path)
    assert brat_config_refusals(out) == []
    conf = {
        section: dict(entries)
        for section, entries in brat_conf_sections(
            (out / "annotation.conf").read_text(encoding="utf-8")
        ).items()
    }
    # every label; the Event label is an event type, and brat refuses a type that is both
    assert list(conf["entities"]) == ["Claim", "Actor", "Place", "Armed_group"]
    assert conf["events"] == {
        "Event": ["agent*:Actor", "target*:Actor", "location?:<ANY>"]  # many, one, any label
    }
    assert conf["relations"] == {
        "source": ["Arg1:Claim", "Arg2:Actor"],
        "about": ["Arg1:Claim", "Arg2:Actor|Event"],
        "attributed_to": ["Arg1:Claim", "Arg2:Actor"],  # used, though no schema declares it
        "<OVERLAP>": ["Arg1:<ANY>", "Arg2:<ANY>", "<OVL-TYPE>:<ANY>"],  # claims hold events
    }
    attributes = conf["attributes"]
    assert attributes["stance"] == ["Arg:Claim", "Value:supports|opposes|neutral|critical"]
    assert attributes["certainty"] == ["Arg:Claim", "Value:asserted|hedged|denied|reported"]
    # one attribute per name: Actor's and Event's "type" share a line, "armed group" a name
    assert attributes["type"][0] == "Arg:Actor|Event"
    assert "armed_group" in attributes["type"][1].split("|")
    assert "date" not in attributes and "fatalities" not in attributes  # not brat attributes
    visual = (out / "visual.conf").read_text(encoding="utf-8").splitlines()
    assert {"Armed_group | Armed group", "armed_group | armed group"} <= set(visual)
    assert "Claim\tbgColor:#0072B2" in visual


def test_the_brat_checks_catch_what_brat_refuses(tmp_path):
    """A relation or attribute on a trigger instead of its event, an event whose trigger has
    another type, a repeated role ending in a digit, a value with a space."""
    assert brat_document_refusals("T1\tEvent 0 4\tshot\nE1\tEvent:T1\nA1\ttype E1 x\n") == []
    assert brat_document_refusals("T1\tEvent 0 4\tshot\nE1\tEvent:T1\nA1\ttype T1 x\n")
    assert brat_document_refusals("T1\tActor 0 4\tshot\nE1\tEvent:T1\n")
    assert brat_document_refusals("T1\tEvent 0 4\tshot\nE1\tEvent:T1 agent:T9\n")
    for conf in (
        "[events]\nEvent\targ1*:Actor\n",
        "[attributes]\ntype\tArg:Actor, Value:armed group\n",
    ):
        with pytest.raises(ValueError):
            brat_conf_sections(conf)
    (tmp_path / "annotation.conf").write_text(
        "[entities]\nEvent\n[relations]\n[events]\nEvent\n[attributes]\n"
    )
    (tmp_path / "visual.conf").write_text("[labels]\n[drawing]\n")
    assert brat_config_refusals(tmp_path) == ["Event is both an entity and an event"]


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


def test_every_attribute_note_and_link_comes_back(rich, fresh, tmp_path):
    """Choices and yes/no as brat attributes, other kinds as notes: all come back, as do
    notes (line breaks become spaces) and links; suggestions do not leave."""
    out = tmp_path / "brat"
    report = export_project(rich.store, "brat", out)
    import_paths(fresh, [out])
    before, after = details_of(rich.store), details_of(fresh)
    assert set(after) == set(before)
    for key, (attributes, note, entity) in before.items():
        assert after[key] == (attributes, note.replace("\n", " "), entity)
    assert report.adjusted == {}
    assert spans_of(fresh, statuses=("suggested", "rejected")) == set()


ARTICLE = "Militias and the IRGC shelled a US base near Erbil; three died. Tehran denied it."


def test_events_with_repeated_roles_and_any_value_round_trip(memory_store, fresh, tmp_path):
    """The default schema: an event with two agents (agent, agent2), a number, text with a
    line break, a choice with a space; a claim about the event; all come back."""
    memory_store.import_batch(ImportBatch(documents=[NewDocument(text=ARTICLE)]))
    [document_id] = memory_store.document_ids()
    dana = memory_store.ensure_annotator("dana")
    label = {name: memory_store.label_by_name(name).id for name in ("Claim", "Actor", "Event")}

    def add(name, fragment, **fields):
        start = ARTICLE.index(fragment)
        return memory_store.add_span(
            document_id, label[name], dana.id, start, start + len(fragment), **fields
        )

    militias = add("Actor", "Militias", attributes={"type": "armed group"})
    irgc = add("Actor", "the IRGC", attributes={"type": "state"})
    base = add("Actor", "a US base")
    tehran = add("Actor", "Tehran")
    shelling = add(
        "Event",
        "shelled",
        attributes={
            "type": "ASSAULT",
            "date": "2024-W05",
            "fatalities": 3,
            "location": "near Erbil\u2028(north)",
            "code": "12",  # text that reads as a number stays text
        },
    )
    denial = add("Claim", "denied it", attributes={"certainty": "denied"})
    for head, tail, kind in (
        (shelling, militias, "agent"),
        (shelling, irgc, "agent"),
        (shelling, base, "target"),
        (denial, tehran, "source"),
        (denial, shelling, "about"),
    ):
        memory_store.add_relation(head.uuid, tail.uuid, kind, dana.id)
    out = export(memory_store, tmp_path)
    assert brat_folder_refusals(out) == [] and brat_config_refusals(out) == []
    [ann] = out.rglob("*.ann")
    lines = ann.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[1] for line in lines if line.startswith("E")] == [
        "Event:T3 agent:T1 agent2:T2 target:T4"
    ]
    assert "R2\tabout Arg1:T6 Arg2:E1" in lines  # a claim about an event points at its E
    assert "A1\ttype T1 armed_group" in lines
    assert '#3\tAttribute E1\tlocation="near Erbil\\u2028(north)"' in lines
    import_paths(fresh, [out])
    assert details_of(fresh) == details_of(memory_store)
    assert relations_of(fresh) == relations_of(memory_store)


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
    ("E1\tActor", "an event starts with TYPE:TRIGGER, found 'Actor'"),
    ("E1\tEvent:T0", "event type 'Event' differs from its trigger's type 'Actor'"),
    ("E1\tActor:T0 agent", "event argument 'agent' should be ROLE:ID"),
    ("E1\tActor:T0 agent:T4", "event argument 'agent:T4' names no span"),
    ("#1\tAttribute T0\tdate", "an attribute note is NAME=VALUE, found 'date'"),
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


def test_yes_no_attributes_are_binary(memory_store, tmp_path):
    from db.schema import AttributeSpec

    event = memory_store.label_by_name("Event")
    memory_store.set_label_schema(
        event.id, event.schema.with_attribute(AttributeSpec("claimed", kind="yesno"))
    )
    memory_store.import_batch(ImportBatch(documents=[NewDocument(text="Rockets hit the base.")]))
    [document_id] = memory_store.document_ids()
    dana = memory_store.ensure_annotator("dana")
    memory_store.add_span(document_id, event.id, dana.id, 0, 7, attributes={"claimed": True})
    memory_store.add_span(document_id, event.id, dana.id, 8, 11, attributes={"claimed": False})
    out = export(memory_store, tmp_path)
    conf = dict(brat_conf_sections((out / "annotation.conf").read_text())["attributes"])
    assert conf["claimed"] == ["Arg:Event"]  # binary: no values
    [ann] = out.rglob("*.ann")
    lines = ann.read_text(encoding="utf-8").splitlines()
    assert "A1\tclaimed E1" in lines and "#1\tAttribute E2\tclaimed=false" in lines
    assert brat_config_refusals(out) == [] and brat_folder_refusals(out) == []
    with Store.open(":memory:") as fresh:
        fresh.set_label_schema(
            fresh.label_by_name("Event").id, memory_store.label_by_name("Event").schema
        )
        import_paths(fresh, [out])
        assert details_of(fresh) == details_of(memory_store)
