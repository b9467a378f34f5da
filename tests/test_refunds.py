"""Refunds: a Payments row of type refund pays a customer's credit back out. Real workbooks where the issue's
figures matter (read by arxl's own reader, refreshed, read back), small ledgers for the rules; every figure is
worked out by hand in a comment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import python_calamine as calamine
from books import D, write_book
from builders import build_ledger
from click.testing import CliRunner

from arxl.aging import TOTAL, UNAPPLIED, aging
from arxl.checks import document_balances
from arxl.cli import main
from arxl.settle import credit_uses, settle
from arxl.statements import activity_statement
from arxl.workbook import load_book


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def refund_tables(refund: float | None = 300.0) -> dict[str, list[list[object]]]:
    """The issue's book: C1's credit note CN1 of -300.00 on 2026-03-01, nothing to apply it to, and (unless
    ``refund`` is None) the refund R1 of it on 2026-04-15."""
    payments: list[list[object]] = [["payment_id", "customer_id", "payment_date", "amount", "invoice_id", "method",
                                     "reference", "type"]]
    if refund is not None:
        payments.append(["R1", "C1", D(2026, 4, 15), refund, "CN1", "transfer", "", "refund"])
    return {
        "Settings": [["key", "value"], ["company_name", "Test Co"], ["as_of", D(2026, 4, 30)]],
        "Customers": [["customer_id", "name", "terms_days"], ["C1", "Acme Ltd", 30]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "type"],
                     ["CN1", "C1", D(2026, 3, 1), -300.0, "credit_note"]],
        "Payments": payments,
    }


def test_a_refund_pays_out_a_credit_note_and_leaves_nothing_open(tmp_path: Path) -> None:
    path = write_book(tmp_path / "refund.xlsx", refund_tables())
    loaded = load_book(path)
    assert loaded.ok, loaded.problems
    ledger = loaded.ledger
    # As of 2026-03-31 the refund does not exist yet: CN1's 300.00 is unapplied credit (the Unapplied column
    # shows its size, the total nets it: -300.00).
    march = aging(ledger, D(2026, 3, 31)).summary
    assert march[["customer_id", UNAPPLIED, TOTAL]].values.tolist() == [["C1", 30000, -30000]]
    # As of 2026-04-30 the refund R1 (300.00 paid out) took CN1's 300.00: nothing is open on either side.
    april = settle(ledger, D(2026, 4, 30))
    assert april.open_items.empty
    assert april.applications[["source_id", "invoice_id", "invoice_kind", "amount", "step"]].values.tolist() == [
        ["CN1", "R1", "refund", 30000, "refund"]]
    # The documents say the same: -300.00 (CN1) + 300.00 paid back (R1) = 0.
    assert document_balances(ledger, D(2026, 4, 30))["balance"].tolist() == [0]


def test_a_refund_beyond_the_credit_is_a_located_error(tmp_path: Path) -> None:
    path = write_book(tmp_path / "too-much.xlsx", refund_tables(301.0))
    code, output = run("check", str(path))
    assert code == 1
    # R1 is on Payments row 2; CN1 holds 300.00 unapplied on 2026-04-15, the refund asks 301.00.
    assert "Payments row 2, amount" in output
    assert "301.00" in output and "refunds more of credit note CN1 than it holds unapplied on 2026-04-15 " \
        "(300.00)" in output


def test_a_refund_shows_on_the_activity_statement_and_in_the_audit_trail(tmp_path: Path) -> None:
    path = write_book(tmp_path / "audited.xlsx", refund_tables(None))
    code, output = run("refresh", str(path))
    assert code == 0, output  # the first refresh records the baseline
    workbook = openpyxl.load_workbook(path)
    payments = workbook["Payments"]
    for column, value in enumerate(["R1", "C1", D(2026, 4, 15), 300.0, "CN1", "transfer", "", "refund"], start=1):
        cell = payments.cell(2, column, value)
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    workbook.save(path)
    code, output = run("refresh", str(path))
    assert code == 0, output
    assert "1 change(s) to the input tables" in output
    code, output = run("audit", str(path), "--format", "json")
    import json

    added = [row for row in json.loads(output) if row["Kind"] == "added"]
    assert [(row["Table"], row["Key"]) for row in added] == [("Payments", "R1")]
    assert "type=refund" in added[0]["After"]

    statement = activity_statement(load_book(path).ledger, "C1", D(2026, 3, 1), D(2026, 4, 30))
    # CN1 credits 300.00 (balance -300.00), R1 pays it back out: a debit of 300.00 (balance 0.00).
    lines = statement.lines[["document_id", "kind", "description", "debit", "credit", "running_balance"]]
    assert lines.values.tolist() == [["CN1", "credit_note", "", 0, 30000, -30000],
                                     ["R1", "refund", "transfer Refund of CN1", 30000, 0, 0]]
    assert statement.closing_balance == {"USD": 0}
    # The refreshed book's Checks all pass and its statement sheet of C1 (balance 0) is not needed.
    reader = calamine.CalamineWorkbook.from_path(str(path))
    checks = reader.get_sheet_by_name("Checks").to_python()
    reader.close()
    results = [row[5] for row in checks if len(row) > 5 and row[5] in ("PASS", "FAIL")]
    assert results and set(results) == {"PASS"}


def test_an_overpayment_is_refunded_by_naming_the_payment() -> None:
    # I1 1,000.00; P1 1,200.00 for I1 on 03-10: 200.00 unapplied; R1 refunds 200.00 of P1 on 03-20.
    ledger = build_ledger(
        invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "1000.00"}],
        payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-03-10", "amount": "1200.00",
                   "invoice_id": "I1"},
                  {"payment_id": "R1", "customer_id": "C1", "payment_date": "2026-03-20", "amount": "200.00",
                   "reference": "P1", "type": "refund"}])
    assert settle(ledger, D(2026, 3, 15)).open_items[["document_id", "open_amount"]].values.tolist() == [
        ["P1", -20000]]
    assert settle(ledger, D(2026, 3, 31)).open_items.empty
    uses = credit_uses(ledger)
    assert uses[["credit_id", "amount", "used", "available"]].values.tolist() == [["P1", 20000, 20000, 20000]]


def test_credit_that_auto_apply_takes_first_cannot_be_refunded() -> None:
    # CN1 -300.00 on 03-01; I2 100.00 on 04-01, which auto-apply settles from CN1: only 200.00 is left on 04-15.
    ledger = build_ledger(
        invoices=[{"invoice_id": "CN1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "-300.00"},
                  {"invoice_id": "I2", "customer_id": "C1", "invoice_date": "2026-04-01", "amount": "100.00"}],
        payments=[{"payment_id": "R1", "customer_id": "C1", "payment_date": "2026-04-15", "amount": "300.00",
                   "invoice_id": "CN1", "type": "refund"}])
    uses = credit_uses(ledger)
    assert uses[["amount", "available"]].values.tolist() == [[30000, 20000]]


def test_a_later_application_of_the_credit_counts_against_the_refund() -> None:
    # CN1 -300.00 (03-01); R1 refunds 300.00 on 04-15; an Applications row applies 100.00 of CN1 to I2 on 05-01:
    # the refund may take only 300.00 - 100.00 = 200.00.
    ledger = build_ledger(
        invoices=[{"invoice_id": "CN1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "-300.00"},
                  {"invoice_id": "I2", "customer_id": "C1", "invoice_date": "2026-05-01", "amount": "100.00"}],
        payments=[{"payment_id": "R1", "customer_id": "C1", "payment_date": "2026-04-15", "amount": "300.00",
                   "invoice_id": "CN1", "type": "refund"}],
        applications=[{"payment_id": "CN1", "invoice_id": "I2", "amount": "100.00", "date": "2026-05-01"}])
    assert credit_uses(ledger)[["amount", "available"]].values.tolist() == [[30000, 20000]]


def test_a_refunded_payment_that_bounces_leaves_the_refund_owed() -> None:
    # P1 500.00 (03-01) with nothing to pay; R1 refunds 200.00 of it (03-10); P1's cheque bounces: the reversal
    # X1 of -500.00 (03-20). P1 then holds nothing, so the 200.00 paid out is owed back: 200.00 open on R1.
    ledger = build_ledger(
        payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-03-01", "amount": "500.00"},
                  {"payment_id": "R1", "customer_id": "C1", "payment_date": "2026-03-10", "amount": "200.00",
                   "reference": "P1", "type": "refund"},
                  {"payment_id": "X1", "customer_id": "C1", "payment_date": "2026-03-20", "amount": "-500.00",
                   "reference": "P1"}])
    assert settle(ledger, D(2026, 3, 15)).open_items[["document_id", "open_amount"]].values.tolist() == [
        ["P1", -30000]]  # 500.00 - 200.00 refunded
    items = settle(ledger, D(2026, 3, 31)).open_items
    assert items[["document_id", "kind", "open_amount"]].values.tolist() == [["R1", "refund", 20000]]
    # -500.00 (P1) + 200.00 (R1) + 500.00 (X1) = 200.00
    assert document_balances(ledger, D(2026, 3, 31))["balance"].tolist() == [20000]


@pytest.mark.parametrize(("change", "column", "words"), [
    (lambda row: row.__setitem__(4, ""), "reference", "a refund must name the credit it pays out"),
    (lambda row: row.__setitem__(4, "CN9"), "invoice_id", "is not a known credit note or payment to refund"),
    (lambda row: row.__setitem__(2, D(2026, 2, 1)), "payment_date", "is before credit note CN1 (2026-03-01)"),
    (lambda row: row.__setitem__(1, "C2"), "invoice_id", "is credit note CN1 of customer C1, not C2"),
])
def test_a_refund_that_names_no_usable_credit_is_a_located_error(tmp_path: Path, change, column: str,
                                                                 words: str) -> None:
    tables = refund_tables()
    tables["Customers"].append(["C2", "Beta Ltd", 30])
    change(tables["Payments"][1])
    loaded = load_book(write_book(tmp_path / "bad.xlsx", tables))
    errors = [(problem.sheet, problem.row, problem.column, problem.message) for problem in loaded.errors]
    assert any(sheet == "Payments" and row == 2 and where == column and words in message
               for sheet, row, where, message in errors), errors
