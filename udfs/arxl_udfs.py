"""arxl's Excel worksheet functions (xlwings UDFs): ``=AR_DSO(Invoices[#All], Payments[#All], Customers[#All])``.

These functions live in the arxl add-in: ``workbooks/build_addin.py`` writes their VBA wrappers into
``arxl.xlam`` with xlwings' own generator, so they work in any workbook once ``arxl addin install`` has put the
add-in in Excel's startup folder (Windows only, as for every classic xlwings UDF; ``lite/main.py`` offers them
in xlwings Lite). Each function converts Excel's arguments, asks the library, and converts the result; all the
accounting is in ``arxl``.

Arguments. Data arguments are the workbook's tables passed as whole ranges with their header row
(``Invoices[#All]``), in the order ``invoices, payments, customers, applications, adjustments, settings``.
They are declared as ranges (xlwings' ``"range"`` converter), so xlwings converts nothing: the function reads
the range's raw values (``Range.Value2``) in one COM call, dates as serial numbers and currency-formatted
amounts as plain numbers (``arxl.verbs.functions.ExcelValues``), and arxl's own loader reads them, so a bad
cell comes back located: ``#ARXL: Invoices row 12, due_date: "x" is not a date``, the row being the sheet row.
From Python (tests, scripts) the same arguments may be lists of rows, header first, as xlwings' default
conversion gives them (dates as datetime, numbers as float or Decimal, blanks as None, errors as "#N/A").
Scalar options: ``as_of`` (blank: the Settings as-of date, else today; pass ``TODAY()`` to have Excel
recalculate daily), ``period_days`` (DSO period), ``basis`` (``due`` or ``invoice``) and ``buckets``
(``"30,60,90"`` or a range of numbers). Every argument accepts what xlwings can hand over: int, float,
``Decimal`` (a cell formatted as currency or accounting, on Windows), datetime, date, bool, text, None (a blank
cell), and an error value as its text (``#N/A``), which is refused with a message naming the argument instead
of being read as a blank (``_report_error_values`` asks xlwings for error texts on every argument).
Every function that takes tables also takes ``instalments``, ``fx_rates`` and ``activity`` after its options
(the Instalments, FXRates and Activity tables, read the same way; last, so that formulas written before they
existed keep their meaning): instalments are due on their own dates, rates convert on the as-of date, and
disputes and promises recorded in Activity count as on the generated sheets (auto-apply settles disputed
invoices last). ``AR_AGING`` also takes ``by`` (``group``, ``region`` or ``salesperson``: one row per group).

Recalculation. The table-argument forms are the documented default: Excel knows the cell depends on the
tables and recalculates it when they change. With no data argument at all, a function reads the calling
workbook's own Excel Tables, which Excel cannot track; the add-in's VBA wrapper therefore marks exactly those
calls volatile (``Application.Volatile`` when every data argument is missing, built into ``arxl.xlam`` by
``workbooks/build_addin.py``), so they recalculate after every change anywhere in Excel, re-reading the tables
each time (the cache makes it one settlement per change). Use that form on small books; on large ones pass the
tables. Functions that take tables are skipped while Excel's function wizard is open (``call_in_wizard=False``:
the wizard would otherwise call them on every keystroke) and show 0 there.

Results. Money is in major units of the reporting currency when every currency converts (an FXRates rate in
force on the as-of date covers them), otherwise in the document's currency. Tables (``AR_AGING``,
``AR_OPEN_ITEMS``, ``AR_STATEMENT``, ``AR_FORECAST``, ``AR_PAYMENT_PLAN``) are dynamic arrays: a header row,
then the rows. A problem is returned as text starting with ``#ARXL:``; no function raises or shows a traceback.

Speed. Loaded ledgers are cached by the content of the data arguments (``arxl.verbs.functions.LedgerCache``):
the key is a hash of the raw values, computed in C, and the values are converted into typed tables only when
the key is new; settlements and reports are memoised per as-of date and options. A thousand ``AR_BALANCE``
cells over one book load and settle it once (``benchmarks/bench_udf_cache.py`` and
``benchmarks/bench_udf_formulas.py`` measure it; the README gives the figures). Excel still hands every call
its ranges through COM, so with very large tables prefer one ``AR_AGING`` spill with ``XLOOKUP`` over it, or
pass a whole column of customer ids to one ``AR_BALANCE``.

The parameters carry no type annotations on purpose: xlwings reads annotations as converters.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from arxl import statements as statement_module
from arxl.aging import DEFAULT_EDGES, TOTAL, UNAPPLIED, bucket_index, bucket_labels, parse_edges
from arxl.cells import EXCEL_ERRORS, decimal_text
from arxl.contract import GROUP_COLUMNS
from arxl.errors import ArxlError
from arxl.groups import aging_by_group
from arxl.load import RawTable
from arxl.money import ISO_CURRENCIES, exponent, to_major_float, to_major_floats, to_minor
from arxl.text import Outcome, read_flags
from arxl.verbs.books import live_book
from arxl.verbs.functions import (
    TYPED_AMOUNT_CURRENCY,
    CachedBook,
    ExcelValues,
    LedgerCache,
    UdfError,
    discount_apr,
    finance_charge,
    payment_plan,
    problem_text,
)

CATEGORY = "arxl"
CACHE = LedgerCache(maxsize=4)
"""Loaded ledgers by the content of their tables, shared by every function of this module."""

TABLE_ARGUMENTS = {"invoices": "Invoices", "payments": "Payments", "customers": "Customers",
                   "applications": "Applications", "adjustments": "Adjustments", "settings": "Settings",
                   "instalments": "Instalments", "fx_rates": "FXRates", "activity": "Activity"}
_EXCEL_EPOCH = dt.date(1899, 12, 30)

DOC_INVOICES = "The Invoices table with its header row, e.g. Invoices[#All]"
DOC_PAYMENTS = "The Payments table with its header row, e.g. Payments[#All]"
DOC_CUSTOMERS = "The Customers table with its header row, e.g. Customers[#All]"
DOC_APPLICATIONS = "Optional: the Applications table, e.g. Applications[#All]"
DOC_ADJUSTMENTS = "Optional: the Adjustments table, e.g. Adjustments[#All]"
DOC_SETTINGS = "Optional: the Settings table, e.g. Settings[#All]"
DOC_ACTIVITY = ("Optional: the Activity table, e.g. Activity[#All]: disputes and promises recorded there count "
                "(auto-apply settles disputed invoices last)")
DOC_AS_OF = "Optional as-of date; blank = the Settings as_of, else today"
DOC_PERIOD = "Optional DSO period in days; blank = the Settings dso_period_days (90)"
DOC_BASIS = 'Optional aging basis: "due" or "invoice"; blank = the Settings aging_basis'
DOC_BUCKETS = 'Optional bucket edges such as "30,60,90"; blank = the Settings bucket_edges'
DOC_CUSTOMER = "A customer_id (or a range of them)"
DOC_BY = 'Optional: subtotal by the customers\' "group", "region" or "salesperson" (one row per group)'
DOC_INSTALMENTS = "Optional: the Instalments table, e.g. Instalments[#All]"
DOC_FX_RATES = "Optional: the FXRates table, e.g. FXRates[#All]"
DOC_TYPED_CURRENCY = ('Optional currency code of the amounts, e.g. "JPY" or "KWD": decides their decimals; '
                      "blank = 2 decimals (cents)")


# --- the wrapper every function goes through -------------------------------------------------------------------

def _guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``#ARXL: <message>`` instead of raising: Excel must never see a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (ArxlError, ValueError) as exc:
            return f"#ARXL: {exc}"
        except Exception as exc:
            return f"#ARXL: internal error ({type(exc).__name__}: {exc}); please report it"

    return wrapper


def _data_arguments(function: Callable[..., Any]) -> Callable[..., Any]:
    """The six table arguments, shared by every function that takes them: declared as ranges, so xlwings hands
    over the Range and the function reads its raw values (see "Arguments" above)."""
    for name, doc in (("invoices", DOC_INVOICES), ("payments", DOC_PAYMENTS), ("customers", DOC_CUSTOMERS),
                      ("applications", DOC_APPLICATIONS), ("adjustments", DOC_ADJUSTMENTS),
                      ("settings", DOC_SETTINGS)):
        function = xw.arg(name, "range", doc=doc)(function)
    return function


def _later_tables(function: Callable[..., Any]) -> Callable[..., Any]:
    """The three optional tables that come after a function's options (Instalments, FXRates and Activity: an
    invoice due in parts, rates over time, disputes and promises), declared as ranges like the six others; they
    come last so that formulas written before they existed keep their meaning."""
    function = xw.arg("instalments", "range", doc=DOC_INSTALMENTS)(function)
    function = xw.arg("fx_rates", "range", doc=DOC_FX_RATES)(function)
    return xw.arg("activity", "range", doc=DOC_ACTIVITY)(function)


# --- argument conversion --------------------------------------------------------------------------------------

def _rows(value: Any, name: str) -> list[list[Any]] | ExcelValues | None:
    if value is None:
        return None
    if isinstance(value, ExcelValues):  # already raw values (xlwings Lite's face hands them over so)
        return value
    if hasattr(value, "api") and hasattr(value, "sheet"):  # an xlwings Range: its raw values in one COM call
        raw = value.api.Value2
        rows = raw if isinstance(raw, tuple) and raw and isinstance(raw[0], tuple) else ((raw,),)
        return ExcelValues(TABLE_ARGUMENTS[name], rows, first_row=int(value.row), sheet=str(value.sheet.name),
                           errors_as_codes=True)
    if isinstance(value, list | tuple):
        if not value:
            return None
        if isinstance(value[0], list | tuple):
            return [list(row) for row in value] if not isinstance(value, list) else value
        return [list(value)]  # one row: a header without data
    raise UdfError(f"{name} must be the whole table with its header row, e.g. {TABLE_ARGUMENTS[name]}[#All], "
                   f"not a single value ({value!r})")


def _book(invoices: Any, payments: Any, customers: Any, applications: Any, adjustments: Any,
          settings: Any, instalments: Any = None, fx_rates: Any = None, activity: Any = None) -> CachedBook:
    given = {TABLE_ARGUMENTS[name]: rows for name, value in (
        ("invoices", invoices), ("payments", payments), ("customers", customers),
        ("applications", applications), ("adjustments", adjustments), ("settings", settings),
        ("instalments", instalments), ("fx_rates", fx_rates), ("activity", activity))
        if (rows := _rows(value, name)) is not None}
    date1904 = any(_date1904(value) for value in (invoices, payments, customers, applications, adjustments,
                                                  settings) if value is not None)
    tables: dict[str, RawTable | ExcelValues | list[list[Any]]] = dict(given)
    if not given:
        raw, date1904 = _caller_tables()
        tables = dict(raw)
    book = CACHE.get(tables, date1904=date1904)
    if not book.load.ok:
        raise UdfError(problem_text(book.load.problems))
    return book


def _date1904(value: Any) -> bool:
    """Whether a range argument's workbook counts dates from 1904 (Windows COM; False elsewhere)."""
    try:
        return bool(value.sheet.book.api.Date1904)
    except Exception:  # a list of rows, or a platform without the property
        return False


def _refuse_error_value(value: Any, name: str) -> None:
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        raise UdfError(f'{name}: "{value.strip()}" is an Excel error value; fix the cell it comes from')


def _caller_tables() -> tuple[dict[str, RawTable], bool]:
    """The calling workbook's own tables (only inside Excel)."""
    try:
        book = xw.Book.caller()
    except Exception as exc:
        raise UdfError("no table arguments were given, and outside Excel there is no calling workbook to read: "
                       "pass the tables, e.g. =AR_DSO(Invoices[#All], Payments[#All], Customers[#All])") from exc
    tables, date1904, problems = live_book(book).read_tables()
    if any(problem.is_error for problem in problems):
        raise UdfError(problem_text(problems))
    return tables, date1904


def _date(value: Any, name: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    _refuse_error_value(value, name)
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise UdfError(f'{name}: "{value}" is not a date (expected a date such as 2026-06-30)')
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 1 <= value < 2958466:
            raise UdfError(f'{name}: "{value:g}" is not a date (expected a date such as 2026-06-30)')
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise UdfError(f'{name}: "{value}" is not a date (expected a date such as 2026-06-30)')


def _number(value: Any, name: str, default: float | None = None) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise UdfError(f"{name} is required")
        return default
    _refuse_error_value(value, name)
    if isinstance(value, bool):
        raise UdfError(f'{name}: "{value}" is not a number')
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise UdfError(f'{name}: "{value}" is not a number')
        return float(value)
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise UdfError(f'{name}: "{value}" is not a number')
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            pass
    raise UdfError(f'{name}: "{value}" is not a number')


def _whole(value: Any, name: str, default: int | None = None) -> int | None:
    if (value is None or (isinstance(value, str) and not value.strip())) and default is None:
        return None
    number = _number(value, name, None if default is None else float(default))
    if not float(number).is_integer():
        raise UdfError(f'{name}: "{number:g}" is not a whole number')
    return int(number)


def _customer(value: Any) -> str:
    if isinstance(value, list | tuple):
        cells = [cell for row in value for cell in (row if isinstance(row, list | tuple) else [row])]
        if len(cells) != 1:
            raise UdfError("customer must be one customer_id here, not a range")
        value = cells[0]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.datetime | dt.date):
        raise UdfError(f'customer: "{value}" is a date, not a customer_id')
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UdfError("customer is required (a customer_id such as C0001)")
    _refuse_error_value(value, "customer")
    if isinstance(value, bool):
        raise UdfError(f'customer: "{value}" is not a customer_id')
    return str(value).strip()


def _flag(value: Any, name: str) -> bool:
    """TRUE/FALSE as a cell gives it: a boolean, a number (0 is FALSE), or yes/no text in arxl's one grammar."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    _refuse_error_value(value, name)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return value != 0
    flags = read_flags([str(value)])
    if flags.outcome[0] != Outcome.READ:
        raise UdfError(f'{name}: "{value}" is not TRUE or FALSE')
    return bool(flags.values[0])


def _basis(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    _refuse_error_value(value, "basis")
    basis = str(value).strip().lower()
    if basis not in ("due", "invoice"):
        raise UdfError(f'basis: "{value}" is not one of due, invoice')
    return basis


def _buckets(value: Any) -> tuple[int, ...] | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    cells = value if isinstance(value, list | tuple) else [value]
    for cell in (item for row in cells for item in (row if isinstance(row, list | tuple) else [row])):
        _refuse_error_value(cell, "buckets")
    try:
        return parse_edges(value if isinstance(value, str | list | tuple) else [value])
    except ValueError as exc:
        raise UdfError(f"buckets: {exc}") from None


def _by(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    grouping = str(value).strip().lower()
    if grouping not in GROUP_COLUMNS:
        raise UdfError(f'by: "{value}" is not one of {", ".join(GROUP_COLUMNS)}')
    return grouping


def _currency(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return TYPED_AMOUNT_CURRENCY
    _refuse_error_value(value, "currency")
    code = str(value).strip().upper()
    if code not in ISO_CURRENCIES:
        raise UdfError(f'currency: "{value}" is not a currency code (expected an ISO 4217 code such as USD, '
                       "JPY or KWD)")
    return code


def _as_of(book: CachedBook, value: Any) -> dt.date:
    return _date(value, "as_of") or book.ledger.settings.as_of or dt.date.today()


def _ratio(value: float | None, what: str) -> float:
    if value is None:
        raise UdfError(f"{what} cannot be computed: its denominator is zero (no credit sales in the period?)")
    return float(value)


def _cells(value: Any) -> tuple[list[list[Any]], bool]:
    """A scalar or a range as rows of cells, and whether it was a range (to answer in the same shape). In Excel
    these arguments are declared ndim=2, so a range keeps its shape and one cell is answered as a 1x1 array."""
    if isinstance(value, list | tuple):
        rows = [list(row) if isinstance(row, list | tuple) else [row] for row in value]
        return rows, True
    return [[value]], False


def _each(value: Any, compute: Callable[[Any], Any]) -> Any:
    """``compute`` of a scalar, or of every cell of a range (a blank cell stays blank, a bad one says why)."""
    rows, is_range = _cells(value)
    out = []
    for row in rows:
        out_row = []
        for cell in row:
            if is_range and (cell is None or cell == ""):
                out_row.append(None)
                continue
            try:
                out_row.append(compute(cell))
            except (ArxlError, ValueError) as exc:
                out_row.append(f"#ARXL: {exc}")
        out.append(out_row)
    return out if is_range else out[0][0]


def _datetime(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(value)
        return None if pd.isna(stamp) else stamp.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


# --- metrics --------------------------------------------------------------------------------------------------

def _metric(name: str, what: str, invoices: Any, payments: Any, customers: Any, applications: Any,
            adjustments: Any, settings: Any, as_of: Any, period_days: Any, instalments: Any = None,
            fx_rates: Any = None, activity: Any = None) -> float:
    book = _book(invoices, payments, customers, applications, adjustments, settings, instalments, fx_rates,
                 activity)
    period = _whole(period_days, "period_days")
    if period is not None and period <= 0:
        raise UdfError(f"period_days must be a positive number of days, not {period}")
    metrics = book.metrics(_as_of(book, as_of), period)
    return _ratio(getattr(metrics, name), what)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_later_tables
@_guarded
def AR_DSO(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """Days sales outstanding (average method): ending AR / credit sales of the period x period days."""
    return _metric("dso", "DSO", invoices, payments, customers, applications, adjustments, settings, as_of,
                   period_days, instalments, fx_rates, activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@_later_tables
@_guarded
def AR_DSO_COUNTBACK(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                     settings=None, as_of=None, instalments=None, fx_rates=None, activity=None):
    """Days sales outstanding (countback method): calendar months of credit sales, latest first, that the
    ending AR consumes."""
    return _metric("dso_countback", "Countback DSO (the sales history runs out before the AR)", invoices,
                   payments, customers, applications, adjustments, settings, as_of, None, instalments, fx_rates,
                   activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_later_tables
@_guarded
def AR_BPDSO(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
             as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """Best possible DSO: current (not yet due) AR / credit sales of the period x period days."""
    return _metric("bpdso", "Best possible DSO", invoices, payments, customers, applications, adjustments,
                   settings, as_of, period_days, instalments, fx_rates, activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_later_tables
@_guarded
def AR_ADD(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """Average days delinquent: DSO - best possible DSO."""
    return _metric("add", "ADD", invoices, payments, customers, applications, adjustments, settings, as_of,
                   period_days, instalments, fx_rates, activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_later_tables
@_guarded
def AR_CEI(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """Collection effectiveness index (percent): (beginning AR + credit sales - ending AR) / (beginning AR +
    credit sales - ending current AR) x 100."""
    return _metric("cei", "CEI", invoices, payments, customers, applications, adjustments, settings, as_of,
                   period_days, instalments, fx_rates, activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_later_tables
@_guarded
def AR_TURNOVER(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                settings=None, as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """AR turnover for the period: credit sales / average of beginning and ending AR."""
    return _metric("turnover", "AR turnover", invoices, payments, customers, applications, adjustments,
                   settings, as_of, period_days, instalments, fx_rates, activity)


# --- balances and aging ---------------------------------------------------------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("customer", ndim=2, doc=DOC_CUSTOMER)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@_later_tables
@_guarded
def AR_BALANCE(customer, invoices=None, payments=None, customers=None, applications=None, adjustments=None,
               settings=None, as_of=None, instalments=None, fx_rates=None, activity=None):
    """A customer's balance at the as-of date (open items, unapplied cash netted); a range of customer ids
    gives a column of balances."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, instalments, fx_rates,
                 activity)
    balances = book.balances(_as_of(book, as_of))
    known = book.customer_ids()

    def one(cell: Any) -> float:
        customer_id = _customer(cell)
        found = balances.get(customer_id)
        if found is None:
            if customer_id not in known:
                raise UdfError(f'customer "{customer_id}" is not in the Customers table')
            return 0.0
        if isinstance(found, str):
            raise UdfError(found)
        return to_major_float(*found)

    return _each(customer, one)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("basis", doc=DOC_BASIS)
@xw.arg("buckets", doc=DOC_BUCKETS)
@xw.arg("by", doc=DOC_BY)
@_later_tables
@_guarded
def AR_AGING(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
             as_of=None, basis=None, buckets=None, by=None, instalments=None, fx_rates=None, activity=None):
    """The aging by customer (dynamic array): customer_id, name, the buckets, Unapplied, Total, as
    arxl report aging prints it (a currency column after name when amounts cannot be converted). With by
    ("group", "region" or "salesperson"): one row per group (and currency), with how many customers, as
    arxl report aging --by prints it."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, instalments, fx_rates,
                 activity)
    report = book.aging(_as_of(book, as_of), _basis(basis), _buckets(buckets))
    money = [*report.labels, UNAPPLIED, TOTAL]
    grouping = _by(by)
    if grouping is not None:
        grouped = aging_by_group(book.ledger, report, grouping)
        several = grouped["currency"].nunique() > 1
        rows = [[grouping, *(["currency"] if several else []), "customers", *money]]
        for record in grouped.to_dict("records"):
            currency = str(record["currency"])
            rows.append([record[grouping], *([currency] if several else []), int(record["customers"]),
                         *(to_major_float(record[column], currency) for column in money)])
        return rows
    summary = report.summary.sort_values(["customer_id", "currency"], kind="stable")
    several = summary["currency"].nunique() > 1
    header = ["customer_id", "name", *(["currency"] if several else []), *money]
    rows = [header]
    for record in summary.to_dict("records"):
        currency = str(record["currency"])
        rows.append([record["customer_id"], record["name"], *([currency] if several else []),
                     *(to_major_float(record[column], currency) for column in money)])
    return rows


OPEN_ITEM_COLUMNS = ("document_id", "instalment", "kind", "document_date", "due_date", "days_past_due", "bucket",
                     "currency", "original", "open_amount", "status", "reference")


@xw.func(category=CATEGORY)
@xw.arg("customer", doc=DOC_CUSTOMER)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("basis", doc=DOC_BASIS)
@xw.arg("buckets", doc=DOC_BUCKETS)
@_later_tables
@_guarded
def AR_OPEN_ITEMS(customer, invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                  settings=None, as_of=None, basis=None, buckets=None, instalments=None, fx_rates=None,
                  activity=None):
    """A customer's open items at the as-of date (dynamic array): document, instalment (2/3 for the second of
    an invoice's three instalments, each a row of its own), dates, days past due, bucket, amounts (in the
    document's currency)."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, instalments, fx_rates,
                 activity)
    customer_id = _customer(customer)
    if customer_id not in book.customer_ids():
        raise UdfError(f'customer "{customer_id}" is not in the Customers table')
    detail = book.aging(_as_of(book, as_of), _basis(basis), _buckets(buckets)).detail
    items = detail[detail["customer_id"] == customer_id]
    rows: list[list[Any]] = [list(OPEN_ITEM_COLUMNS)]
    for record in items.to_dict("records"):
        currency = str(record["currency"])
        rows.append([record["document_id"], record["instalment"], record["kind"],
                     _datetime(record["document_date"]), _datetime(record["due_date"]),
                     int(record["days_past_due"]), record["bucket"], currency,
                     to_major_float(record["original"], currency), to_major_float(record["open_amount"], currency),
                     record["status"], record["reference"]])
    return rows


STATEMENT_COLUMNS = ("currency", "date", "document_id", "kind", "description", "debit", "credit", "balance")


@xw.func(category=CATEGORY)
@xw.arg("customer", doc="A customer_id")
@xw.arg("from_date", doc="First day of the statement period")
@xw.arg("to_date", doc="Last day of the statement period")
@_data_arguments
@_later_tables
@_guarded
def AR_STATEMENT(customer, from_date, to_date, invoices=None, payments=None, customers=None, applications=None,
                 adjustments=None, settings=None, instalments=None, fx_rates=None, activity=None):
    """A customer's activity statement (dynamic array): opening balance, every document of the period with a
    running balance, closing balance (equal to the aging total at the last day)."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, instalments, fx_rates,
                 activity)
    customer_id = _customer(customer)
    if customer_id not in book.customer_ids():
        raise UdfError(f'customer "{customer_id}" is not in the Customers table')
    start, end = _date(from_date, "from_date"), _date(to_date, "to_date")
    if start is None or end is None:
        raise UdfError("from_date and to_date are required")
    statement = statement_module.activity_statement(book.ledger, customer_id, start, end)
    rows: list[list[Any]] = [list(STATEMENT_COLUMNS)]
    for currency, opening in statement.opening_balance.items():
        rows.append([currency, _datetime(start), None, "opening balance", None, None, None,
                     to_major_float(opening, currency)])
        lines = statement.lines[statement.lines["currency"] == currency]
        for record in lines.to_dict("records"):
            rows.append([currency, _datetime(record["date"]), record["document_id"], record["kind"],
                         record["description"], to_major_float(record["debit"], currency),
                         to_major_float(record["credit"], currency),
                         to_major_float(record["running_balance"], currency)])
        rows.append([currency, _datetime(end), None, "closing balance", None, None, None,
                     to_major_float(statement.closing_balance[currency], currency)])
    return rows


FORECAST_COLUMNS = ("line", "week_start", "week_end", "currency", "amount", "items")


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("weeks", doc="Optional number of weeks to show (default 13)")
@_later_tables
@_guarded
def AR_FORECAST(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                settings=None, as_of=None, weeks=None, instalments=None, fx_rates=None, activity=None):
    """Expected receipts per week (dynamic array): each open receivable at its due date plus its customer's
    average days late; then Later, and what is set apart (Disputed, Over 90, Unapplied). The lines add up to
    the open AR."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, instalments, fx_rates,
                 activity)
    count = _whole(weeks, "weeks", 13)
    if count is None or not 1 <= count <= 520:
        raise UdfError(f"weeks must be between 1 and 520, not {count}")
    lines = book.forecast(_as_of(book, as_of), count).lines
    rows: list[list[Any]] = [list(FORECAST_COLUMNS)]
    for record in lines.to_dict("records"):
        currency = str(record["currency"])
        rows.append([record["line"], _datetime(record["week_start"]), _datetime(record["week_end"]), currency,
                     to_major_float(record["amount"], currency), int(record["items"])])
    return rows


# --- credit risk ------------------------------------------------------------------------------------------------

ALLOWANCE_COLUMNS = ("bucket", "currency", "exposure", "rate", "expected_loss")


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("method", doc='Optional: "settings" (Settings allowance_rates, the default) or "history" (from the '
                      "write-off history)")
@_later_tables
@_guarded
def AR_ALLOWANCE(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                 settings=None, as_of=None, method=None, instalments=None, fx_rates=None, activity=None):
    """The allowance for doubtful accounts (dynamic array): the provision matrix, one row per aging bucket and
    currency (exposure, loss rate, expected loss), then an Allowance row per currency with the totals - the
    figures of the Allowance sheet and arxl report allowance."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, instalments, fx_rates,
                 activity)
    chosen = "settings" if method is None or (isinstance(method, str) and not method.strip()) else \
        str(method).strip().lower()
    if chosen not in ("settings", "history"):
        raise UdfError(f'method: "{method}" is not one of settings, history')
    allowance = book.allowance(_as_of(book, as_of), chosen)
    rows: list[list[Any]] = [list(ALLOWANCE_COLUMNS)]
    matrix = allowance.matrix
    for record in matrix.to_dict("records"):
        currency = str(record["currency"])
        rows.append([record["bucket"], currency, to_major_float(record["exposure"], currency),
                     float(record["rate"]), to_major_float(record["expected_loss"], currency)])
    for currency in sorted(set(matrix["currency"])):
        mine = matrix[matrix["currency"] == currency]
        rows.append(["Allowance", currency, to_major_float(int(mine["exposure"].sum()), currency), None,
                     to_major_float(allowance.total(currency), currency)])
    return rows


@xw.func(category=CATEGORY)
@xw.arg("customer", doc="A customer_id")
@xw.arg("order", doc="The order amount, in the customer's currency")
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@_later_tables
@_guarded
def AR_CREDIT_CHECK(customer, order, invoices=None, payments=None, customers=None, applications=None,
                    adjustments=None, settings=None, as_of=None, instalments=None, fx_rates=None, activity=None):
    """Can we ship this order? (dynamic array) A header row, then the decision (approve, refer or refuse, with
    the largest order approved today) and the four findings behind it: limit, hold, overdue share, risk grade.
    =INDEX(AR_CREDIT_CHECK("C0001", 5000), 2, 2) is the verdict alone - the same as arxl report credit."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, instalments, fx_rates,
                 activity)
    customer_id = _customer(customer)
    if customer_id not in book.customer_ids():
        raise UdfError(f'customer "{customer_id}" is not in the Customers table')
    customers_table = book.ledger.customers
    currency = str(customers_table.loc[customers_table["customer_id"] == customer_id, "currency"].iloc[0])
    amount = to_minor(_number(order, "order"), currency)
    if amount <= 0:
        raise UdfError("order must be a positive amount")
    decision = book.credit_check(_as_of(book, as_of), customer_id, amount)
    up_to = ("any amount (no credit limit)" if decision.approve_up_to is None else
             f"{to_major_float(decision.approve_up_to, currency):,.{exponent(currency)}f} {currency}")
    rows: list[list[Any]] = [["finding", "verdict", "why"],
                             ["decision", decision.verdict, f"orders up to {up_to} are approved"]]
    rows += [[finding.topic, finding.verdict, finding.text] for finding in decision.findings]
    return rows


# --- per-cell helpers -----------------------------------------------------------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("due_date", ndim=2, doc="A due date (or a range of them)")
@xw.arg("as_of", doc="Optional as-of date; blank = today")
@_guarded
def AR_DAYS_PAST_DUE(due_date, as_of=None):
    """Days past due at the as-of date: as_of - due_date (negative when not yet due)."""
    date = _date(as_of, "as_of") or dt.date.today()

    def one(cell: Any) -> int:
        due = _date(cell, "due_date")
        if due is None:
            raise UdfError("due_date is required")
        return (date - due).days

    return _each(due_date, one)


@xw.func(category=CATEGORY)
@xw.arg("days", ndim=2, doc="Days past due (or a range of them)")
@xw.arg("buckets", doc='Optional bucket edges such as "30,60,90" (the default)')
@_guarded
def AR_BUCKET(days, buckets=None):
    """The aging bucket of a number of days past due: Current, 1-30, 31-60, 61-90, Over 90 for 30,60,90."""
    edges = _buckets(buckets) or DEFAULT_EDGES
    labels = bucket_labels(edges)

    def one(cell: Any) -> str:
        number = _number(cell, "days")
        return labels[int(bucket_index(np.array([math.floor(number)]), edges)[0])]

    return _each(days, one)


@xw.func(category=CATEGORY)
@xw.arg("discount", doc="The early-payment discount, e.g. 2% (or 0.02)")
@xw.arg("discount_days", doc="Days within which the discount applies, e.g. 10")
@xw.arg("net_days", doc="Days until the net amount is due, e.g. 30")
@xw.arg("effective", doc="Optional: TRUE for the compounded (effective) rate; default simple")
@_guarded
def AR_DISCOUNT_APR(discount, discount_days, net_days, effective=False):
    """Annualised cost of forgoing an early-payment discount: 2/10 net 30 = 37.24% simple, 44.59% effective."""
    return discount_apr(_number(discount, "discount"), _number(discount_days, "discount_days"),
                        _number(net_days, "net_days"), effective=_flag(effective, "effective"))


@xw.func(category=CATEGORY)
@xw.arg("balance", doc="The amount to spread, e.g. 10000")
@xw.arg("annual_rate", doc="Annual interest rate, e.g. 12% (or 0.12)")
@xw.arg("n", doc="Number of monthly instalments")
@xw.arg("start", doc="Optional date of the first instalment (adds a date column)")
@xw.arg("currency", doc=DOC_TYPED_CURRENCY)
@_guarded
def AR_PAYMENT_PLAN(balance, annual_rate, n, start=None, currency=None):
    """A monthly instalment plan (dynamic array): Payment, Interest, Principal, Balance per instalment, rounded
    to the currency's minor unit (cents when no currency is given, whole yen for JPY, fils for KWD); the
    principal adds up to the balance exactly and the last balance is 0."""
    count = _whole(n, "n")
    if count is None:
        raise UdfError("n (the number of instalments) is required")
    if count > 1200:
        raise UdfError(f"n: {count} instalments is more than 100 years of monthly payments")
    first = _date(start, "start")
    code = _currency(currency)
    plan = payment_plan(_number(balance, "balance"), _number(annual_rate, "annual_rate"), count, first, code)
    columns = {column: ([_datetime(value) for value in plan[column]] if column == "due_date"
                        else to_major_floats(plan[column], code).tolist()) for column in plan.columns}
    header = ["Date" if column == "due_date" else column for column in plan.columns]
    return [header, *(list(row) for row in zip(*columns.values(), strict=True))]


@xw.func(category=CATEGORY)
@xw.arg("balance", doc="The overdue balance")
@xw.arg("days_overdue", doc="Days past due")
@xw.arg("monthly_rate", doc="Finance charge per month, e.g. 1.5% (or 0.015)")
@xw.arg("grace_days", doc="Optional days past due before any charge (default 0)")
@xw.arg("minimum", doc="Optional smallest charge worth raising (default 0)")
@xw.arg("currency", doc=DOC_TYPED_CURRENCY)
@_guarded
def AR_FINANCE_CHARGE(balance, days_overdue, monthly_rate, grace_days=0, minimum=0, currency=None):
    """Finance charge on an overdue balance: balance x monthly rate x 12 x (days overdue - grace days) / 365,
    rounded half away from zero to the currency's minor unit (cents when no currency is given); nothing within
    the grace period or below the minimum worth raising."""
    code = _currency(currency)
    charge = finance_charge(_number(balance, "balance"), _whole(days_overdue, "days_overdue", 0) or 0,
                            _number(monthly_rate, "monthly_rate"), _whole(grace_days, "grace_days", 0) or 0,
                            _number(minimum, "minimum", 0.0), code)
    return to_major_float(charge, code)


def _excel_options() -> None:
    """What every worksheet function asks of xlwings beyond its decorators, set in one place: error values as
    their texts on every argument (else xlwings hands over an error cell as None, a blank), and no calls while
    the function wizard is open for the functions that take tables (it calls them on every keystroke). Where
    xlwings runs UDFs (Windows) and when the add-in is built, the decorators record their options in
    ``__xlfunc__``; elsewhere they record nothing and there is nothing to set."""
    for function in list(globals().values()):
        info = getattr(function, "__xlfunc__", None)
        if not isinstance(info, dict):
            continue
        for argument in info["args"]:
            if argument["name"] not in TABLE_ARGUMENTS:
                argument["options"].setdefault("err_to_str", True)
        if any(argument["name"] in TABLE_ARGUMENTS for argument in info["args"]):
            info["call_in_wizard"] = False


_excel_options()


__all__ = [
    "AR_ADD", "AR_AGING", "AR_ALLOWANCE", "AR_BALANCE", "AR_BPDSO", "AR_BUCKET", "AR_CEI", "AR_CREDIT_CHECK",
    "AR_DAYS_PAST_DUE", "AR_DISCOUNT_APR", "AR_DSO", "AR_DSO_COUNTBACK", "AR_FINANCE_CHARGE", "AR_FORECAST",
    "AR_OPEN_ITEMS", "AR_PAYMENT_PLAN", "AR_STATEMENT", "AR_TURNOVER", "CACHE",
]
