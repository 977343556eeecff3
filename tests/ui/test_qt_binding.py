"""The installed Qt binding does what the document view relies on."""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QTextLayout


def test_positioning_text_lines_keeps_references_to_none(qapp):
    """PySide6 6.12.0 drops a reference to None on each QTextLine.setPosition, which
    crashes Python 3.11; pyproject.toml excludes it, and this test catches a regression."""
    layout = QTextLayout("Kataib Hezbollah said on Thursday " * 20)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(200)
    layout.endLayout()
    before = sys.getrefcount(None)
    for _ in range(200):
        line.setPosition(QPointF(0, 3.0))
    assert sys.getrefcount(None) >= before - 5
