"""``XlwingsBook``: the ``arxl.verbs.refresh.BookAdapter`` over a live Excel workbook driven by xlwings.

Besides ``arxl.workbook`` this is the only module that talks to a spreadsheet program; it needs no import of
xlwings itself, only the object model of an ``xw.Book`` it is handed, which is also what lets the tests drive
it with the stand-in of ``tests/xlfake.py``. The xlwings calls it relies on are exactly these:

- reading: ``book.sheets`` (iterate, ``.name``), ``sheet.tables`` (iterate, ``.name``, ``.range``,
  ``.header_row_range``, ``.data_body_range``), ``sheet.used_range``, ``range.options(ndim=2).value``,
  ``range.row``, ``range.column``, ``range.shape``; the 1904 flag from ``book.api.Date1904`` where the
  platform exposes it (Windows COM; elsewhere False: xlwings already turns date cells into datetimes, the flag
  only matters for serial numbers typed into date columns);
- appending rows to a table: ``table.show_totals``, ``table.resize(range)``, and ``range.value`` and
  ``range.number_format`` on the rows below the table's data;
- writing: ``book.sheets.add(name, after=...)``, ``sheet.clear()``, ``sheet.delete()``, ``sheet.visible``,
  ``sheet.charts`` (``.delete()``), ``sheet.range(...)`` with ``.value``, ``.formula``, ``.number_format``,
  ``.column_width``, ``.font`` (bold, italic, size, color), ``.color`` (fill), ``.wrap_text``, ``.merge()``,
  ``.left``/``.top``,
  ``sheet.tables.add(source, name)``, ``sheet.freeze_panes.freeze_at(address)``,
  ``sheet.charts.add(left, top, width, height, chart_type, source, plot_by)`` and
  ``chart.set_x_axis_values(range)``;
- ``book.app.status_bar``, ``book.app.screen_updating`` and ``book.app.alert(...)`` for the faces.

Appending rows. Excel does not grow a Table when a program writes below it, so the rows are written after the
table's last filled row (an empty row inside the table, such as the template's, is filled first), one column at
a time so that the user's calculated columns are left to Excel, each new cell taking the number format of the
table's first data row, and the table is then resized over them. Text is quote-prefixed like everything arxl
writes. Refused before any cell changes: a table that is not there, a table showing its Total Row, and cells
in the way below the table.

Which sheets arxl owns. The file writer records them in the custom document property
``arxl.generated_sheets``; xlwings has no API for custom document properties, and a text property holds at
most 255 characters through Excel's object model (too few for a book with a statement sheet per customer).
So a live book records them on a hidden sheet ``arxl_generated`` (one name per row in column A), which works
the same on Windows and macOS. On read, the names on that sheet are joined with those of the custom property
where ``book.api.CustomDocumentProperties`` is reachable (Windows), so a book refreshed by the CLI and then
by the ribbon (or the other way round) keeps one list; on write, both are updated (the property only when
reachable and short enough).

Writing. Generated sheets are cleared and rewritten in place, never deleted and recreated, so that formulas
the user wrote against them (``='Aging'!H20``) keep working. Everything that can be refused (a sheet of the
same name that arxl does not own, an Excel Table name taken by a user's table) is checked before the first
cell changes. Every text from the data is written with Excel's quote prefix (``'``), so that a name such as
``=HYPERLINK(...)`` or ``1-2`` stays text and never becomes a formula, a number or a date. Not carried over
to a live book (the file writer does them): borders, alignment, conditional formats, merged print titles,
page setup, tab colours and a chart's secondary axis; a chart the platform refuses is skipped with a note in
``notes``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
import pandas as pd

from .. import contract
from ..contract import normalise_header
from ..errors import SaveRefused, WorkbookError
from ..excel import column_letter, parse_range
from ..load import RawTable
from ..problems import Problem
from ..render.spec import Block, Cell, CellStyle, Chart, SheetSpec
from ..verbs.refresh import Append, Committed
from .generated import OWNED_PROPERTY

OWNED_SHEET = "arxl_generated"
_PROPERTY_LIMIT = 255
_MSO_PROPERTY_STRING = 4
_MOST_ROW_HEIGHTS = 2000  # rows of wrapped text given their height one by one (more is left to Excel's autofit)
_CHART_TYPES = {"bar_stacked": "bar_stacked", "column_stacked": "column_stacked", "column": "column_clustered",
                "line": "line"}

Say = Callable[[str], None]


def frozen_address(freeze: tuple[int, int]) -> str:
    """The frozen top-left block for a first unfrozen cell (row, column): (5, 3) -> ``A1:B4``."""
    row, column = freeze
    if row > 1 and column > 1:
        return f"A1:{column_letter(column - 1)}{row - 1}"
    if row > 1:
        return f"1:{row - 1}"
    return f"A:{column_letter(column - 1)}"


def excel_value(value: object) -> object:
    """A Python value as it must be handed to Excel: text quote-prefixed, dates as datetime, no NaN."""
    if value is None:
        return None
    if isinstance(value, str):
        return "'" + value if value else None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _column_values(series: pd.Series) -> list[object]:
    if series.dtype.kind == "M":
        stamps = pd.to_datetime(series)
        return [None if pd.isna(stamp) else stamp.to_pydatetime() for stamp in stamps]
    if series.dtype.kind == "f":
        return [None if math.isnan(number) else number for number in series.to_numpy(dtype=np.float64).tolist()]
    if series.dtype.kind in "iu":
        return series.to_numpy().tolist()
    return [excel_value(value) for value in series.to_numpy(dtype=object)]


def block_rows(block: Block) -> list[list[object]]:
    """A block as the 2-D list written in one call: header row, then the data rows."""
    columns = [_column_values(block.frame[name]) for name in block.frame.columns]
    header = [excel_value(str(name)) for name in block.frame.columns]
    return [header, *(list(row) for row in zip(*columns, strict=True))] if columns else [header]


class XlwingsBook:
    """``arxl.verbs.refresh.BookAdapter`` over a live ``xw.Book`` (see the module docstring).

    ``notes`` collects what could not be carried over (a chart the platform refused), for the status bar.
    """

    def __init__(self, book: Any, *, say: Say | None = None):
        self.book = book
        self.say = say or (lambda _message: None)
        self.notes: list[str] = []

    def hold(self) -> AbstractContextManager[None]:
        return nullcontext()  # Excel runs one macro at a time: nothing else changes the book meanwhile

    # --- reading ------------------------------------------------------------------------------------------

    def read_tables(self) -> tuple[dict[str, RawTable], bool, list[Problem]]:
        """The contract's tables from their Excel Tables (any sheet, names case-insensitive); failing that, a
        sheet of the table's name read from its first row (with a warning), as the file reader does."""
        tables: dict[str, RawTable] = {}
        problems: list[Problem] = []
        found: dict[str, tuple[Any, Any]] = {}
        sheets = list(self.book.sheets)
        for sheet in sheets:
            for table in sheet.tables:
                found.setdefault(str(table.name).casefold(), (sheet, table))
        by_sheet = {str(sheet.name).casefold(): sheet for sheet in sheets}
        for spec in contract.TABLES:
            hit = found.get(spec.name.casefold())
            if hit is not None:
                sheet, table = hit
                header_range = table.header_row_range
                header = header_range.options(ndim=2, err_to_str=True).value[0] if header_range is not None else []
                body = table.data_body_range
                rows = body.options(ndim=2, err_to_str=True).value if body is not None else []
                first_row = (header_range.row if header_range is not None else table.range.row) + 1
                tables[spec.name] = RawTable(spec.name, list(header), _trim_blank_tail(rows), first_row,
                                             str(sheet.name))
                continue
            sheet = by_sheet.get(spec.name.casefold())
            if sheet is None:
                continue
            used = sheet.used_range
            values = used.options(ndim=2, err_to_str=True).value or [[]]
            header, rows = (values[0], values[1:]) if used.row == 1 else ([], values)
            tables[spec.name] = RawTable(spec.name, list(header), _trim_blank_tail(rows), 2, str(sheet.name))
            problems.append(Problem("warning", str(sheet.name), None, "", "",
                                    f"holds no Excel Table named {spec.name}; its first row is read as the header",
                                    f"an Excel Table named {spec.name} (Insert > Table)"))
        return tables, self._date1904(), problems

    def sheet_values(self, name: str) -> list[list[object]] | None:
        sheet = self._sheet(name)
        if sheet is None:
            return None
        used = sheet.used_range
        height, width = used.shape
        corner = (used.row + height - 1, used.column + width - 1)
        return sheet.range((1, 1), corner).options(ndim=2, err_to_str=True).value

    def _date1904(self) -> bool:
        try:
            return bool(self.book.api.Date1904)
        except Exception:  # macOS/appscript or a stand-in: no such property; xlwings converts dates already
            return False

    # --- which sheets are arxl's ----------------------------------------------------------------------------

    def owned_sheets(self) -> list[str]:
        names: list[str] = []
        record = self._sheet(OWNED_SHEET)
        if record is not None:
            values = record.used_range.options(ndim=2).value or []
            names.extend(str(row[0]) for row in values if row and row[0])
        prop = self._custom_property()
        if prop:
            names.extend(name for name in prop.split("/") if name)
        return list(dict.fromkeys(names))

    def _custom_property(self) -> str | None:
        try:
            return str(self.book.api.CustomDocumentProperties(OWNED_PROPERTY).Value)
        except Exception:  # not reachable on this platform, or not set
            return None

    def _record_owned(self, names: list[str]) -> None:
        record = self._sheet(OWNED_SHEET)
        if record is None:
            record = self.book.sheets.add(OWNED_SHEET, after=self._last_sheet())
        record.clear()
        if names:
            record.range("A1").value = [[excel_value(name)] for name in names]
        record.visible = False
        value = "/".join(names)
        if len(value) > _PROPERTY_LIMIT:
            return
        try:
            properties = self.book.api.CustomDocumentProperties
        except Exception:  # no custom properties through this platform's object model: the sheet is the record
            return
        try:
            properties(OWNED_PROPERTY).Value = value
        except Exception:  # the property does not exist yet
            try:
                properties.Add(Name=OWNED_PROPERTY, LinkToContent=False, Type=_MSO_PROPERTY_STRING, Value=value)
            except Exception as exc:
                self.notes.append(f"the list of generated sheets was kept on the {OWNED_SHEET} sheet only ({exc})")

    def _last_sheet(self) -> Any:
        """Where new sheets go: after the last sheet other than the hidden record of owned sheets."""
        sheets = [sheet for sheet in self.book.sheets if str(sheet.name).casefold() != OWNED_SHEET.casefold()]
        return sheets[-1] if sheets else list(self.book.sheets)[-1]

    def _sheet(self, name: str) -> Any | None:
        for sheet in self.book.sheets:
            if str(sheet.name).casefold() == name.casefold():
                return sheet
        return None

    # --- writing --------------------------------------------------------------------------------------------

    def commit(self, appends: Sequence[Append], specs: Sequence[SheetSpec] = (), replace: Sequence[str] = (), *,
               keep_backups: int) -> Committed:
        """See ``BookAdapter.commit``; ``keep_backups`` does not apply: the user saves a live book."""
        if any(append.rows.empty for append in appends):
            raise ValueError("an append holds no rows")
        if len({append.table.name for append in appends}) != len(appends):
            raise ValueError("one append per table")
        places = [self._append_place(append) for append in appends]
        writes_sheets = bool(specs or replace or not appends)
        if writes_sheets:
            self._check_sheets(specs)
        app = self.book.app
        updating = app.screen_updating
        app.screen_updating = False
        try:
            for append, place in zip(appends, places, strict=True):
                self.say(f"appending {len(append.rows):,} row(s) to {append.table.name}")
                place.write(append.rows)
            if writes_sheets:
                self._write_sheets(specs, replace)
        finally:
            app.screen_updating = updating
        return Committed(tuple(place.first_new for place in places))

    def _append_place(self, append: Append) -> _TablePlace:
        for sheet in self.book.sheets:
            for table in sheet.tables:
                if str(table.name).casefold() == append.table.name.casefold():
                    return _TablePlace.find(sheet, table, len(append.rows))
        raise WorkbookError(f"the workbook has no Excel Table named {append.table.name}")

    def _check_sheets(self, specs: Sequence[SheetSpec]) -> None:
        """Refuse, before anything changes, a sheet or an Excel Table of the user's that has a name arxl writes."""
        owned_folded = {name.casefold() for name in self.owned_sheets()}
        existing = {str(sheet.name).casefold(): sheet for sheet in self.book.sheets}
        for spec in specs:
            if spec.name.casefold() in existing and spec.name.casefold() not in owned_folded:
                raise SaveRefused(f'the workbook has a sheet named "{spec.name}" that arxl did not create; '
                                  "rename it so that arxl can write its own")
        wanted_tables = {block.table_name.casefold() for spec in specs for block in spec.blocks
                         if block.table_name}
        for name, sheet in existing.items():
            if name in owned_folded:
                continue
            for table in sheet.tables:
                if str(table.name).casefold() in wanted_tables:
                    raise SaveRefused(f'the Excel Table "{table.name}" on sheet "{sheet.name}" has a name arxl '
                                      "uses for its own sheets; rename it")

    def _write_sheets(self, specs: Sequence[SheetSpec], replace: Sequence[str]) -> None:
        owned = self.owned_sheets()
        existing = {str(sheet.name).casefold(): sheet for sheet in self.book.sheets}
        targets = []
        for spec in specs:
            sheet = existing.get(spec.name.casefold())
            if sheet is None:
                sheet = self.book.sheets.add(spec.name, after=self._last_sheet())
            else:
                _clear(sheet)
            targets.append(sheet)
        for spec, sheet in zip(specs, targets, strict=True):
            self.say(f"writing {spec.name}")
            self._write(sheet, spec)
        written = {spec.name.casefold() for spec in specs}
        removed = set()
        for name in replace:
            if name.casefold() not in written and name.casefold() in existing:
                existing[name.casefold()].delete()
                removed.add(name.casefold())
        kept = [name for name in owned if name.casefold() not in removed and name.casefold() not in written]
        self._record_owned(kept + [spec.name for spec in specs])

    def _write(self, sheet: Any, spec: SheetSpec) -> None:
        for block in spec.blocks:
            _write_block(sheet, block, spec)
        for (row, column), cell in sorted(spec.cells.items()):
            _write_cell(sheet.range((row, column)), cell, spec)
        for merged in spec.merges:
            sheet.range(merged).merge()
        for column, width in sorted(spec.widths.items()):
            sheet.range((1, column)).column_width = width
        for row, height in sorted(spec.heights.items())[:_MOST_ROW_HEIGHTS]:
            sheet.range((row, 1)).row_height = height
        for block in spec.blocks:
            if block.table_name:
                last = block.top + max(len(block.frame), 1)
                right = block.left + len(block.frame.columns) - 1
                sheet.tables.add(source=sheet.range((block.top, block.left), (last, right)), name=block.table_name)
        for chart in spec.charts:
            try:
                _add_chart(sheet, chart)
            except Exception as exc:  # a chart is decoration: the figures are written, say what was skipped
                self.notes.append(f'{spec.name}: chart "{chart.title}" skipped ({exc})')
        if spec.freeze:
            sheet.freeze_panes.freeze_at(frozen_address(spec.freeze))


class _TablePlace:
    """Where rows appended to one Excel Table land, worked out (and refused) before anything is written."""

    def __init__(self, sheet: Any, table: Any, columns: dict[str, int], bounds: tuple[int, int, int, int],
                 first_new: int, first_data: int | None):
        self.sheet, self.table, self.columns = sheet, table, columns
        self.top, self.left, self.bottom, self.right = bounds
        self.first_new = first_new
        self.first_data = first_data

    @classmethod
    def find(cls, sheet: Any, table: Any, count: int) -> _TablePlace:
        if getattr(table, "show_totals", False):
            raise SaveRefused(f"{table.name}: the table shows a Total Row; turn it off (Table Design > Total Row) "
                              "so that rows can be added, then turn it on again")
        whole = table.range
        height, width = whole.shape
        top, left = whole.row, whole.column
        bounds = (top, left, top + height - 1, left + width - 1)
        header = table.header_row_range.options(ndim=2).value[0]
        columns = {normalise_header(name): left + offset for offset, name in enumerate(header)}
        body = table.data_body_range
        rows = body.options(ndim=2).value if body is not None else []
        filled = [offset for offset, row in enumerate(rows) if any(cell not in (None, "") for cell in row)]
        first_new = top + 1 + (filled[-1] + 1 if filled else 0)
        last_new = first_new + count - 1
        if last_new > bounds[2]:
            below = sheet.range((bounds[2] + 1, left), (last_new, bounds[3])).options(ndim=2).value
            for number, row in enumerate(below, start=bounds[2] + 1):
                if any(cell not in (None, "") for cell in row):
                    raise SaveRefused(f"{table.name}: the cells below the table (row {number}) are not empty; "
                                      "move them so the table can grow")
        return cls(sheet, table, columns, bounds, first_new, top + 1 if filled else None)

    def write(self, rows: pd.DataFrame) -> None:
        last_new = self.first_new + len(rows) - 1
        for name in rows.columns:
            column = self.columns.get(normalise_header(name))
            if column is None:
                continue
            target = self.sheet.range((self.first_new, column), (last_new, column))
            target.value = [[value] for value in _column_values(rows[name])]
            if self.first_data is not None:
                target.number_format = self.sheet.range((self.first_data, column)).number_format
        if last_new > self.bottom:
            self.table.resize(self.sheet.range((self.top, self.left), (last_new, self.right)))


def _trim_blank_tail(rows: Sequence[Sequence[object]] | None) -> list[list[object]]:
    """Rows without the wholly blank ones at the end (a used range or an Excel Table's empty insert row)."""
    rows = [list(row) for row in rows or []]
    while rows and all(cell is None or cell == "" for cell in rows[-1]):
        rows.pop()
    return rows


def _clear(sheet: Any) -> None:
    for chart in list(sheet.charts):
        chart.delete()
    sheet.clear()
    for table in list(sheet.tables):
        # Clearing every cell removes a Table in Excel; if one survives, remove it through the native object.
        api = table.api
        (api.Delete if hasattr(api, "Delete") else api.delete)()


def _apply_style(target: Any, style: CellStyle) -> None:
    if style.number_format != "General":
        target.number_format = style.number_format
    if style.bold:
        target.font.bold = True
    if style.italic:
        target.font.italic = True
    if style.size != 11:
        target.font.size = style.size
    if style.color:
        target.font.color = "#" + style.color
    if style.fill:
        target.color = "#" + style.fill
    if style.wrap:
        target.wrap_text = True


def _write_block(sheet: Any, block: Block, spec: SheetSpec) -> None:
    rows = block_rows(block)
    width = len(block.frame.columns)
    if width == 0:
        return
    sheet.range((block.top, block.left)).value = rows
    _apply_style(sheet.range((block.top, block.left), (block.top, block.left + width - 1)), spec.style("header"))
    if len(block.frame) == 0:
        return
    last = block.top + len(block.frame)
    for offset, style_name in enumerate(block.styles):
        column = block.left + offset
        if isinstance(style_name, str):
            _apply_style(sheet.range((block.top + 1, column), (last, column)), spec.style(style_name))
        else:  # one style per row (PASS/FAIL, a rule under a group): one call per run of equal styles
            names = list(style_name)
            start = 0
            for index in range(1, len(names) + 1):
                if index == len(names) or names[index] != names[start]:
                    _apply_style(sheet.range((block.top + 1 + start, column), (block.top + index, column)),
                                 spec.style(names[start]))
                    start = index


def _write_cell(target: Any, cell: Cell, spec: SheetSpec) -> None:
    if cell.formula:
        target.formula = "=" + cell.formula
    else:
        target.value = excel_value(cell.value)
    _apply_style(target, spec.style(cell.style))


def _add_chart(sheet: Any, chart: Chart) -> None:
    """The chart's series as one block of columns (header row above them gives the series names); categories
    set separately. Series that do not sit side by side cannot be given as one source and are refused."""
    areas = [parse_range(series.values) for series in chart.series]
    first, last = areas[0], areas[-1]
    columns = [area[1] for area in areas]
    if columns != list(range(columns[0], columns[0] + len(columns))) or any(
            (area[0], area[2]) != (first[0], first[2]) for area in areas):
        raise ValueError("its series are not adjacent columns")
    top_left = sheet.range(chart.anchor_from)
    bottom_right = sheet.range(chart.anchor_to)
    left, top = top_left.left, top_left.top
    source = sheet.range((first[0] - 1, first[1]), (last[2], last[1]))
    created = sheet.charts.add(left=left, top=top, width=max(bottom_right.left - left, 200),
                               height=max(bottom_right.top - top, 120), chart_type=_CHART_TYPES[chart.kind],
                               source=source, plot_by="columns")
    category = parse_range(chart.categories)
    created.set_x_axis_values(sheet.range((category[0], category[1]), (category[2], category[3])))
