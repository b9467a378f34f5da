"""What a generated sheet looks like, as plain data: cells, blocks of rows, charts, formats and print setup.

``arxl.render.sheets`` builds these specs from report frames; ``arxl.workbook`` (files) and the xlwings adapter
(live Excel) write them. Nothing here knows about a file format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

CellValue = str | int | float | dt.date | None


@dataclass(frozen=True)
class CellStyle:
    """A cell format by its parts; equal styles share one entry in the workbook's style table."""

    number_format: str = "General"
    bold: bool = False
    italic: bool = False
    size: float = 11
    color: str = ""  # font colour, hex RRGGBB
    fill: str = ""  # background, hex RRGGBB
    align: str = ""  # left | center | right
    wrap: bool = False
    border_top: str = ""  # thin | medium | double
    border_bottom: str = ""


ACCOUNTING = '_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)'
NAVY = "1F4E78"

STYLES: dict[str, CellStyle] = {
    "text": CellStyle(),
    "wrap": CellStyle(wrap=True),
    "title": CellStyle(bold=True, size=16, color=NAVY),
    "subtitle": CellStyle(italic=True, color="595959"),
    "label": CellStyle(bold=True),
    "header": CellStyle(bold=True, color="FFFFFF", fill=NAVY, wrap=True, align="center"),
    "money": CellStyle(number_format=ACCOUNTING),
    "money_bold": CellStyle(number_format=ACCOUNTING, bold=True),
    "total_label": CellStyle(bold=True, border_top="thin", border_bottom="double"),
    "total_money": CellStyle(number_format=ACCOUNTING, bold=True, border_top="thin", border_bottom="double"),
    "date": CellStyle(number_format="yyyy-mm-dd", align="left"),
    "integer": CellStyle(number_format="#,##0"),
    "decimal": CellStyle(number_format="#,##0.0"),
    "percent": CellStyle(number_format="0.0%"),
    "rate": CellStyle(number_format="#,##0.0000##"),
    "kpi": CellStyle(number_format="#,##0.0", bold=True, size=14, color=NAVY),
    "kpi_money": CellStyle(number_format="#,##0.00", bold=True, size=14, color=NAVY),
    "kpi_percent": CellStyle(number_format="0.0%", bold=True, size=14, color=NAVY),
    "pass": CellStyle(bold=True, color="006100", fill="C6EFCE", align="center"),
    "fail": CellStyle(bold=True, color="9C0006", fill="FFC7CE", align="center"),
    "cut": CellStyle(italic=True, color="7F7F7F", border_top="thin"),
    # Cells a user is meant to type into (the Collections sheet's outcome and notes): pale yellow.
    "entry": CellStyle(fill="FFF2CC"),
    "entry_wrap": CellStyle(fill="FFF2CC", wrap=True),
    "entry_date": CellStyle(number_format="yyyy-mm-dd", align="left", fill="FFF2CC"),
    "entry_money": CellStyle(number_format=ACCOUNTING, fill="FFF2CC"),
}


@dataclass(frozen=True)
class Cell:
    """One cell: a value (the cached result when there is a formula) and a style name from ``STYLES``."""

    value: CellValue = None
    style: str = "text"
    formula: str = ""  # without the leading '=': "SUM(C6:C20)"


@dataclass(frozen=True)
class Block:
    """A rectangle of rows written column by column: many rows cheaply, optionally as an Excel Table.

    ``frame`` holds the values (money already in major units as float, dates as datetime64, text as str);
    ``styles`` names the style of each column (or, for a column, a sequence naming each row's style); the
    header row sits at ``top`` and data starts below it.
    """

    top: int
    left: int
    frame: pd.DataFrame
    styles: tuple[str | Sequence[str], ...]
    table_name: str = ""  # an Excel Table over header + data when given


@dataclass(frozen=True)
class Series:
    name: str
    values: str  # a range such as "'Aging'!$C$6:$C$20"
    color: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart anchored over a cell range; ``kind`` is bar_stacked, column_stacked, column or line."""

    kind: str
    title: str
    categories: str
    series: tuple[Series, ...]
    anchor_from: tuple[int, int]  # (row, column), 1-based, top-left cell
    anchor_to: tuple[int, int]  # bottom-right cell
    secondary: tuple[Series, ...] = ()  # drawn as a line on a secondary axis


@dataclass(frozen=True)
class ConditionalFill:
    """Fill cells of ``range`` whose value is greater than ``threshold``."""

    range: str
    fill: str
    font: str = ""
    threshold: float = 0


@dataclass(frozen=True)
class PageSetup:
    landscape: bool = False
    fit_width: int = 1
    fit_height: int = 0  # 0: as many pages as needed
    title_rows: tuple[int, int] | None = None  # rows repeated on every printed page
    header: str = ""
    footer: str = "&LPrinted by arxl&RPage &P of &N"
    print_area: str = ""


@dataclass(frozen=True)
class SheetSpec:
    """A whole generated sheet.

    ``name`` is the name it gets when first written; ``key`` says which report it is (``aging``,
    ``statement:C0001``; blank: the name folded), so that a sheet the user renamed is found again
    (``arxl.ownership``). ``entry_columns`` are the columns a user is meant to type into (kept out of edit
    detection); ``hidden`` is "", "hidden" or "veryHidden".
    """

    name: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)  # row -> points, for wrapped text
    freeze: tuple[int, int] | None = None  # first unfrozen (row, column)
    merges: tuple[str, ...] = ()
    conditional: tuple[ConditionalFill, ...] = ()
    charts: tuple[Chart, ...] = ()
    page: PageSetup | None = None
    tab_color: str = ""
    gridlines: bool = False
    key: str = ""
    entry_columns: tuple[int, ...] = ()
    hidden: str = ""
