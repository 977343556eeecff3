"""UIMA CAS XMI read and written exactly: hand-written CASes with every value and message
spelled out, and exports checked attribute by attribute in the raw XML.

The text, code point by code point (an astral character is one code point but two UTF-16
units; CRLF is two code points, and the combining acute accent one more after "Cafe"):

    Drone 🛸 hit\\r\\nCafe\\u0301 Erbil 🇮🇶.
    D=0 r=1 o=2 n=3 e=4 ' '=5 🛸=6 ' '=7 h=8 i=9 t=10 CR=11 LF=12 C=13 a=14 f=15 e=16
    U+0301=17 ' '=18 E=19 r=20 b=21 i=22 l=23 ' '=24 🇮=25 🇶=26 .=27   (28 code points)

In UTF-16 every offset after an astral character moves by one for each before it: 🛸
takes units 6-7, 🇮 26-27, 🇶 28-29, and the text is 31 units long.

| span                  | code points | UTF-16 |
|-----------------------|-------------|--------|
| "Drone"               | 0-5         | 0-5    |
| "🛸"                  | 6-7         | 6-8    |
| "hit\\r\\nCafe\\u0301"    | 8-18        | 9-19   |
| "Erbil 🇮🇶"           | 19-27       | 20-30  |
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from db.records import (
    DocumentRecord,
    DocumentStateRecord,
    ExportDocument,
    ImportBatch,
    NewDocument,
    NewSpan,
    RelationRecord,
    SpanRecord,
)
from desktop.formats import (
    ExportOptions,
    ImportOptions,
    InputError,
    export_project,
    import_paths,
    xmi,
)
from desktop.formats.base import ExportContext
from tests.formats.project import snapshot

TEXT = "Drone 🛸 hit\r\nCafe\u0301 Erbil 🇮🇶."
SOFA_STRING = "Drone 🛸 hit&#13;&#10;Cafe\u0301 Erbil 🇮🇶."  # CR and LF as XML keeps them
ENTITY = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"  # as a Java tool may write it: upper case
ENTITY_LOWER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
SPAN_UUID = "9b2e1c1e-5a0c-4f6e-8d59-0c2f4f3b7a10"
OTHER_ENTITY = "6fa459ea-ee8a-3ca4-894e-db77e160355e"

TYPESYSTEM = """<?xml version="1.0" encoding="UTF-8"?>
<typeSystemDescription xmlns="http://uima.apache.org/resourceSpecifier">
  <types>
    <typeDescription>
      <name>de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData</name>
      <supertypeName>uima.tcas.DocumentAnnotation</supertypeName>
      <features>
        <featureDescription><name>documentTitle</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>documentId</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
      </features>
    </typeDescription>
    <typeDescription>
      <name>webanno.custom.DossierSpan</name>
      <supertypeName>uima.tcas.Annotation</supertypeName>
      <features>
        <featureDescription><name>label</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>note</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>uuid</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>entity</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>entityName</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>stance</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
        <featureDescription><name>type_</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>
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
  </types>
</typeSystemDescription>
"""


def cas_xmi(*elements: str) -> str:
    """A CAS holding TEXT, with the metadata on line 4 and ``elements`` from line 5, one a
    line; the initial view lists every element on sofa 1."""
    members = ["8", *re.findall(r'xmi:id="([^"]+)" sofa="1"', "\n".join(elements))]
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<xmi:XMI xmlns:xmi="http://www.omg.org/XMI" xmlns:cas="http:///uima/cas.ecore" '
            'xmlns:type2="http:///de/tudarmstadt/ukp/dkpro/core/api/metadata/type.ecore" '
            'xmlns:custom="http:///webanno/custom.ecore" xmi:version="2.0">',
            '<cas:NULL xmi:id="0"/>',
            '<type2:DocumentMetaData xmi:id="8" sofa="1" begin="0" end="31" '
            'documentTitle="Drone report" documentId="alice"/>',
            *elements,
            '<cas:Sofa xmi:id="1" sofaNum="1" sofaID="_InitialView" mimeType="text" '
            f'sofaString="{SOFA_STRING}"/>',
            f'<cas:View sofa="1" members="{" ".join(members)}"/>',
            "</xmi:XMI>",
            "",
        ]
    )


def written(tmp_path: Path, xml: str) -> Path:
    """``alice/drone.xmi`` holding ``xml``, with the type system at the top."""
    (tmp_path / "alice").mkdir(parents=True, exist_ok=True)
    (tmp_path / "TypeSystem.xml").write_text(TYPESYSTEM, encoding="utf-8")
    path = tmp_path / "alice" / "drone.xmi"
    path.write_text(xml, encoding="utf-8", newline="")
    return path


# --- reading --------------------------------------------------------------------------------


def test_spans_entities_and_their_places_are_read_exactly(tmp_path):
    path = written(
        tmp_path,
        cas_xmi(
            f'<custom:DossierSpan xmi:id="13" sofa="1" begin="20" end="30" label="Actor" '
            f'uuid="{SPAN_UUID}" entity="{ENTITY}" entityName="Erbil city" stance="hostile" '
            'type_="state" negated="true" certainty="2" note="seen twice"/>',
            f'<custom:DossierSpan xmi:id="14" sofa="1" begin="9" end="19" label="Event" '
            f'negated="false" entity="{OTHER_ENTITY}"/>',
            # An xmi:id Dossier cannot place on a line (cassis reads "+15" as 15).
            '<custom:DossierSpan xmi:id="+15" sofa="1" begin="6" end="8" label="Event"/>',
        ),
    )
    result = xmi.read(path, ImportOptions())
    [document] = result.batch.documents
    assert (document.text, document.title, document.imported_from, document.where) == (
        TEXT,
        "Drone report",
        str(path),
        f"{path}:1",
    )
    got = sorted(
        (s.start, s.end, s.label, s.annotator, s.uuid, s.note, s.attributes, s.entity_uuid, s.where)
        for s in document.spans
    )
    assert got == [
        (6, 7, "Event", "alice", None, "", {}, None, str(path)),
        (8, 18, "Event", "alice", None, "", {}, OTHER_ENTITY, f"{path}:6"),
        (
            19,
            27,
            "Actor",
            "alice",
            SPAN_UUID,
            "seen twice",
            {"stance": "hostile", "type": "state", "negated": True},
            ENTITY_LOWER,
            f"{path}:5",
        ),
    ]
    entities = sorted((e.name, e.uuid, e.label, e.where) for e in result.batch.entities)
    assert entities == [
        ("Erbil city", ENTITY_LOWER, "Actor", f"{path}:5"),
        # Without entityName the entity is named by the text the span covers.
        ("hit\r\nCafe\u0301", OTHER_ENTITY, "Event", f"{path}:6"),
    ]


def test_a_span_without_begin_starts_at_the_text_start(memory_store, tmp_path):
    path = written(
        tmp_path, cas_xmi('<custom:DossierSpan xmi:id="13" sofa="1" end="5" label="Actor"/>')
    )
    import_paths(memory_store, [path])
    [span] = memory_store.spans(memory_store.document_ids()[0])
    assert (span.start, span.end, span.text, span.label) == (0, 5, "Drone", "Actor")


def test_a_span_of_another_view_is_passed_over(tmp_path):
    """Offsets 0-40 fit the second view's text, not the first's 31 units."""
    other = "x" * 45
    path = written(
        tmp_path,
        cas_xmi(
            '<custom:DossierSpan xmi:id="20" sofa="2" begin="0" end="40" label="Actor"/>',
            '<custom:DossierSpan xmi:id="13" sofa="1" begin="9" end="12" label="Event"/>',
            f'<cas:Sofa xmi:id="2" sofaNum="2" sofaID="other" mimeType="text" sofaString="{other}"/>',
            '<cas:View sofa="2" members="20"/>',
        ),
    )
    [document] = xmi.read(path, ImportOptions()).batch.documents
    assert [(s.start, s.end, s.label) for s in document.spans] == [(8, 11, "Event")]


ODD_NAMES = ("BEGIN", "END", "SOFA", "XXbeginXX", "XXendXX", "XXsofaXX")


def test_span_features_with_names_near_the_annotation_ones_are_attributes(tmp_path):
    """Only begin, end and sofa themselves are the annotation's: a type system of one's
    own may name a span feature BEGIN (INCEpTION would refuse it, cassis does not)."""
    features = "".join(
        f"<featureDescription><name>{name}</name>"
        "<rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>"
        for name in ODD_NAMES
    )
    values = " ".join(f'{name}="{name.lower()}!"' for name in ODD_NAMES)
    path = written(
        tmp_path,
        cas_xmi(
            f'<custom:DossierSpan xmi:id="13" sofa="1" begin="0" end="5" label="Actor" {values}/>'
        ),
    )
    typesystem = TYPESYSTEM.replace(
        "<name>label</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>",
        "<name>label</name><rangeTypeName>uima.cas.String</rangeTypeName></featureDescription>"
        + features,
        1,
    )
    (tmp_path / "TypeSystem.xml").write_text(typesystem, encoding="utf-8")
    [document] = xmi.read(path, ImportOptions()).batch.documents
    [span] = document.spans
    assert (span.start, span.end) == (0, 5)
    assert span.attributes == {
        "BEGIN": "begin!",
        "END": "end!",
        "SOFA": "sofa!",
        "XXbeginXX": "xxbeginxx!",
        "XXendXX": "xxendxx!",
        "XXsofaXX": "xxsofaxx!",
    }


SECOND_VIEW = (
    '<cas:Sofa xmi:id="2" sofaNum="2" sofaID="other" mimeType="text" sofaString="{}"/>'.format(
        "x" * 45
    )
)
BAD = [
    (
        ['<custom:DossierSpan xmi:id="13" sofa="1" begin="six" end="12" label="Event"/>'],
        "5: span begin 'six' is not an integer",
    ),
    (
        [
            '<custom:DossierSpan xmi:id="13" sofa="1" end="12" label="Event" '
            'begin="0123456789012345678901234567890123456789ABCDE"/>'
        ],
        "5: span begin '0123456789012345678901234567890123456789' is not an integer",
    ),
    (
        ['<custom:DossierSpan xmi:id="13" sofa="1" begin="9" label="Event"/>'],
        "5: span: begin 9 is not before end 0",
    ),
    (
        [
            f'<custom:DossierSpan xmi:id="13" sofa="1" begin="0" end="5" label="Actor" uuid="{SPAN_UUID}"/>',
            '<custom:DossierSpan xmi:id="14" sofa="1" begin="9" end="12" label="Event" '
            f'uuid="{SPAN_UUID.upper()}"/>',
        ],
        f"6: uuid {SPAN_UUID} is used by two spans",
    ),
    (
        [
            '<custom:DossierSpan xmi:id="13" sofa="1" begin="0" end="5" label="Actor" entity="Erbil"/>'
        ],
        "5: entity 'Erbil' is not a uuid",
    ),
    (
        [
            '<custom:DossierSpan xmi:id="20" sofa="2" begin="0" end="40" label="Actor"/>',
            '<custom:DossierSpan xmi:id="13" sofa="1" begin="0" end="5" label="Actor"/>',
            '<custom:DossierSpan xmi:id="14" sofa="1" begin="0" end="40" label="Actor"/>',
            SECOND_VIEW,
            '<cas:View sofa="2" members="20"/>',
        ],
        "7: span offsets 0-40 fall outside the text of 31 UTF-16 units",
    ),
]


@pytest.mark.parametrize("elements,reason", BAD)
def test_a_bad_span_is_refused_with_its_file_line_and_reason(
    memory_store, tmp_path, elements, reason
):
    good = written(tmp_path / "good", cas_xmi())
    import_paths(memory_store, [good])
    before = snapshot(memory_store)
    path = written(tmp_path / "bad", cas_xmi(*elements))
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [path])
    assert str(error.value) == f"{path}:{reason}"
    assert snapshot(memory_store) == before


def test_a_file_that_cannot_be_read_is_named(tmp_path):
    path = tmp_path / "drone.xmi"
    path.mkdir()
    with pytest.raises(InputError) as error:
        xmi.read(path, ImportOptions())
    assert str(error.value) == f"{path}: cannot read: Is a directory"


# --- writing --------------------------------------------------------------------------------


def raw(xmi_path: Path) -> list[ET.Element]:
    return list(ET.parse(xmi_path).getroot())


def local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def test_the_cas_states_its_mime_type_document_uri_and_fields(memory_store, tmp_path):
    memory_store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=TEXT,
                    title="Drone report",
                    source="AP",
                    url="https://example.org/erbil",
                    published="2024-02-07",
                    spans=[NewSpan("Actor", 19, 27, "analyst_a")],
                )
            ]
        )
    )
    out = tmp_path / "xmi"
    export_project(memory_store, "xmi", out)
    stem = "drone-report-" + hashlib.sha256(TEXT.encode("utf-8")).hexdigest()[:12]
    elements = raw(out / "analyst_a" / f"{stem}.xmi")
    [sofa] = [e for e in elements if local(e) == "Sofa"]
    assert (sofa.get("mimeType"), sofa.get("sofaString")) == ("text/plain", TEXT)
    [metadata] = [e for e in elements if local(e) == "DocumentMetaData"]
    assert {name: metadata.get(name) for name in ("begin", "end", "documentUri")} == {
        "begin": "0",
        "end": "31",
        "documentUri": f"dossier/{stem}",
    }
    fields = [
        (e.get("begin"), e.get("end"), e.get("key"), e.get("value"))
        for e in elements
        if local(e) == "MetaDataStringField"
    ]
    assert fields == [
        ("0", "0", "source", "AP"),
        ("0", "0", "url", "https://example.org/erbil"),
        ("0", "0", "published", "2024-02-07"),
    ]
    [span] = [e for e in elements if local(e) == "DossierSpan"]
    assert (span.get("begin"), span.get("end"), span.get("label")) == ("20", "30", "Actor")


def test_control_characters_in_title_source_and_relation_type_become_spaces(tmp_path):
    document = DocumentRecord(
        id=1,
        content_hash=hashlib.sha256(TEXT.encode("utf-8")).hexdigest(),
        title="Drone\x0breport",
        text=TEXT,
        source="A\x0cP",
        url=None,
        published=None,
        language=None,
        meta={},
        imported_from=None,
        created_at="2024-02-07T00:00:00",
    )

    def span(uuid: str, label: str, start: int, end: int) -> SpanRecord:
        return SpanRecord(
            id=start,
            uuid=uuid,
            document_id=1,
            label_id=1,
            label=label,
            annotator_id=1,
            annotator="analyst_a",
            start=start,
            end=end,
            text=TEXT[start:end],
            status="accepted",
            origin="manual",
            confidence=None,
            note="",
            attributes={},
            entity_uuid=None,
            created_at="2024-02-07T00:00:00",
            updated_at="2024-02-07T00:00:00",
            version=1,
        )

    hit = span("11111111-1111-4111-8111-111111111111", "Event", 8, 11)
    erbil = span("22222222-2222-4222-8222-222222222222", "Actor", 19, 27)
    relation = RelationRecord(
        id=1,
        uuid="33333333-3333-4333-8333-333333333333",
        type="hit\x1etarget",
        head_uuid=hit.uuid,
        tail_uuid=erbil.uuid,
        annotator="analyst_a",
        created_at="2024-02-07T00:00:00",
    )
    item = ExportDocument(
        document=document,
        spans=[hit, erbil],
        relations=[relation],
        states=[DocumentStateRecord(1, "analyst_a", "done", "2024-02-07T00:00:00")],
        reviews=[],
    )
    context = ExportContext(labels=[], annotators=[], entities=[], options=ExportOptions())
    out = tmp_path / "xmi"
    xmi.write([item], out, context)
    assert context.adjusted == {
        "texts with characters XML 1.0 cannot hold (control characters), written as spaces": 3
    }
    [path] = (out / "analyst_a").glob("*.xmi")
    elements = raw(path)
    [metadata] = [e for e in elements if local(e) == "DocumentMetaData"]
    assert metadata.get("documentTitle") == "Drone report"
    [field] = [e for e in elements if local(e) == "MetaDataStringField"]
    assert (field.get("key"), field.get("value")) == ("source", "A P")
    [written_relation] = [e for e in elements if local(e) == "DossierRelation"]
    assert (
        written_relation.get("label"),
        written_relation.get("begin"),
        written_relation.get("end"),
    ) == ("hit target", "20", "30")
