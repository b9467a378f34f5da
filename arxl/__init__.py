"""arxl: an Excel workbook as a trustworthy Accounts Receivable system of record, kept by Python.

The public names below are the library API (documented in the README); everything else lives in modules named
after the domain (``arxl.settle``, ``arxl.aging``, ``arxl.metrics``, ...) and may change.
"""

from .aging import AgingReport, aging, aging_detail, aging_summary, bucket_labels
from .checks import document_balances, run_checks
from .contract import TABLES, contract_markdown
from .errors import ArxlError, MissingToolError, SaveRefused, ValidationFailed, WorkbookError
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
