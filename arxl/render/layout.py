"""Print-ready layout of every generated sheet: column widths from their content, row heights for wrapped text,
paper size and date format from Settings, and the page measurements that sheets placing their own page
breaks (statements) need.

``finish(spec, settings)`` is the one pass every generated sheet goes through before it is written (the verbs
call it: ``arxl.verbs.refresh.build_sheets``, the cash-application review sheet, statement PDFs), so a sheet or
a column added later inherits all of it. Pure: sheet specs in, sheet specs out.

Choices where the issue is silent:

- **Widths** are estimated from the text each cell shows, in Excel's width unit (the width of a digit of the
  default font), with a table of character widths that holds for both Calibri (Excel) and DejaVu Sans (what
  LibreOffice draws when Calibri is missing), the wider of the two where they differ. Numbers are measured as
  their number format shows them (``1,140,263.55``, ``(78.83)``), so a number never meets a column too narrow
  for it (``###``). A text cell drives its column's width only when the cell to its right is taken; otherwise
  it may run over into the empty cells beside it (titles, labels). A text column that would need more than
  ``MAX_TEXT_WIDTH`` wraps instead, and its rows grow to show every line. Widths a sheet gives are minimums.
- **Headers** of tables wrap onto at most a few lines and their row grows to show them whole.
- **Paper**: Settings ``paper_size`` (``letter``, ``a4``, ``legal``); blank means Letter for a reporting
  currency of a country that uses it (USD, CAD, MXN, CLP, COP, PHP) and A4 elsewhere.
- **Dates** on sheets and PDFs: Settings ``date_format`` (one of ``arxl.contract.DATE_FORMATS``); blank means
  the usual order of the reporting currency's home: ``mm/dd/yyyy`` for USD and PHP, ``dd/mm/yyyy`` for GBP,
  EUR, AUD, NZD, INR, ZAR, BRL, SGD, HKD, MXN and the others in ``_DAY_MONTH``, ``dd.mm.yyyy`` for CHF, NOK,
  DKK, PLN, CZK, HUF, RON, RUB, TRY and UAH, and ISO ``yyyy-mm-dd`` everywhere else (CAD, SEK, JPY, CNY ...). The
  terminal, CSV and JSON keep ISO dates: they are read by programs.
- **Every page** of a report sheet repeats its title block (company, report, as-of date) and its table header.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd

from ..ledger import Settings
from .spec import (
    ISO_DATE,
    MARGIN_BOTTOM,
    MARGIN_SIDE,
    MARGIN_TOP,
    NUMERIC_STYLES,
    PAPERS,
    STYLES,
    Block,
    Cell,
    SheetSpec,
    base_style,
)

DATE_EXAMPLES: dict[str, str] = {
    "yyyy-mm-dd": "2026-06-30 (ISO 8601)",
    "mm/dd/yyyy": "06/30/2026 (United States)",
    "dd/mm/yyyy": "30/06/2026 (United Kingdom, most of Europe and the Commonwealth)",
    "dd.mm.yyyy": "30.06.2026 (Germany, Switzerland, Central and Eastern Europe)",
    "yyyy/mm/dd": "2026/06/30 (Japan, China)",
    "d mmm yyyy": "30 Jun 2026",
    "mmm d, yyyy": "Jun 30, 2026",
}
"""Each of ``arxl.contract.DATE_FORMATS`` (what Settings ``date_format`` accepts) with an example, for the docs."""

_LETTER = frozenset({"USD", "CAD", "MXN", "CLP", "COP", "PHP"})
_MONTH_DAY = frozenset({"USD", "PHP"})
_DAY_MONTH = frozenset({"GBP", "EUR", "AUD", "NZD", "INR", "ZAR", "BRL", "SGD", "HKD", "MXN", "ARS", "CLP", "COP",
                        "PEN", "MYR", "IDR", "THB", "VND", "EGP", "ILS", "AED", "SAR", "QAR", "KES", "NGN", "ISK"})
_DOTTED = frozenset({"CHF", "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "RUB", "TRY", "UAH"})
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

MAX_TEXT_WIDTH = 60.0
"""Widest a column grows for its text; longer text wraps."""
WRAP_WIDTH = 48.0
"""Width of a wrapping column that gives none."""
LINE_HEIGHT = 15.0
"""Points a line of 11-point text needs (Excel's default row height)."""
MAX_HEADER_LINES = 3
POINTS_PER_UNIT = 7.0
"""Points one unit of column width takes on paper at most: LibreOffice's width unit without Calibri (DejaVu
Sans, 11 pt); Excel's is 5.25 points. Sheets that choose their own print scale measure with the larger."""
INDENT = 1.5
"""Width one step of indent takes (text and dates inside tables are indented one step)."""
COLUMN_PADDING_POINTS = 3.75
"""The few pixels Excel adds to every column beyond its width in characters."""


# --- Settings: paper and dates --------------------------------------------------------------------------------

def paper_size(settings: Settings) -> str:
    """``letter``, ``a4`` or ``legal``: Settings ``paper_size``, else from the reporting currency."""
    if settings.paper_size:
        return settings.paper_size
    return "letter" if settings.reporting_currency in _LETTER else "a4"


def date_format(settings: Settings) -> str:
    """The Excel date format of sheets and PDFs: Settings ``date_format``, else from the reporting currency."""
    if settings.date_format:
        return settings.date_format
    currency = settings.reporting_currency
    if currency in _MONTH_DAY:
        return "mm/dd/yyyy"
    if currency in _DAY_MONTH:
        return "dd/mm/yyyy"
    if currency in _DOTTED:
        return "dd.mm.yyyy"
    return ISO_DATE


def format_date(day: dt.date, excel_format: str) -> str:
    """``day`` as the Excel format ``excel_format`` shows it (one of ``DATE_EXAMPLES``), for text such as a
    sheet's subtitle; English month abbreviations whatever the machine's locale."""
    parts = {"yyyy": f"{day.year:04d}", "mmm": _MONTHS[day.month - 1], "mm": f"{day.month:02d}",
             "dd": f"{day.day:02d}", "d": str(day.day)}
    return re.sub(r"yyyy|mmm|mm|dd|d", lambda match: parts[match.group(0)], excel_format or ISO_DATE)


def settings_date(settings: Settings, day: dt.date) -> str:
    """``day`` in the book's date format."""
    return format_date(day, date_format(settings))


# --- measuring text and numbers -------------------------------------------------------------------------------

_WIDTHS: dict[str, float] = {}
for _characters, _width in (("ilj.,:;'|!` ", 0.5), ("IJ", 0.6), ("frt()[]{}-/\\\"*", 0.7), ("sczvxyk", 0.92),
                            ("mw", 1.6), ("MW", 1.75), ("OQGDCHNU", 1.25), ("&%@#~", 1.5), ("0123456789", 1.0)):
    _WIDTHS.update(dict.fromkeys(_characters, _width))


def _character_width(character: str) -> float:
    width = _WIDTHS.get(character)
    if width is not None:
        return width
    if "A" <= character <= "Z":
        return 1.12
    if ord(character) >= 0x2E80:  # CJK and other wide scripts
        return 2.0
    return 1.05


def text_width(text: str, *, bold: bool = False, size: float = 11) -> float:
    """The width of ``text`` on one line, in Excel's column-width unit (the default font's digit width)."""
    width = sum(_character_width(character) for character in text)
    return width * (1.1 if bold else 1.0) * size / 11


def widest_text(values: pd.Series, *, bold: bool = False, size: float = 11, candidates: int = 200) -> float:
    """The widest of many texts, cheaply: only the longest few hundred distinct texts are measured exactly
    (a text's width is between half and twice its length in characters, so the widest is among them)."""
    texts = pd.Series(values, dtype="str").drop_duplicates()
    if texts.empty:
        return 0.0
    lengths = texts.str.len().to_numpy(dtype=np.int64)
    if len(texts) > candidates:
        texts = texts.iloc[np.argsort(-lengths, kind="stable")[:candidates]]
    return max(text_width(text, bold=bold, size=size) for text in texts.tolist())


def _section(number_format: str, value: float) -> str:
    sections = number_format.split(";")
    if value < 0 and len(sections) > 1:
        return sections[1]
    if value == 0 and len(sections) > 2:
        return sections[2]
    return sections[0]


def number_text(value: float, number_format: str) -> tuple[str, float]:
    """How Excel shows ``value`` under ``number_format`` (the digits and signs), and the extra width of the
    format's padding (``_)``, ``_(``) beside it."""
    section = _section(number_format, value)
    padding = sum(_character_width(character) for character in re.findall(r"_(.)", section))
    shown = re.sub(r"_.|\*.|\"[^\"]*\"|\\.", "", section)
    if value == 0 and '"' in section:
        literal = re.findall(r"\"([^\"]*)\"", section)
        return "".join(literal), padding
    if "%" in shown:
        value *= 100
    decimals = len(shown.split(".")[1].rstrip("%)_ ")) if "." in shown else 0
    grouped = "," in shown
    magnitude = abs(value)
    digits = f"{magnitude:,.{decimals}f}" if grouped else f"{magnitude:.{decimals}f}"
    if "%" in shown:
        digits += "%"
    if value < 0:
        digits = f"({digits})" if "(" in section else "-" + digits
    return digits, padding


def number_width(values: np.ndarray | pd.Series, number_format: str, *, bold: bool = False,
                 size: float = 11) -> float:
    """The width the widest of ``values`` needs under ``number_format`` (NaN ignored)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        numbers = values.astype(np.float64, copy=False)
    else:
        numbers = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64").to_numpy()
    numbers = numbers[np.isfinite(numbers)]
    if not len(numbers):
        return 0.0
    widest = 0.0
    for value in {float(numbers.max()), float(numbers.min())}:
        shown, padding = number_text(value, number_format)
        widest = max(widest, text_width(shown, bold=bold, size=size) + padding * size / 11)
    return widest


def date_width(excel_format: str, *, bold: bool = False) -> float:
    """The width of the widest date in ``excel_format``."""
    return text_width(format_date(dt.date(2026, 12, 28), excel_format).replace("Dec", "May"), bold=bold)


def wrapped_lines(text: str, width: float, *, bold: bool = False, size: float = 11) -> int:
    """Lines ``text`` takes in a wrapping cell ``width`` units wide (greedy word wrap, explicit breaks kept)."""
    usable = max(width - 1.0, 1.0)
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split(" "):
            word_width = text_width(word, bold=bold, size=size)
            gap = text_width(" ", bold=bold, size=size) if used else 0.0
            if used and used + gap + word_width > usable:
                lines += 1
                used = 0.0
                gap = 0.0
            while word_width > usable:  # a word longer than the line is broken where it meets the edge
                lines += 1
                word_width -= usable
            used += gap + word_width
    return max(lines, 1)


def _wrapped_line_counts(values: pd.Series, width: float, *, exact_limit: int = 5000) -> np.ndarray:
    """Lines each text of a wrapping column takes: counted word by word for the texts that may need more than
    one line (up to ``exact_limit`` distinct ones), else estimated from their length."""
    texts = pd.Series(values, dtype="str").fillna("").reset_index(drop=True)
    lengths = texts.str.len().to_numpy(dtype=np.float64)
    breaks = texts.str.count("\n").to_numpy(dtype=np.float64)
    usable = max(width - 1.0 - INDENT, 1.0)
    lines = np.maximum(np.ceil(lengths * 1.15 / usable), 1.0) + breaks
    doubtful = (lengths * 0.5 > usable) | (lines > 1)
    candidates = texts[doubtful].drop_duplicates()
    if 0 < len(candidates) <= exact_limit:
        exact = {text: wrapped_lines(text, width - INDENT) for text in candidates.tolist()}
        lines[doubtful] = texts[doubtful].map(exact).to_numpy(dtype=np.float64)
    return lines


# --- fitting a sheet ------------------------------------------------------------------------------------------

def _style_name(style: object) -> str:
    """The base style of a block column (its first row's, for a column styled row by row)."""
    if isinstance(style, str):
        return base_style(style)
    return base_style(str(next(iter(style), "text")))  # type: ignore[call-overload]


def _block_column_width(block: Block, offset: int, style_name: str, date_code: str) -> tuple[float, bool]:
    """The width a block's data column needs, and whether it is text that should wrap instead."""
    values = block.frame.iloc[:, offset]
    style = STYLES[style_name]
    if values.empty:
        return 0.0, False
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return (date_width(date_code) + INDENT + 1.0 if values.notna().any() else 0.0), False
    if style_name in NUMERIC_STYLES or (pd.api.types.is_numeric_dtype(values.dtype)
                                       and not pd.api.types.is_bool_dtype(values.dtype)):
        number_format = style.number_format if style_name in NUMERIC_STYLES else "General"
        return number_width(values.to_numpy(), number_format, bold=style.bold, size=style.size) + 1.0, False
    present = values[values.notna()]
    widest = widest_text(present.astype("str"), bold=style.bold, size=style.size) + INDENT + 1.0
    return widest, not style.wrap and widest > MAX_TEXT_WIDTH


SHORT_HEADER = 13.0
"""A header this wide or narrower stays on one line."""


def _header_width(name: str) -> float:
    """A short header on one line; a longer one may wrap: at least its longest word, and wide enough for at
    most ``MAX_HEADER_LINES`` lines."""
    words = str(name).split()
    longest = max((text_width(word, bold=True) for word in words), default=0.0)
    whole = text_width(str(name), bold=True)
    if whole <= SHORT_HEADER:
        return whole + 1.5
    return max(longest, whole / MAX_HEADER_LINES) + 1.5


def _cell_width(cell: Cell, date_code: str) -> float:
    style = STYLES[base_style(cell.style)]
    value = cell.value
    if isinstance(value, bool) or value is None:
        return 0.0
    if isinstance(value, dt.date):
        return date_width(date_code, bold=style.bold) + 1.0
    if isinstance(value, int | float | np.integer | np.floating):
        if isinstance(value, float) and math.isnan(value):
            return 0.0
        if style.number_format in ("General", ISO_DATE):
            shown, padding = f"{float(value):.10g}", 0.0
        else:
            shown, padding = number_text(float(value), style.number_format)
        return text_width(shown, bold=style.bold, size=style.size) + padding + 1.0
    return text_width(str(value), bold=style.bold, size=style.size) + 1.0


def _merged_cells(merges: tuple[str, ...]) -> set[tuple[int, int]]:
    from ..excel import parse_range

    covered: set[tuple[int, int]] = set()
    for merge in merges:
        top, left, bottom, right = parse_range(merge)
        covered.update((row, column) for row in range(top, bottom + 1) for column in range(left, right + 1))
    return covered


def fit(spec: SheetSpec) -> SheetSpec:
    """``spec`` with every column as wide as its content needs (never less than the width it gives) and rows
    tall enough for wrapped headers and text; long text columns of blocks wrap (see the module docstring)."""
    if spec.fitted:
        return spec
    date_code = spec.date_format or ISO_DATE
    needed: dict[int, float] = {}
    heights = dict(spec.heights)
    blocks: list[Block] = []

    def need(column: int, width: float) -> None:
        if width > needed.get(column, 0.0):
            needed[column] = width

    def grow(row: int, height: float) -> None:
        if height > heights.get(row, 0.0):
            heights[row] = height

    for block in spec.blocks:
        styles = list(block.styles)
        wrapping: dict[int, float] = {}
        for offset, name in enumerate(block.frame.columns):
            column = block.left + offset
            style_name = _style_name(styles[offset])
            if style_name in ("pass", "fail"):
                style_name = "text"
            width, too_wide = _block_column_width(block, offset, style_name, date_code)
            need(column, _header_width(str(name)))
            if too_wide:
                styles[offset] = "wrap"
                width = MAX_TEXT_WIDTH
            if STYLES[_style_name(styles[offset])].wrap:
                wrapping[offset] = spec.widths.get(column, min(width, WRAP_WIDTH))
                need(column, wrapping[offset])
            else:
                need(column, width)
        blocks.append(replace(block, styles=tuple(styles)))
        for offset in wrapping:
            column_width = max(needed.get(block.left + offset, 0.0), spec.widths.get(block.left + offset, 0.0))
            lines = _wrapped_line_counts(block.frame.iloc[:, offset].astype(object).where(
                block.frame.iloc[:, offset].notna(), ""), column_width)
            for index in np.flatnonzero(lines > 1):
                grow(block.top + 1 + int(index), LINE_HEIGHT * float(lines[index]))

    merged = _merged_cells(spec.merges)

    def taken(row: int, column: int) -> bool:
        if (row, column) in spec.cells or (row, column) in merged:
            return True
        return any(block.top <= row <= block.top + len(block.frame)
                   and block.left <= column < block.left + len(block.frame.columns) for block in spec.blocks)

    for (row, column), cell in spec.cells.items():
        style = STYLES[base_style(cell.style)]
        if (row, column) in merged:
            continue
        if isinstance(cell.value, str) and not cell.formula:
            if style.wrap:
                width = spec.widths.get(column, WRAP_WIDTH)
                need(column, width)
                grow(row, LINE_HEIGHT * wrapped_lines(cell.value, max(width, needed.get(column, 0.0)),
                                                      bold=style.bold, size=style.size))
                continue
            if not taken(row, column + 1):
                continue  # text may run over into the empty cell beside it
        need(column, _cell_width(cell, date_code))

    widths = dict(spec.widths)
    for column, width in needed.items():
        widths[column] = round(max(width, widths.get(column, 0.0)), 1)
    for block in blocks:
        lines = max((wrapped_lines(str(name), widths.get(block.left + offset, 8.43), bold=True)
                     for offset, name in enumerate(block.frame.columns)), default=1)
        if lines > 1:
            grow(block.top, LINE_HEIGHT * min(lines, MAX_HEADER_LINES + 1))
    return replace(spec, blocks=tuple(blocks), widths=widths, heights=heights, fitted=True)


def finish(spec: SheetSpec, settings: Settings) -> SheetSpec:
    """A generated sheet made print-ready with the book's Settings: its dates in ``date_format``, its paper
    ``paper_size``, its title block repeated on every printed page, its columns and rows fitted."""
    finished = replace(spec, date_format=spec.date_format or date_format(settings))
    page = finished.page
    if page is not None:
        title_rows = page.title_rows
        title = spec.cells.get((1, 1))
        if title_rows is not None and title is not None and title.style == "title" and title_rows[0] > 1:
            title_rows = (1, title_rows[1])  # company, report and as-of date on every page, with the header
        finished = replace(finished, page=replace(page, paper=paper_size(settings), title_rows=title_rows))
    return fit(finished)


def finish_all(specs: list[SheetSpec], settings: Settings) -> list[SheetSpec]:
    return [finish(spec, settings) for spec in specs]


# --- page measurements ----------------------------------------------------------------------------------------

def printable_points(paper: str, *, landscape: bool = False) -> tuple[float, float]:
    """(width, height) in points inside the margins of ``paper``."""
    sheet = PAPERS[paper]
    width, height = (sheet.height, sheet.width) if landscape else (sheet.width, sheet.height)
    return (width - 2 * MARGIN_SIDE) * 72, (height - MARGIN_TOP - MARGIN_BOTTOM) * 72


def sheet_points(widths: dict[int, float], columns: range) -> float:
    """The width ``columns`` take on paper at 100 %, at most (see ``POINTS_PER_UNIT``)."""
    return sum(widths.get(column, 8.43) * POINTS_PER_UNIT + COLUMN_PADDING_POINTS for column in columns)


def scale_to_fit(widths: dict[int, float], columns: range, paper: str, *, landscape: bool = False) -> int:
    """The print scale (percent, at most 100) at which ``columns`` fit across the page."""
    available, _height = printable_points(paper, landscape=landscape)
    return max(10, min(100, math.floor(available / sheet_points(widths, columns) * 100)))
