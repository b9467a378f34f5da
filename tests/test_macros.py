"""The ribbon's entry points (macros/arxl_macros.py) against the stand-in of xlwings: the same orchestration and
figures as the file refresh, status-bar progress, and a message box for every outcome."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import arxl_macros
import pytest
import xlwings as xw
from xlfake import Book, book_from_file

from arxl.verbs.refresh import run_refresh
from arxl.workbook import write_demo
from arxl.workbook.book import FileBook

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("macros") / "demo.xlsx", customers=10, invoices=300, as_of=AS_OF)


def test_every_ribbon_button_has_an_entry_point() -> None:
    assert set(arxl_macros.ACTIONS) == {"arxlRefresh", "arxlStatements", "arxlApplyCash", "arxlCheck", "arxlHelp"}


def test_refresh_button_matches_the_file_refresh(demo_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "file.xlsx"
    shutil.copy(demo_file, path)
    file_result = run_refresh(FileBook(path), as_of=None, today=AS_OF)
    book = book_from_file(demo_file)
    message = arxl_macros.on_ribbon("arxlRefresh", book=book)
    assert message is not None and message.startswith("Refreshed as of 2026-06-30")
    assert [name for name in book.sheets.names() if name in file_result.sheets] == file_result.sheets
    import python_calamine as calamine

    workbook = calamine.CalamineWorkbook.from_path(str(path))
    expected = workbook.get_sheet_by_name("Aging").to_python(skip_empty_area=False)
    workbook.close()
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
    assert message is not None and ("No problems found" in message or "0 error(s)" in message)
    assert book.sheets.names() == names


def test_statements_button_writes_statement_sheets_only(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    arxl_macros.statements(book)
    generated = [name for name in book.sheets.names() if name.startswith("ST ")]
    assert generated
    assert "Aging" not in book.sheets and "Dashboard" not in book.sheets


def test_apply_cash_refreshes_and_says_proposals_are_not_available(demo_file: Path) -> None:
    book = book_from_file(demo_file)
    message = arxl_macros.on_ribbon("arxlApplyCash", book=book)
    assert message is not None and "not available in this version" in message
    assert "Aging" in book.sheets


def test_help_and_unknown_buttons_answer_with_a_message_box() -> None:
    book = Book()
    arxl_macros.on_ribbon("arxlHelp", book=book)
    assert "Refresh" in book.app.alerts[-1]["prompt"]
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
