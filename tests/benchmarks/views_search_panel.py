"""bench_views.py's search panel part: what the analyst waits for in the window, from Enter
in the Search panel to the first screen of hits drawn in its table and to every hit listed,
and from Tag all on 1,000 hits to the table redrawn; each against the database's raw work.

Baselines: the raw index query and ``re.finditer`` of views_search.py (the first page of
candidates for the first screen, all of them for every hit); for tagging, ``executemany``
of the same INSERTs (rolled back). The tagging is undone afterwards (Ctrl+Z's path), so the
project is left as it was.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

NAME = "Kataib Hezbollah"
TAGGED = 1_000


def run(location: str, quick: bool) -> list[tuple[str, float, float, str]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["DOSSIER_HOME"] = tempfile.mkdtemp(prefix="dossier-bench-home-")
    from PySide6.QtWidgets import QApplication

    from desktop.settings import Settings
    from desktop.ui.app import create_window
    from tests.benchmarks.views_search import VARIANTS, _raw_candidates

    app = QApplication.instance() or QApplication([])
    launcher, window = create_window(location, Settings(annotator="bench-panel"))
    window.resize(1400, 900)
    window.show()
    # The first document's spans and tokens load in the background (spaCy's first load):
    # done before timing, as they are by the time an analyst has typed a search.
    deadline = time.perf_counter() + 60
    while window.view.token_index is None and time.perf_counter() < deadline:
        _settle(app, 0.05)
    _settle(app, 0.3)
    dock = window.search_dock
    dock.show()
    panel = dock.panel
    _settle(app, 0.2)
    screen = max(
        1, panel.table.viewport().height() // panel.table.verticalHeader().defaultSectionSize()
    )
    rows = []
    try:
        _search(app, panel, "warm up the caches")

        started = time.perf_counter()
        panel.field.setText(NAME)
        panel.search()  # as Enter in the field does
        job = panel.job
        _until(
            app,
            lambda: panel.model.rowCount() >= screen or not panel.searching,
            [panel.model.rowsInserted, job.ended],
        )
        panel.table.repaint()
        first = time.perf_counter() - started
        _until(app, lambda: not panel.searching, [job.ended])
        every = time.perf_counter() - started
        hits = len(panel.model.hits)

        store = window.store
        started = time.perf_counter()
        _ids, texts = _raw_candidates(store, 32)
        [match.span() for text in texts for match in VARIANTS.finditer(text)]
        first_baseline = time.perf_counter() - started
        started = time.perf_counter()
        _ids, texts = _raw_candidates(store, None)
        found = sum(1 for text in texts for _ in VARIANTS.finditer(text))
        every_baseline = time.perf_counter() - started
        rows.append(
            (
                f"panel: first screen of hits drawn ({screen} rows)",
                first,
                first_baseline,
                "target < 200 ms; Enter to rows painted",
            )
        )
        rows.append(
            (
                f"panel: every hit of “{NAME}” listed",
                every,
                every_baseline,
                f"target < 2 s; {hits:,} hits (baseline {found:,})",
            )
        )
        rows.append(_tag_all(app, window, panel))
    finally:
        window.close()
        launcher.store.close()
    return rows


def _tag_all(app, window, panel) -> tuple[str, float, float, str]:
    """Tag all on 1,000 hits of "Hezbollah": from the press to the table redrawn."""
    _search(app, panel, "Hezbollah")
    hits = panel.model.hits[:TAGGED]
    from desktop.nlp.tokens import TokenIndex

    TokenIndex.of("Kataib Hezbollah said.", "en")  # spaCy loaded, as after a first tag
    label = window.session.label_by_name("Actor").id
    started = time.perf_counter()
    panel.tag(hits, label)
    panel.table.repaint()
    app.processEvents()
    seconds = time.perf_counter() - started
    window.session.undo_stack.undo()
    baseline = _raw_inserts(window.store, hits, label, window.session.editing.id)
    return (
        f"panel: Tag all on {len(hits):,} hits, table redrawn",
        seconds,
        baseline,
        "target < 1 s; snapped to tokens, one transaction, undone after",
    )


def _raw_inserts(store, hits, label: int, annotator: int) -> float:
    from db.store import new_uuids
    from db.tables import utcnow

    now = utcnow()
    rows = [
        (uuid, hit.document_id, label, annotator, hit.start, hit.end, hit.text)
        + ("accepted", "manual", None, "", "{}", None, now, now, 1)
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
        return time.perf_counter() - started
    finally:
        raw.rollback()
        raw.close()


def _search(app, panel, pattern: str) -> None:
    panel.field.setText(pattern)
    panel.search()
    _until(app, lambda: not panel.searching, [panel.job.ended])


def _until(app, condition, signals, limit: float = 60.0) -> None:
    """Run the event loop, as the window does while the analyst waits (asleep until a
    signal comes), until ``condition()`` holds after one of ``signals``."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return
    loop = QEventLoop()

    def check(*_args) -> None:
        if condition():
            loop.quit()

    for signal in signals:
        signal.connect(check)
    QTimer.singleShot(int(limit * 1000), loop.quit)
    loop.exec()
    for signal in signals:
        signal.disconnect(check)
    if not condition():
        raise TimeoutError("the search panel did not finish in time")
    app.processEvents()


def _settle(app, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    import argparse

    from tests.benchmarks.views_data import build_project

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    articles, events = (500, 5_000) if options.quick else (10_000, 100_000)
    work = Path(tempfile.gettempdir()) / "dossier-bench"
    location = build_project(work, articles=articles, events=events)
    for what, seconds, baseline, note in run(location, options.quick):
        print(
            f"{what:<52} {seconds * 1000:>8.0f}ms {baseline * 1000:>8.0f}ms "
            f"{seconds / baseline:>6.1f}x  {note}"
        )
