"""The xlwings Lite face (lite/main.py), called the way Lite calls it: tables as rows with dates as serial
numbers and whole numbers as int (Pyodide's conversion of JavaScript numbers), error cells as their texts.

- Lite offers every classic worksheet function (udfs/arxl_udfs.py) with the same arguments, order, defaults and
  docs, read from what each face's decorators register (xlwings' own for the classic add-in, a recorder of what
  xlwings Lite registers for Lite), and hands its arguments to the classic function of the same name; every
  ribbon button is a Lite script or is said not to be one, and why.
- Its figures against the command line's and the classic functions', on the demo book and on a small book
  using instalments, FX rates and an Activity dispute whose figures are worked out by hand below; the books are
  read here by an independent reader (python-calamine).
- Its scripts run against ``xlfake``'s model of Lite's ``Book`` (no status bar, Tables that cannot be deleted).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import inspect
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import arxl_udfs
import pytest
import python_calamine as calamine
import xlwings
from books import base, write_book
from click.testing import CliRunner
from xlfake import App, book_from_file

from arxl.cli import main as cli
from arxl.verbs.functions import ExcelValues
from arxl.verbs.refresh import run_refresh
from arxl.workbook.book import FileBook

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "workbooks" / "demo.xlsx"
AS_OF = dt.date(2026, 6, 30)  # the demo book's Settings as_of
EPOCH = dt.datetime(1899, 12, 30)
SHEET_ARGUMENTS = {sheet: name for name, sheet in arxl_udfs.TABLE_ARGUMENTS.items()}
"""Sheet (table) name -> the argument that takes it: ``FXRates`` -> ``fx_rates``."""


def load_lite() -> ModuleType:
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


def as_xlwings_hands_it_over(value: object) -> object:
    """One cell as desktop xlwings hands it to a classic function by default: a date as datetime, a number as
    float, an empty cell as None."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if value == "":
        return None
    return value


def read_tables(path: Path, cell=as_lite_hands_it_over) -> dict[str, list[list[object]]]:
    """Every contract table of the book at ``path`` that a function takes, read by python-calamine, by the
    argument that takes it (``Invoices[#All]`` as ``invoices``), each cell as ``cell`` hands it over."""
    workbook = calamine.CalamineWorkbook.from_path(str(path))
    try:
        found = {}
        for sheet in workbook.sheet_names:
            if sheet not in SHEET_ARGUMENTS:
                continue
            rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=True)
            rows = [row for row in rows if any(value not in ("", None) for value in row)]
            found[SHEET_ARGUMENTS[sheet]] = [[cell(value) for value in row] for row in rows]
    finally:
        workbook.close()
    return found


@pytest.fixture(scope="module")
def tables() -> dict[str, list[list[object]]]:
    """The demo book's tables as Lite passes ``Invoices[#All]`` and the others (Activity and the header-only
    Instalments included, so that the functions see what the command line sees)."""
    found = read_tables(DEMO)
    assert set(found) == {"invoices", "payments", "customers", "applications", "adjustments", "settings",
                          "activity", "instalments"}
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


def test_allowance_and_credit_check_equal_the_command_lines(tables) -> None:
    allowance = cli_csv("report", "allowance", str(DEMO))
    ours = lite.AR_ALLOWANCE(**tables)
    assert ours[0] == allowance[0]
    assert [(row[0], row[1], Decimal(money(row[2])), Decimal(str(row[3])), Decimal(money(row[4])))
            for row in ours[1:] if row[0] != "Allowance"] == [
        (row[0], row[1], Decimal(row[2]), Decimal(row[3]), Decimal(row[4])) for row in allowance[1:]]
    (total,) = [row for row in ours[1:] if row[0] == "Allowance"]
    assert money(total[4]) == money(sum(Decimal(row[4]) for row in allowance[1:]))
    decision = json.loads(cli_output("report", "credit", str(DEMO), "--customer", "C0001", "--order", "5000",
                                     "--format", "json"))
    ours = lite.AR_CREDIT_CHECK("C0001", 5000, **tables)
    assert ours[1][:2] == ["decision", decision["verdict"]]
    assert [list(row) for row in ours[2:]] == [[finding["topic"], finding["verdict"], finding["text"]]
                                               for finding in decision["findings"]]


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


def test_charges_scripts_propose_and_post_what_the_ribbon_does(capsys) -> None:
    """The Charges and Accept charges buttons, on the demo book: the same Charges sheet, the same rows appended
    to Adjustments as the ribbon in Excel, and nothing appended twice."""
    excel, book = book_from_file(DEMO), lite_book(DEMO)
    proposed = lite.arxl_charges(book)
    assert proposed == lite.ribbon.charges(excel, today=AS_OF)
    assert proposed is not None and "finance charge(s) as of 2026-06-30 on the 'Charges' sheet" in proposed
    assert sheet_rows(book, "Charges") == sheet_rows(excel, "Charges")
    before = len(sheet_rows(book, "Adjustments"))
    accepted = lite.arxl_accept_charges(book)
    assert accepted == lite.ribbon.accept_charges(excel, today=AS_OF)
    assert accepted is not None and accepted.startswith("Appended ")
    appended = int(accepted.split()[1])
    assert appended > 0 and len(sheet_rows(book, "Adjustments")) == before + appended
    assert sheet_rows(book, "Adjustments") == sheet_rows(excel, "Adjustments")
    assert lite.arxl_accept_charges(book).startswith("Nothing to post as of 2026-06-30")
    assert capsys.readouterr().out.count("Appended ") == 1


def test_small_balances_scripts_propose_and_post_what_the_ribbon_does(tmp_path: Path) -> None:
    """The Small balances and Accept small balances buttons on the base book with a tolerance of 40.00 USD (I1
    owes 30.00 after a payment and a credit note, I2 145.50): I1's 30.00 is proposed and written off, once."""
    tables = base()
    tables["Settings"].append(["write_off_tolerance", 40])
    path = write_book(tmp_path / "book.xlsx", tables)
    excel, book = book_from_file(path), lite_book(path)
    proposed = lite.arxl_small_balances(book)
    assert proposed == lite.ribbon.small_balances(excel, today=AS_OF)
    assert proposed is not None and proposed.startswith("Proposed 1 small-balance write-off(s) as of 2026-03-31")
    assert sheet_rows(book, "Small balances") == sheet_rows(excel, "Small balances")
    accepted = lite.arxl_accept_small_balances(book)
    assert accepted == lite.ribbon.accept_small_balances(excel, today=AS_OF)
    assert accepted is not None and accepted.startswith("Appended 1 row(s) to Adjustments")
    assert sheet_rows(book, "Adjustments") == sheet_rows(excel, "Adjustments")
    assert lite.arxl_accept_small_balances(book).startswith("Nothing to write off as of 2026-03-31")


def _applied(book):
    lite.ribbon.apply_cash(book, today=AS_OF)
    return book


# --- the same functions as the classic add-in -----------------------------------------------------------------

sys.path.insert(0, str(ROOT / "workbooks"))
import build_addin  # noqa: E402 - the build script lives beside the workbooks it builds

LITE_WORDING = {"AR_CREDIT_CHECK": (
    '=INDEX(AR_CREDIT_CHECK("C0001", 5000), 2, 2)',
    '=INDEX(AR_CREDIT_CHECK("C0001", 5000, Invoices[#All], Payments[#All], Customers[#All]), 2, 2)')}
"""The one place Lite's description words the classic one otherwise: its example passes the tables, which Lite
needs (there is no no-argument form in Lite)."""


class LiteRecorder:
    """Stand-ins for xlwings Lite's ``func``, ``arg`` and ``script`` that record what Lite registers, as its own
    decorators do: a function's arguments from its signature in order, each with its default (``optional``),
    its options and its doc; its docstring as its description; an ``arg`` naming no argument of the function is
    an error, as in Lite. (xlwings' own Lite decorators live under ``xlwings.pro``, which needs a licence key.)"""

    def __init__(self) -> None:
        self.scripts: dict[str, str | None] = {}

    @staticmethod
    def described(function):
        if not hasattr(function, "__lite__"):
            arguments = {}
            for position, parameter in enumerate(inspect.signature(function).parameters.values()):
                described = {"name": parameter.name, "doc": f"Positional argument {position + 1}", "options": {}}
                if parameter.default is not inspect.Parameter.empty:
                    described["optional"] = parameter.default
                arguments[parameter.name] = described
            function.__lite__ = {"name": function.__name__, "doc": function.__doc__, "args": arguments}
        return function

    def func(self, function=None, **_options):
        return self.described if function is None else self.described(function)

    def arg(self, name, convert=None, **options):
        def record(function):
            arguments = self.described(function).__lite__["args"]
            if name not in arguments:
                raise NameError(f"Invalid argument name '{name}' for {function.__name__}")
            arguments[name]["doc"] = options.pop("doc", arguments[name]["doc"])
            arguments[name]["options"].update(options, **({"convert": convert} if convert else {}))
            return function

        return record

    def script(self, function=None, **_options):
        def record(function):
            self.scripts[function.__name__] = function.__doc__
            return function

        return record if function is None else record(function)


@pytest.fixture(scope="module")
def registered() -> tuple[ModuleType, LiteRecorder, ModuleType]:
    """lite/main.py as xlwings Lite registers it, and arxl_udfs as xlwings registers it for the add-in."""
    recorder = LiteRecorder()
    saved = {name: getattr(xlwings, name) for name in ("func", "arg", "script")}
    try:
        xlwings.func, xlwings.arg, xlwings.script = recorder.func, recorder.arg, recorder.script
        module = load_lite()
    finally:
        for name, decorator in saved.items():
            setattr(xlwings, name, decorator)
    return module, recorder, build_addin.decorated_udfs()


def _functions(module: ModuleType, attribute: str) -> dict[str, dict]:
    return {name: getattr(getattr(module, name), attribute) for name in dir(module)
            if name.startswith("AR_") and hasattr(getattr(module, name), attribute)}


def test_lite_offers_every_classic_function_with_the_same_arguments_order_and_docs(registered) -> None:
    module, _, classic = registered
    ours, theirs = _functions(module, "__lite__"), _functions(classic, "__xlfunc__")
    assert sorted(ours) == sorted(theirs) == sorted(name for name in arxl_udfs.__all__ if name.startswith("AR_"))
    assert len(ours) == 18
    for name, lite_function in ours.items():
        classic_function = theirs[name]
        arguments = list(lite_function["args"].values())
        assert [(argument["name"], argument.get("optional", "required"), argument["doc"])
                for argument in arguments] == [
            (argument["name"], argument.get("optional", "required"), argument["doc"])
            for argument in classic_function["args"]], name
        assert not any(argument["doc"].startswith("Positional argument") for argument in arguments), name
        description = " ".join(classic_function["ret"]["doc"].split())  # the words, however the lines wrap
        if name in LITE_WORDING:
            classic_words, lite_words = LITE_WORDING[name]
            assert classic_words in description, f"{name}: update LITE_WORDING"
            description = description.replace(classic_words, lite_words)
        assert " ".join(lite_function["doc"].split()) == description, name
        for argument, classic_argument in zip(arguments, classic_function["args"], strict=True):
            if argument["name"] in arxl_udfs.TABLE_ARGUMENTS:
                # The add-in reads a table's raw values from the Range; Lite hands the rows over.
                assert classic_argument["options"] == {"convert": "range"}
                assert argument["options"] == {"ndim": 2, "err_to_str": True}, (name, argument["name"])
            else:
                assert argument["options"] == classic_argument["options"], (name, argument["name"])


def test_each_lite_function_hands_its_arguments_to_the_classic_function_of_the_same_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Called positionally, as Lite calls it, with a different value for every argument: the classic function
    of the same name receives each one under its own name, the tables as Excel's raw values."""
    assert lite.classic is arxl_udfs
    names = [name for name in arxl_udfs.__all__ if name.startswith("AR_")]
    for name in names:
        received: list[dict[str, object]] = []

        def spy(*args: object, _received=received, **kwargs: object) -> str:
            assert args == ()
            _received.append(kwargs)
            return "answer"

        monkeypatch.setattr(arxl_udfs, name, spy)
        parameters = list(inspect.signature(getattr(lite, name)).parameters)
        given = {parameter: [[f"{parameter} header"], [f"{parameter} cell"]]
                 if parameter in arxl_udfs.TABLE_ARGUMENTS else f"<{parameter}>" for parameter in parameters}
        assert getattr(lite, name)(*given.values()) == "answer"
        assert received == [{parameter: ExcelValues(arxl_udfs.TABLE_ARGUMENTS[parameter], value)
                             if parameter in arxl_udfs.TABLE_ARGUMENTS else value
                             for parameter, value in given.items()}], name
        monkeypatch.undo()


SCRIPTS = {"arxlRefresh": "arxl_refresh", "arxlStatements": "arxl_statements", "arxlCheck": "arxl_check",
           "arxlApplyCash": "arxl_apply_cash", "arxlAcceptCash": "arxl_accept_cash",
           "arxlCharges": "arxl_charges", "arxlAcceptCharges": "arxl_accept_charges",
           "arxlSmallBalances": "arxl_small_balances", "arxlAcceptSmallBalances": "arxl_accept_small_balances"}
"""Ribbon button -> the Lite script that does what it does."""
NOT_SCRIPTS = {"arxlCredit": "Credit check", "arxlImport": "Import", "arxlHelp": "Help"}
"""Ribbon buttons with no Lite script, each named in lite/main.py's docstring with the reason (Credit check asks
through Excel's input box, which Lite lacks: AR_CREDIT_CHECK answers instead; a Lite script cannot read the
computer's files; the README is the help)."""


def test_every_ribbon_button_is_a_lite_script_or_said_not_to_be(registered, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    _, recorder, _ = registered
    assert set(lite.ribbon.ACTIONS) == set(SCRIPTS) | set(NOT_SCRIPTS)
    assert set(recorder.scripts) == set(SCRIPTS.values())
    assert all(recorder.scripts[script] for script in SCRIPTS.values())  # each has a description
    for button, title in NOT_SCRIPTS.items():
        assert f"- **{title}**:" in lite.__doc__, button
    book = object()
    for button, script in SCRIPTS.items():
        entry = lite.ribbon.ACTIONS[button].__name__
        calls: list[tuple[object, dict[str, object]]] = []
        monkeypatch.setattr(lite.ribbon, entry, lambda *args, _calls=calls, **kwargs: _calls.append((args,
                                                                                                   kwargs)))
        getattr(lite, script)(book)
        assert [args for args, _ in calls] == [(book,)], script
        monkeypatch.undo()


def readme_formulas(text: str) -> list[tuple[str, list[str]]]:
    """(function, arguments) of every AR_* call in ``text`` that passes a table (``Invoices[#All]``), its
    arguments split at the commas of the call itself (not those in quotes or nested calls), white space
    (line breaks of a wrapped example) folded."""
    found = []
    for match in re.finditer(r"\b(AR_[A-Z_]+)\(", text):
        depth, quoted, current, arguments = 1, False, "", []
        for char in text[match.end():]:
            if char == '"':
                quoted = not quoted
            elif not quoted and char in "()":
                depth += 1 if char == "(" else -1
                if depth == 0:
                    break
            elif not quoted and char == "," and depth == 1:
                arguments.append(" ".join(current.split()))
                current = ""
                continue
            current += char
        arguments.append(" ".join(current.split()))
        if any("[#All]" in argument for argument in arguments):
            found.append((match.group(1), arguments))
    return found


def test_the_readmes_formulas_pass_each_table_where_the_function_takes_it() -> None:
    """Every example formula of the README (the add-in's and Lite's: the same arguments) puts each table at the
    argument that takes it, e.g. Activity[#All] after the options, never in an option's place."""
    formulas = readme_formulas((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(formulas) >= 8
    for name, arguments in formulas:
        parameters = list(inspect.signature(getattr(lite, name)).parameters)
        assert len(arguments) <= len(parameters), (name, arguments)
        for parameter, argument in zip(parameters, arguments, strict=False):
            table = re.fullmatch(r"(\w+)\[#All\]", argument)
            if table is not None:
                assert arxl_udfs.TABLE_ARGUMENTS.get(parameter) == table.group(1), (name, parameter, arguments)
            if argument.strip('"') in ("group", "region", "salesperson"):
                assert parameter == "by", (name, parameter, arguments)
    # The kind of example this test caught: written before AR_AGING took by, instalments and fx_rates, it put
    # Activity in the place of by.
    (_, stale), = readme_formulas('=AR_AGING(Invoices[#All], Payments[#All], Customers[#All], Applications[#All], '
                                  'Adjustments[#All], Settings[#All], , , , Activity[#All])')
    assert stale[9] == "Activity[#All]" and list(inspect.signature(lite.AR_AGING).parameters)[9] == "by"


# --- a book with instalments, FX rates and an Activity dispute, worked out by hand ----------------------------

D = dt.date
HAND_BOOK: dict[str, list[list[object]]] = {
    "Settings": [["key", "value"], ["company_name", "Lite Test Co"], ["reporting_currency", "USD"],
                 ["as_of", D(2026, 6, 30)]],
    "Customers": [["customer_id", "name", "terms_days", "credit_limit", "currency", "on_hold", "group"],
                  ["C1", "Acme Ltd", 30, 5000, "USD", "no", "Wholesale"],
                  ["C2", "Euro GmbH", 30, None, "EUR", "no", "Export"]],
    "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "due_date"],
                 ["I1", "C1", D(2026, 3, 1), 300, None], ["I2", "C1", D(2026, 4, 15), 200, None],
                 ["I3", "C1", D(2026, 5, 1), 900, None], ["E1", "C2", D(2026, 5, 20), 1000, None]],
    "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"],
                 ["P1", "C1", D(2026, 6, 10), 300, None]],
    "Instalments": [["invoice_id", "due_date", "amount", "note"], ["I3", D(2026, 5, 31), 300, None],
                    ["I3", D(2026, 6, 30), 300, None], ["I3", D(2026, 7, 31), 300, None]],
    "FXRates": [["currency", "rate", "date"], ["EUR", 1.10, D(2026, 1, 1)], ["EUR", 1.20, D(2026, 6, 1)]],
    "Activity": [["date", "customer_id", "invoice_id", "action", "promised_date", "promised_amount", "note"],
                 [D(2026, 4, 10), "C1", "I1", "dispute", None, None, "Quantity short"]],
}
"""As of 2026-06-30 (serial 46203), terms 30 days, reporting currency USD, buckets 30,60,90, DSO period 90.

- C1 (USD, limit 5,000): I1 2026-03-01 300.00 due 03-31, disputed in Activity on 04-10; I2 04-15 200.00 due
  05-15; I3 05-01 900.00 in three instalments of 300.00 due 05-31, 06-30 and 07-31. P1 06-10 300.00 names no
  invoice: auto-apply settles undisputed invoices first, oldest due first, so it pays I2's 200.00 and 100.00 of
  I3's first instalment (an instalment invoice is settled earliest-due first). Open: I1 300.00 (91 days past
  due: Over 90, disputed), I3 1/3 200.00 (30 days: 1-30), I3 2/3 300.00 (0 days: Current), I3 3/3 300.00 (-31
  days: Current); balance 300 + 200 + 300 + 300 = 1,100.00.
- Without the Activity dispute P1 pays I1 (the oldest due) whole instead: I2 200.00 stays open (46 days:
  31-60) and I3 1/3 300.00 (1-30); the same 1,100.00, aged otherwise.
- C2 (EUR): E1 05-20 1,000.00 EUR due 06-19, 11 days past due (1-30). FXRates: EUR 1.10 from 2026-01-01, 1.20
  from 06-01: booked at 1.10 (1,100.00 USD), at the as-of date worth 1,000 x 1.20 = 1,200.00 USD.
"""


@pytest.fixture(scope="module")
def hand_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("lite") / "hand.xlsx", HAND_BOOK)


@pytest.fixture(scope="module")
def hand(hand_book: Path) -> dict[str, list[list[object]]]:
    found = read_tables(hand_book)
    assert set(found) == {"invoices", "payments", "customers", "settings", "instalments", "fx_rates", "activity"}
    assert found["instalments"][1][1] == 46173  # 2026-05-31: 46203 (06-30) - 30
    return found


@pytest.fixture(scope="module")
def hand_classic(hand_book: Path) -> dict[str, list[list[object]]]:
    return read_tables(hand_book, as_xlwings_hands_it_over)


def test_the_later_tables_work_with_the_file_readers_out_of_reach(hand) -> None:
    """As in Pyodide, where fastexcel, python-calamine and openpyxl cannot be imported: the hand book's aging
    and C1's open items (figures as in the tests below) with Instalments, FXRates and Activity passed."""
    script = textwrap.dedent(f"""
        import json
        import sys

        class RefuseReaders:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("fastexcel", "python_calamine", "openpyxl"):
                    raise ImportError(f"{{name}} is not installed here")
                return None

        sys.meta_path.insert(0, RefuseReaders())
        sys.path[:0] = ["lite", "udfs", "macros"]
        import main as lite

        tables = json.loads({json.dumps(json.dumps(hand))})
        items = lite.AR_OPEN_ITEMS("C1", **tables)
        print(json.dumps({{
            "aging": lite.AR_AGING(**tables)[1:],
            "items": [[row[0], row[1], row[items[0].index("open_amount")]] for row in items[1:]],
            "loaded": sorted(name for name in ("fastexcel", "python_calamine", "openpyxl") if name in sys.modules),
        }}))
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["aging"] == [["C1", "Acme Ltd", 600.0, 200.0, 0.0, 0.0, 300.0, 0.0, 1100.0],
                               ["C2", "Euro GmbH", 0.0, 1200.0, 0.0, 0.0, 0.0, 0.0, 1200.0]]
    assert result["items"] == [["I1", "", 300.0], ["I3", "1/3", 200.0], ["I3", "2/3", 300.0], ["I3", "3/3", 300.0]]
    assert result["loaded"] == []


def test_aging_with_instalments_fx_rates_and_a_dispute_by_hand(hand_book, hand, hand_classic) -> None:
    header = ["customer_id", "name", "Current", "1-30", "31-60", "61-90", "Over 90", "Unapplied", "Total"]
    # C1: Current 300 + 300 (I3 2/3, 3/3), 1-30 200 (I3 1/3), Over 90 300 (I1); C2: 1-30 1,200.00 USD.
    expected = [header, ["C1", "Acme Ltd", 600.0, 200.0, 0.0, 0.0, 300.0, 0.0, 1100.0],
                ["C2", "Euro GmbH", 0.0, 1200.0, 0.0, 0.0, 0.0, 0.0, 1200.0]]
    assert lite.AR_AGING(**hand) == expected
    assert arxl_udfs.AR_AGING(**hand_classic) == expected
    command_line = cli_csv("report", "aging", str(hand_book))
    assert command_line == [header, *([row[0], row[1], *map(money, row[2:])] for row in expected[1:])]
    without_dispute = {name: rows for name, rows in hand.items() if name != "activity"}
    # P1 pays I1: C1 Current 600, 1-30 300 (I3 1/3), 31-60 200 (I2).
    assert lite.AR_AGING(**without_dispute)[1] == ["C1", "Acme Ltd", 600.0, 300.0, 200.0, 0.0, 0.0, 0.0, 1100.0]
    without_rates = {name: rows for name, rows in hand.items() if name != "fx_rates"}
    # No rate: each customer in its own currency, with a currency column.
    assert lite.AR_AGING(**without_rates)[1:] == [
        ["C1", "Acme Ltd", "USD", 600.0, 200.0, 0.0, 0.0, 300.0, 0.0, 1100.0],
        ["C2", "Euro GmbH", "EUR", 0.0, 1000.0, 0.0, 0.0, 0.0, 0.0, 1000.0]]
    by_group = lite.AR_AGING(**hand, by="group")
    assert by_group == [["group", "customers", *header[2:]],
                        ["Export", 1, 0.0, 1200.0, 0.0, 0.0, 0.0, 0.0, 1200.0],
                        ["Wholesale", 1, 600.0, 200.0, 0.0, 0.0, 300.0, 0.0, 1100.0]]
    grouped = cli_csv("report", "aging", str(hand_book), "--by", "group")
    assert grouped[0][:3] == ["group", "currency", "customers"]  # the function shows currency only when several
    assert [row[1] for row in grouped[1:]] == ["USD", "USD"]
    assert [[row[0], str(row[1]), *map(money, row[2:])] for row in by_group[1:]] == [
        [row[0], *row[2:]] for row in grouped[1:]]


def test_balances_and_open_items_show_the_instalments(hand_book, hand, hand_classic) -> None:
    assert lite.AR_BALANCE([["C1"], ["C2"]], **hand) == [[1100.0], [1200.0]]
    assert arxl_udfs.AR_BALANCE([["C1"], ["C2"]], **hand_classic) == [[1100.0], [1200.0]]
    items = lite.AR_OPEN_ITEMS("C1", **hand)
    assert items == arxl_udfs.AR_OPEN_ITEMS("C1", **hand_classic)
    columns = items[0]
    shown = [[row[columns.index(column)] for column in ("document_id", "instalment", "due_date", "days_past_due",
                                                         "bucket", "open_amount", "status")] for row in items[1:]]
    assert shown == [["I1", "", dt.datetime(2026, 3, 31), 91, "Over 90", 300.0, "disputed"],
                     ["I3", "1/3", dt.datetime(2026, 5, 31), 30, "1-30", 200.0, ""],
                     ["I3", "2/3", dt.datetime(2026, 6, 30), 0, "Current", 300.0, ""],
                     ["I3", "3/3", dt.datetime(2026, 7, 31), -31, "Current", 300.0, ""]]
    report = list(csv.DictReader(io.StringIO(cli_output("report", "open-items", str(hand_book), "--customer",
                                                        "C1", "--format", "csv"))))
    assert [[row["document_id"], row["instalment"], row["days_past_due"], row["open_amount"], row["status"]]
            for row in report] == [[row[0], row[1], str(row[3]), money(row[5]), row[6]] for row in shown]


def test_metrics_by_hand(hand_book, hand, hand_classic) -> None:
    """AR 1,100.00 + 1,200.00 = 2,300.00. Credit sales of the 90 days after 2026-04-01: I2 200 + I3 900 + E1 at
    its booking rate 1,000 x 1.10 = 1,100, 2,200.00. Current AR (due on or after 06-30): I3 2/3 and 3/3, 600.00.
    Beginning AR (as of 04-01): I1 300.00.

    DSO = 2,300 / 2,200 x 90 = 94.09; BPDSO = 600 / 2,200 x 90 = 24.55; ADD = 94.09 - 24.55 = 69.55 (69.545...);
    CEI = (300 + 2,200 - 2,300) / (300 + 2,200 - 600) x 100 = 200 / 1,900 x 100 = 10.53; turnover = 2,200 /
    ((300 + 2,300) / 2) = 1.69. Countback from June: June has no sales (30 days, 2,300 left), May 2,000 (I3 900 +
    E1 1,100: 31 days, 300 left), April 200 (30 days, 100 left), March I1 300: 100 / 300 x 31 = 10.33 days;
    30 + 31 + 30 + 10.33 = 101.33."""
    by_hand = {"dso": 2300 / 2200 * 90, "bpdso": 600 / 2200 * 90, "add": (2300 - 600) / 2200 * 90,
               "cei": 200 / 1900 * 100, "turnover": 2200 / 1300, "dso_countback": 30 + 31 + 30 + 100 / 300 * 31}
    command_line = json.loads(cli_output("report", "metrics", str(hand_book), "--format", "json"))
    for function, field in ((lite.AR_DSO, "dso"), (lite.AR_DSO_COUNTBACK, "dso_countback"),
                            (lite.AR_BPDSO, "bpdso"), (lite.AR_ADD, "add"), (lite.AR_CEI, "cei"),
                            (lite.AR_TURNOVER, "turnover")):
        value = function(**hand)
        assert math.isclose(value, by_hand[field], rel_tol=1e-9), field
        assert value == getattr(arxl_udfs, function.__name__)(**hand_classic), field
        assert round(value, 2) == command_line[field], field
    without_rates = {name: rows for name, rows in hand.items() if name != "fx_rates"}
    assert lite.AR_DSO(**without_rates).startswith("#ARXL: ") and "EUR" in lite.AR_DSO(**without_rates)


def test_statement_and_forecast_by_hand(hand_book, hand, hand_classic) -> None:
    # June for C1: opening balance at 05-31 300 + 200 + 900 = 1,400.00; P1 300.00 on 06-10; closing 1,100.00.
    statement = lite.AR_STATEMENT("C1", 46174, 46203, **hand)  # 2026-06-01 to 06-30
    assert statement == arxl_udfs.AR_STATEMENT("C1", dt.datetime(2026, 6, 1), dt.datetime(2026, 6, 30),
                                               **hand_classic)
    assert [(row[2], row[3], row[6], row[7]) for row in statement[1:]] == [
        (None, "opening balance", None, 1400.0), ("P1", "payment", 300.0, 1100.0),
        (None, "closing balance", None, 1100.0)]
    # C1's cash came 26 days late on I2 (200.00) and 10 days late on I3 1/3 (100.00): (200 x 26 + 100 x 10) /
    # 300 = 20.67, 21 days; C2 has no history and takes that portfolio average. Expected: I3 1/3 05-31 + 21 =
    # 06-21, overdue, so now (week 1); E1 06-19 + 21 = 07-10 (week 2, 07-07 to 07-13); I3 2/3 07-21 (week 4);
    # I3 3/3 08-21 (week 8, 08-18 to 08-24); I1 is set apart as Disputed. 200 + 1,200 + 300 + 300 + 300 = 2,300.
    forecast = lite.AR_FORECAST(**hand)
    assert forecast == arxl_udfs.AR_FORECAST(**hand_classic)
    amounts = {row[0]: row[4] for row in forecast[1:] if row[4]}
    assert amounts == {"Week 1": 200.0, "Week 2": 1200.0, "Week 4": 300.0, "Week 8": 300.0, "Disputed": 300.0}
    command_line = cli_csv("report", "forecast", str(hand_book))
    assert [(row[0], Decimal(money(row[4])), row[5]) for row in forecast[1:]] == [
        (row[0], Decimal(row[5]), int(row[6])) for row in command_line[1:]]


def test_allowance_by_hand(hand_book, hand, hand_classic) -> None:
    # Settings' default rates 1%, 3%, 10%, 25%, 50% on the USD exposure: Current 600 x 1% = 6.00; 1-30 C1 200 x
    # 3% = 6.00 and C2 1,200 x 3% = 36.00, 42.00; Over 90 300 x 50% = 150.00. Allowance 198.00 on 2,300.00.
    expected = [["bucket", "currency", "exposure", "rate", "expected_loss"],
                ["Current", "USD", 600.0, 0.01, 6.0], ["1-30", "USD", 1400.0, 0.03, 42.0],
                ["31-60", "USD", 0.0, 0.1, 0.0], ["61-90", "USD", 0.0, 0.25, 0.0],
                ["Over 90", "USD", 300.0, 0.5, 150.0], ["Allowance", "USD", 2300.0, None, 198.0]]
    assert lite.AR_ALLOWANCE(**hand) == arxl_udfs.AR_ALLOWANCE(**hand_classic) == expected
    command_line = cli_csv("report", "allowance", str(hand_book))
    assert command_line == [expected[0], *([str(cell) for cell in row] for row in expected[1:-1])]
    assert lite.AR_ALLOWANCE(**hand, method="yearly") == '#ARXL: method: "yearly" is not one of settings, history'


def test_credit_check_by_hand(hand_book, hand, hand_classic) -> None:
    # C1's balance 1,100.00 + an order of 4,000.00 = 5,100.00 against the limit 5,000.00: 2% over, within 10%,
    # so refer; approved up to 5,000 - 1,100 = 3,900.00. Not on hold (I1 is 91 days past due, more than the
    # hold_days 90, but disputed); overdue share 200 / 1,100 = 18% (at most 25%).
    answer = lite.AR_CREDIT_CHECK("C1", 4000, **hand)
    assert answer == arxl_udfs.AR_CREDIT_CHECK("C1", 4000.0, **hand_classic)
    assert answer[0] == ["finding", "verdict", "why"]
    assert answer[1] == ["decision", "refer", "orders up to 3,900.00 USD are approved"]
    findings = {row[0]: row[1:] for row in answer[2:]}
    assert findings["limit"] == ["refer", "over the limit by at most 10%: balance 1,100.00 + order 4,000.00 = "
                                          "5,100.00 against a limit of 5,000.00"]
    assert findings["hold"] == ["approve", "not on hold"]
    assert findings["overdue share"] == ["approve", "overdue 200.00 of 1,100.00 open (18%)"]
    command_line = json.loads(cli_output("report", "credit", str(hand_book), "--customer", "C1", "--order",
                                         "4000", "--format", "json"))
    assert command_line["verdict"] == answer[1][1] and command_line["approve_up_to"] == 3900.0
    assert [[finding["topic"], finding["verdict"], finding["text"]] for finding in command_line["findings"]] == [
        list(row) for row in answer[2:]]
    # 3,900.00 fits the limit exactly: approved, as far as the limit goes.
    assert lite.AR_CREDIT_CHECK("C1", 3900, **hand)[2][:2] == ["limit", "approve"]


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
