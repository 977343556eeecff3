"""Alias suggestions (which actor mentions are one actor) and the link picker's ranking.

Positive cases are the issue's examples, spelt as the seed articles spell them; each rule
has look-alike negatives (Iran / Iraq, Hezbollah / Kataib Hezbollah, two al-Saadis).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.nlp.actors import (
    ActorIndex,
    Mention,
    Proposal,
    explain,
    fold,
    name_key,
    propose,
    skeleton,
)

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
GOLD = BENCHMARKS / "data" / "actors_gold"


def proposals_for(*names: str, **options) -> list[Proposal]:
    return propose([Mention(name) for name in names], **options)


def together(proposals: list[Proposal], a: str, b: str) -> bool:
    return any(a in p.names and b in p.names for p in proposals)


def group_of(proposals: list[Proposal], name: str) -> set[str]:
    for proposal in proposals:
        if name in proposal.names:
            return set(proposal.names)
    return {name}


# --- keys -------------------------------------------------------------------------------------


def test_name_key_unifies_typography_space_and_case():
    assert name_key("Kata’ib  Hezbollah") == name_key("kata'ib hezbollah")
    assert name_key("Kata‘ib\tHEZBOLLAH ") == "kata'ib hezbollah"
    assert name_key("Abu–Mahdi") == name_key("abu-mahdi") == "abu-mahdi"
    assert name_key("“Abu Bakr”") == '"abu bakr"'
    # Composed and decomposed accents are one key; the key is a fixed point.
    assert name_key("Sa\u0301di") == name_key("Sádi")
    assert name_key(name_key("Kata’ib Hezbollah")) == name_key("Kata’ib Hezbollah")


@pytest.mark.parametrize(
    "spellings",
    [
        ("baqir", "baqer", "bakr"),
        ("saadi", "saedi"),
        ("wissam", "wisam"),
        ("muhandis", "muhandes"),
        ("qasem", "qassem", "kassem"),
        ("mohammed", "muhammad", "mohamed"),
    ],
)
def test_transliterations_share_a_skeleton(spellings):
    assert len({skeleton(word) for word in spellings}) == 1


def test_skeletons_of_different_names_differ():
    assert skeleton("iran") != skeleton("iraq")
    assert skeleton("saadi") != skeleton("sadr")


# --- rules, with the examples ---------------------------------------------------------


@pytest.mark.parametrize(
    "a,b,reason",
    [
        ("Abu Baqir al-Saadi", "Abu Baqer al-Saadi", "Baqir ≈ Baqer"),
        ("Abu Bakr al-Saadi", "Abu Baqir al-Saadi", "Bakr ≈ Baqir"),
        ("Wissam al-Saadi", "Wisam al-Saedi", "Wissam ≈ Wisam"),
        ("Abu Mahdi al-Muhandis", "Abu Mahdi al-Muhandes", "Muhandis ≈ Muhandes"),
        ("Qasem Soleimani", "Qassem Soleimani", "Qasem ≈ Qassem"),
        ("Kassem Soleimani", "Qasem Soleimani", "Kassem ≈ Qasem"),
        ("قاسم سليماني", "Qasem Soleimani", "transliteration"),
        ("Abu Mahdi al-Muhandis", "Abu Mahdi el-Muhandis", "al- / el-"),
        ("Abu Mahdi al-Muhandis", "Abu Mahdi Muhandis", "al- dropped"),
        ("Kata’ib Hezbollah", "Kataib Hezbollah", "punctuation"),
        ("Kata'ib Hezbollah", "Kata‘ib Hezbollah", "case or typography"),
    ],
)
def test_transliteration_variants_are_one_actor(a, b, reason):
    (proposal,) = proposals_for(a, b)
    assert set(proposal.names) == {a, b}
    # "Baqir ≈ Baqer": both spellings named, in either order, as a transliteration.
    assert all(part in proposal.reasons[0] for part in reason.split(" ≈ "))
    assert 0.7 <= proposal.score <= 1.0


def test_shorter_name_matching_the_start_says_so():
    (proposal,) = proposals_for("Abu Baqer", "Abu Baqir al-Saadi")
    assert proposal.reasons == (
        "“Abu Baqer” / “Abu Baqir al-Saadi”: shorter name matches the start "
        "(Abu Baqer ≈ Abu Baqir, transliteration)",
    )


def test_shorter_name_matching_the_end():
    (proposal,) = proposals_for("Biden", "Joe Biden")
    assert "shorter name matches the end" in proposal.reasons[0]


@pytest.mark.parametrize(
    "names",
    [
        ("President Biden", "Joe Biden", "Biden", "President Joe Biden", "Mr. Biden"),
        ("Prime Minister Mohammed Shia al-Sudani", "Sudani"),
        ("Iraqi Prime Minister Mohammed Shia al-Sudani", "Mohammed Shia al-Sudani"),
        ("Maj. Gen. Qassem Soleimani", "Qasem Soleimani"),
        ("Senator Bill Hagerty", "Hagerty"),
        ("Defense Secretary Lloyd Austin", "Lloyd Austin"),
        ("Sheikh Qais al-Khazali", "Qais al-Khazali"),
    ],
)
def test_titles_are_dropped(names):
    proposals = proposals_for(*names)
    assert len(proposals) == 1 and set(proposals[0].names) == set(names)


def test_title_reason_names_the_title():
    (proposal,) = proposals_for("President Biden", "Biden")
    assert proposal.reasons == ("“Biden” / “President Biden”: title dropped (President)",)


@pytest.mark.parametrize(
    "acronym,name",
    [
        ("CENTCOM", "US Central Command"),
        ("IRGC", "Islamic Revolutionary Guard Corps"),
        ("PMF", "Popular Mobilization Forces"),
        ("KH", "Kataib Hezbollah"),
        ("IRI", "Islamic Resistance in Iraq"),
        ("U.S.", "United States"),
        ("US", "United States"),
        ("UN", "United Nations"),
    ],
)
def test_acronyms(acronym, name):
    (proposal,) = proposals_for(acronym, name)
    assert set(proposal.names) == {acronym, name}


def test_acronym_reasons():
    (centcom,) = proposals_for("CENTCOM", "US Central Command")
    assert "first letters of the words" in centcom.reasons[0]
    (irgc,) = proposals_for("IRGC", "Islamic Revolutionary Guard Corps")
    assert "initials" in irgc.reasons[0]


def test_us_usa_and_us_with_dots_are_one_country_but_not_the_un():
    proposals = proposals_for("US", "USA", "U.S.", "United States", "UN")
    assert group_of(proposals, "US") == {"US", "USA", "U.S.", "United States"}
    assert group_of(proposals, "UN") == {"UN"}


def test_a_name_written_with_its_acronym_or_nickname_meets_both():
    proposals = proposals_for("US Central Command (CENTCOM)", "CENTCOM", "US Central Command")
    assert len(proposals) == 1 and len(proposals[0].names) == 3
    proposals = proposals_for("Wissam Mohammed “Abu Bakr” al-Saadi", "Abu Baqer")
    assert together(proposals, "Wissam Mohammed “Abu Bakr” al-Saadi", "Abu Baqer")


def test_arabic_organisation_words_meet_their_translation():
    proposals = proposals_for("Harakat al-Nujaba", "Al-Nujaba movement", "Al-Nujaba")
    assert len(proposals) == 1 and len(proposals[0].names) == 3
    (proposal,) = proposals_for("Kataib Hezbollah", "Iraqi Hezbollah Brigades")
    assert "Kataib = brigades" in proposal.reasons[0]


def test_the_commander_spelt_six_ways_is_one_group():
    names = [
        "Wissam Mohammed “Abu Bakr” al-Saadi",
        "Abu Baqir al-Saadi",
        "Abu Bakr al-Saadi",
        "Wisam Mohammed Saber al-Saedi",
        "Abu Baqer",
        "Saadi",
    ]
    proposals = proposals_for(*names)
    assert len(proposals) == 1 and set(proposals[0].names) == set(names)
    assert len(proposals[0].reasons) == len(names) - 1  # one per join


# --- look-alikes that are not one actor -------------------------------------------------------


@pytest.mark.parametrize(
    "a,b",
    [
        ("Iran", "Iraq"),
        ("Iraq", "Iraqi"),
        ("Iraq", "Iraqi Hezbollah Brigades"),
        ("Iran", "Iran-backed armed groups"),
        ("Hezbollah", "Kataib Hezbollah"),
        ("Hezbollah", "Kata’ib Hezbollah"),
        ("Kata’ib Sayyid al-Shuhada", "Kata’ib Hezbollah"),
        ("Ahmed al-Saadi", "Wissam al-Saadi"),
        ("Ahmed al-Saadi", "Abu Baqir al-Saadi"),
        ("US", "UN"),
        ("USA", "UN"),
        ("Foreign Ministry", "Russian Foreign Ministry"),
        ("Popular Mobilization Forces", "Popular Mobilization Units"),
        ("Mohammed al-Sadr", "Mohammed al-Saadi"),
        ("Kataib Hezbollah 12", "Kataib Hezbollah 13"),
    ],
)
def test_look_alikes_are_not_proposed(a, b):
    assert proposals_for(a, b) == []


def test_no_chain_joins_iran_and_iraq_through_other_names():
    names = ["Iran", "Iraq", "Iranian", "Iraqi", "Tehran", "Baghdad", "Iran-backed groups in Iraq"]
    proposals = proposals_for(*names)
    assert not together(proposals, "Iran", "Iraq")
    assert together(proposals, "Iran", "Tehran") and together(proposals, "Iraq", "Baghdad")


def test_two_al_saadis_do_not_meet_through_the_family_name_alone():
    proposals = proposals_for("Ahmed al-Saadi", "Wissam al-Saadi", "Saadi", "Wisam al-Saedi")
    assert not together(proposals, "Ahmed al-Saadi", "Wissam al-Saadi")
    assert together(proposals, "Wissam al-Saadi", "Wisam al-Saedi")


def test_kataib_hezbollah_and_kataib_sayyid_al_shuhada_stay_apart_beside_their_variants():
    names = [
        "Kataib Hezbollah", "Kata’ib Hezbollah", "Iraqi Hezbollah Brigades", "KH",
        "Kata’ib Sayyid al-Shuhada", "Kataib Sayyid al-Shuhada", "Hezbollah",
    ]  # fmt: skip
    proposals = proposals_for(*names)
    assert group_of(proposals, "KH") == {
        "Kataib Hezbollah", "Kata’ib Hezbollah", "Iraqi Hezbollah Brigades", "KH",
    }  # fmt: skip
    assert group_of(proposals, "Kataib Sayyid al-Shuhada") == {
        "Kata’ib Sayyid al-Shuhada", "Kataib Sayyid al-Shuhada",
    }  # fmt: skip
    assert group_of(proposals, "Hezbollah") == {"Hezbollah"}


# --- units, rejections, the proposal's fields -------------------------------------------------


def test_rejected_pairs_are_never_grouped_again_in_either_order():
    names = ("Abu Baqer", "Abu Baqir al-Saadi")
    (proposal,) = proposals_for(*names)
    assert proposal.pairs == (("abu baqer", "abu baqir al-saadi"),)
    assert proposals_for(*names, rejected=proposal.pairs) == []
    assert proposals_for(*names, rejected=[("Abu Baqir al-Saadi", "ABU  BAQER")]) == []


def test_a_rejected_pair_splits_a_group_but_keeps_the_rest():
    names = ("Joe Biden", "President Biden", "Biden")
    proposals = proposals_for(*names, rejected=[(name_key("Joe Biden"), name_key("Biden"))])
    assert not together(proposals, "Joe Biden", "Biden")
    assert together(proposals, "President Biden", "Biden") or together(
        proposals, "President Biden", "Joe Biden"
    )


def test_names_of_one_existing_actor_are_not_proposed_alone():
    mentions = [
        Mention("Abu Baqir al-Saadi", 3, "actor-1"),
        Mention("Abu Baqer", 0, "actor-1"),
        Mention("Wisam al-Saedi", 0, "actor-1"),
    ]
    assert propose(mentions) == []


def test_an_unlinked_name_is_proposed_into_an_existing_actor():
    mentions = [
        Mention("Abu Baqir al-Saadi", 3, "actor-1"),
        Mention("Abu Baqer", 0, "actor-1"),
        Mention("Abu Bakr al-Saadi", 2),
    ]
    (proposal,) = propose(mentions)
    assert proposal.names == ("Abu Baqir al-Saadi", "Abu Bakr al-Saadi", "Abu Baqer")
    assert proposal.entity_uuids == ("actor-1",)
    assert len(proposal.pairs) == 3


def test_two_existing_actors_are_proposed_for_merging_most_mentioned_first():
    mentions = [
        Mention("Kataib Hezbollah", 2, "small"),
        Mention("Kata’ib Hezbollah", 9, "big"),
        Mention("KH", 1),
    ]
    (proposal,) = propose(mentions)
    assert proposal.entity_uuids == ("big", "small")
    assert proposal.names[0] == "Kata’ib Hezbollah"


def test_proposals_are_best_first_and_min_score_filters():
    proposals = proposals_for(
        "Kataib Hezbollah", "Kata’ib Hezbollah", "Abu Baqer", "Abu Baqir al-Saadi", "Biden",
        "Joe Biden",
    )  # fmt: skip
    scores = [p.score for p in proposals]
    assert scores == sorted(scores, reverse=True) and len(proposals) == 3
    cut = (scores[0] + scores[-1]) / 2
    assert [
        p.score for p in proposals_for(*sum((p.names for p in proposals), ()), min_score=cut)
    ] == [s for s in scores if s >= cut]


def test_counts_of_one_text_add_up_and_order_the_names():
    mentions = [Mention("Biden", 2), Mention("Joe Biden", 1), Mention("Biden", 3)]
    (proposal,) = propose(mentions)
    assert proposal.names == ("Biden", "Joe Biden")


def test_explain_gives_a_reason_for_any_pair():
    score, reason = explain("Abu Baqer", "Abu Baqir al-Saadi")
    assert score > 0.7 and "shorter name matches the start" in reason
    assert explain("Iran", "Iraq")[0] < 0


# --- properties -------------------------------------------------------------------------------

POOL = [
    "Kataib Hezbollah", "Kata’ib Hezbollah", "Iraqi Hezbollah Brigades", "KH", "Hezbollah",
    "Kata’ib Sayyid al-Shuhada", "Abu Baqer", "Abu Baqir al-Saadi", "Wisam al-Saedi", "Saadi",
    "Ahmed al-Saadi", "Wissam Mohammed “Abu Bakr” al-Saadi", "Iran", "Iraq", "Tehran", "US",
    "U.S.", "UN", "United States", "Joe Biden", "President Biden", "Biden", "CENTCOM",
    "US Central Command", "IRGC", "Quds Force", "IRGC Quds Force", "قاسم سليماني",
    "Qasem Soleimani", "Kata’ib", "Abu-Mahdi al-Muhandis", "Muhandes", "😀 Actor", "e\u0301",
]  # fmt: skip
MENTIONS = st.lists(
    st.tuples(
        st.sampled_from(POOL) | st.text(min_size=1, max_size=12),
        st.integers(0, 5),
        st.sampled_from([None, None, None, "a", "b"]),
    ),
    max_size=25,
    unique_by=lambda item: item[0],  # one Mention per distinct text, as mentions() gives them
)


@settings(max_examples=60, deadline=None)
@given(MENTIONS, st.randoms(use_true_random=False))
def test_propose_is_deterministic_and_independent_of_input_order(items, rng):
    mentions = [Mention(text, count, entity) for text, count, entity in items]
    first = propose(mentions)
    shuffled = list(mentions)
    rng.shuffle(shuffled)
    assert propose(shuffled) == first


@settings(max_examples=60, deadline=None)
@given(MENTIONS)
def test_every_proposal_joins_two_units_of_the_inputs_as_written(items):
    mentions = [Mention(text, count, entity) for text, count, entity in items]
    proposals = propose(mentions)
    texts = {m.text for m in mentions}
    entity_of = {m.text: m.entity_uuid for m in mentions if m.entity_uuid}
    seen: Counter = Counter()
    for proposal in proposals:
        assert set(proposal.names) <= texts
        assert len(set(proposal.names)) == len(proposal.names)
        seen.update(proposal.names)
        units = {entity_of.get(name, f"name:{name}") for name in proposal.names}
        assert len(units) >= 2
        assert set(proposal.entity_uuids) == {
            entity_of[n] for n in proposal.names if n in entity_of
        }
        keys = sorted({name_key(name) for name in proposal.names})
        assert proposal.pairs == tuple(combinations(keys, 2))
        assert 0.0 <= proposal.score <= 1.0
        assert len(proposal.reasons) >= 1
    assert all(count == 1 for count in seen.values())  # a name is in one group at most


@settings(max_examples=40, deadline=None)
@given(MENTIONS)
def test_rejecting_every_proposed_pair_leaves_none_of_them_together(items):
    mentions = [Mention(text, count, entity) for text, count, entity in items]
    rejected = [pair for proposal in propose(mentions) for pair in proposal.pairs]
    entity_of = {name_key(m.text): m.entity_uuid for m in mentions if m.entity_uuid}
    for proposal in propose(mentions, rejected=rejected):
        keys = {name_key(name) for name in proposal.names}
        for a, b in rejected:
            same_actor = entity_of.get(a) and entity_of.get(a) == entity_of.get(b)
            assert same_actor or not {a, b} <= keys


# --- the seed articles ------------------------------------------------------------------------


def test_suggestions_on_the_seed_articles_meet_the_targets():
    if not (GOLD / "groups.json").is_file():
        pytest.skip("the hand-made actor groups are not there yet")
    counts: Counter = Counter()
    for line in (GOLD / "mentions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            counts[json.loads(line)["text"]] += 1
    groups = json.loads((GOLD / "groups.json").read_text(encoding="utf-8"))["groups"]
    truth = {frozenset(p) for group in groups for p in combinations(group, 2)}
    proposals = propose(Mention(text, count) for text, count in counts.items())
    predicted = {frozenset(p) for prop in proposals for p in combinations(prop.names, 2)}
    assert len(predicted & truth) / len(predicted) >= 0.9
    assert len(predicted & truth) / len(truth) >= 0.75


# --- the picker -------------------------------------------------------------------------------

ACTORS = [
    ("kh", "Kataib Hezbollah", ["Kata’ib Hezbollah", "Iraqi Hezbollah Brigades", "KH"]),
    ("ksh", "Kata’ib Sayyid al-Shuhada", []),
    ("saadi", "Abu Baqir al-Saadi", ["Abu Baqer", "Wisam Mohammed Saber al-Saedi"]),
    ("muhandis", "Abu Mahdi al-Muhandis", ["Muhandes"]),
    ("soleimani", "Qasem Soleimani", ["قاسم سليماني"]),
    ("biden", "Joe Biden", ["President Biden"]),
    ("centcom", "US Central Command", ["CENTCOM"]),
    ("iran", "Iran", []),
    ("iraq", "Iraq", []),
]


def test_picker_lists_actors_by_name_for_an_empty_query():
    index = ActorIndex(ACTORS)
    assert [uuid for uuid, _ in index.rank("")] == [
        "saadi", "muhandis", "iran", "iraq", "biden", "kh", "ksh", "soleimani", "centcom",
    ]  # fmt: skip
    assert len(index.rank("", limit=3)) == 3


def test_picker_ranks_a_name_that_starts_with_the_query_first():
    index = ActorIndex(ACTORS)
    assert index.rank("Iraq")[0] == ("iraq", 100.0)
    assert index.rank("ira")[0][0] in {"iran", "iraq"}
    ranked = [uuid for uuid, _ in index.rank("kata")]
    assert ranked[:2] == ["kh", "ksh"]  # Kata’ib, folded, starts with "kata" too


def test_picker_matches_aliases_words_and_spellings():
    index = ActorIndex(ACTORS)
    assert index.rank("baqer")[0][0] == "saadi"  # a word of an alias
    assert index.rank("abu baq")[0][0] == "saadi"  # every word starts a word
    assert index.rank("centcom")[0][0] == "centcom"
    assert index.rank("wissam al-saadi")[0][0] == "saadi"  # transliteration and a slip
    assert index.rank("Kassem Suleimani")[0][0] == "soleimani"
    assert index.rank("سليماني")[0][0] == "soleimani"
    assert index.rank("xyzzy") == []


def test_picker_scores_fall_from_exact_to_loose():
    index = ActorIndex(ACTORS)
    scores = dict(index.rank("biden"))
    assert scores["biden"] > 90
    exact, loose = index.rank("Muhandes")[0], index.rank("Muhandis al")
    assert exact == ("muhandis", 100.0)
    assert loose and loose[0][0] == "muhandis"
    assert all(0 <= score <= 100 for _, score in index.rank("abu"))


def test_picker_folds_names_like_the_engine():
    assert fold("Kata’ib  Hezbollah") == "kataib hezbollah"
    assert fold("Abu-Mahdi al-Muhandis") == "abu mahdi al muhandis"


# --- the benchmark ----------------------------------------------------------------------------


def test_benchmark_runs_quickly():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_actors.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for figure in (
        "quality precision:",
        "quality recall:",
        "suggest 2000 mentions:",
        "suggest baseline",
        "suggest memory:",
        "picker median per keystroke:",
        "picker worst per keystroke:",
    ):
        assert figure in result.stdout
