"""Receivables metrics at an as-of date: DSO (average and countback), best possible DSO, ADD, CEI, turnover,
percent current and over the last edge; customers' payment behaviour; a monthly series.

Definitions (DESIGN.md section 3, "Metrics"): the period is the P days ending at the as-of date (documents dated
after as-of - P and on or before as-of); credit sales = invoices and debit notes dated in the period net of
credit notes; AR = the sum of all open items, unapplied cash netted; current AR = the open amounts of
receivables not yet past due (due date on or after the as-of date; unapplied credits are not in it); beginning
AR = AR as of as-of - P.

- DSO (average) = AR / credit sales x P; best possible DSO (BPDSO) = current AR / credit sales x P;
  average days delinquent (ADD) = DSO - BPDSO.
- DSO (countback): ``dso_countback`` walks calendar months back from the as-of month (which counts from its
  first day to the as-of date).
- CEI = (beginning AR + credit sales - AR) / (beginning AR + credit sales - current AR) x 100.
- AR turnover = credit sales / ((beginning AR + AR) / 2), for the period (not annualised).

Choices where DESIGN.md is silent:

- Every amount is converted into the reporting currency item by item before it is summed (``arxl.fx``): open
  items at the rates in force on the date they are measured at (AR at the as-of date, beginning AR at as-of - P),
  credit sales at each document's booking rate, so a back-dated figure never moves when a later rate is typed.
  ``Metrics`` money is int minor units of the reporting currency.
- Where a due date matters (current AR, percent current and over the last edge, days late and on-time share),
  an invoice with instalments counts instalment by instalment, each with its own due date and open amount.
- A ratio whose denominator is zero is ``None`` (never inf or NaN); in ``monthly_series`` such a DSO is NaN.
  Negative figures (more credit notes than invoices in the period) are returned as computed.
- ``dso_countback`` returns 0.0 when AR is zero or negative, and None when the sales history runs out before
  the AR does; ``compute_metrics`` gives it every month back to the first invoice.
- Current AR is always by due date ("not yet past due"); ``pct_current`` and ``pct_over_last`` follow the aging
  basis and edges and are percentages (0-100) of the gross receivables (positive open items), so that they
  describe what is owed without unapplied cash distorting them.
- Payment behaviour counts payments applied to invoices and debit notes (not credit notes, not reopened
  reversals), per (customer, currency), weighted by the amount applied; days late can be negative (early).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .aging import parse_edges
from .arrays import dense_codes, sort_order, text_column
from .dates import day_number, days_to_datetimes
from .errors import NotConvertible
from .fx import (
    booking_rates_coded,
    convert,
    convert_coded,
    convertible,
    first_rates,
    unconvertible_message,
)
from .ledger import Ledger
from .settle import (
    KINDS,
    PreparedLedger,
    SettledArrays,
    applied_dues,
    open_dues,
    prepared_ledger,
    settle_arrays,
)

_PAYMENT = KINDS.index("payment")
_INVOICE = KINDS.index("invoice")
_DEBIT_NOTE = KINDS.index("debit_note")

PAYMENT_BEHAVIOUR_COLUMNS: tuple[str, ...] = (
    "customer_id", "currency", "paid_amount", "avg_days_to_pay", "avg_days_late", "on_time_share",
)
MONTHLY_SERIES_COLUMNS: tuple[str, ...] = ("month_end", "ar", "credit_sales", "dso")
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Metrics:
    """Receivables metrics at one date, money in int minor units of ``currency`` (the reporting currency).

    Ratios are floats, None where their denominator is zero; ``pct_*`` are percentages (0-100).
    """

    as_of: dt.date
    currency: str
    period_days: int
    ar: int
    current_ar: int
    beginning_ar: int
    credit_sales: int
    dso: float | None
    dso_countback: float | None
    bpdso: float | None
    add: float | None
    cei: float | None
    turnover: float | None
    pct_current: float | None
    pct_over_last: float | None


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def dso_countback(ending_ar: int | float, monthly_sales_latest_first: Sequence[int | float],
                  month_days: Sequence[int]) -> float | None:
    """Countback DSO: consume whole months of credit sales (latest first) from the ending AR while they fit.

    Each month consumed whole adds its days; the month where the AR runs out adds (remaining AR / that month's
    sales) x its days. 212,000 against 100,000, 80,000, 70,000 over 30-day months gives
    30 + 30 + 32,000 / 70,000 x 30 = 73.71. Returns 0.0 when the AR is zero or negative and None when the
    months run out first.
    """
    remaining = ending_ar
    if remaining <= 0:
        return 0.0
    days = 0.0
    for sales, length in zip(monthly_sales_latest_first, month_days, strict=True):
        if sales > remaining:
            return days + remaining / sales * length
        remaining -= sales
        days += length
        if remaining == 0:
            return days
    return None


def _ar(ledger: Ledger, prepared: PreparedLedger, core: SettledArrays
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(document, due day, open amount in the reporting currency at the settlement's date) of every open item:
    a document, or each open instalment of one that has them."""
    rows, dues, amounts = open_dues(prepared, core)
    return rows, dues, convert_coded(ledger, amounts, prepared.doc_currency[rows], prepared.currencies,
                                     core.as_of)


def _booked_sales(ledger: Ledger, prepared: PreparedLedger, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The Invoices amounts of ``rows`` at their booking rates, in reporting-currency minor units, and the
    currencies with no rate at all (their amounts are left as 0: ``_Sales.between`` refuses a period with one)."""
    amounts = prepared.doc_original[rows]
    currencies = np.asarray(prepared.currencies.to_pylist(), dtype=object)
    reporting = ledger.settings.reporting_currency
    codes = prepared.doc_currency[rows]
    if not (currencies != reporting).any():
        return amounts, []
    typed = ledger.invoices["fx_rate"].to_numpy(dtype=np.float64)[rows]
    rates = booking_rates_coded(ledger, codes, currencies, prepared.doc_date[rows], typed)
    # A document dated before its currency's first rate, with no fx_rate of its own, has no booking rate (the
    # loader warns): its sale counts at the currency's first rate, the nearest one known.
    rates = np.where(np.isnan(rates), first_rates(ledger, currencies)[codes], rates)
    converted = amounts.copy()
    missing = []
    for code, currency in enumerate(currencies.tolist()):
        if currency == reporting:
            continue
        foreign = np.flatnonzero(codes == code)
        if np.isnan(rates[foreign]).any():
            missing.append(currency)
            converted[foreign] = 0
            continue
        converted[foreign] = convert(amounts[foreign], currency, rates[foreign], reporting)
    return converted, missing


class _Sales:
    """Signed Invoices amounts in the reporting currency (at their booking rates), sorted by date, for period
    sums. A currency with no rate at all counts nothing: a period holding one of its sales is refused."""

    def __init__(self, ledger: Ledger, prepared: PreparedLedger):
        rows = sort_order([prepared.doc_date[: prepared.n_invoices]])
        self.days = prepared.doc_date[rows]
        converted, self.missing = _booked_sales(ledger, prepared, rows)
        self.running = np.r_[0, np.cumsum(converted)]
        missing_codes = [index for index, currency in enumerate(prepared.currencies.to_pylist())
                         if currency in self.missing]
        unconverted = np.isin(prepared.doc_currency[rows], missing_codes)
        self.unconverted = np.r_[0, np.cumsum(unconverted)]
        self.reporting = ledger.settings.reporting_currency

    @classmethod
    def of(cls, ledger: Ledger, prepared: PreparedLedger) -> _Sales:
        """The sales of a prepared ledger, built once."""
        sales = prepared.derived.get("sales")
        if not isinstance(sales, _Sales):
            sales = prepared.derived["sales"] = cls(ledger, prepared)
        return sales

    def between(self, after: int, until: int) -> int:
        """Credit sales dated after day ``after`` and on or before day ``until``."""
        low = np.searchsorted(self.days, after, side="right")
        high = np.searchsorted(self.days, until, side="right")
        if self.unconverted[high] != self.unconverted[low]:
            named = ", ".join(self.missing)
            raise NotConvertible(f"{named} {'has' if len(self.missing) == 1 else 'have'} no exchange rate, so "
                                 f"credit sales cannot be added up in {self.reporting}: add a row for {named} to "
                                 "the FXRates table")
        return int(self.running[high] - self.running[low])


class _Balances:
    """The documents' running balance by date, which is AR when every document is in the reporting currency.

    An application takes the same amount off a source and a receivable of one currency, so however cash is
    applied the open items of a currency add up to its documents: originals dated on or before the date plus
    the adjustments in force (a reversal's reduction of its payment nets out: it adjusts the reversal and the
    payment by opposite amounts from the reversal's date). When conversion is the identity, AR at any date is
    therefore a running sum, and the month ends need no settlement of their own.
    """

    def __init__(self, prepared: PreparedLedger):
        days = np.concatenate([prepared.doc_date, prepared.adjustment_exists_from])
        amounts = np.concatenate([prepared.doc_original, prepared.adjustment_effect])
        order = np.argsort(days, kind="stable")  # timsort: fast on documents entered roughly by date
        self.days = days[order]
        self.running = np.r_[0, np.cumsum(amounts[order])]

    @classmethod
    def of(cls, ledger: Ledger, prepared: PreparedLedger) -> _Balances | None:
        """The balances of a prepared ledger, built once; None when a document is in another currency."""
        reporting = ledger.settings.reporting_currency
        if any(currency != reporting for currency in prepared.currencies.to_pylist()):
            return None
        balances = prepared.derived.get("balances")
        if not isinstance(balances, _Balances):
            balances = prepared.derived["balances"] = cls(prepared)
        return balances

    def at(self, day: int) -> int:
        """The balance of the documents at the end of day ``day``."""
        return int(self.running[np.searchsorted(self.days, day, side="right")])


def _ar_total(ledger: Ledger, prepared: PreparedLedger, as_of: dt.date) -> int:
    """AR at ``as_of`` in reporting-currency minor units: the sum of ``_ar``, settling only when conversion
    rounds item by item."""
    balances = _Balances.of(ledger, prepared)
    if balances is not None:
        return balances.at(day_number(as_of))
    _, _, amounts = _ar(ledger, prepared, settle_arrays(prepared, as_of, auto_apply=ledger.settings.auto_apply))
    return int(amounts.sum())


def _month_start(day: dt.date, back: int) -> dt.date:
    months = day.year * 12 + day.month - 1 - back
    return dt.date(months // 12, months % 12 + 1, 1)


def compute_metrics(ledger: Ledger, as_of: dt.date, *, period_days: int | None = None,
                    edges: Sequence[int] | None = None, basis: str | None = None) -> Metrics:
    """The metrics of the module docstring at ``as_of``; period, edges and basis default to the Settings.

    Raises ``arxl.errors.NotConvertible`` (a ValueError saying why) when a currency of the documents has no
    exchange rate in force on ``as_of`` or at the period's start: the metrics add every amount up in the
    reporting currency."""
    period = int(period_days if period_days is not None else ledger.settings.dso_period_days)
    if period <= 0:
        raise ValueError(f"the DSO period must be a positive number of days, not {period}")
    edges = parse_edges(ledger.settings.bucket_edges if edges is None else edges)
    basis = ledger.settings.aging_basis if basis is None else basis
    if basis not in ("due", "invoice"):
        raise ValueError(f'aging basis "{basis}" is not one of due, invoice')
    for measured in (as_of, as_of - dt.timedelta(days=period)):  # AR, and beginning AR
        why = unconvertible_message(ledger, measured)
        if why is not None:
            raise NotConvertible(why)
    prepared = prepared_ledger(ledger)
    day = day_number(as_of)
    rows, dues, amounts = _ar(ledger, prepared, settle_arrays(prepared, as_of,
                                                              auto_apply=ledger.settings.auto_apply))
    ar, beginning_ar = int(amounts.sum()), _ar_total(ledger, prepared, as_of - dt.timedelta(days=period))
    positive = amounts > 0
    current_ar = int(amounts[positive & (dues >= day)].sum())
    aged_from = dues if basis == "due" else prepared.doc_date[rows]
    age = day - aged_from
    gross = int(amounts[positive].sum())
    pct_current = _ratio(100.0 * int(amounts[positive & (age <= 0)].sum()), gross)
    pct_over_last = _ratio(100.0 * int(amounts[positive & (age > edges[-1])].sum()), gross)

    sales = _Sales.of(ledger, prepared)
    credit_sales = sales.between(day - period, day)
    dso = _ratio(ar * period, credit_sales)
    bpdso = _ratio(current_ar * period, credit_sales)

    first = _EPOCH + dt.timedelta(days=int(sales.days[0])) if len(sales.days) else as_of
    months_back = max(0, (as_of.year - first.year) * 12 + as_of.month - first.month)
    monthly, lengths = [], []
    for back in range(months_back + 1):
        start = _month_start(as_of, back)
        end = as_of if back == 0 else dt.date(start.year, start.month,
                                               calendar.monthrange(start.year, start.month)[1])
        monthly.append(sales.between(day_number(start) - 1, day_number(end)))
        lengths.append((end - start).days + 1)
    collected = beginning_ar + credit_sales
    return Metrics(
        as_of=as_of,
        currency=ledger.settings.reporting_currency,
        period_days=period,
        ar=ar,
        current_ar=current_ar,
        beginning_ar=beginning_ar,
        credit_sales=credit_sales,
        dso=dso,
        dso_countback=dso_countback(ar, monthly, lengths),
        bpdso=bpdso,
        add=None if dso is None or bpdso is None else dso - bpdso,
        cei=_ratio(100.0 * (collected - ar), collected - current_ar),
        turnover=_ratio(credit_sales, (beginning_ar + ar) / 2),
        pct_current=pct_current,
        pct_over_last=pct_over_last,
    )


def month_ends(as_of: dt.date, months: int = 12) -> list[dt.date]:
    """The last ``months`` month ends up to ``as_of``, oldest first, the last one being ``as_of`` itself."""
    if months <= 0:
        raise ValueError(f"the number of months must be positive, not {months}")
    ends = []
    for back in range(months - 1, 0, -1):
        start = _month_start(as_of, back)
        ends.append(dt.date(start.year, start.month, calendar.monthrange(start.year, start.month)[1]))
    return [*ends, as_of]


def monthly_series(ledger: Ledger, as_of: dt.date, months: int = 12, *, period_days: int | None = None
                   ) -> pd.DataFrame:
    """AR, credit sales (the P days ending at each date) and average DSO at each of ``month_ends``.

    Columns ``MONTHLY_SERIES_COLUMNS``; money in reporting-currency minor units (nullable ``Int64``: missing at
    a month end when a currency of the documents then has no exchange rate in force); dso NaN where credit
    sales are zero or AR is missing.
    """
    period = int(period_days if period_days is not None else ledger.settings.dso_period_days)
    if period <= 0:
        raise ValueError(f"the DSO period must be a positive number of days, not {period}")
    prepared = prepared_ledger(ledger)
    ends = month_ends(as_of, months)
    ar_values: list[int | None] = []
    sales_values: list[int | None] = []
    dso_values: list[float] = []
    sales = _Sales.of(ledger, prepared)
    for end in ends:
        if not convertible(ledger, end):
            ar_values.append(None)  # a currency with no rate in force then: no total in the reporting currency
            sales_values.append(None)
            dso_values.append(np.nan)
            continue
        ar = _ar_total(ledger, prepared, end)
        credit_sales = sales.between(day_number(end) - period, day_number(end))
        ar_values.append(ar)
        sales_values.append(credit_sales)
        dso = _ratio(ar * period, credit_sales)
        dso_values.append(np.nan if dso is None else dso)
    return pd.DataFrame({
        "month_end": days_to_datetimes(np.array([day_number(end) for end in ends], dtype=np.int64)),
        "ar": pd.array(ar_values, dtype="Int64"),
        "credit_sales": pd.array(sales_values, dtype="Int64"),
        "dso": np.array(dso_values, dtype=np.float64),
    })


def payment_behaviour(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Per (customer_id, currency): cash applied to invoices and debit notes up to ``as_of``, and how it came.

    Columns ``PAYMENT_BEHAVIOUR_COLUMNS``: paid_amount (minor units), avg_days_to_pay (application date -
    invoice date) and avg_days_late (application date - due date), both weighted by amount, and on_time_share
    (share of the amount applied on or before the due date). An invoice with instalments is paid instalment by
    instalment: each piece of an application is late against the due date of the instalment it settled.
    """
    prepared = prepared_ledger(ledger)
    core = settle_arrays(prepared, as_of, auto_apply=ledger.settings.auto_apply)
    application, due, amount = applied_dues(prepared, core)
    source, target = core.application_source[application], core.application_target[application]
    target_kind = prepared.doc_kind[target]
    keep = (prepared.doc_kind[source] == _PAYMENT) & ((target_kind == _INVOICE) | (target_kind == _DEBIT_NOTE))
    source, target, due = source[keep], target[keep], due[keep]
    amount, date = amount[keep], core.application_date[application][keep]
    slot, groups = dense_codes(prepared.group_of[target])
    paid = np.zeros(len(groups), dtype=np.int64)
    to_pay = np.zeros(len(groups), dtype=np.int64)
    late = np.zeros(len(groups), dtype=np.int64)
    on_time = np.zeros(len(groups), dtype=np.int64)
    np.add.at(paid, slot, amount)
    np.add.at(to_pay, slot, amount * (date - prepared.doc_date[target]))
    np.add.at(late, slot, amount * (date - due))
    np.add.at(on_time, slot, np.where(date <= due, amount, 0))
    width = max(len(prepared.currencies), 1)
    return pd.DataFrame({
        "customer_id": text_column(prepared.customers, groups // width),
        "currency": text_column(prepared.currencies, groups % width),
        "paid_amount": paid,
        "avg_days_to_pay": to_pay / paid,
        "avg_days_late": late / paid,
        "on_time_share": on_time / paid,
    }, columns=list(PAYMENT_BEHAVIOUR_COLUMNS))

