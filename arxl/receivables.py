"""Receivables at an as-of date, with the disputes and promises to pay that collections and credit both judge.

``receivables(ledger, as_of)`` is the positive open receivables (invoices, debit notes, reopened reversals) with
their days past due, counted from the due date whatever the aging basis (dunning, credit and forecasts are about
due dates), and whether each is disputed. Every function is a pure function of (ledger, as-of date): Activity
rows and documents dated after the as-of date do not exist.

Rules (DESIGN.md section 3, "Collections"; where it is silent, the choice is written here):

- **Disputes.** A document is disputed when its Invoices ``status`` is ``disputed``, or when the Activity table
  has a ``dispute`` row naming it that no ``resolved`` row naming it follows (a ``resolved`` dated the same day
  or later closes the dispute). A dispute row without an invoice_id flags nothing. Disputed documents stay
  open and aged, but are left out of dunning, finance charges and the collectable overdue amount.
- **Promises to pay** are Activity ``promise`` rows. A promise is judged against the customer's actual
  payments (reversals netted) dated from the day the promise was made to its promised date, both included:
  ``kept`` when they add up to at least the promised amount (any payment, when no amount was promised);
  otherwise ``pending`` while the promised date is on or after the as-of date (or blank), ``broken`` once it
  has passed. Promises whose windows overlap are judged on the same payments (each asks "did the customer pay
  this much in my window").
- Broken promises and disputes raised count towards a customer's record when dated in the
  ``BROKEN_WINDOW_DAYS`` (365) days ending at the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .arrays import member
from .dates import NAT_DAY, day_number, day_numbers, days_to_datetimes
from .fx import convertible, to_reporting_currency
from .ledger import Ledger
from .settle import Settlement, settle

RECEIVABLE_KINDS: tuple[str, ...] = ("invoice", "debit_note", "reversal")
"""Open-item kinds that the customer owes (what can be overdue)."""

KEPT, BROKEN, PENDING = "kept", "broken", "pending"
"""The status of a promise to pay."""
BROKEN_WINDOW_DAYS = 365
"""Broken promises and disputes count when their date lies in the 365 days ending at the as-of date."""

PROMISE_COLUMNS: tuple[str, ...] = (
    "customer_id", "invoice_id", "date", "promised_date", "promised_amount", "paid", "status", "note", "row",
)
"""``paid``: the customer's net payments in the promise's window (minor units)."""


def activity_rows(ledger: Ledger, as_of: dt.date, actions: Sequence[str], columns: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """The Activity rows of the given actions dated on or before ``as_of`` (only ``columns`` when given)."""
    activity = ledger.activity
    keep = ((day_numbers(activity["date"]) <= day_number(as_of))
            & activity["action"].isin(actions).to_numpy(dtype=bool))
    return (activity if columns is None else activity[list(columns)])[keep]


# --- disputes ----------------------------------------------------------------------------------------------------

def open_disputes(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Documents with an Activity ``dispute`` not followed by a ``resolved`` at ``as_of``: customer_id,
    invoice_id and the date of the latest dispute row."""
    activity = activity_rows(ledger, as_of, ("dispute", "resolved"))
    rows = activity[activity["invoice_id"] != ""]
    if rows.empty:
        return pd.DataFrame({"customer_id": pd.Series(dtype="str"), "invoice_id": pd.Series(dtype="str"),
                             "date": pd.Series(dtype="datetime64[s]")})
    latest = (rows.assign(day=day_numbers(rows["date"]))
              .pivot_table(index=["customer_id", "invoice_id"], columns="action", values="day", aggfunc="max"))
    disputed = latest.get("dispute", pd.Series(np.nan, index=latest.index))
    resolved = latest.get("resolved", pd.Series(np.nan, index=latest.index)).fillna(-np.inf)
    still_open = latest[(disputed.notna() & (disputed > resolved)).to_numpy()]
    index = still_open.index
    return pd.DataFrame({
        "customer_id": pd.Series(index.get_level_values(0), dtype="str"),
        "invoice_id": pd.Series(index.get_level_values(1), dtype="str"),
        "date": days_to_datetimes(still_open["dispute"].to_numpy(dtype=np.int64)),
    })


def disputed_mask(ledger: Ledger, as_of: dt.date, items: pd.DataFrame) -> np.ndarray:
    """Which open items (customer_id, document_id, status) are disputed at ``as_of``."""
    disputes = open_disputes(ledger, as_of)
    by_status = (items["status"] == "disputed").to_numpy(dtype=bool)
    if disputes.empty or items.empty:
        return by_status
    # Few documents are disputed: pair up customer and document only for the items whose id is among them.
    candidates = np.flatnonzero(member(items["document_id"], disputes["invoice_id"]).to_numpy())
    named = pd.MultiIndex.from_frame(disputes[["customer_id", "invoice_id"]])
    keys = pd.MultiIndex.from_arrays([items["customer_id"].iloc[candidates].to_numpy(dtype=object),
                                      items["document_id"].iloc[candidates].to_numpy(dtype=object)])
    disputed = by_status.copy()
    disputed[candidates] |= keys.isin(named)
    return disputed


def receivables(ledger: Ledger, as_of: dt.date, settlement: Settlement | None = None) -> pd.DataFrame:
    """The positive open receivables at ``as_of`` with ``days_past_due`` (from the due date), ``disputed``
    (bool, see the module docstring) and ``amount`` (in the reporting currency when ``convertible``, else the
    item's own ``open_amount``) added to the settlement's open-item columns."""
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    items = settlement.open_items
    items = items[items["kind"].isin(RECEIVABLE_KINDS) & (items["open_amount"] > 0)].reset_index(drop=True)
    items["days_past_due"] = day_number(as_of) - day_numbers(items["due_date"])
    items["disputed"] = disputed_mask(ledger, as_of, items)
    amounts = items["open_amount"].to_numpy(dtype=np.int64)
    if convertible(ledger, as_of):
        items["amount"] = to_reporting_currency(ledger, amounts, items["currency"].to_numpy(), as_of)
        items["group_currency"] = pd.Series([ledger.settings.reporting_currency] * len(items), dtype="str")
    else:
        items["amount"] = amounts
        items["group_currency"] = items["currency"].astype("str")
    return items


# --- promises to pay ---------------------------------------------------------------------------------------------

def promises(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Every promise to pay made on or before ``as_of``, judged against the customer's payments
    (``PROMISE_COLUMNS``; rule in the module docstring), in (customer_id, date, row) order."""
    made = activity_rows(ledger, as_of, ("promise",)).sort_values(["customer_id", "date", "row"], kind="stable")
    made = made.reset_index(drop=True)
    today = day_number(as_of)
    payments = ledger.payments
    payment_day = day_numbers(payments["payment_date"])
    payments = payments[payment_day <= today]
    payment_day = payment_day[payment_day <= today]
    codes, _ = pd.factorize(pd.concat([payments["customer_id"], made["customer_id"]], ignore_index=True))
    payment_code, promise_code = codes[: len(payments)], codes[len(payments):]
    offset = np.int64(1) << 32
    payment_key = payment_code.astype(np.int64) * offset + payment_day
    order = np.argsort(payment_key, kind="stable")
    sorted_key = payment_key[order]
    running = np.r_[0, np.cumsum(payments["amount"].to_numpy(dtype=np.int64)[order])]
    start = day_numbers(made["date"])
    promised_day = day_numbers(made["promised_date"])
    undated = promised_day == NAT_DAY
    end = np.where(undated, today, np.minimum(promised_day, today))
    base = promise_code.astype(np.int64) * offset
    low = np.searchsorted(sorted_key, base + start, side="left")
    high = np.searchsorted(sorted_key, base + end, side="right")
    paid = np.where(high > low, running[high] - running[np.minimum(low, high)], 0)
    amount = made["promised_amount"].astype("Int64")
    target = amount.fillna(1).to_numpy(dtype=np.int64)
    kept = paid >= np.maximum(target, 1)
    status = np.select([kept, undated | (promised_day >= today)], [KEPT, PENDING], BROKEN)
    return pd.DataFrame({
        "customer_id": made["customer_id"].astype("str"),
        "invoice_id": made["invoice_id"].astype("str"),
        "date": made["date"],
        "promised_date": made["promised_date"],
        "promised_amount": amount,
        "paid": paid.astype(np.int64),
        "status": pd.Series(status, dtype="str"),
        "note": made["note"].astype("str"),
        "row": made["row"].astype(np.int64),
    }, columns=list(PROMISE_COLUMNS))
