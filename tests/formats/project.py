"""A small project that exercises every format, and ways to compare two projects' spans.

The first article has an emoji with a skin tone (two astral characters: four UTF-16 units)
before every span, CRLF, Arabic, a combining mark and U+2028. Two analysts tag it, with a
claim holding an actor and an event, relations, attributes of several kinds, a note that
looks like a formula, a link to a canonical actor, a label with a space in its name, a
suggestion and a rejected span. A second article is marked done by analyst_b with no
spans; a third is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from db.records import EntityRecord, ImportBatch, NewDocument, SpanRecord
from db.store import Store

TEXT_A = (
    "👍🏽 Kataib Hezbollah said the US strike in Baghdad on Wednesday killed its commander."
    "\r\nThe Pentagon denied it.\u2028كتائب حزب الله قالت إنها سترد. Cafe\u0301 owners fled."
)
TEXT_B = "Second article.\nIraq's government said nothing about the raid."
TEXT_C = "An article nobody has read yet."


def at(text: str, fragment: str, after: int = 0) -> tuple[int, int]:
    """The code-point offsets of ``fragment`` in ``text`` (the first at or after ``after``)."""
    start = text.index(fragment, after)
    return start, start + len(fragment)


@dataclass
class Rich:
    store: Store
    doc_a: int
    doc_b: int
    doc_c: int
    claim: SpanRecord
    actor: SpanRecord
    event: SpanRecord
    us: SpanRecord
    place: SpanRecord
    group: SpanRecord
    suggestion: SpanRecord
    rejected: SpanRecord
    entity: EntityRecord


def share_rich_schema(store: Store) -> None:
    """The rich project's schema: the default one, with a stance "critical" for claims and
    an event type "airstrike" (a team's own additions). A project that takes the rich
    project's files needs them too, as a colleague's project would."""
    for name, attribute, extra in (("Claim", "stance", "critical"), ("Event", "type", "airstrike")):
        label = store.label_by_name(name)
        spec = label.schema.attribute(attribute)
        if extra not in spec.values:
            store.set_label_schema(
                label.id,
                label.schema.with_attribute(replace(spec, values=(*spec.values, extra))),
            )


def build_rich(store: Store) -> Rich:
    """Fill an empty project with the documents and spans described in the module docstring."""
    store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(text=TEXT_A, title="Strike on Baghdad", source="Reuters"),
                NewDocument(text=TEXT_B, title="Second article", language="en"),
                NewDocument(text=TEXT_C, title="=Untouched"),
            ]
        )
    )
    doc_a, doc_b, doc_c = store.document_ids()
    a = store.ensure_annotator("analyst_a")
    b = store.ensure_annotator("analyst_b")
    gold = store.gold_annotator()
    label = {name: store.label_by_name(name).id for name in ("Claim", "Actor", "Event")}
    share_rich_schema(store)
    label["Place"] = store.add_label("Place").id
    label["Armed group"] = store.add_label("Armed group").id
    entity = store.add_entity(
        "Kataib Hezbollah", label="Actor", aliases=["KH", "Kata'ib Hizballah"]
    )

    def add(annotator, name, fragment, after=0, **fields) -> SpanRecord:
        start, end = at(TEXT_A, fragment, after)
        return store.add_span(doc_a, label[name], annotator.id, start, end, **fields)

    claim = add(
        a,
        "Claim",
        "the US strike in Baghdad on Wednesday killed its commander",
        attributes={"stance": "critical", "weight": 0.9, "verified": False, "quote": "two words"},
    )
    actor = add(a, "Actor", "Kataib Hezbollah", entity_uuid=entity.uuid)
    event = add(
        a,
        "Event",
        "the US strike in Baghdad on Wednesday",
        attributes={"type": "airstrike", "date": "2024-02-07", "retaliation": True},
        note='=HYPERLINK("x")\nsecond line',
    )
    us = add(a, "Actor", "US")
    place = add(a, "Place", "Baghdad")
    group = add(a, "Armed group", "كتائب حزب الله")
    suggestion = add(a, "Actor", "Pentagon", status="suggested", origin="model", confidence=0.8)
    rejected = add(a, "Event", "fled", status="rejected", origin="model", confidence=0.3)
    store.add_relation(claim.uuid, actor.uuid, "attributed_to", a.id)
    store.add_relation(event.uuid, us.uuid, "agent", a.id)
    store.add_relation(event.uuid, place.uuid, "location", a.id)
    add(b, "Claim", "the US strike in Baghdad on Wednesday killed its commander")
    add(b, "Actor", "Kataib Hezbollah")
    add(b, "Event", "US strike")
    add(gold, "Actor", "Kataib Hezbollah", entity_uuid=entity.uuid)
    start, end = at(TEXT_B, "Iraq's government")
    store.add_span(doc_b, label["Actor"], a.id, start, end, note="check")
    store.set_document_status(doc_b, b.id, "done")
    return Rich(
        store,
        doc_a,
        doc_b,
        doc_c,
        claim,
        actor,
        event,
        us,
        place,
        group,
        suggestion,
        rejected,
        entity,
    )


# --- comparing projects ---------------------------------------------------------------------


def spans_of(store: Store, statuses=("accepted",)) -> set[tuple]:
    """Every span as (document text, label, start, end, covered text, annotator)."""
    result = set()
    for document_id in store.document_ids():
        text = store.document(document_id).text
        for span in store.spans(document_id, statuses=statuses):
            result.add((text, span.label, span.start, span.end, span.text, span.annotator))
    return result


def relations_of(store: Store) -> set[tuple]:
    """Every relation as (document text, type, head, tail, annotator), ends as in spans_of."""
    result = set()
    for document_id in store.document_ids():
        text = store.document(document_id).text
        spans = {span.uuid: span for span in store.spans(document_id)}
        for relation in store.relations(document_id):
            head, tail = spans[relation.head_uuid], spans[relation.tail_uuid]
            result.add(
                (
                    text,
                    relation.type,
                    (head.label, head.start, head.end, head.annotator),
                    (tail.label, tail.start, tail.end, tail.annotator),
                    relation.annotator,
                )
            )
    return result


def details_of(store: Store, statuses=("accepted",)) -> dict[tuple, tuple]:
    """(document text, label, start, end, annotator) -> (attributes, note, entity uuid)."""
    result = {}
    for document_id in store.document_ids():
        text = store.document(document_id).text
        for span in store.spans(document_id, statuses=statuses):
            result[(text, span.label, span.start, span.end, span.annotator)] = (
                span.attributes,
                span.note,
                span.entity_uuid,
            )
    return result


def snapshot(store: Store) -> tuple:
    """Everything an import could change, for checking that a refused one changed nothing."""
    return (
        sorted((d.content_hash, d.title) for d in store.list_documents()),
        sorted(spans_of(store, statuses=("accepted", "suggested", "rejected"))),
        sorted(relations_of(store)),
        [label.name for label in store.labels()],
        [a.name for a in store.annotators()],
        [e.uuid for e in store.entities()],
    )


def utf16(text: str, offset: int) -> int:
    """A code-point offset as a JavaScript string index, counted here from UTF-16 bytes."""
    return len(text[:offset].encode("utf-16-le")) // 2


def read_jsonl(path) -> list[dict]:
    """JSON lines split on "\\n" only: U+2028 may sit raw inside a JSON string."""
    import json

    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


PIECES = list("ab Z.,\r\n\t") + [
    "😀",
    "👍🏽",
    "🇮🇶",
    "e\u0301",
    "\u0301",
    "ع",
    "ب",
    "\u200f",
    "\u2028",
]


def tricky_text():
    """A hypothesis strategy: short texts of emoji, combining marks, CRLF, RTL and U+2028."""
    from hypothesis import strategies as st

    return st.lists(st.sampled_from(PIECES), min_size=1, max_size=25).map("".join)


def tricky_spans(data, text: str, labels=("Claim", "Actor", "Event")) -> list:
    """Draw a few distinct spans on ``text`` (any offsets, overlapping or not) as NewSpans."""
    from hypothesis import strategies as st

    from db.records import NewSpan

    cuts = data.draw(
        st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, len(text))), max_size=6)
    )
    offsets = sorted({(min(a, b), max(a, b)) for a, b in cuts if a != b})
    return [
        NewSpan(labels[i % len(labels)], start, end, "ana")
        for i, (start, end) in enumerate(offsets)
    ]


def round_trip_spans(text: str, spans: list, format_name: str, out) -> tuple[set, set]:
    """Import ``spans`` on ``text`` into a new project, export it as ``format_name`` to
    ``out``, import that into another new project: (spans before, spans after)."""
    from desktop.formats import export_project, import_paths

    with Store.open(":memory:") as project, Store.open(":memory:") as fresh:
        project.import_batch(ImportBatch(documents=[NewDocument(text=text, spans=spans)]))
        export_project(project, format_name, out)
        import_paths(fresh, [out])
        return spans_of(project), spans_of(fresh)
