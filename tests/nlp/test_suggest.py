"""Writing suggestions for an analyst: no duplicates, rejected stays rejected, stale ones
replaced, accepted ones untouched, cancellation between documents. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from db.records import ImportBatch, NewDocument, NewSpan
from desktop.nlp.rules import KnownName, RuleSuggester
from desktop.nlp.spans import Analysis, Suggestion
from desktop.nlp.suggest import keep_new, make_suggester, suggest, suggest_document
from desktop.progress import Cancelled

TEXT = (
    "Kataib Hezbollah said the strike on Baghdad was illegal.\n"
    "The US military conducted a precision missile strike Wednesday night."
)
OTHER = "Officials said the talks in Geneva would resume. Kataib Hezbollah denied it."


def add_documents(store, *texts, spans=()):
    summary = store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(text=t, published="2024-02-08", spans=list(spans)) for t in texts
            ]
        )
    )
    return summary.document_ids


def where(text, words):
    start = text.index(words)
    return start, start + len(words)


def pending(store, document_id, annotator="ana"):
    return [
        span
        for span in store.spans(document_id)
        if span.annotator == annotator and span.status == "suggested"
    ]


def test_suggestions_are_written_as_the_analysts_pending_spans(store):
    ids = add_documents(
        store, TEXT, spans=[NewSpan("Actor", *where(TEXT, "Kataib Hezbollah"), annotator="b")]
    )
    summary = suggest(store, ids, "ana")
    assert summary.done == ids and not summary.cancelled
    written = pending(store, ids[0])
    assert summary.added == len(written) > 0 and summary.changed == ids
    assert {s.origin for s in written} == {"rules"}
    by_text = {(s.label, s.text): s for s in written}
    assert ("Claim", "the strike on Baghdad was illegal") in by_text
    assert ("Actor", "Kataib Hezbollah") in by_text  # analyst b's actor, propagated to ana
    event = by_text[("Event", "a precision missile strike Wednesday night")]
    assert event.attributes == {"date": "2024-02-07"}
    assert sum(summary.per_label.values()) == summary.added


def test_running_again_adds_nothing_and_keeps_the_same_spans(store):
    ids = add_documents(store, TEXT)
    suggest(store, ids, "ana")
    before = {s.uuid for s in pending(store, ids[0])}
    again = suggest(store, ids, "ana")
    assert again.added == 0 and again.removed == 0 and again.skipped == len(before)
    assert {s.uuid for s in pending(store, ids[0])} == before


def test_a_rejected_suggestion_is_not_suggested_again(store):
    ids = add_documents(store, TEXT)
    suggest(store, ids, "ana")
    claim = next(s for s in pending(store, ids[0]) if s.label == "Claim")
    store.set_span_status([claim.uuid], "rejected")
    suggest(store, ids, "ana")
    same = [
        s
        for s in store.spans(ids[0])
        if (s.label, s.start, s.end) == ("Claim", claim.start, claim.end)
    ]
    assert [(s.uuid, s.status) for s in same] == [(claim.uuid, "rejected")]


def test_accepting_a_suggestion_makes_it_the_analysts_span_and_nothing_overlapping_returns(store):
    ids = add_documents(store, TEXT)
    suggest(store, ids, "ana")
    event = next(s for s in pending(store, ids[0]) if s.text.startswith("a precision"))
    [accepted] = store.set_span_status([event.uuid], "accepted")
    assert (accepted.annotator, accepted.status, accepted.origin) == ("ana", "accepted", "rules")
    store.update_span(accepted.uuid, end=accepted.end - len(" night"))  # the analyst trims it
    suggest(store, ids, "ana")
    events = [
        (s.uuid, s.status)
        for s in store.spans(ids[0])
        if s.label == "Event" and s.annotator == "ana" and s.end > event.start
    ]
    assert events == [(event.uuid, "accepted")]


def test_stale_pending_suggestions_are_replaced_but_decided_ones_stay(store):
    ids = add_documents(store, TEXT)
    stale = store.add_spans(
        ids[0],
        [
            NewSpan("Actor", 0, 6, annotator="ana", status="suggested", origin="rules"),
            NewSpan("Claim", 0, 6, annotator="ana", status="rejected", origin="rules"),
            NewSpan("Event", 0, 6, annotator="ana", status="suggested", origin="model"),
        ],
    )
    summary = suggest(store, ids, "ana")
    assert summary.removed == 1
    left = {s.uuid for s in store.spans(ids[0])}
    assert stale[0].uuid not in left and stale[1].uuid in left and stale[2].uuid in left
    kept = suggest(store, ids, "ana", replace=False)
    assert kept.removed == 0


def test_another_analysts_suggestions_are_separate(store):
    ids = add_documents(store, TEXT)
    first = suggest(store, ids, "ana")
    second = suggest(store, ids, "ben")
    assert second.added == first.added
    assert len(pending(store, ids[0], "ben")) == len(pending(store, ids[0], "ana"))


def test_cancelling_between_documents_writes_only_the_finished_ones(store):
    ids = add_documents(store, TEXT, OTHER, "A third article, said nobody.")

    def progress(phase, done, total):
        if phase == "suggesting" and done == 1:
            raise Cancelled

    summary = suggest(store, ids, "ana", progress=progress)
    assert summary.cancelled and summary.done == [ids[0]]
    assert pending(store, ids[0]) and not pending(store, ids[1]) and not pending(store, ids[2])


def test_cancelling_before_anything_writes_nothing(memory_store):
    ids = add_documents(memory_store, TEXT)

    def progress(phase, done, total):
        raise Cancelled

    summary = suggest(memory_store, ids, "ana", progress=progress)
    assert summary.cancelled and summary.done == [] and memory_store.stats()["per_status"] == {}


def test_suggest_document_computes_without_writing(memory_store):
    ids = add_documents(memory_store, TEXT)
    suggester = make_suggester(memory_store)
    analysis = suggest_document(memory_store, ids[0], "ana", suggester)
    assert analysis.suggestions and memory_store.stats()["per_status"] == {}
    assert "ana" not in {a.name for a in memory_store.annotators()}
    suggest(memory_store, ids, "ana", suggester=suggester)
    assert suggest_document(memory_store, ids[0], "ana", suggester).suggestions == []


def test_every_document_is_the_default(memory_store):
    ids = add_documents(memory_store, TEXT, OTHER)
    assert suggest(memory_store, None, "ana").done == ids


def test_keep_new_drops_what_the_analyst_has(memory_store):
    [document_id] = add_documents(memory_store, TEXT)
    mine = memory_store.add_spans(
        document_id,
        [
            NewSpan("Claim", 0, 20, annotator="ana", status="accepted", origin="manual"),
            NewSpan("Event", 30, 40, annotator="ana", status="rejected", origin="rules"),
        ],
    )
    offered = [
        Suggestion("claim", 10, 30, "x"),  # overlaps an accepted claim (labels match in any case)
        Suggestion("Actor", 10, 30, "x"),  # another label: fine
        Suggestion("Event", 30, 40, "x"),  # rejected before
        Suggestion("Event", 31, 40, "x"),  # overlapping a rejected one is fine
        Suggestion("Event", 31, 40, "y"),  # a duplicate
    ]
    kept, dropped = keep_new(offered, mine)
    assert [(s.label, s.start, s.end) for s in kept] == [("Actor", 10, 30), ("Event", 31, 40)]
    assert dropped == 3


def test_a_suggester_object_is_used_as_given(memory_store):
    ids = add_documents(memory_store, OTHER)

    class Fixed:
        origin = "model"
        name = "fixed"

        def analyse(self, document):
            return Analysis([Suggestion("Actor", 0, 9, "model", confidence=0.75)], uncertainty=0.5)

    summary = suggest(memory_store, ids, "ana", suggester=Fixed())
    [span] = pending(memory_store, ids[0])
    assert (span.text, span.origin, span.confidence) == ("Officials", "model", 0.75)
    assert summary.uncertainty == {ids[0]: 0.5} and summary.source == "fixed"


def test_an_unknown_document_is_an_error(memory_store):
    from db.store import StoreError

    with pytest.raises(StoreError):
        suggest(memory_store, [42], "ana", suggester=RuleSuggester([KnownName("x", "Actor")]))
