"""Every result reachable from every face, and the same everywhere: the allowance, the activity statement and the
credit what-if from the command line, a generated sheet or PDF, a worksheet function (called with what xlwings
hands over) and, for the credit check, the ribbon - all on one small demo book (10 customers, 300 invoices,
as of 2026-06-30)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import arxl_macros
import arxl_udfs as udf
import openpyxl
import pytest
from click.testing import CliRunner
from xlfake import book_from_file

from arxl.aging import aging
from arxl.cli import main
from arxl.credit import credit_standing
from arxl.demo import generate_demo
from arxl.verbs.functions import frame_to_rows
from arxl.workbook import load_book, write_demo

AS_OF = dt.date(2026, 6, 30)
DEMO = {"customers": 10, "invoices": 300, "as_of": AS_OF}
TABLES = ("invoices", "payments", "customers", "applications", "adjustments", "settings", "activity")


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_demo(tmp_path_factory.mktemp("reachable") / "demo.xlsx", **DEMO)
    result = CliRunner().invoke(main, ["refresh", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def rows() -> dict[str, list[list[object]]]:
    frames = generate_demo(**DEMO)
    return {name: frame_to_rows(frames[udf.TABLE_ARGUMENTS[name]]) for name in TABLES}


def cli(*arguments: str) -> str:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def labelled_rows(path: Path, sheet: str) -> dict[str, list[object]]:
    """Rows of a generated sheet by the text in column A."""
    values = openpyxl.load_workbook(path, data_only=True)[sheet]
    return {str(row[0]): list(row) for row in values.iter_rows(values_only=True) if row and row[0] is not None}


def test_the_allowance_from_every_face(refreshed: Path, rows) -> None:
    report = json.loads(cli("report", "allowance", str(refreshed), "--format", "json"))
    total = report["allowance"]["USD"]
    # the Allowance sheet: the provision matrix's total row, expected loss in column E
    sheet = labelled_rows(refreshed, "Allowance")
    assert sheet["Allowance USD"][4] == total
    # the matrix rows agree bucket by bucket; each expected loss is the sum of the customers' exposure x rate,
    # each rounded to the cent, so within half a cent per customer of the bucket's exposure x rate
    matrix = {row["bucket"]: row for row in report["matrix"]}
    customers = len(report["customers"])
    for bucket, row in matrix.items():
        assert sheet[bucket][2] == row["exposure"] and sheet[bucket][4] == row["expected_loss"]
        assert abs(row["exposure"] * row["rate"] - row["expected_loss"]) <= 0.005 * customers + 1e-9
    # the worksheet function: the same matrix, then the Allowance row
    spilled = udf.AR_ALLOWANCE(**rows)
    assert spilled[0] == ["bucket", "currency", "exposure", "rate", "expected_loss"]
    assert spilled[-1][0] == "Allowance" and spilled[-1][4] == total
    assert {row[0]: row[4] for row in spilled[1:-1]} == {bucket: row["expected_loss"]
                                                         for bucket, row in matrix.items()}
    # CSV of the customers adds up to the same total
    lines = cli("report", "allowance", str(refreshed), "--format", "csv", "--part", "customers").splitlines()
    assert lines[0].startswith("customer_id,name,currency,exposure,expected_loss")
    assert round(sum(float(line.split(",")[4]) for line in lines[1:]), 2) == total


def test_the_activity_statement_from_every_face(refreshed: Path, rows, tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    shutil.copy(refreshed, path)
    output = cli("statements", str(path), "--kind", "activity", "--from", "2026-06-01", "--to", "2026-06-30")
    assert "activity statement sheet(s) (AS ...)" in output
    ledger = load_book(path).ledger
    totals = aging(ledger, AS_OF).summary.set_index("customer_id")["Total"]
    customer = str(totals.abs().idxmax())
    closing = float(totals[customer]) / 100
    # the sheet: its closing balance row (a formula cached with arxl's figure) equals the aging total
    sheet = labelled_rows(path, f"AS {customer}")
    assert sheet["USD: closing balance on 2026-06-30"][6] == closing
    # the command line's report
    report = json.loads(cli("report", "statement", str(path), "--customer", customer, "--from", "2026-06-01",
                            "--to", "2026-06-30", "--format", "json"))
    assert [row["closing_balance"] for row in report["totals"]] == [closing]
    # the worksheet function: its last row is the closing balance
    spilled = udf.AR_STATEMENT(customer, dt.datetime(2026, 6, 1), dt.datetime(2026, 6, 30), **rows)
    assert spilled[-1][3] == "closing balance" and spilled[-1][7] == closing
    # a second run replaces the AS sheets (none is left behind, none doubled)
    again = cli("statements", str(path), "--kind", "activity", "--from", "2026-06-15", "--customer", customer)
    assert "1 activity statement sheet(s)" in again
    names = openpyxl.load_workbook(path).sheetnames
    assert [name for name in names if name.startswith("AS ")] == [f"AS {customer}"]


@pytest.mark.libreoffice
def test_activity_statement_pdfs(refreshed: Path, tmp_path: Path) -> None:
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or pdftotext is not installed")
    ledger = load_book(refreshed).ledger
    totals = aging(ledger, AS_OF).summary.set_index("customer_id")["Total"]
    customer = str(totals.abs().idxmax())
    out = tmp_path / "pdf"
    output = cli("statements", str(refreshed), "--kind", "activity", "--from", "2026-06-01", "--pdf", str(out),
                 "--customer", customer)
    assert "1 activity statement PDF(s)" in output
    text = subprocess.run(["pdftotext", "-layout", str(out / f"AS_{customer}.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "ACCOUNT STATEMENT" in text and f"{float(totals[customer]) / 100:,.2f}" in text
    assert "###" not in text


def test_the_credit_what_if_from_every_face(refreshed: Path, rows, tmp_path: Path) -> None:
    ledger = load_book(refreshed).ledger
    standing = credit_standing(ledger, AS_OF)
    limited = standing[(standing["standing"] == "approve") & standing["approve_up_to"].notna()
                       & (standing["approve_up_to"] > 100)]
    assert not limited.empty
    row = limited.iloc[0]
    customer, up_to = str(row["customer_id"]), int(row["approve_up_to"])
    # the Credit sheet shows the same largest approved order
    sheet = {values[0]: values for values in labelled_rows(refreshed, "Credit").values()}
    assert sheet[customer][10] == up_to / 100
    for order, verdict in ((up_to, "approve"), (up_to + 1, "refer")):
        text = f"{order / 100:.2f}"
        report = json.loads(cli("report", "credit", str(refreshed), "--customer", customer, "--order", text,
                                "--format", "json"))
        assert report["verdict"] == verdict and report["approve_up_to"] == up_to / 100
        spilled = udf.AR_CREDIT_CHECK(customer, order / 100, **rows)
        assert spilled[1][:2] == ["decision", verdict]
        assert [line[0] for line in spilled[2:]] == ["limit", "hold", "overdue share", "risk grade"]
        # the ribbon asks for "customer amount" and answers in a message box
        book = book_from_file(refreshed)
        book.app.answers = [f"{customer} {text}"]
        message = arxl_macros.on_ribbon("arxlCredit", book=book)
        assert message is not None and message.startswith(f"{verdict.upper()}: order of {text} USD for {customer}")
        assert book.app.dialogs[-1]["dialog"] == "InputBox"
    table = cli("report", "credit", str(refreshed), "--customer", customer, "--order", f"{up_to / 100:,.2f}")
    assert "APPROVE" in table and "within the limit" in table


def test_bad_orders_are_refused_with_a_message(refreshed: Path, rows) -> None:
    result = CliRunner().invoke(main, ["report", "credit", str(refreshed), "--customer", "C0001", "--order",
                                       "lots"])
    assert result.exit_code == 2 and '"lots" is not an amount' in result.output
    result = CliRunner().invoke(main, ["report", "credit", str(refreshed), "--order", "100"])
    assert result.exit_code == 2 and "--order needs --customer" in result.output
    assert udf.AR_CREDIT_CHECK("NOBODY", 100.0, **rows) == '#ARXL: customer "NOBODY" is not in the Customers table'
    assert udf.AR_CREDIT_CHECK("C0001", -5.0, **rows) == "#ARXL: order must be a positive amount"
    book = book_from_file(refreshed)
    book.app.answers = ["C0001"]
    assert "type the customer id, a space, then the order amount" in arxl_macros.on_ribbon("arxlCredit", book=book)
    book.app.answers = ["NOBODY 100"]
    assert arxl_macros.on_ribbon("arxlCredit", book=book) is None
    assert book.app.alerts[-1]["prompt"] == 'customer "NOBODY" is not in the Customers table'
