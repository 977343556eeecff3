"""Spans: reading them, and every edit a person makes to one, undo included."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    and_,
    func,
    insert,
    or_,
    select,
)

from db.limits import LimitError, check_text
from db.records import (
    NewSpan,
    SpanRecord,
)
from db.store.base import (
    DOC,
    LABEL,
    SPAN,
    STATE,
    ConflictError,
    SpanError,
    StoreBase,
    chunks,
    json_text,
    new_uuid,
    new_uuids,
    span_order,
    span_record,
    span_select,
)
from db.tables import (
    SPAN_ORIGINS,
    SPAN_STATUSES,
    utcnow,
)

_POSITION_ORDER = attrgetter("start", "end", "label", "annotator", "uuid")
# The columns a new span is written with, in the order add_spans_across's rows give them.
NEW_SPAN_COLUMNS = (
    "uuid",
    "document_id",
    "label_id",
    "annotator_id",
    "start",
    "end",
    "text",
    "status",
    "origin",
    "confidence",
    "note",
    "attributes",
    "entity_id",
    "created_at",
    "updated_at",
    "version",
)


class AddedAcross(NamedTuple):
    """What :meth:`SpansMixin.add_spans_across` wrote."""

    spans: list[SpanRecord]
    skipped: int  # spans the documents already had (or that were given twice)
    started: set[int]  # documents the annotator had not started, now in progress


class SpansMixin(StoreBase):
    def spans(
        self,
        document_id: int,
        *,
        annotator_ids: Sequence[int] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[SpanRecord]:
        """The spans of a document, ordered by position; optionally only some annotators'
        or some statuses."""
        query = span_select().where(SPAN.c.document_id == document_id)
        if annotator_ids is not None:
            query = query.where(SPAN.c.annotator_id.in_(annotator_ids))
        if statuses is not None:
            query = query.where(SPAN.c.status.in_(statuses))
        with self._read() as connection:
            rows = connection.execute(query.order_by(*span_order())).all()
        return [span_record(row) for row in rows]

    def spans_in_range(
        self,
        document_id: int,
        start: int,
        end: int,
        *,
        annotator_ids: Sequence[int] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> list[SpanRecord]:
        """The spans of a document that overlap ``[start, end)``: what a view shows first."""
        query = span_select().where(
            SPAN.c.document_id == document_id, SPAN.c.start < end, SPAN.c.end > start
        )
        if annotator_ids is not None:
            query = query.where(SPAN.c.annotator_id.in_(annotator_ids))
        if statuses is not None:
            query = query.where(SPAN.c.status.in_(statuses))
        with self._read() as connection:
            rows = connection.execute(query.order_by(*span_order())).all()
        return [span_record(row) for row in rows]

    def shown_spans(
        self, document_id: int, layers: Sequence[tuple[int, Sequence[str]]]
    ) -> list[SpanRecord]:
        """The spans of a document that a view's layers show, read in one query.

        ``layers`` holds (annotator id, statuses) pairs. The spans come layer by layer, in
        that order, each layer's ordered by position, label and uuid as :meth:`spans` orders
        them (names compared as Python strings): sorted here, which costs less than the
        database's sort of a long article's spans.
        """
        if not layers:
            return []
        shown = or_(
            *(
                and_(SPAN.c.annotator_id == annotator_id, SPAN.c.status.in_(list(statuses)))
                for annotator_id, statuses in layers
            )
        )
        with self._read() as connection:
            rows = connection.execute(
                span_select().where(SPAN.c.document_id == document_id, shown)
            ).all()
        records = [span_record(row) for row in rows]
        records.sort(key=_POSITION_ORDER)
        if len(layers) > 1:
            rank = {annotator_id: number for number, (annotator_id, _) in enumerate(layers)}
            records.sort(key=lambda record: rank[record.annotator_id])
        return records

    def span(self, span_uuid: str) -> SpanRecord | None:
        with self._read() as connection:
            row = connection.execute(span_select().where(SPAN.c.uuid == span_uuid)).first()
        return span_record(row) if row else None

    def spans_by_uuid(self, span_uuids: Sequence[str]) -> list[SpanRecord]:
        """The spans with these uuids that exist, ordered by position."""
        records: list[SpanRecord] = []
        with self._read() as connection:
            for chunk in chunks(sorted(set(span_uuids))):
                rows = connection.execute(span_select().where(SPAN.c.uuid.in_(chunk))).all()
                records.extend(span_record(row) for row in rows)
        records.sort(key=lambda r: (r.document_id, r.start, r.end, r.label, r.annotator, r.uuid))
        return records

    def _lock_spans(self, connection: Connection, span_uuids: Sequence[str]) -> None:
        """Hold the rows of spans about to be changed until the transaction ends.

        Of two sessions acting on one span, exactly one goes first; the other then reads
        what the first did and is refused if it no longer matches what it was based on.
        PostgreSQL locks the rows; SQLite needs nothing, as its write transactions begin
        with the whole database held (``BEGIN IMMEDIATE``).
        """
        if self.dialect != "postgresql" or not span_uuids:
            return
        for chunk in chunks(sorted(set(span_uuids))):
            connection.execute(
                select(SPAN.c.id)
                .where(SPAN.c.uuid.in_(chunk))
                .order_by(SPAN.c.id)
                .with_for_update()
            ).all()

    def _get_span(self, connection: Connection, span_uuid: str) -> SpanRecord:
        row = connection.execute(span_select().where(SPAN.c.uuid == span_uuid)).first()
        if row is None:
            raise ConflictError(f"span {span_uuid} no longer exists", span_uuid=span_uuid)
        return span_record(row)

    def _spans_by_uuid(self, connection: Connection, uuids: Sequence[str]) -> list[SpanRecord]:
        found: dict[str, SpanRecord] = {}
        for chunk in chunks(uuids):
            for row in connection.execute(span_select().where(SPAN.c.uuid.in_(chunk))):
                record = span_record(row)
                found[record.uuid] = record
        return [found[value] for value in uuids if value in found]

    def spans_where(
        self,
        *,
        annotator_ids: Sequence[int] | None = None,
        labels: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        document_ids: Sequence[int] | None = None,
    ) -> list[SpanRecord]:
        """Spans across documents, ordered by document and position."""
        query = span_select()
        if annotator_ids is not None:
            query = query.where(SPAN.c.annotator_id.in_(annotator_ids))
        if labels is not None:
            query = query.where(func.lower(LABEL.c.name).in_([name.lower() for name in labels]))
        if statuses is not None:
            query = query.where(SPAN.c.status.in_(statuses))
        with self._read() as connection:
            if document_ids is None:
                rows = connection.execute(query.order_by(*span_order()))
                return [span_record(row) for row in rows]
            result: list[SpanRecord] = []
            for chunk in chunks(sorted(set(document_ids))):
                rows = connection.execute(
                    query.where(SPAN.c.document_id.in_(chunk)).order_by(*span_order())
                )
                result.extend(span_record(row) for row in rows)
            return result

    def _covered_text(self, connection: Connection, document_id: int, start: int, end: int) -> str:
        # A length below 0 is refused by PostgreSQL's substr before the check below could
        # name the span: ask for nothing then, and let the check say what is wrong.
        wanted = max(end - start, 0)
        row = connection.execute(
            select(func.length(DOC.c.text), func.substr(DOC.c.text, start + 1, wanted)).where(
                DOC.c.id == document_id
            )
        ).first()
        if row is None:
            raise SpanError(f"no document with id {document_id}")
        length, covered = row
        if not 0 <= start < end <= length:
            raise SpanError(
                f"span {start}-{end} does not fit document {document_id} of {length} characters"
            )
        return covered

    @staticmethod
    def _check_note(note: str) -> None:
        """A note typed in the window is held alike on SQLite and PostgreSQL, or refused."""
        try:
            check_text(note, "the note")
        except LimitError as exc:
            raise SpanError(str(exc)) from None

    @staticmethod
    def _check_status(status: str, origin: str) -> None:
        if status not in SPAN_STATUSES:
            raise SpanError(f"unknown span status {status!r} (one of {', '.join(SPAN_STATUSES)})")
        if origin not in SPAN_ORIGINS:
            raise SpanError(f"unknown span origin {origin!r} (one of {', '.join(SPAN_ORIGINS)})")

    def add_span(
        self,
        document_id: int,
        label_id: int,
        annotator_id: int,
        start: int,
        end: int,
        **fields: Any,
    ) -> SpanRecord:
        """Tag ``text[start:end]`` of a document, with the fields :meth:`add_span_started`
        takes; committed before it returns."""
        return self.add_span_started(document_id, label_id, annotator_id, start, end, **fields)[0]

    def add_span_started(
        self,
        document_id: int,
        label_id: int,
        annotator_id: int,
        start: int,
        end: int,
        *,
        status: str = "accepted",
        origin: str = "manual",
        note: str = "",
        attributes: dict[str, Any] | None = None,
        confidence: float | None = None,
        entity_uuid: str | None = None,
        span_uuid: str | None = None,
    ) -> tuple[SpanRecord, bool]:
        """:meth:`add_span`, also saying whether the span started the document for its
        annotator (not started became in progress), in the same transaction: a tag is
        one transaction, and its progress is never read apart from it."""
        self._check_status(status, origin)
        self._check_note(note)
        with self._write() as connection:
            covered = self._covered_text(connection, document_id, start, end)
            self._check_attributes(self._schemas(connection), label_id, attributes)
            now = utcnow()
            span_uuid = span_uuid or new_uuid()
            connection.execute(
                insert(SPAN).values(
                    uuid=span_uuid,
                    document_id=document_id,
                    label_id=label_id,
                    annotator_id=annotator_id,
                    start=start,
                    end=end,
                    text=covered,
                    status=status,
                    origin=origin,
                    confidence=confidence,
                    note=note,
                    attributes=attributes or {},
                    entity_id=self._entity_id(connection, entity_uuid),
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
            started = status == "accepted" and self._mark_in_progress(
                connection, document_id, annotator_id
            )
            return self._get_span(connection, span_uuid), started

    def add_spans(
        self, document_id: int, spans: Iterable[NewSpan], *, skip_existing: bool = True
    ) -> list[SpanRecord]:
        """Add many spans to one document in one transaction (suggestions, accept-all).

        With ``skip_existing``, a span identical in annotator, label and offsets to one the
        document already has, in any status, is not added again: a rejected suggestion stays
        rejected. A label not in the project is added.
        """
        spans = list(spans)
        if not spans:
            return []
        added = self.add_spans_across(
            {document_id: spans}, skip_existing=skip_existing, create_labels=True
        )
        return added.spans

    def add_spans_across(
        self,
        spans: Mapping[int, Sequence[NewSpan]],
        *,
        skip_existing: bool = True,
        create_labels: bool = False,
    ) -> AddedAcross:
        """Add spans to several documents (document id -> spans) in one transaction: all of
        them, or none (tagging the hits of a corpus search).

        With ``skip_existing``, a span identical in annotator, label and offsets to one its
        document already has, in any status (a rejected suggestion stays rejected), is not
        added; one given twice is added once. The spans' covered text is read from the
        documents; labels and annotators are by name, labels made when ``create_labels``.
        """
        wanted = {document_id: list(items) for document_id, items in spans.items() if items}
        if not wanted:
            return AddedAcross([], 0, set())
        with self._write() as connection:
            texts = dict(self._rows_by_key(connection, DOC, "id", ("id", "text"), sorted(wanted)))
            missing = sorted(set(wanted) - set(texts))
            if missing:
                raise SpanError(f"no document with id {missing[0]}")
            labels = self._label_ids(connection, create=create_labels)
            schemas = self._schemas(connection)
            annotators: dict[str, int] = {}
            existing: set[tuple[int, int, int, int, int]] = set()
            if skip_existing:
                existing.update(
                    tuple(row)
                    for row in self._rows_by_key(
                        connection,
                        SPAN,
                        "document_id",
                        ("document_id", "annotator_id", "label_id", "start", "end"),
                        sorted(wanted),
                    )
                )
            rows: list[tuple] = []
            skipped = 0
            now = utcnow()
            uuids = iter(new_uuids(sum(len(items) for items in wanted.values())))
            for document_id, items in sorted(wanted.items()):
                text = texts[document_id]
                for span in items:
                    self._check_status(span.status, span.origin)
                    if not 0 <= span.start < span.end <= len(text):
                        raise SpanError(
                            f"{span.where or 'span'}: {span.start}-{span.end} does not fit "
                            f"document {document_id} of {len(text)} characters"
                        )
                    annotator_id = annotators.get(span.annotator)
                    if annotator_id is None:
                        annotator_id = annotators[span.annotator] = self._annotator_id(
                            connection, span.annotator
                        )
                    label_id = labels(span.label)
                    self._check_attributes(schemas, label_id, span.attributes, span.where)
                    key = (document_id, annotator_id, label_id, span.start, span.end)
                    if key in existing:
                        skipped += 1
                        continue
                    existing.add(key)
                    rows.append(
                        (
                            span.uuid or next(uuids),
                            document_id,
                            label_id,
                            annotator_id,
                            span.start,
                            span.end,
                            text[span.start : span.end],
                            span.status,
                            span.origin,
                            span.confidence,
                            span.note,
                            json_text(span.attributes),
                            self._entity_id(connection, span.entity_uuid),
                            span.created_at or now,
                            span.updated_at or now,
                            span.version,
                        )
                    )
            if not rows:
                return AddedAcross([], skipped, set())
            pairs = {(row[1], row[3]) for row in rows if row[7] == "accepted"}
            states = self._rows_by_key(
                connection,
                STATE,
                "document_id",
                ("document_id", "annotator_id", "status"),
                sorted({document_id for document_id, _ in pairs}),
            )
            recorded = {(d, a): status for d, a, status in states}
            started = {
                document_id
                for document_id, annotator_id in pairs
                if recorded.get((document_id, annotator_id), "not_started") == "not_started"
            }
            self._bulk_insert(connection, SPAN, NEW_SPAN_COLUMNS, rows)
            self._mark_started(connection, pairs)
            for document_id, annotator_id in pairs:
                if recorded.get((document_id, annotator_id)) == "not_started":
                    self._mark_in_progress(connection, document_id, annotator_id)
            written = self._spans_by_uuid(connection, [row[0] for row in rows])
            return AddedAcross(written, skipped, started)
