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
from tests.formats.project import TEXT_A, build_rich, read_jsonl, snapshot

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
        assert out.exists()
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
