"""Revaluation: what the open foreign-currency items are worth at the as-of rate against what they were booked at
(the unrealised exchange difference), and the differences that settlements realised in a period.

``revaluation(ledger, as_of, start=None)`` follows these rules (``arxl.fx`` holds the rates and the rounding):

- **Foreign items** are the open items (receivables, instalments, unapplied cash and credits) in a currency other
  than the reporting one, at the as-of date.
- **Booked value** = the open foreign amount x the document's booking rate (its ``fx_rate``, else the FXRates rate
  in force on its date); **value at the as-of rate** = the open foreign amount x the FXRates rate in force on the
  as-of date (what the converted aging shows); **unrealised difference** = value at the as-of rate - booked
  value: positive is a gain (the receivable is worth more reporting currency than was booked), negative a loss.
  It is measured since booking, not since the previous revaluation: to post a month's movement, post the change
  in the total from one month end to the next.
- **Realised difference** of an application dated in the period (a payment or credit note settling an invoice
  of the same foreign currency) = the amount x the source's booking rate - the amount x the invoice's booking
  rate: positive is a gain (the customer paid more reporting-currency value than the invoice was booked at).
  A **cross-currency receipt** (a payment settling an invoice in another currency, either of them foreign)
  compares what the payment gave, in its own currency at its booking rate, with the amount settled at the
  invoice's booking rate: a EUR invoice of 100.00 booked at 1.10 (110.00 USD) settled by 108.00 USD realises
  108.00 - 110.00 = -2.00 USD, a loss. In the summary it counts under the foreign currency of the pair (the
  invoice's, else the payment's).
  The period runs from ``start`` (default: the first day of the as-of month) to the as-of date, both included.
- **Exact arithmetic**: each item and each application is converted exactly and rounded once, half away from
  zero, to the reporting currency's minor unit; every total is a sum of those rounded figures, so the summary,
  the items and the converted aging reconcile to the cent.
- Items whose booking rate is unknown, or whose currency has no rate in force on the as-of date, cannot be
  revalued: they are left out and ``Revaluation.missing`` says which and why.

Money is int64 minor units: ``open_amount`` and ``amount`` in the item's own currency, every other figure in the
reporting currency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dates import day_number, day_numbers
from .fx import booking_rates, convert, rates_on
from .ledger import Ledger
from .settle import Settlement, settle

ITEM_COLUMNS: tuple[str, ...] = (
    "customer_id", "document_id", "instalment", "kind", "currency", "document_date", "due_date", "open_amount",
    "booking_rate", "booked", "as_of_rate", "revalued", "unrealised",
)
"""One row per open foreign item: ``open_amount`` in its currency; booked, revalued and unrealised in the
reporting currency."""

SUMMARY_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "currency", "open_amount", "booked", "revalued", "unrealised", "realised",
)
"""One row per (customer, foreign currency) with an open item or a realised difference in the period."""

REALISED_COLUMNS: tuple[str, ...] = (
    "date", "customer_id", "currency", "source_id", "source_kind", "invoice_id", "amount", "source_rate",
    "invoice_rate", "received", "booked", "realised", "source_currency", "source_amount",
)
"""One row per application in the period involving a foreign document: ``amount`` in the invoice's currency,
``source_amount`` what the payment or credit note gave in its ``source_currency`` (the same unless a
cross-currency receipt); received (``source_amount`` at the source's booking rate), booked (``amount`` at the
invoice's) and realised in the reporting currency."""

_INVOICE_KINDS = ("invoice", "debit_note", "credit_note")


@dataclass(frozen=True, eq=False)
class Revaluation:
    """A revaluation at one date.

    Attributes:
        as_of: the as-of date.
        start: the first day of the period whose realised differences are reported.
        currency: the reporting currency.
        items: every open foreign item revalued (``ITEM_COLUMNS``).
        summary: per customer and currency (``SUMMARY_COLUMNS``), by customer_id then currency.
        realised: the applications of the period (``REALISED_COLUMNS``), by date, customer_id, source, invoice.
        missing: what could not be revalued, one sentence each.
    """

    as_of: dt.date
    start: dt.date
    currency: str
    items: pd.DataFrame
    summary: pd.DataFrame
    realised: pd.DataFrame
    missing: tuple[str, ...]

    def total(self, column: str) -> int:
        """The sum of a reporting-currency column of the summary (booked, revalued, unrealised, realised)."""
        return int(self.summary[column].sum())


def _rates_by_id(ledger: Ledger) -> tuple[pd.Series, pd.Series]:
    """Booking rates by invoice_id and by payment_id (first row where an id repeats)."""
    invoice_rates, payment_rates = booking_rates(ledger)
    by_invoice = pd.Series(invoice_rates, index=ledger.invoices["invoice_id"].to_numpy(dtype=object))
    by_payment = pd.Series(payment_rates, index=ledger.payments["payment_id"].to_numpy(dtype=object))
    return (by_invoice[~by_invoice.index.duplicated()], by_payment[~by_payment.index.duplicated()])


def _rate_of(ids: pd.Series, kinds: pd.Series, by_invoice: pd.Series, by_payment: pd.Series) -> np.ndarray:
    """The booking rate of each document named by (id, kind): an Invoices row for invoices and notes, else a
    Payments row."""
    from_invoices = kinds.isin(_INVOICE_KINDS).to_numpy()
    keys = ids.to_numpy(dtype=object)
    invoice_rate = by_invoice.reindex(keys).to_numpy(dtype=np.float64) if len(keys) else np.zeros(0)
    payment_rate = by_payment.reindex(keys).to_numpy(dtype=np.float64) if len(keys) else np.zeros(0)
    return np.where(from_invoices, invoice_rate, payment_rate)


def revaluation(ledger: Ledger, as_of: dt.date, start: dt.date | None = None, *,
                settlement: Settlement | None = None) -> Revaluation:
    """Revalue the open foreign items at ``as_of`` and list the realised differences from ``start`` (module
    docstring). Pass ``settlement`` (made at ``as_of``) to reuse one."""
    start = as_of.replace(day=1) if start is None else start
    if start > as_of:
        raise ValueError(f"the revaluation period starts ({start}) after the as-of date ({as_of})")
    if settlement is None:
        settlement = settle(ledger, as_of)
    elif settlement.as_of != as_of:
        raise ValueError(f"the settlement is as of {settlement.as_of}, not {as_of}: settle at {as_of} first")
    reporting = ledger.settings.reporting_currency
    by_invoice, by_payment = _rates_by_id(ledger)
    missing: list[str] = []

    items = settlement.open_items
    items = items[(items["currency"] != reporting).to_numpy()].reset_index(drop=True)
    booking = _rate_of(items["document_id"], items["kind"], by_invoice, by_payment)
    currencies = items["currency"].to_numpy(dtype=object)
    current = rates_on(ledger, currencies, day_number(as_of))
    for currency in sorted(set(currencies[np.isnan(current)].tolist())):
        missing.append(f"{currency}: no FXRates rate in force on {as_of.isoformat()}; its open items are not "
                       "revalued")
    unbooked = np.isnan(booking) & ~np.isnan(current)
    for currency in sorted(set(currencies[unbooked].tolist())):
        count = int((unbooked & (currencies == currency)).sum())
        missing.append(f"{currency}: {count} open item(s) without a booking rate (no fx_rate and no FXRates rate "
                       "in force on the document date) are not revalued")
    usable = ~np.isnan(booking) & ~np.isnan(current)
    items, booking, current = items[usable].reset_index(drop=True), booking[usable], current[usable]
    amounts = items["open_amount"].to_numpy(dtype=np.int64)
    booked = convert(amounts, items["currency"], booking, reporting)
    revalued = convert(amounts, items["currency"], current, reporting)
    item_frame = pd.DataFrame({
        "customer_id": items["customer_id"].astype("str"),
        "document_id": items["document_id"].astype("str"),
        "instalment": items["instalment"].astype("str"),
        "kind": items["kind"].astype("str"),
        "currency": items["currency"].astype("str"),
        "document_date": items["document_date"],
        "due_date": items["due_date"],
        "open_amount": amounts,
        "booking_rate": booking.astype(np.float64),
        "booked": booked,
        "as_of_rate": current.astype(np.float64),
        "revalued": revalued,
        "unrealised": revalued - booked,
    }, columns=list(ITEM_COLUMNS))

    realised = _realised(settlement.applications, start, as_of, reporting, by_invoice, by_payment)
    return Revaluation(as_of=as_of, start=start, currency=reporting, items=item_frame,
                       summary=_summary(ledger, item_frame, realised), realised=realised, missing=tuple(missing))


def _realised(applications: pd.DataFrame, start: dt.date, as_of: dt.date, reporting: str, by_invoice: pd.Series,
              by_payment: pd.Series) -> pd.DataFrame:
    day = day_numbers(applications["date"])
    foreign = ((applications["currency"] != reporting) | (applications["source_currency"] != reporting)).to_numpy()
    chosen = applications[(day >= day_number(start)) & (day <= day_number(as_of)) & foreign]
    source_rate = _rate_of(chosen["source_id"], chosen["source_kind"], by_invoice, by_payment)
    invoice_rate = _rate_of(chosen["invoice_id"], chosen["invoice_kind"], by_invoice, by_payment)
    known = ~np.isnan(source_rate) & ~np.isnan(invoice_rate)
    chosen, source_rate, invoice_rate = chosen[known], source_rate[known], invoice_rate[known]
    amounts = chosen["amount"].to_numpy(dtype=np.int64)
    given = chosen["source_amount"].to_numpy(dtype=np.int64)
    received = convert(given, chosen["source_currency"], source_rate, reporting)
    booked = convert(amounts, chosen["currency"], invoice_rate, reporting)
    frame = pd.DataFrame({
        "date": chosen["date"].to_numpy(dtype="datetime64[s]"),
        "customer_id": chosen["customer_id"].astype("str").to_numpy(dtype=object),
        "currency": chosen["currency"].astype("str").to_numpy(dtype=object),
        "source_id": chosen["source_id"].astype("str").to_numpy(dtype=object),
        "source_kind": chosen["source_kind"].astype("str").to_numpy(dtype=object),
        "invoice_id": chosen["invoice_id"].astype("str").to_numpy(dtype=object),
        "amount": amounts,
        "source_rate": source_rate.astype(np.float64),
        "invoice_rate": invoice_rate.astype(np.float64),
        "received": received,
        "booked": booked,
        "realised": received - booked,
        "source_currency": chosen["source_currency"].astype("str").to_numpy(dtype=object),
        "source_amount": given,
    }, columns=list(REALISED_COLUMNS))
    frame = frame.sort_values(["date", "customer_id", "source_id", "invoice_id"], kind="stable", ignore_index=True)
    for column in ("customer_id", "currency", "source_id", "source_kind", "invoice_id", "source_currency"):
        frame[column] = frame[column].astype("str")
    return frame


def _summary(ledger: Ledger, items: pd.DataFrame, realised: pd.DataFrame) -> pd.DataFrame:
    keys = ["customer_id", "currency"]
    open_part = items.groupby(keys, sort=False)[["open_amount", "booked", "revalued", "unrealised"]].sum()
    # A cross-currency receipt counts under the foreign currency of its pair: the invoice's, else the payment's.
    reporting = ledger.settings.reporting_currency
    realised = realised.assign(currency=realised["currency"].where(realised["currency"] != reporting,
                                                                   realised["source_currency"]))
    realised_part = realised.groupby(keys, sort=False)[["realised"]].sum()
    joined = open_part.join(realised_part, how="outer").fillna(0).sort_index().reset_index()
    names = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")["name"]
    result = pd.DataFrame({
        "customer_id": joined["customer_id"].astype("str"),
        "name": joined["customer_id"].map(names).fillna("").astype("str"),
        "currency": joined["currency"].astype("str"),
    })
    for column in SUMMARY_COLUMNS[3:]:
        result[column] = joined[column].to_numpy(dtype=np.int64) if len(joined) else np.zeros(0, dtype=np.int64)
    return result
