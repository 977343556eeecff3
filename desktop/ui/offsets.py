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
from collections.abc import Sequence

import numpy as np

# Everything whose length differs between Python and Qt: astral characters (+1 in Qt) and
# CRLF pairs (-1 in Qt).
_LENGTH_CHANGES = re.compile("[\U00010000-\U0010ffff]|\r\n")
CHUNK = 32_768


class OffsetMap:
    """Converts positions of one text between Qt (``QTextDocument``) and Python.

    The text is cut into chunks (never between ``\\r`` and ``\\n``) whose length in Qt is
    counted at C speed; the individual differences inside a chunk are listed only when a
    position in it is first asked for. Opening a 1 MB article therefore costs a few
    milliseconds, and each conversion is two binary searches.
    """

    __slots__ = (
        "_chunks",
        "_everywhere",
        "_python_starts",
        "_qt_starts",
        "_text",
        "python_length",
        "qt_length",
    )

    def __init__(self, text: str):
        self._text = text
        python_starts = [0]
        qt_starts = [0]
        position = 0
        qt_position = 0
        length = len(text)
        while position < length:
            end = min(position + CHUNK, length)
            if end < length and text[end - 1] == "\r" and text[end] == "\n":
                end += 1
            piece = text[position:end]
            qt_position += len(piece.encode("utf-16-le", "surrogatepass")) // 2 - piece.count(
                "\r\n"
            )
            position = end
            python_starts.append(position)
            qt_starts.append(qt_position)
        self._python_starts = python_starts
        self._qt_starts = qt_starts
        self._chunks: dict[int, tuple[list[int], list[int], list[int]]] = {}
        self._everywhere: tuple[np.ndarray, np.ndarray] | None = None
        self.python_length = length
        self.qt_length = qt_position

    def _changes(self, index: int) -> tuple[list[int], list[int], list[int]]:
        """(Python points, Qt points, deltas) inside chunk ``index``, relative to its start."""
        found = self._chunks.get(index)
        if found is None:
            start, end = self._python_starts[index], self._python_starts[index + 1]
            python_points, qt_points, deltas = [0], [0], [0]
            delta = 0
            for match in _LENGTH_CHANGES.finditer(self._text, start, end):
                after = match.end() - start
                delta += -1 if match.end() - match.start() == 2 else 1
                python_points.append(after)
                qt_points.append(after + delta)
                deltas.append(delta)
            found = self._chunks[index] = (python_points, qt_points, deltas)
        return found

    def to_qt(self, offset: int) -> int:
        """The Qt position of a Python offset. An offset between ``\\r`` and ``\\n`` is the
        start of the next paragraph, as in Qt."""
        index = min(bisect_right(self._python_starts, offset) - 1, len(self._python_starts) - 2)
        if index < 0:
            return offset
        local = offset - self._python_starts[index]
        python_points, _, deltas = self._changes(index)
        return self._qt_starts[index] + local + deltas[bisect_right(python_points, local) - 1]

    def to_qt_many(self, offsets: Sequence[int]) -> list[int]:
        """The Qt positions of many Python offsets, each as :meth:`to_qt` gives it: one
        search over the whole text's length changes, for every span of a long article."""
        points, deltas = self._all_changes()
        values = np.asarray(offsets, dtype=np.int64)
        found = deltas[np.searchsorted(points, values, side="right") - 1]
        return np.where(values < 0, values, values + found).tolist()

    def _all_changes(self) -> tuple[np.ndarray, np.ndarray]:
        """(Python points, deltas) of the whole text, as :meth:`_changes` lists them for
        one chunk: each astral character and CRLF pair changes the delta after it."""
        if self._everywhere is None:
            codes = np.frombuffer(self._text.encode("utf-32-le", "surrogatepass"), np.uint32)
            astral = np.flatnonzero(codes > 0xFFFF)
            crlf = np.flatnonzero((codes[:-1] == 0x0D) & (codes[1:] == 0x0A))
            points = np.concatenate((astral + 1, crlf + 2))
            steps = np.concatenate((np.ones(len(astral), np.int64), -np.ones(len(crlf), np.int64)))
            order = np.argsort(points, kind="stable")
            self._everywhere = (
                np.concatenate(([0], points[order])).astype(np.int64),
                np.concatenate(([0], np.cumsum(steps[order]))).astype(np.int64),
            )
        return self._everywhere

    def to_python(self, position: int) -> int:
        """The Python offset of a Qt position. A position between the two halves of a
        surrogate pair (Qt never puts its cursor there) counts as after the character."""
        index = min(bisect_right(self._qt_starts, position) - 1, len(self._qt_starts) - 2)
        if index < 0:
            return position
        local = position - self._qt_starts[index]
        _, qt_points, deltas = self._changes(index)
        return self._python_starts[index] + local - deltas[bisect_right(qt_points, local) - 1]

    def to_python_range(self, start: int, end: int) -> tuple[int, int]:
        """Python offsets of a Qt selection, in order (a selection may run backwards)."""
        if start > end:
            start, end = end, start
        return self.to_python(start), self.to_python(end)

    @property
    def is_identity(self) -> bool:
        """True when Qt positions and Python offsets coincide (no emoji, no CRLF)."""
        return self.qt_length == self.python_length and not _LENGTH_CHANGES.search(self._text)
