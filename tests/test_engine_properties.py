"""Invariants of the engine over random ledgers (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arxl.aging import aging
from arxl.ledger import Ledger
from arxl.metrics import month_ends, monthly_series
from arxl.settle import settle
from arxl.statements import activity_statement
from tests.builders import build_ledger, shuffled

BASE = dt.date(2026, 1, 1)
CUSTOMERS = ("C1", "C2", "C10")
ENGINE = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _major(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2))


def _day(draw: st.DrawFn) -> dt.date:
    return BASE + dt.timedelta(days=draw(st.integers(0, 60)))


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    """Random ledgers: invoices, credit and debit notes, void and disputed documents, payments with and
    without references, reversals, explicit applications (some too large) and adjustments that fit."""
    invoices = []
    for number in range(draw(st.integers(0, 8))):
        cents = draw(st.integers(1, 100_000))
        credit = draw(st.integers(0, 3)) == 0
        invoice = dict(invoice_id=f"I{number}", customer_id=draw(st.sampled_from(CUSTOMERS)),
                       invoice_date=_day(draw), amount=_major(-cents if credit else cents),
                       currency=draw(st.sampled_from(("USD", "USD", "EUR"))),
                       status=draw(st.sampled_from(("", "", "", "disputed", "void"))))
        invoice["due_date"] = invoice["invoice_date"] + dt.timedelta(days=draw(st.integers(0, 45)))
        if not credit and draw(st.integers(0, 5)) == 0:
            invoice["type"] = "debit_note"
        if credit and invoices and draw(st.booleans()):
            invoice["applies_to"] = draw(st.sampled_from([row["invoice_id"] for row in invoices]))
        invoices.append(invoice)
    invoice_ids = [row["invoice_id"] for row in invoices]
    payments = []
    for number in range(draw(st.integers(0, 8))):
        cents = draw(st.integers(1, 100_000))
        payment = dict(payment_id=f"P{number}", customer_id=draw(st.sampled_from(CUSTOMERS)),
                       payment_date=_day(draw), amount=_major(cents),
                       currency=draw(st.sampled_from(("USD", "USD", "EUR"))))
        if invoice_ids and draw(st.booleans()):
            payment["invoice_id"] = draw(st.sampled_from(invoice_ids))
        if payments and draw(st.integers(0, 4)) == 0:
            payment["amount"] = _major(-cents)
            payment["reference"] = draw(st.sampled_from([row["payment_id"] for row in payments] + [""]))
            payment.pop("invoice_id", None)
        payments.append(payment)
    sources = [row["payment_id"] for row in payments] + [row["invoice_id"] for row in invoices
                                                         if row["amount"].startswith("-")]
    applications = []
    if sources and invoice_ids:
        for _ in range(draw(st.integers(0, 4))):
            applications.append(dict(
                payment_id=draw(st.sampled_from(sources)), invoice_id=draw(st.sampled_from(invoice_ids)),
                amount=_major(draw(st.integers(1, 60_000))),
                date=None if draw(st.booleans()) else _day(draw)))
    adjustments = []
    receivables = [row for row in invoices if not row["amount"].startswith("-")]
    for number in range(draw(st.integers(0, 4)) if receivables else 0):
        invoice = draw(st.sampled_from(receivables))
        # Reductions of at most a tenth each (four at most) never take an invoice below zero.
        ceiling = int(Decimal(invoice["amount"]) * 100) // 10
        reducing = ceiling > 0 and draw(st.booleans())
        ceiling = max(ceiling, 1)
        adjustments.append(dict(adjustment_id=f"A{number}", invoice_id=invoice["invoice_id"], date=_day(draw),
                                type=draw(st.sampled_from(("write_off", "discount") if reducing
                                                          else ("finance_charge", "bad_debt_recovery"))),
                                amount=_major(draw(st.integers(1, ceiling)))))
    return build_ledger(invoices=invoices, payments=payments, applications=applications,
                        adjustments=adjustments, auto_apply=draw(st.booleans()))


def _expected_balances(ledger: Ledger, as_of: dt.date) -> dict[tuple[str, str], int]:
    """Invoices - payments + adjustments in force, per (customer, currency), straight from the rows."""
    moment = pd.Timestamp(as_of)
    totals: dict[tuple[str, str], int] = {}
    invoices = ledger.invoices[ledger.invoices["invoice_date"] <= moment]
    for row in invoices.itertuples():
        totals[(row.customer_id, row.currency)] = totals.get((row.customer_id, row.currency), 0) + row.amount
    for row in ledger.payments[ledger.payments["payment_date"] <= moment].itertuples():
        totals[(row.customer_id, row.currency)] = totals.get((row.customer_id, row.currency), 0) - row.amount
    known = invoices.set_index("invoice_id")
    for row in ledger.adjustments[ledger.adjustments["date"] <= moment].itertuples():
        if row.invoice_id in known.index:
            invoice = known.loc[row.invoice_id]
            key = (invoice["customer_id"], invoice["currency"])
            totals[key] = totals.get(key, 0) + row.effect
    return {key: value for key, value in totals.items() if value != 0}


@ENGINE
@given(ledger=ledgers(), offset=st.integers(-1, 75))
def test_balances_buckets_and_bounds(ledger, offset):
    as_of = BASE + dt.timedelta(days=offset)
    result = settle(ledger, as_of)
    report = aging(ledger, as_of, settlement=result)
    items = result.open_items

    # Total AR = invoices - credit notes - payments +/- adjustments, per account, and the buckets add up.
    summary = report.summary.set_index(["customer_id", "currency"])
    balances = {key: int(value) for key, value in summary["Total"].items() if value != 0}
    assert balances == _expected_balances(ledger, as_of)
    buckets = summary[report.labels].sum(axis=1) - summary["Unapplied"]
    assert (buckets == summary["Total"]).all()
    open_by_account = items.groupby(["customer_id", "currency"])["open_amount"].sum()
    assert open_by_account.to_dict() == summary["Total"].to_dict()

    # No receivable below zero or above its document; no credit beyond what it holds.
    receivable = items["kind"].isin(["invoice", "debit_note", "reversal"])
    ceiling = items["original"] + items["adjusted"]
    assert ((items["open_amount"] > 0) & (items["open_amount"] <= ceiling))[receivable].all()
    assert ((items["open_amount"] < 0) & (items["open_amount"] >= ceiling))[~receivable].all()
    assert (items["original"] + items["adjusted"] + items["applied"] == items["open_amount"]).all()

    # The application ledger explains every open amount and never over-applies.
    applications = result.applications
    assert (applications["amount"] > 0).all()
    into = applications.groupby("invoice_id")["amount"].sum()
    out_of = applications.groupby("source_id")["amount"].sum()
    for row in items.itertuples():
        if row.open_amount > 0:
            assert row.original + row.adjusted - into.get(row.document_id, 0) == row.open_amount
        else:
            assert row.original + row.adjusted + out_of.get(row.document_id, 0) == row.open_amount
    settled_invoices = set(into.index) - set(items["document_id"])
    amounts = ledger.invoices.set_index("invoice_id")["amount"]
    adjusted = result.adjustments.groupby("invoice_id")["effect"].sum()
    for invoice_id in settled_invoices & set(amounts.index):
        assert into[invoice_id] == amounts[invoice_id] + adjusted.get(invoice_id, 0)
    payments = ledger.payments.set_index("payment_id")["amount"]
    for source_id, total in out_of.items():
        held = payments.get(source_id, None)
        assert total <= (held if held is not None else -amounts[source_id])

    # The void invoices exist for no report.
    assert not set(items["document_id"]) & set(ledger.voided["invoice_id"])


@ENGINE
@given(ledger=ledgers(), offset=st.integers(0, 75), seed=st.integers(0, 1000))
def test_shuffling_input_rows_changes_nothing(ledger, offset, seed):
    as_of = BASE + dt.timedelta(days=offset)
    expected = settle(ledger, as_of)
    again = settle(shuffled(ledger, seed), as_of)
    pd.testing.assert_frame_equal(again.open_items, expected.open_items)
    pd.testing.assert_frame_equal(again.applications, expected.applications)
    pd.testing.assert_frame_equal(again.adjustments, expected.adjustments)


@ENGINE
@given(ledger=ledgers(), customer=st.sampled_from(CUSTOMERS), start=st.integers(0, 60), length=st.integers(0, 40))
def test_statement_closing_balance_equals_the_aging_total(ledger, customer, start, length):
    first = BASE + dt.timedelta(days=start)
    last = first + dt.timedelta(days=length)
    statement = activity_statement(ledger, customer, first, last)
    summary = aging(ledger, last).summary
    totals = summary[summary["customer_id"] == customer].set_index("currency")["Total"]
    for currency, closing in statement.closing_balance.items():
        assert closing == int(totals.get(currency, 0))
    assert set(totals.index) <= set(statement.closing_balance)
    running = statement.lines.groupby("currency")["running_balance"].last()
    for currency, value in running.items():
        assert value == statement.closing_balance[currency]


@ENGINE
@given(ledger=ledgers())
def test_an_as_of_date_before_every_document_gives_an_empty_report(ledger):
    report = aging(ledger, BASE - dt.timedelta(days=1))
    assert report.detail.empty and report.summary.empty
    assert settle(ledger, BASE - dt.timedelta(days=1)).applications.empty


@ENGINE
@given(ledger=ledgers(), offset=st.integers(0, 120))
def test_month_end_ar_equals_the_settled_open_items(ledger, offset):
    """In one currency the month-end AR of the 12-month series is a running sum of the documents (no settlement
    per month); it must equal the open items a full settlement leaves at each month end."""
    for frame in (ledger.invoices, ledger.voided, ledger.payments):
        frame["currency"] = "USD"
    as_of = BASE + dt.timedelta(days=offset)
    series = monthly_series(ledger, as_of, months=4)
    for end, ar in zip(month_ends(as_of, 4), series["ar"], strict=True):
        assert int(ar) == int(settle(ledger, end).open_items["open_amount"].sum()), end


@ENGINE
@given(ledger=ledgers(), offset=st.integers(0, 75), disputes=st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 70), st.booleans()), max_size=4))
def test_auto_apply_never_settles_a_disputed_invoice_while_an_undisputed_one_stays_open(ledger, offset, disputes):
    """With auto-apply, no disputed invoice (status, or an open Activity dispute) gets auto-applied cash while an
    older-or-newer undisputed receivable of the same customer and currency stays open; a payment that named it
    (reference, Applications row) may still pay it."""
    import dataclasses

    from tests.test_collections import with_activity

    ledger = dataclasses.replace(ledger, settings=dataclasses.replace(ledger.settings, auto_apply=True))
    invoices = ledger.invoices
    rows = []
    for number, day_offset, resolves in disputes:
        if number < len(invoices):
            invoice = invoices.iloc[number]
            rows.append(dict(date=BASE + dt.timedelta(days=day_offset), customer_id=invoice["customer_id"],
                             invoice_id=invoice["invoice_id"], action="resolved" if resolves else "dispute"))
    ledger = with_activity(ledger, rows)
    as_of = BASE + dt.timedelta(days=offset)
    result = settle(ledger, as_of)
    items = result.open_items
    from arxl.receivables import open_disputes

    disputed = set(open_disputes(ledger, as_of)["invoice_id"]) | set(
        ledger.invoices.loc[ledger.invoices["status"] == "disputed", "invoice_id"])
    # the engine's disputes are arxl.receivables' rule (status, or an open Activity dispute), on its open items
    assert set(items.loc[items["status"] == "disputed", "document_id"]) == disputed & set(items["document_id"])
    receivable = items[items["kind"].isin(["invoice", "debit_note", "reversal"]) & (items["open_amount"] > 0)]
    open_undisputed = receivable[~receivable["document_id"].isin(disputed)]
    accounts = set(zip(open_undisputed["customer_id"], open_undisputed["currency"], strict=True))
    auto = result.applications[result.applications["step"] == "auto"]
    for row in auto.itertuples():
        if row.invoice_id in disputed:
            assert (row.customer_id, row.currency) not in accounts, (row, open_undisputed)
