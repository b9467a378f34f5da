"""Reading another system's export (CSV, an .xlsx sheet, Parquet) into plain rows of cells, for ``arxl import``.

Nothing is interpreted here beyond what the file format itself says: CSV cells are text exactly as written
(``00123`` and ``NA`` stay what they are; no "NA means missing" guessing), .xlsx cells are what python-calamine
reads (text, numbers, dates), Parquet cells are the column's values (nulls become ``""``). Every row keeps its
number in the file (CSV: the physical line it starts on; .xlsx: the Excel row; Parquet: the record number, 1 for
the first record) so that problems can point at it.

CSV decoding, unless the caller names an encoding: a UTF-8 byte-order mark means utf-8-sig, a UTF-16 mark
utf-16; otherwise strict UTF-8, and failing that cp1252 (what Excel's "CSV" save uses on Western Windows), and
failing that latin-1. The delimiter, unless given: an Excel ``sep=;`` first line wins; otherwise each of
csv.Sniffer's guess, ``,``, ``;``, tab and ``|`` is tried on the first lines and the first that shows the header
the caller looks for is taken (Sniffer alone prefers ``,`` when a ``;`` file has decimal commas).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import WorkbookError

HeaderProbe = Callable[[Sequence[Sequence[object]]], bool]
"""Told the first rows of a candidate reading, says whether the header the import needs is among them."""

PROBE_ROWS = 30
DELIMITERS = (",", ";", "\t", "|")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class SourceRows:
    """A foreign file's cells, row by row, with where each row sits.

    Attributes:
        name: the file name, for messages (``invoices.csv``).
        unit: what ``numbers`` count: ``line`` (CSV), ``row`` (.xlsx, Parquet).
        rows: every row read, header candidates included (lists of cells).
        numbers: the line or row number of each row.
        sheet: the .xlsx sheet read ("" otherwise).
        encoding: the CSV encoding used ("" otherwise).
        delimiter: the CSV delimiter used ("" otherwise).
    """

    name: str
    unit: str
    rows: list[list[object]]
    numbers: list[int]
    sheet: str = ""
    encoding: str = ""
    delimiter: str = ""


def read_source(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None,
                sheet: str | None = None, probe: HeaderProbe | None = None) -> SourceRows:
    """Read ``path`` by its suffix (.csv/.txt/.tsv, .xlsx/.xlsm, .parquet); WorkbookError if it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    if path.is_dir():
        raise WorkbookError(f"{path}: is a folder, not a file to import")
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, sheet, probe)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix in CSV_SUFFIXES or suffix == "":
        return _read_csv(path, encoding, delimiter, probe)
    raise WorkbookError(f"{path}: cannot import a {suffix} file (expected .csv, .xlsx or .parquet)")


# --- CSV ------------------------------------------------------------------------------------------------------

def detect_encoding(raw: bytes) -> str:
    """The encoding of a CSV export (see the module docstring)."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = raw[:4096]
    if sample and sample.count(0) * 4 > len(sample):  # UTF-16 without a mark: every other byte is zero
        return "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            raw.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1"
        return "cp1252"
    return "utf-8"


def _decode(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    chosen = encoding or detect_encoding(raw)
    try:
        text = raw.decode(chosen)
    except LookupError as exc:
        raise WorkbookError(f"{path}: {chosen!r} is not an encoding Python knows") from exc
    except UnicodeDecodeError as exc:
        raise WorkbookError(f"{path}: cannot be read as {chosen} ({exc.reason} at byte {exc.start}); "
                            "try another --encoding") from exc
    if "\x00" in text:
        raise WorkbookError(f"{path}: holds NUL characters, so it is not a text (CSV) file as {chosen}")
    return text.removeprefix("\ufeff"), chosen


def _parse(text: str, delimiter: str, limit: int | None = None) -> tuple[list[list[object]], list[int]]:
    """Rows and the line each starts on; blank lines are left out (their numbers are skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[object]] = []
    numbers: list[int] = []
    previous = 0
    try:
        for row in reader:
            if row:
                rows.append(row)  # type: ignore[arg-type]
                numbers.append(previous + 1)
            previous = reader.line_num
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        raise WorkbookError(f"line {reader.line_num}: {exc}") from exc
    return rows, numbers


def _read_csv(path: Path, encoding: str | None, delimiter: str | None, probe: HeaderProbe | None) -> SourceRows:
    text, chosen = _decode(path, path.read_bytes(), encoding)
    skip_first = False
    first_line = text.split("\n", 1)[0].strip()
    if first_line.lower().startswith("sep=") and len(first_line) == 5:  # Excel's delimiter hint line
        delimiter = delimiter or first_line[4]
        skip_first = True
    if delimiter is None:
        delimiter = _choose_delimiter(text, probe)
    if len(delimiter) != 1:
        raise WorkbookError(f"{path}: the delimiter must be one character, not {delimiter!r}")
    try:
        rows, numbers = _parse(text, delimiter)
    except WorkbookError as exc:
        raise WorkbookError(f"{path}: {exc}") from exc
    if skip_first and rows:
        rows, numbers = rows[1:], numbers[1:]
    return SourceRows(path.name, "line", rows, numbers, encoding=chosen, delimiter=delimiter)


def _choose_delimiter(text: str, probe: HeaderProbe | None) -> str:
    sample = text[:65536]
    candidates = list(DELIMITERS)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
        candidates.insert(0, sniffed)
    except csv.Error:
        pass
    widest, widest_count = candidates[0], 0
    for candidate in dict.fromkeys(candidates):
        try:
            rows, _numbers = _parse(sample, candidate, PROBE_ROWS)
        except WorkbookError:
            continue
        if probe is not None and probe(rows):
            return candidate
        count = max((len(row) for row in rows), default=0)
        if count > widest_count:
            widest, widest_count = candidate, count
    return widest


# --- .xlsx ----------------------------------------------------------------------------------------------------

def _read_xlsx(path: Path, sheet: str | None, probe: HeaderProbe | None) -> SourceRows:
    import python_calamine as calamine

    from .package import inspect_package

    info = inspect_package(path)
    try:
        book = calamine.CalamineWorkbook.from_path(str(info.path))
    except Exception as exc:  # calamine raises its own exception types for damaged parts
        raise WorkbookError(f"{path}: cannot be read as a workbook ({exc})") from exc
    try:
        names = list(book.sheet_names)
        if sheet is not None:
            wanted = {name.casefold(): name for name in names}.get(sheet.casefold())
            if wanted is None:
                raise WorkbookError(f"{path}: has no sheet named {sheet!r} (it has {', '.join(names)})")
            names = [wanted]
        chosen_rows: list[list[object]] | None = None
        chosen = names[0] if names else ""
        for name in names:
            rows = [list(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]
            if chosen_rows is None:
                chosen_rows, chosen = rows, name
            if probe is None or probe(rows[:PROBE_ROWS]):
                chosen_rows, chosen = rows, name
                break
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(f"{path}: cannot be read as a workbook ({exc})") from exc
    finally:
        book.close()
    rows = chosen_rows or []
    return SourceRows(path.name, "row", rows, list(range(1, len(rows) + 1)), sheet=chosen)


# --- Parquet --------------------------------------------------------------------------------------------------

def _read_parquet(path: Path) -> SourceRows:
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for a damaged or foreign file
        raise WorkbookError(f"{path}: cannot be read as Parquet ({exc})") from exc
    values = frame.astype(object)
    values = values.where(values.notna(), "")
    header: list[object] = [str(column) for column in frame.columns]
    rows = [header, *values.to_numpy(dtype=object).tolist()]
    return SourceRows(path.name, "row", rows, list(range(len(rows))))
