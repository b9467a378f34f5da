"""The two ways a workbook file is read give the same ledger and the same problems.

Clean Excel Tables are read by fastexcel as typed Arrow columns; odd ones (mixed cell types, error cells, text that
fastexcel would take for an empty cell) by python-calamine as cell values. These tests write real .xlsx files and
compare ``read_raw_tables(typed=True)`` with ``typed=False`` through the loader, and check that the fast path is
really taken where it should be.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from books import base, write_book
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.worksheet.table import Table

from arxl.load import LoadResult, load_tables
from arxl.workbook import load_book, read_raw_tables
from arxl.workbook.read import NA_TEXTS

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted(path for path in (ROOT / "tests" / "corpus").glob("*.xlsx") if not path.name.startswith("hostile"))
D = dt.date


def _load(path: Path, typed: bool) -> tuple[LoadResult, dict]:
    raw, date1904, found = read_raw_tables(path, typed=typed)
    result = load_tables(raw, date1904=date1904)
    return LoadResult(result.ledger, sorted(found + result.problems, key=str)), raw


def assert_same_either_way(path: Path) -> dict:
    """Both readers give equal problems and equal ledger frames; returns the typed read's raw tables."""
    (fast, raw), (cells, _) = _load(path, True), _load(path, False)
    assert [str(problem) for problem in fast.problems] == [str(problem) for problem in cells.problems]
    for field in dataclasses.fields(fast.ledger):
        mine, theirs = getattr(fast.ledger, field.name), getattr(cells.ledger, field.name)
        if isinstance(mine, pd.DataFrame):
            pd.testing.assert_frame_equal(mine, theirs, obj=field.name)
        else:
            assert mine == theirs, field.name
    return raw


def typed_tables(raw: dict) -> set[str]:
    return {name for name, table in raw.items() if table.typed is not None}


def test_the_demo_book_is_read_typed_and_gives_what_the_cell_reader_gives() -> None:
    raw = assert_same_either_way(ROOT / "workbooks" / "demo.xlsx")
    assert {"Customers", "Invoices", "Payments", "Applications", "Adjustments", "Activity"} <= typed_tables(raw)


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_every_corpus_book_gives_the_same_problems_either_way(path: Path) -> None:
    assert_same_either_way(path)


# fastexcel's own list of "no value" texts, and others near them that it reads as text.
LOOKS_EMPTY = [*NA_TEXTS, "none", "nil", "-", "N.A.", "NA ", "Null"]


@pytest.mark.parametrize("text", LOOKS_EMPTY)
def test_text_that_looks_empty_in_a_number_or_date_column_is_still_reported(tmp_path: Path, text: str) -> None:
    tables = base()
    tables["Invoices"][2][3] = text  # I2's amount
    tables["Payments"][1][2] = text  # P1's date
    path = write_book(tmp_path / "book.xlsx", tables)
    assert_same_either_way(path)
    messages = {(p.sheet, p.row, p.column, p.value, p.message) for p in load_book(path).problems}
    assert ("Invoices", 3, "amount", text, "is not a number") in messages or \
        ("Invoices", 3, "amount", text, "is an Excel error value") in messages  # "#N/A" typed as text
    assert ("Payments", 2, "payment_date", text, "is not a date") in messages or \
        ("Payments", 2, "payment_date", text, "is an Excel error value") in messages


def test_an_error_cell_in_an_otherwise_clean_table_is_reported(tmp_path: Path) -> None:
    tables = base()
    tables["Invoices"][1][3] = "#DIV/0!"  # openpyxl writes a known error code as an error cell
    path = tmp_path / "book.xlsx"
    write_book(path, tables)
    book = _rewrite_as_error_cell(path, "Invoices", "D2")
    problems = load_book(book).problems
    assert any((p.sheet, p.row, p.column, p.message) == ("Invoices", 2, "amount", "is an Excel error value")
               for p in problems)
    assert_same_either_way(book)


def _rewrite_as_error_cell(path: Path, sheet: str, cell: str) -> Path:
    from openpyxl import load_workbook

    book = load_workbook(path)
    book[sheet][cell].value = "#DIV/0!"
    book[sheet][cell].data_type = "e"
    out = path.with_name("errors.xlsx")
    book.save(out)
    assert b't="e"' in _sheet_xml(out, sheet)
    return out


def _sheet_xml(path: Path, sheet: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        names = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        return b"".join(archive.read(name) for name in names)


def test_numeric_ids_and_times_of_day_read_the_same_either_way(tmp_path: Path) -> None:
    tables = base()
    tables["Customers"] = [tables["Customers"][0], [1001, "Acme", "", 30, 5000, "USD", "no"],
                           [1002, "Beta", "", 15, None, "", ""]]
    for row, customer in zip(tables["Invoices"][1:], [1001, 1002, 1001], strict=True):
        row[1] = customer
    for row, customer in zip(tables["Payments"][1:], [1001, 1002], strict=True):
        row[1] = customer
    tables["Activity"][1][1] = 1002
    tables["Invoices"][1][2] = dt.datetime(2026, 1, 5, 14, 30)
    path = write_book(tmp_path / "book.xlsx", tables)
    assert_same_either_way(path)
    result = load_book(path)
    assert result.ok, result.errors
    assert list(result.ledger.customers["customer_id"]) == ["1001", "1002"]
    assert any(p.message == "has a time of day; the date is kept" for p in result.problems)


def test_a_table_away_from_a1_names_the_right_rows(tmp_path: Path) -> None:
    path = write_book(tmp_path / "book.xlsx", base())
    from openpyxl import load_workbook

    book = load_workbook(path)
    old = book["Payments"]
    moved = book.create_sheet("Receipts")
    rows = [[cell.value for cell in row] for row in old.iter_rows()]
    book.remove(old)
    for offset, row in enumerate(rows):
        for column, value in enumerate(row):
            moved.cell(row=5 + offset, column=3 + column, value=value)
            if isinstance(value, dt.date):
                moved.cell(row=5 + offset, column=3 + column).number_format = "yyyy-mm-dd"
    moved.cell(row=7, column=3 + 3, value="lots")  # P2's amount: Excel row 7, column F
    moved.add_table(Table(displayName="Payments", ref="C5:H7"))
    book.save(path)
    raw = assert_same_either_way(path)
    assert "Payments" not in typed_tables(raw)  # text among the amounts: read as cells, and row 7 is named
    problems = load_book(path).problems
    assert any((p.sheet, p.row, p.column, p.value) == ("Receipts", 7, "amount", "lots") for p in problems)


def test_a_clean_table_away_from_a1_is_read_typed_with_its_rows(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Customers"
    header = ["customer_id", "name", "terms_days"]
    rows = [["C1", "Acme", 30], ["", "", None], ["C2", "", 15]]
    for offset, row in enumerate([header, *rows]):
        for column, value in enumerate(row):
            sheet.cell(row=3 + offset, column=2 + column, value=value)
    sheet.add_table(Table(displayName="Customers", ref="B3:D6"))
    path = tmp_path / "book.xlsx"
    book.save(path)
    raw = assert_same_either_way(path)
    assert "Customers" in typed_tables(raw)
    problems = {(p.sheet, p.row, p.column, p.message) for p in load_book(path).problems}
    assert ("Customers", 5, "", "blank row inside the table is skipped") in problems
    assert ("Customers", 6, "name", "is required but empty") in problems


# --- property: whatever a column holds, both readers agree ----------------------------------------------------

CELLS = st.one_of(
    st.none(),
    st.just(""),
    st.just(" "),
    st.text(alphabet="abcXYZ019 -/.,$()#\u00a0", max_size=10),
    st.sampled_from(["NA", "null", "n/a", "None", "nan", "#N/A", " C1", "C1 ", "00123", "$1,234.56", "(250.00)",
                     "31/02/2026", "03/04/2026", "2026-02-28", "yes", "invoice", "credit_note", "void", "usd",
                     "EUR", "XYZ", "C1", "C2", "I1", "P1"]),
    st.floats(min_value=-1e16, max_value=1e16, allow_nan=False),
    st.integers(min_value=-10**6, max_value=10**6),
    st.booleans(),
    st.dates(min_value=D(1900, 3, 1), max_value=D(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
)
COLUMN = st.one_of(  # mostly one kind of cell per column, as real tables are, with now and then a stray
    st.lists(st.sampled_from(["C1", "C2", " C1", "I1"]), min_size=3, max_size=3),
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.none(), min_size=3, max_size=3),
    st.lists(st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 1, 1)) | st.none(), min_size=3, max_size=3),
    st.lists(CELLS, min_size=3, max_size=3),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=st.lists(COLUMN, min_size=8, max_size=8))
def test_both_readers_agree_on_any_invoices_table(tmp_path: Path, columns: list[list[object]]) -> None:
    tables = base()
    header = tables["Invoices"][0]
    tables["Invoices"] = [header] + [[column[row] for column in columns] for row in range(3)]
    assert_same_either_way(write_book(tmp_path / "book.xlsx", tables))


def test_text_that_looks_empty_as_an_inline_string_is_still_reported(tmp_path: Path) -> None:
    """Books written by arxl itself (and some other tools) hold text inline in the sheet, not shared."""
    path = write_book(tmp_path / "book.xlsx", base())
    inline = _inline_string(path, "Invoices", "D3", "null")
    assert_same_either_way(inline)
    expected = ("Invoices", 3, "amount", "null", "is not a number")
    assert any((p.sheet, p.row, p.column, p.value, p.message) == expected
               for p in load_book(inline).problems)


def _inline_string(path: Path, sheet: str, cell: str, text: str) -> Path:
    """A copy of ``path`` whose ``cell`` holds ``text`` as an inline string (openpyxl writes shared ones)."""
    import re
    import zipfile

    from arxl.workbook.read import table_sources

    part = next(source.part for source in table_sources(path) if source.sheet == sheet)
    out = path.with_name("inline.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == part:
                data, count = re.subn(rb'<c r="' + cell.encode() + rb'"[^>]*?(?:/>|>.*?</c>)',
                                      b'<c r="' + cell.encode() + b'" t="inlineStr"><is><t>' + text.encode()
                                      + b"</t></is></c>", data, count=1)
                assert count == 1
            target.writestr(item, data)
    return out
