"""What every format shares on export: the registry a dialog reads, suggestions that never
leave as labels, files that appear only when complete, and bad input refused with exit 2."""

from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from db.records import ExportFilter
from db.store import Store
from desktop.cli import app
from desktop.formats import (
    FORMATS,
    OVERLAP_RULES,
    Cancelled,
    ExportOptions,
    export_formats,
    export_project,
    import_formats,
)
from tests.formats.project import TEXT_A, TEXT_B, TEXT_C, build_rich, read_jsonl, snapshot

LABEL_FORMATS = ("prodigy", "doccano", "spacy", "conll", "brat", "xmi", "labelstudio")


def output_for(tmp_path, name, options=None):
    info = FORMATS[name]
    return tmp_path / (f"{name}-out" + ("" if info.writes_folder(options) else info.extension))


def test_the_registry_tells_a_dialog_what_it_needs(rich, tmp_path):
    assert export_formats() == [
        "jsonl",
        "prodigy",
        "doccano",
        "spacy",
        "conll",
        "brat",
        "xmi",
        "labelstudio",
        "csv",
        "events",
        "claims",
        "graphml",
    ]
    assert import_formats() == [
        "jsonl",
        "text",
        "prodigy",
        "doccano",
        "brat",
        "xmi",
        "labelstudio",
    ]
    assert FORMATS["brat"].writes_folder() and not FORMATS["spacy"].writes_folder()
    assert FORMATS["spacy"].writes_folder(ExportOptions(split=0.2))
    assert [o.name for o in FORMATS["spacy"].options] == ["split", "seed", "overlap"]
    assert [value for value, _ in FORMATS["conll"].options[0].choices] == list(OVERLAP_RULES)
    assert "label" not in FORMATS["events"].filters
    for name in export_formats():
        out = output_for(tmp_path, name)
        report = export_project(rich.store, name, out, ExportOptions())
        assert report.path == out and out.exists()
        assert out.is_dir() == FORMATS[name].writes_folder()
        check_rich_content(name, out, rich)


# The rich project's accepted spans (tests/formats/project.py), offsets counted by hand in
# code points: TEXT_A is 👍 🏽 (0, 1), a space, "Kataib Hezbollah" 3-19, " said " ...
RICH_SPANS = {
    (TEXT_A, "Actor", 3, 19, "analyst_a"),  # Kataib Hezbollah
    (TEXT_A, "Event", 25, 62, "analyst_a"),  # the US strike in Baghdad on Wednesday
    (TEXT_A, "Claim", 25, 83, "analyst_a"),  # ... killed its commander
    (TEXT_A, "Actor", 29, 31, "analyst_a"),  # US
    (TEXT_A, "Place", 42, 49, "analyst_a"),  # Baghdad
    (TEXT_A, "Armed group", 110, 124, "analyst_a"),  # كتائب حزب الله
    (TEXT_A, "Actor", 3, 19, "analyst_b"),
    (TEXT_A, "Claim", 25, 83, "analyst_b"),
    (TEXT_A, "Event", 29, 38, "analyst_b"),  # US strike
    (TEXT_A, "Actor", 3, 19, "gold"),
    (TEXT_B, "Actor", 16, 33, "analyst_a"),  # Iraq's government
}
RICH_COVERED = {
    (3, 19): "Kataib Hezbollah",
    (25, 62): "the US strike in Baghdad on Wednesday",
    (25, 83): "the US strike in Baghdad on Wednesday killed its commander",
    (29, 31): "US",
    (42, 49): "Baghdad",
    (110, 124): "كتائب حزب الله",
    (29, 38): "US strike",
}
# CoNLL keeps the longest of overlapping spans; one section per document and annotator.
RICH_CONLL_SECTIONS = sorted(
    sorted(section)
    for section in [
        [(TEXT_A, "Actor", 3, 19), (TEXT_A, "Claim", 25, 83), (TEXT_A, "Armed_group", 110, 124)],
        [(TEXT_A, "Actor", 3, 19), (TEXT_A, "Claim", 25, 83)],
        [(TEXT_A, "Actor", 3, 19)],
        [(TEXT_B, "Actor", 16, 33)],
        [],  # TEXT_B, analyst_b: done, nothing tagged
    ]
)


def test_the_hand_counted_rich_offsets_are_right():
    for (start, end), covered in RICH_COVERED.items():
        assert TEXT_A[start:end] == covered
    assert TEXT_B[16:33] == "Iraq's government"


def code_point(text: str, unit: int) -> int:
    """A UTF-16 offset in code points, counted here unit by unit."""
    units = 0
    for index, char in enumerate(text):
        if units == unit:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    assert units == unit, f"{unit} is not a character boundary"
    return len(text)


def spans_written(name: str, out) -> set[tuple[str, str, int, int, str | None]]:
    """(text, label, start, end in code points, annotator) of every label a file holds,
    read with the standard library (and spaCy for .spacy)."""
    import xml.etree.ElementTree as ET

    found: set[tuple[str, str, int, int, str | None]] = set()
    if name == "jsonl":
        for record in read_jsonl(out):
            if record["type"] == "document":
                for span in record["spans"]:
                    if span["status"] == "accepted":
                        assert record["text"][span["start"] : span["end"]] == span["text"]
                        found.add(
                            (
                                record["text"],
                                span["label"],
                                span["start"],
                                span["end"],
                                span["annotator"],
                            )
                        )
    elif name == "prodigy":
        for task in read_jsonl(out):
            for span in task["spans"]:
                found.add(
                    (task["text"], span["label"], span["start"], span["end"], task["_annotator_id"])
                )
    elif name == "doccano":
        for record in read_jsonl(out):
            text = record["text"]
            items = [
                (e["start_offset"], e["end_offset"], e["label"]) for e in record.get("entities", [])
            ] + [tuple(i) for i in record.get("label", [])]
            for start, end, label in items:
                found.add(
                    (
                        text,
                        label,
                        code_point(text, start),
                        code_point(text, end),
                        record["annotator"],
                    )
                )
    elif name == "labelstudio":
        for task in json.loads(out.read_text(encoding="utf-8")):
            text = task["data"]["text"]
            for annotation in task["annotations"]:
                annotator = task["meta"]["annotators"][str(annotation["id"])]
                for region in annotation["result"]:
                    if region["type"] == "labels":
                        value = region["value"]
                        [label] = value["labels"]
                        found.add((text, label, value["start"], value["end"], annotator))
    elif name == "brat":
        for ann in out.rglob("*.ann"):
            text = ann.with_suffix(".txt").read_bytes().decode("utf-8")
            annotator = None if ann.parent == out else ann.parent.name
            for line in ann.read_text(encoding="utf-8").split("\n"):
                if line.startswith("T"):
                    label, offsets = line.split("\t")[1].split(" ", 1)
                    numbers = offsets.replace(";", " ").split()
                    found.add(
                        (
                            text,
                            label.replace("_", " "),
                            int(numbers[0]),
                            int(numbers[-1]),
                            annotator,
                        )
                    )
    elif name == "xmi":
        for xmi in out.rglob("*.xmi"):
            root = ET.parse(xmi).getroot()
            text = next(e for e in root if e.tag.endswith("}Sofa")).get("sofaString")
            annotator = None if xmi.parent == out else xmi.parent.name
            for span in root.iter("{http:///webanno/custom.ecore}DossierSpan"):
                begin, end = int(span.get("begin")), int(span.get("end"))  # UTF-16
                found.add(
                    (
                        text,
                        span.get("label"),
                        code_point(text, begin),
                        code_point(text, end),
                        annotator,
                    )
                )
    elif name == "spacy":
        from spacy.tokens import DocBin
        from spacy.vocab import Vocab

        for doc in DocBin(store_user_data=True).from_disk(out).get_docs(Vocab()):
            annotator = doc.user_data["dossier_annotator"]
            for span in doc.spans["sc"]:
                found.add((doc.text, span.label_, span.start_char, span.end_char, annotator))
    else:
        raise AssertionError(name)
    return found


def conll_sections(out, texts) -> list[list[tuple[str, str, int, int]]]:
    """Per -DOCSTART- section, its tagged runs as (text, label, start, end): the section's
    tokens are found one after another in whichever of ``texts`` holds them all."""
    sections: list[list[tuple[str, str]]] = []
    for line in out.read_text(encoding="utf-8").split("\n"):
        if line.startswith("-DOCSTART-"):
            sections.append([])
        elif line:
            token, tag = line.split("\t")
            sections[-1].append((token, tag))
    result = []
    for tokens in sections:
        for text in texts:
            position, runs, ok = 0, [], True
            for token, tag in tokens:
                start = text.find(token, position)
                if start < 0:
                    ok = False
                    break
                position = start + len(token)
                if tag.startswith("B-"):
                    runs.append([text, tag[2:], start, position])
                elif tag.startswith("I-"):
                    assert runs and runs[-1][1] == tag[2:]
                    runs[-1][3] = position
            if ok:
                result.append(sorted(tuple(run) for run in runs))
                break
        else:
            raise AssertionError(f"a section whose tokens are in no document: {tokens[:5]}")
    return sorted(result)


def check_rich_content(name: str, out, rich) -> None:
    """What each format wrote for the rich project, read back here and compared with what
    build_rich put in (formats that cannot carry a span or an annotator say so below)."""
    import csv
    import xml.etree.ElementTree as ET

    texts = {TEXT_A, TEXT_B, TEXT_C}
    if name in ("jsonl", "prodigy", "doccano", "labelstudio", "brat", "xmi", "spacy"):
        assert spans_written(name, out) == RICH_SPANS, name
    if name == "jsonl":
        documents = [r for r in read_jsonl(out) if r["type"] == "document"]
        assert sorted((d["text"], d["title"]) for d in documents) == sorted(
            [(TEXT_A, "Strike on Baghdad"), (TEXT_B, "Second article"), (TEXT_C, "=Untouched")]
        )
    elif name == "doccano":
        assert {r["text"] for r in read_jsonl(out)} == texts  # TEXT_C: ready to annotate
    elif name == "labelstudio":
        assert {t["data"]["text"] for t in json.loads(out.read_text(encoding="utf-8"))} == texts
    elif name == "conll":
        assert conll_sections(out, [TEXT_A, TEXT_B, TEXT_C]) == RICH_CONLL_SECTIONS
    elif name == "csv":
        with out.open(encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.DictReader(stream))
        by_title = {"Strike on Baghdad": TEXT_A, "Second article": TEXT_B}
        accepted = {
            (by_title[r["document"]], r["label"], int(r["start"]), int(r["end"]), r["annotator"])
            for r in rows
            if r["status"] == "accepted"
        }
        assert accepted == RICH_SPANS
        for row in rows:
            text = by_title[row["document"]]
            assert text[int(row["start"]) : int(row["end"])] == row["text"]
        event = next(r for r in rows if r["uuid"] == rich.event.uuid)
        assert event["note"] == '\'=HYPERLINK("x")\nsecond line'  # a formula made text
        assert json.loads(event["attributes"]) == {
            "type": "airstrike",
            "date": "2024-02-07",
            "retaliation": True,
        }
    elif name == "events":
        with out.open(encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert sorted(
            (
                r["event"],
                r["date"],
                r["type"],
                r["agents"],
                r["location"],
                r["evidence"],
                r["document"],
                r["outlet"],
                r["annotator"],
            )
            for r in rows
        ) == sorted(
            [
                (
                    rich.event.uuid,
                    "2024-02-07",
                    "airstrike",
                    "US",
                    "Baghdad",
                    "the US strike in Baghdad on Wednesday",
                    "Strike on Baghdad",
                    "Reuters",
                    "analyst_a",
                ),
                (
                    next(s.uuid for s in rich.store.spans(rich.doc_a) if s.text == "US strike"),
                    "",
                    "",
                    "",
                    "",
                    "US strike",
                    "Strike on Baghdad",
                    "Reuters",
                    "analyst_b",
                ),
            ]
        )
    elif name == "claims":
        with out.open(encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.DictReader(stream))
        claim = "the US strike in Baghdad on Wednesday killed its commander"
        assert sorted(
            (r["text"], r["source"], r["stance"], r["document"], r["annotator"]) for r in rows
        ) == [
            (claim, "", "", "Strike on Baghdad", "analyst_b"),
            (claim, "Kataib Hezbollah", "critical", "Strike on Baghdad", "analyst_a"),
        ]
        assert rich.claim.uuid in {r["claim"] for r in rows}
    elif name == "graphml":
        ns = "{http://graphml.graphdrawing.org/xmlns}"
        root = ET.parse(out).getroot()
        keys = {k.get("id"): k.get("attr.name") for k in root.iter(f"{ns}key")}

        def data(element):
            return {keys[d.get("key")]: d.text for d in element.iter(f"{ns}data")}

        nodes = {n.get("id"): data(n) for n in root.iter(f"{ns}node")}
        assert sorted((n["kind"], n["label"]) for n in nodes.values()) == sorted(
            [
                ("actor", "Kataib Hezbollah"),  # the canonical entity: analyst_a and gold
                ("actor", "Kataib Hezbollah"),  # analyst_b's, linked to no entity
                ("actor", "US"),
                ("actor", "Iraq's government"),
                ("event", "the US strike in Baghdad on Wednesday"),
                ("event", "US strike"),
                ("claim", "the US strike in Baghdad on Wednesday killed its commander"),
                ("claim", "the US strike in Baghdad on Wednesday killed its commander"),
            ]
        )
        assert nodes[rich.entity.uuid]["mentions"] == "2"
        edges = {
            (nodes[e.get("source")]["label"], nodes[e.get("target")]["label"], data(e)["kind"])
            for e in root.iter(f"{ns}edge")
        }
        assert edges == {
            (
                "Kataib Hezbollah",
                "the US strike in Baghdad on Wednesday killed its commander",
                "claim",
            ),
            ("US", "the US strike in Baghdad on Wednesday", "event"),
        }


def labelled(name: str, out) -> set[tuple[str, int, int]]:
    """(text, start, end) in code points of every span a label format wrote, read back here."""
    from tests.formats.project import utf16

    def code_points(text, unit):
        return next(i for i in range(len(text) + 1) if utf16(text, i) == unit)

    found = set()
    if name == "prodigy":
        for task in read_jsonl(out):
            found |= {(task["text"], s["start"], s["end"]) for s in task["spans"]}
    elif name == "doccano":
        for record in read_jsonl(out):
            text = record["text"]
            for item in record.get("label", []):
                found.add((text, code_points(text, item[0]), code_points(text, item[1])))
            for entity in record.get("entities", []):
                found.add(
                    (
                        text,
                        code_points(text, entity["start_offset"]),
                        code_points(text, entity["end_offset"]),
                    )
                )
    elif name == "labelstudio":
        for task in json.loads(out.read_text(encoding="utf-8")):
            text = task["data"]["text"]
            for annotation in task["annotations"]:
                for region in annotation["result"]:
                    if region["type"] == "labels":  # Label Studio counts code points
                        found.add((text, region["value"]["start"], region["value"]["end"]))
    elif name == "brat":
        for ann in out.rglob("*.ann"):
            text = ann.with_suffix(".txt").read_bytes().decode("utf-8")
            for line in ann.read_text(encoding="utf-8").split("\n"):
                if line.startswith("T"):  # fragments split at line breaks: "T1\tX 0 5;7 9\t..."
                    offsets = line.split("\t")[1].split(" ", 1)[1].replace(";", " ").split()
                    found.add((text, int(offsets[0]), int(offsets[-1])))
    elif name == "xmi":
        import xml.etree.ElementTree as ET

        for xmi in out.rglob("*.xmi"):
            root = ET.parse(xmi).getroot()
            text = next(e for e in root if e.tag.endswith("}Sofa")).get("sofaString")
            for span in root.iter("{http:///webanno/custom.ecore}DossierSpan"):
                begin, end = int(span.get("begin")), int(span.get("end"))
                found.add((text, code_points(text, begin), code_points(text, end)))
    elif name == "spacy":
        from spacy.tokens import DocBin
        from spacy.vocab import Vocab

        for doc in DocBin().from_disk(out).get_docs(Vocab()):
            found |= {(doc.text, s.start_char, s.end_char) for s in [*doc.spans["sc"], *doc.ents]}
    elif name == "conll":
        # Tagged tokens, found one after another in the article.
        position, run = 0, None
        for line in out.read_text(encoding="utf-8").split("\n"):
            if line.startswith("-DOCSTART-"):
                position = 0
            elif line:
                token, tag = line.split("\t")
                start = TEXT_A.find(token, position)
                if start < 0:
                    continue  # a section of another article
                position = start + len(token)
                if tag.startswith("B-"):
                    run = [start, position]
                    found.add(tuple(run))
                elif tag.startswith("I-"):
                    found.discard(tuple(run))
                    run[1] = position
                    found.add(tuple(run))
        found = {(TEXT_A, start, end) for start, end in found}
    return found


@pytest.mark.parametrize("name", LABEL_FORMATS)
def test_a_suggestion_never_leaves_as_a_label(rich, tmp_path, name):
    """The suggested "Pentagon" and the rejected "fled" are labels in no format's output,
    while the accepted spans are; asking for them is refused (Label Studio alone has a
    place for suggestions: its predictions)."""
    out = output_for(tmp_path, name)
    export_project(rich.store, name, out)
    found = labelled(name, out)
    assert (TEXT_A, rich.actor.start, rich.actor.end) in found
    assert (TEXT_A, rich.suggestion.start, rich.suggestion.end) not in found
    assert (TEXT_A, rich.rejected.start, rich.rejected.end) not in found
    if name == "conll":
        assert not any(s < rich.suggestion.end and rich.suggestion.start < e for _, s, e in found)
    if name == "labelstudio":
        return
    for status in ("suggested", "rejected"):
        with pytest.raises(ValueError, match=f"not {status}: a suggestion leaves as a label only"):
            export_project(
                rich.store, name, out, ExportOptions(filter=ExportFilter(statuses=(status,)))
            )


@pytest.mark.parametrize("name", export_formats())
def test_a_cancelled_export_leaves_nothing_behind(rich, tmp_path, name):
    out = output_for(tmp_path, name)

    def cancel(phase, done, total):
        raise Cancelled()

    with pytest.raises(Cancelled):
        export_project(rich.store, name, out, ExportOptions(), cancel)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_keeps_the_previous_file(rich, tmp_path):
    out = tmp_path / "tasks.jsonl"
    export_project(rich.store, "prodigy", out)
    before = out.read_bytes()
    calls = []

    def fail_late(phase, done, total):
        calls.append(done)
        if done == total:
            raise Cancelled()

    with pytest.raises(Cancelled):
        export_project(rich.store, "doccano", out, ExportOptions(), fail_late)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["tasks.jsonl"]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_exports_get_the_usual_file_modes(rich, tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    export_project(rich.store, "csv", tmp_path / "spans.csv")
    export_project(rich.store, "brat", tmp_path / "brat")
    assert stat.S_IMODE((tmp_path / "spans.csv").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "brat").stat().st_mode) == 0o777 & ~umask


def test_the_command_line_exports_every_format(tmp_path, corpus):
    runner = CliRunner()
    db = str(tmp_path / "p.db")
    assert runner.invoke(app, ["--db", db, "import", str(corpus)]).exit_code == 0
    for name in export_formats():
        out = output_for(tmp_path, name)
        result = runner.invoke(app, ["--db", db, "export", "-f", name, "-o", str(out)])
        assert result.exit_code == 0, result.output
        check_corpus_content(name, out, corpus)
    split = tmp_path / "split"
    result = runner.invoke(
        app,
        ["--db", db, "export", "-f", "spacy", "-o", str(split), "--split", "0.5", "--seed", "3"],
    )
    assert result.exit_code == 0 and sorted(p.name for p in split.iterdir()) == [
        "dev.spacy",
        "train.spacy",
    ]
    result = runner.invoke(
        app,
        [
            "--db",
            db,
            "export",
            "-f",
            "prodigy",
            "-o",
            str(tmp_path / "x.jsonl"),
            "--status",
            "suggested",
        ],
    )
    assert result.exit_code == 2 and "prodigy writes accepted spans only" in result.stderr
    result = runner.invoke(
        app,
        ["--db", db, "export", "-f", "doccano", "-o", str(tmp_path / "y.jsonl"), "--split", "0.2"],
    )
    assert result.exit_code == 2 and "--split applies to the spacy format" in result.stderr
    gold = runner.invoke(
        app,
        [
            "--db",
            db,
            "export",
            "-f",
            "doccano",
            "-o",
            str(tmp_path / "g.jsonl"),
            "--annotator",
            "analyst_a",
        ],
    )
    assert gold.exit_code == 0
    # Every record has the key; a document analyst_a did not label has null there.
    assert {r["annotator"] for r in read_jsonl(tmp_path / "g.jsonl")} == {"analyst_a", None}


def corpus_expected(corpus):
    """The articles, and the analysts' spans as their raw files have them: analyst_a's in
    Prodigy (code points), analyst_b's in doccano (UTF-16 units); labels as the project
    names them (CLAIM -> Claim)."""
    texts = {
        path.read_bytes().decode("utf-8").replace("\r\n", "\n")
        for path in sorted(corpus.glob("*.txt"))
    }
    spans = set()
    for task in read_jsonl(corpus / "annotations" / "analyst_a.prodigy.jsonl"):
        for span in task["spans"]:
            spans.add(
                (task["text"], span["label"].title(), span["start"], span["end"], "analyst_a")
            )
    for record in read_jsonl(corpus / "annotations" / "analyst_b.doccano.jsonl"):
        text = record["text"]
        for start, end, label in record["label"]:
            spans.add(
                (text, label.title(), code_point(text, start), code_point(text, end), "analyst_b")
            )
    return texts, spans


def check_corpus_content(name: str, out, corpus) -> None:
    """What the command line wrote for the seed corpus, against the raw files."""
    import csv

    texts, spans = corpus_expected(corpus)
    # five articles; analyst_a tagged two of them (23 + 14 spans), analyst_b the same two
    # (17 + 10)
    assert len(texts) == 5 and len(spans) == 23 + 14 + 17 + 10
    if name in ("jsonl", "prodigy", "doccano", "labelstudio", "brat", "xmi", "spacy"):
        assert spans_written(name, out) == spans, name
    if name == "jsonl":
        documents = {r["text"] for r in read_jsonl(out) if r["type"] == "document"}
        assert documents == texts
    elif name == "doccano":
        assert {r["text"] for r in read_jsonl(out)} == texts
    elif name == "labelstudio":
        assert {t["data"]["text"] for t in json.loads(out.read_text(encoding="utf-8"))} == texts
    elif name == "conll":
        sections = conll_sections(out, sorted(texts))
        # one section per article and analyst: two articles, each tagged by both
        assert len(sections) == 4
        kept = {run for section in sections for run in section}
        assert kept and all(
            (text, label.replace("_", " ")) in {(t, lab) for t, lab, *_ in spans}
            for text, label, _s, _e in kept
        )
    elif name == "csv":
        with out.open(encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert {
            (r["label"], int(r["start"]), int(r["end"]), r["text"], r["annotator"]) for r in rows
        } == {
            (label, start, end, text[start:end], annotator)
            for text, label, start, end, annotator in spans
        }
    elif name in ("events", "claims"):
        with out.open(encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.DictReader(stream))
        label, column = ("Event", "evidence") if name == "events" else ("Claim", "text")
        assert sorted((r[column], r["annotator"]) for r in rows) == sorted(
            (text[start:end], annotator)
            for text, kind, start, end, annotator in spans
            if kind == label
        )
    elif name == "graphml":
        import xml.etree.ElementTree as ET

        ns = "{http://graphml.graphdrawing.org/xmlns}"
        root = ET.parse(out).getroot()
        keys = {k.get("id"): k.get("attr.name") for k in root.iter(f"{ns}key")}
        kinds = [
            {keys[d.get("key")]: d.text for d in node.iter(f"{ns}data")}["kind"]
            for node in root.iter(f"{ns}node")
        ]
        # a node per claim and per event span (no relations here, so no edges)
        labels = [label for _text, label, _start, _end, _annotator in spans]
        assert kinds.count("claim") == labels.count("Claim") > 0
        assert kinds.count("event") == labels.count("Event") > 0
        assert list(root.iter(f"{ns}edge")) == []


BAD_FILES = [
    ("bad.jsonl", "prodigy", '{"text": "abc", "spans": [{"start": 0, "end": 9, "label": "A"}]}', 2),
    ("bad.jsonl", "doccano", '{"text": "😀b", "label": [[1, 3, "A"]]}', 2),
    ("bad.json", "labelstudio", '{"data": {"text": "abc"}, "annotations": [{"result": [1]}]}', 2),
    ("bad.ann", "brat", "T1\tActor 0 99\tabc", 2),
    ("bad.jsonl", "jsonl", '{"type": "widget"}', 2),
]


@pytest.mark.parametrize("name,fmt,line,number", BAD_FILES)
def test_bad_input_exits_2_naming_file_and_line_and_writes_nothing(
    tmp_path, name, fmt, line, number
):
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        build_rich(store)
        before = snapshot(store)
    path = tmp_path / name
    first = {
        "prodigy": '{"text": "fine"}',
        "doccano": '{"text": "fine", "label": []}',
        "labelstudio": '[{"data": {"text": "fine"}},',
        "brat": "T0\tActor 0 3\tabc",
        "jsonl": '{"text": "fine"}',
    }[fmt]
    body = first + "\n" + line + ("\n]" if fmt == "labelstudio" else "") + "\n"
    if fmt == "labelstudio":
        body = body.replace("[{", "[\n{", 1)
        number = 3
    path.write_text(body, encoding="utf-8")
    if fmt == "brat":
        path.with_suffix(".txt").write_text("abc def", encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", str(db), "import", str(path), "--annotator", "x"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:{number}: ")
    assert len(result.stderr.strip().splitlines()) == 1
    with Store.open(db) as store:
        assert snapshot(store) == before
