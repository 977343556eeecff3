"""The hand-made actor gold data (tests/benchmarks/data/actors_gold) agrees with the articles.

bench_actors.py scores alias suggestions against these files, so a wrong offset or a text
left out of the groups would skew its figures without failing anything; this test runs the
data's own checker over them, and makes sure that checker catches each kind of mistake.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

GOLD = Path(__file__).resolve().parent / "data" / "actors_gold"


def load_checker():
    spec = importlib.util.spec_from_file_location("actors_gold_check", GOLD / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checker = load_checker()


def read_mentions(gold: Path) -> list[dict]:
    with open(gold / "mentions.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def write_mentions(gold: Path, mentions: list[dict]) -> None:
    with open(gold / "mentions.jsonl", "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(json.dumps(m, ensure_ascii=False) + "\n" for m in mentions)


def read_groups(gold: Path) -> list[list[str]]:
    return json.loads((gold / "groups.json").read_text(encoding="utf-8"))["groups"]


def write_groups(gold: Path, groups: list[list[str]]) -> None:
    lines = ",\n".join("    " + json.dumps(g, ensure_ascii=False) for g in groups)
    (gold / "groups.json").write_text('{"groups": [\n' + lines + "\n]}\n", encoding="utf-8")


@pytest.fixture
def gold_copy(tmp_path) -> Path:
    copy = tmp_path / "actors_gold"
    copy.mkdir()
    for name in ("mentions.jsonl", "groups.json"):
        shutil.copyfile(GOLD / name, copy / name)
    return copy


def group_of(groups: list[list[str]], text: str) -> list[str]:
    return next(group for group in groups if text in group)


def test_the_gold_data_agrees_with_the_articles(corpus):
    assert checker.check(GOLD, corpus) == []


def test_the_issue_examples_are_grouped_as_the_issue_says():
    groups = read_groups(GOLD)
    commander = group_of(groups, "Abu Baqir al-Saadi")
    assert {
        "Wissam Mohammed “Abu Bakr” al-Saadi",
        "Abu Bakr al-Saadi",
        "Wisam Mohammed Saber al-Saedi",
        "Abu Baqer",
    } <= set(commander)
    assert len(commander) == 6  # "one Kataib Hezbollah commander six ways"
    militia = group_of(groups, "Kataib Hezbollah")
    assert {"Kata’ib Hezbollah", "Iraqi Hezbollah Brigades"} <= set(militia)
    assert "Hezbollah" not in militia
    assert group_of(groups, "US Central Command") == ["US Central Command", "CENTCOM"]
    assert "IRGC" in group_of(groups, "Islamic Revolutionary Guard Corps")


def test_offsets_count_code_points_in_articles_with_curly_quotes(corpus):
    article = checker.read_text(corpus / "000_f40a1a98859d52a1.txt")
    assert len(article) < len(article.encode("utf-8"))
    mention = next(
        m for m in read_mentions(GOLD) if m["text"] == "Wissam Mohammed “Abu Bakr” al-Saadi"
    )
    assert article[mention["start"] : mention["end"]] == mention["text"]


def test_a_shifted_offset_is_reported_with_its_line(gold_copy, corpus):
    mentions = read_mentions(gold_copy)
    mentions[4]["start"] += 1
    mentions[4]["end"] += 1
    write_mentions(gold_copy, mentions)
    problems = checker.check(gold_copy, corpus)
    assert len(problems) == 1
    assert problems[0].startswith(f"{gold_copy / 'mentions.jsonl'}:5: text ")


def test_a_duplicate_mention_is_reported(gold_copy, corpus):
    mentions = read_mentions(gold_copy)
    write_mentions(gold_copy, [*mentions, mentions[0]])
    (problem,) = checker.check(gold_copy, corpus)
    assert f":{len(mentions) + 1}: duplicate of line 1" in problem


def test_an_overlapping_mention_is_reported(gold_copy, corpus):
    mentions = read_mentions(gold_copy)
    whole = next(m for m in mentions if m["text"] == "Wisam Mohammed Saber al-Saedi")
    part = dict(whole, end=whole["start"] + len("Wisam"), text="Wisam")
    write_mentions(gold_copy, [*mentions, part])
    write_groups(gold_copy, [*read_groups(gold_copy), ["Wisam"]])
    (problem,) = checker.check(gold_copy, corpus)
    assert "overlaps line" in problem


def test_a_missing_article_is_reported(gold_copy, corpus):
    mentions = read_mentions(gold_copy)
    mentions[0]["file"] = "../000_f40a1a98859d52a1.txt"
    write_mentions(gold_copy, mentions)
    (problem,) = checker.check(gold_copy, corpus)
    assert ":1: no article" in problem


def test_a_text_in_two_groups_is_reported(gold_copy, corpus):
    groups = read_groups(gold_copy)
    write_groups(gold_copy, [*groups, ["Tehran"]])
    (problem,) = checker.check(gold_copy, corpus)
    assert f"'Tehran' in group {len(groups)} is already in group " in problem


def test_a_group_text_that_is_no_mention_is_reported(gold_copy, corpus):
    groups = read_groups(gold_copy)
    group_of(groups, "Kataib Hezbollah").append("KH")
    write_groups(gold_copy, groups)
    (problem,) = checker.check(gold_copy, corpus)
    assert "'KH'" in problem and "is not the text of any mention" in problem


def test_a_mention_text_in_no_group_is_reported(gold_copy, corpus):
    groups = [group for group in read_groups(gold_copy) if group != ["Netanyahu"]]
    write_groups(gold_copy, groups)
    (problem,) = checker.check(gold_copy, corpus)
    assert problem.endswith("mention text 'Netanyahu' is in no group")
