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
from .fx import rate_on, to_reporting_currency
from .ledger import Ledger
from .money import to_major_float
from .settle import Settlement, settle

CHECK_COLUMNS = ("check", "scope", "expected", "actual", "difference", "result", "explanation")


def _day(value: dt.date) -> np.datetime64:
    return np.datetime64(value.isoformat(), "s")


def document_balances(ledger: Ledger, as_of: dt.date, settlement: Settlement | None = None) -> pd.DataFrame:
    """Each (customer_id, currency)'s balance from its documents alone: what the customer owes at ``as_of``.

    Invoices and debit notes add, credit notes subtract (their amounts are already negative), payments
    subtract, reversals and refunds add back (their amounts are negative), adjustments in force add their effect
    (on an invoice, or on the payment or credit note a write-off clears). Minor units. A customer whose
    documents are in several currencies may pay one currency's invoices with another's cash: what such
    cross-currency receipts exchanged (from ``settlement`` at ``as_of``, settled here when not given) moves
    out of the invoice's currency and into the payment's, so that each currency's balance stays its own.
    """
    day = _day(as_of)
    columns = ["customer_id", "currency", "amount"]
    invoices = ledger.invoices[["invoice_id", *columns]][(ledger.invoices["invoice_date"] <= day).to_numpy()]
    payments = ledger.payments[["payment_id", *columns]][(ledger.payments["payment_date"] <= day).to_numpy()]
    adjustments = ledger.adjustments[ledger.adjustments["date"] <= day]
    # Few documents are adjusted: find them by probing the documents against the adjusted ids, not the reverse.
    adjusted = invoices[member(invoices["invoice_id"], adjustments["invoice_id"]).to_numpy()]
    paid = payments[member(payments["payment_id"], adjustments["invoice_id"]).to_numpy()
                    & (payments["amount"] > 0).to_numpy()]
    customer_of = pd.concat([adjusted.drop_duplicates("invoice_id").set_index("invoice_id")["customer_id"],
                             paid.drop_duplicates("payment_id").set_index("payment_id")["customer_id"]])
    customer_of = customer_of[~customer_of.index.duplicated()]  # an invoice's id wins over a payment's
    adjustments = adjustments[member(adjustments["invoice_id"], customer_of.index)]
    parts = [
        invoices[columns],
        payments[columns].assign(amount=-payments["amount"]),
        pd.DataFrame({"customer_id": adjustments["invoice_id"].map(customer_of),
                      "currency": adjustments["currency"], "amount": adjustments["effect"]}),
        _exchanged(ledger, as_of, settlement),
    ]
    frame = pd.concat([part for part in parts if len(part)], ignore_index=True) if any(
        len(part) for part in parts) else pd.DataFrame({"customer_id": [], "currency": [], "amount": []})
    # Grouping unsorted and sorting the (few) groups is faster than a sorted groupby over every row.
    return (frame.groupby(["customer_id", "currency"], sort=False)["amount"].sum().sort_index().astype("int64")
            .reset_index().rename(columns={"amount": "balance"}))


def _exchanged(ledger: Ledger, as_of: dt.date, settlement: Settlement | None) -> pd.DataFrame:
    """The movements of cross-currency receipts: each takes its amount off the invoice's currency and puts what
    the payment gave back on the payment's (none when no customer has documents in two currencies)."""
    empty = pd.DataFrame({"customer_id": [], "currency": [], "amount": []})
    documents = pd.concat([ledger.invoices[["customer_id", "currency"]], ledger.payments[["customer_id",
                                                                                          "currency"]]])
    if not len(documents) or not (documents.drop_duplicates()["customer_id"].duplicated().any()):
        return empty
    if settlement is None or settlement.as_of != as_of:
        settlement = settle(ledger, as_of)
    applications = settlement.applications
    cross = applications[(applications["source_currency"] != applications["currency"]).to_numpy()]
    if cross.empty:
        return empty
    return pd.DataFrame({
        "customer_id": pd.concat([cross["customer_id"], cross["customer_id"]], ignore_index=True),
        "currency": pd.concat([cross["currency"], cross["source_currency"]], ignore_index=True),
        "amount": np.concatenate([-cross["amount"].to_numpy(dtype=np.int64),
                                  cross["source_amount"].to_numpy(dtype=np.int64)]),
    })


def _row(check: str, scope: str, expected: float, actual: float, explanation: str, *, passed: bool | None = None
         ) -> dict[str, object]:
    """A check on counts (the figures are whole numbers, compared as they are)."""
    ok = passed if passed is not None else expected == actual
    return {"check": check, "scope": scope, "expected": expected, "actual": actual,
            "difference": actual - expected, "result": "PASS" if ok else "FAIL", "explanation": explanation}


def _money_row(check: str, scope: str, currency: str, expected: int, actual: int, explanation: str
               ) -> dict[str, object]:
    """A check on money: compared in minor units, shown in major units, the difference exact (no float
    residue such as -6871.629999999999)."""
    return {"check": check, "scope": scope, "expected": to_major_float(expected, currency),
            "actual": to_major_float(actual, currency), "difference": to_major_float(actual - expected, currency),
            "result": "PASS" if expected == actual else "FAIL", "explanation": explanation}


def run_checks(ledger: Ledger, as_of: dt.date, settlement: Settlement, report: AgingReport) -> pd.DataFrame:
    """Every invariant as a row (``CHECK_COLUMNS``): expected and actual figures in major units, PASS or FAIL.

    When ``report`` converted the aging into the reporting currency (every currency has a rate), the ledger is
    reconciled per currency through the open items, and the aging's total against the open items converted
    item by item, as the aging converts them (converting a currency's balance at once would round differently).
    """
    rows: list[dict[str, object]] = []
    balances = document_balances(ledger, as_of, settlement)
    open_items = settlement.open_items
    per_currency_items = open_items.groupby("currency")["open_amount"].sum()
    summary = report.summary
    reporting = ledger.settings.reporting_currency
    converted = bool(len(summary)) and bool((summary["currency"] == reporting).all()) and bool(
        (open_items["currency"] != reporting).any())
    for currency, expected in balances.groupby("currency")["balance"].sum().items():
        actual_items = int(per_currency_items.get(currency, 0))
        rows.append(_money_row("Open items total = ledger balance", currency, currency, int(expected),
                               actual_items, "Sum of every open item (unapplied cash netted) against invoices - "
                               "credit notes - payments + reversals + refunds +/- adjustments dated on or before "
                               "the as-of date (and what cross-currency receipts exchanged)."))
        if not converted:
            aging_total = int(summary.loc[summary["currency"] == currency, TOTAL].sum())
            rows.append(_money_row("Aging total = ledger balance", currency, currency, int(expected), aging_total,
                                   "The Aging sheet's Total column against the balance computed from the "
                                   "documents."))
    if converted:
        items_converted = int(to_reporting_currency(ledger, open_items["open_amount"].to_numpy(dtype=np.int64),
                                                     open_items["currency"], as_of).sum())
        rows.append(_money_row(f"Aging total = open items in {reporting}", reporting, reporting, items_converted,
                               int(summary[TOTAL].sum()),
                               f"The Aging sheet's Total, converted into {reporting} with the FXRates table, "
                               "against every open item converted the same way (each currency's ledger balance "
                               "is reconciled above)."))

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
    np.add.at(applied_by_code, applied_code, applications["source_amount"].to_numpy(dtype=np.int64))
    return int((applied_by_code > held_by_code).sum())


def _assertion_rows(ledger: Ledger) -> list[dict[str, object]]:
    """Each Assertions row checked. A row with a customer asserts that customer's balance in the row's currency;
    a row with no customer asserts the whole ledger (the AR control account of the general ledger) in its
    currency (the reporting currency when blank): every currency's balance converted with FXRates when it is the
    reporting currency, else that currency's balances alone. A failed control assertion points at the documents
    dated after the last one that passed (or from the start), where the difference came in."""
    rows = []
    passed_control: dict[str, dt.date] = {}
    ordered = ledger.assertions.assign(control=ledger.assertions["customer_id"] == "").sort_values(
        ["control", "date", "row"], kind="stable")
    for assertion in ordered.itertuples():
        date = pd.Timestamp(assertion.date).date()
        balances = document_balances(ledger, date)
        if not assertion.control:
            match = balances[(balances["customer_id"] == assertion.customer_id)
                             & (balances["currency"] == assertion.currency)]
            rows.append(_money_row(f"Balance of {assertion.customer_id} on {date.isoformat()}",
                                   f"Assertions row {assertion.row}", assertion.currency, int(assertion.balance),
                                   int(match["balance"].sum()),
                                   assertion.note or "The balance you entered in the Assertions table."))
            continue
        actual, missing = _ledger_total(ledger, balances, assertion.currency, date)
        explanation = assertion.note or "The AR control account (the general ledger's receivables balance)."
        if missing:
            explanation += f" {', '.join(missing)} cannot be converted: add a rate to the FXRates table."
        row = _money_row(f"Control account on {date.isoformat()}", f"Assertions row {assertion.row}",
                         assertion.currency, int(assertion.balance), actual, explanation)
        if row["result"] == "PASS" and not missing:
            passed_control[assertion.currency] = date
        else:
            row["result"] = "FAIL"
            since = passed_control.get(assertion.currency)
            row["explanation"] = f"{explanation} {_where_to_look(ledger, since, date)}"
        rows.append(row)
    return rows


def _ledger_total(ledger: Ledger, balances: pd.DataFrame, currency: str, on: dt.date) -> tuple[int, list[str]]:
    """The whole ledger's balance in ``currency`` at the rates in force ``on`` the date, and the currencies that
    had no rate then."""
    by_currency = balances.groupby("currency")["balance"].sum()
    if currency != ledger.settings.reporting_currency:
        return int(by_currency.get(currency, 0)), []
    rated = [code for code in by_currency.index if code == currency or rate_on(ledger, code, on) is not None]
    missing = sorted(code for code in by_currency.index if code not in rated and by_currency[code] != 0)
    convertible = by_currency[rated]
    total = to_reporting_currency(ledger, convertible.to_numpy(dtype=np.int64), convertible.index.to_numpy(), on)
    return int(total.sum()), missing


def _where_to_look(ledger: Ledger, since: dt.date | None, until: dt.date) -> str:
    """The documents dated after the last passing control assertion, up to this one: where to look."""
    low = _day(since) if since is not None else None
    high = _day(until)
    found: list[str] = []
    count = 0
    for frame, id_column, date_column in ((ledger.invoices, "invoice_id", "invoice_date"),
                                          (ledger.payments, "payment_id", "payment_date"),
                                          (ledger.adjustments, "adjustment_id", "date")):
        dates = frame[date_column]
        inside = (dates <= high) if low is None else (dates > low) & (dates <= high)
        ids = frame.loc[inside.to_numpy(), id_column]
        count += len(ids)
        found += ids.astype(str).head(5 - len(found)).tolist() if len(found) < 5 else []
    start = f"after {since.isoformat()} (the last control assertion that passed)" if since else "so far"
    listed = ", ".join(found) + (f" and {count - len(found):,} more" if count > len(found) else "")
    return (f"Look at the {count:,} document(s) dated {start} up to {until.isoformat()}: {listed}." if count
            else f"No document is dated {start} up to {until.isoformat()}: compare the general ledger's entries.")
