"""Import, checked first: every value of a batch against the limits of ``db.limits``, so
that a value one database would refuse is refused on both, with the file and line it came
from, before anything is written."""

from __future__ import annotations

from db.limits import (
    ANNOTATOR_NAME,
    INTEGER_MAX,
    LABEL_COLOUR,
    LABEL_KIND,
    LABEL_NAME,
    LABEL_SHORTCUT,
    LANGUAGE,
    PUBLISHED,
    RELATION_TYPE,
    REVIEW_ACTION,
    REVIEW_KIND,
    TIMESTAMP,
    UUID,
    LimitError,
    check_integer,
    check_json,
    check_name,
    check_one_line,
    check_optional,
    check_real,
    check_text,
    is_plain,
)
from db.records import ImportBatch, NewDocument, NewSpan
from db.store.base import SpanError, StoreBase


class ImportChecksMixin(StoreBase):
    """The checks an import passes before the database is touched."""

    @staticmethod
    def _check_batch(batch: ImportBatch) -> None:
        """Raise :class:`SpanError` (``file:line: reason``) for the first value of ``batch``
        that a project cannot hold: too long for its column, a NUL or a lone surrogate in
        text, an integer beyond the database's, JSON nested too deeply, a name left empty."""
        where = ""
        fit_labels: set[str] = set()
        fit_annotators: set[str] = set()
        fit_types: set[str] = set()
        try:
            for label in batch.labels:
                where = label.where
                _label_name(label.name)
                check_name(label.kind, LABEL_KIND, "label kind")
                check_optional(label.colour, LABEL_COLOUR, "label colour")
                check_optional(label.shortcut, LABEL_SHORTCUT, "label key")
                check_text(label.description, "label description")
                if label.position is not None:
                    check_integer(label.position, "label position")
                if label.schema is not None:
                    check_json(label.schema.to_json(), "the label's schema")
            for annotator in batch.annotators:
                where = annotator.where
                _name(annotator.name, ANNOTATOR_NAME, "annotator name")
            for entity in batch.entities:
                where = entity.where
                check_text(entity.name, "entity name")
                check_optional(entity.uuid, UUID, "entity uuid")
                if entity.label is not None:
                    _name(entity.label, LABEL_NAME, "entity label")
                check_text(entity.description, "entity description")
                check_optional(entity.created_at, TIMESTAMP, "entity created_at")
                for alias in entity.aliases:
                    check_text(alias, "entity alias")
            for document in batch.documents:
                where = document.where
                _check_document(document)
                for span in document.spans:
                    # Most spans of a large import share their label and annotator and have
                    # nothing unusual: one look at them all, and the checks that name the
                    # problem only where there may be one.
                    if (
                        span.label not in fit_labels
                        or span.annotator not in fit_annotators
                        or not _plain_span(span)
                    ):
                        where = span.where or document.where
                        _check_span(span)
                        fit_labels.add(span.label)
                        fit_annotators.add(span.annotator)
                    if span.attributes:
                        where = span.where or document.where
                        check_json(span.attributes, "an attribute")
                for relation in document.relations:
                    where = relation.where or document.where
                    if relation.type not in fit_types:
                        _name(relation.type, RELATION_TYPE, "relation type")
                        fit_types.add(relation.type)
                    if relation.annotator not in fit_annotators:
                        _name(relation.annotator, ANNOTATOR_NAME, "annotator name")
                        fit_annotators.add(relation.annotator)
                    check_optional(relation.uuid, UUID, "relation uuid")
                    check_optional(relation.created_at, TIMESTAMP, "relation created_at")
                where = document.where
                for state in document.states:
                    _name(state.annotator, ANNOTATOR_NAME, "annotator name")
                    check_optional(state.updated_at, TIMESTAMP, "state updated_at")
                for review in document.reviews:
                    _name(review.reviewer, ANNOTATOR_NAME, "reviewer name")
                    check_name(review.kind, REVIEW_KIND, "review kind")
                    check_name(review.action, REVIEW_ACTION, "review action")
                    check_json(review.candidates, "a review candidate")
                    check_optional(review.outcome_uuid, UUID, "review outcome")
                    check_text(review.note, "review note")
                    check_optional(review.uuid, UUID, "review uuid")
                    check_optional(review.created_at, TIMESTAMP, "review created_at")
        except LimitError as exc:
            raise SpanError(f"{where}: {exc}" if where else str(exc)) from None


def _plain_span(span: NewSpan) -> bool:
    """Whether a span is sure to fit without a closer look (its label, annotator and
    attributes apart)."""
    uuid, entity = span.uuid or "", span.entity_uuid or ""
    created, updated = span.created_at or "", span.updated_at or ""
    return (
        len(uuid) <= UUID
        and len(entity) <= UUID
        and len(created) <= TIMESTAMP
        and len(updated) <= TIMESTAMP
        and 1 <= span.version <= INTEGER_MAX
        and span.confidence is None
        and is_plain(uuid + entity + created + updated + span.note)
    )


def _check_span(span: NewSpan) -> None:
    _label_name(span.label)
    _name(span.annotator, ANNOTATOR_NAME, "annotator name")
    check_optional(span.uuid, UUID, "span uuid")
    check_text(span.note, "span note")
    check_optional(span.entity_uuid, UUID, "span entity")
    check_optional(span.created_at, TIMESTAMP, "span created_at")
    check_optional(span.updated_at, TIMESTAMP, "span updated_at")
    check_integer(span.version, "span version", low=1)
    if span.confidence is not None:
        check_real(span.confidence, "span confidence")


def _check_document(document: NewDocument) -> None:
    check_text(document.text, "the text")
    check_optional(document.title, None, "the title")
    check_optional(document.source, None, "the source")
    check_optional(document.url, None, "the url")
    check_optional(document.published, PUBLISHED, "the published date")
    check_optional(document.language, LANGUAGE, "the language")
    if document.meta:
        check_json(document.meta, "the metadata")
    check_optional(document.imported_from, None, "imported_from")
    check_optional(document.created_at, TIMESTAMP, "created_at")


def _label_name(value: str) -> None:
    """A label's name, as the window would take it: one line of visible text."""
    _name(value, LABEL_NAME, "label name")
    check_one_line(value.strip(), "label name")


def _name(value: str, limit: int, what: str) -> None:
    """A name as the store keeps it, without surrounding blanks: not empty, and fit."""
    name = value.strip()
    if not name:
        raise LimitError(f"{what} is empty")
    check_name(name, limit, what)
