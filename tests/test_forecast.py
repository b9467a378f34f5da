"""Cash forecast: expected dates from payment behaviour, weekly lines, items set apart, and a total that
reconciles with open AR exactly (by hand, and as a property over random ledgers)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arxl.forecast import cash_forecast
from arxl.settle import settle
from tests.builders import build_ledger

AS_OF = dt.date(2026, 6, 30)


def book():
    # History (auto-apply off, payments name their invoices): A paid H1 100.00 10 days late, C paid H2 300.00
    # 2 days late. Portfolio average for B (no history) = (100 x 10 + 300 x 2) / 400 = 4 days.
    invoices = [
        dict(invoice_id="H1", customer_id="A", invoice_date="2026-04-01", due_date="2026-05-01", amount="100.00"),
        dict(invoice_id="H2", customer_id="C", invoice_date="2026-04-01", due_date="2026-05-01", amount="300.00"),
        dict(invoice_id="A1", customer_id="A", invoice_date="2026-05-26", due_date="2026-06-25", amount="50.00"),
        dict(invoice_id="A2", customer_id="A", invoice_date="2026-06-30", due_date="2026-08-01", amount="70.00"),
        dict(invoice_id="B1", customer_id="B", invoice_date="2026-06-01", due_date="2026-07-01", amount="40.00"),
        dict(invoice_id="A3", customer_id="A", invoice_date="2026-01-02", due_date="2026-02-01", amount="20.00"),
        dict(invoice_id="A4", customer_id="A", invoice_date="2026-06-01", due_date="2026-07-01", amount="30.00",
             status="disputed"),
        dict(invoice_id="C1", customer_id="C", invoice_date="2026-06-01", due_date="2026-12-31", amount="25.00"),
    ]
    return build_ledger(invoices=invoices, payments=[
        dict(payment_id="P1", customer_id="A", payment_date="2026-05-11", amount="100.00", invoice_id="H1"),
        dict(payment_id="P2", customer_id="C", payment_date="2026-05-03", amount="300.00", invoice_id="H2"),
        dict(payment_id="P9", customer_id="B", payment_date="2026-06-10", amount="5.00"),
    ], auto_apply=False)


def test_weekly_lines_by_hand() -> None:
    forecast = cash_forecast(book(), AS_OF)
    items = forecast.items.set_index("document_id")
    # A1: 06-25 + 10 = 07-05 -> week 1 (06-30..07-06); B1: 07-01 + 4 = 07-05 -> week 1;
    # A2: 08-01 + 10 = 08-11, 42 days on -> week 7 (08-11..08-17); C1: 12-31 + 2 = 2027-01-02 -> later;
    # A3: 149 days past due -> Over 90; A4 disputed; P9 unapplied cash
    assert items["line"].to_dict() == {"A3": "Over 90", "A1": "Week 1", "A4": "Disputed", "A2": "Week 7",
                                       "B1": "Week 1", "P9": "Unapplied", "C1": "Later"}
    assert items.at["A2", "expected_date"].date() == dt.date(2026, 8, 11)
    assert items.at["B1", "delay_days"] == 4
    lines = forecast.lines.set_index("line")
    assert lines.at["Week 1", "amount"] == 9000 and lines.at["Week 1", "items"] == 2  # 50.00 + 40.00
    assert lines.at["Week 7", "amount"] == 7000
    assert lines.at["Week 7", "week_start"].date() == dt.date(2026, 8, 11)
    assert lines.at["Later", "amount"] == 2500
    assert lines.at["Disputed", "amount"] == 3000 and lines.at["Over 90", "amount"] == 2000
    assert lines.at["Unapplied", "amount"] == -500
    assert len(forecast.lines) == 13 + 4
    # 90 + 70 + 25 + 30 + 20 - 5 = 230.00 = open AR
    assert forecast.total("USD") == 23000 == int(settle(book(), AS_OF).open_items["open_amount"].sum())


def test_overdue_items_are_expected_now_never_in_the_past() -> None:
    ledger = build_ledger(invoices=[dict(invoice_id="I1", customer_id="A", invoice_date="2026-05-01",
                                         due_date="2026-06-01", amount="10.00")])
    forecast = cash_forecast(ledger, AS_OF)
    # no history anywhere: 0 days late; due 06-01 is before the as-of date -> expected 06-30, week 1
    assert forecast.items["expected_date"].dt.date.tolist() == [AS_OF]
    assert forecast.lines.set_index("line").at["Week 1", "amount"] == 1000


DAYS = st.integers(0, 200)
AMOUNTS = st.integers(1, 500_000)


@st.composite
def ledgers(draw):
    start = dt.date(2026, 1, 1)
    invoices, payments = [], []
    for index in range(draw(st.integers(1, 12))):
        issued = start + dt.timedelta(days=draw(DAYS))
        invoices.append(dict(
            invoice_id=f"I{index}", customer_id=draw(st.sampled_from(["A", "B", "C"])),
            invoice_date=issued.isoformat(),
            due_date=(issued + dt.timedelta(days=draw(st.integers(0, 90)))).isoformat(),
            amount=f"{draw(st.integers(-20_000, 500_000)) / 100:.2f}",
            status=draw(st.sampled_from(["", "", "", "disputed"]))))
    for index in range(draw(st.integers(0, 8))):
        payments.append(dict(payment_id=f"P{index}", customer_id=draw(st.sampled_from(["A", "B", "C"])),
                             payment_date=(start + dt.timedelta(days=draw(DAYS))).isoformat(),
                             amount=f"{draw(AMOUNTS) / 100:.2f}"))
    return build_ledger(invoices=invoices, payments=payments, auto_apply=draw(st.booleans()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger=ledgers(), offset=st.integers(0, 220))
def test_forecast_reconciles_with_open_ar(ledger, offset) -> None:
    as_of = dt.date(2026, 1, 1) + dt.timedelta(days=offset)
    forecast = cash_forecast(ledger, as_of)
    open_items = settle(ledger, as_of).open_items
    assert forecast.total("USD") == int(open_items["open_amount"].sum())
    assert int(forecast.lines["items"].sum()) == len(open_items)
    gross = int(open_items.loc[open_items["open_amount"] > 0, "open_amount"].sum())
    assert int(forecast.lines.loc[forecast.lines["line"] != "Unapplied", "amount"].sum()) == gross
    expected = forecast.items["expected_date"].dropna().dt.date
    assert (expected >= as_of).all()
