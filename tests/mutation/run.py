"""Mutation testing of the modules where a small bug costs an analyst most.

    python tests/mutation/run.py [--module NAME ...] [--function NAME ...] [--jobs N]
                                 [--work DIR] [--show-killed]

For each module (``--module`` takes the names below or a module's path; all by default),
mutmut puts small bugs into the chosen functions one at a time (``<`` for ``<=``, ``+ 1``
for ``+ 2``, a dropped argument, ``and`` for ``or``…) and runs the tests that cover each
function against every bug. A bug some test fails on is *killed*; one every test passes
*survives*. The script prints, per module, ``killed K of N (S%)`` and then each survivor's
diff; survivors judged equivalent (the program behaves the same, so no test can tell) are
listed with the reason in ``tests/mutation/equivalent.toml`` and marked so.

The work happens in a copy of the checkout under ``--work`` (``/tmp/dossier-mutation`` by
default), never in the checkout itself. Set ``DOSSIER_TEST_PG_URL`` to run the store's
PostgreSQL tests too (its locking and version checks differ there). Not part of CI: the
whole run takes about half an hour on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: the mutation extra installs tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
EQUIVALENT = Path(__file__).with_name("equivalent.toml")
# mutmut exit codes: a test failed (1, 3), the tests crashed or ran out of time with the
# bug in: each means the bug was noticed.
KILLED = {1, 3, -11, -9, 36, -24, 24, 152, 255}


@dataclass(frozen=True)
class Target:
    """A module to mutate: which functions (``Class.method``, ``function``, ``Class.*``;
    all when empty) and the tests that should notice a bug in them."""

    name: str
    path: str
    functions: tuple[str, ...]
    tests: tuple[str, ...]

    @property
    def module(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")

    def patterns(self) -> list[str]:
        """mutmut's names of this target's mutants, as glob patterns."""
        if ONLY:
            return [
                f"{self.module}.x{'ǁ' if '.' in f else '_'}{f.replace('.', 'ǁ')}__mutmut_*"
                for f in ONLY
            ]
        if not self.functions:
            return [f"{self.module}.x*"]
        found = []
        for function in self.functions:
            if "." in function:
                owner, method = function.split(".", 1)
                found.append(f"{self.module}.xǁ{owner}ǁ{method}__mutmut_*")
            else:
                found.append(f"{self.module}.x_{function}__mutmut_*")
        return found


ONLY: list[str] = []  # --function: only these functions of the module
FORMAT_TESTS = ("tests/formats/test_offsets_exact.py",)
TARGETS = (
    Target(
        "offset map",
        "desktop/ui/offsets.py",
        (),
        ("tests/ui/test_offsets.py",),
    ),
    Target(
        "UTF-16 offsets",
        "desktop/formats/base.py",
        ("Utf16Offsets.*", "utf16_to_code_points", "check_offsets"),
        (
            *FORMAT_TESTS,
            "tests/formats/test_utf16_offsets.py",
            "tests/formats/test_doccano.py",
            "tests/formats/test_labelstudio.py",
            "tests/formats/test_xmi.py",
        ),
    ),
    Target(
        "doccano",
        "desktop/formats/doccano.py",
        (),
        (*FORMAT_TESTS, "tests/formats/test_doccano.py", "tests/formats/test_doccano_exact.py"),
    ),
    Target(
        "Label Studio",
        "desktop/formats/labelstudio.py",
        (
            "region_text",
            "_Task.*",
            "_region_value",
            "_relation",
            "_task",
            "_results",
            "_per_region",
        ),
        (
            *FORMAT_TESTS,
            "tests/formats/test_labelstudio.py",
            "tests/formats/test_labelstudio_exact.py",
        ),
    ),
    Target(
        "Prodigy",
        "desktop/formats/prodigy.py",
        ("read", "_read_relation", "hash32", "_token_records", "_task", "_token_range"),
        (
            *FORMAT_TESTS,
            "tests/formats/test_prodigy.py",
            "tests/formats/test_prodigy_exact.py",
        ),
    ),
    Target(
        "brat",
        "desktop/formats/brat.py",
        (
            "one_line",
            "fragments",
            "_ann",
            "read",
            "_parse",
            "_build",
            "_span",
            "_split_at_line_breaks",
        ),
        (*FORMAT_TESTS, "tests/formats/test_brat.py", "tests/formats/test_brat_exact.py"),
    ),
    Target(
        "UIMA XMI",
        "desktop/formats/xmi.py",
        ("_cas", "_check_span_offsets", "_integer", "read", "_spans"),
        (*FORMAT_TESTS, "tests/formats/test_xmi.py", "tests/formats/test_xmi_exact.py"),
    ),
    Target(
        "token alignment (CoNLL, spaCy, Prodigy tokens)",
        "desktop/formats/alignment.py",
        (),
        (
            "tests/formats/test_alignment.py",
            *FORMAT_TESTS,
            "tests/formats/test_conll.py",
            "tests/formats/test_spacy_docbin.py",
            "tests/formats/test_prodigy.py",
        ),
    ),
    Target(
        "store: span edits",
        "db/store/span_edits.py",
        (),
        (
            "tests/db/test_span_edits_exact.py",
            "tests/db/test_version_guards.py",
            "tests/db/test_races.py",
            "tests/db/test_store.py",
        ),
    ),
    # The transactions themselves (StoreBase._write, _read) are context managers, which
    # mutmut leaves alone; what they do on failure is write_failure and read_failure.
    Target(
        "store: transactions",
        "db/store/base.py",
        ("write_failure", "read_failure", "unavailable", "first_line"),
        ("tests/db/test_transactions.py", "tests/db/test_races.py"),
    ),
    Target(
        "engine: SQLite's settings and write lock",
        "db/engine.py",
        ("_on_sqlite_connect", "_on_sqlite_begin", "create_project_engine"),
        ("tests/db/test_transactions.py", "tests/db/test_engine.py"),
    ),
    Target(
        "review comparison",
        "desktop/review/compare.py",
        (),
        (
            "tests/review/test_compare_exact.py",
            "tests/review/test_compare.py",
            "tests/review/test_adjudicate.py",
        ),
    ),
    Target(
        "agreement",
        "desktop/review/agreement.py",
        (),
        (
            "tests/review/test_agreement_exact.py",
            "tests/review/test_agreement.py",
            "tests/review/test_agreement_fixtures.py",
        ),
    ),
)


def _chosen(names: list[str]) -> list[Target]:
    if not names:
        return list(TARGETS)
    chosen = []
    for name in names:
        found = [t for t in TARGETS if name in (t.name, t.path) or t.path.endswith(name)]
        if not found:
            known = ", ".join(f"{t.name!r} ({t.path})" for t in TARGETS)
            sys.exit(f"run.py: no module {name!r}; the modules are {known}")
        chosen.extend(t for t in found if t not in chosen)
    return chosen


def _copy_checkout(to: Path) -> None:
    """The files git knows of (committed or not, ignored ones left out), and ../shared."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            target = to / "repo" / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # The tests find ../shared beside the checkout, and mutmut runs them in repo/mutants.
    (to / "shared").symlink_to(SHARED)
    (to / "repo" / "shared").symlink_to(SHARED)


def _configure(repo: Path, target: Target) -> None:
    tests = [test for test in target.tests if (repo / test).exists()]
    settings = {
        "source_paths": ["desktop", "db"],
        "also_copy": ["resources", "README.md"],
        "only_mutate": [target.path],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q"],
        "pytest_add_cli_args_test_selection": tests,
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"]
    for key, value in settings.items():
        lines.append(f"{key} = {json.dumps(value)}")
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text("utf-8") + "\n".join(lines) + "\n", "utf-8")


def _results(repo: Path, target: Target) -> dict[str, int | None]:
    meta = json.loads((repo / "mutants" / f"{target.path}.meta").read_text("utf-8"))
    patterns = target.patterns()
    return {
        name: code
        for name, code in meta["exit_code_by_key"].items()
        if any(fnmatchcase(name, pattern) for pattern in patterns)
    }


def _diff(repo: Path, name: str) -> str:
    shown = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", name],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    return shown.stdout.strip() or shown.stderr.strip()


def run(target: Target, work: Path, jobs: int, show_killed: bool) -> tuple[int, int] | None:
    folder = work / target.path.replace("/", "_").removesuffix(".py")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _copy_checkout(folder)
    repo = folder / "repo"
    _configure(repo, target)
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    environment.pop("PYTHONPATH", None)
    log = folder / "mutmut.log"
    started = time.monotonic()
    with log.open("w") as out:
        finished = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)]
            + target.patterns(),
            cwd=repo,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if finished.returncode != 0:
        tail = log.read_text("utf-8", "replace").splitlines()[-30:]
        print(f"\n## {target.name} ({target.path}): mutmut failed; see {log}:", flush=True)
        print("\n".join(tail), flush=True)
        return None
    results = _results(repo, target)
    if not results:
        print(f"\n## {target.name} ({target.path}): no mutant matches {target.patterns()}")
        return None
    equivalent = _equivalent()
    killed = sorted(name for name, code in results.items() if code in KILLED)
    survived = sorted(name for name, code in results.items() if code not in KILLED)
    total = len(results)
    share = 100 * len(killed) / total if total else 100.0
    minutes = (time.monotonic() - started) / 60
    judged = sum(1 for name in survived if name in equivalent)
    print(
        f"\n## {target.name} ({target.path}): killed {len(killed)} of {total} ({share:.1f}%)"
        f"; {judged} of the {len(survived)} survivors judged equivalent; {minutes:.1f} min",
        flush=True,
    )
    for name in survived:
        code = results[name]
        why = equivalent.get(name)
        status = f"equivalent: {why}" if why else ("not run" if code is None else f"exit {code}")
        print(f"\n### survived: {name} ({status})\n{_diff(repo, name)}", flush=True)
    if show_killed:
        for name in killed:
            print(f"\n### killed: {name}\n{_diff(repo, name)}", flush=True)
    return len(killed), total


def _equivalent() -> dict[str, str]:
    if not EQUIVALENT.exists():
        return {}
    return {name: entry["why"] for name, entry in tomllib.loads(EQUIVALENT.read_text()).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", default=[], help="a module's name or path")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/dossier-mutation"))
    parser.add_argument("--show-killed", action="store_true")
    parser.add_argument(
        "--function",
        action="append",
        default=[],
        help="only this function (``read``, ``Class.method``) of the one module chosen",
    )
    arguments = parser.parse_args()
    if arguments.function and len(arguments.module) != 1:
        parser.error("--function needs exactly one --module")
    ONLY.extend(arguments.function)
    table = []
    for target in _chosen(arguments.module):
        table.append((target, run(target, arguments.work, arguments.jobs, arguments.show_killed)))
    print("\n## Summary\n")
    for target, outcome in table:
        if outcome is None:
            print(f"{target.path}: mutmut failed (see above)")
            continue
        killed, total = outcome
        share = 100 * killed / total if total else 100.0
        print(f"{target.path}: killed {killed} of {total} ({share:.1f}%)")
    if any(outcome is None for _, outcome in table):
        sys.exit(1)


if __name__ == "__main__":
    main()
