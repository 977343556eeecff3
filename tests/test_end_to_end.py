"""The seed corpus and both analysts' files, through the command line, as a user would.

Expected spans are computed here from the raw files (Prodigy code points; doccano UTF-16
units converted in this test), not taken from Dossier.
"""

from __future__ import annotations

import json
from collections import Counter

from typer.testing import CliRunner

from desktop.cli import app

runner = CliRunner()


def expected_spans(annotations):
    """{text: {(annotator, label, start, end, covered)}} straight from the analysts' files."""
    spans: dict[str, set] = {}
    with open(annotations / "analyst_a.prodigy.jsonl", encoding="utf-8") as handle:
        for line in handle:
            task = json.loads(line)
            text = task["text"]
            for span in task["spans"]:
                spans.setdefault(text, set()).add(
                    (
                        task["_annotator_id"],
                        span["label"].title(),
                        span["start"],
                        span["end"],
                        text[span["start"] : span["end"]],
                    )
                )
    with open(annotations / "analyst_b.doccano.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            text = record["text"]
            units = text.encode("utf-16-le")
            for start16, end16, label in record["label"]:
                start = len(units[: start16 * 2].decode("utf-16-le"))
                end = len(units[: end16 * 2].decode("utf-16-le"))
                spans.setdefault(text, set()).add(
                    ("analyst_b", label.title(), start, end, text[start:end])
                )
    return spans


def test_both_analysts_land_on_the_same_two_documents(tmp_path, corpus):
    db = str(tmp_path / "project.db")
    result = runner.invoke(app, ["--db", db, "import", str(corpus)])
    assert result.exit_code == 0, result.stderr

    want = expected_spans(corpus / "annotations")
    stats = json.loads(runner.invoke(app, ["--db", db, "stats", "--json"]).stdout)
    assert stats["documents"] == len(list(corpus.glob("*.txt")))
    assert stats["documents_annotated"] == 2
    per_annotator = Counter(annotator for spans in want.values() for annotator, *_ in spans)
    assert stats["per_annotator"] == dict(per_annotator)
    per_label = Counter(label for spans in want.values() for _, label, *_ in spans)
    assert {k: v for k, v in stats["per_label"].items() if v} == dict(per_label)

    out = tmp_path / "all.jsonl"
    assert runner.invoke(app, ["--db", db, "export", "-f", "jsonl", "-o", str(out)]).exit_code == 0
    documents = [
        r
        for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())
        if r["type"] == "document"
    ]
    annotated = [d for d in documents if d["spans"]]
    assert len(annotated) == 2
    corpus_texts = {path.read_text(encoding="utf-8") for path in corpus.glob("*.txt")}
    for document in annotated:
        assert document["text"] in corpus_texts
        got = {
            (s["annotator"], s["label"], s["start"], s["end"], s["text"]) for s in document["spans"]
        }
        assert got == want[document["text"]]
        assert {s["annotator"] for s in document["spans"]} == {"analyst_a", "analyst_b"}
        for span in document["spans"]:
            assert document["text"][span["start"] : span["end"]] == span["text"]
