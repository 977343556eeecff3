"""Import and export speed, against raw baselines measured in the same run.

Imports 10,000 generated articles of about 5 KB carrying 100,000 spans (a native JSONL
file, read, checked and written in one transaction), then exports them. Baselines: a raw
``sqlite3`` ``executemany`` of the same rows into the same schema, and a raw ``json.dumps``
of the same records written to a file and synced to the disk (as an export is).

Targets: import within 3x the raw insert; export within 2x the raw dump. Both commit with
``synchronous=FULL``, as Dossier does; the import is also timed with ``NORMAL``, to show
what a bulk import would gain by it.

    python tests/benchmarks/bench_store.py [--documents 10000] [--spans 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import event  # noqa: E402

from db.store import Store, content_hash  # noqa: E402
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


def raw_insert(path: Path, records: list[dict]) -> float:
    """The same rows into the same (empty) schema with bare sqlite3, timed."""
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
    connection.execute("BEGIN")
    now = utcnow()
    connection.executemany(
        "INSERT INTO document (id, content_hash, title, text, source, url, published, language, meta, imported_from, created_at) "
        "VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, '{}', 'bench.jsonl', ?)",
        [
            (
                number + 1,
                content_hash(r["text"]),
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
                f"{number}-{index}",
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
            for index, s in enumerate(r["spans"])
        ],
    )
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def synchronous_normal(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")


def raw_dump(path: Path, records: list[dict]) -> float:
    started = time.perf_counter()
    with open(path, "w", encoding="utf-8", newline="") as stream:
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        stream.flush()
        os.fsync(stream.fileno())  # on the disk before it counts as written, as an export is
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    records = generate(args.documents, args.spans)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = folder / "articles.jsonl"
        source.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        size = source.stat().st_size

        insert_times, import_times, export_times, dump_times = [], [], [], []
        normal_times = []
        for run in range(args.repeat):
            insert_times.append(raw_insert(folder / f"raw{run}.db", records))
            store = Store.open(folder / f"dossier{run}.db")
            started = time.perf_counter()
            report = import_paths(store, [source])
            import_times.append(time.perf_counter() - started)
            assert report.summary.spans_added == args.documents * (args.spans // args.documents)

            started = time.perf_counter()
            exported = export_project(store, "jsonl", folder / "export.jsonl")
            export_times.append(time.perf_counter() - started)
            store.close()
            if run == 0:
                lines = (folder / "export.jsonl").read_text(encoding="utf-8").splitlines()
                exported_records = [json.loads(line) for line in lines]
            dump_times.append(raw_dump(folder / "raw.jsonl", exported_records))

            store = Store.open(folder / f"normal{run}.db")
            event.listen(store.engine, "connect", synchronous_normal)
            store.engine.dispose()  # the next connection is made with NORMAL
            started = time.perf_counter()
            import_paths(store, [source])
            normal_times.append(time.perf_counter() - started)
            store.close()
        baseline_insert, dossier_import = min(insert_times), min(import_times)
        dossier_export, baseline_dump = min(export_times), min(dump_times)

    import_ratio = dossier_import / baseline_insert
    export_ratio = dossier_export / baseline_dump
    print(
        f"data: {args.documents} documents, {exported.spans} spans, {size / 1e6:.1f} MB of JSONL; best of {args.repeat} runs"
    )
    print(
        f"import:  dossier {dossier_import:6.2f} s   raw sqlite3 executemany {baseline_insert:6.2f} s   ratio {import_ratio:4.2f}x (target <= 3x)"
    )
    print(
        f"         with synchronous=NORMAL instead of FULL {min(normal_times):6.2f} s   ratio to FULL {min(normal_times) / dossier_import:4.2f}x"
    )
    print(
        f"export:  dossier {dossier_export:6.2f} s   raw json.dumps          {baseline_dump:6.2f} s   ratio {export_ratio:4.2f}x (target <= 2x)"
    )
    print("result:", "PASS" if import_ratio <= 3 and export_ratio <= 2 else "OVER TARGET")


if __name__ == "__main__":
    main()
