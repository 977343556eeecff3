"""Checks the hand-made actor gold data against the seed articles (standard library only).

Run ``python tests/benchmarks/data/actors_gold/check.py [CORPUS]``: it prints one
``file:line: reason`` per problem and exits 1 if there is any, 0 otherwise. ``CORPUS``
defaults to ``../shared/corpus`` beside the repository.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parents[3].parent / "shared" / "corpus"
MENTIONS = "mentions.jsonl"
GROUPS = "groups.json"
MENTION_KEYS = {"file", "start", "end", "text"}


def read_text(path: Path) -> str:
    """An article's text exactly as stored: no newline translation, offsets in code points."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def check_mentions(gold: Path, corpus: Path) -> tuple[list[str], set[str]]:
    """Problems in mentions.jsonl, and the distinct mention texts it holds."""
    where = gold / MENTIONS
    problems: list[str] = []
    texts: set[str] = set()
    articles: dict[str, str | None] = {}
    seen: dict[tuple[str, int, int], int] = {}
    with open(where, encoding="utf-8", newline="") as handle:
        lines = handle.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        at = f"{where}:{number}"
        try:
            mention = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{at}: not JSON ({error.msg})")
            continue
        if not isinstance(mention, dict) or set(mention) != MENTION_KEYS:
            keys = sorted(mention) if isinstance(mention, dict) else type(mention).__name__
            problems.append(f"{at}: expected the keys {sorted(MENTION_KEYS)}, got {keys}")
            continue
        name, start, end, text = (mention[key] for key in ("file", "start", "end", "text"))
        if not isinstance(name, str) or not isinstance(text, str) or not text:
            problems.append(f"{at}: file and text must be non-empty strings")
            continue
        if not all(type(offset) is int for offset in (start, end)) or not 0 <= start < end:
            problems.append(f"{at}: start and end must be integers, 0 <= start < end")
            continue
        if name not in articles:
            path = corpus / name
            plain = Path(name).name == name and name not in (".", "..")
            articles[name] = read_text(path) if plain and path.is_file() else None
        article = articles[name]
        if article is None:
            problems.append(f"{at}: no article {name!r} in {corpus}")
            continue
        if article[start:end] != text:
            problems.append(
                f"{at}: text {text!r} but {name}[{start}:{end}] is {article[start:end]!r}"
            )
            continue
        if text != text.strip():
            problems.append(f"{at}: text {text!r} starts or ends with white space")
        key = (name, start, end)
        if key in seen:
            problems.append(f"{at}: duplicate of line {seen[key]} ({name} {start}-{end})")
            continue
        seen[key] = number
        texts.add(text)
    problems.extend(check_overlaps(where, seen))
    return problems, texts


def check_overlaps(where: Path, seen: dict[tuple[str, int, int], int]) -> list[str]:
    """One actor mention never overlaps another: each occurrence is tagged once."""
    problems = []
    previous: tuple[str, int, int] | None = None
    for key in sorted(seen):
        if previous and previous[0] == key[0] and key[1] < previous[2]:
            problems.append(
                f"{where}:{seen[key]}: {key[0]} {key[1]}-{key[2]} overlaps line "
                f"{seen[previous]} ({previous[1]}-{previous[2]})"
            )
        if previous is None or previous[0] != key[0] or key[2] > previous[2]:
            previous = key
    return problems


def check_groups(gold: Path, texts: set[str]) -> list[str]:
    """Problems in groups.json: each mention text in exactly one group, nothing else in any."""
    where = gold / GROUPS
    raw = read_text(where)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        return [f"{where}:{error.lineno}: not JSON ({error.msg})"]
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        return [f"{where}:1: expected an object with a list under 'groups'"]
    problems = []
    lines = raw.split("\n")
    home: dict[str, int] = {}
    for index, group in enumerate(groups):
        # Each group is written on a line of its own; point at that line when it can be found.
        dumped = json.dumps(group, ensure_ascii=False)
        line = next((n for n, text in enumerate(lines, start=1) if dumped in text), 1)
        at = f"{where}:{line}"
        if not isinstance(group, list) or not group or not all(isinstance(t, str) for t in group):
            problems.append(f"{at}: group {index} must be a non-empty list of strings")
            continue
        for text in group:
            if text in home:
                other = "the same group" if home[text] == index else f"group {home[text]}"
                problems.append(f"{at}: {text!r} in group {index} is already in {other}")
                continue
            home[text] = index
            if text not in texts:
                problems.append(f"{at}: {text!r} (group {index}) is not the text of any mention")
    for text in sorted(texts - set(home)):
        problems.append(f"{where}:1: mention text {text!r} is in no group")
    return problems


def check(gold: Path = HERE, corpus: Path = DEFAULT_CORPUS) -> list[str]:
    """Every problem found in the gold folder ``gold`` against the articles in ``corpus``."""
    problems, texts = check_mentions(gold, corpus)
    return problems + check_groups(gold, texts)


def main(argv: list[str]) -> int:
    corpus = Path(argv[0]).resolve() if argv else DEFAULT_CORPUS
    problems = check(HERE, corpus)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{HERE.name}: mentions and groups agree with the articles in {corpus}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
