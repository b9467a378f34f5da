"""What people read in a terminal: no figure is ever cut, metrics say what they are, one name for "where to
write" (older names still accepted), ``--as-of`` for every cut-off."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from books import write_book
from click.testing import CliRunner

from arxl.cli import main

D = dt.date
ROOT = Path(__file__).resolve().parents[1]

# Settings auto_apply no: P1 stays unapplied. As of 2026-06-30 (days past due in brackets):
#   C1  I1 1,234,567.89 due 2025-01-31 (515) Over 90;  I2 987,654.32 due 2026-07-15 (-15) Current
#   C2  I3 45,678.90 due 2026-06-19 (11) 1-30;  I4 23,456.78 due 2026-05-10 (51) 31-60;
#       I5 12,345.67 due 2026-04-19 (72) 61-90;  P1 5,000.00 unapplied
# Total = 987,654.32 + 45,678.90 + 23,456.78 + 12,345.67 + 1,234,567.89 - 5,000.00 = 2,298,703.56
BIG = {
    "Settings": [["key", "value"], ["company_name", "Big Co"], ["as_of", D(2026, 6, 30)], ["auto_apply", "no"]],
    "Customers": [["customer_id", "name"], ["C1", "Very Long Customer Name Incorporated of Springfield"],
                  ["C2", "Second Customer Holdings"]],
    "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "due_date"],
                 ["I1", "C1", D(2025, 1, 1), 1_234_567.89, D(2025, 1, 31)],
                 ["I2", "C1", D(2026, 6, 15), 987_654.32, D(2026, 7, 15)],
                 ["I3", "C2", D(2026, 5, 20), 45_678.90, D(2026, 6, 19)],
                 ["I4", "C2", D(2026, 4, 10), 23_456.78, D(2026, 5, 10)],
                 ["I5", "C2", D(2026, 3, 20), 12_345.67, D(2026, 4, 19)]],
    "Payments": [["payment_id", "customer_id", "payment_date", "amount"], ["P1", "C2", D(2026, 6, 1), 5000.0]],
}
TOTAL_ROW = ["987,654.32", "45,678.90", "23,456.78", "12,345.67", "1,234,567.89", "5,000.00", "2,298,703.56"]


@pytest.fixture
def big(tmp_path: Path) -> Path:
    return write_book(tmp_path / "big.xlsx", BIG)


def _arxl(*args: str, columns: int) -> str:
    environment = dict(os.environ, COLUMNS=str(columns))
    completed = subprocess.run([sys.executable, "-m", "arxl", *args], capture_output=True, text=True, cwd=ROOT,
                               env=environment, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.parametrize("columns", [80, 120])
def test_aging_shows_every_figure_of_the_total_row_in_full(big: Path, columns: int) -> None:
    output = _arxl("report", "aging", str(big), columns=columns)
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= columns
    totals = " ".join(line for line in lines if "Total" in line and "│" in line)
    for figure in TOTAL_ROW:
        assert f" {figure} " in totals, (figure, output)
    assert "Very Long Customer Name Incorporated of Springfield" not in output  # the name gives way
    assert "…" in output


def test_aging_at_200_columns_is_one_table(big: Path) -> None:
    output = _arxl("report", "aging", str(big), columns=200)
    assert "part" not in output and "Very Long Customer Name Incorporated of Springfield" in output


def test_metrics_have_plain_labels_units_and_csv(big: Path) -> None:
    table = _arxl("report", "metrics", str(big), columns=100)
    assert "Accounts receivable" in table and "2,298,703.56" in table and "USD" in table
    assert "DSO, average method" in table and "days" in table and "bpdso" not in table
    rows = list(csv.reader(io.StringIO(_arxl("report", "metrics", str(big), "--format", "csv", columns=100))))
    assert rows[0] == ["metric", "label", "value", "unit"]
    assert rows[1] == ["ar", "Accounts receivable", "2298703.56", "USD"]
    assert [row[0] for row in rows[1:]] == ["ar", "current_ar", "beginning_ar", "credit_sales", "dso",
                                          "dso_countback", "bpdso", "add", "cei", "turnover", "pct_current",
                                          "pct_over_last"]
    assert rows[-1][1] == "Share of AR over 90 days past due" and rows[-1][3] == "%"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_export_writes_to_output_and_still_accepts_to(big: Path, tmp_path: Path) -> None:
    assert run("export", str(big), "--what", "aging", "--output", str(tmp_path / "a.csv"))[0] == 0
    assert run("export", str(big), "--what", "aging", "--to", str(tmp_path / "b.csv"))[0] == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    code, output = run("export", str(big), "--what", "aging", "--output", str(tmp_path / "c.csv"), "--to",
                       str(tmp_path / "d.csv"))
    assert code == 2 and "not both" in output
    helped = run("export", "--help")[1]
    assert "--output" in helped and "--to " not in helped


def test_letters_write_to_output_and_still_accept_out(big: Path, tmp_path: Path) -> None:
    for option, folder in (("--output", "new"), ("--out", "old")):
        code, output = run("letters", str(big), option, str(tmp_path / folder), "--no-pdf", "--dry-run",
                           "--from", "ar@example.com")
        assert code == 0, output
    assert sorted(path.name for path in (tmp_path / "new").iterdir()) == \
        sorted(path.name for path in (tmp_path / "old").iterdir())
    assert run("letters", str(big), "--no-pdf", "--from", "ar@example.com")[0] == 2  # where to write is required


def test_report_statement_takes_as_of_and_still_accepts_to(big: Path) -> None:
    code, new = run("report", "statement", str(big), "--customer", "C2", "--as-of", "2026-06-30",
                    "--format", "csv")
    assert code == 0, new
    assert run("report", "statement", str(big), "--customer", "C2", "--to", "2026-06-30", "--format", "csv")[1] \
        == new
    assert "I5" in new and "12345.67" in new
    assert "--to" not in run("report", "statement", "--help")[1]


def test_import_dry_run_shows_amounts_as_people_write_them(big: Path, tmp_path: Path) -> None:
    source = tmp_path / "new.csv"
    source.write_text("invoice_id,customer_id,invoice_date,amount\nX1,C1,2026-06-01,1250\n"
                      "X2,C2,2026-06-02,12345.5\n")
    code, output = run("import", str(big), str(source), "--table", "invoices", "--dry-run")
    assert code == 0, output
    assert "1,250.00" in output and "12,345.50" in output and "np.float64" not in output
