"""The package's parts: icons, desktop entry, AppStream metainfo, and the .deb's layout and
dependencies, built with the real dpkg-deb from a small bundle. The real bundle is built,
installed and used by packaging/smoke.sh in CI (.ci/run)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
REQUIRE_TOOLS = os.environ.get("DOSSIER_REQUIRE_TOOLS") == "1"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


make_icons = load("make_icons")
deb = load("deb")


def tool(name: str) -> str:
    """The program ``name``; CI installs them all, elsewhere a missing one skips the test."""
    found = shutil.which(name)
    if found is None:
        if REQUIRE_TOOLS:
            pytest.fail(f"{name} is not installed, and CI needs it (DOSSIER_REQUIRE_TOOLS=1)")
        pytest.skip(f"{name} is not installed")
    return found


def qimage(data: bytes):
    from PySide6.QtGui import QImage

    image = QImage.fromData(data)
    assert not image.isNull()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def difference(a, b) -> float:
    """The mean absolute difference of two same-sized images' channels, 0 to 255."""
    import numpy as np

    assert a.size() == b.size()
    arrays = [
        np.frombuffer(bytes(image.constBits()), dtype=np.uint8)[: image.sizeInBytes()]
        for image in (a, b)
    ]
    return float(np.abs(arrays[0].astype(int) - arrays[1].astype(int)).mean())


def read_all(path: Path):
    """Every image of an .ico or .icns file, as Qt reads it."""
    from PySide6.QtGui import QImage, QImageReader

    reader = QImageReader(str(path))
    images = []
    for index in range(reader.imageCount()):
        assert reader.jumpToImage(index)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        images.append(image.convertToFormat(QImage.Format.Format_ARGB32))
    return images


@pytest.mark.parametrize(
    ("name", "sizes"),
    [("dossier.ico", make_icons.ICO_SIZES), ("dossier.icns", (32, 64, 128, 256, 512, 1024))],
)
def test_the_windows_and_macos_icons_hold_the_svg_drawn_at_each_size(qapp, name, sizes):
    images = read_all(PACKAGING / "icons" / name)
    assert sorted({image.width() for image in images}) == sorted(sizes)
    for image in images:
        assert image.width() == image.height()
        # Drawn from today's SVG: a changed SVG without make_icons.py run again fails here.
        assert difference(image, qimage(make_icons.render(image.width()))) < 1.0, image.width()


def test_the_hicolor_icons_are_drawn_at_every_size(qapp, tmp_path):
    written = make_icons.write_hicolor(tmp_path)
    for size in make_icons.HICOLOR_SIZES:
        path = tmp_path / f"{size}x{size}" / "apps" / "dossier.png"
        assert path in written
        image = qimage(path.read_bytes())
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() == 255  # drawn, not empty
        assert image.pixelColor(0, 0).alpha() == 0  # the corner is transparent
    assert (tmp_path / "scalable" / "apps" / "dossier.svg").read_bytes() == (
        ROOT / "resources" / "icons" / "dossier.svg"
    ).read_bytes()


def test_the_metainfo_passes_appstream_validation():
    appstreamcli = tool("appstreamcli")
    metainfo = PACKAGING / f"{deb.APP_ID}.metainfo.xml"
    result = subprocess.run(
        [appstreamcli, "validate", "--no-net", str(metainfo)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = metainfo.read_text(encoding="utf-8")
    assert f"<id>{deb.APP_ID}</id>" in text
    assert f'<release version="{__version__}"' in text  # the release being packaged is listed
    assert '<launchable type="desktop-id">dossier.desktop</launchable>' in text


def test_the_desktop_entry_passes_validation_and_starts_dossier():
    validate = tool("desktop-file-validate")
    entry = PACKAGING / "dossier.desktop"
    result = subprocess.run([validate, str(entry)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    fields = dict(line.split("=", 1) for line in entry.read_text().splitlines() if "=" in line)
    assert fields["Exec"] == "dossier"  # on the PATH of both the package and a pip install
    assert fields["Icon"] == "dossier"


def fake_bundle(folder: Path, program: str = "/bin/ls") -> Path:
    """A bundle folder shaped like PyInstaller's: an executable ``dossier`` (a system
    program that loads system libraries) and an _internal folder."""
    folder.mkdir()
    shutil.copyfile(program, folder / "dossier")
    (folder / "dossier").chmod(0o700)
    internal = folder / "_internal"
    (internal / "resources").mkdir(parents=True)
    (internal / "resources" / "labels.json").write_text("{}")
    (internal / "resources" / "labels.json").chmod(0o600)
    return folder


def test_the_deb_installs_the_bundle_under_opt_with_dossier_on_the_path(qapp, tmp_path):
    tool("dpkg-deb")
    bundle = fake_bundle(tmp_path / "dossier")
    package = deb.build(bundle, tmp_path / "out")
    assert package.name == f"dossier_{__version__}_{deb.architecture()}.deb"

    fields = subprocess.run(
        ["dpkg-deb", "-f", str(package)], capture_output=True, text=True, check=True
    ).stdout
    control = dict(
        line.split(": ", 1) for line in fields.splitlines() if ": " in line and line[0] != " "
    )
    assert control["Package"] == "dossier"
    assert control["Version"] == __version__
    assert control["Architecture"] == deb.architecture()
    depends = [part.strip() for part in control["Depends"].split(",")]
    # ls loads the C library and SELinux's; the C library at the symbol version it needs.
    assert depends[0].startswith("libc6 (>= 2.")
    assert "libselinux1" in depends
    assert int(control["Installed-Size"]) >= (bundle / "dossier").stat().st_size // 1024

    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(package)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    entries = {}
    for line in listing:
        mode, owners, _size, _date, _time, name, *rest = line.split()
        entries[name.lstrip(".")] = (mode, owners, rest)
    assert all(owners == "root/root" for _mode, owners, _rest in entries.values())
    assert entries["/opt/dossier/dossier"][0] == "-rwxr-xr-x"
    assert entries["/opt/dossier/_internal/resources/labels.json"][0] == "-rw-r--r--"
    assert entries["/usr/bin/dossier"][0].startswith("l")
    assert entries["/usr/bin/dossier"][2] == ["->", "/opt/dossier/dossier"]
    assert "/usr/share/applications/dossier.desktop" in entries
    assert f"/usr/share/metainfo/{deb.APP_ID}.metainfo.xml" in entries
    assert "/usr/share/icons/hicolor/scalable/apps/dossier.svg" in entries
    for size in make_icons.HICOLOR_SIZES:
        assert f"/usr/share/icons/hicolor/{size}x{size}/apps/dossier.png" in entries
    assert "/usr/share/doc/dossier/copyright" in entries

    # What the package installs is what was built: the entry, byte for byte.
    unpacked = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(package), str(unpacked)], check=True)
    assert (unpacked / "usr/share/applications/dossier.desktop").read_bytes() == (
        PACKAGING / "dossier.desktop"
    ).read_bytes()
    assert (unpacked / "opt/dossier/dossier").read_bytes() == Path("/bin/ls").read_bytes()


def ghost_program(folder: Path) -> Path:
    """A program linked against libdossierghost.so, which is then deleted."""
    gcc = tool("gcc")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ghost.c").write_text("int ghost(void) { return 1; }\n")
    (folder / "main.c").write_text("int ghost(void);\nint main(void) { return ghost(); }\n")
    subprocess.run(
        [
            gcc,
            "-shared",
            "-fPIC",
            "-o",
            str(folder / "libdossierghost.so"),
            str(folder / "ghost.c"),
        ],
        check=True,
    )
    program = folder / "program"
    subprocess.run(
        [gcc, "-o", str(program), str(folder / "main.c"), f"-L{folder}", "-ldossierghost"],
        check=True,
    )
    (folder / "libdossierghost.so").unlink()
    return program


def test_a_library_the_bundle_needs_and_this_machine_lacks_stops_the_package(tmp_path):
    program = ghost_program(tmp_path / "c")
    bundle = fake_bundle(tmp_path / "dossier", str(program))
    with pytest.raises(deb.PackagingError) as raised:
        deb.depends(bundle)
    assert "libdossierghost.so" in str(raised.value)
    assert "dossier" in str(raised.value)  # the file that needs it


def test_a_qt_plugin_for_another_platform_does_not_make_its_libraries_dependencies(tmp_path):
    program = ghost_program(tmp_path / "c")
    bundle = fake_bundle(tmp_path / "dossier")
    plugins = bundle / "_internal" / "PySide6" / "Qt" / "plugins" / "platforms"
    plugins.mkdir(parents=True)
    shutil.copyfile(program, plugins / "libqwayland-egl.so")
    depends = deb.depends(bundle)  # the Wayland plugin's missing library is not asked for
    assert "ghost" not in depends
    assert depends.startswith("libc6 (>= 2.")


def test_modes_are_normalised_whatever_the_umask(tmp_path):
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "program").write_bytes(Path("/bin/ls").read_bytes())
    (root / "bin" / "program").chmod(0o700)
    (root / "bin" / "libx.so.1").write_bytes(b"\x7fELF" + b"\0" * 60)
    (root / "bin" / "notes.txt").write_text("x")
    (root / "bin" / "notes.txt").chmod(0o600)
    deb.normalise_modes(root)
    mode = lambda name: stat.S_IMODE((root / "bin" / name).stat().st_mode)  # noqa: E731
    assert (mode("program"), mode("libx.so.1"), mode("notes.txt")) == (0o755, 0o644, 0o644)
    assert stat.S_IMODE((root / "bin").stat().st_mode) == 0o755
