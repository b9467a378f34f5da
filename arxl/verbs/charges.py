"""Charges in two steps: propose the late fees of the letters sent and the finance charges due, then post the
reviewed proposals as Adjustments rows.

``propose`` writes ``arxl.postings.posting_proposals`` to the generated ``Charges`` sheet
(``arxl.render.collections.charges_sheet``): one row per proposed Adjustments row, its **Accept** column ``yes``
unless the closed period refuses it. Typing ``yes`` (or ``y``, ``x``, TRUE) in the column accepts a row,
clearing the cell leaves it.

``accept`` appends accepted proposals to the Adjustments table in one commit of the book and rewrites the
review sheet (when the book has it) with what is still to post:

- ``marked=False`` (``arxl charges --accept``): every proposal the closed period allows;
- ``marked=True`` (the ribbon's Accept charges): the rows marked on the review sheet, matched to today's
  proposals by adjustment_id (a marked row no longer proposed is listed in ``stale``).

Adjustments rows are written the way a user types them: the amount in major units of the invoice's currency,
the date, the type (``late_fee`` or ``finance_charge``) and the reason. A proposal whose adjustment_id is already
in the Adjustments table is not proposed again, so accepting twice appends nothing the second time; a proposal
dated on or before Settings ``closed_through`` is never appended (``refused`` says why). ``Posted.appended``
lists every row appended (table, Excel row, values) for an audit trail. Both steps keep a backup of a book
file whatever Settings ``backups`` says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .apply import ACCEPT_MARKS

if TYPE_CHECKING:
    import pandas as pd

    from ..ledger import Ledger
    from ..render.spec import SheetSpec
    from .refresh import AppendedRow, BookAdapter, Progress

_REVIEW_HEADERS = ("Adjustment", "Accept")


@dataclass(frozen=True)
class ChargesProposed:
    """The review sheet written: how many late fees and finance charges, how many the closed period refuses."""

    as_of: dt.date
    sheet: str
    late_fees: int
    finance_charges: int
    refused: int
    backup: Path | None = None


@dataclass(frozen=True)
class Posted:
    """What the accept appended.

    Attributes:
        as_of: the date the proposals were made at.
        rows: Adjustments rows appended (0: nothing to append, nothing written).
        first_row: the Excel row of the first of them (0 when none).
        backup: the backup of the book file, if one was made.
        stale: marked rows no longer proposed (adjustment ids), skipped.
        refused: proposals the closed period refuses, as ``adjustment_id: why``.
        review_missing: ``marked`` was asked but the book has no review sheet (propose first).
        appended: the rows appended, each with its table, Excel row and values.
    """

    as_of: dt.date
    rows: int
    first_row: int
    backup: Path | None = None
    stale: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    review_missing: bool = False
    appended: tuple[AppendedRow, ...] = ()


def propose(adapter: BookAdapter, *, as_of: dt.date | None, today: dt.date, since: dt.date | None = None,
            progress: Progress | None = None, discard_edits: bool = False) -> ChargesProposed:
    """Write the proposals to the Charges sheet; ValidationFailed (nothing written) when the book has errors,
    or when the Charges sheet was edited (other than its Accept column) and ``discard_edits`` is not given."""
    from ..dates import resolve_as_of
    from ..postings import posting_proposals
    from ..render.collections import CHARGES_KEY, charges_sheet
    from ..render.layout import finish
    from .refresh import load_validated
    from .sheets import unedited

    say = progress or (lambda _message: None)
    with adapter.hold():
        say("reading the input tables")
        ledger = load_validated(adapter).ledger
        book = unedited(adapter, [CHARGES_KEY], discard_edits)
        date = resolve_as_of(ledger, as_of, today)
        say(f"proposing late fees and finance charges as of {date.isoformat()}")
        proposals = posting_proposals(ledger, date, since=since)
        spec = finish(charges_sheet(ledger, date, proposals), ledger.settings)
        committed = adapter.commit((), [spec], [CHARGES_KEY], keep_backups=max(int(ledger.settings.backups), 1),
                                   book=book)
    fees = int((proposals["type"] == "late_fee").sum())
    return ChargesProposed(date, committed.names[CHARGES_KEY], fees, len(proposals) - fees,
                           int((proposals["refused"] != "").sum()), committed.backup)


def accept(adapter: BookAdapter, *, as_of: dt.date | None, today: dt.date, marked: bool = False,
           since: dt.date | None = None, progress: Progress | None = None, discard_edits: bool = False,
           now: dt.datetime | None = None) -> Posted:
    """Append the accepted proposals to Adjustments (see the module docstring for which ones); what is appended
    is recorded on the Audit sheet (``now`` dates it), with any edit made in the book since arxl last wrote it."""
    from ..postings import posting_proposals
    from ..render.collections import CHARGES_KEY, charges_sheet

    return accept_adjustments(
        adapter, key=CHARGES_KEY, proposals_at=lambda ledger, date: posting_proposals(ledger, date, since=since),
        sheet_of=charges_sheet, finding="proposing late fees and finance charges",
        source="arxl charges (late fees and finance charges)", as_of=as_of, today=today, marked=marked,
        progress=progress, discard_edits=discard_edits, now=now)


def accept_adjustments(adapter: BookAdapter, *, key: str,
                       proposals_at: Callable[[Ledger, dt.date], pd.DataFrame],
                       sheet_of: Callable[[Ledger, dt.date, pd.DataFrame], SheetSpec], finding: str, source: str,
                       as_of: dt.date | None, today: dt.date, marked: bool, progress: Progress | None,
                       discard_edits: bool, now: dt.datetime | None) -> Posted:
    """The accept step of a review sheet of Adjustments rows to post (charges, small balances): the proposals
    ``proposals_at`` makes (``POSTING_COLUMNS``), all those the closed period allows or, with ``marked``, those
    marked on the sheet keyed ``key``; appended in one commit, logged on the Audit sheet with ``source``, the
    review sheet (``sheet_of``) rewritten with what is still to post."""
    from ..contract import ADJUSTMENTS
    from ..dates import resolve_as_of
    from ..errors import ValidationFailed
    from ..render.layout import finish
    from . import audit
    from .refresh import Append, appended_rows, check_appends, read_validated
    from .sheets import unedited

    say = progress or (lambda _message: None)
    with adapter.hold():
        say("reading the input tables")
        loaded, raw = read_validated(adapter)
        ledger = loaded.ledger
        book = unedited(adapter, [key], discard_edits)
        step = audit.compare(book, raw, adapter.inputs_fingerprint())
        if step.problems:
            raise ValidationFailed(step.problems)
        date = resolve_as_of(ledger, as_of, today)
        say(f"{finding} as of {date.isoformat()}")
        proposals = proposals_at(ledger, date)
        review_sheet = book.name_of(key)
        stale: list[str] = []
        if not marked:
            selected = proposals["adjustment_id"].notna().to_numpy()
        elif review_sheet is None:
            return Posted(date, 0, 0, review_missing=True)
        else:
            marks = marked_ids(adapter.sheet_values(review_sheet) or [])
            selected = proposals["adjustment_id"].isin(marks).to_numpy()
            stale = sorted(marks - set(proposals["adjustment_id"]))
        allowed = (proposals["refused"] == "").to_numpy()
        refused = [f"{row.adjustment_id}: {row.refused}"
                   for row in proposals[selected & ~allowed].itertuples(index=False)]
        rows = proposals[selected & allowed]
        if rows.empty:
            return Posted(date, 0, 0, stale=stale, refused=refused)
        say(f"appending {len(rows)} row(s) to Adjustments")
        specs: list[SheetSpec] = []
        replace: list[str] = []
        if review_sheet is not None:
            remaining = proposals[~proposals["adjustment_id"].isin(set(rows["adjustment_id"]))]
            specs = [finish(sheet_of(ledger, date, remaining), ledger.settings)]
            replace = [key]
        append = Append(ADJUSTMENTS, adjustments_frame(rows))
        check_appends(loaded, raw, [append])  # the book as it will be still loads: else nothing is written
        adjustments = raw.get(ADJUSTMENTS.name)
        first = adjustments.first_row + len(adjustments) if adjustments is not None else 2
        audit.add_own(step, ADJUSTMENTS.name, append.rows, source, first)
        audit_spec, extra = audit.finish(adapter, book, step, company=ledger.settings.company_name,
                                         now=now, settings=ledger.settings)
        specs += [audit_spec] if audit_spec else []
        committed = adapter.commit([append], specs, replace, keep_backups=max(int(ledger.settings.backups), 1),
                                   book=book, state_extra=extra)
    return Posted(date, len(rows), committed.first_rows[0], committed.backup, stale, refused,
                  appended=tuple(appended_rows(append, committed.first_rows[0])))


def marked_ids(values: list[list[object]]) -> set[str]:
    """The adjustment ids marked accepted on the review sheet, given its values from A1: the rows below the
    header row that holds Adjustment and Accept."""
    marks: set[str] = set()
    columns: dict[str, int] | None = None
    for row in values:
        cells = ["" if cell is None else ("true" if cell is True else "" if cell is False else str(cell).strip())
                 for cell in row]
        if columns is None:
            if all(header in cells for header in _REVIEW_HEADERS):
                columns = {header: cells.index(header) for header in _REVIEW_HEADERS}
            continue
        identifier, mark = (cells[columns[header]] if columns[header] < len(cells) else ""
                            for header in _REVIEW_HEADERS)
        if identifier and mark.casefold() in ACCEPT_MARKS:
            marks.add(identifier)
    return marks


def adjustments_frame(proposals: pd.DataFrame) -> pd.DataFrame:
    """Proposals as Adjustments rows the way a user types them: amounts in major units of the invoice's
    currency, dates as dates."""
    import pandas as pd

    from ..money import to_major_floats

    return pd.DataFrame({
        "adjustment_id": proposals["adjustment_id"].astype(object).to_numpy(),
        "invoice_id": proposals["invoice_id"].astype(object).to_numpy(),
        "date": proposals["date"].to_numpy(dtype="datetime64[s]"),
        "type": proposals["type"].astype(object).to_numpy(),
        "amount": to_major_floats(proposals["amount"], proposals["currency"]),
        "reason": proposals["reason"].astype(object).to_numpy(),
    })
