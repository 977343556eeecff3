"""Suggestions for an analyst: computing them for documents and writing them to the store.

A suggestion is written as a span with status ``suggested``, origin ``rules`` or ``model``,
attributed to the analyst who asked for it, so that accepting it only flips its status
(``store.set_span_status``) and it becomes the analyst's span. Nothing is suggested that the
analyst already has: a span with the same label and offsets in any status (a rejected
suggestion stays rejected), or one of the same label overlapping an accepted span.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from db.records import NewSpan, SpanRecord
from desktop.nlp.spans import Analysis, Suggester, Suggestion
from desktop.progress import Cancelled, Progress, no_progress

if TYPE_CHECKING:  # pragma: no cover
    from db.store import Store

RULES = "rules"


@dataclass(slots=True)
class SuggestSummary:
    """What :func:`suggest` changed, for the window to redraw and the command to report.

    ``changed`` lists the documents whose spans changed; ``uncertainty`` holds the model's
    uncertainty per document (empty for the rules). When ``cancelled``, the documents in
    ``done`` were finished and written; no other document was touched.
    """

    source: str
    origin: str
    annotator: str
    requested: int = 0
    done: list[int] = field(default_factory=list)
    added: int = 0
    skipped: int = 0  # found but already there, rejected before, or inside the analyst's spans
    removed: int = 0  # stale pending suggestions of the same origin, replaced
    per_label: dict[str, int] = field(default_factory=dict)
    changed: list[int] = field(default_factory=list)
    uncertainty: dict[int, float] = field(default_factory=dict)
    cancelled: bool = False


def make_suggester(
    store: Store,
    source: str | Path = RULES,
    *,
    labels: Mapping[str, str | None] | None = None,
    threshold: float | None = None,
) -> Suggester:
    """The rules (``source="rules"``, with the actors and entities known in ``store``) or
    the spaCy pipeline installed as / saved at ``source``, with ``labels`` mapping its labels.

    Loading a pipeline takes seconds: call this in a worker thread. Raises
    :class:`~desktop.nlp.pipelines.PipelineError` (a one-line message) when the pipeline is
    missing or unusable.
    """
    if str(source) == RULES:
        from desktop.nlp.rules import rules_for

        return rules_for(store)
    from desktop.nlp.pipelines import pipeline_suggester

    return pipeline_suggester(source, labels=labels, threshold=threshold)


def keep_new(
    suggestions: Iterable[Suggestion], existing: Iterable[SpanRecord]
) -> tuple[list[Suggestion], int]:
    """The suggestions the analyst does not already have, and how many were dropped.

    ``existing`` are the analyst's own spans on the document. Dropped: the same label and
    offsets as any of them (whatever its status), or the same label overlapping an accepted
    one. Duplicates among the suggestions count once.
    """
    taken = {(span.label.lower(), span.start, span.end) for span in existing}
    accepted: dict[str, list[tuple[int, int]]] = {}
    for span in existing:
        if span.status == "accepted":
            accepted.setdefault(span.label.lower(), []).append((span.start, span.end))
    kept, dropped = [], 0
    for suggestion in suggestions:
        label = suggestion.label.lower()
        key = (label, suggestion.start, suggestion.end)
        overlaps = any(
            suggestion.start < end and start < suggestion.end
            for start, end in accepted.get(label, ())
        )
        if key in taken or overlaps:
            dropped += 1
            continue
        taken.add(key)
        kept.append(suggestion)
    return kept, dropped


def suggest_document(
    store: Store, document_id: int, annotator: str, suggester: Suggester
) -> Analysis:
    """What ``suggester`` would suggest to ``annotator`` on one document, without writing.

    The suggestions already exclude what the analyst has (see :func:`keep_new`); pending
    suggestions already written are excluded too.
    """
    document = store.document(document_id)
    analysis = suggester.analyse(document)
    ids = [record.id for record in store.annotators() if record.name == annotator]
    existing = store.spans(document_id, annotator_ids=ids) if ids else []
    kept, _ = keep_new(analysis.suggestions, existing)
    return Analysis(kept, analysis.uncertainty)


def _new_span(suggestion: Suggestion, annotator: str, origin: str) -> NewSpan:
    return NewSpan(
        label=suggestion.label,
        start=suggestion.start,
        end=suggestion.end,
        annotator=annotator,
        status="suggested",
        origin=origin,
        confidence=suggestion.confidence,
        attributes=dict(suggestion.attributes),
        entity_uuid=suggestion.entity_uuid,
    )


def suggest(
    store: Store,
    document_ids: Sequence[int] | None,
    annotator: str,
    *,
    source: str | Path = RULES,
    suggester: Suggester | None = None,
    labels: Mapping[str, str | None] | None = None,
    replace: bool = True,
    progress: Progress | None = None,
) -> SuggestSummary:
    """Compute suggestions for ``annotator`` on documents (all when None) and write them.

    ``source`` is ``"rules"`` or a spaCy pipeline name or path (see :func:`make_suggester`);
    pass a ready ``suggester`` to reuse one. With ``replace``, pending suggestions of the
    same origin that the new run no longer finds are removed (accepted and rejected ones
    are never touched). Each document is computed, then written in its own transactions;
    ``progress`` gets ``("loading", 0, 1)`` and ``("suggesting", done, total)`` and is called
    between documents only, so raising :class:`Cancelled` from it stops the run with every
    finished document written and the unfinished one untouched: the summary then says
    ``cancelled``. Blocking: the window calls it from a worker thread.
    """
    progress = progress or no_progress
    ids = list(document_ids) if document_ids is not None else store.document_ids()
    summary = SuggestSummary(
        source=str(source), origin="rules", annotator=annotator, requested=len(ids)
    )
    try:
        if suggester is None:
            progress("loading", 0, 1)
            suggester = make_suggester(store, source, labels=labels)
            progress("loading", 1, 1)
        summary.source, summary.origin = suggester.name, suggester.origin
        annotator_id = store.ensure_annotator(annotator).id
        for index, document_id in enumerate(ids):
            progress("suggesting", index, len(ids))
            _suggest_one(store, document_id, annotator, annotator_id, suggester, replace, summary)
        progress("suggesting", len(ids), len(ids))
    except Cancelled:
        summary.cancelled = True
    return summary


def _suggest_one(
    store: Store,
    document_id: int,
    annotator: str,
    annotator_id: int,
    suggester: Suggester,
    replace: bool,
    summary: SuggestSummary,
) -> None:
    document = store.document(document_id)
    analysis = suggester.analyse(document)
    existing = store.spans(document_id, annotator_ids=[annotator_id])
    kept, dropped = keep_new(analysis.suggestions, existing)
    found = {(s.label.lower(), s.start, s.end) for s in analysis.suggestions}
    stale = [
        span.uuid
        for span in existing
        if replace
        and span.status == "suggested"
        and span.origin == suggester.origin
        and (span.label.lower(), span.start, span.end) not in found
    ]
    added = store.add_spans(document_id, [_new_span(s, annotator, suggester.origin) for s in kept])
    removed = store.discard_suggestions(stale) if stale else 0
    summary.done.append(document_id)
    summary.added += len(added)
    summary.skipped += dropped + len(kept) - len(added)
    summary.removed += removed
    for span in added:
        summary.per_label[span.label] = summary.per_label.get(span.label, 0) + 1
    if added or removed:
        summary.changed.append(document_id)
    if analysis.uncertainty is not None:
        summary.uncertainty[document_id] = analysis.uncertainty
