"""Actor alias suggestions and the link picker: quality on the seed articles, speed at scale.

(a) Quality. Every actor mention in the five seed articles is tagged by hand in
``data/actors_gold/mentions.jsonl`` and its distinct texts are grouped into true actors in
``data/actors_gold/groups.json``. ``propose`` runs over the distinct texts (with their mention
counts) and is scored pairwise: a pair of distinct texts is predicted-same when one proposal
holds both, true-same when one gold group does. The same figures are printed for plain
rapidfuzz (token_sort_ratio >= 85 on anyascii-lowercased names, every pair, since the set is
small), so the reader sees what Dossier's rules add. Target: precision >= 0.9, recall >= 0.75.

(b) Speed and memory. 100,000 distinct mention strings are generated (seeded) from name parts
as news writes them: Arabic and English given and family names with their transliterations,
Abu kunyas, al- / el- particles, titles and roles, Arabic and English organisation names
with their acronyms, typos, and some names in Arabic script. ``propose`` runs over them in a
fresh process, timed, with its peak resident memory (``os.wait4``) beside that of a process
that imports the same modules and generates the same strings but proposes nothing.
Baseline, in the same run: the plain work under the same blocks, anyascii + lowercase of
every string and ``rapidfuzz.process.cdist`` (token_sort_ratio) within each block of
``candidate_blocks``: the ratio is what Dossier's rules and grouping cost over blocked
rapidfuzz. Target: under 60 s and under 1 GB.

(c) The picker. ``ActorIndex`` over 10,000 generated actors (a name and 1 to 3 aliases
each); names are typed letter by letter ("a", "ab", "abu", "abu ", "abu b", ...) and each
keystroke's ``rank`` is timed. Printed: the median and worst time per keystroke against one
frame (16 ms), and the ratio against rapidfuzz alone doing the ranking on the same folded
strings (``process.extract(query, strings, scorer=WRatio, limit=50)``).

    python tests/benchmarks/bench_actors.py [--quick] [--mentions 100000] [--actors 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from anyascii import anyascii  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

import desktop.nlp.actors as actors_module  # noqa: E402
from desktop.nlp.actors import (  # noqa: E402
    ActorIndex,
    Mention,
    candidate_blocks,
    fold,
    forms_of,
    propose,
)

GOLD = Path(__file__).resolve().parent / "data" / "actors_gold"
FRAME_MS = 16.0

# --- (a) quality ------------------------------------------------------------------------------


def gold_mentions() -> tuple[Counter, list[list[str]]]:
    counts: Counter = Counter()
    with open(GOLD / "mentions.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                counts[json.loads(line)["text"]] += 1
    groups = json.loads((GOLD / "groups.json").read_text(encoding="utf-8"))["groups"]
    return counts, groups


def pairs_of(groups) -> set[frozenset]:
    return {frozenset(pair) for group in groups for pair in combinations(set(group), 2)}


def precision_recall(predicted: set, truth: set) -> tuple[float, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall


def plain_pairs(texts) -> set[frozenset]:
    folded = {text: anyascii(text).lower() for text in texts}
    return {
        frozenset((a, b))
        for a, b in combinations(sorted(texts), 2)
        if fuzz.token_sort_ratio(folded[a], folded[b]) >= 85
    }


def quality(verbose: bool) -> None:
    counts, groups = gold_mentions()
    truth = pairs_of(groups)
    proposals = propose(Mention(text, count) for text, count in counts.items())
    predicted = pairs_of(p.names for p in proposals)
    precision, recall = precision_recall(predicted, truth)
    base_p, base_r = precision_recall(plain_pairs(counts), truth)
    print(f"quality: {len(counts)} distinct mention texts, {len(truth)} true pairs")
    print(f"quality precision: {precision:.3f} (target >= 0.9; plain rapidfuzz {base_p:.3f})")
    print(f"quality recall: {recall:.3f} (target >= 0.75; plain rapidfuzz {base_r:.3f})")
    # How much of it the list of equivalents gives (world knowledge, not spelling): the same
    # names proposed with that list empty.
    listed = actors_module.equivalents
    actors_module.equivalents = dict
    try:
        unlisted = propose(Mention(text, count) for text, count in counts.items())
    finally:
        actors_module.equivalents = listed
    spelt_p, spelt_r = precision_recall(pairs_of(p.names for p in unlisted), truth)
    print(
        f"quality without the list of equivalents (actor_equivalents.txt): "
        f"precision {spelt_p:.3f}, recall {spelt_r:.3f}"
    )
    if verbose:
        for pair in sorted(predicted - truth, key=sorted):
            print("  wrong pair:", " / ".join(sorted(pair)))
        for pair in sorted(truth - predicted, key=sorted):
            print("  missed pair:", " / ".join(sorted(pair)))


# --- generated names --------------------------------------------------------------------------

# Given names with the spellings news uses for them.
ARABIC_GIVEN = [
    ["Mohammed", "Muhammad", "Mohamed", "Mohammad"], ["Ahmed", "Ahmad"], ["Ali", "Aly"],
    ["Hussein", "Husayn", "Hussain"], ["Hassan", "Hasan"], ["Wissam", "Wisam"],
    ["Qasem", "Qassem", "Kassem", "Qasim"], ["Mahdi", "Mehdi"], ["Jafar", "Jaafar", "Ja’far"],
    ["Abbas"], ["Karim", "Kareem"], ["Saeed", "Said", "Sa’id"], ["Yahya", "Yehia"],
    ["Khalid", "Khaled"], ["Omar", "Umar"], ["Usama", "Osama"], ["Mustafa", "Mustapha"],
    ["Faleh", "Falih"], ["Hadi"], ["Hamid", "Hameed"], ["Nouri", "Nuri"], ["Haider", "Haidar"],
    ["Qais", "Qays", "Kais"], ["Akram"], ["Falah"], ["Jamal"], ["Adel", "Adil"],
    ["Ibrahim", "Ebrahim"], ["Ismail", "Isma’il"], ["Yousef", "Yusuf", "Youssef"],
    ["Abdul Aziz", "Abdulaziz"], ["Tariq", "Tarek"], ["Majid", "Majed"], ["Nasser", "Nasir"],
    ["Salah", "Salih"], ["Sami"], ["Walid", "Waleed"], ["Zaid", "Zayd"], ["Bakr", "Baqir", "Baqer"],
    ["Muqtada"], ["Ammar"], ["Riyad", "Riyadh"], ["Shibl"], ["Laith", "Layth"], ["Hamza"],
]  # fmt: skip
ENGLISH_GIVEN = [
    ["Joe"], ["Donald"], ["Michael"], ["James"], ["David"], ["Jessica"], ["Elena"], ["Kamala"],
    ["Brett"], ["Jeff"], ["Tony"], ["Lloyd"], ["Antony"], ["John"], ["Mark"], ["Sarah"],
    ["Robert"], ["William"], ["Linda"], ["Karen"], ["Thomas"], ["Peter"], ["Anne"], ["Laura"],
]  # fmt: skip
FAMILY = [
    ["Saadi", "Saedi"], ["Muhandis", "Muhandes"], ["Soleimani", "Suleimani", "Sulaimani"],
    ["Sudani"], ["Hamidawi", "Hamedawi"], ["Khazali"], ["Fayyadh", "Fayyad"], ["Amiri"],
    ["Kaabi", "Ka’abi"], ["Sadr"], ["Maliki"], ["Abadi"], ["Kadhimi", "Kazimi"], ["Halbousi"],
    ["Zaidi", "Zeidi"], ["Jabouri", "Juburi"], ["Obeidi", "Ubaydi"], ["Tamimi"], ["Shammari"],
    ["Hakim"], ["Husseini", "Hosseini"], ["Mousawi", "Musawi"], ["Rubaie"], ["Dulaimi"],
    ["Khafaji"], ["Kinani"], ["Asadi"], ["Jaafari"], ["Bayati"], ["Tai", "Ta’i"], ["Karbalai"],
    ["Naqvi"], ["Rahimi"], ["Qureshi", "Kureishi"], ["Hashimi", "Hashemi"], ["Salman"],
    ["Biden"], ["Trump"], ["Knights"], ["Hagerty"], ["Inhofe"], ["McGurk"], ["Psaki"],
    ["Austin"], ["Blinken"], ["Harris"], ["Thomas"], ["Romansky"], ["Sands"], ["Mordock"],
    ["Miller"], ["Walker"], ["Baker"], ["Carter"], ["Hughes"], ["Porter"], ["Fletcher"],
]  # fmt: skip
TITLES = [
    "President", "Prime Minister", "Gen.", "General", "Sheikh", "Secretary", "Defense Secretary",
    "Minister", "Mr.", "Dr.", "Commander", "Sen.", "Maj. Gen.", "Ambassador", "spokesman",
    "Iraqi Prime Minister", "US President", "Foreign Minister",
]  # fmt: skip
ORG_KINDS = [
    ("Kataib", "Brigades"), ("Harakat", "Movement"), ("Saraya", "Companies"),
    ("Liwa", "Brigade"), ("Asaib", "League"), ("Jaysh", "Army"),
]  # fmt: skip
ORG_NAMES = [
    ["Hezbollah"], ["Sayyid al-Shuhada", "Sayyed al-Shuhada"], ["al-Nujaba", "Nujaba"],
    ["Ahl al-Haq"], ["al-Imam Ali"], ["Ansar Allah", "Ansarallah"], ["al-Abbas"], ["Jund al-Imam"],
    ["al-Khorasani", "Khurasani"], ["Babiliyun"], ["Rab Allah"], ["al-Wa’ad al-Sadiq"],
    ["Thar Allah"], ["al-Shabak"], ["Badr"], ["al-Salam"], ["al-Tafuf"], ["Ali al-Akbar"],
]  # fmt: skip
ENGLISH_ORG = [
    "Central Command", "Revolutionary Guard Corps", "Mobilization Forces", "Defense Department",
    "Foreign Ministry", "Security Council", "Treasury", "Coordination Framework",
    "News Agency", "Council of Representatives", "Military Commission", "Air Force",
    "Special Operations Command", "National Security Agency", "Observatory for Human Rights",
]  # fmt: skip
PLACES = ["US", "Iraqi", "Iranian", "Syrian", "Lebanese", "Islamic", "Popular", "National"]


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:
        return word[:at] + word[at + 1 :]
    if kind < 0.7:
        return word[:at] + word[at] + word[at:]
    return word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]


def particle(rng: random.Random) -> str:
    return rng.choice(["al-", "al-", "al-", "el-", "Al-", "", "al "])


def person(rng: random.Random) -> dict:
    arabic = rng.random() < 0.75
    given = rng.choice(ARABIC_GIVEN if arabic else ENGLISH_GIVEN)
    family = rng.choice(FAMILY[:36] if arabic else FAMILY[36:])
    middle = rng.choice(ARABIC_GIVEN) if arabic and rng.random() < 0.5 else None
    kunya = rng.choice(ARABIC_GIVEN) if arabic and rng.random() < 0.3 else None
    return {"arabic": arabic, "given": given, "middle": middle, "family": family, "kunya": kunya}


def say_person(p: dict, rng: random.Random) -> str:
    spell = rng.choice
    family = spell(p["family"])
    if p["arabic"]:
        family = particle(rng) + family
    shapes = ["full", "full", "short", "family", "title"]
    if p["kunya"]:
        shapes += ["kunya", "kunya_family"]
    shape = rng.choice(shapes)
    if shape == "kunya":
        text = f"Abu {spell(p['kunya'])}"
    elif shape == "kunya_family":
        text = f"Abu {spell(p['kunya'])} {family}"
    elif shape == "family":
        text = family.replace("al-", "").replace("el-", "").replace("Al-", "").strip()
    else:
        parts = [spell(p["given"])]
        if p["middle"] and shape == "full":
            parts.append(spell(p["middle"]))
        parts.append(family)
        text = " ".join(parts)
        if shape == "title":
            text = f"{rng.choice(TITLES)} {text}"
    words = text.split()
    if rng.random() < 0.15:
        index = rng.randrange(len(words))
        words[index] = typo(words[index], rng)
    return " ".join(words)


def organisation(rng: random.Random) -> dict:
    if rng.random() < 0.6:
        kind = rng.choice(ORG_KINDS)
        return {"arabic": True, "kind": kind, "name": rng.choice(ORG_NAMES), "n": rng.randrange(99)}
    return {"arabic": False, "place": rng.choice(PLACES), "name": rng.choice(ENGLISH_ORG)}


def say_organisation(o: dict, rng: random.Random) -> str:
    if o["arabic"]:
        arabic_kind, english_kind = o["kind"]
        name = rng.choice(o["name"])
        # Numbered units ("Kataib Hezbollah 12th Brigade") keep 100,000 strings distinct.
        unit = f" {o['n']}" if o["n"] else ""
        shape = rng.random()
        if shape < 0.45:
            kind = arabic_kind.replace("ai", "a’i") if rng.random() < 0.2 else arabic_kind
            text = f"{kind} {name}{unit}"
        elif shape < 0.75:
            text = f"{rng.choice(['Iraqi ', ''])}{name} {english_kind}{unit}"
        else:
            words = [arabic_kind, *name.replace("al-", "").split()]
            text = "".join(w[0] for w in words).upper() + unit
        return text
    place, name = o["place"], o["name"]
    shape = rng.random()
    if shape < 0.6:
        return f"{place} {name}"
    if shape < 0.8:
        return name
    return "".join(w[0] for w in f"{place} {name}".replace(" of ", " ").split()).upper()


def generate_mentions(count: int, seed: int = 12) -> list[str]:
    """``count`` distinct actor mention strings, as news spells them."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    actors = []
    while len(seen) < count:
        if not actors or rng.random() < 0.3:
            actors.append(person(rng) if rng.random() < 0.8 else organisation(rng))
            actor = actors[-1]
        else:
            actor = actors[rng.randrange(max(0, len(actors) - 50), len(actors))]
        text = say_person(actor, rng) if "given" in actor else say_organisation(actor, rng)
        if rng.random() < 0.02 and actor.get("arabic") and "given" in actor:
            text = ARABIC_SCRIPT.get(text.split()[0], text)
        seen[text] = None
    return list(seen)


ARABIC_SCRIPT = {"Qasem": "قاسم سليماني", "Mohammed": "محمد الساعدي", "Abu": "أبو مهدي المهندس"}


def generate_actors(count: int, seed: int = 7) -> list[tuple[str, str, list[str]]]:
    """``count`` canonical actors: a name and 1 to 3 aliases each."""
    rng = random.Random(seed)
    out = []
    names: set[str] = set()
    while len(out) < count:
        actor = person(rng) if rng.random() < 0.8 else organisation(rng)
        say = say_person if "given" in actor else say_organisation
        name = say(actor, rng)
        if name in names:
            continue
        names.add(name)
        wanted = rng.randint(1, 3)
        aliases: list[str] = []
        for _ in range(wanted * 5):
            alias = say(actor, rng)
            if alias != name and alias not in aliases:
                aliases.append(alias)
            if len(aliases) == wanted:
                break
        if not aliases:
            continue
        out.append((f"actor-{len(out)}", name, aliases))
    return out


# --- (b) speed and memory ---------------------------------------------------------------------


def child(job: str, size: int) -> None:
    """Run in a fresh process: generate ``size`` mentions and, for job "propose", propose."""
    texts = generate_mentions(size)
    started = time.perf_counter()
    result: dict = {}
    if job == "propose":
        proposals = propose(Mention(text) for text in texts)
        result = {"groups": len(proposals), "names": sum(len(p.names) for p in proposals)}
    elif job == "plain":
        blocks = candidate_blocks([forms_of(text) for text in texts])
        started = time.perf_counter()
        folded = [anyascii(text).lower() for text in texts]
        for block in blocks:
            strings = [folded[i] for i in block]
            process.cdist(strings, strings, scorer=fuzz.token_sort_ratio)
        result = {"blocks": len(blocks), "pairs": sum(len(b) * (len(b) - 1) // 2 for b in blocks)}
    result["seconds"] = time.perf_counter() - started
    print(json.dumps(result))


def run_child(job: str, size: int) -> tuple[dict, int]:
    """The child's result and its peak resident memory in bytes."""
    command = [sys.executable, __file__, "--child", job, "--mentions", str(size)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench child {job} failed with status {status}")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss * 1024


def speed(size: int) -> None:
    base, base_rss = run_child("imports", size)
    plain, _ = run_child("plain", size)
    ours, peak = run_child("propose", size)
    mb = 1024 * 1024
    print(
        f"suggest {size} mentions: {ours['seconds']:.1f} s (target < 60 s), "
        f"{ours['groups']} groups holding {ours['names']} names"
    )
    print(
        f"suggest baseline (anyascii + rapidfuzz cdist in the same {plain['blocks']} blocks, "
        f"{plain['pairs']} pairs): {plain['seconds']:.2f} s; ratio {ours['seconds'] / plain['seconds']:.1f}x"
    )
    print(
        f"suggest memory: peak RSS {peak / mb:.0f} MB, import and generation baseline "
        f"{base_rss / mb:.0f} MB, difference {(peak - base_rss) / mb:.0f} MB (target < 1024 MB)"
    )


# --- (c) the picker ---------------------------------------------------------------------------


def keystrokes(name: str) -> list[str]:
    return [name[:n] for n in range(1, len(name) + 1)]


def picker(size: int, queries: int) -> None:
    actors = generate_actors(size)
    started = time.perf_counter()
    index = ActorIndex(actors)
    built = time.perf_counter() - started
    strings = [fold(text) for _, name, aliases in actors for text in (name, *aliases)]
    rng = random.Random(3)
    typed = [rng.choice([a[1], *a[2]]) for a in rng.sample(actors, queries)]
    ours, plain = [], []
    for text in typed:
        for query in keystrokes(text):
            started = time.perf_counter()
            index.rank(query)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            process.extract(fold(query), strings, scorer=fuzz.WRatio, processor=None, limit=50)
            plain.append(time.perf_counter() - started)
    ms = 1000
    print(
        f"picker {size} actors ({len(strings)} names and aliases, index built in "
        f"{built * ms:.0f} ms), {len(ours)} keystrokes"
    )
    print(
        f"picker median per keystroke: {statistics.median(ours) * ms:.2f} ms "
        f"(frame {FRAME_MS:.0f} ms; rapidfuzz extract alone {statistics.median(plain) * ms:.2f} ms; "
        f"ratio {statistics.median(ours) / statistics.median(plain):.2f}x)"
    )
    print(
        f"picker worst per keystroke: {max(ours) * ms:.2f} ms "
        f"(frame {FRAME_MS:.0f} ms; rapidfuzz extract alone {max(plain) * ms:.2f} ms; "
        f"ratio {max(ours) / max(plain):.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--mentions", type=int, default=None)
    parser.add_argument("--actors", type=int, default=None)
    parser.add_argument("--verbose", action="store_true", help="list wrong and missed pairs")
    parser.add_argument("--child", choices=["imports", "plain", "propose"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    mentions = args.mentions or (2_000 if args.quick else 100_000)
    if args.child:
        child(args.child, mentions)
        return
    quality(args.verbose)
    speed(mentions)
    picker(args.actors or (1_000 if args.quick else 10_000), 5 if args.quick else 40)


if __name__ == "__main__":
    main()
