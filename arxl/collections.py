"""Collections: dunning levels, last contact, next action, the ranked worklist and dunning letters.

Every function is a pure function of (ledger, as-of date): Activity rows and documents dated after the as-of
date do not exist. Overdue means a positive open receivable (``arxl.receivables``: invoice, debit note or
reopened reversal) whose due date is before the as-of date; days past due are always counted from the due date
here, whatever the aging basis, because dunning is about due dates. Which documents are disputed and how
promises to pay are judged is ``arxl.receivables``' rule.

Rules (DESIGN.md section 3, "Collections"; where it is silent, the choice is written here):

- **Dunning levels** come from the DunningLevels table, else ``DEFAULT_LEVELS`` (1, 30, 60 and 90 days past
  due: Reminder, Second notice, Final notice, Collections; no fee). An overdue, undisputed item's level is the
  highest level whose ``min_days`` it has reached (0 below the first). A customer's level is the highest level
  of its items; its letter carries that level's fee (one fee per letter). A blank subject or template takes
  the default text of the level with the same position (the last default beyond the fourth).
- **Disputed** on the worklist is the open amount of every disputed document, overdue or not.
- **Last contact** is the latest Activity row of a customer with action call, email, letter, promise, dispute
  or resolved (notes are internal and do not count).
- **Next action** and its date, first rule that applies:
  1. the latest promise is broken and nobody has been in touch since its promised date: ``Call: promise
     broken`` on the as-of date;
  2. the latest promise is pending: ``Check promised payment`` the day after the promised date;
  3. everything overdue is disputed: ``Resolve dispute`` on the as-of date;
  4. the customer reached its level (the day its oldest undisputed overdue item crossed the level's min_days)
     and no letter or email went out since: ``Send <level name>`` on the as-of date (escalation means a
     letter);
  5. a higher level exists: ``Send <next level name>`` on the day the oldest item reaches it;
  6. at the top level with its letter sent: ``Call: final follow-up`` 14 days after the last contact (not
     before the as-of date);
  7. overdue but below the first level: ``Send <first level name>`` on the day the oldest item reaches it.
- **Priority score** (0-100), higher first::

      priority = 40 x collectable overdue / the largest collectable overdue of the worklist (same currency)
               + 30 x min(oldest days past due, 120) / 120
               + 20 x min(broken promises in the last 365 days, 2) / 2
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

from .credit import credit_position
from .dates import NAT_DAY, day_number, day_numbers, days_to_datetimes
from .fx import convertible, to_reporting_currency
from .ledger import Ledger
from .money import exponent, to_major
from .receivables import BROKEN, BROKEN_WINDOW_DAYS, PENDING, activity_rows, promises, receivables
from .settle import Settlement, settle

CONTACT_ACTIONS: tuple[str, ...] = ("call", "email", "letter", "promise", "dispute", "resolved")
LETTER_ACTIONS: tuple[str, ...] = ("letter", "email")

FINAL_FOLLOW_UP_DAYS = 14

PRIORITY_WEIGHTS: dict[str, float] = {"amount": 40.0, "days": 30.0, "promises": 20.0, "credit": 10.0}
PRIORITY_DAYS_CAP = 120
PRIORITY_BROKEN_CAP = 2

LEVEL_COLUMNS: tuple[str, ...] = ("level", "min_days", "name", "fee", "subject", "template")

_DEFAULT_BODY_END = (
    "\n\n{items}\n\nTotal overdue: {total_overdue} {currency}\n\n{payment_instructions}\n\n"
    "If you have any question about these items, please reply to this message.\n\nKind regards,\n{company_name}"
)
_DEFAULT_LEVEL_ROWS: tuple[tuple[int, int, str, str, str], ...] = (
    (1, 1, "Reminder", "Payment reminder from {company_name}: account {customer_id}",
     "Dear {contact},\n\nThis is a friendly reminder that the following items on account {customer_id} are past "
     "due. If you have already paid, thank you, and please disregard this message." + _DEFAULT_BODY_END),
    (2, 30, "Second notice", "Second notice: {total_overdue} {currency} overdue on account {customer_id}",
     "Dear {contact},\n\nWe have not yet received payment for the following items on account {customer_id}, "
     "now more than 30 days past due. Please arrange payment within 7 days." + _DEFAULT_BODY_END),
    (3, 60, "Final notice", "FINAL NOTICE: {total_overdue} {currency} overdue on account {customer_id}",
     "Dear {contact},\n\nDespite our earlier reminders, the following items on account {customer_id} remain "
     "unpaid more than 60 days after their due date. Unless we receive payment within 7 days we will place "
     "your account on credit hold." + _DEFAULT_BODY_END),
    (4, 90, "Collections", "Account {customer_id} referred to collections",
     "Dear {contact},\n\nThe following items on account {customer_id} are more than 90 days past due. Your "
     "account is on credit hold and will be referred to our collections process unless it is settled "
     "within 7 days." + _DEFAULT_BODY_END),
)
DEFAULT_LEVELS = pd.DataFrame({
    "level": np.array([row[0] for row in _DEFAULT_LEVEL_ROWS], dtype=np.int64),
    "min_days": np.array([row[1] for row in _DEFAULT_LEVEL_ROWS], dtype=np.int64),
    "name": pd.Series([row[2] for row in _DEFAULT_LEVEL_ROWS], dtype="str"),
    "fee": np.zeros(len(_DEFAULT_LEVEL_ROWS), dtype=np.int64),
    "subject": pd.Series([row[3] for row in _DEFAULT_LEVEL_ROWS], dtype="str"),
    "template": pd.Series([row[4] for row in _DEFAULT_LEVEL_ROWS], dtype="str"),
})
"""The standard dunning levels used when the workbook has no DunningLevels table (fees in minor units)."""

DUNNING_COLUMNS: tuple[str, ...] = (
    "customer_id", "document_id", "kind", "currency", "document_date", "due_date", "days_past_due",
    "open_amount", "level", "level_name", "instalment",
)
WORKLIST_COLUMNS: tuple[str, ...] = (
    "rank", "priority", "customer_id", "name", "currency", "balance", "overdue", "collectable", "disputed",
    "oldest_days", "level", "level_name", "last_contact_date", "last_contact_action", "next_action",
    "next_action_date", "promise_date", "promise_amount", "promise_status", "broken_promises", "over_limit",
    "credit_hold", "hold_reason", "risk_grade", "email", "contact",
)
"""The worklist: money in minor units of ``currency``; ``overdue`` = every overdue item, ``collectable`` = the
undisputed part; ``promise_*`` describe the customer's latest promise; dates are ``datetime64[s]``."""


# --- dunning --------------------------------------------------------------------------------------------------

def dunning_levels(ledger: Ledger) -> pd.DataFrame:
    """The dunning levels in force (``LEVEL_COLUMNS``), by min_days; blank texts take the defaults."""
    table = ledger.dunning_levels
    if table.empty:
        return DEFAULT_LEVELS.copy()
    levels = table.sort_values(["min_days", "level"], kind="stable").reset_index(drop=True)[list(LEVEL_COLUMNS)]
    position = np.minimum(np.arange(len(levels)), len(DEFAULT_LEVELS) - 1)
    for column in ("subject", "template"):
        defaults = DEFAULT_LEVELS[column].to_numpy(dtype=object)[position]
        values = levels[column].astype("str")
        levels[column] = pd.Series(np.where(values.str.strip() == "", defaults, values.to_numpy(dtype=object)),
                                   dtype="str")
    return levels


def level_index(days_past_due: np.ndarray, levels: pd.DataFrame) -> np.ndarray:
    """Position in ``levels`` (0-based) of the level each day count has reached, -1 below the first."""
    thresholds = levels["min_days"].to_numpy(dtype=np.int64)
    return np.searchsorted(thresholds, np.asarray(days_past_due, dtype=np.int64), side="right") - 1


def dunning(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None) -> pd.DataFrame:
    """Every overdue, undisputed receivable with its dunning level at ``as_of`` (``DUNNING_COLUMNS``).

    Level 0 (name "") means overdue but below the first level's min_days. An invoice with instalments is one
    item per open instalment (``instalment`` = ``k/n``), due on its own date: only its overdue ones are dunned.
    """
    items = receivables(ledger, as_of, settlement)
    items = items[(items["days_past_due"] > 0) & ~items["disputed"]].reset_index(drop=True)
    levels = dunning_levels(ledger)
    position = level_index(items["days_past_due"].to_numpy(), levels)
    numbers = np.where(position >= 0, levels["level"].to_numpy(dtype=np.int64)[np.maximum(position, 0)], 0)
    names = np.where(position >= 0, levels["name"].to_numpy(dtype=object)[np.maximum(position, 0)], "")
    result = items[["customer_id", "document_id", "kind", "currency", "document_date", "due_date",
                    "days_past_due", "open_amount", "instalment"]].copy()
    result["level"] = numbers.astype(np.int64)
    result["level_name"] = pd.Series(names, dtype="str")
    return result[list(DUNNING_COLUMNS)]


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


def worklist(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None) -> pd.DataFrame:
    """One row per customer with anything overdue, ranked (``WORKLIST_COLUMNS``, rules in the module docstring)."""
    settlement = settlement if settlement is not None else settle(ledger, as_of)
    today = day_number(as_of)
    items = receivables(ledger, as_of, settlement)
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

    oldest = np.where(grouped["collectable"] > 0, grouped["collectable_days"], grouped["overdue_days"])
    position = np.where(grouped["collectable"] > 0,
                        level_index(grouped["collectable_days"].to_numpy(), levels), -1)
    has_level = position >= 0
    safe = np.maximum(position, 0)
    level_min = levels["min_days"].to_numpy(dtype=np.int64)
    level_names = levels["name"].to_numpy(dtype=object)
    level_number = np.where(has_level, levels["level"].to_numpy(dtype=np.int64)[safe], 0)
    oldest_due = today - grouped["collectable_days"].to_numpy(dtype=np.int64)
    reached_on = oldest_due + level_min[safe]
    next_position = position + 1
    has_next = next_position < len(levels)
    next_safe = np.minimum(next_position, len(levels) - 1)
    next_on = oldest_due + level_min[next_safe]

    customers = grouped["customer_id"]
    contacts = last_contacts(ledger, as_of)
    last_contact = _lookup(customers, contacts, "last_contact_date", np.datetime64("NaT"))
    last_contact_day = np.where(np.isnat(last_contact.astype("datetime64[s]")), NAT_DAY,
                                day_numbers(last_contact))
    last_letter = _lookup(customers, contacts, "last_letter_date", np.datetime64("NaT")).astype("datetime64[s]")
    last_letter_day = np.where(np.isnat(last_letter), NAT_DAY, day_numbers(last_letter))

    promise_rows = promises(ledger, as_of)
    latest = promise_rows.groupby("customer_id", sort=True).tail(1)
    promise_status = _lookup(customers, latest, "status", "")
    promise_date = _lookup(customers, latest, "promised_date", np.datetime64("NaT")).astype("datetime64[s]")
    promise_day = np.where(np.isnat(promise_date), NAT_DAY, day_numbers(promise_date))
    promise_amount = latest.set_index("customer_id")["promised_amount"].reindex(customers).array
    recent = day_numbers(promise_rows["promised_date"]) > today - BROKEN_WINDOW_DAYS
    broken_rows = promise_rows[(promise_rows["status"] == BROKEN).to_numpy() & recent]
    broken_counts = broken_rows.groupby("customer_id").size()
    broken = broken_counts.reindex(customers).fillna(0).to_numpy(dtype=np.int64)

    credit = credit_position(ledger, as_of, settlement=settlement, promise_rows=promise_rows,
                             receivable_items=items)
    over_limit = _lookup(customers, credit, "over_limit", False).astype(bool)
    hold = _lookup(customers, credit, "hold", False).astype(bool)
    hold_reason = _lookup(customers, credit, "hold_reason", "")
    risk = _lookup(customers, credit, "risk_grade", "")

    broken_follow_up = (promise_status == BROKEN) & (last_contact_day <= promise_day)
    rules = [
        broken_follow_up,
        promise_status == PENDING,
        grouped["collectable"].to_numpy() == 0,
        has_level & (last_letter_day < reached_on),
        has_level & has_next,
        has_level,
    ]
    first_name = level_names[0] if len(level_names) else "reminder"
    action = np.select(rules, [
        "Call: promise broken",
        "Check promised payment",
        "Resolve dispute",
        "Send " + level_names[safe].astype(str),
        "Send " + level_names[next_safe].astype(str),
        "Call: final follow-up",
    ], f"Send {first_name}")
    first_on = oldest_due + (level_min[0] if len(level_min) else 1)
    action_day = np.select(rules, [
        np.full(len(grouped), today),
        promise_day + 1,
        np.full(len(grouped), today),
        np.full(len(grouped), today),
        next_on,
        np.maximum(today, last_contact_day + FINAL_FOLLOW_UP_DAYS),
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
    "customer_id", "customer_name", "contact", "email", "company_name", "company_address", "as_of", "currency",
    "total_overdue", "items", "item_count", "level", "level_name", "fee", "oldest_days", "payment_instructions",
)
"""The names a dunning subject or template may use."""


@dataclass(frozen=True)
class Letter:
    """One dunning letter: the customer at its highest level, its overdue undisputed items and the text."""

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


def _items_text(items: pd.DataFrame) -> str:
    header = f"{'Document':<16}{'Date':<12}{'Due date':<12}{'Days':>6}  {'Amount':>16}  Currency"
    lines = [header, "-" * len(header)]
    for row in items.itertuples(index=False):
        document = f"{row.document_id} {row.instalment}" if row.instalment else str(row.document_id)
        lines.append(f"{document:<16}{pd.Timestamp(row.document_date).date().isoformat():<12}"
                     f"{pd.Timestamp(row.due_date).date().isoformat():<12}{int(row.days_past_due):>6}  "
                     f"{money_text(int(row.open_amount), str(row.currency)):>16}  {row.currency}")
    return "\n".join(lines)


def letters(ledger: Ledger, as_of: dt.date, *, settlement: Settlement | None = None) -> list[Letter]:
    """One letter per customer with undisputed items at dunning level 1 or more, at its highest level.

    The subject and body are the level's templates rendered with ``SafeFormatter`` from ``PLACEHOLDERS``;
    fields it cannot fill stay visible in the text and are listed in ``Letter.warnings``.
    """
    items = dunning(ledger, as_of, settlement=settlement)
    items = items[items["level"] > 0]
    levels = dunning_levels(ledger).set_index("level")
    customers = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")
    settings = ledger.settings
    formatter = SafeFormatter()
    result = []
    ordered = items.sort_values(["customer_id", "currency", "due_date", "document_id"], kind="stable")
    for customer_id, own in ordered.groupby("customer_id", sort=True):
        level = int(own["level"].max())
        spec = levels.loc[level]
        known = customer_id in customers.index
        name = str(customers.at[customer_id, "name"]) if known else str(customer_id)
        email = str(customers.at[customer_id, "email"]) if known else ""
        contact = (str(customers.at[customer_id, "contact"]) if known else "") or name
        totals = {str(code): int(amount) for code, amount in own.groupby("currency")["open_amount"].sum().items()}
        currency_text = ", ".join(totals)
        values: dict[str, object] = {
            "customer_id": customer_id, "customer_name": name, "contact": contact, "email": email,
            "company_name": settings.company_name, "company_address": settings.company_address,
            "as_of": as_of.isoformat(), "currency": currency_text,
            "total_overdue": "; ".join(money_text(amount, code) for code, amount in totals.items()),
            "items": _items_text(own), "item_count": len(own), "level": level, "level_name": spec["name"],
            "fee": money_text(int(spec["fee"]), settings.reporting_currency),
            "oldest_days": int(own["days_past_due"].max()),
            "payment_instructions": settings.payment_instructions,
        }
        subject, subject_unknown = formatter.render(str(spec["subject"]), values)
        body, body_unknown = formatter.render(str(spec["template"]), values)
        warnings = [f"{customer_id}: level {level} ({spec['name']}): {field_text} was left as typed "
                    f"(known placeholders: {', '.join(PLACEHOLDERS)})"
                    for field_text in dict.fromkeys(subject_unknown + body_unknown)]
        result.append(Letter(str(customer_id), name, email, level, str(spec["name"]), int(spec["fee"]),
                             " ".join(subject.split()), body, own.reset_index(drop=True), totals, warnings))
    return result

