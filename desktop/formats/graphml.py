"""GraphML for network tools (Gephi, Cytoscape, networkx): who did what to whom, who said what.

The graph is directed and may hold several edges between two nodes (a multigraph):

- An **actor** is a node. Spans linked to a canonical actor (entity) are one node, whose
  id is the entity's uuid, ``label`` its name, ``canonical`` true, ``aliases`` its aliases
  joined with "; " and ``actor_type`` its type (when it has them); any other actor is a
  node per distinct text, compared without regard to case or runs of whitespace (id
  ``actor:<that text>``, label the text as first met, ``canonical`` false). ``mentions``
  counts the spans that are the actor. Every accepted Actor span is a node, linked or not;
  so is any other span an event or claim points at.
- An **event** is an edge from each agent to each target (``kind="event"``), carrying its
  ``type``, ``date``, ``date_precision``, ``location``, ``fatalities``, ``event`` (the span's
  uuid), ``document`` (its title), ``evidence`` (the span's text) and ``annotator``. The date
  is the ``date`` attribute, else the text of a span linked by ``time`` (older projects).
- A **claim** is an edge from its source (``source``, else ``attributed_to``) to each thing
  it is ``about``, an actor or an event (``kind="claim"``), carrying ``stance``,
  ``certainty``, ``claim`` (uuid), ``text``, ``document`` and ``annotator``.

An event or claim that lacks one end (agents but no target, a source but nothing it is
about, ...) still appears: the event or claim itself becomes a node (``kind`` "event" or
"claim", id ``event:<uuid>`` / ``claim:<uuid>``) that stands in for the missing end; one with
neither end is that node alone. A claim about an event points at the event's node. Edges
also have a ``label`` (the event's type, the claim's stance) for tools that show one.

GraphML values are strings, numbers or booleans: a value a span lacks is left out, never
written empty. Characters XML 1.0 cannot hold (control characters) become U+FFFD and are
counted in the export's report. Suggestions and rejected spans never leave.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from db.records import ExportDocument, SpanRecord
from db.schema import date_precision
from desktop.formats.base import ExportContext, atomic_output, counted

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACED = "characters XML cannot hold, written as U+FFFD"
_WHITESPACE = re.compile(r"\s+")


def write(documents: Iterable[ExportDocument], out: Path, context: ExportContext) -> None:
    """The project's actors, events and claims as one GraphML file; see the docstring."""
    graph = build_graph(counted(documents, context), context)
    with atomic_output(out, "wb") as stream:
        nx.write_graphml(graph, stream, encoding="utf-8", prettyprint=True)


def build_graph(documents: Iterable[ExportDocument], context: ExportContext) -> nx.MultiDiGraph:
    """The graph of the documents' accepted spans, as :func:`write` writes it."""
    builder = _GraphBuilder(context)
    for item in documents:
        builder.add_document(item)
    for items in (builder.graph.nodes.values(), (d for *_, d in builder.graph.edges(data=True))):
        _one_type_per_name(list(items))
    return builder.graph


def _one_type_per_name(records: list[dict[str, Any]]) -> None:
    """Give each attribute one type across the records: networkx declares a GraphML key per
    name and type, and Gephi takes one of two keys of the same name. Whole numbers mixed
    with fractions become fractions; anything else mixed becomes text."""
    types: dict[str, set[type]] = {}
    for record in records:
        for name, value in record.items():
            types.setdefault(name, set()).add(type(value))
    for name, kinds in types.items():
        if len(kinds) < 2:
            continue
        cast = float if kinds <= {int, float} else str
        for record in records:
            if name in record:
                record[name] = cast(record[name])


class _GraphBuilder:
    def __init__(self, context: ExportContext):
        self.context = context
        self.graph = nx.MultiDiGraph()

    # --- nodes --------------------------------------------------------------------------

    def actor(self, span: SpanRecord) -> str:
        """The node of an actor span, made (or its mentions counted) here."""
        entity = self.context.entity(span.entity_uuid)
        if entity is not None:
            node = entity.uuid
        else:
            label = _WHITESPACE.sub(" ", span.text).strip() or span.text
            node = f"actor:{label.casefold()}"
        if node in self.graph:
            self.graph.nodes[node]["mentions"] += 1
        elif entity is not None:
            self.graph.add_node(
                node,
                **self._clean(
                    label=entity.name,
                    kind="actor",
                    mentions=1,
                    canonical=True,
                    aliases="; ".join(entity.aliases),
                    actor_type=entity.type,
                ),
            )
        else:
            self.graph.add_node(
                node, **self._clean(label=label, kind="actor", mentions=1, canonical=False)
            )
        return node

    def record_node(self, kind: str, span: SpanRecord, **fields: Any) -> str:
        """The node standing for an event or a claim itself."""
        node = f"{kind}:{span.uuid}"
        if node not in self.graph:
            self.graph.add_node(
                node, **self._clean(label=span.text, kind=kind, **{kind: span.uuid}, **fields)
            )
        return node

    # --- a document -----------------------------------------------------------------------

    def add_document(self, item: ExportDocument) -> None:
        spans = {span.uuid: span for span in item.spans if span.status == "accepted"}
        links: dict[tuple[str, str], list[SpanRecord]] = {}
        for relation in item.relations:
            if relation.head_uuid in spans and relation.tail_uuid in spans:
                links.setdefault((relation.head_uuid, relation.type), []).append(
                    spans[relation.tail_uuid]
                )
        for ends in links.values():
            ends.sort(key=lambda span: (span.start, span.end))
        kinds = {uuid: span.label.lower() for uuid, span in spans.items()}
        title = item.document.title
        nodes: dict[str, str] = {}  # span uuid -> its actor node

        def end(span: SpanRecord) -> str:
            """The node a relation's end is: an event's node, else an actor's."""
            if kinds[span.uuid] == "event":
                return self.record_node("event", span, **self._event_fields(span, links, title))
            if span.uuid not in nodes:
                nodes[span.uuid] = self.actor(span)
            return nodes[span.uuid]

        for span in spans.values():
            if kinds[span.uuid] == "actor":
                end(span)
        for span in spans.values():
            if kinds[span.uuid] == "event":
                self._event(span, links, title, end)
            elif kinds[span.uuid] == "claim":
                self._claim(span, links, title, end)

    def _event_fields(self, span: SpanRecord, links, title: str) -> dict[str, Any]:
        attributes = span.attributes
        date = _scalar(attributes.get("date"))
        if date is None and links.get((span.uuid, "time")):
            date = links[(span.uuid, "time")][0].text
        fatalities = attributes.get("fatalities")
        return {
            "type": _scalar(attributes.get("type")),
            "date": date,
            "date_precision": date_precision(date) if isinstance(date, str) else None,
            "location": _scalar(attributes.get("location"))
            or "; ".join(s.text for s in links.get((span.uuid, "location"), ())),
            "fatalities": fatalities
            if isinstance(fatalities, (int, float)) and not isinstance(fatalities, bool)
            else None,
            "document": title,
            "annotator": span.annotator,
        }

    def _event(self, span: SpanRecord, links, title: str, end) -> None:
        fields = self._event_fields(span, links, title)
        agents = [end(s) for s in links.get((span.uuid, "agent"), ())]
        targets = [end(s) for s in links.get((span.uuid, "target"), ())]
        if not agents or not targets:
            itself = self.record_node("event", span, **fields)
            agents, targets = agents or [itself], targets or [itself]
            if agents == targets == [itself]:
                return  # no ends at all: the event is its node alone
        edge = self._clean(
            kind="event",
            label=fields["type"] or "event",
            event=span.uuid,
            evidence=span.text,
            **fields,
        )
        number = 0
        for agent in agents:
            for target in targets:
                number += 1
                self.graph.add_edge(agent, target, key=f"event:{span.uuid}:{number}", **edge)

    def _claim(self, span: SpanRecord, links, title: str, end) -> None:
        attributes = span.attributes
        sources = links.get((span.uuid, "source")) or links.get((span.uuid, "attributed_to"), [])
        stance = _scalar(attributes.get("stance"))
        fields = {
            "stance": stance,
            "certainty": _scalar(attributes.get("certainty")),
            "document": title,
            "annotator": span.annotator,
        }
        heads = [end(s) for s in sources]
        tails = [end(s) for s in links.get((span.uuid, "about"), ())]
        if not heads or not tails:
            itself = self.record_node("claim", span, **fields)
            heads, tails = heads or [itself], tails or [itself]
            if heads == tails == [itself]:
                return
        edge = self._clean(
            kind="claim", label=stance or "claim", claim=span.uuid, text=span.text, **fields
        )
        number = 0
        for head in heads:
            for tail in tails:
                number += 1
                self.graph.add_edge(head, tail, key=f"claim:{span.uuid}:{number}", **edge)

    def _clean(self, **fields: Any) -> dict[str, Any]:
        """The fields GraphML can hold: no None, no empty text, strings XML can hold."""
        clean: dict[str, Any] = {}
        for name, value in fields.items():
            if value is None or value == "":
                continue
            if isinstance(value, str):
                value, replaced = NOT_XML.subn("\ufffd", value)
                self.context.note(REPLACED, replaced)
            clean[name] = value
        return clean


def _scalar(value: Any) -> str | None:
    """An attribute value as GraphML text: None when absent or empty."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
