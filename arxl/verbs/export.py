"""The export: open items, the aging, the ledger or the application ledger of a book written to a new file (CSV,
Parquet or .xlsx; ``arxl.render.exports`` says what each holds, ``arxl.workbook.export`` how each is written).

The as-of date follows the usual rule (``arxl.dates.resolve_as_of``), except for the ledger, which without a
date given holds every document. The book itself is never the target.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .refresh import BookAdapter, Progress


@dataclass(frozen=True)
class Exported:
    """The file written, what it holds, how many rows, and its as-of date (None: a ledger of every document)."""

    target: Path
    what: str
    rows: int
    as_of: dt.date | None


def export_kinds() -> tuple[str, ...]:
    """What can be exported: ``open-items``, ``aging``, ``ledger``, ``applications``."""
    from ..render.exports import EXPORTS

    return EXPORTS


def export_file(adapter: BookAdapter, what: str, target: Path, *, as_of: dt.date | None, today: dt.date,
                force: bool = False, book_file: Path | None = None,
                progress: Progress | None = None) -> Exported:
    """Write the export ``what`` of the book to ``target``.

    Refused (WorkbookError) before the book is read: a suffix other than .csv, .parquet/.pq or .xlsx, a target
    that is ``book_file`` (the book's own file), and an existing target unless ``force``. ValidationFailed when
    the book has errors.
    """
    from ..dates import resolve_as_of
    from ..errors import WorkbookError
    from ..render.exports import export_table
    from ..workbook.export import FORMATS, write_export
    from .refresh import load_validated

    if target.suffix.lower() not in FORMATS:
        raise WorkbookError(f"{target}: cannot export to a {target.suffix or 'suffix-less'} file "
                            "(expected .csv, .parquet or .xlsx)")
    if book_file is not None and target.exists() and book_file.exists() and \
            target.resolve() == book_file.resolve():
        raise WorkbookError(f"{target}: is the book itself; export to another file")
    if target.exists() and not force:
        raise WorkbookError(f"{target}: already exists; use --force to replace it")
    if progress is not None:
        progress("reading the input tables")
    ledger = load_validated(adapter).ledger
    date = as_of if what == "ledger" else resolve_as_of(ledger, as_of, today)
    table = export_table(ledger, what, date)
    write_export(table, target)
    return Exported(target, what, len(table.frame), date)
