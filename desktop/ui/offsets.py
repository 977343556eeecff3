"""The one place where Qt text positions and Python offsets meet; nothing else converts.

A document's offsets are Python code points into its text exactly as imported. Qt counts
UTF-16 units (an emoji or other astral character is two) and turns ``\\r\\n`` into one
paragraph separator. Every other character is one unit in both: a lone ``\\r``, ``\\n``
and U+2029 each become one separator, U+2028 stays a character of its block, and combining
marks, variation selectors and right-to-left letters are ordinary characters.
"""

from __future__ import annotations

import re
from bisect import bisect_right

# Everything whose length differs between Python and Qt: astral characters (+1 in Qt) and
# CRLF pairs (-1 in Qt).
_LENGTH_CHANGES = re.compile("[\U00010000-\U0010ffff]|\r\n")


class OffsetMap:
    """Converts positions of one text between Qt (``QTextDocument``) and Python.

    Built in one pass over the text; each conversion is a binary search.
    """

    __slots__ = ("_deltas", "_python_points", "_qt_points", "python_length", "qt_length")

    def __init__(self, text: str):
        python_points = [0]
        qt_points = [0]
        deltas = [0]
        delta = 0
        if not text.isascii() or "\r\n" in text:
            for match in _LENGTH_CHANGES.finditer(text):
                after = match.end()
                delta += -1 if after - match.start() == 2 else 1
                python_points.append(after)
                qt_points.append(after + delta)
                deltas.append(delta)
        self._python_points = python_points
        self._qt_points = qt_points
        self._deltas = deltas
        self.python_length = len(text)
        self.qt_length = len(text) + delta

    def to_qt(self, offset: int) -> int:
        """The Qt position of a Python offset. An offset between ``\\r`` and ``\\n`` is the
        start of the next paragraph, as in Qt."""
        return offset + self._deltas[bisect_right(self._python_points, offset) - 1]

    def to_python(self, position: int) -> int:
        """The Python offset of a Qt position. A position between the two halves of a
        surrogate pair (Qt never puts its cursor there) counts as after the character."""
        return position - self._deltas[bisect_right(self._qt_points, position) - 1]

    def to_qt_range(self, start: int, end: int) -> tuple[int, int]:
        return self.to_qt(start), self.to_qt(end)

    def to_python_range(self, start: int, end: int) -> tuple[int, int]:
        """Python offsets of a Qt selection, in order (a selection may run backwards)."""
        if start > end:
            start, end = end, start
        return self.to_python(start), self.to_python(end)

    @property
    def is_identity(self) -> bool:
        """True when Qt positions and Python offsets coincide (no emoji, no CRLF)."""
        return len(self._deltas) == 1
