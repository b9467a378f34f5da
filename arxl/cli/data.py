"""``arxl import`` and ``arxl export``: getting data in and out.

Exit codes are the CLI's (``arxl.cli``): 0 done (or nothing to do), 1 the import has errors or conflicts (or the
book has errors), 2 a file cannot be used (missing, unreadable, no usable header, a bad mapping) or the command
line is wrong. Every command ends with one summary line starting ``OK:`` or ``FAILED:``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from .common import (
    DATE,
    EXIT_INVALID,
    EXIT_UNUSABLE,
    LazyChoice,
    err_console,
    exit_invalid,
    handle_errors,
    now,
    out_console,
    output_option,
    print_problems,
    progress,
    status,
    today,
)

if TYPE_CHECKING:
    from ..imports import ImportPlan


def _import_tables() -> tuple[str, ...]:
    from ..verbs.importing import table_names

    return table_names()


def _import_profiles() -> tuple[str, ...]:
    from ..verbs.importing import profile_names

    return profile_names()


def _export_kinds() -> tuple[str, ...]:
    from ..verbs.export import export_kinds

    return export_kinds()


# --- import ---------------------------------------------------------------------------------------------------

def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    return named.get(value.lower(), value)


def _fail_unusable(message: str) -> NoReturn:
    click.echo(f"arxl: {message}", err=True)
    sys.exit(EXIT_UNUSABLE)


def _show_rows(plan: ImportPlan, count: int) -> None:
    """The first ``count`` rows to append, as a user will see them in the book: amounts with thousands
    separators and the currency's decimals (``1,250.00``), dates in ISO, numbers without a trailing ``.0``."""
    import pandas as pd

    from ..contract import Kind
    from ..money import exponent
    from .tables import Column, print_table

    shown = plan.rows.head(count)
    kinds = {column.name: column.kind for column in plan.table.columns}
    currency = shown["currency"] if "currency" in shown.columns else pd.Series([""] * len(shown))
    rows = []
    for position in range(len(shown)):
        cells = [str(int(plan.lines[position]))]
        for column in shown.columns:
            value = shown[column].iat[position]
            if pd.isna(value):
                cells.append("")
            elif isinstance(value, pd.Timestamp):
                cells.append(value.date().isoformat())
            elif kinds.get(column) is Kind.MONEY and isinstance(value, float):
                code = str(currency.iat[position]) or "USD"
                cells.append(f"{float(value):,.{exponent(code)}f}")
            elif isinstance(value, float):
                cells.append(repr(float(value)).removesuffix(".0"))
            else:
                cells.append(str(value))
        rows.append(cells)
    columns = [Column(plan.source.unit, numeric=True, key=True),
               *(Column(str(column), numeric=kinds.get(column) in (Kind.MONEY, Kind.INTEGER, Kind.NUMBER))
                 for column in shown.columns)]
    print_table(out_console, columns, rows, title=f"First {len(shown)} of {len(plan.rows):,} row(s)")


def _describe_plan(plan: ImportPlan) -> str:
    parts = []
    if plan.already:
        parts.append(f"{plan.already:,} already imported")
    if plan.repeated:
        parts.append(f"{plan.repeated:,} repeated in the file")
    if plan.conflicts:
        parts.append(f"{len(plan.conflicts):,} conflict(s)")
    if len(plan.customers):
        parts.append(f"{len(plan.customers):,} new customer(s)")
    return ", ".join(parts)


@click.command("import")
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("source", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--table", "table_name", type=LazyChoice(_import_tables), required=True,
              help="The table the rows go to.")
@click.option("--map", "mapping_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A TOML mapping file (which column is which, date order, decimal comma, signs...).")
@click.option("--profile", type=LazyChoice(_import_profiles), default=None,
              help="A built-in mapping for a common export (default: generic, the contract's own headers).")
@click.option("--dry-run", is_flag=True, help="Show what would be appended and every problem; write nothing.")
@click.option("--encoding", default=None,
              help="CSV encoding (default: detected: UTF-8/UTF-16 marks, UTF-8, cp1252).")
@click.option("--delimiter", default=None, help="CSV delimiter: , ; tab | (default: detected).")
@click.option("--sheet", default=None, help="The .xlsx sheet (default: the first one with the headers).")
@click.option("--date-order", type=click.Choice(["dmy", "mdy", "ymd"]), default=None,
              help="How to read dates such as 03/04/2026 (default: the mapping's, else inferred from the file).")
@click.option("--decimal-comma", is_flag=True, help="Amounts are written 1.234,56.")
@click.option("--create-customers", is_flag=True, help="Add Customers rows for customer ids the book lacks.")
@click.option("--skip-conflicts", is_flag=True,
              help="Leave out rows whose id is in the book with other content (listed) instead of failing.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True, help="Most problems to list.")
@handle_errors
def import_command(book: Path, source: Path, table_name: str, mapping_path: Path | None, profile: str | None,
                   dry_run: bool, encoding: str | None, delimiter: str | None, sheet: str | None,
                   date_order: str | None, decimal_comma: bool, create_customers: bool,
                   skip_conflicts: bool, force: bool, limit: int) -> None:
    """Append rows from FILE (CSV, .xlsx or Parquet) to a table of BOOK: new rows only, checked first.

    Rows already imported (same id, same content) are skipped; the same id with other content is a conflict,
    never overwritten. Every row is checked with the same rules as arxl check, with the file's own line
    numbers; on any error nothing is written (exit 1). The save is atomic and keeps a backup.

    \b
    Example:  arxl import ar.xlsx --table invoices open-invoices.csv --profile quickbooks-open-invoices --dry-run
              arxl import ar.xlsx --table payments bank.csv --map bank.toml --decimal-comma --date-order dmy
    """
    from ..imports import MappingError
    from ..verbs import importing
    from ..verbs.books import file_book

    if mapping_path is not None and profile is not None:
        raise click.UsageError("give --map or --profile, not both")
    try:
        mapping = importing.mapping_for(table_name, mapping_file=mapping_path, profile=profile,
                                        date_order=date_order, decimal_comma=decimal_comma)
    except MappingError as exc:
        _fail_unusable(str(exc))
    if not book.exists():
        _fail_unusable(f"{book}: no such file")
    try:
        incoming = importing.read_rows(source, mapping, encoding=encoding, delimiter=_delimiter(delimiter),
                                       sheet=sheet)
    except MappingError as exc:
        _fail_unusable(str(exc))
    rows = incoming.rows
    table = rows.table
    err_console.print(f"Reading {incoming.name} ({incoming.read_as}): {len(rows):,} row(s) for {table.name}",
                      markup=False)
    for note in rows.notes:
        err_console.print(f"  {note}", markup=False)
    for reason, count in rows.skipped.items():
        err_console.print(f"  {count:,} row(s) left out: {reason}", markup=False)
    with status(f"Checking {len(rows):,} row(s) against {book.name}"):
        result = importing.import_rows(file_book(book, force=force), incoming, dry_run=dry_run,
                                       create_customers=create_customers, skip_conflicts=skip_conflicts, now=now())
    plan = result.plan
    if result.book_failed:
        print_problems(result.problems, limit)
        out_console.print(f"FAILED: {book}: the workbook has {len(result.problems)} error(s) of its own; fix them "
                          f"first (arxl check {book}); nothing was written", markup=False)
        sys.exit(EXIT_INVALID)
    if plan.problems:
        print_problems(plan.problems, limit)
    errors = len(plan.errors)
    warnings = len(plan.problems) - errors
    detail = _describe_plan(plan)
    detail = f", {detail}" if detail else ""
    if errors:
        out_console.print(f"FAILED: {book}: {errors} error(s), {warnings} warning(s) importing {incoming.name}"
                          f"{detail}; nothing was written", markup=False)
        sys.exit(EXIT_INVALID)
    count = len(plan.rows)
    if dry_run:
        landing = _landing(plan.first_row, count) if count else ""
        if count:
            _show_rows(plan, 5)
        out_console.print(f"OK: dry run: {book}: {count:,} row(s) would be appended to {table.name}{landing}"
                          f"{detail}, {warnings} warning(s); nothing was written", markup=False)
        return
    if not result.written:
        out_console.print(f"OK: {book}: nothing to append to {table.name}{detail}", markup=False)
        return
    if result.backup is not None:
        err_console.print(f"  previous version kept as {result.backup.name}", markup=False)
    landing = _landing(result.first_row, count)
    out_console.print(f"OK: {book}: appended {count:,} row(s) to {table.name}{landing}{detail}, "
                      f"{warnings} warning(s)", markup=False)


# --- export ---------------------------------------------------------------------------------------------------

@click.command("export")
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--what", type=LazyChoice(_export_kinds), required=True, help="Which table to export.")
@output_option("The file to write: .csv, .parquet or .xlsx (a new workbook, never BOOK).", required=True,
               aliases=("--to",))
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Report date (default: Settings as_of, else today). For the ledger: only documents dated "
                   "on or before it (default: all).")
@click.option("--force", is_flag=True, help="Replace the file at --output if it exists.")
@handle_errors
def export_command(book: Path, what: str, output: Path, as_of: dt.date | None, force: bool) -> None:
    """Write open items, the aging, the ledger or the application ledger of BOOK to a file; money exact.

    \b
    Example:  arxl export ar.xlsx --what aging --output aging.parquet --as-of 2026-06-30
              arxl export ar.xlsx --what ledger --output ledger.csv
    """
    from ..errors import ValidationFailed
    from ..verbs.books import file_book
    from ..verbs.export import export_file

    target = output
    try:
        with progress(f"exporting {what}"):
            exported = export_file(file_book(book), what, target, as_of=as_of, today=today(), force=force,
                                   book_file=book)
    except ValidationFailed as failed:
        exit_invalid(book, failed.problems)
    when = f" as of {exported.as_of.isoformat()}" if exported.as_of is not None else ""
    out_console.print(f"OK: {target}: {exported.rows:,} row(s) of {what}{when}", markup=False)


def _landing(first: int, count: int) -> str:
    """Where appended rows land: " (Excel row 3,002)" or " (Excel rows 3,002-3,101)"."""
    return f" (Excel row {first:,})" if count == 1 else f" (Excel rows {first:,}-{first + count - 1:,})"
