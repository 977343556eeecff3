"""Who the store's connection is on a team project: its login, as a member, and its role."""

from __future__ import annotations

from db.store.base import StoreBase
from db.team import TeamMember, member_of


class TeamMixin(StoreBase):
    def team_member(self) -> TeamMember | None:
        """The connection's login when it is a member of the project's team (PostgreSQL):
        then the server lets it write only as that annotator. None on SQLite, and for the
        owner, a superuser or a login in no team role, whom the server does not restrict."""
        if self.dialect != "postgresql":
            return None
        with self._read() as connection:
            return member_of(connection)
