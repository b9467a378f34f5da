"""Render the README's pictures from the demo book: ``python docs/make_pictures.py``.

The Dashboard, the Aging sheet and one customer statement of ``workbooks/demo.xlsx``, refreshed as of its own
date, are drawn by LibreOffice into PDFs exactly as ``arxl statements`` draws statements (one sheet per
workbook, the refresh's own writer), and the first page of each becomes a small PNG in ``docs/`` with
``pdftoppm``. Needs LibreOffice (or ``ARXL_SOFFICE``) and poppler's ``pdftoppm``. Run it again whenever the
layout or the demo changes, so that the pictures stay what arxl prints.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from arxl.verbs.books import file_book
from arxl.verbs.refresh import build_sheets, load_validated
from arxl.workbook.pdf import write_pdfs

HERE = Path(__file__).resolve().parent
DEMO = HERE.parent / "workbooks" / "demo.xlsx"
PICTURES = {"Dashboard": "dashboard", "Aging": "aging", "ST C0003": "statement"}
"""Sheet -> picture name. C0003 has a dozen open items, some overdue: a statement worth showing."""
RESOLUTION = 60  # dots per inch: small files, still legible


def make_pictures(folder: Path = HERE) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm (poppler-utils) is needed to turn the PDFs into pictures")
    ledger = load_validated(file_book(DEMO)).ledger
    as_of = ledger.settings.as_of  # the demo's own date (Settings as_of), never today: same book, same pictures
    if as_of is None:
        raise SystemExit(f"{DEMO} has no Settings as_of")
    specs, _counts, _checks = build_sheets(ledger, as_of, ("dashboard", "aging", "statements"), explicit=True)
    chosen = [spec for spec in specs if spec.name in PICTURES]
    made = []
    with tempfile.TemporaryDirectory(prefix="arxl-pictures-") as scratch:
        conversion = write_pdfs(chosen, Path(scratch), names=[PICTURES[spec.name] for spec in chosen])
        if conversion.failed:
            raise SystemExit(f"LibreOffice could not draw {', '.join(conversion.failed)}: {conversion.detail}")
        for pdf in conversion.files:
            target = folder / pdf.stem
            subprocess.run(["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", "1", "-l", "1", "-singlefile",
                            str(pdf), str(target)], check=True)
            made.append(target.with_suffix(".png"))
    return made


if __name__ == "__main__":
    for picture in make_pictures():
        print(f"wrote {picture.relative_to(Path.cwd()) if picture.is_relative_to(Path.cwd()) else picture}")
    sys.exit(0)
