"""The ``arxl`` command: a thin shell over the library that turns domain errors into messages and exit codes.

Exit codes (stable, for scripts and CI):
    0  done; no errors in the workbook (warnings allowed)
    1  the workbook has errors (they are printed); nothing was written
    2  the file cannot be used at all (missing, not a workbook, hostile), or the command line is wrong
    3  arxl itself failed (a bug: please report it with the message)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table as RichTable

from .errors import ArxlError, MissingToolError, SaveRefused, WorkbookError
from .problems import Problem

if TYPE_CHECKING:
    from .ledger import Ledger
    from .workbook.book import FileBook

EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE, EXIT_BUG = 0, 1, 2, 3

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
# Piped output (CI logs, files) gets wide tables instead of rich's 80-column default.
out_console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)


def _today() -> dt.date:
    """The only place arxl asks the clock: the face decides what "today" is."""
    return dt.date.today()


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command turning arxl's exceptions into one-line messages and documented exit codes."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (WorkbookError, SaveRefused, MissingToolError) as exc:
            click.echo(f"arxl: {exc}", err=True)
            sys.exit(EXIT_UNUSABLE)
        except ArxlError as exc:
            click.echo(f"arxl: {exc}", err=True)
            sys.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("arxl: interrupted; nothing was written", err=True)
            sys.exit(130)
        except Exception as exc:
            click.echo(f"arxl: internal error ({type(exc).__name__}: {exc}); please report it", err=True)
            sys.exit(EXIT_BUG)

    return wrapper


class DateParam(click.ParamType):
    """A date given as YYYY-MM-DD on the command line."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date (expected YYYY-MM-DD such as 2026-02-28)", param, ctx)


DATE = DateParam()


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise WorkbookError(f"{path}: already exists; use --force to replace it")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="arxl")
def main() -> None:
    """arxl: Accounts Receivable in an Excel workbook.

    \b
    Start:   arxl new ar.xlsx        (a blank workbook)   or   arxl demo demo.xlsx
    Check:   arxl check ar.xlsx      (every problem, with sheet, row and column)
    Reports: arxl report aging ar.xlsx --format csv
    """


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@handle_errors
def new(path: Path, force: bool) -> None:
    """Create a blank AR workbook at PATH.

    \b
    Example:  arxl new receivables.xlsx
    """
    from .workbook.template import build_template

    _refuse_overwrite(path, force)
    build_template(path)
    out_console.print(f"Created {path}: fill in Customers, Invoices and Payments, then run arxl check {path}",
                      markup=False)


@main.command()
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
    from .workbook import write_demo

    _refuse_overwrite(path, force)
    as_of = as_of or _today()
    with err_console.status(f"Generating {invoices:,} invoices..."):
        write_demo(path, customers=customers, invoices=invoices, seed=seed, as_of=as_of)
    out_console.print(f"Created {path}: {invoices:,} invoices up to {as_of.isoformat()}", markup=False)


def _print_problems(problems: list[Problem], limit: int) -> None:
    table = RichTable(show_lines=False, header_style="bold")
    for title in ("severity", "where", "value", "problem"):
        table.add_column(title, overflow="fold")
    for problem in problems[:limit]:
        style = "red" if problem.is_error else "yellow"
        expected = f" (expected {problem.expected})" if problem.expected else ""
        table.add_row(f"[{style}]{problem.severity}[/{style}]", problem.location(), problem.value,
                      problem.message + expected)
    out_console.print(table)
    if len(problems) > limit:
        out_console.print(f"... and {len(problems) - limit:,} more (use --limit or --format json)", markup=False)


def load_or_exit(path: Path, *, writes: bool = False) -> tuple[FileBook, Ledger]:
    """The book and its validated ledger; on errors print every problem and exit 1 (nothing to work from).

    ``writes``: the command would have changed files, so the summary says that nothing was written.
    """
    from .errors import ValidationFailed
    from .refresh import load_validated
    from .workbook.book import FileBook

    book = FileBook(path)
    try:
        return book, load_validated(book).ledger
    except ValidationFailed as failed:
        _print_problems(failed.problems, 200)
        suffix = "; nothing was written" if writes else ""
        out_console.print(summary_line(path, failed.problems) + suffix, markup=False)
        sys.exit(EXIT_INVALID)


def as_of_or_default(ledger: Ledger, given: dt.date | None) -> dt.date:
    """The date given on the command line, else Settings as_of, else today."""
    from .refresh import resolve_as_of

    return resolve_as_of(ledger, given, _today())


def summary_line(path: Path, problems: list[Problem]) -> str:
    errors = sum(problem.is_error for problem in problems)
    warnings = len(problems) - errors
    verdict = "FAILED" if errors else "OK"
    return f"{verdict}: {path}: {errors} error(s), {warnings} warning(s)"


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["table", "json", "github"]), default="table",
              show_default=True, help="table for people, json for programs, github for GitHub Actions annotations.")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True,
              help="Most problems to list in table or github format.")
@handle_errors
def check(path: Path, output_format: str, limit: int) -> None:
    """Validate the workbook at PATH and list every problem.

    Exit 0 when there are no errors (warnings allowed), 1 when there are errors, 2 when the file cannot be used.

    \b
    Example:  arxl check ar.xlsx --format json
    """
    from .workbook import load_book

    result = load_book(path)
    if output_format == "json":
        keys = ("severity", "sheet", "row", "column", "value", "message", "expected")
        payload = [{key: getattr(problem, key) for key in keys} | {"text": str(problem)}
                   for problem in result.problems]
        click.echo(json.dumps(payload, indent=1, ensure_ascii=False))
    else:
        if output_format == "github":
            from .cli_data import print_github_annotations

            print_github_annotations(path, result.problems, limit)
        elif result.problems:
            _print_problems(result.problems, limit)
        out_console.print(summary_line(path, result.problems), markup=False)
    sys.exit(EXIT_OK if result.ok else EXIT_INVALID)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Report date (default: Settings as_of, else today).")
@click.option("--only", default=None, metavar="SHEETS",
              help="Comma-separated subset of: dashboard,aging,detail,statements,checks,collections,forecast.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the refreshed book here instead of replacing PATH.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the one-line summary (and problems).")
@click.option("--format", "output_format", type=click.Choice(["table", "github"]), default="table",
              show_default=True, help="How problems are listed: table, or github (GitHub Actions annotations).")
@handle_errors
def refresh(path: Path, as_of: dt.date | None, only: str | None, output: Path | None, force: bool,
            quiet: bool, output_format: str) -> None:
    """Rebuild the generated sheets (Dashboard, Aging, Aging Detail, statements, Checks) of PATH.

    The book is validated first: on any error nothing is written and the problems are printed (exit 1).
    Only sheets arxl generated are replaced; everything else in the file is kept byte for byte. The save is
    atomic and the previous version is kept as PATH's backup (Settings: backups).

    \b
    Example:  arxl refresh ar.xlsx --as-of 2026-06-30
              arxl refresh ar.xlsx --only aging,checks --output aging-only.xlsx
    """
    from .errors import ValidationFailed
    from .refresh import parse_only, run_refresh
    from .workbook.book import FileBook
    from .workbook.save import book_lock

    try:
        kinds = parse_only(only)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--only") from exc
    book = FileBook(path, output=output, force=force)
    say = (lambda _message: None) if quiet else (lambda message: err_console.print(f"  {message}", markup=False))
    try:
        with book_lock(path):
            result = run_refresh(book, as_of=as_of, today=_today(), only=kinds, progress=say)
    except ValidationFailed as failed:
        if output_format == "github":
            from .cli_data import print_github_annotations

            print_github_annotations(path, failed.problems)
        else:
            _print_problems(failed.problems, 200)
        out_console.print(summary_line(path, failed.problems) + "; nothing was written", markup=False)
        sys.exit(EXIT_INVALID)
    timing = ", ".join(f"{step} {seconds:.2f}s" for step, seconds in result.timings.items())
    warnings = len(result.problems)
    removed = f", removed {len(result.removed)}" if result.removed else ""
    target = output or path
    if output_format == "github":
        from .cli_data import print_github_annotations

        print_github_annotations(path, result.problems)
    if book.backup is not None and not quiet:
        err_console.print(f"  previous version kept as {book.backup.name}", markup=False)
    out_console.print(f"OK: {target}: {len(result.sheets)} sheet(s) as of {result.as_of.isoformat()}{removed}, "
                      f"{warnings} warning(s) ({timing})", markup=False)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pdf", "pdf_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write one PDF per customer into.")
@click.option("--customer", "customers", multiple=True, metavar="ID",
              help="Only this customer (repeat for several). Default: every customer with a balance.")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Statement date (default: Settings as_of, else today).")
@handle_errors
def statements(path: Path, pdf_dir: Path, customers: tuple[str, ...], as_of: dt.date | None) -> None:
    """Write print-ready open-item statements as PDF files (needs LibreOffice).

    \b
    Example:  arxl statements ar.xlsx --pdf statements/ --customer C0001
    """
    from . import render
    from .aging import aging
    from .workbook.pdf import find_soffice, write_pdfs

    soffice = find_soffice()
    _book, ledger = load_or_exit(path, writes=True)
    date = as_of_or_default(ledger, as_of)
    report = aging(ledger, date)
    specs = render.statement_sheets(ledger, report)
    if customers:
        known = set(ledger.customers["customer_id"])
        unknown = [customer for customer in customers if customer not in known]
        if unknown:
            raise click.BadParameter(f"{', '.join(unknown)}: not in the Customers table", param_hint="--customer")
        wanted = {render.statement_sheet_name(customer, set()) for customer in customers}
        specs = [spec for spec in specs if spec.name in wanted]
    with err_console.status(f"Converting {len(specs)} statement(s) with LibreOffice..."):
        files = write_pdfs(specs, pdf_dir, soffice=soffice)
    out_console.print(f"OK: {len(files)} statement PDF(s) as of {date.isoformat()} in {pdf_dir}", markup=False)


def register_report_commands() -> None:
    """Attach the ``report`` group (kept in its own module: it is the machine-readable face of the engine)."""
    from .cli_report import report

    main.add_command(report)


register_report_commands()


from .cli_data import register_data_commands  # noqa: E402 - after main exists: cli_data imports from this module

register_data_commands()


def register_collections_commands() -> None:
    """Attach ``letters``, ``apply`` and ``report worklist`` / ``report forecast`` (arxl.cli_collections)."""
    from .cli_collections import apply, letters, register
    from .cli_report import report

    main.add_command(letters)
    main.add_command(apply)
    register(report)


register_collections_commands()
