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
- **Dates.** ISO dates (``2026-01-31``) always work; ``31 Jan 2026`` and ``Jan 31, 2026`` too. Dates such as
  ``03/04/2026`` follow the date order (``--date-order`` or the mapping's ``date_order``); with none, the order
  is inferred from the whole file (a ``13/01/2026`` somewhere makes it day first) and refused when nothing
  decides it. Two-digit years are 20xx.
- **Amounts.** ``1,234.50``, ``$1,234.50``, ``(250.00)`` and ``250.00-`` are read; with ``--decimal-comma``
  (or ``decimal_comma = true``) ``1.234,50``. Anything else is an error naming the line.
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
import pyarrow.compute as pc

from .. import contract
from ..contract import Kind, Table, normalise_header
from ..problems import Problem
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


_MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], start=1) for name in names}
_NUMERIC_DATE = r"^(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})(?:[T ].*)?$"
_DAY_MONTH_NAME = r"^(?P<a>\d{1,2})[-/. ]*(?P<b>[A-Za-z]{3,9})\.?[-/., ]*(?P<c>\d{2,4})(?:[T ].*)?$"
_MONTH_NAME_DAY = r"^(?P<b>[A-Za-z]{3,9})\.?[-/. ]*(?P<a>\d{1,2})(?:st|nd|rd|th)?,?[-/. ]*(?P<c>\d{4})(?:[T ].*)?$"
_DATE_EXPECTED = "a date such as 2026-02-28"
_MONEY_EXPECTED = "an amount such as 1234.56"


def _valid_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[s] of (year, month, day) and whether each is a real date."""
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1900) & (year <= 9999)
    safe_month = np.where(ok, month, 1)
    safe_year = np.where(ok, year, 2000)
    months = ((safe_year - 1970) * 12 + safe_month - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= day <= length
    days = first + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    return np.where(ok, days.astype("datetime64[s]"), np.datetime64("NaT", "s")), ok


@dataclass
class _DateText:
    """Day/month text dates of one column (``03/04/2026``) whose order is decided once for the whole file."""

    column: str
    rows: np.ndarray  # indexes of the rows holding one
    first: np.ndarray
    second: np.ndarray
    year: np.ndarray


def _extract(text: pa.Array, pattern: str) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Which strings match ``pattern`` (named groups a, b, c) and the groups' text (Arrow, C++ speed)."""
    found = pc.extract_regex(text, pattern)
    matched = found.is_valid().to_numpy(zero_copy_only=False)
    return matched, {name: found.field(name) for name in ("a", "b", "c")}


def _integers(text: pa.Array, rows: np.ndarray) -> np.ndarray:
    """The digits of the matched ``rows`` as integers."""
    return pc.cast(text.take(pa.array(rows)), pa.int64()).to_numpy(zero_copy_only=False)


def _parse_dates(values: np.ndarray, column: str, order: str, undecided: list[_DateText]
                 ) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
    """Cells -> (datetime64[s], NaT when blank or unread; [(index, message, expected)] for unread cells).

    With no ``order``, day/month text dates are left NaT and collected in ``undecided``."""
    count = len(values)
    out = np.full(count, np.datetime64("NaT", "s"))
    errors: list[tuple[int, str, str]] = []
    is_text = _text_mask(values)
    for index in np.flatnonzero(~is_text):
        value = values[index]
        if value is None:
            continue
        if isinstance(value, dt.datetime | pd.Timestamp):
            out[index] = np.datetime64(value.date(), "s")
        elif isinstance(value, dt.date):
            out[index] = np.datetime64(value, "s")
        else:
            errors.append((int(index), "is a number, not a date" if isinstance(value, int | float) else
                           "is not a date", _DATE_EXPECTED))
    text = pc.utf8_trim_whitespace(pa.array(np.where(is_text, values, ""), type=pa.string()))
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    is_numeric, groups = _extract(text, _NUMERIC_DATE)
    is_numeric &= present
    if is_numeric.any():
        rows = np.flatnonzero(is_numeric)
        first, second, third = (_integers(groups[name], rows) for name in ("a", "b", "c"))
        ymd = (pc.utf8_length(groups["a"].take(pa.array(rows))).to_numpy(zero_copy_only=False) > 2) | (order == "ymd")
        if ymd.any():
            days, ok = _valid_days(np.where(first < 100, first + 2000, first), second, third)
            out[rows[ymd]] = days[ymd]
            errors += [(int(row), "is not a date", _DATE_EXPECTED) for row in rows[ymd & ~ok]]
            rows, first, second, third = rows[~ymd], first[~ymd], second[~ymd], third[~ymd]
        year = np.where(third < 100, third + 2000, third)
        if order in ("dmy", "mdy"):
            day, month = (first, second) if order == "dmy" else (second, first)
            days, ok = _valid_days(year, month, day)
            out[rows] = days
            shape = "day/month/year" if order == "dmy" else "month/day/year"
            errors += [(int(row), f"is not a date in the {shape} order this import reads",
                        "a date such as 2026-02-28, or another --date-order") for row in rows[~ok]]
        elif len(rows):
            undecided.append(_DateText(column, rows, first, second, year))
    named = np.zeros(count, dtype=bool)
    for pattern in (_DAY_MONTH_NAME, _MONTH_NAME_DAY):
        rest = present & ~is_numeric & ~named
        if not rest.any():
            break
        matched, groups = _extract(text, pattern)
        matched &= rest
        named |= matched
        rows = np.flatnonzero(matched)
        if not len(rows):
            continue
        words = pc.utf8_lower(groups["b"].take(pa.array(rows))).to_numpy(zero_copy_only=False)
        month = np.array([_MONTHS.get(word, 0) for word in words], dtype=np.int64)
        year = _integers(groups["c"], rows)
        days, ok = _valid_days(np.where(year < 100, year + 2000, year), month, _integers(groups["a"], rows))
        out[rows] = days
        errors += [(int(row), "is not a date", _DATE_EXPECTED) for row in rows[~ok]]
    other = present & ~is_numeric & ~named
    errors += [(int(index), "is not a date", _DATE_EXPECTED) for index in np.flatnonzero(other)]
    return out, errors


def _parse_amounts(values: np.ndarray, decimal_comma: bool) -> tuple[np.ndarray, list[tuple[int, str, str]]]:
    """Cells -> (float64 major units, NaN when blank or unread; errors). The module doc lists what is read."""
    count = len(values)
    out = np.full(count, np.nan)
    errors: list[tuple[int, str, str]] = []
    is_text = _text_mask(values)
    for index in np.flatnonzero(~is_text):
        value = values[index]
        if value is None:
            continue
        if isinstance(value, int | float | Decimal | np.integer | np.floating) and not isinstance(value, bool):
            out[index] = float(value)
        else:
            errors.append((int(index), "is not an amount", _MONEY_EXPECTED))
    text = pd.Series(np.where(is_text, values, ""), dtype="str")
    text = text.str.replace(r"[\s\u00a0\u2007\u202f']", "", regex=True)
    present = (text != "").to_numpy()
    if not present.any():
        return out, errors
    parenthesised = text.str.startswith("(") & text.str.endswith(")")
    text = text.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    text = text.str.replace(r"[$€£¥₹₩₽₺₪₫₦₱฿]|^[A-Za-z]{3}|[A-Za-z]{3}$", "", regex=True)
    trailing = text.str.endswith("-") & ~text.str.startswith("-")
    text = text.str.replace(r"-$", "", regex=True).where(trailing, text)
    leading = text.str.startswith("-")
    text = text.str.replace(r"^[+-]", "", regex=True)
    if decimal_comma:
        valid = text.str.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d*)?|\d+(?:,\d*)?|,\d+")
        plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        valid = text.str.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+")
        plain = text.str.replace(",", "", regex=False)
    valid = valid.to_numpy(dtype=bool) & present
    numbers = pd.to_numeric(plain.where(valid, "0"), errors="coerce").to_numpy(dtype=np.float64)
    negative = (parenthesised ^ trailing ^ leading).to_numpy(dtype=bool)
    out[valid] = np.where(negative, -numbers, numbers)[valid]
    bad = present & ~valid
    for index in np.flatnonzero(bad):
        raw = str(values[index])
        if decimal_comma and re.fullmatch(r"[^,]*\d\.\d{1,2}\)?-?", raw.strip()):
            hint = "; this import reads decimal commas (1.234,56): leave out --decimal-comma?"
        elif not decimal_comma and re.search(r"\d,\d{1,2}\)?-?$", raw.strip()):
            hint = "; for amounts written 1.234,56 use --decimal-comma (or decimal_comma = true)"
        else:
            hint = ""
        errors.append((int(index), "is not an amount" + hint, _MONEY_EXPECTED))
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
    inferred: list[_DateText] = []
    cell_errors: list[tuple[int, str, str, str]] = []  # (index, column, message, expected)
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
                values[name], errors = _parse_dates(typed_input, name, mapping.date_order, inferred)
            else:
                values[name], errors = _parse_amounts(typed_input, mapping.decimal_comma)
            cell_errors += [(index, name, message, expected) for index, message, expected in errors]
        else:
            values[name] = np.asarray(text, dtype=object)

    notes: list[str] = []
    failed: set[tuple[int, str]] = set()
    if inferred:
        order, note, problem = _decide_order(inferred, lines, source)
        notes += [note] if note else []
        problems += [problem] if problem is not None else []
        for item in inferred:
            if not order:
                failed |= {(int(row), item.column) for row in item.rows}
                continue
            day, month = (item.first, item.second) if order == "dmy" else (item.second, item.first)
            days, ok = _valid_days(item.year, month, day)
            values[item.column][item.rows] = days
            shape = "day/month/year" if order == "dmy" else "month/day/year"
            cell_errors += [(int(row), item.column, f"is not a date in the {shape} order this import reads",
                             "a date such as 2026-02-28, or --date-order") for row in item.rows[~ok]]

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


def _decide_order(undecided: list[_DateText], lines: np.ndarray, source: SourceInfo
                  ) -> tuple[str, str, Problem | None]:
    """The day/month order of the file's text dates when none was given: the one the file proves, if any."""
    first = np.concatenate([item.first for item in undecided])
    second = np.concatenate([item.second for item in undecided])
    rows = np.concatenate([item.rows for item in undecided])

    def example(mask: np.ndarray) -> str:
        return f"{source.unit} {int(lines[rows[np.flatnonzero(mask)[0]]])}"

    day_first = not (second > 12).any()
    month_first = not (first > 12).any()
    if day_first and not month_first:
        return "dmy", f"dates read day/month/year (a day above 12 comes first on {example(first > 12)})", None
    if month_first and not day_first:
        return "mdy", f"dates read month/day/year (a day above 12 comes second on {example(second > 12)})", None
    if day_first and month_first:
        if not (first != second).any():
            return "dmy", "", None
        message = (f"dates such as the one on {example(first != second)} could be day/month or month/day, and "
                   "nothing in the file decides it")
    else:
        message = "the dates mix day-first and month-first forms"
    return "", "", SourceProblem("error", source.name, None, "", "", message,
                                 "--date-order dmy or mdy (or date_order in the mapping)", unit=source.unit)

