"""Agreement between annotators: span precision, recall and F1, Cohen's kappa, Krippendorff's alpha,
and, over the spans two annotators matched, agreement on attributes and on relations.

Rules (the README's "Review and agreement" section says the same for users):

- **Which documents.** An annotator has annotated a document when they have an accepted span
  on it or have marked it in progress or done. A pair is compared on the documents both
  annotated; alpha uses every document that at least two of the annotators annotated, and
  an annotator who did not annotate a document gives missing values there, not "no span".
- **Spans** (accepted only). For a pair, the first annotator named is the reference.
  *Exact*: a span matches a span of the other annotator with the same label and offsets
  (one to one). *Overlap*: a span matches when the other annotator has a span of the same
  label sharing at least one character with it. Precision = matched spans of the other /
  spans of the other; recall = matched spans of the reference / spans of the reference;
  F1 their harmonic mean. "Overall" pools every label (labels must still match).
  With more than two annotators, counts are pooled over every pair (micro average).
- **Tokens** are the word tokens of ``desktop.nlp.tokens.TokenIndex`` (no whitespace). A
  span covers a token when they share a character. *Per label*, a token's value is 1 if a
  span of that label covers it, else 0. *Overall*, its value is the set of labels covering
  it ("O" for none), so a token inside an actor inside a claim is "Claim+Actor" (labels
  in the palette's order) and nested spans are neither lost nor arbitrarily ranked.
- **Cohen's kappa** is computed per pair on those token values; with more than two
  annotators the figure shown is the mean over pairs (Light's kappa).
- **Krippendorff's alpha** (nominal) takes every annotator at once, tokens as units, with
  missing values as above.
- **Matched spans** (per pair, for attributes and relations) are the pairs of the *exact*
  matching above: same document, label and offsets, one to one (duplicates paired in the
  order they were made).
- **Attributes.** Per label and attribute name ("Claim.stance"), nominal Krippendorff's alpha
  over the matched pairs where at least one of the two set the attribute; a side that left
  it unset gives the category "(none)", so set against unset is a disagreement, and pairs
  where neither set it are left out. A value is unset when absent, null or blank text; text
  is compared with surrounding white space trimmed, otherwise values compare as stored.
  Only attributes with at least one such pair are reported, with their count ``units``.
- **Relations** of an annotator are theirs (by the relation's annotator) between two of their
  accepted spans on the pair's documents. One of the other annotator's relations is shared
  when the reference has one of the same type whose head is matched to its head and whose
  tail is matched to its tail. Precision = shared / the other's relations, recall = shared /
  the reference's, F1 their harmonic mean (the same whichever annotator is the reference),
  per relation type and overall.
- A figure that is undefined (no spans to compare, a single category throughout) is None.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from db.records import RelationRecord, SpanRecord
from db.store import Store
from db.store.review import COMPARED_CHUNK
from desktop.nlp.tokens import TokenIndex, token_bounds
from desktop.progress import Progress, no_progress
from desktop.review.compare import ReviewError, resolve_annotators

OUTSIDE = "O"  # the overall token value of a token no span covers

# --- the measures, on plain values ----------------------------------------------------------


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two annotators' values on the same units (nominal categories).

    Returns None when it is undefined: no units, or both give one and the same category
    throughout (chance agreement of 1).
    """
    if len(first) != len(second):
        raise ValueError(f"kappa needs values for the same units: {len(first)} != {len(second)}")
    agreed = sum(1 for a, b in zip(first, second, strict=True) if a == b)
    return kappa_of_counts(len(first), agreed, Counter(first), Counter(second))


def kappa_of_counts(
    total: int, agreed: int, first: Mapping[Hashable, int], second: Mapping[Hashable, int]
) -> float | None:
    """Cohen's kappa from its counts: ``total`` units, ``agreed`` of them alike, and how many
    units each annotator put in each category. None when undefined (see :func:`cohen_kappa`)."""
    if total == 0:
        return None
    observed = agreed / total
    chance = sum(int(count) * int(second.get(c, 0)) for c, count in first.items())
    expected = chance / (total * total)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(units: Iterable[Sequence[Hashable | None]]) -> float | None:
    """Krippendorff's alpha for nominal data; each unit holds one value per annotator, None
    where that annotator gave none (missing).

    Units with fewer than two values cannot be paired and are left out. Returns None when
    alpha is undefined (no pairable values, or a single value throughout).
    """
    # With the nominal metric only the off-diagonal coincidences count, and per unit they
    # sum to m_u^2 - sum_c n_uc^2, weighted 1 / (m_u - 1) (Krippendorff 2011, section C).
    observed = 0.0
    totals: Counter[Hashable] = Counter()
    for unit in units:
        counts = Counter(value for value in unit if value is not None)
        pairable = sum(counts.values())
        if pairable < 2:
            continue
        squares = sum(count * count for count in counts.values())
        observed += (pairable * pairable - squares) / (pairable - 1)
        totals.update(counts)
    return alpha_of_sums(observed, totals.values())


def alpha_of_sums(observed: float, totals: Iterable[int]) -> float | None:
    """Nominal alpha from its sums: ``observed``, the sum over pairable units of
    (m_u^2 - sum_c n_uc^2) / (m_u - 1), and ``totals``, how many pairable values fell in each
    category. None when undefined (see :func:`krippendorff_alpha`)."""
    counts = [int(count) for count in totals]
    n = sum(counts)
    expected = n * n - sum(count * count for count in counts)
    if n < 2 or expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


@dataclass(frozen=True, slots=True)
class SpanScores:
    """Span precision, recall and F1 of ``other`` against ``reference``, with their counts."""

    reference: int
    other: int
    matched_reference: int
    matched_other: int

    @property
    def precision(self) -> float | None:
        return self.matched_other / self.other if self.other else None

    @property
    def recall(self) -> float | None:
        return self.matched_reference / self.reference if self.reference else None

    @property
    def f1(self) -> float | None:
        if not self.reference and not self.other:
            return None
        precision, recall = self.precision or 0.0, self.recall or 0.0
        if precision + recall == 0:
            return 0.0
        return 2 * precision * recall / (precision + recall)

    def __add__(self, other: SpanScores) -> SpanScores:
        return SpanScores(
            self.reference + other.reference,
            self.other + other.other,
            self.matched_reference + other.matched_reference,
            self.matched_other + other.matched_other,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "reference": self.reference,
            "other": self.other,
            "matched_reference": self.matched_reference,
            "matched_other": self.matched_other,
        }


NO_SPANS = SpanScores(0, 0, 0, 0)
Span = tuple[int, str, int, int]  # document id, label, start, end


def exact_scores(reference: Sequence[Span], other: Sequence[Span]) -> SpanScores:
    """Exact matching: same document, label and offsets, each span used once."""
    matched = sum((Counter(reference) & Counter(other)).values())
    return SpanScores(len(reference), len(other), matched, matched)


def _overlapped(spans: Sequence[Span], by: Sequence[Span]) -> int:
    """How many of ``spans`` share a character with a span of ``by`` of the same label."""
    groups: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for document_id, label, start, end in by:
        groups.setdefault((document_id, label), []).append((start, end))
    index: dict[tuple[int, str], tuple[list[int], list[int]]] = {}
    for key, extents in groups.items():
        extents.sort()
        starts = [start for start, _ in extents]
        reach, furthest = [], -1  # reach[i]: the furthest end among the first i + 1 spans
        for _, end in extents:
            furthest = max(furthest, end)
            reach.append(furthest)
        index[key] = (starts, reach)
    count = 0
    for document_id, label, start, end in spans:
        found = index.get((document_id, label))
        if found is None:
            continue
        starts, reach = found
        before = bisect.bisect_left(starts, end)  # spans of ``by`` starting before our end
        if before and reach[before - 1] > start:
            count += 1
    return count


def overlap_scores(reference: Sequence[Span], other: Sequence[Span]) -> SpanScores:
    """Overlap matching: a span matches when the other side has a same-label span touching it."""
    return SpanScores(
        len(reference),
        len(other),
        _overlapped(reference, other),
        _overlapped(other, reference),
    )


# --- attributes and relations of matched spans --------------------------------------------------


class _Unset:
    """The category of a matched span whose annotator left the attribute unset."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "(none)"


UNSET = _Unset()


def matched_spans(
    reference: Iterable[SpanRecord], other: Iterable[SpanRecord]
) -> list[tuple[SpanRecord, SpanRecord]]:
    """The exact matching span by span: (reference span, other span) with the same document,
    label and offsets, one to one; several identical spans of one side are paired in the
    order they were made. As many pairs as :func:`exact_scores` counts matches."""
    waiting: dict[Span, list[SpanRecord]] = {}
    for span in sorted(other, key=lambda span: span.id):
        waiting.setdefault((span.document_id, span.label, span.start, span.end), []).append(span)
    pairs = []
    for span in sorted(reference, key=lambda span: span.id):
        partners = waiting.get((span.document_id, span.label, span.start, span.end))
        if partners:
            pairs.append((span, partners.pop(0)))
    pairs.sort(key=lambda pair: (pair[0].document_id, pair[0].start, pair[0].end, pair[0].label))
    return pairs


def attribute_value(attributes: dict[str, Any], name: str) -> Hashable | None:
    """A span's value for an attribute as compared, or None when unset (absent, null, blank)."""
    value = attributes.get(name)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, list | dict):  # not a schema kind, but an import may bring one
        return repr(value)
    return value


@dataclass(frozen=True, slots=True)
class AttributeAgreement:
    """Agreement on one attribute of one label over matched spans (see the module doc)."""

    label: str
    attribute: str
    units: int  # matched pairs where at least one of the two set the attribute
    agreed: int  # of those, pairs with the same value
    alpha: float | None

    @property
    def name(self) -> str:
        return f"{self.label}.{self.attribute}"

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "attribute": self.attribute,
            "units": self.units,
            "agreed": self.agreed,
            "alpha": self.alpha,
        }


def attribute_agreement(
    label: str, attribute: str, values: Iterable[tuple[Hashable | None, Hashable | None]]
) -> AttributeAgreement:
    """Nominal alpha of two annotators on one attribute; ``values`` has one (first, second)
    per matched span pair, None where that annotator left it unset. Pairs unset on both sides
    are left out; unset against set counts as the category "(none)"."""
    units = [
        (UNSET if first is None else first, UNSET if second is None else second)
        for first, second in values
        if first is not None or second is not None
    ]
    agreed = sum(1 for first, second in units if first == second)
    return AttributeAgreement(label, attribute, len(units), agreed, krippendorff_alpha(units))


def attribute_names(label: str, schemas: dict[str, Sequence[str]], found: Iterable[str]):
    """A label's attribute names: those its schema declares, in order, then others sorted."""
    declared = list(schemas.get(label, ()))
    return declared + sorted(set(found) - set(declared))


Link = tuple[str, str, str]  # relation type, head span uuid, tail span uuid


def relation_scores(
    reference: Sequence[Link], other: Sequence[Link], matched: dict[str, str]
) -> dict[str, SpanScores]:
    """Per relation type, precision, recall and F1 of ``other``'s relations against
    ``reference``'s; ``matched`` maps each matched span of ``other`` (uuid) to its partner
    of ``reference``. Types in order of name."""
    translated = [
        (kind, matched[head], matched[tail])
        for kind, head, tail in other
        if head in matched and tail in matched
    ]
    shared = Counter(reference) & Counter(translated)
    types = sorted({kind for kind, _h, _t in reference} | {kind for kind, _h, _t in other})
    scores = {}
    for kind in types:
        together = sum(count for link, count in shared.items() if link[0] == kind)
        scores[kind] = SpanScores(
            reference=sum(1 for link in reference if link[0] == kind),
            other=sum(1 for link in other if link[0] == kind),
            matched_reference=together,
            matched_other=together,
        )
    return scores


# --- token values -----------------------------------------------------------------------------


def covered_labels(tokens: TokenIndex, spans: Iterable[tuple[str, int, int]]) -> list[frozenset]:
    """Per token, the set of labels of the spans that share a character with it."""
    labels: list[set[str]] = [set() for _ in tokens.starts]
    for label, start, end in spans:
        first = bisect.bisect_right(tokens.ends, start)  # the first token ending after start
        last = bisect.bisect_left(tokens.starts, end)  # past the last token starting before end
        for index in range(first, last):
            labels[index].add(label)
    return [frozenset(value) for value in labels]


def overall_value(labels: frozenset, order: dict[str, int]) -> str:
    """A token's overall value: its labels joined in palette order, or "O"."""
    if not labels:
        return OUTSIDE
    return "+".join(sorted(labels, key=lambda name: (order.get(name, len(order)), name)))


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one label (or of all labels together, as "overall")."""

    exact: SpanScores
    overlap: SpanScores
    kappa: float | None
    alpha: float | None = None

    def to_json(self, *, alpha: bool = True) -> dict[str, Any]:
        result: dict[str, Any] = {
            "exact": self.exact.to_json(),
            "overlap": self.overlap.to_json(),
            "kappa": self.kappa,
        }
        if alpha:
            result["alpha"] = self.alpha
        return result


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Agreement of one pair; ``reference`` is the annotator named first."""

    reference: str
    other: str
    document_ids: tuple[int, ...]
    tokens: int
    per_label: dict[str, Figures]
    overall: Figures
    matched_spans: int = 0  # span pairs of the exact matching
    attributes: dict[str, AttributeAgreement] = field(default_factory=dict)  # "Claim.stance"
    relations: dict[str, SpanScores] = field(default_factory=dict)  # per relation type
    relations_overall: SpanScores = NO_SPANS

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "other": self.other,
            "documents": list(self.document_ids),
            "tokens": self.tokens,
            "per_label": {name: f.to_json(alpha=False) for name, f in self.per_label.items()},
            "overall": self.overall.to_json(alpha=False),
            "matched_spans": self.matched_spans,
            "attributes": {name: figures.to_json() for name, figures in self.attributes.items()},
            "relations": {
                "per_type": {kind: scores.to_json() for kind, scores in self.relations.items()},
                "overall": self.relations_overall.to_json(),
            },
        }


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """Agreement of two or more annotators: per label and overall, and per pair.

    With two annotators the span figures and kappa are the pair's; with more, span counts
    are pooled over pairs and kappa is the mean of the pairs' kappas. Alpha is always over
    every annotator at once. Attribute and relation agreement are per pair, in ``pairs``.
    """

    annotators: tuple[str, ...]
    labels: tuple[str, ...]
    document_ids: tuple[int, ...]
    tokens: int
    per_label: dict[str, Figures]
    overall: Figures
    pairs: tuple[PairAgreement, ...]

    def to_json(self) -> dict[str, Any]:
        """The shape printed by ``dossier agreement --json``."""
        return {
            "annotators": list(self.annotators),
            "reference": self.annotators[0],
            "documents": list(self.document_ids),
            "tokens": self.tokens,
            "labels": list(self.labels),
            "per_label": {name: figures.to_json() for name, figures in self.per_label.items()},
            "overall": self.overall.to_json(),
            "pairs": [pair.to_json() for pair in self.pairs],
        }


def _links(
    relations: Iterable[RelationRecord], spans: Sequence[SpanRecord], name: str
) -> list[Link]:
    """The relations of annotator ``name`` between two of ``spans`` (their accepted spans)."""
    uuids = {span.uuid for span in spans}
    return [
        (relation.type, relation.head_uuid, relation.tail_uuid)
        for relation in relations
        if relation.annotator == name
        and relation.head_uuid in uuids
        and relation.tail_uuid in uuids
    ]


# --- measuring, a chunk of documents at a time --------------------------------------------------
#
# Nothing of a document is kept once it has been counted: per pair and per label, the span
# counts, kappa's counts (units, agreements, each side's category totals) and alpha's sums
# (disagreeing pairs of values per unit size, category totals) are integers that add up
# document by document, so the figures come out as if every document had been held at once.
# The token values of a chunk are numpy arrays: a label covers a token where a difference
# array over the tokens, +1 at the first token a span covers and -1 past its last, sums to
# more than 0; the overall value (the set of labels covering a token) is a small integer code.


def _mean(values: Iterable[float | None]) -> float | None:
    defined = [value for value in values if value is not None]
    return sum(defined) / len(defined) if defined else None


def _add_counts(counts: Counter[int], codes: np.ndarray) -> None:
    """Add how many times each code occurs in ``codes`` to ``counts``."""
    found = np.bincount(codes)
    for code in np.flatnonzero(found).tolist():
        counts[code] += int(found[code])


class _Alpha:
    """Krippendorff's sums over the units seen so far: disagreeing pairs of values per unit
    size m_u (a unit adds (m_u^2 - sum_c n_uc^2) / (m_u - 1), which is twice its disagreeing
    pairs over m_u - 1) and how many values fell in each category."""

    __slots__ = ("disagreeing", "totals")

    def __init__(self) -> None:
        self.disagreeing: Counter[int] = Counter()  # per unit size
        self.totals: Counter[Hashable] = Counter()

    def value(self) -> float | None:
        observed = 0.0
        for size in sorted(self.disagreeing):
            observed += 2 * self.disagreeing[size] / (size - 1)
        return alpha_of_sums(observed, self.totals.values())


class _AttributeTally:
    """One attribute of one label over matched span pairs where either side set it."""

    __slots__ = ("agreed", "alpha", "units")

    def __init__(self) -> None:
        self.units = 0
        self.agreed = 0
        self.alpha = _Alpha()

    def add(self, first: Hashable | None, second: Hashable | None) -> None:
        first = UNSET if first is None else first
        second = UNSET if second is None else second
        self.units += 1
        self.alpha.totals[first] += 1
        self.alpha.totals[second] += 1
        if first == second:
            self.agreed += 1
        else:
            self.alpha.disagreeing[2] += 1


class _PairTally:
    """What one pair's figures are made of, added up document by document."""

    def __init__(self, reference: str, other: str) -> None:
        self.reference, self.other = reference, other
        self.document_ids: list[int] = []
        self.tokens = 0
        self.disagreeing = 0  # tokens whose overall values differ
        self.first: Counter[int] = Counter()  # overall value codes of the reference
        self.second: Counter[int] = Counter()
        self.ones_first: Counter[str] = Counter()  # per label, tokens it covers
        self.ones_second: Counter[str] = Counter()
        self.label_disagreeing: Counter[str] = Counter()
        # per label: spans of the reference, of the other, matched exactly, and the
        # reference's and the other's that overlap a span of the other side
        self.spans: dict[str, list[int]] = {}
        self.matched = 0
        self.found: dict[str, set[str]] = {}  # per label, attribute names on matched spans
        self.attributes: dict[tuple[str, str], _AttributeTally] = {}
        self.relations: dict[str, SpanScores] = {}

    def add_spans(
        self, document_id: int, first: list[SpanRecord], second: list[SpanRecord]
    ) -> list[tuple[SpanRecord, SpanRecord]]:
        """Span matching and attributes of one document; returns the matched span pairs."""
        by_label: dict[str, tuple[list[Span], list[Span]]] = {}
        for side, spans in ((0, first), (1, second)):
            for span in spans:
                entry = by_label.setdefault(span.label, ([], []))
                entry[side].append((document_id, span.label, span.start, span.end))
        for label, (mine, theirs) in by_label.items():
            counts = self.spans.get(label)
            if counts is None:
                counts = self.spans[label] = [0, 0, 0, 0, 0]
            counts[0] += len(mine)
            counts[1] += len(theirs)
            if not mine or not theirs:
                continue
            if len(mine) * len(theirs) <= 64:  # a few spans: compare them all
                counts[3] += sum(
                    1 for _d, _l, s, e in mine if any(t < e and s < u for _d, _l, t, u in theirs)
                )
                counts[4] += sum(
                    1 for _d, _l, s, e in theirs if any(t < e and s < u for _d, _l, t, u in mine)
                )
            else:
                counts[3] += _overlapped(mine, theirs)
                counts[4] += _overlapped(theirs, mine)
        matched = matched_spans(first, second)
        self.matched += len(matched)
        for one, two in matched:
            self.spans[one.label][2] += 1  # the exact matching, pair by pair
            if not one.attributes and not two.attributes:
                continue
            names = one.attributes.keys() | two.attributes.keys()
            self.found.setdefault(one.label, set()).update(names)
            for name in names:
                values = (
                    attribute_value(one.attributes, name),
                    attribute_value(two.attributes, name),
                )
                if values != (None, None):
                    key = (one.label, name)
                    tally = self.attributes.get(key)
                    if tally is None:
                        tally = self.attributes[key] = _AttributeTally()
                    tally.add(*values)
        return matched

    def add_relations(self, first: list[Link], second: list[Link], matched: dict[str, str]):
        for kind, scores in relation_scores(first, second, matched).items():
            self.relations[kind] = self.relations.get(kind, NO_SPANS) + scores

    def result(self, labels: Sequence[str], schemas: dict[str, Sequence[str]]) -> PairAgreement:
        def kappa(label: str | None) -> float | None:
            if label is None:
                return kappa_of_counts(
                    self.tokens, self.tokens - self.disagreeing, self.first, self.second
                )
            first, second = self.ones_first[label], self.ones_second[label]
            return kappa_of_counts(
                self.tokens,
                self.tokens - self.label_disagreeing[label],
                {1: first, 0: self.tokens - first},
                {1: second, 0: self.tokens - second},
            )

        def figures(label: str) -> Figures:
            reference, other, exact, overlap_first, overlap_second = self.spans.get(
                label, (0, 0, 0, 0, 0)
            )
            return Figures(
                SpanScores(reference, other, exact, exact),
                SpanScores(reference, other, overlap_first, overlap_second),
                kappa(label),
            )

        per_label = {label: figures(label) for label in labels}
        attributes = {}
        for label in labels:
            for name in attribute_names(label, schemas, self.found.get(label, ())):
                tally = self.attributes.get((label, name))
                if tally is not None:
                    figures = AttributeAgreement(
                        label, name, tally.units, tally.agreed, tally.alpha.value()
                    )
                    attributes[figures.name] = figures
        relations = {kind: self.relations[kind] for kind in sorted(self.relations)}
        return PairAgreement(
            reference=self.reference,
            other=self.other,
            document_ids=tuple(self.document_ids),
            tokens=self.tokens,
            per_label=per_label,
            overall=Figures(
                sum((figures.exact for figures in per_label.values()), NO_SPANS),
                sum((figures.overlap for figures in per_label.values()), NO_SPANS),
                kappa(None),
            ),
            matched_spans=self.matched,
            attributes=attributes,
            relations=relations,
            relations_overall=sum(relations.values(), NO_SPANS),
        )


_MASK_BITS = 62  # labels a chunk may hold for its label sets to be bit masks in an int64
_TABLE_BITS = 12  # up to this many, the masks are counted in a table of 2**bits entries


@dataclass(slots=True)
class _Counted:
    """What a chunk needs of one document: its id, length, tokens and spans per name."""

    id: int
    length: int
    starts: np.ndarray
    ends: np.ndarray
    spans: dict[str, list[SpanRecord]]


class _Measure:
    """Agreement of ``names`` counted a chunk of documents at a time."""

    def __init__(self, names: Sequence[str], annotated: dict[str, set[int]]) -> None:
        self.names = tuple(names)
        self.annotated = annotated
        self.pairs = [_PairTally(first, second) for first, second in combinations(names, 2)]
        self.codes: dict[tuple[str, ...], int] = {(): 0}  # a set of labels, sorted: its code
        self.present: set[str] = set()  # labels of the spans seen
        self.tokens = 0
        self.alpha = _Alpha()
        self.label_values = 0  # pairable values per label (one per annotator per unit)
        self.label_ones: Counter[str] = Counter()
        self.label_disagreeing: dict[str, Counter[int]] = {}  # per label, per unit size

    def add_chunk(self, documents: Sequence[_Counted]) -> None:
        """Count the token values of a chunk of documents."""
        labels = sorted(
            {
                span.label
                for document in documents
                for spans in document.spans.values()
                for span in spans
            }
        )
        self.present.update(labels)
        sizes = np.fromiter((len(document.starts) for document in documents), np.int64)
        total = int(sizes.sum())
        self.tokens += total
        if total == 0:
            return
        # the chunk's tokens as one sequence: document k's offsets moved by the lengths
        # before it, so a span (which never leaves its document) finds its tokens by bisection
        bases = np.cumsum([0] + [document.length for document in documents])[:-1]
        owner = np.repeat(np.arange(len(documents)), sizes)
        starts = np.concatenate([document.starts for document in documents]) + bases[owner]
        ends = np.concatenate([document.ends for document in documents]) + bases[owner]
        column = {label: index for index, label in enumerate(labels)}
        shown, covers, codes = {}, {}, {}
        for name in self.names:
            seen = self.annotated[name]
            shown[name] = np.fromiter((document.id in seen for document in documents), bool)
            covers[name] = self._covered(documents, name, bases, starts, ends, column)
            codes[name] = self._codes(covers[name], labels)
        if all(found.all() for found in shown.values()):
            self._add_everywhere(covers, codes, labels, total)
        else:
            self._add_some(
                {name: found[owner] for name, found in shown.items()}, covers, codes, labels
            )

    def _add_everywhere(self, covers, codes, labels, total: int) -> None:
        """The sums of a chunk every compared annotator annotated throughout."""
        counts, ones = {}, {}
        for name in self.names:
            counts[name] = Counter()
            _add_counts(counts[name], codes[name])
            ones[name] = np.count_nonzero(covers[name], axis=1).tolist()
        differ, label_differ = 0, np.zeros(len(labels), np.int64)
        for pair in self.pairs:
            first, second = pair.reference, pair.other
            unlike = int(np.count_nonzero(codes[first] != codes[second]))
            label_unlike = np.count_nonzero(covers[first] != covers[second], axis=1)
            pair.tokens += total
            pair.disagreeing += unlike
            pair.first.update(counts[first])
            pair.second.update(counts[second])
            for index, label in enumerate(labels):
                pair.ones_first[label] += ones[first][index]
                pair.ones_second[label] += ones[second][index]
                pair.label_disagreeing[label] += int(label_unlike[index])
            differ += unlike
            label_differ += label_unlike
        size = len(self.names)  # every token is a unit of one value per annotator
        self.alpha.disagreeing[size] += differ
        for name in self.names:
            self.alpha.totals.update(counts[name])
        self.label_values += size * total
        for index, label in enumerate(labels):
            self.label_disagreeing.setdefault(label, Counter())[size] += int(label_differ[index])
            self.label_ones[label] += sum(ones[name][index] for name in self.names)

    def _add_some(self, present, covers, codes, labels) -> None:
        """The sums of a chunk where some annotators left documents out: per token, who
        gave a value (``present``, per name)."""
        for pair in self.pairs:
            both = present[pair.reference] & present[pair.other]
            pair.tokens += int(np.count_nonzero(both))
            first, second = codes[pair.reference][both], codes[pair.other][both]
            pair.disagreeing += int(np.count_nonzero(first != second))
            _add_counts(pair.first, first)
            _add_counts(pair.second, second)
            first, second = covers[pair.reference][:, both], covers[pair.other][:, both]
            ones_first = np.count_nonzero(first, axis=1).tolist()
            ones_second = np.count_nonzero(second, axis=1).tolist()
            differ = np.count_nonzero(first != second, axis=1).tolist()
            for index, label in enumerate(labels):
                pair.ones_first[label] += ones_first[index]
                pair.ones_second[label] += ones_second[index]
                pair.label_disagreeing[label] += differ[index]
        # alpha: every annotator at once, tokens as units, a unit's size its values
        size = sum(present[name].astype(np.int64) for name in self.names)
        pairable = size >= 2
        if not pairable.any():
            return
        differ = np.zeros(len(size), np.int64)
        label_differ = np.zeros((len(labels), len(size)), np.int64)
        for first, second in combinations(self.names, 2):
            both = present[first] & present[second]
            differ += (codes[first] != codes[second]) & both
            label_differ += (covers[first] != covers[second]) & both
        for unit_size in np.unique(size[pairable]).tolist():
            units = size == unit_size
            self.alpha.disagreeing[unit_size] += int(differ[units].sum())
            sums = label_differ[:, units].sum(axis=1).tolist()
            for index, label in enumerate(labels):
                self.label_disagreeing.setdefault(label, Counter())[unit_size] += sums[index]
        self.label_values += int(size[pairable].sum())
        for name in self.names:
            counted = pairable & present[name]
            _add_counts(self.alpha.totals, codes[name][counted])
            ones = np.count_nonzero(covers[name][:, counted], axis=1).tolist()
            for index, label in enumerate(labels):
                self.label_ones[label] += ones[index]

    def _covered(self, documents, name, bases, starts, ends, column) -> np.ndarray:
        """Per label of the chunk (rows) and token (columns), whether a span of ``name``
        with that label shares a character with the token."""
        rows, first, last = [], [], []
        for index, document in enumerate(documents):
            base = int(bases[index])
            for span in document.spans.get(name, ()):
                rows.append(column[span.label])
                first.append(span.start + base)
                last.append(span.end + base)
        if not rows:
            return np.zeros((len(column), len(starts)), bool)
        width = len(starts) + 1
        rows_ = np.asarray(rows, np.int64) * width
        begin = np.searchsorted(ends, np.asarray(first, np.int64), side="right")
        stop = np.searchsorted(starts, np.asarray(last, np.int64), side="left")
        size = len(column) * width
        steps = np.bincount(rows_ + begin, minlength=size) - np.bincount(
            rows_ + stop, minlength=size
        )
        depth = np.cumsum(steps.reshape(len(column), width), axis=1)
        return depth[:, :-1] > 0

    def _codes(self, covered: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        """Per token, the code of its overall value (the set of labels covering it): the
        same set has the same code in every chunk, and no labels is 0."""
        if not labels:
            return np.zeros(covered.shape[1], np.int64)
        if len(labels) <= _MASK_BITS:
            weights = np.left_shift(np.int64(1), np.arange(len(labels), dtype=np.int64))
            masks = weights @ covered.astype(np.int64)
            if len(labels) <= _TABLE_BITS:  # few labels: a table over every mask, no sorting
                found = np.flatnonzero(np.bincount(masks, minlength=1))
                inverse = np.zeros(1 << len(labels), np.int64)
                inverse[found] = np.arange(len(found))
                inverse = inverse[masks]
            else:
                found, inverse = np.unique(masks, return_inverse=True)
            sets = [
                tuple(label for bit, label in enumerate(labels) if mask >> bit & 1)
                for mask in found.tolist()
            ]
        else:  # too many labels for a bit mask: tell the label sets apart row by row
            found, inverse = np.unique(covered.T, axis=0, return_inverse=True)
            sets = [
                tuple(label for label, on in zip(labels, row, strict=True) if on)
                for row in found.tolist()
            ]
        lookup = np.fromiter((self.codes.setdefault(s, len(self.codes)) for s in sets), np.int64)
        return lookup[inverse.reshape(-1)]

    def label_alpha(self, label: str) -> float | None:
        alpha = _Alpha()
        alpha.disagreeing = self.label_disagreeing.get(label, Counter())
        ones = self.label_ones[label]
        alpha.totals = Counter({1: ones, 0: self.label_values - ones})
        return alpha.value()


def measure_agreement(
    store: Store,
    annotators: Sequence[str],
    document_ids: Sequence[int] | None = None,
    *,
    progress: Progress = no_progress,
    documents_per_read: int = COMPARED_CHUNK,
) -> AgreementReport:
    """Agreement of two or more annotators (gold may be one) on the chosen documents.

    ``document_ids`` None means every document. Raises :class:`ReviewError` for an unknown
    annotator or fewer than two. ``progress("measuring", done, total)`` is called per
    document tokenized; raising :class:`desktop.progress.Cancelled` from it stops the work.
    Documents are read ``documents_per_read`` at a time and nothing of them is kept once
    counted, so memory does not grow with the project.
    """
    records = resolve_annotators(store, annotators, allow_gold=True)
    names = tuple(record.name for record in records)
    by_id = store.annotated_documents([record.id for record in records], document_ids)
    annotated = {record.name: by_id[record.id] for record in records}
    seen = Counter(document_id for found in annotated.values() for document_id in found)
    compared = sorted(document_id for document_id, count in seen.items() if count >= 2)
    label_records = store.labels()
    schemas = {
        label.name: [spec.name for spec in label.schema.attributes] for label in label_records
    }
    measure = _Measure(names, annotated)
    chunk: list[_Counted] = []
    documents = store.compared_documents(
        [record.id for record in records], compared, chunk=documents_per_read
    )
    for done, document in enumerate(documents, 1):
        starts, ends = token_bounds(document.text, document.language)
        spans: dict[str, list[SpanRecord]] = {name: [] for name in names}
        for span in document.spans:
            spans[span.annotator].append(span)
        for pair in measure.pairs:
            if document.id in annotated[pair.reference] and document.id in annotated[pair.other]:
                first, second = spans[pair.reference], spans[pair.other]
                pair.document_ids.append(document.id)
                matched = pair.add_spans(document.id, first, second)
                if document.relations:
                    pair.add_relations(
                        _links(document.relations, first, pair.reference),
                        _links(document.relations, second, pair.other),
                        {two.uuid: one.uuid for one, two in matched},
                    )
        chunk.append(_Counted(document.id, len(document.text), starts, ends, spans))
        if len(chunk) == documents_per_read:
            measure.add_chunk(chunk)
            chunk = []
        progress("measuring", done, len(compared))
    if chunk:
        measure.add_chunk(chunk)
    labels = tuple(label.name for label in label_records if label.name in measure.present)
    labels += tuple(sorted(measure.present - set(labels)))
    pairs = tuple(pair.result(labels, schemas) for pair in measure.pairs)

    def pooled(label: str | None) -> Figures:
        chosen = [pair.overall if label is None else pair.per_label[label] for pair in pairs]
        return Figures(
            exact=sum((figures.exact for figures in chosen), NO_SPANS),
            overlap=sum((figures.overlap for figures in chosen), NO_SPANS),
            kappa=_mean(figures.kappa for figures in chosen),
            alpha=measure.alpha.value() if label is None else measure.label_alpha(label),
        )

    return AgreementReport(
        annotators=names,
        labels=labels,
        document_ids=tuple(compared),
        tokens=measure.tokens,
        per_label={label: pooled(label) for label in labels},
        overall=pooled(None),
        pairs=pairs,
    )


__all__ = [
    "UNSET",
    "AgreementReport",
    "AttributeAgreement",
    "Figures",
    "PairAgreement",
    "ReviewError",
    "SpanScores",
    "alpha_of_sums",
    "attribute_agreement",
    "attribute_value",
    "cohen_kappa",
    "covered_labels",
    "exact_scores",
    "kappa_of_counts",
    "krippendorff_alpha",
    "matched_spans",
    "measure_agreement",
    "overlap_scores",
    "relation_scores",
]
