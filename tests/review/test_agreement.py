"""Agreement measures against published worked examples, and on hand-made projects."""

from __future__ import annotations

import pytest

from desktop.nlp.tokens import TokenIndex
from desktop.review.agreement import (
    SpanScores,
    cohen_kappa,
    covered_labels,
    exact_scores,
    krippendorff_alpha,
    measure_agreement,
    overlap_scores,
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
    kappas = [pair.overall.kappa for pair in report.pairs]
    assert report.overall.kappa == pytest.approx(sum(kappas) / 3)


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
