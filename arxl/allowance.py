"""Allowance for doubtful accounts: the provision matrix, expected loss per customer, write-off proposals.

Rules (DESIGN.md section 3, "Finance": a provision matrix with a loss rate per bucket, configured or derived
from history; the rest is written here):

- **Exposure** is the aging at the as-of date (basis and edges from Settings): each customer's positive open
  items per bucket; unapplied cash and credits are not netted against it (they are not receivables at risk).
- **Rates from Settings** (``method="settings"``): ``allowance_rates``, one per bucket, Current first; a count
  that differs from the number of buckets is a ValueError saying so.
- **Rates from history** (``method="history"``, write-off history): at each of the 12 month ends ending six
  months before the as-of month (so every snapshot has at least six months of outcome), age the ledger as it
  stood; the loss of an item is what was written off on it after the snapshot and up to the as-of date, less
  recoveries, capped to its open amount at the snapshot. A bucket's rate = its losses / its exposure, over all
  snapshots. A bucket that never held anything keeps its Settings rate (``AllowanceMatrix.fallback`` says
  which).
- Rates are used to 6 decimals (1 ppm). **Expected loss** of a customer and bucket = exposure x rate, rounded
  half away from zero to the minor unit; a customer's expected loss is the sum of its buckets, and every total
  (per bucket, overall) is the sum of those customer figures, so the totals reconcile exactly.
- **Write-off proposals**: undisputed receivables more than ``min_days`` (default 180) days past due of
  customers who have paid nothing (no positive payment dated) in the last ``quiet_days`` (default 90) days,
  for their whole open amount, as Adjustments rows ``WO-<as_of>-<invoice_id>`` of type ``write_off``.
- Money is in the reporting currency when every currency has an FXRates rate, else per currency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .aging import aging
from .dates import NAT_DAY, day_number, day_numbers, days_to_datetimes
from .fx import convertible, to_reporting_currency
from .ledger import Ledger
from .metrics import month_ends
from .receivables import receivables
from .settle import Settlement

RATE_SCALE = 1_000_000
"""Rates are applied in parts per million."""
LOOKBACK_MONTHS = 12
OUTCOME_MONTHS = 6
WRITE_OFF_MIN_DAYS = 180
WRITE_OFF_QUIET_DAYS = 90
METHODS: tuple[str, ...] = ("settings", "history")

MATRIX_COLUMNS: tuple[str, ...] = ("bucket", "currency", "exposure", "rate", "expected_loss")
CUSTOMER_COLUMNS: tuple[str, ...] = ("customer_id", "name", "currency", "exposure", "expected_loss")
WRITE_OFF_COLUMNS: tuple[str, ...] = (
    "adjustment_id", "invoice_id", "date", "type", "amount", "reason", "customer_id", "currency",
    "days_past_due", "last_payment_date",
)


@dataclass(frozen=True, eq=False)
class AllowanceMatrix:
    """A provision matrix at one date.

    Attributes:
        as_of: the as-of date.
        method: ``settings`` or ``history``.
        labels: the aging buckets, Current first.
        rates: the loss rate applied to each bucket (fractions, 6 decimals).
        fallback: per bucket, True where a history rate could not be derived and the Settings rate was used.
        matrix: per bucket and currency (``MATRIX_COLUMNS``), money in minor units.
        customers: per customer and currency (``CUSTOMER_COLUMNS``), plus one int64 column per bucket
            holding its expected loss.
    """

    as_of: dt.date
    method: str
    labels: list[str]
    rates: tuple[float, ...]
    fallback: tuple[bool, ...]
    matrix: pd.DataFrame
    customers: pd.DataFrame

    def total(self, currency: str) -> int:
        """The allowance in ``currency`` (minor units)."""
        return int(self.customers.loc[self.customers["currency"] == currency, "expected_loss"].sum())


def _rate_ppm(rates: tuple[float, ...]) -> np.ndarray:
    return np.rint(np.asarray(rates, dtype=np.float64) * RATE_SCALE).astype(np.int64)


def apply_rate(amounts: np.ndarray, rate_ppm: np.ndarray) -> np.ndarray:
    """``amounts x rate_ppm / 1e6`` rounded half away from zero, in exact integer arithmetic."""
    product = np.asarray(amounts, dtype=np.int64) * np.asarray(rate_ppm, dtype=np.int64)
    magnitude = (np.abs(product) + RATE_SCALE // 2) // RATE_SCALE
    return np.sign(product) * magnitude


def settings_rates(ledger: Ledger, labels: list[str]) -> tuple[float, ...]:
    """Settings ``allowance_rates``, checked against the buckets."""
    rates = tuple(float(rate) for rate in ledger.settings.allowance_rates)
    if len(rates) != len(labels):
        raise ValueError(f"allowance_rates has {len(rates)} rate(s) but the aging has {len(labels)} buckets "
                         f"({', '.join(labels)}): give one rate per bucket, Current first")
    if any(not 0 <= rate <= 1 for rate in rates):
        raise ValueError("allowance_rates must be fractions between 0 and 1 (0.25 for 25%)")
    return rates


def history_rates(ledger: Ledger, as_of: dt.date, labels: list[str]) -> tuple[tuple[float, ...], tuple[bool, ...]]:
    """Loss rates per bucket from the book's write-off history, and which buckets fell back to Settings."""
    fallback_rates = settings_rates(ledger, labels)
    last_month = as_of.replace(day=1)
    for _ in range(OUTCOME_MONTHS):
        last_month = (last_month - dt.timedelta(days=1)).replace(day=1)
    end = (last_month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    today = day_number(as_of)
    adjustments = ledger.adjustments
    adjustment_day = day_numbers(adjustments["date"])
    signed = np.select([adjustments["type"] == "write_off", adjustments["type"] == "bad_debt_recovery"],
                       [adjustments["amount"].to_numpy(dtype=np.int64),
                        -adjustments["amount"].to_numpy(dtype=np.int64)], 0)
    exposure = np.zeros(len(labels), dtype=np.float64)
    losses = np.zeros(len(labels), dtype=np.float64)
    for snapshot in month_ends(end, LOOKBACK_MONTHS):
        report = aging(ledger, snapshot)
        detail = report.detail
        detail = detail[detail["open_amount"] > 0]
        after = (adjustment_day > day_number(snapshot)) & (adjustment_day <= today)
        lost = pd.Series(signed[after]).groupby(adjustments["invoice_id"].to_numpy(dtype=object)[after]).sum()
        open_amount = detail["open_amount"].to_numpy(dtype=np.int64)
        loss = np.clip(np.minimum(lost.reindex(detail["document_id"]).fillna(0).to_numpy(dtype=np.int64),
                                  open_amount), 0, None)
        if convertible(ledger, snapshot):
            currencies = detail["currency"].to_numpy()
            open_amount = to_reporting_currency(ledger, open_amount, currencies, snapshot)
            loss = to_reporting_currency(ledger, loss, currencies, snapshot)
        bucket = pd.Index(labels).get_indexer(detail["bucket"])
        np.add.at(exposure, bucket, open_amount)
        np.add.at(losses, bucket, loss)
    fallback = exposure <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(fallback, np.asarray(fallback_rates), losses / np.where(fallback, 1, exposure))
    return tuple(float(np.round(rate, 6)) for rate in rates), tuple(bool(flag) for flag in fallback)


def provision_matrix(ledger: Ledger, as_of: dt.date, *, method: str = "settings",
                     settlement: Settlement | None = None) -> AllowanceMatrix:
    """The provision matrix and expected loss per customer at ``as_of`` (rules in the module docstring)."""
    if method not in METHODS:
        raise ValueError(f'allowance method "{method}" is not one of {", ".join(METHODS)}')
    report = aging(ledger, as_of, settlement=settlement, convert=convertible(ledger, as_of))
    labels = report.labels
    if method == "settings":
        rates, fallback = settings_rates(ledger, labels), (False,) * len(labels)
    else:
        rates, fallback = history_rates(ledger, as_of, labels)
    ppm = _rate_ppm(rates)
    summary = report.summary
    exposure = summary[labels].to_numpy(dtype=np.int64)
    expected = apply_rate(exposure, ppm[np.newaxis, :]) if len(summary) else np.zeros((0, len(labels)), np.int64)
    customers = pd.DataFrame({
        "customer_id": summary["customer_id"].astype("str"),
        "name": summary["name"].astype("str"),
        "currency": summary["currency"].astype("str"),
        "exposure": exposure.sum(axis=1).astype(np.int64),
        "expected_loss": expected.sum(axis=1).astype(np.int64),
    }, columns=list(CUSTOMER_COLUMNS))
    for index, label in enumerate(labels):
        customers[label] = expected[:, index]
    rows = []
    for currency in sorted(set(customers["currency"])) or [ledger.settings.reporting_currency]:
        mine = (customers["currency"] == currency).to_numpy()
        for index, label in enumerate(labels):
            rows.append({"bucket": label, "currency": currency, "exposure": int(exposure[mine, index].sum()),
                         "rate": float(ppm[index]) / RATE_SCALE,
                         "expected_loss": int(expected[mine, index].sum())})
    matrix = (pd.DataFrame(rows, columns=list(MATRIX_COLUMNS))
              .astype({"exposure": "int64", "expected_loss": "int64"}))
    return AllowanceMatrix(as_of, method, labels, tuple(float(rate) / RATE_SCALE for rate in ppm), fallback,
                           matrix, customers)


def write_off_proposals(ledger: Ledger, as_of: dt.date, *, min_days: int = WRITE_OFF_MIN_DAYS,
                        quiet_days: int = WRITE_OFF_QUIET_DAYS, settlement: Settlement | None = None
                        ) -> pd.DataFrame:
    """Receivables to write off at ``as_of`` as Adjustments rows (``WRITE_OFF_COLUMNS``; rule above)."""
    today = day_number(as_of)
    items = receivables(ledger, as_of, settlement)
    payments = ledger.payments
    payment_day = day_numbers(payments["payment_date"])
    paid = payments[(payments["amount"] > 0).to_numpy() & (payment_day <= today)]
    last_paid = paid.groupby("customer_id")["payment_date"].max()
    last = last_paid.reindex(items["customer_id"]).to_numpy(dtype="datetime64[s]")
    last_day = np.where(np.isnat(last), NAT_DAY, day_numbers(last))
    chosen = (items["kind"].isin(["invoice", "debit_note"]).to_numpy()
              & (items["days_past_due"].to_numpy() > min_days) & ~items["disputed"].to_numpy()
              & (last_day <= today - quiet_days))
    items, last = items[chosen].reset_index(drop=True), last[chosen]
    reason = ("Uncollectable: " + items["days_past_due"].astype(str)
              + f" days past due, no payment in {quiet_days} days")
    return pd.DataFrame({
        "adjustment_id": (f"WO-{as_of.isoformat()}-" + items["document_id"].astype(object)).astype("str"),
        "invoice_id": items["document_id"].astype("str"),
        "date": days_to_datetimes(np.full(len(items), today)),
        "type": pd.Series(["write_off"] * len(items), dtype="str"),
        "amount": items["open_amount"].to_numpy(dtype=np.int64),
        "reason": reason.astype("str"),
        "customer_id": items["customer_id"].astype("str"),
        "currency": items["currency"].astype("str"),
        "days_past_due": items["days_past_due"].to_numpy(dtype=np.int64),
        "last_payment_date": last,
    }, columns=list(WRITE_OFF_COLUMNS))
