"""System-of-record controls (issue 14): the audit trail, period close, the control-account assertion, and
failed checks failing the run. Real books: the bundled demo and small books written with openpyxl, edited with
openpyxl (as a script would) or through LibreOffice."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import python_calamine as calamine
from books import D, base, write_book
from click.testing import CliRunner

from arxl.cli import main

DEMO = Path(__file__).parent.parent / "workbooks" / "demo.xlsx"


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def audit_rows(book: Path) -> list[dict[str, str]]:
    code, output = run("audit", str(book), "--format", "json")
    assert code == 0, output
    import json

    return json.loads(output)


def sheet(book: Path, name: str) -> list[list[object]]:
    reader = calamine.CalamineWorkbook.from_path(str(book))
    try:
        return reader.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        reader.close()


def _table_rows(workbook: openpyxl.Workbook, name: str) -> tuple[list[str], int, int]:
    """(header, first data row, last row) of the Excel Table ``name``."""
    worksheet = workbook[name]
    table = worksheet.tables[name]
    first, last = table.ref.split(":")
    top = int("".join(filter(str.isdigit, first)))
    bottom = int("".join(filter(str.isdigit, last)))
    header = [cell.value for cell in worksheet[top]]
    return header, top + 1, bottom


def _find(workbook: openpyxl.Workbook, table: str, column: str, value: object) -> int:
    header, first, last = _table_rows(workbook, table)
    index = header.index(column) + 1
    return next(row for row in range(first, last + 1) if workbook[table].cell(row, index).value == value)


def _append(workbook: openpyxl.Workbook, table: str, values: dict[str, object]) -> None:
    header, _first, last = _table_rows(workbook, table)
    worksheet = workbook[table]
    for column, value in values.items():
        cell = worksheet.cell(last + 1, header.index(column) + 1, value)
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    ref = worksheet.tables[table].ref
    worksheet.tables[table].ref = ref.rsplit(str(last), 1)[0] + str(last + 1)


def _three_edits(book: Path, *, invoice_date: dt.date, payment_date: dt.date, new_date: dt.date
                 ) -> tuple[str, object, str, str]:
    """Change the amount of the first invoice dated ``invoice_date``, delete the first payment dated
    ``payment_date``, and add an invoice dated ``new_date``; return (invoice, its old amount, payment, new id)."""
    workbook = openpyxl.load_workbook(book)
    invoices = workbook["Invoices"]
    header, first, last = _table_rows(workbook, "Invoices")
    date_at, amount_at, id_at = (header.index(name) + 1 for name in ("invoice_date", "amount", "invoice_id"))
    row = next(row for row in range(first, last + 1) if _day(invoices.cell(row, date_at).value) == invoice_date)
    invoice, old = invoices.cell(row, id_at).value, invoices.cell(row, amount_at).value
    invoices.cell(row, amount_at).value = round(old + 100, 2)  # more: never below what was applied to it
    payments = workbook["Payments"]
    header, first, last = _table_rows(workbook, "Payments")
    date_at, id_at = header.index("payment_date") + 1, header.index("payment_id") + 1
    row = next(row for row in range(first, last + 1) if _day(payments.cell(row, date_at).value) == payment_date)
    payment = payments.cell(row, id_at).value
    payments.delete_rows(row)
    payments.tables["Payments"].ref = payments.tables["Payments"].ref.rsplit(str(last), 1)[0] + str(last - 1)
    customer = workbook["Customers"].cell(2, 1).value
    _append(workbook, "Invoices", {"invoice_id": "INV-BACKDATED", "customer_id": customer,
                                   "invoice_date": new_date, "amount": 99.5})
    workbook.save(book)
    return invoice, old, payment, "INV-BACKDATED"


def _day(value: object) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def test_three_edits_give_exactly_three_audit_rows(tmp_path: Path) -> None:
    book = tmp_path / "demo.xlsx"
    shutil.copy(DEMO, book)
    assert run("refresh", str(book))[0] == 0
    rows = audit_rows(book)
    assert [row["Kind"] for row in rows] == ["baseline"]
    assert run("refresh", str(book))[0] == 0
    assert len(audit_rows(book)) == 1  # no change, no audit row
    invoice, old, payment, added = _three_edits(book, invoice_date=D(2026, 5, 4), payment_date=D(2026, 5, 4),
                                                new_date=D(2026, 1, 15))
    code, output = run("refresh", str(book))
    assert code == 0, output
    assert "3 change(s) to the input tables" in output
    new = audit_rows(book)[1:]
    assert [(row["Table"], row["Key"], row["Column"], row["Kind"]) for row in new] == [
        ("Invoices", invoice, "amount", "changed"), ("Invoices", added, "", "added"),
        ("Payments", payment, "", "removed")]
    assert (new[0]["Before"], new[0]["After"]) == (repr(old).removesuffix(".0"), repr(round(old + 100, 2)))
    assert "amount=99.5" in new[1]["After"] and "invoice_date=2026-01-15" in new[1]["After"]
    assert f"payment_id={payment}" in new[2]["Before"] and new[2]["After"] == ""
    assert all(row["Source"] == "edited in the workbook" and row["Run by"] for row in new)
    assert run("refresh", str(book))[0] == 0 and len(audit_rows(book)) == 4


def test_the_audit_trail_is_never_rewritten(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    assert run("refresh", str(book))[0] == 0
    workbook = openpyxl.load_workbook(book)
    workbook["Audit"]["K5"] = "tampered"
    workbook["Invoices"]["D2"] = 101.0
    workbook.save(book)
    code, output = run("refresh", str(book))
    assert code == 0, output
    assert "rows of the Audit sheet were edited or removed since arxl wrote them (first at K5)" in output
    rows = audit_rows(book)
    assert rows[0]["Kind"] == "tampered"  # kept as it is
    assert [row["Kind"] for row in rows[1:]] == ["audit-edited", "changed"]


def test_every_table_is_compared_again_after_runs_that_left_it_alone(tmp_path: Path) -> None:
    # A table whose snapshot is unchanged is not compared row by row (its stored record is kept as it is): a
    # later edit to it must still be found, and each run lists only that run's edits.
    book = write_book(tmp_path / "book.xlsx", base())
    assert run("refresh", str(book))[0] == 0
    workbook = openpyxl.load_workbook(book)
    workbook["Invoices"]["D3"] = 260.5  # I2: 250.50 -> 260.50
    workbook.save(book)
    assert run("refresh", str(book))[0] == 0
    workbook = openpyxl.load_workbook(book)
    workbook["Customers"]["B3"] = "Beta AG"  # C2's name; Invoices left as the last run saw it
    workbook.save(book)
    assert run("refresh", str(book))[0] == 0
    assert run("refresh", str(book))[0] == 0  # nothing changed since: nothing added
    rows = audit_rows(book)
    assert [(row["Table"], row["Key"], row["Column"], row["Before"], row["After"], row["Kind"])
            for row in rows[1:]] == [("Invoices", "I2", "amount", "250.5", "260.5", "changed"),
                                     ("Customers", "C2", "name", "Beta GmbH", "Beta AG", "changed")]


def test_the_audit_sheet_prints_like_the_other_reports(tmp_path: Path) -> None:
    tables = base()
    tables["Settings"].append(["paper_size", "letter"])
    book = write_book(tmp_path / "book.xlsx", tables)
    assert run("refresh", str(book))[0] == 0
    workbook = openpyxl.load_workbook(book)
    workbook["Invoices"]["D3"] = 260.5
    workbook.save(book)
    assert run("refresh", str(book))[0] == 0
    audit = openpyxl.load_workbook(book)["Audit"]
    assert audit["A5"].value.endswith(" UTC") and audit["I4"].value == "Before"
    # "2026-11-29 09:58:22 UTC" is 23 characters: the column is at least that wide, so it is never cut
    assert audit.column_dimensions["A"].width >= 23
    # the baseline's "rows: Settings 4, Customers 2, ..." wraps in its column: its row grows to show it whole
    baseline_after = audit["J5"].value
    assert baseline_after.startswith("rows: ") and audit["J5"].alignment.wrap_text
    assert len(baseline_after) > audit.column_dimensions["J"].width and audit.row_dimensions[5].height > 15
    assert int(audit.page_setup.paperSize) == 1 and audit.print_title_rows == "$1:$4"  # 1: Letter in OOXML


def test_a_deleted_or_edited_audit_trail_is_said_and_recorded_even_when_nothing_else_changed(tmp_path: Path
                                                                                            ) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    assert run("refresh", str(book))[0] == 0
    workbook = openpyxl.load_workbook(book)
    del workbook["Audit"]
    workbook.save(book)
    code, output = run("refresh", str(book))
    assert code == 0, output
    assert "the Audit sheet (the audit trail) was removed since arxl wrote it" in output
    assert [(row["Kind"], row["After"]) for row in audit_rows(book)] == [
        ("audit-removed", "the Audit sheet was removed since arxl wrote it")]
    assert run("refresh", str(book))[0] == 0 and len(audit_rows(book)) == 1  # said once
    workbook = openpyxl.load_workbook(book)
    workbook["Audit"]["J5"] = "nothing happened"  # no input table changed
    workbook.save(book)
    code, output = run("refresh", str(book))
    assert code == 0 and "rows of the Audit sheet were edited or removed since arxl wrote them (first at J5)" \
        in output
    # the edited row is kept as it now reads, and the finding is added below it
    assert [(row["Kind"], row["After"]) for row in audit_rows(book)] == [
        ("audit-removed", "nothing happened"), ("audit-edited", "rows edited or removed since arxl wrote them")]


CLOSED = D(2026, 2, 28)


def _closed_book(tmp_path: Path) -> Path:
    tables = base()
    tables["Settings"].append(["closed_through", CLOSED])
    book = write_book(tmp_path / "book.xlsx", tables)
    code, output = run("refresh", str(book))
    assert code == 0, output
    return book


@pytest.mark.parametrize(("edit", "where", "words"), [
    ("amount", "Invoices row 2, amount", "changed from 100 to 120"),
    ("delete", "Payments row 2", "was removed"),
    ("backdate", "Invoices row 5", "was added"),
])
def test_edits_in_a_closed_period_stop_the_refresh(tmp_path: Path, edit: str, where: str, words: str) -> None:
    book = _closed_book(tmp_path)
    workbook = openpyxl.load_workbook(book)
    if edit == "amount":
        workbook["Invoices"]["D2"] = 120.0  # I1, dated 2026-01-05
    elif edit == "delete":
        workbook["Payments"]["A2"] = None  # P1, dated 2026-02-01: its row emptied
        for column in "BCDEF":
            workbook["Payments"][f"{column}2"] = None
    else:
        _append(workbook, "Invoices", {"invoice_id": "OLD", "customer_id": "C1", "invoice_date": D(2026, 2, 10),
                                       "amount": 10.0})
    workbook.save(book)
    before = book.read_bytes()
    code, output = run("refresh", str(book))
    assert code == 1, output
    assert where in output and words in output and "closed through 2026-02-28" in output
    assert "a credit note, a reversal or an adjustment" in output
    assert book.read_bytes() == before


def test_edits_after_the_close_go_through_and_are_logged(tmp_path: Path) -> None:
    book = _closed_book(tmp_path)
    workbook = openpyxl.load_workbook(book)
    workbook["Invoices"]["D3"] = 260.5  # I2, dated 2026-02-01: inside the close
    workbook["Invoices"]["D3"] = 250.5  # ...and put back: no difference
    _append(workbook, "Invoices", {"invoice_id": "NEW", "customer_id": "C1", "invoice_date": D(2026, 3, 10),
                                   "amount": 10.0})
    workbook.save(book)
    code, output = run("refresh", str(book))
    assert code == 0, output
    assert [(row["Key"], row["Kind"]) for row in audit_rows(book)[1:]] == [("NEW", "added")]


def test_close_records_balances_and_locks_the_period(tmp_path: Path) -> None:
    tables = base()
    tables["Assertions"] = [["customer_id", "date", "balance", "currency", "note"]]
    book = write_book(tmp_path / "book.xlsx", tables)
    assert run("refresh", str(book))[0] == 0
    code, output = run("close", str(book), "--through", "2026-02-28")
    assert code == 0, output
    # At 2026-02-28: C1 = I1 100 - CN1 20 - P1 50 = 30; C2 = I2 250.50 - P2 100 = 150.50; ledger 180.50
    assertions = sheet(book, "Assertions")
    assert [row[:4] for row in assertions[1:]] == [["C1", D(2026, 2, 28), 30.0, "USD"],
                                                   ["C2", D(2026, 2, 28), 150.5, "USD"],
                                                   ["", D(2026, 2, 28), 180.5, "USD"]]
    settings = {row[0]: row[1] for row in sheet(book, "Settings")[1:]}
    assert settings["closed_through"] == D(2026, 2, 28)
    assert [(row["Source"], row["Table"], row["Kind"]) for row in audit_rows(book)[1:]] == [
        ("arxl close", "Assertions", "added")] * 3 + [("arxl close", "Settings", "added")]
    assert run("refresh", str(book))[0] == 0  # the close itself is no edit
    code, output = run("close", str(book), "--through", "2026-01-31")
    assert code == 1 and "already closed through 2026-02-28" in output


def test_close_refuses_a_book_whose_checks_fail(tmp_path: Path) -> None:
    tables = base()
    tables["Assertions"] = [["customer_id", "date", "balance", "currency", "note"],
                            ["C1", D(2026, 2, 28), 99.0, "USD", "confirmation"]]
    book = write_book(tmp_path / "book.xlsx", tables)
    before = book.read_bytes()
    code, output = run("close", str(book), "--through", "2026-02-28")
    assert code == 1 and "Balance of C1 on 2026-02-28" in output
    assert book.read_bytes() == before


def _asserted(tmp_path: Path, balance: float) -> Path:
    tables = base()
    # At 2026-03-31 the ledger holds C1 30.00 and C2 145.50 (I2 250.50 - P2 100 - discount 5): 175.50
    tables["Assertions"] = [["customer_id", "date", "balance", "currency", "note"],
                            [None, D(2026, 3, 31), balance, None, "GL 1200 at month end"]]
    return write_book(tmp_path / "book.xlsx", tables)


def test_a_control_account_assertion_that_differs_fails_the_refresh(tmp_path: Path) -> None:
    book = _asserted(tmp_path, 180.0)
    code, output = run("refresh", str(book), "--format", "github")
    assert code == 1
    assert "::error" in output and "Control account on 2026-03-31" in output
    assert output.strip().splitlines()[-1].startswith("FAILED: 1 check(s) failed")
    checks = sheet(book, "Checks")  # written all the same, showing the failure
    row = next(row for row in checks if str(row[0]).startswith("Control account"))
    assert row[2:6] == [180.0, 175.5, -4.5, "FAIL"]  # exact: 175.50 - 180.00
    assert "Look at the 6 document(s) dated so far up to 2026-03-31" in row[6]
    assert run("check", str(book))[0] == 1


def test_a_matching_control_account_assertion_passes(tmp_path: Path) -> None:
    book = _asserted(tmp_path, 175.5)
    code, output = run("refresh", str(book))
    assert code == 0, output
    assert output.strip().splitlines()[-1].startswith("OK:")
    assert run("check", str(book))[0] == 0


def test_a_book_in_one_foreign_currency_passes_its_checks(tmp_path: Path) -> None:
    tables = {
        "Settings": [["key", "value"], ["reporting_currency", "INR"], ["as_of", D(2026, 3, 31)]],
        "Customers": [["customer_id", "name", "currency"], ["U1", "US buyer", "USD"]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount"], ["I1", "U1", D(2026, 3, 1), 100.0]],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount"]],
        "FXRates": [["currency", "rate"], ["USD", 80.0]],
    }
    book = write_book(tmp_path / "inr.xlsx", tables)
    code, output = run("refresh", str(book))
    assert code == 0, output
    aging = sheet(book, "Aging")
    assert any(row[0] == "U1" and 8000.0 in row for row in aging)  # 100 USD x 80
    assert all(row[5] == "PASS" for row in sheet(book, "Checks")[4:] if row[5] in ("PASS", "FAIL"))


def test_money_in_checks_is_exact(tmp_path: Path) -> None:
    tables = base()
    tables["Assertions"] = [["customer_id", "date", "balance", "currency", "note"],
                            ["C2", D(2026, 3, 31), 6871.63 + 145.5, "USD", ""]]
    book = write_book(tmp_path / "book.xlsx", tables)
    assert run("refresh", str(book))[0] == 1
    row = next(row for row in sheet(book, "Checks") if str(row[0]).startswith("Balance of C2"))
    assert row[4] == -6871.63  # 145.50 - 7017.13, not -6871.629999999999


def test_the_snapshot_survives_a_libreoffice_save(tmp_path: Path) -> None:
    python = shutil.which("python3", path="/usr/bin")
    if shutil.which("soffice") is None or python is None or subprocess.run(
            [python, "-c", "import uno"], capture_output=True, check=False).returncode:
        pytest.skip("LibreOffice with its Python bridge (python3-uno) is not installed")
    book = write_book(tmp_path / "book.xlsx", base())
    assert run("refresh", str(book))[0] == 0
    saved = tmp_path / "saved.xlsx"
    subprocess.run([python, str(Path(__file__).parent / "lo_uno.py"), str(book), str(saved),
                    "number", "Invoices", "D2", "150"], check=True, capture_output=True, timeout=300)
    code, output = run("refresh", str(saved))
    assert code == 0, output
    rows = audit_rows(saved)
    assert [(row["Table"], row["Key"], row["Column"], row["Before"], row["After"]) for row in rows[1:]] == [
        ("Invoices", "I1", "amount", "100", "150")]



def test_a_snapshot_reads_alike_whichever_face_read_the_book() -> None:
    from decimal import Decimal

    from arxl.audit import snapshot
    from arxl.load import raw_table_from_rows

    header = ["invoice_id", "customer_id", "invoice_date", "amount"]
    by_file = raw_table_from_rows("Invoices", [header, ["I1", "C1", dt.datetime(2026, 3, 1), 126.77]])
    by_excel = raw_table_from_rows("Invoices", [header, ["I1", "C1", dt.date(2026, 3, 1), Decimal("126.7700")]])
    file_snapshot, excel_snapshot = snapshot({"Invoices": by_file}), snapshot({"Invoices": by_excel})
    assert file_snapshot["Invoices"].equals(excel_snapshot["Invoices"])
    assert file_snapshot["Invoices"].loc[0, "amount"] == "126.77"
