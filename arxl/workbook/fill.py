"""Filling the input tables of an arxl-built workbook with many rows, writing the sheet XML directly.

openpyxl needs minutes and gigabytes for a million rows; here each column becomes XML with array operations and
the package is written once. Used by ``arxl demo`` on the template that ``template.build_template`` just built,
so the sheet XML is known to be openpyxl's: one ``<sheetData>``, one table part per input sheet.
Every cell keeps the style of the template's formatted first data row; text goes to the shared-string table, so
no text can ever become a formula.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .. import contract
from ..contract import Kind

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name, number = "", index
        while number:
            number, remainder = divmod(number - 1, 26)
            name = chr(65 + remainder) + name
        letters.append(name)
    return letters


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name (``xl/worksheets/sheet3.xml``)."""
    workbook = archive.read("xl/workbook.xml").decode()
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
    targets.update({rid: target for target, rid in
                    re.findall(r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    parts = {}
    for name, rid in re.findall(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', workbook):
        target = targets[rid]
        parts[name] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _table_part(archive: zipfile.ZipFile, sheet_part: str) -> str:
    path = PurePosixPath(sheet_part)
    rels = archive.read(str(path.parent / "_rels" / (path.name + ".rels"))).decode()
    target = re.search(r'Target="([^"]*tables/[^"]+)"', rels)
    if target is None:
        raise ValueError(f"{sheet_part} has no table part")
    if target[1].startswith("/"):
        return target[1].lstrip("/")
    return "/".join(_normalise((path.parent / target[1]).parts))


def _normalise(parts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part == "..":
            out.pop()
        elif part != ".":
            out.append(part)
    return out


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
    with zipfile.ZipFile(template) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
        sheet_parts = _sheet_parts(archive)
        table_parts = {name: _table_part(archive, sheet_parts[name]) for name in frames}

    all_text = [_text_values(frames[name], column)
                for name in frames for column in contract.TABLES_BY_NAME[name].columns
                if column.kind is not Kind.DATE and column.kind not in (Kind.MONEY, Kind.NUMBER, Kind.INTEGER)]
    pooled = pd.concat(all_text, ignore_index=True) if all_text else pd.Series([], dtype=str)
    unique = pd.unique(pooled[pooled != ""])
    strings = pd.Series(np.arange(len(unique)), index=unique)

    for name, frame in frames.items():
        spec = contract.TABLES_BY_NAME[name]
        sheet_part = sheet_parts[name]
        xml = parts[sheet_part].decode()
        styles = dict(re.findall(r'<c r="([A-Z]+)2"[^>]*? s="(\d+)"', xml))
        styles.update(dict(re.findall(r'<c r="([A-Z]+)2" s="(\d+)"', xml)))
        header = re.search(r"<row r=\"1\".*?</row>", xml, re.S)
        if header is None:
            raise ValueError(f"{sheet_part}: no header row")
        letters = column_letters(len(spec.columns))
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
        parts[sheet_part] = xml.encode()
        table_xml = parts[table_parts[name]].decode()
        table_xml = re.sub(r'ref="A1:[A-Z]+\d+"', f'ref="A1:{last}"', table_xml)
        parts[table_parts[name]] = table_xml.encode()

    parts["xl/sharedStrings.xml"] = _shared_strings(unique)
    types = parts["[Content_Types].xml"].decode()
    if "/xl/sharedStrings.xml" not in types:
        types = types.replace("</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}"/>'
                                          "</Types>")
        parts["[Content_Types].xml"] = types.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    if "sharedStrings.xml" not in rels:
        rels = rels.replace("</Relationships>", f'<Relationship Id="rIdArxlSst" Type="{_SST_REL}" '
                                                'Target="sharedStrings.xml"/></Relationships>')
        parts["xl/_rels/workbook.xml.rels"] = rels.encode()

    temporary = output.with_name(output.name + ".arxl-tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    temporary.replace(output)
    return output


def _shared_strings(unique: np.ndarray) -> bytes:
    texts = pd.Series(unique, dtype=object).map(lambda text: escape(str(text)))
    preserve = pd.Series(unique, dtype=object).map(lambda text: text != text.strip() or "\n" in text)
    items = ("<si><t" + preserve.map({True: ' xml:space="preserve"', False: ""}) + ">" + texts + "</t></si>")
    count = len(unique)
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{count}" uniqueCount="{count}">')
    return (head + "".join(items.tolist()) + "</sst>").encode()
