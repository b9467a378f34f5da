"""Reading the input tables of a workbook file with python-calamine (values only, fast)."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import python_calamine as calamine

from .. import contract
from ..errors import WorkbookError
from ..load import LoadResult, RawTable, load_tables
from ..problems import Problem, sort_problems
from .generated import normalise_part, read_sheet_entries, rels_path
from .package import inspect_package


def read_raw_tables(path: str | Path) -> tuple[dict[str, RawTable], bool, list[Problem]]:
    """The contract's tables as found in the file, its 1904 flag, and problems about where they were found.

    A table is the Excel Table of the contract's name (any sheet, name matched case-insensitively); failing
    that, a sheet of that name whose first row holds the headers (read with a warning).
    """
    info = inspect_package(path)
    problems: list[Problem] = []
    scans = {}
    for sheet, part in contract_sheets(info.path).items():
        scans[sheet] = scan_sheet(info.path, part)
        check_extent(info.path, sheet, scans[sheet])
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
                problems.extend(_merged_problems(table.sheet, scans[table.sheet].merged,
                                                 (header_row, table.start[1]), table.end))
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


MAX_SHEET_CELLS = 30_000_000  # rows x columns a reader may have to lay out densely (1M rows x 30 columns)
_WIDE_CELL = re.compile(rb'<c\s+r="([A-Z]{2,3})\d')
_ROW = re.compile(rb'<row\b[^>]*?\br="(\d+)"')


@dataclass(frozen=True)
class SheetScan:
    """What one streaming pass over a sheet's XML tells before any reader lays its cells out."""

    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    last_row: int
    last_column: int  # 0-based; 25 when no cell lies beyond column Z


def contract_sheets(path: Path) -> dict[str, str]:
    """Sheet name -> part of every sheet arxl will read: those holding an Excel Table of a contract name, and
    those named like a contract table."""
    wanted = {table.name.casefold() for table in contract.TABLES}
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        entries = [entry for entry in read_sheet_entries(workbook, rels) if entry.part in names]
        chosen = {entry.name: entry.part for entry in entries if entry.name.casefold() in wanted}
        for entry in entries:
            sheet_rels = rels_path(entry.part)
            if sheet_rels not in names or entry.name in chosen:
                continue
            for target in re.findall(r'Target="([^"]*tables/[^"]+)"', archive.read(sheet_rels).decode("utf-8")):
                table_part = target.lstrip("/") if target.startswith("/") else \
                    normalise_part(str(PurePosixPath(entry.part).parent / target))
                if table_part in names:
                    found = re.search(rb'displayName="([^"]+)"', archive.read(table_part)[:2048])
                    if found and found.group(1).decode("utf-8").casefold() in wanted:
                        chosen[entry.name] = entry.part
    return chosen


def scan_sheet(path: Path, part: str) -> SheetScan:
    """Merged ranges and the real extent of a sheet, streaming its XML in 1 MiB pieces (bounded memory)."""
    merged_text: list[bytes] = []
    tail = b""
    last_row = 0
    widest = "Z"
    with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            window = tail + chunk
            for letters in set(_WIDE_CELL.findall(window)):
                text = letters.decode()
                if (len(text), text) > (len(widest), widest):
                    widest = text
            rows = _ROW.findall(window[-65536:]) or _ROW.findall(window)
            if rows:
                last_row = max(last_row, int(rows[-1]))
            start = window.find(b"<mergeCells")
            if start >= 0 or merged_text:
                merged_text.append(window[max(start, 0):] if not merged_text else chunk)
            tail = window[-64:]
    merged = [((int(top) - 1, _column_index(first.decode())), (int(bottom or top) - 1,
                                                                _column_index((last or first).decode())))
              for first, top, last, bottom in _MERGE.findall(b"".join(merged_text))]
    return SheetScan(merged, last_row, _column_index(widest))


def check_extent(path: Path, sheet: str, scan: SheetScan) -> None:
    """Refuse a sheet whose cells would span more than MAX_SHEET_CELLS (a few stray far-away cells do that)."""
    cells = scan.last_row * (scan.last_column + 1)
    if cells > MAX_SHEET_CELLS:
        raise WorkbookError(f"{path}: refused: sheet {sheet!r} spans {scan.last_row:,} rows x "
                            f"{scan.last_column + 1:,} columns; delete the cells far outside the table "
                            "(Ctrl+End shows the last one) and save again")


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
