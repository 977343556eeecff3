"""The README's two set-up commands stay true, and CI runs the same test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### From source")
    section = text[start : text.index("\n## ", start + 1)]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_the_readme_has_an_open_command_and_a_test_command():
    open_command, test_command = readme_commands()
    assert open_command.endswith(".venv/bin/dossier")
    assert "pip install -e" in open_command and "pip install -e" in test_command
    assert test_command.endswith("-m pytest")


def test_ci_runs_the_readmes_test_command():
    _, test_command = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().splitlines()[-1] == test_command
    assert "DOSSIER_REQUIRE_PG=1" in ci and "QT_QPA_PLATFORM=offscreen" in ci


def test_the_console_commands_are_declared():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dossier = "desktop.cli:main"' in pyproject
    assert (ROOT / "desktop" / "__main__.py").exists()
