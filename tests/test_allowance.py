"""Allowance for doubtful accounts: the provision matrix from Settings rates and from write-off history, and
write-off proposals. Hand-worked, money in cents in the asserts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from arxl.allowance import apply_rate, provision_matrix, write_off_proposals
from tests.builders import build_ledger

AS_OF = dt.date(2026, 6, 30)


def invoice(invoice_id: str, customer: str, due: str, amount: str, **extra: str) -> dict[str, str]:
    return dict(invoice_id=invoice_id, customer_id=customer, invoice_date="2025-01-01", due_date=due,
                amount=amount, **extra)


def book():
    # X: one item per bucket at 2026-06-30 (default edges 30,60,90): Current 1,000.00 (due 07-10),
    # 1-30 500.00 (06-20: 10 days), 31-60 200.00 (05-21: 40), 61-90 100.00 (04-21: 70), Over 90 40.00 (03-01: 121).
    # Y: Current 333.33 and 1-30 16.50.
    return build_ledger(invoices=[
        invoice("X1", "X", "2026-07-10", "1000.00"), invoice("X2", "X", "2026-06-20", "500.00"),
        invoice("X3", "X", "2026-05-21", "200.00"), invoice("X4", "X", "2026-04-21", "100.00"),
        invoice("X5", "X", "2026-03-01", "40.00"),
        invoice("Y1", "Y", "2026-07-30", "333.33"), invoice("Y2", "Y", "2026-06-29", "16.50"),
    ], payments=[dict(payment_id="PY", customer_id="Y", payment_date="2026-06-01", amount="5.00",
                      invoice_id="Y1")])


def test_matrix_from_settings_rates() -> None:
    allowance = provision_matrix(book(), AS_OF)
    assert allowance.rates == (0.01, 0.03, 0.10, 0.25, 0.50)
    customers = allowance.customers.set_index("customer_id")
    # X: 1,000.00 x 1% = 10.00; 500.00 x 3% = 15.00; 200.00 x 10% = 20.00; 100.00 x 25% = 25.00;
    #    40.00 x 50% = 20.00 -> 90.00
    assert customers.at["X", "expected_loss"] == 9000
    # Y: Current 333.33 - 5.00 paid = 328.33 x 1% = 3.2833 -> 3.28; 16.50 x 3% = 0.495 -> 0.50 (half away
    #    from zero) -> 3.78
    assert customers.at["Y", "Current"] == 328 and customers.at["Y", "1-30"] == 50
    assert customers.at["Y", "expected_loss"] == 378
    assert allowance.total("USD") == 9000 + 378
    matrix = allowance.matrix.set_index("bucket")
    assert matrix.at["1-30", "exposure"] == 50000 + 1650
    # bucket totals are the sums of the customers' rounded figures, so they add up to the total
    assert matrix.at["1-30", "expected_loss"] == 1500 + 50
    assert int(matrix["expected_loss"].sum()) == allowance.total("USD")


def test_rates_must_match_the_buckets() -> None:
    ledger = book()
    short = dataclasses.replace(ledger, settings=dataclasses.replace(ledger.settings, allowance_rates=(0.01, 0.5)))
    with pytest.raises(ValueError, match="2 rate"):
        provision_matrix(short, AS_OF)


def test_apply_rate_rounds_half_away_from_zero_exactly() -> None:
    # 1650 x 30000 ppm = 49.5 -> 50; -1650 -> -50; 333 x 15000 ppm = 4.995 -> 5
    assert apply_rate([1650, -1650, 333], [30000, 30000, 15000]).tolist() == [50, -50, 5]


def test_rates_from_write_off_history() -> None:
    # As of 2026-12-31 the snapshots are the month ends 2025-07-31 .. 2026-06-30. W and V (1,000.00 each,
    # dated 05-16, due 06-15) are open at 05-31 (Current) and 06-30 (15 days: 1-30); V is paid on 07-10,
    # W is written off in full on 09-30. Current: 1,000.00 lost of 2,000.00 = 0.5; 1-30: the same = 0.5.
    # The other buckets never held anything: their Settings rates are kept.
    ledger = build_ledger(
        invoices=[dict(invoice_id="W", customer_id="Z", invoice_date="2026-05-16", due_date="2026-06-15",
                       amount="1000.00"),
                  dict(invoice_id="V", customer_id="Z", invoice_date="2026-05-16", due_date="2026-06-15",
                       amount="1000.00")],
        payments=[dict(payment_id="PV", customer_id="Z", payment_date="2026-07-10", amount="1000.00",
                       invoice_id="V")],
        adjustments=[dict(adjustment_id="WO1", invoice_id="W", date="2026-09-30", type="write_off",
                          amount="1000.00")],
    )
    allowance = provision_matrix(ledger, dt.date(2026, 12, 31), method="history")
    assert allowance.rates == (0.5, 0.5, 0.10, 0.25, 0.50)
    assert allowance.fallback == (False, False, True, True, True)
    assert allowance.total("USD") == 0  # nothing is open any more


def test_history_nets_recoveries() -> None:
    ledger = build_ledger(
        invoices=[dict(invoice_id="W", customer_id="Z", invoice_date="2026-05-16", due_date="2026-06-15",
                       amount="1000.00")],
        adjustments=[dict(adjustment_id="WO1", invoice_id="W", date="2026-09-30", type="write_off",
                          amount="1000.00"),
                     dict(adjustment_id="R1", invoice_id="W", date="2026-10-31", type="bad_debt_recovery",
                          amount="400.00")],
    )
    # lost 1,000.00 - 400.00 recovered = 600.00 of 1,000.00 in Current and in 1-30
    assert provision_matrix(ledger, dt.date(2026, 12, 31), method="history").rates[:2] == (0.6, 0.6)


def test_write_off_proposals() -> None:
    ledger = build_ledger(invoices=[
        invoice("OLD", "Q", "2025-12-01", "80.00"),  # 06-30 - 2025-12-01 = 211 days; Q last paid 2026-03-01
        invoice("OLDPAYER", "R", "2025-12-01", "90.00"),  # R paid something on 2026-06-01 (29 days ago)
        invoice("DISPUTED", "Q", "2025-11-01", "70.00", status="disputed"),
        invoice("YOUNG", "Q", "2026-02-01", "60.00"),  # 149 days: not over 180
        invoice("PAIDQ", "Q", "2026-01-01", "10.00"), invoice("PAIDR", "R", "2026-05-01", "10.00"),
    ], payments=[
        dict(payment_id="PQ", customer_id="Q", payment_date="2026-03-01", amount="10.00", invoice_id="PAIDQ"),
        dict(payment_id="PR", customer_id="R", payment_date="2026-06-01", amount="10.00", invoice_id="PAIDR"),
    ])
    proposals = write_off_proposals(ledger, AS_OF)
    assert proposals["adjustment_id"].tolist() == ["WO-2026-06-30-OLD"]
    assert proposals["amount"].tolist() == [8000] and proposals["days_past_due"].tolist() == [211]
    assert proposals["type"].tolist() == ["write_off"]
    assert proposals["last_payment_date"].dt.date.tolist() == [dt.date(2026, 3, 1)]


def _settings_book(tmp_path, settings_rows: list[list[object]]):
    from books import base, write_book

    tables = base()
    tables["Settings"] += settings_rows
    return write_book(tmp_path / "edges.xlsx", tables)


def test_other_bucket_edges_get_default_rates_for_their_own_buckets(tmp_path) -> None:
    from click.testing import CliRunner

    from arxl.cli import main
    from arxl.workbook import load_book

    # bucket_edges 15;45: Current, 1-15, 16-45, Over 45. Their first days past due are 0, 1, 16 and 46: on the
    # default scale (Current 1%, up to 30 days 3%, up to 60 days 10%) that is 1%, 3%, 3%, 10%. Left at the
    # template's five rates, allowance_rates counts as blank.
    for rows in ([["bucket_edges", "15;45"]],
                 [["bucket_edges", "15;45"], ["allowance_rates", "0.01,0.03,0.10,0.25,0.50"]]):
        path = _settings_book(tmp_path, rows)
        loaded = load_book(path)
        assert loaded.ok, loaded.problems
        assert loaded.ledger.settings.allowance_rates == (0.01, 0.03, 0.03, 0.10)
        result = CliRunner().invoke(main, ["refresh", str(path), "--quiet"])
        assert result.exit_code == 0, result.output  # was an internal error: 5 rates for 4 buckets
        matrix = provision_matrix(loaded.ledger, dt.date(2026, 3, 31))
        assert matrix.labels == ["Current", "1-15", "16-45", "Over 45"]
        assert matrix.rates == (0.01, 0.03, 0.03, 0.10)


def test_typed_rates_that_do_not_fit_the_buckets_are_a_located_error(tmp_path) -> None:
    from arxl.workbook import load_book

    path = _settings_book(tmp_path, [["bucket_edges", "15;45"], ["allowance_rates", "0.02,0.04,0.2"]])
    errors = [str(problem) for problem in load_book(path).problems if problem.is_error]
    assert errors == ['Settings row 6, value (allowance_rates): "0.02,0.04,0.2" has 3 rate(s) but '
                      "bucket_edges makes 4 aging buckets (expected 4 rates between 0 and 1, Current first, or "
                      "blank for arxl's default)"]
