"""Dates as the engine counts them: int64 day numbers, the as-of date, and the one rule that picks it.

The engine works in whole days since 1970-01-01 (``datetime64[D]`` viewed as int64); the ledger stores dates as
``datetime64[s]`` at midnight. The as-of date is always an argument below the faces: ``resolve_as_of`` is the one
place that turns "the date given, else Settings as_of, else today" into a date, and the face says what today is.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .ledger import Ledger

NAT_DAY = np.iinfo(np.int64).min
"""The day number of a blank date (NaT): the smallest int64, so it sorts before every real day."""


def resolve_as_of(ledger: Ledger, given: dt.date | None, today: dt.date) -> dt.date:
    """The as-of date: the one given, else Settings ``as_of``, else ``today`` (which the face decides)."""
    return given or ledger.settings.as_of or today


def day_number(day: dt.date) -> int:
    """A date as int64 days since 1970-01-01, the engine's date unit."""
    return int(np.datetime64(day, "D").view(np.int64))


def days_to_datetimes(days: np.ndarray) -> np.ndarray:
    """int64 day numbers -> ``datetime64[s]`` at midnight (the ledger's date dtype)."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[s]")


def day_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """``datetime64`` values -> int64 day numbers; NaT becomes ``NAT_DAY``."""
    return np.asarray(values).astype("datetime64[s]").astype("datetime64[D]").view(np.int64)
