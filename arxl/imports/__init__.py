"""Importing another system's export into one of the book's input tables: mapping, checking, planning the append.

``arxl import BOOK --table invoices FILE --profile quickbooks-open-invoices`` reads FILE (CSV, an .xlsx sheet or
Parquet, see ``arxl.workbook.source``), maps its columns to the contract through a *mapping*, and plans which rows
to append. The plan is pure: ``prepare_rows`` (file rows -> typed, normalised rows, with the file's own line
numbers) and ``plan_import`` (those rows against the book's tables -> what to append, what was already imported,
what conflicts, and every problem). Writing the plan is the CLI's job (``arxl.cli.data``).

The package, one module per step, each with its rules in its docstring:

- ``mapping``: ``ColumnMapping``, TOML mapping files and the built-in profiles (with the layouts they expect);
- ``rows``: the file's cells -> ``IncomingRows`` (header finding, filters, values translated, dates and amounts
  read by the grammar the loader uses too, ``arxl.text``);
- ``plan``: ``IncomingRows`` against the book -> ``ImportPlan`` (validation through the loader, idempotence,
  conflicts, new customers, problems located on the file's lines).

The names below are the public ones: import them from ``arxl.imports``, not from the modules.
"""

from __future__ import annotations

from .mapping import (
    AMOUNT_SIGNS,
    CUSTOMER_NAME,
    DATE_ORDERS,
    IMPORT_TABLES,
    PROFILES,
    ColumnMapping,
    MappingError,
    mapping_from_toml,
    parse_mapping,
    profile_mapping,
)
from .plan import Conflict, ImportPlan, plan_import
from .rows import HEADER_SEARCH_ROWS, IncomingRows, SourceInfo, SourceProblem, header_probe, prepare_rows

__all__ = [
    "AMOUNT_SIGNS",
    "CUSTOMER_NAME",
    "DATE_ORDERS",
    "HEADER_SEARCH_ROWS",
    "IMPORT_TABLES",
    "PROFILES",
    "ColumnMapping",
    "Conflict",
    "ImportPlan",
    "IncomingRows",
    "MappingError",
    "SourceInfo",
    "SourceProblem",
    "header_probe",
    "mapping_from_toml",
    "parse_mapping",
    "plan_import",
    "prepare_rows",
    "profile_mapping",
]
