"""Spans on spaCy tokens: the token table, which tokens a span covers, and which spans a
layer without overlap keeps under each rule, all worked out by hand."""

from __future__ import annotations

import pytest
import spacy

from desktop.formats.alignment import (
    OVERLAP_RULES,
    Tokens,
    check_overlap_rule,
    without_overlap,
)

# spaCy's blank English pipeline makes five tokens of this text:
#   "a" 0-1 (then a space), " " 2-3 (a whitespace token: the second of two spaces),
#   "b" 3-4, "\r\n" 4-6 (whitespace), "c" 6-7 (then a space, which no token holds)
TEXT = "a  b\r\nc "


@pytest.fixture(scope="module")
def tokens() -> Tokens:
    return Tokens.of(spacy.blank("en")(TEXT))


def test_the_token_table_of_a_text_with_runs_of_space_and_crlf(tokens):
    assert (tokens.starts, tokens.ends, tokens.space) == (
        [0, 2, 3, 4, 6],
        [1, 3, 4, 6, 7],
        [0, 1, 0, 1, 0],
    )
    assert len(tokens) == 5


def test_an_empty_text_has_no_tokens_and_covers_nothing():
    empty = Tokens.of(spacy.blank("en")(""))
    assert (empty.starts, empty.ends, empty.space, len(empty)) == ([], [], [], 0)
    assert empty.cover(0, 0) is None


@pytest.mark.parametrize(
    ("start", "end", "covered"),
    [
        (0, 1, (0, 1)),  # "a"
        (0, 7, (0, 5)),  # everything
        (0, 8, (0, 5)),  # and the trailing space
        (2, 6, (2, 3)),  # " b\r\n": whitespace at both edges left out
        (3, 7, (2, 5)),  # "b\r\nc"
        (3, 4, (2, 3)),  # "b"
        (1, 4, (2, 3)),  # from the space after "a" (no token) to the end of "b"
        (0, 3, (0, 1)),  # "a" and the two spaces
        (1, 2, None),  # the space after "a": no token at all
        (1, 3, None),  # the two spaces
        (2, 3, None),  # the whitespace token alone
        (4, 6, None),  # the line break alone
        (7, 8, None),  # the space after the last token
    ],
)
def test_a_span_covers_the_tokens_it_touches_without_edge_whitespace(tokens, start, end, covered):
    assert tokens.cover(start, end) == covered


def test_a_span_is_exact_when_its_tokens_begin_and_end_where_it_does(tokens):
    assert tokens.is_exact(2, 3, 3, 4)  # "b"
    assert tokens.is_exact(0, 5, 0, 7)
    assert not tokens.is_exact(2, 3, 2, 4)  # begins on the space before "b"
    assert not tokens.is_exact(0, 5, 0, 8)  # ends after the trailing space


def test_an_unknown_rule_is_refused_naming_the_rules():
    assert check_overlap_rule("first") == "first"
    message = "unknown overlap rule 'widest'; choose longest, first, label-order"
    with pytest.raises(ValueError) as raised:
        check_overlap_rule("widest")
    assert str(raised.value) == message
    with pytest.raises(ValueError) as raised:
        without_overlap([], "widest", {})
    assert str(raised.value) == message
    assert list(OVERLAP_RULES) == ["longest", "first", "label-order"]


# (first token, last token exclusive, start, end, label, payload)
A = (0, 2, 0, 10, "Actor", "A")  # 10 characters
B = (1, 3, 5, 20, "Event", "B")  # 15 characters, shares token 1 with A
C = (3, 4, 20, 25, "Claim", "C")  # 5 characters, touches B without sharing a token
D = (0, 1, 0, 4, "Claim", "D")  # 4 characters, inside A
RANKS = {"claim": 0, "actor": 1}  # Event has no rank: after both


@pytest.mark.parametrize(
    ("rule", "kept"),
    [
        # B (15) kept; A (10) shares token 1 with B; C (5) kept; D (4) beside B kept.
        ("longest", ["D", "B", "C"]),
        # A (starts 0, longer than D) kept; D inside A; B shares token 1 with A; C kept.
        ("first", ["A", "C"]),
        # Claims first, the longer first: C, then D; then Actor A shares token 0 with D;
        # then Event B, clear of D and C.
        ("label-order", ["D", "B", "C"]),
    ],
)
def test_each_rule_keeps_what_it_says_in_text_order(rule, kept):
    chosen = without_overlap([A, B, C, D], rule, RANKS)
    assert [candidate[5] for candidate in chosen] == kept


def test_a_rank_beats_length_only_under_label_order():
    event = (0, 3, 0, 15, "Event", "event")  # long, no rank
    claim = (1, 2, 5, 9, "Claim", "claim")  # short, ranked first
    assert [c[5] for c in without_overlap([claim, event], "longest", RANKS)] == ["event"]
    assert [c[5] for c in without_overlap([claim, event], "first", RANKS)] == ["event"]
    assert [c[5] for c in without_overlap([event, claim], "label-order", RANKS)] == ["claim"]


def test_ties_are_broken_as_the_rules_say():
    # Equal lengths: the earlier start wins under "longest".
    early, late = (0, 2, 0, 6, "Actor", "early"), (1, 3, 3, 9, "Actor", "late")
    assert [c[5] for c in without_overlap([late, early], "longest", RANKS)] == ["early"]
    # Same start: the longer wins under "first".
    short, long = (0, 1, 0, 4, "Actor", "short"), (0, 2, 0, 9, "Actor", "long")
    assert [c[5] for c in without_overlap([short, long], "first", RANKS)] == ["long"]
    # Same place and length: the better-ranked label wins under either rule; with no rank
    # the labels' names decide ("Event" before "Place").
    actor, claim = (0, 1, 0, 4, "Actor", "actor"), (0, 1, 0, 4, "Claim", "claim")
    for rule in ("longest", "first"):
        assert [c[5] for c in without_overlap([actor, claim], rule, RANKS)] == ["claim"]
    place, event = (0, 1, 0, 4, "Place", "place"), (0, 1, 0, 4, "Event", "event")
    assert [c[5] for c in without_overlap([place, event], "longest", RANKS)] == ["event"]
    # Same label under label-order: the longer, then the earlier.
    first, second = (0, 2, 0, 8, "Claim", "first"), (1, 3, 4, 12, "Claim", "second")
    wide = (2, 4, 9, 19, "Claim", "wide")
    assert [c[5] for c in without_overlap([first, second, wide], "label-order", RANKS)] == [
        "first",
        "wide",
    ]
    assert [c[5] for c in without_overlap([second, first], "label-order", RANKS)] == ["first"]
    # ... the longer even when it starts later.
    short, long = (0, 2, 0, 4, "Claim", "short"), (1, 3, 2, 20, "Claim", "long")
    assert [c[5] for c in without_overlap([short, long], "label-order", RANKS)] == ["long"]


def test_label_ranks_ignore_case():
    upper = (0, 1, 0, 4, "CLAIM", "upper")
    actor = (0, 1, 0, 4, "Actor", "actor")
    assert [c[5] for c in without_overlap([actor, upper], "label-order", RANKS)] == ["upper"]
