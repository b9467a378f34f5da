"""Importing another system's export into one of the book's input tables: mapping, checking, planning the append.

``arxl import BOOK --table invoices FILE --profile quickbooks-open-invoices`` reads FILE (CSV, an .xlsx sheet or
Parquet, see ``arxl.workbook.source``), maps its columns to the contract through a *mapping*, and plans which rows
to append. The plan is pure: ``prepare_rows`` (file rows -> typed, normalised rows, with the file's own line
numbers) and ``plan_import`` (those rows against the book's tables -> what to append, what was already imported,
what conflicts, and every problem). Writing the plan is the CLI's job (``arxl.cli.data``).

How a plan is decided
---------------------
- **Validation through the loader's rules.** The would-be book (its tables as read, with the new rows after the
  last filled row of the table, numbered as the Excel rows they will land on) goes through ``load_tables``; its
  problems on new rows are reported with the file's line (``invoices.csv line 14, due_date: ...``). Any error:
  nothing is written. A book that already has errors of its own is refused (fix it first: ``arxl check``).
- **Idempotent.** A row whose id (invoice_id, payment_id, customer_id, adjustment_id) is already in the book with
  the same content is skipped as already imported. Content is compared as the loader reads it, on the columns the
  file provides (a blank due date equals the due date the terms give, ``1,234.50`` equals ``1234.5``), so a
  column the file does not carry (a note typed in Excel since) is never a difference. The same id with other
  content is a **conflict**, reported field by field and never overwritten: exit 1, unless ``--skip-conflicts``
  leaves those rows out (listed). The same id twice in the file: identical rows are taken once, different ones
  are errors.
- **Ids are text.** Files are read as text, so ``00123`` keeps its zeros and a customer called ``NA`` stays
  ``NA``; ids are only trimmed. A text cell arxl's own CSV export guarded with a leading ``'`` (``'=SUM(...)``)
  loses the guard again.
- **Customers.** Invoices or payments of customers the book does not know are errors, unless
  ``--create-customers`` adds minimal Customers rows (customer_id, the name from the file's ``customer_name``
  column or else the id, and the currency when the file gives that customer one currency).
- **Dates.** ISO dates (``2026-01-31``) always work; ``31 Jan 2026`` and ``Jan 31, 2026`` too. Dates such as
  ``03/04/2026`` follow the date order (``--date-order`` or the mapping's ``date_order``); with none, the order
  is inferred from the whole file (a ``13/01/2026`` somewhere makes it day first) and refused when nothing
  decides it. Two-digit years are 20xx.
- **Amounts.** ``1,234.50``, ``$1,234.50``, ``(250.00)`` and ``250.00-`` are read; with ``--decimal-comma``
  (or ``decimal_comma = true``) ``1.234,50``. Anything else is an error naming the line. Credit notes are
  stored negative whatever sign the file gives them once a type column says they are credit notes.

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

Header names match case- and space-insensitively. The header row need not be the first: the first of the first
30 rows that has every required column is taken (reports often start with a title). A required contract column
must be mapped (or given a constant); optional ones that the file lacks are simply not imported.

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
import re
import tomllib
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import contract
from ..arrays import member
from ..cells import ColumnContext, parse_bool
from ..contract import Kind, Table, normalise_header
from ..ledger import Ledger
from ..load import RawTable, load_tables
from ..money import exponent, floats_to_minor, format_plain
from ..problems import Problem, sort_problems

IMPORT_TABLES: dict[str, Table] = {
    "invoices": contract.INVOICES, "payments": contract.PAYMENTS, "customers": contract.CUSTOMERS,
    "adjustments": contract.ADJUSTMENTS,
}
"""What ``--table`` can name."""

CUSTOMER_NAME = "customer_name"
"""A mapping field that is no contract column: the customer's name, for ``--create-customers``."""

DATE_ORDERS = ("", "dmy", "mdy", "ymd")
AMOUNT_SIGNS = ("as_is", "negate", "absolute")
HEADER_SEARCH_ROWS = 30
_MAPPING_KEYS = frozenset({"table", "date_order", "decimal_comma", "amount_sign", "by_name", "skip_blank",
                           "sheet", "columns", "constants", "values", "keep", "skip"})


class MappingError(ValueError):
    """A mapping file or profile that cannot be used; the message says what to change."""


# --- mappings -------------------------------------------------------------------------------------------------

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
        raise MappingError(f"{origin}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_MAPPING_KEYS))})")
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
kind = ["write_off", "discount", "finance_charge", "bad_debt_recovery"]
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


# --- problems located in the source file ----------------------------------------------------------------------

@dataclass(frozen=True)
class SourceProblem(Problem):
    """A Problem located in the file being imported: ``sheet`` is the file name, ``row`` its line (or row)."""

    unit: str = "line"

    def location(self) -> str:
        where = self.sheet if self.row is None else f"{self.sheet} {self.unit} {self.row}"
        return f"{where}, {self.column}" if self.column else where


# --- reading the file's rows ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceInfo:
    """Where the rows come from, for messages: the file's name and what its numbers count (line or row)."""

    name: str
    unit: str = "line"


@dataclass(frozen=True)
class IncomingRows:
    """The file's rows for one table, typed and normalised, before they meet the book.

    Attributes:
        mapping: the mapping used.
        source: the file, for messages.
        lines: the file's line (or row) number of each row.
        values: contract column -> values as a user types them: text ``str`` (``""`` blank), dates
            ``datetime64[s]`` (NaT blank), numbers float64 (NaN blank). Only columns the file provides.
        headers: contract column -> the file's header it came from (``"(constant)"`` for a constant).
        customer_names: the ``customer_name`` of each row ("" when the file has none).
        failed: (row index, contract column) of cells that could not be read (their problem is in ``problems``).
        skipped: why rows were left out -> how many.
        problems: problems found reading the cells.
        notes: how ambiguous things were read (date order inferred...), for the output.
    """

    mapping: ColumnMapping
    source: SourceInfo
    lines: np.ndarray
    values: dict[str, np.ndarray]
    headers: dict[str, str]
    customer_names: np.ndarray
    failed: frozenset[tuple[int, str]]
    skipped: dict[str, int]
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)

    @property
    def table(self) -> Table:
        return self.mapping.table

    def __len__(self) -> int:
        return len(self.lines)


def header_probe(mapping: ColumnMapping) -> Callable[[Sequence[Sequence[object]]], bool]:
    """A function telling whether rows hold the header ``mapping`` needs (the reader uses it to pick the
    delimiter and the sheet)."""

    def probe(rows: Sequence[Sequence[object]]) -> bool:
        return _find_header(rows, mapping) is not None

    return probe


def _required_fields(mapping: ColumnMapping) -> list[str]:
    return [name for name in mapping.table.required if name not in mapping.constants]


def _positions(cells: Sequence[object], mapping: ColumnMapping) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        index.setdefault(normalise_header(cell), position)
    found = {}
    for name in mapping.fields():
        for candidate in mapping.candidates(name):
            if candidate in index:
                found[name] = index[candidate]
                break
    return found


def _find_header(rows: Sequence[Sequence[object]], mapping: ColumnMapping) -> tuple[int, dict[str, int]] | None:
    required = _required_fields(mapping)
    for number, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = _positions(cells, mapping)
        if all(name in found for name in required):
            return number, found
    return None


def _missing_header_message(rows: Sequence[Sequence[object]], mapping: ColumnMapping) -> str:
    required = _required_fields(mapping)
    best: tuple[int, Sequence[object]] = (-1, [])
    for cells in rows[:HEADER_SEARCH_ROWS]:
        score = sum(name in _positions(cells, mapping) for name in required)
        if score > best[0]:
            best = (score, cells)
    missing = [name for name in required if name not in _positions(best[1], mapping)]
    wanted = "; ".join(f"{name} ({' or '.join(mapping.columns.get(name, ())) or name})" for name in missing)
    shown = ", ".join(_as_text(cell).strip() for cell in best[1] if _as_text(cell).strip()) or "(nothing)"
    return (f"no header row with the columns {mapping.origin} needs: missing {wanted}. "
            f"The closest row holds: {shown}")


_is_text = np.frompyfunc(lambda value: isinstance(value, str), 1, 1)


def _text_mask(values: np.ndarray) -> np.ndarray:
    """Which cells are text. All of a CSV's are: Arrow checks that in C++ before Python looks cell by cell."""
    try:
        return pa.array(values, type=pa.string(), from_pandas=True).is_valid().to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _is_text(values).astype(bool)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_to_text = np.frompyfunc(_as_text, 1, 1)
_GUARDED = re.compile(r"^'[=+\-@\t\r]")


def _text_series(values: np.ndarray) -> pd.Series:
    """Cells -> trimmed text; the ``'`` arxl's CSV export puts before formula-like text is taken off."""
    if not _text_mask(values).all():
        values = _to_text(values)
    text = pd.Series(values, dtype="str").str.strip()
    guarded = text.str.match(_GUARDED.pattern)
    if guarded.any():
        text = text.where(~guarded, text.str.slice(1))
    return text


_MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], start=1) for name in names}
_NUMERIC_DATE = r"^(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})(?:[T ].*)?$"
_DAY_MONTH_NAME = r"^(?P<a>\d{1,2})[-/. ]*(?P<b>[A-Za-z]{3,9})\.?[-/., ]*(?P<c>\d{2,4})(?:[T ].*)?$"
_MONTH_NAME_DAY = r"^(?P<b>[A-Za-z]{3,9})\.?[-/. ]*(?P<a>\d{1,2})(?:st|nd|rd|th)?,?[-/. ]*(?P<c>\d{4})(?:[T ].*)?$"
_DATE_EXPECTED = "a date such as 2026-02-28"
_MONEY_EXPECTED = "an amount such as 1234.56"


def _valid_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[s] of (year, month, day) and whether each is a real date."""
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1900) & (year <= 9999)
    safe_month = np.where(ok, month, 1)
    safe_year = np.where(ok, year, 2000)
    months = ((safe_year - 1970) * 12 + safe_month - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= day <= length
    days = first + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    return np.where(ok, days.astype("datetime64[s]"), np.datetime64("NaT", "s")), ok


@dataclass
class _DateText:
    """Day/month text dates of one column (``03/04/2026``) whose order is decided once for the whole file."""

    column: str
    rows: np.ndarray  # indexes of the rows holding one
    first: np.ndarray
    second: np.ndarray
    year: np.ndarray


def _extract(text: pa.Array, pattern: str) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Which strings match ``pattern`` (named groups a, b, c) and the groups' text (Arrow, C++ speed)."""
    found = pc.extract_regex(text, pattern)
    matched = found.is_valid().to_numpy(zero_copy_only=False)
    return matched, {name: found.field(name) for name in ("a", "b", "c")}


def _integers(text: pa.Array, rows: np.ndarray) -> np.ndarray:
    """The digits of the matched ``rows`` as integers."""
    return pc.cast(text.take(pa.array(rows)), pa.int64()).to_numpy(zero_copy_only=False)


def _parse_dates(values: np.ndarray, column: str, order: str, undecided: list[_DateText]
                 ) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
    """Cells -> (datetime64[s], NaT when blank or unread; [(index, message, expected)] for unread cells).

    With no ``order``, day/month text dates are left NaT and collected in ``undecided``."""
    count = len(values)
    out = np.full(count, np.datetime64("NaT", "s"))
    errors: list[tuple[int, str, str]] = []
    is_text = _text_mask(values)
    for index in np.flatnonzero(~is_text):
        value = values[index]
        if value is None:
            continue
        if isinstance(value, dt.datetime | pd.Timestamp):
            out[index] = np.datetime64(value.date(), "s")
        elif isinstance(value, dt.date):
            out[index] = np.datetime64(value, "s")
        else:
            errors.append((int(index), "is a number, not a date" if isinstance(value, int | float) else
                           "is not a date", _DATE_EXPECTED))
    text = pc.utf8_trim_whitespace(pa.array(np.where(is_text, values, ""), type=pa.string()))
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    is_numeric, groups = _extract(text, _NUMERIC_DATE)
    is_numeric &= present
    if is_numeric.any():
        rows = np.flatnonzero(is_numeric)
        first, second, third = (_integers(groups[name], rows) for name in ("a", "b", "c"))
        ymd = (pc.utf8_length(groups["a"].take(pa.array(rows))).to_numpy(zero_copy_only=False) > 2) | (order == "ymd")
        if ymd.any():
            days, ok = _valid_days(np.where(first < 100, first + 2000, first), second, third)
            out[rows[ymd]] = days[ymd]
            errors += [(int(row), "is not a date", _DATE_EXPECTED) for row in rows[ymd & ~ok]]
            rows, first, second, third = rows[~ymd], first[~ymd], second[~ymd], third[~ymd]
        year = np.where(third < 100, third + 2000, third)
        if order in ("dmy", "mdy"):
            day, month = (first, second) if order == "dmy" else (second, first)
            days, ok = _valid_days(year, month, day)
            out[rows] = days
            shape = "day/month/year" if order == "dmy" else "month/day/year"
            errors += [(int(row), f"is not a date in the {shape} order this import reads",
                        "a date such as 2026-02-28, or another --date-order") for row in rows[~ok]]
        elif len(rows):
            undecided.append(_DateText(column, rows, first, second, year))
    named = np.zeros(count, dtype=bool)
    for pattern in (_DAY_MONTH_NAME, _MONTH_NAME_DAY):
        rest = present & ~is_numeric & ~named
        if not rest.any():
            break
        matched, groups = _extract(text, pattern)
        matched &= rest
        named |= matched
        rows = np.flatnonzero(matched)
        if not len(rows):
            continue
        words = pc.utf8_lower(groups["b"].take(pa.array(rows))).to_numpy(zero_copy_only=False)
        month = np.array([_MONTHS.get(word, 0) for word in words], dtype=np.int64)
        year = _integers(groups["c"], rows)
        days, ok = _valid_days(np.where(year < 100, year + 2000, year), month, _integers(groups["a"], rows))
        out[rows] = days
        errors += [(int(row), "is not a date", _DATE_EXPECTED) for row in rows[~ok]]
    other = present & ~is_numeric & ~named
    errors += [(int(index), "is not a date", _DATE_EXPECTED) for index in np.flatnonzero(other)]
    return out, errors


def _parse_amounts(values: np.ndarray, decimal_comma: bool) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
    """Cells -> (float64 major units, NaN when blank or unread; errors). The module doc lists what is read."""
    count = len(values)
    out = np.full(count, np.nan)
    errors: list[tuple[int, str, str]] = []
    is_text = _text_mask(values)
    for index in np.flatnonzero(~is_text):
        value = values[index]
        if value is None:
            continue
        if isinstance(value, int | float | Decimal | np.integer | np.floating) and not isinstance(value, bool):
            out[index] = float(value)
        else:
            errors.append((int(index), "is not an amount", _MONEY_EXPECTED))
    text = pd.Series(np.where(is_text, values, ""), dtype="str")
    text = text.str.replace(r"[\s\u00a0\u2007\u202f']", "", regex=True)
    present = (text != "").to_numpy()
    if not present.any():
        return out, errors
    parenthesised = text.str.startswith("(") & text.str.endswith(")")
    text = text.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    text = text.str.replace(r"[$€£¥₹₩₽₺₪₫₦₱฿]|^[A-Za-z]{3}|[A-Za-z]{3}$", "", regex=True)
    trailing = text.str.endswith("-") & ~text.str.startswith("-")
    text = text.str.replace(r"-$", "", regex=True).where(trailing, text)
    leading = text.str.startswith("-")
    text = text.str.replace(r"^[+-]", "", regex=True)
    if decimal_comma:
        valid = text.str.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d*)?|\d+(?:,\d*)?|,\d+")
        plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        valid = text.str.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+")
        plain = text.str.replace(",", "", regex=False)
    valid = valid.to_numpy(dtype=bool) & present
    numbers = pd.to_numeric(plain.where(valid, "0"), errors="coerce").to_numpy(dtype=np.float64)
    negative = (parenthesised ^ trailing ^ leading).to_numpy(dtype=bool)
    out[valid] = np.where(negative, -numbers, numbers)[valid]
    bad = present & ~valid
    for index in np.flatnonzero(bad):
        raw = str(values[index])
        if decimal_comma and re.fullmatch(r"[^,]*\d\.\d{1,2}\)?-?", raw.strip()):
            hint = "; this import reads decimal commas (1.234,56): leave out --decimal-comma?"
        elif not decimal_comma and re.search(r"\d,\d{1,2}\)?-?$", raw.strip()):
            hint = "; for amounts written 1.234,56 use --decimal-comma (or decimal_comma = true)"
        else:
            hint = ""
        errors.append((int(index), "is not an amount" + hint, _MONEY_EXPECTED))
    return out, errors


def prepare_rows(rows: Sequence[Sequence[object]], numbers: Sequence[int], mapping: ColumnMapping,
                 source: SourceInfo) -> IncomingRows:
    """The file's rows (header included, anywhere in the first 30) -> typed rows for ``mapping.table``.

    Raises MappingError when the file has no header row the mapping can use, or lacks a column that
    ``keep``/``skip``/``skip_blank`` names (nothing sensible can be imported then).
    """
    found = _find_header(rows, mapping)
    if found is None:
        raise MappingError(f"{source.name}: {_missing_header_message(rows, mapping)}")
    header_index, positions = found
    header = list(rows[header_index])
    header_by_name = {normalise_header(cell): position for position, cell in reversed(list(enumerate(header)))}
    filters = {name: what for what, names in (("keep", mapping.keep), ("skip", mapping.skip),
                                              ("skip_blank", mapping.skip_blank)) for name in names}
    for name, what in filters.items():
        if normalise_header(name) not in header_by_name:
            raise MappingError(f"{source.name}: has no column {name!r} (named in {mapping.origin}'s {what})")
    grid, lines, problems = _data_grid(rows[header_index + 1:], numbers[header_index + 1:], len(header), source)
    texts: dict[int, pd.Series] = {}

    def column_text(position: int) -> pd.Series:
        if position not in texts:
            texts[position] = _text_series(grid[:, position])
        return texts[position]

    def filter_text(name: str) -> pd.Series:
        return column_text(header_by_name[normalise_header(name)])

    keep_rows = ~np.isin(lines, np.array([problem.row for problem in problems], dtype=np.int64))
    blank = np.ones(len(lines), dtype=bool)
    for position in set(positions.values()) | {header_by_name[normalise_header(name)] for name in filters}:
        blank &= (column_text(position) == "").to_numpy()
    keep_rows &= ~blank
    skipped: dict[str, int] = {}
    for name, allowed in mapping.keep.items():
        outside = ~filter_text(name).str.casefold().isin([value.casefold() for value in allowed]).to_numpy()
        outside = outside & keep_rows
        if outside.any():
            skipped[f"{name} not {' or '.join(allowed)}"] = int(outside.sum())
            keep_rows &= ~outside
    for name, refused in mapping.skip.items():
        inside = filter_text(name).str.casefold().isin([value.casefold() for value in refused]).to_numpy()
        inside = inside & keep_rows
        if inside.any():
            skipped[f"{name} is {' or '.join(refused)}"] = int(inside.sum())
            keep_rows &= ~inside
    for name in mapping.skip_blank:
        empty = (filter_text(name) == "").to_numpy() & keep_rows
        if empty.any():
            skipped[f"no {name} (headings, totals)"] = int(empty.sum())
            keep_rows &= ~empty
    kept = np.flatnonzero(keep_rows)
    lines = lines[kept]
    count = len(kept)

    values: dict[str, np.ndarray] = {}
    headers: dict[str, str] = {}
    shown: dict[str, np.ndarray] = {}
    inferred: list[_DateText] = []
    cell_errors: list[tuple[int, str, str, str]] = []  # (index, column, message, expected)
    for column in mapping.table.columns:
        name = column.name
        if name in positions:
            cells = grid[kept, positions[name]]
            text = column_text(positions[name]).to_numpy(dtype=object)[kept]
            headers[name] = str(header[positions[name]]).strip()
        elif name in mapping.constants:
            cells = np.full(count, "", dtype=object)
            text = cells.copy()
            headers[name] = "(constant)"
        else:
            continue
        replaced = np.zeros(count, dtype=bool)
        if name in mapping.values:
            translated = pd.Series(text, dtype="str").str.casefold().map(mapping.values[name])
            replaced = translated.notna().to_numpy()
            text = np.where(replaced, translated.to_numpy(dtype=object), text)
        if name in mapping.constants:
            constant = text == ""
            text = np.where(constant, mapping.constants[name], text)
            replaced |= constant
        shown[name] = np.where(replaced, text, cells)
        if column.kind in (Kind.DATE, Kind.MONEY, Kind.INTEGER, Kind.NUMBER):
            typed_input = np.where(replaced | _text_mask(cells), text, cells)
            if column.kind is Kind.DATE:
                values[name], errors = _parse_dates(typed_input, name, mapping.date_order, inferred)
            else:
                values[name], errors = _parse_amounts(typed_input, mapping.decimal_comma)
            cell_errors += [(index, name, message, expected) for index, message, expected in errors]
        else:
            values[name] = np.asarray(text, dtype=object)

    notes: list[str] = []
    failed: set[tuple[int, str]] = set()
    if inferred:
        order, note, problem = _decide_order(inferred, lines, source)
        notes += [note] if note else []
        problems += [problem] if problem is not None else []
        for item in inferred:
            if not order:
                failed |= {(int(row), item.column) for row in item.rows}
                continue
            day, month = (item.first, item.second) if order == "dmy" else (item.second, item.first)
            days, ok = _valid_days(item.year, month, day)
            values[item.column][item.rows] = days
            shape = "day/month/year" if order == "dmy" else "month/day/year"
            cell_errors += [(int(row), item.column, f"is not a date in the {shape} order this import reads",
                             "a date such as 2026-02-28, or --date-order") for row in item.rows[~ok]]

    if "amount" in values:
        values["amount"] = _signed_amounts(values, mapping)
    failed |= {(index, name) for index, name, _message, _expected in cell_errors}
    for index, name, message, expected in cell_errors:
        problems.append(SourceProblem("error", source.name, int(lines[index]), name,
                                      _as_text(shown[name][index]).strip(), message, expected, unit=source.unit))
    names_position = positions.get(CUSTOMER_NAME)
    customer_names = (column_text(names_position).to_numpy(dtype=object)[kept] if names_position is not None
                      else np.full(count, "", dtype=object))
    return IncomingRows(mapping, source, lines, values, headers, customer_names, frozenset(failed), skipped,
                        problems, notes)


def _data_grid(rows: Sequence[Sequence[object]], numbers: Sequence[int], width: int, source: SourceInfo
               ) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """The rows under the header as a 2-D object array of ``width`` columns, their lines, and rows that have
    more fields than the header (a delimiter inside an unquoted value: the columns are shifted)."""
    lines = np.asarray(numbers, dtype=np.int64)
    problems: list[Problem] = []
    if any(len(row) != width for row in rows):
        fixed = []
        for offset, row in enumerate(rows):
            if len(row) > width and any(_as_text(cell).strip() for cell in row[width:]):
                problems.append(SourceProblem("error", source.name, int(lines[offset]), "", "",
                                              f"has {len(row)} fields but the header has {width}; a delimiter "
                                              "inside an unquoted value shifts the columns",
                                              "one field per header", unit=source.unit))
            fixed.append((list(row) + [""] * width)[:width])
        rows = fixed
    grid = np.empty((len(rows), width), dtype=object)
    if len(rows) and width:
        grid[:] = rows
    return grid, lines, problems


def _signed_amounts(values: dict[str, np.ndarray], mapping: ColumnMapping) -> np.ndarray:
    """The mapping's sign rule; for invoices, credit notes then made negative whatever sign the file gave."""
    amounts = values["amount"]
    if mapping.amount_sign == "negate":
        amounts = -amounts
    elif mapping.amount_sign == "absolute":
        amounts = np.abs(amounts)
    if mapping.table is contract.INVOICES and "type" in values:
        kinds = pd.Series(values["type"], dtype="str").str.strip().str.lower().str.replace(" ", "_", regex=False)
        amounts = np.where((kinds == "credit_note").to_numpy(), -np.abs(amounts), amounts)
    return amounts


def _decide_order(undecided: list[_DateText], lines: np.ndarray, source: SourceInfo
                  ) -> tuple[str, str, Problem | None]:
    """The day/month order of the file's text dates when none was given: the one the file proves, if any."""
    first = np.concatenate([item.first for item in undecided])
    second = np.concatenate([item.second for item in undecided])
    rows = np.concatenate([item.rows for item in undecided])

    def example(mask: np.ndarray) -> str:
        return f"{source.unit} {int(lines[rows[np.flatnonzero(mask)[0]]])}"

    day_first = not (second > 12).any()
    month_first = not (first > 12).any()
    if day_first and not month_first:
        return "dmy", f"dates read day/month/year (a day above 12 comes first on {example(first > 12)})", None
    if month_first and not day_first:
        return "mdy", f"dates read month/day/year (a day above 12 comes second on {example(second > 12)})", None
    if day_first and month_first:
        if not (first != second).any():
            return "dmy", "", None
        message = (f"dates such as the one on {example(first != second)} could be day/month or month/day, and "
                   "nothing in the file decides it")
    else:
        message = "the dates mix day-first and month-first forms"
    return "", "", SourceProblem("error", source.name, None, "", "", message,
                                 "--date-order dmy or mdy (or date_order in the mapping)", unit=source.unit)


# --- planning the append --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Conflict:
    """A file row whose id is in the book with other content.

    Attributes:
        line: the file's line (or row).
        key: the id.
        book_row: the Excel row of the book's record.
        differences: (column, the book's value, the file's value), as shown to the user.
    """

    line: int
    key: str
    book_row: int
    differences: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do.

    Attributes:
        table: the contract table.
        source: the file.
        rows: the rows to append (contract columns the book's table has; values as a user types them).
        lines: the file's line of each row to append.
        first_row: the Excel row the first of them lands on.
        customers: Customers rows to create (``--create-customers``), and ``customers_first_row``.
        already: how many rows were already imported (same id, same content).
        repeated: rows left out because the file repeats an earlier identical row.
        conflicts: rows whose id is in the book with other content.
        skipped: rows the mapping left out, by reason.
        problems: every problem: the file's (with its lines), the would-be book's, conflicts.
        book_errors: True when the book had errors before the import (nothing can be checked then).
        notes: how ambiguous things were read.
        backups: how many backups Settings asks the save to keep.
    """

    table: Table
    source: SourceInfo
    rows: pd.DataFrame
    lines: np.ndarray
    first_row: int
    customers: pd.DataFrame
    customers_first_row: int
    already: int
    repeated: int
    conflicts: list[Conflict]
    skipped: dict[str, int]
    problems: list[Problem]
    book_errors: bool = False
    notes: list[str] = field(default_factory=list)
    backups: int = 5

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def _existing_records(ledger: Ledger, table: Table) -> pd.DataFrame:
    if table is contract.INVOICES:
        return pd.concat([ledger.invoices, ledger.voided], ignore_index=True)
    return {contract.PAYMENTS.name: ledger.payments, contract.CUSTOMERS.name: ledger.customers,
            contract.ADJUSTMENTS.name: ledger.adjustments}[table.name]


def _lookup(keys: np.ndarray, mapping: pd.Series, default: object) -> np.ndarray:
    unique = mapping[~mapping.index.duplicated()]
    positions = pd.Index(unique.index).get_indexer(pd.Series(keys, dtype="str"))
    found = unique.to_numpy(dtype=object)[np.maximum(positions, 0)] if len(unique) else \
        np.full(len(keys), default, dtype=object)
    return np.where(positions >= 0, found, default)


def _resolved_currency(incoming: IncomingRows, rows: np.ndarray, ledger: Ledger) -> np.ndarray:
    """Each row's currency as the loader will resolve it (given, else the customer's, else reporting)."""
    reporting = ledger.settings.reporting_currency
    given = pd.Series(incoming.values["currency"][rows], dtype="str").str.upper().to_numpy(dtype=object) \
        if "currency" in incoming.values else np.full(len(rows), "", dtype=object)
    if incoming.table is contract.CUSTOMERS:
        fallback = np.full(len(rows), reporting, dtype=object)
    elif incoming.table is contract.ADJUSTMENTS:
        invoices = pd.concat([ledger.invoices, ledger.voided])
        fallback = _lookup(incoming.values["invoice_id"][rows], invoices.set_index("invoice_id")["currency"],
                           reporting)
    else:
        fallback = _lookup(incoming.values["customer_id"][rows],
                           ledger.customers.set_index("customer_id")["currency"], reporting)
    return np.where(given == "", fallback, given)


def _comparable(incoming: IncomingRows, column: contract.Column, rows: np.ndarray, ledger: Ledger,
                currency: np.ndarray) -> np.ndarray:
    """The file's values of ``column`` for ``rows`` as the loader would type them (object array)."""
    values = incoming.values[column.name][rows]
    settings = ledger.settings
    kind = column.kind
    if kind in (Kind.ID, Kind.TEXT):
        return pd.Series(values, dtype="str").str.strip().to_numpy(dtype=object)
    if kind is Kind.CURRENCY:
        return currency.copy() if column.name == "currency" else \
            pd.Series(values, dtype="str").str.upper().to_numpy(dtype=object)
    if kind is Kind.CHOICE:
        chosen = pd.Series(values, dtype="str").str.strip().str.lower().str.replace(" ", "_", regex=False)
        chosen = chosen.to_numpy(dtype=object)
        if incoming.table is contract.INVOICES and column.name == "type":
            negative = incoming.values["amount"][rows] < 0
            chosen = np.where(chosen == "", np.where(negative, "credit_note", "invoice"), chosen)
        return chosen
    if kind is Kind.BOOL:
        flags, _problems = parse_bool(values.astype(object), ColumnContext("", column.name, np.zeros(len(rows))))
        return flags.astype(object)
    if kind is Kind.DATE:
        dates = values.astype("datetime64[s]")
        if incoming.table is contract.INVOICES and column.name == "due_date":
            terms = _lookup(incoming.values["customer_id"][rows],
                            ledger.customers.set_index("customer_id")["terms_days"], settings.default_terms_days)
            computed = incoming.values["invoice_date"][rows] + terms.astype(np.int64).astype("timedelta64[D]")
            dates = np.where(np.isnat(dates), computed.astype("datetime64[s]"), dates)
        return dates.astype(object)
    if kind is Kind.INTEGER:
        default = settings.default_terms_days if column.name == "terms_days" else 0
        return np.where(np.isnan(values), default, values).astype(np.int64).astype(object)
    exponents = np.array([exponent(str(code)) for code in currency], dtype=np.int64)
    minor, _extra = floats_to_minor(np.nan_to_num(values), exponents)
    if incoming.table is contract.ADJUSTMENTS and column.name == "amount":
        minor = np.abs(minor)
    result = minor.astype(object)
    result[np.isnan(values)] = None if column.name == "credit_limit" else 0
    return result


def _book_comparable(records: pd.DataFrame, column: contract.Column) -> np.ndarray:
    values = records[column.name]
    if column.kind in (Kind.ID, Kind.TEXT):
        return values.astype("str").str.strip().to_numpy(dtype=object)
    if column.kind is Kind.DATE:
        return values.to_numpy(dtype="datetime64[s]").astype(object)
    if column.kind is Kind.MONEY and values.dtype == "Int64":
        return values.astype(object).where(values.notna(), None).to_numpy(dtype=object)
    return values.to_numpy(dtype=object)


def _missing(value: object) -> bool:
    return (value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and np.isnan(value))
            or (isinstance(value, np.datetime64) and np.isnat(value)))


def _equal(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Element-wise equality where two blanks (None, NaN, NaT) are equal."""
    return np.array([(_missing(a) and _missing(b)) or (not _missing(a) and not _missing(b) and a == b)
                     for a, b in zip(left, right, strict=True)], dtype=bool)


def _shown(value: object, column: contract.Column, currency: str) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "(blank)"
    if column.kind is Kind.DATE:
        return "(blank)" if pd.isna(value) else pd.Timestamp(value).date().isoformat()
    if column.kind is Kind.MONEY:
        return format_plain(int(value), currency)  # type: ignore[call-overload]
    return str(value) or "(blank)"


def _compare(incoming: IncomingRows, rows: np.ndarray, records: pd.DataFrame, ledger: Ledger
             ) -> tuple[np.ndarray, list[Conflict]]:
    """File rows ``rows`` (whose ids are in the book) against the book's records, on the columns the file
    provides: which are identical, and the conflicts of the others."""
    table = incoming.table
    key = table.key or ""
    keys = incoming.values[key][rows]
    matched = records.drop_duplicates(key).set_index(key).loc[pd.Series(keys, dtype="str")]
    book_currency = matched["currency"].to_numpy(dtype=object)
    # Without a currency column the file's amounts are in the book record's currency.
    currency = _resolved_currency(incoming, rows, ledger) if "currency" in incoming.values else book_currency
    compared = [column for column in table.columns if column.name in incoming.values and column.name != key]
    file_values = {column.name: _comparable(incoming, column, rows, ledger, currency) for column in compared}
    book_values = {column.name: _book_comparable(matched, column) for column in compared}
    differs = {name: ~_equal(file_values[name], book_values[name]) for name in file_values}
    any_difference = np.zeros(len(rows), dtype=bool)
    for mask in differs.values():
        any_difference |= mask
    book_rows = matched["row"].to_numpy(dtype=np.int64)
    conflicts = []
    for position in np.flatnonzero(any_difference):
        differences = tuple(
            (column.name, _shown(book_values[column.name][position], column, str(book_currency[position])),
             _shown(file_values[column.name][position], column, str(currency[position])))
            for column in compared if differs[column.name][position])
        conflicts.append(Conflict(int(incoming.lines[rows[position]]), str(keys[position]),
                                  int(book_rows[position]), differences))
    return ~any_difference, conflicts


def _repeats(incoming: IncomingRows, key: str) -> tuple[np.ndarray, list[Problem]]:
    """Rows repeating an earlier row's id: identical ones are dropped (mask), different ones are errors."""
    keys = pd.Series(incoming.values[key], dtype="str")
    repeated = keys.duplicated(keep="first").to_numpy() & (keys != "").to_numpy()
    drop = np.zeros(len(keys), dtype=bool)
    problems: list[Problem] = []
    if not repeated.any():
        return drop, problems
    first_of = pd.Series(np.arange(len(keys))).groupby(keys.to_numpy()).transform("first").to_numpy()
    for index in np.flatnonzero(repeated):
        earlier = int(first_of[index])
        same = all(_equal(np.array([values[index]], dtype=object), np.array([values[earlier]], dtype=object))[0]
                   for values in incoming.values.values())
        if same:
            drop[index] = True
        else:
            source = incoming.source
            problems.append(SourceProblem(
                "error", source.name, int(incoming.lines[index]), key, str(keys.iat[index]),
                f"is also on {source.unit} {int(incoming.lines[earlier])} with other content",
                f"each {key} once", unit=source.unit))
            drop[index] = True
    return drop, problems


def _strip_trailing_blanks(rows: Sequence[Sequence[object]]) -> list[Sequence[object]]:
    kept = list(rows)
    while kept and all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in kept[-1]):
        kept.pop()
    return kept


def _cells(values: np.ndarray, kind: Kind) -> np.ndarray:
    """Typed values -> cells as the loader receives them from a workbook (dates, floats, text; "" blank)."""
    if kind is Kind.DATE:
        return values.astype("datetime64[D]").astype(object)
    if values.dtype.kind == "f":
        cells = values.astype(object)
        cells[np.isnan(values)] = ""
        return cells
    return values.astype(object)


def _grid(existing: RawTable | None, table: Table, new: dict[str, np.ndarray], count: int
          ) -> tuple[list[object], np.ndarray, int]:
    """The would-be table: header, a 2-D object array of the existing rows then the new ones, first new row."""
    if existing is None:
        header: list[object] = [column.name for column in table.columns]
        old: list[Sequence[object]] = []
        first_row = 2
    else:
        header = list(existing.header)
        old = _strip_trailing_blanks(existing.cell_rows())
        first_row = existing.first_row
    width = len(header)
    grid = np.full((len(old) + count, width), "", dtype=object)
    if old:
        grid[:len(old)] = [(list(row) + [""] * width)[:width] for row in old]
    kinds = {column.name: column.kind for column in table.columns}
    for position, cell in enumerate(header):
        name = normalise_header(cell)
        if name in new:
            grid[len(old):, position] = _cells(new[name], kinds[name])
    return header, grid, first_row + len(old)


def _relabel(message: str, sheet: str, first_new: int, lines: np.ndarray, source: SourceInfo) -> str:
    """Excel row numbers inside a loader message -> the file's lines for new rows, ``Sheet row N`` for others."""

    def one(number: int) -> str:
        if number >= first_new and number - first_new < len(lines):
            return f"{source.name} {source.unit} {int(lines[number - first_new])}"
        return f"{sheet} row {number}"

    def replace_all(match: re.Match[str]) -> str:
        return ", ".join(one(int(part)) for part in match.group(1).split(", "))

    return re.sub(r"\brows? (\d+(?:, \d+)*)", replace_all, message)


def plan_import(incoming: IncomingRows, book: MappingType[str, RawTable], *, date1904: bool = False,
                create_customers: bool = False, skip_conflicts: bool = False) -> ImportPlan:
    """Decide what to append (see the module docstring): pure, nothing is read or written."""
    table = incoming.table
    key = table.key or ""
    source = incoming.source
    baseline = load_tables(book, date1904=date1904)
    ledger = baseline.ledger
    empty = pd.DataFrame()
    if not baseline.ok:
        return ImportPlan(table, source, empty, np.zeros(0, dtype=np.int64), 0, empty, 0, 0, 0, [],
                          incoming.skipped, baseline.errors, book_errors=True, notes=incoming.notes)
    problems: list[Problem] = list(incoming.problems)
    keep = np.ones(len(incoming), dtype=bool)
    drop, repeat_problems = _repeats(incoming, key)
    problems += repeat_problems
    repeated = int(drop.sum()) - len(repeat_problems)
    keep &= ~drop
    records = _existing_records(ledger, table)
    in_book = member(pd.Series(incoming.values[key], dtype="str"), records[key]).to_numpy() & keep
    candidates = np.flatnonzero(in_book)
    conflicts: list[Conflict] = []
    already = 0
    if len(candidates):
        identical, conflicts = _compare(incoming, candidates, records, ledger)
        already = int(identical.sum())
        keep[candidates] = False
        for conflict in conflicts:
            for column, book_value, file_value in conflict.differences:
                problems.append(SourceProblem(
                    "warning" if skip_conflicts else "error", source.name, conflict.line, column, file_value,
                    f"but {conflict.key} is already in {table.name} row {conflict.book_row} with {column} "
                    f"{book_value}; " + ("the row is left out (--skip-conflicts)" if skip_conflicts else
                                         "an import never overwrites the book"),
                    "" if skip_conflicts else "the book's value, a new id, or --skip-conflicts to leave the row "
                    "out", unit=source.unit))
    rows = np.flatnonzero(keep)
    new = {name: values[rows] for name, values in incoming.values.items()}
    lines = incoming.lines[rows]

    customers_new: dict[str, np.ndarray] = {}
    if create_customers and table in (contract.INVOICES, contract.PAYMENTS) and len(rows):
        customers_new = _new_customers(incoming, rows, ledger)

    raw = dict(book)
    existing = book.get(table.name)
    if existing is None:
        problems.append(Problem("error", table.name, None, "", "", f"the workbook has no {table.name} table",
                                f"a sheet named {table.name} holding an Excel Table named {table.name}"))
    header, grid, first_new = _grid(existing, table, new, len(rows))
    book_columns = {normalise_header(cell) for cell in header}
    for name, values in new.items():
        if name not in book_columns and len(values) and _any_value(values):
            problems.append(Problem("error", table.name, None, name, "",
                                    f"the book's {table.name} table has no {name} column, and the file fills it",
                                    f"a {name} column added to the {table.name} table, or {name} left out "
                                    "of the mapping"))
    sheet = existing.sheet if existing is not None and existing.sheet else table.name
    raw[table.name] = RawTable(table.name, header, grid, first_row=existing.first_row if existing else 2,
                               sheet=sheet)
    customers_first = 0
    customer_lines = np.zeros(0, dtype=np.int64)
    if customers_new:
        customer_table = book.get(contract.CUSTOMERS.name)
        c_header, c_grid, customers_first = _grid(customer_table, contract.CUSTOMERS, customers_new,
                                                  len(customers_new["customer_id"]))
        raw[contract.CUSTOMERS.name] = RawTable(
            contract.CUSTOMERS.name, c_header, c_grid,
            first_row=customer_table.first_row if customer_table else 2,
            sheet=customer_table.sheet if customer_table and customer_table.sheet else contract.CUSTOMERS.name)
        customer_lines = customers_new.pop("_line").astype(np.int64)

    if len(rows) or customers_new:
        result = load_tables(raw, date1904=date1904)
        known = {str(problem) for problem in baseline.problems}
        problems += _located(result.problems, known, sheet, first_new, lines, incoming, customers_first,
                             customer_lines)

    frame_columns = [column.name for column in table.columns if column.name in new and column.name in book_columns]
    frame = pd.DataFrame({name: new[name] for name in frame_columns})
    customers_frame = pd.DataFrame({name: values for name, values in customers_new.items()})
    return ImportPlan(table, source, frame, lines, first_new, customers_frame, customers_first, already,
                      repeated, conflicts, incoming.skipped, sort_problems(problems), notes=incoming.notes,
                      backups=ledger.settings.backups)


def _any_value(values: np.ndarray) -> bool:
    if values.dtype.kind == "M":
        return bool((~np.isnat(values)).any())
    if values.dtype.kind == "f":
        return bool((~np.isnan(values)).any())
    return bool((values.astype(str) != "").any())


def _new_customers(incoming: IncomingRows, rows: np.ndarray, ledger: Ledger) -> dict[str, np.ndarray]:
    """Minimal Customers rows for the customer ids of ``rows`` the book does not know."""
    ids = pd.Series(incoming.values["customer_id"][rows], dtype="str")
    unknown = ~member(ids, ledger.customers["customer_id"]) & (ids != "")
    if not unknown.any():
        return {}
    frame = pd.DataFrame({"customer_id": ids[unknown].to_numpy(),
                          "name": incoming.customer_names[rows][unknown.to_numpy()],
                          "line": incoming.lines[rows][unknown.to_numpy()]})
    if "currency" in incoming.values:
        frame["currency"] = pd.Series(incoming.values["currency"][rows][unknown.to_numpy()],
                                      dtype="str").str.upper().to_numpy()
    names = frame[frame["name"] != ""].groupby("customer_id", sort=False)["name"].first()
    first = frame.groupby("customer_id", sort=False).first()
    result = {"customer_id": first.index.to_numpy(dtype=object).astype(str),
              "name": np.asarray(_lookup(first.index.to_numpy(dtype=object), names, ""), dtype=object)}
    result["name"] = np.where(result["name"] == "", result["customer_id"], result["name"]).astype(str)
    if "currency" in frame.columns:
        given = frame[frame["currency"] != ""].groupby("customer_id", sort=False)["currency"]
        single = given.nunique()
        only = given.first()[single == 1]
        result["currency"] = np.asarray(_lookup(first.index.to_numpy(dtype=object), only, ""), dtype=object).astype(str)
    result["_line"] = first["line"].to_numpy(dtype=np.int64)
    return result


def _located(found: list[Problem], known: set[str], sheet: str, first_new: int, lines: np.ndarray,
             incoming: IncomingRows, customers_first: int, customer_lines: np.ndarray) -> list[Problem]:
    """The would-be book's problems, those on new rows moved to the file's lines; the book's own ones dropped."""
    source = incoming.source
    failed_at = {(int(incoming.lines[index]), column) for index, column in incoming.failed}
    located: list[Problem] = []
    for problem in found:
        if problem.sheet == sheet and problem.row is not None and problem.row >= first_new:
            line = int(lines[problem.row - first_new])
            if (line, problem.column) in failed_at:
                continue
            located.append(SourceProblem(problem.severity, source.name, line, problem.column, problem.value,
                                         _relabel(problem.message, sheet, first_new, lines, source),
                                         problem.expected, unit=source.unit))
        elif customers_first and problem.sheet == contract.CUSTOMERS.name and problem.row is not None \
                and problem.row >= customers_first:
            line = int(customer_lines[problem.row - customers_first])
            located.append(SourceProblem(problem.severity, source.name, line, f"customer {problem.column}",
                                         problem.value, problem.message + " (a customer --create-customers "
                                         "would add)", problem.expected, unit=source.unit))
        elif str(problem) not in known:
            located.append(problem)
    return located
