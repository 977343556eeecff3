"""The suggestion rules: known actors propagated, claims from reported speech, events from
trigger words, and dates resolved onto the events.

The rules run on a blank spaCy pipeline (tokenizer only, from :mod:`desktop.nlp.tokens`):
no tagger or parser, so they work from the lexicons in ``resources/lexicons/``, matched
token by token as spaCy's ``PhraseMatcher`` would, punctuation and sentence boundaries.
Every suggestion starts and ends on token boundaries. Each rule's precise behaviour is in
its docstring.

For speed (``tests/benchmarks/bench_suggest.py`` times them against the bare tokenizer), a
word's lexicon memberships and character classes are worked out once per distinct word and
kept as the bits of an int, its code (see ``BREAK`` … ``L_NO_CLAUSE``); a page gets the codes
of its tokens in C, and Python visits only the tokens a rule starts from and the few around
them.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

from db.records import DocumentRecord
from desktop.nlp import dates, lexicons
from desktop.nlp.spans import Analysis, Suggestion, drop_nested, longest_first
from desktop.nlp.tokens import PIECE, blank, own_blank, text_pieces

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

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


# --- word codes: what every distinct word can be, worked out once --------------------------
#
# A page looks each of its tokens up once, in C (``map`` over a dict keyed by the token's
# ORTH id), and gets one int per token: its code. The rules then test bits of codes instead
# of comparing strings, and only the tokens with a start bit (BREAK … DATE) are visited in
# Python at all. The phrase lexicons and known names are matched token by token from their
# anchor word, exactly as spaCy's PhraseMatcher would (ORTH: as written; LOWER: lower-cased).

# Where the rules start (bits 0-11): the page lists the tokens having each.
BREAK = 1 << 0  # terminal punctuation, or a space with a line break: a sentence may end
QUOTE = 1 << 1  # a quotation mark on its own
NOUN = 1 << 2  # the anchor of an event noun (LOWER)
ATTRIBUTION = 1 << 3  # the anchor of an attribution phrase (LOWER)
REPORTING = 1 << 4  # the anchor of a reporting verb (ORTH)
EVENT_VERB = 1 << 5  # the anchor of an event verb (ORTH)
NAME = 1 << 6  # the anchor of a known name (ORTH)
_DATE_SHIFT = 7
DATE = dates.ANY_HINT << _DATE_SHIFT  # bits 7-11: the word's date hints (see dates.hints)
# What the word is, from its characters (bits 12-33).
SPACE = 1 << 12  # str.isspace
NEWLINE = 1 << 13  # holds "\n"
WORD = 1 << 14  # starts with a letter or digit
UPPER = 1 << 15  # starts with a capital
OPENS_SENTENCE = 1 << 16  # starts with a capital, a digit or an opening quotation mark
DIGITS = 1 << 17  # str.isdigit
LOWERCASE = 1 << 18  # str.islower
CLOSER = 1 << 19  # in CLOSING
TERMINAL = 1 << 20  # in TERMINALS
CLAUSE = 1 << 21  # in CLAUSE_PUNCTUATION
TRIMMED_END = 1 << 22  # in TRIM_END
TRIMMED_START = 1 << 23  # , : ; — –
POSSESSIVE = 1 << 24  # in POSSESSIVES
HYPHEN = 1 << 25  # - or a non-breaking hyphen
OPENER = 1 << 26  # in QUOTES: may open a quotation
AMBIGUOUS = 1 << 27  # " or ‘: opens a quotation only before a word
CLOSING_MARK = 1 << 28  # ” or »
STRAIGHT = 1 << 29  # "
COMMA = 1 << 30
COLON = 1 << 31
STOP_BACK = 1 << 32  # ; or : (a speaker is never looked for across them)
BARE = 1 << 33  # a reporting verb flagged [bare]
# Lexicon membership, compared as the rules compare: K_ bits (34-42) for the "key", the
# word but lower-cased at the start of a sentence (so that "US" is never the pronoun "us");
# L_ bits (43-59) for the lower-cased word. A word's code carries its own K_ bits; the page
# puts the lower-cased word's in their place at sentence starts.
_KEY_SHIFT = 34
_LOWER_SHIFT = 43
_KEY_SETS = 9  # the order of the sets in _Lexicon._sets
_KEY_MASK = ((1 << _KEY_SETS) - 1) << _KEY_SHIFT
_SWAP = _LOWER_SHIFT - _KEY_SHIFT
K_DET, K_STOP_LEFT, K_STOP_PHRASE, K_PREP, K_FUNCTION, K_EVENT_PREP, K_TIME, K_VERBISH, K_AND = (
    1 << (_KEY_SHIFT + k) for k in range(_KEY_SETS)
)
L_DET, _, _, L_PREP, _, _, L_TIME, L_VERBISH, _ = (
    1 << (_LOWER_SHIFT + k) for k in range(_KEY_SETS)
)
L_ADVERB = 1 << 52  # ends in -ly
L_AUXILIARY = 1 << 53
L_MODAL = 1 << 54
L_PASSIVE = 1 << 55
L_THAT = 1 << 56
L_RELATIVE = 1 << 57  # that, which, who
L_ON = 1 << 58
L_NO_CLAUSE = 1 << 59  # a function word that does not open a reported clause
assert DATE < SPACE and _LOWER_SHIFT + _KEY_SETS <= 52  # no two fields share a bit
STARTS = BREAK | QUOTE | NOUN | ATTRIBUTION | REPORTING | EVENT_VERB | NAME | DATE
QUOTE_MARKS = frozenset('“"«„‘”»’')  # what QUOTE marks; every mark the claim rules read
OPENS_CLAUSE = frozenset({"there", "it", "he", "she", "they", "we", "i", "you"})


class _Anchors(dict):
    """Token sequences by their anchor, the longest token that is not a common word (the
    first of those): a sequence is looked for only where its anchor occurs, so that a name
    like "the PMF" is tried at "PMF" rather than at every "the".

    Keys are anchors (token texts, lower-cased when ``lower``); values are the pair (what
    the one-token sequences stand for, ``(anchor position, sequence, what it stands for)``
    for the longer ones), each in the order added. Sequences are tuples of token texts,
    lower-cased when ``lower``."""

    def __init__(self, common: frozenset[str], lower: bool):
        super().__init__()
        self.common = common
        self.lower = lower

    def add(self, tokens: Sequence[str], value: object = None) -> None:
        """Adds the sequence of token texts ``tokens``."""
        if not tokens:
            return
        at = max(
            range(len(tokens)),
            key=lambda k: (tokens[k].lower() not in self.common, len(tokens[k]), -k),
        )
        sequence = tuple(text.lower() for text in tokens) if self.lower else tuple(tokens)
        singles, longer = self.setdefault(sequence[at], ([], []))
        if len(sequence) == 1:
            if value not in singles:
                singles.append(value)
        elif (at, sequence, value) not in longer:
            longer.append((at, sequence, value))


def _tokens(nlp, text: str) -> list[str]:
    return [token.text for token in nlp.make_doc(text)]


class _Lexicon:
    """Every lexicon the rules use, tokenized by one language's tokenizer, and the codes of
    the words met so far (see ``BREAK`` … ``L_NO_CLAUSE``).

    A word's code is kept in its lexeme, as the lexeme's rank (spaCy's row of its vector;
    the rules' pipeline is their own and has no vectors): spaCy works it out as it makes
    the lexeme, as it does the lexeme's other attributes, so that a page reads the codes of
    all its tokens in one ``to_array`` call.
    """

    def __init__(self, language: str | None):
        import numpy
        from spacy.attrs import ID, IDX, LENGTH, ORTH

        nlp = own_blank(blank(language).lang)
        self.nlp = nlp
        self.numpy = numpy
        self.attributes = [IDX, LENGTH, ID]
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
        self.common = self.function_words | self.determiners | self.prepositions

        def anchors(phrases: Iterable[str], lower: bool) -> _Anchors:
            table = _Anchors(self.common, lower)
            for phrase in phrases:
                table.add(_tokens(nlp, phrase))
            return table

        self.attribution = anchors(lexicons.words("attribution_phrases"), True)
        self.nouns = anchors(lexicons.words("event_nouns"), True)
        self.reporting_phrases = anchors(self.reporting, False)
        self.verb_phrases = anchors(self.event_verbs, False)
        # Date hints a special case loses by cutting a word ("Wed" is "We" + "d"): its
        # pieces get them, so that a sentence holding one is still searched for dates.
        self.lost_hints: dict[str, int] = {}
        for chunk, pieces in nlp.tokenizer.rules.items():
            texts = [str(piece.get(ORTH, piece.get("ORTH", ""))) for piece in pieces]
            kept = 0
            for text in texts:
                kept |= dates.hints(text)
            lost = dates.hints(chunk) & ~kept
            for text in texts if lost else ():
                self.lost_hints[text] = self.lost_hints.get(text, 0) | lost
        # Every text a lexicon or a constant set above compares a word (or its lower-cased
        # form) with: a word that is none of them gets its code from its characters alone.
        self.listed = frozenset().union(
            self.determiners,
            self.stop_left,
            self.stop_right,
            self.prepositions,
            self.function_words,
            self.time_words,
            self.modifiers,
            self.reporting,
            self.nouns,
            self.attribution,
            self.reporting_phrases,
            self.verb_phrases,
            self.lost_hints,
            TERMINALS,
            QUOTE_MARKS,
            QUOTES,
            CLOSING,
            CLAUSE_PUNCTUATION,
            TRIM_END,
            POSSESSIVES,
            AUXILIARIES,
            MODALS,
            PASSIVE,
            ("and", "that", "which", "who", "on", "-", "‑"),
        )
        # From here on spaCy codes each word it makes a lexeme for; those it has made
        # already are coded here. The rules read none of the lexical attributes spaCy
        # works out for a new word (norm, shape, prefix, suffix, flags), which on a corpus
        # of new articles take a quarter of the tokenizer's time: their pipeline skips them.
        getters = nlp.vocab.lex_attr_getters
        getters.clear()
        getters[ID] = self.code
        for lexeme in nlp.vocab:
            lexeme.rank = self.code(lexeme.orth_)

    def _sets(self, word: str) -> int:
        """The bits of the _KEY_SETS ``word`` belongs to, from bit 0."""
        bits = 0
        for k, member in enumerate(
            (
                word in self.determiners,
                word in self.stop_left,
                word in self.stop_right or word in self.prepositions,
                word in self.prepositions,
                word in self.function_words,
                word in self.event_prepositions,
                word in self.time_words,
                word.endswith(("ed", "ing")) and word not in self.modifiers,
                word == "and",
            )
        ):
            if member:
                bits |= 1 << k
        return bits

    def code(self, word: str) -> int:
        """The code of ``word`` without NAME, which depends on the known names."""
        low = word.lower()
        if word in self.listed or low in self.listed:
            return self.listed_code(word, low)
        # In no list: what :meth:`listed_code` gives such a word, without its 40 tests.
        head = word[:1]
        code = dates.hints(word) << _DATE_SHIFT
        if word.endswith(("ed", "ing")):
            code |= K_VERBISH
        if low.endswith(("ed", "ing")):
            code |= L_VERBISH
        if low.endswith("ly"):
            code |= L_ADVERB
        if word.isspace():
            code |= SPACE
            if _LINE_BREAK.search(word):
                code |= BREAK
        if "\n" in word:
            code |= NEWLINE
        if head.isalnum():
            code |= WORD
        if head.isupper():
            code |= UPPER | OPENS_SENTENCE
        elif head.isdigit() or head in QUOTES:
            code |= OPENS_SENTENCE
        if word.isdigit():
            code |= DIGITS
        if word.islower():
            code |= LOWERCASE
        return code

    def mark_name(self, word: str) -> None:
        """Gives ``word`` the NAME bit: it anchors a known name of some :class:`_NameTable`
        (each page keeps only the anchors of its own table)."""
        self.nlp.vocab[word].rank |= NAME

    def listed_code(self, word: str, low: str) -> int:
        """The code of a word that is in some list, test by test."""
        head = word[:1]
        code = (
            self._sets(word) << _KEY_SHIFT
            | self._sets(low) << _LOWER_SHIFT
            | (dates.hints(word) | self.lost_hints.get(word, 0)) << _DATE_SHIFT
        )
        for bit, member in (
            (BREAK, word in TERMINALS or (word.isspace() and _LINE_BREAK.search(word))),
            (QUOTE, word in QUOTE_MARKS),
            (NOUN, low in self.nouns),
            (ATTRIBUTION, low in self.attribution),
            (REPORTING, word in self.reporting_phrases),
            (EVENT_VERB, word in self.verb_phrases),
            (SPACE, word.isspace()),
            (NEWLINE, "\n" in word),
            (WORD, head.isalnum()),
            (UPPER, head.isupper()),
            (OPENS_SENTENCE, head.isupper() or head.isdigit() or (head and head in QUOTES)),
            (DIGITS, word.isdigit()),
            (LOWERCASE, word.islower()),
            (CLOSER, word in CLOSING),
            (TERMINAL, word in TERMINALS),
            (CLAUSE, word in CLAUSE_PUNCTUATION),
            (TRIMMED_END, word in TRIM_END),
            (TRIMMED_START, word in (",", ":", ";", "—", "–")),
            (POSSESSIVE, word in POSSESSIVES),
            (HYPHEN, word in ("-", "‑")),
            (OPENER, word in QUOTES),
            (AMBIGUOUS, word in ('"', "‘")),
            (CLOSING_MARK, word in ("”", "»")),
            (STRAIGHT, word == '"'),
            (COMMA, word == ","),
            (COLON, word == ":"),
            (STOP_BACK, word in (";", ":")),
            (BARE, word in self.bare),
            (L_ADVERB, low.endswith("ly")),
            (L_AUXILIARY, low in AUXILIARIES),
            (L_MODAL, low in MODALS),
            (L_PASSIVE, low in PASSIVE),
            (L_THAT, low == "that"),
            (L_RELATIVE, low in ("that", "which", "who")),
            (L_ON, low == "on"),
            (L_NO_CLAUSE, low in self.function_words and low not in OPENS_CLAUSE),
        ):
            if member:
                code |= bit
        return code


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


_LINE_BREAK = re.compile("[\n\r\u2028\u2029]")


class Page:
    """A document's tokens as plain lists, with its sentences and the tokens every rule
    starts from.

    ``starts``, ``ends`` and ``codes`` have an item per token; ``word(i)`` is token ``i``'s
    text. Every per-token list is made in C (``to_array``, ``tolist``, numpy), never by a
    Python loop over the tokens: that alone would cost as much as the tokenizer.
    """

    def __init__(self, text: str, names: _NameTable):
        lexicon = names.lexicon
        doc = lexicon.nlp.tokenizer(text)
        self.text = text
        self.size = size = len(doc)
        numpy = lexicon.numpy
        if size:
            # One attribute a call: a call with several costs more than as many calls.
            idx, length, rank = lexicon.attributes
            starts = doc.to_array(idx)
            self.starts: list[int] = starts.tolist()
            self.ends: list[int] = (starts + doc.to_array(length)).tolist()
            bits = doc.to_array(rank)
        else:
            self.starts, self.ends = [], []
            bits = numpy.zeros(0, dtype=numpy.uint64)
        self.codes: list[int] = bits.tolist()
        flagged = numpy.flatnonzero(bits & STARTS)
        bits = bits[flagged]

        def having(bit: int) -> list[int]:
            return flagged[(bits & bit) != 0].tolist()

        self.marks = having(QUOTE)  # the quotation marks
        self.dated = having(DATE)  # the tokens with a date hint
        breaks = having(BREAK)
        self.nouns = [(s, e) for s, e, _ in self._anchored(having(NOUN), lexicon.nouns)]
        self.phrases = sorted(
            (s, e) for s, e, _ in self._anchored(having(ATTRIBUTION), lexicon.attribution)
        )
        self.reporting = sorted(
            s for s, _, _ in self._anchored(having(REPORTING), lexicon.reporting_phrases)
        )
        self.event_verbs = sorted(
            s for s, _, _ in self._anchored(having(EVENT_VERB), lexicon.verb_phrases)
        )
        known = names.anchors
        self.names = self._anchored([i for i in having(NAME) if self.word(i) in known], known)
        self.sentences: list[tuple[int, int]] = []  # [first, last) tokens, spaces excluded
        self._segment(breaks)
        firsts = self._firsts = [first for first, _ in self.sentences]
        # The sentence of every token (of a space between sentences: the one before); and
        # K_ bits compare the key: the lower-cased word at the start of a sentence.
        sentence_of: list[int] = []
        code_list = self.codes
        for number, first in enumerate(firsts):
            if number:
                sentence_of += [number - 1] * (first - len(sentence_of))
            code = code_list[first]
            code_list[first] = (code & ~_KEY_MASK) | ((code >> _SWAP) & _KEY_MASK)
        sentence_of += [max(len(firsts) - 1, 0)] * (size - len(sentence_of))
        self.sentence_of = sentence_of

    def word(self, index: int) -> str:
        return self.text[self.starts[index] : self.ends[index]]

    def _anchored(self, anchors: list[int], table: _Anchors) -> list:
        """``(start, end, value)`` for every sequence of ``table`` found at the ``anchors``."""
        found = []
        text, starts, ends, size = self.text, self.starts, self.ends, self.size
        lower = table.lower
        for index in anchors:
            word = text[starts[index] : ends[index]]
            singles, longer = table[word.lower() if lower else word]
            for value in singles:
                found.append((index, index + 1, value))
            for at, sequence, value in longer:
                start = index - at
                end = start + len(sequence)
                if start < 0 or end > size:
                    continue
                other = start if at else start + 1  # a token besides the anchor, first
                word = text[starts[other] : ends[other]]
                if (word.lower() if lower else word) != sequence[other - start]:
                    continue
                span = tuple(text[starts[k] : ends[k]] for k in range(start, end))
                if (tuple(piece.lower() for piece in span) if lower else span) == sequence:
                    found.append((start, end, value))
        return found

    def _segment(self, breaks: list[int]) -> None:
        """Sentences end after terminal punctuation (and any closing quotes) when the next
        word starts with a capital, a digit or a quotation mark, and at every line break."""
        codes, starts, ends, size = self.codes, self.starts, self.ends, self.size
        sentences = self.sentences
        first = self._skip_spaces(0)
        for index in breaks:
            if index < first:
                continue  # inside closing quotes already taken
            if codes[index] & SPACE:  # a line break
                last = index
                following = self._skip_spaces(index)
            else:
                last = index + 1
                while last < size and codes[last] & CLOSER and starts[last] == ends[last - 1]:
                    last += 1
                after = last
                while after < size and codes[after] & (SPACE | NEWLINE) == SPACE:
                    after += 1
                if after < size and not codes[after] & OPENS_SENTENCE:
                    continue  # "U.S. forces", "... and then"
                following = self._skip_spaces(last)
            while last > first and codes[last - 1] & SPACE:
                last -= 1
            if last > first:
                sentences.append((first, last))
            first = following
        last = size
        while last > first and codes[last - 1] & SPACE:
            last -= 1
        if last > first:
            sentences.append((first, last))

    def _skip_spaces(self, index: int) -> int:
        codes, size = self.codes, self.size
        while index < size and codes[index] & SPACE:
            index += 1
        return index

    def sentence(self, index: int) -> tuple[int, int]:
        """The [first, last) tokens of the sentence holding token ``index``."""
        return self.sentences[self.sentence_of[index]] if self.sentences else (0, 0)

    def attached(self, index: int) -> bool:
        """Whether token ``index`` follows the previous one with no space between."""
        return index > 0 and self.starts[index] == self.ends[index - 1]

    def hyphen_joins(self, index: int) -> bool:
        """Whether token ``index`` is a hyphen inside a word ("Iran-backed", "wait-and-see")."""
        return bool(
            self.codes[index] & HYPHEN
            and self.attached(index)
            and index + 1 < self.size
            and self.attached(index + 1)
        )

    def has_words(self, first: int, last: int, count: int) -> bool:
        """Whether tokens [first, last) hold at least ``count`` words."""
        codes = self.codes
        for index in range(first, last):
            if codes[index] & WORD:
                count -= 1
                if count <= 0:
                    return True
        return count <= 0


def _trimmed(page: Page, first: int, last: int) -> tuple[int, int] | None:
    """Tokens [first, last) without edge spaces and trailing clause punctuation (a closing
    quotation mark stays), or None when fewer than MIN_CLAIM_WORDS words remain."""
    codes = page.codes
    while first < last and codes[first] & (SPACE | TRIMMED_START):
        first += 1
    last = _before_stray_closer(page, first, last)
    while last > first and codes[last - 1] & (SPACE | TRIMMED_END):
        last -= 1
    if last <= first or not page.has_words(first, last, MIN_CLAIM_WORDS):
        return None
    return first, last


def _before_stray_closer(page: Page, first: int, last: int) -> int:
    """``last``, or the first closing quotation mark in [first, last) that closes nothing
    opened there: a clause reported inside a quotation ends with the quotation. (Only
    quotation marks matter, so only they are visited.)"""
    marks = page.marks
    at = bisect.bisect_left(marks, first)
    open_marks: list[tuple[str, ...]] = []
    while at < len(marks) and marks[at] < last:
        index = marks[at]
        at += 1
        word = page.word(index)
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


class _NameTable:
    """Known names as case-sensitive token sequences on one language's vocabulary, their
    anchors marked NAME in the lexicon."""

    def __init__(self, names: Sequence[KnownName], language: str | None):
        lexicon = self.lexicon = _lexicon(language)
        nlp = lexicon.nlp
        pronouns = lexicons.words("pronouns")
        groups: dict[tuple[str, str | None], set[str]] = {}
        for name in names:
            text = name.text.strip()
            if not any(char.isalpha() for char in text) or text.lower() in pronouns:
                continue
            variants = groups.setdefault((name.label, name.entity_uuid), set())
            variants.add(text)
            if text[0].islower():  # "the militia" also begins a sentence as "The militia"
                variants.add(text[0].upper() + text[1:])
        anchors = _Anchors(lexicon.common, lower=False)
        for target, variants in sorted(groups.items(), key=str):
            for text in sorted(variants):
                anchors.add(_tokens(nlp, text), target)
        self.anchors = anchors
        for word in anchors:
            lexicon.mark_name(word)


def propagate_actors(page: Page) -> list[Suggestion]:
    """Actor propagation: every known name wherever it occurs, as whole tokens.

    Names are matched case-sensitively token by token (the same tokenizer cut the names and
    the text, so "Kataib Hezbollah" is found in "Kataib Hezbollah’s"); a name that begins in
    lower case is also found with a capital, as at the start of a sentence. Pronouns and names with
    no letter are never propagated. Where matches overlap, the longest wins ("Abu Mahdi
    al-Muhandis" rather than "al-Muhandis"). Suggestions carry the name's label and, for
    entity names and aliases, the entity.
    """
    starts, ends = page.starts, page.ends
    names = sorted(page.names, key=itemgetter(0, 1))
    if all(names[k][0] >= names[k - 1][1] for k in range(1, len(names))):
        return [  # no two overlap: all of them, in text order
            Suggestion(label, starts[first], ends[last - 1], "actor.propagation", entity_uuid=uuid)
            for first, last, (label, uuid) in names
        ]
    return longest_first(
        [
            Suggestion(label, starts[first], ends[last - 1], "actor.propagation", entity_uuid=uuid)
            for first, last, (label, uuid) in page.names
        ]
    )


# --- claims ---------------------------------------------------------------------------------


def _opens_quotation(page: Page, index: int) -> bool:
    code = page.codes[index]
    if not code & OPENER:
        return False
    if code & AMBIGUOUS:  # straight and single marks also close quotations and elide letters
        start = page.starts[index]
        before = page.text[start - 1] if start else " "
        after = index + 1
        return (
            (before.isspace() or before in "([{—–")
            and after < page.size
            and page.starts[after] == page.ends[index]
            and not page.codes[after] & SPACE
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
    starts, codes, text = page.starts, page.codes, page.text
    marks = page.marks
    found = []
    position = 0
    for at, index in enumerate(marks):
        if index < position or not _opens_quotation(page, index):
            continue
        closers = QUOTES[page.word(index)]
        paragraph_end = _paragraph_end(text, starts[index])
        last = None
        for other in marks[at + 1 :]:
            if starts[other] >= paragraph_end:
                break
            if page.word(other) in closers:
                last = position = other + 1
                break
        if last is None:  # open to the end of the paragraph
            last = position = bisect.bisect_left(starts, paragraph_end)
            while last > index + 1 and codes[last - 1] & SPACE:
                last -= 1
        if page.has_words(index + 1, last, MIN_QUOTE_WORDS):
            found.append(Suggestion(label, starts[index], page.ends[last - 1], "claim.quotation"))
    return found


def _paragraph_end(text: str, offset: int) -> int:
    """The offset of the first line break at or after ``offset`` (the text's end if none)."""
    found = _LINE_BREAK.search(text, offset)
    return found.start() if found else len(text)


def _skip_time(page: Page, index: int, limit: int) -> int:
    """The first token from ``index`` that is not part of a time expression ("on Thursday",
    "Friday", "last week")."""
    codes = page.codes
    start = index
    while index < limit and index - start < 5:
        code = codes[index]
        if code & (K_TIME | L_TIME | DIGITS | SPACE):
            index += 1
        elif code & L_ON and index + 1 < limit and codes[index + 1] & (K_TIME | DIGITS):
            index += 1
        else:
            break
    return index


def _that_after(page: Page, index: int, limit: int) -> int | None:
    """The token after the first "that" within THAT_WINDOW tokens from ``index``, unless
    clause punctuation comes first."""
    codes = page.codes
    for cursor in range(index, min(limit, index + THAT_WINDOW)):
        code = codes[cursor]
        if code & (CLAUSE | TERMINAL):
            return None
        if code & L_THAT:
            return cursor + 1
    return None


def _closing_quote_before(page: Page, verb: int, first: int) -> bool:
    """Whether a closing quotation mark stands before the reporting verb, with only the
    speaker between ("“…,” the militia threatened"; "“…,” said Knights")."""
    codes, marks = page.codes, page.marks
    at = bisect.bisect_left(marks, verb) - 1
    start = max(first, verb - SUBJECT_WINDOW)
    while at >= 0 and marks[at] >= start:  # the quotation marks in the window, nearest first
        cursor = marks[at]
        code = codes[cursor]
        if code & CLOSING_MARK or (code & STRAIGHT and not _opens_quotation(page, cursor)):
            # the closing mark counts unless a sentence or clause ends between it and the verb
            return not any(codes[k] & (TERMINAL | STOP_BACK) for k in range(cursor + 1, verb))
        at -= 1
    return False


def _forward_claim(page: Page, verb: int, first: int, last: int, label: str) -> Suggestion | None:
    codes = page.codes
    start = _skip_time(page, verb + 1, last)
    if start >= last:
        return None
    code = codes[start]
    if code & COLON:
        if start + 1 < last and _opens_quotation(page, start + 1):
            return None  # the quotation rule has it
        return _claim(page, label, start + 1, last, "claim.reported")
    if code & OPENER:
        return None
    if code & L_THAT:
        return _claim(page, label, start + 1, last, "claim.reported")
    opens_clause = code & WORD and not code & (L_PREP | L_NO_CLAUSE)
    if codes[verb] & BARE and opens_clause:
        return _claim(page, label, start, last, "claim.reported")
    after_that = _that_after(page, start, last)
    if after_that is not None:
        return _claim(page, label, after_that, last, "claim.reported")
    return None


def _postposed_claim(page: Page, verb: int, first: int, last: int, label: str) -> Suggestion | None:
    """ "CLAIM, the spokesman said (on Thursday)." and "A, officials said, B." (whole sentence)."""
    codes = page.codes
    comma = None
    for cursor in range(verb - 1, max(first, verb - SUBJECT_WINDOW) - 1, -1):
        code = codes[cursor]
        if code & COMMA:
            comma = cursor
            break
        if code & (CLAUSE | TERMINAL):
            return None
    if comma is None or comma == verb - 1 or comma <= first:
        return None
    for index in range(comma, verb):
        if codes[index] & L_RELATIVE:  # a relative clause, not a speaker:
            return None  # "…, a claim that could not be confirmed"
    if codes[comma - 1] & CLOSER or (comma + 1 < last and codes[comma + 1] & CLOSER):
        return None  # "“…,” he said": the quotation rule has it
    tail = False  # whether a token besides spaces follows the verb
    words = 0  # those besides trailing punctuation
    for index in range(verb + 1, last):
        code = codes[index]
        if code & SPACE:
            continue
        if not tail:
            tail = True
            if code & COMMA and page.has_words(index, last, MIN_CLAIM_WORDS):
                return _claim(page, label, first, last, "claim.reported")  # "A, he said, B."
        if code & L_THAT:
            return None  # (at most TAIL_WINDOW words or not, a "that" there means none)
        if not code & TRIMMED_END:
            words += 1
            if words > TAIL_WINDOW:
                return None
    return _claim(page, label, first, comma, "claim.reported")


def reported_speech(page: Page, verbs: Iterable[int], label: str) -> list[Suggestion]:
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
    codes, sentences, sentence_of = page.codes, page.sentences, page.sentence_of
    for verb in verbs:
        first, last = sentences[sentence_of[verb]]
        if _closing_quote_before(page, verb, first):
            continue
        if (verb - 1 >= first and codes[verb - 1] & L_PASSIVE) or (
            verb - 2 >= first and codes[verb - 2] & L_PASSIVE
        ):
            continue  # "a claim that could not be independently confirmed"
        claim = _forward_claim(page, verb, first, last, label) or _postposed_claim(
            page, verb, first, last, label
        )
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
    codes = page.codes
    for start, end in phrases:
        first, last = page.sentence(start)
        if start == first:
            comma = next((i for i in range(end, last) if codes[i] & COMMA), None)
            claim = _claim(page, label, comma + 1, last, "claim.according") if comma else None
        elif codes[start - 1] & COMMA:
            comma = next((i for i in range(end, last) if codes[i] & COMMA), None)
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


def _next_word(page: Page, index: int) -> int:
    """The first token after the word (hyphenated compound included) at ``index``."""
    index += 1
    while (
        index < page.size
        and page.attached(index)
        and (
            page.hyphen_joins(index)
            or page.hyphen_joins(index - 1)
            or page.codes[index] & POSSESSIVE
        )
    ):
        index += 1
    return index


_PHRASE_TESTS = WORD | HYPHEN | POSSESSIVE | K_AND | K_STOP_PHRASE | K_VERBISH


def _noun_phrase_end(page: Page, index: int, last: int) -> int:
    """The token after the noun phrase that starts at ``index`` (``index`` when none does)."""
    codes, starts, ends, size = page.codes, page.starts, page.ends, page.size
    cursor = index
    while cursor < last:
        code = codes[cursor]
        if code & _PHRASE_TESTS == WORD and (cursor == index or not codes[cursor - 1] & HYPHEN):
            cursor += 1  # a plain word (what the tests below let through, tested at once)
            continue
        if code & (HYPHEN | POSSESSIVE) or (cursor > index and codes[cursor - 1] & HYPHEN):
            attached = cursor > 0 and starts[cursor] == ends[cursor - 1]
            if attached and (
                code & POSSESSIVE
                or (code & HYPHEN and cursor + 1 < size and starts[cursor + 1] == ends[cursor])
            ):
                cursor += 1
                continue
            if (
                cursor > index
                and attached
                and codes[cursor - 1] & HYPHEN
                and cursor - 1 > 0
                and starts[cursor - 1] == ends[cursor - 2]
            ):
                cursor += 1  # the word after a hyphen belongs to the compound
                continue
        if not code & WORD:
            break
        if code & K_AND:
            following = cursor + 1
            if following < last and codes[following] & (UPPER | DIGITS):
                cursor += 2
                continue
            break
        if code & K_STOP_PHRASE:
            break
        if code & K_VERBISH and not code & UPPER and not _noun_in_phrase(page, cursor, index, last):
            break
        cursor += 1
    return cursor


def _noun_in_phrase(page: Page, cursor: int, index: int, last: int) -> bool:
    """Whether an -ed/-ing word inside a noun phrase is a noun or an adjective ("a building",
    "international shipping in") rather than a verb ("groups threatening the US")."""
    codes = page.codes
    if cursor > index and codes[cursor - 1] & L_DET:
        return True
    following = cursor + 1
    return cursor > index and (
        following >= last
        or not codes[following] & WORD
        or bool(codes[following] & (K_PREP | K_FUNCTION))
    )


def event_phrases(
    page: Page, nouns: Iterable[tuple[int, int]], verbs: Iterable[int], label: str
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
    return [
        Suggestion(label, start, end, "event.trigger")
        for start, end, _ in _event_spans(page, nouns, verbs)
    ]


def _event_spans(
    page: Page, nouns: Iterable[tuple[int, int]], verbs: Iterable[int]
) -> list[tuple[int, int, int]]:
    """The event phrases of :func:`event_phrases` as (start, end, first token), in text
    order, those wholly inside another dropped (as :func:`drop_nested` would)."""
    codes, starts, ends, size = page.codes, page.starts, page.ends, page.size
    sentences, sentence_of = page.sentences, page.sentence_of
    found = []  # (start, -end, first token): sorted, the outer of two nested spans first
    triggers = [(start, end, False) for start, end in nouns]
    noun_starts = {start for start, _ in nouns}
    for verb in verbs:
        first = sentences[sentence_of[verb]][0]
        if verb > first and codes[verb - 1] & L_DET:
            continue
        if verb + 1 in noun_starts:
            continue  # an adjective: "targeted assassination"
        triggers.append((verb, verb + 1, True))
    for trigger, after, verb in triggers:
        first, last = sentences[sentence_of[trigger]]
        edge = trigger
        if verb:  # the auxiliaries before a verb: "was killed"
            while edge - 1 >= first and codes[edge - 1] & L_AUXILIARY:
                edge -= 1
        elif trigger > first and codes[trigger] & UPPER:
            continue  # part of a name: "Special Operations Commander"
        else:  # the words before a noun that belong to its phrase, up to a determiner
            taken = 0
            cursor = trigger - 1
            while cursor >= first and taken < EVENT_LEFT:
                code = codes[cursor]
                if (
                    code & (HYPHEN | POSSESSIVE)
                    and cursor > 0
                    and starts[cursor] == ends[cursor - 1]
                    and (
                        code & POSSESSIVE
                        or (cursor + 1 < size and starts[cursor + 1] == ends[cursor])
                    )
                ):
                    edge = cursor - 1  # the word before a hyphen or a possessive comes with it
                    cursor -= 2
                    taken += 1
                    continue
                if not code & WORD:
                    break
                if code & K_DET:
                    edge = cursor
                    break
                if code & K_STOP_LEFT:
                    if code & L_MODAL and edge < trigger and codes[edge] & LOWERCASE:
                        edge = _next_word(page, edge)  # "will resume attacks": "resume" is a verb
                    break
                if code & L_VERBISH:
                    break
                edge = cursor
                taken += 1
                cursor -= 1
        # On the right: the object of a verb, then time expressions and prepositional
        # phrases with event prepositions.
        limit = min(last, after + EVENT_RIGHT)
        right = cursor = _noun_phrase_end(page, after, limit) if verb else after
        while cursor < limit:
            code = codes[cursor]
            if code & SPACE:
                break
            if code & K_TIME:
                cursor += 1
                while cursor < limit and codes[cursor] & (K_TIME | DIGITS):
                    cursor += 1
                right = cursor
                continue
            if code & K_EVENT_PREP:
                if cursor + 1 < limit and (page.word(cursor), page.word(cursor + 1)) in IDIOMS:
                    break
                end = _noun_phrase_end(page, cursor + 1, limit)
                if end == cursor + 1 or codes[end - 1] & L_ADVERB:
                    break  # nothing, or an adverb: "in relatively restrained terms"
                cursor = right = end
                continue
            break
        found.append((starts[edge], -ends[right - 1], edge))
    found.sort()
    kept = []
    reach = -1
    for start, end, edge in found:
        if reach >= -end:
            continue
        kept.append((start, -end, edge))
        reach = max(reach, -end)
    return kept


def attach_dates(
    page: Page,
    events: list[Suggestion],
    mentions: Iterable[dates.DateMention],
    reporting: Sequence[int] = (),
    sentences: Sequence[int] | None = None,
) -> list[Suggestion]:
    """Events with ``attributes["date"]`` set from the date expressions of the document.

    A resolved date inside an event dates that event. A date outside every event dates the
    nearest event of the same sentence that has no date yet, when at most LOOSE_DATE_GAP
    characters and no reporting verb lie between them ("The first major attack was launched
    on February 3"; but not "strikes …, the spokesman said on Thursday": Thursday dates the
    saying), and never when a reporting verb stands just before the date ("announced
    Friday that they will resume attacks"). Unresolved expressions (no publication date)
    attach nothing. ``sentences``, when known, are the numbers of the events' sentences.
    """
    events = list(events)
    dated = _event_dates(page, [(e.start, e.end) for e in events], mentions, reporting, sentences)
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


def _event_dates(
    page: Page,
    events: list[tuple[int, int]],
    mentions: Iterable[dates.DateMention],
    reporting: Sequence[int] = (),
    sentences: Sequence[int] | None = None,
) -> dict[int, str]:
    """The dates of :func:`attach_dates` by the number of the event (of the ``events``'
    [start, end) character ranges) they date."""
    if not events:
        return {}
    mentions = [mention for mention in mentions if mention.value is not None]
    if not mentions:
        return {}
    starts = page.starts
    said_at = {starts[verb] for verb in reporting}
    said_starts = sorted(said_at)
    event_starts = [start for start, _ in events]
    order = sorted(range(len(events)), key=event_starts.__getitem__)
    event_starts = [event_starts[i] for i in order]
    dated: dict[int, str] = {}
    loose = []
    for mention in mentions:
        inside = False
        # Events holding the mention start before it; they are few and short, so look back
        # over the nearest few only.
        position = bisect.bisect_right(event_starts, mention.start)
        for slot in range(position - 1, max(position - 4, 0) - 1, -1):
            index = order[slot]
            if events[index][1] >= mention.end:
                dated.setdefault(index, mention.value)
                inside = True
        if not inside and not (said_at and _said_just_before(page, mention.start, said_at)):
            loose.append(mention)
    if loose:
        if sentences is None:
            sentences = [page.sentence_of[_token_at(starts, start)] for start, _ in events]
        by_sentence: dict[int, list[int]] = {}
        for index, sentence in enumerate(sentences):
            by_sentence.setdefault(sentence, []).append(index)
    for mention in loose:
        sentence = page.sentence_of[_token_at(starts, mention.start)] if page.size else 0
        candidates = []
        for index in by_sentence.get(sentence, ()):
            if index in dated:
                continue
            start, end = events[index]
            gap = (end, mention.start) if end <= mention.start else (mention.end, start)
            if gap[1] - gap[0] > LOOSE_DATE_GAP:
                continue
            said = bisect.bisect_left(said_starts, gap[0])
            if said < len(said_starts) and said_starts[said] < gap[1]:
                continue
            candidates.append((gap[1] - gap[0], index))
        if candidates:
            dated[min(candidates)[1]] = mention.value
    return dated


def _said_just_before(page: Page, offset: int, said_at: set[int]) -> bool:
    """Whether a reporting verb stands at most two words before ``offset`` ("announced
    Friday", "said on Thursday"): that date is the saying's, not an event's."""
    starts = page.starts
    token = _token_at(starts, offset)
    for index in range(max(token - 3, 0), token):
        if starts[index] in said_at:
            return True
    return False


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
        self._tables: dict[str, _NameTable] = {}
        self._lock = threading.Lock()

    def _names(self, language: str | None) -> _NameTable:
        code = blank(language).lang
        with self._lock:
            table = self._tables.get(code)
            if table is None:
                names = self.names if "actors" in self.rules else []
                table = self._tables[code] = _NameTable(names, language)
            return table

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
        page = Page(text, self._names(language))
        found: list[Suggestion] = []
        if "actors" in self.rules and self.names:
            found.extend(propagate_actors(page))
        if "claims" in self.rules:
            label = self.labels.claim
            claims = quotations(page, label)
            claims += reported_speech(page, page.reporting, label)
            claims += attributed_claims(page, page.phrases, label)
            found.extend(drop_nested(claims))
        if "events" in self.rules:
            spans = _event_spans(page, _longest_hits(page.nouns), page.event_verbs)
            label = self.labels.event
            dated: dict[int, str] = {}
            if "dates" in self.rules and spans:
                sentences = [page.sentence_of[first] for _, _, first in spans]
                windows = _event_sentences(page, sentences)
                if windows:
                    mentions = dates.find_dates(text, published, windows)
                    bounds = [(start, end) for start, end, _ in spans]
                    dated = _event_dates(page, bounds, mentions, page.reporting, sentences)
            found.extend(
                Suggestion(
                    label, start, end, "event.trigger", {"date": dated[n]} if n in dated else {}
                )
                for n, (start, end, _) in enumerate(spans)
            )
        found.sort(key=_TEXT_ORDER)
        return found

    def analyse(self, document: DocumentRecord) -> Analysis:
        """The rules' suggestions for a stored document (see :meth:`find`)."""
        return Analysis(
            self.find(document.text, published=document.published, language=document.language)
        )


_TEXT_ORDER = attrgetter("start", "end", "label")


def _event_sentences(page: Page, sentences: Iterable[int]) -> list[tuple[int, int, int]]:
    """The character ranges of the ``sentences`` (numbers) that hold a date hint, in order,
    each once, with their date hints: a date elsewhere dates nothing, so only these are
    searched (see :func:`dates.find_dates`)."""
    dated, codes = page.dated, page.codes
    if not dated:
        return []
    ranges = []
    for number in sorted(set(sentences)):
        first, last = page.sentences[number]
        hint = bisect.bisect_left(dated, first)
        hints = 0
        while hint < len(dated) and dated[hint] < last:
            hints |= codes[dated[hint]]
            hint += 1
        if hints:
            ranges.append((page.starts[first], page.ends[last - 1], (hints & DATE) >> _DATE_SHIFT))
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


def rules_pipeline(language: str | None = None) -> Language:
    """The pipeline the rules tokenize with: the blank pipeline of ``language`` (see
    :func:`desktop.nlp.tokens.blank`, whose cuts it shares), with a vocabulary of its own whose
    lexemes carry the rules' word codes and none of spaCy's lexical attributes."""
    return _lexicon(language).nlp


def rules_for(
    store: Store, *, labels: RuleLabels = RuleLabels(), rules: Iterable[str] = RULES
) -> RuleSuggester:
    """A :class:`RuleSuggester` that propagates the actors and entities known in ``store``."""
    return RuleSuggester(known_names(store, labels), labels=labels, rules=rules)
