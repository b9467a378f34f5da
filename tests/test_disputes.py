"""Disputes seen everywhere alike: a dispute opened in the Activity table makes the item's status "disputed" in
Aging Detail, the open-items report and AR_OPEN_ITEMS, with its days in dispute and reason in Aging Detail and the
Collections worklist; a resolved one stops counting. On a real workbook (the base book as of 2026-03-31)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import arxl_udfs as udf
import openpyxl
from books import D, base, write_book
from click.testing import CliRunner

from arxl.cli import main
from arxl.receivables import dispute_details
from arxl.workbook import load_book
from arxl.workbook.read import read_raw_tables

AS_OF = dt.date(2026, 3, 31)


def disputed_book(path: Path, *extra: list[object]) -> Path:
    """C2's I2 (145.50 open) disputed in Activity on 03-10 ("Price disputed"), again on 03-20: 21 days by 03-31
    (the dispute was opened on 03-10, the first row after no resolved one)."""
    tables = base()
    tables["Activity"] += [[D(2026, 3, 10), "C2", "I2", "dispute", None, None, "Price disputed"],
                           [D(2026, 3, 20), "C2", "I2", "dispute", None, None, ""], *extra]
    return write_book(path, tables)


def sheet_rows(path: Path, sheet: str, header_row: int = 4) -> list[dict[str, object]]:
    values = list(openpyxl.load_workbook(path, data_only=True)[sheet].iter_rows(values_only=True))
    header = list(values[header_row - 1])
    return [dict(zip(header, row, strict=False)) for row in values[header_row:] if row[0] is not None]


def test_an_activity_dispute_shows_in_aging_detail_and_the_worklist(tmp_path: Path) -> None:
    path = disputed_book(tmp_path / "book.xlsx")
    result = CliRunner().invoke(main, ["refresh", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    detail = {row["Document"]: row for row in sheet_rows(path, "Aging Detail") if row.get("Document")}
    assert detail["I2"]["Status"] == "disputed"  # the Invoices row has no status: the Activity says so
    assert (detail["I2"]["Days in dispute"], detail["I2"]["Dispute reason"]) == (21, "Price disputed")
    assert detail["I1"]["Status"] in ("", None) and detail["I1"]["Days in dispute"] in ("", None)
    work = {row["Customer ID"]: row for row in sheet_rows(path, "Collections") if row.get("Customer ID")}
    assert (work["C2"]["Days in dispute"], work["C2"]["Dispute reason"]) == (21, "I2: Price disputed")
    assert work["C2"]["Disputed"] == 145.5 and work["C2"]["Collectable"] == 0
    assert work["C2"]["Next action"] != "Send Reminder"  # nothing to dun: the only overdue item is disputed
    # the same status in the open-items report and the worksheet function
    report = json.loads(CliRunner().invoke(main, ["report", "open-items", str(path), "--customer", "C2",
                                                  "--format", "json"]).output)
    assert [row["status"] for row in report] == ["disputed"]
    tables, _, _ = read_raw_tables(path)
    rows = {name.lower(): [list(table.header), *table.cell_rows()] for name, table in tables.items()
            if name.lower() in udf.TABLE_ARGUMENTS}
    spilled = udf.AR_OPEN_ITEMS("C2", **rows)
    assert spilled[1][spilled[0].index("status")] == "disputed"


def test_a_resolved_dispute_stops_counting(tmp_path: Path) -> None:
    path = disputed_book(tmp_path / "book.xlsx", [D(2026, 3, 25), "C2", "I2", "resolved", None, None, "credit"])
    ledger = load_book(path).ledger
    assert dispute_details(ledger, AS_OF).empty
    assert dispute_details(ledger, dt.date(2026, 3, 24))[["invoice_id", "reason"]].values.tolist() == [
        ["I2", "Price disputed"]]
