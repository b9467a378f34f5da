"""What a generated sheet looks like, as plain data: cells, blocks of rows, charts, formats and print setup.

``arxl.render.sheets`` builds these specs from report frames; ``arxl.workbook`` (files) and the xlwings adapter
(live Excel) write them. Nothing here knows about a file format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

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
    indent: int = 0  # left indent in steps of about one character (text beside a right-aligned number)
    vertical: str = ""  # top | center | bottom ("" = bottom, Excel's default; wrapped text is always top)


ACCOUNTING = '_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)'
ISO_DATE = "yyyy-mm-dd"
"""The number format of every date style; a sheet's ``date_format`` (Settings ``date_format``) replaces it."""
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
    "date": CellStyle(number_format=ISO_DATE, align="left"),
    # Numbers keep a gap of one parenthesis' width from the text of the next column on their right ("_)").
    "integer": CellStyle(number_format="#,##0_)"),
    "decimal": CellStyle(number_format="#,##0.0_)"),
    "percent": CellStyle(number_format="0.0%_)"),
    "rate": CellStyle(number_format="#,##0.0000##_)"),
    "kpi": CellStyle(number_format="#,##0.0", bold=True, size=14, color=NAVY, align="left"),
    "kpi_money": CellStyle(number_format="#,##0.00", bold=True, size=14, color=NAVY, align="left"),
    "kpi_percent": CellStyle(number_format="0.0%", bold=True, size=14, color=NAVY, align="left"),
    "pass": CellStyle(bold=True, color="006100", fill="C6EFCE", align="center"),
    "fail": CellStyle(bold=True, color="9C0006", fill="FFC7CE", align="center"),
    "cut": CellStyle(italic=True, color="7F7F7F", border_top="thin"),
    "heading": CellStyle(bold=True, size=12, color=NAVY),
    "header_left": CellStyle(bold=True, color="FFFFFF", fill=NAVY),
    "blank_line": CellStyle(border_bottom="thin"),
    # Cells a user is meant to type into (the Collections sheet's outcome and notes): pale yellow.
    "entry": CellStyle(fill="FFF2CC"),
    "entry_wrap": CellStyle(fill="FFF2CC", wrap=True),
    "entry_date": CellStyle(number_format=ISO_DATE, align="left", fill="FFF2CC"),
    "entry_money": CellStyle(number_format=ACCOUNTING, fill="FFF2CC"),
}

RULE = "+rule"
"""Suffix of a style name that adds a thin line under the cell (``"money+rule"``): the last row of a group."""
TOP = "+top"
"""Suffix of a style name that puts the cell's text at the top of its row (a row grown for wrapped text)."""
CENTER = "+center"
"""Suffix of a style name that centres the cell's text (a date between two texts)."""


def base_style(name: str) -> str:
    """The entry of ``STYLES`` a style name is built on: ``"money+rule"`` -> ``"money"``."""
    return name.split("+", 1)[0]


NUMERIC_STYLES = frozenset({"money", "money_bold", "total_money", "integer", "decimal", "percent", "rate", "kpi",
                            "kpi_money", "kpi_percent", "entry_money"})
"""Styles whose cells hold numbers that must be shown in full (a column narrower than them shows ``###``)."""


def cell_style(name: str, *, date_format: str = "", in_block: bool = False) -> CellStyle:
    """The format a style name stands for on a sheet: its date format replaced by the sheet's, a thin line under
    it for ``name+rule``, at the top of its row for ``name+top``, centred for ``name+center``; inside a block's
    data rows, left-aligned text and dates indented one step so that they never touch the number at their left,
    and every cell at the top of its row (a row grown for wrapped text reads from its first line)."""
    base = base_style(name)
    style = STYLES[base]
    if date_format and style.number_format == ISO_DATE:
        style = replace(style, number_format=date_format)
    if RULE in name:
        style = replace(style, border_bottom="thin")
    if TOP in name:
        style = replace(style, vertical="top")
    if CENTER in name:
        style = replace(style, align="center")
    if in_block and style.align in ("", "left") and base not in NUMERIC_STYLES and not style.indent:
        style = replace(style, indent=1)
    if in_block and not style.vertical:
        style = replace(style, vertical="top")
    return style


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
    """A chart anchored over a cell range; ``kind`` is bar_stacked, column_stacked, column or line.

    Axis titles say what is measured and in which unit (``"AR (USD)"``, ``"DSO (days)"``); ``secondary_title``
    belongs to the secondary value axis of ``secondary`` series.
    """

    kind: str
    title: str
    categories: str
    series: tuple[Series, ...]
    anchor_from: tuple[int, int]  # (row, column), 1-based, top-left cell
    anchor_to: tuple[int, int]  # bottom-right cell
    secondary: tuple[Series, ...] = ()  # drawn as a line on a secondary axis
    category_title: str = ""
    value_title: str = ""
    secondary_title: str = ""


@dataclass(frozen=True)
class ConditionalFill:
    """Fill cells of ``range`` whose value is greater than ``threshold``."""

    range: str
    fill: str
    font: str = ""
    threshold: float = 0


@dataclass(frozen=True)
class Paper:
    """A paper size: Excel's ``paperSize`` code and the sheet of paper in inches."""

    code: int
    width: float
    height: float


PAPERS: dict[str, Paper] = {"letter": Paper(1, 8.5, 11.0), "a4": Paper(9, 8.27, 11.69),
                             "legal": Paper(5, 8.5, 14.0)}
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM, MARGIN_HEADER = 0.5, 0.75, 0.75, 0.3
"""Page margins in inches (left and right, top, bottom; header and footer sit inside top and bottom)."""


@dataclass(frozen=True)
class PageSetup:
    """How a sheet prints.

    ``paper`` is ``letter``, ``a4`` or ``legal`` (Settings ``paper_size``, applied to every generated sheet by
    ``arxl.render.layout.finish``). With ``scale`` 0 the sheet is fitted to ``fit_width`` pages across and
    ``fit_height`` down (0: as many as needed); a ``scale`` (percent) prints at that size instead, for sheets
    that place their own page breaks (``row_breaks``: a new page starts after each of these rows). Header and
    footer use Excel's codes (``&P`` page, ``&N`` pages, ``&L``/``&C``/``&R`` left, centre, right).
    """

    landscape: bool = False
    fit_width: int = 1
    fit_height: int = 0  # 0: as many pages as needed
    title_rows: tuple[int, int] | None = None  # rows repeated on every printed page
    header: str = ""
    footer: str = "&LPrinted by arxl&RPage &P of &N"
    print_area: str = ""
    paper: str = "a4"
    scale: int = 0
    row_breaks: tuple[int, ...] = ()


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
    date_format: str = ""  # the number format of its dates ("" = ISO_DATE); see cell_style
    fitted: bool = False  # widths and heights already sized to the content (arxl.render.layout.fit)

    def style(self, name: str, *, in_block: bool = False) -> CellStyle:
        """The format of the style ``name`` on this sheet (see ``cell_style``)."""
        return cell_style(name, date_format=self.date_format, in_block=in_block)
