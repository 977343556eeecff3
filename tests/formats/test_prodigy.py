"""Prodigy: export writes what Prodigy reads (tokens, inclusive token_end, hashes, answer,
relations as rel.manual writes them); import of the export gives the same spans back."""

from __future__ import annotations

import hashlib
import json

import pytest
from spacy.lang.en import English

from db.records import ExportFilter
from desktop.formats import ExportOptions, ImportOptions, InputError, export_project, import_paths
from tests.formats.project import (
    TEXT_A,
    TEXT_B,
    details_of,
    read_jsonl,
    relations_of,
    snapshot,
    spans_of,
)


def export(store, tmp_path, **filter_fields):
    out = tmp_path / "tasks.jsonl"
    export_project(store, "prodigy", out, ExportOptions(filter=ExportFilter(**filter_fields)))
    return out, read_jsonl(out)


def test_round_trip_gives_the_same_spans_and_relations(rich, fresh, tmp_path):
    out, _ = export(rich.store, tmp_path)
    report = import_paths(fresh, [out])
    assert spans_of(fresh) == spans_of(rich.store)
    assert relations_of(fresh) == relations_of(rich.store)
    assert report.skipped == {}


def test_what_prodigy_cannot_carry_is_dropped_and_only_that(rich, fresh, tmp_path):
    """Attributes, notes, entity links, suggestions and the untouched document are lost."""
    out, _ = export(rich.store, tmp_path)
    import_paths(fresh, [out])
    before = details_of(rich.store)
    assert any(attributes or note or entity for attributes, note, entity in before.values())
    after = details_of(fresh)
    assert set(after) == set(before)
    assert all(value == ({}, "", None) for value in after.values())
    assert spans_of(fresh, statuses=("suggested", "rejected")) == set()
    assert {fresh.document(i).text for i in fresh.document_ids()} == {TEXT_A, TEXT_B}


def test_tasks_carry_spacy_tokens_and_inclusive_token_end(rich, tmp_path):
    _, tasks = export(rich.store, tmp_path)
    tokenizer = English().tokenizer
    for task in tasks:
        expected = [
            {
                "text": token.text,
                "start": token.idx,
                "end": token.idx + len(token.text),
                "id": token.i,
                "ws": bool(token.whitespace_),
            }
            for token in tokenizer(task["text"])
        ]
        assert task["tokens"] == expected
        for span in task["spans"]:
            first, last = task["tokens"][span["token_start"]], task["tokens"][span["token_end"]]
            # Every span of the project sits on token boundaries: token_end is inclusive.
            assert (first["start"], last["end"]) == (span["start"], span["end"])
            assert set(span) == {"start", "end", "token_start", "token_end", "label"}


def test_one_accepted_task_per_document_and_annotator(rich, tmp_path):
    _, tasks = export(rich.store, tmp_path)
    assert {(task["text"], task["_annotator_id"]) for task in tasks} == {
        (TEXT_A, "analyst_a"),
        (TEXT_A, "analyst_b"),
        (TEXT_A, "gold"),
        (TEXT_B, "analyst_a"),
        (TEXT_B, "analyst_b"),  # marked done with nothing to tag: a task with no spans
    }
    for task in tasks:
        assert task["answer"] == "accept"
        assert task["_session_id"] == task["_annotator_id"]
        assert isinstance(task["_timestamp"], int)
        assert all(isinstance(task[key], int) for key in ("_input_hash", "_task_hash"))
        assert -(2**31) <= task["_input_hash"] < 2**31
    done = next(t for t in tasks if t["text"] == TEXT_B and t["_annotator_id"] == "analyst_b")
    assert done["spans"] == []
    first = next(t for t in tasks if t["text"] == TEXT_A)
    assert first["meta"] == {"title": "Strike on Baghdad", "source": "Reuters"}


def test_hashes_group_by_input_and_tell_tasks_apart(rich, tmp_path):
    _, tasks = export(rich.store, tmp_path)
    by_text: dict[str, set[int]] = {}
    for task in tasks:
        by_text.setdefault(task["text"], set()).add(task["_input_hash"])
    assert all(len(hashes) == 1 for hashes in by_text.values())
    assert len({next(iter(h)) for h in by_text.values()}) == len(by_text)
    on_a = [t for t in tasks if t["text"] == TEXT_A]
    assert len({t["_task_hash"] for t in on_a}) == len(on_a)  # the annotators' spans differ


def test_relations_are_written_as_rel_manual_writes_them(rich, tmp_path):
    _, tasks = export(rich.store, tmp_path, annotators=("analyst_a",))
    task = next(t for t in tasks if t["text"] == TEXT_A)
    assert task["_view_id"] == "relations"
    spans = {(s["start"], s["end"], s["label"]): s for s in task["spans"]}
    written = set()
    for relation in task["relations"]:
        assert relation["head"] == relation["head_span"]["token_end"]
        assert relation["child"] == relation["child_span"]["token_end"]
        head, child = relation["head_span"], relation["child_span"]
        assert spans[(head["start"], head["end"], head["label"])] == head
        assert spans[(child["start"], child["end"], child["label"])] == child
        written.add((relation["label"], head["label"], child["label"]))
    assert written == {
        ("attributed_to", "Claim", "Actor"),
        ("agent", "Event", "Actor"),
        ("location", "Event", "Place"),
    }
    plain = next(t for t in tasks if t["text"] == TEXT_B)
    assert plain["_view_id"] == "spans_manual" and "relations" not in plain


def test_the_first_analysts_file_comes_back_as_it_was(memory_store, corpus, tmp_path):
    """Import the real Prodigy file, export analyst_a again: the same spans on the same texts."""
    source = corpus / "annotations" / "analyst_a.prodigy.jsonl"
    import_paths(memory_store, [corpus])
    _, tasks = export(memory_store, tmp_path, annotators=("analyst_a",))
    original = read_jsonl(source)
    want = {
        (task["text"], span["start"], span["end"], span["label"].title())
        for task in original
        for span in task["spans"]
    }
    got = {(t["text"], s["start"], s["end"], s["label"]) for t in tasks for s in t["spans"]}
    assert got == want
    # One task per article, hashed as Dossier hashes an input (BLAKE2b, 4 bytes, signed
    # little-endian), computed here without the writer's code.
    assert sorted((t["text"][:40], t["_annotator_id"]) for t in tasks) == sorted(
        (task["text"][:40], "analyst_a") for task in original
    )
    for task in tasks:
        digest = hashlib.blake2b(task["text"].encode("utf-8"), digest_size=4).digest()
        unsigned = sum(byte << (8 * i) for i, byte in enumerate(digest))
        assert task["_input_hash"] == (unsigned - 2**32 if unsigned >= 2**31 else unsigned)
    # the two articles' values, worked out once with hashlib alone
    assert sorted(t["_input_hash"] for t in tasks) == [-1232543845, 1667494143]


def test_a_relation_to_a_span_the_task_lacks_is_refused(memory_store, tmp_path):
    task = {
        "text": "Biden blamed Kataib Hezbollah.",
        "spans": [{"start": 0, "end": 5, "label": "Actor"}],
        "relations": [
            {
                "head": 0,
                "child": 3,
                "head_span": {"start": 0, "end": 5, "label": "Actor"},
                "child_span": {"start": 13, "end": 29, "label": "Actor"},
                "label": "blames",
            }
        ],
        "answer": "accept",
    }
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"text": "fine"}) + "\n" + json.dumps(task) + "\n", encoding="utf-8")
    before = snapshot(memory_store)
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [path], ImportOptions(annotator="a", format="prodigy"))
    assert str(error.value).startswith(
        f"{path}:2: relation 1: child_span 13-29 (Actor) is not one of the task's spans"
    )
    assert snapshot(memory_store) == before


def test_a_relation_without_its_spans_is_refused(memory_store, tmp_path):
    task = {
        "text": "Biden blamed Kataib Hezbollah.",
        "spans": [{"start": 0, "end": 5, "label": "Actor"}],
        "relations": [{"head": 0, "child": 3, "label": "blames"}],
    }
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(task) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [path], ImportOptions(annotator="a", format="prodigy"))
    assert str(error.value) == f"{path}:1: relation 1: missing 'head_span'"
    assert memory_store.document_count() == 0


def test_export_import_export_gives_the_same_tasks(rich, fresh, tmp_path):
    """True negatives included: analyst_b's empty task marks the article done again."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, tasks = export(rich.store, tmp_path / "one")
    import_paths(fresh, [first])
    _, again = export(fresh, tmp_path / "two")

    def without_time(records):
        return sorted(
            json.dumps({k: v for k, v in r.items() if k != "_timestamp"}, sort_keys=True)
            for r in records
        )

    assert without_time(again) == without_time(tasks)
