"""Finance: finance charges on overdue balances, the cost of early-payment discounts, instalment plans.

The one implementation of each calculation; ``arxl.verbs.functions`` calls these for the worksheet functions.

**Finance charges** (``finance_charges``), proposed as Adjustments rows of type ``finance_charge``:

- Simple interest at the monthly rate x 12 a year, actual/365, per day, on each day's **overdue balance** of
  an invoice or debit note: its open amount that day as the application ledger and the adjustments in force at
  the as-of date give it (``arxl.settle``: each application and adjustment changes the balance from its own
  date). Interest is summed over the day segments between those dates - a payment on day p stops interest on
  what it paid from the day after p - so it runs on the declining balance, never on the original amount.
- Interest starts ``finance_charge_grace_days`` after the due date. Finance charges already raised are part of
  the overdue balance, so interest keeps running on an unpaid charge after the principal is paid; and an
  invoice paid late inside the period is charged for the days it was overdue, though it is no longer open.
- **Period**: from the later of ``since`` (default: the last day of the month before the as-of month, so a run
  charges the month to date), the start of interest and the date of the invoice's latest finance charge, to the
  as-of date. So a charge is never raised twice for the same days: a second run at the same date finds the
  first run's charge (dated the as-of date) and proposes nothing, and a proposal whose id
  ``FC-<as_of>-<invoice_id>`` is already in the Adjustments table is never repeated.
- Disputed invoices (status, or an open Activity dispute at the as-of date) are not charged. A charge is
  quantised to the minor unit, half away from zero, and raised only when it reaches Settings
  ``finance_charge_minimum`` ("the smallest finance charge worth raising", in the reporting currency; compared
  after conversion through FXRates when the invoice's currency has a rate).

**Discount cost** (``discount_cost``): not taking d/t net n costs d/(1-d) x 365/(n-t) simple, and
(1 + d/(1-d))^(365/(n-t)) - 1 effective a year (2/10 net 30: 37.24% and 44.59%).

**Instalment plans** (``instalment_plan``): numpy-financial's ipmt/ppmt at the annual rate / 12, quantised to
cents at once: interest half away from zero, principal by largest remainder so the principal adds up to the
balance exactly; payment = interest + principal (so it can differ from the level annuity by a cent) and the
last balance is exactly 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy_financial as npf
import pandas as pd

from .arrays import group_first
from .dates import day_number, day_numbers, days_to_datetimes
from .fx import rates_on, to_reporting_currency
from .ledger import Ledger
from .money import floats_to_minor
from .receivables import disputed_mask
from .settle import Settlement, settle

DAYS_A_YEAR = 365
CHARGEABLE_TYPES: tuple[str, ...] = ("invoice", "debit_note")

CHARGE_COLUMNS: tuple[str, ...] = (
    "adjustment_id", "invoice_id", "date", "type", "amount", "reason", "customer_id", "currency",
    "period_start", "days", "average_balance",
)
"""A proposed finance charge: the Adjustments columns (adjustment_id .. reason; ``amount`` in minor units of the
invoice's ``currency``), then for review the first day charged is the day after ``period_start``, the
``days`` charged and the ``average_balance`` (minor units, float) over them."""

PLAN_COLUMNS: tuple[str, ...] = ("period", "due_date", "payment", "interest", "principal", "balance")


# --- interest -------------------------------------------------------------------------------------------------

def interest(balance_days: np.ndarray | int, monthly_rate: float) -> np.ndarray:
    """Simple interest on ``balance_days`` (minor units x days) at ``monthly_rate``, actual/365, rounded half
    away from zero to whole minor units: 100000 cents over 45 days at 1.5% = 4,500,000 x 0.18 / 365 = 2219.

    Exact: the rate is taken as the decimal it was typed as (its shortest repr), and the product is an exact
    fraction of Python integers before the one rounding, so a charge that is exactly half a cent rounds up.
    """
    if monthly_rate < 0:
        raise ValueError(f"the monthly finance-charge rate must not be negative, not {monthly_rate:g}")
    numerator, denominator = Decimal(repr(float(monthly_rate))).as_integer_ratio()
    numerator *= 12
    denominator *= DAYS_A_YEAR
    exact = np.atleast_1d(np.asarray(balance_days, dtype=np.int64)).astype(object) * numerator
    magnitude = (2 * np.abs(exact) + denominator) // (2 * denominator)
    return np.where(exact < 0, -magnitude, magnitude).astype(np.int64)


def finance_charge_amount(balance: int, days_overdue: int, monthly_rate: float, grace_days: int = 0,
                          minimum: int = 0) -> int:
    """The charge on a balance (minor units) that stayed overdue ``days_overdue`` days: interest on the days
    beyond the grace period; 0 on a balance of zero or less, within the grace period, or below ``minimum``."""
    if grace_days < 0 or minimum < 0:
        raise ValueError("grace days and the minimum charge must not be negative")
    days = int(days_overdue) - int(grace_days)
    if balance <= 0 or days <= 0:
        return 0
    charge = int(interest(int(balance) * days, monthly_rate)[0])
    return charge if charge >= max(int(minimum), 1) else 0


def _period_floor(as_of: dt.date) -> dt.date:
    return as_of.replace(day=1) - dt.timedelta(days=1)


def finance_charges(ledger: Ledger, as_of: dt.date, *, since: dt.date | None = None,
                    settlement: Settlement | None = None) -> pd.DataFrame:
    """Finance charges to raise at ``as_of`` as Adjustments rows (``CHARGE_COLUMNS``; rules above).

    ``since`` is the day before the first day the run may charge (default: the last day of the previous month).
    """
    settings = ledger.settings
    rate = float(settings.finance_charge_rate)
    empty = pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in zip(CHARGE_COLUMNS, (
        "str", "str", "datetime64[s]", "str", "int64", "str", "str", "str", "datetime64[s]", "int64", "float64"),
        strict=True)})
    if rate <= 0:
        return empty
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    today = day_number(as_of)
    floor = day_number(since if since is not None else _period_floor(as_of))

    invoices = ledger.invoices
    chargeable = invoices[invoices["type"].isin(CHARGEABLE_TYPES).to_numpy() & (invoices["amount"] > 0).to_numpy()
                          & (day_numbers(invoices["invoice_date"]) <= today)].reset_index(drop=True)
    as_items = chargeable.rename(columns={"invoice_id": "document_id"})
    chargeable = chargeable[~disputed_mask(ledger, as_of, as_items)]
    adjustments = ledger.adjustments
    adjustment_day = day_numbers(adjustments["date"])
    charged = adjustments[(adjustments["type"] == "finance_charge").to_numpy() & (adjustment_day <= today)]
    last_charge = charged.assign(day=day_numbers(charged["date"])).groupby("invoice_id")["day"].max()
    start = np.maximum(day_numbers(chargeable["due_date"]) + int(settings.finance_charge_grace_days), floor)
    previous = last_charge.reindex(chargeable["invoice_id"]).to_numpy(dtype=np.float64)
    start = np.where(np.isnan(previous), start, np.maximum(start, np.nan_to_num(previous).astype(np.int64)))
    keep = start < today
    ids = f"FC-{as_of.isoformat()}-" + chargeable["invoice_id"].astype(object)
    keep &= ~ids.isin(set(adjustments["adjustment_id"])).to_numpy()
    chargeable, start = chargeable[keep].reset_index(drop=True), start[keep]
    if chargeable.empty:
        return empty

    balance_days = _balance_days(chargeable, start, today, settlement)
    amount = interest(balance_days, rate)
    comparable = _in_reporting_currency(ledger, amount, chargeable["currency"].to_numpy(dtype=object), as_of)
    raise_it = (amount > 0) & (comparable >= int(settings.finance_charge_minimum))
    chargeable, start, amount = chargeable[raise_it].reset_index(drop=True), start[raise_it], amount[raise_it]
    balance_days = balance_days[raise_it]
    days = today - start
    first_day = pd.Series(days_to_datetimes(start + 1)).dt.strftime("%Y-%m-%d")
    reason = (f"Finance charge at {rate * 100:g}% a month on the overdue balance, " + first_day
              + f" to {as_of.isoformat()} (" + pd.Series(days).astype(str) + " days)")
    return pd.DataFrame({
        "adjustment_id": (f"FC-{as_of.isoformat()}-" + chargeable["invoice_id"].astype(object)).astype("str"),
        "invoice_id": chargeable["invoice_id"].astype("str"),
        "date": days_to_datetimes(np.full(len(chargeable), today)),
        "type": pd.Series(["finance_charge"] * len(chargeable), dtype="str"),
        "amount": amount.astype(np.int64),
        "reason": reason.astype("str"),
        "customer_id": chargeable["customer_id"].astype("str"),
        "currency": chargeable["currency"].astype("str"),
        "period_start": days_to_datetimes(start),
        "days": days.astype(np.int64),
        "average_balance": balance_days / np.maximum(days, 1),
    }, columns=list(CHARGE_COLUMNS))


def _balance_days(chargeable: pd.DataFrame, start: np.ndarray, today: int, settlement: Settlement) -> np.ndarray:
    """Sum over the days start+1 .. today of each invoice's positive open amount (minor units x days).

    Each document's balance starts as its amount plus every change dated on or before its start; every later
    change (an application's -amount, an adjustment's effect) opens a new segment that lasts until the next
    change or the as-of date.
    """
    position = pd.Index(chargeable["invoice_id"])
    applications, adjustments = settlement.applications, settlement.adjustments
    event_invoice = np.concatenate([position.get_indexer(applications["invoice_id"]),
                                    position.get_indexer(adjustments["invoice_id"])])
    event_day = np.concatenate([day_numbers(applications["date"]), day_numbers(adjustments["date"])])
    event_delta = np.concatenate([-applications["amount"].to_numpy(dtype=np.int64),
                                  adjustments["effect"].to_numpy(dtype=np.int64)])
    known = event_invoice >= 0
    event_invoice, event_day, event_delta = event_invoice[known], event_day[known], event_delta[known]
    base = chargeable["amount"].to_numpy(dtype=np.int64).copy()
    before = event_day <= start[event_invoice]
    np.add.at(base, event_invoice[before], event_delta[before])
    inside = ~before & (event_day <= today)
    count = len(chargeable)
    segment_invoice = np.concatenate([np.arange(count), event_invoice[inside]])
    segment_day = np.concatenate([start, event_day[inside]])
    segment_delta = np.concatenate([base, event_delta[inside]])
    order = np.lexsort((segment_day, segment_invoice))
    segment_invoice, segment_day, segment_delta = segment_invoice[order], segment_day[order], segment_delta[order]
    running = np.cumsum(segment_delta)
    group_start = group_first(segment_invoice)
    balance = running - (running[group_start] - segment_delta[group_start])
    last = np.r_[segment_invoice[1:] != segment_invoice[:-1], True]
    next_day = np.where(last, today, np.r_[segment_day[1:], today])
    length = next_day - segment_day
    total = np.zeros(count, dtype=np.int64)
    np.add.at(total, segment_invoice, np.maximum(balance, 0) * length)
    return total


def _in_reporting_currency(ledger: Ledger, amounts: np.ndarray, currencies: np.ndarray, as_of: dt.date
                           ) -> np.ndarray:
    """Amounts converted where a rate in force on ``as_of`` (or being the reporting currency) allows; the others
    as they are."""
    convertible_rows = ~np.isnan(rates_on(ledger, currencies, day_number(as_of)))
    result = np.asarray(amounts, dtype=np.int64).copy()
    if convertible_rows.any():
        result[convertible_rows] = to_reporting_currency(ledger, result[convertible_rows],
                                                         currencies[convertible_rows], as_of)
    return result


# --- discounts ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiscountCost:
    """The annual cost of not taking an early-payment discount, as fractions (0.3724 = 37.24%)."""

    simple: float
    effective: float


def discount_cost(discount: float, discount_days: int, net_days: int) -> DiscountCost:
    """Cost of passing up ``discount`` (0.02) for paying within ``discount_days`` rather than ``net_days``."""
    if not 0 <= discount < 1:
        raise ValueError(f"discount {discount:g} is not a fraction below 1 "
                         "(expected 2% or 0.02 for a 2% discount)")
    if discount_days < 0 or net_days <= discount_days:
        raise ValueError(f"net days ({net_days:g}) must be more than the discount days ({discount_days:g})")
    rate = discount / (1 - discount)
    periods = DAYS_A_YEAR / (net_days - discount_days)
    return DiscountCost(simple=rate * periods, effective=(1 + rate) ** periods - 1)


# --- instalment plans -----------------------------------------------------------------------------------------

def distribute(raw_units: np.ndarray, total: int) -> np.ndarray:
    """Whole units (int64) close to ``raw_units`` (floats) that add up to ``total`` exactly: the floors, plus
    one unit each to the largest remainders (earlier parts first on ties) until the total is reached."""
    raw_units = np.asarray(raw_units, dtype=np.float64)
    floors = np.floor(raw_units).astype(np.int64)
    short = int(total - floors.sum())
    if short == 0 or len(floors) == 0:
        return floors
    order = np.lexsort((np.arange(len(floors)), -(raw_units - floors)))
    step = 1 if short > 0 else -1
    if step < 0:
        order = order[::-1]
    whole, rest = divmod(abs(short), len(order))
    floors += step * whole
    floors[order[:rest]] += step
    return floors


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day (Jan 31 + 1 month = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def instalment_plan(balance: int, annual_rate: float, instalments: int, *, first_due: dt.date | None = None
                    ) -> pd.DataFrame:
    """A monthly schedule repaying ``balance`` (minor units) at ``annual_rate`` (0.12 = 12%) in ``instalments``.

    Columns ``PLAN_COLUMNS`` (money int64 minor units; ``due_date`` monthly from ``first_due``, NaT without
    it). Rounding as in the module docstring: principal sums to the balance exactly, the last balance is 0.
    """
    if instalments < 1:
        raise ValueError(f"the number of instalments must be at least 1, not {instalments}")
    if annual_rate < 0:
        raise ValueError(f"the annual rate must not be negative, not {annual_rate:g}")
    if balance <= 0:
        raise ValueError("the balance to spread must be positive")
    rate = annual_rate / 12
    periods = np.arange(1, instalments + 1)
    with np.errstate(divide="ignore", invalid="ignore"):  # numpy-financial divides by the rate even when it is 0
        principal = -np.asarray(npf.ppmt(rate, periods, instalments, balance), dtype=np.float64)
        interest_part = -np.asarray(npf.ipmt(rate, periods, instalments, balance), dtype=np.float64)
    principal_minor = distribute(principal, int(balance))
    interest_minor, _ = floats_to_minor(interest_part, np.zeros(instalments, dtype=np.int64))
    due = (days_to_datetimes(np.array([day_number(add_months(first_due, index)) for index in range(instalments)]))
           if first_due is not None else np.full(instalments, np.datetime64("NaT"), dtype="datetime64[s]"))
    return pd.DataFrame({
        "period": periods.astype(np.int64),
        "due_date": due,
        "payment": interest_minor + principal_minor,
        "interest": interest_minor,
        "principal": principal_minor,
        "balance": int(balance) - np.cumsum(principal_minor),
    }, columns=list(PLAN_COLUMNS))
