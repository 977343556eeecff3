"""The actor network against the database's raw query: the network of every event and claim
read, laid out and drawn in the dock's graph (under offscreen Qt, until painted), and each
step apart, so that what dominates shows; then, for reference, the same network built from
the records as it was before (every event and claim read into records first).

"read + layout + first paint" is what the dock does before its first picture: the worker's
``read_network`` (links read and grouped, the actors' mentions, the layout), then on the GUI
thread the scene built and the events processed until the graph has painted once. The
filters' choices (``network_facets``) are read after that picture, by a job of their own:
measured apart.

The baseline is the least the same picture needs from the database: the links grouped by
the database, agent → target by type and source → about by stance, each participant by its
entity (or text), counting the records, run raw through the driver.

Run with the others by ``bench_views.py --only network``, or alone:
``.venv/bin/python tests/benchmarks/views_network.py [--quick]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

RAW_GROUPED = """
SELECT a.entity_id, CASE WHEN a.entity_id IS NULL THEN a.text END, a.label_id,
       t.entity_id, CASE WHEN t.entity_id IS NULL THEN t.text END, t.label_id,
       {value}, count(DISTINCT h.id)
FROM annotation h
JOIN label l ON l.id = h.label_id
JOIN relation ra ON ra.head_id = h.id AND ra.type = '{first}'
JOIN annotation a ON a.id = ra.tail_id AND a.status = 'accepted'
JOIN relation rt ON rt.head_id = h.id AND rt.type = '{second}'
JOIN annotation t ON t.id = rt.tail_id AND t.status = 'accepted'
WHERE lower(l.name) = '{label}' AND h.status = 'accepted'
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


def _raw_grouped(store) -> int:
    """The network's links grouped by the database, raw through the driver: the baseline."""
    sqlite = store.engine.dialect.name == "sqlite"
    rows = 0
    for label, first, second, attribute in (
        ("event", "agent", "target", "type"),
        ("claim", "source", "about", "stance"),
    ):
        value = (
            f"json_extract(h.attributes, '$.{attribute}')"
            if sqlite
            else f"h.attributes ->> '{attribute}'"
        )
        sql = RAW_GROUPED.format(value=value, first=first, second=second, label=label)
        rows += len(_raw(store, sql))
    return rows


def _timed(work, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def _raw(store, sql: str) -> list:
    connection = store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        connection.close()


def run(location: str, quick: bool) -> list[tuple[str, float, float, str]]:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from db.store import Store
    from desktop.corpus.network import (
        actor_sizes,
        build_network,
        layout,
        load_network,
        network_facets,
    )
    from desktop.corpus.records import load_claims, load_events
    from desktop.ui.network_view import SEED, NetworkChoice, NetworkGraphView, read_network

    app = QApplication.instance() or QApplication([])
    rows = []
    with Store.open(location, create=False) as store:
        baseline, grouped = _timed(lambda: _raw_grouped(store))
        note = f"baseline: the links grouped raw by the database, {grouped:,} groups"

        seconds, network = _timed(lambda: load_network(store))
        rows.append(
            (
                "network: links read and grouped (top 300 actors)",
                seconds,
                baseline,
                f"{len(network.nodes)} of {network.total_nodes} actors, {len(network.edges):,} "
                f"links, {network.record_count():,} records; includes the actors' mentions",
            )
        )
        laid, positions = _timed(lambda: layout(network, seed=SEED))
        rows.append(("network: layout (Fruchterman–Reingold, numpy)", laid, baseline, note))

        view = NetworkGraphView()
        view.resize(1200, 800)
        view.show()
        app.processEvents()

        class Paints(QObject):
            count = 0

            def eventFilter(self, _watched, event):  # noqa: N802 - Qt override
                if event.type() == QEvent.Type.Paint:
                    Paints.count += 1
                return False

        paints = Paints()
        view.viewport().installEventFilter(paints)

        def draw(whole, where):
            """As the dock: the scene built, then the events processed until it has painted
            (once: a repaint() as well would paint it twice)."""
            Paints.count = 0
            view.show_network(whole, where)
            while not Paints.count:
                app.processEvents()

        drawn, _ = _timed(lambda: draw(network, positions))
        rows.append(
            (
                "network: drawn in the graph",
                drawn,
                baseline,
                f"{len(view.nodes)} actors, {len(view.edges):,} links painted",
            )
        )

        def everything():
            draw(*read_network(store, NetworkChoice()))

        total, _ = _timed(everything, repeat=3)
        rows.append(("network: read + layout + first paint", total, baseline, note))
        faceted, _ = _timed(lambda: network_facets(store))
        rows.append(
            (
                "network: the filters' choices (after the picture)",
                faceted,
                baseline,
                "event types, stances, outlets: read by a job of their own once drawn",
            )
        )

        key = network.nodes[0].key
        clicked, records = _timed(lambda: network.records_of_node(key))
        rows.append(
            (
                "network: the most mentioned actor's records read",
                clicked,
                baseline,
                f"{len(records):,} records, read when clicked",
            )
        )

        def the_old_way():
            events, claims = load_events(store), load_claims(store)
            mentions, types = actor_sizes(store)
            whole = build_network(events, claims, mentions=mentions, actor_types=types, top=300)
            draw(whole, layout(whole, seed=SEED))

        old, _ = _timed(the_old_way, repeat=1)
        rows.append(("network: for reference, from records (before)", old, baseline, note))
        view.close()
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
