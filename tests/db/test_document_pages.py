"""The document list's queries: its orders, its filter and its pages, on SQLite and
PostgreSQL, against the same list sorted and filtered in Python."""

from __future__ import annotations

import string

import pytest

from db.records import ImportBatch, NewDocument, NewSpan, NewState
from db.store import StoreError
from db.store.documents import LIST_ORDERS, STATUS_WORDS

# Titles with ties, case that differs only in A-Z or beyond it, emoji, combining marks,
# right-to-left script, and the characters LIKE would take as wildcards.
TITLES = [
    "Strike on Baghdad",
    "strike on baghdad",
    "",
    "Éclair report",
    "éclair report",
    "👍🏽 thumbs",
    "Cafe\u0301 talks",
    "حزب الله statement",
    "50% of troops",
    "500 of troops",
    "a_b test",
    "axb test",
    'it\'s "quoted"',
    "back\\slash",
    "Zulu",
    "zulu",
    "",
    "\U0001f600 grin",
    "\uffff last of the plane",
    "Strike on Baghdad",
]
SOURCES = ["AP", "ap", None, "Reuters", "", "Al-Monitor", None, "AP"]
DATES = ["2024-01-02T10:00:00", "2023-12-31", None, "2024-01-02", "", "2024-1-2"]
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def project(store):
    """Documents with spans of two annotators (some suggested or rejected) and one's
    progress on some; returns (my id, the other's id)."""
    documents = []
    for number, title in enumerate(TITLES):
        text = f"Article {number}: {title} with some words to tag."
        spans = [
            NewSpan(
                ("Claim", "Actor", "Event")[k % 3],
                k,
                k + 5,
                ("me", "other")[k % 2],
                status=("accepted", "accepted", "suggested", "rejected")[(k + number) % 4],
            )
            for k in range(number % 7)
        ]
        states = []
        if number % 3:
            states.append(NewState("me", ("in_progress", "done")[number % 2]))
        if number % 5 == 0:
            states.append(NewState("other", "done"))
        documents.append(
            NewDocument(
                text=text,
                title=title,
                source=SOURCES[number % len(SOURCES)],
                published=DATES[number % len(DATES)],
                spans=spans,
                states=states,
            )
        )
    store.import_batch(ImportBatch(documents=documents))
    return store.ensure_annotator("me").id, store.ensure_annotator("other").id


def expected_rows(store, me: int, layers: list[int]):
    """The list as Python builds it from list_documents: (id, shown texts, spans, status)."""
    mine = {row.id: row for row in store.list_documents(me)}
    counts = dict.fromkeys(mine, 0)
    for layer in layers:
        for row in store.list_documents(layer):
            counts[row.id] += row.span_count
    return [
        {
            "id": row.id,
            "title": row.title or "(untitled)",
            "source": row.source or "",
            "date": (row.published or "")[:10],
            "spans": counts[row.id],
            "status": row.status,
        }
        for row in sorted(mine.values(), key=lambda r: r.id)
    ]


def python_order(rows, order: str, descending: bool) -> list[int]:
    if order == "list":
        ids = [row["id"] for row in rows]
        return ids[::-1] if descending else ids
    if order == "spans":

        def key(row):
            return row["spans"]
    elif order == "status":

        def key(row):
            return ("not_started", "in_progress", "done").index(row["status"])
    else:

        def key(row):
            return row[order].translate(ASCII_LOWER)

    # Python's sort is stable in both directions: ties keep the order of import.
    return [row["id"] for row in sorted(rows, key=key, reverse=descending)]


def python_filter(rows, needle: str) -> list[int]:
    needle = needle.lower()
    return [
        row["id"]
        for row in rows
        if any(
            needle in shown.lower()
            for shown in (
                row["title"],
                row["source"],
                row["date"],
                str(row["spans"]),
                STATUS_WORDS[row["status"]],
            )
        )
    ]


@pytest.mark.parametrize("descending", [False, True])
def test_every_order_is_pythons_with_ties_in_the_order_of_import(store, descending):
    me, other = project(store)
    for layers in ([me], [me, other]):
        rows = expected_rows(store, me, layers)
        for order in LIST_ORDERS:
            got = store.document_order(me, layers, order=order, descending=descending)
            assert got == python_order(rows, order, descending), (order, layers)


def test_titles_sort_by_code_point_with_only_a_to_z_lowered(store):
    me, _ = project(store)
    titles = {
        summary.id: summary.title or "(untitled)"
        for summary in store.document_summaries(store.document_ids(), me, [me])
    }
    shown = [titles[i] for i in store.document_order(me, [me], order="title")]
    assert shown[:2] == ["(untitled)", "(untitled)"]
    assert shown.index("50% of troops") < shown.index("500 of troops")  # "%" before "0"
    # "É" is not lowered, so it sorts after every A-Z word; U+FFFF comes before the
    # emoji (code points, not UTF-16 units).
    assert shown[-6:] == [
        "Éclair report",
        "éclair report",
        "حزب الله statement",
        "\uffff last of the plane",
        "👍🏽 thumbs",
        "\U0001f600 grin",
    ]
    strikes = [i for i in store.document_order(me, [me], order="title") if "trike" in titles[i]]
    assert strikes == sorted(strikes)  # three equal keys: in the order of import


@pytest.mark.parametrize(
    "needle",
    [
        "strike",
        "STRIKE ON",
        "50%",
        "%",
        "a_b",
        "_",
        "it's",
        '"quoted"',
        "\\",
        "éclair",
        "ÉCLAIR",
        "👍🏽",
        "\u0301",
        "الله",
        "untitled",
        "done",
        "in progress",
        "not started",
        "ap",
        "2024-01",
        "2",
        "0",
        "nothing like this",
    ],
)
def test_the_filter_is_pythons_substring_ignoring_case(store, needle):
    me, other = project(store)
    rows = expected_rows(store, me, [me, other])
    expected = python_filter(rows, needle)
    assert bool(expected) == (needle != "nothing like this")
    assert store.document_order(me, [me, other], contains=needle) == expected
    assert store.count_listed(me, [me, other], needle) == len(expected)
    by_title = store.document_order(me, [me, other], order="title", contains=needle)
    assert sorted(by_title) == sorted(expected)


def test_the_filter_takes_percent_and_underscore_literally(store):
    me, _ = project(store)
    titles = {s.id: s.title for s in store.document_summaries(store.document_ids(), me, [me])}
    assert [titles[i] for i in store.document_order(me, [me], contains="50%")] == ["50% of troops"]
    assert [titles[i] for i in store.document_order(me, [me], contains="a_b")] == ["a_b test"]


def test_pages_are_slices_of_the_order(store):
    me, other = project(store)
    for order in LIST_ORDERS:
        ids = store.document_order(me, [me, other], order=order, descending=True, contains="o")
        pages = [
            [
                s.id
                for s in store.document_page(
                    me,
                    [me, other],
                    order=order,
                    descending=True,
                    contains="o",
                    offset=offset,
                    limit=3,
                )
            ]
            for offset in range(0, len(ids) + 3, 3)
        ]
        assert [i for page in pages for i in page] == ids
        assert all(len(page) <= 3 for page in pages) and pages[-1] == []


def test_summaries_of_chosen_documents_in_the_order_asked(store):
    me, other = project(store)
    rows = {row["id"]: row for row in expected_rows(store, me, [me, other])}
    ids = store.document_ids()
    wanted = [ids[5], ids[0], 10**9, ids[-1]]
    summaries = store.document_summaries(wanted, me, [me, other])
    assert [s.id for s in summaries] == [ids[5], ids[0], ids[-1]]
    for summary in summaries:
        assert summary.span_count == rows[summary.id]["spans"]
        assert summary.status == rows[summary.id]["status"]
        assert summary.length == len(store.document(summary.id).text)
    assert store.document_summaries([], me, [me]) == []


def test_the_order_of_import_read_a_part_at_a_time(store):
    me, _ = project(store)
    ids = store.document_order(me, [me])
    parts, after = [], None
    while True:
        part = store.document_order(me, [me], after_id=after, limit=6)
        if not part:
            break
        parts.append(part)
        after = part[-1]
    assert [i for part in parts for i in part] == ids and len(parts) == 4
    with pytest.raises(StoreError, match="a part at a time"):
        store.document_order(me, [me], order="title", after_id=ids[0])
    with pytest.raises(StoreError, match="unknown order"):
        store.document_order(me, [me], order="length")


def test_a_status_change_is_in_the_next_read(store):
    me, other = project(store)
    first = store.document_ids()[0]
    store.set_document_status(first, me, "done")
    [summary] = store.document_summaries([first], me, [me, other])
    assert summary.status == "done"
    done = store.document_order(me, [me], contains="done")
    assert first in done
    assert store.document_order(other, [me], order="status")[-1] in {
        i for i in store.document_ids() if store.document_status(i, other) == "done"
    }
