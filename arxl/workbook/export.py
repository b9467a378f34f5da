"""Writing an ``arxl.render.exports.ExportTable`` as CSV, Parquet or a new .xlsx workbook (never the user's book).

Each file is written to a temporary file beside the target and moved into place, so a reader never sees half a
file. Formats (see ``arxl.render.exports`` for what the tables hold):

- CSV: UTF-8 without a byte-order mark, ``\\n`` line ends, a header row, fields quoted only when needed; money
  as plain decimals with the currency's digits (``1234.50``), dates ISO (``2026-06-30``), blanks empty; text
  starting with ``=``, ``+``, ``-``, ``@``, tab, CR or NUL gets a leading ``'`` (``arxl.render.plain.safe_text``).
- Parquet: text ``string``, dates ``date32``, money ``decimal128(38, s)`` in major units (``s``: the most minor
  digits among the file's currencies), whole numbers ``int64``; the key-value metadata says which export it is.
- .xlsx: one sheet named after the export, written with openpyxl's write-only mode; a bold header, frozen below
  it; dates as dates, money as numbers formatted with the currency's digits, text always as text (an inline
  string), so ``=HYPERLINK(...)`` or ``#N/A`` from the data never becomes a formula or an error value.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import WorkbookError
from ..money import exponent
from ..render.exports import ExportTable
from ..render.plain import safe_text

FORMATS: dict[str, str] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}


def write_export(table: ExportTable, path: str | Path) -> Path:
    """Write ``table`` to ``path`` in the format its suffix names; WorkbookError for an unknown suffix."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise WorkbookError(f"{path}: cannot export to a {path.suffix or 'suffix-less'} file "
                            "(expected .csv, .parquet or .xlsx)")
    writer: Callable[[ExportTable, Path], None] = {"csv": _write_csv, "parquet": _write_parquet,
                                                    "xlsx": _write_xlsx}[kind]
    temporary = path.with_name(f".{path.name}.arxl-{os.getpid()}.tmp")
    try:
        writer(table, temporary)
        os.replace(temporary, path)
    except OSError as exc:
        raise WorkbookError(f"{path}: could not be written ({exc.strerror or exc})") from exc
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
    return path


def _exponents(table: ExportTable) -> np.ndarray:
    currencies = table.frame["currency"].astype(str).to_numpy() if "currency" in table.frame.columns else \
        np.full(len(table.frame), "USD", dtype=object)
    codes, uniques = pd.factorize(currencies)
    lookup = np.array([exponent(str(code)) for code in uniques], dtype=np.int64)
    return lookup[codes] if len(codes) else np.zeros(0, dtype=np.int64)


def plain_decimals(minor: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """int64 minor units -> plain decimal text with each row's digits (``-123450, 2`` -> ``-1234.50``)."""
    minor = np.asarray(minor, dtype=np.int64)
    out = np.empty(len(minor), dtype=object)
    for digits in np.unique(exponents):
        rows = exponents == digits
        values = minor[rows]
        sign = np.where(values < 0, "-", "")
        magnitude = np.abs(values)
        if digits == 0:
            out[rows] = [f"{s}{m}" for s, m in zip(sign, magnitude.tolist(), strict=True)]
            continue
        scale = 10 ** int(digits)
        out[rows] = [f"{s}{m // scale}.{m % scale:0{digits}d}" for s, m in
                     zip(sign, magnitude.tolist(), strict=True)]
    return out


def _csv_columns(table: ExportTable) -> list[list[str]]:
    frame = table.frame
    exponents = _exponents(table)
    columns: list[list[str]] = []
    for name in frame.columns:
        values = frame[name]
        if name in table.money:
            columns.append(list(plain_decimals(values.to_numpy(dtype=np.int64), exponents)))
        elif name in table.dates:
            days = values.to_numpy(dtype="datetime64[D]")
            columns.append(["" if np.isnat(day) else str(day) for day in days])
        elif name in table.text:
            columns.append([safe_text(text) for text in values.astype(str).tolist()])
        else:
            columns.append(["" if pd.isna(value) else str(value) for value in values.tolist()])
    return columns


def _write_csv(table: ExportTable, path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(table.frame.columns))
    writer.writerows(zip(*_csv_columns(table), strict=True))
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def _write_parquet(table: ExportTable, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = table.frame
    exponents = _exponents(table)
    scale = int(exponents.max()) if len(exponents) else 2
    arrays, fields = [], []
    for name in frame.columns:
        values = frame[name]
        if name in table.money:
            decimals = [Decimal(int(minor)).scaleb(-int(digits)) for minor, digits in
                        zip(values.to_numpy(dtype=np.int64).tolist(), exponents.tolist(), strict=True)]
            kind = pa.decimal128(38, scale)
            arrays.append(pa.array(decimals, type=kind))
        elif name in table.dates:
            kind = pa.date32()
            arrays.append(pa.array(values.to_numpy(dtype="datetime64[D]"), type=kind, from_pandas=True))
        elif name in table.text:
            kind = pa.string()
            arrays.append(pa.array(values.astype(str).tolist(), type=kind))
        else:
            arrays.append(pa.array(values.to_numpy(), from_pandas=True))
            kind = arrays[-1].type
        fields.append(pa.field(str(name), kind))
    metadata = {b"arxl.export": table.name.encode(),
                b"arxl.money": f"decimal128(38, {scale}), major units".encode()}
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=metadata)), path)


def _write_xlsx(table: ExportTable, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.name[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    frame = table.frame
    header = []
    for name in frame.columns:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = bold
        cell.data_type = "s"
        header.append(cell)
    sheet.append(header)
    exponents = _exponents(table)
    formats = {digits: "#,##0" + ("." + "0" * digits if digits else "") for digits in range(5)}
    columns: list[list[object]] = []
    for name in frame.columns:
        values = frame[name]
        if name in table.money:
            minor = values.to_numpy(dtype=np.int64)
            cells: list[object] = []
            for amount, digits in zip(minor.tolist(), exponents.tolist(), strict=True):
                cell = WriteOnlyCell(sheet, value=amount / 10 ** digits)
                cell.number_format = formats.get(digits, "General")
                cells.append(cell)
            columns.append(cells)
        elif name in table.dates:
            days = values.to_numpy(dtype="datetime64[D]")
            columns.append([None if np.isnat(day) else day.astype(object) for day in days])
        elif name in table.text:
            cells = []
            for typed in values.astype(str).tolist():
                text = ILLEGAL_CHARACTERS_RE.sub("", typed)
                if text.startswith("=") or text in ERROR_CODES:  # would become a formula or an error value
                    cell = WriteOnlyCell(sheet, value=text)
                    cell.data_type = "s"
                    cells.append(cell)
                else:
                    cells.append(text or None)
            columns.append(cells)
        else:
            columns.append([None if pd.isna(value) else value for value in values.tolist()])
    for row in zip(*columns, strict=True):
        sheet.append(list(row))
    book.save(path)
