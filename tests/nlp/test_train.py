"""Training a tiny span categorizer from accepted spans, loading it, and its uncertainty.

The training data is generated: short articles in which a few actors say things about
events, so that a small model learns them in a few seconds.
"""

from __future__ import annotations

import json
import random

import pytest

from db.records import ImportBatch, NewDocument, NewSpan
from desktop.nlp.pipelines import pipeline_suggester
from desktop.nlp.suggest import suggest
from desktop.nlp.train import (
    TrainingError,
    TrainOptions,
    score_spans,
    split_documents,
    train,
    uncertainty_scores,
)
from desktop.nlp.uncertainty import document_uncertainty, rank_by_uncertainty
from desktop.progress import Cancelled

ACTORS = ["Kataib Hezbollah", "the Pentagon", "Joe Biden", "Hamas", "Harakat al-Nujaba", "CENTCOM"]
PLACES = ["Baghdad", "Erbil", "Damascus", "Gaza", "Jordan"]


def generated_article(rng: random.Random, annotate: bool) -> NewDocument:
    """A few sentences; when ``annotate``, analyst "gen" tagged every actor and attack."""
    parts: list[str] = []
    spans: list[NewSpan] = []
    for _ in range(4):
        actor, place = rng.choice(ACTORS), rng.choice(PLACES)
        start = sum(len(p) for p in parts)
        sentence = f"{actor} said the attack on {place} was a mistake. "
        parts.append(sentence)
        spans.append(NewSpan("Actor", start, start + len(actor), annotator="gen"))
        event = sentence.index("the attack")
        spans.append(
            NewSpan(
                "Event",
                start + event,
                start + event + len(f"the attack on {place}"),
                annotator="gen",
            )
        )
    text = "".join(parts).strip()
    return NewDocument(text=text, spans=spans if annotate else [])


@pytest.fixture
def trained_store(memory_store):
    rng = random.Random(3)
    documents = [generated_article(rng, annotate=index < 16) for index in range(20)]
    memory_store.import_batch(ImportBatch(documents=documents))
    return memory_store


@pytest.mark.slow
def test_a_tiny_span_model_trains_scores_held_out_documents_and_suggests(trained_store, tmp_path):
    output = tmp_path / "model"
    phases = []
    report = train(
        trained_store,
        output,
        TrainOptions(epochs=12, held_out=0.25, seed=1, max_span_tokens=6),
        lambda phase, done, total: phases.append(phase),
    )
    assert report.labels == ("Actor", "Event")
    assert len(report.train_documents) == 12 and len(report.held_out_documents) == 4
    assert set(report.train_documents).isdisjoint(report.held_out_documents)
    assert report.losses[-1] < report.losses[0]
    assert {"reading", "training", "scoring", "saving"} <= set(phases)
    assert report.overall is not None and report.overall.gold == 4 * 8
    assert report.scores["Actor"].f1 > 0.8 and report.scores["Event"].f1 > 0.8
    meta = json.loads((output / "meta.json").read_text(encoding="utf-8"))
    assert meta["dossier"]["labels"] == ["Actor", "Event"]

    suggester = pipeline_suggester(output)
    assert suggester.has_scores
    text = "Hamas said the attack on Erbil was a mistake."
    analysis = suggester.analyse_text(text)
    keys = {s.key for s in analysis.suggestions}
    assert ("Actor", 0, 5) in keys
    assert ("Event", text.index("the attack"), text.index(" was")) in keys
    assert all(0.5 <= s.confidence <= 1 for s in analysis.suggestions)
    assert 0 <= analysis.uncertainty <= 1

    unannotated = [i for i in trained_store.document_ids() if not trained_store.spans(i)]
    summary = suggest(trained_store, unannotated, "ana", source=str(output))
    assert summary.added > 0 and summary.origin == "model"
    assert set(summary.uncertainty) == set(unannotated)
    scores = uncertainty_scores(trained_store, output, unannotated)
    assert scores == pytest.approx(summary.uncertainty)


@pytest.mark.slow
def test_cancelling_training_writes_no_model(trained_store, tmp_path):
    output = tmp_path / "model"

    def progress(phase, done, total):
        if phase == "training" and done == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        train(trained_store, output, TrainOptions(epochs=3), progress)
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_nothing_to_train_on_is_a_clear_error(memory_store, tmp_path):
    memory_store.import_batch(ImportBatch(documents=[NewDocument(text="No spans here.")]))
    with pytest.raises(TrainingError, match="no accepted spans"):
        train(memory_store, tmp_path / "m")
    with pytest.raises(TrainingError, match="no annotator called 'nobody'"):
        train(memory_store, tmp_path / "m", TrainOptions(annotators=("nobody",)))


def test_a_folder_holding_other_things_is_not_overwritten(trained_store, tmp_path):
    (tmp_path / "keep.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(TrainingError, match="other than a spaCy pipeline"):
        train(trained_store, tmp_path)
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "precious"


def test_the_split_is_seeded_and_keeps_a_document_on_each_side():
    train_ids, held = split_documents(range(1, 11), 0.2, seed=5)
    assert len(held) == 2 and sorted(train_ids + held) == list(range(1, 11))
    assert split_documents(range(1, 11), 0.2, seed=5) == (train_ids, held)
    assert split_documents([1, 2], 0.1, seed=0)[1] != []  # at least one held out
    assert split_documents([7], 0.5, seed=0) == ([7], [])  # but never the only one
    with pytest.raises(TrainingError):
        split_documents([1, 2], 1.0, seed=0)


def test_scores_are_exact_matches_per_label():
    gold = {1: {("Actor", 0, 5), ("Event", 10, 20)}, 2: {("Actor", 3, 4)}}
    predicted = {1: {("Actor", 0, 5), ("Event", 10, 19)}, 2: {("Actor", 3, 4), ("Actor", 6, 9)}}
    per_label, overall = score_spans(predicted, gold)
    actor = per_label["Actor"]
    assert (actor.gold, actor.predicted, actor.correct) == (2, 3, 2)
    assert actor.precision == pytest.approx(2 / 3) and actor.recall == 1.0
    assert actor.f1 == pytest.approx(0.8)
    assert (per_label["Event"].precision, per_label["Event"].recall) == (0.0, 0.0)
    assert (overall.gold, overall.predicted, overall.correct) == (3, 4, 2)


def test_uncertainty_is_the_mean_of_the_closest_calls():
    assert document_uncertainty([]) == 0.0
    assert document_uncertainty([0.0, 1.0, 1.0]) == 0.0
    assert document_uncertainty([0.5]) == 1.0
    # margins 1 - |2p - 1|: 0.2 → 0.4, 0.9 → 0.2, 0.5 → 1.0, 0.01 → 0.02; the top two count
    assert document_uncertainty([[0.2, 0.9], [0.5, 0.01]], top=2) == pytest.approx((1.0 + 0.4) / 2)


def test_documents_are_ranked_most_uncertain_first():
    assert rank_by_uncertainty({4: 0.1, 2: 0.9, 7: None, 3: 0.9, 5: 0.0}) == [2, 3, 4, 5, 7]
