"""Events and claims read from the seed articles by hand, tagged into a project: what the
corpus views are tried on (tests, and the README's screenshots of the timeline and network).

Every fragment is quoted from the article it is tagged in (the first occurrence, or the
first after the ``after`` fragment); dates are those the articles give or imply. The outlet
is set only where the article names it ("Source » iranintl"; "Published by The Cradle").
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ACTORS = {
    # canonical name: (type, aliases)
    "United States": ("state", ("US", "U.S.", "Washington", "US military")),
    "Joe Biden": ("person", ("President Joe Biden", "Mr. Biden", "the president")),
    "Donald Trump": ("person", ("President Trump",)),
    "Iran": ("state", ("Tehran",)),
    "Israel": ("state", ("Israeli military",)),
    "Kataib Hezbollah": ("armed group", ("Kata’ib Hezbollah", "Iraqi Hezbollah Brigades")),
    "Kata’ib Sayyid al-Shuhada": ("armed group", ()),
    "Abu Baqir al-Saadi": (
        "person",
        ("Wissam Mohammed “Abu Bakr” al-Saadi", "Wisam Mohammed Saber al-Saedi", "Abu Baqer"),
    ),
    "Qasem Soleimani": ("person", ("Qassem Soleimani",)),
    "Islamic Resistance in Iraq": ("armed group", ("IRI", "Iran-backed armed groups in Iraq")),
    "Al-Nujaba": ("armed group", ("Al-Nujaba movement",)),
    "Iraqi government": ("state", ("Iraq’s government",)),
    "Pentagon": ("organisation", ("Defense Department",)),
    "Popular Mobilization Forces": ("armed group", ("PMF",)),
    "Yahya Rasool": ("person", ()),
    "Bill Hagerty": ("person", ("Hagerty",)),
}


@dataclass(frozen=True)
class Mention:
    fragment: str
    actor: str | None  # the canonical actor it is linked to; None: left unlinked
    after: str = ""  # look for the fragment after this one


@dataclass(frozen=True)
class Event:
    article: str
    fragment: str
    type: str
    date: str | None
    agents: tuple[Mention, ...] = ()
    targets: tuple[Mention, ...] = ()
    after: str = ""


@dataclass(frozen=True)
class Claim:
    article: str
    fragment: str
    stance: str
    certainty: str
    sources: tuple[Mention, ...]
    about: tuple[Mention, ...] = field(default_factory=tuple)
    about_event: str = ""  # the fragment of an event of the same article it is about


A, B, C, D, E = (
    "000_f40a1a98859d52a1.txt",
    "001_4932432c3956f33a.txt",
    "002_ecdd1b51bc095db8.txt",
    "003_4efb708408d6d1e4.txt",
    "004_0fdf7b9a76ced070.txt",
)
OUTLETS = {B: "Iran International", E: "The Cradle"}

EVENTS = (
    Event(A, "precision missile strike", "ASSAULT", "2024-02-07",
          (Mention("US military", "United States"),),
          (Mention("Wissam Mohammed “Abu Bakr” al-Saadi", "Abu Baqir al-Saadi"),)),
    Event(A, "retaliatory military campaign", "ASSAULT", "2024-02",
          (Mention("President Joe Biden", "Joe Biden"),),
          (Mention("Iran", "Iran", after="campaign against "),)),
    Event(A, "US drone strike", "ASSAULT", "2020-01",
          (Mention("US", "United States", after="another "),),
          (Mention("Qasem Soleimani", "Qasem Soleimani"),)),
    Event(A, "suspending attacks", "RETREAT", "2024-W05",
          (Mention("Kataib Hezbollah", "Kataib Hezbollah", after="and Syria, "),),
          (Mention("American troops", "United States"),)),
    Event(A, "threatened", "THREATEN", "2024-W06",
          (Mention("Al-Nujaba movement", "Al-Nujaba"),)),
    Event(B, "US drone strike", "ASSAULT", "2024-02-07",
          (Mention("US", "United States", after="killed by a "),),
          (Mention("Wisam Mohammed Saber al-Saedi", "Abu Baqir al-Saadi"),)),
    Event(B, "resume attacks", "THREATEN", "2024-02-09",
          (Mention("Iran-backed armed groups in Iraq", "Islamic Resistance in Iraq"),),
          (Mention("US forces", "United States"),)),
    Event(B, "drone attack", "ASSAULT", "2024-01-28",
          (Mention("Abu Baqer", "Abu Baqir al-Saadi"),),
          (Mention("US base in Jordan", "United States"),), after="for his role in the "),
    Event(B, "targeted a building", "ASSAULT", "2024-02-10",
          (Mention("Israeli military", "Israel"),)),
    Event(C, "downed a US drone", "ASSAULT", "2019-06",
          (Mention("Iran", "Iran", after="Tensions grew when "),),
          (Mention("US", "United States", after="downed a "),)),
    Event(D, "series of airstrikes", "ASSAULT", "2021-06-27",
          (Mention("the president", "Joe Biden"),),
          (Mention("Kata’ib Hezbollah", "Kataib Hezbollah"),
           Mention("Kata’ib Sayyid al-Shuhada", "Kata’ib Sayyid al-Shuhada"))),
    Event(D, "threatened", "THREATEN", "2021-06-28",
          (Mention("The Pentagon", "Pentagon"),),
          (Mention("Iran", "Iran", after="threatened "),)),
    Event(D, "condemned the strikes", "ACCUSE", "2021-06-28",
          (Mention("Iraq’s government", "Iraqi government"),)),
    Event(D, "repudiated that pact", "REJECT", "2018",
          (Mention("President Trump", "Donald Trump"),)),
    Event(D, "similar airstrikes", "ASSAULT", "2021-02",
          (Mention("Mr. Biden", "Joe Biden"),)),
    Event(E, "US missile attack", "ASSAULT", "2024-02-07",
          (Mention("US", "United States", after="7 February "),),
          (Mention("Abu Baqir al-Saadi", "Abu Baqir al-Saadi"),)),
    Event(E, "Against the backdrop of the widening", "ASSAULT", None,
          (Mention("US", "United States", after="widening, "),)),
)  # fmt: skip

CLAIMS = (
    Claim(A, "Repeated US strikes against Iran-backed armed groups in Iraq are pushing the "
          "government to end the mission of US troops in the country", "opposes", "asserted",
          (Mention("Yahya Rasool", "Yahya Rasool"),),
          (Mention("US", "United States"),)),
    Claim(A, "We’ve been extraordinarily inconsistent in dealing with Iran and its proxies",
          "opposes", "asserted", (Mention("Hagerty", "Bill Hagerty", after="proxies,” "),),
          (Mention("Iran", "Iran", after="dealing with "),)),
    Claim(B, "violated all the rules of engagement", "opposes", "asserted",
          (Mention("Islamic Resistance in Iraq (IRI)", "Islamic Resistance in Iraq"),),
          about_event="US drone strike"),
    Claim(D, "were necessary, appropriate, and deliberate action designed to limit the risk "
          "of escalation", "supports", "asserted",
          (Mention("Pentagon", "Pentagon", after="deliberate action"),),
          about_event="series of airstrikes"),
    Claim(D, "four “martyrs” were killed in the U.S. strikes", "opposes", "reported",
          (Mention("PMF", "Popular Mobilization Forces", after="Agency, the "),),
          (Mention("U.S.", "United States", after="killed in the "),)),
)  # fmt: skip


def tag_seed_records(store, corpus: Path, annotator: str = "analyst_a") -> dict[str, str]:
    """Import the seed articles the project lacks (with the outlets the articles name; an
    article already imported keeps its own), and tag the events and claims above (with their actors, linked) as ``annotator``.

    Returns the canonical actors' uuids by name.
    """
    import orjson

    from db.store import content_hash
    from desktop.formats import import_paths

    known = {d.content_hash: d.id for d in store.list_documents()}
    missing = []
    for name in (A, B, C, D, E):
        text = (corpus / name).read_text(encoding="utf-8")
        if content_hash(text) not in known:
            record = {"text": text, "title": text.split("\n", 1)[0][:120]}
            if name in OUTLETS:
                record["source"] = OUTLETS[name]
            missing.append(orjson.dumps(record))
    if missing:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "seed.jsonl"
            path.write_bytes(b"\n".join(missing) + b"\n")
            import_paths(store, [path])
        known = {d.content_hash: d.id for d in store.list_documents()}
    ids = {
        name: known[content_hash((corpus / name).read_text(encoding="utf-8"))]
        for name in (A, B, C, D, E)
    }
    labels = {label.name: label.id for label in store.labels()}
    me = store.ensure_annotator(annotator)
    actors = {}
    existing = {entity.name: entity.uuid for entity in store.entities()}
    for name, (kind, aliases) in ACTORS.items():
        if name in existing:
            actors[name] = existing[name]
        else:
            # The same uuid every time, so that pictures drawn from them repeat exactly.
            fixed = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dossier:seed-actor:{name}"))
            record = store.add_entity(
                name, label="Actor", aliases=aliases, type=kind, entity_uuid=fixed
            )
            actors[name] = record.uuid
    texts = {name: store.document(ids[name]).text for name in ids}

    def place(article: str, fragment: str, after: str = "") -> tuple[int, int]:
        text = texts[article]
        begin = text.index(after) + len(after) if after else 0
        start = text.index(fragment, begin)
        return start, start + len(fragment)

    def mention(article: str, item: Mention) -> str:
        start, end = place(article, item.fragment, item.after)
        span = store.add_span(
            ids[article],
            labels["Actor"],
            me.id,
            start,
            end,
            attributes={"type": ACTORS[item.actor][0]} if item.actor else {},
            entity_uuid=actors.get(item.actor) if item.actor else None,
        )
        return span.uuid

    events: dict[tuple[str, str], str] = {}
    for event in EVENTS:
        start, end = place(event.article, event.fragment, event.after)
        attributes = {"type": event.type}
        if event.date:
            attributes["date"] = event.date
        span = store.add_span(
            ids[event.article], labels["Event"], me.id, start, end, attributes=attributes
        )
        events.setdefault((event.article, event.fragment), span.uuid)
        for kind, mentions in (("agent", event.agents), ("target", event.targets)):
            for item in mentions:
                store.add_relation(span.uuid, mention(event.article, item), kind, me.id)
    for claim in CLAIMS:
        start, end = place(claim.article, claim.fragment)
        span = store.add_span(
            ids[claim.article],
            labels["Claim"],
            me.id,
            start,
            end,
            attributes={"stance": claim.stance, "certainty": claim.certainty},
        )
        for item in claim.sources:
            store.add_relation(span.uuid, mention(claim.article, item), "source", me.id)
        for item in claim.about:
            store.add_relation(span.uuid, mention(claim.article, item), "about", me.id)
        if claim.about_event:
            store.add_relation(
                span.uuid, events[(claim.article, claim.about_event)], "about", me.id
            )
    return actors
