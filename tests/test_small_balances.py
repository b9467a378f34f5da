"""Small-balance write-offs under Settings write_off_tolerance: proposed on the Small balances sheet, accepted into
Adjustments once (logged on the Audit sheet, never in a closed period), in both directions. Real workbooks; figures
worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from books import D, write_book
from builders import build_ledger
from click.testing import CliRunner

from arxl.cli import main
from arxl.ledger import Ledger
from arxl.settle import settle
from arxl.small_balances import small_balance_proposals
from arxl.verbs import small_balances
from arxl.verbs.books import file_book
from arxl.workbook import load_book

AS_OF = D(2026, 3, 31)


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def residue_tables(*, tolerance: object = 5.0, closed_through: dt.date | None = None
                   ) -> dict[str, list[list[object]]]:
    """C1 pays 998.17 for I1 (1,000.00): 1.83 left owed. C2 pays 1,000.37 for I2 (1,000.00): 0.37 left
    unapplied. C3 owes I3 3.00 and has paid nothing (not a residue). Tolerance 5.00 USD."""
    settings = [["key", "value"], ["company_name", "Test Co"], ["as_of", AS_OF],
                ["write_off_tolerance", tolerance]]
    if closed_through is not None:
        settings.append(["closed_through", closed_through])
    return {
        "Settings": settings,
        "Customers": [["customer_id", "name", "terms_days"], ["C1", "Acme Ltd", 30], ["C2", "Beta Ltd", 30],
                      ["C3", "Gamma Ltd", 30]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount"],
                     ["I1", "C1", D(2026, 3, 1), 1000.0], ["I2", "C2", D(2026, 3, 1), 1000.0],
                     ["I3", "C3", D(2026, 3, 1), 3.0]],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"],
                     ["P1", "C1", D(2026, 3, 10), 998.17, "I1"], ["P2", "C2", D(2026, 3, 12), 1000.37, "I2"]],
        "Adjustments": [["adjustment_id", "invoice_id", "date", "type", "amount", "reason"]],
    }


def test_residues_both_ways_are_proposed_accepted_once_and_logged(tmp_path: Path) -> None:
    path = write_book(tmp_path / "residues.xlsx", residue_tables())
    assert run("refresh", str(path))[0] == 0  # the audit trail's baseline
    ledger = load_book(path).ledger
    proposals = small_balance_proposals(ledger, AS_OF)
    # I1: 1,000.00 - 998.17 = 1.83 owed; P2: 1,000.37 - 1,000.00 = 0.37 unapplied; both at or below 5.00.
    # I3 (3.00, nothing paid) is no residue: it is chased, not written off.
    assert proposals[["adjustment_id", "invoice_id", "type", "amount", "refused"]].values.tolist() == [
        ["SB-2026-03-31-I1", "I1", "small_balance", 183, ""], ["SB-2026-03-31-P2", "P2", "small_balance", 37, ""]]

    proposed = small_balances.propose(file_book(path), as_of=None, today=AS_OF)
    assert (proposed.underpaid, proposed.overpaid, proposed.refused) == (1, 1, 0)
    sheet = openpyxl.load_workbook(path)["Small balances"]
    header = [cell.value for cell in sheet[4]]
    rows = [dict(zip(header, [cell.value for cell in sheet[row]], strict=True)) for row in (5, 6)]
    assert [(row["Adjustment"], row["Amount"], row["Effect on balance"], row["Accept"]) for row in rows] == [
        ("SB-2026-03-31-I1", 1.83, -1.83, "yes"), ("SB-2026-03-31-P2", 0.37, 0.37, "yes")]
    # Written off either way: 1.83 + 0.37 = 2.20; the net change to receivables: -1.83 + 0.37 = -1.46.
    cached = openpyxl.load_workbook(path, data_only=True)["Small balances"]
    assert [cached.cell(8, column).value for column in (1, 7, 8)] == ["Total USD", 2.2, -1.46]
    assert sheet.cell(8, 8).value == '=SUMIFS(H5:H6,$F$5:$F$6,"USD")'

    code, output = run("small-balances", str(path), "--accept")
    assert code == 0, output
    assert "appended 2 row(s) to Adjustments (from Excel row 2)" in output
    ledger = load_book(path).ledger
    # Written off, nothing is open for C1 and C2; C3 still owes its 3.00.
    items = settle(ledger, AS_OF).open_items
    assert items[["document_id", "open_amount"]].values.tolist() == [["I3", 300]]
    audit = json.loads(run("audit", str(path), "--format", "json")[1])
    own = [row for row in audit if row["Kind"] == "added"]
    assert [(row["Table"], row["Key"], row["Source"]) for row in own] == [
        ("Adjustments", "SB-2026-03-31-I1", "arxl small-balances (small-balance write-offs)"),
        ("Adjustments", "SB-2026-03-31-P2", "arxl small-balances (small-balance write-offs)")]

    code, output = run("small-balances", str(path), "--accept")
    assert code == 0 and "nothing to write off" in output  # accepting again adds nothing
    assert len(load_book(path).ledger.adjustments) == 2
    assert len(json.loads(run("audit", str(path), "--format", "json")[1])) == len(audit)
    code, output = run("refresh", str(path))
    assert code == 0, output  # every check passes after the write-offs


def test_the_write_off_of_an_overpayment_is_a_positive_effect_on_the_payment(tmp_path: Path) -> None:
    tables = residue_tables()
    tables["Adjustments"].append(["SB1", "P2", AS_OF, "small_balance", 0.37, "overpaid"])
    ledger = load_book(write_book(tmp_path / "typed.xlsx", tables)).ledger
    # The payment's credit -0.37 plus +0.37 is 0: the loader signs the effect towards zero.
    assert ledger.adjustments[["invoice_id", "currency", "effect"]].values.tolist() == [["P2", "USD", 37]]
    assert "P2" not in set(settle(ledger, AS_OF).open_items["document_id"])


def test_writing_off_more_than_a_credit_holds_is_a_located_error(tmp_path: Path) -> None:
    tables = residue_tables()
    tables["Adjustments"].append(["SB1", "P2", AS_OF, "write_off", 0.38, "too much"])
    loaded = load_book(write_book(tmp_path / "over.xlsx", tables))
    # P2 holds 0.37 unapplied on 2026-03-31; the write-off asks 0.38.
    assert any(problem.sheet == "Adjustments" and problem.row == 2 and problem.column == "amount"
               and "writes off more of payment P2 than it holds unapplied on 2026-03-31 (0.37)" in problem.message
               for problem in loaded.errors), loaded.problems


def test_only_a_write_off_may_name_a_payment(tmp_path: Path) -> None:
    tables = residue_tables()
    tables["Adjustments"].append(["F1", "P2", AS_OF, "finance_charge", 1.0, ""])
    loaded = load_book(write_book(tmp_path / "fee.xlsx", tables))
    assert any(problem.sheet == "Adjustments" and problem.row == 2 and problem.column == "type"
               and "only a write-off clears unapplied cash or credit" in problem.message
               for problem in loaded.errors), loaded.problems


def test_nothing_is_proposed_in_a_closed_period(tmp_path: Path) -> None:
    path = write_book(tmp_path / "closed.xlsx", residue_tables(closed_through=AS_OF))
    proposals = small_balance_proposals(load_book(path).ledger, AS_OF)
    assert proposals["refused"].str.startswith("dated on or before closed_through 2026-03-31").all()
    code, output = run("small-balances", str(path), "--accept")
    assert code == 0 and "not appended: SB-2026-03-31-I1" in output
    assert load_book(path).ledger.adjustments.empty


@pytest.mark.parametrize(("tolerance", "expected"), [
    (0, []),  # the default proposes nothing
    (1.83, ["I1", "P2"]),  # at the tolerance counts
    (1.82, ["P2"]),
])
def test_the_tolerance_is_inclusive(tolerance: float, expected: list[str]) -> None:
    ledger = build_ledger(
        invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "1000.00"},
                  {"invoice_id": "I2", "customer_id": "C2", "invoice_date": "2026-03-01", "amount": "1000.00"}],
        payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-03-10", "amount": "998.17",
                   "invoice_id": "I1"},
                  {"payment_id": "P2", "customer_id": "C2", "payment_date": "2026-03-12", "amount": "1000.37",
                   "invoice_id": "I2"}],
        write_off_tolerance=round(tolerance * 100))
    assert small_balance_proposals(ledger, AS_OF)["invoice_id"].tolist() == expected


def test_a_foreign_residue_is_compared_in_the_reporting_currency() -> None:
    # EUR invoice 100.00 paid 96.00: 4.00 EUR owed = 4.00 x 1.30 = 5.20 USD, above 5.00; at 1.25 it is 5.00.
    def ledger(rate: str) -> Ledger:
        return build_ledger(
            customers=[{"customer_id": "C1", "currency": "EUR"}],
            invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "100.00"}],
            payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-03-10", "amount": "96.00",
                       "invoice_id": "I1"}],
            fx_rates=[{"currency": "EUR", "rate": rate}], write_off_tolerance=500)
    assert small_balance_proposals(ledger("1.30"), AS_OF).empty
    proposed = small_balance_proposals(ledger("1.25"), AS_OF)
    assert proposed[["invoice_id", "amount", "currency"]].values.tolist() == [["I1", 400, "EUR"]]


def test_disputed_and_two_sided_accounts_are_left_alone() -> None:
    # C1's I1 is disputed (1.83 left); C2 has 1.00 owed on I2 and 0.50 unapplied on P3 with auto-apply off: the
    # two are applied to each other, not written off.
    ledger = build_ledger(
        invoices=[{"invoice_id": "I1", "customer_id": "C1", "invoice_date": "2026-03-01", "amount": "1000.00",
                   "status": "disputed"},
                  {"invoice_id": "I2", "customer_id": "C2", "invoice_date": "2026-03-01", "amount": "100.00"}],
        payments=[{"payment_id": "P1", "customer_id": "C1", "payment_date": "2026-03-10", "amount": "998.17",
                   "invoice_id": "I1"},
                  {"payment_id": "P2", "customer_id": "C2", "payment_date": "2026-03-10", "amount": "99.00",
                   "invoice_id": "I2"},
                  {"payment_id": "P3", "customer_id": "C2", "payment_date": "2026-03-11", "amount": "0.50"}],
        write_off_tolerance=500, auto_apply=False)
    items = settle(ledger, AS_OF).open_items
    assert items[["document_id", "open_amount"]].values.tolist() == [["I1", 183], ["I2", 100], ["P3", -50]]
    assert small_balance_proposals(ledger, AS_OF).empty


def test_a_residue_a_later_row_settles_is_not_written_off(tmp_path: Path) -> None:
    tables = residue_tables()
    # After the as-of date (2026-03-31) C1 pays the missing 1.83 of I1 and C2 is refunded its 0.37 from P2:
    # writing either residue off as of 2026-03-31 would contradict those rows (I1 over-settled, a refund of
    # credit already written off), so neither is proposed.
    tables["Payments"][0] += ["type", "reference"]
    tables["Payments"][1] += ["", ""]
    tables["Payments"][2] += ["", ""]
    tables["Payments"] += [["P3", "C1", D(2026, 4, 15), 1.83, "I1", "", ""],
                           ["R1", "C2", D(2026, 4, 20), 0.37, "", "refund", "P2"]]
    ledger = load_book(write_book(tmp_path / "later.xlsx", tables)).ledger
    assert small_balance_proposals(ledger, AS_OF).empty
    # Without the refund, P2's 0.37 is proposed again; I1's residue stays out while P3 settles it later.
    tables["Payments"].pop()
    ledger = load_book(write_book(tmp_path / "later-paid.xlsx", tables)).ledger
    proposals = small_balance_proposals(ledger, AS_OF)
    assert proposals["invoice_id"].tolist() == ["P2"] and proposals["amount"].tolist() == [37]
