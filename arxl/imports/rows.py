"""Reading another system's export into typed incoming rows for one contract table, with the file's own lines.

``prepare_rows`` takes the cells ``arxl.workbook.source`` read (CSV text, .xlsx values, Parquet values) and a
``ColumnMapping`` and gives ``IncomingRows``: the header found, rows filtered, the file's values translated,
dates and amounts typed. Nothing here knows the book; ``arxl.imports.plan`` decides what to append.

Rules
-----
- **The header** need not be the first row: the first of the first 30 rows that has every required column is
  taken (reports often start with a title). Header names match case- and space-insensitively. Rows with more
  fields than the header (a delimiter inside an unquoted value) are errors; blank rows are left out.
- **Ids are text.** Files are read as text, so ``00123`` keeps its zeros and a customer called ``NA`` stays
  ``NA``; every value is only trimmed. A text cell arxl's own CSV export guarded with a leading ``'``
  (``'=SUM(...)``) loses the guard again.
- **Dates and amounts** typed as text are read by the grammar the workbook's loader uses too (``arxl.text``:
  its docstring lists every form), so a text means the same whichever way a row arrives; only the policy is
  the import's. The date order is ``--date-order`` or the mapping's ``date_order``; with none, the order is the
  one the whole file proves (a ``13/01/2026`` anywhere makes every date day first) and an import whose dates
  could be either way round, with nothing in the file to decide it, is refused. The decimal mark is a point
  unless ``--decimal-comma`` (or ``decimal_comma = true``) says it is a comma. Date and number cells of an
  .xlsx or Parquet file are taken as they are (a number in a date column is an error: no date system is
  guessed). Anything unread is an error naming the line.
- **Signs.** The mapping's ``amount_sign`` applies first; then credit notes are stored negative whatever sign
  the file gives them once a type column says they are credit notes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import contract
from ..contract import Kind, Table, normalise_header
from ..problems import Problem
from ..text import Dates, Outcome, read_amounts, read_dates
from .mapping import CUSTOMER_NAME, ColumnMapping, MappingError

HEADER_SEARCH_ROWS = 30
"""How many rows from the top of a file may hold the header."""


# --- problems located in the source file ----------------------------------------------------------------------

@dataclass(frozen=True)
class SourceProblem(Problem):
    """A Problem located in the file being imported: ``sheet`` is the file name, ``row`` its line (or row)."""

    unit: str = "line"

    def location(self) -> str:
        where = self.sheet if self.row is None else f"{self.sheet} {self.unit} {self.row}"
        return f"{where}, {self.column}" if self.column else where


# --- reading the file's rows ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceInfo:
    """Where the rows come from, for messages: the file's name and what its numbers count (line or row)."""

    name: str
    unit: str = "line"


@dataclass(frozen=True)
class IncomingRows:
    """The file's rows for one table, typed and normalised, before they meet the book.

    Attributes:
        mapping: the mapping used.
        source: the file, for messages.
        lines: the file's line (or row) number of each row.
        values: contract column -> values as a user types them: text ``str`` (``""`` blank), dates
            ``datetime64[s]`` (NaT blank), numbers float64 (NaN blank). Only columns the file provides.
        headers: contract column -> the file's header it came from (``"(constant)"`` for a constant).
        customer_names: the ``customer_name`` of each row ("" when the file has none).
        failed: (row index, contract column) of cells that could not be read (their problem is in ``problems``).
        skipped: why rows were left out -> how many.
        problems: problems found reading the cells.
        notes: how ambiguous things were read (date order inferred...), for the output.
    """

    mapping: ColumnMapping
    source: SourceInfo
    lines: np.ndarray
    values: dict[str, np.ndarray]
    headers: dict[str, str]
    customer_names: np.ndarray
    failed: frozenset[tuple[int, str]]
    skipped: dict[str, int]
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)

    @property
    def table(self) -> Table:
        return self.mapping.table

    def __len__(self) -> int:
        return len(self.lines)


def header_probe(mapping: ColumnMapping) -> Callable[[Sequence[Sequence[object]]], bool]:
    """A function telling whether rows hold the header ``mapping`` needs (the reader uses it to pick the
    delimiter and the sheet)."""

    def probe(rows: Sequence[Sequence[object]]) -> bool:
        return _find_header(rows, mapping) is not None

    return probe


def _required_fields(mapping: ColumnMapping) -> list[str]:
    return [name for name in mapping.table.required if name not in mapping.constants]


def _positions(cells: Sequence[object], mapping: ColumnMapping) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        index.setdefault(normalise_header(cell), position)
    found = {}
    for name in mapping.fields():
        for candidate in mapping.candidates(name):
            if candidate in index:
                found[name] = index[candidate]
                break
    return found


def _find_header(rows: Sequence[Sequence[object]], mapping: ColumnMapping) -> tuple[int, dict[str, int]] | None:
    required = _required_fields(mapping)
    for number, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = _positions(cells, mapping)
        if all(name in found for name in required):
            return number, found
    return None


def _missing_header_message(rows: Sequence[Sequence[object]], mapping: ColumnMapping) -> str:
    required = _required_fields(mapping)
    best: tuple[int, Sequence[object]] = (-1, [])
    for cells in rows[:HEADER_SEARCH_ROWS]:
        score = sum(name in _positions(cells, mapping) for name in required)
        if score > best[0]:
            best = (score, cells)
    missing = [name for name in required if name not in _positions(best[1], mapping)]
    wanted = "; ".join(f"{name} ({' or '.join(mapping.columns.get(name, ())) or name})" for name in missing)
    shown = ", ".join(_as_text(cell).strip() for cell in best[1] if _as_text(cell).strip()) or "(nothing)"
    return (f"no header row with the columns {mapping.origin} needs: missing {wanted}. "
            f"The closest row holds: {shown}")


_is_text = np.frompyfunc(lambda value: isinstance(value, str), 1, 1)


def _text_mask(values: np.ndarray) -> np.ndarray:
    """Which cells are text. All of a CSV's are: Arrow checks that in C++ before Python looks cell by cell."""
    try:
        return pa.array(values, type=pa.string(), from_pandas=True).is_valid().to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _is_text(values).astype(bool)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_to_text = np.frompyfunc(_as_text, 1, 1)
_GUARDED = re.compile(r"^'[=+\-@\t\r]")


def _text_series(values: np.ndarray) -> pd.Series:
    """Cells -> trimmed text; the ``'`` arxl's CSV export puts before formula-like text is taken off."""
    if not _text_mask(values).all():
        values = _to_text(values)
    text = pd.Series(values, dtype="str").str.strip()
    guarded = text.str.match(_GUARDED.pattern)
    if guarded.any():
        text = text.where(~guarded, text.str.slice(1))
    return text


_DATE_EXPECTED = "a date such as 2026-02-28"
_MONEY_EXPECTED = "an amount such as 1234.56"
_SHAPES = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}

CellError = tuple[int, str, str, str]
"""A cell that could not be read: (row index, contract column, message, expected)."""


def _date_cells(values: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray, list[CellError]]:
    """The cells that are not text (an .xlsx date, a Parquet timestamp) -> ``datetime64[s]`` (NaT elsewhere),
    which cells are text, and the errors of those that are no date."""
    out = np.full(len(values), np.datetime64("NaT", "s"))
    is_text = _text_mask(values)
    errors: list[CellError] = []
    for index in np.flatnonzero(~is_text):
        value = values[index]
        if value is None:
            continue
        if isinstance(value, dt.datetime | pd.Timestamp):
            out[index] = np.datetime64(value.date(), "s")
        elif isinstance(value, dt.date):
            out[index] = np.datetime64(value, "s")
        else:
            errors.append((int(index), name, "is a number, not a date" if isinstance(value, int | float) else
                           "is not a date", _DATE_EXPECTED))
    return out, is_text, errors


def _read_dates(columns: dict[str, np.ndarray], order: str, lines: np.ndarray, source: SourceInfo
                ) -> tuple[dict[str, np.ndarray], list[CellError], set[tuple[int, str]], str, Problem | None]:
    """The date columns' cells -> (``datetime64[s]`` per column, cell errors, cells left unread because the file
    does not decide their day/month order, a note on the order inferred, the problem when none can be).

    Texts go through the shared grammar (``arxl.text``) in ``order``; with none, the order is the one the
    whole file proves (``_decide_order``) and every text is read in it."""
    cells = {name: _date_cells(values, name) for name, values in columns.items()}
    texts = {name: np.where(is_text, columns[name], "") for name, (_days, is_text, _errors) in cells.items()}
    readings = {name: read_dates(text, order) for name, text in texts.items()}
    note, problem = "", None
    if not order:
        decided, note, problem = _decide_order(readings, lines, source)
        if decided:
            readings = {name: _read_again(reading, texts[name], decided) for name, reading in readings.items()}
    or_order = "another --date-order" if order else "--date-order"
    values: dict[str, np.ndarray] = {}
    errors: list[CellError] = []
    unread: set[tuple[int, str]] = set()
    for name, reading in readings.items():
        days, is_text, cell_errors = cells[name]
        out = np.where(is_text, reading.days.astype("datetime64[s]"), days)
        errors += cell_errors
        # With no order for the file, a text whose day/month order matters is not read (the problem says why).
        undecided = np.zeros(len(out), dtype=bool) if problem is None else \
            (reading.outcome == Outcome.AMBIGUOUS) | (reading.evidence != "")
        unread |= {(int(index), name) for index in np.flatnonzero(undecided)}
        out[undecided] = np.datetime64("NaT", "s")
        for index in np.flatnonzero((reading.outcome == Outcome.INVALID) & ~undecided):
            read_in = str(reading.order[index])
            errors.append((int(index), name, f"is not a date in the {_SHAPES[read_in]} order this import reads",
                           f"{_DATE_EXPECTED}, or {or_order}") if read_in else
                          (int(index), name, "is not a date", _DATE_EXPECTED))
        values[name] = out
    return values, errors, unread, note, problem


def _read_again(reading: Dates, texts: np.ndarray, order: str) -> Dates:
    """A reading made with no date order, with the texts it could not read read again in the ``order`` the file
    proves. The others read the same in that order: year first, month names, day and month equal, or proving
    that very order."""
    again = np.flatnonzero((reading.outcome == Outcome.AMBIGUOUS) | (reading.outcome == Outcome.INVALID))
    if not len(again):
        return reading
    redone = read_dates(texts[again], order)
    merged = [array.copy() for array in (reading.days, reading.outcome, reading.order, reading.evidence)]
    for array, part in zip(merged, (redone.days, redone.outcome, redone.order, redone.evidence), strict=True):
        array[again] = part
    return Dates(*merged)


def _decide_order(readings: dict[str, Dates], lines: np.ndarray, source: SourceInfo
                  ) -> tuple[str, str, Problem | None]:
    """The day/month order of the file's text dates when none was given: the one the file proves, if any
    (and a note saying where), else ``""`` and, when some date needs one, the problem saying so."""
    if not readings:
        return "", "", None
    evidence = np.concatenate([reading.evidence for reading in readings.values()])
    ambiguous = np.concatenate([reading.outcome == Outcome.AMBIGUOUS for reading in readings.values()])
    rows = np.concatenate([np.arange(len(reading.outcome)) for reading in readings.values()])

    def example(mask: np.ndarray) -> str:
        return f"{source.unit} {int(lines[rows[np.flatnonzero(mask)[0]]])}"

    day_first, month_first = evidence == "dmy", evidence == "mdy"
    if day_first.any() and month_first.any():
        message = "the dates mix day-first and month-first forms"
    elif day_first.any():
        return "dmy", f"dates read day/month/year (a day above 12 comes first on {example(day_first)})", None
    elif month_first.any():
        return "mdy", f"dates read month/day/year (a day above 12 comes second on {example(month_first)})", None
    elif ambiguous.any():
        message = (f"dates such as the one on {example(ambiguous)} could be day/month or month/day, and "
                   "nothing in the file decides it")
    else:
        return "", "", None
    return "", "", SourceProblem("error", source.name, None, "", "", message,
                                 "--date-order dmy or mdy (or date_order in the mapping)", unit=source.unit)


def _read_amounts(values: np.ndarray, name: str, decimal_comma: bool) -> tuple[np.ndarray, list[CellError]]:
    """Cells -> float64 major units (NaN when blank or unread) and the errors: numbers as they are, texts
    through the shared grammar (``arxl.text``) with the mapping's decimal mark."""
    out = np.full(len(values), np.nan)
    errors: list[CellError] = []
    is_text = _text_mask(values)
    for index in np.flatnonzero(~is_text):
        value = values[index]
        if value is None:
            continue
        if isinstance(value, int | float | Decimal | np.integer | np.floating) and not isinstance(value, bool):
            out[index] = float(value)
        else:
            errors.append((int(index), name, "is not an amount", _MONEY_EXPECTED))
    reading = read_amounts(np.where(is_text, values, ""), decimal_comma)
    out[is_text] = reading.values[is_text]
    other_mark = ("; this import reads decimal commas (1.234,56): leave out --decimal-comma?" if decimal_comma
                  else "; for amounts written 1.234,56 use --decimal-comma (or decimal_comma = true)")
    for index in np.flatnonzero(reading.outcome == Outcome.OTHER_MARK):
        errors.append((int(index), name, "is not an amount" + other_mark, _MONEY_EXPECTED))
    for index in np.flatnonzero(reading.outcome == Outcome.INVALID):
        errors.append((int(index), name, "is not an amount", _MONEY_EXPECTED))
    return out, errors


def prepare_rows(rows: Sequence[Sequence[object]], numbers: Sequence[int], mapping: ColumnMapping,
                 source: SourceInfo) -> IncomingRows:
    """The file's rows (header included, anywhere in the first 30) -> typed rows for ``mapping.table``.

    Raises MappingError when the file has no header row the mapping can use, or lacks a column that
    ``keep``/``skip``/``skip_blank`` names (nothing sensible can be imported then).
    """
    found = _find_header(rows, mapping)
    if found is None:
        raise MappingError(f"{source.name}: {_missing_header_message(rows, mapping)}")
    header_index, positions = found
    header = list(rows[header_index])
    header_by_name = {normalise_header(cell): position for position, cell in reversed(list(enumerate(header)))}
    filters = {name: what for what, names in (("keep", mapping.keep), ("skip", mapping.skip),
                                              ("skip_blank", mapping.skip_blank)) for name in names}
    for name, what in filters.items():
        if normalise_header(name) not in header_by_name:
            raise MappingError(f"{source.name}: has no column {name!r} (named in {mapping.origin}'s {what})")
    grid, lines, problems = _data_grid(rows[header_index + 1:], numbers[header_index + 1:], len(header), source)
    texts: dict[int, pd.Series] = {}

    def column_text(position: int) -> pd.Series:
        if position not in texts:
            texts[position] = _text_series(grid[:, position])
        return texts[position]

    def filter_text(name: str) -> pd.Series:
        return column_text(header_by_name[normalise_header(name)])

    keep_rows = ~np.isin(lines, np.array([problem.row for problem in problems], dtype=np.int64))
    blank = np.ones(len(lines), dtype=bool)
    for position in set(positions.values()) | {header_by_name[normalise_header(name)] for name in filters}:
        blank &= (column_text(position) == "").to_numpy()
    keep_rows &= ~blank
    skipped: dict[str, int] = {}
    for name, allowed in mapping.keep.items():
        outside = ~filter_text(name).str.casefold().isin([value.casefold() for value in allowed]).to_numpy()
        outside = outside & keep_rows
        if outside.any():
            skipped[f"{name} not {' or '.join(allowed)}"] = int(outside.sum())
            keep_rows &= ~outside
    for name, refused in mapping.skip.items():
        inside = filter_text(name).str.casefold().isin([value.casefold() for value in refused]).to_numpy()
        inside = inside & keep_rows
        if inside.any():
            skipped[f"{name} is {' or '.join(refused)}"] = int(inside.sum())
            keep_rows &= ~inside
    for name in mapping.skip_blank:
        empty = (filter_text(name) == "").to_numpy() & keep_rows
        if empty.any():
            skipped[f"no {name} (headings, totals)"] = int(empty.sum())
            keep_rows &= ~empty
    kept = np.flatnonzero(keep_rows)
    lines = lines[kept]
    count = len(kept)

    values: dict[str, np.ndarray] = {}
    headers: dict[str, str] = {}
    shown: dict[str, np.ndarray] = {}
    dates: dict[str, np.ndarray] = {}  # read together: the whole file decides an order none was given
    cell_errors: list[CellError] = []
    for column in mapping.table.columns:
        name = column.name
        if name in positions:
            cells = grid[kept, positions[name]]
            text = column_text(positions[name]).to_numpy(dtype=object)[kept]
            headers[name] = str(header[positions[name]]).strip()
        elif name in mapping.constants:
            cells = np.full(count, "", dtype=object)
            text = cells.copy()
            headers[name] = "(constant)"
        else:
            continue
        replaced = np.zeros(count, dtype=bool)
        if name in mapping.values:
            translated = pd.Series(text, dtype="str").str.casefold().map(mapping.values[name])
            replaced = translated.notna().to_numpy()
            text = np.where(replaced, translated.to_numpy(dtype=object), text)
        if name in mapping.constants:
            constant = text == ""
            text = np.where(constant, mapping.constants[name], text)
            replaced |= constant
        shown[name] = np.where(replaced, text, cells)
        if column.kind in (Kind.DATE, Kind.MONEY, Kind.INTEGER, Kind.NUMBER):
            typed_input = np.where(replaced | _text_mask(cells), text, cells)
            if column.kind is Kind.DATE:
                dates[name] = typed_input
            else:
                values[name], errors = _read_amounts(typed_input, name, mapping.decimal_comma)
                cell_errors += errors
        else:
            values[name] = np.asarray(text, dtype=object)

    date_values, date_errors, failed, note, order_problem = _read_dates(dates, mapping.date_order, lines, source)
    values |= date_values
    values = {column.name: values[column.name] for column in mapping.table.columns if column.name in values}
    cell_errors += date_errors
    notes = [note] if note else []
    problems += [order_problem] if order_problem is not None else []

    if "amount" in values:
        values["amount"] = _signed_amounts(values, mapping)
    failed |= {(index, name) for index, name, _message, _expected in cell_errors}
    for index, name, message, expected in cell_errors:
        problems.append(SourceProblem("error", source.name, int(lines[index]), name,
                                      _as_text(shown[name][index]).strip(), message, expected, unit=source.unit))
    names_position = positions.get(CUSTOMER_NAME)
    customer_names = (column_text(names_position).to_numpy(dtype=object)[kept] if names_position is not None
                      else np.full(count, "", dtype=object))
    return IncomingRows(mapping, source, lines, values, headers, customer_names, frozenset(failed), skipped,
                        problems, notes)


def _data_grid(rows: Sequence[Sequence[object]], numbers: Sequence[int], width: int, source: SourceInfo
               ) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """The rows under the header as a 2-D object array of ``width`` columns, their lines, and rows that have
    more fields than the header (a delimiter inside an unquoted value: the columns are shifted)."""
    lines = np.asarray(numbers, dtype=np.int64)
    problems: list[Problem] = []
    if any(len(row) != width for row in rows):
        fixed = []
        for offset, row in enumerate(rows):
            if len(row) > width and any(_as_text(cell).strip() for cell in row[width:]):
                problems.append(SourceProblem("error", source.name, int(lines[offset]), "", "",
                                              f"has {len(row)} fields but the header has {width}; a delimiter "
                                              "inside an unquoted value shifts the columns",
                                              "one field per header", unit=source.unit))
            fixed.append((list(row) + [""] * width)[:width])
        rows = fixed
    grid = np.empty((len(rows), width), dtype=object)
    if len(rows) and width:
        grid[:] = rows
    return grid, lines, problems


def _signed_amounts(values: dict[str, np.ndarray], mapping: ColumnMapping) -> np.ndarray:
    """The mapping's sign rule; for invoices, credit notes then made negative whatever sign the file gave."""
    amounts = values["amount"]
    if mapping.amount_sign == "negate":
        amounts = -amounts
    elif mapping.amount_sign == "absolute":
        amounts = np.abs(amounts)
    if mapping.table is contract.INVOICES and "type" in values:
        kinds = pd.Series(values["type"], dtype="str").str.strip().str.lower().str.replace(" ", "_", regex=False)
        amounts = np.where((kinds == "credit_note").to_numpy(), -np.abs(amounts), amounts)
    return amounts
