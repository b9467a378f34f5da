"""The typed ledger the core computes on: validated input tables as DataFrames, plus the typed Settings.

Column conventions of every frame (the loader guarantees them; the core relies on them):

- ids and text: pandas ``str`` dtype, trimmed, blank = ``""`` (never NaN);
- dates: ``datetime64[s]`` at midnight; an optional blank date is ``NaT``;
- money: ``int64`` minor units of the row's ``currency`` (cents for USD); optional blank money is 0 unless
  stated; ``credit_limit`` and ``promised_amount`` are nullable ``Int64`` (``<NA>`` = none given);
- ``row``: the Excel row the record came from, for messages;
- currency: upper-case ISO 4217 code, always filled (defaults resolved).

Frames and their columns (see ``arxl.contract`` for the user-facing docs):

customers:    customer_id, name, email, terms_days(int64), credit_limit(Int64), currency, on_hold(bool),
              contact, address, group, region, salesperson, row
invoices:     invoice_id, customer_id, invoice_date, due_date (always filled), amount (signed: credit notes
              negative), type (invoice|credit_note|debit_note), applies_to, currency, status (""|disputed),
              po_number, description, fx_rate (float64 booking rate, NaN = blank), row. Void documents are not
              here (see ``voided``). An invoice with instalments has the due date of its last instalment.
voided:       the void invoices, same columns, kept only so references to them can be explained.
payments:     payment_id, customer_id, payment_date, amount (signed: reversals and refunds negative, money
              out), invoice_id, currency, method, reference, fx_rate (float64 booking rate, NaN = blank),
              type (payment|reversal|refund, always filled: blank is payment, or reversal when negative),
              credit_id (for a refund: the payment_id or credit note's invoice_id whose remainder it pays out,
              "" otherwise), row
applications: payment_id (a payment or a credit note's invoice_id), invoice_id, amount (positive, minor units of
              the invoice's currency), date (NaT = the later of the two documents' dates), exchange_rate
              (float64, payment-currency units per invoice-currency unit; NaN = blank), row
adjustments:  adjustment_id, invoice_id (an invoice or debit note; for write_off and small_balance also a
              payment_id or credit note), date, type, amount (positive), effect (signed, on what the customer
              owes: negative for write_off, discount and small_balance of an invoice; positive for
              finance_charge, bad_debt_recovery and late_fee, and for a write_off or small_balance of a
              payment or credit note, which brings the credit towards zero), currency (the document's), row
activity:     date, customer_id, invoice_id, action, promised_date, promised_amount(Int64), note, row
fx_rates:     currency, rate (float64: reporting-currency units per unit), date (NaT = since always), row
instalments:  invoice_id, due_date, amount (positive minor units of the invoice's currency), note, row: each
              invoice's instalments add up to its amount (empty when the workbook has no Instalments table)
assertions:   customer_id, date, balance (signed minor units), currency, note, row
dunning_levels: level(int64), min_days(int64), name, fee (minor units of the reporting currency), subject,
              template, gap_days(Int64, ``<NA>`` = Settings dunning_gap_days), row (empty when the workbook has
              no DunningLevels table)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

CustomerId = str
DocumentId = str


@dataclass(frozen=True)
class Settings:
    """The Settings table, typed, with every default resolved (see ``arxl.contract.SETTING_KEYS``)."""

    company_name: str = "Your Company Ltd"
    company_address: str = ""
    reporting_currency: str = "USD"
    as_of: dt.date | None = None
    closed_through: dt.date | None = None
    aging_basis: str = "due"
    bucket_edges: tuple[int, ...] = (30, 60, 90)
    dso_period_days: int = 90
    auto_apply: bool = True
    date_order: str = ""
    decimal_comma: bool = False
    default_terms_days: int = 30
    statement_message: str = "Thank you for your business."
    payment_instructions: str = ""
    remit_to: str = ""
    paper_size: str = ""
    date_format: str = ""
    finance_charge_rate: float = 0.0
    finance_charge_grace_days: int = 0
    finance_charge_minimum: int = 0
    hold_days: int = 90
    allowance_rates: tuple[float, ...] = (0.01, 0.03, 0.10, 0.25, 0.50)
    aging_group_by: str = ""
    backups: int = 5
    statement_sheets_limit: int = 250
    company_email: str = ""
    reply_to: str = ""
    letter_signature: str = ""
    dunning_gap_days: int = 14
    promise_grace_days: int = 3
    write_off_tolerance: int = 0
    escheat_after_years: int = 3


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


CUSTOMER_COLUMNS = {
    "customer_id": "str", "name": "str", "email": "str", "terms_days": "int64", "credit_limit": "Int64",
    "currency": "str", "on_hold": "bool", "contact": "str", "address": "str", "group": "str", "region": "str",
    "salesperson": "str", "row": "int64",
}
INVOICE_COLUMNS = {
    "invoice_id": "str", "customer_id": "str", "invoice_date": "datetime64[s]", "due_date": "datetime64[s]",
    "amount": "int64", "type": "str", "applies_to": "str", "currency": "str", "status": "str",
    "po_number": "str", "description": "str", "fx_rate": "float64", "row": "int64",
}
PAYMENT_COLUMNS = {
    "payment_id": "str", "customer_id": "str", "payment_date": "datetime64[s]", "amount": "int64",
    "invoice_id": "str", "currency": "str", "method": "str", "reference": "str", "fx_rate": "float64",
    "type": "str", "credit_id": "str", "row": "int64",
}
APPLICATION_COLUMNS = {
    "payment_id": "str", "invoice_id": "str", "amount": "int64", "date": "datetime64[s]",
    "exchange_rate": "float64", "row": "int64",
}
ADJUSTMENT_COLUMNS = {
    "adjustment_id": "str", "invoice_id": "str", "date": "datetime64[s]", "type": "str", "amount": "int64",
    "effect": "int64", "currency": "str", "reason": "str", "row": "int64",
}
ACTIVITY_COLUMNS = {
    "date": "datetime64[s]", "customer_id": "str", "invoice_id": "str", "action": "str",
    "promised_date": "datetime64[s]", "promised_amount": "Int64", "note": "str", "row": "int64",
}
FX_COLUMNS = {"currency": "str", "rate": "float64", "date": "datetime64[s]", "row": "int64"}
INSTALMENT_COLUMNS = {
    "invoice_id": "str", "due_date": "datetime64[s]", "amount": "int64", "note": "str", "row": "int64",
}
ASSERTION_COLUMNS = {
    "customer_id": "str", "date": "datetime64[s]", "balance": "int64", "currency": "str", "note": "str",
    "row": "int64",
}
DUNNING_COLUMNS = {
    "level": "int64", "min_days": "int64", "name": "str", "fee": "int64", "subject": "str", "template": "str",
    "gap_days": "Int64", "row": "int64",
}


@dataclass(frozen=True)
class Ledger:
    """A validated AR ledger: what every report is computed from. Frames follow the module docstring."""

    settings: Settings = field(default_factory=Settings)
    customers: pd.DataFrame = field(default_factory=lambda: _empty(CUSTOMER_COLUMNS))
    invoices: pd.DataFrame = field(default_factory=lambda: _empty(INVOICE_COLUMNS))
    voided: pd.DataFrame = field(default_factory=lambda: _empty(INVOICE_COLUMNS))
    payments: pd.DataFrame = field(default_factory=lambda: _empty(PAYMENT_COLUMNS))
    applications: pd.DataFrame = field(default_factory=lambda: _empty(APPLICATION_COLUMNS))
    adjustments: pd.DataFrame = field(default_factory=lambda: _empty(ADJUSTMENT_COLUMNS))
    activity: pd.DataFrame = field(default_factory=lambda: _empty(ACTIVITY_COLUMNS))
    fx_rates: pd.DataFrame = field(default_factory=lambda: _empty(FX_COLUMNS))
    assertions: pd.DataFrame = field(default_factory=lambda: _empty(ASSERTION_COLUMNS))
    dunning_levels: pd.DataFrame = field(default_factory=lambda: _empty(DUNNING_COLUMNS))
    instalments: pd.DataFrame = field(default_factory=lambda: _empty(INSTALMENT_COLUMNS))

    def customer_name(self, customer_id: CustomerId) -> str:
        match = self.customers.loc[self.customers["customer_id"] == customer_id, "name"]
        return str(match.iloc[0]) if len(match) else ""


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """An empty frame with the given column dtypes (for tests and for tables a workbook leaves out)."""
    return _empty(columns)
