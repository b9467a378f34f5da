"""The check: read and validate the input tables, and list every problem; nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..problems import Problem

if TYPE_CHECKING:
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


def check_book(adapter: BookAdapter, *, progress: Progress | None = None) -> CheckResult:
    """Read and validate the book's tables: the problems found locating them and those of the loader."""
    from ..load import load_tables
    from ..problems import sort_problems

    if progress is not None:
        progress("checking the input tables")
    raw, date1904, found = adapter.read_tables()
    result = load_tables(raw, date1904=date1904)
    return CheckResult(sort_problems(found + result.problems))
