"""Dunning letters: one per customer whose next letter is due (``arxl.collections.letters``), written as ``.eml``
and ``.txt`` files (``arxl.render.letters``) with the customer's statement PDF attached when LibreOffice is
installed, and logged in the Activity table so that the next run escalates from them.

Rules:

- **The sender** is Settings ``company_email`` (``sender`` overrides it), the Reply-To Settings ``reply_to``
  (blank: the sender) and the signature Settings ``letter_signature`` (blank: ``company_name``). Letters are
  refused (``LettersRefused``, nothing written) while the sender is blank or not an address, or while
  ``company_name`` is still the template's placeholder: a letter from a made-up company or address helps no
  one.
- **Logging**: each letter appends one Activity row (date = the letters' date, the customer, action ``letter``,
  the invoice its fee is charged on, else its oldest listed item, and the note ``Dunning letter level N (name):
  ...``), in one commit of the book, after the files are written (a letter written but not logged is
  harmless: the next run writes it again; a letter logged but never written would escalate a customer who got
  nothing). A letter already logged (same date, customer and level) is not logged again, so a second run at the
  same date writes the same letters and appends nothing. ``dry_run`` writes the files and logs nothing.
- Logging needs an Activity table, and letters dated on or before Settings ``closed_through`` cannot be logged
  (the period is closed): both are refused before anything is written; ``dry_run`` still writes the files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArxlError

if TYPE_CHECKING:
    import pandas as pd

    from ..collections import Letter
    from ..ledger import Ledger
    from .refresh import AppendedRow, BookAdapter, Progress

PLACEHOLDER_COMPANY = "Your Company Ltd"
"""The template's company name (Settings' default): letters are refused while the book still says it."""


class LettersRefused(ArxlError):
    """The letters cannot be written or logged as asked; the message says what to change. Nothing was written."""


@dataclass(frozen=True)
class LettersWritten:
    """What the letters verb wrote.

    Attributes:
        as_of: the letters' date.
        folder: where the files are.
        files: the ``.eml`` and ``.txt`` file of each letter, in customer order.
        letters: how many letters.
        attached: how many carry the customer's statement PDF.
        warnings: what the user should know about particular letters (a placeholder left as typed, no valid
            email address), in customer order.
        notes: about the run as a whole (LibreOffice missing: no PDFs).
        logged: Activity rows appended (0 with ``dry_run``).
        already_logged: letters whose Activity row was there already.
        dry_run: nothing was logged on purpose.
        appended: the Activity rows appended, each with its Excel row and values.
        backup: the backup of the book file, if one was made.
    """

    as_of: dt.date
    folder: Path
    files: list[Path]
    letters: int
    attached: int
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    logged: int = 0
    already_logged: int = 0
    dry_run: bool = False
    appended: tuple[AppendedRow, ...] = ()
    backup: Path | None = None


def _sender(ledger: Ledger, given: str | None) -> str:
    """The From address, or LettersRefused saying what to fill in."""
    from ..render.letters import parse_address

    settings = ledger.settings
    if settings.company_name.strip() in ("", PLACEHOLDER_COMPANY):
        raise LettersRefused(f'Settings company_name is "{settings.company_name}", the template\'s placeholder: '
                             "type your company's name before writing letters")
    address = (given or settings.company_email).strip()
    if not address:
        raise LettersRefused("Settings company_email is blank: type the address letters come from (or pass "
                             "--from) before writing letters")
    if parse_address("", address) is None:
        raise LettersRefused(f'"{address}" is not an email address (expected an address such as '
                             "ar@yourcompany.com in Settings company_email)")
    if settings.reply_to.strip() and parse_address("", settings.reply_to) is None:
        raise LettersRefused(f'Settings reply_to: "{settings.reply_to}" is not an email address')
    return address


def activity_rows(letters: list[Letter], as_of: dt.date) -> pd.DataFrame:
    """One Activity row per letter, as ``arxl letters`` logs them (the level in the note)."""
    import numpy as np
    import pandas as pd

    from ..collections import money_text

    notes, invoices = [], []
    for letter in letters:
        listed = ", ".join(letter.items["document_id"].astype(str).tolist())
        owed = "; ".join(f"{money_text(amount, code)} {code}" for code, amount in letter.totals.items())
        fee = f"; fee {money_text(letter.fee, letter.fee_currency)} {letter.fee_currency}" if letter.fee else ""
        notes.append(f"Dunning letter level {letter.level} ({letter.level_name}): {listed}; {owed}{fee}")
        invoices.append(letter.fee_invoice or str(letter.items["document_id"].iloc[0]))
    return pd.DataFrame({
        "date": np.full(len(letters), np.datetime64(as_of, "s")),
        "customer_id": [letter.customer_id for letter in letters],
        "invoice_id": invoices,
        "action": ["letter"] * len(letters),
        "note": notes,
    })


def _logged_already(ledger: Ledger, letters: list[Letter], as_of: dt.date) -> list[bool]:
    """For each letter: whether Activity already has a letter row of that date, customer and level."""
    import pandas as pd

    from ..collections import dunning_levels, named_levels

    activity = ledger.activity
    rows = activity[(activity["action"] == "letter").to_numpy()
                    & (activity["date"] == pd.Timestamp(as_of)).to_numpy()]
    levels = dunning_levels(ledger)
    positions = named_levels(rows["note"], levels)
    numbers = levels["level"].to_numpy()
    logged = {(str(customer), int(numbers[position])) for customer, position in
              zip(rows["customer_id"], positions, strict=True) if position >= 0}
    return [(letter.customer_id, letter.level) in logged for letter in letters]


def write_letters(adapter: BookAdapter, folder: Path, *, as_of: dt.date | None, today: dt.date,
                  sender: str | None = None, attach: bool = True, dry_run: bool = False,
                  progress: Progress | None = None, now: dt.datetime | None = None) -> LettersWritten:
    """Write the letters into ``folder`` (created if needed) and log them (rules in the module docstring); the
    Activity rows logged go to the Audit sheet (``now`` dates them), with any edit made in the book since arxl
    last wrote it.

    Raises ValidationFailed when the book has errors and LettersRefused when the letters cannot be written or
    logged as asked; either way nothing is written.
    """
    from contextlib import nullcontext

    from ..contract import ACTIVITY
    from ..dates import resolve_as_of
    from ..errors import ValidationFailed
    from . import audit
    from .refresh import Append, appended_rows, read_validated

    say = progress or (lambda _message: None)
    with nullcontext() if dry_run else adapter.hold():
        say("reading the input tables")
        loaded, tables = read_validated(adapter)
        ledger = loaded.ledger
        date = resolve_as_of(ledger, as_of, today)
        address = _sender(ledger, sender)
        closed = ledger.settings.closed_through
        if not dry_run and "Activity" not in tables:
            raise LettersRefused("the book has no Activity table to log the letters in: add one (arxl new makes "
                                 "a book with it), or pass --dry-run to write the letters without logging them")
        if not dry_run and closed is not None and date <= closed:
            raise LettersRefused(f"the letters' date {date.isoformat()} is on or before closed_through "
                                 f"{closed.isoformat()}: letters of a closed period cannot be logged (pass "
                                 "--dry-run to write them without logging)")
        if not dry_run:  # an edit the closed period refuses stops the run before any file is written
            book = adapter.generated()
            step = audit.compare(book, tables, adapter.inputs_fingerprint())
            if step.problems:
                raise ValidationFailed(step.problems)
        written, files, warnings, notes, attached = _write_files(ledger, date, folder, address, attach, say)
        already = _logged_already(ledger, written, date)
        fresh = [letter for letter, logged in zip(written, already, strict=True) if not logged]
        appended: tuple[AppendedRow, ...] = ()
        backup = None
        if fresh and not dry_run:
            say(f"logging {len(fresh)} letter(s) in Activity")
            append = Append(ACTIVITY, activity_rows(fresh, date))
            activity = tables[ACTIVITY.name]
            audit.add_own(step, ACTIVITY.name, append.rows, "arxl letters (letters logged)",
                          activity.first_row + len(activity))
            audit_spec, extra = audit.finish(adapter, book, step, company=ledger.settings.company_name,
                                             now=now, settings=ledger.settings)
            committed = adapter.commit([append], [audit_spec] if audit_spec else [],
                                       keep_backups=max(int(ledger.settings.backups), 1), book=book,
                                       state_extra=extra)
            appended = tuple(appended_rows(append, committed.first_rows[0]))
            backup = committed.backup
    return LettersWritten(date, folder, files, len(written), attached, warnings, notes,
                          logged=len(appended), already_logged=sum(already), dry_run=dry_run, appended=appended,
                          backup=backup)


def _write_files(ledger: Ledger, date: dt.date, folder: Path, sender: str, attach: bool,
                 say: Progress) -> tuple[list[Letter], list[Path], list[str], list[str], int]:
    """Build the letters and write their files: (letters, files, warnings, notes, letters with a PDF)."""
    import tempfile
    from email.policy import SMTP

    from ..collections import letters as build_letters
    from ..errors import MissingToolError
    from ..render.letters import file_stem, letter_message, letter_text
    from .statements import customer_statement_pdfs

    written = build_letters(ledger, date)
    folder.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    warnings: list[str] = []
    files: list[Path] = []
    settings = ledger.settings
    with tempfile.TemporaryDirectory(prefix="arxl-letters-") as scratch:
        pdfs: dict[str, bytes] = {}
        if attach and written:
            from ..workbook.pdf import find_soffice

            try:
                soffice = find_soffice()
            except MissingToolError as missing:
                notes.append(f"{missing}; the letters are written without statement PDFs")
            else:
                pdfs, note = customer_statement_pdfs(ledger, date, [letter.customer_id for letter in written],
                                                     Path(scratch), soffice=soffice, progress=say)
                if note:
                    notes.append(note)
        taken: set[str] = set()
        for letter in written:
            message, message_warnings = letter_message(letter, company=settings.company_name, sender=sender,
                                                       reply_to=settings.reply_to, as_of=date,
                                                       pdf=pdfs.get(letter.customer_id))
            stem = file_stem(letter.customer_id, taken)
            (folder / f"{stem}.eml").write_bytes(message.as_bytes(policy=SMTP))
            (folder / f"{stem}.txt").write_text(letter_text(letter, ledger, date), encoding="utf-8")
            files += [folder / f"{stem}.eml", folder / f"{stem}.txt"]
            warnings += [*letter.warnings, *message_warnings]
    attached = sum(letter.customer_id in pdfs for letter in written)
    return written, files, warnings, notes, attached
