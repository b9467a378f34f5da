"""Finance: discount cost, instalment plans against the annuity formula, and finance charges on the declining
balance (worked by hand; money in cents in the asserts)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from arxl.finance import (
    discount_cost,
    distribute,
    finance_charge_amount,
    finance_charges,
    instalment_plan,
    interest,
)
from arxl.ledger import Ledger
from tests.builders import build_ledger
from tests.test_collections import with_activity

AS_OF = dt.date(2026, 4, 30)


def test_discount_cost_2_10_net_30() -> None:
    cost = discount_cost(0.02, 10, 30)
    # simple: 0.02 / 0.98 = 0.020408 per 20 days; 365 / 20 = 18.25 periods: 0.020408 x 18.25 = 0.372449
    assert round(cost.simple * 100, 2) == 37.24
    # effective: 1.020408 ^ 18.25 - 1 = e^(18.25 x ln 1.020408) - 1 = e^0.368699 - 1 = 0.445853
    assert round(cost.effective * 100, 2) == 44.59
    with pytest.raises(ValueError, match="not a fraction"):
        discount_cost(2, 10, 30)
    with pytest.raises(ValueError, match="must be more"):
        discount_cost(0.02, 30, 30)


def test_instalment_plan_against_the_annuity_formula() -> None:
    # 1,000.00 at 12% a year, 12 months: r = 0.01; A = P r / (1 - (1 + r)^-n) = 1000 x 0.01 / (1 - 1.01^-12)
    # = 10 / 0.112551 = 88.848789 a month.
    plan = instalment_plan(100000, 0.12, 12, first_due=dt.date(2026, 1, 31))
    annuity = 100000 * 0.01 / (1 - 1.01 ** -12)
    assert abs(annuity - 8884.8789) < 1e-3
    assert all(abs(payment - annuity) <= 1 for payment in plan["payment"])
    # period 1 interest: 1,000.00 x 1% = 10.00; principal 88.85 - 10.00 = 78.85
    assert plan.at[0, "interest"] == 1000 and plan.at[0, "principal"] == 7885
    # period k interest follows the annuity's balance: B(k-1) = P (1+r)^(k-1) - A ((1+r)^(k-1) - 1) / r
    for k in range(1, 13):
        balance = 100000 * 1.01 ** (k - 1) - annuity * (1.01 ** (k - 1) - 1) / 0.01
        assert abs(plan.at[k - 1, "interest"] - balance * 0.01) <= 0.5
    assert int(plan["principal"].sum()) == 100000 and plan["balance"].iloc[-1] == 0
    assert (plan["payment"] == plan["interest"] + plan["principal"]).all()
    assert plan["due_date"].dt.date.tolist()[:3] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28),
                                                    dt.date(2026, 3, 31)]


def test_instalment_plan_without_interest_and_bad_input() -> None:
    assert instalment_plan(100, 0.0, 3)["principal"].tolist() == [34, 33, 33]  # 33.33 each, the cent to the first
    with pytest.raises(ValueError):
        instalment_plan(100, 0.1, 0)


def test_distribute_by_largest_remainder() -> None:
    assert distribute(np.array([1.5, 1.5, 1.0]), 4).tolist() == [2, 1, 1]
    assert distribute(np.array([0.4, 0.4, 0.2]), 4).tolist() == [2, 1, 1]  # short by 3: one each, then the largest


def test_interest_is_exact_and_rounds_half_away_from_zero() -> None:
    # 1,000.00 for 45 days at 1.5% a month: 100000 x 45 x 0.18 / 365 = 2219.18 -> 2219
    assert interest(100000 * 45, 0.015).tolist() == [2219]
    # 3650 cent-days x 0.15 / 365 = 1.5 cents exactly -> 2
    assert interest(3650, 0.0125).tolist() == [2]
    assert finance_charge_amount(100000, 45, 0.015, grace_days=15) == 1479  # 30 days: 1479.45
    assert finance_charge_amount(100000, 45, 0.015, minimum=2500) == 0  # below the smallest worth raising


def ledger_with(payments=(), adjustments=(), **settings) -> Ledger:
    return build_ledger(
        invoices=[dict(invoice_id="INV", customer_id="C1", invoice_date="2026-03-01", due_date="2026-03-31",
                       amount="1000.00")],
        payments=list(payments), adjustments=list(adjustments), finance_charge_rate=0.015, **settings)


def charges(ledger: Ledger, as_of: dt.date = AS_OF) -> dict[str, int]:
    frame = finance_charges(ledger, as_of)
    return dict(zip(frame["invoice_id"], frame["amount"], strict=True))


def test_finance_charge_on_the_declining_balance() -> None:
    # Due 03-31; the April run charges 04-01..04-30. 400.00 paid on 04-10:
    # 1,000.00 for 10 days (04-01..04-10) + 600.00 for 20 days (04-11..04-30)
    # = 100000 x 10 + 60000 x 20 = 2,200,000 cent-days x 0.18 / 365 = 1084.93 -> 10.85.
    # (On the original amount it would be 14.79; on the as-of balance only 8.88.)
    ledger = ledger_with(payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-04-10",
                                        amount="400.00", invoice_id="INV")])
    frame = finance_charges(ledger, AS_OF)
    assert frame["amount"].tolist() == [1085]
    assert frame["adjustment_id"].tolist() == ["FC-2026-04-30-INV"]
    assert frame["type"].tolist() == ["finance_charge"] and frame["days"].tolist() == [30]
    assert frame["date"].dt.date.tolist() == [AS_OF]
    assert "2026-04-01 to 2026-04-30 (30 days)" in frame["reason"].iloc[0]


def test_grace_days_delay_the_start() -> None:
    # grace 5: interest from 04-06; 1,000.00 for 5 days (04-06..04-10) + 600.00 for 20 days
    # = 500,000 + 1,200,000 = 1,700,000 x 0.18 / 365 = 838.36 -> 8.38
    ledger = ledger_with(payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-04-10",
                                        amount="400.00", invoice_id="INV")], finance_charge_grace_days=5)
    assert charges(ledger) == {"INV": 838}


def test_interest_accrues_until_paid_even_when_nothing_is_open_any_more() -> None:
    # paid in full, late, on 04-15: 1,000.00 for 15 days = 1,500,000 x 0.18 / 365 = 739.73 -> 7.40
    ledger = ledger_with(payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-04-15",
                                        amount="1000.00", invoice_id="INV")])
    assert charges(ledger) == {"INV": 740}


def test_interest_keeps_running_on_an_unpaid_charge_after_the_principal_is_paid() -> None:
    # Due 02-28 (so March was charged): finance charge 15.00 on 03-31; the principal 1,000.00 is paid on 04-10.
    # April: 1,015.00 for 10 days + the unpaid 15.00 for 20 days = 1,015,000 + 30,000 = 1,045,000 cent-days
    # x 0.18 / 365 = 515.34 -> 5.15
    ledger = build_ledger(
        invoices=[dict(invoice_id="INV", customer_id="C1", invoice_date="2026-01-29", due_date="2026-02-28",
                       amount="1000.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-04-10", amount="1000.00",
                       invoice_id="INV")],
        adjustments=[dict(adjustment_id="FC-2026-03-31-INV", invoice_id="INV", date="2026-03-31",
                          type="finance_charge", amount="15.00")],
        finance_charge_rate=0.015)
    assert charges(ledger) == {"INV": 515}


def test_charges_are_idempotent() -> None:
    ledger = ledger_with(payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-04-10",
                                        amount="400.00", invoice_id="INV")])
    proposed = finance_charges(ledger, AS_OF)
    charged = build_ledger(
        invoices=[dict(invoice_id="INV", customer_id="C1", invoice_date="2026-03-01", due_date="2026-03-31",
                       amount="1000.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-04-10", amount="400.00",
                       invoice_id="INV")],
        adjustments=[dict(adjustment_id=proposed["adjustment_id"].iloc[0], invoice_id="INV", date="2026-04-30",
                          type="finance_charge", amount="10.85")],
        finance_charge_rate=0.015)
    assert finance_charges(charged, AS_OF).empty  # charged through 04-30 already
    # the same id is never proposed again, whatever its date
    redated = charged.adjustments.assign(date=np.datetime64("2026-04-20"))
    renamed = dataclasses.replace(charged, adjustments=redated)
    assert finance_charges(renamed, AS_OF).empty
    # a month later only May is charged: 600.00 + 10.85 for 31 days = 61085 x 31 x 0.18 / 365 = 933.86 -> 9.34
    assert charges(charged, dt.date(2026, 5, 31)) == {"INV": 934}


def test_no_charge_on_disputes_below_the_minimum_or_without_a_rate() -> None:
    ledger = ledger_with()  # 1,000.00 for 30 days = 3,000,000 x 0.18 / 365 = 1479.45 -> 14.79
    assert charges(ledger) == {"INV": 1479}
    disputed = with_activity(ledger, [dict(date="2026-04-02", customer_id="C1", invoice_id="INV",
                                           action="dispute")])
    assert charges(disputed) == {}
    assert charges(dataclasses.replace(ledger, settings=dataclasses.replace(
        ledger.settings, finance_charge_minimum=1500))) == {}
    assert charges(dataclasses.replace(ledger, settings=dataclasses.replace(
        ledger.settings, finance_charge_rate=0.0))) == {}
