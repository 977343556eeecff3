"""Suggestion rules: quality on the seed articles, and speed against bare tokenization.

Quality: the seed articles and analyst A's Prodigy file are imported into an in-memory
project; the rules run on the two articles analyst A annotated and are scored against
analyst A's spans, per label, by exact match and by overlap (a suggestion counts when it
overlaps a span of the same label; a span is found when a suggestion of its label overlaps
it). Actor propagation is scored leave-one-article-out: on each article it knows only the
actors analyst A tagged on the *other* article, as it would know them from the rest of a
project, never the answers on the article itself. Analyst A did not tag every claim, actor
and event, so precision is a lower bound.

Speed: 10,000 generated articles of about 5 KB are run through the rules (computing
suggestions, not writing them) and through bare ``nlp.pipe`` with the same blank English
tokenizer, in the same run. Each pass runs in a fresh process, bare and rules in turn, best
of N: the first pass over the corpus is the target, as when an analyst asks for suggestions
on newly imported articles, whose new words neither the tokenizer's cache nor the rules'
tables have seen. A second pass in the same process, over words all seen before, is
printed for reference: there the bare tokenizer only looks words up in its cache, and the
rules' own work weighs more. Target: rules within 2x the bare tokenizer, first pass, on the
"news mix".

The rules tokenize with a pipeline of their own (the same tokenizer, so the same cuts),
whose vocabulary works out each new word's rule code instead of spaCy's lexical attributes
(norm, shape, prefix, suffix, flags), which the rules never read; on new articles that
makes their tokenizing cheaper than bare ``nlp.pipe``. So that the rules' own work can be
told from that saving, that tokenizer is timed alone as well (a third process), called as
the rules call it (``rules_pipeline("en").tokenizer`` on each article, in pieces of
``PIECE`` characters cut at line breaks where an article is longer), and the verdict is
given twice: the rules against the bare tokenizer, and against their own tokenizer alone
(target: within 2x of each, first pass, on the "news mix").

The corpora:

- "news mix" (the target): a third of the sentences from templates (reporting verbs,
  quotations, "according to", event triggers, weekdays and dates, known actors), the rest
  drawn from the seed articles, so that typography and vocabulary are those of real news.
  Its suggestion density (about 13 a KB) is near that of the densest seed article (the
  seed articles range from about 6 to 17 a KB, 10 overall): realistic, at the dense end.
- "template-only" (a stress test, not the target): every sentence from the templates, a
  suggestion every five words or so, twice the densest seed article; real news never has
  that density.

In both, people, places and numbers are often new ones (made-up names, random numbers), as
in a real stream of news, whose vocabulary outgrows the tokenizer's cache. Without that, a
few hundred repeated sentences would all sit in the cache and the bare tokenizer would run
at a fraction of its cost on real articles, which is no fair baseline. The calibration line
puts the seed articles' costs per KB and suggestions per KB beside the generated corpora's,
so that anyone can check the generated text against real news.

    python tests/benchmarks/bench_suggest.py [--documents 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from db.store import Store  # noqa: E402
from desktop.formats import import_paths  # noqa: E402
from desktop.nlp.rules import KnownName, RuleSuggester, rules_pipeline  # noqa: E402
from desktop.nlp.tokens import PIECE, blank, text_pieces  # noqa: E402

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
LABELS = ("Claim", "Actor", "Event")

# --- quality --------------------------------------------------------------------------------


def overlaps(span, others) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def quality() -> None:
    store = Store.open(":memory:")
    import_paths(
        store, sorted(CORPUS.glob("*.txt")) + [CORPUS / "annotations" / "analyst_a.prodigy.jsonl"]
    )
    gold: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    actor_texts: dict[int, set[str]] = defaultdict(set)
    for span in store.spans_where(statuses=["accepted"]):
        if span.annotator != "analyst_a":
            continue
        gold[span.document_id][span.label].append((span.start, span.end))
        if span.label == "Actor":
            actor_texts[span.document_id].add(span.text)
    documents = sorted(gold)

    found: dict[int, dict[str, list[tuple[int, int]]]] = {}
    per_rule: Counter = Counter()
    per_rule_hit: Counter = Counter()
    for document_id in documents:
        others = set().union(*(actor_texts[d] for d in documents if d != document_id))
        suggester = RuleSuggester([KnownName(text, "Actor") for text in sorted(others)])
        document = store.document(document_id)
        suggestions = suggester.find(document.text, published=document.published)
        found[document_id] = defaultdict(list)
        for s in suggestions:
            found[document_id][s.label].append((s.start, s.end))
            per_rule[s.rule] += 1
            per_rule_hit[s.rule] += overlaps((s.start, s.end), gold[document_id][s.label])

    print(f"quality: rules against analyst A on {len(documents)} annotated seed articles")
    print("  (actor propagation knows only the actors analyst A tagged on the other article)")
    print(
        f"  {'label':6}  {'gold':>4}  {'suggested':>9}  {'exact P':>7}  {'exact R':>7}  {'overlap P':>9}  {'overlap R':>9}"
    )
    totals = Counter()
    for label in LABELS:
        g = [(d, span) for d in documents for span in gold[d][label]]
        p = [(d, span) for d in documents for span in found[d][label]]
        exact = sum(1 for d, span in p if span in gold[d][label])
        p_overlap = sum(1 for d, span in p if overlaps(span, gold[d][label]))
        r_overlap = sum(1 for d, span in g if overlaps(span, found[d][label]))
        row = Counter(
            gold=len(g), suggested=len(p), exact=exact, p_overlap=p_overlap, r_overlap=r_overlap
        )
        totals.update(row)
        print_row(label, row)
    print_row("all", totals)
    print("  per rule (suggestions, share overlapping one of analyst A's spans of its label):")
    for rule, count in sorted(per_rule.items()):
        print(f"    {rule:18} {count:4d}  {per_rule_hit[rule] / count:5.2f}")
    store.close()


def print_row(label: str, row: Counter) -> None:
    def ratio(a: int, b: int) -> str:
        return f"{a / b:.2f}" if b else "  -"

    print(
        f"  {label:6}  {row['gold']:4d}  {row['suggested']:9d}  {ratio(row['exact'], row['suggested']):>7}  "
        f"{ratio(row['exact'], row['gold']):>7}  {ratio(row['p_overlap'], row['suggested']):>9}  "
        f"{ratio(row['r_overlap'], row['gold']):>9}"
    )


# --- speed ----------------------------------------------------------------------------------

ACTORS = [
    "Kataib Hezbollah",
    "the Pentagon",
    "CENTCOM",
    "the Islamic Resistance in Iraq",
    "Hamas",
    "Joe Biden",
    "Mohammed Shia al-Sudani",
    "the Iraqi government",
    "Harakat al-Nujaba",
    "the US military",
    "Israel",
    "Iran",
    "the IRGC",
    "Abu Baqir al-Saadi",
    "Lloyd Austin",
    "the Houthis",
    "the White House",
    "Iraqi officials",
    "militia leaders",
    "the PMF",
]
PLACES = [
    "Baghdad",
    "Erbil",
    "Syria",
    "Jordan",
    "the Red Sea",
    "Gaza",
    "Al-Asad base",
    "Damascus",
    "Tower 22",
]
TRIGGERS = [
    "strike",
    "drone strike",
    "airstrike",
    "attack",
    "rocket attack",
    "killing",
    "assassination",
    "raid",
    "explosion",
    "retaliation",
]
ADJECTIVES = [
    "precision",
    "deadly",
    "large-scale",
    "retaliatory",
    "targeted",
    "second",
    "renewed",
    "coordinated",
]
VERBS = [
    "said",
    "told reporters",
    "warned",
    "confirmed",
    "denied",
    "announced",
    "added",
    "insisted",
]
OUTLETS = ["Reuters", "CBS", "Bloomberg", "The Associated Press", "state television"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "October", "December"]
CLAUSES = [
    "the strikes were a violation of Iraqi sovereignty",
    "more attacks would follow unless US troops leave the country",
    "the group had suspended its operations against American forces",
    "no civilians were harmed in the operation",
    "the response would be measured and proportionate",
    "talks with Baghdad on the future of the coalition would continue",
    "the commander had planned attacks on US bases in the region",
    "the situation could escalate into a wider regional war",
]


SYLLABLES = (
    "al ba da fa ha ja ka la ma na ra sa ta wa za bar dan far han kar lan mar nor "
    "ras sal tar vel zor ib um ak en ot ir us ed"
).split()


def fresh_name(rng: random.Random) -> str:
    """A name nobody has seen yet: real news keeps bringing new people, places and units,
    so its vocabulary, unlike a few hundred repeated sentences, outgrows the tokenizer's cache."""
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
    return word[0].upper() + word[1:]


def person(rng: random.Random) -> str:
    return f"{fresh_name(rng)} {rng.choice(['', 'al-', 'Abu '])}{fresh_name(rng)}".replace(
        "  ", " "
    )


def varied(text: str, rng: random.Random) -> str:
    """A seed sentence with some of its names and numbers replaced by new ones."""
    words = text.split(" ")
    for index in range(1, len(words)):
        word = words[index]
        if word[:1].isupper() and word.isalpha() and rng.random() < 0.4:
            words[index] = fresh_name(rng)
        elif word.isdigit():
            words[index] = str(rng.randint(2, 2024))
    return " ".join(words)


def sentence(rng: random.Random) -> str:
    actor = rng.choice(ACTORS) if rng.random() < 0.6 else person(rng)
    other = rng.choice(ACTORS) if rng.random() < 0.6 else person(rng)
    place = rng.choice(PLACES) if rng.random() < 0.5 else fresh_name(rng)
    clause = rng.choice(CLAUSES)
    trigger, adjective = rng.choice(TRIGGERS), rng.choice(ADJECTIVES)
    weekday, month = rng.choice(WEEKDAYS), rng.choice(MONTHS)
    day = rng.randint(1, 28)
    capital = actor[0].upper() + actor[1:]
    kind = rng.randrange(8)
    if kind == 0:
        return f"{capital} {rng.choice(VERBS)} on {weekday} that {clause}."
    if kind == 1:
        return f"“{clause[0].upper() + clause[1:]},” {actor} told {rng.choice(OUTLETS)}."
    if kind == 2:
        return f"According to {other}, {clause}."
    if kind == 3:
        return f"The {adjective} {trigger} on {place} {weekday} night killed {rng.randint(2, 40)} people, {actor} said."
    if kind == 4:
        return f"{capital} was killed by a US {trigger} in {place} on {month} {day}."
    if kind == 5:
        return f"{clause[0].upper() + clause[1:]}, {actor} said in a statement."
    if kind == 6:
        return f"Officials from {actor} met {other} in {place} last week to discuss the {trigger}."
    return f"In {month} {rng.choice([2020, 2023, 2024])}, {actor} launched an {trigger} against {other}."


def seed_sentences() -> list[str]:
    """The sentences of the seed articles: real news typography and vocabulary."""
    sentences = []
    for path in sorted(CORPUS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for part in re.split(r"(?<=[.!?”])\s+(?=[“A-Z])", line.strip()):
                if 30 <= len(part) <= 400:
                    sentences.append(part)
    return sentences


def generate(count: int, size: int = 5000, seed: int = 11, templated: float = 0.35) -> list[str]:
    """``count`` articles of about ``size`` characters in paragraphs of two to four
    sentences: a share ``templated`` made from the templates above, the rest drawn from
    the seed articles (``templated=1`` gives template-only articles)."""
    rng = random.Random(seed)
    real = seed_sentences()
    articles = []
    for _ in range(count):
        paragraphs, length = [], 0
        while length < size:
            parts = [
                sentence(rng) if rng.random() < templated else varied(rng.choice(real), rng)
                for _ in range(rng.randint(2, 4))
            ]
            paragraph = " ".join(parts)
            paragraphs.append(paragraph)
            length += len(paragraph) + 1
        articles.append("\n".join(paragraphs))
    return articles


WARM_UP = "Hamas said on Monday that the strike on Baghdad was over."
PUBLISHED = "2024-02-08"


def one_process(kind: str, share: float, documents: int) -> dict:
    """Two passes of ``kind`` ("bare", "own": the rules' tokenizer alone, or "rules") over
    the generated articles, in this
    (fresh) process: the first finds the tokenizer's cache and the rules' tables empty,
    as a new corpus does; the second finds every word already seen."""
    import resource

    articles = generate(documents, templated=share)
    per_article: list[float] = []
    count = 0
    if kind == "bare":
        nlp = blank("en")
        nlp(WARM_UP)

        def run(first: bool) -> None:
            for _doc in nlp.pipe(articles):
                pass

    elif kind == "own":
        tokenizer = rules_pipeline("en").tokenizer
        tokenizer(WARM_UP)

        def run(first: bool) -> None:
            # As RuleSuggester.find tokenizes: a whole article, or pieces of a long one.
            for article in articles:
                if len(article) <= PIECE:
                    tokenizer(article)
                    continue
                for start, end in text_pieces(article, PIECE):
                    tokenizer(article[start:end])

    else:
        rules = RuleSuggester([KnownName(name, "Actor") for name in ACTORS])
        rules.find(WARM_UP, published=PUBLISHED)  # loads the lexicons

        def run(first: bool) -> None:
            nonlocal count
            count = 0
            for article in articles:
                began = time.perf_counter()
                count += len(rules.find(article, published=PUBLISHED))
                if first:
                    per_article.append(time.perf_counter() - began)

    seconds = []
    for first in (True, False):
        started = time.perf_counter()
        run(first)
        seconds.append(time.perf_counter() - started)
    return {
        "first": seconds[0],
        "second": seconds[1],
        "suggestions": count,
        "median_ms": statistics.median(per_article) * 1000 if per_article else None,
        "max_ms": max(per_article) * 1000 if per_article else None,
        "kilobytes": sum(len(a) for a in articles) / 1000,
        "megabytes": sum(len(a.encode("utf-8")) for a in articles) / 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_fresh_process(kind: str, share: float, documents: int) -> dict:
    command = [sys.executable, __file__, "--process", kind, "--share", str(share)]
    command += ["--documents", str(documents)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def seed_calibration() -> str:
    """The seed articles' tokenizer and rule costs per KB (second passes, as the seed
    articles are too few to time a first pass) and their suggestions per KB."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))] * 20
    kilobytes = sum(len(t) for t in texts) / 1000
    nlp = blank("en")
    rules = RuleSuggester([KnownName(name, "Actor") for name in ACTORS])
    for text in texts[:3]:
        nlp(text)
        rules.find(text, published=PUBLISHED)
    started = time.perf_counter()
    for _doc in nlp.pipe(texts):
        pass
    bare = time.perf_counter() - started
    started = time.perf_counter()
    count = sum(len(rules.find(text, published=PUBLISHED)) for text in texts)
    ruled = time.perf_counter() - started
    return (
        f"tokenizer {bare / kilobytes * 1e6:5.0f} µs/KB, rules {ruled / kilobytes * 1e6:5.0f} µs/KB "
        f"({ruled / bare:.2f}x), {count / kilobytes:4.1f} suggestions/KB"
    )


def speed(documents: int, repeat: int) -> None:
    print(
        f"\nspeed: rules = tokenizing + every rule, nothing written; every pass in a fresh "
        f"process; best of {repeat}"
    )
    print(f"  calibration, seed articles x20 (second pass): {seed_calibration()}")
    for label, share, target in (("news mix", 0.35, True), ("template-only", 1.0, False)):
        bare_runs, own_runs, rule_runs = [], [], []
        for _ in range(repeat):  # alternating, so that a busy moment hits all
            bare_runs.append(in_fresh_process("bare", share, documents))
            own_runs.append(in_fresh_process("own", share, documents))
            rule_runs.append(in_fresh_process("rules", share, documents))
        first = rule_runs[0]
        kilobytes = first["kilobytes"]
        print(
            f"  {label}: {documents} articles, {first['megabytes']:.1f} MB "
            f"({'every sentence from templates' if share >= 1 else f'{share:.0%} of the sentences from templates, the rest from the seed articles'}), "
            f"{first['suggestions'] / kilobytes:.1f} suggestions/KB"
        )
        for key, name in (
            ("first", "first pass (new words)"),
            ("second", "second pass (words seen)"),
        ):
            bare = min(run[key] for run in bare_runs)
            own = min(run[key] for run in own_runs)
            ruled = min(run[key] for run in rule_runs)
            against_bare, against_own = ruled / bare, ruled / own
            print(f"    {name}:")
            print(
                f"      bare nlp.pipe (blank English tokenizer) {bare:7.2f} s "
                f"({bare / kilobytes * 1e6:4.0f} µs/KB)"
            )
            print(
                f"      the rules' own tokenizer alone          {own:7.2f} s "
                f"({own / kilobytes * 1e6:4.0f} µs/KB, {own / bare:.2f}x bare)"
            )
            print(
                f"      rule suggestions (tokenizer included)   {ruled:7.2f} s "
                f"({ruled / kilobytes * 1e6:4.0f} µs/KB); the rules' work after their "
                f"tokenizer {ruled - own:.2f} s"
            )
            for against, ratio in (
                ("the bare tokenizer", against_bare),
                ("the rules' own tokenizer", against_own),
            ):
                if key == "first" and target:
                    verdict = f"target <= 2x: {'PASS' if ratio <= 2 else 'OVER TARGET'}"
                elif key == "first":
                    verdict = "stress test: twice the densest real article; not the target"
                else:
                    verdict = "for reference"
                print(f"      ratio against {against + ':':26} {ratio:5.2f}x ({verdict})")
        print(
            f"    per article (first pass): median {first['median_ms']:.1f} ms, "
            f"max {first['max_ms']:.1f} ms; peak memory {first['peak_rss_mb']:.0f} MB "
            f"(bare: {bare_runs[0]['peak_rss_mb']:.0f} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--process", choices=("bare", "own", "rules"), help=argparse.SUPPRESS)
    parser.add_argument("--share", type=float, default=0.35, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.process:
        print(json.dumps(one_process(args.process, args.share, args.documents)))
        return
    quality()
    if not args.skip_speed:
        speed(args.documents, args.repeat)


if __name__ == "__main__":
    main()
