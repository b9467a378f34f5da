"""Money leaving arxl as float major units with each currency's own minor digits (ISO 4217: JPY 0, USD 2,
KWD 3): the conversion itself, a refreshed workbook read back with openpyxl, and the worksheet functions over
the same tables."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import arxl_udfs as udf
import numpy as np
import openpyxl
from click.testing import CliRunner

from arxl.cli import main
from arxl.money import to_major_float, to_major_floats
from tests.books import write_book

AS_OF = dt.datetime(2026, 3, 31)


def test_each_value_is_divided_by_its_own_currency_unit() -> None:
    # 12345 minor units: 123.45 dollars, 12,345 yen, 12.345 dinars.
    values = to_major_floats(np.array([12345, 12345, 12345, -5]), np.array(["USD", "JPY", "KWD", "kwd"]))
    assert values.tolist() == [123.45, 12345.0, 12.345, -0.005]
    assert to_major_floats(np.array([12345, 7]), "JPY").tolist() == [12345.0, 7.0]
    assert to_major_float(12345, "KWD") == 12.345
    assert to_major_float(np.int64(-101), "USD") == -1.01


def test_blanks_stay_blank_and_nothing_in_gives_nothing_out() -> None:
    values = to_major_floats(np.array([np.nan, 250.0]), np.array(["JPY", "KWD"]))
    assert math.isnan(values[0]) and values[1] == 0.25
    assert to_major_floats(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)).tolist() == []


CUSTOMERS = {"JPY": ["C1", "Tokyo KK", 30, "JPY"], "KWD": ["C2", "Kuwait WLL", 30, "KWD"]}
INVOICES = {"JPY": ["I1", "C1", dt.datetime(2026, 1, 5), 150000.0],
            "KWD": ["I2", "C2", dt.datetime(2026, 3, 1), 1234.567]}
PAYMENTS = {"JPY": ["P1", "C1", dt.datetime(2026, 2, 10), 50000.0, "I1"],
            "KWD": ["P2", "C2", dt.datetime(2026, 3, 10), 0.5, "I2"]}


def _tables(reporting: str, currencies: tuple[str, ...], rates: dict[str, float] | None = None
            ) -> dict[str, list[list[object]]]:
    """A yen customer and/or a dinar customer, as of 2026-03-31.

    C1 (JPY): invoice 150,000 yen dated 2026-01-05, 30 days' terms -> due 2026-02-04, 55 days past due at
    2026-03-31 (bucket 31-60); paid 50,000 yen -> open 100,000 yen.
    C2 (KWD): invoice 1,234.567 dinars dated 2026-03-01 -> due 2026-03-31, current; paid 0.500 -> open
    1,234.067 dinars.
    """
    tables: dict[str, list[list[object]]] = {
        "Settings": [["key", "value"], ["company_name", "Test Co"], ["reporting_currency", reporting],
                     ["as_of", AS_OF]],
        "Customers": [["customer_id", "name", "terms_days", "currency"],
                      *(CUSTOMERS[code] for code in currencies)],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount"],
                     *(INVOICES[code] for code in currencies)],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"],
                     *(PAYMENTS[code] for code in currencies)],
    }
    if rates:
        tables["FXRates"] = [["currency", "rate"], *([code, rate] for code, rate in rates.items())]
    return tables


def _sheet_rows(path: Path, name: str) -> list[dict[str, object]]:
    """The rows under the header row (the first row whose first cell is a column name) of a generated sheet."""
    sheet = openpyxl.load_workbook(path, data_only=True)[name]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    start = next(index for index, row in enumerate(rows) if row[0] in ("Customer ID", "Document"))
    header = rows[start]
    records = []
    for row in rows[start + 1:]:
        if row[0] is None:
            break
        records.append(dict(zip(header, row, strict=False)))
    return records


def _refreshed(folder: Path, tables: dict[str, list[list[object]]]) -> Path:
    folder.mkdir(exist_ok=True)
    path = write_book(folder / "book.xlsx", tables)
    result = CliRunner().invoke(main, ["refresh", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    return path


def test_a_refreshed_yen_book_has_whole_yen_and_a_dinar_book_has_fils(tmp_path: Path) -> None:
    yen = _refreshed(tmp_path / "yen", _tables("JPY", ("JPY",)))
    aging = {row["Customer ID"]: row for row in _sheet_rows(yen, "Aging")}
    assert (aging["C1"]["Currency"], aging["C1"]["31-60"], aging["C1"]["Total"]) == ("JPY", 100000.0, 100000.0)
    detail = {row["Document"]: row for row in _sheet_rows(yen, "Aging Detail")}
    assert (detail["I1"]["Original"], detail["I1"]["Open amount"]) == (150000.0, 100000.0)

    dinar = _refreshed(tmp_path / "dinar", _tables("KWD", ("KWD",)))
    aging = {row["Customer ID"]: row for row in _sheet_rows(dinar, "Aging")}
    assert (aging["C2"]["Currency"], aging["C2"]["Current"], aging["C2"]["Total"]) == ("KWD", 1234.067, 1234.067)
    detail = {row["Document"]: row for row in _sheet_rows(dinar, "Aging Detail")}
    assert (detail["I2"]["Original"], detail["I2"]["Open amount"]) == (1234.567, 1234.067)


def test_a_mixed_book_lists_each_item_in_its_own_digits(tmp_path: Path) -> None:
    # With rates the Aging converts into USD: 100,000 yen x 0.0067 = 670.00; 1,234.067 dinars x 3.25 =
    # 4,010.71775 -> 4,010.72. The detail keeps every item in its own currency and digits.
    path = _refreshed(tmp_path, _tables("USD", ("JPY", "KWD"), {"JPY": 0.0067, "KWD": 3.25}))
    aging = {row["Customer ID"]: row for row in _sheet_rows(path, "Aging")}
    assert {key: (row["Currency"], row["Total"]) for key, row in aging.items()} == {
        "C1": ("USD", 670.0), "C2": ("USD", 4010.72)}
    detail = {row["Document"]: row for row in _sheet_rows(path, "Aging Detail")}
    assert {key: (row["Currency"], row["Original"], row["Open amount"]) for key, row in detail.items()} == {
        "I1": ("JPY", 150000.0, 100000.0), "I2": ("KWD", 1234.567, 1234.067)}


def test_the_worksheet_functions_show_the_same_figures_as_the_sheets() -> None:
    tables = _tables("USD", ("JPY", "KWD"))
    data = {"invoices": tables["Invoices"], "payments": tables["Payments"], "customers": tables["Customers"],
            "settings": tables["Settings"]}
    assert udf.AR_BALANCE("C1", **data) == 100000.0
    assert udf.AR_BALANCE("C2", **data) == 1234.067
    aging = udf.AR_AGING(**data)
    assert aging[0][:3] == ["customer_id", "name", "currency"]
    assert {row[0]: (row[2], row[-1]) for row in aging[1:]} == {"C1": ("JPY", 100000.0), "C2": ("KWD", 1234.067)}
    items = udf.AR_OPEN_ITEMS("C2", **data)
    header = items[0]
    assert [(row[header.index("original")], row[header.index("open_amount")]) for row in items[1:]] == [
        (1234.567, 1234.067)]
    forecast = udf.AR_FORECAST(**data)
    currency, amount = forecast[0].index("currency"), forecast[0].index("amount")
    by_currency: dict[str, float] = {}
    for row in forecast[1:]:
        by_currency[row[currency]] = by_currency.get(row[currency], 0.0) + row[amount]
    # The lines add up to the open AR of each currency: every line is a whole number of yen or of fils.
    assert by_currency["JPY"] == 100000.0
    assert round(by_currency["KWD"], 3) == 1234.067
