"""Receivables metrics (DESIGN.md section 3, "Metrics"), worked by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from arxl.metrics import compute_metrics, dso_countback, month_ends, monthly_series, payment_behaviour
from tests.builders import build_ledger

AS_OF = dt.date(2026, 3, 31)


def test_countback_worked_example_from_the_design():
    # 212,000 of AR against 100,000, 80,000, 70,000 (latest first) over 30-day months:
    # 100,000 fits (112,000 left), 80,000 fits (32,000 left), then 32,000 / 70,000 of 30 days.
    expected = 30 + 30 + 32_000 / 70_000 * 30
    assert dso_countback(212_000, [100_000, 80_000, 70_000], [30, 30, 30]) == pytest.approx(expected)
    assert round(expected, 2) == 73.71


def test_countback_edge_cases():
    # Exactly consumed by two months: 60 days, whatever comes next.
    assert dso_countback(180_000, [100_000, 80_000, 0], [31, 29, 31]) == 60.0
    # Nothing owed: 0 days. More owed than the whole history: not computable.
    assert dso_countback(0, [100], [30]) == 0.0
    assert dso_countback(-5, [100], [30]) == 0.0
    assert dso_countback(500, [100, 100], [30, 31]) is None
    # A month of net credits "fits" and adds its days: 50 - (-20) = 70 left, then 70 / 100 of 31.
    assert dso_countback(50, [-20, 100], [28, 31]) == pytest.approx(28 + 0.7 * 31)


def _ledger(**settings):
    return build_ledger(
        invoices=[
            dict(invoice_id="I0", customer_id="C1", invoice_date="2025-12-01", amount="1000.00"),
            dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-10", amount="2000.00"),
            dict(invoice_id="I2", customer_id="C1", invoice_date="2026-03-15", amount="3000.00"),
            dict(invoice_id="CN", customer_id="C1", invoice_date="2026-02-01", amount="-500.00",
                 applies_to="I1"),
            dict(invoice_id="I9", customer_id="C2", invoice_date="2025-10-01", amount="400.00"),
        ],
        payments=[
            dict(payment_id="P1", customer_id="C1", payment_date="2026-02-20", amount="1000.00",
                 invoice_id="I0"),
            dict(payment_id="P2", customer_id="C1", payment_date="2026-03-20", amount="600.00"),
        ],
        **settings,
    )


def test_metrics_worked_by_hand():
    metrics = compute_metrics(_ledger(), AS_OF)
    # Period: 90 days ending 31 Mar 2026 = 1 Jan .. 31 Mar. Beginning AR (31 Dec): I0 1000 + I9 400 = 1400.
    # At 31 Mar: I0 paid by P1; I1 2000 - 500 (CN) - 600 (P2, FIFO) = 900; I2 3000 (due 14 Apr); I9 400.
    assert metrics.beginning_ar == 140_000
    assert metrics.ar == 430_000  # 900 + 3000 + 400
    assert metrics.current_ar == 300_000  # only I2 is not yet due
    assert metrics.credit_sales == 450_000  # 2000 + 3000 - 500
    assert metrics.dso == pytest.approx(4300 / 4500 * 90)  # 86.0
    assert metrics.bpdso == pytest.approx(3000 / 4500 * 90)  # 60.0
    assert metrics.add == pytest.approx(26.0)
    # CEI = (1400 + 4500 - 4300) / (1400 + 4500 - 3000) x 100 = 1600 / 2900 x 100.
    assert metrics.cei == pytest.approx(1600 / 2900 * 100)
    assert metrics.turnover == pytest.approx(4500 / ((1400 + 4300) / 2))
    # Countback: March 3000 fits (1300 left, 31 days), February -500 fits (1800 left, +28 days),
    # January 2000 does not: 59 + 1800 / 2000 x 31.
    assert metrics.dso_countback == pytest.approx(59 + 0.9 * 31)
    # Gross receivables 4300: current 3000; over 90 days only I9 (due 31 Oct, 151 days) 400.
    assert metrics.pct_current == pytest.approx(3000 / 4300 * 100)
    assert metrics.pct_over_last == pytest.approx(400 / 4300 * 100)
    assert (metrics.currency, metrics.period_days, metrics.as_of) == ("USD", 90, AS_OF)


def test_countback_counts_the_as_of_month_from_its_first_day():
    metrics = compute_metrics(_ledger(), dt.date(2026, 3, 20))
    # Same AR 4300 on 20 Mar; March 1..20 (20 days) sales 3000 fit, February -500, then 1800 / 2000 of 31.
    assert metrics.ar == 430_000
    assert metrics.dso_countback == pytest.approx(20 + 28 + 0.9 * 31)


def test_invoice_basis_changes_the_percentages_not_current_ar():
    metrics = compute_metrics(_ledger(), AS_OF, basis="invoice")
    # By invoice date nothing is 0 days old; I9 (181 days) is the only item over 90.
    assert metrics.pct_current == 0.0
    assert metrics.pct_over_last == pytest.approx(400 / 4300 * 100)
    assert metrics.current_ar == 300_000


def test_period_and_edges_can_be_overridden():
    metrics = compute_metrics(_ledger(), AS_OF, period_days=31, edges=(30, 45))
    # 1..31 March: sales 3000 only; DSO = 4300 / 3000 x 31. Over 45 days: I1 (50 days) 900 + I9 400.
    assert metrics.credit_sales == 300_000
    assert metrics.dso == pytest.approx(4300 / 3000 * 31)
    assert metrics.pct_over_last == pytest.approx(1300 / 4300 * 100)


def test_ratios_without_a_denominator_are_none():
    ledger = build_ledger(invoices=[dict(invoice_id="I0", customer_id="C1", invoice_date="2025-01-01",
                                         amount="100.00")])
    metrics = compute_metrics(ledger, AS_OF)
    # No sales in the period: DSO, BPDSO and ADD cannot be computed; CEI = (100 + 0 - 100) / (100 - 0).
    assert (metrics.dso, metrics.bpdso, metrics.add) == (None, None, None)
    assert metrics.cei == 0.0
    # Countback walks back to January 2025, whose 100 of sales exactly fit: every day from 1 Jan 2025.
    assert metrics.dso_countback == 365 + 31 + 28 + 31
    # Owing more than was ever sold: the countback cannot be computed.
    owing = build_ledger(invoices=[dict(invoice_id="I0", customer_id="C1", invoice_date="2026-03-01",
                                        amount="100.00")],
                         payments=[dict(payment_id="R", customer_id="C1", payment_date="2026-03-02",
                                        amount="-50.00")])
    assert compute_metrics(owing, AS_OF).dso_countback is None
    empty = compute_metrics(build_ledger(), AS_OF)
    assert (empty.ar, empty.dso, empty.cei, empty.turnover, empty.pct_current) == (0, None, None, None, None)
    with pytest.raises(ValueError, match="period"):
        compute_metrics(ledger, AS_OF, period_days=0)


def test_payment_behaviour_is_weighted_by_amount():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-01", amount="300.00"),
                  dict(invoice_id="CN", customer_id="C1", invoice_date="2026-01-05", amount="-10.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-21", amount="100.00",
                       invoice_id="I1"),
                  dict(payment_id="P2", customer_id="C1", payment_date="2026-02-10", amount="290.00",
                       invoice_id="I2")],
    )
    row = payment_behaviour(ledger, AS_OF).iloc[0]
    # CN names no invoice and FIFO runs after the references: P2 pays 290 of I2, CN the last 10 (not cash).
    # P1 100 paid 20 days after invoicing, 10 days early; P2 290 paid 40 days after, 10 days late.
    assert (row["customer_id"], row["currency"], row["paid_amount"]) == ("C1", "USD", 39_000)
    assert row["avg_days_to_pay"] == pytest.approx((100 * 20 + 290 * 40) / 390)
    assert row["avg_days_late"] == pytest.approx((100 * -10 + 290 * 10) / 390)
    assert row["on_time_share"] == pytest.approx(100 / 390)


def test_month_ends_end_with_the_as_of_date():
    assert month_ends(dt.date(2026, 3, 15), 4) == [dt.date(2025, 12, 31), dt.date(2026, 1, 31),
                                                   dt.date(2026, 2, 28), dt.date(2026, 3, 15)]
    assert len(month_ends(AS_OF)) == 12


def test_monthly_series_by_hand():
    series = monthly_series(_ledger(), AS_OF, months=3)
    assert series["month_end"].tolist() == [pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-28"),
                                            pd.Timestamp("2026-03-31")]
    # 31 Jan: I0 1000 + I1 2000 + I9 400 = 3400 owed; sales 2 Nov .. 31 Jan = I0 + I1 = 3000.
    # 28 Feb: I0 paid; I1 1500; I9 400 = 1900; sales 1 Dec .. 28 Feb = 1000 + 2000 - 500 = 2500.
    assert series["ar"].tolist() == [340_000, 190_000, 430_000]
    assert series["credit_sales"].tolist() == [300_000, 250_000, 450_000]
    assert series["dso"].tolist() == pytest.approx([3400 / 3000 * 90, 1900 / 2500 * 90, 4300 / 4500 * 90])
