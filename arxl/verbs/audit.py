"""The audit step every verb that writes the book takes (refresh, accept cash, import, close), and the log.

``compare`` reads arxl's snapshot of the input tables from the state sheet and compares the tables just read with
it (``arxl.audit``): every difference is an edit made in the workbook since arxl last wrote it; with Settings
``closed_through`` those touching the closed period are errors (the verb stops, nothing written). The verb then
adds the rows it appends itself (``add_own``, with their source), and ``finish`` gives what its commit writes:
the ``Audit`` sheet (the rows it holds, read back as they are, plus the new ones; never rewritten) and the new
snapshot. The first run of a book records a baseline. If the Audit sheet's earlier rows were edited or removed,
that is said in the output and recorded as an Audit row.

When and who: each line carries the run's time in UTC and local time (the face's clock), the name the file was
last saved under (its document properties) and the operating-system user running arxl.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..audit import (
    AuditRow,
    Difference,
    baseline,
    closed_problems,
    decode,
    differences,
    encode,
    from_text,
    own_rows,
    snapshot,
    to_text,
)
from ..ownership import GeneratedBook, first_change
from ..problems import Problem
from ..render import layout
from ..render.audit import AUDIT_KEY, audit_rows, audit_sheet

if TYPE_CHECKING:
    import pandas as pd

    from ..ledger import Settings
    from ..load import RawTable
    from ..render.spec import SheetSpec
    from .refresh import BookAdapter

SNAPSHOT = "audit-snapshot:"
"""The state sheet's records holding the snapshot, one per table (``audit-snapshot:Invoices``)."""
INPUTS_FINGERPRINT = "inputs-fingerprint"
"""The state record of the input parts' fingerprint after arxl's last write
(``BookAdapter.inputs_fingerprint``)."""


@dataclass
class AuditStep:
    """What a run found and will add to the audit trail. ``snapshot`` is None while the tables are known
    unchanged since arxl's last write (the stored snapshot stands, unread, until rows are added to it).
    ``encoded`` holds the snapshot's tables already encoded (``arxl.audit.encode``), so that ``finish`` encodes
    only those changed since: whoever changes a table of ``tables()`` calls ``changed`` with its name."""

    lines: list[AuditRow] = field(default_factory=list)
    snapshot: dict[str, pd.DataFrame] | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    stored: dict[str, bytes] = field(default_factory=dict)
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def edits(self) -> int:
        return len(self.differences)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The snapshot the run will leave (the stored one, decoded, when the tables did not change)."""
        if self.snapshot is None:
            self.snapshot = decode(self.stored)
            self.encoded = dict(self.stored)
        return self.snapshot

    def changed(self, table: str) -> None:
        """``table`` of ``tables()`` was changed: encode it again when the snapshot is written."""
        self.encoded.pop(table, None)


def compare(book: GeneratedBook, raw: Mapping[str, RawTable], fingerprint: str | None = None) -> AuditStep:
    """The differences between the tables just read and arxl's snapshot, and closed-period errors. When
    ``fingerprint`` (the adapter's ``inputs_fingerprint``) equals the one arxl's last write recorded, the tables
    cannot have changed, and nothing is compared."""
    stored = {key.removeprefix(SNAPSHOT): from_text(text) for key, text in book.state.extra.items()
              if key.startswith(SNAPSHOT)}
    if stored and fingerprint is not None and book.state.extra.get(INPUTS_FINGERPRINT) == fingerprint:
        return AuditStep(stored=stored)
    current = snapshot(raw)
    # Encoded now rather than when written: a table whose bytes equal the stored ones is unchanged (decoding is
    # deterministic), so only the others are decoded and compared row by row.
    step = AuditStep(snapshot=current, encoded=encode(current))
    if not stored:
        step.lines.append(baseline(current))
        return step
    moved = {name for name in {*stored, *step.encoded} if stored.get(name) != step.encoded.get(name)}
    try:
        previous = decode({name: data for name, data in stored.items() if name in moved})
    except Exception as exc:  # a record damaged by hand: start afresh rather than stop the books
        step.notes.append(f"arxl's snapshot of the input tables could not be read ({type(exc).__name__}); the "
                          "changes since the last run cannot be listed, and a new baseline is recorded")
        step.lines.append(baseline(current))
        return step
    step.differences = differences(previous, {name: frame for name, frame in current.items() if name in moved})
    step.lines += [difference.row for difference in step.differences]
    closed = _closed_through(current)
    if closed is not None and step.differences:
        sheets = {name: table.sheet or name for name, table in raw.items()}
        step.problems = closed_problems(step.differences, closed, current, sheets)
    return step


def _closed_through(tables: Mapping[str, pd.DataFrame]) -> dt.date | None:
    settings = tables.get("Settings")
    if settings is None:
        return None
    values = settings.loc[settings["key"].str.strip().str.casefold() == "closed_through", "value"]
    try:
        return dt.date.fromisoformat(str(values.iloc[0])[:10]) if len(values) and str(values.iloc[0]) else None
    except ValueError:
        return None  # the loader reports a Settings value that is not a date


def add_own(step: AuditStep, table: str, rows: pd.DataFrame, source: str, first_row: int) -> None:
    """Rows arxl appends itself: recorded with their source, and taken into the new snapshot."""
    tables = step.tables()
    lines, combined = own_rows(table, rows, source, first_row, tables.get(table))
    step.lines += lines
    tables[table] = combined
    step.changed(table)


def finish(adapter: BookAdapter, book: GeneratedBook, step: AuditStep, *, company: str,
           now: dt.datetime | None, settings: Settings | None = None
           ) -> tuple[SheetSpec | None, dict[str, str | None]]:
    """The Audit sheet to write (None when there is nothing new to add) and the state records to write (None:
    drop the record). ``now`` is the face's clock (the times are left blank without it: only a face may read
    the clock). The sheet is print-ready like the others (``arxl.render.layout``): columns as wide as their
    content, long text wrapped in rows grown to hold it, and with ``settings`` the book's paper size."""
    extra: dict[str, str | None] = {}
    if step.snapshot is not None:
        extra = {SNAPSHOT + name: None for name in step.stored}  # a table no longer there leaves the snapshot
        stale = {name: frame for name, frame in step.snapshot.items() if name not in step.encoded}
        encoded = {**{name: data for name, data in step.encoded.items() if name in step.snapshot}, **encode(stale)}
        extra.update({SNAPSHOT + name: to_text(data) for name, data in encoded.items()})
    name = book.name_of(AUDIT_KEY)
    record = book.state.sheets.get(AUDIT_KEY)
    lines = list(step.lines)
    # Whatever else the run finds, what was done to the trail itself is said and recorded at once.
    if name and record is not None and record.digest is not None:
        current = adapter.sheet_digest(name, record)
        change = first_change(record.digest, current[0]) if current is not None else None
        if change is not None:
            step.notes.append(f"rows of the {name} sheet were edited or removed since arxl wrote them (first at "
                              f"{change.cell}); they are kept as they are, and this is recorded")
            lines.insert(0, AuditRow("Audit", "", change.cell, "", "rows edited or removed since arxl wrote them",
                                     "audit-edited", "found by arxl"))
    elif name is None and record is not None:
        step.notes.append(f"the {record.name} sheet (the audit trail) was removed since arxl wrote it; a new one "
                          "starts with a row saying so (the earlier rows are in the backups arxl keeps)")
        lines.insert(0, AuditRow("Audit", "", "", "", f"the {record.name} sheet was removed since arxl wrote it",
                                 "audit-removed", "found by arxl"))
    if not lines:
        return None, extra
    existing = audit_rows(adapter.sheet_values(name)) if name else []
    author, user = adapter.who()
    utc = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if now else ""
    local = now.strftime("%Y-%m-%d %H:%M:%S %z") if now else ""
    new = [[utc, local, author, user, line.source, line.table, line.key, line.column, line.before, line.after,
            line.kind] for line in lines]
    sheet = audit_sheet(company, [*existing, *new])
    return (layout.finish(sheet, settings) if settings is not None else layout.fit(sheet)), extra


def audit_log(adapter: BookAdapter, since: dt.date | None = None) -> list[dict[str, str]]:
    """The Audit sheet's rows (as ``AUDIT_COLUMNS`` records), those logged on or after ``since`` when given."""
    from ..audit import AUDIT_COLUMNS

    book = adapter.generated()
    name = book.name_of(AUDIT_KEY)
    rows = audit_rows(adapter.sheet_values(name)) if name else []
    records = [dict(zip(AUDIT_COLUMNS, row, strict=True)) for row in rows]
    if since is not None:
        records = [record for record in records if record[AUDIT_COLUMNS[0]][:10] >= since.isoformat()]
    return records
