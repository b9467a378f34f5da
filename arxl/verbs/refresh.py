"""The refresh, and the contract every book adapter keeps (``BookAdapter``).

The refresh reads the input tables, validates them, computes every report and writes the generated sheets. One
code path for every face: the CLI passes a file on disk, the ribbon's Refresh button a live Excel book, both got
from ``arxl.verbs.books``; nothing here knows which one it has. The other verbs (``arxl.verbs.apply``,
``importing``, ``statements`` ...) use the same adapters through the same contract.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from ..aging import aging
from ..arrays import member
from ..contract import Table
from ..dates import resolve_as_of
from ..errors import ValidationFailed
from ..fx import convertible
from ..ledger import Ledger
from ..load import LoadResult, RawTable, load_tables
from ..metrics import compute_metrics, monthly_series
from ..problems import Problem, sort_problems
from ..render import sheets as render
from ..render.layout import finish_all
from ..render.spec import SheetSpec
from ..settle import Settlement, settle

SHEETS: tuple[str, ...] = ("dashboard", "aging", "detail", "statements", "checks", "collections", "forecast")
"""What ``--only`` can name: Dashboard, Aging, Aging Detail, the ``ST`` statements, Checks, Collections and
Forecast."""

SHEET_NAMES = {"dashboard": "Dashboard", "aging": "Aging", "detail": "Aging Detail", "checks": "Checks",
               "collections": "Collections", "forecast": "Forecast"}
STATEMENT_PREFIX = "ST "

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Append:
    """Rows to add at the end of one of the user's input tables (an accepted cash application, an import).

    Attributes:
        table: the contract table (its Excel Table is found by name, case-insensitively, on any sheet).
        rows: one column per contract column to fill, named as in the contract, values as a user types them:
            text ``str`` ("" blank), dates ``datetime64`` (NaT blank), amounts in major units and other numbers
            float (NaN blank). Columns the book's table lacks are left out; at least one row.
    """

    table: Table
    rows: pd.DataFrame


@dataclass(frozen=True)
class Committed:
    """What a commit did: the Excel row of the first new row of each ``Append`` (in the order given), and the
    backup of the previous version of a file (None for a live book, or when Settings ``backups`` is 0)."""

    first_rows: tuple[int, ...]
    backup: Path | None = None


class BookAdapter(Protocol):
    """A workbook as every verb sees it: a file on disk (``arxl.workbook.book.FileBook``) or a live Excel book
    (``arxl.workbook.xlbook.XlwingsBook``); the faces get them from ``arxl.verbs.books``.

    A verb that writes holds the book for its whole read-compute-write (``with adapter.hold():``), reads the
    tables, computes, and ends with one ``commit``: the rows it appends to the user's tables and the generated
    sheets it rewrites, together. Reading alone (``read_tables``) needs no hold.
    """

    def hold(self) -> AbstractContextManager[None]:
        """Keep the book to this run from the first read to the commit. A file: no other arxl run works on it
        meanwhile (the second waits, then refuses), a book Excel has open is refused before any work (unless
        forced), and what the file looks like is recorded so that the commit refuses if it changes meanwhile.
        A live book: Excel runs one macro at a time, so there is nothing to do."""
        ...

    def read_tables(self) -> tuple[dict[str, RawTable], bool, list[Problem]]:
        """The input tables, the 1904 date-system flag, and problems found while locating the tables."""
        ...

    def owned_sheets(self) -> list[str]:
        """Names of the sheets arxl generated earlier (and may therefore replace or remove)."""
        ...

    def sheet_values(self, name: str) -> list[list[object]] | None:
        """The cell values of the sheet ``name`` as rows from A1 (blank cells None or ""), or None when the book
        has no such sheet: how a verb reads back what the user marked on a generated sheet."""
        ...

    def commit(self, appends: Sequence[Append], specs: Sequence[SheetSpec] = (), replace: Sequence[str] = (), *,
               keep_backups: int) -> Committed:
        """Append each of ``appends`` (at most one per table) after the last filled row of its table, then write
        ``specs`` (replacing same-named generated sheets) and remove the sheets of ``replace`` that are not
        among them; the generated sheets are written when ``specs`` or ``replace`` name any, or when there is
        nothing to append (a refresh that writes no sheet still writes its record of them).

        Everything that can be refused (a table missing, cells in the way below a table, a sheet of the same
        name that arxl did not create) is refused before anything changes. A file is saved once, atomically,
        keeping ``keep_backups`` backups of it (0: none); if anything fails it is left as it was. A live book is
        changed in place and saved by its user.
        """
        ...


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did, for the summary line and for tests."""

    as_of: dt.date
    sheets: list[str]
    removed: list[str]
    problems: list[Problem]
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    backup: Path | None = None


def parse_only(only: str | Sequence[str] | None) -> tuple[str, ...]:
    """``--only aging,statements`` -> ("aging", "statements"); ValueError naming what is unknown."""
    if only is None:
        return SHEETS
    names = [part.strip().lower() for part in (only.split(",") if isinstance(only, str) else only)
             if part.strip()]
    aliases = {"aging detail": "detail", "aging_detail": "detail", "statement": "statements", "check": "checks"}
    names = [aliases.get(name, name) for name in names]
    unknown = [name for name in names if name not in SHEETS]
    if unknown or not names:
        raise ValueError(f"--only {','.join(unknown) or '(nothing)'}: expected some of {','.join(SHEETS)}")
    return tuple(dict.fromkeys(names))


def load_validated(adapter: BookAdapter) -> LoadResult:
    """Read and validate; raise ValidationFailed (with every problem) when there is any error."""
    raw, date1904, found = adapter.read_tables()
    result = load_tables(raw, date1904=date1904)
    problems = sort_problems(found + result.problems)
    result = LoadResult(result.ledger, problems)
    if not result.ok:
        raise ValidationFailed(problems)
    return result


def last_payment_dates(settlement: Settlement, document_ids: pd.Series | None = None) -> pd.Series:
    """The date of the latest application to each receivable, by document id (in no particular order); only
    for the receivables among ``document_ids`` when given (looking up a few ids is much cheaper than all)."""
    applications = settlement.applications[["invoice_id", "date"]]
    if document_ids is not None:
        applications = applications[member(applications["invoice_id"], document_ids).to_numpy()]
    if applications.empty:
        return pd.Series(dtype="datetime64[s]")
    return applications.groupby("invoice_id", sort=False)["date"].max()


def build_sheets(ledger: Ledger, as_of: dt.date, only: Sequence[str] = SHEETS, *,
                 progress: Progress | None = None, explicit: bool = False
                 ) -> tuple[list[SheetSpec], dict[str, int]]:
    """Compute the reports and lay out the generated sheets named by ``only``.

    Statement sheets are skipped (with a progress note) when more customers have a balance than Settings
    ``statement_sheets_limit``, unless ``explicit`` (the user named statements in ``--only``): a workbook of
    thousands of sheets helps nobody, and ``arxl statements BOOK --output DIR`` (PDFs) serves that case.
    """
    say = progress or (lambda _message: None)
    settlement = settle(ledger, as_of)
    report = aging(ledger, as_of, settlement=settlement, convert=convertible(ledger))
    specs: list[SheetSpec] = []
    counts = {"open_items": len(settlement.open_items), "customers": int(report.summary["customer_id"].nunique())}
    if "dashboard" in only:
        say("computing metrics and the 12-month series")
        metrics = compute_metrics(ledger, as_of)
        series = monthly_series(ledger, as_of)
        specs.append(render.dashboard_sheet(ledger, report, metrics, series,
                                            render.top_overdue_customers(ledger, report)))
    if "aging" in only:
        specs.append(render.aging_sheet(ledger, report))
    if "detail" in only:
        last_payment = last_payment_dates(settlement, report.detail["document_id"])
        specs.append(render.aging_detail_sheet(ledger, report, last_payment))
    if "statements" in only:
        with_balance = int((report.detail.groupby("customer_id")["open_amount"].sum() != 0).sum())
        if explicit or with_balance <= ledger.settings.statement_sheets_limit:
            statements = render.statement_sheets(ledger, report)
            counts["statements"] = len(statements)
            specs.extend(statements)
        else:
            counts["statements_skipped"] = with_balance
            say(f"{with_balance:,} customers have a balance, more than statement_sheets_limit "
                f"({ledger.settings.statement_sheets_limit}): statement sheets not written; arxl statements BOOK "
                "--output DIR writes them as PDF files (any number), arxl refresh --only statements as sheets")
    if "checks" in only:
        from ..checks import run_checks

        specs.append(render.checks_sheet(ledger, as_of, run_checks(ledger, as_of, settlement, report)))
    if "collections" in only:
        from ..collections import worklist
        from ..render.collections import collections_sheet

        specs.append(collections_sheet(ledger, as_of, worklist(ledger, as_of, settlement=settlement)))
    if "forecast" in only:
        from ..forecast import cash_forecast
        from ..render.collections import forecast_sheet

        specs.append(forecast_sheet(ledger, cash_forecast(ledger, as_of, settlement=settlement), report))
    return finish_all(specs, ledger.settings), counts


def replaced_sheets(owned: Sequence[str], only: Sequence[str]) -> list[str]:
    """The owned sheets this refresh answers for: those of the kinds in ``only``."""
    names = {SHEET_NAMES[kind].casefold() for kind in only if kind in SHEET_NAMES}
    return [name for name in owned
            if name.casefold() in names or ("statements" in only and name.startswith(STATEMENT_PREFIX))]


def run_refresh(adapter: BookAdapter, *, as_of: dt.date | None, today: dt.date, only: Sequence[str] = SHEETS,
                progress: Progress | None = None) -> RefreshResult:
    """Load and validate (any error: ValidationFailed, nothing written), compute, write the generated sheets."""
    say = progress or (lambda _message: None)
    timings: dict[str, float] = {}
    with adapter.hold():
        started = time.perf_counter()
        say("reading the input tables")
        result = load_validated(adapter)
        ledger = result.ledger
        timings["read"] = time.perf_counter() - started
        say(f"read {len(ledger.invoices):,} invoices, {len(ledger.payments):,} payments, "
            f"{len(ledger.customers):,} customers")
        date = resolve_as_of(ledger, as_of, today)
        started = time.perf_counter()
        say(f"computing the reports as of {date.isoformat()}")
        specs, counts = build_sheets(ledger, date, only, progress=say, explicit=tuple(only) != SHEETS)
        timings["compute"] = time.perf_counter() - started
        started = time.perf_counter()
        owned = adapter.owned_sheets()
        replace = replaced_sheets(owned, only)
        say(f"writing {len(specs)} sheet(s)")
        committed = adapter.commit((), specs, replace, keep_backups=ledger.settings.backups)
        timings["write"] = time.perf_counter() - started
    written = {spec.name.casefold() for spec in specs}
    removed = [name for name in replace if name.casefold() not in written]
    return RefreshResult(date, [spec.name for spec in specs], removed, result.problems, timings, counts,
                         committed.backup)
