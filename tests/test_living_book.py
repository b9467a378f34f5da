"""A book people live in (issue 13): what users and other programs do to generated sheets between refreshes is
followed, harvested or refused, never lost. Real files: written by openpyxl, refreshed by arxl, edited with
openpyxl (which keeps sheet-scoped names) or saved by LibreOffice."""

from __future__ import annotations

import copy as copy_module
import datetime as dt
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine as calamine
from books import D, base, write_book
from click.testing import CliRunner

from arxl.cli import main
from arxl.ownership import STATE_SHEET
from arxl.workbook.bookxml import WorkbookXml
from arxl.workbook.generated import read_generated

AS_OF = "2026-03-31"
TODAY = dt.date.today()


def refresh(book: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["refresh", str(book), "--as-of", AS_OF, *extra])
    return result.exit_code, result.output


def values(book: Path, sheet: str) -> list[list[object]]:
    reader = calamine.CalamineWorkbook.from_path(str(book))
    try:
        return reader.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        reader.close()


def sheet_names(book: Path) -> list[str]:
    reader = calamine.CalamineWorkbook.from_path(str(book))
    try:
        return list(reader.sheet_names)
    finally:
        reader.close()


def refreshed(tmp_path: Path, tables: dict | None = None) -> Path:
    book = write_book(tmp_path / "book.xlsx", tables or base())
    code, output = refresh(book)
    assert code == 0, output
    return book


# --- 1. ownership travels with the sheet ----------------------------------------------------------------------

def test_a_renamed_generated_sheet_is_followed_and_a_new_user_sheet_of_its_name_is_kept(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    workbook = openpyxl.load_workbook(book)
    workbook["Forecast"].title = "arxl Forecast"
    workbook.create_sheet("Forecast")["A1"] = "my cash model"
    workbook.save(book)
    code, output = refresh(book)
    assert code == 0, output
    assert values(book, "Forecast") == [["my cash model"]]
    assert values(book, "arxl Forecast")[0][0] == "Test Co"
    assert sheet_names(book).count("arxl Forecast") == 1 and "Forecast~2" not in sheet_names(book)


def test_a_deleted_generated_sheet_and_a_user_sheet_of_its_name(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    workbook = openpyxl.load_workbook(book)
    del workbook["Checks"]
    workbook.create_sheet("Checks")["A1"] = "my own checks"
    workbook.save(book)
    code, output = refresh(book)
    assert code == 0, output
    assert "'Checks' is not one arxl generated" in output and "'Checks~2'" in output
    assert values(book, "Checks") == [["my own checks"]]
    assert values(book, "Checks~2")[0][0] == "Test Co"


def test_a_copy_of_a_generated_sheet_becomes_the_users(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    workbook = openpyxl.load_workbook(book)
    copy = workbook.copy_worksheet(workbook["Aging"])
    copy.title = "Aging (2)"
    for name, defined in list(workbook["Aging"].defined_names.items()):
        copy.defined_names[name] = copy_module.copy(defined)  # as Excel's Move or Copy does
    workbook.save(book)
    found = read_generated(book)
    assert found.sheets["aging"].name == "Aging" and found.copies == ["Aging (2)"]
    code, output = refresh(book)
    assert code == 0, output
    assert "'Aging (2)' is a copy of a sheet arxl generates" in output
    again = read_generated(book)
    assert again.sheets["aging"].name == "Aging" and not again.copies


def test_sixty_customers_need_no_list_of_names(tmp_path: Path) -> None:
    book = tmp_path / "demo.xlsx"
    shutil.copy(Path(__file__).parent.parent / "workbooks" / "demo.xlsx", book)
    assert CliRunner().invoke(main, ["refresh", str(book)]).exit_code == 0
    found = read_generated(book)
    statements = [key for key in found.sheets if key.startswith("statement:")]
    assert len(statements) > 40  # a 255-character property would have held about 20 of their names
    code = CliRunner().invoke(main, ["refresh", str(book)]).exit_code
    assert code == 0 and not read_generated(book).copies


# --- 2. edits to generated sheets ------------------------------------------------------------------------------

def _collections_rows(book: Path) -> tuple[int, dict[str, int], dict[str, int]]:
    """(header row, column of each header, Excel row of each customer) on the Collections sheet."""
    rows = values(book, "Collections")
    header = next(number for number, row in enumerate(rows, start=1) if "Outcome" in row)
    columns = {name: index + 1 for index, name in enumerate(rows[header - 1]) if name}
    customers = {row[columns["Customer ID"] - 1]: number for number, row in enumerate(rows, start=1)
                 if number > header and row[columns["Customer ID"] - 1]}
    return header, columns, customers


def test_notes_typed_in_collections_go_to_activity_once(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    _header, columns, customers = _collections_rows(book)
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Collections"]
    row = customers["C2"]
    sheet.cell(row, columns["Outcome"], "promise")
    sheet.cell(row, columns["Note"], "Called AP, will pay Friday")
    sheet.cell(row, columns["Promised date"], dt.datetime(2026, 4, 3))
    sheet.cell(row, columns["Promised amount"], 145.5)
    workbook.save(book)
    code, output = refresh(book)
    assert code == 0, output
    assert "1 note(s) from the Collections sheet added to Activity" in output
    activity = values(book, "Activity")
    # BASE has one Activity row (Excel row 2): the note lands on row 3, dated the day of the refresh
    assert activity[2][:4] == [TODAY, "C2", "", "promise"]
    assert activity[2][4:] == [D(2026, 4, 3), 145.5, "Called AP, will pay Friday"]
    _header, columns, customers = _collections_rows(book)
    assert values(book, "Collections")[customers["C2"] - 1][columns["Note"] - 1] == ""  # written blank again
    code, output = refresh(book)
    assert code == 0 and len(values(book, "Activity")) == 3  # nothing harvested twice


def test_a_note_typed_with_an_unknown_outcome_is_a_located_error(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    _header, columns, customers = _collections_rows(book)
    workbook = openpyxl.load_workbook(book)
    workbook["Collections"].cell(customers["C1"], columns["Outcome"], "visited")
    workbook.save(book)
    before = book.read_bytes()
    code, output = refresh(book)
    assert code == 1
    assert f"Collections row {customers['C1']}, Outcome" in output and "visited" in output
    assert book.read_bytes() == before


def test_an_edit_elsewhere_stops_the_refresh_until_discarded(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    workbook = openpyxl.load_workbook(book)
    workbook["Aging Detail"]["N6"] = "Called AP, will pay Friday"
    workbook.save(book)
    before = book.read_bytes()
    code, output = refresh(book)
    assert code == 1
    assert "Aging Detail row 6, cell N6" in output and "Called AP, will pay Friday" in output
    assert "--discard-edits" in output
    assert book.read_bytes() == before
    code, output = refresh(book, "--discard-edits")
    assert code == 0 and "edits discarded on 1 sheet(s): Aging Detail cell N6" in output
    backups = sorted(tmp_path.glob("book.bak-*.xlsx"))
    assert backups and backups[-1].read_bytes() == before  # the edit is kept in the backup
    assert all(row[13:14] != ["Called AP, will pay Friday"] for row in values(book, "Aging Detail"))


def test_a_book_saved_by_libreoffice_has_no_edits(tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    book = refreshed(tmp_path)
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(book)],
                   check=True, capture_output=True, timeout=180)
    saved = out / "book.xlsx"
    found = read_generated(saved)
    assert {"aging", "aging-detail", "checks", "collections", "statement:C1", "state"} <= set(found.sheets)
    code, output = refresh(saved)
    assert code == 0, output
    assert "edits" not in output


# --- 6. sheet names --------------------------------------------------------------------------------------------

def _with_customers(ids: list[str]) -> dict:
    tables = base()
    for number, customer in enumerate(ids, start=1):
        tables["Customers"].append([customer, f"Customer {number}", "", 30, None, "USD", ""])
        tables["Invoices"].append([f"X{number}", customer, D(2026, 3, 1), 10.0 * number, None, "", "", ""])
    return tables


def test_statement_sheet_names_are_legal_and_stable(tmp_path: Path) -> None:
    quote = "O'Brien'"
    emoji = "\U0001F600" * 20
    twin_a, twin_b = "WHOLESALE-NORTHWEST-REGION-ACCOUNT-A", "WHOLESALE-NORTHWEST-REGION-ACCOUNT-B"
    tables = _with_customers([quote, emoji, twin_a, twin_b, 'Say "hi"'])
    book = refreshed(tmp_path, tables)
    names = {key: sheet.name for key, sheet in read_generated(book).sheets.items()}
    assert names[f"statement:{quote}"] == "ST O'Brien"
    assert len(names[f"statement:{emoji}"].encode("utf-16-le")) // 2 <= 31
    assert names[f"statement:{twin_a}"] != names[f"statement:{twin_b}"]
    assert names['statement:Say "hi"'] == 'ST Say "hi"'
    second = names[f"statement:{twin_b}"]
    assert second.endswith("~2")
    # twin A pays in full, so its statement goes: twin B keeps the sheet name it had
    tables["Payments"].append(["PX", twin_a, D(2026, 3, 20), 30.0, "X3", ""])
    _copy_sheet_values(write_book(tmp_path / "paid.xlsx", tables), book, "Payments")
    code, output = refresh(book)
    assert code == 0, output
    names = {key: sheet.name for key, sheet in read_generated(book).sheets.items()}
    assert f"statement:{twin_a}" not in names and names[f"statement:{twin_b}"] == second


def test_statement_sheet_names_survive_libreoffice(tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    tables = _with_customers(["O'Brien'", "\U0001F600" * 20])
    book = refreshed(tmp_path, tables)
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(book)],
                   check=True, capture_output=True, timeout=180)
    assert sheet_names(out / "book.xlsx") == sheet_names(book)


# --- 7. table names and ids ------------------------------------------------------------------------------------

def _tables(book: Path) -> list[tuple[str, str]]:
    from defusedxml import ElementTree

    with zipfile.ZipFile(book) as archive:
        return [(ElementTree.fromstring(archive.read(name)).get("id"),
                 ElementTree.fromstring(archive.read(name)).get("displayName"))
                for name in archive.namelist() if name.startswith("xl/tables/")]


def test_renaming_a_generated_sheet_never_duplicates_a_table(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    workbook = openpyxl.load_workbook(book)
    workbook["Aging"].title = "My Aging"
    workbook.save(book)
    code, output = refresh(book)
    assert code == 0, output
    tables = _tables(book)
    ids = [identifier for identifier, _ in tables]
    names = [name for _, name in tables]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    assert "arxl_Aging" in names and "Aging" not in sheet_names(book)


# --- 8. valid files in other spellings -------------------------------------------------------------------------

def _respell(book: Path, change) -> None:
    with zipfile.ZipFile(book) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    parts["xl/workbook.xml"] = change(parts["xl/workbook.xml"].decode()).encode()
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_single_quoted_and_prefixed_workbook_xml_is_read(tmp_path: Path) -> None:
    import re

    book = write_book(tmp_path / "single.xlsx", base())
    _respell(book, lambda xml: re.sub(r'="([^"]*)"', r"='\1'", xml))
    code, output = refresh(book)
    assert code == 0, output
    prefixed = write_book(tmp_path / "prefixed.xlsx", base())

    def prefix(xml: str) -> str:
        xml = xml.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                          'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        return re.sub(r"<(/?)(?!\?)(?!x:)(?!r:)(\w+)", r"<\1x:\2", xml)

    _respell(prefixed, prefix)
    assert WorkbookXml(zipfile.ZipFile(prefixed).read("xl/workbook.xml").decode()).sheets[1].name == "Customers"
    result = CliRunner().invoke(main, ["check", str(prefixed)])
    assert result.exit_code == 0 and "no Invoices" not in result.output
    code, output = refresh(prefixed)
    assert code == 0, output
    assert "Aging" in openpyxl.load_workbook(prefixed, read_only=True).sheetnames


# --- 10. what the user built on generated sheets ---------------------------------------------------------------

def test_references_into_generated_sheets_that_moved_or_went_are_named(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    workbook = openpyxl.load_workbook(book)
    mine = workbook.create_sheet("My analysis")
    mine["A1"] = "='ST C1'!A1"
    mine["A2"] = "=SUM(Aging!$J$5:$J$6)"
    from openpyxl.workbook.defined_name import DefinedName

    workbook.defined_names["big_balances"] = DefinedName("big_balances", attr_text="Aging!$J$5:$J$6")
    workbook.save(book)
    tables = base()
    tables["Payments"].append(["P9", "C1", D(2026, 3, 20), 30.0, "I1", ""])  # C1 settles: its statement goes
    for customer in ("C3", "C4"):  # Aging: C1 goes, C3 and C4 come, one row more than before
        tables["Customers"].append([customer, f"Customer {customer}", "", 30, None, "USD", ""])
        tables["Invoices"].append([f"I{customer}", customer, D(2026, 3, 2), 75.0, None, "", "", ""])
    fresh = write_book(tmp_path / "fresh.xlsx", tables)
    for name in ("Settings", "Customers", "Invoices", "Payments"):
        _copy_sheet_values(fresh, book, name)
    code, output = refresh(book)
    assert code == 0, output
    assert "the formula in 'My analysis'!A1 refers to the sheet 'ST C1', which this refresh removed" in output
    assert "the formula in 'My analysis'!A2 uses the fixed range 'Aging'!$J$5:$J$6" in output
    assert "the defined name 'big_balances' uses the fixed range" in output


def _copy_sheet_values(source: Path, target: Path, sheet: str) -> None:
    reader = openpyxl.load_workbook(source)
    writer = openpyxl.load_workbook(target)
    rows = [[cell.value for cell in row] for row in reader[sheet].iter_rows()]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            writer[sheet].cell(r, c, value)
    table = next(iter(writer[sheet].tables.values()))
    table.ref = f"A1:{openpyxl.utils.get_column_letter(len(rows[0]))}{len(rows)}"
    writer.save(target)


def test_a_pivot_on_a_generated_sheet_refreshes_on_open(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    cache = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<pivotCacheDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'recordCount="0"><cacheSource type="worksheet"><worksheetSource ref="A4:N9" sheet="Aging Detail"/>'
             '</cacheSource><cacheFields count="0"/></pivotCacheDefinition>')
    with zipfile.ZipFile(book, "a") as archive:
        archive.writestr("xl/pivotCache/pivotCacheDefinition1.xml", cache)
    code, output = refresh(book)
    assert code == 0, output
    assert "pivot table built on Aging Detail!A4:N9 will refresh" in output
    with zipfile.ZipFile(book) as archive:
        assert 'refreshOnLoad="1"' in archive.read("xl/pivotCache/pivotCacheDefinition1.xml").decode()


def test_the_state_sheet_is_very_hidden_and_marked(tmp_path: Path) -> None:
    book = refreshed(tmp_path)
    with zipfile.ZipFile(book) as archive:
        workbook = WorkbookXml(archive.read("xl/workbook.xml").decode())
    state = next(sheet for sheet in workbook.sheets if sheet.name == STATE_SHEET)
    assert state.state == "veryHidden"
    markers = [name for name in workbook.names if name.name == "_arxl_sheet"]
    assert len(markers) == len(read_generated(book).sheets) and all(name.hidden for name in markers)


def _libreoffice_uno() -> str:
    """The system python3 with LibreOffice's ``uno`` module (Debian's python3-uno), or skip."""
    python = shutil.which("python3", path="/usr/bin")
    if shutil.which("soffice") is None or python is None:
        pytest.skip("LibreOffice is not installed")
    if subprocess.run([python, "-c", "import uno"], capture_output=True, check=False).returncode != 0:
        pytest.skip("LibreOffice's Python bridge (python3-uno) is not installed")
    return python


def test_a_sheet_renamed_in_libreoffice_is_followed(tmp_path: Path) -> None:
    python = _libreoffice_uno()
    book = refreshed(tmp_path)
    saved = tmp_path / "renamed.xlsx"
    subprocess.run([python, str(Path(__file__).parent / "lo_uno.py"), str(book), str(saved),
                    "rename", "Forecast", "arxl Forecast", "add", "Forecast", "type", "Forecast", "A1", "mine",
                    "type", "Aging Detail", "N6", "typed in LibreOffice"],
                   check=True, capture_output=True, timeout=300)
    found = read_generated(saved)
    assert found.sheets["forecast"].name == "arxl Forecast"
    code, output = refresh(saved)
    assert code == 1 and "Aging Detail row 6, cell N6" in output and "typed in LibreOffice" in output
    code, output = refresh(saved, "--discard-edits")
    assert code == 0, output
    assert values(saved, "Forecast") == [["mine"]] and values(saved, "arxl Forecast")[0][0] == "Test Co"
