"""Exports compared with files written out by hand, and hand-written files imported, on a
text whose emoji make UTF-16 units and code points differ.

Round trips cannot catch a reader and a writer that are wrong alike; these tests spell
out every offset. The text, code point by code point (an astral character is one code
point but two UTF-16 units):

    Drone 🛸 hit Erbil 🇮🇶 at night
    D=0 r=1 o=2 n=3 e=4 ' '=5 🛸=6 ' '=7 h=8 i=9 t=10 ' '=11 E=12 r=13 b=14 i=15 l=16 ' '=17
    🇮=18 🇶=19 ' '=20 a=21 t=22 ' '=23 n=24 i=25 g=26 h=27 t=28   (29 code points)

In UTF-16 every offset after an astral character moves by one for each before it:
🛸 takes units 6-7, "hit" is 9-12, "Erbil" starts at 13, 🇮 is 19-20, 🇶 21-22, the
text is 32 units long.

| span (label)          | code points | UTF-16  |
|-----------------------|-------------|---------|
| "Drone 🛸" (Event)    | 0-7         | 0-8     |
| "hit" (Event)         | 8-11        | 9-12    |
| "Erbil 🇮🇶" (Actor)   | 12-20       | 13-23   |

Two of the spans end on an emoji: written one UTF-16 unit short, they would cut it in half.
"""

from __future__ import annotations

import hashlib
import json

from db.records import ExportFilter, ImportBatch, NewDocument
from desktop.formats import ExportOptions, ImportOptions, export_project, import_paths
from tests.formats.project import read_jsonl

TEXT = "Drone 🛸 hit Erbil 🇮🇶 at night"


def project(store):
    """TEXT with analyst_a's three spans, a relation hit -target-> Erbil 🇮🇶, and a note and
    a text attribute on the Erbil span."""
    store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT, title="Erbil", source="AP")]))
    [document_id] = store.document_ids()
    me = store.ensure_annotator("analyst_a")
    event, actor = store.label_by_name("Event").id, store.label_by_name("Actor").id
    drone = store.add_span(document_id, event, me.id, 0, 7)
    hit = store.add_span(document_id, event, me.id, 8, 11)
    erbil = store.add_span(
        document_id, actor, me.id, 12, 20, note="the flag", attributes={"type": "state"}
    )
    assert (drone.text, hit.text, erbil.text) == ("Drone 🛸", "hit", "Erbil 🇮🇶")
    store.add_relation(hit.uuid, erbil.uuid, "target", me.id)
    return document_id, drone, hit, erbil


def spans_in(store) -> list[tuple[str, int, int, str, str]]:
    """(label, start, end, covered text, annotator) of every accepted span, by offsets."""
    found = [
        (s.label, s.start, s.end, s.text, s.annotator)
        for document_id in store.document_ids()
        for s in store.spans(document_id, statuses=("accepted",))
    ]
    return sorted(found, key=lambda item: (item[1], item[2], item[0]))


# --- doccano -----------------------------------------------------------------------------------

DOCUMENT_FIELDS = {
    "title": "Erbil",
    "source": "AP",
    "url": None,
    "published": None,
    "language": None,
    "meta": {},
}


def test_doccano_entity_form_is_exactly_the_hand_written_record(memory_store, tmp_path):
    project(memory_store)
    out = tmp_path / "doccano.jsonl"
    export_project(memory_store, "doccano", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {
        "text": TEXT,
        "entities": [
            {"id": 1, "start_offset": 0, "end_offset": 8, "label": "Event"},
            {"id": 2, "start_offset": 9, "end_offset": 12, "label": "Event"},
            {"id": 3, "start_offset": 13, "end_offset": 23, "label": "Actor"},
        ],
        "relations": [{"id": 1, "from_id": 2, "to_id": 3, "type": "target"}],
        "annotator": "analyst_a",
        **DOCUMENT_FIELDS,
    }
    # what doccano shows: the JavaScript slice of each entity covers whole emoji
    units = TEXT.encode("utf-16-le")
    shown = [units[2 * 0 : 2 * 8], units[2 * 13 : 2 * 23]]
    assert [s.decode("utf-16-le") for s in shown] == ["Drone 🛸", "Erbil 🇮🇶"]


def test_doccano_list_form_is_exactly_the_hand_written_record(memory_store, tmp_path):
    project(memory_store)
    out = tmp_path / "doccano.jsonl"
    # Actor spans only: no relation among them, so the list form
    export_project(
        memory_store, "doccano", out, ExportOptions(filter=ExportFilter(labels=("Actor",)))
    )
    assert read_jsonl(out) == [
        {"text": TEXT, "label": [[13, 23, "Actor"]], "annotator": "analyst_a", **DOCUMENT_FIELDS}
    ]


def test_a_hand_written_doccano_file_is_read_in_utf16_units(memory_store, tmp_path):
    path = tmp_path / "analyst_c.jsonl"
    records = [
        {"text": TEXT, "label": [[0, 8, "Event"], [13, 23, "Actor"]], "annotator": "c"},
        {
            "text": TEXT + "!",
            "entities": [
                {"id": 7, "start_offset": 9, "end_offset": 12, "label": "Event"},
                {"id": 8, "start_offset": 19, "end_offset": 23, "label": "Actor"},
            ],
            "relations": [{"id": 1, "from_id": 7, "to_id": 8, "type": "target"}],
            "annotator": "d",
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    import_paths(memory_store, [path], ImportOptions(format="doccano"))
    assert spans_in(memory_store) == [
        ("Event", 0, 7, "Drone 🛸", "c"),
        ("Event", 8, 11, "hit", "d"),
        ("Actor", 12, 20, "Erbil 🇮🇶", "c"),
        ("Actor", 18, 20, "🇮🇶", "d"),
    ]
    second = [i for i in memory_store.document_ids() if memory_store.document(i).text != TEXT]
    [relation] = memory_store.relations(second[0])
    spans = {s.uuid: (s.start, s.end) for s in memory_store.spans(second[0])}
    assert (relation.type, spans[relation.head_uuid], spans[relation.tail_uuid]) == (
        "target",
        (8, 11),
        (18, 20),
    )


# --- Prodigy -----------------------------------------------------------------------------------


def blake2b32(data: bytes) -> int:
    """Dossier's 32-bit hash (desktop.formats.prodigy.hash32), written again here: BLAKE2b
    with a 4-byte digest, read as a signed little-endian integer."""
    digest = hashlib.blake2b(data, digest_size=4).digest()
    value = digest[0] | digest[1] << 8 | digest[2] << 16 | digest[3] << 24
    return value - (1 << 32) if value >= 1 << 31 else value


def compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_prodigy_task_is_exactly_the_hand_written_one(memory_store, tmp_path):
    project(memory_store)
    out = tmp_path / "prodigy.jsonl"
    export_project(memory_store, "prodigy", out)
    [task] = read_jsonl(out)
    assert isinstance(task.pop("_timestamp"), int)
    drone = {"start": 0, "end": 7, "token_start": 0, "token_end": 1, "label": "Event"}
    hit = {"start": 8, "end": 11, "token_start": 2, "token_end": 2, "label": "Event"}
    # spaCy's English tokenizer splits the flag into its two regional indicators
    erbil = {"start": 12, "end": 20, "token_start": 3, "token_end": 5, "label": "Actor"}
    input_hash = blake2b32(TEXT.encode("utf-8"))
    relations = [{"head": 2, "child": 5, "head_span": hit, "child_span": erbil, "label": "target"}]
    assert task == {
        "text": TEXT,
        "meta": {"title": "Erbil", "source": "AP"},
        "_input_hash": input_hash,
        "_task_hash": blake2b32(compact([input_hash, [drone, hit, erbil], relations])),
        "tokens": [
            {"text": "Drone", "start": 0, "end": 5, "id": 0, "ws": True},
            {"text": "🛸", "start": 6, "end": 7, "id": 1, "ws": True},
            {"text": "hit", "start": 8, "end": 11, "id": 2, "ws": True},
            {"text": "Erbil", "start": 12, "end": 17, "id": 3, "ws": True},
            {"text": "🇮", "start": 18, "end": 19, "id": 4, "ws": False},
            {"text": "🇶", "start": 19, "end": 20, "id": 5, "ws": True},
            {"text": "at", "start": 21, "end": 23, "id": 6, "ws": True},
            {"text": "night", "start": 24, "end": 29, "id": 7, "ws": False},
        ],
        "spans": [drone, hit, erbil],
        "relations": relations,
        "_view_id": "relations",
        "answer": "accept",
        "_annotator_id": "analyst_a",
        "_session_id": "analyst_a",
    }


def test_a_hand_written_prodigy_file_is_read_in_code_points(memory_store, tmp_path):
    path = tmp_path / "tasks.jsonl"
    tasks = [
        {
            "text": TEXT,
            "spans": [
                {"start": 0, "end": 7, "label": "Event"},
                {"start": 12, "end": 20, "label": "Actor", "text": "Erbil 🇮🇶"},
            ],
            "answer": "accept",
            "_annotator_id": "p",
        },
        {
            "text": TEXT,
            "spans": [{"start": 8, "end": 11, "label": "Event"}],
            "answer": "reject",
            "_annotator_id": "p",
        },
    ]
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    report = import_paths(memory_store, [path], ImportOptions(format="prodigy"))
    assert report.skipped == {"rejected tasks": 1}
    assert spans_in(memory_store) == [
        ("Event", 0, 7, "Drone 🛸", "p"),
        ("Actor", 12, 20, "Erbil 🇮🇶", "p"),
    ]


# --- Label Studio: code points, for labels and for the per-region notes alike ------------------


def test_label_studio_regions_and_their_notes_use_the_same_code_point_offsets(
    memory_store, tmp_path
):
    """Label Studio counts code points (formats.md): a note or a text attribute is a
    ``textarea`` item with the id of its region and the region's offsets, 12-20 here (in
    UTF-16 they would be 13-23)."""
    _document_id, _drone, _hit, erbil = project(memory_store)
    out = tmp_path / "tasks.json"
    export_project(memory_store, "labelstudio", out)
    [task] = json.loads(out.read_text(encoding="utf-8"))
    [annotation] = task["annotations"]
    about_erbil = [r for r in annotation["result"] if r.get("id") == erbil.uuid]
    assert about_erbil == [
        {
            "id": erbil.uuid,
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "origin": "manual",
            "value": {"start": 12, "end": 20, "text": "Erbil 🇮🇶", "labels": ["Actor"]},
        },
        {
            "id": erbil.uuid,
            "from_name": "note",
            "to_name": "text",
            "type": "textarea",
            "origin": "manual",
            "value": {"start": 12, "end": 20, "text": ["the flag"]},
        },
        {
            "id": erbil.uuid,
            "from_name": "type",
            "to_name": "text",
            "type": "textarea",
            "origin": "manual",
            "value": {"start": 12, "end": 20, "text": ["state"]},
        },
    ]
    offsets = sorted(
        (r["value"]["start"], r["value"]["end"])
        for r in annotation["result"]
        if r["type"] in ("labels", "textarea")
    )
    assert offsets == [(0, 7), (8, 11), (12, 20), (12, 20), (12, 20)]
