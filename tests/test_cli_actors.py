"""`dossier actors`: the list, the suggestions, accepting them and merging, with the
database checked after each command, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from db.records import ImportBatch, NewDocument
from desktop.cli import app

runner = CliRunner()

TEXT = (
    "Abu Baqir al-Saadi was killed in Baghdad. Abu Baqer commanded Kataib Hezbollah, "
    "which Kata’ib Hezbollah denied. US Central Command (CENTCOM) said CENTCOM struck."
)


def run(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def at(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    return start, start + len(fragment)


@pytest.fixture
def spans(store):
    """One article with an Actor span on each way of writing three actors."""
    [document] = store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids
    me = store.ensure_annotator("me").id
    actor = store.label_by_name("Actor").id
    names = [
        "Abu Baqir al-Saadi",
        "Abu Baqer",
        "Kataib Hezbollah",
        "Kata’ib Hezbollah",
        "US Central Command (CENTCOM)",
    ]
    made = {name: store.add_span(document, actor, me, *at(name)) for name in names}
    start = TEXT.rindex("CENTCOM")
    made["CENTCOM"] = store.add_span(document, actor, me, start, start + len("CENTCOM"))
    return made


def links(store, spans) -> dict[str, str | None]:
    """Each span's text -> the name of the actor it links to."""
    linked = store.linked_entities(span.uuid for span in spans.values())
    names = {entity.uuid: entity.name for entity in store.entities()}
    return {text: names.get(linked.get(span.uuid)) for text, span in spans.items()}


def state(store) -> list[tuple]:
    return [(e.name, e.aliases, e.type) for e in store.entities()]


def test_the_list_is_empty_then_shows_each_actor(store, db_url, spans):
    result = run("actors", "--db", db_url)
    assert result.exit_code == 0
    assert result.stdout.startswith("no actors yet")
    militia = store.add_entity(
        "Kataib Hezbollah", label="Actor", aliases=["Kata’ib Hezbollah"], type="armed group"
    )
    for name in ("Kataib Hezbollah", "Kata’ib Hezbollah"):
        store.update_span(spans[name].uuid, spans[name].version, entity_uuid=militia.uuid)
    store.add_entity("Zaid", label="Actor")
    result = run("actors", "--db", db_url)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "type", "mentions", "documents", "aliases"]
    assert lines[1].split("  ")[0] == "Kataib Hezbollah"
    assert lines[1].split() == [
        "Kataib",
        "Hezbollah",
        "armed",
        "group",
        "2",
        "1",
        "Kata’ib",
        "Hezbollah",
    ]
    assert lines[2].split() == ["Zaid", "-", "0", "0"]
    # the columns line up: the counts end where their headers end
    assert len(lines[2].rstrip()) == lines[0].index("documents") + len("documents")
    assert lines[1].index("  Kata’ib") == lines[0].index("  aliases")
    assert lines[-1] == "2 actor(s)"
    listed = json.loads(run("actors", "--json", "--db", db_url).stdout)
    assert listed == [
        {
            "uuid": militia.uuid,
            "name": "Kataib Hezbollah",
            "type": "armed group",
            "label": "Actor",
            "description": "",
            "aliases": ["Kata’ib Hezbollah"],
            "mentions": 2,
            "documents": 1,
        },
        {
            "uuid": store.entities()[1].uuid,
            "name": "Zaid",
            "type": None,
            "label": "Actor",
            "description": "",
            "aliases": [],
            "mentions": 0,
            "documents": 0,
        },
    ]


def test_the_project_may_come_from_the_environment(store, db_url, spans):
    store.add_entity("Zaid", label="Actor")
    result = run("actors", "--json", env={"DOSSIER_DB": db_url})
    assert result.exit_code == 0, result.output
    assert [actor["name"] for actor in json.loads(result.stdout)] == ["Zaid"]


def test_suggestions_as_json_name_the_spellings_as_written(store, db_url, spans):
    before = state(store)
    result = run("actors", "--suggest", "--json", "--db", db_url)
    assert result.exit_code == 0, result.output
    groups = json.loads(result.stdout)
    by_names = {frozenset(group["names"]): group for group in groups}
    assert frozenset({"Abu Baqir al-Saadi", "Abu Baqer"}) in by_names
    assert frozenset({"Kataib Hezbollah", "Kata’ib Hezbollah"}) in by_names
    assert frozenset({"US Central Command (CENTCOM)", "CENTCOM"}) in by_names
    for group in groups:
        assert set(group) == {"names", "score", "reasons", "actors"}
        assert 0 < group["score"] <= 1 and group["reasons"] and group["actors"] == []
    assert [g["score"] for g in groups] == sorted((g["score"] for g in groups), reverse=True)
    assert state(store) == before == []  # suggesting writes nothing
    text = run("actors", "--suggest", "--db", db_url).stdout
    assert "Abu Baqir al-Saadi / Abu Baqer" in text or "Abu Baqer / Abu Baqir al-Saadi" in text
    assert text.rstrip().endswith(f"{len(groups)} group(s)")
    high = json.loads(
        run("actors", "--suggest", "--json", "--min-score", "0.99", "--db", db_url).stdout
    )
    assert all(group["score"] >= 0.99 for group in high) and len(high) < len(groups)


def test_accepting_suggestions_makes_actors_and_links_their_mentions(store, db_url, spans):
    groups = json.loads(run("actors", "--suggest", "--json", "--db", db_url).stdout)
    result = run("actors", "--accept-suggestions", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"{len(groups)} group(s) accepted: {len(groups)} actor(s) created, 0 extended"
    )
    linked = links(store, spans)
    assert linked["Abu Baqir al-Saadi"] == linked["Abu Baqer"] == "Abu Baqir al-Saadi"
    assert linked["CENTCOM"] == linked["US Central Command (CENTCOM)"]
    assert linked["Kataib Hezbollah"] == linked["Kata’ib Hezbollah"] is not None
    saadi = next(e for e in store.entities() if e.name == "Abu Baqir al-Saadi")
    assert (saadi.label, saadi.aliases) == ("Actor", ("Abu Baqer",))
    # Accepted groups are not proposed again: their names are one actor now.
    assert json.loads(run("actors", "--suggest", "--json", "--db", db_url).stdout) == []
    again = run("actors", "--accept-suggestions", "--json", "--db", db_url)
    assert again.exit_code == 0 and json.loads(again.stdout) == []


def test_accepting_extends_an_actor_of_the_group(store, db_url, spans):
    saadi = store.add_entity("Abu Baqir al-Saadi", label="Actor")
    span = spans["Abu Baqir al-Saadi"]
    store.update_span(span.uuid, span.version, entity_uuid=saadi.uuid)
    result = run("actors", "--accept-suggestions", "--json", "--min-score", "0.5", "--db", db_url)
    assert result.exit_code == 0, result.output
    outcome = next(o for o in json.loads(result.stdout) if o["uuid"] == saadi.uuid)
    assert outcome["created"] is False and outcome["merged"] == []
    assert set(outcome["names"]) == {"Abu Baqir al-Saadi", "Abu Baqer"}
    assert outcome["spans"] == 1  # "Abu Baqer" linked; the other was linked already
    assert store.entity(saadi.uuid).aliases == ("Abu Baqer",)
    assert links(store, spans)["Abu Baqer"] == "Abu Baqir al-Saadi"


def test_a_low_min_score_for_acceptance_is_kept_to(store, db_url, spans):
    result = run("actors", "--accept-suggestions", "--min-score", "1", "--db", db_url)
    assert result.exit_code == 0
    expected = json.loads(
        run("actors", "--suggest", "--json", "--min-score", "1", "--db", db_url).stdout
    )
    assert len(store.entities()) == len(expected)


def test_merge_by_name_exact_then_any_case_and_by_uuid(store, db_url, spans):
    saadi = store.add_entity("Abu Baqir al-Saadi", label="Actor", type="person")
    baqer = store.add_entity("Abu Baqer", label="Actor", aliases=["Abu Bakr"])
    other = store.add_entity("abu baqer al-saadi", label="Actor")
    for name, entity in (("Abu Baqir al-Saadi", saadi), ("Abu Baqer", baqer)):
        store.update_span(spans[name].uuid, spans[name].version, entity_uuid=entity.uuid)
    result = run("actors", "--db", db_url, "--merge", "Abu Baqir al-Saadi", "ABU BAQER", other.uuid)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "merged “Abu Baqer”, “abu baqer al-saadi” into “Abu Baqir al-Saadi”"
    )
    assert state(store) == [
        ("Abu Baqir al-Saadi", ("Abu Bakr", "Abu Baqer", "abu baqer al-saadi"), "person")
    ]
    assert links(store, spans)["Abu Baqer"] == "Abu Baqir al-Saadi"


def test_merge_takes_names_as_repeated_options_and_prints_json(store, db_url, spans):
    first = store.add_entity("Kataib Hezbollah", label="Actor")
    second = store.add_entity("Kata’ib Hezbollah", label="Actor")
    store.update_span(spans["Kata’ib Hezbollah"].uuid, 1, entity_uuid=second.uuid)
    result = run(
        "actors",
        "--json",
        "--merge",
        "Kataib Hezbollah",
        "--merge",
        "Kata’ib Hezbollah",
        "--db",
        db_url,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "uuid": first.uuid,
            "name": "Kataib Hezbollah",
            "names": ["Kataib Hezbollah", "Kata’ib Hezbollah"],
            "created": False,
            "merged": [second.uuid],
            "spans": 1,
        }
    ]


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        (["Zaid", "Nobody"], "dossier actors: no actor is named “Nobody”"),
        (
            ["Zaid", "Abu Baqer"],
            "dossier actors: no actor is named “Abu Baqer” (it is an alias of “Abu Baqir al-Saadi”)",
        ),
        (["Zaid", "ahmed"], "“ahmed” names 2 actors"),
        (["Zaid", "zaid"], "dossier actors: “zaid” is “Zaid” itself: nothing to merge"),
        (["Zaid"], "dossier actors: --merge needs two or more actors (--merge NAME NAME)"),
    ],
)
def test_merge_refuses_an_unknown_or_ambiguous_name_and_writes_nothing(
    store, db_url, names, reason
):
    store.add_entity("Zaid", label="Actor")
    store.add_entity("Abu Baqir al-Saadi", label="Actor", aliases=["Abu Baqer"])
    store.add_entity("Ahmed", label="Actor")
    store.add_entity("AHMED", label="Actor")
    before = state(store)
    result = run("actors", "--db", db_url, "--merge", *names)
    assert result.exit_code == 2
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert state(store) == before


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ["--suggest", "--merge", "A", "B"],
            "choose one of --suggest, --accept-suggestions and --merge",
        ),
        (["--suggest", "--min-score", "1.5"], "--min-score must be from 0 to 1, not 1.5"),
        (["--min-score", "0.5"], "--min-score applies to --suggest and --accept-suggestions"),
        (["Zaid"], "unexpected argument “Zaid” (names follow --merge)"),
    ],
)
def test_bad_options_exit_2(tmp_path, args, reason):
    db = str(tmp_path / "p.db")
    assert run("--db", db, "import", str(_article(tmp_path))).exit_code == 0
    result = run("actors", "--db", db, *args)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"dossier actors: {reason}"


def test_a_missing_project_is_not_created(tmp_path):
    db = tmp_path / "none.db"
    result = run("actors", "--db", str(db))
    assert result.exit_code == 2 and not db.exists()


def test_the_seed_corpus_end_to_end(tmp_path, corpus):
    db = str(tmp_path / "p.db")
    assert run("--db", db, "import", str(corpus)).exit_code == 0
    groups = json.loads(run("actors", "--suggest", "--json", "--db", db).stdout)
    assert any({"Abu Baqer", "Abu Baqir al-Saadi"} <= set(group["names"]) for group in groups)
    result = run("actors", "--accept-suggestions", "--min-score", "0.9", "--db", db)
    assert result.exit_code == 0, result.output
    listed = json.loads(run("actors", "--json", "--db", db).stdout)
    assert len(listed) == sum(1 for group in groups if group["score"] >= 0.9)
    assert all(actor["mentions"] >= 2 for actor in listed)


def _article(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Zaid met Ahmed.", encoding="utf-8")
    return path
