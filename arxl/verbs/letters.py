"""Dunning letters: one per customer with overdue items, at its highest level, written as ``.eml`` and ``.txt``
files (``arxl.render.letters``), the customer's statement PDF attached when LibreOffice is installed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .refresh import BookAdapter, Progress

DEFAULT_SENDER = "accounts.receivable@example.invalid"
"""The From address when none is given: a reserved domain, so nothing is ever sent from it by mistake."""


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
    """

    as_of: dt.date
    folder: Path
    files: list[Path]
    letters: int
    attached: int
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def write_letters(adapter: BookAdapter, folder: Path, *, as_of: dt.date | None, today: dt.date,
                  sender: str = DEFAULT_SENDER, attach: bool = True,
                  progress: Progress | None = None) -> LettersWritten:
    """Write the letters into ``folder`` (created if needed); ValidationFailed when the book has errors."""
    import tempfile
    from email.policy import SMTP

    from ..collections import letters as build_letters
    from ..dates import resolve_as_of
    from ..errors import MissingToolError
    from ..render.letters import file_stem, letter_message, letter_text
    from .refresh import load_validated
    from .statements import customer_statement_pdfs

    say = progress or (lambda _message: None)
    say("reading the input tables")
    ledger = load_validated(adapter).ledger
    date = resolve_as_of(ledger, as_of, today)
    written = build_letters(ledger, date)
    folder.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    warnings: list[str] = []
    files: list[Path] = []
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
            message, message_warnings = letter_message(letter, company=ledger.settings.company_name, sender=sender,
                                                       as_of=date, pdf=pdfs.get(letter.customer_id))
            stem = file_stem(letter.customer_id, taken)
            (folder / f"{stem}.eml").write_bytes(message.as_bytes(policy=SMTP))
            (folder / f"{stem}.txt").write_text(letter_text(letter, ledger, date), encoding="utf-8")
            files += [folder / f"{stem}.eml", folder / f"{stem}.txt"]
            warnings += [*letter.warnings, *message_warnings]
    attached = sum(letter.customer_id in pdfs for letter in written)
    return LettersWritten(date, folder, files, len(written), attached, warnings, notes)
