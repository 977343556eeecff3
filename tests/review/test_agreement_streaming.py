"""Agreement read in chunks and counted with numpy, checked against a slow reference: the
document-by-document computation Dossier used before (every token's labels kept as a set,
kappa and alpha over Python lists), restated here as the oracle.

The streaming figures must equal the reference's: every count and span figure exactly,
kappa and alpha up to floating-point rounding. Compared on the analysts' files, on random
projects (several annotators, nested and overlapping spans, documents only some annotated,
gold, attributes, relations, emoji and CRLF), on SQLite and PostgreSQL, and whatever the
number of documents read at a time.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.records import (
    ImportBatch,
    NewDocument,
    NewRelation,
    NewSpan,
    NewState,
    RelationRecord,
    SpanRecord,
)
from db.store import Store, new_uuid
from desktop.formats import import_paths
from desktop.nlp.tokens import TokenIndex
from desktop.progress import Cancelled
from desktop.review import agreement
from desktop.review.agreement import (
    NO_SPANS,
    AgreementReport,
    AttributeAgreement,
    Figures,
    PairAgreement,
    attribute_names,
    attribute_value,
    covered_labels,
    exact_scores,
    matched_spans,
    measure_agreement,
    overall_value,
    overlap_scores,
    relation_scores,
)
from desktop.review.compare import resolve_annotators

# --- the reference: agreement as Dossier computed it before it streamed -----------------------


def reference_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    total = len(first)
    if total == 0:
        return None
    observed = sum(1 for a, b in zip(first, second, strict=True) if a == b) / total
    counts_first, counts_second = Counter(first), Counter(second)
    expected = sum(counts_first[c] * counts_second[c] for c in counts_first) / (total * total)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def reference_alpha(units: Iterable[Sequence[Hashable | None]]) -> float | None:
    observed = 0.0
    totals: Counter = Counter()
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


class _NotSet:
    def __repr__(self) -> str:
        return "(none)"


NOT_SET = _NotSet()


def reference_attribute(label: str, attribute: str, values) -> AttributeAgreement:
    units = [
        (NOT_SET if first is None else first, NOT_SET if second is None else second)
        for first, second in values
        if first is not None or second is not None
    ]
    agreed = sum(1 for first, second in units if first == second)
    return AttributeAgreement(label, attribute, len(units), agreed, reference_alpha(units))


@dataclass
class _Document:
    id: int
    tokens: TokenIndex
    spans: dict[str, list[SpanRecord]]
    covered: dict[str, list[frozenset]]
    links: dict[str, list[tuple[str, str, str]]]


def _mean(values):
    defined = [value for value in values if value is not None]
    return sum(defined) / len(defined) if defined else None


def _reference_pair(reference, other, documents, labels, order, schemas) -> PairAgreement:
    def spans_of(name, label):
        return [
            (document.id, span.label, span.start, span.end)
            for document in documents
            for span in document.spans.get(name, ())
            if label is None or span.label == label
        ]

    def values(name, label):
        if label is None:
            return [overall_value(c, order) for d in documents for c in d.covered[name]]
        return [int(label in c) for d in documents for c in d.covered[name]]

    def figures(label):
        first, second = spans_of(reference, label), spans_of(other, label)
        return Figures(
            exact=exact_scores(first, second),
            overlap=overlap_scores(first, second),
            kappa=reference_kappa(values(reference, label), values(other, label)),
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
    attributes = {}
    for label in labels:
        of_label = [(first, second) for first, second in matched if first.label == label]
        found = {name for pair in of_label for span in pair for name in span.attributes}
        for name in attribute_names(label, schemas, found):
            figures_ = reference_attribute(
                label,
                name,
                [
                    (attribute_value(a.attributes, name), attribute_value(b.attributes, name))
                    for a, b in of_label
                ],
            )
            if figures_.units:
                attributes[figures_.name] = figures_
    return PairAgreement(
        reference=reference,
        other=other,
        document_ids=tuple(document.id for document in documents),
        tokens=sum(len(document.tokens.starts) for document in documents),
        per_label={label: figures(label) for label in labels},
        overall=figures(None),
        matched_spans=len(matched),
        attributes=attributes,
        relations=relations,
        relations_overall=sum(relations.values(), NO_SPANS),
    )


def _links(relations: Iterable[RelationRecord], spans: Sequence[SpanRecord], name: str):
    uuids = {span.uuid for span in spans}
    return [
        (relation.type, relation.head_uuid, relation.tail_uuid)
        for relation in relations
        if relation.annotator == name
        and relation.head_uuid in uuids
        and relation.tail_uuid in uuids
    ]


def _reference_alpha_of(names, documents, annotated, label, order):
    def units():
        for document in documents:
            present = [name for name in names if document.id in annotated[name]]
            for index in range(len(document.tokens.starts)):
                unit = []
                for name in names:
                    if name not in present:
                        unit.append(None)
                    elif label is None:
                        unit.append(overall_value(document.covered[name][index], order))
                    else:
                        unit.append(int(label in document.covered[name][index]))
                yield unit

    return reference_alpha(units())


def reference_agreement(store: Store, annotators, document_ids=None) -> AgreementReport:
    """``measure_agreement`` as it was before it streamed: every document held at once."""
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
    documents = []
    for document_id in compared:
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
    pairs = tuple(
        _reference_pair(
            first,
            second,
            [d for d in documents if d.id in annotated[first] and d.id in annotated[second]],
            labels,
            order,
            schemas,
        )
        for first, second in combinations(names, 2)
    )

    def pooled(label):
        chosen = [pair.overall if label is None else pair.per_label[label] for pair in pairs]
        return Figures(
            exact=sum((figures.exact for figures in chosen), NO_SPANS),
            overlap=sum((figures.overlap for figures in chosen), NO_SPANS),
            kappa=_mean(figures.kappa for figures in chosen),
            alpha=_reference_alpha_of(names, documents, annotated, label, order),
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


# --- comparing reports ------------------------------------------------------------------------


def assert_same(found, expected, where: str = "report") -> None:
    """Equal JSON shapes: the same keys in the same order, integers and text exactly, floats
    up to rounding (relative 1e-12)."""
    if isinstance(expected, dict):
        assert isinstance(found, dict), where
        assert list(found) == list(expected), where
        for key in expected:
            assert_same(found[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(found, list) and len(found) == len(expected), where
        for index, (left, right) in enumerate(zip(found, expected, strict=True)):
            assert_same(left, right, f"{where}[{index}]")
    elif isinstance(expected, float) and not isinstance(found, bool):
        assert isinstance(found, float), f"{where}: {found!r} != {expected!r}"
        assert math.isclose(found, expected, rel_tol=1e-12, abs_tol=1e-12), (
            f"{where}: {found!r} != {expected!r}"
        )
    else:
        assert found == expected and type(found) is type(expected), (
            f"{where}: {found!r} != {expected!r}"
        )


def check_against_reference(store: Store, annotators, document_ids=None, **options) -> None:
    expected = reference_agreement(store, annotators, document_ids)
    found = measure_agreement(store, annotators, document_ids, **options)
    assert found.annotators == expected.annotators
    assert found.labels == expected.labels
    assert found.document_ids == expected.document_ids
    assert found.tokens == expected.tokens
    assert_same(found.to_json(), expected.to_json())


# --- random projects --------------------------------------------------------------------------

PIECES = (
    "Hamas",
    "fired",
    "rockets",
    "at",
    "Israe\u0301l",  # a combining mark
    "\U0001f680",  # an astral emoji
    "\U0001f44d\U0001f3fd",  # a thumb with a skin tone
    "Iran-backed",
    "militia",
    "struck",
    "Gaza",
    "l'armée",
    "U.S.",
    ".",
    ",",
    "!",
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew, right to left
)
SEPARATORS = (" ", " ", " ", "\r\n", "\n", "  ", "\r")
LABELS = ("Claim", "Actor", "Event", "Place")  # Place is not in a new project's palette
STANCES = ("supports", "opposes", "neutral", None)  # Claim.stance, a choice of its schema
REMARKS = ("yes", " yes ", "no", "", "  ", None, 0, 1, True)  # an attribute no schema declares
NAMES = ("a", "b", "c", "gold")


def random_text(rng: random.Random) -> str:
    words = [rng.choice(PIECES) for _ in range(rng.randrange(1, 25))]
    text = words[0]
    for word in words[1:]:
        text += rng.choice(SEPARATORS) + word
    if rng.random() < 0.3:
        text = rng.choice(SEPARATORS) + text + rng.choice(SEPARATORS)
    return text


def random_project(store: Store, seed: int, documents: int | None = None) -> None:
    """Documents with spans of up to four annotators (gold among them): nested, overlapping
    and duplicated spans, statuses, attributes, relations and document states."""
    rng = random.Random(seed)
    batch = ImportBatch()
    count = documents if documents is not None else rng.randrange(1, 8)
    for index in range(count):
        text = f"{index}: {random_text(rng)}"
        document = NewDocument(
            text=text, title=f"d{index}", language=rng.choice((None, "en", "fr"))
        )
        for name in NAMES:
            roll = rng.random()
            if roll < 0.25:
                continue  # this annotator never saw the document
            if roll < 0.35:
                document.states.append(NewState(name, rng.choice(("in_progress", "done"))))
                continue  # annotated, but found nothing
            if roll < 0.4:
                document.states.append(NewState(name, "not_started"))
            mine = []
            copied: dict[str, str] = {}  # another annotator's span uuid: the copy's
            for _ in range(rng.randrange(0, 7)):
                other = None
                if document.spans and rng.random() < 0.5:  # another annotator's span again
                    other = rng.choice(document.spans)
                    start, end, label = other.start, other.end, other.label
                else:
                    start = rng.randrange(len(text))
                    end = rng.randrange(start + 1, len(text) + 1)
                    label = rng.choice(LABELS)
                attributes = {}
                if label == "Claim" and rng.random() < 0.5:
                    attributes["stance"] = rng.choice(STANCES)
                if rng.random() < 0.5:
                    attributes["remark"] = rng.choice(REMARKS)
                span = NewSpan(
                    label=label,
                    start=start,
                    end=end,
                    annotator=name,
                    uuid=new_uuid(),
                    status=rng.choice(("accepted", "accepted", "accepted", "suggested")),
                    attributes=attributes,
                )
                mine.append(span)
                document.spans.append(span)
                if other is not None:
                    copied[other.uuid] = span.uuid
            for relation in list(document.relations):  # the same relations between copies
                if relation.head_uuid in copied and relation.tail_uuid in copied:
                    if rng.random() < 0.7:
                        document.relations.append(
                            NewRelation(
                                rng.choice((relation.type, relation.type, "near")),
                                copied[relation.head_uuid],
                                copied[relation.tail_uuid],
                                name,
                            )
                        )
            for _ in range(rng.randrange(0, 4)):
                if len(mine) >= 2:
                    head, tail = rng.sample(mine, 2)
                    maker = name if rng.random() < 0.85 else rng.choice(NAMES)
                    document.relations.append(
                        NewRelation(
                            rng.choice(("cites", "near", "same")), head.uuid, tail.uuid, maker
                        )
                    )
        batch.documents.append(document)
    store.import_batch(batch)
    # a few identical spans, which an import would take for one: made one by one
    for document_id in store.document_ids():
        for span in store.spans_where(document_ids=[document_id], statuses=["accepted"]):
            if rng.random() < 0.1:
                store.add_span(
                    document_id,
                    span.label_id,
                    span.annotator_id,
                    span.start,
                    span.end,
                    attributes={"remark": rng.choice(REMARKS)},
                )


def annotator_choices(store: Store, rng: random.Random) -> list[str]:
    known = [record.name for record in store.annotators()]
    chosen = rng.sample(known, rng.randrange(2, len(known) + 1)) if len(known) >= 2 else known
    return chosen


# --- the tests --------------------------------------------------------------------------------


def test_the_analysts_files_agree_with_the_reference(memory_store, corpus):
    import_paths(memory_store, [corpus])
    check_against_reference(memory_store, ["analyst_a", "analyst_b"])
    check_against_reference(memory_store, ["analyst_b", "analyst_a"])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    chunk=st.sampled_from([1, 2, 3, 500]),
    some_documents=st.booleans(),
)
def test_random_projects_agree_with_the_reference(seed, chunk, some_documents):
    store = Store.open(":memory:")
    try:
        random_project(store, seed)
        rng = random.Random(seed)
        names = annotator_choices(store, rng)
        if len(names) < 2:
            return
        chosen = None
        if some_documents:
            ids = store.document_ids()
            chosen = rng.sample(ids, rng.randrange(0, len(ids) + 1))
        check_against_reference(store, names, chosen, documents_per_read=chunk)
    finally:
        store.close()


@pytest.mark.parametrize("seed", [7, 18])
def test_random_projects_on_both_databases(store, seed):
    random_project(store, seed, documents=25)
    names = [record.name for record in store.annotators()]
    assert set(names) == set(NAMES)
    check_against_reference(store, names, documents_per_read=4)
    check_against_reference(store, ["gold", "b"], documents_per_read=4)


@pytest.mark.parametrize("count", [20, 70])
def test_many_labels_on_one_document(memory_store, count):
    """Twenty labels (bit masks sorted to find the label sets) and seventy (more than fit in
    a bit mask): the overall token values still tell every set of labels apart."""
    rng = random.Random(count)
    text = " ".join(f"w{index}" for index in range(60))
    document = NewDocument(text=text, title="many")
    for name in ("a", "b"):
        for number in range(count):
            start = rng.randrange(len(text) - 1)
            end = rng.randrange(start + 1, min(len(text), start + 12) + 1)
            document.spans.append(NewSpan(f"L{number:02d}", start, end, name))
    memory_store.import_batch(ImportBatch(documents=[document]))
    check_against_reference(memory_store, ["a", "b"])
    report = measure_agreement(memory_store, ["a", "b"])
    assert len(report.labels) == count


def test_many_spans_of_one_label(memory_store):
    """Forty nested and overlapping claims each on one document: more than are compared
    one by one."""
    rng = random.Random(40)
    text = "\r\n".join(random_text(rng) for _ in range(12))
    document = NewDocument(text=text, title="crowded")
    for name in ("a", "b", "c"):
        for _ in range(40):
            start = rng.randrange(len(text) - 1)
            end = rng.randrange(start + 1, min(len(text), start + 30) + 1)
            document.spans.append(NewSpan("Claim", start, end, name))
    memory_store.import_batch(ImportBatch(documents=[document]))
    check_against_reference(memory_store, ["a", "b", "c"])


def test_the_documents_are_read_in_order_a_chunk_at_a_time(store):
    random_project(store, 5, documents=9)
    ids = [store.ensure_annotator(name).id for name in ("a", "b", "gold")]
    wanted = store.document_ids()[1:]
    for size in (1, 2, 500):
        read = list(store.compared_documents(ids, wanted, chunk=size))
        assert [document.id for document in read] == wanted
        for document in read:
            record = store.document(document.id)
            assert (document.text, document.language) == (record.text, record.language)
            spans = store.spans_where(
                annotator_ids=ids, statuses=["accepted"], document_ids=[document.id]
            )
            assert document.spans == spans
            names = {"a", "b", "gold"}
            assert document.relations == [
                relation for relation in store.relations(document.id) if relation.annotator in names
            ]


def test_chunk_boundaries_do_not_change_the_report(memory_store):
    random_project(memory_store, 11, documents=12)
    names = ["a", "b", "c", "gold"]
    reports = [
        measure_agreement(memory_store, names, documents_per_read=size).to_json()
        for size in (1, 2, 500)
    ]
    assert reports[0] == reports[1] == reports[2]


def test_progress_per_document_and_cancel(memory_store):
    random_project(memory_store, 3, documents=6)
    calls = []
    report = measure_agreement(
        memory_store,
        ["a", "b", "c"],
        progress=lambda *args: calls.append(args),
        documents_per_read=4,
    )
    total = len(report.document_ids)
    assert calls == [("measuring", done, total) for done in range(1, total + 1)]

    def cancel(_phase, done, _total):
        if done == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        measure_agreement(memory_store, ["a", "b", "c"], progress=cancel, documents_per_read=4)


def test_nobody_compared_gives_an_empty_report(memory_store):
    document = NewDocument(text="Hamas fired.", spans=[NewSpan("Actor", 0, 5, "a")])
    memory_store.import_batch(ImportBatch(documents=[document]))
    memory_store.ensure_annotator("b")
    check_against_reference(memory_store, ["a", "b"])
    report = measure_agreement(memory_store, ["a", "b"])
    assert (report.document_ids, report.tokens, report.labels) == ((), 0, ())
    assert report.overall.kappa is None and report.overall.alpha is None


@pytest.mark.parametrize("size", [1, 500])
def test_a_document_without_tokens_still_names_its_labels(memory_store, size):
    """A span over white space only covers no token, but its label is compared all the same."""
    blank = NewDocument(
        text=" \r\n \u2028 ",
        title="blank",
        spans=[NewSpan("Event", 1, 4, "a"), NewSpan("Event", 0, 3, "b")],
    )
    words = NewDocument(
        text="Hamas fired.", spans=[NewSpan("Actor", 0, 5, "a"), NewSpan("Actor", 0, 5, "b")]
    )
    memory_store.import_batch(ImportBatch(documents=[blank, words]))
    check_against_reference(memory_store, ["a", "b"], documents_per_read=size)
    report = measure_agreement(memory_store, ["a", "b"], documents_per_read=size)
    assert report.labels == ("Actor", "Event") and report.tokens == 3
    assert report.per_label["Event"].overlap.matched_reference == 1


def test_the_module_still_offers_its_helpers():
    # other code and tests import these; the streaming version keeps them
    for name in ("cohen_kappa", "krippendorff_alpha", "covered_labels", "overall_value"):
        assert callable(getattr(agreement, name))
