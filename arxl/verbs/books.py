"""Where the faces get their books: a workbook file or a live Excel book, as an ``arxl.verbs.refresh.BookAdapter``.

The faces (``arxl.cli``, the ribbon's ``macros/arxl_macros.py``, the worksheet functions of ``udfs/``) never
import ``arxl.workbook``: they ask here, and the adapter modules (with openpyxl, fastexcel and python-calamine
behind them) are imported only when a book is asked for, so ``arxl --help`` loads none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..workbook.book import FileBook
    from ..workbook.xlbook import XlwingsBook


def file_book(path: str | Path, *, output: str | Path | None = None, force: bool = False) -> FileBook:
    """The workbook file at ``path``; commits go to ``output`` (default: ``path`` itself). ``force``: write even
    though Excel's owner file (``~$...``) sits beside the book."""
    from ..workbook.book import FileBook

    return FileBook(path, output=output, force=force)


def live_book(book: Any, *, say: Callable[[str], None] | None = None) -> XlwingsBook:
    """The live xlwings ``Book`` ``book``; ``say`` receives a line for each sheet written (a status bar).
    ``notes`` of the adapter lists what could not be carried over to the live book."""
    from ..workbook.xlbook import XlwingsBook

    return XlwingsBook(book, say=say)
