"""Agreement on two small projects whose every figure is worked out by hand below: a token
that ends exactly where a span starts, and a document only one of the compared annotators
saw. (Kappa: p_o observed agreement, p_e chance agreement, kappa = (p_o - p_e) / (1 - p_e).
Nominal alpha for two coders: n values in all, D_o = 2 per unit where they differ,
D_e = n^2 - sum of squared category totals, alpha = 1 - (n - 1) * D_o / D_e.)"""

from __future__ import annotations

import pytest

from desktop.nlp.tokens import TokenIndex
from desktop.review.agreement import SpanScores, covered_labels, measure_agreement
from tests.review.conftest import add_document

HYPHEN = "Iran-backed militia struck."
# Iran 0-4, "-" 4-5, backed 5-11, militia 12-19, struck 20-26, "." 26-27: the hyphen ends
# at 5, exactly where a's span "backed militia" (5-19) starts. It shares no character
# with the span, so it is not covered.


def test_the_tokens_of_the_hyphen_text():
    tokens = TokenIndex.of(HYPHEN)
    assert list(zip(tokens.starts, tokens.ends, strict=True)) == [
        (0, 4),
        (4, 5),
        (5, 11),
        (12, 19),
        (20, 26),
        (26, 27),
    ]


def test_a_token_ending_where_a_span_starts_is_not_covered():
    tokens = TokenIndex.of(HYPHEN)
    # and a token starting where a span ends ("-" after "Iran" 0-4) is not covered either
    covered = covered_labels(tokens, [("Actor", 5, 19), ("Place", 0, 4)])
    assert covered == [
        frozenset({"Place"}),
        frozenset(),
        frozenset({"Actor"}),
        frozenset({"Actor"}),
        frozenset(),
        frozenset(),
    ]


def test_agreement_with_a_token_ending_exactly_at_a_span_start(memory_store):
    document = add_document(
        memory_store,
        HYPHEN,
        {"a": [("Actor", "backed militia")], "b": [("Actor", "militia"), ("Event", "struck")]},
    )
    report = measure_agreement(memory_store, ["a", "b"])
    assert report.document_ids == (document,) and report.tokens == 6
    [pair] = report.pairs
    # token values:   Iran  -   backed  militia  struck  .
    #   a             O     O   Actor   Actor    O       O
    #   b             O     O   O       Actor    Event   O
    # Overall: same on 4 of 6, p_o = 2/3. a: O 4, Actor 2; b: O 4, Actor 1, Event 1.
    # p_e = (4*4 + 2*1) / 36 = 1/2. kappa = (2/3 - 1/2) / (1/2) = 1/3.
    # (Were the hyphen given a's Actor: p_o = 1/2, p_e = (3*4 + 3*1) / 36 = 15/36,
    # kappa = 1/7.)
    assert pair.overall.kappa == pytest.approx(1 / 3)
    assert report.overall.kappa == pytest.approx(1 / 3)
    # Actor: a 0 0 1 1 0 0, b 0 0 0 1 0 0. p_o = 5/6; a: 0 4, 1 2; b: 0 5, 1 1.
    # p_e = (4*5 + 2*1) / 36 = 22/36. kappa = (30/36 - 22/36) / (14/36) = 4/7.
    assert report.per_label["Actor"].kappa == pytest.approx(4 / 7)
    # Event: a all 0, b 1 on struck. p_o = 5/6, p_e = (6*5) / 36 = 5/6: kappa 0.
    assert report.per_label["Event"].kappa == pytest.approx(0.0)
    # Alpha, overall: n = 12; units differ on backed and struck: D_o = 4. Totals O 8,
    # Actor 3, Event 1: D_e = 144 - (64 + 9 + 1) = 70. alpha = 1 - 11 * 4 / 70 = 13/35.
    assert report.overall.alpha == pytest.approx(13 / 35)
    # Actor alpha: differ on backed: D_o = 2. Totals 0: 9, 1: 3. D_e = 144 - 81 - 9 = 54.
    # alpha = 1 - 11 * 2 / 54 = 16/27.
    assert report.per_label["Actor"].alpha == pytest.approx(16 / 27)
    # Spans: a (reference) 1, b 2. Exact: none alike. Overlap: a's Actor shares "militia"
    # with b's Actor; b's Event has no Event of a's.
    assert report.overall.exact == SpanScores(1, 2, 0, 0)
    assert report.overall.overlap == SpanScores(1, 2, 1, 1)


def test_a_document_only_one_of_the_compared_annotators_saw_does_not_count(memory_store):
    both = add_document(
        memory_store,
        "Biden ordered a strike.",
        {"a": [("Actor", "Biden")], "b": [("Actor", "Biden"), ("Event", "strike")]},
    )
    # seen by a, and by c who is not compared; b never saw it
    only_a = add_document(
        memory_store,
        "Hamas objected to the raid.",
        {"a": [("Actor", "Hamas"), ("Event", "raid")], "c": [("Actor", "Hamas")]},
    )
    assert only_a != both
    report = measure_agreement(memory_store, ["a", "b"])
    assert report.document_ids == (both,)
    assert report.tokens == 5  # Biden ordered a strike .
    [pair] = report.pairs
    assert pair.document_ids == (both,) and pair.tokens == 5
    # Spans on the shared document only: a 1, b 2, one alike.
    assert report.overall.exact == SpanScores(1, 2, 1, 1)
    assert report.per_label["Actor"].exact == SpanScores(1, 1, 1, 1)
    assert report.per_label["Event"].exact == SpanScores(0, 1, 0, 0)
    # token values:  Biden  ordered  a  strike  .
    #   a            Actor  O        O  O       O
    #   b            Actor  O        O  Event   O
    # p_o = 4/5. a: Actor 1, O 4; b: Actor 1, O 3, Event 1. p_e = (1*1 + 4*3) / 25 = 13/25.
    # kappa = (20/25 - 13/25) / (12/25) = 7/12.
    assert report.overall.kappa == pytest.approx(7 / 12)
    # Actor: a and b alike on every token, both 1 0 0 0 0: p_o = 1, p_e = (4*4 + 1) / 25
    # = 17/25, kappa = 1.
    assert report.per_label["Actor"].kappa == pytest.approx(1.0)
    # alpha: n = 10, differ on strike: D_o = 2. Totals Actor 2, O 7, Event 1:
    # D_e = 100 - (4 + 49 + 1) = 46. alpha = 1 - 9 * 2 / 46 = 14/23.
    assert report.overall.alpha == pytest.approx(14 / 23)
    # With c compared too, the second document counts for a-c, not for a-b or b-c.
    three = measure_agreement(memory_store, ["a", "b", "c"])
    assert three.document_ids == (both, only_a)
    assert [(p.reference, p.other, p.document_ids) for p in three.pairs] == [
        ("a", "b", (both,)),
        ("a", "c", (only_a,)),
        ("b", "c", ()),
    ]
