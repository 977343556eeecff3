"""The crash tests' counts (kills, kills mid-action, actions checked), shown after the run."""

from __future__ import annotations

import pytest

_SUMMARY: list[str] = []


@pytest.fixture
def crash_summary() -> list[str]:
    """Lines for the summary at the end of the run, one per campaign."""
    return _SUMMARY


def pytest_terminal_summary(terminalreporter):
    if _SUMMARY:
        terminalreporter.write_sep("-", "crash tests")
        for line in _SUMMARY:
            terminalreporter.write_line(line)
