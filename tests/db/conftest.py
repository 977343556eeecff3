"""Fixtures of the store's tests: two sessions on one project, as two windows or two
analysts on one PostgreSQL database."""

from __future__ import annotations

import pytest

from db.store import Store


@pytest.fixture
def two(db_url):
    """Two sessions (two stores, two connection pools) on one project."""
    first = Store.open(db_url)
    second = Store.open(db_url)
    yield first, second
    first.close()
    second.close()
