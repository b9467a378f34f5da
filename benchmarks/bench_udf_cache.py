"""Benchmark of the worksheet functions' cache: many ``AR_BALANCE`` cells over one large book.

Usage::

    PYTHONPATH=.:udfs python benchmarks/bench_udf_cache.py --invoices 100000 --calls 1000

The tables of ``arxl.demo.generate_demo`` are turned into what xlwings hands a UDF (lists of rows, header
first, datetimes, floats, None for blanks). It prints: the first call (load + validate + settle + balances);
the per-call time of the next ``--calls`` calls, each for another customer; how many settlements the cached
book computed; the cost of fingerprinting the six tables on each call, both on rows whose strings Python has
already hashed and on freshly built rows (as Excel delivers them: new string objects every call); and, for
comparison, what a hit saves (load and validate, the first and a further settlement) and calls with the cache
emptied first, which is what every cell would cost without the cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import time
from collections.abc import Callable

import arxl_udfs as udf

from arxl.demo import generate_demo
from arxl.load import load_tables, raw_table_from_rows
from arxl.settle import settle
from arxl.verbs.functions import frame_to_rows, table_fingerprint

AS_OF = dt.date(2026, 6, 30)


def _fresh(tables: dict[str, list[list[object]]]) -> dict[str, list[list[object]]]:
    """A copy with new list and string objects (so no string hash is cached), as a new COM transfer gives."""
    return {name: [[(cell + "_")[:-1] if isinstance(cell, str) else cell for cell in row] for row in rows]
            for name, rows in tables.items()}


REPEATS = 5


def _time(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _median_time(action: Callable[[], object]) -> float:
    return statistics.median(_time(action) for _ in range(REPEATS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()

    started = time.perf_counter()
    frames = generate_demo(invoices=args.invoices, as_of=AS_OF)
    tables = {name: frame_to_rows(frames[table]) for name, table in udf.TABLE_ARGUMENTS.items()}
    print(f"book: {args.invoices:,} invoices, {len(tables['payments']) - 1:,} payments, "
          f"{len(tables['customers']) - 1:,} customers, built as UDF rows in "
          f"{time.perf_counter() - started:.1f} s")
    customers = [row[0] for row in tables["customers"][1:]]

    udf.CACHE.clear()
    started = time.perf_counter()
    first = udf.AR_BALANCE(customers[0], **tables)
    first_call = time.perf_counter() - started
    assert isinstance(first, float), first
    print(f"first call (load, validate, settle, balances): {first_call:.3f} s")

    times = []
    for index in range(args.calls):
        started = time.perf_counter()
        value = udf.AR_BALANCE(customers[(index + 1) % len(customers)], **tables)
        times.append(time.perf_counter() - started)
        assert isinstance(value, float), value
    book = next(iter(udf.CACHE._books.values()))
    print(f"{args.calls:,} further calls: total {sum(times):.2f} s, "
          f"per call mean {statistics.mean(times) * 1000:.1f} ms, "
          f"median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    print(f"settlements computed by the cached book: {book.settle_count} "
          f"(cache hits {udf.CACHE.hits:,}, misses {udf.CACHE.misses})")

    warm_hash = _median_time(lambda: [table_fingerprint(rows) for rows in tables.values()])
    fresh_copies = [_fresh(tables) for _ in range(REPEATS)]
    fresh_hash = statistics.median(_time(lambda copy=copy: [table_fingerprint(rows) for rows in copy.values()])
                                   for copy in fresh_copies)
    fresh = fresh_copies[0]
    del fresh_copies
    gc.collect()
    print(f"fingerprint of the six tables per call (median of {REPEATS}): {warm_hash * 1000:.1f} ms (strings "
          f"already hashed), {fresh_hash * 1000:.1f} ms (fresh rows, as from Excel)")

    raw = {table: raw_table_from_rows(table, fresh[name]) for name, table in udf.TABLE_ARGUMENTS.items()}
    started = time.perf_counter()
    ledger = load_tables(raw).ledger
    load_time = time.perf_counter() - started
    first_settle = _time(lambda: settle(ledger, AS_OF))
    next_settle = _median_time(lambda: settle(ledger, AS_OF - dt.timedelta(days=30)))
    print(f"what a cache hit saves: load and validate {load_time:.2f} s, first settlement {first_settle:.2f} s "
          f"(with the per-ledger preparation), a further settlement {next_settle * 1000:.0f} ms")

    uncached_times = []
    for index in range(3):
        udf.CACHE.clear()
        uncached_times.append(_time(lambda index=index: udf.AR_BALANCE(customers[index], **fresh)))
    uncached = statistics.median(uncached_times)
    extra = max(fresh_hash - warm_hash, 0) * args.calls
    print(f"one call without the cache (median of 3): {uncached:.2f} s -> "
          f"{args.calls:,} uncached calls would take "
          f"about {uncached * args.calls / 60:.0f} min; with the cache they took {sum(times):.1f} s "
          f"(about {extra:.0f} s more if every call brought freshly converted strings)")


if __name__ == "__main__":
    main()
