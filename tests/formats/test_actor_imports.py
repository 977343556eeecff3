"""Actors in and out of the formats: native JSONL and brat carry canonical actors, and an
import that links badly (an actor nowhere, an alias two actors claim, a span linked to an
actor of another label) is ``file:line: reason`` with nothing written, on both backends."""

from __future__ import annotations

import json

import pytest

from db.records import ImportBatch, NewDocument
from desktop.formats import ExportOptions, InputError, export_project, import_paths
from tests.formats.tool_checks import brat_document_refusals

TEXT = "Kataib Hezbollah said the strike in Baghdad was an attack on Iraq."
MILITIA = "0b6f1f4e-2f4c-4a39-9a55-7c1f0e6b7a11"
OTHER = "5d2f3c1a-8e0b-4c6e-9f1d-2a4b6c8d0e12"


def entity(uuid=MILITIA, name="Kataib Hezbollah", label="Actor", aliases=(), **more) -> dict:
    return {
        "type": "entity",
        "uuid": uuid,
        "name": name,
        "label": label,
        "aliases": list(aliases),
        **more,
    }


def document(*spans: dict) -> dict:
    return {"type": "document", "text": TEXT, "spans": list(spans)}


def span(fragment: str, label: str = "Actor", entity_uuid: str | None = MILITIA) -> dict:
    start = TEXT.index(fragment)
    return {
        "start": start,
        "end": start + len(fragment),
        "label": label,
        "annotator": "dana",
        "entity": entity_uuid,
    }


def write_jsonl(path, *records: dict):
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def snapshot(store) -> tuple:
    entities = [(e.uuid, e.name, e.label, e.aliases, e.type) for e in store.entities()]
    return entities, store.document_count(), store.stats()["spans"]


def refused(store, path) -> str:
    before = snapshot(store)
    with pytest.raises(InputError) as caught:
        import_paths(store, [path])
    assert snapshot(store) == before
    return str(caught.value)


def test_a_link_to_an_actor_neither_in_the_file_nor_in_the_project(store, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", document(span("Kataib Hezbollah", entity_uuid=OTHER)))
    assert refused(store, path) == (
        f"{path}:1: the span links to entity {OTHER}, which is neither in the file nor "
        "in the project"
    )


def test_a_link_to_an_actor_of_the_project_is_kept(store, tmp_path):
    store.add_entity("Kataib Hezbollah", label="Actor", entity_uuid=MILITIA)
    path = write_jsonl(tmp_path / "a.jsonl", document(span("Kataib Hezbollah")))
    import_paths(store, [path])
    [linked] = store.spans(store.document_ids()[0])
    assert linked.entity_uuid == MILITIA


def test_two_actors_of_the_file_claiming_one_alias(store, tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        entity(aliases=["KH", "Kata'ib Hezbollah"]),
        entity(OTHER, "Hezbollah Brigades", aliases=["KH"]),
        document(span("Kataib Hezbollah")),
    )
    assert refused(store, path) == (
        f"{path}:2: the alias “KH” of “Hezbollah Brigades” is also an alias of another entity "
        f"in the file ({path}:1): an alias belongs to one actor"
    )


def test_an_alias_may_repeat_across_labels_and_names_may_repeat(store, tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        entity(aliases=["KH"]),
        entity(OTHER, "Kataib Hezbollah", label="Event", aliases=["KH"]),
        document(span("Kataib Hezbollah")),
    )
    import_paths(store, [path])
    assert sorted((e.label, e.name, e.aliases) for e in store.entities()) == [
        ("Actor", "Kataib Hezbollah", ("KH",)),
        ("Event", "Kataib Hezbollah", ("KH",)),
    ]


def test_an_alias_an_actor_of_the_project_has(store, tmp_path):
    store.add_entity("Hezbollah Brigades", label="Actor", aliases=["KH"], entity_uuid=OTHER)
    path = write_jsonl(
        tmp_path / "a.jsonl", entity(aliases=["KH"]), document(span("Kataib Hezbollah"))
    )
    assert refused(store, path) == (
        f"{path}:1: the alias “KH” of “Kataib Hezbollah” already belongs to “Hezbollah Brigades” "
        "in the project: an alias belongs to one actor"
    )
    # The same actor, met again in a file, may name its own aliases.
    again = write_jsonl(
        tmp_path / "b.jsonl",
        entity(OTHER, "Hezbollah Brigades", aliases=["KH", "Iraqi Hezbollah Brigades"]),
    )
    import_paths(store, [again])
    assert store.entity(OTHER).aliases == ("Iraqi Hezbollah Brigades", "KH")


def test_a_claim_span_linked_to_an_actor(store, tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        entity(),
        document(span("Kataib Hezbollah"), span("the strike in Baghdad was an attack", "Claim")),
    )
    assert refused(store, path) == (
        f"{path}:2: a span labelled Claim cannot link to “Kataib Hezbollah”, an entity "
        "of the label Actor"
    )


def test_a_claim_span_linked_to_an_actor_of_the_project(store, tmp_path):
    store.add_entity("Kataib Hezbollah", label="Actor", entity_uuid=MILITIA)
    path = write_jsonl(tmp_path / "a.jsonl", document(span("the strike", "Claim")))
    assert "a span labelled Claim cannot link to “Kataib Hezbollah”" in refused(store, path)


def test_the_actor_type_travels_in_native_jsonl(store, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", entity(aliases=["KH"], entity_type="armed group"))
    import_paths(store, [path])
    assert store.entity(MILITIA).type == "armed group"
    out = tmp_path / "out.jsonl"
    export_project(store, "jsonl", out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    [line] = [record for record in records if record["type"] == "entity"]
    assert (line["entity_type"], line["aliases"]) == ("armed group", ["KH"])


# --- brat -----------------------------------------------------------------------------------


def write_brat(folder, ann: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "a.ann").write_text(ann, encoding="utf-8")
    return folder / "a.ann"


def test_brat_links_out_and_in_as_Dossier_references(store, tmp_path):
    store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)]))
    [document_id] = store.document_ids()
    me = store.ensure_annotator("dana").id
    militia = store.add_entity("Kataib Hezbollah", label="Actor", aliases=["KH"])
    store.add_span(
        document_id, store.label_by_name("Actor").id, me, 0, 16, entity_uuid=militia.uuid
    )
    out = tmp_path / "brat"
    export_project(store, "brat", out, ExportOptions())
    [path] = (out / "dana").glob("*.ann")
    ann = path.read_text(encoding="utf-8")
    assert f"N1\tReference T1 Dossier:{militia.uuid}\tKataib Hezbollah\n" in ann
    assert brat_document_refusals(ann) == []  # brat reads an N line of any database
    assert not (out / "tools.conf").exists()  # and shows and keeps it without one


@pytest.mark.parametrize("database", ["Dossier", "dossier", "DOSSIER"])
def test_brat_reads_a_Dossier_reference_in_any_case(store, tmp_path, database):
    store.add_entity("Kataib Hezbollah", label="Actor", entity_uuid=MILITIA)
    ann = write_brat(
        tmp_path / "dana",
        f"T1\tActor 0 16\tKataib Hezbollah\nN1\tReference T1 {database}:{MILITIA}\tKH\n",
    )
    import_paths(store, [ann])
    [linked] = store.spans(store.document_ids()[0])
    assert linked.entity_uuid == MILITIA
    assert [e.name for e in store.entities()] == ["Kataib Hezbollah"]  # the project's name stays


def test_brat_refuses_a_claim_linked_to_an_actor(store, tmp_path):
    store.add_entity("Kataib Hezbollah", label="Actor", entity_uuid=MILITIA)
    ann = write_brat(
        tmp_path / "dana",
        f"T1\tActor 0 16\tKataib Hezbollah\nT2\tClaim 17 27\tsaid the s\n"
        f"N1\tReference T1 Dossier:{MILITIA}\tKataib Hezbollah\n"
        f"N2\tReference T2 Dossier:{MILITIA}\tKataib Hezbollah\n",
    )
    assert refused(store, ann) == (
        f"{ann}:2: a span labelled Claim cannot link to “Kataib Hezbollah”, an entity of the "
        "label Actor"
    )


def test_brat_links_to_an_actor_it_brings_along(store, tmp_path):
    ann = write_brat(
        tmp_path / "dana",
        f"T1\tActor 0 16\tKataib Hezbollah\nN1\tReference T1 Dossier:{MILITIA}\tKataib Hezbollah\n",
    )
    import_paths(store, [ann])
    assert [(e.uuid, e.name, e.label) for e in store.entities()] == [
        (MILITIA, "Kataib Hezbollah", "Actor")
    ]
