"""arxl: an Excel workbook as a trustworthy Accounts Receivable system of record, kept by Python.

The public names below are the library API (documented in the README); everything else lives in modules named
after the domain (``arxl.settle``, ``arxl.aging``, ``arxl.metrics``, ...) and may change.

Each public name is imported from its module on first use (PEP 562), so ``import arxl`` costs nothing and the
``arxl`` command starts without pandas; the workbook readers and writers (fastexcel, python-calamine, openpyxl)
load only when a file is read or written.
"""

import importlib as _importlib
import sys as _sys
import types as _types
from typing import TYPE_CHECKING as _TYPE_CHECKING

if _TYPE_CHECKING:
    from .aging import AgingReport, aging, aging_detail, aging_summary, bucket_labels
    from .checks import document_balances, run_checks
    from .contract import TABLES, contract_markdown
    from .errors import ArxlError, MissingToolError, SaveRefused, ToolFailed, ValidationFailed, WorkbookError
    from .ledger import Ledger, Settings
    from .load import LoadResult, RawTable, load_tables, raw_table_from_rows
    from .metrics import Metrics, compute_metrics, dso_countback, monthly_series, payment_behaviour
    from .problems import Problem
    from .settle import Settlement, settle
    from .statements import ActivityStatement, OpenItemStatement, activity_statement, open_item_statement
    from .verbs.refresh import RefreshResult, run_refresh
    from .workbook import build_template, load_book, write_demo

__all__ = [
    "TABLES",
    "ActivityStatement",
    "AgingReport",
    "ArxlError",
    "Ledger",
    "LoadResult",
    "Metrics",
    "MissingToolError",
    "OpenItemStatement",
    "Problem",
    "RawTable",
    "RefreshResult",
    "SaveRefused",
    "Settings",
    "Settlement",
    "ToolFailed",
    "ValidationFailed",
    "WorkbookError",
    "activity_statement",
    "aging",
    "aging_detail",
    "aging_summary",
    "bucket_labels",
    "build_template",
    "compute_metrics",
    "contract_markdown",
    "document_balances",
    "dso_countback",
    "load_book",
    "load_tables",
    "monthly_series",
    "open_item_statement",
    "payment_behaviour",
    "raw_table_from_rows",
    "run_checks",
    "run_refresh",
    "settle",
    "write_demo",
]

# The module each public name lives in (the same list as the imports above, which only type checkers read).
_HOMES = {
    "aging": ("AgingReport", "aging", "aging_detail", "aging_summary", "bucket_labels"),
    "checks": ("document_balances", "run_checks"),
    "contract": ("TABLES", "contract_markdown"),
    "errors": ("ArxlError", "MissingToolError", "SaveRefused", "ToolFailed", "ValidationFailed", "WorkbookError"),
    "ledger": ("Ledger", "Settings"),
    "load": ("LoadResult", "RawTable", "load_tables", "raw_table_from_rows"),
    "metrics": ("Metrics", "compute_metrics", "dso_countback", "monthly_series", "payment_behaviour"),
    "problems": ("Problem",),
    "settle": ("Settlement", "settle"),
    "statements": ("ActivityStatement", "OpenItemStatement", "activity_statement", "open_item_statement"),
    "verbs.refresh": ("RefreshResult", "run_refresh"),
    "workbook": ("build_template", "load_book", "write_demo"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
_SHADOWED = frozenset(name for name, module in _HOME_OF.items() if name == module)  # aging, settle


def __getattr__(name: str) -> object:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(_types.ModuleType):
    """``arxl`` until its submodules ``aging`` and ``settle`` are loaded. The import system binds each submodule
    it loads on its package (``arxl.aging`` = the module); these two share their names with public functions,
    which keep the names, as when this module imported every public name at once. Once both names are bound
    (the submodules loaded, which happens once), ``arxl`` becomes a plain module again."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _SHADOWED and isinstance(value, _types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)
        if all(shadowed in vars(self) for shadowed in _SHADOWED):
            self.__class__ = _types.ModuleType


_sys.modules[__name__].__class__ = _Package
