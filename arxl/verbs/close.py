"""Closing a period: ``arxl close BOOK --through DATE``.

The book must be valid and every check must pass at DATE (a close freezes figures that are right); the close may
only move forward (a later date than Settings ``closed_through``). It then, in one save:

- appends to the Assertions table the balance of every customer with one at DATE (per currency) and the whole
  ledger's (a row with no customer: the control account, in the reporting currency when every currency converts,
  else per currency), noted ``closed through DATE``, so that a later change to the closed period is also caught
  by arithmetic on the Checks sheet;
- sets Settings ``closed_through`` to DATE (the row's value, or a new Settings row), after which a change to a
  row dated on or before it stops every run (``arxl.audit``);
- records the close on the Audit sheet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArxlError, ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from ..ledger import Ledger
    from ..load import RawTable
    from .audit import AuditStep
    from .refresh import Append, BookAdapter, Progress

CLOSED_NOTE = "closed through {date} (arxl close)"


@dataclass(frozen=True)
class Closed:
    """What the close did: the date, the assertions appended (and from which Excel row), the backup."""

    through: dt.date
    assertions: int
    first_row: int
    previous: dt.date | None
    backup: Path | None = None


def close(adapter: BookAdapter, *, through: dt.date, today: dt.date, now: dt.datetime,
          progress: Progress | None = None) -> Closed:
    """Close the period up to ``through`` (see the module docstring); ValidationFailed when the book has errors
    or a check fails at ``through``, ArxlError when the close would move back or the book lacks a table."""
    from ..contract import ASSERTIONS, SETTINGS
    from ..load import load_tables
    from ..problems import sort_problems
    from . import audit
    from .check import failed_check_problems
    from .refresh import Append, SetCell

    say = progress or (lambda _message: None)
    with adapter.hold():
        say("reading the input tables")
        raw, date1904, found = adapter.read_tables()
        book = adapter.generated()
        step = audit.compare(book, raw, adapter.inputs_fingerprint())
        loaded = load_tables(raw, date1904=date1904)
        problems = sort_problems(found + step.problems + loaded.problems)
        if any(problem.is_error for problem in problems):
            raise ValidationFailed(problems)
        ledger = loaded.ledger
        previous = ledger.settings.closed_through
        if previous is not None and through <= previous:
            raise ArxlError(f"the book is already closed through {previous.isoformat()}; a close only moves "
                            "forward (to reopen a period, change Settings closed_through yourself: the Audit "
                            "sheet records it)")
        if through > today:
            raise ArxlError(f"{through.isoformat()} has not come yet: a period closes once it has ended")
        say(f"checking the book as of {through.isoformat()}")
        failed = failed_check_problems(ledger, through, today)
        if failed:
            raise ValidationFailed(failed)
        if ASSERTIONS.name not in raw:
            raise ArxlError("the book has no Assertions table to record the closing balances in; add one "
                            "(arxl new shows it) and close again")
        assertions = closing_assertions(ledger, through)
        first_row = raw[ASSERTIONS.name].first_row + len(raw[ASSERTIONS.name])
        audit.add_own(step, ASSERTIONS.name, assertions, "arxl close", first_row)
        cells, appends = _closed_through(raw, through, previous, step)
        appends.insert(0, Append(ASSERTIONS, assertions))
        spec, extra = audit.finish(adapter, book, step, company=ledger.settings.company_name,
                                   now=now, settings=ledger.settings)
        say(f"recording the close through {through.isoformat()}")
        committed = adapter.commit(appends, [spec] if spec else [], keep_backups=max(ledger.settings.backups, 1),
                                   book=book, state_extra=extra, cells=[SetCell(SETTINGS, row, "value", value)
                                                                        for row, value in cells])
    return Closed(through, len(assertions), committed.first_rows[0], previous, committed.backup)


def closing_assertions(ledger: Ledger, through: dt.date) -> pd.DataFrame:
    """The Assertions rows a close at ``through`` records: each customer's non-zero balance per currency, and the
    whole ledger's, as a user types them (amounts in major units)."""
    import pandas as pd

    from ..checks import document_balances
    from ..fx import convertible, to_reporting_currency
    from ..money import to_major_floats

    balances = document_balances(ledger, through)
    balances = balances[balances["balance"] != 0].reset_index(drop=True)
    reporting = ledger.settings.reporting_currency
    if convertible(ledger, through):
        per_currency = balances.groupby("currency")["balance"].sum()
        total = int(to_reporting_currency(ledger, per_currency.to_numpy(), per_currency.index.to_numpy(),
                                          through).sum())
        control = pd.DataFrame({"customer_id": [""], "currency": [reporting], "balance": [total]})
    else:
        grouped = balances.groupby("currency")["balance"].sum()
        control = pd.DataFrame({"customer_id": [""] * len(grouped), "currency": grouped.index,
                                "balance": grouped.to_numpy()})
    rows = pd.concat([balances[["customer_id", "currency", "balance"]], control], ignore_index=True)
    note = CLOSED_NOTE.format(date=through.isoformat())
    return pd.DataFrame({
        "customer_id": rows["customer_id"].astype(object).to_numpy(),
        "date": pd.Series([pd.Timestamp(through)] * len(rows), dtype="datetime64[s]").to_numpy(),
        "balance": to_major_floats(rows["balance"].to_numpy(), rows["currency"].to_numpy()),
        "currency": rows["currency"].astype(object).to_numpy(),
        "note": [note] * len(rows),
    })


def _closed_through(raw: Mapping[str, RawTable], through: dt.date, previous: dt.date | None, step: AuditStep
                    ) -> tuple[list[tuple[int, object]], list[Append]]:
    """How Settings ``closed_through`` becomes ``through``: the (row, value) of its existing row, or a new row to
    append; either way recorded on the Audit sheet and taken into the snapshot, so the next run sees no edit."""
    import pandas as pd

    from ..audit import AuditRow
    from ..contract import SETTINGS, normalise_header
    from . import audit
    from .refresh import Append

    settings = raw.get(SETTINGS.name)
    if settings is None:
        raise ArxlError("the book has no Settings table to record closed_through in")
    header = [normalise_header(str(name)) for name in settings.header]
    key_at = header.index("key") if "key" in header else 0
    snapshot = step.tables().get(SETTINGS.name)
    for offset, row in enumerate(settings.cell_rows()):
        if key_at < len(row) and normalise_header(str(row[key_at] or "")) == "closed_through":
            if snapshot is not None:
                at = snapshot["key"].str.strip().str.casefold() == "closed_through"
                snapshot.loc[at, "value"] = through.isoformat()
                step.changed(SETTINGS.name)
            step.lines.append(AuditRow(SETTINGS.name, "closed_through", "value",
                                       previous.isoformat() if previous else "", through.isoformat(), "changed",
                                       "arxl close"))
            return [(settings.first_row + offset, through)], []
    rows = pd.DataFrame({"key": ["closed_through"], "value": [pd.Timestamp(through)],
                         "description": ["Last day of the closed period (set by arxl close)"]})
    audit.add_own(step, SETTINGS.name, rows, "arxl close", settings.first_row + len(settings))
    return [], [Append(SETTINGS, rows)]
