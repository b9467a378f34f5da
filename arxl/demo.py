"""The demo book: 18 months of a wholesaler's receivables, generated as the input tables a user would type.

``generate_demo`` simulates customers with their own terms and payment habits, their invoices, credit and
debit notes, the cash they send (referenced, unreferenced, in instalments, split over several invoices, bounced
and replaced), the adjustments an AR clerk posts (discounts, write-offs, finance charges, recoveries) and the
collection activity around overdue invoices. It is deterministic (one seeded NumPy generator, drawn in a fixed
order) and vectorised over documents, so a million invoices take seconds, not hours.

Every figure is built to settle without over-application: for each invoice, the payments that name it, the
Applications rows, its credit note and its write-offs and discounts never add up to more than the invoice plus
its finance charges and recoveries, at the as-of date and at every earlier date.

Inside the module days are int64 day numbers (days since 1970-01-01) and money is int64 cents; the tables
are converted to what a user types in Excel (dates, float amounts in major units, ``yes``/``no``) only at the
end, column by column from the contract's column kinds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from arxl.contract import (
    ACTIVITY,
    ADJUSTMENTS,
    APPLICATIONS,
    CUSTOMERS,
    INVOICES,
    PAYMENTS,
    SETTING_KEYS,
    SETTINGS,
    Kind,
    Table,
)

__all__ = ["CUSTOMERS_PER_INVOICES", "HISTORY_MONTHS", "MIN_CUSTOMERS", "default_customers", "generate_demo"]

HISTORY_MONTHS = 18
"""Months of history that end at the as-of date."""

MIN_CUSTOMERS = 60
CUSTOMERS_PER_INVOICES = 50
"""With ``customers=None`` the book has ``max(MIN_CUSTOMERS, invoices // CUSTOMERS_PER_INVOICES)`` customers,
so every size keeps about 50 documents per customer (60 customers for 3,000 invoices, 20,000 for a million)."""

CURRENCY = "USD"
COMPANY_NAME = "Northwind Components Ltd"
COMPANY_ADDRESS = "1200 Harbor Way, Suite 400\nSeattle, WA 98101\nUnited States"
REMIT_TO = "Northwind Components Ltd\nLockbox 774411\nPO Box 35110\nSeattle, WA 98124-5110"
"""Where the demo's customers send cheques: a bank lockbox, not the office (Settings remit_to)."""
PAYMENT_INSTRUCTIONS = (
    "Pay by ACH or wire to Northwind Components Ltd, First Harbor Bank, routing 125000024, account 4400187723. "
    "Quote the invoice number with every payment."
)
COMPANY_EMAIL = "receivables@northwind-components.example"
"""The demo's sender: a documentation domain (RFC 2606), so a demo letter can never reach anyone."""
FINANCE_CHARGE_RATE_BP = 150
"""The demo's finance charges are 1.5% a month (in basis points), and its Settings say so."""

DISCOUNT_RATE_BP = 200
DISCOUNT_DAYS = 10
"""Early payers on 30 days or more take 2/10 net terms: 2% off when they pay within 10 days."""

# Shares of all documents (rows of the Invoices table).
CREDIT_NOTE_SHARE = 0.03
DEBIT_NOTE_SHARE = 0.01
DISPUTED_SHARE = 0.02
VOID_SHARE = 0.005

# Shares of customers.
NEVER_PAY_SHARE = 0.04  # stop paying 3 to 15 months before the as-of date and never pay again
CHURNED_SHARE = 0.05  # stopped buying 7 to 14 months ago, paid everything, left a small credit behind

# How paid documents are paid.
SPLIT_RUN_SHARE = 0.18  # of a customer's fortnights with two or more paid invoices: one payment for 2-3 of them
PARTIAL_SHARE = 0.05  # paid in two or three instalments
UNREFERENCED_SHARE = 0.17  # paid without saying which invoice
OVERPAY_SHARE = 0.04  # of unreferenced payments: a round figure above what was owed
SHORT_PAY_SHARE = 0.012  # paid a few dollars short; the difference is written off
BOUNCE_SHARE = 0.008  # of cheque payments: the cheque bounces, is reversed, and is replaced later

# Adjustments.
FINANCE_CHARGE_SHARE = 0.08  # of invoices more than 45 days late
BAD_DEBT_SHARE = 0.5  # of invoices unpaid 150 days after their due date
RECOVERY_SHARE = 0.15  # of bad debts, partly recovered later

TERMS_DAYS = (0, 15, 30, 45, 60)
TERMS_SHARES = (0.05, 0.15, 0.45, 0.25, 0.10)

# Payment behaviour profiles: early, prompt, a little late, late, chronic. Days after the due date.
PROFILE_SHARES = (0.12, 0.33, 0.30, 0.17, 0.08)
MEAN_DAYS_LATE = ((-12.0, -4.0), (-3.0, 3.0), (4.0, 15.0), (15.0, 40.0), (40.0, 90.0))
DAYS_LATE_SPREAD = ((1.0, 3.0), (1.0, 4.0), (3.0, 8.0), (5.0, 15.0), (10.0, 30.0))
_EARLY, _PROMPT, _LATE, _VERY_LATE, _CHRONIC = range(5)

METHODS = ("Transfer", "Cheque", "Wire", "Card")
METHOD_SHARES = (0.55, 0.30, 0.10, 0.05)
_TRANSFER, _CHEQUE, _WIRE, _CARD = range(4)

_NO_DAY = np.iinfo(np.int64).min  # becomes NaT
_NO_MONEY = np.iinfo(np.int64).min  # becomes NaN
_NEVER = np.iinfo(np.int64).max  # a day that never comes

# Document kinds and statuses, in the order they sort on a day.
_INVOICE, _DEBIT_NOTE, _CREDIT_NOTE = range(3)
_DOCUMENT_TYPES = ("invoice", "debit_note", "credit_note")
_DOCUMENT_PREFIXES = ("INV-", "DN-", "CN-")
_OPEN, _DISPUTED, _VOID = range(3)
_STATUSES = ("", "disputed", "void")

# How a document is paid.
_UNPAID, _SINGLE, _UNREFERENCED, _PARTIAL, _SPLIT = range(5)

_ADJUSTMENT_TYPES = ("write_off", "discount", "finance_charge", "bad_debt_recovery")
_WRITE_OFF, _DISCOUNT, _FINANCE_CHARGE, _RECOVERY = range(4)
_ACTIONS = ("call", "email", "letter", "promise", "dispute", "resolved", "note")
_CALL, _EMAIL, _LETTER, _PROMISE, _DISPUTE, _RESOLVED, _NOTE = range(7)

# Dunning: (days after due, action, share of eligible invoices, note).
_REMINDERS = (
    (5, _EMAIL, 0.40, "Payment reminder emailed"),
    (15, _CALL, 0.35, "Called accounts payable about the overdue invoice"),
    (30, _LETTER, 0.60, "First overdue letter sent"),
    (60, _LETTER, 0.80, "Final notice sent"),
)

_NAME_WORDS = (
    "Acme", "Apex", "Atlas", "Beacon", "Birch", "Blue Ridge", "Bramble", "Cascade", "Cedar", "Clearwater",
    "Cobalt", "Copper", "Crescent", "Delta", "Eagle", "Evergreen", "Falcon", "Granite", "Harbor", "Highland",
    "Horizon", "Ironwood", "Keystone", "Lakeside", "Liberty", "Maple", "Meridian", "Northstar", "Oakridge",
    "Orion", "Pinnacle", "Prairie", "Redwood", "Riverside", "Sierra", "Silverline", "Summit", "Trident",
    "Valley", "Westfield",
)
_NAME_TRADES = (
    "Industrial", "Manufacturing", "Logistics", "Electronics", "Foods", "Hardware", "Plastics", "Metals",
    "Medical", "Engineering", "Supply", "Packaging", "Automotive", "Building Products", "Chemicals", "Controls",
    "Fabrication", "Instruments", "Machining", "Marine", "Power Systems", "Robotics", "Textiles", "Tooling",
)
_NAME_SUFFIXES = ("Inc", "LLC", "Ltd", "Corp", "Co", "Group", "Partners", "Holdings")
_FIRST_NAMES = (
    "Alex", "Amara", "Ben", "Carla", "Chen", "Dana", "Diego", "Elena", "Farah", "Grace", "Hiro", "Imani",
    "Jack", "Jonas", "Keisha", "Liam", "Lucia", "Maya", "Mohammed", "Nora", "Omar", "Priya", "Quinn", "Rosa",
    "Sam", "Sofia", "Tariq", "Uma", "Victor", "Wei", "Yara", "Zoe",
)
_LAST_NAMES = (
    "Anderson", "Brooks", "Castillo", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kowalski", "Lopez", "Murphy", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Thompson",
    "Usman", "Varga", "Walsh", "Xu", "Young", "Zimmerman",
)
_STREETS = (
    "Oak", "Maple", "Industrial", "Commerce", "Harbor", "Mill", "Lake", "Park", "Railroad", "Franklin",
    "Washington", "Lincoln", "Cedar", "River", "Union", "Market",
)
_STREET_KINDS = ("St", "Ave", "Blvd", "Rd", "Way", "Dr", "Pkwy")
_CITIES = (
    ("Denver", "CO"), ("Portland", "OR"), ("Austin", "TX"), ("Columbus", "OH"), ("Raleigh", "NC"),
    ("Madison", "WI"), ("Boise", "ID"), ("Tucson", "AZ"), ("Omaha", "NE"), ("Richmond", "VA"),
    ("Spokane", "WA"), ("Dayton", "OH"), ("Fresno", "CA"), ("Tulsa", "OK"), ("Reno", "NV"),
    ("Albany", "NY"), ("Savannah", "GA"), ("Lansing", "MI"), ("Knoxville", "TN"), ("Wichita", "KS"),
)
_REGIONS = {"CO": "West", "OR": "West", "ID": "West", "AZ": "West", "WA": "West", "CA": "West", "NV": "West",
            "TX": "South", "NC": "South", "VA": "South", "OK": "South", "GA": "South", "TN": "South",
            "OH": "Midwest", "WI": "Midwest", "NE": "Midwest", "MI": "Midwest", "KS": "Midwest", "NY": "Northeast"}
_SALESPEOPLE = {"West": ("Maya Ortiz", "Ben Carter"), "South": ("Luis Romero", "Ava Brooks"),
                "Midwest": ("Noah Fischer", "Grace Lee"), "Northeast": ("Sam Patel",)}
"""Region of each state of ``_CITIES``, and the salespeople who look after each region's customers."""
_EMAIL_BOXES = ("ap", "accounts.payable", "payables", "finance", "invoices")
_INVOICE_TEXTS = (
    "Components order", "Spare parts", "Maintenance contract", "Installation services", "Custom fabrication",
    "Monthly supply agreement", "Replacement units", "Calibration service", "Bulk fasteners", "Control panels",
)
_DEBIT_NOTE_TEXTS = ("Freight surcharge", "Price adjustment", "Expedite fee", "Additional units shipped")
_CREDIT_NOTE_TEXTS = (
    "Credit: returned goods", "Credit: pricing error", "Credit: damaged in transit", "Credit: short shipment",
    "Credit: goodwill",
)
_DISPUTE_TEXTS = (
    "Customer disputes the price charged", "Goods reported damaged on arrival", "Short shipment claimed",
    "Customer says the invoice is a duplicate", "Service not completed, per customer",
)
_CUSTOMER_NOTES = (
    "Statement emailed", "AP contact details updated", "Copy invoices sent on request",
    "Annual credit review completed", "Customer asked for remittance by email",
)


def default_customers(invoices: int) -> int:
    """The number of customers the demo uses when none is given: ``max(60, invoices // 50)``."""
    return max(MIN_CUSTOMERS, invoices // CUSTOMERS_PER_INVOICES)


def generate_demo(
    *, customers: int | None = None, invoices: int = 3000, seed: int = 7, as_of: dt.date
) -> dict[str, pd.DataFrame]:
    """A realistic AR history ending at ``as_of``, as the input tables a user would have typed in Excel.

    Returns one frame per input table of the contract (Settings, Customers, Invoices, Payments,
    Applications, Adjustments, Activity), keyed by table name, with exactly the contract's columns in
    contract order: ids and text as ``str`` (``""`` when blank), dates as ``datetime64[s]`` (NaT when
    blank), money as float64 major units rounded to cents (NaN when blank), integers as int64, rates as
    float64 (NaN when blank: the demo is in one currency) and booleans as the text ``yes``/``no``.
    ``invoices`` is the number of rows of the Invoices table (credit and debit notes included);
    ``customers=None`` scales with it (see ``default_customers``). Every document is dated on or before
    ``as_of``; only promised dates and due dates may lie after it. Same arguments, same frames. Customers
    carry a group, region and salesperson derived from what they already are (no extra random draws).
    """
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    if invoices < 1:
        raise ValueError(f"invoices must be at least 1, not {invoices}")
    count = default_customers(invoices) if customers is None else customers
    if count < 1:
        raise ValueError(f"customers must be at least 1, not {count}")
    rng = np.random.default_rng(seed)
    window = _Window.ending(as_of)
    people = _make_customers(rng, count, window)
    documents = _make_documents(rng, people, invoices, window)
    books = _cash_and_adjustments(rng, people, documents, window)
    activity = _make_activity(rng, people, documents, books, window)
    limits = _credit_limits(rng, people, documents, window)
    invoice_frame = _invoices_frame(rng, people, documents)
    return {
        SETTINGS.name: _settings_frame(as_of),
        CUSTOMERS.name: _customers_frame(people, limits),
        INVOICES.name: invoice_frame,
        PAYMENTS.name: books.payments,
        APPLICATIONS.name: books.applications,
        ADJUSTMENTS.name: books.adjustments,
        ACTIVITY.name: activity,
    }


# --- calendar ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """The simulated period: day numbers ``first..last`` (``last`` = the as-of date) and its weekdays."""

    first: int
    last: int
    business_days: np.ndarray

    @classmethod
    def ending(cls, as_of: dt.date) -> _Window:
        month = as_of.year * 12 + as_of.month - 1 - HISTORY_MONTHS
        year, month_index = divmod(month, 12)
        start_month = dt.date(year, month_index + 1, 1)
        next_month = dt.date(year + (month_index + 1) // 12, (month_index + 1) % 12 + 1, 1)
        start = dt.date(year, month_index + 1, min(as_of.day, (next_month - start_month).days))
        first, last = _day(start) + 1, _day(as_of)
        days = np.arange(first, last + 1, dtype=np.int64)
        return cls(first, last, days[_weekday(days) < 5])

    def business_day_until(self, rng: np.random.Generator, until: np.ndarray) -> np.ndarray:
        """A uniformly drawn weekday in ``first..until`` for each element of ``until``."""
        available = np.searchsorted(self.business_days, until, side="right")
        return self.business_days[(rng.random(len(until)) * available).astype(np.int64)]


def _day(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 (day 0, 1970-01-01, was a Thursday)."""
    return (days + 3) % 7


def _next_business_day(days: np.ndarray) -> np.ndarray:
    weekday = _weekday(days)
    return days + np.where(weekday == 5, 2, 0) + np.where(weekday == 6, 1, 0)


# --- small vectorised helpers --------------------------------------------------------------------------------


def _share_count(share: float, total: int) -> int:
    return int(share * total + 0.5)


def _pick(rng: np.random.Generator, pool: np.ndarray, count: int) -> np.ndarray:
    """``count`` distinct elements of ``pool`` (fewer if the pool is smaller), in ascending order."""
    return np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))


def _percent_of(cents: np.ndarray, basis_points: int) -> np.ndarray:
    """``cents * basis_points / 10000`` rounded half away from zero (``cents`` are not negative)."""
    return (cents * basis_points + 5000) // 10000


def _numbered(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` + zero-padded ``numbers`` as an object array of str, built from bytes (fast at a million)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    raw = np.empty((len(numbers), len(head) + width), dtype=np.uint8)
    raw[:, : len(head)] = head
    raw[:, len(head) :] = (numbers[:, None] // 10 ** np.arange(width - 1, -1, -1)) % 10 + ord("0")
    return raw.view(f"S{raw.shape[1]}").ravel().astype(str).astype(object)


def _id_width(count: int, minimum: int) -> int:
    return max(minimum, len(str(count)))


def _choose_text(rng: np.random.Generator, texts: tuple[str, ...], size: int) -> np.ndarray:
    return np.array(texts, dtype=object)[rng.integers(0, len(texts), size)]


def _iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days.astype("datetime64[D]")).astype(object)


def _lognormal_between(
    rng: np.random.Generator, median: np.ndarray, sigma: float, low: float, high: float
) -> np.ndarray:
    """Log-normal draws around ``median``, redrawn until they fall in ``[low, high]`` (no lumps at the ends)."""
    log_median = np.log(median)
    values = rng.lognormal(log_median, sigma)
    outside = np.flatnonzero((values < low) | (values > high))
    while len(outside):
        values[outside] = rng.lognormal(log_median[outside], sigma)
        outside = outside[(values[outside] < low) | (values[outside] > high)]
    return values


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows where any of the (sorted) ``keys`` changes: the first row of each run."""
    length = len(keys[0])
    starts = np.zeros(length, dtype=bool)
    if length:
        starts[0] = True
        for key in keys:
            starts[1:] |= key[1:] != key[:-1]
    return starts


def _run_ends(key: np.ndarray) -> np.ndarray:
    """Boolean mask of the last row of each run of equal values in the (sorted) ``key``."""
    ends = np.ones(len(key), dtype=bool)
    ends[:-1] = key[1:] != key[:-1]
    return ends


def _rows_in(blocks: list[dict[str, np.ndarray]]) -> int:
    return sum(len(block["day"]) for block in blocks)


def _concat(blocks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {name: np.concatenate([block[name] for block in blocks]) for name in blocks[0]}


def _take_text(texts: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``texts[index]`` with ``""`` where ``index`` is -1."""
    if len(texts) == 0:
        return np.full(len(index), "", dtype=object)
    return np.where(index >= 0, texts[np.maximum(index, 0)], "")


# --- customers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Customers:
    """The customer population, one array element per customer (money in cents, days as day numbers)."""

    ids: np.ndarray
    names: np.ndarray
    bank_names: np.ndarray  # how the bank prints the payer's name
    emails: np.ndarray
    contacts: np.ndarray
    addresses: np.ndarray
    terms: np.ndarray
    mean_days_late: np.ndarray
    days_late_spread: np.ndarray
    takes_discount: np.ndarray
    stops_paying: np.ndarray  # invoices dated on or after this day are never paid
    active_until: np.ndarray  # last day the customer buys
    churned: np.ndarray
    on_hold: np.ndarray
    volume: np.ndarray  # relative number of invoices
    amount_scale: np.ndarray  # relative invoice size
    method: np.ndarray  # preferred payment method
    po_share: np.ndarray  # share of invoices that carry a PO number

    @property
    def count(self) -> int:
        return len(self.ids)


def _make_customers(rng: np.random.Generator, count: int, window: _Window) -> _Customers:
    profile = rng.choice(len(PROFILE_SHARES), size=count, p=PROFILE_SHARES)
    terms = rng.choice(np.array(TERMS_DAYS, dtype=np.int64), size=count, p=TERMS_SHARES)
    late_range = np.array(MEAN_DAYS_LATE)[profile]
    spread_range = np.array(DAYS_LATE_SPREAD)[profile]
    mean_days_late = rng.uniform(late_range[:, 0], late_range[:, 1])
    spread = rng.uniform(spread_range[:, 0], spread_range[:, 1])
    takes_discount = (profile == _EARLY) & (terms >= 30) & (rng.random(count) < 0.5)
    # Discount takers pay about six days after the invoice date, inside the ten-day discount window.
    mean_days_late = np.where(takes_discount, 6.0 - terms, mean_days_late)
    spread = np.where(takes_discount, 1.5, spread)

    least = 1 if count >= 10 else 0
    never_pay = _pick(rng, np.flatnonzero(profile >= _LATE), max(least, _share_count(NEVER_PAY_SHARE, count)))
    stops_paying = np.full(count, _NEVER, dtype=np.int64)
    stops_paying[never_pay] = window.last - rng.integers(90, 451, len(never_pay))
    churned_ids = _pick(rng, np.flatnonzero(profile <= _PROMPT), max(least, _share_count(CHURNED_SHARE, count)))
    churned = np.zeros(count, dtype=bool)
    churned[churned_ids] = True
    active_until = np.full(count, window.last, dtype=np.int64)
    active_until[churned_ids] = window.last - rng.integers(210, 421, len(churned_ids))
    on_hold = np.isin(np.arange(count), never_pay) | ((profile == _CHRONIC) & (rng.random(count) < 0.35))

    word, trade, suffix, branch = _name_parts(rng, count)
    words = np.array(_NAME_WORDS, dtype=object)[word]
    trades = np.array(_NAME_TRADES, dtype=object)[trade]
    names = words + " " + trades + " " + np.array(_NAME_SUFFIXES, dtype=object)[suffix] + branch
    bank_names = np.strings.upper(np.strings.slice((words + " " + trades).astype(str), 0, 18)).astype(object)
    domains = (
        np.array([w.lower().replace(" ", "") for w in _NAME_WORDS], dtype=object)[word]
        + np.array([t.lower().replace(" ", "") for t in _NAME_TRADES], dtype=object)[trade]
        + ".com"
    )
    emails = _choose_text(rng, _EMAIL_BOXES, count) + "@" + domains
    emails = np.where(rng.random(count) < 0.05, "", emails)
    contacts = _choose_text(rng, _FIRST_NAMES, count) + " " + _choose_text(rng, _LAST_NAMES, count)
    city = rng.integers(0, len(_CITIES), count)
    addresses = (
        rng.integers(10, 9900, count).astype(str).astype(object) + " " + _choose_text(rng, _STREETS, count)
        + " " + _choose_text(rng, _STREET_KINDS, count) + "\n"
        + np.array([c for c, _ in _CITIES], dtype=object)[city] + ", "
        + np.array([s for _, s in _CITIES], dtype=object)[city] + " "
        + rng.integers(10000, 99999, count).astype(str).astype(object)
    )
    return _Customers(
        ids=_numbered("C", np.arange(1, count + 1), _id_width(count, 4)),
        names=names,
        bank_names=bank_names,
        emails=emails,
        contacts=contacts,
        addresses=addresses,
        terms=terms,
        mean_days_late=mean_days_late,
        days_late_spread=spread,
        takes_discount=takes_discount,
        stops_paying=stops_paying,
        active_until=active_until,
        churned=churned,
        on_hold=on_hold,
        volume=rng.lognormal(0.0, 0.9, count),
        amount_scale=rng.lognormal(0.0, 0.45, count),
        method=rng.choice(len(METHODS), size=count, p=METHOD_SHARES),
        po_share=rng.choice(np.array([0.0, 0.5, 0.95]), size=count, p=(0.3, 0.2, 0.5)),
    )


def _name_parts(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (word, trade, suffix) combinations; past 7,680 customers a city name tells branches apart."""
    combinations = len(_NAME_WORDS) * len(_NAME_TRADES) * len(_NAME_SUFFIXES)
    number = np.arange(count)
    combination = rng.permutation(combinations)[number % combinations]
    word, rest = np.divmod(combination, len(_NAME_TRADES) * len(_NAME_SUFFIXES))
    trade, suffix = np.divmod(rest, len(_NAME_SUFFIXES))
    round_ = number // combinations
    cities = np.array([" (" + c + ")" for c, _ in _CITIES], dtype=object)
    branch = np.where(round_ > 0, cities[(round_ - 1) % len(_CITIES)], "")
    return word, trade, suffix, branch


def _credit_limits(
    rng: np.random.Generator, people: _Customers, documents: _Documents, window: _Window
) -> np.ndarray:
    """Credit limits in cents, sized on each customer's monthly billing and terms; about 8% have none."""
    billed = documents.billable & (documents.status != _VOID)
    total = np.bincount(documents.customer[billed], documents.amount[billed], minlength=people.count)
    months = np.maximum(people.active_until - window.first, 30) / 30.4
    exposure_days = people.terms + np.maximum(people.mean_days_late, 0) + 30
    wanted = total / months * exposure_days / 30 * rng.uniform(0.8, 1.6, people.count)
    thousands = np.maximum(np.ceil(wanted / 100_000), 5).astype(np.int64)
    return np.where(rng.random(people.count) < 0.08, _NO_MONEY, thousands * 100_000)


# --- invoices, debit notes, credit notes ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Documents:
    """Rows of the Invoices table in their final order (by date), one array element per document."""

    kind: np.ndarray
    customer: np.ndarray
    day: np.ndarray
    due: np.ndarray
    amount: np.ndarray  # cents, negative for credit notes
    status: np.ndarray
    applies_to: np.ndarray  # row of the credited invoice, -1
    ids: np.ndarray
    credited: np.ndarray  # cents its credit note takes off an invoice, 0 if none
    credit_day: np.ndarray  # day of that credit note, _NO_DAY if none
    resolves_dispute: np.ndarray  # a credit note that settled a dispute about its invoice

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def billable(self) -> np.ndarray:
        return self.kind != _CREDIT_NOTE


def _make_documents(rng: np.random.Generator, people: _Customers, count: int, window: _Window) -> _Documents:
    credits = _share_count(CREDIT_NOTE_SHARE, count)
    debits = _share_count(DEBIT_NOTE_SHARE, count)
    invoices = count - credits - debits
    billable = invoices + debits

    customer = rng.choice(people.count, size=billable, p=people.volume / people.volume.sum())
    first_invoices = min(invoices, people.count)
    customer[:first_invoices] = np.arange(first_invoices)  # everyone has bought something
    kind = np.where(np.arange(billable) < invoices, _INVOICE, _DEBIT_NOTE)
    day = window.business_day_until(rng, people.active_until[customer])
    dollars = np.where(
        kind == _INVOICE,
        _lognormal_between(rng, 1800.0 * people.amount_scale[customer], 1.0, 150.0, 40_000.0),
        _lognormal_between(rng, np.full(billable, 220.0), 0.8, 25.0, 2_500.0),
    )
    amount = np.rint(dollars * 100).astype(np.int64)

    status = np.zeros(billable, dtype=np.int8)
    status[_pick(rng, np.arange(invoices), _share_count(VOID_SHARE, count))] = _VOID
    recent = (status == _OPEN) & (kind == _INVOICE) & (day >= window.last - 150) & (day <= window.last - 7)
    status[_pick(rng, np.flatnonzero(recent), _share_count(DISPUTED_SHARE, count))] = _DISPUTED

    target = _pick(rng, np.flatnonzero((status == _OPEN) & (kind == _INVOICE)), credits)
    credits = len(target)
    whole = rng.random(credits) < 0.15
    fraction = rng.uniform(0.05, 0.5, credits)
    credit = np.where(whole, amount[target], np.maximum(1, np.rint(amount[target] * fraction))).astype(np.int64)
    credit_day = np.minimum(day[target] + rng.integers(2, 41, credits), window.last)
    resolves = (rng.random(credits) < 0.4) & (credit_day - day[target] >= 2)

    all_kind = np.concatenate([kind, np.full(credits, _CREDIT_NOTE)])
    all_customer = np.concatenate([customer, customer[target]])
    all_day = np.concatenate([day, credit_day])
    # Documents of a day are numbered in a shuffled order, so a day's invoices mix customers.
    order = np.lexsort((rng.permutation(len(all_day)), all_kind, all_day))
    row_of = np.empty(len(order), dtype=np.int64)
    row_of[order] = np.arange(len(order))

    total = len(order)
    applies_to = np.full(total, -1, dtype=np.int64)
    credit_rows = row_of[billable:]
    applies_to[credit_rows] = row_of[target]
    credited = np.zeros(total, dtype=np.int64)
    credited[row_of[target]] = credit
    invoice_credit_day = np.full(total, _NO_DAY, dtype=np.int64)
    invoice_credit_day[row_of[target]] = credit_day
    resolves_dispute = np.zeros(total, dtype=bool)
    resolves_dispute[credit_rows] = resolves

    kind = all_kind[order]
    customer = all_customer[order]
    day = all_day[order]
    ids = np.empty(total, dtype=object)
    for code, prefix in enumerate(_DOCUMENT_PREFIXES):
        rows = np.flatnonzero(kind == code)
        ids[rows] = _numbered(prefix, np.arange(1, len(rows) + 1), _id_width(len(rows), 6))
    return _Documents(
        kind=kind,
        customer=customer,
        day=day,
        due=np.where(kind == _CREDIT_NOTE, day, day + people.terms[customer]),
        amount=np.concatenate([amount, -credit])[order],
        status=np.concatenate([status, np.zeros(credits, dtype=np.int8)])[order],
        applies_to=applies_to,
        ids=ids,
        credited=credited,
        credit_day=invoice_credit_day,
        resolves_dispute=resolves_dispute,
    )


def _invoices_frame(rng: np.random.Generator, people: _Customers, documents: _Documents) -> pd.DataFrame:
    count = documents.count
    billable = documents.billable
    # A few due dates are left blank, as users do: the loader derives them from the customer's terms.
    due = np.where(billable & (rng.random(count) >= 0.02), documents.due, _NO_DAY)
    with_po = billable & (rng.random(count) < people.po_share[documents.customer])
    po_number = np.where(with_po, _numbered("PO-", rng.integers(0, 1_000_000, count), 6), "")
    description = np.select(
        [documents.kind == _INVOICE, documents.kind == _DEBIT_NOTE],
        [_choose_text(rng, _INVOICE_TEXTS, count), _choose_text(rng, _DEBIT_NOTE_TEXTS, count)],
        _choose_text(rng, _CREDIT_NOTE_TEXTS, count),
    )
    return _frame(
        INVOICES,
        invoice_id=documents.ids,
        customer_id=people.ids[documents.customer],
        invoice_date=documents.day,
        amount=documents.amount,
        due_date=due,
        type=np.array(_DOCUMENT_TYPES, dtype=object)[documents.kind],
        applies_to=_take_text(documents.ids, documents.applies_to),
        currency=np.full(count, CURRENCY, dtype=object),
        status=np.array(_STATUSES, dtype=object)[documents.status],
        po_number=po_number,
        description=description,
        fx_rate=np.full(count, np.nan),
    )


# --- cash, applications and adjustments ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Books:
    """The settled side of the ledger, as finished frames, plus per-document facts the activity needs."""

    payments: pd.DataFrame
    applications: pd.DataFrame
    adjustments: pd.DataFrame
    mode: np.ndarray  # how each document is paid
    owed: np.ndarray  # cents the customer owes once its credit note is taken off
    pay_day: np.ndarray  # day of its (first) payment under the customer's behaviour
    settled_day: np.ndarray  # day it stopped being overdue: paid in full or written off; last + 1 if open
    single_amount: np.ndarray  # for _SINGLE documents: the amount of their one payment
    promisable: np.ndarray  # _SINGLE documents whose one payment is clean (not bounced, not short)


def _cash_and_adjustments(
    rng: np.random.Generator, people: _Customers, documents: _Documents, window: _Window
) -> _Books:
    """How each document gets paid (or not), and the payments, applications and adjustments that follow."""
    count, last = documents.count, window.last
    customer = documents.customer
    billable = documents.billable
    churned = people.churned[customer]
    owed = np.where(billable, documents.amount - documents.credited, 0)

    mean, spread = people.mean_days_late[customer], people.days_late_spread[customer]
    days_late = np.rint(np.clip(rng.normal(mean, spread), mean - 3 * spread, mean + 3 * spread)).astype(np.int64)
    pay_day = np.maximum(documents.due + days_late, documents.day + 1)
    # Customers pay what is left after a credit note, so after it.
    pay_day = np.where(documents.credit_day != _NO_DAY, np.maximum(pay_day, documents.credit_day + 1), pay_day)
    pay_day = _next_business_day(pay_day)
    will_pay = (
        billable & (documents.status == _OPEN) & (owed > 0) & (documents.day < people.stops_paying[customer])
    )
    paid = will_pay & (pay_day <= last)

    discounted = (
        paid & people.takes_discount[customer] & (documents.kind == _INVOICE)
        & (pay_day <= documents.day + DISCOUNT_DAYS)
    )
    discount = np.where(discounted, _percent_of(owed, DISCOUNT_RATE_BP), 0)

    mode = np.full(count, _UNPAID, dtype=np.int8)
    overpaid = np.zeros(count, dtype=bool)
    # A churned customer's last payment is a round figure above what it owed: a credit nothing can absorb.
    churned_paid = np.flatnonzero(paid & churned)
    by_customer = churned_paid[np.lexsort((pay_day[churned_paid], customer[churned_paid]))]
    last_of_customer = by_customer[_run_ends(customer[by_customer])]
    mode[last_of_customer] = _UNREFERENCED
    overpaid[last_of_customer] = True

    group = _split_groups(rng, customer, pay_day, paid & ~discounted & (mode == _UNPAID))
    mode[group.members] = _SPLIT

    draw = rng.random(count)
    rest = paid & (mode == _UNPAID)
    partial = rest & ~churned & ~discounted & (draw < PARTIAL_SHARE)
    unreferenced = rest & ~partial & (draw >= PARTIAL_SHARE) & (draw < PARTIAL_SHARE + UNREFERENCED_SHARE)
    mode[partial] = _PARTIAL
    mode[unreferenced] = _UNREFERENCED
    mode[rest & ~partial & ~unreferenced] = _SINGLE
    overpaid |= (mode == _UNREFERENCED) & (rng.random(count) < OVERPAY_SHARE)
    short = (
        (mode == _SINGLE) & ~discounted & (owed >= 1000) & (rng.random(count) < SHORT_PAY_SHARE)
    )
    shortfall = np.where(short, rng.integers(1, 501, count), 0)
    method = np.where(
        rng.random(count) < 0.85, people.method[customer], rng.choice(len(METHODS), size=count, p=METHOD_SHARES)
    )

    blocks: list[dict[str, np.ndarray]] = []
    single = np.flatnonzero(mode == _SINGLE)
    single_offset = _rows_in(blocks)
    single_amount = np.zeros(count, dtype=np.int64)
    single_amount[single] = owed[single] - discount[single] - shortfall[single]
    blocks.append(_single_payments(rng, documents, single, single_amount, pay_day, method))
    unreferenced_rows = np.flatnonzero(mode == _UNREFERENCED)
    due_now = owed[unreferenced_rows] - discount[unreferenced_rows]
    extra = np.where(overpaid[unreferenced_rows], 10_000 - due_now % 10_000, 0)
    blocks.append(
        _unreferenced_payments(rng, people, documents, unreferenced_rows, due_now + extra, pay_day, method)
    )
    instalments, partial_settled = _instalments(rng, documents, np.flatnonzero(partial), owed, pay_day, method,
                                                last)
    blocks.append(instalments)
    split_offset = _rows_in(blocks)
    blocks.append(_split_payments(documents, group, owed, method))

    bounced = np.flatnonzero(
        (method[single] == _CHEQUE) & (pay_day[single] <= last - 12) & ~churned[single]
        & (rng.random(len(single)) < BOUNCE_SHARE)
    )
    reversals, replacements = _bounced(rng, documents, single, bounced, single_amount, pay_day, single_offset,
                                       last)
    blocks += [reversals, replacements]

    settled_day = np.full(count, last + 1, dtype=np.int64)
    settled_day[single] = pay_day[single]
    settled_day[unreferenced_rows] = pay_day[unreferenced_rows]
    settled_day[partial] = partial_settled[partial]
    settled_day[group.members] = group.day[group.of_member]

    adjustments, recoveries = _adjustments(
        rng, people, documents, window, owed, paid, settled_day, discount, discounted, pay_day, shortfall
    )
    blocks.append(recoveries)
    payments = _concat(blocks)

    written_off = adjustments["invoice"][(adjustments["type"] == _WRITE_OFF) & ~adjustments["short"]]
    settled_day[written_off] = adjustments["day"][(adjustments["type"] == _WRITE_OFF) & ~adjustments["short"]]
    promisable = np.zeros(count, dtype=bool)
    promisable[single] = ~short[single]
    promisable[single[bounced]] = False

    payment_frame, payment_ids, payment_number = _payments_frame(people, documents, payments)
    paid_by = split_offset + group.of_member
    order = np.lexsort((group.members, payment_number[paid_by]))
    applications = _frame(
        APPLICATIONS,
        payment_id=payment_ids[paid_by[order]],
        invoice_id=documents.ids[group.members[order]],
        amount=owed[group.members[order]],
        date=group.day[group.of_member[order]],
        exchange_rate=np.full(len(order), np.nan),
    )
    return _Books(
        payments=payment_frame,
        applications=applications,
        adjustments=_adjustments_frame(documents, adjustments),
        mode=mode,
        owed=owed,
        pay_day=pay_day,
        settled_day=settled_day,
        single_amount=single_amount,
        promisable=promisable,
    )


@dataclass(frozen=True)
class _SplitGroups:
    """Payments that each settle two or three invoices, listed in the Applications table."""

    members: np.ndarray  # document rows, grouped
    of_member: np.ndarray  # group number of each member
    customer: np.ndarray  # per group
    day: np.ndarray  # per group: the day the last member fell due for payment
    first_member: np.ndarray  # per group: index into members


def _split_groups(
    rng: np.random.Generator, customer: np.ndarray, pay_day: np.ndarray, candidates: np.ndarray
) -> _SplitGroups:
    """Per customer and fortnight, some runs of two or more invoices are paid with one payment."""
    rows = np.flatnonzero(candidates)
    fortnight = pay_day[rows] // 14
    rows = rows[np.lexsort((rows, fortnight, customer[rows]))]
    starts = _run_starts(customer[rows], pay_day[rows] // 14)
    run = np.cumsum(starts) - 1
    run_first = np.flatnonzero(starts)
    run_length = np.diff(np.r_[run_first, len(rows)])
    position = np.arange(len(rows)) - run_first[run]
    chosen = (run_length >= 2) & (rng.random(len(run_first)) < SPLIT_RUN_SHARE)
    is_member = chosen[run] & (position < 3)
    members = rows[is_member]
    of_member = (np.cumsum(chosen) - 1)[run[is_member]]
    first_member = np.flatnonzero(_run_starts(of_member))
    day = np.maximum.reduceat(pay_day[members], first_member) if len(members) else np.zeros(0, np.int64)
    return _SplitGroups(members, of_member, customer[members[first_member]], day, first_member)


def _payment_block(
    customer: np.ndarray,
    day: np.ndarray,
    amount: np.ndarray,
    invoice: np.ndarray,
    method: np.ndarray,
    reference: np.ndarray,
    link: np.ndarray | None = None,
    link_text: str = "",
) -> dict[str, np.ndarray]:
    """Payment rows before numbering; ``link`` names another row whose payment_id the reference quotes."""
    size = len(day)
    return {
        "customer": np.asarray(customer, dtype=np.int64),
        "day": np.asarray(day, dtype=np.int64),
        "amount": np.asarray(amount, dtype=np.int64),
        "invoice": np.asarray(invoice, dtype=np.int64),
        "method": np.asarray(method, dtype=np.int64),
        "reference": np.asarray(reference, dtype=object),
        "link": np.full(size, -1, dtype=np.int64) if link is None else np.asarray(link, dtype=np.int64),
        "link_text": np.full(size, link_text, dtype=object),
    }


def _cheque_numbers(rng: np.random.Generator, size: int) -> np.ndarray:
    return _numbered("Cheque ", rng.integers(100_000, 1_000_000, size), 6)


def _single_payments(
    rng: np.random.Generator,
    documents: _Documents,
    rows: np.ndarray,
    amount: np.ndarray,
    pay_day: np.ndarray,
    method: np.ndarray,
) -> dict[str, np.ndarray]:
    """One payment naming its invoice; the reference is what the bank or the customer wrote."""
    size = len(rows)
    reference = np.select(
        [method[rows] == _CHEQUE, method[rows] == _CARD, rng.random(size) < 0.4],
        [_cheque_numbers(rng, size), np.full(size, "Card payment", dtype=object), documents.ids[rows]],
        "",
    )
    return _payment_block(documents.customer[rows], pay_day[rows], amount[rows], rows, method[rows], reference)


def _unreferenced_payments(
    rng: np.random.Generator,
    people: _Customers,
    documents: _Documents,
    rows: np.ndarray,
    amount: np.ndarray,
    pay_day: np.ndarray,
    method: np.ndarray,
) -> dict[str, np.ndarray]:
    """Payments that do not name an invoice: a remittance line, bank text, a cheque number, or nothing."""
    size = len(rows)
    style = rng.random(size)
    trace = _numbered(" ", rng.integers(0, 10**9, size), 9)
    reference = np.select(
        [style < 0.5, style < 0.7, style < 0.85],
        [
            "Remittance for " + documents.ids[rows],
            "ACH CREDIT " + people.bank_names[documents.customer[rows]] + trace,
            _cheque_numbers(rng, size),
        ],
        "",
    )
    method_of = np.select([style < 0.5, style < 0.7, style < 0.85], [method[rows], _TRANSFER, _CHEQUE],
                          method[rows])
    return _payment_block(
        documents.customer[rows], pay_day[rows], amount, np.full(size, -1), method_of, reference
    )


def _instalments(
    rng: np.random.Generator,
    documents: _Documents,
    rows: np.ndarray,
    owed: np.ndarray,
    pay_day: np.ndarray,
    method: np.ndarray,
    last: int,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Two or three receipts per invoice, a week or a month apart; those after the as-of date do not exist.

    Returns the payment rows and, per document, the day its last instalment arrived (last + 1 if it has not).
    """
    parts = np.where(rng.random(len(rows)) < 0.7, 2, 3)
    document = np.repeat(rows, parts)
    first = np.cumsum(parts) - parts
    index = np.arange(len(document)) - np.repeat(first, parts)
    weight = rng.uniform(0.5, 1.5, len(document))
    gap = np.where(index == 0, 0, rng.integers(7, 36, len(document)))
    settled = np.full(documents.count, last + 1, dtype=np.int64)
    if len(rows) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _payment_block(empty, empty, empty, empty, empty, np.zeros(0, dtype=object)), settled
    weight_total = np.repeat(np.add.reduceat(weight, first), parts)
    amount = np.floor(owed[document] * weight / weight_total).astype(np.int64)
    is_last = index == np.repeat(parts - 1, parts)
    # The last instalment takes the cents the floors left, so the parts add up to the invoice exactly.
    amount[is_last] += owed[rows] - np.add.reduceat(amount, first)
    elapsed = np.cumsum(gap)
    day = _next_business_day(pay_day[document] + elapsed - np.repeat(elapsed[first], parts))
    settled[rows] = np.where(day[is_last] <= last, day[is_last], last + 1)
    keep = day <= last
    reference = np.where(rng.random(len(document)) < 0.5, "Part payment", "")
    block = _payment_block(
        documents.customer[document], day, amount, document, method[document], reference
    )
    return {name: values[keep] for name, values in block.items()}, settled


def _split_payments(
    documents: _Documents, group: _SplitGroups, owed: np.ndarray, method: np.ndarray
) -> dict[str, np.ndarray]:
    """One payment per split group, for the sum of its invoices, with a remittance line listing them."""
    first = group.first_member
    size = len(first)
    if size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _payment_block(empty, empty, empty, empty, empty, np.zeros(0, dtype=object))
    members = group.members
    group_size = np.diff(np.r_[first, len(members)])
    third = np.where(group_size >= 3, ", " + documents.ids[members[np.minimum(first + 2, len(members) - 1)]], "")
    reference = "Remittance: " + documents.ids[members[first]] + ", " + documents.ids[members[first + 1]] + third
    return _payment_block(
        group.customer,
        group.day,
        np.add.reduceat(owed[members], first),
        np.full(size, -1),
        method[members[first]],
        reference,
    )


def _bounced(
    rng: np.random.Generator,
    documents: _Documents,
    single: np.ndarray,
    bounced: np.ndarray,
    single_amount: np.ndarray,
    pay_day: np.ndarray,
    single_offset: int,
    last: int,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A bounced cheque: a negative payment quoting the cheque's payment_id, then a transfer replacing it."""
    rows = single[bounced]
    size = len(rows)
    reversal_day = np.minimum(_next_business_day(pay_day[rows] + rng.integers(3, 9, size)), last)
    reversals = _payment_block(
        documents.customer[rows],
        reversal_day,
        -single_amount[rows],
        np.full(size, -1),
        np.full(size, _CHEQUE),
        np.full(size, "", dtype=object),
        link=single_offset + bounced,
    )
    replacement_day = _next_business_day(reversal_day + rng.integers(3, 21, size))
    replaced = replacement_day <= last
    replacements = _payment_block(
        documents.customer[rows][replaced],
        replacement_day[replaced],
        single_amount[rows][replaced],
        rows[replaced],
        np.full(int(replaced.sum()), _TRANSFER),
        np.full(int(replaced.sum()), "", dtype=object),
        link=(single_offset + bounced)[replaced],
        link_text="Replaces bounced cheque ",
    )
    return reversals, replacements


def _adjustments(
    rng: np.random.Generator,
    people: _Customers,
    documents: _Documents,
    window: _Window,
    owed: np.ndarray,
    paid: np.ndarray,
    settled_day: np.ndarray,
    discount: np.ndarray,
    discounted: np.ndarray,
    pay_day: np.ndarray,
    shortfall: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Discounts, short-payment and bad-debt write-offs, finance charges and recoveries.

    Returns the adjustment rows (internal form) and the payments that come with recoveries.
    """
    count, last = documents.count, window.last
    customer = documents.customer
    eligible = documents.billable & (documents.status == _OPEN) & (owed > 0)

    charge_day = documents.due + 31
    charged = (
        eligible & ~people.churned[customer] & (settled_day - documents.due >= 45) & (charge_day <= last)
        & (rng.random(count) < FINANCE_CHARGE_SHARE)
    )
    charge = np.where(charged, np.maximum(100, _percent_of(owed, FINANCE_CHARGE_RATE_BP)), 0)

    bad = np.flatnonzero(
        eligible & ~paid & (documents.due <= last - 150) & (rng.random(count) < BAD_DEBT_SHARE)
    )
    bad_day = np.minimum(documents.due[bad] + rng.integers(150, 211, len(bad)), last)
    bad_amount = owed[bad] + charge[bad]

    recovered = (bad_day <= last - 25) & (rng.random(len(bad)) < RECOVERY_SHARE)
    recovery_day = _next_business_day(bad_day + rng.integers(20, 91, len(bad)))
    recovered &= recovery_day <= last
    recovery_amount = np.maximum(1, np.rint(bad_amount * rng.uniform(0.2, 0.6, len(bad)))).astype(np.int64)
    recovery_rows = bad[recovered]

    discounts = np.flatnonzero(discounted)
    shorts = np.flatnonzero(shortfall > 0)
    charges = np.flatnonzero(charged)
    size = len(recovery_rows)
    recoveries = _payment_block(
        customer[recovery_rows],
        recovery_day[recovered],
        recovery_amount[recovered],
        recovery_rows,
        np.full(size, _TRANSFER),
        np.full(size, "Bad debt recovery", dtype=object),
    )

    def block(rows: np.ndarray, day: np.ndarray, kind: int, amount: np.ndarray, reason: str,
              is_short: bool = False) -> dict[str, np.ndarray]:
        return {
            "invoice": rows,
            "day": np.asarray(day, dtype=np.int64),
            "type": np.full(len(rows), kind, dtype=np.int64),
            "amount": np.asarray(amount, dtype=np.int64),
            "reason": np.full(len(rows), reason, dtype=object),
            "short": np.full(len(rows), is_short),
        }

    adjustments = _concat([
        block(discounts, pay_day[discounts], _DISCOUNT, discount[discounts],
              "2% early-payment discount (2/10 net)"),
        block(shorts, pay_day[shorts], _WRITE_OFF, shortfall[shorts], "Short payment written off", True),
        block(bad, bad_day, _WRITE_OFF, bad_amount, "Uncollectable: written off as bad debt"),
        block(charges, charge_day[charges], _FINANCE_CHARGE, charge[charges], "Finance charge at 1.5% a month"),
        block(recovery_rows, recovery_day[recovered], _RECOVERY, recovery_amount[recovered],
              "Bad debt partly recovered"),
    ])
    return adjustments, recoveries


def _payments_frame(
    people: _Customers, documents: _Documents, payments: dict[str, np.ndarray]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Number the payments by date and build the frame; also returns each internal row's payment_id and number."""
    size = len(payments["day"])
    order = np.lexsort((np.arange(size), payments["customer"], payments["day"]))
    number = np.empty(size, dtype=np.int64)
    number[order] = np.arange(1, size + 1)
    ids = _numbered("PAY-", number, _id_width(size, 6))
    link = payments["link"]
    linked = link >= 0
    reference = payments["reference"].copy()
    reference[linked] = payments["link_text"][linked] + ids[link[linked]]
    frame = _frame(
        PAYMENTS,
        payment_id=ids[order],
        customer_id=people.ids[payments["customer"][order]],
        payment_date=payments["day"][order],
        amount=payments["amount"][order],
        invoice_id=_take_text(documents.ids, payments["invoice"][order]),
        currency=np.full(size, CURRENCY, dtype=object),
        method=np.array(METHODS, dtype=object)[payments["method"][order]],
        reference=reference[order],
        fx_rate=np.full(size, np.nan),
        type=np.full(size, "", dtype=object),
    )
    return frame, ids, number


def _adjustments_frame(documents: _Documents, adjustments: dict[str, np.ndarray]) -> pd.DataFrame:
    size = len(adjustments["day"])
    order = np.lexsort((np.arange(size), adjustments["invoice"], adjustments["day"]))
    return _frame(
        ADJUSTMENTS,
        adjustment_id=_numbered("ADJ-", np.arange(1, size + 1), _id_width(size, 5)),
        invoice_id=documents.ids[adjustments["invoice"][order]],
        date=adjustments["day"][order],
        type=np.array(_ADJUSTMENT_TYPES, dtype=object)[adjustments["type"][order]],
        amount=adjustments["amount"][order],
        reason=adjustments["reason"][order],
    )


# --- collection activity ---------------------------------------------------------------------------------------


def _make_activity(
    rng: np.random.Generator, people: _Customers, documents: _Documents, books: _Books, window: _Window
) -> pd.DataFrame:
    """Reminders, calls and letters on overdue invoices, promises to pay, disputes and customer notes."""
    count, first, last = documents.count, window.first, window.last
    customer = documents.customer
    dunnable = documents.billable & (documents.status == _OPEN) & (books.owed > 0)
    blocks: list[dict[str, np.ndarray]] = []

    def block(rows: np.ndarray, day: np.ndarray, action: int, note: np.ndarray | str,
              promised_day: np.ndarray | None = None, promised: np.ndarray | None = None,
              who: np.ndarray | None = None) -> None:
        size = len(rows)
        blocks.append({
            "customer": customer[rows] if who is None else who,
            "invoice": rows,
            "day": np.asarray(day, dtype=np.int64),
            "action": np.full(size, action, dtype=np.int64),
            "promised_day": np.full(size, _NO_DAY) if promised_day is None else promised_day,
            "promised": np.full(size, _NO_MONEY) if promised is None else promised,
            "note": np.full(size, note, dtype=object) if isinstance(note, str) else note,
        })

    for offset, action, share, note in _REMINDERS:
        day = documents.due + offset
        rows = np.flatnonzero(dunnable & (day < books.settled_day) & (day <= last) & (rng.random(count) < share))
        block(rows, day[rows], action, note)

    # Promises: kept (paid by the promised date), broken then paid later, and broken on invoices still unpaid.
    days_late = books.pay_day - documents.due
    candidates = books.promisable & (days_late >= 12)
    outcome = rng.random(count)
    kept = np.flatnonzero(candidates & (outcome < 0.25))
    made = books.pay_day[kept] - rng.integers(3, 10, len(kept))
    promised_day = books.pay_day[kept] + rng.integers(0, 3, len(kept))
    block(kept, made, _PROMISE, "Promised payment by " + _iso(promised_day), promised_day,
          books.single_amount[kept])
    broken = np.flatnonzero(candidates & (outcome >= 0.25) & (outcome < 0.40))
    made = documents.due[broken] + 1 + (rng.random(len(broken)) * (days_late[broken] - 11)).astype(np.int64)
    promised_day = made + rng.integers(2, 8, len(broken))
    block(broken, made, _PROMISE, "Promised payment by " + _iso(promised_day), promised_day,
          books.single_amount[broken])
    unpaid = np.flatnonzero(
        dunnable & (books.mode == _UNPAID) & (last - documents.due >= 20)
        & (books.settled_day - documents.due > 20)
        & (rng.random(count) < 0.3)
    )
    latest = np.minimum(last, books.settled_day[unpaid] - 1)
    made = documents.due[unpaid] + 10 + (rng.random(len(unpaid)) * (latest - documents.due[unpaid] - 9)).astype(
        np.int64
    )
    promised_day = made + rng.integers(3, 15, len(unpaid))
    block(unpaid, made, _PROMISE, "Promised payment by " + _iso(promised_day), promised_day, books.owed[unpaid])

    disputed = np.flatnonzero(documents.status == _DISPUTED)
    block(disputed, np.minimum(documents.day[disputed] + rng.integers(3, 26, len(disputed)), last), _DISPUTE,
          _choose_text(rng, _DISPUTE_TEXTS, len(disputed)))
    credit_notes = np.flatnonzero(documents.resolves_dispute)
    invoices = documents.applies_to[credit_notes]
    credit_day = documents.day[credit_notes]
    raised = documents.day[invoices] + (
        rng.random(len(credit_notes)) * (credit_day - documents.day[invoices])
    ).astype(np.int64)
    block(invoices, raised, _DISPUTE, _choose_text(rng, _DISPUTE_TEXTS, len(invoices)))
    block(invoices, credit_day, _RESOLVED, "Resolved: credit note " + documents.ids[credit_notes] + " issued")

    notes = people.count * 2
    who = rng.integers(0, people.count, notes)
    block(np.full(notes, -1), window.business_day_until(rng, np.full(notes, last)), _NOTE,
          _choose_text(rng, _CUSTOMER_NOTES, notes), who=who)
    held = np.flatnonzero(people.on_hold)
    block(np.full(len(held), -1), np.maximum(first, last - rng.integers(5, 60, len(held))), _NOTE,
          "Account placed on credit hold", who=held)

    rows = _concat(blocks)
    order = np.lexsort((rows["action"], rows["invoice"], rows["customer"], rows["day"]))
    return _frame(
        ACTIVITY,
        date=rows["day"][order],
        customer_id=people.ids[rows["customer"][order]],
        invoice_id=_take_text(documents.ids, rows["invoice"][order]),
        action=np.array(_ACTIONS, dtype=object)[rows["action"][order]],
        promised_date=rows["promised_day"][order],
        promised_amount=rows["promised"][order],
        note=rows["note"][order],
    )


# --- Settings, Customers and conversion to what a user types -----------------------------------------------------


def _settings_frame(as_of: dt.date) -> pd.DataFrame:
    values = {
        "company_name": COMPANY_NAME,
        "company_address": COMPANY_ADDRESS,
        "as_of": as_of.isoformat(),
        "payment_instructions": PAYMENT_INSTRUCTIONS,
        "remit_to": REMIT_TO,
        "finance_charge_rate": str(FINANCE_CHARGE_RATE_BP / 10_000),
        "company_email": COMPANY_EMAIL,
    }
    return _frame(
        SETTINGS,
        key=np.array([setting.key for setting in SETTING_KEYS], dtype=object),
        value=np.array([values.get(setting.key, setting.default) for setting in SETTING_KEYS], dtype=object),
        description=np.array([setting.doc for setting in SETTING_KEYS], dtype=object),
    )


def _customers_frame(people: _Customers, limits: np.ndarray) -> pd.DataFrame:
    group, region, salesperson = _grouping(people)
    return _frame(
        CUSTOMERS,
        customer_id=people.ids,
        name=people.names,
        email=people.emails,
        terms_days=people.terms,
        credit_limit=limits,
        currency=np.full(people.count, CURRENCY, dtype=object),
        on_hold=people.on_hold,
        contact=people.contacts,
        address=people.addresses,
        group=group,
        region=region,
        salesperson=salesperson,
    )


def _grouping(people: _Customers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer group, region and salesperson, derived from what the customers already are (no random draw,
    so the rest of the book does not change): the region from the address's state, the salesperson in turn
    among the region's, the group from the size of the customer's invoices."""
    states = [address.rsplit("\n", 1)[-1].rsplit(",", 1)[-1].split()[0] for address in people.addresses.tolist()]
    region = np.array([_REGIONS[state] for state in states], dtype=object)
    turn = np.arange(people.count)
    salesperson = np.array([_SALESPEOPLE[area][index % len(_SALESPEOPLE[area])]
                            for area, index in zip(region.tolist(), turn.tolist(), strict=True)], dtype=object)
    group = np.select([people.amount_scale >= 1.4, people.amount_scale >= 0.8], ["Wholesale", "Trade"],
                      "Retail").astype(object)
    return group, region, salesperson


def _frame(table: Table, **values: np.ndarray) -> pd.DataFrame:
    """The table's frame, columns in contract order, each converted from its internal form by its kind.

    Internal forms: day numbers (``_NO_DAY`` = blank) for dates, cents (``_NO_MONEY`` = blank) for money,
    bool arrays for yes/no, object arrays of str for text.
    """
    names = [column.name for column in table.columns]
    if sorted(values) != sorted(names):
        raise KeyError(f"{table.name}: the demo builds {sorted(values)}, the contract has {names}")
    return pd.DataFrame({column.name: _typed(column.kind, values[column.name]) for column in table.columns})


def _typed(kind: Kind, values: np.ndarray) -> pd.Series:
    values = np.asarray(values)
    if kind is Kind.DATE:
        return pd.Series(values.astype(np.int64).astype("datetime64[D]").astype("datetime64[s]"))
    if kind is Kind.MONEY:
        cents = values.astype(np.int64)
        blank = cents == _NO_MONEY
        return pd.Series(np.round(np.where(blank, np.nan, cents) / 100, 2))
    if kind is Kind.INTEGER:
        return pd.Series(values.astype(np.int64))
    if kind is Kind.NUMBER:
        return pd.Series(values.astype(np.float64))
    if kind is Kind.BOOL:
        return pd.Series(np.where(values.astype(bool), "yes", "no"), dtype="str")
    return pd.Series(values, dtype="str")
