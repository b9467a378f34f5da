"""Appending rows to one of the user's input tables (accepted cash applications, imports), surgically.

This is the only write arxl makes to a user's sheet, and only through explicit commands. The table's sheet part
gets new ``<row>`` elements after the table's last filled row (an empty, formatted row such as the template's is
filled first), each cell styled like the table's first data row; the table's ``ref`` and its autoFilter grow to
cover them. Text is written as inline strings (never formulas); every other part of the package is copied raw.
Excel's limits hold here as a last guard (an import's plan refuses such rows first, naming the file's lines):
rows that would end past the sheet's last row, or text longer than a cell holds, are refused before anything
is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import Kind, Table, normalise_header
from ..errors import SaveRefused, WorkbookError
from ..excel import MAX_CELL_TEXT, MAX_ROWS, column_letter, column_number, parse_range, text_too_long
from .package import Package, resolve_target
from .sheetxml import clean_text

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


def find_table(package: Package, name: str) -> tuple[str, str]:
    """(table part, sheet part) of the Excel Table named ``name`` (case-insensitive)."""
    table_part = ""
    for part in package.names():
        if part.startswith("xl/tables/") and part.endswith(".xml"):
            text = package.text(part) or ""
            match = re.search(r'<table\b[^>]*\bdisplayName="([^"]+)"', text)
            if match and match.group(1).casefold() == name.casefold():
                table_part = part
                break
    if not table_part:
        raise WorkbookError(f"the workbook has no Excel Table named {name}")
    for part in package.names():
        if not part.startswith("xl/worksheets/_rels/"):
            continue
        rels = package.text(part) or ""
        for target in re.findall(r'Target="([^"]+)"', rels):
            sheet_part = part.replace("_rels/", "").removesuffix(".rels")
            if resolve_target(sheet_part, target) == table_part:
                return table_part, sheet_part
    raise WorkbookError(f"the Excel Table {name} is not on any sheet")


def _cell(letter: str, row: int, value: object, kind: Kind, style: str) -> str:
    where = f"{letter}{row}"
    style_attribute = f' s="{style}"' if style else ""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT or value == "":
        return ""
    if kind is Kind.DATE:
        day = np.datetime64(pd.Timestamp(value).date(), "D")
        return f'<c r="{where}"{style_attribute}><v>{int((day - _EXCEL_EPOCH).astype(np.int64))}</v></c>'
    if kind in (Kind.MONEY, Kind.NUMBER, Kind.INTEGER) and not isinstance(value, str):
        number = repr(float(value))
        return f'<c r="{where}"{style_attribute}><v>{number.removesuffix(".0")}</v></c>'
    text = clean_text(str(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{where}"{style_attribute} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _rows(xml: str) -> list[tuple[int, int, int, str]]:
    """Every ``<row>`` element of the sheet: (row number, start, end, text)."""
    return [(int(match.group(1)), match.start(), match.end(), match.group(0))
            for match in re.finditer(r'<row\b[^>]*?\br="(\d+)"[^>]*?(?:/>|>.*?</row>)', xml, re.S)]


_CELL = re.compile(r'<c\b[^>]*?\br="([A-Z]+)\d+"[^>]*?(?:/>|>(.*?)</c>)', re.S)


def _filled(row_xml: str, first: int, last: int) -> bool:
    """Whether the row holds a value in columns ``first..last``."""
    for match in _CELL.finditer(row_xml):
        body = match.group(2) or ""
        if first <= column_number(match.group(1)) <= last and ("<v>" in body or "<is>" in body or "<f" in body):
            return True
    return False


def append_rows(source: Path, target: Path, table: Table, frame: pd.DataFrame) -> int:
    """Write ``source`` with ``frame``'s rows appended to ``table`` into ``target``; return the first new row."""
    package = Package(source)
    try:
        table_part, sheet_part = find_table(package, table.name)
        table_xml = package.text(table_part) or ""
        sheet_xml = re.sub(r"<sheetData\s*/>", "<sheetData></sheetData>", package.text(sheet_part) or "", count=1)
        reference = re.search(r'<table\b[^>]*\bref="([^"]+)"', table_xml)
        assert reference is not None
        try:
            top, left, bottom, right = parse_range(reference.group(1))
        except ValueError:
            raise WorkbookError(f"table range {reference.group(1)!r} is not understood") from None
        headers = re.findall(r'<tableColumn\b[^>]*\bname="([^"]*)"', table_xml)
        columns = {normalise_header(header): left + offset for offset, header in enumerate(headers)}
        rows = _rows(sheet_xml)
        by_number = {number: (start, end, text) for number, start, end, text in rows}
        filled = [number for number, _, _, text in rows if top < number <= bottom and _filled(text, left, right)]
        first_new = (max(filled) if filled else top) + 1
        styles = {}
        first_data = by_number.get(top + 1)
        if first_data is not None:
            styles = dict(re.findall(r'<c\b[^>]*?\br="([A-Z]+)\d+"[^>]*?\bs="(\d+)"', first_data[2]))
        count = len(frame)
        if count == 0:
            return first_new
        last_new = first_new + count - 1
        if last_new > MAX_ROWS:
            raise SaveRefused(f"{table.name}: {count:,} new row(s) from row {first_new} would end past Excel's "
                              f"last row, {MAX_ROWS:,}; nothing was written")
        _refuse_long_text(table, frame, first_new)
        for number in range(bottom + 1, last_new + 1):
            if number in by_number and _filled(by_number[number][2], left, right):
                raise SaveRefused(f"{table.name}: the cells below the table (row {number}) are not empty; "
                                  "move them so the table can grow")
        kinds = {column.name: column.kind for column in table.columns}
        lines = []
        names = sorted((name for name in frame.columns if name in columns), key=lambda key: columns[key])
        cell_columns = [_column_cells(column_letter(columns[name]), first_new, frame[name],
                                      kinds.get(name, Kind.TEXT), styles.get(column_letter(columns[name]), ""))
                        for name in names]
        row_cells = ["".join(parts) for parts in zip(*cell_columns, strict=True)] if cell_columns else [""] * count
        for offset in range(count):
            number = first_new + offset
            cells = [row_cells[offset]]
            existing = by_number.get(number)
            keep = ""
            if existing is not None:  # keep cells outside the table's columns (and drop its empty styled ones)
                keep = "".join(match.group(0) for match in _CELL.finditer(existing[2])
                               if not left <= column_number(match.group(1)) <= right)
            lines.append((number, f'<row r="{number}">' + "".join(cells) + keep + "</row>"))
        replaced = [by_number[number] for number, _ in lines if number in by_number]
        new_xml = sheet_xml
        for start, end, _text in sorted(replaced, reverse=True):
            new_xml = new_xml[:start] + new_xml[end:]
        insert_at = _insertion_point(new_xml, first_new)
        new_xml = new_xml[:insert_at] + "".join(text for _, text in lines) + new_xml[insert_at:]
        new_bottom = max(bottom, last_new)
        new_ref = f"{column_letter(left)}{top}:{column_letter(right)}{new_bottom}"
        table_xml = re.sub(r'(<table\b[^>]*\bref=")[^"]+"', lambda m: m.group(1) + new_ref + '"', table_xml,
                           count=1)
        table_xml = re.sub(r'(<autoFilter\b[^>]*\bref=")[^"]+"', lambda m: m.group(1) + new_ref + '"', table_xml,
                           count=1)
        new_xml = _grow_dimension(new_xml, new_bottom)
        package.set(sheet_part, new_xml)
        package.set(table_part, table_xml)
        package.write(target)
        return first_new
    finally:
        package.close()


def _refuse_long_text(table: Table, frame: pd.DataFrame, first_new: int) -> None:
    """SaveRefused naming the first text longer than a cell holds (Excel would cut it or call the file damaged)."""
    for name in frame.columns:
        values = frame[name]
        if values.dtype.kind in "biufcmM":
            continue
        cells = values.tolist()
        if max((len(value) for value in cells if isinstance(value, str)), default=0) <= MAX_CELL_TEXT // 2:
            continue  # two UTF-16 units a character at most: surely short enough
        for offset, value in enumerate(cells):
            too_long = text_too_long(value) if isinstance(value, str) else None
            if too_long is not None:
                raise SaveRefused(f"{table.name} row {first_new + offset}, {name}: {too_long}; "
                                  "nothing was written")


def _insertion_point(xml: str, row: int) -> int:
    """Where a ``<row r=row>`` goes: before the first later row, else at the end of sheetData."""
    for match in re.finditer(r'<row\b[^>]*?\br="(\d+)"', xml):
        if int(match.group(1)) > row:
            return match.start()
    end = xml.find("</sheetData>")
    if end < 0:
        raise WorkbookError("the sheet has no sheetData")
    return end


def _grow_dimension(xml: str, bottom: int) -> str:
    match = re.search(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', xml)
    if match is None:
        return xml
    last_column = match.group(3) or match.group(1)
    last_row = max(int(match.group(4) or match.group(2)), bottom)
    grown = f'<dimension ref="{match.group(1)}{match.group(2)}:{last_column}{last_row}"'
    return xml.replace(match.group(0), grown, 1)


def _column_cells(letter: str, first: int, values: pd.Series, kind: Kind, style: str) -> list[str]:
    """The ``<c>`` elements of one column for rows ``first``, ``first + 1``...; "" for a blank value."""
    style_attribute = f' s="{style}"' if style else ""
    numbers = range(first, first + len(values))
    if kind is Kind.DATE:
        days = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
        blank = np.isnat(days).tolist()
        serials = (days - _EXCEL_EPOCH).astype(np.int64).tolist()
        return ["" if empty else f'<c r="{letter}{number}"{style_attribute}><v>{serial}</v></c>'
                for number, serial, empty in zip(numbers, serials, blank, strict=True)]
    result = []
    for number, value in zip(numbers, values.tolist(), strict=True):
        result.append(_cell(letter, number, value, kind, style))
    return result
