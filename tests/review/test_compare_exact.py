"""Review items compared whole, worked out by hand: kinds, candidates in order, holders, absent
annotators, extents in code points, exact error messages, progress reports and item keys.

The documents hold an emoji, a combining mark and a CRLF, so that an offset counted in UTF-16
units, in bytes or in grapheme clusters would be off.
"""

from __future__ import annotations

import hashlib

import pytest

from db.records import ImportBatch, NewDocument, NewEntity, NewSpan
from desktop.progress import Cancelled
from desktop.review.compare import (
    ReviewError,
    compare_annotators,
    group_spans,
    resolve_annotators,
)

# Z o e U+0301 ␠ 😀 ␠ m e t ␠ t h e ␠ U S ␠ a r m y CR LF i n ␠ I r a q .
# 0 1 2 3      4 5  6 7 8 9 10 11 ...                22 23 24 ...       31
TEXT = "Zoe\u0301 \U0001f600 met the US army\r\nin Iraq."


def new_document(text: str, spans: list[tuple[str, str, int, int, str]]) -> NewDocument:
    """A document with spans given as (annotator, label, start, end, covered text); the store
    refuses a span whose covered text is not ``text[start:end]``."""
    document = NewDocument(text=text, title=text[:12])
    for annotator, label, start, end, covered in spans:
        document.spans.append(
            NewSpan(label=label, start=start, end=end, annotator=annotator, text=covered)
        )
    return document


def add(store, text: str, spans: list[tuple[str, str, int, int, str]]) -> int:
    summary = store.import_batch(ImportBatch(documents=[new_document(text, spans)]))
    return summary.document_ids[0]


def view(item):
    """An item as (kind, start, end, holders, absent, candidates in the item's own order)."""
    return (
        item.kind,
        item.start,
        item.end,
        item.holders,
        item.absent,
        [(c.annotator, c.label, c.start, c.end, c.text) for c in item.candidates],
    )


def test_a_document_with_every_kind_of_item_compared_whole(memory_store):
    document_id = add(
        memory_store,
        TEXT,
        [
            ("a", "Person", 0, 4, "Zoe\u0301"),
            ("b", "Person", 0, 4, "Zoe\u0301"),
            ("c", "Person", 0, 4, "Zoe\u0301"),
            ("c", "Event", 7, 10, "met"),
            ("a", "Actor", 15, 22, "US army"),
            ("c", "Actor", 15, 22, "US army"),
            ("b", "Actor", 11, 22, "the US army"),
            # crosses a's and c's actor (not b's own): pulled into the same item
            ("b", "Event", 18, 26, "army\r\nin"),
            ("a", "Place", 27, 31, "Iraq"),
            ("b", "Actor", 27, 31, "Iraq"),
        ],
    )
    items = compare_annotators(memory_store, ["c", "a", "b"])
    assert [view(item) for item in items] == [
        (
            "agreed",
            0,
            4,
            ("c", "a", "b"),
            (),
            [
                ("c", "Person", 0, 4, "Zoe\u0301"),
                ("a", "Person", 0, 4, "Zoe\u0301"),
                ("b", "Person", 0, 4, "Zoe\u0301"),
            ],
        ),
        ("missing", 7, 10, ("c",), ("a", "b"), [("c", "Event", 7, 10, "met")]),
        (
            "boundary",
            11,
            26,
            ("c", "a", "b"),
            (),
            [
                ("c", "Actor", 15, 22, "US army"),
                ("a", "Actor", 15, 22, "US army"),
                ("b", "Actor", 11, 22, "the US army"),
                ("b", "Event", 18, 26, "army\r\nin"),
            ],
        ),
        (
            "label",
            27,
            31,
            ("a", "b"),
            ("c",),
            [("a", "Place", 27, 31, "Iraq"), ("b", "Actor", 27, 31, "Iraq")],
        ),
    ]
    assert {item.document_id for item in items} == {document_id}
    assert [item.is_disagreement for item in items] == [False, True, True, True]
    assert all(item.annotators == ("c", "a", "b") for item in items)
    assert [len(item.key) for item in items] == [32, 32, 32, 32]
    assert len({item.key for item in items}) == 4


def test_nested_spans_of_different_labels_sharing_an_end_or_a_start_stay_apart(memory_store):
    add(
        memory_store,
        TEXT,
        [
            ("b", "Claim", 0, 10, "Zoe\u0301 \U0001f600 met"),
            ("a", "Actor", 0, 4, "Zoe\u0301"),
            ("a", "Event", 11, 22, "the US army"),
            ("b", "Actor", 15, 22, "US army"),
        ],
    )
    items = compare_annotators(memory_store, ["a", "b"])
    assert [view(item) for item in items] == [
        ("missing", 0, 10, ("b",), ("a",), [("b", "Claim", 0, 10, "Zoe\u0301 \U0001f600 met")]),
        ("missing", 0, 4, ("a",), ("b",), [("a", "Actor", 0, 4, "Zoe\u0301")]),
        ("missing", 11, 22, ("a",), ("b",), [("a", "Event", 11, 22, "the US army")]),
        ("missing", 15, 22, ("b",), ("a",), [("b", "Actor", 15, 22, "US army")]),
    ]


def test_adjacent_spans_are_not_alternatives(memory_store):
    add(
        memory_store,
        TEXT,
        [("a", "Actor", 11, 14, "the"), ("b", "Actor", 14, 22, " US army")],
    )
    assert [view(item) for item in compare_annotators(memory_store, ["a", "b"])] == [
        ("missing", 11, 14, ("a",), ("b",), [("a", "Actor", 11, 14, "the")]),
        ("missing", 14, 22, ("b",), ("a",), [("b", "Actor", 14, 22, " US army")]),
    ]


def test_group_spans_leaves_out_other_annotators_and_spans_not_accepted(memory_store):
    document_id = add(
        memory_store,
        TEXT,
        [
            ("c", "Person", 0, 4, "Zoe\u0301"),
            ("a", "Actor", 15, 22, "US army"),
            ("b", "Actor", 15, 22, "US army"),
        ],
    )
    memory_store.add_spans(
        document_id,
        [NewSpan(label="Event", start=0, end=4, annotator="a", status="suggested")],
    )
    spans = memory_store.spans_where(document_ids=[document_id])
    # the spans to leave out come first, at offset 0: a loop that stopped at them loses all
    assert [(s.annotator, s.start, s.status) for s in spans] == [
        ("a", 0, "suggested"),
        ("c", 0, "accepted"),
        ("a", 15, "accepted"),
        ("b", 15, "accepted"),
    ]
    content_hash = memory_store.list_documents()[0].content_hash
    items = group_spans(document_id, content_hash, spans, ["a", "b"])
    assert [view(item) for item in items] == [
        (
            "agreed",
            15,
            22,
            ("a", "b"),
            (),
            [("a", "Actor", 15, 22, "US army"), ("b", "Actor", 15, 22, "US army")],
        )
    ]
    assert items == compare_annotators(memory_store, ["a", "b"])


def test_candidates_carry_the_spans_entity_and_attributes(memory_store):
    document = new_document(
        TEXT,
        [("a", "Actor", 15, 22, "US army"), ("b", "Actor", 15, 22, "US army")],
    )
    document.spans[0].entity_uuid = "entity-us-army"
    document.spans[0].attributes = {"certainty": "high"}
    memory_store.import_batch(
        ImportBatch(
            documents=[document],
            entities=[NewEntity(name="US Army", uuid="entity-us-army", label="Actor")],
        )
    )
    (item,) = compare_annotators(memory_store, ["a", "b"])
    a, b = item.candidates
    assert (a.annotator, a.entity_uuid, dict(a.attributes)) == (
        "a",
        "entity-us-army",
        {"certainty": "high"},
    )
    assert (b.annotator, b.entity_uuid, dict(b.attributes)) == ("b", None, {})


def test_progress_is_reported_once_per_document_with_the_total(memory_store):
    first = add(memory_store, "Joe Biden spoke.", [("a", "Actor", 0, 9, "Joe Biden")])
    second = add(memory_store, "Nothing here.", [])
    third = add(
        memory_store,
        "\U0001f600 Iraq",
        [("a", "Place", 2, 6, "Iraq"), ("b", "Place", 2, 6, "Iraq")],
    )
    calls = []
    items = compare_annotators(memory_store, ["a", "b"], progress=lambda *call: calls.append(call))
    assert calls == [("comparing", 1, 3), ("comparing", 2, 3), ("comparing", 3, 3)]
    assert [(item.document_id, item.kind, item.start, item.end) for item in items] == [
        (first, "missing", 0, 9),
        (third, "agreed", 2, 6),
    ]

    calls.clear()
    items = compare_annotators(
        memory_store,
        ["a", "b"],
        [third, second],
        progress=lambda *call: calls.append(call),
    )
    assert calls == [("comparing", 1, 2), ("comparing", 2, 2)]
    assert [(item.document_id, item.kind) for item in items] == [(third, "agreed")]


def test_cancelling_from_progress_stops_the_comparison(memory_store):
    add(memory_store, "Joe Biden spoke.", [("a", "Actor", 0, 9, "Joe Biden")])
    add(memory_store, "Joe Biden slept.", [("b", "Actor", 0, 9, "Joe Biden")])
    calls = []

    def cancel(*call):
        calls.append(call)
        raise Cancelled

    with pytest.raises(Cancelled):
        compare_annotators(memory_store, ["a", "b"], progress=cancel)
    assert calls == [("comparing", 1, 2)]


def test_the_same_disagreement_in_two_documents_has_two_keys(memory_store):
    spans = [("a", "Actor", 0, 9, "Joe Biden"), ("b", "Actor", 0, 3, "Joe")]
    first = add(memory_store, "Joe Biden spoke.", spans)
    second = add(memory_store, "Joe Biden slept.", spans)
    items = compare_annotators(memory_store, ["a", "b"])
    assert [(item.document_id, item.kind, item.start, item.end) for item in items] == [
        (first, "boundary", 0, 9),
        (second, "boundary", 0, 9),
    ]
    assert items[0].key != items[1].key


def test_an_item_key_is_the_hash_of_its_documented_canonical_form(memory_store):
    """Review decisions stored in a project name their items by key, so the key of an item
    must not change from one release to the next (short of a new key version): pinned here
    from the canonical form written out by hand, non-ASCII kept as UTF-8."""
    text = "Die Größe 😀 zählt."
    # D0 i1 e2 ␠3 G4 r5 ö6 ß7 e8 ␠9 😀10 ␠11 z12 ä13 h14 l15 t16 .17
    add(
        memory_store,
        text,
        [
            ("Zoë", "Größe", 4, 9, "Größe"),
            ("ali", "Größe", 4, 11, "Größe 😀"),
        ],
    )
    content_hash = memory_store.list_documents()[0].content_hash
    (item,) = compare_annotators(memory_store, ["ali", "Zoë"])
    assert item.kind == "boundary"
    canonical = (
        '["dossier-review-item/1", "' + content_hash + '", ["Zoë", "ali"], '
        '[[4, 9, "grösse", ["Zoë"]], [4, 11, "grösse", ["ali"]]]]'
    )
    assert item.key == hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def test_the_errors_say_exactly_what_is_wrong(memory_store):
    with pytest.raises(ReviewError) as error:
        compare_annotators(memory_store, ["a", "b"])
    assert str(error.value) == "no annotator called 'a' (known: none)"

    add(
        memory_store,
        "Joe Biden spoke.",
        [("b", "Actor", 0, 9, "Joe Biden"), ("a", "Actor", 0, 3, "Joe")],
    )
    memory_store.gold_annotator()
    cases = [
        (["a", "zed"], "no annotator called 'zed' (known: a, b, gold)"),
        (["a", "gold"], "'gold' is the gold layer, which a review writes into"),
        (["a", "a"], "comparing needs two or more annotators, got 1"),
        (["b"], "comparing needs two or more annotators, got 1"),
        ([], "comparing needs two or more annotators, got 0"),
    ]
    for names, message in cases:
        with pytest.raises(ReviewError) as error:
            compare_annotators(memory_store, names)
        assert str(error.value) == message
    assert sorted(record.name for record in memory_store.annotators()) == ["a", "b", "gold"]


def test_resolve_annotators_keeps_the_given_order_and_lets_gold_in_when_asked(memory_store):
    add(
        memory_store,
        "Joe Biden spoke.",
        [("b", "Actor", 0, 9, "Joe Biden"), ("a", "Actor", 0, 3, "Joe")],
    )
    gold = memory_store.gold_annotator()
    records = resolve_annotators(memory_store, ["gold", "b", "gold", "a"], allow_gold=True)
    assert [(record.name, record.is_gold) for record in records] == [
        ("gold", True),
        ("b", False),
        ("a", False),
    ]
    assert records[0].id == gold.id
