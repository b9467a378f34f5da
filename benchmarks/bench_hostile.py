"""Time and peak memory to refuse each hostile file (the cases of tests/test_hostile.py).

    python benchmarks/bench_hostile.py

Each case runs ``arxl check`` in its own process; wall time and that process's peak RSS are printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from books import base, write_book  # noqa: E402
from test_hostile import HOSTILE  # noqa: E402


def build(folder: Path) -> None:
    clean = write_book(folder / "clean.xlsx", base())
    for name in sorted(HOSTILE):
        HOSTILE[name](clean, folder).rename(folder / f"{name}.xlsx")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        # Built in another process: building the bomb takes memory a forked child would count as its own.
        subprocess.run([sys.executable, __file__, "--build", scratch], check=True)
        print(f"{'case':24} {'exit':>4} {'seconds':>8} {'peak MB':>8}  message")
        for name in sorted(HOSTILE):
            path = folder / f"{name}.xlsx"
            started = time.perf_counter()
            process = subprocess.Popen([sys.executable, "-m", "arxl", "check", str(path)],
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            output = process.stdout.read().decode() if process.stdout else ""
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            code = os.waitstatus_to_exitcode(status)
            message = output.strip().split(": ", 2)[-1][:70]
            print(f"{name:24} {code:>4} {seconds:>8.2f} {usage.ru_maxrss / 1024:>8.0f}  {message}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--build":
        build(Path(sys.argv[2]))
    else:
        main()
