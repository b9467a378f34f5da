"""The worksheet functions (udfs/arxl_udfs.py), called with exactly what xlwings hands them: lists of rows with
the header first, dates as datetime, numbers as float, blank cells as None."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
import math

import arxl_udfs as udf
import pytest

from arxl.aging import aging
from arxl.demo import generate_demo
from arxl.fx import convertible
from arxl.load import load_tables, raw_table_from_rows
from arxl.metrics import compute_metrics
from arxl.render.plain import aging_csv
from arxl.verbs.functions import frame_to_rows, rows_fingerprint

AS_OF = dt.date(2026, 6, 30)
TABLES = ("invoices", "payments", "customers", "applications", "adjustments", "settings", "activity")


@pytest.fixture(scope="module")
def rows() -> dict[str, list[list[object]]]:
    frames = generate_demo(invoices=3000, as_of=AS_OF)
    return {name: frame_to_rows(frames[udf.TABLE_ARGUMENTS[name]]) for name in TABLES}


@pytest.fixture(scope="module")
def ledger(rows: dict[str, list[list[object]]]):
    result = load_tables({udf.TABLE_ARGUMENTS[name]: raw_table_from_rows(udf.TABLE_ARGUMENTS[name], table)
                          for name, table in rows.items()})
    assert result.ok, result.errors[:3]
    return result.ledger


def fresh(rows: dict[str, list[list[object]]]) -> dict[str, list[list[object]]]:
    """New row lists, as Excel hands a fresh copy of every range to every call."""
    return {name: [list(row) for row in table] for name, table in rows.items()}


def test_rows_are_what_xlwings_passes(rows: dict[str, list[list[object]]]) -> None:
    header, first = rows["invoices"][0], rows["invoices"][1]
    assert header[:4] == ["invoice_id", "customer_id", "invoice_date", "amount"]
    assert isinstance(first[2], dt.datetime) and isinstance(first[3], float)
    assert None in first  # blank cells arrive as None


@pytest.mark.parametrize(("function", "field"), [
    (udf.AR_DSO, "dso"), (udf.AR_BPDSO, "bpdso"), (udf.AR_ADD, "add"), (udf.AR_CEI, "cei"),
    (udf.AR_TURNOVER, "turnover"),
])
def test_metrics_agree_with_the_engine(rows, ledger, function, field) -> None:
    engine = compute_metrics(ledger, AS_OF)
    assert function(**fresh(rows)) == getattr(engine, field)
    past = compute_metrics(ledger, dt.date(2026, 3, 31), period_days=30)
    assert function(**fresh(rows), as_of=dt.datetime(2026, 3, 31), period_days=30.0) == getattr(past, field)


def test_countback_dso_agrees_with_the_engine(rows, ledger) -> None:
    assert udf.AR_DSO_COUNTBACK(**fresh(rows)) == compute_metrics(ledger, AS_OF).dso_countback


def test_aging_agrees_with_arxl_report_aging(rows, ledger) -> None:
    report = aging(ledger, AS_OF, convert=convertible(ledger))
    expected = list(csv.reader(io.StringIO(aging_csv(report.summary, report.labels, ledger))))
    table = udf.AR_AGING(**fresh(rows))
    assert table[0] == expected[0] == ["customer_id", "name", "Current", "1-30", "31-60", "61-90", "Over 90",
                                       "Unapplied", "Total"]
    assert len(table) == len(expected)
    by_id = {row[0]: row for row in expected[1:]}
    for row in table[1:]:
        wanted = by_id[row[0]]
        assert row[1] == wanted[1]
        assert [f"{value:.2f}" for value in row[2:]] == wanted[2:]


def test_aging_with_other_buckets_and_basis(rows, ledger) -> None:
    report = aging(ledger, AS_OF, basis="invoice", edges=(15, 45), convert=convertible(ledger))
    table = udf.AR_AGING(**fresh(rows), basis="Invoice", buckets="15,45")
    assert table[0][2:] == ["Current", "1-15", "16-45", "Over 45", "Unapplied", "Total"]
    totals = report.summary.set_index("customer_id")["Total"]
    assert {row[0]: round(row[-1] * 100) for row in table[1:]} == {
        key: int(value) for key, value in totals.items()}


def test_balance_agrees_with_the_aging_total_and_settles_once(rows, ledger) -> None:
    udf.CACHE.clear()
    report = aging(ledger, AS_OF, convert=convertible(ledger))
    totals = report.summary.set_index("customer_id")["Total"]
    for customer, total in list(totals.items())[:25]:
        assert udf.AR_BALANCE(customer, **fresh(rows)) == int(total) / 100
    book = next(iter(udf.CACHE._books.values()))
    assert udf.CACHE.misses == 1 and udf.CACHE.hits == 24
    assert book.settle_count == 1


def test_balance_of_a_range_of_customers_is_a_column(rows, ledger) -> None:
    ids = [[row[0]] for row in rows["customers"][1:6]] + [[None], ["NOBODY"]]
    column = udf.AR_BALANCE(ids, **fresh(rows))
    assert len(column) == 7 and all(len(cell) == 1 for cell in column)
    assert column[0][0] == udf.AR_BALANCE(ids[0][0], **fresh(rows))
    assert column[5][0] is None
    assert column[6][0] == '#ARXL: customer "NOBODY" is not in the Customers table'


def test_one_cell_ranges_as_excel_passes_them_with_ndim_2(rows) -> None:
    customer = rows["customers"][3][0]
    assert udf.AR_BALANCE([[customer]], **fresh(rows)) == [[udf.AR_BALANCE(customer, **fresh(rows))]]
    assert udf.AR_OPEN_ITEMS([[customer]], **fresh(rows)) == udf.AR_OPEN_ITEMS(customer, **fresh(rows))
    assert udf.AR_OPEN_ITEMS([["A"], ["B"]], **fresh(rows)) == (
        "#ARXL: customer must be one customer_id here, not a range")


def test_balance_of_a_customer_with_nothing_open_is_zero(rows) -> None:
    tables = fresh(rows)
    tables["customers"].append(["NEW1", "New customer", None, 30.0, None, "USD", "no", None, None])
    assert udf.AR_BALANCE("NEW1", **tables) == 0.0


def test_a_changed_cell_is_a_new_ledger(rows) -> None:
    udf.CACHE.clear()
    tables = fresh(rows)
    customer = tables["invoices"][1][1]
    before = udf.AR_BALANCE(customer, **tables)
    tables = fresh(rows)
    for row in tables["invoices"][1:]:
        if row[1] == customer and row[6] is None:  # an invoice with no applies_to, still open or not
            row[3] = row[3] + 1000.0
            break
    after = udf.AR_BALANCE(customer, **tables)
    assert udf.CACHE.misses == 2
    assert round(after - before, 2) == 1000.0


def test_fingerprint_follows_content_and_row_boundaries() -> None:
    assert rows_fingerprint([["a", 1.0]]) == rows_fingerprint([["a", 1.0]])
    assert rows_fingerprint([["a", 1.0]]) != rows_fingerprint([["a", 1.01]])
    assert rows_fingerprint([["a", None]]) != rows_fingerprint([["a", ""]])
    assert rows_fingerprint([["a", "b"], ["c"]]) != rows_fingerprint([["a"], ["b", "c"]])


def test_open_items_add_up_to_the_balance(rows, ledger) -> None:
    customer = rows["customers"][3][0]
    items = udf.AR_OPEN_ITEMS(customer, **fresh(rows))
    assert items[0] == list(udf.OPEN_ITEM_COLUMNS)
    report = aging(ledger, AS_OF)
    detail = report.detail[report.detail["customer_id"] == customer]
    assert len(items) - 1 == len(detail)
    open_at, date_at = items[0].index("open_amount"), items[0].index("document_date")
    assert round(sum(row[open_at] for row in items[1:]) * 100) == int(detail["open_amount"].sum())
    assert all(isinstance(row[date_at], dt.datetime) for row in items[1:])


def test_statement_closes_at_the_aging_total(rows) -> None:
    customer = rows["customers"][2][0]
    statement = udf.AR_STATEMENT(customer, dt.datetime(2026, 4, 1), dt.datetime(2026, 6, 30), **fresh(rows))
    assert statement[0] == list(udf.STATEMENT_COLUMNS)
    assert statement[1][3] == "opening balance" and statement[-1][3] == "closing balance"
    closing = statement[-1][7]
    assert math.isclose(closing, udf.AR_BALANCE(customer, **fresh(rows)), abs_tol=1e-9)
    opening = statement[1][7]
    assert math.isclose(opening, udf.AR_BALANCE(customer, **fresh(rows), as_of=dt.datetime(2026, 3, 31)),
                        abs_tol=1e-9)
    movements = sum((row[5] or 0) - (row[6] or 0) for row in statement[2:-1])
    assert round((opening + movements) * 100) == round(closing * 100)


def test_forecast_lines_add_up_to_the_open_ar(rows, ledger) -> None:
    table = udf.AR_FORECAST(**fresh(rows), weeks=8.0)
    assert table[0] == list(udf.FORECAST_COLUMNS)
    assert [row[0] for row in table[1:10]] == [*(f"Week {week}" for week in range(1, 9)), "Later"]
    assert table[1][1] == dt.datetime(2026, 6, 30) and table[1][2] == dt.datetime(2026, 7, 6)
    assert table[2][1] == dt.datetime(2026, 7, 7)
    report = aging(ledger, AS_OF, convert=convertible(ledger))
    assert round(sum(row[4] for row in table[1:]) * 100) == int(report.summary["Total"].sum())
    assert sum(row[5] for row in table[1:]) == len(report.detail)
    assert udf.AR_FORECAST(**fresh(rows), weeks=0.0) == "#ARXL: weeks must be between 1 and 520, not 0"


def test_discount_apr_by_hand() -> None:
    # 2/10 net 30: 0.02 / 0.98 = 0.020408; 365 / 20 = 18.25 periods a year.
    assert round(udf.AR_DISCOUNT_APR(0.02, 10.0, 30.0), 4) == 0.3724  # 0.020408 x 18.25
    assert round(udf.AR_DISCOUNT_APR(0.02, 10.0, 30.0, True), 4) == 0.4459  # 1.020408 ^ 18.25 - 1
    assert udf.AR_DISCOUNT_APR("2%", 10.0, 30.0) == udf.AR_DISCOUNT_APR(0.02, 10.0, 30.0)
    assert udf.AR_DISCOUNT_APR(2.0, 10.0, 30.0).startswith("#ARXL: discount 2 is not a fraction")
    assert udf.AR_DISCOUNT_APR(0.02, 30.0, 30.0).startswith("#ARXL: net days (30) must be more")


def test_payment_plan_by_hand() -> None:
    # 1,000.00 at 12% a year over 3 months: r = 1%; annuity = 1000 x 0.01 / (1 - 1.01^-3) = 340.0221.
    rate, balance = 0.01, 1000.0
    annuity = balance * rate / (1 - (1 + rate) ** -3)
    principal_raw, remaining = [], balance
    for _ in range(3):
        interest = remaining * rate
        principal_raw.append((annuity - interest) * 100)
        remaining -= annuity - interest
    # raw principal cents 33002.21, 33332.23, 33665.56: floors add to 99,999, the missing cent goes to .56
    assert [math.floor(value) for value in principal_raw] == [33002, 33332, 33665]
    plan = udf.AR_PAYMENT_PLAN(1000.0, 0.12, 3.0)
    assert plan == [["Payment", "Interest", "Principal", "Balance"],
                    [340.02, 10.0, 330.02, 669.98],
                    [340.02, 6.7, 333.32, 336.66],
                    [340.03, 3.37, 336.66, 0.0]]
    assert round(sum(row[2] for row in plan[1:]) * 100) == 100000


def test_payment_plan_cents_always_add_up() -> None:
    for balance, rate, count in [(12345.67, 0.0799, 36), (100.0, 0.0, 7), (0.05, 0.2, 12), (999999.99, 0.3, 240)]:
        plan = udf.AR_PAYMENT_PLAN(balance, rate, count)
        principal = [round(row[2] * 100) for row in plan[1:]]
        assert sum(principal) == round(balance * 100)
        assert plan[-1][3] == 0.0
        assert all(round(row[0] * 100) == round(row[1] * 100) + round(row[2] * 100) for row in plan[1:])


def test_payment_plan_with_a_start_date() -> None:
    plan = udf.AR_PAYMENT_PLAN(600.0, 0.0, 3.0, dt.datetime(2026, 1, 31))
    assert plan[0] == ["Date", "Payment", "Interest", "Principal", "Balance"], plan
    assert [row[0] for row in plan[1:]] == [dt.datetime(2026, 1, 31), dt.datetime(2026, 2, 28),
                                            dt.datetime(2026, 3, 31)]
    assert [row[1] for row in plan[1:]] == [200.0, 200.0, 200.0]


def test_finance_charge_by_hand() -> None:
    # 1,000.00 at 1.5% a month = 18% a year; 45 days: 1000 x 0.18 x 45 / 365 = 22.1918 -> 22.19
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, 0.015) == 22.19
    # 15 grace days leave 30: 1000 x 0.18 x 30 / 365 = 14.7945 -> 14.79
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, 0.015, 15.0) == 14.79
    # a charge below the minimum worth raising is not raised
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, 0.015, 0.0, 25.0) == 0.0
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, 0.015, 0.0, 20.0) == 22.19
    assert udf.AR_FINANCE_CHARGE(1000.0, 10.0, 0.015, 15.0, 25.0) == 0.0
    assert udf.AR_FINANCE_CHARGE(-50.0, 45.0, 0.015) == 0.0
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, "x").startswith('#ARXL: monthly_rate: "x" is not a number')


def test_finance_charge_rounds_half_away_from_zero() -> None:
    # 365.00 x 0.01 x 12 x 1 / 365 = 0.12 exactly; 365.00 x 0.0125 x 12 x 1 / 365 = 0.15;
    # 36.50 x 0.0125 x 12 x 1 / 365 = 0.015 -> 0.02 (half away from zero, not banker's 0.02/0.01)
    assert udf.AR_FINANCE_CHARGE(365.0, 1.0, 0.01) == 0.12
    assert udf.AR_FINANCE_CHARGE(36.5, 1.0, 0.0125) == 0.02


def test_payment_plan_and_finance_charge_round_to_the_currency_given() -> None:
    # 1,000 over 3 interest-free instalments: 333.33... each, so the parts are 334, 333, 333 of the minor unit
    # (the earliest part takes the leftover unit): whole yen for JPY, cents by default, fils for KWD.
    assert [row[2] for row in udf.AR_PAYMENT_PLAN(1000.0, 0.0, 3.0, None, "JPY")[1:]] == [334.0, 333.0, 333.0]
    assert [row[2] for row in udf.AR_PAYMENT_PLAN(10.0, 0.0, 3.0)[1:]] == [3.34, 3.33, 3.33]
    assert [row[2] for row in udf.AR_PAYMENT_PLAN(1.0, 0.0, 3.0, None, "kwd")[1:]] == [0.334, 0.333, 0.333]
    assert [row[3] for row in udf.AR_PAYMENT_PLAN(1.0, 0.0, 3.0, None, "KWD")[1:]] == [0.666, 0.333, 0.0]
    # 1,000 at 1.5% a month for 45 days: 1000 x 0.18 x 45 / 365 = 22.1918: 22 yen, 22.19 dollars; in dinars
    # 1,000,000 fils x 0.18 x 45 / 365 = 22,191.78 -> 22,192 fils = 22.192.
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, 0.015, currency="JPY") == 22.0
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, 0.015, currency="") == 22.19
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, 0.015, currency="KWD") == 22.192
    # A minimum of 22.5 yen is 23 yen once rounded to whole yen: the 22-yen charge is not worth raising.
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, 0.015, 0.0, 22.5, "JPY") == 0.0
    assert udf.AR_FINANCE_CHARGE(1000.0, 45.0, 0.015, currency="XYZ") == (
        '#ARXL: currency: "XYZ" is not a currency code (expected an ISO 4217 code such as USD, JPY or KWD)')
    assert udf.AR_PAYMENT_PLAN(1000.0, 0.0, 3.0, None, "yen").startswith('#ARXL: currency: "yen" is not')


def test_bucket_by_hand() -> None:
    assert [udf.AR_BUCKET(float(days)) for days in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        "Current", "Current", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "Over 90", "Over 90"]
    assert udf.AR_BUCKET(16.0, "15,45") == "16-45"
    assert udf.AR_BUCKET(16.0, [[15.0], [45.0]]) == "16-45"
    assert udf.AR_BUCKET([[0.0], [45.0], [None]]) == [["Current"], ["31-60"], [None]]
    assert udf.AR_BUCKET(5.0, "30,20").startswith("#ARXL: buckets: aging bucket edges 30,20 are not strictly")
    assert udf.AR_BUCKET("x").startswith('#ARXL: days: "x" is not a number')


def test_days_past_due_by_hand() -> None:
    assert udf.AR_DAYS_PAST_DUE(dt.datetime(2026, 6, 1), dt.datetime(2026, 6, 30)) == 29
    assert udf.AR_DAYS_PAST_DUE(dt.datetime(2026, 7, 10), dt.datetime(2026, 6, 30)) == -10
    # Excel serial 46203 is 2026-06-30 (days since 1899-12-30)
    assert udf.AR_DAYS_PAST_DUE("2026-06-01", 46203.0) == 29
    assert udf.AR_DAYS_PAST_DUE([[dt.datetime(2026, 6, 29)], [None], ["soon"]], dt.datetime(2026, 6, 30)) == [
        [1], [None], ['#ARXL: due_date: "soon" is not a date (expected a date such as 2026-06-30)']]


def _set_cell(tables: dict[str, list[list[object]]], table: str, excel_row: int, column: str,
              value: object) -> None:
    header = tables[table][0]
    tables[table][excel_row - 1][header.index(column)] = value


def test_bad_cells_are_located(rows) -> None:
    tables = fresh(rows)
    _set_cell(tables, "invoices", 12, "due_date", "x")
    assert udf.AR_DSO(**tables).startswith('#ARXL: Invoices row 12, due_date: "x" is not a date')
    tables = fresh(rows)
    _set_cell(tables, "payments", 7, "amount", "lots")
    message = udf.AR_BALANCE("C0001", **tables)
    assert message.startswith('#ARXL: Payments row 7, amount: "lots"')


def test_several_errors_say_how_many_more(rows) -> None:
    tables = fresh(rows)
    _set_cell(tables, "invoices", 12, "invoice_date", "x")
    _set_cell(tables, "invoices", 13, "invoice_date", "y")
    assert "(and 1 more error(s)" in udf.AR_AGING(**tables)


def test_missing_and_malformed_arguments(rows) -> None:
    tables = fresh(rows)
    del tables["customers"]
    assert udf.AR_DSO(**tables).startswith("#ARXL: no Customers table: pass it as the customers argument")
    assert udf.AR_DSO(invoices=42.0).startswith("#ARXL: invoices must be the whole table with its header row")
    assert udf.AR_DSO(**fresh(rows), as_of="someday") == (
        '#ARXL: as_of: "someday" is not a date (expected a date such as 2026-06-30)')
    assert udf.AR_AGING(**fresh(rows), basis="weekly") == '#ARXL: basis: "weekly" is not one of due, invoice'
    assert udf.AR_DSO(**fresh(rows), period_days=0.0).startswith("#ARXL: period_days must be a positive")
    assert udf.AR_OPEN_ITEMS("NOBODY", **fresh(rows)) == '#ARXL: customer "NOBODY" is not in the Customers table'
    assert udf.AR_STATEMENT("C0001", dt.datetime(2026, 6, 30), dt.datetime(2026, 6, 1), **fresh(rows)).startswith(
        "#ARXL: the statement period ends")


def test_header_only_tables_are_empty_tables(rows) -> None:
    tables = fresh(rows)
    tables["applications"] = tables["applications"][0]  # xlwings passes a one-row range as a flat list
    assert isinstance(udf.AR_DSO(**tables), float)


def test_without_data_arguments_outside_excel() -> None:
    message = udf.AR_DSO()
    assert message.startswith("#ARXL: no table arguments were given, and outside Excel there is no calling")


def test_an_unexpected_failure_is_text_not_a_traceback(rows, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise TypeError("boom")

    monkeypatch.setattr(udf, "_book", broken)
    assert udf.AR_DSO(**fresh(rows)) == "#ARXL: internal error (TypeError: boom); please report it"


def test_every_function_is_documented_with_the_contract_argument_names() -> None:
    functions = [getattr(udf, name) for name in udf.__all__ if name.startswith("AR_")]
    assert len(functions) == 18
    for function in functions:
        assert function.__doc__ and function.__doc__.strip()
        parameters = list(inspect.signature(function).parameters)
        data = [name for name in parameters if name in TABLES]
        assert data in ([], list(TABLES)), function.__name__
        assert all(name in TABLES or not name.startswith("_") for name in parameters)
