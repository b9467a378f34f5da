"""Generated sheets fitted to Excel's limits before anything writes them, with a warning for what had to give.

Decided for generated content (the input tables are refused instead, by the loader and the imports):

- **Text longer than a cell holds** (32,767 characters) is cut to the limit, with a warning naming the sheet and
  how many cells: a generated sheet shows what the input tables hold in full, and the loader refuses input text
  over the limit, so only text arxl puts together (a name with a prefix, say) can get there.
- **Rows past the sheet's last one** (1,048,576): a block of rows (the open items of Aging Detail) keeps the
  rows that fit, less one, and its last row says how many more there are and where the full list is
  (``arxl export``); the warning says the same. Cells and blocks starting past the last row or column are left
  out, counted in the warning. Refusing the whole refresh instead would leave the user with no report at all,
  for a listing that Excel could never show whole.

The writers (``arxl.workbook.sheetxml``, the live adapter) keep a last guard of their own; the refresh surfaces
these warnings in its result and its progress output.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd
import pyarrow.compute as pc

from ..arrays import arrow_text
from ..excel import MAX_CELL_TEXT, MAX_COLUMNS, MAX_ROWS, cut_text, text_too_long
from ..problems import Problem
from .spec import Block, Cell, SheetSpec

# Where the whole of a listing a sheet cannot hold is to be had.
FULL_LISTS = {"Aging Detail": "arxl export --what open-items", "Aging": "arxl export --what aging"}


def fit_to_excel(specs: Sequence[SheetSpec]) -> tuple[list[SheetSpec], list[Problem]]:
    """``specs`` within Excel's limits, and a warning per sheet for what had to be cut (see the module docstring).
    Specs that fit come back as they are."""
    fitted: list[SheetSpec] = []
    problems: list[Problem] = []
    for spec in specs:
        fitted_spec, found = _fit(spec)
        fitted.append(fitted_spec)
        problems.extend(found)
    return fitted, problems


def _fit(spec: SheetSpec) -> tuple[SheetSpec, list[Problem]]:
    cut_cells = 0
    left_out = 0
    notes: dict[tuple[int, int], Cell] = {}
    blocks: list[Block] = []
    shortened: list[tuple[int, int]] = []  # (rows kept, rows in all) of the blocks cut short
    for block in spec.blocks:
        if block.top >= MAX_ROWS or block.left > MAX_COLUMNS:
            left_out += len(block.frame) + 1
            continue
        frame, styles = block.frame, block.styles
        columns = MAX_COLUMNS - block.left + 1
        if len(frame.columns) > columns:
            left_out += (len(frame.columns) - columns) * (len(frame) + 1)
            frame, styles = frame.iloc[:, :columns], styles[:columns]
        room = MAX_ROWS - block.top - 1  # data rows that fit under the header, less the row saying what is left
        if len(frame) > room + 1:
            dropped = len(frame) - room
            shortened.append((room, len(frame)))
            frame = frame.iloc[:room]
            styles = tuple(style if isinstance(style, str) else tuple(style)[:room] for style in styles)
            where = FULL_LISTS.get(spec.name)
            notes[(MAX_ROWS, block.left)] = Cell(
                f"... and {dropped:,} more row(s): Excel's last row is {MAX_ROWS:,}"
                + (f"; the full list: {where}" if where else ""), "cut")
        frame, count = _cut_texts(frame)
        cut_cells += count
        blocks.append(block if frame is block.frame and styles is block.styles
                      else dataclasses.replace(block, frame=frame, styles=styles))
    cells: dict[tuple[int, int], Cell] = {}
    for (row, column), cell in spec.cells.items():
        if row > MAX_ROWS or column > MAX_COLUMNS:
            left_out += 1
            continue
        if isinstance(cell.value, str) and text_too_long(cell.value) is not None:
            cells[(row, column)] = dataclasses.replace(cell, value=cut_text(cell.value))
            cut_cells += 1
        else:
            cells[(row, column)] = cell
    for where, note in notes.items():
        cells.setdefault(where, note)
    if not (cut_cells or left_out or shortened):
        return spec, []
    problems = []
    for kept, total in shortened:
        where = FULL_LISTS.get(spec.name)
        problems.append(Problem("warning", spec.name, None, "", "",
                                f"lists the first {kept:,} of {total:,} rows: Excel's last row is {MAX_ROWS:,}"
                                + (f"; the full list: {where}" if where else "")))
    if cut_cells:
        problems.append(Problem("warning", spec.name, None, "", "",
                                f"{cut_cells:,} cell(s) held text longer than Excel's {MAX_CELL_TEXT:,} "
                                "characters and were cut to it; the input tables keep the whole text"))
    if left_out:
        problems.append(Problem("warning", spec.name, None, "", "",
                                f"{left_out:,} cell(s) beyond Excel's last row or column were left out"))
    return dataclasses.replace(spec, cells=cells, blocks=tuple(blocks)), problems


def _cut_texts(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``frame`` with every text longer than a cell holds cut to the limit (a copy only when one is), and how many.
    Bytes of UTF-8 are never fewer than UTF-16 units, so Arrow's byte lengths find the candidates in C++."""
    count = 0
    cut = frame
    for name in frame.columns:
        values = frame[name]
        if values.dtype.kind in "biufcmM" or not len(values):
            continue
        lengths = pc.binary_length(arrow_text(values.astype("str")))
        if (pc.max(lengths).as_py() or 0) <= MAX_CELL_TEXT:
            continue
        texts = values.astype(object).tolist()
        fitted = [cut_text(text) if isinstance(text, str) else text for text in texts]
        changed = sum(1 for before, after in zip(texts, fitted, strict=True) if before is not after)
        if changed:
            if cut is frame:
                cut = frame.copy()
            cut[name] = pd.Series(fitted, index=values.index, dtype=values.dtype)
            count += changed
    return cut, count
