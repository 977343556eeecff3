"""What every suggester hands back: proposed spans, before anything is written.

The rules, a trained Dossier model and an installed spaCy pipeline all produce
:class:`Suggestion` records for one document; :mod:`desktop.nlp.suggest` filters them against
the analyst's own spans and writes them as spans with status ``suggested``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from db.records import DocumentRecord

# Characters of a long text handled at a time. spaCy holds Python's lock for a whole call,
# so a 1 MB article in one call would freeze the window; and a span model's candidates grow
# with the text. No suggester looks across a line break, so pieces end at one.


@dataclass(slots=True, unsafe_hash=True)
class Suggestion:
    """A proposed span ``text[start:end]`` (code points, end exclusive) with its label.

    ``rule`` names what proposed it (``"claim.quotation"``, ``"actor.propagation"``,
    ``"model"``…) so that a view can explain it; it is not written to the database.
    Treat it as immutable (it is not frozen only because frozen dataclasses are four times
    slower to make, and the rules make hundreds per article).
    """

    label: str
    start: int
    end: int
    rule: str
    attributes: dict[str, Any] = field(default_factory=dict, compare=False)
    confidence: float | None = None
    entity_uuid: str | None = None

    @property
    def key(self) -> tuple[str, int, int]:
        """What makes two suggestions the same span: label and offsets."""
        return (self.label, self.start, self.end)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What a suggester found in one document.

    ``uncertainty`` is the model's uncertainty about the document (0 = sure, 1 = coin toss;
    see :func:`desktop.nlp.train.document_uncertainty`), None for suggesters without scores.
    """

    suggestions: list[Suggestion]
    uncertainty: float | None = None


class Suggester(Protocol):
    """Anything that proposes spans for a document: rules, a trained model, a pipeline.

    ``origin`` is the span origin written to the database (``"rules"`` or ``"model"``);
    ``name`` says which rules or model, for messages. ``analyse`` must be safe to call from
    a worker thread and must not write anything.
    """

    origin: str
    name: str

    def analyse(self, document: DocumentRecord) -> Analysis: ...


def drop_nested(suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    """Suggestions without those lying wholly inside another of the same label.

    Returned in text order. Equal spans count once (the first wins).
    """
    ordered = sorted(suggestions, key=lambda s: (s.start, -s.end))
    kept: list[Suggestion] = []
    reach: dict[str, int] = {}  # per label, the furthest end of the spans kept so far
    for suggestion in ordered:
        if reach.get(suggestion.label, -1) >= suggestion.end:
            continue
        kept.append(suggestion)
        reach[suggestion.label] = max(reach.get(suggestion.label, -1), suggestion.end)
    return kept


def longest_first(suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    """Suggestions that do not overlap one another, longer ones preferred, in text order."""
    ordered = sorted(suggestions, key=lambda s: (s.start - s.end, s.start))
    if not ordered:
        return []
    occupied = bytearray(max(s.end for s in ordered))
    taken: list[Suggestion] = []
    for suggestion in ordered:
        if occupied.find(1, suggestion.start, suggestion.end) != -1:
            continue
        occupied[suggestion.start : suggestion.end] = b"\x01" * (suggestion.end - suggestion.start)
        taken.append(suggestion)
    taken.sort(key=lambda s: (s.start, s.end))
    return taken
