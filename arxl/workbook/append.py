"""Appending rows to one of the user's input tables (imports, accepted cash applications, notes harvested from
the Collections sheet), surgically.

This is the only write arxl makes to a user's sheet, and only through explicit commands. The table's sheet part
gets new ``<row>`` elements after the table's last filled row (an empty, formatted row such as the template's is
filled first, keeping its height and the formats of the cells left blank), each cell styled like the table's
first data row; the table's ``ref`` and its autoFilter grow to cover them. Text is written as inline strings
(never formulas); dates as serial numbers of the book's date system (1900, or 1904 for a book made on an old
Mac). Every other part of the package is copied raw.

Any valid spelling of the XML is read (``arxl.workbook.spelling``): the workbook, relationships and table parts
are parsed; rows and cells of the sheet are found by patterns that accept either quote style, attributes in any
order, spaces around ``=``, and rows or cells without a reference (each follows the one before). New rows are
written with the prefix the sheet gives SpreadsheetML's elements (``<x:row>`` in a sheet written
``<x:sheetData>``), and the ``ref`` values are changed in place, in the quotes they had.

New dates are shown as dates. Each new cell takes the format of its column's cell in the table's first data row;
when that format does not show a date (no format at all where the first row's date is empty, say: the new
dates would show as serial numbers such as 46206), it is kept with a date format put in: the one the table's
other date columns show in their first data row, else ``yyyy-mm-dd`` as in the template. Without a cell in the
first data row, the column's own format (``<col style>``) is the one kept. Such cell formats are appended to
``xl/styles.xml`` once and reused (``arxl.workbook.styles``); a first-row format that shows a date is used as
it is.

Refused before anything is written (SaveRefused, the book untouched): rows that would end past the sheet's last
row; text longer than a cell holds (an import's plan refuses such rows first, naming the file's lines; this is
the last guard); cells below the table that are not empty; and a table with a totals row. Excel inserts rows
above a totals row and rewrites every formula that points at the cells it moves; arxl cannot do the second, so
it asks for the totals row to be turned off for the append (Table Design > Total Row) and on again after.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from defusedxml import ElementTree as SafeXml

from ..contract import Kind, Table, normalise_header
from ..errors import SaveRefused, WorkbookError
from ..excel import MAX_CELL_TEXT, MAX_ROWS, column_letter, parse_cell, parse_range, text_too_long
from ..render.spec import STYLES
from .bookxml import Relationships, WorkbookXml
from .package import Package, read_sheet_entries, rels_path, resolve_target
from .sheetxml import clean_text
from .spelling import attribute, drop_attribute, main_prefixes, prefix_pattern, set_attribute, start_tag
from .styles import StyleTable

_EPOCHS = {False: np.datetime64("1899-12-30", "D"), True: np.datetime64("1904-01-01", "D")}
_WORKBOOK, _WORKBOOK_RELS = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"
_REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"


def find_table(package: Package, name: str) -> tuple[str, str]:
    """(table part, sheet part) of the Excel Table named ``name`` (case-insensitive), found through the
    workbook's sheets and each sheet's relationships."""
    entries = read_sheet_entries(package.text(_WORKBOOK) or "", package.text(_WORKBOOK_RELS) or "")
    for entry in entries:
        for relationship in Relationships.parse(package.read(rels_path(entry.part))).items:
            if relationship.external or not relationship.type.endswith("/table"):
                continue
            table_part = resolve_target(entry.part, relationship.target)
            data = package.read(table_part)
            if data is None:
                continue
            root = _parse(data, table_part)
            display = _unescape(root.get("displayName") or root.get("name") or "")
            if display.casefold() == name.casefold():
                return table_part, entry.part
    raise WorkbookError(f"the workbook has no Excel Table named {name}")


@dataclass(frozen=True)
class _TableShape:
    """What the table part says: its corners (1-based), header and totals rows, and column names in order."""

    top: int
    left: int
    bottom: int
    right: int
    header_rows: int
    totals_rows: int
    columns: tuple[str, ...]


def _table_shape(xml: bytes, part: str) -> _TableShape:
    root = _parse(xml, part)
    reference = root.get("ref", "")
    try:
        top, left, bottom, right = parse_range(reference)
    except ValueError:
        raise WorkbookError(f"table range {reference!r} is not understood") from None
    columns = tuple(_unescape(element.get("name", "")) for element in root.iter()
                    if element.tag.rsplit("}", 1)[-1] == "tableColumn")
    return _TableShape(top, left, bottom, right, _count(root.get("headerRowCount"), 1),
                       _count(root.get("totalsRowCount"), 0), columns)


def _count(value: str | None, default: int) -> int:
    return int(value) if value is not None and value.strip().isdigit() else default


def _parse(data: bytes, part: str) -> SafeXml.Element:
    try:
        return SafeXml.fromstring(data)
    except SafeXml.ParseError as exc:
        raise WorkbookError(f"the workbook's part {part} is damaged ({exc})") from exc


def _unescape(text: str) -> str:
    """A table or column name as typed: Excel's ``_xHHHH_`` escapes (a line break in a header) decoded."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda match: chr(int(match.group(1), 16)), text)


class _Row(NamedTuple):
    """One ``<row>`` of the sheet: its number, where it sits in the text, its attributes and content."""

    number: int
    start: int
    end: int
    attributes: str
    body: str


@dataclass(frozen=True)
class _Cell:
    column: int
    text: str
    attributes: str
    filled: bool  # holds a value, text or formula


class _Sheet:
    """A worksheet part's text, its rows found in any valid spelling."""

    def __init__(self, xml: str):
        prefixes = main_prefixes(xml[:65536])
        self.p = prefix_pattern(prefixes)
        data = start_tag(xml, "sheetData", self.p)
        if data is None:
            raise WorkbookError("the sheet has no sheetData")
        self.prefix = data.group("prefix")  # what new rows and cells are written with
        if data.group("empty"):  # <sheetData/>: opened so rows can go in
            xml = xml[:data.start()] + data.group(0)[:-2].rstrip() + f"></{self.prefix}sheetData>" \
                + xml[data.end():]
            data = start_tag(xml, "sheetData", self.p)
            assert data is not None
        self.xml = xml
        end = re.compile(rf"</{re.escape(self.prefix)}sheetData\s*>").search(xml, data.end())
        if end is None:
            raise WorkbookError("the sheet's sheetData is not closed")
        self.data_end = end.start()
        # The number is read at once where it comes first, as every producer writes it.
        self._rows = re.compile(rf"""<(?P<p>{self.p})row(?=[\s/>])(?P<a>(?:\s+r=["'](?P<r>\d+)["'])?[^>]*?)"""
                                rf"(?:/>|>(?P<b>.*?)</(?P=p)row\s*>)", re.S)
        self._cells = re.compile(rf"<(?P<p>{self.p})c(?=[\s/>])(?P<a>[^>]*?)(?:/>|>(?P<b>.*?)</(?P=p)c\s*>)",
                                 re.S)
        self._value = re.compile(rf"<{self.p}(?:v|is|f)(?=[\s/>])")
        self.rows: list[_Row] = []
        number = 0
        for match in self._rows.finditer(xml, data.end(), self.data_end):
            given = match.group("r") or attribute(match.group("a"), "r")
            number = int(given) if given is not None and given.strip().isdigit() else number + 1
            self.rows.append(_Row(number, match.start(), match.end(), match.group("a"), match.group("b") or ""))
        self.by_number = {row.number: row for row in self.rows}

    def cells(self, row: _Row) -> list[_Cell]:
        found = []
        column = 0
        for match in self._cells.finditer(row.body):
            where = attribute(match.group("a"), "r")
            try:
                column = parse_cell(where)[1] if where is not None else column + 1
            except ValueError:
                column += 1
            body = match.group("b") or ""
            found.append(_Cell(column, match.group(0), match.group("a"), self._value.search(body) is not None))
        return found

    def filled(self, row: _Row, first: int, last: int) -> bool:
        """Whether the row holds something in columns ``first..last``."""
        return any(cell.filled and first <= cell.column <= last for cell in self.cells(row))

    def column_styles(self) -> dict[int, str]:
        """The format each column's ``<col style>`` gives new cells, by 1-based column."""
        cols = re.search(rf"<(?P<p>{self.p})cols(?=[\s>])[^>]*>(.*?)</(?P=p)cols\s*>", self.xml, re.S)
        styles: dict[int, str] = {}
        for tag in re.findall(rf"<{self.p}col(?=[\s/>])[^>]*>", cols.group(2) if cols else ""):
            low, high, style = attribute(tag, "min"), attribute(tag, "max"), attribute(tag, "style")
            if low and high and style and low.isdigit() and high.isdigit():
                styles |= dict.fromkeys(range(int(low), min(int(high), 16384) + 1), style)
        return styles


def append_rows(source: Path, target: Path, table: Table, frame: pd.DataFrame) -> int:
    """Write ``source`` with ``frame``'s rows appended to ``table`` into ``target``; return the first new row."""
    package = Package(source)
    try:
        table_part, sheet_part = find_table(package, table.name)
        table_data = package.read(table_part) or b""
        shape = _table_shape(table_data, table_part)
        sheet = _Sheet(package.text(sheet_part) or "")
        top, left, bottom, right = shape.top, shape.left, shape.bottom, shape.right
        first_data = top + shape.header_rows
        columns = {normalise_header(header): left + offset for offset, header in enumerate(shape.columns)}
        filled = next((row.number for row in reversed(sheet.rows)
                       if first_data <= row.number <= bottom and sheet.filled(row, left, right)), first_data - 1)
        first_new = filled + 1
        count = len(frame)
        if count == 0:
            return first_new
        if shape.totals_rows:
            raise SaveRefused(f"{table.name}: the table has a totals row (row {bottom}); arxl adds rows only to a "
                              "table without one: turn it off (Table Design > Total Row), run this again, then "
                              "turn it back on; nothing was written")
        last_new = first_new + count - 1
        if last_new > MAX_ROWS:
            raise SaveRefused(f"{table.name}: {count:,} new row(s) from row {first_new} would end past Excel's "
                              f"last row, {MAX_ROWS:,}; nothing was written")
        _refuse_long_text(table, frame, first_new)
        for number in range(bottom + 1, last_new + 1):
            if number in sheet.by_number and sheet.filled(sheet.by_number[number], left, right):
                raise SaveRefused(f"{table.name}: the cells below the table (row {number}) are not empty; "
                                  "move them so the table can grow")
        kinds = {column.name: column.kind for column in table.columns}
        # Dates are written as dates whatever the column (Settings value holds text, numbers and dates).
        kinds |= {name: Kind.DATE for name in frame.columns if frame[name].dtype.kind == "M"}
        names = sorted((name for name in frame.columns if name in columns), key=lambda key: columns[key])
        first_row = sheet.by_number.get(first_data)
        styles = {cell.column: style for cell in (sheet.cells(first_row) if first_row is not None else [])
                  if (style := attribute(cell.attributes, "s"))}
        styles |= _date_styles(package, sheet, styles, [columns[name] for name in names
                                                         if kinds.get(name) is Kind.DATE])
        epoch = _EPOCHS[WorkbookXml(package.text(_WORKBOOK) or "").date1904]
        cell_columns = [_column_cells(columns[name], first_new, frame[name], kinds.get(name, Kind.TEXT),
                                      styles.get(columns[name], ""), sheet.prefix, epoch) for name in names]
        row_cells = ["".join(parts) for parts in zip(*cell_columns, strict=True)] if cell_columns else [""] * count
        prefix = sheet.prefix
        lines = []
        replaced = []
        for offset in range(count):
            number = first_new + offset
            existing = sheet.by_number.get(number)
            if existing is None:
                lines.append(f'<{prefix}row r="{number}">{row_cells[offset]}</{prefix}row>')
                continue
            replaced.append(existing)
            new = [column_cells[offset] for column_cells in cell_columns]
            lines.append(_merged_row(sheet, existing, [columns[name] for name in names], new, left, right))
        insert_at = next((row.start for row in sheet.rows if row.number > last_new), sheet.data_end)
        edits = [(row.start, row.end, "") for row in replaced] + [(insert_at, insert_at, "".join(lines))]
        new_xml = sheet.xml
        for start, end, text in sorted(edits, key=lambda edit: (edit[0], edit[1] > edit[0]), reverse=True):
            new_xml = new_xml[:start] + text + new_xml[end:]
        new_bottom = max(bottom, last_new)
        new_ref = f"{column_letter(left)}{top}:{column_letter(right)}{new_bottom}"
        table_xml = table_data.decode("utf-8")
        for element in ("table", "autoFilter"):
            table_xml = _set_ref(table_xml, element, new_ref)
        package.set(sheet_part, _grow_dimension(new_xml, sheet.p, (top, left, new_bottom, right)))
        package.set(table_part, table_xml)
        package.write(target)
        return first_new
    finally:
        package.close()


def _merged_row(sheet: _Sheet, existing: _Row, table_columns: list[int], new: list[str], left: int,
                right: int) -> str:
    """An existing row, empty in the table's columns, filled with the new cells. Kept: the row's attributes (but
    its cell span, which may no longer hold), its cells outside the table, and its formatted empty cells where
    the new row has no value; all in column order (a kept cell without a reference gets one, as the cells
    before it may change)."""
    by_column = dict(zip(table_columns, new, strict=True))
    cells: list[tuple[int, str]] = []
    for cell in sheet.cells(existing):
        if left <= cell.column <= right and by_column.get(cell.column):
            continue
        text = cell.text
        if attribute(cell.attributes, "r") is None:
            opening = re.match(r"<[^>]*?(?=/?>)", text).group(0)  # type: ignore[union-attr]
            text = opening + f' r="{column_letter(cell.column)}{existing.number}"' + text[len(opening):]
        cells.append((cell.column, text))
    cells += [(column, text) for column, text in by_column.items() if text]
    cells.sort(key=lambda item: item[0])
    attributes = drop_attribute(drop_attribute(existing.attributes, "spans"), "r")
    prefix = sheet.prefix
    return (f'<{prefix}row r="{existing.number}"{attributes.rstrip()}>' + "".join(text for _, text in cells)
            + f"</{prefix}row>")


def _date_styles(package: Package, sheet: _Sheet, styles: dict[int, str],
                 date_columns: list[int]) -> dict[int, str]:
    """A cell format that shows a date for each date column whose format would not (see the module docstring),
    by 1-based column; ``xl/styles.xml`` gains the formats it needs."""
    part = _styles_part(package)
    data = package.text(part) if date_columns and part else None
    if not data:
        return {}
    table = StyleTable(data)
    column_styles = sheet.column_styles()
    bases = {column: _xf(styles.get(column) or column_styles.get(column)) for column in date_columns}
    shown = [table.number_format_of(bases[column]) for column in date_columns if column in styles]
    date_format = next((number for number in shown if table.is_date_format(number)), None)
    if date_format is None:
        date_format = table.number_format_id(STYLES["date"].number_format)
    found = {column: str(table.with_number_format(base, date_format)) for column, base in bases.items()
             if not table.is_date_format(table.number_format_of(base))}
    if table.xml != data:
        package.set(part, table.to_bytes())
    return found


def _xf(style: str | None) -> int:
    return int(style) if style is not None and style.strip().isdigit() else 0


def _styles_part(package: Package) -> str | None:
    rels = Relationships.parse(package.read(_WORKBOOK_RELS))
    target = next((item.target for item in rels.items if item.type == _REL_STYLES and not item.external), None)
    return resolve_target(_WORKBOOK, target) if target is not None else None


def _set_ref(xml: str, element: str, reference: str) -> str:
    """``xml`` with the ``ref`` of its first ``element`` set to ``reference`` (in place, in its quotes)."""
    tag = start_tag(xml, element)
    if tag is None or attribute(tag.group(0), "ref") is None:
        return xml
    return xml[:tag.start()] + set_attribute(tag.group(0), "ref", reference) + xml[tag.end():]


def _grow_dimension(xml: str, prefix: str, table: tuple[int, int, int, int]) -> str:
    """The sheet's ``<dimension>`` grown to cover the table's new range."""
    tag = start_tag(xml, "dimension", prefix)
    reference = attribute(tag.group(0), "ref") if tag is not None else None
    if tag is None or reference is None:
        return xml
    try:
        top, left, bottom, right = parse_range(reference)
    except ValueError:
        return xml
    new_top, new_left, new_bottom, new_right = table
    grown = (f"{column_letter(min(left, new_left))}{min(top, new_top)}:"
             f"{column_letter(max(right, new_right))}{max(bottom, new_bottom)}")
    return xml[:tag.start()] + set_attribute(tag.group(0), "ref", grown) + xml[tag.end():]


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


def _cell(where: str, value: object, kind: Kind, style: str, prefix: str) -> str:
    style_attribute = f' s="{style}"' if style else ""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT or value == "":
        return ""
    if kind in (Kind.MONEY, Kind.NUMBER, Kind.INTEGER) and not isinstance(value, str):
        number = repr(float(value)).removesuffix(".0")
        return f'<{prefix}c r="{where}"{style_attribute}><{prefix}v>{number}</{prefix}v></{prefix}c>'
    text = clean_text(str(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return (f'<{prefix}c r="{where}"{style_attribute} t="inlineStr"><{prefix}is><{prefix}t{space}>{text}'
            f'</{prefix}t></{prefix}is></{prefix}c>')


def _column_cells(column: int, first: int, values: pd.Series, kind: Kind, style: str, prefix: str,
                  epoch: np.datetime64) -> list[str]:
    """The ``<c>`` elements of one column for rows ``first``, ``first + 1``...; "" for a blank value."""
    letter = column_letter(column)
    style_attribute = f' s="{style}"' if style else ""
    numbers = range(first, first + len(values))
    if kind is Kind.DATE:
        days = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
        blank = np.isnat(days).tolist()
        serials = (days - epoch).astype(np.int64).tolist()
        return ["" if empty else
                f'<{prefix}c r="{letter}{number}"{style_attribute}><{prefix}v>{serial}</{prefix}v></{prefix}c>'
                for number, serial, empty in zip(numbers, serials, blank, strict=True)]
    return [_cell(f"{letter}{number}", value, kind, style, prefix)
            for number, value in zip(numbers, values.tolist(), strict=True)]


def set_cells(source: Path, target: Path, table: Table, cells: Sequence[tuple[int, str, object]]) -> None:
    """Write ``source`` with cells of ``table`` set to new values into ``target``: each (Excel row, contract
    column, value) of a data row already in the table. The cell keeps its format; a date (``datetime.date``)
    is written as a date of the book's date system, shown as a date (``_date_styles``). How ``arxl close`` sets
    Settings ``closed_through``."""
    package = Package(source)
    try:
        table_part, sheet_part = find_table(package, table.name)
        shape = _table_shape(package.read(table_part) or b"", table_part)
        sheet = _Sheet(package.text(sheet_part) or "")
        columns = {normalise_header(header): shape.left + offset for offset, header in enumerate(shape.columns)}
        kinds = {column.name: column.kind for column in table.columns}
        epoch = _EPOCHS[WorkbookXml(package.text(_WORKBOOK) or "").date1904]
        first_data, last_data = shape.top + shape.header_rows, shape.bottom - shape.totals_rows
        by_row: dict[int, dict[int, str]] = {}
        for row, name, value in cells:
            existing = sheet.by_number.get(row)
            if not first_data <= row <= last_data or name not in columns or existing is None:
                raise WorkbookError(f"{table.name} row {row}, {name}: not a cell of the table")
            column = columns[name]
            old = next((cell for cell in sheet.cells(existing) if cell.column == column), None)
            style = (attribute(old.attributes, "s") if old is not None else None) or ""
            where = f"{column_letter(column)}{row}"
            if isinstance(value, dt.date):
                style = _date_styles(package, sheet, {column: style} if style else {}, [column]).get(column, style)
                serial = int((np.datetime64(pd.Timestamp(value).date(), "D") - epoch).astype(np.int64))
                style_attribute, prefix = (f' s="{style}"' if style else ""), sheet.prefix
                text = f'<{prefix}c r="{where}"{style_attribute}><{prefix}v>{serial}</{prefix}v></{prefix}c>'
            else:
                text = _cell(where, value, kinds.get(name, Kind.TEXT), style, sheet.prefix)
            by_row.setdefault(row, {})[column] = text
        new_xml = sheet.xml
        for row in sorted(by_row, reverse=True):
            existing = sheet.by_number[row]
            changed = by_row[row]
            merged = _merged_row(sheet, existing, list(changed), list(changed.values()), min(changed),
                                 max(changed))
            new_xml = new_xml[:existing.start] + merged + new_xml[existing.end:]
        package.set(sheet_part, new_xml)
        package.write(target)
    finally:
        package.close()
