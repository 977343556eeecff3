"""Grouping the annotators' spans into review items: agreed, missing, label and boundary."""

from __future__ import annotations

import pytest

from db.records import NewSpan
from db.store import Store
from desktop.formats import ImportOptions, import_paths
from desktop.review.compare import ReviewError, compare_annotators
from tests.review.conftest import TEXT, add_document, at


def summary(items):
    """Items as (kind, sorted (annotator, label, covered text)) for readable assertions."""
    return [
        (item.kind, sorted((c.annotator, c.label, c.text) for c in item.candidates))
        for item in items
    ]


def test_identical_spans_agree_and_a_lone_span_is_missing(memory_store):
    add_document(
        memory_store,
        TEXT,
        {"a": [("Actor", "Joe Biden"), ("Event", "struck")], "b": [("Actor", "Joe Biden")]},
    )
    items = compare_annotators(memory_store, ["a", "b"])
    assert summary(items) == [
        ("agreed", [("a", "Actor", "Joe Biden"), ("b", "Actor", "Joe Biden")]),
        ("missing", [("a", "Event", "struck")]),
    ]
    assert items[1].holders == ("a",) and items[1].absent == ("b",)


def test_same_offsets_with_different_labels_is_a_label_disagreement(memory_store):
    add_document(
        memory_store, TEXT, {"a": [("Actor", "US military")], "b": [("Event", "US military")]}
    )
    assert summary(compare_annotators(memory_store, ["a", "b"])) == [
        ("label", [("a", "Actor", "US military"), ("b", "Event", "US military")])
    ]


def test_overlapping_spans_of_one_label_are_a_boundary_disagreement(memory_store):
    add_document(
        memory_store, TEXT, {"a": [("Actor", "the US military")], "b": [("Actor", "US military")]}
    )
    items = compare_annotators(memory_store, ["a", "b"])
    assert summary(items) == [
        ("boundary", [("a", "Actor", "the US military"), ("b", "Actor", "US military")])
    ]
    assert (items[0].start, items[0].end) == at(TEXT, "the US military")


def test_a_claim_containing_an_actor_is_not_lumped_with_the_actor(memory_store):
    claim = "Joe Biden said that the US military struck Kataib Hezbollah"
    add_document(
        memory_store,
        TEXT,
        {
            "a": [("Claim", claim), ("Actor", "Kataib Hezbollah"), ("Actor", "Joe Biden")],
            "b": [("Actor", "Kataib Hezbollah"), ("Actor", "Joe")],
        },
    )
    assert summary(compare_annotators(memory_store, ["a", "b"])) == [
        ("missing", [("a", "Claim", claim)]),
        ("boundary", [("a", "Actor", "Joe Biden"), ("b", "Actor", "Joe")]),
        ("agreed", [("a", "Actor", "Kataib Hezbollah"), ("b", "Actor", "Kataib Hezbollah")]),
    ]


def test_nested_spans_of_different_labels_are_two_things_even_without_partners(memory_store):
    add_document(
        memory_store,
        TEXT,
        {"a": [("Event", "the US military struck")], "b": [("Actor", "the US military")]},
    )
    assert summary(compare_annotators(memory_store, ["a", "b"])) == [
        ("missing", [("a", "Event", "the US military struck")]),
        ("missing", [("b", "Actor", "the US military")]),
    ]


def test_crossing_spans_of_different_labels_are_one_boundary_item(memory_store):
    add_document(
        memory_store,
        TEXT,
        {"a": [("Actor", "the US military")], "b": [("Event", "military struck")]},
    )
    assert summary(compare_annotators(memory_store, ["a", "b"])) == [
        ("boundary", [("a", "Actor", "the US military"), ("b", "Event", "military struck")])
    ]


def test_one_span_against_two_is_one_item(memory_store):
    add_document(
        memory_store,
        TEXT,
        {"a": [("Actor", "Joe"), ("Actor", "Biden")], "b": [("Actor", "Joe Biden")]},
    )
    items = compare_annotators(memory_store, ["a", "b"])
    assert summary(items) == [
        ("boundary", [("a", "Actor", "Biden"), ("a", "Actor", "Joe"), ("b", "Actor", "Joe Biden")])
    ]
    assert [c.text for c in items[0].spans_of("a")] == ["Joe", "Biden"]


def test_an_annotator_holding_both_versions_says_they_are_two_things(memory_store):
    add_document(
        memory_store,
        TEXT,
        {
            "a": [("Actor", "Kataib Hezbollah"), ("Actor", "Kataib Hezbollah in Iraq")],
            "b": [("Actor", "Kataib Hezbollah")],
        },
    )
    assert summary(compare_annotators(memory_store, ["a", "b"])) == [
        ("missing", [("a", "Actor", "Kataib Hezbollah in Iraq")]),
        ("agreed", [("a", "Actor", "Kataib Hezbollah"), ("b", "Actor", "Kataib Hezbollah")]),
    ]


def test_three_annotators_two_agree_one_differs(memory_store):
    add_document(
        memory_store,
        TEXT,
        {
            "a": [("Actor", "US military"), ("Event", "struck")],
            "b": [("Actor", "US military"), ("Event", "struck")],
            "c": [("Actor", "the US military"), ("Event", "struck")],
        },
    )
    items = compare_annotators(memory_store, ["a", "b", "c"])
    assert summary(items) == [
        (
            "boundary",
            [
                ("a", "Actor", "US military"),
                ("b", "Actor", "US military"),
                ("c", "Actor", "the US military"),
            ],
        ),
        ("agreed", [("a", "Event", "struck"), ("b", "Event", "struck"), ("c", "Event", "struck")]),
    ]
    # compared as a pair, a and b agree on the actor; c's reading is not part of it
    assert [item.kind for item in compare_annotators(memory_store, ["a", "b"])] == [
        "agreed",
        "agreed",
    ]


def test_only_accepted_spans_of_the_chosen_annotators_count(memory_store):
    document_id = add_document(
        memory_store,
        TEXT,
        {"a": [("Actor", "Joe Biden")], "b": [("Actor", "Joe Biden")], "c": [("Event", "struck")]},
    )
    start, end = at(TEXT, "Iraq")
    memory_store.add_spans(
        document_id,
        [NewSpan(label="Actor", start=start, end=end, annotator="b", status="suggested")],
    )
    assert summary(compare_annotators(memory_store, ["a", "b"])) == [
        ("agreed", [("a", "Actor", "Joe Biden"), ("b", "Actor", "Joe Biden")])
    ]


def test_keys_are_stable_across_projects_and_change_with_the_spans(memory_store, tmp_path):
    spans = {"a": [("Actor", "the US military")], "b": [("Actor", "US military")]}
    add_document(memory_store, TEXT, spans)
    first = compare_annotators(memory_store, ["a", "b"])[0]
    with Store.open(tmp_path / "other.db") as other:
        add_document(other, TEXT, spans)  # other uuids, other ids, the same disagreement
        assert compare_annotators(other, ["b", "a"])[0].key == first.key
    memory_store.update_span(first.spans_of("b")[0].uuid, end=first.spans_of("b")[0].end - 1)
    assert compare_annotators(memory_store, ["a", "b"])[0].key != first.key


def test_unknown_gold_or_single_annotators_are_refused(memory_store):
    add_document(memory_store, TEXT, {"a": [("Actor", "Joe Biden")], "b": []})
    memory_store.gold_annotator()
    with pytest.raises(ReviewError, match="no annotator called 'zed' \\(known: a, gold\\)"):
        compare_annotators(memory_store, ["a", "zed"])
    with pytest.raises(ReviewError, match="gold layer"):
        compare_annotators(memory_store, ["a", "gold"])
    with pytest.raises(ReviewError, match="two or more"):
        compare_annotators(memory_store, ["a", "a"])


def test_the_analysts_claims_and_events_stand_apart_from_the_actors_inside(memory_store, corpus):
    import_paths(memory_store, [corpus], ImportOptions())
    items = compare_annotators(memory_store, ["analyst_a", "analyst_b"])
    kinds = [item.kind for item in items]
    # counted by hand from the two files: 21 spans both have, 12 only one has, one span
    # labelled Claim by a and Event by b, and four pairs whose boundaries differ
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "agreed": 21,
        "missing": 12,
        "label": 1,
        "boundary": 4,
    }
    first = memory_store.list_documents()[0].id
    by_extent = {(i.document_id, i.start, i.end): i for i in items}
    # a's claim 847-968 holds an actor (850-866) that both tagged: the claim alone is missing
    claim = by_extent[(first, 847, 968)]
    assert claim.kind == "missing" and [c.label for c in claim.candidates] == ["Claim"]
    assert by_extent[(first, 850, 866)].kind == "agreed"
    # a's event 1279-1370 holds the agreed actor 1309-1324
    assert by_extent[(first, 1279, 1370)].kind == "missing"
    assert by_extent[(first, 1309, 1324)].kind == "agreed"
    label = by_extent[(first, 2210, 2248)]
    assert label.kind == "label"
    assert [(c.annotator, c.label) for c in label.candidates] == [
        ("analyst_a", "Claim"),
        ("analyst_b", "Event"),
    ]
    boundary = by_extent[(first, 234, 249)]
    assert boundary.kind == "boundary"
    assert [(c.annotator, c.start) for c in boundary.candidates] == [
        ("analyst_a", 238),
        ("analyst_b", 234),
    ]
