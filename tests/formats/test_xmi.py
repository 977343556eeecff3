"""UIMA CAS XMI for INCEpTION: the export read back with cassis and checked as raw XML
(UTF-16 offsets counted here, independently), round trips, what XMI cannot carry, CASes
laid out as INCEpTION exports them, and bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cassis import load_cas_from_xmi, load_typesystem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.records import ExportFilter, ImportBatch, NewDocument, NewSpan
from db.store import Store
from desktop.formats import (
    ExportOptions,
    ImportOptions,
    InputError,
    detect_format,
    export_project,
    get_format,
    import_paths,
)
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
    utf16,
)

SPAN = "webanno.custom.DossierSpan"
RELATION = "webanno.custom.DossierRelation"
METADATA = "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData"
CUSTOM = "{http:///webanno/custom.ecore}"
XMI_ID = "{http://www.omg.org/XMI}id"


def export(store, tmp_path, name="xmi", **filter_fields) -> Path:
    out = tmp_path / name
    export_project(store, "xmi", out, ExportOptions(filter=ExportFilter(**filter_fields)))
    return out


def read_cas(xmi: Path):
    """A CAS as any cassis user reads it: against the TypeSystem.xml at the export's top."""
    root = next(p for p in (xmi.parent, *xmi.parents) if (p / "TypeSystem.xml").is_file())
    typesystem = load_typesystem((root / "TypeSystem.xml").read_bytes().decode("utf-8"))
    return load_cas_from_xmi(xmi.read_bytes().decode("utf-8"), typesystem=typesystem)


def raw_spans(xmi: Path) -> tuple[str, dict[str, tuple[int, int]]]:
    """The sofa text and each span's raw begin/end by uuid, parsed with ElementTree."""
    root = ET.parse(xmi).getroot()
    [sofa] = [e for e in root if e.tag.endswith("}Sofa")]
    spans = {
        e.get("uuid"): (int(e.get("begin")), int(e.get("end")))
        for e in root.iter(f"{CUSTOM}DossierSpan")
    }
    return sofa.get("sofaString"), spans


def cas_spans(out: Path) -> set[tuple]:
    """Every span of an export as (annotator, text, label, start, end, uuid), via cassis."""
    result = set()
    for xmi in out.rglob("*.xmi"):
        cas = read_cas(xmi)
        annotator = cas.select(METADATA)[0].documentId
        for span in cas.select(SPAN):
            result.add((annotator, cas.sofa_string, span.label, span.begin, span.end, span.uuid))
    return result


# --- the export -----------------------------------------------------------------------------


def test_the_export_is_a_type_system_and_a_cas_per_document_and_annotator(rich, tmp_path):
    out = export(rich.store, tmp_path)
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["analyst_a", "analyst_b", "gold"]
    # INCEpTION imports a type system file as layers when it starts with an XML declaration.
    assert (out / "TypeSystem.xml").read_bytes().startswith(b"<?xml")
    [untouched] = out.glob("*.xmi")  # nobody labelled it: waiting at the top
    assert read_cas(untouched).sofa_string == TEXT_C
    [xmi] = [p for p in (out / "analyst_a").glob("*.xmi") if read_cas(p).sofa_string == TEXT_A]
    cas = read_cas(xmi)
    [metadata] = cas.select(METADATA)
    assert (metadata.documentTitle, metadata.documentId, metadata.begin, metadata.end) == (
        "Strike on Baghdad",
        "analyst_a",
        0,
        len(TEXT_A),
    )
    assert cas.get_document_annotation() is metadata  # one document annotation, DKPro's
    mine = [
        s
        for s in rich.store.spans(rich.doc_a, statuses=("accepted",))
        if s.annotator == "analyst_a"
    ]
    got = {(s.label, s.begin, s.end, s.uuid): s.get_covered_text() for s in cas.select(SPAN)}
    assert got == {(s.label, s.start, s.end, s.uuid): s.text for s in mine}
    relations = {
        (r.Governor.uuid, r.label, r.Dependent.uuid, r.begin, r.end) for r in cas.select(RELATION)
    }
    assert relations == {
        (rich.claim.uuid, "attributed_to", rich.actor.uuid, rich.actor.start, rich.actor.end),
        (rich.event.uuid, "agent", rich.us.uuid, rich.us.start, rich.us.end),
        (rich.event.uuid, "location", rich.place.uuid, rich.place.start, rich.place.end),
    }


def test_the_layers_are_named_and_shaped_as_inception_custom_layers(rich, tmp_path):
    out = export(rich.store, tmp_path)
    typesystem = load_typesystem((out / "TypeSystem.xml").read_text(encoding="utf-8"))
    span = typesystem.get_type(SPAN)
    relation = typesystem.get_type(RELATION)
    assert span.supertype.name == relation.supertype.name == "uima.tcas.Annotation"
    for end in ("Governor", "Dependent"):
        assert relation.get_feature(end).rangeType.name == SPAN
    assert {f.rangeType.name for f in span.features} <= {"uima.cas.String", "uima.cas.Boolean"}
    metadata = typesystem.get_type(METADATA)
    assert metadata.supertype.name == "uima.tcas.DocumentAnnotation"
    assert {"documentTitle", "documentId", "documentUri", "collectionId"} <= {
        f.name for f in metadata.all_features
    }


TRICKY = [
    "👍🏽",  # emoji with a skin tone: two astral characters
    "👩\u200d👩\u200d👧",  # a ZWJ family: three astral characters joined
    "🇮🇶",  # a flag: two regional indicators
    "كتائب حزب الله",  # Arabic
    "\r\n",
    "\r",  # a lone CR
    "\u2028",
    "Cafe\u0301",  # a combining mark
    "𝔘𝔖",  # astral letters
]


def tricky_document() -> tuple[str, list[tuple[int, int]]]:
    """Text with each piece between words, and spans over, beside and across each piece."""
    text, offsets = "", []
    for piece in TRICKY:
        text += "ab "
        start = len(text)
        text += piece
        end = len(text)
        offsets += [(start, end), (start - 1, start), (end, end + 1), (start - 2, end + 2)]
        if end - start > 1:
            offsets.append((start + 1, end))  # starts inside the piece
    text += " z."
    return text, sorted(set(offsets))


def test_offsets_are_utf16_units_in_the_xmi_and_code_points_through_cassis(memory_store, tmp_path):
    text, offsets = tricky_document()
    labels = ("Claim", "Actor", "Event")
    memory_store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=text,
                    title="Tricky",
                    spans=[
                        NewSpan(labels[i % 3], start, end, "ana")
                        for i, (start, end) in enumerate(offsets)
                    ],
                )
            ]
        )
    )
    out = export(memory_store, tmp_path)
    [xmi] = (out / "ana").glob("*.xmi")
    spans = {s.uuid: s for s in memory_store.spans(memory_store.document_ids()[0])}
    assert len(spans) == len(offsets)
    sofa, raw = raw_spans(xmi)
    assert sofa == text  # CR, CRLF and U+2028 survive as character references
    assert raw == {
        uuid: (utf16(text, span.start), utf16(text, span.end)) for uuid, span in spans.items()
    }
    assert any(begin != spans[uuid].start for uuid, (begin, _) in raw.items())
    cas = read_cas(xmi)
    assert cas.sofa_string == text
    for annotation in cas.select(SPAN):
        span = spans[annotation.uuid]
        assert (annotation.begin, annotation.end) == (span.start, span.end)
        assert annotation.get_covered_text() == text[span.start : span.end] == span.text
    [metadata] = cas.select(METADATA)
    assert metadata.end == len(text)  # written as len(text) in UTF-16 units, read back


def test_round_trip_gives_spans_relations_uuids_attributes_notes_and_links(rich, fresh, tmp_path):
    out = export(rich.store, tmp_path)
    report = import_paths(fresh, [out])
    assert spans_of(fresh) == spans_of(rich.store)
    assert relations_of(fresh) == relations_of(rich.store)
    assert report.attributed == {}  # every CAS names its annotator in documentId
    before = {s.uuid for d in rich.store.document_ids() for s in rich.store.spans(d)}
    after = {s.uuid for d in fresh.document_ids() for s in fresh.spans(d)}
    assert after == {
        s.uuid
        for d in rich.store.document_ids()
        for s in rich.store.spans(d, statuses=("accepted",))
    }
    assert after < before
    entity = next(e for e in fresh.entities() if e.uuid == rich.entity.uuid)
    assert (entity.name, entity.label) == ("Kataib Hezbollah", "Actor")
    [strike] = [d for d in fresh.list_documents() if d.title == "Strike on Baghdad"]
    assert strike.source == "Reuters"
    second = fresh.document(
        next(d.id for d in fresh.list_documents() if d.title == "Second article")
    )
    assert (second.text, second.language) == (TEXT_B, "en")


def test_what_xmi_cannot_carry_is_counted_and_only_that(rich, fresh, tmp_path):
    """Attributes that are neither text nor true; notes keep their line breaks, and the
    attribute called ``type`` travels as the feature ``type_``."""
    out = tmp_path / "xmi"
    report = export_project(rich.store, "xmi", out)
    import_paths(fresh, [out])
    before, after = details_of(rich.store), details_of(fresh)
    assert set(after) == set(before)
    for key, (attributes, note, entity) in before.items():
        text_or_true = {k: v for k, v in attributes.items() if v is True or isinstance(v, str)}
        assert after[key] == (text_or_true, note, entity)
    assert report.adjusted == {
        "span attributes XMI cannot hold (neither text nor true, or named with other than "
        "letters, digits and single underscores)": 2
    }
    [xmi] = [p for p in (out / "analyst_a").glob("*.xmi") if read_cas(p).sofa_string == TEXT_A]
    [event] = [s for s in read_cas(xmi).select(SPAN) if s.uuid == rich.event.uuid]
    assert (event.type_, event.retaliation, event.date) == ("airstrike", True, "2024-02-07")


def test_export_import_export_gives_the_same_spans(rich, fresh, tmp_path):
    first = export(rich.store, tmp_path, "first")
    import_paths(fresh, [first])
    second = export(fresh, tmp_path, "second")
    assert cas_spans(second) == cas_spans(first)
    assert len(cas_spans(first)) == len(spans_of(rich.store))


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
        text, tricky_spans(data, text), "xmi", tmp_path / "xmi-roundtrip"
    )
    assert after == before


def test_control_characters_are_written_as_spaces_and_counted(memory_store, tmp_path):
    text = "Page one\x0cPage two\x0bend"
    start = text.index("two")
    memory_store.import_batch(
        ImportBatch(
            documents=[NewDocument(text=text, spans=[NewSpan("Claim", start, start + 3, "ana")])]
        )
    )
    out = tmp_path / "xmi"
    report = export_project(memory_store, "xmi", out)
    assert report.adjusted == {
        "texts with characters XML 1.0 cannot hold (control characters), written as spaces": 1
    }
    cas = read_cas(next((out / "ana").glob("*.xmi")))
    assert cas.sofa_string == "Page one Page two end"
    [span] = cas.select(SPAN)
    assert span.get_covered_text() == "two"


def test_attribute_names_are_kept_or_counted():
    from desktop.formats.xmi import attribute_for, feature_name_for

    for name, feature in [
        ("stance", "stance"),
        ("event_type", "event_type"),
        ("type", "type_"),
        ("Type", "Type_"),
        ("from", "from_"),
        ("note", "note_"),
        ("begin", "begin_"),
        ("event type", None),
        ("éclat", None),
        ("2nd", None),
        ("a__b", None),
        ("type_", None),  # would come back as "type"
    ]:
        assert feature_name_for(name) == feature, name
        if feature is not None:
            assert attribute_for(feature) == name


def test_exporting_over_a_folder_that_is_not_an_export_is_refused(rich, tmp_path):
    out = tmp_path / "papers"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(ValueError, match="holds files that are not an earlier export"):
        export_project(rich.store, "xmi", out)
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]
    export(rich.store, tmp_path)
    again = export(rich.store, tmp_path)  # an earlier export is replaced
    assert (again / "TypeSystem.xml").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_format_is_registered_and_xmi_files_are_recognised(tmp_path):
    assert get_format("inception").name == get_format("uima").name == "xmi"
    assert get_format("xmi").writes_folder()
    assert detect_format(tmp_path / "alice.xmi") == "xmi"
    assert detect_format(tmp_path / "ALICE.XMI") == "xmi"


# --- CASes as INCEpTION lays them out ------------------------------------------------------

TYPESYSTEM = """<?xml version="1.0" encoding="UTF-8"?>
<typeSystemDescription xmlns="http://uima.apache.org/resourceSpecifier">
  <types>
    <typeDescription>
      <name>de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData</name>
      <supertypeName>uima.tcas.DocumentAnnotation</supertypeName>
      <features>
        <featureDescription><name>documentTitle</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>documentId</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>isLastSegment</name><rangeTypeName>uima.cas.Boolean</rangeTypeName></featureDescription>
      </features>
    </typeDescription>
    <typeDescription>
      <name>de.tudarmstadt.ukp.dkpro.core.api.segmentation.type.Token</name>
      <supertypeName>uima.tcas.Annotation</supertypeName>
      <features>
        <featureDescription><name>order</name><rangeTypeName>uima.cas.Integer</rangeTypeName></featureDescription>
      </features>
    </typeDescription>
    <typeDescription>
      <name>webanno.custom.DossierSpan</name>
      <supertypeName>uima.tcas.Annotation</supertypeName>
      <features>
        <featureDescription><name>label</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>uuid</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>stance</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>negated</name><rangeTypeName>uima.cas.Boolean</rangeTypeName></featureDescription>
        <featureDescription><name>certainty</name><rangeTypeName>uima.cas.Integer</rangeTypeName></featureDescription>
      </features>
    </typeDescription>
    <typeDescription>
      <name>webanno.custom.DossierRelation</name>
      <supertypeName>uima.tcas.Annotation</supertypeName>
      <features>
        <featureDescription><name>Dependent</name><rangeTypeName>webanno.custom.DossierSpan</rangeTypeName></featureDescription>
        <featureDescription><name>Governor</name><rangeTypeName>webanno.custom.DossierSpan</rangeTypeName></featureDescription>
        <featureDescription><name>label</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
      </features>
    </typeDescription>
    <typeDescription>
      <name>webanno.custom.Mood</name>
      <supertypeName>uima.tcas.Annotation</supertypeName>
      <features>
        <featureDescription><name>value</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
      </features>
    </typeDescription>
  </types>
</typeSystemDescription>
"""

NEWS = "👍🏽 Iraq said nothing.\r\nKH fled."


def inception_xmi(
    span: str = "", document_id: str = ' documentId="alice"', sofa: str | None = None
) -> str:
    """A CAS as INCEpTION writes one: metadata naming the user, tokens, Dossier's layers and
    another custom layer; the span element is on line 6. UTF-16 offsets counted here."""
    iraq = NEWS.index("Iraq")
    kh = NEWS.index("KH")
    u = lambda offset: utf16(NEWS, offset)  # noqa: E731
    span = span or (
        f'<custom:DossierSpan xmi:id="13" sofa="1" begin="{u(iraq)}" end="{u(iraq + 4)}" '
        'label="Actor" stance="neutral" negated="false" certainty="0"/>'
    )
    text = (sofa if sofa is not None else NEWS).replace("\r", "&#13;").replace("\n", "&#10;")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xmi:XMI xmlns:xmi="http://www.omg.org/XMI" xmlns:cas="http:///uima/cas.ecore" '
        'xmlns:type2="http:///de/tudarmstadt/ukp/dkpro/core/api/metadata/type.ecore" '
        'xmlns:type4="http:///de/tudarmstadt/ukp/dkpro/core/api/segmentation/type.ecore" '
        'xmlns:custom="http:///webanno/custom.ecore" xmi:version="2.0">\n'
        '<cas:NULL xmi:id="0"/>\n'
        f'<type2:DocumentMetaData xmi:id="8" sofa="1" begin="0" end="{u(len(NEWS))}" '
        f'language="x-unspecified" documentTitle="news.txt"{document_id} isLastSegment="false"/>\n'
        f'<type4:Token xmi:id="29" sofa="1" begin="{u(iraq)}" end="{u(iraq + 4)}" order="0"/>\n'
        f"{span}\n"
        f'<custom:DossierSpan xmi:id="14" sofa="1" begin="{u(kh)}" end="{u(kh + 2)}" '
        'label="Armed group" negated="true" certainty="3"/>\n'
        f'<custom:DossierRelation xmi:id="15" sofa="1" begin="{u(kh)}" end="{u(kh + 2)}" '
        'Dependent="14" Governor="13" label="same_as"/>\n'
        f'<custom:Mood xmi:id="16" sofa="1" begin="0" end="2" value="upbeat"/>\n'
        f'<cas:Sofa xmi:id="1" sofaNum="1" sofaID="_InitialView" mimeType="text" sofaString="{text}"/>\n'
        '<cas:View sofa="1" members="8 29 13 14 15 16"/>\n'
        "</xmi:XMI>\n"
    )


def inception_export(tmp_path: Path, xmi: str | None = None, name: str = "alice") -> Path:
    """``annotation/news.txt/alice.xmi`` with the type system beside it, as INCEpTION's
    project export holds it (once its per-user zip is unpacked)."""
    folder = tmp_path / "annotation" / "news.txt"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "TypeSystem.xml").write_text(TYPESYSTEM, encoding="utf-8")
    path = folder / f"{name}.xmi"
    path.write_text(xmi if xmi is not None else inception_xmi(), encoding="utf-8", newline="")
    return path


def test_a_cas_as_inception_exports_it_is_read(memory_store, tmp_path):
    path = inception_export(tmp_path)
    report = import_paths(memory_store, [tmp_path / "annotation"])
    assert report.files == 1 and report.attributed == {}
    [document_id] = memory_store.document_ids()
    document = memory_store.document(document_id)
    assert (document.text, document.title, document.language) == (NEWS, "news.txt", None)
    spans = {s.text: s for s in memory_store.spans(document_id)}
    assert set(spans) == {"Iraq", "KH"}  # the Mood layer and the tokens are passed over
    iraq, kh = spans["Iraq"], spans["KH"]
    assert (iraq.label, iraq.annotator, iraq.start, iraq.attributes) == (
        "Actor",
        "alice",
        NEWS.index("Iraq"),
        {"stance": "neutral"},  # false and numbers are INCEpTION's defaults, not values
    )
    assert (kh.label, kh.attributes) == ("Armed group", {"negated": True})
    [relation] = memory_store.relations(document_id)
    assert (relation.head_uuid, relation.type, relation.tail_uuid) == (
        iraq.uuid,
        "same_as",
        kh.uuid,
    )
    assert path.exists()


def test_without_a_document_id_the_folder_names_the_annotator(memory_store, tmp_path):
    path = inception_export(tmp_path, inception_xmi(document_id=""))
    report = import_paths(memory_store, [path])
    assert {s.annotator for s in memory_store.spans(memory_store.document_ids()[0])} == {"news.txt"}
    assert report.attributed == {str(path.parent): "news.txt"}


def test_the_annotator_option_wins(memory_store, tmp_path):
    path = inception_export(tmp_path)
    report = import_paths(memory_store, [path], ImportOptions(annotator="dana"))
    assert {s.annotator for s in memory_store.spans(memory_store.document_ids()[0])} == {"dana"}
    assert report.attributed == {}


def test_a_folder_read_as_xmi_passes_over_the_type_system(memory_store, tmp_path):
    inception_export(tmp_path)
    report = import_paths(memory_store, [tmp_path], ImportOptions(format="xmi"))
    assert report.files == 1


def test_the_type_system_may_sit_in_a_folder_above(memory_store, tmp_path):
    path = inception_export(tmp_path)
    (path.parent / "TypeSystem.xml").rename(tmp_path / "TypeSystem.xml")
    import_paths(memory_store, [path])
    assert len(memory_store.spans(memory_store.document_ids()[0])) == 2


def test_a_cas_without_its_type_system_is_refused(memory_store, tmp_path):
    path = tmp_path / "lonely.xmi"
    path.write_text(inception_xmi(), encoding="utf-8")
    with pytest.raises(InputError, match=r"lonely.xmi: no TypeSystem.xml beside the file"):
        import_paths(memory_store, [path])


NEWS_UTF16 = utf16(NEWS, len(NEWS))
BAD_SPANS = [
    (
        '<custom:DossierSpan xmi:id="13" sofa="1" begin="0" end="99" label="Actor"/>',
        f"span offsets 0-99 fall outside the text of {NEWS_UTF16} UTF-16 units",
    ),
    (
        '<custom:DossierSpan xmi:id="13" sofa="1" begin="1" end="4" label="Actor"/>',
        "span offsets 1-4 cut an emoji or other astral character in half",
    ),
    (
        '<custom:DossierSpan xmi:id="13" sofa="1" begin="6" end="6" label="Actor"/>',
        "span: begin 6 is not before end 6",
    ),
    (
        '<custom:DossierSpan xmi:id="13" sofa="1" begin="6" end="ten" label="Actor"/>',
        "span end 'ten' is not an integer",
    ),
    (
        '<custom:DossierSpan xmi:id="13" sofa="1" begin="6" end="10"/>',
        "a DossierSpan without a label: set its label feature",
    ),
    (
        '<custom:DossierSpan xmi:id="13" sofa="1" begin="6" end="10" label="Actor" uuid="x1"/>',
        "uuid 'x1' is not a uuid",
    ),
]


@pytest.mark.parametrize("span,reason", BAD_SPANS)
def test_a_bad_span_is_reported_with_its_line_and_nothing_is_written(
    memory_store, tmp_path, span, reason
):
    import_paths(memory_store, [inception_export(tmp_path / "before")])
    before = snapshot(memory_store)
    path = inception_export(tmp_path / "bad", inception_xmi(span=span))
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [path])
    assert str(error.value).startswith(f"{path}:6: {reason}")
    assert snapshot(memory_store) == before


BAD_FILES = [
    (
        inception_xmi().replace('Governor="13"', 'Governor="29"'),
        ":8: the relation's Governor is not a DossierSpan",
    ),
    (
        inception_xmi().replace('label="same_as"', ""),
        ":8: a DossierRelation without a label: set its label feature",
    ),
    (inception_xmi().replace("custom:Mood", "custom:Weather"), ":9: not a CAS that TypeSystem.xml"),
    (
        inception_xmi(span='<custom:DossierSpan xmi:id="13" sofa="1" begin="6" label="Actor"'),
        ":7: malformed XML (error parsing attribute name",  # lxml finds it on the next line
    ),
    ("<html><body>not a CAS</body></html>", ":1: not a UIMA CAS in XMI"),
    ("", ":1: malformed XML"),
    (inception_xmi(sofa=""), ":10: the CAS holds no text: its sofa is empty"),
]


@pytest.mark.parametrize("xmi,reason", BAD_FILES)
def test_a_bad_cas_is_refused_with_a_reason(memory_store, tmp_path, xmi, reason):
    path = inception_export(tmp_path, xmi)
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [path])
    assert str(error.value).startswith(f"{path}{reason}")
    assert memory_store.document_ids() == []


def test_a_broken_type_system_is_refused_with_its_line(memory_store, tmp_path):
    path = inception_export(tmp_path)
    typesystem = path.parent / "TypeSystem.xml"
    typesystem.write_text(TYPESYSTEM.replace("</types>", ""), encoding="utf-8")
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [path])
    assert str(error.value).startswith(f"{typesystem}:")
    assert "malformed XML" in str(error.value)


def test_a_store_with_the_document_already_matches_it(rich, tmp_path):
    """Re-importing an export adds nothing: documents match by text, spans by uuid."""
    out = export(rich.store, tmp_path)
    before = snapshot(rich.store)
    report = import_paths(rich.store, [out])
    assert report.summary.spans_added == 0
    assert snapshot(rich.store) == before


def test_two_annotators_of_one_document_share_it(tmp_path):
    with Store.open(":memory:") as fresh:
        for name in ("alice", "bob"):
            xmi = inception_xmi(document_id=f' documentId="{name}"')
            inception_export(tmp_path, xmi, name=name)
        import_paths(fresh, [tmp_path / "annotation"])
        [document_id] = fresh.document_ids()
        assert {s.annotator for s in fresh.spans(document_id)} == {"alice", "bob"}


def test_the_command_line_reads_xmi_and_refuses_a_bad_cas_with_exit_2(tmp_path):
    from typer.testing import CliRunner

    from desktop.cli import app

    runner = CliRunner()
    db = str(tmp_path / "p.db")
    good = inception_export(tmp_path / "good")
    result = runner.invoke(app, ["--db", db, "import", str(good.parent), "--format", "xmi"])
    assert result.exit_code == 0, result.output
    assert "2 span(s) added" in result.output
    bad = inception_export(tmp_path / "bad", inception_xmi(span=BAD_SPANS[0][0]))
    result = runner.invoke(app, ["--db", db, "import", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bad}:6: span offsets 0-99 fall outside the text")
    assert len(result.stderr.strip().splitlines()) == 1
