"""Subtotals by the customers' group, region or salesperson: aging, metrics and the collections worklist.

Rules (the issue is silent on these; an accountant's reading):

- ``by`` is one of ``GROUP_COLUMNS`` (Customers ``group``, ``region``, ``salesperson``). A customer with a blank
  value is in the group ``""``, shown to people as ``NO_GROUP`` ("(none)"), and sorts first.
- **Aging by group** adds up the aging summary's rows of the group's customers, per currency (one row per group
  once the aging is converted into the reporting currency): every bucket, Unapplied and Total, and how many
  customers. The groups' rows add up to the ungrouped aging exactly, column by column.
- **Metrics by group** are the metrics of the ledger restricted to the group's customers (``for_customers``):
  money figures (AR, current AR, beginning AR, credit sales) add up to the whole book's exactly, since accounts
  settle independently and conversion is item by item; ratios (DSO, CEI...) are each group's own.
- **Worklist by group** adds up the worklist's money columns (balance, overdue, collectable, disputed) per group
  and currency, with how many customers are on the list, how many are over their limit or on hold, and the
  most days past due.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .aging import TOTAL, UNAPPLIED, AgingReport
from .arrays import member
from .contract import GROUP_COLUMNS
from .ledger import Ledger
from .metrics import Metrics, compute_metrics

NO_GROUP = "(none)"
"""How a blank group value is shown to people (machine outputs keep it blank)."""

WORKLIST_GROUP_COLUMNS: tuple[str, ...] = (
    "currency", "customers", "balance", "overdue", "collectable", "disputed", "oldest_days", "over_limit",
    "credit_hold",
)


def check_by(by: str) -> str:
    """``by`` if it names a grouping column, else a ValueError listing them."""
    if by not in GROUP_COLUMNS:
        raise ValueError(f'"{by}" is not a customer grouping: use one of {", ".join(GROUP_COLUMNS)}')
    return by


def group_of(ledger: Ledger, customer_ids: pd.Series | np.ndarray, by: str) -> pd.Series:
    """Each customer's value of ``by`` ("" when blank or unknown), as a ``str`` Series."""
    check_by(by)
    customers = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")[by]
    ids = pd.Series(np.asarray(customer_ids, dtype=object))
    return ids.map(customers).fillna("").astype("str")


def shown(value: str) -> str:
    """A group value as people read it."""
    return value if value else NO_GROUP


def aging_by_group(ledger: Ledger, report: AgingReport, by: str) -> pd.DataFrame:
    """The aging summary added up per (group value, currency): columns ``by``, currency, customers, the bucket
    labels, Unapplied, Total (int64 minor units), ordered by group value then currency."""
    summary = report.summary
    money = [*report.labels, UNAPPLIED, TOTAL]
    frame = summary[["customer_id", "currency", *money]].copy()
    frame.insert(0, by, group_of(ledger, summary["customer_id"], by).to_numpy(dtype=object))
    grouped = frame.groupby([by, "currency"], sort=True)
    result = grouped[money].sum().reset_index()
    result.insert(2, "customers", grouped["customer_id"].nunique().to_numpy(dtype=np.int64))
    result[by] = result[by].astype("str")
    result["currency"] = result["currency"].astype("str")
    for column in money:
        result[column] = result[column].astype(np.int64)
    return result


def for_customers(ledger: Ledger, customer_ids: Sequence[str] | pd.Series) -> Ledger:
    """The ledger restricted to these customers: their rows of every table, and the documents that name them."""
    ids = pd.Series(list(customer_ids), dtype="str")
    invoices = ledger.invoices[member(ledger.invoices["customer_id"], ids).to_numpy()]
    payments = ledger.payments[member(ledger.payments["customer_id"], ids).to_numpy()]
    document_ids = pd.concat([invoices["invoice_id"], payments["payment_id"]], ignore_index=True)

    def naming(frame: pd.DataFrame, column: str, known: pd.Series) -> pd.DataFrame:
        return frame[member(frame[column], known).to_numpy()]

    return dataclasses.replace(
        ledger,
        customers=naming(ledger.customers, "customer_id", ids),
        invoices=invoices,
        voided=naming(ledger.voided, "customer_id", ids),
        payments=payments,
        applications=naming(ledger.applications, "invoice_id", document_ids),
        adjustments=naming(ledger.adjustments, "invoice_id", invoices["invoice_id"]),
        activity=naming(ledger.activity, "customer_id", ids),
        assertions=naming(ledger.assertions, "customer_id", ids),
        instalments=naming(ledger.instalments, "invoice_id", invoices["invoice_id"]),
    )


def metrics_by_group(ledger: Ledger, as_of: dt.date, by: str, *, period_days: int | None = None
                     ) -> list[tuple[str, Metrics]]:
    """(group value, the metrics of its customers) for every value of ``by`` among the customers, in order."""
    values = group_of(ledger, ledger.customers["customer_id"], by)
    result = []
    for value in sorted(set(values)):
        members = ledger.customers["customer_id"][(values == value).to_numpy()]
        result.append((value, compute_metrics(for_customers(ledger, members), as_of, period_days=period_days)))
    return result


def worklist_by_group(ledger: Ledger, worklist: pd.DataFrame, by: str) -> pd.DataFrame:
    """The worklist added up per (group value, currency): columns ``by`` then ``WORKLIST_GROUP_COLUMNS``."""
    frame = worklist.assign(**{by: group_of(ledger, worklist["customer_id"], by).to_numpy(dtype=object)})
    grouped = frame.groupby([by, "currency"], sort=True)
    result = grouped.agg(customers=("customer_id", "nunique"), balance=("balance", "sum"),
                         overdue=("overdue", "sum"), collectable=("collectable", "sum"),
                         disputed=("disputed", "sum"), oldest_days=("oldest_days", "max"),
                         over_limit=("over_limit", "sum"), credit_hold=("credit_hold", "sum")).reset_index()
    result[by] = result[by].astype("str")
    result["currency"] = result["currency"].astype("str")
    for column in ("customers", "balance", "overdue", "collectable", "disputed", "oldest_days", "over_limit",
                   "credit_hold"):
        result[column] = result[column].astype(np.int64)
    return result[[by, *WORKLIST_GROUP_COLUMNS]]
