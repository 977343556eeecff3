"""Agreement figures checked exactly: the whole ``dossier agreement --json`` report of a small
project worked out by hand (emoji, CRLF and a combining mark in the text), which spans,
relations, labels and documents are compared, the progress reported, the document's own
tokenizer, and the small functions' edge cases.

Kappa: p_o observed agreement, p_e chance agreement, kappa = (p_o - p_e) / (1 - p_e). Nominal
alpha for two coders on every unit: n values in all, D_o = 2 per unit where they differ,
D_e = n^2 - sum of squared category totals, alpha = 1 - (n - 1) * D_o / D_e."""

from __future__ import annotations

import pytest

from db.records import ImportBatch, NewDocument
from desktop.review.agreement import (
    UNSET,
    SpanScores,
    attribute_agreement,
    attribute_names,
    attribute_value,
    cohen_kappa,
    krippendorff_alpha,
    measure_agreement,
    overall_value,
    overlap_scores,
)

# Code points: Hamas 0-5, 🚀 6-7, fired 8-13, rockets 14-21, "." 21-22, CRLF 22-24,
# Israél 24-31 (e + U+0301 is two code points), struck 32-38, Gaza 39-43, "." 43-44.
# In UTF-16 the rocket takes two units, so every offset after it would be one more there.
TEXT = "Hamas \U0001f680 fired rockets.\r\nIsrae\u0301l struck Gaza."


def new_document(store, text: str, language: str | None = None) -> int:
    """A document with no spans yet."""
    batch = ImportBatch(documents=[NewDocument(text=text, title="t", language=language)])
    return store.import_batch(batch).document_ids[0]


def tag(store, document_id, annotator, label, start, end, status="accepted", **attributes):
    return store.add_span(
        document_id,
        store.label_by_name(label).id,
        store.ensure_annotator(annotator).id,
        start,
        end,
        status=status,
        attributes=attributes,
    )


def link(store, head, tail, kind: str, annotator: str) -> None:
    store.add_relation(head.uuid, tail.uuid, kind, store.ensure_annotator(annotator).id)


def scores(reference, other, matched_reference, matched_other, precision, recall, f1):
    """SpanScores.to_json as worked out by hand (approx for the fractions)."""
    return {
        "precision": precision if precision is None else pytest.approx(precision),
        "recall": recall if recall is None else pytest.approx(recall),
        "f1": f1 if f1 is None else pytest.approx(f1),
        "reference": reference,
        "other": other,
        "matched_reference": matched_reference,
        "matched_other": matched_other,
    }


def test_the_whole_json_report_by_hand(memory_store):
    store = memory_store
    assert TEXT[6:21] == "\U0001f680 fired rockets" and TEXT[24:31] == "Israe\u0301l"
    assert TEXT[32:38] == "struck" and len(TEXT) == 44
    doc = new_document(store, TEXT)
    a_hamas = tag(store, doc, "a", "Actor", 0, 5, type="armed group")
    a_fired = tag(store, doc, "a", "Event", 6, 21)  # 🚀 fired rockets
    tag(store, doc, "a", "Actor", 24, 31)  # Israél
    b_hamas = tag(store, doc, "b", "Actor", 0, 5, type="organisation")
    b_fired = tag(store, doc, "b", "Event", 8, 21)  # fired rockets
    tag(store, doc, "b", "Event", 32, 38)  # struck
    link(store, a_fired, a_hamas, "agent", "a")
    link(store, b_fired, b_hamas, "agent", "b")

    report = measure_agreement(store, ["a", "b"])

    # tokens:  Hamas  🚀     fired  rockets  .  Israél  struck  Gaza  .   (9; CRLF is none)
    #   a      Actor  Event  Event  Event    O  Actor   O       O     O
    #   b      Actor  O      Event  Event    O  O       Event   O     O
    # ("." 21-22 starts where a's event ends: not covered.)
    # Overall: same on 6 of 9, p_o = 54/81. a: Actor 2, Event 3, O 4; b: Actor 1, Event 3,
    #   O 5. p_e = (2*1 + 3*3 + 4*5) / 81 = 31/81. kappa = (54 - 31) / (81 - 31) = 23/50.
    # Actor: a 1 0 0 0 0 1 0 0 0, b 1 0 0 0 0 0 0 0 0. p_o = 8/9 = 72/81; a: 1 x2, 0 x7;
    #   b: 1 x1, 0 x8. p_e = (2 + 56) / 81 = 58/81. kappa = (72 - 58) / (81 - 58) = 14/23.
    # Event: a 0 1 1 1 0 0 0 0 0, b 0 0 1 1 0 0 1 0 0. p_o = 7/9 = 63/81; 1 x3, 0 x6 on
    #   both sides: p_e = (9 + 36) / 81 = 45/81. kappa = (63 - 45) / (81 - 45) = 1/2.
    # Alpha, n = 18. Overall: 3 units differ, D_o = 6; totals Actor 3, Event 6, O 9:
    #   D_e = 324 - (9 + 36 + 81) = 198; alpha = 1 - 17 * 6 / 198 = 16/33.
    # Actor: 1 unit differs, D_o = 2; totals 1: 3, 0: 15; D_e = 324 - 9 - 225 = 90;
    #   alpha = 1 - 17 * 2 / 90 = 28/45.
    # Event: 2 units differ, D_o = 4; totals 1: 6, 0: 12; D_e = 324 - 36 - 144 = 144;
    #   alpha = 1 - 17 * 4 / 144 = 19/36.
    # Spans (a the reference). Actor: a 2, b 1, Hamas alike (exact and overlap):
    #   P 1/1, R 1/2, F1 = 2 * 1 * 1/2 / (3/2) = 2/3.
    # Event exact: a 1, b 2, none alike: P 0/2, R 0/1, F1 0.
    # Event overlap: a's 6-21 and b's 8-21 touch; b's struck touches nothing of a's:
    #   matched 1 of a's, 1 of b's. P 1/2, R 1/1, F1 = 2 * 1/2 / (3/2) = 2/3.
    # Overall exact: 3 and 3, 1 alike: P = R = F1 = 1/3. Overlap: 2 and 2: 2/3 each.
    actor_spans = scores(2, 1, 1, 1, 1.0, 1 / 2, 2 / 3)
    event_exact = scores(1, 2, 0, 0, 0.0, 0.0, 0.0)
    event_overlap = scores(1, 2, 1, 1, 1 / 2, 1.0, 2 / 3)
    overall_exact = scores(3, 3, 1, 1, 1 / 3, 1 / 3, 1 / 3)
    overall_overlap = scores(3, 3, 2, 2, 2 / 3, 2 / 3, 2 / 3)
    # The one matched pair (Hamas): type "armed group" against "organisation": 1 unit, not
    # agreed; n = 2, D_o = (4 - 2) / 1 = 2, D_e = 4 - 2 = 2, alpha = 1 - 1 * 2 / 2 = 0.
    # Relations: each has one agent, from its own event; the events are not matched, so
    # none is shared: P 0/1, R 0/1, F1 0.
    agent = scores(1, 1, 0, 0, 0.0, 0.0, 0.0)
    assert report.to_json() == {
        "annotators": ["a", "b"],
        "reference": "a",
        "documents": [doc],
        "tokens": 9,
        "labels": ["Actor", "Event"],
        "per_label": {
            "Actor": {
                "exact": actor_spans,
                "overlap": actor_spans,
                "kappa": pytest.approx(14 / 23),
                "alpha": pytest.approx(28 / 45),
            },
            "Event": {
                "exact": event_exact,
                "overlap": event_overlap,
                "kappa": pytest.approx(1 / 2),
                "alpha": pytest.approx(19 / 36),
            },
        },
        "overall": {
            "exact": overall_exact,
            "overlap": overall_overlap,
            "kappa": pytest.approx(23 / 50),
            "alpha": pytest.approx(16 / 33),
        },
        "pairs": [
            {
                "reference": "a",
                "other": "b",
                "documents": [doc],
                "tokens": 9,
                "per_label": {
                    "Actor": {
                        "exact": actor_spans,
                        "overlap": actor_spans,
                        "kappa": pytest.approx(14 / 23),
                    },
                    "Event": {
                        "exact": event_exact,
                        "overlap": event_overlap,
                        "kappa": pytest.approx(1 / 2),
                    },
                },
                "overall": {
                    "exact": overall_exact,
                    "overlap": overall_overlap,
                    "kappa": pytest.approx(23 / 50),
                },
                "matched_spans": 1,
                "attributes": {
                    "Actor.type": {
                        "label": "Actor",
                        "attribute": "type",
                        "units": 1,
                        "agreed": 0,
                        "alpha": pytest.approx(0.0),
                    }
                },
                "relations": {"per_type": {"agent": agent}, "overall": agent},
            }
        ],
    }


def test_kappa_undefined_for_every_pair_is_none_not_an_error(memory_store):
    store = memory_store
    doc = new_document(store, "Hamas.")
    for name in ("a", "b"):
        tag(store, doc, name, "Actor", 0, 6)  # both tokens, Hamas and ".", on both sides
    report = measure_agreement(store, ["a", "b"])
    # one category throughout: p_e = 1, kappa undefined; alpha likewise (D_e = 0)
    assert report.tokens == 2
    assert (report.overall.kappa, report.overall.alpha) == (None, None)
    assert (report.per_label["Actor"].kappa, report.per_label["Actor"].alpha) == (None, None)
    assert report.overall.exact == SpanScores(1, 1, 1, 1)


def test_only_accepted_spans_and_relations_between_them_count(memory_store):
    store = memory_store
    doc = new_document(store, "Hamas fired rockets.")
    a_hamas = tag(store, doc, "a", "Actor", 0, 5)
    a_fired = tag(store, doc, "a", "Event", 6, 11, status="suggested")
    link(store, a_fired, a_hamas, "agent", "a")  # its head is not accepted
    tag(store, doc, "b", "Actor", 0, 5)
    tag(store, doc, "b", "Event", 6, 11)
    pair = measure_agreement(store, ["a", "b"]).pairs[0]
    # a has one accepted span, b two, Hamas alike
    assert pair.overall.exact == SpanScores(1, 2, 1, 1)
    assert pair.per_label["Event"].exact == SpanScores(0, 1, 0, 0)
    assert pair.relations == {}
    assert pair.relations_overall == SpanScores(0, 0, 0, 0)


def test_a_relation_is_the_annotator_s_by_who_made_it(memory_store):
    store = memory_store
    doc = new_document(store, "Hamas fired rockets.")
    a_hamas = tag(store, doc, "a", "Actor", 0, 5)
    a_fired = tag(store, doc, "a", "Event", 6, 11)
    tag(store, doc, "b", "Actor", 0, 5)
    tag(store, doc, "b", "Event", 6, 11)
    link(store, a_fired, a_hamas, "agent", "a")
    link(store, a_fired, a_hamas, "target", "b")  # b's relation, between a's spans
    pair = measure_agreement(store, ["a", "b"]).pairs[0]
    # a's agent is a's; the target is neither a's (not made by a) nor b's (not b's spans)
    assert pair.relations == {"agent": SpanScores(1, 0, 0, 0)}
    assert pair.relations_overall == SpanScores(1, 0, 0, 0)


def test_labels_are_those_of_the_compared_annotators_on_the_compared_documents(memory_store):
    store = memory_store
    both = new_document(store, "Hamas fired rockets.")
    tag(store, both, "a", "Actor", 0, 5)
    tag(store, both, "b", "Actor", 0, 5)
    tag(store, both, "c", "Event", 6, 11)  # c is not compared
    only_a = new_document(store, "Biden said so.")
    tag(store, only_a, "a", "Claim", 0, 10)  # a document b never saw
    report = measure_agreement(store, ["a", "b"])
    assert report.labels == ("Actor",)
    assert list(report.per_label) == ["Actor"]
    assert report.document_ids == (both,)
    assert report.overall.exact == SpanScores(1, 1, 1, 1)


def two_documents_both_tagged(store) -> tuple[int, int]:
    """Two documents in which a and b tagged the same actor."""
    first = new_document(store, "Hamas fired rockets.")
    second = new_document(store, "Israel struck.")
    for name in ("a", "b"):
        tag(store, first, name, "Actor", 0, 5)
        tag(store, second, name, "Actor", 0, 6)
    return first, second


def test_only_the_chosen_documents_are_measured(memory_store):
    store = memory_store
    _first, second = two_documents_both_tagged(store)
    report = measure_agreement(store, ["a", "b"], [second])
    assert report.document_ids == (second,)
    assert report.tokens == 3  # Israel struck .
    assert report.pairs[0].document_ids == (second,)
    assert report.overall.exact == SpanScores(1, 1, 1, 1)


def test_progress_counts_the_documents_from_one(memory_store):
    store = memory_store
    two_documents_both_tagged(store)
    calls = []
    measure_agreement(store, ["a", "b"], progress=lambda *args: calls.append(args))
    assert calls == [("measuring", 1, 2), ("measuring", 2, 2)]


def test_a_document_is_tokenized_in_its_own_language(memory_store):
    store = memory_store
    text = "l'armée a frappé."
    doc = new_document(store, text, language="fr")
    tag(store, doc, "a", "Actor", 2, 7)  # armée
    tag(store, doc, "b", "Actor", 0, 7)  # l'armée
    report = measure_agreement(store, ["a", "b"])
    # French: l' 0-2, armée 2-7, a, frappé, "." (5 tokens; English keeps "l'armée" whole)
    #   a  O      Actor  O  O  O
    #   b  Actor  Actor  O  O  O
    # p_o = 4/5 = 20/25; a: Actor 1, O 4; b: Actor 2, O 3. p_e = (2 + 12) / 25 = 14/25.
    # kappa = (20 - 14) / (25 - 14) = 6/11.
    assert report.tokens == 5
    assert report.overall.kappa == pytest.approx(6 / 11)


# --- the small functions --------------------------------------------------------------------


def test_kappa_of_unequal_lengths_says_so():
    with pytest.raises(ValueError) as raised:
        cohen_kappa(["O", "Actor"], ["O"])
    assert str(raised.value) == "kappa needs values for the same units: 2 != 1"


def test_alpha_skips_an_unpairable_unit_and_goes_on():
    # the first unit has one value only; the other two agree: D_o = 0, alpha = 1.
    # (n = 4, totals a 2, b 2: D_e = 16 - 8 = 8.)
    assert krippendorff_alpha([("a", None), ("a", "a"), ("b", "b")]) == 1.0


def test_overlap_goes_on_past_a_span_whose_label_the_other_lacks():
    reference = [(1, "Event", 0, 5), (1, "Actor", 10, 15)]
    other = [(1, "Actor", 12, 20)]
    # the Event has no Event to touch; the Actor touches b's Actor (12-15)
    assert overlap_scores(reference, other) == SpanScores(2, 1, 1, 1)


def test_list_and_dict_values_compare_by_what_they_hold():
    assert attribute_value({"tags": ["a", "b"]}, "tags") == "['a', 'b']"
    assert attribute_value({"where": {"city": "Gaza"}}, "where") == "{'city': 'Gaza'}"
    values = [(attribute_value({"tags": ["a"]}, "tags"), attribute_value({"tags": ["b"]}, "tags"))]
    assert attribute_agreement("Claim", "tags", values).agreed == 0


def test_attribute_names_declared_first_then_the_rest_sorted():
    schemas = {"Event": ["type", "date"]}
    assert attribute_names("Event", schemas, ["extra", "date", "aside"]) == [
        "type",
        "date",
        "aside",
        "extra",
    ]
    # a label the schemas do not mention: what was found, sorted
    assert attribute_names("Place", schemas, ["zone", "city"]) == ["city", "zone"]


def test_overall_value_joins_labels_in_palette_order():
    palette = {"Claim": 0, "Actor": 1, "Event": 2}
    assert overall_value(frozenset(), palette) == "O"
    assert overall_value(frozenset({"Actor", "Claim"}), palette) == "Claim+Actor"
    assert overall_value(frozenset({"Event", "Actor", "Claim"}), palette) == "Claim+Actor+Event"
    # labels outside the palette come after it, by name
    assert overall_value(frozenset({"Zone", "Beta", "Actor"}), palette) == "Actor+Beta+Zone"


def test_unset_shows_as_none_in_brackets():
    assert repr(UNSET) == "(none)"
