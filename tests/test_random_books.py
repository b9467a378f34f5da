"""Random small books, as a user might type them, through every report: a valid book always gets its sheets and
proposals, whatever it mixes (currencies with and without rates, rates dated after documents, refunds, credit
notes, instalments, cross-currency applications, disputes and promises) and whatever the as-of date; the only
refusal allowed is one of arxl's own (a message for the user), never an internal error."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arxl.errors import ArxlError, NotConvertible
from arxl.load import RawTable, load_tables, raw_table_from_rows

D = dt.date
CURRENCIES = ("USD", "EUR", "JPY", "GBP")
FIRST, LAST = D(2025, 10, 1), D(2026, 7, 31)


def _day(r: random.Random) -> dt.date:
    return FIRST + dt.timedelta(days=r.randrange((LAST - FIRST).days))


def _money(r: random.Random, low: float, high: float, currency: str) -> float:
    return round(r.uniform(low, high), 0 if currency == "JPY" else 2)


def random_book(r: random.Random) -> dict[str, RawTable]:
    """A small book: 1-4 customers in the reporting or another currency, up to 8 invoices, credit and debit
    notes, payments (some in another currency than their invoice), refunds of credit notes and of payments,
    FXRates for some currencies (blank and dated rows), instalments, applications, adjustments, Activity."""
    reporting = r.choice(("USD", "EUR", "JPY"))
    customers: list[list[object]] = [["customer_id", "name", "currency", "terms_days", "credit_limit", "on_hold",
                                      "region"]]
    currency_of: dict[str, str] = {}
    for index in range(r.randint(1, 4)):
        customer = f"C{index}"
        currency_of[customer] = r.choice(CURRENCIES) if r.random() < 0.5 else reporting
        customers.append([customer, f"Customer {index}", currency_of[customer], r.choice((0, 15, 30, 60)),
                          r.choice((None, 1000, 50000)), r.choice(("", "", "yes")),
                          r.choice(("", "East", "West"))])
    invoices: list[list[object]] = [["invoice_id", "customer_id", "invoice_date", "amount", "type", "applies_to",
                                     "currency", "fx_rate", "status"]]
    receivables: list[str] = []
    for index in range(r.randint(0, 8)):
        customer = r.choice(list(currency_of))
        currency = currency_of[customer]
        kind = r.choice(("invoice", "invoice", "invoice", "invoice", "credit_note", "debit_note"))
        amount = _money(r, 1, 2000, currency) * (-1 if kind == "credit_note" else 1)
        same = [row[0] for row in invoices[1:] if row[1] == customer and row[4] != "credit_note"]
        applies = r.choice(same) if kind == "credit_note" and same and r.random() < 0.5 else ""
        invoices.append([f"I{index}", customer, _day(r), amount, kind, applies, currency,
                         r.choice((None, None, 1.1)), r.choice(("", "", "disputed"))])
        if kind != "credit_note":
            receivables.append(f"I{index}")
    payments: list[list[object]] = [["payment_id", "customer_id", "payment_date", "amount", "invoice_id",
                                     "currency", "type", "reference"]]
    for index in range(r.randint(0, 6)):
        target = r.choice(receivables) if receivables and r.random() < 0.5 else ""
        customer = next(row[1] for row in invoices[1:] if row[0] == target) if target else r.choice(
            list(currency_of))
        currency = currency_of[customer] if r.random() < 0.8 else r.choice(CURRENCIES)
        payments.append([f"P{index}", customer, _day(r), _money(r, 1, 1500, currency), target, currency, "", ""])
    for index, row in enumerate(list(payments[1:])):
        if r.random() < 0.1:  # a bounced cheque: the payment reversed by a negative one naming it
            payments.append([f"X{index}", row[1], row[2] + dt.timedelta(days=r.randint(1, 20)), -float(row[3]),
                             "", row[5], "", row[0]])
    for index, row in enumerate(invoices[1:]):
        if row[4] == "credit_note" and r.random() < 0.5:
            amount = round(-float(row[3]) * r.choice((0.5, 1.0)), 0 if row[6] == "JPY" else 2)
            payments.append([f"R{index}", row[1], _day(r), amount, row[0], row[6], "refund", ""])
    for index, row in enumerate(list(payments[1:])):
        if row[6] == "" and not row[4] and float(row[3]) > 0 and not str(row[0]).startswith("X") \
                and r.random() < 0.3:
            amount = round(float(row[3]) / 3, 0 if row[5] == "JPY" else 2)
            payments.append([f"RP{index}", row[1], row[2] + dt.timedelta(days=r.randint(0, 40)), amount, "",
                             row[5], "refund", row[0]])
    rates: list[list[object]] = [["currency", "rate", "date"]]
    for currency in CURRENCIES:
        if currency != reporting and r.random() < 0.7:
            days: list[dt.date | None] = [None] if r.random() < 0.4 else []
            days += sorted({_day(r) for _ in range(r.randint(0 if days else 1, 2))})
            rates += [[currency, round(r.uniform(0.5, 150), 4), day] for day in days]
    instalments: list[list[object]] = [["invoice_id", "due_date", "amount"]]
    for row in invoices[1:]:
        if row[4] == "invoice" and r.random() < 0.25:
            half = round(float(row[3]) / 2, 0 if row[6] == "JPY" else 2)
            instalments += [[row[0], row[2] + dt.timedelta(days=30), half],
                            [row[0], row[2] + dt.timedelta(days=60), round(float(row[3]) - half, 2)]]
    applications: list[list[object]] = [["payment_id", "invoice_id", "amount", "date", "exchange_rate"]]
    for row in payments[1:]:
        same = [invoice for invoice in invoices[1:] if invoice[1] == row[1] and invoice[4] == "invoice"]
        if row[6] == "" and float(row[3]) > 0 and same and r.random() < 0.3:
            target = r.choice(same)
            applications.append([row[0], target[0], round(min(float(row[3]), float(target[3])) / 2,
                                                          0 if row[5] == "JPY" else 2),
                                 None, None if row[5] == target[6] else r.choice((None, 1.05))])
    adjustments: list[list[object]] = [["adjustment_id", "invoice_id", "date", "type", "amount", "reason"]]
    for index in range(r.randint(0, 2)):
        if receivables:
            adjustments.append([f"A{index}", r.choice(receivables), _day(r),
                                r.choice(("discount", "write_off", "late_fee")), round(r.uniform(1, 50), 2), "x"])
    activity: list[list[object]] = [["date", "customer_id", "invoice_id", "action", "promised_date",
                                     "promised_amount", "note"]]
    for row in invoices[1:]:
        if r.random() < 0.2:
            action = r.choice(("promise", "dispute", "call", "resolved", "letter"))
            promise = action == "promise"
            activity.append([row[2] + dt.timedelta(days=r.randint(0, 60)), row[1], row[0], action,
                             row[2] + dt.timedelta(days=70) if promise else None,
                             round(abs(float(row[3])) / 2, 2) if promise else None, "noted"])
    book_settings = [["key", "value"], ["company_name", "Random Co"], ["reporting_currency", reporting],
                     ["write_off_tolerance", r.choice((0, 5))], ["auto_apply", r.choice(("yes", "no"))],
                     ["aging_basis", r.choice(("due", "invoice"))],
                     ["bucket_edges", r.choice(("30;60;90", "15;45", "7;14;28;56;112"))],
                     ["dso_period_days", r.choice((30, 90, 365))],
                     ["aging_group_by", r.choice(("", "region"))],
                     ["finance_charge_rate", r.choice((0, 0.015))]]
    if r.random() < 0.2:
        book_settings.append(["closed_through", FIRST + dt.timedelta(days=r.randint(0, 120))])
    assertions = [["customer_id", "date", "balance", "currency"]]
    if r.random() < 0.2:
        assertions.append(["", FIRST + dt.timedelta(days=r.randint(0, 300)), 0.0, reporting])
    tables = {"Settings": book_settings, "Customers": customers, "Invoices": invoices, "Payments": payments,
              "FXRates": rates, "Adjustments": adjustments, "Instalments": instalments,
              "Applications": applications, "Activity": activity}
    if len(assertions) > 1:
        tables["Assertions"] = assertions
    referenced = {str(row[index]) for rows, index in ((payments, 4), (applications, 1), (adjustments, 1),
                                                        (activity, 2), (instalments, 0), (invoices, 5))
                  for row in rows[1:]}
    for row in invoices[1:]:
        if row[0] not in referenced and r.random() < 0.1:
            row[8] = "void"  # a cancelled document nothing refers to
    return {name: raw_table_from_rows(name, rows) for name, rows in tables.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), offset=st.integers(-40, 420))
def test_every_report_of_a_valid_random_book_is_made(seed: int, offset: int) -> None:
    from arxl.allowance import provision_matrix, write_off_proposals
    from arxl.cashapp import propose_applications
    from arxl.credit_balances import credit_balances
    from arxl.metrics import compute_metrics, monthly_series
    from arxl.postings import posting_proposals
    from arxl.revaluation import revaluation
    from arxl.small_balances import small_balance_proposals
    from arxl.statements import activity_statement, open_item_statement
    from arxl.verbs.refresh import SHEETS, build_sheets

    loaded = load_tables(random_book(random.Random(seed)))
    if not loaded.ok:
        return  # refused with located problems: the loader's own tests cover those
    ledger = loaded.ledger
    as_of = FIRST + dt.timedelta(days=offset)
    try:
        specs, _counts, checks = build_sheets(ledger, as_of, SHEETS, explicit=True)
    except ArxlError:
        return
    # Every reconciliation holds; an Assertions row is the user's figure (here a random one), free to fail.
    failed = checks[(checks["result"] != "PASS") & ~checks["scope"].str.startswith("Assertions")]
    assert specs and failed.empty, failed.to_dict("records")
    from arxl.collections import letters
    from arxl.credit import credit_check

    small_balance_proposals(ledger, as_of)
    posting_proposals(ledger, as_of)
    letters(ledger, as_of)
    for customer in ledger.customers["customer_id"]:
        credit_check(ledger, as_of, customer, 50_000)
    propose_applications(ledger, as_of)
    write_off_proposals(ledger, as_of)
    provision_matrix(ledger, as_of, method="history")
    credit_balances(ledger, as_of)
    revaluation(ledger, as_of)
    monthly_series(ledger, as_of)
    for customer in ledger.customers["customer_id"]:
        activity_statement(ledger, customer, as_of - dt.timedelta(days=90), as_of)
        open_item_statement(ledger, customer, as_of)
    try:
        compute_metrics(ledger, as_of)
    except NotConvertible as exc:
        assert "no exchange rate" in str(exc)


def _rows(table: RawTable) -> list[list[object]]:
    return [list(table.header), *[list(row) for row in table.cell_rows()]]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), offset=st.integers(-40, 420))
def test_a_random_book_on_disk_refreshes_twice_and_reads_back(tmp_path_factory, seed: int, offset: int) -> None:
    """The same books as real files through the command line: refresh (every sheet, statements included) ends
    in 0 or a located refusal (1), never an internal error; a second refresh finds no edit and adds no audit row;
    LibreOffice's reader library and openpyxl open the result."""
    import json

    import openpyxl
    import python_calamine as calamine
    from books import write_book
    from click.testing import CliRunner

    from arxl.cli import main

    raw = random_book(random.Random(seed))
    tables = {name: _rows(table) for name, table in raw.items()}
    path = write_book(tmp_path_factory.mktemp("book") / "book.xlsx", tables)
    as_of = (FIRST + dt.timedelta(days=offset)).isoformat()
    runner = CliRunner()
    first = runner.invoke(main, ["refresh", str(path), "--as-of", as_of, "--only",
                                 "dashboard,aging,detail,statements,checks,collections,forecast,revaluation,"
                                 "allowance,credit,credits"])
    assert first.exit_code in (0, 1), first.output
    if first.exit_code == 1:  # a located refusal, or an Assertions row (a random figure) that does not hold
        assert "arxl: internal error" not in first.output
        failed_checks = [line for line in first.output.splitlines() if "check failed:" in line]
        assert all("(Assertions row" in line for line in failed_checks), failed_checks
        return
    audit = runner.invoke(main, ["audit", str(path), "--format", "json"])
    before = json.loads(audit.output)
    second = runner.invoke(main, ["refresh", str(path), "--as-of", as_of])
    assert second.exit_code == 0, second.output
    assert json.loads(runner.invoke(main, ["audit", str(path), "--format", "json"]).output) == before
    workbook = openpyxl.load_workbook(path)
    assert {"Dashboard", "Aging", "Checks", "Audit"} <= set(workbook.sheetnames)
    reader = calamine.CalamineWorkbook.from_path(str(path))
    try:
        checks = reader.get_sheet_by_name("Checks").to_python()
    finally:
        reader.close()
    results = [row[5] for row in checks if len(row) > 5 and row[5] in ("PASS", "FAIL")
               and not str(row[1]).startswith("Assertions")]
    assert results and set(results) == {"PASS"}
