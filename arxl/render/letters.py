"""Dunning letters as files: the RFC 5322 message (``.eml``), the plain-text copy (``.txt``) and the file names.

Rules:

- Messages are written with the standard ``email`` package; ``as_bytes(policy=email.policy.SMTP)`` gives CRLF
  line ends. The ``Date`` header is the as-of date at 09:00 UTC and the ``Message-ID`` is made of the as-of
  date, the customer and the level, so the same book and date give the same files.
- ``From`` is the company's address (Settings ``company_email``), ``Reply-To`` Settings ``reply_to`` when it is
  given. ``To`` is the customer's email when it is a valid address; otherwise the letter has no ``To`` and a
  warning says so. CR and LF in names and subjects become spaces, so data cannot add headers.
- File stems are the customer id with anything but letters, digits, ``-``, ``_`` and ``.`` replaced by ``_``;
  ids that would collide (case-insensitively, as on Windows and macOS) get ``~2``, ``~3``...
"""

from __future__ import annotations

import datetime as dt
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from ..collections import Letter
from ..ledger import Ledger

LETTER_HOUR_UTC = 9


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def file_stem(customer_id: str, taken: set[str]) -> str:
    """The file name (without suffix) for ``customer_id``'s letter; records it in ``taken`` (casefolded)."""
    stem = "".join(character if character.isalnum() or character in "-_." else "_" for character in customer_id)
    stem = stem.strip(".") or "customer"
    candidate, counter = stem, 2
    while candidate.casefold() in taken:
        candidate, counter = f"{stem}~{counter}", counter + 1
    taken.add(candidate.casefold())
    return candidate


def parse_address(name: str, email: str) -> Address | None:
    """``email`` as an address (with the display name ``name``), or None when it is not one."""
    return _address(name, email)


def _address(name: str, email: str) -> Address | None:
    if not email.strip():
        return None
    try:
        address = Address(display_name=_one_line(name), addr_spec=email.strip())
    except (ValueError, IndexError, HeaderParseError):
        return None
    return address if "@" in address.addr_spec else None


def letter_message(letter: Letter, *, company: str, sender: str, as_of: dt.date, pdf: bytes | None = None,
                   reply_to: str = "") -> tuple[EmailMessage, list[str]]:
    """The RFC 5322 message of one ``arxl.collections.Letter`` (and warnings about it); ``pdf``, when given, is
    attached as the customer's statement."""
    warnings = []
    message = EmailMessage()
    message["From"] = Address(display_name=_one_line(company), addr_spec=sender)
    answer = _address(company, reply_to)
    if answer is not None:
        message["Reply-To"] = answer
    recipient = _address(letter.name, letter.email)
    if recipient is not None:
        message["To"] = recipient
    else:
        warnings.append(f"{letter.customer_id}: no valid email address in Customers; the letter has no To")
    message["Subject"] = _one_line(letter.subject)
    message["Date"] = format_datetime(dt.datetime.combine(as_of, dt.time(LETTER_HOUR_UTC), tzinfo=dt.UTC))
    domain = sender.rsplit("@", 1)[-1]
    token = "".join(character for character in letter.customer_id if character.isalnum()) or "customer"
    message["Message-ID"] = f"<arxl.{as_of.isoformat()}.{token}.{letter.level}@{domain}>"
    message.set_content(letter.body)
    if pdf is not None:
        message.add_attachment(pdf, maintype="application", subtype="pdf",
                               filename=f"Statement {letter.customer_id} {as_of.isoformat()}.pdf")
    return message, warnings


def letter_text(letter: Letter, ledger: Ledger, as_of: dt.date) -> str:
    """The letter as plain text for printing: company block, date, the customer's name and address, subject,
    body."""
    settings = ledger.settings
    customers = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")
    address = str(customers.at[letter.customer_id, "address"]) if letter.customer_id in customers.index else ""
    contact = [settings.company_email] if settings.company_email else []
    lines = [settings.company_name, *settings.company_address.splitlines(), *contact, "", as_of.isoformat(), "",
             letter.name, *address.splitlines(), "", f"Subject: {_one_line(letter.subject)}", "", letter.body, ""]
    return "\n".join(lines)
