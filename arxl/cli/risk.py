"""Credit-risk reports: ``arxl report allowance`` (provision matrix, expected loss, write-off proposals) and
``arxl report credit`` (the credit what-if: can we ship this order?). ``register(report)`` attaches them to the
``arxl report`` group. They read the book and change nothing; the same figures are on the generated
``Allowance`` and ``Credit`` sheets and come from the worksheet functions ``AR_ALLOWANCE`` and
``AR_CREDIT_CHECK``.

Choices:

- ``report allowance --format csv`` prints one table (``--part``: the matrix by default, or the customers or the
  write-off proposals); ``json`` prints all three with the totals; ``table`` prints all three for people.
- ``report credit --customer C --order AMOUNT`` prints the verdict (approve, refer or refuse) and the four
  findings behind it; the exit code is 0 whatever the verdict (the answer is the output). Without ``--order``
  it lists the credit standing of every customer (or of ``--customer``), as the Credit sheet shows it.
- ``--order`` is read like an amount typed in a cell (``5000``, ``5,000.00``, ``$5,000``), in the customer's
  currency.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .common import DATE, FORMATS, as_of_or_default, handle_errors, load_or_exit, out_console

ALLOWANCE_PARTS = ("matrix", "customers", "write-offs")
STANDING_REPORT_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "currency", "credit_limit", "balance", "overdue", "overdue_share", "risk_grade",
    "hold", "standing", "approve_up_to", "refer_up_to",
)
STANDING_MONEY: tuple[str, ...] = ("credit_limit", "balance", "overdue", "approve_up_to", "refer_up_to")


@click.command("allowance")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", type=DATE, default=None, help="Default: Settings as_of, else today.")
@click.option("--method", type=click.Choice(["settings", "history"]), default="settings", show_default=True,
              help="Loss rates from Settings allowance_rates, or derived from the write-off history.")
@click.option("--part", type=click.Choice(ALLOWANCE_PARTS), default="matrix", show_default=True,
              help="Which table --format csv prints.")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True)
@handle_errors
def allowance_report(path: Path, as_of: dt.date | None, method: str, part: str, output_format: str) -> None:
    """The allowance for doubtful accounts: provision matrix by aging bucket, expected loss per customer and
    write-off proposals.

    \b
    Example:  arxl report allowance ar.xlsx --method history --format json
    """
    import json

    from rich.table import Table as RichTable

    from ..allowance import provision_matrix, write_off_proposals
    from ..money import to_major_float
    from .collections import _csv, _records

    ledger = load_or_exit(path)
    date = as_of_or_default(ledger, as_of)
    try:
        allowance = provision_matrix(ledger, date, method=method)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    write_offs = write_off_proposals(ledger, date)
    matrix = _records(allowance.matrix, ("exposure", "expected_loss"))
    for record, rate in zip(matrix, allowance.matrix["rate"], strict=True):
        record["rate"] = float(rate)
    customer_columns = ["customer_id", "name", "currency", "exposure", "expected_loss", *allowance.labels]
    customers = _records(allowance.customers[customer_columns], ("exposure", "expected_loss", *allowance.labels))
    write_off_columns = ["adjustment_id", "invoice_id", "date", "type", "amount", "reason", "customer_id",
                         "currency", "days_past_due", "last_payment_date"]
    proposals = _records(write_offs[write_off_columns], ("amount",))
    totals = {currency: to_major_float(allowance.total(currency), currency)
              for currency in sorted(set(allowance.matrix["currency"]))}
    if output_format == "json":
        click.echo(json.dumps({"as_of": date.isoformat(), "method": method, "labels": allowance.labels,
                               "rates": list(allowance.rates), "fallback": list(allowance.fallback),
                               "matrix": matrix, "customers": customers, "write_offs": proposals,
                               "allowance": totals}, indent=1, ensure_ascii=False))
        return
    if output_format == "csv":
        chosen = {"matrix": (matrix, ["bucket", "currency", "exposure", "rate", "expected_loss"]),
                  "customers": (customers, customer_columns),
                  "write-offs": (proposals, write_off_columns)}[part]
        click.echo(_csv(*chosen), nl=False)
        return
    table = RichTable(title=f"Allowance as of {date.isoformat()} ({method} rates)", header_style="bold")
    for column in ("bucket", "currency", "exposure", "rate", "expected loss"):
        table.add_column(column, justify="right" if column not in ("bucket", "currency") else "left")
    for record in matrix:
        table.add_row(str(record["bucket"]), str(record["currency"]), f"{record['exposure']:,.2f}",
                      f"{record['rate']:.2%}", f"{record['expected_loss']:,.2f}")
    for currency, total in totals.items():
        table.add_row("Allowance", currency, "", "", f"{total:,.2f}")
    out_console.print(table)
    largest = RichTable(title="Expected loss per customer (largest first)", header_style="bold")
    for column in ("customer_id", "name", "currency", "exposure", "expected loss"):
        largest.add_column(column, justify="right" if column in ("exposure", "expected loss") else "left")
    for record in sorted(customers, key=lambda item: (-float(item["expected_loss"] or 0),
                                                      str(item["customer_id"]))):
        largest.add_row(str(record["customer_id"]), str(record["name"]), str(record["currency"]),
                        f"{record['exposure']:,.2f}", f"{record['expected_loss']:,.2f}")
    out_console.print(largest)
    proposed = RichTable(title=f"Write-off proposals ({len(proposals)})", header_style="bold")
    for column in ("adjustment_id", "invoice_id", "customer_id", "days past due", "amount", "currency"):
        proposed.add_column(column, justify="right" if column in ("days past due", "amount") else "left")
    for record in proposals:
        proposed.add_row(str(record["adjustment_id"]), str(record["invoice_id"]), str(record["customer_id"]),
                         str(record["days_past_due"]), f"{record['amount']:,.2f}", str(record["currency"]))
    out_console.print(proposed)


@click.command("credit")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--customer", default=None, metavar="ID", help="The customer (required with --order).")
@click.option("--order", default=None, metavar="AMOUNT",
              help="The order to judge, in the customer's currency (5000, 5,000.00).")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Default: Settings as_of, else today.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@handle_errors
def credit_report(path: Path, customer: str | None, order: str | None, as_of: dt.date | None,
                  output_format: str) -> None:
    """Credit what-if: approve, refer or refuse an order, with the reasons (limit, hold, overdue share, risk
    grade); without --order, every customer's credit standing and the largest order each verdict allows.

    \b
    Example:  arxl report credit ar.xlsx --customer C0001 --order 5000
    """
    import json

    from rich.table import Table as RichTable

    from ..credit import credit_check, credit_standing
    from ..money import to_major_float
    from .collections import _csv, _records

    if order is not None and customer is None:
        raise click.BadParameter("--order needs --customer (whose order is it?)", param_hint="--order")
    ledger = load_or_exit(path)
    known = set(ledger.customers["customer_id"].astype(str))
    if customer is not None and customer not in known:
        raise click.BadParameter(f"{customer!r} is not in the Customers table", param_hint="--customer")
    date = as_of_or_default(ledger, as_of)
    if order is None:
        standing = credit_standing(ledger, date)
        if customer is not None:
            standing = standing[standing["customer_id"] == customer]
        records = _records(standing[list(STANDING_REPORT_COLUMNS)], STANDING_MONEY)
        if output_format == "json":
            click.echo(json.dumps({"as_of": date.isoformat(), "customers": records}, indent=1,
                                  ensure_ascii=False))
            return
        if output_format == "csv":
            click.echo(_csv(records, list(STANDING_REPORT_COLUMNS)), nl=False)
            return
        table = RichTable(title=f"Credit standing as of {date.isoformat()}", header_style="bold")
        for column in STANDING_REPORT_COLUMNS:
            table.add_column(column, overflow="fold",
                             justify="right" if column in (*STANDING_MONEY, "overdue_share") else "left")
        for record in records:
            table.add_row(*(("no limit" if column in ("credit_limit", "approve_up_to", "refer_up_to") else "")
                            if record[column] is None else
                            f"{record[column]:,.2f}" if column in STANDING_MONEY else
                            f"{record[column]:.0%}" if column == "overdue_share" else
                            ("yes" if record[column] else "") if isinstance(record[column], bool) else
                            str(record[column]) for column in STANDING_REPORT_COLUMNS))
        out_console.print(table)
        return
    currency = str(ledger.customers.loc[ledger.customers["customer_id"] == customer, "currency"].iloc[0])
    amount = _order_amount(order, currency)
    decision = credit_check(ledger, date, str(customer), amount)
    limits = {"approve_up_to": None if decision.approve_up_to is None else
              to_major_float(decision.approve_up_to, currency),
              "refer_up_to": None if decision.refer_up_to is None else to_major_float(decision.refer_up_to,
                                                                                      currency)}
    if output_format == "json":
        click.echo(json.dumps({"as_of": date.isoformat(), "customer_id": decision.customer_id,
                               "currency": currency, "order": to_major_float(amount, currency),
                               "verdict": decision.verdict,
                               "findings": [{"topic": finding.topic, "verdict": finding.verdict,
                                             "text": finding.text} for finding in decision.findings],
                               **limits}, indent=1, ensure_ascii=False))
        return
    if output_format == "csv":
        rows = [{"topic": finding.topic, "verdict": finding.verdict, "text": finding.text}
                for finding in decision.findings]
        click.echo(_csv([{"topic": "decision", "verdict": decision.verdict,
                          "text": f"order {to_major_float(amount, currency):,.2f} {currency}"}, *rows],
                        ["topic", "verdict", "text"]), nl=False)
        return
    table = RichTable(title=f"{decision.verdict.upper()}: order of {to_major_float(amount, currency):,.2f} "
                            f"{currency} for {decision.customer_id} {decision.name} as of {date.isoformat()}",
                      header_style="bold")
    for column in ("finding", "verdict", "why"):
        table.add_column(column, overflow="fold")
    for finding in decision.findings:
        table.add_row(finding.topic, finding.verdict, finding.text)
    out_console.print(table)
    up_to = ("any amount (no limit)" if limits["approve_up_to"] is None
             else f"{limits['approve_up_to']:,.2f} {currency}")
    out_console.print(f"{decision.verdict.upper()}; orders up to {up_to} would be approved today", markup=False)


def _order_amount(text: str, currency: str) -> int:
    """``--order`` as minor units of ``currency``; BadParameter when it is not a positive amount."""
    from ..verbs.credit import BadOrder, order_amount

    try:
        return order_amount(text, currency)
    except BadOrder as exc:
        raise click.BadParameter(str(exc), param_hint="--order") from exc


def register(report_group: click.Group) -> None:
    """Attach ``allowance`` and ``credit`` to the ``arxl report`` group."""
    report_group.add_command(allowance_report)
    report_group.add_command(credit_report)
