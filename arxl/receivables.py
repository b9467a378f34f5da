"""Receivables at an as-of date, with the disputes and promises to pay that collections and credit both judge.

``receivables(ledger, as_of)`` is the positive open receivables (invoices, debit notes, reopened reversals, and
refunds whose credit no longer covers them) with their days past due, counted from the due date whatever the
aging basis (dunning, credit and forecasts are about due dates), and whether each is disputed. Every function
is a pure function of (ledger, as-of date): Activity rows and documents dated after the as-of date do not
exist.

Rules (DESIGN.md section 3, "Collections"; where it is silent, the choice is written here):

- **Disputes.** A document is disputed when its Invoices ``status`` is ``disputed``, or when the Activity table
  has a ``dispute`` row naming it that no ``resolved`` row naming it follows (a ``resolved`` dated the same day
  or later closes the dispute). A dispute row without an invoice_id flags nothing. Disputed documents stay
  open and aged, but are left out of dunning, finance charges and the collectable overdue amount, and
  auto-apply settles them last (``arxl.settle``). An open Activity dispute was **opened** on the first
  ``dispute`` row after the latest ``resolved`` one; its **reason** is the note of the earliest of those rows
  that has one (``dispute_details``). A dispute made by the Invoices status alone has no opening date.
- **Promises to pay** are Activity ``promise`` rows; a promise counts up to its promised date plus Settings
  ``promise_grace_days`` (a promise with no promised date: the day it was made plus the grace), its **last
  day**. What it asks for:

  - a promise naming an invoice (or debit note) of the customer asks that invoice to be paid: the promised
    amount, or with none the invoice's open amount on the day the promise was made, and never more than that
    open amount. What counts is what the application ledger at the as-of date settled on that invoice (by any
    step: reference, Applications row, auto-apply, credit note) dated from the day the promise was made to
    its last day. Cash that went to another invoice does not keep it.
  - a promise naming no invoice asks the promised amount of the account: the customer's payments (reversals
    netted) dated in the same window count; with no amount promised, any payment keeps it.

  The promise is ``kept`` when what counts reaches what it asks; otherwise ``pending`` while its last day is
  on or after the as-of date, then ``partly kept`` (something was paid; ``shortfall`` says how much is
  missing) or ``broken`` (nothing was). Promises whose windows overlap are judged on the same payments.
- A promise **not kept** (broken or partly kept) counts against the customer (the worklist's broken promises,
  the credit risk grade) when its promised date lies in the ``BROKEN_WINDOW_DAYS`` (365) days ending at the
  as-of date; disputes raised count when dated in that window.
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

RECEIVABLE_KINDS: tuple[str, ...] = ("invoice", "debit_note", "reversal", "refund")
"""Open-item kinds that the customer owes (what can be overdue)."""

KEPT, PARTLY_KEPT, BROKEN, PENDING = "kept", "partly kept", "broken", "pending"
"""The status of a promise to pay."""
NOT_KEPT: tuple[str, ...] = (BROKEN, PARTLY_KEPT)
"""Promises that count against the customer."""
BROKEN_WINDOW_DAYS = 365
"""Broken promises and disputes count when their date lies in the 365 days ending at the as-of date."""

PROMISE_COLUMNS: tuple[str, ...] = (
    "customer_id", "invoice_id", "date", "promised_date", "promised_amount", "last_day", "asked", "paid",
    "shortfall", "status", "note", "row",
)
"""One promise judged (rule in the module docstring): ``last_day`` = promised date (else the day it was made)
plus the grace days; ``asked`` what it asks for, ``paid`` what counts towards it and ``shortfall`` = asked - paid
when not kept (0 when kept), all minor units; ``invoice_id`` is blank for an account promise (also when the
Activity row names something that is not an invoice or debit note of the customer)."""

DISPUTE_COLUMNS: tuple[str, ...] = ("customer_id", "invoice_id", "opened", "reason")
"""An open Activity dispute: when it was opened and why (``dispute_details``)."""


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
    still_open = (disputed.notna() & (disputed > resolved)).to_numpy()
    index = latest.index[still_open]
    return pd.DataFrame({
        "customer_id": pd.Series(index.get_level_values(0), dtype="str"),
        "invoice_id": pd.Series(index.get_level_values(1), dtype="str"),
        "date": days_to_datetimes(disputed[still_open].to_numpy(dtype=np.int64)),
    })


def dispute_details(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Every open Activity dispute at ``as_of`` with the day it was opened and its reason (``DISPUTE_COLUMNS``,
    rule in the module docstring), by customer_id and invoice_id."""
    rows = activity_rows(ledger, as_of, ("dispute", "resolved"), ("customer_id", "invoice_id", "date", "action",
                                                                  "note", "row"))
    rows = rows[rows["invoice_id"] != ""]
    empty = pd.DataFrame({"customer_id": pd.Series(dtype="str"), "invoice_id": pd.Series(dtype="str"),
                          "opened": pd.Series(dtype="datetime64[s]"), "reason": pd.Series(dtype="str")})
    if rows.empty:
        return empty
    rows = rows.assign(day=day_numbers(rows["date"])).sort_values(["customer_id", "invoice_id", "day", "row"],
                                                                  kind="stable")
    keys = ["customer_id", "invoice_id"]
    resolved = (rows["day"].where(rows["action"] == "resolved").groupby([rows[key] for key in keys])
                .transform("max").fillna(NAT_DAY).to_numpy(dtype=np.int64))
    after = rows[(rows["action"] == "dispute").to_numpy() & (rows["day"].to_numpy() > resolved)]
    if after.empty:
        return empty
    grouped = after.groupby(keys, sort=True)
    opened = grouped["day"].min()
    noted = after[after["note"].str.strip() != ""].groupby(keys, sort=True)["note"].first()
    return pd.DataFrame({
        "customer_id": pd.Series(opened.index.get_level_values(0), dtype="str"),
        "invoice_id": pd.Series(opened.index.get_level_values(1), dtype="str"),
        "opened": days_to_datetimes(opened.to_numpy(dtype=np.int64)),
        "reason": pd.Series(noted.reindex(opened.index).fillna("").to_numpy(dtype=object), dtype="str"),
    }, columns=list(DISPUTE_COLUMNS))


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

def promises(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None) -> pd.DataFrame:
    """Every promise to pay made on or before ``as_of``, judged (``PROMISE_COLUMNS``; rule in the module
    docstring), in (customer_id, date, row) order. ``settlement`` (at ``as_of``) may be passed to reuse it."""
    made = activity_rows(ledger, as_of, ("promise",)).sort_values(["customer_id", "date", "row"], kind="stable")
    made = made.reset_index(drop=True)
    today = day_number(as_of)
    start = day_numbers(made["date"])
    promised_day = day_numbers(made["promised_date"])
    last_day = np.where(promised_day == NAT_DAY, start, promised_day) + int(ledger.settings.promise_grace_days)
    end = np.minimum(last_day, today)
    amount = made["promised_amount"].astype("Int64")
    given = amount.notna().to_numpy()
    promised = amount.fillna(0).to_numpy(dtype=np.int64)

    invoices = ledger.invoices
    receivable = invoices[(invoices["amount"] > 0).to_numpy()]
    invoice_at = pd.Index(receivable["invoice_id"]).get_indexer(made["invoice_id"])
    named = invoice_at >= 0
    named[named] = (receivable["customer_id"].to_numpy(dtype=object)[invoice_at[named]]
                    == made["customer_id"].to_numpy(dtype=object)[named])

    # Account promises: the customer's net payments in the window (only the promising customers' payments;
    # a refund pays the customer's credit back, it is no payment towards a promise).
    payments = ledger.payments
    payments = payments[member(payments["customer_id"], made["customer_id"]).to_numpy()]
    if "type" in payments:
        payments = payments[(payments["type"] != "refund").to_numpy()]
    paid_account = _window_sums(payments["customer_id"], day_numbers(payments["payment_date"]),
                                payments["amount"].to_numpy(dtype=np.int64), made["customer_id"], start, end)
    asked_account = np.where(given, promised, 1)

    # Invoice promises: what the as-of application ledger settled on the invoice in the window.
    paid_invoice = np.zeros(len(made), dtype=np.int64)
    asked_invoice = np.zeros(len(made), dtype=np.int64)
    if named.any():
        settlement = settlement if settlement is not None else settle(ledger, as_of)
        which = made["invoice_id"].where(named, "")
        applications, adjustments = settlement.applications, settlement.adjustments
        applications = applications[member(applications["invoice_id"], which[named]).to_numpy()]
        adjustments = adjustments[member(adjustments["invoice_id"], which[named]).to_numpy()]
        paid_invoice = _window_sums(applications["invoice_id"], day_numbers(applications["date"]),
                                    applications["amount"].to_numpy(dtype=np.int64), which, start, end)
        before = start - 1
        applied_before = _window_sums(applications["invoice_id"], day_numbers(applications["date"]),
                                      applications["amount"].to_numpy(dtype=np.int64), which,
                                      np.full(len(made), NAT_DAY), before)
        adjusted_before = _window_sums(adjustments["invoice_id"], day_numbers(adjustments["date"]),
                                       adjustments["effect"].to_numpy(dtype=np.int64), which,
                                       np.full(len(made), NAT_DAY), before)
        original = np.where(named, receivable["amount"].to_numpy(dtype=np.int64)[np.maximum(invoice_at, 0)], 0)
        open_then = np.maximum(original + adjusted_before - applied_before, 0)
        asked_invoice = np.minimum(np.where(given, promised, open_then), open_then)
    asked = np.where(named, asked_invoice, asked_account)
    paid = np.where(named, paid_invoice, paid_account)
    kept = paid >= asked
    pending = ~kept & (last_day >= today)
    status = np.select([kept, pending, paid > 0], [KEPT, PENDING, PARTLY_KEPT], BROKEN)
    return pd.DataFrame({
        "customer_id": made["customer_id"].astype("str"),
        "invoice_id": pd.Series(np.where(named, made["invoice_id"].to_numpy(dtype=object), ""), dtype="str"),
        "date": made["date"],
        "promised_date": made["promised_date"],
        "promised_amount": amount,
        "last_day": days_to_datetimes(last_day),
        "asked": asked.astype(np.int64),
        "paid": paid.astype(np.int64),
        "shortfall": np.where(kept, 0, np.maximum(asked - paid, 0)).astype(np.int64),
        "status": pd.Series(status, dtype="str"),
        "note": made["note"].astype("str"),
        "row": made["row"].astype(np.int64),
    }, columns=list(PROMISE_COLUMNS))


def _window_sums(keys: pd.Series, days: np.ndarray, amounts: np.ndarray, wanted: pd.Series, start: np.ndarray,
                 end: np.ndarray) -> np.ndarray:
    """For each ``wanted`` key: the sum of ``amounts`` whose key equals it and whose day lies in ``start`` ..
    ``end`` (both included; 0 for a blank key or an empty window). Days are packed below the key code, so one
    sorted array and two binary searches answer every window."""
    codes, _ = pd.factorize(pd.concat([keys.astype("str"), wanted.astype("str")], ignore_index=True))
    own, asked = codes[: len(keys)].astype(np.int64), codes[len(keys):].astype(np.int64)
    offset = np.int64(1) << 32

    def packed(day: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(day, dtype=np.int64), -(offset >> 1), (offset >> 1) - 1) + (offset >> 1)

    days = np.asarray(days, dtype=np.int64)
    valid = days != NAT_DAY
    key = own[valid] * offset + packed(days[valid])
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    running = np.r_[0, np.cumsum(np.asarray(amounts, dtype=np.int64)[valid][order])]
    low = np.searchsorted(sorted_key, asked * offset + packed(start), side="left")
    high = np.searchsorted(sorted_key, asked * offset + packed(end), side="right")
    total = np.where(high > low, running[high] - running[np.minimum(low, high)], 0)
    blank = (wanted.astype("str") == "").to_numpy()
    return np.where(blank | (np.asarray(end) < np.asarray(start)), 0, total).astype(np.int64)
