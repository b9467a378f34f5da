"""Regenerate the bundled workbooks: ``python workbooks/build.py``.

``ar_template.xlsx`` is what ``arxl new`` writes; ``demo.xlsx`` is what ``arxl demo`` writes with the fixed
arguments below, so the committed files can be checked against the code (tests/test_workbooks.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from arxl.workbook import build_template, write_demo

HERE = Path(__file__).resolve().parent
DEMO_ARGUMENTS = {"customers": 60, "invoices": 3000, "seed": 7, "as_of": dt.date(2026, 6, 30)}


def build(folder: Path = HERE) -> tuple[Path, Path]:
    template = build_template(folder / "ar_template.xlsx")
    demo = write_demo(folder / "demo.xlsx", **DEMO_ARGUMENTS)
    return template, demo


if __name__ == "__main__":
    for path in build():
        print(f"wrote {path}")
