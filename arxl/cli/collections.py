"""Collections commands: ``arxl letters``, ``arxl apply`` and ``arxl report worklist`` / ``report forecast``.

``arxl.cli`` registers them: ``main.add_command(letters)``, ``main.add_command(apply)`` and
``register(report)`` for the two reports. Exit codes are those of ``arxl.cli``.

Choices:

- Letters are RFC 5322 messages written with the standard ``email`` package (``.eml``, CRLF line ends) plus
  a plain ``.txt`` copy, one per customer at its highest dunning level (``arxl.collections.letters``). The
  ``Date`` header is the as-of date at 09:00 UTC, so the same book and date give the same files; ``To`` is the
  customer's email when it is a valid address (otherwise the letter is written without one and a warning
  says so); CR and LF in names and subjects become spaces, so data cannot add headers. The customer's
  open-item statement is attached as a PDF when LibreOffice is installed (``--no-pdf`` skips it).
- ``arxl apply BOOK`` writes the proposals to the generated ``Cash application`` sheet; ``--accept`` appends
  the proposals whose confidence reaches ``--min-confidence`` (default 0.80) to the Applications table (date
  left blank, which means the later of the payment's and the invoice's dates: the proposal's date), with a
  backup of the book kept whatever the Settings ``backups`` says, then rewrites the review sheet (if the book
  has it) with what was not accepted. A proposal whose (payment_id, invoice_id, amount) is already an
  Applications row is never appended again, and an accepted payment has Applications rows, so it is no longer
  proposed: a second ``--accept`` appends nothing.
- Report CSV goes through the ``csv`` module; text that a spreadsheet would run as a formula (starting with
  = + - @ tab CR) gets a leading ``'``. JSON gives money as numbers in major units and dates as ISO text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .common import DATE, FORMATS, as_of_or_default, err_console, handle_errors, load_or_exit, out_console

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DEFAULT_MIN_CONFIDENCE = 0.80
DEFAULT_SENDER = "accounts.receivable@example.invalid"
LETTER_HOUR_UTC = 9


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _file_stem(customer_id: str, taken: set[str]) -> str:
    stem = "".join(character if character.isalnum() or character in "-_." else "_" for character in customer_id)
    stem = stem.strip(".") or "customer"
    candidate, counter = stem, 2
    while candidate.casefold() in taken:
        candidate, counter = f"{stem}~{counter}", counter + 1
    taken.add(candidate.casefold())
    return candidate


def _address(name: str, email: str) -> Address | None:
    if not email.strip():
        return None
    try:
        address = Address(display_name=_one_line(name), addr_spec=email.strip())
    except (ValueError, IndexError, HeaderParseError):
        return None
    return address if "@" in address.addr_spec else None


def letter_message(letter: Any, *, company: str, sender: str, as_of: dt.date, pdf: bytes | None = None
                   ) -> tuple[EmailMessage, list[str]]:
    """The RFC 5322 message of one ``arxl.collections.Letter`` (and warnings about it)."""
    warnings = []
    message = EmailMessage()
    message["From"] = Address(display_name=_one_line(company), addr_spec=sender)
    recipient = _address(letter.name, letter.email)
    if recipient is not None:
        message["To"] = recipient
    else:
        warnings.append(f"{letter.customer_id}: no valid email address in Customers; the letter has no To")
    message["Subject"] = _one_line(letter.subject)
    message["Date"] = format_datetime(dt.datetime.combine(as_of, dt.time(LETTER_HOUR_UTC), tzinfo=dt.UTC))
    domain = sender.rsplit("@", 1)[-1]
    token = "".join(character for character in letter.customer_id if character.isalnum()) or "customer"
    message["Message-ID"] = f"<arxl.{as_of.isoformat()}.{token}.{letter.level}@{domain}>"
    message.set_content(letter.body)
    if pdf is not None:
        message.add_attachment(pdf, maintype="application", subtype="pdf",
                               filename=f"Statement {letter.customer_id} {as_of.isoformat()}.pdf")
    return message, warnings


def _letter_text(letter: Any, ledger: Any, as_of: dt.date) -> str:
    settings = ledger.settings
    customers = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")
    address = str(customers.at[letter.customer_id, "address"]) if letter.customer_id in customers.index else ""
    lines = [settings.company_name, *settings.company_address.splitlines(), "", as_of.isoformat(), "",
             letter.name, *address.splitlines(), "", f"Subject: {_one_line(letter.subject)}", "", letter.body, ""]
    return "\n".join(lines)


def _statement_pdfs(ledger: Any, as_of: dt.date, customer_ids: list[str], folder: Path) -> dict[str, bytes]:
    """Customer id -> the PDF of its open-item statement (empty when LibreOffice is missing)."""
    from ..aging import aging
    from ..errors import MissingToolError
    from ..render import sheets as render
    from ..workbook.pdf import find_soffice, write_pdfs

    try:
        soffice = find_soffice()
    except MissingToolError as missing:
        err_console.print(f"  note: {missing}; the letters are written without statement PDFs", markup=False)
        return {}
    report = aging(ledger, as_of)
    customers = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")
    by_customer = dict(tuple(report.detail.groupby("customer_id", sort=True)))
    taken: set[str] = set()
    owners = [customer_id for customer_id in customer_ids if customer_id in by_customer]
    specs = [render.statement_sheet(ledger, report, customer_id,
                                    customers.loc[customer_id] if customer_id in customers.index else None,
                                    by_customer[customer_id], render.statement_sheet_name(customer_id, taken))
             for customer_id in owners]
    with err_console.status(f"Converting {len(specs)} statement(s) with LibreOffice..."):
        files = write_pdfs(specs, folder, soffice=soffice)
    return {owner: file.read_bytes() for owner, file in zip(owners, files, strict=True)}


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Letter date (default: Settings as_of, else today).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the letters into (created if needed).")
@click.option("--from", "sender", default=DEFAULT_SENDER, show_default=True, help="Sender address (From).")
@click.option("--pdf/--no-pdf", "attach", default=True, show_default=True,
              help="Attach each customer's statement PDF when LibreOffice is installed.")
@handle_errors
def letters(path: Path, as_of: dt.date | None, out_dir: Path, sender: str, attach: bool) -> None:
    """Write one dunning letter per customer with overdue items, at its highest level (.eml and .txt).

    Levels and texts come from the DunningLevels table, else the standard four (1, 30, 60, 90 days).
    Disputed items are left out.

    \b
    Example:  arxl letters ar.xlsx --as-of 2026-06-30 --out letters/
    """
    import tempfile

    from ..collections import letters as build_letters

    _book, ledger = load_or_exit(path, writes=True)
    date = as_of_or_default(ledger, as_of)
    written = build_letters(ledger, date)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="arxl-letters-") as scratch:
        pdfs = (_statement_pdfs(ledger, date, [letter.customer_id for letter in written], Path(scratch))
                if attach and written else {})
        taken: set[str] = set()
        for letter in written:
            message, warnings = letter_message(letter, company=ledger.settings.company_name, sender=sender,
                                               as_of=date, pdf=pdfs.get(letter.customer_id))
            stem = _file_stem(letter.customer_id, taken)
            (out_dir / f"{stem}.eml").write_bytes(message.as_bytes(policy=SMTP))
            (out_dir / f"{stem}.txt").write_text(_letter_text(letter, ledger, date), encoding="utf-8")
            for warning in [*letter.warnings, *warnings]:
                err_console.print(f"  warning: {warning}", markup=False)
    attached = sum(letter.customer_id in pdfs for letter in written)
    out_console.print(f"OK: {len(written)} letter(s) as of {date.isoformat()} in {out_dir} "
                      f"({attached} with a statement PDF)", markup=False)


# --- apply ----------------------------------------------------------------------------------------------------

def _applications_frame(proposals: pd.DataFrame) -> pd.DataFrame:
    """Proposals as Applications rows the way a user types them: amounts in major units. The date is left
    blank: a proposal's date is the later of the payment's and the invoice's dates, which is what a blank
    date means, and a blank cannot show up as a bare serial number in a column without a date format."""
    import pandas as pd

    from ..money import to_major_floats

    return pd.DataFrame({
        "payment_id": proposals["payment_id"].astype(object).to_numpy(),
        "invoice_id": proposals["invoice_id"].astype(object).to_numpy(),
        "amount": to_major_floats(proposals["amount"], proposals["currency"]),
    })


def _already_applied(ledger: Any, proposals: pd.DataFrame) -> np.ndarray:
    """Which proposals are already rows of the Applications table (same payment, invoice and amount)."""
    import numpy as np
    import pandas as pd

    columns = ["payment_id", "invoice_id", "amount"]
    if ledger.applications.empty or proposals.empty:
        return np.zeros(len(proposals), dtype=bool)
    existing = pd.MultiIndex.from_frame(ledger.applications[columns].astype(object))
    return pd.MultiIndex.from_frame(proposals[columns].astype(object)).isin(existing)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Date (default: Settings as_of, else today).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=DEFAULT_MIN_CONFIDENCE, show_default=True,
              help="Proposals at or above this confidence are marked yes and are what --accept appends.")
@click.option("--accept", is_flag=True, help="Append the proposals marked yes to the Applications table.")
@click.option("--force", is_flag=True, help="Write even though Excel's owner file (~$...) sits beside the book.")
@handle_errors
def apply(path: Path, as_of: dt.date | None, min_confidence: float, accept: bool, force: bool) -> None:
    """Propose where unreferenced payments go (the Cash application sheet), or --accept the proposals.

    \b
    Example:  arxl apply ar.xlsx                 (review the Cash application sheet)
              arxl apply ar.xlsx --accept --min-confidence 0.9
    """
    from ..workbook.save import book_lock

    with book_lock(path):  # read, propose and write with no other arxl command in between
        _apply(path, as_of, min_confidence, accept, force)


def _apply(path: Path, as_of: dt.date | None, min_confidence: float, accept: bool, force: bool) -> None:
    import numpy as np

    from ..cashapp import propose_applications
    from ..contract import APPLICATIONS
    from ..render.collections import CASH_APPLICATION_SHEET, cash_application_sheet
    from ..workbook.append import append_rows
    from ..workbook.generated import write_generated
    from ..workbook.save import atomic_write

    book, ledger = load_or_exit(path, writes=True)
    date = as_of_or_default(ledger, as_of)
    proposals = propose_applications(ledger, date)
    chosen = (proposals["confidence"].to_numpy(dtype=np.float64) >= min_confidence) & ~_already_applied(
        ledger, proposals)
    owned = {name.casefold() for name in book.owned_sheets()}
    keep_backups = max(int(ledger.settings.backups), 1)
    if not accept:
        spec = cash_application_sheet(ledger, date, proposals, min_confidence)
        backup = atomic_write(path, lambda temporary: write_generated(path, temporary, [spec],
                                                                      replace=[CASH_APPLICATION_SHEET]),
                              keep_backups=keep_backups, force=force, expected=book.fingerprint)
        payments = proposals["payment_id"].nunique()
        marked = proposals.loc[chosen, "payment_id"].nunique()
        out_console.print(f"OK: {payments} payment(s) with a proposal as of {date.isoformat()}, {marked} at or above "
                          f"{min_confidence:.0%}: review the '{CASH_APPLICATION_SHEET}' sheet, then run "
                          f"arxl apply {path} --accept", markup=False)
        if backup is not None:
            err_console.print(f"  previous version kept as {backup.name}", markup=False)
        return
    rows = proposals[chosen]
    if rows.empty:
        out_console.print(f"OK: nothing to append as of {date.isoformat()} (no new proposal at or above "
                          f"{min_confidence:.0%})", markup=False)
        return
    remaining = proposals[~proposals["payment_id"].isin(set(rows["payment_id"]))]
    spec = cash_application_sheet(ledger, date, remaining, min_confidence)
    first_row: list[int] = []

    def write(temporary: Path) -> None:
        if CASH_APPLICATION_SHEET.casefold() not in owned:
            first_row.append(append_rows(path, temporary, APPLICATIONS, _applications_frame(rows)))
            return
        scratch = temporary.with_name(temporary.name + ".appended")
        try:
            first_row.append(append_rows(path, scratch, APPLICATIONS, _applications_frame(rows)))
            write_generated(scratch, temporary, [spec], replace=[CASH_APPLICATION_SHEET])
        finally:
            scratch.unlink(missing_ok=True)

    backup = atomic_write(path, write, keep_backups=keep_backups, force=force, expected=book.fingerprint)
    out_console.print(f"OK: appended {len(rows)} row(s) for {rows['payment_id'].nunique()} payment(s) to "
                      f"Applications (from Excel row {first_row[0]})", markup=False)
    if backup is not None:
        err_console.print(f"  previous version kept as {backup.name}", markup=False)


# --- reports --------------------------------------------------------------------------------------------------

def _plain(value: object, currency: str | None = None, *, money: bool = False) -> object:
    """A cell value for CSV/JSON: dates as ISO text, money as major units, NaN/NaT as None."""
    import numpy as np
    import pandas as pd

    from ..money import to_major_float

    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if money:
        return to_major_float(int(value), str(currency))
    if isinstance(value, pd.Timestamp | np.datetime64 | dt.datetime):
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return round(float(value), 2)
    return value


def _records(frame: pd.DataFrame, money_columns: tuple[str, ...], currency_column: str = "currency"
             ) -> list[dict[str, object]]:
    import pandas as pd

    records = []
    for row in frame.to_dict("records"):
        currency = str(row[currency_column])
        records.append({key: _plain(value, currency, money=key in money_columns and not pd.isna(value))
                        for key, value in row.items()})
    return records


def _csv(records: list[dict[str, object]], columns: list[str]) -> str:
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
    "credit_hold", "hold_reason", "risk_grade",
)
WORKLIST_MONEY: tuple[str, ...] = ("balance", "overdue", "collectable", "disputed", "promise_amount")


@click.command("worklist")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Report date (default: Settings as_of, else today).")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True,
              help="table for people, csv or json for programs.")
@handle_errors
def worklist_report(path: Path, as_of: dt.date | None, output_format: str) -> None:
    """The collections worklist: customers with overdue items, highest priority first.

    \b
    Example:  arxl report worklist ar.xlsx --format csv > worklist.csv
    """
    from rich.table import Table as RichTable

    from ..collections import worklist

    _book, ledger = load_or_exit(path, writes=True)
    date = as_of_or_default(ledger, as_of)
    frame = worklist(ledger, date)[list(WORKLIST_REPORT_COLUMNS)]
    records = _records(frame, WORKLIST_MONEY)
    if output_format == "csv":
        click.echo(_csv(records, list(WORKLIST_REPORT_COLUMNS)), nl=False)
        return
    if output_format == "json":
        click.echo(json.dumps({"as_of": date.isoformat(), "customers": records}, indent=1, ensure_ascii=False))
        return
    table = RichTable(title=f"Collections worklist as of {date.isoformat()}", header_style="bold")
    shown = ("rank", "priority", "customer_id", "name", "overdue", "oldest_days", "level_name", "next_action",
             "next_action_date", "promise_status", "credit_hold", "risk_grade")
    for column in shown:
        table.add_column(column, justify="right" if column in ("priority", "overdue", "oldest_days") else "left",
                         overflow="fold")
    for record in records:
        table.add_row(*("" if record[column] is None else
                        ("yes" if record[column] else "") if isinstance(record[column], bool) else
                        f"{record[column]:,.2f}" if column == "overdue" else str(record[column])
                        for column in shown))
    out_console.print(table)


FORECAST_REPORT_COLUMNS: tuple[str, ...] = ("line", "kind", "week_start", "week_end", "currency", "amount", "items")


@click.command("forecast")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Report date (default: Settings as_of, else today).")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True,
              help="table for people, csv or json for programs.")
@handle_errors
def forecast_report(path: Path, as_of: dt.date | None, output_format: str) -> None:
    """The 13-week cash forecast: expected receipts per week, later, and what is set apart.

    The lines add up to open AR (unapplied cash netted) exactly.

    \b
    Example:  arxl report forecast ar.xlsx --format json
    """
    from rich.table import Table as RichTable

    from ..forecast import cash_forecast

    _book, ledger = load_or_exit(path, writes=True)
    date = as_of_or_default(ledger, as_of)
    forecast = cash_forecast(ledger, date)
    records = _records(forecast.lines[list(FORECAST_REPORT_COLUMNS)], ("amount",))
    currencies = sorted(set(forecast.lines["currency"]))
    totals = {currency: _plain(forecast.total(currency), currency, money=True) for currency in currencies}
    if output_format == "csv":
        click.echo(_csv(records, list(FORECAST_REPORT_COLUMNS)), nl=False)
        return
    if output_format == "json":
        click.echo(json.dumps({"as_of": date.isoformat(), "lines": records, "open_ar": totals}, indent=1,
                              ensure_ascii=False))
        return
    table = RichTable(title=f"Cash forecast as of {date.isoformat()}", header_style="bold")
    for column in ("line", "from", "to", "currency", "amount", "items"):
        table.add_column(column, justify="right" if column in ("amount", "items") else "left")
    for record in records:
        table.add_row(str(record["line"]), record["week_start"] or "", record["week_end"] or "",
                      str(record["currency"]), f"{record['amount']:,.2f}", str(record["items"]))
    for currency, total in totals.items():
        table.add_row("Total (open AR)", "", "", currency, f"{total:,.2f}", "")
    out_console.print(table)


def register(report_group: click.Group) -> None:
    """Attach ``worklist`` and ``forecast`` to the ``arxl report`` group."""
    report_group.add_command(worklist_report)
    report_group.add_command(forecast_report)
