"""Aging, metrics and the worklist by customer group, region or salesperson (issue 16)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import arxl_udfs as udf
import openpyxl
import pytest
from books import D, write_book
from click.testing import CliRunner

from arxl.aging import aging
from arxl.cli import main
from arxl.groups import aging_by_group, for_customers, metrics_by_group
from arxl.metrics import compute_metrics
from arxl.workbook import load_book

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-03-31"

# Four customers, two salespeople and one without; figures at 2026-03-31:
# C1 (Ann, West): I1 100.00 due 03-31 (Current), I2 50.00 due 01-31 (59 days: 31-60)       -> 150.00
# C2 (Ann, East): I3 200.00 due 03-01 (30 days: 1-30)                                       -> 200.00
# C3 (Bob, West): I4 300.00 due 2025-12-01, paid by P1 350.00 on 03-20: 50.00 unapplied    -> -50.00
# C4 (nobody):    I5 40.00 due 04-14 (Current)                                              ->  40.00
BOOK: dict[str, list[list[object]]] = {
    "Settings": [["key", "value"], ["company_name", "Test Co"], ["as_of", D(2026, 3, 31)]],
    "Customers": [["customer_id", "name", "salesperson", "region", "group"],
                  ["C1", "Acme Ltd", "Ann", "West", "Trade"], ["C2", "Beta GmbH", "Ann", "East", "Trade"],
                  ["C3", "Core Inc", "Bob", "West", "Retail"], ["C4", "Delta SA", None, "East", None]],
    "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "due_date"],
                 ["I1", "C1", D(2026, 3, 1), 100.0, D(2026, 3, 31)],
                 ["I2", "C1", D(2026, 1, 1), 50.0, D(2026, 1, 31)],
                 ["I3", "C2", D(2026, 2, 1), 200.0, D(2026, 3, 1)],
                 ["I4", "C3", D(2025, 11, 1), 300.0, D(2025, 12, 1)],
                 ["I5", "C4", D(2026, 3, 15), 40.0, D(2026, 4, 14)]],
    "Payments": [["payment_id", "customer_id", "payment_date", "amount"], ["P1", "C3", D(2026, 3, 20), 350.0]],
}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_book(tmp_path / "groups.xlsx", BOOK)


def _report(*arguments: str) -> str:
    result = CliRunner().invoke(main, ["report", *arguments])
    assert result.exit_code == 0, result.output
    return result.output


def test_aging_by_salesperson_csv(book: Path) -> None:
    assert _report("aging", str(book), "--by", "salesperson", "--format", "csv") == (
        "salesperson,currency,customers,Current,1-30,31-60,61-90,Over 90,Unapplied,Total\n"
        ",USD,1,40.00,0.00,0.00,0.00,0.00,0.00,40.00\n"
        "Ann,USD,2,100.00,200.00,50.00,0.00,0.00,0.00,350.00\n"
        "Bob,USD,1,0.00,0.00,0.00,0.00,0.00,50.00,-50.00\n"
    )


def _column_sums(text: str, skip: int) -> dict[str, Decimal]:
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0][skip:]
    return {name: sum((Decimal(row[skip + index]) for row in rows[1:]), Decimal(0))
            for index, name in enumerate(header)}


@pytest.mark.parametrize("by", ["salesperson", "region", "group"])
def test_demo_subtotals_match_the_ungrouped_totals_exactly(by: str) -> None:
    demo = str(ROOT / "workbooks" / "demo.xlsx")
    grouped = _report("aging", demo, "--by", by, "--format", "csv")
    whole = _report("aging", demo, "--format", "csv")
    sums = _column_sums(grouped, skip=3)
    assert sums == _column_sums(whole, skip=2)
    assert sums["Total"] > 0
    customers = sum(int(row["customers"]) for row in csv.DictReader(io.StringIO(grouped)))
    assert customers == len(whole.splitlines()) - 1


def test_aging_by_region_table_and_json(book: Path) -> None:
    table = _report("aging", str(book), "--by", "region")
    assert "Subtotal East" in table and "Subtotal West" in table
    records = json.loads(_report("aging", str(book), "--by", "region", "--format", "json"))
    # East: C2 200.00 + C4 40.00 = 240.00; West: C1 150.00 + C3 -50.00 = 100.00.
    assert [(record["region"], record["customers"], record["Total"]) for record in records] == [
        ("East", 2, 240.0), ("West", 2, 100.0)]


def test_metrics_by_salesperson(book: Path) -> None:
    payload = json.loads(_report("metrics", str(book), "--by", "salesperson", "--format", "json"))
    groups = {group["salesperson"]: group for group in payload["groups"]}
    # Ann: AR 350.00, credit sales in the 90 days after 2025-12-31: I1 + I2 + I3 = 350.00: DSO = 350/350 x 90.
    assert (groups["Ann"]["ar"], groups["Ann"]["credit_sales"], groups["Ann"]["dso"]) == (350.0, 350.0, 90.0)
    # Bob: I4 is older than the period, so no credit sales and no DSO; AR -50.00 (the unapplied cash).
    assert (groups["Bob"]["ar"], groups["Bob"]["credit_sales"], groups["Bob"]["dso"]) == (-50.0, 0.0, None)
    assert (groups[""]["ar"], groups[""]["credit_sales"]) == (40.0, 40.0)
    for key in ("ar", "current_ar", "beginning_ar", "credit_sales"):
        assert sum(Decimal(str(group[key])) for group in groups.values()) == Decimal(str(payload["total"][key]))
    assert (payload["total"]["ar"], payload["total"]["credit_sales"]) == (340.0, 390.0)
    table = _report("metrics", str(book), "--by", "salesperson")
    assert "(none)" in table and "Total" in table


def test_metrics_of_the_groups_add_up_on_the_demo() -> None:
    ledger = load_book(ROOT / "workbooks" / "demo.xlsx").ledger
    as_of = dt.date(2026, 6, 30)
    whole = compute_metrics(ledger, as_of)
    parts = [metrics for _, metrics in metrics_by_group(ledger, as_of, "region")]
    for name in ("ar", "current_ar", "beginning_ar", "credit_sales"):
        assert sum(getattr(metrics, name) for metrics in parts) == getattr(whole, name)


def test_worklist_by_salesperson(book: Path) -> None:
    # Overdue: C1's I2 50.00 (59 days) and C2's I3 200.00 (30 days), both Ann's; Bob's I4 is paid, C4 not due.
    text = _report("worklist", str(book), "--by", "salesperson", "--format", "csv")
    assert text == ("salesperson,currency,customers,balance,overdue,collectable,disputed,oldest_days,over_limit,"
                    "credit_hold\nAnn,USD,2,350.0,250.0,250.0,0.0,59,0,0\n")
    table = _report("worklist", str(book), "--by", "salesperson")
    assert "Subtotal Ann" in table


def test_the_worksheet_function_takes_by(book: Path) -> None:
    tables = {name.lower(): [[dt.datetime(value.year, value.month, value.day) if isinstance(value, dt.date)
                              else value for value in row] for row in rows] for name, rows in BOOK.items()}
    spill = udf.AR_AGING(tables["invoices"], tables["payments"], tables["customers"], None, None,
                         tables["settings"], by="salesperson")
    assert spill == [
        ["salesperson", "customers", "Current", "1-30", "31-60", "61-90", "Over 90", "Unapplied", "Total"],
        ["", 1, 40.0, 0.0, 0.0, 0.0, 0.0, 0.0, 40.0],
        ["Ann", 2, 100.0, 200.0, 50.0, 0.0, 0.0, 0.0, 350.0],
        ["Bob", 1, 0.0, 0.0, 0.0, 0.0, 0.0, 50.0, -50.0],
    ]
    assert udf.AR_AGING(tables["invoices"], tables["payments"], tables["customers"], by="team") == (
        '#ARXL: by: "team" is not one of group, region, salesperson')


def test_an_unknown_grouping_is_refused(book: Path) -> None:
    result = CliRunner().invoke(main, ["report", "aging", str(book), "--by", "team"])
    assert result.exit_code == 2
    assert "team" in result.output


def test_a_ledger_restricted_to_customers_keeps_only_theirs(book: Path) -> None:
    ledger = load_book(book).ledger
    part = for_customers(ledger, ["C3"])
    assert part.invoices["invoice_id"].tolist() == ["I4"] and part.payments["payment_id"].tolist() == ["P1"]
    grouped = aging_by_group(ledger, aging(ledger, dt.date(2026, 3, 31)), "group")
    assert grouped[["group", "customers", "Total"]].values.tolist() == [["", 1, 4000], ["Retail", 1, -5000],
                                                                         ["Trade", 2, 35000]]


# --- the Aging sheet and the Dashboard with Settings aging_group_by ----------------------------------------------

def _grouped_book(tmp_path: Path) -> Path:
    settings = [*BOOK["Settings"], ["aging_group_by", "salesperson"]]
    customers = [row[:] for row in BOOK["Customers"]]
    customers[3][2] = 'Bob "B*"'  # quotes and a wildcard must still match exactly in SUMIFS
    path = write_book(tmp_path / "grouped.xlsx", {**BOOK, "Settings": settings, "Customers": customers})
    result = CliRunner().invoke(main, ["refresh", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    return path


def test_aging_sheet_subtotals_by_the_setting(tmp_path: Path) -> None:
    path = _grouped_book(tmp_path)
    formulas = openpyxl.load_workbook(path)["Aging"]
    values = openpyxl.load_workbook(path, data_only=True)["Aging"]
    assert values["N4"].value == "Salesperson"
    assert [values.cell(row, 14).value for row in range(5, 9)] == ["Ann", "Ann", 'Bob "B*"', "(none)"]
    # The total on row 10; the subtotals below it: the label, then one row per salesperson.
    assert values["A10"].value == "Total"
    assert values["A12"].value == "Subtotals by salesperson"
    rows = [[values.cell(row, column).value for column in (1, 2, 3, 4, 5, 6, 10)] for row in range(13, 16)]
    assert rows == [["(none)", "1 customer(s)", "USD", 40.0, 0.0, 0.0, 40.0],
                    ["Ann", "2 customer(s)", "USD", 100.0, 200.0, 50.0, 350.0],
                    ['Bob "B*"', "1 customer(s)", "USD", 0.0, 0.0, 0.0, -50.0]]
    assert formulas["J15"].value == '=SUMIFS(J5:J8,$N$5:$N$8,"=Bob ""B~*""",$C$5:$C$8,"USD")'
    dashboard = openpyxl.load_workbook(path, data_only=True)["Dashboard"]
    labels = [row[0] for row in dashboard.iter_rows(min_row=50, values_only=True)]
    assert "AR by salesperson" in labels


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_subtotals_to_arxls_figures(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    path = _grouped_book(tmp_path)
    stripped = tmp_path / "stripped.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if "worksheets/arxl-" in info.filename:
                data = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1", data)
            target.writestr(info.filename, data)
    completed = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(tmp_path / "lo"), str(stripped)],
        capture_output=True, text=True, timeout=240, check=False)
    assert completed.returncode == 0, completed.stderr
    recalculated = openpyxl.load_workbook(tmp_path / "lo" / "stripped.xlsx", data_only=True)["Aging"]
    ours = openpyxl.load_workbook(path, data_only=True)["Aging"]
    for row in range(13, 16):
        for column in range(4, 11):
            assert recalculated.cell(row, column).value == pytest.approx(ours.cell(row, column).value, abs=0.005)
