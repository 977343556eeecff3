"""Date expressions in news text, resolved against the article's publication date.

Found by regular expressions built from ``resources/lexicons/`` (weekdays, months, relative
dates); no spaCy needed. Resolution rules (``published`` is the document's date):

- ``February 3, 2024`` / ``3 February 2024`` → ``2024-02-03``; ``January 2020`` → ``2020-01``;
  ``in 2018`` (a year after in/since/during/until/by/of/early/late) → ``2018``.
- ``February 3`` / ``7 February`` (no year) → the latest such day no more than 31 days after
  ``published`` (news reports the past: a December 15 read in a February 2024 article is
  2023-12-15, a February 26 read on 8 February 2024 is 2024-02-26).
- ``in January`` (a month after in/since/during/until/by/early/late/mid) → the latest such
  month no more than one month after ``published``'s: ``2024-01`` and ``2023-05`` ("in May")
  in a February 2024 article, ``2024-03`` ("in March").
- ``Wednesday`` (also ``on Wednesday``, ``Wednesday night``) → the latest Wednesday on or
  before ``published`` (news reports the past: "Wednesday" in a Thursday article is the day
  before); ``last Wednesday`` → strictly before; ``next Wednesday`` → strictly after.
- ``yesterday``, ``last week``, ``earlier this month``… → from ``resources/lexicons/
  relative_dates.txt``; weeks are ISO weeks (``2024-W05``).

Without a publication date only expressions that carry their year are resolved; the others
are still found, with ``value`` None.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from operator import attrgetter

from desktop.nlp import lexicons

_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
# The word before a bare month or year that makes it a date ("in January", "since 2018").
_BEFORE_MONTH = re.compile(
    r"(?<![\w-])(?:[Ii]n|[Ss]ince|[Dd]uring|[Uu]ntil|[Bb]y|[Ee]arly|[Ll]ate|[Mm]id-?|[Bb]efore|[Aa]fter)"
    r"\s+(?:(?:early|late|mid-?)\s*)?$"
)
_BEFORE_YEAR = re.compile(
    r"(?<![\w-])(?:[Ii]n|[Ss]ince|[Dd]uring|[Uu]ntil|[Bb]y|[Oo]f|[Ee]arly|[Ll]ate|[Bb]efore|[Aa]fter)\s+$"
)
_BEFORE_WEEKDAY = re.compile(r"(?<![\w-])(?P<which>[Ll]ast|[Nn]ext|[Tt]his)\s+$")
_LOOK_BACK = 24  # characters searched for those words
# News reports the past; a date without a year is taken in the future only when close.
FUTURE_DAYS = 31
FUTURE_MONTHS = 1
_PARTS_OF_DAY = r"(?:\s+(?:night|morning|afternoon|evening))?"


@dataclass(slots=True, unsafe_hash=True)
class DateMention:
    """A date expression at ``text[start:end]`` and its ISO value, if it could be resolved.

    Treat it as immutable (it is not frozen only because frozen dataclasses are several
    times slower to make, and an article can hold dozens)."""

    start: int
    end: int
    text: str
    value: str | None


def _alternatives(names) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each pattern starts with its literal words, never with ``\\b``: a leading ``\\b``
    stops Python's regex engine from skipping ahead by first character, which makes the
    search ten times slower. Left word boundaries are checked in :func:`find_dates`."""
    months = _alternatives(lexicons.numbered("months"))
    weekdays = _alternatives(lexicons.numbered("weekdays"))
    phrases = [entry.text for entry in lexicons.entries("relative_dates")]
    relative = _alternatives({*phrases, *(p[0].upper() + p[1:] for p in phrases)})
    # Names end where a word ends; "Jan." ends with its dot, so no \b after the names.
    end = r"(?![\w-])"
    return [
        (
            "month_day_year",
            re.compile(
                rf"(?P<month>{months}){end}\s+(?P<day>\d{{1,2}}){_ORDINAL}(?:,?\s+(?P<year>{_YEAR}))?\b"
            ),
        ),
        (
            "day_month_year",
            re.compile(
                rf"(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<month>{months}){end}(?:,?\s+(?P<year>{_YEAR})\b)?"
            ),
        ),
        ("month_year", re.compile(rf"(?P<month>{months}){end}\s+(?:of\s+)?(?P<year>{_YEAR})\b")),
        # "in January 2020" is the month_year pattern's; a bare month needs "in" before it.
        ("month", re.compile(rf"(?P<month>{months}){end}(?!,?\s+(?:of\s+)?\d)")),
        ("weekday", re.compile(rf"(?P<weekday>{weekdays}){end}{_PARTS_OF_DAY}")),
        ("relative", re.compile(rf"(?P<relative>{relative})\b")),
        ("year", re.compile(rf"(?P<year>{_YEAR})\b(?![-–]\d)")),
    ]


# What a date expression of each kind holds within one word, as bits (see :func:`hints`): a
# window whose words lack one of its bits cannot hold that kind, and is not searched for it.
DIGIT, YEAR, MONTH, WEEKDAY, RELATIVE = 1, 2, 4, 8, 16
ANY_HINT = DIGIT | YEAR | MONTH | WEEKDAY | RELATIVE
_NEEDS = {
    "month_day_year": MONTH | DIGIT,
    "day_month_year": DIGIT | MONTH,
    "month_year": MONTH | YEAR,
    "month": MONTH,
    "weekday": WEEKDAY,
    "relative": RELATIVE,
    "year": YEAR,
}


@cache
def _relative_endings() -> tuple[str, ...]:
    """The last words of the relative dates ("week" for "last week"; a one-word date also
    capitalised), which end a word that hints at one."""
    endings = set()
    for entry in lexicons.entries("relative_dates"):
        last = entry.text.split()[-1]
        endings |= {last} if " " in entry.text else {last, last[0].upper() + last[1:]}
    return tuple(sorted(endings))


@cache
def _hint_patterns() -> tuple[tuple[int, re.Pattern[str]], ...]:
    """A pattern per hint bit, for what an expression of a kind must hold where
    :func:`find_dates` would accept it (a word start, or after "mid-"): a digit; a year; a
    month name or a weekday name (without its dot, so "Jan" for "Jan.") ending a word; the
    last word of a relative date ("week" for "last week") ending a word."""
    start = r"(?:(?<![\w-])|(?<=[Mm][Ii][Dd]-))"
    months = _alternatives({name.rstrip(".") for name in lexicons.numbered("months")})
    weekdays = _alternatives({name.rstrip(".") for name in lexicons.numbered("weekdays")})
    return (
        (DIGIT, re.compile(rf"{start}\d")),
        (YEAR, re.compile(rf"{start}{_YEAR}\b")),
        (MONTH, re.compile(rf"{start}(?:{months})(?![\w-])")),
        (WEEKDAY, re.compile(rf"{start}(?:{weekdays})(?![\w-])")),
        (RELATIVE, re.compile(rf"(?:{_alternatives(_relative_endings())})\b")),
    )


@cache
def _letter_hints() -> tuple[dict[str, int], tuple[str, ...]]:
    """What :func:`hints` gives a word of letters only: the month and weekday names it can
    equal, and the endings that give RELATIVE."""
    names = {name.rstrip("."): MONTH for name in lexicons.numbered("months")}
    for name in lexicons.numbered("weekdays"):
        names[name.rstrip(".")] = names.get(name.rstrip("."), 0) | WEEKDAY
    return names, _relative_endings()


def hints(text: str) -> int:
    """The hint bits of a word: an expression of a kind (see ``_NEEDS``) can only lie in a
    text whose words hold every bit the kind needs. What gives a bit never spans two words
    of the tokenizer but where a special case cuts a word ("Wed" is "We" + "d"), so the
    rules give those pieces the bits the cut loses."""
    if text.isalpha():
        # The patterns below, read for a word of letters only (most words, and every new
        # name): no digit, so no DIGIT or YEAR; a month or weekday name must be the whole
        # word (letters before it or after it are word characters); a relative date's last
        # word must end it.
        names, endings = _letter_hints()
        bits = names.get(text, 0)
        return bits | RELATIVE if text.endswith(endings) else bits
    bits = 0
    for bit, pattern in _hint_patterns():
        if pattern.search(text):
            bits |= bit
    return bits


def parse_published(published: str | None) -> date | None:
    """The publication date of a document (ISO date or timestamp), or None."""
    if not published:
        return None
    try:
        return date.fromisoformat(published.strip()[:10])
    except ValueError:
        return None


def _nearest_year(month: int, day: int, published: date) -> date | None:
    """The latest such day no more than a month after ``published``."""
    limit = published + timedelta(days=FUTURE_DAYS)
    for year in (published.year + 1, published.year, published.year - 1):
        try:
            option = date(year, month, day)
        except ValueError:  # 29 February in a common year, 31 April
            continue
        if option <= limit:
            return option
    return None


def _nearest_month(month: int, published: date) -> str:
    """The latest such month no more than one month after ``published``'s."""
    here = published.year * 12 + published.month
    year = published.year + 1
    while year * 12 + month > here + FUTURE_MONTHS:
        year -= 1
    return f"{year:04d}-{month:02d}"


def _shift_month(published: date, months: int) -> str:
    index = published.year * 12 + published.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _relative(phrase: str, published: date) -> str:
    entry = _relative_table()[phrase.lower()]
    amount = int(entry.value or 0)
    unit = next(iter(entry.flags), "day")
    if unit == "week":
        return _iso_week(published + timedelta(weeks=amount))
    if unit == "month":
        return _shift_month(published, amount)
    if unit == "year":
        return f"{published.year + amount:04d}"
    return (published + timedelta(days=amount)).isoformat()


@cache
def _relative_table() -> dict[str, lexicons.Entry]:
    return {entry.text.lower(): entry for entry in lexicons.entries("relative_dates")}


def _weekday(name: str, which: str | None, published: date) -> str:
    target = lexicons.numbered("weekdays")[name]
    back = (published.isoweekday() - target) % 7
    which = (which or "").lower()
    if which == "next":
        return (published + timedelta(days=(target - published.isoweekday()) % 7 or 7)).isoformat()
    if which == "last" and back == 0:
        back = 7
    return (published - timedelta(days=back)).isoformat()


# Values by what decides them (the kind, the pattern's groups, the publication date and a
# "last"/"next" before a weekday): a corpus repeats its dates, and working one out costs
# more than finding it.
_resolved: dict[tuple, str | None] = {}
_RESOLVED_LIMIT = 100_000
_UNKNOWN = object()


def _resolve(
    kind: str, match: re.Match[str], published: date | None, which: str | None = None
) -> str | None:
    groups = match.groupdict()
    months = lexicons.numbered("months")
    if kind in ("month_day_year", "day_month_year"):
        month, day = months[groups["month"]], int(groups["day"])
        if groups.get("year"):
            try:
                return date(int(groups["year"]), month, day).isoformat()
            except ValueError:
                return None
        if published is None:
            return None
        found = _nearest_year(month, day, published)
        return found.isoformat() if found else None
    if kind == "month_year":
        return f"{int(groups['year']):04d}-{months[groups['month']]:02d}"
    if kind == "year":
        return groups["year"]
    if published is None:
        return None
    if kind == "month":
        return _nearest_month(months[groups["month"]], published)
    if kind == "weekday":
        return _weekday(groups["weekday"], which, published)
    return _relative(groups["relative"], published)


@cache
def _kinds_for(present: int) -> tuple[tuple[int, str, re.Pattern[str]], ...]:
    """The kinds a window holding the hint bits ``present`` may hold, with their place in
    :func:`_patterns` and their pattern."""
    return tuple(
        (order, kind, pattern)
        for order, (kind, pattern) in enumerate(_patterns())
        if _NEEDS[kind] & present == _NEEDS[kind]
    )


def find_dates(
    text: str,
    published: str | date | None = None,
    windows: Iterable[tuple[int, int] | tuple[int, int, int]] | None = None,
) -> list[DateMention]:
    """Every date expression in ``text``, longest first where two overlap, in text order.

    ``published`` is the document's publication date (ISO text or a date); without it,
    only expressions that carry their year get a ``value``. ``windows`` limits the search
    to expressions starting inside those [start, end) character ranges (the sentences that
    hold an event, say); a window may carry a third item, the :func:`hints` of its words
    (or more bits), and is then searched only for the kinds those allow.
    """
    if windows is not None:
        ranges = [(w[0], w[1], w[2] if len(w) > 2 else ANY_HINT) for w in windows]
        if not ranges:
            return []
    else:
        ranges = [(0, len(text), ANY_HINT)]
    if not isinstance(published, date):
        published = parse_published(published)
    # (-length, start, number found, end, kind, match, which): sorted, longest first
    # (-length, start, the kind's place, the order found, end, kind, match, "last"/"next"):
    # sorted, the longest first, then the earliest, then as the kinds are listed.
    found: list[tuple[int, int, int, int, int, str, re.Match[str], str | None]] = []
    for window_start, window_end, present in ranges:
        for order, kind, pattern in _kinds_for(present):
            for match in pattern.finditer(text, window_start, window_end):
                start = match.start()
                if start and (text[start - 1].isalnum() or text[start - 1] in "_-"):
                    if not text[max(0, start - 4) : start].lower() == "mid-":
                        continue  # inside a word (but "mid-February" is a date)
                which = None
                if kind in ("month", "year", "weekday"):
                    before = text[max(0, start - _LOOK_BACK) : start]
                    if kind == "weekday":
                        prefix = _BEFORE_WEEKDAY.search(before)
                        if prefix:
                            which = prefix.group("which")
                            start -= len(before) - prefix.start()
                    elif not (_BEFORE_MONTH if kind == "month" else _BEFORE_YEAR).search(before):
                        continue
                end = match.end()
                found.append((start - end, start, order, len(found), end, kind, match, which))
    found.sort()
    taken_starts: list[int] = []  # of the expressions taken, which never overlap
    taken_ends: list[int] = []
    mentions = []
    for _, start, _, _, end, kind, match, which in found:
        at = bisect.bisect_right(taken_starts, start)
        if (at and taken_ends[at - 1] > start) or (
            at < len(taken_starts) and taken_starts[at] < end
        ):
            continue  # overlaps a longer (or as long and earlier) expression
        taken_starts.insert(at, start)
        taken_ends.insert(at, end)
        key = (kind, match.groups(), published, which)
        value = _resolved.get(key, _UNKNOWN)
        if value is _UNKNOWN:
            if len(_resolved) > _RESOLVED_LIMIT:
                _resolved.clear()
            value = _resolved[key] = _resolve(kind, match, published, which)
        mentions.append(DateMention(start, end, text[start:end], value))
    mentions.sort(key=_START)
    return mentions


_START = attrgetter("start")
