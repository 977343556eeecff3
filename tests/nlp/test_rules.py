"""Each suggestion rule on small texts, and on the seed articles against analyst A's spans.

Expected spans are located in the text with ``str.index`` on the words an analyst would
tag, never taken from the rules.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.nlp.rules import KnownName, RuleSuggester, known_names

THURSDAY = "2024-02-08"


def where(text: str, words: str, after: str = "") -> tuple[int, int]:
    """The offsets of ``words`` in ``text`` (the first occurrence after ``after``)."""
    start = text.index(words, text.index(after) if after else 0)
    return start, start + len(words)


def found(
    text: str, label: str, rules=("claims", "events", "dates", "actors"), names=(), published=None
):
    suggester = RuleSuggester(names, rules=rules)
    return [s for s in suggester.find(text, published=published) if s.label == label]


def spans(suggestions) -> set[tuple[int, int]]:
    return {(s.start, s.end) for s in suggestions}


# --- claims ---------------------------------------------------------------------------------


def test_a_claim_after_said_is_the_reported_clause():
    text = "Sabereen News, affiliated with Iran’s IRGC, said two people had been killed and several injured."
    assert spans(found(text, "Claim")) == {
        where(text, "two people had been killed and several injured")
    }


def test_a_claim_after_said_that_skips_a_time_expression():
    text = "Iran-backed groups announced Friday that they will resume attacks on US forces."
    assert spans(found(text, "Claim")) == {where(text, "they will resume attacks on US forces")}


def test_told_needs_that_and_a_bare_object_is_no_claim():
    claim = "Foreign Ministry spokesman Saeed Khatibzadeh told a press briefing in Tehran that the US is wrong."
    no_claim = (
        "Senator Bill Hagerty told Bloomberg. US Central Command confirmed the Wednesday attack."
    )
    assert spans(found(claim, "Claim")) == {where(claim, "the US is wrong")}
    assert found(no_claim, "Claim") == []


def test_a_claim_before_a_postposed_speaker():
    text = (
        "Repeated US strikes are pushing the government to end the mission of US troops, "
        "Iraqi prime minister's military spokesman Yahya Rasool said on Thursday."
    )
    assert spans(found(text, "Claim")) == {
        where(
            text, "Repeated US strikes are pushing the government to end the mission of US troops"
        )
    }


def test_a_speaker_in_the_middle_gives_the_whole_sentence():
    text = "Many of those bombs, Mr. Knights said, could be traced back to Kataib Hezbollah."
    assert spans(found(text, "Claim")) == {where(text, text[:-1])}


def test_a_quoted_claim_keeps_its_quotation_marks():
    text = "“These crimes will not go unpunished,” the militia Al-Nujaba movement threatened in a statement."
    assert spans(found(text, "Claim")) == {where(text, "“These crimes will not go unpunished,”")}


def test_scare_quotes_are_not_claims():
    text = "The PMF harshly denounced the “sinful” attacks on its ‘maximum pressure’ campaign."
    assert found(text, "Claim") == []


def test_a_quotation_left_open_ends_with_its_paragraph():
    text = "“You take escalation off the table, you take a big tool of deterrence off the table.\nNext paragraph here."
    assert spans(found(text, "Claim")) == {where(text, text.split("\n")[0])}


def test_a_clause_reported_inside_a_quotation_is_part_of_the_quotation():
    text = "“They say we don’t want to escalate anything with Iran,” Senator Bill Hagerty told Bloomberg."
    assert spans(found(text, "Claim")) == {
        where(text, "“They say we don’t want to escalate anything with Iran,”")
    }


def test_a_reported_clause_holding_a_quotation_is_one_claim():
    text = "CENTCOM said there were “no indications of collateral damage or civilian casualties”."
    assert spans(found(text, "Claim")) == {
        where(text, "there were “no indications of collateral damage or civilian casualties”")
    }


@pytest.mark.parametrize(
    "text,claim",
    [
        (
            "Abu Baqir al-Saadi was once a bodyguard to the founder, according to the Washington Institute.",
            "Abu Baqir al-Saadi was once a bodyguard to the founder",
        ),
        (
            "According to leaks, the Iraqi prime minister reportedly reached an agreement with the IRI.",
            "the Iraqi prime minister reportedly reached an agreement with the IRI",
        ),
    ],
)
def test_according_to_attributes_the_rest_of_the_sentence(text, claim):
    assert spans(found(text, "Claim")) == {where(text, claim)}


def test_a_passive_reporting_verb_reports_nothing():
    text = "Four fighters died, a claim that could not be independently confirmed."
    assert found(text, "Claim") == []


# --- events and dates -----------------------------------------------------------------------


def test_an_event_phrase_runs_from_its_determiner_through_its_time():
    text = "The US military conducted a precision missile strike Wednesday night eliminating a commander."
    events = found(text, "Event", published=THURSDAY)
    assert spans(events) == {where(text, "a precision missile strike Wednesday night")}
    assert events[0].attributes == {"date": "2024-02-07"}


def test_an_event_phrase_takes_its_prepositional_phrases():
    text = (
        "Groups had announced a pause following the large-scale retaliatory strikes by the US "
        "military on dozens of targets in Iraq and Syria on February 3."
    )
    events = found(text, "Event", published=THURSDAY)
    phrase = "the large-scale retaliatory strikes by the US military on dozens of targets in Iraq and Syria on February 3"
    assert ((*where(text, phrase), {"date": "2024-02-03"})) in [
        (e.start, e.end, e.attributes) for e in events
    ]


def test_a_trigger_verb_takes_its_auxiliary_and_what_follows():
    text = "Wisam Mohammed Saber al-Saedi was killed by a US drone strike in Baghdad Wednesday, reportedly."
    events = found(text, "Event", published=THURSDAY)
    assert spans(events) == {where(text, "was killed by a US drone strike in Baghdad Wednesday")}
    assert events[0].attributes["date"] == "2024-02-07"


def test_a_nominal_event_with_of_and_a_month():
    text = "A militia responsible for the deaths of three US troops in January."
    events = found(text, "Event", published=THURSDAY)
    assert [(e.start, e.end, e.attributes) for e in events] == [
        (*where(text, "the deaths of three US troops in January"), {"date": "2024-01"})
    ]


def test_a_verb_after_a_modal_is_not_part_of_the_event():
    text = "They said they will resume attacks on US forces."
    assert spans(found(text, "Event", rules=("events",))) == {where(text, "attacks on US forces")}


def test_a_capitalised_trigger_inside_a_name_is_no_event():
    text = "Former US Special Operations Commander Gen. Tony Thomas told CBS."
    assert found(text, "Event") == []


def test_a_date_after_a_reporting_verb_dates_the_saying_not_the_event():
    text = "The strikes, the spokesman said on Thursday, were legal."
    events = found(text, "Event", published=THURSDAY)
    assert [e.attributes for e in events] == [{}]


def test_a_nearby_date_outside_the_event_still_dates_it():
    text = "The first major attack was launched on February 3, hitting more than 85 targets."
    events = {(e.start, e.end): e.attributes for e in found(text, "Event", published=THURSDAY)}
    assert events[where(text, "The first major attack")] == {}
    assert events[where(text, "was launched on February 3")] == {"date": "2024-02-03"}


def test_dates_stay_unresolved_without_a_publication_date():
    text = "A precision missile strike Wednesday night."
    assert [e.attributes for e in found(text, "Event", published=None)] == [{}]


def test_a_weekday_the_tokenizer_cuts_still_dates_its_event():
    text = "A drone strike on Wed. killed two people."  # spaCy reads "Wed." as "We" + "d."
    events = found(text, "Event", rules=("events", "dates"), published=THURSDAY)
    assert [(e.start, e.end, e.attributes) for e in events if e.attributes] == [
        (*where(text, "A drone strike on Wed."), {"date": "2024-02-07"})
    ]


# --- actor propagation ----------------------------------------------------------------------


def test_known_actors_are_suggested_wherever_they_occur_as_whole_tokens():
    text = "Kataib Hezbollah’s operations. KATAIB HEZBOLLAH and Kataib Hezbollahs are other strings. Then Kataib Hezbollah."
    actors = found(text, "Actor", rules=("actors",), names=[KnownName("Kataib Hezbollah", "Actor")])
    first = text.index("Kataib Hezbollah")
    last = text.rindex("Kataib Hezbollah")
    assert spans(actors) == {(first, first + 16), (last, last + 16)}


def test_the_longest_known_name_wins_and_pronouns_are_never_propagated():
    names = [KnownName(n, "Actor") for n in ("al-Muhandis", "Abu Mahdi al-Muhandis", "they", "he")]
    text = "Abu Mahdi al-Muhandis was killed; they said he was al-Muhandis."
    actors = found(text, "Actor", rules=("actors",), names=names)
    assert spans(actors) == {
        where(text, "Abu Mahdi al-Muhandis"),
        where(text, "al-Muhandis", after="was al"),
    }


def test_a_lower_case_name_is_also_found_at_the_start_of_a_sentence():
    text = "The militia fired. Later the militia withdrew."
    actors = found(text, "Actor", rules=("actors",), names=[KnownName("the militia", "Actor")])
    assert spans(actors) == {where(text, "The militia"), where(text, "the militia")}


def test_aliases_of_a_canonical_actor_propagate_across_documents(memory_store, corpus):
    from desktop.formats import import_paths

    import_paths(
        memory_store, [corpus / "000_f40a1a98859d52a1.txt", corpus / "001_4932432c3956f33a.txt"]
    )
    entity = memory_store.add_entity(
        "Abu Baqir al-Saadi", label="Actor", aliases=["Abu Baqer", "Wisam Mohammed Saber al-Saedi"]
    )
    suggester = RuleSuggester(known_names(memory_store), rules=("actors",))
    second = memory_store.document(2)
    found_spans = suggester.analyse(second).suggestions
    text = second.text
    expected = {where(text, "Wisam Mohammed Saber al-Saedi"), where(text, "Abu Baqer")}
    expected |= {(i, i + 9) for i in range(len(text)) if text.startswith("Abu Baqer", i)}
    assert {(s.start, s.end) for s in found_spans} == expected
    assert {(s.label, s.entity_uuid) for s in found_spans} == {("Actor", entity.uuid)}


def test_known_names_come_from_accepted_actor_spans_and_entities(memory_store):
    from db.records import ImportBatch, NewDocument, NewSpan

    memory_store.add_entity("Islamic Resistance in Iraq", label="Actor", aliases=["IRI"])
    text = "The IRI said CENTCOM lied. Pending name."
    memory_store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=text,
                    spans=[
                        NewSpan("Actor", *where(text, "CENTCOM"), annotator="a"),
                        NewSpan(
                            "Actor", *where(text, "Pending name"), annotator="a", status="suggested"
                        ),
                    ],
                )
            ]
        )
    )
    names = {(n.text, n.label, n.entity_uuid is not None) for n in known_names(memory_store)}
    assert names == {
        ("CENTCOM", "Actor", False),
        ("IRI", "Actor", True),
        ("Islamic Resistance in Iraq", "Actor", True),
    }


# --- the seed articles ----------------------------------------------------------------------


def analyst_a(corpus) -> dict[str, set[tuple[str, int, int]]]:
    tasks = {}
    with open(corpus / "annotations" / "analyst_a.prodigy.jsonl", encoding="utf-8") as handle:
        for line in handle:
            task = json.loads(line)
            tasks[task["text"]] = {
                (s["label"].title(), s["start"], s["end"]) for s in task["spans"]
            }
    return tasks


def test_the_rules_find_analyst_a_spans_on_the_first_article(corpus):
    text = (corpus / "000_f40a1a98859d52a1.txt").read_text(encoding="utf-8")
    gold = analyst_a(corpus)[text]
    suggestions = RuleSuggester().find(text, published=THURSDAY)
    keys = {s.key for s in suggestions}
    for label, words in [
        (
            "Claim",
            "Repeated US strikes against Iran-backed armed groups in Iraq are pushing the government to end the mission of US troops in the country",
        ),
        ("Claim", "“These crimes will not go unpunished,”"),
        (
            "Claim",
            "“a Kataib Hezbollah commander responsible for directly planning and participating in attacks on US forces in the region.”",
        ),
        ("Event", "a precision missile strike Wednesday night"),
        ("Event", "the deaths of three US troops in January"),
    ]:
        key = (label, *where(text, words))
        assert key in gold, "the test's expectation is one of analyst A's spans"
        assert key in keys, words
    dated = {
        text[s.start : s.end]: s.attributes.get("date") for s in suggestions if s.label == "Event"
    }
    assert dated["a precision missile strike Wednesday night"] == "2024-02-07"
    assert (
        dated[
            "was killed alongside IRGC top man Qasem Soleimani in another US drone strike early January 2020"
        ]
        == "2020-01"
    )


def test_every_suggestion_on_the_corpus_lies_on_token_boundaries(corpus):
    from desktop.nlp.tokens import TokenIndex

    suggester = RuleSuggester([KnownName("Kataib Hezbollah", "Actor"), KnownName("IRI", "Actor")])
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        index = TokenIndex.of(text)
        for suggestion in suggester.find(text, published=THURSDAY):
            assert index.snap(suggestion.start, suggestion.end) == (
                suggestion.start,
                suggestion.end,
            )
            assert (
                text[suggestion.start : suggestion.end].strip()
                == text[suggestion.start : suggestion.end]
            )


def test_a_long_text_is_read_in_pieces_with_the_same_result(corpus):
    texts = [path.read_text(encoding="utf-8") for path in sorted(corpus.glob("*.txt"))]
    long_text = "\n".join(texts * 4)  # about 120,000 characters: several pieces
    suggester = RuleSuggester([KnownName("Kataib Hezbollah", "Actor")])
    whole = [
        (s.label, s.start, s.end, s.rule, s.attributes)
        for s in suggester._find(long_text, THURSDAY, None)
    ]
    pieces = [
        (s.label, s.start, s.end, s.rule, s.attributes)
        for s in suggester.find(long_text, published=THURSDAY)
    ]
    assert len(long_text) > 5 * 20_000
    assert pieces == whole


def test_lexicons_and_names_are_found_where_spacys_phrase_matcher_finds_them(corpus):
    """The rules find lexicon phrases and known names from a table of word codes; they
    must find exactly the matches spaCy's PhraseMatcher finds (LOWER for event nouns and
    attribution phrases, ORTH for reporting and event verbs and for names)."""
    from spacy.matcher import PhraseMatcher

    from desktop.nlp import lexicons
    from desktop.nlp.rules import Page
    from desktop.nlp.tokens import blank

    nlp = blank("en")
    names = [
        KnownName("Kataib Hezbollah", "Actor"),
        KnownName("the militia", "Actor", "u1"),
        KnownName("Hezbollah", "Group"),
        KnownName("al-Muhandis", "Actor"),
        KnownName("Abu Mahdi al-Muhandis", "Actor", "u2"),
        KnownName("Joe Biden", "Actor"),
    ]
    suggester = RuleSuggester(names)
    by_lower = PhraseMatcher(nlp.vocab, attr="LOWER")
    by_orth = PhraseMatcher(nlp.vocab, attr="ORTH")
    for key, lexicon, matcher in [
        ("nouns", "event_nouns", by_lower),
        ("phrases", "attribution_phrases", by_lower),
        ("reporting", "reporting_verbs", by_orth),
        ("event_verbs", "event_verbs", by_orth),
    ]:
        matcher.add(key, [nlp.make_doc(p) for p in lexicons.words(lexicon)])
    for name in names:
        variants = {name.text, name.text[0].upper() + name.text[1:]}
        by_orth.add(f"{name.label} {name.entity_uuid}", [nlp.make_doc(v) for v in variants])
    texts = [path.read_text(encoding="utf-8") for path in sorted(corpus.glob("*.txt"))]
    texts.append(
        "AIR STRIKES and Air Strike, air strikes. According To them, As Reported By CBS; "
        "the militia said The militia warned, KATAIB HEZBOLLAH killed Kataib Hezbollah’s "
        "men. Abu Mahdi al-Muhandis and al-Muhandis; Joe  Biden, Joe Biden. US us U.S."
    )
    for text in texts:
        doc = nlp.make_doc(text)
        expected = {key: set() for key in ("nouns", "phrases", "reporting", "event_verbs")}
        expected_names = set()
        for key, start, end in list(by_lower(doc)) + list(by_orth(doc)):
            key = nlp.vocab.strings[key]
            if key in ("reporting", "event_verbs"):
                expected[key].add(start)
            elif key in expected:
                expected[key].add((start, end))
            else:
                label, uuid = key.split(" ")
                expected_names.add((start, end, (label, None if uuid == "None" else uuid)))
        page = Page(text, suggester._names("en"))
        assert set(page.nouns) == expected["nouns"]
        assert set(page.phrases) == expected["phrases"]
        assert set(page.reporting) == expected["reporting"]
        assert set(page.event_verbs) == expected["event_verbs"]
        assert set(page.names) == expected_names


def _word_variants(word: str) -> set[str]:
    return {
        word,
        word.upper(),
        word.capitalize(),
        word.lower(),
        word + "ed",
        word + "ly",
        word + "ing",
        "mid-" + word,
        word + "day",
        "x" + word,
    }


def test_a_word_in_no_list_gets_the_code_the_lists_would_give_it(corpus):
    """Words in no lexicon take a short cut past the 40 tests of a listed word; for every
    word of the corpus, every listed word and variants of both, the two must agree."""
    from desktop.nlp.rules import _lexicon

    lexicon = _lexicon("en")
    nlp = lexicon.nlp
    words = {"\n", "\r\n", "  ", "\u2028", "“Hello", "‘tis", "B-52", "2024", "12th", "Wed"}
    for path in corpus.glob("*.txt"):
        words |= {token.text for token in nlp.make_doc(path.read_text(encoding="utf-8"))}
    words |= set(lexicon.listed)
    words = set().union(*map(_word_variants, words))
    for word in words:
        assert lexicon.code(word) == lexicon.listed_code(word, word.lower()), word


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=8))
def test_any_text_gets_the_code_the_lists_would_give_it(word):
    from desktop.nlp.rules import _lexicon

    lexicon = _lexicon("en")
    assert lexicon.code(word) == lexicon.listed_code(word, word.lower())


def _cuts_and_codes(text: str) -> None:
    """The rules' own pipeline cuts ``text`` as the shared one does, and the codes a page
    reads from its lexemes are those the lexicon gives the words."""
    from desktop.nlp.rules import _KEY_MASK, NAME, Page, _lexicon
    from desktop.nlp.tokens import blank

    lexicon = _lexicon("en")
    assert lexicon.nlp is not blank("en")
    page = Page(text, RuleSuggester()._names("en"))
    shared = blank("en").make_doc(text)
    assert page.starts == [token.idx for token in shared]
    assert page.ends == [token.idx + len(token) for token in shared]
    firsts = {first for first, _ in page.sentences}
    for index, token in enumerate(shared):
        mask = ~NAME & ~(_KEY_MASK if index in firsts else 0)  # K_ bits differ at a first
        assert page.codes[index] & mask == lexicon.code(token.text) & mask, token.text


def test_the_rules_own_pipeline_cuts_as_the_shared_one_and_codes_every_word(corpus):
    """The rules tokenize with a pipeline of their own whose lexemes carry the word codes
    (spaCy works a code out as it makes a lexeme, and none of its lexical attributes)."""
    for path in sorted(corpus.glob("*.txt")):
        _cuts_and_codes(path.read_text(encoding="utf-8"))
    _cuts_and_codes("Wed. 3 p.m.: “U.S. strikes” — can't\r\n\u2028 👩🏽‍⚕️ said… e\u0301 שלום")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("aA1 .,\n’'“\"-—éWedMon:)("), max_size=40) | st.text())
def test_any_text_is_cut_and_coded_as_the_shared_pipeline_would(text):
    _cuts_and_codes(text)


def test_names_of_one_suggester_are_not_found_by_another():
    """Anchors of known names are marked in the lexemes, which every suggester of a
    language shares; each page keeps only its own suggester's names."""
    text = "Kataib Hezbollah and Joe Biden met."
    first = RuleSuggester([KnownName("Kataib Hezbollah", "Actor")], rules=("actors",))
    second = RuleSuggester([KnownName("Joe Biden", "Actor")], rules=("actors",))
    assert spans(first.find(text)) == {where(text, "Kataib Hezbollah")}
    assert spans(second.find(text)) == {where(text, "Joe Biden")}
    assert spans(RuleSuggester(rules=("actors",)).find(text)) == set()


def test_unknown_rules_are_refused():
    with pytest.raises(ValueError, match="unknown rule"):
        RuleSuggester(rules=("claims", "sentiment"))
