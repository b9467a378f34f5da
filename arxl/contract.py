"""The workbook contract, defined once: input tables, their columns, types, defaults and the Settings keys.

The loader, the blank template, ``arxl check`` and the README's contract table are all derived from the
objects in this module; nothing else in arxl spells a table's columns out by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a column holds, which decides how the loader reads it and how the template formats it."""

    ID = "id"  # a key or reference: text, trimmed, case kept, leading zeros kept
    TEXT = "text"
    DATE = "date"
    MONEY = "money"  # major units in the sheet, int64 minor units in the core
    INTEGER = "integer"
    NUMBER = "number"  # a plain decimal (rates)
    BOOL = "bool"  # yes/no, true/false, 1/0, y/n, x
    CHOICE = "choice"  # one of Column.choices, case-insensitive
    CURRENCY = "currency"  # ISO 4217 code


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    Attributes:
        name: canonical snake_case name; headers match it case- and space-insensitively.
        kind: what the column holds.
        required: whether the header must be present and every row must give a value.
        doc: one line for the template's header comment and the README.
        choices: allowed values for ``Kind.CHOICE`` (lower case; "" means blank is allowed).
        default: the documented meaning of a blank cell, for the docs.
        width: column width in the template, in characters.
    """

    name: str
    kind: Kind
    required: bool = False
    doc: str = ""
    choices: tuple[str, ...] = ()
    default: str = ""
    width: int = 14


@dataclass(frozen=True)
class Table:
    """One input table: a sheet holding an Excel Table of the same name.

    Attributes:
        name: sheet name and Excel Table name.
        key: the column whose values must be unique, or None.
        columns: the columns in template order.
        doc: one line on what a row of the table is.
        optional: True when a workbook may omit the whole table.
    """

    name: str
    key: str | None
    columns: tuple[Column, ...]
    doc: str
    optional: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


INVOICE_TYPES = ("invoice", "credit_note", "debit_note")
INVOICE_STATUSES = ("", "disputed", "void")
ADJUSTMENT_TYPES = ("write_off", "discount", "finance_charge", "bad_debt_recovery", "late_fee", "small_balance")
PAYMENT_TYPES = ("payment", "refund")
ACTIONS = ("call", "email", "letter", "promise", "dispute", "resolved", "note")
REDUCING_ADJUSTMENTS = ("write_off", "discount", "small_balance")
CREDIT_ADJUSTMENTS = ("write_off", "small_balance")
"""Adjustment types that may also name a payment or a credit note: they clear (part of) its unapplied remainder."""
GROUP_COLUMNS = ("group", "region", "salesperson")
"""Customers columns that reports can subtotal by (``--by``, Settings ``aging_group_by``, ``AR_AGING``'s by)."""

PAPER_SIZES: tuple[str, ...] = ("letter", "a4", "legal")
"""What Settings ``paper_size`` accepts."""
DATE_FORMATS: tuple[str, ...] = ("yyyy-mm-dd", "mm/dd/yyyy", "dd/mm/yyyy", "dd.mm.yyyy", "yyyy/mm/dd",
                                 "d mmm yyyy", "mmm d, yyyy")
"""What Settings ``date_format`` accepts: Excel's own codes, so the sheets keep real dates shown that way."""

SETTINGS = Table(
    "Settings",
    key="key",
    doc="One setting per row: the key and its value.",
    columns=(
        Column("key", Kind.TEXT, required=True, doc="Setting name (see the list of keys).", width=26),
        Column("value", Kind.TEXT, required=True, doc="Its value; blank means the documented default.", width=40),
        Column("description", Kind.TEXT, doc="What the setting does (for people; arxl ignores it).", width=70),
    ),
)

CUSTOMERS = Table(
    "Customers",
    key="customer_id",
    doc="One row per customer account.",
    columns=(
        Column("customer_id", Kind.ID, required=True, doc="Your account code for the customer."),
        Column("name", Kind.TEXT, required=True, doc="Customer name as printed on statements.", width=30),
        Column("email", Kind.TEXT, doc="Where statements and letters go.", width=28),
        Column("terms_days", Kind.INTEGER, doc="Payment terms in days.", default="30", width=11),
        Column("credit_limit", Kind.MONEY, doc="Credit limit in the customer's currency.", default="no limit"),
        Column("currency", Kind.CURRENCY, doc="ISO 4217 code.", default="reporting currency", width=10),
        Column("on_hold", Kind.BOOL, doc="yes when the account is on credit hold.", default="no", width=9),
        Column("contact", Kind.TEXT, doc="Person to call.", width=20),
        Column("address", Kind.TEXT, doc="Postal address (use line breaks).", width=36),
        Column("group", Kind.TEXT, doc="Customer group (Wholesale, Retail...): reports can subtotal by it."),
        Column("region", Kind.TEXT, doc="Sales region: reports can subtotal by it."),
        Column("salesperson", Kind.TEXT, doc="Account owner: reports can subtotal by it.", width=16),
    ),
)

INVOICES = Table(
    "Invoices",
    key="invoice_id",
    doc="One row per invoice, credit note or debit note.",
    columns=(
        Column("invoice_id", Kind.ID, required=True, doc="Document number."),
        Column("customer_id", Kind.ID, required=True, doc="A customer_id of the Customers table."),
        Column("invoice_date", Kind.DATE, required=True, doc="Document date."),
        Column("amount", Kind.MONEY, required=True, doc="Gross amount; negative for a credit note."),
        Column("due_date", Kind.DATE, doc="Due date.", default="invoice_date + customer's terms_days"),
        Column("type", Kind.CHOICE, choices=INVOICE_TYPES, doc="invoice, credit_note or debit_note.",
               default="invoice (credit_note when the amount is negative)", width=12),
        Column("applies_to", Kind.ID, doc="For a credit note: the invoice it credits."),
        Column("currency", Kind.CURRENCY, doc="ISO 4217 code.", default="the customer's currency", width=10),
        Column("status", Kind.CHOICE, choices=INVOICE_STATUSES, doc="blank, disputed or void.", width=10),
        Column("po_number", Kind.TEXT, doc="Customer's purchase order."),
        Column("description", Kind.TEXT, doc="Free text.", width=30),
        Column("fx_rate", Kind.NUMBER, doc="Booking rate: reporting-currency units per unit of the document's "
               "currency.", default="the FXRates rate in force on invoice_date", width=10),
    ),
)

PAYMENTS = Table(
    "Payments",
    key="payment_id",
    doc="One row per receipt; a negative amount reverses a payment (bounced cheque); type refund pays a "
        "customer's credit back.",
    columns=(
        Column("payment_id", Kind.ID, required=True, doc="Receipt number."),
        Column("customer_id", Kind.ID, required=True, doc="A customer_id of the Customers table."),
        Column("payment_date", Kind.DATE, required=True,
               doc="Date the money arrived (for a refund: was paid out)."),
        Column("amount", Kind.MONEY, required=True,
               doc="Amount received; negative to reverse a payment; for a refund, the amount paid out."),
        Column("invoice_id", Kind.ID, doc="The invoice the payment is for, if the customer said; for a refund, "
               "the credit note refunded."),
        Column("currency", Kind.CURRENCY, doc="ISO 4217 code.", default="the customer's currency", width=10),
        Column("method", Kind.TEXT, doc="Cheque, transfer, card...", width=11),
        Column("reference", Kind.TEXT, doc="Remittance text; for a reversal, the payment_id it reverses; for a "
               "refund, the payment_id (or credit note) whose unapplied remainder it pays out.", width=30),
        Column("fx_rate", Kind.NUMBER, doc="Booking rate: reporting-currency units per unit of the payment's "
               "currency.", default="the FXRates rate in force on payment_date", width=10),
        Column("type", Kind.CHOICE, choices=PAYMENT_TYPES,
               doc="payment (money received) or refund (a customer's credit paid back out).",
               default="payment (a reversal when the amount is negative)", width=10),
    ),
)

APPLICATIONS = Table(
    "Applications",
    key=None,
    doc="Explicit split of a payment or credit note over invoices.",
    optional=True,
    columns=(
        Column("payment_id", Kind.ID, required=True, doc="A payment_id, or the invoice_id of a credit note."),
        Column("invoice_id", Kind.ID, required=True, doc="The invoice it settles."),
        Column("amount", Kind.MONEY, required=True, doc="Amount applied (positive), in the invoice's currency."),
        Column("date", Kind.DATE, doc="Effective date.", default="the later of the two documents' dates"),
        Column("exchange_rate", Kind.NUMBER, doc="For a payment in another currency than the invoice: units of "
               "the payment's currency per unit of the invoice's (1.08: a EUR invoice paid in USD at 1.08).",
               default="the FXRates cross rate in force on the payment date", width=10),
    ),
)

ADJUSTMENTS = Table(
    "Adjustments",
    key="adjustment_id",
    doc="Write-offs, discounts, finance charges, late fees and recoveries against an invoice; write-offs of "
        "unapplied cash or credit.",
    optional=True,
    columns=(
        Column("adjustment_id", Kind.ID, required=True, doc="Adjustment number."),
        Column("invoice_id", Kind.ID, required=True, doc="The invoice adjusted; a write_off or small_balance may "
               "name a payment_id or a credit note instead, to clear its unapplied remainder."),
        Column("date", Kind.DATE, required=True, doc="Effective date."),
        Column("type", Kind.CHOICE, required=True, choices=ADJUSTMENT_TYPES,
               doc="write_off, discount, finance_charge, bad_debt_recovery, late_fee (a dunning fee) or "
               "small_balance (a residue under Settings write_off_tolerance).", width=18),
        Column("amount", Kind.MONEY, required=True,
               doc="Positive amount; write_off, discount and small_balance reduce the invoice (or the unapplied "
               "credit they name), the others increase it."),
        Column("reason", Kind.TEXT, doc="Why.", width=30),
    ),
)

ACTIVITY = Table(
    "Activity",
    key=None,
    doc="Collection activity: calls, letters, promises to pay, disputes.",
    optional=True,
    columns=(
        Column("date", Kind.DATE, required=True, doc="When it happened."),
        Column("customer_id", Kind.ID, required=True, doc="A customer_id of the Customers table."),
        Column("invoice_id", Kind.ID, doc="The invoice concerned, if one."),
        Column("action", Kind.CHOICE, required=True, choices=ACTIONS,
               doc="call, email, letter, promise, dispute, resolved or note.", width=10),
        Column("promised_date", Kind.DATE, doc="For a promise: the date promised."),
        Column("promised_amount", Kind.MONEY, doc="For a promise: the amount promised."),
        Column("note", Kind.TEXT, doc="Free text.", width=40),
    ),
)

INSTALMENTS = Table(
    "Instalments",
    key=None,
    doc="Optional: an invoice due in several parts; the parts add up to the invoice and age by their own dates.",
    optional=True,
    columns=(
        Column("invoice_id", Kind.ID, required=True, doc="The invoice (or debit note) paid in instalments."),
        Column("due_date", Kind.DATE, required=True, doc="When this instalment is due."),
        Column("amount", Kind.MONEY, required=True,
               doc="This instalment; an invoice's instalments add up to its amount."),
        Column("note", Kind.TEXT, doc="Free text (milestone, retention...).", width=30),
    ),
)

FX_RATES = Table(
    "FXRates",
    key=None,
    doc="Optional: the rate that converts one unit of a currency into the reporting currency, from a date on.",
    optional=True,
    columns=(
        Column("currency", Kind.CURRENCY, required=True, doc="ISO 4217 code.", width=10),
        Column("rate", Kind.NUMBER, required=True, doc="Reporting-currency units per unit of this currency."),
        Column("date", Kind.DATE, doc="The rate holds from this date until the currency's next rate.",
               default="since always (until the currency's first dated rate)"),
    ),
)

ASSERTIONS = Table(
    "Assertions",
    key=None,
    doc="Optional: balances you expect (from a confirmation or the general ledger); the Checks sheet tests them. "
        "A row with no customer_id asserts the whole ledger: the AR control account of the general ledger.",
    optional=True,
    columns=(
        Column("customer_id", Kind.ID, doc="A customer_id of the Customers table; blank for the whole ledger.",
               default="the whole ledger (the AR control account)"),
        Column("date", Kind.DATE, required=True, doc="The date the balance is asserted at (end of that day)."),
        Column("balance", Kind.MONEY, required=True, doc="The expected balance; negative for a credit balance."),
        Column("currency", Kind.CURRENCY, doc="ISO 4217 code.",
               default="the customer's currency (the reporting currency for the whole ledger)", width=10),
        Column("note", Kind.TEXT, doc="Where the figure comes from.", width=30),
    ),
)

DUNNING_LEVELS = Table(
    "DunningLevels",
    key="level",
    doc="Optional: reminder levels; without it arxl uses four standard levels (1, 30, 60 and 90 days).",
    optional=True,
    columns=(
        Column("level", Kind.INTEGER, required=True, doc="1 for the first reminder, then 2, 3...", width=8),
        Column("min_days", Kind.INTEGER, required=True, doc="Days past due from which the level applies.",
               width=10),
        Column("name", Kind.TEXT, required=True, doc="Reminder, Second notice, Final notice...", width=18),
        Column("fee", Kind.MONEY, doc="Late fee added with this letter.", default="0"),
        Column("subject", Kind.TEXT, doc="E-mail subject; placeholders such as {customer_name}.", width=30),
        Column("template", Kind.TEXT, doc="Letter text with placeholders ({customer_name}, {total_overdue}, "
               "{items}, {company_name}...).", width=60),
        Column("gap_days", Kind.INTEGER, doc="Fewest days after the previous letter before this level's letter "
               "may go out.", default="Settings dunning_gap_days", width=10),
    ),
)

TABLES: tuple[Table, ...] = (SETTINGS, CUSTOMERS, INVOICES, PAYMENTS, APPLICATIONS, ADJUSTMENTS, ACTIVITY,
                             FX_RATES, ASSERTIONS, DUNNING_LEVELS, INSTALMENTS)
TABLES_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}


@dataclass(frozen=True)
class Setting:
    """One key of the Settings table.

    Attributes:
        key: the key as typed in the Settings table (matched case- and space-insensitively).
        kind: how the value is read.
        default: the value used when the row is missing or blank, as text ("" = none).
        doc: one line for the template and the README.
        choices: allowed values for ``Kind.CHOICE``.
    """

    key: str
    kind: Kind
    default: str
    doc: str
    choices: tuple[str, ...] = ()


SETTING_KEYS: tuple[Setting, ...] = (
    Setting("company_name", Kind.TEXT, "Your Company Ltd", "Printed on reports and statements."),
    Setting("company_address", Kind.TEXT, "", "Printed on statements (use line breaks)."),
    Setting("reporting_currency", Kind.CURRENCY, "USD", "Currency of totals; the default for customers."),
    Setting("as_of", Kind.DATE, "", "Report date; blank means today."),
    Setting("closed_through", Kind.DATE, "",
            "Last day of the closed period: nothing dated on or before it may be added or changed (arxl close)."),
    Setting("aging_basis", Kind.CHOICE, "due", "Age by due date (due) or by invoice date (invoice).",
            choices=("due", "invoice")),
    Setting("bucket_edges", Kind.TEXT, "30,60,90", "Aging bucket edges in days, ascending."),
    Setting("dso_period_days", Kind.INTEGER, "90", "Days in the DSO and CEI period."),
    Setting("auto_apply", Kind.BOOL, "yes", "Apply unreferenced cash to the oldest open invoices."),
    Setting("date_order", Kind.CHOICE, "",
            "How to read dates typed as text like 03/04/2026: dmy or mdy (blank: only ISO 2026-04-03).",
            choices=("", "dmy", "mdy", "ymd")),
    Setting("decimal_comma", Kind.BOOL, "no", "yes when amounts typed as text use 1.234,56."),
    Setting("default_terms_days", Kind.INTEGER, "30", "Terms for customers with no terms_days."),
    Setting("statement_message", Kind.TEXT, "Thank you for your business.", "Printed on every statement."),
    Setting("payment_instructions", Kind.TEXT, "", "How to pay, printed on statements."),
    Setting("remit_to", Kind.TEXT, "",
            "Where customers send payments, printed on the statement's remittance slip (use line breaks; "
            "blank: company_name and company_address)."),
    Setting("paper_size", Kind.CHOICE, "",
            "Paper of printed sheets and statement PDFs: letter, a4 or legal (blank: letter for a USD, CAD, MXN, "
            "CLP, COP or PHP book, else a4).", choices=("", *PAPER_SIZES)),
    Setting("date_format", Kind.CHOICE, "",
            "How sheets and PDFs show dates: " + ", ".join(DATE_FORMATS) + " (blank: mm/dd/yyyy for USD, "
            "dd/mm/yyyy for GBP or EUR ...; see the README).", choices=("", *DATE_FORMATS)),
    Setting("finance_charge_rate", Kind.NUMBER, "0", "Monthly finance-charge rate on overdue balances (0.015)."),
    Setting("finance_charge_grace_days", Kind.INTEGER, "0", "Days past due before finance charges start."),
    Setting("finance_charge_minimum", Kind.MONEY, "0", "Smallest finance charge worth raising."),
    Setting("hold_days", Kind.INTEGER, "90", "Credit hold when anything is more than this many days past due."),
    Setting("aging_group_by", Kind.CHOICE, "",
            "Subtotal the Aging sheet and the Dashboard by the customers' group, region or salesperson.",
            choices=("", *GROUP_COLUMNS)),
    Setting("allowance_rates", Kind.TEXT, "0.01,0.03,0.10,0.25,0.50",
            "Expected-loss rate per aging bucket, Current first (one per bucket of bucket_edges; blank or this "
            "default with other edges: 1%, 3%, 10%, 25%, 50% by each bucket's first day past due)."),
    Setting("backups", Kind.INTEGER, "5", "How many backups of the workbook a save keeps."),
    Setting("statement_sheets_limit", Kind.INTEGER, "250",
            "Most ST statement sheets a refresh writes; above it arxl statements --output DIR writes PDFs, "
            "or refresh --only statements the sheets."),
    Setting("company_email", Kind.TEXT, "",
            "Address dunning letters come from (From); arxl letters refuses to write letters while it is blank."),
    Setting("reply_to", Kind.TEXT, "", "Where replies to letters go (Reply-To); blank means company_email."),
    Setting("letter_signature", Kind.TEXT, "",
            "How letters are signed (use line breaks); blank means company_name."),
    Setting("dunning_gap_days", Kind.INTEGER, "14",
            "Fewest days between two dunning letters to a customer (DunningLevels gap_days overrides it)."),
    Setting("promise_grace_days", Kind.INTEGER, "3",
            "Days after the promised date that a payment still keeps a promise to pay."),
    Setting("write_off_tolerance", Kind.MONEY, "0",
            "Small balances: residues of partly settled items at or below this amount (reporting currency) are "
            "proposed for write-off (arxl small-balances); 0 proposes none."),
    Setting("escheat_after_years", Kind.INTEGER, "3",
            "Credit balances untouched for this many years are flagged for unclaimed-property (escheat) review on "
            "the Credits sheet; 0 never flags them."),
)
SETTINGS_BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTING_KEYS}

_HEADER_NOISE = re.compile(r"[\s_\-\.]+")


def normalise_header(header: object) -> str:
    """Header text -> canonical form: ``' Invoice ID '`` and ``invoice-id`` both give ``invoice_id``."""
    text = str(header if header is not None else "").replace("\u00a0", " ").strip().lower()
    return _HEADER_NOISE.sub("_", text).strip("_")


def contract_markdown() -> str:
    """The contract as Markdown tables, for the README (a test keeps the README in step with this)."""
    lines = ["| table | key | columns (required in bold) |", "|---|---|---|"]
    for table in TABLES:
        columns = ", ".join(f"**{column.name}**" if column.required else column.name for column in table.columns)
        note = " (optional table)" if table.optional else ""
        lines.append(f"| {table.name}{note} | {table.key or '—'} | {columns} |")
    lines += ["", "| column | table | kind | blank means | what it is |", "|---|---|---|---|---|"]
    for table in TABLES:
        if table.name == "Settings":
            continue
        for column in table.columns:
            choices = f" ({', '.join(c for c in column.choices if c)})" if column.choices else ""
            lines.append(f"| {column.name} | {table.name} | {column.kind.value}{choices} | "
                         f"{column.default or ('required' if column.required else 'empty')} | {column.doc} |")
    lines += ["", "| Settings key | default | what it does |", "|---|---|---|"]
    for setting in SETTING_KEYS:
        lines.append(f"| {setting.key} | {setting.default or '(blank)'} | {setting.doc} |")
    return "\n".join(lines)
