"""What arxl knows about the sheets it generates: which they are, what it wrote on them, and what changed since.

**Identity travels with the sheet.** Every generated sheet carries a marker: a hidden sheet-scoped defined name
``_arxl_sheet`` whose value is the text ``arxl:<key>`` (``arxl:aging``, ``arxl:statement:C0001``). Excel and
LibreOffice keep sheet-scoped names through saves and move them with a renamed or moved sheet, and a sheet the
user creates never has one, so a refresh writes only where it finds its own marker: a renamed ``Aging`` is
followed under its new name, and a user's own sheet called ``Aging`` is never touched (arxl then writes its
report under a free name and says so). A copy of a generated sheet (Excel's "Move or Copy", which copies
sheet-scoped names) carries the same key: the sheet whose name arxl recorded last time keeps it, the copy becomes
the user's own (its marker is dropped). Keys are a kind (``dashboard``, ``aging``...) or ``statement:`` and the
customer id, so each customer keeps the same statement sheet, and its name, across refreshes.

**What was written** is recorded on arxl's state sheet (``arxl_state``, very hidden, itself marked
``arxl:state``): one ``SheetRecord`` per generated sheet, with the name it was written under, the checksum and
size of its part in a file (so an untouched sheet is recognised without reading it), the columns a user is
meant to type into (``entry_columns``: the Collections sheet's outcome and notes, Cash application's Accept),
and a ``SheetDigest`` of its content. The state sheet holds text only (a JSON line and base64 chunks of at most
32,000 characters a cell), which every program that opens the book keeps.

**An edit is a change of content**: a value typed, changed or cleared, a formula replaced by a value, a cell
filled where arxl wrote nothing. Formatting is not content (a refresh redoes it). Content is compared through
digests, cell by cell in the same canonical form whichever way it was read (the spec arxl wrote, cell values
read back from a file, or from a live Excel book): numbers (dates as their serial number) to the cent, or to 9
significant digits when they are not whole cents (``canonical_numbers``), so that a program writing 15 instead of
17 digits does not look like an edit; text by
its CRC-32; TRUE/FALSE; error values by their text; a formula as "a formula" (programs spell formulas
differently, and its cached value changes with the data). A digest keeps one 32-bit hash per row and per
column, so the first changed cell can be named: the first row whose hash differs, in the first column whose hash
differs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .excel import MAX_SHEET_NAME, cell_reference, cut_text, legal_sheet_base, quoted
from .render.spec import Block, Cell, SheetSpec

MARKER_NAME = "_arxl_sheet"
"""The sheet-scoped defined name that marks a generated sheet."""
MARKER_PREFIX = "arxl:"
STATE_KEY = "state"
STATE_SHEET = "arxl_state"
STATEMENT_KEY = "statement:"
ACTIVITY_KEY = "activity:"
"""Keys of the open-item (``ST``) and activity (``AS``) statement sheets: the prefix and the customer id."""
LEGACY_KEY = "legacy:"
"""Key of a sheet a book written by an older arxl lists by name only (adopted by the spec of the same name)."""
CHUNK = 32_000
"""Characters of state per cell (Excel's limit is 32,767)."""
STATE_VERSION = 1

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_KIND_NUMBER, _KIND_TEXT, _KIND_BOOL, _KIND_ERROR, _KIND_FORMULA = (np.uint64(k) for k in (1, 2, 3, 4, 5))
_FORMULA_HASH = np.uint64(0x5F0E1A)


def marker_text(key: str) -> str:
    """The marker's value for ``key``: ``arxl:aging``."""
    return MARKER_PREFIX + key


def marker_key(text: str) -> str | None:
    """The key of a marker's value (the text itself, or a formula string constant ``="arxl:aging"``), or None."""
    value = text.strip().removeprefix("=").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('""', '"')
    return value[len(MARKER_PREFIX):] if value.startswith(MARKER_PREFIX) else None


def statement_key(customer_id: str) -> str:
    return STATEMENT_KEY + customer_id


def activity_key(customer_id: str) -> str:
    return ACTIVITY_KEY + customer_id


def spec_key(spec: SheetSpec) -> str:
    """The spec's identity: its ``key``, else its name folded (new kinds of sheet need no code here)."""
    return spec.key or spec.name.casefold()


def key_matches(key: str, patterns: Iterable[str]) -> bool:
    """Whether ``key`` is one of ``patterns``; a pattern ending in ``:`` stands for every key it starts."""
    return any(key == pattern or (pattern.endswith(":") and key.startswith(pattern)) for pattern in patterns)


# --- digests ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SheetDigest:
    """A sheet's content as hashes: ``rows``/``row_hashes`` for each row holding a cell, ``columns``/
    ``column_hashes`` for each such column (uint32, ascending row and column numbers)."""

    rows: np.ndarray
    row_hashes: np.ndarray
    columns: np.ndarray
    column_hashes: np.ndarray

    def same_as(self, other: SheetDigest) -> bool:
        return (np.array_equal(self.rows, other.rows) and np.array_equal(self.row_hashes, other.row_hashes)
                and np.array_equal(self.columns, other.columns)
                and np.array_equal(self.column_hashes, other.column_hashes))

    def to_bytes(self) -> bytes:
        parts = [np.asarray(part, dtype="<u4").tobytes()
                 for part in (self.rows, self.row_hashes, self.columns, self.column_hashes)]
        header = np.array([len(self.rows), len(self.columns)], dtype="<u4").tobytes()
        return zlib.compress(header + b"".join(parts), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> SheetDigest:
        raw = zlib.decompress(data)
        rows, columns = np.frombuffer(raw[:8], dtype="<u4")
        body = np.frombuffer(raw[8:], dtype="<u4").astype(np.uint32)
        if len(body) != 2 * (int(rows) + int(columns)):
            raise ValueError("a digest of the wrong length")
        first, second, third = int(rows), 2 * int(rows), 2 * int(rows) + int(columns)
        return cls(body[:first], body[first:second], body[second:third], body[third:])


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the whole 64-bit hash (uint64 arithmetic wraps)."""
    with np.errstate(over="ignore"):
        values = values.astype(np.uint64)
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return values ^ (values >> np.uint64(31))


SIGNIFICANT_DIGITS = 9
"""Digits of a number that is not a whole number of cents (a share, a ratio) that a digest looks at."""


def canonical_numbers(numbers: np.ndarray) -> np.ndarray:
    """Numbers as any program that saves the book gives them back: Excel writes 17 significant digits,
    LibreOffice 15 (rounded from its own 17-digit text). Whole cents are kept to the cent; other values are
    rounded to 9 significant digits. The two spellings of a value differ by about 1e-15 of it, so they land
    on either side of a rounding boundary about once in 10^6 values, while any edit a person makes changes far
    more than the 9th digit."""
    numbers = np.asarray(numbers, dtype=np.float64) + 0.0  # -0.0 -> 0.0
    cents = numbers * 100.0
    whole_cents = (np.abs(cents - np.round(cents)) < 1e-6) & (np.abs(numbers) < 1e13)
    out = np.round(cents) / 100.0
    rest = ~whole_cents & np.isfinite(numbers) & (numbers != 0)
    if rest.any():
        values = numbers[rest]
        scale = 10.0 ** (SIGNIFICANT_DIGITS - 1 - np.floor(np.log10(np.abs(values))))
        out[rest] = np.round(values * scale) / scale
    return out + 0.0


def number_hashes(numbers: np.ndarray) -> np.ndarray:
    """The canonical hash of numbers (``canonical_numbers``'s float64 bits)."""
    return _mix(canonical_numbers(numbers).view(np.uint64) ^ (_KIND_NUMBER << np.uint64(56)))


def text_hashes(texts: Sequence[str]) -> np.ndarray:
    crcs = np.fromiter((zlib.crc32(text.encode("utf-8", "surrogatepass")) for text in texts), dtype=np.uint64,
                       count=len(texts))
    return _mix(crcs ^ (_KIND_TEXT << np.uint64(56)))


def _serials(days: np.ndarray) -> np.ndarray:
    return (days.astype("datetime64[D]") - _EXCEL_EPOCH).astype(np.float64)


@dataclass
class _Cells:
    """Canonical cells being collected: positions and hashes, in any order."""

    rows: list[np.ndarray] = field(default_factory=list)
    columns: list[np.ndarray] = field(default_factory=list)
    hashes: list[np.ndarray] = field(default_factory=list)

    def add(self, rows: np.ndarray, column: int | np.ndarray, hashes: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.rows.append(rows)
        self.columns.append(np.broadcast_to(np.asarray(column, dtype=np.int64), rows.shape))
        self.hashes.append(np.asarray(hashes, dtype=np.uint64))

    def digest(self, skip_columns: Iterable[int] = ()) -> SheetDigest:
        if not self.rows:
            empty = np.zeros(0, dtype=np.uint32)
            return SheetDigest(empty, empty, empty, empty)
        rows, columns, hashes = (np.concatenate(part) for part in (self.rows, self.columns, self.hashes))
        keep = ~np.isin(columns, np.asarray(list(skip_columns), dtype=np.int64))
        rows, columns, hashes = rows[keep], columns[keep], hashes[keep]
        with np.errstate(over="ignore"):
            by_row = _mix(hashes ^ (columns.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))
            by_column = _mix(hashes ^ (rows.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)))
        row_numbers, row_hashes = _sums(rows, by_row)
        column_numbers, column_hashes = _sums(columns, by_column)
        return SheetDigest(row_numbers, row_hashes, column_numbers, column_hashes)


def _sums(keys: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct key (ascending), the wrapping sum of its hashes folded to 32 bits."""
    if not len(keys):
        empty = np.zeros(0, dtype=np.uint32)
        return empty, empty
    order = np.argsort(keys, kind="stable")
    keys, hashes = keys[order], hashes[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    with np.errstate(over="ignore"):
        sums = np.add.reduceat(hashes, starts).astype(np.uint64)
    folded = (sums ^ (sums >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return keys[starts].astype(np.uint32), folded.astype(np.uint32)


def _value_hashes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(present mask, hashes) of a column of cell values as Python objects: what a cell reader hands over
    (str, float, int, bool, date, datetime, Decimal, None; error values as their ``#...`` text)."""
    count = len(values)
    hashes = np.zeros(count, dtype=np.uint64)
    present = np.zeros(count, dtype=bool)
    numbers: list[int] = []
    number_values: list[float] = []
    texts: list[int] = []
    text_values: list[str] = []
    flags: list[int] = []
    flag_values: list[bool] = []
    for index, value in enumerate(values.tolist()):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            texts.append(index)
            text_values.append(value)
        elif isinstance(value, bool | np.bool_):
            flags.append(index)
            flag_values.append(bool(value))
        elif isinstance(value, dt.datetime | pd.Timestamp):
            numbers.append(index)
            number_values.append(_datetime_serial(value))
        elif isinstance(value, dt.date):
            numbers.append(index)
            number_values.append(float((value - dt.date(1899, 12, 30)).days))
        elif isinstance(value, dt.time):
            numbers.append(index)
            number_values.append((value.hour * 3600 + value.minute * 60 + value.second) / 86400)
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                texts.append(index)
                text_values.append(str(value))
                continue
            if np.isnan(number):
                continue
            numbers.append(index)
            number_values.append(number)
    if numbers:
        hashes[numbers] = number_hashes(np.array(number_values, dtype=np.float64))
    if texts:
        hashes[texts] = text_hashes(text_values)
    if flags:
        hashes[flags] = _mix(np.array(flag_values, dtype=np.uint64) ^ (_KIND_BOOL << np.uint64(56)))
    present[numbers + texts + flags] = True
    return present, hashes


def _datetime_serial(value: dt.datetime | pd.Timestamp) -> float:
    midnight = dt.datetime(value.year, value.month, value.day)
    days = (midnight.date() - dt.date(1899, 12, 30)).days
    seconds = (dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second)
               - midnight).total_seconds()
    return days + seconds / 86400


def digest_values(rows: Sequence[Sequence[object]], *, first_row: int = 1, first_column: int = 1,
                  formulas: Iterable[tuple[int, int]] = (), skip_columns: Iterable[int] = ()) -> SheetDigest:
    """The digest of cell values read back from a sheet: ``rows`` from (``first_row``, ``first_column``),
    and the (row, column) of every formula cell (whatever value it shows)."""
    cells = _Cells()
    formula_cells = set(formulas)
    width = max((len(row) for row in rows), default=0)
    if rows and width:
        grid = np.empty((len(rows), width), dtype=object)
        for index, row in enumerate(rows):
            grid[index, :len(row)] = list(row)
        row_numbers = np.arange(first_row, first_row + len(rows), dtype=np.int64)
        for offset in range(width):
            present, hashes = _value_hashes(grid[:, offset])
            column = first_column + offset
            if formula_cells:
                is_formula = np.array([(int(row), column) in formula_cells for row in row_numbers], dtype=bool)
                present &= ~is_formula
            cells.add(row_numbers[present], column, hashes[present])
    if formula_cells:
        positions = np.array(sorted(formula_cells), dtype=np.int64).reshape(-1, 2)
        cells.add(positions[:, 0], positions[:, 1], np.full(len(positions), _formula_hash()))
    return cells.digest(skip_columns)


def _formula_hash() -> np.uint64:
    return _mix(np.array([_FORMULA_HASH ^ (_KIND_FORMULA << np.uint64(56))], dtype=np.uint64))[0]


def digest_spec(spec: SheetSpec) -> SheetDigest:
    """The digest of what writing ``spec`` puts on a sheet (the column-wise twin of ``digest_values``)."""
    cells = _Cells()
    formula_rows: list[int] = []
    formula_columns: list[int] = []
    free_positions: list[tuple[int, int]] = []
    free_values: list[object] = []
    for (row, column), cell in spec.cells.items():
        if cell.formula:
            formula_rows.append(row)
            formula_columns.append(column)
        else:
            free_positions.append((row, column))
            free_values.append(cell.value)
    if free_positions:
        values = np.empty(len(free_values), dtype=object)
        values[:] = free_values
        present, hashes = _value_hashes(values)
        positions = np.array(free_positions, dtype=np.int64)
        cells.add(positions[present, 0], positions[present, 1], hashes[present])
    if formula_rows:
        cells.add(np.array(formula_rows), np.array(formula_columns), np.full(len(formula_rows), _formula_hash()))
    for block in spec.blocks:
        _block_cells(cells, block)
    return cells.digest(spec.entry_columns)


def _block_cells(cells: _Cells, block: Block) -> None:
    """A block's cells as the sheet writer lays them out: its header row, then one row per frame row."""
    headers = [str(name) for name in block.frame.columns]
    header_present = np.array([bool(name) for name in headers], dtype=bool)
    columns = np.arange(block.left, block.left + len(headers), dtype=np.int64)
    cells.add(np.full(int(header_present.sum()), block.top), columns[header_present],
              text_hashes([name for name in headers if name]))
    count = len(block.frame)
    if not count:
        return
    rows = np.arange(block.top + 1, block.top + 1 + count, dtype=np.int64)
    for offset, name in enumerate(block.frame.columns):
        values = block.frame[name].reset_index(drop=True)
        column = block.left + offset
        if pd.api.types.is_datetime64_any_dtype(values):
            days = values.to_numpy(dtype="datetime64[s]").astype("datetime64[D]")
            present = ~np.isnat(days)
            cells.add(rows[present], column, number_hashes(_serials(days[present])))
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
            present = np.isfinite(numbers)
            cells.add(rows[present], column, number_hashes(numbers[present]))
        else:
            strings = values.astype(object).where(values.notna(), "").astype(str).to_numpy(dtype=object)
            present = strings != ""
            cells.add(rows[present], column, text_hashes(strings[present].tolist()))


@dataclass(frozen=True)
class Change:
    """Where a generated sheet first differs from what arxl wrote: row and column (1-based)."""

    row: int
    column: int
    rows_changed: int

    @property
    def cell(self) -> str:
        return cell_reference(self.row, self.column)


def first_change(written: SheetDigest, current: SheetDigest) -> Change | None:
    """The first cell where ``current`` differs from ``written`` (None when the content is the same)."""
    if written.same_as(current):
        return None
    changed_rows = _changed(written.rows, written.row_hashes, current.rows, current.row_hashes)
    changed_columns = _changed(written.columns, written.column_hashes, current.columns, current.column_hashes)
    row = int(changed_rows[0]) if len(changed_rows) else 1
    column = int(changed_columns[0]) if len(changed_columns) else 1
    return Change(row, column, len(changed_rows))


def _changed(keys: np.ndarray, hashes: np.ndarray, other_keys: np.ndarray, other_hashes: np.ndarray
             ) -> np.ndarray:
    """The keys whose hash differs between two (keys, hashes) pairs, or that only one of them has."""
    mine = dict(zip(keys.tolist(), hashes.tolist(), strict=True))
    theirs = dict(zip(other_keys.tolist(), other_hashes.tolist(), strict=True))
    return np.array(sorted(key for key in mine.keys() | theirs.keys() if mine.get(key) != theirs.get(key)),
                    dtype=np.int64)


# --- the record on the state sheet --------------------------------------------------------------------------

@dataclass(frozen=True)
class SheetRecord:
    """What arxl wrote on one generated sheet (see the module docstring)."""

    key: str
    name: str
    digest: SheetDigest | None = None
    entry_columns: tuple[int, ...] = ()
    part_crc: int | None = None
    part_size: int | None = None
    charts: int = 0


@dataclass
class BookState:
    """Everything on the state sheet: the records of the generated sheets, by key, and other records of arxl's
    (``extra``: name -> text of characters any cell holds, such as base64; long texts span several cells)."""

    sheets: dict[str, SheetRecord] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)


def state_rows(state: BookState) -> list[list[str]]:
    """The state as rows of text cells: a title row, then one row per record (kind, key, JSON, base64 chunks)."""
    rows = [["arxl keeps its record of the sheets it generated here. Do not edit this sheet.", str(STATE_VERSION)]]
    for key in sorted(state.sheets):
        record = state.sheets[key]
        about = {"name": record.name, "entry_columns": list(record.entry_columns), "part_crc": record.part_crc,
                 "part_size": record.part_size, "charts": record.charts}
        payload = record.digest.to_bytes() if record.digest is not None else b""
        rows.append(["sheet", key, json.dumps(about, ensure_ascii=False), *_chunks(payload)])
    for name in sorted(state.extra):
        text = state.extra[name]
        rows.append(["extra", name, "", *(text[start:start + CHUNK] for start in range(0, len(text), CHUNK))])
    return rows


def _chunks(data: bytes) -> list[str]:
    text = base64.b64encode(data).decode("ascii")
    return [text[start:start + CHUNK] for start in range(0, len(text), CHUNK)]


def read_state(rows: Sequence[Sequence[object]] | None) -> tuple[BookState, list[str]]:
    """The state from its sheet's cell values, and notes about anything unreadable in it (skipped)."""
    state = BookState()
    notes: list[str] = []
    for number, row in enumerate(rows or [], start=1):
        cells = ["" if value is None else str(value) for value in row]
        if number == 1 or len(cells) < 2 or cells[0] not in ("sheet", "extra"):
            continue
        try:
            if cells[0] == "extra":
                state.extra[cells[1]] = "".join(cells[3:])
                continue
            payload = base64.b64decode("".join(cells[3:]), validate=True) if len(cells) > 3 else b""
            about = json.loads(cells[2])
            state.sheets[cells[1]] = SheetRecord(
                cells[1], str(about["name"]), SheetDigest.from_bytes(payload) if payload else None,
                tuple(int(column) for column in about.get("entry_columns", ())), about.get("part_crc"),
                about.get("part_size"), int(about.get("charts", 0)))
        except (ValueError, KeyError, TypeError, zlib.error) as exc:
            notes.append(f"arxl's record of row {number} of its state sheet is unreadable ({exc}); "
                         "edits to that sheet cannot be checked")
    return state, notes


def state_spec(state: BookState) -> SheetSpec:
    """The state sheet: very hidden, text only."""
    rows = state_rows(state)
    cells = {(row, column): Cell(value) for row, values in enumerate(rows, start=1)
             for column, value in enumerate(values, start=1)}
    return SheetSpec(STATE_SHEET, cells=cells, key=STATE_KEY, hidden="veryHidden")


def record_for(spec: SheetSpec, name: str, *, part_crc: int | None = None, part_size: int | None = None
               ) -> SheetRecord:
    """The record of ``spec`` written under ``name``."""
    return SheetRecord(spec_key(spec), name, digest_spec(spec), tuple(spec.entry_columns), part_crc, part_size,
                       len(spec.charts))


def legal_sheet_name(preferred: str, taken: Iterable[str]) -> str:
    """``preferred`` made a legal sheet name that no sheet of ``taken`` has (case-insensitively): Excel's
    forbidden characters ``[]:*?/\\`` become ``_``, apostrophes are trimmed from both ends, ``History`` is
    avoided, and the name is cut to 31 UTF-16 code units (never inside a character); a clash gets ``~2``,
    ``~3``... within the same 31 units."""
    base = legal_sheet_base(preferred)
    folded = {name.casefold() for name in taken}
    name = cut_text(base, MAX_SHEET_NAME)
    counter = 2
    while name.casefold() in folded or name.casefold() == "history":
        suffix = f"~{counter}"
        name = cut_text(base, MAX_SHEET_NAME - len(suffix)) + suffix
        counter += 1
    return name


# --- which sheets are arxl's, and where a write puts each spec ------------------------------------------------

@dataclass(frozen=True)
class GeneratedSheet:
    """A sheet arxl owns: its key and its current name."""

    key: str
    name: str


@dataclass
class GeneratedBook:
    """The generated sheets of a book as found (by key), arxl's state, the sheets whose marker a write must
    drop (copies the user made of a generated sheet), every sheet name of the book, and notes for the user."""

    sheets: dict[str, GeneratedSheet] = field(default_factory=dict)
    state: BookState = field(default_factory=BookState)
    copies: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def name_of(self, key: str) -> str | None:
        sheet = self.sheets.get(key)
        return sheet.name if sheet is not None else None


def resolve_markers(markers: Sequence[tuple[str, str]], state: BookState, names: Sequence[str]
                    ) -> GeneratedBook:
    """The generated sheets from the (sheet name, key) of every marker found, in tab order.

    Two sheets with one key: the one whose name arxl recorded keeps it, the other is a copy the user made (its
    marker is to be dropped); if neither or both carry the recorded name, the first in tab order keeps it.
    """
    book = GeneratedBook(state=state, names=list(names))
    for sheet_name, key in markers:
        held = book.sheets.get(key)
        if held is None:
            book.sheets[key] = GeneratedSheet(key, sheet_name)
            continue
        recorded = state.sheets.get(key)
        if recorded is not None and recorded.name.casefold() == sheet_name.casefold() \
                and held.name.casefold() != recorded.name.casefold():
            book.copies.append(held.name)
            book.sheets[key] = GeneratedSheet(key, sheet_name)
        else:
            book.copies.append(sheet_name)
    for copy in book.copies:
        book.notes.append(f"sheet {copy!r} is a copy of a sheet arxl generates; it is yours now and arxl will not "
                          "change it")
    unrecorded = [sheet.name for key, sheet in book.sheets.items() if key != STATE_KEY and key not in state.sheets]
    if unrecorded:
        book.notes.append(f"arxl has no record of what it wrote on {len(unrecorded)} of its sheets (its state "
                          "sheet was removed or edited), so edits there could not be checked: "
                          f"{', '.join(unrecorded[:5])}")
    return book


def adopt_legacy(book: GeneratedBook, legacy_names: Sequence[str]) -> None:
    """A book written by an arxl that recorded its sheets by name only: each still present is adopted (key
    ``legacy:<name>``) until a spec of the same name takes it over."""
    present = {name.casefold(): name for name in book.names}
    for name in legacy_names:
        if name.casefold() in present:
            actual = present[name.casefold()]
            book.sheets.setdefault(LEGACY_KEY + actual.casefold(), GeneratedSheet(LEGACY_KEY + actual.casefold(),
                                                                                  actual))


@dataclass(frozen=True)
class Placement:
    """Where a write puts one spec: ``existing`` names the generated sheet it replaces (None: a new sheet),
    ``name`` is the name it is written under (the existing one's, which the user may have changed)."""

    spec: SheetSpec
    name: str
    existing: str | None


@dataclass
class WritePlan:
    placements: list[Placement]
    remove: list[GeneratedSheet]
    notes: list[str]


def plan_write(book: GeneratedBook, specs: Sequence[SheetSpec], patterns: Sequence[str]) -> WritePlan:
    """Which sheet each spec goes to, which generated sheets the write removes, and what to tell the user.

    A spec goes to the generated sheet of its key (under the name it has now), else to a sheet an older arxl
    listed under the spec's name, else to a new sheet named after the spec (made legal and unique: a sheet of
    the user's with that name is never touched). The generated sheets whose key matches ``patterns`` and that
    no spec takes are removed (a statement of a customer whose balance is now zero, say).
    """
    placements: list[Placement] = []
    taken_keys: set[str] = set()
    taken_names = {name.casefold() for name in book.names}
    assigned: list[str] = []
    notes: list[str] = []
    for spec in specs:
        key = spec_key(spec)
        held = book.sheets.get(key) or book.sheets.get(LEGACY_KEY + spec.name.casefold())
        if held is not None and held.key not in taken_keys:
            taken_keys.add(held.key)
            placements.append(Placement(spec, held.name, held.name))
            continue
        name = legal_sheet_name(spec.name, [*book.names, *assigned])
        assigned.append(name)
        if spec.name.casefold() in taken_names and key != STATE_KEY:
            notes.append(f"the sheet {spec.name!r} is not one arxl generated, so it was left as it is; arxl wrote "
                         f"its {spec.name} to the sheet {name!r}")
        placements.append(Placement(spec, name, None))
    remove = [sheet for key, sheet in book.sheets.items()
              if key not in taken_keys and key_matches(key, patterns)]
    return WritePlan(placements, remove, notes)


def renamed(spec: SheetSpec, name: str) -> SheetSpec:
    """``spec`` written under ``name``: its key kept, and references to its own sheet (charts, formulas) moved
    to the new name."""
    from dataclasses import replace

    if name == spec.name:
        return replace(spec, key=spec_key(spec))
    old, new = quoted(spec.name) + "!", quoted(name) + "!"
    cells = {position: replace(cell, formula=cell.formula.replace(old, new)) if old in cell.formula else cell
             for position, cell in spec.cells.items()}
    charts = tuple(replace(chart, categories=chart.categories.replace(old, new),
                           series=tuple(replace(series, values=series.values.replace(old, new))
                                        for series in chart.series),
                           secondary=tuple(replace(series, values=series.values.replace(old, new))
                                           for series in chart.secondary))
                   for chart in spec.charts)
    return replace(spec, name=name, key=spec_key(spec), cells=cells, charts=charts)
