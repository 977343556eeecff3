"""Interleaving in the store's tests: another writer's change slipped in between a store's
check and its write, on the store's own connection."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from db.store import Store


@contextmanager
def slipped_in(store: Store, statement: str, span_uuid: str) -> Iterator[threading.Event]:
    """Just before ``store`` sends a statement starting with ``statement``, change the span
    on that very connection (note and version): a writer that got in after the check."""
    fired = threading.Event()

    def before(connection, cursor, sent, parameters, context, executemany):
        if fired.is_set() or not sent.lstrip().upper().startswith(statement):
            return
        fired.set()
        marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        cursor.execute(
            "UPDATE annotation SET note = 'slipped in', version = version + 1 "
            f"WHERE uuid = {marker}",
            (span_uuid,),
        )

    event.listen(store.engine, "before_cursor_execute", before)
    try:
        yield fired
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
    assert fired.is_set(), f"the store never sent {statement}"
