"""``arxl import`` / ``arxl export`` end to end, and the CI faces of ``check`` and ``refresh``
(``--format github``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from books import base, write_book
from click.testing import CliRunner
from test_imports import ERPNEXT_CSV, QUICKBOOKS_CSV, xero_workbook

from arxl.cli import main
from arxl.cli.common import github_annotation
from arxl.problems import Problem
from arxl.workbook import build_template, load_book
from arxl.workbook.save import backups_of


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.fixture
def blank(tmp_path: Path) -> Path:
    return build_template(tmp_path / "ar.xlsx", settings={"as_of": "2026-06-30"})


def test_the_table_is_named_as_the_sheet_is_and_one_row_lands_on_one_row(blank: Path, tmp_path: Path) -> None:
    source = tmp_path / "one.csv"
    source.write_text("customer_id,name\nC9,Nine Ltd\n", encoding="utf-8")
    code, output = run("import", str(blank), "--table", "Customers", str(source))
    assert code == 0, output
    assert last_line(output) == f"OK: {blank}: appended 1 row(s) to Customers (Excel row 2), 0 warning(s)"
    assert load_book(blank).ledger.customers["customer_id"].tolist() == ["C9"]


def test_quickbooks_import_twice_adds_nothing_the_second_time(blank: Path, tmp_path: Path) -> None:
    source = tmp_path / "open-invoices.csv"
    source.write_text(QUICKBOOKS_CSV, encoding="utf-8-sig")
    arguments = ("import", str(blank), "--table", "invoices", str(source), "--profile", "quickbooks-open-invoices",
                 "--create-customers")
    code, output = run(*arguments)
    assert code == 0, output
    assert last_line(output) == (f"OK: {blank}: appended 3 row(s) to Invoices (Excel rows 2-4), "
                                 "2 new customer(s), 0 warning(s)")
    code, output = run(*arguments)
    assert code == 0, output
    assert last_line(output) == f"OK: {blank}: nothing to append to Invoices, 3 already imported"
    ledger = load_book(blank).ledger
    assert ledger.invoices["invoice_id"].tolist() == ["1001", "CM-1001", "1002"]
    assert ledger.invoices["amount"].tolist() == [125000, -12000, 98040]
    assert ledger.customers["customer_id"].tolist() == ["Acme Ltd", "Beta GmbH"]
    # The Excel Table grew over the new rows (and the one backup per write is kept).
    table = openpyxl.load_workbook(blank)["Invoices"].tables["Invoices"]
    assert table.ref.endswith("4") and len(backups_of(blank)) == 1


def test_a_conflicting_change_is_reported_field_by_field_and_nothing_written(blank: Path, tmp_path: Path) -> None:
    source = tmp_path / "open-invoices.csv"
    source.write_text(QUICKBOOKS_CSV, encoding="utf-8-sig")
    arguments = ["import", str(blank), "--table", "invoices", str(source), "--profile", "quickbooks-open-invoices",
                 "--create-customers"]
    assert run(*arguments)[0] == 0
    before = blank.read_bytes()
    source.write_text(QUICKBOOKS_CSV.replace("980.40", "990.40").replace("06/28/2026", "06/29/2026"),
                      encoding="utf-8-sig")
    code, output = run(*arguments)
    assert code == 1
    assert "open-invoices.csv line 12, amount" in output and "open-invoices.csv line 12, due_date" in output
    assert "1002 is already in Invoices row 4 with amount 980.40" in output
    assert last_line(output).startswith(f"FAILED: {blank}: 2 error(s)")
    assert blank.read_bytes() == before and len(backups_of(blank)) == 1
    code, output = run(*arguments, "--skip-conflicts")
    assert code == 0 and last_line(output) == (f"OK: {blank}: nothing to append to Invoices, 2 already imported, "
                                               "1 conflict(s)")
    assert blank.read_bytes() == before


def test_dry_run_shows_the_rows_and_writes_nothing(blank: Path, tmp_path: Path) -> None:
    source = tmp_path / "open-invoices.csv"
    source.write_text(QUICKBOOKS_CSV, encoding="utf-8-sig")
    before = blank.read_bytes()
    code, output = run("import", str(blank), "--table", "invoices", str(source), "--profile",
                       "quickbooks-open-invoices", "--create-customers", "--dry-run")
    assert code == 0, output
    assert "First 3 of 3 row(s)" in output and "CM-1001" in output and "2026-05-02" in output
    assert last_line(output) == (f"OK: dry run: {blank}: 3 row(s) would be appended to Invoices (Excel rows 2-4), "
                                 "2 new customer(s), 0 warning(s); nothing was written")
    assert blank.read_bytes() == before and not backups_of(blank)


def test_errors_name_the_source_line_and_nothing_is_written(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    source = tmp_path / "invoices.csv"
    source.write_text("invoice_id,customer_id,invoice_date,amount,due_date\n"
                      "I7,C1,2026-03-01,10,2026-03-31\nI8,C1,2026-03-01,12,31/02/2026\nI9,C7,2026-03-01,1,\n",
                      encoding="utf-8")
    before = book.read_bytes()
    code, output = run("import", str(book), "--table", "invoices", str(source), "--date-order", "dmy")
    assert code == 1
    assert "invoices.csv line 3, due_date" in output and "31/02/2026" in output
    assert "invoices.csv line 4, customer_id" in output and "is not a known customer" in output
    assert last_line(output).startswith(f"FAILED: {book}: 2 error(s)")
    assert book.read_bytes() == before


def test_leading_zeros_and_na_ids_survive_customers_then_invoices(blank: Path, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("Customer ID,Name,Terms Days\n00123,Zero Padded Ltd,30\n123,Plain Ltd,15\nNA,North "
                         "America Inc,45\n", encoding="utf-8")
    code, output = run("import", str(blank), "--table", "customers", str(customers))
    assert code == 0, output
    assert "are different ids" in output  # the loader's warning about 00123 and 123, on the file's line
    invoices = tmp_path / "sales-invoice.csv"
    invoices.write_bytes(ERPNEXT_CSV.encode("cp1252"))
    code, output = run("import", str(blank), "--table", "invoices", str(invoices), "--profile",
                       "erpnext-sales-invoice", "--decimal-comma", "--date-order", "dmy")
    assert code == 0, output
    ledger = load_book(blank).ledger
    assert ledger.customers["customer_id"].tolist() == ["00123", "123", "NA"]
    assert ledger.invoices["customer_id"].tolist() == ["00123", "NA", "00123"]
    assert ledger.voided["invoice_id"].tolist() == ["ACC-SINV-2026-00004"]
    assert ledger.invoices["currency"].tolist() == ["EUR"] * 3


def test_xlsx_and_parquet_sources(blank: Path, tmp_path: Path) -> None:
    code, output = run("import", str(blank), "--table", "invoices", str(xero_workbook(tmp_path / "aged.xlsx")),
                       "--profile", "xero-aged-receivables", "--create-customers")
    assert code == 0, output
    payments = tmp_path / "receipts.parquet"
    pd.DataFrame({"payment_id": ["R1"], "customer_id": ["Acme Ltd"], "payment_date": [dt.date(2026, 6, 25)],
                  "amount": [315.5], "invoice_id": ["INV-0041"]}).to_parquet(payments)
    code, output = run("import", str(blank), "--table", "payments", str(payments))
    assert code == 0, output
    code, output = run("report", "aging", str(blank), "--format", "csv")
    assert code == 0
    # INV-0057 1200 (not yet due) - CN-0009 40 (auto-applied to it); INV-0041 fully paid by R1.
    assert output.splitlines()[1] == "Acme Ltd,Acme Ltd,1160.00,0.00,0.00,0.00,0.00,0.00,1160.00"


def test_unusable_inputs_exit_two(blank: Path, tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("Number,Client\n1,A\n", encoding="utf-8")
    code, output = run("import", str(blank), "--table", "invoices", str(source))
    assert code == 2 and "no header row with the columns profile generic needs" in output
    code, output = run("import", str(blank), "--table", "invoices", str(tmp_path / "missing.csv"))
    assert code == 2 and "no such file" in output
    mapping = tmp_path / "m.toml"
    mapping.write_text("colums = 1\n", encoding="utf-8")
    code, output = run("import", str(blank), "--table", "invoices", str(source), "--map", str(mapping))
    assert code == 2 and "unknown key(s) colums" in output


def test_export_refuses_the_book_itself_and_existing_files(blank: Path, tmp_path: Path) -> None:
    assert run("export", str(blank), "--what", "aging", "--to", str(blank))[0] == 2
    assert run("export", str(blank), "--what", "aging", "--to", str(tmp_path / "a.json"))[0] == 2
    target = tmp_path / "aging.csv"
    code, output = run("export", str(blank), "--what", "aging", "--to", str(target))
    assert code == 0 and last_line(output) == f"OK: {target}: 0 row(s) of aging as of 2026-06-30"
    assert run("export", str(blank), "--what", "aging", "--to", str(target))[0] == 2
    assert run("export", str(blank), "--what", "aging", "--to", str(target), "--force")[0] == 0


# --- CI: --format github and summary lines ---------------------------------------------------------------------

def test_github_annotations_escape_as_the_runner_expects() -> None:
    problem = Problem("error", "Invoices", 14, "due_date", "31/02/2026", "is not a date: 100% sure,\nreally")
    assert github_annotation("books/a,b:c.xlsx", problem) == (
        "::error file=books/a%2Cb%3Ac.xlsx,title=Invoices row 14::Invoices row 14, due_date: \"31/02/2026\" is "
        "not a date: 100%25 sure,%0Areally")
    warning = Problem("warning", "", None, "", "", "odd")
    assert github_annotation("a.xlsx", warning) == "::warning file=a.xlsx,title=Workbook::Workbook: odd"


def bad_book(tmp_path: Path) -> Path:
    tables = base()
    tables["Invoices"][1][4] = "31/02/2026"
    return write_book(tmp_path / "bad.xlsx", tables)


def test_check_format_github(tmp_path: Path) -> None:
    book = bad_book(tmp_path)
    code, output = run("check", str(book), "--format", "github")
    lines = output.strip().splitlines()
    assert code == 1
    assert f"::error file={book},title=Invoices row 2::Invoices row 2, due_date: \"31/02/2026\"" in output
    assert all(line.startswith(("::error ", "::warning ")) for line in lines[:-1])
    assert lines[-1] == f"FAILED: {book}: 1 error(s), 0 warning(s)"


def test_refresh_format_github_fails_then_succeeds_with_the_summary_last(tmp_path: Path) -> None:
    book = bad_book(tmp_path)
    code, output = run("refresh", str(book), "--format", "github", "--only", "aging")
    assert code == 1 and f"::error file={book},title=Invoices row 2::" in output
    assert last_line(output) == f"FAILED: {book}: 1 error(s), 0 warning(s); nothing was written"
    good = write_book(tmp_path / "good.xlsx", base())
    code, output = run("refresh", str(good), "--format", "github", "--only", "aging", "--as-of", "2026-03-31")
    assert code == 0, output
    assert last_line(output).startswith(f"OK: {good}: 1 sheet(s) as of 2026-03-31, 0 warning(s)")
