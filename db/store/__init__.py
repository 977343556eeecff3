"""The store: every read and write of a project goes through here, each user action one transaction.

Callers get plain records (``db.records``) back, never live ORM objects, so a widget or a
worker thread can keep them. Writes check what they are given (offsets inside the text,
the covered text, the span's version) and raise before anything is committed.

The modules of this package follow the data; :class:`Store` puts them together.
"""

from __future__ import annotations

from pathlib import Path

from db.engine import Identity, open_engine
from db.store.actor_names import ActorNamesMixin
from db.store.base import (
    ConflictError,
    LabelInUseError,
    NotAllowedError,
    SpanError,
    StoreError,
    UnavailableError,
    content_hash,
    new_uuid,
    new_uuids,
)
from db.store.corpus import CorpusMixin
from db.store.documents import DocumentsMixin
from db.store.entities import EntitiesMixin
from db.store.exports import ExportMixin
from db.store.history import HistoryMixin
from db.store.imports import ImportMixin
from db.store.labels import LabelsMixin
from db.store.network import NetworkMixin
from db.store.outlets import OutletsMixin
from db.store.presence import PresenceMixin
from db.store.relations import RelationsMixin
from db.store.review import ReviewMixin
from db.store.schemas import SchemaInUseError, SchemasMixin
from db.store.search import SearchMixin
from db.store.span_edits import SpanEditsMixin
from db.store.spans import SpansMixin
from db.store.suggestions import SuggestionsMixin
from db.store.team import TeamMixin

__all__ = [
    "ConflictError",
    "LabelInUseError",
    "NotAllowedError",
    "SchemaInUseError",
    "SpanError",
    "Store",
    "StoreError",
    "UnavailableError",
    "content_hash",
    "new_uuid",
    "new_uuids",
]


class Store(
    LabelsMixin,
    SchemasMixin,
    DocumentsMixin,
    SpansMixin,
    SpanEditsMixin,
    SuggestionsMixin,
    RelationsMixin,
    EntitiesMixin,
    ActorNamesMixin,
    ReviewMixin,
    ImportMixin,
    ExportMixin,
    SearchMixin,
    CorpusMixin,
    OutletsMixin,
    NetworkMixin,
    HistoryMixin,
    PresenceMixin,
    TeamMixin,
):
    """A project's database. Open one with :meth:`Store.open`; close it with :meth:`close`."""

    @classmethod
    def open(
        cls,
        path_or_url: str | Path,
        *,
        create: bool = True,
        take_over_empty: bool = False,
        actor: str | None = None,
    ) -> Store:
        """Open (creating or migrating) the project at a path or SQLAlchemy URL.

        With ``create`` false a missing project is :class:`db.engine.NoProjectError`
        instead of a new, empty one. An SQLite file that exists but holds no tables is
        :class:`db.engine.EmptyDatabaseError` unless ``take_over_empty`` (the user agreed
        to make it a project). ``actor`` is the annotator name the history records the
        store's changes as (:meth:`set_actor` changes it).
        """
        identity = Identity(actor)
        opened = open_engine(
            path_or_url, create=create, take_over_empty=take_over_empty, identity=identity
        )
        store = cls(opened.engine, backup=opened.backup, identity=identity)
        if opened.created:
            store._seed_labels()
        return store

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
