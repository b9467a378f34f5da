"""Customer statements: open-item (``ST`` sheets) or activity (``AS`` sheets) statements in the book, or
print-ready PDF files of either (through LibreOffice).

The open-item sheets are a refresh of the statements only (``arxl.verbs.refresh``). Activity statements cover
a period (``start`` .. ``end``, both included; ``end`` defaults to the as-of date): opening balance, every
movement, running and closing balance (``arxl.statements.activity_statement``, laid out by
``arxl.render.activity``); writing them into the book replaces the ``AS`` sheets arxl wrote before. By default
every customer with a movement in the period or a balance at either end gets one. The PDFs are the same sheets,
each converted alone; writing them changes nothing in the book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArxlError

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..statements import ActivityStatement
    from ..workbook.pdf import Conversion
    from .refresh import BookAdapter, Progress, RefreshResult


class UnknownCustomers(ArxlError):
    """Statements were asked for customers the Customers table does not have; nothing was written."""

    def __init__(self, customer_ids: Sequence[str]):
        self.customer_ids = list(customer_ids)
        super().__init__(f"{', '.join(self.customer_ids)}: not in the Customers table")


@dataclass(frozen=True)
class ActivityWritten:
    """The activity statement sheets written into the book."""

    start: dt.date
    end: dt.date
    sheets: list[str]
    removed: list[str]
    backup: Path | None = None


@dataclass(frozen=True)
class StatementFiles:
    """The statement PDFs written, one per customer, and the date they are as of."""

    as_of: dt.date
    folder: Path
    files: list[Path]


def statement_sheets(adapter: BookAdapter, *, as_of: dt.date | None, today: dt.date,
                     progress: Progress | None = None, discard_edits: bool = False) -> RefreshResult:
    """Rewrite the ``ST`` statement sheets only (the refresh of ``statements``; the other sheets stay)."""
    from .refresh import run_refresh

    return run_refresh(adapter, as_of=as_of, today=today, only=("statements",), progress=progress,
                       discard_edits=discard_edits)


def statement_pdfs(adapter: BookAdapter, folder: Path, *, as_of: dt.date | None, today: dt.date,
                   customers: Sequence[str] = (), progress: Progress | None = None,
                   workers: int | None = None) -> StatementFiles:
    """One open-item statement PDF per customer with a balance (only ``customers`` when given) in ``folder``.

    Raises MissingToolError before any work when LibreOffice is not installed, ValidationFailed when the book
    has errors, UnknownCustomers for customer ids the book does not know, and ToolFailed naming the statements
    LibreOffice could not convert (the others are written).
    """
    from ..aging import aging
    from ..dates import resolve_as_of
    from ..render import sheets as render
    from ..workbook.pdf import find_soffice, write_pdfs
    from .refresh import load_validated

    say = progress or (lambda _message: None)
    soffice = find_soffice()
    say("reading the input tables")
    ledger = load_validated(adapter).ledger
    date = resolve_as_of(ledger, as_of, today)
    if customers:
        known = set(ledger.customers["customer_id"])
        unknown = [customer for customer in customers if customer not in known]
        if unknown:
            raise UnknownCustomers(unknown)
    say(f"laying out the statements as of {date.isoformat()}")
    report = aging(ledger, date)
    specs = render.statement_sheets(ledger, report)
    if customers:
        wanted = {render.statement_sheet_name(customer, set()) for customer in customers}
        specs = [spec for spec in specs if spec.name in wanted]
    conversion = write_pdfs(specs, folder, soffice=soffice, progress=say, workers=workers)
    _raise_for_failures(conversion, len(specs), folder)
    return StatementFiles(date, folder, conversion.files)


def _raise_for_failures(conversion: Conversion, count: int, folder: Path) -> None:
    from ..errors import ToolFailed

    if not conversion.failed:
        return
    names = ", ".join(conversion.failed[:5]) + (f" and {len(conversion.failed) - 5:,} more"
                                                 if len(conversion.failed) > 5 else "")
    raise ToolFailed(f"LibreOffice could not convert {len(conversion.failed):,} of {count:,} statement(s) "
                     f"({names}): {conversion.detail or 'no message'}; the other {len(conversion.files):,} "
                     f"are in {folder}")


def customer_statement_pdfs(ledger: Ledger, as_of: dt.date, customer_ids: Sequence[str], folder: Path, *,
                            soffice: str, progress: Progress | None = None) -> tuple[dict[str, bytes], str]:
    """Customer id -> the PDF of its open-item statement, for those of ``customer_ids`` with open items (the
    files are written in ``folder``, a scratch folder), and a note naming those LibreOffice could not convert
    ("" when none)."""
    from ..aging import aging
    from ..render import sheets as render
    from ..workbook.pdf import write_pdfs

    report = aging(ledger, as_of)
    customers = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")
    by_customer = dict(tuple(report.detail.groupby("customer_id", sort=True)))
    taken: set[str] = set()
    owners = [customer_id for customer_id in customer_ids if customer_id in by_customer]
    specs = [render.statement_sheet(ledger, report, customer_id,
                                    customers.loc[customer_id] if customer_id in customers.index else None,
                                    by_customer[customer_id], render.statement_sheet_name(customer_id, taken))
             for customer_id in owners]
    conversion = write_pdfs(specs, folder, soffice=soffice, progress=progress)
    pdfs = {owner: file.read_bytes() for owner, file in zip(owners, conversion.pdfs, strict=True)
            if file is not None}
    note = ""
    if conversion.failed:
        note = (f"LibreOffice could not convert the statements {', '.join(conversion.failed)} "
                f"({conversion.detail or 'no message'}); those letters are written without one")
    return pdfs, note


def _activity_statements(ledger: Ledger, start: dt.date, end: dt.date, customers: Sequence[str]
                         ) -> list[ActivityStatement]:
    """The activity statements of ``customers`` (default: every customer with something to show)."""
    from ..render.activity import has_activity
    from ..statements import activity_statement

    if end < start:
        raise ArxlError(f"the statement period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    known = list(dict.fromkeys(ledger.customers["customer_id"].astype(str)))
    if customers:
        unknown = [customer for customer in customers if customer not in set(known)]
        if unknown:
            raise UnknownCustomers(unknown)
        return [activity_statement(ledger, customer, start, end) for customer in customers]
    statements = [activity_statement(ledger, customer, start, end) for customer in sorted(known)]
    return [statement for statement in statements if has_activity(statement)]


def activity_sheets(adapter: BookAdapter, *, start: dt.date, end: dt.date | None, today: dt.date,
                    customers: Sequence[str] = (), progress: Progress | None = None,
                    discard_edits: bool = False) -> ActivityWritten:
    """Write one ``AS`` activity statement sheet per customer into the book, replacing the earlier ones (an
    earlier one someone typed in stops the run, EditsFound, unless ``discard_edits``)."""
    from ..dates import resolve_as_of
    from ..ownership import ACTIVITY_KEY
    from ..render.activity import activity_statement_sheets
    from ..render.layout import finish_all
    from .refresh import load_validated
    from .sheets import unedited

    say = progress or (lambda _message: None)
    with adapter.hold():
        say("reading the input tables")
        ledger = load_validated(adapter).ledger
        book = unedited(adapter, [ACTIVITY_KEY], discard_edits)
        last = resolve_as_of(ledger, end, today)
        say(f"activity statements from {start.isoformat()} to {last.isoformat()}")
        specs = finish_all(activity_statement_sheets(ledger, _activity_statements(ledger, start, last, customers)),
                           ledger.settings)
        committed = adapter.commit((), specs, [ACTIVITY_KEY], keep_backups=ledger.settings.backups, book=book)
    return ActivityWritten(start, last, [committed.names.get(spec.key, spec.name) for spec in specs],
                           list(committed.removed), committed.backup)


def activity_pdfs(adapter: BookAdapter, folder: Path, *, start: dt.date, end: dt.date | None, today: dt.date,
                  customers: Sequence[str] = (), progress: Progress | None = None,
                  workers: int | None = None) -> StatementFiles:
    """One activity statement PDF per customer (rules in the module docstring) in ``folder``; the book is not
    changed. MissingToolError before any work when LibreOffice is not installed."""
    from ..dates import resolve_as_of
    from ..render.activity import activity_statement_sheets
    from ..render.layout import finish_all
    from ..workbook.pdf import find_soffice, write_pdfs
    from .refresh import load_validated

    say = progress or (lambda _message: None)
    soffice = find_soffice()
    say("reading the input tables")
    ledger = load_validated(adapter).ledger
    last = resolve_as_of(ledger, end, today)
    specs = finish_all(activity_statement_sheets(ledger, _activity_statements(ledger, start, last, customers)),
                       ledger.settings)
    conversion = write_pdfs(specs, folder, soffice=soffice, progress=say, workers=workers)
    _raise_for_failures(conversion, len(specs), folder)
    return StatementFiles(last, folder, conversion.files)
