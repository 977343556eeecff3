"""Date expressions found in text and resolved against the article's publication date.

Expected dates are worked out by hand from a calendar: 8 February 2024 was a Thursday.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.nlp.dates import find_dates, hints, parse_published

THURSDAY = "2024-02-08"


def resolved(text: str, published: str | None = THURSDAY) -> dict[str, str | None]:
    return {mention.text: mention.value for mention in find_dates(text, published)}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("a strike Wednesday night", {"Wednesday night": "2024-02-07"}),
        ("the spokesman said on Thursday", {"Thursday": "2024-02-08"}),  # the day itself
        ("clashes on Friday", {"Friday": "2024-02-02"}),  # the latest Friday before
        ("on Saturday", {"Saturday": "2024-02-03"}),
        ("last Thursday", {"last Thursday": "2024-02-01"}),  # strictly before
        ("next Monday", {"next Monday": "2024-02-12"}),
        ("launched on February 3, hitting", {"February 3": "2024-02-03"}),
        ("in a 7 February US missile attack", {"7 February": "2024-02-07"}),
        ("on 31 January", {"31 January": "2024-01-31"}),
        ("on Feb. 3, 2023", {"Feb. 3, 2023": "2023-02-03"}),
        ("on 7 October 2023", {"7 October 2023": "2023-10-07"}),
        ("early January 2020", {"January 2020": "2020-01"}),
        ("the deaths of three US troops in January", {"January": "2024-01"}),
        ("in December", {"December": "2023-12"}),  # news reports the past
        ("in March", {"March": "2024-03"}),  # unless within a month ahead
        ("on December 15", {"December 15": "2023-12-15"}),
        ("yesterday", {"yesterday": "2024-02-07"}),
        ("last week’s attack", {"last week": "2024-W05"}),
        ("earlier this week", {"earlier this week": "2024-W06"}),
        ("last month", {"last month": "2024-01"}),
        ("since 2018", {"2018": "2018"}),
        ("in mid-February", {"February": "2024-02"}),
    ],
)
def test_expressions_resolve_against_the_publication_date(text, expected):
    assert resolved(text) == expected


def test_words_that_only_look_like_dates_are_not_dates():
    assert resolved("May we add 2019 people? He said may. A Sunday-school.") == {}


def test_without_a_publication_date_only_dates_with_a_year_resolve():
    assert resolved("on Wednesday, on February 3 and in January 2020", None) == {
        "Wednesday": None,
        "February 3": None,
        "January 2020": "2020-01",
    }


def test_the_longest_expression_wins_and_offsets_cover_it():
    text = "It began on February 3, 2024 and again in January."
    mentions = find_dates(text, THURSDAY)
    assert [(text[m.start : m.end], m.value) for m in mentions] == [
        ("February 3, 2024", "2024-02-03"),
        ("January", "2024-01"),
    ]


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2024-02-08", "2024-02-08"),
        ("2024-02-08T10:30:00+00:00", "2024-02-08"),
        ("soon", None),
        (None, None),
    ],
)
def test_publication_dates_are_read_from_iso_text(value, expected):
    parsed = parse_published(value)
    assert (parsed.isoformat() if parsed else None) == expected


@pytest.mark.parametrize(
    "word,has",
    [
        ("Wednesday", True),
        ("Jan.", True),
        ("mid-February", True),
        ("2020", True),
        ("(7", True),
        ("week’s", True),
        ("Sunni", False),  # not "Sun"
        ("Separately", False),  # not "Sep"
        ("weekly", False),
        ("B-52", False),  # a digit inside a word starts no date
    ],
)
def test_a_word_hints_at_a_date_only_where_one_could_start_or_end(word, has):
    assert bool(hints(word)) == has


def _hints_by_pattern(word: str) -> int:
    from desktop.nlp.dates import _hint_patterns

    return sum(bit for bit, pattern in _hint_patterns() if pattern.search(word))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(categories=("L",)), max_size=12),
        st.sampled_from(["Wednesday", "Wed", "Jan", "Sept", "week", "midweek", "weekend"]),
        st.builds(
            lambda head, tail: head + tail,
            st.text(alphabet=st.characters(categories=("L",)), max_size=4),
            st.sampled_from(["day", "week", "month", "year", "night", "Monday", "March"]),
        ),
    )
)
def test_a_word_of_letters_gets_the_hints_its_patterns_give(word):
    """Words of letters take a short cut past the patterns; it must agree with them."""
    assert hints(word) == _hints_by_pattern(word)


def test_every_word_of_the_corpus_gets_the_hints_its_patterns_give(corpus):
    words = {w for path in corpus.glob("*.txt") for w in path.read_text(encoding="utf-8").split()}
    assert any(word.isalpha() and hints(word) for word in words)
    for word in words:
        assert hints(word) == _hints_by_pattern(word), word


def test_searching_only_for_the_kinds_a_window_hints_at_finds_the_same_dates(corpus):
    """Windows carrying the hints of their words are searched only for the kinds those
    allow; what is found must not change."""
    import re

    texts = [path.read_text(encoding="utf-8") for path in sorted(corpus.glob("*.txt"))]
    texts.append(
        "On Wed. 3 February, in mid-January 2020 and since 2018; last week, earlier this "
        "month and Sunday’s strike. Separately, Sunni groups met on 7 Oct. 2023 (Sat.)."
    )
    for text in texts:
        windows = [match.span() for match in re.finditer(r"[^.\n]+[.\n]?", text)]
        hinted = []
        for start, end in windows:
            bits = 0
            for word in text[start:end].split():
                bits |= hints(word)
            hinted.append((start, end, bits))
        for published in (THURSDAY, None):
            assert find_dates(text, published, hinted) == find_dates(text, published, windows)
    assert find_dates("on Wednesday", THURSDAY, []) == []
