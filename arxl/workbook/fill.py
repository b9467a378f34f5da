"""Filling the input tables of an arxl-built workbook with many rows, writing the sheet XML directly.

openpyxl needs minutes and gigabytes for a million rows; here each column becomes XML with array operations and
the package is written once, the parts it does not fill copied as they are. Used by ``arxl demo`` on the
template that ``template.build_template`` just built, so the sheet XML is known to be openpyxl's: one
``<sheetData>``, one table part per input sheet.
Every cell keeps the style of the template's formatted first data row; text goes to the shared-string table, so
no text can ever become a formula.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .. import contract
from ..contract import Kind
from ..excel import column_letter
from .package import Package, read_sheet_entries, rels_path, resolve_target

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _table_part(package: Package, sheet_part: str) -> str:
    rels = package.text(rels_path(sheet_part)) or ""
    target = re.search(r'Target="([^"]*tables/[^"]+)"', rels)
    if target is None:
        raise ValueError(f"{sheet_part} has no table part")
    return resolve_target(sheet_part, target[1])


def _text_values(frame: pd.DataFrame, column: contract.Column) -> pd.Series:
    values = frame[column.name]
    if column.kind is Kind.DATE:
        return values
    return values.astype(object).where(values.notna(), "").astype(str)


def _cells(letter: str, rows: pd.Series, values: pd.Series, column: contract.Column, style: str,
           strings: dict[str, int] | pd.Series) -> pd.Series:
    """One column's ``<c>`` elements (or "" where the cell is empty)."""
    head = f'<c r="{letter}' + rows
    if column.kind is Kind.DATE:
        dates = values.to_numpy(dtype="datetime64[s]").astype("datetime64[D]")
        present = ~np.isnat(dates)
        serial = pd.Series((dates - _EXCEL_EPOCH).astype(np.int64).astype(str), index=values.index)
        cells = head + f'" s="{style}"><v>' + serial + "</v></c>"
    elif column.kind in (Kind.MONEY, Kind.NUMBER, Kind.INTEGER):
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        present = np.isfinite(numbers)
        text = pd.Series(np.where(present, numbers, 0.0), index=values.index).map(repr)
        text = text.str.removesuffix(".0")
        cells = head + f'" s="{style}"><v>' + text + "</v></c>"
    else:
        text = values
        present = (text != "").to_numpy()
        codes = text.map(strings).fillna(0).astype("int64").astype(str)
        cells = head + f'" s="{style}" t="s"><v>' + codes + "</v></c>"
    return cells.where(present, "")


def fill_tables(template: str | Path, output: str | Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Write ``output``: ``template`` with each named input table holding the rows of ``frames[name]``.

    Frames carry the contract's column names with values as a user types them: text, ``datetime64`` dates,
    float amounts in major units, NaN/NaT/"" for blanks.
    """
    template, output = Path(template), Path(output)
    package = Package(template)
    try:
        temporary = _fill(package, output, frames)
    finally:
        package.close()
    temporary.replace(output)
    return output


def _fill(package: Package, output: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Write the filled package beside ``output``; return where."""
    workbook, rels = package.text("xl/workbook.xml") or "", package.text("xl/_rels/workbook.xml.rels") or ""
    sheet_parts = {entry.name: entry.part for entry in read_sheet_entries(workbook, rels)}
    table_parts = {name: _table_part(package, sheet_parts[name]) for name in frames}

    all_text = [_text_values(frames[name], column)
                for name in frames for column in contract.TABLES_BY_NAME[name].columns
                if column.kind is not Kind.DATE and column.kind not in (Kind.MONEY, Kind.NUMBER, Kind.INTEGER)]
    pooled = pd.concat(all_text, ignore_index=True) if all_text else pd.Series([], dtype=str)
    unique = pd.unique(pooled[pooled != ""])
    strings = pd.Series(np.arange(len(unique)), index=unique)

    for name, frame in frames.items():
        spec = contract.TABLES_BY_NAME[name]
        sheet_part = sheet_parts[name]
        xml = package.text(sheet_part) or ""
        styles = dict(re.findall(r'<c r="([A-Z]+)2"[^>]*? s="(\d+)"', xml))
        styles.update(dict(re.findall(r'<c r="([A-Z]+)2" s="(\d+)"', xml)))
        header = re.search(r"<row r=\"1\".*?</row>", xml, re.S)
        if header is None:
            raise ValueError(f"{sheet_part}: no header row")
        letters = [column_letter(number) for number in range(1, len(spec.columns) + 1)]
        count = len(frame)
        if count == 0:
            continue
        row_numbers = pd.Series(np.arange(2, count + 2).astype(str))
        rows = frame.reset_index(drop=True)
        body = '<row r="' + row_numbers + '">'
        for letter, column in zip(letters, spec.columns, strict=True):
            values = _text_values(rows, column)
            body = body + _cells(letter, row_numbers, values, column, styles.get(letter, "0"), strings)
        body = body + "</row>"
        sheet_data = "<sheetData>" + header.group(0) + "".join(body.tolist()) + "</sheetData>"
        last = f"{letters[-1]}{count + 1}"
        xml = re.sub(r"<sheetData>.*</sheetData>|<sheetData\s*/>", lambda _m, data=sheet_data: data, xml, count=1,
                     flags=re.S)
        xml = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:{last}"', xml, count=1)
        package.set(sheet_part, xml)
        table_xml = package.text(table_parts[name]) or ""
        package.set(table_parts[name], re.sub(r'ref="A1:[A-Z]+\d+"', f'ref="A1:{last}"', table_xml))

    package.set("xl/sharedStrings.xml", _shared_strings(unique))
    types = package.text("[Content_Types].xml") or ""
    if "/xl/sharedStrings.xml" not in types:
        package.set("[Content_Types].xml", types.replace(
            "</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}"/></Types>'))
    rels = package.text("xl/_rels/workbook.xml.rels") or ""
    if "sharedStrings.xml" not in rels:
        package.set("xl/_rels/workbook.xml.rels", rels.replace(
            "</Relationships>", f'<Relationship Id="rIdArxlSst" Type="{_SST_REL}" Target="sharedStrings.xml"/>'
                                "</Relationships>"))
    temporary = output.with_name(output.name + ".arxl-tmp")
    package.write(temporary)
    return temporary


def _shared_strings(unique: np.ndarray) -> bytes:
    texts = pd.Series(unique, dtype=object).map(lambda text: escape(str(text)))
    preserve = pd.Series(unique, dtype=object).map(lambda text: text != text.strip() or "\n" in text)
    items = ("<si><t" + preserve.map({True: ' xml:space="preserve"', False: ""}) + ">" + texts + "</t></si>")
    count = len(unique)
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{count}" uniqueCount="{count}">')
    return (head + "".join(items.tolist()) + "</sst>").encode()
