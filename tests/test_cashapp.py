"""Cash application assistant: each kind of evidence, competition between payments, fuzzy customer names, and
the share matched on the demo book (money in cents in the asserts)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from arxl import demo
from arxl.cashapp import match_customer, propose_applications, receipts_to_review
from arxl.ledger import Ledger
from arxl.load import RawTable, load_tables
from arxl.settle import settle
from tests.builders import build_ledger

AS_OF = dt.date(2026, 6, 30)


def inv(invoice_id: str, customer: str, due: str, amount: str, **extra: str) -> dict[str, str]:
    return dict(invoice_id=invoice_id, customer_id=customer, invoice_date="2026-04-01", due_date=due,
                amount=amount, **extra)


def pay(payment_id: str, customer: str, day: str, amount: str, reference: str = "", **extra: str
        ) -> dict[str, str]:
    return dict(payment_id=payment_id, customer_id=customer, payment_date=day, amount=amount, reference=reference,
                **extra)


def proposals_by_payment(frame: pd.DataFrame) -> dict[str, list[tuple[str, int, float]]]:
    result: dict[str, list[tuple[str, int, float]]] = {}
    for row in frame.itertuples():
        result.setdefault(row.payment_id, []).append((row.invoice_id, row.amount, row.confidence))
    return result


def book():
    return build_ledger(
        customers=[dict(customer_id="C1", name="Acme Ltd"), dict(customer_id="C2", name="Beta GmbH"),
                   dict(customer_id="C3", name="Cascade Industrial Supply Inc")],
        invoices=[
            # C1: INV-1 100.00 (oldest), INV-2 250.00, INV-3 120.00, INV-4 80.00, INV-5 40.00 disputed
            inv("INV-1", "C1", "2026-05-01", "100.00"), inv("INV-2", "C1", "2026-05-10", "250.00"),
            inv("INV-3", "C1", "2026-05-20", "120.00"), inv("INV-4", "C1", "2026-05-25", "80.00"),
            inv("INV-5", "C1", "2026-04-15", "40.00", status="disputed"),
            # C2: J1 10.00, J2 30.00, J3 45.00, J4 70.00, J5 25.00 (by due date); Q3 pays J1, Q4 pays J4
            inv("J1", "C2", "2026-05-01", "10.00"), inv("J2", "C2", "2026-05-02", "30.00"),
            inv("J3", "C2", "2026-05-03", "45.00"), inv("J4", "C2", "2026-05-04", "70.00"),
            inv("J5", "C2", "2026-05-05", "25.00"),
            # C3: K1 512.34
            inv("K1", "C3", "2026-05-01", "512.34"),
        ],
        payments=[
            pay("P1", "C1", "2026-06-01", "250.00", "Remittance for inv-2, thanks"),  # names INV-2: 0.98
            pay("P2", "C1", "2026-06-02", "120.00"),  # only INV-3 owes 120.00: 0.90
            pay("P3", "C1", "2026-06-03", "180.00"),  # INV-1 + INV-4 = the two oldest left: 0.85
            # open J2 30.00, J3 45.00, J5 25.00: oldest runs 30, 75, 100; J2 + J5 = 55.00 is the only pair: 0.80
            pay("Q1", "C2", "2026-06-01", "55.00"),
            pay("Q2", "C2", "2026-06-02", "33.33"),  # nothing adds up: no proposal
            pay("Q3", "C2", "2026-06-03", "10.00", invoice_id="J1"),  # names an invoice: not unreferenced
            pay("Q4", "C2", "2026-06-04", "70.00"),  # has an Applications row: not unreferenced
            # a round sum, but 700.00 - 512.34 = 187.66 is more than 100.00 over K1: no proposal
            pay("R1", "C3", "2026-06-05", "700.00", "Cheque 1234"),
        ],
        applications=[dict(payment_id="Q4", invoice_id="J4", amount="70.00")],
    )


def test_each_kind_of_evidence() -> None:
    proposals = propose_applications(book(), AS_OF)
    found = proposals_by_payment(proposals)
    assert found == {
        "P1": [("INV-2", 25000, 0.98)],
        "P2": [("INV-3", 12000, 0.90)],
        "P3": [("INV-1", 10000, 0.85), ("INV-4", 8000, 0.85)],
        "Q1": [("J2", 3000, 0.80), ("J5", 2500, 0.80)],
    }
    # Applications shape: date = the later of payment and invoice dates; ranked by confidence
    assert list(proposals.columns[:4]) == ["payment_id", "invoice_id", "amount", "date"]
    assert proposals.loc[proposals["payment_id"] == "P1", "date"].dt.date.tolist() == [dt.date(2026, 6, 1)]
    assert proposals.groupby("payment_id")["rank"].first().to_dict() == {"P1": 1, "P2": 2, "P3": 3, "Q1": 4}


def test_accepted_proposals_settle_the_invoices() -> None:
    ledger = book()
    proposals = propose_applications(ledger, AS_OF)
    rows = [dict(payment_id=row.payment_id, invoice_id=row.invoice_id, amount=f"{row.amount / 100:.2f}",
                 date=row.date.date()) for row in proposals.itertuples()]
    rows.append(dict(payment_id="Q4", invoice_id="J4", amount="70.00"))
    applied = dataclasses.replace(ledger, applications=build_ledger(
        invoices=[inv("INV-2", "C1", "2026-05-10", "250.00")], applications=rows).applications)
    open_items = settle(applied, AS_OF, auto_apply=False).open_items.set_index("document_id")["open_amount"]
    # paid off: INV-1..INV-4, J1 (Q3), J2, J4 (Q4), J5; still open: INV-5 (disputed), J3, K1; cash left: Q2, R1
    assert open_items.to_dict() == {"INV-5": 4000, "J3": 4500, "K1": 51234, "Q2": -3333, "R1": -70000}
    assert propose_applications(applied, AS_OF).empty  # nothing left to propose


def test_payments_compete_for_an_invoice() -> None:
    ledger = build_ledger(invoices=[inv("A1", "C1", "2026-05-01", "50.00"),
                                    inv("A2", "C1", "2026-05-02", "50.00")],
                          payments=[pay("P1", "C1", "2026-06-01", "50.00"), pay("P2", "C1", "2026-06-02", "50.00"),
                                    pay("P3", "C1", "2026-06-03", "50.00")])
    found = proposals_by_payment(propose_applications(ledger, AS_OF))
    # two invoices of 50.00 for the first payment: the oldest due, at 0.60; the second then has one left: 0.90;
    # the third finds nothing
    assert found == {"P1": [("A1", 5000, 0.60)], "P2": [("A2", 5000, 0.90)]}


def test_named_invoices_short_and_over_payments() -> None:
    ledger = build_ledger(invoices=[inv("A1", "C1", "2026-05-01", "50.00"), inv("A2", "C1", "2026-05-02", "70.00"),
                                    inv("B1", "C2", "2026-05-02", "90.00")],
                          payments=[pay("P1", "C1", "2026-06-01", "60.00", "A2 A1"),
                                    pay("P2", "C2", "2026-06-02", "100.00", "pays B1")])
    found = proposals_by_payment(propose_applications(ledger, AS_OF))
    # P1 names A2 then A1 (120.00) but brings 60.00: all to A2 in the order named, short: 0.85
    # P2 names B1 (90.00) and brings 100.00: 90.00 to B1, 10.00 stays unapplied: 0.80
    assert found == {"P1": [("A2", 6000, 0.85)], "P2": [("B1", 9000, 0.80)]}


def test_round_sum_overpayment() -> None:
    ledger = build_ledger(invoices=[inv("A1", "C1", "2026-05-01", "1943.20"),
                                    inv("A2", "C1", "2026-05-02", "120.00")],
                          payments=[pay("P1", "C1", "2026-06-01", "2000.00")])
    # 2,000.00 is a multiple of 100; only A1 owes between 1,900.00 and 2,000.00: proposed in full, 56.80 left over
    assert proposals_by_payment(propose_applications(ledger, AS_OF)) == {"P1": [("A1", 194320, 0.55)]}


def test_customer_by_fuzzy_name_when_the_id_is_missing() -> None:
    ledger = book()
    payments = ledger.payments.copy()
    payments.loc[payments["payment_id"] == "R1", ["customer_id", "reference", "amount"]] = [
        "", "ACH CREDIT CASCADE INDUSTRIAL 004512", 51234]
    found = proposals_by_payment(propose_applications(dataclasses.replace(ledger, payments=payments), AS_OF))
    invoice_id, amount, confidence = found["R1"][0]
    ratio = match_customer("ACH CREDIT CASCADE INDUSTRIAL 004512", ledger.customers)
    assert ratio is not None and ratio[0] == "C3" and ratio[1] >= 0.8
    # exact amount 0.90, scaled by how sure the name match is
    assert (invoice_id, amount) == ("K1", 51234) and confidence == pytest.approx(round(0.90 * ratio[1], 4))
    assert match_customer("ACH CREDIT 123456", ledger.customers) is None
    assert match_customer("Totally Different Name", ledger.customers) is None


def _raw(frames: dict[str, pd.DataFrame]) -> dict[str, RawTable]:
    tables = {}
    for name, frame in frames.items():
        values = frame.astype(object).where(frame.notna(), None)
        rows = [[value.to_pydatetime() if isinstance(value, pd.Timestamp) else value for value in record]
                for record in values.itertuples(index=False)]
        tables[name] = RawTable(name, list(frame.columns), rows, first_row=2)
    return tables


def demo_with_truth(monkeypatch: pytest.MonkeyPatch) -> tuple[Ledger, dict[str, str]]:
    """The 3,000-invoice demo book as of 2026-06-30 and, for every payment the generator made "unreferenced",
    the document it was generated to pay (recorded by wrapping the generator's own steps while it runs)."""
    seen: dict[str, object] = {}
    single, unreferenced, numbered = demo._single_payments, demo._unreferenced_payments, demo._payments_frame

    def record_single(*args, **kwargs):
        block = single(*args, **kwargs)
        seen["offset"] = len(block["day"])
        return block

    def record_unreferenced(rng, people, documents, rows, *args, **kwargs):
        seen["paid"] = documents.ids[rows]
        return unreferenced(rng, people, documents, rows, *args, **kwargs)

    def record_ids(*args, **kwargs):
        frame, ids, number = numbered(*args, **kwargs)
        seen["ids"] = ids
        return frame, ids, number

    monkeypatch.setattr(demo, "_single_payments", record_single)
    monkeypatch.setattr(demo, "_unreferenced_payments", record_unreferenced)
    monkeypatch.setattr(demo, "_payments_frame", record_ids)
    ledger = load_tables(_raw(demo.generate_demo(invoices=3000, as_of=AS_OF))).ledger
    offset, paid = int(seen["offset"]), list(seen["paid"])
    ids = list(seen["ids"])[offset: offset + len(paid)]
    return ledger, dict(zip(ids, paid, strict=True))


def test_demo_book_share_matched_and_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """The figures of the closing note (``benchmarks/bench_cashapp.py`` prints them too).

    A proposal is wrong when the invoices it names are not exactly the one the generator made the payment for.
    Over the whole history (``since`` far back) every unreferenced receipt holding cash is reviewed; by default
    only those still unapplied or auto-applied in the open period (June 2026: nothing is closed).
    """
    ledger, truth = demo_with_truth(monkeypatch)
    everything = dt.date(1900, 1, 1)
    proposals = propose_applications(ledger, AS_OF, since=everything)
    items = settle(ledger, AS_OF, auto_apply=False).open_items
    unapplied = set(items.loc[(items["kind"] == "payment") & (items["open_amount"] < 0), "document_id"])
    payments = ledger.payments
    candidates = payments[(payments["amount"] > 0) & (payments["invoice_id"] == "")
                          & ~payments["payment_id"].isin(set(ledger.applications["payment_id"]))
                          & payments["payment_id"].isin(unapplied)]["payment_id"].tolist()
    assert candidates and all(payment in truth for payment in candidates)
    assert sorted(receipts_to_review(ledger, AS_OF, since=everything)["payment_id"]) == sorted(candidates)
    fifo = settle(ledger, AS_OF, auto_apply=True).applications
    fifo_sets = fifo[fifo["step"] == "auto"].groupby("source_id")["invoice_id"].apply(set)
    fifo_right = sum(fifo_sets.get(payment) == {truth[payment]} for payment in candidates)
    lines = []
    for threshold in (0.0, 0.8):
        chosen = proposals[proposals["confidence"] >= threshold].groupby("payment_id")["invoice_id"].apply(set)
        matched = [payment for payment in candidates if payment in chosen.index]
        wrong = [payment for payment in matched if chosen[payment] != {truth[payment]}]
        lines.append(f"confidence >= {threshold:.2f}: {len(matched)} of {len(candidates)} unreferenced payments "
                     f"matched ({len(matched) / len(candidates):.1%}), {len(wrong)} wrongly")
        assert len(matched) >= 0.95 * len(candidates) and not wrong
    # The default review: far fewer receipts, none of them wrong either.
    reviewed = receipts_to_review(ledger, AS_OF)
    default = propose_applications(ledger, AS_OF)
    assert 0 < len(reviewed) < len(candidates) / 5
    assert set(default["payment_id"]) <= set(reviewed["payment_id"])
    confident = default[default["confidence"] >= 0.8].groupby("payment_id")["invoice_id"].apply(set)
    assert all(confident[payment] == {truth[payment]} for payment in confident.index)
    lines.append(f"default review: {len(reviewed)} receipts, {len(confident)} matched at >= 0.80, 0 wrongly")
    print("\n".join([*lines, f"FIFO auto-apply puts {fifo_right} of {len(candidates)} on their true invoice"]))


def forward_book(**settings: object) -> Ledger:
    """C1 owes A1 100.00 (due 03-10), A2 200.00 (due 04-10), A3 300.00 (due 05-10), A4 80.00 (due 06-10).

    P1 100.00 on 03-20 (no invoice named): auto-apply put it on A1 in March.
    P2 200.00 on 06-12 (no invoice named): auto-apply puts it on A2, the oldest open, in June.
    P3 80.00 on 06-15 with "A4" in the remittance: auto-apply takes it to A3 (older), the text says A4.
    """
    return build_ledger(
        invoices=[inv("A1", "C1", "2026-03-10", "100.00"), inv("A2", "C1", "2026-04-10", "200.00"),
                  inv("A3", "C1", "2026-05-10", "300.00"), inv("A4", "C1", "2026-06-10", "80.00")],
        payments=[pay("P1", "C1", "2026-03-20", "100.00"), pay("P2", "C1", "2026-06-12", "200.00"),
                  pay("P3", "C1", "2026-06-15", "80.00", "A4")],
        **settings)


def test_cash_application_looks_forward() -> None:
    ledger = forward_book()
    # Nothing closed: the open period is the as-of month, June. P1 was auto-applied in March: settled business.
    reviewed = receipts_to_review(ledger, AS_OF)
    assert reviewed["payment_id"].tolist() == ["P2", "P3"]
    # FIFO lays P1, P2, P3 (by date) against A1, A2, A3, A4 (by due date): P1 -> A1, P2 -> A2, P3 -> A3
    assert reviewed["now"].tolist() == ["auto-applied to A2", "auto-applied to A3"]
    found = proposals_by_payment(propose_applications(ledger, AS_OF))
    # P2 200.00 is exactly A2 (the only invoice of 200.00): 0.90; P3 names A4 and brings its 80.00: 0.98
    assert found == {"P2": [("A2", 20000, 0.90)], "P3": [("A4", 8000, 0.98)]}
    # Reviewing since March brings P1 back (the only 100.00 is A1: 0.90).
    found = proposals_by_payment(propose_applications(ledger, AS_OF, since=dt.date(2026, 3, 1)))
    assert found["P1"] == [("A1", 10000, 0.90)] and set(found) == {"P1", "P2", "P3"}


def test_a_receipt_still_unapplied_is_reviewed_whatever_its_date() -> None:
    # Auto-apply off: P1 of March is still unapplied cash at the as-of date, so it is reviewed.
    reviewed = receipts_to_review(forward_book(auto_apply=False), AS_OF)
    assert reviewed["payment_id"].tolist() == ["P1", "P2", "P3"]
    assert set(reviewed["now"]) == {"unapplied"}


def test_proposals_never_change_a_closed_period() -> None:
    # Closed through 06-12: the open period starts 06-13, so P2 (06-12) is not reviewed; P3 (06-15) is.
    ledger = forward_book(closed_through=dt.date(2026, 6, 12))
    assert receipts_to_review(ledger, AS_OF)["payment_id"].tolist() == ["P3"]
    # Asked to look back to March, P1's and P2's proposals would be dated in the closed period: listed, refused.
    proposals = propose_applications(ledger, AS_OF, since=dt.date(2026, 3, 1)).set_index("payment_id")
    assert proposals.loc["P1", "refused"].startswith("dated on or before closed_through 2026-06-12")
    assert proposals.loc["P2", "refused"] != "" and proposals.loc["P3", "refused"] == ""
