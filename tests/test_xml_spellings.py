"""Any valid spelling of a workbook's XML (issue 13, item 8): books whose sheet, table, styles and relationship
parts are rewritten in single quotes with a namespace prefix for SpreadsheetML (``x:``), or with spaces around
``=``, attributes in reverse order and character references, are read, refreshed and appended to exactly as
the plain book; what arxl writes into them opens in LibreOffice and python-calamine. Also what an append does
to the table's formats: dates always show as dates."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import python_calamine as calamine
from books import D, base, libreoffice_csv, libreoffice_saved, put_formulas, respell, write_book
from click.testing import CliRunner
from openpyxl.worksheet.table import Table as OpenpyxlTable

from arxl.cli import main
from arxl.contract import PAYMENTS
from arxl.workbook import load_book
from arxl.workbook.append import append_rows
from arxl.workbook.read import read_raw_tables, scan_sheet, table_sources
from arxl.workbook.styles import StyleTable, is_date_code

AS_OF = "2026-03-31"
SPELLINGS = {
    "single-x": {"quote": "'", "prefix": "x"},
    "pretty": {"quote": '"', "prefix": "", "pretty": True},
    "odd": {"quote": '"', "prefix": "ns0", "spaced": True, "reverse": True, "char_refs": True},
}
RECEIPTS = ("payment_id,customer_id,payment_date,amount,reference\n"
            "P9,C1,2026-03-20,10.00,cheque 114\n"
            "P10,C2,2026-03-25,45.50,Zoë's \"final\" payment\n")


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(argument) for argument in arguments])
    return result.exit_code, result.output


def table_rows(book: Path, name: str) -> list[list[object]]:
    reader = calamine.CalamineWorkbook.from_path(str(book), load_tables=True)
    try:
        return reader.get_table_by_name(name).to_python()
    finally:
        reader.close()


def sheet_rows(book: Path, name: str) -> list[list[object]]:
    reader = calamine.CalamineWorkbook.from_path(str(book))
    try:
        return reader.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        reader.close()


def part(book: Path, name: str) -> str:
    with zipfile.ZipFile(book) as archive:
        return archive.read(name).decode("utf-8")


def sheet_part(book: Path, sheet: str) -> str:
    return next(source.part for source in table_sources(book) if source.sheet == sheet)


def table_part(book: Path, table: str) -> str:
    """The table part of ``table`` in a book as openpyxl writes it."""
    with zipfile.ZipFile(book) as archive:
        for name in archive.namelist():
            if name.startswith("xl/tables/") and f'displayName="{table}"' in archive.read(name).decode():
                return name
    raise AssertionError(table)


def _prefix(spelling: str) -> str:
    prefix = SPELLINGS[spelling]["prefix"]
    return f"{prefix}:" if prefix else ""


def receipts(tmp_path: Path) -> Path:
    csv = tmp_path / "receipts.csv"
    csv.write_text(RECEIPTS, encoding="utf-8")
    return csv


def twins(tmp_path: Path, tables: dict, spelling: dict) -> tuple[Path, Path]:
    """The same book twice: as openpyxl writes it, and respelled."""
    plain = write_book(tmp_path / "plain.xlsx", tables)
    return plain, respell(copy(plain, tmp_path / "respelled.xlsx"), **spelling)


def copy(book: Path, to: Path) -> Path:
    shutil.copy(book, to)
    return to


def test_the_respelled_books_are_other_spellings_of_the_same_xml(tmp_path: Path) -> None:
    plain, single = twins(tmp_path, base(), SPELLINGS["single-x"])
    odd = respell(copy(plain, tmp_path / "odd.xlsx"), **SPELLINGS["odd"])
    sheet = sheet_part(plain, "Payments")
    assert "<x:row r='2'>" in part(single, sheet) and "<x:c r='C2' s='1' t='n'><x:v>46054</x:v>" in part(single,
                                                                                                          sheet)
    assert "<ns0:c t = \"n\" s = \"1\" r = \"C2\"><ns0:v>46054</ns0:v>" in part(odd, sheet)
    assert "<x:Relationship " in part(single, "xl/_rels/workbook.xml.rels")
    seen_plain, *seen = libreoffice_csv([plain, single, odd], tmp_path)
    for book, sheets in zip((single, odd), seen, strict=True):  # other programs read them as the plain book
        assert sheet_rows(book, "Payments") == sheet_rows(plain, "Payments")
        assert sheets == seen_plain


def _odd_book() -> dict:
    """A book with something for every part of the scan to find: merged cells in a data row, an error cell, a
    formula without a saved value, a cell beyond column Z, a row typed under a table, and "NA" for an amount."""
    tables = base()
    tables["Customers"][2][1] = "Zoë's \"Café\""  # entities and character references in text
    tables["Invoices"].append(["I3", "C1", D(2026, 3, 2), 40.0, None, "", "", ""])
    tables["Applications"].append(["P1", "I1", "NA", None])  # text fastexcel would take for an empty cell
    return tables


def _spoil(book: Path) -> Path:
    workbook = openpyxl.load_workbook(book)
    invoices = workbook["Invoices"]
    invoices["AB3"] = "a note far to the right"
    invoices["A6"] = "I4"  # the table ends on row 5: row 6 is below it
    invoices["D6"] = 75.0
    workbook["Payments"]["F3"].value = "#N/A"
    workbook["Payments"]["F3"].data_type = "e"
    workbook["Adjustments"].merge_cells("E2:F2")
    workbook.save(book)
    return put_formulas(book, {"Invoices": {"E5": "=C5+30"}})


def _without_implied_references(xml: bytes) -> bytes:
    """The sheet with every ``r`` that says no more than "after the one before" left out (the same sheet)."""
    out, row_number, column = [], 0, 0
    for piece in re.split(rb"(<(?:row|c)\b[^>]*>)", xml):
        found = re.match(rb'<(row|c) r="([A-Z]*)(\d+)"', piece)
        if found is None:
            out.append(piece)
            continue
        number = int(found.group(3))
        if found.group(1) == b"row":
            implied, row_number, column = number == row_number + 1, number, 0
        else:
            where = sum((letter - 64) * 26 ** power for power, letter in enumerate(reversed(found.group(2))))
            implied, column = where == column + 1, where
        out.append(piece.replace(b' r="' + found.group(2) + found.group(3) + b'"', b"", 1) if implied else piece)
    return b"".join(out)


def test_a_sheet_without_references_is_scanned_as_the_plain_one(tmp_path: Path) -> None:
    """Rows and cells need no ``r`` where they follow the one before: the scan places them all the same."""
    plain = _spoil(write_book(tmp_path / "plain.xlsx", _odd_book()))
    other = copy(plain, tmp_path / "other.xlsx")
    with zipfile.ZipFile(plain) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheets = {source.part for source in table_sources(plain)}
    with zipfile.ZipFile(other, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, _without_implied_references(data) if name in sheets else data)
    invoices = next(source for source in table_sources(plain) if source.name == "Invoices")
    assert b'<c r="AB3"' in parts[invoices.part] and b'<row><c t="inlineStr"><is><t>I1' in zipfile.ZipFile(
        other).read(invoices.part)

    for source in table_sources(plain):
        below = source.bottom + 1 if source.table else None
        assert scan_sheet(other, source.part, below=below) == scan_sheet(plain, source.part, below=below)
    assert [str(problem) for problem in load_book(other).problems] == [
        str(problem) for problem in load_book(plain).problems]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_respelled_book_is_scanned_and_read_as_the_plain_one(tmp_path: Path, spelling: str) -> None:
    plain = _spoil(write_book(tmp_path / "plain.xlsx", _odd_book()))
    other = respell(copy(plain, tmp_path / "other.xlsx"), **SPELLINGS[spelling])

    for source in table_sources(plain):
        below = source.bottom + 1 if source.table else None
        assert scan_sheet(other, source.part, below=below) == scan_sheet(plain, source.part, below=below)
    invoices = next(source for source in table_sources(plain) if source.name == "Invoices")
    scan = scan_sheet(other, invoices.part, below=invoices.bottom + 1)
    # AB is column 28 (0-based 27); row 6 is the last; E5 holds the formula; A6 and D6 lie below the table
    assert (scan.last_row, scan.last_column) == (6, 27)
    assert set(scan.formula_cells) == {(4, 4)} and scan.formula_cells[(4, 4)].formula == "C5+30"
    assert scan.below == ((5, 0), (5, 3))
    payments = next(source for source in table_sources(plain) if source.name == "Payments")
    assert scan_sheet(other, payments.part).error_cells == ((2, 5, "#N/A"),)

    found, expected = load_book(other), load_book(plain)
    assert [str(problem) for problem in found.problems] == [str(problem) for problem in expected.problems]
    messages = "\n".join(str(problem) for problem in found.problems)
    for located in ("Invoices row 5, due_date", "Invoices row 6: row 6 is below", "Payments row 3, reference",
                    'Applications row 3, amount: "NA"',
                    'Adjustments row 2: "E2:F2" merged'):
        assert located in messages
    for name in ("customers", "invoices", "payments", "adjustments"):
        pd.testing.assert_frame_equal(getattr(found.ledger, name), getattr(expected.ledger, name))
    raw, _date1904, _problems = read_raw_tables(other, typed=False)
    assert raw["Customers"].rows[1][1] == "Zoë's \"Café\""


def test_the_usual_spelling_never_takes_the_parser_whatever_the_pieces(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan reads 1 MiB pieces; a tag cut at a piece's end is no other spelling (it is seen whole in the next
    piece). A sheet of 30,000 rows (about 2.3 MB) shifted byte by byte over a row's length: every boundary falls
    somewhere inside a row, and the scan stays on its fast path with the right extent."""
    from arxl.workbook import read

    def refuse(*_arguments: object) -> None:
        raise AssertionError("the parser was asked to read a sheet in the usual spelling")

    monkeypatch.setattr(read, "_scan_by_parsing", refuse)
    rows = b"".join(b'<row r="%d"><c r="A%d" t="n"><v>%d</v></c><c r="AB%d" s="1"><v>2</v></c></row>'
                    % (number, number, number, number) for number in range(1, 30_001))
    row_length = len(b'<row r="29999"><c r="A29999" t="n"><v>29999</v></c><c r="AB29999" s="1"><v>2</v></c></row>')
    book = tmp_path / "sheet.zip"
    for shift in range(row_length):
        xml = (b'<?xml version="1.0"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               + b" " * shift + b"<sheetData>" + rows + b"</sheetData></worksheet>")
        with zipfile.ZipFile(book, "w") as archive:
            archive.writestr("sheet.xml", xml)
        scan = scan_sheet(book, "sheet.xml", below=30_000)
        assert (scan.last_row, scan.last_column, scan.below) == (30_000, 27, ()), shift  # AB: 0-based 27


def test_merged_cells_in_the_first_data_row_are_an_error(tmp_path: Path) -> None:
    """A merge on the only data row (Adjustments row 2) was once let through: its second cell read as empty."""
    result = load_book(write_book(tmp_path / "book.xlsx", base(), merges={"Adjustments": "E2:F2"}))

    assert [str(problem) for problem in result.problems] == [
        'Adjustments row 2: "E2:F2" merged cells inside a data table cannot be read (expected one value per cell '
        "(Home > Merge & Center > Unmerge Cells))"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_check_and_refresh_write_a_respelled_book(tmp_path: Path, spelling: str) -> None:
    plain, other = twins(tmp_path, base(), SPELLINGS[spelling])

    code, output = run("check", other)
    assert code == 0 and "0 error(s), 0 warning(s)" in output, output
    for book in (plain, other):
        code, output = run("refresh", book, "--as-of", AS_OF)
        assert code == 0, output

    for sheet in ("Aging", "Aging Detail", "Checks", "ST C1"):
        assert sheet_rows(other, sheet) == sheet_rows(plain, sheet)
    styles = part(other, "xl/styles.xml")
    prefix = _prefix(spelling)
    assert f"<{prefix}xf numFmtId=\"0\" fontId=\"1\"" in styles  # arxl's formats, in the part's own prefix
    if prefix:  # and not one element in no namespace
        assert re.search(r"<(?!\?)(?!/)(?![\w.-]+:)", styles.lstrip("\ufeff")) is None
    seen_plain, seen_other = libreoffice_csv([plain, other], tmp_path)
    assert seen_other["Aging"] == seen_plain["Aging"] and seen_other["ST C2"] == seen_plain["ST C2"]
    code, output = run("refresh", other, "--as-of", AS_OF)  # what arxl wrote is recognised as its own
    assert code == 0 and "edit" not in output, output


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_an_import_lands_in_a_respelled_table(tmp_path: Path, spelling: str) -> None:
    plain, book = twins(tmp_path, base(), SPELLINGS[spelling])

    code, output = run("import", book, "--table", "payments", receipts(tmp_path))

    assert code == 0 and "appended 2 row(s) to Payments (Excel rows 4-5)" in output, output
    expected = [["P1", "C1", D(2026, 2, 1), 50.0, "I1", ""], ["P2", "C2", D(2026, 2, 10), 100.0, "", "for I2"],
                ["P9", "C1", D(2026, 3, 20), 10.0, "", "cheque 114"],
                ["P10", "C2", D(2026, 3, 25), 45.5, "", "Zoë's \"final\" payment"]]
    assert table_rows(book, "Payments") == expected
    prefix = _prefix(spelling)
    sheet = part(book, sheet_part(book, "Payments"))
    assert f'<{prefix}row r="4"><{prefix}c r="A4" t="inlineStr"><{prefix}is><{prefix}t>P9<' in sheet
    if prefix:  # no element in no namespace
        assert re.search(r"<(?!\?)(?!/)(?![\w.-]+:)", sheet.lstrip("\ufeff")) is None
    quote = SPELLINGS[spelling]["quote"]
    equals = " = " if SPELLINGS[spelling].get("spaced") else "="
    table = part(book, table_part(plain, "Payments"))
    assert table.count(f"ref{equals}{quote}A1:F5{quote}") == 2  # the table and its autoFilter, in their quotes
    assert libreoffice_csv([book], tmp_path)[0]["Payments"][3:] == [
        ["P9", "C1", "2026-03-20", "10", "", "cheque 114"], ["P10", "C2", "2026-03-25", "45.5", "",
                                                             "Zoë's \"final\" payment"]]
    # LibreOffice takes the new rows into the table: saved by it, the table still holds them
    assert table_rows(libreoffice_saved(book, tmp_path), "Payments") == expected
    assert load_book(book).ledger.payments["payment_id"].tolist() == ["P1", "P2", "P9", "P10"]


def test_a_table_part_in_single_quotes_alone(tmp_path: Path) -> None:
    """The table part written ``ref='A1:F3'`` (every other part as openpyxl writes it) once stopped an import
    with an AssertionError."""
    book = write_book(tmp_path / "book.xlsx", base())
    payments = table_part(book, "Payments")
    respell(book, prefix="", parts=(payments,))
    assert "ref='A1:F3'" in part(book, payments)

    code, output = run("import", book, "--table", "payments", receipts(tmp_path))

    assert code == 0, output
    assert [row[0] for row in table_rows(book, "Payments")] == ["P1", "P2", "P9", "P10"]


def test_an_import_into_a_book_saved_by_libreoffice(tmp_path: Path) -> None:
    book = libreoffice_saved(write_book(tmp_path / "book.xlsx", base()), tmp_path)

    code, output = run("import", book, "--table", "payments", receipts(tmp_path))

    assert code == 0, output
    assert table_rows(book, "Payments")[2:] == [["P9", "C1", D(2026, 3, 20), 10.0, "", "cheque 114"],
                                                ["P10", "C2", D(2026, 3, 25), 45.5, "", "Zoë's \"final\" payment"]]
    assert libreoffice_csv([book], tmp_path)[0]["Payments"][4] == ["P10", "C2", "2026-03-25", "45.5", "",
                                                              "Zoë's \"final\" payment"]


def test_rows_and_cells_without_a_reference_are_counted(tmp_path: Path) -> None:
    """``r`` is optional on rows and cells: each follows the one before. The new rows go after the last one."""
    book = write_book(tmp_path / "book.xlsx", base())
    name = sheet_part(book, "Payments")
    with zipfile.ZipFile(book) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[name] = re.sub(rb' r="[A-Z]*\d+"', b"", parts[name])
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, data in parts.items():
            archive.writestr(key, data)
    assert b' r="' not in parts[name]

    code, output = run("import", book, "--table", "payments", receipts(tmp_path))

    assert code == 0 and "(Excel rows 4-5)" in output, output
    assert [row[:3] for row in table_rows(book, "Payments")[2:]] == [["P9", "C1", D(2026, 3, 20)],
                                                                    ["P10", "C2", D(2026, 3, 25)]]
    seen = libreoffice_csv([book], tmp_path)[0]["Payments"]
    assert [row[0] for row in seen] == ["payment_id", "P1", "P2", "P9", "P10"]


def test_a_note_beside_the_new_rows_keeps_its_place(tmp_path: Path) -> None:
    """A table from column B, with a note typed in column A of the row the append fills: the row's cells stay in
    column order (Excel repairs a file whose cells are not)."""
    tables = base()
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in tables.items():
        sheet = workbook.create_sheet(name)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=2):
                cell = sheet.cell(number, column, value)
                cell.number_format = "yyyy-mm-dd" if isinstance(value, dt.date) else cell.number_format
        sheet.add_table(OpenpyxlTable(displayName=name, ref=f"B1:{chr(ord('A') + len(rows[0]))}{len(rows)}"))
    workbook["Payments"]["A4"] = "keep me"
    book = tmp_path / "book.xlsx"
    workbook.save(book)

    code, output = run("import", book, "--table", "payments", receipts(tmp_path))

    assert code == 0, output
    row = re.search(r'<row r="4">.*?</row>', part(book, sheet_part(book, "Payments"))).group(0)
    assert re.findall(r'<c r="([A-Z]+)4"', row) == ["A", "B", "C", "D", "E", "G"]
    assert sheet_rows(book, "Payments")[3][:3] == ["keep me", "P9", "C1"]


def test_an_empty_formatted_row_keeps_the_formats_of_the_cells_left_blank(tmp_path: Path) -> None:
    """The template's Invoices table ends on an empty, formatted row: the first invoice fills it, and the cells
    it leaves blank keep their formats for the user's next typing."""
    book = tmp_path / "book.xlsx"
    assert run("new", book)[0] == 0
    template_row = re.search(r'<row r="2">.*?</row>', part(book, sheet_part(book, "Invoices"))).group(0)
    assert '<c r="G2" s="5" t="n" />' in template_row  # applies_to, formatted, empty
    customers = _write(tmp_path / "c.csv", "customer_id,name\nC1,Acme\n")
    assert run("import", book, "--table", "customers", customers)[0] == 0
    csv = _write(tmp_path / "i.csv", "invoice_id,customer_id,invoice_date,amount\nI1,C1,2026-03-02,120.00\n")

    code, output = run("import", book, "--table", "invoices", csv)

    assert code == 0 and "(Excel row 2)" in output, output
    row = re.search(r'<row r="2">.*?</row>', part(book, sheet_part(book, "Invoices"))).group(0)
    assert '<c r="G2" s="5" t="n" />' in row and '<c r="A2" s="5" t="inlineStr"><is><t>I1</t>' in row
    assert table_rows(book, "Invoices")[0][:4] == ["I1", "C1", D(2026, 3, 2), 120.0]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- dates always show as dates ----------------------------------------------------------------------------------

def _collections_rows(book: Path) -> tuple[dict[str, int], dict[str, int]]:
    rows = sheet_rows(book, "Collections")
    header = next(number for number, row in enumerate(rows, start=1) if "Outcome" in row)
    columns = {name: index + 1 for index, name in enumerate(rows[header - 1]) if name}
    customers = {row[columns["Customer ID"] - 1]: number for number, row in enumerate(rows, start=1)
                 if number > header and row[columns["Customer ID"] - 1]}
    return columns, customers


def _harvest_a_promise(book: Path) -> None:
    """Refresh, type a promise for 2026-04-03 on the Collections sheet, refresh again (it goes to Activity)."""
    assert run("refresh", book, "--as-of", AS_OF)[0] == 0
    columns, customers = _collections_rows(book)
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Collections"]
    sheet.cell(customers["C2"], columns["Outcome"], "promise")
    sheet.cell(customers["C2"], columns["Promised date"], dt.datetime(2026, 4, 3))
    sheet.cell(customers["C2"], columns["Promised amount"], 145.5)
    workbook.save(book)
    code, output = run("refresh", book, "--as-of", AS_OF)
    assert code == 0 and "1 note(s) from the Collections sheet added to Activity" in output, output


def test_a_harvested_promised_date_is_a_date_when_the_first_activity_row_has_none(tmp_path: Path) -> None:
    tables = base()
    tables["Activity"][1] = [D(2026, 3, 2), "C2", "I2", "call", None, None, "left a message"]
    book = write_book(tmp_path / "book.xlsx", tables)
    assert re.search(r'<c r="E2"', part(book, sheet_part(book, "Activity"))) is None  # no cell, no format

    _harvest_a_promise(book)

    activity = sheet_rows(book, "Activity")
    assert activity[2][4:6] == [D(2026, 4, 3), 145.5]  # read as a date, not the serial 46115
    cell = openpyxl.load_workbook(book)["Activity"]["E3"]
    assert cell.is_date and cell.number_format == "yyyy-mm-dd"


def test_new_dates_take_the_date_format_the_table_shows(tmp_path: Path) -> None:
    tables = base()
    tables["Activity"][1] = [D(2026, 3, 2), "C2", "I2", "call", None, None, "left a message"]
    book = write_book(tmp_path / "book.xlsx", tables, formats={("Activity", 2, 1): "dd/mm/yyyy"})

    _harvest_a_promise(book)

    cell = openpyxl.load_workbook(book)["Activity"]["E3"]
    assert cell.value == dt.datetime(2026, 4, 3) and cell.number_format == "dd/mm/yyyy"


def test_a_format_of_the_first_data_row_that_shows_a_date_wins(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base(), formats={("Payments", 2, 3): "d mmm yyyy"})
    styles_before = part(book, "xl/styles.xml")
    frame = pd.DataFrame({"payment_id": ["P9"], "customer_id": ["C1"],
                          "payment_date": pd.to_datetime(["2026-03-20"]), "amount": [10.0]})

    # The append alone (an import also writes the Audit sheet, whose formats go into styles.xml).
    out = tmp_path / "appended.xlsx"
    append_rows(book, out, PAYMENTS, frame)

    assert part(out, "xl/styles.xml") == styles_before  # nothing to add
    assert run("import", book, "--table", "payments", receipts(tmp_path))[0] == 0
    sheet = openpyxl.load_workbook(book)["Payments"]
    assert sheet["C4"].number_format == "d mmm yyyy" and sheet["C4"].value == dt.datetime(2026, 3, 20)
    assert sheet["C4"].style_id == sheet["C2"].style_id


def test_dates_appended_to_a_1904_book_read_back_as_typed(tmp_path: Path) -> None:
    """A book made on an old Mac counts days from 1904-01-01. To 2026-01-01: 122 years, 31 of them leap (1904,
    1908 ... 2024), 122 x 365 + 31 = 44,561 days; to 2026-03-20, 31 + 28 + 19 = 78 more: serial 44,639 (the 1900
    system's 46,101 less the 1,462 days between the epochs)."""
    book = write_book(tmp_path / "book.xlsx", base(), date1904=True)

    assert run("import", book, "--table", "payments", receipts(tmp_path))[0] == 0

    assert "<v>44639</v>" in part(book, sheet_part(book, "Payments"))
    assert load_book(book).ledger.payments["payment_date"].tolist()[2:] == [pd.Timestamp("2026-03-20"),
                                                                           pd.Timestamp("2026-03-25")]


def test_generated_sheets_of_a_1904_book_show_the_ledgers_dates(tmp_path: Path) -> None:
    """The report sheets arxl writes into a 1904 book use that system too: I1 of the base book is dated
    2026-01-05, which is serial 44,565 there (44,561 to 2026-01-01, see above, and 4 more), not the 1900
    system's 46,027. A second refresh at the same date finds nothing edited."""
    book = write_book(tmp_path / "book.xlsx", base(), date1904=True)
    invoice_date = load_book(book).ledger.invoices.set_index("invoice_id").at["I1", "invoice_date"]
    assert invoice_date == pd.Timestamp("2026-01-05")

    assert run("refresh", book, "--only", "detail", "--as-of", "2026-06-30")[0] == 0

    detail = openpyxl.load_workbook(book)["Aging Detail"]
    header = [cell.value for cell in detail[4]]
    row = next(row for row in detail.iter_rows(min_row=5) if row[header.index("Document")].value == "I1")
    assert row[header.index("Date")].value == dt.datetime(2026, 1, 5)  # openpyxl reads the book's own system
    with zipfile.ZipFile(book) as archive:
        written = [archive.read(name).decode() for name in archive.namelist()
                   if name.startswith("xl/worksheets/arxl-") and b"<t>I1</t>" in archive.read(name)]
    assert len(written) == 1 and f'<v>{44561 + 4}</v>' in written[0]
    code, output = run("refresh", book, "--only", "detail", "--as-of", "2026-06-30")
    assert code == 0 and "edit" not in output.lower(), output


# --- refusals -------------------------------------------------------------------------------------------------

def test_a_table_with_a_totals_row_is_refused_and_the_book_kept(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Payments"]
    sheet["A4"], sheet["D4"] = "Total", "=SUBTOTAL(109,Payments[amount])"
    table = sheet.tables["Payments"]
    table.ref, table.totalsRowCount = "A1:F4", 1
    table.tableColumns[0].totalsRowLabel, table.tableColumns[3].totalsRowFunction = "Total", "sum"
    workbook.save(book)
    before = book.read_bytes()

    code, output = run("import", book, "--table", "payments", receipts(tmp_path))

    assert code == 2 and "the table has a totals row (row 4)" in output and "Total Row" in output, output
    assert book.read_bytes() == before


# --- the style table ---------------------------------------------------------------------------------------------

PREFIXED_STYLES = ("<?xml version='1.0' encoding='UTF-8'?>\n"
                   "<x:styleSheet xmlns:x='http://schemas.openxmlformats.org/spreadsheetml/2006/main'>"
                   "<x:numFmts count='1'><x:numFmt numFmtId='164' formatCode='d&quot;.&quot;m&quot;.&quot;yy'/>"
                   "</x:numFmts><x:fonts count='1'><x:font><x:sz val='10'/></x:font></x:fonts>"
                   "<x:fills count='1'><x:fill><x:patternFill/></x:fill></x:fills>"
                   "<x:borders count='1'><x:border/></x:borders>"
                   "<x:cellXfs count = '3'><x:xf numFmtId='0' fontId='0' fillId='0' borderId='0'/>"
                   "<x:xf numFmtId='2' fontId='0' fillId='0' borderId='0'><x:alignment horizontal='left'/></x:xf>"
                   "<x:xf numFmtId='164' fontId='0' fillId='0' borderId='0'/></x:cellXfs></x:styleSheet>")


def test_the_style_table_appends_in_the_parts_own_spelling_and_never_renumbers() -> None:
    table = StyleTable(PREFIXED_STYLES)

    assert [table.number_format_of(xf) for xf in range(3)] == [0, 2, 164]
    assert [table.is_date_format(number) for number in (0, 2, 14, 164)] == [False, False, True, True]
    assert table.with_number_format(2, 164) == 2  # already a date: itself
    assert table.with_number_format(1, 164) == 3  # the left-aligned 0.00 as a date: appended at the end
    assert table.with_number_format(1, 164) == 3  # and reused
    assert table.number_format_id('d"."m"."yy') == 164  # the existing format, entities undone
    assert table.xml.startswith(PREFIXED_STYLES[:PREFIXED_STYLES.index("<x:cellXfs")])  # nothing before moved
    assert ("<x:cellXfs count = '4'><x:xf numFmtId='0' fontId='0' fillId='0' borderId='0'/><x:xf numFmtId='2' "
            "fontId='0' fillId='0' borderId='0'><x:alignment horizontal='left'/></x:xf><x:xf numFmtId='164' "
            "fontId='0' fillId='0' borderId='0'/><x:xf numFmtId='164' fontId='0' fillId='0' borderId='0' "
            "applyNumberFormat=\"1\"><x:alignment horizontal='left'/></x:xf></x:cellXfs>") in table.xml
    number = table.number_format_id("yyyy-mm-dd")
    assert number == 165 and "<x:numFmt numFmtId=\"165\" formatCode=\"yyyy-mm-dd\"/></x:numFmts>" in table.xml
    assert "<x:numFmts count='2'>" in table.xml


@pytest.mark.parametrize(("code", "shows_a_date"), [
    ("yyyy-mm-dd", True), ("[$-409]mmmm d, yyyy", True), ("h:mm", True), ('d"."m"."yy', True),
    ("#,##0.00", False), ('0 "days"', False), ("General", False), ("[Red]0.00", False), ("@", False),
    ("#,##0_);[Red](#,##0)", False)])
def test_date_formats_are_told_from_number_formats(code: str, shows_a_date: bool) -> None:
    assert is_date_code(code) is shows_a_date


def test_the_appender_writes_the_table_it_was_given(tmp_path: Path) -> None:
    """The library call under the commands: one row, its first new row returned (2 data rows + header: 4)."""
    book = respell(write_book(tmp_path / "book.xlsx", base()), **SPELLINGS["single-x"])
    frame = pd.DataFrame({"payment_id": ["P9"], "customer_id": ["C1"],
                          "payment_date": [pd.Timestamp("2026-03-20")], "amount": [10.0]})

    assert append_rows(book, tmp_path / "out.xlsx", PAYMENTS, frame) == 4

    assert table_rows(tmp_path / "out.xlsx", "Payments")[2] == ["P9", "C1", D(2026, 3, 20), 10.0, "", ""]


# --- the style sheet where the relationships say ----------------------------------------------------------------

def _move_styles(book: Path, new_name: str | None) -> None:
    """Rename the book's style sheet to ``new_name`` (relationship and content type follow), or drop it."""
    with zipfile.ZipFile(book) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    styles = parts.pop("xl/styles.xml")
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    types = parts["[Content_Types].xml"].decode()
    if new_name is None:
        rels = re.sub(r'<Relationship [^>]*Target="styles.xml"[^>]*/>', "", rels)
        types = re.sub(r'<Override PartName="/xl/styles.xml"[^>]*/>', "", types)
    else:
        parts[f"xl/{new_name}"] = styles
        rels = rels.replace('Target="styles.xml"', f'Target="{new_name}"')
        types = types.replace('PartName="/xl/styles.xml"', f'PartName="/xl/{new_name}"')
    parts["xl/_rels/workbook.xml.rels"], parts["[Content_Types].xml"] = rels.encode(), types.encode()
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("new_name", ["look.xml", None])
def test_a_refresh_writes_its_formats_where_the_book_keeps_its_style_sheet(tmp_path: Path,
                                                                          new_name: str | None) -> None:
    """The style sheet is the part the workbook's relationships name; a book without one gets one. Either way the
    refreshed book opens in openpyxl and LibreOffice with arxl's formats (money as accounting, dates as dates)."""
    book = write_book(tmp_path / "book.xlsx", base())
    _move_styles(book, new_name)

    assert run("refresh", book, "--only", "aging,detail", "--as-of", "2026-06-30")[0] == 0

    with zipfile.ZipFile(book) as archive:
        names = archive.namelist()
    expected = f"xl/{new_name}" if new_name else "xl/styles.xml"
    assert expected in names and (new_name is None or "xl/styles.xml" not in names)
    # openpyxl reads xl/styles.xml whatever the relationships say: LibreOffice is the client that follows them.
    plain = write_book(tmp_path / "plain.xlsx", base())
    assert run("refresh", plain, "--only", "aging,detail", "--as-of", "2026-06-30")[0] == 0
    moved, usual = libreoffice_csv([book, plain], tmp_path / "csv")
    detail = moved["Aging Detail"]
    first = dict(zip(detail[3], detail[4], strict=False))
    assert (first["Document"], first["Date"]) == ("I1", "01/05/2026")  # a date, shown as a USD book shows dates
    assert moved["Aging Detail"] == usual["Aging Detail"] and moved["Aging"] == usual["Aging"]
