"""Load and refresh timings on demo books, beside openpyxl's load+save of the same book.

    python benchmarks/bench_refresh.py --invoices 100000 1000000 [--skip-openpyxl] [--only aging,checks]

Demo books are built once into benchmarks/out/ (ignored by git). Prints, per size: demo build time, file size,
load (calamine read + validation) time, refresh read / compute / write times and peak memory, the same for a
second refresh of the refreshed book ("again": its generated sheets are found and checked for edits), and
openpyxl's load_workbook + save for comparison. Not a unit test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
AS_OF = dt.date(2026, 6, 30)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build(invoices: int) -> Path:
    from arxl.workbook import write_demo

    path = OUT / f"demo-{invoices}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        write_demo(path, invoices=invoices, seed=7, as_of=AS_OF)
        print(f"  built {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def _child(mode: str, path: Path, only: str) -> None:
    """One measurement in a fresh process, so peak memory belongs to it alone."""
    if mode == "load":
        from arxl.workbook import load_book

        started = time.perf_counter()
        result = load_book(path)
        print(f"  load: {time.perf_counter() - started:.2f} s ({len(result.ledger.invoices):,} invoices, "
              f"{len(result.problems)} problems), peak {_peak_mb():,.0f} MB", flush=True)
    elif mode in ("refresh", "again"):
        from arxl.verbs.refresh import SHEETS, parse_only, run_refresh
        from arxl.workbook.book import FileBook

        refreshed = path.with_name(path.stem + "-refreshed.xlsx")
        # "again": refresh the book the first refresh wrote (its generated sheets are there to be checked)
        source, target = (refreshed, path.with_name(path.stem + "-again.xlsx")) if mode == "again" else (
            path, refreshed)
        started = time.perf_counter()
        result = run_refresh(FileBook(source, output=target), as_of=AS_OF, today=AS_OF,
                             only=parse_only(only) if only else SHEETS)
        total = time.perf_counter() - started
        steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.timings.items())
        print(f"  {mode}: {total:.2f} s ({steps}; {len(result.sheets)} sheets), peak {_peak_mb():,.0f} MB",
              flush=True)
    elif mode == "openpyxl":
        import openpyxl

        started = time.perf_counter()
        book = openpyxl.load_workbook(path)
        loaded = time.perf_counter() - started
        book.save(path.with_name(path.stem + "-openpyxl.xlsx"))
        print(f"  openpyxl load+save: {time.perf_counter() - started:.2f} s (load {loaded:.2f} s), "
              f"peak {_peak_mb():,.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, nargs="+", default=[100_000])
    parser.add_argument("--skip-openpyxl", action="store_true")
    parser.add_argument("--only", default="", help="refresh only these sheets (as arxl refresh --only)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child[0], Path(arguments.child[1]), arguments.only)
        return
    OUT.mkdir(exist_ok=True)
    for invoices in arguments.invoices:
        print(f"{invoices:,} invoices", flush=True)
        path = _build(invoices)
        print(f"  file: {path.stat().st_size / 1e6:.1f} MB", flush=True)
        modes = ["load", "refresh", "again"] + ([] if arguments.skip_openpyxl else ["openpyxl"])
        for mode in modes:
            command = [sys.executable, __file__, "--child", mode, str(path)]
            if arguments.only:
                command += ["--only", arguments.only]
            subprocess.run(command, check=True)
    shutil.rmtree(OUT / "tmp", ignore_errors=True)


if __name__ == "__main__":
    main()
