"""Open-item and activity statements (DESIGN.md section 3, "Statements")."""

from __future__ import annotations

import datetime as dt

import pytest

from arxl.aging import aging
from arxl.statements import activity_statement, open_item_statement
from tests.builders import build_ledger, day


def _ledger():
    return build_ledger(
        customers=[dict(customer_id="C1", name="Acme Ltd")],
        invoices=[
            dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-05", amount="100.00"),
            dict(invoice_id="I2", customer_id="C1", invoice_date="2026-02-10", amount="250.00", po_number="7"),
            dict(invoice_id="CN", customer_id="C1", invoice_date="2026-02-15", amount="-30.00", applies_to="I2"),
            dict(invoice_id="I3", customer_id="C1", invoice_date="2026-03-10", amount="10.00"),
            dict(invoice_id="X1", customer_id="C2", invoice_date="2026-02-01", amount="999.00"),
        ],
        payments=[
            dict(payment_id="P1", customer_id="C1", payment_date="2026-02-20", amount="80.00", invoice_id="I1",
                 method="cheque"),
            dict(payment_id="R1", customer_id="C1", payment_date="2026-03-05", amount="-80.00", reference="P1"),
            dict(payment_id="P2", customer_id="C1", payment_date="2026-03-10", amount="50.00"),
        ],
        adjustments=[dict(adjustment_id="A1", invoice_id="I1", date="2026-02-25", type="finance_charge",
                          amount="5.00", reason="late")],
    )


def test_activity_statement_by_hand():
    statement = activity_statement(_ledger(), "C1", day("2026-02-01"), day("2026-03-15"))
    assert statement.name == "Acme Ltd"
    # Opening = balance on 31 Jan: I1 100.00.
    assert statement.opening_balance == {"USD": 10_000}
    lines = statement.lines
    assert lines["document_id"].tolist() == ["I2", "CN", "P1", "A1", "R1", "I3", "P2"]
    assert lines["kind"].tolist() == ["invoice", "credit_note", "payment", "adjustment", "reversal", "invoice",
                                      "payment"]
    assert lines["debit"].tolist() == [25_000, 0, 0, 500, 8_000, 1_000, 0]
    assert lines["credit"].tolist() == [0, 3_000, 8_000, 0, 0, 0, 5_000]
    # 100 + 250 = 350; - 30 = 320; - 80 = 240; + 5 = 245; + 80 (bounced) = 325; + 10 = 335; - 50 = 285.
    assert lines["running_balance"].tolist() == [35_000, 32_000, 24_000, 24_500, 32_500, 33_500, 28_500]
    assert statement.closing_balance == {"USD": 28_500}
    assert lines["description"].tolist()[:4] == ["PO 7", "Credit for I2", "cheque I1", "Finance charge I1: late"]


def test_closing_balance_equals_the_aging_total_at_the_end_date():
    ledger = _ledger()
    for end in ["2026-01-31", "2026-02-20", "2026-03-05", "2026-03-15"]:
        statement = activity_statement(ledger, "C1", day("2026-01-01"), day(end))
        summary = aging(ledger, day(end)).summary
        total = summary.loc[summary["customer_id"] == "C1", "Total"].sum()
        assert statement.closing_balance == {"USD": total}


def test_open_item_statement_by_hand():
    statement = open_item_statement(_ledger(), "C1", day("2026-03-15"))
    # I1: 100 + 5 = 105; P1 was reversed on 5 Mar, so P2's 50 (FIFO, oldest due) pays I1 -> 55, due 4 Feb,
    # 39 days past due. I2: 250 - 30 = 220, due 12 Mar, 3 days. I3: 10, due 9 Apr, current.
    items = statement.items.set_index("document_id")
    assert items["open_amount"].to_dict() == {"I1": 5_500, "I2": 22_000, "I3": 1_000}
    assert items["days_past_due"].to_dict() == {"I1": 39, "I2": 3, "I3": -25}
    footer = statement.footer.iloc[0]
    assert [footer[label] for label in statement.labels] == [1_000, 22_000, 5_500, 0, 0]
    assert (footer["Unapplied"], footer["Total"]) == (0, 28_500)
    assert statement.total_due == {"USD": 28_500}


def test_several_currencies_give_figures_per_currency():
    ledger = build_ledger(
        invoices=[dict(invoice_id="U1", customer_id="C1", invoice_date="2026-01-05", amount="100.00"),
                  dict(invoice_id="E1", customer_id="C1", invoice_date="2026-01-06", amount="40.00",
                       currency="EUR"),
                  dict(invoice_id="E2", customer_id="C1", invoice_date="2026-02-06", amount="2.50",
                       currency="EUR")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-02-10", amount="10.00",
                       currency="EUR")],
    )
    statement = activity_statement(ledger, "C1", day("2026-02-01"), day("2026-02-28"))
    assert statement.opening_balance == {"EUR": 4_000, "USD": 10_000}
    assert statement.lines["currency"].tolist() == ["EUR", "EUR"]
    # EUR: 40.00 + 2.50 = 42.50, - 10.00 = 32.50; USD unchanged.
    assert statement.lines["running_balance"].tolist() == [4_250, 3_250]
    assert statement.closing_balance == {"EUR": 3_250, "USD": 10_000}
    open_items = open_item_statement(ledger, "C1", day("2026-02-28"))
    assert open_items.total_due == {"EUR": 3_250, "USD": 10_000}
    assert open_items.footer["currency"].tolist() == ["EUR", "USD"]


def test_a_customer_with_nothing_gets_zero_in_its_currency():
    ledger = build_ledger(customers=[dict(customer_id="C9", currency="GBP")])
    assert open_item_statement(ledger, "C9", day("2026-01-31")).total_due == {"GBP": 0}
    statement = activity_statement(ledger, "C9", day("2026-01-01"), day("2026-01-31"))
    assert statement.lines.empty
    assert statement.opening_balance == statement.closing_balance == {"GBP": 0}


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        activity_statement(_ledger(), "C1", dt.date(2026, 3, 1), dt.date(2026, 2, 1))
