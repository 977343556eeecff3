"""A refused write says what it collided with: the span as a colleague left it (theirs) and
what the write would have made of it (mine), exactly, on SQLite and on PostgreSQL, for
edits, deletions and the undo of each. Nothing is written by a refusal.

Two stores on one project play two windows (tests/db/conftest.py's ``two``).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from db.records import ImportBatch, NewDocument
from db.store import ConflictError, Store

# Emoji with a skin tone, right-to-left script, a combining accent and CRLF: offsets are
# code points, and mine's covered text must be the very characters they name.
TEXT = "Kataib Hezbollah 👍🏽 warned: «الحشد الشعبي» e\u0301lite\r\nforces would resume."
ACTOR = (0, 16)  # "Kataib Hezbollah"
ARABIC = (TEXT.index("الحشد"), TEXT.index("»"))


def setting(store: Store):
    document_id = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[
        0
    ]
    me = store.ensure_annotator("me")
    span = store.add_span(document_id, store.label_by_name("Actor").id, me.id, *ACTOR)
    other = store.add_span(document_id, store.label_by_name("Actor").id, me.id, *ARABIC)
    return document_id, span, other


def rows(store: Store, document_id: int) -> list[tuple]:
    return [
        (s.uuid, s.label, s.start, s.end, s.text, s.note, s.version)
        for s in store.spans(document_id)
    ]


def refusal(call) -> ConflictError:
    with pytest.raises(ConflictError) as raised:
        call()
    return raised.value


# --- an edit -----------------------------------------------------------------------------------


def test_an_edit_after_their_relabel_carries_both_versions(two):
    a, b = two
    document_id, seen, _ = setting(a)
    event = a.label_by_name("Event")
    b.update_span(seen.uuid, 1, label_id=b.label_by_name("Claim").id)
    before = rows(a, document_id)

    error = refusal(lambda: a.update_spans([seen], note="mine"))

    assert error.span_uuid == seen.uuid
    assert error.theirs == b.span(seen.uuid)
    assert error.theirs.label == "Claim" and error.theirs.version == 2
    assert error.mine == replace(seen, note="mine")
    error = refusal(lambda: a.update_span(seen.uuid, 1, label_id=event.id))
    assert error.mine == replace(b.span(seen.uuid), label_id=event.id, label="Event")
    assert rows(a, document_id) == before


@pytest.mark.parametrize(
    "where",
    [
        (TEXT.index("👍"), TEXT.index("👍") + 2),  # the emoji and its skin tone
        ARABIC,
        (TEXT.index("e\u0301"), TEXT.index("\r")),  # a combining accent
        (TEXT.index("lite"), TEXT.index("forces") + 6),  # across the CRLF
    ],
)
def test_a_move_refused_carries_the_text_mine_would_have_covered(two, where):
    a, b = two
    document_id, seen, _ = setting(a)
    b.update_span(seen.uuid, 1, note="theirs")
    start, end = where

    error = refusal(lambda: a.update_span(seen.uuid, expected=seen, start=start, end=end))

    assert error.mine == replace(seen, start=start, end=end, text=TEXT[start:end])
    assert error.theirs.note == "theirs" and error.theirs.text == "Kataib Hezbollah"
    assert a.span(seen.uuid) == error.theirs


def test_an_edit_of_a_span_they_deleted_carries_no_theirs(two):
    a, b = two
    document_id, seen, other = setting(a)
    b.delete_span(seen.uuid, 1)
    before = rows(a, document_id)

    error = refusal(lambda: a.update_spans([other, seen], label_id=a.label_by_name("Event").id))

    assert error.span_uuid == seen.uuid and error.theirs is None
    assert error.mine == replace(seen, label_id=a.label_by_name("Event").id, label="Event")
    assert rows(a, document_id) == before  # the other span was not relabelled either


# --- a deletion --------------------------------------------------------------------------------


def test_a_deletion_after_their_note_carries_theirs_and_no_mine(two):
    a, b = two
    document_id, seen, other = setting(a)
    b.update_span(seen.uuid, 1, note="keep me")
    before = rows(a, document_id)

    error = refusal(lambda: a.delete_spans([other.uuid, seen.uuid], expected=[other, seen]))

    assert (error.span_uuid, error.mine) == (seen.uuid, None)
    assert error.theirs == b.span(seen.uuid) and error.theirs.note == "keep me"
    assert rows(a, document_id) == before


def test_a_deletion_of_a_span_they_deleted_carries_neither(two):
    a, b = two
    _document_id, seen, _ = setting(a)
    b.delete_span(seen.uuid, 1)
    error = refusal(lambda: a.delete_span(seen.uuid, expected=seen))
    assert (error.span_uuid, error.theirs, error.mine) == (seen.uuid, None, None)


# --- undo --------------------------------------------------------------------------------------


def test_the_undo_of_an_edit_after_their_change_carries_what_it_would_put_back(two):
    a, b = two
    document_id, seen, _ = setting(a)
    mine = a.update_spans([seen], label_id=a.label_by_name("Event").id)
    theirs = b.update_span(seen.uuid, 2, start=ARABIC[0] - 2, end=ARABIC[1])
    before = rows(a, document_id)

    error = refusal(lambda: a.put_spans([seen], mine))

    assert (error.span_uuid, error.theirs, error.mine) == (seen.uuid, theirs, seen)
    assert error.theirs.text == TEXT[ARABIC[0] - 2 : ARABIC[1]]
    assert rows(a, document_id) == before

    b.delete_span(seen.uuid, 3)
    error = refusal(lambda: a.put_spans([seen], mine))
    assert (error.span_uuid, error.theirs, error.mine) == (seen.uuid, None, seen)


def test_the_undo_of_a_deletion_they_undid_first_carries_both(two):
    a, b = two
    document_id, seen, _ = setting(a)
    deleted = a.delete_spans([seen.uuid], expected=[seen])
    b.restore_spans(deleted)  # put back elsewhere (the same snapshot)
    theirs = b.update_span(seen.uuid, 1, note="back, and noted")
    before = rows(a, document_id)

    error = refusal(lambda: a.restore_spans(deleted))

    assert (error.span_uuid, error.theirs, error.mine) == (seen.uuid, theirs, seen)
    assert rows(a, document_id) == before


def test_the_undo_of_a_tag_they_changed_carries_theirs_and_no_mine(two):
    a, b = two
    document_id, seen, _ = setting(a)
    theirs = b.update_span(seen.uuid, 1, note="theirs now")
    before = rows(a, document_id)

    error = refusal(lambda: a.delete_span(seen.uuid, expected=seen))  # AddSpan's undo

    assert (error.span_uuid, error.theirs, error.mine) == (seen.uuid, theirs, None)
    assert rows(a, document_id) == before


def test_a_conflict_about_no_single_span_names_none(two):
    a, b = two
    _document_id, seen, other = setting(a)
    relation = a.add_relation(seen.uuid, other.uuid, "related", seen.annotator_id)
    b.delete_relation(relation.uuid)
    error = refusal(lambda: a.restore_relations([], remove=[relation.uuid]))
    assert (error.span_uuid, error.theirs, error.mine) == (None, None, None)
