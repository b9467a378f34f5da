"""What the worksheet functions need beyond the engine: a content-keyed cache of loaded ledgers and their
reports, balances per customer, the one-line text of a load's problems, and ``arxl.finance``'s calculations as
they are called with numbers typed in cells.

Nothing here imports xlwings: ``udfs/arxl_udfs.py`` converts Excel's arguments and results, this module
computes. Money stays in integer minor units until the face turns it into floats.

The cache (``LedgerCache``). Excel hands every UDF call a fresh copy of its ranges, so thousands of cells over
the same tables would each load, validate and settle the whole ledger (xlwings issue #1981). The cache keys a
loaded ledger by the *content* of its tables: per table, Python's hash of the flattened tuple of cells and of
the row lengths (about 80 ms for the six tables of a 100,000-invoice book, against about 4 s to load, validate
and settle it; ``benchmarks/bench_udf_cache.py``). Each ``CachedBook`` memoises its settlements, agings,
metrics and balances per (as-of date, options), so a thousand ``AR_BALANCE`` cells settle the ledger once.
Limits of a hash key, accepted for speed: Python hashes ``True`` like ``1.0`` and ``False`` like ``0.0``, so a
cell switched between TRUE and 1 with nothing else changed reuses the cached result (in the boolean columns,
such as ``on_hold``, both mean the same anyway); NaN hashes by identity and never hits the cache (xlwings
never passes NaN: blank cells arrive as None); two different tables colliding on a 64-bit hash is not a
practical concern.

Excel's raw values (``ExcelValues``). Converting a range the way xlwings does by default (``Range.Value``, then
a Python pass over every cell for dates, currency and error values) costs seconds on a 100,000-invoice table,
on every call, before the cache can even be asked. So the worksheet functions take their tables as ranges and
read ``Range.Value2`` in one COM call: numbers (currency-formatted ones too, never Decimal) as floats, dates as
serial numbers, error cells as Excel's error codes, nothing converted per cell. The cache key is the hash of
those raw rows (computed in C); only on a miss are they turned into a ``RawTable`` (``serial_table``): serial
numbers in the contract's date columns (and the date Settings) become dates in the workbook's date system,
error codes become their texts (``#N/A``), column by column with numpy. xlwings Lite hands its functions the
same shape (dates as serial numbers), so its face uses the same path. A serial number in a date column is a
date by construction there (a plain number and a date cell look alike in Value2); numbers that cannot be dates
(below Excel's 1900 leap-year bug, fractions of a day are kept as a time of day) are left to the loader, which
reports them as it does for a file.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TypeVar

import numpy as np
import pandas as pd

from .. import contract, finance
from ..aging import AgingReport, aging
from ..allowance import AllowanceMatrix, provision_matrix
from ..credit import CreditDecision, credit_check
from ..errors import ArxlError
from ..forecast import Forecast, cash_forecast
from ..fx import convertible, to_reporting_currency
from ..ledger import Ledger
from ..load import LoadResult, RawTable, load_tables, raw_table_from_rows
from ..metrics import Metrics, compute_metrics
from ..money import to_minor
from ..problems import Problem
from ..settle import Settlement, settle

Rows = Sequence[Sequence[object]]
"""A range as xlwings passes it: a list of rows, the header first."""

T = TypeVar("T")


class UdfError(ArxlError):
    """An input a worksheet function cannot use; the message is shown in the cell after ``#ARXL: ``."""


# --- the content-keyed cache ----------------------------------------------------------------------------------

def rows_fingerprint(rows: Rows) -> tuple[int, ...]:
    """A key that changes whenever any cell of ``rows`` changes (see the module docstring for its limits)."""
    return len(rows), hash(tuple(map(len, rows))), hash(tuple(chain.from_iterable(rows)))


# --- Excel's raw values ----------------------------------------------------------------------------------------

EXCEL_ERROR_CODES: dict[int, str] = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}
"""The error codes ``Range.Value2`` hands over through pywin32 for error cells (as ``int``; numbers come as
float), with the text Excel shows."""

_is_code = np.frompyfunc(lambda cell: type(cell) is int, 1, 1)  # not bool: TRUE is a value, not a code
_is_number = np.frompyfunc(lambda cell: type(cell) in (int, float), 1, 1)
_SERIAL_1900 = np.datetime64("1899-12-30", "D")
_SERIAL_1904 = np.datetime64("1904-01-01", "D")
_LAST_SERIAL_1900 = 2_958_465  # 9999-12-31


@dataclass(frozen=True)
class ExcelValues:
    """One table argument as Excel's raw values: header row first, dates as serial numbers, error cells as
    ``EXCEL_ERROR_CODES`` (``errors_as_codes``, Windows' ``Range.Value2``) or as their texts (xlwings Lite).

    Attributes:
        name: the contract table (``Invoices``).
        rows: the cells, header row first (tuples or lists).
        first_row: the sheet row of the header (1 when unknown: rows are then counted from the header).
        sheet: the sheet the range is on, for messages ("" when unknown: the table name is used).
        errors_as_codes: whether ``int`` cells are Excel error codes (Value2 gives every number as float).
    """

    name: str
    rows: Rows
    first_row: int = 1
    sheet: str = ""
    errors_as_codes: bool = False

    def fingerprint(self) -> tuple[object, ...]:
        return ("values", self.sheet, self.first_row, self.errors_as_codes, rows_fingerprint(self.rows))

    def raw_table(self, *, date1904: bool = False) -> RawTable:
        return serial_table(self, date1904=date1904)


def serial_table(values: ExcelValues, *, date1904: bool = False) -> RawTable:
    """``values`` as the RawTable the loader reads (see the module docstring): serial numbers in the date
    columns as dates, error codes as texts."""
    rows = [list(row) for row in values.rows]
    sheet = values.sheet or values.name
    if not rows:
        return RawTable(values.name, [], [], values.first_row + 1, sheet)
    width = max(map(len, rows))
    grid = np.full((len(rows), width), None, dtype=object)
    for index, row in enumerate(rows):  # rectangular from Excel; a list from a script may be ragged
        grid[index, :len(row)] = row
    if values.errors_as_codes:
        _error_texts(grid)
    header = grid[0].tolist()
    body = grid[1:]
    table = contract.TABLES_BY_NAME.get(values.name)
    if table is not None and len(body):
        names = [contract.normalise_header(cell) for cell in header]
        dates = {column.name for column in table.columns if column.kind is contract.Kind.DATE}
        for position, name in enumerate(names):
            if name in dates:
                body[:, position] = _serials_to_dates(body[:, position], date1904)
        if table.name == contract.SETTINGS.name and "key" in names and "value" in names:
            keys = np.array([contract.normalise_header(key) for key in body[:, names.index("key")]], dtype=object)
            date_keys = [setting.key for setting in contract.SETTING_KEYS if setting.kind is contract.Kind.DATE]
            rows_with_dates = np.isin(keys, date_keys)
            value_column = names.index("value")
            body[rows_with_dates, value_column] = _serials_to_dates(body[rows_with_dates, value_column], date1904)
    return RawTable(values.name, header, body.tolist(), values.first_row + 1, sheet)


def _error_texts(grid: np.ndarray) -> None:
    codes = _is_code(grid).astype(bool)
    if codes.any():
        found = grid[codes]
        grid[codes] = [EXCEL_ERROR_CODES.get(code, code) for code in found.tolist()]


def _serials_to_dates(cells: np.ndarray, date1904: bool) -> np.ndarray:
    """A column of cells with the serial numbers that can be dates replaced by ``datetime.date`` (or
    ``datetime.datetime`` when the serial has a time of day); every other cell as it is."""
    out = cells.copy()
    numeric = _is_number(cells).astype(bool)
    if not numeric.any():
        return out
    positions = np.flatnonzero(numeric)
    serials = cells[positions].astype(np.float64)
    lowest = 0 if date1904 else 61  # serials up to 60 are Excel's 1900 leap-year bug: the loader refuses them
    highest = _LAST_SERIAL_1900 - (1462 if date1904 else 0)
    usable = np.isfinite(serials) & (serials >= lowest) & (serials <= highest)
    positions, serials = positions[usable], serials[usable]
    whole = np.floor(serials)
    days = (_SERIAL_1904 if date1904 else _SERIAL_1900) + whole.astype(np.int64).astype("timedelta64[D]")
    out[positions] = days.astype("datetime64[D]").astype(object)
    timed = serials != whole
    if timed.any():
        seconds = np.round((serials[timed] - whole[timed]) * 86_400).astype(np.int64)
        stamps = days[timed].astype("datetime64[s]") + seconds.astype("timedelta64[s]")
        out[positions[timed]] = stamps.astype(object)
    return out


def table_fingerprint(table: RawTable | ExcelValues | Rows) -> tuple[object, ...]:
    """``rows_fingerprint`` of a UDF range, or of a RawTable read from a live book (with where it sits)."""
    if isinstance(table, ExcelValues):
        return table.fingerprint()
    if isinstance(table, RawTable):
        return (table.sheet, table.first_row, rows_fingerprint([table.header]),
                rows_fingerprint(table.rows if table.typed is None else table.cell_rows()))
    return rows_fingerprint(table)


class CachedBook:
    """A loaded ledger with its reports memoised per (as-of date, options).

    Attributes:
        load: the LoadResult (ledger and problems).
        settle_count: how many settlements this entry computed (for the cache benchmark and tests).
    """

    _MEMO_SIZE = 32

    def __init__(self, load: LoadResult):
        self.load = load
        self.settle_count = 0
        self._memo: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._lock = threading.RLock()

    @property
    def ledger(self) -> Ledger:
        return self.load.ledger

    def _memoised(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]  # type: ignore[return-value]
            value = compute()
            self._memo[key] = value
            if len(self._memo) > self._MEMO_SIZE:
                self._memo.popitem(last=False)
            return value

    def settlement(self, as_of: dt.date) -> Settlement:
        def compute() -> Settlement:
            self.settle_count += 1
            return settle(self.ledger, as_of)

        return self._memoised(("settle", as_of), compute)

    def aging(self, as_of: dt.date, basis: str | None = None, edges: Sequence[int] | None = None) -> AgingReport:
        basis = basis or self.ledger.settings.aging_basis
        edges = tuple(edges or self.ledger.settings.bucket_edges)
        return self._memoised(("aging", as_of, basis, edges), lambda: aging(
            self.ledger, as_of, basis=basis, edges=edges, convert=convertible(self.ledger, as_of),
            settlement=self.settlement(as_of)))

    def metrics(self, as_of: dt.date, period_days: int | None = None, basis: str | None = None,
                edges: Sequence[int] | None = None) -> Metrics:
        edges = tuple(edges) if edges else None
        return self._memoised(("metrics", as_of, period_days, basis, edges), lambda: compute_metrics(
            self.ledger, as_of, period_days=period_days, basis=basis, edges=edges))

    def balances(self, as_of: dt.date) -> dict[str, tuple[int, str] | str]:
        """Customer id -> (balance in minor units, currency), or a message when it spans unconvertible
        currencies."""
        return self._memoised(("balances", as_of), lambda: customer_balances(self.ledger, self.settlement(as_of)))

    def customer_ids(self) -> frozenset[str]:
        return self._memoised(("customers",), lambda: frozenset(self.ledger.customers["customer_id"]))

    def forecast(self, as_of: dt.date, weeks: int) -> Forecast:
        return self._memoised(("forecast", as_of, weeks), lambda: cash_forecast(
            self.ledger, as_of, weeks=weeks, settlement=self.settlement(as_of)))

    def allowance(self, as_of: dt.date, method: str) -> AllowanceMatrix:
        return self._memoised(("allowance", as_of, method), lambda: provision_matrix(
            self.ledger, as_of, method=method, settlement=self.settlement(as_of)))

    def credit_check(self, as_of: dt.date, customer_id: str, order: int) -> CreditDecision:
        return self._memoised(("credit", as_of, customer_id, order), lambda: credit_check(
            self.ledger, as_of, customer_id, order, settlement=self.settlement(as_of)))


class LedgerCache:
    """A small LRU of ``CachedBook`` keyed by the content of the input tables."""

    def __init__(self, maxsize: int = 4):
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._books: OrderedDict[tuple[object, ...], CachedBook] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tables: Mapping[str, RawTable | ExcelValues | Rows], *, date1904: bool = False) -> CachedBook:
        """The cached book for these tables (contract names as keys), loading them on a miss."""
        key = (date1904, *sorted((name, table_fingerprint(table)) for name, table in tables.items()))
        with self._lock:
            book = self._books.get(key)
            if book is not None:
                self._books.move_to_end(key)
                self.hits += 1
                return book
        raw = {name: _raw_table(name, table, date1904) for name, table in tables.items()}
        book = CachedBook(load_tables(raw, date1904=date1904))
        with self._lock:
            self.misses += 1
            self._books[key] = book
            while len(self._books) > self.maxsize:
                self._books.popitem(last=False)
        return book

    def clear(self) -> None:
        with self._lock:
            self._books.clear()
            self.hits = self.misses = 0


def _raw_table(name: str, table: RawTable | ExcelValues | Rows, date1904: bool) -> RawTable:
    if isinstance(table, RawTable):
        return table
    if isinstance(table, ExcelValues):
        return table.raw_table(date1904=date1904)
    return raw_table_from_rows(name, table)


# --- figures per customer -------------------------------------------------------------------------------------

def customer_balances(ledger: Ledger, settlement: Settlement) -> dict[str, tuple[int, str] | str]:
    """Each customer's balance (open items, unapplied cash netted) as (minor units, currency).

    In the reporting currency when every currency converts; otherwise in the customer's own currency, or a
    message for a customer with balances in several currencies that cannot be converted.
    """
    items = settlement.open_items
    result: dict[str, tuple[int, str] | str] = {}
    if convertible(ledger, settlement.as_of):
        amounts = to_reporting_currency(ledger, items["open_amount"].to_numpy(), items["currency"].to_numpy(),
                                        settlement.as_of)
        totals = pd.Series(amounts).groupby(items["customer_id"].to_numpy()).sum()
        currency = ledger.settings.reporting_currency
        return {str(customer): (int(total), currency) for customer, total in totals.items()}
    grouped = items.groupby(["customer_id", "currency"], sort=True)["open_amount"].sum()
    per_customer: dict[str, list[tuple[int, str]]] = {}
    for (customer, currency), total in grouped.items():
        per_customer.setdefault(str(customer), []).append((int(total), str(currency)))
    for customer, amounts in per_customer.items():
        if len(amounts) == 1:
            result[customer] = amounts[0]
        else:
            codes = ", ".join(currency for _, currency in amounts)
            result[customer] = (f"customer {customer} owes in several currencies ({codes}) and the workbook has "
                                "no exchange rates to add them up")
    return result


# --- finance, as the worksheet functions take it (the calculations are arxl.finance's) -------------------------

PLAN_COLUMNS: tuple[str, ...] = ("Payment", "Interest", "Principal", "Balance")
TYPED_AMOUNT_CURRENCY = "USD"
"""The currency of an amount typed in a cell when none is given: it only decides the minor digits, 2 (cents),
as for USD or EUR. Pass the real currency for JPY (0 digits), KWD (3) and the like."""


def discount_apr(discount: float, discount_days: float, net_days: float, *, effective: bool = False) -> float:
    """``arxl.finance.discount_cost``, simple or effective: 2/10 net 30 = 0.3724 or 0.4459."""
    cost = finance.discount_cost(discount, discount_days, net_days)  # type: ignore[arg-type]
    return cost.effective if effective else cost.simple


def payment_plan(balance: float, annual_rate: float, instalments: int, first_due: dt.date | None = None,
                 currency: str = TYPED_AMOUNT_CURRENCY) -> pd.DataFrame:
    """``arxl.finance.instalment_plan`` of an amount typed in a cell, rounded half away from zero to the minor
    unit of ``currency``: columns due_date (when ``first_due`` is given) and ``PLAN_COLUMNS``, int64 minor
    units of ``currency``."""
    plan = finance.instalment_plan(to_minor(balance, currency), annual_rate, instalments, first_due=first_due)
    renamed = plan.rename(columns={column.lower(): column for column in PLAN_COLUMNS})
    return renamed[(["due_date"] if first_due else []) + list(PLAN_COLUMNS)]


def finance_charge(balance: float, days_overdue: int, monthly_rate: float, grace_days: int = 0,
                   minimum: float = 0, currency: str = TYPED_AMOUNT_CURRENCY) -> int:
    """``arxl.finance.finance_charge_amount`` on amounts typed in cells (``balance`` and ``minimum``, in major
    units of ``currency``): the charge in minor units of ``currency``."""
    return finance.finance_charge_amount(to_minor(balance, currency), days_overdue, monthly_rate, grace_days,
                                         to_minor(minimum, currency))


def problem_text(problems: Sequence[Problem]) -> str:
    """The first error of a load as one line, with how many more there are."""
    errors = [problem for problem in problems if problem.is_error]
    # A missing table explains the rest (every row naming its customers is unknown without Customers): first.
    errors.sort(key=lambda problem: not (problem.row is None
                                         and problem.message.startswith("the workbook has no ")))
    first = errors[0]
    text = str(first)
    if first.row is None and first.message.startswith("the workbook has no "):
        table = first.sheet
        text = (f"no {table} table: pass it as the {table.lower()} argument (e.g. {table}[#All]), or call the "
                "function with no table arguments to use the workbook's own tables")
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more error(s): the AR tab's Check button lists them all)"
    return text


def frame_to_rows(frame: pd.DataFrame) -> list[list[object]]:
    """A frame as xlwings passes a range holding it to a UDF: header row first, dates as ``datetime.datetime``,
    numbers as float, blank cells (``""``, NaN, NaT) as None. For tests, benchmarks and scripts that call the
    worksheet functions from Python."""
    columns: list[list[object]] = []
    for name in frame.columns:
        series = frame[name]
        if series.dtype.kind == "M":
            stamps = pd.to_datetime(series)
            columns.append([None if pd.isna(stamp) else stamp.to_pydatetime() for stamp in stamps])
        elif series.dtype.kind in "fiu":
            values = series.to_numpy(dtype=np.float64)
            columns.append([None if np.isnan(value) else value for value in values.tolist()])
        elif series.dtype.kind == "b":
            columns.append(series.tolist())
        else:
            columns.append([None if value is None or value == "" or (isinstance(value, float) and np.isnan(value))
                            else value for value in series.to_numpy(dtype=object).tolist()])
    return [[str(name) for name in frame.columns], *(list(row) for row in zip(*columns, strict=True))]
