"""Plain records that the store hands out and takes in.

They carry no session and no lazy loading: a widget, a worker thread or a format writer can
keep them as long as it likes. ``New…`` records describe what an import wants written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from db.schema import LabelSchema


@dataclass(frozen=True, slots=True)
class LabelRecord:
    id: int
    name: str
    kind: str
    colour: str
    shortcut: str | None
    description: str
    position: int
    schema: LabelSchema = LabelSchema()


@dataclass(frozen=True, slots=True)
class AnnotatorRecord:
    id: int
    name: str
    is_gold: bool


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """A row of the document list: everything but the text."""

    id: int
    content_hash: str
    title: str
    source: str | None
    published: str | None
    length: int
    span_count: int
    status: str  # the chosen annotator's progress: not_started, in_progress, done


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    id: int
    content_hash: str
    title: str
    text: str
    source: str | None
    url: str | None
    published: str | None
    language: str | None
    meta: dict[str, Any]
    imported_from: str | None
    created_at: str


# Span and relation records are read by the hundred thousand (export, agreement, a long
# article's view): treat them as immutable. They are not frozen only because a frozen
# dataclass takes five times as long to make (3 µs a span); they hash as frozen ones do.
@dataclass(slots=True, unsafe_hash=True)
class SpanRecord:
    id: int
    uuid: str
    document_id: int
    label_id: int
    label: str
    annotator_id: int
    annotator: str
    start: int
    end: int
    text: str
    status: str
    origin: str
    confidence: float | None
    note: str
    attributes: dict[str, Any]
    entity_uuid: str | None
    created_at: str
    updated_at: str
    version: int


@dataclass(slots=True, unsafe_hash=True)
class RelationRecord:
    id: int
    uuid: str
    type: str
    head_uuid: str
    tail_uuid: str
    annotator: str
    created_at: str


@dataclass(frozen=True, slots=True)
class EntityRecord:
    id: int
    uuid: str
    name: str
    label: str | None
    description: str
    aliases: tuple[str, ...]
    created_at: str
    type: str | None = None  # what kind of actor (person, organisation...), if known


@dataclass(frozen=True, slots=True)
class EntityState:
    """A canonical entity as it stands, with the spans that link to it: what an edit of
    actors (merge, split, rename...) writes, and what its undo writes back."""

    entity: EntityRecord
    span_uuids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActorSummary:
    """A row of the Actors panel and of ``dossier actors``."""

    id: int
    uuid: str
    name: str
    type: str | None
    label: str | None
    description: str
    aliases: tuple[str, ...]
    mentions: int  # spans linked to it, rejected suggestions left out
    documents: int  # documents those spans are in


@dataclass(frozen=True, slots=True)
class ActorMention:
    """One span linked to an actor, with the words around it."""

    span_uuid: str
    document_id: int
    document_title: str
    start: int
    end: int
    text: str
    annotator: str
    status: str
    before: str  # up to CONTEXT code points of the document before the span
    after: str  # and after it


@dataclass(frozen=True, slots=True)
class DocumentStateRecord:
    document_id: int
    annotator: str
    status: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class ReviewDecisionRecord:
    id: int
    uuid: str
    document_id: int
    reviewer: str
    kind: str
    action: str
    candidates: list[dict[str, Any]]
    outcome_uuid: str | None
    note: str
    created_at: str


@dataclass(frozen=True, slots=True)
class DeletedSpan:
    """What deleting a span removed, so that undo can put all of it back."""

    span: SpanRecord
    relations: tuple[RelationRecord, ...]


@dataclass(frozen=True, slots=True)
class RemovedLabel:
    """What removing a label did, so that undo can put all of it back: its spans as they
    were, deleted (with their relations) or moved to another label."""

    label: LabelRecord
    deleted: tuple[DeletedSpan, ...] = ()
    moved: tuple[SpanRecord, ...] = ()
    entity_ids: tuple[int, ...] = ()  # entities (actors) that had the label


# --- what an import asks to be written ------------------------------------------------------


@dataclass(slots=True)
class NewSpan:
    label: str
    start: int
    end: int
    annotator: str
    text: str | None = None  # when given, it must equal the document's text[start:end]
    uuid: str | None = None
    status: str = "accepted"
    origin: str = "imported"
    confidence: float | None = None
    note: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    entity_uuid: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    version: int = 1
    where: str = ""  # file:line, for error messages


@dataclass(slots=True)
class NewRelation:
    type: str
    head_uuid: str
    tail_uuid: str
    annotator: str
    uuid: str | None = None
    created_at: str | None = None
    where: str = ""


@dataclass(slots=True)
class NewState:
    annotator: str
    status: str
    updated_at: str | None = None


@dataclass(slots=True)
class NewReviewDecision:
    reviewer: str
    kind: str
    action: str
    candidates: list[dict[str, Any]] = field(default_factory=list)
    outcome_uuid: str | None = None
    note: str = ""
    uuid: str | None = None
    created_at: str | None = None


@dataclass(slots=True)
class NewDocument:
    text: str
    title: str = ""
    source: str | None = None
    url: str | None = None
    published: str | None = None
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    imported_from: str | None = None
    created_at: str | None = None
    spans: list[NewSpan] = field(default_factory=list)
    relations: list[NewRelation] = field(default_factory=list)
    states: list[NewState] = field(default_factory=list)
    reviews: list[NewReviewDecision] = field(default_factory=list)
    where: str = ""


@dataclass(slots=True)
class NewLabel:
    name: str
    kind: str = "span"
    colour: str | None = None
    shortcut: str | None = None
    description: str = ""
    position: int | None = None
    schema: LabelSchema | None = None  # None: keep the project's (or start with none)
    where: str = ""  # file:line, for error messages


@dataclass(slots=True)
class NewEntity:
    name: str
    uuid: str | None = None
    label: str | None = None
    description: str = ""
    aliases: list[str] = field(default_factory=list)
    created_at: str | None = None
    where: str = ""
    type: str | None = None  # what kind of actor (person, organisation...), if known


@dataclass(slots=True)
class NewAnnotator:
    name: str
    is_gold: bool = False
    where: str = ""


@dataclass(slots=True)
class ImportBatch:
    """Everything one import wants written, in one transaction, or one part of it (see
    ``Store.importing``)."""

    documents: list[NewDocument] = field(default_factory=list)
    labels: list[NewLabel] = field(default_factory=list)
    entities: list[NewEntity] = field(default_factory=list)
    annotators: list[NewAnnotator] = field(default_factory=list)
    # The file a part was read from: a span uuid met twice in one file is an error, while
    # one that two files share is the same span, kept once.
    source: str = ""


@dataclass(slots=True)
class ImportSummary:
    documents_added: int = 0
    documents_matched: int = 0
    spans_added: int = 0
    spans_skipped: int = 0
    relations_added: int = 0
    labels_added: int = 0
    entities_added: int = 0
    annotators_added: int = 0
    document_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class ExportFilter:
    """Which spans leave in an export.

    ``annotators`` empty means every annotator; ``gold`` keeps only the gold layer;
    ``labels`` empty means every label; ``statuses`` empty means every status.
    """

    annotators: tuple[str, ...] = ()
    gold: bool = False
    labels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    document_ids: tuple[int, ...] = ()


@dataclass(slots=True)
class ExportDocument:
    document: DocumentRecord
    spans: list[SpanRecord]
    relations: list[RelationRecord]
    states: list[DocumentStateRecord]
    reviews: list[ReviewDecisionRecord]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded change of one row (``db.store.history``): who made it, when, and the
    whole row before and after (column name → value; None before an insert and after a
    delete). ``key`` is the row's uuid, or a label's id as text."""

    id: int
    at: str
    actor: str | None  # the annotator Dossier worked as; None for a change made outside it
    login: str | None  # the PostgreSQL login; None on SQLite
    kind: str  # span, relation, label, review
    op: str  # insert, update, delete
    key: str
    document_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Restored:
    """What restoring a version from the history changed, for a window to redraw."""

    document_id: int | None
    added: tuple[SpanRecord, ...] = ()  # spans brought back
    updated: tuple[SpanRecord, ...] = ()  # spans put back to an earlier state
    removed: tuple[str, ...] = ()  # uuids of spans deleted (restoring "before" an insert)
    relations_added: tuple[RelationRecord, ...] = ()
    relations_removed: tuple[str, ...] = ()  # relation uuids
    labels_changed: bool = False
    reviews_changed: bool = False
