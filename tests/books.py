"""Building real .xlsx workbooks in tests, the way a user would have typed them (openpyxl, Excel Tables)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table

D = dt.date

# A small, valid book: every table with a row or two. Tests copy it and break one thing.
BASE: dict[str, list[list[object]]] = {
    "Settings": [
        ["key", "value"],
        ["company_name", "Test Co"],
        ["reporting_currency", "USD"],
        ["as_of", D(2026, 3, 31)],
    ],
    "Customers": [
        ["customer_id", "name", "email", "terms_days", "credit_limit", "currency", "on_hold"],
        ["C1", "Acme Ltd", "ap@acme.test", 30, 5000, "USD", "no"],
        ["C2", "Beta GmbH", "", 15, None, "", ""],
    ],
    "Invoices": [
        ["invoice_id", "customer_id", "invoice_date", "amount", "due_date", "type", "applies_to", "status"],
        ["I1", "C1", D(2026, 1, 5), 100.0, None, "", "", ""],
        ["I2", "C2", D(2026, 2, 1), 250.5, D(2026, 2, 16), "invoice", "", ""],
        ["CN1", "C1", D(2026, 1, 20), -20.0, None, "credit_note", "I1", ""],
    ],
    "Payments": [
        ["payment_id", "customer_id", "payment_date", "amount", "invoice_id", "reference"],
        ["P1", "C1", D(2026, 2, 1), 50.0, "I1", ""],
        ["P2", "C2", D(2026, 2, 10), 100.0, "", "for I2"],
    ],
    "Applications": [
        ["payment_id", "invoice_id", "amount", "date"],
        ["P2", "I2", 100.0, None],
    ],
    "Adjustments": [
        ["adjustment_id", "invoice_id", "date", "type", "amount", "reason"],
        ["A1", "I2", D(2026, 3, 1), "discount", 5.0, "early payment"],
    ],
    "Activity": [
        ["date", "customer_id", "invoice_id", "action", "promised_date", "promised_amount", "note"],
        [D(2026, 3, 2), "C2", "I2", "promise", D(2026, 3, 15), 145.5, "will pay"],
    ],
}


def base() -> dict[str, list[list[object]]]:
    return copy.deepcopy(BASE)


def write_book(path: Path, tables: dict[str, list[list[object]]], *, as_tables: bool = True,
               date1904: bool = False, formats: dict[tuple[str, int, int], str] | None = None,
               merges: dict[str, str] | None = None) -> Path:
    """Write each table (header row first) on its own sheet, as an Excel Table unless told otherwise.

    Dates get a date number format like Excel gives them; ``formats`` overrides a cell's format by
    (sheet, excel_row, excel_column); ``merges`` merges a range on a sheet.
    """
    book = Workbook()
    book.remove(book.active)
    if date1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        book.epoch = CALENDAR_MAC_1904
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        width = max(len(row) for row in rows)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        for (sheet_name, r, c), number_format in (formats or {}).items():
            if sheet_name == name:
                sheet.cell(row=r, column=c).number_format = number_format
        if as_tables:
            sheet.add_table(Table(displayName=name.replace(" ", "_"),
                                  ref=f"A1:{get_column_letter(width)}{max(len(rows), 2)}"))
        if merges and name in merges:
            sheet.merge_cells(merges[name])
    book.save(path)
    return path


def put_formulas(path: Path, formulas: dict[str, dict[str, str]]) -> Path:
    """Write formulas (``{"Invoices": {"E2": "=C2+90"}}``) into a book with openpyxl, which, like every script
    that does not calculate, saves them without a value."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    for sheet, cells in formulas.items():
        for where, formula in cells.items():
            book[sheet][where] = formula
    book.save(path)
    return path


def write_book_xlsxwriter(path: Path, tables: dict[str, list[list[object]]],
                          formulas: dict[str, dict[str, str]] | None = None) -> Path:
    """The same book as ``write_book`` written by XlsxWriter: every table an Excel Table, dates formatted, and
    ``formulas`` (by sheet and cell) saved as XlsxWriter saves them: with the value 0."""
    import xlsxwriter
    from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in tables.items():
        sheet = book.add_worksheet(name)
        width = max(len(row) for row in rows)
        last = max(len(rows), 2) - 1
        sheet.add_table(0, 0, last, width - 1, {"name": name.replace(" ", "_"),
                                                "columns": [{"header": str(header)} for header in rows[0]]})
        for r, row in enumerate(rows[1:], start=1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date_format)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif value is not None:
                    sheet.write_number(r, c, value)
        for where, formula in (formulas or {}).get(name, {}).items():
            row, column = xl_cell_to_rowcol(where)
            sheet.write_formula(xl_rowcol_to_cell(row, column), formula)
    book.close()
    return path


def libreoffice_saved(path: Path, folder: Path) -> Path:
    """``path`` opened and saved as .xlsx by LibreOffice headless (which calculates every formula and saves its
    value); skips the test where LibreOffice is missing, except in CI."""
    import os
    import shutil
    import subprocess

    import pytest

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) must be installed in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    out = folder / "libreoffice"
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless",
                          "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
                         capture_output=True, text=True, timeout=240, check=False)
    saved = out / (path.stem + ".xlsx")
    assert run.returncode == 0 and saved.exists(), run.stderr
    return saved
