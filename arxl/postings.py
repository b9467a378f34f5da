"""Charges to post: the late fees of the dunning letters sent and the finance charges due, as Adjustments rows for
review, and the closed-period rule every proposal obeys.

``posting_proposals(ledger, as_of)`` gives one row per proposed Adjustments row (``POSTING_COLUMNS``): the
Adjustments columns, then what a reviewer needs. A verb (``arxl.verbs.charges``) writes them to the ``Charges``
review sheet and appends the accepted ones; accepted, they are ordinary Adjustments rows, so the engine, the
statements and the next letters show them.

Rules (where DESIGN.md is silent, the choice is written here):

- **Late fees**: each Activity ``letter`` row dated on or before the as-of date whose note names its level (as
  ``arxl letters`` logs it: "Dunning letter level 2 (Second notice) ...", or a level's name) is charged that
  level's DunningLevels ``fee``, once: the row ``LF-<letter date>-<customer_id>-L<level>`` of type
  ``late_fee``, dated the letter's date, on the invoice the Activity row names (the letter's oldest listed
  invoice, which ``arxl letters`` records), else on the customer's oldest undisputed invoice or debit note
  dated on or before the letter and still open at the as-of date. Letters whose note names no level (typed by
  hand, or older than arxl's log) are not charged: nobody can tell which fee they carried. The fee is in the
  reporting currency; on an invoice in another currency it is converted at the FXRates rate in force on the
  letter's date (half away from zero), and left out with a reason when that currency has no rate then.
- **Finance charges** are ``arxl.finance.finance_charges``' proposals at the as-of date (ids
  ``FC-<as_of>-<invoice>``, interest on the declining overdue balance since the last charge).
- **Never twice**: a proposal whose adjustment_id is already in the Adjustments table is not proposed again,
  so accepting twice appends nothing the second time.
- **Never in a closed period**: a proposal dated on or before Settings ``closed_through`` is listed with
  ``refused`` saying why and is never appended (a late fee for a letter of a closed month cannot be charged
  afterwards by back-dating; charge it as a new adjustment dated after the close, by hand, if it is still due).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .collections import dunning_levels, named_levels
from .dates import day_number, day_numbers
from .finance import finance_charges
from .fx import rate_on
from .ledger import Ledger
from .money import exponent, floats_to_minor
from .receivables import disputed_mask
from .settle import Settlement, settle

LATE_FEE, FINANCE_CHARGE = "late_fee", "finance_charge"

POSTING_COLUMNS: tuple[str, ...] = (
    "adjustment_id", "invoice_id", "date", "type", "amount", "reason", "customer_id", "currency", "source",
    "refused",
)
"""A proposed Adjustments row: the six Adjustments columns (``amount`` positive, minor units of the invoice's
``currency``), the customer, ``source`` (the letter or the interest period it comes from) and ``refused`` (why it
cannot be posted, "" when it can)."""


def closed_refusal(ledger: Ledger, dates: pd.Series | np.ndarray) -> np.ndarray:
    """For each date: "" when it may be posted, else why not (on or before Settings ``closed_through``)."""
    closed = ledger.settings.closed_through
    days = day_numbers(np.asarray(dates, dtype="datetime64[s]"))
    if closed is None:
        return np.full(len(days), "", dtype=object)
    text = (f"dated on or before closed_through {closed.isoformat()}: the period is closed; post it after "
            "the close instead")
    return np.where(days <= day_number(closed), text, "").astype(object)


def _empty() -> pd.DataFrame:
    dtypes = ("str", "str", "datetime64[s]", "str", "int64", "str", "str", "str", "str", "str")
    return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in zip(POSTING_COLUMNS, dtypes,
                                                                                strict=True)})


def late_fee_proposals(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None) -> pd.DataFrame:
    """The late fees of the letters sent up to ``as_of`` not yet in Adjustments (``POSTING_COLUMNS``)."""
    levels = dunning_levels(ledger)
    if not (levels["fee"] > 0).any():
        return _empty()
    activity = ledger.activity
    today = day_number(as_of)
    letter_day = day_numbers(activity["date"])
    sent = activity[(activity["action"] == "letter").to_numpy() & (letter_day <= today)].reset_index(drop=True)
    if sent.empty:
        return _empty()
    # Only letters whose note names their level: a level guessed from the days reached never carries a fee.
    position = named_levels(sent["note"], levels)
    fee = np.where(position >= 0, levels["fee"].to_numpy(dtype=np.int64)[np.maximum(position, 0)], 0)
    charged = fee > 0
    sent, fee, position = sent[charged].reset_index(drop=True), fee[charged], position[charged]
    if sent.empty:
        return _empty()
    level_number = levels["level"].to_numpy(dtype=np.int64)[position]
    day = day_numbers(sent["date"])
    ids = pd.Series([f"LF-{pd.Timestamp(date).date().isoformat()}-{customer}-L{number}" for date, customer, number
                     in zip(sent["date"], sent["customer_id"], level_number, strict=True)], dtype="str")
    fresh = ~ids.isin(set(ledger.adjustments["adjustment_id"])).to_numpy()
    sent, ids = sent[fresh].reset_index(drop=True), ids[fresh].reset_index(drop=True)
    fee, position, level_number, day = fee[fresh], position[fresh], level_number[fresh], day[fresh]
    if sent.empty:
        return _empty()

    settlement = settlement if settlement is not None else settle(ledger, as_of)
    invoices = ledger.invoices
    carriers = invoices[(invoices["amount"] > 0).to_numpy()]
    invoice_customer = dict(zip(carriers["invoice_id"], carriers["customer_id"], strict=True))
    invoice_currency = dict(zip(carriers["invoice_id"], carriers["currency"], strict=True))
    items = settlement.open_items
    items = items[items["kind"].isin(["invoice", "debit_note"]).to_numpy() & (items["open_amount"] > 0).to_numpy()]
    items = items[~disputed_mask(ledger, as_of, items)].sort_values(
        ["customer_id", "due_date", "document_date", "document_id"], kind="stable")
    by_customer = {str(customer): (day_numbers(own["document_date"]), own["document_id"].to_numpy(dtype=object))
                   for customer, own in items.groupby("customer_id", sort=False)}

    reporting = ledger.settings.reporting_currency
    rows = []
    for index, letter in enumerate(sent.itertuples(index=False)):
        customer = str(letter.customer_id)
        invoice = str(letter.invoice_id)
        refused = ""
        if invoice_customer.get(invoice) != customer:
            dated, documents = by_customer.get(customer, (np.zeros(0, np.int64), np.zeros(0, object)))
            candidates = documents[dated <= day[index]]
            invoice = str(candidates[0]) if len(candidates) else ""
        currency = invoice_currency.get(invoice, reporting)
        amount = int(fee[index])
        if not invoice:
            refused = "no open invoice of the customer to charge the fee on"
        elif currency != reporting:
            letter_day = pd.Timestamp(letter.date).date()
            rate = rate_on(ledger, currency, letter_day)
            if rate is None:
                refused = (f"the fee is in {reporting} and {invoice} in {currency}, which has no FXRates rate in "
                           f"force on {letter_day.isoformat()} to convert it")
            else:
                major = amount / 10.0 ** exponent(reporting) / rate
                converted, _ = floats_to_minor(np.array([major]), np.array([exponent(currency)]))
                amount = int(converted[0])
        name = str(levels["name"].iloc[int(position[index])])
        rows.append({"adjustment_id": ids.iloc[index], "invoice_id": invoice,
                     "date": np.datetime64(pd.Timestamp(letter.date).date(), "s"), "type": LATE_FEE,
                     "amount": amount, "reason": f"Dunning letter level {int(level_number[index])} "
                                                 f"({name}) of {pd.Timestamp(letter.date).date().isoformat()}",
                     "customer_id": customer, "currency": currency,
                     "source": f"letter of {pd.Timestamp(letter.date).date().isoformat()} (Activity row "
                               f"{int(letter.row)})", "refused": refused})
    return _typed(pd.DataFrame(rows, columns=list(POSTING_COLUMNS)))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return _empty()
    return frame.astype({"adjustment_id": "str", "invoice_id": "str", "date": "datetime64[s]", "type": "str",
                         "amount": "int64", "reason": "str", "customer_id": "str", "currency": "str",
                         "source": "str", "refused": "str"})


def posting_proposals(ledger: Ledger, as_of: dt.date, *, since: dt.date | None = None,
                      settlement: Settlement | None = None) -> pd.DataFrame:
    """Late fees, then finance charges, to post at ``as_of`` (``POSTING_COLUMNS``; rules in the module
    docstring), each with ``refused`` filled when the closed period forbids it. ``since``: as
    ``arxl.finance.finance_charges``."""
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    fees = late_fee_proposals(ledger, as_of, settlement=settlement)
    charges = finance_charges(ledger, as_of, since=since, settlement=settlement)
    interest = pd.DataFrame({
        "adjustment_id": charges["adjustment_id"], "invoice_id": charges["invoice_id"], "date": charges["date"],
        "type": charges["type"], "amount": charges["amount"], "reason": charges["reason"],
        "customer_id": charges["customer_id"], "currency": charges["currency"],
        "source": pd.Series([f"interest {pd.Timestamp(start).date() + dt.timedelta(days=1)} to {as_of} "
                             f"({int(days)} days)" for start, days in zip(charges["period_start"], charges["days"],
                                                                          strict=True)], dtype="str"),
        "refused": pd.Series([""] * len(charges), dtype="str"),
    }, columns=list(POSTING_COLUMNS))
    proposals = _typed(pd.concat([fees, _typed(interest)], ignore_index=True)) if len(interest) else fees
    refusal = closed_refusal(ledger, proposals["date"].to_numpy())
    proposals["refused"] = pd.Series(np.where(proposals["refused"].to_numpy(dtype=object) != "",
                                              proposals["refused"].to_numpy(dtype=object), refusal), dtype="str")
    return proposals.reset_index(drop=True)


def adjustments_rows(proposals: pd.DataFrame) -> pd.DataFrame:
    """Proposals as the Adjustments columns, money still in minor units (``arxl.verbs.charges`` converts)."""
    return proposals[["adjustment_id", "invoice_id", "date", "type", "amount", "reason", "currency"]].copy()
