"""An in-memory stand-in for the part of xlwings' object model that ``arxl.workbook.xlbook`` and ``macros/`` use.

Excel cannot run on the test machines, so the adapter is driven against this. It models only what the
adapter calls (listed in ``arxl/workbook/xlbook.py``'s docstring) and the ribbon's dialogs, with the behaviour
of Excel that matters to them:

- ``App``: ``status_bar`` (every message kept in ``status_log``), ``screen_updating``, ``alert()`` (kept in
  ``alerts``), ``books.active``, and ``api``: on Windows (the default) COM's ``GetOpenFilename(FileFilter=,
  Title=)`` and ``InputBox(Prompt=, Title=, Type=)``, on macOS (``App(platform="mac")``) appscript's
  ``input_box(prompt=, title=)`` and no ``GetOpenFilename``. What the user answers is queued in ``answers``: a
  dialog returns the next answer, or False (Cancel, as Excel returns it) when there is none; a message box with
  a choice (``ok_cancel``, ``yes_no``) returns the next answer, or its first button ("ok", "yes") when there is
  none. Every dialog is kept in ``dialogs``.
- ``Book``: ``name``, ``sheets``, ``app``, ``api`` (``Date1904`` and, when ``custom_properties`` is given, a
  COM-like ``CustomDocumentProperties(name).Value`` / ``.Add(Name=, LinkToContent=, Type=, Value=)``).
- ``Sheets``: iteration, ``[name]``/``[index]``, ``add(name, before=, after=)`` (a clash raises like Excel).
- ``Sheet``: ``name``, ``names`` (sheet-scoped names: ``add(name, refers_to)``, iteration, ``Name.name`` as
  Excel reports it, ``Sheet1!Local``, ``refers_to``, ``delete()``; kept by ``clear()``, as in Excel), ``range()``,
  ``used_range``, ``tables``, ``charts``, ``clear()`` (values, formats and
  Excel Tables; charts stay, as in Excel), ``delete()``, ``visible``, ``freeze_panes.freeze_at()``.
- ``Range``: ``value`` (read: a scalar for one cell, a list for one row or column, else rows; ``options(ndim=2)``
  always gives rows; write: a scalar fills the range, a list of rows spreads from the top-left cell),
  ``formula``, ``number_format``, ``column_width``, ``font`` (bold, italic, size, color), ``color``,
  ``wrap_text``, ``merge()``, ``row``, ``column``, ``left``, ``top``, and ``api.Value2`` as COM gives it through
  pywin32 (a tuple of row tuples, or a scalar for one cell; numbers, Decimals included, as float; dates as
  serial numbers of the book's date system; error cells as Excel's error codes; blanks as None).
  Writing a value coerces text as Excel does when it is typed in: ``'...`` is stored as text without the quote,
  ``=...`` becomes a formula, and text that looks like a number becomes a number. That is what makes the
  adapter's quote prefix testable.
- ``Tables``: iteration, ``[name]``, ``add(source, name)``; a Table has ``name``, ``range``,
  ``header_row_range``, ``data_body_range`` (None when it has no data rows), ``show_totals`` and
  ``resize(range)`` (as in Excel, the header must stay on its row and the new range must overlap the old one);
  names are unique per book. As in Excel driven by a program, writing below a Table does not grow it.
- ``Charts``: iteration, ``add(...)`` (arguments kept), ``chart.set_x_axis_values()``, ``chart.delete()``.

``App(platform="lite")`` models xlwings Lite's ``Book`` (Office.js, through xlwings' remote engine) where it
differs: no status bar (setting it raises NotImplementedError), ``screen_updating`` can be set but not read,
a Table's ``api`` is a plain dict with no way to delete the Table, and ``sheet.clear()`` leaves Tables in place.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
COLUMN_POINTS = 48.0  # width of a column in points (8.43 characters at the default font)
ROW_POINTS = 15.0


@dataclass
class Font:
    bold: bool = False
    italic: bool = False
    size: float = 11
    color: str | None = None


@dataclass
class CellData:
    value: Any = None
    formula: str = ""
    number_format: str = "General"
    font: Font = field(default_factory=Font)
    fill: str | None = None
    wrap: bool = False
    merged: bool = False


def _typed(value: Any) -> tuple[Any, str]:
    """(stored value, formula) for a value written to a cell, coerced as Excel coerces typed input."""
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:], ""
        if value.startswith("="):
            return None, value
        if _NUMBER.match(value.strip()):
            return float(value), ""
        return (value if value else None), ""
    if isinstance(value, bool):
        return value, ""
    if isinstance(value, int | float):
        return float(value), ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day), ""
    return value, ""


def _parse_cell(address: str) -> tuple[int, int]:
    match = re.fullmatch(r"\$?([A-Za-z]+)\$?(\d+)", address)
    if match is None:
        raise ValueError(f"not a cell address: {address}")
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + ord(letter) - 64
    return int(match.group(2)), column


class _FontProxy:
    """``range.font``: setting an attribute sets it on every cell of the range."""

    def __init__(self, rng: Range):
        object.__setattr__(self, "_range", rng)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._range._first().font, name)

    def __setattr__(self, name: str, value: Any) -> None:
        for cell in self._range._cells():
            setattr(cell.font, name, value)


class ExcelError(str):
    """A cell showing an error (``#N/A``): xlwings reads it as None unless asked for ``err_to_str=True``."""


ERROR_CODES = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#NAME?": -2146826259, "#NULL!": -2146826288,
               "#NUM!": -2146826252, "#REF!": -2146826265, "#VALUE!": -2146826273}
"""What COM's Range.Value2 hands over for an error cell (VT_ERROR, an int through pywin32)."""


def value2(value: Any, date1904: bool) -> Any:
    """One cell as ``Range.Value2`` gives it."""
    if isinstance(value, ExcelError):
        return ERROR_CODES[str(value)]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime | dt.date):
        stamp = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
        epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
        return (stamp - epoch).total_seconds() / 86_400
    return float(value)


class _RangeApi:
    """COM's Range object: ``Value2`` only."""

    def __init__(self, rng: Range):
        self._range = rng

    @property
    def Value2(self) -> Any:
        rng = self._range
        date1904 = bool(rng.sheet.book.api.Date1904)
        rows = tuple(tuple(value2(rng.sheet.peek(r, c).value, date1904)
                           for c in range(rng.left_column, rng.right_column + 1))
                     for r in range(rng.top_row, rng.bottom_row + 1))
        return rows[0][0] if rng.shape == (1, 1) else rows


class Range:
    def __init__(self, sheet: Sheet, top: int, left: int, bottom: int, right: int, ndim: int | None = None,
                 err_to_str: bool = False):
        self.sheet, self.top_row, self.left_column = sheet, top, left
        self.bottom_row, self.right_column = bottom, right
        self.ndim = ndim
        self.err_to_str = err_to_str

    def options(self, ndim: int | None = None, err_to_str: bool = False, **_ignored: Any) -> Range:
        return Range(self.sheet, self.top_row, self.left_column, self.bottom_row, self.right_column, ndim,
                     err_to_str)

    @property
    def api(self) -> _RangeApi:
        return _RangeApi(self)

    @property
    def row(self) -> int:
        return self.top_row

    @property
    def column(self) -> int:
        return self.left_column

    @property
    def shape(self) -> tuple[int, int]:
        return self.bottom_row - self.top_row + 1, self.right_column - self.left_column + 1

    def _coordinates(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.top_row, self.bottom_row + 1)
                for c in range(self.left_column, self.right_column + 1)]

    def _cells(self) -> list[CellData]:
        return [self.sheet.cell(r, c) for r, c in self._coordinates()]

    def _first(self) -> CellData:
        return self.sheet.cell(self.top_row, self.left_column)

    @property
    def value(self) -> Any:
        rows = [[self._read(self.sheet.peek(r, c).value) for c in range(self.left_column, self.right_column + 1)]
                for r in range(self.top_row, self.bottom_row + 1)]
        if self.ndim == 2:
            return rows
        height, width = self.shape
        if height == 1 and width == 1:
            return rows[0][0]
        if height == 1:
            return rows[0]
        if width == 1:
            return [row[0] for row in rows]
        return rows

    def _read(self, value: Any) -> Any:
        if isinstance(value, ExcelError):
            return str(value) if self.err_to_str else None
        return value

    @value.setter
    def value(self, data: Any) -> None:
        if isinstance(data, list | tuple):
            rows = data if data and isinstance(data[0], list | tuple) else [data]
            for r, row in enumerate(rows):
                for c, item in enumerate(row):
                    self.sheet.set(self.top_row + r, self.left_column + c, item)
            return
        for r, c in self._coordinates():
            self.sheet.set(r, c, data)

    @property
    def formula(self) -> str | tuple[tuple[str, ...], ...]:
        """One cell: its formula, else its value as text; several cells: rows of those (as xlwings gives)."""
        def text(cell: CellData) -> str:
            return cell.formula or ("" if cell.value is None else str(cell.value))

        if self.shape == (1, 1):
            return text(self.sheet.peek(self.top_row, self.left_column))
        return tuple(tuple(text(self.sheet.peek(r, c)) for c in range(self.left_column, self.right_column + 1))
                     for r in range(self.top_row, self.bottom_row + 1))

    @formula.setter
    def formula(self, text: str) -> None:
        for r, c in self._coordinates():
            self.sheet.set(r, c, text)

    @property
    def number_format(self) -> str:
        return self.sheet.peek(self.top_row, self.left_column).number_format

    @number_format.setter
    def number_format(self, text: str) -> None:
        for cell in self._cells():
            cell.number_format = text

    @property
    def column_width(self) -> float:
        return self.sheet.widths.get(self.left_column, 8.43)

    @column_width.setter
    def column_width(self, width: float) -> None:
        for column in range(self.left_column, self.right_column + 1):
            self.sheet.widths[column] = width

    @property
    def row_height(self) -> float:
        return self.sheet.heights.get(self.top_row, ROW_POINTS)

    @row_height.setter
    def row_height(self, height: float) -> None:
        for row in range(self.top_row, self.bottom_row + 1):
            self.sheet.heights[row] = height

    @property
    def font(self) -> _FontProxy:
        return _FontProxy(self)

    @property
    def color(self) -> str | None:
        return self.sheet.peek(self.top_row, self.left_column).fill

    @color.setter
    def color(self, value: str | None) -> None:
        for cell in self._cells():
            cell.fill = value

    @property
    def wrap_text(self) -> bool:
        return self.sheet.peek(self.top_row, self.left_column).wrap

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        for cell in self._cells():
            cell.wrap = value

    def merge(self) -> None:
        for cell in self._cells():
            cell.merged = True

    @property
    def left(self) -> float:
        return sum(self.sheet.widths.get(column, 8.43) for column in range(1, self.left_column)) \
            * COLUMN_POINTS / 8.43

    @property
    def top(self) -> float:
        return (self.top_row - 1) * ROW_POINTS


class Table:
    def __init__(self, sheet: Sheet, name: str, rng: Range):
        self.sheet, self.name, self._range = sheet, name, rng
        self.api: Any = {"name": name} if sheet.book.app.lite else self
        self.show_totals = False

    def resize(self, rng: Range) -> None:
        old = self._range
        if rng.sheet is not self.sheet or rng.top_row != old.top_row or rng.left_column > old.right_column \
                or rng.right_column < old.left_column:
            raise ValueError("The header row must stay where it is and the table must overlap its old range")
        self._range = rng

    def Delete(self) -> None:
        self.sheet.tables.remove(self)

    @property
    def range(self) -> Range:
        return self._range

    @property
    def header_row_range(self) -> Range:
        r = self._range
        return Range(self.sheet, r.top_row, r.left_column, r.top_row, r.right_column)

    @property
    def data_body_range(self) -> Range | None:
        r = self._range
        if r.bottom_row == r.top_row:
            return None
        return Range(self.sheet, r.top_row + 1, r.left_column, r.bottom_row, r.right_column)


class Tables:
    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self._items: list[Table] = []

    def __iter__(self):
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, name: str) -> Table:
        for table in self._items:
            if table.name.casefold() == name.casefold():
                return table
        raise KeyError(name)

    def add(self, source: Range, name: str | None = None, **_ignored: Any) -> Table:
        name = name or f"Table{len(self._items) + 1}"
        for sheet in self.sheet.book.sheets:
            if any(table.name.casefold() == name.casefold() for table in sheet.tables):
                raise ValueError(f"a table named {name} already exists")
        table = Table(self.sheet, name, source)
        self._items.append(table)
        return table

    def remove(self, table: Table) -> None:
        self._items.remove(table)

    def clear(self) -> None:
        self._items.clear()


@dataclass
class Chart:
    sheet: Sheet
    options: dict[str, Any]
    categories: Range | None = None

    def set_x_axis_values(self, source: Range) -> None:
        self.categories = source

    def delete(self) -> None:
        self.sheet.charts.items.remove(self)


class Charts:
    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.items: list[Chart] = []

    def __iter__(self):
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def add(self, **options: Any) -> Chart:
        chart = Chart(self.sheet, options)
        self.items.append(chart)
        return chart


class FreezePanes:
    def __init__(self) -> None:
        self.frozen: str | None = None

    def freeze_at(self, address: str) -> None:
        self.frozen = address


class Name:
    """A defined name; a sheet-scoped one reports its name as Excel does, ``Sheet1!Local`` (quoted if need be)."""

    def __init__(self, names: Names, local: str, refers_to: str):
        self.names, self.local, self.refers_to = names, local, refers_to

    @property
    def name(self) -> str:
        sheet = self.names.sheet.name
        plain = sheet.replace("_", "").isalnum()
        return (sheet if plain else "'" + sheet.replace("'", "''") + "'") + "!" + self.local

    def delete(self) -> None:
        self.names.items.remove(self)


class Names:
    """A sheet's scoped names: ``add(name, refers_to)``, iteration, ``Name.delete()``."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.items: list[Name] = []

    def __iter__(self):
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def add(self, name: str, refers_to: str) -> Name:
        if any(item.local.casefold() == name.casefold() for item in self.items):
            raise ValueError(f"the name {name} already exists on {self.sheet.name}")
        item = Name(self, name, refers_to)
        self.items.append(item)
        return item


class Sheet:
    def __init__(self, book: Book, name: str):
        self.book = book
        self._name = name
        self.data: dict[tuple[int, int], CellData] = {}
        self.widths: dict[int, float] = {}
        self.names = Names(self)
        self.heights: dict[int, float] = {}
        self.tables = Tables(self)
        self.charts = Charts(self)
        self.freeze_panes = FreezePanes()
        self.visible = True
        self.deleted = False

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self.book.sheets.check_free(value, self)
        self._name = value

    def cell(self, row: int, column: int) -> CellData:
        return self.data.setdefault((row, column), CellData())

    def peek(self, row: int, column: int) -> CellData:
        return self.data.get((row, column), CellData())

    def set(self, row: int, column: int, value: Any) -> None:
        cell = self.cell(row, column)
        cell.value, cell.formula = _typed(value)

    def range(self, first: str | tuple[int, int], second: str | tuple[int, int] | None = None) -> Range:
        if isinstance(first, str):
            if ":" in first:
                first, second = first.split(":")
            top, left = _parse_cell(first)
        else:
            top, left = first
        if second is None:
            bottom, right = top, left
        elif isinstance(second, str):
            bottom, right = _parse_cell(second)
        else:
            bottom, right = second
        return Range(self, min(top, bottom), min(left, right), max(top, bottom), max(left, right))

    def __getitem__(self, address: str) -> Range:
        return self.range(address)

    @property
    def used_range(self) -> Range:
        filled = [key for key, cell in self.data.items() if cell.value is not None or cell.formula]
        if not filled:
            return Range(self, 1, 1, 1, 1)
        rows = [row for row, _ in filled]
        columns = [column for _, column in filled]
        return Range(self, min(rows), min(columns), max(rows), max(columns))

    def clear(self) -> None:
        self.data.clear()
        if not self.book.app.lite:
            self.tables.clear()

    def delete(self) -> None:
        self.book.sheets.items.remove(self)
        self.deleted = True

    def values(self, first: tuple[int, int], second: tuple[int, int]) -> list[list[Any]]:
        """Test helper: the stored values of a rectangle, as rows."""
        return self.range(first, second).options(ndim=2).value


class Sheets:
    def __init__(self, book: Book):
        self.book = book
        self.items: list[Sheet] = []

    def __iter__(self):
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: int | str) -> Sheet:
        if isinstance(key, int):
            return self.items[key]
        for sheet in self.items:
            if sheet.name.casefold() == key.casefold():
                return sheet
        raise KeyError(key)

    def __contains__(self, name: str) -> bool:
        return any(sheet.name.casefold() == name.casefold() for sheet in self.items)

    def names(self) -> list[str]:
        return [sheet.name for sheet in self.items]

    def check_free(self, name: str, sheet: Sheet | None = None) -> None:
        for other in self.items:
            if other is not sheet and other.name.casefold() == name.casefold():
                raise ValueError(f"That name is already taken: {name}")

    def add(self, name: str | None = None, before: Sheet | None = None, after: Sheet | None = None) -> Sheet:
        name = name or f"Sheet{len(self.items) + 1}"
        self.check_free(name)
        sheet = Sheet(self.book, name)
        if before is not None:
            self.items.insert(self.items.index(before), sheet)
        elif after is not None:
            self.items.insert(self.items.index(after) + 1, sheet)
        else:
            self.items.insert(0, sheet)
        return sheet


class _Property:
    def __init__(self, value: str, store: dict[str, _Property] | None = None, name: str = ""):
        self.Value = value
        self.store, self.name = store, name

    def Delete(self) -> None:
        if self.store is not None:
            self.store.pop(self.name, None)


class _CustomProperties:
    """COM's CustomDocumentProperties: called with a name it returns the property or raises."""

    def __init__(self, store: dict[str, _Property]):
        self.store = store

    def __call__(self, name: str) -> _Property:
        return self.store[name]

    def Add(self, Name: str, LinkToContent: bool, Type: int, Value: str) -> _Property:  # noqa: N803
        self.store[Name] = _Property(Value, self.store, Name)
        return self.store[Name]


class _Api:
    def __init__(self, date1904: bool, custom_properties: dict[str, str] | None):
        self.Date1904 = date1904
        self.properties: dict[str, _Property] = {}
        if custom_properties is not None:
            self.properties.update({name: _Property(value, self.properties, name)
                                    for name, value in custom_properties.items()})
            self.CustomDocumentProperties = _CustomProperties(self.properties)


class Books:
    def __init__(self) -> None:
        self.items: list[Book] = []
        self.active: Book | None = None


class _WindowsAppApi:
    """COM's Application object: Excel's Open dialog and input box."""

    def __init__(self, app: App):
        self._app = app

    def InputBox(self, Prompt: str = "", Title: str = "", Default: str = "",  # noqa: N803
                 Type: int = 2) -> str | bool:  # noqa: N803
        return self._app.ask({"dialog": "InputBox", "prompt": Prompt, "title": Title})

    def GetOpenFilename(self, FileFilter: str = "", FilterIndex: int = 1,  # noqa: N803
                        Title: str = "") -> str | bool:  # noqa: N803
        return self._app.ask({"dialog": "GetOpenFilename", "filter": FileFilter, "title": Title})


class _MacAppApi:
    """appscript's reference to Excel on macOS: its input box, no Open dialog."""

    def __init__(self, app: App):
        self._app = app

    def input_box(self, prompt: str = "", title: str = "", default: str = "") -> str | bool:
        return self._app.ask({"dialog": "input_box", "prompt": prompt, "title": title})


class App:
    def __init__(self, *, platform: str = "windows") -> None:
        self.lite = platform == "lite"
        self._status: str | bool = False
        self.status_log: list[str | bool] = []
        self._screen_updating = True
        self.alerts: list[dict[str, Any]] = []
        self.dialogs: list[dict[str, Any]] = []
        self.answers: list[Any] = []
        self.books = Books()
        self.api = _WindowsAppApi(self) if platform == "windows" else _MacAppApi(self)

    def ask(self, dialog: dict[str, Any]) -> Any:
        self.dialogs.append(dialog)
        return self.answers.pop(0) if self.answers else False

    @property
    def status_bar(self) -> str | bool:
        return self._status

    @status_bar.setter
    def status_bar(self, value: str | bool) -> None:
        if self.lite:
            raise NotImplementedError("App.status_bar is not supported on this engine")
        self._status = value
        self.status_log.append(value)

    @property
    def screen_updating(self) -> bool:
        if self.lite:
            raise NotImplementedError("App.screen_updating can't be read on this engine")
        return self._screen_updating

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self._screen_updating = value

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        if buttons in ("ok", None):
            return "ok"
        return self.answers.pop(0) if self.answers else buttons.split("_", maxsplit=1)[0]


class Book:
    def __init__(self, name: str = "Book1.xlsx", *, app: App | None = None, date1904: bool = False,
                 custom_properties: dict[str, str] | None = None):
        self.name = name
        self.app = app or App()
        self.app.books.items.append(self)
        self.app.books.active = self
        self.sheets = Sheets(self)
        self.api = _Api(date1904, custom_properties)


def add_table(book: Book, sheet_name: str, table_name: str, rows: list[list[Any]], *, top: int = 1,
              left: int = 1) -> Table:
    """A sheet (created when missing) holding ``rows`` (header first) as an Excel Table, stored as xlwings would
    read it back: text as text, numbers as float, dates as datetime, blanks as None."""
    sheet = book.sheets[sheet_name] if sheet_name in book.sheets else book.sheets.add(
        sheet_name, after=book.sheets[-1] if len(book.sheets) else None)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = sheet.cell(top + r, left + c)
            cell.value = _stored(value)
    width = max(len(row) for row in rows)
    bottom = top + max(len(rows) - 1, 0)
    return sheet.tables.add(Range(sheet, top, left, bottom, left + width - 1), table_name)


def _stored(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def book_from_file(path: Any, name: str = "demo.xlsx", *, custom_properties: dict[str, str] | None = None,
                   app: App | None = None) -> Book:
    """A stand-in book holding the input tables of a workbook file, each an Excel Table where the file has it."""
    from arxl.workbook.read import read_raw_tables

    tables, date1904, _problems = read_raw_tables(path)
    book = Book(name, app=app, date1904=date1904, custom_properties=custom_properties)
    for table in tables.values():
        add_table(book, table.sheet or table.name, table.name, [list(table.header), *table.cell_rows()],
                  top=table.first_row - 1)
    return book
