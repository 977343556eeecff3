"""Installed spaCy pipelines as suggesters: clear messages when missing, label mapping.

The pipelines are tiny ones built here with an entity ruler and saved to a folder.
"""

from __future__ import annotations

import pytest
import spacy

from db.records import ImportBatch, NewDocument
from desktop.nlp.pipelines import (
    DEFAULT_LABEL_MAP,
    PipelineError,
    forget_pipelines,
    load_pipeline,
    parse_label_map,
    pipeline_suggester,
)
from desktop.nlp.suggest import suggest

TEXT = (
    "Joe Biden met Iraqi officials in Baghdad on Monday after the Tower 22 attack; Hamas objected."
)


@pytest.fixture(autouse=True)
def fresh_cache():
    forget_pipelines()
    yield
    forget_pipelines()


@pytest.fixture
def ruler_pipeline(tmp_path):
    """A saved English pipeline whose entity ruler knows five entities."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": "Joe Biden"},
            {"label": "NORP", "pattern": "Iraqi"},
            {"label": "GPE", "pattern": "Baghdad"},
            {"label": "DATE", "pattern": "Monday"},
            {
                "label": "EVENT",
                "pattern": [{"LOWER": "tower"}, {"LOWER": "22"}, {"LOWER": "attack"}],
            },
            {"label": "ORG", "pattern": "Hamas"},
        ]
    )
    folder = tmp_path / "ruler_pipeline"
    nlp.to_disk(folder)
    return folder


# Where the ruler's patterns are in TEXT, counted by hand (93 characters): Joe Biden 0-9,
# Iraqi 14-19, Baghdad 33-40, Monday 44-50, Tower 22 attack 61-76, Hamas 78-83.
OFFSETS = {
    "Joe Biden": (0, 9),
    "Iraqi": (14, 19),
    "Baghdad": (33, 40),
    "Monday": (44, 50),
    "Tower 22 attack": (61, 76),
    "Hamas": (78, 83),
}
# With the default mapping: PERSON, NORP, GPE, ORG -> Actor, EVENT -> Event, DATE dropped.
DEFAULT_SUGGESTIONS = {
    ("Actor", 0, 9),
    ("Actor", 14, 19),
    ("Actor", 33, 40),
    ("Actor", 78, 83),
    ("Event", 61, 76),
}


def where(words: str) -> tuple[int, int]:
    start, end = OFFSETS[words]
    assert TEXT[start:end] == words
    return start, end


def suggested(suggester) -> set[tuple[str, int, int]]:
    return {s.key for s in suggester.analyse_text(TEXT).suggestions}


def test_a_missing_pipeline_name_says_how_to_install_it():
    with pytest.raises(PipelineError) as caught:
        load_pipeline("en_core_web_sm")
    message = str(caught.value)
    assert "\n" not in message
    assert "'en_core_web_sm' is not installed" in message
    assert "python -m spacy download en_core_web_sm" in message
    assert "path" in message


def test_a_missing_folder_and_a_folder_that_is_no_pipeline_are_named(tmp_path):
    with pytest.raises(PipelineError, match="the folder does not exist"):
        load_pipeline(tmp_path / "nowhere")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(PipelineError, match="not a spaCy pipeline folder"):
        load_pipeline(str(tmp_path / "notes"))


def test_a_broken_pipeline_folder_is_a_message_not_a_crash(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.cfg").write_text('[nlp]\nlang = "xx-nonsense"\n', encoding="utf-8")
    with pytest.raises(PipelineError, match="could not be loaded"):
        load_pipeline(folder)


def test_the_default_mapping_turns_entities_into_actors_and_events(ruler_pipeline):
    suggester = pipeline_suggester(ruler_pipeline)
    assert suggester.origin == "model" and not suggester.has_scores
    assert suggested(suggester) == DEFAULT_SUGGESTIONS  # DATE has no mapping: dropped
    assert {("Actor", *where("Joe Biden")), ("Event", *where("Tower 22 attack"))} <= (
        DEFAULT_SUGGESTIONS
    )


def test_the_mapping_can_be_changed_per_label(ruler_pipeline):
    labels = parse_label_map(["GPE=Location", "ORG=", "DATE=Event"])
    suggester = pipeline_suggester(str(ruler_pipeline), labels=labels)
    assert suggested(suggester) == {
        ("Actor", *where("Joe Biden")),
        ("Actor", *where("Iraqi")),
        ("Location", *where("Baghdad")),
        ("Event", *where("Monday")),
        ("Event", *where("Tower 22 attack")),
    }


def test_a_pipeline_suggests_into_the_store(memory_store, ruler_pipeline):
    ids = memory_store.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids
    summary = suggest(memory_store, ids, "ana", source=str(ruler_pipeline))
    assert summary.added == 5 and summary.origin == "model" and summary.uncertainty == {}
    spans = memory_store.spans(ids[0])
    assert sorted((s.label, s.start, s.end, s.text, s.status, s.origin) for s in spans) == [
        ("Actor", 0, 9, "Joe Biden", "suggested", "model"),
        ("Actor", 14, 19, "Iraqi", "suggested", "model"),
        ("Actor", 33, 40, "Baghdad", "suggested", "model"),
        ("Actor", 78, 83, "Hamas", "suggested", "model"),
        ("Event", 61, 76, "Tower 22 attack", "suggested", "model"),
    ]


def test_a_pipeline_that_recognises_nothing_is_refused(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(tmp_path / "sentences")
    with pytest.raises(PipelineError, match="no entity recognizer or span categorizer"):
        pipeline_suggester(tmp_path / "sentences")


@pytest.mark.parametrize("item", ["GPE", "=Actor", ""])
def test_bad_label_mappings_are_refused(item):
    with pytest.raises(ValueError, match="bad label mapping"):
        parse_label_map([item])


def test_the_default_mapping_is_the_documented_one():
    assert DEFAULT_LABEL_MAP == {
        "PERSON": "Actor",
        "ORG": "Actor",
        "NORP": "Actor",
        "GPE": "Actor",
        "EVENT": "Event",
    }


def test_a_long_text_is_read_in_pieces(ruler_pipeline):
    suggester = pipeline_suggester(ruler_pipeline)
    long_text = (TEXT + "\n") * 600  # about 57,000 characters: three pieces
    found = suggester.analyse_text(long_text).suggestions
    step = 94  # TEXT and its line break
    expected = {
        (label, start + step * n, end + step * n)
        for n in range(600)
        for label, start, end in DEFAULT_SUGGESTIONS
    }
    assert len(expected) == 3000
    assert {s.key for s in found} == expected
    # the last copy: TEXT starts at 599 * 94 = 56,306
    assert ("Actor", 56306 + 78, 56306 + 83) in {s.key for s in found}
