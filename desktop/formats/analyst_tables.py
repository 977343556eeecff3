"""The analysts' tables, as CSV for spreadsheets: one row per event, or one row per claim.

``events``: date, type, actors, targets, location, evidence, document, annotator: one row
per span labelled Event. The date, type and location are the span's attributes ``date``,
``type`` and ``location``; failing an attribute, the date and location are the spans the
event links to by a ``time`` or ``location`` relation. Actors are the spans it links to
by ``agent``, targets those it links to by ``target``. Evidence is the event's own text.

``claims``: text, source actor, stance, document, annotator: one row per span labelled
Claim; the source actor is the span the claim links to by ``attributed_to``, and the
stance the claim's attribute ``stance``.

A linked span is named by its canonical entity when it has one, else by its text; several
are joined with "; ". Labels are matched without regard to case. The tables are built from
the spans and what they link to, so ``--label`` does not apply to them. Cells are
formula-safe, as in the span table.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from db.records import ExportDocument, SpanRecord
from desktop.formats.base import ExportContext, counted
from desktop.formats.csv_table import safe, spreadsheet

EVENT_COLUMNS = (
    "date",
    "type",
    "actors",
    "targets",
    "location",
    "evidence",
    "document",
    "annotator",
)
CLAIM_COLUMNS = ("text", "source actor", "stance", "document", "annotator")


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """The events table or the claims table, as ``context.format`` says."""
    if context.format not in ("events", "claims"):
        raise ValueError(f"analyst tables are 'events' or 'claims', not {context.format!r}")
    events = context.format == "events"
    rows_of = event_rows if events else claim_rows
    names = label_names(context, "event" if events else "claim")
    with spreadsheet(out, EVENT_COLUMNS if events else CLAIM_COLUMNS) as writer:
        for item in counted(documents, context):
            rows = rows_of(item, context, names)
            if rows:
                writer.writerows(rows)


def label_names(context: ExportContext, name: str) -> set[str]:
    """The project's spellings of the label ``name`` (labels match without regard to case)."""
    return {label.name for label in context.labels if label.name.lower() == name} | {name.title()}


def event_rows(
    item: ExportDocument, context: ExportContext, names: set[str] | None = None
) -> list[list[str]]:
    """The document's rows of the events table, cells formula-safe; see the docstring."""
    events = _labelled(item, names or label_names(context, "event"))
    if not events:
        return []
    links, spans = _linking(item)
    title = safe(item.document.title)
    rows = []
    for span in events:
        attributes = span.attributes
        uuid = span.uuid
        rows.append(
            [
                safe(
                    _text(attributes.get("date"))
                    or _named(links.get((uuid, "time")), spans, context)
                ),
                safe(_text(attributes.get("type"))),
                safe(_named(links.get((uuid, "agent")), spans, context)),
                safe(_named(links.get((uuid, "target")), spans, context)),
                safe(
                    _text(attributes.get("location"))
                    or _named(links.get((uuid, "location")), spans, context)
                ),
                safe(span.text),
                title,
                safe(span.annotator),
            ]
        )
    return rows


def claim_rows(
    item: ExportDocument, context: ExportContext, names: set[str] | None = None
) -> list[list[str]]:
    """The document's rows of the claims table, cells formula-safe; see the docstring."""
    claims = _labelled(item, names or label_names(context, "claim"))
    if not claims:
        return []
    links, spans = _linking(item)
    title = safe(item.document.title)
    return [
        [
            safe(span.text),
            safe(_named(links.get((span.uuid, "attributed_to")), spans, context)),
            safe(_text(span.attributes.get("stance"))),
            title,
            safe(span.annotator),
        ]
        for span in claims
    ]


def _labelled(item: ExportDocument, names: set[str]) -> list[SpanRecord]:
    return [span for span in item.spans if span.label in names and span.status == "accepted"]


def _linking(item: ExportDocument):
    """(head uuid, relation type) -> the uuids it points at, and the spans by uuid; both
    empty when nothing in the document is related."""
    if not item.relations:
        return {}, {}
    links: dict[tuple[str, str], list[str]] = {}
    for relation in item.relations:
        links.setdefault((relation.head_uuid, relation.type), []).append(relation.tail_uuid)
    return links, {span.uuid: span for span in item.spans}


def _named(uuids: list[str] | None, spans: dict[str, SpanRecord], context: ExportContext) -> str:
    """The linked spans by their canonical names (else their texts), in text order, once each."""
    if not uuids:
        return ""
    if len(uuids) == 1:  # the usual case: one source, one agent
        span = spans.get(uuids[0])
        if span is None:
            return ""
        entity = context.entity(span.entity_uuid)
        return entity.name if entity else span.text
    linked = sorted((spans[uuid] for uuid in uuids if uuid in spans), key=lambda s: s.start)
    names: dict[str, None] = {}
    for span in linked:
        entity = context.entity(span.entity_uuid)
        names.setdefault(entity.name if entity else span.text, None)
    return "; ".join(names)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
