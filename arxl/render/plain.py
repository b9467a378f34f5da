"""Machine-readable and display shapes of the engine's results, as the CLI prints them.

- ``aging_csv``: the aging summary as CSV, header exactly ``customer_id,name,<bucket labels>,Unapplied,Total``
  (``Current,1-30,31-60,61-90,Over 90`` for the default edges), one row per summary row, amounts as plain
  decimals with the currency's minor digits, no thousands separators, no total row.
- ``aging_by_group_csv``: the aging added up by a customer grouping (``--by``), one row per group and currency.
- ``metrics_dict``: the metrics as a JSON-ready dict; ``metric_rows`` / ``metrics_csv``: each metric with a plain
  label and its unit (the currency, days, % or times), for people and for CSV.
- ``open_items_frame`` / ``statement_frames``: display frames with money as exact ``Decimal`` major units.

Choices where the issue is silent:

- CSV rows are the summary's rows. A summary made with ``convert=True`` has exactly one row per customer; an
  unconverted one has a row per (customer, currency), each in its own currency's digits (the header has no
  currency column, so pass a converted summary when customers hold several currencies).
- Lines end with ``\\n`` (what a shell pipeline expects); fields are quoted only when needed (csv.QUOTE_MINIMAL).
- Text fields starting with ``=``, ``+``, ``-``, ``@``, tab, CR or NUL get a leading ``'`` so spreadsheet
  programs do not run them as formulas (OWASP CSV injection); amounts are never prefixed.
- ``metrics_dict`` gives money as numbers in major units (float, rounded to the currency's minor digits) and
  ratios as floats rounded to 2 decimals; a ratio that cannot be computed is ``null``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd

from ..aging import TOTAL, UNAPPLIED
from ..ledger import Ledger
from ..metrics import Metrics
from ..money import format_plain, to_major, to_major_float
from ..statements import ActivityStatement, OpenItemStatement

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
MONEY_COLUMNS: tuple[str, ...] = (
    "original", "adjusted", "applied", "open_amount", "debit", "credit", "running_balance",
)
"""Columns that ``open_items_frame`` and ``statement_frames`` turn into Decimal major units."""


def safe_text(text: str) -> str:
    """``text`` for a CSV cell: prefixed with ``'`` when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def aging_csv(summary: pd.DataFrame, labels: Sequence[str], ledger: Ledger | None = None) -> str:
    """The aging summary as CSV text (see the module docstring). ``ledger`` is accepted for symmetry with
    the other report shapes and fills in names missing from the summary."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    money_columns = [*labels, UNAPPLIED, TOTAL]
    writer.writerow(["customer_id", "name", *money_columns])
    for row in summary.to_dict("records"):
        name = str(row.get("name", ""))
        if not name and ledger is not None:
            name = ledger.customer_name(str(row["customer_id"]))
        currency = str(row["currency"])
        writer.writerow([safe_text(str(row["customer_id"])), safe_text(name),
                         *(format_plain(int(row[column]), currency) for column in money_columns)])
    return buffer.getvalue()


def aging_by_group_csv(grouped: pd.DataFrame, labels: Sequence[str], by: str) -> str:
    """``arxl.groups.aging_by_group`` as CSV: header ``<by>,currency,customers,<bucket labels>,Unapplied,Total``,
    one row per (group value, currency), a blank value for customers without one; amounts as plain decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    money_columns = [*labels, UNAPPLIED, TOTAL]
    writer.writerow([by, "currency", "customers", *money_columns])
    for row in grouped.to_dict("records"):
        currency = str(row["currency"])
        writer.writerow([safe_text(str(row[by])), currency, int(row["customers"]),
                         *(format_plain(int(row[column]), currency) for column in money_columns)])
    return buffer.getvalue()


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def metrics_dict(metrics: Metrics) -> dict[str, object]:
    """The metrics as a JSON-ready dict: money in major units, ratios rounded to 2 decimals or None."""
    currency = metrics.currency
    return {
        "as_of": metrics.as_of.isoformat(),
        "currency": currency,
        "period_days": metrics.period_days,
        "ar": to_major_float(metrics.ar, currency),
        "current_ar": to_major_float(metrics.current_ar, currency),
        "beginning_ar": to_major_float(metrics.beginning_ar, currency),
        "credit_sales": to_major_float(metrics.credit_sales, currency),
        "dso": _ratio(metrics.dso),
        "dso_countback": _ratio(metrics.dso_countback),
        "bpdso": _ratio(metrics.bpdso),
        "add": _ratio(metrics.add),
        "cei": _ratio(metrics.cei),
        "turnover": _ratio(metrics.turnover),
        "pct_current": _ratio(metrics.pct_current),
        "pct_over_last": _ratio(metrics.pct_over_last),
    }


def _decimals(minor: pd.Series, currency: pd.Series) -> list[Decimal]:
    return [to_major(int(amount), str(code)) for amount, code in zip(minor.tolist(), currency.tolist(),
                                                                     strict=True)]


def open_items_frame(items: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A copy of open items (a settlement's, an aging detail's or a statement's) with money as Decimal major
    units and dates as ``datetime.date``, optionally restricted to ``columns``."""
    frame = items.copy() if columns is None else items[list(columns)].copy()
    currency = items["currency"]
    for column in frame.columns:
        if column in MONEY_COLUMNS:
            frame[column] = pd.Series(_decimals(items[column], currency), index=frame.index, dtype=object)
        elif pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
            frame[column] = pd.Series([value.date() for value in frame[column]], index=frame.index, dtype=object)
    return frame


def statement_frames(statement: OpenItemStatement | ActivityStatement) -> dict[str, pd.DataFrame]:
    """Display frames of a statement: ``items`` and ``footer`` of an open-item statement, ``lines`` and
    ``balances`` (currency, opening, closing) of an activity statement; money as Decimal major units."""
    if isinstance(statement, OpenItemStatement):
        footer = statement.footer.copy()
        for column in [*statement.labels, UNAPPLIED, TOTAL]:
            footer[column] = pd.Series(_decimals(footer[column], footer["currency"]), dtype=object)
        return {"items": open_items_frame(statement.items), "footer": footer}
    currencies = list(statement.opening_balance)
    balances = pd.DataFrame({
        "currency": pd.Series(currencies, dtype="str"),
        "opening_balance": [to_major(statement.opening_balance[code], code) for code in currencies],
        "closing_balance": [to_major(statement.closing_balance[code], code) for code in currencies],
    })
    return {"lines": open_items_frame(statement.lines), "balances": balances}


METRIC_LABELS: tuple[tuple[str, str, str], ...] = (
    ("ar", "Accounts receivable", "money"),
    ("current_ar", "Current AR (not yet due)", "money"),
    ("beginning_ar", "AR at the start of the period", "money"),
    ("credit_sales", "Credit sales in the period", "money"),
    ("dso", "DSO, average method", "days"),
    ("dso_countback", "DSO, countback method", "days"),
    ("bpdso", "Best possible DSO", "days"),
    ("add", "Average days delinquent", "days"),
    ("cei", "Collection effectiveness index (CEI)", "%"),
    ("turnover", "AR turnover in the period", "times"),
    ("pct_current", "Share of AR not yet due", "%"),
    ("pct_over_last", "Share of AR over {last} days past due", "%"),
)
"""Each metric of ``metrics_dict``: its key, a plain label and its unit (``money`` is the reporting currency)."""


def metric_rows(metrics: Metrics, last_edge: int) -> list[tuple[str, str, str, str]]:
    """(key, label, value, unit) for each metric: money as exact plain decimals, ratios to 2 decimals, "" for
    a ratio that cannot be computed."""
    figures = metrics_dict(metrics)
    rows = []
    for key, label, unit in METRIC_LABELS:
        value = getattr(metrics, key)
        if unit == "money":
            text = format_plain(int(value), metrics.currency)
        else:
            text = "" if figures[key] is None else f"{figures[key]:.2f}"
        rows.append((key, label.format(last=last_edge), text, metrics.currency if unit == "money" else unit))
    return rows


def metrics_csv(metrics: Metrics, last_edge: int) -> str:
    """The metrics as CSV: header ``metric,label,value,unit``, one row per metric (``metric_rows``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["metric", "label", "value", "unit"])
    writer.writerows(metric_rows(metrics, last_edge))
    return buffer.getvalue()
