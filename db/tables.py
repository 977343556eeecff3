"""The tables of a Dossier project: documents, labels, annotators, spans and what hangs off them.

Offsets are Python code points into ``Document.text``, end exclusive. Every change of schema
here comes with an Alembic revision in ``db/migrations/versions``; a test compares the two.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Identity,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

SPAN_STATUSES = ("suggested", "accepted", "rejected")
SPAN_ORIGINS = ("manual", "rules", "model", "imported", "review")
DOCUMENT_STATUSES = ("not_started", "in_progress", "done")
GOLD = "gold"  # the name of the annotator that holds adjudicated spans


def utcnow() -> str:
    """The current time as an ISO 8601 string in UTC, with microseconds.

    Timestamps are kept as text so that they survive export and import unchanged on every
    database (SQLite has no timestamp type; PostgreSQL would round-trip time zones).
    """
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Document(SQLModel, table=True):
    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True, index=True)
    title: str = Field(default="", sa_type=Text)
    text: str = Field(sa_type=Text)
    # len(text) in code points, written on import, so that the document list need not read
    # every text to show its length.
    text_length: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    source: str | None = Field(default=None, sa_type=Text)
    url: str | None = Field(default=None, sa_type=Text)
    published: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, max_length=20)
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    imported_from: str | None = Field(default=None, sa_type=Text)
    created_at: str = Field(default_factory=utcnow, max_length=40)


class Label(SQLModel, table=True):
    __tablename__ = "label"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(default="span", max_length=20)
    colour: str = Field(default="#999999", max_length=9)
    shortcut: str | None = Field(default=None, max_length=20)
    description: str = Field(default="", sa_type=Text)
    position: int = Field(default=0)
    # The label's attributes and relations (db.schema.LabelSchema.to_json); {} for none.
    schema_: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column("schema", JSON, nullable=False, server_default="{}"),
    )


class Annotator(SQLModel, table=True):
    __tablename__ = "annotator"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    is_gold: bool = Field(default=False)
    created_at: str = Field(default_factory=utcnow, max_length=40)


class Entity(SQLModel, table=True):
    """A canonical actor (or event) known across documents."""

    __tablename__ = "entity"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    name: str = Field(sa_type=Text)
    label_id: int | None = Field(default=None, foreign_key="label.id", ondelete="SET NULL")
    description: str = Field(default="", sa_type=Text)
    created_at: str = Field(default_factory=utcnow, max_length=40)
    # What kind of actor: one of the Actor label's ``type`` values (person, organisation...).
    type: str | None = Field(default=None, sa_type=Text)


class EntityRejection(SQLModel, table=True):
    """Two names an analyst said are not one actor (as ``desktop.nlp.actors.name_key``
    writes them, ``first`` < ``second``), so that they are not proposed together again."""

    __tablename__ = "entity_rejection"
    __table_args__ = (UniqueConstraint("first", "second"),)

    id: int | None = Field(default=None, primary_key=True)
    first: str = Field(sa_type=Text)
    second: str = Field(sa_type=Text)
    created_at: str = Field(default_factory=utcnow, max_length=40)


class EntityAlias(SQLModel, table=True):
    __tablename__ = "entity_alias"
    __table_args__ = (UniqueConstraint("entity_id", "alias"),)

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", ondelete="CASCADE", index=True)
    alias: str = Field(sa_type=Text)


class Annotation(SQLModel, table=True):
    """A span: one label on ``document.text[start:end]`` by one annotator."""

    __tablename__ = "annotation"
    __table_args__ = (
        CheckConstraint('start >= 0 AND start < "end"', name="span_offsets"),
        CheckConstraint("status IN ('suggested', 'accepted', 'rejected')", name="span_status"),
        Index("ix_annotation_document_annotator", "document_id", "annotator_id"),
        # An actor's mentions, and every actor's counts, read from the index alone.
        Index("ix_annotation_entity_id", "entity_id", "status", "document_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE")
    label_id: int = Field(foreign_key="label.id", ondelete="RESTRICT", index=True)
    annotator_id: int = Field(foreign_key="annotator.id", ondelete="RESTRICT", index=True)
    start: int
    end: int
    text: str = Field(sa_type=Text)
    status: str = Field(default="accepted", max_length=12)
    origin: str = Field(default="manual", max_length=12)
    confidence: float | None = None
    note: str = Field(default="", sa_type=Text)
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    entity_id: int | None = Field(default=None, foreign_key="entity.id", ondelete="SET NULL")
    created_at: str = Field(default_factory=utcnow, max_length=40)
    updated_at: str = Field(default_factory=utcnow, max_length=40)
    version: int = Field(default=1)


class Relation(SQLModel, table=True):
    """A typed edge between two spans, e.g. claim → attributed to → actor."""

    __tablename__ = "relation"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    type: str = Field(max_length=100)
    head_id: int = Field(foreign_key="annotation.id", ondelete="CASCADE", index=True)
    tail_id: int = Field(foreign_key="annotation.id", ondelete="CASCADE", index=True)
    annotator_id: int = Field(foreign_key="annotator.id", ondelete="RESTRICT")
    created_at: str = Field(default_factory=utcnow, max_length=40)


class ReviewDecision(SQLModel, table=True):
    """Who settled which disagreement, how, and when.

    ``candidates`` holds the spans that were compared (as exported snapshots, so that the
    record survives their later deletion); ``outcome_uuid`` names the gold span it produced.
    """

    __tablename__ = "review_decision"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    reviewer_id: int = Field(foreign_key="annotator.id", ondelete="RESTRICT")
    kind: str = Field(max_length=20)  # agreed, missing, label, boundary
    action: str = Field(max_length=20)  # accept, take, edit, reject
    candidates: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    outcome_uuid: str | None = Field(default=None, max_length=36)
    note: str = Field(default="", sa_type=Text)
    created_at: str = Field(default_factory=utcnow, max_length=40)


class DocumentState(SQLModel, table=True):
    """How far one annotator has got with one document."""

    __tablename__ = "document_state"
    __table_args__ = (
        CheckConstraint(
            "status IN ('not_started', 'in_progress', 'done')", name="document_state_status"
        ),
    )

    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", primary_key=True)
    annotator_id: int = Field(foreign_key="annotator.id", ondelete="CASCADE", primary_key=True)
    status: str = Field(default="not_started", max_length=12)
    updated_at: str = Field(default_factory=utcnow, max_length=40)


class History(SQLModel, table=True):
    """One changed row of a span, relation, label or review decision: who, when, and the
    whole row before and after. Written by triggers (``db.triggers``), never updated, and
    without foreign keys, so that it outlives what it describes."""

    __tablename__ = "history"
    __table_args__ = (
        Index("ix_history_document_id", "document_id", "id"),
        Index("ix_history_key", "key", "id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True
        ),
    )
    at: str = Field(max_length=40)
    # The annotator Dossier worked as; NULL for a change made outside Dossier.
    actor: str | None = Field(default=None, sa_type=Text)
    login: str | None = Field(default=None, sa_type=Text)  # PostgreSQL's session_user
    kind: str = Field(max_length=20)  # span, relation, label, review
    op: str = Field(max_length=10)  # insert, update, delete
    key: str = Field(sa_type=Text)  # the row's uuid; a label's id
    document_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Presence(SQLModel, table=True):
    """Who has which document open, written by each window's listening connection
    (PostgreSQL only); a row whose ``pid`` is no live backend is stale."""

    __tablename__ = "presence"

    session: str = Field(primary_key=True, max_length=40)
    annotator: str = Field(sa_type=Text)
    document_id: int | None = None
    pid: int
    seen_at: str = Field(default_factory=utcnow, max_length=40)
