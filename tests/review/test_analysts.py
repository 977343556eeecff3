"""The two analysts' files: imported as two annotators, their agreement reported by
``dossier agreement``, and every figure checked against a computation made here from the raw
JSONL files alone (spaCy's blank English tokenizer for the tokens)."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from itertools import permutations

import pytest
import spacy
from typer.testing import CliRunner

from desktop.cli import app

runner = CliRunner()
LABELS = ("Claim", "Actor", "Event")


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def read_analysts(annotations) -> dict[str, dict[str, list[tuple[str, int, int]]]]:
    """Per text, per analyst, the (label, start, end) of their spans, straight from the files."""
    texts: dict[str, dict[str, list[tuple[str, int, int]]]] = {}
    with (annotations / "analyst_a.prodigy.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            task = json.loads(line)
            if task.get("answer", "accept") == "accept":
                spans = [(s["label"].capitalize(), s["start"], s["end"]) for s in task["spans"]]
                texts.setdefault(task["text"], {})["analyst_a"] = spans
    with (annotations / "analyst_b.doccano.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            # doccano counts UTF-16 units: with no astral character they equal code points
            assert all(ord(char) <= 0xFFFF for char in record["text"])
            spans = [(label.capitalize(), start, end) for start, end, label in record["label"]]
            texts.setdefault(record["text"], {})["analyst_b"] = spans
    return {text: found for text, found in texts.items() if len(found) == 2}


def token_labels(text: str, spans) -> list[frozenset]:
    """Per word token, the labels of the spans sharing a character with it."""
    # no combining marks or joiners here, so spaCy's tokens need no merging
    assert not any(unicodedata.category(c).startswith("M") or c == "\u200d" for c in text)
    tokens = [t for t in spacy.blank("en").tokenizer(text) if not t.is_space]
    return [
        frozenset(
            label for label, start, end in spans if start < t.idx + len(t.text) and t.idx < end
        )
        for t in tokens
    ]


def kappa(first: list, second: list) -> float:
    n = len(first)
    categories = set(first) | set(second)
    table = {(c, k): 0 for c in categories for k in categories}
    for a, b in zip(first, second, strict=True):
        table[a, b] += 1
    observed = sum(table[c, c] for c in categories) / n
    expected = sum(
        sum(table[c, k] for k in categories) * sum(table[k, c] for k in categories)
        for c in categories
    ) / (n * n)
    return (observed - expected) / (1 - expected)


def alpha(first: list, second: list) -> float:
    coincidences: Counter = Counter()
    for pair in zip(first, second, strict=True):
        for c, k in permutations(pair, 2):
            coincidences[c, k] += 1
    totals: Counter = Counter()
    for (c, _), count in coincidences.items():
        totals[c] += count
    n = sum(totals.values())
    disagree = sum(count for (c, k), count in coincidences.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    return 1 - (n - 1) * disagree / expected


def prf(reference: list, other: list, overlap: bool) -> dict[str, float]:
    def matches(span, pool):
        label, start, end = span[1:]
        if not overlap:
            return span in pool
        return any(p[0] == span[0] and p[1] == label and p[2] < end and start < p[3] for p in pool)

    if overlap:
        matched_other = sum(matches(span, reference) for span in other)
        matched_reference = sum(matches(span, other) for span in reference)
    else:
        matched_other = matched_reference = sum((Counter(reference) & Counter(other)).values())
    precision, recall = matched_other / len(other), matched_reference / len(reference)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def expected_figures(annotations) -> dict:
    documents = read_analysts(annotations)
    spans = {"analyst_a": [], "analyst_b": []}
    tokens = {"analyst_a": [], "analyst_b": []}
    for index, (text, by_analyst) in enumerate(sorted(documents.items())):
        for name, found in by_analyst.items():
            spans[name] += [(index, *span) for span in found]
            tokens[name] += token_labels(text, found)
    figures = {"documents": len(documents), "tokens": len(tokens["analyst_a"]), "per_label": {}}
    for label in (*LABELS, None):

        def keep(span, label=label):
            return label is None or span[1] == label

        a = [s for s in spans["analyst_a"] if keep(s)]
        b = [s for s in spans["analyst_b"] if keep(s)]
        if label is None:
            values_a, values_b = tokens["analyst_a"], tokens["analyst_b"]
        else:
            values_a = [label in t for t in tokens["analyst_a"]]
            values_b = [label in t for t in tokens["analyst_b"]]
        figures["per_label"][label or "overall"] = {
            "exact": prf(a, b, overlap=False),
            "overlap": prf(a, b, overlap=True),
            "kappa": kappa(values_a, values_b),
            "alpha": alpha(values_a, values_b),
        }
    return figures


@pytest.fixture
def imported(db_url, corpus):
    result = run("--db", db_url, "import", str(corpus))
    assert result.exit_code == 0, result.output
    return db_url


def test_the_analysts_agreement_matches_an_independent_computation(imported, corpus):
    result = run("--db", imported, "agreement", "--annotators", "analyst_a", "analyst_b", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected = expected_figures(corpus / "annotations")
    assert report["annotators"] == ["analyst_a", "analyst_b"]
    assert len(report["documents"]) == expected["documents"] == 2
    assert report["tokens"] == expected["tokens"]
    assert report["labels"] == list(LABELS)
    for name, want in expected["per_label"].items():
        got = report["overall"] if name == "overall" else report["per_label"][name]
        for measure in ("exact", "overlap"):
            for figure in ("precision", "recall", "f1"):
                assert got[measure][figure] == pytest.approx(want[measure][figure]), (
                    name,
                    measure,
                    figure,
                )
        assert got["kappa"] == pytest.approx(want["kappa"]), name
        assert got["alpha"] == pytest.approx(want["alpha"]), name
    # and what can be counted by eye in the two files: 37 and 27 spans, 21 identical
    exact = report["overall"]["exact"]
    assert (exact["reference"], exact["other"], exact["matched_other"]) == (37, 27, 21)
    assert report["pairs"][0]["overall"]["exact"] == exact


def test_the_table_and_the_refusals(imported):
    table = run("--db", imported, "agreement", "--annotators", "analyst_a", "analyst_b")
    assert table.exit_code == 0
    assert "on 2 document(s)" in table.stdout
    for name in (*LABELS, "overall", "kappa", "alpha"):
        assert name in table.stdout
    unknown = run("--db", imported, "agreement", "--annotators", "analyst_a", "zed")
    assert unknown.exit_code == 2
    assert unknown.stderr == (
        "dossier agreement: no annotator called 'zed' (known: analyst_a, analyst_b)\n"
    )
    alone = run("--db", imported, "agreement", "--annotators", "analyst_a")
    assert alone.exit_code == 2 and "two or more annotators" in alone.stderr


def test_one_document_only(imported):
    first = json.loads(
        run("--db", imported, "agreement", "-a", "analyst_a", "-a", "analyst_b", "--json").stdout
    )["documents"][0]
    result = run(
        "--db",
        imported,
        "agreement",
        "-a",
        "analyst_a,analyst_b",
        "--document",
        str(first),
        "--json",
    )
    report = json.loads(result.stdout)
    assert report["documents"] == [first]
    assert report["overall"]["exact"]["reference"] == 23  # analyst_a's spans on the first article
