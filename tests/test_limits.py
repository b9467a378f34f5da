"""Excel's limits wherever arxl writes (issue 13, item 5): an import or append that would cross them is refused
before anything is written, with the file's line; the loader refuses a book holding what Excel cannot; a
generated sheet is fitted, with a warning, and the sheet writer never writes past a limit."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import python_calamine as calamine
from books import base, write_book
from click.testing import CliRunner
from openpyxl.worksheet.table import Table

from arxl.cli import main
from arxl.contract import PAYMENTS
from arxl.errors import SaveRefused
from arxl.excel import MAX_CELL_TEXT, MAX_ROWS
from arxl.load import load_tables
from arxl.render.limits import fit_to_excel
from arxl.render.spec import Block, Cell, SheetSpec
from arxl.verbs.refresh import run_refresh
from arxl.workbook.append import append_rows
from arxl.workbook.book import FileBook
from arxl.workbook.read import read_raw_tables
from arxl.workbook.sheetxml import build_sheet, clean_texts
from arxl.workbook.styles import StyleTable

LONG = "x" * 40_006
TEMPLATE = Path(__file__).resolve().parent.parent / "workbooks" / "ar_template.xlsx"
TOO_LONG = "text of 40,006 characters is longer than Excel's 32,767"
AT_MOST = "(expected at most 32,767 characters, all a cell holds in Excel)"


def _import(book: Path, csv: Path) -> tuple[int, list[str]]:
    """The import's exit code on the command line, and the problems its plan names (as the table prints them)."""
    from arxl.verbs.books import file_book
    from arxl.verbs.importing import import_rows, mapping_for, read_rows

    planned = import_rows(file_book(book), read_rows(csv, mapping_for("payments")), dry_run=True)
    result = CliRunner().invoke(main, ["import", str(book), "--table", "payments", str(csv)])
    return result.exit_code, [str(problem) for problem in planned.problems]


def test_an_import_of_text_longer_than_a_cell_holds_is_refused_with_its_line(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    before = book.read_bytes()
    csv = tmp_path / "payments.csv"
    csv.write_text("payment_id,customer_id,payment_date,amount,reference\n"
                   "P9,C1,2026-03-20,10.00,cheque 114\n"
                   f"P10,C2,2026-03-21,20.00,{LONG}\n", encoding="utf-8")

    code, problems = _import(book, csv)

    assert code == 1 and problems == [f"payments.csv line 3, reference: {TOO_LONG} {AT_MOST}"]
    assert book.read_bytes() == before


def _book_ending_near_the_last_row(path: Path) -> Path:
    """base()'s book with its Payments table placed at the foot of the sheet: header on row 1,048,570, the two
    payments on rows 1,048,571-1,048,572 (an Excel Table may sit anywhere)."""
    tables = base()
    payments = tables.pop("Payments")
    write_book(path, tables)
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("Payments")
    top = MAX_ROWS - 6
    for offset, row in enumerate(payments):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=top + offset, column=column, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.add_table(Table(displayName="Payments", ref=f"A{top}:F{top + len(payments) - 1}"))
    book.save(path)
    return path


def test_an_import_past_the_last_row_of_the_sheet_is_refused_with_the_first_line_that_does_not_fit(
        tmp_path: Path) -> None:
    book = _book_ending_near_the_last_row(tmp_path / "book.xlsx")
    before = book.read_bytes()
    csv = tmp_path / "payments.csv"
    lines = [f"P{number},C1,2026-03-20,1.00" for number in range(10, 16)]  # file lines 2-7
    csv.write_text("payment_id,customer_id,payment_date,amount\n" + "\n".join(lines) + "\n", encoding="utf-8")

    code, problems = _import(book, csv)

    # The table's last row is 1,048,572: lines 2-5 land on 1,048,573-1,048,576, lines 6 and 7 would not fit.
    assert code == 1 and problems == [
        "payments.csv line 6: lies beyond Excel's last row (1,048,576): with it, 2 row(s) cannot be stored in "
        "the sheet (expected at most 1,048,576 rows a sheet: archive old documents, or start a new book)"]
    assert book.read_bytes() == before


def test_an_import_that_just_fits_lands_on_the_last_row(tmp_path: Path) -> None:
    book = _book_ending_near_the_last_row(tmp_path / "book.xlsx")
    csv = tmp_path / "payments.csv"
    lines = [f"P{number},C1,2026-03-20,1.00" for number in range(10, 14)]  # four rows: 1,048,573-1,048,576
    csv.write_text("payment_id,customer_id,payment_date,amount\n" + "\n".join(lines) + "\n", encoding="utf-8")

    code, problems = _import(book, csv)

    assert code == 0 and problems == []
    sheet = openpyxl.load_workbook(book)["Payments"]
    assert sheet.tables["Payments"].ref == "A1048570:F1048576" and sheet.cell(MAX_ROWS, 1).value == "P13"


def test_the_appender_itself_refuses_rows_past_the_last_row_and_overlong_text(tmp_path: Path) -> None:
    book = _book_ending_near_the_last_row(tmp_path / "book.xlsx")
    rows = pd.DataFrame({"payment_id": [f"P{n}" for n in range(10, 15)], "customer_id": ["C1"] * 5,
                         "payment_date": np.array(["2026-03-20"] * 5, dtype="datetime64[s]"),
                         "amount": [1.0] * 5})
    with pytest.raises(SaveRefused, match=r"Payments: 5 new row\(s\) from row 1048573 would end past Excel's "
                                          r"last row, 1,048,576; nothing was written"):
        append_rows(book, tmp_path / "out.xlsx", PAYMENTS, rows)
    with pytest.raises(SaveRefused, match=rf"Payments row 1048573, reference: {TOO_LONG}; nothing was written"):
        append_rows(book, tmp_path / "out.xlsx", PAYMENTS, rows.iloc[:1].assign(reference=[LONG]))
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize("typed", [True, False], ids=["fastexcel", "calamine"])
def test_a_book_holding_text_longer_than_a_cell_is_an_error(tmp_path: Path, typed: bool) -> None:
    tables = base()
    tables["Payments"][2][5] = LONG  # P2's reference, on row 3; openpyxl cuts it to 32,767 characters ...
    book = write_book(tmp_path / "book.xlsx", tables)
    with zipfile.ZipFile(book) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:  # ... a script writing the XML does not
        for name, data in parts.items():
            archive.writestr(name, data.replace(b"x" * MAX_CELL_TEXT, LONG.encode()))
    raw, date1904, _found = read_raw_tables(book, typed=typed)

    problems = [str(problem) for problem in load_tables(raw, date1904=date1904).problems]

    assert problems == [f"Payments row 3, reference: {TOO_LONG} {AT_MOST}"]


def test_generated_text_longer_than_a_cell_is_cut_with_a_warning() -> None:
    frame = pd.DataFrame({"Customer": pd.Series(["Acme", LONG], dtype="str"), "Open": [1.5, 2.5]})
    spec = SheetSpec("Aging Detail", cells={(1, 1): Cell("Open items"), (2, 1): Cell("y" * 33_000)},
                     blocks=(Block(4, 1, frame, ("text", "money")),))

    (fitted,), problems = fit_to_excel([spec])

    assert fitted.blocks[0].frame["Customer"].tolist() == ["Acme", "x" * MAX_CELL_TEXT]
    assert fitted.cells[(2, 1)].value == "y" * MAX_CELL_TEXT and fitted.cells[(1, 1)].value == "Open items"
    assert [str(problem) for problem in problems] == [
        "Aging Detail: 2 cell(s) held text longer than Excel's 32,767 characters and were cut to it; the input "
        "tables keep the whole text"]
    assert fit_to_excel([fitted]) == ([fitted], [])  # what fits is left as it is


def _styles() -> StyleTable:
    with zipfile.ZipFile(TEMPLATE) as archive:
        return StyleTable(archive.read("xl/styles.xml").decode("utf-8"))


def test_a_generated_listing_past_the_last_row_keeps_what_fits_and_says_so() -> None:
    top = MAX_ROWS - 6  # header on row 1,048,570, so data rows 1,048,571-1,048,576 would hold six
    frame = pd.DataFrame({"Document": [f"I{n}" for n in range(10)], "Open": np.arange(10, dtype=float)})
    spec = SheetSpec("Aging Detail", blocks=(Block(top, 1, frame, ("text", ("money",) * 10)),))

    (fitted,), problems = fit_to_excel([spec])

    # Five data rows (1,048,571-1,048,575) and the last row for the note: 10 - 5 = 5 rows left out.
    assert fitted.blocks[0].frame["Document"].tolist() == ["I0", "I1", "I2", "I3", "I4"]
    assert fitted.blocks[0].styles[1] == ("money",) * 5
    assert fitted.cells[(MAX_ROWS, 1)] == Cell("... and 5 more row(s): Excel's last row is 1,048,576; the full "
                                               "list: arxl export --what open-items", "cut")
    assert [str(problem) for problem in problems] == [
        "Aging Detail: lists the first 5 of 10 rows: Excel's last row is 1,048,576; the full list: arxl export "
        "--what open-items"]
    parts = build_sheet(fitted, _styles(), prefix="arxl-1", table_ids=[1])
    assert b'<dimension ref="A1:B1048576"/>' in parts.sheet
    with pytest.raises(ValueError, match="row 1,048,580 is beyond Excel's last row, 1,048,576"):
        build_sheet(spec, _styles(), prefix="arxl-1", table_ids=[1])


def test_the_sheet_writer_cuts_overlong_text_as_a_last_guard() -> None:
    cleaned = clean_texts(pd.Series(["a<b", LONG], dtype="str")).tolist()

    assert cleaned == ["a&lt;b", "x" * MAX_CELL_TEXT]


def test_no_cell_a_refresh_writes_is_longer_than_excel_allows(tmp_path: Path) -> None:
    """A customer name of exactly 32,767 characters is valid input; whatever a refresh builds from it (statement
    headings, the Aging rows) stays within a cell."""
    tables = base()
    tables["Customers"][1][1] = "N" * MAX_CELL_TEXT
    book = write_book(tmp_path / "book.xlsx", tables)

    result = run_refresh(FileBook(book), as_of=dt.date(2026, 3, 31), today=dt.date(2026, 3, 31))

    workbook = calamine.CalamineWorkbook.from_path(str(book))
    longest = max(len(str(value)) for name in result.sheets
                  for row in workbook.get_sheet_by_name(name).to_python() for value in row)
    workbook.close()
    assert longest == MAX_CELL_TEXT  # the name itself, whole, and nothing longer
