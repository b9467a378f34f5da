"""Workbook I/O: the only place arxl touches openpyxl and python-calamine."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from .read import load_book, read_raw_tables
from .template import build_template

__all__ = ["build_template", "load_book", "read_raw_tables", "write_demo"]


def write_demo(path: str | Path, *, customers: int | None = None, invoices: int = 3000, seed: int = 7,
               as_of: dt.date) -> Path:
    """Write a demo AR workbook: the blank template filled with ``arxl.demo.generate_demo`` data."""
    from ..demo import generate_demo
    from .fill import fill_tables

    path = Path(path)
    frames = generate_demo(customers=customers, invoices=invoices, seed=seed, as_of=as_of)
    with tempfile.TemporaryDirectory(dir=path.parent if path.parent.exists() else None) as folder:
        template = build_template(Path(folder) / "template.xlsx")
        return fill_tables(template, path, frames)
