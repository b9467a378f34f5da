"""Collections commands: ``arxl letters``, ``arxl apply``, ``arxl charges`` and ``arxl report worklist`` /
``report forecast``.

``arxl.cli`` registers them: ``main.add_command(letters)``, ``main.add_command(apply)``,
``main.add_command(charges)`` and ``register(report)`` for the two reports. Exit codes are those of
``arxl.cli``.

Choices:

- Letters (``arxl.verbs.letters``) are RFC 5322 messages (``.eml``, CRLF line ends) plus a plain ``.txt`` copy,
  one per customer whose next letter is due, one level above the last letter sent; how they are built is
  ``arxl.render.letters``'s docstring. The customer's open-item statement is attached as a PDF when LibreOffice
  is installed (``--no-pdf`` skips it). Each letter is logged in the Activity table (``--dry-run``: not
  logged). The sender is Settings ``company_email`` (``--from`` overrides it); without one, no letter is
  written (exit 1).
- ``arxl apply BOOK`` writes the proposals to the generated ``Cash application`` sheet; ``--accept`` appends
  the proposals whose confidence reaches ``--min-confidence`` (default 0.80) to the Applications table, then
  rewrites the review sheet (if the book has it) with what was not accepted (``arxl.verbs.apply``; the ribbon's
  Accept cash button appends the rows marked on the sheet instead). A second ``--accept`` appends nothing.
  Receipts reviewed: still unapplied, or auto-applied in the open period (``--since`` moves its start).
- ``arxl charges BOOK`` writes the late fees of letters sent and the finance charges due to the ``Charges``
  sheet; ``--accept`` appends them to Adjustments (``arxl.verbs.charges``), never twice, never dated in a
  closed period.
- Report CSV goes through the ``csv`` module; text that a spreadsheet would run as a formula (starting with
  = + - @ tab CR) gets a leading ``'``. JSON gives money as numbers in major units and dates as ISO text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import (
    BY,
    DATE,
    FORMATS,
    as_of_or_default,
    err_console,
    exit_invalid,
    handle_errors,
    load_or_exit,
    now,
    out_console,
    output_option,
    progress,
    status,
    today,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..ledger import Ledger
    from ..verbs.charges import Posted

DEFAULT_MIN_CONFIDENCE = 0.80
"""``--min-confidence``'s default: ``arxl.verbs.apply.DEFAULT_MIN_CONFIDENCE`` (a test keeps them equal; the
verb module is not imported to build the command line)."""


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Letter date (default: Settings as_of, else today).")
@output_option("Folder to write the letters into (created if needed).", directory=True, required=True,
               aliases=("--out",))
@click.option("--from", "sender", default=None,
              help="Sender address (From). Default: Settings company_email; letters are refused without one.")
@click.option("--pdf/--no-pdf", "attach", default=True, show_default=True,
              help="Attach each customer's statement PDF when LibreOffice is installed.")
@click.option("--dry-run", is_flag=True, help="Write the letters but do not log them in the Activity table.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@handle_errors
def letters(path: Path, as_of: dt.date | None, output: Path, sender: str | None, attach: bool, dry_run: bool,
            force: bool) -> None:
    """Write the dunning letters that are due (.eml and .txt) and log each in the Activity table.

    A customer's next letter is one level above the last letter sent (levels from the DunningLevels table,
    else the standard four: 1, 30, 60, 90 days past due), once the gap since it has passed; it lists the items
    of that level. Disputed items and items under a pending promise to pay are left out.

    \b
    Example:  arxl letters ar.xlsx --as-of 2026-06-30 --output letters/
              arxl letters ar.xlsx --output letters/ --dry-run     (look first; nothing logged)
    """
    from ..errors import ValidationFailed
    from ..verbs.books import file_book
    from ..verbs.letters import write_letters

    out_dir = output
    try:
        with progress("reading the workbook") as say:
            written = write_letters(file_book(path, force=force), out_dir, as_of=as_of, today=today(),
                                    sender=sender, attach=attach, dry_run=dry_run, progress=say, now=now())
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=True)
    for note in written.notes:
        err_console.print(f"  note: {note}", markup=False)
    for warning in written.warnings:
        err_console.print(f"  warning: {warning}", markup=False)
    if written.backup is not None:
        err_console.print(f"  previous version kept as {written.backup.name}", markup=False)
    if written.dry_run:
        logged = "not logged (--dry-run)"
    else:
        logged = f"{written.logged} logged in Activity"
        if written.appended:
            logged += f" (from Excel row {written.appended[0].row})"
        if written.already_logged:
            logged += f", {written.already_logged} logged before"
    out_console.print(f"OK: {written.letters} letter(s) as of {written.as_of.isoformat()} in {out_dir} "
                      f"({written.attached} with a statement PDF); {logged}", markup=False)


# --- apply ----------------------------------------------------------------------------------------------------

@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Date (default: Settings as_of, else today).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=DEFAULT_MIN_CONFIDENCE, show_default=True,
              help="Proposals at or above this confidence are marked yes and are what --accept appends.")
@click.option("--accept", is_flag=True, help="Append the proposals marked yes to the Applications table.")
@click.option("--since", type=DATE, default=None,
              help="First day of the period whose auto-applied receipts are reviewed (default: the day after "
                   "Settings closed_through, else the first of the as-of month). Unapplied ones always are.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@click.option("--discard-edits", is_flag=True,
              help="Rewrite the Cash application sheet even where someone typed in it (the backup keeps it).")
@handle_errors
def apply(path: Path, as_of: dt.date | None, min_confidence: float, accept: bool, since: dt.date | None,
          force: bool, discard_edits: bool) -> None:
    """Propose where unreferenced receipts go (the Cash application sheet), or --accept the proposals.

    Reviewed: receipts still unapplied, and those auto-applied in the open period. Proposals dated in a
    closed period (Settings closed_through) are shown but never appended.

    \b
    Example:  arxl apply ar.xlsx                 (review the Cash application sheet)
              arxl apply ar.xlsx --accept --min-confidence 0.9
    """
    from ..errors import ValidationFailed
    from ..verbs import apply as cash
    from ..verbs.books import file_book

    book = file_book(path, force=force)
    try:
        with status("Matching payments to invoices" if not accept else "Appending the accepted applications"):
            if not accept:
                proposed = cash.propose(book, as_of=as_of, today=today(), min_confidence=min_confidence,
                                        since=since, discard_edits=discard_edits)
            else:
                accepted = cash.accept(book, as_of=as_of, today=today(), min_confidence=min_confidence,
                                       since=since, discard_edits=discard_edits, now=now())
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=True)
    if not accept:
        out_console.print(f"OK: {proposed.payments} payment(s) with a proposal as of "
                          f"{proposed.as_of.isoformat()}, {proposed.marked} at or above {min_confidence:.0%}: "
                          f"review the '{proposed.sheet}' sheet, then run arxl apply {path} --accept",
                          markup=False)
        backup = proposed.backup
    else:
        for refused in accepted.refused:
            err_console.print(f"  not appended: {refused}", markup=False)
        if not accepted.rows:
            out_console.print(f"OK: nothing to append as of {accepted.as_of.isoformat()} (no new proposal at or "
                              f"above {min_confidence:.0%})", markup=False)
            return
        out_console.print(f"OK: appended {accepted.rows} row(s) for {accepted.payments} payment(s) to "
                          f"Applications (from Excel row {accepted.first_row})", markup=False)
        backup = accepted.backup
    if backup is not None:
        err_console.print(f"  previous version kept as {backup.name}", markup=False)


# --- charges --------------------------------------------------------------------------------------------------

@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Date (default: Settings as_of, else today).")
@click.option("--since", type=DATE, default=None,
              help="Day before the first day finance charges may cover (default: the last day of the previous "
                   "month).")
@click.option("--accept", is_flag=True, help="Append the proposals to the Adjustments table.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@click.option("--discard-edits", is_flag=True,
              help="Rewrite the Charges sheet even where someone typed in it (the backup keeps it).")
@handle_errors
def charges(path: Path, as_of: dt.date | None, since: dt.date | None, accept: bool, force: bool,
            discard_edits: bool) -> None:
    """Propose the late fees of letters sent and the finance charges due (the Charges sheet), or --accept them.

    Late fees come from the DunningLevels fee of each letter logged in Activity; finance charges are interest
    at Settings finance_charge_rate on the declining overdue balance. Accepted, they are Adjustments rows
    (late_fee, finance_charge): the statements and the next letters show them. Never twice; never dated on or
    before Settings closed_through.

    \b
    Example:  arxl charges ar.xlsx               (review the Charges sheet)
              arxl charges ar.xlsx --accept
    """
    from ..errors import ValidationFailed
    from ..verbs import charges as posting
    from ..verbs.books import file_book

    book = file_book(path, force=force)
    try:
        if not accept:
            proposed = posting.propose(book, as_of=as_of, today=today(), since=since, discard_edits=discard_edits)
        else:
            posted = posting.accept(book, as_of=as_of, today=today(), since=since, discard_edits=discard_edits,
                                    now=now())
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=True)
    if accept:
        print_posted(posted, "nothing to post")
        return
    refused = f", {proposed.refused} refused by the closed period" if proposed.refused else ""
    out_console.print(f"OK: {proposed.late_fees} late fee(s) and {proposed.finance_charges} finance charge(s) "
                      f"as of {proposed.as_of.isoformat()}{refused}: review the '{proposed.sheet}' sheet, "
                      f"then run arxl charges {path} --accept", markup=False)
    if proposed.backup is not None:
        err_console.print(f"  previous version kept as {proposed.backup.name}", markup=False)


def print_posted(posted: Posted, nothing: str) -> None:
    """What an accept step of Adjustments rows did (charges, small balances): the rows refused, then how many
    were appended and from which Excel row (or ``nothing`` as of the date), and the backup kept."""
    for refused_row in posted.refused:
        err_console.print(f"  not appended: {refused_row}", markup=False)
    if not posted.rows:
        out_console.print(f"OK: {nothing} as of {posted.as_of.isoformat()}", markup=False)
        return
    out_console.print(f"OK: appended {posted.rows} row(s) to Adjustments (from Excel row {posted.first_row})",
                      markup=False)
    if posted.backup is not None:
        err_console.print(f"  previous version kept as {posted.backup.name}", markup=False)


# --- reports --------------------------------------------------------------------------------------------------




def _records(frame: pd.DataFrame, money_columns: tuple[str, ...], currency_column: str = "currency"
             ) -> list[dict[str, object]]:
    """Rows for CSV/JSON: dates as ISO text, money as major units, NaN/NaT as None."""
    import numpy as np
    import pandas as pd

    from ..money import to_major_float

    def plain(value: object, currency: str, money: bool) -> object:
        if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
            return None
        if money:
            return to_major_float(int(value), currency)
        if isinstance(value, pd.Timestamp | np.datetime64 | dt.datetime):
            return pd.Timestamp(value).date().isoformat()
        if isinstance(value, np.bool_ | bool):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return round(float(value), 2)
        return value

    records = []
    for row in frame.to_dict("records"):
        currency = str(row[currency_column])
        records.append({key: plain(value, currency, key in money_columns and not pd.isna(value))
                        for key, value in row.items()})
    return records


def _csv(records: list[dict[str, object]], columns: list[str]) -> str:
    import csv
    import io

    from ..render.plain import safe_text

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow(["" if record[column] is None else
                         safe_text(record[column]) if isinstance(record[column], str) else record[column]
                         for column in columns])
    return buffer.getvalue()


WORKLIST_REPORT_COLUMNS: tuple[str, ...] = (
    "rank", "priority", "customer_id", "name", "currency", "balance", "overdue", "collectable", "disputed",
    "oldest_days", "level", "level_name", "last_contact_date", "last_contact_action", "next_action",
    "next_action_date", "promise_date", "promise_amount", "promise_status", "broken_promises", "over_limit",
    "credit_hold", "hold_reason", "risk_grade", "dispute_days", "dispute_reason", "promise_shortfall",
    "last_letter", "last_letter_date",
)
WORKLIST_MONEY: tuple[str, ...] = ("balance", "overdue", "collectable", "disputed", "promise_amount",
                                   "promise_shortfall")


@click.command("worklist")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Report date (default: Settings as_of, else today).")
@click.option("--by", type=BY, default=None, help="Subtotal by the customers' group, region or salesperson.")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True,
              help="table for people, csv or json for programs.")
@handle_errors
def worklist_report(path: Path, as_of: dt.date | None, by: str | None, output_format: str) -> None:
    """The collections worklist: customers with overdue items, highest priority first.

    With --by, csv and json give one row per group and currency (customers, balance, overdue, collectable,
    disputed, oldest days past due, how many over limit or on hold); the table lists each group's customers
    by rank with the group's subtotal after them.

    \b
    Example:  arxl report worklist ar.xlsx --format csv > worklist.csv
              arxl report worklist ar.xlsx --by salesperson
    """
    import json

    from ..collections import worklist
    from .tables import Column, print_table

    ledger = load_or_exit(path, writes=True)
    date = as_of_or_default(ledger, as_of)
    full = worklist(ledger, date)
    if by is not None:
        _worklist_by(ledger, full, by, output_format, date)
        return
    frame = full[list(WORKLIST_REPORT_COLUMNS)]
    records = _records(frame, WORKLIST_MONEY)
    if output_format == "csv":
        click.echo(_csv(records, list(WORKLIST_REPORT_COLUMNS)), nl=False)
        return
    if output_format == "json":
        click.echo(json.dumps({"as_of": date.isoformat(), "customers": records}, indent=1, ensure_ascii=False))
        return
    shown = ("rank", "priority", "customer_id", "name", "overdue", "oldest_days", "level_name", "next_action",
             "next_action_date", "promise_status", "credit_hold", "risk_grade")
    numeric = ("rank", "priority", "overdue", "oldest_days")
    columns = [Column(column, numeric=column in numeric, key=column == "customer_id", shorten=column == "name")
               for column in shown]
    rows = [["" if record[column] is None else
             ("yes" if record[column] else "") if isinstance(record[column], bool) else
             f"{record[column]:,.2f}" if column == "overdue" else str(record[column])
             for column in shown] for record in records]
    print_table(out_console, columns, rows, title=f"Collections worklist as of {date.isoformat()}")


def _worklist_by(ledger: Ledger, full: pd.DataFrame, by: str, output_format: str, date: dt.date) -> None:
    import json

    from rich.table import Table as RichTable

    from ..groups import WORKLIST_GROUP_COLUMNS, group_of, shown, worklist_by_group

    grouped = worklist_by_group(ledger, full, by)
    money = ("balance", "overdue", "collectable", "disputed")
    records = _records(grouped, money)
    if output_format == "csv":
        click.echo(_csv(records, [by, *WORKLIST_GROUP_COLUMNS]), nl=False)
        return
    if output_format == "json":
        click.echo(json.dumps({"as_of": date.isoformat(), "by": by, "groups": records}, indent=1,
                              ensure_ascii=False))
        return
    rows = _records(full.assign(_group=group_of(ledger, full["customer_id"], by).to_numpy()),
                    ("balance", "overdue", "collectable", "disputed"))
    table = RichTable(title=f"Collections worklist by {by} as of {date.isoformat()}", header_style="bold")
    columns = (by, "rank", "customer_id", "name", "currency", "overdue", "collectable", "oldest_days",
               "next_action")
    for column in columns:
        table.add_column(column, justify="right" if column in ("rank", "overdue", "collectable", "oldest_days")
                         else "left", overflow="fold")
    for group in records:
        value, currency = str(group[by]), str(group["currency"])
        for row in rows:
            if row["_group"] == value and row["currency"] == currency:
                table.add_row(shown(value), str(row["rank"]), str(row["customer_id"]), str(row["name"]), currency,
                              f"{row['overdue']:,.2f}", f"{row['collectable']:,.2f}", str(row["oldest_days"]),
                              str(row["next_action"]))
        table.add_row(f"Subtotal {shown(value)}", "", "", f"{group['customers']} customer(s)", currency,
                      f"{group['overdue']:,.2f}", f"{group['collectable']:,.2f}", str(group["oldest_days"]), "",
                      style="bold")
    out_console.print(table)


FORECAST_REPORT_COLUMNS: tuple[str, ...] = ("line", "kind", "week_start", "week_end", "currency", "amount",
                                            "items")


@click.command("forecast")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Report date (default: Settings as_of, else today).")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True,
              help="table for people, csv or json for programs.")
@handle_errors
def forecast_report(path: Path, as_of: dt.date | None, output_format: str) -> None:
    """The 13-week cash forecast: expected receipts per week, later, and what is set apart.

    The lines add up to open AR (unapplied cash netted) exactly.

    \b
    Example:  arxl report forecast ar.xlsx --format json
    """
    import json

    from ..forecast import cash_forecast
    from ..money import to_major_float
    from .tables import Column, print_table

    ledger = load_or_exit(path, writes=True)
    date = as_of_or_default(ledger, as_of)
    forecast = cash_forecast(ledger, date)
    records = _records(forecast.lines[list(FORECAST_REPORT_COLUMNS)], ("amount",))
    currencies = sorted(set(forecast.lines["currency"]))
    totals = {currency: to_major_float(forecast.total(currency), currency) for currency in currencies}
    if output_format == "csv":
        click.echo(_csv(records, list(FORECAST_REPORT_COLUMNS)), nl=False)
        return
    if output_format == "json":
        click.echo(json.dumps({"as_of": date.isoformat(), "lines": records, "open_ar": totals}, indent=1,
                              ensure_ascii=False))
        return
    columns = [Column("line", key=True), Column("from"), Column("to"), Column("currency"),
               Column("amount", numeric=True), Column("items", numeric=True)]
    rows = [[str(record["line"]), record["week_start"] or "", record["week_end"] or "", str(record["currency"]),
             f"{record['amount']:,.2f}", str(record["items"])] for record in records]
    totals = [["Total (open AR)", "", "", currency, f"{total:,.2f}", ""] for currency, total in totals.items()]
    print_table(out_console, columns, rows, title=f"Cash forecast as of {date.isoformat()}", totals=totals)


def register(report_group: click.Group) -> None:
    """Attach ``worklist`` and ``forecast`` to the ``arxl report`` group."""
    report_group.add_command(worklist_report)
    report_group.add_command(forecast_report)
