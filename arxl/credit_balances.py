"""Credit balances: every open credit (unapplied cash, unapplied credit notes) at an as-of date, how old and how
dormant it is, and what to do with it (the ``Credits`` sheet, ``arxl report credits``).

Not to be confused with ``arxl.credit`` (credit *standing*: limits, holds, risk grades; the ``Credit`` sheet):
this module is about money the company owes its customers.

``credit_balances(ledger, as_of)`` gives one row per open credit (``CREDIT_BALANCE_COLUMNS``), by customer,
currency, date, id. Rules (where the issue and DESIGN.md are silent, the choice is written here):

- **An open credit** is an open item of kind ``payment`` or ``credit_note`` (its open amount is negative);
  ``credit`` is its size, positive (what the customer is owed), in its own currency.
- **Age** is the as-of date minus the credit's own date, in days. **Last activity** is the latest date anything
  touched the credit, on or before the as-of date: its own date, an application of it, a refund of it, a write-off
  of it (an Adjustments row naming it), or an Activity row naming it. **Dormant days** = as-of - last activity.
- **The proposed action**, the first that holds:

  1. ``write off``: the credit is a residue at or below Settings ``write_off_tolerance`` that ``arxl
     small-balances`` proposes (``arxl.small_balances``: something of it was applied already);
  2. ``apply``: the customer has open receivables (invoices, debit notes) in the credit's currency, or, for a
     payment, in a currency FXRates converts on the as-of date: the detail names the oldest ones (an account
     kept with auto-apply off, a disputed invoice, or an invoice in another currency);
  3. ``escheat review``: untouched for at least Settings ``escheat_after_years`` years (last activity on or
     before the as-of date that many years back; 0 never flags): unclaimed property may have to be reported
     to the state rather than refunded or kept;
  4. ``refund``: pay it back (a Payments row of type refund naming it).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .arrays import member
from .dates import day_number, day_numbers, days_to_datetimes
from .fx import rates_on
from .ledger import Ledger
from .settle import Settlement, settle
from .small_balances import small_balance_proposals

WRITE_OFF, APPLY, ESCHEAT, REFUND = "write off", "apply", "escheat review", "refund"
ACTIONS: tuple[str, ...] = (WRITE_OFF, APPLY, ESCHEAT, REFUND)
"""The proposed actions, in the order they are tried."""

CREDIT_BALANCE_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "document_id", "kind", "currency", "document_date", "original", "credit", "age_days",
    "last_activity", "dormant_days", "action", "detail",
)
"""One open credit: ``original`` is the document's own size and ``credit`` what is still unapplied (both positive
minor units of ``currency``), ``age_days`` and ``dormant_days`` whole days, ``action`` one of ``ACTIONS`` and
``detail`` why (the invoices to apply it to, the tolerance, the years dormant)."""

_LISTED = 3  # receivables named in an "apply" detail


def credit_balances(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None) -> pd.DataFrame:
    """Every open credit at ``as_of`` with its age, last activity and proposed action (module docstring)."""
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    items = settlement.open_items
    credits = items[items["kind"].isin(["payment", "credit_note"]).to_numpy()
                    & (items["open_amount"] < 0).to_numpy()].reset_index(drop=True)
    if credits.empty:
        return _empty()
    today = day_number(as_of)
    own_day = day_numbers(credits["document_date"])
    last = np.maximum(own_day, _last_touched(ledger, settlement, credits["document_id"], today))
    names = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")["name"]

    small = small_balance_proposals(ledger, as_of, settlement=settlement)
    written_off = member(credits["document_id"], small["invoice_id"]).to_numpy()
    open_to_apply = _receivables_to_apply(ledger, items, credits, as_of)
    years = int(ledger.settings.escheat_after_years)
    dormant = np.zeros(len(credits), dtype=bool)
    if years > 0:
        cutoff = day_number(_years_before(as_of, years))
        dormant = last <= cutoff
    action = np.select([written_off, open_to_apply != "", dormant], [WRITE_OFF, APPLY, ESCHEAT], REFUND)
    reporting = ledger.settings.reporting_currency
    from .money import format_plain

    tolerance = f"{format_plain(int(ledger.settings.write_off_tolerance), reporting)} {reporting}"
    detail = np.select(
        [written_off, open_to_apply != "", dormant],
        [f"at or below write_off_tolerance {tolerance}: arxl small-balances proposes it",
         "to " + open_to_apply,
         f"untouched for {years} year(s) or more: check unclaimed-property rules before refunding"],
        "pay it back: a Payments row of type refund naming it")
    return pd.DataFrame({
        "customer_id": credits["customer_id"].astype("str"),
        "name": credits["customer_id"].map(names).fillna("").astype("str"),
        "document_id": credits["document_id"].astype("str"),
        "kind": credits["kind"].astype("str"),
        "currency": credits["currency"].astype("str"),
        "document_date": credits["document_date"].to_numpy(dtype="datetime64[s]"),
        "original": (-credits["original"]).to_numpy(dtype=np.int64),
        "credit": (-credits["open_amount"]).to_numpy(dtype=np.int64),
        "age_days": (today - own_day).astype(np.int64),
        "last_activity": days_to_datetimes(last),
        "dormant_days": (today - last).astype(np.int64),
        "action": pd.Series(action, dtype="str"),
        "detail": pd.Series(detail, dtype="str"),
    }, columns=list(CREDIT_BALANCE_COLUMNS))


def _empty() -> pd.DataFrame:
    dtypes = {"document_date": "datetime64[s]", "last_activity": "datetime64[s]", "original": "int64",
              "credit": "int64", "age_days": "int64", "dormant_days": "int64"}
    return pd.DataFrame({column: pd.Series(dtype=dtypes.get(column, "str")) for column in CREDIT_BALANCE_COLUMNS})


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _last_touched(ledger: Ledger, settlement: Settlement, ids: pd.Series, today: int) -> np.ndarray:
    """Per credit id: the latest day, on or before ``today``, of its applications (refunds included), of the
    Adjustments rows and Activity rows naming it (``NAT_DAY``-like minimum where none)."""
    latest = pd.Series(np.iinfo(np.int64).min, index=pd.Index(ids.astype(object)), dtype=np.int64)
    applications = settlement.applications
    sources = [(applications["source_id"], day_numbers(applications["date"]))]
    for frame, column in ((ledger.adjustments, "date"), (ledger.activity, "date")):
        if len(frame):
            sources.append((frame["invoice_id"], day_numbers(frame[column])))
    for named, days in sources:
        mine = member(named, ids).to_numpy() & (days <= today)
        if mine.any():
            found = pd.Series(days[mine], index=named[mine].astype(object).to_numpy()).groupby(level=0).max()
            latest = np.maximum(latest, found.reindex(latest.index).fillna(latest).astype(np.int64))
    return latest.to_numpy(dtype=np.int64)


def _receivables_to_apply(ledger: Ledger, items: pd.DataFrame, credits: pd.DataFrame, as_of: dt.date
                          ) -> np.ndarray:
    """Per credit: the open receivables of its customer it could settle, oldest due first ("" for none): in its
    own currency, or for a payment in any currency with an FXRates rate on the as-of date (both sides)."""
    owed = items[items["kind"].isin(["invoice", "debit_note"]).to_numpy() & (items["open_amount"] > 0).to_numpy()]
    result = np.full(len(credits), "", dtype=object)
    if owed.empty:
        return result
    owed = owed.sort_values(["customer_id", "due_date", "document_date", "document_id"], kind="stable")
    currencies = pd.unique(pd.concat([owed["currency"], credits["currency"]]).to_numpy(dtype=object))
    rated = currencies[~np.isnan(rates_on(ledger, currencies, day_number(as_of)))]
    pairs = pd.DataFrame({"credit": np.arange(len(credits)),
                          "customer_id": credits["customer_id"].to_numpy(object),
                          "currency": credits["currency"].to_numpy(object),
                          "kind": credits["kind"].to_numpy(object)})
    pairs = pairs.merge(pd.DataFrame({"customer_id": owed["customer_id"].to_numpy(object),
                                      "owed_currency": owed["currency"].to_numpy(object),
                                      "document_id": owed["document_id"].to_numpy(object),
                                      "order": np.arange(len(owed))}), on="customer_id")
    usable = (pairs["currency"] == pairs["owed_currency"]) | (
        (pairs["kind"] == "payment") & pairs["owed_currency"].isin(rated) & pairs["currency"].isin(rated))
    pairs = pairs[usable.to_numpy()].sort_values(["credit", "order"], kind="stable")
    if pairs.empty:
        return result
    count = pairs.groupby("credit").size()
    shown = pairs.groupby("credit").head(_LISTED).groupby("credit")["document_id"].agg(", ".join)
    text = [f"{listed}{f' and {total - _LISTED} more' if total > _LISTED else ''} "
            f"(open {'invoice' if total == 1 else 'invoices'})"
            for listed, total in zip(shown.to_numpy(), count.reindex(shown.index).to_numpy(), strict=True)]
    result[shown.index.to_numpy()] = text
    return result
