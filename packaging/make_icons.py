"""Dossier's icon at every size a package needs, drawn from resources/icons/dossier.svg.

    python packaging/make_icons.py                  (packaging/icons/dossier.ico and .icns)
    python packaging/make_icons.py --hicolor DIR    (DIR/NxN/apps/dossier.png, and scalable)

Qt draws each size from the SVG (so small sizes are drawn, not shrunk from a large one);
Pillow writes the Windows .ico and the macOS .icns from those drawings. The .ico and .icns
are kept in the repository, so that building on Windows or macOS needs neither step; the
Linux package draws its hicolor PNGs when it is built.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "dossier.svg"
ICONS = ROOT / "packaging" / "icons"

# The freedesktop hicolor theme's usual sizes; Windows' .ico sizes; macOS's .icns sizes.
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 96, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(size: int) -> bytes:
    """The icon drawn at ``size`` × ``size`` pixels, as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def write_hicolor(folder: Path) -> list[Path]:
    """The hicolor theme's icons under ``folder`` (NxN/apps/dossier.png, scalable/apps/dossier.svg)."""
    written = []
    for size in HICOLOR_SIZES:
        path = folder / f"{size}x{size}" / "apps" / "dossier.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(size))
        written.append(path)
    scalable = folder / "scalable" / "apps" / "dossier.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SVG, scalable)
    written.append(scalable)
    return written


def _images(sizes: tuple[int, ...]):
    from PIL import Image

    return [Image.open(io.BytesIO(render(size))) for size in sizes]


def write_ico(path: Path) -> None:
    """Windows' icon: one drawing per size in ICO_SIZES."""
    images = _images(ICO_SIZES)
    largest = images[-1]
    largest.save(
        path,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=images[:-1],
    )


def write_icns(path: Path) -> None:
    """macOS's icon: one drawing per size in ICNS_SIZES."""
    images = _images(ICNS_SIZES)
    images[-1].save(path, format="ICNS", append_images=images[:-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hicolor", type=Path, help="write the hicolor theme's icons here")
    args = parser.parse_args(argv)
    if args.hicolor:
        for path in write_hicolor(args.hicolor):
            print(path)
        return 0
    ICONS.mkdir(parents=True, exist_ok=True)
    write_ico(ICONS / "dossier.ico")
    write_icns(ICONS / "dossier.icns")
    print(ICONS / "dossier.ico")
    print(ICONS / "dossier.icns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
