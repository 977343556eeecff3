"""The guidelines travel with the schema: labels', attributes' and relations' descriptions
survive a native JSONL export and import, and Label Studio's labelling config carries them
where it has a place for them (a label's ``hint``, an attribute's ``placeholder``)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.records import ExportFilter
from db.store import Store
from desktop.formats import ExportOptions, export_project, import_paths
from desktop.formats.labelstudio import config_path

CLAIM = "Ce qu’un acteur affirme — «قال» 🗣\r\nReported speech counts.\u0301"
STANCE = "Pour ou contre ? ✊🏽 (right-to-left: مع أو ضد)"
SOURCE = "Who makes the claim; e\u0301 and 👩‍👩‍👧 kept."
PLACE = "A place named in the article:\nBaghdad, Erbil, الأنبار"


def describe(store: Store) -> None:
    """Descriptions with emoji, combining marks, right-to-left script and CRLF on a label,
    an attribute and a relation, and a new label with one."""
    claim = store.label_by_name("Claim")
    store.update_label(claim.id, description=CLAIM)
    schema = claim.schema
    schema = replace(
        schema,
        attributes=tuple(
            replace(spec, description=STANCE) if spec.name == "stance" else spec
            for spec in schema.attributes
        ),
        relations=tuple(
            replace(spec, description=SOURCE) if spec.type == "source" else spec
            for spec in schema.relations
        ),
    )
    store.set_label_schema(claim.id, schema)
    store.add_label("Venue", colour="#CC79A7", description=PLACE)


def guidelines(store: Store) -> list[tuple]:
    return [(label.name, label.description, label.schema.to_json()) for label in store.labels()]


def export(store: Store, format_name: str, out) -> None:
    export_project(store, format_name, out, ExportOptions(filter=ExportFilter()))


def test_descriptions_survive_a_native_round_trip(memory_store, tmp_path):
    describe(memory_store)
    out = tmp_path / "project.jsonl"
    export(memory_store, "jsonl", out)
    with Store.open(":memory:") as fresh:
        import_paths(fresh, [out])
        assert guidelines(fresh) == guidelines(memory_store)
        claim = fresh.label_by_name("Claim")
        assert claim.description == CLAIM
        assert claim.schema.attribute("stance").description == STANCE
        assert claim.schema.relation("source").description == SOURCE
        assert fresh.label_by_name("Venue").description == PLACE
        again = tmp_path / "again.jsonl"
        export(fresh, "jsonl", again)
    assert again.read_bytes() == out.read_bytes()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Any text the store takes: not NUL, which it refuses (PostgreSQL cannot hold it), nor a
# lone surrogate, which is no character.
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=80,
    )
)
def test_any_description_survives_a_native_round_trip(tmp_path_factory, description):
    out = tmp_path_factory.mktemp("native") / "project.jsonl"
    with Store.open(":memory:") as store:
        store.update_label(store.label_by_name("Event").id, description=description)
        written = store.label_by_name("Event").description
        export(store, "jsonl", out)
    with Store.open(":memory:") as fresh:
        import_paths(fresh, [out])
        assert fresh.label_by_name("Event").description == written


def _config(store: Store, tmp_path):
    out = tmp_path / "tasks.json"
    export(store, "labelstudio", out)
    return ElementTree.parse(config_path(out)).getroot()


def test_label_studio_config_carries_labels_and_attributes_descriptions(rich, tmp_path):
    store = rich.store
    describe(store)
    root = _config(store, tmp_path)
    hints = {label.get("value"): label.get("hint") for label in root.iter("Label")}
    for label in store.labels():
        assert hints[label.name] == (label.description.strip() or None)
    # XML keeps CR and LF written as character references; the combining mark stays.
    assert hints["Claim"] == CLAIM
    assert hints["Venue"] == PLACE
    areas = {area.get("name"): area.get("placeholder") for area in root.iter("TextArea")}
    # Each attribute the tasks use has its description as the placeholder of its text area;
    # one that two labels declare names both.
    assert areas["note"] is None and areas["quote"] is None  # no schema declares these
    assert areas["stance"] == STANCE
    assert areas["type"] == "Actor: What kind of actor. · Event: The PLOVER event category."


def test_label_studio_drops_what_xml_cannot_hold_from_a_description(memory_store, tmp_path):
    claim = memory_store.label_by_name("Claim")
    memory_store.update_label(claim.id, description="Said\x01 by someone\x0b.")
    root = _config(memory_store, tmp_path)
    hints = {label.get("value"): label.get("hint") for label in root.iter("Label")}
    assert hints["Claim"] == "Said by someone."


def test_the_inception_type_system_describes_each_feature_by_the_guidelines(
    memory_store, tmp_path, corpus
):
    """INCEpTION shows a feature's description beside it: the XMI export's TypeSystem.xml
    gives the label feature every label's description and an attribute's feature what the
    attribute means for each label that has it, and cassis (as INCEpTION) reads it back."""
    from cassis import load_typesystem

    from desktop.formats.xmi import SPAN_TYPE, TYPESYSTEM

    describe(memory_store)
    memory_store.update_label(memory_store.label_by_name("Venue").id, description=PLACE + "\x07")
    import_paths(memory_store, [corpus / "000_f40a1a98859d52a1.txt"])
    document = memory_store.document_ids()[0]
    text = memory_store.document(document).text
    me = memory_store.ensure_annotator("analyst_a")
    start = text.index("Yahya Rasool")
    claim = memory_store.label_by_name("Claim")
    memory_store.add_span(document, claim.id, me.id, 0, start - 1, attributes={"stance": "opposes"})
    out = tmp_path / "xmi"
    export(memory_store, "xmi", out)
    with open(out / TYPESYSTEM, "rb") as stream:
        span = load_typesystem(stream).get_type(SPAN_TYPE)
    label = span.get_feature("label").description
    assert CLAIM in label
    assert "Actor: A person, group, organisation or state that acts or speaks." in label
    assert "Venue: A place named in the article:\nBaghdad, Erbil, الأنبار" in label
    assert "\x07" not in label  # not an XML character: dropped, the export goes on
    assert span.get_feature("stance").description == f"Claim: {STANCE}"
