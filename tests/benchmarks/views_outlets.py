"""Outlets side by side against the database's raw query: the coverage table of outlets ×
actors (computed, and drawn in the dock's table), and the reports of the most mentioned
actor and of one event across outlets.

Run with the others by ``bench_views.py --only outlets`` (once "outlets" is in its PARTS), or
alone: ``.venv/bin/python tests/benchmarks/views_outlets.py [--quick]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _timed(work, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def _raw(store, sql: str, *params) -> list:
    """The statement through the driver, no SQLAlchemy building or rows to records."""
    connection = store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        connection.close()


def run(location: str, quick: bool) -> list[tuple[str, float, float, str]]:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QTableView

    from db.store import Store
    from desktop.corpus import outlets
    from desktop.corpus.records import load_claims, load_events
    from desktop.ui.outlets_view import CoverageModel

    rows = []
    marker = "%s" if not location.endswith(".db") else "?"
    with Store.open(location, create=False) as store:
        coverage_sql = (
            "SELECT e.uuid, COALESCE(d.source, ''), COUNT(DISTINCT a.document_id) "
            "FROM annotation a JOIN entity e ON e.id = a.entity_id "
            "JOIN document d ON d.id = a.document_id WHERE a.status != 'rejected' "
            "GROUP BY e.uuid, COALESCE(d.source, '')"
        )
        baseline, raw = _timed(lambda: _raw(store, coverage_sql))
        seconds, table = _timed(lambda: outlets.coverage(store))
        rows.append(
            (
                "outlets: coverage table computed",
                seconds,
                baseline,
                f"{len(table.actors)} actors × {len(table.outlets)} outlets ({len(raw)} cells); "
                "baseline: the GROUP BY alone",
            )
        )

        app = QApplication.instance() or QApplication([])
        view = QTableView()
        model = CoverageModel(view)
        view.setModel(model)
        view.resize(1400, 600)
        view.show()
        app.processEvents()

        def draw():
            model.set_coverage(outlets.coverage(store))
            view.viewport().repaint()
            app.processEvents()

        seconds, _ = _timed(draw)
        rows.append(("outlets: coverage table drawn", seconds, baseline, "read, then painted"))
        view.close()

        events, claims = load_events(store), load_claims(store)
        top = table.actors[0]
        mentions_sql = (
            'SELECT a.uuid, a.document_id, d.title, d.source, d.published, a.start, a."end" '
            "FROM annotation a JOIN entity e ON e.id = a.entity_id "
            f"JOIN document d ON d.id = a.document_id WHERE e.uuid = {marker} "
            "AND a.status != 'rejected' ORDER BY a.document_id, a.start"
        )
        baseline, raw = _timed(lambda: _raw(store, mentions_sql, top.uuid))

        index_seconds, index = _timed(lambda: outlets.RecordIndex.of(events, claims))

        def actor_reports():
            return index.actor(top.uuid, store.actor_outlet_mentions(top.uuid))

        seconds, groups = _timed(actor_reports)
        rows.append(
            (
                "outlets: reports of the most mentioned actor",
                seconds,
                baseline,
                f"{sum(len(g.reports) for g in groups)} reports from {len(raw)} mentions; "
                f"the index of {len(events):,} events and {len(claims):,} claims, built once "
                f"as they are read, took {index_seconds * 1000:.0f} ms",
            )
        )
        chosen = next(e for e in events if e.type and e.first_day and (e.agents or e.targets))
        started = time.perf_counter()
        plain = [e for e in events if e.type == chosen.type]  # one pass over the same list
        baseline = time.perf_counter() - started
        seconds, groups = _timed(lambda: index.event(chosen))
        rows.append(
            (
                "outlets: reports of one event",
                seconds,
                baseline,
                f"{sum(len(g.reports) for g in groups)} matches among {len(plain):,} events "
                "of its type; baseline: one pass picking them out",
            )
        )
    return rows


if __name__ == "__main__":
    import tempfile

    from tests.benchmarks.views_data import build_project

    quick = "--quick" in sys.argv
    articles, events = (500, 5_000) if quick else (10_000, 100_000)
    work = Path(tempfile.gettempdir()) / "dossier-bench"
    location = build_project(work, articles=articles, events=events)
    for what, seconds, baseline, note in run(location, quick):
        ratio = seconds / baseline if baseline > 0 else float("inf")
        print(
            f"{what:<52} {seconds * 1000:>8.0f}ms {baseline * 1000:>8.0f}ms {ratio:>6.1f}x  {note}"
        )
