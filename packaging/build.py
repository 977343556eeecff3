"""Build Dossier's one-folder bundle with PyInstaller, and on Linux its .deb.

From a clean checkout (Python 3.10 or newer):

    python3 -m venv .venv && .venv/bin/pip install -e ".[bundle]"
    .venv/bin/python packaging/build.py            # dist/dossier/ and dist/dossier_VERSION_ARCH.deb

    --no-deb     the bundle only
    --out DIR    where the bundle and the package go (default dist/)

The same script builds on Windows (dist/dossier/dossier.exe and dossier-gui.exe) and macOS
(dist/Dossier.app); packaging/windows/build.ps1 and packaging/macos/build.sh wrap it and
package the result there. It prints the bundle's size on disk and the package's size.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "dossier.spec"
# Qt modules that must not be in the bundle (Dossier uses Core, Gui, Widgets and Svg).
LEFT_OUT = ("Qml", "Quick", "WebEngine", "3D", "Network", "Pdf", "Multimedia", "Sql", "Test")


def folder_size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.0f} MB"


def bundle(out: Path, work: Path) -> Path:
    """Run PyInstaller on packaging/dossier.spec; returns the bundle's folder."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit(
            'build.py: PyInstaller is not installed: pip install -e ".[bundle]" first'
        ) from None
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level=WARN",
            f"--distpath={out}",
            f"--workpath={work}",
            str(SPEC),
        ],
        check=True,
        cwd=ROOT,
    )
    folder = out / "dossier"
    unwanted = sorted(
        path.name
        for path in folder.rglob("*Qt6*")
        if path.name.startswith(
            tuple(f"{prefix}Qt6{module}" for prefix in ("lib", "") for module in LEFT_OUT)
        )
    )
    if unwanted:
        raise SystemExit(f"build.py: Qt modules Dossier leaves out are in the bundle: {unwanted}")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--no-deb", action="store_true", help="build the bundle only")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    started = time.perf_counter()
    folder = bundle(out, args.work.resolve())
    print(
        f"bundle: {folder} ({megabytes(folder_size(folder))} on disk), "
        f"built in {time.perf_counter() - started:.0f} s"
    )
    if sys.platform.startswith("linux") and not args.no_deb:
        if shutil.which("dpkg-deb") is None:
            raise SystemExit(
                "build.py: dpkg-deb is not installed (Debian's dpkg); or pass --no-deb"
            )
        sys.path.insert(0, str(ROOT / "packaging"))
        import deb

        started = time.perf_counter()
        try:
            package = deb.build(folder, out)
        except deb.PackagingError as exc:
            raise SystemExit(f"build.py: {exc}") from None
        print(
            f"package: {package} ({megabytes(package.stat().st_size)}), "
            f"built in {time.perf_counter() - started:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
