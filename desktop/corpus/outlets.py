"""Outlets side by side: which outlets report an actor, an event or a claim, in which
documents and how, and a coverage table of outlets × canonical actors.

A document's outlet is its source (publisher); a document without one is "(no outlet)".

Reports of the same thing across documents are matched as follows:

- an **actor** is reported where a span is linked to its canonical entity (rejected
  suggestions left out), or where an event or claim names it as a participant (agent,
  target, source, about; matched by participant key). A document with a role for it gives
  one report per role; one that only mentions it gives one "mentioned" report.
- an **event** is the same event in another document when it has the same type, its
  stretch of time (``first_day``..``last_day``, both ends included) overlaps the chosen
  event's, and it shares an agent with its agents or a target with its targets (by
  participant key). Undated or untyped events match only themselves: without a date or a
  type nothing says two reports are one event.
- a **claim** is the same claim when it shares a source with the chosen claim and an
  ``about`` with it (or neither has an ``about``). Each report carries its own stance, so
  outlets that put the same claim differently are seen side by side.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from desktop.corpus.records import ClaimItem, EventItem, Participant

NO_OUTLET = "(no outlet)"


def outlet_name(source: str | None) -> str:
    """The name an outlet is shown by: the document's source, or "(no outlet)"."""
    source = (source or "").strip()
    return source or NO_OUTLET


def _outlet_order(name: str, documents: int) -> tuple:
    return (name == NO_OUTLET, -documents, name.casefold(), name)


# --- coverage ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoverageActor:
    uuid: str
    name: str
    documents: int  # documents that mention it, across every outlet


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many documents of each outlet mention each canonical actor.

    ``outlets`` run from the outlet with the most such documents to the fewest ("(no
    outlet)" last); ``actors`` from the actor mentioned in the most documents.
    """

    outlets: tuple[str, ...]
    actors: tuple[CoverageActor, ...]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (actor uuid, outlet)
    outlet_documents: dict[str, int] = field(default_factory=dict)  # documents per outlet

    def count(self, actor_uuid: str, outlet: str) -> int:
        return self.counts.get((actor_uuid, outlet), 0)

    def outlet_total(self, outlet: str) -> int:
        """Mentions of actors in documents of the outlet (a document counts once per actor)."""
        return sum(self.count(actor.uuid, outlet) for actor in self.actors)

    @property
    def largest(self) -> int:
        return max(self.counts.values(), default=0)

    def sorted_actors(
        self, outlet: str | None = None, *, descending: bool = True
    ) -> list[CoverageActor]:
        """The actors by their documents in ``outlet`` (in all outlets when None), ties by
        name."""

        def documents(actor: CoverageActor) -> int:
            return actor.documents if outlet is None else self.count(actor.uuid, outlet)

        by_name = sorted(self.actors, key=lambda actor: (actor.name.casefold(), actor.uuid))
        return sorted(by_name, key=documents, reverse=descending)


def build_coverage(
    rows: Iterable[tuple[str, str, int]],
    names: dict[str, str],
    outlet_documents: dict[str, int] | None = None,
) -> Coverage:
    """The coverage table from (actor uuid, source, documents) rows, as
    ``Store.actor_coverage`` gives them (less the name); ``names`` maps actor uuids to names (rows of
    actors it does not name are left out)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    by_outlet: dict[str, int] = defaultdict(int)
    for uuid, source, documents in rows:
        if uuid not in names or documents <= 0:
            continue
        outlet = outlet_name(source)
        counts[(uuid, outlet)] += documents  # "" and None are one outlet
        totals[uuid] += documents
        by_outlet[outlet] += documents
    outlets = tuple(sorted(by_outlet, key=lambda name: _outlet_order(name, by_outlet[name])))
    actors = tuple(
        sorted(
            (CoverageActor(uuid, names[uuid], totals[uuid]) for uuid in totals),
            key=lambda actor: (-actor.documents, actor.name.casefold(), actor.uuid),
        )
    )
    per_outlet: dict[str, int] = defaultdict(int)
    for source, documents in (outlet_documents or {}).items():
        per_outlet[outlet_name(source)] += documents
    return Coverage(outlets, actors, dict(counts), dict(per_outlet))


def coverage(store, label: str = "Actor") -> Coverage:
    """The coverage table of the project's canonical actors (entities of ``label``)."""
    rows = store.actor_coverage(label)
    names = {uuid: name for uuid, name, _source, _documents in rows}
    return build_coverage(
        ((uuid, source, documents) for uuid, _name, source, documents in rows),
        names,
        store.outlet_documents(),
    )


# --- reports -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    """One document's report of the chosen thing: how (``role``: mentioned, agent, target,
    source, about, event or claim), with which ``stance`` (a claim's), and the span that is
    its evidence."""

    outlet: str
    document_id: int
    document_title: str
    published: str | None
    role: str
    stance: str | None
    detail: str  # what the record says, in a line: an event's type and date, a claim's text
    span_uuid: str
    start: int
    end: int
    annotator: str


@dataclass(frozen=True, slots=True)
class OutletReports:
    outlet: str
    reports: tuple[Report, ...]

    @property
    def documents(self) -> int:
        return len({report.document_id for report in self.reports})


def _grouped(reports: Iterable[Report], outlet: str | None = None) -> list[OutletReports]:
    """Reports by outlet (the outlet with most documents first), each outlet's by date,
    document and position; only ``outlet``'s when given."""
    groups: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        if outlet is None or report.outlet == outlet:
            groups[report.outlet].append(report)
    result = [
        OutletReports(
            name,
            tuple(
                sorted(
                    items,
                    key=lambda r: (r.published or "", r.document_id, r.start, r.role, r.span_uuid),
                )
            ),
        )
        for name, items in groups.items()
    ]
    result.sort(key=lambda group: _outlet_order(group.outlet, group.documents))
    return result


def names_of(participants: Sequence[Participant]) -> str:
    return ", ".join(participant.name for participant in participants) or "—"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def describe_event(event: EventItem) -> str:
    """An event in a line: its type, date, agents → targets (when it names any), and its
    words."""
    parts = [event.type or "(no type)", event.date or "undated"]
    if event.agents or event.targets:
        parts.append(f"{names_of(event.agents)} → {names_of(event.targets)}")
    return f"{' · '.join(parts)}: “{_one_line(event.text)}”"


def describe_claim(claim: ClaimItem) -> str:
    """A claim in a line: its source, what it is about, its stance, and its words."""
    about = f" on {names_of(claim.about)}" if claim.about else ""
    stance = f" ({claim.stance})" if claim.stance else ""
    return f"{names_of(claim.sources)}{about}{stance}: “{_one_line(claim.text)}”"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _event_report(event: EventItem, role: str) -> Report:
    return Report(
        outlet_name(event.outlet),
        event.document_id,
        event.document_title,
        event.published,
        role,
        None,
        describe_event(event),
        event.span_uuid,
        event.start,
        event.end,
        event.annotator,
    )


def _claim_report(claim: ClaimItem, role: str) -> Report:
    return Report(
        outlet_name(claim.outlet),
        claim.document_id,
        claim.document_title,
        claim.published,
        role,
        claim.stance,
        describe_claim(claim),
        claim.span_uuid,
        claim.start,
        claim.end,
        claim.annotator,
    )


def reports_of_actor(
    key: str,
    events: Iterable[EventItem] = (),
    claims: Iterable[ClaimItem] = (),
    mentions: Iterable = (),
    *,
    outlet: str | None = None,
) -> list[OutletReports]:
    """Where an actor is reported, by outlet: its roles in events and claims (``key`` is its
    participant key: the entity's uuid for a canonical actor) and, for documents where it
    has no role, its mentions (``Store.actor_outlet_mentions``), one report per document.
    Only ``outlet``'s reports when given (a name as :func:`outlet_name` gives it)."""
    reports: list[Report] = []
    with_role: set[int] = set()
    for event in events:
        for role, participants in (("agent", event.agents), ("target", event.targets)):
            if any(participant.key == key for participant in participants):
                reports.append(_event_report(event, role))
                with_role.add(event.document_id)
    for claim in claims:
        for role, participants in (("source", claim.sources), ("about", claim.about)):
            if any(participant.key == key for participant in participants):
                reports.append(_claim_report(claim, role))
                with_role.add(claim.document_id)
    by_document: dict[int, list] = defaultdict(list)
    for mention in mentions:
        by_document[mention.document_id].append(mention)
    for document_id, found in by_document.items():
        if document_id in with_role:
            continue
        first = found[0]
        words = f"“{_one_line(first.text)}”"
        more = len(found) - 1
        detail = f"{words} and {plural(more, 'more mention')}" if more else words
        reports.append(
            Report(
                outlet_name(first.outlet),
                document_id,
                first.document_title,
                first.published,
                "mentioned",
                None,
                detail,
                first.span_uuid,
                first.start,
                first.end,
                first.annotator,
            )
        )
    return _grouped(reports, outlet)


@dataclass(frozen=True, slots=True)
class RecordIndex:
    """Events and claims looked up by what the reports match on, built once when the records
    are read: a participant's records (for an actor's reports) and the events of a type
    (for an event's), so that a choice reads a few records, not all of them."""

    events_of: dict[str, list[EventItem]]
    claims_of: dict[str, list[ClaimItem]]
    events_by_type: dict[str | None, list[EventItem]]

    @classmethod
    def of(cls, events: Iterable[EventItem], claims: Iterable[ClaimItem]) -> RecordIndex:
        events_of: dict[str, list[EventItem]] = defaultdict(list)
        claims_of: dict[str, list[ClaimItem]] = defaultdict(list)
        by_type: dict[str | None, list[EventItem]] = defaultdict(list)
        for event in events:
            by_type[event.type].append(event)
            for key in {p.key for p in (*event.agents, *event.targets)}:
                events_of[key].append(event)
        for claim in claims:
            for key in {p.key for p in (*claim.sources, *claim.about)}:
                claims_of[key].append(claim)
        return cls(dict(events_of), dict(claims_of), dict(by_type))

    def actor(self, key: str, mentions: Iterable = (), *, outlet: str | None = None):
        """:func:`reports_of_actor` over the records that name ``key``."""
        return reports_of_actor(
            key, self.events_of.get(key, ()), self.claims_of.get(key, ()), mentions, outlet=outlet
        )

    def event(self, chosen: EventItem, *, outlet: str | None = None) -> list[OutletReports]:
        """:func:`reports_of_event` over the events of the chosen one's type."""
        candidates = self.events_by_type.get(chosen.type, ()) if chosen.type else (chosen,)
        return reports_of_event(chosen, candidates, outlet=outlet)


def _keys(participants: Sequence[Participant]) -> set[str]:
    return {participant.key for participant in participants}


def same_event(chosen: EventItem, other: EventItem) -> bool:
    """Whether ``other`` reports the event ``chosen`` is (see the module docstring)."""
    if other.span_uuid == chosen.span_uuid:
        return True
    if chosen.type is None or other.type != chosen.type:
        return False
    if None in (chosen.first_day, chosen.last_day, other.first_day, other.last_day):
        return False
    if other.last_day < chosen.first_day or chosen.last_day < other.first_day:
        return False
    return bool(
        _keys(chosen.agents) & _keys(other.agents) or _keys(chosen.targets) & _keys(other.targets)
    )


def same_claim(chosen: ClaimItem, other: ClaimItem) -> bool:
    """Whether ``other`` reports the claim ``chosen`` is (see the module docstring)."""
    if other.span_uuid == chosen.span_uuid:
        return True
    if not _keys(chosen.sources) & _keys(other.sources):
        return False
    if not chosen.about and not other.about:
        return True
    return bool(_keys(chosen.about) & _keys(other.about))


def reports_of_event(
    chosen: EventItem, events: Iterable[EventItem], *, outlet: str | None = None
) -> list[OutletReports]:
    """The outlets that report the event ``chosen`` is, with the documents and spans."""
    return _grouped(
        (_event_report(event, "event") for event in events if same_event(chosen, event)), outlet
    )


def reports_of_claim(
    chosen: ClaimItem, claims: Iterable[ClaimItem], *, outlet: str | None = None
) -> list[OutletReports]:
    """The outlets that report the claim ``chosen`` is, each report with its own stance."""
    return _grouped(
        (_claim_report(claim, "claim") for claim in claims if same_claim(chosen, claim)), outlet
    )


# --- choosing ----------------------------------------------------------------------------------


def fold_for_filter(text: str) -> str:
    """Text as the chooser's filter compares it: case, diacritics and apostrophes aside."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(
        character
        for character in decomposed
        if not unicodedata.combining(character) and character not in "'’‘ʼʻ`´′"
    )


def matches(words: Sequence[str], folded: str) -> bool:
    """Whether every folded word of a filter is in ``folded``."""
    return all(word in folded for word in words)
