"""The analysts' tables, as CSV for spreadsheets: one row per event, or one row per claim.

``events``: one row per accepted span labelled Event, with the columns of
:data:`EVENT_COLUMNS`. The date is the event's attribute ``date``, else the text of the span
it links to by ``time`` (older projects); its precision (day, week, month, year) is read
from the date's ISO form and left empty when the date is not an ISO date. Type, location
and fatalities are the attributes of those names; failing the ``location`` attribute, the
location is the span linked by ``location``. Agents and targets are the spans linked by
``agent`` and ``target``. Evidence is the event's own text.

``claims``: one row per accepted span labelled Claim, with the columns of
:data:`CLAIM_COLUMNS`. The source is the span linked by ``source`` (``attributed_to`` in
older projects); ``about`` the actors and events linked by ``about``; stance and certainty
the attributes of those names.

Both tables name the document by its title, outlet (the document's source) and publication
date, and give the annotator. A linked span is named by its canonical entity (actor) when it
has one, else by its text; several are joined with "; " in text order, and spans of one
entity, or unlinked spans of one text, are named once. Beside each such column, its
``... ids`` column (``agent ids``, ``target ids``, ``source ids``, ``about ids``) gives the
canonical entities' uuids, one per name in the same order, empty for a name that is no
entity's: so ``agents`` "Kataib Hezbollah; US" may have ``agent ids`` "3f2c...; ". A
column whose names are all unlinked has empty ids. Labels are matched
without regard to case. The tables are built from the spans and what they link to, so
``--label`` does not apply to them. Cells are formula-safe, as in the span table.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from db.records import ExportDocument, SpanRecord
from db.schema import date_precision
from desktop.formats.base import ExportContext, counted
from desktop.formats.csv_table import safe, spreadsheet

EVENT_COLUMNS = (
    "event",
    "date",
    "date precision",
    "type",
    "agents",
    "agent ids",
    "targets",
    "target ids",
    "location",
    "fatalities",
    "evidence",
    "document",
    "outlet",
    "publication date",
    "annotator",
)
CLAIM_COLUMNS = (
    "claim",
    "text",
    "source",
    "source ids",
    "stance",
    "certainty",
    "about",
    "about ids",
    "document",
    "outlet",
    "publication date",
    "annotator",
)


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


def event_date(span: SpanRecord, links, spans: dict[str, SpanRecord]) -> tuple[str, str]:
    """An event's date and its precision: the ``date`` attribute, else the text of the span
    linked by ``time``; the precision is empty when the date is no ISO date."""
    date = _text(span.attributes.get("date"))
    if not date:
        linked = [spans[uuid] for uuid in links.get((span.uuid, "time"), ()) if uuid in spans]
        date = min(linked, key=lambda s: s.start).text if linked else ""
    return date, (date_precision(date) or "") if date else ""


def event_rows(
    item: ExportDocument, context: ExportContext, names: set[str] | None = None
) -> list[list[str]]:
    """The document's rows of the events table, cells formula-safe; see the docstring."""
    events = _labelled(item, names or label_names(context, "event"))
    if not events:
        return []
    links, spans = _linking(item)
    document = _document_cells(item)
    rows = []
    for span in events:
        attributes = span.attributes
        uuid = span.uuid
        date, precision = event_date(span, links, spans)
        agents = _named(links.get((uuid, "agent")), spans, context)
        targets = _named(links.get((uuid, "target")), spans, context)
        rows.append(
            [
                uuid,
                safe(date),
                precision,
                safe(_text(attributes.get("type"))),
                safe(agents[0]),
                agents[1],
                safe(targets[0]),
                targets[1],
                safe(
                    _text(attributes.get("location"))
                    or _named(links.get((uuid, "location")), spans, context)[0]
                ),
                safe(_text(attributes.get("fatalities"))),
                safe(span.text),
                *document,
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
    document = _document_cells(item)
    rows = []
    for span in claims:
        sources = _named(
            links.get((span.uuid, "source")) or links.get((span.uuid, "attributed_to")),
            spans,
            context,
        )
        about = _named(links.get((span.uuid, "about")), spans, context)
        rows.append(
            [
                span.uuid,
                safe(span.text),
                safe(sources[0]),
                sources[1],
                safe(_text(span.attributes.get("stance"))),
                safe(_text(span.attributes.get("certainty"))),
                safe(about[0]),
                about[1],
                *document,
                safe(span.annotator),
            ]
        )
    return rows


def _document_cells(item: ExportDocument) -> list[str]:
    """Title, outlet and publication date, formula-safe."""
    document = item.document
    return [safe(document.title), safe(document.source or ""), safe(document.published or "")]


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


def _named(
    uuids: list[str] | None, spans: dict[str, SpanRecord], context: ExportContext
) -> tuple[str, str]:
    """The linked spans by their canonical names (else their texts), in text order, once
    each; and their canonical entities' uuids, one per name ("" for a name of no entity),
    or "" when none is linked."""
    if not uuids:
        return "", ""
    if len(uuids) == 1:  # the usual case: one source, one agent
        span = spans.get(uuids[0])
        if span is None:
            return "", ""
        entity = context.entity(span.entity_uuid)
        return (entity.name, entity.uuid) if entity else (span.text, "")
    linked = sorted((spans[uuid] for uuid in uuids if uuid in spans), key=lambda s: s.start)
    named: dict[tuple[str, str], None] = {}  # (entity uuid or "", name)
    for span in linked:
        entity = context.entity(span.entity_uuid)
        named.setdefault((entity.uuid, entity.name) if entity else ("", span.text), None)
    ids = [uuid for uuid, _ in named]
    return "; ".join(name for _, name in named), "; ".join(ids) if any(ids) else ""


def _text(value: Any) -> str:
    """A value as a cell: nothing for None, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
