"""The AR ribbon's entry points, run by ``RunPython`` from the arxl add-in (``workbooks/arxl.xlam``).

Every button of the AR tab calls one VBA dispatcher, ``RibbonArxl.ArxlRibbon``, which runs
``import arxl_macros; arxl_macros.on_ribbon('<button id>')``; all logic is here and in the library. Each entry
point calls the same verb as the command line (``arxl.verbs``) on the live book (``arxl.verbs.books.live_book``)
the user is looking at, shows progress in Excel's status bar, and reports the outcome (or every problem, when
validation fails) in a message box. Nothing here raises into Excel: RunPython would show a traceback window.

The workbook acted on: the add-in's RunPython (xlwings' add-in flavour of its VBA module) makes the *active*
workbook the caller, so ``xw.Book.caller()`` is the book the user is looking at; should the caller ever be an
add-in (``.xlam``), the active workbook of the same Excel instance is used instead. Each entry point also takes
``book=`` so that tests (and scripts) can hand it a book directly.

The buttons:

- **Refresh**, **Statements** (the ``ST`` sheets only), **Check**: as ``arxl refresh``, ``arxl refresh --only
  statements`` and ``arxl check``.
- **Apply cash** proposes where unreferenced payments go on the ``Cash application`` sheet, as ``arxl apply``:
  one row per proposed application, its Accept column ``yes`` where the confidence is at least 80%. The user
  reviews the column: ``yes`` (or ``y``, ``x``, TRUE) accepts a row, a blank cell refuses it.
- **Accept cash** appends the rows marked on that sheet to the Applications table (``arxl.verbs.apply.accept``
  with ``marked=True``) and rewrites the sheet with the proposals of the payments not accepted.
- **Charges** proposes the late fees of the letters logged and the finance charges due on the ``Charges``
  sheet, as ``arxl charges``; its Accept column is ``yes`` on every row the closed period allows.
- **Accept charges** appends the rows marked yes on that sheet to the Adjustments table
  (``arxl.verbs.charges.accept`` with ``marked=True``).
- **Small balances** proposes small-balance write-offs (residues at or below Settings ``write_off_tolerance``)
  on the ``Small balances`` sheet, as ``arxl small-balances``; **Accept small balances** appends the rows
  marked yes there to the Adjustments table (``arxl.verbs.small_balances.accept`` with ``marked=True``).
- **Credit check** asks for a customer id and an order amount (one input box: ``C0001 5000``) and answers
  approve, refer or refuse with the four findings, as ``arxl report credit --customer --order``; nothing is
  written.
- **Import** appends the rows of a CSV, Excel or Parquet file to an input table, as ``arxl import``. What the user
  sees: (1) the file: on Windows Excel's Open dialog (CSV, Excel and Parquet files); where Excel's object model
  has no such dialog (macOS), Excel's input box asking for the file's full path (in Finder, Option-Command-C
  copies it); Cancel stops there. (2) The table: arxl reads the file's header and picks the table and built-in
  profile it fits (the contract's own column names, or a QuickBooks, Xero, ERPNext or arxl ledger export); when
  several fit, a Yes/No box asks about each in turn; when none fits, a message says so and points to
  ``arxl import --map``. (3) Every row is checked as the command line checks it: problems are listed and nothing
  changes when there is an error. (4) An OK/Cancel box says how many rows will be appended where, how many were
  already imported and how many warnings; OK appends them. Customers the book lacks are errors here (the
  command line's ``--create-customers`` adds them).
- **Help**: what the buttons do.

A live book is changed in place: the user saves it (Ctrl+S); the command line's backups do not apply.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from arxl.errors import ArxlError, EditsFound, ValidationFailed
from arxl.imports import MappingError
from arxl.problems import Problem
from arxl.verbs import apply as cash
from arxl.verbs import charges as posting
from arxl.verbs import importing
from arxl.verbs import small_balances as writing_off
from arxl.verbs.books import live_book
from arxl.verbs.check import check_book
from arxl.verbs.credit import check_order
from arxl.verbs.refresh import SHEETS, RefreshResult, run_refresh
from arxl.verbs.statements import statement_sheets

TITLE = "arxl"
MAX_LISTED = 25
IMPORT_PATTERNS = "*.csv;*.txt;*.tsv;*.xlsx;*.xlsm;*.parquet;*.pq"
IMPORT_FILTER = f"Data files ({IMPORT_PATTERNS}),{IMPORT_PATTERNS}"
"""Excel's Open dialog filter: description, then the patterns it shows."""
HELP_TEXT = (
    "arxl keeps your receivables in this workbook.\n\n"
    "Refresh: validate the input tables and rebuild Dashboard, Aging, Aging Detail, statements, Checks, "
    "Collections, Forecast, Allowance, Credit (credit standing) and Credits (credit balances).\n"
    "Statements: rebuild the ST statement sheets only.\n"
    "Check: validate the input tables and list every problem, changing nothing.\n"
    "Apply cash: propose where payments that name no invoice go, on the Cash application sheet; rows at or "
    f"above {cash.DEFAULT_MIN_CONFIDENCE:.0%} confidence are marked yes in its Accept column. Type yes to accept "
    "a row, clear the cell to refuse it.\n"
    "Accept cash: append the rows marked yes to the Applications table.\n"
    "Charges: propose the late fees of the dunning letters sent and the finance charges due, on the Charges "
    "sheet.\n"
    "Accept charges: append the rows marked yes on the Charges sheet to the Adjustments table.\n"
    "Small balances: propose writing off what is left of partly paid invoices and partly applied payments, at or "
    "below Settings write_off_tolerance, on the Small balances sheet.\n"
    "Accept small balances: append the rows marked yes on the Small balances sheet to the Adjustments table.\n"
    "Credit check: can we ship this order? Type a customer id and an amount; the answer is approve, refer or "
    "refuse, with the reasons.\n"
    "Import: append the rows of a CSV, Excel or Parquet file to Invoices, Payments, Customers or Adjustments, "
    "checked first.\n\n"
    "Save the workbook to keep what the buttons changed.\n\n"
    "Worksheet functions (Windows; part of this add-in): =AR_DSO(Invoices[#All], Payments[#All], "
    "Customers[#All]), =AR_AGING(...), =AR_BALANCE(\"C0001\", ...) ... The README's \"Using arxl in Excel\" "
    "section has the details; "
    "the same commands run headless with the arxl command (arxl --help)."
)

Action = Callable[..., str | None]
"""What a button does, given the live book's adapter, the status-bar callback and ``discard`` (rewrite generated
sheets even where someone typed in them): the message to show."""


def _target_book(book: Any | None) -> Any:
    if book is not None:
        return book
    import xlwings as xw

    caller = xw.Book.caller()
    if str(caller.name).lower().endswith((".xlam", ".xla")):
        return caller.app.books.active
    return caller


def _now() -> dt.datetime:
    """This moment, for the audit trail (the face reads the clock)."""
    return dt.datetime.now().astimezone()


def _today() -> dt.date:
    """The face decides what today is (the as-of date when Settings gives none)."""
    return dt.date.today()


def problems_text(problems: Sequence[Problem], limit: int = MAX_LISTED, *, subject: str = "The workbook") -> str:
    """Errors first, one per line, at most ``limit`` of them, under a line saying what ``subject`` has."""
    errors = sum(problem.is_error for problem in problems)
    lines = [f"{subject} has {errors} error(s) and {len(problems) - errors} warning(s); nothing was changed.", ""]
    lines += [f"{problem.severity}: {problem}" for problem in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more: run  arxl check <file>  for the full list.")
    return "\n".join(lines)


def _summary(result: RefreshResult, notes: Sequence[str]) -> str:
    seconds = sum(result.timings.values())
    text = (f"Refreshed as of {result.as_of.isoformat()} in {seconds:.1f} s: {len(result.sheets)} sheet(s) "
            f"written")
    if result.removed:
        text += f", {len(result.removed)} removed"
    warnings = sum(not problem.is_error for problem in result.problems)
    if warnings:
        text += f"; {warnings} warning(s) (the Check button lists them)"
    text += "."
    if result.notes:
        text += "\n\n" + "\n".join(f"- {note}" for note in result.notes)
    return text + _not_carried(notes)


def _not_carried(notes: Sequence[str]) -> str:
    return "\n\nNot carried over to this book:\n" + "\n".join(notes) if notes else ""


def _status_bar(app: Any, value: str | bool) -> None:
    """Excel's status bar; xlwings Lite has none (its App raises NotImplementedError): then nothing is shown."""
    with contextlib.suppress(NotImplementedError):
        app.status_bar = value


def _run(book: Any | None, action: Action) -> str | None:
    """Run ``action`` on the target book: status bar while it works, a message box for the outcome."""
    target = _target_book(book)
    app = target.app

    def say(message: str) -> None:
        _status_bar(app, f"arxl: {message}...")

    adapter = live_book(target, say=say)
    try:
        try:
            message = action(adapter, say, discard=False)
        except EditsFound as exc:
            question = (problems_text(exc.problems, subject="Sheets arxl generates") + "\n\nRewrite them anyway, "
                        "discarding what was typed there? (No keeps everything as it is: copy what you want to "
                        "keep to a sheet of your own first.)")
            if app.alert(question, title=f"{TITLE}: sheets were edited", buttons="yes_no",
                         mode="critical") != "yes":
                return None
            message = action(adapter, say, discard=True)
    except ValidationFailed as exc:
        app.alert(problems_text(exc.problems), title=f"{TITLE}: the workbook has errors", mode="critical")
        return None
    except ArxlError as exc:
        app.alert(str(exc), title=TITLE, mode="critical")
        return None
    except Exception as exc:  # never a traceback window in Excel: say what happened and how to report it
        app.alert(f"arxl failed unexpectedly ({type(exc).__name__}: {exc}). Nothing was saved; please report it.",
                  title=TITLE, mode="critical")
        return None
    finally:
        _status_bar(app, False)
    if message:
        app.alert(message, title=TITLE, mode="info")
    return message


def refresh(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Refresh every generated sheet (what ``arxl refresh`` does)."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str:
        result = run_refresh(adapter, as_of=None, today=today or _today(), only=SHEETS, progress=say,
                             discard_edits=discard, now=_now())
        return _summary(result, adapter.notes)

    return _run(book, action)


def statements(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Rebuild the statement sheets only (``arxl refresh --only statements``)."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str:
        result = statement_sheets(adapter, as_of=None, today=today or _today(), progress=say,
                                  discard_edits=discard)
        return _summary(result, adapter.notes)

    return _run(book, action)


def apply_cash(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Propose applications for unreferenced payments on the Cash application sheet (``arxl apply``)."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str:
        proposed = cash.propose(adapter, as_of=None, today=today or _today(), progress=say, discard_edits=discard)
        if not proposed.payments:
            return (f"No payment without an invoice to propose for as of {proposed.as_of.isoformat()}; the "
                    f"'{proposed.sheet}' sheet says so." + _not_carried(adapter.notes))
        return (f"Proposed applications for {proposed.payments} payment(s) as of {proposed.as_of.isoformat()}; "
                f"{proposed.marked} at or above {proposed.min_confidence:.0%} confidence are marked yes.\n\n"
                f"Review the Accept column of the '{proposed.sheet}' sheet (yes to accept a row, blank to leave "
                "it), then press Accept cash." + _not_carried(adapter.notes))

    return _run(book, action)


def accept_cash(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Append the rows marked yes on the Cash application sheet to Applications (``arxl.verbs.apply.accept``)."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str:
        accepted = cash.accept(adapter, as_of=None, today=today or _today(), marked=True, progress=say,
                               discard_edits=discard, now=_now())
        if accepted.review_missing:
            return "There is no Cash application sheet to accept from: press Apply cash first."
        stale = ""
        if accepted.refused:
            stale += "\n\nNot appended (closed period): " + "; ".join(accepted.refused)
        if accepted.stale:
            stale += ("\n\nMarked rows no longer proposed (paid or applied since), left out: "
                      + ", ".join(accepted.stale) + ". Press Apply cash for fresh proposals.")
        if not accepted.rows:
            return f"Nothing to append as of {accepted.as_of.isoformat()}: no new row is marked yes." + stale
        return (f"Appended {accepted.rows} row(s) for {accepted.payments} payment(s) to Applications (from "
                f"Excel row {accepted.first_row}). Press Refresh to update the reports, and save the workbook."
                + stale + _not_carried(adapter.notes))

    return _run(book, action)


def charges(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Propose late fees and finance charges on the Charges sheet (``arxl charges``)."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str:
        proposed = posting.propose(adapter, as_of=None, today=today or _today(), progress=say,
                                   discard_edits=discard)
        refused = (f" {proposed.refused} cannot be posted (closed period) and are not marked."
                   if proposed.refused else "")
        return (f"Proposed {proposed.late_fees} late fee(s) and {proposed.finance_charges} finance charge(s) as "
                f"of {proposed.as_of.isoformat()} on the '{proposed.sheet}' sheet.{refused}\n\nReview its Accept "
                "column (yes to post a row, blank to leave it), then press Accept charges."
                + _not_carried(adapter.notes))

    return _run(book, action)


def accept_charges(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Append the rows marked yes on the Charges sheet to Adjustments (``arxl.verbs.charges.accept``)."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str:
        posted = posting.accept(adapter, as_of=None, today=today or _today(), marked=True, progress=say,
                                discard_edits=discard, now=_now())
        return _posted_message(posted, adapter, button="Charges", nothing="Nothing to post", since="posted")

    return _run(book, action)


def small_balances(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Propose small-balance write-offs on the Small balances sheet (``arxl small-balances``)."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str:
        proposed = writing_off.propose(adapter, as_of=None, today=today or _today(), progress=say,
                                       discard_edits=discard)
        refused = (f" {proposed.refused} cannot be posted (closed period) and are not marked."
                   if proposed.refused else "")
        count = proposed.underpaid + proposed.overpaid
        if not proposed.tolerance:
            return (f"Settings write_off_tolerance is 0, so no small balance is proposed (the "
                    f"'{proposed.sheet}' sheet says so). Set it (e.g. 5) and press Small balances again."
                    + _not_carried(adapter.notes))
        return (f"Proposed {count} small-balance write-off(s) as of {proposed.as_of.isoformat()} "
                f"({proposed.underpaid} underpaid, {proposed.overpaid} overpaid) on the '{proposed.sheet}' "
                f"sheet.{refused}\n\nReview its Accept column (yes to write a row off, blank to leave it), then "
                "press Accept small balances." + _not_carried(adapter.notes))

    return _run(book, action)


def accept_small_balances(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Append the rows marked yes on the Small balances sheet to Adjustments
    (``arxl.verbs.small_balances.accept``)."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str:
        posted = writing_off.accept(adapter, as_of=None, today=today or _today(), marked=True, progress=say,
                                    discard_edits=discard, now=_now())
        return _posted_message(posted, adapter, button="Small balances", nothing="Nothing to write off",
                               since="settled")

    return _run(book, action)


def _posted_message(posted: Any, adapter: Any, *, button: str, nothing: str, since: str) -> str:
    """What an Accept button of Adjustments rows to post did (Accept charges, Accept small balances); ``button``
    names the button that proposes them and its sheet."""
    if posted.review_missing:
        return f"There is no {button} sheet to accept from: press {button} first."
    notes = ""
    if posted.refused:
        notes += "\n\nNot posted (closed period): " + "; ".join(posted.refused)
    if posted.stale:
        notes += (f"\n\nMarked rows no longer proposed ({since} since?), left out: " + ", ".join(posted.stale)
                  + f". Press {button} for fresh proposals.")
    if not posted.rows:
        return f"{nothing} as of {posted.as_of.isoformat()}: no new row is marked yes." + notes
    return (f"Appended {posted.rows} row(s) to Adjustments (from Excel row {posted.first_row}). Press Refresh "
            "to update the reports, and save the workbook." + notes + _not_carried(adapter.notes))


def ask_text(app: Any, prompt: str, title: str) -> str | None:
    """A line of text asked through Excel's input box (COM's Application.InputBox on Windows, appscript's on
    macOS); None when the user cancels or leaves it blank."""
    api = app.api
    if hasattr(api, "InputBox"):
        answer = api.InputBox(Prompt=prompt, Title=title, Type=2)
    else:
        answer = api.input_box(prompt=prompt, title=title)
    if not answer or not isinstance(answer, str) or not answer.strip():
        return None
    return answer.strip()


def credit_check(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Can we ship this order? (``arxl report credit --customer C --order AMOUNT``); nothing is written."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str | None:
        answer = ask_text(adapter.book.app, "Customer id and order amount, e.g.  C0001 5000",
                          f"{TITLE}: credit check")
        if answer is None:
            return None
        parts = answer.rsplit(maxsplit=1)
        if len(parts) != 2:
            return f'"{answer}": type the customer id, a space, then the order amount (e.g. C0001 5000).'
        say("checking the order")
        decision, date = check_order(adapter, parts[0], parts[1], as_of=None, today=today or _today())
        lines = [f"{decision.verdict.upper()}: order of {parts[1]} {decision.currency} for {decision.customer_id} "
                 f"{decision.name} as of {date.isoformat()}", ""]
        lines += [f"{finding.topic} ({finding.verdict}): {finding.text}" for finding in decision.findings]
        return "\n".join(lines)

    return _run(book, action)


def check(book: Any | None = None) -> str | None:
    """Validate the input tables and report every problem; nothing is written."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str:
        result = check_book(adapter, progress=say)
        if not result.problems:
            return "No problems found: every input table is valid."
        return problems_text(result.problems)

    return _run(book, action)


def ask_for_file(app: Any) -> Path | None:
    """The file to import, asked through Excel: its Open dialog where the object model has one (Windows),
    else its input box (macOS); None when the user cancels."""
    title = f"{TITLE}: import which file?"
    api = app.api
    if hasattr(api, "GetOpenFilename"):
        picked = api.GetOpenFilename(FileFilter=IMPORT_FILTER, Title=title)
    else:
        picked = api.input_box(prompt="The full path of the CSV, Excel or Parquet file to import "
                                      "(in Finder, Option-Command-C copies it):", title=title)
    if not picked or not isinstance(picked, str) or not picked.strip():
        return None
    return Path(picked.strip().strip('"'))


def _choose(app: Any, source: Path, candidates: list[importing.Candidate]) -> importing.Candidate | None:
    """The one candidate, or the first the user says yes to (None when the user says no to every one)."""
    if len(candidates) == 1:
        return candidates[0]
    for candidate in candidates:
        answer = app.alert(f"{source.name} fits more than one table. Import it into {candidate.table.title()} "
                           f"(profile {candidate.profile})?", title=f"{TITLE}: import", buttons="yes_no")
        if answer == "yes":
            return candidate
    return None


def import_file(book: Any | None = None) -> str | None:
    """Append the rows of a file the user picks to the table its header fits (``arxl import``)."""
    def action(adapter: Any, say: Callable[[str], None], discard: bool) -> str | None:
        app = adapter.book.app
        source = ask_for_file(app)
        if source is None:
            return None
        say(f"reading {source.name}")
        candidates = importing.detect(source)
        if not candidates:
            return (f"arxl cannot tell which table {source.name} is for: its header is none of the layouts arxl "
                    "knows (the contract's own column names, or a QuickBooks, Xero, ERPNext or arxl ledger "
                    "export). For other layouts use arxl import with --map.")
        candidate = _choose(app, source, candidates)
        if candidate is None:
            return None
        try:
            mapping = importing.mapping_for(candidate.table, profile=candidate.profile)
            incoming = importing.read_rows(source, mapping)
        except MappingError as exc:
            return f"{source.name} cannot be imported: {exc}"
        table = incoming.rows.table.name
        planned = importing.import_rows(adapter, incoming, dry_run=True, progress=say)
        plan = planned.plan
        if planned.book_failed:
            return problems_text(planned.problems)
        if plan.errors:
            return problems_text(plan.problems, subject=f"Importing {source.name}")
        if plan.rows.empty:
            return f"Nothing to append to {table}: {plan.already:,} row(s) of {source.name} are already there."
        count = len(plan.rows)
        question = (f"Append {count:,} row(s) of {source.name} to {table} (Excel rows {plan.first_row:,}-"
                    f"{plan.first_row + count - 1:,})?\n\n{plan.already:,} already imported, "
                    f"{len(plan.problems):,} warning(s).")
        if app.alert(question, title=f"{TITLE}: import", buttons="ok_cancel") != "ok":
            return None
        result = importing.import_rows(adapter, incoming, progress=say, now=_now())
        return (f"Appended {count:,} row(s) to {table} (Excel rows {result.first_row:,}-"
                f"{result.first_row + count - 1:,}). Press Refresh to update the reports, and save the workbook.")

    return _run(book, action)


def open_help(book: Any | None = None) -> str | None:
    """What the buttons do, and where the documentation is."""
    target = _target_book(book)
    target.app.alert(HELP_TEXT, title=f"{TITLE}: help", mode="info")
    return HELP_TEXT


ACTIONS: dict[str, Callable[..., str | None]] = {
    "arxlRefresh": refresh,
    "arxlStatements": statements,
    "arxlCheck": check,
    "arxlApplyCash": apply_cash,
    "arxlAcceptCash": accept_cash,
    "arxlCharges": charges,
    "arxlAcceptCharges": accept_charges,
    "arxlSmallBalances": small_balances,
    "arxlAcceptSmallBalances": accept_small_balances,
    "arxlCredit": credit_check,
    "arxlImport": import_file,
    "arxlHelp": open_help,
}
"""Ribbon button id (``customUI.xml``) -> entry point."""


def on_ribbon(control_id: str, book: Any | None = None) -> str | None:
    """The one entry point of the ribbon: run the action of button ``control_id``."""
    action = ACTIONS.get(control_id)
    if action is None:
        target = _target_book(book)
        target.app.alert(f"arxl does not know the ribbon button {control_id!r}; reinstall the arxl add-in.",
                         title=TITLE, mode="critical")
        return None
    return action(book)
