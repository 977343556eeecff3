"""Which actor mentions are one actor: alias suggestions, and the link picker's ranking.

``propose`` groups distinct actor names (accepted Actor spans' texts, existing actors' names
and aliases) that look like one actor, each group with a score and one reason a line:
transliteration variants (Baqir / Baqer / Bakr), Arabic name particles (al- / el-, Abu),
a shorter name that matches the start or end of a longer one, titles dropped, acronyms,
Arabic organisation words with their English meaning (Kataib = Brigades), and a capital
standing for its country (Tehran, Iran). Names are compared only within blocks that share a
key (consonant skeletons, initials, an organisation's core), never all pairs; pairs found to
be different actors (Iran / Iraq, two al-Saadis) keep their groups apart.
``ActorIndex`` ranks canonical actors for the picker.

Pure Python: anyascii transliterates other scripts, rapidfuzz measures similarity; only
Dossier's own rules are written here. No database, no Qt, no spaCy.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import combinations

from anyascii import anyascii
from rapidfuzz import fuzz, process

# --- word lists -------------------------------------------------------------------------------

# Titles and roles dropped from the start of a name ("President Joe Biden" is "Joe Biden").
TITLES = frozenset(
    " ".join(words)
    for words in (
        ("president",),
        ("vice", "president"),
        ("prime", "minister"),
        ("deputy", "prime", "minister"),
        ("minister",),
        ("foreign", "minister"),
        ("defense", "minister"),
        ("defence", "minister"),
        ("interior", "minister"),
        ("secretary",),
        ("defense", "secretary"),
        ("defence", "secretary"),
        ("secretary", "of", "state"),
        ("secretary", "general"),
        ("press", "secretary"),
        ("general",),
        ("gen",),
        ("lt",),
        ("lieutenant",),
        ("col",),
        ("colonel",),
        ("maj",),
        ("major", "general"),
        ("brig",),
        ("brigadier",),
        ("adm",),
        ("admiral",),
        ("cmdr",),
        ("commander",),
        ("top", "commander"),
        ("sheikh",),
        ("shaykh",),
        ("sheik",),
        ("ayatollah",),
        ("grand", "ayatollah"),
        ("imam",),
        ("mr",),
        ("mrs",),
        ("ms",),
        ("dr",),
        ("sen",),
        ("senator",),
        ("rep",),
        ("representative",),
        ("ambassador",),
        ("spokesman",),
        ("spokeswoman",),
        ("spokesperson",),
        ("king",),
        ("prince",),
        ("crown", "prince"),
        ("emir",),
        ("former",),
        ("chief",),
        ("leader",),
        ("founder",),
        ("head",),
    )
)
_TITLE_LENGTHS = (3, 2, 1)

# Countries and the words for their people: a one-word name that is one of these is never
# matched to a longer name by its start or end ("Iraq" is not "Iraqi Hezbollah Brigades").
PLACES = frozenset(
    """
    afghanistan afghan america american amman ankara arab arabia bahrain bahraini baghdad
    beijing beirut britain british cairo china chinese damascus doha egypt egyptian europe
    european france french gaza germany german iran iranian iraq iraqi israel israeli jordan
    jordanian kremlin kurdistan kurdish kuwait lebanon lebanese libya libyan london moscow
    oman pakistan palestine palestinian paris qatar qatari riyadh russia russian saudi syria
    syrian tehran turkey turkish uae uk un us usa washington west yemen yemeni
    """.split()
)
# Words many organisation names share: on their own they are no evidence of one actor.
COMMON = PLACES | frozenset(
    """
    hezbollah hizbollah hizballah islamic revolutionary national popular democratic united
    central special foreign defense defence shiite shia sunni arab axis regime state states
    republic kingdom new great supreme federal international
    """.split()
)
# Words that say what kind of organisation a name is, with the Arabic ones translated, so
# that "Harakat al-Nujaba" meets "Al-Nujaba movement" and "Kataib" meets "Brigades".
ORG_WORDS = {
    "kataib": "brigades",
    "katib": "brigades",
    "brigades": "brigades",
    "brigade": "brigades",
    "liwa": "brigades",
    "harakat": "movement",
    "haraka": "movement",
    "movement": "movement",
    "hizb": "party",
    "hezb": "party",
    "party": "party",
    "jaysh": "army",
    "jaish": "army",
    "jeish": "army",
    "army": "army",
    "saraya": "companies",
    "companies": "companies",
    "asaib": "league",
    "league": "league",
    "quwat": "forces",
    "forces": "forces",
    "force": "forces",
    "government": "government",
    "military": "military",
    "militia": "militia",
    "militias": "militia",
    "group": "group",
    "groups": "group",
    "front": "front",
    "command": "command",
    "council": "council",
    "ministry": "ministry",
    "department": "department",
    "agency": "agency",
    "corps": "corps",
    "guard": "guard",
    "guards": "guard",
    "administration": "administration",
    "officials": "officials",
    "office": "office",
    "committee": "committee",
    "coalition": "coalition",
    "alliance": "alliance",
    "union": "union",
    "resistance": "resistance",
    "units": "units",
    "organization": "organization",
    "organisation": "organization",
    "embassy": "embassy",
    "observatory": "observatory",
    "institute": "institute",
    "news": "news",
    "agency's": "agency",
    "senate": "senate",
    "congress": "congress",
    "parliament": "parliament",
    "police": "police",
    "navy": "navy",
    "troops": "troops",
    "state": "state",
    "pentagon": "pentagon",
}
ARABIC_ORG_WORDS = frozenset(
    "kataib katib liwa harakat haraka hizb hezb jaysh jaish jeish saraya asaib quwat".split()
)
# Skipped in initials and in comparing names ("Islamic Resistance in Iraq" is IRI).
STOP_WORDS = frozenset("of the and for in on at to a an &".split())
# Arabic name particles written before a word; "abu", "bin", "ibn", "umm" bind to the next
# word ("Abu Bakr" is one part of a name), "al" and "el" are dropped.
ARTICLES = frozenset("al el".split())
_ARTICLE_PREFIX = re.compile(r"(?<![\w'])(al|el|ad|an|ar|as|ash|at|az|ud|ul)-(?=\w)", re.I)
BINDERS = {"abu": "abu", "abou": "abu", "abo": "abu", "bin": "bin", "ibn": "bin"}
BINDERS.update({"ben": "bin", "umm": "umm", "um": "umm", "bint": "bint"})
# Arabic-script particles, read before transliterating (anyascii drops the alif of "al").
_ARABIC_WORDS = {"أبو": "abu", "ابو": "abu", "بن": "bin", "ابن": "bin", "أم": "umm"}
_ARABIC_ARTICLE = re.compile(r"(?<![\u0600-\u06ff])ال(?=[\u0600-\u06ff])")
EQUIVALENTS = "actor_equivalents"  # resources/lexicons/actor_equivalents.txt


@cache
def equivalents() -> dict[str, int]:
    """Names of one actor that no rule derives (a country's names, the capital that stands
    for its government), from the lexicon ``actor_equivalents``: each name, read as
    mentions are read, and the number of its line."""
    from desktop.nlp.lexicons import entries

    table: dict[str, int] = {}
    for number, entry in enumerate(entries(EQUIVALENTS)):
        for name in entry.text.split("|"):
            if name.strip():
                table.setdefault(read_form(name.strip()).folded, number)
    table.pop("", None)
    return table


# --- keys -------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans(
    {c: "'" for c in "\u2019\u2018\u02bc\u02bb\u0060\u00b4\u2032\u02be\u02bf"}
    | {c: '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033"}
    | {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"}
)
_SPACE = re.compile(r"\s+")


def name_key(text: str) -> str:
    """The key a name is compared and remembered by (rejected pairs are stored as keys).

    Unicode NFC, typographic apostrophes, quotes and dashes unified, whitespace collapsed,
    case folded. Stable: the same text always gives the same key.
    """
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    return _SPACE.sub(" ", text).strip().casefold()


@lru_cache(maxsize=100_000)
def skeleton(word: str) -> str:
    """A word's consonant skeleton, the same for its usual Latin transliterations.

    q and c are k, vowels (and y after the first letter) are dropped, a first vowel is
    ``a``, doubled letters are single and a final h goes: Baqir, Baqer and Bakr are all
    ``bkr``; Qasem, Qassem and Kassem ``ksm``; Wissam and Wisam ``wsm``.
    """
    word = word.replace("ch", "sh").replace("ph", "f").replace("ck", "k").replace("dj", "j")
    word = word.replace("q", "k").replace("c", "k").replace("ou", "u")
    out = []
    for index, char in enumerate(word):
        if char in "aeiou" or (char == "y" and index):
            if not index:
                out.append("a")
            continue
        if not char.isalnum():
            continue
        if not out or out[-1] != char:
            out.append(char)
    if len(out) > 2 and out[-1] == "h":
        out.pop()
    return "".join(out)


# --- names as read ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mention:
    """One distinct actor name as written (an accepted Actor span's text, or an existing
    actor's name or alias)."""

    text: str
    count: int = 1  # accepted spans with this text (0 for a name only on an actor)
    entity_uuid: str | None = None  # the existing actor this name belongs to, if any


@dataclass(frozen=True, slots=True)
class Proposal:
    """A group of names that look like one actor, with its score and reasons."""

    names: tuple[str, ...]  # the distinct texts in the group, as written, most mentioned first
    score: float  # 0..1, higher = surer
    reasons: tuple[str, ...]  # one line each, for the analyst
    entity_uuids: tuple[str, ...]  # existing actors in the group, in order of mention count
    pairs: tuple[tuple[str, str], ...]  # every pair of names, as sorted name_key()s


@dataclass(frozen=True, slots=True)
class Form:
    """One way of reading a name, analysed for comparison.

    A name has one form, or several when it carries another name inside it: "US Central
    Command (CENTCOM)" is read as "US Central Command" and "CENTCOM"; "Wissam Mohammed
    “Abu Bakr” al-Saadi" also as "Abu Bakr", "Abu Bakr al-Saadi" and "Wissam Mohammed
    al-Saadi".
    """

    text: str  # the form as written
    tokens: tuple[str, ...]  # folded words, titles, articles and stop words gone, binders joined
    shown: tuple[str, ...]  # the same words as written, for reasons
    initials_words: tuple[str, ...]  # folded words for initials (binders not joined)
    skeletons: tuple[str, ...]
    types: frozenset[str]  # what kind of organisation (translated), empty for a person
    core: tuple[str, ...]  # tokens that are not organisation words
    acronym: str | None  # "IRGC", folded, when the form is one all-capital word
    titles: tuple[str, ...]  # titles dropped from the start, as written
    articles: tuple[str, ...]  # the particles dropped (al, el), folded
    common: bool  # one word, and a country or an organisation word
    folded: str  # the tokens, joined by spaces


_PAREN = re.compile(r"^(?P<main>[^()]*?)\s*\((?P<inner>[^()]+)\)\s*$")
_QUOTED = re.compile(r'"(?P<inner>[^"]+)"')
_AKA = re.compile(r"^(?:aka|a\.k\.a\.?|also known as|or)\s+", re.I)
_WORD = re.compile(r"[^\s\-/,;:()\[\]\"]+")
_ACRONYM = re.compile(r"^(?:[A-Z]\.){2,8}$|^[A-Z][A-Z&]{1,7}$")


def forms_of(text: str) -> tuple[Form, ...]:
    """The ways of reading one name (see ``Form``), the name itself first; none for a name
    without a letter or digit."""
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES).strip()
    texts = [text]
    paren = _PAREN.match(text)
    if paren and paren["main"]:
        texts = [paren["main"], _AKA.sub("", paren["inner"].strip())]
    readings: list[str] = []
    for part in texts:
        quoted = _QUOTED.search(part)
        if quoted and quoted.start() > 0:
            nickname = quoted["inner"].strip()
            rest = _SPACE.sub(" ", part[: quoted.start()] + " " + part[quoted.end() :]).strip()
            readings += [rest, nickname]
            if len(rest.split()) >= 2:  # the nickname with the family name: "Abu Bakr al-Saadi"
                readings.append(f"{nickname} {rest.split()[-1]}")
        else:
            readings.append(part.replace('"', "").strip())
    seen: dict[str, Form] = {}
    for reading in readings:
        form = read_form(reading)
        if form.tokens and form.folded not in seen:
            seen[form.folded] = form
    return tuple(seen.values())


_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
_NOT_KEPT = re.compile(r"[^a-z0-9&]")


def _fold_word(word: str) -> str:
    """One word transliterated, lower case, without its possessive 's or punctuation."""
    if not word.isascii():
        if _ARABIC_LETTER.search(word):
            word = _ARABIC_WORDS.get(word, word)
        word = anyascii(word)
    word = word.lower()
    if word.endswith("'s") and len(word) > 3:
        word = word[:-2]
    return word if word.isalnum() else _NOT_KEPT.sub("", word)


@lru_cache(maxsize=20_000)
def read_form(text: str) -> Form:
    """One reading of a name, analysed (see ``Form``)."""
    if _ACRONYM.match(text):
        letters = text.replace(".", "").lower()
        return Form(
            text, (letters,), (text,), (letters,), (skeleton(letters),), frozenset(), (letters,),
            letters, (), (), letters in COMMON, letters,
        )  # fmt: skip
    articles = [m.lower() for m in _ARTICLE_PREFIX.findall(text)]
    stripped = _ARTICLE_PREFIX.sub("", text)
    stripped = _ARABIC_ARTICLE.sub("", stripped)
    words = [(raw, _fold_word(raw)) for raw in _WORD.findall(stripped)]
    words = [(raw, folded) for raw, folded in words if folded]
    if words and words[0][1] == "the":
        words = words[1:]
    titles: list[str] = []
    while len(words) > 1:
        for length in _TITLE_LENGTHS:
            head = " ".join(folded for _, folded in words[:length])
            if len(words) > length and head in TITLES:
                titles.append(" ".join(raw for raw, _ in words[:length]))
                words = words[length:]
                break
        else:
            # "Iraqi Prime Minister …", "US President …": a place before a title goes too.
            if words[0][1] in PLACES and len(words) > 2:
                after = [" ".join(f for _, f in words[1 : 1 + n]) for n in _TITLE_LENGTHS]
                if any(head in TITLES for head in after):
                    titles.append(words[0][0])
                    words = words[1:]
                    continue
            break
    kept = []
    for raw, folded in words:
        if folded in ARTICLES and len(words) > 1:
            articles.append(folded)
            continue
        kept.append((raw, folded))
    initials_words = tuple(f for _, f in kept if f not in STOP_WORDS)
    tokens: list[str] = []
    shown: list[str] = []
    index = 0
    while index < len(kept):
        raw, folded = kept[index]
        if folded in STOP_WORDS:
            index += 1
            continue
        binder = BINDERS.get(folded)
        if binder and index + 1 < len(kept):
            tokens.append(f"{binder} {kept[index + 1][1]}")
            shown.append(f"{raw} {kept[index + 1][0]}")
            index += 2
            continue
        tokens.append(folded)
        shown.append(raw)
        index += 1
    types = frozenset(ORG_WORDS[t] for t in tokens if t in ORG_WORDS)
    core = tuple(t for t in tokens if t not in ORG_WORDS)
    skeletons = tuple(_token_skeleton(t) for t in tokens)
    common = len(tokens) == 1 and (tokens[0] in COMMON or tokens[0] in ORG_WORDS)
    return Form(
        text, tuple(tokens), tuple(shown), initials_words, skeletons, types, core, None,
        tuple(titles), tuple(sorted(set(articles))), common, " ".join(tokens),
    )  # fmt: skip


def _token_skeleton(token: str) -> str:
    if " " in token:
        binder, _, rest = token.partition(" ")
        return f"{binder} {skeleton(rest)}"
    return skeleton(token)


# --- comparing two forms ----------------------------------------------------------------------

VETO = -1.0  # two names compared and found to be different actors


@lru_cache(maxsize=100_000)
def _token_match(a: str, b: str) -> int:
    """2 when two words are equal, 1 when they are spellings of one word, else 0."""
    if a == b:
        return 2
    if a in COMMON or b in COMMON or a in ORG_WORDS or b in ORG_WORDS:
        return 0
    a_binder, _, a_rest = a.rpartition(" ")
    b_binder, _, b_rest = b.rpartition(" ")
    if a_binder != b_binder:
        return 0
    if a_rest == b_rest:
        return 2
    sa, sb = skeleton(a_rest), skeleton(b_rest)
    if sa == sb and (len(sa) >= 3 or fuzz.ratio(a_rest, b_rest) >= 70):
        return 1
    if min(len(a_rest), len(b_rest)) >= 6 and fuzz.ratio(a_rest, b_rest) >= 85:
        return 1
    return 0


def _match_words(short: Sequence[int], long: Sequence[int], fa: Form, fb: Form, notes: list):
    """Whether the tokens at ``short`` (of fa) and ``long`` (of fb) match one to one."""
    for i, j in zip(short, long, strict=True):
        level = _token_match(fa.tokens[i], fb.tokens[j])
        if not level:
            return False
        if level == 1:
            notes.append(f"{fa.shown[i]} ≈ {fb.shown[j]}")
    return True


def _spelling(notes: list[str]) -> str:
    return f" ({', '.join(notes)}, transliteration)" if notes else ""


def _initials_match(acronym: str, words: Sequence[str]) -> str | None:
    """How an acronym is made from words: "initials", "syllables" (CENTCOM), or None."""
    if len(words) < 2:
        return None
    if "".join(w[0] for w in words) == acronym:
        return "initials"
    if len(acronym) < 4:
        return None

    @cache
    def spell(at: int, word: int) -> bool:
        if word == len(words):
            return at == len(acronym)
        for length in range(1, len(words[word]) + 1):
            if acronym[at : at + length] != words[word][:length]:
                break
            if spell(at + length, word + 1):
                return True
        return False

    return "syllables" if spell(0, 0) else None


def _acronym_words(form: Form) -> list[tuple[str, ...]]:
    words = form.initials_words
    out = [words]
    if len(words) > 2 and words[0] in PLACES:
        out.append(words[1:])
    return out


def _title_note(fa: Form, fb: Form) -> str:
    dropped = _titles_apart(fa, fb)
    return f", title dropped ({', '.join(dropped)})" if dropped else ""


def _titles_apart(fa: Form, fb: Form) -> list[str]:
    """The titles one reading has and the other has not, as written."""
    if not (fa.titles or fb.titles):
        return []
    a = {_fold_word(t) for t in fa.titles}
    b = {_fold_word(t) for t in fb.titles}
    return list(
        dict.fromkeys(
            [t for t in fa.titles if _fold_word(t) not in b]
            + [t for t in fb.titles if _fold_word(t) not in a]
        )
    )


_DIGITS = re.compile(r"\d+")
_SAME_SPELLING = "same name, spelt with other punctuation or case"


def compare(fa: Form, fb: Form) -> tuple[float, str]:
    """How sure it is that two readings name one actor, and why.

    Returns (score, reason): a score from 0.7 to 1 for a match, 0 for no evidence either
    way, ``VETO`` when the two are compared and found to be different actors.
    """
    if fa.folded == fb.folded:
        differences = []
        if titles := _titles_apart(fa, fb):
            differences.append("title dropped (" + ", ".join(titles) + ")")
        if fa.articles != fb.articles:
            if fa.articles and fb.articles:
                differences.append(" / ".join(f"{a}-" for a in (*fa.articles, *fb.articles)))
            else:
                differences.append(f"{(fa.articles or fb.articles)[0]}- dropped")
        if not differences:
            differences.append(_SAME_SPELLING)
        return 0.95, "; ".join(differences)
    same = equivalents()
    eq_a = same.get(fa.folded)
    if eq_a is not None and eq_a == same.get(fb.folded):
        if {fa.folded, fb.folded} & (PLACES - {"us", "usa", "uk", "america", "britain"}):
            return 0.85, "a capital standing for its country's government"
        return 0.9, "names of one actor in the list of equivalents"
    if fa.acronym or fb.acronym:
        return _compare_acronym(fa, fb)
    if fa.common or fb.common:
        if fa.common and fb.common:
            return VETO, "different places or organisations"
        return VETO, "a one-word country or organisation name is not a longer name"
    if fa.types or fb.types:
        score, reason = _compare_organisations(fa, fb)
    else:
        score, reason = _compare_people(fa, fb)
    if (
        score == 0.0
        and min(len(fa.folded), len(fb.folded)) >= 10
        and _DIGITS.findall(fa.folded) == _DIGITS.findall(fb.folded)
    ):
        similarity = fuzz.ratio(fa.folded, fb.folded)
        if similarity >= 92:
            return 0.7, f"same name but for a slip of spelling ({similarity:.0f}% alike)"
    return score, reason


def _compare_acronym(fa: Form, fb: Form) -> tuple[float, str]:
    if fa.acronym and fb.acronym:
        return VETO, "different acronyms"
    acronym, other = (fa, fb) if fa.acronym else (fb, fa)
    for words in _acronym_words(other):
        how = _initials_match(acronym.acronym, words)
        if how == "initials":
            return 0.85, f"{acronym.text} is the initials of {other.text}"
        if how == "syllables":
            return 0.8, f"{acronym.text} is made of the first letters of the words of {other.text}"
    return 0.0, ""


def _translations(fa: Form, fb: Form) -> str:
    notes = []
    for form in (fa, fb):
        for token, shown in zip(form.tokens, form.shown, strict=True):
            if token in ARABIC_ORG_WORDS:
                notes.append(f"{shown} = {ORG_WORDS[token]}")
    return f" ({', '.join(dict.fromkeys(notes))})" if notes else ""


def _core_match(a: Sequence[str], b: Sequence[str], fa: Form, fb: Form, notes: list) -> bool:
    """Whether two organisation cores hold the same words, in any order."""
    if len(a) != len(b):
        return False
    left = list(b)
    for token in a:
        for index, other in enumerate(left):
            level = _token_match(token, other)
            if level:
                if level == 1:
                    notes.append(f"{token} ≈ {other}")
                del left[index]
                break
        else:
            return False
    return True


def _compare_organisations(fa: Form, fb: Form) -> tuple[float, str]:
    notes: list[str] = []
    translated = _translations(fa, fb)
    if _core_match(fa.core, fb.core, fa, fb, notes):
        if not fa.core:
            return 0.0, ""
        if fa.types == fb.types:
            return 0.9, "same organisation name" + translated + _spelling(notes)
        if not (fa.types and fb.types):
            if all(t in COMMON for t in fa.core):
                return VETO, "the shorter name is a common word"
            bare = fa if not fa.types else fb
            return 0.75, f"{bare.text} is the name without its kind" + _spelling(notes)
        return 0.0, ""
    short, long = (fa, fb) if len(fa.tokens) <= len(fb.tokens) else (fb, fa)
    n = len(short.tokens)
    if (
        2 <= n < len(long.tokens)
        and any(t not in COMMON and t not in ORG_WORDS for t in short.tokens)
        and _match_words(
            range(n), range(len(long.tokens) - n, len(long.tokens)), short, long, notes
        )
    ):
        return 0.75, "shorter name matches the end" + _spelling(notes)
    notes.clear()
    a_core = tuple(t for t in fa.core if t not in PLACES)
    b_core = tuple(t for t in fb.core if t not in PLACES)
    if fa.types == fb.types and fa.types and a_core and b_core:
        # Without the places, a core of common words ("Foreign" Ministry) is no evidence,
        # unless one name translates the other ("Kataib Hezbollah", "Hezbollah Brigades").
        evidence = any(t not in COMMON for t in a_core + b_core) or translated
        if evidence and _core_match(a_core, b_core, fa, fb, notes):
            # Name the places only one of the two names gives ("in Iraq"), each once.
            a_places = {_fold_word(t) for t in fa.shown} & PLACES
            b_places = {_fold_word(t) for t in fb.shown} & PLACES
            apart = a_places ^ b_places
            places = list(dict.fromkeys(t for t in fa.shown + fb.shown if _fold_word(t) in apart))
            aside = f", {', '.join(places)} aside" if places else ""
            return 0.75, "same organisation" + aside + translated + _spelling(notes)
        shared = any(_token_match(a, b) for a in a_core for b in b_core)
        if not shared:
            return VETO, "same kind of organisation, different names"
    return 0.0, ""


def _compare_people(fa: Form, fb: Form) -> tuple[float, str]:
    short, long = (fa, fb) if len(fa.tokens) <= len(fb.tokens) else (fb, fa)
    ns, nl = len(short.tokens), len(long.tokens)
    notes: list[str] = []
    if ns == nl:
        if _match_words(range(ns), range(nl), short, long, notes):
            return 0.9, "same name" + _spelling(notes) + _title_note(fa, fb)
        notes.clear()
    else:
        if (ns >= 2 or " " in short.tokens[0]) and _match_words(
            range(ns), range(ns), short, long, notes
        ):
            return 0.85, "shorter name matches the start" + _spelling(notes) + _title_note(fa, fb)
        notes.clear()
        tail = range(nl - ns, nl)
        single_ok = ns >= 2 or (len(short.tokens[0]) >= 4 and " " not in short.tokens[0])
        if single_ok and _match_words(range(ns), tail, short, long, notes):
            return 0.8, "shorter name matches the end" + _spelling(notes) + _title_note(fa, fb)
        notes.clear()
        if ns >= 2 and _subsequence(short, long, notes):
            return 0.8, "middle name left out" + _spelling(notes) + _title_note(fa, fb)
        notes.clear()
    if ns >= 2 and nl >= 2 and _token_match(short.tokens[-1], long.tokens[-1]):
        first_s, first_l = short.tokens[0], long.tokens[0]
        if (" " in first_s) == (" " in first_l) and not _token_match(first_s, first_l):
            return VETO, "same family name, different given names"
    return 0.0, ""


def _subsequence(short: Form, long: Form, notes: list[str]) -> bool:
    if not _match_words([0], [0], short, long, notes):
        return False
    if not _match_words([len(short.tokens) - 1], [len(long.tokens) - 1], short, long, notes):
        return False
    j = 1
    for i in range(1, len(short.tokens) - 1):
        while j < len(long.tokens) - 1 and not _token_match(short.tokens[i], long.tokens[j]):
            j += 1
        if j >= len(long.tokens) - 1:
            return False
        _match_words([i], [j], short, long, notes)
        j += 1
    return True


# --- blocking ---------------------------------------------------------------------------------

BLOCK_LIMIT = 60  # a key shared by more names than this says too little to compare them all
# Keys that pair two sides only, never like with like: an acronym with the longer names it
# may stand for ("i", "s"), a one-word name with the longer names it may start or end
# ("first", "last") or name without its kind ("t").
_SIDED_KEYS = frozenset({"i", "s", "first", "last", "t"})


def block_keys(form: Form) -> set[tuple]:
    """The keys under which a reading is compared with others that share one.

    Sided keys (``_SIDED_KEYS``) end with the side, 0 or 1: a name meets only those on the
    other side of the same key.
    """
    keys: set[tuple] = {("k", form.skeletons)}
    equivalent = equivalents().get(form.folded)
    if equivalent is not None:
        keys.add(("e", equivalent))
    if form.acronym:
        letters = form.acronym
        keys.add(("i", letters, 0))
        if len(letters) >= 4:
            keys.update(("s", letters[:3], letters[j], 0) for j in range(3, len(letters)))
        return keys
    if form.common:
        return keys
    for words in _acronym_words(form):
        if len(words) >= 2:
            keys.add(("i", "".join(w[0] for w in words), 1))
            keys.update(("s", words[0][:3], w[0], 1) for w in words[1:])
    if form.types:
        bare = frozenset(skeleton(t) for t in form.core if t not in PLACES)
        keys.add(("c", frozenset(skeleton(t) for t in form.core)))
        keys.add(("o", form.types, bare))
        for token in form.core:
            if token not in COMMON:
                keys.add(("t", _token_skeleton(token), 1))
        if len(form.tokens) >= 2:
            keys.add(("tail", form.skeletons[-2:]))
        return keys
    tokens = form.skeletons
    if len(tokens) == 1:
        keys.add(("t", tokens[0], 0))  # meets organisations by their core ("Sabereen News")
        keys.add(("first", tokens[0], 0))
        keys.add(("last", tokens[0], 0))
        return keys
    keys.add(("first", tokens[0], 1))
    keys.add(("last", tokens[-1], 1))
    # Names with one family name meet, so that two people who share it are told apart.
    keys.add(("family", tokens[-1]))
    keys.add(("fl", tokens[0], tokens[-1]))
    keys.add(("head", tokens[:2]))
    keys.add(("tail", tokens[-2:]))
    return keys


def _blocks(readings: Sequence[Sequence[Form]]) -> list[tuple[list[int], list[int] | None]]:
    """Blocks of indexes into ``readings`` that share a key, as (members, None), or for a
    sided key as (one side, the other). Keys shared by too many are left out."""
    blocks: dict[tuple, list[int]] = defaultdict(list)
    for index, forms in enumerate(readings):
        keys: set[tuple] = set()
        for form in forms:
            keys |= block_keys(form)
        for key in keys:
            blocks[key].append(index)
    out: list[tuple[list[int], list[int] | None]] = []
    for key, ids in blocks.items():
        if key[0] in _SIDED_KEYS:
            if key[-1] != 0:
                continue
            others = blocks.get((*key[:-1], 1), [])
            if others and len(ids) <= BLOCK_LIMIT and len(others) <= BLOCK_LIMIT:
                out.append((ids, others))
        elif 1 < len(ids) <= BLOCK_LIMIT:
            out.append((ids, None))
    return out


def candidate_blocks(readings: Sequence[Sequence[Form]]) -> list[list[int]]:
    """Blocks of indexes into ``readings`` (one entry per name) that share a key.

    Blocks larger than ``BLOCK_LIMIT`` are left out: a key that many names share (a common
    family name on its own) says too little to compare them all. A sided key's block holds
    both sides (see ``block_keys``).
    """
    return [ids + (others or []) for ids, others in _blocks(readings)]


def _candidate_pairs(readings: Sequence[Sequence[Form]]) -> Iterable[tuple[int, int]]:
    """Each pair of indexes that shares a block, once, smaller index first."""
    blocks = _blocks(readings)
    keys_of: list[set[int]] = [set() for _ in readings]
    for key, (ids, others) in enumerate(blocks):
        if others is None:
            for index in ids:
                keys_of[index].add(key)
    for key, (ids, others) in enumerate(blocks):
        if others is not None:
            for a in ids:
                for b in others:
                    if a != b:
                        yield (a, b) if a < b else (b, a)
            continue
        for a, b in combinations(ids, 2):
            # A pair that shares several blocks is compared in the first of them only.
            if min(keys_of[a] & keys_of[b]) == key:
                yield (a, b) if a < b else (b, a)


# --- grouping ---------------------------------------------------------------------------------

LINKAGE = 0.3  # mean score over all pairs across two groups needed to join them


@dataclass(slots=True)
class _Node:
    texts: list[str]  # distinct texts, as written
    counts: dict[str, int]
    entity: str | None
    keys: set[str]


def _nodes(mentions: Iterable[Mention]) -> list[_Node]:
    by_text: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        if mention.text.strip():
            by_text[mention.text].append(mention)
    nodes: dict[str, _Node] = {}
    for text in sorted(by_text):
        group = by_text[text]
        # A name on one actor belongs to that actor; one claimed by two stays with the first.
        entities = sorted({m.entity_uuid for m in group if m.entity_uuid})
        entity = entities[0] if entities else None
        key = f"e:{entity}" if entity else f"n:{text}"
        node = nodes.get(key)
        if node is None:
            node = nodes[key] = _Node([], {}, entity, set())
        node.texts.append(text)
        node.counts[text] = sum(max(m.count, 0) for m in group)
        node.keys.add(name_key(text))
    return [nodes[key] for key in sorted(nodes)]


def _edges(nodes: list[_Node], forms: dict[str, tuple[Form, ...]]) -> tuple[dict, set]:
    """The best score of each compared pair of nodes, and the pairs found to be different
    actors; a pair of nodes i < j is kept as the number ``i * len(nodes) + j``.

    Texts read the same way (case, punctuation, titles, al- aside) are compared once.
    ``forms`` receives each text's readings.
    """
    by_reading: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
    for index, node in enumerate(nodes):
        for text in node.texts:
            forms[text] = readings = forms_of(text)
            reading = tuple((f.folded, f.acronym) for f in readings) or (
                "as written",
                name_key(text),
            )
            by_reading[reading].append((index, text))
    readings = [forms[members[0][1]] for members in by_reading.values()]
    groups = [sorted({index for index, _ in members}) for members in by_reading.values()]
    n = len(nodes)
    edges: dict[int, float] = {}
    vetoes: set[int] = set()
    for members in by_reading.values():
        for (na, ta), (nb, tb) in combinations(members, 2):
            if na != nb:
                pair = na * n + nb if na < nb else nb * n + na
                score = 1.0 if name_key(ta) == name_key(tb) else 0.95
                edges[pair] = max(score, edges.get(pair, 0.0))
    for a, b in _candidate_pairs(readings):
        score, _ = _best(readings[a], readings[b])
        if score == VETO:
            for na in groups[a]:
                for nb in groups[b]:
                    if na != nb:
                        vetoes.add(na * n + nb if na < nb else nb * n + na)
        elif score > 0:
            for na in groups[a]:
                for nb in groups[b]:
                    if na != nb:
                        pair = na * n + nb if na < nb else nb * n + na
                        if score > edges.get(pair, 0.0):
                            edges[pair] = score
    return edges, vetoes


def _best(left: Sequence[Form], right: Sequence[Form]) -> tuple[float, str]:
    """The best comparison over two names' readings (see ``compare``)."""
    best = (0.0, "")
    veto = None
    for index_a, fa in enumerate(left):
        for index_b, fb in enumerate(right):
            score, reason = compare(fa, fb)
            if score == VETO:
                if index_a == 0 and index_b == 0:
                    veto = (score, reason)
                continue
            if index_a or index_b:
                inner = fa.text if index_a else fb.text
                if reason.startswith(_SAME_SPELLING):
                    reason = f"the longer name holds “{inner}”"
                else:
                    reason = f"{reason}, reading “{inner}” in the longer name"
                score -= 0.02
            if score > best[0]:
                best = (score, reason)
    if best[0] > 0:
        return best
    return veto or best


def explain(a: str, b: str, forms: dict[str, tuple[Form, ...]] | None = None) -> tuple[float, str]:
    """How sure it is that two names are one actor, and why (one line for the analyst)."""
    if name_key(a) == name_key(b):
        return 1.0, f"“{a}” / “{b}”: same name, other case or typography"
    forms = forms or {}
    score, reason = _best(forms.get(a) or forms_of(a), forms.get(b) or forms_of(b))
    if not reason and score == 0:
        reason = "no evidence either way"
    return score, f"“{a}” / “{b}”: {reason}"


def propose(
    mentions: Iterable[Mention],
    *,
    rejected: Collection[tuple[str, str]] = (),
    min_score: float = 0.0,
) -> list[Proposal]:
    """Groups of mentions that look like one actor, best first. Each text comes once
    (``desktop.review.actors.mentions`` gives a text linked to several actors once, with
    the actor most of its spans link to).

    A group joins at least two *units*: a unit is an existing actor (all names with that
    entity_uuid) or one unlinked name; names of one existing actor are never proposed to each
    other alone. A pair in ``rejected`` (name_key pairs, either order) is never put in one
    group again. Groups are built by average linkage over the compared pairs, best pair
    first: two groups join when no pair across them was found to be different actors (or
    rejected) and their mean score over all pairs across them, counting pairs never compared
    as 0, is at least ``LINKAGE``.
    """
    nodes = _nodes(mentions)
    forms: dict[str, tuple[Form, ...]] = {}
    edges, vetoes = _edges(nodes, forms)
    n = len(nodes)
    vetoes |= _rejected_pairs(nodes, rejected)
    veto_of: dict[int, set[int]] = defaultdict(set)
    for pair in vetoes:
        a, b = divmod(pair, n)
        veto_of[a].add(b)
        veto_of[b].add(a)
    del vetoes
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    tree: dict[int, list[int]] = {i: [] for i in range(n)}
    failed: dict[tuple[int, int], tuple[int, int]] = {}  # two groups that could not join
    order = sorted(edges)
    order.sort(key=edges.__getitem__, reverse=True)  # best first, ties by pair
    for pair in order:
        a, b = divmod(pair, n)
        ga, gb = group_of[a], group_of[b]
        if ga == gb:
            continue
        left, right = members[ga], members[gb]
        if len(left) > len(right):
            ga, gb, left, right = gb, ga, right, left
        sizes = (len(left), len(right))
        if failed.get((ga, gb)) == sizes:
            continue
        right_set = set(right)
        if (
            any(veto_of[m] & right_set for m in left if m in veto_of)
            or _linkage(left, right, edges, n) < LINKAGE * sizes[0] * sizes[1]
        ):
            failed[(ga, gb)] = sizes
            continue
        for m in left:
            group_of[m] = gb
        right.extend(left)
        tree[gb] += tree.pop(ga) + [pair]
        del members[ga]
    del order, failed
    proposals = []
    for group, ids in members.items():
        if len(ids) > 1:
            proposal = _proposal(nodes, ids, tree[group], edges, forms)
            if proposal.score >= min_score:
                proposals.append(proposal)
    proposals.sort(key=lambda p: (-p.score, -len(p.names), p.names))
    return proposals


def _linkage(left: list[int], right: list[int], edges: dict[int, float], n: int) -> float:
    """The sum of scores over all pairs across two groups (0 for pairs not compared)."""
    get = edges.get
    return sum(get(a * n + b if a < b else b * n + a, 0.0) for a in left for b in right)


def _rejected_pairs(nodes: list[_Node], rejected: Collection[tuple[str, str]]) -> set:
    """The pairs of nodes that hold a rejected pair of names (numbered as in ``_edges``)."""
    owner: dict[str, list[int]] = defaultdict(list)
    for index, node in enumerate(nodes):
        for key in node.keys:
            owner[key].append(index)
    n = len(nodes)
    pairs = set()
    for a, b in rejected:
        for na in owner.get(name_key(a), ()):
            for nb in owner.get(name_key(b), ()):
                if na != nb:
                    pairs.add(na * n + nb if na < nb else nb * n + na)
    return pairs


def _proposal(nodes: list[_Node], ids, tree_edges, edges, forms) -> Proposal:
    n = len(nodes)
    counts: dict[str, int] = {}
    for i in ids:
        counts.update(nodes[i].counts)
    names = tuple(sorted(counts, key=lambda text: (-counts[text], text)))
    entity_counts: dict[str, int] = defaultdict(int)
    for i in ids:
        if nodes[i].entity:
            entity_counts[nodes[i].entity] += sum(nodes[i].counts.values())
    entities = tuple(sorted(entity_counts, key=lambda e: (-entity_counts[e], e)))
    tree_scores = [edges[pair] for pair in tree_edges]
    all_pairs = _linkage(ids, ids, edges, n) / 2  # each pair counted from both sides
    score = 0.5 * sum(tree_scores) / len(tree_scores) + all_pairs / (len(ids) * (len(ids) - 1))
    reasons = tuple(_reason(nodes[pair // n], nodes[pair % n], forms) for pair in tree_edges)
    keys = sorted({name_key(text) for text in names})
    return Proposal(
        names, round(min(score, 1.0), 3), reasons, entities, tuple(combinations(keys, 2))
    )


def _reason(a: _Node, b: _Node, forms) -> str:
    """The reason line for two joined nodes: their best pair of texts."""
    best = max(
        (explain(ta, tb, forms) for ta in a.texts for tb in b.texts), key=lambda item: item[0]
    )
    return best[1]


# --- the picker -------------------------------------------------------------------------------

_PUNCTUATION = re.compile(r"[^\w\s]")
# Words shorter than this are matched by their start only: a slip in three letters matches
# a fifth of the vocabulary, which ranks slowly and shows little the analyst meant.
LOOSE_FROM = 4


def fold(text: str) -> str:
    """A name as the picker compares it: name_key, transliterated, apostrophes and other
    punctuation gone (Kata’ib is kataib, al-Saadi is al saadi)."""
    text = anyascii(name_key(text)).lower().replace("'", "")
    return _SPACE.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


class ActorIndex:
    """The picker's ranking over canonical actors.

    Names and aliases are folded (``fold``). A name or alias that is the query scores 100,
    one that starts with it 96 to 100 (shorter first); one in which every word of the query
    starts a word 90 to 95 (shorter first); then, from four letters on, names whose every word matches a query word
    loosely (one slip in four letters, or the same consonant skeleton: Muhammad for
    Mohammed) are scored by rapidfuzz's WRatio, scaled below 90. Build a new index when
    actors change; it takes a fraction of a second for 10,000.
    """

    def __init__(self, actors: Iterable[tuple[str, str, Sequence[str]]]):
        self._uuids: list[str] = []
        self._names: list[str] = []
        self._strings: list[str] = []  # folded names and aliases
        self._owner: list[int] = []  # actor of each string
        for uuid, name, aliases in actors:
            actor = len(self._uuids)
            self._uuids.append(uuid)
            self._names.append(name)
            for text in dict.fromkeys([name, *aliases]):
                folded = fold(text)
                if folded:
                    self._strings.append(folded)
                    self._owner.append(actor)
        self._name_keys = [fold(name) or name_key(name) for name in self._names]
        self._by_name = sorted(range(len(self._uuids)), key=lambda i: (self._name_keys[i], i))
        self._sorted = sorted(range(len(self._strings)), key=self._strings.__getitem__)
        self._sorted_strings = [self._strings[i] for i in self._sorted]
        holders: dict[str, list[int]] = defaultdict(list)
        for index, string in enumerate(self._strings):
            for word in dict.fromkeys(string.split()):
                holders[word].append(index)
        self._vocabulary = sorted(holders)
        self._holders = [holders[word] for word in self._vocabulary]
        number = {word: index for index, word in enumerate(self._vocabulary)}
        self._string_words = [frozenset(number[w] for w in s.split()) for s in self._strings]
        skeletons = sorted((skeleton(word), index) for index, word in enumerate(self._vocabulary))
        self._skeletons = [sk for sk, _ in skeletons]
        self._skeleton_word = [index for _, index in skeletons]
        self._truncated: dict[int, tuple[list[str], list[list[int]]]] = {}
        for length in range(3, 13):
            self._truncate(length)

    def __len__(self) -> int:
        return len(self._uuids)

    # --- public API ---------------------------------------------------------------------------

    def rank(self, query: str, limit: int = 50) -> list[tuple[str, float]]:
        """Actors for a query, as (uuid, score 0..100), best first; by name when empty."""
        query = fold(query)
        if not query:
            return [(self._uuids[i], 100.0) for i in self._by_name[:limit]]
        best: dict[int, float] = {}
        for index in self._starting_with(query):
            actor = self._owner[index]
            score = 100.0 - min(len(self._strings[index]) - len(query), 40) / 10
            if score > best.get(actor, 0.0):
                best[actor] = score
            if len(best) >= limit * 4:
                break  # strings are in order: enough of the first names that start so
        if len(best) < limit:
            words = query.split()
            for index in self._holding([self._word_prefixes(word) for word in words]):
                actor = self._owner[index]
                score = 95.0 - min(len(self._strings[index]), 50) / 10
                if score > best.get(actor, 0.0):
                    best[actor] = score
        if len(best) < limit and len(query) >= LOOSE_FROM:
            self._loosely(query, best, limit)
        ranked = sorted(best.items(), key=lambda item: (-item[1], self._name_keys[item[0]]))
        return [(self._uuids[actor], round(score, 2)) for actor, score in ranked[:limit]]

    # --- matching -----------------------------------------------------------------------------

    def _starting_with(self, prefix: str) -> list[int]:
        low = bisect.bisect_left(self._sorted_strings, prefix)
        high = bisect.bisect_left(self._sorted_strings, prefix + "\uffff")
        return self._sorted[low:high]

    def _word_prefixes(self, prefix: str) -> set[int]:
        """Words of the vocabulary that start with ``prefix``."""
        low = bisect.bisect_left(self._vocabulary, prefix)
        high = bisect.bisect_left(self._vocabulary, prefix + "\uffff")
        return set(range(low, high))

    def _holding(self, wanted: list[set[int]]) -> list[int]:
        """Strings that hold, for each set of words, one of its words."""
        if not all(wanted):
            return []
        # Start from the set held by fewest strings; test the others word by word.
        sizes = [sum(len(self._holders[w]) for w in words) for words in wanted]
        first = sizes.index(min(sizes))
        rest = [words for index, words in enumerate(wanted) if index != first]
        out = []
        for word in wanted[first]:
            for string in self._holders[word]:
                held = self._string_words[string]
                if all(not held.isdisjoint(words) for words in rest):
                    out.append(string)
        return list(dict.fromkeys(out))

    def _truncate(self, length: int) -> tuple[list[str], list[list[int]]]:
        if length not in self._truncated:
            cut: dict[str, list[int]] = defaultdict(list)
            for index, vocable in enumerate(self._vocabulary):
                cut[vocable[:length]].append(index)
            self._truncated[length] = (list(cut), list(cut.values()))
        return self._truncated[length]

    def _similar_words(self, word: str) -> set[int]:
        """Words of the vocabulary that start like ``word`` give or take a slip of spelling
        (one in four letters), or whose skeleton starts with ``word``'s."""
        length = len(word)
        heads, owners = self._truncate(length)
        slips = max(1, length // 4)
        cutoff = 100.0 * (length - slips) / length - 0.5
        found: set[int] = set()
        for _, _, at in process.extract(
            word, heads, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff, limit=None
        ):
            found.update(owners[at])
        bones = skeleton(word)
        if len(bones) >= 2:
            low = bisect.bisect_left(self._skeletons, bones)
            high = bisect.bisect_left(self._skeletons, bones + "\uffff")
            found.update(self._skeleton_word[low:high])
        return found

    def _loosely(self, query: str, best: dict[int, float], limit: int) -> None:
        candidates = self._holding(
            [
                self._similar_words(word) if len(word) >= LOOSE_FROM else self._word_prefixes(word)
                for word in query.split()
            ]
        )
        if not candidates:
            return
        strings = [self._strings[index] for index in candidates]
        owners = [self._owner[index] for index in candidates]
        for _, score, at in process.extract(
            query, strings, scorer=fuzz.WRatio, processor=None, limit=limit * 3
        ):
            actor = owners[at]
            score = score * 0.89
            if score > best.get(actor, 0.0):
                best[actor] = score
