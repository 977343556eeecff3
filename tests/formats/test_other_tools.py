"""The exports pass each tool's own check (reproduced in tool_checks.py) on text with emoji,
flags, joiner sequences, combining marks, Arabic, CRLF, lone CR, LF and U+2028, with spans
next to and over each of them, and come back exactly; and each check catches the mistake it
exists for, so that it can fail."""

from __future__ import annotations

import json

import pytest

from db.records import ImportBatch, NewDocument, NewSpan
from db.store import Store
from desktop.formats import export_project, import_paths
from desktop.formats.brat import LINE_BREAKS_ONLY, TRIMMED
from desktop.formats.doccano import OVERLAP_DROPPED
from tests.formats.project import read_jsonl, spans_of
from tests.formats.tool_checks import (
    brat_folder_refusals,
    brat_refusals,
    doccano_kept,
    doccano_refusals,
    javascript_slice,
    labelstudio_refusals,
    labelstudio_value_text,
)

PIECES = {
    "emoji": "😀",
    "flag": "🇮🇶",
    "joiner sequence": "👩\u200d👩\u200d👧",
    "skin tone": "👍🏽",
    "combining mark": "e\u0301",
    "Arabic": "كتائب حزب الله",
    "CRLF": "\r\n",
    "lone CR": "\r",
    "LF": "\n",
    "U+2028": "\u2028",
}
LINE_BREAKS = {"CRLF", "lone CR", "LF", "U+2028"}


def tricky_document() -> tuple[str, list[NewSpan]]:
    """One article with every piece between two words, and for each piece a span over it
    alone, one that ends just before it, one that starts just after it, and one over the
    words on both sides of it."""
    text = "Dossier reads."
    spans = []
    for number, (name, piece) in enumerate(PIECES.items()):
        before = f" w{number} "
        after = f" x{number}."
        word_start = len(text) + 1
        piece_start = len(text) + len(before)
        piece_end = piece_start + len(piece)
        text += before + piece + after
        word_end = len(text) - 1
        label = ("Claim", "Actor", "Event")[number % 3]
        spans += [
            NewSpan(label, piece_start, piece_end, "ana", note=f"{name} alone"),
            NewSpan(label, word_start, piece_start, "ana", note=f"up to {name}"),
            NewSpan(label, piece_end, word_end, "ana", note=f"from {name}"),
            NewSpan(label, word_start, word_end, "ana", note=f"over {name}"),
        ]
    return text, spans


@pytest.fixture
def tricky(memory_store):
    text, spans = tricky_document()
    memory_store.import_batch(
        ImportBatch(documents=[NewDocument(text=text, title="Tricky", spans=spans)])
    )
    return memory_store


def round_trip(store: Store, format_name: str, out) -> tuple[set, set]:
    report = export_project(store, format_name, out)
    with Store.open(":memory:") as fresh:
        import_paths(fresh, [out])
        return report, spans_of(fresh)


# --- brat ------------------------------------------------------------------------------------


def is_line_break(character: str) -> bool:
    return len(f"a{character}b".splitlines()) == 2


def test_brat_takes_every_span_and_gives_it_back(tricky, tmp_path):
    report, after = round_trip(tricky, "brat", tmp_path / "brat")
    assert brat_folder_refusals(tmp_path / "brat") == []
    before = spans_of(tricky)
    # A span of a line break alone has no place in brat: it is counted and left out. Every
    # other span comes back exactly, those over a line break as one span again.
    only_breaks = {s for s in before if all(is_line_break(c) for c in s[4])}
    assert len(only_breaks) == len(LINE_BREAKS)
    assert report.adjusted == {LINE_BREAKS_ONLY: len(LINE_BREAKS)}
    assert after == before - only_breaks
    assert sum(1 for s in after if any(is_line_break(c) for c in s[4])) == len(LINE_BREAKS)


def test_line_breaks_at_a_spans_ends_are_left_out_and_counted(memory_store, tmp_path):
    text = "Biden spoke.\r\nThen left."
    memory_store.import_batch(
        ImportBatch(documents=[NewDocument(text=text, spans=[NewSpan("Claim", 6, 14, "ana")])])
    )
    report, after = round_trip(memory_store, "brat", tmp_path / "brat")
    assert brat_folder_refusals(tmp_path / "brat") == []
    assert report.adjusted == {TRIMMED: 1}
    assert after == {(text, "Claim", 6, 12, "spoke.", "ana")}


def test_a_span_over_lines_is_written_as_fragments_as_brats_editor_does(memory_store, tmp_path):
    text = "Iraqi officials.\r\nقال المتحدث"
    start, end = text.index("officials"), text.index(" المتحدث")
    memory_store.import_batch(
        ImportBatch(documents=[NewDocument(text=text, spans=[NewSpan("Claim", start, end, "ana")])])
    )
    export_project(memory_store, "brat", tmp_path / "brat")
    [ann] = (tmp_path / "brat").rglob("*.ann")
    assert ann.read_text(encoding="utf-8") == f"T1\tClaim {start} 16;18 {end}\tofficials. قال\n"


def test_the_brat_check_refuses_what_dossier_wrote_before(memory_store):
    """Dossier used to write a span over a line break as one fragment with a space: brat
    refuses that line, as it refuses overlapping fragments and text that is not the span's."""
    text = "officials.\r\nقال"
    assert brat_refusals(text, "T1\tClaim 0 15\tofficials.  قال\n")
    assert brat_refusals(text, "T1\tClaim 0 10;5 15\tofficials. ls.\r\nقال\n")
    assert brat_refusals(text, "T1\tClaim 0 10\tofficial\n")
    assert brat_refusals(text, "T1\tClaim 0 10;12 15\tofficials. قال\n") == []


# --- Label Studio ----------------------------------------------------------------------------


def test_label_studio_draws_every_span_on_its_own_characters(tricky, tmp_path):
    out = tmp_path / "tasks.json"
    report, after = round_trip(tricky, "labelstudio", out)
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert labelstudio_refusals(tasks) == []
    assert after == spans_of(tricky)
    assert report.adjusted == {}
    values = [r["value"] for r in tasks[0]["annotations"][0]["result"] if r["type"] == "labels"]
    # The span of the CRLF alone, and of the lone CR, as Label Studio writes them.
    assert {"\\n\\n", "\\n", "\u2028"} <= {v["text"] for v in values}


def test_the_label_studio_check_refuses_utf16_offsets_and_unknown_users():
    text = "😀 Biden spoke."
    utf16 = {"start": 3, "end": 8, "text": "Biden", "labels": ["Actor"]}
    task = {
        "data": {"text": text},
        "annotations": [{"result": [{"type": "labels", "value": utf16}]}],
    }
    assert labelstudio_refusals([task])  # drawn on "Biden"'s neighbours
    utf16.update(start=2, end=7)
    assert labelstudio_refusals([task]) == []
    task["annotations"][0]["completed_by"] = 2
    assert labelstudio_refusals([task]) and labelstudio_refusals([task], users=(2,)) == []
    assert labelstudio_value_text("a\r\nb") == "a\\n\\nb"


# --- doccano ---------------------------------------------------------------------------------


def test_doccano_reads_the_same_keys_on_every_record_and_the_same_characters(tricky, tmp_path):
    tricky.set_document_status(tricky.document_ids()[0], tricky.ensure_annotator("bea").id, "done")
    tricky.import_batch(ImportBatch(documents=[NewDocument(text="Unread.", meta={"n": 3})]))
    out = tmp_path / "doccano.jsonl"
    report, after = round_trip(tricky, "doccano", out)
    assert doccano_refusals(out) == []
    assert after == spans_of(tricky)
    records = read_jsonl(out)
    assert len(records) == 3  # ana's, bea's empty answer, and the unread article
    [ana] = [r for r in records if r["annotator"] == "ana"]
    text = ana["text"]
    covered = {(s[2], s[3]): s[4] for s in spans_of(tricky)}
    for (start, end), (python_start, python_end) in zip(
        [(s, e) for s, e, _ in ana["label"]], sorted(covered), strict=True
    ):
        assert javascript_slice(text, start, end) == covered[(python_start, python_end)]
    dropped = len(ana["label"]) - len(doccano_kept([tuple(s) for s in ana["label"]]))
    assert dropped > 0 and report.adjusted == {OVERLAP_DROPPED: dropped}


def test_the_doccano_check_refuses_what_dossier_wrote_before(tmp_path):
    path = tmp_path / "old.jsonl"
    path.write_text(
        '{"text": "a", "label": [], "annotator": "ana"}\n{"text": "b", "label": []}\n'
        '{"text": "c", "label": [], "n": 1}\n{"text": "d", "label": [], "n": null}\n',
        encoding="utf-8",
    )
    refused = doccano_refusals(path)
    assert any("different keys" in r for r in refused)
    assert any("mixes numbers and nulls" in r for r in refused)
