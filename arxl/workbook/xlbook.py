"""``XlwingsBook``: the ``arxl.verbs.refresh.BookAdapter`` over a live Excel workbook driven by xlwings.

Besides ``arxl.workbook`` this is the only module that talks to a spreadsheet program; it needs no import of
xlwings itself, only the object model of an ``xw.Book`` it is handed, which is also what lets the tests drive
it with the stand-in of ``tests/xlfake.py``. The xlwings calls it relies on are exactly these:

- reading: ``book.sheets`` (iterate, ``.name``), ``sheet.tables`` (iterate, ``.name``, ``.range``,
  ``.header_row_range``, ``.data_body_range``), ``sheet.used_range``, ``range.options(ndim=2).value``,
  ``range.row``, ``range.column``, ``range.shape``; the 1904 flag from ``book.api.Date1904`` where the
  platform exposes it (Windows COM; elsewhere False: xlwings already turns date cells into datetimes, the flag
  only matters for serial numbers typed into date columns); ``sheet.range((row, column), (row, column))``
  under each table, for rows typed below it that Excel did not take in (a warning, as the file reader gives).
  Formulas need nothing: Excel hands over the values it has just calculated (a file's saved values are what
  ``arxl.cells.formula_problem`` doubts);
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

The same object model drives xlwings Lite's ``Book`` (Office.js underneath), with two differences the adapter
allows for: ``app.screen_updating`` cannot be read there (it is then only switched off), and an Excel Table
cannot be deleted there, nor does clearing its cells remove it: a generated sheet still holding a Table after
``clear()`` is deleted and added again at the same place instead (formulas of the user's pointing at it then
show #REF!, the price of that platform).

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

import contextlib
import datetime as dt
import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .. import contract
from ..contract import normalise_header
from ..errors import SaveRefused, WorkbookError
from ..excel import column_letter, parse_range
from ..load import RawTable
from ..ownership import (
    LEGACY_KEY,
    MARKER_NAME,
    STATE_KEY,
    BookState,
    GeneratedBook,
    Placement,
    SheetDigest,
    SheetRecord,
    WritePlan,
    adopt_legacy,
    digest_values,
    marker_key,
    marker_text,
    plan_write,
    read_state,
    record_for,
    renamed,
    resolve_markers,
    spec_key,
    state_spec,
)
from ..problems import Problem, rows_below_problem
from ..render.spec import Block, Cell, CellStyle, Chart, SheetSpec
from ..verbs.refresh import Append, Committed, SetCell
from .generated import LEGACY_SHEET, OWNED_PROPERTY

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
                problems.extend(_rows_below(sheet, table))
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

    def generated(self) -> GeneratedBook:
        markers = []
        names = []
        for sheet in self.book.sheets:
            names.append(str(sheet.name))
            key = _marker(sheet)
            if key is not None:
                markers.append((str(sheet.name), key))
        state_name = next((name for name, key in markers if key == STATE_KEY), None)
        state, notes = read_state(self.sheet_values(state_name)) if state_name else (BookState(), [])
        book = resolve_markers(markers, state, names)
        book.notes[:0] = notes
        if not markers:
            adopt_legacy(book, self._legacy_names())
        return book

    def sheet_digest(self, name: str, record: SheetRecord) -> tuple[SheetDigest, list[list[object]]] | None:
        sheet = self._sheet(name)
        if sheet is None:
            return None
        values = self.sheet_values(name) or []
        used = sheet.used_range
        formulas = used.formula
        if not isinstance(formulas, list | tuple):
            formulas = [[formulas]]
        elif formulas and not isinstance(formulas[0], list | tuple):
            formulas = [formulas]
        positions = [(used.row + down, used.column + across) for down, row in enumerate(formulas)
                     for across, text in enumerate(row) if isinstance(text, str) and text.startswith("=")]
        return digest_values(values, formulas=positions, skip_columns=record.entry_columns), values

    def inputs_fingerprint(self) -> str | None:
        return None  # a live book has no parts to compare: its tables are compared every time

    def who(self) -> tuple[str, str]:
        """(the book's last author where Excel's object model tells it, else Excel's user name; the OS user)."""
        import getpass

        author = ""
        for getter in (lambda: self.book.api.BuiltinDocumentProperties("Last Author").Value,
                       lambda: self.book.app.api.UserName):
            with contextlib.suppress(Exception):  # macOS and stand-ins expose neither
                author = str(getter() or "")
            if author:
                break
        return author, getpass.getuser()

    def _legacy_names(self) -> list[str]:
        """The sheets an older arxl listed on its hidden ``arxl_generated`` sheet or in the custom property."""
        names: list[str] = []
        record = self._sheet(LEGACY_SHEET)
        if record is not None:
            values = record.used_range.options(ndim=2).value or []
            names.extend(str(row[0]) for row in values if row and row[0])
            names.append(LEGACY_SHEET)
        try:
            listed = str(self.book.api.CustomDocumentProperties(OWNED_PROPERTY).Value)
        except Exception:  # not reachable on this platform, or not set
            listed = ""
        names.extend(name for name in listed.split("/") if name)
        return list(dict.fromkeys(names))

    def _drop_legacy_property(self) -> None:
        try:
            self.book.api.CustomDocumentProperties(OWNED_PROPERTY).Delete()
        except Exception:  # not reachable on this platform, or not set
            return

    def _last_sheet(self) -> Any:
        return list(self.book.sheets)[-1]

    def _sheet(self, name: str) -> Any | None:
        for sheet in self.book.sheets:
            if str(sheet.name).casefold() == name.casefold():
                return sheet
        return None

    # --- writing --------------------------------------------------------------------------------------------

    def commit(self, appends: Sequence[Append], specs: Sequence[SheetSpec] = (), replace: Sequence[str] = (), *,
               keep_backups: int, book: GeneratedBook | None = None,
               state_extra: dict[str, str | None] | None = None, cells: Sequence[SetCell] = ()) -> Committed:
        """See ``BookAdapter.commit``; ``keep_backups`` does not apply: the user saves a live book."""
        if any(append.rows.empty for append in appends):
            raise ValueError("an append holds no rows")
        if len({append.table.name for append in appends}) != len(appends):
            raise ValueError("one append per table")
        places = [self._append_place(append) for append in appends]
        writes_sheets = bool(specs or replace or state_extra or not (appends or cells))
        targets = [self._cell_target(cell) for cell in cells]
        found = book if book is not None else self.generated()
        patterns = [*replace, LEGACY_KEY] if any(key.startswith(LEGACY_KEY) for key in found.sheets) else replace
        plan = plan_write(found, specs, patterns)
        if writes_sheets:
            self._check_tables(plan, found)
        app = self.book.app
        try:
            updating = app.screen_updating
        except NotImplementedError:  # xlwings Lite: it can only be switched off until the script ends
            updating = True
        app.screen_updating = False
        try:
            for cell, target in zip(cells, targets, strict=True):
                target.value = excel_value(cell.value)
                if isinstance(cell.value, dt.date):
                    target.number_format = "yyyy-mm-dd"
            for append, place in zip(appends, places, strict=True):
                self.say(f"appending {len(append.rows):,} row(s) to {append.table.name}")
                place.write(append.rows)
            if writes_sheets:
                names, removed = self._write_sheets(plan, found, state_extra or {})
            else:
                names, removed = {}, ()
        finally:
            app.screen_updating = updating
        return Committed(tuple(place.first_new for place in places), None, names, removed, tuple(plan.notes))

    def _cell_target(self, cell: SetCell) -> Any:
        """The range of ``cell``: its table's column on its row (refused before anything changes if missing)."""
        for sheet in self.book.sheets:
            for table in sheet.tables:
                if str(table.name).casefold() != cell.table.name.casefold():
                    continue
                header = table.header_row_range.options(ndim=2).value[0]
                columns = [normalise_header(str(name)) for name in header]
                top = table.header_row_range.row
                bottom = top + table.range.shape[0] - 1
                if cell.column not in columns or not top < cell.row <= bottom:
                    break
                return sheet.range((cell.row, table.range.column + columns.index(cell.column)))
        raise WorkbookError(f"{cell.table.name} row {cell.row}, {cell.column}: not a cell of the table")

    def _append_place(self, append: Append) -> _TablePlace:
        for sheet in self.book.sheets:
            for table in sheet.tables:
                if str(table.name).casefold() == append.table.name.casefold():
                    return _TablePlace.find(sheet, table, len(append.rows))
        raise WorkbookError(f"the workbook has no Excel Table named {append.table.name}")

    def _check_tables(self, plan: WritePlan, book: GeneratedBook) -> None:
        """Refuse, before anything changes, an Excel Table of the user's that has a name arxl writes."""
        ours = {sheet.name.casefold() for sheet in book.sheets.values()}
        wanted = {block.table_name.casefold() for placement in plan.placements for block in placement.spec.blocks
                  if block.table_name}
        for sheet in self.book.sheets:
            if str(sheet.name).casefold() in ours:
                continue
            for table in sheet.tables:
                if str(table.name).casefold() in wanted:
                    raise SaveRefused(f'the Excel Table "{table.name}" on sheet "{sheet.name}" has a name arxl '
                                      "uses for its own sheets; rename it")

    def _write_sheets(self, plan: WritePlan, book: GeneratedBook, state_extra: dict[str, str | None]
                      ) -> tuple[dict[str, str], tuple[str, ...]]:
        records = {key: record for key, record in book.state.sheets.items() if key in book.sheets}
        written: dict[str, str] = {}
        for placement in plan.placements:
            spec = renamed(placement.spec, placement.name)
            self._place(placement, spec)
            records[spec_key(spec)] = record_for(spec, placement.name)
            written[spec_key(spec)] = placement.name
        removed = []
        for sheet in plan.remove:
            target = self._sheet(sheet.name)
            records.pop(sheet.key, None)
            if target is not None:
                target.delete()
                removed.append(sheet.name)
        for copy in book.copies:
            target = self._sheet(copy)
            if target is not None:
                _drop_marker(target)
        for key in [key for key in records if key.startswith(LEGACY_KEY)]:
            records.pop(key)
        if any(key.startswith(LEGACY_KEY) for key in book.sheets):
            self._drop_legacy_property()
        for key, sheet in book.sheets.items():
            if key in records and key not in written:
                records[key] = replace(records[key], name=sheet.name)
        extra = {name: text for name, text in {**book.state.extra, **state_extra}.items() if text is not None}
        state = state_spec(BookState(records, extra))
        existing = book.name_of(STATE_KEY)
        self._place(Placement(state, existing or state.name, existing), state)
        return written, tuple(name for name in removed if name.casefold() != LEGACY_SHEET)

    def _place(self, placement: Placement, spec: SheetSpec) -> None:
        """Write ``spec`` to its sheet: cleared and rewritten in place (formulas elsewhere that point at it keep
        working), or added after the last sheet; then marked."""
        sheet = self._sheet(placement.existing) if placement.existing is not None else None
        if sheet is None:
            sheet = self.book.sheets.add(placement.name, after=self._last_sheet())
        elif not _clear(sheet):
            sheet = self._replace_sheet(sheet)
        self.say(f"writing {placement.name}")
        self._write(sheet, spec)
        _drop_marker(sheet)
        marker = sheet.names.add(MARKER_NAME, '="' + marker_text(spec_key(spec)).replace('"', '""') + '"')
        with contextlib.suppress(Exception):  # Windows hides it from the Name Manager; elsewhere it stays visible
            marker.api.Visible = False
        if spec.hidden:
            sheet.visible = False

    def _replace_sheet(self, sheet: Any) -> Any:
        """Delete ``sheet`` and add an empty one of the same name at the same place."""
        sheets = list(self.book.sheets)
        position = [str(item.name) for item in sheets].index(str(sheet.name))
        name = str(sheet.name)
        following = sheets[position + 1] if position + 1 < len(sheets) else None
        sheet.delete()
        if following is not None:
            return self.book.sheets.add(name, before=following)
        return self.book.sheets.add(name, after=list(self.book.sheets)[-1])

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


def _rows_below(sheet: Any, table: Any) -> list[Problem]:
    """The warning for rows right below the Excel Table holding a value in its columns (up to the first row
    without any), as the file reader gives it: Excel did not take them into the table."""
    area = table.range
    height, width = area.shape
    bottom = area.row + height - 1
    used = sheet.used_range
    last_used = used.row + used.shape[0] - 1
    if last_used <= bottom:
        return []
    values = sheet.range((bottom + 1, area.column), (last_used, area.column + width - 1)).options(ndim=2).value
    count = 0
    for row in values or []:
        if all(value is None or value == "" for value in row):
            break
        count += 1
    return [rows_below_problem(str(sheet.name), str(table.name), bottom + 1, bottom + count)] if count else []


def _trim_blank_tail(rows: Sequence[Sequence[object]] | None) -> list[list[object]]:
    """Rows without the wholly blank ones at the end (a used range or an Excel Table's empty insert row)."""
    rows = [list(row) for row in rows or []]
    while rows and all(cell is None or cell == "" for cell in rows[-1]):
        rows.pop()
    return rows


def _clear(sheet: Any) -> bool:
    """Empty ``sheet``; False when an Excel Table survives that this platform cannot delete (xlwings Lite)."""
    for chart in list(sheet.charts):
        chart.delete()
    sheet.clear()
    for table in list(sheet.tables):
        # Clearing every cell removes a Table in Excel; if one survives, remove it through the native object.
        api = table.api
        remove = getattr(api, "Delete", None) or getattr(api, "delete", None)
        if remove is None:
            return False
        remove()
    return True


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


def _marker(sheet: Any) -> str | None:
    """The key of the sheet's arxl marker (a sheet-scoped name ``Sheet!_arxl_sheet``), or None."""
    try:
        names = list(sheet.names)
    except Exception:  # a platform without sheet-scoped names through its object model
        return None
    for name in names:
        if str(name.name).rsplit("!", 1)[-1].casefold() == MARKER_NAME.casefold():
            return marker_key(str(name.refers_to or ""))
    return None


def _drop_marker(sheet: Any) -> None:
    for name in list(sheet.names):
        if str(name.name).rsplit("!", 1)[-1].casefold() == MARKER_NAME.casefold():
            name.delete()
