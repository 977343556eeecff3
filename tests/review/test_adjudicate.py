"""Adjudication into gold: take, edit, reject, accept-all, undo and redo, progress after reopening.

Every test runs on SQLite and PostgreSQL and checks the gold layer and the review decisions
as the database holds them.
"""

from __future__ import annotations

import pytest

from db.store import Store
from desktop.review.adjudicate import (
    AcceptAgreed,
    ReviewSession,
    TakeSide,
    decision_item_keys,
)
from desktop.review.compare import ReviewError
from tests.review.conftest import TEXT, add_document, at

SPANS = {
    "a": [
        ("Actor", "Joe Biden"),
        ("Actor", "the US military"),
        ("Event", "struck"),
        ("Event", "Wednesday"),
    ],
    "b": [
        ("Actor", "Joe Biden"),
        ("Actor", "US military"),
        ("Event", "struck"),
        ("Actor", "Kataib Hezbollah"),
        ("Actor", "Wednesday"),
    ],
}


@pytest.fixture
def document_id(store):
    return add_document(store, TEXT, SPANS)


@pytest.fixture
def session(store, document_id):
    return ReviewSession(store, ["a", "b"], [document_id], reviewer="rita")


def item_at(session, words):
    start, end = at(TEXT, words)
    found = [item for item in session.items if item.start == start and item.end == end]
    assert len(found) == 1, (words, session.items)
    return found[0]


def gold_spans(store, document_id):
    gold = store.gold_annotator()
    return [
        (span.label, span.text, span.origin)
        for span in store.spans(document_id, annotator_ids=[gold.id])
    ]


def test_the_session_lists_every_item_with_its_kind(session):
    assert [(item.kind, TEXT[item.start : item.end]) for item in session.items] == [
        ("agreed", "Joe Biden"),
        ("boundary", "the US military"),
        ("agreed", "struck"),
        ("missing", "Kataib Hezbollah"),
        ("label", "Wednesday"),
    ]
    progress = session.progress()
    assert (progress.reviewed, progress.total) == (0, 5)
    assert progress.per_kind["agreed"] == (0, 2)


def test_taking_a_side_writes_its_spans_to_gold_and_records_the_decision(
    store, session, document_id
):
    item = item_at(session, "the US military")
    command = session.take(item, "b", note="the article means the armed forces")
    assert isinstance(command, TakeSide) and command.applied
    assert gold_spans(store, document_id) == [("Actor", "US military", "review")]
    [decision] = store.review_decisions([document_id])
    assert decision.reviewer == "rita"
    assert (decision.kind, decision.action) == ("boundary", "take")
    assert decision.note == "the article means the armed forces"
    assert decision.outcome_uuid == command.written[0].uuid
    assert decision_item_keys(decision) == {item.key}
    entries = {
        (e["role"], e["annotator"], e.get("text"), e.get("taken")) for e in decision.candidates
    }
    assert entries == {
        ("candidate", "a", "the US military", False),
        ("candidate", "b", "US military", True),
        ("outcome", "gold", "US military", None),
    }
    assert session.is_reviewed(item)
    assert session.decision(item).uuid == decision.uuid
    assert [span.uuid for span in session.outcome(item)] == [decision.outcome_uuid]
    assert (session.progress().reviewed, session.progress().total) == (1, 5)


def test_editing_writes_the_reviewers_own_span(store, session, document_id):
    item = item_at(session, "Wednesday")
    start, end = at(TEXT, "on Wednesday")
    session.edit(item, "event", start, end)
    assert gold_spans(store, document_id) == [("Event", "on Wednesday", "review")]
    [decision] = store.review_decisions([document_id])
    assert (decision.kind, decision.action) == ("label", "edit")
    outcome = [e for e in decision.candidates if e["role"] == "outcome"]
    assert [(e["label"], e["start"], e["end"], e["text"]) for e in outcome] == [
        ("Event", start, end, "on Wednesday")
    ]


def test_rejecting_leaves_gold_empty_but_records_the_decision(store, session, document_id):
    item = item_at(session, "Kataib Hezbollah")
    session.reject(item)
    assert gold_spans(store, document_id) == []
    [decision] = store.review_decisions([document_id])
    assert (decision.kind, decision.action, decision.outcome_uuid) == ("missing", "reject", None)
    assert {(e["role"], e["annotator"]) for e in decision.candidates} == {
        ("candidate", "b"),
        ("absent", "a"),
    }
    assert session.is_reviewed(item)


def test_taking_the_side_that_has_nothing_is_recorded_as_such(store, session, document_id):
    item = item_at(session, "Kataib Hezbollah")
    session.take(item, "a")
    assert gold_spans(store, document_id) == []
    [decision] = store.review_decisions([document_id])
    assert decision.action == "take"
    assert {(e["role"], e["annotator"], e["taken"]) for e in decision.candidates} == {
        ("candidate", "b", False),
        ("absent", "a", True),
    }


def test_accepting_agreed_spans_is_one_step_and_one_undo(store, session, document_id):
    command = session.accept_agreed()
    assert isinstance(command, AcceptAgreed)
    assert sorted(gold_spans(store, document_id)) == [
        ("Actor", "Joe Biden", "review"),
        ("Event", "struck", "review"),
    ]
    decisions = store.review_decisions([document_id])
    assert sorted((d.kind, d.action) for d in decisions) == [("agreed", "accept")] * 2
    assert session.progress().per_kind["agreed"] == (2, 2)
    assert session.accept_agreed() is None  # nothing left to accept

    written = sorted(span.uuid for span in command.written)
    command.undo()
    assert gold_spans(store, document_id) == []
    assert store.review_decisions([document_id]) == []
    assert session.progress().reviewed == 0

    command.redo()
    gold = store.gold_annotator()
    assert sorted(s.uuid for s in store.spans(document_id, annotator_ids=[gold.id])) == written
    assert len(store.review_decisions([document_id])) == 2
    assert session.progress().reviewed == 2


def test_undo_and_redo_of_one_decision(store, session, document_id):
    item = item_at(session, "the US military")
    command = session.take(item, "a")
    with pytest.raises(ReviewError, match="already applied"):
        command.redo()
    command.undo()
    assert gold_spans(store, document_id) == []
    assert store.review_decisions([document_id]) == []
    assert not session.is_reviewed(item)
    with pytest.raises(ReviewError, match="not applied"):
        command.undo()
    command.redo()
    assert gold_spans(store, document_id) == [("Actor", "the US military", "review")]
    assert [d.action for d in store.review_decisions([document_id])] == ["take"]


def test_deciding_again_replaces_the_gold_outcome_and_undo_brings_it_back(
    store, session, document_id
):
    item = item_at(session, "the US military")
    first = session.take(item, "a")
    second = session.take(item, "b")
    assert gold_spans(store, document_id) == [("Actor", "US military", "review")]
    assert [deleted.span.uuid for deleted in second.removed] == [first.written[0].uuid]
    history = store.review_decisions([document_id])
    assert [d.uuid for d in history] == [first.decisions[0].uuid, second.decisions[0].uuid]
    assert session.decision(item).uuid == second.decisions[0].uuid

    second.undo()
    gold = store.gold_annotator()
    assert [s.uuid for s in store.spans(document_id, annotator_ids=[gold.id])] == [
        first.written[0].uuid
    ]
    assert session.decision(item).uuid == first.decisions[0].uuid
    second.redo()
    assert gold_spans(store, document_id) == [("Actor", "US military", "review")]
    second.undo()
    first.undo()
    assert gold_spans(store, document_id) == []
    assert not session.is_reviewed(item)


def test_progress_and_decisions_survive_reopening_the_project(db_url, store, document_id):
    session = ReviewSession(store, ["a", "b"], reviewer="rita")
    session.accept_agreed()
    boundary = item_at(session, "the US military")
    session.take(boundary, "b")
    store.close()

    with Store.open(db_url) as reopened:
        again = ReviewSession(reopened, ["b", "a"], reviewer="sam")
        assert (again.progress().reviewed, again.progress().total) == (3, 5)
        item = item_at(again, "the US military")
        assert item.key == boundary.key
        assert again.decision(item).reviewer == "rita"
        assert [s.text for s in again.outcome(item)] == ["US military"]
        assert [TEXT[i.start : i.end] for i in again.pending()] == ["Kataib Hezbollah", "Wednesday"]
        assert TEXT[again.next_pending(after=item).start : again.next_pending(after=item).end] == (
            "Kataib Hezbollah"
        )
        # re-deciding after the restart still replaces the earlier outcome
        again.reject(item)
        assert gold_spans(reopened, document_id) == [
            ("Actor", "Joe Biden", "review"),
            ("Event", "struck", "review"),
        ]


def test_an_item_whose_spans_change_is_open_again(store, session, document_id):
    item = item_at(session, "the US military")
    session.take(item, "a")
    start, end = at(TEXT, "military")
    store.update_span(item.spans_of("b")[0].uuid, start=start, end=end)
    session.refresh()
    changed = item_at(session, "the US military")
    assert changed.key != item.key and not session.is_reviewed(changed)
    assert session.progress().reviewed == 0


def test_refused_decisions_write_nothing(store, session, document_id):
    item = item_at(session, "Wednesday")
    with pytest.raises(ReviewError, match="'zed' is not one of the annotators compared"):
        session.take(item, "zed")
    with pytest.raises(ReviewError, match="no label called 'Place'"):
        session.edit(item, "Place", 0, 3)
    with pytest.raises(ReviewError, match=f"does not fit document {document_id}"):
        session.edit(item, "Actor", 70, 500)
    assert gold_spans(store, document_id) == []
    assert store.review_decisions([document_id]) == []
    with pytest.raises(ReviewError, match="gold layer"):
        ReviewSession(store, ["a", "b"], reviewer="gold")


def test_next_pending_walks_the_disagreements_and_wraps_round(session):
    kinds = ["missing", "label", "boundary"]
    first = session.next_pending(kinds=kinds)
    assert TEXT[first.start : first.end] == "the US military"
    second = session.next_pending(after=first, kinds=kinds)
    assert TEXT[second.start : second.end] == "Kataib Hezbollah"
    session.reject(second)
    third = session.next_pending(after=second, kinds=kinds)
    assert TEXT[third.start : third.end] == "Wednesday"
    assert session.next_pending(after=third, kinds=kinds) == first
