"""Measurement of the cash-application assistant on the demo book: how many unreferenced receipts it matches, and
how many of those wrongly, at a confidence threshold.

Usage::

    PYTHONPATH=. python benchmarks/bench_cashapp.py [--invoices 3000] [--seed 7] [--as-of 2026-06-30]

The demo generator (``arxl.demo``) decides, for every payment it makes "unreferenced", which document the
payment was for; this script records that while the generator runs (by wrapping its own steps, as
``tests/test_cashapp.py`` does) and compares the proposals of ``arxl.cashapp.propose_applications`` with it.
A proposal is **wrong** when the invoices it names are not exactly the one the payment was generated for.

Printed, for the thresholds 0.00 and 0.80:

- **every receipt** (the whole history): each unreferenced receipt that still holds cash with auto-apply off,
  as the assistant reviewed them all before the look-forward change;
- **the default review** (what ``arxl apply`` shows now): only receipts still unapplied at the as-of date, or
  auto-applied in the open period. On code without the look-forward rule this is the same set as the first.

It also prints how many of the default review's receipts FIFO auto-apply (step 4 of the settlement) already
puts on their true invoice, for comparison. The figures are printed, never stored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import time

import pandas as pd

from arxl import cashapp, demo
from arxl.cashapp import propose_applications
from arxl.load import RawTable, load_tables
from arxl.settle import settle


def _raw(frames: dict[str, pd.DataFrame]) -> dict[str, RawTable]:
    tables = {}
    for name, frame in frames.items():
        values = frame.astype(object).where(frame.notna(), None)
        rows = [[value.to_pydatetime() if isinstance(value, pd.Timestamp) else value for value in record]
                for record in values.itertuples(index=False)]
        tables[name] = RawTable(name, list(frame.columns), rows, first_row=2)
    return tables


def demo_with_truth(invoices: int, seed: int, as_of: dt.date):
    """The demo ledger and, per unreferenced payment id, the document the generator made it pay."""
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

    demo._single_payments, demo._unreferenced_payments, demo._payments_frame = (
        record_single, record_unreferenced, record_ids)
    try:
        ledger = load_tables(_raw(demo.generate_demo(invoices=invoices, seed=seed, as_of=as_of))).ledger
    finally:
        demo._single_payments, demo._unreferenced_payments, demo._payments_frame = single, unreferenced, numbered
    offset, paid = int(seen["offset"]), list(seen["paid"])
    ids = list(seen["ids"])[offset: offset + len(paid)]
    return ledger, dict(zip(ids, paid, strict=True))


def _score(proposals: pd.DataFrame, truth: dict[str, str], threshold: float) -> tuple[int, int, int]:
    """(receipts with a proposal, matched at the threshold, matched wrongly)."""
    reviewed = set(proposals["payment_id"])
    chosen = proposals[proposals["confidence"] >= threshold].groupby("payment_id")["invoice_id"].apply(set)
    known = [payment for payment in chosen.index if payment in truth]
    wrong = [payment for payment in known if chosen[payment] != {truth[payment]}]
    return len(reviewed), len(known), len(wrong)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    options = parser.parse_args()
    ledger, truth = demo_with_truth(options.invoices, options.seed, options.as_of)
    as_of = options.as_of

    items = settle(ledger, as_of, auto_apply=False).open_items
    unapplied = set(items.loc[(items["kind"] == "payment") & (items["open_amount"] < 0), "document_id"])
    payments = ledger.payments
    every = payments[(payments["amount"] > 0) & (payments["invoice_id"] == "")
                     & ~payments["payment_id"].isin(set(ledger.applications["payment_id"]))
                     & payments["payment_id"].isin(unapplied)]["payment_id"]
    print(f"demo book: {options.invoices:,} invoices, seed {options.seed}, as of {as_of.isoformat()}; "
          f"{len(every)} unreferenced receipts hold cash with auto-apply off")

    looks_forward = "since" in inspect.signature(propose_applications).parameters
    runs = [("every receipt", {"since": dt.date(1900, 1, 1)} if looks_forward else {})]
    if looks_forward:
        runs.append(("default review", {}))
    for label, given in runs:
        started = time.perf_counter()
        proposals = propose_applications(ledger, as_of, **given)
        seconds = time.perf_counter() - started
        reviewed = (len(cashapp.receipts_to_review(ledger, as_of, **given)) if looks_forward else len(every))
        for threshold in (0.0, 0.8):
            _, matched, wrong = _score(proposals, truth, threshold)
            print(f"{label:>15}: confidence >= {threshold:.2f}: {matched} of {reviewed} receipts reviewed matched"
                  f" ({matched / max(reviewed, 1):.1%}), {wrong} wrongly  [{seconds * 1000:.0f} ms]")
        unknown = sorted(set(proposals["payment_id"]) - set(truth))
        if unknown:
            print(f"{label:>15}: {len(unknown)} receipt(s) with a proposal the generator made as referenced "
                  "payments (not scored)")
    default = propose_applications(ledger, as_of)
    fifo = settle(ledger, as_of, auto_apply=True).applications
    fifo_sets = fifo[fifo["step"] == "auto"].groupby("source_id")["invoice_id"].apply(set)
    reviewed = sorted(set(default["payment_id"]))
    right = sum(fifo_sets.get(payment) == {truth.get(payment)} for payment in reviewed)
    print(f"FIFO auto-apply puts {right} of the {len(reviewed)} receipts with a default proposal on their true "
          "invoice")


if __name__ == "__main__":
    main()
