"""Import: a whole batch of documents, spans and relations in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    delete,
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
    ALIAS,
    ANNOTATOR,
    DOC,
    ENTITY,
    LABEL,
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
from db.store.import_spans import ImportSpansMixin
from db.tables import (
    DOCUMENT_STATUSES,
    GOLD,
    utcnow,
)


class ImportMixin(ImportSpansMixin, ImportChecksMixin):
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
        self._check_batch(batch)
        summary = ImportSummary()
        with self._write() as connection:
            empty_project = not connection.execute(select(DOC.c.id).limit(1)).first()
            self._import_labels(connection, batch, empty_project, summary)
            new_labels: list[str] = []
            labels = self._label_ids(connection, create=True, created=new_labels)
            annotators = self._import_annotators(connection, batch, summary)
            entities = self._import_entities(connection, batch, labels, summary)
            document_ids, matched = self._import_documents(connection, batch, summary, progress)
            # A batch span skipped as one the document already has: its uuid -> the kept one's.
            same_as: dict[str, str] = {}
            started = self._import_spans(
                connection,
                batch,
                document_ids,
                matched,
                labels,
                annotators,
                entities,
                summary,
                progress,
                same_as,
            )
            self._mark_started(connection, started)
            self._import_relations(connection, batch, annotators, summary, same_as)
            self._import_states_and_reviews(connection, batch, document_ids, annotators)
            summary.labels_added += len(new_labels)
        return summary

    def _import_labels(self, connection, batch: ImportBatch, empty_project: bool, summary) -> None:
        if not batch.labels:
            return
        # A label named again (by a second file of the import) is the first one.
        first: dict[str, NewLabel] = {}
        for label in batch.labels:
            first.setdefault(label.name.strip().lower(), label)
        labels = list(first.values())
        existing = {row.name.lower(): row for row in connection.execute(select(LABEL))}
        if empty_project and not connection.execute(select(SPAN.c.id).limit(1)).first():
            # A new project takes the file's label scheme whole: colours, keys and order.
            named = {label.name.strip().lower() for label in labels}
            for key, row in existing.items():
                if key not in named:
                    connection.execute(delete(LABEL).where(LABEL.c.id == row.id))
            connection.execute(update(LABEL).values(shortcut=None))
            for position, label in enumerate(labels):
                row = existing.get(label.name.strip().lower())
                values = {
                    "name": label.name.strip(),
                    "kind": label.kind,
                    "colour": label.colour
                    or (row.colour if row else self._next_colour(connection)),
                    "shortcut": label.shortcut or None,
                    "description": label.description,
                    "position": label.position if label.position is not None else position,
                }
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

    def _import_annotators(self, connection, batch: ImportBatch, summary) -> Callable[[str], int]:
        known = {
            name: annotator_id
            for annotator_id, name in connection.execute(select(ANNOTATOR.c.id, ANNOTATOR.c.name))
        }
        gold_names = {annotator.name for annotator in batch.annotators if annotator.is_gold}

        def resolve(name: str) -> int:
            name = name.strip()
            if name in known:
                return known[name]
            if not name:
                raise SpanError("a span needs an annotator")
            known[name] = connection.execute(
                insert(ANNOTATOR).values(
                    name=name, is_gold=name in gold_names or name == GOLD, created_at=utcnow()
                )
            ).inserted_primary_key[0]
            summary.annotators_added += 1
            return known[name]

        for annotator in batch.annotators:
            resolve(annotator.name)
        return resolve

    def _import_entities(self, connection, batch: ImportBatch, labels, summary) -> dict[str, int]:
        uuids = [entity.uuid for entity in batch.entities if entity.uuid]
        known: dict[str, int] = {}
        for chunk in chunks(uuids):
            known.update(
                connection.execute(
                    select(ENTITY.c.uuid, ENTITY.c.id).where(ENTITY.c.uuid.in_(chunk))
                ).all()
            )
        for entity in batch.entities:
            entity_uuid = entity.uuid or new_uuid()
            if entity_uuid in known:
                entity_id = known[entity_uuid]
            else:
                entity_id = connection.execute(
                    insert(ENTITY).values(
                        uuid=entity_uuid,
                        name=entity.name,
                        label_id=labels(entity.label) if entity.label else None,
                        description=entity.description,
                        created_at=entity.created_at or utcnow(),
                    )
                ).inserted_primary_key[0]
                known[entity_uuid] = entity_id
                summary.entities_added += 1
            have = set(
                connection.execute(
                    select(ALIAS.c.alias).where(ALIAS.c.entity_id == entity_id)
                ).scalars()
            )
            for alias in entity.aliases:
                if alias not in have:
                    connection.execute(insert(ALIAS).values(entity_id=entity_id, alias=alias))
                    have.add(alias)
        return known

    def _import_documents(
        self, connection, batch: ImportBatch, summary, progress
    ) -> tuple[list[int], set[int]]:
        """Insert the new documents; returns each batch document's id and the ids of the
        documents that were in the project already."""
        hashes = [content_hash(document.text) for document in batch.documents]
        known: dict[str, int] = {}
        for chunk in chunks(sorted(set(hashes))):
            known.update(
                connection.execute(
                    select(DOC.c.content_hash, DOC.c.id).where(DOC.c.content_hash.in_(chunk))
                ).all()
            )
        matched = set(known.values())
        rows = []
        seen: set[str] = set()
        now = utcnow()
        for document, digest in zip(batch.documents, hashes, strict=True):
            if digest in known or digest in seen:
                continue
            seen.add(digest)
            rows.append(
                (
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
            if progress:
                progress(min((index + 1) * 1000, total), total)
        new_hashes = [row[0] for row in rows]
        for chunk in chunks(new_hashes):
            known.update(
                connection.execute(
                    select(DOC.c.content_hash, DOC.c.id).where(DOC.c.content_hash.in_(chunk))
                ).all()
            )
        summary.documents_added = len(rows)
        summary.documents_matched = len(set(hashes) - set(new_hashes))
        ids = [known[digest] for digest in hashes]
        summary.document_ids = list(dict.fromkeys(ids))
        return ids, matched

    def _import_states_and_reviews(self, connection, batch, document_ids, annotators) -> None:
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
        self._bulk_insert(
            connection,
            STATE,
            ("document_id", "annotator_id", "status", "updated_at"),
            [(r["document_id"], r["annotator_id"], r["status"], r["updated_at"]) for r in states],
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
