"""``dossier suggest`` and ``dossier train`` on the seed corpus: output and exit codes; and
spaCy staying unloaded until suggestions are asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db.store import Store
from desktop.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, corpus) -> str:
    db = str(tmp_path / "project.db")
    assert run("--db", db, "import", str(corpus)).exit_code == 0
    return db


def test_suggest_writes_rule_suggestions_for_the_named_annotator(project):
    result = run("--db", project, "suggest", "--annotator", "ana")
    assert result.exit_code == 0, result.output
    assert "suggestion(s) added for 'ana' on 5 document(s) (rules)" in result.stdout
    with Store.open(project) as store:
        spans = store.spans_where(statuses=["suggested"])
    assert spans and {(s.annotator, s.origin) for s in spans} == {("ana", "rules")}
    again = run("--db", project, "suggest", "--annotator", "ana", "--rules", "--document", "1")
    assert (
        again.exit_code == 0 and "0 suggestion(s) added for 'ana' on 1 document(s)" in again.stdout
    )


def test_suggest_defaults_to_the_users_name(project, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "someone")
    result = run("--db", project, "suggest", "--document", "2")
    assert result.exit_code == 0 and "for 'someone'" in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--rules", "--model", "x"], "choose --rules or --model"),
        (["--document", "99"], "no document with id 99"),
        (["--map", "GPE=Actor"], "--map applies to --model"),
        (["--model", "x", "--map", "GPE"], "bad label mapping 'GPE'"),
        (["--model", "en_core_web_sm"], "python -m spacy download en_core_web_sm"),
        (["--model", "./no/such/folder"], "the folder does not exist"),
    ],
)
def test_suggest_refuses_bad_input_with_exit_2(project, args, message):
    result = run("--db", project, "suggest", *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_suggest_on_an_empty_project_says_to_import(tmp_path):
    result = run("--db", str(tmp_path / "empty.db"), "suggest")
    assert result.exit_code == 2 and "dossier import" in result.stderr


@pytest.mark.slow
def test_train_reports_scores_and_the_model_suggests(project, tmp_path):
    model = tmp_path / "model"
    result = run("--db", project, "train", "-o", str(model), "--epochs", "2", "--held-out", "0.5")
    assert result.exit_code == 0, result.output
    assert f"model written to {model}" in result.stdout
    assert "precision  recall" in result.stdout and "Claim" in result.stdout
    assert (model / "config.cfg").is_file()
    used = run(
        "--db", project, "suggest", "--model", str(model), "--annotator", "ana", "--document", "3"
    )
    assert used.exit_code == 0, used.output
    assert "most uncertain documents: 3 (" in used.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["--gold", "--annotator", "analyst_a"], "choose --annotator or --gold"),
        (["--held-out", "1.5"], "--held-out must be"),
        (["--annotator", "nobody"], "no annotator called 'nobody'"),
        (["--gold"], "no accepted spans"),
    ],
)
def test_train_refuses_bad_input_with_exit_2(project, tmp_path, args, message):
    result = run("--db", project, "train", "-o", str(tmp_path / "m"), *args)
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "m").exists()


def test_nlp_modules_and_the_command_line_do_not_load_spacy():
    code = (
        "import sys\n"
        "import desktop.cli, desktop.nlp.rules, desktop.nlp.suggest, desktop.nlp.train, "
        "desktop.nlp.pipelines, desktop.nlp.dates, desktop.nlp.uncertainty\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('spacy', 'thinc'))\n"
        "print(json.dumps(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == []
