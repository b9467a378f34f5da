"""Every type xlwings can hand a face: int, float, Decimal (a currency- or accounting-formatted cell on
Windows), datetime, date, bool, str, None and error values; through the loader, every worksheet function (as
lists of rows and as ranges read through ``Range.Value2``) and every ribbon action."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from pathlib import Path

import arxl_macros
import arxl_udfs as udf
import numpy as np
import pytest
from books import D, base
from xlfake import Book, ExcelError, add_table, book_from_file

from arxl.cells import ColumnContext, parse_date, parse_money, parse_text
from arxl.contract import TABLES_BY_NAME, Kind, normalise_header
from arxl.demo import generate_demo
from arxl.load import load_tables, raw_table_from_rows
from arxl.verbs.functions import ExcelValues, frame_to_rows, serial_table
from arxl.workbook import write_demo

AS_OF = dt.date(2026, 6, 30)
TABLES = ("invoices", "payments", "customers", "applications", "adjustments", "settings")


def currency_cell(value: object) -> object:
    """A number as xlwings hands over a currency-formatted cell on Windows: a Decimal with four places (Excel's
    Currency type), made from the number's decimal form, never from the float itself."""
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(Decimal("0.0001"))
    return value


def with_currency_amounts(table: str, rows: list[list[object]]) -> list[list[object]]:
    """The rows with every money column of ``table`` as currency cells."""
    contract_table = TABLES_BY_NAME[table]
    money = {column.name for column in contract_table.columns if column.kind is Kind.MONEY}
    positions = [index for index, name in enumerate(rows[0]) if normalise_header(name) in money]
    assert positions or not money, table
    return [rows[0], *([currency_cell(cell) if index in positions else cell for index, cell in enumerate(row)]
                       for row in rows[1:])]


@pytest.fixture(scope="module")
def rows() -> dict[str, list[list[object]]]:
    frames = generate_demo(invoices=600, as_of=AS_OF)
    return {name: frame_to_rows(frames[udf.TABLE_ARGUMENTS[name]]) for name in TABLES}


@pytest.fixture(scope="module")
def currency_rows(rows) -> dict[str, list[list[object]]]:
    converted = {name: with_currency_amounts(udf.TABLE_ARGUMENTS[name], table) for name, table in rows.items()}
    assert any(isinstance(cell, Decimal) for row in converted["invoices"][1:] for cell in row)
    assert any(isinstance(cell, Decimal) for row in converted["payments"][1:] for cell in row)
    return converted


def fresh(tables: dict[str, list[list[object]]]) -> dict[str, list[list[object]]]:
    return {name: [list(row) for row in table] for name, table in tables.items()}


# --- the loader ------------------------------------------------------------------------------------------------

def _ctx(size: int) -> ColumnContext:
    return ColumnContext("Invoices", "amount", np.arange(2, 2 + size))


def test_a_decimal_amount_is_read_as_its_number() -> None:
    # 126.77 as Excel's Currency type arrives as Decimal("126.7700"): 12677 cents, no problem reported.
    cells = np.array([Decimal("126.7700"), Decimal("-20.0000"), Decimal("1234.5000"), 126.77, 7], dtype=object)
    numbers, present, problems = parse_money(cells, _ctx(len(cells)))
    assert problems == []
    assert present.all()
    assert numbers.tolist() == [126.77, -20.0, 1234.5, 126.77, 7.0]


def test_a_decimal_with_sub_cent_digits_is_rounded_like_a_float() -> None:
    # 10.0050 -> 10.01 (half away from zero, as ROUND does): the loader rounds both the same way and warns.
    as_decimal = load_tables(_invoice_tables(Decimal("10.0050"))).ledger.invoices["amount"].tolist()
    as_float = load_tables(_invoice_tables(10.005)).ledger.invoices["amount"].tolist()
    assert as_decimal == as_float == [1001]


def _invoice_tables(amount: object) -> dict:
    tables = {
        "Customers": [["customer_id", "name"], ["C1", "Acme"]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount"], ["I1", "C1", D(2026, 1, 5), amount]],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount"]],
    }
    return {name: raw_table_from_rows(name, table) for name, table in tables.items()}


def test_every_cell_type_in_a_money_column() -> None:
    cells = np.array([1, 2.5, Decimal("3.2500"), True, "4.00", None, "#N/A", dt.date(2026, 1, 1)], dtype=object)
    numbers, present, problems = parse_money(cells, _ctx(len(cells)))
    assert numbers[:3].tolist() == [1.0, 2.5, 3.25]
    assert present.tolist() == [True, True, True, False, True, False, False, False]
    messages = {problem.row: problem.message for problem in problems}
    assert messages[5] == "is not a number"  # TRUE in an amount column (row 5 = index 3)
    assert messages[6] == "is an amount typed as text; read as 4.00"
    assert messages[8] == "is an Excel error value"
    assert messages[9] == "is not a number"  # a date where an amount belongs


def test_every_cell_type_in_a_date_column() -> None:
    # 46022 is 2025-12-31 in the 1900 system (1899-12-30 + 46022 days); as a Decimal too (a date cell formatted
    # as currency by mistake).
    cells = np.array([dt.date(2026, 1, 5), dt.datetime(2026, 1, 6), Decimal("46022"), 46022.0, True, None,
                      "#REF!", "2026-01-07"], dtype=object)
    dates, problems = parse_date(cells, ColumnContext("Invoices", "invoice_date", np.arange(2, 10)))
    assert [None if np.isnat(day) else str(day)[:10] for day in dates] == [
        "2026-01-05", "2026-01-06", "2025-12-31", "2025-12-31", None, None, None, "2026-01-07"]
    messages = {problem.row: problem.message for problem in problems}
    assert messages[4].startswith("is a number without a date format")
    assert messages[6] == "is not a date"
    assert messages[8] == "is an Excel error value"


def test_every_cell_type_in_a_text_column() -> None:
    cells = np.array(["C1", 1001.0, Decimal("1001.0000"), Decimal("12.5000"), True, dt.date(2026, 1, 5), None],
                     dtype=object)
    text, problems = parse_text(cells, ColumnContext("Invoices", "invoice_id", np.arange(2, 9)))
    assert list(text) == ["C1", "1001", "1001", "12.5", "TRUE", "2026-01-05", ""]
    assert problems == []


# --- the worksheet functions -------------------------------------------------------------------------------

TABLE_FUNCTIONS = ("AR_DSO", "AR_DSO_COUNTBACK", "AR_BPDSO", "AR_ADD", "AR_CEI", "AR_TURNOVER", "AR_AGING",
                   "AR_FORECAST")


@pytest.mark.parametrize("name", TABLE_FUNCTIONS)
def test_table_functions_give_the_same_figures_with_currency_amounts(rows, currency_rows, name) -> None:
    function = getattr(udf, name)
    expected = function(**fresh(rows))
    assert not (isinstance(expected, str) and expected.startswith("#ARXL")), expected
    assert function(**fresh(currency_rows)) == expected


def test_customer_functions_give_the_same_figures_with_currency_amounts(rows, currency_rows) -> None:
    customers = [row[0] for row in rows["customers"][1:8]]
    for customer in customers:
        assert udf.AR_BALANCE(customer, **fresh(currency_rows)) == udf.AR_BALANCE(customer, **fresh(rows))
        assert udf.AR_OPEN_ITEMS(customer, **fresh(currency_rows)) == udf.AR_OPEN_ITEMS(customer, **fresh(rows))
        statement = udf.AR_STATEMENT(customer, D(2026, 4, 1), AS_OF, **fresh(currency_rows))
        assert statement == udf.AR_STATEMENT(customer, D(2026, 4, 1), AS_OF, **fresh(rows))
        assert isinstance(statement, list) and statement[0][0] == "currency"


def small_book() -> dict[str, list[list[object]]]:
    return {
        "customers": [["customer_id", "name", "terms_days"], ["C1", "Acme", Decimal("30")]],
        "invoices": [["invoice_id", "customer_id", "invoice_date", "amount"],
                     ["I1", "C1", dt.datetime(2026, 1, 5), Decimal("126.7700")]],
        "payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"],
                     ["P1", "C1", dt.datetime(2026, 1, 20), Decimal("26.7700"), "I1"]],
    }


def test_a_small_book_in_currency_cells_worked_by_hand() -> None:
    # I1 126.77 on 2026-01-05, terms 30 (due 2026-02-04); P1 26.77 naming I1 on 2026-01-20.
    # As of 2026-03-31 I1 owes 126.77 - 26.77 = 100.00, 55 days past due (Feb 4 -> Mar 31: 24 + 31) -> 31-60.
    tables = small_book()
    as_of = dt.date(2026, 3, 31)
    assert udf.AR_BALANCE("C1", **tables, as_of=as_of) == 100.0
    assert udf.AR_AGING(**tables, as_of=as_of) == [
        ["customer_id", "name", "Current", "1-30", "31-60", "61-90", "Over 90", "Unapplied", "Total"],
        ["C1", "Acme", 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 100.0]]
    items = udf.AR_OPEN_ITEMS("C1", **tables, as_of=as_of)
    assert items[1][items[0].index("days_past_due")] == 55


def test_helpers_accept_every_scalar_type() -> None:
    # Days past due: 2026-03-31 - 2026-03-01 = 30, whether the due date is a date, a datetime or a serial number
    # (46082 = 2026-03-01: 46023 is 2026-01-01, + 31 + 28), as float, int or Decimal.
    for due in (D(2026, 3, 1), dt.datetime(2026, 3, 1), 46082.0, 46082, Decimal("46082")):
        assert udf.AR_DAYS_PAST_DUE(due, D(2026, 3, 31)) == 30, due
    for days in (45, 45.0, Decimal("45.0000"), "45"):
        assert udf.AR_BUCKET(days) == "31-60", days
    # 2/10 net 30: 0.02 / 0.98 x 365 / 20 = 0.37245 simple.
    simple = udf.AR_DISCOUNT_APR(Decimal("0.0200"), Decimal("10"), 30)
    assert math.isclose(simple, 0.02 / 0.98 * 365 / 20)
    assert udf.AR_DISCOUNT_APR(0.02, 10, 30, "FALSE") == simple
    assert udf.AR_DISCOUNT_APR(0.02, 10, 30, Decimal("1")) == udf.AR_DISCOUNT_APR(0.02, 10, 30, True) > simple
    # 1,000.00 at 1.5% a month for 30 days: 1000 x 0.015 x 12 x 30 / 365 = 14.79 (14.794...).
    assert udf.AR_FINANCE_CHARGE(Decimal("1000.0000"), Decimal("30"), Decimal("0.0150")) == 14.79
    assert udf.AR_FINANCE_CHARGE(1000, 30, 0.015) == 14.79
    plan = udf.AR_PAYMENT_PLAN(Decimal("1200.0000"), 0, Decimal("3"))
    assert [row[-1] for row in plan[1:]] == [800.0, 400.0, 0.0]  # 1,200 over 3 interest-free months


def test_error_values_and_wrong_types_are_refused_by_name() -> None:
    assert udf.AR_DAYS_PAST_DUE(D(2026, 3, 1), "#N/A") == (
        '#ARXL: as_of: "#N/A" is an Excel error value; fix the cell it comes from')
    assert udf.AR_BUCKET("#VALUE!") == '#ARXL: days: "#VALUE!" is an Excel error value; fix the cell it comes from'
    assert udf.AR_BUCKET(True) == '#ARXL: days: "True" is not a number'
    assert udf.AR_BUCKET(45, "#REF!").startswith('#ARXL: buckets: "#REF!" is an Excel error value')
    assert udf.AR_DISCOUNT_APR(0.02, 10, 30, "maybe") == '#ARXL: effective: "maybe" is not TRUE or FALSE'
    assert udf.AR_BALANCE(D(2026, 1, 1), **small_book()).startswith('#ARXL: customer: "2026-01-01" is a date')
    assert udf.AR_BALANCE([["#N/A"]], **small_book()) == [[
        '#ARXL: customer: "#N/A" is an Excel error value; fix the cell it comes from']]
    assert udf.AR_FINANCE_CHARGE(Decimal("NaN"), 30, 0.015) == '#ARXL: balance: "NaN" is not a number'


def test_ranges_are_read_through_value2_and_give_the_same_figures(tmp_path: Path, rows) -> None:
    """The table arguments as Excel hands them to the add-in's functions: xlwings Ranges (``"range"``
    converter), read through Value2 (dates as serials, currency cells as plain numbers, errors as codes)."""
    path = write_demo(tmp_path / "demo.xlsx", invoices=600, as_of=AS_OF)
    book = book_from_file(path)
    ranges = {name: book.sheets[udf.TABLE_ARGUMENTS[name]].tables[udf.TABLE_ARGUMENTS[name]].range
              for name in TABLES}
    listed = {name: rng.options(ndim=2, err_to_str=True).value for name, rng in ranges.items()}
    raw = ranges["invoices"].api.Value2
    assert isinstance(raw, tuple) and isinstance(raw[1][2], float)  # a date as its serial number
    for name in TABLE_FUNCTIONS:
        assert getattr(udf, name)(**ranges) == getattr(udf, name)(**fresh(listed)), name
    customer = listed["customers"][1][0]
    assert udf.AR_BALANCE(customer, **ranges) == udf.AR_BALANCE(customer, **fresh(listed))
    assert udf.AR_OPEN_ITEMS(customer, **ranges) == udf.AR_OPEN_ITEMS(customer, **fresh(listed))


def test_a_range_with_an_error_cell_names_its_sheet_row() -> None:
    book = Book("ar.xlsx")
    tables = base()
    for name in ("Customers", "Invoices", "Payments"):
        add_table(book, name, name, tables[name], top=3)
    book.sheets["Invoices"].cell(5, 4).value = ExcelError("#N/A")  # I2's amount: header on row 3, I2 on row 5
    ranges = {name.lower(): book.sheets[name].tables[name].range for name in ("Customers", "Invoices", "Payments")}
    assert udf.AR_DSO(**ranges, as_of=D(2026, 3, 31)).startswith(
        '#ARXL: Invoices row 5, amount: "#N/A" is an Excel error value')


def test_the_cache_key_of_raw_values_changes_with_any_cell() -> None:
    header = ("invoice_id", "customer_id", "invoice_date", "amount")
    first = ExcelValues("Invoices", (header, ("I1", "C1", 46027.0, 100.0)))
    same = ExcelValues("Invoices", (header, ("I1", "C1", 46027.0, 100.0)))
    other = ExcelValues("Invoices", (header, ("I1", "C1", 46027.0, 100.01)))
    assert first.fingerprint() == same.fingerprint() != other.fingerprint()
    # 46027 = 2026-01-05 (46023 is 2026-01-01); in the 1904 system the same serial is 4 years and a day later.
    assert serial_table(first).rows == [["I1", "C1", D(2026, 1, 5), 100.0]]
    assert serial_table(first, date1904=True).rows == [["I1", "C1", D(2030, 1, 6), 100.0]]


# --- the ribbon --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("types") / "demo.xlsx", customers=10, invoices=300, as_of=AS_OF)


def currency_book(path: Path) -> Book:
    """The demo book open in Excel with every amount cell formatted as currency: xlwings reads Decimals."""
    book = book_from_file(path)
    for sheet in book.sheets:
        for table in sheet.tables:
            spec = TABLES_BY_NAME.get(table.name)
            if spec is None:
                continue
            money = {column.name for column in spec.columns if column.kind is Kind.MONEY}
            header = table.header_row_range.options(ndim=2).value[0]
            top, left = table.range.row, table.range.column
            height = table.range.shape[0]
            for offset, name in enumerate(header):
                if normalise_header(name) not in money:
                    continue
                for row in range(top + 1, top + height):
                    cell = sheet.cell(row, left + offset)
                    cell.value = currency_cell(cell.value)
    return book


def _sheet_rows(book: Book, name: str) -> list[list[object]]:
    sheet = book.sheets[name]
    used = sheet.used_range
    return sheet.values((1, 1), (used.row + used.shape[0] - 1, used.column + used.shape[1] - 1))


def test_every_ribbon_action_gives_the_same_figures_with_currency_amounts(demo_file: Path) -> None:
    plain, currency = book_from_file(demo_file), currency_book(demo_file)
    amounts = currency.sheets["Invoices"].tables["Invoices"].data_body_range.options(ndim=2).value
    assert any(isinstance(cell, Decimal) for row in amounts for cell in row)
    for action in (arxl_macros.check, arxl_macros.refresh, arxl_macros.statements, arxl_macros.apply_cash,
                   arxl_macros.accept_cash):
        expected = action(plain, today=AS_OF) if action is not arxl_macros.check else action(plain)
        got = action(currency, today=AS_OF) if action is not arxl_macros.check else action(currency)
        assert plain.app.alerts[-1]["mode"] == currency.app.alerts[-1]["mode"] == "info", action.__name__
        seconds = re.compile(r" in [0-9.]+ s:")  # how long it took differs from run to run
        assert seconds.sub(" in _ s:", str(got)) == seconds.sub(" in _ s:", str(expected)), action.__name__
    assert currency.sheets.names() == plain.sheets.names()
    for name in plain.sheets.names():
        if name in ("Invoices", "Payments", "Customers", "Settings", "Applications", "Adjustments", "Activity",
                    "Audit", "arxl_state"):
            continue  # the input tables hold Decimals on one side; the audit trail records when it ran
        assert _sheet_rows(currency, name) == _sheet_rows(plain, name), name
