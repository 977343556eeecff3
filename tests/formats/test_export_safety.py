"""Exports survive being killed: what a killed export leaves is cleaned up or put back, the
temporaries of an export still running are left alone, and what is renamed into place is
on disk first.

Each crash is real: the export runs in a child process that kills itself with SIGKILL at
the chosen moment, so that nothing of Python's own cleanup runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from db.store import Store
from desktop.formats import export_project, import_paths
from tests.formats.project import build_rich, share_rich_schema

ROOT = Path(__file__).resolve().parents[2]
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="kills itself with SIGKILL")

# What every child starts with: the project, and ways to die at a chosen moment.
PREAMBLE = """
import os, signal, sys, time
from pathlib import Path
from db.store import Store
from desktop.formats import export_project

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def after_the_documents(action):
    # Do `action` once the writer has taken every document, before it finishes.
    real = Store.export_documents
    def export_documents(self, *args, **kwargs):
        yield from real(self, *args, **kwargs)
        action()
    Store.export_documents = export_documents

def wait_for(path):
    print("writing", flush=True)
    while not os.path.exists(path):
        time.sleep(0.02)
"""


def child(code: str) -> list[str]:
    return [sys.executable, "-c", PREAMBLE + textwrap.dedent(code)]


def run_child(code: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        child(code), env=environment, cwd=ROOT, capture_output=True, text=True, timeout=180
    )


def start_child(code: str) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        child(code), env=environment, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def hidden(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def project(tmp_path) -> Path:
    """The rich project in an SQLite file that the child processes open too."""
    path = tmp_path / "project.db"
    with Store.open(path) as store:
        build_rich(store)
    return path


# --- temporaries of killed exports ---------------------------------------------------------


@POSIX_ONLY
def test_the_temporary_of_a_killed_export_goes_with_the_next_export_to_the_folder(
    project, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    killed = run_child(
        f"""
        after_the_documents(die)
        with Store.open({str(project)!r}, create=False) as store:
            export_project(store, "jsonl", Path({str(out / "tasks.jsonl")!r}))
        """
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [left] = hidden(out)
    assert left.startswith(".tasks.jsonl.") and not (out / "tasks.jsonl").exists()
    with Store.open(project, create=False) as store:
        export_project(store, "csv", out / "spans.csv")
    assert hidden(out) == []
    assert sorted(path.name for path in out.iterdir()) == ["spans.csv"]


@POSIX_ONLY
def test_the_temporary_of_an_export_still_running_is_left_alone(project, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    go = tmp_path / "go"
    running = start_child(
        f"""
        after_the_documents(lambda: wait_for({str(go)!r}))
        with Store.open({str(project)!r}, create=False) as store:
            export_project(store, "jsonl", Path({str(out / "tasks.jsonl")!r}))
        """
    )
    try:
        assert running.stdout.readline() == "writing\n"
        [temporary] = hidden(out)
        assert f"-{running.pid}-" in temporary  # the writer is named in it
        with Store.open(project, create=False) as store:
            export_project(store, "csv", out / "spans.csv")  # sweeps the folder
        assert hidden(out) == [temporary]
        go.touch()
        assert running.wait(timeout=120) == 0
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    lines = (out / "tasks.jsonl").read_text(encoding="utf-8").strip().split("\n")
    assert sum(json.loads(line)["type"] == "document" for line in lines) == 3
    assert hidden(out) == []


@POSIX_ONLY
def test_a_process_removes_its_own_temporaries_when_it_exits(project, tmp_path):
    """An export in a thread that never finishes (the window closed meanwhile) leaves
    nothing behind once the process has exited."""
    out = tmp_path / "out"
    out.mkdir()
    never = tmp_path / "never"
    finished = run_child(
        f"""
        import threading
        after_the_documents(lambda: wait_for({str(never)!r}))
        def export():
            with Store.open({str(project)!r}, create=False) as store:
                export_project(store, "brat", Path({str(out / "brat")!r}))
        threading.Thread(target=export, daemon=True).start()
        folder = Path({str(out)!r})
        while not any(p.name.startswith(".") for p in folder.iterdir()):
            time.sleep(0.02)
        time.sleep(0.2)
        sys.exit(0)
        """
    )
    assert finished.returncode == 0, finished.stderr
    assert list(out.iterdir()) == []


def test_a_temporary_fits_beside_a_name_of_255_bytes(rich, tmp_path):
    out = tmp_path / ("é" * 120 + ".jsonl")  # 246 bytes
    assert len(out.name.encode()) == 246
    export_project(rich.store, "jsonl", out)
    assert out.is_file() and hidden(tmp_path) == []


# --- replacing an earlier folder export -----------------------------------------------------


@POSIX_ONLY
@pytest.mark.parametrize("then", ["export", "import"])
def test_a_folder_export_killed_between_its_two_renames_is_put_back(project, tmp_path, then):
    """Where folders cannot be exchanged in one step, the earlier export is first moved
    aside: if the process dies before the new one takes its place, the next export or
    import puts the earlier one back."""
    out = tmp_path / "brat"
    with Store.open(project, create=False) as store:
        export_project(store, "brat", out)
    earlier = files_under(out)
    killed = run_child(
        f"""
        try:
            from desktop.formats import output
            output.exchange = lambda first, second: False  # as on a system without it
        except ImportError:
            pass  # a Dossier that always renamed twice
        real = os.replace
        def replace(source, target):
            real(source, target)
            die()  # right after the first rename: the earlier export set aside
        os.replace = replace
        with Store.open({str(project)!r}, create=False) as store:
            export_project(store, "brat", Path({str(out)!r}))
        """
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists()
    assert any(name.startswith(".brat.") for name in hidden(tmp_path))  # set aside
    if then == "import":
        with Store.open(":memory:") as fresh:
            share_rich_schema(fresh)
            report = import_paths(fresh, [out])
            assert report.summary.documents_added == 3
        assert files_under(out) == earlier
    else:
        with Store.open(project, create=False) as store:
            export_project(store, "brat", out)
        assert files_under(out) == earlier  # the same project again
    assert hidden(tmp_path) == []


@POSIX_ONLY
def test_on_linux_the_earlier_folder_export_is_exchanged_in_one_step(project, tmp_path):
    """With renameat2(RENAME_EXCHANGE) there is no moment without an export at the target:
    killed just after the exchange, the new export is in place, and the earlier one, left
    in a temporary, goes with the next export."""
    from desktop.formats import output

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "one").touch()
    if not output.exchange(first, second):
        pytest.skip("this system or file system cannot exchange two folders in one step")
    assert [p.name for p in second.iterdir()] == ["one"] and list(first.iterdir()) == []
    out = tmp_path / "brat"
    with Store.open(project, create=False) as store:
        export_project(store, "brat", out)
    killed = run_child(
        f"""
        from desktop.formats import output
        real = output.exchange
        def exchange(first, second):
            assert real(first, second)
            die()
        output.exchange = exchange
        with Store.open({str(project)!r}, create=False) as store:
            store.add_label("Weapon")
            export_project(store, "brat", Path({str(out)!r}))
        """
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "Weapon" in (out / "annotation.conf").read_text(encoding="utf-8")
    assert len([name for name in hidden(tmp_path) if ".brat.dossier-" in name]) == 1
    with Store.open(project, create=False) as store:
        export_project(store, "brat", out)
    assert [name for name in hidden(tmp_path) if ".brat." in name] == []


# --- on disk before the rename -------------------------------------------------------------


def traced(tmp_path: Path, code: str) -> list[tuple[str, list[str]]]:
    """The fsync and rename calls that succeeded in a child process, in order, as strace
    shows them: (call, the paths it names)."""
    log = tmp_path / "strace.log"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        ["strace", "-f", "-y", "-qq", "-o", str(log)]
        + ["-e", "trace=fsync,syncfs,rename,renameat,renameat2"]
        + child(code),
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 and "ptrace" in result.stderr:
        pytest.skip(f"strace cannot trace here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    calls = []
    unfinished: dict[str, str] = {}  # thread -> the start of a call another one interrupted
    for line in log.read_text(encoding="utf-8").splitlines():
        thread, call = line.split(None, 1)
        if call.endswith("<unfinished ...>"):
            unfinished[thread] = call.removesuffix("<unfinished ...>")
            continue
        if call.startswith("<... "):
            call = unfinished.pop(thread) + call.split("resumed>", 1)[1]
        if not call.rstrip().endswith("= 0"):
            continue
        name = call.split("(", 1)[0]
        if name in ("fsync", "syncfs"):
            calls.append((name, re.findall(r"<([^<>]*)>", call)))
        else:
            calls.append((name, re.findall(r'"([^"]*)"', call)))
    return calls


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
@pytest.mark.parametrize("how", ["syncfs", "fsync"])
def test_exports_are_on_disk_before_the_rename_and_the_rename_after(project, tmp_path, how):
    """Each file is synced before it is renamed into place, and its folder after. A
    folder export is synced whole before it takes the place of the earlier one: on Linux
    by one syncfs of its file system, elsewhere file by file and folder by folder."""
    if how == "syncfs" and not sys.platform.startswith("linux"):
        pytest.skip("syncfs is Linux's")
    out = tmp_path / "out"
    out.mkdir()
    with Store.open(project, create=False) as store:
        export_project(store, "brat", out / "brat")  # an earlier export to replace
    without_syncfs = "from desktop.formats import output; output._syncfs = lambda: None"
    calls = traced(
        tmp_path,
        f"""
        {without_syncfs if how == "fsync" else ""}
        with Store.open({str(project)!r}, create=False) as store:
            export_project(store, "jsonl", Path({str(out / "tasks.jsonl")!r}))
            export_project(store, "brat", Path({str(out / "brat")!r}))
        """,
    )
    folder_synced = ("fsync", [str(out)])

    # The JSON lines: the file synced, renamed into place, then the folder holding it.
    [renamed] = [
        i for i, (_, paths) in enumerate(calls) if paths[-1:] == [str(out / "tasks.jsonl")]
    ]
    temporary = calls[renamed][1][0]
    assert Path(temporary).name.startswith(".tasks.jsonl.")
    assert ("fsync", [temporary]) in calls[:renamed]
    assert folder_synced in calls[renamed + 1 :]

    # The brat folder: every file and folder in it synced before it takes the place of
    # the earlier export (exchanged with it where the system can), then the folder
    # holding it synced.
    [swapped] = [
        i
        for i, (_, paths) in enumerate(calls)
        if paths[-1:] == [str(out / "brat")] and Path(paths[0]).name.startswith(".brat.")
    ]
    folder = calls[swapped][1][0]
    if how == "syncfs":
        assert ("syncfs", [folder]) in calls[:swapped]
    else:
        synced_before = {paths[0] for name, paths in calls[:swapped] if name == "fsync"}
        written = {folder} | {
            str(Path(folder) / path.relative_to(out / "brat")) for path in (out / "brat").rglob("*")
        }
        assert len(written) > 5
        assert written <= synced_before
    assert folder_synced in calls[swapped + 1 :]
