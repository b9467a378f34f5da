"""Instalments: one invoice, several due dates (issue 16). Figures worked out by hand in the comments."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import arxl_udfs as udf
import numpy as np
import openpyxl
import pandas as pd
import pytest
from books import D, write_book
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arxl.aging import aging
from arxl.cli import main
from arxl.collections import dunning, letters
from arxl.forecast import cash_forecast
from arxl.metrics import compute_metrics, payment_behaviour
from arxl.settle import prepared_ledger, settle, settle_arrays
from arxl.statements import open_item_statement
from arxl.workbook import load_book
from tests.builders import build_ledger, shuffled

AS_OF = dt.date(2026, 6, 30)

# The issue's hand-worked book: invoice 1,000.00 dated 2026-01-01 in two instalments of 500.00 due 2026-02-01 and
# 2026-08-01; a payment of 200.00 referencing the invoice on 2026-03-01.
BOOK: dict[str, list[list[object]]] = {
    "Settings": [["key", "value"], ["company_name", "Test Co"], ["reporting_currency", "USD"],
                 ["as_of", D(2026, 6, 30)]],
    "Customers": [["customer_id", "name", "email", "terms_days"], ["C1", "Acme Ltd", "ap@acme.test", 30]],
    "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount"],
                 ["INV-1001", "C1", D(2026, 1, 1), 1000.0]],
    "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"],
                 ["P1", "C1", D(2026, 3, 1), 200.0, "INV-1001"]],
    "Instalments": [["invoice_id", "due_date", "amount", "note"],
                    ["INV-1001", D(2026, 2, 1), 500.0, "50% at 30 days"],
                    ["INV-1001", D(2026, 8, 1), 500.0, "50% on delivery"]],
}


def _book_ledger():
    return build_ledger(
        customers=[dict(customer_id="C1", name="Acme Ltd", email="ap@acme.test")],
        invoices=[dict(invoice_id="INV-1001", customer_id="C1", invoice_date="2026-01-01", amount="1000.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-03-01", amount="200.00",
                       invoice_id="INV-1001")],
        instalments=[dict(invoice_id="INV-1001", due_date="2026-02-01", amount="500.00"),
                     dict(invoice_id="INV-1001", due_date="2026-08-01", amount="500.00")],
    )


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_book(tmp_path / "instalments.xlsx", BOOK)


# --- the hand-worked book ------------------------------------------------------------------------------------

def test_the_issue_book_ages_each_instalment_by_its_own_due_date(book: Path) -> None:
    result = load_book(book)
    assert result.ok, [str(problem) for problem in result.problems]
    report = aging(result.ledger, AS_OF)
    detail = report.detail
    assert detail["instalment"].tolist() == ["1/2", "2/2"]
    # The payment goes to the earliest-due instalment: 500.00 - 200.00 = 300.00 open, due 2026-02-01:
    # 2026-06-30 - 2026-02-01 = 27 (rest of Feb) + 31 + 30 + 31 + 30 = 149 days past due, Over 90.
    first, second = detail.iloc[0], detail.iloc[1]
    assert (int(first["open_amount"]), int(first["days_past_due"]), first["bucket"]) == (30000, 149, "Over 90")
    assert (int(first["original"]), int(first["applied"])) == (50000, -20000)
    # The second instalment is untouched: 500.00 due 2026-08-01, 32 days ahead: Current.
    assert (int(second["open_amount"]), int(second["days_past_due"]), second["bucket"]) == (50000, -32, "Current")
    summary = report.summary.iloc[0]
    assert (summary["Current"], summary["Over 90"], summary["Total"]) == (50000, 30000, 80000)


def test_the_invoice_is_due_in_full_on_its_last_instalment(book: Path) -> None:
    ledger = load_book(book).ledger
    assert ledger.invoices["due_date"].iloc[0] == pd.Timestamp("2026-08-01")


def test_statement_shows_two_lines(book: Path) -> None:
    statement = open_item_statement(load_book(book).ledger, "C1", AS_OF)
    assert statement.items[["document_id", "instalment", "open_amount"]].values.tolist() == [
        ["INV-1001", "1/2", 30000], ["INV-1001", "2/2", 50000]]
    footer = statement.footer.iloc[0]
    assert (footer["Current"], footer["Over 90"], footer["Total"]) == (50000, 30000, 80000)


def test_dunning_covers_only_the_first_instalment(book: Path) -> None:
    ledger = load_book(book).ledger
    dunned = dunning(ledger, AS_OF)
    # Only the overdue 300.00 of instalment 1/2 (149 days: the default level 4 starts at 90 days).
    assert dunned[["document_id", "instalment", "open_amount", "level"]].values.tolist() == [
        ["INV-1001", "1/2", 30000, 4]]
    (letter,) = letters(ledger, AS_OF)
    assert letter.totals == {"USD": 30000}
    assert "INV-1001 1/2" in letter.body and "2/2" not in letter.body


def test_refreshed_sheets_show_two_lines(book: Path) -> None:
    result = CliRunner().invoke(main, ["refresh", str(book), "--quiet"])
    assert result.exit_code == 0, result.output
    sheets = openpyxl.load_workbook(book, data_only=True)
    detail = [row for row in sheets["Aging Detail"].iter_rows(min_row=5, values_only=True)
              if row[0] and not str(row[0]).startswith("Total")]  # the per-currency totals sit below the table
    header = [cell.value for cell in sheets["Aging Detail"][4]]
    due, days, bucket, open_at = (header.index(name) for name in ("Due date", "Days past due", "Bucket",
                                                                  "Open amount"))
    assert [(row[2], row[due].date(), row[days], row[bucket], row[open_at]) for row in detail] == [
        ("INV-1001 1/2", dt.date(2026, 2, 1), 149, "Over 90", 300.0),
        ("INV-1001 2/2", dt.date(2026, 8, 1), -32, "Current", 500.0)]
    statement = sheets["ST C1"]
    top = next(row for row in range(1, 40) if statement.cell(row, 1).value == "Date")
    titles = [statement.cell(top, column).value for column in range(1, 10)]
    lines = [row for row in statement.iter_rows(min_row=top + 1, max_row=top + 2, values_only=True)]
    due, days, open_at = (titles.index(name) for name in ("Due date", "Days overdue", "Open amount (USD)"))
    # 2/2 is not due yet: its days overdue are left blank.
    assert [(row[1], row[due].date(), row[days], row[open_at]) for row in lines] == [
        ("INV-1001 1/2", dt.date(2026, 2, 1), 149, 300.0), ("INV-1001 2/2", dt.date(2026, 8, 1), None, 500.0)]


def test_open_items_report_and_worksheet_function_list_instalments(book: Path) -> None:
    result = CliRunner().invoke(main, ["report", "open-items", str(book), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(row["document_id"], row["instalment"], row["open_amount"]) for row in rows] == [
        ("INV-1001", "1/2", "300.00"), ("INV-1001", "2/2", "500.00")]
    # The worksheet function, called with what xlwings hands over: lists of rows, floats, datetimes, None.
    tables = {name.lower(): [[dt.datetime(value.year, value.month, value.day) if isinstance(value, dt.date)
                              else value for value in row] for row in table]
              for name, table in BOOK.items()}
    spill = udf.AR_OPEN_ITEMS("C1", tables["invoices"], tables["payments"], tables["customers"], None, None,
                              tables["settings"], None, None, None, tables["instalments"])
    header = spill[0]
    assert header[:2] == ["document_id", "instalment"]
    shown = [(row[0], row[1], row[header.index("days_past_due")], row[header.index("open_amount")])
             for row in spill[1:]]
    assert shown == [("INV-1001", "1/2", 149, 300.0), ("INV-1001", "2/2", -32, 500.0)]


def test_forecast_and_payment_behaviour_use_instalment_due_dates() -> None:
    ledger = _book_ledger()
    # P1 paid instalment 1/2 (due 2026-02-01) on 2026-03-01: 28 days late, 59 days after the invoice date; measured
    # against the invoice's final due date 2026-08-01 it would have looked 153 days early.
    behaviour = payment_behaviour(ledger, AS_OF).iloc[0]
    assert (behaviour["paid_amount"], behaviour["avg_days_late"], behaviour["avg_days_to_pay"]) == (20000, 28, 59)
    assert behaviour["on_time_share"] == 0
    forecast = cash_forecast(ledger, AS_OF)
    # 1/2 is 149 days past due: set apart as Over 90. 2/2 is expected 28 days after 2026-08-01, on 2026-08-29:
    # 60 days after the as-of date, in week 60 // 7 + 1 = 9.
    lines = forecast.lines.set_index("line")["amount"]
    assert (lines["Over 90"], lines["Week 9"], forecast.total("USD")) == (30000, 50000, 80000)
    assert forecast.items["expected_date"].dropna().tolist() == [pd.Timestamp("2026-08-29")]


def test_metrics_count_instalments_by_their_own_due_dates() -> None:
    metrics = compute_metrics(_book_ledger(), AS_OF, period_days=365)
    # AR 800.00; current (not yet due) AR is instalment 2/2 only: 500.00. Credit sales in the 365 days: 1,000.00.
    # DSO = 800 / 1000 x 365 = 292.0; BPDSO = 500 / 1000 x 365 = 182.5; ADD = 109.5; percent current 500/800.
    assert (metrics.ar, metrics.current_ar, metrics.credit_sales) == (80000, 50000, 100000)
    assert metrics.dso == pytest.approx(292.0)
    assert metrics.bpdso == pytest.approx(182.5)
    assert metrics.add == pytest.approx(109.5)
    assert metrics.pct_current == pytest.approx(62.5)
    assert metrics.pct_over_last == pytest.approx(37.5)


# --- the rule: earliest-due first, whatever settles it --------------------------------------------------------

def test_auto_apply_takes_each_instalment_by_its_own_due_date() -> None:
    ledger = build_ledger(
        invoices=[dict(invoice_id="A", customer_id="C1", invoice_date="2026-01-01", amount="1000.00"),
                  dict(invoice_id="B", customer_id="C1", invoice_date="2026-01-15", due_date="2026-03-01",
                       amount="300.00")],
        instalments=[dict(invoice_id="A", due_date="2026-02-01", amount="500.00"),
                     dict(invoice_id="A", due_date="2026-08-01", amount="500.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-03-05", amount="700.00")],
        adjustments=[dict(adjustment_id="F1", invoice_id="A", date="2026-03-10", type="finance_charge",
                          amount="10.00")],
    )
    settlement = settle(ledger, AS_OF)
    # Step 1: the finance charge raises A's first instalment to 510.00. Step 4, oldest due first over the items
    # A 1/2 (due 02-01, 510.00), B (due 03-01, 300.00), A 2/2 (due 08-01): 700.00 = 510.00 + 190.00.
    assert settlement.applications[["source_id", "invoice_id", "amount"]].values.tolist() == [
        ["P1", "A", 51000], ["P1", "B", 19000]]
    items = settlement.open_items
    columns = ["document_id", "instalment", "original", "adjusted", "applied", "open_amount"]
    assert items[columns].values.tolist() == [["A", "2/2", 50000, 0, 0, 50000], ["B", "", 30000, 0, -19000, 11000]]


def test_write_offs_reduce_the_earliest_instalment_first() -> None:
    ledger = build_ledger(
        invoices=[dict(invoice_id="A", customer_id="C1", invoice_date="2026-01-01", amount="1000.00")],
        instalments=[dict(invoice_id="A", due_date="2026-02-01", amount="600.00"),
                     dict(invoice_id="A", due_date="2026-08-01", amount="400.00")],
        adjustments=[dict(adjustment_id="W1", invoice_id="A", date="2026-03-01", type="write_off",
                          amount="700.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-04-01", amount="50.00",
                       invoice_id="A")],
    )
    items = settle(ledger, AS_OF).open_items
    # 700.00 written off: all of 1/2 (600.00) and 100.00 of 2/2; then the 50.00 payment: 2/2 has 250.00 open.
    assert items[["instalment", "original", "adjusted", "applied", "open_amount"]].values.tolist() == [
        ["2/2", 40000, -10000, -5000, 25000]]


def test_a_credit_note_settles_the_earliest_instalment() -> None:
    ledger = build_ledger(
        invoices=[dict(invoice_id="A", customer_id="C1", invoice_date="2026-01-01", amount="900.00"),
                  dict(invoice_id="CN", customer_id="C1", invoice_date="2026-02-10", amount="-400.00",
                       applies_to="A")],
        instalments=[dict(invoice_id="A", due_date="2026-02-01", amount="300.00"),
                     dict(invoice_id="A", due_date="2026-03-01", amount="300.00"),
                     dict(invoice_id="A", due_date="2026-04-01", amount="300.00")],
    )
    items = settle(ledger, AS_OF).open_items
    # 400.00 credited: 1/3 closed, 100.00 off 2/3.
    assert items[["instalment", "open_amount"]].values.tolist() == [["2/3", 20000], ["3/3", 30000]]


# --- validation ----------------------------------------------------------------------------------------------

def _problems(tmp_path: Path, instalments: list[list[object]], **changes: list[list[object]]) -> list[str]:
    tables = {**BOOK, "Instalments": [BOOK["Instalments"][0], *instalments], **changes}
    return [str(problem) for problem in load_book(write_book(tmp_path / "b.xlsx", tables)).problems]


def test_instalments_that_do_not_add_up_are_located_errors(tmp_path: Path) -> None:
    problems = _problems(tmp_path, [["INV-1001", D(2026, 2, 1), 600.0, ""],
                                    ["INV-1001", D(2026, 8, 1), 500.0, ""]])
    assert problems == [
        'Instalments row 2, amount: "600.00" the instalments of INV-1001 (rows 2, 3) add up to 1100.00, not its '
        "amount 1000.00 (expected instalments that add up to the invoice amount)",
        'Instalments row 3, amount: "500.00" the instalments of INV-1001 (rows 2, 3) add up to 1100.00, not its '
        "amount 1000.00 (expected instalments that add up to the invoice amount)",
    ]


def test_every_bad_instalment_is_reported_at_once(tmp_path: Path) -> None:
    invoices = [*BOOK["Invoices"], ["CN-1", "C1", D(2026, 1, 5), -50.0]]
    problems = _problems(tmp_path, [
        ["INV-9", D(2026, 2, 1), 100.0, ""],
        ["INV-1001", D(2025, 12, 1), 0.0, ""],
        ["INV-1001", D(2026, 8, 1), 1000.0, ""],
        ["CN-1", D(2026, 2, 1), 50.0, ""],
    ], Invoices=invoices)
    assert problems == [
        'Instalments row 2, invoice_id: "INV-9" is not a known invoice (expected the invoice_id of an invoice or '
        "debit note of the Invoices table)",
        'Instalments row 3, amount: "0" is not positive (expected a positive part of the invoice amount)',
        'Instalments row 3, due_date: "2025-12-01" is before the date of invoice INV-1001 (2026-01-01) '
        "(expected a due date on or after the invoice date)",
        'Instalments row 5, invoice_id: "CN-1" is a credit note; only invoices and debit notes are paid in '
        "instalments (expected the invoice_id of an invoice or debit note)",
    ]


def test_a_typed_due_date_that_differs_is_replaced_with_a_warning(tmp_path: Path) -> None:
    invoices = [["invoice_id", "customer_id", "invoice_date", "amount", "due_date"],
                ["INV-1001", "C1", D(2026, 1, 1), 1000.0, D(2026, 1, 31)]]
    problems = _problems(tmp_path, BOOK["Instalments"][1:], Invoices=invoices)
    assert problems == [
        'Invoices row 2, due_date: "2026-01-31" differs from the due date of the invoice\'s last instalment '
        "(2026-08-01); the Instalments table decides when each part is due"]


def test_the_template_has_the_instalments_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["new", str(tmp_path / "new.xlsx")])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / "new.xlsx")["Instalments"]
    assert [cell.value for cell in sheet[1]] == ["invoice_id", "due_date", "amount", "note"]
    assert "Instalments" in sheet.tables


# --- properties ----------------------------------------------------------------------------------------------

DAY0 = dt.date(2026, 1, 1)


@st.composite
def instalment_books(draw: st.DrawFn, *, referenced: bool
                     ) -> tuple[list[dict], list[dict], list[dict], list[dict], dt.date]:
    """Invoices I0..I5 of customers C0/C1, each in 1-3 instalments, and payments. With ``referenced`` some
    payments name an invoice (at most one per invoice, for no more than its first instalment), adjustments
    write off and charge; otherwise payments name nothing (auto-apply)."""
    invoices, instalments, payments, adjustments = [], [], [], []
    for number in range(draw(st.integers(1, 6))):
        invoice_id = f"I{number}"
        day = draw(st.integers(0, 60))
        parts = draw(st.lists(st.integers(1, 50_000), min_size=1, max_size=3))
        dues = sorted(draw(st.lists(st.integers(day, day + 200), min_size=len(parts), max_size=len(parts))))
        customer = f"C{draw(st.integers(0, 1))}"
        invoices.append(dict(invoice_id=invoice_id, customer_id=customer, invoice_date=DAY0 + dt.timedelta(day),
                             amount=str(Decimal(sum(parts)) / 100)))
        for part, due in zip(parts, dues, strict=True):
            instalments.append(dict(invoice_id=invoice_id, due_date=DAY0 + dt.timedelta(due),
                                    amount=str(Decimal(part) / 100)))
        if referenced and draw(st.booleans()):
            payments.append(dict(payment_id=f"R{number}", customer_id=customer, invoice_id=invoice_id,
                                 payment_date=DAY0 + dt.timedelta(draw(st.integers(day, 300))),
                                 amount=str(Decimal(draw(st.integers(1, parts[0]))) / 100)))
        if referenced and draw(st.booleans()):
            kind = draw(st.sampled_from(["write_off", "finance_charge", "discount"]))
            adjustments.append(dict(adjustment_id=f"J{number}", invoice_id=invoice_id, type=kind,
                                    date=DAY0 + dt.timedelta(draw(st.integers(day, 300))),
                                    amount=str(Decimal(draw(st.integers(1, sum(parts)))) / 100)))
    for number in range(draw(st.integers(0, 4))):
        payments.append(dict(payment_id=f"P{number}", customer_id=f"C{draw(st.integers(0, 1))}",
                             payment_date=DAY0 + dt.timedelta(draw(st.integers(0, 300))),
                             amount=str(Decimal(draw(st.integers(1, 80_000))) / 100)))
    as_of = DAY0 + dt.timedelta(draw(st.integers(0, 320)))
    return invoices, instalments, payments, adjustments, as_of


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instalment_books(referenced=True))
def test_instalments_of_an_invoice_sum_to_its_open_amount(book) -> None:
    invoices, instalments, payments, adjustments, as_of = book
    ledger = build_ledger(invoices=invoices, instalments=instalments, payments=payments, adjustments=adjustments)
    items = settle(ledger, as_of).open_items
    prepared = prepared_ledger(ledger)
    core = settle_arrays(prepared, as_of, auto_apply=True)
    open_by_id = dict(zip(prepared.doc_id.to_pylist(), core.open_amount.tolist(), strict=True))
    parts = items[items["instalment"] != ""]
    for invoice_id, rows in parts.groupby("document_id"):
        assert int(rows["open_amount"].sum()) == open_by_id[invoice_id]
    assert (items["original"] + items["adjusted"] + items["applied"] == items["open_amount"]).all()
    assert (parts["open_amount"] > 0).all()
    # Earliest due first: of an invoice's open instalments, only the earliest may have been settled in part
    # (the first instalment also carries the finance charges, so it is compared with original + adjusted).
    for _, rows in parts.groupby("document_id"):
        later = rows.iloc[1:]
        assert (later["applied"] == 0).all() and (later["adjusted"] == 0).all()
    # ... and the order of the rows of any table changes nothing.
    again = settle(shuffled(ledger, seed=len(items)), as_of)
    pd.testing.assert_frame_equal(again.open_items, items)
    pd.testing.assert_frame_equal(again.applications, settle(ledger, as_of).applications)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instalment_books(referenced=False))
def test_instalments_age_like_invoices_of_their_own(book) -> None:
    invoices, instalments, payments, _, as_of = book
    with_parts = build_ledger(invoices=invoices, instalments=instalments, payments=payments)
    # The same book with each instalment written as an invoice of its own (I3/2 for I3's second instalment).
    counts: dict[str, int] = {}
    split = []
    by_id = {invoice["invoice_id"]: invoice for invoice in invoices}
    for part in instalments:
        counts[part["invoice_id"]] = counts.get(part["invoice_id"], 0) + 1
        source = by_id[part["invoice_id"]]
        split.append(dict(source, invoice_id=f"{part['invoice_id']}/{counts[part['invoice_id']]}",
                          due_date=part["due_date"], amount=part["amount"]))
    as_invoices = build_ledger(invoices=split, payments=payments)
    ours, theirs = aging(with_parts, as_of), aging(as_invoices, as_of)
    pd.testing.assert_frame_equal(ours.summary, theirs.summary)
    mine = ours.detail.assign(document_id=[f"{document}/{part.split('/')[0]}" if part else document for
                                           document, part in zip(ours.detail["document_id"],
                                                                 ours.detail["instalment"], strict=True)])
    columns = ["customer_id", "document_id", "due_date", "days_past_due", "bucket", "open_amount"]
    assert np.array_equal(mine[columns].to_numpy(), theirs.detail[columns].to_numpy())
