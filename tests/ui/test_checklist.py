"""The choice of annotators and documents that review mode and the agreement dialog share."""

from __future__ import annotations

from db.records import AnnotatorRecord, DocumentRecord
from desktop.ui import checklist

PEOPLE = [
    AnnotatorRecord(1, "gold", True),
    AnnotatorRecord(2, "me", False),
    AnnotatorRecord(3, "analyst_a", False),
    AnnotatorRecord(4, "analyst_b", False),
]


def ticked(rows):
    return [name for name, _, tick in rows if tick]


def test_everyone_but_me_and_gold_is_ticked_at_first_and_gold_comes_last():
    rows = checklist.annotators_to_compare(PEOPLE, "me", [], gold=True)
    assert [name for name, _, _ in rows] == ["me", "analyst_a", "analyst_b", "gold"]
    assert ticked(rows) == ["analyst_a", "analyst_b"]
    rows = checklist.annotators_to_compare(PEOPLE, "me", [], gold=False)
    assert [name for name, _, _ in rows] == ["me", "analyst_a", "analyst_b"]


def test_what_was_ticked_stays_ticked_and_too_few_others_ticks_everyone():
    rows = checklist.annotators_to_compare(PEOPLE, "me", ["me", "gold"], gold=True)
    assert ticked(rows) == ["me", "gold"]
    pair = [AnnotatorRecord(1, "me", False), AnnotatorRecord(2, "analyst_a", False)]
    assert ticked(checklist.annotators_to_compare(pair, "me", [], gold=False)) == [
        "me",
        "analyst_a",
    ]
    # names no longer in the project count as nothing ticked
    assert ticked(checklist.annotators_to_compare(pair, "me", ["gone"], gold=False)) == [
        "me",
        "analyst_a",
    ]


def test_the_scope_is_all_documents_or_only_the_open_one(qapp):
    from PySide6.QtWidgets import QComboBox

    combo = QComboBox()
    checklist.fill_scope(combo, 5, None, "open")
    assert [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] == [
        ("All documents (5)", None)
    ]
    title = "A  long\ntitle " + "x" * 40
    document = DocumentRecord(7, "hash", title, "text", None, None, None, "en", {}, None, "now")
    checklist.fill_scope(combo, 5, document, [7])
    assert combo.count() == 2
    assert combo.itemText(1) == f"Only “A long title {'x' * 26}…”"
    assert combo.itemData(1) == [7]
