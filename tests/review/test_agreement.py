"""Agreement measures against published worked examples, and on hand-made projects; attribute
and relation agreement over matched spans, by hand and against the ``krippendorff`` package."""

from __future__ import annotations

import pytest

from desktop.formats import import_paths
from desktop.nlp.tokens import TokenIndex
from desktop.review.agreement import (
    AttributeAgreement,
    SpanScores,
    attribute_agreement,
    attribute_value,
    cohen_kappa,
    covered_labels,
    exact_scores,
    krippendorff_alpha,
    matched_spans,
    measure_agreement,
    overlap_scores,
    relation_scores,
)
from desktop.review.compare import ReviewError
from tests.review.conftest import TEXT, add_document, at


def from_table(both_yes: int, first_only: int, second_only: int, both_no: int):
    """Two raters' yes/no values from a 2 x 2 agreement table."""
    pairs = (
        [("yes", "yes")] * both_yes
        + [("yes", "no")] * first_only
        + [("no", "yes")] * second_only
        + [("no", "no")] * both_no
    )
    return [a for a, _ in pairs], [b for _, b in pairs]


@pytest.mark.parametrize(
    "table,expected",
    [
        # Wikipedia, "Cohen's kappa", worked example: 50 grant proposals, kappa = 0.40
        ((20, 5, 10, 15), 0.4),
        # the same article: same agreement (60 %), different marginals: 0.1304 and 0.2593
        ((45, 15, 25, 15), 0.1304),
        ((25, 35, 5, 35), 0.2593),
    ],
)
def test_cohen_kappa_matches_the_worked_examples(table, expected):
    assert cohen_kappa(*from_table(*table)) == pytest.approx(expected, abs=5e-5)


def test_cohen_kappa_is_undefined_without_variation():
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["O"] * 5, ["O"] * 5) is None
    assert cohen_kappa(["O", "A"], ["O", "A"]) == 1.0
    with pytest.raises(ValueError):
        cohen_kappa(["O"], [])


def test_krippendorff_alpha_with_missing_values_matches_krippendorff():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
    # observers, twelve units, values missing; nominal alpha = 0.743
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    units = list(zip(*observers, strict=True))
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_for_two_observers_matches_krippendorff():
    # the same paper, section A (binary, alpha = 0.095) and section B (nominal, 0.692)
    binary = ([0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
    assert krippendorff_alpha(zip(*binary, strict=True)) == pytest.approx(0.095, abs=5e-4)
    nominal = ("a a b b d c c c e d d a".split(), "b a b b b c c c e d d d".split())
    assert krippendorff_alpha(zip(*nominal, strict=True)) == pytest.approx(0.692, abs=5e-4)


def test_krippendorff_alpha_is_undefined_without_pairable_variation():
    assert krippendorff_alpha([]) is None
    assert krippendorff_alpha([(1, None), (None, 2)]) is None  # nothing pairable
    assert krippendorff_alpha([("O", "O"), ("O", "O", None)]) is None  # one value only


def test_span_scores_exact_and_overlap():
    reference = [(1, "Actor", 0, 9), (1, "Actor", 20, 35), (1, "Event", 36, 42)]
    other = [(1, "Actor", 0, 9), (1, "Actor", 24, 35), (1, "Event", 10, 15), (2, "Actor", 0, 9)]
    exact = exact_scores(reference, other)
    assert exact == SpanScores(reference=3, other=4, matched_reference=1, matched_other=1)
    assert (exact.precision, exact.recall) == (0.25, pytest.approx(1 / 3))
    assert exact.f1 == pytest.approx(2 * 0.25 * (1 / 3) / (0.25 + 1 / 3))
    overlap = overlap_scores(reference, other)
    # the Event spans do not touch; the span of document 2 has no partner there
    assert overlap == SpanScores(3, 4, 2, 2)
    assert overlap.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_span_scores_when_one_side_has_nothing():
    assert exact_scores([], []).f1 is None
    only_reference = exact_scores([(1, "Actor", 0, 3)], [])
    assert (only_reference.precision, only_reference.recall, only_reference.f1) == (None, 0, 0)


def test_overlap_finds_a_long_span_that_started_long_before():
    # the reference span that overlaps is not the last one starting before the other's end
    reference = [(1, "Claim", 0, 100), (1, "Claim", 10, 20)]
    assert overlap_scores(reference, [(1, "Claim", 50, 60)]).matched_other == 1
    assert overlap_scores(reference, [(1, "Claim", 100, 110)]).matched_other == 0


def test_tokens_take_every_label_that_covers_them():
    tokens = TokenIndex.of(TEXT)
    claim = at(TEXT, "Joe Biden said")
    actor = at(TEXT, "Biden")
    partial = (at(TEXT, "military")[0] + 2, at(TEXT, "military")[1])  # inside one token
    covered = covered_labels(tokens, [("Claim", *claim), ("Actor", *actor), ("Event", *partial)])
    words = [TEXT[s:e] for s, e in zip(tokens.starts, tokens.ends, strict=True)]
    labelled = {word: set(labels) for word, labels in zip(words, covered, strict=True) if labels}
    assert labelled == {
        "Joe": {"Claim"},
        "Biden": {"Claim", "Actor"},
        "said": {"Claim"},
        "military": {"Event"},
    }


def test_three_annotators_one_of_whom_skipped_a_document(memory_store):
    """Alpha treats the skipped document as missing; the pairs see only shared documents."""
    text = "Iraq said the strike hit Kataib Hezbollah."
    first = add_document(
        memory_store,
        text,
        {"a": [("Actor", "Iraq")], "b": [("Actor", "Iraq")], "c": [("Actor", "Kataib Hezbollah")]},
    )
    second_text = "Biden ordered a strike."
    second = add_document(
        memory_store, second_text, {"a": [("Actor", "Biden")], "b": [("Event", "strike")]}
    )
    report = measure_agreement(memory_store, ["a", "b", "c"])
    assert report.document_ids == (first, second)
    assert [(p.reference, p.other, p.document_ids) for p in report.pairs] == [
        ("a", "b", (first, second)),
        ("a", "c", (first,)),
        ("b", "c", (first,)),
    ]
    # by hand: first text tokens Iraq said the strike hit Kataib Hezbollah . (8 tokens);
    # a, b: Actor on Iraq; c: Actor on Kataib, Hezbollah. Second: Biden ordered a strike .
    # a: Actor on Biden; b: Event on strike; c missing.
    first_units = [
        ("Actor", "Actor", "O"),
        ("O", "O", "O"),
        ("O", "O", "O"),
        ("O", "O", "O"),
        ("O", "O", "O"),
        ("O", "O", "Actor"),
        ("O", "O", "Actor"),
        ("O", "O", "O"),
    ]
    second_units = [
        ("Actor", "O", None),
        ("O", "O", None),
        ("O", "O", None),
        ("O", "Event", None),
        ("O", "O", None),
    ]
    assert report.tokens == 13
    assert report.overall.alpha == pytest.approx(_alpha_by_pairs(first_units + second_units))
    actor_units = [
        tuple(None if v is None else int(v == "Actor") for v in u)
        for u in first_units + second_units
    ]
    assert report.per_label["Actor"].alpha == pytest.approx(_alpha_by_pairs(actor_units))
    # pooled span counts: a-b exact 1 of 2/2, a-c 0 of 1/1, b-c 0 of 1/1
    assert report.overall.exact == SpanScores(4, 4, 1, 1)
    # Cohen's kappa per pair, by hand from the units above (p_o observed, p_e by chance):
    # a-b, 13 tokens: they differ on Biden (Actor/O) and strike (O/Event): p_o = 11/13.
    #   a: Actor 2, O 11; b: Actor 1, Event 1, O 11. p_e = (2*1 + 11*11) / 13^2 = 123/169.
    #   kappa = (143/169 - 123/169) / (46/169) = 20/46 = 10/23.
    # a-c, first text only, 8 tokens: they differ on Iraq, Kataib, Hezbollah: p_o = 5/8.
    #   a: Actor 1, O 7; c: Actor 2, O 6. p_e = (1*2 + 7*6) / 64 = 44/64.
    #   kappa = (40/64 - 44/64) / (20/64) = -1/5. b-c: b is a on that text, so -1/5 too.
    assert [pair.overall.kappa for pair in report.pairs] == [
        pytest.approx(10 / 23),
        pytest.approx(-1 / 5),
        pytest.approx(-1 / 5),
    ]
    # Light's kappa, the mean: (10/23 - 2/5) / 3 = (50/115 - 46/115) / 3 = 4/345
    assert report.overall.kappa == pytest.approx(4 / 345)


def _alpha_by_pairs(units):
    """Nominal alpha from its definition: coincidences of every ordered pair of values."""
    from collections import Counter
    from itertools import permutations

    coincidences: Counter = Counter()
    for unit in units:
        values = [v for v in unit if v is not None]
        if len(values) < 2:
            continue
        for c, k in permutations(values, 2):
            coincidences[c, k] += 1 / (len(values) - 1)
    totals: Counter = Counter()
    for (c, _), weight in coincidences.items():
        totals[c] += weight
    n = sum(totals.values())
    disagree = sum(w for (c, k), w in coincidences.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    return 1 - (n - 1) * disagree / expected


def test_unknown_annotators_are_refused(memory_store):
    add_document(memory_store, TEXT, {"a": [("Actor", "Joe Biden")], "b": []})
    with pytest.raises(ReviewError, match="no annotator called 'zed'"):
        measure_agreement(memory_store, ["a", "zed"])


def test_gold_can_be_measured_against_an_annotator(memory_store):
    add_document(
        memory_store,
        TEXT,
        {"gold": [("Actor", "Joe Biden")], "a": [("Actor", "Joe Biden"), ("Event", "struck")]},
    )
    report = measure_agreement(memory_store, ["gold", "a"])
    assert report.overall.exact == SpanScores(1, 2, 1, 1)


# --- attributes and relations over matched spans ----------------------------------------------


def tag(store, document_id: int, annotator: str, label: str, words: str, **attributes):
    """Add an accepted span of ``annotator`` on ``words`` of TEXT, with attributes."""
    start, end = at(TEXT, words)
    return store.add_span(
        document_id,
        store.label_by_name(label).id,
        store.ensure_annotator(annotator).id,
        start,
        end,
        attributes=attributes,
    )


def link(store, head, tail, kind: str, annotator: str) -> None:
    store.add_relation(head.uuid, tail.uuid, kind, store.ensure_annotator(annotator).id)


CLAIMS = (
    "Joe Biden said",
    "the US military struck",
    "struck Kataib Hezbollah",
    "in Iraq on Wednesday",
    "said that the US",
)


@pytest.fixture
def records(memory_store):
    return memory_store, add_records(memory_store)


def add_records(store) -> dict[str, dict]:
    """Two analysts, a and b, who tagged the same spans of TEXT, with attributes and relations.

    Claim.stance (a, b): supports/supports, opposes/opposes, supports/opposes, neutral/unset,
    unset/unset. Claim.certainty: asserted/asserted, hedged/hedged (perfect agreement).
    a links the event to its agent and its target; b forgets the target. Returns each one's
    claims, event and Kataib Hezbollah actor.
    """
    document_id = add_document(store, TEXT, {})
    stances = [("supports", "supports"), ("opposes", "opposes"), ("supports", "opposes")]
    stances += [("neutral", None), (None, None)]
    certainties = [("asserted", "asserted"), ("hedged", "hedged"), (None, None)] + [
        (None, None)
    ] * 2
    spans = {}
    for name, side in (("a", 0), ("b", 1)):
        claims = []
        for words, stance, certainty in zip(CLAIMS, stances, certainties, strict=True):
            values = {"stance": stance[side], "certainty": certainty[side]}
            claims.append(
                tag(
                    store,
                    document_id,
                    name,
                    "Claim",
                    words,
                    **{k: v for k, v in values.items() if v},
                )
            )
        biden = tag(store, document_id, name, "Actor", "Joe Biden", type="person")
        military = tag(store, document_id, name, "Actor", "US military", type="state")
        kataib = tag(store, document_id, name, "Actor", "Kataib Hezbollah")
        event = tag(
            store,
            document_id,
            name,
            "Event",
            "struck",
            type="ASSAULT",
            date="2024-02-07" if name == "a" else "2024-02-08",
            location=" Iraq" if name == "a" else "Iraq",
        )
        link(store, claims[0], biden, "source", name)
        link(store, claims[1], event, "about", name)
        link(store, event, military, "agent", name)
        if name == "a":
            link(store, event, kataib, "target", name)
        spans[name] = {"claims": claims, "event": event, "kataib": kataib}
    # a's own extra claim, with a stance: it has no partner, so it is not a unit
    tag(store, document_id, "a", "Claim", "Iraq on Wednesday", stance="opposes")
    # b tags the same words as an actor where a saw a claim: different label, no match
    tag(store, document_id, "b", "Actor", "Iraq on Wednesday", type="state")
    return spans


def test_attributes_over_matched_spans_by_hand(records):
    store, _spans = records
    pair = measure_agreement(store, ["a", "b"]).pairs[0]
    assert pair.matched_spans == pair.overall.exact.matched_reference == 9
    stance = pair.attributes["Claim.stance"]
    # 4 units (the pair unset on both sides is left out), 2 agreed. Coincidences: s-s 2,
    # o-o 2, s-o 1 + o-s 1, neutral-(none) 1 + (none)-neutral 1; n_s = n_o = 3,
    # n_neutral = n_(none) = 1, n = 8. alpha = 1 - (n - 1) * 4 / (8^2 - (9 + 9 + 1 + 1))
    # = 1 - 7 * 4 / 44 = 4 / 11.
    assert (stance.units, stance.agreed) == (4, 2)
    assert stance.alpha == pytest.approx(4 / 11)
    certainty = pair.attributes["Claim.certainty"]
    assert (certainty.units, certainty.agreed, certainty.alpha) == (2, 2, 1.0)
    # Actor.type: person/person, state/state, unset/unset (left out): perfect, 2 units
    assert pair.attributes["Actor.type"] == AttributeAgreement("Actor", "type", 2, 2, 1.0)
    # the event: one pair. Same type, same place once trimmed: one category, alpha undefined.
    # Different dates: two values over two coders, alpha = 1 - 1 * 2 / (4 - 2) = 0.
    assert pair.attributes["Event.type"] == AttributeAgreement("Event", "type", 1, 1, None)
    assert pair.attributes["Event.location"].alpha is None
    assert pair.attributes["Event.date"] == AttributeAgreement("Event", "date", 1, 0, 0.0)
    # schema order within a label; attributes nobody set on a matched span are not listed
    assert list(pair.attributes) == [
        "Claim.stance",
        "Claim.certainty",
        "Actor.type",
        "Event.type",
        "Event.date",
        "Event.location",
    ]


def test_relations_with_one_missing(records):
    store, _spans = records
    report = measure_agreement(store, ["a", "b"])
    pair = report.pairs[0]
    # a: source, about, agent, target; b: the same but target. All heads and tails matched.
    assert pair.relations_overall == SpanScores(4, 3, 3, 3)
    overall = pair.relations_overall
    assert (overall.precision, overall.recall) == (1.0, 0.75)
    assert overall.f1 == pytest.approx(6 / 7)
    assert list(pair.relations) == ["about", "agent", "source", "target"]
    assert pair.relations["source"] == SpanScores(1, 1, 1, 1)
    target = pair.relations["target"]
    assert (target.precision, target.recall, target.f1) == (None, 0.0, 0.0)
    # the other way round, precision and recall swap and F1 stays
    swapped = measure_agreement(store, ["b", "a"]).pairs[0].relations_overall
    assert (swapped.precision, swapped.recall) == (0.75, 1.0)
    assert swapped.f1 == pytest.approx(overall.f1)
    # in the JSON, per pair, next to the keys that were there before
    shown = report.to_json()["pairs"][0]
    assert shown["matched_spans"] == 9
    assert shown["attributes"]["Claim.stance"] == {
        "label": "Claim",
        "attribute": "stance",
        "units": 4,
        "agreed": 2,
        "alpha": pytest.approx(4 / 11),
    }
    assert shown["attributes"]["Event.type"]["alpha"] is None
    assert shown["relations"]["overall"]["f1"] == pytest.approx(6 / 7)
    assert shown["relations"]["per_type"]["target"] == {
        "precision": None,
        "recall": 0.0,
        "f1": 0.0,
        "reference": 1,
        "other": 0,
        "matched_reference": 0,
        "matched_other": 0,
    }


def test_a_relation_to_an_unmatched_span_is_not_shared(records):
    store, spans = records
    document_id = spans["a"]["event"].document_id
    # b's target is a span a does not have (a longer one): same type, tail not matched
    longer = tag(store, document_id, "b", "Actor", "Kataib Hezbollah in Iraq")
    link(store, spans["b"]["event"], longer, "target", "b")
    pair = measure_agreement(store, ["a", "b"]).pairs[0]
    assert pair.relations["target"] == SpanScores(1, 1, 0, 0)
    assert pair.relations_overall == SpanScores(4, 4, 3, 3)


def test_matched_spans_pair_identical_spans_one_to_one(records):
    store, spans = records
    document_id = spans["a"]["event"].document_id
    again = tag(store, document_id, "a", "Actor", "Joe Biden", type="state")
    a_spans = store.spans_where(annotator_ids=[store.ensure_annotator("a").id])
    b_spans = store.spans_where(annotator_ids=[store.ensure_annotator("b").id])
    matched = matched_spans(a_spans, b_spans)
    assert len(matched) == 9  # the second "Joe Biden" of a has no partner left
    assert again.uuid not in {first.uuid for first, _second in matched}
    assert all((f.label, f.start, f.end) == (s.label, s.start, s.end) for f, s in matched)


def test_attribute_values_and_undefined_alpha():
    assert attribute_value({"location": "  "}, "location") is None
    assert attribute_value({"location": " Iraq "}, "location") == "Iraq"
    assert attribute_value({}, "stance") is None
    assert attribute_value({"fatalities": 0}, "fatalities") == 0  # zero is a value
    assert attribute_value({"confirmed": False}, "confirmed") is False
    nobody = attribute_agreement("Claim", "stance", [(None, None)] * 3)
    assert (nobody.units, nobody.alpha) == (0, None)
    # one set, the other not, throughout: two categories, every pair disagrees
    assert attribute_agreement("Claim", "stance", [("supports", None)] * 3).alpha == pytest.approx(
        1 - 5 * 6 / (36 - 18)
    )


def test_relation_scores_by_type():
    reference = [("source", "c1", "x1"), ("about", "c1", "e1")]
    other = [("source", "C1", "X1"), ("about", "C1", "X1")]  # about points at the wrong span
    scores = relation_scores(reference, other, {"C1": "c1", "X1": "x1"})
    assert scores == {"about": SpanScores(1, 1, 0, 0), "source": SpanScores(1, 1, 1, 1)}
    assert relation_scores([], [], {}) == {}


ATTRIBUTE_CASES = [
    [("supports", "supports"), ("opposes", "opposes"), ("supports", "opposes"), ("neutral", None)],
    [("a", "a"), ("a", "b"), ("b", "b"), (None, "c"), ("c", "c"), ("a", "a"), ("b", "a")],
    [("x", None), (None, "y"), ("x", "x"), ("y", "y"), ("x", "x"), (None, None), ("y", "x")],
    [("p", "p")] * 5 + [("q", "q")],
]


@pytest.mark.parametrize("values", ATTRIBUTE_CASES)
def test_attribute_alpha_matches_the_krippendorff_package(values):
    krippendorff = pytest.importorskip("krippendorff")
    ours = attribute_agreement("Claim", "stance", values)
    kept = [pair for pair in values if pair != (None, None)]
    codes = {"(none)": 0}
    for pair in kept:
        for value in pair:
            codes.setdefault("(none)" if value is None else value, len(codes))
    data = [
        [codes["(none)" if pair[side] is None else pair[side]] for pair in kept] for side in (0, 1)
    ]
    theirs = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ours.units == len(kept)
    assert ours.alpha == pytest.approx(theirs)


def test_the_analysts_files_have_no_attributes_or_relations(memory_store, corpus):
    """The real annotations carry spans only: 21 spans match exactly, nothing else to compare."""
    import_paths(memory_store, [corpus])
    report = measure_agreement(memory_store, ["analyst_a", "analyst_b"])
    pair = report.pairs[0]
    assert pair.matched_spans == 21
    assert pair.attributes == {} and pair.relations == {}
    assert pair.relations_overall == SpanScores(0, 0, 0, 0)
    shown = report.to_json()["pairs"][0]
    assert shown["attributes"] == {}
    assert shown["relations"]["overall"]["f1"] is None
