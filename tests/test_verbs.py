"""The verbs (arxl/verbs/): one orchestration per verb on real files, the file book's one-save commit, and the
rules the faces keep (they never import arxl.workbook; the command line's modules import only click and
arxl.cli.common at the top)."""

from __future__ import annotations

import ast
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from books import D, base, write_book
from click.testing import CliRunner
from test_imports import QUICKBOOKS_CSV

from arxl import contract
from arxl.cli import collections as cli_collections
from arxl.cli import main
from arxl.errors import SaveRefused, ValidationFailed, WorkbookError
from arxl.render.spec import Cell, SheetSpec
from arxl.verbs import apply as cash
from arxl.verbs import importing
from arxl.verbs.books import file_book
from arxl.verbs.check import check_book
from arxl.verbs.create import new_book
from arxl.verbs.export import export_file
from arxl.verbs.letters import write_letters
from arxl.verbs.refresh import Append
from arxl.workbook import load_book
from arxl.workbook.read import read_raw_tables

ROOT = Path(__file__).resolve().parents[1]
FACES = [*sorted((ROOT / "arxl" / "cli").glob("*.py")), ROOT / "udfs" / "arxl_udfs.py",
         ROOT / "macros" / "arxl_macros.py"]
AS_OF = dt.date(2026, 3, 31)


def _imported(tree: ast.Module, package: str) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in ``tree``, relative ones resolved against ``package``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base_parts = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base_parts, node.module] if node.module else base_parts)
            found += [(node.lineno, module)]
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "arxl" / "cli").glob("*.py")), ids=lambda path: path.name)
def test_command_modules_import_only_click_and_common_at_the_top(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    light = {"__future__", "click", "datetime", "json", "sys", "pathlib", "typing", "decimal", "collections.abc",
             "contextlib", "functools", "os", "math", "dataclasses"}
    allowed = light | {"arxl.cli.common"} | ({"rich.console", "arxl.errors", "arxl.problems"}
                                              if path.name == "common.py" else set())
    if path.name == "__init__.py":
        allowed |= {"arxl.cli"}
    top = [statement for statement in tree.body if isinstance(statement, ast.Import | ast.ImportFrom)]
    modules = _imported(ast.Module(body=top, type_ignores=[]), "arxl.cli")
    assert [(line, module) for line, module in modules if module not in allowed] == []


def test_the_command_line_defaults_are_the_verbs() -> None:
    assert cli_collections.DEFAULT_MIN_CONFIDENCE == cash.DEFAULT_MIN_CONFIDENCE


# --- the file book's commit -----------------------------------------------------------------------------------

def _payments(*rows: tuple[str, str, float]) -> Append:
    frame = pd.DataFrame({"payment_id": [row[0] for row in rows], "customer_id": [row[1] for row in rows],
                          "payment_date": pd.to_datetime(["2026-03-20"] * len(rows)),
                          "amount": [row[2] for row in rows]})
    return Append(contract.PAYMENTS, frame)


def test_a_commit_appends_and_writes_sheets_in_one_save_with_one_backup(tmp_path: Path) -> None:
    path = write_book(tmp_path / "book.xlsx", base())
    before = path.read_bytes()
    book = file_book(path)
    with book.hold():
        committed = book.commit([_payments(("P3", "C1", 30.0))], [SheetSpec("Notes", cells={(1, 1): Cell("hi")})],
                                keep_backups=3)
    # Payments holds rows 2-3 in the base book: P3 lands on row 4
    assert committed.first_rows == (4,)
    assert committed.backup is not None and committed.backup.read_bytes() == before
    assert sorted(item.name for item in tmp_path.iterdir()) == sorted(["book.xlsx", committed.backup.name])
    assert {key: sheet.name for key, sheet in book.generated().sheets.items()} == {"notes": "Notes",
                                                                                    "state": "arxl_state"}
    payments = load_book(path).ledger.payments
    assert payments["payment_id"].tolist() == ["P1", "P2", "P3"] and payments["amount"].tolist()[-1] == 3000


def test_a_commit_that_fails_at_a_later_step_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    tables = base()
    del tables["Adjustments"]
    path = write_book(tmp_path / "book.xlsx", tables)
    before = path.read_bytes()
    adjustment = Append(contract.ADJUSTMENTS, pd.DataFrame({"adjustment_id": ["A2"]}))
    with pytest.raises(WorkbookError, match="no Excel Table named Adjustments"):
        file_book(path).commit([_payments(("P3", "C1", 30.0)), adjustment], keep_backups=3)
    assert path.read_bytes() == before
    assert [item.name for item in tmp_path.iterdir()] == ["book.xlsx"]


def test_a_commit_is_refused_when_the_file_changed_after_the_hold_began(tmp_path: Path) -> None:
    path = write_book(tmp_path / "book.xlsx", base())
    book = file_book(path)
    with book.hold(), pytest.raises(SaveRefused, match="changed on disk"):
        book.read_tables()
        path.write_bytes(path.read_bytes() + b"\0")  # someone saves the book meanwhile
        book.commit([_payments(("P3", "C1", 30.0))], keep_backups=0)


def test_reading_needs_no_hold_and_works_while_excel_has_the_book_open(tmp_path: Path) -> None:
    path = write_book(tmp_path / "receivables.xlsx", base())
    (tmp_path / "~$ceivables.xlsx").write_bytes(b"owner")
    assert check_book(file_book(path)).ok
    with pytest.raises(SaveRefused, match="open in Excel"):
        cash.propose(file_book(path), as_of=None, today=AS_OF)
    result = CliRunner().invoke(main, ["report", "aging", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output


# --- the verbs ------------------------------------------------------------------------------------------------

def test_check_finds_what_load_book_finds(tmp_path: Path) -> None:
    tables = base()
    tables["Invoices"][1][2] = "31/02/2026"
    path = write_book(tmp_path / "book.xlsx", tables)
    result = check_book(file_book(path))
    assert not result.ok and result.problems == load_book(path).problems
    assert str(result.errors[0]).startswith('Invoices row 2, invoice_date: "31/02/2026"')


def test_review_marks_are_read_from_below_the_header_row() -> None:
    values = [
        ["Cash application proposals", None, None, None],
        ["Rank", "Payment", "Invoice", "Accept"],
        [1.0, "P1", "I1", "yes"],
        [2.0, 1001.0, "I2", " Y "],  # an id typed over as a number, a mark with spaces
        [3.0, "P3", "I3", True],
        [4.0, "P4", "I4", "x"],
        [5.0, "P5", "I5", ""],
        [6.0, "P6", "I6", "no"],
        [7.0, "", "I7", "yes"],
    ]
    assert cash.marked_rows(values) == {("P1", "I1"), ("1001", "I2"), ("P3", "I3"), ("P4", "I4")}
    assert cash.marked_rows(values[2:]) == set()  # no header row: nothing is taken for a mark


def test_propose_then_accept_on_a_file(tmp_path: Path) -> None:
    tables = base()
    # P3, 30.00 from C1 naming no invoice: exactly what I1 (C1's only open invoice) owes -> 0.90
    tables["Payments"].append(["P3", "C1", D(2026, 3, 20), 30.0, "", ""])
    path = write_book(tmp_path / "book.xlsx", tables)
    proposed = cash.propose(file_book(path), as_of=None, today=AS_OF)
    assert (proposed.as_of, proposed.payments, proposed.marked, proposed.sheet) == (
        AS_OF, 1, 1, "Cash application")
    accepted = cash.accept(file_book(path), as_of=None, today=AS_OF, marked=True)
    # Applications held P2 on row 2: P3 -> I1 lands on row 3
    assert (accepted.rows, accepted.payments, accepted.first_row, accepted.stale) == (1, 1, 3, [])
    assert accepted.backup is not None
    applications = load_book(path).ledger.applications
    assert list(applications[["payment_id", "invoice_id", "amount"]].itertuples(index=False, name=None)) == [
        ("P2", "I2", 10000), ("P3", "I1", 3000)]
    assert cash.accept(file_book(path), as_of=None, today=AS_OF).rows == 0


def test_import_reads_detects_and_appends(tmp_path: Path) -> None:
    source = tmp_path / "open invoices.csv"
    source.write_text(QUICKBOOKS_CSV, encoding="utf-8")
    assert importing.detect(source) == [importing.Candidate("invoices", "quickbooks-open-invoices")]
    payments = tmp_path / "payments.csv"
    payments.write_text("payment_id,customer_id,payment_date,amount\nP9,C1,2026-03-30,12.50\n", encoding="utf-8")
    assert importing.detect(payments) == [importing.Candidate("payments", "generic")]
    path = write_book(tmp_path / "book.xlsx", base())
    incoming = importing.read_rows(payments, importing.mapping_for("payments"))
    assert incoming.read_as == "utf-8, delimiter ','; profile generic"
    dry = importing.import_rows(file_book(path), incoming, dry_run=True)
    assert (dry.written, dry.first_row, len(dry.plan.rows)) == (False, 4, 1)
    done = importing.import_rows(file_book(path), incoming)
    assert (done.written, done.first_row) == (True, 4) and done.backup is not None
    assert load_book(path).ledger.payments["amount"].tolist()[-1] == 1250
    again = importing.import_rows(file_book(path), incoming)
    assert (again.written, again.plan.already) == (False, 1)


def test_export_refuses_the_book_itself_and_unknown_suffixes(tmp_path: Path) -> None:
    path = write_book(tmp_path / "book.xlsx", base())
    with pytest.raises(WorkbookError, match="is the book itself"):
        export_file(file_book(path), "aging", path, as_of=None, today=AS_OF, force=True, book_file=path)
    with pytest.raises(WorkbookError, match=r"cannot export to a \.txt file"):
        export_file(file_book(path), "aging", tmp_path / "aging.txt", as_of=None, today=AS_OF)
    exported = export_file(file_book(path), "aging", tmp_path / "aging.csv", as_of=None, today=AS_OF)
    assert (exported.rows, exported.as_of) == (2, AS_OF)  # C1 and C2 have balances


def test_letters_are_written_as_files_and_logged(tmp_path: Path) -> None:
    tables = base()
    tables["Settings"].append(["company_email", "ar@test-co.example"])
    path = write_book(tmp_path / "book.xlsx", tables)
    written = write_letters(file_book(path), tmp_path / "letters", as_of=None, today=AS_OF, attach=False)
    assert (written.as_of, written.letters, written.attached, written.notes) == (AS_OF, 2, 0, [])
    assert [file.name for file in written.files] == ["C1.eml", "C1.txt", "C2.eml", "C2.txt"]
    assert written.warnings == ["C2: no valid email address in Customers; the letter has no To"]
    # one Activity row per letter, after the book's one row (Excel row 2): rows 3 and 4, for the audit trail
    assert [(row.table, row.row, row.values["customer_id"], row.values["action"]) for row in written.appended] == [
        ("Activity", 3, "C1", "letter"), ("Activity", 4, "C2", "letter")]
    assert written.backup is not None
    activity = load_book(path).ledger.activity
    assert activity["action"].tolist() == ["promise", "letter", "letter"]


def test_verbs_raise_validation_failed_on_a_book_with_errors(tmp_path: Path) -> None:
    tables = base()
    tables["Invoices"][1][3] = "lots"
    path = write_book(tmp_path / "book.xlsx", tables)
    before = path.read_bytes()
    for verb in (lambda: cash.propose(file_book(path), as_of=None, today=AS_OF),
                 lambda: write_letters(file_book(path), tmp_path / "out", as_of=None, today=AS_OF, attach=False)):
        with pytest.raises(ValidationFailed):
            verb()
    assert path.read_bytes() == before


def test_new_book_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "ar.xlsx"
    assert new_book(path).path == path
    with pytest.raises(WorkbookError, match="already exists; use --force"):
        new_book(path)
    copy = tmp_path / "copy.xlsx"
    shutil.copy(path, copy)
    new_book(path, force=True)
    assert read_raw_tables(path)[0].keys() == read_raw_tables(copy)[0].keys()


def test_letters_are_refused_from_a_made_up_company(tmp_path: Path) -> None:
    tables = base()
    tables["Settings"][1] = ["company_name", "Your Company Ltd"]  # the template's placeholder
    tables["Settings"].append(["company_email", "ar@test-co.example"])
    path = write_book(tmp_path / "book.xlsx", tables)
    before = path.read_bytes()
    from arxl.verbs.letters import LettersRefused

    with pytest.raises(LettersRefused, match="the template's placeholder"):
        write_letters(file_book(path), tmp_path / "letters", as_of=None, today=AS_OF, attach=False)
    tables["Settings"][1] = ["company_name", "Test Co"]
    tables["Settings"][-1] = ["company_email", "not an address"]
    path = write_book(tmp_path / "other.xlsx", tables)
    with pytest.raises(LettersRefused, match='"not an address" is not an email address'):
        write_letters(file_book(path), tmp_path / "letters", as_of=None, today=AS_OF, attach=False)
    assert not (tmp_path / "letters").exists() and (tmp_path / "book.xlsx").read_bytes() == before


def test_logging_letters_needs_an_activity_table(tmp_path: Path) -> None:
    tables = base()
    del tables["Activity"]
    tables["Settings"].append(["company_email", "ar@test-co.example"])
    path = write_book(tmp_path / "book.xlsx", tables)
    from arxl.verbs.letters import LettersRefused

    with pytest.raises(LettersRefused, match="no Activity table"):
        write_letters(file_book(path), tmp_path / "letters", as_of=None, today=AS_OF, attach=False)
    dry = write_letters(file_book(path), tmp_path / "letters", as_of=None, today=AS_OF, attach=False,
                        dry_run=True)
    assert (dry.letters, dry.logged, dry.dry_run) == (2, 0, True)
