"""arxl in xlwings Lite: paste this file into xlwings Lite's main.py, and lite/requirements.txt into its
requirements.txt (the README's "arxl in xlwings Lite" section walks through it).

xlwings Lite runs Python in Pyodide inside an Office add-in (Windows, macOS, Excel on the web): no VBA, no
trust settings, no ``.xlsm``, nothing to install on the machine. This module is the third Excel face of arxl,
beside the classic worksheet functions (``udfs/arxl_udfs.py``) and ribbon (``macros/arxl_macros.py``), and it
calls exactly those: each function here hands its arguments to the classic function of the same name, each
script calls the ribbon button's entry point; the figures and the messages are therefore the command line's.

Functions (``@func``): the eighteen AR_* functions of the classic add-in, each with the same arguments in the
same order, the same defaults, the same description and the same argument help (``tests/test_lite.py`` compares
the two modules' functions, so they cannot drift apart). Every function that takes tables takes the six main
ones first (``invoices, payments, customers, applications, adjustments, settings``), then its options, then
``instalments``, ``fx_rates`` and ``activity`` (the Instalments, FXRates and Activity tables: an invoice due in
parts, rates over time, disputes and promises), as the classic functions do. What differs in Lite:

- Tables must be passed (``=AR_DSO(Invoices[#All], Payments[#All], Customers[#All])``): a Lite function cannot
  read the workbook, so there is no no-argument form; without any table the cell says so (``NEEDS_TABLES``).
  Excel's dependency tracking recalculates the functions when the tables passed change. The classic add-in's
  other Excel-only behaviour (the volatile no-argument form, no calls while the function wizard is open) does
  not exist in Lite. Leaving out Instalments, FXRates or Activity means what it means in the classic add-in:
  no instalments, no rates (amounts stay in each document's currency), no disputes or promises from Activity.
- Lite hands dates over as serial numbers: in a table they become dates in the contract's date columns (and
  the date Settings), as the classic functions read Excel's raw values (``arxl.verbs.functions.ExcelValues``);
  scalar dates (``as_of``, ``from_date``) are read as serial numbers by the classic conversion. Dates count
  from 1900 (a workbook in the 1904 date system is not supported in Lite). A bad cell is named by its row
  counted from the table's header row (row 1): a Lite function does not know where the range sits on the sheet.
- Error cells arrive as their texts (``err_to_str``) and are reported as such, never read as blanks.

Scripts (``@script``, buttons in Lite's task pane): ``arxl_refresh``, ``arxl_statements``, ``arxl_check``,
``arxl_apply_cash``, ``arxl_accept_cash``, ``arxl_charges``, ``arxl_accept_charges``, ``arxl_small_balances``
and ``arxl_accept_small_balances``: the ribbon's buttons of the same names, writing the generated sheets (and
appending accepted rows to Applications or Adjustments) through Lite's ``Book`` with the same verbs as the
command line. Lite has no status bar: progress is not shown, the outcome comes as a message box and in Lite's
output pane. Writes happen when the script returns; save the workbook as usual. Three ribbon buttons have no
script:

- **Credit check**: the ribbon asks for a customer and an amount through Excel's input box, which Lite does not
  have. Use ``AR_CREDIT_CHECK`` instead: type the customer id and the order amount into two cells and pass them
  (``=AR_CREDIT_CHECK(A1, B1, Invoices[#All], Payments[#All], Customers[#All])``): the same decision and
  findings as the button and ``arxl report credit``, recalculated as you type.
- **Import**: a Lite script has no access to the computer's files; use ``arxl import``.
- **Help**: the README's "arxl in xlwings Lite" section is Lite's help.

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

NEEDS_TABLES = ('#ARXL: in xlwings Lite pass the tables, e.g. =AR_DSO(Invoices[#All], Payments[#All], '
                'Customers[#All]): a Lite function cannot read the workbook by itself')


def _values(name: str, value: Any) -> Any:
    """A table argument as Lite hands it over (rows, header first, dates as serial numbers) as Excel's raw
    values; anything else (nothing, a single value) as it is, for the classic function to judge."""
    if isinstance(value, list | tuple) and value and all(isinstance(row, list | tuple) for row in value):
        return ExcelValues(classic.TABLE_ARGUMENTS[name], [list(row) for row in value])
    return value


def _classic(name: str, given: dict[str, Any]) -> Any:
    """The classic function ``name`` called with ``given``, a Lite function's arguments by name (its
    ``locals()``): the tables as Excel's raw values, every other argument as Lite handed it over."""
    arguments = {key: _values(key, value) if key in classic.TABLE_ARGUMENTS else value
                 for key, value in given.items()}
    tables = [key for key in arguments if key in classic.TABLE_ARGUMENTS]
    if tables and all(arguments[key] is None for key in tables):
        return NEEDS_TABLES
    return getattr(classic, name)(**arguments)


def _table_arguments(function: Any) -> Any:
    """The six main table arguments: 2-D, error cells as their texts, with the classic docs."""
    for name, doc in (("invoices", classic.DOC_INVOICES), ("payments", classic.DOC_PAYMENTS),
                      ("customers", classic.DOC_CUSTOMERS), ("applications", classic.DOC_APPLICATIONS),
                      ("adjustments", classic.DOC_ADJUSTMENTS), ("settings", classic.DOC_SETTINGS)):
        function = arg(name, ndim=2, err_to_str=True, doc=doc)(function)
    return function


def _later_tables(function: Any) -> Any:
    """The three tables that come after a function's options (Instalments, FXRates, Activity), as the six."""
    for name, doc in (("instalments", classic.DOC_INSTALMENTS), ("fx_rates", classic.DOC_FX_RATES),
                      ("activity", classic.DOC_ACTIVITY)):
        function = arg(name, ndim=2, err_to_str=True, doc=doc)(function)
    return function


def _option(name: str, doc: str) -> Any:
    return arg(name, err_to_str=True, doc=doc)


# --- metrics --------------------------------------------------------------------------------------------------

@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
@_later_tables
def AR_DSO(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """Days sales outstanding (average method): ending AR / credit sales of the period x period days."""
    return _classic("AR_DSO", locals())


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_later_tables
def AR_DSO_COUNTBACK(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                     settings=None, as_of=None, instalments=None, fx_rates=None, activity=None):
    """Days sales outstanding (countback method): calendar months of credit sales, latest first, that the
    ending AR consumes."""
    return _classic("AR_DSO_COUNTBACK", locals())


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
@_later_tables
def AR_BPDSO(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
             as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """Best possible DSO: current (not yet due) AR / credit sales of the period x period days."""
    return _classic("AR_BPDSO", locals())


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
@_later_tables
def AR_ADD(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """Average days delinquent: DSO - best possible DSO."""
    return _classic("AR_ADD", locals())


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
@_later_tables
def AR_CEI(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
           as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """Collection effectiveness index (percent): (beginning AR + credit sales - ending AR) / (beginning AR +
    credit sales - ending current AR) x 100."""
    return _classic("AR_CEI", locals())


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("period_days", classic.DOC_PERIOD)
@_later_tables
def AR_TURNOVER(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                settings=None, as_of=None, period_days=None, instalments=None, fx_rates=None, activity=None):
    """AR turnover for the period: credit sales / average of beginning and ending AR."""
    return _classic("AR_TURNOVER", locals())


# --- balances, aging, statements, forecast -------------------------------------------------------------------

@func
@arg("customer", ndim=2, err_to_str=True, doc=classic.DOC_CUSTOMER)
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_later_tables
def AR_BALANCE(customer, invoices=None, payments=None, customers=None, applications=None, adjustments=None,
               settings=None, as_of=None, instalments=None, fx_rates=None, activity=None):
    """A customer's balance at the as-of date (open items, unapplied cash netted); a range of customer ids
    gives a column of balances."""
    return _classic("AR_BALANCE", locals())


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("basis", classic.DOC_BASIS)
@_option("buckets", classic.DOC_BUCKETS)
@_option("by", classic.DOC_BY)
@_later_tables
def AR_AGING(invoices=None, payments=None, customers=None, applications=None, adjustments=None, settings=None,
             as_of=None, basis=None, buckets=None, by=None, instalments=None, fx_rates=None, activity=None):
    """The aging by customer (dynamic array): customer_id, name, the buckets, Unapplied, Total, as
    arxl report aging prints it (a currency column after name when amounts cannot be converted). With by
    ("group", "region" or "salesperson"): one row per group (and currency), with how many customers, as
    arxl report aging --by prints it."""
    return _classic("AR_AGING", locals())


@func
@_option("customer", classic.DOC_CUSTOMER)
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("basis", classic.DOC_BASIS)
@_option("buckets", classic.DOC_BUCKETS)
@_later_tables
def AR_OPEN_ITEMS(customer, invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                  settings=None, as_of=None, basis=None, buckets=None, instalments=None, fx_rates=None,
                  activity=None):
    """A customer's open items at the as-of date (dynamic array): document, instalment (2/3 for the second of
    an invoice's three instalments, each a row of its own), dates, days past due, bucket, amounts (in the
    document's currency)."""
    return _classic("AR_OPEN_ITEMS", locals())


@func
@_option("customer", "A customer_id")
@_option("from_date", "First day of the statement period")
@_option("to_date", "Last day of the statement period")
@_table_arguments
@_later_tables
def AR_STATEMENT(customer, from_date, to_date, invoices=None, payments=None, customers=None, applications=None,
                 adjustments=None, settings=None, instalments=None, fx_rates=None, activity=None):
    """A customer's activity statement (dynamic array): opening balance, every document of the period with a
    running balance, closing balance (equal to the aging total at the last day)."""
    return _classic("AR_STATEMENT", locals())


@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("weeks", "Optional number of weeks to show (default 13)")
@_later_tables
def AR_FORECAST(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                settings=None, as_of=None, weeks=None, instalments=None, fx_rates=None, activity=None):
    """Expected receipts per week (dynamic array): each open receivable at its due date plus its customer's
    average days late; then Later, and what is set apart (Disputed, Over 90, Unapplied). The lines add up to
    the open AR."""
    return _classic("AR_FORECAST", locals())


# --- credit risk ------------------------------------------------------------------------------------------------

@func
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_option("method", 'Optional: "settings" (Settings allowance_rates, the default) or "history" (from the '
                   "write-off history)")
@_later_tables
def AR_ALLOWANCE(invoices=None, payments=None, customers=None, applications=None, adjustments=None,
                 settings=None, as_of=None, method=None, instalments=None, fx_rates=None, activity=None):
    """The allowance for doubtful accounts (dynamic array): the provision matrix, one row per aging bucket and
    currency (exposure, loss rate, expected loss), then an Allowance row per currency with the totals - the
    figures of the Allowance sheet and arxl report allowance."""
    return _classic("AR_ALLOWANCE", locals())


@func
@_option("customer", "A customer_id")
@_option("order", "The order amount, in the customer's currency")
@_table_arguments
@_option("as_of", classic.DOC_AS_OF)
@_later_tables
def AR_CREDIT_CHECK(customer, order, invoices=None, payments=None, customers=None, applications=None,
                    adjustments=None, settings=None, as_of=None, instalments=None, fx_rates=None, activity=None):
    """Can we ship this order? (dynamic array) A header row, then the decision (approve, refer or refuse, with
    the largest order approved today) and the four findings behind it: limit, hold, overdue share, risk grade.
    =INDEX(AR_CREDIT_CHECK("C0001", 5000, Invoices[#All], Payments[#All], Customers[#All]), 2, 2) is the
    verdict alone - the same as arxl report credit."""
    return _classic("AR_CREDIT_CHECK", locals())


# --- per-cell helpers -----------------------------------------------------------------------------------------

@func
@arg("due_date", ndim=2, err_to_str=True, doc="A due date (or a range of them)")
@_option("as_of", "Optional as-of date; blank = today")
def AR_DAYS_PAST_DUE(due_date, as_of=None):
    """Days past due at the as-of date: as_of - due_date (negative when not yet due)."""
    return _classic("AR_DAYS_PAST_DUE", locals())


@func
@arg("days", ndim=2, err_to_str=True, doc="Days past due (or a range of them)")
@_option("buckets", 'Optional bucket edges such as "30,60,90" (the default)')
def AR_BUCKET(days, buckets=None):
    """The aging bucket of a number of days past due: Current, 1-30, 31-60, 61-90, Over 90 for 30,60,90."""
    return _classic("AR_BUCKET", locals())


@func
@_option("discount", "The early-payment discount, e.g. 2% (or 0.02)")
@_option("discount_days", "Days within which the discount applies, e.g. 10")
@_option("net_days", "Days until the net amount is due, e.g. 30")
@_option("effective", "Optional: TRUE for the compounded (effective) rate; default simple")
def AR_DISCOUNT_APR(discount, discount_days, net_days, effective=False):
    """Annualised cost of forgoing an early-payment discount: 2/10 net 30 = 37.24% simple, 44.59% effective."""
    return _classic("AR_DISCOUNT_APR", locals())


@func
@_option("balance", "The amount to spread, e.g. 10000")
@_option("annual_rate", "Annual interest rate, e.g. 12% (or 0.12)")
@_option("n", "Number of monthly instalments")
@_option("start", "Optional date of the first instalment (adds a date column)")
@_option("currency", classic.DOC_TYPED_CURRENCY)
def AR_PAYMENT_PLAN(balance, annual_rate, n, start=None, currency=None):
    """A monthly instalment plan (dynamic array): Payment, Interest, Principal, Balance per instalment, rounded
    to the currency's minor unit (cents when no currency is given, whole yen for JPY, fils for KWD); the
    principal adds up to the balance exactly and the last balance is 0."""
    return _classic("AR_PAYMENT_PLAN", locals())


@func
@_option("balance", "The overdue balance")
@_option("days_overdue", "Days past due")
@_option("monthly_rate", "Finance charge per month, e.g. 1.5% (or 0.015)")
@_option("grace_days", "Optional days past due before any charge (default 0)")
@_option("minimum", "Optional smallest charge worth raising (default 0)")
@_option("currency", classic.DOC_TYPED_CURRENCY)
def AR_FINANCE_CHARGE(balance, days_overdue, monthly_rate, grace_days=0, minimum=0, currency=None):
    """Finance charge on an overdue balance: balance x monthly rate x 12 x (days overdue - grace days) / 365,
    rounded half away from zero to the currency's minor unit (cents when no currency is given); nothing within
    the grace period or below the minimum worth raising."""
    return _classic("AR_FINANCE_CHARGE", locals())


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
    """Validate the input tables and rebuild Dashboard, Aging, Aging Detail, statements, Checks, Collections,
    Forecast, Allowance and Credit (and Revaluation for foreign-currency books), as arxl refresh."""
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


@script
def arxl_charges(book: xw.Book):
    """Propose the late fees of the dunning letters logged in Activity and the finance charges due, on the
    Charges sheet (as arxl charges)."""
    return _said(ribbon.charges(book, today=_today()))


@script
def arxl_accept_charges(book: xw.Book):
    """Append the rows marked yes on the Charges sheet to the Adjustments table."""
    return _said(ribbon.accept_charges(book, today=_today()))


@script
def arxl_small_balances(book: xw.Book):
    """Propose small-balance write-offs (residues at or below Settings write_off_tolerance) on the Small balances
    sheet (as arxl small-balances)."""
    return _said(ribbon.small_balances(book, today=_today()))


@script
def arxl_accept_small_balances(book: xw.Book):
    """Append the rows marked yes on the Small balances sheet to the Adjustments table."""
    return _said(ribbon.accept_small_balances(book, today=_today()))
