"""The ribbon's entry points (macros/arxl_macros.py) against the stand-in of xlwings: the same verbs and figures as
the command line on the same file, status-bar progress, and a message box for every outcome."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import arxl_macros
import pytest
import python_calamine as calamine
import xlwings as xw
from books import D, base, write_book
from click.testing import CliRunner
from xlfake import App, Book, book_from_file

from arxl.cli import main
from arxl.load import load_tables
from arxl.verbs.refresh import run_refresh
from arxl.workbook import write_demo
from arxl.workbook.book import FileBook
from arxl.workbook.read import read_raw_tables
from arxl.workbook.xlbook import XlwingsBook

AS_OF = dt.date(2026, 6, 30)
CASH_AS_OF = dt.date(2026, 3, 31)
REVIEW_HEADER_ROW = 4  # below the title block: title, subtitle, blank


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("macros") / "demo.xlsx", customers=10, invoices=300, as_of=AS_OF)


def cash_book(path: Path) -> Path:
    """The base book (as of 2026-03-31: I1 owes 30.00, I2 owes 145.50) with two payments that name no invoice.

    P3, 30.00 from C1: exactly what I1 owes, I1 being C1's only open invoice -> P3 to I1 30.00 at 0.90.
    P4, 200.00 from C2: a whole hundred, and I2 (145.50) is the only invoice owing between 100 and 200 -> P4 to
    I2 145.50 at 0.55, 54.50 left unapplied. At the 0.80 threshold P3 is marked yes and P4 is not.
    """
    tables = base()
    tables["Payments"].append(["P3", "C1", D(2026, 3, 20), 30.0, "", "thanks"])
    tables["Payments"].append(["P4", "C2", D(2026, 3, 25), 200.0, "", ""])
    return write_book(path, tables)


def cli(*arguments: str) -> str:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def review_rows(values: list[list[object]]) -> list[tuple[object, ...]]:
    """(payment, invoice, apply, confidence, accept) of each row of a Cash application sheet given as rows."""
    header = [str(cell) for cell in values[REVIEW_HEADER_ROW - 1]]
    columns = [header.index(name) for name in ("Payment", "Invoice", "Apply", "Confidence", "Accept")]
    return [tuple(None if row[column] == "" else row[column] for column in columns)
            for row in values[REVIEW_HEADER_ROW:] if row[columns[0]] not in ("", None)]


def file_sheet(path: Path, name: str) -> list[list[object]]:
    workbook = calamine.CalamineWorkbook.from_path(str(path))
    try:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        workbook.close()


def live_sheet(book: Book, name: str) -> list[list[object]]:
    sheet = book.sheets[name]
    used = sheet.used_range
    return sheet.values((1, 1), (used.row + used.shape[0] - 1, used.column + used.shape[1] - 1))


def applications(tables: dict) -> list[tuple[object, ...]]:
    """(payment, invoice, amount in cents) of each Applications row, as the loader reads them."""
    frame = load_tables(tables).ledger.applications
    return list(frame[["payment_id", "invoice_id", "amount"]].itertuples(index=False, name=None))


def test_every_ribbon_button_has_an_entry_point() -> None:
    assert set(arxl_macros.ACTIONS) == {"arxlRefresh", "arxlStatements", "arxlCheck", "arxlApplyCash",
                                        "arxlAcceptCash", "arxlImport", "arxlCharges", "arxlAcceptCharges",
                                        "arxlSmallBalances", "arxlAcceptSmallBalances", "arxlCredit",
                                        "arxlHelp"}


def test_refresh_button_matches_the_file_refresh(demo_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "file.xlsx"
    shutil.copy(demo_file, path)
    file_result = run_refresh(FileBook(path), as_of=None, today=AS_OF)
    book = book_from_file(demo_file)
    message = arxl_macros.on_ribbon("arxlRefresh", book=book)
    assert message is not None and message.startswith("Refreshed as of 2026-06-30")
    assert [name for name in book.sheets.names() if name in file_result.sheets] == file_result.sheets
    expected = file_sheet(path, "Aging")
    aging = book.sheets["Aging"]
    data_rows = [row for row in expected[4:] if row[0] and row[0] != "Total"]
    for offset, row in enumerate(data_rows):
        live = aging.values((5 + offset, 1), (5 + offset, 10))[0]
        assert live == [None if value == "" else value for value in row[:10]]
    app = book.app
    assert any(str(status).startswith("arxl: reading the input tables") for status in app.status_log)
    assert app.status_bar is False
    assert app.alerts[-1]["mode"] == "info"


def test_validation_failure_lists_the_problems_and_writes_nothing(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    invoices = book.sheets["Invoices"]
    header = invoices.values((1, 1), (1, 12))[0]
    invoices.cell(12, header.index("invoice_date") + 1).value = "x"
    names = book.sheets.names()
    assert arxl_macros.refresh(book) is None
    alert = book.app.alerts[-1]
    assert alert["mode"] == "critical"
    assert 'Invoices row 12, invoice_date: "x" is not a date' in alert["prompt"]
    assert "nothing was changed" in alert["prompt"]
    assert book.sheets.names() == names
    assert book.app.status_bar is False


def test_check_reports_and_changes_nothing(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    names = book.sheets.names()
    message = arxl_macros.on_ribbon("arxlCheck", book=book)
    assert message == "No problems found: every input table is valid."
    assert book.sheets.names() == names


def test_statements_button_writes_statement_sheets_only(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    arxl_macros.statements(book)
    generated = [name for name in book.sheets.names() if name.startswith("ST ")]
    assert generated
    assert "Aging" not in book.sheets and "Dashboard" not in book.sheets


# --- Apply cash / Accept cash ---------------------------------------------------------------------------------

def test_apply_cash_proposes_what_arxl_apply_proposes(tmp_path: Path) -> None:
    path = cash_book(tmp_path / "book.xlsx")
    book = book_from_file(path)
    cli("apply", str(path))
    message = arxl_macros.on_ribbon("arxlApplyCash", book=book)
    assert message is not None
    assert message.startswith("Proposed applications for 2 payment(s) as of 2026-03-31; 1 at or above 80%")
    expected = [("P3", "I1", 30.0, 0.9, "yes"), ("P4", "I2", 145.5, 0.55, None)]
    assert review_rows(file_sheet(path, "Cash application")) == expected
    assert review_rows(live_sheet(book, "Cash application")) == expected
    assert applications(XlwingsBook(book).read_tables()[0]) == [("P2", "I2", 10000)]  # nothing appended yet


def test_accept_cash_appends_what_arxl_apply_accept_appends(tmp_path: Path) -> None:
    path = cash_book(tmp_path / "book.xlsx")
    book = book_from_file(path)
    cli("apply", str(path))
    cli("apply", str(path), "--accept")
    arxl_macros.on_ribbon("arxlApplyCash", book=book)
    message = arxl_macros.on_ribbon("arxlAcceptCash", book=book)
    assert message is not None
    assert message.startswith("Appended 1 row(s) for 1 payment(s) to Applications (from Excel row 3)")
    # P3 -> I1 30.00 is the only proposal at or above 0.80; the user's P2 row stays first
    expected = [("P2", "I2", 10000), ("P3", "I1", 3000)]
    assert applications(read_raw_tables(path)[0]) == expected
    assert applications(XlwingsBook(book).read_tables()[0]) == expected
    assert review_rows(live_sheet(book, "Cash application")) == [("P4", "I2", 145.5, 0.55, None)]
    assert review_rows(file_sheet(path, "Cash application")) == [("P4", "I2", 145.5, 0.55, None)]
    assert arxl_macros.on_ribbon("arxlAcceptCash", book=book) == (
        "Nothing to append as of 2026-03-31: no new row is marked yes.")
    assert arxl_macros.on_ribbon("arxlCheck", book=book) == "No problems found: every input table is valid."


def _mark(book: Book, payment: str, mark: str | None) -> None:
    sheet = book.sheets["Cash application"]
    header = sheet.values((REVIEW_HEADER_ROW, 1), (REVIEW_HEADER_ROW, 15))[0]
    for row in range(REVIEW_HEADER_ROW + 1, REVIEW_HEADER_ROW + 10):
        if sheet.peek(row, header.index("Payment") + 1).value == payment:
            sheet.cell(row, header.index("Accept") + 1).value = mark
            return
    raise AssertionError(f"{payment} is not on the review sheet")


def test_accept_cash_takes_the_rows_the_user_marked(tmp_path: Path) -> None:
    book = book_from_file(cash_book(tmp_path / "book.xlsx"))
    arxl_macros.on_ribbon("arxlApplyCash", book=book)
    _mark(book, "P3", None)  # refused, although 0.90
    _mark(book, "P4", "Yes")  # accepted, although 0.55
    message = arxl_macros.on_ribbon("arxlAcceptCash", book=book)
    assert message is not None and message.startswith("Appended 1 row(s) for 1 payment(s)")
    assert applications(XlwingsBook(book).read_tables()[0]) == [("P2", "I2", 10000), ("P4", "I2", 14550)]
    # P3's proposal is still to review, marked afresh by its confidence
    assert review_rows(live_sheet(book, "Cash application")) == [("P3", "I1", 30.0, 0.9, "yes")]


def test_a_marked_row_no_longer_proposed_is_left_out_and_named(tmp_path: Path) -> None:
    book = book_from_file(cash_book(tmp_path / "book.xlsx"))
    arxl_macros.on_ribbon("arxlApplyCash", book=book)
    table = book.sheets["Applications"].tables["Applications"]
    table.range.sheet.range((3, 1)).value = [["P3", "I1", 30.0]]  # typed by the user meanwhile
    table.resize(table.range.sheet.range((1, 1), (3, 4)))
    message = arxl_macros.on_ribbon("arxlAcceptCash", book=book)
    assert message is not None and message.startswith("Nothing to append as of 2026-03-31")
    assert "left out: P3 -> I1" in message
    assert applications(XlwingsBook(book).read_tables()[0]) == [("P2", "I2", 10000), ("P3", "I1", 3000)]


def test_accept_cash_before_apply_cash_says_what_to_do(tmp_path: Path) -> None:
    book = book_from_file(cash_book(tmp_path / "book.xlsx"))
    assert arxl_macros.on_ribbon("arxlAcceptCash", book=book) == (
        "There is no Cash application sheet to accept from: press Apply cash first.")


# --- Charges --------------------------------------------------------------------------------------------------

def charges_book(path: Path) -> Path:
    """The base book (as of 2026-03-31) with a 1.5 % monthly finance charge, charged for the days after the last
    day of February, 02-28, to 03-31 (31 days), on the overdue balance day by day:

    I1 (due 02-04) owes 30.00 all along: 3,000 cents x 31 days x 0.18 / 365 = 45.86 -> 46 cents.
    I2 (due 02-16) owes 150.50 for one day, then 145.50 from the discount of 03-01:
    (15,050 x 1 + 14,550 x 30) x 0.18 / 365 = 451,550 x 0.18 / 365 = 222.68 -> 223 cents.
    """
    tables = base()
    tables["Settings"].append(["finance_charge_rate", 0.015])
    return write_book(path, tables)


def charge_rows(values: list[list[object]]) -> list[tuple[object, ...]]:
    header = [str(cell) for cell in values[REVIEW_HEADER_ROW - 1]]
    columns = [header.index(name) for name in ("Adjustment", "Amount", "Accept")]
    return [tuple(None if row[column] == "" else row[column] for column in columns)
            for row in values[REVIEW_HEADER_ROW:] if str(row[columns[0]]).startswith("FC-")]


def test_charges_and_accept_charges_post_what_arxl_charges_posts(tmp_path: Path) -> None:
    path = charges_book(tmp_path / "book.xlsx")
    book = book_from_file(path)
    cli("charges", str(path))
    message = arxl_macros.on_ribbon("arxlCharges", book=book)
    assert message is not None and message.startswith("Proposed 0 late fee(s) and 2 finance charge(s) as of "
                                                      "2026-03-31")
    expected = [("FC-2026-03-31-I1", 0.46, "yes"), ("FC-2026-03-31-I2", 2.23, "yes")]
    assert charge_rows(file_sheet(path, "Charges")) == expected
    assert charge_rows(live_sheet(book, "Charges")) == expected
    # the user leaves the second unmarked
    sheet = book.sheets["Charges"]
    header = sheet.values((REVIEW_HEADER_ROW, 1), (REVIEW_HEADER_ROW, 11))[0]
    sheet.cell(REVIEW_HEADER_ROW + 2, header.index("Accept") + 1).value = None
    message = arxl_macros.on_ribbon("arxlAcceptCharges", book=book)
    assert message is not None and message.startswith("Appended 1 row(s) to Adjustments (from Excel row 3)")
    adjustments = load_tables(XlwingsBook(book).read_tables()[0]).ledger.adjustments
    assert adjustments[["adjustment_id", "type", "amount"]].values.tolist() == [
        ["A1", "discount", 500], ["FC-2026-03-31-I1", "finance_charge", 46]]
    assert charge_rows(live_sheet(book, "Charges")) == [("FC-2026-03-31-I2", 2.23, "yes")]
    assert arxl_macros.on_ribbon("arxlAcceptCharges", book=book).startswith("Appended 1 row(s)")
    assert arxl_macros.on_ribbon("arxlAcceptCharges", book=book) == (
        "Nothing to post as of 2026-03-31: no new row is marked yes.")


def test_accept_charges_before_charges_says_what_to_do(tmp_path: Path) -> None:
    book = book_from_file(charges_book(tmp_path / "book.xlsx"))
    assert arxl_macros.on_ribbon("arxlAcceptCharges", book=book) == (
        "There is no Charges sheet to accept from: press Charges first.")


# --- Small balances -------------------------------------------------------------------------------------------

def small_balances_book(path: Path) -> Path:
    """The base book (as of 2026-03-31: I1 owes 30.00, I2 owes 145.50, both partly settled by P1 and P2) with a
    tolerance of 40.00 USD: I1's 30.00 is at or below it, I2's 145.50 is not."""
    tables = base()
    tables["Settings"].append(["write_off_tolerance", 40])
    return write_book(path, tables)


def small_balance_rows(values: list[list[object]]) -> list[tuple[object, ...]]:
    header = [str(cell) for cell in values[REVIEW_HEADER_ROW - 1]]
    columns = [header.index(name) for name in ("Adjustment", "Amount", "Accept")]
    return [tuple(None if row[column] == "" else row[column] for column in columns)
            for row in values[REVIEW_HEADER_ROW:] if str(row[columns[0]]).startswith("SB-")]


def test_small_balances_and_accept_post_what_arxl_small_balances_posts(tmp_path: Path) -> None:
    path = small_balances_book(tmp_path / "book.xlsx")
    book = book_from_file(path)
    cli("small-balances", str(path))
    message = arxl_macros.on_ribbon("arxlSmallBalances", book=book)
    assert message is not None and message.startswith(
        "Proposed 1 small-balance write-off(s) as of 2026-03-31 (1 underpaid, 0 overpaid)")
    expected = [("SB-2026-03-31-I1", 30.0, "yes")]
    assert small_balance_rows(file_sheet(path, "Small balances")) == expected
    assert small_balance_rows(live_sheet(book, "Small balances")) == expected
    message = arxl_macros.on_ribbon("arxlAcceptSmallBalances", book=book)
    assert message is not None and message.startswith("Appended 1 row(s) to Adjustments (from Excel row 3)")
    adjustments = load_tables(XlwingsBook(book).read_tables()[0]).ledger.adjustments
    assert adjustments[["adjustment_id", "type", "amount"]].values.tolist() == [
        ["A1", "discount", 500], ["SB-2026-03-31-I1", "small_balance", 3000]]
    assert small_balance_rows(live_sheet(book, "Small balances")) == []
    assert arxl_macros.on_ribbon("arxlAcceptSmallBalances", book=book) == (
        "Nothing to write off as of 2026-03-31: no new row is marked yes.")


def test_small_balances_without_a_tolerance_says_how_to_set_it(tmp_path: Path) -> None:
    book = book_from_file(write_book(tmp_path / "book.xlsx", base()))
    message = arxl_macros.on_ribbon("arxlSmallBalances", book=book)
    assert message is not None and message.startswith("Settings write_off_tolerance is 0")
    assert arxl_macros.on_ribbon("arxlAcceptSmallBalances", book=book) == (
        "Nothing to write off as of 2026-03-31: no new row is marked yes.")


def test_accept_small_balances_before_small_balances_says_what_to_do(tmp_path: Path) -> None:
    book = book_from_file(small_balances_book(tmp_path / "book.xlsx"))
    assert arxl_macros.on_ribbon("arxlAcceptSmallBalances", book=book) == (
        "There is no Small balances sheet to accept from: press Small balances first.")


# --- Import ---------------------------------------------------------------------------------------------------

NEW_INVOICES = ("invoice_id,customer_id,invoice_date,amount\n"
                "I3,C1,2026-03-10,80.00\n"
                "I4,C2,2026-03-12,\"1,234.50\"\n")


def invoices(tables: dict) -> list[tuple[object, ...]]:
    """(invoice, customer, invoice date, amount in cents) of each invoice, as the loader reads them."""
    frame = load_tables(tables).ledger.invoices
    return [(invoice, customer, date.date(), amount) for invoice, customer, date, amount
            in frame[["invoice_id", "customer_id", "invoice_date", "amount"]].itertuples(index=False, name=None)]


def test_import_appends_what_arxl_import_appends(tmp_path: Path) -> None:
    path = write_book(tmp_path / "book.xlsx", base())
    source = tmp_path / "new invoices.csv"
    source.write_text(NEW_INVOICES, encoding="utf-8")
    book = book_from_file(path)
    book.app.answers = [str(source)]  # the Open dialog's answer; the confirmation is left at OK
    message = arxl_macros.on_ribbon("arxlImport", book=book)
    assert message is not None
    # the base book's Invoices table holds rows 2-4: the two new rows land on 5 and 6
    assert message.startswith("Appended 2 row(s) to Invoices (Excel rows 5-6)")
    assert book.app.dialogs[0]["dialog"] == "GetOpenFilename"
    question = book.app.alerts[0]
    assert question["buttons"] == "ok_cancel"
    assert "Append 2 row(s) of new invoices.csv to Invoices (Excel rows 5-6)?" in question["prompt"]
    cli("import", str(path), "--table", "invoices", str(source))
    live = invoices(XlwingsBook(book).read_tables()[0])
    assert live[-2:] == [("I3", "C1", dt.date(2026, 3, 10), 8000), ("I4", "C2", dt.date(2026, 3, 12), 123450)]
    assert invoices(read_raw_tables(path)[0]) == live
    assert arxl_macros.on_ribbon("arxlImport", book=book) is None  # the dialog cancelled: nothing happens
    assert arxl_macros.on_ribbon("arxlCheck", book=book) == "No problems found: every input table is valid."


def test_import_on_macos_asks_for_the_path_in_an_input_box(tmp_path: Path) -> None:
    path = write_book(tmp_path / "book.xlsx", base())
    source = tmp_path / "new.csv"
    source.write_text(NEW_INVOICES, encoding="utf-8")
    book = book_from_file(path, app=App(platform="mac"))
    book.app.answers = [f'"{source}"', "cancel"]  # a pasted path may come quoted; then Cancel at the question
    assert arxl_macros.on_ribbon("arxlImport", book=book) is None
    assert book.app.dialogs[0]["dialog"] == "input_box"
    assert len(invoices(XlwingsBook(book).read_tables()[0])) == 3  # cancelled: nothing appended


def test_import_lists_the_files_problems_and_changes_nothing(tmp_path: Path) -> None:
    book = book_from_file(write_book(tmp_path / "book.xlsx", base()))
    source = tmp_path / "bad.csv"
    source.write_text("invoice_id,customer_id,invoice_date,amount\nI3,C1,2026-03-10,lots\n", encoding="utf-8")
    book.app.answers = [str(source)]
    message = arxl_macros.on_ribbon("arxlImport", book=book)
    assert message is not None and message.startswith("Importing bad.csv has 1 error(s) and 0 warning(s)")
    assert 'bad.csv line 2, amount: "lots"' in message
    assert len(invoices(XlwingsBook(book).read_tables()[0])) == 3
    assert all(alert["buttons"] != "ok_cancel" for alert in book.app.alerts)


def test_import_of_a_file_no_table_fits_says_so(tmp_path: Path) -> None:
    book = book_from_file(write_book(tmp_path / "book.xlsx", base()))
    source = tmp_path / "other.csv"
    source.write_text("colour,size\nred,3\n", encoding="utf-8")
    book.app.answers = [str(source)]
    message = arxl_macros.on_ribbon("arxlImport", book=book)
    assert message is not None and message.startswith("arxl cannot tell which table other.csv is for")


def test_import_asks_which_table_when_several_fit(tmp_path: Path) -> None:
    path = write_book(tmp_path / "book.xlsx", base())
    ledger = tmp_path / "ledger.csv"
    cli("export", str(path), "--what", "ledger", "--to", str(ledger))
    book = book_from_file(path)
    book.app.answers = [str(ledger), "no", "yes"]  # not as invoices; as payments
    message = arxl_macros.on_ribbon("arxlImport", book=book)
    questions = [alert["prompt"] for alert in book.app.alerts if alert["buttons"] == "yes_no"]
    assert questions == ["ledger.csv fits more than one table. Import it into Invoices (profile arxl-ledger)?",
                         "ledger.csv fits more than one table. Import it into Payments (profile arxl-ledger)?"]
    # the book's own two payments, P1 and P2: both already there
    assert message == "Nothing to append to Payments: 2 row(s) of ledger.csv are already there."
    book.app.answers = [str(ledger), "no", "no", "no"]  # none of the three: nothing happens, no message
    assert arxl_macros.on_ribbon("arxlImport", book=book) is None
    assert book.app.alerts[-1]["buttons"] == "yes_no"


# --- Help and failures ----------------------------------------------------------------------------------------

def test_help_and_unknown_buttons_answer_with_a_message_box() -> None:
    book = Book()
    arxl_macros.on_ribbon("arxlHelp", book=book)
    prompt = book.app.alerts[-1]["prompt"]
    assert all(label in prompt for label in ("Refresh:", "Statements:", "Check:", "Apply cash:", "Accept cash:",
                                             "Import:", "Charges:", "Accept charges:", "Small balances:",
                                             "Accept small balances:", "Credit check:"))
    assert arxl_macros.on_ribbon("arxlNoSuchButton", book=book) is None
    assert "arxlNoSuchButton" in book.app.alerts[-1]["prompt"]


def test_an_unexpected_failure_is_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    book = Book()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(arxl_macros, "run_refresh", broken)
    assert arxl_macros.refresh(book) is None
    assert "RuntimeError: boom" in book.app.alerts[-1]["prompt"]


def test_called_from_the_add_in_acts_on_the_active_workbook(demo_file: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    data = book_from_file(demo_file)
    add_in = Book("arxl.xlam", app=data.app)
    data.app.books.active = data
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: add_in))
    arxl_macros.on_ribbon("arxlRefresh")
    assert "Aging" in data.sheets
    assert len(add_in.sheets) == 0


def _collections_layout(book: Book) -> tuple[dict[str, int], dict[str, int]]:
    sheet = book.sheets["Collections"]
    rows = sheet.range((1, 1), (sheet.used_range.row + sheet.used_range.shape[0], 40)).options(ndim=2).value
    header = next(number for number, row in enumerate(rows, start=1) if "Outcome" in row)
    columns = {name: index + 1 for index, name in enumerate(rows[header - 1]) if name}
    customers = {row[columns["Customer ID"] - 1]: number for number, row in enumerate(rows, start=1)
                 if number > header and row[columns["Customer ID"] - 1]}
    return columns, customers


def test_refresh_takes_notes_typed_in_collections_into_activity(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    arxl_macros.on_ribbon("arxlRefresh", book=book)
    columns, customers = _collections_layout(book)
    customer, row = next(iter(customers.items()))
    collections = book.sheets["Collections"]
    collections.range((row, columns["Outcome"])).value = "call"
    collections.range((row, columns["Note"])).value = "Spoke to AP: paying next week"
    activity = book.sheets["Activity"].tables["Activity"]
    rows_before = activity.data_body_range.shape[0]
    message = arxl_macros.on_ribbon("arxlRefresh", book=book)
    assert message is not None and "1 note(s) from the Collections sheet added to Activity" in message
    body = activity.data_body_range.options(ndim=2).value
    assert len(body) == rows_before + 1
    assert body[-1][1:4] == [customer, None, "call"] and body[-1][-1] == "Spoke to AP: paying next week"
    assert collections.range((row, columns["Note"])).value is None  # written blank again


def test_an_edit_in_a_generated_sheet_asks_before_it_is_discarded(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    arxl_macros.on_ribbon("arxlRefresh", book=book)
    detail = book.sheets["Aging Detail"]
    detail.range("N6").value = "do not lose me"
    book.app.answers.append("no")
    assert arxl_macros.on_ribbon("arxlRefresh", book=book) is None
    assert "Aging Detail row 6, cell N6" in book.app.alerts[-1]["prompt"]
    assert detail.range("N6").value == "do not lose me"
    book.app.answers.append("yes")
    message = arxl_macros.on_ribbon("arxlRefresh", book=book)
    assert message is not None and "edits discarded on 1 sheet(s)" in message
    assert detail.range("N6").value != "do not lose me"
