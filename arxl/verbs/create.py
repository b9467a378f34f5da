"""Creating books: a blank AR workbook (the template) or a demo book full of realistic history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Created:
    """The book written; for a demo book, how many invoices and up to which date."""

    path: Path
    invoices: int = 0
    as_of: dt.date | None = None


def _refuse_overwrite(path: Path, force: bool) -> None:
    """Refuse a path where something is (unless ``force``), and a name other than ``.xlsx``: the books arxl
    creates hold no macros (the ribbon's live in the add-in), and Excel refuses to open a macro-free package
    named ``.xlsm``."""
    from ..errors import WorkbookError

    if path.suffix.casefold() != ".xlsx":
        raise WorkbookError(f"{path}: arxl creates .xlsx workbooks (no macros: the AR ribbon lives in the "
                            f"add-in); name it {path.with_suffix('.xlsx').name}")
    if path.exists() and not force:
        raise WorkbookError(f"{path}: already exists; use --force to replace it")


def new_book(path: str | Path, *, force: bool = False) -> Created:
    """A blank AR workbook at ``path`` (WorkbookError if something is there and not ``force``)."""
    from ..workbook.template import build_template

    path = Path(path)
    _refuse_overwrite(path, force)
    build_template(path)
    return Created(path)


def demo_book(path: str | Path, *, as_of: dt.date, customers: int | None = None, invoices: int = 3000,
              seed: int = 7, force: bool = False) -> Created:
    """A demo AR workbook at ``path``: 18 months of history up to ``as_of``; the same arguments give the same
    book (WorkbookError if something is there and not ``force``)."""
    from ..workbook import write_demo

    path = Path(path)
    _refuse_overwrite(path, force)
    write_demo(path, customers=customers, invoices=invoices, seed=seed, as_of=as_of)
    return Created(path, invoices, as_of)
