"""Speed of the annotation window, against a bare Qt text widget measured in the same run.

1. Open a 1 MB article carrying 20,000 spans: from asking for the document to the view's
   first real paint (the Paint event the event loop delivers, not a forced repaint), and
   separately to every span loaded and painted. Each timed open starts from a quiet state:
   the background jobs of the document opened before it (its spans, its tokenization)
   have ended, else each repeat would be timed against the last one's tokenizing. While
   timing, the benchmark waits on the event loop as the application's own loop does
   (sleeping until an event comes), not spinning it, which would starve the background
   read being timed.
   Baseline: a bare ``QPlainTextEdit.setPlainText`` of the same text, shown and painted the
   same way. Targets: both within 300 ms, and the first paint within 3x the bare widget.
2. Add spans in it as analysts do, with token snapping on: a selection from the middle of
   a word to the middle of another, widened to whole tokens (what releasing the mouse
   does), the label key pressed, to the span committed and painted; the median of 200.
   Target: 16 ms or less. Baseline: the same write straight through the store.
3. Records in it (the document also carries 5,000 relations, drawn as arcs): set an
   event's type in the span panel (a key in its field) and add a relation (Alt+G, then 1
   in the list of nearby actors), each from the first key press to committed and painted;
   medians of 100. Target: 16 ms or less each. Baseline: the same write straight through
   the store (``update_span`` / ``add_relation``), timed in the same run.
4. Start-up: from starting the process (``python -m desktop``, offscreen) to its report of
   the window's first real paint, on an empty project and on one of ``--articles``
   (10,000) articles with 10 spans each, and on any ``--project`` given (a
   100,000-article one, say). Baseline: a bare PySide6 process that shows a main window
   with a table and a text view and reports its first paint the same way. Targets: the
   empty project within 1.5 s, the large ones within 1.3x the empty one, and spaCy not
   loaded before the first paint.

    python tests/benchmarks/bench_view.py [--repeat 5] [--only startup] [--articles 10000]
        [--project PATH]...
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QPlainTextEdit  # noqa: E402

from db.records import ImportBatch, NewDocument, NewRelation, NewSpan  # noqa: E402
from db.store import Store  # noqa: E402

WORDS = (
    "the US strike militia Baghdad Iraq Iran-backed Kataib Hezbollah said commander killed "
    "drone attack Wednesday government troops statement «quoted» café 👍🏽 al-Saadi حزب الله "
    "retaliation officials warned confirmed denied according sources Syria CENTCOM"
).split()
LABELS = ("Claim", "Actor", "Event")


def article(size: int = 1_000_000, seed: int = 3) -> str:
    """About ``size`` characters of paragraphs (CRLF line ends, emoji, Arabic)."""
    rng = random.Random(seed)
    paragraphs, length = [], 0
    while length < size:
        paragraph = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 140))) + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 4
    return "\r\n\r\n".join(paragraphs)[:size]


def spans(text: str, count: int, seed: int = 4) -> list[NewSpan]:
    """``count`` spans, a fifth of them long (claims) holding shorter ones."""
    rng = random.Random(seed)
    result = []
    for index in range(count):
        start = rng.randrange(0, len(text) - 400)
        length = rng.randint(150, 350) if index % 5 == 0 else rng.randint(4, 40)
        result.append(NewSpan(LABELS[index % 3], start, start + length, "bench", origin="manual"))
    return result


def relations(spans: list[NewSpan], count: int, seed: int = 6) -> list[NewRelation]:
    """``count`` agent relations from events to actors near them (the schema allows many)."""
    rng = random.Random(seed)
    events = [span for span in spans if span.label == "Event"]
    actors = sorted((span for span in spans if span.label == "Actor"), key=lambda s: s.start)
    starts = [actor.start for actor in actors]
    pairs: set[tuple[str, str]] = set()
    from bisect import bisect_left

    while len(pairs) < count:
        event = rng.choice(events)
        near = bisect_left(starts, event.start) + rng.randint(-3, 3)
        actor = actors[max(0, min(near, len(actors) - 1))]
        pairs.add((event.uuid, actor.uuid))
    return [NewRelation("agent", head, tail, "bench") for head, tail in sorted(pairs)]


def settle(app: QApplication) -> None:
    for _ in range(3):
        app.processEvents()


_TICK: list[QTimer] = []


def wait(app: QApplication) -> None:
    """Deliver the events there are, or sleep until one comes, as the application's own
    event loop does; a timer wakes it every 20 ms so that callers can look at the clock.
    (Spinning ``processEvents`` instead would keep the interpreter from the background jobs
    being timed.)"""
    if not _TICK:
        tick = QTimer()
        tick.setInterval(20)
        tick.start()
        _TICK.append(tick)
    app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)


class PaintWatch(QObject):
    """Counts the Paint events a widget receives from the event loop."""

    def __init__(self, widget):
        super().__init__()
        self.count = 0
        self.widget = widget
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False

    def wait_for_paint(self, app: QApplication, after: int, timeout: float = 30.0) -> float:
        """Run the event loop until a paint after the ``after``-th has ended; its time."""
        deadline = time.perf_counter() + timeout
        while self.count <= after:
            wait(app)
            if time.perf_counter() > deadline:
                raise RuntimeError("the widget was not painted")
        return time.perf_counter()

    def close(self) -> None:
        self.widget.removeEventFilter(self)


def bare_open(app: QApplication, text: str, like) -> float:
    """The bare widget, with the font and viewport size of the window's document view:
    from setPlainText to its first paint, as the event loop delivers it."""
    editor = QPlainTextEdit()
    editor.setFont(like.font())
    editor.resize(like.size())
    editor.show()
    settle(app)
    watch = PaintWatch(editor.viewport())
    started = time.perf_counter()
    editor.setPlainText(text)
    elapsed = watch.wait_for_paint(app, watch.count) - started
    watch.close()
    editor.close()
    editor.deleteLater()
    settle(app)
    return elapsed


def quiet(app: QApplication, session, timeout: float = 60.0) -> None:
    """Run the event loop until the session's background jobs (spans, tokens) have ended."""
    deadline = time.perf_counter() + timeout
    while session.jobs_running():
        wait(app)
        if time.perf_counter() > deadline:
            raise RuntimeError("the session's background jobs did not end")
    settle(app)


def window_open(app, window, document_id: int, other_id: int) -> tuple[float, float]:
    """(first real paint, every span loaded and painted) after asking the window for the
    document, from a quiet state: nothing of an earlier open still runs."""
    quiet(app, window.session)
    window.open_document(other_id)
    settle(app)
    quiet(app, window.session)
    loaded = []

    def on_loaded() -> None:
        loaded.append(watch.count)

    watch = PaintWatch(window.view.viewport())
    window.session.spansLoaded.connect(on_loaded)
    started = time.perf_counter()
    window.open_document(document_id)
    painted = watch.wait_for_paint(app, 0) - started
    while not window.session.all_spans_shown:
        wait(app)
    # The paint that shows the last spans: one that began after they were all put in.
    last_paint = watch.wait_for_paint(app, loaded[-1]) if loaded else painted + started
    window.session.spansLoaded.disconnect(on_loaded)  # the window's own slots stay
    watch.close()
    return painted, last_paint - started


def add_latencies(app, window, count: int) -> list[float]:
    """Select from inside a word to inside another, snap (as releasing the mouse does),
    press the label key: to the span committed and painted."""
    view = window.view
    text = view.text
    assert view.snap_to_tokens, "snapping is on by default (Preferences)"
    while view.token_index is None:  # the document's tokens, made in the background
        app.processEvents()
    rng = random.Random(5)
    times = []
    for _ in range(count):
        start = text.index(" ", rng.randrange(0, len(text) - 200)) + 2
        end = text.index(" ", start + 3) - 1
        view.select_python_range(start, end)
        view.selection_is_exact = False
        settle(app)
        began = time.perf_counter()
        view.snap_selection()
        QTest.keyClick(view, Qt.Key.Key_A)
        view.repaint()
        times.append(time.perf_counter() - began)
    return times


def bench_events(window) -> list:
    return [
        span.record
        for span in window.view.spans()
        if span.record.label == "Event" and span.record.annotator == "bench"
    ]


def attribute_latencies(app, window, count: int) -> list[float]:
    """Select an event, put the keyboard in its type field, press a key: to committed and
    painted."""
    view, panel = window.view, window.spans.record
    events = bench_events(window)
    rng = random.Random(7)
    times = []
    for _ in range(count):
        event = rng.choice(events)
        view.select_span(event.uuid, reveal=True)
        settle(app)
        field = panel.fields["type"]
        field.setFocus()
        settle(app)
        began = time.perf_counter()
        QTest.keyClick(field, Qt.Key.Key_Down)
        view.repaint()
        panel.repaint()
        times.append(time.perf_counter() - began)
    return times


def relation_latencies(app, window, count: int) -> list[float]:
    """Select an event, press Alt+G and 1 (the nearest actor): to committed and painted."""
    view, panel = window.view, window.spans.record
    events = bench_events(window)
    rng = random.Random(8)
    times = []
    for _ in range(count):
        event = rng.choice(events)
        view.select_span(event.uuid, reveal=True)
        view.setFocus()
        settle(app)
        before = len(view.arcs)
        began = time.perf_counter()
        QTest.keyClick(view, Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)
        QTest.keyClick(panel.picker, Qt.Key.Key_1)
        view.repaint()
        times.append(time.perf_counter() - began)
        if len(view.arcs) == before:  # the nearest actor was linked already: not a new one
            times.pop()
    return times


def store_baseline(location: str, count: int) -> tuple[float, float, float, str]:
    """Median seconds of the same writes straight through the store: (attribute, relation,
    add span), and the SQLite ``synchronous`` setting they were committed with."""
    rng = random.Random(9)
    with Store.open(location) as store:
        bench = store.ensure_annotator("bench")
        [document_id] = [d for d in store.document_ids() if len(store.document(d).text) > 1000]
        spans_ = store.spans(document_id, annotator_ids=[bench.id])
        events = [s for s in spans_ if s.label == "Event"]
        actors = [s for s in spans_ if s.label == "Actor"]
        types = ("AGREE", "CONSULT", "SUPPORT", "AID")
        attribute_times, relation_times, add_times = [], [], []
        text = store.document(document_id).text
        actor_id = store.label_by_name("Actor").id
        with store.engine.connect() as connection:
            synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
                connection.exec_driver_sql("PRAGMA synchronous").scalar()
            ]
        for index in range(count):
            start = text.index(" ", rng.randrange(0, len(text) - 200)) + 1
            began = time.perf_counter()
            store.add_span(document_id, actor_id, bench.id, start, text.index(" ", start + 3))
            add_times.append(time.perf_counter() - began)
            event = rng.choice(events)
            began = time.perf_counter()
            store.update_span(event.uuid, attributes={**event.attributes, "type": types[index % 4]})
            attribute_times.append(time.perf_counter() - began)
            actor = rng.choice(actors)
            began = time.perf_counter()
            try:
                store.add_relation(event.uuid, actor.uuid, "target", bench.id)
            except Exception:  # linked already
                continue
            relation_times.append(time.perf_counter() - began)
    return (
        statistics.median(attribute_times),
        statistics.median(relation_times),
        statistics.median(add_times),
        synchronous,
    )


BARE_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QPlainTextEdit, QSplitter, QTableView

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, done)
        return False

def done():
    print("dossier: first paint (spaCy loaded: False)", flush=True)
    app.quit()

app = QApplication(sys.argv[:1])
window = QMainWindow()
splitter = QSplitter()
splitter.addWidget(QTableView())
splitter.addWidget(QPlainTextEdit("A short article."))
window.setCentralWidget(splitter)
window.resize(1360, 860)
watch = FirstPaint()
window.installEventFilter(watch)
window.show()
app.exec()
"""


def startup(location: str | None, repeat: int, home: Path) -> tuple[float, bool]:
    """Seconds from starting ``python -m desktop`` to its report of the window's first
    paint (read as it is printed: the process may take longer to wind down), best of
    ``repeat``; and whether spaCy was loaded before it. ``location`` None: the bare
    PySide6 window instead."""
    env = {
        **os.environ,
        "DOSSIER_QUIT_WHEN_SHOWN": "1",
        "QT_QPA_PLATFORM": "offscreen",
        "DOSSIER_HOME": str(home),
    }
    if location is None:
        command = [sys.executable, "-c", BARE_WINDOW]
    else:
        command = [sys.executable, "-m", "desktop", "--db", location]
    root = Path(__file__).resolve().parents[2]
    best, spacy_first = float("inf"), False
    for _ in range(repeat):
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=root,
        )
        seen = False
        for line in process.stdout:
            if line.startswith("dossier: first paint"):
                best = min(best, time.perf_counter() - started)
                spacy_first = spacy_first or "spaCy loaded: True" in line
                seen = True
                break
        process.wait()
        if not seen:
            raise RuntimeError(f"no first paint reported by {command[:4]}")
    return best, spacy_first


def articles_project(location: str, count: int, seed: int = 11) -> None:
    """``count`` short articles (a few hundred words) with 10 spans each from two
    annotators, imported in parts of 1,000."""
    rng = random.Random(seed)
    with Store.open(location) as store:
        for first in range(0, count, 1000):
            documents = []
            for number in range(first, min(count, first + 1000)):
                text = f"Article {number}. " + " ".join(
                    rng.choice(WORDS) for _ in range(rng.randint(150, 400))
                )
                marks = []
                for k in range(10):
                    start = rng.randrange(0, len(text) - 30)
                    marks.append(
                        NewSpan(
                            LABELS[k % 3],
                            start,
                            start + rng.randint(3, 25),
                            ("analyst_a", "analyst_b")[k % 2],
                            origin="manual",
                        )
                    )
                documents.append(
                    NewDocument(
                        text=text,
                        title=f"{rng.choice(WORDS)} {number}",
                        source=rng.choice(["AP", "Reuters", None]),
                        published=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        spans=marks,
                    )
                )
            store.import_batch(ImportBatch(documents=documents))


def startup_figures(folder: Path, args) -> bool:
    """Time the start-up on the bare window, an empty project, ``--articles`` articles and
    every ``--project``; print them; True if within the targets."""
    home = folder / "startup-home"
    empty = str(folder / "empty.db")
    Store.open(empty).close()
    large = str(folder / f"articles-{args.articles}.db")
    began = time.perf_counter()
    articles_project(large, args.articles)
    built = time.perf_counter() - began
    bare, _ = startup(None, args.repeat, home)
    empty_time, empty_spacy = startup(empty, args.repeat, home)
    print(f"start-up: first paint after process start, best of {args.repeat}")
    print(f"          bare PySide6 window                 {bare:5.2f} s")
    print(
        f"          empty project                       {empty_time:5.2f} s   "
        f"{empty_time / bare:4.2f}x the bare window (target <= 1.5 s); "
        f"spaCy loaded before it: {empty_spacy}"
    )
    ok = empty_time <= 1.5 and not empty_spacy
    projects = [(f"{args.articles:,} articles (built in {built:.1f} s)", large)]
    projects += [(f"{Path(p).name}", p) for p in args.project]
    for name, location in projects:
        seconds, spacy_first = startup(location, args.repeat, home)
        ratio = seconds / empty_time
        print(
            f"          {name:36s}{seconds:5.2f} s   {ratio:4.2f}x the empty project "
            f"(target <= 1.3x); spaCy loaded before it: {spacy_first}"
        )
        ok = ok and ratio <= 1.3 and not spacy_first
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--adds", type=int, default=200)
    parser.add_argument(
        "--only",
        choices=("view", "startup"),
        help="only the window's figures (1-3) or start-up (4)",
    )
    parser.add_argument(
        "--articles", type=int, default=10_000, help="articles in the large start-up project"
    )
    parser.add_argument(
        "--project",
        action="append",
        default=[],
        help="also time start-up on this project (a path or URL; may be repeated)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ok = True
        if args.only != "startup":
            ok = view_figures(Path(folder), args) and ok
        if args.only != "view":
            ok = startup_figures(Path(folder), args) and ok
    print("result:", "PASS" if ok else "OVER TARGET")


def view_figures(folder: Path, args) -> bool:
    """Figures 1-3 on the 1 MB article; printed; True if within the targets."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    text = article()
    home = folder / "home"
    os.environ["DOSSIER_HOME"] = str(home)
    location = str(folder / "bench.db")
    big_spans = spans(text, 20_000)
    for number, span in enumerate(big_spans):
        span.uuid = f"00000000-0000-4000-8000-{number:012d}"
    with Store.open(location) as store:
        summary = store.import_batch(
            ImportBatch(
                documents=[
                    NewDocument(
                        text=text,
                        title="A long article",
                        spans=big_spans,
                        relations=relations(big_spans, 5_000),
                    ),
                    NewDocument(text="A short article about nothing in particular."),
                ]
            )
        )
    big, small = summary.document_ids
    imported = summary.spans_added

    from desktop.settings import Settings
    from desktop.ui.app import create_window

    launcher, window = create_window(location, Settings(annotator="bench"))
    window.resize(1400, 900)
    window.show()
    settle(app)

    bare = min(bare_open(app, text, window.view) for _ in range(args.repeat))
    opened = [window_open(app, window, big, small) for _ in range(args.repeat)]
    print(
        "open, each run (first paint / every span, ms): "
        + ", ".join(f"{p * 1000:.0f}/{a * 1000:.0f}" for p, a in opened)
    )
    first_paint = min(painted for painted, _ in opened)
    all_loaded = min(loaded for _, loaded in opened)
    shown = sum(1 for s in window.view.spans())
    arcs = len(window.view.arcs)
    adds = add_latencies(app, window, args.adds)
    attribute_times = attribute_latencies(app, window, 100)
    relation_times = relation_latencies(app, window, 100)
    window.close()
    launcher.store.close()

    with Store.open(location) as store:
        bench = store.ensure_annotator("bench")
        assert len(store.spans(big, annotator_ids=[bench.id])) == imported + args.adds
        assert len(store.relations(big)) == 5_000 + len(relation_times)
    attribute_store, relation_store, add_store, synchronous = store_baseline(location, 100)

    ratio = first_paint / bare
    median_add = statistics.median(adds)
    median_attribute = statistics.median(attribute_times)
    median_relation = statistics.median(relation_times)
    print(f"document: {len(text):,} characters, {shown:,} spans drawn; best of {args.repeat} runs")
    print(
        f"open:     first paint {first_paint * 1000:6.1f} ms   bare QPlainTextEdit "
        f"{bare * 1000:6.1f} ms   ratio {ratio:4.2f}x (targets <= 300 ms, <= 3x)"
    )
    print(
        f"          every span loaded and painted {all_loaded * 1000:6.1f} ms   ratio "
        f"{all_loaded / bare:4.2f}x the bare widget (target <= 300 ms)"
    )
    print(
        f"add span: with token snapping: median {median_add * 1000:5.2f} ms, 90th percentile "
        f"{statistics.quantiles(adds, n=10)[-1] * 1000:5.2f} ms over {len(adds)} "
        "(target median <= 16 ms)"
    )
    print(
        f"          the store alone {add_store * 1000:5.2f} ms, committed with "
        f"synchronous={synchronous}; ratio {median_add / add_store:4.2f}x"
    )
    print(f"records:  {arcs:,} relations in the document")
    print(
        f"          set an attribute: median {median_attribute * 1000:5.2f} ms; the store alone "
        f"{attribute_store * 1000:5.2f} ms; ratio {median_attribute / attribute_store:4.2f}x "
        "(target median <= 16 ms)"
    )
    print(
        f"          add a relation:   median {median_relation * 1000:5.2f} ms over "
        f"{len(relation_times)}; the store alone {relation_store * 1000:5.2f} ms; ratio "
        f"{median_relation / relation_store:4.2f}x (target median <= 16 ms)"
    )
    return (
        first_paint <= 0.3
        and all_loaded <= 0.3
        and ratio <= 3
        and median_add <= 0.016
        and median_attribute <= 0.016
        and median_relation <= 0.016
    )


if __name__ == "__main__":
    main()
