"""Workbook I/O: the only place arxl touches openpyxl, fastexcel and python-calamine.

Its modules: ``package`` (the zip: hostile-file checks, parts, the raw-copying writer), ``read`` (input tables),
``generated`` + ``sheetxml`` + ``styles`` (arxl's sheets), ``append`` and ``fill`` (rows into input tables),
``template`` (the blank book, through openpyxl), ``save`` (atomic saves), ``export``, ``source``, ``pdf``,
``book`` (the refresh's adapter for a file) and ``xlbook`` (the one for a live Excel book). The names below load
their module on first use, so importing one module of this package (``save``, say) loads no reader library.
"""

from __future__ import annotations

import datetime as dt
import importlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .read import load_book, read_raw_tables
    from .template import build_template

__all__ = ["build_template", "load_book", "read_raw_tables", "write_demo"]

_HOME_OF = {"build_template": "template", "load_book": "read", "read_raw_tables": "read"}


def __getattr__(name: str) -> object:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def write_demo(path: str | Path, *, customers: int | None = None, invoices: int = 3000, seed: int = 7,
               as_of: dt.date) -> Path:
    """Write a demo AR workbook: the blank template filled with ``arxl.demo.generate_demo`` data."""
    from ..demo import generate_demo
    from .fill import fill_tables
    from .template import build_template

    path = Path(path)
    frames = generate_demo(customers=customers, invoices=invoices, seed=seed, as_of=as_of)
    with tempfile.TemporaryDirectory(dir=path.parent if path.parent.exists() else None) as folder:
        template = build_template(Path(folder) / "template.xlsx")
        return fill_tables(template, path, frames)
