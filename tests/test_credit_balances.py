"""The credit-balances report (the Credits sheet, arxl report credits): every open credit with its age, last
activity and proposed action. A real workbook refreshed and read back with python-calamine; ages worked out by
hand."""

from __future__ import annotations

import json
from pathlib import Path

import python_calamine as calamine
from books import D, write_book
from builders import build_ledger
from click.testing import CliRunner

from arxl.cli import main
from arxl.credit_balances import credit_balances
from arxl.workbook import load_book

AS_OF = D(2026, 6, 30)


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def credit_tables() -> dict[str, list[list[object]]]:
    """Four credits as of 2026-06-30, one for each action:

    - C1's credit note CN1 (-300.00, 2022-05-01), never touched since: escheat review (3 years);
    - C2's P2 paid 1,000.37 for I2 (1,000.00) on 2026-06-10: 0.37 unapplied, under the 5.00 tolerance: write off;
    - C3's P3 of 200.00 USD (2026-06-01) naming no invoice, and its EUR invoice I3 (booked at 1.12): auto-apply
      is off, and FXRates has a EUR rate, so the payment can settle the invoice across currencies: apply;
    - C4's credit note CN4 (-50.00, 2023-01-10), last touched by a call about it on 2025-02-01: refund.
    """
    return {
        "Settings": [["key", "value"], ["company_name", "Test Co"], ["as_of", AS_OF], ["write_off_tolerance", 5],
                     ["escheat_after_years", 3], ["auto_apply", "no"]],
        "Customers": [["customer_id", "name", "currency"], ["C1", "Acme Ltd", "USD"], ["C2", "Beta Ltd", "USD"],
                      ["C3", "Europa GmbH", "EUR"], ["C4", "Delta Ltd", "USD"]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "currency", "type", "fx_rate"],
                     ["CN1", "C1", D(2022, 5, 1), -300.0, "USD", "credit_note", None],
                     ["I2", "C2", D(2026, 6, 1), 1000.0, "USD", "invoice", None],
                     ["I3", "C3", D(2026, 5, 1), 100.0, "EUR", "invoice", 1.12],
                     ["CN4", "C4", D(2023, 1, 10), -50.0, "USD", "credit_note", None]],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id", "currency"],
                     ["P2", "C2", D(2026, 6, 10), 1000.37, "I2", "USD"],
                     ["P3", "C3", D(2026, 6, 1), 200.0, "", "USD"]],
        "Activity": [["date", "customer_id", "invoice_id", "action", "note"],
                     [D(2025, 2, 1), "C4", "CN4", "call", "asked whether to refund"]],
        "FXRates": [["currency", "rate", "date"], ["EUR", 1.10, D(2026, 4, 1)]],
    }


def test_each_credit_gets_its_age_last_activity_and_action(tmp_path: Path) -> None:
    ledger = load_book(write_book(tmp_path / "credits.xlsx", credit_tables())).ledger
    credits = credit_balances(ledger, AS_OF)
    # Ages: CN1 2022-05-01 -> 2026-05-01 is 365 + 366 + 365 + 365 = 1,461 days, + 31 (May) + 29 = 1,521.
    # P2 2026-06-10 -> 06-30: 20. P3 06-01 -> 06-30: 29.
    # CN4 2023-01-10 -> 2026-01-10: 365 + 366 + 365 = 1,096, + 21 + 28 + 31 + 30 + 31 + 30 = 1,267; its last
    # activity 2025-02-01 -> 2026-02-01 = 365, + 27 + 31 + 30 + 31 + 30 = 514 dormant days (under 3 years).
    assert credits[["customer_id", "document_id", "currency", "credit", "age_days", "dormant_days",
                    "action"]].values.tolist() == [
        ["C1", "CN1", "USD", 30000, 1521, 1521, "escheat review"],
        ["C2", "P2", "USD", 37, 20, 20, "write off"],
        ["C3", "P3", "USD", 20000, 29, 29, "apply"],
        ["C4", "CN4", "USD", 5000, 1267, 514, "refund"],
    ]
    assert credits["detail"].iloc[2] == "to I3 (open invoice)"
    assert [str(day.date()) for day in credits["last_activity"]] == ["2022-05-01", "2026-06-10", "2026-06-01",
                                                                     "2025-02-01"]


def test_the_credits_sheet_and_report_agree(tmp_path: Path) -> None:
    path = write_book(tmp_path / "credits.xlsx", credit_tables())
    code, output = run("refresh", str(path))
    assert code == 0, output
    reader = calamine.CalamineWorkbook.from_path(str(path))
    rows = reader.get_sheet_by_name("Credits").to_python()
    reader.close()
    assert rows[1][0].startswith("Credit balances (what customers are owed, not credit standing) as of 06/30/2026")
    header = rows[3]
    body = [dict(zip(header, row, strict=False)) for row in rows[4:8]]
    assert [(row["Document"], row["Credit balance"], row["Proposed action"]) for row in body] == [
        ("CN1", 300.0, "escheat review"), ("P2", 0.37, "write off"), ("P3", 200.0, "apply"),
        ("CN4", 50.0, "refund")]
    # One total for USD: 300.00 + 0.37 + 200.00 + 50.00 = 550.37.
    total = next(row for row in rows[8:] if row and row[0] == "Total USD")
    assert total[7] == 550.37
    code, output = run("report", "credits", str(path), "--format", "json")
    assert code == 0, output
    payload = json.loads(output)
    assert [(row["document_id"], row["credit"], row["action"]) for row in payload["credits"]] == [
        ("CN1", 300.0, "escheat review"), ("P2", 0.37, "write off"), ("P3", 200.0, "apply"),
        ("CN4", 50.0, "refund")]


def test_with_auto_apply_off_an_open_invoice_of_the_same_currency_is_proposed() -> None:
    ledger = build_ledger(
        invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-06-01", "amount": "80.00"},
                  {"invoice_id": "I2", "customer_id": "C1", "invoice_date": "2026-05-01", "amount": "40.00"}],
        payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-06-15", "amount": "100.00"}],
        auto_apply=False)
    credits = credit_balances(ledger, AS_OF)
    # Oldest due first: I2 (due 05-31) before I1 (due 07-01).
    assert credits[["document_id", "action", "detail"]].values.tolist() == [
        ["P1", "apply", "to I2, I1 (open invoices)"]]


def test_escheat_is_never_flagged_with_zero_years() -> None:
    ledger = build_ledger(
        invoices=[{"invoice_id": "CN1", "customer_id": "C1", "invoice_date": "2010-01-01", "amount": "-10.00"}],
        escheat_after_years=0)
    assert credit_balances(ledger, AS_OF)["action"].tolist() == ["refund"]


def test_no_credits_gives_an_empty_report() -> None:
    ledger = build_ledger(
        invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-06-01", "amount": "80.00"}])
    assert credit_balances(ledger, AS_OF).empty


def test_refresh_only_credits_writes_the_credits_sheet_alone(tmp_path: Path) -> None:
    path = write_book(tmp_path / "credits.xlsx", credit_tables())
    code, output = run("refresh", str(path), "--only", "credits")
    assert code == 0, output
    reader = calamine.CalamineWorkbook.from_path(str(path))
    names = reader.sheet_names
    reader.close()
    # The input tables, the Credits sheet and the audit trail's first baseline; no Dashboard, Aging or Credit.
    assert "Credits" in names and not {"Dashboard", "Aging", "Credit"} & set(names)
