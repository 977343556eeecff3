"""A large project: import, agreement, start-up and export at 10,000 and 100,000 articles.

The project is a native JSONL file of N articles (about 5 KB each, made of the seed
articles' paragraphs under a numbered dateline, so that every text and its hash differ),
two annotators with five accepted spans each per article (1,000,000 spans at 100,000
articles: claims holding actors, events, actors), and relations (a claim's source on every
article, an event's agent on every other one). The file is made once per size and kept in
``--work``.

Every measurement runs in a fresh process, Dossier's through the real command line
(``python -m desktop``, as the ``dossier`` script runs ``desktop.cli:main``), each baseline
through this script; each is timed from process start to exit (start-up: to the line the
window prints at its first paint), and its peak RSS is its own (``os.wait4``). Baselines,
measured in the same run, doing the same work with the best plain tools:

- import (``dossier import FILE``, into a copy of an empty project Dossier made): the same
  file parsed line by line with orjson, and the same rows (documents with their sha256,
  spans with real uuid4s where the file has none, relations, document states, annotators)
  inserted with the bare ``sqlite3`` module's ``executemany`` into a copy of the same empty
  project, in one transaction, with Dossier's pragmas (WAL, ``synchronous=FULL``). On
  PostgreSQL (``--pg``, a fresh database per run): Dossier's time against its own SQLite
  import (target: within 2x at 100,000 articles), and a raw psycopg ``COPY`` for reference.
  Target: peak RSS under 500 MB whatever the size (the ratio to the raw insert is printed
  for reference).
- agreement (``dossier agreement --annotators analyst_a analyst_b --json``): reading the
  texts of the documents both annotated with ``sqlite3`` and tokenizing each with
  ``desktop.nlp.tokens.TokenIndex.of``, as agreement does. Targets: within 2x, under 500 MB.
- start-up (``python -m desktop --db PROJECT``, offscreen, ``DOSSIER_QUIT_WHEN_SHOWN``):
  to the "dossier: first paint" line (or, where the window does not print it, "dossier:
  window shown"; the line seen is printed), best of ``--repeat``. Baseline: the same on the
  empty project. Targets: empty within 1.5 s, N articles within 1.3x of empty.
- export (``dossier export -f jsonl``, the whole project): the same rows read with
  ``sqlite3`` (documents; spans joined to their label, annotator and entity; relations
  joined to their spans' uuids; states; reviews), built into the same records in the same
  order and written as JSON lines with orjson (the same bytes as Dossier's file), synced to
  the disk as an export is. Targets: within 2x, and flat memory (peak RSS at 100,000 no
  more than 1.2x that at 10,000).

Each item has a timeout (``--timeout``: a run that takes longer is reported as "over N s")
and an address-space limit (``--memory-limit``), so that a hopeless run ends.

    python tests/benchmarks/bench_scale.py [--quick] [--sizes 10000 100000] [--pg URL]
        [--work /tmp/dossier-bench-scale] [--repeat 5] [--timeout 1800]
        [--skip import|agreement|startup|export ...]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus"
GENERATOR = 1  # bump when the generated file changes, so that cached files are remade
ANNOTATORS = ("analyst_a", "analyst_b")
ITEMS = ("import", "agreement", "startup", "export")
BATCH = 2_000  # documents per executemany / COPY in the baselines
PAINT_LINES = ("dossier: first paint", "dossier: window shown")
CITIES = ("BAGHDAD", "ERBIL", "BASRA", "DAMASCUS", "AMMAN", "BEIRUT", "TEHRAN", "WASHINGTON")

# --- the project's file -------------------------------------------------------------------


def corpus_paragraphs() -> list[tuple[str, list[tuple[int, int]]]]:
    """The seed articles' paragraphs, each with the (start, end) of its words."""
    paragraphs = []
    for path in sorted(CORPUS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            words = [(m.start(), m.end()) for m in re.finditer(r"\S+", line)]
            if len(words) >= 12:
                paragraphs.append((line, words))
    return paragraphs


def article(number: int, rng: random.Random, paragraphs, size: int = 5000):
    """Article ``number``: a dateline, then paragraphs of the seed articles to about
    ``size`` characters. Returns the text and the words of each paragraph, placed."""
    city = CITIES[number % len(CITIES)]
    parts = [f"{city}, Feb. {number % 28 + 1} (Dispatch {number}) — Report {number} of the series."]
    placed: list[list[tuple[int, int]]] = []
    offset = len(parts[0]) + 1
    while offset < size:
        text, words = rng.choice(paragraphs)
        parts.append(text)
        placed.append([(offset + start, offset + end) for start, end in words])
        offset += len(text) + 1
    return "\n".join(parts), placed


def span(text: str, label: str, start: int, end: int, annotator: str, with_uuid: bool) -> dict:
    record = {
        "label": label,
        "start": start,
        "end": end,
        "text": text[start:end],
        "annotator": annotator,
        "status": "accepted",
    }
    if with_uuid:
        record["uuid"] = str(uuid.uuid4())
    return record


def annotations(number: int, text: str, placed, rng: random.Random):
    """Five spans by each annotator (analyst B mostly agrees with analyst A, sometimes with
    other boundaries or another label) and their relations."""
    spans, relations = [], []
    chosen = rng.sample(range(len(placed)), min(3, len(placed)))
    words_of = [placed[index] for index in chosen]
    while len(words_of) < 3:
        words_of.append(placed[0])
    plan = []  # (label, first word, last word) of analyst A's spans
    claim_words = words_of[0]
    first = rng.randrange(0, max(1, len(claim_words) - 12))
    plan.append(
        ("Claim", claim_words, first, min(len(claim_words) - 1, first + rng.randint(6, 20)))
    )
    plan.append(("Actor", claim_words, first, first + rng.randint(0, 1)))
    event_words = words_of[1]
    first = rng.randrange(0, len(event_words) - 4)
    plan.append(("Event", event_words, first, first + rng.randint(1, 3)))
    plan.append(("Actor", event_words, first + 4, min(len(event_words) - 1, first + 5)))
    other = words_of[2]
    first = rng.randrange(0, len(other) - 2)
    plan.append(("Actor", other, first, first + rng.randint(0, 1)))
    for annotator in ANNOTATORS:
        made = []
        for index, (label, words, first, last) in enumerate(plan):
            if annotator == "analyst_b":
                roll = rng.random()
                if roll < 0.2 and last > first:
                    last -= 1  # other boundaries
                elif roll < 0.3 and label == "Actor" and index == 4:
                    label = "Event"  # another label
            start, end = words[first][0], words[last][1]
            with_uuid = index < 2 or (index < 4 and number % 2 == 0)
            made.append(span(text, label, start, end, annotator, with_uuid))
        if number % 2 == 0:
            made[2]["attributes"] = {"type": "ASSAULT", "date": f"2024-02-{number % 28 + 1:02d}"}
        spans.extend(made)
        relations.append(_relation("source", made[0], made[1], annotator))
        if number % 2 == 0:
            relations.append(_relation("agent", made[2], made[3], annotator))
    return spans, relations


def _relation(kind: str, head: dict, tail: dict, annotator: str) -> dict:
    return {
        "uuid": str(uuid.uuid4()),
        "type": kind,
        "head": head["uuid"],
        "tail": tail["uuid"],
        "annotator": annotator,
    }


def project_file(work: Path, size: int) -> Path:
    """The native JSONL file of ``size`` articles, made once and kept in ``work``."""
    path = work / f"articles-{size}-v{GENERATOR}.jsonl"
    if path.exists():
        return path
    started = time.perf_counter()
    rng = random.Random(size)
    paragraphs = corpus_paragraphs()
    temporary = path.with_suffix(".partial")
    with open(temporary, "wb") as stream:
        for name in ANNOTATORS:
            stream.write(orjson.dumps({"type": "annotator", "name": name, "is_gold": False}))
            stream.write(b"\n")
        for number in range(size):
            text, placed = article(number, rng, paragraphs)
            spans, relations = annotations(number, text, placed, rng)
            record = {
                "type": "document",
                "title": f"Dispatch {number}",
                "text": text,
                "source": "Generated from the seed articles",
                "published": f"2024-02-{number % 28 + 1:02d}",
                "spans": spans,
                "relations": relations,
            }
            stream.write(orjson.dumps(record))
            stream.write(b"\n")
    temporary.replace(path)
    print(
        f"  made {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return path


# --- running and measuring one process ------------------------------------------------------


@dataclass
class Run:
    """One process: wall time, peak RSS, and why it has no figure, if it has none."""

    seconds: float | None = None
    rss_mb: float | None = None
    problem: str = ""
    output: str = ""
    line: str = ""  # for start-up: the line that was seen

    def time_text(self) -> str:
        return self.problem if self.seconds is None else f"{self.seconds:.2f} s"

    def rss_text(self) -> str:
        return "-" if self.rss_mb is None else f"{self.rss_mb:.0f} MB"


@dataclass
class Limits:
    timeout: float
    memory_gb: float
    env: dict[str, str] = field(default_factory=dict)


def measure(command: list[str], limits: Limits, until: tuple[str, ...] = ()) -> Run:
    """Run ``command`` in a fresh process: its wall time to exit (or, with ``until``, to the
    first line of its output starting with the first of those prefixes that it prints at
    all) and its own peak RSS."""

    def limit_memory() -> None:
        cap = int(limits.memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    with tempfile.TemporaryFile() as errors, tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE if until else output,
            stderr=errors,
            env=limits.env,
            preexec_fn=limit_memory,
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it ended just now

        timer = threading.Timer(limits.timeout, kill)
        timer.start()
        seen: dict[str, tuple[float, str]] = {}  # prefix: (seconds, line)
        lines = []
        if until:
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace")
                lines.append(line)
                for prefix in until:
                    if prefix not in seen and line.startswith(prefix):
                        seen[prefix] = (time.perf_counter() - started, line.strip())
            process.stdout.close()
        seen_at, seen_line = next((seen[p] for p in until if p in seen), (None, ""))
        _, status, usage = os.wait4(process.pid, 0)
        ended = time.perf_counter() - started
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        errors.seek(0)
        text = "".join(lines) if until else output.read().decode("utf-8", "replace")
        error_lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    run = Run(rss_mb=usage.ru_maxrss / 1024, output=text, line=seen_line)
    if timed_out.is_set():
        run.problem = f"over {limits.timeout:.0f} s"
    elif process.returncode != 0:
        reason = error_lines[-1] if error_lines else f"exit code {process.returncode}"
        if "MemoryError" in reason:
            reason = f"out of memory (limit {limits.memory_gb:g} GB): {reason}"
        elif process.returncode == -signal.SIGKILL:
            reason = f"killed (out of memory?): {reason}"
        run.problem = f"failed: {reason[:160]}"
    elif until and seen_at is None:
        run.problem = "no paint line"
    else:
        run.seconds = seen_at if until else ended
    return run


def dossier(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "desktop", *arguments]


def baseline(*arguments: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--baseline", *arguments]


# --- baselines (each runs in a process of its own) ------------------------------------------


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat()


def columns_sqlite(connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def length_columns(columns: list[str], known: set[str]) -> list[str]:
    """Columns a newer schema may add that hold a text's length (written on import)."""
    return [name for name in columns if name not in known and "length" in name]


DOCUMENT_COLUMNS = (
    "id",
    "content_hash",
    "title",
    "text",
    "source",
    "url",
    "published",
    "language",
    "meta",
    "imported_from",
    "created_at",
)
SPAN_COLUMNS = (
    "id",
    "uuid",
    "document_id",
    "label_id",
    "annotator_id",
    "start",
    "end",
    "text",
    "status",
    "origin",
    "confidence",
    "note",
    "attributes",
    "entity_id",
    "created_at",
    "updated_at",
    "version",
)
RELATION_COLUMNS = ("id", "uuid", "type", "head_id", "tail_id", "annotator_id", "created_at")
STATE_COLUMNS = ("document_id", "annotator_id", "status", "updated_at")


class Rows:
    """The rows of a stream of native JSONL records, ids given here, in batches."""

    def __init__(self, source: Path, labels: dict[str, int], extra_document: list[str]):
        self.source = source
        self.labels = labels
        self.extra_document = extra_document
        self.annotators: dict[str, int] = {}
        self.next_document = self.next_span = self.next_relation = 1

    def batches(self, add_annotator):
        """Yield (documents, spans, relations, states) lists of row tuples, ``BATCH``
        documents at a time; ``add_annotator(name, is_gold)`` returns a new annotator's id."""
        now = utcnow()
        documents, spans, relations, states = [], [], [], []
        with open(self.source, "rb") as stream:
            for raw in stream:
                record = orjson.loads(raw)
                if record.get("type") == "annotator":
                    if record["name"] not in self.annotators:
                        self.annotators[record["name"]] = add_annotator(
                            record["name"], record.get("is_gold", False)
                        )
                    continue
                text = record["text"]
                document_id = self.next_document
                self.next_document += 1
                row = (
                    document_id,
                    hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    record.get("title") or "",
                    text,
                    record.get("source"),
                    record.get("url"),
                    record.get("published"),
                    record.get("language"),
                    orjson.dumps(record.get("meta") or {}).decode(),
                    str(self.source),
                    now,
                )
                documents.append(row + (len(text),) * len(self.extra_document))
                ids: dict[str, int] = {}
                who: set[int] = set()
                for item in record.get("spans", ()):
                    span_uuid = item.get("uuid") or str(uuid.uuid4())
                    ids[span_uuid] = span_id = self.next_span
                    self.next_span += 1
                    annotator = self.annotators[item["annotator"]]
                    who.add(annotator)
                    spans.append(
                        (
                            span_id,
                            span_uuid,
                            document_id,
                            self.labels[item["label"]],
                            annotator,
                            item["start"],
                            item["end"],
                            text[item["start"] : item["end"]],
                            item.get("status", "accepted"),
                            item.get("origin", "imported"),
                            item.get("confidence"),
                            item.get("note", ""),
                            orjson.dumps(item.get("attributes") or {}).decode(),
                            None,
                            now,
                            now,
                            1,
                        )
                    )
                for item in record.get("relations", ()):
                    relations.append(
                        (
                            self.next_relation,
                            item.get("uuid") or str(uuid.uuid4()),
                            item["type"],
                            ids[item["head"]],
                            ids[item["tail"]],
                            self.annotators[item["annotator"]],
                            now,
                        )
                    )
                    self.next_relation += 1
                states.extend((document_id, annotator, "in_progress", now) for annotator in who)
                if len(documents) >= BATCH:
                    yield documents, spans, relations, states
                    documents, spans, relations, states = [], [], [], []
        if documents:
            yield documents, spans, relations, states


def insert_sql(table: str, names: tuple[str, ...] | list[str]) -> str:
    quoted = ", ".join(f'"{name}"' for name in names)
    return f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(names))})"


def raw_import_sqlite(source: Path, target: Path) -> None:
    """The file's rows into the empty project ``target`` with bare sqlite3."""
    connection = sqlite3.connect(target, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")  # as Dossier commits
    extra = length_columns(columns_sqlite(connection, "document"), set(DOCUMENT_COLUMNS))
    labels = dict(connection.execute("SELECT name, id FROM label"))
    rows = Rows(source, labels, extra)
    connection.execute("BEGIN IMMEDIATE")

    def add_annotator(name: str, is_gold: bool) -> int:
        cursor = connection.execute(
            "INSERT INTO annotator (name, is_gold, created_at) VALUES (?, ?, ?)",
            (name, is_gold, utcnow()),
        )
        return cursor.lastrowid

    documents_sql = insert_sql("document", [*DOCUMENT_COLUMNS, *extra])
    for documents, spans, relations, states in rows.batches(add_annotator):
        connection.executemany(documents_sql, documents)
        connection.executemany(insert_sql("annotation", SPAN_COLUMNS), spans)
        connection.executemany(insert_sql("relation", RELATION_COLUMNS), relations)
        connection.executemany(insert_sql("document_state", STATE_COLUMNS), states)
    connection.execute("COMMIT")
    connection.close()


def raw_import_postgres(source: Path, url: str) -> None:
    """The file's rows into the empty project at ``url`` with psycopg's ``COPY``."""
    import psycopg

    with psycopg.connect(url) as connection:
        found = [
            row[0]
            for row in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'document'"
            )
        ]
        extra = length_columns(found, set(DOCUMENT_COLUMNS))
        labels = dict(connection.execute("SELECT name, id FROM label").fetchall())
        rows = Rows(source, labels, extra)

        def add_annotator(name: str, is_gold: bool) -> int:
            return connection.execute(
                "INSERT INTO annotator (name, is_gold, created_at) VALUES (%s, %s, %s) RETURNING id",
                (name, is_gold, utcnow()),
            ).fetchone()[0]

        cursor = connection.cursor()
        tables = (
            ("document", (*DOCUMENT_COLUMNS, *extra)),
            ("annotation", SPAN_COLUMNS),
            ("relation", RELATION_COLUMNS),
            ("document_state", STATE_COLUMNS),
        )
        for batch in rows.batches(add_annotator):
            for (table, names), table_rows in zip(tables, batch, strict=True):
                quoted = ", ".join(f'"{name}"' for name in names)
                with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in table_rows:
                        copy.write_row(row)
        for table in ("document", "annotation", "relation"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    # leaving the ``with`` commits: one transaction


def raw_tokenize(project: Path) -> None:
    """Tokenize the texts of the documents both annotators tagged, as agreement does."""
    from desktop.nlp.tokens import TokenIndex

    connection = sqlite3.connect(project)
    annotated = (
        "SELECT 1 FROM annotation s JOIN annotator a ON a.id = s.annotator_id "
        "WHERE s.document_id = d.id AND a.name = ?"
    )
    query = (
        f"SELECT d.text, d.language FROM document d WHERE EXISTS ({annotated}) "
        f"AND EXISTS ({annotated}) ORDER BY d.id"
    )
    documents = tokens = 0
    for text, language in connection.execute(query, ANNOTATORS):
        tokens += len(TokenIndex.of(text, language).starts)
        documents += 1
    connection.close()
    print(f"{documents} documents, {tokens} tokens")


def by_document(cursor):
    """(document id, rows) groups of a cursor ordered by its first column."""
    current, group = None, []
    for row in cursor:
        if row[0] != current:
            if group:
                yield current, group
            current, group = row[0], []
        group.append(row)
    if group:
        yield current, group


def raw_export(project: Path, out: Path) -> None:
    """The project's rows read with sqlite3 and written as native JSON lines with orjson."""
    connection = sqlite3.connect(project)
    loads = orjson.loads

    def grouped(sql: str):
        return by_document(connection.execute(sql))

    spans = grouped(
        'SELECT s.document_id, s.uuid, l.name, s.start, s."end", s.text, a.name, s.status, '
        "s.origin, s.confidence, s.note, s.attributes, e.uuid, s.created_at, s.updated_at, "
        "s.version FROM annotation s JOIN label l ON l.id = s.label_id "
        "JOIN annotator a ON a.id = s.annotator_id LEFT JOIN entity e ON e.id = s.entity_id "
        'ORDER BY s.document_id, s.start, s."end", l.name, a.name, s.uuid'
    )
    relations = grouped(
        "SELECT h.document_id, r.uuid, r.type, h.uuid, t.uuid, a.name, r.created_at "
        "FROM relation r JOIN annotation h ON h.id = r.head_id "
        "JOIN annotation t ON t.id = r.tail_id JOIN annotator a ON a.id = r.annotator_id "
        "ORDER BY h.document_id, r.id"
    )
    states = grouped(
        "SELECT s.document_id, a.name, s.status, s.updated_at FROM document_state s "
        "JOIN annotator a ON a.id = s.annotator_id ORDER BY s.document_id, a.name"
    )
    reviews = grouped(
        "SELECT r.document_id, r.uuid, a.name, r.kind, r.action, r.candidates, "
        "r.outcome_uuid, r.note, r.created_at FROM review_decision r "
        "JOIN annotator a ON a.id = r.reviewer_id ORDER BY r.document_id, r.id"
    )
    pending = {"spans": next(spans, None), "relations": next(relations, None)}
    pending.update(states=next(states, None), reviews=next(reviews, None))
    streams = {"spans": spans, "relations": relations, "states": states, "reviews": reviews}

    def rows_of(kind: str, document_id: int) -> list:
        head = pending[kind]
        if head is None or head[0] != document_id:
            return []
        pending[kind] = next(streams[kind], None)
        return head[1]

    temporary = out.with_suffix(".partial")
    with open(temporary, "wb") as stream:
        for name, kind, colour, shortcut, description, position, schema in connection.execute(
            "SELECT name, kind, colour, shortcut, description, position, schema FROM label "
            "ORDER BY position, id"
        ):
            record = {"type": "label", "name": name, "kind": kind, "colour": colour}
            record.update(shortcut=shortcut, description=description, position=position)
            record["schema"] = loads(schema)
            stream.write(orjson.dumps(record) + b"\n")
        for name, is_gold in connection.execute("SELECT name, is_gold FROM annotator ORDER BY id"):
            record = {"type": "annotator", "name": name, "is_gold": bool(is_gold)}
            stream.write(orjson.dumps(record) + b"\n")
        for row in connection.execute(
            "SELECT id, content_hash, title, text, source, url, published, language, meta, "
            "imported_from, created_at FROM document ORDER BY id"
        ):
            document_id = row[0]
            record = {
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
                    for s in rows_of("spans", document_id)
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
                    for r in rows_of("relations", document_id)
                ],
                "states": [
                    {"annotator": s[1], "status": s[2], "updated_at": s[3]}
                    for s in rows_of("states", document_id)
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
                    for r in rows_of("reviews", document_id)
                ],
            }
            stream.write(orjson.dumps(record) + b"\n")
        stream.flush()
        os.fsync(stream.fileno())  # on the disk before it counts as written, as an export is
    os.replace(temporary, out)
    connection.close()


def run_baseline(arguments: list[str]) -> None:
    kind, *paths = arguments
    if kind == "import-sqlite":
        raw_import_sqlite(Path(paths[0]), Path(paths[1]))
    elif kind == "import-postgres":
        raw_import_postgres(Path(paths[0]), paths[1])
    elif kind == "tokenize":
        raw_tokenize(Path(paths[0]))
    elif kind == "export":
        raw_export(Path(paths[0]), Path(paths[1]))
    else:
        raise SystemExit(f"unknown baseline {kind!r}")


# --- the items -----------------------------------------------------------------------------


@dataclass
class Figure:
    """One item at one size: Dossier's run, its baseline's, and the target's verdict."""

    item: str
    size: int
    dossier: Run
    base: Run | None
    base_name: str
    target: str = ""
    verdict: str = ""

    def ratio(self) -> float | None:
        if self.base is None or self.dossier.seconds is None or self.base.seconds is None:
            return None
        return self.dossier.seconds / self.base.seconds


def counted(output: str, what: str) -> str:
    """The number the import command printed before ``what``."""
    found = re.search(rf"(\d+) {what}", output)
    return found.group(1) if found else "?"


def postgres_database(admin_url: str, name: str, drop: bool = False) -> str:
    """Create (or drop) the database ``name`` on the server of ``admin_url``; its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def empty_project(location: str) -> None:
    """Let Dossier make an empty project at ``location`` (schema and default labels)."""
    from db.store import Store

    Store.open(location, create=True).close()


def copy_project(template: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)


def dossier_import(source: Path, folder: Path, template: Path, limits: Limits) -> Run:
    """Dossier's import of ``source`` into a copy of the empty project: the project the
    other items read."""
    project = folder / "dossier.sqlite"
    copy_project(template, project)
    run = measure(dossier("import", str(source), "--db", str(project)), limits)
    if run.seconds is not None:
        documents, spans = counted(run.output, "document"), counted(run.output, "span")
        relations = counted(run.output, "relation")
        print(f"    import: {documents} documents, {spans} spans, {relations} relations")
    return run


COUNTED = ("document", "annotation", "relation", "document_state", "annotator")


def row_counts(project: Path) -> dict[str, int]:
    """Rows per table that an import writes, to check that the baseline wrote the same."""
    connection = sqlite3.connect(project)
    counts = {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    connection.close()
    return counts


def pg_row_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as connection:
        return {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}


def check_rows(what: str, expected: dict[str, int], found: dict[str, int]) -> None:
    if found != expected:
        print(f"    WARNING: {what} wrote other rows: {found}, not {expected}")


def import_item(size, source, folder, template, pg_url, limits) -> list[Figure]:
    run = dossier_import(source, folder, template, limits)
    raw = folder / "raw.sqlite"
    copy_project(template, raw)
    base = measure(baseline("import-sqlite", str(source), str(raw)), limits)
    expected = row_counts(folder / "dossier.sqlite") if run.seconds is not None else None
    if expected and base.seconds is not None:
        check_rows("the sqlite3 baseline", expected, row_counts(raw))
    raw.unlink(missing_ok=True)
    figures = [Figure("import, SQLite", size, run, base, "orjson + sqlite3 executemany")]
    if pg_url is None:
        return figures
    import psycopg

    name = f"dossier_bench_scale_{os.getpid()}"
    try:
        url = postgres_database(pg_url, name)
        empty_project(url)
        pg_run = measure(dossier("import", str(source), "--db", url), limits)
        if expected and pg_run.seconds is not None:
            check_rows("Dossier's PostgreSQL import", expected, pg_row_counts(url))
        url = postgres_database(pg_url, name)  # a fresh one
        empty_project(url)
        pg_base = measure(baseline("import-postgres", str(source), url), limits)
        if expected and pg_base.seconds is not None:
            check_rows("the psycopg baseline", expected, pg_row_counts(url))
    except psycopg.OperationalError as exc:
        print(f"  PostgreSQL: {str(exc).strip().splitlines()[0]}; skipped")
        return figures
    finally:
        try:
            postgres_database(pg_url, name, drop=True)
        except psycopg.OperationalError:
            pass
    figures.append(Figure("import, PostgreSQL", size, pg_run, run, "Dossier's SQLite import"))
    figures.append(
        Figure("  raw psycopg COPY", size, pg_base, run, "Dossier's SQLite import", "reference")
    )
    return figures


def agreement_item(size, folder, limits) -> list[Figure]:
    project = folder / "dossier.sqlite"
    command = ["agreement", "--annotators", *ANNOTATORS, "--json", "--db", str(project)]
    run = measure(dossier(*command), limits)
    base = measure(baseline("tokenize", str(project)), limits)
    if run.seconds is not None and base.seconds is not None:
        pair = orjson.loads(run.output)["pairs"][0]
        print(
            f"    agreement: {len(pair['documents'])} documents, {pair['tokens']} tokens; "
            f"baseline: {base.output.strip()}"
        )
    return [Figure("agreement", size, run, base, "sqlite3 + TokenIndex.of")]


def startup_item(size, folder, template, limits, repeat, empty_runs) -> list[Figure]:
    env = {**limits.env, "DOSSIER_QUIT_WHEN_SHOWN": "1", "QT_QPA_PLATFORM": "offscreen"}
    paint = Limits(limits.timeout, limits.memory_gb, env)

    def best(location: Path) -> Run:
        runs = [measure(dossier("--db", str(location)), paint, PAINT_LINES) for _ in range(repeat)]
        done = [run for run in runs if run.seconds is not None]
        return min(done, key=lambda run: run.seconds) if done else runs[0]

    if not empty_runs:
        empty = folder.parent / "empty-startup.sqlite"
        copy_project(template, empty)
        empty_runs.append(best(empty))
    run = best(folder / "dossier.sqlite")
    return [Figure("start-up", size, run, empty_runs[0], "the empty project")]


def export_item(size, folder, limits) -> list[Figure]:
    project = folder / "dossier.sqlite"
    out = folder / "export.jsonl"
    run = measure(dossier("export", "-f", "jsonl", "-o", str(out), "--db", str(project)), limits)
    raw_out = folder / "raw-export.jsonl"
    base = measure(baseline("export", str(project), str(raw_out)), limits)
    if out.exists() and raw_out.exists():
        print(
            f"    export: {out.stat().st_size / 1e6:.0f} MB written, raw "
            f"{raw_out.stat().st_size / 1e6:.0f} MB"
        )
    out.unlink(missing_ok=True)
    raw_out.unlink(missing_ok=True)
    return [Figure("export", size, run, base, "sqlite3 + orjson")]


# --- verdicts and the table ---------------------------------------------------------------


def judge(figures: list[Figure], sizes: list[int]) -> None:
    """Fill in each figure's target and verdict."""
    largest = max(sizes)
    first = {(f.item, f.size): f for f in figures}
    for figure in figures:
        ratio, rss = figure.ratio(), figure.dossier.rss_mb
        checks: list[tuple[str, bool | None]] = []
        if figure.item == "import, SQLite":
            checks.append(("RSS < 500 MB", None if rss is None else rss < 500))
        elif figure.item == "import, PostgreSQL":
            if figure.size == largest:
                checks.append(("<= 2x SQLite", None if ratio is None else ratio <= 2))
            checks.append(("RSS < 500 MB", None if rss is None else rss < 500))
        elif figure.item == "agreement":
            checks.append(("<= 2x", None if ratio is None else ratio <= 2))
            checks.append(("RSS < 500 MB", None if rss is None else rss < 500))
        elif figure.item == "start-up":
            empty = figure.base.seconds if figure.base else None
            checks.append(("empty <= 1.5 s", None if empty is None else empty <= 1.5))
            checks.append(("<= 1.3x empty", None if ratio is None else ratio <= 1.3))
        elif figure.item == "export":
            checks.append(("<= 2x", None if ratio is None else ratio <= 2))
            smallest = first.get(("export", min(sizes)))
            if figure.size != min(sizes) and smallest and smallest.dossier.rss_mb and rss:
                checks.append(("flat RSS", rss / smallest.dossier.rss_mb <= 1.2))
        if figure.target == "reference":
            figure.verdict = "for reference"
            continue
        figure.target = ", ".join(name for name, _ in checks)
        figure.verdict = ", ".join(
            "-" if ok is None else ("PASS" if ok else "MISS") for _, ok in checks
        )


def table(figures: list[Figure], sizes: list[int]) -> None:
    print(
        f"\n{'item':20} {'articles':>8}  {'dossier':>12} {'peak RSS':>9}  "
        f"{'baseline':>12} {'its RSS':>8} {'ratio':>7}  target: verdict"
    )
    for f in figures:
        ratio = f.ratio()
        print(
            f"{f.item:20} {f.size:8,d}  {f.dossier.time_text():>12} {f.dossier.rss_text():>9}  "
            f"{f.base.time_text() if f.base else '-':>12} "
            f"{f.base.rss_text() if f.base else '-':>8} "
            f"{'-' if ratio is None else f'{ratio:.2f}x':>7}  "
            + (f.verdict if f.target == "reference" else f"{f.target}: {f.verdict}")
        )
    print("baselines:")
    for item, name in dict.fromkeys((f.item.strip(), f.base_name) for f in figures):
        print(f"  {item}: {name}")
    if len(sizes) < 2:
        return
    low, high = min(sizes), max(sizes)
    print(f"\ngrowth from {low:,} to {high:,} articles ({high / low:g}x the data):")
    by_key = {(f.item, f.size): f for f in figures}
    for item in dict.fromkeys(f.item for f in figures):
        a, b = by_key.get((item, low)), by_key.get((item, high))
        if a is None or b is None:
            continue
        parts = []
        who = "raw" if a.target == "reference" else "dossier"
        pairs = [(who, a.dossier, b.dossier), ("baseline", a.base, b.base)]
        if a.base_name.startswith("Dossier"):
            pairs.pop()  # its baseline is a row of its own
        for who, x, y in pairs:
            if x is None or y is None:
                continue
            time_growth = (
                f"{y.seconds / x.seconds:.1f}x"
                if x.seconds is not None and y.seconds is not None
                else "-"
            )
            rss_growth = f"{y.rss_mb / x.rss_mb:.2f}x" if x.rss_mb and y.rss_mb else "-"
            parts.append(f"{who}: time {time_growth}, RSS {rss_growth}")
        print(f"  {item:20} " + "; ".join(parts))


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--quick", action="store_true", help="stop at 10,000 articles")
    parser.add_argument(
        "--pg",
        default=os.environ.get("DOSSIER_TEST_PG_URL"),
        metavar="URL",
        help="PostgreSQL server for the import (default: $DOSSIER_TEST_PG_URL)",
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/dossier-bench-scale"))
    parser.add_argument("--repeat", type=int, default=5, help="start-up runs; the best counts")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument(
        "--memory-limit", type=float, default=12, metavar="GB", help="address space per run"
    )
    parser.add_argument("--skip", nargs="+", choices=ITEMS, default=[])
    parser.add_argument("--baseline", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        run_baseline(args.baseline)
        return

    sizes = sorted(set(args.sizes))
    if args.quick:
        sizes = [size for size in sizes if size <= 10_000] or [10_000]
    args.work.mkdir(parents=True, exist_ok=True)
    home = args.work / "home"  # settings and logs of the runs, not the user's
    env = {**os.environ, "DOSSIER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("DOSSIER_DB", None)
    limits = Limits(args.timeout, args.memory_limit, env)
    template = args.work / "empty.sqlite"
    template.unlink(missing_ok=True)
    empty_project(str(template))
    if args.pg is None and "import" not in args.skip:
        print("PostgreSQL: no server (give --pg URL or set DOSSIER_TEST_PG_URL); skipped")
    print(
        f"sizes {', '.join(f'{s:,}' for s in sizes)}; every run in a fresh process; "
        f"timeout {args.timeout:.0f} s and {args.memory_limit:g} GB of address space per run"
    )

    figures: list[Figure] = []
    empty_runs: list[Run] = []
    for size in sizes:
        print(f"\n{size:,} articles")
        source = project_file(args.work, size)
        folder = args.work / str(size)
        folder.mkdir(exist_ok=True)
        if "import" not in args.skip:
            found = import_item(size, source, folder, template, args.pg, limits)
            figures.extend(found)
            for figure in found:
                print(f"  {figure.item}: {figure.dossier.time_text()}, {figure.dossier.rss_text()}")
        elif not (folder / "dossier.sqlite").exists():
            dossier_import(source, folder, template, limits)
        for item in ("agreement", "startup", "export"):
            if item in args.skip:
                continue
            if item == "agreement":
                found = agreement_item(size, folder, limits)
            elif item == "startup":
                found = startup_item(size, folder, template, limits, args.repeat, empty_runs)
            else:
                found = export_item(size, folder, limits)
            figures.extend(found)
            for figure in found:
                extra = f" ({figure.dossier.line})" if figure.dossier.line else ""
                print(
                    f"  {figure.item}: {figure.dossier.time_text()}, "
                    f"{figure.dossier.rss_text()}{extra}"
                )
    judge(figures, sizes)
    table(figures, sizes)
    lines = {f.dossier.line.split(" (")[0] for f in figures if f.dossier.line}
    if lines:
        print(f"\nstart-up timed to the line: {', '.join(sorted(lines))}")


if __name__ == "__main__":
    main()
