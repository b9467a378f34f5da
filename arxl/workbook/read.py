"""Reading the input tables of a workbook file with python-calamine (values only, fast)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import python_calamine as calamine

from .. import contract
from ..errors import WorkbookError
from ..load import LoadResult, RawTable, load_tables
from ..problems import Problem, sort_problems
from .generated import read_sheet_entries
from .package import inspect_package


def read_raw_tables(path: str | Path) -> tuple[dict[str, RawTable], bool, list[Problem]]:
    """The contract's tables as found in the file, its 1904 flag, and problems about where they were found.

    A table is the Excel Table of the contract's name (any sheet, name matched case-insensitively); failing
    that, a sheet of that name whose first row holds the headers (read with a warning).
    """
    info = inspect_package(path)
    problems: list[Problem] = []
    try:
        book = calamine.CalamineWorkbook.from_path(str(info.path), load_tables=True)
    except Exception as exc:  # calamine raises its own exception types for damaged parts
        raise WorkbookError(f"{info.path}: cannot be read as a workbook ({exc})") from exc
    tables: dict[str, RawTable] = {}
    try:
        by_name = {name.casefold(): name for name in book.table_names}
        sheets = {name.casefold(): name for name in book.sheet_names}
        for spec in contract.TABLES:
            found = by_name.get(spec.name.casefold())
            if found is not None:
                table = book.get_table_by_name(found)
                header_row = table.start[0]  # 0-based row of the first data row, the header sits above
                tables[spec.name] = RawTable(spec.name, list(table.columns), table.to_python(),
                                             first_row=header_row + 1, sheet=table.sheet)
                merged = merged_ranges(info.path, table.sheet)
                problems.extend(_merged_problems(table.sheet, merged, (header_row, table.start[1]), table.end))
                continue
            sheet_name = sheets.get(spec.name.casefold())
            if sheet_name is None:
                continue
            sheet = book.get_sheet_by_name(sheet_name)
            rows = sheet.to_python(skip_empty_area=False)
            header = rows[0] if rows else []
            tables[spec.name] = RawTable(spec.name, header, rows[1:], first_row=2, sheet=sheet_name)
            problems.append(Problem("warning", sheet_name, None, "", "",
                                    f"holds no Excel Table named {spec.name}; its first row is read as the header",
                                    f"an Excel Table named {spec.name} (Insert > Table)"))
    except Exception as exc:
        raise WorkbookError(f"{info.path}: cannot be read as a workbook ({exc})") from exc
    finally:
        book.close()
    return tables, info.date1904, problems


_MERGE = re.compile(rb'<mergeCell\s+ref="\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?"')


def merged_ranges(path: Path, sheet: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Merged ranges of a sheet as 0-based corners, found by streaming its XML (no parse of the cells)."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        parts = {entry.name: entry.part for entry in read_sheet_entries(workbook, rels)}
        part = parts.get(sheet)
        if part is None or part not in archive.namelist():
            return []
        found: list[bytes] = []
        tail = b""
        with archive.open(part) as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                window = tail + chunk
                start = window.find(b"<mergeCells")
                if start >= 0 or found:
                    found.append(window[max(start, 0):] if not found else chunk)
                tail = window[-64:] if not found else b""
    text = b"".join(found)
    ranges = []
    for first, top, last, bottom in _MERGE.findall(text):
        ranges.append(((int(top) - 1, _column_index(first.decode())),
                       (int(bottom or top) - 1, _column_index((last or first).decode()))))
    return ranges


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _merged_problems(sheet: str, merged: list, start: tuple[int, int], end: tuple[int, int]) -> list[Problem]:
    """Merged ranges overlapping the table's data rows (0-based corners as calamine gives them)."""
    problems = []
    for (top, left), (bottom, right) in merged:
        if top <= end[0] and bottom > start[0] and left <= end[1] and right >= start[1]:
            first = _column_letter(left) + str(top + 1)
            last = _column_letter(right) + str(bottom + 1)
            problems.append(Problem("error", sheet, top + 1, "", f"{first}:{last}",
                                    "merged cells inside a data table cannot be read",
                                    "one value per cell (Home > Merge & Center > Unmerge Cells)"))
    return problems


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def load_book(path: str | Path) -> LoadResult:
    """Read and validate a workbook file: the ledger and every problem. Raises WorkbookError if unusable."""
    raw, date1904, problems = read_raw_tables(path)
    result = load_tables(raw, date1904=date1904)
    return LoadResult(result.ledger, sort_problems(problems + result.problems))
