"""Export speed of every dataset format, against raw baselines measured in the same run.

Exports 100,000 spans (4,000 generated articles of about 4.5 KB, 25 spans each: the
density of the analysts' seed annotations, with claims holding actors, events with
attributes, relations, notes and links to canonical actors, by two annotators) from an
SQLite project in each format.

Two times per format, best of the runs: the format's writer on documents already read
from the project (what the format module costs), and the whole ``export_project``,
reading from the database included. Baselines, timed in the same run, best of the runs:

- ``json.dumps`` of the same dicts: the records the format wrote, read back into dicts
  (Prodigy tasks with their tokens, doccano records, Label Studio tasks; for brat the text
  and the annotation lines of each document and annotator, in two files as brat has them;
  for CoNLL one ``{"token", "tag"}`` dict per row; for the tables one dict per row),
  dumped and written to disk;
- for spaCy, a DocBin built directly with spaCy from the same texts and spans
  (``make_doc``, ``char_span``, ``filter_spans``, ``DocBin.add``, ``to_bytes``).

Everything is written to ``--folder``, by default a RAM-backed tmpfs (/dev/shm) where
there is one: on a disk, the journal's flushes make the time to create brat's thousands of
files vary tenfold from one run to the next, for Dossier and the baseline alike.

Target: every format's writer within 2x its baseline. The whole export is printed beside
it: reading 100,000 spans from SQLite costs about a second (tests/benchmarks/bench_store.py
measures the store), which is more than ``json.dumps`` of a small output such as doccano's
or a table's, so for those formats the second ratio is above 2x whatever the writer does.
Formats that must tokenize (Prodigy, CoNLL) pay spaCy's tokenizer, their baselines do not.

    python tests/benchmarks/bench_formats.py [--documents 4000] [--spans 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from db.store import Store, new_uuid  # noqa: E402
from desktop.formats import (  # noqa: E402
    FORMATS,
    ExportOptions,
    export_project,
    import_paths,
    prepare_export,
)

FORMAT_NAMES = (
    "prodigy",
    "doccano",
    "spacy",
    "conll",
    "brat",
    "labelstudio",
    "csv",
    "events",
    "claims",
)
WORDS = (
    "the US strike militia Baghdad Iraq Iran-backed Kataib Hezbollah said commander killed drone "
    "attack Wednesday government troops statement retaliation Syria CENTCOM officials warned "
    "confirmed denied according to sources «quoted» café Nujaba 👍 al-Saadi حزب الله"
).split()
ACTORS = ("Kataib Hezbollah", "CENTCOM", "Abu Baqir al-Saadi", "the Pentagon", "Iraqi officials")
EVENT_TYPES = ("airstrike", "drone attack", "rocket attack", "raid")


def generate(documents: int, spans: int, seed: int = 11) -> list[dict]:
    """Native JSONL records: articles with nested, related spans by two annotators."""
    rng = random.Random(seed)
    per_document = spans // documents
    records = []
    for number in range(documents):
        words = []
        size = 0
        while size < 4500:
            if rng.random() < 0.04:
                word = rng.choice(ACTORS)
            else:
                word = rng.choice(WORDS)
            if rng.random() < 0.05:
                word += "."
            words.append(word)
            size += len(word) + 1
        body = " ".join(words)
        text = f"Article {number}\r\n{body}"
        # Word boundaries, as the window's token snapping leaves spans.
        bounds = [0]
        for index, char in enumerate(text):
            if char in " \n":
                bounds.append(index + 1)
        record_spans, relations = [], []
        annotators = ("analyst_a", "analyst_b")
        taken: set[tuple[str, int]] = set()
        for index in range(per_document):
            annotator = annotators[index % 2]
            kind = index % 5
            position = rng.randrange(2, len(bounds) - 30)
            while (annotator, position) in taken:  # one span start per annotator and word
                position = rng.randrange(2, len(bounds) - 30)
            taken.add((annotator, position))
            start = bounds[position]
            if kind == 0:  # a claim with an actor inside it
                end = bounds[position + rng.randint(8, 25)] - 1
                actor_end = bounds[position + 2] - 1
                claim_uuid, actor_uuid = new_uuid(), new_uuid()
                record_spans.append(_span(claim_uuid, "Claim", start, end, annotator))
                record_spans.append(_span(actor_uuid, "Actor", start, actor_end, annotator, True))
                record_spans[-2]["attributes"] = {"stance": rng.choice(("critical", "supportive"))}
                relations.append(_relation("attributed_to", claim_uuid, actor_uuid, annotator))
            elif kind == 2:  # an event with attributes, its agent the previous actor
                end = bounds[position + rng.randint(3, 8)] - 1
                event_uuid = new_uuid()
                record_spans.append(_span(event_uuid, "Event", start, end, annotator))
                record_spans[-1]["attributes"] = {
                    "type": rng.choice(EVENT_TYPES),
                    "date": f"2024-02-{rng.randint(1, 28):02d}",
                    "location": "Baghdad",
                }
                record_spans[-1]["note"] = "check the date"
                actor = next(
                    (
                        s
                        for s in reversed(record_spans)
                        if s["label"] == "Actor" and s["annotator"] == annotator
                    ),
                    None,
                )
                if actor is not None:
                    relations.append(_relation("agent", event_uuid, actor["uuid"], annotator))
            elif kind in (1, 3):
                end = bounds[position + rng.randint(1, 3)] - 1
                record_spans.append(_span(new_uuid(), "Actor", start, end, annotator))
            # kind 4: counted by the claim's actor above
        records.append(
            {
                "type": "document",
                "text": text,
                "title": f"Article {number}",
                "source": "Generated",
                "published": "2024-02-08",
                "spans": record_spans,
                "relations": relations,
            }
        )
    return records


def _span(uuid, label, start, end, annotator, entity=False) -> dict:
    span = {"uuid": uuid, "label": label, "start": start, "end": end, "annotator": annotator}
    if end <= start:
        span["end"] = start + 1
    if entity:
        span["entity"] = ENTITY_UUID
    return span


def _relation(kind, head, tail, annotator) -> dict:
    return {"uuid": new_uuid(), "type": kind, "head": head, "tail": tail, "annotator": annotator}


ENTITY_UUID = "5a0c1c1e-0000-4000-8000-000000000001"


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        enabled = gc.isenabled()
        gc.disable()
        started = time.perf_counter()
        try:
            function()
        finally:
            times.append(time.perf_counter() - started)
            if enabled:
                gc.enable()
    return min(times)


# --- the records each format wrote, back as dicts -------------------------------------------


def read_back(name: str, out: Path) -> list:
    if name in ("prodigy", "doccano"):
        return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    if name == "labelstudio":
        return json.loads(out.read_text(encoding="utf-8"))
    if name in ("csv", "events", "claims"):
        with open(out, encoding="utf-8-sig", newline="") as stream:
            return list(csv.DictReader(stream))
    if name == "conll":
        sections, rows = [], None
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.startswith("-DOCSTART-"):
                rows = []
                sections.append(rows)
            elif line:
                token, tag = line.split("\t")
                rows.append({"token": token, "tag": tag})
        return sections
    if name == "brat":
        documents = []
        for ann in sorted(out.rglob("*.ann")):
            documents.append(
                {
                    "name": str(ann.relative_to(out).with_suffix("")),
                    "text": ann.with_suffix(".txt").read_text(encoding="utf-8"),
                    "annotations": [
                        dict(zip(("id", "body", "text"), line.split("\t", 2), strict=False))
                        for line in ann.read_text(encoding="utf-8").splitlines()
                    ],
                }
            )
        return documents
    raise ValueError(name)


def raw_dump(name: str, records: list, folder: Path) -> None:
    """``json.dumps`` of the dicts, written as the format lays out its files."""
    if name == "brat":
        # The same files as the export: the text and the annotations of each document.
        folder.mkdir(exist_ok=True)
        for record in records:
            stem = record["name"].replace("/", "__")
            for suffix, key in ((".txt", "text"), (".ann", "annotations")):
                (folder / (stem + suffix)).write_text(
                    json.dumps(record[key], ensure_ascii=False), encoding="utf-8"
                )
        return
    with open(folder / "raw.json", "w", encoding="utf-8", newline="") as stream:
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def raw_docbin(records: list[dict], out: Path) -> None:
    """A DocBin built directly with spaCy: one Doc per document and annotator."""
    from spacy.lang.en import English
    from spacy.tokens import DocBin
    from spacy.util import filter_spans

    nlp = English()
    corpus = DocBin(store_user_data=True)
    for record in records:
        by_annotator: dict[str, list[dict]] = {}
        for span in record["spans"]:
            by_annotator.setdefault(span["annotator"], []).append(span)
        for spans in by_annotator.values():
            doc = nlp.make_doc(record["text"])
            made = [
                doc.char_span(s["start"], s["end"], label=s["label"], alignment_mode="expand")
                for s in spans
            ]
            made = [span for span in made if span is not None]
            doc.spans["sc"] = made
            doc.ents = filter_spans(made)
            corpus.add(doc)
    out.write_bytes(corpus.to_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=4_000)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--formats", nargs="*", default=list(FORMAT_NAMES))
    parser.add_argument(
        "--folder",
        default="/dev/shm" if Path("/dev/shm").is_dir() else None,
        help="where to write (default: /dev/shm when there is one, else the temp folder)",
    )
    args = parser.parse_args()
    records = generate(args.documents, args.spans)
    results = []
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        folder = Path(folder)
        source = folder / "project.jsonl"
        header = [
            {"type": "entity", "uuid": ENTITY_UUID, "name": "Kataib Hezbollah", "label": "Actor"}
        ]
        source.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in header + records),
            encoding="utf-8",
        )
        store = Store.open(folder / "project.db")
        report = import_paths(store, [source])
        spans = report.summary.spans_added
        for name in args.formats:
            info = FORMATS[name]
            out = folder / f"export{info.extension}"
            _, context = prepare_export(store, name, ExportOptions())
            documents = list(
                store.export_documents(context.options.filter, only_with_spans=info.only_annotated)
            )
            writer = info.load().write

            def clear(out=out) -> None:
                if out.is_dir():
                    shutil.rmtree(out)

            def write(writer=writer, documents=documents, out=out, context=context) -> None:
                clear()
                writer(documents, out, context)

            def export(name=name, out=out) -> None:
                clear()
                export_project(store, name, out, ExportOptions())

            written_time = best(write, args.repeat)
            export_time = best(export, args.repeat)
            if name == "spacy":
                baseline = best(lambda: raw_docbin(records, folder / "raw.spacy"), args.repeat)
                what = "DocBin built with spaCy"
            else:
                written = read_back(name, out)
                scratch = folder / "raw"

                def dump(name=name, written=written, scratch=scratch) -> None:
                    shutil.rmtree(scratch, ignore_errors=True)
                    scratch.mkdir()
                    raw_dump(name, written, scratch)

                baseline = best(dump, args.repeat)
                what = "json.dumps of the same dicts"
            clear()
            if out.exists():
                out.unlink()
            results.append((name, written_time, export_time, baseline, what))
        store.close()
    print(
        f"data: {args.documents} documents, {spans} spans (two annotators, nested and related); "
        f"best of {args.repeat} runs; written to {args.folder or tempfile.gettempdir()}"
    )
    print(
        f"{'format':<12} {'writer':>8} {'export':>8}   {'baseline':<37} "
        f"{'writer ratio':>12} {'export ratio':>13}"
    )
    for name, written_time, export_time, baseline, what in results:
        print(
            f"{name:<12} {written_time:7.2f}s {export_time:7.2f}s   {what:<28} {baseline:6.2f}s "
            f"{written_time / baseline:11.2f}x {export_time / baseline:12.2f}x"
        )
    worst = max(written_time / baseline for _, written_time, _, baseline, _ in results)
    print(
        f"result: {'PASS' if worst <= 2 else 'OVER TARGET'} "
        f"(every writer within 2x its baseline; worst {worst:.2f}x)"
    )


if __name__ == "__main__":
    main()
