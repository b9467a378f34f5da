"""Excel's naming rules shared by render and the writers: sheet names in formulas, column letters."""

from __future__ import annotations


def quoted(sheet: str) -> str:
    """A sheet name as a formula reference needs it: ``'Aging Detail'`` (quotes doubled inside)."""
    return "'" + sheet.replace("'", "''") + "'"


def column_letter(column: int) -> str:
    """1 -> A, 27 -> AA, 16384 -> XFD."""
    name = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        name = chr(65 + remainder) + name
    return name
