"""What every verb that rewrites generated sheets does first: make sure nothing the user typed there is lost.

- ``find_edits``: a generated sheet about to be rewritten or removed whose content differs from what arxl wrote
  (``arxl.ownership``) is a problem naming the sheet and the first changed cell, and stops the verb (nothing
  written) unless the user asked to discard such edits (``--discard-edits``; a file's backup keeps them). The
  columns meant for typing (the Collections sheet's entry columns, Cash application's Accept) are not edits.
- ``harvest``: what a collector typed in the Collections sheet's entry columns (Outcome, Note, Promised date,
  Promised amount) becomes Activity rows, one per filled row: dated the day of the refresh (the face's "today"),
  for the row's customer, with the Outcome as the action (blank: ``promise`` when a promised date or amount is
  given, else ``note``). They are checked by the loader like any Activity row, with problems pointing back at the
  Collections cell, appended to the Activity table in the same save as the regenerated sheets, and listed in the
  verb's result. A row identical to an Activity row already there (same day, customer, action, note and
  promise) is not added again, so a harvest never doubles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..contract import ACTIVITY, Table
from ..load import RawTable
from ..ownership import GeneratedBook, first_change
from ..problems import Problem

if TYPE_CHECKING:
    import pandas as pd

    from .refresh import BookAdapter

DISCARD_HINT = ("arxl rewrites this sheet at every refresh: copy what you want to keep to a sheet of your own, or "
                "refresh with --discard-edits (the previous version is kept as a backup)")


def find_edits(adapter: BookAdapter, book: GeneratedBook, keys: Sequence[str]) -> list[Problem]:
    """One problem per generated sheet among ``keys`` whose content changed since arxl wrote it."""
    problems = []
    for key in keys:
        sheet = book.sheets.get(key)
        record = book.state.sheets.get(key)
        if sheet is None or record is None or record.digest is None:
            continue
        current = adapter.sheet_digest(sheet.name, record)
        if current is None:
            continue
        digest, values = current
        change = first_change(record.digest, digest)
        if change is None:
            continue
        shown = _shown(values, change.row, change.column)
        more = f" ({change.rows_changed} rows differ)" if change.rows_changed > 1 else ""
        what = "was typed where arxl wrote something else" if shown else "was changed or cleared"
        problems.append(Problem("error", sheet.name, change.row, f"cell {change.cell}", shown,
                                f"{what} since the last refresh{more}; {DISCARD_HINT}"))
    return problems


def unedited(adapter: BookAdapter, keys: Sequence[str], discard_edits: bool) -> GeneratedBook:
    """The book's generated sheets, once sure that those of ``keys`` (patterns, as ``key_matches`` reads them)
    hold no edit but in their entry columns (EditsFound otherwise, unless ``discard_edits``): what a verb that
    rewrites generated sheets outside a refresh starts with."""
    from ..errors import EditsFound
    from ..ownership import key_matches

    book = adapter.generated()
    edits = find_edits(adapter, book, [key for key in book.sheets if key_matches(key, keys)])
    if edits and not discard_edits:
        raise EditsFound(edits)
    return book


def _shown(values: list[list[object]], row: int, column: int) -> str:
    if row - 1 < len(values) and column - 1 < len(values[row - 1]):
        value = values[row - 1][column - 1]
        return "" if value is None else str(value)
    return ""


@dataclass(frozen=True)
class Harvest:
    """Activity rows taken from the Collections sheet: the rows as the Activity table will hold them, and
    where each came from (Collections sheet row)."""

    rows: list[dict[str, object]]
    sheet_rows: list[int]
    sheet: str

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=[column.name for column in ACTIVITY.columns])


_ENTRY_COLUMN = {"action": "Outcome", "note": "Note", "promised_date": "Promised date",
                 "promised_amount": "Promised amount", "customer_id": "Customer ID", "date": "Outcome"}


def harvest(values: list[list[object]] | None, sheet: str, today: dt.date,
            activity: RawTable | None) -> Harvest:
    """The Activity rows typed on the Collections sheet (``values`` from A1); those already in ``activity``
    (the same day, customer, action, note and promise) are left out."""
    from ..render.collections import collection_entries

    entries = collection_entries(values or [])
    if not entries:
        return Harvest([], [], sheet)
    existing = {_identity(row, activity.header) for row in activity.cell_rows()} if activity is not None else set()
    rows: list[dict[str, object]] = []
    sheet_rows: list[int] = []
    for entry in entries:
        outcome = entry.outcome
        if outcome in (None, "") or (isinstance(outcome, str) and not outcome.strip()):
            promised = entry.promised_date not in (None, "") or entry.promised_amount not in (None, "")
            outcome = "promise" if promised else "note"
        row = {"date": dt.datetime.combine(today, dt.time()), "customer_id": entry.customer_id, "invoice_id": "",
               "action": outcome, "promised_date": entry.promised_date, "promised_amount": entry.promised_amount,
               "note": entry.note}
        if _identity([row[column.name] for column in ACTIVITY.columns],
                     [column.name for column in ACTIVITY.columns]) in existing:
            continue
        rows.append(row)
        sheet_rows.append(entry.row)
    return Harvest(rows, sheet_rows, sheet)


def _identity(row: Sequence[object], header: Sequence[object]) -> tuple[str, ...]:
    """A row's day, customer, action, note and promise as comparable text."""
    from ..contract import normalise_header

    named = {normalise_header(str(name)): value for name, value in zip(header, row, strict=False)}

    def text(name: str) -> str:
        value = named.get(name)
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip().casefold()

    return tuple(text(name) for name in ("date", "customer_id", "action", "note", "promised_date",
                                         "promised_amount"))


def with_harvest(tables: dict[str, RawTable], harvested: Harvest) -> tuple[dict[str, RawTable], dict[int, int]]:
    """The raw tables with the harvested rows added at the end of Activity (a blank Activity from the contract
    when the book has none), and which Activity row number each harvested row got (-> its Collections row)."""
    if not harvested.rows:
        return tables, {}
    if len(harvested.rows) != len(harvested.sheet_rows):
        raise ValueError("every harvested row needs the Collections row it came from")
    updated, first = with_rows(tables, ACTIVITY, harvested.rows, missing="")
    return updated, {first + offset: sheet_row for offset, sheet_row in enumerate(harvested.sheet_rows)}


def with_rows(tables: dict[str, RawTable], table: Table, records: Sequence[Mapping[str, object]], *,
              missing: object = None) -> tuple[dict[str, RawTable], int]:
    """The raw tables with ``records`` (values by column name, as a reader hands cells over; ``missing`` for a
    column a record lacks) added at the end of ``table`` (a blank one from the contract when the book has none),
    and the Excel row the first of them lands on."""
    from ..contract import normalise_header

    existing = tables.get(table.name) or RawTable(table.name, [column.name for column in table.columns], [], 2,
                                                  table.name)
    header = [normalise_header(str(name)) for name in existing.header]
    rows = existing.cell_rows()
    first = existing.first_row + len(rows)
    rows += [[record.get(name, missing) for name in header] for record in records]
    updated = replace(existing, rows=rows, typed=None, sheet=existing.sheet or table.name)
    return {**tables, table.name: updated}, first


def relabel(problems: list[Problem], origin: dict[int, int], activity_sheet: str, sheet: str) -> list[Problem]:
    """Problems of harvested rows pointed back at the Collections cell the collector typed."""
    if not origin:
        return problems
    located = []
    for problem in problems:
        if problem.sheet == activity_sheet and problem.row in origin:
            column = _ENTRY_COLUMN.get(problem.column, problem.column)
            located.append(replace(problem, sheet=sheet, row=origin[problem.row], column=column))
        else:
            located.append(problem)
    return located
