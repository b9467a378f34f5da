"""The invariants every arxl report must satisfy, each computed a second, independent way (the Checks sheet).

Balances here come straight from the documents (invoices, credit and debit notes, payments, reversals and the
adjustments in force, all dated on or before the date), never from the settlement; the settlement's figures are
then compared with them. Like beancount's balance assertions, user-entered expected balances (the optional
Assertions table) are checked too.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .aging import TOTAL, UNAPPLIED, AgingReport
from .arrays import arrow_text, member
from .ledger import Ledger
from .money import to_major_float
from .settle import Settlement

CHECK_COLUMNS = ("check", "scope", "expected", "actual", "difference", "result", "explanation")


def _day(value: dt.date) -> np.datetime64:
    return np.datetime64(value.isoformat(), "s")


def document_balances(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Each (customer_id, currency)'s balance from its documents alone: what the customer owes at ``as_of``.

    Invoices and debit notes add, credit notes subtract (their amounts are already negative), payments
    subtract and reversals add back, adjustments in force add their effect. Minor units.
    """
    day = _day(as_of)
    columns = ["customer_id", "currency", "amount"]
    invoices = ledger.invoices[["invoice_id", *columns]][(ledger.invoices["invoice_date"] <= day).to_numpy()]
    payments = ledger.payments[columns][(ledger.payments["payment_date"] <= day).to_numpy()]
    adjustments = ledger.adjustments[ledger.adjustments["date"] <= day]
    # Few invoices are adjusted: find them by probing the invoices against the adjusted ids, not the reverse.
    adjusted = invoices[member(invoices["invoice_id"], adjustments["invoice_id"]).to_numpy()]
    adjustments = adjustments[member(adjustments["invoice_id"], adjusted["invoice_id"])]
    customer_of = adjusted.drop_duplicates("invoice_id").set_index("invoice_id")["customer_id"]
    parts = [
        invoices[columns],
        payments.assign(amount=-payments["amount"]),
        pd.DataFrame({"customer_id": adjustments["invoice_id"].map(customer_of),
                      "currency": adjustments["currency"], "amount": adjustments["effect"]}),
    ]
    frame = pd.concat([part for part in parts if len(part)], ignore_index=True) if any(
        len(part) for part in parts) else pd.DataFrame({"customer_id": [], "currency": [], "amount": []})
    # Grouping unsorted and sorting the (few) groups is faster than a sorted groupby over every row.
    return (frame.groupby(["customer_id", "currency"], sort=False)["amount"].sum().sort_index().astype("int64")
            .reset_index().rename(columns={"amount": "balance"}))


def _row(check: str, scope: str, expected: float, actual: float, explanation: str, *, passed: bool | None = None
         ) -> dict[str, object]:
    ok = passed if passed is not None else expected == actual
    return {"check": check, "scope": scope, "expected": expected, "actual": actual,
            "difference": actual - expected, "result": "PASS" if ok else "FAIL", "explanation": explanation}


def run_checks(ledger: Ledger, as_of: dt.date, settlement: Settlement, report: AgingReport) -> pd.DataFrame:
    """Every invariant as a row (``CHECK_COLUMNS``): expected and actual figures in major units, PASS or FAIL."""
    rows: list[dict[str, object]] = []
    balances = document_balances(ledger, as_of)
    open_items = settlement.open_items
    per_currency_items = open_items.groupby("currency")["open_amount"].sum()
    summary = report.summary
    # A converted aging is in the reporting currency only, while the items keep their own currencies.
    converted = bool(len(summary)) and set(summary["currency"]) != set(per_currency_items.index)
    for currency, expected in balances.groupby("currency")["balance"].sum().items():
        actual_items = int(per_currency_items.get(currency, 0))
        rows.append(_row("Open items total = ledger balance", currency, to_major_float(expected, currency),
                         to_major_float(actual_items, currency),
                         "Sum of every open item (unapplied cash netted) against invoices - credit notes - "
                         "payments + reversals +/- adjustments dated on or before the as-of date."))
        if not converted:
            aging_total = int(summary.loc[summary["currency"] == currency, TOTAL].sum())
            rows.append(_row("Aging total = ledger balance", currency, to_major_float(expected, currency),
                             to_major_float(aging_total, currency),
                             "The Aging sheet's Total column against the balance computed from the documents."))

    labels = [column for column in report.labels]
    if len(summary):
        bucket_sum = summary[labels].sum(axis=1) - summary[UNAPPLIED]
        mismatched = int((bucket_sum != summary[TOTAL]).sum())
        rows.append(_row("Bucket totals = customer balance", "all customers", 0, mismatched,
                         "Customers whose buckets minus Unapplied differ from their Total (expected none).",
                         passed=mismatched == 0))

    per_customer = open_items.groupby(["customer_id", "currency"])["open_amount"].sum()
    joined = balances.set_index(["customer_id", "currency"])["balance"].to_frame().join(
        per_customer.rename("statement"), how="outer").fillna(0)
    differing = int((joined["balance"] != joined["statement"]).sum())
    rows.append(_row("Statement balances = ledger balances", f"{len(joined):,} customer accounts", 0, differing,
                     "Customers whose statement total (their open items) differs from their balance computed "
                     "from the documents (expected none); their sum is the aging total.", passed=differing == 0))

    receivable = open_items["open_amount"] > 0
    gross = open_items["original"] + open_items["adjusted"]
    over_applied = int(((open_items["open_amount"] < 0) & (gross > 0)).sum()
                       + (receivable & (open_items["open_amount"] > gross)).sum())
    rows.append(_row("No invoice over-applied", "all open items", 0, over_applied,
                     "Receivables with a negative open amount or more open than invoiced and adjusted "
                     "(expected none).", passed=over_applied == 0))
    applications = settlement.applications
    over_paid = _applied_beyond_held(ledger, applications) if len(applications) else 0
    rows.append(_row("No payment or credit applied beyond its amount", "all payments and credit notes", 0,
                     over_paid, "Payments and credit notes whose applications exceed them (expected none).",
                     passed=over_paid == 0))
    rows.extend(_assertion_rows(ledger))
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def _applied_beyond_held(ledger: Ledger, applications: pd.DataFrame) -> int:
    """How many sources the applications take more from than they hold: a payment its amount (a reversal
    nothing), a credit note minus its amount; when ids repeat, the first payment, then credit note, counts."""
    payments = ledger.payments
    credit_notes = ledger.invoices[(ledger.invoices["amount"] < 0).to_numpy()]
    held = np.concatenate([payments["amount"].clip(lower=0).to_numpy(dtype=np.int64),
                           -credit_notes["amount"].to_numpy(dtype=np.int64)])
    # One dictionary over every id, so that sources and their applications meet as integer codes.
    codes = pc.dictionary_encode(pa.concat_arrays(
        [arrow_text(ids).cast(pa.large_string()) for ids in (payments["payment_id"], credit_notes["invoice_id"],
                                                             applications["source_id"])]))
    code = codes.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    held_code, applied_code = code[: len(held)], code[len(held):]
    held_by_code = np.zeros(len(codes.dictionary), dtype=np.int64)
    distinct, first = np.unique(held_code, return_index=True)
    held_by_code[distinct] = held[first]
    applied_by_code = np.zeros(len(codes.dictionary), dtype=np.int64)
    np.add.at(applied_by_code, applied_code, applications["amount"].to_numpy(dtype=np.int64))
    return int((applied_by_code > held_by_code).sum())


def _assertion_rows(ledger: Ledger) -> list[dict[str, object]]:
    rows = []
    for assertion in ledger.assertions.itertuples():
        date = pd.Timestamp(assertion.date).date()
        balances = document_balances(ledger, date)
        match = balances[(balances["customer_id"] == assertion.customer_id)
                         & (balances["currency"] == assertion.currency)]
        actual = int(match["balance"].sum())
        rows.append(_row(f"Balance of {assertion.customer_id} on {date.isoformat()}",
                         f"Assertions row {assertion.row}", to_major_float(assertion.balance, assertion.currency),
                         to_major_float(actual, assertion.currency),
                         assertion.note or "The balance you entered in the Assertions table."))
    return rows
