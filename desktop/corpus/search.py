"""Corpus search: words, a phrase or a regular expression over every document, optionally
setting aside case, diacritics and apostrophes; hits as a keyword-in-context list with the
spans already on them; and tagging many hits at once as one undoable edit.

The database's index (``db.store.search``) narrows the documents to read; the hits and
their exact offsets come from matching the texts here, so Find in the document
(:func:`find_in_text`) and the corpus search agree hit for hit.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from db.records import DeletedSpan, NewSpan, SpanRecord
from db.search_text import APOSTROPHES, FoldedText, fold
from db.store import Store
from desktop.commands import Change

CONTEXT = 60  # code points of context shown on each side of a hit, at most
FIRST_PAGE = 32  # documents read for the first screen of hits: small, so that it shows at once
LAST_PAGE = 512  # documents read at a time once the first screen is shown
_LINE_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACE = re.compile(r"\s")
_CUTS = (" ", "\n", "\r", "\t", "\u2028", "\u2029", "\xa0")  # where the right context may end
_LINE_BREAK = re.compile("[\n\r\u2028\u2029]")


class SearchError(ValueError):
    """A pattern that cannot be searched for (empty, or an invalid regular expression); the
    message says why."""


@dataclass(frozen=True)
class SearchQuery:
    """What to look for.

    ``fold``: diacritics and apostrophes aside ("Kataib" finds "Kata’ib" and "Katáib");
    ``case``: match case; ``whole_words``: a plain pattern's hits start and end at word
    boundaries. A plain pattern's runs of white space match any run of white space, line
    breaks included.
    """

    pattern: str
    regex: bool = False
    fold: bool = True
    case: bool = False
    whole_words: bool = True


@dataclass(frozen=True, slots=True)
class HitSpan:
    """A span (not rejected) that overlaps a hit."""

    uuid: str
    label: str
    annotator: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Hit:
    """One place a search found: ``text`` is the document's ``text[start:end]``; ``left``
    and ``right`` the words around it, line breaks shown as spaces."""

    document_id: int
    document_title: str
    start: int
    end: int
    text: str
    left: str
    right: str
    spans: tuple[HitSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class Matcher:
    """A query made ready to match texts: its expression, and the terms every text with a
    hit contains (for the index; none for a regular expression).

    Whole words are checked on each match rather than by lookarounds in the expression: a
    pattern that starts with a lookbehind loses the regular expression engine's fast
    search for its literal start, and matching takes ten times as long.
    """

    expression: re.Pattern[str]
    fold: bool
    terms: tuple[str, ...] = ()
    word_start: bool = False  # a hit must not follow a letter, digit or underscore
    word_end: bool = False  # nor be followed by one

    def find(self, text: str) -> list[tuple[int, int]]:
        """Every hit in ``text`` as ``(start, end)`` code point offsets, in order."""
        if not self.fold:
            return self._matches(text)
        folded = FoldedText.of(text)
        hits: list[tuple[int, int]] = []
        for start, end in self._matches(folded.folded, folded):
            hit = (folded.start(start), folded.end(end))
            # Two hits inside the fold of one code point (the two s of ß) are that one.
            if hit[0] < hit[1] and (not hits or hits[-1] != hit):
                hits.append(hit)
        return hits

    def _matches(self, text: str, original: FoldedText | None = None) -> list[tuple[int, int]]:
        expression = self.expression
        if not (self.word_start or self.word_end):
            return [m.span() for m in expression.finditer(text) if m.end() > m.start()]
        found = []
        position = 0
        length = len(text)
        while True:
            match = expression.search(text, position)
            if match is None:
                return found
            start, end = match.span()
            joined_before = self.word_start and start > 0 and _is_word(text[start - 1])
            joined_after = self.word_end and end < length and _is_word(text[end])
            if original is not None and (joined_before or joined_after):
                # The fold drops apostrophes, so "Iraq’s" reads "Iraqs" and "l’Iraq" "lIraq":
                # the original text says whether the word ended (or began) there.
                if joined_before and _elided_before(original.text, original.start(start)):
                    joined_before = False
                if joined_after and _possessive_after(original.text, original.end(end)):
                    joined_after = False
            if joined_before or joined_after:
                position = start + 1  # a whole word may still start inside this match
                continue
            found.append((start, end))
            position = end


def _possessive_after(text: str, end: int) -> bool:
    """Whether ``text`` goes on at ``end`` with a possessive ’s (or 's), which ends a word
    for a whole-word search ("Kataib" is found in "Kataib’s")."""
    return (
        end + 1 < len(text)
        and text[end] in APOSTROPHES
        and text[end + 1] in "sS"
        and (end + 2 == len(text) or not _is_word(text[end + 2]))
    )


def _elided_before(text: str, start: int) -> bool:
    """Whether ``text`` has an elided one-letter word and its apostrophe just before
    ``start`` (l’, d’): the word searched for begins there ("Iraq" in "l’Iraq")."""
    return (
        start >= 2
        and text[start - 1] in APOSTROPHES
        and _is_word(text[start - 2])
        and (start == 2 or not _is_word(text[start - 3]))
    )


def _is_word(char: str) -> bool:
    """Whether ``char`` is what ``\\w`` matches: a letter, a digit or an underscore."""
    return char.isalnum() or char == "_"


def compile_query(query: SearchQuery) -> Matcher:
    """The :class:`Matcher` of ``query``; :class:`SearchError` says what is wrong with it."""
    if not query.pattern.strip():
        raise SearchError("the search is empty: type a word, a phrase or a pattern")
    if query.regex:
        flags = 0 if query.case else re.IGNORECASE
        return Matcher(_compile_regex(query.pattern, query.fold, flags), query.fold)
    source = fold(query.pattern) if query.fold else query.pattern
    words = source.split()
    if not words:
        raise SearchError(
            f"nothing to search for in {query.pattern!r} once apostrophes and accents are set aside"
        )
    spell = re.escape if query.case else _any_case
    expression = re.compile(r"\s+".join(spell(word) for word in words))
    # A boundary only where the pattern's edge is a letter or digit: "#tag" or "al-" still
    # match where they stand.
    return Matcher(
        expression,
        query.fold,
        tuple(words),
        word_start=query.whole_words and _is_word(words[0][0]),
        word_end=query.whole_words and _is_word(words[-1][-1]),
    )


def _any_case(word: str) -> str:
    """An expression matching ``word`` in any case, letter by letter: ``[Kk][Aa]...``.

    The engine searches fast for a pattern's first letter when it is a plain class; with
    IGNORECASE it tries every position of the text, about twice as slowly.
    """
    parts = []
    for char in word:
        forms = {char, char.lower(), char.upper(), char.title(), char.casefold()}
        forms = sorted(form for form in forms if len(form) == 1)
        parts.append(re.escape(char) if len(forms) == 1 else f"[{''.join(map(re.escape, forms))}]")
    return "".join(parts)


def _compile_regex(pattern: str, folding: bool, flags: int) -> re.Pattern[str]:
    if folding:
        # The texts are matched folded, so the pattern's own letters are folded too
        # ("Katá’ib" finds "Kataib"); a pattern that folding breaks (an apostrophe inside
        # a class, say) is taken as typed.
        try:
            return re.compile(fold(pattern), flags)
        except re.error:
            pass
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise SearchError(f"not a valid regular expression: {exc.msg}{where}") from None


def find_in_text(text: str, query: SearchQuery) -> list[tuple[int, int]]:
    """The hits of ``query`` in one text (Find in the document), as the corpus search finds
    them; :class:`SearchError` for a bad pattern."""
    return compile_query(query).find(text)


def search(
    store: Store,
    query: SearchQuery,
    *,
    document_ids: Sequence[int] | None = None,
    batch: int = 200,
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[list[Hit]]:
    """The hits of ``query`` across the corpus (or ``document_ids``), in document order
    then offset order, in lists of at most ``batch``; the first list comes as soon as the
    first few documents are read. :class:`SearchError` (raised here, before any reading)
    for a bad pattern; ``cancelled()`` true stops the search between documents."""
    matcher = compile_query(query)
    return _hits(store, matcher, document_ids, max(batch, 1), cancelled or (lambda: False))


def _hits(
    store: Store,
    matcher: Matcher,
    document_ids: Sequence[int] | None,
    batch: int,
    cancelled: Callable[[], bool],
) -> Iterator[list[Hit]]:
    after = 0
    page = FIRST_PAGE
    while not cancelled():
        ids = store.search_documents(
            matcher.terms, after_id=after, limit=page, document_ids=document_ids
        )
        if not ids:
            return
        after = ids[-1]
        found: list[tuple[int, str, str, int, int]] = []
        for document in store.search_texts(ids):
            if cancelled():
                return
            for start, end in matcher.find(document.text):
                found.append((document.id, document.title, document.text, start, end))
        hits = _with_spans(store, found)
        for index in range(0, len(hits), batch):
            yield hits[index : index + batch]
        if len(ids) < page:
            return
        page = min(page * 4, LAST_PAGE)


def _with_spans(store: Store, found: list[tuple[int, str, str, int, int]]) -> list[Hit]:
    ranges: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for document_id, _title, _text, start, end in found:
        ranges[document_id].append((start, end))
    on: dict[int, list] = defaultdict(list)
    for span in store.spans_overlapping(ranges) if found else ():
        on[span.document_id].append(span)
    hits = []
    for document_id, title, text, start, end in found:
        spans = tuple(
            HitSpan(span.uuid, span.label, span.annotator, span.start, span.end)
            for span in on.get(document_id, ())
            if span.start < end and start < span.end
        )
        hits.append(
            Hit(
                document_id,
                title,
                start,
                end,
                text[start:end],
                _left(text, start),
                _right(text, end),
                spans,
            )
        )
    return hits


def _left(text: str, start: int) -> str:
    """The words before ``start``: up to :data:`CONTEXT` code points, without the word the
    cut would halve."""
    first = max(0, start - CONTEXT)
    piece = text[first:start]
    if first > 0 and not text[first - 1].isspace():
        space = _SPACE.search(piece)
        piece = piece[space.end() :] if space else piece
    return _LINE_BREAKS.sub(" ", piece).lstrip()


def _right(text: str, end: int) -> str:
    """The words after ``end``, cut as :func:`_left` cuts."""
    last = min(len(text), end + CONTEXT)
    piece = text[end:last]
    if last < len(text) and not text[last].isspace():
        cut = max(piece.rfind(space) for space in _CUTS)
        piece = piece[:cut] if cut > 0 else piece
    return _LINE_BREAKS.sub(" ", piece).rstrip()


# --- tagging hits ----------------------------------------------------------------------------


@dataclass(slots=True)
class CorpusChange:
    """What an edit across documents did: one :class:`Change` per document touched, the
    spans the step put in and the hits skipped (the annotator already had that span)."""

    changes: list[Change] = field(default_factory=list)
    added: int = 0
    skipped: int = 0


def snapped_ranges(
    text: str, language: str | None, ranges: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``ranges`` of ``text`` widened to spaCy token boundaries, as the window's tagging
    snaps a selection. Only the lines around each range are tokenized: tokens never cross
    a line break (the window's tokenization is cut after line breaks too)."""
    from desktop.nlp.tokens import TokenIndex

    snapped = []
    for start, end in ranges:
        first = max(text.rfind(mark, 0, start) for mark in "\n\r\u2028\u2029") + 1
        after = _LINE_BREAK.search(text, end)
        last = after.end() if after else len(text)
        index = TokenIndex.of(text[first:last], language)
        left, right = index.snap(start - first, end - first)
        snapped.append((left + first, right + first))
    return snapped


class TagHits:
    """Tag hits with a label, across documents, in one transaction; undo deletes exactly the
    spans added (refused if any was changed since), redo puts the same spans back."""

    def __init__(
        self,
        store: Store,
        hits: Sequence[Hit],
        label_id: int,
        annotator_id: int,
        *,
        snap: bool = True,
        origin: str = "manual",
    ):
        self.store = store
        self.hits = list(hits)
        self.label_id = label_id
        self.annotator_id = annotator_id
        self.snap = snap
        self.origin = origin
        self.spans: list[SpanRecord] = []
        self.skipped = 0
        self._started: set[int] = set()
        self._deleted: list[DeletedSpan] = []
        self.text = f"Tag {len(self.hits)} hit(s)" if len(self.hits) != 1 else "Tag 1 hit"

    def apply(self) -> CorpusChange:
        label = self.store.label(self.label_id).name
        annotator = next(
            (a.name for a in self.store.annotators() if a.id == self.annotator_id), None
        )
        if annotator is None:
            raise SearchError(f"no annotator with id {self.annotator_id}")
        self.text = (
            f"Tag {label} on {len(self.hits)} hits"
            if len(self.hits) != 1
            else f"Tag {label} “{self.hits[0].text[:40]}”"
        )
        ranges: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for hit in self.hits:
            ranges[hit.document_id].append((hit.start, hit.end))
        if self.snap and ranges:
            for document in self.store.search_texts(list(ranges)):
                ranges[document.id] = snapped_ranges(
                    document.text, document.language, ranges[document.id]
                )
        spans = {
            document_id: [
                NewSpan(label, start, end, annotator, status="accepted", origin=self.origin)
                for start, end in pieces
            ]
            for document_id, pieces in ranges.items()
        }
        added = self.store.add_spans_across(spans)
        self.spans = added.spans
        self.skipped = added.skipped
        self._started = added.started
        changes = [
            Change(
                document_id,
                added=list(spans),
                status="in_progress" if document_id in self._started else None,
            )
            for document_id, spans in self._by_document(self.spans).items()
        ]
        return CorpusChange(changes, len(self.spans), self.skipped)

    def undo(self) -> CorpusChange:
        if not self.spans:
            return CorpusChange()
        self._deleted = self.store.delete_spans_across(self.spans)
        changes = [
            Change(document_id, removed=[span.uuid for span in spans])
            for document_id, spans in self._by_document(self.spans).items()
        ]
        return CorpusChange(changes, 0, 0)

    def redo(self) -> CorpusChange:
        if not self._deleted:
            return CorpusChange()
        self.spans = self.store.restore_spans(self._deleted)
        changes = [
            Change(document_id, added=list(spans))
            for document_id, spans in self._by_document(self.spans).items()
        ]
        return CorpusChange(changes, len(self.spans), self.skipped)

    @staticmethod
    def _by_document(spans: Sequence[SpanRecord]) -> dict[int, list[SpanRecord]]:
        grouped: dict[int, list[SpanRecord]] = defaultdict(list)
        for span in spans:
            grouped[span.document_id].append(span)
        return dict(sorted(grouped.items()))
