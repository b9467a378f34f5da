"""Credit-balance commands: ``arxl small-balances`` (small-balance write-offs, proposed then accepted) and ``arxl
report credits`` (every open credit and what to do with it).

``arxl.cli`` registers them: ``main.add_command(small_balances)`` and ``register(report)``. Exit codes are those of
``arxl.cli``.

Choices:

- ``arxl small-balances BOOK`` writes the residues at or below Settings ``write_off_tolerance`` to the ``Small
  balances`` sheet; ``--accept`` appends them to Adjustments as type ``small_balance``
  (``arxl.verbs.small_balances``), never twice, never dated in a closed period. It is a verb of its own, not a
  part of ``arxl charges``: write-offs and charges are approved separately.
- ``arxl report credits`` prints ``arxl.credit_balances.credit_balances``: CSV and JSON give money in major
  units of each row's currency, dates as ISO text; text a spreadsheet would run as a formula gets a leading
  ``'`` in CSV.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .common import (
    DATE,
    FORMATS,
    as_of_or_default,
    err_console,
    exit_invalid,
    handle_errors,
    load_or_exit,
    now,
    out_console,
    today,
)

CREDITS_REPORT_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "document_id", "kind", "currency", "document_date", "original", "credit", "age_days",
    "last_activity", "dormant_days", "action", "detail",
)


@click.command("small-balances")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Date (default: Settings as_of, else today).")
@click.option("--accept", is_flag=True, help="Append the proposals to the Adjustments table.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@click.option("--discard-edits", is_flag=True,
              help="Rewrite the Small balances sheet even where someone typed in it (the backup keeps it).")
@handle_errors
def small_balances(path: Path, as_of: dt.date | None, accept: bool, force: bool, discard_edits: bool) -> None:
    """Propose small-balance write-offs (the Small balances sheet), or --accept them.

    A small balance is what is left on a partly settled item, at or below Settings write_off_tolerance (an
    amount of the reporting currency): an invoice underpaid by 1.83, a payment overpaid by 0.37. Accepted, they
    are Adjustments rows of type small_balance (not bad debts: the allowance's history never counts them).
    Never twice; never dated on or before Settings closed_through.

    \b
    Example:  arxl small-balances ar.xlsx            (review the Small balances sheet)
              arxl small-balances ar.xlsx --accept
    """
    from ..errors import ValidationFailed
    from ..money import format_plain
    from ..verbs import small_balances as writing_off
    from ..verbs.books import file_book
    from .collections import print_posted

    book = file_book(path, force=force)
    try:
        if not accept:
            proposed = writing_off.propose(book, as_of=as_of, today=today(), discard_edits=discard_edits)
        else:
            posted = writing_off.accept(book, as_of=as_of, today=today(), discard_edits=discard_edits, now=now())
    except ValidationFailed as failed:
        exit_invalid(path, failed.problems, writes=True)
    if accept:
        print_posted(posted, "nothing to write off")
        return
    refused = f", {proposed.refused} refused by the closed period" if proposed.refused else ""
    limit = f"{format_plain(proposed.tolerance, proposed.currency)} {proposed.currency}"
    out_console.print(f"OK: {proposed.underpaid} underpaid and {proposed.overpaid} overpaid residue(s) at or "
                      f"below {limit} as of {proposed.as_of.isoformat()}{refused}: review the "
                      f"'{proposed.sheet}' sheet, then run arxl small-balances {path} --accept", markup=False)
    if proposed.backup is not None:
        err_console.print(f"  previous version kept as {proposed.backup.name}", markup=False)


@click.command("credits")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="Report date (default: Settings as_of, else today).")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True,
              help="table for people, csv or json for programs.")
@handle_errors
def credits_report(path: Path, as_of: dt.date | None, output_format: str) -> None:
    """Credit balances: every open credit (unapplied cash, unapplied credit notes) with its age, last activity
    and proposed action (write off, apply, escheat review or refund).

    Credit balances are what customers are owed; for credit standing (limits, holds) see arxl report credit.

    \b
    Example:  arxl report credits ar.xlsx --format csv
    """
    import json

    from rich.table import Table as RichTable

    from ..credit_balances import credit_balances
    from ..money import format_plain
    from .collections import _csv, _records

    ledger = load_or_exit(path, writes=True)
    date = as_of_or_default(ledger, as_of)
    credits = credit_balances(ledger, date)
    records = _records(credits[list(CREDITS_REPORT_COLUMNS)], ("original", "credit"))
    if output_format == "csv":
        click.echo(_csv(records, list(CREDITS_REPORT_COLUMNS)), nl=False)
        return
    if output_format == "json":
        click.echo(json.dumps({"as_of": date.isoformat(), "credits": records}, indent=1, ensure_ascii=False))
        return
    table = RichTable(title=f"Credit balances as of {date.isoformat()}", header_style="bold")
    for column, right in (("customer", False), ("document", False), ("date", False), ("currency", False),
                          ("credit", True), ("age", True), ("last activity", False), ("action", False),
                          ("why", False)):
        table.add_column(column, justify="right" if right else "left", overflow="fold")
    for record, credit in zip(records, credits["credit"].tolist(), strict=True):
        table.add_row(str(record["customer_id"]), str(record["document_id"]), record["document_date"] or "",
                      str(record["currency"]), format_plain(int(credit), str(record["currency"])),
                      str(record["age_days"]), record["last_activity"] or "", str(record["action"]),
                      str(record["detail"]))
    if not records:
        out_console.print(f"No credit balances as of {date.isoformat()}.", markup=False)
        return
    out_console.print(table)


def register(report_group: click.Group) -> None:
    """Attach ``credits`` to the ``arxl report`` group."""
    report_group.add_command(credits_report)
