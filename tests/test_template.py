"""``arxl new``: the blank workbook is Excel-native, loads clean and opens in LibreOffice."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from arxl import contract
from arxl.workbook import build_template, load_book


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template") / "ar.xlsx")


def test_template_loads_without_any_problem(template: Path) -> None:
    result = load_book(template)
    assert result.problems == []
    assert result.ledger.invoices.empty and result.ledger.customers.empty


def test_every_input_sheet_holds_its_excel_table(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    for table in contract.TABLES:
        if table.name == "FXRates":
            assert table.name not in book.sheetnames  # optional, added by the user when needed
            continue
        sheet = book[table.name]
        assert table.name in sheet.tables, table.name
        excel_table = sheet.tables[table.name]
        header = [cell.value for cell in sheet[1]]
        assert header == [column.name for column in table.columns]
        assert excel_table.ref.startswith("A1:")
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].style == "arxl Header"


def test_formats_and_validation(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    invoices = book["Invoices"]
    header = [cell.value for cell in invoices[1]]
    date_cell = invoices.cell(row=2, column=header.index("invoice_date") + 1)
    money_cell = invoices.cell(row=2, column=header.index("amount") + 1)
    assert date_cell.number_format == "yyyy-mm-dd"
    assert money_cell.number_format.startswith("_(* #,##0.00_)")
    rules = {rule.formula1: str(rule.sqref) for rule in invoices.data_validations.dataValidation}
    assert '"invoice,credit_note,debit_note"' in rules
    assert '"disputed,void"' in rules
    assert 'INDIRECT("Customers[customer_id]")' in rules
    customer_column = openpyxl.utils.get_column_letter(header.index("customer_id") + 1)
    assert rules['INDIRECT("Customers[customer_id]")'].startswith(f"{customer_column}2:")
    activity = book["Activity"]
    assert any("promise" in (rule.formula1 or "") for rule in activity.data_validations.dataValidation)


def test_settings_are_prefilled_with_documented_defaults(template: Path) -> None:
    sheet = openpyxl.load_workbook(template)["Settings"]
    rows = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {setting.key for setting in contract.SETTING_KEYS}
    assert rows["bucket_edges"] == "30,60,90"
    assert rows["aging_basis"] == "due"
    assert rows["dso_period_days"] == "90"


def test_start_here_sheet_comes_first(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    assert book.sheetnames[0] == "Start here"
    texts = [cell.value for row in book["Start here"].iter_rows() for cell in row if cell.value]
    assert any("arxl check" in str(text) for text in texts)


def _soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None and os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) must be installed in CI: .ci/run installs libreoffice-calc")
    return found


@pytest.mark.libreoffice
def test_template_opens_in_libreoffice(template: Path, tmp_path: Path) -> None:
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    profile = tmp_path / "profile"
    completed = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(template)],
        capture_output=True, text=True, timeout=180, check=False)
    pdf = tmp_path / "ar.pdf"
    assert completed.returncode == 0, completed.stderr
    assert pdf.exists() and pdf.stat().st_size > 1000
    assert pdf.read_bytes().startswith(b"%PDF")
