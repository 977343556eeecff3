"""spaCy DocBin: read back with spaCy itself; every span in doc.spans["sc"], a non-overlapping
subset in doc.ents by the documented rule; train/dev split; and ``spacy train`` runs on it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from db.records import ExportFilter, ImportBatch, NewDocument, NewSpan
from desktop.formats import ExportOptions, export_project, import_paths
from tests.formats.project import TEXT_A, TEXT_B


def load(path):
    return list(DocBin().from_disk(path).get_docs(Vocab()))


def by_example(docs) -> dict[tuple[str, str], object]:
    return {(doc.text, doc.user_data["dossier_annotator"]): doc for doc in docs}


def longest_first(spans, order=("Claim", "Actor", "Event", "Place", "Armed group")):
    """The documented ents rule, written again here: the longer span wins, then the one
    starting first, then the label earlier in the project's order; no two may overlap."""
    kept = []
    for span in sorted(spans, key=lambda s: (-(s[2] - s[1]), s[1], order.index(s[0]))):
        if all(span[2] <= other[1] or other[2] <= span[1] for other in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s[1])


def test_every_span_is_in_sc_and_ents_hold_no_overlap(rich, tmp_path):
    out = tmp_path / "corpus.spacy"
    report = export_project(rich.store, "spacy", out)
    docs = by_example(load(out))
    assert set(docs) == {
        (TEXT_A, "analyst_a"),
        (TEXT_A, "analyst_b"),
        (TEXT_A, "gold"),
        (TEXT_B, "analyst_a"),
        (TEXT_B, "analyst_b"),
    }
    dropped = 0
    for document_id in (rich.doc_a, rich.doc_b):
        accepted = rich.store.spans(document_id, statuses=("accepted",))
        for annotator in {s.annotator for s in accepted}:
            doc = docs[(rich.store.document(document_id).text, annotator)]
            mine = [s for s in accepted if s.annotator == annotator]
            assert sorted(
                (s.label_, s.start_char, s.end_char, s.kb_id_, s.id_) for s in doc.spans["sc"]
            ) == sorted((s.label, s.start, s.end, s.entity_uuid or "", s.uuid) for s in mine)
            want = longest_first([(s.label, s.start, s.end) for s in mine])
            assert [(e.label_, e.start_char, e.end_char) for e in doc.ents] == want
            dropped += len(mine) - len(want)
            assert (
                doc.user_data["dossier_document"] == rich.store.document(document_id).content_hash
            )
    assert dropped > 0
    assert report.adjusted == {"spans left out of doc.ents where spans overlap": dropped}
    done = docs[(TEXT_B, "analyst_b")]
    assert list(done.spans["sc"]) == [] and list(done.ents) == []  # a true negative


def test_tokens_are_spacys_and_a_span_inside_a_word_takes_the_whole_word(memory_store, tmp_path):
    """What a DocBin cannot carry: offsets off token boundaries (and relations, attributes,
    notes, which have no place in it)."""
    text = "Kataib Hezbollah's commander was killed."
    memory_store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=text,
                    spans=[
                        NewSpan(
                            "Actor", 0, 12, "ana", attributes={"kind": "militia"}
                        ),  # "Kataib Hezbo"
                        NewSpan("Actor", 19, 28, "ana", note="who?"),  # "commander"
                    ],
                )
            ]
        )
    )
    out = tmp_path / "corpus.spacy"
    report = export_project(memory_store, "spacy", out)
    [doc] = load(out)
    assert [t.text for t in doc] == ["Kataib", "Hezbollah", "'s", "commander", "was", "killed", "."]
    assert [(s.text, s.label_) for s in doc.spans["sc"]] == [
        ("Kataib Hezbollah", "Actor"),
        ("commander", "Actor"),
    ]
    assert report.adjusted == {"spans widened to whole tokens": 1}
    assert set(doc.user_data) == {"dossier_document", "dossier_annotator"}


def test_suggestions_never_leave_as_labels(rich, tmp_path):
    out = tmp_path / "corpus.spacy"
    export_project(rich.store, "spacy", out)
    offsets = {(s.start_char, s.end_char) for doc in load(out) for s in doc.spans["sc"]}
    assert (rich.suggestion.start, rich.suggestion.end) not in offsets
    assert (rich.rejected.start, rich.rejected.end) not in offsets
    with pytest.raises(ValueError, match="spacy writes accepted spans only, not suggested"):
        export_project(
            rich.store, "spacy", out, ExportOptions(filter=ExportFilter(statuses=("suggested",)))
        )


def test_split_keeps_each_document_whole_and_follows_the_seed(memory_store, tmp_path):
    texts = [f"Article {n}: the militia fired {n} rockets." for n in range(10)]
    memory_store.import_batch(
        ImportBatch(
            documents=[
                NewDocument(
                    text=text,
                    spans=[NewSpan("Actor", 12, 23, "ana"), NewSpan("Actor", 12, 23, "bob")],
                )
                for text in texts
            ]
        )
    )
    options = ExportOptions(split=0.3, seed=4)
    report = export_project(memory_store, "spacy", tmp_path / "a", options)
    assert report.path == tmp_path / "a"
    train, dev = load(tmp_path / "a" / "train.spacy"), load(tmp_path / "a" / "dev.spacy")
    train_texts, dev_texts = {d.text for d in train}, {d.text for d in dev}
    assert len(dev_texts) == 3 and len(train_texts) == 7
    assert train_texts | dev_texts == set(texts) and not train_texts & dev_texts
    assert len(train) == 14 and len(dev) == 6  # both annotators' Docs go together
    export_project(memory_store, "spacy", tmp_path / "b", ExportOptions(split=0.3, seed=4))
    assert {d.text for d in load(tmp_path / "b" / "dev.spacy")} == dev_texts
    seeds = set()
    for seed in range(6):
        export_project(
            memory_store, "spacy", tmp_path / f"s{seed}", ExportOptions(split=0.3, seed=seed)
        )
        seeds.add(frozenset(d.text for d in load(tmp_path / f"s{seed}" / "dev.spacy")))
    assert len(seeds) > 1


@pytest.mark.parametrize("split", [0.0, 1.0, -0.2, 1.5])
def test_a_split_outside_0_to_1_is_refused(rich, tmp_path, split):
    with pytest.raises(ValueError, match="between 0 and 1"):
        export_project(rich.store, "spacy", tmp_path / "x", ExportOptions(split=split))
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_spacy_trains_on_the_exported_corpus(memory_store, corpus, tmp_path):
    """The seed corpus, exported with a split, trains a blank English ner + spancat pipeline."""
    import_paths(memory_store, [corpus])
    export_project(memory_store, "spacy", tmp_path / "data", ExportOptions(split=0.5, seed=1))
    for part in ("train", "dev"):
        docs = load(tmp_path / "data" / f"{part}.spacy")
        assert docs and all(len(doc.spans["sc"]) for doc in docs)
    config = tmp_path / "config.cfg"
    spacy = [sys.executable, "-m", "spacy"]
    made = subprocess.run(
        [*spacy, "init", "config", str(config), "--lang", "en", "--pipeline", "ner,spancat"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    trained = subprocess.run(
        [
            *spacy,
            "train",
            str(config),
            "--output",
            str(tmp_path / "model"),
            "--paths.train",
            str(tmp_path / "data" / "train.spacy"),
            "--paths.dev",
            str(tmp_path / "data" / "dev.spacy"),
            "--training.max_steps",
            "6",
            "--training.eval_frequency",
            "3",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert trained.returncode == 0, trained.stdout + trained.stderr
    assert (tmp_path / "model" / "model-last" / "meta.json").is_file()
    labels = (tmp_path / "model" / "model-last" / "spancat" / "cfg").read_text(encoding="utf-8")
    assert all(label in labels for label in ("Claim", "Actor", "Event"))
