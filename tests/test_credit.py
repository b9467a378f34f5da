"""Credit control: utilisation, headroom, hold rules and the risk grade, worked by hand at 2026-06-30.

Risk windows: recent = applications dated 2026-04-01..06-30 plus open undisputed overdue items at their days
past due; older = 2025-04-01..2026-03-31.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from arxl.credit import credit_position, late_points
from tests.builders import build_ledger
from tests.test_collections import with_activity

AS_OF = dt.date(2026, 6, 30)


def book():
    ledger = build_ledger(
        customers=[dict(customer_id="A", name="A Ltd", credit_limit="1000.00"),
                   dict(customer_id="B", name="B Ltd"),
                   dict(customer_id="C", name="C Ltd", credit_limit="0", on_hold=True),
                   dict(customer_id="D", name="D Ltd", credit_limit="500.00"),
                   dict(customer_id="E", name="E Ltd")],
        invoices=[
            # A: 1,200.00 due 06-20, 10 days past due, over its 1,000.00 limit
            dict(invoice_id="A1", customer_id="A", invoice_date="2026-05-21", due_date="2026-06-20",
                 amount="1200.00"),
            # B: 500.00 due 03-27: 06-30 - 03-27 = 95 days past due, over hold_days 90
            dict(invoice_id="B1", customer_id="B", invoice_date="2026-02-25", due_date="2026-03-27",
                 amount="500.00"),
            # D: paid 2 days late in January (older window) and 25 days late in May (recent window)
            dict(invoice_id="D1", customer_id="D", invoice_date="2025-12-11", due_date="2026-01-10",
                 amount="100.00"),
            dict(invoice_id="D2", customer_id="D", invoice_date="2026-04-01", due_date="2026-05-01",
                 amount="100.00"),
        ],
        payments=[
            dict(payment_id="PD1", customer_id="D", payment_date="2026-01-12", amount="100.00", invoice_id="D1"),
            dict(payment_id="PD2", customer_id="D", payment_date="2026-05-26", amount="100.00", invoice_id="D2"),
        ],
    )
    return with_activity(ledger, [
        # A promised 100.00 by 06-10 and paid nothing: one broken promise
        dict(date="2026-06-01", customer_id="A", action="promise", promised_date="2026-06-10",
             promised_amount="100.00"),
        # two disputes raised in the year: A1 (resolved two days later) and one without an invoice
        dict(date="2026-06-21", customer_id="A", invoice_id="A1", action="dispute"),
        dict(date="2026-06-22", customer_id="A", action="dispute"),
        dict(date="2026-06-23", customer_id="A", invoice_id="A1", action="resolved"),
    ])


def test_limits_utilisation_and_headroom() -> None:
    position = credit_position(book(), AS_OF).set_index("customer_id")
    assert position.at["A", "balance"] == 120000
    assert position.at["A", "utilisation"] == 1.2  # 1,200.00 / 1,000.00
    assert position.at["A", "headroom"] == -20000  # 1,000.00 - 1,200.00
    assert bool(position.at["A", "over_limit"])
    assert math.isnan(position.at["B", "utilisation"]) and position["headroom"].isna()["B"]  # no limit
    assert not position.at["B", "over_limit"]
    assert math.isnan(position.at["C", "utilisation"]) and not position.at["C", "over_limit"]  # 0 owed on 0
    assert position.at["D", "headroom"] == 50000 and position.at["D", "utilisation"] == 0.0


def test_hold_rules() -> None:
    position = credit_position(book(), AS_OF).set_index("customer_id")
    assert position["hold"].to_dict() == {"A": True, "B": True, "C": True, "D": False, "E": False}
    assert position.at["A", "hold_reason"] == "over credit limit"
    assert position.at["B", "hold_reason"] == "items over 90 days past due"
    assert position.at["C", "hold_reason"] == "on hold in Customers"
    assert position.at["B", "oldest_days"] == 95


def test_hold_days_setting_is_the_threshold() -> None:
    ledger = book()
    relaxed = dataclasses.replace(ledger, settings=dataclasses.replace(ledger.settings, hold_days=95))
    # 95 days is not *over* 95
    assert not credit_position(relaxed, AS_OF).set_index("customer_id").at["B", "hold"]


def test_risk_grade_by_hand() -> None:
    position = credit_position(book(), AS_OF).set_index("customer_id")
    # A: recent = open A1 at 10 days -> 1 point; no older history -> no trend; 1 broken promise -> +1;
    #    2 disputes raised -> +1: 3 points -> D
    assert position.at["A", "recent_days_late"] == 10.0 and position.at["A", "broken_promises"] == 1
    assert position.at["A", "disputes"] == 2 and position.at["A", "risk_grade"] == "D"
    # B: recent = open B1 at 95 days -> 4 points -> E
    assert position.at["B", "risk_grade"] == "E"
    # D: recent 25 days late -> 2 points; older 2 days late; trend 25 - 2 = 23 > 10 -> +1: 3 points -> D
    assert position.at["D", "recent_days_late"] == 25.0 and position.at["D", "older_days_late"] == 2.0
    assert position.at["D", "trend_days"] == 23.0 and position.at["D", "risk_points"] == 3
    assert position.at["D", "risk_grade"] == "D"
    # C and E: no history at all -> 0 points -> A
    assert position.at["E", "risk_grade"] == "A" and position.at["C", "risk_grade"] == "A"


def test_late_points_edges() -> None:
    assert late_points([-3.0, 0.0, 0.5, 15.0, 15.5, 30.0, 60.0, 61.0, float("nan")]).tolist() == [
        0, 0, 1, 1, 2, 2, 3, 4, 0]


# --- the credit what-if ------------------------------------------------------------------------------------------

def what_if_book():
    """At 2026-06-30, no payment history (risk grade A unless an overdue item drags it down):

    K1 (limit 10,000.00): 3,000.00 due 07-15, not overdue.
    K2 (limit 10,000.00, on hold in Customers): 100.00 due 07-15.
    K3 (no limit): 400.00 due 06-20 (10 days late) and 600.00 due 07-20: overdue 400 / 1,000 = 40 % > 25 %.
      Its recent average days late is 10 (the overdue item at 10 days): 1 point, grade B.
    K4 (no limit): 50.00 due 07-15.
    """
    return build_ledger(
        customers=[dict(customer_id="K1", name="K1 Ltd", credit_limit="10000.00"),
                   dict(customer_id="K2", name="K2 Ltd", credit_limit="10000.00", on_hold=True),
                   dict(customer_id="K3", name="K3 Ltd"), dict(customer_id="K4", name="K4 Ltd")],
        invoices=[dict(invoice_id="X1", customer_id="K1", invoice_date="2026-06-15", due_date="2026-07-15",
                       amount="3000.00"),
                  dict(invoice_id="X2", customer_id="K2", invoice_date="2026-06-15", due_date="2026-07-15",
                       amount="100.00"),
                  dict(invoice_id="X3", customer_id="K3", invoice_date="2026-05-21", due_date="2026-06-20",
                       amount="400.00"),
                  dict(invoice_id="X4", customer_id="K3", invoice_date="2026-06-20", due_date="2026-07-20",
                       amount="600.00"),
                  dict(invoice_id="X5", customer_id="K4", invoice_date="2026-06-15", due_date="2026-07-15",
                       amount="50.00")])


def test_credit_check_approves_refers_and_refuses_with_reasons() -> None:
    from arxl.credit import credit_check

    ledger = what_if_book()
    # K1: 3,000.00 + 5,000.00 = 8,000.00 within 10,000.00: approve
    decision = credit_check(ledger, AS_OF, "K1", 500000)
    assert decision.verdict == "approve" and [finding.verdict for finding in decision.findings] == [
        "approve"] * 4
    assert decision.findings[0].text == ("within the limit: balance 3,000.00 + order 5,000.00 = 8,000.00 "
                                         "against a limit of 10,000.00")
    # headroom 10,000.00 - 3,000.00 = 7,000.00; referred up to 10 % over: 11,000.00 - 3,000.00 = 8,000.00
    assert (decision.approve_up_to, decision.refer_up_to) == (700000, 800000)
    assert credit_check(ledger, AS_OF, "K1", 700000).verdict == "approve"
    assert credit_check(ledger, AS_OF, "K1", 700001).verdict == "refer"  # 10,000.01: over, within 10 %
    assert credit_check(ledger, AS_OF, "K1", 800000).verdict == "refer"  # 11,000.00 exactly
    refused = credit_check(ledger, AS_OF, "K1", 800001)
    assert refused.verdict == "refuse" and refused.findings[0].text.startswith("over the limit by more than 10%")
    # K2: on hold in Customers: refused whatever the order
    on_hold = credit_check(ledger, AS_OF, "K2", 100)
    assert on_hold.verdict == "refuse" and on_hold.findings[1].text == "on credit hold in Customers"
    assert (on_hold.approve_up_to, on_hold.refer_up_to) == (0, 0)
    # K3: no limit, but 40 % overdue: referred (a person decides)
    overdue = credit_check(ledger, AS_OF, "K3", 100)
    assert overdue.verdict == "refer"
    assert overdue.findings[2].text == "overdue 400.00 of 1,000.00 open (40%), more than 25%"
    assert overdue.findings[3].text == "risk grade B (1 point(s))"
    assert (overdue.approve_up_to, overdue.refer_up_to) == (0, None)
    # K4: no limit and nothing against: any order
    free = credit_check(ledger, AS_OF, "K4", 10 ** 12)
    assert free.verdict == "approve" and free.approve_up_to is None


@settings(max_examples=60, deadline=None)
@given(customer=st.sampled_from(["K1", "K2", "K3", "K4"]), order=st.integers(1, 2_000_000))
def test_the_credit_sheet_and_the_what_if_agree(customer: str, order: int) -> None:
    """An order is approved exactly when it is at most the standing's approve_up_to (blank: any), and refused
    exactly when it is above refer_up_to (blank: never, unless the standing itself refuses)."""
    from arxl.credit import credit_check, credit_standing

    ledger = what_if_book()
    standing = credit_standing(ledger, AS_OF).set_index("customer_id").loc[customer]
    verdict = credit_check(ledger, AS_OF, customer, order).verdict
    approve_up_to, refer_up_to = standing["approve_up_to"], standing["refer_up_to"]
    assert (verdict == "approve") == (pd.isna(approve_up_to) or order <= int(approve_up_to))
    refused = standing["standing"] == "refuse" or (not pd.isna(refer_up_to) and order > int(refer_up_to))
    assert (verdict == "refuse") == refused
