"""Benchmark of the AR engine: settlement + aging + metrics on synthetic ledgers built directly with NumPy.

Usage::

    PYTHONPATH=. python benchmarks/bench_engine.py --invoices 100000 1000000

For each size it prints, for the best of ``--repeat`` cold runs (each on a fresh Ledger object, so nothing is
memoised): the first settlement with its frames (which includes the once-per-ledger preparation), the aging of
that settlement (detail + summary, converted to USD), the metrics (which reuse the as-of settlement and settle
once more at the start of the period, as arrays without frames) and their total; then the peak resident memory,
the 12-month series computed after them, and a naive pandas aging without settlement rules (merge of referenced
payments, ``np.select`` buckets, pivot) for comparison.

The ledger has about N/17 customers (a tenth of them in EUR), 3% credit notes, 2% debit notes, 1% disputed,
about 0.9 N payments (a fifth of them naming no invoice, 5% partial, 0.2% reversals), explicit applications for
2% of the invoices and adjustments for 2%.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import resource
import sys
import time

import numpy as np
import pandas as pd

from arxl.aging import aging
from arxl.ledger import (
    ACTIVITY_COLUMNS,
    Ledger,
    Settings,
    empty_frame,
)
from arxl.metrics import compute_metrics, monthly_series
from arxl.settle import settle

AS_OF = dt.date(2025, 12, 31)
_START = np.datetime64("2024-01-01", "D")


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    return pd.Series([f"{prefix}{number:0{width}d}" for number in numbers.tolist()], dtype="str")


def _dates(days: np.ndarray) -> np.ndarray:
    return (_START + days.astype("timedelta64[D]")).astype("datetime64[s]")


def _blank(size: int) -> pd.Series:
    return pd.Series(np.full(size, "", dtype=object), dtype="str")


def _text(values: np.ndarray) -> pd.Series:
    return pd.Series(values.astype(object), dtype="str")


def synthetic_ledger(n_invoices: int, seed: int = 7) -> Ledger:
    """A valid-looking ledger of ``n_invoices`` invoices over two years (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_customers = max(n_invoices // 17, 1)
    customer_ids = _ids("C", np.arange(n_customers), 6)
    customer_currency = np.where(rng.random(n_customers) < 0.1, "EUR", "USD")
    customers = pd.DataFrame({
        "customer_id": customer_ids,
        "name": _ids("Customer ", np.arange(n_customers), 6),
        "email": _blank(n_customers),
        "terms_days": np.full(n_customers, 30, dtype=np.int64),
        "credit_limit": pd.array(rng.integers(1, 50, n_customers) * 1_000_000, dtype="Int64"),
        "currency": _text(customer_currency),
        "on_hold": np.zeros(n_customers, dtype=bool),
        "contact": _blank(n_customers),
        "address": _blank(n_customers),
        "row": np.arange(n_customers, dtype=np.int64) + 2,
    })

    invoice_customer = rng.integers(0, n_customers, n_invoices)
    invoice_day = rng.integers(0, 731, n_invoices)
    amount = rng.integers(10_000, 1_000_000, n_invoices).astype(np.int64)
    is_credit = rng.random(n_invoices) < 0.03
    amount[is_credit] = -rng.integers(1_000, 50_000, int(is_credit.sum()))
    invoice_ids = _ids("INV", np.arange(n_invoices), 8)
    applies_to = np.full(n_invoices, "", dtype=object)
    applies_to[is_credit] = invoice_ids.to_numpy(dtype=object)[rng.integers(0, n_invoices, int(is_credit.sum()))]
    invoice_currency = customer_currency[invoice_customer]
    invoices = pd.DataFrame({
        "invoice_id": invoice_ids,
        "customer_id": _text(customer_ids.to_numpy(dtype=object)[invoice_customer]),
        "invoice_date": _dates(invoice_day),
        "due_date": _dates(invoice_day + 30),
        "amount": amount,
        "type": _text(np.where(is_credit, "credit_note", np.where(rng.random(n_invoices) < 0.02,
                                                                  "debit_note", "invoice"))),
        "applies_to": _text(applies_to),
        "currency": _text(invoice_currency),
        "status": _text(np.where(rng.random(n_invoices) < 0.01, "disputed", "")),
        "po_number": _blank(n_invoices),
        "description": _blank(n_invoices),
        "fx_rate": np.full(n_invoices, np.nan),
        "row": np.arange(n_invoices, dtype=np.int64) + 2,
    })

    n_payments = int(n_invoices * 0.9)
    paid = rng.choice(np.flatnonzero(~is_credit), n_payments, replace=False)
    payment_day = np.minimum(invoice_day[paid] + rng.integers(0, 75, n_payments), 760)
    payment_amount = amount[paid].copy()
    partial = rng.random(n_payments) < 0.05
    payment_amount[partial] //= 2
    names_invoice = rng.random(n_payments) < 0.8
    payment_ids = _ids("PAY", np.arange(n_payments), 8)
    reference = np.full(n_payments, "", dtype=object)
    reversal = rng.random(n_payments) < 0.002
    reversed_payment = rng.integers(0, n_payments, int(reversal.sum()))
    reference[reversal] = payment_ids.to_numpy(dtype=object)[reversed_payment]
    payment_amount[reversal] = -payment_amount[reversed_payment].clip(min=1)
    payment_customer = invoice_customer[paid]
    payment_customer[reversal] = payment_customer[reversed_payment]
    payment_day[reversal] = np.maximum(payment_day[reversal], payment_day[reversed_payment] + 5)
    payments = pd.DataFrame({
        "payment_id": payment_ids,
        "customer_id": _text(customer_ids.to_numpy(dtype=object)[payment_customer]),
        "payment_date": _dates(payment_day),
        "amount": payment_amount,
        "invoice_id": _text(np.where(names_invoice & ~reversal, invoice_ids.to_numpy(dtype=object)[paid], "")),
        "currency": _text(customer_currency[payment_customer]),
        "method": _text(np.where(rng.random(n_payments) < 0.5, "transfer", "cheque")),
        "reference": _text(reference),
        "fx_rate": np.full(n_payments, np.nan),
        "row": np.arange(n_payments, dtype=np.int64) + 2,
    })

    explicit = rng.choice(np.flatnonzero(~reversal & ~partial), int(n_invoices * 0.02), replace=False)
    applications = pd.DataFrame({
        "payment_id": _text(payment_ids.to_numpy(dtype=object)[explicit]),
        "invoice_id": _text(invoice_ids.to_numpy(dtype=object)[paid[explicit]]),
        "amount": payment_amount[explicit] // 2,
        "date": np.full(len(explicit), np.datetime64("NaT"), dtype="datetime64[s]"),
        "row": np.arange(len(explicit), dtype=np.int64) + 2,
    })

    adjusted = rng.choice(np.flatnonzero(~is_credit), int(n_invoices * 0.02), replace=False)
    adjustment_type = np.where(rng.random(len(adjusted)) < 0.5, "discount", "finance_charge")
    adjustment_amount = rng.integers(100, 5_000, len(adjusted)).astype(np.int64)
    adjustments = pd.DataFrame({
        "adjustment_id": _ids("ADJ", np.arange(len(adjusted)), 8),
        "invoice_id": _text(invoice_ids.to_numpy(dtype=object)[adjusted]),
        "date": _dates(invoice_day[adjusted] + 10),
        "type": _text(adjustment_type),
        "amount": adjustment_amount,
        "effect": np.where(adjustment_type == "discount", -adjustment_amount, adjustment_amount),
        "currency": _text(invoice_currency[adjusted]),
        "reason": _blank(len(adjusted)),
        "row": np.arange(len(adjusted), dtype=np.int64) + 2,
    })
    fx_rates = pd.DataFrame({"currency": _text(np.array(["EUR"])), "rate": [1.08],
                             "date": np.array(["NaT"], dtype="datetime64[s]"), "row": np.array([2])})
    return Ledger(settings=Settings(), customers=customers, invoices=invoices, voided=invoices.iloc[:0],
                  payments=payments, applications=applications, adjustments=adjustments,
                  activity=empty_frame(ACTIVITY_COLUMNS), fx_rates=fx_rates)


def naive_aging(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Aging without settlement rules: referenced payments only, buckets by np.select, pivot per customer."""
    paid = ledger.payments.groupby("invoice_id", as_index=False)["amount"].sum()
    frame = ledger.invoices.merge(paid, on="invoice_id", how="left", suffixes=("", "_paid"))
    frame["open"] = frame["amount"] - frame["amount_paid"].fillna(0).astype(np.int64)
    days = (np.datetime64(as_of, "s") - frame["due_date"].to_numpy()).astype("timedelta64[D]").astype(np.int64)
    frame["bucket"] = np.select([days <= 0, days <= 30, days <= 60, days <= 90],
                                ["Current", "1-30", "31-60", "61-90"], "Over 90")
    return frame.pivot_table(index="customer_id", columns="bucket", values="open", aggfunc="sum", fill_value=0)


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _engine(ledger: Ledger) -> dict[str, float]:
    """Settle, age and measure ``ledger`` once, cold (a fresh Ledger object, so nothing is memoised)."""
    ledger = dataclasses.replace(ledger)
    cpu_start = time.process_time()
    start = time.perf_counter()
    settlement = settle(ledger, AS_OF)
    settled = time.perf_counter()
    report = aging(ledger, AS_OF, convert=True, settlement=settlement)
    aged = time.perf_counter()
    metrics = compute_metrics(ledger, AS_OF)
    done = time.perf_counter()
    cpu = time.process_time() - cpu_start
    monthly_series(ledger, AS_OF)
    series = time.perf_counter() - done
    return {
        "settle": settled - start, "aging": aged - settled, "metrics": done - aged, "total": done - start,
        "series": series, "cpu": cpu,
        "open_items": len(settlement.open_items), "applications": len(settlement.applications),
        "summary_rows": len(report.summary), "dso": metrics.dso or 0.0, "cei": metrics.cei or 0.0,
    }


def run(n_invoices: int, repeat: int) -> None:
    """Build one ledger and print the engine's figures for it (best of ``repeat`` cold runs)."""
    built = time.perf_counter()
    ledger = synthetic_ledger(n_invoices)
    build_seconds = time.perf_counter() - built
    memory_before = _peak_mb()
    runs = [_engine(ledger) for _ in range(repeat)]
    best = min(runs, key=lambda figures: figures["total"])
    naive = []
    for _ in range(repeat):
        naive_start = time.perf_counter()
        naive_aging(ledger, AS_OF)
        naive.append(time.perf_counter() - naive_start)

    print(f"invoices={n_invoices:,} payments={len(ledger.payments):,} customers={len(ledger.customers):,} "
          f"(built in {build_seconds:.1f} s; peak RSS {memory_before:,.0f} MB before the engine)")
    print(f"  settle (incl. preparation) {best['settle']:6.3f} s   open items {best['open_items']:,}, "
          f"applications {best['applications']:,}")
    print(f"  aging (detail + summary)   {best['aging']:6.3f} s   summary rows {best['summary_rows']:,}")
    print(f"  metrics (2 settlements)    {best['metrics']:6.3f} s   DSO {best['dso']:.1f}, CEI {best['cei']:.1f}")
    totals = ", ".join(f"{figures['total']:.2f}" for figures in runs)
    print(f"  total                      {best['total']:6.3f} s   (CPU {best['cpu']:.3f} s; best of {repeat}, "
          f"all: {totals})")
    print(f"  peak RSS                   {_peak_mb():,.0f} MB")
    print(f"  monthly series (12 month-ends, after the above) {best['series']:6.3f} s")
    print(f"  naive pandas aging         {min(naive):6.3f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="cold runs per size; the best is shown")
    arguments = parser.parse_args(argv)
    for size in arguments.invoices:
        run(size, arguments.repeat)


if __name__ == "__main__":
    main()
