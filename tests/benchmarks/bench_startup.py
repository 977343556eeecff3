"""Start-up of the installed package against the pip install: the time from starting
`dossier --db PROJECT` to the window's first paint, which is what an analyst waits for.

    python tests/benchmarks/bench_startup.py [--installed /usr/bin/dossier]
        [--pip .venv/bin/dossier] [--runs 15] [--corpus ../shared/corpus]

Both programs open the same project (the corpus imported once), offscreen, with
DOSSIER_QUIT_WHEN_SHOWN, which prints "first paint" when the window has painted and quits
(desktop/ui/app.py); each is timed from the moment the process is started to that line.
The two are run in turn, one run each before timing to warm the disk cache, and the
medians compared. The bundle's and the package's sizes are printed when given (--bundle,
--deb). The baseline is the pip install: the same code, on the same Python packages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def first_paint(program: str, project: Path, home: Path) -> float:
    """Seconds from starting ``program`` on ``project`` to its window's first paint."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "DOSSIER_QUIT_WHEN_SHOWN": "1",
        "DOSSIER_HOME": str(home),
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [program, "--db", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    painted = None
    for line in process.stdout:
        if "first paint" in line:
            painted = time.perf_counter() - started
    stderr = process.stderr.read()
    if process.wait() != 0 or painted is None:
        raise SystemExit(f"{program}: no first paint (exit {process.returncode}): {stderr}")
    return painted


def folder_size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--installed", default="/usr/bin/dossier")
    parser.add_argument("--pip", default=str(ROOT / ".venv" / "bin" / "dossier"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--bundle", type=Path, help="the bundle's folder, for its size")
    parser.add_argument("--deb", type=Path, help="the .deb, for its size")
    args = parser.parse_args(argv)
    for program in (args.installed, args.pip):
        if not Path(program).exists():
            raise SystemExit(f"{program}: not found")

    with tempfile.TemporaryDirectory(prefix="dossier-startup.") as scratch:
        scratch = Path(scratch)
        project = scratch / "project.db"
        home = scratch / "home"
        subprocess.run(
            [args.pip, "--db", str(project), "import", str(args.corpus)],
            check=True,
            capture_output=True,
            env={**os.environ, "DOSSIER_HOME": str(home)},
        )
        programs = {"installed package": args.installed, "pip install": args.pip}
        times: dict[str, list[float]] = {name: [] for name in programs}
        for program in programs.values():
            first_paint(program, project, home)  # warm the disk cache, not timed
        for _ in range(args.runs):
            for name, program in programs.items():
                times[name].append(first_paint(program, project, home))

    print(f"start to first paint, offscreen, median of {args.runs} runs each (2 cores)")
    for name, values in times.items():
        print(
            f"  {name:18} {statistics.median(values) * 1000:7.0f} ms  "
            f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"
        )
    ratio = statistics.median(times["installed package"]) / statistics.median(times["pip install"])
    print(f"installed package / pip install: {ratio:.2f}x (target: no slower, <= 1.00x)")
    if args.bundle:
        print(f"bundle on disk: {folder_size(args.bundle) / 1e6:.0f} MB (target < 400 MB)")
    if args.deb:
        print(f".deb: {args.deb.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
