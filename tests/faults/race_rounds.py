"""Rounds of two sessions acting on one span at once, counted: how many lost updates?

Each round tags a span, then two threads with stores of their own start together (a
barrier) and act on it from the same view: one deletes, the other relabels, moves,
annotates or deletes too. Exactly one may win; the other must get ConflictError. A round
where both succeed is a lost update; any other error is a failure to handle the race.

    python tests/faults/race_rounds.py --db postgresql://user@host/db --rounds 800
    python tests/faults/race_rounds.py --db /tmp/race.db --rounds 800

The suite makes each race happen deterministically (tests/db/test_races.py); this script
shows how the store fares when they happen by chance, as in use.
"""

from __future__ import annotations

import argparse
import threading
from collections import Counter

from db.records import ImportBatch, NewDocument
from db.store import ConflictError, Store

TEXT = "Kataib Hezbollah warned on Friday that attacks on US forces would resume."


def act(name, action, store, span, barrier, results) -> None:
    barrier.wait()
    try:
        action(store, span)
        results[name] = None
    except BaseException as exc:  # noqa: BLE001 - counted by the caller
        results[name] = exc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=800)
    args = parser.parse_args()
    first, second = Store.open(args.db), Store.open(args.db)
    document = first.import_batch(ImportBatch(documents=[NewDocument(text=TEXT)])).document_ids[0]
    me = first.ensure_annotator("race")
    actor, claim = first.label_by_name("Actor").id, first.label_by_name("Claim").id
    others = {
        "relabel": lambda store, span: store.update_span(span.uuid, expected=span, label_id=claim),
        "move": lambda store, span: store.update_span(span.uuid, expected=span, end=6),
        "annotate": lambda store, span: store.update_span(span.uuid, expected=span, note="n"),
        "delete": lambda store, span: store.delete_span(span.uuid, expected=span),
    }
    tally: Counter[str] = Counter()
    for number in range(args.rounds):
        kind = list(others)[number % len(others)]
        span = first.add_span(document, actor, me.id, 0, 16)
        barrier = threading.Barrier(2)
        results: dict[str, BaseException | None] = {}

        threads = [
            threading.Thread(
                target=act,
                args=(
                    "delete",
                    lambda store, span: store.delete_span(span.uuid, expected=span),
                    first,
                    span,
                    barrier,
                    results,
                ),
            ),
            threading.Thread(
                target=act,
                args=("other", others[kind], second, span, barrier, results),
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        errors = [exc for exc in results.values() if exc is not None]
        if not errors:
            tally[f"{kind}: LOST UPDATE (both succeeded)"] += 1
        elif len(errors) == 1 and isinstance(errors[0], ConflictError):
            tally[f"{kind}: one won, one told"] += 1
        elif all(isinstance(exc, ConflictError) for exc in errors):
            tally[f"{kind}: both refused"] += 1
        else:
            tally[f"{kind}: unhandled {type(errors[-1]).__name__}: {errors[-1]}"] += 1
        for left in first.spans(document):
            first.delete_span(left.uuid)
    for outcome, count in sorted(tally.items()):
        print(f"{count:5d}  {outcome}")
    lost = sum(
        count for outcome, count in tally.items() if "LOST" in outcome or "unhandled" in outcome
    )
    print(f"rounds {args.rounds}, lost or unhandled {lost}")
    first.close()
    second.close()


if __name__ == "__main__":
    main()
