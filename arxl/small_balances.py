"""Small balances: the residues of partly settled items that Settings ``write_off_tolerance`` lets arxl propose to
write off, as Adjustments rows for review (``arxl small-balances``, the ``Small balances`` sheet).

``small_balance_proposals(ledger, as_of)`` gives one row per proposed Adjustments row (``arxl.postings``'
``POSTING_COLUMNS``, so the review sheet and the accept step work as for charges). These are not the
allowance's bad-debt write-off proposals (``arxl.allowance``: old receivables written off as uncollectable, type
``write_off``): a small balance is a difference nobody will chase or refund, written off with type
``small_balance`` so that bad-debt history (and the allowance rates derived from it) never counts it.

Rules (where the issue and DESIGN.md are silent, the choice is written here):

- **A residue** is what is left open on a document that something already settled in part, in both
  directions: an invoice or debit note partly paid, credited or adjusted (an underpayment: 1,000.00 invoiced,
  998.17 paid leaves 1.83), and a payment or credit note partly applied (an overpayment: 1,000.37 paid for a
  1,000.00 invoice leaves 0.37 unapplied). A document nothing has touched is not a residue: an unpaid invoice
  of 3.00 is chased, an unused credit note is applied or refunded. An invoice with instalments counts as one
  document (the sum of its open instalments). Reopened reversals and refunds are never residues.
- **The tolerance** is an amount of the reporting currency: a residue is proposed when its size is at or below
  it; one in another currency is converted at the FXRates rate in force on the as-of date first (and is left
  out when its currency has no rate then). ``write_off_tolerance`` 0 (the default) proposes nothing.
- **Left out**: disputed documents (a dispute is not a small difference), residues in an account (customer
  and currency) that holds both something owed and something unapplied: those are applied to each other
  (``arxl apply`` or Applications rows), not written off; and residues that a row dated after the as-of date
  already settles (a payment, a refund or an application naming the document, an adjustment on it): writing
  them off would contradict what the book records next.
- **The proposal** is ``SB-<as-of>-<document_id>``, type ``small_balance``, dated the as-of date, on the
  document itself (for a payment, its payment_id in the Adjustments ``invoice_id`` column), for the whole
  residue. As for charges: never twice (an id already in Adjustments is not proposed; once accepted the residue
  is gone anyway), and never in a closed period (``refused`` says why).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .dates import day_number
from .fx import convert, rates_on
from .ledger import Ledger
from .money import format_plain
from .postings import POSTING_COLUMNS, closed_refusal
from .receivables import disputed_mask
from .settle import Settlement, settle

SMALL_BALANCE = "small_balance"
UNDERPAID, OVERPAID = "underpaid", "overpaid, unapplied"
"""How a proposal's reason ends: a receivable left owed, or cash or credit left unapplied."""
RESIDUE_KINDS: tuple[str, ...] = ("invoice", "debit_note", "payment", "credit_note")
"""Open-item kinds a residue can be on."""


def residues(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None) -> pd.DataFrame:
    """The open documents something settled in part at ``as_of``: customer_id, document_id, kind, currency,
    open_amount (signed minor units: negative = unapplied), disputed; one row per document, in the open items'
    order."""
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    items = settlement.open_items
    items = items[items["kind"].isin(RESIDUE_KINDS).to_numpy()]
    disputed = disputed_mask(ledger, as_of, items)
    items = items.assign(disputed=disputed, touched=(items["applied"] != 0) | (items["adjusted"] != 0))
    keys = ["customer_id", "document_id", "kind", "currency"]
    whole = items.groupby(keys, sort=False).agg(open_amount=("open_amount", "sum"), disputed=("disputed", "any"),
                                                touched=("touched", "any"), original=("original", "first"))
    whole = whole.reset_index()
    # An instalment invoice is touched when its open instalments add up to less than the invoice.
    whole["touched"] = whole["touched"] | (whole["open_amount"] != whole["original"])
    return whole[whole["touched"].to_numpy()][[*keys, "open_amount", "disputed"]].reset_index(drop=True)


def small_balance_proposals(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None
                            ) -> pd.DataFrame:
    """The residues at ``as_of`` at or below Settings ``write_off_tolerance`` to write off (``POSTING_COLUMNS``;
    rules in the module docstring)."""
    tolerance = int(ledger.settings.write_off_tolerance)
    reporting = ledger.settings.reporting_currency
    if tolerance <= 0:
        return _typed(pd.DataFrame(columns=list(POSTING_COLUMNS)))
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    found = residues(ledger, as_of, settlement=settlement)
    if found.empty:
        return _typed(pd.DataFrame(columns=list(POSTING_COLUMNS)))
    # Accounts holding both sides (anything owed, anything unapplied) are applied, not written off.
    items = settlement.open_items
    keys = ["customer_id", "currency"]
    owing = pd.MultiIndex.from_frame(items.loc[(items["open_amount"] > 0).to_numpy(), keys])
    holding = pd.MultiIndex.from_frame(items.loc[(items["open_amount"] < 0).to_numpy(), keys])
    account = pd.MultiIndex.from_frame(found[keys])
    mixed = account.isin(owing) & account.isin(holding)
    size = found["open_amount"].abs().to_numpy(dtype=np.int64)
    currencies = found["currency"].to_numpy(dtype=object)
    rates = rates_on(ledger, currencies, day_number(as_of))
    rated = ~np.isnan(rates)
    # Compared in the reporting currency, converted exactly (arxl.fx's rounding rule), in minor units.
    in_reporting = np.full(len(found), tolerance + 1, dtype=np.int64)
    in_reporting[rated] = convert(size[rated], currencies[rated], rates[rated], reporting)
    later = found["document_id"].isin(_named_after(ledger, as_of)).to_numpy()
    chosen = ~found["disputed"].to_numpy() & ~mixed & ~later & rated & (in_reporting <= tolerance)
    found = found[chosen].reset_index(drop=True)
    ids = pd.Series([f"SB-{as_of.isoformat()}-{document}" for document in found["document_id"]], dtype="str")
    fresh = ~ids.isin(set(ledger.adjustments["adjustment_id"])).to_numpy()
    found, ids = found[fresh].reset_index(drop=True), ids[fresh].reset_index(drop=True)
    limit = format_plain(tolerance, reporting)
    owed = found["open_amount"].to_numpy(dtype=np.int64) > 0
    reason = [f"Small balance at or below {limit} {reporting}: " + (UNDERPAID if debit else OVERPAID)
              for debit in owed]
    source = [f"{kind.replace('_', ' ')} {document}: {format_plain(abs(int(amount)), str(currency))} "
              f"{currency} {'open' if amount > 0 else 'unapplied'}"
              for kind, document, amount, currency in zip(found["kind"], found["document_id"],
                                                          found["open_amount"], found["currency"], strict=True)]
    proposals = pd.DataFrame({
        "adjustment_id": ids,
        "invoice_id": found["document_id"],
        "date": np.full(len(found), np.datetime64(as_of, "s")),
        "type": pd.Series([SMALL_BALANCE] * len(found), dtype="str"),
        "amount": found["open_amount"].abs().to_numpy(dtype=np.int64),
        "reason": pd.Series(reason, dtype="str"),
        "customer_id": found["customer_id"],
        "currency": found["currency"],
        "source": pd.Series(source, dtype="str"),
        "refused": pd.Series(closed_refusal(ledger, np.full(len(found), np.datetime64(as_of, "s"))), dtype="str"),
    }, columns=list(POSTING_COLUMNS))
    return _typed(proposals)


def _named_after(ledger: Ledger, as_of: dt.date) -> set[str]:
    """The documents that Payments, Applications and Adjustments rows dated after ``as_of`` name (an application
    without a date is dated by its payment)."""
    limit = pd.Timestamp(as_of)
    payments, applications, adjustments = ledger.payments, ledger.applications, ledger.adjustments
    payment_dates = pd.to_datetime(payments["payment_date"])
    later_payments = payments[(payment_dates > limit).to_numpy()]
    paid_on = pd.Series(payment_dates.to_numpy(), index=payments["payment_id"].astype(str).to_numpy())
    paid_on = paid_on[~paid_on.index.duplicated()]
    later_applications = applications.iloc[0:0]
    if len(applications):
        dated = pd.to_datetime(applications["date"], errors="coerce")
        by_payment = pd.to_datetime(applications["payment_id"].astype(str).map(paid_on), errors="coerce")
        later_applications = applications[(dated.where(dated.notna(), by_payment) > limit).to_numpy()]
    later_adjustments = adjustments[(pd.to_datetime(adjustments["date"], errors="coerce") > limit).to_numpy()] \
        if len(adjustments) else adjustments
    named = [later_payments["invoice_id"], later_payments["credit_id"], later_payments["reference"],
             later_applications["payment_id"], later_applications["invoice_id"], later_adjustments["invoice_id"]]
    return {str(value) for column in named for value in column.dropna() if str(value)}


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"adjustment_id": "str", "invoice_id": "str", "date": "datetime64[s]", "type": "str",
                         "amount": "int64", "reason": "str", "customer_id": "str", "currency": "str",
                         "source": "str", "refused": "str"}).reset_index(drop=True)
