"""The ``Audit`` sheet: the audit trail as an Excel Table, oldest first, and reading it back.

The sheet is append-only: each run writes back the rows it read from the sheet, as they are, and adds its own
below them (``arxl.verbs.audit``). Its table, ``arxl_Audit``, has the columns of ``arxl.audit.AUDIT_COLUMNS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from ..audit import AUDIT_COLUMNS
from .spec import Block, Cell, PageSetup, SheetSpec

AUDIT_SHEET = "Audit"
AUDIT_KEY = "audit"
HEADER_ROW = 4


def audit_sheet(company: str, rows: Sequence[Sequence[object]]) -> SheetSpec:
    """The Audit sheet holding ``rows`` (each with the values of ``AUDIT_COLUMNS``)."""
    frame = pd.DataFrame([["" if value is None else str(value) for value in row] for row in rows],
                         columns=list(AUDIT_COLUMNS)) if rows else pd.DataFrame(
        {column: pd.Series(dtype=object) for column in AUDIT_COLUMNS})
    cells = {(1, 1): Cell(company, "title"),
             (2, 1): Cell("Audit trail: every change to the input tables, as arxl found it; rows are only ever "
                          "added", "subtitle")}
    styles = ("text", "text", "text", "text", "text", "text", "text", "text", "wrap", "wrap", "text")
    widths = {1: 20, 2: 26, 3: 18, 4: 14, 5: 26, 6: 13, 7: 18, 8: 16, 9: 30, 10: 30, 11: 10}
    return SheetSpec(AUDIT_SHEET, key=AUDIT_KEY, cells=cells,
                     blocks=(Block(HEADER_ROW, 1, frame, styles, table_name="arxl_Audit"),),
                     widths=widths, freeze=(HEADER_ROW + 1, 1), tab_color="7F7F7F",
                     page=PageSetup(landscape=True, title_rows=(HEADER_ROW, HEADER_ROW)))


def audit_rows(values: Sequence[Sequence[object]] | None) -> list[list[str]]:
    """The rows of an Audit sheet read back (cell values from A1): those below the header row."""
    rows: list[list[str]] = []
    header_seen = False
    for row in values or []:
        cells = ["" if value is None else _text(value) for value in row]
        if not header_seen:
            header_seen = cells[:len(AUDIT_COLUMNS)] == list(AUDIT_COLUMNS)
            continue
        cells = (cells + [""] * len(AUDIT_COLUMNS))[:len(AUDIT_COLUMNS)]
        if any(cells):
            rows.append(cells)
    return rows


def _text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
