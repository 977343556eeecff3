"""UIMA CAS XMI for INCEpTION: one CAS per document and annotator, read and written with cassis.

Export writes a folder: ``TypeSystem.xml`` at the top, one folder per annotator holding an
``.xmi`` per document the annotator labelled, and the documents nobody labelled at the top.
Every CAS carries its text as the sofa and DKPro Core's ``DocumentMetaData`` (title,
``documentId`` = the annotator, as INCEpTION's own exports name the annotator there). The
layers are named as INCEpTION names custom layers:

- ``webanno.custom.DossierSpan``: a span, with the String features ``label``, ``note``,
  ``uuid`` (kept so that a re-import knows the span), ``entity`` and ``entityName`` (its
  canonical actor), and a feature per span attribute: text as a String, true as a Boolean.
  An attribute whose name INCEpTION or cassis refuses as a feature (``type``, ``from``) or
  Dossier uses (``note``) gets a trailing ``_`` (``type_``), as cassis does in Python;
- ``webanno.custom.DossierRelation``: ``Governor`` (the head span) and ``Dependent`` (the
  tail), ``label`` (the relation type) and ``uuid``; it spans its Dependent, as in INCEpTION.

The source, url and published date travel as DKPro Core ``MetaDataStringField`` annotations,
the language as the document annotation's. INCEpTION reads ``TypeSystem.xml`` as layer
definitions (Project settings, Layers, Import): a span layer and a relation layer attached
to it, anchored to characters, overlap allowed; it adds tokens and sentences itself.
XMI does not carry confidence, document states or other metadata. The export report counts
what it leaves out or changes: attributes that are neither text nor true (numbers, false)
or whose names are not letters, digits and single underscores; and texts holding characters
XML 1.0 forbids (control characters), written as spaces so that offsets stay put.

Offsets in the XMI are UTF-16 units, as UIMA counts them. cassis converts: a loaded CAS
holds code-point offsets and ``to_xmi`` writes UTF-16 ones, so this module never converts.

Import reads ``.xmi`` files with the ``TypeSystem.xml`` beside them or in a folder above.
The annotator is ``--annotator``, else the CAS's ``documentId``, else the name of the folder
holding the file. Only the two Dossier layers are read; other layers are passed over.
"""

from __future__ import annotations

import keyword
import re
import uuid as uuidlib
import warnings
from collections.abc import Iterable, Iterator, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

from cassis import Cas, TypeSystem, load_cas_from_xmi, load_typesystem
from cassis.typesystem import FeatureStructure
from lxml import etree

from db.records import (
    ExportDocument,
    ImportBatch,
    LabelRecord,
    NewDocument,
    NewEntity,
    NewRelation,
    NewSpan,
    RelationRecord,
    SpanRecord,
)
from db.store import new_uuid
from desktop.formats.base import (
    ExportContext,
    ImportOptions,
    InputError,
    ReadResult,
    Utf16Offsets,
    atomic_folder,
    counted,
    document_from,
    document_stem,
    examples,
    folder_name,
    only_an_export,
    relations_among,
)

TYPESYSTEM = "TypeSystem.xml"  # the name DKPro Core's XmiWriter (and so INCEpTION) gives it
SPAN_TYPE = "webanno.custom.DossierSpan"
RELATION_TYPE = "webanno.custom.DossierRelation"
METADATA_TYPE = "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData"
FIELD_TYPE = "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.MetaDataStringField"
ANNOTATION = "uima.tcas.Annotation"
STRING = "uima.cas.String"
BOOLEAN = "uima.cas.Boolean"
GOVERNOR, DEPENDENT = "Governor", "Dependent"  # INCEpTION's names for a relation's ends
COLLECTION = "dossier"  # collectionId and documentBaseUri, where INCEpTION puts its project
UNSPECIFIED_LANGUAGE = "x-unspecified"  # UIMA's language of a document nobody named

SPAN_FEATURES = {
    "label": "the span's label (Claim, Actor, Event...)",
    "note": "the analyst's note",
    "uuid": "Dossier's identity of the span, kept across export and import",
    "entity": "uuid of the canonical actor or event the span names",
    "entityName": "name of that canonical actor or event",
}
RELATION_FEATURES = {
    "label": "the relation type (attributed_to, agent, location...)",
    "uuid": "Dossier's identity of the relation",
}
METADATA_FEATURES = (
    "documentTitle",
    "documentId",
    "documentUri",
    "collectionId",
    "documentBaseUri",
)
DOCUMENT_FIELDS = ("source", "url", "published")  # as MetaDataStringField key/value pairs

# Feature names INCEpTION refuses (WebAnnoConst.RESTRICTED_FEATURE_NAMES, compared without
# case), Dossier's own span features, and names cassis cannot give a feature in Python.
_REFUSED_NAMES = {
    name.lower()
    for name in (
        *("address", "begin", "end", "coveredText", "booleanValue", "doubleValue", "byteValue"),
        *("CAS", "CASImpl", "class", "featureValue", "floatValue", "longValue", "lowLevelCas"),
        *("printRefs", "sofa", "stringValue", "type", "typeIndexId", "view"),
        *SPAN_FEATURES,
        *("self", "get", "set", "xmiID", "get_covered_text"),
    )
}
_FEATURE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
# What XML 1.0 cannot hold, even as a character reference.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XMI_ID = "{http://www.omg.org/XMI}id"
_XMI_ROOT = "{http://www.omg.org/XMI}XMI"
_SOFA = "{http:///uima/cas.ecore}Sofa"
_SPAN_TAG = "{http:///webanno/custom.ecore}DossierSpan"
_RELATION_TAG = "{http:///webanno/custom.ecore}DossierRelation"
INITIAL_VIEW = "_InitialView"

NOT_XML_NOTE = "texts with characters XML 1.0 cannot hold (control characters), written as spaces"
ATTRIBUTE_NOTE = (
    "span attributes XMI cannot hold (neither text nor true, or named with other than letters, "
    "digits and single underscores)"
)


def feature_name_for(attribute: str) -> str | None:
    """The span feature that holds an attribute, or None when none can.

    A name INCEpTION or cassis refuses (``type``, ``from``) or that Dossier uses itself
    (``note``) gets a trailing ``_``, as cassis does with Python's reserved names; other
    names must be letters, digits and single underscores, starting with a letter.
    """
    if not _FEATURE_NAME.match(attribute) or "__" in attribute:
        return None
    if _refused(attribute):
        return attribute + "_"
    if attribute.endswith("_") and _refused(attribute[:-1]):
        return None  # would read back as the refused name
    return attribute


def attribute_for(feature: str) -> str:
    """The attribute a span feature holds: :func:`feature_name_for` undone."""
    if feature.endswith("_") and _refused(feature[:-1]):
        return feature[:-1]
    return feature


def _refused(name: str) -> bool:
    return keyword.iskeyword(name) or name.lower() in _REFUSED_NAMES


# --- the type system ------------------------------------------------------------------------


class _Schema:
    """The layers an export writes, with a span feature for each attribute met so far.

    cassis cannot add a feature to a type that has made feature structures already, so the
    type system is rebuilt whenever an attribute brings a new feature (a handful of times).
    """

    def __init__(self, labels: Sequence[LabelRecord] = ()) -> None:
        self.attributes: dict[str, str] = {}  # feature name -> range (STRING or BOOLEAN)
        self._typesystem: TypeSystem | None = None
        self.guidelines = guidelines(labels)

    def feature(self, name: str, value: Any) -> str | None:
        """The feature that holds this attribute, added when new; None when none can."""
        kind = STRING if isinstance(value, str) else BOOLEAN if value is True else None
        feature = feature_name_for(name) if kind is not None else None
        if feature is None:
            return None
        known = self.attributes.get(feature)
        if known is None:
            self.attributes[feature] = kind
            self._typesystem = None
            return feature
        return feature if known == kind else None

    @property
    def typesystem(self) -> TypeSystem:
        if self._typesystem is None:
            self._typesystem = build_typesystem(self.attributes, self.guidelines)
        return self._typesystem


def guidelines(labels: Sequence[LabelRecord]) -> dict[str, str]:
    """The labels' guidelines as feature descriptions, which INCEpTION shows beside the
    features: the ``label`` feature's lists each label's description, an attribute's
    feature what the attribute means for each label that has it ("Event: the PLOVER event
    category. Actor: what kind of actor.")."""
    described: dict[str, list[str]] = {}
    told = [f"{label.name}: {label.description}" for label in labels if label.description.strip()]
    if told:
        described["label"] = [SPAN_FEATURES["label"] + ". " + " ".join(told)]
    for label in labels:
        for spec in label.schema.attributes:
            feature = feature_name_for(spec.name)
            if feature is not None and spec.description.strip():
                described.setdefault(feature, []).append(f"{label.name}: {spec.description}")
    # A character XML cannot hold is dropped: a guideline must not stop the export.
    return {feature: _NOT_XML.sub("", " ".join(parts)) for feature, parts in described.items()}


def build_typesystem(
    attributes: dict[str, str], described: dict[str, str] | None = None
) -> TypeSystem:
    """DKPro Core's document metadata and Dossier's span and relation layers; ``described``
    gives features their descriptions (the labels' guidelines, see :func:`guidelines`)."""
    described = described or {}
    ts = TypeSystem()
    metadata = ts.create_type(
        METADATA_TYPE, "uima.tcas.DocumentAnnotation", "DKPro Core: the document's identity"
    )
    for name in METADATA_FEATURES:
        ts.create_feature(metadata, name, STRING)
    ts.create_feature(metadata, "isLastSegment", BOOLEAN)
    field = ts.create_type(FIELD_TYPE, ANNOTATION, "DKPro Core: a document-wide key and value")
    ts.create_feature(field, "key", STRING)
    ts.create_feature(field, "value", STRING)
    span = ts.create_type(SPAN_TYPE, ANNOTATION, "A span tagged in Dossier")
    for name, description in SPAN_FEATURES.items():
        ts.create_feature(span, name, STRING, description=described.get(name, description))
    for name, kind in attributes.items():
        description = described.get(name, "a span attribute from Dossier")
        ts.create_feature(span, name, kind, description=description)
    relation = ts.create_type(RELATION_TYPE, ANNOTATION, "A relation between two Dossier spans")
    ts.create_feature(relation, DEPENDENT, span, description="the tail span")
    ts.create_feature(relation, GOVERNOR, span, description="the head span")
    for name, description in RELATION_FEATURES.items():
        ts.create_feature(relation, name, STRING, description=description)
    return ts


# --- writing -----------------------------------------------------------------------------


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """An XMI folder: ``TypeSystem.xml`` and a CAS per document and annotator (see above)."""
    schema = _Schema(context.labels)
    stems: set[str] = set()
    folders: dict[str, str] = {}
    with atomic_folder(out, _earlier_export) as root:
        for item in counted(documents, context):
            stem = document_stem(item, stems)
            text = xml_safe(item.document.text, context)
            labelled = examples(item)
            if not labelled:
                _write_cas(root / f"{stem}.xmi", _cas(item, text, stem, None, [], schema, context))
                continue
            for annotator, spans in labelled:
                folder = folders.get(annotator) or folders.setdefault(
                    annotator, folder_name(annotator, set(folders.values()), (TYPESYSTEM,))
                )
                cas = _cas(item, text, stem, annotator, spans, schema, context)
                (root / folder).mkdir(exist_ok=True)
                _write_cas(root / folder / f"{stem}.xmi", cas)
        schema.typesystem.to_xml(root / TYPESYSTEM)


def xml_safe(value: str, context: ExportContext) -> str:
    """``value`` with each character XML 1.0 cannot hold replaced by a space (offsets keep)."""
    if not _NOT_XML.search(value):
        return value
    context.note(NOT_XML_NOTE)
    return _NOT_XML.sub(" ", value)


def _earlier_export(folder: Path) -> bool:
    """Whether a folder holds nothing but an XMI export (so it may be replaced)."""
    return only_an_export(folder, TYPESYSTEM, (".xmi",))


def _write_cas(path: Path, cas: Cas) -> None:
    cas.to_xmi(path, pretty_print=True)


def _cas(
    item: ExportDocument,
    text: str,
    stem: str,
    annotator: str | None,
    spans: list[SpanRecord],
    schema: _Schema,
    context: ExportContext,
) -> Cas:
    """One annotator's CAS of one document (None: a document nobody labelled)."""
    span_features = [_span_features(span, schema, context) for span in spans]
    ts = schema.typesystem  # after the features above, which may have grown it
    cas = Cas(typesystem=ts)
    cas.sofa_string = text
    cas.sofa_mime = "text/plain"
    cas.add(_metadata(ts, item, stem, annotator, len(text), context))
    for key in DOCUMENT_FIELDS:
        value = getattr(item.document, key)
        if value:
            field = ts.get_type(FIELD_TYPE)(begin=0, end=0, key=key)
            field.value = xml_safe(value, context)
            cas.add(field)
    span_type = ts.get_type(SPAN_TYPE)
    made: dict[str, FeatureStructure] = {}
    for span, features in zip(spans, span_features, strict=True):
        made[span.uuid] = span_type(begin=span.start, end=span.end, **features)
        cas.add(made[span.uuid])
    relation_type = ts.get_type(RELATION_TYPE)
    for relation in relations_among(item, spans):
        cas.add(_relation(relation_type, relation, made, context))
    return cas


def _metadata(
    ts: TypeSystem,
    item: ExportDocument,
    stem: str,
    annotator: str | None,
    length: int,
    context: ExportContext,
) -> FeatureStructure:
    """DocumentMetaData as INCEpTION writes it: title, the annotator as documentId, and the
    collection (INCEpTION's project) with the document's path in it."""
    document = item.document
    return ts.get_type(METADATA_TYPE)(
        begin=0,
        end=length,
        language=document.language or UNSPECIFIED_LANGUAGE,
        documentTitle=xml_safe(document.title, context),
        documentId=xml_safe(annotator, context) if annotator else None,
        documentUri=f"{COLLECTION}/{stem}",
        collectionId=COLLECTION,
        documentBaseUri=COLLECTION,
        isLastSegment=False,
    )


def _span_features(span: SpanRecord, schema: _Schema, context: ExportContext) -> dict[str, Any]:
    features: dict[str, Any] = {"label": xml_safe(span.label, context), "uuid": span.uuid}
    if span.note:
        features["note"] = xml_safe(span.note, context)
    if span.entity_uuid is not None:
        features["entity"] = span.entity_uuid
        entity = context.entity(span.entity_uuid)
        if entity is not None:
            features["entityName"] = xml_safe(entity.name, context)
    left_out = 0
    for name, value in span.attributes.items():
        feature = schema.feature(name, value)
        if feature is None:
            left_out += 1
        else:
            features[feature] = xml_safe(value, context) if isinstance(value, str) else value
    context.note(ATTRIBUTE_NOTE, left_out)
    return features


def _relation(kind, relation: RelationRecord, made: dict[str, FeatureStructure], context):
    """A relation spans its Dependent, as INCEpTION's relation layers do."""
    head, tail = made[relation.head_uuid], made[relation.tail_uuid]
    fs = kind(begin=tail.begin, end=tail.end, label=xml_safe(relation.type, context))
    fs.uuid = relation.uuid
    setattr(fs, GOVERNOR, head)
    setattr(fs, DEPENDENT, tail)
    return fs


# --- reading -----------------------------------------------------------------------------


_typesystems: dict[tuple[str, int, int], TypeSystem] = {}


def read(path: Path, options: ImportOptions) -> ReadResult:
    """One CAS: its document, and its spans and relations on Dossier's layers."""
    data = _read_bytes(path)
    root = _parse(data, path)
    sofa = _initial_sofa(root, path)
    _check_span_offsets(root, sofa, path)
    cas = _load(data, typesystem_for(path), path, root)
    text = cas.sofa_string
    lines = _element_lines(root)
    document = _document(cas, text, path)
    result = ReadResult(ImportBatch(documents=[document]))
    span_type = _type_if_any(cas, SPAN_TYPE)
    if span_type is None or not cas.select(span_type):
        return result
    annotator = _annotator(cas, path, options, result)
    spans = _spans(cas, span_type, text, annotator, lines, path, result)
    document.spans.extend(spans.values())
    relation_type = _type_if_any(cas, RELATION_TYPE)
    if relation_type is not None:
        document.relations.extend(_relations(cas, relation_type, spans, annotator, lines, path))
    return result


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror or exc}") from None


def _parse(data: bytes, path: Path) -> etree._Element:
    """The XML tree (for line numbers and raw offsets), or an InputError where it breaks."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise InputError(path, line, f"malformed XML ({exc.msg})") from None
    if root.tag != _XMI_ROOT:
        raise InputError(
            path, root.sourceline, f"not a UIMA CAS in XMI: the root element is <{root.tag}>"
        )
    return root


def typesystem_for(path: Path) -> TypeSystem:
    """The type system in ``TypeSystem.xml`` beside ``path`` or in the nearest folder above."""
    for folder in (path.parent, *path.resolve().parent.parents):
        for name in (TYPESYSTEM, TYPESYSTEM.lower()):
            candidate = folder / name
            if candidate.is_file():
                return _load_typesystem(candidate)
    raise InputError(
        path,
        None,
        f"no {TYPESYSTEM} beside the file or in a folder above it; INCEpTION's XMI export "
        "puts one beside each .xmi",
    )


def _load_typesystem(path: Path) -> TypeSystem:
    """A type system file, parsed once per import however many CASes it describes."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _typesystems:
        data = _read_bytes(path)
        root = _parse_typesystem_xml(data, path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # cassis warns of feature names it renames
                typesystem = load_typesystem(BytesIO(data))
        except Exception as exc:  # cassis raises many kinds; all mean a bad type system
            raise InputError(
                path,
                _line_of(root, str(exc)),
                f"not a UIMA type system cassis can read ({exc})",
            ) from None
        _typesystems.clear()  # an import reads one or a few; keep the latest only
        _typesystems[key] = typesystem
    return _typesystems[key]


def _parse_typesystem_xml(data: bytes, path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(path, exc.lineno or None, f"malformed XML ({exc.msg})") from None
    if etree.QName(root).localname != "typeSystemDescription":
        raise InputError(
            path, root.sourceline, f"not a UIMA type system: the root element is <{root.tag}>"
        )
    return root


def _load(data: bytes, typesystem: TypeSystem, path: Path, root: etree._Element) -> Cas:
    try:
        with warnings.catch_warnings():
            # Offsets cassis cannot map are found, with their line, by _check_span_offsets.
            warnings.simplefilter("ignore")
            return load_cas_from_xmi(BytesIO(data), typesystem=typesystem)
    except Exception as exc:  # cassis raises many kinds; all mean a CAS it cannot read
        raise InputError(
            path,
            _line_of(root, str(exc)),
            f"not a CAS that {TYPESYSTEM} describes ({type(exc).__name__}: {exc})",
        ) from None


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"|\[([^\]]*)\]")


def _line_of(root: etree._Element, message: str) -> int:
    """The line that cassis's complaint most likely points at: that of the first element
    whose type, or one of whose attributes (by value or by name), the message quotes;
    else the root's."""
    quoted = {"".join(found) for found in _QUOTED.findall(message)} - {""}
    if quoted:
        types = {name.rsplit(".", 1)[-1] for name in quoted}
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue  # a comment
            if etree.QName(element).localname in types or any(
                value in quoted or etree.QName(name).localname in quoted
                for name, value in element.attrib.items()
            ):
                return element.sourceline
    return root.sourceline


def _initial_sofa(root: etree._Element, path: Path) -> etree._Element:
    """The sofa of the CAS's first view, which holds the document's text."""
    for sofa in root.iter(_SOFA):
        if sofa.get("sofaID") == INITIAL_VIEW:
            if not sofa.get("sofaString"):
                raise InputError(path, sofa.sourceline, "the CAS holds no text: its sofa is empty")
            return sofa
    raise InputError(path, root.sourceline, f"the CAS has no {INITIAL_VIEW} sofa: it holds no text")


def _check_span_offsets(root: etree._Element, sofa: etree._Element, path: Path) -> None:
    """Check the raw begin and end of every span on the sofa as UTF-16 offsets into its
    text, before cassis maps them: it maps what it cannot place to itself, with a warning."""
    offsets = Utf16Offsets(sofa.get("sofaString"))
    identifier = sofa.get(_XMI_ID)
    for element in root.iter(_SPAN_TAG):
        if element.get("sofa") != identifier:
            continue
        line = element.sourceline
        begin = _integer(element.get("begin", "0"), "begin", path, line)
        end = _integer(element.get("end", "0"), "end", path, line)
        if begin >= end:
            raise InputError(path, line, f"span: begin {begin} is not before end {end}")
        if begin < 0 or end > offsets.utf16_length:
            raise InputError(
                path,
                line,
                f"span offsets {begin}-{end} fall outside the text of "
                f"{offsets.utf16_length} UTF-16 units",
            )
        if offsets.from_utf16(begin) is None or offsets.from_utf16(end) is None:
            raise InputError(
                path,
                line,
                f"span offsets {begin}-{end} cut an emoji or other astral character in half",
            )


def _element_lines(root: etree._Element) -> dict[int, int]:
    """The line of each span and relation element by its xmi:id, for messages."""
    lines: dict[int, int] = {}
    for element in root.iter(_SPAN_TAG, _RELATION_TAG):
        identifier = element.get(_XMI_ID)
        if identifier is not None and _INTEGER.fullmatch(identifier):
            lines[int(identifier)] = element.sourceline
    return lines


_INTEGER = re.compile("-?[0-9]{1,18}")  # ASCII digits only: int() also reads "٥" and "1_0"


def _integer(raw: str, name: str, path: Path, line: int) -> int:
    if not _INTEGER.fullmatch(raw.strip()):
        raise InputError(path, line, f"span {name} {raw[:40]!r} is not an integer")
    return int(raw)


def _type_if_any(cas: Cas, name: str):
    return cas.typesystem.get_type(name) if cas.typesystem.contains_type(name) else None


def _feature(fs: FeatureStructure, name: str) -> Any:
    """A feature's value, or None when the type has no such feature."""
    return getattr(fs, name) if fs.type.get_feature(name) is not None else None


def _text_feature(fs: FeatureStructure, name: str) -> str | None:
    value = _feature(fs, name)
    return (value.strip() or None) if isinstance(value, str) else None


def _string_feature(fs: FeatureStructure, name: str) -> str:
    value = _feature(fs, name)
    return value if isinstance(value, str) else ""


def _document(cas: Cas, text: str, path: Path) -> NewDocument:
    """The document: the sofa's text as it is, with the title, language and metadata fields."""
    items: list[tuple[str, Any]] = []
    metadata = cas.get_document_annotation()
    title = _text_feature(metadata, "documentTitle")
    if title:
        items.append(("title", title))
    language = _text_feature(metadata, "language")
    if language and language != UNSPECIFIED_LANGUAGE:
        items.append(("language", language))
    field_type = _type_if_any(cas, FIELD_TYPE)
    for field in cas.select(field_type) if field_type is not None else ():
        key, value = _text_feature(field, "key"), _feature(field, "value")
        if key and isinstance(value, str):
            items.append((key, value))
    document = document_from(text, items, path, 1)
    if not document.title:
        document.title = path.stem
    return document


def _annotator(cas: Cas, path: Path, options: ImportOptions, result: ReadResult) -> str:
    """``--annotator``, else the CAS's documentId (INCEpTION's and Dossier's exports name the
    annotator there), else the folder holding the file (noted, so that the user is told)."""
    if options.annotator:
        return options.annotator
    named = _text_feature(cas.get_document_annotation(), "documentId")
    if named:
        return named
    folder = path.parent.resolve()
    result.attributed[str(path.parent)] = folder.name
    return folder.name


def _spans(
    cas: Cas,
    span_type,
    text: str,
    annotator: str,
    lines: dict[int, int],
    path: Path,
    result: ReadResult,
) -> dict[int, NewSpan]:
    """Every span of the layer by its xmi:id, its offsets as cassis mapped them to code points."""
    spans: dict[int, NewSpan] = {}
    uuids: set[str] = set()
    reserved = {"begin", "end", "sofa", *SPAN_FEATURES}
    for fs in cas.select(span_type):
        line = lines.get(fs.xmiID)
        label = _text_feature(fs, "label")
        if label is None:
            raise InputError(path, line, "a DossierSpan without a label: set its label feature")
        span = NewSpan(
            label=label,
            start=fs.begin,
            end=fs.end,
            annotator=annotator,
            uuid=_uuid_feature(fs, "uuid", path, line),
            note=_string_feature(fs, "note"),
            where=f"{path}:{line}" if line else str(path),
        )
        if span.uuid is not None:
            if span.uuid in uuids:
                raise InputError(path, line, f"uuid {span.uuid} is used by two spans")
            uuids.add(span.uuid)
        for feature in fs.type.all_features:
            if feature.name in reserved:
                continue
            value = getattr(fs, feature.name)
            if isinstance(value, str) or value is True:
                span.attributes[attribute_for(feature.name)] = value
        entity = _uuid_feature(fs, "entity", path, line)
        if entity is not None:
            span.entity_uuid = entity
            name = _text_feature(fs, "entityName") or text[span.start : span.end]
            result.batch.entities.append(
                NewEntity(name=name, uuid=entity, label=label, where=span.where)
            )
        spans[fs.xmiID] = span
    return spans


def _uuid_feature(fs: FeatureStructure, name: str, path: Path, line: int | None) -> str | None:
    value = _text_feature(fs, name)
    if value is None:
        return None
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        raise InputError(path, line, f"{name} {value[:60]!r} is not a uuid") from None


def _relations(
    cas: Cas,
    relation_type,
    spans: dict[int, NewSpan],
    annotator: str,
    lines: dict[int, int],
    path: Path,
) -> Iterator[NewRelation]:
    for fs in cas.select(relation_type):
        line = lines.get(fs.xmiID)
        ends = []
        for name in (GOVERNOR, DEPENDENT):
            target = _feature(fs, name)
            span = spans.get(target.xmiID) if target is not None else None
            if span is None:
                raise InputError(path, line, f"the relation's {name} is not a DossierSpan")
            if span.uuid is None:
                span.uuid = new_uuid()
            ends.append(span.uuid)
        label = _text_feature(fs, "label")
        if label is None:
            raise InputError(path, line, "a DossierRelation without a label: set its label feature")
        yield NewRelation(
            type=label,
            head_uuid=ends[0],
            tail_uuid=ends[1],
            annotator=annotator,
            uuid=_uuid_feature(fs, "uuid", path, line),
            where=f"{path}:{line}" if line else str(path),
        )
