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
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from db.records import RelationRecord, SpanRecord
from db.store import Store
from desktop.nlp.tokens import TokenIndex
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
    total = len(first)
    if total == 0:
        return None
    observed = sum(1 for a, b in zip(first, second, strict=True) if a == b) / total
    counts_first, counts_second = Counter(first), Counter(second)
    expected = sum(counts_first[c] * counts_second[c] for c in counts_first) / (total * total)
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
    n = sum(totals.values())
    expected = n * n - sum(count * count for count in totals.values())
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


@dataclass(slots=True)
class _Document:
    id: int
    tokens: TokenIndex
    spans: dict[str, list[SpanRecord]]  # per annotator name
    covered: dict[str, list[frozenset]]  # per annotator name, per token
    links: dict[str, list[Link]]  # per annotator name: relations between their spans here


def _mean(values: Iterable[float | None]) -> float | None:
    defined = [value for value in values if value is not None]
    return sum(defined) / len(defined) if defined else None


def _pair(
    reference: str,
    other: str,
    documents: Sequence[_Document],
    labels: Sequence[str],
    order,
    schemas: dict[str, Sequence[str]],
) -> PairAgreement:
    def spans_of(name: str, label: str | None) -> list[Span]:
        return [
            (document.id, span.label, span.start, span.end)
            for document in documents
            for span in document.spans.get(name, ())
            if label is None or span.label == label
        ]

    def values(name: str, label: str | None) -> list[Hashable]:
        if label is None:
            return [overall_value(c, order) for d in documents for c in d.covered[name]]
        return [int(label in c) for d in documents for c in d.covered[name]]

    def figures(label: str | None) -> Figures:
        first, second = spans_of(reference, label), spans_of(other, label)
        return Figures(
            exact=exact_scores(first, second),
            overlap=overlap_scores(first, second),
            kappa=cohen_kappa(values(reference, label), values(other, label)),
        )

    matched = [
        pair
        for document in documents
        for pair in matched_spans(document.spans.get(reference, ()), document.spans.get(other, ()))
    ]
    relations = relation_scores(
        [link for document in documents for link in document.links.get(reference, ())],
        [link for document in documents for link in document.links.get(other, ())],
        {second.uuid: first.uuid for first, second in matched},
    )
    return PairAgreement(
        reference=reference,
        other=other,
        document_ids=tuple(document.id for document in documents),
        tokens=sum(len(document.tokens.starts) for document in documents),
        per_label={label: figures(label) for label in labels},
        overall=figures(None),
        matched_spans=len(matched),
        attributes=_attributes(matched, labels, schemas),
        relations=relations,
        relations_overall=sum(relations.values(), NO_SPANS),
    )


def _attributes(
    matched: Sequence[tuple[SpanRecord, SpanRecord]],
    labels: Sequence[str],
    schemas: dict[str, Sequence[str]],
) -> dict[str, AttributeAgreement]:
    """Agreement on every attribute set on at least one matched span, by "Label.attribute"."""
    result: dict[str, AttributeAgreement] = {}
    for label in labels:
        of_label = [(first, second) for first, second in matched if first.label == label]
        found = {name for pair in of_label for span in pair for name in span.attributes}
        for name in attribute_names(label, schemas, found):
            values = [
                (attribute_value(first.attributes, name), attribute_value(second.attributes, name))
                for first, second in of_label
            ]
            figures = attribute_agreement(label, name, values)
            if figures.units:
                result[figures.name] = figures
    return result


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


def _alpha(
    names: Sequence[str],
    documents: Sequence[_Document],
    annotated: dict[str, set[int]],
    label: str | None,
    order,
) -> float | None:
    def units():
        for document in documents:
            present = [name for name in names if document.id in annotated[name]]
            for index in range(len(document.tokens.starts)):
                unit: list[Hashable | None] = []
                for name in names:
                    if name not in present:
                        unit.append(None)
                    elif label is None:
                        unit.append(overall_value(document.covered[name][index], order))
                    else:
                        unit.append(int(label in document.covered[name][index]))
                yield unit

    return krippendorff_alpha(units())


def measure_agreement(
    store: Store,
    annotators: Sequence[str],
    document_ids: Sequence[int] | None = None,
    *,
    progress: Progress = no_progress,
) -> AgreementReport:
    """Agreement of two or more annotators (gold may be one) on the chosen documents.

    ``document_ids`` None means every document. Raises :class:`ReviewError` for an unknown
    annotator or fewer than two. ``progress("measuring", done, total)`` is called per
    document tokenized; raising :class:`desktop.progress.Cancelled` from it stops the work.
    """
    records = resolve_annotators(store, annotators, allow_gold=True)
    names = tuple(record.name for record in records)
    by_id = store.annotated_documents([record.id for record in records], document_ids)
    annotated = {record.name: by_id[record.id] for record in records}
    seen = Counter(document_id for found in annotated.values() for document_id in found)
    compared = sorted(document_id for document_id, count in seen.items() if count >= 2)
    spans = store.spans_where(
        annotator_ids=[record.id for record in records],
        statuses=["accepted"],
        document_ids=compared,
    )
    present = {span.label for span in spans}
    label_records = store.labels()
    labels = tuple(label.name for label in label_records if label.name in present)
    schemas = {
        label.name: [spec.name for spec in label.schema.attributes] for label in label_records
    }
    labels += tuple(sorted(present - set(labels)))
    order = {name: index for index, name in enumerate(labels)}
    grouped: dict[tuple[int, str], list[SpanRecord]] = {}
    for span in spans:
        grouped.setdefault((span.document_id, span.annotator), []).append(span)
    documents: list[_Document] = []
    for done, document_id in enumerate(compared, 1):
        record = store.document(document_id)
        tokens = TokenIndex.of(record.text, record.language)
        per_annotator = {name: grouped.get((document_id, name), []) for name in names}
        covered = {
            name: covered_labels(tokens, ((s.label, s.start, s.end) for s in per_annotator[name]))
            for name in names
        }
        relations = store.relations(document_id)
        links = {name: _links(relations, per_annotator[name], name) for name in names}
        documents.append(_Document(document_id, tokens, per_annotator, covered, links))
        progress("measuring", done, len(compared))
    pairs = tuple(
        _pair(
            first,
            second,
            [d for d in documents if d.id in annotated[first] and d.id in annotated[second]],
            labels,
            order,
            schemas,
        )
        for first, second in combinations(names, 2)
    )

    def pooled(label: str | None) -> Figures:
        chosen = [pair.overall if label is None else pair.per_label[label] for pair in pairs]
        return Figures(
            exact=sum((figures.exact for figures in chosen), NO_SPANS),
            overlap=sum((figures.overlap for figures in chosen), NO_SPANS),
            kappa=_mean(figures.kappa for figures in chosen),
            alpha=_alpha(names, documents, annotated, label, order),
        )

    return AgreementReport(
        annotators=names,
        labels=labels,
        document_ids=tuple(compared),
        tokens=sum(len(document.tokens.starts) for document in documents),
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
    "attribute_agreement",
    "attribute_value",
    "cohen_kappa",
    "covered_labels",
    "exact_scores",
    "krippendorff_alpha",
    "matched_spans",
    "measure_agreement",
    "overlap_scores",
    "relation_scores",
]
