"""Make the README's screenshot: a seed article with nested claims, actors and events.

    python packaging/make_screenshot.py [--corpus ../shared/corpus] [--out packaging/screenshot.png]

Runs offscreen (no display needed); imports the seed corpus and both analysts' tags into a
temporary project and shows analyst A's spans on the first article.
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
    parser.add_argument("--out", type=Path, default=ROOT / "packaging" / "screenshot.png")
    args = parser.parse_args()
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
            first = next(d.id for d in store.list_documents() if d.content_hash.startswith("e29a0b66"))
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


if __name__ == "__main__":
    main()
