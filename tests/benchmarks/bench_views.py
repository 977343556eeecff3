"""The corpus views against the database's raw query: search, tagging hits, the timeline and
the actor network, over a project of 10,000 generated articles (about 50 MB of text) with
100,000 events (tests/benchmarks/views_data.py).

Each part lives in ``views_<part>.py`` (search, the search panel, timeline, network,
outlets) and returns rows (what, Dossier's seconds, the
baseline's seconds, a note); this prints each as a ratio. The baseline, measured in the same
run, is the least the same result needs from the database (its raw index query, or the raw
rows) and the plain tool that would work on them. Targets (issue 13): the first screen of
hits within 200 ms and all hits within 2 s; 1,000 hits tagged in one action within 1 s; the
timeline and the network of 100,000 events drawn within 1 s.

    .venv/bin/python tests/benchmarks/bench_views.py [--quick] [--only search,panel,timeline,network,outlets]
        [--work DIR] [--pg URL]

``--quick`` uses 500 articles and 5,000 events (a check that the script runs).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.benchmarks.views_data import build_project  # noqa: E402

PARTS = {
    "search": "tests.benchmarks.views_search",
    "panel": "tests.benchmarks.views_search_panel",
    "timeline": "tests.benchmarks.views_timeline",
    "network": "tests.benchmarks.views_network",
    "outlets": "tests.benchmarks.views_outlets",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(PARTS))
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "dossier-bench")
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL to fill and measure instead")
    options = parser.parse_args(argv)
    articles, events = (500, 5_000) if options.quick else (10_000, 100_000)
    started = time.perf_counter()
    location = build_project(options.work, articles=articles, events=events, pg_url=options.pg)
    print(
        f"project: {articles:,} articles, {events:,} events "
        f"({'PostgreSQL' if options.pg else 'SQLite'}; ready in {time.perf_counter() - started:.0f} s)"
    )
    print(f"{'measure':<52} {'dossier':>10} {'baseline':>10} {'ratio':>7}  note")
    for part in options.only.split(","):
        module = importlib.import_module(PARTS[part.strip()])
        for what, seconds, baseline, note in module.run(location, options.quick):
            ratio = seconds / baseline if baseline > 0 else float("inf")
            print(
                f"{what:<52} {seconds * 1000:>8.0f}ms {baseline * 1000:>8.0f}ms "
                f"{ratio:>6.1f}x  {note}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
