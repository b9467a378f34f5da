"""A ``SheetSpec`` as SpreadsheetML: the worksheet part, its table parts, drawing and charts.

Text is always written as an inline string (``t="inlineStr"``), so nothing from the data can become a formula
and the workbook's shared-string table is left alone. Nothing past Excel's limits is ever written: a text longer
than a cell holds is cut to it (the refresh has fitted its sheets and warned already, ``arxl.render.limits``;
this is the last guard), and a sheet reaching past the last row or column is refused (ValueError). Rows of
blocks are built column-wise with array operations; the handful of free cells goes through Python.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..arrays import arrow_text
from ..excel import MAX_CELL_TEXT, beyond_sheet, cell_reference, column_letter, cut_text
from ..render.spec import (
    MARGIN_BOTTOM,
    MARGIN_HEADER,
    MARGIN_SIDE,
    MARGIN_TOP,
    PAPERS,
    Block,
    Cell,
    Chart,
    SheetSpec,
)
from .styles import StyleTable

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
EPOCHS = {False: dt.date(1899, 12, 30), True: dt.date(1904, 1, 1)}
"""Day 0 of Excel's two date systems: 1900 (the usual one) and 1904 (books made on an old Mac)."""
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
def clean_text(text: str) -> str:
    """Text safe for XML and for a cell: characters XML 1.0 forbids are dropped, the rest escaped, and no more
    than a cell holds."""
    if len(text) > MAX_CELL_TEXT // 2:
        text = cut_text(text)
    return escape(_ILLEGAL_XML.sub("", text))


_ILLEGAL_XML_RE2 = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{FFFE}\\x{FFFF}]"


def clean_texts(texts: pd.Series) -> pd.Series:
    """``clean_text`` of a whole column, in Arrow's C++ string kernels."""
    text = arrow_text(texts.astype("str"))
    if len(text) and (pc.max(pc.binary_length(text)).as_py() or 0) > MAX_CELL_TEXT:  # rare: cut to a cell's size
        text = arrow_text(pd.Series([cut_text(value) if isinstance(value, str) else value
                                     for value in text.to_pylist()], dtype="str"))
    text = pc.replace_substring_regex(text, _ILLEGAL_XML_RE2, "")
    for character, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, character, entity)
    return pd.Series(text, dtype="str", index=texts.index)


def numbers_text(numbers: np.ndarray) -> pd.Series:
    """Float64 values as the shortest text that reads back as the same value (``100`` for ``100.0``).

    Arrow formats in C++; where it chooses an exponent (amounts of 1e11 and more) the value goes through
    ``repr`` instead, which writes such amounts in plain digits as Excel itself does.
    """
    text = pc.cast(pa.array(numbers, pa.float64()), pa.string())
    out = pd.Series(text, dtype="str")
    odd = np.asarray(pc.match_substring(text, "e").to_numpy(zero_copy_only=False), dtype=bool)
    if odd.any():
        out[odd] = [repr(float(value)).removesuffix(".0") for value in numbers[odd]]
    return out


def _number(value: float | int) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _cell_xml(row: int, column: int, cell: Cell, style: int, epoch: dt.date = EPOCHS[False]) -> str:
    where = cell_reference(row, column)
    value = cell.value
    if cell.formula:
        formula = f"<f>{clean_text(cell.formula)}</f>"
        if isinstance(value, str):
            return f'<c r="{where}" s="{style}" t="str">{formula}<v>{clean_text(value)}</v></c>'
        cached = "" if value is None else f"<v>{_serial_or_number(value, epoch)}</v>"
        return f'<c r="{where}" s="{style}">{formula}{cached}</c>'
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f'<c r="{where}" s="{style}"/>'
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{where}" s="{style}" t="inlineStr"><is><t{space}>{clean_text(value)}</t></is></c>'
    return f'<c r="{where}" s="{style}"><v>{_serial_or_number(value, epoch)}</v></c>'


def _serial_or_number(value: object, epoch: dt.date) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return str((value - epoch).days)
    if isinstance(value, pd.Timestamp):
        return str((value.date() - epoch).days)
    return _number(value)  # type: ignore[arg-type]


def _block_rows(block: Block, styles: StyleTable, spec: SheetSpec, epoch: dt.date
                ) -> tuple[dict[int, list[tuple[int, str]]], dict[int, pd.Series]]:
    """The header cells (few, keyed by row) and the data rows as one string per row per column."""
    header: dict[int, list[tuple[int, str]]] = {block.top: []}
    header_style = styles.xf_index(spec.style("header"))
    for offset, name in enumerate(block.frame.columns):
        column = block.left + offset
        header[block.top].append((column, _cell_xml(block.top, column, Cell(str(name)), header_style)))
    count = len(block.frame)
    columns: dict[int, pd.Series] = {}
    if count == 0:
        return header, columns
    rows = pd.Series(np.arange(block.top + 1, block.top + 1 + count).astype(str))
    for offset, (name, style_name) in enumerate(zip(block.frame.columns, block.styles, strict=True)):
        column = block.left + offset
        if isinstance(style_name, str):
            style: str | pd.Series = str(styles.xf_index(spec.style(style_name, in_block=True)))
        else:  # one style per row, e.g. PASS/FAIL
            names = pd.Series(list(style_name), dtype=object)
            style = names.map({key: str(styles.xf_index(spec.style(key, in_block=True)))
                               for key in names.unique()}).astype("str")  # Arrow text: joins stay in C++
        values = block.frame[name].reset_index(drop=True)
        head = f'<c r="{column_letter(column)}' + rows + '" s="' + style + '"'
        if pd.api.types.is_datetime64_any_dtype(values):
            days = values.to_numpy(dtype="datetime64[s]").astype("datetime64[D]")
            present = ~np.isnat(days)
            serials = (days - np.datetime64(epoch, "D")).astype(np.int64)
            serial = pd.Series(np.where(present, serials, 0).astype(str))
            cells = head + "><v>" + serial + "</v></c>"
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
            present = np.isfinite(numbers)
            text = numbers_text(np.where(present, numbers, 0.0))
            cells = head + "><v>" + text + "</v></c>"
        else:
            strings = values.astype(object).where(values.notna(), "").astype(str)
            present = (strings != "").to_numpy()
            text = clean_texts(strings)
            cells = head + ' t="inlineStr"><is><t>' + text + "</t></is></c>"
        columns[column] = cells.where(present, head + "/>")
    return header, columns


def _join_rows(row_parts: list[np.ndarray], left_parts: list[np.ndarray], xml_parts: list[np.ndarray],
               heights: dict[int, float]) -> str:
    """``<row>`` elements in row order, each with its cells in column order."""
    if not row_parts:
        return ""
    rows = np.concatenate(row_parts)
    lefts = np.concatenate(left_parts)
    texts = np.concatenate(xml_parts)
    order = np.lexsort((lefts, rows))
    rows, texts = rows[order], texts[order]
    unique, starts, counts = np.unique(rows, return_index=True, return_counts=True)
    if (counts == 1).all():
        joined = texts
    else:
        joined = np.empty(len(unique), dtype=object)
        single = counts == 1
        joined[single] = texts[starts[single]]
        for index in np.flatnonzero(~single):
            joined[index] = "".join(texts[starts[index]:starts[index] + counts[index]])
    numbers = pd.Series(unique.astype(str))
    attributes = pd.Series([f' ht="{heights[row]:g}" customHeight="1"' if row in heights else ""
                            for row in unique.tolist()] if heights else [""] * len(unique), dtype=object)
    return "".join(('<row r="' + numbers + '"' + attributes + ">" + pd.Series(joined) + "</row>").tolist())


@dataclass
class SheetParts:
    """The parts one generated sheet needs, by part name, and the relationships of its worksheet part."""

    sheet: bytes = b""
    rels: list[tuple[str, str, str]] = field(default_factory=list)  # (id, type, target relative to sheet)
    extra: dict[str, bytes] = field(default_factory=dict)  # tables, drawing, charts (absolute part names)
    content_types: dict[str, str] = field(default_factory=dict)  # absolute part name -> content type


TABLE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
REL_TABLE = f"{NS_REL}/table"
REL_DRAWING = f"{NS_REL}/drawing"
REL_CHART = f"{NS_REL}/chart"


def build_sheet(spec: SheetSpec, styles: StyleTable, *, prefix: str, table_ids: list[int],
                date1904: bool = False) -> SheetParts:
    """All parts of one generated sheet. ``prefix`` names its parts (``arxl3``); ``table_ids`` hands out ids;
    dates are written as serial numbers of the book's date system (``date1904``)."""
    epoch = EPOCHS[date1904]
    parts = SheetParts()
    free: dict[int, list[tuple[int, str]]] = {}
    positions = set(spec.cells)
    for (row, column), cell in spec.cells.items():
        style = styles.xf_index(spec.style(cell.style))
        free.setdefault(row, []).append((column, _cell_xml(row, column, cell, style, epoch)))
    block_rows: list[tuple[Block, dict[int, pd.Series]]] = []
    for block in spec.blocks:
        bottom, right = block.top + len(block.frame), block.left + len(block.frame.columns) - 1
        clashes = [(row, column) for row, column in positions
                   if block.top <= row <= bottom and block.left <= column <= right]
        if clashes:
            raise ValueError(f"sheet {spec.name!r}: cells {clashes[:3]} lie inside a block; "
                             "a cell is written once")
        header, columns = _block_rows(block, styles, spec, epoch)
        for row, cells in header.items():
            free.setdefault(row, []).extend(cells)
        block_rows.append((block, columns))

    # Every source of cells (each block's data rows, each free cell) as (row, left column, xml); a row fed by
    # one source is emitted as it is, rows fed by several are joined in column order.
    row_parts: list[np.ndarray] = []
    left_parts: list[np.ndarray] = []
    xml_parts: list[np.ndarray] = []
    max_row, max_column = 1, 1
    for block, columns in block_rows:
        count = len(block.frame)
        if not count:
            continue
        ordered = [columns[column] for column in sorted(columns)]
        merged = ordered[0]
        for series in ordered[1:]:
            merged = merged + series
        row_parts.append(np.arange(block.top + 1, block.top + 1 + count))
        left_parts.append(np.full(count, block.left))
        xml_parts.append(merged.to_numpy(dtype=object))
        max_row = max(max_row, block.top + count)
        max_column = max(max_column, block.left + len(block.frame.columns) - 1)
    for row, cells in free.items():
        for column, cell_xml in cells:
            row_parts.append(np.array([row]))
            left_parts.append(np.array([column]))
            xml_parts.append(np.array([cell_xml], dtype=object))
            max_row = max(max_row, row)
            max_column = max(max_column, column)
    beyond = beyond_sheet(max_row, max_column)
    if beyond is not None:
        raise ValueError(f"sheet {spec.name!r}: {beyond}; fit it first (arxl.render.limits.fit_to_excel)")
    rows_text = _join_rows(row_parts, left_parts, xml_parts, spec.heights)

    xml = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS_MAIN}" '
           f'xmlns:r="{NS_REL}">']
    sheet_pr = ""
    if spec.tab_color:
        sheet_pr += f'<tabColor rgb="FF{spec.tab_color}"/>'
    if spec.page is not None and not spec.page.scale:
        sheet_pr += '<pageSetUpPr fitToPage="1"/>'
    xml.append(f"<sheetPr>{sheet_pr}</sheetPr>" if sheet_pr else "")
    xml.append(f'<dimension ref="A1:{cell_reference(max_row, max_column)}"/>')
    gridlines = "" if spec.gridlines else ' showGridLines="0"'
    view = f'<sheetView workbookViewId="0"{gridlines}>'
    if spec.freeze is not None:
        row, column = spec.freeze
        attributes = []
        if column > 1:
            attributes.append(f'xSplit="{column - 1}"')
        if row > 1:
            attributes.append(f'ySplit="{row - 1}"')
        pane = "bottomRight" if row > 1 and column > 1 else ("bottomLeft" if row > 1 else "topRight")
        view += (f'<pane {" ".join(attributes)} topLeftCell="{cell_reference(row, column)}" activePane="{pane}" '
                 f'state="frozen"/><selection pane="{pane}" activeCell="{cell_reference(row, column)}" '
                 f'sqref="{cell_reference(row, column)}"/>')
    view += "</sheetView>"
    xml.append(f"<sheetViews>{view}</sheetViews>")
    xml.append('<sheetFormatPr defaultRowHeight="15"/>')
    if spec.widths:
        cols = "".join(f'<col min="{column}" max="{column}" width="{width:g}" customWidth="1"/>'
                       for column, width in sorted(spec.widths.items()))
        xml.append(f"<cols>{cols}</cols>")
    xml.append("<sheetData>" + rows_text + "</sheetData>")
    if spec.merges:
        xml.append(f'<mergeCells count="{len(spec.merges)}">'
                   + "".join(f'<mergeCell ref="{merge}"/>' for merge in spec.merges) + "</mergeCells>")
    for priority, rule in enumerate(spec.conditional, start=1):
        dxf = styles.dxf_index(rule.fill, rule.font)
        xml.append(f'<conditionalFormatting sqref="{rule.range}"><cfRule type="cellIs" dxfId="{dxf}" '
                   f'priority="{priority}" operator="greaterThan"><formula>{_number(rule.threshold)}</formula>'
                   "</cfRule></conditionalFormatting>")
    if spec.page is not None:
        page = spec.page
        xml.append('<printOptions horizontalCentered="1"/>')
        xml.append(f'<pageMargins left="{MARGIN_SIDE:g}" right="{MARGIN_SIDE:g}" top="{MARGIN_TOP:g}" '
                   f'bottom="{MARGIN_BOTTOM:g}" header="{MARGIN_HEADER:g}" footer="{MARGIN_HEADER:g}"/>')
        orientation = "landscape" if page.landscape else "portrait"
        paper = PAPERS[page.paper].code
        size = (f'scale="{page.scale}"' if page.scale
                else f'fitToWidth="{page.fit_width}" fitToHeight="{page.fit_height}"')
        xml.append(f'<pageSetup paperSize="{paper}" {size} orientation="{orientation}"/>')
        header = f"<oddHeader>{clean_text(page.header)}</oddHeader>" if page.header else ""
        footer = f"<oddFooter>{clean_text(page.footer)}</oddFooter>" if page.footer else ""
        if header or footer:
            xml.append(f"<headerFooter>{header}{footer}</headerFooter>")
        if page.row_breaks:
            breaks = "".join(f'<brk id="{row}" max="16383" man="1"/>' for row in page.row_breaks)
            xml.append(f'<rowBreaks count="{len(page.row_breaks)}" manualBreakCount="{len(page.row_breaks)}">'
                       f"{breaks}</rowBreaks>")
    relation = 0
    if spec.charts:
        relation += 1
        drawing_name = f"xl/drawings/{prefix}-drawing.xml"
        parts.rels.append((f"rId{relation}", REL_DRAWING, f"../drawings/{prefix}-drawing.xml"))
        xml.append(f'<drawing r:id="rId{relation}"/>')
        drawing, drawing_rels, charts = _drawing(spec.charts, prefix)
        parts.extra[drawing_name] = drawing
        parts.extra[f"xl/drawings/_rels/{prefix}-drawing.xml.rels"] = drawing_rels
        parts.content_types["/" + drawing_name] = DRAWING_TYPE
        for name, chart in charts.items():
            parts.extra[name] = chart
            parts.content_types["/" + name] = CHART_TYPE
    tables = [block for block in spec.blocks if block.table_name]
    if tables:
        table_rels = []
        for number, block in enumerate(tables, start=1):
            relation += 1
            table_id = table_ids.pop(0)
            name = f"xl/tables/{prefix}-table{number}.xml"
            parts.extra[name] = _table_xml(block, table_id)
            parts.content_types["/" + name] = TABLE_TYPE
            parts.rels.append((f"rId{relation}", REL_TABLE, f"../tables/{prefix}-table{number}.xml"))
            table_rels.append(f'<tablePart r:id="rId{relation}"/>')
        xml.append(f'<tableParts count="{len(tables)}">' + "".join(table_rels) + "</tableParts>")
    xml.append("</worksheet>")
    parts.sheet = "".join(xml).encode("utf-8")
    return parts


def _table_xml(block: Block, table_id: int) -> bytes:
    count = max(len(block.frame), 1)
    first = cell_reference(block.top, block.left)
    last = cell_reference(block.top + count, block.left + len(block.frame.columns) - 1)
    columns = "".join(f'<tableColumn id="{index}" name={quoteattr(_table_header(str(name)))}/>'
                      for index, name in enumerate(block.frame.columns, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<table xmlns="{NS_MAIN}" id="{table_id}" '
            f'name="{block.table_name}" displayName="{block.table_name}" ref="{first}:{last}" '
            f'headerRowCount="1"><autoFilter ref="{first}:{last}"/>'
            f'<tableColumns count="{len(block.frame.columns)}">{columns}</tableColumns>'
            '<tableStyleInfo name="TableStyleLight9" showFirstColumn="0" showLastColumn="0" showRowStripes="1" '
            'showColumnStripes="0"/></table>').encode()


def _table_header(name: str) -> str:
    return clean_text(name).replace("\n", " ")


# --- charts ---------------------------------------------------------------------------------------------------

NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"


def _drawing(charts: tuple[Chart, ...], prefix: str) -> tuple[bytes, bytes, dict[str, bytes]]:
    anchors, rels, parts = [], [], {}
    for number, chart in enumerate(charts, start=1):
        (top, left), (bottom, right) = chart.anchor_from, chart.anchor_to
        anchors.append(
            f"<xdr:twoCellAnchor><xdr:from><xdr:col>{left - 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{top - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>{right - 1}"
            f"</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{bottom - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff>"
            f'</xdr:to><xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{number + 1}" '
            f'name={quoteattr(chart.title)}/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm>'
            '<a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData '
            f'uri="{NS_C}"><c:chart xmlns:c="{NS_C}" r:id="rId{number}"/></a:graphicData></a:graphic>'
            "</xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>")
        rels.append(f'<Relationship Id="rId{number}" Type="{REL_CHART}" '
                    f'Target="../charts/{prefix}-chart{number}.xml"/>')
        parts[f"xl/charts/{prefix}-chart{number}.xml"] = _chart_xml(chart)
    drawing = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="{NS_XDR}" '
               f'xmlns:a="{NS_A}" xmlns:r="{NS_REL}">' + "".join(anchors) + "</xdr:wsDr>")
    relationships = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
                     '"http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(rels)
                     + "</Relationships>")
    return drawing.encode("utf-8"), relationships.encode("utf-8"), parts


def _series_xml(index: int, series, categories: str, line: bool) -> str:
    color = ""
    if series.color and line:
        color = (f'<c:spPr><a:ln w="28575"><a:solidFill><a:srgbClr val="{series.color}"/></a:solidFill>'
                 "</a:ln></c:spPr>")
    elif series.color:
        color = f'<c:spPr><a:solidFill><a:srgbClr val="{series.color}"/></a:solidFill></c:spPr>'
    marker = '<c:marker><c:symbol val="none"/></c:marker>' if line else ""
    smooth = '<c:smooth val="0"/>' if line else ""
    return (f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/><c:tx><c:v>{clean_text(series.name)}</c:v>'
            f"</c:tx>{color}{marker}<c:cat><c:strRef><c:f>{clean_text(categories)}</c:f></c:strRef></c:cat>"
            f"<c:val><c:numRef><c:f>{clean_text(series.values)}</c:f></c:numRef></c:val>{smooth}</c:ser>")


def _axis_title(text: str, *, vertical: bool) -> str:
    if not text:
        return ""
    rotation = '<a:bodyPr rot="-5400000" vert="horz"/>' if vertical else "<a:bodyPr/>"
    return (f"<c:title><c:tx><c:rich>{rotation}<a:p><a:pPr><a:defRPr sz=\"900\" b=\"0\"/></a:pPr><a:r>"
            f"<a:t>{clean_text(text)}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val=\"0\"/></c:title>")


def _axes(category_id: int, value_id: int, *, horizontal: bool, secondary: bool = False,
          category_title: str = "", value_title: str = "") -> str:
    """A category and a value axis. The secondary pair hides its category axis (it shares the primary one's)
    and shows its value axis on the right with its own title."""
    category_position, value_position = ("l", "b") if horizontal else ("b", "l")
    if secondary:
        value_position = "r"
    category_title_xml = "" if secondary else _axis_title(category_title, vertical=horizontal)
    return (f'<c:catAx><c:axId val="{category_id}"/><c:scaling><c:orientation val="'
            f'{"maxMin" if horizontal else "minMax"}"/></c:scaling><c:delete val="{1 if secondary else 0}"/>'
            f'<c:axPos val="{category_position}"/>{category_title_xml}'
            f'<c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="low"/>'
            f'<c:crossAx val="{value_id}"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
            f'<c:lblOffset val="100"/></c:catAx><c:valAx><c:axId val="{value_id}"/><c:scaling><c:orientation '
            f'val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="{value_position}"/>'
            f'{"" if secondary else "<c:majorGridlines/>"}{_axis_title(value_title, vertical=not horizontal)}'
            f'<c:numFmt formatCode="#,##0" sourceLinked="0"/><c:tickLblPos val="nextTo"/>'
            f'<c:crossAx val="{category_id}"/><c:crosses val="{"max" if secondary else "autoZero"}"/>'
            '<c:crossBetween val="between"/></c:valAx>')


def _chart_xml(chart: Chart) -> bytes:
    if chart.kind == "line":
        series = "".join(_series_xml(i, s, chart.categories, True) for i, s in enumerate(chart.series))
        plot = (f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{series}'
                '<c:marker val="1"/><c:axId val="10"/><c:axId val="20"/></c:lineChart>'
                + _axes(10, 20, horizontal=False, category_title=chart.category_title,
                        value_title=chart.value_title))
    else:
        horizontal = chart.kind.startswith("bar")
        grouping = "stacked" if chart.kind.endswith("stacked") else "clustered"
        overlap = '<c:overlap val="100"/>' if grouping == "stacked" else ""
        series = "".join(_series_xml(i, s, chart.categories, False) for i, s in enumerate(chart.series))
        plot = (f'<c:barChart><c:barDir val="{"bar" if horizontal else "col"}"/><c:grouping val="{grouping}"/>'
                f'<c:varyColors val="0"/>{series}<c:gapWidth val="60"/>{overlap}<c:axId val="10"/>'
                '<c:axId val="20"/></c:barChart>')
        if chart.secondary:
            offset = len(chart.series)
            lines = "".join(_series_xml(offset + i, s, chart.categories, True)
                            for i, s in enumerate(chart.secondary))
            plot += (f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{lines}'
                     '<c:marker val="1"/><c:axId val="30"/><c:axId val="40"/></c:lineChart>')
        plot += _axes(10, 20, horizontal=horizontal, category_title=chart.category_title,
                      value_title=chart.value_title)
        if chart.secondary:
            plot += _axes(30, 40, horizontal=False, secondary=True, value_title=chart.secondary_title)
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<c:chartSpace xmlns:c="{NS_C}" '
           f'xmlns:a="{NS_A}" xmlns:r="{NS_REL}"><c:roundedCorners val="0"/><c:chart><c:title><c:tx><c:rich>'
           f'<a:bodyPr/><a:p><a:pPr><a:defRPr sz="1200" b="1"/></a:pPr><a:r><a:t>{clean_text(chart.title)}'
           '</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
           f'<c:plotArea><c:layout/>{plot}</c:plotArea><c:legend><c:legendPos val="b"/><c:overlay val="0"/>'
           '</c:legend><c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>')
    return xml.encode("utf-8")
