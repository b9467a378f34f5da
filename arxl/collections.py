"""Collections: dunning levels and letters, last contact, next action and the ranked worklist.

Every function is a pure function of (ledger, as-of date): Activity rows and documents dated after the as-of
date do not exist. Overdue means a positive open receivable (``arxl.receivables``: invoice, debit note or
reopened reversal) whose due date is before the as-of date; days past due are always counted from the due date
here, whatever the aging basis, because dunning is about due dates. Which documents are disputed and how
promises to pay are judged is ``arxl.receivables``' rule.

Rules (DESIGN.md section 3, "Collections"; where it is silent, the choice is written here):

- **Dunning levels** come from the DunningLevels table, else ``DEFAULT_LEVELS`` (1, 30, 60 and 90 days past
  due: Reminder, Second notice, Final notice, Collections; no fee), ordered by min_days. An overdue item's
  **reached level** is the highest level whose ``min_days`` it has reached (0 below the first).
- **Dunned items** are a customer's overdue items that are neither disputed nor **paused**: a promise to pay
  still pending (``arxl.receivables``: its promised date plus the grace days not yet passed, not yet kept)
  pauses the invoice it names, or every item of the customer when it names no invoice.
- **Letters sent** are the Activity ``letter`` rows (emails and calls are contacts, not letters). The level of a
  letter row is the number after "level" in its note (``Dunning letter level 2 (Second notice)``, as
  ``arxl letters`` logs it), else the level whose name the note contains (``Final notice sent``), else the level
  the customer's oldest dunned item had reached on the letter's date. Only letters dated after the due date
  of the customer's oldest dunned item count: earlier ones were about debts since paid, so a customer who
  cleared its account starts again at the first level.
- **Escalation is one step at a time**: the next letter is one level above the last letter sent, but never
  above the highest level the dunned items have reached; there is a letter to send when that is above the last
  letter sent and at least ``gap_days`` (DunningLevels, else Settings ``dunning_gap_days``) have passed since
  it. So a first letter is always the first level, however late the items are, and no level is skipped.
- **A letter** is written at that next level. It lists the dunned items that reached that level or beyond (so
  its wording, chosen for the level, is true of every item it lists: the defaults say "{min_days} days or more
  past due"), their total, the late fees and interest already charged on them, and the level's fee, which the
  letter announces and which ``arxl.postings`` proposes once the letter is logged in Activity. The letter is
  signed with Settings ``letter_signature`` (blank: the company name).
- **Disputed** on the worklist is the open amount of every disputed document, overdue or not; ``dispute_days``
  is the age of its oldest open Activity dispute and ``dispute_reason`` that dispute's document and reason.
- **Last contact** is the latest Activity row of a customer with action call, email, letter, promise, dispute
  or resolved (notes are internal and do not count).
- **Next action** and its date, first rule that applies:
  1. the latest promise was not kept (broken or partly kept) and nobody has been in touch since its last day:
     ``Call: promise broken`` (``Call: promise partly kept``) on the as-of date;
  2. the latest promise is pending: ``Check promised payment`` the day after its last day;
  3. nothing overdue can be dunned (all disputed): ``Resolve dispute`` on the as-of date;
  4. a letter is due: ``Send <level name>`` on the as-of date;
  5. a next letter is to come: ``Send <level name>`` on the day it is due: when the oldest dunned item
     reaches its level and the gap since the last letter has passed (so also the first letter of an account
     whose items are below the first level);
  6. the top level's letter was sent: ``Call: final follow-up`` 14 days after the last contact (not before the
     as-of date);
  7. every overdue undisputed item is paused by a pending promise: ``Check promised payment`` the day after the
     first such promise's last day.
- **Priority score** (0-100), higher first::

      priority = 40 x collectable overdue / the largest collectable overdue of the worklist (same currency)
               + 30 x min(oldest days past due, 120) / 120
               + 20 x min(promises not kept in the last 365 days, 2) / 2
               + 10 x (1 if over the credit limit else 0)

  The score is rounded to 2 decimals; ``rank`` orders by it, then collectable overdue (larger first), then
  customer_id. The oldest days past due are those of undisputed items (of disputed ones when nothing else is
  overdue).
- Amounts are converted to the reporting currency (FXRates) when every currency used has a rate, so a customer
  is one row; otherwise the worklist has one row per (customer, currency). Promise amounts stay in the currency
  they were entered in.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .arrays import member
from .credit import credit_position
from .dates import NAT_DAY, day_number, day_numbers, days_to_datetimes
from .fx import convertible, to_reporting_currency
from .ledger import Ledger
from .money import exponent, to_major
from .receivables import (
    BROKEN_WINDOW_DAYS,
    NOT_KEPT,
    PENDING,
    activity_rows,
    dispute_details,
    promises,
    receivables,
)
from .settle import Settlement, settle

CONTACT_ACTIONS: tuple[str, ...] = ("call", "email", "letter", "promise", "dispute", "resolved")
LETTER_ACTIONS: tuple[str, ...] = ("letter", "email")
CHARGE_TYPES: tuple[str, ...] = ("finance_charge", "late_fee")
"""Adjustments a letter reports as late fees and interest already charged."""

FINAL_FOLLOW_UP_DAYS = 14

PRIORITY_WEIGHTS: dict[str, float] = {"amount": 40.0, "days": 30.0, "promises": 20.0, "credit": 10.0}
PRIORITY_DAYS_CAP = 120
PRIORITY_BROKEN_CAP = 2

LEVEL_COLUMNS: tuple[str, ...] = ("level", "min_days", "name", "fee", "subject", "template", "gap_days")

_DEFAULT_BODY_END = (
    "\n\n{items}\n\nTotal overdue: {total_overdue} {currency}{charges_notice}{fee_notice}\n\n"
    "{payment_instructions}\n\nIf you have any question about these items, please reply to this message.\n\n"
    "Kind regards,\n{signature}"
)
_DEFAULT_LEVEL_ROWS: tuple[tuple[int, int, str, str, str], ...] = (
    (1, 1, "Reminder", "Payment reminder from {company_name}: account {customer_id}",
     "Dear {contact},\n\nThis is a friendly reminder that the following items on account {customer_id} are past "
     "due. If you have already paid, thank you, and please disregard this message." + _DEFAULT_BODY_END),
    (2, 30, "Second notice", "Second notice: {total_overdue} {currency} overdue on account {customer_id}",
     "Dear {contact},\n\nWe have not yet received payment for the following items on account {customer_id}, "
     "now {min_days} days or more past due. Please arrange payment within 7 days." + _DEFAULT_BODY_END),
    (3, 60, "Final notice", "FINAL NOTICE: {total_overdue} {currency} overdue on account {customer_id}",
     "Dear {contact},\n\nDespite our earlier reminders, the following items on account {customer_id} remain "
     "unpaid {min_days} days or more after their due date. Unless we receive payment within 7 days we will "
     "place your account on credit hold." + _DEFAULT_BODY_END),
    (4, 90, "Collections", "Account {customer_id} referred to collections",
     "Dear {contact},\n\nThe following items on account {customer_id} are {min_days} days or more past due. "
     "Unless the account is settled within 7 days we will place it on credit hold and refer it to our "
     "collections process." + _DEFAULT_BODY_END),
)
DEFAULT_LEVELS = pd.DataFrame({
    "level": np.array([row[0] for row in _DEFAULT_LEVEL_ROWS], dtype=np.int64),
    "min_days": np.array([row[1] for row in _DEFAULT_LEVEL_ROWS], dtype=np.int64),
    "name": pd.Series([row[2] for row in _DEFAULT_LEVEL_ROWS], dtype="str"),
    "fee": np.zeros(len(_DEFAULT_LEVEL_ROWS), dtype=np.int64),
    "subject": pd.Series([row[3] for row in _DEFAULT_LEVEL_ROWS], dtype="str"),
    "template": pd.Series([row[4] for row in _DEFAULT_LEVEL_ROWS], dtype="str"),
    "gap_days": pd.array([None] * len(_DEFAULT_LEVEL_ROWS), dtype="Int64"),
})
"""The standard dunning levels used when the workbook has no DunningLevels table (fees in minor units; a blank
gap means Settings ``dunning_gap_days``)."""

DUNNING_COLUMNS: tuple[str, ...] = (
    "customer_id", "document_id", "kind", "currency", "document_date", "due_date", "days_past_due",
    "open_amount", "level", "level_name", "paused", "instalment",
)
"""Every overdue, undisputed receivable: ``level`` / ``level_name`` the level it has reached by its days past
due (0 and "" below the first), ``paused`` whether a pending promise to pay covers it, ``instalment`` ``k/n``
for an instalment of an invoice ("" otherwise)."""
PLAN_COLUMNS: tuple[str, ...] = (
    "customer_id", "oldest_due", "reached", "last_sent", "last_sent_date", "next", "send", "send_on",
)
"""One row per customer with dunned items: positions in ``dunning_levels`` (0-based, -1 for none) of the
highest level ``reached``, the ``last_sent`` letter and the ``next`` letter (one above the last, at most the
reached); ``send`` whether that letter is due now, ``send_on`` the day it is (NaT when no letter is to come)."""
WORKLIST_COLUMNS: tuple[str, ...] = (
    "rank", "priority", "customer_id", "name", "currency", "balance", "overdue", "collectable", "disputed",
    "oldest_days", "level", "level_name", "last_contact_date", "last_contact_action", "next_action",
    "next_action_date", "promise_date", "promise_amount", "promise_status", "broken_promises", "over_limit",
    "credit_hold", "hold_reason", "risk_grade", "email", "contact", "dispute_days", "dispute_reason",
    "promise_shortfall", "last_letter", "last_letter_date",
)
"""The worklist: money in minor units of ``currency``; ``overdue`` = every overdue item, ``collectable`` = the
undisputed part; ``level``/``level_name`` the level reached by days past due; ``promise_*`` describe the
customer's latest promise (``promise_shortfall`` what a promise not kept lacks); ``broken_promises`` counts
promises not kept; ``last_letter`` is the level name of the last letter sent; dates are ``datetime64[s]``."""


# --- dunning --------------------------------------------------------------------------------------------------

def dunning_levels(ledger: Ledger) -> pd.DataFrame:
    """The dunning levels in force (``LEVEL_COLUMNS``), by min_days; blank texts take the defaults and blank
    gaps Settings ``dunning_gap_days``."""
    table = ledger.dunning_levels
    if table.empty:
        levels = DEFAULT_LEVELS.copy()
    else:
        levels = table.sort_values(["min_days", "level"], kind="stable").reset_index(drop=True)
        if "gap_days" not in levels:
            levels["gap_days"] = pd.array([None] * len(levels), dtype="Int64")
        levels = levels[list(LEVEL_COLUMNS)].copy()
        position = np.minimum(np.arange(len(levels)), len(DEFAULT_LEVELS) - 1)
        for column in ("subject", "template"):
            defaults = DEFAULT_LEVELS[column].to_numpy(dtype=object)[position]
            values = levels[column].astype("str")
            levels[column] = pd.Series(np.where(values.str.strip() == "", defaults,
                                                values.to_numpy(dtype=object)), dtype="str")
    levels["gap_days"] = (levels["gap_days"].astype("Int64").fillna(int(ledger.settings.dunning_gap_days))
                          .to_numpy(dtype=np.int64))
    return levels


def level_index(days_past_due: np.ndarray, levels: pd.DataFrame) -> np.ndarray:
    """Position in ``levels`` (0-based) of the level each day count has reached, -1 below the first."""
    thresholds = levels["min_days"].to_numpy(dtype=np.int64)
    return np.searchsorted(thresholds, np.asarray(days_past_due, dtype=np.int64), side="right") - 1


def paused_mask(items: pd.DataFrame, promise_rows: pd.DataFrame) -> np.ndarray:
    """Which items (customer_id, document_id) a pending promise covers: the invoice it names, or every item of
    the customer when it names none."""
    pending = promise_rows[(promise_rows["status"] == PENDING).to_numpy()]
    if pending.empty or items.empty:
        return np.zeros(len(items), dtype=bool)
    whole = member(items["customer_id"], pending.loc[pending["invoice_id"] == "", "customer_id"]).to_numpy()
    named = pending[pending["invoice_id"] != ""]
    keys = pd.MultiIndex.from_arrays([items["customer_id"].to_numpy(dtype=object),
                                      items["document_id"].to_numpy(dtype=object)])
    covered = keys.isin(pd.MultiIndex.from_arrays([named["customer_id"].to_numpy(dtype=object),
                                                   named["invoice_id"].to_numpy(dtype=object)]))
    return whole | np.asarray(covered, dtype=bool)


def dunning(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None,
            promise_rows: pd.DataFrame | None = None, receivable_items: pd.DataFrame | None = None
            ) -> pd.DataFrame:
    """Every overdue, undisputed receivable with the level it has reached at ``as_of`` and whether a pending
    promise pauses it (``DUNNING_COLUMNS``). ``promise_rows`` and ``receivable_items`` (``arxl.receivables``'
    ``promises`` and ``receivables`` at ``as_of``) may be passed to reuse them.

    Level 0 (name "") means overdue but below the first level's min_days. An invoice with instalments is one
    item per open instalment (``instalment`` = ``k/n``), due on its own date: only its overdue ones are dunned.
    """
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    items = receivable_items if receivable_items is not None else receivables(ledger, as_of, settlement)
    items = items[(items["days_past_due"] > 0) & ~items["disputed"]].reset_index(drop=True)
    levels = dunning_levels(ledger)
    position = level_index(items["days_past_due"].to_numpy(), levels)
    numbers = np.where(position >= 0, levels["level"].to_numpy(dtype=np.int64)[np.maximum(position, 0)], 0)
    names = np.where(position >= 0, levels["name"].to_numpy(dtype=object)[np.maximum(position, 0)], "")
    result = items[["customer_id", "document_id", "kind", "currency", "document_date", "due_date",
                    "days_past_due", "open_amount", "instalment"]].copy()
    result["level"] = numbers.astype(np.int64)
    result["level_name"] = pd.Series(names, dtype="str")
    promise_rows = promise_rows if promise_rows is not None else promises(ledger, as_of, settlement=settlement)
    result["paused"] = paused_mask(result, promise_rows)
    return result[list(DUNNING_COLUMNS)]


_LEVEL_IN_NOTE = re.compile(r"\blevel\s*(\d+)", re.IGNORECASE)


def named_levels(notes: pd.Series, levels: pd.DataFrame) -> np.ndarray:
    """The level position each letter note names: the number after "level" when it is a level of ``levels``,
    else the longest level name the note contains (case-insensitive); -1 when it names none."""
    numbers = levels["level"].to_numpy(dtype=np.int64)
    names = [str(name).casefold() for name in levels["name"]]
    by_length = sorted(range(len(names)), key=lambda index: -len(names[index]))
    result = np.full(len(notes), -1, dtype=np.int64)
    for index, note in enumerate(notes.astype("str")):
        found = _LEVEL_IN_NOTE.search(note)
        if found is not None and int(found.group(1)) in numbers:
            result[index] = int(np.flatnonzero(numbers == int(found.group(1)))[0])
            continue
        text = note.casefold()
        result[index] = next((position for position in by_length if names[position] and names[position] in text),
                             -1)
    return result


def letter_positions(notes: pd.Series, days_reached: np.ndarray, levels: pd.DataFrame) -> np.ndarray:
    """The level position of each letter row (rule in the module docstring): the level its note names, else the
    level ``days_reached`` (the oldest dunned item's days past due on the letter's date) gives; never below the
    first."""
    named = named_levels(notes, levels)
    return np.where(named >= 0, named, np.maximum(level_index(days_reached, levels), 0)).astype(np.int64)


def dunning_plan(ledger: Ledger, as_of: dt.date, *, items: pd.DataFrame | None = None,
                 settlement: Settlement | None = None, letters_before_today: bool = False) -> pd.DataFrame:
    """Per customer with dunned items: the level reached, the last letter sent and the next one (``PLAN_COLUMNS``;
    rules in the module docstring). ``items``: ``dunning`` at ``as_of``, to reuse it. ``letters_before_today``
    leaves out letters logged on the as-of date itself (they are the letters of a run at that date, which
    ``letters`` writes again rather than building on)."""
    items = items if items is not None else dunning(ledger, as_of, settlement=settlement)
    levels = dunning_levels(ledger)
    today = day_number(as_of)
    dunned = items[~items["paused"].to_numpy(dtype=bool)]
    empty = pd.DataFrame({"customer_id": pd.Series(dtype="str"), "oldest_due": pd.Series(dtype="int64"),
                          "reached": pd.Series(dtype="int64"), "last_sent": pd.Series(dtype="int64"),
                          "last_sent_date": pd.Series(dtype="datetime64[s]"), "next": pd.Series(dtype="int64"),
                          "send": pd.Series(dtype="bool"), "send_on": pd.Series(dtype="datetime64[s]")})
    if dunned.empty or levels.empty:
        return empty
    due = day_numbers(dunned["due_date"])
    grouped = pd.DataFrame({"customer_id": dunned["customer_id"].to_numpy(dtype=object), "due": due,
                            "reached": level_index(dunned["days_past_due"].to_numpy(), levels)}
                           ).groupby("customer_id", sort=True).agg(oldest_due=("due", "min"),
                                                                    reached=("reached", "max"))
    customers = grouped.index
    oldest_due = grouped["oldest_due"].to_numpy(dtype=np.int64)
    reached = grouped["reached"].to_numpy(dtype=np.int64)

    sent = activity_rows(ledger, as_of, ("letter",), ("customer_id", "date", "note", "row"))
    sent = sent[sent["customer_id"].isin(customers).to_numpy()]
    sent_day = day_numbers(sent["date"])
    at = customers.get_indexer(sent["customer_id"])
    counts = sent_day > oldest_due[at] if len(sent) else np.zeros(0, dtype=bool)
    if letters_before_today:
        counts &= sent_day < today
    sent, sent_day, at = sent[counts], sent_day[counts], at[counts]
    positions = letter_positions(sent["note"], sent_day - oldest_due[at], levels)
    last_sent = np.full(len(customers), -1, dtype=np.int64)
    last_day = np.full(len(customers), NAT_DAY, dtype=np.int64)
    if len(sent):
        order = np.lexsort((sent["row"].to_numpy(dtype=np.int64), sent_day, at))
        latest = order[np.r_[at[order][1:] != at[order][:-1], True]]
        last_sent[at[latest]] = positions[latest]
        last_day[at[latest]] = sent_day[latest]

    min_days = levels["min_days"].to_numpy(dtype=np.int64)
    gap = levels["gap_days"].to_numpy(dtype=np.int64)
    # One step above the last letter; when that is past the top level there is no next letter.
    has_next = last_sent + 1 < len(levels)
    next_position = np.where(has_next, last_sent + 1, last_sent)
    gap_ends = np.where(last_sent >= 0, last_day + gap[next_position], NAT_DAY)
    reach_day = oldest_due + min_days[next_position]
    send_on = np.where(has_next, np.maximum(gap_ends, reach_day), NAT_DAY)
    send = has_next & (reached >= next_position) & (send_on <= today)
    return pd.DataFrame({
        "customer_id": pd.Series(customers.to_numpy(dtype=object), dtype="str"),
        "oldest_due": oldest_due,
        "reached": reached,
        "last_sent": last_sent,
        "last_sent_date": days_to_datetimes(last_day),
        "next": np.where(has_next, next_position, -1).astype(np.int64),
        "send": send,
        "send_on": days_to_datetimes(send_on),
    }, columns=list(PLAN_COLUMNS))


# --- contacts -------------------------------------------------------------------------------------------------

def last_contacts(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Per customer with any contact: customer_id, last_contact_date, last_contact_action, and
    last_letter_date (latest letter or email, NaT when none)."""
    contacts = activity_rows(ledger, as_of, CONTACT_ACTIONS, ("customer_id", "date", "action", "row")).sort_values(
        ["customer_id", "date", "row"], kind="stable")
    latest = contacts.groupby("customer_id", sort=True).tail(1).set_index("customer_id")
    letters = contacts[contacts["action"].isin(LETTER_ACTIONS)].groupby("customer_id")["date"].max()
    return pd.DataFrame({
        "customer_id": pd.Series(latest.index, dtype="str"),
        "last_contact_date": latest["date"].to_numpy(),
        "last_contact_action": pd.Series(latest["action"].to_numpy(dtype=object), dtype="str"),
        "last_letter_date": letters.reindex(latest.index).to_numpy(dtype="datetime64[s]"),
    })


# --- the worklist ---------------------------------------------------------------------------------------------

def _lookup(keys: pd.Series, frame: pd.DataFrame, column: str, default: object) -> np.ndarray:
    """``frame[column]`` looked up by ``frame.customer_id`` for each key, ``default`` where missing."""
    where = pd.Index(frame["customer_id"]).get_indexer(keys)
    values = frame[column].to_numpy()
    found = where >= 0
    result = np.empty(len(keys), dtype=values.dtype if values.dtype != object else object)
    if len(values):
        result[:] = values[np.where(found, where, 0)]
    result[~found] = default
    return result


def _longest_disputes(ledger: Ledger, as_of: dt.date, items: pd.DataFrame) -> pd.DataFrame:
    """Per customer with an open Activity dispute on an open receivable: the days since the oldest was opened
    and "document: reason" of it (customer_id, dispute_days, dispute_reason)."""
    disputes = dispute_details(ledger, as_of)
    disputes = disputes.merge(items[["customer_id", "document_id"]].rename(columns={"document_id": "invoice_id"}),
                              on=["customer_id", "invoice_id"])
    disputes = disputes.sort_values(["customer_id", "opened", "invoice_id"], kind="stable")
    oldest = disputes.groupby("customer_id", sort=True).head(1).reset_index(drop=True)
    reason = oldest["invoice_id"].to_numpy(dtype=object) + np.where(
        oldest["reason"] != "", ": " + oldest["reason"].to_numpy(dtype=object), "")
    return pd.DataFrame({"customer_id": oldest["customer_id"].astype("str"),
                         "dispute_days": day_number(as_of) - day_numbers(oldest["opened"]),
                         "dispute_reason": pd.Series(reason, dtype="str")})


def worklist(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None,
             credit: pd.DataFrame | None = None, promise_rows: pd.DataFrame | None = None,
             receivable_items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer with anything overdue, ranked (``WORKLIST_COLUMNS``, rules in the module docstring).
    ``credit`` (``arxl.credit.credit_position``), ``promise_rows`` and ``receivable_items``
    (``arxl.receivables``' ``promises`` and ``receivables``), at ``as_of``, may be passed to reuse them."""
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    today = day_number(as_of)
    items = receivable_items if receivable_items is not None else receivables(ledger, as_of, settlement)
    levels = dunning_levels(ledger)
    overdue_mask = items["days_past_due"].to_numpy() > 0
    collectable_mask = overdue_mask & ~items["disputed"].to_numpy()
    amount = items["amount"].to_numpy(dtype=np.int64)
    days = items["days_past_due"].to_numpy(dtype=np.int64)
    frame = pd.DataFrame({
        "customer_id": items["customer_id"], "currency": items["group_currency"],
        "overdue": np.where(overdue_mask, amount, 0), "collectable": np.where(collectable_mask, amount, 0),
        "disputed": np.where(items["disputed"].to_numpy(), amount, 0),
        "collectable_days": np.where(collectable_mask, days, 0), "overdue_days": np.where(overdue_mask, days, 0),
    })
    grouped = frame.groupby(["customer_id", "currency"], sort=True).agg(
        overdue=("overdue", "sum"), collectable=("collectable", "sum"), disputed=("disputed", "sum"),
        collectable_days=("collectable_days", "max"), overdue_days=("overdue_days", "max")).reset_index()
    grouped = grouped[grouped["overdue"] > 0].reset_index(drop=True)
    balance = _balances(ledger, settlement)
    keys = pd.MultiIndex.from_frame(grouped[["customer_id", "currency"]])
    grouped["balance"] = balance.reindex(keys).fillna(0).to_numpy(dtype=np.int64)
    customers = grouped["customer_id"]

    if promise_rows is None:
        promise_rows = promises(ledger, as_of, settlement=settlement)
    dunned = dunning(ledger, as_of, settlement=settlement, promise_rows=promise_rows, receivable_items=items)
    plan = dunning_plan(ledger, as_of, items=dunned)
    oldest = np.where(grouped["collectable"] > 0, grouped["collectable_days"], grouped["overdue_days"])
    position = np.where(grouped["collectable"] > 0,
                        level_index(grouped["collectable_days"].to_numpy(), levels), -1)
    has_level = position >= 0
    safe = np.maximum(position, 0)
    level_min = levels["min_days"].to_numpy(dtype=np.int64)
    level_names = levels["name"].to_numpy(dtype=object)
    level_number = np.where(has_level, levels["level"].to_numpy(dtype=np.int64)[safe], 0)

    in_plan = pd.Index(plan["customer_id"]).get_indexer(customers) >= 0
    last_sent = _lookup(customers, plan, "last_sent", -1).astype(np.int64)
    next_position = _lookup(customers, plan, "next", -1).astype(np.int64)
    send = _lookup(customers, plan, "send", False).astype(bool)
    send_on = _lookup(customers, plan, "send_on", np.datetime64("NaT")).astype("datetime64[s]")
    send_day = np.where(np.isnat(send_on), NAT_DAY, day_numbers(send_on))
    last_letter_date = _lookup(customers, plan, "last_sent_date", np.datetime64("NaT")).astype("datetime64[s]")
    oldest_due = np.where(in_plan, _lookup(customers, plan, "oldest_due", 0).astype(np.int64),
                          today - grouped["collectable_days"].to_numpy(dtype=np.int64))
    next_name = level_names[np.maximum(next_position, 0)].astype(str) if len(level_names) else np.array([])

    contacts = last_contacts(ledger, as_of)
    last_contact = _lookup(customers, contacts, "last_contact_date", np.datetime64("NaT"))
    last_contact_day = np.where(np.isnat(last_contact.astype("datetime64[s]")), NAT_DAY,
                                day_numbers(last_contact))

    latest = promise_rows.groupby("customer_id", sort=True).tail(1)
    promise_status = _lookup(customers, latest, "status", "")
    promise_date = _lookup(customers, latest, "promised_date", np.datetime64("NaT")).astype("datetime64[s]")
    promise_last = _lookup(customers, latest, "last_day", np.datetime64("NaT")).astype("datetime64[s]")
    promise_last_day = np.where(np.isnat(promise_last), NAT_DAY, day_numbers(promise_last))
    promise_amount = latest.set_index("customer_id")["promised_amount"].reindex(customers).array
    shortfall = latest.set_index("customer_id")["shortfall"].reindex(customers).astype("Int64").array
    not_kept_latest = np.isin(promise_status, NOT_KEPT)
    shortfall[~not_kept_latest] = pd.NA
    recent = day_numbers(promise_rows["promised_date"]) > today - BROKEN_WINDOW_DAYS
    broken_rows = promise_rows[promise_rows["status"].isin(NOT_KEPT).to_numpy() & recent]
    broken = broken_rows.groupby("customer_id").size().reindex(customers).fillna(0).to_numpy(dtype=np.int64)

    if credit is None:
        credit = credit_position(ledger, as_of, settlement=settlement, promise_rows=promise_rows,
                                 receivable_items=items)
    over_limit = _lookup(customers, credit, "over_limit", False).astype(bool)
    hold = _lookup(customers, credit, "hold", False).astype(bool)
    hold_reason = _lookup(customers, credit, "hold_reason", "")
    risk = _lookup(customers, credit, "risk_grade", "")
    disputes = _longest_disputes(ledger, as_of, items[items["disputed"].to_numpy()])
    dispute_days = pd.array(_lookup(customers, disputes, "dispute_days", -1).astype(np.int64), dtype="Int64")
    dispute_days[dispute_days < 0] = pd.NA

    pending_rows = promise_rows[(promise_rows["status"] == PENDING).to_numpy()]
    first_pending = pending_rows.groupby("customer_id")["last_day"].min().reindex(customers)
    first_pending_day = np.where(first_pending.isna().to_numpy(), today,
                                 day_numbers(first_pending.fillna(pd.Timestamp(as_of))))

    broken_follow_up = not_kept_latest & (last_contact_day <= promise_last_day)
    rules = [
        broken_follow_up,
        promise_status == PENDING,
        grouped["collectable"].to_numpy() == 0,
        send,
        in_plan & (next_position >= 0),
        in_plan & (last_sent >= 0),
        ~in_plan,
    ]
    first_name = level_names[0] if len(level_names) else "reminder"
    action = np.select(rules, [
        np.where(promise_status == "partly kept", "Call: promise partly kept", "Call: promise broken"),
        "Check promised payment",
        "Resolve dispute",
        "Send " + next_name,
        "Send " + next_name,
        "Call: final follow-up",
        "Check promised payment",
    ], f"Send {first_name}")
    first_on = oldest_due + (level_min[0] if len(level_min) else 1)
    action_day = np.select(rules, [
        np.full(len(grouped), today),
        promise_last_day + 1,
        np.full(len(grouped), today),
        np.full(len(grouped), today),
        send_day,
        np.maximum(today, last_contact_day + FINAL_FOLLOW_UP_DAYS),
        first_pending_day + 1,
    ], first_on)

    largest = grouped.groupby("currency")["collectable"].transform("max").to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        amount_share = np.where(largest > 0, grouped["collectable"].to_numpy(dtype=np.float64) / largest, 0.0)
    priority = np.round(PRIORITY_WEIGHTS["amount"] * amount_share
                        + PRIORITY_WEIGHTS["days"] * np.minimum(oldest, PRIORITY_DAYS_CAP) / PRIORITY_DAYS_CAP
                        + (PRIORITY_WEIGHTS["promises"] * np.minimum(broken, PRIORITY_BROKEN_CAP)
                           / PRIORITY_BROKEN_CAP)
                        + PRIORITY_WEIGHTS["credit"] * over_limit.astype(np.float64), 2)

    result = pd.DataFrame({
        "rank": np.zeros(len(grouped), dtype=np.int64),
        "priority": priority,
        "customer_id": customers.astype("str"),
        "name": pd.Series(_lookup(customers, ledger.customers, "name", ""), dtype="str"),
        "currency": grouped["currency"].astype("str"),
        "balance": grouped["balance"].to_numpy(dtype=np.int64),
        "overdue": grouped["overdue"].to_numpy(dtype=np.int64),
        "collectable": grouped["collectable"].to_numpy(dtype=np.int64),
        "disputed": grouped["disputed"].to_numpy(dtype=np.int64),
        "oldest_days": oldest.astype(np.int64),
        "level": level_number.astype(np.int64),
        "level_name": pd.Series(np.where(has_level, level_names[safe], ""), dtype="str"),
        "last_contact_date": last_contact.astype("datetime64[s]"),
        "last_contact_action": pd.Series(_lookup(customers, contacts, "last_contact_action", ""), dtype="str"),
        "next_action": pd.Series(action, dtype="str"),
        "next_action_date": days_to_datetimes(action_day),
        "promise_date": promise_date,
        "promise_amount": promise_amount,
        "promise_status": pd.Series(promise_status, dtype="str"),
        "broken_promises": broken,
        "over_limit": over_limit,
        "credit_hold": hold,
        "hold_reason": pd.Series(hold_reason, dtype="str"),
        "risk_grade": pd.Series(risk, dtype="str"),
        "email": pd.Series(_lookup(customers, ledger.customers, "email", ""), dtype="str"),
        "contact": pd.Series(_lookup(customers, ledger.customers, "contact", ""), dtype="str"),
        "dispute_days": dispute_days,
        "dispute_reason": pd.Series(_lookup(customers, disputes, "dispute_reason", ""), dtype="str"),
        "promise_shortfall": shortfall,
        "last_letter": pd.Series(np.where(last_sent >= 0, level_names[np.maximum(last_sent, 0)], "")
                                 if len(level_names) else [""] * len(grouped), dtype="str"),
        "last_letter_date": last_letter_date,
    }, columns=list(WORKLIST_COLUMNS))
    result = result.sort_values(["priority", "collectable", "customer_id"], ascending=[False, False, True],
                                kind="stable").reset_index(drop=True)
    result["rank"] = np.arange(1, len(result) + 1, dtype=np.int64)
    return result


def _balances(ledger: Ledger, settlement: Settlement) -> pd.Series:
    """Each (customer_id, currency) balance, unapplied cash netted, in the worklist's currencies."""
    items = settlement.open_items
    amounts = items["open_amount"].to_numpy(dtype=np.int64)
    if convertible(ledger, settlement.as_of):
        amounts = to_reporting_currency(ledger, amounts, items["currency"].to_numpy(), settlement.as_of)
        currency = np.full(len(items), ledger.settings.reporting_currency, dtype=object)
    else:
        currency = items["currency"].to_numpy(dtype=object)
    return pd.Series(amounts).groupby([items["customer_id"].to_numpy(dtype=object), currency]).sum()


# --- letters --------------------------------------------------------------------------------------------------

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SafeFormatter(string.Formatter):
    """``{placeholder}`` templates filled from a fixed dict, and nothing else.

    Only plain names are looked up: attribute access (``{a.b}``), indexing (``{a[0]}``), conversions
    (``{a!r}``) and format specs (``{a:>9999}``) are never evaluated; such fields, and names the dict does not
    have, are left in the text as typed and reported. ``{{`` and ``}}`` give literal braces. A template whose
    braces do not pair up is returned as it stands, with a warning.
    """

    def render(self, template: str, values: Mapping[str, object]) -> tuple[str, list[str]]:
        """(the filled text, the fields left as typed)."""
        try:
            parsed = list(self.parse(template))
        except ValueError as exc:
            return template, [f"the template's braces do not pair up ({exc})"]
        parts: list[str] = []
        unknown: list[str] = []
        for literal, name, spec, conversion in parsed:
            parts.append(literal)
            if name is None:
                continue
            if _PLAIN_NAME.match(name) and name in values and not spec and conversion is None:
                parts.append(str(values[name]))
                continue
            typed = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            parts.append(typed)
            unknown.append(typed)
        return "".join(parts), unknown

    def get_field(self, field_name: str, args: object, kwargs: Mapping[str, object]) -> tuple[object, str]:
        """Plain names only, for callers that use ``format`` directly."""
        if not _PLAIN_NAME.match(field_name) or field_name not in kwargs:
            raise KeyError(field_name)
        return kwargs[field_name], field_name


def money_text(minor: int, currency: str) -> str:
    """``123456, 'USD'`` -> ``1,234.56`` (thousands separators, the currency's minor digits)."""
    return f"{to_major(int(minor), currency):,.{exponent(currency)}f}"


PLACEHOLDERS: tuple[str, ...] = (
    "customer_id", "customer_name", "contact", "email", "company_name", "company_address", "company_email",
    "as_of", "currency", "total_overdue", "items", "item_count", "level", "level_name", "min_days", "fee",
    "fee_notice", "charges", "charges_notice", "oldest_days", "payment_instructions", "signature",
)
"""The names a dunning subject or template may use."""


@dataclass(frozen=True)
class Letter:
    """One dunning letter: the customer, the level it is written at, the items it lists and the text.

    ``fee`` (minor units of ``fee_currency``) is the level's fee and ``fee_invoice`` the listed invoice it is
    charged on (the oldest, "" when there is no fee or no invoice to carry it); ``charges`` per currency: the
    late fees and interest already in force on the listed items; ``totals`` per currency: what they owe.
    """

    customer_id: str
    name: str
    email: str
    level: int
    level_name: str
    fee: int
    subject: str
    body: str
    items: pd.DataFrame
    totals: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    fee_currency: str = ""
    fee_invoice: str = ""
    charges: dict[str, int] = field(default_factory=dict)


def _items_text(items: pd.DataFrame, charges: pd.Series) -> str:
    show_charges = bool((charges > 0).any())
    header = f"{'Document':<16}{'Date':<12}{'Due date':<12}{'Days':>6}  {'Amount':>16}"
    header += f"  {'Of which charges':>16}" if show_charges else ""
    header += "  Currency"
    lines = [header, "-" * len(header)]
    for row, charged in zip(items.itertuples(index=False), charges, strict=True):
        document = f"{row.document_id} {row.instalment}" if row.instalment else str(row.document_id)
        line = (f"{document:<16}{pd.Timestamp(row.document_date).date().isoformat():<12}"
                f"{pd.Timestamp(row.due_date).date().isoformat():<12}{int(row.days_past_due):>6}  "
                f"{money_text(int(row.open_amount), str(row.currency)):>16}")
        if show_charges:
            line += f"  {money_text(int(charged), str(row.currency)):>16}"
        lines.append(line + f"  {row.currency}")
    return "\n".join(lines)


def letters(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None) -> list[Letter]:
    """The letters due at ``as_of``: one per customer whose plan says a letter is due (``dunning_plan``, letters
    logged on the as-of date itself left out, so a second run at the same date writes the same letters).

    The subject and body are the level's templates rendered with ``SafeFormatter`` from ``PLACEHOLDERS``;
    fields it cannot fill stay visible in the text and are listed in ``Letter.warnings``.
    """
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    items = dunning(ledger, as_of, settlement=settlement)
    plan = dunning_plan(ledger, as_of, items=items, letters_before_today=True)
    plan = plan[plan["send"].to_numpy(dtype=bool)].set_index("customer_id")
    levels = dunning_levels(ledger)
    customers = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")
    settings = ledger.settings
    adjustments = settlement.adjustments
    charged = (adjustments[adjustments["type"].isin(CHARGE_TYPES).to_numpy()].groupby("invoice_id")["effect"]
               .sum())
    formatter = SafeFormatter()
    result = []
    dunned = items[~items["paused"].to_numpy(dtype=bool) & items["customer_id"].isin(plan.index).to_numpy()]
    dunned = dunned.assign(position=level_index(dunned["days_past_due"].to_numpy(), levels))
    ordered = dunned.sort_values(["customer_id", "currency", "due_date", "document_date", "document_id"],
                                 kind="stable")
    for customer_id, customer_items in ordered.groupby("customer_id", sort=True):
        position = int(plan.at[customer_id, "next"])
        own = customer_items[customer_items["position"] >= position]
        spec = levels.iloc[position]
        known = customer_id in customers.index
        name = str(customers.at[customer_id, "name"]) if known else str(customer_id)
        email = str(customers.at[customer_id, "email"]) if known else ""
        contact = (str(customers.at[customer_id, "contact"]) if known else "") or name
        item_charges = charged.reindex(own["document_id"]).fillna(0).astype(np.int64).clip(lower=0)
        item_charges.index = own.index
        # An invoice in instalments is listed once per instalment: its charges are shown once.
        item_charges[own["document_id"].duplicated().to_numpy()] = 0
        totals = {str(code): int(amount) for code, amount in own.groupby("currency")["open_amount"].sum().items()}
        charges = {str(code): int(amount) for code, amount in item_charges.groupby(own["currency"]).sum().items()
                   if amount}
        charges_text = "; ".join(f"{money_text(amount, code)} {code}" for code, amount in charges.items())
        fee = int(spec["fee"])
        carriers = own[own["kind"].isin(["invoice", "debit_note"]).to_numpy()].sort_values(
            ["due_date", "document_date", "document_id"], kind="stable")
        fee_invoice = str(carriers["document_id"].iloc[0]) if fee and len(carriers) else ""
        reporting = settings.reporting_currency
        currency_text = ", ".join(totals)
        values: dict[str, object] = {
            "customer_id": customer_id, "customer_name": name, "contact": contact, "email": email,
            "company_name": settings.company_name, "company_address": settings.company_address,
            "company_email": settings.company_email, "as_of": as_of.isoformat(), "currency": currency_text,
            "total_overdue": "; ".join(money_text(amount, code) for code, amount in totals.items()),
            "items": _items_text(own, item_charges), "item_count": len(own), "level": int(spec["level"]),
            "level_name": spec["name"], "min_days": int(spec["min_days"]),
            "fee": money_text(fee, reporting),
            "fee_notice": (f"\nA late fee of {money_text(fee, reporting)} {reporting} is charged to your account "
                           "with this notice." if fee_invoice else ""),
            "charges": charges_text,
            "charges_notice": f"\nThis includes late fees and interest already charged: {charges_text}."
                              if charges else "",
            "oldest_days": int(own["days_past_due"].max()),
            "payment_instructions": settings.payment_instructions,
            "signature": settings.letter_signature or settings.company_name,
        }
        subject, subject_unknown = formatter.render(str(spec["subject"]), values)
        body, body_unknown = formatter.render(str(spec["template"]), values)
        body = re.sub(r"\n{3,}", "\n\n", body)  # a blank placeholder (no payment instructions) leaves no hole
        warnings = [f"{customer_id}: level {int(spec['level'])} ({spec['name']}): {field_text} was left as typed "
                    f"(known placeholders: {', '.join(PLACEHOLDERS)})"
                    for field_text in dict.fromkeys(subject_unknown + body_unknown)]
        if fee and not fee_invoice:
            warnings.append(f"{customer_id}: level {int(spec['level'])} has a fee but the letter lists no invoice "
                            "to charge it on; no fee")
        result.append(Letter(str(customer_id), name, email, int(spec["level"]), str(spec["name"]),
                             fee if fee_invoice else 0, " ".join(subject.split()), body,
                             own.drop(columns=["position"]).reset_index(drop=True), totals, warnings,
                             reporting if fee_invoice else "", fee_invoice, charges))
    return result
