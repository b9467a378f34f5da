"""Excel's rules for sheet names inside formulas and references (shared by render and the writers)."""

from __future__ import annotations


def quoted(sheet: str) -> str:
    """A sheet name as a formula reference needs it: ``'Aging Detail'`` (quotes doubled inside)."""
    return "'" + sheet.replace("'", "''") + "'"
