"""Cash application in two steps: propose where unreferenced payments go, then accept the reviewed proposals.

``propose`` writes the proposals of ``arxl.cashapp.propose_applications`` to the generated ``Cash application``
sheet (``arxl.render.collections.cash_application_sheet``): one row per proposed application, with its
confidence, and an **Accept** column that reads ``yes`` where the confidence reaches the threshold (default 0.80)
and is blank elsewhere. The user reviews it: typing ``yes`` (or ``y``, ``x``, TRUE) in the Accept column of a row
accepts it, clearing the cell refuses it.

``accept`` appends accepted proposals to the Applications table in one commit of the book, and rewrites the
review sheet (when the book has it) with the proposals of the payments not accepted, marked afresh. Which
proposals are accepted:

- ``marked=False`` (``arxl apply --accept``): those whose confidence reaches the threshold;
- ``marked=True`` (the ribbon's Accept cash): the rows marked on the review sheet, matched to today's proposals
  by (payment, invoice); the amount is the proposal's. A marked row that is no longer proposed (the payment
  was applied, or the invoice paid, since the sheet was written) is skipped and listed in ``stale``.

Either way a proposal already in the Applications table (same payment, invoice and amount) is never appended
again, and a payment with Applications rows is no longer proposed, so accepting twice appends nothing the
second time. A proposal dated on or before Settings ``closed_through`` is never appended (it would change the
closed period): it is listed in ``refused`` with the reason. Which receipts are reviewed is
``arxl.cashapp``'s rule (still unapplied, or auto-applied in the open period; ``since`` moves the start), and
``Accepted.appended`` lists every row appended (table, Excel row, values) for an audit trail. Applications rows
are written the way a user types them: amounts in major units, the date left blank (a blank date means the
later of the payment's and the invoice's dates, which is the proposal's date).
Marking only some rows of a payment appends those; the rest of its cash is then settled by the usual rules.
Both steps keep a backup of a book file whatever Settings ``backups`` says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..ledger import Ledger
    from ..render.spec import SheetSpec
    from .refresh import AppendedRow, BookAdapter, Progress

DEFAULT_MIN_CONFIDENCE = 0.80
"""Proposals at or above this confidence are marked yes on the review sheet."""

ACCEPT_MARKS = frozenset({"yes", "y", "x", "true"})
"""What the Accept column may hold to accept a row (any case; Excel's TRUE too)."""

_REVIEW_HEADERS = ("Payment", "Invoice", "Accept")


@dataclass(frozen=True)
class Proposed:
    """The review sheet written: how many payments have a proposal, how many of them are marked yes."""

    as_of: dt.date
    sheet: str
    payments: int
    marked: int
    min_confidence: float
    backup: Path | None = None


@dataclass(frozen=True)
class Accepted:
    """What the accept appended.

    Attributes:
        as_of: the date the proposals were made at.
        rows: Applications rows appended (0: nothing to append, nothing written).
        payments: the payments they apply.
        first_row: the Excel row of the first of them (0 when none).
        min_confidence: the threshold.
        backup: the backup of the book file, if one was made.
        stale: marked rows no longer proposed, as ``payment -> invoice``, skipped.
        review_missing: ``marked`` was asked but the book has no review sheet (propose first).
        refused: selected proposals that the closed period refuses (Settings ``closed_through``), left out, as
            ``payment -> invoice: why``.
        appended: the rows appended, each with its table, Excel row and values.
    """

    as_of: dt.date
    rows: int
    payments: int
    first_row: int
    min_confidence: float
    backup: Path | None = None
    stale: list[str] = field(default_factory=list)
    review_missing: bool = False
    refused: list[str] = field(default_factory=list)
    appended: tuple[AppendedRow, ...] = ()


def propose(adapter: BookAdapter, *, as_of: dt.date | None, today: dt.date,
            min_confidence: float = DEFAULT_MIN_CONFIDENCE, since: dt.date | None = None,
            progress: Progress | None = None, discard_edits: bool = False) -> Proposed:
    """Write the proposals to the review sheet; ValidationFailed (nothing written) when the book has errors,
    or when the review sheet was edited (other than its Accept column) and ``discard_edits`` is not given."""
    from ..cashapp import propose_applications
    from ..dates import resolve_as_of
    from ..render.collections import CASH_APPLICATION_KEY, cash_application_sheet
    from ..render.layout import finish
    from .refresh import load_validated
    from .sheets import unedited

    say = progress or (lambda _message: None)
    with adapter.hold():
        say("reading the input tables")
        ledger = load_validated(adapter).ledger
        book = unedited(adapter, [CASH_APPLICATION_KEY], discard_edits)
        date = resolve_as_of(ledger, as_of, today)
        say(f"proposing applications as of {date.isoformat()}")
        proposals = propose_applications(ledger, date, since=since)
        chosen = (_confident(proposals, min_confidence) & ~_already_applied(ledger, proposals)
                  & _acceptable(proposals))
        spec = finish(cash_application_sheet(ledger, date, proposals, min_confidence), ledger.settings)
        committed = adapter.commit((), [spec], [CASH_APPLICATION_KEY], keep_backups=_backups(ledger), book=book)
    return Proposed(date, committed.names[CASH_APPLICATION_KEY], int(proposals["payment_id"].nunique()),
                    int(proposals.loc[chosen, "payment_id"].nunique()), min_confidence, committed.backup)


def accept(adapter: BookAdapter, *, as_of: dt.date | None, today: dt.date,
           min_confidence: float = DEFAULT_MIN_CONFIDENCE, marked: bool = False, since: dt.date | None = None,
           progress: Progress | None = None, discard_edits: bool = False,
           now: dt.datetime | None = None) -> Accepted:
    """Append the accepted proposals to Applications (see the module docstring for which ones). Proposals the
    closed period refuses (dated on or before Settings ``closed_through``) are left out and listed in
    ``refused``; what is appended is recorded on the Audit sheet (``now`` dates it), with any edit made in the
    book since arxl last wrote it."""
    from ..cashapp import propose_applications
    from ..contract import APPLICATIONS
    from ..dates import resolve_as_of
    from ..errors import ValidationFailed
    from ..render.collections import CASH_APPLICATION_KEY, cash_application_sheet
    from ..render.layout import finish
    from . import audit
    from .refresh import Append, appended_rows, check_appends, read_validated
    from .sheets import unedited

    say = progress or (lambda _message: None)
    with adapter.hold():
        say("reading the input tables")
        loaded, raw = read_validated(adapter)
        ledger = loaded.ledger
        book = unedited(adapter, [CASH_APPLICATION_KEY], discard_edits)
        step = audit.compare(book, raw, adapter.inputs_fingerprint())
        if step.problems:
            raise ValidationFailed(step.problems)
        date = resolve_as_of(ledger, as_of, today)
        say(f"proposing applications as of {date.isoformat()}")
        proposals = propose_applications(ledger, date, since=since)
        review_sheet = book.name_of(CASH_APPLICATION_KEY)
        reviewed = review_sheet is not None
        stale: list[str] = []
        if not marked:
            selected = _confident(proposals, min_confidence)
        elif not reviewed:
            return Accepted(date, 0, 0, 0, min_confidence, review_missing=True)
        else:
            marks = marked_rows(adapter.sheet_values(review_sheet) or [])
            selected, stale = _selected_by_marks(proposals, marks)
        fresh = selected & ~_already_applied(ledger, proposals)
        acceptable = _acceptable(proposals)
        refused = [f"{row.payment_id} -> {row.invoice_id}: {row.refused}"
                   for row in proposals[fresh & ~acceptable].itertuples(index=False)]
        rows = proposals[fresh & acceptable]
        if rows.empty:
            return Accepted(date, 0, 0, 0, min_confidence, stale=stale, refused=refused)
        say(f"appending {len(rows)} row(s) to Applications")
        specs: list[SheetSpec] = []
        replace: list[str] = []
        if reviewed:
            remaining = proposals[~proposals["payment_id"].isin(set(rows["payment_id"]))]
            specs = [finish(cash_application_sheet(ledger, date, remaining, min_confidence), ledger.settings)]
            replace = [CASH_APPLICATION_KEY]
        append = Append(APPLICATIONS, applications_frame(rows))
        check_appends(loaded, raw, [append])  # the book as it will be still loads: else nothing is written
        applications = raw.get(APPLICATIONS.name)
        first = applications.first_row + len(applications) if applications is not None else 2
        audit.add_own(step, APPLICATIONS.name, append.rows, "arxl apply (cash application accepted)", first)
        audit_spec, extra = audit.finish(adapter, book, step, company=ledger.settings.company_name,
                                         now=now, settings=ledger.settings)
        specs += [audit_spec] if audit_spec else []
        committed = adapter.commit([append], specs, replace, keep_backups=_backups(ledger), book=book,
                                   state_extra=extra)
    return Accepted(date, len(rows), int(rows["payment_id"].nunique()), committed.first_rows[0], min_confidence,
                    committed.backup, stale, refused=refused,
                    appended=tuple(appended_rows(append, committed.first_rows[0])))


def marked_rows(values: list[list[object]]) -> set[tuple[str, str]]:
    """(payment, invoice) of every row marked accepted on the review sheet, given the sheet's values from A1: the
    rows below the header row that holds Payment, Invoice and Accept."""
    marks: set[tuple[str, str]] = set()
    columns: dict[str, int] | None = None
    for row in values:
        cells = [_text(cell) for cell in row]
        if columns is None:
            if all(header in cells for header in _REVIEW_HEADERS):
                columns = {header: cells.index(header) for header in _REVIEW_HEADERS}
            continue
        payment, invoice, mark = (cells[columns[header]] if columns[header] < len(cells) else ""
                                  for header in _REVIEW_HEADERS)
        if payment and invoice and mark.casefold() in ACCEPT_MARKS:
            marks.add((payment, invoice))
    return marks


def _text(cell: object) -> str:
    """A cell as the text it shows: ids typed over as numbers (``1001.0``) read back as ``1001``."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _selected_by_marks(proposals: pd.DataFrame, marks: set[tuple[str, str]]) -> tuple[np.ndarray, list[str]]:
    import numpy as np

    keys = list(zip(proposals["payment_id"].astype(str), proposals["invoice_id"].astype(str), strict=True))
    selected = np.array([key in marks for key in keys], dtype=bool)
    proposed = set(keys)
    stale = [f"{payment} -> {invoice}" for payment, invoice in sorted(marks - proposed)]
    return selected, stale


def _confident(proposals: pd.DataFrame, min_confidence: float) -> np.ndarray:
    import numpy as np

    return proposals["confidence"].to_numpy(dtype=np.float64) >= min_confidence


def _acceptable(proposals: pd.DataFrame) -> np.ndarray:
    """Proposals the closed period does not refuse."""
    import numpy as np

    return proposals["refused"].to_numpy(dtype=object) == "" if "refused" in proposals else \
        np.ones(len(proposals), dtype=bool)


def _backups(ledger: Ledger) -> int:
    return max(int(ledger.settings.backups), 1)


def applications_frame(proposals: pd.DataFrame) -> pd.DataFrame:
    """Proposals as Applications rows the way a user types them: amounts in major units. The date is left
    blank: a proposal's date is the later of the payment's and the invoice's dates, which is what a blank
    date means, and a blank cannot show up as a bare serial number in a column without a date format."""
    import pandas as pd

    from ..money import to_major_floats

    return pd.DataFrame({
        "payment_id": proposals["payment_id"].astype(object).to_numpy(),
        "invoice_id": proposals["invoice_id"].astype(object).to_numpy(),
        "amount": to_major_floats(proposals["amount"], proposals["currency"]),
    })


def _already_applied(ledger: Ledger, proposals: pd.DataFrame) -> np.ndarray:
    """Which proposals are already rows of the Applications table (same payment, invoice and amount)."""
    import numpy as np
    import pandas as pd

    columns = ["payment_id", "invoice_id", "amount"]
    if ledger.applications.empty or proposals.empty:
        return np.zeros(len(proposals), dtype=bool)
    existing = pd.MultiIndex.from_frame(ledger.applications[columns].astype(object))
    return pd.MultiIndex.from_frame(proposals[columns].astype(object)).isin(existing)
