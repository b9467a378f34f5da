"""Formulas in the input tables (issue 13, item 3): a saved value arxl cannot trust is a located problem, never
a blank or a 0 read in silence. Books as three producers write them: openpyxl (formulas without a saved value),
XlsxWriter (formulas saved as 0) and LibreOffice (formulas calculated and saved), plus Excel's shared formulas."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from books import base, libreoffice_saved, put_formulas, write_book, write_book_xlsxwriter
from click.testing import CliRunner

from arxl.cli import main
from arxl.load import load_tables
from arxl.verbs.refresh import run_refresh
from arxl.workbook import load_book
from arxl.workbook.book import FileBook
from arxl.workbook.read import read_raw_tables

OPEN_AND_SAVE = ("(expected the value typed in, or the book opened and saved in Excel or LibreOffice so its value "
                 "is saved)")
TYPE_IT = "(expected the value typed in: a volatile function gives another value each time Excel calculates)"
NEVER_CALCULATED = ("is a formula whose saved value, 0, was never calculated (the file asks to be recalculated "
                    "when opened: a program wrote it, not Excel)")
# The formulas of the tests, on base()'s rows: Invoices row 2 is I1 (invoice_date C2 = 2026-01-05), row 3 is I2;
# Payments row 2 is P1 (customer C1); Settings row 4 is as_of.
FORMULAS = {"Invoices": {"E2": "=C2+90", "D3": "=100*2.5"},
            "Payments": {"F2": "=A2&B2"},
            "Settings": {"B4": "=DATE(2026,6,30)"}}


def _problems(path: Path, *, typed: bool = True) -> list[str]:
    raw, date1904, found = read_raw_tables(path, typed=typed)
    result = load_tables(raw, date1904=date1904)
    return sorted(str(problem) for problem in found + result.problems)


@pytest.mark.parametrize("typed", [True, False], ids=["fastexcel", "calamine"])
def test_openpyxl_formulas_without_a_saved_value_are_errors_where_the_value_matters(tmp_path: Path,
                                                                                     typed: bool) -> None:
    book = put_formulas(write_book(tmp_path / "book.xlsx", base()), FORMULAS)

    assert _problems(book, typed=typed) == sorted([
        f'Invoices row 2, due_date: "=C2+90" is a formula with no saved value {OPEN_AND_SAVE}',
        f'Invoices row 3, amount: "=100*2.5" is a formula with no saved value {OPEN_AND_SAVE}',
        f'Settings row 4, value (as_of): "=DATE(2026,6,30)" is a formula with no saved value {OPEN_AND_SAVE}',
        # reference is optional free text: read as blank, with a warning.
        f'Payments row 2, reference: "=A2&B2" is a formula with no saved value; read as blank {OPEN_AND_SAVE}',
    ])


def test_a_book_with_unreadable_formulas_is_neither_checked_ok_nor_refreshed(tmp_path: Path) -> None:
    book = put_formulas(write_book(tmp_path / "book.xlsx", base()), FORMULAS)
    before = book.read_bytes()

    check = CliRunner().invoke(main, ["check", str(book)])
    refresh = CliRunner().invoke(main, ["refresh", str(book), "--as-of", "2026-03-31"])

    assert check.exit_code == 1 and "FAILED:" in check.output and "3 error(s), 1 warning(s)" in check.output
    assert refresh.exit_code == 1 and book.read_bytes() == before


@pytest.mark.parametrize("typed", [True, False], ids=["fastexcel", "calamine"])
def test_xlsxwriter_formulas_saved_as_zero_are_never_read_as_zero(tmp_path: Path, typed: bool) -> None:
    formulas = {**FORMULAS, "Invoices": {**FORMULAS["Invoices"], "A4": '="CN"&1'}}  # an id from a formula
    book = write_book_xlsxwriter(tmp_path / "book.xlsx", base(), formulas)

    assert _problems(book, typed=typed) == sorted([
        f'Invoices row 2, due_date: "=C2+90" {NEVER_CALCULATED} {OPEN_AND_SAVE}',
        f'Invoices row 3, amount: "=100*2.5" {NEVER_CALCULATED} {OPEN_AND_SAVE}',  # not "an amount of 0"
        f'Invoices row 4, invoice_id: "="CN"&1" {NEVER_CALCULATED} {OPEN_AND_SAVE}',
        f'Settings row 4, value (as_of): "=DATE(2026,6,30)" {NEVER_CALCULATED} {OPEN_AND_SAVE}',
        f'Payments row 2, reference: "=A2&B2" {NEVER_CALCULATED}; read as blank {OPEN_AND_SAVE}',
    ])


def test_xlsxwriter_books_without_formulas_read_clean(tmp_path: Path) -> None:
    book = write_book_xlsxwriter(tmp_path / "book.xlsx", base())

    result = load_book(book)

    assert result.ok and result.problems == []
    assert result.ledger.invoices["amount"].tolist() == [10000, 25050, -2000]  # 100.00, 250.50, -20.00


@pytest.mark.libreoffice
def test_formulas_libreoffice_calculated_and_saved_are_read_as_their_values(tmp_path: Path) -> None:
    book = libreoffice_saved(put_formulas(write_book(tmp_path / "book.xlsx", base()), FORMULAS), tmp_path)

    result = load_book(book)

    assert result.problems == []
    invoices = result.ledger.invoices.set_index("invoice_id")
    assert invoices.at["I1", "due_date"] == dt.datetime(2026, 4, 5)  # 2026-01-05 + 90 days: 26 + 28 + 31 + 5
    assert invoices.at["I2", "amount"] == 25000  # 100 * 2.5 = 250.00
    assert result.ledger.payments.set_index("payment_id").at["P1", "reference"] == "P1C1"  # =A2&B2
    assert result.ledger.settings.as_of == dt.date(2026, 6, 30)


@pytest.mark.libreoffice
def test_volatile_functions_are_errors_where_the_value_matters(tmp_path: Path) -> None:
    volatile = {"Invoices": {"C2": "=TODAY()-30", "D3": "=OFFSET(D2,0,0)*2"},
                "Payments": {"F2": "=RANDBETWEEN(1,9)"}}
    book = libreoffice_saved(put_formulas(write_book(tmp_path / "book.xlsx", base()), volatile), tmp_path)

    loaded = load_book(book)
    problems = [str(problem) for problem in loaded.problems]

    saved = "its saved value is only what it was when the book was last calculated"
    assert problems == [
        f'Invoices row 2, invoice_date: "=TODAY()-30" is a formula using TODAY(): {saved} {TYPE_IT}',
        f'Invoices row 3, amount: "=OFFSET(D2,0,0)*2" is a formula using OFFSET(): {saved} {TYPE_IT}',
        f'Payments row 2, reference: "=RANDBETWEEN(1,9)" is a formula using RANDBETWEEN(): {saved}; its saved '
        f"value is used {TYPE_IT}",
    ]
    assert loaded.ledger.payments.set_index("payment_id").at["P1", "reference"] in list("123456789")


def test_as_of_holding_today_is_read_as_today_with_a_warning(tmp_path: Path) -> None:
    book = put_formulas(write_book(tmp_path / "book.xlsx", base()), {"Settings": {"B4": "=TODAY()"}})

    loaded = load_book(book)
    result = run_refresh(FileBook(book, output=tmp_path / "out.xlsx"), as_of=None, today=dt.date(2026, 6, 30))

    assert loaded.ok and loaded.ledger.settings.as_of is None  # blank: today, decided by the face
    assert [str(problem) for problem in loaded.problems] == [
        'Settings row 4, value (as_of): "=TODAY()" is read as today, as a blank as_of is: the value saved with '
        "the formula is only the day the book was last calculated (expected a date typed in, for a report as of "
        "a fixed day)"]
    assert result.as_of == dt.date(2026, 6, 30)


@pytest.mark.libreoffice
def test_a_saved_zero_in_a_date_column_is_no_date(tmp_path: Path) -> None:
    book = libreoffice_saved(put_formulas(write_book(tmp_path / "book.xlsx", base()),
                                          {"Invoices": {"E2": "=C2*0"}}), tmp_path)

    assert [str(problem) for problem in load_book(book).problems] == [
        f'Invoices row 2, due_date: "=C2*0" is a formula whose saved value is 0, which is no date {OPEN_AND_SAVE}']


@pytest.mark.libreoffice
def test_saved_values_stay_trusted_after_arxl_saved_the_book(tmp_path: Path) -> None:
    """A refresh asks Excel to recalculate on opening (for its own formulas); a saved 0 of the user's is not
    doubted for that: a credit limit of 0 from a formula stays a credit limit of 0."""
    book = libreoffice_saved(put_formulas(write_book(tmp_path / "book.xlsx", base()),
                                          {"Customers": {"E3": "=0*1"}}), tmp_path)
    assert load_book(book).problems == []

    run_refresh(FileBook(book), as_of=dt.date(2026, 3, 31), today=dt.date(2026, 3, 31))

    with zipfile.ZipFile(book) as archive:
        assert 'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml").decode()
    result = load_book(book)
    assert result.problems == []
    assert result.ledger.customers.set_index("customer_id").at["C2", "credit_limit"] == 0


def test_cells_of_a_shared_formula_carry_the_text_of_its_first_cell(tmp_path: Path) -> None:
    """Excel writes a formula filled down once, in its first cell; the others point at it by number."""
    book = put_formulas(write_book(tmp_path / "book.xlsx", base()),
                        {"Invoices": {"E2": "=TODAY()+30", "E3": "=TODAY()+30"}})
    with zipfile.ZipFile(book) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    sheet = next(name for name in parts if b"<f>TODAY()+30</f>" in parts[name])
    xml = parts[sheet].decode()
    xml = re.sub(r'(<c r="E2"[^>]*>)<f>TODAY\(\)\+30</f><v\s*/>',
                 r'\1<f t="shared" ref="E2:E3" si="0">TODAY()+30</f><v>46100</v>', xml)
    xml = re.sub(r'(<c r="E3"[^>]*>)<f>TODAY\(\)\+30</f><v\s*/>', r'\1<f t="shared" si="0"/><v>46100</v>', xml)
    parts[sheet] = xml.encode()
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)

    problems = [str(problem) for problem in load_book(book).problems]

    saved = "its saved value is only what it was when the book was last calculated"
    assert problems == [
        f'Invoices row 2, due_date: "=TODAY()+30" is a formula using TODAY(): {saved} {TYPE_IT}',
        f'Invoices row 3, due_date: "=TODAY()+30" is a formula using TODAY(): {saved} {TYPE_IT}',
    ]
