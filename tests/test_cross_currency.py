"""Cross-currency receipts: a payment in one currency settling an invoice in another, by an Applications row (at
its exchange_rate), by its own reference or by auto-apply (at the FXRates cross rate of the payment date); the
realised exchange difference in the revaluation; every check green. Figures worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from books import D, write_book
from builders import build_ledger
from click.testing import CliRunner

from arxl.aging import aging
from arxl.checks import document_balances, run_checks
from arxl.cli import main
from arxl.revaluation import revaluation
from arxl.settle import settle
from arxl.statements import activity_statement
from arxl.workbook import load_book

AS_OF = D(2026, 3, 31)


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def issue_tables(*, exchange_rate: float | None = 1.08) -> dict[str, list[list[object]]]:
    """The issue's book: reporting USD; C1's EUR invoice I1 of 100.00 booked at 1.10 on 2026-03-01; a USD
    payment P1 of 108.00 on 2026-03-20 applied to it by an Applications row at 1.08 USD per EUR (FXRates says
    1.09 from 03-15, which the row's rate overrides)."""
    return {
        "Settings": [["key", "value"], ["company_name", "Test Co"], ["reporting_currency", "USD"],
                     ["as_of", AS_OF]],
        "Customers": [["customer_id", "name", "currency"], ["C1", "Europa GmbH", "EUR"]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "currency", "fx_rate"],
                     ["I1", "C1", D(2026, 3, 1), 100.0, "EUR", 1.10]],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount", "currency"],
                     ["P1", "C1", D(2026, 3, 20), 108.0, "USD"]],
        "Applications": [["payment_id", "invoice_id", "amount", "date", "exchange_rate"],
                         ["P1", "I1", 100.0, None, exchange_rate]],
        "FXRates": [["currency", "rate", "date"], ["EUR", 1.10, D(2026, 1, 1)], ["EUR", 1.09, D(2026, 3, 15)]],
    }


def test_a_usd_payment_settles_a_eur_invoice_at_the_rate_of_its_applications_row(tmp_path: Path) -> None:
    loaded = load_book(write_book(tmp_path / "cross.xlsx", issue_tables()))
    assert loaded.ok, loaded.problems
    ledger = loaded.ledger
    result = settle(ledger, AS_OF)
    # 100.00 EUR settled; P1 gives 100.00 x 1.08 = 108.00 USD, all it had: nothing open on either side.
    assert result.open_items.empty
    assert result.applications[["source_id", "invoice_id", "currency", "amount", "source_currency",
                                "source_amount", "step"]].values.tolist() == [
        ["P1", "I1", "EUR", 10000, "USD", 10800, "explicit"]]
    # Realised against the booking rate: received 108.00 USD (P1 is in USD, rate 1) - booked 100.00 x 1.10 =
    # 110.00 USD: a loss of 2.00 USD, counted under EUR for C1.
    report = revaluation(ledger, AS_OF)
    assert report.realised[["source_id", "invoice_id", "amount", "source_currency", "source_amount", "received",
                            "booked", "realised"]].values.tolist() == [
        ["P1", "I1", 10000, "USD", 10800, 10800, 11000, -200]]
    assert report.summary[["customer_id", "currency", "realised"]].values.tolist() == [["C1", "EUR", -200]]
    # Each currency's documents reconcile once the exchange is counted: EUR 100.00 - 100.00, USD -108.00 + 108.00.
    assert document_balances(ledger, AS_OF, result)[["currency", "balance"]].values.tolist() == [
        ["EUR", 0], ["USD", 0]]
    checks = run_checks(ledger, AS_OF, result, aging(ledger, AS_OF, settlement=result, convert=True))
    assert set(checks["result"]) == {"PASS"}, checks
    statement = activity_statement(ledger, "C1", D(2026, 3, 1), AS_OF)
    lines = statement.lines[["currency", "document_id", "kind", "debit", "credit", "running_balance"]]
    assert lines.values.tolist() == [["EUR", "I1", "invoice", 10000, 0, 10000],
                                     ["EUR", "P1", "exchange", 0, 10000, 0],
                                     ["USD", "P1", "payment", 0, 10800, -10800],
                                     ["USD", "P1", "exchange", 10800, 0, 0]]
    assert statement.closing_balance == {"EUR": 0, "USD": 0}


def test_the_refreshed_book_shows_the_realised_difference_and_passes_its_checks(tmp_path: Path) -> None:
    path = write_book(tmp_path / "cross.xlsx", issue_tables())
    code, output = run("refresh", str(path))
    assert code == 0, output
    code, output = run("report", "revaluation", str(path), "--format", "json")
    assert code == 0, output
    import json

    payload = json.loads(output)
    assert [(row["source_id"], row["paid_in"], row["paid"], row["realised"]) for row in payload["realised"]] == [
        ("P1", "USD", 108.0, -2.0)]


def test_a_reference_settles_at_the_fxrates_cross_rate_of_the_payment_date() -> None:
    # P1 120.00 USD on 03-20 names EUR invoice I1 (100.00); FXRates EUR 1.09 from 03-15 (USD is the reporting
    # currency: rate 1), so 1.09 USD per EUR. P1 could settle 120.00 / 1.09 = 110.09 EUR; I1 owes 100.00, which
    # costs 100.00 x 1.09 = 109.00 USD: 120.00 - 109.00 = 11.00 USD stays unapplied.
    ledger = build_ledger(
        customers=[{"customer_id": "C1", "currency": "EUR"}],
        invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "100.00"}],
        payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-03-20", "amount": "120.00",
                   "currency": "USD", "invoice_id": "I1"}],
        fx_rates=[{"currency": "EUR", "rate": "1.10", "date": "2026-01-01"},
                  {"currency": "EUR", "rate": "1.09", "date": "2026-03-15"}])
    result = settle(ledger, AS_OF)
    assert result.open_items[["document_id", "currency", "open_amount"]].values.tolist() == [["P1", "USD", -1100]]
    assert result.applications[["amount", "source_amount", "step"]].values.tolist() == [
        [10000, 10900, "reference"]]


def test_auto_apply_reaches_other_currencies_after_its_own() -> None:
    # C1 owes I1 100.00 EUR (due 03-31) and I2 50.00 USD (due 04-30). P1 160.00 USD on 03-20 names nothing:
    # auto-apply settles I2 first (same currency): 160.00 - 50.00 = 110.00 USD left; then I1 at 1.09 USD/EUR:
    # 110.00 / 1.09 = 100.92 EUR would fit, I1 owes 100.00 = 109.00 USD; 1.00 USD stays unapplied.
    ledger = build_ledger(
        customers=[{"customer_id": "C1", "currency": "EUR"}],
        invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "100.00"},
                  {"invoice_id": "I2", "customer_id": "C1", "invoice_date": "2026-03-31", "amount": "50.00",
                   "currency": "USD"}],
        payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-03-20", "amount": "160.00",
                   "currency": "USD"}],
        fx_rates=[{"currency": "EUR", "rate": "1.09"}])
    result = settle(ledger, D(2026, 4, 1))
    assert result.open_items[["document_id", "open_amount"]].values.tolist() == [["P1", -100]]
    assert result.applications[["invoice_id", "amount", "source_amount"]].values.tolist() == [
        ["I1", 10000, 10900], ["I2", 5000, 5000]]


def test_auto_apply_leaves_a_pair_without_a_rate_alone() -> None:
    # No FXRates row for EUR: the USD payment cannot settle the EUR invoice; both stay open.
    ledger = build_ledger(
        customers=[{"customer_id": "C1", "currency": "EUR"}],
        invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "100.00"}],
        payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-03-20", "amount": "108.00",
                   "currency": "USD"}])
    assert settle(ledger, AS_OF).open_items[["document_id", "open_amount"]].values.tolist() == [
        ["I1", 10000], ["P1", -10800]]


def test_a_yen_payment_rounds_once_to_the_yen() -> None:
    # A JPY payment of 16,500 settles a EUR invoice of 100.00 at 164.99 JPY per EUR: 100.00 x 164.99 = 16,499
    # JPY (no minor unit), so 1 JPY stays unapplied.
    ledger = build_ledger(
        customers=[{"customer_id": "C1", "currency": "EUR"}],
        invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "100.00"}],
        payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-03-20", "amount": "16500",
                   "currency": "JPY"}],
        applications=[{"payment_id": "P1", "invoice_id": "I1", "amount": "100.00", "exchange_rate": "164.99"}])
    result = settle(ledger, AS_OF)
    assert result.open_items[["document_id", "open_amount"]].values.tolist() == [["P1", -1]]
    assert result.applications[["amount", "source_amount"]].values.tolist() == [[10000, 16499]]


@pytest.mark.parametrize(("change", "sheet", "column", "words"), [
    # No exchange_rate on the row and no FXRates: the row cannot be settled.
    (lambda tables: (tables["Applications"][1].__setitem__(4, None), tables.pop("FXRates")), "Applications",
     "exchange_rate", "is needed: P1 is in USD and I1 in EUR, and FXRates has no rate for both in force on "
                      "2026-03-20"),
    # A reference to the EUR invoice without FXRates.
    (lambda tables: (tables.pop("Applications"), tables.pop("FXRates"),
                     tables["Payments"][0].append("invoice_id"), tables["Payments"][1].append("I1")),
     "Payments", "currency", "differs from invoice I1's currency EUR, and FXRates has no rate for both"),
    (lambda tables: tables["Applications"][1].__setitem__(4, -1.08), "Applications", "exchange_rate",
     "is not positive"),
])
def test_a_cross_currency_receipt_without_a_rate_is_a_located_error(tmp_path: Path, change, sheet: str,
                                                                    column: str, words: str) -> None:
    tables = issue_tables()
    change(tables)
    loaded = load_book(write_book(tmp_path / "bad.xlsx", tables))
    errors = [(problem.sheet, problem.row, problem.column, problem.message) for problem in loaded.errors]
    assert any(where == sheet and row == 2 and name == column and words in message
               for where, row, name, message in errors), errors


def test_a_credit_note_settles_only_its_own_currency(tmp_path: Path) -> None:
    tables = issue_tables()
    tables["Invoices"].append(["CN1", "C1", D(2026, 3, 2), -50.0, "USD", None])
    tables["Applications"].append(["CN1", "I1", 10.0, None, 1.08])
    loaded = load_book(write_book(tmp_path / "credit.xlsx", tables))
    assert any(problem.sheet == "Applications" and problem.row == 3
               and "is in EUR but credit note CN1 in USD" in problem.message for problem in loaded.errors)
