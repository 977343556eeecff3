"""One simulated analyst of tests/benchmarks/bench_team.py, run in a process of its own:
Dossier's window actions as a team login with live updates on, or the plain psycopg
baseline doing the same inserts and edits with a plain NOTIFY and LISTEN.

A separate module so that ``multiprocessing`` (spawn) can import the targets without
running the benchmark.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from dataclasses import dataclass

import orjson

CONTESTED_LABELS = ("Claim", "Actor", "Event")
WORD = re.compile(r"\S+")
PLAIN_CHANNEL = "plain:bench"
SETTLE_QUIET = 1.0  # s with nothing new heard before a session stops listening
SETTLE_MAX = 15.0  # s a session listens at most after everyone has finished


@dataclass(frozen=True)
class Plan:
    """What one simulated analyst does: who it is, where, how much and how fast."""

    index: int
    url: str  # libpq/SQLAlchemy URL as this analyst's login (the owner's for the baseline)
    login: str
    annotator_id: int
    documents: tuple[int, ...]  # in the order this analyst works through them
    adds: int
    edits: int  # relabels of the contested gold spans (reviewers only)
    gold: tuple[str, ...]  # uuids of the gold spans several reviewers relabel
    pace: float  # s between the starts of two actions, on average
    per_document: int  # spans tagged on a document before moving to the next
    seed: int


class Conflicted(Exception):
    """A version-checked edit refused; ``theirs`` is the span as it now is (None: gone)."""

    def __init__(self, theirs):
        super().__init__("changed elsewhere")
        self.theirs = theirs


class Receipts:
    """When this session's listener first heard of each span (``time.time()``), filled
    from the listening thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.first: dict[str, float] = {}
        self.stale: set[str] = set()  # gold spans changed by others since last read
        self.gold: frozenset[str] = frozenset()
        self.drops: list[str] = []
        self.overflows = 0  # notifications with no keys (more than the trigger names)

    def heard(self, keys, now: float) -> None:
        with self.lock:
            for key in keys:
                self.first.setdefault(key, now)
                if key in self.gold:
                    self.stale.add(key)

    def take_stale(self) -> list[str]:
        with self.lock:
            stale, self.stale = list(self.stale), set()
        return stale

    def count(self) -> int:
        with self.lock:
            return len(self.first)


# --- the two clients: Dossier, and plain psycopg -----------------------------------------------


class DossierClient:
    """The window's work: AddSpan and a version-checked relabel through a Store opened as
    the analyst's login, and a db.live.Listener as the window runs."""

    def __init__(self, plan: Plan, receipts: Receipts):
        from db.live import Listener
        from db.store import Store

        self.store = Store.open(plan.url, create=False, actor=plan.login)
        self.plan = plan
        self.labels = {label.id: label.name for label in self.store.labels()}
        self.contested = [i for i, n in self.labels.items() if n in CONTESTED_LABELS]
        self.texts = {d: self.store.document(d).text for d in plan.documents}
        self.receipts = receipts

        def on_events(events) -> None:
            now = time.time()
            for event in events:
                if event.table == "annotation":
                    if event.keys is None:
                        receipts.overflows += 1
                    else:
                        receipts.heard(event.keys, now)

        def on_state(up: bool, reason: str) -> None:
            if not up:
                receipts.drops.append(reason)

        self.listener = Listener(self.store, on_events, on_state, annotator=plan.login)
        self.listener.start()
        if not self.listener.wait_connected(30):
            raise RuntimeError(f"{plan.login}: the listener did not connect")

    def open_document(self, document_id: int) -> None:
        self.listener.set_document(document_id)

    def add(self, document_id: int, label_id: int, start: int, end: int) -> str:
        from desktop.commands import AddSpan

        command = AddSpan(self.store, document_id, label_id, self.plan.annotator_id, start, end)
        command.apply()
        return command.span.uuid

    def read(self, uuids):
        return {span.uuid: span for span in self.store.spans_by_uuid(uuids)}

    @staticmethod
    def version(span) -> int:
        return span.version

    @staticmethod
    def label(span) -> int:
        return span.label_id

    def relabel(self, span, label_id: int):
        from db.store import ConflictError
        from desktop.commands import relabel_spans

        command = relabel_spans(self.store, [span], label_id, self.labels[label_id])
        try:
            command.apply()
        except ConflictError as exc:
            raise Conflicted(exc.theirs) from None
        return command.after[0]

    def close(self) -> None:
        self.listener.stop()
        self.store.close()


@dataclass(frozen=True)
class PlainSpan:
    uuid: str
    version: int
    label_id: int


class PlainClient:
    """The baseline: one psycopg connection inserting into a plain copy of the span table
    (no row-level security, no triggers, no history) with a plain NOTIFY in the same
    transaction, and a plain LISTEN connection in a thread."""

    COLUMNS = (
        'uuid, document_id, label_id, annotator_id, start, "end", text, status, origin, '
        "confidence, note, attributes, entity_id, created_at, updated_at, version"
    )

    def __init__(self, plan: Plan, receipts: Receipts):
        import psycopg

        self.plan = plan
        self.receipts = receipts
        self.session = uuid.uuid4().hex[:12]
        self.connection = psycopg.connect(plan.url)
        self.labels = dict(self.connection.execute("SELECT id, name FROM public.label").fetchall())
        self.contested = [i for i, n in self.labels.items() if n in CONTESTED_LABELS]
        self.texts = dict(
            self.connection.execute(
                "SELECT id, text FROM public.document WHERE id = ANY(%s)", [list(plan.documents)]
            ).fetchall()
        )
        self.connection.commit()
        self._stop = threading.Event()
        self._up = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()
        if not self._up.wait(30):
            raise RuntimeError(f"{plan.login}: the plain listener did not connect")

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(self.plan.url, autocommit=True) as connection:
            connection.execute(f'LISTEN "{PLAIN_CHANNEL}"')
            self._up.set()
            while not self._stop.is_set():
                notes = list(connection.notifies(timeout=0.25, stop_after=1))
                if not notes:
                    continue
                notes += list(connection.notifies(timeout=0))
                now = time.time()
                for note in notes:
                    data = orjson.loads(note.payload)
                    if data["session"] != self.session and data["keys"] is not None:
                        self.receipts.heard(data["keys"], now)

    def open_document(self, document_id: int) -> None:
        pass  # the plain tool keeps no presence

    def _notify(self, op: str, document_id: int, keys: list[str]) -> None:
        payload = {
            "table": "annotation",
            "op": op,
            "document": document_id,
            "keys": keys,
            "session": self.session,
            "actor": self.plan.login,
        }
        self.connection.execute(
            "SELECT pg_notify(%s, %s)", (PLAIN_CHANNEL, orjson.dumps(payload).decode())
        )

    def add(self, document_id: int, label_id: int, start: int, end: int) -> str:
        from db.tables import utcnow

        now = utcnow()
        key = str(uuid.uuid4())
        self.connection.execute(
            f"INSERT INTO plain.annotation ({self.COLUMNS}) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, 'accepted', 'manual', NULL, '', '{}', NULL, %s, %s, 1)",
            (
                key,
                document_id,
                label_id,
                self.plan.annotator_id,
                start,
                end,
                self.texts[document_id][start:end],
                now,
                now,
            ),
        )
        self._notify("insert", document_id, [key])
        self.connection.commit()
        return key

    def read(self, uuids):
        rows = self.connection.execute(
            "SELECT uuid, version, label_id FROM plain.annotation WHERE uuid = ANY(%s)",
            [list(uuids)],
        ).fetchall()
        self.connection.commit()
        return {row[0]: PlainSpan(*row) for row in rows}

    @staticmethod
    def version(span) -> int:
        return span.version

    @staticmethod
    def label(span) -> int:
        return span.label_id

    def relabel(self, span: PlainSpan, label_id: int) -> PlainSpan:
        from db.tables import utcnow

        row = self.connection.execute(
            "UPDATE plain.annotation SET label_id = %s, version = version + 1, updated_at = %s "
            "WHERE uuid = %s AND version = %s RETURNING document_id, version",
            (label_id, utcnow(), span.uuid, span.version),
        ).fetchone()
        if row is None:
            self.connection.rollback()
            raise Conflicted(self.read([span.uuid]).get(span.uuid))
        self._notify("update", row[0], [span.uuid])
        self.connection.commit()
        return PlainSpan(span.uuid, row[1], label_id)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.connection.close()


# --- the simulated analyst ----------------------------------------------------------------------


def _pick_span(rng: random.Random, words: list[tuple[int, int]]) -> tuple[int, int]:
    """A stretch of one to six whole words, as an analyst selects."""
    first = rng.randrange(len(words))
    last = min(len(words) - 1, first + rng.randint(0, 5))
    return words[first][0], words[last][1]


def simulate(kind: str, plan: Plan, ready, finished, results) -> None:
    """Run one analyst (``kind`` "dossier" or "plain") and put its figures on ``results``:
    wait on the ``ready`` barrier so that everyone starts together, act at the plan's
    pace, then wait on ``finished`` and keep listening until the others' last changes
    have arrived."""
    try:
        results.put(_simulate(kind, plan, ready, finished))
    except KeyboardInterrupt:
        pass
    except BaseException as exc:  # the parent reports it rather than waiting forever
        results.put({"index": plan.index, "failed": f"{type(exc).__name__}: {exc}"})
        ready.abort()
        finished.abort()


def _simulate(kind: str, plan: Plan, ready, finished) -> dict:
    receipts = Receipts()
    receipts.gold = frozenset(plan.gold)
    client = (DossierClient if kind == "dossier" else PlainClient)(plan, receipts)
    rng = random.Random(plan.seed)
    words = {d: [m.span() for m in WORD.finditer(t)] for d, t in client.texts.items()}
    actions = ["add"] * plan.adds + ["edit"] * plan.edits
    rng.shuffle(actions)
    seen = client.read(plan.gold) if plan.edits else {}
    adds: list[tuple[str, float]] = []
    # uuid, version seen, label seen, version made, label made
    edits: list[tuple[str, int, int, int, int]] = []
    add_times: list[float] = []
    edit_times: list[float] = []
    conflicts = 0
    errors: list[str] = []
    documents = iter(plan.documents * (plan.adds // plan.per_document + 1))
    document, left = None, 0
    ready.wait()
    began = time.perf_counter()
    next_at = began
    for action in actions:
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        started = time.perf_counter()
        # A person's next key press follows the last one; one late does not make the next
        # ones come faster.
        next_at = started + plan.pace * rng.uniform(0.5, 1.5)
        if action == "add":
            if left == 0:
                document, left = next(documents), plan.per_document
                client.open_document(document)
            start, end = _pick_span(rng, words[document])
            label_id = rng.choice(client.contested)
            try:
                key = client.add(document, label_id, start, end)
            except Exception as exc:
                errors.append(f"add: {type(exc).__name__}: {exc}")
                continue
            committed = time.time()
            add_times.append(time.perf_counter() - started)
            adds.append((key, committed))
            left -= 1
        else:
            # What the window does first: read again the spans colleagues changed.
            stale = [key for key in receipts.take_stale() if key in seen]
            if stale:
                fresh = client.read(stale)
                for key in stale:
                    if key in fresh:
                        seen[key] = fresh[key]
                    else:
                        seen.pop(key, None)
            if not seen:
                continue
            key = rng.choice(sorted(seen))
            span = seen[key]  # the span as the reviewer selects it
            label_id = rng.choice([i for i in client.contested if i != client.label(span)])
            # The key press follows the selection after a moment's thought; a colleague's
            # relabel in between is the conflict the window must refuse and show. Not timed.
            time.sleep(rng.uniform(0, plan.pace))
            started = time.perf_counter()
            try:
                after = client.relabel(span, label_id)
            except Conflicted as exc:  # shown to the analyst, who sees theirs
                conflicts += 1
                edit_times.append(time.perf_counter() - started)
                if exc.theirs is None:
                    seen.pop(key)
                else:
                    seen[key] = exc.theirs
                continue
            except Exception as exc:
                errors.append(f"edit: {type(exc).__name__}: {exc}")
                continue
            edit_times.append(time.perf_counter() - started)
            edits.append(
                (key, client.version(span), client.label(span), client.version(after), label_id)
            )
            seen[key] = after
    elapsed = time.perf_counter() - began
    finished.wait()
    # Listen on until the others' last changes are in (quiet for a moment), as a window
    # left open would.
    settle_until = time.monotonic() + SETTLE_MAX
    count, quiet_since = receipts.count(), time.monotonic()
    while time.monotonic() < settle_until:
        time.sleep(0.1)
        now_count = receipts.count()
        if now_count != count:
            count, quiet_since = now_count, time.monotonic()
        elif time.monotonic() - quiet_since > SETTLE_QUIET:
            break
    client.close()
    with receipts.lock:
        received = dict(receipts.first)
    return {
        "index": plan.index,
        "adds": adds,
        "edits": edits,
        "add_times": add_times,
        "edit_times": edit_times,
        "conflicts": conflicts,
        "errors": errors,
        "elapsed": elapsed,
        "received": received,
        "drops": receipts.drops,
        "overflows": receipts.overflows,
    }
