"""Export speed of every dataset format, against raw baselines measured in the same run.

Exports 100,000 spans (4,000 generated articles of about 4.5 KB, 25 spans each: the
density of the analysts' seed annotations, with claims holding actors, events with
attributes, relations, notes and links to canonical actors, by two annotators) from an
SQLite project in each format.

Two times per format, best of the runs, each against a baseline that does the same work
with plain tools, timed in the same run, best of the runs:

- the format's writer on documents already read from the project (what the format module
  costs), against ``orjson.dumps`` of the same dicts: the records the format wrote, read
  back into dicts (native documents, Prodigy tasks with their tokens, doccano records,
  Label Studio tasks; for brat the text and the annotation lines of each document and
  annotator, in two files as brat has them; for CoNLL one ``{"token", "tag"}`` dict per
  row; for the tables one dict per row), dumped and written to disk. Formats that
  tokenize (Prodigy, CoNLL) pay spaCy's tokenizer, so their baseline runs the same blank
  tokenizer over the same texts. For spaCy, the baseline is a DocBin built directly with
  spaCy from the same texts and spans (``make_doc``, ``char_span``, ``filter_spans``,
  ``DocBin.add``, ``to_bytes``);
- the whole ``export_project``, reading from the database included, against the same
  baseline with the rows read from the database first: documents, spans, relations,
  states and reviews joined to their label and annotator names with the bare ``sqlite3``
  driver, streamed a document at a time (``bench_store.raw_documents``). The generated
  spans are all accepted, so every format reads the same rows.

Both sides write to the same folder, ``--folder`` (by default the system's temporary
folder), and both put what they wrote on the disk before the clock stops: a file is
synced, a folder of files (brat) synced with its file system, as an export does it.

Target: every format within 2x its baseline, the writer and the whole export alike.

    python tests/benchmarks/bench_formats.py [--documents 4000] [--spans 100000] [--repeat 3]
        [--formats jsonl prodigy ...] [--folder PATH]
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import raw_documents  # noqa: E402

from db.store import Store, new_uuid  # noqa: E402
from desktop.formats import (  # noqa: E402
    FORMATS,
    ExportOptions,
    export_project,
    import_paths,
    prepare_export,
)
from desktop.formats.output import fsync_tree  # noqa: E402

FORMAT_NAMES = (
    "jsonl",
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
TOKENIZED = ("prodigy", "conll")  # formats that run spaCy's tokenizer over every text
WORDS = (
    "the US strike militia Baghdad Iraq Iran-backed Kataib Hezbollah said commander killed drone "
    "attack Wednesday government troops statement retaliation Syria CENTCOM officials warned "
    "confirmed denied according to sources «quoted» café Nujaba 👍 al-Saadi حزب الله"
).split()
ACTORS = ("Kataib Hezbollah", "CENTCOM", "Abu Baqir al-Saadi", "the Pentagon", "Iraqi officials")
EVENT_TYPES = ("ASSAULT", "COERCE", "THREATEN", "PROTEST")  # PLOVER, as the Event schema has them


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
                record_spans[-2]["attributes"] = {"stance": rng.choice(("supports", "opposes"))}
                relations.append(_relation("source", claim_uuid, actor_uuid, annotator))
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


def best_of(functions, repeat: int) -> list[float]:
    """The best time of each function over ``repeat`` rounds; each round runs them all in
    turn, so that Dossier and its baseline see the machine in the same state."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for function, taken in zip(functions, times, strict=True):
            enabled = gc.isenabled()
            gc.disable()
            started = time.perf_counter()
            try:
                function()
            finally:
                taken.append(time.perf_counter() - started)
                if enabled:
                    gc.enable()
    return [min(taken) for taken in times]


# --- the records each format wrote, back as dicts -------------------------------------------


def read_back(name: str, out: Path) -> list:
    if name in ("jsonl", "prodigy", "doccano"):
        return [orjson.loads(line) for line in out.read_bytes().splitlines()]
    if name == "labelstudio":
        return orjson.loads(out.read_bytes())
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


# --- baselines ------------------------------------------------------------------------------


def raw_dump(name: str, records: list, folder: Path) -> None:
    """``orjson.dumps`` of the dicts, written as the format lays out its files and put on
    the disk as an export is."""
    dumps = orjson.dumps
    if name == "brat":
        # The same files as the export: the text and the annotations of each document.
        for record in records:
            stem = record["name"].replace("/", "__")
            for suffix, key in ((".txt", "text"), (".ann", "annotations")):
                (folder / (stem + suffix)).write_bytes(dumps(record[key]))
        fsync_tree(folder)  # as a folder export is synced
        return
    with open(folder / "raw.json", "wb") as stream:
        for record in records:
            stream.write(dumps(record) + b"\n")
        stream.flush()
        os.fsync(stream.fileno())


def raw_docbin(records, out: Path) -> None:
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
    with open(out, "wb") as stream:
        stream.write(corpus.to_bytes())
        stream.flush()
        os.fsync(stream.fileno())


def tokenizer():
    """The blank English tokenizer that Dossier's formats use for articles without a language."""
    import spacy

    return spacy.blank("en").tokenizer


def baseline(name: str, written: list, documents, scratch: Path) -> None:
    """What the format does, with plain tools: ``documents`` (native dicts, read or
    generated) tokenized where the format tokenizes, and the written dicts dumped."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    if name == "spacy":
        raw_docbin(documents, scratch / "raw.spacy")
        return
    if name in TOKENIZED:
        tokens = tokenizer()
        for document in documents:
            tokens(document["text"])
    else:
        for _document in documents:
            pass  # read (for the whole export), nothing more to do with it
    raw_dump(name, written, scratch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=4_000)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--formats", nargs="*", default=list(FORMAT_NAMES))
    parser.add_argument(
        "--folder",
        default=None,
        help="where both sides write (default: the system's temporary folder)",
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
        with open(source, "wb") as stream:
            stream.writelines(orjson.dumps(r) + b"\n" for r in header + records)
        database = folder / "project.db"
        store = Store.open(database)
        report = import_paths(store, [source])
        spans = report.summary.spans_added
        tokenizer()("warm up")  # spaCy's import is paid once, outside every clock
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

            write()  # once first, to read back what the format writes
            written = [] if name == "spacy" else read_back(name, out)
            scratch = folder / "raw"

            def dump(name=name, written=written, scratch=scratch) -> None:
                baseline(name, written, records, scratch)

            def read_dump(name=name, written=written, scratch=scratch) -> None:
                baseline(name, written, raw_documents(str(database)), scratch)

            written_time, dump_time, export_time, read_dump_time = best_of(
                (write, dump, export, read_dump), args.repeat
            )
            del documents
            shutil.rmtree(scratch, ignore_errors=True)
            clear()
            if out.exists():
                out.unlink()
            results.append((name, written_time, dump_time, export_time, read_dump_time))
        store.close()
    print(
        f"data: {args.documents} documents, {spans} spans (two annotators, nested and related); "
        f"best of {args.repeat} runs; both sides written to {args.folder or tempfile.gettempdir()}"
    )
    print("baseline: orjson.dumps of the same dicts (spaCy: a DocBin built with spaCy), after")
    print(
        "          the same tokenizer for Prodigy and CoNLL; for the export, after a raw sqlite3 read"
    )
    print(
        f"{'format':<12} {'writer':>8} {'dump':>8} {'ratio':>7}   "
        f"{'export':>8} {'read+dump':>10} {'ratio':>7}"
    )
    for name, written_time, dump_time, export_time, read_dump_time in results:
        print(
            f"{name:<12} {written_time:7.2f}s {dump_time:7.2f}s {written_time / dump_time:6.2f}x   "
            f"{export_time:7.2f}s {read_dump_time:9.2f}s {export_time / read_dump_time:6.2f}x"
        )
    worst_writer = max(r[1] / r[2] for r in results)
    worst_export = max(r[3] / r[4] for r in results)
    print(
        f"result: {'PASS' if max(worst_writer, worst_export) <= 2 else 'OVER TARGET'} "
        f"(every format within 2x its baseline; worst writer {worst_writer:.2f}x, "
        f"worst export {worst_export:.2f}x)"
    )


if __name__ == "__main__":
    main()
