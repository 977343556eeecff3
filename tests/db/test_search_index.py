"""The search index on SQLite and PostgreSQL: folding and its offsets (property-tested with
emoji, combining marks, right-to-left text and CRLF), the index kept in step by imports and
deletions (a failed import leaves it as it was), candidate documents a page at a time,
the spans on hits, adding spans across documents in one transaction, and migration 0005
filling the index of a project made before it."""

from __future__ import annotations

import sqlite3
import unicodedata

import pytest
import sqlalchemy
from hypothesis import given, settings
from hypothesis import strategies as st

import db.engine
from db.records import ImportBatch, NewDocument, NewSpan
from db.search_text import APOSTROPHES, FoldedText, fold, fold_char, index_key
from db.store import SpanError, Store

# --- folding ---------------------------------------------------------------------------------

PIECES = [
    "Kata’ib",
    "Katáib",
    "Kata'ib",
    "Straße",
    "Œuvre",
    "ﬁnal",
    "e\u0301",
    "👍🏽",
    "👨‍👩‍👧",
    "🇮🇶",
    "\r\n",
    "\r",
    "\u2028",
    "العَرَبِيَّة",
    "שָׁלוֹם",
    "İstanbul",
    "Søren",
    "한국어",
    "हिन्दी",
    " ",
    "ʾ",
    "x",
]
texts = st.lists(
    st.one_of(
        st.sampled_from(PIECES),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=4),
    ),
    max_size=12,
).map("".join)


def test_fold_sets_aside_accents_and_apostrophes_and_keeps_case():
    assert fold("Kata’ib") == fold("Katáib") == fold("Kata'ib") == "Kataib"
    assert fold("Straße Œuvre ﬁnal Søren Łódź") == "Strasse OEuvre final Soren Lodz"
    assert fold("Cafe\u0301") == "Cafe"
    assert fold("Kataʾib") == "Kataib"
    assert fold("KATÁIB") == "KATAIB"
    assert fold("👍🏽 🇮🇶\r\n") == "👍🏽 🇮🇶\r\n"
    assert fold("العَرَب") == "العرب"
    assert fold("한국어") == "한국어"
    assert fold("हिन्दी") == "हिन्दी"  # a virama and vowel signs are letters' parts
    assert all(fold_char(mark) == "" for mark in APOSTROPHES)


@settings(max_examples=300, deadline=None)
@given(texts, texts)
def test_fold_is_per_code_point(a, b):
    assert fold(a + b) == fold(a) + fold(b)
    assert fold(a) == "".join(fold_char(char) for char in a)
    assert index_key(a + b) == index_key(a) + index_key(b)
    assert fold(fold(a)) == fold(a)  # a fold is made of code points that fold to themselves
    assert fold(a * 100) == fold(a) * 100  # long texts take numpy's way, short ones translate


@settings(max_examples=300, deadline=None)
@given(texts, st.data())
def test_every_folded_stretch_maps_back_to_a_stretch_that_folds_to_it(text, data):
    folded = FoldedText.of(text)
    assert folded.folded == fold(text)
    # Stretches that start and end between the folds of two code points.
    bounds = sorted({0, len(folded.folded)} | _boundaries(text))
    i = data.draw(st.sampled_from(bounds))
    j = data.draw(st.sampled_from([b for b in bounds if b >= i]))
    start, end = folded.start(i), folded.end(j)
    if i < j:
        assert 0 <= start < end <= len(text)
        assert fold(text[start:end]) == folded.folded[i:j]
        # No accent is left hanging off the hit's last letter.
        if end < len(text) and text[end] not in APOSTROPHES:
            assert fold_char(text[end]) != "" or not unicodedata.combining(text[end])


def _boundaries(text: str) -> set[int]:
    found, at = set(), 0
    for char in text:
        at += len(fold_char(char))
        found.add(at)
    return found


def test_offsets_cover_the_marks_inside_a_hit_and_its_accents():
    folded = FoldedText.of("the Kata’ib Cafe\u0301\u0301 Straße x")
    hit = folded.folded.index("Kataib")
    assert folded.text[folded.start(hit) : folded.end(hit + 6)] == "Kata’ib"
    hit = folded.folded.index("ib")
    assert folded.text[folded.start(hit) : folded.end(hit + 2)] == "ib"  # not the ’
    hit = folded.folded.index("Cafe")
    assert folded.text[folded.start(hit) : folded.end(hit + 4)] == "Cafe\u0301\u0301"
    hit = folded.folded.index("ss")
    assert folded.text[folded.start(hit) : folded.end(hit + 1)] == "ß"  # half of ß is ß
    plain = FoldedText.of("plain text")
    assert (plain.start(3), plain.end(7)) == (3, 7)


# --- the index kept in step ------------------------------------------------------------------


def _import(store: Store, *texts: str, language: str | None = None) -> list[int]:
    batch = ImportBatch(
        documents=[NewDocument(text=text, title=text[:10], language=language) for text in texts]
    )
    return store.import_batch(batch).document_ids


def test_an_import_is_found_and_a_delete_is_not(store):
    first, second = _import(store, "Kata’ib Hezbollah said 👍🏽", "Katáib denied\r\nit")
    assert store.search_documents(["Kataib"]) == [first, second]
    assert store.search_documents(["kataib", "HEZBOLLAH"]) == [first]
    assert store.search_documents(["denied", "nothing"]) == []
    assert store.search_documents(["ib"]) == [first, second]  # short: scanned
    assert store.search_documents(["it"]) == [second]
    store.delete_document(first)
    assert store.search_documents(["kataib"]) == [second]
    (third,) = _import(store, "Kata’ib again")
    assert store.search_documents(["kataib"]) == [second, third]


def test_a_failed_import_leaves_the_index_as_it_was(store):
    (first,) = _import(store, "Kataib one")
    bad = ImportBatch(
        documents=[
            NewDocument(text="Kataib two"),
            NewDocument(
                text="Kataib three",
                spans=[NewSpan("Actor", 0, 99, "a", where="bad.jsonl:2")],
            ),
        ]
    )
    with pytest.raises(SpanError, match="bad.jsonl:2"):
        store.import_batch(bad)
    assert store.search_documents(["kataib"]) == [first]
    with store.engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM document_search").scalar()
    assert count == 1


def test_candidates_come_a_page_at_a_time_and_among_given_documents(store):
    ids = _import(store, *[f"Kataib number {n}" for n in range(7)], "no hit here")
    assert store.search_documents(["kataib"], limit=3) == ids[:3]
    assert store.search_documents(["kataib"], after_id=ids[2], limit=3) == ids[3:6]
    assert store.search_documents(["kataib"], after_id=ids[5]) == ids[6:7]
    assert store.search_documents(["kataib"], document_ids=[ids[6], ids[1], ids[7]]) == [
        ids[1],
        ids[6],
    ]
    assert store.search_documents([]) == ids  # no terms: every document
    assert store.search_documents(["100%"]) == []
    assert store.search_documents(["n_mber"]) == []  # LIKE's wildcards are escaped


def test_the_index_is_the_databases_own(store):
    assert store.search_index_kind() in ("fts5", "pg_trgm")


def test_texts_and_spans_on_ranges(store):
    text = "Kataib Hezbollah 👍🏽 said العراق"
    (document,) = _import(store, text, language="en")
    actor = store.label_by_name("Actor").id
    me = store.ensure_annotator("me").id
    kept = store.add_span(document, actor, me, 0, 16)
    rejected = store.add_span(document, actor, me, 0, 6, status="suggested", origin="rules")
    store.set_span_status([rejected.uuid], "rejected")
    far = store.add_span(document, actor, me, text.index("العراق"), len(text))
    assert store.search_texts([document]) == [(document, text[:10], text, "en")]
    found = store.spans_overlapping({document: [(7, 16)]})
    assert [(s.uuid, s.label, s.annotator, s.start, s.end) for s in found] == [
        (kept.uuid, "Actor", "me", 0, 16)
    ]
    both = store.spans_overlapping({document: [(0, 3), (len(text) - 1, len(text))]})
    assert [s.uuid for s in both] == [kept.uuid, far.uuid]
    assert store.spans_overlapping({document: [(17, 18)]}) == []


def test_spans_added_across_documents_in_one_transaction(store):
    a, b = _import(store, "Kataib one", "two Kataib")
    me = store.ensure_annotator("me").id
    store.add_span(a, store.label_by_name("Actor").id, me, 0, 6)
    added = store.add_spans_across(
        {
            a: [NewSpan("Actor", 0, 6, "me"), NewSpan("Actor", 7, 10, "me")],
            b: [NewSpan("Actor", 4, 10, "me"), NewSpan("Actor", 4, 10, "me")],
        }
    )
    assert [(s.document_id, s.text) for s in added.spans] == [(a, "one"), (b, "Kataib")]
    assert added.skipped == 2
    assert added.started == {b}
    before = [(s.uuid, s.start) for d in (a, b) for s in store.spans(d)]
    with pytest.raises(SpanError, match="does not fit"):
        store.add_spans_across(
            {a: [NewSpan("Actor", 0, 3, "me")], b: [NewSpan("Actor", 4, 99, "me")]}
        )
    assert [(s.uuid, s.start) for d in (a, b) for s in store.spans(d)] == before


def test_migration_0005_indexes_the_documents_already_there(db_url):
    engine = db.engine.create_project_engine(db.engine.database_url(db_url))
    db.engine.upgrade(engine, "0004")
    with engine.begin() as connection:
        for number, text in enumerate(["Kata’ib said", "nothing", "KATÁIB\r\n👍🏽"]):
            connection.execute(
                sqlalchemy.text(
                    "INSERT INTO document (content_hash, title, text, text_length, meta, created_at) "
                    "VALUES (:hash, '', :text, 0, '{}', '2026-11-30')"
                ),
                {"hash": f"h{number}", "text": text},
            )
    engine.dispose()
    with Store.open(db_url) as store:
        assert store.search_documents(["kataib"]) == [1, 3]


def test_without_fts5_the_index_is_a_plain_table_that_is_scanned(tmp_path, monkeypatch):
    """An SQLite without the trigram tokenizer gets a plain table; searches still work."""
    real = db.engine.create_project_engine

    def refusing_fts5(url):
        engine = real(url)

        @sqlalchemy.event.listens_for(engine, "before_cursor_execute", retval=True)
        def refuse(connection, cursor, statement, parameters, context, executemany):
            if "USING fts5" in statement:
                raise sqlite3.OperationalError("no such module: fts5")
            return statement, parameters

        return engine

    monkeypatch.setattr(db.engine, "create_project_engine", refusing_fts5)
    with Store.open(tmp_path / "p.db") as store:
        assert store.search_index_kind() == "scan"
        first, second = _import(store, "Kata’ib said", "no")
        assert store.search_documents(["kataib"]) == [first]
        store.delete_document(first)
        assert store.search_documents(["kataib"]) == []
