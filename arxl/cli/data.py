"""``arxl import`` and ``arxl export``: getting data in and out.

Exit codes are the CLI's (``arxl.cli``): 0 done (or nothing to do), 1 the import has errors or conflicts (or the
book has errors), 2 a file cannot be used (missing, unreadable, no usable header, a bad mapping) or the command
line is wrong. Every command ends with one summary line starting ``OK:`` or ``FAILED:``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from .common import (
    DATE,
    EXIT_INVALID,
    EXIT_UNUSABLE,
    as_of_or_default,
    err_console,
    handle_errors,
    load_or_exit,
    out_console,
    print_problems,
)
from .lazy import LazyChoice

if TYPE_CHECKING:
    from ..imports import ImportPlan
    from ..workbook.save import Fingerprint

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
    import pandas as pd
    from rich.table import Table as RichTable

    shown = plan.rows.head(count)
    table = RichTable(title=f"First {len(shown)} of {len(plan.rows):,} row(s)", header_style="bold")
    for column in (plan.source.unit, *shown.columns):
        table.add_column(column)
    for position in range(len(shown)):
        cells = []
        for column in shown.columns:
            value = shown[column].iat[position]
            if pd.isna(value):
                cells.append("")
            elif isinstance(value, pd.Timestamp):
                cells.append(value.date().isoformat())
            elif isinstance(value, float):
                cells.append(repr(value).removesuffix(".0"))
            else:
                cells.append(str(value))
        table.add_row(str(int(plan.lines[position])), *cells)
    out_console.print(table)


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
@click.option("--table", "table_name", type=LazyChoice("arxl.imports:IMPORT_TABLES"), required=True,
              help="The table the rows go to.")
@click.option("--map", "mapping_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A TOML mapping file (which column is which, date order, decimal comma, signs...).")
@click.option("--profile", type=LazyChoice("arxl.imports:PROFILES"), default=None,
              help="A built-in mapping for a common export (default: generic, the contract's own headers).")
@click.option("--dry-run", is_flag=True, help="Show what would be appended and every problem; write nothing.")
@click.option("--encoding", default=None, help="CSV encoding (default: detected: UTF-8/UTF-16 marks, UTF-8, cp1252).")
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
    from dataclasses import replace

    from ..imports import (
        IMPORT_TABLES,
        MappingError,
        SourceInfo,
        header_probe,
        mapping_from_toml,
        plan_import,
        prepare_rows,
    )
    from ..workbook.read import read_raw_tables
    from ..workbook.save import Fingerprint, book_lock, check_writable
    from ..workbook.source import read_source

    table = IMPORT_TABLES[table_name]
    if mapping_path is not None and profile is not None:
        raise click.UsageError("give --map or --profile, not both")
    try:
        if mapping_path is not None:
            mapping = mapping_from_toml(mapping_path.read_text(encoding="utf-8"), table, mapping_path.name)
        else:
            from ..imports import profile_mapping

            mapping = profile_mapping(profile or "generic", table)
    except MappingError as exc:
        _fail_unusable(str(exc))
    if date_order is not None:
        mapping = replace(mapping, date_order=date_order)
    if decimal_comma:
        mapping = replace(mapping, decimal_comma=True)
    if not book.exists():
        _fail_unusable(f"{book}: no such file")
    rows = read_source(source, encoding=encoding, delimiter=_delimiter(delimiter), sheet=sheet or mapping.sheet
                       or None, probe=header_probe(mapping))
    read_as = [f"{rows.encoding}, delimiter {rows.delimiter!r}" if rows.encoding else "",
               f"sheet {rows.sheet!r}" if rows.sheet else "", mapping.origin]
    try:
        incoming = prepare_rows(rows.rows, rows.numbers, mapping, SourceInfo(rows.name, rows.unit))
    except MappingError as exc:
        _fail_unusable(str(exc))
    err_console.print(f"Reading {rows.name} ({'; '.join(part for part in read_as if part)}): "
                      f"{len(incoming):,} row(s) for {table.name}", markup=False)
    for note in incoming.notes:
        err_console.print(f"  {note}", markup=False)
    for reason, count in incoming.skipped.items():
        err_console.print(f"  {count:,} row(s) left out: {reason}", markup=False)
    if not dry_run:
        check_writable(book, force=force)
    with contextlib.nullcontext() if dry_run else book_lock(book):
        fingerprint = Fingerprint.of(book)  # before reading: a change after it makes the save refuse
        raw, date1904, found = read_raw_tables(book)
        book_errors = [problem for problem in found if problem.is_error]
        plan = plan_import(incoming, raw, date1904=date1904, create_customers=create_customers,
                           skip_conflicts=skip_conflicts)
        if book_errors or plan.book_errors:
            problems = book_errors + plan.problems
            print_problems(problems, limit)
            out_console.print(f"FAILED: {book}: the workbook has {len(problems)} error(s) of its own; fix them "
                              f"first (arxl check {book}); nothing was written", markup=False)
            sys.exit(EXIT_INVALID)
        if plan.problems:
            print_problems(plan.problems, limit)
        errors = len(plan.errors)
        warnings = len(plan.problems) - errors
        detail = _describe_plan(plan)
        detail = f", {detail}" if detail else ""
        if errors:
            out_console.print(f"FAILED: {book}: {errors} error(s), {warnings} warning(s) importing {rows.name}"
                              f"{detail}; nothing was written", markup=False)
            sys.exit(EXIT_INVALID)
        count = len(plan.rows)
        landing = f" (Excel rows {plan.first_row:,}-{plan.first_row + count - 1:,})" if count else ""
        if dry_run:
            if count:
                _show_rows(plan, 5)
            out_console.print(f"OK: dry run: {book}: {count:,} row(s) would be appended to {table.name}{landing}"
                              f"{detail}, {warnings} warning(s); nothing was written", markup=False)
            return
        if not count and not len(plan.customers):
            out_console.print(f"OK: {book}: nothing to append to {table.name}{detail}", markup=False)
            return
        backup, first_row = _append(book, plan, fingerprint, force)
    if backup is not None:
        err_console.print(f"  previous version kept as {backup.name}", markup=False)
    landing = f" (Excel rows {first_row:,}-{first_row + count - 1:,})" if count else ""
    out_console.print(f"OK: {book}: appended {count:,} row(s) to {table.name}{landing}{detail}, "
                      f"{warnings} warning(s)", markup=False)


def _append(book: Path, plan: ImportPlan, fingerprint: Fingerprint, force: bool) -> tuple[Path | None, int]:
    """Append the plan's rows (and new customers) in one atomic, backed-up save; (backup, first new row)."""
    from ..contract import CUSTOMERS
    from ..workbook.append import append_rows
    from ..workbook.save import atomic_write

    first_row: list[int] = []

    def write(temporary: Path) -> None:
        if not len(plan.customers):
            first_row.append(append_rows(book, temporary, plan.table, plan.rows))
            return
        scratch = temporary.with_name(temporary.name + ".customers")
        try:
            append_rows(book, scratch, CUSTOMERS, plan.customers)
            first_row.append(append_rows(scratch, temporary, plan.table, plan.rows))
        finally:
            scratch.unlink(missing_ok=True)

    backup = atomic_write(book, write, keep_backups=max(plan.backups, 1), force=force, expected=fingerprint)
    return backup, first_row[0]


# --- export ---------------------------------------------------------------------------------------------------

@click.command("export")
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--what", type=LazyChoice("arxl.render.exports:EXPORTS"), required=True,
              help="Which table to export.")
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write: .csv, .parquet or .xlsx (a new workbook, never BOOK).")
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Report date (default: Settings as_of, else today). For the ledger: only documents dated "
                   "on or before it (default: all).")
@click.option("--force", is_flag=True, help="Replace the file at --to if it exists.")
@handle_errors
def export_command(book: Path, what: str, target: Path, as_of: dt.date | None, force: bool) -> None:
    """Write open items, the aging, the ledger or the application ledger of BOOK to a file; money exact.

    \b
    Example:  arxl export ar.xlsx --what aging --to aging.parquet --as-of 2026-06-30
              arxl export ar.xlsx --what ledger --to ledger.csv
    """
    from ..errors import WorkbookError
    from ..render.exports import export_table
    from ..workbook.export import FORMATS, write_export

    if target.suffix.lower() not in FORMATS:
        raise WorkbookError(f"{target}: cannot export to a {target.suffix or 'suffix-less'} file "
                            "(expected .csv, .parquet or .xlsx)")
    if target.exists() and book.exists() and target.resolve() == book.resolve():
        raise WorkbookError(f"{target}: is the book itself; export to another file")
    if target.exists() and not force:
        raise WorkbookError(f"{target}: already exists; use --force to replace it")
    _book, ledger = load_or_exit(book)
    date = as_of if what == "ledger" else as_of_or_default(ledger, as_of)
    table = export_table(ledger, what, date)
    write_export(table, target)
    when = f" as of {date.isoformat()}" if date is not None else ""
    out_console.print(f"OK: {target}: {len(table.frame):,} row(s) of {what}{when}", markup=False)
