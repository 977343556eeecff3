"""The suggestion rules: known actors propagated, claims from reported speech, events from
trigger words, and dates resolved onto the events.

The rules run on a blank spaCy pipeline (tokenizer only, from :mod:`desktop.nlp.tokens`):
no tagger or parser, so they work from the lexicons in ``resources/lexicons/``, spaCy
``PhraseMatcher`` s over tokens, punctuation and sentence boundaries. Every suggestion starts
and ends on token boundaries. Each rule's precise behaviour is in its docstring.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from db.records import DocumentRecord
from desktop.nlp import dates, lexicons
from desktop.nlp.spans import (
    PIECE,
    Analysis,
    Suggestion,
    drop_nested,
    longest_first,
    text_pieces,
)
from desktop.nlp.tokens import blank

if TYPE_CHECKING:  # pragma: no cover
    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Doc

    from db.store import Store

RULES = ("actors", "claims", "events", "dates")
MIN_CLAIM_WORDS = 3  # a claim says something: "it was" is not one
MIN_QUOTE_WORDS = 4  # shorter quotations are mostly scare quotes: “sinful”, ‘maximum pressure’
THAT_WINDOW = 12  # tokens between a reporting verb and the "that" of its clause
SUBJECT_WINDOW = 14  # tokens of a speaker between a comma and a postposed "said"
TAIL_WINDOW = 8  # tokens after a postposed "said" ("on Thursday", "in a statement")
EVENT_LEFT = 6  # words an event phrase takes before its trigger
EVENT_RIGHT = 20  # tokens an event phrase takes after its trigger
# Prepositional idioms that do not extend an event: "attacks in response to …".
IDIOMS = frozenset(
    tuple(pair.split())
    for pair in (
        "in response|in order|in addition|in turn|in return|in charge|in fact|in particular"
        "|in part|by far"
    ).split("|")
)
PASSIVE = frozenset({"be", "been", "being", "is", "was", "were", "are"})
LOOSE_DATE_GAP = 40  # characters between an event and a date outside it that still dates it

TERMINALS = frozenset({".", "!", "?", "…", "...", "?!", "!?", "?”"})
CLOSING = frozenset({"”", "’", '"', "»", ")", "]", "'"})
QUOTES = {  # opening quotation mark → the marks that close it
    "“": ("”", '"'),
    '"': ('"', "”"),
    "«": ("»",),
    "„": ("“", "”"),
    "‘": ("’",),
}
CLAUSE_PUNCTUATION = frozenset({",", ";", ":", "(", ")", "—", "–", "“", "”", '"', "«", "»"})
TRIM_END = frozenset({",", ";", ":", "—", "–", "-", "."} | TERMINALS)
POSSESSIVES = frozenset({"’s", "'s", "’", "'"})
AUXILIARIES = frozenset({"was", "were", "is", "are", "be", "been", "being", "has", "have", "had"})
# After one of these the next word is a verb ("will resume attacks"), not a modifier.
MODALS = frozenset("will would could should can may might must shall did do does to".split())
# Words of time expressions besides weekday and month names ("Wednesday night", "last week").
TIME_WORDS = frozenset(
    "night morning afternoon evening early late last this next week month year earlier later "
    "today yesterday tonight mid weekend".split()
)


@dataclass(frozen=True, slots=True)
class RuleLabels:
    """The project's names for the three labels the rules suggest."""

    claim: str = "Claim"
    actor: str = "Actor"
    event: str = "Event"


@dataclass(frozen=True, slots=True)
class KnownName:
    """A name to propagate: an actor some analyst tagged, or a canonical entity's name or
    alias (then ``entity_uuid`` links the suggestion to the entity)."""

    text: str
    label: str
    entity_uuid: str | None = None


def known_names(store: Store, labels: RuleLabels = RuleLabels()) -> list[KnownName]:
    """Every name actor propagation should look for in ``store``.

    The covered text of every accepted span labelled ``labels.actor`` (any annotator), and
    the name and every alias of every canonical entity (with the entity's label, Actor when
    it has none). A name tagged both with and without an entity keeps the entity; a name
    that two entities share is kept without one (it is ambiguous).
    """
    chosen: dict[tuple[str, str], set[str | None]] = {}
    for text, entity_uuid in store.span_texts(labels.actor):
        chosen.setdefault((text.strip(), labels.actor), set()).add(entity_uuid)
    for entity in store.entities():
        label = entity.label or labels.actor
        for name in (entity.name, *entity.aliases):
            chosen.setdefault((name.strip(), label), set()).add(entity.uuid)
    names = []
    for (text, label), uuids in sorted(chosen.items()):
        linked = uuids - {None}
        names.append(KnownName(text, label, next(iter(linked)) if len(linked) == 1 else None))
    return names


# --- the lexicons, as spaCy matchers on the shared vocabulary --------------------------------


class _Lexicon:
    """Every lexicon the rules use, with phrase matchers bound to one language's vocabulary."""

    def __init__(self, language: str | None):
        from spacy.matcher import PhraseMatcher

        nlp = blank(language)
        self.nlp = nlp
        verbs = lexicons.entries("reporting_verbs")
        self.reporting = frozenset(entry.text for entry in verbs)
        self.bare = frozenset(entry.text for entry in verbs if "bare" in entry.flags)
        self.event_verbs = lexicons.words("event_verbs")
        self.modifiers = lexicons.words("event_modifiers")
        self.function_words = lexicons.words("function_words")
        self.determiners = lexicons.words("determiners")
        prepositions = lexicons.entries("prepositions")
        self.prepositions = frozenset(entry.text for entry in prepositions)
        self.event_prepositions = frozenset(e.text for e in prepositions if "event" in e.flags)
        self.time_words = (
            TIME_WORDS | set(lexicons.numbered("weekdays")) | set(lexicons.numbered("months"))
        )
        self.stop_left = (
            (self.function_words | self.prepositions | self.reporting | self.event_verbs)
            - self.determiners
            - self.modifiers
        )
        self.stop_right = (self.function_words | self.reporting | self.event_verbs) - {"and"}

        self.by_lower: PhraseMatcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.by_orth: PhraseMatcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        make = nlp.make_doc
        self.by_lower.add("ATTRIBUTION", [make(p) for p in lexicons.words("attribution_phrases")])
        self.by_lower.add("EVENT_NOUN", [make(p) for p in lexicons.words("event_nouns")])
        self.by_orth.add("REPORTING", [make(p) for p in self.reporting])
        self.by_orth.add("EVENT_VERB", [make(p) for p in self.event_verbs])
        strings = nlp.vocab.strings
        self.keys = {strings[name]: name for name in ("ATTRIBUTION", "EVENT_NOUN")}
        self.keys.update({strings[name]: name for name in ("REPORTING", "EVENT_VERB")})


_lexicons: dict[str | None, _Lexicon] = {}
_lexicon_lock = threading.Lock()


def _lexicon(language: str | None) -> _Lexicon:
    nlp = blank(language)
    with _lexicon_lock:
        found = _lexicons.get(nlp.lang)
        if found is None:
            found = _lexicons[nlp.lang] = _Lexicon(language)
        return found


# --- one document, tokenised once for every rule --------------------------------------------


_QUOTE_MARKS = re.compile('[“"«„‘”»’]')
_LINE_BREAK = re.compile("[\n\r\u2028\u2029]")
_BREAK = re.compile(r"[.!?…]|[\n\r\u2028\u2029]")  # where a sentence may end


class _Lowered:
    """The lower-cased words of a page, made on demand: the rules look at a few hundred
    words of an article, and lower-casing all of them would cost more than the rules."""

    __slots__ = ("_words",)

    def __init__(self, words: list[str]):
        self._words = words

    def __getitem__(self, index: int) -> str:
        return self._words[index].lower()

    def __len__(self) -> int:
        return len(self._words)


class Page:
    """A document's tokens as plain lists, with its sentences, for the rules."""

    def __init__(self, doc: Doc, text: str):
        self.doc = doc
        self.text = text
        # From arrays, a column at a time, rather than Token objects or a 2-D tolist():
        # either would cost as much as every rule together.
        if len(doc):
            bounds = doc.to_array(["IDX", "LENGTH"]).astype("int64")
            self.starts: list[int] = bounds[:, 0].tolist()
            self.ends: list[int] = (bounds[:, 0] + bounds[:, 1]).tolist()
        else:
            self.starts, self.ends = [], []
        self.words: list[str] = [
            text[start:end] for start, end in zip(self.starts, self.ends, strict=True)
        ]
        self.lower = _Lowered(self.words)
        self.sentences: list[tuple[int, int]] = []  # [first, last) tokens, spaces excluded
        self._segment()
        self._firsts = [first for first, _ in self.sentences]
        # What a word is compared with in the lower-case lexicons: lower-cased at the start
        # of a sentence only, so that "US" is never the pronoun "us".
        self.key: list[str] = list(self.words)
        for first in self._firsts:
            self.key[first] = self.lower[first]

    def _segment(self) -> None:
        """Sentences end after terminal punctuation (and any closing quotes) when the next
        word starts with a capital, a digit or a quotation mark, and at every line break.

        Only the tokens that can end a sentence are visited, found by a regular expression
        over the text: a Python loop over every token would cost more than the rules.
        """
        words, n, starts = self.words, len(self.words), self.starts
        breaks = []
        for match in _BREAK.finditer(self.text):
            index = bisect.bisect_right(starts, match.start()) - 1
            word = words[index] if index >= 0 else ""
            is_break = word in TERMINALS or (word.isspace() and match.group() not in ".!?…")
            if is_break and (not breaks or breaks[-1] != index):
                breaks.append(index)
        sentences = self.sentences
        first = self._skip_spaces(0)
        for index in breaks:
            if index < first:
                continue  # inside closing quotes already taken
            if words[index].isspace():  # a line break
                last = index
                following = self._skip_spaces(index)
            else:
                last = index + 1
                while last < n and words[last] in CLOSING and self.attached(last):
                    last += 1
                after = last
                while after < n and words[after].isspace() and "\n" not in words[after]:
                    after += 1
                if after < n and not (
                    words[after][0].isupper()
                    or words[after][0].isdigit()
                    or words[after][0] in QUOTES
                ):
                    continue  # "U.S. forces", "... and then"
                following = self._skip_spaces(last)
            while last > first and words[last - 1].isspace():
                last -= 1
            if last > first:
                sentences.append((first, last))
            first = following
        last = n
        while last > first and words[last - 1].isspace():
            last -= 1
        if last > first:
            sentences.append((first, last))

    def _skip_spaces(self, index: int) -> int:
        while index < len(self.words) and self.words[index].isspace():
            index += 1
        return index

    def sentence_index(self, index: int) -> int:
        """The number of the sentence holding (or, for a space between sentences, before)
        token ``index``."""
        return max(bisect.bisect_right(self._firsts, index) - 1, 0)

    def sentence(self, index: int) -> tuple[int, int]:
        """The [first, last) tokens of the sentence holding token ``index``."""
        return self.sentences[self.sentence_index(index)] if self.sentences else (0, 0)

    def is_word(self, index: int) -> bool:
        return self.words[index][:1].isalnum()

    def attached(self, index: int) -> bool:
        """Whether token ``index`` follows the previous one with no space between."""
        return index > 0 and self.starts[index] == self.ends[index - 1]

    def hyphen_joins(self, index: int) -> bool:
        """Whether token ``index`` is a hyphen inside a word ("Iran-backed", "wait-and-see")."""
        return (
            self.words[index] in ("-", "‑")
            and self.attached(index)
            and index + 1 < len(self.words)
            and self.attached(index + 1)
        )

    def has_words(self, first: int, last: int, count: int) -> bool:
        """Whether tokens [first, last) hold at least ``count`` words."""
        words = self.words
        for index in range(first, last):
            if words[index][:1].isalnum():
                count -= 1
                if count <= 0:
                    return True
        return count <= 0


def _trimmed(page: Page, first: int, last: int) -> tuple[int, int] | None:
    """Tokens [first, last) without edge spaces and trailing clause punctuation (a closing
    quotation mark stays), or None when fewer than MIN_CLAIM_WORDS words remain."""
    words = page.words
    while first < last and (words[first].isspace() or words[first] in (",", ":", ";", "—", "–")):
        first += 1
    last = _before_stray_closer(page, first, last)
    while last > first and (words[last - 1].isspace() or words[last - 1] in TRIM_END):
        last -= 1
    if last <= first or not page.has_words(first, last, MIN_CLAIM_WORDS):
        return None
    return first, last


def _before_stray_closer(page: Page, first: int, last: int) -> int:
    """``last``, or the first closing quotation mark in [first, last) that closes nothing
    opened there: a clause reported inside a quotation ends with the quotation."""
    open_marks: list[tuple[str, ...]] = []
    for index in range(first, last):
        word = page.words[index]
        if open_marks and word in open_marks[-1]:
            open_marks.pop()
        elif _opens_quotation(page, index):
            open_marks.append(QUOTES[word])
        elif word in ("”", "»") or (word == '"' and index > first):
            return index
    return last


def _claim(page: Page, label: str, first: int, last: int, rule: str) -> Suggestion | None:
    bounds = _trimmed(page, first, last)
    if bounds is None:
        return None
    return Suggestion(label, page.starts[bounds[0]], page.ends[bounds[1] - 1], rule)


# --- actor propagation ----------------------------------------------------------------------


class _NameMatcher:
    """Known names as a case-sensitive phrase matcher on one language's vocabulary."""

    def __init__(self, names: Sequence[KnownName], language: str | None):
        from spacy.matcher import PhraseMatcher

        nlp = blank(language)
        pronouns = lexicons.words("pronouns")
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.targets: dict[int, tuple[str, str | None]] = {}
        groups: dict[tuple[str, str | None], set[str]] = {}
        for name in names:
            text = name.text.strip()
            if not any(char.isalpha() for char in text) or text.lower() in pronouns:
                continue
            variants = groups.setdefault((name.label, name.entity_uuid), set())
            variants.add(text)
            if text[0].islower():  # "the militia" also begins a sentence as "The militia"
                variants.add(text[0].upper() + text[1:])
        for number, (target, variants) in enumerate(sorted(groups.items(), key=str)):
            key = f"dossier-name-{number}"
            self.matcher.add(key, [nlp.make_doc(text) for text in sorted(variants)])
            self.targets[nlp.vocab.strings[key]] = target

    def __call__(self, page: Page) -> list[Suggestion]:
        found = []
        for key, first, last in self.matcher(page.doc):
            label, entity_uuid = self.targets[key]
            found.append(
                Suggestion(
                    label,
                    page.starts[first],
                    page.ends[last - 1],
                    "actor.propagation",
                    entity_uuid=entity_uuid,
                )
            )
        return found


def propagate_actors(page: Page, matcher: _NameMatcher) -> list[Suggestion]:
    """Actor propagation: every known name wherever it occurs, as whole tokens.

    Names are matched case-sensitively token by token (the same tokenizer cut the names and
    the text, so "Kataib Hezbollah" is found in "Kataib Hezbollah’s"); a name that begins in
    lower case is also found with a capital, as at the start of a sentence. Pronouns and names with
    no letter are never propagated. Where matches overlap, the longest wins ("Abu Mahdi
    al-Muhandis" rather than "al-Muhandis"). Suggestions carry the name's label and, for
    entity names and aliases, the entity.
    """
    return longest_first(matcher(page))


# --- claims ---------------------------------------------------------------------------------


def _opens_quotation(page: Page, index: int) -> bool:
    word = page.words[index]
    if word not in QUOTES:
        return False
    if word in ('"', "‘"):  # straight and single marks also close quotations and elide letters
        before = page.text[page.starts[index] - 1] if page.starts[index] else " "
        after_index = index + 1
        return (
            (before.isspace() or before in "([{—–")
            and after_index < len(page.words)
            and page.attached(after_index)
            and not page.words[after_index].isspace()
        )
    return True


def quotations(page: Page, label: str) -> list[Suggestion]:
    """Claims in quotation marks: the quoted words, marks included.

    A quotation opens with “ « „ (always) or " ‘ (when a space or bracket is before them and
    a word right after) and closes with its own closing mark (“…” also closes with a straight
    ", as some sites mix them). A quotation left open at the end of a paragraph, as news
    writing does when a quote runs on, ends with the paragraph. Quotations of fewer than
    MIN_QUOTE_WORDS words are scare quotes ("the “sinful” attacks") and are not suggested.
    Inner quotations (‘…’ inside “…”) are part of the outer one.
    """
    words, starts, text = page.words, page.starts, page.text
    marks = []  # the tokens that are quotation marks, found by a regular expression
    for match in _QUOTE_MARKS.finditer(text):
        index = bisect.bisect_right(starts, match.start()) - 1
        if index >= 0 and starts[index] == match.start() and words[index] == match.group():
            marks.append(index)
    found = []
    position = 0
    for at, index in enumerate(marks):
        if index < position or not _opens_quotation(page, index):
            continue
        closers = QUOTES[words[index]]
        paragraph_end = _paragraph_end(text, starts[index])
        last = None
        for other in marks[at + 1 :]:
            if starts[other] >= paragraph_end:
                break
            if words[other] in closers:
                last = position = other + 1
                break
        if last is None:  # open to the end of the paragraph
            last = position = bisect.bisect_left(starts, paragraph_end)
            while last > index + 1 and words[last - 1].isspace():
                last -= 1
        if page.has_words(index + 1, last, MIN_QUOTE_WORDS):
            found.append(Suggestion(label, starts[index], page.ends[last - 1], "claim.quotation"))
    return found


def _paragraph_end(text: str, offset: int) -> int:
    """The offset of the first line break at or after ``offset`` (the text's end if none)."""
    found = _LINE_BREAK.search(text, offset)
    return found.start() if found else len(text)


def _skip_time(page: Page, index: int, limit: int, lexicon: _Lexicon) -> int:
    """The first token from ``index`` that is not part of a time expression ("on Thursday",
    "Friday", "last week")."""
    start = index
    while index < limit and index - start < 5:
        word = page.words[index]
        if word in lexicon.time_words or page.lower[index] in lexicon.time_words or word.isdigit():
            index += 1
        elif (
            page.lower[index] == "on"
            and index + 1 < limit
            and (page.words[index + 1] in lexicon.time_words or page.words[index + 1].isdigit())
        ):
            index += 1
        elif word.isspace():
            index += 1
        else:
            break
    return index


def _that_after(page: Page, index: int, limit: int) -> int | None:
    """The token after the first "that" within THAT_WINDOW tokens from ``index``, unless
    clause punctuation comes first."""
    for cursor in range(index, min(limit, index + THAT_WINDOW)):
        word = page.words[cursor]
        if word in CLAUSE_PUNCTUATION or word in TERMINALS:
            return None
        if page.lower[cursor] == "that":
            return cursor + 1
    return None


def _closing_quote_before(page: Page, verb: int, first: int) -> bool:
    """Whether a closing quotation mark stands before the reporting verb, with only the
    speaker between ("“…,” the militia threatened"; "“…,” said Knights")."""
    for cursor in range(verb - 1, max(first, verb - SUBJECT_WINDOW) - 1, -1):
        word = page.words[cursor]
        if word in ("”", "»") or (word == '"' and not _opens_quotation(page, cursor)):
            return True
        if word in TERMINALS or word in (";", ":"):
            return False
    return False


def _forward_claim(page: Page, verb: int, lexicon: _Lexicon, label: str) -> Suggestion | None:
    first, last = page.sentence(verb)
    start = _skip_time(page, verb + 1, last, lexicon)
    if start >= last:
        return None
    word = page.words[start]
    if word == ":":
        if start + 1 < last and _opens_quotation(page, start + 1):
            return None  # the quotation rule has it
        return _claim(page, label, start + 1, last, "claim.reported")
    if word in QUOTES:
        return None
    if page.lower[start] == "that":
        return _claim(page, label, start + 1, last, "claim.reported")
    bare = page.words[verb] in lexicon.bare
    opens_clause = (
        page.is_word(start)
        and page.lower[start] not in lexicon.prepositions
        and page.lower[start]
        not in lexicon.function_words - {"there", "it", "he", "she", "they", "we", "i", "you"}
    )
    if bare and opens_clause:
        return _claim(page, label, start, last, "claim.reported")
    after_that = _that_after(page, start, last)
    if after_that is not None:
        return _claim(page, label, after_that, last, "claim.reported")
    return None


def _postposed_claim(page: Page, verb: int, label: str) -> Suggestion | None:
    """ "CLAIM, the spokesman said (on Thursday)." and "A, officials said, B." (whole sentence)."""
    first, last = page.sentence(verb)
    words = page.words
    comma = None
    for cursor in range(verb - 1, max(first, verb - SUBJECT_WINDOW) - 1, -1):
        if words[cursor] == ",":
            comma = cursor
            break
        if words[cursor] in CLAUSE_PUNCTUATION or words[cursor] in TERMINALS:
            return None
    if comma is None or comma == verb - 1 or comma <= first:
        return None
    if any(page.lower[index] in ("that", "which", "who") for index in range(comma, verb)):
        return None  # a relative clause, not a speaker: "…, a claim that could not be confirmed"
    if words[comma - 1] in CLOSING or (comma + 1 < last and words[comma + 1] in CLOSING):
        return None  # "“…,” he said": the quotation rule has it
    tail = [index for index in range(verb + 1, last) if not words[index].isspace()]
    if tail and words[tail[0]] == "," and page.has_words(tail[0], last, MIN_CLAIM_WORDS):
        return _claim(page, label, first, last, "claim.reported")  # "A, he said, B."
    if len([index for index in tail if words[index] not in TRIM_END]) > TAIL_WINDOW:
        return None
    if any(page.lower[index] == "that" for index in tail):
        return None
    return _claim(page, label, first, comma, "claim.reported")


def reported_speech(
    page: Page, verbs: Iterable[int], lexicon: _Lexicon, label: str
) -> list[Suggestion]:
    """Claims reported by a verb from ``reporting_verbs.txt`` (said, told, warned, confirmed,
    denied…), within the verb's sentence:

    - "X said (on Thursday) that CLAIM." → the words after "that" to the end of the sentence
      (a time expression after the verb is skipped; for "told"-type verbs the "that" may
      come after an object: "told a briefing in Tehran that CLAIM").
    - "X said CLAIM." → for verbs flagged ``bare`` only, when the next word can open a
      clause (not a preposition or a conjunction): "said two people had been killed".
    - "X said: CLAIM." → the words after the colon.
    - "CLAIM, X said (on Thursday)." → the words from the sentence start to the comma before
      the speaker (at most SUBJECT_WINDOW tokens) when at most TAIL_WINDOW tokens follow
      the verb; "A, X said, B." → the whole sentence.
    - Nothing when a quotation mark opens right after the verb or closes just before the
      speaker (the quotation rule suggests those words), nor for a passive verb ("could not
      be independently confirmed").

    Trailing clause punctuation is trimmed; claims of fewer than MIN_CLAIM_WORDS words are
    dropped.
    """
    found = []
    for verb in verbs:
        first, _ = page.sentence(verb)
        if _closing_quote_before(page, verb, first):
            continue
        if any(page.lower[index] in PASSIVE for index in range(max(first, verb - 2), verb)):
            continue  # "a claim that could not be independently confirmed"
        claim = _forward_claim(page, verb, lexicon, label) or _postposed_claim(page, verb, label)
        if claim is not None:
            found.append(claim)
    return found


def attributed_claims(
    page: Page, phrases: Iterable[tuple[int, int]], label: str
) -> list[Suggestion]:
    """Claims attributed by a phrase from ``attribution_phrases.txt`` ("according to"):

    - "According to X, CLAIM." → the words after the first comma after the phrase.
    - "CLAIM, according to X." → the words from the sentence start to the comma.
    - "A, according to X, B." → the whole sentence; "CLAIM according to X" (no comma) →
      the words before the phrase.
    """
    found = []
    words = page.words
    for start, end in phrases:
        first, last = page.sentence(start)
        if start == first:
            comma = next((i for i in range(end, last) if words[i] == ","), None)
            claim = _claim(page, label, comma + 1, last, "claim.according") if comma else None
        elif words[start - 1] == ",":
            comma = next((i for i in range(end, last) if words[i] == ","), None)
            if comma is not None and page.has_words(comma, last, MIN_CLAIM_WORDS):
                claim = _claim(page, label, first, last, "claim.according")
            else:
                claim = _claim(page, label, first, start - 1, "claim.according")
        else:
            claim = _claim(page, label, first, start, "claim.according")
        if claim is not None:
            found.append(claim)
    return found


# --- events ---------------------------------------------------------------------------------


def _left_edge(page: Page, trigger: int, first: int, lexicon: _Lexicon) -> int:
    """The first token of the words before a trigger noun that belong to its phrase."""
    words, lower, key = page.words, page.lower, page.key
    edge = trigger
    taken = 0
    cursor = trigger - 1
    while cursor >= first and taken < EVENT_LEFT:
        word = words[cursor]
        if page.hyphen_joins(cursor) or (word in POSSESSIVES and page.attached(cursor)):
            edge = cursor - 1  # the word before a hyphen or a possessive comes with it
            cursor -= 2
            taken += 1
            continue
        if word.isspace() or not page.is_word(cursor):
            break
        if key[cursor] in lexicon.determiners:
            return cursor
        if key[cursor] in lexicon.stop_left:
            if lower[cursor] in MODALS and edge < trigger and words[edge].islower():
                edge = _next_word(page, edge)  # "will resume attacks": "resume" is a verb
            break
        low = lower[cursor]
        if (low.endswith("ed") or low.endswith("ing")) and low not in lexicon.modifiers:
            break
        edge = cursor
        taken += 1
        cursor -= 1
    return edge


def _next_word(page: Page, index: int) -> int:
    """The first token after the word (hyphenated compound included) at ``index``."""
    index += 1
    while (
        index < len(page.words)
        and page.attached(index)
        and (
            page.hyphen_joins(index)
            or page.hyphen_joins(index - 1)
            or page.words[index] in POSSESSIVES
        )
    ):
        index += 1
    return index


def _noun_phrase_end(page: Page, index: int, last: int, lexicon: _Lexicon) -> int:
    """The token after the noun phrase that starts at ``index`` (``index`` when none does)."""
    words, key = page.words, page.key
    cursor = index
    while cursor < last:
        word, low = words[cursor], key[cursor]
        if page.hyphen_joins(cursor) or (word in POSSESSIVES and page.attached(cursor)):
            cursor += 1
            continue
        if cursor > index and page.attached(cursor) and page.hyphen_joins(cursor - 1):
            cursor += 1  # the word after a hyphen belongs to the compound
            continue
        if not page.is_word(cursor):
            break
        if low == "and":
            following = cursor + 1
            if following < last and (words[following][:1].isupper() or words[following].isdigit()):
                cursor += 2
                continue
            break
        if low in lexicon.stop_right or low in lexicon.prepositions:
            break
        if (
            (low.endswith("ed") or low.endswith("ing"))
            and low not in lexicon.modifiers
            and not words[cursor][:1].isupper()
            and not _noun_in_phrase(page, cursor, index, last, lexicon)
        ):
            break
        cursor += 1
    return cursor


def _noun_in_phrase(page: Page, cursor: int, index: int, last: int, lexicon: _Lexicon) -> bool:
    """Whether an -ed/-ing word inside a noun phrase is a noun or an adjective ("a building",
    "international shipping in") rather than a verb ("groups threatening the US")."""
    if cursor > index and page.lower[cursor - 1] in lexicon.determiners:
        return True
    following = cursor + 1
    return cursor > index and (
        following >= last
        or not page.is_word(following)
        or page.key[following] in lexicon.prepositions
        or page.key[following] in lexicon.function_words
    )


def _right_edge(page: Page, after: int, last: int, lexicon: _Lexicon, with_object: bool) -> int:
    """The token after the short phrase following a trigger: an object (for verbs), then
    prepositional phrases with event prepositions and time expressions."""
    words, key = page.words, page.key
    limit = min(last, after + EVENT_RIGHT)
    edge = after
    cursor = after
    if with_object:
        cursor = _noun_phrase_end(page, cursor, limit, lexicon)
        edge = cursor
    while cursor < limit:
        low = key[cursor]
        if words[cursor].isspace():
            break
        if low in lexicon.time_words or words[cursor] in lexicon.time_words:
            cursor += 1
            while cursor < limit and (
                words[cursor] in lexicon.time_words
                or key[cursor] in lexicon.time_words
                or words[cursor].isdigit()
            ):
                cursor += 1
            edge = cursor
            continue
        if low in lexicon.event_prepositions:
            if cursor + 1 < limit and (low, key[cursor + 1]) in IDIOMS:
                break
            end = _noun_phrase_end(page, cursor + 1, limit, lexicon)
            if end == cursor + 1 or page.lower[end - 1].endswith("ly"):
                break  # nothing, or an adverb: "in relatively restrained terms"
            cursor = edge = end
            continue
        break
    return edge


def event_phrases(
    page: Page,
    nouns: Iterable[tuple[int, int]],
    verbs: Iterable[int],
    lexicon: _Lexicon,
    label: str,
) -> list[Suggestion]:
    """Events around a trigger word from ``event_nouns.txt`` or ``event_verbs.txt``:

    - A trigger noun (strike, airstrike, attack, killing, assassination, statement,
      suspension, retaliation…), unless capitalised inside a sentence (then it is part of a
      name: "Special Operations Commander"), takes up to EVENT_LEFT words on its left (modifiers such as
      "precision missile", "large-scale retaliatory", "US", a possessive "al-Saadi's") up to
      and including a determiner ("a", "the", "another"), stopping at a function word, a
      preposition, punctuation or a verb-like -ed/-ing word not in ``event_modifiers.txt``;
      a word right after a modal or "to" is a verb and is left out ("will resume attacks"
      gives "attacks").
    - A trigger verb (killed, struck, targeted…) takes the auxiliaries right before it ("was
      killed") and its object; it is skipped after a determiner or before a trigger noun
      ("the targeted killing", "targeted assassination").
    - On the right, both take time expressions ("Wednesday night", "early January 2020")
      and prepositional phrases with prepositions flagged ``event`` ("of three US troops",
      "on a US base in Jordan", "by the US military on dozens of targets in Iraq and
      Syria"), at most EVENT_RIGHT tokens, stopping at punctuation, a relative pronoun, a
      verb, an idiom ("in response", "in order") or a phrase ending in an -ly adverb.

    An event phrase lying wholly inside another is dropped (the outer one is suggested).
    """
    found = []
    for start, end in nouns:
        first, last = page.sentence(start)
        if start > first and page.words[start][:1].isupper():
            continue  # part of a name: "Special Operations Commander"
        left = _left_edge(page, start, first, lexicon)
        right = _right_edge(page, end, last, lexicon, with_object=False)
        found.append(Suggestion(label, page.starts[left], page.ends[right - 1], "event.trigger"))
    noun_starts = {start for start, _ in nouns}
    for verb in verbs:
        first, last = page.sentence(verb)
        if verb > first and page.lower[verb - 1] in lexicon.determiners:
            continue
        if verb + 1 in noun_starts:
            continue  # an adjective: "targeted assassination"
        left = verb
        while left - 1 >= first and page.lower[left - 1] in AUXILIARIES:
            left -= 1
        right = _right_edge(page, verb + 1, last, lexicon, with_object=True)
        found.append(Suggestion(label, page.starts[left], page.ends[right - 1], "event.trigger"))
    return drop_nested(found)


def attach_dates(
    page: Page,
    events: list[Suggestion],
    mentions: Iterable[dates.DateMention],
    reporting: Sequence[int] = (),
) -> list[Suggestion]:
    """Events with ``attributes["date"]`` set from the date expressions of the document.

    A resolved date inside an event dates that event. A date outside every event dates the
    nearest event of the same sentence that has no date yet, when at most LOOSE_DATE_GAP
    characters and no reporting verb lie between them ("The first major attack was launched
    on February 3"; but not "strikes …, the spokesman said on Thursday": Thursday dates the
    saying), and never when a reporting verb stands just before the date ("announced
    Friday that they will resume attacks"). Unresolved expressions (no publication date)
    attach nothing.
    """
    if not events:
        return []
    events = list(events)
    starts = page.starts
    said_at = {starts[verb] for verb in reporting}
    said_starts = sorted(said_at)
    order = sorted(range(len(events)), key=lambda i: events[i].start)
    event_starts = [events[i].start for i in order]
    by_sentence: dict[int, list[int]] = {}
    for index, event in enumerate(events):
        by_sentence.setdefault(page.sentence_index(_token_at(starts, event.start)), []).append(
            index
        )
    dated: dict[int, str] = {}
    loose = []
    for mention in mentions:
        if mention.value is None:
            continue
        inside = False
        # Events holding the mention start before it; they are few and short, so look back
        # over the nearest few only.
        position = bisect.bisect_right(event_starts, mention.start)
        for slot in range(position - 1, max(position - 4, 0) - 1, -1):
            index = order[slot]
            if events[index].end >= mention.end:
                dated.setdefault(index, mention.value)
                inside = True
        if not inside and not _said_just_before(page, mention.start, said_at):
            loose.append(mention)
    for mention in loose:
        sentence = page.sentence_index(_token_at(starts, mention.start))
        candidates = []
        for index in by_sentence.get(sentence, ()):
            event = events[index]
            if index in dated:
                continue
            gap = (
                (event.end, mention.start)
                if event.end <= mention.start
                else (mention.end, event.start)
            )
            if gap[1] - gap[0] > LOOSE_DATE_GAP:
                continue
            said = bisect.bisect_left(said_starts, gap[0])
            if said < len(said_starts) and said_starts[said] < gap[1]:
                continue
            candidates.append((gap[1] - gap[0], index))
        if candidates:
            dated[min(candidates)[1]] = mention.value
    for index, value in dated.items():
        event = events[index]
        events[index] = Suggestion(
            event.label,
            event.start,
            event.end,
            event.rule,
            {**event.attributes, "date": value},
            event.confidence,
            event.entity_uuid,
        )
    return events


def _said_just_before(page: Page, offset: int, said_at: set[int]) -> bool:
    """Whether a reporting verb stands at most two words before ``offset`` ("announced
    Friday", "said on Thursday"): that date is the saying's, not an event's."""
    token = _token_at(page.starts, offset)
    return any(page.starts[index] in said_at for index in range(max(token - 3, 0), token))


def _token_at(starts: list[int], offset: int) -> int:
    return max(bisect.bisect_right(starts, offset) - 1, 0)


# --- all rules together ---------------------------------------------------------------------


class RuleSuggester:
    """Every rule, ready to run on documents one after another (and from a worker thread).

    ``names`` are the known actors to propagate (see :func:`known_names`); ``rules``
    chooses which of ``RULES`` run. Building one tokenizes the names once; reuse it across
    documents.
    """

    origin = "rules"
    name = "rules"

    def __init__(
        self,
        names: Iterable[KnownName] = (),
        *,
        labels: RuleLabels = RuleLabels(),
        rules: Iterable[str] = RULES,
    ):
        self.names = list(names)
        self.labels = labels
        self.rules = frozenset(rules)
        unknown = self.rules - set(RULES)
        if unknown:
            raise ValueError(
                f"unknown rule(s) {', '.join(sorted(unknown))} (one of {', '.join(RULES)})"
            )
        self._matchers: dict[str, _NameMatcher] = {}
        self._lock = threading.Lock()

    def _names(self, language: str | None) -> _NameMatcher:
        code = blank(language).lang
        with self._lock:
            matcher = self._matchers.get(code)
            if matcher is None:
                matcher = self._matchers[code] = _NameMatcher(self.names, language)
            return matcher

    def find(
        self, text: str, *, published: str | None = None, language: str | None = None
    ) -> list[Suggestion]:
        """The rules' suggestions for ``text``, in text order (nothing is written).

        A long text is read in pieces of about PIECE characters cut at line breaks: no rule
        looks across a line break, and spaCy's tokenizer holds Python's lock for a whole
        call, which for a 1 MB article would freeze the window for half a second.
        """
        if len(text) <= PIECE:
            return self._find(text, published, language)
        found: list[Suggestion] = []
        for start, end in text_pieces(text, PIECE):
            for suggestion in self._find(text[start:end], published, language):
                found.append(
                    replace(suggestion, start=suggestion.start + start, end=suggestion.end + start)
                )
        return found

    def _find(self, text: str, published: str | None, language: str | None) -> list[Suggestion]:
        lexicon = _lexicon(language)
        doc = lexicon.nlp.tokenizer(text)
        page = Page(doc, text)
        keys = lexicon.keys
        nouns: list[tuple[int, int]] = []
        phrases: list[tuple[int, int]] = []
        for key, start, end in lexicon.by_lower(doc):
            (nouns if keys[key] == "EVENT_NOUN" else phrases).append((start, end))
        reporting: list[int] = []
        event_verbs: list[int] = []
        for key, start, _end in lexicon.by_orth(doc):
            (reporting if keys[key] == "REPORTING" else event_verbs).append(start)
        nouns = _longest_hits(nouns)

        found: list[Suggestion] = []
        if "actors" in self.rules and self.names:
            found.extend(propagate_actors(page, self._names(language)))
        if "claims" in self.rules:
            label = self.labels.claim
            claims = quotations(page, label)
            claims += reported_speech(page, reporting, lexicon, label)
            claims += attributed_claims(page, phrases, label)
            found.extend(drop_nested(claims))
        if "events" in self.rules:
            events = event_phrases(page, nouns, event_verbs, lexicon, self.labels.event)
            if "dates" in self.rules:
                mentions = dates.find_dates(text, published, _event_sentences(page, events))
                events = attach_dates(page, events, mentions, reporting)
            found.extend(events)
        found.sort(key=lambda s: (s.start, s.end, s.label))
        return found

    def analyse(self, document: DocumentRecord) -> Analysis:
        """The rules' suggestions for a stored document (see :meth:`find`)."""
        return Analysis(
            self.find(document.text, published=document.published, language=document.language)
        )


def _event_sentences(page: Page, events: Sequence[Suggestion]) -> list[tuple[int, int]]:
    """The character ranges of the sentences that hold an event, in order, each once: a
    date elsewhere dates nothing, so only these are searched."""
    sentences = sorted({page.sentence_index(_token_at(page.starts, e.start)) for e in events})
    ranges = []
    for number in sentences:
        first, last = page.sentences[number]
        ranges.append((page.starts[first], page.ends[last - 1]))
    return ranges


def _longest_hits(hits: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Matcher hits without those inside a longer hit ("strike" inside "drone strike")."""
    hits.sort(key=lambda hit: (hit[0], -hit[1]))
    kept: list[tuple[int, int]] = []
    reach = -1
    for start, end in hits:
        if end <= reach:
            continue
        kept.append((start, end))
        reach = end
    return kept


def rules_for(
    store: Store, *, labels: RuleLabels = RuleLabels(), rules: Iterable[str] = RULES
) -> RuleSuggester:
    """A :class:`RuleSuggester` that propagates the actors and entities known in ``store``."""
    return RuleSuggester(known_names(store, labels), labels=labels, rules=rules)
