"""Credit control: limit utilisation and headroom, credit hold, and a risk grade from payment behaviour.

``credit_position(ledger, as_of)`` gives one row per customer of the Customers table (``CREDIT_COLUMNS``).

Rules (DESIGN.md section 3, "Collections": credit hold when over the limit or over the hold threshold; the rest
is written here):

- **Balance** is the customer's open items in its own currency (unapplied cash netted; items in other
  currencies are not in it). ``utilisation`` = balance / credit_limit (NaN without a positive limit);
  ``headroom`` = credit_limit - balance (``<NA>`` without a limit); ``over_limit`` when a limit is given and the
  balance exceeds it (a limit of 0 means "no credit": any positive balance is over it).
- **Hold** when any of: over the limit; an undisputed receivable more than Settings ``hold_days`` days past
  due; ``on_hold`` set in the Customers table. ``hold_reason`` lists which, in that order.
- **Risk grade** A (best) to E from points, capped to 0-4::

      points = days-late points of the recent average          (<= 0: 0, 1-15: 1, 16-30: 2, 31-60: 3, > 60: 4)
             + 1 if the recent average is more than 10 days worse than the older one, - 1 if more than 10 better
             + 1 for one or two promises not kept (broken or partly kept) in the last 365 days, + 2 for three
               or more
             + 1 for two or more disputes raised in the last 365 days
      grade  = "ABCDE"[points]

  The *recent* average is the amount-weighted days late (application date - due date) of the cash applied to
  the customer's invoices and debit notes in the 90 days ending at the as-of date, together with its open
  undisputed overdue items counted at their days past due so far (weighted by open amount), so a customer who
  stopped paying does not look better for it. The *older* average is that of the cash applied in the 365 days
  before those 90. When there is no recent figure the older one is used for the first term (and there is no
  trend); with neither, the first term is 0 (``recent_days_late`` and ``older_days_late`` are NaN).
  Disputes raised: Activity ``dispute`` rows dated in the window (a blank invoice_id counts per row) and
  invoices with status ``disputed`` dated in the window that no such row names.

**The credit what-if** (``credit_check``: "can we ship this order?") answers ``approve``, ``refer`` (a person
decides) or ``refuse``, the worst of four findings, each stated with its figures:

- **limit**: the balance plus the order within the credit limit: approve; up to ``REFER_OVER_LIMIT`` (10 %)
  over it: refer; further over: refuse. No limit: approve.
- **hold**: ``on_hold`` in Customers, or an undisputed item more than Settings ``hold_days`` past due: refuse.
  (Being over the limit is the limit's finding, not a hold, so that the order is judged on what it adds.)
- **overdue share**: undisputed overdue / open receivables in the customer's currency above
  ``REFER_OVERDUE_SHARE`` (25 %): refer.
- **risk grade**: D refer, E refuse.

``credit_standing`` gives every customer's findings that do not depend on the order, with the largest order
each verdict allows (``approve_up_to``: the headroom when nothing else stands in the way, else 0;
``refer_up_to``: up to 10 % over the limit unless the standing is refuse), so the Credit sheet and
``credit_check`` agree: an order is approved exactly when it is at most ``approve_up_to`` (any order when that
is blank: no limit and nothing against).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import member, position_in
from .dates import day_number, day_numbers
from .ledger import Ledger
from .money import exponent, to_major
from .receivables import BROKEN_WINDOW_DAYS, NOT_KEPT, activity_rows, promises, receivables
from .settle import Settlement, settle

RECENT_DAYS = 90
OLDER_DAYS = 365
TREND_DAYS = 10.0
GRADES = "ABCDE"
LATE_POINTS_EDGES: tuple[int, ...] = (0, 15, 30, 60)
"""Days-late averages up to each edge score 0, 1, 2, 3 points; above the last, 4."""

CREDIT_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "currency", "balance", "credit_limit", "utilisation", "headroom", "over_limit",
    "oldest_days", "marked_on_hold", "hold", "hold_reason", "recent_days_late", "older_days_late", "trend_days",
    "broken_promises", "disputes", "risk_points", "risk_grade",
)
"""Money in minor units of the customer's ``currency``; ``oldest_days`` = days past due of the oldest
undisputed overdue receivable (0 when none); ``marked_on_hold`` is the Customers flag, ``hold`` the verdict."""


def _weighted(positions: np.ndarray, weights: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Weighted averages of ``values`` per customer, given as positions ``0 .. size-1`` in the customers (-1 for
    none: left out); NaN where a customer has no weight."""
    frame = pd.DataFrame({"group": positions, "weight": weights.astype(np.float64),
                          "product": weights.astype(np.float64) * values})
    sums = frame.groupby("group")[["weight", "product"]].sum().reindex(range(size))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sums["weight"].to_numpy() > 0, sums["product"].to_numpy() / sums["weight"].to_numpy(),
                        np.nan)


def late_points(average_days_late: np.ndarray) -> np.ndarray:
    """Points of an average days late (``LATE_POINTS_EDGES``); 0 for NaN."""
    values = np.asarray(average_days_late, dtype=np.float64)
    points = np.searchsorted(np.asarray(LATE_POINTS_EDGES, dtype=np.float64), values, side="left")
    return np.where(np.isnan(values), 0, points).astype(np.int64)


def credit_position(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None,
                    promise_rows: pd.DataFrame | None = None, receivable_items: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Limits, hold and risk grade of every customer at ``as_of`` (``CREDIT_COLUMNS``; rules above).

    ``promise_rows`` (``arxl.receivables.promises``) and ``receivable_items`` (``arxl.receivables.receivables``),
    both at the same date, may be passed to reuse them.
    """
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    today = day_number(as_of)
    customers = ledger.customers.drop_duplicates("customer_id").reset_index(drop=True)
    index = pd.Index(customers["customer_id"])
    currency = customers["currency"].astype("str")

    items = settlement.open_items
    own_currency = items["currency"].to_numpy(dtype=object) == currency.reindex(
        index.get_indexer(items["customer_id"])).to_numpy(dtype=object)
    balance = (items.loc[own_currency].groupby("customer_id")["open_amount"].sum()
               .reindex(index).fillna(0).to_numpy(dtype=np.int64))
    limit = customers["credit_limit"].astype("Int64")
    has_limit = limit.notna().to_numpy()
    limit_values = limit.fillna(0).to_numpy(dtype=np.int64)
    over_limit = has_limit & (balance > limit_values)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(has_limit & (limit_values > 0),
                               balance / np.where(limit_values > 0, limit_values, 1), np.nan)
    headroom = pd.array(np.where(has_limit, limit_values - balance, 0), dtype="Int64")
    headroom[~has_limit] = pd.NA

    owed = receivable_items if receivable_items is not None else receivables(ledger, as_of, settlement)
    overdue = owed[(owed["days_past_due"] > 0) & ~owed["disputed"]]
    oldest = (overdue.groupby("customer_id")["days_past_due"].max().reindex(index).fillna(0)
              .to_numpy(dtype=np.int64))
    marked = customers["on_hold"].to_numpy(dtype=bool)
    too_old = oldest > ledger.settings.hold_days
    hold = over_limit | too_old | marked
    reasons = np.full(len(customers), "", dtype=object)
    for mask, text in ((over_limit, "over credit limit"),
                       (too_old, f"items over {ledger.settings.hold_days} days past due"),
                       (marked, "on hold in Customers")):
        reasons = np.where(mask, np.where(reasons == "", text, reasons + "; " + text), reasons)

    applications = settlement.applications
    paid = ((applications["source_kind"] == "payment")
            & applications["invoice_kind"].isin(["invoice", "debit_note"])).to_numpy(dtype=bool)
    cash = applications[["customer_id", "date", "due_date", "amount"]][paid]
    applied_day = day_numbers(cash["date"])
    late = (applied_day - day_numbers(cash["due_date"])).astype(np.float64)
    weight = cash["amount"].to_numpy(dtype=np.int64)
    payer = position_in(cash["customer_id"], index)
    recent_cash = applied_day > today - RECENT_DAYS
    older_cash = ~recent_cash & (applied_day > today - RECENT_DAYS - OLDER_DAYS)
    recent = _weighted(
        np.concatenate([payer[recent_cash], position_in(overdue["customer_id"], index)]),
        np.concatenate([weight[recent_cash], overdue["open_amount"].to_numpy(dtype=np.int64)]),
        np.concatenate([late[recent_cash], overdue["days_past_due"].to_numpy(dtype=np.float64)]), len(index))
    older = _weighted(payer[older_cash], weight[older_cash], late[older_cash], len(index))
    trend = recent - older
    trend_points = np.where(np.isnan(trend), 0,
                            np.where(trend > TREND_DAYS, 1, np.where(trend < -TREND_DAYS, -1, 0)))

    promise_rows = promise_rows if promise_rows is not None else promises(ledger, as_of, settlement=settlement)
    in_window = day_numbers(promise_rows["promised_date"]) > today - BROKEN_WINDOW_DAYS
    broken = (promise_rows[promise_rows["status"].isin(NOT_KEPT).to_numpy() & in_window]
              .groupby("customer_id").size().reindex(index).fillna(0).to_numpy(dtype=np.int64))
    disputes = _disputes_raised(ledger, as_of).reindex(index).fillna(0).to_numpy(dtype=np.int64)

    points = (late_points(np.where(np.isnan(recent), older, recent)) + trend_points
              + np.select([broken >= 3, broken >= 1], [2, 1], 0) + (disputes >= 2).astype(np.int64))
    points = np.clip(points, 0, len(GRADES) - 1).astype(np.int64)
    return pd.DataFrame({
        "customer_id": customers["customer_id"].astype("str"),
        "name": customers["name"].astype("str"),
        "currency": currency,
        "balance": balance,
        "credit_limit": limit,
        "utilisation": utilisation,
        "headroom": headroom,
        "over_limit": over_limit,
        "oldest_days": oldest,
        "marked_on_hold": marked,
        "hold": hold,
        "hold_reason": pd.Series(reasons, dtype="str"),
        "recent_days_late": recent,
        "older_days_late": older,
        "trend_days": trend,
        "broken_promises": broken,
        "disputes": disputes,
        "risk_points": points,
        "risk_grade": pd.Series(np.array(list(GRADES), dtype=object)[points], dtype="str"),
    }, columns=list(CREDIT_COLUMNS))


def _disputes_raised(ledger: Ledger, as_of: dt.date) -> pd.Series:
    """Disputes raised per customer in the window ending at ``as_of`` (rule in the module docstring)."""
    today = day_number(as_of)
    rows = activity_rows(ledger, as_of, ("dispute",))
    rows = rows[day_numbers(rows["date"]) > today - BROKEN_WINDOW_DAYS]
    named = rows[rows["invoice_id"] != ""].drop_duplicates(["customer_id", "invoice_id"])
    blank = rows[rows["invoice_id"] == ""]
    invoices = ledger.invoices
    invoice_day = day_numbers(invoices["invoice_date"])
    flagged = invoices[(invoices["status"] == "disputed").to_numpy() & (invoice_day <= today)
                       & (invoice_day > today - BROKEN_WINDOW_DAYS)]
    flagged = flagged[~member(flagged["invoice_id"], named["invoice_id"])]
    every = pd.concat([named["customer_id"], blank["customer_id"], flagged["customer_id"]], ignore_index=True)
    return every.groupby(every.to_numpy(dtype=object)).size()


# --- the credit what-if -----------------------------------------------------------------------------------------

APPROVE, REFER, REFUSE = "approve", "refer", "refuse"
VERDICTS: tuple[str, ...] = (APPROVE, REFER, REFUSE)
"""Verdicts, best first; a decision is the worst of its findings."""
REFER_OVER_LIMIT = 0.10
REFER_OVERDUE_SHARE = 0.25
REFER_GRADES, REFUSE_GRADES = ("D",), ("E",)

STANDING_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "currency", "credit_limit", "balance", "headroom", "receivable", "overdue",
    "overdue_share", "risk_grade", "hold", "hold_verdict", "hold_text", "overdue_verdict", "overdue_text",
    "risk_verdict", "risk_text", "standing", "approve_up_to", "refer_up_to",
)
"""Per customer: money in minor units of ``currency``; ``receivable`` the open receivables and ``overdue`` their
undisputed overdue part; each ``*_verdict`` / ``*_text`` one finding; ``standing`` the worst of them;
``approve_up_to`` and ``refer_up_to`` the largest orders those verdicts allow (``<NA>``: no limit)."""


@dataclass(frozen=True)
class Finding:
    """One line of a credit decision: what was checked, its verdict and why."""

    topic: str
    verdict: str
    text: str


@dataclass(frozen=True)
class CreditDecision:
    """The answer to "can we ship an order of ``order`` (minor units of ``currency``) to this customer?"."""

    customer_id: str
    name: str
    currency: str
    order: int
    verdict: str
    findings: tuple[Finding, ...]
    approve_up_to: int | None
    refer_up_to: int | None


def _worst(*verdicts: np.ndarray) -> np.ndarray:
    """Element-wise the worst of several verdict arrays (refuse over refer over approve)."""
    rank = {verdict: index for index, verdict in enumerate(VERDICTS)}
    worst = np.maximum.reduce([np.array([rank[str(value)] for value in verdict], dtype=np.int64)
                               for verdict in verdicts])
    return np.array(VERDICTS, dtype=object)[worst]


def _money(minor: int, currency: str) -> str:
    return f"{to_major(int(minor), currency):,.{exponent(currency)}f}"


def credit_standing(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None,
                    position: pd.DataFrame | None = None, receivable_items: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """Every customer's order-independent findings and order limits (``STANDING_COLUMNS``; rules above).
    ``position`` (``credit_position``) and ``receivable_items`` (``arxl.receivables.receivables``), at the same
    date, may be passed to reuse them."""
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    owed = receivable_items if receivable_items is not None else receivables(ledger, as_of, settlement)
    position = position if position is not None else credit_position(ledger, as_of, settlement=settlement,
                                                                      receivable_items=owed)
    index = pd.Index(position["customer_id"])
    currency = position["currency"].to_numpy(dtype=object)
    own = owed["currency"].to_numpy(dtype=object) == currency[np.maximum(index.get_indexer(owed["customer_id"]),
                                                                         0)]
    owed = owed[own]
    receivable = owed.groupby("customer_id")["open_amount"].sum().reindex(index).fillna(0).to_numpy(np.int64)
    late = owed[(owed["days_past_due"] > 0).to_numpy() & ~owed["disputed"].to_numpy()]
    overdue = late.groupby("customer_id")["open_amount"].sum().reindex(index).fillna(0).to_numpy(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(receivable > 0, overdue / np.where(receivable > 0, receivable, 1), 0.0)
    marked = position["marked_on_hold"].to_numpy(dtype=bool)
    oldest = position["oldest_days"].to_numpy(dtype=np.int64)
    too_old = oldest > ledger.settings.hold_days
    hold_verdict = np.where(marked | too_old, REFUSE, APPROVE).astype(object)
    hold_text = np.where(marked, "on credit hold in Customers",
                         np.where(too_old, [f"items {days} days past due (hold after {ledger.settings.hold_days})"
                                            for days in oldest], "not on hold")).astype(object)
    overdue_verdict = np.where(share > REFER_OVERDUE_SHARE, REFER, APPROVE).astype(object)
    overdue_text = np.array([
        f"overdue {_money(late_amount, code)} of {_money(total, code)} open ({ratio:.0%})"
        + (f", more than {REFER_OVERDUE_SHARE:.0%}" if ratio > REFER_OVERDUE_SHARE else "")
        for late_amount, total, ratio, code in zip(overdue, receivable, share, currency, strict=True)],
        dtype=object)
    grade = position["risk_grade"].to_numpy(dtype=object)
    risk_verdict = np.where(np.isin(grade, REFUSE_GRADES), REFUSE,
                            np.where(np.isin(grade, REFER_GRADES), REFER, APPROVE)).astype(object)
    risk_text = np.array([f"risk grade {value} ({int(points)} point(s))" for value, points in
                          zip(grade, position["risk_points"], strict=True)], dtype=object)
    standing = _worst(hold_verdict, overdue_verdict, risk_verdict)
    limit = position["credit_limit"].astype("Int64")
    has_limit = limit.notna().to_numpy()
    limit_values = limit.fillna(0).to_numpy(dtype=np.int64)
    balance = position["balance"].to_numpy(dtype=np.int64)
    headroom = np.maximum(limit_values - balance, 0)
    # The 10 % is taken of the limit in minor units, half away from zero, as every amount arxl rounds.
    tolerance = (limit_values * int(REFER_OVER_LIMIT * 1000) + 500) // 1000
    refer_room = np.maximum(limit_values + tolerance - balance, 0)
    approve_up_to = pd.array(np.where(standing == APPROVE, headroom, 0), dtype="Int64")
    approve_up_to[(standing == APPROVE) & ~has_limit] = pd.NA
    refer_up_to = pd.array(np.where(standing != REFUSE, refer_room, 0), dtype="Int64")
    refer_up_to[(standing != REFUSE) & ~has_limit] = pd.NA
    return pd.DataFrame({
        "customer_id": position["customer_id"].astype("str"),
        "name": position["name"].astype("str"),
        "currency": position["currency"].astype("str"),
        "credit_limit": limit,
        "balance": balance,
        "headroom": position["headroom"],
        "receivable": receivable,
        "overdue": overdue,
        "overdue_share": share,
        "risk_grade": position["risk_grade"].astype("str"),
        "hold": marked | too_old,
        "hold_verdict": pd.Series(hold_verdict, dtype="str"),
        "hold_text": pd.Series(hold_text, dtype="str"),
        "overdue_verdict": pd.Series(overdue_verdict, dtype="str"),
        "overdue_text": pd.Series(overdue_text, dtype="str"),
        "risk_verdict": pd.Series(risk_verdict, dtype="str"),
        "risk_text": pd.Series(risk_text, dtype="str"),
        "standing": pd.Series(standing, dtype="str"),
        "approve_up_to": approve_up_to,
        "refer_up_to": refer_up_to,
    }, columns=list(STANDING_COLUMNS))


def credit_check(ledger: Ledger, as_of: dt.date, customer_id: str, order: int, *,
                 settlement: Settlement | None = None) -> CreditDecision:
    """Approve, refer or refuse an order of ``order`` minor units (the customer's currency) from ``customer_id``
    at ``as_of``, with the four findings (rules in the module docstring). ValueError for an unknown customer
    or an order that is not positive."""
    if order <= 0:
        raise ValueError(f"the order amount must be positive, not {order}")
    standing = credit_standing(ledger, as_of, settlement=settlement)
    rows = standing[standing["customer_id"] == customer_id]
    if rows.empty:
        raise ValueError(f'customer "{customer_id}" is not in the Customers table')
    row = rows.iloc[0]
    currency = str(row["currency"])
    balance = int(row["balance"])
    exposure = balance + int(order)
    limit = row["credit_limit"]
    if pd.isna(limit):
        limit_verdict, limit_text = APPROVE, (f"no credit limit; balance {_money(balance, currency)} + order "
                                              f"{_money(order, currency)} = {_money(exposure, currency)}")
    else:
        limit = int(limit)
        tolerance = (limit * int(REFER_OVER_LIMIT * 1000) + 500) // 1000
        facts = (f"balance {_money(balance, currency)} + order {_money(order, currency)} = "
                 f"{_money(exposure, currency)} against a limit of {_money(limit, currency)}")
        if exposure <= limit:
            limit_verdict, limit_text = APPROVE, f"within the limit: {facts}"
        elif exposure <= limit + tolerance:
            limit_verdict, limit_text = REFER, f"over the limit by at most {REFER_OVER_LIMIT:.0%}: {facts}"
        else:
            limit_verdict, limit_text = REFUSE, f"over the limit by more than {REFER_OVER_LIMIT:.0%}: {facts}"
    findings = (Finding("limit", limit_verdict, limit_text),
                Finding("hold", str(row["hold_verdict"]), str(row["hold_text"])),
                Finding("overdue share", str(row["overdue_verdict"]), str(row["overdue_text"])),
                Finding("risk grade", str(row["risk_verdict"]), str(row["risk_text"])))
    verdict = str(_worst(*(np.array([finding.verdict]) for finding in findings))[0])
    approve_up_to = None if pd.isna(row["approve_up_to"]) else int(row["approve_up_to"])
    refer_up_to = None if pd.isna(row["refer_up_to"]) else int(row["refer_up_to"])
    return CreditDecision(customer_id, str(row["name"]), currency, int(order), verdict, findings, approve_up_to,
                          refer_up_to)
