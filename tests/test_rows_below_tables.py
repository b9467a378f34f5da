"""Rows typed just below an input table (issue 13, item 4): Excel did not grow the table over them (auto-expand
undone or off), so arxl does not read them, and says so: a warning naming the rows, from both readers (a file
written by openpyxl, XlsxWriter or LibreOffice, and a live Excel book)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from books import D, base, libreoffice_saved, write_book
from click.testing import CliRunner
from xlfake import Book, add_table

from arxl.cli import main
from arxl.workbook import load_book
from arxl.workbook.xlbook import XlwingsBook

# base()'s Invoices table is A1:H4: a header and three invoices (rows 2-4); rows 5 and on lie below it.
TWO_BELOW = ('Invoices row 5: rows 5-6 are below the Invoices table and not read: extend the table to include '
             "them (expected the rows inside the table: drag its corner handle, or use Table Design > Resize "
             "Table)")


def _typed_below(path: Path, cells: dict[str, object]) -> Path:
    """Cells typed on the Invoices sheet outside the table, as a user does in Excel."""
    book = openpyxl.load_workbook(path)
    for where, value in cells.items():
        book["Invoices"][where] = value
    book.save(path)
    return path


TWO_INVOICES = {"A5": "I9", "B5": "C1", "C5": D(2026, 3, 2), "D5": 50.0, "A6": "I10", "B6": "C2", "D6": 60.0}


def test_two_invoices_typed_under_the_table_are_named(tmp_path: Path) -> None:
    book = _typed_below(write_book(tmp_path / "book.xlsx", base()), TWO_INVOICES)

    result = load_book(book)
    check = CliRunner().invoke(main, ["check", str(book)])

    assert [str(problem) for problem in result.problems] == [TWO_BELOW]
    assert result.ok and sorted(result.ledger.invoices["invoice_id"]) == ["CN1", "I1", "I2"]  # not read
    assert check.exit_code == 0 and "0 error(s), 1 warning(s)" in check.output


def test_one_row_under_the_table_is_named_alone(tmp_path: Path) -> None:
    book = _typed_below(write_book(tmp_path / "book.xlsx", base()), {"A5": "I9", "D5": 50.0})

    assert [problem.message for problem in load_book(book).problems] == [
        "row 5 is below the Invoices table and not read: extend the table to include it"]


def test_a_formula_without_a_value_under_the_table_counts(tmp_path: Path) -> None:
    book = _typed_below(write_book(tmp_path / "book.xlsx", base()), {"D5": "=SUM(D2:D4)"})

    assert [problem.row for problem in load_book(book).problems] == [5]


@pytest.mark.parametrize("cells", [
    {"A6": "I9", "D6": 50.0},  # after an empty row: not part of the table's block (a total, a note)
    {"J5": "my note", "K6": 12.5},  # beside the table's columns
], ids=["after-an-empty-row", "outside-the-columns"])
def test_what_is_not_right_under_the_table_is_left_alone(tmp_path: Path, cells: dict[str, object]) -> None:
    book = _typed_below(write_book(tmp_path / "book.xlsx", base()), cells)

    assert load_book(book).problems == []


def test_formatted_empty_rows_under_the_table_are_not_rows_typed(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    workbook = openpyxl.load_workbook(book)
    for row in range(5, 40):
        for column in range(1, 9):
            workbook["Invoices"].cell(row=row, column=column).number_format = "yyyy-mm-dd"
    workbook.save(book)

    assert load_book(book).problems == []


def test_rows_under_a_table_in_an_xlsxwriter_book_are_named(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "book.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in base().items():
        sheet = workbook.add_worksheet(name)
        data = [[value.isoformat() if hasattr(value, "isoformat") else value for value in row] for row in rows[1:]]
        sheet.add_table(0, 0, len(rows) - 1, len(rows[0]) - 1,
                        {"name": name, "data": data, "columns": [{"header": header} for header in rows[0]]})
        if name == "Invoices":
            sheet.write_row(4, 0, ["I9", "C1", "2026-03-02", 50.0])  # rows 5 and 6 (0-based 4 and 5)
            sheet.write_row(5, 0, ["I10", "C2", "2026-03-02", 60.0])
    workbook.close()

    below = [str(problem) for problem in load_book(path).problems if "below" in problem.message]

    assert below == [TWO_BELOW]


@pytest.mark.libreoffice
def test_rows_under_a_table_survive_a_libreoffice_save_and_are_named(tmp_path: Path) -> None:
    book = libreoffice_saved(_typed_below(write_book(tmp_path / "book.xlsx", base()), TWO_INVOICES), tmp_path)

    assert [str(problem) for problem in load_book(book).problems] == [TWO_BELOW]


def test_the_live_excel_book_names_rows_under_a_table_too() -> None:
    book = Book("live.xlsx")
    for name, rows in base().items():
        add_table(book, name, name, rows)
    sheet = book.sheets["Invoices"]
    for column, value in enumerate(["I9", "C1", D(2026, 3, 2), 50.0], start=1):
        sheet.set(5, column, value)
    for column, value in enumerate(["I10", "C2", D(2026, 3, 2), 60.0], start=1):
        sheet.set(6, column, value)
    sheet.set(8, 1, "a note after an empty row")

    _tables, _date1904, problems = XlwingsBook(book).read_tables()

    assert [str(problem) for problem in problems] == [TWO_BELOW]
