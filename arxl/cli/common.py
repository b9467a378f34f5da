"""What every ``arxl`` command shares: exit codes, the two consoles, error handling, dates, problem listings.

The commands only parse arguments, call a verb (``arxl.verbs``) and present its result; they get their books
from ``arxl.verbs.books`` and never import ``arxl.workbook``. Their modules import only click and this module
at the top (``arxl --help`` stays quick); everything else is imported inside the command that needs it.

Exit codes (stable, for scripts and CI):
    0  done; no errors in the workbook (warnings allowed)
    1  the workbook has errors (they are printed); nothing was written
    2  the file cannot be used at all (missing, not a workbook, hostile), the command line is wrong, or a tool
       arxl needs (LibreOffice) is missing or failed
    3  arxl itself failed (a bug: please report it with the message)
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console

from ..errors import ArxlError, MissingToolError, SaveRefused, ToolFailed, WorkbookError
from ..problems import Problem

if TYPE_CHECKING:
    from ..ledger import Ledger

EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE, EXIT_BUG = 0, 1, 2, 3

FORMATS = click.Choice(["table", "csv", "json"])
"""What ``--format`` can name for a report: a rich table for people, csv or json for other programs."""

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
# Piped output (CI logs, files) gets wide tables instead of rich's 80-column default, unless COLUMNS says how
# wide the reader is.
out_console = Console(highlight=False, soft_wrap=True,
                      width=None if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit() else 200)


def today() -> dt.date:
    """The only place arxl asks the clock: the face decides what "today" is."""
    return dt.date.today()


def now() -> dt.datetime:
    """This moment, in the machine's time zone (the audit trail records it in UTC and local time)."""
    return dt.datetime.now().astimezone()


def print_failed_checks(path: Path, failed: list[str], *, github: bool = False) -> None:
    """The checks that failed, one line each (GitHub annotations with ``github``)."""
    for line in failed:
        if github:
            click.echo(f"::error file={_escape_property(str(path))},title=Check failed::{_escape_data(line)}")
        else:
            out_console.print(f"  check failed: {line}", markup=False)


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command turning arxl's exceptions into one-line messages and documented exit codes."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (WorkbookError, SaveRefused, MissingToolError, ToolFailed) as exc:
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


class LazyChoice(click.Choice):
    """A ``click.Choice`` whose choices are asked for when first needed (a command's help or its arguments),
    so that building the command line does not import the module that knows them. Matched whatever the case
    (``--table Invoices`` is ``invoices``, as the sheet is spelled)."""

    def __init__(self, load: Callable[[], Sequence[str]]):
        self._load = load
        self._loaded: tuple[str, ...] | None = None
        self.case_sensitive = False

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        if self._loaded is None:
            self._loaded = tuple(self._load())
        return self._loaded


def _grouping_columns() -> tuple[str, ...]:
    from ..contract import GROUP_COLUMNS

    return GROUP_COLUMNS


BY = LazyChoice(_grouping_columns)
"""What ``--by`` can name: the Customers columns reports subtotal by (group, region, salesperson)."""


@contextmanager
def status(first: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr showing ``first``, then each progress message given to the callback it yields
    (shown on a terminal only: nothing is printed into pipes and logs)."""
    with err_console.status(f"{first}...") as shown:
        yield lambda message: shown.update(f"{message}...")


@contextmanager
def progress(first: str) -> Iterator[Callable[[str], None]]:
    """Progress of work that can take a while, on stderr: on a terminal a spinner showing the latest message;
    in a pipe or a CI log one line per message (so a long run is never silent)."""
    if err_console.is_terminal:
        with status(first) as say:
            yield say
        return
    err_console.print(f"  {first}", markup=False)
    yield lambda message: err_console.print(f"  {message}", markup=False)


def output_option(help_text: str, *, directory: bool = False, required: bool = False,
                  aliases: Sequence[str] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--output``: the one name every command uses for where it writes (a file, or a folder with
    ``directory``), passed to the command as ``output``. ``aliases`` are older names of the same option,
    still accepted but not shown in the help."""
    path_type = click.Path(file_okay=not directory, dir_okay=directory, path_type=Path)

    def alias_name(alias: str) -> str:
        return "alias_" + alias.lstrip("-").replace("-", "_")

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(command)
        def merged(*args: Any, **kwargs: Any) -> Any:
            given = kwargs.pop("output")
            for alias in aliases:
                value = kwargs.pop(alias_name(alias))
                if value is not None and given is not None and value != given:
                    raise click.UsageError(f"give --output or {alias} (its older name), not both")
                given = given if given is not None else value
            if required and given is None:
                raise click.UsageError("Missing option '--output'.")
            return command(*args, output=given, **kwargs)

        for alias in aliases:
            merged = click.option(alias, alias_name(alias), type=path_type, default=None, hidden=True)(merged)
        return click.option("--output", "output", type=path_type, default=None,
                            metavar="DIR" if directory else "FILE", help=help_text)(merged)

    return decorate


def print_problems(problems: list[Problem], limit: int) -> None:
    from rich.table import Table as RichTable

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


def exit_invalid(path: Path, problems: list[Problem], *, writes: bool = False, github: bool = False) -> NoReturn:
    """Print every problem of a book that has errors and its summary line, then exit 1.

    ``writes``: the command would have changed files, so the summary says that nothing was written;
    ``github``: the problems as GitHub Actions annotations instead of a table.
    """
    if github:
        print_github_annotations(path, problems)
    else:
        print_problems(problems, 200)
    suffix = "; nothing was written" if writes else ""
    out_console.print(summary_line(path, problems) + suffix, markup=False)
    sys.exit(EXIT_INVALID)


def load_or_exit(path: Path, *, writes: bool = False) -> Ledger:
    """The book's validated ledger; on errors print every problem and exit 1 (nothing to work from)."""
    from ..errors import ValidationFailed
    from ..verbs.books import file_book
    from ..verbs.refresh import load_validated

    try:
        with status(f"Reading {path.name}"):
            return load_validated(file_book(path)).ledger
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=writes)


def as_of_or_default(ledger: Ledger, given: dt.date | None) -> dt.date:
    """The date given on the command line, else Settings as_of, else today."""
    from ..dates import resolve_as_of

    return resolve_as_of(ledger, given, today())


def summary_line(path: Path, problems: list[Problem]) -> str:
    errors = sum(problem.is_error for problem in problems)
    warnings = len(problems) - errors
    verdict = "FAILED" if errors else "OK"
    return f"{verdict}: {path}: {errors} error(s), {warnings} warning(s)"



# --- GitHub Actions annotations -------------------------------------------------------------------------------

def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(path: Path | str, problem: Problem) -> str:
    """One problem as a GitHub Actions workflow command (``::error file=BOOK,title=Invoices row 14::...``)."""
    command = "error" if problem.is_error else "warning"
    title = problem.sheet or "Workbook"
    if problem.row is not None:
        title += f" row {problem.row}"
    return (f"::{command} file={_escape_property(str(path))},title={_escape_property(title)}::"
            f"{_escape_data(str(problem))}")


def print_github_annotations(path: Path | str, problems: list[Problem], limit: int = 200) -> None:
    """Print up to ``limit`` problems as annotations (GitHub shows the first few of each kind per step)."""
    for problem in problems[:limit]:
        click.echo(github_annotation(path, problem))
    if len(problems) > limit:
        click.echo(f"... and {len(problems) - limit:,} more problem(s) (arxl check --format json lists all)")


