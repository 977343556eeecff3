"""A team on a test's PostgreSQL schema: its group roles and members' logins, made through
db.team and dropped afterwards (roles belong to the whole server, not to the schema).

Logins get a random suffix, so that a run that died before its clean-up cannot hand a
later run someone's old login.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.store import Store
from db.team import group_roles, team_add, team_init, team_key


class Team:
    """The project's owner (the superuser of the test server) and the members it adds."""

    def __init__(self, url: str):
        self.url = url
        self.owner = Store.open(url)
        self.schema = make_url(url).query["options"].split("=", 1)[1]
        self.groups = group_roles(team_key(make_url(url).database, self.schema))
        self.logins: list[str] = []
        self._opened: list = []

    def init(self):
        return team_init(self.owner)

    def add(self, who: str, role: str, **options) -> tuple[str, str | None]:
        """Add a member called ``who`` plus a random suffix: (login, password)."""
        name = f"{who}_{uuid.uuid4().hex[:6]}"
        self.logins.append(name)
        return name, team_add(self.owner, name, role, **options)

    def url_as(self, name: str, password: str | None) -> str:
        """The project's URL as ``name`` signs in (same schema)."""
        return (
            make_url(self.url)
            .set(username=name, password=password)
            .render_as_string(hide_password=False)
        )

    def open_as(self, name: str, password: str | None) -> Store:
        store = Store.open(self.url_as(name, password), create=False)
        self._opened.append(store)
        return store

    def sql_as(self, name: str, password: str | None) -> psycopg.Connection:
        """A plain psycopg connection as ``name``, outside Dossier (autocommit)."""
        url = make_url(self.url)
        connection = psycopg.connect(
            host=url.host,
            port=url.port,
            dbname=url.database,
            user=name,
            password=password,
            options=url.query["options"],
            autocommit=True,
        )
        self._opened.append(connection)
        return connection

    def close(self) -> None:
        for each in self._opened:
            each.close()
        self.owner.close()
        admin = create_engine(make_url(self.url).set(query={}))
        try:
            with admin.begin() as connection:
                for role in [*self.logins, *self.groups.values()]:
                    found = connection.execute(
                        text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
                    ).scalar()
                    if found:
                        connection.execute(text(f'DROP OWNED BY "{role}"'))
                        connection.execute(text(f'DROP ROLE "{role}"'))
        finally:
            admin.dispose()


@pytest.fixture
def team(pg_url):
    """A team on this test's PostgreSQL schema, set up with ``team init``."""
    made = Team(pg_url)
    try:
        made.init()
        yield made
    finally:
        made.close()
