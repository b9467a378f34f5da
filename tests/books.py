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


def respell(path: Path, *, quote: str = "'", prefix: str = "x", spaced: bool = False, reverse: bool = False,
            char_refs: bool = False, pretty: bool = False, parts: tuple[str, ...] = (".xml", ".rels")) -> Path:
    """Rewrite ``path``'s XML parts in another valid spelling of the same XML, as other producers write it.

    Every element of a part's default namespace (SpreadsheetML in sheets, tables, styles and the workbook; the
    package namespaces in relationships and content types) gets the prefix ``prefix`` (declared on the root,
    which also keeps every other declaration the part had); attributes are quoted with ``quote`` (``'`` or
    ``"``), with ``spaced`` around their ``=`` and in reverse order with ``reverse``; with ``char_refs`` every
    character outside ASCII, in text and attributes, is written as a character reference (``&#233;``); with
    ``pretty`` elements that hold only elements are indented, with CRLF line ends after a byte-order mark, as
    some Windows tools write them (white space between elements means nothing in SpreadsheetML). The
    document is parsed and serialised anew (its meaning is unchanged); parts whose names end otherwise than
    ``parts`` are copied as they are.
    """
    import io
    import zipfile
    from xml.etree import ElementTree

    def escape(text: str, in_attribute: bool) -> str:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if in_attribute:
            text = text.replace(quote, "&apos;" if quote == "'" else "&quot;")
            text = text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
        else:
            text = text.replace("\r", "&#13;")
        if char_refs:
            text = "".join(char if char.isascii() else f"&#{ord(char)};" for char in text)
        return text

    def rewrite(data: bytes) -> bytes:
        declarations = [item for _event, item in ElementTree.iterparse(io.BytesIO(data), events=("start-ns",))]
        names = {uri: name for name, uri in declarations if name}  # namespace -> prefix ("" for none)
        for name, uri in declarations:
            if not name and uri not in names:  # a default namespace takes ``prefix`` (numbered if taken)
                taken = set(names.values())
                names[uri] = next(candidate for candidate in [prefix, *(f"{prefix}{n}" for n in range(1, 99))]
                                  if candidate not in taken) if prefix else ""
        names["http://www.w3.org/XML/1998/namespace"] = "xml"

        def qualified(tag: str) -> str:
            if not tag.startswith("{"):
                return tag
            uri, local = tag[1:].split("}", 1)
            return f"{names[uri]}:{local}" if names[uri] else local

        equals = " = " if spaced else "="

        def write(element: ElementTree.Element, out: list[str], top: bool, depth: int = 0) -> None:
            attributes = [(qualified(key), value) for key, value in element.attrib.items()]
            if top:
                attributes = [(f"xmlns:{name}" if name else "xmlns", uri) for uri, name in names.items()
                              if name != "xml"] + attributes
            if reverse:
                attributes.reverse()
            tag = qualified(element.tag)
            out.append(f"<{tag}" + "".join(f" {key}{equals}{quote}{escape(value, True)}{quote}"
                                           for key, value in attributes))
            if element.text is None and not len(element):
                out.append("/>")
                return
            indent = pretty and len(element) and not (element.text or "").strip()
            out.append(">" + ("" if indent else escape(element.text or "", False)))
            for child in element:
                if indent:
                    out.append("\r\n" + "  " * (depth + 1))
                write(child, out, False, depth + 1)
                out.append("" if indent else escape(child.tail or "", False))
            out.append(("\r\n" + "  " * depth if indent else "") + f"</{tag}>")

        out = ["\ufeff" if pretty else "", f"<?xml version={quote}1.0{quote} encoding={quote}UTF-8{quote}?>",
               "\r\n" if pretty else "\n"]
        write(ElementTree.fromstring(data), out, True)
        return "".join(out).encode("utf-8")

    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        contents = {info.filename: archive.read(info) for info in infos}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in infos:
            data = contents[info.filename]
            archive.writestr(info.filename, rewrite(data) if info.filename.endswith(parts) else data)
    return path


def libreoffice_csv(paths: list[Path], folder: Path) -> list[dict[str, list[list[str]]]]:
    """Every sheet of each book in ``paths`` as LibreOffice headless reads it (exported to CSV, one file a sheet:
    the text each cell shows), by sheet name; one LibreOffice run for them all. Skips the test where LibreOffice
    is missing, except in CI."""
    import csv
    import os
    import shutil
    import subprocess

    import pytest

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) must be installed in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    out = folder / "libreoffice-csv"
    shutil.rmtree(out, ignore_errors=True)
    # 44,34,76: comma, double quote, UTF-8; the last token, -1, exports every sheet (LibreOffice 7.2 and later)
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless",
                          "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,"
                          "false,-1", "--outdir", str(out), *map(str, paths)],
                         capture_output=True, text=True, timeout=240, check=False)
    assert run.returncode == 0, run.stderr
    books = []
    for path in paths:
        sheets = {}
        for file in out.glob(f"{path.stem}-*.csv"):
            with file.open(encoding="utf-8", newline="") as handle:
                sheets[file.stem.removeprefix(f"{path.stem}-")] = list(csv.reader(handle))
        assert sheets, f"LibreOffice could not read {path.name}: {run.stderr}"
        books.append(sheets)
    return books
