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
