"""Planning an import: the incoming rows against the book's tables -> what to append, what was already there,
what conflicts, and every problem located in the file. Pure: nothing is read or written here (writing the plan
is the CLI's job, ``arxl.cli.data``).

How a plan is decided
---------------------
- **Validation through the loader's rules.** The would-be book (its tables as read, with the new rows after the
  last filled row of the table, numbered as the Excel rows they will land on) goes through ``load_tables``; its
  problems on new rows are reported with the file's line (``invoices.csv line 14, due_date: ...``). Any error:
  nothing is written. A book that already has errors of its own is refused (fix it first: ``arxl check``).
- **Idempotent.** A row whose id (invoice_id, payment_id, customer_id, adjustment_id) is already in the book with
  the same content is skipped as already imported. Content is compared as the loader reads it, on the columns the
  file provides (a blank due date equals the due date the terms give, ``1,234.50`` equals ``1234.5``), so a
  column the file does not carry (a note typed in Excel since) is never a difference. The same id with other
  content is a **conflict**, reported field by field and never overwritten: exit 1, unless ``--skip-conflicts``
  leaves those rows out (listed). The same id twice in the file: identical rows are taken once, different ones
  are errors.
- **Customers.** Invoices or payments of customers the book does not know are errors, unless
  ``--create-customers`` adds minimal Customers rows (customer_id, the name from the file's ``customer_name``
  column or else the id, and the currency when the file gives that customer one currency).
- **Located problems.** A problem the loader finds on a new row is moved to the file's line (a cell the file
  could not be read already has its own, so the loader's "required but empty" is not repeated); one on a
  customer ``--create-customers`` would add names the line that brought the customer; the book's own problems
  are dropped (the book was clean before).
"""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import contract
from ..arrays import member
from ..contract import Kind, Table, normalise_header
from ..ledger import Ledger
from ..load import RawTable, load_tables
from ..money import exponent, floats_to_minor, format_plain
from ..problems import Problem, sort_problems
from ..text import read_flags
from .rows import IncomingRows, SourceInfo, SourceProblem


@dataclass(frozen=True)
class Conflict:
    """A file row whose id is in the book with other content.

    Attributes:
        line: the file's line (or row).
        key: the id.
        book_row: the Excel row of the book's record.
        differences: (column, the book's value, the file's value), as shown to the user.
    """

    line: int
    key: str
    book_row: int
    differences: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do.

    Attributes:
        table: the contract table.
        source: the file.
        rows: the rows to append (contract columns the book's table has; values as a user types them).
        lines: the file's line of each row to append.
        first_row: the Excel row the first of them lands on.
        customers: Customers rows to create (``--create-customers``), and ``customers_first_row``.
        already: how many rows were already imported (same id, same content).
        repeated: rows left out because the file repeats an earlier identical row.
        conflicts: rows whose id is in the book with other content.
        skipped: rows the mapping left out, by reason.
        problems: every problem: the file's (with its lines), the would-be book's, conflicts.
        book_errors: True when the book had errors before the import (nothing can be checked then).
        notes: how ambiguous things were read.
        backups: how many backups Settings asks the save to keep.
    """

    table: Table
    source: SourceInfo
    rows: pd.DataFrame
    lines: np.ndarray
    first_row: int
    customers: pd.DataFrame
    customers_first_row: int
    already: int
    repeated: int
    conflicts: list[Conflict]
    skipped: dict[str, int]
    problems: list[Problem]
    book_errors: bool = False
    notes: list[str] = field(default_factory=list)
    backups: int = 5

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def _existing_records(ledger: Ledger, table: Table) -> pd.DataFrame:
    if table is contract.INVOICES:
        return pd.concat([ledger.invoices, ledger.voided], ignore_index=True)
    return {contract.PAYMENTS.name: ledger.payments, contract.CUSTOMERS.name: ledger.customers,
            contract.ADJUSTMENTS.name: ledger.adjustments}[table.name]


def _lookup(keys: np.ndarray, mapping: pd.Series, default: object) -> np.ndarray:
    unique = mapping[~mapping.index.duplicated()]
    positions = pd.Index(unique.index).get_indexer(pd.Series(keys, dtype="str"))
    found = unique.to_numpy(dtype=object)[np.maximum(positions, 0)] if len(unique) else \
        np.full(len(keys), default, dtype=object)
    return np.where(positions >= 0, found, default)


def _resolved_currency(incoming: IncomingRows, rows: np.ndarray, ledger: Ledger) -> np.ndarray:
    """Each row's currency as the loader will resolve it (given, else the customer's, else reporting)."""
    reporting = ledger.settings.reporting_currency
    given = pd.Series(incoming.values["currency"][rows], dtype="str").str.upper().to_numpy(dtype=object) \
        if "currency" in incoming.values else np.full(len(rows), "", dtype=object)
    if incoming.table is contract.CUSTOMERS:
        fallback = np.full(len(rows), reporting, dtype=object)
    elif incoming.table is contract.ADJUSTMENTS:
        invoices = pd.concat([ledger.invoices, ledger.voided])
        fallback = _lookup(incoming.values["invoice_id"][rows], invoices.set_index("invoice_id")["currency"],
                           reporting)
    else:
        fallback = _lookup(incoming.values["customer_id"][rows],
                           ledger.customers.set_index("customer_id")["currency"], reporting)
    return np.where(given == "", fallback, given)


def _comparable(incoming: IncomingRows, column: contract.Column, rows: np.ndarray, ledger: Ledger,
                currency: np.ndarray) -> np.ndarray:
    """The file's values of ``column`` for ``rows`` as the loader would type them (object array)."""
    values = incoming.values[column.name][rows]
    settings = ledger.settings
    kind = column.kind
    if kind in (Kind.ID, Kind.TEXT):
        return pd.Series(values, dtype="str").str.strip().to_numpy(dtype=object)
    if kind is Kind.CURRENCY:
        return currency.copy() if column.name == "currency" else \
            pd.Series(values, dtype="str").str.upper().to_numpy(dtype=object)
    if kind is Kind.CHOICE:
        chosen = pd.Series(values, dtype="str").str.strip().str.lower().str.replace(" ", "_", regex=False)
        chosen = chosen.to_numpy(dtype=object)
        if incoming.table is contract.INVOICES and column.name == "type":
            negative = incoming.values["amount"][rows] < 0
            chosen = np.where(chosen == "", np.where(negative, "credit_note", "invoice"), chosen)
        return chosen
    if kind is Kind.BOOL:
        return read_flags(values.astype(object)).values.astype(object)
    if kind is Kind.DATE:
        dates = values.astype("datetime64[s]")
        if incoming.table is contract.INVOICES and column.name == "due_date":
            terms = _lookup(incoming.values["customer_id"][rows],
                            ledger.customers.set_index("customer_id")["terms_days"], settings.default_terms_days)
            computed = incoming.values["invoice_date"][rows] + terms.astype(np.int64).astype("timedelta64[D]")
            dates = np.where(np.isnat(dates), computed.astype("datetime64[s]"), dates)
        return dates.astype(object)
    if kind is Kind.INTEGER:
        default = settings.default_terms_days if column.name == "terms_days" else 0
        return np.where(np.isnan(values), default, values).astype(np.int64).astype(object)
    exponents = np.array([exponent(str(code)) for code in currency], dtype=np.int64)
    minor, _extra = floats_to_minor(np.nan_to_num(values), exponents)
    if incoming.table is contract.ADJUSTMENTS and column.name == "amount":
        minor = np.abs(minor)
    result = minor.astype(object)
    result[np.isnan(values)] = None if column.name == "credit_limit" else 0
    return result


def _book_comparable(records: pd.DataFrame, column: contract.Column) -> np.ndarray:
    values = records[column.name]
    if column.kind in (Kind.ID, Kind.TEXT):
        return values.astype("str").str.strip().to_numpy(dtype=object)
    if column.kind is Kind.DATE:
        return values.to_numpy(dtype="datetime64[s]").astype(object)
    if column.kind is Kind.MONEY and values.dtype == "Int64":
        return values.astype(object).where(values.notna(), None).to_numpy(dtype=object)
    return values.to_numpy(dtype=object)


def _missing(value: object) -> bool:
    return (value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and np.isnan(value))
            or (isinstance(value, np.datetime64) and np.isnat(value)))


def _equal(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Element-wise equality where two blanks (None, NaN, NaT) are equal."""
    return np.array([(_missing(a) and _missing(b)) or (not _missing(a) and not _missing(b) and a == b)
                     for a, b in zip(left, right, strict=True)], dtype=bool)


def _shown(value: object, column: contract.Column, currency: str) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "(blank)"
    if column.kind is Kind.DATE:
        return "(blank)" if pd.isna(value) else pd.Timestamp(value).date().isoformat()
    if column.kind is Kind.MONEY:
        return format_plain(int(value), currency)  # type: ignore[call-overload]
    return str(value) or "(blank)"


def _compare(incoming: IncomingRows, rows: np.ndarray, records: pd.DataFrame, ledger: Ledger
             ) -> tuple[np.ndarray, list[Conflict]]:
    """File rows ``rows`` (whose ids are in the book) against the book's records, on the columns the file
    provides: which are identical, and the conflicts of the others."""
    table = incoming.table
    key = table.key or ""
    keys = incoming.values[key][rows]
    matched = records.drop_duplicates(key).set_index(key).loc[pd.Series(keys, dtype="str")]
    book_currency = matched["currency"].to_numpy(dtype=object)
    # Without a currency column the file's amounts are in the book record's currency.
    currency = _resolved_currency(incoming, rows, ledger) if "currency" in incoming.values else book_currency
    compared = [column for column in table.columns if column.name in incoming.values and column.name != key]
    file_values = {column.name: _comparable(incoming, column, rows, ledger, currency) for column in compared}
    book_values = {column.name: _book_comparable(matched, column) for column in compared}
    differs = {name: ~_equal(file_values[name], book_values[name]) for name in file_values}
    any_difference = np.zeros(len(rows), dtype=bool)
    for mask in differs.values():
        any_difference |= mask
    book_rows = matched["row"].to_numpy(dtype=np.int64)
    conflicts = []
    for position in np.flatnonzero(any_difference):
        differences = tuple(
            (column.name, _shown(book_values[column.name][position], column, str(book_currency[position])),
             _shown(file_values[column.name][position], column, str(currency[position])))
            for column in compared if differs[column.name][position])
        conflicts.append(Conflict(int(incoming.lines[rows[position]]), str(keys[position]),
                                  int(book_rows[position]), differences))
    return ~any_difference, conflicts


def _repeats(incoming: IncomingRows, key: str) -> tuple[np.ndarray, list[Problem]]:
    """Rows repeating an earlier row's id: identical ones are dropped (mask), different ones are errors."""
    keys = pd.Series(incoming.values[key], dtype="str")
    repeated = keys.duplicated(keep="first").to_numpy() & (keys != "").to_numpy()
    drop = np.zeros(len(keys), dtype=bool)
    problems: list[Problem] = []
    if not repeated.any():
        return drop, problems
    first_of = pd.Series(np.arange(len(keys))).groupby(keys.to_numpy()).transform("first").to_numpy()
    for index in np.flatnonzero(repeated):
        earlier = int(first_of[index])
        same = all(_equal(np.array([values[index]], dtype=object), np.array([values[earlier]], dtype=object))[0]
                   for values in incoming.values.values())
        if same:
            drop[index] = True
        else:
            source = incoming.source
            problems.append(SourceProblem(
                "error", source.name, int(incoming.lines[index]), key, str(keys.iat[index]),
                f"is also on {source.unit} {int(incoming.lines[earlier])} with other content",
                f"each {key} once", unit=source.unit))
            drop[index] = True
    return drop, problems


def _strip_trailing_blanks(rows: Sequence[Sequence[object]]) -> list[Sequence[object]]:
    kept = list(rows)
    while kept and all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in kept[-1]):
        kept.pop()
    return kept


def _cells(values: np.ndarray, kind: Kind) -> np.ndarray:
    """Typed values -> cells as the loader receives them from a workbook (dates, floats, text; "" blank)."""
    if kind is Kind.DATE:
        return values.astype("datetime64[D]").astype(object)
    if values.dtype.kind == "f":
        cells = values.astype(object)
        cells[np.isnan(values)] = ""
        return cells
    return values.astype(object)


def _grid(existing: RawTable | None, table: Table, new: dict[str, np.ndarray], count: int
          ) -> tuple[list[object], np.ndarray, int]:
    """The would-be table: header, a 2-D object array of the existing rows then the new ones, first new row."""
    if existing is None:
        header: list[object] = [column.name for column in table.columns]
        old: list[Sequence[object]] = []
        first_row = 2
    else:
        header = list(existing.header)
        old = _strip_trailing_blanks(existing.cell_rows())
        first_row = existing.first_row
    width = len(header)
    grid = np.full((len(old) + count, width), "", dtype=object)
    if old:
        grid[:len(old)] = [(list(row) + [""] * width)[:width] for row in old]
    kinds = {column.name: column.kind for column in table.columns}
    for position, cell in enumerate(header):
        name = normalise_header(cell)
        if name in new:
            grid[len(old):, position] = _cells(new[name], kinds[name])
    return header, grid, first_row + len(old)


def _relabel(message: str, sheet: str, first_new: int, lines: np.ndarray, source: SourceInfo) -> str:
    """Excel row numbers inside a loader message -> the file's lines for new rows, ``Sheet row N`` for others."""

    def one(number: int) -> str:
        if number >= first_new and number - first_new < len(lines):
            return f"{source.name} {source.unit} {int(lines[number - first_new])}"
        return f"{sheet} row {number}"

    def replace_all(match: re.Match[str]) -> str:
        return ", ".join(one(int(part)) for part in match.group(1).split(", "))

    return re.sub(r"\brows? (\d+(?:, \d+)*)", replace_all, message)


def plan_import(incoming: IncomingRows, book: MappingType[str, RawTable], *, date1904: bool = False,
                create_customers: bool = False, skip_conflicts: bool = False) -> ImportPlan:
    """Decide what to append (see the module docstring): pure, nothing is read or written."""
    table = incoming.table
    key = table.key or ""
    source = incoming.source
    baseline = load_tables(book, date1904=date1904)
    ledger = baseline.ledger
    empty = pd.DataFrame()
    if not baseline.ok:
        return ImportPlan(table, source, empty, np.zeros(0, dtype=np.int64), 0, empty, 0, 0, 0, [],
                          incoming.skipped, baseline.errors, book_errors=True, notes=incoming.notes)
    problems: list[Problem] = list(incoming.problems)
    keep = np.ones(len(incoming), dtype=bool)
    drop, repeat_problems = _repeats(incoming, key)
    problems += repeat_problems
    repeated = int(drop.sum()) - len(repeat_problems)
    keep &= ~drop
    records = _existing_records(ledger, table)
    in_book = member(pd.Series(incoming.values[key], dtype="str"), records[key]).to_numpy() & keep
    candidates = np.flatnonzero(in_book)
    conflicts: list[Conflict] = []
    already = 0
    if len(candidates):
        identical, conflicts = _compare(incoming, candidates, records, ledger)
        already = int(identical.sum())
        keep[candidates] = False
        for conflict in conflicts:
            for column, book_value, file_value in conflict.differences:
                problems.append(SourceProblem(
                    "warning" if skip_conflicts else "error", source.name, conflict.line, column, file_value,
                    f"but {conflict.key} is already in {table.name} row {conflict.book_row} with {column} "
                    f"{book_value}; " + ("the row is left out (--skip-conflicts)" if skip_conflicts else
                                         "an import never overwrites the book"),
                    "" if skip_conflicts else "the book's value, a new id, or --skip-conflicts to leave the row "
                    "out", unit=source.unit))
    rows = np.flatnonzero(keep)
    new = {name: values[rows] for name, values in incoming.values.items()}
    lines = incoming.lines[rows]

    customers_new: dict[str, np.ndarray] = {}
    if create_customers and table in (contract.INVOICES, contract.PAYMENTS) and len(rows):
        customers_new = _new_customers(incoming, rows, ledger)

    raw = dict(book)
    existing = book.get(table.name)
    if existing is None:
        problems.append(Problem("error", table.name, None, "", "", f"the workbook has no {table.name} table",
                                f"a sheet named {table.name} holding an Excel Table named {table.name}"))
    header, grid, first_new = _grid(existing, table, new, len(rows))
    book_columns = {normalise_header(cell) for cell in header}
    for name, values in new.items():
        if name not in book_columns and len(values) and _any_value(values):
            problems.append(Problem("error", table.name, None, name, "",
                                    f"the book's {table.name} table has no {name} column, and the file fills it",
                                    f"a {name} column added to the {table.name} table, or {name} left out "
                                    "of the mapping"))
    sheet = existing.sheet if existing is not None and existing.sheet else table.name
    raw[table.name] = RawTable(table.name, header, grid, first_row=existing.first_row if existing else 2,
                               sheet=sheet)
    customers_first = 0
    customer_lines = np.zeros(0, dtype=np.int64)
    if customers_new:
        customer_table = book.get(contract.CUSTOMERS.name)
        c_header, c_grid, customers_first = _grid(customer_table, contract.CUSTOMERS, customers_new,
                                                  len(customers_new["customer_id"]))
        raw[contract.CUSTOMERS.name] = RawTable(
            contract.CUSTOMERS.name, c_header, c_grid,
            first_row=customer_table.first_row if customer_table else 2,
            sheet=customer_table.sheet if customer_table and customer_table.sheet else contract.CUSTOMERS.name)
        customer_lines = customers_new.pop("_line").astype(np.int64)

    if len(rows) or customers_new:
        result = load_tables(raw, date1904=date1904)
        known = {str(problem) for problem in baseline.problems}
        problems += _located(result.problems, known, sheet, first_new, lines, incoming, customers_first,
                             customer_lines)

    frame_columns = [column.name for column in table.columns if column.name in new and column.name in book_columns]
    frame = pd.DataFrame({name: new[name] for name in frame_columns})
    customers_frame = pd.DataFrame({name: values for name, values in customers_new.items()})
    return ImportPlan(table, source, frame, lines, first_new, customers_frame, customers_first, already,
                      repeated, conflicts, incoming.skipped, sort_problems(problems), notes=incoming.notes,
                      backups=ledger.settings.backups)


def _any_value(values: np.ndarray) -> bool:
    if values.dtype.kind == "M":
        return bool((~np.isnat(values)).any())
    if values.dtype.kind == "f":
        return bool((~np.isnan(values)).any())
    return bool((values.astype(str) != "").any())


def _new_customers(incoming: IncomingRows, rows: np.ndarray, ledger: Ledger) -> dict[str, np.ndarray]:
    """Minimal Customers rows for the customer ids of ``rows`` the book does not know."""
    ids = pd.Series(incoming.values["customer_id"][rows], dtype="str")
    unknown = ~member(ids, ledger.customers["customer_id"]) & (ids != "")
    if not unknown.any():
        return {}
    frame = pd.DataFrame({"customer_id": ids[unknown].to_numpy(),
                          "name": incoming.customer_names[rows][unknown.to_numpy()],
                          "line": incoming.lines[rows][unknown.to_numpy()]})
    if "currency" in incoming.values:
        frame["currency"] = pd.Series(incoming.values["currency"][rows][unknown.to_numpy()],
                                      dtype="str").str.upper().to_numpy()
    names = frame[frame["name"] != ""].groupby("customer_id", sort=False)["name"].first()
    first = frame.groupby("customer_id", sort=False).first()
    result = {"customer_id": first.index.to_numpy(dtype=object).astype(str),
              "name": np.asarray(_lookup(first.index.to_numpy(dtype=object), names, ""), dtype=object)}
    result["name"] = np.where(result["name"] == "", result["customer_id"], result["name"]).astype(str)
    if "currency" in frame.columns:
        given = frame[frame["currency"] != ""].groupby("customer_id", sort=False)["currency"]
        single = given.nunique()
        only = given.first()[single == 1]
        result["currency"] = np.asarray(_lookup(first.index.to_numpy(dtype=object), only, ""),
                                        dtype=object).astype(str)
    result["_line"] = first["line"].to_numpy(dtype=np.int64)
    return result


def _located(found: list[Problem], known: set[str], sheet: str, first_new: int, lines: np.ndarray,
             incoming: IncomingRows, customers_first: int, customer_lines: np.ndarray) -> list[Problem]:
    """The would-be book's problems, those on new rows moved to the file's lines; the book's own ones dropped."""
    source = incoming.source
    failed_at = {(int(incoming.lines[index]), column) for index, column in incoming.failed}
    located: list[Problem] = []
    for problem in found:
        if problem.sheet == sheet and problem.row is not None and problem.row >= first_new:
            line = int(lines[problem.row - first_new])
            if (line, problem.column) in failed_at:
                continue
            located.append(SourceProblem(problem.severity, source.name, line, problem.column, problem.value,
                                         _relabel(problem.message, sheet, first_new, lines, source),
                                         problem.expected, unit=source.unit))
        elif customers_first and problem.sheet == contract.CUSTOMERS.name and problem.row is not None \
                and problem.row >= customers_first:
            line = int(customer_lines[problem.row - customers_first])
            located.append(SourceProblem(problem.severity, source.name, line, f"customer {problem.column}",
                                         problem.value, problem.message + " (a customer --create-customers "
                                         "would add)", problem.expected, unit=source.unit))
        elif str(problem) not in known:
            located.append(problem)
    return located
