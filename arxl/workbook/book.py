"""A workbook file as the refresh sees it: tables read with calamine, generated sheets written surgically."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from ..ledger import Settings
from ..load import RawTable
from ..problems import Problem
from ..render.spec import SheetSpec
from .generated import owned_sheets, write_generated
from .read import read_raw_tables
from .save import Fingerprint, atomic_write, check_writable


class FileBook:
    """``arxl.verbs.refresh.BookAdapter`` over a file. Writes go to ``output`` (default: the file itself)."""

    def __init__(self, path: str | Path, *, output: str | Path | None = None, force: bool = False):
        self.path = Path(path)
        self.output = Path(output) if output is not None else self.path
        self.force = force
        self.fingerprint: Fingerprint | None = None
        self.backup: Path | None = None

    def read_tables(self) -> tuple[dict[str, RawTable], bool, list[Problem]]:
        if self.output == self.path:
            check_writable(self.path, force=self.force)  # refuse early, before the work, if Excel has it open
        tables, date1904, problems = read_raw_tables(self.path)
        self.fingerprint = Fingerprint.of(self.path)
        return tables, date1904, problems

    def owned_sheets(self) -> list[str]:
        with zipfile.ZipFile(self.path) as archive:
            try:
                custom = archive.read("docProps/custom.xml").decode("utf-8")
            except KeyError:
                return []
        return owned_sheets(custom)

    def write_sheets(self, specs: Sequence[SheetSpec], replace: Sequence[str], settings: Settings) -> None:
        expected = self.fingerprint if self.output == self.path else None
        self.backup = atomic_write(
            self.output, lambda temporary: write_generated(self.path, temporary, specs, replace=replace),
            keep_backups=settings.backups, force=self.force, expected=expected)
