"""Spans on spaCy tokens, for the formats that count tokens (Prodigy, spaCy, CoNLL).

Which tokens a span covers, and, where spans overlap, which of them a format that cannot
hold overlap keeps (``--overlap``). spaCy is never imported here: a Doc is only read.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

OVERLAP_RULES: dict[str, str] = {
    "longest": "the span covering more characters wins, then the one starting first, "
    "then the label earlier in the label order",
    "first": "the span starting first wins, then the longer one, then the label earlier in "
    "the label order",
    "label-order": "the label earlier in the label order wins (the project's order unless "
    "one is given), then the longer span, then the one starting first",
}


@dataclass(slots=True)
class Tokens:
    """Where each token of a text starts and ends (trailing whitespace not included), and
    which tokens are whitespace (spaCy makes one of ``"\\r\\n"`` or a run of spaces)."""

    starts: list[int]
    ends: list[int]
    space: list[int]  # 1 for a whitespace token

    @classmethod
    def of(cls, doc: Any) -> Tokens:
        """The token table of a spaCy Doc, read in one call rather than token by token."""
        if not len(doc):
            return cls([], [], [])
        starts, trailing, space = doc.to_array(["IDX", "SPACY", "IS_SPACE"]).T.tolist()
        # Tokens and their trailing spaces tile the text, so a token ends where the next
        # one starts, less its trailing space.
        last = doc[-1]
        nexts = starts[1:]
        nexts.append(last.idx + len(last.text_with_ws))
        ends = [following - gap for following, gap in zip(nexts, trailing, strict=True)]
        return cls(starts, ends, space)

    def __len__(self) -> int:
        return len(self.starts)

    def cover(self, start: int, end: int) -> tuple[int, int] | None:
        """The tokens ``[first, last)`` that the characters ``[start, end)`` touch, without
        whitespace tokens at either edge; None when only whitespace is touched."""
        first = bisect.bisect_right(self.ends, start)
        last = bisect.bisect_left(self.starts, end)
        space = self.space
        while first < last and space[first]:
            first += 1
        while last > first and space[last - 1]:
            last -= 1
        if first >= last:
            return None
        return first, last

    def is_exact(self, first: int, last: int, start: int, end: int) -> bool:
        """Whether tokens ``[first, last)`` span exactly the characters ``[start, end)``."""
        return self.starts[first] == start and self.ends[last - 1] == end


def check_overlap_rule(rule: str) -> str:
    """``rule`` if it is one of :data:`OVERLAP_RULES`, else ValueError naming them."""
    if rule not in OVERLAP_RULES:
        raise ValueError(f"unknown overlap rule {rule!r}; choose {', '.join(OVERLAP_RULES)}")
    return rule


def without_overlap(
    candidates: list[tuple[int, int, int, int, str, Any]],
    rule: str,
    label_ranks: dict[str, int],
) -> list[tuple[int, int, int, int, str, Any]]:
    """The candidates a non-overlapping layer keeps, in text order.

    A candidate is ``(first token, last token (exclusive), start, end, label, payload)``;
    two candidates overlap when they share a token. Candidates are taken greedily in the
    order of ``rule`` (see :data:`OVERLAP_RULES`), each kept unless it overlaps one already
    kept.
    """
    unknown = len(label_ranks)

    def rank(label: str) -> tuple[int, str]:
        return label_ranks.get(label.lower(), unknown), label

    if rule == "longest":
        order = sorted(candidates, key=lambda c: (c[2] - c[3], c[2], rank(c[4])))
    elif rule == "first":
        order = sorted(candidates, key=lambda c: (c[2], c[2] - c[3], rank(c[4])))
    elif rule == "label-order":
        order = sorted(candidates, key=lambda c: (rank(c[4]), c[2] - c[3], c[2]))
    else:
        raise ValueError(f"unknown overlap rule {rule!r}; choose {', '.join(OVERLAP_RULES)}")
    # Kept token ranges, disjoint and sorted, so each test is one binary search.
    kept_firsts: list[int] = []
    kept_lasts: list[int] = []
    kept = []
    for candidate in order:
        first, last = candidate[0], candidate[1]
        index = bisect.bisect_right(kept_firsts, first)
        if index and kept_lasts[index - 1] > first:
            continue
        if index < len(kept_firsts) and kept_firsts[index] < last:
            continue
        kept_firsts.insert(index, first)
        kept_lasts.insert(index, last)
        kept.append(candidate)
    kept.sort(key=lambda c: c[0])
    return kept
