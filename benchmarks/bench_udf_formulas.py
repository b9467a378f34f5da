"""Benchmark of worksheet formulas as Excel calls them: 1 and 50 formulas over one book, arguments included.

Usage::

    PYTHONPATH=.:udfs python benchmarks/bench_udf_formulas.py --invoices 3000 100000

The tables of ``arxl.demo.generate_demo`` are turned into what ``Range.Value2`` hands the add-in's functions
through COM (a tuple of row tuples, dates as serial numbers, numbers as float, blanks as None), built anew for
every call with new string objects, as each COM transfer delivers them; each function receives them through a
stand-in of an xlwings Range (``.api.Value2``, ``.row``, ``.sheet``). What is timed is everything on arxl's side
of the COM call: the cache key (hashing the raw values), on a miss the conversion into typed tables, loading,
validating and settling, and the figure itself. The COM transfer is not (there is no Excel here); neither is
xlwings' own per-cell conversion, which the range arguments skip.

Printed per book size: one formula after the data changed (a cache miss), one formula recalculated with the
data unchanged (a hit), 50 different formulas after a change (``AR_DSO`` with 50 period lengths: one miss, 49
hits), and 50 ``AR_BALANCE`` cells for 50 customers. Each figure is the median of three runs, with the time
the stand-in spends building the tuples (the COM transfer's share, printed for scale) taken out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable

import arxl_udfs as udf
import numpy as np
import pandas as pd

from arxl.demo import generate_demo

AS_OF = dt.date(2026, 6, 30)
EPOCH = np.datetime64("1899-12-30", "D")
RUNS = 3
COM_SECONDS = [0.0]  # the stand-in's time building Value2 tuples


def value2_rows(frame: pd.DataFrame) -> list[list[object]]:
    """A frame as Value2 columns: dates as serial floats, numbers as float, text as str, blanks as None."""
    columns: list[list[object]] = []
    for name in frame.columns:
        series = frame[name]
        if series.dtype.kind == "M":
            days = (series.to_numpy(dtype="datetime64[D]") - EPOCH).astype("float64")
            days[np.isnat(series.to_numpy(dtype="datetime64[D]"))] = np.nan
            columns.append([None if np.isnan(day) else day for day in days.tolist()])
        elif series.dtype.kind in "fiub":
            values = series.to_numpy(dtype=np.float64)
            columns.append([None if np.isnan(value) else value for value in values.tolist()])
        else:
            blank = series.isna().to_numpy() | (series.astype(str) == "").to_numpy()
            columns.append([None if empty else str(value)
                            for value, empty in zip(series.to_numpy(dtype=object).tolist(), blank.tolist(),
                                                    strict=True)])
    return [[str(name) for name in frame.columns], *(list(row) for row in zip(*columns, strict=True))]


class Sheet:
    def __init__(self, name: str):
        self.name = name


class Value2:
    """What COM's Range object offers here: Value2, a fresh tuple of row tuples at every read. The time spent
    building them stands for the COM transfer: it is added up in ``COM_SECONDS`` and taken out of arxl's."""

    def __init__(self, rows: list[list[object]]):
        self._rows = rows

    @property
    def Value2(self) -> tuple[tuple[object, ...], ...]:  # noqa: N802 - COM's name
        started = time.perf_counter()
        rows = tuple(tuple((cell + "_")[:-1] if isinstance(cell, str) else cell for cell in row)
                     for row in self._rows)
        COM_SECONDS[0] += time.perf_counter() - started
        return rows


class Range:
    """A stand-in of the xlwings Range Excel passes for ``Invoices[#All]``."""

    def __init__(self, name: str, rows: list[list[object]]):
        self.api, self.row, self.sheet = Value2(rows), 1, Sheet(name)


def _median(action: Callable[[], object]) -> float:
    """Median seconds of ``action`` on arxl's side (the stand-in's COM time taken out)."""
    times = []
    for _ in range(RUNS):
        COM_SECONDS[0] = 0.0
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started - COM_SECONDS[0])
    return statistics.median(times)


def measure(invoices: int) -> None:
    frames = generate_demo(invoices=invoices, as_of=AS_OF)
    ranges = {name: Range(table, value2_rows(frames[table])) for name, table in udf.TABLE_ARGUMENTS.items()}
    customers = list(frames["Customers"]["customer_id"])[:50]
    started = time.perf_counter()
    for rng in ranges.values():
        rng.api.Value2  # noqa: B018 - what one COM transfer of the six tables costs to build here
    transfer = time.perf_counter() - started

    def after_a_change(action: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            udf.CACHE.clear()
            return action()
        return run

    one_miss = _median(after_a_change(lambda: udf.AR_DSO(**ranges)))
    assert isinstance(udf.AR_DSO(**ranges), float)
    one_hit = _median(lambda: udf.AR_DSO(**ranges))
    fifty_dso = _median(after_a_change(lambda: [udf.AR_DSO(**ranges, period_days=30 + day) for day in range(50)]))
    fifty_balances = _median(after_a_change(lambda: [udf.AR_BALANCE(customer, **ranges)
                                                     for customer in customers]))
    print(f"{invoices:,} invoices ({len(frames['Payments']):,} payments): building the Value2 tuples (COM's part, "
          f"for scale) {transfer * 1000:.0f} ms a call")
    print(f"  1 formula after a change {one_miss:.2f} s; recalculated unchanged {one_hit * 1000:.0f} ms")
    print(f"  50 AR_DSO formulas after a change {fifty_dso:.2f} s ({fifty_dso / 50 * 1000:.0f} ms each); "
          f"50 AR_BALANCE cells {fifty_balances:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, nargs="+", default=[3000, 100_000])
    for invoices in parser.parse_args().invoices:
        measure(invoices)


if __name__ == "__main__":
    main()
