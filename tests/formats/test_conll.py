"""CoNLL IOB2, read back by a reader written here: -DOCSTART- sections, valid IOB2, sentence
breaks, and the spans each --overlap rule keeps."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from db.records import ImportBatch, NewDocument, NewSpan, NewState
from desktop.cli import app
from desktop.formats import ExportOptions, export_project, import_paths
from tests.formats.project import TEXT_A, TEXT_B


def read_conll(path) -> list[list[list[tuple[str, str]]]]:
    """Sections (one per -DOCSTART-), each a list of sentences of (token, tag)."""
    sections: list[list[list[tuple[str, str]]]] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    for line in lines:
        if line == "-DOCSTART- -X- O O":
            sections.append([[]])
        elif not line:
            if sections and sections[-1][-1]:
                sections[-1].append([])
        else:
            token, tag = line.split("\t")
            assert token and not any(c.isspace() for c in token)
            sections[-1][-1].append((token, tag))
    return [[sentence for sentence in section if sentence] for section in sections]


def spans_in(text: str, section) -> list[tuple[str, int, int]]:
    """The (label, start, end) runs of a section, tokens found in ``text`` one after another."""
    spans, position, current = [], 0, None
    previous_tag = "O"
    for sentence in section:
        previous_tag = "O"  # IOB2: a span never continues into another sentence
        for token, tag in sentence:
            start = text.index(token, position)
            assert not text[position:start].strip()  # only whitespace between tokens
            position = start + len(token)
            if tag.startswith("B-"):
                current = [tag[2:], start, position]
                spans.append(current)
            elif tag.startswith("I-"):
                assert previous_tag[2:] == tag[2:], f"{tag} after {previous_tag}"
                current[2] = position
            else:
                assert tag == "O"
            previous_tag = tag
    assert not text[position:].strip()
    return [tuple(span) for span in spans]


def keep(spans, rule, order=("Claim", "Actor", "Event", "Place", "Armed_group")):
    """The documented overlap rules, written again here for spans on token boundaries."""
    keys = {
        "longest": lambda s: (-(s[2] - s[1]), s[1], order.index(s[0])),
        "first": lambda s: (s[1], -(s[2] - s[1]), order.index(s[0])),
        "label-order": lambda s: (order.index(s[0]), -(s[2] - s[1]), s[1]),
    }
    kept = []
    for span in sorted(spans, key=keys[rule]):
        if all(span[2] <= other[1] or other[2] <= span[1] for other in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s[1])


def test_sections_hold_the_longest_spans_where_they_overlap(rich, tmp_path):
    out = tmp_path / "corpus.conll"
    export_project(rich.store, "conll", out)
    assert out.read_text(encoding="utf-8").startswith("-DOCSTART- -X- O O\n\n")
    sections = read_conll(out)
    expected = []
    for document_id in (rich.doc_a, rich.doc_b):
        text = rich.store.document(document_id).text
        accepted = rich.store.spans(document_id, statuses=("accepted",))
        annotators = sorted(
            {s.annotator for s in accepted} | ({"analyst_b"} if text == TEXT_B else set())
        )
        for annotator in annotators:
            mine = [
                (s.label.replace(" ", "_"), s.start, s.end)
                for s in accepted
                if s.annotator == annotator
            ]
            expected.append((text, keep(mine, "longest")))
    assert len(sections) == len(expected)
    for section, (text, want) in zip(sections, expected, strict=True):
        assert spans_in(text, section) == want
    assert ("كتائب", "B-Armed_group") in [
        row for s in sections for sentence in s for row in sentence
    ]


def test_sentences_end_at_line_breaks_and_full_stops_but_never_inside_a_span(rich, tmp_path):
    out = tmp_path / "corpus.conll"
    export_project(rich.store, "conll", out)
    sections = read_conll(out)
    first = sections[0]  # TEXT_A by analyst_a
    assert [sentence[-1][0] for sentence in first] == [".", ".", ".", "."]
    assert first[1][0] == ("The", "O")  # after "\r\n"
    for section in sections:
        for sentence in section:
            assert not sentence[0][1].startswith("I-")


def test_each_overlap_rule_keeps_what_it_says(memory_store, tmp_path):
    text = "Biden said the militia attacked the base."
    spans = {
        ("Claim", 6, 31),  # said the militia attacked
        ("Actor", 0, 10),  # Biden said
        ("Actor", 15, 22),  # militia
        ("Event", 23, 40),  # attacked the base
    }
    memory_store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(text=text, spans=[NewSpan(label, s, e, "ana") for label, s, e in spans])
            ]
        )
    )
    kept = {}
    for rule, order in (
        ("longest", ()),
        ("first", ()),
        ("label-order", ()),
        ("label-order", ("Event", "Claim", "Actor")),
    ):
        out = tmp_path / f"{rule}.conll"
        export_project(memory_store, "conll", out, ExportOptions(overlap=rule, label_order=order))
        [section] = read_conll(out)
        got = spans_in(text, section)
        assert got == keep(list(spans), rule, order or ("Claim", "Actor", "Event"))
        kept[(rule, order)] = got
    assert kept[("longest", ())] == [("Claim", 6, 31)]
    assert kept[("first", ())] == [("Actor", 0, 10), ("Actor", 15, 22), ("Event", 23, 40)]
    assert kept[("label-order", ())] == [("Claim", 6, 31)]
    assert kept[("label-order", ("Event", "Claim", "Actor"))] == [
        ("Actor", 0, 10),
        ("Actor", 15, 22),
        ("Event", 23, 40),
    ]


def test_what_conll_cannot_carry(memory_store, tmp_path):
    """Overlap beyond the kept layer, offsets inside words, and every span's identity: an
    annotator who marked a document done with no spans gives a section of O tags."""
    text = "Kataib Hezbollah's commander was killed."
    memory_store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=text,
                    spans=[NewSpan("Actor", 0, 12, "ana"), NewSpan("Claim", 0, 39, "ana")],
                    states=[NewState("bob", "done")],
                )
            ]
        )
    )
    out = tmp_path / "x.conll"
    report = export_project(memory_store, "conll", out)
    ana, bob = read_conll(out)
    assert spans_in(text, ana) == [("Claim", 0, 39)]
    assert spans_in(text, bob) == [] and all(tag == "O" for s in bob for _, tag in s)
    assert report.adjusted == {"spans left out where spans overlap": 1}
    export_project(
        memory_store, "conll", out, ExportOptions(overlap="label-order", label_order=("Actor",))
    )
    ana, _ = read_conll(out)
    # "Kataib Hezbo" ends inside a word: the whole word is tagged.
    assert spans_in(text, ana)[0] == ("Actor", 0, 16)


def test_the_corpus_exports(memory_store, corpus, tmp_path):
    import_paths(memory_store, [corpus])
    out = tmp_path / "corpus.conll"
    export_project(memory_store, "conll", out)
    sections = read_conll(out)
    assert len(sections) == 4  # two documents, two analysts each
    checked = 0
    for document_id in memory_store.document_ids():
        text = memory_store.document(document_id).text
        words = "".join(text.split())
        mine = [
            section
            for section in sections
            if "".join(token for sentence in section for token, _ in sentence) == words
        ]
        for annotator, section in zip(("analyst_a", "analyst_b"), mine, strict=False):
            spans = [
                (s.label, s.start, s.end)
                for s in memory_store.spans(document_id)
                if s.annotator == annotator
            ]
            assert spans_in(text, section) == keep(spans, "longest")
            checked += 1
    assert checked == 4


def test_an_unknown_overlap_rule_exits_2_and_writes_nothing(tmp_path, corpus):
    db, out = str(tmp_path / "p.db"), tmp_path / "x.conll"
    runner = CliRunner()
    runner.invoke(app, ["--db", db, "import", str(corpus)])
    result = runner.invoke(
        app, ["--db", db, "export", "-f", "conll", "-o", str(out), "--overlap", "widest"]
    )
    assert result.exit_code == 2
    assert "unknown overlap rule 'widest'; choose longest, first, label-order" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("text", [TEXT_A])
def test_tokens_cover_the_text(rich, tmp_path, text):
    out = tmp_path / "corpus.conll"
    export_project(rich.store, "conll", out)
    tokens = "".join(token for sentence in read_conll(out)[0] for token, _ in sentence)
    assert tokens == "".join(text.split())
