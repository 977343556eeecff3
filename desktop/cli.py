"""The ``dossier`` command: the console commands, and the window when no command is given.

Qt-free. Exit codes: 0 on success, 2 on bad input (with ``file:line: reason`` on stderr).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import click
import typer
from sqlalchemy.exc import DBAPIError

from db.engine import DatabaseError, NoProjectError
from db.records import ExportFilter
from db.store import Store, StoreError
from db.store.base import unavailable
from desktop import __version__
from desktop.paths import project_location

app = typer.Typer(
    name="dossier",
    help="Dossier: tag claims, actors and events in news articles, review and export them.\n\n"
    "With no command, opens the window on the project.",
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="PATH_OR_URL",
        help="The project: an SQLite file or a database URL (postgresql://...). "
        "Default: $DOSSIER_DB, else the default project in your data folder.",
        show_default=False,
    ),
]


def fail(message: str) -> typer.Exit:
    """Exit code 2 with ``message`` on stderr, on one line."""
    typer.echo(" ".join(line.strip() for line in message.splitlines() if line.strip()), err=True)
    return typer.Exit(2)


@contextmanager
def project(
    ctx: typer.Context, db: str | None, *, create: bool = False, actor: str | None = None
) -> Iterator[Store]:
    """Open the chosen project for one command, turning every refusal into exit code 2.

    Only a command that writes something new passes ``create``: reading from a project
    that is not there (a mistyped path, an empty database) is an error, not a new project.
    The history records the command's changes as ``actor`` (default: the user's name).
    """
    location = project_location(db or (ctx.obj or {}).get("db"))
    try:
        store = Store.open(location, create=create, actor=actor or _default_annotator())
    except NoProjectError as exc:
        checked = "URL" if "://" in exc.where else "path"
        hint = (
            ""
            if exc.detail
            else f" (import articles with `dossier import` to create one, or check the {checked})"
        )
        raise fail(f"dossier: {exc}{hint}") from None
    except (DatabaseError, StoreError) as exc:
        raise fail(f"dossier: {exc}") from None
    except (DBAPIError, sqlite3.Error, OSError) as exc:
        raise fail(f"dossier: cannot open the project: {unavailable(exc)}") from None
    # Whatever the command, a database that fails (read-only, locked, gone, full) or a file
    # that cannot be written is one line and exit 2, never a traceback.
    command = f"dossier {ctx.info_name}" if ctx.info_name else "dossier"
    try:
        yield store
    except StoreError as exc:
        raise fail(f"{command}: {exc}") from None
    except (DBAPIError, sqlite3.Error) as exc:
        raise fail(f"{command}: {unavailable(exc)}") from None
    except OSError as exc:
        raise fail(f"{command}: {_os_reason(exc)}") from None
    finally:
        store.close()


def _os_reason(exc: OSError) -> str:
    """An operating system's refusal in one line: the file, then why."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{exc.filename}: {reason}" if exc.filename else reason


def check_output_folder(command: str, output: Path) -> None:
    """Refuse an output whose folder is missing, rather than make the folder silently."""
    parent = output.absolute().parent
    if parent.is_dir():
        return
    if parent.exists():
        raise fail(f"dossier {command}: cannot write {output}: {parent} is not a folder")
    raise fail(
        f"dossier {command}: cannot write {output}: the folder {parent} does not exist "
        "(create it first, or check the path)"
    )


class ProgressBars:
    """Progress bars on stderr, one per phase ("importing", "exporting", ...)."""

    def __init__(self) -> None:
        self._enabled = sys.stderr.isatty()
        self._phase: str | None = None
        self._bar = None
        self._done = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self._enabled:
            return
        if phase != self._phase:
            self.close()
            self._phase = phase
            self._done = 0
            self._bar = click.progressbar(
                length=max(total, 1),
                label=phase.capitalize().ljust(10),
                file=sys.stderr,
                show_eta=False,
            )
            self._bar.__enter__()
        if self._bar is not None and done > self._done:
            self._bar.update(done - self._done)
            self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def gui(db: str | None) -> int:
    from desktop.ui.app import run

    return run(project_location(db))


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: DbOption = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = {"db": db}
    if version:
        typer.echo(f"dossier {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        raise typer.Exit(gui(db))


@app.command("import")
def import_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        # Hidden from the list of arguments, which would show a Python type beside it; the
        # docstring says what PATH is.
        typer.Argument(metavar="PATH", hidden=True),
    ],
    annotator: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Attribute every span to this annotator (default: the one the file names).",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="auto, text, jsonl, prodigy, doccano, brat, labelstudio or xmi.",
        ),
    ] = "auto",
    db: DbOption = None,
) -> None:
    """Import articles and annotations. Each PATH is a file, or a folder read recursively.

    All or nothing: on any error nothing is written. Importing into a project that does not
    exist yet creates it.
    """
    from desktop.formats import Cancelled, ImportOptions, InputError, import_paths

    with project(ctx, db, create=True, actor=annotator) as store:
        member = store.team_member() if annotator is None else None
        if member is not None and member.role != "admin":
            annotator = member.name  # the server lets a team member write only as themselves
        bars = ProgressBars()
        try:
            report = import_paths(
                store, paths, ImportOptions(annotator=annotator, format=format), bars
            )
        except (InputError, ValueError) as exc:
            bars.close()
            raise fail(str(exc)) from None
        except (Cancelled, KeyboardInterrupt):
            bars.close()
            raise fail("import cancelled; nothing was written") from None
        bars.close()
    summary = report.summary
    lines = [
        f"{report.files} file(s) read",
        f"{summary.documents_added} document(s) added, {summary.documents_matched} already there",
        f"{summary.spans_added} span(s) added, {summary.spans_skipped} already there",
    ]
    if summary.relations_added:
        lines.append(f"{summary.relations_added} relation(s) added")
    if summary.labels_added:
        lines.append(f"{summary.labels_added} new label(s)")
    for reason, count in sorted(report.skipped.items()):
        lines.append(f"skipped: {count} {reason}")
    for path, name in sorted(report.attributed.items()):
        lines.append(
            f"{path} names no annotator: its spans are attributed to {name!r} (use --annotator to choose)"
        )
    typer.echo("\n".join(lines))


@app.command("export")
def export_command(
    ctx: typer.Context,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="jsonl (native), prodigy, doccano, spacy, conll, brat, labelstudio, xmi, csv, "
            "events, claims or graphml.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="OUT",
            help="The file (or folder, for brat and xmi) to write; its folder must exist.",
        ),
    ],
    annotator: Annotated[
        list[str], typer.Option(metavar="NAME", help="Only this annotator's spans (repeatable).")
    ] = [],  # noqa: B006
    gold: Annotated[bool, typer.Option("--gold", help="Only the adjudicated gold layer.")] = False,
    label: Annotated[
        list[str], typer.Option(metavar="LABEL", help="Only spans with this label (repeatable).")
    ] = [],  # noqa: B006
    status: Annotated[
        list[str],
        typer.Option(
            metavar="STATUS",
            help="Only spans with this status (repeatable; default: accepted, or every status for jsonl).",
        ),
    ] = [],  # noqa: B006
    split: Annotated[
        float | None,
        typer.Option(metavar="SHARE", help="spacy: share of documents held out in dev.spacy."),
    ] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="spacy: seed of the train/dev split.")] = 0,
    overlap: Annotated[
        str,
        typer.Option(
            metavar="RULE",
            help="conll and spacy (doc.ents): which span wins where spans overlap: longest, first, or label-order.",
        ),
    ] = "longest",
    db: DbOption = None,
) -> None:
    """Export spans in a dataset format. Files appear only once complete."""
    from desktop.formats import Cancelled, ExportOptions, InputError, export_project

    if gold and annotator:
        raise fail("dossier export: choose --annotator or --gold, not both")
    for value in status:
        if value not in ("accepted", "suggested", "rejected"):
            raise fail(
                f"dossier export: unknown status {value!r} (accepted, suggested or rejected)"
            )
    options = ExportOptions(
        filter=ExportFilter(
            annotators=tuple(annotator), gold=gold, labels=tuple(label), statuses=tuple(status)
        ),
        split=split,
        seed=seed,
        overlap=overlap,
    )
    check_output_folder("export", output)
    with project(ctx, db) as store:
        known = {record.name for record in store.annotators()}
        for name in annotator:
            if name not in known:
                raise fail(
                    f"dossier export: no annotator called {name!r} (known: {', '.join(sorted(known)) or 'none'})"
                )
        bars = ProgressBars()
        try:
            report = export_project(store, format, output, options, bars)
        except (ValueError, InputError) as exc:
            bars.close()
            raise fail(f"dossier export: {exc}") from None
        except (Cancelled, KeyboardInterrupt):
            bars.close()
            raise fail("export cancelled; nothing was written") from None
        bars.close()
    typer.echo(f"{report.documents} document(s), {report.spans} span(s) written to {report.path}")
    for reason, count in sorted(report.adjusted.items()):
        typer.echo(f"adjusted: {count} {reason}", err=True)


@app.command("stats")
def stats_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Documents, and accepted spans per label and per annotator."""
    with project(ctx, db) as store:
        figures = store.stats()
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    typer.echo(f"documents: {figures['documents']} ({figures['documents_annotated']} with spans)")
    typer.echo(f"spans: {figures['spans']} accepted")
    for status, count in figures["per_status"].items():
        if status != "accepted":
            typer.echo(f"  and {count} {status}")
    labels = list(figures["per_label"])
    if labels:
        width = max(len(name) for name in labels + ["label"])
        typer.echo("\nper label:")
        for name, count in figures["per_label"].items():
            typer.echo(f"  {name.ljust(width)}  {count:>7}")
    if figures["per_annotator"]:
        names = list(figures["per_annotator"])
        width = max(len(name) for name in names + ["annotator"])
        typer.echo("\nper annotator:")
        header = (
            "  "
            + "annotator".ljust(width)
            + "".join(f"  {name:>8}" for name in labels)
            + "     total"
        )
        typer.echo(header)
        for name in names:
            row = figures["per_annotator_label"].get(name, {})
            cells = "".join(f"  {row.get(label, 0):>8}" for label in labels)
            typer.echo(f"  {name.ljust(width)}{cells}  {figures['per_annotator'][name]:>8}")


# --- documents ------------------------------------------------------------------------------

DOCUMENTS_HELP = """List the documents: the id that --document takes, title, source, published
date, length in characters, accepted spans, and each annotator's accepted spans and progress.

\b
An annotator's cell reads "12 done": their accepted spans on the document, then
their progress (in progress or done) if any; "-" is no span and no progress.

\b
--json prints a list, one object per document:
  {"id": 1, "title": "...", "source": null, "published": null, "length": 4124,
   "content_hash": "...", "spans": 40,
   "annotators": {"NAME": {"spans": 22, "status": "not_started|in_progress|done"}, ...}}
  "annotators" names every annotator with an accepted span or a progress anywhere."""


def _clip(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis; "-" when empty."""
    text = " ".join((text or "").split()) or "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def _progress_cell(spans: int, status: str) -> str:
    if status == "not_started":
        return str(spans) if spans else "-"
    return f"{spans} {status.replace('_', ' ')}"


@app.command(
    "documents", help=DOCUMENTS_HELP, short_help="List the documents, their ids and progress."
)
def documents_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    db: DbOption = None,
) -> None:
    with project(ctx, db) as store:
        summaries = store.list_documents()
        progress = store.document_progress()
        active = {name for per_document in progress.values() for name in per_document}
        names = [record.name for record in store.annotators() if record.name in active]
    rows = []
    for summary in summaries:
        cells = {}
        for name in names:
            spans, status = progress.get(summary.id, {}).get(name, (0, "not_started"))
            cells[name] = {"spans": spans, "status": status}
        rows.append(
            {
                "id": summary.id,
                "title": summary.title,
                "source": summary.source,
                "published": summary.published,
                "length": summary.length,
                "content_hash": summary.content_hash,
                "spans": summary.span_count,
                "annotators": cells,
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no documents yet (import some with `dossier import`)")
        return
    header = ["id", "title", "source", "published", "chars", "spans", *names]
    table = [
        [
            str(row["id"]),
            _clip(row["title"], 40),
            _clip(row["source"], 24),
            _clip(row["published"], 10),
            str(row["length"]),
            str(row["spans"]),
            *(_progress_cell(**row["annotators"][name]) for name in names),
        ]
        for row in rows
    ]
    widths = [max(len(line[column]) for line in [header, *table]) for column in range(len(header))]
    numeric = {0, 4, 5}  # right-aligned columns: id, chars, spans
    for line in [header, *table]:
        cells = [
            cell.rjust(width) if column in numeric else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        typer.echo("  ".join(cells).rstrip())
    typer.echo(f"\n{len(rows)} document(s)")


# --- search ---------------------------------------------------------------------------------

_TSV_BREAKS = str.maketrans({"\t": " ", "\r": " ", "\n": " ", "\u2028": " ", "\u2029": " "})


@app.command("search")
def search_command(
    ctx: typer.Context,
    pattern: Annotated[
        str,
        # Hidden from the list of arguments, which would show a Python type beside it; the
        # docstring says what PATTERN is.
        typer.Argument(metavar="PATTERN", hidden=True),
    ],
    regex: Annotated[
        bool, typer.Option("--regex", help="PATTERN is a regular expression (Python's syntax).")
    ] = False,
    folding: Annotated[
        bool,
        typer.Option(
            "--fold", help="Set diacritics and apostrophes aside: Kataib finds Kata’ib and Katáib."
        ),
    ] = False,
    case: Annotated[bool, typer.Option("--case", help="Match case.")] = False,
    substring: Annotated[
        bool,
        typer.Option("--substring", help="Hits may start or end inside a word (not --regex)."),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='One JSON object a hit: {"document_id", "title", "start", "end", "text"}.',
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Print every hit of PATTERN (words, a phrase, or with --regex a regular expression)
    in the project's documents, one a line: document id, title, start, end and text,
    separated by tabs (line breaks and tabs in the title and text shown as spaces; --json
    keeps them). Offsets are code points into the document's text. Case is ignored unless
    --case; words in PATTERN match whole words unless --substring, and its spaces match any
    run of white space, line breaks included."""
    from desktop.corpus.search import SearchError, SearchQuery, search

    query = SearchQuery(pattern, regex=regex, fold=folding, case=case, whole_words=not substring)
    with project(ctx, db) as store:
        try:
            batches = search(store, query)
        except SearchError as exc:
            raise fail(f"dossier search: {exc}") from None
        try:
            _print_hits(batches, as_json)
        except BrokenPipeError:
            # The reader (head, say) has read all it wanted: stop quietly, as grep does.
            _quiet_stdout()


def _print_hits(batches, as_json: bool) -> None:
    for batch in batches:
        for hit in batch:
            if as_json:
                line = json.dumps(
                    {
                        "document_id": hit.document_id,
                        "title": hit.document_title,
                        "start": hit.start,
                        "end": hit.end,
                        "text": hit.text,
                    },
                    ensure_ascii=False,
                )
            else:
                title = hit.document_title.translate(_TSV_BREAKS)
                line = (
                    f"{hit.document_id}\t{title}\t{hit.start}\t{hit.end}\t"
                    f"{hit.text.translate(_TSV_BREAKS)}"
                )
            typer.echo(line)


def _quiet_stdout() -> None:
    """Send what is left of the output nowhere, so that Python's flush at exit does not
    fail on the closed pipe again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (tests)
        pass


# --- history --------------------------------------------------------------------------------


def _since(value: str) -> str:
    """``--since`` as the text the history's UTC times are compared with."""
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise fail(
            f"dossier history: --since {value!r} is not a date (give YYYY-MM-DD, or "
            "YYYY-MM-DDTHH:MM[:SS], in UTC unless it names its offset)"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


def _who(entry) -> str:
    if entry.actor is None:
        return f"{entry.login} (outside Dossier)" if entry.login else "unknown"
    if entry.login and entry.login != entry.actor:
        return f"{entry.actor} as {entry.login}"
    return entry.actor


@app.command("history")
def history_command(
    ctx: typer.Context,
    document: Annotated[
        int | None, typer.Option(metavar="ID", help="Only the changes of this document.")
    ] = None,
    span: Annotated[
        str | None,
        typer.Option(metavar="UUID", help="Only the changes of this span (or relation)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="DATE", help="Only changes at or after DATE: YYYY-MM-DD[THH:MM[:SS]], UTC."
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='One JSON object a change: {"id", "at", "actor", "login", "kind", "op", '
            '"key", "document_id", "before", "after", "what"}.',
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Print the recorded changes to spans, relations, labels and review decisions, oldest
    first, one a line: the time (UTC), who made it, the document and what changed,
    separated by tabs."""
    from desktop.review.history import describe, entry_json

    after = _since(since) if since is not None else None
    with project(ctx, db) as store:
        entries = store.history(document_id=document, key=span, since=after)
        labels = {label.id: label for label in store.labels()}
        annotators = {annotator.id: annotator for annotator in store.annotators()}
    # A relation is quoted by its spans' texts, as the history has them.
    span_texts = {
        row["id"]: row.get("text", "")
        for entry in entries
        if entry.kind == "span"
        for row in (entry.before, entry.after)
        if row
    }
    try:
        for entry in entries:
            what = describe(entry, labels, annotators, span_texts=span_texts)
            if as_json:
                line = json.dumps({**entry_json(entry), "what": what}, ensure_ascii=False)
            else:
                document_id = "-" if entry.document_id is None else str(entry.document_id)
                line = "\t".join(
                    (entry.at[:19] + "Z", _who(entry), document_id, what.translate(_TSV_BREAKS))
                )
            typer.echo(line)
    except BrokenPipeError:
        _quiet_stdout()


# --- agreement ------------------------------------------------------------------------------

AGREEMENT_HELP = """Agreement between annotators: span precision, recall and F1 (exact and overlap),
Cohen's kappa and Krippendorff's alpha (nominal) on word tokens, per label and overall;
then, per pair, over the spans matched exactly (same label and offsets): agreement on each
attribute (alpha, nominal) and precision, recall and F1 of relations.

\b
Name two or more annotators: --annotators A B C (or --annotators A --annotators B).
The first named is the reference for precision and recall. Pairs are compared on the
documents both annotated (an accepted span, or marked in progress or done); alpha takes
every annotator at once, with missing values where one did not annotate a document.

\b
--json prints:
  {"annotators": [...], "reference": "A", "documents": [ids], "tokens": N,
   "labels": [...],
   "per_label": {"LABEL": FIGURES, ...},
   "overall": FIGURES,
   "pairs": [{"reference": "A", "other": "B", "documents": [...], "tokens": N,
              "per_label": {"LABEL": FIGURES without alpha}, "overall": ...,
              "matched_spans": M,
              "attributes": {"LABEL.NAME": {"label", "attribute", "units", "agreed",
                                            "alpha"}, ...},
              "relations": {"per_type": {"TYPE": SCORES, ...}, "overall": SCORES}}, ...]}
  FIGURES = {"exact": SCORES, "overlap": SCORES, "kappa": k, "alpha": a}
  SCORES = {"precision", "recall", "f1", "reference", "other",
            "matched_reference", "matched_other"}
A figure that is undefined (nothing to compare) is null. With more than two annotators,
span counts are pooled over the pairs and kappa is the mean of the pairs' kappas.

\b
Attribute alpha counts the matched span pairs where at least one annotator set the
attribute ("units"); an unset side is the value "(none)". A relation of B is shared with A
when A has one of the same type whose head and tail are matched to B's head and tail."""


def _figure(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


@app.command("agreement", help=AGREEMENT_HELP)
def agreement_command(
    ctx: typer.Context,
    annotators: Annotated[
        list[str],
        typer.Option(
            "--annotators",
            "-a",
            metavar="NAME",
            help="Annotators to compare; further names may follow (--annotators A B).",
        ),
    ] = [],  # noqa: B006
    more: Annotated[list[str] | None, typer.Argument(metavar="NAME", hidden=True)] = None,
    document: Annotated[
        list[int],
        typer.Option("--document", "-d", metavar="ID", help="Only this document (repeatable)."),
    ] = [],  # noqa: B006
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    db: DbOption = None,
) -> None:
    from desktop.progress import Cancelled
    from desktop.review.agreement import ReviewError, measure_agreement

    names = [name for value in [*annotators, *(more or [])] for name in value.split(",") if name]
    with project(ctx, db) as store:
        bars = ProgressBars()
        try:
            report = measure_agreement(store, names, document or None, progress=bars)
        except ReviewError as exc:
            bars.close()
            raise fail(f"dossier agreement: {exc}") from None
        except (Cancelled, KeyboardInterrupt):
            bars.close()
            raise fail("agreement cancelled") from None
        bars.close()
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"agreement of {', '.join(report.annotators)} (reference: {report.annotators[0]}) "
        f"on {len(report.document_ids)} document(s), {report.tokens} token(s)"
    )
    if not report.document_ids:
        typer.echo("no document was annotated by two of them")
        return
    rows = [(name, report.per_label[name]) for name in report.labels]
    rows.append(("overall", report.overall))
    width = max(len(name) for name, _ in rows)
    typer.echo(
        "\n"
        + " " * (width + 4)
        + "exact              overlap            token"
        + "\n  "
        + "label".ljust(width)
        + "  P     R     F1     P     R     F1     kappa  alpha"
    )
    for name, figures in rows:
        exact, overlap = figures.exact, figures.overlap
        cells = [
            _figure(exact.precision),
            _figure(exact.recall),
            _figure(exact.f1),
            _figure(overlap.precision),
            _figure(overlap.recall),
            _figure(overlap.f1),
            _figure(figures.kappa),
            _figure(figures.alpha),
        ]
        typer.echo(
            f"  {name.ljust(width)}  {' '.join(cells[:3])}  {' '.join(cells[3:6])}  "
            f"{'  '.join(cells[6:])}"
        )
    if len(report.pairs) > 1:
        typer.echo("\nper pair (overall):")
        for pair in report.pairs:
            typer.echo(
                f"  {pair.reference} / {pair.other}: exact F1 {_figure(pair.overall.exact.f1)}, "
                f"overlap F1 {_figure(pair.overall.overlap.f1)}, kappa {_figure(pair.overall.kappa)}"
            )
    _echo_attribute_agreement(report.pairs)
    _echo_relation_agreement(report.pairs)


def _echo_rows(header: list[str], rows: list[list[str]]) -> None:
    """A table indented by two, the first column left-aligned and the others right-aligned."""
    widths = [max(len(line[column]) for line in [header, *rows]) for column in range(len(header))]
    for line in [header, *rows]:
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        typer.echo("  " + "  ".join(cells).rstrip())


def _echo_attribute_agreement(pairs) -> None:
    typer.echo(
        "\nattributes of matched spans (same label and offsets): Krippendorff's alpha, nominal;"
        "\nunits = span pairs where at least one set it (unset counts as the value '(none)')"
    )
    for pair in pairs:
        typer.echo(f"\n  {pair.reference} / {pair.other}: {pair.matched_spans} matched span(s)")
        if not pair.attributes:
            typer.echo("  no attribute set on a matched span")
            continue
        rows = [
            [name, str(figures.units), str(figures.agreed), _figure(figures.alpha).strip()]
            for name, figures in pair.attributes.items()
        ]
        _echo_rows(["attribute", "units", "agreed", "alpha"], rows)


def _echo_relation_agreement(pairs) -> None:
    typer.echo(
        "\nrelations: shared when of the same type between matched spans (head to head, tail to "
        "tail);\nprecision and recall of the second annotator against the first"
    )
    for pair in pairs:
        typer.echo(f"\n  {pair.reference} / {pair.other}")
        if not pair.relations:
            typer.echo("  no relation between their spans")
            continue
        rows = [
            [
                name,
                str(scores.reference),
                str(scores.other),
                str(scores.matched_other),
                *(_figure(value).strip() for value in (scores.precision, scores.recall, scores.f1)),
            ]
            for name, scores in [*pair.relations.items(), ("overall", pair.relations_overall)]
        ]
        _echo_rows(["type", pair.reference, pair.other, "shared", "P", "R", "F1"], rows)


# --- actors ---------------------------------------------------------------------------------

ACTORS_HELP = """Canonical actors: list them, suggest which spellings are one actor, accept the
suggestions, or merge actors.

\b
dossier actors                      every actor: name, type, mentions, documents, aliases
dossier actors --suggest            groups of names that look like one actor, best first
dossier actors --accept-suggestions each group becomes one actor (created, or an actor of
                                    the group extended, its other actors merged into it)
dossier actors --merge NAME NAME... the actors merge into the first: its name stays, the
                                    others' names and aliases become its aliases and their
                                    mentions link to it

\b
NAME is an actor's name (exactly, else without regard to case) or its uuid (`dossier actors
--json` lists them); a name that is no actor's, or several actors', is refused (exit 2).
--min-score S keeps the groups scored S or more (0 to 1; default: every group).
Each accepted group and each merge is one transaction, undoable in the window.

\b
--json prints, for the list, one object per actor:
  {"uuid", "name", "type", "label", "description", "aliases": [...], "mentions": N,
   "documents": N}
for --suggest, one object per group:
  {"names": [the distinct mention texts, as written, most mentioned first], "score": 0.93,
   "reasons": [...], "actors": [uuids of the existing actors in the group]}
and for --accept-suggestions and --merge, one object per actor made or extended:
  {"uuid", "name", "names": [...], "created": true|false, "merged": [uuids], "spans": N}"""


def _actor_json(summary) -> dict:
    return {
        "uuid": summary.uuid,
        "name": summary.name,
        "type": summary.type,
        "label": summary.label,
        "description": summary.description,
        "aliases": list(summary.aliases),
        "mentions": summary.mentions,
        "documents": summary.documents,
    }


def _find_actor(summaries, name: str):
    """The actor ``name`` names: a uuid, else its name exactly, else without regard to case.
    An unknown or ambiguous name exits with code 2 and says which."""
    by_uuid = [s for s in summaries if s.uuid == name]
    if by_uuid:
        return by_uuid[0]
    for found in (
        [s for s in summaries if s.name == name],
        [s for s in summaries if s.name.casefold() == name.casefold()],
    ):
        if len(found) == 1:
            return found[0]
        if found:
            uuids = ", ".join(s.uuid for s in found)
            raise fail(
                f"dossier actors: “{name}” names {len(found)} actors ({uuids}); "
                "give the uuid of the one you mean"
            )
    owners = [s for s in summaries if name.casefold() in {a.casefold() for a in s.aliases}]
    hint = f" (it is an alias of “{owners[0].name}”)" if len(owners) == 1 else ""
    raise fail(f"dossier actors: no actor is named “{name}”{hint}")


def _echo_actor_list(summaries) -> None:
    if not summaries:
        typer.echo(
            "no actors yet (link Actor spans to actors in the window, or accept suggestions)"
        )
        return
    header = ["name", "type", "mentions", "documents", "aliases"]
    table = [
        [
            _clip(s.name, 40),
            _clip(s.type, 16),
            str(s.mentions),
            str(s.documents),
            " / ".join(" ".join(a.split()) for a in s.aliases),
        ]
        for s in summaries
    ]
    widths = [max(len(line[column]) for line in [header, *table]) for column in range(4)]
    for line in [header, *table]:
        cells = [
            line[0].ljust(widths[0]),
            line[1].ljust(widths[1]),
            line[2].rjust(widths[2]),
            line[3].rjust(widths[3]),
            line[4],
        ]
        typer.echo("  ".join(cells).rstrip())
    typer.echo(f"\n{len(summaries)} actor(s)")


def _echo_proposals(proposals, names_of: dict[str, str]) -> None:
    if not proposals:
        typer.echo("no suggestions: no two names look like one actor")
        return
    for proposal in proposals:
        typer.echo(f"{proposal.score:.3f}  {' / '.join(proposal.names)}")
        for reason in proposal.reasons:
            typer.echo(f"       {reason}")
        if proposal.entity_uuids:
            actors = ", ".join(
                f"“{names_of.get(uuid, '?')}” ({uuid})" for uuid in proposal.entity_uuids
            )
            typer.echo(f"       actors: {actors}")
        typer.echo("")
    typer.echo(f"{len(proposals)} group(s)")


def _outcome(edit, names, spans: int) -> dict:
    """What an accepted group or a merge did: the actor made or extended, as JSON."""
    kept = edit.after[0].entity
    return {
        "uuid": kept.uuid,
        "name": kept.name,
        "names": list(names),
        "created": kept.uuid in edit.created,
        "merged": list(edit.removed),
        "spans": spans,
    }


@app.command(
    "actors", help=ACTORS_HELP, short_help="List actors; suggest, accept and merge spellings."
)
def actors_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (see above).")] = False,
    suggest: Annotated[
        bool, typer.Option("--suggest", help="List the groups of names that look like one actor.")
    ] = False,
    accept: Annotated[
        bool,
        typer.Option("--accept-suggestions", help="Make each suggested group one actor."),
    ] = False,
    min_score: Annotated[
        float | None,
        typer.Option("--min-score", metavar="S", help="Only groups scored S or more (0 to 1)."),
    ] = None,
    merge: Annotated[
        list[str],
        typer.Option(
            "--merge",
            metavar="NAME",
            help="Merge actors into the first named; further names may follow (--merge A B).",
        ),
    ] = [],  # noqa: B006
    more: Annotated[list[str] | None, typer.Argument(metavar="NAME", hidden=True)] = None,
    db: DbOption = None,
) -> None:
    names = [*merge, *(more or [])]
    if more and not merge:
        raise fail(f"dossier actors: unexpected argument “{more[0]}” (names follow --merge)")
    if sum((suggest, accept, bool(merge))) > 1:
        raise fail("dossier actors: choose one of --suggest, --accept-suggestions and --merge")
    if min_score is not None and not (suggest or accept):
        raise fail("dossier actors: --min-score applies to --suggest and --accept-suggestions")
    if min_score is not None and not 0 <= min_score <= 1:
        raise fail(f"dossier actors: --min-score must be from 0 to 1, not {min_score}")
    if merge and len(names) < 2:
        raise fail("dossier actors: --merge needs two or more actors (--merge NAME NAME)")
    with project(ctx, db) as store:
        if merge:
            _merge(store, names, as_json)
        elif suggest or accept:
            _suggestions(store, accept, min_score or 0.0, as_json)
        else:
            summaries = store.actor_summaries()
            if as_json:
                typer.echo(
                    json.dumps([_actor_json(s) for s in summaries], ensure_ascii=False, indent=2)
                )
            else:
                _echo_actor_list(summaries)


def _merge(store: Store, names: list[str], as_json: bool) -> None:
    from desktop.review.actors import merge_actors

    summaries = store.actor_summaries()
    found = [_find_actor(summaries, name) for name in names]
    keep, others = found[0], found[1:]
    for name, other in zip(names[1:], others, strict=True):
        if other.uuid == keep.uuid:
            raise fail(f"dossier actors: “{name}” is “{keep.name}” itself: nothing to merge")
    edit = merge_actors(store, keep.uuid, [other.uuid for other in others])
    change = edit.apply()
    merged = edit.after[0].entity
    if as_json:
        outcome = _outcome(edit, [merged.name, *merged.aliases], len(change.spans))
        typer.echo(json.dumps([outcome], ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"merged {', '.join(f'“{other.name}”' for other in others)} into “{merged.name}” "
        f"({merged.uuid}): {len(merged.aliases)} alias(es), {len(change.spans)} mention(s) relinked"
    )


def _suggestions(store: Store, accept: bool, min_score: float, as_json: bool) -> None:
    from desktop.review.actors import accept_proposal
    from desktop.review.actors import suggest as suggest_groups

    proposals = suggest_groups(store, min_score=min_score)
    if not accept:
        names_of = {s.uuid: s.name for s in store.actor_summaries()}
        if as_json:
            groups = [
                {
                    "names": list(p.names),
                    "score": p.score,
                    "reasons": list(p.reasons),
                    "actors": list(p.entity_uuids),
                }
                for p in proposals
            ]
            typer.echo(json.dumps(groups, ensure_ascii=False, indent=2))
        else:
            _echo_proposals(proposals, names_of)
        return
    # The groups are computed once; one whose actors an earlier group merged away is
    # passed over, and one the store refuses (an alias another actor holds) is reported.
    bars = ProgressBars()
    gone: set[str] = set()
    outcomes: list[dict] = []
    refused: list[str] = []
    try:
        for done, proposal in enumerate(proposals, start=1):
            if gone.intersection(proposal.entity_uuids):
                refused.append(f"“{' / '.join(proposal.names)}”: its actors were merged already")
            else:
                try:
                    edit = accept_proposal(store, proposal)
                    change = edit.apply()
                except StoreError as exc:
                    refused.append(f"“{' / '.join(proposal.names)}”: {exc}")
                else:
                    gone.update(edit.removed)
                    outcomes.append(_outcome(edit, proposal.names, len(change.spans)))
            bars("accepting", done, len(proposals))
    except KeyboardInterrupt:
        bars.close()
        raise fail(
            f"accepting interrupted; the {len(outcomes)} group(s) accepted before are kept"
        ) from None
    bars.close()
    for reason in refused:
        typer.echo(f"dossier actors: skipped {reason}", err=True)
    if as_json:
        typer.echo(json.dumps(outcomes, ensure_ascii=False, indent=2))
        return
    for outcome in outcomes:
        verb = "created" if outcome["created"] else "extended"
        merged = f", {len(outcome['merged'])} actor(s) merged into it" if outcome["merged"] else ""
        typer.echo(
            f"{verb} “{outcome['name']}” ({outcome['uuid']}): {' / '.join(outcome['names'])}"
            f"{merged}, {outcome['spans']} mention(s) linked"
        )
    created = sum(1 for outcome in outcomes if outcome["created"])
    typer.echo(
        f"{len(outcomes)} group(s) accepted: {created} actor(s) created, "
        f"{len(outcomes) - created} extended" + (f"; {len(refused)} skipped" if refused else "")
    )


# --- team ------------------------------------------------------------------------------------

TEAM_HELP = """A team on one PostgreSQL project: roles the database server enforces.

\b
dossier --db URL team init            set the project up for a team (again after an upgrade)
dossier --db URL team add NAME --role analyst|reviewer|admin
                                      a login and annotator NAME; its password is printed once
dossier --db URL team list            members, roles, spans and last change
dossier --db URL team remove NAME     NAME leaves the team (login and spans stay)

\b
An analyst changes only their own spans, relations and progress; a reviewer also the gold
layer and their review decisions; an admin everything, labels and schemas included. Every
member reads everything and adds articles. Run init, add and remove as the project's owner
or a superuser. Each person then opens the project with their own login
(dossier --db postgresql://NAME:PASSWORD@HOST/DATABASE): they annotate as NAME."""

team_app = typer.Typer(
    help=TEAM_HELP,
    short_help="Set up a team on PostgreSQL: roles, members.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(team_app, name="team")


@contextmanager
def team_project(ctx: typer.Context, db: str | None, command: str) -> Iterator[Store]:
    """The PostgreSQL project of a ``team`` command; an SQLite one is refused (exit 2) with
    how to make a team's project, and every store refusal is ``dossier team COMMAND: …``."""
    parent = ctx.find_root()
    location = project_location(db or (parent.obj or {}).get("db"))
    if not location.startswith(("postgresql://", "postgres://", "postgresql+")):
        raise fail(
            f"dossier team {command}: a team needs a PostgreSQL project: {location} is an "
            "SQLite project, which one person works in at a time. Create the project on a "
            "PostgreSQL server (dossier --db postgresql://USER@HOST/DATABASE import ...), then "
            f"run dossier --db postgresql://USER@HOST/DATABASE team {command} there"
        )
    with project(ctx, db) as store:
        try:
            yield store
        except StoreError as exc:
            raise fail(f"dossier team {command}: {exc}") from None


def _member_url(store: Store, name: str, password: str | None) -> str:
    """The project's URL as ``name`` signs in (the same server, database and options)."""
    url = store.engine.url.set(drivername="postgresql", username=name, password=password)
    return url.render_as_string(hide_password=False)


@team_app.command("init")
def team_init_command(ctx: typer.Context, db: DbOption = None) -> None:
    """Set the project up for a team: the group roles, their rights and the row-level
    security policies. Running it again brings them up to date (after an upgrade of Dossier
    added a table)."""
    from db.team import team_init

    with team_project(ctx, db, "init") as store:
        setup = team_init(store)
        typer.echo(f"team roles: {', '.join(setup.groups.values())}")
        typer.echo(f"row-level security on: {', '.join(setup.guarded)}")
        url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=True)
        typer.echo(
            f"add people with: dossier --db '{url}' team add NAME --role analyst|reviewer|admin"
        )


@team_app.command("add")
def team_add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The login and annotator name.")],
    role: Annotated[
        str,
        typer.Option(
            "--role", metavar="ROLE", help="analyst, reviewer or admin.", show_default=False
        ),
    ],
    no_password: Annotated[
        bool,
        typer.Option(
            "--no-password",
            help="No password: the server authenticates NAME otherwise (certificate, peer).",
        ),
    ] = False,
    reset_password: Annotated[
        bool, typer.Option("--reset-password", help="Give an existing login a new password.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add NAME to the team in ROLE (or move a member to ROLE): a PostgreSQL login and an
    annotator of that name. A new login's password is printed once, here: pass it on."""
    from db.team import team_add, team_list

    with team_project(ctx, db, "add") as store:
        before = {member.name: member.role for member in team_list(store)}
        password = team_add(
            store, name, role, password=not no_password, reset_password=reset_password
        )
        name = name.strip()
        was = before.get(name)
        if was is None:
            typer.echo(f"{name} joined the team as {role}")
        elif was != role:
            typer.echo(f"{name}: {was} → {role}")
        else:
            typer.echo(f"{name} stays {role}")
        if password is not None:
            typer.echo(f"password (shown this once): {password}")
            typer.echo(f"connect: dossier --db '{_member_url(store, name, password)}'")
        elif no_password or was is None:
            typer.echo(
                f"connect: dossier --db '{_member_url(store, name, None)}' "
                "(the server authenticates them by certificate or peer, as it is set up)"
            )


@team_app.command("list")
def team_list_command(ctx: typer.Context, db: DbOption = None) -> None:
    """The team's members: role, spans, and their last recorded change."""
    from db.team import member_activity, team_list

    with team_project(ctx, db, "list") as store:
        members = team_list(store)
        if not members:
            typer.echo("no members yet (add them with: dossier team add NAME --role analyst)")
            return
        activity = member_activity(store, members)
    width = max(len("member"), *(len(member.name) for member in members))
    typer.echo(f"{'member'.ljust(width)}  {'role'.ljust(8)}  {'spans':>7}  last change")
    for member in members:
        done = activity[member.name]
        last = done.last_change[:19].replace("T", " ") if done.last_change else "-"
        typer.echo(f"{member.name.ljust(width)}  {member.role.ljust(8)}  {done.spans:>7}  {last}")


@team_app.command("remove")
def team_remove_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The member's login.")],
    db: DbOption = None,
) -> None:
    """Take NAME out of the team: their role goes; their login and their spans stay (a
    login in no team role reads and writes as before the team, so drop it on the server,
    or lock it, if they leave)."""
    from db.team import team_remove

    with team_project(ctx, db, "remove") as store:
        member = team_remove(store, name)
        typer.echo(f"{member.name} ({member.role}) left the team; their spans stay")


# --- suggest and train -----------------------------------------------------------------------


def _default_annotator() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (some containers)
        return "analyst"


@app.command("suggest")
def suggest_command(
    ctx: typer.Context,
    rules: Annotated[
        bool, typer.Option("--rules", help="Suggest with the rules (the default).")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            metavar="PATH_OR_NAME",
            help="Suggest with a spaCy pipeline: an installed package name or a folder "
            "(e.g. one written by `dossier train`).",
        ),
    ] = None,
    document: Annotated[
        list[int],
        typer.Option(
            "--document",
            metavar="ID",
            help="Only this document (repeatable; `dossier documents` lists the ids).",
        ),
    ] = [],  # noqa: B006
    annotator: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Whose suggestions these are (default: your user name)."),
    ] = None,
    mapping: Annotated[
        list[str],
        typer.Option(
            "--map",
            metavar="FROM=TO",
            help="--model: map a pipeline label to a Dossier label, e.g. GPE=Actor, or drop "
            "it with DATE= (repeatable; default PERSON, ORG, NORP, GPE → Actor, EVENT → Event).",
        ),
    ] = [],  # noqa: B006
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Keep pending suggestions of the same origin that this run no longer finds.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Suggest spans (status suggested) for an analyst to accept or reject."""
    from desktop.nlp.pipelines import PipelineError, parse_label_map
    from desktop.nlp.suggest import RULES, suggest
    from desktop.nlp.uncertainty import rank_by_uncertainty

    if rules and model:
        raise fail("dossier suggest: choose --rules or --model, not both")
    if mapping and not model:
        raise fail("dossier suggest: --map applies to --model pipelines only")
    try:
        labels = parse_label_map(mapping)
    except ValueError as exc:
        raise fail(f"dossier suggest: {exc}") from None
    name = annotator if annotator is not None else _default_annotator()
    if not name.strip():
        raise fail("dossier suggest: the annotator name is empty")
    with project(ctx, db, actor=name) as store:
        known = store.document_ids()
        if not known:
            raise fail(
                "dossier suggest: the project has no documents; import some with `dossier import`"
            )
        missing = sorted(set(document) - set(known))
        if missing:
            raise fail(
                f"dossier suggest: no document with id {missing[0]} (ids run from {known[0]} to {known[-1]})"
            )
        bars = ProgressBars()
        try:
            summary = suggest(
                store,
                list(dict.fromkeys(document)) or None,
                name,
                source=model or RULES,
                labels=labels,
                replace=not keep,
                progress=bars,
            )
        except PipelineError as exc:
            bars.close()
            raise fail(f"dossier suggest: {exc}") from None
        except KeyboardInterrupt:
            bars.close()
            raise fail(
                "suggest interrupted; suggestions on the documents already finished are kept"
            ) from None
        bars.close()
    lines = [
        f"{summary.added} suggestion(s) added for {name!r} on {len(summary.done)} document(s) ({summary.source})"
    ]
    if summary.per_label:
        lines.append(
            "  "
            + ", ".join(f"{label} {count}" for label, count in sorted(summary.per_label.items()))
        )
    if summary.skipped:
        lines.append(
            f"{summary.skipped} already there, rejected before, or overlapping {name}'s accepted spans"
        )
    if summary.removed:
        lines.append(f"{summary.removed} stale suggestion(s) removed")
    if summary.uncertainty:
        ranked = rank_by_uncertainty(summary.uncertainty)[:5]
        lines.append(
            "most uncertain documents: "
            + ", ".join(f"{doc} ({summary.uncertainty[doc]:.2f})" for doc in ranked)
        )
    typer.echo("\n".join(lines))


@app.command("train")
def train_command(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="The folder to write the spaCy pipeline to; its parent folder must exist.",
        ),
    ],
    annotator: Annotated[
        list[str],
        typer.Option(
            metavar="NAME",
            help="Train on this annotator's accepted spans (repeatable; default: everyone's).",
        ),
    ] = [],  # noqa: B006
    gold: Annotated[
        bool, typer.Option("--gold", help="Train on the adjudicated gold layer.")
    ] = False,
    seed: Annotated[
        int, typer.Option(metavar="N", help="Seed of the train/held-out split and of training.")
    ] = 0,
    held_out: Annotated[
        float,
        typer.Option(
            "--held-out",
            metavar="SHARE",
            help="Share of annotated documents held out for scoring.",
        ),
    ] = 0.2,
    epochs: Annotated[
        int, typer.Option(metavar="N", help="Passes over the training documents.")
    ] = 20,
    db: DbOption = None,
) -> None:
    """Train a spaCy span categorizer from accepted spans; report precision, recall and F1."""
    from desktop.nlp.train import Cancelled, TrainingError, TrainOptions, train

    if gold and annotator:
        raise fail("dossier train: choose --annotator or --gold, not both")
    if not 0 <= held_out < 1:
        raise fail(f"dossier train: --held-out must be at least 0 and below 1, not {held_out}")
    if epochs < 1:
        raise fail(f"dossier train: --epochs must be at least 1, not {epochs}")
    check_output_folder("train", output)
    options = TrainOptions(
        annotators=tuple(annotator), gold=gold, held_out=held_out, seed=seed, epochs=epochs
    )
    with project(ctx, db) as store:
        bars = ProgressBars()
        try:
            report = train(store, output, options, bars)
        except TrainingError as exc:
            bars.close()
            raise fail(f"dossier train: {exc}") from None
        except (Cancelled, KeyboardInterrupt):
            bars.close()
            raise fail("training cancelled; nothing was written") from None
        bars.close()
    lines = [
        f"model written to {report.output}",
        f"trained on {len(report.train_documents)} document(s) ({report.train_spans} span(s)), "
        f"{report.epochs} epoch(s), {report.seconds:.1f} s",
    ]
    if report.unreachable_spans:
        lines.append(
            f"{report.unreachable_spans} training span(s) longer than the model's longest candidate"
        )
    if report.overall is None:
        lines.append(
            "no held-out documents: nothing to score (annotate more documents or raise --held-out)"
        )
    else:
        lines.append(
            f"\nheld out: {len(report.held_out_documents)} document(s), {report.held_out_spans} span(s); exact matches"
        )
        width = max(len(label) for label in [*report.scores, "label"])
        lines.append(f"  {'label'.ljust(width)}  precision  recall     f1   gold  suggested")
        for score in [*report.scores.values(), report.overall]:
            lines.append(
                f"  {score.label.ljust(width)}  {score.precision:9.2f}  {score.recall:6.2f}  {score.f1:5.2f}"
                f"  {score.gold:5d}  {score.predicted:9d}"
            )
    typer.echo("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        app(args=argv, prog_name="dossier", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except StoreError as exc:  # outside a command's project (the window's start, say)
        return fail(f"dossier: {exc}").exit_code
    except (DBAPIError, sqlite3.Error) as exc:
        return fail(f"dossier: {unavailable(exc)}").exit_code
    except OSError as exc:
        return fail(f"dossier: {_os_reason(exc)}").exit_code
    return 0


def gui_main() -> int:
    """Entry point of the desktop launcher: the window on the default project."""
    return gui(None)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
