"""Cash forecast: when each open receivable is expected to be paid, in weekly buckets that reconcile to open AR.

Rules (DESIGN.md section 3, "Finance": cash forecast from each customer's payment behaviour):

- **Expected date** of a receivable = its due date + the customer's amount-weighted average days late in the
  item's currency (``arxl.metrics.payment_behaviour`` at the as-of date), rounded half away from zero to whole
  days; a customer without payment history takes the portfolio's average (every customer's cash weighted by
  amount; 0 when nobody has paid yet). An expected date before the as-of date becomes the as-of date: overdue
  money is expected now, never in the past.
- **Weeks**: week k (1..13) runs from as_of + 7(k-1) to as_of + 7k - 1; what falls after week 13 is ``Later``.
- **Set apart**, not forecast: ``Disputed`` items (``arxl.receivables`` rule: status disputed or an open Activity
  dispute) and items more than the last aging edge past due (``Over 90`` with the default edges 30,60,90),
  disputed first. Negative open items (unapplied cash and credits) are the ``Unapplied`` line.
- **Reconciliation**: every open item lands in exactly one line, so the lines add up to open AR (the aging
  Total, unapplied cash netted) exactly; the receivable lines alone add up to the gross receivables.
- Amounts are in the reporting currency (FXRates) when every currency used has a rate; otherwise each currency
  has its own lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dates import day_number, day_numbers, days_to_datetimes
from .fx import convertible, to_reporting_currency
from .ledger import Ledger
from .metrics import payment_behaviour
from .receivables import RECEIVABLE_KINDS, disputed_mask
from .settle import Settlement, settle

WEEKS = 13
LATER, DISPUTED, UNAPPLIED = "Later", "Disputed", "Unapplied"

ITEM_COLUMNS: tuple[str, ...] = (
    "customer_id", "document_id", "kind", "currency", "due_date", "open_amount", "amount", "line_currency",
    "status", "disputed", "days_past_due", "delay_days", "expected_date", "line",
)
"""Per open item: ``amount`` in ``line_currency`` (the reporting currency when converted), ``delay_days`` the
days late applied, ``expected_date`` (NaT for items set apart) and its ``line``."""
LINE_COLUMNS: tuple[str, ...] = ("line", "kind", "week_start", "week_end", "currency", "amount", "items")
"""Per forecast line and currency: ``kind`` is ``week``, ``later`` or ``apart``; money in minor units."""


def week_labels(weeks: int = WEEKS) -> list[str]:
    return [f"Week {index}" for index in range(1, weeks + 1)]


def portfolio_days_late(behaviour: pd.DataFrame) -> float:
    """Every customer's average days late weighted by the cash behind it (0.0 without any history)."""
    paid = behaviour["paid_amount"].to_numpy(dtype=np.float64)
    late = behaviour["avg_days_late"].to_numpy(dtype=np.float64)
    return float((paid * late).sum() / paid.sum()) if paid.sum() > 0 else 0.0


def expected_receipt_days(customer_ids: pd.Series | np.ndarray, currencies: pd.Series | np.ndarray,
                          due_dates: pd.Series | np.ndarray, behaviour: pd.DataFrame, as_of: dt.date
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(expected receipt day numbers, days late applied) for receivables given column-wise (rule above)."""
    late = behaviour["avg_days_late"].to_numpy(dtype=np.float64)
    per_customer = pd.Series(late, index=pd.MultiIndex.from_arrays(
        [behaviour["customer_id"].to_numpy(dtype=object), behaviour["currency"].to_numpy(dtype=object)]))
    keys = pd.MultiIndex.from_arrays([np.asarray(customer_ids, dtype=object),
                                      np.asarray(currencies, dtype=object)])
    delay = per_customer.reindex(keys).to_numpy(dtype=np.float64) if len(keys) else np.zeros(0)
    delay = np.where(np.isnan(delay), portfolio_days_late(behaviour), delay)
    delay_days = (np.sign(delay) * np.floor(np.abs(delay) + 0.5)).astype(np.int64)
    expected = np.maximum(day_numbers(due_dates) + delay_days, day_number(as_of))
    return expected, delay_days


def week_index(expected_days: np.ndarray, as_of: dt.date, weeks: int = WEEKS) -> np.ndarray:
    """0-based week of each expected day from ``as_of``; ``weeks`` means later."""
    if weeks < 1:
        raise ValueError(f"the forecast needs at least one week, not {weeks}")
    return np.minimum((np.asarray(expected_days, dtype=np.int64) - day_number(as_of)) // 7, weeks)


@dataclass(frozen=True, eq=False)
class Forecast:
    """A cash forecast at one date.

    Attributes:
        as_of: the as-of date.
        weeks: the number of weekly lines.
        over_days: items more than this many days past due are set apart.
        items: every open item with its line (``ITEM_COLUMNS``).
        lines: the lines per currency (``LINE_COLUMNS``), weeks first, then Later, Disputed, Over N, Unapplied.
    """

    as_of: dt.date
    weeks: int
    over_days: int
    items: pd.DataFrame
    lines: pd.DataFrame

    def total(self, currency: str) -> int:
        """All lines of ``currency``: the open AR, unapplied cash netted."""
        return int(self.lines.loc[self.lines["currency"] == currency, "amount"].sum())


def cash_forecast(ledger: Ledger, as_of: dt.date, *, weeks: int = WEEKS, settlement: Settlement | None = None
                  ) -> Forecast:
    """Every open item forecast or set apart, and the weekly lines (rules in the module docstring)."""
    if weeks < 1:
        raise ValueError(f"the forecast needs at least one week, not {weeks}")
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    over_days = int(ledger.settings.bucket_edges[-1])
    over_label = f"Over {over_days}"
    items = settlement.open_items.reset_index(drop=True)
    amounts = items["open_amount"].to_numpy(dtype=np.int64)
    if convertible(ledger, as_of):
        line_amount = to_reporting_currency(ledger, amounts, items["currency"].to_numpy(), as_of)
        line_currency = np.full(len(items), ledger.settings.reporting_currency, dtype=object)
    else:
        line_amount, line_currency = amounts, items["currency"].to_numpy(dtype=object)
    days_past_due = day_number(as_of) - day_numbers(items["due_date"])
    receivable = items["kind"].isin(RECEIVABLE_KINDS).to_numpy() & (amounts > 0)
    disputed = receivable & disputed_mask(ledger, as_of, items)
    too_old = receivable & ~disputed & (days_past_due > over_days)
    forecast = receivable & ~disputed & ~too_old

    behaviour = payment_behaviour(ledger, as_of)
    expected, delay = expected_receipt_days(items["customer_id"], items["currency"], items["due_date"], behaviour,
                                            as_of)
    week = week_index(expected, as_of, weeks)
    labels = np.array([*week_labels(weeks), LATER], dtype=object)
    line = np.select([amounts < 0, disputed, too_old], [UNAPPLIED, DISPUTED, over_label],
                     labels[np.clip(week, 0, weeks)])
    frame = pd.DataFrame({
        "customer_id": items["customer_id"], "document_id": items["document_id"], "kind": items["kind"],
        "currency": items["currency"], "due_date": items["due_date"], "open_amount": amounts,
        "amount": line_amount, "line_currency": pd.Series(line_currency, dtype="str"), "status": items["status"],
        "disputed": disputed, "days_past_due": days_past_due,
        "delay_days": np.where(forecast, delay, 0),
        "expected_date": np.where(forecast, days_to_datetimes(expected), np.datetime64("NaT")).astype(
            "datetime64[s]"),
        "line": pd.Series(line, dtype="str"),
    }, columns=list(ITEM_COLUMNS))
    return Forecast(as_of, weeks, over_days, frame, _lines(frame, as_of, weeks, over_label,
                                                           ledger.settings.reporting_currency))


def _lines(items: pd.DataFrame, as_of: dt.date, weeks: int, over_label: str, reporting: str) -> pd.DataFrame:
    order = [*week_labels(weeks), LATER, DISPUTED, over_label, UNAPPLIED]
    kinds = ["week"] * weeks + ["later", "apart", "apart", "apart"]
    starts = [as_of + dt.timedelta(days=7 * index) for index in range(weeks)]
    currencies = sorted(set(items["line_currency"].unique())) or [reporting]
    sums = items.groupby(["line_currency", "line"])["amount"].agg(["sum", "size"])
    rows = []
    for currency in currencies:
        for position, label in enumerate(order):
            amount, count = sums.loc[(currency, label)] if (currency, label) in sums.index else (0, 0)
            rows.append({
                "line": label, "kind": kinds[position],
                "week_start": starts[position] if position < weeks else (as_of + dt.timedelta(days=7 * weeks)
                                                                          if position == weeks else None),
                "week_end": starts[position] + dt.timedelta(days=6) if position < weeks else None,
                "currency": currency, "amount": int(amount), "items": int(count),
            })
    lines = pd.DataFrame(rows, columns=list(LINE_COLUMNS))
    lines["week_start"] = pd.to_datetime(lines["week_start"]).astype("datetime64[s]")
    lines["week_end"] = pd.to_datetime(lines["week_end"]).astype("datetime64[s]")
    lines["line"] = lines["line"].astype("str")
    lines["kind"] = lines["kind"].astype("str")
    lines["currency"] = lines["currency"].astype("str")
    lines["amount"] = lines["amount"].astype(np.int64)
    lines["items"] = lines["items"].astype(np.int64)
    return lines
