"""arxl.render.exports and arxl.workbook.export: the ledger, open items, aging and applications as exact files.

Figures are read off tests/books.py's ``base()`` book by hand; the round trip exports a book's ledger and imports
it table by table into a blank book, which must then show the same balances.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from books import base, write_book
from click.testing import CliRunner

from arxl.aging import aging
from arxl.cli import main
from arxl.ledger import Ledger
from arxl.render.exports import LEDGER_COLUMNS, ExportTable, export_table, ledger_frame
from arxl.workbook import build_template, load_book, write_demo
from arxl.workbook.export import plain_decimals, write_export

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    tables = base()
    tables["Invoices"][2][0] = "=HYPERLINK(\"http://x\")"  # a hostile id must stay text everywhere
    tables["Applications"][1][1] = "=HYPERLINK(\"http://x\")"
    tables["Adjustments"][1][1] = "=HYPERLINK(\"http://x\")"
    tables["Activity"][1][2] = "=HYPERLINK(\"http://x\")"
    return load_book(write_book(tmp_path / "book.xlsx", tables)).ledger


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_ledger_lists_every_document_signed_as_the_receivable_sees_it(ledger: Ledger) -> None:
    frame = ledger_frame(ledger)
    assert list(frame.columns) == list(LEDGER_COLUMNS)
    hostile = '=HYPERLINK("http://x")'
    # By date, then id: I1 5 Jan, CN1 20 Jan, the renamed I2 ("=" sorts before "P") and P1 on 1 Feb, P2, A1.
    assert frame[["kind", "document_id", "customer_id", "amount", "invoice_id"]].values.tolist() == [
        ["invoice", "I1", "C1", 10000, ""],
        ["credit_note", "CN1", "C1", -2000, "I1"],
        ["invoice", hostile, "C2", 25050, ""],
        ["payment", "P1", "C1", -5000, "I1"],
        ["payment", "P2", "C2", -10000, ""],
        ["discount", "A1", "C2", -500, hostile],
    ]
    assert frame["customer_name"].tolist()[:2] == ["Acme Ltd", "Acme Ltd"]
    assert frame["due_date"].iloc[0] == pd.Timestamp("2026-02-04")  # 5 Jan + C1's 30 days
    assert frame["reference"].tolist()[4] == "for I2"
    assert len(ledger_frame(ledger, dt.date(2026, 1, 31))) == 2


def test_plain_decimals_use_each_currency_digits() -> None:
    minor = np.array([123450, -2000, 5, 1234, -7, 1500], dtype=np.int64)
    digits = np.array([2, 2, 2, 0, 3, 3])
    assert plain_decimals(minor, digits).tolist() == ["1234.50", "-20.00", "0.05", "1234", "-0.007", "1.500"]


def test_csv_export_is_exact_and_guards_formula_text(ledger: Ledger, tmp_path: Path) -> None:
    path = write_export(export_table(ledger, "ledger", None), tmp_path / "ledger.csv")
    rows = csv_rows(path)
    assert [row["amount"] for row in rows] == ["100.00", "-20.00", "250.50", "-50.00", "-100.00", "-5.00"]
    assert rows[2]["document_id"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["date"] == "2026-01-05" and rows[3]["due_date"] == ""
    assert path.read_text(encoding="utf-8").startswith("kind,document_id,customer_id,customer_name,date,")


def test_open_items_and_aging_at_the_as_of_date(ledger: Ledger, tmp_path: Path) -> None:
    rows = csv_rows(write_export(export_table(ledger, "open-items", AS_OF), tmp_path / "open.csv"))
    # C1: I1 100 - CN1 20 - P1 50 = 30 open. C2: 250.50 - discount 5 - P2 100 (explicit application) = 145.50.
    assert [(row["customer_id"], row["open_amount"]) for row in rows] == [("C1", "30.00"), ("C2", "145.50")]
    assert rows[0]["name"] == "Acme Ltd" and rows[0]["bucket"] == "31-60"  # due 4 Feb: 55 days at 31 Mar
    aging_rows = csv_rows(write_export(export_table(ledger, "aging", AS_OF), tmp_path / "aging.csv"))
    assert [(row["customer_id"], row["currency"], row["Total"]) for row in aging_rows] == [
        ("C1", "USD", "30.00"), ("C2", "USD", "145.50")]
    assert list(aging_rows[0]) == ["customer_id", "name", "currency", "Current", "1-30", "31-60", "61-90",
                                   "Over 90", "Unapplied", "Total"]


def test_applications_export(ledger: Ledger, tmp_path: Path) -> None:
    rows = csv_rows(write_export(export_table(ledger, "applications", AS_OF), tmp_path / "applications.csv"))
    applied = {(row["source_id"], row["invoice_id"], row["amount"], row["step"]) for row in rows}
    assert applied == {("CN1", "I1", "20.00", "reference"), ("P1", "I1", "50.00", "reference"),
                       ("P2", '\'=HYPERLINK("http://x")', "100.00", "explicit")}


def test_parquet_money_is_decimal_and_dates_are_dates(ledger: Ledger, tmp_path: Path) -> None:
    path = write_export(export_table(ledger, "ledger", None), tmp_path / "ledger.parquet")
    table = pq.read_table(path)
    assert str(table.schema.field("amount").type) == "decimal128(38, 2)"
    assert str(table.schema.field("date").type) == "date32[day]"
    assert table.column("amount").to_pylist()[:3] == [Decimal("100.00"), Decimal("-20.00"), Decimal("250.50")]
    assert table.column("document_id").to_pylist()[2] == '=HYPERLINK("http://x")'  # Parquet is not a spreadsheet
    assert table.schema.metadata[b"arxl.export"] == b"ledger"


def test_parquet_scale_follows_the_currencies() -> None:
    frame = pd.DataFrame({"amount": np.array([1234, 1500], dtype=np.int64), "currency": ["JPY", "KWD"]})
    table = ExportTable("x", frame, ("amount",), (), ("currency",))
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        read = pq.read_table(write_export(table, Path(folder) / "x.parquet"))
    assert str(read.schema.field("amount").type) == "decimal128(38, 3)"
    assert read.column("amount").to_pylist() == [Decimal("1234.000"), Decimal("1.500")]


def test_xlsx_export_writes_text_as_text(ledger: Ledger, tmp_path: Path) -> None:
    path = write_export(export_table(ledger, "ledger", None), tmp_path / "ledger.xlsx")
    sheet = openpyxl.load_workbook(path)["ledger"]
    assert [cell.value for cell in sheet[1]] == list(LEDGER_COLUMNS)
    hostile = sheet.cell(row=4, column=2)
    assert hostile.value == '=HYPERLINK("http://x")' and hostile.data_type == "s"
    amount = sheet.cell(row=4, column=7)
    assert amount.value == 250.5 and amount.number_format == "#,##0.00"
    assert sheet.cell(row=2, column=5).value == dt.datetime(2026, 1, 5)
    assert sheet.freeze_panes == "A2"


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def balances(path: Path, as_of: dt.date) -> list[tuple[str, str, int]]:
    summary = aging(load_book(path).ledger, as_of).summary
    return sorted(zip(summary["customer_id"], summary["currency"], summary["Total"].tolist(), strict=True))


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_round_trip_ledger_export_then_import_gives_the_same_balances(tmp_path: Path, suffix: str) -> None:
    as_of = dt.date(2026, 6, 30)
    original = write_demo(tmp_path / "demo.xlsx", invoices=300, as_of=as_of)
    ledger_file = tmp_path / f"ledger.{suffix}"
    assert run("export", str(original), "--what", "ledger", "--to", str(ledger_file))[0] == 0
    blank = build_template(tmp_path / "blank.xlsx", settings={"as_of": as_of.isoformat()})
    for table in ("invoices", "payments", "adjustments"):
        code, output = run("import", str(blank), "--table", table, str(ledger_file), "--profile", "arxl-ledger",
                           "--create-customers")
        assert code == 0, output
    assert balances(blank, as_of) == balances(original, as_of)
    # Importing the same ledger again adds nothing.
    code, output = run("import", str(blank), "--table", "invoices", str(ledger_file), "--profile", "arxl-ledger")
    assert code == 0 and "nothing to append" in output.splitlines()[-1]
