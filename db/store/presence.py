"""Who works on which document: the presence rows that windows on a PostgreSQL project
keep (``db.live.Listener``), read for the document list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from db.live import LISTENER_APP
from db.store.base import StoreBase


@dataclass(frozen=True)
class Presence:
    """A live session: its annotator, the document it has open (None: none), its id."""

    annotator: str
    document_id: int | None
    session: str


class PresenceMixin(StoreBase):
    def presence(self) -> list[Presence]:
        """The sessions listening now (PostgreSQL only; [] on SQLite), by annotator.

        A row whose listening connection is gone (a window killed, a server restarted) is
        stale: only rows whose backend is alive, under the listener's name, are read.
        """
        if self.dialect != "postgresql":
            return []
        with self._read() as connection:
            rows = connection.execute(
                text(
                    "SELECT p.annotator, p.document_id, p.session FROM presence p "
                    "JOIN pg_stat_activity a ON a.pid = p.pid "
                    "AND a.application_name = :app || ' ' || p.session "
                    "ORDER BY p.annotator, p.session"
                ),
                {"app": LISTENER_APP},
            ).all()
        return [Presence(*row) for row in rows]
