"""Fixtures for the format tests: the rich project of ``project.py``, in memory."""

from __future__ import annotations

import pytest

from tests.formats.project import Rich, build_rich, share_rich_schema


@pytest.fixture
def rich(memory_store) -> Rich:
    """The rich project (see tests/formats/project.py) in an in-memory store."""
    return build_rich(memory_store)


@pytest.fixture
def fresh():
    """An empty in-memory project to import into, with the rich project's schema, closed
    afterwards."""
    from db.store import Store

    opened = Store.open(":memory:")
    share_rich_schema(opened)
    yield opened
    opened.close()
