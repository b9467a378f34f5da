"""Small-balance write-offs in two steps, like charges: propose the residues at or below Settings
``write_off_tolerance`` on the ``Small balances`` review sheet, then post the reviewed proposals as Adjustments
rows of type ``small_balance``.

A verb of its own rather than a part of ``arxl charges``: charges add to what customers owe (fees, interest),
small balances take residues off it, and the two are approved by different people against different limits; a
controller accepts write-offs without posting fees at the same time, and the other way round.

``propose`` writes ``arxl.small_balances.small_balance_proposals`` to the sheet
(``arxl.render.credits.small_balances_sheet``): one row per proposed Adjustments row, its **Accept** column
``yes`` unless the closed period refuses it.

``accept`` appends accepted proposals to the Adjustments table in one commit of the book, logs them on the
Audit sheet, and rewrites the review sheet (when the book has it) with what is still to post:

- ``marked=False`` (``arxl small-balances --accept``): every proposal the closed period allows;
- ``marked=True`` (the ribbon's Accept small balances): the rows marked on the review sheet, matched to today's
  proposals by adjustment_id (a marked row no longer proposed is listed in ``stale``).

Accepting twice appends nothing the second time: the residues written off are no longer open, and an
adjustment_id already in Adjustments is never proposed again. A proposal dated on or before Settings
``closed_through`` is never appended. Both steps keep a backup of a book file whatever Settings ``backups``
says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .charges import Posted

if TYPE_CHECKING:
    from .refresh import BookAdapter, Progress


@dataclass(frozen=True)
class SmallBalancesProposed:
    """The review sheet written: how many residues owed (underpaid) and unapplied (overpaid) it proposes, how
    many the closed period refuses, and the tolerance (minor units of ``currency``, the reporting currency)."""

    as_of: dt.date
    sheet: str
    underpaid: int
    overpaid: int
    refused: int
    tolerance: int
    currency: str
    backup: Path | None = None


def propose(adapter: BookAdapter, *, as_of: dt.date | None, today: dt.date, progress: Progress | None = None,
            discard_edits: bool = False) -> SmallBalancesProposed:
    """Write the proposals to the Small balances sheet; ValidationFailed (nothing written) when the book has
    errors, or when that sheet was edited (other than its Accept column) and ``discard_edits`` is not given."""
    from ..dates import resolve_as_of
    from ..render.credits import SMALL_BALANCES_KEY, small_balances_sheet
    from ..render.layout import finish
    from ..small_balances import UNDERPAID, small_balance_proposals
    from .refresh import load_validated
    from .sheets import unedited

    say = progress or (lambda _message: None)
    with adapter.hold():
        say("reading the input tables")
        ledger = load_validated(adapter).ledger
        book = unedited(adapter, [SMALL_BALANCES_KEY], discard_edits)
        date = resolve_as_of(ledger, as_of, today)
        say(f"finding small balances as of {date.isoformat()}")
        proposals = small_balance_proposals(ledger, date)
        spec = finish(small_balances_sheet(ledger, date, proposals), ledger.settings)
        committed = adapter.commit((), [spec], [SMALL_BALANCES_KEY],
                                   keep_backups=max(int(ledger.settings.backups), 1), book=book)
    underpaid = int(proposals["reason"].str.endswith(UNDERPAID).sum())
    return SmallBalancesProposed(date, committed.names[SMALL_BALANCES_KEY], underpaid, len(proposals) - underpaid,
                                 int((proposals["refused"] != "").sum()), int(ledger.settings.write_off_tolerance),
                                 ledger.settings.reporting_currency, committed.backup)


def accept(adapter: BookAdapter, *, as_of: dt.date | None, today: dt.date, marked: bool = False,
           progress: Progress | None = None, discard_edits: bool = False, now: dt.datetime | None = None
           ) -> Posted:
    """Append the accepted proposals to Adjustments (see the module docstring for which ones); what is appended
    is recorded on the Audit sheet (``now`` dates it), with any edit made in the book since arxl last wrote it."""
    from ..render.credits import SMALL_BALANCES_KEY, small_balances_sheet
    from ..small_balances import small_balance_proposals
    from .charges import accept_adjustments

    return accept_adjustments(
        adapter, key=SMALL_BALANCES_KEY, proposals_at=small_balance_proposals, sheet_of=small_balances_sheet,
        finding="finding small balances", source="arxl small-balances (small-balance write-offs)", as_of=as_of,
        today=today, marked=marked, progress=progress, discard_edits=discard_edits, now=now)
