"""A colleague's window, in a process of its own, for tests/ui/test_live_window.py.

``python -m tests.ui.live_peer URL ANNOTATOR DOCUMENT_ID SHOWN_ANNOTATOR`` opens the window
offscreen on the project, opens the document, shows SHOWN_ANNOTATOR's spans beside its own,
prints ``ready`` once it listens, then answers commands read from standard input, one a
line:

- ``appear UUID`` / ``gone UUID``: wait until the span is drawn in the view (or no longer);
- ``colour LABEL_ID #RRGGBB``: wait until the view's label has that colour;
- ``quit``.

Each wait prints ``seen <time.time()>`` when it is so, or ``timeout`` after TIMEOUT seconds
and the process exits 1. ``quit`` exits 0.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time

TIMEOUT = 10.0


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from desktop.settings import Settings
    from desktop.ui.app import create_window

    url, annotator, document_id, shown = argv[0], argv[1], int(argv[2]), argv[3]
    settings = Settings.load()
    settings.annotator = annotator
    launcher, window = create_window(url, settings)
    if window is None:
        print("cannot open", flush=True)
        return 1
    window.show()
    session = window.session
    window.open_document(document_id)
    other = session.store.ensure_annotator(shown)
    session.set_layers([session.annotator, other])

    def settle(condition) -> bool:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            QApplication.processEvents()
            if condition():
                return True
            time.sleep(0.002)
        return False

    listening = settle(lambda: window.live.listener is not None and window.live.listener.connected)
    if not listening or not settle(lambda: session.all_spans_shown):
        print("timeout", flush=True)
        return 1
    print("ready", flush=True)

    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in sys.stdin], daemon=True).start()
    view = window.view
    while True:
        while True:
            QApplication.processEvents()
            try:
                line = lines.get(timeout=0.01)
                break
            except queue.Empty:
                continue
        words = line.split()
        if not words or words[0] == "quit":
            window.close()
            launcher.store.close()
            return 0
        if words[0] == "appear":
            condition = lambda key=words[1]: view.view_span(key) is not None  # noqa: E731
        elif words[0] == "gone":
            condition = lambda key=words[1]: view.view_span(key) is None  # noqa: E731
        elif words[0] == "colour":
            label_id, colour = int(words[1]), words[2].lower()

            def condition(label_id=label_id, colour=colour) -> bool:
                label = session.label(label_id)
                return label is not None and label.colour.lower() == colour

        else:
            print(f"unknown command {words[0]}", flush=True)
            return 1
        if not settle(condition):
            print("timeout", flush=True)
            return 1
        print(f"seen {time.time()}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
