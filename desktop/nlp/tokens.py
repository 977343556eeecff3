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
    from spacy.language import Language
    from spacy.tokens import Doc

DEFAULT_LANGUAGE = "en"
PIECE = 20_000  # characters per call into spaCy: it holds Python's lock for a whole call
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
        starts: list[int] = []
        ends: list[int] = []
        for offset, end in text_pieces(text):
            for token in tokenize(text[offset:end], language):
                if token.is_space:
                    continue
                start = offset + token.idx
                end = start + len(token.text)
                if (
                    ends
                    and ends[-1] == start
                    and (extends_cluster(text[start]) or text[start - 1] == ZWJ)
                ):
                    ends[-1] = end  # a skin tone or combining mark belongs to what it follows
                    continue
                starts.append(start)
                ends.append(end)
        return cls(tuple(starts), tuple(ends), len(text))

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
