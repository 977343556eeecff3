"""Make the README's screenshots: a seed article with nested claims, actors and events; and,
with ``--records``, one with records (an event's type and date, its agent and target, a
claim's source and what it is about) drawn as relations, the claim selected.

    python packaging/make_screenshot.py [--corpus ../shared/corpus] [--out packaging/screenshot.png]
    python packaging/make_screenshot.py --records [--out packaging/records.png]
    python packaging/make_screenshot.py --views   (packaging/timeline.png and network.png)

Runs offscreen (no display needed); imports the seed corpus and both analysts' tags into a
temporary project and shows analyst A's spans on the first article. ``--views`` tags the
events and claims read from the seed articles (tests/corpus/seed_records.py) and takes the
timeline (the window, an event open) and the actor network.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--records", action="store_true", help="the records screenshot")
    parser.add_argument("--views", action="store_true", help="the timeline and network ones")
    args = parser.parse_args()
    if args.views:
        views(args.corpus, ROOT / "packaging")
        return
    if args.records:
        records(args.corpus, args.out or ROOT / "packaging" / "records.png")
        return
    args.out = args.out or ROOT / "packaging" / "screenshot.png"
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DOSSIER_HOME"] = str(Path(folder) / "home")
        from PySide6.QtWidgets import QApplication

        from db.store import Store
        from desktop.formats import import_paths
        from desktop.settings import Settings
        from desktop.ui.app import create_window

        location = str(Path(folder) / "seed.db")
        with Store.open(location) as store:
            import_paths(store, [args.corpus])
            first = next(
                d.id for d in store.list_documents() if d.content_hash.startswith("e29a0b66")
            )
        launcher, window = create_window(location, Settings(annotator="analyst_a", font_size=12))
        window.resize(1500, 900)
        window.show()
        window.open_document(first)
        app = QApplication.instance()
        deadline = time.monotonic() + 20
        while window.view.token_index is None and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        text = window.view.text
        inner = text.index("Kataib Hezbollah commander")
        span = next(s for s in window.view.spans() if s.record.start == inner)
        window.view.select_span(span.uuid)
        window.spans.select_span(span.uuid)
        for _ in range(10):
            app.processEvents()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(args.out))
        window.close()
        launcher.store.close()
    print(f"wrote {args.out}")


ARTICLE = "000_f40a1a98859d52a1.txt"
CLAIM = (
    "Repeated US strikes against Iran-backed armed groups in Iraq are pushing the government "
    "to end the mission of US troops in the country"
)


def records(corpus: Path, out: Path) -> None:
    """An article tagged with records by one analyst, the claim selected."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DOSSIER_HOME"] = str(Path(folder) / "home")
        from PySide6.QtWidgets import QApplication

        from db.store import Store
        from desktop.formats import import_paths
        from desktop.settings import Settings
        from desktop.ui.app import create_window

        location = str(Path(folder) / "records.db")
        with Store.open(location) as store:
            import_paths(store, [corpus / ARTICLE])
            [document] = store.document_ids()
            text = store.document(document).text
            me = store.ensure_annotator("analyst_a")
            labels = {label.name: label.id for label in store.labels()}

            def tag(label: str, fragment: str, **attributes):
                start = text.index(fragment)
                return store.add_span(
                    document,
                    labels[label],
                    me.id,
                    start,
                    start + len(fragment),
                    attributes=attributes,
                )

            claim = tag("Claim", CLAIM, stance="opposes", certainty="asserted")
            spokesman = tag("Actor", "Yahya Rasool", type="person")
            strikes = tag("Event", "Repeated US strikes", type="ASSAULT", date="2024-02")
            us = tag("Actor", "US", type="state")
            groups = tag("Actor", "Iran-backed armed groups", type="armed group")
            strike = tag(
                "Event",
                "precision missile strike",
                type="ASSAULT",
                date="2024-02-07",
                fatalities=1,
            )
            military = tag("Actor", "the US military", type="state")
            commander = tag("Actor", "a top commander", type="person")
            tag("Event", "targeted killing")  # no type or date yet: listed as incomplete
            for head, tail, kind in (
                (claim, spokesman, "source"),
                (claim, strikes, "about"),
                (strikes, us, "agent"),
                (strikes, groups, "target"),
                (strike, military, "agent"),
                (strike, commander, "target"),
            ):
                store.add_relation(head.uuid, tail.uuid, kind, me.id)
        launcher, window = create_window(location, Settings(annotator="analyst_a", font_size=12))
        window.resize(1500, 900)
        window.show()
        app = QApplication.instance()
        deadline = time.monotonic() + 20
        while not window.session.all_spans_shown and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        window.view.select_span(claim.uuid)
        for _ in range(10):
            app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        window.close()
        launcher.store.close()
    print(f"wrote {out}")


def views(corpus: Path, folder_out: Path) -> None:
    """The timeline (in the window, an event chosen and open in its article) and the actor
    network of the seed articles' events and claims."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DOSSIER_HOME"] = str(Path(folder) / "home")
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        from db.store import Store
        from desktop.settings import Settings
        from desktop.ui.app import create_window
        from tests.corpus.seed_records import tag_seed_records

        location = str(Path(folder) / "views.db")
        with Store.open(location) as store:
            tag_seed_records(store, corpus)
        launcher, window = create_window(location, Settings(annotator="analyst_a", font_size=11))
        window.resize(1500, 950)
        window.show()
        app = QApplication.instance()

        def settle(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                app.processEvents()
                time.sleep(0.01)

        settle(2)
        window.timeline_dock.show()
        settle(3)
        panel = window.timeline_dock.panel
        for field, value in ((panel.since_edit, "2024-01"), (panel.until_edit, "2024-02")):
            QTest.keyClicks(field, value)  # the weeks of the strike on Abu Baqir al-Saadi
            QTest.keyClick(field, Qt.Key.Key_Return)
        settle(2)
        chart = panel.chart
        chart.setFocus()
        for key in [Qt.Key.Key_Right] * 3 + [Qt.Key.Key_Return]:  # to an event, and open it
            QTest.keyClick(chart, key)
        settle(2)
        window.grab().save(str(folder_out / "timeline.png"))
        window.network_dock.show()
        dock = window.network_dock.dock
        dock.setFloating(True)  # room for the graph and its list
        dock.resize(1500, 760)
        settle(4)
        graph = window.network_dock.panel.graph
        us = next(item for item in graph.nodes.values() if item.node.name == "United States")
        point = graph.mapFromScene(us.sceneBoundingRect().center())
        QTest.mouseClick(graph.viewport(), Qt.MouseButton.LeftButton, pos=point)  # its records
        settle(2)
        dock.grab().save(str(folder_out / "network.png"))
        window.close()
        launcher.store.close()
    print(f"wrote {folder_out / 'timeline.png'} and {folder_out / 'network.png'}")


if __name__ == "__main__":
    main()
