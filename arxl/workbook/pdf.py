"""Statement PDFs through LibreOffice headless: each statement sheet alone in a small workbook, converted."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty

from ..errors import ArxlError, MissingToolError
from ..render.spec import SheetSpec
from .generated import OWNED_PROPERTY, write_generated

CONVERT_TIMEOUT_SECONDS = 600


def find_soffice() -> str:
    """The LibreOffice binary, or MissingToolError saying how to install it."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise MissingToolError("PDF statements need LibreOffice: install it (Debian/Ubuntu: apt-get install "
                             "libreoffice-calc; Windows/macOS: libreoffice.org) and run the command again")


def _safe_file_name(name: str) -> str:
    return "".join(character if character.isalnum() or character in "-_." else "_" for character in name)


def _single_sheet_book(spec: SheetSpec, folder: Path) -> Path:
    """A workbook holding just ``spec``: a placeholder sheet of that name, owned by arxl, then replaced."""
    placeholder = folder / f"{_safe_file_name(spec.name)}.seed.xlsx"
    book = Workbook()
    book.active.title = spec.name
    book.custom_doc_props.append(StringProperty(name=OWNED_PROPERTY, value=spec.name))
    book.save(placeholder)
    target = folder / f"{_safe_file_name(spec.name)}.xlsx"
    write_generated(placeholder, target, [spec])
    placeholder.unlink()
    return target


def write_pdfs(specs: Sequence[SheetSpec], out_dir: Path, *, soffice: str | None = None) -> list[Path]:
    """Convert each sheet spec into ``out_dir/<sheet name>.pdf`` with one LibreOffice run; return the files."""
    binary = soffice or find_soffice()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="arxl-pdf-") as scratch:
        folder = Path(scratch)
        books = [_single_sheet_book(spec, folder) for spec in specs]
        if not books:
            return []
        profile = folder / "profile"
        command = [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, books)]
        environment = dict(os.environ, HOME=str(folder))
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=CONVERT_TIMEOUT_SECONDS,
                                       check=False, env=environment)
        except subprocess.TimeoutExpired as exc:
            raise ArxlError(f"LibreOffice did not finish converting {len(books)} statement(s) within "
                            f"{CONVERT_TIMEOUT_SECONDS} s") from exc
        made = [out_dir / (book.stem + ".pdf") for book in books]
        missing = [path.name for path in made if not path.exists()]
        if completed.returncode != 0 or missing:
            detail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ArxlError(f"LibreOffice could not convert {', '.join(missing) or 'the statements'} "
                            f"({detail[0]})")
        return made
