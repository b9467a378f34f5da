"""Excel's naming and addressing rules and its limits, defined once for render, the readers, the writers, the
imports and the live adapter.

Pure text rules, no I/O: a sheet name as a formula needs it (``'Aging Detail'``), column numbers and letters
both ways (``28`` <-> ``AB``), and cell and range references (``B7``, ``$A$1:$J$20``, ``'Aging'!$C$6:$C$20``).
Rows and columns are 1-based, as Excel counts them. Letters are read case-insensitively, as Excel reads a
formula; a reference that is not one raises ValueError, which each caller turns into its own message.

Excel's limits (the "Excel specifications and limits" page): 1,048,576 rows and 16,384 columns a sheet,
32,767 characters a cell, a sheet name of 1 to 31 characters without ``[ ] : * ? / \\``, not starting or
ending with an apostrophe, and not ``History`` (Excel keeps that name for its change history). Excel counts
characters in UTF-16 code units (an emoji is two), so every length here does too (``utf16_length``). The
checkers return what is wrong in words, or None, for each caller to place in its own message.

Volatile functions (``VOLATILE_FUNCTIONS``) are recalculated by Excel every time anything changes: the value a
file keeps for a formula using one is only what it was when the file was last calculated.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384  # column XFD
MAX_CELL_TEXT = 32_767  # characters (UTF-16 code units) in one cell
MAX_SHEET_NAME = 31  # characters (UTF-16 code units) in a sheet name
SHEET_NAME_FORBIDDEN = "[]:*?/\\"
RESERVED_SHEET_NAMES = ("History",)
VOLATILE_FUNCTIONS = ("TODAY", "NOW", "RAND", "RANDBETWEEN", "RANDARRAY", "OFFSET", "INDIRECT", "CELL", "INFO")

_CELL = r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]*)"
_ONE_CELL = re.compile(_CELL)
_RANGE = re.compile(rf"{_CELL}(?::{_CELL})?")


_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


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


# --- limits ---------------------------------------------------------------------------------------------------

def utf16_length(text: str) -> int:
    """Characters as Excel counts them: UTF-16 code units (a character beyond U+FFFF, such as an emoji, is 2)."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for character in text if ord(character) > 0xFFFF)


def text_too_long(text: str) -> str | None:
    """What is wrong with ``text`` as a cell's content (``text of 40,006 characters is longer than Excel's
    32,767``), or None when a cell can hold it."""
    if len(text) <= MAX_CELL_TEXT // 2:  # two units a character at most: surely short enough
        return None
    length = utf16_length(text)
    if length <= MAX_CELL_TEXT:
        return None
    return f"text of {length:,} characters is longer than Excel's {MAX_CELL_TEXT:,}"


def cut_text(text: str, limit: int = MAX_CELL_TEXT) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, never inside a character."""
    if utf16_length(text) <= limit:
        return text
    units = 0
    for index, character in enumerate(text):
        units += 2 if ord(character) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def sheet_name_problem(name: str) -> str | None:
    """What makes ``name`` unusable as a sheet name in Excel, or None when it is a valid one."""
    if not name:
        return "a sheet name cannot be empty"
    length = utf16_length(name)
    if length > MAX_SHEET_NAME:
        return f"a sheet name of {length} characters is longer than Excel's {MAX_SHEET_NAME}"
    forbidden = sorted({character for character in name if character in SHEET_NAME_FORBIDDEN})
    if forbidden:
        return f"a sheet name cannot hold {' '.join(forbidden)}"
    if name.startswith("'") or name.endswith("'"):
        return "a sheet name cannot start or end with an apostrophe"
    if name.casefold() in (reserved.casefold() for reserved in RESERVED_SHEET_NAMES):
        return f"{name} is a name Excel keeps for itself"
    if any(ord(character) < 32 for character in name):
        return "a sheet name cannot hold control characters"
    return None


def beyond_sheet(row: int, column: int = 1) -> str | None:
    """What is wrong with a cell at (``row``, ``column``), or None when it lies on a sheet."""
    if row > MAX_ROWS:
        return f"row {row:,} is beyond Excel's last row, {MAX_ROWS:,}"
    if column > MAX_COLUMNS:
        return f"column {column:,} is beyond Excel's last column, XFD ({MAX_COLUMNS:,})"
    return None


_STRING_OR_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')
_VOLATILE = re.compile(r"(?<![\w.])(?:_xlfn\.)?(" + "|".join(VOLATILE_FUNCTIONS) + r")\s*\(", re.IGNORECASE)


def volatile_functions(formula: str) -> tuple[str, ...]:
    """The volatile functions a formula calls, upper case, in order of first use: ``=TODAY()-30`` ->
    ``("TODAY",)``. Text in quotes (strings, quoted sheet names) is not looked at."""
    found = _VOLATILE.findall(_STRING_OR_QUOTED.sub("", formula))
    return tuple(dict.fromkeys(name.upper() for name in found))
