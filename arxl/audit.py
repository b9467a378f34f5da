"""The audit trail: what changed in the input tables between two runs of arxl, row by row and cell by cell.

**The snapshot.** Every verb that writes the book keeps, in arxl's state sheet (``arxl.ownership``), a snapshot of
the input tables as it read them: every contract column of every row, as canonical text (dates ``2026-03-31``,
numbers as their shortest decimal, ``TRUE``/``FALSE``, text as typed), with the row's Excel row number. It is
stored as a Parquet file (dictionary and run-length encoded, zstd-compressed), base64 in the state sheet's cells,
so it travels inside the workbook (e-mail it, save it with Excel or LibreOffice: it stays). The next run compares
the tables it reads with it, and records each difference as an ``AuditRow``.

**Which row is which.** Rows are matched by their key: ``invoice_id``, ``payment_id``, ``customer_id``,
``adjustment_id``, Settings ``key``, DunningLevels ``level``. Tables without a key match rows by what
identifies them, numbered in table order when several rows share it: FXRates by ``currency`` + ``date``,
Applications by ``payment_id`` + ``invoice_id``, Activity by ``date`` + ``customer_id`` + ``action``, Assertions
by ``customer_id`` + ``date`` + ``currency``, Instalments by ``invoice_id`` + ``due_date`` (``P1 | I1 #2`` is
the second application of P1 to I1). Changing an identifying value therefore shows as the old row removed and a
new one added; any other change is one ``changed`` row per cell.
Moving rows, sorting a table or adding columns of your own changes nothing.

**Closed periods.** With Settings ``closed_through``, a difference touching a row dated on or before it (its date
before or after the change; an application with no date takes the later of its payment's and invoice's dates)
is an error naming the row, the column, the old and the new value, and how to correct it instead: a new document
dated after the close.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .contract import TABLES_BY_NAME, normalise_header
from .load import RawTable
from .problems import Problem

IDENTITY: dict[str, tuple[str, ...]] = {
    "Settings": ("key",), "Customers": ("customer_id",), "Invoices": ("invoice_id",),
    "Payments": ("payment_id",), "Adjustments": ("adjustment_id",), "FXRates": ("currency", "date"),
    "DunningLevels": ("level",), "Applications": ("payment_id", "invoice_id"),
    "Activity": ("date", "customer_id", "action"), "Assertions": ("customer_id", "date", "currency"),
    "Instalments": ("invoice_id", "due_date"),
}
"""The columns that identify a row of each table (a key, or what a keyless row is known by); a table not listed
(one added to the contract later) is identified by its key, else by its required columns."""


def identity(table: str) -> tuple[str, ...]:
    """The columns that identify a row of ``table`` (see ``IDENTITY``)."""
    if table in IDENTITY:
        return IDENTITY[table]
    contract = TABLES_BY_NAME[table]
    if contract.key is not None:
        return (contract.key,)
    return tuple(column.name for column in contract.columns if column.required)
DATED: dict[str, str] = {"Invoices": "invoice_date", "Payments": "payment_date", "Applications": "date",
                         "Adjustments": "date", "Activity": "date"}
"""The column giving each dated table's rows their date (for closed periods)."""
ROW = "__row"
KEY = "__key"
AUDIT_COLUMNS = ("When (UTC)", "When (local)", "File last saved by", "Run by", "Source", "Table", "Key",
                 "Column", "Before", "After", "Kind")
SUMMARY_LIMIT = 300
"""Characters of an added or removed row's values shown in one Audit cell."""


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit trail. ``kind``: added, changed, removed, baseline (the first run), or a note of
    arxl's (closed, audit-edited, audit-removed)."""

    table: str
    key: str
    column: str
    before: str
    after: str
    kind: str
    source: str = "edited in the workbook"


# --- the snapshot ---------------------------------------------------------------------------------------------

def snapshot(tables: Mapping[str, RawTable]) -> dict[str, pd.DataFrame]:
    """The input tables as canonical text, one frame per contract table (its contract columns, ``__row``, and
    ``__key``)."""
    return {name: _canonical(table) for name, table in tables.items() if name in TABLES_BY_NAME}


def _canonical(table: RawTable) -> pd.DataFrame:
    contract = TABLES_BY_NAME[table.name]
    wanted = {column.name for column in contract.columns}
    header = [normalise_header(str(name)) for name in table.header]
    positions = {name: index for index, name in enumerate(header) if name in wanted and name not in header[:index]}
    count = len(table)
    columns: dict[str, pd.Series] = {}
    if table.typed is not None:
        for name, index in positions.items():
            columns[name] = _arrow_text(table.typed.column(index))
    else:
        rows = table.cell_rows()
        for name, index in positions.items():
            columns[name] = _python_text([row[index] if index < len(row) else None for row in rows])
    frame = pd.DataFrame(columns, index=pd.RangeIndex(count)).astype("str") if columns else pd.DataFrame(
        index=pd.RangeIndex(count))
    for column in wanted - set(frame.columns):
        frame[column] = pd.Series([""] * count, dtype="str")
    frame = frame[[column.name for column in contract.columns]]
    blank = (frame == "").all(axis=1).to_numpy() if count else np.zeros(0, dtype=bool)
    frame[ROW] = np.arange(table.first_row, table.first_row + count, dtype=np.int64)
    frame = frame[~blank].reset_index(drop=True)
    frame[KEY] = _keys(frame, identity(table.name), keyed=contract.key is not None)
    return frame


def _arrow_text(column: pa.Array) -> pd.Series:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        days = pc.cast(column, pa.date32()) if pa.types.is_timestamp(column.type) else column
        text = pc.strftime(days, format="%Y-%m-%d")
    elif pa.types.is_boolean(column.type):
        text = pc.if_else(column, "TRUE", "FALSE")
    elif pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        text = _number_text(column.to_numpy(zero_copy_only=False).astype(np.float64))
        return pd.Series(text, dtype="str")
    else:
        text = pc.cast(column, pa.string())
    return pd.Series(pc.fill_null(text, ""), dtype="str")


def _number_text(numbers: np.ndarray) -> np.ndarray:
    """Numbers as their shortest decimal (``100``, ``1234.5``), blank where there is none."""
    present = np.isfinite(numbers)
    text = pc.cast(pa.array(np.where(present, numbers, 0.0)), pa.string()).to_numpy(zero_copy_only=False)
    text = np.where(present, text, "")
    return text.astype(object)


def _python_text(values: Sequence[object]) -> pd.Series:
    """Cell values as canonical text, the same text ``_arrow_text`` gives for the same value."""
    out = np.empty(len(values), dtype=object)
    numbers: list[int] = []
    number_values: list[float] = []
    for index, value in enumerate(values):
        if value is None:
            out[index] = ""
        elif isinstance(value, bool):
            out[index] = "TRUE" if value else "FALSE"
        elif isinstance(value, dt.datetime):
            out[index] = value.date().isoformat()  # a time of day is not kept (the loader drops it too)
        elif isinstance(value, dt.date):
            out[index] = value.isoformat()
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            numbers.append(index)  # a Decimal is what xlwings hands over for a currency-formatted cell
            number_values.append(float(value))
        else:
            out[index] = str(value)
    if numbers:
        out[numbers] = _number_text(np.array(number_values, dtype=np.float64))
    return pd.Series(out, dtype="str")


def _keys(frame: pd.DataFrame, identity: tuple[str, ...], *, keyed: bool) -> np.ndarray:
    """Each row's identity as text: its key, or its identifying values with ``#n`` for the n-th alike."""
    if not len(frame):
        return np.zeros(0, dtype=object)
    parts = [frame[column].astype(str) for column in identity]
    joined = parts[0].str.cat(parts[1:], sep=" | ") if len(parts) > 1 else parts[0]
    if keyed:
        return joined.to_numpy(dtype=object)
    occurrence = joined.groupby(joined, sort=False).cumcount() + 1
    return joined.str.cat(occurrence.astype(str), sep=" #").to_numpy(dtype=object)


def encode(tables: Mapping[str, pd.DataFrame]) -> dict[str, bytes]:
    """The snapshot as bytes, one Parquet file per table (its contract columns and Excel row numbers)."""
    import pyarrow.parquet as pq

    encoded = {}
    for name, frame in tables.items():
        columns = {column: pa.array(frame[column].to_numpy(dtype=object), pa.string())
                   for column in frame.columns if column not in (KEY, ROW)}
        columns[ROW] = pa.array(frame[ROW].to_numpy(dtype=np.int64), pa.int64())
        # Few distinct values (customers, currencies, statuses): a dictionary; ids and amounts: prefixes shared
        # with the previous value, which suits ids numbered in sequence.
        repeated = [column for column in columns if column != ROW
                    and frame[column].nunique() < 0.3 * max(len(frame), 1)]
        encodings = {column: "DELTA_BYTE_ARRAY" for column in columns if column not in repeated and column != ROW}
        encodings[ROW] = "DELTA_BINARY_PACKED"
        sink = io.BytesIO()
        pq.write_table(pa.table(columns), sink, compression="zstd", compression_level=9, use_dictionary=repeated,
                       column_encoding=encodings)
        encoded[name] = sink.getvalue()
    return encoded


def decode(encoded: Mapping[str, bytes]) -> dict[str, pd.DataFrame]:
    """``encode``'s bytes back into frames (with their keys computed again)."""
    import pyarrow.parquet as pq

    tables = {}
    for name, data in encoded.items():
        if name not in TABLES_BY_NAME:
            continue
        table = pq.read_table(io.BytesIO(data))
        columns = [column.name for column in TABLES_BY_NAME[name].columns]
        frame = pd.DataFrame({column: pd.Series(table.column(column).to_numpy(zero_copy_only=False), dtype="str")
                              if column in table.column_names else pd.Series([""] * table.num_rows, dtype="str")
                              for column in columns})
        frame[ROW] = table.column(ROW).to_numpy() if ROW in table.column_names else 0
        frame[KEY] = _keys(frame, identity(name), keyed=TABLES_BY_NAME[name].key is not None)
        tables[name] = frame
    return tables


def to_text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def from_text(text: str) -> bytes:
    return base64.b64decode(text)


# --- differences ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    """One difference between two snapshots, with the rows involved (for closed periods)."""

    row: AuditRow
    before_row: dict[str, str] | None
    after_row: dict[str, str] | None
    excel_row: int | None


def differences(before: Mapping[str, pd.DataFrame], after: Mapping[str, pd.DataFrame]) -> list[Difference]:
    """Every row added or removed and every cell changed between ``before`` and ``after``, table by table in the
    contract's order, rows in key order."""
    found: list[Difference] = []
    for name in TABLES_BY_NAME:
        found += sorted(_table_differences(name, before, after), key=lambda difference: difference.row.key)
    return found


def _table_differences(name: str, before: Mapping[str, pd.DataFrame], after: Mapping[str, pd.DataFrame]
                       ) -> list[Difference]:
    found: list[Difference] = []
    old, new = before.get(name), after.get(name)
    if old is None and new is None:
        return found
    columns = [column.name for column in TABLES_BY_NAME[name].columns]
    old = old if old is not None else _empty(columns)
    new = new if new is not None else _empty(columns)
    merged = old.merge(new, on=KEY, how="outer", suffixes=("_before", "_after"), indicator=True, sort=True)
    for _, record in merged[merged["_merge"] == "right_only"].iterrows():
        values = {column: record[f"{column}_after"] for column in columns}
        found.append(Difference(AuditRow(name, str(record[KEY]), "", "", _summary(values), "added"), None,
                                values, int(record[f"{ROW}_after"])))
    for _, record in merged[merged["_merge"] == "left_only"].iterrows():
        values = {column: record[f"{column}_before"] for column in columns}
        found.append(Difference(AuditRow(name, str(record[KEY]), "", _summary(values), "", "removed"), values,
                                None, int(record[f"{ROW}_before"])))
    both = merged[merged["_merge"] == "both"]
    if both.empty:
        return found
    changed = np.zeros((len(both), len(columns)), dtype=bool)
    for index, column in enumerate(columns):
        changed[:, index] = (both[f"{column}_before"].astype(str).to_numpy()
                             != both[f"{column}_after"].astype(str).to_numpy())
    for position in np.flatnonzero(changed.any(axis=1)):
        record = both.iloc[position]
        old_values = {column: record[f"{column}_before"] for column in columns}
        new_values = {column: record[f"{column}_after"] for column in columns}
        for index in np.flatnonzero(changed[position]):
            column = columns[index]
            found.append(Difference(AuditRow(name, str(record[KEY]), column, old_values[column],
                                             new_values[column], "changed"),
                                    old_values, new_values, int(record[f"{ROW}_after"])))
    return found


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype="str") for column in columns})
    frame[ROW] = pd.Series(dtype="int64")
    frame[KEY] = pd.Series(dtype=object)
    return frame


def _summary(values: Mapping[str, object]) -> str:
    text = "; ".join(f"{column}={value}" for column, value in values.items() if str(value) != "")
    return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 1] + "…"


def baseline(tables: Mapping[str, pd.DataFrame]) -> AuditRow:
    """The first run's record: how many rows each table held."""
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in tables.items() if len(frame))
    return AuditRow("", "", "", "", f"rows: {counts}" if counts else "no rows", "baseline",
                    "first run of arxl on this book")


def own_rows(table: str, rows: pd.DataFrame, source: str, first_row: int,
             previous: pd.DataFrame | None) -> tuple[list[AuditRow], pd.DataFrame]:
    """Rows arxl itself appends (accepted applications, imports, notes from the Collections sheet): their audit
    lines, and the snapshot of ``table`` with them added (so the next run does not see them as an edit)."""
    raw = RawTable(table, list(rows.columns), [list(row) for row in rows.astype(object).where(
        rows.notna(), None).itertuples(index=False)], first_row, table)
    added = _canonical(raw)
    columns = [column.name for column in TABLES_BY_NAME[table].columns]
    base = previous if previous is not None else _empty(columns)
    combined = pd.concat([base.drop(columns=[KEY]), added.drop(columns=[KEY])], ignore_index=True)
    combined[KEY] = _keys(combined, identity(table), keyed=TABLES_BY_NAME[table].key is not None)
    new_keys = combined[KEY].to_numpy()[len(base):]
    lines = [AuditRow(table, str(key), "", "", _summary({column: values[column] for column in columns}), "added",
                      source) for key, (_, values) in zip(new_keys, added.iterrows(), strict=True)]
    return lines, combined


# --- closed periods -------------------------------------------------------------------------------------------

def closed_problems(found: Iterable[Difference], closed_through: dt.date, after: Mapping[str, pd.DataFrame],
                    sheets: Mapping[str, str]) -> list[Problem]:
    """The differences that touch a row dated on or before ``closed_through``: one error each."""
    limit = closed_through.isoformat()
    problems = []
    for difference in found:
        column = DATED.get(difference.row.table)
        if column is None:
            continue
        dates = [_row_date(difference.row.table, values, after)
                 for values in (difference.before_row, difference.after_row) if values is not None]
        dated = [date for date in dates if date and date <= limit]
        if not dated:
            continue
        row = difference.row
        what = {"added": "was added", "removed": "was removed",
                "changed": f"changed from {row.before or '(blank)'} to {row.after or '(blank)'}"}[row.kind]
        problems.append(Problem(
            "error", sheets.get(row.table, row.table), difference.excel_row, row.column or "", row.key,
            f"{what}, but it is dated {min(dated)}, in the closed period (closed through {limit})",
            "the period left as it was; correct it with a new document dated after the close (a credit note, a "
            "reversal or an adjustment)"))
    return problems


def _row_date(table: str, values: Mapping[str, str], tables: Mapping[str, pd.DataFrame]) -> str:
    """The row's date as ISO text; an application without one takes the later of its payment's and invoice's."""
    date = str(values.get(DATED[table], ""))[:10]
    if date or table != "Applications":
        return date
    found = []
    sources = (("Payments", "payment_id", "payment_date", values.get("payment_id")),
               ("Invoices", "invoice_id", "invoice_date", values.get("invoice_id")))
    for name, key_column, date_column, key in sources:
        frame = tables.get(name)
        if frame is not None and key:
            match = frame.loc[frame[key_column] == key, date_column]
            if len(match):
                found.append(str(match.iloc[0])[:10])
    return max(found) if found else ""
