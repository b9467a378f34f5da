"""The loader on real .xlsx files: a corpus of bad inputs (each with its located problem) and of quirks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from books import D, base, write_book

from arxl.load import RawTable, load_tables, raw_table_from_rows
from arxl.workbook import load_book

Tables = dict[str, list[list[object]]]


def _set(table: str, row: int, column: str, value: object) -> Callable[[Tables], None]:
    """Mutation: put ``value`` in data row ``row`` (1 = first data row) of ``column``."""

    def apply(tables: Tables) -> None:
        header = tables[table][0]
        if column not in header:
            header.append(column)
            for line in tables[table][1:]:
                line.append(None)
        tables[table][row][header.index(column)] = value

    return apply


def _add(table: str, values: dict[str, object]) -> Callable[[Tables], None]:
    def apply(tables: Tables) -> None:
        header = tables[table][0]
        tables[table].append([values.get(name) for name in header])

    return apply


def _rename_header(table: str, old: str, new: str) -> Callable[[Tables], None]:
    def apply(tables: Tables) -> None:
        header = tables[table][0]
        header[header.index(old)] = new

    return apply


def _all(*mutations: Callable[[Tables], None]) -> Callable[[Tables], None]:
    """Mutation: each of ``mutations``, in order."""

    def apply(tables: Tables) -> None:
        for mutation in mutations:
            mutation(tables)

    return apply


def _drop(table: str) -> Callable[[Tables], None]:
    def apply(tables: Tables) -> None:
        del tables[table]

    return apply


# (id, mutation, (severity, sheet, excel row, column, words in the message))
BAD_INPUTS = [
    ("date-not-a-date", _set("Invoices", 1, "invoice_date", "31/02/2026"),
     ("error", "Invoices", 2, "invoice_date", "is not a date")),
    ("amount-unparseable", _set("Invoices", 2, "amount", "abc"),
     ("error", "Invoices", 3, "amount", "not a number")),
    ("missing-required-header", _rename_header("Invoices", "customer_id", "client"),
     ("error", "Invoices", 1, "customer_id", "required column is missing")),
    ("duplicate-invoice-id", _set("Invoices", 2, "invoice_id", "I1"),
     ("error", "Invoices", 3, "invoice_id", "duplicate (also row 2)")),
    ("ids-differ-in-case", _set("Invoices", 2, "invoice_id", "i1"),
     ("error", "Invoices", 3, "invoice_id", "differs only in case")),
    ("unknown-customer-invoice", _set("Invoices", 1, "customer_id", "C9"),
     ("error", "Invoices", 2, "customer_id", "not a known customer")),
    ("unknown-customer-payment", _set("Payments", 2, "customer_id", "C9"),
     ("error", "Payments", 3, "customer_id", "not a known customer")),
    ("payment-unknown-invoice", _set("Payments", 1, "invoice_id", "I99"),
     ("error", "Payments", 2, "invoice_id", "not a known invoice")),
    ("application-unknown-invoice", _set("Applications", 1, "invoice_id", "I99"),
     ("error", "Applications", 2, "invoice_id", "not a known invoice")),
    ("application-unknown-payment", _set("Applications", 1, "payment_id", "P99"),
     ("error", "Applications", 2, "payment_id", "not a known payment")),
    ("adjustment-unknown-invoice", _set("Adjustments", 1, "invoice_id", "I99"),
     ("error", "Adjustments", 2, "invoice_id", "not a known invoice")),
    ("due-before-invoice-date", _set("Invoices", 2, "due_date", D(2026, 1, 1)),
     ("error", "Invoices", 3, "due_date", "before the invoice date")),
    ("application-larger-than-payment", _set("Applications", 1, "amount", 150.0),
     ("error", "Applications", 2, "amount", "more than it holds")),
    ("negative-invoice-typed-invoice",
     _all(_set("Invoices", 2, "type", "invoice"), _set("Invoices", 2, "amount", -5.0)),
     ("error", "Invoices", 3, "amount", "negative on a invoice")),
    ("required-value-empty", _set("Invoices", 1, "invoice_date", None),
     ("error", "Invoices", 2, "invoice_date", "required but empty")),
    ("type-not-allowed", _set("Invoices", 1, "type", "refund"),
     ("error", "Invoices", 2, "type", "not an allowed")),
    ("status-not-allowed", _set("Invoices", 1, "status", "paid"),
     ("error", "Invoices", 2, "status", "not an allowed")),
    ("currency-unknown", _set("Customers", 1, "currency", "XYZ"),
     ("error", "Customers", 2, "currency", "not a currency code")),
    ("ambiguous-text-date", _set("Payments", 1, "payment_date", "03/04/2026"),
     ("error", "Payments", 2, "payment_date", "ambiguous")),
    ("serial-in-1900-bug-zone", _set("Payments", 1, "payment_date", 45),
     ("error", "Payments", 2, "payment_date", "leap-year bug")),
    ("excel-error-in-amount", _set("Payments", 2, "amount", "#N/A"),
     ("error", "Payments", 3, "amount", "Excel error value")),
    ("decimal-comma-not-configured", _set("Payments", 2, "amount", "1.234,56"),
     ("error", "Payments", 3, "amount", "decimal comma")),
    ("payment-currency-differs", _set("Payments", 1, "currency", "EUR"),
     ("error", "Payments", 2, "currency", "differs from invoice I1")),
    ("bucket-edges-descending", _add("Settings", {"key": "bucket_edges", "value": "90,30"}),
     ("error", "Settings", 5, "value (bucket_edges)", "bucket edges")),
    ("setting-twice", _add("Settings", {"key": "company_name", "value": "Other"}),
     ("error", "Settings", 5, "key", "set twice")),
    ("duplicate-header", _rename_header("Payments", "reference", "Amount"),
     ("error", "Payments", 1, "amount", "duplicate header")),
    ("adjustment-over-reduces", _add("Adjustments", {
        "adjustment_id": "A2", "invoice_id": "I1", "date": D(2026, 3, 1), "type": "write_off", "amount": 150.0}),
     ("error", "Adjustments", 3, "amount", "beyond its amount")),
    ("action-not-allowed", _set("Activity", 1, "action", "visit"),
     ("error", "Activity", 2, "action", "not an allowed")),
    ("application-negative", _set("Applications", 1, "amount", -10.0),
     ("error", "Applications", 2, "amount", "not positive")),
    ("credit-note-other-customer", _set("Invoices", 3, "applies_to", "I2"),
     ("error", "Invoices", 4, "applies_to", "another customer")),
    ("credit-limit-negative", _set("Customers", 1, "credit_limit", -100.0),
     ("error", "Customers", 2, "credit_limit", "negative")),
    ("terms-fractional", _set("Customers", 1, "terms_days", 30.5),
     ("error", "Customers", 2, "terms_days", "not a whole number")),
    ("payment-for-other-customers-invoice", _set("Payments", 2, "invoice_id", "I1"),
     ("error", "Payments", 3, "invoice_id", "belongs to customer C1")),
    ("ref-error-in-id", _set("Invoices", 1, "customer_id", "#REF!"),
     ("error", "Invoices", 2, "customer_id", "Excel error value")),
    ("bool-not-yes-no", _set("Customers", 1, "on_hold", "maybe"),
     ("error", "Customers", 2, "on_hold", "not yes or no")),
]


def _load(tmp_path: Path, tables: Tables, **kwargs: object):
    return load_book(write_book(tmp_path / "book.xlsx", tables, **kwargs))


def test_base_book_is_clean(tmp_path: Path) -> None:
    result = _load(tmp_path, base())
    assert result.problems == []
    assert result.ok


@pytest.mark.parametrize(("mutation", "expected"), [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_reported_where_it_is(tmp_path: Path, mutation, expected) -> None:
    tables = base()
    mutation(tables)
    result = _load(tmp_path, tables)
    severity, sheet, row, column, words = expected
    matches = [p for p in result.problems
               if (p.severity, p.sheet, p.row, p.column) == (severity, sheet, row, column) and words in p.message]
    assert matches, "\n".join(str(p) for p in result.problems)
    assert not result.ok
    text = str(matches[0])
    assert text.startswith(f"{sheet} row {row}, {column}")


def test_corpus_has_at_least_25_distinct_cases() -> None:
    assert len({case[0] for case in BAD_INPUTS}) >= 25
    assert len({(*case[2][:4], case[2][4]) for case in BAD_INPUTS}) == len(BAD_INPUTS)


def test_all_problems_are_reported_not_only_the_first(tmp_path: Path) -> None:
    tables = base()
    _set("Invoices", 1, "invoice_date", "31/02/2026")(tables)
    _set("Invoices", 2, "amount", "abc")(tables)
    _set("Payments", 2, "customer_id", "C9")(tables)
    result = _load(tmp_path, tables)
    located = {(p.sheet, p.row, p.column) for p in result.errors}
    assert {("Invoices", 2, "invoice_date"), ("Invoices", 3, "amount"), ("Payments", 3, "customer_id")} <= located


def test_missing_required_table_is_an_error(tmp_path: Path) -> None:
    tables = base()
    _drop("Invoices")(tables)
    result = _load(tmp_path, tables)
    assert any(p.sheet == "Invoices" and "no Invoices table" in p.message for p in result.errors)


def test_merged_cells_in_data_rows_are_an_error(tmp_path: Path) -> None:
    result = _load(tmp_path, base(), merges={"Customers": "B3:C3"})
    assert any(p.sheet == "Customers" and p.row == 3 and "merged" in p.message for p in result.errors)


# --- interpretable quirks: load with a warning and the right value ------------------------------------------

def _warned(result, sheet: str, row: int, column: str, words: str) -> None:
    assert any(p.severity == "warning" and (p.sheet, p.row, p.column) == (sheet, row, column)
               and words in p.message for p in result.problems), "\n".join(str(p) for p in result.problems)


def test_iso_date_typed_as_text(tmp_path: Path) -> None:
    tables = base()
    _set("Invoices", 1, "invoice_date", "2026-01-05")(tables)
    result = _load(tmp_path, tables)
    assert result.ok
    _warned(result, "Invoices", 2, "invoice_date", "typed as text")
    assert result.ledger.invoices.loc[0, "invoice_date"] == np.datetime64("2026-01-05")


@pytest.mark.parametrize(("order", "text", "expected"), [("dmy", "03/04/2026", "2026-04-03"),
                                                         ("mdy", "03/04/2026", "2026-03-04"),
                                                         ("", "25/12/2025", "2025-12-25"),
                                                         ("", "04/04/2026", "2026-04-04"),
                                                         ("", "3 Apr 2026", "2026-04-03"),
                                                         ("mdy", "Feb 1st, 2026", "2026-02-01"),
                                                         ("dmy", "01.02.2026 09:30", "2026-02-01")])
def test_text_dates_follow_date_order(tmp_path: Path, order: str, text: str, expected: str) -> None:
    tables = base()
    if order:
        _add("Settings", {"key": "date_order", "value": order})(tables)
    _set("Payments", 1, "payment_date", text)(tables)
    result = _load(tmp_path, tables)
    assert result.ok, result.errors
    _warned(result, "Payments", 2, "payment_date", "typed as text")
    assert result.ledger.payments.loc[0, "payment_date"] == np.datetime64(expected)


def test_date_serial_without_format(tmp_path: Path) -> None:
    tables = base()
    # 2026-01-05 is serial 46027: (2026-01-05 - 1899-12-30) days
    serial = (dt.date(2026, 1, 5) - dt.date(1899, 12, 30)).days
    _set("Invoices", 1, "invoice_date", serial)(tables)
    result = _load(tmp_path, tables)
    assert result.ok
    _warned(result, "Invoices", 2, "invoice_date", "without a date format")
    assert result.ledger.invoices.loc[0, "invoice_date"] == np.datetime64("2026-01-05")


def test_1904_date_system_serials_and_dates(tmp_path: Path) -> None:
    tables = base()
    serial_1904 = (dt.date(2026, 1, 5) - dt.date(1904, 1, 1)).days
    _set("Invoices", 1, "invoice_date", serial_1904)(tables)
    result = _load(tmp_path, tables, date1904=True)
    assert result.ok, result.errors
    invoices = result.ledger.invoices.set_index("invoice_id")
    assert invoices.loc["I1", "invoice_date"] == np.datetime64("2026-01-05")
    assert invoices.loc["I2", "invoice_date"] == np.datetime64("2026-02-01")  # a formatted date cell


def test_datetime_keeps_the_date(tmp_path: Path) -> None:
    tables = base()
    _set("Invoices", 1, "invoice_date", dt.datetime(2026, 1, 5, 17, 45))(tables)
    result = _load(tmp_path, tables)
    _warned(result, "Invoices", 2, "invoice_date", "time of day")
    assert result.ledger.invoices.loc[0, "invoice_date"] == np.datetime64("2026-01-05")


@pytest.mark.parametrize(("typed", "cents"), [("$1,234.56", 123456), ("(250.00)", -25000), ("USD 99.5", 9950),
                                              ("€ 12", 1200), ("1,000,000", 100000000), ("usd 99.5", 9950),
                                              ("1'234.56", 123456), ("250.00-", -25000)])
def test_money_as_text(tmp_path: Path, typed: str, cents: int) -> None:
    tables = base()
    _set("Payments", 2, "amount", typed)(tables)
    _set("Applications", 1, "amount", 1.0)(tables)
    result = _load(tmp_path, tables)
    _warned(result, "Payments", 3, "amount", "typed as text")
    assert result.ledger.payments.loc[1, "amount"] == cents


@pytest.mark.parametrize(("typed", "decimal_comma", "message"), [
    ("(-250.00)", "no", "is not a number"),  # two signs: refused, not guessed
    ("12 34", "no", "is not a number"),  # a thousands group of two digits
    ("ABC 12", "no", "is not a number"),  # no ISO 4217 code
    ("12,50", "no", "is not a number (decimal comma: set decimal_comma to yes in Settings)"),
    ("1,234.56", "yes", "is not a number (decimal point: set decimal_comma to no in Settings)"),
])
def test_text_amounts_refused_name_the_setting_that_would_read_them(tmp_path: Path, typed: str,
                                                                    decimal_comma: str, message: str) -> None:
    tables = base()
    _add("Settings", {"key": "decimal_comma", "value": decimal_comma})(tables)
    _set("Payments", 2, "amount", typed)(tables)
    result = _load(tmp_path, tables)
    assert [(p.row, p.column, p.value, p.message) for p in result.errors] == [(3, "amount", typed, message)]


def test_a_text_date_not_in_the_configured_order_says_which_order(tmp_path: Path) -> None:
    tables = base()
    _add("Settings", {"key": "date_order", "value": "mdy"})(tables)
    _set("Payments", 1, "payment_date", "25/01/2026")(tables)  # month 25
    result = _load(tmp_path, tables)
    assert [str(p) for p in result.errors] == [
        'Payments row 2, payment_date: "25/01/2026" is not a date (expected a month/day/year date such as '
        "02/28/2026, as Settings date_order says)"]


def test_decimal_comma_when_configured(tmp_path: Path) -> None:
    tables = base()
    _add("Settings", {"key": "decimal_comma", "value": "yes"})(tables)
    _set("Payments", 2, "amount", "1.234,56")(tables)
    result = _load(tmp_path, tables)
    assert result.ok, result.errors
    assert result.ledger.payments.loc[1, "amount"] == 123456


def test_sub_cent_amount_is_rounded_half_away_from_zero_with_warning(tmp_path: Path) -> None:
    tables = base()
    _set("Invoices", 1, "amount", 1.005)(tables)  # Excel's ROUND(1.005, 2) = 1.01
    _set("Invoices", 2, "amount", -0.125)(tables)
    _set("Invoices", 2, "type", "credit_note")(tables)
    _set("Invoices", 3, "applies_to", "")(tables)
    tables["Applications"] = [tables["Applications"][0]]
    tables["Adjustments"] = [tables["Adjustments"][0]]
    _set("Payments", 1, "invoice_id", "")(tables)
    result = _load(tmp_path, tables)
    _warned(result, "Invoices", 2, "amount", "rounded to 1.01")
    assert result.ledger.invoices.loc[0, "amount"] == 101
    assert result.ledger.invoices.loc[1, "amount"] == -13


def test_ids_are_trimmed_and_keep_case_and_zeros(tmp_path: Path) -> None:
    tables = base()
    _set("Customers", 1, "customer_id", " C1\u00a0")(tables)
    _add("Customers", {"customer_id": "00123", "name": "Zero Ltd"})(tables)
    _add("Customers", {"customer_id": "123", "name": "Plain Ltd"})(tables)
    _add("Customers", {"customer_id": "NA", "name": "North America Inc"})(tables)
    result = _load(tmp_path, tables)
    assert result.ok, result.errors
    _warned(result, "Customers", 2, "customer_id", 'read as "C1"')
    _warned(result, "Customers", 4, "customer_id", "different ids")
    assert list(result.ledger.customers["customer_id"]) == ["C1", "C2", "00123", "123", "NA"]


def test_blank_row_inside_table_is_skipped_and_later_rows_read(tmp_path: Path) -> None:
    tables = base()
    tables["Payments"].insert(2, [None] * len(tables["Payments"][0]))
    result = _load(tmp_path, tables)
    assert result.ok, result.errors
    _warned(result, "Payments", 3, "", "blank row")
    payments = result.ledger.payments
    assert list(payments["payment_id"]) == ["P1", "P2"]
    assert list(payments["row"]) == [2, 4]


def test_sheet_without_excel_table_is_read_with_a_warning(tmp_path: Path) -> None:
    result = _load(tmp_path, base(), as_tables=False)
    assert result.ok, result.errors
    assert any("holds no Excel Table" in p.message and p.sheet == "Invoices" for p in result.warnings)
    assert len(result.ledger.invoices) == 3


def test_header_with_stray_spaces_and_case(tmp_path: Path) -> None:
    tables = base()
    _rename_header("Invoices", "invoice_date", " Invoice Date ")(tables)
    result = _load(tmp_path, tables)
    assert result.ok, result.errors
    _warned(result, "Invoices", 1, "invoice_date", "stray spaces")


def test_defaults_are_resolved(tmp_path: Path) -> None:
    result = _load(tmp_path, base())
    invoices = result.ledger.invoices.set_index("invoice_id")
    # I1: C1 has 30 days' terms: 2026-01-05 + 30 = 2026-02-04
    assert invoices.loc["I1", "due_date"] == np.datetime64("2026-02-04")
    assert invoices.loc["CN1", "type"] == "credit_note" and invoices.loc["CN1", "amount"] == -2000
    customers = result.ledger.customers.set_index("customer_id")
    assert customers.loc["C2", "currency"] == "USD"
    assert result.ledger.settings.as_of == dt.date(2026, 3, 31)
    assert result.ledger.settings.company_name == "Test Co"


def test_void_invoices_are_set_apart(tmp_path: Path) -> None:
    tables = base()
    _set("Invoices", 3, "status", "void")(tables)
    result = _load(tmp_path, tables)
    assert result.ok, result.errors
    assert list(result.ledger.invoices["invoice_id"]) == ["I1", "I2"]
    assert list(result.ledger.voided["invoice_id"]) == ["CN1"]


def test_positive_credit_note_is_stored_negative(tmp_path: Path) -> None:
    tables = base()
    _set("Invoices", 3, "amount", 20.0)(tables)
    result = _load(tmp_path, tables)
    assert result.ok
    assert result.ledger.invoices.loc[2, "amount"] == -2000


def test_rows_from_a_udf_range_load_like_a_sheet() -> None:
    """UDFs hand over lists of rows with the header first, None for empty cells."""
    raw = {name: raw_table_from_rows(name, rows) for name, rows in base().items()}
    raw["Invoices"] = RawTable("Invoices", raw["Invoices"].header,
                               [[None if v == "" else v for v in row] for row in raw["Invoices"].rows])
    result = load_tables(raw)
    assert result.ok, result.errors
    assert list(result.ledger.invoices["amount"]) == [10000, 25050, -2000]


def test_dunning_levels_must_rise(tmp_path: Path) -> None:
    tables = base()
    tables["DunningLevels"] = [["level", "min_days", "name", "fee"], [1, 1, "Reminder", 0], [2, 30, "Second", 15],
                               [3, 20, "Final", 25], [3, 90, "Again", 0]]
    result = _load(tmp_path, tables)
    located = {(p.sheet, p.row, p.column) for p in result.errors}
    assert ("DunningLevels", 4, "min_days") in located  # 20 days is below level 2's 30
    assert ("DunningLevels", 5, "level") in located and ("DunningLevels", 4, "level") in located
    levels = result.ledger.dunning_levels
    assert list(levels["fee"][:2]) == [0, 1500]


def test_assertions_are_loaded_in_minor_units(tmp_path: Path) -> None:
    tables = base()
    tables["Assertions"] = [["customer_id", "date", "balance", "note"], ["C1", D(2026, 3, 31), 30.0, "confirmed"],
                            ["C9", D(2026, 3, 31), 1.0, ""]]
    result = _load(tmp_path, tables)
    assert [(p.sheet, p.row, p.column) for p in result.errors] == [("Assertions", 3, "customer_id")]
    assert list(result.ledger.assertions["balance"]) == [3000, 100]
