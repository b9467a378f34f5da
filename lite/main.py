"""arxl in xlwings Lite: paste this file into xlwings Lite's main.py, and lite/requirements.txt into its
requirements.txt (the README's "arxl in xlwings Lite" section walks through it).

xlwings Lite runs Python in Pyodide inside an Office add-in (Windows, macOS, Excel on the web): no VBA, no
trust settings, no ``.xlsm``, nothing to install on the machine. This module is the third Excel face of arxl,
beside the classic worksheet functions (``udfs/arxl_udfs.py``) and ribbon (``macros/arxl_macros.py``), and it
calls exactly those: each function here converts what Lite hands over and calls the classic function of the
same name, each script calls the ribbon button's entry point; the figures and the messages are therefore the
command line's.

Functions (``@func``): the sixteen AR_* functions with the classic arguments and docs. What differs in Lite:

- Tables must be passed (``=AR_DSO(Invoices[#All], Payments[#All], Customers[#All])``): a Lite function cannot
  read the workbook, so there is no no-argument form. Excel's dependency tracking recalculates them when the
  tables change.
- Lite hands dates over as serial numbers: in a table they become dates in the contract's date columns (and
  the date Settings), as the classic functions read Excel's raw values (``arxl.verbs.functions.ExcelValues``);
  scalar dates (``as_of``, ``from_date``) are read as serial numbers by the classic conversion. A bad cell is
  named by its row counted from the table's header row (row 1): a Lite function does not know where the range
  sits on the sheet.
- Error cells arrive as their texts (``err_to_str``) and are reported as such, never read as blanks.

Scripts (``@script``, buttons in Lite's task pane): ``arxl_refresh``, ``arxl_statements``, ``arxl_check``,
``arxl_apply_cash`` and ``arxl_accept_cash``, the ribbon's buttons of the same names, writing the generated
sheets through Lite's ``Book`` with the same verb as ``arxl refresh``. Lite has no status bar: progress is not
shown, the outcome comes as a message box and in Lite's output pane. Import is not offered (a Lite script has
no access to the computer's files). Writes happen when the script returns; save the workbook as usual.

Nothing here imports ``arxl.workbook``, fastexcel, python-calamine or openpyxl (none of which Pyodide has);
``tests/test_layers.py`` checks it, and ``tests/test_lite.py`` calls these functions the way Lite does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import arxl_macros as ribbon
import arxl_udfs as classic
import xlwings as xw
from xlwings import arg, func, script

from arxl.verbs.functions import ExcelValues

TABLES = ("invoices", "payments", "customers", "applications", "adjustments", "settings")
NEEDS_TABLES = ('#ARXL: in xlwings Lite pass the tables, e.g. =AR_DSO(Invoices[#All], Payments[#All], '
                'Customers[#All]): a Lite function cannot read the workbook by itself')


def _values(name: str, value: Any) -> ExcelValues | None:
    """A table argument as Lite hands it over (rows, header first, dates as serial numbers)."""
    if value is None:
        return None
    rows = value if isinstance(value, list | tuple) and value and isinstance(value[0], list | tuple) else [value]
    return ExcelValues(classic.TABLE_ARGUMENTS[name], [list(row) for row in rows])


def _tables(**given: Any) -> dict[str, ExcelValues | None] | None:
    """The six table arguments as ``ExcelValues``, or None when no table was given (see NEEDS_TABLES)."""
    tables = {name: _values(name, given.get(name)) for name in TABLES}
    return tables if any(table is not None for table in tables.values()) else None


def _table_arguments(function: Any) -> Any:
    """The six table arguments: 2-D, error cells as their texts, with the classic docs."""
    for name, doc in (("invoices", classic.DOC_INVOICES), ("payments", classic.DOC_PAYMENTS),
                      ("customers", classic.DOC_CUSTOMERS), ("applications", classic.DOC_APPLICATIONS),
                      ("adjustments", classic.DOC_ADJUSTMENTS), ("settings", classic.DOC_SETTINGS)):
        function = arg(name, ndim=2, err_to_str=True, doc=doc)(function)
    return function


def _option(name: str, doc: str) -> Any:
    return arg(name, err_to_str=True, doc=doc)


# --- metrics --------------------------------------------------------------------------------------------------

@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
def AR_DSO(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None):
    """Days sales outstanding (average method): ending AR / credit sales of the period x period days."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_DSO(**tables, as_of=as_of, period_days=period_days)


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
def AR_DSO_COUNTBACK(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                     settings=None, as_of=None):
    """Days sales outstanding (countback method): calendar months of credit sales, latest first, that the
    ending AR consumes."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_DSO_COUNTBACK(**tables, as_of=as_of)


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
def AR_BPDSO(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
             as_of=None, period_days=None):
    """Best possible DSO: current (not yet due) AR / credit sales of the period x period days."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_BPDSO(**tables, as_of=as_of, period_days=period_days)


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
def AR_ADD(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None):
    """Average days delinquent: DSO - best possible DSO."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_ADD(**tables, as_of=as_of, period_days=period_days)


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
def AR_CEI(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None):
    """Collection effectiveness index (percent): (beginning AR + credit sales - ending AR) / (beginning AR +
    credit sales - ending current AR) x 100."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_CEI(**tables, as_of=as_of, period_days=period_days)


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
def AR_TURNOVER(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                settings=None, as_of=None, period_days=None):
    """AR turnover for the period: credit sales / average of beginning and ending AR."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_TURNOVER(**tables, as_of=as_of,
                                                                   period_days=period_days)


# --- balances, aging, statements, forecast -------------------------------------------------------------------

@func
@arg("customer", ndim=2, err_to_str=True, doc=classic.DOC_CUSTOMER)
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
def AR_BALANCE(customer, invoices=None, payments=None, customers=None, applications=None, adjustments=None,
               settings=None, as_of=None):
    """A customer's balance at the as-of date (open items, unapplied cash netted); a range of customer ids
    gives a column of balances."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_BALANCE(customer, **tables, as_of=as_of)


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("basis", classic.DOC_BASIS)
@_option("buckets", classic.DOC_BUCKETS)
def AR_AGING(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
             as_of=None, basis=None, buckets=None):
    """The aging by customer (dynamic array): customer_id, name, the buckets, Unapplied, Total, as
    arxl report aging prints it (a currency column after name when amounts cannot be converted)."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_AGING(**tables, as_of=as_of, basis=basis,
                                                                buckets=buckets)


@func
@_option("customer", classic.DOC_CUSTOMER)
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("basis", classic.DOC_BASIS)
@_option("buckets", classic.DOC_BUCKETS)
def AR_OPEN_ITEMS(customer, invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                  settings=None, as_of=None, basis=None, buckets=None):
    """A customer's open items at the as-of date (dynamic array): document, dates, days past due, bucket,
    amounts (in the document's currency)."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_OPEN_ITEMS(customer, **tables, as_of=as_of, basis=basis,
                                                                     buckets=buckets)


@func
@_option("customer", "A customer_id")
@_option("from_date", "First day of the statement period")
@_option("to_date", "Last day of the statement period")
@_table_arguments
def AR_STATEMENT(customer, from_date, to_date, invoices=None, payments=None, customers=None, applications=None,
                 adjustments=None, settings=None):
    """A customer's activity statement (dynamic array): opening balance, every document of the period with a
    running balance, closing balance (equal to the aging total at the last day)."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_STATEMENT(customer, from_date, to_date, **tables)


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("weeks", "Optional number of weeks to show (default 13)")
def AR_FORECAST(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                settings=None, as_of=None, weeks=None):
    """Expected receipts per week (dynamic array): each open receivable at its due date plus its customer's
    average days late; then Later, and what is set apart (Disputed, Over 90, Unapplied). The lines add up to
    the open AR."""
    tables = _tables(invoices=invoices, payments=payments, customers=customers, applications=applications,
                     adjustments=adjustments, settings=settings)
    return NEEDS_TABLES if tables is None else classic.AR_FORECAST(**tables, as_of=as_of, weeks=weeks)


# --- per-cell helpers -----------------------------------------------------------------------------------------

@func
@arg("due_date", ndim=2, err_to_str=True, doc="A due date (or a range of them)")
@_option("as_of", "Optional as-of date; blank = today")
def AR_DAYS_PAST_DUE(due_date, as_of=None):
    """Days past due at the as-of date: as_of - due_date (negative when not yet due)."""
    return classic.AR_DAYS_PAST_DUE(due_date, as_of)


@func
@arg("days", ndim=2, err_to_str=True, doc="Days past due (or a range of them)")
@_option("buckets", 'Optional bucket edges such as "30,60,90" (the default)')
def AR_BUCKET(days, buckets=None):
    """The aging bucket of a number of days past due: Current, 1-30, 31-60, 61-90, Over 90 for 30,60,90."""
    return classic.AR_BUCKET(days, buckets)


@func
@_option("discount", "The early-payment discount, e.g. 2% (or 0.02)")
@_option("discount_days", "Days within which the discount applies, e.g. 10")
@_option("net_days", "Days until the net amount is due, e.g. 30")
@_option("effective", "Optional: TRUE for the compounded (effective) rate; default simple")
def AR_DISCOUNT_APR(discount, discount_days, net_days, effective=False):
    """Annualised cost of forgoing an early-payment discount: 2/10 net 30 = 37.24% simple, 44.59% effective."""
    return classic.AR_DISCOUNT_APR(discount, discount_days, net_days, effective)


@func
@_option("balance", "The amount to spread, e.g. 10000")
@_option("annual_rate", "Annual interest rate, e.g. 12% (or 0.12)")
@_option("n", "Number of monthly instalments")
@_option("start", "Optional date of the first instalment (adds a date column)")
@_option("currency", classic.DOC_TYPED_CURRENCY)
def AR_PAYMENT_PLAN(balance, annual_rate, n, start=None, currency=None):
    """A monthly instalment plan (dynamic array): Payment, Interest, Principal, Balance per instalment, rounded
    to the currency's minor unit; the principal adds up to the balance exactly and the last balance is 0."""
    return classic.AR_PAYMENT_PLAN(balance, annual_rate, n, start, currency)


@func
@_option("balance", "The overdue balance")
@_option("days_overdue", "Days past due")
@_option("monthly_rate", "Finance charge per month, e.g. 1.5% (or 0.015)")
@_option("grace_days", "Optional days past due before any charge (default 0)")
@_option("minimum", "Optional smallest charge worth raising (default 0)")
@_option("currency", classic.DOC_TYPED_CURRENCY)
def AR_FINANCE_CHARGE(balance, days_overdue, monthly_rate, grace_days=0, minimum=0, currency=None):
    """Finance charge on an overdue balance: balance x monthly rate x 12 x (days overdue - grace days) / 365,
    rounded half away from zero to the currency's minor unit; nothing within the grace period or below the
    minimum worth raising."""
    return classic.AR_FINANCE_CHARGE(balance, days_overdue, monthly_rate, grace_days, minimum, currency)


# --- scripts: the ribbon's buttons ----------------------------------------------------------------------------

def _today() -> dt.date:
    """The face decides what today is (the as-of date when Settings gives none)."""
    return dt.date.today()


def _said(message: str | None) -> str | None:
    if message:
        print(message)  # Lite's output pane keeps it after the message box is closed
    return message


@script
def arxl_refresh(book: xw.Book):
    """Validate the input tables and rebuild Dashboard, Aging, Aging Detail, statements, Checks, Collections
    and Forecast (as arxl refresh)."""
    return _said(ribbon.refresh(book, today=_today()))


@script
def arxl_statements(book: xw.Book):
    """Rebuild the customer statement sheets (ST ...) only."""
    return _said(ribbon.statements(book, today=_today()))


@script
def arxl_check(book: xw.Book):
    """Validate the input tables and list every problem; changes nothing."""
    return _said(ribbon.check(book))


@script
def arxl_apply_cash(book: xw.Book):
    """Propose where payments that name no invoice go, on the Cash application sheet."""
    return _said(ribbon.apply_cash(book, today=_today()))


@script
def arxl_accept_cash(book: xw.Book):
    """Append the rows marked yes on the Cash application sheet to the Applications table."""
    return _said(ribbon.accept_cash(book, today=_today()))
