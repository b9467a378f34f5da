"""The AR ribbon's entry points, run by ``RunPython`` from the arxl add-in (``workbooks/arxl.xlam``).

Every button of the AR tab calls one VBA dispatcher, ``RibbonArxl.ArxlRibbon``, which runs
``import arxl_macros; arxl_macros.on_ribbon('<button id>')``; all logic is here and in the library. Each entry
point runs the same orchestration as the CLI (``arxl.verbs.refresh.run_refresh``) on the live book
(``arxl.verbs.books.live_book``) the user is looking at, shows progress in Excel's status bar, and reports the
outcome (or every problem, when validation fails) in a message box. Nothing here raises into Excel: RunPython
would show a traceback window.

The workbook acted on: the add-in's RunPython (xlwings' add-in flavour of its VBA module) makes the *active*
workbook the caller, so ``xw.Book.caller()`` is the book the user is looking at; should the caller ever be an
add-in (``.xlam``), the active workbook of the same Excel instance is used instead. Each entry point also takes
``book=`` so that tests (and scripts) can hand it a book directly.

``apply_cash`` refreshes and says that cash-application proposals are not in this version: the Collections
issue wires that button to the cash-application engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from arxl.errors import ArxlError, ValidationFailed
from arxl.problems import Problem
from arxl.verbs.books import live_book
from arxl.verbs.refresh import SHEETS, RefreshResult, load_validated, run_refresh

TITLE = "arxl"
MAX_LISTED = 25
HELP_TEXT = (
    "arxl keeps your receivables in this workbook.\n\n"
    "Refresh: validate the input tables and rebuild Dashboard, Aging, Aging Detail, statements and Checks.\n"
    "Statements: rebuild the ST statement sheets only.\n"
    "Apply cash: refresh (cash-application proposals come in a later version).\n"
    "Check: validate the input tables and list every problem, changing nothing.\n\n"
    "Worksheet functions: =AR_AGING(), =AR_DSO(), =AR_BALANCE(\"C0001\") ... (Windows, with the xlwings add-in "
    "and UDF_MODULES = arxl_udfs). The README's \"Using arxl in Excel\" section has the details; "
    "the same commands run headless with the arxl command (arxl --help)."
)


def _target_book(book: Any | None) -> Any:
    if book is not None:
        return book
    import xlwings as xw

    caller = xw.Book.caller()
    if str(caller.name).lower().endswith((".xlam", ".xla")):
        return caller.app.books.active
    return caller


def _today() -> dt.date:
    """The face decides what today is (the as-of date when Settings gives none)."""
    return dt.date.today()


def problems_text(problems: Sequence[Problem], limit: int = MAX_LISTED) -> str:
    """Errors first, one per line, at most ``limit`` of them."""
    errors = sum(problem.is_error for problem in problems)
    lines = [f"The workbook has {errors} error(s) and {len(problems) - errors} warning(s); nothing was changed.",
             ""]
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
    if notes:
        text += "\n\nNot carried over to this book:\n" + "\n".join(notes)
    return text + "."


def _run(book: Any | None, action: Callable[[Any], str | None]) -> str | None:
    """Run ``action`` on the target book: status bar while it works, a message box for the outcome."""
    target = _target_book(book)
    app = target.app

    def say(message: str) -> None:
        app.status_bar = f"arxl: {message}..."

    adapter = live_book(target, say=say)
    try:
        message = action(adapter)
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
        app.status_bar = False
    if message:
        app.alert(message, title=TITLE, mode="info")
    return message


def _refresh(only: Sequence[str], today: dt.date | None, extra: str = "") -> Callable[[Any], str]:
    def action(adapter: Any) -> str:
        result = run_refresh(adapter, as_of=None, today=today or _today(), only=only, progress=adapter.say)
        return (extra + "\n\n" if extra else "") + _summary(result, adapter.notes)

    return action


def refresh(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Refresh every generated sheet (what ``arxl refresh`` does)."""
    return _run(book, _refresh(SHEETS, today))


def statements(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Rebuild the statement sheets only (``arxl refresh --only statements``)."""
    return _run(book, _refresh(("statements",), today))


def apply_cash(book: Any | None = None, *, today: dt.date | None = None) -> str | None:
    """Refresh; cash-application proposals are wired by the Collections issue."""
    note = ("Cash-application proposals are not available in this version of arxl; the workbook was refreshed "
            "with the payments and applications it holds.")
    return _run(book, _refresh(SHEETS, today, note))


def check(book: Any | None = None) -> str | None:
    """Validate the input tables and report every problem; nothing is written."""
    def action(adapter: Any) -> str:
        adapter.say("checking the input tables")
        result = load_validated(adapter)
        if not result.problems:
            return "No problems found: every input table is valid."
        return problems_text(result.problems)

    return _run(book, action)


def open_help(book: Any | None = None) -> str | None:
    """What the buttons do, and where the documentation is."""
    target = _target_book(book)
    target.app.alert(HELP_TEXT, title=f"{TITLE}: help", mode="info")
    return HELP_TEXT


ACTIONS: dict[str, Callable[..., str | None]] = {
    "arxlRefresh": refresh,
    "arxlStatements": statements,
    "arxlApplyCash": apply_cash,
    "arxlCheck": check,
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
