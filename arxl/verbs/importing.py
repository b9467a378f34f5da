"""The import: another system's export appended to one of the book's input tables, checked first.

Three steps, so that a face can say what it read before the book is touched: ``mapping_for`` (which column is
which: a TOML mapping file or a built-in profile, with the date order and decimal comma overridden when given),
``read_rows`` (the file's rows through the mapping: ``arxl.imports.prepare_rows``), and ``import_rows`` (those
rows planned against the book's tables with ``arxl.imports.plan_import`` and, unless it is a dry run or
anything is wrong, appended with the new customers in one commit of the book). ``detect`` names the tables and
built-in profiles whose headers a file has, for a face that cannot ask for them up front (the ribbon).

The rules of a plan (idempotent, conflicts never overwritten, every row checked with the loader's rules, the
file's own line numbers) are ``arxl.imports``'s; an import keeps a backup of a book file whatever Settings
``backups`` says. ``MappingError`` (a mapping or profile that cannot be used, a file without a usable header)
and ``WorkbookError`` (a file that cannot be read) are raised before the book is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..imports import ColumnMapping, ImportPlan, IncomingRows
    from ..load import RawTable
    from ..problems import Problem
    from .refresh import BookAdapter, Progress

GENERIC_PROFILE = "generic"


def table_names() -> tuple[str, ...]:
    """The tables an import can append to: ``invoices``, ``payments``, ``customers``, ``adjustments``."""
    from ..imports import IMPORT_TABLES

    return tuple(IMPORT_TABLES)


def profile_names() -> tuple[str, ...]:
    """The built-in mappings (``arxl.imports.PROFILES``)."""
    from ..imports import PROFILES

    return tuple(PROFILES)


@dataclass(frozen=True)
class Candidate:
    """A table a file fits, and the built-in profile whose header layout it has."""

    table: str
    profile: str


@dataclass(frozen=True)
class SourceRead:
    """The rows of the file, typed for one table, and how the file was read (for the output).

    Attributes:
        rows: the rows (``arxl.imports.IncomingRows``: notes, rows left out, problems found reading cells).
        name: the file's name.
        read_as: encoding and delimiter, sheet, and the mapping used, e.g.
            ``utf-8, delimiter ','; profile quickbooks-open-invoices``.
    """

    rows: IncomingRows
    name: str
    read_as: str


@dataclass(frozen=True)
class Imported:
    """What an import did (or, on a dry run, would do).

    Attributes:
        plan: ``arxl.imports.ImportPlan``: the rows to append, those already imported, conflicts, problems.
        found: errors of the book's own found while locating its tables (the book must be fixed first).
        written: whether rows were appended (False on a dry run, with errors, or with nothing new).
        first_row: the Excel row of the first appended row (on a dry run: where it would land).
        backup: the backup of the book file, if one was made.
    """

    plan: ImportPlan
    found: list[Problem]
    written: bool
    first_row: int
    backup: Path | None = None

    @property
    def book_failed(self) -> bool:
        """The book has errors of its own: nothing could be checked, nothing was written."""
        return bool(self.found) or self.plan.book_errors

    @property
    def problems(self) -> list[Problem]:
        return self.found + self.plan.problems if self.book_failed else self.plan.problems


def mapping_for(table: str, *, mapping_file: Path | None = None, profile: str | None = None,
                date_order: str | None = None, decimal_comma: bool = False) -> ColumnMapping:
    """The mapping for ``table`` (a key of ``table_names()``): ``mapping_file`` (TOML), else the built-in
    ``profile`` (default generic: the contract's own headers); MappingError if it cannot be used."""
    from dataclasses import replace

    from ..imports import IMPORT_TABLES, mapping_from_toml, profile_mapping

    contract_table = IMPORT_TABLES[table]
    if mapping_file is not None:
        mapping = mapping_from_toml(mapping_file.read_text(encoding="utf-8"), contract_table, mapping_file.name)
    else:
        mapping = profile_mapping(profile or GENERIC_PROFILE, contract_table)
    if date_order is not None:
        mapping = replace(mapping, date_order=date_order)
    if decimal_comma:
        mapping = replace(mapping, decimal_comma=True)
    return mapping


def read_rows(source: Path, mapping: ColumnMapping, *, encoding: str | None = None, delimiter: str | None = None,
              sheet: str | None = None) -> SourceRead:
    """Read ``source`` (CSV, .xlsx sheet, Parquet) through ``mapping``; WorkbookError if it cannot be read,
    MappingError if it has no header the mapping can use."""
    from ..imports import SourceInfo, header_probe, prepare_rows
    from ..workbook.source import read_source

    rows = read_source(source, encoding=encoding, delimiter=delimiter, sheet=sheet or mapping.sheet or None,
                       probe=header_probe(mapping))
    incoming = prepare_rows(rows.rows, rows.numbers, mapping, SourceInfo(rows.name, rows.unit))
    read_as = [f"{rows.encoding}, delimiter {rows.delimiter!r}" if rows.encoding else "",
               f"sheet {rows.sheet!r}" if rows.sheet else "", mapping.origin]
    return SourceRead(incoming, rows.name, "; ".join(part for part in read_as if part))


def detect(source: Path) -> list[Candidate]:
    """The (table, built-in profile) pairs whose header ``source`` has, the specific profiles before generic."""
    from ..imports import IMPORT_TABLES, PROFILES, header_probe, profile_mapping
    from ..workbook.source import PROBE_ROWS, read_source

    names = [name for name in PROFILES if name != GENERIC_PROFILE] + [GENERIC_PROFILE]
    candidates = [Candidate(table, name) for name in names for table in PROFILES[name]]
    probes = [header_probe(profile_mapping(candidate.profile, IMPORT_TABLES[candidate.table]))
              for candidate in candidates]
    rows = read_source(source, probe=lambda first: any(probe(first) for probe in probes)).rows[:PROBE_ROWS]
    return [candidate for candidate, probe in zip(candidates, probes, strict=True) if probe(rows)]


def import_rows(adapter: BookAdapter, incoming: SourceRead, *, dry_run: bool = False,
                create_customers: bool = False, skip_conflicts: bool = False,
                progress: Progress | None = None, now: dt.datetime | None = None) -> Imported:
    """Plan the rows against the book and, unless ``dry_run`` or anything is wrong, append them (with the new
    customers ``create_customers`` adds; ``skip_conflicts`` leaves conflicting rows out instead of failing).

    The appended rows are recorded on the Audit sheet with the file they came from, with any edit made in the
    book since arxl last wrote it (``arxl.verbs.audit``); an edit in the closed period stops the import.
    """
    from contextlib import nullcontext

    from ..contract import CUSTOMERS
    from ..imports import plan_import
    from . import audit
    from .refresh import Append

    say = progress or (lambda _message: None)
    with nullcontext() if dry_run else adapter.hold():
        say("reading the input tables")
        raw, date1904, found = adapter.read_tables()
        book_errors = [problem for problem in found if problem.is_error]
        say(f"checking {len(incoming.rows):,} row(s) against the book")
        plan = plan_import(incoming.rows, raw, date1904=date1904, create_customers=create_customers,
                           skip_conflicts=skip_conflicts)
        unwritten = Imported(plan, book_errors, False, plan.first_row)
        if dry_run or unwritten.book_failed or plan.errors or plan.rows.empty:
            return unwritten
        appends = [Append(CUSTOMERS, plan.customers)] if len(plan.customers) else []
        appends.append(Append(plan.table, plan.rows))
        book = adapter.generated()
        step = audit.compare(book, raw, adapter.inputs_fingerprint())
        if step.problems:
            return Imported(plan, step.problems, False, plan.first_row)
        source = f"arxl import {incoming.name}"
        for append in appends:
            table = raw.get(append.table.name)
            first = plan.first_row if append.table is plan.table else (
                table.first_row + len(table) if table is not None else 2)
            audit.add_own(step, append.table.name, append.rows, source, first)
        spec, extra = audit.finish(adapter, book, step, company=_company(raw), now=now)
        committed = adapter.commit(appends, [spec] if spec else [], keep_backups=max(plan.backups, 1),
                                   book=book, state_extra=extra)
    return Imported(plan, book_errors, True, committed.first_rows[-1], committed.backup)


def _company(raw: dict[str, RawTable]) -> str:
    """Settings company_name as the raw Settings table gives it (for the Audit sheet's title)."""
    from ..contract import normalise_header

    settings = raw.get("Settings")
    if settings is not None:
        header = [normalise_header(str(name)) for name in settings.header]
        if "key" in header and "value" in header:
            for row in settings.cell_rows():
                if str(row[header.index("key")] or "").strip().casefold() == "company_name":
                    return str(row[header.index("value")] or "")
    return ""
