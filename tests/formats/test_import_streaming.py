"""Importing files in parts: the same project whatever the part size, one transaction for
the whole import, ``file:line`` errors from the last line of the last file, and readers
that read no further than the part asked for."""

from __future__ import annotations

import inspect
import json

import pytest

from desktop.formats import (
    Cancelled,
    ImportOptions,
    InputError,
    doccano,
    import_paths,
    native,
    prodigy,
)
from tests.db.test_import_streaming import contents

TEXT = "👍🏽 The ministry said\r\nthe strike killed Cafe\u0301 owners in Basra. Report {n}."


def write_jsonl(path, records):
    path.write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records),
        encoding="utf-8",
    )
    return path


def native_records(count: int, annotator: str, first_line_labels: bool = True) -> list[dict]:
    """A native file: labels and an entity, then ``count`` articles tagged by one analyst
    with a claim that holds an actor, related, and the document marked done."""
    records: list[dict] = []
    if first_line_labels:
        records += [
            {"type": "label", "name": "Claim", "colour": "#111111", "shortcut": "q"},
            {"type": "label", "name": "Actor", "colour": "#222222", "shortcut": "w"},
            {"type": "annotator", "name": "gold", "is_gold": True},
            {"type": "entity", "uuid": "e-1", "name": "The ministry", "aliases": ["MoD"]},
        ]
    for n in range(count):
        text = TEXT.format(n=n)
        actor = text.index("ministry")
        claim_uuid, actor_uuid = f"{annotator}-{n}-claim", f"{annotator}-{n}-actor"
        records.append(
            {
                "type": "document",
                "text": text,
                "title": f"Report {n}",
                "meta": {"n": n},
                "spans": [
                    {"uuid": claim_uuid, "label": "Claim", "start": 0, "end": len(text)},
                    {
                        "uuid": actor_uuid,
                        "label": "Actor",
                        "start": actor,
                        "end": actor + 8,
                        "text": "ministry",
                        "entity": "e-1",
                    },
                ],
                "relations": [
                    {
                        "uuid": f"r-{claim_uuid}",
                        "type": "source",
                        "head": claim_uuid,
                        "tail": actor_uuid,
                    }
                ],
                "states": [{"status": "done"}],
                "annotator": annotator,
            }
        )
    return records


def two_analysts(tmp_path):
    """Alice's file and Bob's, which holds Alice's articles and one of its own, and which
    repeats one of Alice's spans under a uuid of its own, with a relation to it."""
    alice = native_records(7, "alice")
    bob = native_records(8, "bob", first_line_labels=False)
    bob[0]["spans"].append(
        {
            "uuid": "bob-copy",
            "label": "Claim",
            "start": 0,
            "end": len(TEXT.format(n=0)),
            "annotator": "alice",
        }
    )
    bob[0]["relations"].append(
        {"uuid": "r-copy", "type": "about", "head": "bob-copy", "tail": "bob-0-actor"}
    )
    return [write_jsonl(tmp_path / "alice.jsonl", alice), write_jsonl(tmp_path / "bob.jsonl", bob)]


@pytest.mark.parametrize("size", [1, 2, 500])
def test_the_part_size_changes_nothing(store, memory_store, tmp_path, size):
    files = two_analysts(tmp_path)
    whole = import_paths(memory_store, files, part_size=10**9)
    report = import_paths(store, files, part_size=size)
    assert contents(store) == contents(memory_store)
    report.summary.document_ids = whole.summary.document_ids  # ids of two projects
    assert report.summary == whole.summary
    assert (report.summary.documents_added, report.summary.spans_skipped) == (8, 1)
    labels = [(label.name, label.colour, label.shortcut) for label in store.labels()]
    assert labels == [("Claim", "#111111", "q"), ("Actor", "#222222", "w")]
    [first] = [d for d in store.document_ids() if store.document(d).title == "Report 0"]
    relations = {(r.type, r.head_uuid, r.tail_uuid) for r in store.relations(first)}
    assert ("about", "alice-0-claim", "bob-0-actor") in relations


@pytest.mark.parametrize(
    "name, records",
    [
        (
            "tasks.jsonl",
            [
                {
                    "text": TEXT.format(n=n),
                    "spans": [{"start": 4, "end": 12, "label": "ACTOR"}],
                    "answer": "reject" if n == 3 else "accept",
                    "_annotator_id": "alice",
                    "_input_hash": n,
                }
                for n in range(9)
            ],
        ),
        (
            "bob.jsonl",
            [
                {
                    "text": TEXT.format(n=n),
                    "entities": [
                        {"id": 1, "start_offset": 0, "end_offset": 4, "label": "ACTOR"},
                        {"id": 2, "start_offset": 5, "end_offset": 13, "label": "ORG"},
                    ],
                    "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "said"}],
                }
                for n in range(9)
            ],
        ),
    ],
    ids=["prodigy", "doccano"],
)
def test_other_line_formats_come_in_parts_too(store, memory_store, tmp_path, name, records):
    path = write_jsonl(tmp_path / name, records)
    whole = import_paths(memory_store, [path], part_size=10**9)
    report = import_paths(store, [path], part_size=2)
    expected, got = contents(memory_store), contents(store)
    # Spans without a uuid in the file get a new one in each project.
    for project in (expected, got):
        project["spans"] = sorted(span[1:] for span in project["spans"])
        project["relations"] = sorted(relation[1:2] for relation in project["relations"])
    assert got == expected
    assert report.skipped == whole.skipped
    assert report.attributed == whole.attributed
    assert report.summary.spans_added == whole.summary.spans_added > 0


def test_a_bad_last_line_of_the_last_file_changes_nothing(store, tmp_path):
    import_paths(store, [write_jsonl(tmp_path / "earlier.jsonl", native_records(2, "zoe"))])
    before = contents(store)
    files = two_analysts(tmp_path)
    lines = files[1].read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append(
        '{"type": "document", "text": "Last.", "spans": [{"label": "Claim", "start": 3, "end": 9}]}\n'
    )
    files[1].write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        import_paths(store, files, part_size=2)
    assert str(raised.value) == (
        f"{files[1]}:{len(lines)}: span 1: offsets 3-9 fall outside the text of 5 characters"
    )
    assert contents(store) == before


def test_a_line_the_store_refuses_is_named_too(store, tmp_path):
    records = native_records(6, "alice")
    records[-1]["spans"][0]["status"] = "maybe"
    path = write_jsonl(tmp_path / "a.jsonl", records)
    with pytest.raises(InputError, match=rf"^{path}:{len(records)}: unknown span status 'maybe'"):
        import_paths(store, [path], part_size=2)
    assert contents(store)["documents"] == []


def test_a_span_uuid_met_twice_in_a_file_is_refused_with_its_line(store, tmp_path):
    records = native_records(6, "alice")
    records[-1]["spans"][0]["uuid"] = records[4]["spans"][0]["uuid"]
    records[-1]["relations"] = []
    path = write_jsonl(tmp_path / "a.jsonl", records)
    with pytest.raises(InputError) as raised:
        import_paths(store, [path], part_size=2)
    assert str(raised.value) == (
        f"{path}:{len(records)}: span uuid 'alice-0-claim' appears twice in the file"
    )
    assert contents(store)["documents"] == []


def test_cancelled_mid_stream_changes_nothing(store, tmp_path):
    import_paths(store, [write_jsonl(tmp_path / "earlier.jsonl", native_records(2, "zoe"))])
    before = contents(store)
    reports = []

    def progress(phase, done, total):
        reports.append((phase, done, total))
        if len(reports) == 3:
            raise Cancelled()

    with pytest.raises(Cancelled):
        import_paths(store, two_analysts(tmp_path), progress=progress, part_size=2)
    assert contents(store) == before
    # Cancelled after the third part of several, of the first of two files.
    assert [phase for phase, _, _ in reports] == ["importing"] * 3
    assert reports[-1][1] < reports[-1][2]


def test_progress_counts_the_bytes_of_every_file(memory_store, tmp_path):
    files = two_analysts(tmp_path)
    reports = []
    import_paths(memory_store, files, progress=lambda *report: reports.append(report), part_size=3)
    total = sum(path.stat().st_size for path in files)
    dones = [done for _, done, _ in reports]
    assert dones == sorted(dones) and dones[-1] == total
    assert {report[2] for report in reports} == {total}
    assert len(reports) > 2


@pytest.mark.parametrize("module", [native, prodigy, doccano], ids=lambda m: m.__name__)
def test_a_reader_reads_no_further_than_the_part_asked_for(tmp_path, module):
    records = [{"text": TEXT.format(n=n), "annotator": "alice"} for n in range(3000)]
    path = write_jsonl(tmp_path / "large.jsonl", records)
    parts = module.read_parts(path, ImportOptions(), 10)
    assert inspect.isgenerator(parts)
    first = next(parts)
    assert len(first.batch.documents) == 10
    assert first.batch.source == str(path)
    # Ten lines of three thousand, and not much beyond them (the file is read by lines).
    line = path.read_bytes().index(b"\n") + 1
    assert 10 * line <= first.read <= 11 * line
    second = next(parts)
    assert [d.where for d in second.batch.documents] == [f"{path}:{n}" for n in range(11, 21)]
    parts.close()


def test_reading_a_whole_file_still_gives_one_result(tmp_path):
    files = two_analysts(tmp_path)
    result = native.read(files[0], ImportOptions())
    assert len(result.batch.documents) == 7
    assert [label.name for label in result.batch.labels] == ["Claim", "Actor"]
    assert result.read == files[0].stat().st_size
