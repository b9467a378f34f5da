"""Problems found in a workbook: data, not exceptions, each naming where it sits (beancount's errors-as-data)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or interpreted (warning) in the workbook.

    Attributes:
        severity: ``error`` blocks reports and writes; ``warning`` was understood and loaded.
        sheet: sheet (= table) name, or "" for the file as a whole.
        row: Excel row number (1-based, the header is the table's first row), or None.
        column: canonical column name, or "".
        value: the offending value as the user typed it ("" when none).
        message: what is wrong, in an accountant's words, without the location.
        expected: what arxl expected instead ("" when nothing useful can be said).
    """

    severity: Severity
    sheet: str
    row: int | None
    column: str
    value: str
    message: str
    expected: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def location(self) -> str:
        """``Invoices row 14, due_date`` (as much of it as is known)."""
        parts = [self.sheet or "Workbook"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        where = " ".join(parts)
        return f"{where}, {self.column}" if self.column else where

    def __str__(self) -> str:
        value = f'"{self.value}" ' if self.value != "" else ""
        expected = f" (expected {self.expected})" if self.expected else ""
        return f"{self.location()}: {value}{self.message}{expected}"

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["text"] = str(self)
        return data


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Errors first, then by sheet, row and column, so a long list reads top to bottom."""
    return sorted(problems, key=lambda p: (p.severity != "error", p.sheet, p.row or 0, p.column, p.message))


def rows_below_problem(sheet: str, table: str, first: int, last: int) -> Problem:
    """The warning for Excel rows ``first``-``last`` right below the Excel Table ``table`` holding values in its
    columns: rows Excel did not take into the table (its auto-expand undone or off), which arxl does not read.
    Both book readers (a file, a live Excel book) give it in these words."""
    span = f"row {first} is" if first == last else f"rows {first}-{last} are"
    return Problem("warning", sheet, first, "", "",
                   f"{span} below the {table} table and not read: extend the table to include "
                   f"{'it' if first == last else 'them'}",
                   "the rows inside the table: drag its corner handle, or use Table Design > Resize Table")
