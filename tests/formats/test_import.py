"""Importing text, Markdown, folders, Prodigy and doccano, and refusing bad input whole."""

from __future__ import annotations

import codecs
import json

import pytest

from desktop.formats import ImportOptions, InputError, import_paths
from desktop.formats.text import date_from_name, title_from_text


def write_jsonl(path, records):
    path.write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records),
        encoding="utf-8",
    )
    return path


def snapshot(store):
    """Everything an import could change, for checking that a failed one changed nothing."""
    documents = [(d.content_hash, d.title) for d in store.list_documents()]
    spans = sorted(
        (s.document_id, s.label, s.start, s.end, s.annotator)
        for document_id in store.document_ids()
        for s in store.spans(document_id)
    )
    return (
        documents,
        spans,
        [label.name for label in store.labels()],
        [a.name for a in store.annotators()],
    )


def test_a_text_file_is_kept_byte_for_byte(memory_store, tmp_path):
    text = "Strike on Baghdad\r\n\r\nThe US said 👍🏽 on Wednesday.\rA lone CR.\u2028End"
    path = tmp_path / "2024-02-08-strike.txt"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    report = import_paths(memory_store, [path])
    document = memory_store.document(report.summary.document_ids[0])
    assert document.text == text
    assert document.title == "Strike on Baghdad"
    assert document.published == "2024-02-08"
    assert document.imported_from == str(path)


def test_utf16_text_is_read(memory_store, tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "Iraq 🇮🇶\r\n".encode("utf-16-le"))
    report = import_paths(memory_store, [path])
    assert memory_store.document(report.summary.document_ids[0]).text == "Iraq 🇮🇶\r\n"


def test_markdown_title_comes_from_the_heading(memory_store, tmp_path):
    path = tmp_path / "note.md"
    path.write_text("\n# Militias resume attacks #\n\nBody.\n", encoding="utf-8")
    report = import_paths(memory_store, [path])
    assert memory_store.document(report.summary.document_ids[0]).title == "Militias resume attacks"


def test_titles_and_dates():
    assert title_from_text("\n\n  Short headline \nbody") == "Short headline"
    long_line = "word " * 60
    title = title_from_text(long_line)
    assert title.endswith("…") and len(title) <= 121
    assert date_from_name("2024-02-08_x.txt") == "2024-02-08"
    assert date_from_name("x-2024-13-40.txt") is None
    assert date_from_name("000_f40a1a98859d52a1.txt") is None


def test_folders_are_read_recursively_and_twice_adds_nothing(memory_store, corpus):
    first = import_paths(memory_store, [corpus])
    assert first.files == 7
    assert first.summary.documents_added == 5
    assert first.attributed == {
        str(corpus / "annotations" / "analyst_b.doccano.jsonl"): "analyst_b"
    }
    second = import_paths(memory_store, [corpus])
    assert (second.summary.documents_added, second.summary.spans_added) == (0, 0)
    assert second.summary.documents_matched == 5
    assert memory_store.document_count() == 5


def test_hidden_files_and_unknown_kinds_in_folders_are_passed_over(memory_store, tmp_path):
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("Not this.", encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\x00")
    assert import_paths(memory_store, [tmp_path]).summary.documents_added == 1
    with pytest.raises(InputError, match="photo.png: unknown kind of file"):
        import_paths(memory_store, [tmp_path / "photo.png"])


def test_prodigy_accepts_only_accepted_tasks(memory_store, tmp_path):
    text = "Kataib Hezbollah said on 👍 Friday."
    path = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {
                "text": text,
                "spans": [
                    {"start": 0, "end": 16, "label": "ACTOR", "token_start": 0, "token_end": 1}
                ],
                "answer": "accept",
                "_annotator_id": "news-alice",
                "meta": {"source": "Reuters", "url": "http://x"},
            },
            {
                "text": "Rejected task.",
                "spans": [],
                "answer": "reject",
                "_annotator_id": "news-alice",
            },
            {"text": "Ignored task.", "answer": "ignore"},
        ],
    )
    report = import_paths(memory_store, [path])
    assert report.skipped == {"rejected tasks": 1, "ignored tasks": 1}
    assert memory_store.document_count() == 1
    document = memory_store.document(report.summary.document_ids[0])
    assert (document.source, document.url) == ("Reuters", "http://x")
    [span] = memory_store.spans(document.id)
    assert (span.label, span.text, span.annotator, span.origin) == (
        "Actor",
        "Kataib Hezbollah",
        "news-alice",
        "imported",
    )


def test_annotator_option_names_the_annotator(memory_store, tmp_path):
    path = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {
                "text": "Biden spoke.",
                "spans": [{"start": 0, "end": 5, "label": "Actor"}],
                "_annotator_id": "x",
            },
        ],
    )
    import_paths(memory_store, [path], ImportOptions(annotator="carol"))
    assert [a.name for a in memory_store.annotators()] == ["carol"]


def test_doccano_offsets_are_utf16_units(memory_store, tmp_path):
    text = "😀😀 Biden and 🇮🇶 Iraq"
    start = text.index("Biden")
    units = len(text[:start].encode("utf-16-le")) // 2
    iraq = text.index("Iraq")
    iraq_units = len(text[:iraq].encode("utf-16-le")) // 2
    path = write_jsonl(
        tmp_path / "bob.jsonl",
        [
            {
                "text": text,
                "label": [[units, units + 5, "ACTOR"], [iraq_units, iraq_units + 4, "Actor"]],
                "source": "AFP",
                "id": 7,
            },
        ],
    )
    report = import_paths(memory_store, [path])
    spans = memory_store.spans(report.summary.document_ids[0])
    assert [(s.text, s.annotator) for s in spans] == [("Biden", "bob"), ("Iraq", "bob")]
    document = memory_store.document(report.summary.document_ids[0])
    assert document.source == "AFP" and document.meta == {"doccano_id": 7}


def test_doccano_entities_and_relations(memory_store, tmp_path):
    text = "Biden blamed Kataib Hezbollah."
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {
                "text": text,
                "annotator": "dana",
                "entities": [
                    {"id": 10, "start_offset": 0, "end_offset": 5, "label": "Actor"},
                    {"id": 11, "start_offset": 13, "end_offset": 29, "label": "Actor"},
                ],
                "relations": [{"id": 1, "from_id": 10, "to_id": 11, "type": "blames"}],
            }
        ],
    )
    report = import_paths(memory_store, [path])
    document_id = report.summary.document_ids[0]
    [relation] = memory_store.relations(document_id)
    spans = {s.uuid: s.text for s in memory_store.spans(document_id)}
    assert (spans[relation.head_uuid], relation.type, spans[relation.tail_uuid]) == (
        "Biden",
        "blames",
        "Kataib Hezbollah",
    )
    assert relation.annotator == "dana"


BAD_LINES = [
    (
        '{"text": "abc", "spans": [{"start": 0, "end": 9, "label": "A"}]}',
        "prodigy",
        "offsets 0-9 fall outside the text of 3 characters",
    ),
    (
        '{"text": "abc", "spans": [{"start": 2, "end": 2, "label": "A"}]}',
        "prodigy",
        "start 2 is not before end 2",
    ),
    (
        '{"text": "abc", "spans": [{"start": 0, "end": 2, "label": "A", "text": "xy"}]}',
        "prodigy",
        "disagrees with the document",
    ),
    (
        '{"text": "abc", "spans": [{"start": "0", "end": 2, "label": "A"}]}',
        "prodigy",
        "start should be an integer",
    ),
    ('{"text": "abc", "spans": [{"start": 0, "end": 2}]}', "prodigy", "missing 'label'"),
    ('{"text": "abc", "answer": "maybe"}', "prodigy", "unknown answer"),
    ('{"text": "abc", "label": [[1, 0, "A"]]}', "doccano", "start 1 is not before end 0"),
    ('{"text": "😀b", "label": [[1, 3, "A"]]}', "doccano", "cut an emoji"),
    ('{"text": "abc", "label": [[0, 1]]}', "doccano", "expected [start, end, label]"),
    (
        '{"text": "abc", "entities": [{"id": 1, "start_offset": 0, "end_offset": 1, "label": "A"}], "relations": [{"from_id": 1, "to_id": 2, "type": "r"}]}',
        "doccano",
        "to_id 2 names no entity",
    ),
    ('{"text": "abc", "spans": [', "jsonl", "malformed JSON"),
    ('{"text": 3}', "jsonl", "'text' should be str"),
    ('{"type": "document", "text": "abc", "hash": "0000"}', "jsonl", "'hash' does not match"),
    ('{"type": "widget"}', "jsonl", "unknown record type"),
    ('{"text": ""}', "jsonl", "text is empty"),
]


@pytest.mark.parametrize("line,fmt,reason", BAD_LINES)
def test_a_bad_line_is_reported_and_nothing_is_written(memory_store, tmp_path, line, fmt, reason):
    import_paths(memory_store, [write_jsonl(tmp_path / "good.jsonl", [{"text": "Already here."}])])
    before = snapshot(memory_store)
    good = json.dumps(
        {"text": "A good first record.", "spans": [{"start": 0, "end": 1, "label": "Zeta"}]}
    )
    path = tmp_path / "bad.jsonl"
    path.write_text(good + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        import_paths(memory_store, [path], ImportOptions(annotator="a", format=fmt))
    assert str(error.value).startswith(f"{path}:3: ")
    assert reason in str(error.value)
    assert snapshot(memory_store) == before


def test_one_bad_file_in_a_folder_stops_the_whole_import(memory_store, tmp_path):
    (tmp_path / "a.txt").write_text("A fine article.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match=r"b.txt:1: not UTF-8"):
        import_paths(memory_store, [tmp_path])
    assert memory_store.document_count() == 0


def test_an_empty_file_is_an_error(memory_store, tmp_path):
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(InputError, match="empty.txt:1: the file is empty"):
        import_paths(memory_store, [tmp_path / "empty.txt"])


def test_a_missing_path_is_an_error(memory_store, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        import_paths(memory_store, [tmp_path / "nowhere.txt"])
