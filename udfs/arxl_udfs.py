"""arxl's Excel worksheet functions (xlwings UDFs): ``=AR_DSO(Invoices[#All], Payments[#All], Customers[#All])``.

Register the module with the xlwings add-in (``UDF_MODULES = arxl_udfs``, then Import Functions; Windows only,
as for every xlwings UDF). Each function converts Excel's arguments, asks the library, and converts the result;
all the accounting is in ``arxl``.

Arguments. Data arguments are the workbook's tables passed as whole ranges with their header row
(``Invoices[#All]``), in the order ``invoices, payments, customers, applications, adjustments, settings``; that
way Excel's dependency tracking recalculates a cell when the data change. They arrive as lists of rows (what
xlwings passes by default: dates as datetime, numbers as float, blanks as None) and go through arxl's own
loader, so a bad cell comes back located: ``#ARXL: Invoices row 12, due_date: "x" is not a date`` (rows are
counted from the range's header row as row 1, which is the sheet row when the table starts in row 1). With no
data argument at all, a function reads the calling workbook's own Excel Tables; Excel then does not know the
cell depends on them, so recalculate with Ctrl+Alt+F9 after changing the data. Scalar options: ``as_of``
(blank: the Settings as-of date, else today; pass ``TODAY()`` to have Excel recalculate daily),
``period_days`` (DSO period), ``basis`` (``due`` or ``invoice``) and ``buckets`` (``"30,60,90"`` or a range
of numbers). The optional seventh table, ``activity`` (``Activity[#All]``), comes last in every signature (after
the options, so formulas written before it existed keep their meaning): disputes and promises recorded there
count, as on the generated sheets (auto-apply settles disputed invoices last).

Results. Money is in major units of the reporting currency when every currency converts (an FXRates table
covers them), otherwise in the document's currency. Tables (``AR_AGING``, ``AR_OPEN_ITEMS``,
``AR_STATEMENT``, ``AR_FORECAST``, ``AR_PAYMENT_PLAN``) are dynamic arrays: a header row, then the rows. A
problem is returned as text starting with ``#ARXL:``; no function raises or shows a traceback.

Speed. Loaded ledgers are cached by the content of the data arguments (``arxl.verbs.functions.LedgerCache``), with
their settlements and reports memoised per as-of date and options: a thousand ``AR_BALANCE`` cells over one
book load and settle it once (``benchmarks/bench_udf_cache.py`` measures it). Excel still hands Python a copy of
every range on every call, so with very large tables prefer one ``AR_AGING`` spill with ``XLOOKUP`` over it,
or pass a whole column of customer ids to one ``AR_BALANCE``.

The parameters carry no type annotations on purpose: xlwings reads annotations as converters.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from arxl import statements as statement_module
from arxl.aging import DEFAULT_EDGES, TOTAL, UNAPPLIED, bucket_index, bucket_labels, parse_edges
from arxl.errors import ArxlError
from arxl.load import RawTable
from arxl.money import ISO_CURRENCIES, exponent, to_major_float, to_major_floats, to_minor
from arxl.verbs.books import live_book
from arxl.verbs.functions import (
    TYPED_AMOUNT_CURRENCY,
    CachedBook,
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
                   "activity": "Activity"}
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
    """The argument docs of the seven table arguments, shared by every function that takes them (``activity``
    comes last in each signature, so that formulas written before it existed keep their meaning)."""
    for name, doc in (("invoices", DOC_INVOICES), ("payments", DOC_PAYMENTS), ("customers", DOC_CUSTOMERS),
                      ("applications", DOC_APPLICATIONS), ("adjustments", DOC_ADJUSTMENTS),
                      ("settings", DOC_SETTINGS), ("activity", DOC_ACTIVITY)):
        function = xw.arg(name, ndim=2, err_to_str=True, doc=doc)(function)  # "#N/A", not an empty cell
    return function


# --- argument conversion --------------------------------------------------------------------------------------

def _rows(value: Any, name: str) -> list[list[Any]] | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        if not value:
            return None
        if isinstance(value[0], list | tuple):
            return [list(row) for row in value] if not isinstance(value, list) else value
        return [list(value)]  # one row: a header without data
    raise UdfError(f"{name} must be the whole table with its header row, e.g. {TABLE_ARGUMENTS[name]}[#All], "
                   f"not a single value ({value!r})")


def _book(invoices: Any, payments: Any, customers: Any, applications: Any, adjustments: Any,
          settings: Any, activity: Any = None) -> CachedBook:
    given = {TABLE_ARGUMENTS[name]: rows for name, value in (
        ("invoices", invoices), ("payments", payments), ("customers", customers),
        ("applications", applications), ("adjustments", adjustments), ("settings", settings),
        ("activity", activity))
        if (rows := _rows(value, name)) is not None}
    date1904 = False
    tables: dict[str, RawTable | list[list[Any]]] = dict(given)
    if not given:
        raw, date1904 = _caller_tables()
        tables = dict(raw)
    book = CACHE.get(tables, date1904=date1904)
    if not book.load.ok:
        raise UdfError(problem_text(book.load.problems))
    return book


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
    if isinstance(value, bool):
        raise UdfError(f'{name}: "{value}" is not a number')
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
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UdfError("customer is required (a customer_id such as C0001)")
    return str(value).strip()


def _basis(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    basis = str(value).strip().lower()
    if basis not in ("due", "invoice"):
        raise UdfError(f'basis: "{value}" is not one of due, invoice')
    return basis


def _buckets(value: Any) -> tuple[int, ...] | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_edges(value if isinstance(value, str | list | tuple) else [value])
    except ValueError as exc:
        raise UdfError(f"buckets: {exc}") from None


def _currency(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return TYPED_AMOUNT_CURRENCY
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
            adjustments: Any, settings: Any, as_of: Any, period_days: Any, activity: Any = None) -> float:
    book = _book(invoices, payments, customers, applications, adjustments, settings, activity)
    period = _whole(period_days, "period_days")
    if period is not None and period <= 0:
        raise UdfError(f"period_days must be a positive number of days, not {period}")
    metrics = book.metrics(_as_of(book, as_of), period)
    return _ratio(getattr(metrics, name), what)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_guarded
def AR_DSO(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None, activity=None):
    """Days sales outstanding (average method): ending AR / credit sales of the period x period days."""
    return _metric("dso", "DSO", invoices, payments, customers, applications, adjustments, settings, as_of,
                   period_days, activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@_guarded
def AR_DSO_COUNTBACK(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                     settings=None, as_of=None, activity=None):
    """Days sales outstanding (countback method): calendar months of credit sales, latest first, that the
    ending AR consumes."""
    return _metric("dso_countback", "Countback DSO (the sales history runs out before the AR)", invoices,
                   payments, customers, applications, adjustments, settings, as_of, None, activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_guarded
def AR_BPDSO(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
             as_of=None, period_days=None, activity=None):
    """Best possible DSO: current (not yet due) AR / credit sales of the period x period days."""
    return _metric("bpdso", "Best possible DSO", invoices, payments, customers, applications, adjustments,
                   settings, as_of, period_days, activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_guarded
def AR_ADD(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None, activity=None):
    """Average days delinquent: DSO - best possible DSO."""
    return _metric("add", "ADD", invoices, payments, customers, applications, adjustments, settings, as_of,
                   period_days, activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_guarded
def AR_CEI(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None, activity=None):
    """Collection effectiveness index (percent): (beginning AR + credit sales - ending AR) / (beginning AR +
    credit sales - ending current AR) x 100."""
    return _metric("cei", "CEI", invoices, payments, customers, applications, adjustments, settings, as_of,
                   period_days, activity)


@xw.func(category=CATEGORY)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("period_days", doc=DOC_PERIOD)
@_guarded
def AR_TURNOVER(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                settings=None, as_of=None, period_days=None, activity=None):
    """AR turnover for the period: credit sales / average of beginning and ending AR."""
    return _metric("turnover", "AR turnover", invoices, payments, customers, applications, adjustments,
                   settings, as_of, period_days, activity)


# --- balances and aging ---------------------------------------------------------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("customer", ndim=2, doc=DOC_CUSTOMER)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@_guarded
def AR_BALANCE(customer, invoices=None, payments=None, customers=None, applications=None, adjustments=None,
               settings=None, as_of=None, activity=None):
    """A customer's balance at the as-of date (open items, unapplied cash netted); a range of customer ids
    gives a column of balances."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, activity)
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
@_guarded
def AR_AGING(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
             as_of=None, basis=None, buckets=None, activity=None):
    """The aging by customer (dynamic array): customer_id, name, the buckets, Unapplied, Total, as
    arxl report aging prints it (a currency column after name when amounts cannot be converted)."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, activity)
    report = book.aging(_as_of(book, as_of), _basis(basis), _buckets(buckets))
    summary = report.summary.sort_values(["customer_id", "currency"], kind="stable")
    money = [*report.labels, UNAPPLIED, TOTAL]
    several = summary["currency"].nunique() > 1
    header = ["customer_id", "name", *(["currency"] if several else []), *money]
    rows = [header]
    for record in summary.to_dict("records"):
        currency = str(record["currency"])
        rows.append([record["customer_id"], record["name"], *([currency] if several else []),
                     *(to_major_float(record[column], currency) for column in money)])
    return rows


OPEN_ITEM_COLUMNS = ("document_id", "kind", "document_date", "due_date", "days_past_due", "bucket", "currency",
                     "original", "open_amount", "status", "reference")


@xw.func(category=CATEGORY)
@xw.arg("customer", doc=DOC_CUSTOMER)
@_data_arguments
@xw.arg("as_of", doc=DOC_AS_OF)
@xw.arg("basis", doc=DOC_BASIS)
@xw.arg("buckets", doc=DOC_BUCKETS)
@_guarded
def AR_OPEN_ITEMS(customer, invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                  settings=None, as_of=None, basis=None, buckets=None, activity=None):
    """A customer's open items at the as-of date (dynamic array): document, dates, days past due, bucket,
    amounts (in the document's currency)."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, activity)
    customer_id = _customer(customer)
    if customer_id not in book.customer_ids():
        raise UdfError(f'customer "{customer_id}" is not in the Customers table')
    detail = book.aging(_as_of(book, as_of), _basis(basis), _buckets(buckets)).detail
    items = detail[detail["customer_id"] == customer_id]
    rows: list[list[Any]] = [list(OPEN_ITEM_COLUMNS)]
    for record in items.to_dict("records"):
        currency = str(record["currency"])
        rows.append([record["document_id"], record["kind"], _datetime(record["document_date"]),
                     _datetime(record["due_date"]), int(record["days_past_due"]), record["bucket"], currency,
                     to_major_float(record["original"], currency), to_major_float(record["open_amount"], currency),
                     record["status"], record["reference"]])
    return rows


STATEMENT_COLUMNS = ("currency", "date", "document_id", "kind", "description", "debit", "credit", "balance")


@xw.func(category=CATEGORY)
@xw.arg("customer", doc="A customer_id")
@xw.arg("from_date", doc="First day of the statement period")
@xw.arg("to_date", doc="Last day of the statement period")
@_data_arguments
@_guarded
def AR_STATEMENT(customer, from_date, to_date, invoices=None, payments=None, customers=None, applications=None,
                 adjustments=None, settings=None, activity=None):
    """A customer's activity statement (dynamic array): opening balance, every document of the period with a
    running balance, closing balance (equal to the aging total at the last day)."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, activity)
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
@_guarded
def AR_FORECAST(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                settings=None, as_of=None, weeks=None, activity=None):
    """Expected receipts per week (dynamic array): each open receivable at its due date plus its customer's
    average days late; then Later, and what is set apart (Disputed, Over 90, Unapplied). The lines add up to
    the open AR."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, activity)
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
@_guarded
def AR_ALLOWANCE(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                 settings=None, as_of=None, method=None, activity=None):
    """The allowance for doubtful accounts (dynamic array): the provision matrix, one row per aging bucket and
    currency (exposure, loss rate, expected loss), then an Allowance row per currency with the totals - the
    figures of the Allowance sheet and arxl report allowance."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, activity)
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
@_guarded
def AR_CREDIT_CHECK(customer, order, invoices=None, payments=None, customers=None, applications=None,
                    adjustments=None, settings=None, as_of=None, activity=None):
    """Can we ship this order? (dynamic array) A header row, then the decision (approve, refer or refuse, with
    the largest order approved today) and the four findings behind it: limit, hold, overdue share, risk grade.
    =INDEX(AR_CREDIT_CHECK("C0001", 5000), 2, 2) is the verdict alone - the same as arxl report credit."""
    book = _book(invoices, payments, customers, applications, adjustments, settings, activity)
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
                        _number(net_days, "net_days"), effective=bool(effective))


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


__all__ = [
    "AR_ADD", "AR_AGING", "AR_ALLOWANCE", "AR_BALANCE", "AR_BPDSO", "AR_BUCKET", "AR_CEI", "AR_CREDIT_CHECK",
    "AR_DAYS_PAST_DUE", "AR_DISCOUNT_APR", "AR_DSO", "AR_DSO_COUNTBACK", "AR_FINANCE_CHARGE", "AR_FORECAST",
    "AR_OPEN_ITEMS", "AR_PAYMENT_PLAN", "AR_STATEMENT", "AR_TURNOVER", "CACHE",
]
