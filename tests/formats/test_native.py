"""The native JSONL is lossless: export → import into an empty project → export is identical."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.records import ExportFilter
from db.store import Store, content_hash
from desktop.formats import ExportOptions, export_project, import_paths
from desktop.formats.base import ImportOptions

ALPHABET = list("abc XYZ.,\r\n\t") + [
    "😀",
    "👍🏽",
    "🇮🇶",
    "e\u0301",
    "\u0301",
    "ع",
    "ب",
    "\u200f",
    "\u2028",
    "\u2029",
    "\ufe0f",
    "\u00a0",
]


def roundtrip(store, tmp_path, name="a") -> tuple[bytes, bytes]:
    first = tmp_path / f"{name}-1.jsonl"
    export_project(store, "jsonl", first)
    with Store.open(tmp_path / f"{name}-empty.db") as empty:
        import_paths(empty, [first])
        second = tmp_path / f"{name}-2.jsonl"
        export_project(empty, "jsonl", second)
    return first.read_bytes(), second.read_bytes()


def test_the_seed_corpus_round_trips_byte_for_byte(store, corpus, tmp_path):
    import_paths(store, [corpus])
    document_id = store.document_ids()[0]
    me = store.ensure_annotator("me")
    claim = store.add_span(
        document_id,
        store.label_by_name("Claim").id,
        me.id,
        0,
        40,
        note="headline claim",
        attributes={"stance": "opposes", "confidence": 0.5},
    )
    actor = store.add_span(document_id, store.label_by_name("Actor").id, me.id, 9, 11)
    store.add_relation(claim.uuid, actor.uuid, "attributed_to", me.id)
    entity = store.add_entity(
        "Abu Baqir al-Saadi",
        label="Actor",
        aliases=["Abu Baqer", "Abu Bakr al-Saadi"],
        type="person",
    )
    store.update_span(actor.uuid, actor.version, entity_uuid=entity.uuid)
    store.set_document_status(document_id, me.id, "done")
    reviewer = store.ensure_annotator("lead")
    store.record_decision(
        document_id,
        reviewer.id,
        kind="label",
        action="take",
        candidates=[{"label": "Actor"}],
        gold_spans=[],
    )
    store.add_label("Location", colour="#123456", shortcut="L")
    first, second = roundtrip(store, tmp_path)
    assert first == second
    records = [json.loads(line) for line in first.decode("utf-8").splitlines()]
    documents = [r for r in records if r["type"] == "document"]
    [entity_line] = [r for r in records if r["type"] == "entity"]
    assert (entity_line["entity_type"], entity_line["aliases"]) == (
        "person",
        ["Abu Bakr al-Saadi", "Abu Baqer"],
    )
    assert len(documents) == 5
    assert sum(len(d["spans"]) for d in documents) == 66
    assert [r["name"] for r in records if r["type"] == "label"] == [
        "Claim",
        "Actor",
        "Event",
        "Location",
    ]


def test_a_customised_label_scheme_travels_with_the_file(memory_store, tmp_path):
    actor = memory_store.label_by_name("Actor")
    memory_store.update_label(actor.id, colour="#000000", shortcut="P", name="Person")
    event = memory_store.label_by_name("Event")
    memory_store.delete_label(event.id)
    first, second = roundtrip(memory_store, tmp_path)
    assert first == second
    assert b'"name": "Event"' not in second


def test_filters_select_spans(memory_store, corpus, tmp_path):
    import_paths(memory_store, [corpus])
    out = tmp_path / "a.jsonl"
    report = export_project(
        memory_store,
        "jsonl",
        out,
        ExportOptions(filter=ExportFilter(annotators=("analyst_a",), labels=("Actor",))),
    )
    assert report.spans == 22
    spans = [
        s
        for line in out.read_text(encoding="utf-8").splitlines()
        for s in json.loads(line).get("spans", [])
    ]
    assert {(s["annotator"], s["label"]) for s in spans} == {("analyst_a", "Actor")}


def test_plain_jsonl_of_articles_imports(memory_store, tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text(
        json.dumps(
            {
                "text": "Body.",
                "title": "T",
                "source": "AP",
                "date": "2024-02-09",
                "section": "world",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    report = import_paths(memory_store, [path])
    document = memory_store.document(report.summary.document_ids[0])
    assert (document.title, document.source, document.published, document.meta) == (
        "T",
        "AP",
        "2024-02-09",
        {"section": "world"},
    )


def pieces(min_size: int, max_size: int):
    """Text made of the tricky pieces (some are several code points: flags, skin tones)."""
    return st.lists(st.sampled_from(ALPHABET), min_size=min_size, max_size=max_size).map("".join)


@st.composite
def articles(draw):
    texts = draw(st.lists(pieces(1, 30), min_size=1, max_size=4, unique=True))
    records = []
    for text in texts:
        spans = []
        for _ in range(draw(st.integers(0, 4))):
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            spans.append(
                {
                    "label": draw(st.sampled_from(["Claim", "Actor", "Event", "Lieu"])),
                    "start": start,
                    "end": end,
                    "annotator": draw(st.sampled_from(["a", "b", "رائد"])),
                    "note": draw(pieces(0, 3)),
                    "status": draw(st.sampled_from(["accepted", "suggested", "rejected"])),
                }
            )
        records.append({"text": text, "title": text[:10], "spans": spans})
    return records


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=articles())
def test_any_text_and_spans_round_trip(tmp_path_factory, records):
    tmp_path = tmp_path_factory.mktemp("rt")
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    with Store.open(tmp_path / "p.db") as store:
        import_paths(store, [source], ImportOptions(format="jsonl"))
        for record in records:
            document = store.document_by_hash(content_hash(record["text"]))
            assert document.text == record["text"]
            got = sorted(
                (s.label, s.start, s.end, s.text, s.annotator, s.status)
                for s in store.spans(document.id)
            )
            unique: dict = {}
            for span in record["spans"]:  # the first of identical spans is kept
                unique.setdefault(
                    (span["label"], span["start"], span["end"], span["annotator"]), span
                )
            want = sorted(
                (label, start, end, record["text"][start:end], annotator, span["status"])
                for (label, start, end, annotator), span in unique.items()
            )
            assert got == want
        first, second = roundtrip(store, tmp_path)
    assert first == second
