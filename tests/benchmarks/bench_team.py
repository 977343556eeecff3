"""A team tagging one PostgreSQL project at once, against plain psycopg doing the same work
in the same run (issue 16, item 6).

Each simulated analyst is a process of its own (``multiprocessing``, spawn) signed in as its
own team login (``team_init`` and ``team_add``: row-level security on, history recorded by
the triggers), running a ``db.live.Listener`` as the window does, and pressing label keys
at a set pace: each key press is ``desktop.commands.AddSpan(...).apply()`` on a document of
the seed corpus (/work/shared/corpus, replicated). Half of them are reviewers who, for a
small share of the actions, relabel the same few gold spans with version-checked edits
(``relabel_spans(...).apply()``), reading again the spans their listener says changed, as
the window does; a refused edit (ConflictError) is shown, not lost.

Timed, per size: each action on the client until its commit returned (p50, p95); actions
per second in all; and, for every added span, the time from its commit until EVERY other
session's listener had heard of it (its uuid in a notification's keys; ``time.time()`` on
one machine). Checked afterwards: every acknowledged add is in the database, every
acknowledged edit is in the history as made from the version its analyst saw, and every
span's history is an unbroken chain of versions (0 silent overwrites).

The baseline: as many processes doing the same inserts and version-checked edits at the
same pace with plain psycopg on a plain table of the same columns (no row-level security,
no triggers, no history), a plain ``NOTIFY`` in the same transaction, and plain ``LISTEN``
connections. Target (issue 16): seen by every other session within 1 s at p95.

The benchmark makes a database of its own on the server (``dossier_bench_team_<random>``)
and drops it and its roles at the end, also on Ctrl+C.

    .venv/bin/python tests/benchmarks/bench_team.py [--analysts 10,50] [--spans 1000]
        [--pace 0.1] [--contested 0.05] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import random
import re
import secrets
import signal
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy
import orjson
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from db.store import Store  # noqa: E402
from db.team import group_roles, team_add, team_init, team_key  # noqa: E402
from desktop.formats import import_paths  # noqa: E402
from tests.benchmarks.team_worker import CONTESTED_LABELS, Plan, simulate  # noqa: E402

CORPUS = Path("/work/shared/corpus")
WORD = re.compile(r"\S+")
CONNECTIONS_EACH = 2  # a store's connection and its listener's


def plain_url(url) -> str:
    """A SQLAlchemy URL (or its text) as a libpq connection string for psycopg."""
    return make_url(str(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def check_connections(url: str, analysts: int) -> tuple[int, int]:
    """(connections the server allows to ordinary sessions, connections open now); exits
    with a plain message when there are not enough for ``analysts`` sessions."""
    with psycopg.connect(plain_url(url), autocommit=True) as connection:
        most = int(connection.execute("SHOW max_connections").fetchone()[0])
        reserved = int(connection.execute("SHOW superuser_reserved_connections").fetchone()[0])
        open_now = connection.execute("SELECT count(*) FROM pg_stat_activity").fetchone()[0]
    need = analysts * CONNECTIONS_EACH + 4
    if most - reserved - open_now < need:
        raise SystemExit(
            f"the server at {make_url(url).host}:{make_url(url).port} allows "
            f"max_connections = {most} ({reserved} reserved, {open_now} open now): too few "
            f"for {analysts} analysts, who need about {need} (two each). Raise max_connections "
            "in postgresql.conf or run fewer analysts (--analysts)."
        )
    return most, open_now


# --- the project ------------------------------------------------------------------------------


@dataclass
class Project:
    """The benchmark's own database: the team project, its logins and gold spans, and the
    baseline's plain table beside it."""

    server: str  # the URL given, on the maintenance database
    name: str
    logins: list[tuple[str, str | None, int, str]] = field(default_factory=list)
    gold: list[str] = field(default_factory=list)
    documents: list[int] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)  # every role made, dropped at the end

    @property
    def url(self) -> str:
        return make_url(self.server).set(database=self.name).render_as_string(hide_password=False)

    def url_as(self, login: str, password: str | None) -> str:
        return (
            make_url(self.url)
            .set(username=login, password=password)
            .render_as_string(hide_password=False)
        )

    @classmethod
    def create(cls, server: str, *, analysts: int, documents: int, gold: int) -> Project:
        name = f"dossier_bench_team_{secrets.token_hex(4)}"
        project = cls(server, name)
        with psycopg.connect(plain_url(server), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            project._fill(analysts, documents, gold)
        except BaseException:
            project.drop()
            raise
        return project

    def _fill(self, analysts: int, documents: int, gold: int) -> None:
        owner = Store.open(self.url)
        try:
            self._import(owner, documents)
            self.documents = owner.document_ids()
            self.roles = list(group_roles(team_key(self.name, "public")).values())
            team_init(owner)
            for index in range(analysts):
                login = f"{self.name}_a{index:02d}"
                role = "reviewer" if index % 2 == 0 else "analyst"
                self.roles.insert(0, login)  # logins go before their groups
                password = team_add(owner, login, role)
                annotator = next(a for a in owner.annotators() if a.name == login)
                self.logins.append((login, password, annotator.id, role))
            self._gold(owner, gold)
        finally:
            owner.close()
        with psycopg.connect(plain_url(self.url), autocommit=True) as connection:
            connection.execute("CREATE SCHEMA plain")
            connection.execute(
                "CREATE TABLE plain.annotation (LIKE public.annotation INCLUDING ALL)"
            )
            connection.execute(
                "INSERT INTO plain.annotation SELECT * FROM public.annotation WHERE uuid = ANY(%s)",
                [self.gold],
            )

    @staticmethod
    def _import(owner: Store, documents: int) -> None:
        """The seed corpus, replicated to ``documents`` articles (each copy its own text)."""
        seeds = sorted(CORPUS.glob("*.txt"))
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "articles.jsonl"
            with open(source, "wb") as stream:
                for number in range(documents):
                    seed = seeds[number % len(seeds)]
                    copy = number // len(seeds) + 1
                    text = seed.read_text(encoding="utf-8")
                    record = {
                        "text": f"{text}\n\n(Copy {copy} for the team benchmark.)",
                        "title": f"{seed.stem} ({copy})",
                        "source": "Seed corpus",
                    }
                    stream.write(orjson.dumps(record) + b"\n")
            import_paths(owner, [source])

    def _gold(self, owner: Store, count: int) -> None:
        """Gold spans the reviewers will relabel at once."""
        rng = random.Random(3)
        gold_id = owner.gold_annotator().id
        labels = [label.id for label in owner.labels() if label.name in CONTESTED_LABELS]
        for number in range(count):
            document = self.documents[number % len(self.documents)]
            words = [m.span() for m in WORD.finditer(owner.document(document).text)]
            first = rng.randrange(len(words) - 3)
            span = owner.add_span(
                document, rng.choice(labels), gold_id, words[first][0], words[first + 2][1]
            )
            self.gold.append(span.uuid)

    def drop(self) -> None:
        """Drop the database (ending any session left on it) and every role made for it."""
        with psycopg.connect(plain_url(self.server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            for role in self.roles:
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


# --- a run ------------------------------------------------------------------------------------


@dataclass
class Run:
    """What the simulated analysts of one run reported."""

    kind: str
    results: list[dict]

    def all(self, key: str) -> list:
        return [item for result in self.results for item in result[key]]


def plans(project: Project, kind: str, analysts: int, options) -> list[Plan]:
    logins = project.logins[:analysts]
    reviewers = [index for index, (*_, role) in enumerate(logins) if role == "reviewer"]
    edits = round(options.contested * analysts * options.spans)
    share = {index: edits // len(reviewers) for index in reviewers}
    for index in reviewers[: edits % len(reviewers)]:
        share[index] += 1
    made = []
    for index, (login, password, annotator_id, _role) in enumerate(logins):
        shift = index * 3 % len(project.documents)
        made.append(
            Plan(
                index=index,
                url=project.url_as(login, password)
                if kind == "dossier"
                else plain_url(project.url),
                login=login,
                annotator_id=annotator_id,
                documents=tuple(project.documents[shift:] + project.documents[:shift]),
                adds=options.spans,
                edits=share.get(index, 0),
                gold=tuple(project.gold),
                pace=options.pace,
                per_document=options.per_document,
                seed=1000 * analysts + index,
            )
        )
    return made


def run(project: Project, kind: str, analysts: int, options) -> Run:
    """Start ``analysts`` processes of ``kind`` ("dossier" or "plain"), wait for their
    figures; any process that fails ends the run with its message."""
    context = multiprocessing.get_context("spawn")
    ready, finished = context.Barrier(analysts), context.Barrier(analysts)
    results = context.Queue()
    processes = [
        context.Process(target=simulate, args=(kind, plan, ready, finished, results), daemon=True)
        for plan in plans(project, kind, analysts, options)
    ]
    for process in processes:
        process.start()
    try:
        collected = []
        deadline = time.monotonic() + 120 + options.spans * options.pace * 4
        while len(collected) < analysts:
            try:
                result = results.get(timeout=1)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{kind}: the analysts did not finish in time") from None
                if not any(p.is_alive() for p in processes):
                    raise SystemExit(
                        f"{kind}: the analysts' processes ended without a word"
                    ) from None
                continue
            if "failed" in result:
                raise SystemExit(f"{kind} analyst {result['index']} failed: {result['failed']}")
            collected.append(result)
        for process in processes:
            process.join(10)
        return Run(kind, sorted(collected, key=lambda r: r["index"]))
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(5)


# --- what the runs show -----------------------------------------------------------------------


@dataclass
class Audit:
    """What the database says of the acknowledged writes."""

    lost: int  # acknowledged adds missing
    lost_edits: int  # acknowledged edits the history does not hold
    overwrites: int  # edits that replaced content their analyst had not seen
    # edits made over a newer version holding what their analyst saw (a colleague changed
    # the span and changed it back): the store checks content, so these are not refused,
    # and nothing the analyst had not seen was replaced
    same_content: int
    broken: int  # links of a span's history whose versions do not follow
    spans_checked: int


def audit(url: str, adds: list[str], edits: list[tuple[str, int, int, int, int]]) -> Audit:
    """Check a Dossier run against the database at ``url``: every acknowledged add
    (``adds``, uuids) is there, every acknowledged edit (uuid, version seen, label seen,
    version made, label made) is in the history as made from the version seen, or from a
    later one holding the label seen, and every span's history is an unbroken chain whose
    last version is the span's."""
    with psycopg.connect(plain_url(url)) as connection:
        present = {
            row[0]
            for row in connection.execute(
                "SELECT uuid FROM annotation WHERE uuid = ANY(%s)", [adds]
            )
        }
        updates = {}
        for key, before, before_label, after, label in connection.execute(
            "SELECT key, (before->>'version')::int, (before->>'label_id')::int, "
            "(after->>'version')::int, (after->>'label_id')::int FROM history "
            "WHERE kind = 'span' AND op = 'update' ORDER BY id"
        ):
            # The first write that made a version is the acknowledged one; a later write
            # that left the version as it was is a broken link, counted below.
            updates.setdefault((key, after), (before, before_label, label))
        lost_edits = overwrites = same_content = 0
        # Only labels change in this benchmark, so the label is the content compared.
        for key, seen, seen_label, made, label in edits:
            found = updates.get((key, made))
            if found is None or found[2] != label:
                lost_edits += 1
            elif found[0] != seen and found[1] != seen_label:
                overwrites += 1
            elif found[0] != seen:
                same_content += 1
        chains = defaultdict(list)
        for key, op, before, after in connection.execute(
            "SELECT key, op, (before->>'version')::int, (after->>'version')::int "
            "FROM history WHERE kind = 'span' ORDER BY id"
        ):
            chains[key].append((op, before, after))
        current = dict(connection.execute("SELECT uuid, version FROM annotation").fetchall())
    broken = 0
    for key, chain in chains.items():
        last = None  # the version the previous entry left (None: no span)
        for op, before, after in chain:
            if op == "insert":
                broken += last is not None
            elif before != last or (op == "update" and after != before + 1):
                broken += 1
            last = after
        broken += current.get(key) != last
    # A span changed by no recorded statement has no chain at all.
    broken += sum(1 for key in current if key not in chains)
    return Audit(
        len(set(adds) - present), lost_edits, overwrites, same_content, broken, len(chains)
    )


def plain_lost(url: str, adds: list[str]) -> int:
    with psycopg.connect(plain_url(url)) as connection:
        present = {
            row[0]
            for row in connection.execute(
                "SELECT uuid FROM plain.annotation WHERE uuid = ANY(%s)", [adds]
            )
        }
    return len(set(adds) - present)


def seen_by_all(result: Run) -> tuple[numpy.ndarray, int]:
    """For every added span, seconds from its commit until the last of the other sessions
    heard of it; and how many (span, session) pairs were never heard."""
    delays, missing = [], 0
    for writer in result.results:
        others = [r["received"] for r in result.results if r is not writer]
        for key, committed in writer["adds"]:
            heard = [received.get(key) for received in others]
            missing += heard.count(None)
            heard = [when for when in heard if when is not None]
            if heard:
                delays.append(max(heard) - committed)
    return numpy.array(delays), missing


def figures(result: Run) -> dict[str, float]:
    adds = numpy.array(result.all("add_times"))
    edits = numpy.array(result.all("edit_times"))
    delays, missing = seen_by_all(result)
    elapsed = max(r["elapsed"] for r in result.results)
    actions = len(adds) + len(edits)

    def pct(values, q):
        return float(numpy.percentile(values, q)) if len(values) else float("nan")

    return {
        "add p50": pct(adds, 50) * 1000,
        "add p95": pct(adds, 95) * 1000,
        "edit p50": pct(edits, 50) * 1000,
        "edit p95": pct(edits, 95) * 1000,
        "actions/s": actions / elapsed,
        "seen p50": pct(delays, 50) * 1000,
        "seen p95": pct(delays, 95) * 1000,
        "seen max": float(delays.max()) * 1000 if len(delays) else float("nan"),
        "never seen": missing,
        "conflicts": sum(r["conflicts"] for r in result.results),
        "adds": len(result.all("adds")),
        "edits": len(result.all("edits")),
        "errors": len(result.all("errors")),
        "drops": len(result.all("drops")),
        "overflows": sum(r["overflows"] for r in result.results),
    }


ROWS = (
    ("add p50", "per action: tag a span, p50", "ms"),
    ("add p95", "per action: tag a span, p95", "ms"),
    ("edit p50", "per action: relabel a contested gold span, p50", "ms"),
    ("edit p95", "per action: relabel a contested gold span, p95", "ms"),
    ("actions/s", "actions per second, all analysts", "/s"),
    ("seen p50", "commit -> seen by every other session, p50", "ms"),
    ("seen p95", "commit -> seen by every other session, p95 (target < 1 s)", "ms"),
    ("seen max", "commit -> seen by every other session, max", "ms"),
)


def report(dossier: dict, plain: dict | None, checked: Audit, lost_plain: int | None) -> None:
    print(f"{'measure':<60} {'dossier':>10} {'plain':>10} {'ratio':>7}")
    for key, what, unit in ROWS:
        mine = dossier[key]
        theirs = plain[key] if plain else float("nan")
        ratio = mine / theirs if plain and theirs else float("nan")
        print(f"{what:<60} {mine:>8.1f}{unit:<2} {theirs:>8.1f}{unit:<2} {ratio:>6.2f}x")
    print(
        f"lost (acknowledged adds missing): {checked.lost} of {dossier['adds']:,}"
        f" (plain: {lost_plain if lost_plain is not None else '-'}); acknowledged edits "
        f"missing from the history: {checked.lost_edits}"
    )
    print(
        f"silent overwrites: {checked.overwrites + checked.broken} (edits that replaced a "
        f"label not seen: {checked.overwrites}; broken links in {checked.spans_checked:,} "
        f"spans' histories: {checked.broken}; edits over a newer version with the label seen, "
        f"changed and changed back by colleagues: {checked.same_content}); conflicts refused "
        f"and shown: {dossier['conflicts']} of "
        f"{dossier['conflicts'] + dossier['edits']} contested edits"
        + (
            f" (plain: {plain['conflicts']} of {plain['conflicts'] + plain['edits']})"
            if plain
            else ""
        )
    )
    print(
        f"never heard by a session: {dossier['never seen']} (plain: "
        f"{plain['never seen'] if plain else '-'}); errors: {dossier['errors']}; listener "
        f"connections lost: {dossier['drops']}; notifications without keys: {dossier['overflows']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--analysts", default="10,50", help="sizes of the team, comma-separated")
    parser.add_argument("--spans", type=int, default=1000, help="spans each analyst tags")
    parser.add_argument("--pace", type=float, default=0.1, help="s between key presses (±50%%)")
    parser.add_argument(
        "--contested", type=float, default=0.05, help="share of actions that relabel gold spans"
    )
    parser.add_argument("--gold", type=int, default=10, help="gold spans the reviewers share")
    parser.add_argument("--documents", type=int, default=50, help="articles in the project")
    parser.add_argument("--per-document", type=int, default=50, help="spans before the next one")
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain psycopg run")
    parser.add_argument("--pg-url", default=os.environ.get("DOSSIER_TEST_PG_URL"))
    options = parser.parse_args(argv)
    if not options.pg_url:
        parser.error("give --pg-url or set DOSSIER_TEST_PG_URL")
    sizes = [int(size) for size in options.analysts.split(",")]
    most, open_now = check_connections(options.pg_url, max(sizes))
    print(
        f"server: max_connections {most} ({open_now} open now; {max(sizes)} analysts need "
        f"about {max(sizes) * CONNECTIONS_EACH}); machine: {os.cpu_count()} cores for every "
        "analyst process, the server and the benchmark"
    )
    print(
        f"pace: a key press every {options.pace * 1000:.0f} ms ±50% per analyst "
        f"({1 / options.pace:.0f} actions/s each) - a person tags a span every few seconds "
        f"(about 0.3/s), so each simulated analyst is about {0.3**-1 / options.pace:.0f} "
        f"people; {options.spans} spans each, {options.contested:.0%} more actions relabel "
        f"{options.gold} shared gold spans (reviewers: every other analyst)"
    )

    def interrupted(*_args):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    started = time.perf_counter()
    project = Project.create(
        options.pg_url, analysts=max(sizes), documents=options.documents, gold=options.gold
    )
    try:
        print(
            f"project {project.name}: {len(project.documents)} articles, {max(sizes)} logins, "
            f"team_init + RLS + history (ready in {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        for analysts in sizes:
            dossier_run = run(project, "dossier", analysts, options)
            checked = audit(
                project.url,
                [key for key, _ in dossier_run.all("adds")],
                dossier_run.all("edits"),
            )
            mine = figures(dossier_run)
            theirs = lost_plain = None
            if not options.no_baseline:
                plain_run = run(project, "plain", analysts, options)
                theirs = figures(plain_run)
                lost_plain = plain_lost(project.url, [key for key, _ in plain_run.all("adds")])
            print(f"\n== {analysts} analysts ({os.cpu_count()} cores) ==")
            report(mine, theirs, checked, lost_plain)
            for error in dossier_run.all("errors")[:5]:
                print(f"  error: {error}")
            sys.stdout.flush()
    except KeyboardInterrupt:
        print("interrupted; dropping the benchmark's database and roles", file=sys.stderr)
        return 130
    finally:
        project.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
