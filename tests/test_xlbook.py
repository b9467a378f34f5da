"""The xlwings adapter against the in-memory stand-in of xlwings (tests/xlfake.py): reading the tables, writing
the generated sheets, the record of owned sheets, appending rows to a table, and the same figures as the file."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
import python_calamine as calamine
from books import base, write_book
from xlfake import Book, ExcelError, add_table, book_from_file

from arxl import contract
from arxl.errors import SaveRefused, WorkbookError
from arxl.load import load_tables
from arxl.ownership import MARKER_NAME, STATE_SHEET
from arxl.render.spec import ACCOUNTING, NAVY, Cell, SheetSpec
from arxl.verbs.refresh import Append, run_refresh
from arxl.workbook import write_demo
from arxl.workbook.book import FileBook
from arxl.workbook.generated import LEGACY_SHEET, OWNED_PROPERTY
from arxl.workbook.read import read_raw_tables
from arxl.workbook.xlbook import (
    XlwingsBook,
    column_letter,
    excel_value,
    frozen_address,
)

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("xlbook")
    return write_demo(folder / "demo.xlsx", customers=12, invoices=400, as_of=AS_OF)


@pytest.fixture(scope="module")
def refreshed_file(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlbook-file") / "refreshed.xlsx"
    shutil.copy(demo_file, path)
    run_refresh(FileBook(path), as_of=None, today=AS_OF)
    return path


def _file_sheet(path: Path, name: str) -> list[list[object]]:
    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        book.close()


def _blank(value: object) -> object:
    return None if value == "" else value


def test_reads_the_same_tables_as_the_file_reader(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    tables, date1904, problems = XlwingsBook(book).read_tables()
    expected, _, _ = read_raw_tables(demo_file)
    assert set(tables) == set(expected)
    assert not date1904 and not problems
    for name, table in tables.items():
        assert table.sheet == expected[name].sheet and table.first_row == expected[name].first_row
        filled = [row for row in expected[name].cell_rows() if any(cell not in ("", None) for cell in row)]
        assert len(table.rows) == len(filled), name
    live = load_tables(tables).ledger
    from_file = load_tables(expected).ledger
    assert live.invoices["amount"].tolist() == from_file.invoices["amount"].tolist()
    assert live.payments["payment_date"].tolist() == from_file.payments["payment_date"].tolist()


def test_refresh_through_the_fake_book_gives_the_file_refresh_aging(demo_file: Path, refreshed_file: Path) -> None:
    book = book_from_file(demo_file)
    result = run_refresh(XlwingsBook(book), as_of=None, today=AS_OF)
    assert "Aging" in result.sheets
    expected = _file_sheet(refreshed_file, "Aging")
    sheet = book.sheets["Aging"]
    header_row = 4
    width = expected[header_row - 1].index("Headroom") + 1
    customers = sum(1 for row in expected[header_row:] if row[0] not in ("", "Total")
                    and not str(row[0]).startswith("No open"))
    first_total = header_row + customers + 2
    live = sheet.values((header_row, 1), (first_total, width))
    wanted = [[_blank(value) for value in row[:width]] for row in expected[header_row - 1:first_total]]
    for live_row, file_row in zip(live, wanted, strict=True):
        if live_row and live_row[0] == "Total":
            continue  # the totals are formulas; compared below
        assert live_row == file_row
    assert sheet.range((first_total, 4)).formula.startswith("=SUMIFS(")
    assert sheet.range((header_row, 1)).value == "Customer ID"


def test_generated_sheets_carry_formats_tables_freeze_and_chart(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    run_refresh(XlwingsBook(book), as_of=None, today=AS_OF, only=("aging",))
    sheet = book.sheets["Aging"]
    header = sheet.peek(4, 1)
    assert header.font.bold and header.fill == "#" + NAVY and header.font.color == "#FFFFFF"
    assert sheet.peek(5, 4).number_format == ACCOUNTING
    # Widths follow the content: the Customer column is wider than its longest name has letters, less the
    # narrow ones (an estimate of what the font draws), and never the old fixed 30.
    names = [str(row[1]) for row in sheet.range((5, 1), (64, 2)).value if row[1]]
    longest = max(names, key=len)
    assert 0.8 * len(longest) <= sheet.widths[2] <= 1.2 * len(longest) + 4
    assert sheet.freeze_panes.frozen == "A1:B4"
    assert [table.name for table in sheet.tables] == ["arxl_Aging"]
    chart = next(iter(sheet.charts))
    assert chart.options["chart_type"] == "bar_stacked" and chart.categories is not None
    assert book.sheets["Aging"].peek(1, 1).font.size == 16


def _markers(book: Book) -> dict[str, str]:
    return {sheet.name: name.refers_to for sheet in book.sheets for name in sheet.names
            if name.name.endswith("!" + MARKER_NAME)}


def test_a_live_book_gets_the_books_date_format_and_rows_grown_for_wrapped_text(demo_file: Path) -> None:
    """The demo reports in USD: dates read mm/dd/yyyy; the Checks sheet's explanations wrap onto more lines,
    and their rows are given the height of those lines (15 points each)."""
    book = book_from_file(demo_file)
    run_refresh(XlwingsBook(book), as_of=None, today=AS_OF, only=("detail", "checks"))
    detail = book.sheets["Aging Detail"]
    assert detail.range((4, 5)).value == "Date" and detail.peek(5, 5).number_format == "mm/dd/yyyy"
    checks = book.sheets["Checks"]
    grown = {row: height for row, height in checks.heights.items() if row > 4}
    assert grown and all(height % 15 == 0 and height >= 30 for height in grown.values())


def test_generated_sheets_are_marked_and_rewritten_in_place(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    adapter = XlwingsBook(book)
    run_refresh(adapter, as_of=None, today=AS_OF)
    markers = _markers(book)
    assert markers["Aging"] == '="arxl:aging"' and markers["Aging Detail"] == '="arxl:aging-detail"'
    assert markers[STATE_SHEET] == '="arxl:state"' and not book.sheets[STATE_SHEET].visible
    assert set(adapter.generated().sheets) >= {"dashboard", "aging", "aging-detail", "checks", "state"}
    aging = book.sheets["Aging"]
    count = len(book.sheets)
    run_refresh(XlwingsBook(book), as_of=None, today=AS_OF)
    assert book.sheets["Aging"] is aging  # the same sheet: formulas that point at it keep working
    assert len(book.sheets) == count
    assert [table.name for table in aging.tables] == ["arxl_Aging"]


def test_a_renamed_generated_sheet_is_followed_and_a_new_user_sheet_of_its_name_left_alone(
        demo_file: Path) -> None:
    book = book_from_file(demo_file)
    run_refresh(XlwingsBook(book), as_of=None, today=AS_OF, only=("aging", "forecast"))
    book.sheets["Forecast"].name = "arxl Forecast"
    mine = book.sheets.add("Forecast", after=book.sheets[-1])
    mine.range("A1").value = "my cash model"
    result = run_refresh(XlwingsBook(book), as_of=None, today=AS_OF, only=("aging", "forecast"))
    assert "arxl Forecast" in result.sheets and "Forecast" not in result.sheets
    assert mine.range("A1").value == "my cash model" and not list(mine.names)
    assert book.sheets["arxl Forecast"].peek(1, 1).value == "Northwind Components Ltd"


def test_a_user_sheet_with_a_report_name_is_never_written(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    mine = book.sheets.add("Aging", after=book.sheets[-1])
    mine.range("A1").value = "my notes"
    result = run_refresh(XlwingsBook(book), as_of=None, today=AS_OF, only=("aging",))
    assert mine.range("A1").value == "my notes" and not list(mine.names)
    assert result.sheets == ["Aging~2"]
    assert any("'Aging' is not one arxl generated" in note for note in result.notes)


def test_a_user_table_with_an_arxl_table_name_is_refused(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    add_table(book, "Mine", "arxl_Aging", [["a"], [1]])
    names = book.sheets.names()
    with pytest.raises(SaveRefused, match="arxl_Aging"):
        run_refresh(XlwingsBook(book), as_of=None, today=AS_OF)
    assert book.sheets.names() == names


def test_a_book_an_older_arxl_refreshed_is_adopted_and_its_lists_dropped(demo_file: Path) -> None:
    book = book_from_file(demo_file, custom_properties={OWNED_PROPERTY: "Aging/ST GONE"})
    old_aging = book.sheets.add("Aging", after=book.sheets[-1])
    old_aging.range("A1").value = "an old arxl aging"
    book.sheets.add("ST GONE", after=book.sheets[-1])
    book.sheets.add(LEGACY_SHEET, after=book.sheets[-1]).range("A1").value = [["Aging"], ["ST GONE"]]
    result = run_refresh(XlwingsBook(book), as_of=None, today=AS_OF)
    assert book.sheets["Aging"] is old_aging and old_aging.peek(1, 1).value == "Northwind Components Ltd"
    assert sorted(result.removed) == ["ST GONE"]
    assert "ST GONE" not in book.sheets and LEGACY_SHEET not in book.sheets
    assert OWNED_PROPERTY not in book.api.properties


def test_text_from_the_data_stays_text(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    customers = book.sheets["Customers"]
    customers.cell(2, 2).value = '=HYPERLINK("http://evil.example","click")'
    customers.cell(3, 2).value = "1-2"
    run_refresh(XlwingsBook(book), as_of=None, today=AS_OF, only=("aging",))
    aging = book.sheets["Aging"]
    names = [aging.peek(row, 2) for row in range(5, 20)]
    assert any(cell.value == '=HYPERLINK("http://evil.example","click")' and not cell.formula for cell in names)
    assert any(cell.value == "1-2" for cell in names)
    assert not any(cell.formula for cell in names)


def test_date1904_comes_from_the_book() -> None:
    book = Book("mac.xlsx", date1904=True)
    add_table(book, "Invoices", "Invoices", [["invoice_id"], ["I1"]])
    _, date1904, _ = XlwingsBook(book).read_tables()
    assert date1904


def test_a_sheet_without_a_table_is_read_from_its_first_row_with_a_warning() -> None:
    book = Book()
    sheet = book.sheets.add("Customers")
    sheet.range("A1").value = [["customer_id", "name"], ["C1", "Acme"], [None, None]]
    tables, _, problems = XlwingsBook(book).read_tables()
    assert tables["Customers"].rows == [["C1", "Acme"]]
    assert "holds no Excel Table named Customers" in problems[0].message


def test_helpers() -> None:
    assert column_letter(1) == "A" and column_letter(28) == "AB" and column_letter(703) == "AAA"
    assert frozen_address((5, 3)) == "A1:B4"
    assert frozen_address((5, 1)) == "1:4"
    assert frozen_address((1, 4)) == "A:C"
    assert excel_value("=1+1") == "'=1+1"
    assert excel_value("") is None
    assert excel_value(float("nan")) is None
    assert excel_value(dt.date(2026, 1, 2)) == dt.datetime(2026, 1, 2)


def test_an_error_cell_in_a_live_book_is_reported_not_read_as_empty() -> None:
    """xlwings reads #N/A as None unless asked for its text; arxl asks, so the loader can say what it is."""
    book = Book()
    tables = base()
    tables["Invoices"][2][3] = ExcelError("#N/A")  # I2's amount, Excel row 3
    for name, rows in tables.items():
        add_table(book, name, name, rows)
    raw, _, _ = XlwingsBook(book).read_tables()
    problems = load_tables(raw).problems
    assert [(p.sheet, p.row, p.column, p.value, p.message) for p in problems if p.is_error] == [
        ("Invoices", 3, "amount", "#N/A", "is an Excel error value")]


# --- appending rows to a live table ---------------------------------------------------------------------------

def _applications_book() -> tuple[Book, object]:
    """An Applications table in rows 1-4: two filled rows, then an empty row inside the table (as the template
    leaves one); the first data row carries number formats, as a user's typed rows do."""
    book = Book()
    table = add_table(book, "Applications", "Applications", [
        ["payment_id", "invoice_id", "amount", "date"],
        ["P1", "I1", 10.0, dt.date(2026, 1, 5)],
        ["P2", "I2", 20.0, None],
        [None, None, None, None],
    ])
    sheet = book.sheets["Applications"]
    sheet.cell(2, 3).number_format = "#,##0.00"
    sheet.cell(2, 4).number_format = "yyyy-mm-dd"
    return book, table


def _rows(**columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_appended_rows_fill_the_table_then_grow_it() -> None:
    book, table = _applications_book()
    frame = _rows(payment_id=["00123", '=HYPERLINK("http://evil.example","x")'], invoice_id=["I3", "I4"],
                  amount=[30.5, 40.0], date=pd.to_datetime(["2026-03-01", None]))
    committed = XlwingsBook(book).commit([Append(contract.APPLICATIONS, frame)], keep_backups=0)
    # rows 2-3 are filled, row 4 is the table's empty row: the new rows land on 4 and 5
    assert committed.first_rows == (4,) and committed.backup is None
    sheet = book.sheets["Applications"]
    assert (table.range.row, table.range.shape) == (1, (5, 4))
    assert sheet.values((4, 1), (5, 4)) == [["00123", "I3", 30.5, dt.datetime(2026, 3, 1)],
                                             ['=HYPERLINK("http://evil.example","x")', "I4", 40.0, None]]
    assert not sheet.peek(5, 1).formula  # text from the data stays text
    assert sheet.peek(5, 3).number_format == "#,##0.00" and sheet.peek(4, 4).number_format == "yyyy-mm-dd"
    assert sheet.peek(4, 1).number_format == "General"


def test_cells_in_the_way_below_a_table_refuse_the_commit_before_anything_changes() -> None:
    book, table = _applications_book()
    book.sheets["Applications"].range((6, 2)).value = "my note"
    frame = _rows(payment_id=["P3", "P4", "P5"], invoice_id=["I3", "I4", "I5"], amount=[1.0, 2.0, 3.0])
    spec = SheetSpec("Aging", cells={(1, 1): Cell("x")})
    with pytest.raises(SaveRefused, match=r"Applications: the cells below the table \(row 6\) are not empty"):
        XlwingsBook(book).commit([Append(contract.APPLICATIONS, frame)], [spec], keep_backups=0)
    assert table.range.shape == (4, 4) and book.sheets["Applications"].peek(4, 1).value is None
    assert book.sheets.names() == ["Applications"]


def test_a_table_showing_its_total_row_or_no_table_at_all_is_refused() -> None:
    book, table = _applications_book()
    table.show_totals = True
    frame = _rows(payment_id=["P3"], invoice_id=["I3"], amount=[1.0])
    with pytest.raises(SaveRefused, match="Total Row"):
        XlwingsBook(book).commit([Append(contract.APPLICATIONS, frame)], keep_backups=0)
    with pytest.raises(WorkbookError, match="no Excel Table named Payments"):
        XlwingsBook(book).commit([Append(contract.PAYMENTS, frame)], keep_backups=0)
    assert book.sheets["Applications"].peek(4, 1).value is None


def test_the_same_appends_read_back_the_same_from_the_file_and_the_live_book(tmp_path: Path) -> None:
    path = write_book(tmp_path / "book.xlsx", base())
    book = book_from_file(path)
    customers = _rows(customer_id=["C3"], name=["Gamma SA"])
    invoices = _rows(invoice_id=["I3", "I4"], customer_id=["C3", "C1"],
                     invoice_date=pd.to_datetime(["2026-03-10", "2026-03-12"]), amount=[80.0, 1234.5])
    appends = [Append(contract.CUSTOMERS, customers), Append(contract.INVOICES, invoices)]
    # Customers rows 2-3 and Invoices rows 2-4 are the base book's: the new rows start on 4 and 5
    assert FileBook(path).commit(appends, keep_backups=0).first_rows == (4, 5)
    assert XlwingsBook(book).commit(appends, keep_backups=0).first_rows == (4, 5)
    from_file = load_tables(read_raw_tables(path)[0]).ledger
    live = load_tables(XlwingsBook(book).read_tables()[0]).ledger
    columns = ["invoice_id", "customer_id", "invoice_date", "amount"]
    assert live.invoices[columns].values.tolist() == from_file.invoices[columns].values.tolist()
    assert live.invoices["amount"].tolist()[-2:] == [8000, 123450]
    expected_ids = ["C1", "C2", "C3"]
    assert live.customers["customer_id"].tolist() == from_file.customers["customer_id"].tolist() == expected_ids
