"""The check: read and validate the input tables, and list every problem; nothing is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..problems import Problem

if TYPE_CHECKING:
    from ..ledger import Ledger
    from .refresh import BookAdapter, Progress


@dataclass(frozen=True)
class CheckResult:
    """Every problem of the book, errors first (as ``arxl.problems.sort_problems`` orders them)."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_book(adapter: BookAdapter, *, progress: Progress | None = None, as_of: dt.date | None = None,
               today: dt.date | None = None) -> CheckResult:
    """Read and validate the book's tables: the problems found locating them and those of the loader. With
    ``today`` (the face's date; the as-of date is ``as_of``, else Settings as_of, else today), a valid book's
    checks (``arxl.checks``: reconciliations and the Assertions table) are run too, and each one that fails is
    an error on the Checks sheet."""
    from ..load import load_tables
    from ..problems import sort_problems

    if progress is not None:
        progress("checking the input tables")
    raw, date1904, found = adapter.read_tables()
    result = load_tables(raw, date1904=date1904)
    problems = sort_problems(found + result.problems)
    if today is not None and not any(problem.is_error for problem in problems):
        problems += failed_check_problems(result.ledger, as_of, today)
    return CheckResult(problems)


def failed_check_problems(ledger: Ledger, as_of: dt.date | None, today: dt.date) -> list[Problem]:
    """One error per failed check of the ledger at the as-of date."""
    from ..aging import aging
    from ..checks import run_checks
    from ..dates import resolve_as_of
    from ..fx import convertible
    from ..settle import settle

    date = resolve_as_of(ledger, as_of, today)
    settlement = settle(ledger, date)
    report = aging(ledger, date, settlement=settlement, convert=convertible(ledger, date))
    checks = run_checks(ledger, date, settlement, report)
    return [Problem("error", "Checks", None, "", "", f"{row.check} ({row.scope}) failed as of {date.isoformat()}: "
                    f"expected {row.expected}, found {row.actual}; {row.explanation}")
            for row in checks[checks["result"] == "FAIL"].itertuples()]
