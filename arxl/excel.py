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


SHEET_NAME_UNITS = 31
"""Longest sheet name, in UTF-16 code units (an emoji counts two)."""
FORBIDDEN_IN_SHEET_NAMES = "[]:*?/\\"
RESERVED_SHEET_NAMES = ("history",)
_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def utf16_units(text: str) -> int:
    """How many UTF-16 code units ``text`` takes (Excel measures names in these)."""
    return len(text.encode("utf-16-le")) // 2


def utf16_cut(text: str, units: int) -> str:
    """The longest start of ``text`` within ``units`` UTF-16 code units, never cutting a character in two."""
    if utf16_units(text) <= units:
        return text
    kept, used = [], 0
    for character in text:
        size = 2 if ord(character) > 0xFFFF else 1
        if used + size > units:
            break
        kept.append(character)
        used += size
    return "".join(kept)


def sheet_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a sheet name in Excel, or None when it can."""
    if not name or not name.strip():
        return "is empty"
    if utf16_units(name) > SHEET_NAME_UNITS:
        return f"is longer than Excel's {SHEET_NAME_UNITS} characters"
    if _FORBIDDEN.search(name):
        return "holds one of the characters [ ] : * ? / \\ that Excel forbids in sheet names"
    if name.startswith("'") or name.endswith("'"):
        return "starts or ends with an apostrophe, which Excel forbids in sheet names"
    if name.casefold() in RESERVED_SHEET_NAMES:
        return "is a name Excel reserves"
    return None


def legal_sheet_base(name: str) -> str:
    """``name`` with what Excel forbids in a sheet name replaced (``_``) or trimmed (apostrophes at the ends,
    spaces); never empty."""
    cleaned = _FORBIDDEN.sub("_", name).strip().strip("'").strip()
    return cleaned or "Sheet"


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
