"""Names and text that other tools' files cannot hold as they are: control characters in
label names (Label Studio's XML), names that brat's configuration reads as comments,
sections, separators or macros, annotator names too long for a folder, spreadsheet
formulas behind spaces or quotes, and symbolic links out of a folder being imported."""

from __future__ import annotations

import codecs
import csv
import io
import os
import unicodedata
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from sqlalchemy import text as sql
from typer.testing import CliRunner

from db.records import ImportBatch, NewDocument, NewRelation, NewSpan
from db.store import Store, StoreError, new_uuid
from desktop.cli import app
from desktop.formats import export_project, import_paths
from desktop.formats.base import folder_name
from desktop.formats.labelstudio import config_path
from tests.formats.project import relations_of, spans_of
from tests.formats.tool_checks import brat_config_refusals, brat_folder_refusals


def one_document(
    store: Store, labels: list[str], annotators: list[str], relations: tuple[str, ...] = ()
) -> None:
    """A document with a span per label and annotator; each annotator's spans linked in
    turn by ``relations`` (the first two by the first type, and so on)."""
    for name in labels:
        if store.label_by_name(name) is None:
            store.add_label(name)
    text = " ".join(f"w{i:02}" for i in range(len(labels)))  # a word of 3 per label
    spans, links = [], []
    for annotator in annotators:
        mine = [
            NewSpan(name, 4 * i, 4 * i + 3, annotator, uuid=new_uuid())
            for i, name in enumerate(labels)
        ]
        spans += mine
        links += [
            NewRelation(kind, head.uuid, tail.uuid, annotator)
            for kind, head, tail in zip(relations, mine, mine[1:], strict=False)
        ]
    store.import_batch(
        ImportBatch(documents=[NewDocument(text=text, spans=spans, relations=links)])
    )


def rename_in_the_database(store: Store, table: str, column: str, old: str, new: str) -> None:
    """Give a row a name the store itself now refuses, as an older project may hold."""
    with store.engine.begin() as connection:
        connection.execute(
            sql(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
            {"new": new, "old": old},
        )


# --- control characters in label names ------------------------------------------------------


CONTROLS = ["\x01", "\x1b", "\x7f", "\x85", "\u2028", "\t", "\n", "\x00"]


@pytest.mark.parametrize("character", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_label_name_with_a_control_character_is_refused(store, character):
    with pytest.raises(StoreError, match="control character|NUL"):
        store.add_label(f"Cl{character}aim2")
    label = store.label_by_name("Claim")
    with pytest.raises(StoreError, match="control character|NUL"):
        store.update_label(label.id, name=f"Cl{character}aim")
    assert [label.name for label in store.labels()] == ["Claim", "Actor", "Event"]


def test_a_label_name_with_spaces_and_punctuation_is_still_a_name(memory_store):
    label = memory_store.add_label("  Armed group <b>&amp; “allies” | #1  ")
    assert label.name == "Armed group <b>&amp; “allies” | #1"


@pytest.mark.parametrize("what", ["label", "relation type"])
def test_label_studio_refuses_a_name_xml_cannot_hold_and_names_it(rich, tmp_path, what):
    """Label Studio parses its labelling config as XML 1.0, which cannot hold U+0001 even
    as "&#1;": the export says which name, and writes nothing."""
    if what == "label":
        rename_in_the_database(rich.store, "label", "name", "Place", "Pl\x01ace")
    else:
        rename_in_the_database(rich.store, "relation", "type", "agent", "ag\x01ent")
    with pytest.raises(ValueError, match=rf"the {what} '(Pl|ag)\\x01(ace|ent)' holds U\+0001"):
        export_project(rich.store, "labelstudio", tmp_path / "tasks.json")
    assert list(tmp_path.iterdir()) == []


def test_the_labelling_config_holds_every_name_exactly(rich, tmp_path):
    odd = 'A <b>&amp; "quoted"\tname'
    rename_in_the_database(rich.store, "label", "name", "Place", odd)
    out = tmp_path / "tasks.json"
    export_project(rich.store, "labelstudio", out)
    root = ElementTree.fromstring(config_path(out).read_text(encoding="utf-8"))
    assert odd in [label.get("value") for label in root.iter("Label")]


# --- names brat's configuration cannot hold ---------------------------------------------------


BRAT_NAMES = ["[relations]", "#x", "-", "--", "<b>", "a|b", "a b", "_x", "!x", "ENTITY-NESTING"]


def test_every_label_name_is_a_brat_type_and_comes_back(memory_store, fresh, tmp_path):
    """brat reads "[...]" as a section, "#" as a comment, hyphens alone as a separator and
    any other "<...>" as an undefined macro (which makes it drop the whole file); every
    name still has a type of its own, and the exact name comes back on import."""
    one_document(memory_store, BRAT_NAMES, ["ana"], ("<link>", "Equiv", "a|b", "-"))
    out = tmp_path / "brat"
    export_project(memory_store, "brat", out)
    assert brat_config_refusals(out) == []
    assert brat_folder_refusals(out) == []
    conf = (out / "annotation.conf").read_text(encoding="utf-8")
    entities = conf.split("[entities]\n")[1].split("\n[")[0].splitlines()
    assert len(set(entities)) == len(entities) >= len(BRAT_NAMES)
    import_paths(fresh, [out])
    assert {label.name for label in fresh.labels()} >= set(BRAT_NAMES)
    assert spans_of(fresh) == spans_of(memory_store)
    assert relations_of(fresh) == relations_of(memory_store)


# --- annotator names and folders ------------------------------------------------------------


ANNOTATORS = [
    "𝒜" * 199 + "a",  # 800 bytes of UTF-8
    "𝒜" * 199 + "b",  # the same first 255 bytes as the one before
    "x" + "e\u0301" * 99,  # 298 bytes; 255 would cut an "e" from its accent
    "a/b",
    "a:b",
    "Alice",
    "alice",  # the same folder where case does not count (macOS, Windows)
    "con",  # a device on Windows
]


def test_an_annotator_folder_fits_255_bytes_is_unique_and_cuts_no_character(tmp_path):
    used: set[str] = set()
    for annotator in ANNOTATORS:
        name = folder_name(annotator, used, ("annotation.conf", "visual.conf"))
        used.add(name)
        assert len(name.encode("utf-8")) <= 255
        (tmp_path / name).mkdir()  # the file system takes it
    assert len({name.lower() for name in used}) == len(ANNOTATORS)
    accented = folder_name(ANNOTATORS[2], set())
    assert ANNOTATORS[2].startswith(accented) and len(accented.encode()) == 253
    assert unicodedata.normalize("NFC", accented) == "x" + "é" * 84  # no bare "e" at the end


def test_brat_annotators_with_long_or_unsafe_names_come_back_whole(memory_store, fresh, tmp_path):
    one_document(memory_store, ["Claim", "Actor"], ANNOTATORS)
    out = tmp_path / "brat"
    export_project(memory_store, "brat", out)
    folders = [path.name for path in out.iterdir() if path.is_dir()]
    assert len(folders) == len(ANNOTATORS)
    assert all(len(name.encode()) <= 255 for name in folders)
    assert brat_config_refusals(out) == []
    report = import_paths(fresh, [out])
    assert {annotator.name for annotator in fresh.annotators()} >= set(ANNOTATORS)
    assert spans_of(fresh) == spans_of(memory_store)
    assert report.summary.spans_added == 2 * len(ANNOTATORS)


# --- spreadsheet formulas ---------------------------------------------------------------------


FORMULAS = [" =1+1", '"=HYPERLINK(1)', "'@SUM(A1)", "\u00a0+1", "\n-2", " \t=1", ' "@x']


def read_table(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_formulas_behind_spaces_or_quotes_are_neutralised(memory_store, tmp_path):
    """Excel and LibreOffice trim leading spaces and drop quotes before they decide that a
    cell is a formula: every such cell starts with "'" in the span table and the analyst
    tables."""
    text = "The militia claimed the strike. Officials denied it."
    documents = []
    for number, formula in enumerate(FORMULAS):
        claim = NewSpan("Claim", 0, 31, "ana", uuid=f"00000000-0000-4000-8000-{number:012d}")
        claim.note = formula
        claim.attributes = {"certainty": "hedged"}
        documents.append(
            NewDocument(text=f"{text} {number}", title=formula, source=formula, spans=[claim])
        )
    memory_store.import_batch(ImportBatch(documents=documents))
    export_project(memory_store, "csv", tmp_path / "spans.csv")
    export_project(memory_store, "claims", tmp_path / "claims.csv")
    spans = read_table(tmp_path / "spans.csv")
    claims = read_table(tmp_path / "claims.csv")
    assert len(spans) == len(claims) == len(FORMULAS)
    cells = [row["note"] for row in spans] + [row["document"] for row in spans]
    cells += [row["document"] for row in claims] + [row["outlet"] for row in claims]
    for cell in cells:
        assert cell.startswith("'") and cell[1:] in FORMULAS, repr(cell)


# --- symbolic links out of a folder -----------------------------------------------------------


@pytest.fixture
def linked_folder(tmp_path) -> Path:
    """data/ with an article, a link to it, and links to a file and a folder outside."""
    data, outside = tmp_path / "data", tmp_path / "outside"
    data.mkdir()
    outside.mkdir()
    (data / "article.txt").write_text("An article in the folder.\n", encoding="utf-8")
    (outside / "secret.txt").write_text("Someone's private notes.\n", encoding="utf-8")
    (outside / "more").mkdir()
    (outside / "more" / "other.txt").write_text("More private notes.\n", encoding="utf-8")
    try:
        (data / "same.txt").symlink_to("article.txt")
        (data / "secret.txt").symlink_to(outside / "secret.txt")
        (data / "elsewhere").symlink_to(outside / "more", target_is_directory=True)
    except OSError as exc:
        pytest.skip(f"cannot make symbolic links here: {exc}")
    return data


def test_folder_import_does_not_follow_links_out_of_the_folder(memory_store, linked_folder):
    report = import_paths(memory_store, [linked_folder])
    texts = [memory_store.document(i).text for i in memory_store.document_ids()]
    assert texts == ["An article in the folder.\n"]
    [(reason, count)] = report.skipped.items()
    assert count == 2 and "outside the folder" in reason


def test_a_link_named_on_the_command_line_is_followed(memory_store, linked_folder):
    import_paths(memory_store, [linked_folder / "secret.txt"])
    assert memory_store.document_count() == 1


def test_the_command_line_says_which_links_it_did_not_follow(linked_folder, tmp_path):
    result = CliRunner().invoke(
        app, ["--db", str(tmp_path / "p.db"), "import", str(linked_folder)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "1 document(s) added" in result.stdout
    assert (
        "skipped: 2 symbolic links that lead outside the folder given (not followed)"
        in result.stdout
    )
    assert os.path.islink(linked_folder / "secret.txt")  # left as it was
