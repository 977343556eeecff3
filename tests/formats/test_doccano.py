"""doccano: both forms exactly as formats.md has them, offsets in UTF-16 units; round trips."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.records import ExportFilter
from db.store import Store
from desktop.formats import ExportOptions, export_project, import_paths
from tests.formats.project import (
    TEXT_A,
    TEXT_B,
    TEXT_C,
    details_of,
    read_jsonl,
    relations_of,
    round_trip_spans,
    spans_of,
    tricky_spans,
    tricky_text,
    utf16,
)


def export(store, tmp_path, name="export.jsonl", **filter_fields):
    out = tmp_path / name
    export_project(store, "doccano", out, ExportOptions(filter=ExportFilter(**filter_fields)))
    return out, read_jsonl(out)


def test_with_relations_the_whole_file_takes_the_entity_form(rich, tmp_path):
    _, records = export(rich.store, tmp_path)
    assert all("entities" in r and "relations" in r and "label" not in r for r in records)
    record = next(r for r in records if r["text"] == TEXT_A and r["annotator"] == "analyst_a")
    spans = {s.uuid: s for s in rich.store.spans(rich.doc_a, statuses=("accepted",))}
    mine = sorted(
        (s for s in spans.values() if s.annotator == "analyst_a"), key=lambda s: (s.start, s.end)
    )
    assert [(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]] == [
        (utf16(TEXT_A, s.start), utf16(TEXT_A, s.end), s.label) for s in mine
    ]
    for entity in record["entities"]:
        assert set(entity) == {"id", "start_offset", "end_offset", "label"}
        assert entity["start_offset"] < entity["end_offset"]
    ids = [e["id"] for r in records for e in r["entities"]]
    assert len(ids) == len(set(ids))  # doccano's ids are unique in a file
    by_id = {e["id"]: e for e in record["entities"]}
    written = set()
    for relation in record["relations"]:
        assert set(relation) == {"id", "from_id", "to_id", "type"}
        head, tail = by_id[relation["from_id"]], by_id[relation["to_id"]]
        written.add((relation["type"], head["label"], tail["label"]))
    assert written == {
        ("attributed_to", "Claim", "Actor"),
        ("agent", "Event", "Actor"),
        ("location", "Event", "Place"),
    }


def test_without_relations_the_file_takes_the_label_list_form(rich, tmp_path):
    """An emoji with a skin tone before every span: offsets move by its four UTF-16 units."""
    _, records = export(rich.store, tmp_path, annotators=("analyst_b",))
    assert all("label" in r and "entities" not in r for r in records)
    record = next(r for r in records if r["text"] == TEXT_A)
    claim_start = TEXT_A.index("the US strike")
    assert [claim_start + 2, claim_start + 60, "Claim"] in record["label"]
    assert record["label"] == [
        [utf16(TEXT_A, s.start), utf16(TEXT_A, s.end), s.label]
        for s in rich.store.spans(rich.doc_a, statuses=("accepted",))
        if s.annotator == "analyst_b"
    ]
    assert record["annotator"] == "analyst_b"
    assert record["title"] == "Strike on Baghdad" and record["source"] == "Reuters"


def test_every_document_is_a_record_and_unlabelled_ones_are_ready_to_annotate(rich, tmp_path):
    _, records = export(rich.store, tmp_path, annotators=("analyst_b",))
    assert sorted((r["text"], r.get("annotator")) for r in records) == sorted(
        [(TEXT_A, "analyst_b"), (TEXT_B, "analyst_b"), (TEXT_C, None)]
    )
    untouched = next(r for r in records if r["text"] == TEXT_C)
    assert untouched["label"] == [] and untouched["title"] == "=Untouched"


def test_round_trip_in_both_forms(rich, tmp_path):
    for form, flt in (("entities", {}), ("label", {"annotators": ("analyst_b", "gold")})):
        out, _ = export(rich.store, tmp_path, name=f"{form}.jsonl", **flt)
        with Store.open(":memory:") as fresh:
            import_paths(fresh, [out])
            want = {key for key in spans_of(rich.store) if not flt or key[5] in flt["annotators"]}
            assert spans_of(fresh) == want
            if form == "entities":
                assert relations_of(fresh) == relations_of(rich.store)


def test_what_doccano_cannot_carry_is_dropped_and_only_that(rich, fresh, tmp_path):
    out, _ = export(rich.store, tmp_path)
    import_paths(fresh, [out])
    assert set(details_of(fresh)) == set(details_of(rich.store))
    assert all(value == ({}, "", None) for value in details_of(fresh).values())
    assert spans_of(fresh, statuses=("suggested", "rejected")) == set()


def test_the_second_analysts_file_comes_back_as_it_was(memory_store, corpus, tmp_path):
    source = corpus / "annotations" / "analyst_b.doccano.jsonl"
    import_paths(memory_store, [corpus])
    _, records = export(memory_store, tmp_path, annotators=("analyst_b",))
    original = {r["text"]: r["label"] for r in read_jsonl(source)}
    exported = {r["text"]: r["label"] for r in records if r.get("annotator") == "analyst_b"}
    assert set(exported) == set(original)
    for text, labels in original.items():
        assert exported[text] == sorted(
            ([start, end, label.title()] for start, end, label in labels),
            key=lambda item: (item[0], item[1]),
        )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=tricky_text(), data=st.data())
def test_any_text_and_spans_round_trip(tmp_path, text, data):
    before, after = round_trip_spans(
        text, tricky_spans(data, text), "doccano", tmp_path / "roundtrip.jsonl"
    )
    assert after == before


def test_the_form_follows_the_exported_relations_on_every_database(store, tmp_path):
    """The project's relations are counted in the database (SQLite and PostgreSQL): a filter
    that keeps no related pair gives the list form."""
    from tests.formats.project import build_rich

    build_rich(store)
    _, records = export(store, tmp_path, name="all.jsonl")
    assert all("entities" in r for r in records)
    _, records = export(store, tmp_path, name="claims.jsonl", labels=("Claim", "Event"))
    assert all("label" in r for r in records)  # claims and events are related to actors only
    _, records = export(store, tmp_path, name="events.jsonl", labels=("Event", "Place"))
    assert all("entities" in r for r in records)


def test_export_import_export_gives_the_same_records(rich, fresh, tmp_path):
    first, records = export(rich.store, tmp_path, name="one.jsonl")
    import_paths(fresh, [first])
    second, again = export(fresh, tmp_path, name="two.jsonl")
    assert again == records
