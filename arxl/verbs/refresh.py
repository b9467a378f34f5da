"""The refresh: read the input tables, validate, compute every report, and write the generated sheets.

One code path for every face: the CLI passes a ``FileBook`` (a workbook on disk, written surgically and
atomically), the ribbon's Refresh button passes an adapter over a live xlwings Book. Both implement
``BookAdapter``; nothing here knows which one it has.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from ..aging import aging
from ..arrays import member
from ..dates import resolve_as_of
from ..errors import ValidationFailed
from ..fx import convertible
from ..ledger import Ledger, Settings
from ..load import LoadResult, RawTable, load_tables
from ..metrics import compute_metrics, monthly_series
from ..problems import Problem, sort_problems
from ..render import sheets as render
from ..render.spec import SheetSpec
from ..settle import Settlement, settle

SHEETS: tuple[str, ...] = ("dashboard", "aging", "detail", "statements", "checks", "collections", "forecast")
"""What ``--only`` can name: Dashboard, Aging, Aging Detail, the ``ST`` statements, Checks, Collections, Forecast."""

SHEET_NAMES = {"dashboard": "Dashboard", "aging": "Aging", "detail": "Aging Detail", "checks": "Checks",
               "collections": "Collections", "forecast": "Forecast"}
STATEMENT_PREFIX = "ST "

Progress = Callable[[str], None]


class BookAdapter(Protocol):
    """Where a refresh reads its tables and writes its sheets (a file, or a live Excel book)."""

    def read_tables(self) -> tuple[dict[str, RawTable], bool, list[Problem]]:
        """The input tables, the 1904 date-system flag, and problems found while locating the tables."""
        ...

    def owned_sheets(self) -> list[str]:
        """Names of the sheets arxl generated earlier (and may therefore replace or remove)."""
        ...

    def write_sheets(self, specs: Sequence[SheetSpec], replace: Sequence[str], settings: Settings) -> None:
        """Write ``specs`` (replacing same-named generated sheets) and remove the sheets of ``replace`` that are
        not among them. Must leave the book untouched if it fails."""
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
    thousands of sheets helps nobody, and ``arxl statements --pdf`` serves that case.
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
                f"({ledger.settings.statement_sheets_limit}): statement sheets not written; use arxl statements "
                "--pdf, or arxl refresh --only statements")
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
    return specs, counts


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
    adapter.write_sheets(specs, replace, ledger.settings)
    timings["write"] = time.perf_counter() - started
    written = {spec.name.casefold() for spec in specs}
    removed = [name for name in replace if name.casefold() not in written]
    return RefreshResult(date, [spec.name for spec in specs], removed, result.problems, timings, counts)
