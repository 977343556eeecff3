"""spaCy tokens for Dossier: one shared blank tokenizer per language (or one of its own, for
a user that writes to its vocabulary), and snapping to tokens.

spaCy is imported on first use, never at import time, so that the window can appear before
spaCy has loaded. Token offsets are Python code points, like every offset in Dossier.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from spacy.language import Language
    from spacy.tokens import Doc

DEFAULT_LANGUAGE = "en"
PIECE = 20_000  # characters per call into spaCy: it holds Python's lock for a whole call
# Characters per call when only tokens are wanted. spaCy's tokenizer stops caching the words
# of a call once it has met a special case ("'s", "U.S."), so on news text short calls
# tokenize several times faster; the tokens are the same, as pieces end after line breaks.
TOKEN_PIECE = 2_000
_LINE_BREAK = re.compile("[\n\r\u2028\u2029]")
ZWJ = "\u200d"
_pipelines: dict[str, Language] = {}
_lock = threading.Lock()


def blank(language: str | None = None) -> Language:
    """A blank spaCy pipeline (tokenizer only) for ``language``, shared and made once.

    An unknown or missing language falls back to English; ``xx`` is spaCy's
    multi-language tokenizer.
    """
    code = (language or DEFAULT_LANGUAGE).split("-")[0].split("_")[0].lower() or DEFAULT_LANGUAGE
    with _lock:
        pipeline = _pipelines.get(code)
        if pipeline is None:
            try:
                pipeline = own_blank(code)
            except Exception:  # spaCy raises ImportError or its own error for unknown codes
                pipeline = _pipelines.get(DEFAULT_LANGUAGE) or own_blank(DEFAULT_LANGUAGE)
            _pipelines[code] = pipeline
        return pipeline


def own_blank(language: str) -> Language:
    """A new blank pipeline for the spaCy language code ``language``, with a vocabulary of
    its own: for a user that writes to its lexemes, which the shared one must not see."""
    import spacy

    pipeline = spacy.blank(language)
    pipeline.max_length = 10**8  # tokenizing only: long articles are fine
    return pipeline


def tokenize(text: str, language: str | None = None) -> Doc:
    """The spaCy Doc of ``text``, tokens only (no length limit: the tokenizer is linear)."""
    return blank(language).tokenizer(text)


def extends_cluster(char: str) -> bool:
    """Whether ``char`` attaches to the character before it, so that no span may begin at it:
    combining marks, variation selectors, emoji skin tones, tag characters and the joiner."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char == ZWJ
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0xE0100 <= code <= 0xE01EF
    )


def text_pieces(text: str, size: int = PIECE) -> list[tuple[int, int]]:
    """[start, end) ranges that cover ``text`` in order, each ending just after a line break
    at most ``size`` characters on (or, when there is none, at the first one after; or at
    the end of the text)."""
    ranges = []
    start = 0
    while start < len(text):
        end = start + size
        if end >= len(text):
            end = len(text)
        else:
            back = max(text.rfind(mark, start, end) for mark in "\n\r\u2028\u2029")
            if back > start:
                end = back + 1
            else:
                after = _LINE_BREAK.search(text, end)
                end = after.end() if after else len(text)
        ranges.append((start, end))
        start = end
    return ranges


def token_bounds(text: str, language: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Where the words of ``text`` start and end (the tokens of :meth:`TokenIndex.of`), as
    two numpy arrays of code point offsets, for work over many tokens at once."""
    import numpy as np
    from spacy.attrs import IDX, IS_SPACE, LENGTH

    found = [np.zeros((0, 2), np.int64)]
    for offset, end in text_pieces(text, TOKEN_PIECE):
        columns = tokenize(text[offset:end], language).to_array([IDX, LENGTH, IS_SPACE])
        words = columns[columns[:, 2] == 0, :2].astype(np.int64)
        words[:, 0] += offset
        found.append(words)
    words = np.concatenate(found)
    starts = words[:, 0]
    ends = starts + words[:, 1]
    if text.isascii() or len(starts) < 2:
        return starts, ends
    # A skin tone or combining mark belongs to what it follows: a token that starts where
    # the one before ends joins it when it begins with such a mark or follows a joiner.
    # Every such character is at U+0300 or above, so only those tokens need a closer look.
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    touching = np.flatnonzero(starts[1:] == ends[:-1]) + 1
    first_points = points[starts[touching]]
    touching = touching[(first_points >= 0x300) | (points[starts[touching] - 1] == ord(ZWJ))]
    joins = [
        index
        for index in touching.tolist()
        if extends_cluster(text[starts[index]]) or text[starts[index] - 1] == ZWJ
    ]
    if not joins:
        return starts, ends
    kept = np.ones(len(starts), bool)
    kept[joins] = False
    first = np.flatnonzero(kept)
    last = np.append(first[1:] - 1, len(starts) - 1)
    return starts[first], ends[last]


@dataclass(frozen=True, slots=True)
class TokenIndex:
    """Where the words of a text start and end, for fast snapping of selections.

    Whitespace tokens (spaCy makes one of ``"\\r\\n"``, say) are left out: a selection never
    snaps onto them.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    length: int

    @classmethod
    def of(cls, text: str, language: str | None = None) -> TokenIndex:
        """The tokens of ``text``, tokenized in pieces cut after line breaks: spaCy holds
        Python's lock for a whole call, and short calls let the window keep drawing."""
        starts, ends = token_bounds(text, language)
        return cls(tuple(starts.tolist()), tuple(ends.tolist()), len(text))

    def snap(self, start: int, end: int) -> tuple[int, int]:
        """``[start, end)`` made of whole tokens: every token it touches, kept whole, and
        the whitespace at its edges dropped. A selection of only whitespace is returned
        unchanged."""
        if not self.starts or start >= end:
            return start, end
        first = bisect.bisect_right(self.ends, start)  # the first token ending after start
        last = bisect.bisect_left(self.starts, end) - 1  # the last token starting before end
        if first > last:
            return start, end
        return self.starts[first], self.ends[last]

    def token_at(self, offset: int) -> tuple[int, int] | None:
        """The token covering ``offset``, if any."""
        index = bisect.bisect_right(self.starts, offset) - 1
        if index >= 0 and self.starts[index] <= offset < self.ends[index]:
            return self.starts[index], self.ends[index]
        return None
