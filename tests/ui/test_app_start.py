"""`dossier` started as an analyst starts it (a process, offscreen): what Qt says about its
platform goes to Dossier's log, not to the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from db.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_the_window_prints_nothing_on_stderr_and_qt_messages_go_to_the_log(tmp_path):
    project = tmp_path / "project.db"
    Store.open(f"sqlite:///{project}").close()
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--db", str(project)],
        cwd=ROOT,
        env={
            **os.environ,
            "DOSSIER_QUIT_WHEN_SHOWN": "1",
            "QT_QPA_PLATFORM": "offscreen",
            "DOSSIER_HOME": str(home),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "dossier: first paint" in done.stdout
    assert done.stderr == ""
    # The offscreen platform warns that it cannot pass size hints on; that is kept.
    logs = list(home.rglob("dossier.log"))
    assert len(logs) == 1
    assert "qt warning: This plugin does not support propagateSizeHints()" in logs[0].read_text()
