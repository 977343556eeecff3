"""Drive an installed doccano (1.8) from its own Python: import a JSONL file into a new
sequence-labelling project with doccano's own import pipeline, then export the project with
doccano's own export pipeline. Run by tests/formats/test_real_tools.py, never imported by
Dossier: ``DOCCANO_PYTHON doccano_driver.py REQUEST.json`` writes a JSON summary.

The request names ``file`` (the JSONL to import), ``home`` (an empty folder for doccano's
database and media), ``export`` (where doccano's JSONL export goes), and the project's
``allow_overlapping`` and ``use_relation`` settings, and ``summary``, the file the summary
goes to (doccano logs on standard output). The summary holds doccano's import
errors, each example's text and meta, and its spans as doccano stored them.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path


def setup(home: Path) -> None:
    """Configure doccano's Django settings as its own command line does, on a new database."""
    import backend

    os.environ["STANDALONE"] = "True"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    os.environ["DATABASE_URL"] = f"sqlite:///{home / 'db.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(home / "media")
    os.environ.setdefault("SECRET_KEY", "dossier-interop-check")
    sys.path.append(os.path.dirname(backend.__file__))
    import django
    from django.core import management

    django.setup()
    management.call_command("migrate", verbosity=0)
    management.call_command("create_roles", verbosity=0)


def run(request: dict) -> dict:
    home = Path(request["home"])
    setup(home)
    from data_export.celery_tasks import export_dataset
    from data_import.datasets import load_dataset
    from data_import.pipeline.catalog import create_file_format
    from data_import.pipeline.readers import FileName
    from django.contrib.auth import get_user_model
    from examples.models import Example
    from labels.models import Relation, Span
    from projects.models import ProjectType, SequenceLabelingProject

    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "pass")
    project = SequenceLabelingProject.objects.create(
        name="dossier check",
        created_by=user,
        project_type=ProjectType.SEQUENCE_LABELING,
        allow_overlapping=request.get("allow_overlapping", False),
        use_relation=request.get("use_relation", False),
    )
    project.add_admin()
    source = Path(request["file"])
    task = "RelationExtraction" if project.use_relation else ProjectType.SEQUENCE_LABELING
    dataset = load_dataset(
        task,
        create_file_format("JSONL"),
        [FileName(full_path=str(source), generated_name=source.name, upload_name=source.name)],
        project,
        encoding="utf_8",  # what doccano's upload page sends unless the user picks another
    )
    dataset.save(user, batch_size=1000)
    examples = []
    for example in Example.objects.filter(project=project).order_by("id"):
        spans = Span.objects.filter(example=example).order_by("start_offset", "end_offset")
        examples.append(
            {
                "text": example.text,
                "meta": example.meta,
                "spans": [[s.start_offset, s.end_offset, s.label.text] for s in spans],
                "relations": Relation.objects.filter(example=example).count(),
            }
        )
    archive = export_dataset(project.id, "JSONL")
    with zipfile.ZipFile(archive) as exported:
        names = exported.namelist()
        Path(request["export"]).write_bytes(exported.read(names[0]))
    return {
        "errors": [error.dict() for error in dataset.errors],
        "examples": examples,
        "export_files": names,
    }


if __name__ == "__main__":
    request = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    summary = run(request)
    Path(request["summary"]).write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
