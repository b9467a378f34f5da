"""Importing invoices from CSV into the demo book: the issue's goal is 100,000 invoices in under 10 s.

    python benchmarks/bench_import.py [--invoices 100000] [--keep]

Builds the demo book (3,000 invoices as of 2026-06-30) and a CSV of new invoices for its customers in
benchmarks/out/ (ignored by git), then runs ``arxl import BOOK --table invoices FILE`` in a fresh process (a
copy of the book each time) and prints the wall time of the whole command, then again for the re-import of the
same file (everything already imported, nothing written). Not a unit test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
AS_OF = dt.date(2026, 6, 30)


def _demo() -> Path:
    from arxl.workbook import write_demo

    path = OUT / "import-demo-3000.xlsx"
    if not path.exists():
        write_demo(path, invoices=3000, as_of=AS_OF)
    return path


def _csv(book: Path, count: int) -> Path:
    """``count`` new invoices for the book's customers, as a billing system would export them."""
    from arxl.workbook import load_book

    path = OUT / f"import-invoices-{count}.csv"
    if path.exists():
        return path
    customers = load_book(book).ledger.customers["customer_id"].to_numpy(dtype=object)
    rng = np.random.default_rng(11)
    dates = np.datetime64("2026-01-01") + rng.integers(0, 180, count).astype("timedelta64[D]")
    due = dates + rng.choice([15, 30, 45, 60], count).astype("timedelta64[D]")
    cents = rng.integers(5_000, 2_500_000, count)
    chosen = rng.choice(customers, count)
    lines = ["invoice_id,customer_id,invoice_date,due_date,amount,po_number,description"]
    lines += [f"NEW-{number:07d},{customer},{day},{until},{amount // 100}.{amount % 100:02d},PO-{number % 9973},"
              f"Goods shipped" for number, customer, day, until, amount in
              zip(range(1, count + 1), chosen, dates.astype(str), due.astype(str), cents.tolist(), strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(book: Path, source: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "arxl", "import", str(book), "--table", "invoices", str(source)],
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000, help="New invoices in the CSV.")
    parser.add_argument("--keep", action="store_true", help="Keep the imported book in benchmarks/out/.")
    options = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    demo = _demo()
    source = _csv(demo, options.invoices)
    book = OUT / "import-target.xlsx"
    shutil.copy2(demo, book)
    size = source.stat().st_size / 1024**2
    print(f"importing {options.invoices:,} invoices ({size:.1f} MB CSV) into the 3,000-invoice demo book",
          flush=True)
    seconds, summary = _run(book, source)
    print(f"  first import: {seconds:.2f} s   {summary}", flush=True)
    seconds, summary = _run(book, source)
    print(f"  re-import:    {seconds:.2f} s   {summary}", flush=True)
    if not options.keep:
        for path in [book, *OUT.glob("import-target.bak-*.xlsx"), OUT / ".import-target.xlsx.arxl-lock"]:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
