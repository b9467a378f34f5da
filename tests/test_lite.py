"""The xlwings Lite face (lite/main.py), called the way Lite calls it: tables as rows with dates as serial
numbers and whole numbers as int (Pyodide's conversion of JavaScript numbers), error cells as their texts; its
figures against the command line's on the demo book, read here by an independent reader (python-calamine).
Its scripts run against ``xlfake``'s model of Lite's ``Book`` (no status bar, Tables that cannot be deleted)."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import python_calamine as calamine
from click.testing import CliRunner
from xlfake import App, book_from_file

from arxl.cli import main as cli
from arxl.verbs.refresh import run_refresh
from arxl.workbook.book import FileBook

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo.xlsx"
AS_OF = dt.date(2026, 6, 30)  # the demo book's Settings as_of
EPOCH = dt.datetime(1899, 12, 30)


def load_lite():
    spec = importlib.util.spec_from_file_location("arxl_lite_main", ROOT / "lite" / "main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lite = load_lite()


def as_lite_hands_it_over(value: object) -> object:
    """One cell as xlwings Lite hands it to a function: a date as its serial number, a whole number as int,
    an empty cell as None."""
    if isinstance(value, dt.datetime | dt.date):
        stamp = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
        serial = (stamp - EPOCH).total_seconds() / 86_400
        return int(serial) if serial.is_integer() else serial
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == "":
        return None
    return value


@pytest.fixture(scope="module")
def tables() -> dict[str, list[list[object]]]:
    """The demo book's tables, read by python-calamine, as Lite passes ``Invoices[#All]`` and the others."""
    workbook = calamine.CalamineWorkbook.from_path(str(DEMO))
    try:
        found = {}
        for name in ("Invoices", "Payments", "Customers", "Applications", "Adjustments", "Settings"):
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=True)
            rows = [row for row in rows if any(cell not in ("", None) for cell in row)]
            found[name.lower()] = [[as_lite_hands_it_over(cell) for cell in row] for row in rows]
    finally:
        workbook.close()
    assert isinstance(found["invoices"][1][2], int)  # a date, as a serial number
    return found


def cli_output(*arguments: str) -> str:
    result = CliRunner().invoke(cli, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def cli_csv(*arguments: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(cli_output(*arguments, "--format", "csv"))))


def money(value: object) -> str:
    return f"{value:.2f}"


def test_metrics_equal_the_command_lines(tables) -> None:
    expected = json.loads(cli_output("report", "metrics", str(DEMO), "--format", "json"))
    assert expected["as_of"] == AS_OF.isoformat()
    for function, field in ((lite.AR_DSO, "dso"), (lite.AR_DSO_COUNTBACK, "dso_countback"),
                            (lite.AR_BPDSO, "bpdso"), (lite.AR_ADD, "add"), (lite.AR_CEI, "cei"),
                            (lite.AR_TURNOVER, "turnover")):
        value = function(**tables)
        assert isinstance(value, float), value
        assert round(value, 2) == expected[field], field


def test_aging_and_balances_equal_the_command_lines(tables) -> None:
    expected = cli_csv("report", "aging", str(DEMO))
    table = lite.AR_AGING(**tables)
    assert table[0] == expected[0]
    assert [[row[0], row[1], *map(money, row[2:])] for row in table[1:]] == expected[1:]
    totals = {row[0]: row[-1] for row in expected[1:]}
    customers = [[row[0]] for row in expected[1:6]]
    assert [[money(cell) for cell in row] for row in lite.AR_BALANCE(customers, **tables)] == [
        [totals[row[0]]] for row in customers]


def test_open_items_statement_and_forecast_equal_the_command_lines(tables) -> None:
    customer = "C0001"
    items = cli_csv("report", "open-items", str(DEMO), "--customer", customer)
    ours = lite.AR_OPEN_ITEMS(customer, **tables)
    mine, theirs = ours[0], items[0]
    assert [(row[mine.index("document_id")], row[mine.index("days_past_due")], row[mine.index("open_amount")])
            for row in ours[1:]] == [(row[theirs.index("document_id")], int(row[theirs.index("days_past_due")]),
                                      float(row[theirs.index("open_amount")])) for row in items[1:]]
    statement = cli_csv("report", "statement", str(DEMO), "--customer", customer, "--from", "2026-04-01")
    # From 2026-04-01 (serial 46113: 2026-01-01 is 46023, + 31 + 28 + 31) to the as-of date 2026-06-30 (46203).
    ours = lite.AR_STATEMENT(customer, 46113, 46203, **tables)
    documents = [row for row in ours[1:] if row[2] is not None]
    assert [(row[2], money(row[5]), money(row[6]), money(row[7])) for row in documents] == [
        (row[2], row[5], row[6], row[7]) for row in statement[1:]]
    forecast = cli_csv("report", "forecast", str(DEMO))
    ours = lite.AR_FORECAST(**tables)
    # Compared as decimals: the command line's forecast CSV writes some amounts without a trailing zero.
    assert [(row[0], Decimal(money(row[4])), row[5]) for row in ours[1:]] == [
        (row[0], Decimal(row[5]), int(row[6])) for row in forecast[1:]]


def test_helpers_take_dates_as_serial_numbers() -> None:
    # Due 2026-03-01 (serial 46082), as of 2026-03-31 (46112): 30 days past due, bucket 1-30.
    assert lite.AR_DAYS_PAST_DUE(46082, 46112) == 30
    assert lite.AR_BUCKET(30) == "1-30"
    assert lite.AR_DAYS_PAST_DUE([[46082], [46112]], 46112) == [[30], [0]]
    # 2/10 net 30: 0.02 / 0.98 x 365 / 20 = 0.37245 (simple).
    assert math.isclose(lite.AR_DISCOUNT_APR(0.02, 10, 30), 0.02 / 0.98 * 365 / 20)
    # 1,000 at 1.5% a month for 30 days: 1000 x 0.015 x 12 x 30 / 365 = 14.79.
    assert lite.AR_FINANCE_CHARGE(1000, 30, 0.015) == 14.79
    plan = lite.AR_PAYMENT_PLAN(900, 0, 3, 46113)  # 900 over 3 interest-free months from 2026-04-01
    assert [row[-1] for row in plan[1:]] == [600.0, 300.0, 0.0]
    assert plan[1][0] == dt.datetime(2026, 4, 1)


def test_without_tables_a_function_says_lite_needs_them() -> None:
    assert lite.AR_DSO() == lite.NEEDS_TABLES
    assert lite.AR_BALANCE("C0001") == lite.NEEDS_TABLES
    assert lite.NEEDS_TABLES.startswith("#ARXL: in xlwings Lite pass the tables")


def test_a_bad_cell_is_named_by_its_row_from_the_header(tables) -> None:
    broken = {name: [list(row) for row in rows] for name, rows in tables.items()}
    broken["invoices"][5][3] = "#N/A"  # the amount of the fifth invoice: row 6 counting the header as row 1
    assert lite.AR_DSO(**broken).startswith('#ARXL: Invoices row 6, amount: "#N/A" is an Excel error value')


# --- scripts --------------------------------------------------------------------------------------------------

def lite_book(path: Path):
    return book_from_file(path, app=App(platform="lite"))


def sheet_rows(book, name: str) -> list[list[object]]:
    sheet = book.sheets[name]
    used = sheet.used_range
    return sheet.values((1, 1), (used.row + used.shape[0] - 1, used.column + used.shape[1] - 1))


def test_refresh_script_writes_what_the_ribbon_writes_twice_over(tmp_path: Path, capsys) -> None:
    """Run twice: the second run finds the generated sheets with their Tables, which Lite cannot delete, and
    replaces those sheets instead; both runs give the figures of a refresh in Excel (the ribbon)."""
    excel = book_from_file(DEMO)
    expected = lite.ribbon.refresh(excel, today=AS_OF)
    book = lite_book(DEMO)
    for _ in range(2):
        message = lite.arxl_refresh(book)
        seconds = re.compile(r" in [0-9.]+ s:")
        assert seconds.sub(":", message) == seconds.sub(":", expected)
        assert book.app.alerts[-1]["mode"] == "info"
        assert message in capsys.readouterr().out
        assert book.app.status_log == []  # Lite has no status bar
        assert book.sheets.names() == excel.sheets.names()
        for name in ("Dashboard", "Aging", "Aging Detail", "Checks"):
            assert sheet_rows(book, name) == sheet_rows(excel, name), name
    file_copy = tmp_path / "demo.xlsx"
    shutil.copy(DEMO, file_copy)
    assert set(run_refresh(FileBook(file_copy), as_of=None, today=AS_OF).sheets) <= set(book.sheets.names())


def test_check_apply_and_accept_scripts(capsys) -> None:
    book = lite_book(DEMO)
    assert lite.arxl_check(book) == lite.ribbon.check(book_from_file(DEMO))
    proposed = lite.arxl_apply_cash(book)
    assert proposed is not None and "Cash application" in proposed
    accepted = lite.arxl_accept_cash(book)
    assert accepted is not None and accepted == lite.ribbon.accept_cash(_applied(book_from_file(DEMO)),
                                                                       today=AS_OF)
    statements = lite.arxl_statements(book)
    assert statements is not None and statements.startswith("Refreshed as of")
    assert capsys.readouterr().out.count("\n") >= 4


def _applied(book):
    lite.ribbon.apply_cash(book, today=AS_OF)
    return book


# --- what Lite installs ---------------------------------------------------------------------------------------

PYODIDE_BUILDS = {"numpy": "2.4.6", "pandas": "3.0.2", "pyarrow": "22.0.0"}
"""Packages arxl needs that are not pure Python, with the versions Pyodide 314.0.7 builds (its
pyodide-lock.json; xlwings Lite runs Pyodide 314)."""


def test_lite_requirements_cover_what_arxl_needs_there_and_pyodide_can_install_it() -> None:
    """Every dependency of arxl that Pyodide does not leave out (by marker) is in lite/requirements.txt, and is
    either one of Pyodide's own builds in a version arxl accepts, or pure Python (a wheel micropip installs)."""
    import tomllib
    from importlib.metadata import distribution

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = {line.strip().lower() for line in (ROOT / "lite" / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    pyodide = {"sys_platform": "emscripten", "extra": ""}
    needed = [requirement for requirement in map(Requirement, project["dependencies"])
              if requirement.marker is None or requirement.marker.evaluate(pyodide)]
    assert {requirement.name for requirement in needed} >= {"pandas", "numpy", "pyarrow", "numpy-financial"}
    for requirement in needed:
        assert requirement.name.lower() in listed, requirement.name
        if requirement.name in PYODIDE_BUILDS:
            assert requirement.specifier.contains(PYODIDE_BUILDS[requirement.name]), requirement
        else:
            wheel = distribution(requirement.name).read_text("WHEEL") or ""
            assert "Root-Is-Purelib: true" in wheel, f"{requirement.name} is not pure Python"
    for excluded in ("fastexcel", "python-calamine", "openpyxl"):
        assert excluded not in listed


@pytest.mark.skipif(not os.environ.get("ARXL_PYODIDE") or shutil.which("node") is None,
                    reason="set ARXL_PYODIDE to an unpacked npm package pyodide (npm pack pyodide@314.0.7) and "
                           "install Node.js to run arxl in a real Pyodide")
def test_arxl_imports_in_a_real_pyodide_and_its_markers_keep_only_what_pyodide_has(tmp_path: Path) -> None:
    """``lite/pyodide_check.mjs`` in Pyodide 314 under Node.js: ``import arxl`` and the contract work there,
    loading none of the heavy modules, and Pyodide's own environment markers drop the file readers and
    desktop xlwings from arxl's requirements, keeping only Pyodide builds (numpy, pandas, pyarrow) and pure
    Python packages."""
    import packaging

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600,
                           check=False)
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("arxl-*.whl"))
    run = subprocess.run(["node", str(ROOT / "lite" / "pyodide_check.mjs"), os.environ["ARXL_PYODIDE"],
                          str(wheel), str(Path(packaging.__file__).parent)], capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["platform"] == "emscripten"
    assert result["tables"][:4] == ["Settings", "Customers", "Invoices", "Payments"]
    assert result["heavy_modules_loaded"] == []
    assert result["kept"] == ["click", "defusedxml", "numpy", "numpy-financial", "pandas", "pyarrow", "rich"]
