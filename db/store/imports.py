"""Import: documents, spans and relations written in one transaction, whole or part after
part (:meth:`ImportMixin.importing`), so that a file of any size is read in bounded memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import (
    delete,
    func,
    insert,
    select,
    update,
)

from db.records import (
    ImportBatch,
    ImportSummary,
    NewLabel,
)
from db.store.base import (
    ANNOTATOR,
    DOC,
    LABEL,
    RELATION,
    REVIEW,
    SPAN,
    STATE,
    Progress,
    SpanError,
    chunks,
    content_hash,
    json_text,
    new_uuid,
)
from db.store.import_checks import ImportChecksMixin
from db.store.import_entities import ImportEntitiesMixin
from db.store.import_spans import ImportSpansMixin
from db.tables import (
    DOCUMENT_STATUSES,
    GOLD,
    utcnow,
)


class ImportWriter:
    """One import, written part after part inside one transaction (see
    :meth:`ImportMixin.importing`).

    What must outlive a part stays small: the project's annotators, the entities met, the
    label names taken, and the links from spans skipped as duplicates to the spans kept.
    Everything else is looked up in the database, where the rows of earlier parts are
    visible to the transaction. New rows get their ids here, so nothing written is read
    back to learn them.
    """

    def __init__(self, store: ImportMixin, stack: ExitStack, progress: Progress | None):
        self.summary = ImportSummary()
        self.connection = None
        self.progress = progress
        self._store = store
        self._stack = stack
        self.empty_project = False
        self.scheme: bool | None = None  # whether the import sets a new project's labels
        self.scheme_position = 0
        self.label_names: set[str] = set()  # named so far (lower case): the first one wins
        self.annotators: dict[str, int] = {}
        self.gold: set[str] = set()
        self.created_annotators: set[str] = set()
        self.entities: dict[str, int] = {}  # entity uuid -> id, of the project or the import
        self.entity_labels: dict[str, tuple[int | None, str]] = {}  # uuid -> (label id, name)
        # The aliases earlier parts claimed: (label id, alias) -> (entity uuid, where).
        self.aliases: dict[tuple[int | None, str], tuple[str, str]] = {}
        self.last_document_id = 0  # the largest id before the import: larger ones are its own
        self.matched: set[int] = set()  # documents of the project that the import named
        self.has_spans = False
        self.has_relations = False
        # A span skipped as one the document already has: its uuid -> the kept one's.
        self.same_as: dict[str, str] = {}
        self.source = ""  # the file the current part came from
        self.source_first_span: int | None = None  # the first span id given to its spans
        self._next_ids: dict[str, int] = {}
        self._sequences: dict[str, str] = {}

    def add(self, part: ImportBatch) -> None:
        """Check ``part`` and write it. On :class:`SpanError` (``file:line: reason``) or any
        other error, leave the ``with`` block: the whole import is then rolled back."""
        if not (part.documents or part.labels or part.entities or part.annotators):
            return
        self._store._check_batch(part)
        if self.connection is None:
            self._open()
        if part.source != self.source:
            self.source, self.source_first_span = part.source, None
        self._store._import_part(self, self.connection, part)

    def new_ids(self, table, count: int) -> list[int]:
        """``count`` ids for new rows of ``table``, given by the import itself.

        PostgreSQL draws them from the table's sequence, as an insert would. SQLite takes
        the ones after the largest: its write transaction keeps every other writer out.
        """
        if not count:
            return []
        connection = self.connection
        if connection.dialect.name == "postgresql":
            sequence = self._sequences.get(table.name)
            if sequence is None:
                sequence = self._sequences[table.name] = connection.exec_driver_sql(
                    "SELECT pg_get_serial_sequence(%s, 'id')", (table.name,)
                ).scalar_one()
            return list(
                connection.exec_driver_sql(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    (sequence, count),
                ).scalars()
            )
        first = self._next_ids.get(table.name)
        if first is None:
            first = (connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        self._next_ids[table.name] = first + count
        return list(range(first, first + count))

    def _open(self) -> None:
        connection = self._stack.enter_context(self._store._write())
        if connection.dialect.name == "postgresql":
            # The planner's statistics do not see rows written earlier in this transaction:
            # to it the tables look as small as they were, and a lookup by hash or uuid would
            # scan a whole table once per part. The lookups of an import are by key. (The
            # cost that keeps scans away would also have every small query compiled by JIT.)
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL jit = off")
        self.connection = connection
        self.last_document_id = connection.execute(select(func.max(DOC.c.id))).scalar() or 0
        self.has_spans = connection.execute(select(SPAN.c.id).limit(1)).first() is not None
        self.has_relations = connection.execute(select(RELATION.c.id).limit(1)).first() is not None
        self.empty_project = not self.last_document_id and not self.has_spans
        self.annotators = {
            name: annotator_id
            for annotator_id, name in connection.execute(select(ANNOTATOR.c.id, ANNOTATOR.c.name))
        }


class ImportMixin(ImportSpansMixin, ImportEntitiesMixin, ImportChecksMixin):
    def import_batch(
        self,
        batch: ImportBatch,
        *,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Write an import in one transaction: all of it, or (on any error) none of it.

        Documents are matched by content hash; a span identical (annotator, label, offsets)
        to one already on the document, or with a uuid already in the project, is skipped.
        ``progress(done, total)`` is called between chunks; if it raises, nothing is written.
        """
        with self.importing(progress=progress) as writer:
            writer.add(batch)
        return writer.summary

    @contextmanager
    def importing(self, *, progress: Progress | None = None) -> Iterator[ImportWriter]:
        """An import written in parts, one after another, in one transaction::

            with store.importing() as writer:
                for part in parts:
                    writer.add(part)
            summary = writer.summary

        Committed when the block ends; rolled back, leaving the project as it was, if
        anything raises inside it (a part that does not fit, a reader's error, a cancel).
        The transaction opens with the first part that holds anything, after its checks.
        A part is matched against the project as :meth:`import_batch` matches a batch,
        earlier parts included; relations may point at spans of earlier parts.
        """
        with ExitStack() as stack:
            yield ImportWriter(self, stack, progress)

    def _import_part(self, writer: ImportWriter, connection, part: ImportBatch) -> None:
        summary = writer.summary
        self._import_labels(writer, connection, part)
        new_labels: list[str] = []
        labels = self._label_ids(connection, create=True, created=new_labels)
        annotators = self._import_annotators(writer, connection, part)
        self._import_entities(writer, connection, part, labels)
        document_ids, found = self._import_documents(writer, connection, part)
        started, written = self._import_spans(
            writer, connection, part, document_ids, found, labels, annotators
        )
        # A state the part gives is written below; only the others need "in progress".
        stated = {
            (document_id, annotators(state.annotator))
            for document, document_id in zip(part.documents, document_ids, strict=True)
            for state in document.states
        }
        self._mark_started(connection, started - stated)
        self._import_relations(writer, connection, part, annotators, written)
        self._import_states_and_reviews(
            connection, part, document_ids, annotators, set(document_ids) - found
        )
        summary.labels_added += len(new_labels)

    def _import_labels(self, writer: ImportWriter, connection, part: ImportBatch) -> None:
        # A label named again (by a later part or a second file) is the first one.
        labels: list[NewLabel] = []
        for label in part.labels:
            key = label.name.strip().lower()
            if key not in writer.label_names:
                writer.label_names.add(key)
                labels.append(label)
        if not labels:
            return
        summary = writer.summary
        existing = {row.name.lower(): row for row in connection.execute(select(LABEL))}
        if writer.scheme is None:
            # Decided by the first labels: a project that held nothing when the import began
            # and has no span yet takes the file's label scheme whole.
            writer.scheme = writer.empty_project and not writer.has_spans
            if writer.scheme:
                named = {label.name.strip().lower() for label in labels}
                for key, row in list(existing.items()):
                    if key not in named:
                        connection.execute(delete(LABEL).where(LABEL.c.id == row.id))
                        del existing[key]
                connection.execute(update(LABEL).values(shortcut=None))
        if writer.scheme:
            # Colours, keys and order as the file has them.
            for label in labels:
                row = existing.get(label.name.strip().lower())
                values = {
                    "name": label.name.strip(),
                    "kind": label.kind,
                    "colour": label.colour
                    or (row.colour if row else self._next_colour(connection)),
                    "shortcut": label.shortcut or None,
                    "description": label.description,
                    "position": (
                        label.position if label.position is not None else writer.scheme_position
                    ),
                }
                writer.scheme_position += 1
                if label.schema is not None:
                    values["schema"] = label.schema.to_json()
                if row is not None:
                    connection.execute(update(LABEL).where(LABEL.c.id == row.id).values(**values))
                else:
                    connection.execute(insert(LABEL).values(**values))
                    summary.labels_added += 1
            return
        taken = {row.shortcut.lower() for row in existing.values() if row.shortcut}
        for label in labels:
            row = existing.get(label.name.strip().lower())
            if row is not None:
                if label.schema and not row._mapping["schema"]:
                    # The project's label has no schema yet: it takes the file's.
                    connection.execute(
                        update(LABEL)
                        .where(LABEL.c.id == row.id)
                        .values(schema=label.schema.to_json())
                    )
                continue
            shortcut = (
                label.shortcut if label.shortcut and label.shortcut.lower() not in taken else None
            )
            self._insert_label(
                connection,
                label.name,
                label.colour,
                shortcut,
                label.description,
                label.kind,
                schema=label.schema,
            )
            if shortcut:
                taken.add(shortcut.lower())
            summary.labels_added += 1

    def _import_annotators(
        self, writer: ImportWriter, connection, part: ImportBatch
    ) -> Callable[[str], int]:
        known = writer.annotators
        writer.gold.update(annotator.name for annotator in part.annotators if annotator.is_gold)

        def resolve(name: str) -> int:
            name = name.strip()
            if name in known:
                return known[name]
            if not name:
                raise SpanError("a span needs an annotator")
            known[name] = connection.execute(
                insert(ANNOTATOR).values(
                    name=name, is_gold=name in writer.gold or name == GOLD, created_at=utcnow()
                )
            ).inserted_primary_key[0]
            writer.created_annotators.add(name)
            writer.summary.annotators_added += 1
            return known[name]

        for annotator in part.annotators:
            name = annotator.name.strip()
            if annotator.is_gold and name in writer.created_annotators and name in known:
                # Met first on a span of an earlier part, and declared gold here.
                connection.execute(
                    update(ANNOTATOR).where(ANNOTATOR.c.id == known[name]).values(is_gold=True)
                )
            resolve(annotator.name)
        return resolve

    def _import_documents(
        self, writer: ImportWriter, connection, part: ImportBatch
    ) -> tuple[list[int], set[int]]:
        """Insert the part's new documents; returns each of its documents' id, and the ids
        of those that were in the project already (before the import or from an earlier
        part)."""
        summary = writer.summary
        hashes = [content_hash(document.text) for document in part.documents]
        known: dict[str, int] = dict(
            self._rows_by_key(
                connection, DOC, "content_hash", ("content_hash", "id"), sorted(set(hashes))
            )
        )
        found = set(known.values())
        fresh: list[tuple] = []
        for document, digest in zip(part.documents, hashes, strict=True):
            if digest not in known:
                known[digest] = -1
                fresh.append((document, digest))
        ids = writer.new_ids(DOC, len(fresh))
        now = utcnow()
        rows = []
        for document_id, (document, digest) in zip(ids, fresh, strict=True):
            known[digest] = document_id
            rows.append(
                (
                    document_id,
                    digest,
                    document.title or "",
                    document.text,
                    len(document.text),
                    document.source,
                    document.url,
                    document.published,
                    document.language,
                    json_text(document.meta),
                    document.imported_from,
                    document.created_at or now,
                )
            )
        total = len(rows)
        columns = (
            "id",
            "content_hash",
            "title",
            "text",
            "text_length",
            "source",
            "url",
            "published",
            "language",
            "meta",
            "imported_from",
            "created_at",
        )
        for index, chunk in enumerate(chunks(rows, 1000)):
            self._bulk_insert(connection, DOC, columns, chunk)
            self._index_documents(connection, [(row[0], row[3]) for row in chunk])
            if writer.progress:
                writer.progress(min((index + 1) * 1000, total), total)
        summary.documents_added += total
        document_ids = [known[digest] for digest in hashes]
        listed = set(ids)
        for document_id in document_ids:
            if document_id in listed:
                listed.discard(document_id)
                summary.document_ids.append(document_id)
            elif document_id <= writer.last_document_id and document_id not in writer.matched:
                writer.matched.add(document_id)
                summary.documents_matched += 1
                summary.document_ids.append(document_id)
        return document_ids, found

    def _import_states_and_reviews(
        self, connection, batch, document_ids, annotators, new_documents: set[int]
    ) -> None:
        states = []
        reviews = []
        now = utcnow()
        for document, document_id in zip(batch.documents, document_ids, strict=True):
            for state in document.states:
                if state.status not in DOCUMENT_STATUSES:
                    raise SpanError(
                        f"{document.where or 'document'}: unknown document status {state.status!r}"
                    )
                states.append(
                    {
                        "document_id": document_id,
                        "annotator_id": annotators(state.annotator),
                        "status": state.status,
                        "updated_at": state.updated_at or now,
                    }
                )
            for review in document.reviews:
                reviews.append(
                    {
                        "uuid": review.uuid or new_uuid(),
                        "document_id": document_id,
                        "reviewer_id": annotators(review.reviewer),
                        "kind": review.kind,
                        "action": review.action,
                        "candidates": review.candidates,
                        "outcome_uuid": review.outcome_uuid,
                        "note": review.note,
                        "created_at": review.created_at or now,
                    }
                )
        # The last state given for a document and annotator wins. Documents new in this part
        # have no state yet (see _import_part): theirs go in without a conflict clause.
        latest = {(r["document_id"], r["annotator_id"]): r for r in states}
        plain, upserts = [], []
        for (document_id, annotator_id), r in latest.items():
            row = (document_id, annotator_id, r["status"], r["updated_at"])
            (plain if document_id in new_documents else upserts).append(row)
        columns = ("document_id", "annotator_id", "status", "updated_at")
        self._bulk_insert(connection, STATE, columns, plain)
        self._bulk_insert(
            connection,
            STATE,
            columns,
            upserts,
            "ON CONFLICT (document_id, annotator_id) DO UPDATE SET status = excluded.status, "
            "updated_at = excluded.updated_at",
        )
        if reviews:
            existing = set()
            for chunk in chunks([review["uuid"] for review in reviews]):
                existing.update(
                    connection.execute(
                        select(REVIEW.c.uuid).where(REVIEW.c.uuid.in_(chunk))
                    ).scalars()
                )
            fresh = []
            for review in reviews:
                if review["uuid"] not in existing:  # a decision given twice is kept once
                    existing.add(review["uuid"])
                    fresh.append(review)
            if fresh:
                connection.execute(insert(REVIEW), fresh)
