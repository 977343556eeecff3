"""The ``dossier`` command: the console commands, and the window when no command is given.

Qt-free. Exit codes: 0 on success, 2 on bad input (with ``file:line: reason`` on stderr).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import click
import typer

from db.engine import DatabaseError
from db.records import ExportFilter
from db.store import Store
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
        help="The project: an SQLite file or a database URL (postgresql://...). "
        "Default: $DOSSIER_DB, else the default project in your data folder.",
        show_default=False,
    ),
]


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


@contextmanager
def project(ctx: typer.Context, db: str | None) -> Iterator[Store]:
    """Open the chosen project for one command, turning every refusal into exit code 2."""
    location = project_location(db or (ctx.obj or {}).get("db"))
    try:
        store = Store.open(location)
    except DatabaseError as exc:
        raise fail(f"dossier: {exc}") from None
    try:
        yield store
    finally:
        store.close()


class ProgressBars:
    """Progress bars on stderr, one per phase ("reading", "writing", "exporting")."""

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
        list[Path], typer.Argument(help="Files and folders (folders are read recursively).")
    ],
    annotator: Annotated[
        str | None,
        typer.Option(
            help="Attribute every span to this annotator (default: the one the file names)."
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="auto, text, jsonl, prodigy, doccano, brat or labelstudio."
        ),
    ] = "auto",
    db: DbOption = None,
) -> None:
    """Import articles and annotations. All or nothing: on any error nothing is written."""
    from desktop.formats import Cancelled, ImportOptions, InputError, import_paths

    with project(ctx, db) as store:
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
        lines.append(f"{count} task(s) skipped as {reason}")
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
            help="jsonl (native), prodigy, doccano, spacy, conll, brat, labelstudio, csv, events or claims.",
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file (or folder, for brat) to write.")
    ],
    annotator: Annotated[
        list[str], typer.Option(help="Only this annotator's spans (repeatable).")
    ] = [],  # noqa: B006
    gold: Annotated[bool, typer.Option("--gold", help="Only the adjudicated gold layer.")] = False,
    label: Annotated[list[str], typer.Option(help="Only spans with this label (repeatable).")] = [],  # noqa: B006
    status: Annotated[
        list[str],
        typer.Option(
            help="Only spans with this status (repeatable; default: accepted, or every status for jsonl)."
        ),
    ] = [],  # noqa: B006
    split: Annotated[
        float | None, typer.Option(help="spacy: share of documents held out in dev.spacy.")
    ] = None,
    seed: Annotated[int, typer.Option(help="spacy: seed of the train/dev split.")] = 0,
    overlap: Annotated[
        str,
        typer.Option(
            help="conll: which span wins where spans overlap: longest, first, or label-order."
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


# --- agreement ------------------------------------------------------------------------------


# --- suggest and train -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        app(args=argv, prog_name="dossier", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def gui_main() -> int:
    """Entry point of the desktop launcher: the window on the default project."""
    return gui(None)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
