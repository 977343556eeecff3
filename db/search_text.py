"""Folding text for corpus search: diacritics and apostrophes set aside, so that "Kataib"
finds "Kata’ib" and "Katáib", with exact offsets back into the document's text.

Folding is per code point (``fold(a + b) == fold(a) + fold(b)``), so that a hit in the folded
text maps back to a stretch of the original, and the index of a document (:func:`index_key`)
holds every folded form of every stretch of it.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass

import numpy as np

# Characters written for an apostrophe or a transliterated hamza or ayn, and the accents
# typed in their place: a search sets them all aside.
APOSTROPHES = frozenset("'`´‘’‚‛′‵ʹʻʼʽʾʿˈˊˋ＇ꞌ")
# Letters that are one letter with a stroke or two letters joined, rather than a letter
# with a mark, and which searchers type without.
_SPECIAL = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "ħ": "h",
    "Ħ": "H",
    "ı": "i",
}
_VIRAMA = 9  # canonical combining class of a virama: it changes the letters, it is no accent


def _is_accent(char: str) -> bool:
    """A combining mark that sits on a letter (accents, Arabic harakat, Hebrew points);
    spacing vowel signs and viramas of Indic scripts are letters' parts and kept."""
    combining = unicodedata.combining(char)
    return combining != 0 and combining != _VIRAMA


def _is_ligature(char: str) -> bool:
    decomposition = unicodedata.decomposition(char)
    return decomposition.startswith("<compat>") and "LIGATURE" in unicodedata.name(char, "")


def fold_char(char: str) -> str:
    """The folded form of one code point: "" for an apostrophe or an accent on its own,
    the bare letter for an accented one, the letters of a ligature, ß as ss."""
    if char in APOSTROPHES:
        return ""
    special = _SPECIAL.get(char)
    if special is not None:
        return special
    if _is_accent(char):
        return ""
    if char.isascii():
        return char
    form = "NFKD" if _is_ligature(char) else "NFD"
    decomposed = unicodedata.normalize(form, char)
    kept = "".join(
        _SPECIAL.get(part, part)
        for part in decomposed
        if not _is_accent(part) and part not in APOSTROPHES
    )
    if kept == decomposed and form == "NFD":
        return char  # nothing set aside (Hangul decomposes into its letters): keep it whole
    return unicodedata.normalize("NFC", kept)


class _FoldTable(dict):
    """``str.translate``'s table, filled a code point at a time as texts meet them."""

    def __missing__(self, point: int) -> str:
        char = chr(point)
        folded = fold_char(char)
        self[point] = folded
        return folded


_TABLE = _FoldTable()
_SHORT = 256  # below this many code points, str.translate costs least
_APOSTROPHE, _GRAVE = ord("'"), ord("`")


def _changing(text: str) -> tuple[np.ndarray | None, dict[str, str]]:
    """The code points of ``text`` (as numpy integers), and its characters that fold to
    something else, with their folds.

    Most code points of a text fold to themselves: numpy finds the few distinct ones that
    may not (all but ASCII, and ASCII's apostrophes), and the table says which of those do.
    """
    if text.isascii() and "'" not in text and "`" not in text:
        return None, {}
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    distinct = set(points[points > 127].tolist())
    if "'" in text:
        distinct.add(_APOSTROPHE)
    if "`" in text:
        distinct.add(_GRAVE)
    table = _TABLE
    changing = {}
    for point in distinct:
        folded = table[point]
        if folded != chr(point):
            changing[chr(point)] = folded
    return points, changing


def _replaced(text: str, changing: dict[str, str]) -> str:
    # Each fold is made of code points that fold to themselves, so replacing one character
    # after another is the fold of the whole.
    for char, folded in changing.items():
        text = text.replace(char, folded)
    return text


def fold(text: str) -> str:
    """``text`` with diacritics removed (NFD, accents dropped), apostrophes dropped, ß as
    ss, æ as ae, œ as oe and ligatures expanded; case is kept. Per code point."""
    if len(text) < _SHORT:
        return text.translate(_TABLE)
    return _replaced(text, _changing(text)[1])


def index_key(text: str) -> str:
    """What the database's search index holds of ``text``: its fold, case-folded. Per code
    point, like :func:`fold`: a stretch of a text that matches a search (in any case, folded
    or not) has its key inside the text's key."""
    return fold(text).casefold()


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A text and its fold, with offsets of the fold mapped back to the text.

    Only the code points whose fold is not exactly one code point are listed (most texts
    have few): between two of them, offsets differ by a constant.
    """

    text: str
    folded: str
    # For each code point that shifts offsets, in order: where its fold starts in the fold,
    # where it is in the text, the length of its fold, whether it is an accent (which
    # belongs to the letter before it).
    _folded_at: tuple[int, ...]
    _text_at: tuple[int, ...]
    _lengths: tuple[int, ...]
    _accents: tuple[bool, ...]

    @classmethod
    def of(cls, text: str) -> FoldedText:
        points, changing = _changing(text)
        folded = _replaced(text, changing)
        shifting = [ord(char) for char, fold in changing.items() if len(fold) != 1]
        if not shifting:
            return cls(text, folded, (), (), (), ())
        # Where the code points that shift offsets are: found by numpy, counted in Python
        # (a text has few of them).
        mask = points == shifting[0]
        for point in shifting[1:]:
            mask |= points == point
        places = np.flatnonzero(mask).tolist()
        length_of = {point: len(_TABLE[point]) for point in shifting}
        lengths = [length_of[ord(text[place])] for place in places]
        folded_at = []
        shift = 0
        for place, length in zip(places, lengths, strict=True):
            folded_at.append(place + shift)
            shift += length - 1
        accents = [
            length == 0 and _is_accent(text[place])
            for place, length in zip(places, lengths, strict=True)
        ]
        return cls(text, folded, tuple(folded_at), tuple(places), tuple(lengths), tuple(accents))

    def start(self, index: int) -> int:
        """The offset in the text of a hit starting at ``index`` of the fold (past the
        apostrophes and accents set aside just before it)."""
        found = bisect.bisect_right(self._folded_at, index) - 1
        if found < 0:
            return index
        folded_at = self._folded_at[found]
        length = self._lengths[found]
        if index < folded_at + length:  # inside the fold of one code point (ß, ligatures)
            return self._text_at[found]
        return self._text_at[found] + 1 + index - folded_at - length

    def end(self, index: int) -> int:
        """The offset in the text of a hit ending at ``index`` of the fold: after the last
        code point folded into it, and after the accents on that one."""
        if index <= 0:
            return 0
        end = self.start(index - 1) + 1
        found = bisect.bisect_left(self._folded_at, index)
        while (
            found < len(self._folded_at)
            and self._folded_at[found] == index
            and self._lengths[found] == 0
            and self._accents[found]
            and self._text_at[found] == end
        ):
            end += 1
            found += 1
        return end
