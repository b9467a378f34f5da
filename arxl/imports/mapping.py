"""How another system's export maps onto a contract table: ``ColumnMapping``, TOML mapping files, profiles.

A mapping says which of the file's columns fills which contract column, what to do with the file's values
(constants, translations, rows to keep or skip) and the policy its texts are read with (date order, decimal
comma, the amount's sign); ``arxl.imports.rows`` applies it. A mapping is checked when it is made: an unknown
key, a column the table lacks or a required column nothing fills is a ``MappingError`` naming the key, before
any file is read.

Mapping files (TOML)
--------------------
::

    # invoices.toml: our billing system's invoice list
    table = "invoices"            # optional: the table this mapping is for
    date_order = "dmy"            # dmy | mdy | ymd ("" = ISO or inferred)
    decimal_comma = true          # amounts written 1.234,56
    amount_sign = "as_is"         # as_is | negate (the file's signs are the other way) | absolute
    by_name = false               # true: contract columns not in [columns] are matched by their own names
    skip_blank = ["Number"]       # rows with any of these columns blank are headings or totals: left out
    sheet = "Invoices"            # for an .xlsx file ("" = the first sheet that has the headers)

    [columns]                     # contract column = the file's column (a list: the first one present)
    invoice_id = "Number"
    customer_id = "Account"
    customer_name = "Account name"   # not a contract column: the name --create-customers uses
    invoice_date = "Date"
    due_date = "Due"
    amount = ["Open amount", "Amount"]
    type = "Kind"

    [constants]                   # a value for every row where the file gives none
    currency = "EUR"

    [values.type]                 # the file's values -> the contract's (case-insensitive); others pass as they are
    "Invoice" = "invoice"
    "Credit" = "credit_note"

    [keep]                        # only rows whose column holds one of these values
    "Kind" = ["Invoice", "Credit"]
    [skip]                        # rows whose column holds one of these values are left out
    "Status" = ["Draft"]

Header names match case- and space-insensitively. A required contract column must be mapped (or given a
constant); optional ones that the file lacks are simply not imported.

Built-in profiles (``--profile``), with the column layouts they expect
--------------------------------------------------------------------
- ``generic`` (all tables): the contract's own headers (``invoice_id, customer_id, invoice_date, amount, ...``).
- ``quickbooks-open-invoices`` (invoices): QuickBooks "Open Invoices" report as exported to Excel or CSV:
  ``Date | Transaction Type | Num | Customer | P.O. # | Terms | Due Date | Aging | Open Balance`` (``Amount``
  when there is no Open Balance), dates month/day/year. Customers are their display names. The amount is the
  open balance: an opening-balance import. Rows without a Num (customer headings, "Total for ...") are skipped;
  ``Payment`` rows (unapplied cash) are skipped too and belong in a payments import. ``Credit Memo`` ->
  credit_note, ``Journal Entry`` -> debit_note.
- ``xero-aged-receivables`` (invoices): Xero "Aged Receivables Detail": ``Invoice Date | Invoice Number |
  Invoice Reference | Due Date | Contact | Current | < 1 Month | 1 Month | 2 Months | 3 Months | Older | Total``
  (newer exports: ``Contact | Invoice Number | Invoice Date | Due Date | ... | Due``), dates day/month/year.
  The contact name is the customer_id (Xero contacts have no code); the amount is the outstanding Due (or Total);
  credit notes come negative. Rows without an Invoice Number (contact headings, totals) are skipped.
- ``erpnext-sales-invoice`` (invoices): ERPNext Sales Invoice list (Report view / Data Export): ``ID (or Name)
  | Customer | Customer Name | Posting Date | Due Date | Currency | Grand Total | Outstanding Amount |
  Is Return (Credit Note) | Return Against | Status | PO No``, ISO dates. The amount is the Grand Total (the
  document as issued, returns negative), so import the receipts as payments too; for an opening balance, copy
  the profile into a mapping with ``amount = "Outstanding Amount"``. Is Return 1 -> credit_note applying to
  Return Against; Status Cancelled -> void; Draft rows are skipped; other statuses -> blank.
- ``arxl-ledger`` (invoices, payments, adjustments): arxl's own ``arxl export --what ledger`` file
  (``kind, document_id, customer_id, customer_name, date, due_date, amount, currency, invoice_id, status,
  po_number, method, reference, description``, amounts signed as the receivable sees them); each table takes
  its kinds of rows, so exporting a book's ledger and importing it table by table rebuilds the same balances.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field

from .. import contract
from ..contract import Table, normalise_header
from ..text import DATE_ORDERS as ORDERS_OF_THE_GRAMMAR

IMPORT_TABLES: dict[str, Table] = {
    "invoices": contract.INVOICES, "payments": contract.PAYMENTS, "customers": contract.CUSTOMERS,
    "adjustments": contract.ADJUSTMENTS,
}
"""What ``--table`` can name."""

CUSTOMER_NAME = "customer_name"
"""A mapping field that is no contract column: the customer's name, for ``--create-customers``."""

DATE_ORDERS = ("", *ORDERS_OF_THE_GRAMMAR)
"""What ``date_order`` may say (``""``: ISO dates, or the order the file proves)."""
AMOUNT_SIGNS = ("as_is", "negate", "absolute")
_MAPPING_KEYS = frozenset({"table", "date_order", "decimal_comma", "amount_sign", "by_name", "skip_blank",
                           "sheet", "columns", "constants", "values", "keep", "skip"})


class MappingError(ValueError):
    """A mapping file or profile that cannot be used; the message says what to change."""


@dataclass(frozen=True)
class ColumnMapping:
    """How a source file's columns become rows of one contract table (the TOML keys, typed; see the module doc).

    Attributes:
        table: the contract table the rows go to.
        columns: contract column (or ``customer_name``) -> the file's headers to try, first present wins.
        constants: contract column -> the value for rows where the file gives none.
        values: contract column -> {the file's value, case-folded: the contract's value}.
        keep: the file's header -> values; only rows holding one of them are imported.
        skip: the file's header -> values; rows holding one of them are left out.
        skip_blank: the file's headers; rows with any of them blank are left out (headings, totals).
        date_order: ``""``, ``dmy``, ``mdy`` or ``ymd``.
        decimal_comma: amounts are written ``1.234,56``.
        amount_sign: ``as_is``, ``negate`` or ``absolute``, applied to the amount column.
        by_name: contract columns not in ``columns`` are matched by their own names.
        sheet: the .xlsx sheet to read (``""``: the first one that has the headers).
        origin: where the mapping came from, for messages (``profile generic``, ``map.toml``).
    """

    table: Table
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    keep: dict[str, tuple[str, ...]] = field(default_factory=dict)
    skip: dict[str, tuple[str, ...]] = field(default_factory=dict)
    skip_blank: tuple[str, ...] = ()
    date_order: str = ""
    decimal_comma: bool = False
    amount_sign: str = "as_is"
    by_name: bool = False
    sheet: str = ""
    origin: str = ""

    def fields(self) -> tuple[str, ...]:
        """Contract columns of the table, then ``customer_name``."""
        return (*(column.name for column in self.table.columns), CUSTOMER_NAME)

    def candidates(self, name: str) -> tuple[str, ...]:
        """Normalised headers that can fill ``name``, in order of preference."""
        listed = tuple(normalise_header(header) for header in self.columns.get(name, ()))
        return listed + ((name,) if self.by_name else ())


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise MappingError(f"{where}: expected a column name or a list of column names, not {value!r}")


def _text_value(value: object, where: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float | dt.date):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    raise MappingError(f"{where}: expected a value, not {value!r}")


def parse_mapping(data: MappingType[str, object], table: Table, origin: str) -> ColumnMapping:
    """A mapping from its TOML data for ``table``; MappingError naming the key that is wrong."""
    unknown = sorted(set(data) - _MAPPING_KEYS)
    if unknown:
        raise MappingError(f"{origin}: unknown key(s) {', '.join(unknown)} "
                           f"(known: {', '.join(sorted(_MAPPING_KEYS))})")
    named = data.get("table")
    if named is not None and str(named).lower() != table.name.lower():
        raise MappingError(f"{origin}: is a mapping for {named}, not {table.name.lower()}")
    fields = {column.name for column in table.columns} | {CUSTOMER_NAME}
    contract_columns = {column.name for column in table.columns}

    def section(key: str) -> dict[str, object]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise MappingError(f"{origin}: [{key}] must be a table of name = value lines")
        return value

    columns: dict[str, tuple[str, ...]] = {}
    for name, value in section("columns").items():
        if name not in fields:
            raise MappingError(f"{origin}: [columns] {name}: not a column of {table.name} "
                               f"(expected one of {', '.join(sorted(fields))})")
        columns[name] = _strings(value, f"{origin}: [columns] {name}")
    constants: dict[str, str] = {}
    for name, value in section("constants").items():
        if name not in contract_columns:
            raise MappingError(f"{origin}: [constants] {name}: not a column of {table.name}")
        constants[name] = _text_value(value, f"{origin}: [constants] {name}")
    values: dict[str, dict[str, str]] = {}
    for name, table_of_values in section("values").items():
        if name not in contract_columns or not isinstance(table_of_values, dict):
            raise MappingError(f"{origin}: [values.{name}]: expected a table for a column of {table.name}")
        values[name] = {str(source).strip().casefold(): _text_value(target, f"{origin}: [values.{name}]")
                        for source, target in table_of_values.items()}
    keep = {header: tuple(_text_value(item, f"{origin}: [keep]") for item in
                          (value if isinstance(value, list) else [value]))
            for header, value in section("keep").items()}
    skip = {header: tuple(_text_value(item, f"{origin}: [skip]") for item in
                          (value if isinstance(value, list) else [value]))
            for header, value in section("skip").items()}
    date_order = str(data.get("date_order", "")).lower()
    if date_order not in DATE_ORDERS:
        raise MappingError(f"{origin}: date_order = {date_order!r}: expected dmy, mdy or ymd")
    amount_sign = str(data.get("amount_sign", "as_is")).lower()
    if amount_sign not in AMOUNT_SIGNS:
        raise MappingError(f"{origin}: amount_sign = {amount_sign!r}: expected one of {', '.join(AMOUNT_SIGNS)}")
    for flag in ("decimal_comma", "by_name"):
        if not isinstance(data.get(flag, False), bool):
            raise MappingError(f"{origin}: {flag} must be true or false")
    mapping = ColumnMapping(
        table=table, columns=columns, constants=constants, values=values, keep=keep, skip=skip,
        skip_blank=_strings(data["skip_blank"], f"{origin}: skip_blank") if "skip_blank" in data else (),
        date_order=date_order, decimal_comma=bool(data.get("decimal_comma", False)), amount_sign=amount_sign,
        by_name=bool(data.get("by_name", False)), sheet=str(data.get("sheet", "")), origin=origin)
    missing = [name for name in table.required if not mapping.candidates(name) and name not in constants]
    if missing:
        raise MappingError(f"{origin}: maps no column to {', '.join(missing)} (required in {table.name})")
    return mapping


def mapping_from_toml(text: str, table: Table, origin: str) -> ColumnMapping:
    """A mapping from the text of a TOML file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{origin}: is not valid TOML ({exc})") from exc
    return parse_mapping(data, table, origin)


_QUICKBOOKS = """
date_order = "mdy"
skip_blank = ["Num"]

[columns]
invoice_id = "Num"
customer_id = "Customer"
customer_name = "Customer"
invoice_date = "Date"
due_date = "Due Date"
amount = ["Open Balance", "Amount"]
type = "Transaction Type"
po_number = ["P.O. #", "PO Number"]
description = ["Memo/Description", "Memo"]
currency = "Currency"

[values.type]
"Invoice" = "invoice"
"Credit Memo" = "credit_note"
"Journal Entry" = "debit_note"

[skip]
"Transaction Type" = ["Payment"]
"""

_XERO = """
date_order = "dmy"
skip_blank = ["Invoice Number"]

[columns]
invoice_id = ["Invoice Number", "Number"]
customer_id = "Contact"
customer_name = "Contact"
invoice_date = ["Invoice Date", "Date"]
due_date = "Due Date"
amount = ["Due", "Total", "Amount Due"]
po_number = ["Invoice Reference", "Reference"]
currency = "Currency"
"""

_ERPNEXT = """
[columns]
invoice_id = ["ID", "Name", "Sales Invoice"]
customer_id = "Customer"
customer_name = "Customer Name"
invoice_date = "Posting Date"
due_date = "Due Date"
amount = "Grand Total"
currency = "Currency"
type = ["Is Return (Credit Note)", "Is Return"]
applies_to = "Return Against"
status = "Status"
po_number = ["PO No", "Customer's Purchase Order"]

[values.type]
"0" = "invoice"
"1" = "credit_note"
"no" = "invoice"
"yes" = "credit_note"

[values.status]
"Paid" = ""
"Unpaid" = ""
"Overdue" = ""
"Partly Paid" = ""
"Return" = ""
"Credit Note Issued" = ""
"Unpaid and Discounted" = ""
"Overdue and Discounted" = ""
"Partly Paid and Discounted" = ""
"Internal Transfer" = ""
"Submitted" = ""
"Cancelled" = "void"

[skip]
"Status" = ["Draft"]
"""

_LEDGER_INVOICES = """
[columns]
invoice_id = "document_id"
customer_id = "customer_id"
customer_name = "customer_name"
invoice_date = "date"
due_date = "due_date"
amount = "amount"
type = "kind"
applies_to = "invoice_id"
currency = "currency"
status = "status"
po_number = "po_number"
description = "description"

[keep]
kind = ["invoice", "credit_note", "debit_note"]
"""

_LEDGER_PAYMENTS = """
amount_sign = "negate"

[columns]
payment_id = "document_id"
customer_id = "customer_id"
customer_name = "customer_name"
payment_date = "date"
amount = "amount"
invoice_id = "invoice_id"
currency = "currency"
method = "method"
reference = "reference"

[keep]
kind = ["payment"]
"""

_LEDGER_ADJUSTMENTS = """
amount_sign = "absolute"

[columns]
adjustment_id = "document_id"
invoice_id = "invoice_id"
date = "date"
type = "kind"
amount = "amount"
reason = "description"

[keep]
kind = ["write_off", "discount", "finance_charge", "bad_debt_recovery", "late_fee"]
"""

PROFILES: dict[str, dict[str, str]] = {
    "generic": {name: "by_name = true" for name in IMPORT_TABLES},
    "quickbooks-open-invoices": {"invoices": _QUICKBOOKS},
    "xero-aged-receivables": {"invoices": _XERO},
    "erpnext-sales-invoice": {"invoices": _ERPNEXT},
    "arxl-ledger": {"invoices": _LEDGER_INVOICES, "payments": _LEDGER_PAYMENTS,
                    "adjustments": _LEDGER_ADJUSTMENTS},
}
"""Built-in mappings by profile name, one TOML text per table the profile imports (layouts: module doc)."""


def profile_mapping(name: str, table: Table) -> ColumnMapping:
    """The built-in mapping ``name`` for ``table``; MappingError when there is none."""
    tables = PROFILES.get(name)
    if tables is None:
        raise MappingError(f"profile {name!r}: unknown (known: {', '.join(PROFILES)})")
    text = tables.get(table.name.lower())
    if text is None:
        raise MappingError(f"profile {name}: imports {', '.join(tables)}, not {table.name.lower()}")
    return mapping_from_toml(text, table, f"profile {name}")
