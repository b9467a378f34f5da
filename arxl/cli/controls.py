"""The controls commands: ``arxl audit`` (the audit trail) and ``arxl close`` (closing a period)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from .common import DATE, FORMATS, err_console, exit_invalid, handle_errors, now, out_console, today


@click.command("audit")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--since", type=DATE, default=None, help="Only changes logged on or after this date (UTC).")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True,
              help="table for people, csv or json for programs.")
@handle_errors
def audit(path: Path, since: dt.date | None, output_format: str) -> None:
    """Print the audit trail: every change to the input tables arxl has recorded (the Audit sheet).

    \b
    Example:  arxl audit ar.xlsx --since 2026-06-01 --format csv
    """
    import csv
    import io

    from ..audit import AUDIT_COLUMNS
    from ..render.plain import safe_text
    from ..verbs.audit import audit_log
    from ..verbs.books import file_book

    records = audit_log(file_book(path), since)
    if output_format == "json":
        click.echo(json.dumps(records, indent=1, ensure_ascii=False))
        return
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(AUDIT_COLUMNS)
        writer.writerows([[safe_text(record[column]) for column in AUDIT_COLUMNS] for record in records])
        click.echo(buffer.getvalue(), nl=False)
        return
    from rich.table import Table as RichTable

    table = RichTable(header_style="bold")
    shown = ("When (UTC)", "Run by", "Source", "Table", "Key", "Column", "Before", "After", "Kind")
    for column in shown:
        table.add_column(column, overflow="fold")
    for record in records:
        table.add_row(*(record[column] for column in shown))
    out_console.print(table)
    since_text = f" since {since.isoformat()}" if since else ""
    out_console.print(f"OK: {path}: {len(records):,} audit row(s){since_text}", markup=False)


@click.command("close")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--through", type=DATE, required=True, help="The last day of the period to close.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@handle_errors
def close(path: Path, through: dt.date, force: bool) -> None:
    """Close the period up to --through: check the book, record every balance at that date as assertions, and
    set Settings closed_through, after which rows dated on or before it can no longer be added or changed.

    \b
    Example:  arxl close ar.xlsx --through 2026-06-30
    """
    from ..errors import ValidationFailed
    from ..verbs.books import file_book
    from ..verbs.close import close as close_period

    try:
        closed = close_period(file_book(path, force=force), through=through, today=today(), now=now(),
                              progress=lambda message: err_console.print(f"  {message}", markup=False))
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=True)
    if closed.backup is not None:
        err_console.print(f"  previous version kept as {closed.backup.name}", markup=False)
    moved = f" (was {closed.previous.isoformat()})" if closed.previous else ""
    out_console.print(f"OK: {path}: closed through {through.isoformat()}{moved}; {closed.assertions} balance(s) "
                      f"recorded in Assertions from Excel row {closed.first_row}", markup=False)
