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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import pandas as pd

from ..aging import aging
from ..arrays import member
from ..contract import Table
from ..dates import resolve_as_of
from ..errors import EditsFound, NotConvertible, ValidationFailed
from ..fx import convertible, has_foreign_items
from ..ledger import Ledger
from ..load import LoadResult, RawTable, load_tables
from ..metrics import compute_metrics, monthly_series
from ..ownership import GeneratedBook, SheetDigest, SheetRecord, key_matches, spec_key, statement_key
from ..problems import Problem, sort_problems
from ..render import sheets as render
from ..render.layout import finish_all
from ..render.limits import fit_to_excel
from ..render.spec import SheetSpec
from ..settle import Settlement, settle

SHEETS: tuple[str, ...] = ("dashboard", "aging", "detail", "statements", "checks", "collections", "forecast",
                           "revaluation", "allowance", "credit", "credits")
"""What ``--only`` can name: Dashboard, Aging, Aging Detail, the ``ST`` statements, Checks, Collections,
Forecast, Revaluation (written only when the book has foreign-currency documents), Allowance, Credit (credit
standing) and Credits (credit balances)."""

SHEET_KEYS = {"dashboard": "dashboard", "aging": "aging", "detail": "aging-detail", "checks": "checks",
              "collections": "collections", "forecast": "forecast", "revaluation": "revaluation",
              "allowance": "allowance", "credit": "credit", "credits": "credits",
              "statements": statement_key("")}
"""The key (``arxl.ownership``) of each kind of sheet ``--only`` can name; ``statement:`` covers them all."""

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
class SetCell:
    """A new value for one cell of a row already in an input table (how ``arxl close`` sets Settings
    ``closed_through``): the table, the cell's Excel row, the contract column, the value as a user types it."""

    table: Table
    row: int
    column: str
    value: object


@dataclass(frozen=True)
class AppendedRow:
    """One row a verb appended to an input table, as an audit trail logs it: the table, the Excel row it
    landed on, and its values as written (column -> value, blanks left out)."""

    table: str
    row: int
    values: dict[str, object]


def appended_rows(append: Append, first_row: int) -> list[AppendedRow]:
    """The rows of ``append`` as ``AppendedRow`` records, the first landing on Excel row ``first_row``."""
    records = []
    for offset, record in enumerate(append.rows.to_dict("records")):
        values = {column: value for column, value in record.items()
                  if not (isinstance(value, str) and value == "") and not pd.isna(value)}
        records.append(AppendedRow(append.table.name, first_row + offset, values))
    return records


@dataclass(frozen=True)
class Committed:
    """What a commit did: the Excel row of the first new row of each ``Append`` (in the order given), the
    backup of the previous version of a file (None for a live book, or when Settings ``backups`` is 0), the
    sheet each written spec went to (by key), the generated sheets removed, and notes for the user."""

    first_rows: tuple[int, ...]
    backup: Path | None = None
    names: dict[str, str] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


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

    def generated(self) -> GeneratedBook:
        """The sheets arxl generated earlier, by key (found by their markers, ``arxl.ownership``), arxl's
        record of what it wrote on them, and notes (copies of generated sheets, an unreadable record)."""
        ...

    def sheet_digest(self, name: str, record: SheetRecord) -> tuple[SheetDigest, list[list[object]]] | None:
        """The digest of the sheet ``name`` as it is now (``record``'s entry columns left out), and its cell
        values from A1 when they were read (empty when the sheet is known unchanged without reading it); None
        when the book has no such sheet."""
        ...

    def inputs_fingerprint(self) -> str | None:
        """A digest of what holds the input tables, equal between two runs only when they cannot differ (None
        when the adapter cannot tell: the tables are then compared)."""
        ...

    def who(self) -> tuple[str, str]:
        """Who is behind this run, for the audit trail: (the name the book was last saved under, as its
        document properties or Excel tell it, "" when unknown; the operating-system user running arxl)."""
        ...

    def sheet_values(self, name: str) -> list[list[object]] | None:
        """The cell values of the sheet ``name`` as rows from A1 (blank cells None or ""), or None when the book
        has no such sheet: how a verb reads back what the user marked on a generated sheet."""
        ...

    def commit(self, appends: Sequence[Append], specs: Sequence[SheetSpec] = (), replace: Sequence[str] = (), *,
               keep_backups: int, book: GeneratedBook | None = None,
               state_extra: dict[str, str | None] | None = None, cells: Sequence[SetCell] = ()) -> Committed:
        """Set ``cells``, append each of ``appends`` (at most one per table) after the last filled row of its
        table, then write ``specs``, each to the generated sheet of its key or a new one
        (``arxl.ownership.plan_write``), and remove the generated sheets whose keys match ``replace`` (a pattern
        ending in ``:`` matches every key it starts) that no spec takes; then arxl's state sheet, with
        ``state_extra`` among its records. The sheets are written when ``specs``, ``replace`` or ``state_extra``
        name any, or when there is nothing to append or set.
        ``book`` is what ``generated()`` found (read again when not given).

        Everything that can be refused (a table missing, cells in the way below a table, a table name of the
        user's that arxl needs) is refused before anything changes. A file is saved once, atomically,
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
    notes: list[str] = field(default_factory=list)
    harvested: int = 0
    failed_checks: list[str] = field(default_factory=list)


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
    return read_validated(adapter)[0]


def load_validated_tables(adapter: BookAdapter) -> tuple[LoadResult, frozenset[str]]:
    """``load_validated``, and the names of the input tables the book has (to know, before any work, whether a
    table a verb appends to is there)."""
    result, raw = read_validated(adapter)
    return result, frozenset(raw)


def read_validated(adapter: BookAdapter) -> tuple[LoadResult, dict[str, RawTable]]:
    """Read and validate, and the raw tables read; ValidationFailed (every problem) when there is any error."""
    raw, date1904, found = adapter.read_tables()
    result = load_tables(raw, date1904=date1904)
    problems = sort_problems(found + result.problems)
    result = LoadResult(result.ledger, problems, date1904)
    if not result.ok:
        raise ValidationFailed(problems)
    return result, raw


def check_appends(loaded: LoadResult, raw: dict[str, RawTable], appends: Sequence[Append]) -> None:
    """The tables as they will be once ``appends`` are added must load without errors, or ValidationFailed
    names each new error and nothing is written. A proposal is made at an as-of date; rows dated later (a
    payment, a refund the book already holds) can make accepting it contradict the book, and the loader is
    the one judge of that."""
    from .sheets import with_rows

    tables = dict(raw)
    added: dict[str, range] = {}
    for append in appends:
        frame = append.rows.astype(object).where(append.rows.notna(), None)
        records = [{column: _cell(value) for column, value in record.items()}
                   for record in frame.to_dict("records")]
        tables, first = with_rows(tables, append.table, records)
        added[tables[append.table.name].sheet] = range(first, first + len(records))
    before = {str(problem) for problem in loaded.problems}
    after = load_tables(tables, date1904=loaded.date1904)
    new = [problem for problem in after.errors if str(problem) not in before]
    if new:
        raise ValidationFailed([replace(problem, message=f"{problem.message} (row {problem.row} is one this "
                                                          "command would append)")
                                if problem.row in added.get(problem.sheet, range(0)) else problem
                                for problem in new])


def _cell(value: object) -> object:
    """An appended value as a reader hands a cell over: dates as datetime, missing as None."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


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
                 ) -> tuple[list[SheetSpec], dict[str, int], pd.DataFrame]:
    """Compute the reports and lay out the generated sheets named by ``only``; the checks
    (``arxl.checks.run_checks``) are computed whichever sheets are asked for, since a failed one fails the run.

    Statement sheets are skipped (with a progress note) when more customers have a balance than Settings
    ``statement_sheets_limit``, unless ``explicit`` (the user named statements in ``--only``): a workbook of
    thousands of sheets helps nobody, and ``arxl statements BOOK --output DIR`` (PDFs) serves that case.
    """
    say = progress or (lambda _message: None)
    settlement = settle(ledger, as_of)
    report = aging(ledger, as_of, settlement=settlement, convert=convertible(ledger, as_of))
    specs: list[SheetSpec] = []
    counts = {"open_items": len(settlement.open_items), "customers": int(report.summary["customer_id"].nunique())}
    if "dashboard" in only:
        say("computing metrics and the 12-month series")
        try:
            metrics, why_not = compute_metrics(ledger, as_of), None
        except NotConvertible as exc:  # a currency without a rate in force: no totals in the reporting currency
            metrics, why_not = None, str(exc)
        series = monthly_series(ledger, as_of)
        specs.append(render.dashboard_sheet(ledger, report, metrics, series,
                                            render.top_overdue_customers(ledger, report), why_not=why_not))
    if "aging" in only:
        specs.append(render.aging_sheet(ledger, report))
    if "detail" in only:
        from ..receivables import dispute_details

        last_payment = last_payment_dates(settlement, report.detail["document_id"])
        specs.append(replace(render.aging_detail_sheet(ledger, report, last_payment,
                                                       dispute_details(ledger, as_of)), key=SHEET_KEYS["detail"]))
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
    from ..checks import run_checks

    checks = run_checks(ledger, as_of, settlement, report)
    counts["failed_checks"] = int((checks["result"] == "FAIL").sum())
    if "checks" in only:
        specs.append(render.checks_sheet(ledger, as_of, checks))
    owed = position = promised = None
    if "collections" in only or "credit" in only:
        # What the worklist and the Credit sheet both judge, computed once.
        from ..credit import credit_position
        from ..receivables import promises, receivables

        owed = receivables(ledger, as_of, settlement)
        promised = promises(ledger, as_of, settlement=settlement)
        position = credit_position(ledger, as_of, settlement=settlement, promise_rows=promised,
                                   receivable_items=owed)
    if "collections" in only:
        from ..collections import worklist
        from ..render.collections import collections_sheet

        specs.append(collections_sheet(ledger, as_of, worklist(ledger, as_of, settlement=settlement,
                                                               credit=position, promise_rows=promised,
                                                               receivable_items=owed)))
    if "forecast" in only:
        from ..forecast import cash_forecast
        from ..render.collections import forecast_sheet

        specs.append(forecast_sheet(ledger, cash_forecast(ledger, as_of, settlement=settlement), report))
    if "revaluation" in only and has_foreign_items(ledger):
        from ..render.revaluation import revaluation_sheet
        from ..revaluation import revaluation

        specs.append(revaluation_sheet(ledger, revaluation(ledger, as_of, settlement=settlement)))
    if "allowance" in only:
        from ..allowance import provision_matrix, write_off_proposals
        from ..render.risk import allowance_sheet

        say("computing the allowance")
        specs.append(allowance_sheet(ledger, provision_matrix(ledger, as_of, settlement=settlement),
                                     write_off_proposals(ledger, as_of, settlement=settlement)))
    if "credit" in only:
        from ..credit import credit_standing
        from ..render.risk import credit_sheet

        specs.append(credit_sheet(ledger, as_of, credit_standing(ledger, as_of, settlement=settlement,
                                                                 position=position, receivable_items=owed)))
    if "credits" in only:
        from ..credit_balances import credit_balances
        from ..render.credits import credits_sheet

        specs.append(credits_sheet(ledger, as_of, credit_balances(ledger, as_of, settlement=settlement)))
    return finish_all(specs, ledger.settings), counts, checks


def replaced_keys(only: Sequence[str]) -> list[str]:
    """The keys (patterns) of the generated sheets a refresh of the kinds ``only`` answers for."""
    return [SHEET_KEYS[kind] for kind in only if kind in SHEET_KEYS]


def run_refresh(adapter: BookAdapter, *, as_of: dt.date | None, today: dt.date, only: Sequence[str] = SHEETS,
                progress: Progress | None = None, discard_edits: bool = False,
                now: dt.datetime | None = None) -> RefreshResult:
    """Load and validate, compute, write the generated sheets.

    Before anything is computed: what a collector typed on the Collections sheet is taken into Activity
    (``arxl.verbs.sheets.harvest``), and any other change to a generated sheet this refresh rewrites stops it
    (ValidationFailed naming the sheet and cell; nothing written) unless ``discard_edits``. Any error in the
    tables: ValidationFailed with every problem, nothing written. The differences with the tables arxl saw last
    go to the Audit sheet (``arxl.verbs.audit``); one touching the closed period is such an error. ``now`` (the
    face's clock) dates the audit lines. The checks are computed
    whatever ``only`` says: ``RefreshResult.failed_checks`` lists those that failed.
    """
    from ..contract import ACTIVITY
    from ..render.collections import COLLECTIONS_KEY
    from . import audit
    from .sheets import find_edits, harvest, relabel, with_harvest

    say = progress or (lambda _message: None)
    timings: dict[str, float] = {}
    with adapter.hold():
        started = time.perf_counter()
        say("reading the input tables")
        raw, date1904, found = adapter.read_tables()
        book = adapter.generated()
        patterns = replaced_keys(only)
        answering = [key for key in book.sheets if key_matches(key, patterns)]
        edits = find_edits(adapter, book, answering)
        if edits and not discard_edits:
            raise EditsFound(edits)
        collections = book.name_of(COLLECTIONS_KEY) if COLLECTIONS_KEY in answering else None
        harvested = harvest(adapter.sheet_values(collections) if collections else None, collections or "",
                            today, raw.get(ACTIVITY.name))
        tables, origin = with_harvest(raw, harvested)
        step = audit.compare(book, raw, adapter.inputs_fingerprint())
        loaded = load_tables(tables, date1904=date1904)
        activity_sheet = tables[ACTIVITY.name].sheet if origin else ""
        problems = sort_problems(found + step.problems
                                 + relabel(loaded.problems, origin, activity_sheet, collections or ""))
        if harvested.rows and ACTIVITY.name not in raw:
            problems.insert(0, Problem("error", collections or "", harvested.sheet_rows[0], "", "",
                                       "notes typed in the Collections sheet need an Activity table to go to",
                                       "an Activity table (arxl new shows one)"))
        result = LoadResult(loaded.ledger, problems)
        if not result.ok:
            raise ValidationFailed(problems)
        ledger = result.ledger
        timings["read"] = time.perf_counter() - started
        say(f"read {len(ledger.invoices):,} invoices, {len(ledger.payments):,} payments, "
            f"{len(ledger.customers):,} customers")
        date = resolve_as_of(ledger, as_of, today)
        started = time.perf_counter()
        say(f"computing the reports as of {date.isoformat()}")
        specs, counts, checks = build_sheets(ledger, date, only, progress=say, explicit=tuple(only) != SHEETS)
        specs, beyond_limits = fit_to_excel(specs)  # what Excel cannot hold is cut, with a warning
        for problem in beyond_limits:
            say(str(problem))
        timings["compute"] = time.perf_counter() - started
        started = time.perf_counter()
        appends = [Append(ACTIVITY, harvested_frame(ledger, origin))] if origin else []
        if origin:
            audit.add_own(step, ACTIVITY.name, appends[0].rows, "notes typed on the Collections sheet",
                          min(origin))
        audit_spec, state_extra = audit.finish(adapter, book, step, company=ledger.settings.company_name,
                                               now=now, settings=ledger.settings)
        say(f"writing {len(specs)} sheet(s)")
        committed = adapter.commit(appends, [*specs, *([audit_spec] if audit_spec else [])], patterns,
                                   keep_backups=ledger.settings.backups, book=book, state_extra=state_extra)
        timings["write"] = time.perf_counter() - started
    notes = [*book.notes, *step.notes, *committed.notes]
    if step.edits:
        notes.append(f"{step.edits} change(s) to the input tables since arxl last wrote the book, recorded on the "
                     "Audit sheet")
    if edits:
        notes.insert(0, f"edits discarded on {len(edits)} sheet(s): "
                        + "; ".join(f"{problem.sheet} {problem.column}" for problem in edits))
    if origin:
        notes.append(f"{len(origin)} note(s) from the Collections sheet added to Activity (Excel rows "
                     f"{min(origin):,}-{max(origin):,})")
    failed = [f"{row.check} ({row.scope}): expected {row.expected}, found {row.actual}"
              for row in checks[checks["result"] == "FAIL"].itertuples()]
    return RefreshResult(date, [committed.names.get(spec_key(spec), spec.name) for spec in specs],
                         list(committed.removed), result.problems + beyond_limits, timings, counts,
                         committed.backup, notes, len(origin), failed)


def harvested_frame(ledger: Ledger, origin: dict[int, int]) -> pd.DataFrame:
    """The harvested Activity rows as the loader read them, the way a user types them (dates as dates; amounts
    in major units of the currency the loader read them in: the invoice's, else 2 decimals)."""
    import numpy as np

    from ..money import to_major_floats

    rows = ledger.activity[ledger.activity["row"].isin(list(origin))]
    promised = rows["promised_amount"]
    # load._activity reads a promise with no invoice in 2 decimals: write it back the same way.
    amount = np.where(promised.notna(), to_major_floats(promised.fillna(0).to_numpy(dtype=np.int64), "USD"),
                      np.nan)
    return pd.DataFrame({
        "date": rows["date"].to_numpy(), "customer_id": rows["customer_id"].astype(object).to_numpy(),
        "invoice_id": rows["invoice_id"].astype(object).to_numpy(),
        "action": rows["action"].astype(object).to_numpy(), "promised_date": rows["promised_date"].to_numpy(),
        "promised_amount": amount,
        "note": rows["note"].astype(object).to_numpy(),
    })
