"""Dossier's exports against the real tools that install from PyPI and run offline: a Label
Studio 1.23 server (its import API and its JSON export) and doccano 1.8's own import and
export pipelines on its own database. Each file goes in, the tool's export comes back out,
and Dossier reads that back exactly.

The tools are big, so they live in virtual environments of their own, which ``.ci/run``
makes: ``DOSSIER_TEST_LABEL_STUDIO`` names the ``label-studio`` program and
``DOSSIER_TEST_DOCCANO`` the Python that has doccano. Without them these tests skip, unless
``DOSSIER_REQUIRE_TOOLS`` is set, when they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.records import ExportFilter, ImportBatch, NewDocument
from db.store import Store
from desktop.formats import ExportOptions, export_project, import_paths
from desktop.formats.doccano import OVERLAP_DROPPED
from desktop.formats.labelstudio import config_path
from tests.formats.project import (
    build_rich,
    details_of,
    read_jsonl,
    relations_of,
    share_rich_schema,
    spans_of,
)
from tests.formats.test_other_tools import tricky_document
from tests.formats.tool_checks import doccano_kept, javascript_slice
from tests.formats.tools.label_studio import LabelStudio, LabelStudioError

pytestmark = pytest.mark.slow
DRIVER = Path(__file__).with_name("tools") / "doccano_driver.py"


def tool(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        if os.environ.get("DOSSIER_REQUIRE_TOOLS"):
            pytest.fail(f"DOSSIER_REQUIRE_TOOLS is set but {variable} is not")
        pytest.skip(f"{variable} is not set (.ci/run installs the tool and sets it)")
    return value


@pytest.fixture
def project():
    """The rich project and the tricky article together, in memory."""
    with Store.open(":memory:") as store:
        build_rich(store)
        text, spans = tricky_document()
        store.import_batch(ImportBatch(documents=[NewDocument(text=text, spans=spans)]))
        yield store


# --- Label Studio ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    server = LabelStudio(tool("DOSSIER_TEST_LABEL_STUDIO"), tmp_path_factory.mktemp("ls"))
    server.start()
    yield server
    server.stop()


def test_label_studio_takes_the_export_as_it_is_and_gives_it_back(label_studio, project, tmp_path):
    out = tmp_path / "tasks.json"
    export_project(
        project,
        "labelstudio",
        out,
        ExportOptions(filter=ExportFilter(statuses=("accepted", "suggested"))),
    )
    tasks = json.loads(out.read_text(encoding="utf-8"))
    number = label_studio.new_project(config_path(out).read_text(encoding="utf-8"))
    answer = label_studio.import_tasks(number, tasks)
    assert answer["task_count"] == len(tasks)
    assert answer["annotation_count"] == sum(len(t["annotations"]) for t in tasks)
    assert answer["prediction_count"] == sum(len(t["predictions"]) for t in tasks)
    back = tmp_path / "label-studio-export.json"
    back.write_text(
        json.dumps(label_studio.export_with_predictions(number), ensure_ascii=False),
        encoding="utf-8",
    )
    with Store.open(":memory:") as fresh:
        share_rich_schema(fresh)
        import_paths(fresh, [back])
        for statuses in (("accepted",), ("suggested",)):
            assert spans_of(fresh, statuses) == spans_of(project, statuses)
        assert relations_of(fresh) == relations_of(project)
        # Notes and text attributes ride along; other values and entity links cannot.
        for key, (attributes, note, _) in details_of(project).items():
            text_only = {k: v for k, v in attributes.items() if isinstance(v, str)}
            assert details_of(fresh)[key] == (text_only, note, None)


def test_label_studio_refuses_what_dossier_wrote_before(label_studio, rich, tmp_path):
    """completed_by that is no user of the server: the import is refused as a whole."""
    out = tmp_path / "tasks.json"
    export_project(rich.store, "labelstudio", out)
    tasks = json.loads(out.read_text(encoding="utf-8"))
    number = label_studio.new_project(config_path(out).read_text(encoding="utf-8"))
    for annotation in tasks[0]["annotations"]:
        annotation["completed_by"] = 4242
    with pytest.raises(LabelStudioError, match="completed_by=4242"):
        label_studio.import_tasks(number, tasks)


# --- doccano ---------------------------------------------------------------------------------


def doccano(tmp_path: Path, path: Path, **project) -> tuple[dict, Path]:
    """Import ``path`` into a new doccano project and export it: (summary, export)."""
    home = tmp_path / f"doccano-{len(list(tmp_path.glob('doccano-*')))}"
    home.mkdir()
    request = {
        "file": str(path),
        "home": str(home),
        "export": str(home / "export.jsonl"),
        "summary": str(home / "summary.json"),
        **project,
    }
    (home / "request.json").write_text(json.dumps(request), encoding="utf-8")
    done = subprocess.run(
        [tool("DOSSIER_TEST_DOCCANO"), str(DRIVER), str(home / "request.json")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
    assert done.returncode == 0, "doccano failed; its output is above"
    return json.loads((home / "summary.json").read_text(encoding="utf-8")), home / "export.jsonl"


def test_doccano_keeps_every_span_in_a_project_that_allows_overlap(project, tmp_path):
    out = tmp_path / "doccano.jsonl"
    report = export_project(project, "doccano", out)  # relations: the entities form
    records = read_jsonl(out)
    summary, exported = doccano(tmp_path, out, allow_overlapping=True, use_relation=True)
    assert summary["errors"] == []
    assert len(summary["examples"]) == len(records)
    for record, example in zip(records, summary["examples"], strict=True):
        assert example["text"] == record["text"]
        wanted = sorted(
            (e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]
        )
        assert sorted(map(tuple, example["spans"])) == wanted
        assert example["relations"] == len(record["relations"])
        assert example["meta"]["annotator"] == record["annotator"]
    assert OVERLAP_DROPPED in report.adjusted
    with Store.open(":memory:") as fresh:
        share_rich_schema(fresh)
        import_paths(fresh, [exported])
        assert spans_of(fresh) == spans_of(project)
        assert len(relations_of(fresh)) == len(relations_of(project))


def test_doccano_drops_exactly_the_overlaps_the_export_reports(tmp_path):
    text, spans = tricky_document()
    with Store.open(":memory:") as store:
        store.import_batch(ImportBatch(documents=[NewDocument(text=text, spans=spans)]))
        out = tmp_path / "doccano.jsonl"
        report = export_project(store, "doccano", out)  # no relations: the label form
        [record] = read_jsonl(out)
        summary, exported = doccano(tmp_path, out)
        assert summary["errors"] == []
        [example] = summary["examples"]
        kept = doccano_kept([tuple(span) for span in record["label"]])
        assert sorted(map(tuple, example["spans"])) == sorted(kept)
        assert report.adjusted[OVERLAP_DROPPED] == len(record["label"]) - len(kept)
        # doccano's offsets are JavaScript's: each kept span slices to Dossier's text.
        covered = {(s[2], s[3]): s[4] for s in spans_of(store)}
        assert len(covered) == len(spans)
        slices = sorted(javascript_slice(text, start, end) for start, end, _ in kept)
        assert all(piece in covered.values() for piece in slices)
        with Store.open(":memory:") as fresh:
            import_paths(fresh, [exported])
            back = {(s[2], s[3], s[1]) for s in spans_of(fresh)}
            assert len(back) == len(kept)
            assert {covered[(s, e)] for s, e, _ in back} == set(slices)
