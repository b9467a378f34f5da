"""Reading the input tables of a workbook file: values only, fast.

Excel Tables are read with fastexcel into typed Arrow columns, two worker threads at a time (it parses outside the
GIL): a clean table (each column one type of cell, no error cells) never becomes Python objects. A table fastexcel
cannot type strictly (a text date among real dates, say), a table with error cells, and a sheet read from its first
row go through python-calamine's cell values instead, which the loader's parsers interpret cell by cell with a
located problem for each oddity. Before either reader lays a sheet out, a streaming scan of its XML measures its
extent (refusing sheets that would blow up memory) and finds its merged ranges and error cells. It reads any
valid spelling of the sheet's XML: patterns made for the prefix the part binds to SpreadsheetML (``<x:c>``,
``arxl.workbook.spelling``) read cells written as producers write them, in either quote style; a sheet
spelled otherwise (attributes in another order, spaces around ``=``, rows or cells without a reference, which
then follow the one before) goes through the XML parser, slower and exact. The table parts are parsed.

The same scan notices formulas and what lies below each table, at the cost of a substring search per piece:

- **Formulas** (``</f>`` anywhere in the sheet): only then is the sheet's XML searched for its formula cells,
  which go to the loader as ``RawTable.formulas`` (formula, saved value, and whether the file asks to be
  recalculated when opened); the loader decides what a saved value is worth (``arxl.cells.formula_problem``).
  The file asks to be recalculated (``fullCalcOnLoad``) when a program wrote it: openpyxl, XlsxWriter, and arxl
  itself after a refresh (for the formulas of its generated sheets). Excel and LibreOffice drop the request
  when they save. A book with arxl's own parts (``arxl-...``) was last saved by arxl, which writes only after
  the checks passed, so there the request is arxl's and saved values are trusted.
- **Rows below a table**: the XML after the last row of the sheet's lowest-ending table is kept (up to
  ``BELOW_BYTES``); cells with a value there, in a table's columns, on the rows right under it up to the first
  row without any (what Excel's Ctrl+A takes as one block with the table), are a warning: Excel did not grow
  the table over them (auto-expand undone or off), so arxl does not read them.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine as calamine
from defusedxml import ElementTree as SafeXml

from .. import contract
from ..cells import FormulaCell
from ..errors import WorkbookError
from ..excel import cell_reference, column_number, parse_cell, parse_range
from ..load import LoadResult, RawTable, load_tables
from ..problems import Problem, rows_below_problem, sort_problems
from .bookxml import Relationships
from .package import NS_MAIN, inspect_package, read_sheet_entries, rels_path, resolve_target
from .spelling import main_prefixes, prefix_pattern

READ_THREADS = 2
# fastexcel logs a warning for each all-empty column it types as text; that is no news to an arxl user.
logging.getLogger("fastexcel").setLevel(logging.ERROR)


@dataclass(frozen=True)
class TableSource:
    """Where one contract table sits in the file.

    Attributes:
        name: the contract table name (``Invoices``).
        sheet: the sheet holding it, and ``part`` that sheet's package part.
        table: the Excel Table's name; empty for a sheet whose first row is read as the header.
        header: the Excel Table's column names, as its table part lists them.
        top, left, bottom, right: the 0-based corners of the table's range, header row included.
        typed: whether fastexcel may read it (an Excel Table with one header row and no totals row).
    """

    name: str
    sheet: str
    part: str
    table: str = ""
    header: tuple[str, ...] = ()
    top: int = 0
    left: int = 0
    bottom: int = 0
    right: int = 0
    typed: bool = False
    size: int = field(default=0, compare=False)  # the sheet part's uncompressed size, to share out the work


def read_raw_tables(path: str | Path, *, typed: bool = True) -> tuple[dict[str, RawTable], bool, list[Problem]]:
    """The contract's tables as found in the file, its 1904 flag, and problems about where they were found.

    A table is the Excel Table of the contract's name (any sheet, name matched case-insensitively); failing
    that, a sheet of that name whose first row holds the headers (read with a warning). ``typed=False`` reads
    every table as cell values (the path for odd tables, kept callable so tests can compare the two).
    """
    info = inspect_package(path)
    sources = table_sources(info.path)
    scans: dict[str, SheetScan] = {}
    tables = _scan_and_read(info.path, sources, scans, typed)
    problems: list[Problem] = []
    rest = [source for source in sources if source.name not in tables]
    if rest:
        tables |= _read_cells(info.path, rest, scans, problems)
    recalculate: bool | None = None
    for source in sources:
        scan = scans[source.part]
        if source.table:
            problems.extend(_merged_problems(source.sheet, scan.merged,
                                             (source.top + 1, source.left), (source.bottom, source.right)))
            problems.extend(_below_problems(source, scan, sources))
        if scan.formula_cells and source.name in tables:
            if recalculate is None:
                recalculate = _asks_recalculation(info.path)
            tables[source.name] = _with_formulas(tables[source.name], source, scan, recalculate)
    return tables, info.date1904, problems


def _scan_and_read(path: Path, sources: list[TableSource], scans: dict[str, SheetScan],
                   typed: bool) -> dict[str, RawTable]:
    """Scan every sheet that holds a table (filling ``scans``) and read its clean Excel Tables typed, sharing
    the sheets out between worker threads; a table fastexcel cannot type strictly is left out (read as cells).

    Each sheet is scanned, and refused if too big, before anything lays it out.
    """
    parts: dict[str, list[TableSource]] = {}
    for source in sources:
        parts.setdefault(source.part, []).append(source)
    groups: list[list[list[TableSource]]] = [[] for _ in range(READ_THREADS)]
    loads = [0] * READ_THREADS
    for sheet in sorted(parts.values(), key=lambda sheet: -sheet[0].size):  # biggest first, to the lightest
        lightest = loads.index(min(loads))
        groups[lightest].append(sheet)
        loads[lightest] += sheet[0].size + 1

    with ThreadPoolExecutor(READ_THREADS + 1) as pool:
        shared_na_text = pool.submit(_shared_strings_na_text, path)  # waited for only where a column needs it
        results = list(pool.map(lambda group: _scan_and_read_group(path, group, scans, typed, shared_na_text),
                                [group for group in groups if group]))
    return {name: table for found in results for name, table in found.items()}


def _scan_and_read_group(path: Path, group: list[list[TableSource]], scans: dict[str, SheetScan], typed: bool,
                         shared_na_text: Future[bool]) -> dict[str, RawTable]:
    """One worker's share: each sheet scanned (and refused if too big), then its clean tables read typed.

    The reader is opened first (workbook, styles and shared strings, no sheet): fastexcel does that without the
    GIL, beside the other worker's scan."""
    found: dict[str, RawTable] = {}
    reader = _Reader(path, shared_na_text) if typed and any(source.typed for sheet in group for source in sheet) \
        else None
    for sheet in group:
        bottoms = [source.bottom + 1 for source in sheet if source.table]  # 1-based last row of each table
        scan = scans[sheet[0].part] = scan_sheet(path, sheet[0].part, below=min(bottoms) if bottoms else None)
        for source in sheet:
            check_extent(path, source.sheet, scan)
        wanted = [source for source in sheet if typed and source.typed and not scan.errors]
        if wanted and reader is not None:
            found |= reader.read(wanted, scan.na_text)
    return found


class _Reader:
    """One fastexcel reader (one per thread: a reader cannot serve two threads at once)."""

    def __init__(self, path: Path, shared_na_text: Future[bool]):
        self.shared_na_text = shared_na_text
        try:
            self.book: fastexcel.ExcelReader | None = fastexcel.read_excel(str(path))
            self.names = {name.casefold(): name for name in self.book.table_names()}
        except fastexcel.FastExcelError:
            self.book, self.names = None, {}

    def read(self, sources: list[TableSource], na_text: bool) -> dict[str, RawTable]:
        """The tables of one sheet; ``na_text``: whether the sheet holds text fastexcel takes for no value."""
        tables = {}
        for source in sources:
            name = self.names.get(source.table.casefold())
            if self.book is None or name is None:
                continue
            try:
                batch = self.book.load_table(name, schema_sample_rows=None, dtype_coercion="strict", eager=True)
            except (fastexcel.FastExcelError, pa.ArrowException):
                continue  # mixed cell types in a column, or a table fastexcel cannot lay out: read as cells
            if tuple(batch.schema.names) != source.header:
                continue  # fastexcel renamed a blank or repeated header: the cell reader reports it as typed
            suspects = _suspects(batch)
            if _has_nan(batch) or (suspects and (na_text or self.shared_na_text.result())
                                   and _hides_text(self.book, name, batch, suspects)):
                continue
            tables[source.name] = RawTable(source.name, list(source.header), (), first_row=source.top + 2,
                                           sheet=source.sheet, typed=batch)
        return tables


# The text fastexcel (0.21) reads as "no value" in a column of numbers or dates, as it appears in the XML.
NA_TEXTS = ("#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
            "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
_NA_ALTERNATIVES = b"|".join(re.escape(text.replace("<", "&lt;").replace(">", "&gt;").encode())
                             for text in sorted(NA_TEXTS, key=len, reverse=True))
# Text sits in <si><t>...</t></si> in the shared strings, <is><t>...</t></is> inline in a sheet (with or without
# white space between the tags); a literal start makes the search four times faster than looking at every <t>.
# (A "no value" text split into rich-text runs is not seen: nobody formats half of "NA".)
_NA_SHARED = re.compile(rb"<si>\s*<t(?:\s[^>]*)?>(?:" + _NA_ALTERNATIVES + rb")</t\s*>\s*</si>")


def _shared_strings_na_text(path: Path) -> bool:
    """Whether the shared strings hold text fastexcel reads as "no value" (streamed: the part may be big)."""
    with zipfile.ZipFile(path) as archive:
        for part in archive.namelist():
            if not part.lower().endswith("sharedstrings.xml"):
                continue
            with archive.open(part) as stream:
                tail = b""
                for chunk in iter(lambda stream=stream: stream.read(1 << 20), b""):
                    window = tail + chunk
                    if _NA_SHARED.search(window) or b":si>" in window:  # or namespace-prefixed XML
                        return True
                    tail = chunk[-64:]
    return False


def _has_nan(batch: pa.RecordBatch) -> bool:
    """NaN is no Excel number: fastexcel made it of text such as "nan" or "-NaN", which the cell reader quotes."""
    return any(pa.types.is_floating(values.type) and pc.any(pc.is_nan(values)).as_py() for values in batch.columns)


def _suspects(batch: pa.RecordBatch) -> list[str]:
    """The columns of numbers or dates with empty cells: where fastexcel may have hidden text."""
    return [column for column, values in zip(batch.schema.names, batch.columns, strict=True)
            if values.null_count
            and not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type))]


def _hides_text(reader: fastexcel.ExcelReader, name: str, batch: pa.RecordBatch, suspects: list[str]) -> bool:
    """Whether a number or date column's empty cells include text that fastexcel took for "no value".

    fastexcel reads text such as "NA", "null" or "N/A" in a column of numbers as an empty cell. Such a column is
    read again as text, and any non-blank text where the typed read saw nothing sends the table to the cell
    reader, which reports it.
    """
    try:
        text = reader.load_table(name, schema_sample_rows=None, dtypes="string", use_columns=suspects, eager=True)
    except (fastexcel.FastExcelError, pa.ArrowException):
        return True
    for column in suspects:
        empty = batch.column(column).is_null()
        seen = pc.utf8_trim_whitespace(text.column(column).filter(empty)).drop_null()
        if pc.any(pc.not_equal(seen, "")).as_py():
            return True
    return False


def _read_cells(path: Path, sources: list[TableSource], scans: dict[str, SheetScan],
                problems: list[Problem]) -> dict[str, RawTable]:
    """Tables as python-calamine's cell values: ``""`` for an empty cell, and error cells (which calamine gives
    as empty) as the text they show, such as ``#N/A``, for the parsers to report."""
    try:
        book = calamine.CalamineWorkbook.from_path(str(path), load_tables=True)
    except Exception as exc:  # calamine raises its own exception types for damaged parts
        raise WorkbookError(f"{path}: cannot be read as a workbook ({exc})") from exc
    tables: dict[str, RawTable] = {}
    try:
        by_name = {name.casefold(): name for name in book.table_names}
        for source in sources:
            if source.table:
                table = book.get_table_by_name(by_name[source.table.casefold()])
                header_row = table.start[0]  # 0-based row of the first data row, the header sits above
                rows = _with_errors(table.to_python(), scans[source.part], table.start)
                tables[source.name] = RawTable(source.name, list(table.columns), rows,
                                               first_row=header_row + 1, sheet=table.sheet)
                continue
            rows = _with_errors(book.get_sheet_by_name(source.sheet).to_python(skip_empty_area=False),
                                scans[source.part], (0, 0))
            header = rows[0] if rows else []
            tables[source.name] = RawTable(source.name, header, rows[1:], first_row=2, sheet=source.sheet)
            problems.append(Problem("warning", source.sheet, None, "", "",
                                    f"holds no Excel Table named {source.name}; its first row is read as the "
                                    "header", f"an Excel Table named {source.name} (Insert > Table)"))
    except Exception as exc:
        raise WorkbookError(f"{path}: cannot be read as a workbook ({exc})") from exc
    finally:
        book.close()
    return tables


def _with_errors(rows: list[list[object]], scan: SheetScan, corner: tuple[int, int]) -> list[list[object]]:
    """``rows`` (whose first cell sits at the 0-based ``corner``) with the sheet's error cells put back."""
    for row, column, text in scan.error_cells:
        at_row, at_column = row - corner[0], column - corner[1]
        if 0 <= at_row < len(rows) and 0 <= at_column < len(rows[at_row]):
            rows[at_row][at_column] = text
    return rows


MAX_SHEET_CELLS = 30_000_000  # rows x columns a reader may have to lay out densely (1M rows x 30 columns)


@dataclass(frozen=True)
class SheetScan:
    """What one streaming pass over a sheet's XML tells before any reader lays its cells out."""

    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    last_row: int
    last_column: int  # 0-based; 25 when no cell lies beyond column Z
    error_cells: tuple[tuple[int, int, str], ...] = ()  # (0-based row, column, value) of #N/A, #REF! ...
    na_text: bool = False  # whether an inline string reads like "no value" to fastexcel (NA, null ...)
    formula_cells: dict[tuple[int, int], FormulaCell] = field(default_factory=dict)  # by 0-based (row, column)
    below: tuple[tuple[int, int], ...] = ()  # 0-based (row, column) of the cells with a value below the tables

    @property
    def errors(self) -> bool:
        return bool(self.error_cells)


def table_sources(path: Path) -> list[TableSource]:
    """Where each contract table is: the Excel Table of its name on any sheet, else a sheet of its name."""
    wanted = {table.name.casefold(): table.name for table in contract.TABLES}
    found: dict[str, TableSource] = {}
    named_sheets: dict[str, TableSource] = {}
    with zipfile.ZipFile(path) as archive:
        members = {member.filename: member for member in archive.infolist()}
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        for entry in read_sheet_entries(workbook, rels):
            if entry.part not in members:
                continue
            size = members[entry.part].file_size
            if entry.name.casefold() in wanted:
                name = wanted[entry.name.casefold()]
                named_sheets[name] = TableSource(name, entry.name, entry.part, size=size)
            sheet_rels = rels_path(entry.part)
            if sheet_rels not in members:
                continue
            for relationship in Relationships.parse(archive.read(sheet_rels)).items:
                if not relationship.type.endswith("/table") or relationship.external:
                    continue
                table_part = resolve_target(entry.part, relationship.target)
                if table_part not in members:
                    continue
                source = _table_source(archive.read(table_part).decode("utf-8"), wanted, entry.name, entry.part,
                                       size)
                if source is not None and source.name not in found:
                    found[source.name] = source
    return [found.get(table.name) or named_sheets[table.name] for table in contract.TABLES
            if table.name in found or table.name in named_sheets]


def _table_source(xml: str, wanted: dict[str, str], sheet: str, part: str, size: int) -> TableSource | None:
    root = SafeXml.fromstring(xml.encode("utf-8"))
    attributes = root.attrib
    display = _unescape(attributes.get("displayName") or attributes.get("name", ""))
    if display.casefold() not in wanted:
        return None
    try:
        top, left, bottom, right = parse_range(attributes.get("ref", ""))
    except ValueError:
        return None
    header = tuple(_unescape(column.get("name", "")) for column in root.iter()
                   if column.tag.rsplit("}", 1)[-1] == "tableColumn")
    typed = attributes.get("headerRowCount", "1") == "1" and attributes.get("totalsRowCount", "0") == "0"
    return TableSource(wanted[display.casefold()], sheet, part, display, header, top - 1, left - 1, bottom - 1,
                       right - 1, typed, size)


def _unescape(text: str) -> str:
    """A table's name or column name as typed (the XML parser has undone XML's escapes): Excel's ``_xHHHH_``
    escapes (line breaks in headers) decoded."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda match: chr(int(match.group(1), 16)), text)


# --- the scan's patterns ---------------------------------------------------------------------------------------
# The scan reads sheet XML as bytes, with patterns that start with a literal tag (a regular expression that starts
# with a literal is searched as fast as bytes.find, often faster), made for the prefix the part's root binds to
# SpreadsheetML's namespace (``<x:c>``; ``arxl.workbook.spelling``). Cells written as every producer writes
# them, the reference first (``<c r="A1"``, ``<c r='A1'``), are seen by one fast pattern; a piece holding a cell
# written otherwise (its reference later, spaces around ``=``) is read again by a general one. Rows and cells
# without a reference (valid: each follows the one before) cannot be placed by patterns: such a sheet is read
# by the XML parser instead, slower (about 9 s for 100,000 invoices) and exact. They are looked for in the
# first piece and in any piece with a cell written otherwise: a producer spells its whole sheet one way.

@dataclass(frozen=True)
class _ScanPatterns:
    """The scan's patterns for one spelling of the main namespace's prefix."""

    # A cell beyond column Z written the usual way (its column letters), or a cell written another way (an empty
    # group). Cells of columns A-Z written the usual way, nearly all of them, fail at once.
    cells: re.Pattern[bytes]
    wide_cells: re.Pattern[bytes]  # a cell beyond column Z, in any spelling (slower)
    unplaced: re.Pattern[bytes]  # a row or cell without a reference
    row: re.Pattern[bytes]  # a row's number, in any spelling
    merge_cells: re.Pattern[bytes]
    formula_end: re.Pattern[bytes]  # a formula with text ends in </f> (a shared formula's others follow it)
    na_inline: re.Pattern[bytes]  # inline text fastexcel reads as "no value"


# An error cell is t="e" (either quotes, any spaces): an attribute or a text "e" anywhere costs a closer look.
_ERROR_FLAGS = (re.compile(rb'"e"'), re.compile(rb"'e'"))  # searched as literals: faster than bytes.find


@functools.lru_cache(maxsize=16)
def _scan_patterns(prefixes: tuple[str, ...] | None) -> _ScanPatterns:
    p = prefix_pattern(prefixes).encode()
    return _ScanPatterns(
        cells=re.compile(b"<" + p + rb"""c\s(?!r=["'][A-Z]\d)(?:r=["']([A-Z]{2,3})\d)?"""),
        wide_cells=re.compile(b"<" + p + rb"""c\s[^>]*?(?<=\s)r\s*=\s*["']([A-Z]{2,3})\d"""),
        unplaced=re.compile(b"<" + p + rb"(?:row|c)(?:/?>|\s(?![^>]*?(?<=\s)r\s*=))"),
        row=re.compile(b"<" + p + rb"""row\s[^>]*?(?<=\s)r\s*=\s*["'](\d+)"""),
        merge_cells=re.compile(b"<" + p + rb"mergeCells[\s/>]"),
        formula_end=re.compile(b"</" + p + rb"f\s*>"),
        na_inline=re.compile(b"<" + p + rb"is>\s*<" + p + rb"t(?:\s[^>]*)?>(?:" + _NA_ALTERNATIVES + b")</" + p
                             + rb"t\s*>"))


BELOW_BYTES = 4 << 20  # how much of the XML after the tables is kept to look at what lies below them
_OVERLAP = 512  # bytes of each piece kept before the next: an element cut at the boundary is seen whole


def scan_sheet(path: Path, part: str, *, below: int | None = None) -> SheetScan:
    """Merged ranges, error cells, formula cells and the real extent of a sheet, streaming its XML in 1 MiB
    pieces (bounded memory); with ``below`` (a 1-based row), the cells with a value on the rows after it."""
    merged_text: list[bytes] = []
    after: list[bytes] = []
    kept = 0
    tail = b""
    last_row = 0
    widest = "Z"
    flagged = na_text = formulas = False
    patterns: _ScanPatterns | None = None
    with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            window = tail + chunk
            if patterns is None:
                patterns = _scan_patterns(main_prefixes(window[:65536].decode("utf-8", "replace")))
                if _whole(window, patterns.unplaced.finditer(window)):
                    return _scan_by_parsing(path, part, below)
            columns = set(patterns.cells.findall(window))
            if b"" in columns and _whole(window, (match for match in patterns.cells.finditer(window)
                                                  if not match.group(1))):  # a cell written another way
                if _whole(window, patterns.unplaced.finditer(window)):
                    return _scan_by_parsing(path, part, below)
                columns = set(patterns.wide_cells.findall(window))
            columns.discard(b"")
            for letters in columns:
                text = letters.decode()
                if (len(text), text) > (len(widest), widest):
                    widest = text
            rows = patterns.row.findall(window[-65536:]) or patterns.row.findall(window)
            if rows:
                last_row = max(last_row, int(rows[-1]))
            flagged = flagged or any(flag.search(window) is not None for flag in _ERROR_FLAGS)
            na_text = na_text or patterns.na_inline.search(window) is not None
            formulas = formulas or patterns.formula_end.search(window) is not None
            if below is not None and kept < BELOW_BYTES:
                if after:
                    after.append(chunk)
                    kept += len(chunk)
                elif last_row > below:
                    start = next((match.start() for match in patterns.row.finditer(window)
                                  if int(match.group(1)) > below), len(window))
                    after.append(window[start:])
                    kept += len(window) - start
            if not merged_text:
                found = patterns.merge_cells.search(window)
                if found is not None:
                    merged_text.append(window[found.start():])
            else:
                merged_text.append(chunk)
            tail = window[-_OVERLAP:]
    return SheetScan(_merged_ranges(b"".join(merged_text)), last_row, column_number(widest) - 1,
                     _error_cells(path, part) if flagged else (), na_text,
                     _formula_cells(path, part) if formulas else {},
                     _valued_cells(b"".join(after), below) if after and below is not None else ())


def _whole(window: bytes, matches: Iterator[re.Match[bytes]]) -> bool:
    """Whether one of the tags ``matches`` found is whole in the piece: one cut off at its end is seen whole
    (and judged) in the next piece."""
    return any(window.find(b">", match.end()) >= 0 for match in matches)


MAX_BELOW_CELLS = 100_000  # cells below the tables the parsing scan keeps (the fast one keeps BELOW_BYTES)


def _scan_by_parsing(path: Path, part: str, below: int | None) -> SheetScan:
    """What ``scan_sheet`` finds, read with the XML parser: any spelling, rows and cells placed by their
    reference or, without one, after the one before. Streamed, each row dropped once read."""
    main = f"{{{NS_MAIN}}}"
    row_tag, cell_tag, data_tag = f"{main}row", f"{main}c", f"{main}sheetData"
    value_tag, formula_tag, inline_tag, text_tag = f"{main}v", f"{main}f", f"{main}is", f"{main}t"
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
    errors: list[tuple[int, int, str]] = []
    formulas: dict[tuple[int, int], tuple[str, str | None, bool, str]] = {}
    shared: dict[str, str] = {}
    valued: list[tuple[int, int]] = []
    last_row = row = column = 0
    last_column = 25
    na_text = False
    sheet_data = None
    with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
        for event, element in SafeXml.iterparse(stream, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == row_tag:
                    given = element.get("r", "")
                    row, column = (int(given) if given.strip().isdigit() else row + 1), 0
                    last_row = max(last_row, row)
                elif tag == cell_tag:
                    column = _column_of(element.get("r"), column)
                    last_column = max(last_column, column - 1)
                elif tag == data_tag:
                    sheet_data = element
                continue
            if tag == cell_tag:
                kind = element.get("t")
                value, formula = element.find(value_tag), element.find(formula_tag)
                saved = None if value is None else value.text or ""
                if kind == "e":
                    errors.append((row - 1, column - 1, saved.strip() if saved and saved.strip() else "#VALUE!"))
                elif formula is not None:
                    group = formula.get("si") or ""
                    if group and formula.text:
                        shared.setdefault(group, formula.text)
                    formulas[(row - 1, column - 1)] = (formula.text or "", saved, kind == "str", group)
                inline = element.find(inline_tag)
                first_text = inline.find(text_tag) if inline is not None else None
                na_text = na_text or (first_text is not None and first_text.text in NA_TEXTS)
                if below is not None and row > below and len(valued) < MAX_BELOW_CELLS and (
                        formula is not None or saved or any(text.text for text in element.iter(text_tag))):
                    valued.append((row - 1, column - 1))
            elif tag == row_tag and sheet_data is not None:
                sheet_data.clear()  # the rows read so far: bounded memory
            elif tag == f"{main}mergeCell":
                try:
                    top, left, bottom, right = parse_range(element.get("ref", ""))
                except ValueError:
                    continue
                merged.append(((top - 1, left - 1), (bottom - 1, right - 1)))
    return SheetScan(merged, last_row, last_column, tuple(errors), na_text,
                     {where: FormulaCell(text or shared.get(group, ""), saved, text_result)
                      for where, (text, saved, text_result, group) in formulas.items()},
                     tuple(sorted(valued)))


def _column_of(reference: str | None, previous: int) -> int:
    """The 1-based column of a cell: from its reference, or the one after the cell before."""
    try:
        return parse_cell(reference)[1] if reference else previous + 1
    except ValueError:
        return previous + 1


_MERGE = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\s[^>]*?(?<=\s)ref\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _merged_ranges(xml: bytes) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The 0-based corners of each ``<mergeCell>`` range (one a reader does not understand is left out)."""
    merged = []
    for double, single in _MERGE.findall(xml):
        try:
            top, left, bottom, right = parse_range((double or single).decode("utf-8", "replace"))
        except ValueError:
            continue
        merged.append(((top - 1, left - 1), (bottom - 1, right - 1)))
    return merged


# The closer looks (error cells, formula cells, cells below a table) accept any prefix: they run on few sheets.
_CELL = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s/>])([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?c\s*>)", re.S)
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v(?:\s[^>]*?)?(?:/>|>([^<]*)</(?:[\w.-]+:)?v\s*>)")  # <v/> holds ""


def _error_cells(path: Path, part: str) -> tuple[tuple[int, int, str], ...]:
    """Where a sheet's error cells are and what they show: the cell readers give such a cell as empty."""
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(part)  # its size was checked with the package, before anything was read
    found = []
    for attributes, body in _CELL.findall(xml):
        if _attribute(attributes, b"t") != "e":
            continue
        where = _attribute(attributes, b"r")
        if where is None:
            continue
        try:
            row, column = parse_cell(where)
        except ValueError:
            continue
        value = _VALUE.search(body or b"")
        text = _text(value.group(1) or b"").strip() if value else ""
        found.append((row - 1, column - 1, text or "#VALUE!"))
    return tuple(found)


_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f(?=[\s/>])([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?f\s*>)", re.S)
_ATTRIBUTES = {name: re.compile(rb"(?<![\w.:-])" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""")
               for name in (b"t", b"r", b"si")}


def _attribute(attributes: bytes, name: bytes) -> str | None:
    """The value of an element's attribute (either quote style, spaces around ``=``), entities undone."""
    found = _ATTRIBUTES[name].search(attributes)
    if found is None:
        return None
    value = found.group(1) if found.group(1) is not None else found.group(2)
    return _text(value)


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return html.unescape(text) if "&" in text else text  # XML's five entities and character references


def _formula_cells(path: Path, part: str) -> dict[tuple[int, int], FormulaCell]:
    """The sheet's formula cells by 0-based (row, column): formula, saved value, and whether it is text.

    Only the cells around each formula element are parsed (a big sheet with a few formulas costs a search, not
    a parse). A shared formula writes its text in its first cell only (``<f t="shared" ref=... si="0">C2+30</f>``);
    the others (``<f t="shared" si="0"/>``) carry that text here, enough to name the functions it calls. Error
    cells are left to the error-cell path, which reports what they show."""
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(part)  # its size was checked with the package, before anything was read
    prefix = prefix_pattern(main_prefixes(xml[:65536].decode("utf-8", "replace"))).encode()
    tag = re.compile(rb"<" + prefix + rb"f[\s>/]")
    cell_start = re.compile(rb"<" + prefix + rb"c[\s>/]")
    cell_end = re.compile(rb"</" + prefix + rb"c\s*>")
    found: dict[tuple[int, int], tuple[str, str | None, bool, str]] = {}
    shared: dict[str, str] = {}
    at = 0
    while (formula_tag := tag.search(xml, at)) is not None:
        end = cell_end.search(xml, formula_tag.end())
        if end is None:
            break
        at = end.end()
        opening = xml.rfind(b"<", 0, formula_tag.start())
        while opening >= 0 and cell_start.match(xml, opening) is None:
            opening = xml.rfind(b"<", 0, opening)
        if opening < 0:
            continue
        cell = _CELL.match(xml, opening, end.end())
        if cell is None:
            continue
        attributes, body = cell.group(1), cell.group(2) or b""
        kind = _attribute(attributes, b"t")
        where = _attribute(attributes, b"r")
        formula = _FORMULA.search(body)
        if kind == "e" or where is None or formula is None:
            continue
        try:
            row, column = parse_cell(where)
        except ValueError:
            continue
        text = _text(formula.group(2) or b"")
        group = _attribute(formula.group(1), b"si") or ""
        if group and text:
            shared.setdefault(group, text)
        value = _VALUE.search(body)
        saved = _text(value.group(1) or b"") if value else None
        found[(row - 1, column - 1)] = (text, saved, kind == "str", group)
    return {where: FormulaCell(text or shared.get(group, ""), saved, text_result)
            for where, (text, saved, text_result, group) in found.items()}


def _asks_recalculation(path: Path) -> bool:
    """Whether the file asks to be recalculated when opened and arxl did not save it last (see the module
    docstring): then a saved 0 may never have been calculated."""
    with zipfile.ZipFile(path) as archive:
        if any(PurePosixPath(name).name.startswith("arxl-") for name in archive.namelist()):
            return False
        root = SafeXml.fromstring(archive.read("xl/workbook.xml"))
    calculation = root.find(f"{{{NS_MAIN}}}calcPr")
    return calculation is not None and calculation.get("fullCalcOnLoad", "0").lower() in ("1", "true")


def _with_formulas(table: RawTable, source: TableSource, scan: SheetScan, recalculate: bool) -> RawTable:
    """``table`` with the formula cells of its data rows, keyed by (Excel row, position in its header)."""
    if source.table:
        top, left, bottom, right = source.top + 1, source.left, source.bottom, source.right
    else:  # a sheet read from its first row
        top, left, bottom, right = 1, 0, scan.last_row, scan.last_column
    formulas = {(row + 1, column - left): replace(cell, recalculate=recalculate)
                for (row, column), cell in scan.formula_cells.items()
                if top <= row <= bottom and left <= column <= right}
    return replace(table, formulas=formulas) if formulas else table


_HAS_VALUE = re.compile(rb"<(?:[\w.-]+:)?(?:v|t)(?:\s[^>]*)?>[^<]|<(?:[\w.-]+:)?f[\s/>]")


def _valued_cells(xml: bytes, below: int) -> tuple[tuple[int, int], ...]:
    """0-based (row, column) of the cells after row ``below`` that hold something: a value, text or a formula."""
    cells = []
    for attributes, body in _CELL.findall(xml):
        where = _attribute(attributes, b"r")
        if where is None or not body or _HAS_VALUE.search(body) is None:
            continue
        try:
            row, column = parse_cell(where)
        except ValueError:
            continue
        if row > below:
            cells.append((row - 1, column - 1))
    return tuple(sorted(cells))


def _below_problems(source: TableSource, scan: SheetScan, sources: list[TableSource]) -> list[Problem]:
    """A warning for the rows right below the table that hold a value in its columns (up to the first row
    without any): rows Excel did not take into the table, so arxl does not read them."""
    others = [other for other in sources if other.part == source.part and other is not source and other.table]
    rows = {row for row, column in scan.below
            if source.left <= column <= source.right
            and not any(other.top <= row <= other.bottom and other.left <= column <= other.right
                        for other in others)}
    first = last = source.bottom + 1  # 0-based: the row right below the table
    while last in rows:
        last += 1
    return [rows_below_problem(source.sheet, source.table, first + 1, last)] if last > first else []


def check_extent(path: Path, sheet: str, scan: SheetScan) -> None:
    """Refuse a sheet whose cells would span more than MAX_SHEET_CELLS (a few stray far-away cells do that)."""
    cells = scan.last_row * (scan.last_column + 1)
    if cells > MAX_SHEET_CELLS:
        raise WorkbookError(f"{path}: refused: sheet {sheet!r} spans {scan.last_row:,} rows x "
                            f"{scan.last_column + 1:,} columns; delete the cells far outside the table "
                            "(Ctrl+End shows the last one) and save again")


def _merged_problems(sheet: str, merged: list, start: tuple[int, int], end: tuple[int, int]) -> list[Problem]:
    """Merged ranges overlapping the table's data rows (0-based corners as calamine gives them)."""
    problems = []
    for (top, left), (bottom, right) in merged:
        if top <= end[0] and bottom >= start[0] and left <= end[1] and right >= start[1]:
            first = cell_reference(top + 1, left + 1)
            last = cell_reference(bottom + 1, right + 1)
            problems.append(Problem("error", sheet, top + 1, "", f"{first}:{last}",
                                    "merged cells inside a data table cannot be read",
                                    "one value per cell (Home > Merge & Center > Unmerge Cells)"))
    return problems


def load_book(path: str | Path) -> LoadResult:
    """Read and validate a workbook file: the ledger and every problem. Raises WorkbookError if unusable."""
    raw, date1904, problems = read_raw_tables(path)
    result = load_tables(raw, date1904=date1904)
    return LoadResult(result.ledger, sort_problems(problems + result.problems))
