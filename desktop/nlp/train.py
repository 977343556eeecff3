"""Training a spaCy span categorizer from the analysts' accepted spans, and scoring it.

The model is a ``spancat`` (spans key ``"sc"``; spans may overlap and nest) on a blank
pipeline, small enough to train on two CPU cores in seconds to minutes: a hash-embedding
CNN (width 64, depth 2) and candidate spans of 1 to ``max_span_tokens`` tokens. Documents
are split into training and held-out sets with a seed; precision, recall and F1 per label
are measured on the held-out documents, exactly as the suggestions would reach the analyst.
The result is an ordinary spaCy pipeline folder (``spacy.load`` reads it), with Dossier's
figures in its ``meta.json`` under ``"dossier"``.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.records import DocumentRecord
from db.tables import utcnow
from desktop.nlp.uncertainty import rank_by_uncertainty
from desktop.progress import Cancelled, Progress, no_progress

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

    from db.store import Store

SPANS_KEY = "sc"
__all__ = [
    "AnnotatedDocument",
    "Cancelled",
    "LabelScore",
    "TrainOptions",
    "TrainReport",
    "TrainingError",
    "rank_by_uncertainty",
    "score_spans",
    "train",
    "training_documents",
    "uncertainty_scores",
]


class TrainingError(ValueError):
    """Training cannot start (no accepted spans, unknown annotator, bad output folder)."""


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """What to train on and how.

    ``annotators`` empty means every annotator's accepted spans; ``gold`` means only the
    adjudicated gold layer. ``held_out`` is the share of annotated documents kept for
    scoring (at least one when there are two or more documents and it is above 0).
    """

    annotators: tuple[str, ...] = ()
    gold: bool = False
    held_out: float = 0.2
    seed: int = 0
    epochs: int = 20
    batch_size: int = 4
    dropout: float = 0.1
    max_span_tokens: int = 16
    threshold: float = 0.5
    language: str | None = None  # default: the documents' most common language, else English


@dataclass(frozen=True, slots=True)
class LabelScore:
    """Exact-match precision, recall and F1 of one label on the held-out documents."""

    label: str
    precision: float
    recall: float
    f1: float
    gold: int  # spans the analysts tagged
    predicted: int  # spans the model suggested
    correct: int  # suggested with the same label and the same offsets


@dataclass(frozen=True, slots=True)
class TrainReport:
    """What :func:`train` did: data, losses, held-out scores and where the model is."""

    output: Path
    labels: tuple[str, ...]
    train_documents: tuple[int, ...]
    held_out_documents: tuple[int, ...]
    train_spans: int
    held_out_spans: int
    unreachable_spans: int  # training spans longer than max_span_tokens: never candidates
    epochs: int
    losses: tuple[float, ...]  # per epoch
    scores: dict[str, LabelScore] = field(default_factory=dict)
    overall: LabelScore | None = None  # micro-averaged over labels; None without held-out
    seconds: float = 0.0


@dataclass(slots=True)
class AnnotatedDocument:
    """A document and the (label, start, end) spans to learn from it."""

    document: DocumentRecord
    spans: list[tuple[str, int, int]]


def _annotator_ids(store: Store, options: TrainOptions) -> list[int] | None:
    known = store.annotators()
    if options.gold:
        if options.annotators:
            raise TrainingError("choose annotators or the gold layer, not both")
        return [record.id for record in known if record.is_gold]  # none yet: nothing to train on
    if not options.annotators:
        return None
    by_name = {record.name: record.id for record in known}
    missing = [name for name in options.annotators if name not in by_name]
    if missing:
        raise TrainingError(
            f"no annotator called {missing[0]!r} (known: {', '.join(sorted(by_name)) or 'none'})"
        )
    return [by_name[name] for name in options.annotators]


def training_documents(
    store: Store, options: TrainOptions = TrainOptions()
) -> list[AnnotatedDocument]:
    """The documents with accepted spans by the chosen annotators, each with its spans
    (label, start, end; the same span by two annotators counts once), by document id."""
    ids = _annotator_ids(store, options)
    grouped: dict[int, set[tuple[str, int, int]]] = defaultdict(set)
    for span in store.spans_where(annotator_ids=ids, statuses=["accepted"]):
        grouped[span.document_id].add((span.label, span.start, span.end))
    return [
        AnnotatedDocument(store.document(document_id), sorted(spans))
        for document_id, spans in sorted(grouped.items())
    ]


def split_documents(
    document_ids: Sequence[int], held_out: float, seed: int
) -> tuple[list[int], list[int]]:
    """Training and held-out document ids, shuffled by ``seed`` (the same seed, the same split)."""
    if not 0 <= held_out < 1:
        raise TrainingError(f"held-out share must be at least 0 and below 1, not {held_out}")
    ids = sorted(document_ids)
    random.Random(seed).shuffle(ids)
    count = round(len(ids) * held_out)
    if held_out > 0 and len(ids) >= 2:
        count = min(max(count, 1), len(ids) - 1)
    return sorted(ids[count:]), sorted(ids[:count])


def _language(documents: Iterable[AnnotatedDocument], chosen: str | None) -> str:
    if chosen:
        return chosen
    counts: dict[str, int] = defaultdict(int)
    for item in documents:
        counts[(item.document.language or "en").split("-")[0].split("_")[0].lower()] += 1
    return max(sorted(counts), key=lambda code: counts[code]) if counts else "en"


def _blank(language: str) -> Language:
    import spacy

    try:
        return spacy.blank(language)
    except Exception:  # an unknown code: English tokens, as desktop.nlp.tokens does
        return spacy.blank("en")


def _spancat_config(options: TrainOptions) -> dict[str, Any]:
    return {
        "spans_key": SPANS_KEY,
        "threshold": options.threshold,
        "suggester": {
            "@misc": "spacy.ngram_range_suggester.v1",
            "min_size": 1,
            "max_size": options.max_span_tokens,
        },
        "model": {
            "@architectures": "spacy.SpanCategorizer.v1",
            "reducer": {"@layers": "spacy.mean_max_reducer.v1", "hidden_size": 64},
            "scorer": {"@layers": "spacy.LinearLogistic.v1"},
            "tok2vec": {
                "@architectures": "spacy.HashEmbedCNN.v2",
                "pretrained_vectors": None,
                "width": 64,
                "depth": 2,
                "embed_size": 2000,
                "window_size": 1,
                "maxout_pieces": 3,
                "subword_features": True,
            },
        },
    }


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The [start, end) offsets of the non-blank paragraphs (lines) of ``text``."""
    found = []
    start = 0
    for line in text.splitlines(keepends=True):
        end = start + len(line)
        stripped = line.strip()
        if stripped:
            first = start + line.index(stripped[0])
            found.append((first, first + len(stripped)))
        start = end
    return found


def _examples(
    nlp: Language, items: Iterable[AnnotatedDocument], max_tokens: int
) -> tuple[list, int]:
    """spaCy Examples, one per paragraph, with the spans under ``"sc"`` (widened to whole
    tokens), and how many spans are longer than ``max_tokens`` tokens (the model cannot
    propose those).

    Paragraphs rather than whole articles: a handful of annotated articles then still gives
    dozens of updates per epoch, and each update scores far fewer candidate spans. A span
    that crosses a paragraph break (rare) is left out.
    """
    from spacy.training import Example

    examples = []
    too_long = 0
    for item in items:
        text = item.document.text
        for start, end in paragraphs(text):
            reference = nlp.make_doc(text[start:end])
            spans = []
            for label, span_start, span_end in item.spans:
                if span_start < start or span_end > end:
                    continue
                span = reference.char_span(
                    span_start - start, span_end - start, label=label, alignment_mode="expand"
                )
                if span is None or not len(span):
                    continue
                too_long += len(span) > max_tokens
                spans.append(span)
            reference.spans[SPANS_KEY] = spans
            examples.append(Example(nlp.make_doc(text[start:end]), reference))
    return examples, too_long


def score_spans(
    predicted: dict[int, set[tuple[str, int, int]]], gold: dict[int, set[tuple[str, int, int]]]
) -> tuple[dict[str, LabelScore], LabelScore]:
    """Exact-match precision, recall and F1 per label, and micro-averaged over labels.

    Both arguments map a document id to its (label, start, end) spans.
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # gold, predicted, correct
    for document_id in set(predicted) | set(gold):
        truth, guess = gold.get(document_id, set()), predicted.get(document_id, set())
        for label, *_ in truth:
            counts[label][0] += 1
        for label, *_ in guess:
            counts[label][1] += 1
        for label, *_ in truth & guess:
            counts[label][2] += 1

    def score(label: str, gold_count: int, predicted_count: int, correct: int) -> LabelScore:
        precision = correct / predicted_count if predicted_count else 0.0
        recall = correct / gold_count if gold_count else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return LabelScore(label, precision, recall, f1, gold_count, predicted_count, correct)

    per_label = {label: score(label, *counts[label]) for label in sorted(counts)}
    totals = [sum(counts[label][i] for label in counts) for i in range(3)]
    return per_label, score("all", *totals)


def _prepare_output(output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise TrainingError(f"{output} is a file; give a folder for the model")
    if output.is_dir() and any(output.iterdir()) and not (output / "config.cfg").is_file():
        raise TrainingError(
            f"{output} is a folder that holds something other than a spaCy pipeline; "
            "give an empty or new folder (a previous model there is replaced)"
        )


def _save(nlp: Language, output: Path) -> None:
    """Write the pipeline next to ``output`` and swap it in, so that a half-written model
    never sits where a working one was."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent))
    try:
        nlp.to_disk(staging)
        if output.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{output.name}-old-", dir=output.parent))
            output.rename(retired / "model")
            staging.rename(output)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def train(
    store: Store,
    output: str | Path,
    options: TrainOptions = TrainOptions(),
    progress: Progress | None = None,
) -> TrainReport:
    """Train a span categorizer on the accepted spans of ``store`` and save it to ``output``.

    Blocking and CPU-bound: the window runs it in a worker thread. ``progress`` gets
    ``("reading" | "training" | "scoring" | "saving", done, total)``; raising
    :class:`Cancelled` from it stops training and leaves ``output`` untouched. Raises
    :class:`TrainingError` when there is nothing to train on or the output folder is not
    one a model may be written to.
    """
    from spacy.util import fix_random_seed, minibatch

    from desktop.nlp.pipelines import PipelineSuggester, forget_pipelines

    progress = progress or no_progress
    started = time.perf_counter()
    output = Path(output).expanduser()
    _prepare_output(output)
    progress("reading", 0, 1)
    items = training_documents(store, options)
    if not items:
        raise TrainingError(
            "there are no accepted spans to train on"
            + (" by the chosen annotators" if options.annotators or options.gold else "")
        )
    train_ids, held_ids = split_documents(
        [item.document.id for item in items], options.held_out, options.seed
    )
    by_id = {item.document.id: item for item in items}
    training = [by_id[i] for i in train_ids]
    held = [by_id[i] for i in held_ids]
    labels = sorted({label for item in items for label, _, _ in item.spans})
    progress("reading", 1, 1)

    fix_random_seed(options.seed)
    nlp = _blank(_language(items, options.language))
    spancat = nlp.add_pipe("spancat", config=_spancat_config(options))
    for label in labels:
        spancat.add_label(label)
    examples, too_long = _examples(nlp, training, options.max_span_tokens)
    optimizer = nlp.initialize(lambda: examples)

    rng = random.Random(options.seed)
    batches_per_epoch = max(1, -(-len(examples) // options.batch_size))
    total = options.epochs * batches_per_epoch
    done = 0
    losses_per_epoch = []
    progress("training", 0, total)
    for _epoch in range(options.epochs):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=options.batch_size):
            nlp.update(batch, drop=options.dropout, sgd=optimizer, losses=losses)
            done += 1
            progress("training", done, total)
        losses_per_epoch.append(round(losses.get("spancat", 0.0), 4))

    scores: dict[str, LabelScore] = {}
    overall = None
    if held:
        suggester = PipelineSuggester(nlp, name=str(output), labels={}, threshold=options.threshold)
        predicted: dict[int, set[tuple[str, int, int]]] = {}
        for index, item in enumerate(held):
            progress("scoring", index, len(held))
            predicted[item.document.id] = {
                s.key for s in suggester.analyse(item.document).suggestions
            }
        progress("scoring", len(held), len(held))
        gold = {item.document.id: set(item.spans) for item in held}
        scores, overall = score_spans(predicted, gold)

    report = TrainReport(
        output=output,
        labels=tuple(labels),
        train_documents=tuple(train_ids),
        held_out_documents=tuple(held_ids),
        train_spans=sum(len(item.spans) for item in training),
        held_out_spans=sum(len(item.spans) for item in held),
        unreachable_spans=too_long,
        epochs=options.epochs,
        losses=tuple(losses_per_epoch),
        scores=scores,
        overall=overall,
        seconds=round(time.perf_counter() - started, 2),
    )
    progress("saving", 0, 1)
    nlp.meta["name"] = "dossier_spans"
    nlp.meta["description"] = (
        "Span categorizer trained by Dossier from the analysts' accepted spans"
    )
    nlp.meta["dossier"] = {
        "trained_at": utcnow(),
        "annotators": list(options.annotators) or (["gold"] if options.gold else "all"),
        "options": {key: value for key, value in asdict(options).items() if key != "annotators"},
        "labels": labels,
        "train_documents": len(train_ids),
        "held_out_documents": len(held_ids),
        "scores": {label: asdict(score) for label, score in scores.items()},
        "overall": asdict(overall) if overall else None,
    }
    _save(nlp, output)
    forget_pipelines()  # a cached copy of an older model at this path is stale now
    progress("saving", 1, 1)
    return report


def uncertainty_scores(
    store: Store,
    source: str | Path,
    document_ids: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> dict[int, float]:
    """The uncertainty of the model ``source`` (path or installed name) about each document
    (see :mod:`desktop.nlp.uncertainty`), for ordering the document list.

    Computed on demand, not stored: scores belong to one model and go stale when it is
    retrained. ``progress`` gets ``("scoring", done, total)``; raising :class:`Cancelled`
    stops it (nothing is written either way). Raises
    :class:`~desktop.nlp.pipelines.PipelineError` when the model is missing or has no span
    categorizer.
    """
    from desktop.nlp.pipelines import PipelineError, pipeline_suggester

    progress = progress or no_progress
    suggester = pipeline_suggester(source)
    if not suggester.has_scores:
        raise PipelineError(
            f"spaCy pipeline {str(source)!r} has no span categorizer, so it has no uncertainty"
        )
    ids = list(document_ids) if document_ids is not None else store.document_ids()
    scores: dict[int, float] = {}
    for index, document_id in enumerate(ids):
        progress("scoring", index, len(ids))
        uncertainty = suggester.analyse(store.document(document_id)).uncertainty
        scores[document_id] = uncertainty or 0.0
    progress("scoring", len(ids), len(ids))
    return scores
