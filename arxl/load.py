"""Raw input tables -> a typed, validated ``Ledger`` plus every problem found (never an exception for bad data).

Raw tables come from a workbook file (``arxl.workbook``), from a live Excel book or from UDF arguments; they are
plain rows of cell values with the Excel row number of the first one, or (a clean Excel Table read from a file)
typed Arrow columns, which the parsers convert without a Python object per cell. Everything a column holds is read
by the parsers of ``arxl.cells``; this module maps headers to the contract, resolves defaults and checks the rules
that span rows and tables (duplicates, references, over-application).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import contract
from .aging import EDGES_EXPECTED, parse_edges
from .arrays import arrow_text, member, position_in, positions_in_many
from .cells import (
    ColumnContext,
    FormulaCell,
    cells_of,
    formula_problem,
    is_blank_array,
    parse_bool,
    parse_choice,
    parse_currency,
    parse_date,
    parse_id,
    parse_integer,
    parse_money,
    parse_number,
    parse_text,
    today_formula,
)
from .contract import Kind, Table, normalise_header
from .dates import day_numbers
from .excel import MAX_ROWS
from .fx import booking_rates, cross_rates, exact_rate, exchange, exchange_factor
from .ledger import (
    ACTIVITY_COLUMNS,
    ADJUSTMENT_COLUMNS,
    APPLICATION_COLUMNS,
    ASSERTION_COLUMNS,
    CUSTOMER_COLUMNS,
    DUNNING_COLUMNS,
    FX_COLUMNS,
    INSTALMENT_COLUMNS,
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    Ledger,
    Settings,
    empty_frame,
)
from .money import exponent, floats_to_minor, format_plain
from .problems import Problem, sort_problems

MAX_TERMS_DAYS = 3650  # ten years: anything longer is a typing mistake, and dates must stay within 9999


@dataclass(frozen=True)
class RawTable:
    """An input table as found: header cells, data rows, and where they sit.

    Attributes:
        name: the contract table name (``Invoices``).
        header: the header cells as typed.
        rows: the data rows, each a sequence of cell values (``""`` or None when empty); empty when ``typed``
            holds the table.
        first_row: the Excel row number of ``rows[0]``.
        sheet: the sheet it was read from (for messages; defaults to ``name``).
        typed: the data as typed Arrow columns, one per header cell (a clean Excel Table read by fastexcel:
            each column holds one type of cell, empty cells are nulls); None when ``rows`` holds the data.
        formulas: the cells holding a formula, by (Excel row, position in the header): their values above are
            the values the file saved with them, which ``arxl.cells.formula_problem`` judges. A file reader
            fills it; a live Excel book hands over calculated values and leaves it empty.
    """

    name: str
    header: Sequence[object]
    rows: Sequence[Sequence[object]]
    first_row: int = 2
    sheet: str = ""
    typed: pa.RecordBatch | None = None
    formulas: Mapping[tuple[int, int], FormulaCell] = field(default_factory=dict)

    def cell_rows(self) -> list[list[object]]:
        """The data rows as cell values, whichever way the table was read."""
        if self.typed is None:
            return [list(row) for row in self.rows]
        columns = [cells_of(column) for column in self.typed.columns]
        return [list(row) for row in zip(*columns, strict=True)] if columns else []

    def __len__(self) -> int:
        return self.typed.num_rows if self.typed is not None else len(self.rows)


@dataclass(frozen=True)
class LoadResult:
    """What loading gives: the ledger (usable only when ``ok``) and all problems, errors first; ``date1904``: the
    date system the tables were read in (to load them again with rows added)."""

    ledger: Ledger
    problems: list[Problem] = field(default_factory=list)
    date1904: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Parsed:
    """One table after header mapping and per-column parsing."""

    table: Table
    sheet: str
    rows: np.ndarray  # Excel row numbers of the kept rows
    columns: dict[str, np.ndarray | pd.Series]  # text parsed from Arrow stays Arrow-backed
    present: dict[str, np.ndarray]  # for numeric columns: which cells had a value
    found: set[str]  # canonical columns present in the header
    formula_errors: set[Problem] = field(default_factory=set)  # formula cells whose saved value is not read

    def blank(self, name: str) -> np.ndarray:
        values = self.columns[name]
        if name in self.present:
            return ~self.present[name]
        if values.dtype.kind == "M":
            return np.isnat(values)
        return np.asarray(values == "", dtype=bool)


def load_tables(raw: Mapping[str, RawTable], *, date1904: bool = False) -> LoadResult:
    """Validate and type the input tables. Missing optional tables are empty; missing required ones are errors."""
    problems: list[Problem] = []
    settings_table = raw.get("Settings")
    settings = _load_settings(settings_table, problems, date1904)
    parsed: dict[str, _Parsed | None] = {}
    for table in contract.TABLES:
        if table.name == "Settings":
            continue
        source = raw.get(table.name)
        if source is None:
            if not table.optional:
                problems.append(Problem("error", table.name, None, "", "",
                                        f"the workbook has no {table.name} table",
                                        f"a sheet named {table.name} holding an Excel Table named {table.name}"))
            parsed[table.name] = None
            continue
        parsed[table.name] = _parse_table(table, source, settings, date1904, problems)
    ledger = _build_ledger(settings, parsed, problems)
    judged = {problem for table in parsed.values() if table is not None for problem in table.formula_errors}
    if judged:  # what later checks said about a formula's untrusted saved value (an amount of 0 ...) is moot
        cells = {(problem.sheet, problem.row, problem.column) for problem in judged}
        problems = [problem for problem in problems
                    if problem in judged or (problem.sheet, problem.row, problem.column) not in cells]
    return LoadResult(ledger, sort_problems(problems))


# --- generic table reading ------------------------------------------------------------------------------------

def _map_header(table: Table, source: RawTable, sheet: str, problems: list[Problem]) -> dict[str, int] | None:
    wanted = {column.name for column in table.columns}
    positions: dict[str, int] = {}
    for index, cell in enumerate(source.header):
        name = normalise_header(cell)
        if name not in wanted:
            continue
        typed = "" if cell is None else str(cell)
        if name in positions:
            problems.append(Problem("error", sheet, source.first_row - 1, name, typed,
                                    "is a duplicate header", "each column once"))
            continue
        positions[name] = index
        if typed != typed.strip() or "\u00a0" in typed:
            problems.append(Problem("warning", sheet, source.first_row - 1, name, typed,
                                    f'header has stray spaces; matched to "{name}"'))
    missing = [name for name in table.required if name not in positions]
    for name in missing:
        problems.append(Problem("error", sheet, source.first_row - 1, name, "",
                                "required column is missing", f"a header named {name}"))
    return None if missing else positions


def _parse_table(table: Table, source: RawTable, settings: Settings, date1904: bool,
                 problems: list[Problem]) -> _Parsed | None:
    sheet = source.sheet or table.name
    positions = _map_header(table, source, sheet, problems)
    if positions is None:
        return None
    columns_raw: dict[str, np.ndarray | pa.Array]
    if source.typed is not None:
        count = source.typed.num_rows
        columns_raw = {name: source.typed.column(index) for name, index in positions.items()}
    else:
        width = len(source.header)
        rows = source.rows
        if len(set(map(len, rows)) - {width}):  # ranges from UDFs or CSVs may be ragged
            rows = [(list(row) + [""] * width)[:width] for row in rows]
        count = len(rows)
        grid = np.empty((count, width), dtype=object)
        if count and width:
            grid[:] = rows
        columns_raw = {name: grid[:, index] for name, index in positions.items()}
    excel_rows = source.first_row + np.arange(count, dtype=np.int64)
    formulas = _formulas_by_column(source, positions)
    if count and excel_rows[-1] > MAX_ROWS:  # rows an import would add past the end of the sheet
        beyond = int(np.searchsorted(excel_rows, MAX_ROWS, side="right"))
        problems.append(Problem("error", sheet, int(excel_rows[beyond]), "", "",
                                f"lies beyond Excel's last row ({MAX_ROWS:,}): with it, {count - beyond:,} "
                                "row(s) cannot be stored in the sheet",
                                f"at most {MAX_ROWS:,} rows a sheet: archive old documents, or start a new book"))

    blank_rows = np.ones(count, dtype=bool)
    for column in columns_raw.values():  # narrow down column by column: only all-blank rows are blank rows
        candidates = np.flatnonzero(blank_rows)
        if not len(candidates):
            break
        blank_rows[candidates] = is_blank_array(column.take(candidates) if isinstance(column, pa.Array)
                                                else column[candidates])
    for cells in formulas.values():  # a formula with no saved value is not a blank cell
        for row in cells:
            if 0 <= row - source.first_row < count:
                blank_rows[row - source.first_row] = False
    if blank_rows.any():
        last_data = np.flatnonzero(~blank_rows)
        last = last_data[-1] if len(last_data) else -1
        for index in np.flatnonzero(blank_rows[:last + 1] if last >= 0 else []):
            problems.append(Problem("warning", sheet, int(excel_rows[index]), "", "",
                                    "blank row inside the table is skipped"))
        keep = ~blank_rows
        excel_rows = excel_rows[keep]
        columns_raw = {name: values.filter(pa.array(keep)) if isinstance(values, pa.Array) else values[keep]
                       for name, values in columns_raw.items()}

    parsed = _Parsed(table, sheet, excel_rows, {}, {}, set(positions))
    for column in table.columns:
        values = columns_raw.get(column.name)
        if values is None and column.kind is Kind.NUMBER:
            # An optional number column the table does not have (fx_rate in a one-currency book): all blank.
            parsed.columns[column.name] = np.zeros(len(excel_rows), dtype=np.float64)
            parsed.present[column.name] = np.zeros(len(excel_rows), dtype=bool)
            continue
        if values is None:
            values = np.full(len(excel_rows), "", dtype=object)
        ctx = ColumnContext(sheet, column.name, excel_rows, settings.date_order, settings.decimal_comma,
                            date1904)
        kind = column.kind
        if kind is Kind.ID:
            out, found = parse_id(values, ctx)
        elif kind is Kind.TEXT:
            out, found = parse_text(values, ctx)
        elif kind is Kind.DATE:
            out, found = parse_date(values, ctx)
        elif kind is Kind.MONEY:
            out, present, found = parse_money(values, ctx)
            parsed.present[column.name] = present
        elif kind is Kind.NUMBER:
            out, present, found = parse_number(values, ctx)
            parsed.present[column.name] = present
        elif kind is Kind.INTEGER:
            out, present, found = parse_integer(values, ctx)
            parsed.present[column.name] = present
        elif kind is Kind.BOOL:
            out, found = parse_bool(values, ctx)
        elif kind is Kind.CHOICE:
            out, found = parse_choice(values, ctx, column.choices)
        else:
            out, found = parse_currency(values, ctx)
        if column.name in formulas:
            found, out = _judge_formulas(column, formulas[column.name], ctx, found, out, parsed)
        problems.extend(found)
        parsed.columns[column.name] = out
        if column.required:
            unparsed = {(p.row, p.column) for p in found if p.is_error}
            for index in np.flatnonzero(parsed.blank(column.name)):
                row = int(excel_rows[index])
                if (row, column.name) not in unparsed:
                    problems.append(Problem("error", sheet, row, column.name, "", "is required but empty",
                                            _expected(column)))
    return parsed


def _formulas_by_column(source: RawTable, positions: dict[str, int]) -> dict[str, dict[int, FormulaCell]]:
    """The table's formula cells in the columns arxl reads: column name -> Excel row -> cell."""
    if not source.formulas:
        return {}
    names = {index: name for name, index in positions.items()}
    by_column: dict[str, dict[int, FormulaCell]] = {}
    for (row, index), cell in source.formulas.items():
        if index in names:
            by_column.setdefault(names[index], {})[row] = cell
    return by_column


def _matters(column: contract.Column) -> bool:
    """Whether a column's values change the figures: all but optional free text (a note, a description)."""
    return column.required or column.kind is not Kind.TEXT


def _judge_formulas(column: contract.Column, cells: dict[int, FormulaCell], ctx: ColumnContext,
                    found: list[Problem], out: np.ndarray | pd.Series, parsed: _Parsed
                    ) -> tuple[list[Problem], np.ndarray | pd.Series]:
    """The column's problems with those of its formula cells judged by ``formula_problem``: where a formula's
    saved value cannot be trusted, what the parsers said about that value is replaced by why."""
    judged: list[Problem] = []
    blanked: list[int] = []
    rows = ctx.rows
    for row, cell in sorted(cells.items()):
        index = int(np.searchsorted(rows, row))
        if index >= len(rows) or rows[index] != row:
            continue
        problem, unread = formula_problem(cell, ctx, index, matters=_matters(column),
                                          date=column.kind is Kind.DATE)
        if problem is not None:
            judged.append(problem)
        if unread:
            blanked.append(index)
    if not judged:
        return found, out
    parsed.formula_errors.update(problem for problem in judged if problem.is_error)
    replaced = {int(rows[index]) for index in blanked} | {problem.row for problem in judged if problem.is_error}
    found = [problem for problem in found if problem.row not in replaced] + judged
    if blanked and column.kind is Kind.TEXT:  # a free-text formula that could not be read is read as blank
        out = out.copy()
        if isinstance(out, pd.Series):
            out.iloc[blanked] = ""
        else:
            out[blanked] = ""
    return found, out


def _expected(column: contract.Column) -> str:
    return {
        Kind.DATE: "a date such as 2026-02-28",
        Kind.MONEY: "an amount such as 1234.56",
        Kind.CHOICE: "one of " + ", ".join(choice for choice in column.choices if choice),
        Kind.CURRENCY: "an ISO 4217 code such as USD",
    }.get(column.kind, "a value")


# --- settings -------------------------------------------------------------------------------------------------

def _load_settings(source: RawTable | None, problems: list[Problem], date1904: bool) -> Settings:
    if source is None:
        problems.append(Problem("warning", "Settings", None, "", "",
                                "the workbook has no Settings table; defaults are used"))
        return Settings()
    positions = _map_header(contract.SETTINGS, source, source.sheet or "Settings", problems)
    if positions is None:
        return Settings()
    sheet = source.sheet or "Settings"
    values: dict[str, tuple[object, int]] = {}
    for offset, row in enumerate(source.cell_rows()):
        cells = list(row)
        key_cell = cells[positions["key"]] if positions["key"] < len(cells) else ""
        value_cell = cells[positions["value"]] if positions["value"] < len(cells) else ""
        key = normalise_header(key_cell)
        excel_row = source.first_row + offset
        if not key:
            continue
        if key not in contract.SETTINGS_BY_KEY:
            problems.append(Problem("warning", sheet, excel_row, "key", str(key_cell),
                                    "is not a setting arxl knows; ignored",
                                    "one of " + ", ".join(contract.SETTINGS_BY_KEY)))
            continue
        if key in values:
            problems.append(Problem("error", sheet, excel_row, "key", str(key_cell),
                                    f"is set twice (also row {values[key][1]})", "each setting once"))
            continue
        values[key] = (value_cell, excel_row)
    resolved: dict[str, object] = {}
    for spec in contract.SETTING_KEYS:
        cell, row = values.get(spec.key, (None, None))
        formula = source.formulas.get((row, positions["value"])) if row is not None else None
        if formula is not None:
            cell = _setting_formula(spec, formula, cell, sheet, row, problems)
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            cell, row = spec.default, None
            if cell == "":
                continue
        ctx = ColumnContext(sheet, "value", np.array([row or 0]), date1904=date1904)
        value, found = _setting_value(spec, cell, ctx, exponent(str(resolved.get("reporting_currency", "USD"))))
        if row is None:
            found = []
        # The value column is text by nature: a number or an ISO date typed there is no surprise.
        found = [p for p in found if p.is_error or "typed as text" not in p.message]
        problems.extend(replace(p, column=f"value ({spec.key})") for p in found)
        if value is not None:
            resolved[spec.key] = value
    _fit_allowance_rates(resolved, values.get("allowance_rates"), sheet, problems)
    return Settings(**resolved)


def _fit_allowance_rates(resolved: dict[str, object], typed: tuple[object, int] | None, sheet: str,
                         problems: list[Problem]) -> None:
    """One allowance rate per aging bucket. Rates the user typed must match the buckets ``bucket_edges`` makes
    (a located error otherwise); left blank (or left at the template's five default rates), they default by
    each bucket's first day past due, from the default scale: Current 1%, up to 30 days 3%, up to 60 days 10%,
    up to 90 days 25%, beyond 50%."""
    edges = resolved.get("bucket_edges")
    rates = resolved.get("allowance_rates")
    if not isinstance(edges, tuple) or not isinstance(rates, tuple):
        return  # a bucket_edges or allowance_rates error is reported already
    buckets = len(edges) + 2  # Current, 1 to the first edge, ..., over the last edge
    if len(rates) == buckets:
        return
    # The template's own default, left as it was when bucket_edges changed, counts as blank.
    blank = typed is None or typed[0] is None or (isinstance(typed[0], str) and not typed[0].strip()) \
        or rates == Settings().allowance_rates
    if not blank:
        problems.append(Problem("error", sheet, typed[1], "value (allowance_rates)", str(typed[0]),
                                f"has {len(rates)} rate(s) but bucket_edges makes {buckets} aging buckets",
                                f"{buckets} rates between 0 and 1, Current first, or blank for arxl's default"))
        resolved.pop("allowance_rates")
        return
    scale = ((0, 0.01), (30, 0.03), (60, 0.10), (90, 0.25))
    starts = (0, 1, *(edge + 1 for edge in edges))
    resolved["allowance_rates"] = tuple(next((rate for limit, rate in scale if start <= limit), 0.50)
                                        for start in starts)


def _setting_formula(spec: contract.Setting, formula: FormulaCell, cell: object, sheet: str, row: int,
                     problems: list[Problem]) -> object:
    """The value of a setting typed as a formula: its saved value when it can be trusted, else blank (the
    default) with the problem said (an error unless the setting is free text). ``as_of`` holding ``=TODAY()``
    is a blank as_of, read as today, with a warning."""
    column = f"value ({spec.key})"
    if spec.key == "as_of" and today_formula(formula.formula):
        problems.append(Problem("warning", sheet, row, column, "=" + formula.formula,
                                "is read as today, as a blank as_of is: the value saved with the formula is "
                                "only the day the book was last calculated",
                                "a date typed in, for a report as of a fixed day"))
        return None
    ctx = ColumnContext(sheet, column, np.array([row]))
    problem, unread = formula_problem(formula, ctx, 0, matters=spec.kind is not Kind.TEXT,
                                      date=spec.kind is Kind.DATE)
    if problem is None:
        return cell
    problems.append(problem)
    return None if unread or problem.is_error else cell


def _setting_value(spec: contract.Setting, cell: object, ctx: ColumnContext, digits: int = 2
                   ) -> tuple[object, list[Problem]]:
    """One setting's value and its problems; ``digits``: the minor-unit digits of the reporting currency, which
    money settings are in."""
    one = np.array([cell], dtype=object)
    if spec.kind is Kind.DATE:
        out, found = parse_date(one, ctx)
        return (None if np.isnat(out[0]) else pd.Timestamp(out[0]).date()), found
    if spec.kind is Kind.INTEGER:
        number, present, found = parse_integer(one, ctx, minimum=1 if spec.key == "dso_period_days" else 0)
        return (int(number[0]) if present[0] else None), found
    if spec.kind is Kind.NUMBER:
        number, present, found = parse_number(one, ctx)
        return (float(number[0]) if present[0] else None), found
    if spec.kind is Kind.MONEY:
        number, present, found = parse_money(one, ctx)
        minor, _extra = floats_to_minor(number, np.array([digits]))
        if present[0] and minor[0] < 0:
            found.append(ctx.problem(0, "error", str(cell), "is negative", "an amount of zero or more"))
            return None, found
        return (int(minor[0]) if present[0] else None), found
    if spec.kind is Kind.BOOL:
        flags, found = parse_bool(one, ctx)
        return bool(flags[0]), found
    if spec.kind is Kind.CHOICE:
        chosen, found = parse_choice(one, ctx, spec.choices)
        return (None if found else str(chosen[0])), found
    if spec.kind is Kind.CURRENCY:
        codes, found = parse_currency(one, ctx)
        return (str(codes[0]) or None), found
    text, found = parse_text(one, ctx)
    value = str(text[0])
    if spec.key == "bucket_edges":
        return _bucket_edges(value, ctx, found)
    if spec.key == "allowance_rates":
        return _rates(value, ctx, found)
    return value, found


def _bucket_edges(value: str, ctx: ColumnContext, found: list[Problem]) -> tuple[object, list[Problem]]:
    try:
        return parse_edges(value), found
    except ValueError:
        found.append(ctx.problem(0, "error", value, "is not a list of bucket edges", EDGES_EXPECTED))
        return None, found


def _rates(value: str, ctx: ColumnContext, found: list[Problem]) -> tuple[object, list[Problem]]:
    try:
        rates = tuple(float(part) for part in value.replace(";", ",").split(",") if part.strip())
    except ValueError:
        rates = ()
    if not rates or any(not 0 <= rate <= 1 for rate in rates):
        found.append(ctx.problem(0, "error", value, "is not a list of loss rates",
                                 "rates between 0 and 1 such as 0.01,0.03,0.10,0.25,0.50"))
        return None, found
    return rates, found


# --- building the ledger --------------------------------------------------------------------------------------

def _frame(parsed: _Parsed | None, columns: dict[str, str]) -> pd.DataFrame:
    if parsed is None:
        return empty_frame(columns)
    count = len(parsed.rows)
    data: dict[str, object] = {}
    for name, dtype in columns.items():
        if name == "row":
            data[name] = parsed.rows
        elif name in parsed.columns:
            values = parsed.columns[name]
            data[name] = pd.Series(values, dtype="str") if dtype == "str" else values
        else:
            data[name] = pd.Series([""] * count, dtype="str") if dtype == "str" else None
    return pd.DataFrame(data)


def _to_minor(parsed: _Parsed, name: str, currencies: object, problems: list[Problem]) -> np.ndarray:
    values = parsed.columns[name]
    encoded = pc.dictionary_encode(arrow_text(currencies))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    exponents = np.array([exponent(str(code)) for code in encoded.dictionary.to_pylist()] or [0],
                         dtype=np.int64)[codes]
    minor, extra = floats_to_minor(values, exponents)
    present = parsed.present[name]
    for index in np.flatnonzero(extra & present):
        problems.append(Problem("warning", parsed.sheet, int(parsed.rows[index]), name,
                                repr(float(values[index])),
                                f"has more decimals than {currencies[index]} uses; rounded to "
                                f"{format_plain(int(minor[index]), str(currencies[index]))}"))
    return np.where(present, minor, 0)


def _lookup(keys: pd.Series, values: pd.Series, default: str, positions: np.ndarray | None = None) -> pd.Series:
    """``keys`` mapped through ``values`` (an id-indexed Series of text; where an id repeats, its first value),
    ``default`` where not found. ``positions``: the keys' places in ``values.index`` when already known."""
    positions = position_in(keys, values.index) if positions is None else positions
    if not len(values):
        return pd.Series(np.full(len(keys), default, dtype=object), index=keys.index, dtype="str")
    found = pc.take(arrow_text(values), pa.array(np.maximum(positions, 0)))
    return pd.Series(pc.if_else(pa.array(positions >= 0), found, default), index=keys.index, dtype="str")


def _ascending(ids: pa.Array | pa.ChunkedArray) -> bool:
    """Whether every id sorts after the one before it: ids typed in order, and then surely unique."""
    return len(ids) < 2 or pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py()


def _by_id(frame: pd.DataFrame, key: str, unique: bool | None = None) -> pd.DataFrame:
    """The first row of each ``key`` (a repeated id is reported by ``_check_unique``), indexed by it. ``unique``:
    whether the ids are known to be unique; when not told, ids in ascending order (as they usually are) are."""
    if unique is None:
        unique = _ascending(arrow_text(frame[key]))
    return (frame if unique else frame.drop_duplicates(key)).set_index(key)


def _unique_ignoring_case(ids: pd.Series) -> bool:
    """A quick proof that no two ids are equal or differ only in case (ASCII ids, or ids in order)."""
    text = arrow_text(ids)
    if not pc.all(pc.string_is_ascii(text)).as_py():
        return False
    lowered = pc.ascii_lower(text)
    return _ascending(lowered) or pc.count_distinct(lowered).as_py() == len(lowered)


def _join(left: pd.DataFrame, on: str, right: pd.DataFrame, columns: list[str], suffix: str,
          positions: np.ndarray | None = None) -> pd.DataFrame:
    """``left`` (index reset) with the ``columns`` of the ``right`` row whose index equals ``left[on]`` added as
    ``<column><suffix>`` ("" where none does), and ``_found``: a left merge on ids, without pandas' join.
    ``positions``: ``left[on]``'s places in ``right.index`` when already known."""
    positions = position_in(left[on], right.index) if positions is None else positions
    found = positions >= 0
    out = left.reset_index(drop=True)
    for column in columns:
        values = pc.take(arrow_text(right[column]), pa.array(np.maximum(positions, 0))) if len(right) else \
            pa.nulls(len(out), pa.string())
        out[column + suffix] = pd.Series(pc.if_else(pa.array(found), values, ""), dtype="str")
    out["_found"] = found
    return out


def _check_unique(frame: pd.DataFrame, key: str, sheet: str, problems: list[Problem]) -> bool:
    """Duplicate ids (exact, or differing only in case) are errors naming every row involved; returns whether
    the ids are unique."""
    ids = frame[key]
    unique = _unique_ignoring_case(ids)
    if not unique:
        _report_duplicates(frame, key, sheet, problems)
        unique = not ids.duplicated().any()
    if pc.any(pc.starts_with(arrow_text(ids), "0")).as_py():
        _report_zero_padded(frame, key, sheet, problems)
    return unique


def _report_duplicates(frame: pd.DataFrame, key: str, sheet: str, problems: list[Problem]) -> None:
    ids = frame[key]
    folded = ids.str.casefold()
    duplicated = folded.duplicated(keep=False) & (ids != "")
    if duplicated.any():
        for _, group in frame[duplicated].groupby(folded[duplicated], sort=False):
            rows = group["row"].tolist()
            values = group[key].tolist()
            for position, (row, value) in enumerate(zip(rows, values, strict=True)):
                others = ", ".join(str(r) for i, r in enumerate(rows) if i != position)
                same_case = all(v == value for v in values)
                what = "is a duplicate" if same_case else "differs only in case from another id"
                problems.append(Problem("error", sheet, int(row), key, value, f"{what} (also row {others})",
                                        f"a unique {key}"))


def _report_zero_padded(frame: pd.DataFrame, key: str, sheet: str, problems: list[Problem]) -> None:
    ids = frame[key]
    numeric = ids.str.fullmatch(r"0+\d+") & (ids != "")
    if numeric.any():
        stripped = ids[numeric].str.lstrip("0")
        clash = member(stripped, ids[~numeric])
        for row, value, plain in zip(frame.loc[numeric, "row"][clash], ids[numeric][clash], stripped[clash],
                                     strict=True):
            problems.append(Problem("warning", sheet, int(row), key, value,
                                    f'and "{plain}" are different ids; check they are not the same account'))


def _unknown(frame: pd.DataFrame, column: str, known: pd.Series | pd.Index, sheet: str, what: str,
             problems: list[Problem], positions: np.ndarray | None = None) -> np.ndarray:
    """Report the values of ``column`` not among ``known`` (``positions``: their places there, if known)."""
    values = frame[column]
    found = member(values, known) if positions is None else positions >= 0
    bad = ~found & (values != "")
    for row, value in zip(frame.loc[bad, "row"], values[bad], strict=True):
        problems.append(Problem("error", sheet, int(row), column, value, f"is not a known {what}",
                                f"a {column} listed in the {what.split(maxsplit=1)[0].capitalize()}s table"
                                if what == "customer" else f"an existing {what}"))
    return bad.to_numpy()


def _build_ledger(settings: Settings, parsed: dict[str, _Parsed | None], problems: list[Problem]) -> Ledger:
    reporting = settings.reporting_currency
    customers = _customers(parsed["Customers"], settings, problems)
    currency_of_customer = customers.set_index("customer_id")["currency"]
    terms_of_customer = customers.set_index("customer_id")["terms_days"]
    known_customers = customers["customer_id"]

    invoices_all, unique = _invoices(parsed["Invoices"], settings, currency_of_customer, terms_of_customer,
                                     known_customers, problems)
    void = invoices_all["status"] == "void"
    invoices = invoices_all[~void].reset_index(drop=True)
    voided = invoices_all[void].reset_index(drop=True)
    by_invoice = _by_id(invoices, "invoice_id", unique)
    referring = [name for name in ("Payments", "Applications", "Adjustments") if parsed[name] is not None]
    invoice_at = dict(zip(referring, positions_in_many(
        [parsed[name].columns["invoice_id"] for name in referring], by_invoice.index), strict=True))  # type: ignore[union-attr]
    fx_rates = _fx(parsed.get("FXRates"), problems)
    rates = Ledger(settings=settings, fx_rates=fx_rates)  # what cross-currency receipts are checked against
    payments = _payments(parsed["Payments"], currency_of_customer, known_customers, by_invoice,
                         invoice_at.get("Payments"), voided, rates, problems)
    applications = _applications(parsed["Applications"], invoices, by_invoice, invoice_at.get("Applications"),
                                 payments, rates, problems)
    adjustments = _adjustments(parsed["Adjustments"], by_invoice, invoice_at.get("Adjustments"), payments,
                               problems)
    activity = _activity(parsed["Activity"], known_customers, _by_id(invoices_all, "invoice_id", unique), problems)
    assertions = _assertions(parsed.get("Assertions"), currency_of_customer, known_customers, reporting, problems)
    dunning_levels = _dunning_levels(parsed.get("DunningLevels"), settings, problems)
    _check_balances(by_invoice, applications, adjustments, invoice_at, problems)
    instalments = _instalments(parsed.get("Instalments"), by_invoice, voided, problems)
    if len(instalments):
        typed_due = ~parsed["Invoices"].blank("due_date")[~void.to_numpy()]  # type: ignore[union-attr]
        invoices = _due_on_last_instalment(invoices, instalments, typed_due, parsed["Invoices"].sheet,  # type: ignore[union-attr]
                                           problems)

    used = set(invoices["currency"].unique()) | set(payments["currency"].unique())
    rated = set(fx_rates["currency"].unique()) | {reporting}
    for code in sorted(used - rated):
        problems.append(Problem("warning", "FXRates", None, "currency", code,
                                f"has no rate to {reporting}; totals are reported per currency",
                                f"a row in the FXRates table for {code}"))
    ledger = Ledger(settings=settings, customers=customers, invoices=invoices, voided=voided,
                    payments=payments, applications=applications, adjustments=adjustments, activity=activity,
                    fx_rates=fx_rates, assertions=assertions, dunning_levels=dunning_levels,
                    instalments=instalments)
    _missing_booking_rates(ledger, parsed, rated - {reporting}, problems)
    _check_credit_use(ledger, parsed, problems)
    return ledger


def _check_credit_use(ledger: Ledger, parsed: dict[str, _Parsed | None], problems: list[Problem]) -> None:
    """A refund, or a write-off of a payment or credit note, uses up what the credit still holds unapplied on its
    date; together with the earlier ones, it cannot use more (``arxl.settle.credit_uses`` measures it)."""
    from .settle import credit_uses

    uses = credit_uses(ledger)
    for use in uses[uses["available"] < uses["used"]].itertuples():
        source = parsed.get(use.table)
        sheet = source.sheet if source is not None else use.table
        on = pd.Timestamp(use.date).date().isoformat()
        earlier = int(use.used) - int(use.amount)
        together = (f"; with the earlier refunds and write-offs of it ({format_plain(earlier, use.currency)}) "
                    f"that makes {format_plain(int(use.used), use.currency)}") if earlier else ""
        problems.append(Problem(
            "error", sheet, int(use.row), "amount", format_plain(int(use.amount), use.currency),
            f"{'refunds' if use.table == 'Payments' else 'writes off'} more of {use.credit_kind} {use.credit_id} "
            f"than it holds unapplied on {on} ({format_plain(max(int(use.available), 0), use.currency)})"
            f"{together}",
            f"at most {format_plain(max(int(use.available) - earlier, 0), use.currency)}, what is left of the "
            "credit"))


def _customers(parsed: _Parsed | None, settings: Settings, problems: list[Problem]) -> pd.DataFrame:
    frame = _frame(parsed, CUSTOMER_COLUMNS)
    if parsed is None:
        return frame
    frame["currency"] = frame["currency"].where(frame["currency"] != "", settings.reporting_currency)
    terms = parsed.columns["terms_days"]
    too_long = parsed.present["terms_days"] & (terms > MAX_TERMS_DAYS)
    for row, days in zip(frame["row"][too_long], terms[too_long], strict=True):
        problems.append(Problem("error", parsed.sheet, int(row), "terms_days", str(days),
                                f"is more than {MAX_TERMS_DAYS} days",
                                f"payment terms of at most {MAX_TERMS_DAYS} days"))
    frame["terms_days"] = np.where(parsed.present["terms_days"] & ~too_long, terms,
                                   min(settings.default_terms_days, MAX_TERMS_DAYS)).astype(np.int64)
    limits = _to_minor(parsed, "credit_limit", frame["currency"], problems)
    frame["credit_limit"] = pd.array(np.where(parsed.present["credit_limit"], limits, 0), dtype="Int64")
    frame.loc[~parsed.present["credit_limit"], "credit_limit"] = pd.NA
    negative = frame["credit_limit"] < 0
    for row, value in zip(frame["row"][negative], frame["credit_limit"][negative], strict=True):
        problems.append(Problem("error", parsed.sheet, int(row), "credit_limit",
                                str(value), "is negative", "a credit limit of zero or more"))
    _check_unique(frame, "customer_id", parsed.sheet, problems)
    return frame


def _invoices(parsed: _Parsed | None, settings: Settings, currency_of: pd.Series, terms_of: pd.Series,
              known_customers: pd.Series, problems: list[Problem]) -> tuple[pd.DataFrame, bool]:
    """The invoices, and whether their ids are unique (a repeated id is reported here)."""
    frame = _frame(parsed, INVOICE_COLUMNS)
    if parsed is None:
        return frame, True
    sheet = parsed.sheet
    _unknown(frame, "customer_id", known_customers, sheet, "customer", problems)
    default_currency = _lookup(frame["customer_id"], currency_of, settings.reporting_currency)
    frame["currency"] = frame["currency"].where(frame["currency"] != "", default_currency)
    amounts = _to_minor(parsed, "amount", frame["currency"], problems)
    types = frame["type"].copy()
    negative = amounts < 0
    types = types.where(types != "", np.where(negative, "credit_note", "invoice"))
    for row, value, kind in zip(frame["row"][negative & (types != "credit_note")],
                                parsed.columns["amount"][negative & (types != "credit_note").to_numpy()],
                                types[negative & (types != "credit_note")], strict=True):
        problems.append(Problem("error", sheet, int(row), "amount", format(value, "g"),
                                f"is negative on a {kind.replace('_', ' ')}",
                                "a positive amount, or type credit_note"))
    credit = (types == "credit_note").to_numpy()
    amounts = np.where(credit, -np.abs(amounts), amounts)
    zero = (amounts == 0) & parsed.present["amount"]
    for row in frame["row"][zero]:
        problems.append(Problem("warning", sheet, int(row), "amount", "0", "is zero; the document has no effect"))
    frame["amount"] = amounts.astype(np.int64)
    frame["type"] = types.astype("str")
    frame["fx_rate"] = _booking_rate_column(parsed, frame["currency"], settings.reporting_currency, problems)
    unique_terms = terms_of[~terms_of.index.duplicated()]
    positions = position_in(frame["customer_id"], unique_terms.index)
    terms = pd.Series(np.where(positions >= 0, unique_terms.to_numpy(dtype=np.int64)[np.maximum(positions, 0)]
                               if len(unique_terms) else 0, settings.default_terms_days), index=frame.index)
    computed_due = frame["invoice_date"] + pd.to_timedelta(terms.to_numpy(), unit="D")
    due_given = ~frame["due_date"].isna()
    frame["due_date"] = frame["due_date"].where(due_given, computed_due).astype("datetime64[s]")
    early = due_given & (frame["due_date"] < frame["invoice_date"])
    for row, due in zip(frame["row"][early], frame["due_date"][early], strict=True):
        problems.append(Problem("error", sheet, int(row), "due_date", due.date().isoformat(),
                                "is before the invoice date", "a due date on or after invoice_date"))
    unique = _check_unique(frame, "invoice_id", sheet, problems)
    # A credit note's applies_to must be an invoice of the same customer and currency.
    has_target = frame["applies_to"] != ""
    not_credit = has_target & (frame["type"] != "credit_note")
    for row, value in zip(frame["row"][not_credit], frame["applies_to"][not_credit], strict=True):
        problems.append(Problem("warning", sheet, int(row), "applies_to", value,
                                "is only used on credit notes; ignored"))
    frame.loc[not_credit, "applies_to"] = ""
    check = frame.loc[frame["applies_to"] != "", ["row", "invoice_id", "customer_id", "currency", "applies_to"]]
    targets = _by_id(frame, "invoice_id", unique)
    joined = _join(check, "applies_to", targets, ["customer_id", "currency"], "_target")
    unknown = ~joined["_found"]
    other_customer = ~unknown & (joined["customer_id"] != joined["customer_id_target"])
    other_currency = ~unknown & ~other_customer & (joined["currency"] != joined["currency_target"])
    for line in joined[unknown].itertuples():
        problems.append(Problem("error", sheet, int(line.row), "applies_to", line.applies_to,
                                "is not a known invoice", "the invoice_id of an invoice in this table"))
    for line in joined[other_customer].itertuples():
        problems.append(Problem("error", sheet, int(line.row), "applies_to", line.applies_to,
                                f"belongs to another customer than credit note {line.invoice_id}",
                                f"an invoice of customer {line.customer_id}"))
    for line in joined[other_currency].itertuples():
        problems.append(Problem("error", sheet, int(line.row), "applies_to", line.applies_to,
                                "is in another currency than the credit note", f"an invoice in {line.currency}"))
    return frame, unique


def _payments(parsed: _Parsed | None, currency_of: pd.Series, known_customers: pd.Series,
              by_invoice: pd.DataFrame, invoice_at: np.ndarray | None, voided: pd.DataFrame, rates: Ledger,
              problems: list[Problem]) -> pd.DataFrame:
    """Payments; ``invoice_at``: each payment's invoice_id's place in ``by_invoice``; ``rates``: a ledger holding
    the Settings and FXRates (for payments referencing an invoice in another currency)."""
    frame = _frame(parsed, PAYMENT_COLUMNS)
    if parsed is None:
        return frame
    sheet = parsed.sheet
    reporting = rates.settings.reporting_currency
    _unknown(frame, "customer_id", known_customers, sheet, "customer", problems)
    default_currency = _lookup(frame["customer_id"], currency_of, "USD")
    frame["currency"] = frame["currency"].where(frame["currency"] != "", default_currency)
    frame["amount"] = _to_minor(parsed, "amount", frame["currency"], problems).astype(np.int64)
    frame["fx_rate"] = _booking_rate_column(parsed, frame["currency"], reporting, problems)
    zero = (frame["amount"] == 0) & parsed.present["amount"]
    for row in frame["row"][zero]:
        problems.append(Problem("warning", sheet, int(row), "amount", "0", "is zero; the payment has no effect"))
    _check_unique(frame, "payment_id", sheet, problems)
    refund = (frame["type"] == "refund").to_numpy()
    # A refund is money paid out, whichever sign it was typed with: negative, as a reversal is.
    frame["amount"] = np.where(refund, -np.abs(frame["amount"].to_numpy()), frame["amount"].to_numpy())
    frame["type"] = pd.Series(np.where(refund, "refund", np.where(frame["amount"] < 0, "reversal", "payment")),
                              index=frame.index, dtype="str")
    frame["credit_id"] = pd.Series(np.where(refund, frame["invoice_id"].where(frame["invoice_id"] != "",
                                                                               frame["reference"]), ""),
                                   index=frame.index, dtype="str")
    if refund.any():
        _check_refunds(frame, by_invoice, sheet, problems)

    reversal_names_payment = (frame["amount"] < 0) & member(frame["invoice_id"], frame["payment_id"])
    ordinary = ~reversal_names_payment & ~pd.Series(refund, index=frame.index)
    void = (frame["invoice_id"] != "") & member(frame["invoice_id"], voided["invoice_id"]) & ordinary
    for row, invoice_id in zip(frame["row"][void], frame["invoice_id"][void], strict=True):
        problems.append(Problem("warning", sheet, int(row), "invoice_id", invoice_id,
                                "refers to a void invoice; the payment is treated as unreferenced"))
    frame.loc[void, "invoice_id"] = ""
    checked = (frame["invoice_id"] != "") & ordinary
    joined = _join(frame.loc[checked, ["row", "invoice_id", "customer_id", "currency", "payment_date"]],
                   "invoice_id", by_invoice, ["customer_id", "currency"], "_invoice",
                   None if invoice_at is None else invoice_at[checked.to_numpy()])
    unknown = ~joined["_found"]
    for row, invoice_id in zip(joined["row"][unknown], joined["invoice_id"][unknown], strict=True):
        problems.append(Problem("error", sheet, int(row), "invoice_id", invoice_id, "is not a known invoice",
                                "the invoice_id of a row of the Invoices table, or blank"))
    known = joined[~unknown]
    other_customer = known["customer_id"] != known["customer_id_invoice"]
    for line in known[other_customer].itertuples():
        problems.append(Problem("error", sheet, int(line.row), "invoice_id", line.invoice_id,
                                f"belongs to customer {line.customer_id_invoice}, not {line.customer_id}",
                                "an invoice of the paying customer"))
    other_currency = known[(~other_customer & (known["currency"] != known["currency_invoice"])).to_numpy()]
    if len(other_currency):
        # A receipt in another currency settles the invoice at the FXRates cross rate of its date.
        rated = cross_rates(rates, other_currency["currency_invoice"].to_numpy(dtype=object),
                            other_currency["currency"].to_numpy(dtype=object),
                            day_numbers(other_currency["payment_date"]))
        for line, rate in zip(other_currency.itertuples(), rated, strict=True):
            if rate is not None:
                continue
            on = pd.Timestamp(line.payment_date).date().isoformat()
            problems.append(Problem(
                "error", sheet, int(line.row), "currency", line.currency,
                f"differs from invoice {line.invoice_id}'s currency {line.currency_invoice}, and FXRates has no "
                f"rate for both in force on {on} to settle it at",
                f"{line.currency_invoice}, FXRates rates for {line.currency_invoice} and {line.currency} dated on "
                f"or before {on}, or an Applications row with an exchange_rate"))
    return frame


def _check_refunds(frame: pd.DataFrame, by_invoice: pd.DataFrame, sheet: str, problems: list[Problem]) -> None:
    """Each refund names the credit it pays out (``credit_id``: its invoice_id, else its reference): a credit
    note, else a payment, of the same customer and currency, dated on or before the refund. (That it pays out no
    more than the credit still holds is ``_check_credit_use``'s.)"""
    refunds = frame[(frame["type"] == "refund").to_numpy()]
    column = np.where(refunds["invoice_id"] != "", "invoice_id", "reference")
    credit_notes = by_invoice[(by_invoice["type"] == "credit_note").to_numpy()]
    payments = frame[(frame["type"] == "payment").to_numpy()]
    payments = payments[~payments["payment_id"].duplicated()].set_index("payment_id")
    for index, line in enumerate(refunds.itertuples()):
        named = str(line.credit_id)
        where = str(column[index])
        expected = "the invoice_id of the credit note refunded, or the payment_id in reference"
        if not named:
            problems.append(Problem("error", sheet, int(line.row), "reference", "",
                                    "a refund must name the credit it pays out", expected))
            continue
        if named in credit_notes.index:
            credit = credit_notes.loc[named]
            what, dated = f"credit note {named}", credit["invoice_date"]
        elif named in payments.index:
            credit = payments.loc[named]
            what, dated = f"payment {named}", credit["payment_date"]
        else:
            problems.append(Problem("error", sheet, int(line.row), where, named,
                                    "is not a known credit note or payment to refund", expected))
            continue
        if credit["customer_id"] != line.customer_id:
            problems.append(Problem("error", sheet, int(line.row), where, named,
                                    f"is {what} of customer {credit['customer_id']}, not {line.customer_id}",
                                    "a credit of the customer refunded"))
        elif credit["currency"] != line.currency:
            problems.append(Problem("error", sheet, int(line.row), "currency", line.currency,
                                    f"differs from {what}'s currency {credit['currency']}",
                                    f"{credit['currency']}: a refund pays a credit out in its own currency"))
        elif pd.Timestamp(dated) > pd.Timestamp(line.payment_date):
            problems.append(Problem("error", sheet, int(line.row), "payment_date",
                                    pd.Timestamp(line.payment_date).date().isoformat(),
                                    f"is before {what} ({pd.Timestamp(dated).date().isoformat()}) it refunds",
                                    "a refund dated on or after the credit it pays out"))


def _document_index(invoices: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """Payments and credit notes (the documents that can be applied), by id."""
    credits = invoices.loc[invoices["type"] == "credit_note",
                           ["invoice_id", "customer_id", "currency", "amount", "invoice_date"]]
    credits = credits.rename(columns={"invoice_id": "payment_id", "invoice_date": "payment_date"})
    credits["kind"] = pd.Series("credit_note", index=credits.index, dtype="str")
    sources = pd.concat([payments[["payment_id", "customer_id", "currency", "amount", "payment_date"]]
                         .assign(kind=payments["type"]), credits], ignore_index=True)
    sources["holds"] = -sources["amount"].where(member(sources["payment_id"], credits["payment_id"]),
                                                -sources["amount"])
    return _by_id(sources, "payment_id")


def _applications(parsed: _Parsed | None, invoices: pd.DataFrame, targets: pd.DataFrame,
                  target_at: np.ndarray | None, payments: pd.DataFrame, rates: Ledger,
                  problems: list[Problem]) -> pd.DataFrame:
    """Applications; ``target_at``: each row's invoice_id's place in ``targets``; ``rates``: a ledger holding the
    Settings and FXRates (for payments applied to an invoice in another currency)."""
    frame = _frame(parsed, APPLICATION_COLUMNS)
    if parsed is None:
        return frame
    sheet = parsed.sheet
    sources = _document_index(invoices, payments)
    source_at = position_in(frame["payment_id"], sources.index)  # each id column looked up once
    if target_at is None:
        target_at = position_in(frame["invoice_id"], targets.index)
    # The amount settles the invoice: it is in the invoice's currency (the payment's when the invoice is unknown).
    source_currency = _lookup(frame["payment_id"], sources["currency"], "USD", source_at)
    target_currency = _lookup(frame["invoice_id"], targets["currency"], "", target_at)
    amount_currency = target_currency.where(target_currency != "", source_currency)
    frame["amount"] = _to_minor(parsed, "amount", amount_currency, problems).astype(np.int64)
    frame["exchange_rate"] = parsed.columns["exchange_rate"].astype(np.float64)
    rate_given = parsed.present["exchange_rate"]
    for index in np.flatnonzero(rate_given & (frame["exchange_rate"] <= 0).to_numpy()):
        problems.append(Problem("error", sheet, int(frame["row"].iloc[index]), "exchange_rate",
                                format(frame["exchange_rate"].iloc[index], "g"), "is not positive",
                                "a positive exchange rate, or blank for the FXRates cross rate"))
    frame["exchange_rate"] = np.where(rate_given & (frame["exchange_rate"] > 0).to_numpy(),
                                      frame["exchange_rate"], np.nan)
    not_positive = (frame["amount"] <= 0).to_numpy() & parsed.present["amount"]
    for row, value in zip(frame["row"][not_positive], parsed.columns["amount"][not_positive], strict=True):
        problems.append(Problem("error", sheet, int(row), "amount", format(value, "g"), "is not positive",
                                "the positive amount applied"))
    unknown_source = (frame["payment_id"] != "") & (source_at < 0)
    for row, payment_id in zip(frame["row"][unknown_source], frame["payment_id"][unknown_source], strict=True):
        problems.append(Problem("error", sheet, int(row), "payment_id", payment_id,
                                "is not a known payment or credit note",
                                "a payment_id of Payments, or the invoice_id of a credit note"))
    is_invoice = np.append((targets["type"] != "credit_note").to_numpy(dtype=bool), False)
    unknown_target = (frame["invoice_id"] != "") & ~is_invoice[target_at]  # -1 picks the appended False
    for row, invoice_id in zip(frame["row"][unknown_target], frame["invoice_id"][unknown_target], strict=True):
        problems.append(Problem("error", sheet, int(row), "invoice_id", invoice_id, "is not a known invoice",
                                "the invoice_id of an invoice or debit note"))
    both = (~unknown_source & ~unknown_target & (frame["payment_id"] != "")
            & (frame["invoice_id"] != "")).to_numpy()
    joined = _join(_join(frame.loc[both, ["row", "payment_id", "invoice_id", "exchange_rate"]], "payment_id",
                         sources, ["customer_id", "currency", "kind"], "", source_at[both]),
                   "invoice_id", targets, ["customer_id", "currency"], "_invoice", target_at[both])
    other_customer = joined["customer_id"] != joined["customer_id_invoice"]
    for line in joined[other_customer].itertuples():
        problems.append(Problem("error", sheet, int(line.row), "invoice_id", line.invoice_id,
                                f"belongs to customer {line.customer_id_invoice} but {line.payment_id} to "
                                f"{line.customer_id}", "an invoice of the same customer"))
    same_currency = (joined["currency"] == joined["currency_invoice"]).to_numpy()
    for line in joined[~other_customer.to_numpy() & same_currency & joined["exchange_rate"].notna().to_numpy()
                       ].itertuples():
        problems.append(Problem("warning", sheet, int(line.row), "exchange_rate",
                                format(line.exchange_rate, "g"),
                                f"is ignored: {line.payment_id} and {line.invoice_id} are both in "
                                f"{line.currency}"))
    cross = joined[~other_customer.to_numpy() & ~same_currency]
    for line in cross[(cross["kind"] != "payment").to_numpy()].itertuples():
        problems.append(Problem("error", sheet, int(line.row), "invoice_id", line.invoice_id,
                                f"is in {line.currency_invoice} but credit note {line.payment_id} in "
                                f"{line.currency}", "an invoice in the credit note's currency"))
    consumed = frame["amount"].to_numpy(dtype=np.int64).copy()
    paid = cross[(cross["kind"] == "payment").to_numpy()]
    if len(paid):
        dates = sources["payment_date"].reindex(paid["payment_id"].to_numpy(dtype=object))
        quoted = cross_rates(rates, paid["currency_invoice"].to_numpy(dtype=object),
                             paid["currency"].to_numpy(dtype=object), day_numbers(dates.to_numpy()))
        at = {int(row): index for index, row in enumerate(frame["row"])}
        for line, in_force, dated in zip(paid.itertuples(), quoted, dates, strict=True):
            rate = exact_rate(float(line.exchange_rate)) if np.isfinite(line.exchange_rate) else in_force
            if rate is None:
                on = pd.Timestamp(dated).date().isoformat()
                problems.append(Problem(
                    "error", sheet, int(line.row), "exchange_rate", "",
                    f"is needed: {line.payment_id} is in {line.currency} and {line.invoice_id} in "
                    f"{line.currency_invoice}, and FXRates has no rate for both in force on {on}",
                    f"units of {line.currency} per {line.currency_invoice}, or FXRates rates dated on or before "
                    f"{on}"))
                continue
            index = at[int(line.row)]
            factor = exchange_factor(rate, str(line.currency_invoice), str(line.currency))
            consumed[index] = int(exchange([consumed[index]], [factor])[0])
    frame["consumed"] = consumed
    over = frame.groupby("payment_id", sort=False)["consumed"].transform("sum")
    held_at = source_at
    holds = pd.Series(np.where(held_at >= 0, sources["holds"].to_numpy(dtype=np.float64)[np.maximum(held_at, 0)]
                               if len(sources) else 0.0, np.nan), index=frame.index)
    # A payment whose own amount could not be read (reported already) holds 0: do not pile a second error on.
    too_much = holds.notna() & (holds != 0) & (over > holds.fillna(0))
    for payment_id, group in frame[too_much].groupby("payment_id", sort=True):
        held = int(sources.at[payment_id, "holds"])
        currency = str(sources.at[payment_id, "currency"])
        rows = ", ".join(str(r) for r in group["row"])
        for row in group["row"]:
            problems.append(Problem("error", sheet, int(row), "amount",
                                    format_plain(int(group["consumed"].sum()), currency),
                                    f"applications of {payment_id} (rows {rows}) add up to more than it holds "
                                    f"({format_plain(max(held, 0), currency)})",
                                    "applications that add up to at most the payment"))
    return frame.drop(columns="consumed")


def _adjustments(parsed: _Parsed | None, targets: pd.DataFrame, target_at: np.ndarray | None,
                 payments: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Adjustments; ``target_at``: each row's invoice_id's place in ``targets``. A write_off or small_balance may
    name a credit note or, where no invoice has the id, a payment instead: it clears (part of) that credit, so
    its ``effect`` is positive (it brings the customer's credit towards zero)."""
    frame = _frame(parsed, ADJUSTMENT_COLUMNS)
    if parsed is None:
        return frame
    sheet = parsed.sheet
    if target_at is None:
        target_at = position_in(frame["invoice_id"], targets.index)
    own_payments = payments[(payments["type"] == "payment").to_numpy()]
    own_payments = own_payments[~own_payments["payment_id"].duplicated()].set_index("payment_id")
    payment_at = np.where(target_at < 0, position_in(frame["invoice_id"], own_payments.index), -1)
    _unknown(frame, "invoice_id", targets.index, sheet, "invoice", problems, np.maximum(target_at, payment_at))
    frame["currency"] = _lookup(frame["invoice_id"], targets["currency"], "", target_at)
    frame["currency"] = frame["currency"].where(frame["currency"] != "", _lookup(
        frame["invoice_id"], own_payments["currency"], "USD", payment_at)).astype("str")
    amounts = _to_minor(parsed, "amount", frame["currency"], problems)
    negative = amounts < 0
    for row, value in zip(frame["row"][negative], parsed.columns["amount"][negative], strict=True):
        problems.append(Problem("warning", sheet, int(row), "amount", format(value, "g"),
                                "is negative; adjustments are entered positive and the type gives the "
                                "direction, so its size is used"))
    amounts = np.abs(amounts)
    frame["amount"] = amounts.astype(np.int64)
    types = frame["type"].to_numpy(dtype=object)
    reducing = np.isin(types, contract.REDUCING_ADJUSTMENTS)
    credit_note = np.append((targets["type"] == "credit_note").to_numpy(dtype=bool), False)[target_at]
    credit = credit_note | (payment_at >= 0)
    frame["effect"] = np.where(reducing & ~credit, -amounts, amounts).astype(np.int64)
    wrong = credit & ~np.isin(types, contract.CREDIT_ADJUSTMENTS) & (types != "")
    for row, named, kind in zip(frame["row"][wrong], frame["invoice_id"][wrong], types[wrong], strict=True):
        what = "credit note" if named in targets.index else "payment"
        problems.append(Problem("error", sheet, int(row), "type", str(kind),
                                f"cannot adjust {what} {named}: only a write-off clears unapplied cash or credit",
                                "write_off or small_balance, or the invoice_id of an invoice"))
    _check_unique(frame, "adjustment_id", sheet, problems)
    return frame


def _activity(parsed: _Parsed | None, known_customers: pd.Series, targets: pd.DataFrame,
              problems: list[Problem]) -> pd.DataFrame:
    """Collection activity; ``targets``: every invoice, void ones too, indexed by id."""
    frame = _frame(parsed, ACTIVITY_COLUMNS)
    if parsed is None:
        return frame
    sheet = parsed.sheet
    _unknown(frame, "customer_id", known_customers, sheet, "customer", problems)
    target_at = position_in(frame["invoice_id"], targets.index)
    _unknown(frame, "invoice_id", targets.index, sheet, "invoice", problems, target_at)
    currency = _lookup(frame["invoice_id"], targets["currency"], "USD", target_at)
    minor = _to_minor(parsed, "promised_amount", currency, problems)
    frame["promised_amount"] = pd.array(minor, dtype="Int64")
    frame.loc[~parsed.present["promised_amount"], "promised_amount"] = pd.NA
    promise = frame["action"] == "promise"
    no_date = promise & frame["promised_date"].isna()
    for row in frame["row"][no_date]:
        problems.append(Problem("warning", sheet, int(row), "promised_date", "",
                                "a promise without a promised date cannot be followed up",
                                "the date the customer promised to pay"))
    return frame


def _fx(parsed: _Parsed | None, problems: list[Problem]) -> pd.DataFrame:
    """Exchange rates: one per currency and date (a blank date holds until the currency's first dated rate)."""
    frame = _frame(parsed, FX_COLUMNS)
    if parsed is None:
        return frame
    frame["rate"] = parsed.columns["rate"].astype(np.float64)
    bad = parsed.present["rate"] & (frame["rate"] <= 0).to_numpy()
    for row, rate in zip(frame["row"][bad], frame["rate"][bad], strict=True):
        problems.append(Problem("error", parsed.sheet, int(row), "rate", format(rate, "g"), "is not positive",
                                "a positive exchange rate"))
    dated = frame["date"].dt.strftime("%Y-%m-%d").fillna("")
    keys = pd.Series(list(zip(frame["currency"], dated, strict=True)), index=frame.index)
    repeated = keys.duplicated(keep=False)
    for (currency, day), group in frame[repeated.to_numpy()].groupby([frame["currency"], dated], sort=True):
        rows = group["row"].tolist()
        for row in rows:
            others = ", ".join(str(other) for other in rows if other != row)
            what = f"has two rates from {day}" if day else "has two rates without a date"
            problems.append(Problem("error", parsed.sheet, int(row), "currency", str(currency),
                                    f"{what} (also row {others})", "one rate per currency and date"))
    return frame


def _booking_rate_column(parsed: _Parsed, currencies: pd.Series, reporting: str, problems: list[Problem]
                         ) -> np.ndarray:
    """A document's typed ``fx_rate`` (NaN where blank): positive, and only meaningful in a foreign currency."""
    rates = parsed.columns["fx_rate"].astype(np.float64)
    present = parsed.present["fx_rate"].copy()
    rows = parsed.rows
    for index in np.flatnonzero(present & (rates <= 0)):
        problems.append(Problem("error", parsed.sheet, int(rows[index]), "fx_rate", format(rates[index], "g"),
                                "is not positive", "a positive exchange rate, or blank for the FXRates rate"))
    home = (currencies.to_numpy(dtype=object) == reporting) & present & (rates != 1)
    for index in np.flatnonzero(home):
        problems.append(Problem("warning", parsed.sheet, int(rows[index]), "fx_rate", format(rates[index], "g"),
                                f"is ignored: the document is in the reporting currency {reporting} (rate 1)"))
    return np.where(present & (rates > 0), rates, np.nan)


def _missing_booking_rates(ledger: Ledger, parsed: dict[str, _Parsed | None], rated: set[str],
                           problems: list[Problem]) -> None:
    """Foreign documents with no fx_rate, dated before their currency's first FXRates rate: one warning per
    table and currency, on the first such row (currencies with no rate at all are warned about once already).
    Such a document has no booking rate: revaluation leaves it out, credit sales count it at its currency's
    first rate (``arxl.metrics``), and a report dated before that rate cannot add it up in the reporting
    currency (the Dashboard says so; ``arxl report metrics`` refuses)."""
    if not rated:
        return
    for name, frame, rates, date_column in zip(("Invoices", "Payments"), (ledger.invoices, ledger.payments),
                                               booking_rates(ledger), ("invoice_date", "payment_date"),
                                               strict=True):
        source = parsed.get(name)
        missing = np.isnan(rates) & frame["currency"].isin(rated).to_numpy()
        if source is None or not missing.any():
            continue
        for currency, group in frame[missing].groupby("currency", sort=True):
            first = group.sort_values("row").iloc[0]
            more = f" (and {len(group) - 1} more row(s))" if len(group) > 1 else ""
            problems.append(Problem(
                "warning", source.sheet, int(first["row"]), "fx_rate", "",
                f"no booking rate: {currency} has no FXRates rate in force on "
                f"{pd.Timestamp(first[date_column]).date().isoformat()}{more}; revaluation leaves such documents "
                f"out and credit sales (DSO) count them at {currency}'s first rate",
                f"an fx_rate, or an FXRates row for {currency} dated on or before the document"))


def _instalments(parsed: _Parsed | None, by_invoice: pd.DataFrame, voided: pd.DataFrame,
                 problems: list[Problem]) -> pd.DataFrame:
    """Instalments of known invoices and debit notes: positive, due on or after the invoice date, and adding up
    to the invoice amount (every row of an invoice whose instalments do not is an error)."""
    frame = _frame(parsed, INSTALMENT_COLUMNS)
    if parsed is None:
        return frame
    sheet = parsed.sheet
    named = (frame["invoice_id"] != "").to_numpy()
    at = position_in(frame["invoice_id"], by_invoice.index)
    void = named & (at < 0) & member(frame["invoice_id"], voided["invoice_id"]).to_numpy()
    for row, invoice_id in zip(frame["row"][void], frame["invoice_id"][void], strict=True):
        problems.append(Problem("warning", sheet, int(row), "invoice_id", invoice_id,
                                "belongs to a void invoice; ignored"))
    unknown = named & (at < 0) & ~void
    for row, invoice_id in zip(frame["row"][unknown], frame["invoice_id"][unknown], strict=True):
        problems.append(Problem("error", sheet, int(row), "invoice_id", invoice_id, "is not a known invoice",
                                "the invoice_id of an invoice or debit note of the Invoices table"))
    known = at >= 0
    safe = np.maximum(at, 0)
    currency = _lookup(frame["invoice_id"], by_invoice["currency"], "USD", at)
    amounts = _to_minor(parsed, "amount", currency, problems).astype(np.int64)
    frame["amount"] = amounts
    present = parsed.present["amount"]
    not_positive = present & (amounts <= 0)
    for row, value in zip(frame["row"][not_positive], parsed.columns["amount"][not_positive], strict=True):
        problems.append(Problem("error", sheet, int(row), "amount", format(value, "g"), "is not positive",
                                "a positive part of the invoice amount"))
    invoice_type = (by_invoice["type"].to_numpy(dtype=object)[safe] if len(by_invoice)
                    else np.full(len(frame), "", dtype=object))
    credit = known & (invoice_type == "credit_note")
    for row, invoice_id in zip(frame["row"][credit], frame["invoice_id"][credit], strict=True):
        problems.append(Problem("error", sheet, int(row), "invoice_id", invoice_id,
                                "is a credit note; only invoices and debit notes are paid in instalments",
                                "the invoice_id of an invoice or debit note"))
    usable = known & ~credit
    invoice_date = by_invoice["invoice_date"].to_numpy()[safe] if len(by_invoice) else frame["due_date"].to_numpy()
    early = usable & (frame["due_date"].to_numpy() < invoice_date)
    for index in np.flatnonzero(early):
        problems.append(Problem("error", sheet, int(frame["row"].iloc[index]), "due_date",
                                pd.Timestamp(frame["due_date"].iloc[index]).date().isoformat(),
                                f"is before the date of invoice {frame['invoice_id'].iloc[index]} "
                                f"({pd.Timestamp(invoice_date[index]).date().isoformat()})",
                                "a due date on or after the invoice date"))
    checked = frame[usable]
    readable = pd.Series(present & ~not_positive, index=frame.index)[usable]
    for invoice_id, group in checked.groupby("invoice_id", sort=True):
        if not readable[group.index].all():
            continue  # an unreadable or negative part is reported already
        invoice_amount = int(by_invoice.at[invoice_id, "amount"])
        code = str(by_invoice.at[invoice_id, "currency"])
        total = int(group["amount"].sum())
        if total == invoice_amount:
            continue
        rows = ", ".join(str(row) for row in group["row"])
        for row, amount in zip(group["row"], group["amount"], strict=True):
            problems.append(Problem("error", sheet, int(row), "amount", format_plain(int(amount), code),
                                    f"the instalments of {invoice_id} (rows {rows}) add up to "
                                    f"{format_plain(total, code)}, not its amount "
                                    f"{format_plain(invoice_amount, code)}",
                                    "instalments that add up to the invoice amount"))
    return frame[usable].reset_index(drop=True)


def _due_on_last_instalment(invoices: pd.DataFrame, instalments: pd.DataFrame, typed_due: np.ndarray, sheet: str,
                            problems: list[Problem]) -> pd.DataFrame:
    """An invoice with instalments is due in full on its last instalment's due date; a different due_date typed
    on the Invoices row is replaced, with a warning."""
    last = instalments.groupby("invoice_id", sort=False)["due_date"].max()
    where = position_in(invoices["invoice_id"], last.index)
    has = where >= 0
    if not has.any():
        return invoices
    invoices = invoices.copy()
    final = last.to_numpy(dtype="datetime64[s]")[np.maximum(where, 0)]
    current = invoices["due_date"].to_numpy(dtype="datetime64[s]")
    differs = has & typed_due & (current != final)
    for index in np.flatnonzero(differs):
        problems.append(Problem("warning", sheet, int(invoices["row"].iloc[index]), "due_date",
                                pd.Timestamp(current[index]).date().isoformat(),
                                f"differs from the due date of the invoice's last instalment "
                                f"({pd.Timestamp(final[index]).date().isoformat()}); the Instalments table "
                                "decides when each part is due"))
    invoices["due_date"] = np.where(has, final, current).astype("datetime64[s]")
    return invoices


def _assertions(parsed: _Parsed | None, currency_of: pd.Series, known_customers: pd.Series, reporting: str,
                problems: list[Problem]) -> pd.DataFrame:
    """Balance assertions; a blank customer_id asserts the whole ledger, in the reporting currency by default."""
    frame = _frame(parsed, ASSERTION_COLUMNS)
    if parsed is None:
        return frame
    _unknown(frame, "customer_id", known_customers, parsed.sheet, "customer", problems)
    default_currency = _lookup(frame["customer_id"], currency_of, reporting)
    frame["currency"] = frame["currency"].where(frame["currency"] != "", default_currency).astype("str")
    frame["balance"] = _to_minor(parsed, "balance", frame["currency"], problems).astype(np.int64)
    return frame


def _dunning_levels(parsed: _Parsed | None, settings: Settings, problems: list[Problem]) -> pd.DataFrame:
    frame = _frame(parsed, DUNNING_COLUMNS)
    if parsed is None:
        return frame
    currency = np.full(len(frame), settings.reporting_currency, dtype=object)
    frame["fee"] = _to_minor(parsed, "fee", currency, problems).astype(np.int64)
    gap = pd.array(np.asarray(parsed.columns["gap_days"], dtype=np.int64), dtype="Int64")
    gap[~parsed.present["gap_days"]] = pd.NA
    frame["gap_days"] = gap
    duplicated = frame["level"].duplicated(keep=False).to_numpy() & parsed.present["level"]
    for row, level in zip(frame["row"][duplicated], frame["level"][duplicated], strict=True):
        problems.append(Problem("error", parsed.sheet, int(row), "level", str(level), "is a duplicate level",
                                "each level once"))
    ordered = frame.sort_values("level", kind="stable")
    not_ascending = ordered["min_days"].diff().fillna(1) <= 0
    for row, days in zip(ordered["row"][not_ascending], ordered["min_days"][not_ascending], strict=True):
        problems.append(Problem("error", parsed.sheet, int(row), "min_days", str(days),
                                "is not above the previous level's min_days", "days that rise with the level"))
    return frame.sort_values("level", kind="stable").reset_index(drop=True)


def _check_balances(by_invoice: pd.DataFrame, applications: pd.DataFrame, adjustments: pd.DataFrame,
                    invoice_at: dict[str, np.ndarray], problems: list[Problem]) -> None:
    """Explicit applications and adjustments must not take an invoice below zero (as of the latest date).

    ``invoice_at``: each Applications / Adjustments row's invoice_id's place in ``by_invoice``, where known."""
    if by_invoice.empty or (applications.empty and adjustments.empty):
        return
    unique_ids = by_invoice.index
    base = by_invoice["amount"].to_numpy()
    remaining = base.copy()
    for name, frame, column, sign in (("Applications", applications, "amount", -1),
                                      ("Adjustments", adjustments, "effect", 1)):
        at = invoice_at.get(name)
        positions = position_in(frame["invoice_id"], unique_ids) if at is None else at
        known = positions >= 0
        np.add.at(remaining, positions[known], sign * frame[column].to_numpy(dtype=np.int64)[known])
    currency = by_invoice["currency"].to_numpy(dtype=object)
    for index in np.flatnonzero((remaining < 0) & (base > 0)):
        invoice_id = str(unique_ids[index])
        rows_app = applications.loc[applications["invoice_id"] == invoice_id, "row"].tolist()
        rows_adj = adjustments.loc[(adjustments["invoice_id"] == invoice_id) & (adjustments["effect"] < 0),
                                   "row"].tolist()
        involved = [("Applications", row) for row in rows_app] + [("Adjustments", row) for row in rows_adj]
        names = "; ".join(f"{sheet} row {row}" for sheet, row in involved)
        over = format_plain(int(-remaining[index]), str(currency[index]))
        for sheet, row in involved:
            problems.append(Problem("error", sheet, int(row), "amount", invoice_id,
                                    f"would settle invoice {invoice_id} beyond its amount by {over} ({names})",
                                    "applications and reductions that add up to at most the invoice"))


def raw_table_from_rows(name: str, rows: Sequence[Sequence[object]], *, first_row: int = 1) -> RawTable:
    """A RawTable from rows whose first row is the header (what a UDF range or a CSV gives)."""
    rows = [list(row) for row in rows]
    if not rows:
        return RawTable(name, [], [], first_row + 1)
    return RawTable(name, rows[0], rows[1:], first_row + 1)
