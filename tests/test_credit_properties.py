"""Invariants of refunds and small-balance write-offs over random books (hypothesis), through the loader: the
tables are typed as a user would type them, and only books the loader accepts are judged.

- a refund never leaves its customer owing more than the refund took of the credit it names: every refund is
  covered by its credit, and no credit ends up owed;
- each customer's balance (the open items) equals documents + adjustments - refunds at every as-of date,
  worked out here from the typed rows alone;
- small-balance write-off proposals accepted twice change nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from arxl.load import RawTable, load_tables
from arxl.settle import settle
from arxl.small_balances import small_balance_proposals
from arxl.verbs.charges import adjustments_frame

BASE = dt.date(2026, 1, 1)
CUSTOMERS = ("C1", "C2")
DATES = tuple(BASE + dt.timedelta(days=days) for days in (0, 10, 20, 30, 45, 60, 75))
PROPERTIES = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

Tables = dict[str, list[list[object]]]


def _day(draw: st.DrawFn, after: dt.date = BASE, within: int = 60) -> dt.date:
    return after + dt.timedelta(days=draw(st.integers(0, within)))


@st.composite
def books(draw: st.DrawFn) -> Tables:
    """Invoices, credit notes, payments (some naming an invoice, some over- or underpaying it), refunds of some
    credit notes and payments (at most what the credit was), a few discounts; USD only, auto-apply on or off."""
    invoices = [["invoice_id", "customer_id", "invoice_date", "amount"]]
    payments = [["payment_id", "customer_id", "payment_date", "amount", "invoice_id", "type"]]
    credits: list[tuple[str, str, dt.date, int]] = []  # id, customer, date, cents
    owed: list[tuple[str, str, int, dt.date]] = []
    for number in range(draw(st.integers(0, 5))):
        customer, cents, day = draw(st.sampled_from(CUSTOMERS)), draw(st.integers(1, 50_000)), _day(draw)
        if draw(st.integers(0, 2)) == 0:
            invoices.append([f"CN{number}", customer, day, -cents / 100])
            credits.append((f"CN{number}", customer, day, cents))
        else:
            invoices.append([f"I{number}", customer, day, cents / 100])
            owed.append((f"I{number}", customer, cents, day))
    for number in range(draw(st.integers(0, 5))):
        day = _day(draw)
        if owed and draw(st.booleans()):
            invoice, customer, cents, _day_invoiced = draw(st.sampled_from(owed))
            cents = max(1, cents + draw(st.integers(-600, 600)))  # residues of a few dollars either way
        else:
            invoice, customer, cents = "", draw(st.sampled_from(CUSTOMERS)), draw(st.integers(1, 50_000))
        payments.append([f"P{number}", customer, day, cents / 100, invoice, "payment"])
        credits.append((f"P{number}", customer, day, cents))
    for number, (credit, customer, day, cents) in enumerate(credits):
        if draw(st.integers(0, 2)) == 0:
            refund_day = day + dt.timedelta(days=draw(st.sampled_from((0, 0, 5, 30))))
            payments.append([f"R{number}", customer, refund_day, draw(st.integers(1, cents)) / 100, credit,
                             "refund"])
    adjustments = [["adjustment_id", "invoice_id", "date", "type", "amount", "reason"]]
    for number in range(draw(st.integers(0, 2)) if owed else 0):
        invoice, _customer, cents, invoiced = draw(st.sampled_from(owed))
        discount = max(1, cents // 10) / 100
        adjustments.append([f"A{number}", invoice, _day(draw, invoiced, 30), "discount", discount, ""])
    return {
        "Settings": [["key", "value"], ["company_name", "Test Co"], ["reporting_currency", "USD"],
                     ["auto_apply", draw(st.sampled_from(("yes", "no")))],
                     ["write_off_tolerance", draw(st.sampled_from((0, 1, 5, 10)))]],
        "Customers": [["customer_id", "name"], *([customer, customer] for customer in CUSTOMERS)],
        "Invoices": invoices, "Payments": payments, "Adjustments": adjustments,
    }


def load(tables: Tables):
    return load_tables({name: RawTable(name, rows[0], [list(row) for row in rows[1:]], first_row=2)
                        for name, rows in tables.items()})


def typed_balances(tables: Tables, on: dt.date) -> dict[str, int]:
    """Per customer: invoices and credit notes + adjustments in force - payments + refunds, dated on or before
    ``on``, in cents, from the typed rows (a discount reduces what its invoice's customer owes)."""
    balances: dict[str, int] = defaultdict(int)
    customer_of = {}
    for invoice, customer, day, amount in tables["Invoices"][1:]:
        customer_of[invoice] = customer
        if day <= on:
            balances[customer] += round(amount * 100)
    for _payment, customer, day, amount, _invoice, kind in tables["Payments"][1:]:
        if day <= on:
            balances[customer] += round(amount * 100) * (1 if kind == "refund" else -1)
    for _id, invoice, day, kind, amount, _reason in tables["Adjustments"][1:]:
        if day <= on:
            balances[customer_of[invoice]] += round(amount * 100) * (-1 if kind == "discount" else 1)
    return {customer: balance for customer, balance in balances.items() if balance}


def open_balances(items) -> dict[str, int]:
    sums = items.groupby("customer_id")["open_amount"].sum()
    return {str(customer): int(balance) for customer, balance in sums.items() if balance}


@PROPERTIES
@given(books())
def test_a_refund_is_covered_by_its_credit_and_the_balance_is_documents_less_refunds(tables: Tables) -> None:
    loaded = load(tables)
    assume(not loaded.errors)
    ledger = loaded.ledger
    refunded = {row[4]: round(row[3] * 100) for row in tables["Payments"][1:] if row[5] == "refund"}
    for on in DATES:
        items = settle(ledger, on).open_items
        # Every refund dated by now is covered: none is open, and no credit it named is owed by the customer.
        assert not (items["kind"] == "refund").any()
        named = items[items["document_id"].isin(list(refunded)).to_numpy()]
        assert (named["open_amount"] <= 0).all()
        assert open_balances(items) == typed_balances(tables, on)


@PROPERTIES
@given(books())
def test_small_balance_write_offs_accepted_twice_change_nothing(tables: Tables) -> None:
    loaded = load(tables)
    assume(not loaded.errors)
    on = DATES[-1]
    proposals = small_balance_proposals(loaded.ledger, on)
    accepted = {**tables, "Adjustments": [*tables["Adjustments"], *(
        [row.adjustment_id, row.invoice_id, on, row.type, row.amount, row.reason]
        for row in adjustments_frame(proposals).itertuples(index=False))]}
    once = load(accepted)
    assert not once.errors, once.problems
    items = settle(once.ledger, on).open_items
    # Every residue written off is closed; a second proposal finds nothing to append, so nothing changes.
    assert not items["document_id"].isin(list(proposals["invoice_id"])).any()
    again = small_balance_proposals(once.ledger, on)
    assert again.empty
    before = open_balances(settle(loaded.ledger, on).open_items)
    after = open_balances(items)
    # Each customer moved by exactly what was written off: owed residues down, unapplied residues up.
    for customer in set(before) | set(after):
        mine = proposals[proposals["customer_id"] == customer]
        signed = sum(int(amount) if invoice.startswith("I") else -int(amount)
                     for invoice, amount in zip(mine["invoice_id"], mine["amount"], strict=True))
        assert before.get(customer, 0) - signed == after.get(customer, 0)
