"""Installed spaCy pipelines as suggesters: loading by name or path, label mapping, and
suggestions from a pipeline's entities and span categorizers (a trained Dossier model too).

Nothing here downloads anything. A pipeline that is not installed raises
:class:`PipelineError` with a one-line message that says how to install it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.records import DocumentRecord
from desktop.nlp.spans import Analysis, Suggestion
from desktop.nlp.tokens import text_pieces
from desktop.nlp.uncertainty import document_uncertainty

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

DEFAULT_LABEL_MAP: dict[str, str | None] = {
    "PERSON": "Actor",
    "ORG": "Actor",
    "NORP": "Actor",
    "GPE": "Actor",
    "EVENT": "Event",
}
SPAN_CATEGORIZERS = ("spancat", "spancat_singlelabel")

_loaded: dict[str, Language] = {}
_lock = threading.Lock()


class PipelineError(Exception):
    """A pipeline that cannot be used; the message is one line and says what to do."""


def parse_label_map(items: Iterable[str]) -> dict[str, str | None]:
    """``["DATE=Event", "NORP="]`` as a mapping; an empty right side drops the label.

    Raises ValueError naming the bad item.
    """
    mapping: dict[str, str | None] = {}
    for item in items:
        source, equals, target = item.partition("=")
        if not equals or not source.strip():
            raise ValueError(
                f"bad label mapping {item!r}: write PIPELINE_LABEL=Label (e.g. GPE=Actor)"
            )
        mapping[source.strip()] = target.strip() or None
    return mapping


def label_map(overrides: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """The default mapping (PERSON, ORG, NORP, GPE → Actor; EVENT → Event) with ``overrides``."""
    return {**DEFAULT_LABEL_MAP, **(overrides or {})}


def looks_like_path(source: str | Path) -> bool:
    """Whether ``source`` names a folder rather than an installed package."""
    text = str(source)
    return (
        isinstance(source, Path)
        or os.sep in text
        or "/" in text
        or text.startswith((".", "~"))
        or Path(text).expanduser().exists()
    )


def _not_installed(name: str) -> PipelineError:
    return PipelineError(
        f"spaCy pipeline {name!r} is not installed: install it with "
        f"`python -m spacy download {name}` (or `pip install` its wheel), "
        f"or give the path of a pipeline folder"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def load_pipeline(source: str | Path) -> Language:
    """The spaCy pipeline installed as package ``source``, or saved in folder ``source``.

    Loaded once and kept. Raises :class:`PipelineError` with a one-line, actionable message
    when it is missing or cannot be loaded.
    """
    import spacy

    if looks_like_path(source):
        path = Path(source).expanduser().resolve()
        key = str(path)
        if not path.exists():
            raise PipelineError(f"no spaCy pipeline at {str(source)!r}: the folder does not exist")
        if not (path / "config.cfg").is_file():
            raise PipelineError(
                f"{str(source)!r} is not a spaCy pipeline folder (it has no config.cfg); "
                "give the folder that `nlp.to_disk` or `dossier train -o` wrote"
            )
    else:
        key = str(source)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        try:
            nlp = spacy.load(key)
        except OSError as exc:
            if not looks_like_path(source):
                raise _not_installed(key) from None
            raise PipelineError(
                f"spaCy pipeline {str(source)!r} could not be loaded: {_first_line(exc)}"
            ) from None
        except Exception as exc:  # version mismatches, missing extras (transformers…)
            raise PipelineError(
                f"spaCy pipeline {str(source)!r} could not be loaded: {_first_line(exc)}"
            ) from None
        nlp.max_length = 10**8
        _loaded[key] = nlp
        return nlp


def forget_pipelines() -> None:
    """Drop every loaded pipeline (after a model folder was rewritten by training)."""
    with _lock:
        _loaded.clear()


class PipelineSuggester:
    """Suggestions from a spaCy pipeline: its entities (``doc.ents`` and span rulers' spans)
    and the spans its span categorizers score above their threshold.

    Entity labels go through ``labels`` (unmapped ones are dropped: a DATE is no actor).
    Span-categorizer labels go through it too but are kept as they are when unmapped, so a
    model trained by Dossier suggests the project's own labels. Where spans of one label
    overlap, the highest-scoring one is kept. Confidence is the span's probability (None for
    entities, which spaCy does not score). The document's uncertainty comes from the span
    categorizers' probabilities (None without one).
    """

    origin = "model"

    def __init__(
        self,
        nlp: Language,
        *,
        name: str = "",
        labels: Mapping[str, str | None] | None = None,
        threshold: float | None = None,
    ):
        self.nlp = nlp
        self.name = name or nlp.meta.get("name", "pipeline")
        self.labels = label_map(labels)
        self.threshold = threshold
        self.span_components = [
            (name, component)
            for name, component in nlp.pipeline
            if nlp.get_pipe_meta(name).factory in SPAN_CATEGORIZERS
        ]
        self.ruler_keys = sorted(
            {
                component.key
                for name, component in nlp.pipeline
                if nlp.get_pipe_meta(name).factory == "span_ruler"
            }
        )

    @property
    def has_scores(self) -> bool:
        """Whether the pipeline scores spans (and so can order documents by uncertainty)."""
        return bool(self.span_components)

    def _doc(self, text: str) -> Doc:
        doc = self.nlp.make_doc(text)
        skip = {name for name, _ in self.span_components}
        for name, component in self.nlp.pipeline:
            if name not in skip:
                doc = component(doc)
        return doc

    def _entities(self, doc: Doc) -> list[Suggestion]:
        spans = list(doc.ents)
        for key in self.ruler_keys:
            spans.extend(doc.spans.get(key, ()))
        found = set()
        for span in spans:
            label = self.labels.get(span.label_)
            if label:
                found.add(Suggestion(label, span.start_char, span.end_char, "pipeline.entity"))
        return list(found)

    def _scored_spans(self, doc: Doc, component: Any) -> tuple[list[Suggestion], Any]:
        indices, scores = component.predict([doc])
        ops = component.model.ops
        bounds = ops.to_numpy(indices.dataXd)
        scores = ops.to_numpy(scores)[:, : len(component.labels)]  # single-label adds a "none"
        threshold = (
            self.threshold
            if self.threshold is not None
            else component.cfg.get("threshold") or 0.5  # single-label spancat may have None
        )
        found = []
        rows, columns = (scores >= threshold).nonzero()
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            raw = component.labels[column]
            label = self.labels.get(raw, raw)
            if not label:
                continue
            first, last = int(bounds[row][0]), int(bounds[row][1])
            span = doc[first:last]
            found.append(
                Suggestion(
                    label,
                    span.start_char,
                    span.end_char,
                    "model",
                    confidence=round(float(scores[row, column]), 4),
                )
            )
        return _best_per_label(found), scores

    def analyse(self, document: DocumentRecord) -> Analysis:
        """The pipeline's suggestions for a document, and its uncertainty about it."""
        return self.analyse_text(document.text)

    def analyse_text(self, text: str) -> Analysis:
        """The pipeline's suggestions for ``text`` (see :meth:`analyse`).

        A long text is read in pieces cut at line breaks (see ``spans.PIECE``).
        """
        found: list[Suggestion] = []
        all_scores = []
        for offset, end in text_pieces(text):
            doc = self._doc(text[offset:end])
            piece = self._entities(doc)
            for _, component in self.span_components:
                spans, scores = self._scored_spans(doc, component)
                piece.extend(spans)
                all_scores.append(scores.ravel())
            found.extend(
                replace(s, start=s.start + offset, end=s.end + offset) if offset else s
                for s in piece
            )
        uncertainty = None
        if self.span_components:
            import numpy

            uncertainty = document_uncertainty(numpy.concatenate(all_scores) if all_scores else [])
        found.sort(key=lambda s: (s.start, s.end, s.label))
        return Analysis(found, uncertainty)


def _best_per_label(found: list[Suggestion]) -> list[Suggestion]:
    """Per label, the highest-scoring spans that do not overlap one another."""
    kept: list[Suggestion] = []
    taken: dict[str, list[tuple[int, int]]] = {}
    for suggestion in sorted(found, key=lambda s: (-(s.confidence or 0.0), s.start, s.end)):
        spans = taken.setdefault(suggestion.label, [])
        if any(suggestion.start < end and start < suggestion.end for start, end in spans):
            continue
        spans.append((suggestion.start, suggestion.end))
        kept.append(suggestion)
    return kept


def pipeline_suggester(
    source: str | Path,
    *,
    labels: Mapping[str, str | None] | None = None,
    threshold: float | None = None,
) -> PipelineSuggester:
    """A suggester from the pipeline installed as ``source`` or saved in folder ``source``.

    Raises :class:`PipelineError` (one line, actionable) when it is missing, cannot be
    loaded, or can suggest nothing (no entity recognizer and no span categorizer).
    """
    nlp = load_pipeline(source)
    suggester = PipelineSuggester(nlp, name=str(source), labels=labels, threshold=threshold)
    recognizes = any(
        nlp.get_pipe_meta(name).factory in ("ner", "entity_ruler", "span_ruler", "beam_ner")
        for name in nlp.pipe_names
    )
    if not recognizes and not suggester.has_scores:
        raise PipelineError(
            f"spaCy pipeline {str(source)!r} has no entity recognizer or span categorizer "
            f"(its components: {', '.join(nlp.pipe_names) or 'none'}), so it cannot suggest spans"
        )
    return suggester
