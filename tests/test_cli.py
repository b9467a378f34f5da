"""The command line: shapes other tools rely on, exit codes, messages instead of tracebacks."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from books import base, write_book
from click.testing import CliRunner

from arxl.cli import main

AS_OF = "2026-03-31"


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_book(tmp_path / "book.xlsx", base())


def test_new_then_check_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    code, output = run("new", str(path))
    assert code == 0 and path.exists(), output
    code, output = run("check", str(path))
    assert code == 0, output
    assert "OK:" in output and "0 error(s)" in output
    code, output = run("new", str(path))
    assert code == 2 and "already exists" in output


def test_check_json_lists_every_problem_with_location(tmp_path: Path) -> None:
    tables = base()
    tables["Invoices"][1][2] = "31/02/2026"
    tables["Payments"][2][1] = "C9"
    path = write_book(tmp_path / "bad.xlsx", tables)
    code, output = run("check", str(path), "--format", "json")
    assert code == 1
    problems = json.loads(output)
    keys = {"severity", "sheet", "row", "column", "value", "message"}
    assert all(keys <= set(problem) for problem in problems)
    located = {(p["sheet"], p["row"], p["column"]) for p in problems if p["severity"] == "error"}
    assert {("Invoices", 2, "invoice_date"), ("Payments", 3, "customer_id")} <= located


@pytest.mark.parametrize("content", [b"not a workbook at all", b"PK\x03\x04truncated zip"])
def test_unusable_file_exits_two_with_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    code, output = run("check", str(path))
    assert code == 2
    assert output.strip().count("\n") == 0 and output.startswith("arxl: ")
    assert "Traceback" not in output


def test_missing_file_exits_two(tmp_path: Path) -> None:
    code, output = run("check", str(tmp_path / "nope.xlsx"))
    assert code == 2 and "no such file" in output


def test_aging_csv_shape_and_figures(book: Path) -> None:
    code, output = run("report", "aging", str(book), "--as-of", AS_OF, "--format", "csv")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "customer_id,name,Current,1-30,31-60,61-90,Over 90,Unapplied,Total"
    rows = list(csv.DictReader(io.StringIO(output)))
    # C1: 100.00 - 20.00 credit note - 50.00 payment = 30.00, due 2026-02-04, 55 days late -> 31-60
    # C2: 250.50 - 5.00 discount - 100.00 applied = 145.50, due 2026-02-16, 43 days late -> 31-60
    assert rows == [
        {"customer_id": "C1", "name": "Acme Ltd", "Current": "0.00", "1-30": "0.00", "31-60": "30.00",
         "61-90": "0.00", "Over 90": "0.00", "Unapplied": "0.00", "Total": "30.00"},
        {"customer_id": "C2", "name": "Beta GmbH", "Current": "0.00", "1-30": "0.00", "31-60": "145.50",
         "61-90": "0.00", "Over 90": "0.00", "Unapplied": "0.00", "Total": "145.50"},
    ]


def test_aging_labels_follow_buckets(book: Path) -> None:
    code, output = run("report", "aging", str(book), "--as-of", AS_OF, "--format", "csv", "--buckets",
                       "15,45")
    assert code == 0
    assert output.splitlines()[0] == "customer_id,name,Current,1-15,16-45,Over 45,Unapplied,Total"
    code, output = run("report", "aging", str(book), "--buckets", "60,30")
    assert code == 2 and "--buckets" in output


def test_metrics_json_keys_are_numeric(book: Path) -> None:
    code, output = run("report", "metrics", str(book), "--as-of", AS_OF, "--format", "json",
                       "--period-days", "90")
    assert code == 0, output
    figures = json.loads(output)
    for key in ("ar", "current_ar", "beginning_ar", "credit_sales", "dso", "dso_countback", "bpdso", "add", "cei"):
        assert isinstance(figures[key], int | float), key
    # AR = 30.00 + 145.50; the 90 days to 2026-03-31 start after 2025-12-31, so every document is inside:
    # credit sales = 100.00 + 250.50 - 20.00 = 330.50; DSO = 175.50 / 330.50 * 90 = 47.79
    assert figures["ar"] == 175.5
    assert figures["credit_sales"] == 330.5
    assert figures["dso"] == 47.79


def test_open_items_and_statement(book: Path) -> None:
    code, output = run("report", "open-items", str(book), "--customer", "C1", "--as-of", AS_OF, "--format", "csv")
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert [(row["document_id"], row["open_amount"]) for row in rows] == [("I1", "30.00")]
    code, output = run("report", "statement", str(book), "--customer", "C2", "--from", "2026-02-01", "--to",
                       AS_OF, "--format", "json")
    assert code == 0, output
    statement = json.loads(output)
    # opening on 2026-01-31: nothing; then I2 +250.50, P2 -100.00, discount -5.00 -> closing 145.50
    assert statement["totals"] == [{"currency": "USD", "opening_balance": 0.0, "closing_balance": 145.5}]
    code, output = run("report", "statement", str(book), "--customer", "NOPE")
    assert code == 2 and "not in the Customers table" in output


def test_report_on_a_book_with_errors_prints_them_and_exits_one(tmp_path: Path) -> None:
    tables = base()
    tables["Invoices"][1][3] = "abc"
    path = write_book(tmp_path / "bad.xlsx", tables)
    code, output = run("report", "aging", str(path))
    assert code == 1
    assert "Invoices row 2" in output


def test_demo_command_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for path in (first, second):
        code, output = run("demo", str(path), "--invoices", "300", "--seed", "3", "--as-of", "2026-06-30")
        assert code == 0, output
    code, output = run("report", "aging", str(first), "--format", "csv")
    code2, output2 = run("report", "aging", str(second), "--format", "csv")
    assert code == code2 == 0 and output == output2 and output.count("\n") > 5


def test_installed_console_script_runs(book: Path) -> None:
    completed = subprocess.run([sys.executable, "-m", "arxl", "check", str(book)], capture_output=True, text=True,
                               check=False, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "OK:" in completed.stdout
