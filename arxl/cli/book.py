"""The book commands: ``arxl new``, ``demo``, ``check``, ``refresh`` and ``statements``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from .common import (
    DATE,
    EXIT_INVALID,
    EXIT_OK,
    err_console,
    exit_invalid,
    handle_errors,
    out_console,
    output_option,
    print_github_annotations,
    print_problems,
    progress,
    status,
    summary_line,
    today,
)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@handle_errors
def new(path: Path, force: bool) -> None:
    """Create a blank AR workbook at PATH.

    \b
    Example:  arxl new receivables.xlsx
    """
    from ..verbs.create import new_book

    new_book(path, force=force)
    out_console.print(f"Created {path}: fill in Customers, Invoices and Payments, then run arxl check {path}",
                      markup=False)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--customers", type=click.IntRange(1), default=None,
              help="Number of customers (default: 60, or invoices/50 for big books).")
@click.option("--invoices", type=click.IntRange(1), default=3000, show_default=True, help="Number of invoices.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed: same seed, same book.")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Last day of the history (default: today).")
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@handle_errors
def demo(path: Path, customers: int | None, invoices: int, seed: int, as_of: dt.date | None, force: bool) -> None:
    """Create a realistic demo AR workbook at PATH (18 months of history).

    \b
    Example:  arxl demo demo.xlsx --invoices 100000 --seed 1 --as-of 2026-06-30
    """
    from ..verbs.create import demo_book

    as_of = as_of or today()
    with progress(f"generating {invoices:,} invoices"):
        demo_book(path, customers=customers, invoices=invoices, seed=seed, as_of=as_of, force=force)
    out_console.print(f"Created {path}: {invoices:,} invoices up to {as_of.isoformat()}", markup=False)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["table", "json", "github"]), default="table",
              show_default=True,
              help="table for people, json for programs, github for GitHub Actions annotations.")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True,
              help="Most problems to list in table or github format.")
@handle_errors
def check(path: Path, output_format: str, limit: int) -> None:
    """Validate the workbook at PATH and list every problem.

    Exit 0 when there are no errors (warnings allowed), 1 when there are errors, 2 when the file cannot be used.

    \b
    Example:  arxl check ar.xlsx --format json
    """
    from ..verbs.books import file_book
    from ..verbs.check import check_book

    with status(f"Checking {path.name}"):
        result = check_book(file_book(path))
    if output_format == "json":
        keys = ("severity", "sheet", "row", "column", "value", "message", "expected")
        payload = [{key: getattr(problem, key) for key in keys} | {"text": str(problem)}
                   for problem in result.problems]
        click.echo(json.dumps(payload, indent=1, ensure_ascii=False))
    else:
        if output_format == "github":
            print_github_annotations(path, result.problems, limit)
        elif result.problems:
            print_problems(result.problems, limit)
        out_console.print(summary_line(path, result.problems), markup=False)
    sys.exit(EXIT_OK if result.ok else EXIT_INVALID)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Report date (default: Settings as_of, else today).")
@click.option("--only", default=None, metavar="SHEETS",
              help="Comma-separated subset of: dashboard,aging,detail,statements,checks,collections,forecast.")
@output_option("Write the refreshed book here instead of replacing PATH.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the one-line summary (and problems).")
@click.option("--format", "output_format", type=click.Choice(["table", "github"]), default="table",
              show_default=True, help="How problems are listed: table, or github (GitHub Actions annotations).")
@handle_errors
def refresh(path: Path, as_of: dt.date | None, only: str | None, output: Path | None, force: bool,
            quiet: bool, output_format: str) -> None:
    """Rebuild the generated sheets (Dashboard, Aging, Aging Detail, statements, Checks, Collections, Forecast).

    The book is validated first: on any error nothing is written and the problems are printed (exit 1).
    Only sheets arxl generated are replaced; everything else in the file is kept byte for byte. The save is
    atomic and the previous version is kept as PATH's backup (Settings: backups).

    \b
    Example:  arxl refresh ar.xlsx --as-of 2026-06-30
              arxl refresh ar.xlsx --only aging,checks --output aging-only.xlsx
    """
    from ..errors import ValidationFailed
    from ..verbs.books import file_book
    from ..verbs.refresh import parse_only, run_refresh

    try:
        kinds = parse_only(only)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--only") from exc
    say = (lambda _message: None) if quiet else (lambda message: err_console.print(f"  {message}", markup=False))
    try:
        result = run_refresh(file_book(path, output=output, force=force), as_of=as_of, today=today(), only=kinds,
                             progress=say)
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=True, github=output_format == "github")
    timing = ", ".join(f"{step} {seconds:.2f}s" for step, seconds in result.timings.items())
    warnings = len(result.problems)
    removed = f", removed {len(result.removed)}" if result.removed else ""
    target = output or path
    if output_format == "github":
        print_github_annotations(path, result.problems)
    if result.backup is not None and not quiet:
        err_console.print(f"  previous version kept as {result.backup.name}", markup=False)
    out_console.print(f"OK: {target}: {len(result.sheets)} sheet(s) as of {result.as_of.isoformat()}{removed}, "
                      f"{warnings} warning(s) ({timing})", markup=False)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@output_option("Folder to write one PDF per customer into (created if needed).", directory=True,
               required=True, aliases=("--pdf",))
@click.option("--customer", "customers", multiple=True, metavar="ID",
              help="Only this customer (repeat for several). Default: every customer with a balance.")
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Statement date (default: Settings as_of, else today).")
@click.option("--jobs", type=click.IntRange(1, 16), default=None,
              help="LibreOffice processes at once (default: 2 to 4, by the number of CPUs).")
@handle_errors
def statements(path: Path, output: Path, customers: tuple[str, ...], as_of: dt.date | None,
               jobs: int | None) -> None:
    """Write print-ready open-item statements as PDF files, one per customer with a balance (needs LibreOffice).

    Any number of customers: LibreOffice converts them in batches, several at once, with progress on stderr.
    Exit 0 when every PDF was written, 1 when the workbook has errors, 2 when LibreOffice is missing or could
    not convert some statements (they are named; the others are written).

    \b
    Example:  arxl statements ar.xlsx --output statements/ --customer C0001
    """
    from ..errors import ValidationFailed
    from ..verbs.books import file_book
    from ..verbs.statements import UnknownCustomers, statement_pdfs

    try:
        with progress("reading the workbook") as say:
            written = statement_pdfs(file_book(path), output, as_of=as_of, today=today(), customers=customers,
                                     progress=say, workers=jobs)
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=True)
    except UnknownCustomers as unknown:
        raise click.BadParameter(str(unknown), param_hint="--customer") from unknown
    out_console.print(f"OK: {len(written.files):,} statement PDF(s) as of {written.as_of.isoformat()} in {output}",
                      markup=False)
