"""Tokens and snapping: whole words, grapheme clusters kept whole, long texts in pieces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.nlp import tokens
from desktop.nlp.tokens import TokenIndex, text_pieces

TEXT = "Abu Baqir al-Saadi's  death 👍🏽 said\r\nKataib 👨\u200d👩\u200d👧 café\u0301s"


def words(index: TokenIndex, text: str) -> list[str]:
    return [text[s:e] for s, e in zip(index.starts, index.ends, strict=True)]


def test_tokens_leave_out_white_space_and_keep_clusters_whole():
    index = TokenIndex.of(TEXT)
    assert words(index, TEXT) == [
        "Abu",
        "Baqir",
        "al",
        "-",
        "Saadi",
        "'s",
        "death",
        "👍🏽",
        "said",
        "Kataib",
        "👨\u200d👩\u200d👧",
        "café\u0301s",
    ]


def test_snapping_widens_to_whole_tokens_and_drops_edge_space():
    # TEXT by code point: Abu 0-3, Baqir 4-9, al 10-12, "-" 12-13, Saadi 13-18, 's 18-20,
    # two spaces 20-22, death 22-27, 👍 28 and its skin tone 29 (token 28-30), said 31-35,
    # CRLF 35-37, Kataib 37-43, the family 44-49 (👨 44, ZWJ 45, 👩 46, ZWJ 47, 👧 48),
    # café\u0301s 50-56 (the combining mark at 54); 56 code points.
    index = TokenIndex.of(TEXT)
    assert len(TEXT) == 56
    assert index.snap(1, 6) == (0, 9)  # "bu Ba" -> "Abu Baqir"
    assert index.snap(3, 5) == (4, 9)  # " B": the space at the edge dropped -> "Baqir"
    assert index.snap(19, 25) == (18, 27)  # "s  dea" -> "'s  death"
    assert index.snap(28, 29) == (28, 30)  # the thumb alone -> with its skin tone
    assert index.snap(29, 30) == (28, 30)  # the skin tone alone -> with its thumb
    assert index.snap(30, 40) == (31, 43)  # " said\r\nKat" -> "said\r\nKataib"
    assert index.snap(45, 46) == (44, 49)  # a joiner inside the family -> the whole family
    assert index.snap(54, 55) == (50, 56)  # the combining mark -> the whole word
    assert index.snap(21, 23) == (22, 27)  # half white space, half "death" -> "death"
    assert index.snap(12, 13) == (12, 13)  # the hyphen, a token of its own
    assert index.snap(20, 21) == (20, 21)  # only white space: left as it is
    assert index.snap(0, 56) == (0, 56)
    assert TEXT[0:9] == "Abu Baqir" and TEXT[28:30] == "👍🏽" and TEXT[31:43] == "said\r\nKataib"


def test_only_white_space_is_left_as_it_is():
    index = TokenIndex.of(TEXT)
    gap = TEXT.index("  ")
    assert index.snap(gap, gap + 2) == (gap, gap + 2)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.sampled_from(["word ", "Iraq, ", "\n", "\r\n", "👍🏽 ", "it’s ", "e\u0301 ", "«x» "]),
        min_size=1,
        max_size=400,
    )
)
def test_tokenizing_in_pieces_gives_the_tokens_of_the_whole(parts):
    text = "".join(parts)
    assert "".join(text[start:end] for start, end in text_pieces(text, size=50)) == text
    whole = [(t.idx, t.idx + len(t.text)) for t in tokens.tokenize(text) if not t.is_space]
    index = TokenIndex.of(text)
    merged = [(s, e) for s, e in zip(index.starts, index.ends, strict=True)]
    # Pieces change nothing but the merging of clusters, which only joins neighbours.
    assert {s for s, _ in merged} <= {s for s, _ in whole}
    assert {e for _, e in merged} <= {e for _, e in whole}
    assert bool(merged) == bool(whole)
    if whole:
        assert merged[0][0] == whole[0][0] and merged[-1][1] == whole[-1][1]


def test_a_long_text_is_cut_after_line_breaks():
    text = "A paragraph of news about Baghdad.\n" * 2000
    cuts = text_pieces(text, size=1000)
    assert len(cuts) > 10
    assert all(text[start:end].endswith("\n") for start, end in cuts)
    index = TokenIndex.of(text)
    assert len(index.starts) == 2000 * 7
