"""Import and export speed, against raw baselines measured in the same run.

Imports 10,000 generated articles of about 5 KB carrying 100,000 spans (a native JSONL
file, read, checked and written in one transaction), then exports them. Each side does
the same work as the other:

- import baseline: the file read and parsed line by line with ``orjson.loads`` (as
  Dossier parses it), a sha256 content hash per article and a real random uuid per span
  (``uuid.uuid4``), and a raw ``sqlite3`` ``executemany`` of the rows into the same schema
  in one transaction;
- export baseline: the same documents, spans, relations, states and reviews read with the
  raw driver (``sqlite3``, or ``psycopg`` with ``--postgres``), joined to their label and
  annotator names in SQL, streamed a document at a time, dumped with ``orjson`` into the
  same JSON objects and written to a file synced to the disk (as an export is). Its
  document lines are checked to be byte for byte Dossier's.

Targets: import within 3x the raw insert; export within 2x the raw read and dump. Both
commit with ``synchronous=FULL``, as Dossier does; the import is also timed with
``NORMAL``, to show what a bulk import would gain by it.

    python tests/benchmarks/bench_store.py [--documents 10000] [--spans 100000]
        [--postgres postgresql://user@host:port/database]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from operator import itemgetter
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import event  # noqa: E402

from db.store import Store  # noqa: E402
from db.tables import utcnow  # noqa: E402
from desktop.formats import export_project, import_paths  # noqa: E402

WORDS = (
    "the US strike militia Baghdad Iraq Iran-backed Kataib Hezbollah said commander killed drone "
    "attack Wednesday government troops statement retaliation Syria CENTCOM officials warned "
    "confirmed denied according to sources «quoted» café Nujaba 👍 al-Saadi حزب الله"
).split()
LABELS = ("Claim", "Actor", "Event")


def generate(documents: int, spans: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    per_document = spans // documents
    records = []
    for number in range(documents):
        words = []
        size = 0
        while size < 5000:
            word = rng.choice(WORDS)
            words.append(word)
            size += len(word) + 1
        text = f"Article {number}\n" + " ".join(words)
        starts = sorted(rng.sample(range(len(text) - 60), per_document))
        records.append(
            {
                "text": text,
                "title": f"Article {number}",
                "source": "Generated",
                "published": "2024-02-08",
                "spans": [
                    {
                        "label": LABELS[index % 3],
                        "start": start,
                        "end": start + rng.randint(3, 60),
                        "annotator": "analyst_a" if index % 2 else "analyst_b",
                    }
                    for index, start in enumerate(starts)
                ],
            }
        )
    return records


# --- import baseline ----------------------------------------------------------------------


def raw_insert(path: Path, source: Path) -> float:
    """The file parsed and its rows inserted into the same (empty) schema with bare
    sqlite3, timed: parsing, hashing and uuids included, as Dossier does them."""
    Store.open(path).close()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")  # as Dossier commits
    connection.execute("PRAGMA foreign_keys = ON")
    labels = dict(connection.execute("SELECT name, id FROM label").fetchall())
    connection.executemany(
        "INSERT INTO annotator (name, is_gold, created_at) VALUES (?, 0, ?)",
        [("analyst_a", utcnow()), ("analyst_b", utcnow())],
    )
    annotators = dict(connection.execute("SELECT name, id FROM annotator").fetchall())
    started = time.perf_counter()
    with open(source, "rb") as stream:
        records = [orjson.loads(line) for line in stream]
    connection.execute("BEGIN")
    now = utcnow()
    connection.executemany(
        "INSERT INTO document (id, content_hash, title, text, source, url, published, language, meta, imported_from, created_at) "
        "VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, '{}', 'bench.jsonl', ?)",
        [
            (
                number + 1,
                hashlib.sha256(r["text"].encode("utf-8")).hexdigest(),
                r["title"],
                r["text"],
                r["source"],
                r["published"],
                now,
            )
            for number, r in enumerate(records)
        ],
    )
    connection.executemany(
        'INSERT INTO annotation (uuid, document_id, label_id, annotator_id, start, "end", text, status, origin, '
        "confidence, note, attributes, entity_id, created_at, updated_at, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'accepted', 'imported', NULL, '', '{}', NULL, ?, ?, 1)",
        [
            (
                str(uuid.uuid4()),
                number + 1,
                labels[s["label"]],
                annotators[s["annotator"]],
                s["start"],
                s["end"],
                r["text"][s["start"] : s["end"]],
                now,
                now,
            )
            for number, r in enumerate(records)
            for s in r["spans"]
        ],
    )
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def synchronous_normal(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")


# --- export baseline ----------------------------------------------------------------------

# What a native export reads, in the order it writes it; the first column of each query is
# the document. JSON columns are read as text on either database and parsed with orjson.
RAW_QUERIES = {
    "documents": "SELECT id, content_hash, title, text, source, url, published, language, "
    "CAST(meta AS TEXT), imported_from, created_at FROM document ORDER BY id",
    "spans": 'SELECT a.document_id, a.uuid, l.name, a.start, a."end", a.text, n.name, a.status, '
    "a.origin, a.confidence, a.note, CAST(a.attributes AS TEXT), e.uuid, a.created_at, "
    "a.updated_at, a.version FROM annotation a JOIN label l ON l.id = a.label_id "
    "JOIN annotator n ON n.id = a.annotator_id LEFT JOIN entity e ON e.id = a.entity_id "
    'ORDER BY a.document_id, a.start, a."end", l.name, n.name, a.uuid',
    "relations": "SELECT h.document_id, r.uuid, r.type, h.uuid, t.uuid, n.name, r.created_at "
    "FROM relation r JOIN annotation h ON h.id = r.head_id JOIN annotation t ON t.id = r.tail_id "
    "JOIN annotator n ON n.id = r.annotator_id ORDER BY h.document_id, r.id",
    "states": "SELECT s.document_id, n.name, s.status, s.updated_at FROM document_state s "
    "JOIN annotator n ON n.id = s.annotator_id ORDER BY s.document_id, n.name",
    "reviews": "SELECT r.document_id, r.uuid, n.name, r.kind, r.action, CAST(r.candidates AS TEXT), "
    "r.outcome_uuid, r.note, r.created_at FROM review_decision r "
    "JOIN annotator n ON n.id = r.reviewer_id ORDER BY r.document_id, r.created_at, r.id",
}


class _Rows:
    """The rows of one streamed query, handed out a document at a time."""

    def __init__(self, cursor):
        self._groups = itertools.groupby(cursor, itemgetter(0))
        self._advance()

    def _advance(self) -> None:
        self.document, self._rows = next(self._groups, (None, ()))

    def of(self, document_id) -> list:
        if self.document != document_id:
            return []
        rows = list(self._rows)
        self._advance()
        return rows


def raw_documents(database: str):
    """Each document's JSON object as the native format has it, read with the bare driver:
    one streamed query per table, merged by document. ``database`` is an SQLite file or a
    PostgreSQL URL."""
    loads = orjson.loads
    if database.startswith("postgresql"):
        import psycopg

        connection = psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://"))

        def cursor(name):  # server-side, so that memory stays flat as Dossier's does
            made = connection.cursor(name=name)
            made.itersize = 2000
            made.execute(RAW_QUERIES[name])
            return made

    else:
        connection = sqlite3.connect(database)

        def cursor(name):
            return connection.execute(RAW_QUERIES[name])

    try:
        streams = {name: _Rows(cursor(name)) for name in RAW_QUERIES if name != "documents"}
        spans, relations = streams["spans"], streams["relations"]
        states, reviews = streams["states"], streams["reviews"]
        for row in cursor("documents"):
            document_id = row[0]
            yield {
                "type": "document",
                "hash": row[1],
                "title": row[2],
                "text": row[3],
                "source": row[4],
                "url": row[5],
                "published": row[6],
                "language": row[7],
                "meta": loads(row[8]),
                "imported_from": row[9],
                "created_at": row[10],
                "spans": [
                    {
                        "uuid": s[1],
                        "label": s[2],
                        "start": s[3],
                        "end": s[4],
                        "text": s[5],
                        "annotator": s[6],
                        "status": s[7],
                        "origin": s[8],
                        "confidence": s[9],
                        "note": s[10],
                        "attributes": loads(s[11]),
                        "entity": s[12],
                        "created_at": s[13],
                        "updated_at": s[14],
                        "version": s[15],
                    }
                    for s in spans.of(document_id)
                ],
                "relations": [
                    {
                        "uuid": r[1],
                        "type": r[2],
                        "head": r[3],
                        "tail": r[4],
                        "annotator": r[5],
                        "created_at": r[6],
                    }
                    for r in relations.of(document_id)
                ],
                "states": [
                    {"annotator": s[1], "status": s[2], "updated_at": s[3]}
                    for s in states.of(document_id)
                ],
                "reviews": [
                    {
                        "uuid": r[1],
                        "reviewer": r[2],
                        "kind": r[3],
                        "action": r[4],
                        "candidates": loads(r[5]),
                        "outcome": r[6],
                        "note": r[7],
                        "created_at": r[8],
                    }
                    for r in reviews.of(document_id)
                ],
            }
    finally:
        connection.close()


def raw_export(database: str, out: Path) -> float:
    """Every document read with the bare driver and dumped with orjson, one line each, into
    a file synced to the disk; timed."""
    dumps = orjson.dumps
    started = time.perf_counter()
    with open(out, "wb") as stream:
        for record in raw_documents(database):
            stream.write(dumps(record) + b"\n")
        stream.flush()
        os.fsync(stream.fileno())  # on the disk before it counts as written, as an export is
    return time.perf_counter() - started


def same_documents(exported: Path, raw: Path) -> None:
    """The baseline wrote what Dossier wrote: its lines are Dossier's document lines."""
    with open(exported, "rb") as stream:
        documents = [line for line in stream if line.startswith(b'{"type":"document"')]
    with open(raw, "rb") as stream:
        baseline = stream.readlines()
    if documents != baseline:
        raise SystemExit(f"the raw export differs from Dossier's: compare {exported} and {raw}")


def best_export(store: Store, database: str, folder: Path, repeat: int) -> tuple[float, float]:
    """(Dossier's export, the raw read and dump), best of ``repeat`` runs each, alternated
    so that both see the same state of the machine."""
    exports, baselines = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        export_project(store, "jsonl", folder / "export.jsonl")
        exports.append(time.perf_counter() - started)
        baselines.append(raw_export(database, folder / "raw.jsonl"))
    same_documents(folder / "export.jsonl", folder / "raw.jsonl")
    return min(exports), min(baselines)


def postgres_export(url: str, source: Path, folder: Path, repeat: int) -> tuple[float, float]:
    """Import ``source`` into a schema of its own on the server at ``url``, time the export
    against the raw read and dump there, and drop the schema."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in plain else "?"
    scoped = f"{plain}{separator}options=-csearch_path%3D{schema}"
    try:
        store = Store.open(scoped.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            import_paths(store, [source])
            return best_export(store, scoped, folder, repeat)
        finally:
            store.close()
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument(
        "--postgres", metavar="URL", help="also time the export on this PostgreSQL server"
    )
    args = parser.parse_args()
    records = generate(args.documents, args.spans)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = folder / "articles.jsonl"
        with open(source, "wb") as stream:
            stream.writelines(orjson.dumps(r) + b"\n" for r in records)
        size = source.stat().st_size
        del records

        insert_times, import_times, normal_times = [], [], []
        for run in range(args.repeat):
            insert_times.append(raw_insert(folder / f"raw{run}.db", source))
            store = Store.open(folder / f"dossier{run}.db")
            started = time.perf_counter()
            report = import_paths(store, [source])
            import_times.append(time.perf_counter() - started)
            assert report.summary.spans_added == args.documents * (args.spans // args.documents)
            store.close()

            store = Store.open(folder / f"normal{run}.db")
            event.listen(store.engine, "connect", synchronous_normal)
            store.engine.dispose()  # the next connection is made with NORMAL
            started = time.perf_counter()
            import_paths(store, [source])
            normal_times.append(time.perf_counter() - started)
            store.close()
        baseline_insert, dossier_import = min(insert_times), min(import_times)

        store = Store.open(folder / "dossier0.db")
        dossier_export, baseline_dump = best_export(
            store, str(folder / "dossier0.db"), folder, args.repeat
        )
        spans = store.export_counts()[1]
        store.close()
        postgres = None
        if args.postgres:
            postgres = postgres_export(args.postgres, source, folder, args.repeat)

    import_ratio = dossier_import / baseline_insert
    export_ratio = dossier_export / baseline_dump
    print(
        f"data: {args.documents} documents, {spans} spans, {size / 1e6:.1f} MB of JSONL; best of {args.repeat} runs"
    )
    print(
        f"import:  dossier {dossier_import:6.2f} s   raw parse + uuids + sqlite3 executemany {baseline_insert:6.2f} s   ratio {import_ratio:4.2f}x (target <= 3x)"
    )
    print(
        f"         with synchronous=NORMAL instead of FULL {min(normal_times):6.2f} s   ratio to FULL {min(normal_times) / dossier_import:4.2f}x"
    )
    print(
        f"export:  dossier {dossier_export:6.2f} s   raw sqlite3 read + orjson dump          {baseline_dump:6.2f} s   ratio {export_ratio:4.2f}x (target <= 2x)"
    )
    ratios = [import_ratio <= 3, export_ratio <= 2]
    if postgres:
        pg_export, pg_baseline = postgres
        print(
            f"export on PostgreSQL: dossier {pg_export:6.2f} s   raw psycopg read + orjson dump {pg_baseline:6.2f} s   ratio {pg_export / pg_baseline:4.2f}x (target <= 2x)"
        )
        ratios.append(pg_export / pg_baseline <= 2)
    print("result:", "PASS" if all(ratios) else "OVER TARGET")


if __name__ == "__main__":
    main()
