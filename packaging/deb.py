"""Dossier's .deb, made with dpkg-deb from the one-folder bundle (packaging/dossier.spec).

    python packaging/deb.py dist/dossier [--out dist]

The package installs the bundle under /opt/dossier, puts `dossier` on the PATH
(/usr/bin/dossier, a link to the bundle's executable), and installs the freedesktop entry,
the icon in the hicolor theme at every size, and the AppStream metainfo. Its dependencies
are the system libraries the bundle's programs and libraries load from outside the bundle
(read with ldd, each mapped to its package with dpkg -S), and the C library at the newest
symbol version any of them asks for. packaging/build.py calls this after PyInstaller.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(PACKAGING))

import make_icons  # noqa: E402

from desktop import __version__  # noqa: E402

NAME = "dossier"
APP_ID = "org.dossierapp.Dossier"
PREFIX = Path("/opt/dossier")
MAINTAINER = "The Dossier developers <dossier@dossierapp.org>"
DESCRIPTION = """\
workbench for analysts who tag claims, actors and events in news
 Dossier is a desktop application for analysts who study news: they read
 articles, highlight spans, tag them as claims, actors or events, and keep
 everything in a local database (SQLite, or a team's PostgreSQL server), from
 which they export labelled datasets (spaCy, Prodigy, doccano, brat, Label
 Studio, INCEpTION) and review one another's tags.
 .
 This package holds a self-contained build: Python, Qt and spaCy come with it."""

# Qt plugins (and the Qt libraries only they load) for a platform a desktop may not have:
# what they load is not made a dependency. Without Wayland's libraries, say, Qt does not load
# its Wayland plugin and uses X11's. Every other library the bundle loads must be found.
OPTIONAL_PLUGINS = (
    "Qt/lib/libQt6Wayland",
    "Qt/lib/libQt6WlShellIntegration",
    "Qt/lib/libQt6EglFs",
    "wayland-",
    "egldeviceintegrations",
    "platforms/libqwayland",
    "platforms/libqeglfs",
    "platforms/libqlinuxfb",
    "platforms/libqvnc",
    "platforms/libqvkkhrdisplay",
    "platformthemes/libqgtk3",
    "platformthemes/libqxdgdesktopportal",
    "platforminputcontexts/",
    "xcbglintegrations/",
    "tls/",
    "networkinformation/",
    "sqldrivers/",
)


class PackagingError(Exception):
    """The bundle cannot be packaged; the message says why."""


def is_elf(path: Path) -> bool:
    if not path.is_file() or path.is_symlink():
        return False
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def elf_files(bundle: Path) -> list[Path]:
    return sorted(path for path in bundle.rglob("*") if is_elf(path))


def optional(path: Path, bundle: Path) -> bool:
    relative = path.relative_to(bundle).as_posix()
    return any(part in relative for part in OPTIONAL_PLUGINS)


def system_libraries(bundle: Path) -> tuple[set[Path], dict[str, list[Path]]]:
    """The libraries outside ``bundle`` that its ELF files load (as ldd resolves them on
    this machine), and the libraries not found, each with the files that need it; files of
    optional plugins (OPTIONAL_PLUGINS) are left out of both."""
    found: set[Path] = set()
    missing: dict[str, list[Path]] = {}
    bundle = bundle.resolve()
    for path in elf_files(bundle):
        if optional(path, bundle):
            continue
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
        if result.returncode != 0:  # "not a dynamic executable": a static file, no needs
            continue
        for line in result.stdout.splitlines():
            match = re.match(r"\s*(\S+) => (not found|\S+)", line)
            if match is None:
                continue
            soname, where = match.groups()
            if where == "not found":
                missing.setdefault(soname, []).append(path)
                continue
            resolved = Path(where).resolve()
            if bundle not in resolved.parents:
                found.add(Path(where))
    return found, missing


def owning_packages(libraries: set[Path]) -> set[str]:
    """The Debian packages that install ``libraries`` (dpkg -S), without architecture."""
    packages: set[str] = set()
    for library in sorted(libraries):
        owner = None
        # dpkg knows a file by the path its package installed, which on merged-/usr systems
        # may be the /lib or the /usr/lib spelling of the same file.
        candidates = [str(library), str(library.resolve())]
        for candidate in list(candidates):
            if candidate.startswith("/usr/lib/"):
                candidates.append(candidate[len("/usr") :])
            elif candidate.startswith("/lib/"):
                candidates.append("/usr" + candidate)
        for candidate in candidates:
            result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if result.returncode == 0:
                owner = result.stdout.split(":", 1)[0].split(",")[0].strip()
                break
        if owner is None:
            raise PackagingError(f"{library}: no installed package holds it (dpkg -S)")
        packages.add(owner)
    return packages


def glibc_version(bundle: Path) -> tuple[int, ...]:
    """The newest GLIBC_x.y symbol version any ELF file of ``bundle`` asks for."""
    newest: tuple[int, ...] = (2, 17)
    for path in elf_files(bundle):
        result = subprocess.run(
            ["objdump", "-T", str(path)], capture_output=True, text=True, errors="replace"
        )
        for match in re.finditer(r"GLIBC_(\d+(?:\.\d+)+)", result.stdout):
            version = tuple(int(part) for part in match.group(1).split("."))
            newest = max(newest, version)
    return newest


def depends(bundle: Path) -> str:
    """The package's Depends field for ``bundle``."""
    libraries, missing = system_libraries(bundle)
    if missing:
        lines = [
            f"{soname} (needed by "
            f"{', '.join(str(p.relative_to(bundle)) for p in list(dict.fromkeys(files))[:3])})"
            for soname, files in sorted(missing.items())
        ]
        raise PackagingError(
            "libraries the bundle needs are not installed on this machine, so the package "
            "cannot name them: install them and build again:\n  " + "\n  ".join(lines)
        )
    packages = owning_packages(libraries) - {"libc6"}
    glibc = ".".join(str(part) for part in glibc_version(bundle))
    return ", ".join([f"libc6 (>= {glibc})", *sorted(packages)])


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def desktop_entry() -> str:
    """The freedesktop entry of the installed package: packaging/dossier.desktop."""
    return (PACKAGING / "dossier.desktop").read_text(encoding="utf-8")


def installed_size_kib(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        if path.is_relative_to(root / "DEBIAN"):
            continue
        total += path.lstat().st_size if path.is_file() or path.is_symlink() else 4096
    return (total + 1023) // 1024


def stage(bundle: Path, root: Path, version: str = __version__) -> Path:
    """Lay the package's files out under ``root`` (the future /), with DEBIAN/control."""
    if not (bundle / NAME).is_file():
        raise PackagingError(f"{bundle}: no `{NAME}` executable; build the bundle first")
    target = root / PREFIX.relative_to("/")
    shutil.copytree(bundle, target, symlinks=True)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / NAME).symlink_to(PREFIX / NAME)
    share = root / "usr" / "share"
    applications = share / "applications"
    applications.mkdir(parents=True)
    (applications / "dossier.desktop").write_text(desktop_entry(), encoding="utf-8")
    make_icons.write_hicolor(share / "icons" / "hicolor")
    metainfo = share / "metainfo"
    metainfo.mkdir(parents=True)
    shutil.copyfile(PACKAGING / f"{APP_ID}.metainfo.xml", metainfo / f"{APP_ID}.metainfo.xml")
    doc = share / "doc" / NAME
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Dossier\nCopyright: the Dossier developers\nLicense: MIT\n\n"
        "The bundle under /opt/dossier also holds Python, Qt (LGPL-3.0), PySide6 (LGPL-3.0),\n"
        "spaCy (MIT) and the other libraries Dossier is built on, under their own licences,\n"
        "which are kept beside them in /opt/dossier/_internal.\n",
        encoding="utf-8",
    )
    normalise_modes(root)
    control = root / "DEBIAN"
    control.mkdir()
    (control / "control").write_text(
        f"Package: {NAME}\n"
        f"Version: {version}\n"
        f"Architecture: {architecture()}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_size_kib(root)}\n"
        f"Depends: {depends(target)}\n"
        "Section: science\n"
        "Priority: optional\n"
        "Homepage: https://dossierapp.org\n"
        f"Description: {DESCRIPTION}\n",
        encoding="utf-8",
    )
    return root


def normalise_modes(root: Path) -> None:
    """Directories and programs 0755, other files 0644, whatever the build's umask."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            executable = path.stat().st_mode & stat.S_IXUSR or is_elf(path)
            # Shared libraries need no execute bit, but Debian's own carry 0644; programs 0755.
            program = executable and not path.name.endswith((".so",)) and ".so." not in path.name
            path.chmod(0o755 if program else 0o644)


def build(bundle: Path, out: Path, version: str = __version__) -> Path:
    """Build ``out/dossier_VERSION_ARCH.deb`` from ``bundle``; returns its path."""
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{NAME}_{version}_{architecture()}.deb"
    with tempfile.TemporaryDirectory(prefix="dossier-deb.") as scratch:
        root = stage(bundle, Path(scratch) / "root", version)
        # Files owned by root whoever builds; xz as Debian's own packages are, on every core
        # (87 MB in 72 s on 2 cores, against zstd's 116 MB in 1 s, measured).
        threads = f"--threads-max={os.cpu_count() or 1}"
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zxz", threads, "--build", str(root), str(deb)],
            check=True,
        )
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path, help="the bundle's folder (dist/dossier)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    try:
        deb = build(args.bundle, args.out)
    except PackagingError as exc:
        print(f"deb.py: {exc}", file=sys.stderr)
        return 1
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
