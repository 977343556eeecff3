"""Corpus search without Qt: the matcher's options, exact offsets in text with emoji,
combining marks, right-to-left script and CRLF (property-tested), hits streamed in batches
across the corpus with their context and spans, and tagging hits as one undoable edit,
on SQLite and PostgreSQL and over the seed corpus."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.records import ImportBatch, NewDocument
from db.search_text import fold
from db.store import ConflictError, SpanError, Store
from desktop.corpus.search import (
    FIRST_PAGE,
    Hit,
    SearchError,
    SearchQuery,
    TagHits,
    find_in_text,
    search,
)
from desktop.formats import import_paths

TEXT = (
    "Kata’ib Hezbollah said 👍🏽 the strike on Jurf al-Sakhar killed 3.\r\n"
    "العراق denied it; Katáib\r\nHezbollah and KATAIB-linked men, Cafe\u0301 owners."
)


def hits_of(store: Store, query: SearchQuery, **options) -> list[Hit]:
    return [hit for batch in search(store, query, **options) for hit in batch]


def texts(text: str, query: SearchQuery) -> list[str]:
    return [text[start:end] for start, end in find_in_text(text, query)]


# --- the matcher -----------------------------------------------------------------------------


def test_folding_sets_aside_accents_and_apostrophes():
    assert texts(TEXT, SearchQuery("Kataib")) == ["Kata’ib", "Katáib", "KATAIB"]
    assert texts(TEXT, SearchQuery("Kata'ib")) == ["Kata’ib", "Katáib", "KATAIB"]
    assert texts(TEXT, SearchQuery("Kataib", fold=False)) == ["KATAIB"]
    assert texts(TEXT, SearchQuery("Katáib", fold=False)) == ["Katáib"]
    assert texts(TEXT, SearchQuery("Kataib", case=True)) == ["Kata’ib", "Katáib"]
    assert texts(TEXT, SearchQuery("cafe")) == ["Cafe\u0301"]  # with its accent


def test_a_phrase_spans_any_white_space_and_whole_words_are_the_default():
    assert texts(TEXT, SearchQuery("kataib   hezbollah")) == [
        "Kata’ib Hezbollah",
        "Katáib\r\nHezbollah",
    ]
    assert texts(TEXT, SearchQuery("bollah")) == []
    assert texts(TEXT, SearchQuery("bollah", whole_words=False)) == ["bollah", "bollah"]
    assert texts(TEXT, SearchQuery("al-")) == ["al-"]  # no boundary asked after a hyphen
    assert texts(TEXT, SearchQuery("العراق")) == ["العراق"]


def test_whole_words_end_at_a_possessive_and_begin_after_an_elision_when_folding():
    """The fold drops apostrophes, yet "Iraq" is a whole word in "Iraq’s" and "l’Iraq",
    while "Kata" is no whole word of "Kata’ib"."""
    text = "Kataib’s men, Kata’ib fighters, l’Iraq and Iraq's; Kata’s 😀 Kataibs"
    found = lambda pattern: [text[s:e] for s, e in find_in_text(text, SearchQuery(pattern))]  # noqa: E731
    assert found("Kataib") == ["Kataib", "Kata’ib"]
    assert found("Iraq") == ["Iraq", "Iraq"]
    assert found("Kata") == ["Kata"]  # the one of "Kata’s", not the start of "Kata’ib"
    assert [text[s:e] for s, e in find_in_text(text, SearchQuery("Kata", whole_words=False))] == [
        "Kata", "Kata", "Kata", "Kata",
    ]  # fmt: skip


def test_regular_expressions_match_folded_text_when_folding():
    assert texts(TEXT, SearchQuery(r"kata\w+", regex=True)) == ["Kata’ib", "Katáib", "KATAIB"]
    assert texts(TEXT, SearchQuery(r"Kata’ib", regex=True)) == ["Kata’ib", "Katáib", "KATAIB"]
    assert texts(TEXT, SearchQuery(r"Kat.’ib", regex=True, fold=False)) == ["Kata’ib"]
    assert texts(TEXT, SearchQuery(r"[’]", regex=True, fold=False)) == ["’"]
    assert texts(TEXT, SearchQuery(r"x*", regex=True)) == []  # empty matches are no hits
    assert texts(TEXT, SearchQuery(r"\d", regex=True)) == ["3"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (SearchQuery(""), "empty"),
        (SearchQuery("  \r\n"), "empty"),
        (SearchQuery("’"), "nothing to search for"),
        (
            SearchQuery("kata(ib", regex=True),
            "not a valid regular expression: missing ), unterminated subpattern at position 4",
        ),
    ],
)
def test_bad_patterns_say_why(query, reason):
    with pytest.raises(SearchError, match=re.escape(reason)):
        find_in_text(TEXT, query)


PIECES = [
    "Kata’ib",
    "Katáib",
    "KATAIB",
    "e\u0301",
    "👍🏽",
    "🇮🇶",
    "\r\n",
    "العَرَب",
    "שָׁלוֹם",
    " ",
    "ß",
    "ﬁ",
    "x",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=14).map("".join))
def test_every_hit_is_an_exact_stretch_of_the_text(text):
    for query in (SearchQuery("kataib", whole_words=False), SearchQuery("s", whole_words=False)):
        found = find_in_text(text, query)
        assert found == sorted(set(found))
        needle = fold(query.pattern).casefold()
        for start, end in found:
            assert 0 <= start < end <= len(text)
            assert needle in fold(text[start:end]).casefold()
    assert len(find_in_text(text, SearchQuery("kataib", whole_words=False))) == fold(
        text
    ).casefold().count("kataib")


# --- across the corpus -----------------------------------------------------------------------


def make(store: Store, texts: list[str]) -> list[int]:
    batch = ImportBatch(
        documents=[NewDocument(text=text, title=f"doc {n}") for n, text in enumerate(texts)]
    )
    return store.import_batch(batch).document_ids


def test_hits_come_in_document_then_offset_order_with_context_and_spans(store):
    first, second = make(store, [TEXT, "A line\r\nabout Kataib\u2028and more words " * 3])
    me = store.ensure_annotator("me").id
    actor = store.label_by_name("Actor").id
    on_hit = store.add_span(first, actor, me, 0, 17)
    rejected = store.add_span(first, actor, me, 0, 7, status="suggested", origin="rules")
    store.set_span_status([rejected.uuid], "rejected")
    hits = hits_of(store, SearchQuery("kataib"))
    assert [(hit.document_id, hit.text) for hit in hits] == [
        (first, "Kata’ib"),
        (first, "Katáib"),
        (first, "KATAIB"),
        (second, "Kataib"),
        (second, "Kataib"),
        (second, "Kataib"),
    ]
    assert [hit.start for hit in hits[:3]] == [0, TEXT.index("Katáib"), TEXT.index("KATAIB")]
    assert hits[0].document_title == "doc 0"
    assert [(s.uuid, s.label, s.annotator, s.start, s.end) for s in hits[0].spans] == [
        (on_hit.uuid, "Actor", "me", 0, 17)
    ]
    assert hits[1].spans == ()
    # Line breaks shown as spaces; the context is cut at a word boundary.
    assert hits[1].left == "the strike on Jurf al-Sakhar killed 3. العراق denied it; "
    assert hits[3].left == "A line about "
    assert hits[3].right == " and more words A line about Kataib and more words A line"
    assert hits[4].left == "A line about Kataib and more words A line about "
    assert hits[1].right.startswith(" Hezbollah")


def test_batches_stream_and_a_cancel_stops_them(store):
    ids = make(store, [f"Kataib number {n} and kataib again" for n in range(FIRST_PAGE + 10)])
    batches = list(search(store, SearchQuery("kataib"), batch=5))
    assert all(len(batch) <= 5 for batch in batches)
    assert sum(len(batch) for batch in batches) == 2 * len(ids)
    assert [hit.document_id for batch in batches for hit in batch][::2] == ids
    stream = search(store, SearchQuery(r"kat\w+", regex=True), batch=1000)
    first = next(stream)
    assert len(first) == 2 * FIRST_PAGE  # the first screen is the first page of documents
    calls = []
    stopped = search(
        store, SearchQuery("kataib"), cancelled=lambda: bool(calls.append(1)) or len(calls) > 3
    )
    assert sum(len(batch) for batch in stopped) < 2 * len(ids)
    only = hits_of(store, SearchQuery("kataib"), document_ids=[ids[5], ids[2]])
    assert {hit.document_id for hit in only} == {ids[2], ids[5]}


def test_a_bad_pattern_is_refused_before_anything_is_read(store):
    with pytest.raises(SearchError):
        search(store, SearchQuery("(", regex=True))


def test_the_seed_corpus_finds_a_name_however_it_is_spelled(corpus):
    with Store.open(":memory:") as store:
        import_paths(store, [corpus])
        hits = hits_of(store, SearchQuery("Kataib"))
        spelled = {hit.text for hit in hits}
        assert {"Kata’ib", "Kataib"} <= spelled
        assert len({hit.document_id for hit in hits}) >= 3
        plain = hits_of(store, SearchQuery("Kataib", fold=False))
        assert len(plain) < len(hits) and {hit.text for hit in plain} == {"Kataib"}
        for document_id in {hit.document_id for hit in hits}:
            text = store.document(document_id).text
            assert [(h.start, h.end) for h in hits if h.document_id == document_id] == (
                find_in_text(text, SearchQuery("Kataib"))
            )
            assert all(
                text[h.start : h.end] == h.text for h in hits if h.document_id == document_id
            )


# --- tagging hits ----------------------------------------------------------------------------


def spans_of(store: Store, annotator: int) -> list[tuple]:
    return sorted(
        (s.document_id, s.start, s.end, s.label, s.uuid)
        for s in store.spans_where(annotator_ids=[annotator])
    )


def test_tagging_hits_snaps_to_tokens_skips_what_is_there_and_undoes(store):
    first, second = make(store, [TEXT, "The Hezbollah men\r\nof Kata’ib Hezbollah."])
    me = store.ensure_annotator("me").id
    actor = store.label_by_name("Actor").id
    store.add_span(second, actor, me, 4, 13)  # the first "Hezbollah", tagged already
    before = spans_of(store, me)
    hits = hits_of(store, SearchQuery("ezbolla", whole_words=False))
    assert len(hits) == 4
    command = TagHits(store, hits, actor, me)
    change = command.apply()
    assert (change.added, change.skipped) == (3, 1)
    assert [c.document_id for c in change.changes] == [first, second]
    assert change.changes[0].status == "in_progress" and change.changes[1].status is None
    assert command.text == "Tag Actor on 4 hits"
    added = [(s.document_id, s.text) for s in command.spans]
    assert added == [(first, "Hezbollah"), (first, "Hezbollah"), (second, "Hezbollah")]
    after = spans_of(store, me)
    assert len(after) == len(before) + 3
    assert store.document_status(first, me) == "in_progress"

    undone = command.undo()
    assert spans_of(store, me) == before
    assert [c.removed for c in undone.changes] == [
        [s.uuid for s in command.spans if s.document_id == d] for d in (first, second)
    ]
    redone = command.redo()
    assert spans_of(store, me) == after  # the same spans, the same uuids
    assert redone.added == 3


def test_unsnapped_tags_take_the_hit_as_found(store):
    (document,) = make(store, ["Kata’ib and 👍🏽Kataib"])
    me = store.ensure_annotator("me").id
    hits = hits_of(store, SearchQuery("taib", whole_words=False))
    command = TagHits(store, hits, store.label_by_name("Actor").id, me, snap=False)
    command.apply()
    assert [s.text for s in store.spans(document)] == ["ta’ib", "taib"]


def test_undo_is_refused_when_a_tag_changed_since_and_nothing_moves(store):
    make(store, [TEXT])
    me = store.ensure_annotator("me").id
    command = TagHits(
        store, hits_of(store, SearchQuery("kataib")), store.label_by_name("Actor").id, me
    )
    command.apply()
    store.update_span(command.spans[0].uuid, note="checked")
    before = spans_of(store, me)
    with pytest.raises(ConflictError):
        command.undo()
    assert spans_of(store, me) == before


def test_tagging_is_one_transaction_across_documents(store):
    first, second = make(store, ["Kataib one", "Kataib two"])
    me = store.ensure_annotator("me").id
    hits = hits_of(store, SearchQuery("kataib"))
    store.delete_document(second)
    with pytest.raises(SpanError, match=f"no document with id {second}"):
        TagHits(store, hits, store.label_by_name("Actor").id, me).apply()
    assert store.spans(first) == []


def test_undo_takes_the_relations_made_since_and_redo_puts_them_back(store):
    (document,) = make(store, [TEXT])
    me = store.ensure_annotator("me").id
    command = TagHits(
        store, hits_of(store, SearchQuery("kataib")), store.label_by_name("Actor").id, me
    )
    command.apply()
    claim = store.add_span(document, store.label_by_name("Claim").id, me, 0, 22)
    relation = store.add_relation(claim.uuid, command.spans[0].uuid, "source", me)
    command.undo()
    assert [s.uuid for s in store.spans(document)] == [claim.uuid]
    assert store.relations(document) == []
    command.redo()
    assert [r.uuid for r in store.relations(document)] == [relation.uuid]
    assert len(store.spans(document)) == 4
