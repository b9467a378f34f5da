"""Excel's naming and addressing rules, defined once for render, the readers, the writers and the live adapter.

Pure text rules, no I/O: a sheet name as a formula needs it (``'Aging Detail'``), column numbers and letters
both ways (``28`` <-> ``AB``), and cell and range references (``B7``, ``$A$1:$J$20``, ``'Aging'!$C$6:$C$20``).
Rows and columns are 1-based, as Excel counts them. Letters are read case-insensitively, as Excel reads a
formula; a reference that is not one raises ValueError, which each caller turns into its own message.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384  # column XFD

_CELL = r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]*)"
_ONE_CELL = re.compile(_CELL)
_RANGE = re.compile(rf"{_CELL}(?::{_CELL})?")


def quoted(sheet: str) -> str:
    """A sheet name as a formula reference needs it: ``'Aging Detail'`` (quotes doubled inside)."""
    return "'" + sheet.replace("'", "''") + "'"


# Cached: the writers and the appender ask for the same few hundred columns once per cell of a big sheet.
@lru_cache(maxsize=MAX_COLUMNS)
def column_letter(column: int) -> str:
    """1 -> A, 27 -> AA, 16384 -> XFD."""
    if column < 1:
        raise ValueError(f"column {column} does not exist (columns are numbered from 1)")
    name = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        name = chr(65 + remainder) + name
    return name


@lru_cache(maxsize=MAX_COLUMNS)
def column_number(letters: str) -> int:
    """A -> 1, ab -> 28, XFD -> 16384: the inverse of ``column_letter``. Beyond XFD is counted, not refused
    (the readers measure how far a stray cell lies)."""
    if not letters.isascii() or not letters.isalpha():
        raise ValueError(f"{letters!r} is not a column (expected letters such as A or XFD)")
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def cell_reference(row: int, column: int) -> str:
    """(7, 2) -> ``B7``."""
    return f"{column_letter(column)}{row}"


def parse_cell(reference: str) -> tuple[int, int]:
    """``B7`` or ``$B$7`` -> (row 7, column 2); a sheet name before ``!`` is allowed, as in ``parse_range``."""
    match = _ONE_CELL.fullmatch(reference.rsplit("!", 1)[-1])
    if match is None:
        raise ValueError(f"{reference!r} is not a cell reference (expected one such as B7 or $B$7)")
    return _on_sheet(reference, int(match.group(2)), column_number(match.group(1)))


def parse_range(reference: str) -> tuple[int, int, int, int]:
    """``$A$1:$J$20`` -> (top 1, left 1, bottom 20, right 10); one cell ``C6`` is the range C6:C6.

    A sheet name before ``!`` (``'Aging'!$C$6:$C$20``) is allowed and not looked at: the area follows the last
    ``!``, since a quoted sheet name may hold one but an area never does. Corners may come in either order.
    """
    area = reference.rsplit("!", 1)[-1]
    match = _RANGE.fullmatch(area)
    if match is None:
        raise ValueError(f"{reference!r} is not a cell or range reference (expected one such as A1 or $A$1:$J$20)")
    first_letters, first_row, last_letters, last_row = match.groups()
    first = _on_sheet(reference, int(first_row), column_number(first_letters))
    last = _on_sheet(reference, int(last_row), column_number(last_letters)) if last_letters else first
    return min(first[0], last[0]), min(first[1], last[1]), max(first[0], last[0]), max(first[1], last[1])


def _on_sheet(reference: str, row: int, column: int) -> tuple[int, int]:
    """(row, column) when the cell lies on a sheet: beyond XFD or row 1,048,576 the text is a name, not a cell."""
    if row > MAX_ROWS or column > MAX_COLUMNS:
        raise ValueError(f"{reference!r} lies beyond the last cell of a sheet (XFD1048576)")
    return row, column
