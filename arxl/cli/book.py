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
    now,
    out_console,
    output_option,
    print_failed_checks,
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
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Date the checks are run at (default: Settings as_of, else today).")
@handle_errors
def check(path: Path, output_format: str, limit: int, as_of: dt.date | None) -> None:
    """Validate the workbook at PATH and list every problem; on a valid book, run its checks (reconciliations
    and the Assertions table) as of --as-of, else Settings as_of, else today.

    Exit 0 when there are no errors (warnings allowed), 1 when there are errors or a check failed, 2 when the
    file cannot be used.

    \b
    Example:  arxl check ar.xlsx --format json
    """
    from ..verbs.books import file_book
    from ..verbs.check import check_book

    with status(f"Checking {path.name}"):
        result = check_book(file_book(path), as_of=as_of, today=today())
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
              help="Comma-separated subset of: dashboard,aging,detail,statements,checks,collections,forecast,"
                   "revaluation,allowance,credit.")
@output_option("Write the refreshed book here instead of replacing PATH.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@click.option("--discard-edits", is_flag=True,
              help="Rewrite generated sheets even where someone typed in them (the backup keeps the edits).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the one-line summary (and problems).")
@click.option("--format", "output_format", type=click.Choice(["table", "github"]), default="table",
              show_default=True, help="How problems are listed: table, or github (GitHub Actions annotations).")
@handle_errors
def refresh(path: Path, as_of: dt.date | None, only: str | None, output: Path | None, force: bool,
            discard_edits: bool, quiet: bool, output_format: str) -> None:
    """Rebuild the generated sheets (Dashboard, Aging, Aging Detail, statements, Checks, Collections, Forecast,
    Revaluation, Allowance, Credit) of PATH.

    The book is validated first: on any error nothing is written and the problems are printed (exit 1).
    Only sheets arxl generated are replaced; everything else in the file is kept byte for byte. What was typed
    in the Collections sheet's Outcome, Note and Promised columns is added to Activity; any other change to a
    generated sheet stops the refresh (exit 1) unless --discard-edits. The save is atomic and the previous
    version is kept as PATH's backup (Settings: backups).

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
                             progress=say, discard_edits=discard_edits, now=now())
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=True, github=output_format == "github")
    timing = ", ".join(f"{step} {seconds:.2f}s" for step, seconds in result.timings.items())
    warnings = len(result.problems)
    removed = f", removed {len(result.removed)}" if result.removed else ""
    target = output or path
    if output_format == "github":
        print_github_annotations(path, result.problems)
    for note in result.notes:
        err_console.print(f"  note: {note}", markup=False)
    if result.backup is not None and not quiet:
        err_console.print(f"  previous version kept as {result.backup.name}", markup=False)
    print_failed_checks(path, result.failed_checks, github=output_format == "github")
    verdict = f"FAILED: {len(result.failed_checks)} check(s) failed; " if result.failed_checks else "OK: "
    out_console.print(f"{verdict}{target}: {len(result.sheets)} sheet(s) as of {result.as_of.isoformat()}"
                      f"{removed}, {warnings} warning(s) ({timing})", markup=False)
    if result.failed_checks:
        sys.exit(EXIT_INVALID)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["open-items", "activity"]), default="open-items", show_default=True,
              help="open-items: what is owed at the date; activity: every movement of a period with balances.")
@output_option("Write one PDF per customer into this folder (created if needed; needs LibreOffice) instead of "
               "sheets in the book.", directory=True, aliases=("--pdf",))
@click.option("--customer", "customers", multiple=True, metavar="ID",
              help="Only this customer (repeat for several). Default: every customer with a balance (activity: "
                   "with a movement or a balance).")
@click.option("--from", "start", type=DATE, default=None, help="First day of the period (--kind activity).")
@click.option("--to", "end", type=DATE, default=None,
              help="Last day of the period (--kind activity; default: Settings as_of, else today).")
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Statement date (--kind open-items; default: Settings as_of, else today).")
@click.option("--jobs", type=click.IntRange(1, 16), default=None,
              help="With --output: LibreOffice processes at once (default: 2 to 4, by the number of CPUs).")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@click.option("--discard-edits", is_flag=True,
              help="Rewrite statement sheets even where someone typed in them (the backup keeps the edits).")
@handle_errors
def statements(path: Path, kind: str, output: Path | None, customers: tuple[str, ...], start: dt.date | None,
               end: dt.date | None, as_of: dt.date | None, jobs: int | None, force: bool,
               discard_edits: bool) -> None:
    """Write customer statements: print-ready PDF files (--output DIR, needs LibreOffice) or sheets in the book.

    Open-item statements (ST sheets) list what is owed at the date; activity statements (AS sheets) give the
    opening balance, every document of the period with a running balance, and the closing balance. PDFs: any
    number of customers, converted in batches, several at once, with progress on stderr. Exit 0 when every PDF
    was written, 1 when the workbook has errors, 2 when LibreOffice is missing or could not convert some
    statements (they are named; the others are written).

    \b
    Example:  arxl statements ar.xlsx --output statements/ --customer C0001
              arxl statements ar.xlsx --kind activity --from 2026-06-01 --to 2026-06-30 --output activity/
              arxl statements ar.xlsx --kind activity --from 2026-06-01     (AS sheets in the book)
    """
    from ..errors import ValidationFailed
    from ..verbs import statements as verb
    from ..verbs.books import file_book

    if kind == "activity" and start is None:
        raise click.BadParameter("an activity statement needs the first day of its period", param_hint="--from")
    if kind == "open-items" and (start is not None or end is not None):
        raise click.BadParameter("--from and --to are for --kind activity; open-item statements take --as-of",
                                 param_hint="--from")
    if kind == "open-items" and customers and output is None:
        raise click.BadParameter("the ST sheets are written for every customer with a balance; --customer "
                                 "goes with --output", param_hint="--customer")
    book = file_book(path, force=force)
    first = start or dt.date.min  # given whenever kind is activity (checked above)
    try:
        with progress("reading the workbook") as say:
            if kind == "activity" and output is not None:
                written = verb.activity_pdfs(book, output, start=first, end=end, today=today(),
                                             customers=customers, progress=say, workers=jobs)
            elif kind == "activity":
                sheets = verb.activity_sheets(book, start=first, end=end, today=today(), customers=customers,
                                              progress=say, discard_edits=discard_edits)
            elif output is not None:
                written = verb.statement_pdfs(book, output, as_of=as_of, today=today(), customers=customers,
                                              progress=say, workers=jobs)
            else:
                refreshed = verb.statement_sheets(book, as_of=as_of, today=today(), progress=say,
                                                  discard_edits=discard_edits)
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=True)
    except verb.UnknownCustomers as unknown:
        raise click.BadParameter(str(unknown), param_hint="--customer") from unknown
    if output is not None:
        what = "activity statement" if kind == "activity" else "statement"
        out_console.print(f"OK: {len(written.files):,} {what} PDF(s) as of {written.as_of.isoformat()} in "
                          f"{output}", markup=False)
    elif kind == "activity":
        removed = f", removed {len(sheets.removed)} older" if sheets.removed else ""
        out_console.print(f"OK: {path}: {len(sheets.sheets)} activity statement sheet(s) (AS ...) from "
                          f"{sheets.start.isoformat()} to {sheets.end.isoformat()}{removed}", markup=False)
    else:
        out_console.print(f"OK: {path}: {len(refreshed.sheets)} statement sheet(s) as of "
                          f"{refreshed.as_of.isoformat()}", markup=False)
