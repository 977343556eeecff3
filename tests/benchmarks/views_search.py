"""bench_views.py's search part: the first screen of hits and all hits of a common name, and
tagging 1,000 hits in one action, each against the database's raw work.

Baselines: for search, the raw index query (FTS5 MATCH, or LIKE on pg_trgm) returning the
candidate ids, the texts read by id, and Python's ``re.finditer`` over them with a pattern
that spells the name's variants out; for tagging, ``executemany`` of the same INSERTs
(rolled back). Tagging is undone afterwards, so the project is left as it was.
"""

from __future__ import annotations

import re
import time

from db.search_text import index_key
from db.store import Store, new_uuids
from db.tables import utcnow
from desktop.corpus.search import SearchQuery, TagHits, search

NAME = "Kataib Hezbollah"
SCREEN = 50  # hits on the first screen of the search panel
TAGGED = 1_000
# What a plain tool would run to find the name's spellings in the raw text.
VARIANTS = re.compile(r"(?<!\w)Kat[aá][’']?ib\s+Hezbollah(?!\w)", re.IGNORECASE)


def run(location: str, quick: bool) -> list[tuple[str, float, float, str]]:
    rows = []
    with Store.open(location) as store:
        list(search(store, SearchQuery("warm up the caches")))
        rows += _search_rows(store)
        rows.append(_tag_row(store))
    return rows


def _raw_candidates(store: Store, limit: int | None) -> tuple[list[int], list[str]]:
    """The raw index query for the name's two words, then the texts read by id."""
    keys = [index_key(word) for word in NAME.split()]
    with store.engine.connect() as connection:
        if store.dialect == "postgresql":
            where = " AND ".join("folded LIKE %s" for _ in keys)
            statement = (
                f"SELECT document_id FROM document_search WHERE {where} ORDER BY document_id"
            )
            parameters = tuple(f"%{key}%" for key in keys)
            marker = "%s"
        else:
            statement = (
                "SELECT rowid FROM document_search WHERE document_search MATCH ? ORDER BY rowid"
            )
            parameters = (" AND ".join(f'"{key}"' for key in keys),)
            marker = "?"
        if limit is not None:
            statement += f" LIMIT {limit}"
        ids = list(connection.exec_driver_sql(statement, parameters).scalars())
        texts: list[str] = []
        for index in range(0, len(ids), 500):
            chunk = ids[index : index + 500]
            texts.extend(
                connection.exec_driver_sql(
                    f"SELECT text FROM document WHERE id IN ({', '.join([marker] * len(chunk))}) "
                    "ORDER BY id",
                    tuple(chunk),
                ).scalars()
            )
    return ids, texts


def _search_rows(store: Store) -> list[tuple[str, float, float, str]]:
    query = SearchQuery(NAME)
    started = time.perf_counter()
    shown: list = []
    for batch in search(store, query):
        shown.extend(batch)
        if len(shown) >= SCREEN:
            break
    first = time.perf_counter() - started

    started = time.perf_counter()
    ids, texts = _raw_candidates(store, 32)
    found = [match.span() for text in texts for match in VARIANTS.finditer(text)]
    first_baseline = time.perf_counter() - started
    assert len(found) >= SCREEN, "the first page of the baseline holds a screen of hits"

    started = time.perf_counter()
    hits = [hit for batch in search(store, query) for hit in batch]
    every = time.perf_counter() - started

    started = time.perf_counter()
    ids, texts = _raw_candidates(store, None)
    found = sum(1 for text in texts for _ in VARIANTS.finditer(text))
    every_baseline = time.perf_counter() - started
    documents = len({hit.document_id for hit in hits})
    return [
        (
            f"search: first screen ({SCREEN} hits)",
            first,
            first_baseline,
            f"target < 200 ms; {store.search_index_kind()}",
        ),
        (
            f"search: all hits of “{NAME}”",
            every,
            every_baseline,
            f"target < 2 s; {len(hits):,} hits in {documents:,} documents (baseline {found:,})",
        ),
    ]


def _tag_row(store: Store) -> tuple[str, float, float, str]:
    hits = []
    for batch in search(store, SearchQuery("Hezbollah")):
        hits.extend(batch)
        if len(hits) >= TAGGED:
            break
    hits = hits[:TAGGED]
    label = store.label_by_name("Actor").id
    annotator = store.ensure_annotator("bench-tagger").id
    # spaCy is loaded once the window has tagged anything: load it before timing.
    from desktop.nlp.tokens import TokenIndex

    TokenIndex.of("Kataib Hezbollah said.", "en")
    command = TagHits(store, hits, label, annotator)
    started = time.perf_counter()
    change = command.apply()
    seconds = time.perf_counter() - started
    command.undo()

    rows = [
        (
            uuid,
            hit.document_id,
            label,
            annotator,
            hit.start,
            hit.end,
            hit.text,
            "accepted",
            "manual",
            None,
            "",
            "{}",
            None,
            utcnow(),
            utcnow(),
            1,
        )
        for uuid, hit in zip(new_uuids(len(hits)), hits, strict=True)
    ]
    raw = store.engine.raw_connection()
    try:
        marker = "?" if store.dialect == "sqlite" else "%s"
        cursor = raw.cursor()
        started = time.perf_counter()
        if store.dialect == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(
            'INSERT INTO annotation (uuid, document_id, label_id, annotator_id, start, "end", '
            "text, status, origin, confidence, note, attributes, entity_id, created_at, "
            f"updated_at, version) VALUES ({', '.join([marker] * 16)})",
            rows,
        )
        baseline = time.perf_counter() - started
    finally:
        raw.rollback()
        raw.close()
    documents = len(change.changes)
    return (
        f"tag {len(hits):,} hits in one action",
        seconds,
        baseline,
        f"target < 1 s; {change.added:,} added in {documents:,} documents, snapped to tokens",
    )
