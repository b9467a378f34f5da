"""Reading typed values out of raw cells, a whole column at a time, with a located problem per odd cell.

Cells arrive as python-calamine (or xlwings) hands them over: ``str`` (``""`` for an empty cell), ``float``,
``int``, ``bool``, ``datetime.date``/``datetime.datetime``, ``datetime.timedelta`` or ``None``; and
``decimal.Decimal`` where xlwings on Windows reads a cell formatted as currency or accounting (Excel hands such
a cell over as its Currency type). A Decimal is a number like any other: it becomes the nearest float, which
is what Excel itself stores in the cell, and goes through the same rounding to minor units. Each parser takes
one column as an object array and returns the typed array plus the problems it found; the common case (the
right type already) is handled with array operations, only odd cells go through Python one by one.

Text typed where a date, an amount or a yes/no belongs is read by the one grammar of ``arxl.text`` (the same
that reads imported files), with the workbook's policy: Settings ``date_order`` and ``decimal_comma``. This
module adds what only a cell can be (date serials, Excel's 1900 and 1904 date systems, error values) and turns
each outcome into a problem naming sheet, Excel row and column: a warning for text that was read, an error
for text that was not.

A column may also arrive as a typed Arrow array (a clean Excel Table read by fastexcel, nulls for empty cells).
When it already holds what the column needs (text that needs no trimming, dates at midnight, finite numbers) the
parser converts it in C without making a Python object per cell; otherwise it turns it into the cell values
above (``cells_of``) and takes the ordinary path, so every oddity is reported the same way whichever reader ran.

Formulas. A file keeps, beside each formula, the value it had when the file was last calculated; the readers
hand over that saved value, and a reader that sees the formula says so with a ``FormulaCell``. Whether the saved
value can be trusted is decided here (``formula_problem``), for every kind of column alike:

- **no saved value** (a book written by openpyxl or another script that does not calculate): nothing to read;
- **a saved 0 in a file that asks to be recalculated when opened** (``fullCalcOnLoad``: XlsxWriter saves every
  formula so, as 0, unless told the result): never calculated, so nothing to read either; and a saved 0 in a
  date column is no date whatever wrote it;
- **a volatile function** (``TODAY``, ``NOW``, ``RAND``, ``OFFSET``, ``INDIRECT``, ... ``arxl.excel``): the
  saved value is what it was the day the book was last calculated, not what Excel would show now.

Each is an **error** where the value matters (every column except optional free text, and every setting that
is not free text), with the hint to type the value or to open and save the book in Excel or LibreOffice (which
calculates and saves the values); in an optional free-text column (description, note, reference ...) it is a
**warning**: a value that could not be read is read as blank, a volatile one as saved. Settings ``as_of``
holding exactly ``=TODAY()`` (or ``=NOW()``) is read as today, the same as a blank as_of, with a warning: that is
what the formula means, while its saved value is the day the file was last calculated. A live Excel book hands
over values Excel has just calculated, so the live adapter reports no formula.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .excel import MAX_CELL_TEXT, text_too_long, volatile_functions
from .money import ISO_CURRENCIES
from .problems import Problem, Severity
from .text import SPACES, Outcome, read_amounts, read_dates, read_flags

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_EXCEL_1900 = dt.date(1899, 12, 30).toordinal()
_EXCEL_1904 = dt.date(1904, 1, 1).toordinal()
_MIN_ORDINAL = dt.date(1900, 1, 1).toordinal()
NAT = np.datetime64("NaT", "s")
EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                          "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})

_type_of = np.frompyfunc(type, 1, 1)
_to_ordinal = np.frompyfunc(dt.date.toordinal, 1, 1)


@dataclass(frozen=True)
class ColumnContext:
    """Where a column sits, so that every problem can name sheet, Excel row and column."""

    sheet: str
    column: str
    rows: np.ndarray  # Excel row number per value
    date_order: str = ""
    decimal_comma: bool = False
    date1904: bool = False

    def problem(self, index: int, severity: Severity, value: object, message: str, expected: str = "") -> Problem:
        return Problem(severity, self.sheet, int(self.rows[index]), self.column, shown(value), message, expected)


@dataclass(frozen=True)
class FormulaCell:
    """A cell of an input table holding a formula, as the file keeps it.

    Attributes:
        formula: the formula without its ``=`` (the cells of a shared formula carry the text of its first cell).
        saved: the value saved with it as the file writes it (``"0"``, ``"46203"``, ``"Acme"``), or None when the
            file keeps no value.
        text_result: whether the saved value is marked as text (``t="str"``).
        recalculate: whether the file asks to be recalculated when opened (``fullCalcOnLoad``), so that its saved
            values may never have been calculated.
    """

    formula: str
    saved: str | None
    text_result: bool = False
    recalculate: bool = False


_OPEN_AND_SAVE = "the value typed in, or the book opened and saved in Excel or LibreOffice so its value is saved"
_TYPE_IT = "the value typed in: a volatile function gives another value each time Excel calculates"


def formula_problem(cell: FormulaCell, ctx: ColumnContext, index: int, *, matters: bool, date: bool = False
                    ) -> tuple[Problem | None, bool]:
    """The problem with a formula cell of a column arxl reads (see the module docstring), and whether its saved
    value must be left unread (read as blank). ``matters``: the column's value changes the figures (an error,
    else a warning); ``date``: the column holds dates, where a saved 0 is no date."""
    shown_formula = "=" + cell.formula
    zero = cell.saved is not None and not cell.text_result and cell.saved.strip() in ("0", "0.0")
    volatile = volatile_functions(cell.formula)
    if cell.saved is None or (cell.saved == "" and not cell.text_result):
        message, expected, unread = "is a formula with no saved value", _OPEN_AND_SAVE, True
    elif zero and cell.recalculate:
        message = ("is a formula whose saved value, 0, was never calculated (the file asks to be recalculated "
                   "when opened: a program wrote it, not Excel)")
        expected, unread = _OPEN_AND_SAVE, True
    elif zero and date:
        message, expected, unread = "is a formula whose saved value is 0, which is no date", _OPEN_AND_SAVE, True
    elif volatile:
        calls = ", ".join(f"{name}()" for name in volatile)
        message = (f"is a formula using {calls}: its saved value is only what it was when the book was last "
                   "calculated")
        expected, unread = _TYPE_IT, False
    else:
        return None, False
    if matters:
        return ctx.problem(index, "error", shown_formula, message, expected), True
    message += "; read as blank" if unread else "; its saved value is used"
    return ctx.problem(index, "warning", shown_formula, message, expected), unread


def today_formula(formula: str) -> bool:
    """Whether a formula is just ``TODAY()`` or ``NOW()``: what a blank as-of date means."""
    return "".join(formula.split()).upper().removeprefix("_XLFN.") in ("TODAY()", "NOW()")


def shown(value: object) -> str:
    """A cell value as the user would recognise it in a message."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def decimal_text(value: Decimal) -> str:
    """A Decimal as Excel shows the number: ``Decimal("1001.0000")`` -> ``1001``, ``Decimal("126.7700")`` ->
    ``126.77``."""
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def is_blank_array(values: np.ndarray | pa.Array) -> np.ndarray:
    """True where a cell is empty: None, "" or only spaces."""
    if isinstance(values, pa.Array):
        blank = values.is_null()
        if _is_text(values.type):
            blank = pc.or_(blank, pc.equal(pc.utf8_trim_whitespace(values), ""))
        return np.asarray(blank.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)
    types = _type_of(values)
    blank = types == type(None)
    strings = types == str
    if strings.any():
        blank[strings] = _strings(values[strings]).str.strip().eq("").to_numpy(dtype=bool)
    return blank


def _strings(values: np.ndarray) -> pd.Series:
    """Text cells as an Arrow-backed Series, whose string methods run in C++."""
    return pd.Series(values, dtype="str")


def _excel_error(value: object) -> bool:
    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


# --- typed Arrow columns -------------------------------------------------------------------------------------

_MS_PER_DAY = 86_400_000


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def cells_of(values: pa.Array) -> np.ndarray:
    """A typed Arrow column -> the cell values calamine would have given (``""`` empty, ``date`` at midnight)."""
    cells = values.to_pylist()
    if pa.types.is_timestamp(values.type):
        cells = [cell.date() if cell is not None and cell.time() == dt.time() else cell for cell in cells]
    out = np.empty(len(cells), dtype=object)
    out[:] = ["" if cell is None else cell for cell in cells]
    return out


def _typed_text(values: pa.Array, allowed: Iterable[str] | None = None, *, trimmed: bool = False
                ) -> pd.Series | None:
    """A text column that needs nothing interpreted -> Arrow-backed ``str`` Series (``""`` for empty); else None.

    Nothing to interpret means: only text (or nothing), no value starting with "#" (it may be an error value
    typed as text), with ``trimmed`` no spaces around a value, and with ``allowed`` only those values.
    """
    if pa.types.is_null(values.type):
        values = values.cast(pa.string())
    if not _is_text(values.type):
        return None
    text = values.fill_null("")
    if pc.any(pc.starts_with(text, "#")).as_py():
        return None
    if len(text) and pc.max(pc.binary_length(text)).as_py() > MAX_CELL_TEXT:  # maybe more than a cell holds
        return None
    if trimmed and pc.any(pc.not_equal(pc.binary_length(pc.utf8_trim(text, characters=SPACES)),
                                       pc.binary_length(text))).as_py():
        return None
    if allowed is not None and not pc.all(pc.is_in(text, value_set=pa.array(list(allowed), pa.string()))).as_py():
        return None
    return pd.Series(text, dtype="str")


def _typed_dates(values: pa.Array) -> np.ndarray | None:
    """Date cells at midnight -> ``datetime64[s]`` (NaT where empty); None when anything needs a closer look."""
    if pa.types.is_null(values.type):
        return np.full(len(values), NAT)
    if not pa.types.is_timestamp(values.type) or values.type.tz is not None:
        return None
    ms = values.cast(pa.timestamp("ms")).cast(pa.int64())
    if pc.any(pc.not_equal(pc.remainder(ms, _MS_PER_DAY), 0)).as_py():
        return None  # a time of day is kept with a warning: the cell path says so
    days = pc.divide(ms, _MS_PER_DAY).to_numpy(zero_copy_only=False)
    out = np.full(len(values), NAT)
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    out[valid] = days[valid].astype(np.int64).astype("datetime64[D]").astype("datetime64[s]")
    return out


def _typed_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """Number cells -> (float64, present); None when a value is not a finite number below 1e15."""
    if pa.types.is_null(values.type):
        return np.zeros(len(values)), np.zeros(len(values), dtype=bool)
    if not (pa.types.is_floating(values.type) or pa.types.is_integer(values.type)):
        return None
    numbers = values.cast(pa.float64()).fill_null(0.0).to_numpy(zero_copy_only=False)
    if not np.isfinite(numbers).all() or (np.abs(numbers) >= 1e15).any():
        return None
    return numbers, values.is_valid().to_numpy(zero_copy_only=False)


# --- text and ids ---------------------------------------------------------------------------------------------



def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_SPACE_AT_EDGE = re.compile(f"\x00[{SPACES}]|[{SPACES}]\x00")
_starts_with_hash = np.frompyfunc(lambda text: text[:1] == "#", 1, 1)
_strip_spaces = np.frompyfunc(lambda text: text.strip(SPACES), 1, 1)
_fold = np.frompyfunc(lambda text: text.strip().lower().replace(" ", "_"), 1, 1)
_upper = np.frompyfunc(lambda text: text.strip().upper(), 1, 1)


def _in(values: np.ndarray, allowed: Iterable[str]) -> np.ndarray:
    """Membership of text values in a small set, by hashing (numpy's isin sorts object arrays)."""
    return pd.Series(values, dtype=object).isin(list(allowed)).to_numpy(dtype=bool)


def parse_text(values: np.ndarray | pa.Array, ctx: ColumnContext) -> tuple[np.ndarray | pd.Series, list[Problem]]:
    """Any cell -> str (object array); numbers typed into a text column read as Excel shows them (``123``)."""
    if isinstance(values, pa.Array):
        typed = _typed_text(values)
        if typed is not None:
            return typed, []
        values = cells_of(values)
    problems: list[Problem] = []
    out = values.copy()
    if not all(map(isinstance, values, repeat(str))):  # the usual column is text only, checked in C
        types = _type_of(values)
        for index in np.flatnonzero(types != str):
            out[index] = _as_text(values[index])
    # Fast path: one C-level join tells whether any value starts with "#" at all (errors are rare).
    if len(out) and ("\x00#" in "\x00" + "\x00".join(out)):
        maybe_error = _starts_with_hash(out).astype(bool)
        for index in np.flatnonzero(maybe_error):
            if _excel_error(values[index]):
                problems.append(ctx.problem(index, "error", values[index], "is an Excel error value", "text"))
    if len(out) and max(map(len, out)) > MAX_CELL_TEXT // 2:  # two UTF-16 units a character at most
        for index, text in enumerate(out):
            too_long = text_too_long(text)
            if too_long is not None:
                problems.append(ctx.problem(index, "error", "", too_long,
                                            f"at most {MAX_CELL_TEXT:,} characters, all a cell holds in Excel"))
    return out, problems


def parse_id(values: np.ndarray | pa.Array, ctx: ColumnContext) -> tuple[np.ndarray | pd.Series, list[Problem]]:
    """Ids keep case and leading zeros; stray and non-breaking spaces around them are trimmed with a warning."""
    if isinstance(values, pa.Array):
        typed = _typed_text(values, trimmed=True)
        if typed is not None:
            return typed, []
        values = cells_of(values)
    text, problems = parse_text(values, ctx)
    if not len(text) or not _SPACE_AT_EDGE.search("\x00" + "\x00".join(text) + "\x00"):
        return text, problems
    cleaned = _strip_spaces(text)
    for index in np.flatnonzero(cleaned != text):
        if cleaned[index]:
            problems.append(ctx.problem(index, "warning", text[index],
                                        f'has extra spaces; read as "{cleaned[index]}"'))
    return cleaned, problems


# --- dates ----------------------------------------------------------------------------------------------------

_DATE_EXPECTED = "a date such as 2026-02-28"
_ORDER_SHAPES = {"dmy": ("day/month/year", "28/02/2026"), "mdy": ("month/day/year", "02/28/2026"),
                 "ymd": ("year/month/day", "26/02/28")}
_EXCEL_ERROR_TEXTS = pa.array(sorted(EXCEL_ERRORS))
_READ, _INVALID, _AMBIGUOUS, _OTHER_MARK = (int(outcome) for outcome in (
    Outcome.READ, Outcome.INVALID, Outcome.AMBIGUOUS, Outcome.OTHER_MARK))


def _excel_errors(texts: np.ndarray) -> np.ndarray:
    """Which of these texts are Excel error values (``#N/A`` as a cell, or typed)."""
    upper = pc.utf8_upper(pc.utf8_trim(pa.array(texts, type=pa.string()), characters=SPACES))
    return pc.is_in(upper, value_set=_EXCEL_ERROR_TEXTS).to_numpy(zero_copy_only=False)


def _serial_date(serial: float, ctx: ColumnContext, index: int) -> tuple[int | None, Problem]:
    if not np.isfinite(serial) or not 0 < serial < 3_000_000:  # 2,958,465 is 9999-12-31
        return None, ctx.problem(index, "error", serial, "is not a date", _DATE_EXPECTED)
    whole = int(np.floor(serial))
    if ctx.date1904:
        ordinal = _EXCEL_1904 + whole
    else:
        if whole <= 60:
            return None, ctx.problem(index, "error", serial,
                                     "is a date serial in Excel's 1900 leap-year bug range (before 1 March 1900)",
                                     _DATE_EXPECTED)
        ordinal = _EXCEL_1900 + whole
    if not _MIN_ORDINAL <= ordinal <= dt.date.max.toordinal():
        return None, ctx.problem(index, "error", serial, "is not a date", _DATE_EXPECTED)
    read = dt.date.fromordinal(ordinal).isoformat()
    return ordinal, ctx.problem(index, "warning", serial,
                                f"is a number without a date format; read as the date serial {read}")


def _text_dates(values: np.ndarray, rows: np.ndarray, ctx: ColumnContext) -> tuple[np.ndarray, list[Problem]]:
    """The text cells at ``rows`` through the date grammar (``arxl.text``) in Settings' date order ->
    ``datetime64[D]`` per row (NaT unless read) and a warning or error for each that is not blank."""
    texts = values[rows]
    reading = read_dates(texts, ctx.date_order)
    errors = _excel_errors(texts)
    outcome = np.where(errors, -1, reading.outcome)
    order_read_in = np.where(reading.order == "", "", np.char.add(np.char.add(" (", reading.order), ")"))
    read_as = np.char.add(np.datetime_as_string(reading.days, unit="D"), order_read_in)
    problems: list[Problem] = []
    # Plain lists and ints in the loop: a warning per text date makes it as long as the column.
    for index, value, kind, order, read in zip(rows.tolist(), texts.tolist(), outcome.tolist(),
                                               reading.order.tolist(), read_as.tolist(), strict=True):
        if kind == _READ:
            problems.append(ctx.problem(index, "warning", value, f"is a date typed as text; read as {read}"))
        elif kind == -1:
            problems.append(ctx.problem(index, "error", value, "is an Excel error value", _DATE_EXPECTED))
        elif kind == _AMBIGUOUS:
            problems.append(ctx.problem(
                index, "error", value, "is ambiguous: day and month could be either way round",
                "an ISO date such as 2026-04-03, or set date_order to dmy or mdy in Settings"))
        elif kind == _INVALID and order and ctx.date_order:
            shape, example = _ORDER_SHAPES[order]
            problems.append(ctx.problem(index, "error", value, "is not a date",
                                        f"a {shape} date such as {example}, as Settings date_order says"))
        elif kind == _INVALID:
            problems.append(ctx.problem(index, "error", value, "is not a date", _DATE_EXPECTED))
    return np.where(errors, np.datetime64("NaT", "D"), reading.days), problems


def parse_date(values: np.ndarray | pa.Array, ctx: ColumnContext) -> tuple[np.ndarray, list[Problem]]:
    """Cells -> ``datetime64[s]`` at midnight (NaT when blank); text, serials and times are interpreted."""
    if isinstance(values, pa.Array):
        typed = _typed_dates(values)
        if typed is not None:
            return typed, []
        values = cells_of(values)
    problems: list[Problem] = []
    types = _type_of(values)
    ordinals = np.zeros(len(values), dtype=np.int64)
    valid = np.zeros(len(values), dtype=bool)
    dates = (types == dt.date) | (types == dt.datetime)
    if dates.any():
        ordinals[dates] = _to_ordinal(values[dates]).astype(np.int64)
        valid |= dates
        for index in np.flatnonzero(types == dt.datetime):
            if values[index].time() != dt.time():
                problems.append(ctx.problem(index, "warning", values[index],
                                            "has a time of day; the date is kept"))
    texts = types == str
    for index in np.flatnonzero(~dates & ~texts):
        value = values[index]
        if value is None:
            continue
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            ordinal, problem = _serial_date(float(value), ctx, index)
            if ordinal is not None:
                ordinals[index] = ordinal
                valid[index] = True
        else:
            problem = ctx.problem(index, "error", value, "is not a date", _DATE_EXPECTED)
        problems.append(problem)
    result = np.full(len(values), NAT)
    result[valid] = ((ordinals[valid] - _EPOCH_ORDINAL).astype("datetime64[D]")).astype("datetime64[s]")
    if texts.any():
        rows = np.flatnonzero(texts)
        days, found = _text_dates(values, rows, ctx)
        result[rows] = days.astype("datetime64[s]")
        problems += found
    return result, problems


# --- numbers and money ----------------------------------------------------------------------------------------

_MONEY_EXPECTED = "an amount such as 1234.56"


def _text_numbers(values: np.ndarray, rows: np.ndarray, ctx: ColumnContext, expected: str
                  ) -> tuple[np.ndarray, list[Problem]]:
    """The text cells at ``rows`` through the amount grammar (``arxl.text``) with Settings' decimal mark ->
    float64 per row (NaN unless read) and a warning or error for each that is not blank."""
    texts = values[rows]
    reading = read_amounts(texts, ctx.decimal_comma)
    errors = _excel_errors(texts)
    outcome = np.where(errors, -1, reading.outcome)
    other_mark = (" (decimal point: set decimal_comma to no in Settings)" if ctx.decimal_comma
                  else " (decimal comma: set decimal_comma to yes in Settings)")
    problems: list[Problem] = []
    for index, value, kind, plain, number in zip(rows.tolist(), texts.tolist(), outcome.tolist(),
                                                 reading.plain.tolist(), reading.numbers.tolist(), strict=True):
        if kind == _READ:
            how = "" if plain else " with symbols or separators"
            problems.append(ctx.problem(index, "warning", value,
                                        f"is an amount typed as text{how}; read as {number}"))
        elif kind == -1:
            problems.append(ctx.problem(index, "error", value, "is an Excel error value", expected))
        elif kind == _OTHER_MARK:
            problems.append(ctx.problem(index, "error", value, "is not a number" + other_mark, expected))
        elif kind == _INVALID:
            problems.append(ctx.problem(index, "error", value, "is not a number", expected))
    return np.where(errors, np.nan, reading.values), problems


def parse_number(values: np.ndarray | pa.Array, ctx: ColumnContext, expected: str = "a number"
                 ) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Cells -> (float64 values, present mask, problems). Text amounts are interpreted with a warning."""
    if isinstance(values, pa.Array):
        typed = _typed_numbers(values)
        if typed is not None:
            return *typed, []
        values = cells_of(values)
    problems: list[Problem] = []
    types = _type_of(values)
    numbers = np.zeros(len(values), dtype=np.float64)
    present = np.zeros(len(values), dtype=bool)
    numeric = (types == float) | (types == int) | (types == Decimal)
    if numeric.any():
        numbers[numeric] = values[numeric].astype(np.float64)
        present |= numeric
    texts = types == str
    for index in np.flatnonzero(~numeric & ~texts):
        if values[index] is not None:
            problems.append(ctx.problem(index, "error", values[index], "is not a number", expected))
    if texts.any():
        rows = np.flatnonzero(texts)
        read, found = _text_numbers(values, rows, ctx, expected)
        problems += found
        numbers[rows] = np.nan_to_num(read)
        present[rows] = ~np.isnan(read)
    bad = present & ~np.isfinite(numbers)
    for index in np.flatnonzero(bad):
        problems.append(ctx.problem(index, "error", values[index], "is not a finite number", expected))
    present &= ~bad
    too_big = present & (np.abs(numbers) >= 1e15)
    for index in np.flatnonzero(too_big):
        problems.append(ctx.problem(index, "error", values[index], "is too large for an amount", expected))
    present &= ~too_big
    numbers[~present] = 0.0
    return numbers, present, problems


def parse_money(values: np.ndarray | pa.Array, ctx: ColumnContext) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Like ``parse_number`` with money's wording; the caller converts to minor units once currencies are known."""
    return parse_number(values, ctx, _MONEY_EXPECTED)


def parse_integer(values: np.ndarray | pa.Array, ctx: ColumnContext, *, minimum: int = 0
                  ) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    if isinstance(values, pa.Array):
        values = cells_of(values)  # few rows (terms, levels), and its problems quote the cells
    numbers, present, problems = parse_number(values, ctx, "a whole number")
    fractional = present & (numbers != np.floor(numbers))
    out_of_range = present & (numbers < minimum)
    for index in np.flatnonzero(fractional):
        problems.append(ctx.problem(index, "error", values[index], "is not a whole number", "a whole number"))
    for index in np.flatnonzero(out_of_range & ~fractional):
        problems.append(ctx.problem(index, "error", values[index], f"is below {minimum}",
                                    f"a whole number of at least {minimum}"))
    present &= ~(fractional | out_of_range)
    return np.where(present, numbers, 0).astype(np.int64), present, problems


def parse_bool(values: np.ndarray | pa.Array, ctx: ColumnContext, default: bool = False
               ) -> tuple[np.ndarray, list[Problem]]:
    """Cells -> flags through the yes/no grammar (``arxl.text``); a blank cell is ``default``."""
    if isinstance(values, pa.Array):
        values = cells_of(values)  # a flag per customer: few rows, many spellings
    text, problems = parse_text(values, ctx)
    flags = read_flags(text)
    for index in np.flatnonzero(flags.outcome == Outcome.INVALID):
        problems.append(ctx.problem(index, "error", values[index], "is not yes or no", "yes or no"))
    return np.where(flags.outcome == Outcome.BLANK, default, flags.values), problems


def parse_choice(values: np.ndarray | pa.Array, ctx: ColumnContext, choices: tuple[str, ...]
                 ) -> tuple[np.ndarray | pd.Series, list[Problem]]:
    """Case- and space-insensitive choice; ``""`` is returned for a blank cell."""
    if isinstance(values, pa.Array):
        typed = _typed_text(values, [*choices, ""])
        if typed is not None:
            return typed, []
        values = cells_of(values)
    text, problems = parse_text(values, ctx)
    if _in(text, [*choices, ""]).all():  # the usual case: typed exactly as the list has it
        return text, problems
    lowered = _fold(text) if len(text) else text.copy()
    listed = ", ".join(choice for choice in choices if choice)
    for index in np.flatnonzero(~_in(lowered, [*choices, ""])):
        problems.append(ctx.problem(index, "error", text[index], "is not an allowed value", f"one of {listed}"))
        lowered[index] = ""
    return lowered, problems


def parse_currency(values: np.ndarray | pa.Array, ctx: ColumnContext
                   ) -> tuple[np.ndarray | pd.Series, list[Problem]]:
    if isinstance(values, pa.Array):
        typed = _typed_text(values, [*ISO_CURRENCIES, ""])
        if typed is not None:
            return typed, []
        values = cells_of(values)
    text, problems = parse_text(values, ctx)
    if _in(text, [*ISO_CURRENCIES, ""]).all():
        return text, problems
    codes = _upper(text) if len(text) else text.copy()
    unknown = (codes != "") & ~_in(codes, ISO_CURRENCIES)
    for index in np.flatnonzero(unknown):
        problems.append(ctx.problem(index, "error", text[index], "is not a currency code",
                                    "an ISO 4217 code such as USD or EUR"))
        codes[index] = ""
    return codes, problems
