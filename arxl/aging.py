"""Aging: days past due and buckets for every open item, and the per-customer aging summary.

DESIGN.md section 3, "Aging": days past due = as-of - due date (basis ``due``) or age = as-of - document date
(basis ``invoice``); buckets ``Current`` (<= 0 days), ``1-e1``, ``e1+1-e2``, ..., ``Over eN``. Every open item
falls in exactly one bucket, so a customer's bucket totals equal its balance.

Choices where DESIGN.md is silent:

- Negative open items (unapplied cash and credit) are not aged into a day bucket: their bucket is
  ``Unapplied`` and the summary shows them as a positive ``Unapplied`` amount; ``Total`` = the sum of the day
  buckets - ``Unapplied`` (the customer's balance). ``days_past_due`` is still filled for them.
- The summary has one row per (customer, currency) with any open item. ``share`` is the row's Total over the
  grand Total of its currency (of all rows once converted), NaN when that grand total is zero.
- ``credit_limit`` is in the customer's currency: it is shown on the row of that currency only (``<NA>``
  elsewhere), and converted like the amounts when ``convert=True``. ``headroom`` = credit_limit - Total.
- Conversion to the reporting currency (``to_reporting_currency``) converts each item into reporting minor
  units at the rate in force on the as-of date (``arxl.fx``: exact, rounding half away from zero), then sums,
  so converted totals reconcile with the converted items and a back-dated aging never moves when a later rate
  is typed. The reporting currency itself has rate 1 whatever FXRates says; a currency without a rate in force
  is a ValueError.
- An invoice with instalments ages instalment by instalment (``arxl.instalments``): one detail row per open
  instalment, with its own due date, days past due and bucket.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from .dates import day_number
from .fx import rates_on, to_reporting_currency
from .ledger import Ledger
from .settle import Settlement, settle

CURRENT = "Current"
UNAPPLIED = "Unapplied"
TOTAL = "Total"
DEFAULT_EDGES: tuple[int, ...] = (30, 60, 90)
BASES: tuple[str, ...] = ("due", "invoice")

DETAIL_EXTRA_COLUMNS: tuple[str, ...] = ("days_past_due", "bucket")
"""Columns ``aging_detail`` adds to ``arxl.settle.OPEN_ITEM_COLUMNS``."""

EDGES_EXPECTED = "ascending whole numbers of days such as 30,60,90"
"""What bucket edges should look like, as every message about them says."""


def parse_edges(edges: str | Iterable[object]) -> tuple[int, ...]:
    """Bucket edges as a tuple of strictly ascending positive ints, from whatever a face hands over.

    Accepts text with ``,`` or ``;`` between the days (spaces and empty parts ignored: ``"30; 60, 90"``), or a
    sequence of ints, floats, Decimals or texts, or a range from Excel (rows of cells; blank cells ignored).
    A number must be a whole number of days (``30.0`` is 30, ``30.5`` is refused); True/False are not days.
    Raises ValueError with a message naming the bad edge. This is the one place the rule lives: the loader's
    Settings ``bucket_edges``, ``arxl report aging --buckets``, the worksheet functions' ``buckets`` and
    ``aging()`` all call it.
    """
    if isinstance(edges, str):
        parts: list[object] = [part.strip() for part in edges.replace(";", ",").split(",")]
    else:
        parts = [cell for row in edges for cell in (row if isinstance(row, list | tuple | np.ndarray) else [row])]
    values = tuple(_edge(part) for part in parts
                   if part is not None and not (isinstance(part, str) and not part.strip()))
    if not values:
        raise ValueError(f"aging bucket edges are empty (expected {EDGES_EXPECTED})")
    if any(later <= earlier for earlier, later in itertools.pairwise(values)):
        raise ValueError(f"aging bucket edges {','.join(map(str, values))} are not strictly ascending "
                         f"(expected {EDGES_EXPECTED})")
    return values


def _edge(value: object) -> int:
    """One edge as a positive int, or a ValueError naming it."""
    number: Decimal | None = None
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        number = Decimal(int(value))
    elif isinstance(value, float | np.floating):
        number = Decimal(repr(float(value)))
    elif isinstance(value, Decimal | str):
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite() or number != number.to_integral_value() or number <= 0:
        shown = f'"{value}"' if isinstance(value, str) else str(value)
        raise ValueError(f"aging bucket edge {shown} is not a positive whole number of days "
                         f"(expected {EDGES_EXPECTED})")
    return int(number)


def bucket_labels(edges: Sequence[int] = DEFAULT_EDGES) -> list[str]:
    """Day-bucket labels for ``edges``: (30, 60, 90) -> Current, 1-30, 31-60, 61-90, Over 90."""
    return _labels(parse_edges(edges))


def _labels(edges: tuple[int, ...]) -> list[str]:
    labels = [CURRENT]
    low = 1
    for edge in edges:
        labels.append(f"{low}-{edge}")
        low = edge + 1
    labels.append(f"Over {edges[-1]}")
    return labels


def _validate_basis(basis: str) -> str:
    if basis not in BASES:
        raise ValueError(f'aging basis "{basis}" is not one of due, invoice')
    return basis


def bucket_index(days_past_due: np.ndarray, edges: Sequence[int]) -> np.ndarray:
    """Index into ``bucket_labels(edges)`` of each day count (0 = Current)."""
    return _index(days_past_due, parse_edges(edges))


def _index(days_past_due: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    days = np.asarray(days_past_due, dtype=np.int64)
    index = np.searchsorted(np.asarray(edges, dtype=np.int64), days, side="left") + 1
    return np.where(days <= 0, 0, index)


def aging_detail(settlement: Settlement, as_of: dt.date | None = None, basis: str = "due",
                 edges: Sequence[int] = DEFAULT_EDGES) -> pd.DataFrame:
    """The settlement's open items plus ``days_past_due`` (int64) and ``bucket`` (a label, or Unapplied).

    ``as_of`` defaults to the settlement's date; another date is refused, since aging one date's balance at
    another date is exactly the mistake an as-of report must not make.
    """
    if as_of is not None and as_of != settlement.as_of:
        raise ValueError(f"the settlement is as of {settlement.as_of}, not {as_of}: settle at {as_of} first")
    return _detail(settlement, _validate_basis(basis), parse_edges(edges))


def _detail(settlement: Settlement, basis: str, edges: tuple[int, ...]) -> pd.DataFrame:
    labels = np.array(_labels(edges), dtype=object)
    detail = settlement.open_items.copy()
    reference = detail["due_date" if basis == "due" else "document_date"].to_numpy()
    days = day_number(settlement.as_of) - reference.astype("datetime64[D]").view(np.int64)
    detail["days_past_due"] = days
    bucket = labels[_index(days, edges)]
    bucket[detail["open_amount"].to_numpy() < 0] = UNAPPLIED
    detail["bucket"] = pd.Series(bucket, index=detail.index, dtype="str")
    return detail


def aging_summary(ledger: Ledger, detail: pd.DataFrame, edges: Sequence[int] = DEFAULT_EDGES, *,
                  convert: bool = False, as_of: dt.date | None = None) -> pd.DataFrame:
    """One row per (customer_id, currency) with any open item (per customer_id once ``convert=True``).

    Columns: customer_id, name, currency, one int64 column per bucket label, Unapplied (positive), Total
    (= buckets - Unapplied), share (float), credit_limit (Int64), headroom (Int64). Items are bucketed from
    their ``days_past_due`` with ``edges``. With ``convert=True`` every item is first converted into
    ``ledger.settings.reporting_currency`` at the rates in force on ``as_of`` (the aging's date; None: the
    latest rates), see the module docstring.
    """
    return _summary(ledger, detail, parse_edges(edges), convert, as_of)


def _summary(ledger: Ledger, detail: pd.DataFrame, edges: tuple[int, ...], convert: bool,
             as_of: dt.date | None = None) -> pd.DataFrame:
    labels = _labels(edges)
    reporting = ledger.settings.reporting_currency
    amount = detail["open_amount"].to_numpy(dtype=np.int64)
    currency = detail["currency"].astype("str")
    if convert:
        amount = to_reporting_currency(ledger, amount, currency, as_of)
        currency = pd.Series(np.full(len(detail), reporting, dtype=object), index=detail.index, dtype="str")
    bucket = _index(detail["days_past_due"].to_numpy(dtype=np.int64), edges)
    unapplied = amount < 0
    columns: dict[str, object] = {"customer_id": detail["customer_id"].astype("str"), "currency": currency}
    for index, label in enumerate(labels):
        columns[label] = np.where((bucket == index) & ~unapplied, amount, 0)
    columns[UNAPPLIED] = np.where(unapplied, -amount, 0)
    grouped = (pd.DataFrame(columns, index=detail.index)
               .groupby(["customer_id", "currency"], sort=True).sum().reset_index())
    total = grouped[labels].to_numpy(dtype=np.int64).sum(axis=1) - grouped[UNAPPLIED].to_numpy(dtype=np.int64)
    grand = pd.Series(total).groupby(grouped["currency"].to_numpy()).transform("sum").to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(grand != 0, total / grand, np.nan)

    customers = ledger.customers
    where = pd.Index(customers["customer_id"]).get_indexer(grouped["customer_id"])
    found = where >= 0
    safe = np.where(found, where, 0)
    name = np.where(found, customers["name"].to_numpy(dtype=object)[safe] if len(customers) else "", "")
    limit = customers["credit_limit"].astype("Int64").take(safe).reset_index(drop=True) if len(customers) \
        else pd.Series(pd.NA, index=range(len(grouped)), dtype="Int64")
    limit_currency = pd.Series(customers["currency"].to_numpy(dtype=object)[safe] if len(customers)
                               else np.full(len(grouped), reporting, dtype=object), dtype="str")
    limit[~found] = pd.NA
    if convert:
        # A limit in a currency with no rate in force (the customer's documents are all in other currencies)
        # cannot be compared with the converted balance: it is left blank, like a limit in another currency.
        rated = ~np.isnan(rates_on(ledger, limit_currency.to_numpy(dtype=object), day_number(as_of))) \
            if as_of is not None else limit_currency.isin([reporting, *ledger.fx_rates["currency"]]).to_numpy()
        present = limit.notna().to_numpy() & rated
        converted = to_reporting_currency(ledger, limit[present].to_numpy(dtype=np.int64), limit_currency[present],
                                          as_of)
        limit[~rated] = pd.NA
        limit[present] = converted
    else:
        limit[(limit_currency != grouped["currency"]).to_numpy()] = pd.NA

    result = pd.DataFrame({
        "customer_id": grouped["customer_id"].astype("str"),
        "name": pd.Series(name, dtype="str"),
        "currency": grouped["currency"].astype("str"),
    })
    for label in labels:
        result[label] = grouped[label].to_numpy(dtype=np.int64)
    result[UNAPPLIED] = grouped[UNAPPLIED].to_numpy(dtype=np.int64)
    result[TOTAL] = total
    result["share"] = share
    result["credit_limit"] = limit.to_numpy()
    result["credit_limit"] = result["credit_limit"].astype("Int64")
    result["headroom"] = result["credit_limit"] - result[TOTAL]
    return result


@dataclass(frozen=True, eq=False)
class AgingReport:
    """An aging at one date.

    Attributes:
        as_of: the as-of date.
        basis: ``due`` or ``invoice``.
        labels: the day-bucket labels (``Unapplied`` and ``Total`` follow them in the summary).
        detail: ``aging_detail`` of the settlement.
        summary: ``aging_summary`` of the detail.
    """

    as_of: dt.date
    basis: str
    labels: list[str]
    detail: pd.DataFrame
    summary: pd.DataFrame


def aging(ledger: Ledger, as_of: dt.date, *, basis: str | None = None, edges: Sequence[int] | None = None,
          convert: bool = False, settlement: Settlement | None = None) -> AgingReport:
    """Settle ``ledger`` at ``as_of`` and age it; basis and edges default to the ledger's Settings.

    Pass ``settlement`` (made at the same date) to reuse one already computed. The edges are checked once
    (``parse_edges``), here.
    """
    basis = _validate_basis(ledger.settings.aging_basis if basis is None else basis)
    valid_edges = parse_edges(ledger.settings.bucket_edges if edges is None else edges)
    if settlement is None:
        settlement = settle(ledger, as_of)
    elif settlement.as_of != as_of:
        raise ValueError(f"the settlement is as of {settlement.as_of}, not {as_of}: settle at {as_of} first")
    detail = _detail(settlement, basis, valid_edges)
    summary = _summary(ledger, detail, valid_edges, convert, as_of)
    return AgingReport(as_of=as_of, basis=basis, labels=_labels(valid_edges), detail=detail, summary=summary)
