"""A workbook file as every verb sees it (``arxl.verbs.refresh.BookAdapter``): tables read with the fast readers,
rows appended and generated sheets written surgically, in one atomic save.

The commit is the one place where a file is changed: each append (``arxl.workbook.append.append_rows``) and the
write of the generated sheets (``arxl.workbook.generated.write_generated``) are steps from one package to the
next, in scratch files beside the temporary file of ``arxl.workbook.save.atomic_write``, which checks the result
and replaces the book only when every step has succeeded.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..load import RawTable
from ..ownership import GeneratedBook, SheetDigest, SheetRecord, digest_values
from ..problems import Problem
from ..render.spec import SheetSpec
from ..verbs.refresh import Append, Committed
from .append import append_rows
from .generated import WriteReport, formula_cells, read_generated, sheet_part, write_generated
from .read import read_raw_tables
from .save import Fingerprint, atomic_write, book_lock, check_package_kind, check_writable, real_path


class FileBook:
    """``arxl.verbs.refresh.BookAdapter`` over a file. Writes go to ``output`` (default: the file itself).

    ``force``: write even though Excel's owner file (``~$...``) sits beside the book. ``backup`` is the backup
    the last commit made, if any.
    """

    def __init__(self, path: str | Path, *, output: str | Path | None = None, force: bool = False):
        self.path = Path(path)
        self.output = Path(output) if output is not None else self.path
        self.force = force
        self.fingerprint: Fingerprint | None = None
        self.backup: Path | None = None
        self._reader: Any = None  # a cell reader kept open while the book is held (it reads the whole package)
        self._held = False

    @property
    def in_place(self) -> bool:
        """Whether commits replace the book itself (``output`` names it, or a link to it)."""
        return self.output == self.path or real_path(self.output) == real_path(self.path)

    @contextmanager
    def hold(self) -> Iterator[None]:
        with book_lock(self.path):
            # Refused early, before the work: an output Excel has open or that is read-only, and an output
            # whose extension does not match the package (an .xlsm saved as .xlsx).
            if not self.in_place:
                check_package_kind(self.path, self.output)
            check_writable(self.output, force=self.force)
            # Taken before reading: a change made after it, even while the tables are read, refuses the save.
            self.fingerprint = Fingerprint.of(self.path) if self.path.is_file() else None
            self._held = True
            try:
                yield
            finally:
                self._held = False
                self.fingerprint = None
                if self._reader is not None:
                    self._reader.close()
                    self._reader = None

    def read_tables(self) -> tuple[dict[str, RawTable], bool, list[Problem]]:
        return read_raw_tables(self.path)

    def generated(self) -> GeneratedBook:
        return read_generated(self.path)

    def sheet_digest(self, name: str, record: SheetRecord) -> tuple[SheetDigest, list[list[object]]] | None:
        found = sheet_part(self.path, name)
        if found is None:
            return None
        part, crc, size = found
        if record.digest is not None and (crc, size) == (record.part_crc, record.part_size):
            return record.digest, []  # the part is the one arxl wrote: nothing to read
        values = self.sheet_values(name) or []
        with zipfile.ZipFile(self.path) as archive:
            formulas = formula_cells(archive.read(part))
        return digest_values(values, formulas=formulas, skip_columns=record.entry_columns), values

    def sheet_values(self, name: str) -> list[list[object]] | None:
        import python_calamine as calamine

        workbook = self._reader or calamine.CalamineWorkbook.from_path(str(self.path))
        try:
            if name not in workbook.sheet_names:
                return None
            return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        finally:
            if self._held:
                self._reader = workbook
            elif workbook is not self._reader:
                workbook.close()

    def commit(self, appends: Sequence[Append], specs: Sequence[SheetSpec] = (), replace: Sequence[str] = (), *,
               keep_backups: int, book: GeneratedBook | None = None,
               state_extra: dict[str, str] | None = None) -> Committed:
        if any(append.rows.empty for append in appends):
            raise ValueError("an append holds no rows")
        writes_sheets = bool(specs or replace or state_extra or not appends)
        first_rows: list[int] = []
        reports: list[WriteReport] = []

        def write(temporary: Path) -> None:
            first_rows.clear()
            steps = len(appends) + writes_sheets
            source = self.path
            scratch: list[Path] = []
            try:
                for step, append in enumerate(appends, start=1):
                    target = temporary if step == steps else temporary.with_name(f"{temporary.name}.{step}")
                    scratch.append(target)
                    first_rows.append(append_rows(source, target, append.table, append.rows))
                    source = target
                if writes_sheets:
                    reports[:] = [write_generated(source, temporary, specs, replace_keys=replace,
                                                  book=book, state_extra=state_extra)]
            finally:
                for path in scratch:
                    if path != temporary:
                        path.unlink(missing_ok=True)

        expected = self.fingerprint if self.in_place else None
        self.backup = atomic_write(self.output, write, keep_backups=keep_backups, force=self.force,
                                   expected=expected)
        report = reports[0] if reports else WriteReport()
        return Committed(tuple(first_rows), self.backup, report.names, report.removed, report.notes)
