"""How unsure a span model is about a document, to order documents for the analyst.

A span categorizer gives, for every candidate span of a document and every label, a
probability ``p`` that the span has the label. ``1 - |2p - 1|`` is 0 when the model is sure
(``p`` near 0 or 1) and 1 when it is a coin toss (``p = 0.5``). A document's uncertainty is
the mean of its TOP largest such margins: the close calls that an analyst's tags would settle.
Averaging over every candidate instead would reward short documents and drown the close
calls among the thousands of candidates the model rightly rejects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

TOP = 10


def document_uncertainty(probabilities: Any, top: int = TOP) -> float:
    """The uncertainty of one document from its (candidate, label) probabilities.

    ``probabilities`` is any array-like or iterable of floats (a NumPy array of shape
    (candidates, labels) is flattened). Returns a value in [0, 1]; 0 when there are none.
    """
    import numpy

    values = numpy.asarray(probabilities, dtype="float32").ravel()
    if values.size == 0:
        return 0.0
    margins = 1.0 - numpy.abs(2.0 * values - 1.0)
    if margins.size > top:
        margins = numpy.partition(margins, margins.size - top)[-top:]
    return float(numpy.clip(margins.mean(), 0.0, 1.0))


def rank_by_uncertainty(scores: Mapping[int, float | None]) -> list[int]:
    """Document ids, the most uncertain first (ties and unscored documents by id, unscored last)."""
    return sorted(scores, key=lambda key: (scores[key] is None, -(scores[key] or 0.0), key))


def mean_uncertainty(scores: Iterable[float]) -> float:
    """The mean of document uncertainties (0 for none), for a one-line summary."""
    values = list(scores)
    return sum(values) / len(values) if values else 0.0
