"""Exceptions arxl raises; bad *data* is never an exception but a list of Problems.

    ArxlError                  base of everything arxl raises on purpose
    ├── WorkbookError          the file cannot be used at all (missing, not a workbook, damaged, hostile)
    ├── ValidationFailed       the workbook has errors; carries the Problems (nothing was written)
    │   └── EditsFound         someone typed in sheets arxl generates; carries where (nothing was written)
    ├── NotConvertible         amounts cannot be added up in the reporting currency: a rate is missing
    ├── SaveRefused            a write was refused to protect the file (open in Excel, changed since read)
    ├── MissingToolError       an optional tool the command needs (LibreOffice) is not installed
    └── ToolFailed             that tool ran and failed on some of its work (what was done is kept and said)
"""

from __future__ import annotations

from .problems import Problem


class ArxlError(Exception):
    """Base class of arxl's own exceptions; its message is meant for the user as it stands."""


class WorkbookError(ArxlError):
    """The workbook cannot be read at all."""


class ValidationFailed(ArxlError):
    """The workbook has errors; ``problems`` lists all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = sum(problem.is_error for problem in problems)
        super().__init__(f"the workbook has {errors} error(s); nothing was written")


class EditsFound(ValidationFailed):
    """Generated sheets about to be rewritten hold edits (``arxl.verbs.sheets.find_edits``); ``problems`` names
    each sheet and its first changed cell. Running again with ``discard_edits`` rewrites them anyway."""


class NotConvertible(ArxlError, ValueError):
    """Amounts cannot be added up in the reporting currency: a currency of the documents has no exchange rate in
    force on the date asked for (``arxl.fx.unconvertible_message`` says which and what to add)."""


class SaveRefused(ArxlError):
    """A save was refused so that the user's file stays as it is."""


class MissingToolError(ArxlError):
    """An optional tool the command needs is not installed; the message says how to install it."""


class ToolFailed(ArxlError):
    """A tool arxl runs (LibreOffice) failed on part of its work; the message says what was and was not done."""
