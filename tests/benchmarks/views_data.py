"""The project that bench_views.py measures: news-like articles with events and claims.

``build_project`` makes (once per size, kept in the work folder) a native JSONL file of
generated articles, about 5 KB each (10,000 articles: about 50 MB of text), made of the seed
articles' paragraphs under a numbered dateline, and imports it through Dossier's importer
into a fresh SQLite project (or a PostgreSQL database). Each article also carries a
sentence naming actors in their several spellings (Kata’ib, Katáib, Kataib; al-Saadi,
al-Sa’adi), an emoji, and CRLF line ends in every fifth article, so that search is measured
on the text it meets. Events: ``events // articles`` per article, each an Event span with a
type, a date of every precision (one in twenty undated), an agent and a target (Actor spans
linked to one of 300 canonical actors) and their relations; and two claims per article,
each with a source, a stance and what it is about. Outlets: 40, as the documents' source.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_scale import article, corpus_paragraphs  # noqa: E402

GENERATOR = 1  # bump when the generated file changes, so that cached files are remade
OUTLETS = tuple(f"Outlet {n:02d}" for n in range(40))
TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)  # fmt: skip
STANCES = ("supports", "opposes", "neutral")
SPELLINGS = (
    "Kata’ib Hezbollah",
    "Katáib Hezbollah",
    "Kataib Hezbollah",
    "Abu Baqir al-Sa’adi",
    "Abu Baqir al-Saadi",
)
ANNOTATOR = "analyst_a"


def _date(rng: random.Random) -> str | None:
    roll = rng.random()
    year = rng.randint(2019, 2024)
    if roll < 0.05:
        return None
    if roll < 0.60:
        return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if roll < 0.75:
        return f"{year}-W{rng.randint(1, 52):02d}"
    if roll < 0.92:
        return f"{year}-{rng.randint(1, 12):02d}"
    return str(year)


def _actors(rng: random.Random, count: int = 300) -> list[dict]:
    names = []
    for n in range(count):
        names.append(
            {
                "type": "entity",
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "name": f"Actor {n:03d}",
                "label": "Actor",
                "entity_type": ("person", "organisation", "state", "armed group")[n % 4],
                "aliases": [f"Actor number {n}"],
            }
        )
    return names


def _span(text, label, start, end, **more) -> dict:
    record = {
        "uuid": str(uuid.uuid4()),
        "label": label,
        "start": start,
        "end": end,
        "text": text[start:end],
        "annotator": ANNOTATOR,
        "status": "accepted",
    }
    record.update(more)
    return record


def _relation(kind: str, head: dict, tail: dict) -> dict:
    return {
        "uuid": str(uuid.uuid4()),
        "type": kind,
        "head": head["uuid"],
        "tail": tail["uuid"],
        "annotator": ANNOTATOR,
    }


def _document(number: int, rng, paragraphs, actors, per_article: int) -> dict:
    text, placed = article(number, rng, paragraphs)
    spelling = SPELLINGS[number % len(SPELLINGS)]
    text += f"\nOfficials said {spelling} had been warned 🙂 before the talks."
    if number % 5 == 0:
        text = text.replace("\n", "\r\n")
        # the words' offsets move by one for every line break before them
        breaks = [i for i, ch in enumerate(text) if ch == "\n"]
        placed = [[_moved(s, breaks), _moved(e, breaks)] for words in placed for s, e in words]
        words = [tuple(pair) for pair in placed]
    else:
        words = [word for paragraph in placed for word in paragraph]
    spans, relations = [], []
    slots = rng.sample(range(len(words) - 1), min(len(words) - 1, per_article * 3 + 4))
    slot = iter(slots)
    for _ in range(per_article):
        index = next(slot)
        attributes = {"type": rng.choice(TYPES)}
        date = _date(rng)
        if date is not None:
            attributes["date"] = date
        event = _span(text, "Event", words[index][0], words[index][1], attributes=attributes)
        agent_at, target_at = words[next(slot)], words[next(slot)]
        agent = _span(text, "Actor", *agent_at, entity=rng.choice(actors)["uuid"])
        target = _span(text, "Actor", *target_at, entity=rng.choice(actors)["uuid"])
        spans += [event, agent, target]
        relations += [_relation("agent", event, agent), _relation("target", event, target)]
    for _ in range(2):
        at = words[next(slot)]
        claim = _span(text, "Claim", at[0], at[1], attributes={"stance": rng.choice(STANCES)})
        source_at = words[next(slot)]
        source = _span(text, "Actor", *source_at, entity=rng.choice(actors)["uuid"])
        spans += [claim, source]
        relations += [_relation("source", claim, source), _relation("about", claim, spans[0])]
    return {
        "type": "document",
        "title": f"Dispatch {number}",
        "text": text,
        "source": OUTLETS[number % len(OUTLETS)],
        "published": f"{rng.randint(2019, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "spans": spans,
        "relations": relations,
    }


def _moved(offset: int, breaks: list[int]) -> int:
    # breaks are the positions of "\n" in the CRLF text; an offset of the LF text moves by
    # the number of "\r" inserted before it
    low, high = 0, len(breaks)
    while low < high:
        middle = (low + high) // 2
        if breaks[middle] - middle - 1 < offset:  # the LF text's position of that break
            low = middle + 1
        else:
            high = middle
    return offset + low


def project_file(work: Path, articles: int, events: int) -> Path:
    """The native JSONL file, made once per size and kept in ``work``."""
    path = work / f"views-{articles}-{events}-v{GENERATOR}.jsonl"
    if path.exists():
        return path
    started = time.perf_counter()
    rng = random.Random(articles * 7 + events)
    paragraphs = corpus_paragraphs()
    actors = _actors(rng)
    per_article = max(1, events // articles)
    temporary = path.with_suffix(".partial")
    with open(temporary, "wb") as stream:
        stream.write(orjson.dumps({"type": "annotator", "name": ANNOTATOR, "is_gold": False}))
        stream.write(b"\n")
        for actor in actors:
            stream.write(orjson.dumps(actor) + b"\n")
        for number in range(articles):
            record = _document(number, rng, paragraphs, actors, per_article)
            stream.write(orjson.dumps(record) + b"\n")
    temporary.replace(path)
    print(
        f"  made {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
        f"{time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return path


def build_project(
    work: Path, *, articles: int = 10_000, events: int = 100_000, pg_url: str | None = None
) -> str:
    """A project holding the generated articles; its location (SQLite file or the URL).

    The SQLite project is kept in ``work`` and reused; a PostgreSQL database is filled anew.
    """
    from db.store import Store
    from desktop.formats import import_paths

    work.mkdir(parents=True, exist_ok=True)
    source = project_file(work, articles, events)
    location = pg_url or str(work / f"{source.stem}.db")
    if pg_url is None and Path(location).exists():
        return location
    started = time.perf_counter()
    partial = location if pg_url else location + ".partial"
    with Store.open(partial) as store:
        import_paths(store, [source])
    if pg_url is None:
        Path(partial).replace(location)
    print(f"  imported it in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return location
