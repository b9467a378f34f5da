"""Settlement rules of DESIGN.md section 3, each with a hand-worked example (amounts in cents in the asserts)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from arxl.settle import APPLICATION_COLUMNS, OPEN_ITEM_COLUMNS, Settlement, settle
from tests.builders import build_ledger, day, shuffled


def open_amounts(settlement: Settlement) -> dict[str, int]:
    """document_id -> open amount (cents)."""
    items = settlement.open_items
    return dict(zip(items["document_id"].tolist(), items["open_amount"].tolist(), strict=True))


def applied(settlement: Settlement) -> list[tuple[str, str, int, str]]:
    """(source, invoice, amount, step) rows of the application ledger, in its order."""
    frame = settlement.applications
    return list(zip(frame["source_id"], frame["invoice_id"], frame["amount"], frame["step"], strict=True))


def assert_explained(settlement: Settlement) -> None:
    """Every open amount follows from its original, adjustments and the application ledger."""
    items = settlement.open_items
    assert (items["original"] + items["adjusted"] + items["applied"] == items["open_amount"]).all()
    to_invoice = settlement.applications.groupby("invoice_id")["amount"].sum()
    from_source = settlement.applications.groupby("source_id")["amount"].sum()
    for row in items.itertuples():
        if row.open_amount > 0:
            assert row.original + row.adjusted - to_invoice.get(row.document_id, 0) == row.open_amount
        else:
            assert row.original + row.adjusted + from_source.get(row.document_id, 0) == row.open_amount


AS_OF = dt.date(2026, 3, 31)


def test_frames_have_the_documented_columns_and_dtypes():
    ledger = build_ledger(invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01",
                                         amount="100.00")])
    result = settle(ledger, AS_OF)
    assert tuple(result.open_items.columns) == OPEN_ITEM_COLUMNS
    assert tuple(result.applications.columns) == APPLICATION_COLUMNS
    assert str(result.open_items["document_date"].dtype) == "datetime64[s]"
    assert result.open_items["open_amount"].dtype == "int64"
    assert result.open_items["customer_id"].dtype == "str"
    assert result.as_of == AS_OF


def test_documents_dated_after_the_as_of_date_do_not_exist():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-10", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-02-10", amount="50.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-20", amount="100.00",
                       invoice_id="I1")],
    )
    # On 15 Jan only I1 exists and nothing is paid yet.
    assert open_amounts(settle(ledger, day("2026-01-15"))) == {"I1": 10000}
    # On 20 Jan P1 pays I1 in full (the payment's own date counts).
    assert open_amounts(settle(ledger, day("2026-01-20"))) == {}
    # Before any document: nothing at all.
    before = settle(ledger, day("2025-12-31"))
    assert before.open_items.empty and before.applications.empty


def test_adjustments_come_first_and_are_signed_by_type():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-02", amount="200.00")],
        adjustments=[
            dict(adjustment_id="A1", invoice_id="I1", date="2026-01-05", type="discount", amount="2.00"),
            dict(adjustment_id="A2", invoice_id="I1", date="2026-01-06", type="write_off", amount="8.00"),
            dict(adjustment_id="A3", invoice_id="I2", date="2026-02-01", type="finance_charge", amount="3.00"),
            dict(adjustment_id="A4", invoice_id="I2", date="2026-04-01", type="bad_debt_recovery", amount="9.99"),
        ],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-31", amount="90.00")],
    )
    result = settle(ledger, AS_OF)
    # I1: 100.00 - 2.00 - 8.00 = 90.00, then P1 (FIFO) pays 90.00 -> closed.
    # I2: 200.00 + 3.00 = 203.00 (A4 is dated after the as-of date).
    assert open_amounts(result) == {"I2": 20300}
    i2 = result.open_items.set_index("document_id").loc["I2"]
    assert (i2["original"], i2["adjusted"], i2["applied"]) == (20000, 300, 0)
    assert result.adjustments["adjustment_id"].tolist() == ["A1", "A2", "A3"]
    assert result.adjustments["effect"].tolist() == [-200, -800, 300]
    assert_explained(result)


def test_a_write_off_never_takes_an_invoice_below_zero():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00")],
        adjustments=[
            dict(adjustment_id="A1", invoice_id="I1", date="2026-01-05", type="write_off", amount="80.00"),
            dict(adjustment_id="A2", invoice_id="I1", date="2026-01-06", type="write_off", amount="50.00"),
            dict(adjustment_id="A3", invoice_id="I1", date="2026-01-07", type="finance_charge", amount="5.00"),
        ],
    )
    result = settle(ledger, AS_OF)
    # 100 - 80 = 20; A2 can only take the 20 left (-20 instead of -50); A3 adds 5 -> 5.00 open.
    assert open_amounts(result) == {"I1": 500}
    assert result.adjustments["effect"].tolist() == [-8000, -2000, 500]


def test_explicit_applications_split_a_payment_before_references_and_fifo():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-02", amount="100.00"),
                  dict(invoice_id="I3", customer_id="C1", invoice_date="2026-01-03", amount="100.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-02-01", amount="150.00",
                       invoice_id="I1")],
        applications=[dict(payment_id="P1", invoice_id="I3", amount="60.00"),
                      dict(payment_id="P1", invoice_id="I2", amount="40.00")],
    )
    result = settle(ledger, AS_OF)
    # Explicit rows first: I3 gets 60, I2 gets 40 (100 of 150 used); then the reference: I1 gets the 50 left.
    assert open_amounts(result) == {"I1": 5000, "I2": 6000, "I3": 4000}
    assert sorted(applied(result)) == [("P1", "I1", 5000, "reference"), ("P1", "I2", 4000, "explicit"),
                                       ("P1", "I3", 6000, "explicit")]
    # Default date of an explicit row: the later of the two documents' dates (P1's 1 Feb).
    assert set(result.applications["date"]) == {pd.Timestamp("2026-02-01")}
    assert_explained(result)


def test_explicit_applications_are_capped_in_date_then_row_order():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-01", amount="100.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-10", amount="120.00"),
                  dict(payment_id="P2", customer_id="C1", payment_date="2026-01-10", amount="500.00")],
        applications=[
            dict(payment_id="P1", invoice_id="I2", amount="90.00", date="2026-01-20", row=2),
            dict(payment_id="P1", invoice_id="I1", amount="90.00", date="2026-01-15", row=3),
            dict(payment_id="P2", invoice_id="I1", amount="90.00", date="2026-01-15", row=4),
        ],
        auto_apply=False,
    )
    result = settle(ledger, AS_OF)
    # By date then row: row 3 (15 Jan) P1 -> I1 90; row 4 (15 Jan) P2 -> I1 only 10 left of I1;
    # row 2 (20 Jan) P1 -> I2 only 30 left of P1's 120.
    assert sorted(applied(result)) == [("P1", "I1", 9000, "explicit"), ("P1", "I2", 3000, "explicit"),
                                       ("P2", "I1", 1000, "explicit")]
    # I2: 100 - 30 = 70 open; P2: 500 - 10 = 490 unapplied.
    assert open_amounts(result) == {"I2": 7000, "P2": -49000}
    assert_explained(result)


def test_an_application_dated_after_the_as_of_date_does_not_exist_yet():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-02", amount="100.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-10", amount="100.00")],
        applications=[dict(payment_id="P1", invoice_id="I2", amount="100.00", date="2026-02-01")],
    )
    # On 15 Jan the application does not exist: FIFO gives P1 to I1, the oldest.
    assert open_amounts(settle(ledger, day("2026-01-15"))) == {"I2": 10000}
    # From 1 Feb the explicit row wins.
    assert open_amounts(settle(ledger, day("2026-02-01"))) == {"I1": 10000}


def test_a_payment_pays_its_own_invoice_then_fifo_takes_the_rest():
    ledger = build_ledger(
        invoices=[dict(invoice_id="OLD", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="NEW", customer_id="C1", invoice_date="2026-02-01", amount="80.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-02-10", amount="100.00",
                       invoice_id="NEW")],
    )
    result = settle(ledger, AS_OF)
    # NEW is named: it takes 80; FIFO gives the remaining 20 to OLD -> OLD 80 open.
    assert open_amounts(result) == {"OLD": 8000}
    assert applied(result) == [("P1", "OLD", 2000, "auto"), ("P1", "NEW", 8000, "reference")]


def test_several_payments_naming_one_invoice_are_taken_by_date_then_id():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00")],
        payments=[dict(payment_id="PB", customer_id="C1", payment_date="2026-01-10", amount="70.00",
                       invoice_id="I1"),
                  dict(payment_id="PA", customer_id="C1", payment_date="2026-01-10", amount="70.00",
                       invoice_id="I1"),
                  dict(payment_id="P0", customer_id="C1", payment_date="2026-01-11", amount="70.00",
                       invoice_id="I1")],
    )
    result = settle(ledger, AS_OF)
    # Same date: PA before PB. PA 70, PB the 30 left, P0 (a day later) nothing.
    assert sorted(applied(result)) == [("PA", "I1", 7000, "reference"), ("PB", "I1", 3000, "reference")]
    assert open_amounts(result) == {"PB": -4000, "P0": -7000}


def test_fifo_takes_oldest_due_date_then_invoice_date_then_id():
    ledger = build_ledger(
        invoices=[
            dict(invoice_id="I9", customer_id="C1", invoice_date="2026-01-05", due_date="2026-02-01",
                 amount="10.00"),
            dict(invoice_id="I10", customer_id="C1", invoice_date="2026-01-05", due_date="2026-02-01",
                 amount="10.00"),
            dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-01", due_date="2026-02-01",
                 amount="10.00"),
            dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-20", due_date="2026-01-25",
                 amount="10.00"),
        ],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-02-10", amount="35.00")],
    )
    result = settle(ledger, AS_OF)
    # Due 25 Jan first (I1), then due 1 Feb by invoice date (I2 on 1 Jan), then by id ("I10" < "I9").
    assert [row[1] for row in applied(result)] == ["I2", "I10", "I9", "I1"]  # the ledger lists by invoice
    amounts = {row[1]: row[2] for row in applied(result)}
    assert amounts == {"I1": 1000, "I2": 1000, "I10": 1000, "I9": 500}
    assert open_amounts(result) == {"I9": 500}


def test_fifo_takes_cash_by_date_then_id_and_stays_in_the_account():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-15", amount="100.00"),
                  dict(invoice_id="E1", customer_id="C1", invoice_date="2026-01-01", amount="100.00",
                       currency="EUR"),
                  dict(invoice_id="X1", customer_id="C2", invoice_date="2026-01-01", amount="100.00")],
        payments=[dict(payment_id="PB", customer_id="C1", payment_date="2026-02-01", amount="60.00"),
                  dict(payment_id="PA", customer_id="C1", payment_date="2026-02-01", amount="60.00"),
                  dict(payment_id="P0", customer_id="C1", payment_date="2026-01-31", amount="30.00")],
    )
    result = settle(ledger, AS_OF)
    # USD cash in order P0 (31 Jan) 30, PA 60, PB 60 = 150 against I1 100 then I2 100.
    assert applied(result)[:3] == [("P0", "I1", 3000, "auto"), ("PA", "I1", 6000, "auto"),
                                   ("PB", "I1", 1000, "auto")]
    assert applied(result)[3:] == [("PB", "I2", 5000, "auto")]
    # The EUR invoice and the other customer's invoice are untouched.
    assert open_amounts(result) == {"E1": 10000, "I2": 5000, "X1": 10000}


def test_auto_apply_off_leaves_unreferenced_cash_unapplied():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-10", amount="40.00")],
        auto_apply=False,
    )
    assert open_amounts(settle(ledger, AS_OF)) == {"I1": 10000, "P1": -4000}
    # The argument overrides the setting.
    assert open_amounts(settle(ledger, AS_OF, auto_apply=True)) == {"I1": 6000}


def test_overpayment_is_unapplied_cash_with_a_negative_open_amount():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-10", amount="130.00",
                       invoice_id="I1")],
    )
    result = settle(ledger, AS_OF)
    payment = result.open_items.set_index("document_id").loc["P1"]
    # -130 original, +100 applied -> -30 unapplied, kind payment, due on its own date.
    assert (payment["original"], payment["applied"], payment["open_amount"]) == (-13000, 10000, -3000)
    assert payment["kind"] == "payment" and payment["due_date"] == pd.Timestamp("2026-01-10")


def test_credit_notes_settle_like_payments_dated_at_their_invoice_date():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-02", amount="100.00"),
                  dict(invoice_id="CN1", customer_id="C1", invoice_date="2026-01-20", amount="-30.00",
                       applies_to="I2"),
                  dict(invoice_id="CN2", customer_id="C1", invoice_date="2026-01-25", amount="-150.00")],
    )
    before = settle(ledger, day("2026-01-19"))
    assert open_amounts(before) == {"I1": 10000, "I2": 10000}
    result = settle(ledger, AS_OF)
    # CN1 -> I2 (its applies_to) 30; CN2 (no reference) FIFO: I1 100, I2 the 50 left of 150 -> I2 20 open.
    assert sorted(applied(result)) == [("CN1", "I2", 3000, "reference"), ("CN2", "I1", 10000, "auto"),
                                       ("CN2", "I2", 5000, "auto")]
    assert open_amounts(result) == {"I2": 2000}
    kinds = set(result.applications["source_kind"])
    assert kinds == {"credit_note"}
    assert_explained(result)


def test_unapplied_credit_is_due_on_its_own_date():
    ledger = build_ledger(invoices=[dict(invoice_id="CN", customer_id="C1", invoice_date="2026-01-20",
                                         due_date="2026-02-19", amount="-30.00")])
    item = settle(ledger, AS_OF).open_items.iloc[0]
    assert (item["kind"], item["open_amount"], item["due_date"]) == ("credit_note", -3000,
                                                                     pd.Timestamp("2026-01-20"))


def test_debit_notes_are_receivables_like_invoices():
    ledger = build_ledger(
        invoices=[dict(invoice_id="D1", customer_id="C1", invoice_date="2026-01-01", amount="25.00",
                       type="debit_note")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-10", amount="10.00")],
    )
    result = settle(ledger, AS_OF)
    assert open_amounts(result) == {"D1": 1500}
    assert result.open_items["kind"].tolist() == ["debit_note"]


def test_a_reversal_undoes_the_payment_from_its_date_on():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-10", amount="100.00",
                       invoice_id="I1"),
                  dict(payment_id="R1", customer_id="C1", payment_date="2026-01-20", amount="-100.00",
                       reference="P1")],
    )
    # Before the bounce the invoice is paid; re-running that date later gives the same answer.
    assert open_amounts(settle(ledger, day("2026-01-19"))) == {}
    # From the bounce on, the invoice is open again and the reversal itself leaves nothing open.
    result = settle(ledger, day("2026-01-20"))
    assert open_amounts(result) == {"I1": 10000}
    assert result.applications.empty


def test_a_partial_reversal_cuts_explicit_applications_latest_first():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-01", amount="100.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-10", amount="200.00"),
                  dict(payment_id="R1", customer_id="C1", payment_date="2026-01-20", amount="-80.00",
                       invoice_id="P1")],
        applications=[dict(payment_id="P1", invoice_id="I1", amount="100.00", date="2026-01-10"),
                      dict(payment_id="P1", invoice_id="I2", amount="100.00", date="2026-01-12")],
    )
    result = settle(ledger, AS_OF)
    # P1 now holds 200 - 80 = 120: the 10 Jan row keeps 100, the later 12 Jan row is cut to 20.
    assert sorted(applied(result)) == [("P1", "I1", 10000, "explicit"), ("P1", "I2", 2000, "explicit")]
    assert open_amounts(result) == {"I2": 8000}


def test_a_reversal_naming_no_payment_is_an_open_debit():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="50.00")],
        payments=[dict(payment_id="P1", customer_id="C2", payment_date="2026-01-05", amount="40.00"),
                  dict(payment_id="R1", customer_id="C1", payment_date="2026-01-20", amount="-40.00",
                       reference="P1"),
                  dict(payment_id="R2", customer_id="C1", payment_date="2026-01-21", amount="-15.00",
                       reference="cheque 123")],
    )
    result = settle(ledger, AS_OF)
    # P1 belongs to C2, so R1 names no payment of C1: both reversals are debits of C1, due on their dates.
    items = result.open_items.set_index("document_id")
    assert items.loc[["R1", "R2"], "open_amount"].tolist() == [4000, 1500]
    assert set(items.loc[["R1", "R2"], "kind"]) == {"reversal"}
    assert items.loc["R1", "due_date"] == pd.Timestamp("2026-01-20")
    assert open_amounts(result)["P1"] == -4000


def test_a_reversal_larger_than_its_payment_leaves_the_excess_open():
    ledger = build_ledger(
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-05", amount="40.00"),
                  dict(payment_id="R1", customer_id="C1", payment_date="2026-01-06", amount="-30.00",
                       reference="P1"),
                  dict(payment_id="R2", customer_id="C1", payment_date="2026-01-07", amount="-30.00",
                       reference="P1"),
                  dict(payment_id="P2", customer_id="C1", payment_date="2026-01-08", amount="5.00")],
    )
    result = settle(ledger, AS_OF)
    items = result.open_items.set_index("document_id")
    # R1 takes 30 of P1's 40, R2 only the 10 left: 20 of R2 stays open, and P2 (FIFO) pays 5 of it.
    assert open_amounts(result) == {"R2": 1500}
    assert (items.loc["R2", "original"], items.loc["R2", "adjusted"], items.loc["R2", "applied"]) == (
        3000, -1000, -500)
    assert_explained(result)


def test_disputed_invoices_stay_open_and_void_invoices_do_not_exist():
    ledger = build_ledger(
        invoices=[dict(invoice_id="V1", customer_id="C1", invoice_date="2026-01-01", amount="500.00",
                       status="void"),
                  dict(invoice_id="D1", customer_id="C1", invoice_date="2026-01-02", amount="100.00",
                       status="disputed")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-10", amount="30.00",
                       invoice_id="V1")],
    )
    result = settle(ledger, AS_OF)
    # P1 names the void invoice, so it goes to FIFO: the disputed invoice is still settled and aged.
    assert open_amounts(result) == {"D1": 7000}
    assert result.open_items["status"].tolist() == ["disputed"]


def _dispute_book(**payment: str):
    """D1 500.00 due 01-31 and I2 500.00 due 02-15 for C1; a payment of 500.00 on 03-01."""
    return build_ledger(
        invoices=[dict(invoice_id="D1", customer_id="C1", invoice_date="2026-01-01", due_date="2026-01-31",
                       amount="500.00", status=payment.pop("status", "disputed")),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-16", due_date="2026-02-15",
                       amount="500.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-03-01", amount="500.00", **payment)],
    )


def test_auto_apply_settles_undisputed_invoices_before_disputed_ones():
    # D1 is older, but disputed: the unreferenced 500.00 pays I2, and D1 stays open (and aged) in full.
    result = settle(_dispute_book(), AS_OF)
    assert applied(result) == [("P1", "I2", 50000, "auto")]
    assert open_amounts(result) == {"D1": 50000}
    assert_explained(result)
    # A payment naming the disputed invoice still pays it: the customer said so.
    named = settle(_dispute_book(invoice_id="D1"), AS_OF)
    assert applied(named) == [("P1", "D1", 50000, "reference")]
    assert open_amounts(named) == {"I2": 50000}
    # Without the dispute, the oldest due (D1) comes first as always.
    assert open_amounts(settle(_dispute_book(status=""), AS_OF)) == {"I2": 50000}


def test_a_dispute_opened_in_activity_counts_from_its_date_until_resolved():
    from tests.test_collections import with_activity

    ledger = with_activity(_dispute_book(status=""), [
        dict(date="2026-03-05", customer_id="C1", invoice_id="D1", action="dispute", note="Short shipment"),
        dict(date="2026-03-20", customer_id="C1", invoice_id="D1", action="resolved")])
    # 03-04: no dispute yet, FIFO pays D1 (older); 03-10: D1 disputed, the cash goes to I2 and D1's open item
    # says disputed; 03-31: resolved on 03-20, back to D1.
    assert open_amounts(settle(ledger, dt.date(2026, 3, 4))) == {"I2": 50000}
    disputed = settle(ledger, dt.date(2026, 3, 10))
    assert open_amounts(disputed) == {"D1": 50000}
    assert disputed.open_items["status"].tolist() == ["disputed"]
    resolved = settle(ledger, AS_OF)
    assert open_amounts(resolved) == {"I2": 50000} and resolved.open_items["status"].tolist() == [""]


def test_a_charge_posted_later_never_takes_cash_that_paid_an_older_invoice():
    # I1 100.00 due 02-01, I2 100.00 due 03-01, an unreferenced 150.00 on 03-10: I1 paid, I2 50.00 open.
    # A finance charge of 10.00 on I1 dated 03-25 is owed from 03-25: auto-apply reaches it after I2 (due
    # 03-01), so I2 stays 50.00 open and the charge is I1's open 10.00. (Were the charge due with I1, the cash
    # would move: I1 0.00, I2 60.00.)
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-02", due_date="2026-02-01",
                       amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-30", due_date="2026-03-01",
                       amount="100.00")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-03-10", amount="150.00")],
        adjustments=[dict(adjustment_id="FC1", invoice_id="I1", date="2026-03-25", type="finance_charge",
                          amount="10.00")])
    before = settle(ledger, dt.date(2026, 3, 24))
    assert open_amounts(before) == {"I2": 5000}
    result = settle(ledger, AS_OF)
    assert open_amounts(result) == {"I1": 1000, "I2": 5000}
    assert applied(result) == [("P1", "I1", 10000, "auto"), ("P1", "I2", 5000, "auto")]
    assert_explained(result)
    # More cash on 03-28 pays I2 first (due 03-01), then the charge (due 03-25): 55.00 -> I2 50.00, I1 5.00
    more = build_ledger(
        invoices=[dict(invoice_id=row.invoice_id, customer_id="C1", invoice_date=row.invoice_date.date(),
                       due_date=row.due_date.date(), amount=f"{row.amount / 100:.2f}")
                  for row in ledger.invoices.itertuples()],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-03-10", amount="150.00"),
                  dict(payment_id="P2", customer_id="C1", payment_date="2026-03-28", amount="55.00")],
        adjustments=[dict(adjustment_id="FC1", invoice_id="I1", date="2026-03-25", type="finance_charge",
                          amount="10.00")])
    assert open_amounts(settle(more, AS_OF)) == {"I1": 500}
    # the part of P2 that paid the charge is dated when both existed: 03-28
    dates = settle(more, AS_OF).applications.set_index(["source_id", "invoice_id"])["date"]
    assert dates.loc[("P2", "I1")].date() == dt.date(2026, 3, 28)


def test_zero_amounts_never_appear():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I0", customer_id="C1", invoice_date="2026-01-01", amount="0.00")],
        payments=[dict(payment_id="P0", customer_id="C1", payment_date="2026-01-10", amount="0")],
    )
    result = settle(ledger, AS_OF)
    assert result.open_items.empty and result.applications.empty


def test_the_result_does_not_depend_on_the_order_of_input_rows():
    ledger = build_ledger(
        invoices=[dict(invoice_id=f"I{n}", customer_id=f"C{n % 3}", invoice_date=f"2026-01-{n + 1:02d}",
                       due_date="2026-02-01", amount=f"{10 + n}.00") for n in range(12)],
        payments=[dict(payment_id=f"P{n}", customer_id=f"C{n % 3}", payment_date="2026-02-01",
                       amount="15.00") for n in range(9)],
    )
    expected = settle(ledger, AS_OF)
    for seed in range(3):
        again = settle(shuffled(ledger, seed), AS_OF)
        pd.testing.assert_frame_equal(again.open_items, expected.open_items)
        pd.testing.assert_frame_equal(again.applications, expected.applications)


def test_a_customer_filter_gives_that_customers_rows_of_the_full_settlement():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C2", invoice_date="2026-01-01", amount="100.00")],
        payments=[dict(payment_id="P1", customer_id="C2", payment_date="2026-01-10", amount="30.00")],
    )
    full = settle(ledger, AS_OF)
    only = settle(ledger, AS_OF, customer_id="C2")
    expected = full.open_items[full.open_items["customer_id"] == "C2"].reset_index(drop=True)
    pd.testing.assert_frame_equal(only.open_items, expected)
    assert len(only.applications) == 1
    assert settle(ledger, AS_OF, customer_id="nobody").open_items.empty


@pytest.mark.parametrize("as_of", ["2026-01-09", "2026-01-10", "2026-03-31"])
def test_every_open_amount_is_explained_by_the_application_ledger(as_of):
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01", amount="100.00"),
                  dict(invoice_id="I2", customer_id="C1", invoice_date="2026-01-03", amount="70.00"),
                  dict(invoice_id="CN", customer_id="C1", invoice_date="2026-01-04", amount="-20.00",
                       applies_to="I2")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-01-10", amount="120.00")],
        applications=[dict(payment_id="P1", invoice_id="I2", amount="10.00")],
        adjustments=[dict(adjustment_id="A1", invoice_id="I1", date="2026-01-02", type="discount",
                          amount="1.00")],
    )
    assert_explained(settle(ledger, day(as_of)))
