"""The layer rules of design.md hold: import-linter checks the contracts in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lint_imports() -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-c",
        "from importlinter.cli import lint_imports_command; lint_imports_command()",
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_every_layer_contract_is_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


@pytest.mark.parametrize(
    "package,source,crossing",
    [
        ("db", "import desktop.formats\n", "desktop.formats"),
        ("desktop/formats", "import PySide6.QtCore\n", "PySide6"),
        ("desktop/review", "import desktop.ui\n", "desktop.ui"),
    ],
)
def test_a_module_that_crosses_a_layer_breaks_a_contract(package, source, crossing):
    """Drop a probe module that reaches across a layer into the real tree: the check fails."""
    probe = ROOT / package / f"_probe_{uuid.uuid4().hex[:8]}.py"
    probe.write_text(source, encoding="utf-8")
    try:
        result = lint_imports()
    finally:
        probe.unlink()
    assert result.returncode != 0
    module = f"{package.replace('/', '.')}.{probe.stem}"
    assert f"{module} -> {crossing}" in result.stdout


def test_the_store_stays_split_by_data():
    """db/store is a package of modules that follow the data, none much above 500 lines, each
    a part of the one ``Store`` that callers use."""
    import importlib

    from db.store import Store

    modules = sorted((ROOT / "db" / "store").glob("*.py"))
    assert {path.stem for path in modules} >= {"labels", "documents", "spans", "imports"}
    for path in modules:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 520, path.name
    assert not (ROOT / "db" / "store.py").exists()
    parts = set(Store.__mro__)
    for path in modules:
        if path.stem in {"__init__", "base", "errors"}:  # the foundations, not parts
            continue
        module = importlib.import_module(f"db.store.{path.stem}")
        mixins = [value for name, value in vars(module).items() if name.endswith("Mixin")]
        assert mixins and all(mixin in parts for mixin in mixins), path.stem
