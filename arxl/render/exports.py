"""The book's figures as tables for other tools: open items, the aging, the ledger and the application ledger.

``export_table(ledger, what, as_of)`` is pure: it returns an ``ExportTable`` (a frame with money in int64 minor
units of each row's ``currency``, and which columns are money, dates or text); ``arxl.workbook.export`` writes it
as CSV, Parquet or a new .xlsx workbook. What each export holds (columns in order):

- ``open-items``: the aging detail at the as-of date, one row per open document (unapplied cash and credit as
  negative items; one row per open instalment of an invoice with instalments): customer_id, name, document_id,
  kind, currency, document_date, due_date, days_past_due, bucket, status, original, adjusted, applied,
  open_amount, instalment (``2/3``, blank for a whole document).
- ``aging``: one row per customer (per customer and currency when a currency has no FXRates rate): customer_id,
  name, currency, the bucket columns (``Current``, ``1-30``, ...), Unapplied, Total - what ``arxl report aging``
  shows, with the currency column.
- ``ledger``: every document with its amount signed as the receivable sees it (invoices and debit notes
  positive; credit notes, payments, write-offs and discounts negative; reversals of payments, finance charges,
  late fees and recoveries positive): kind (invoice, credit_note, debit_note, payment, write_off, discount,
  finance_charge, bad_debt_recovery, late_fee), document_id, customer_id, customer_name, date, due_date, amount,
  currency, invoice_id (a payment's invoice, a credit note's applies_to, the invoice an adjustment adjusts), status
  (void and disputed documents are listed with their status), po_number, method, reference, description (an
  adjustment's reason). Ordered by date, then document_id. With ``as_of`` only documents dated on or before
  it; without, all of them. ``arxl import --profile arxl-ledger`` reads it back table by table.
- ``applications``: the application ledger at the as-of date: which payment or credit note settled how much of
  which invoice, when and by which step: source_id, source_kind, invoice_id, invoice_kind, customer_id,
  currency, amount, date, invoice_date, due_date, step (explicit, reference, auto).

Money is exact in every format: CSV plain decimals with the currency's digits (``1234.50``, ``-20.00``, JPY
``1234``); Parquet ``decimal128(38, s)`` where ``s`` is the largest number of minor digits among the file's
currencies (2 unless JPY-only (0) or KWD-like (3) currencies are present); .xlsx numbers (exact for any amount
below 2**53 minor units) formatted with the currency's digits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..aging import TOTAL, UNAPPLIED, aging
from ..ledger import Ledger
from ..settle import settle

EXPORTS: tuple[str, ...] = ("open-items", "aging", "ledger", "applications")
"""What ``arxl export --what`` can name."""

LEDGER_COLUMNS: tuple[str, ...] = (
    "kind", "document_id", "customer_id", "customer_name", "date", "due_date", "amount", "currency",
    "invoice_id", "status", "po_number", "method", "reference", "description",
)
OPEN_ITEM_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "document_id", "kind", "currency", "document_date", "due_date", "days_past_due",
    "bucket", "status", "original", "adjusted", "applied", "open_amount", "instalment",
)
APPLICATION_COLUMNS: tuple[str, ...] = (
    "source_id", "source_kind", "invoice_id", "invoice_kind", "customer_id", "currency", "amount", "date",
    "invoice_date", "due_date", "step",
)


@dataclass(frozen=True)
class ExportTable:
    """A table ready to be written.

    Attributes:
        name: what it is (``ledger``); the sheet name of an .xlsx export.
        frame: the rows; money columns hold int64 minor units of the row's ``currency``, dates are
            ``datetime64`` (NaT blank), text is ``str`` ("" blank), other numbers int64.
        money: the money columns.
        dates: the date columns.
        text: the text columns (written as text, never as formulas).
    """

    name: str
    frame: pd.DataFrame
    money: tuple[str, ...]
    dates: tuple[str, ...]
    text: tuple[str, ...]


def _table(name: str, frame: pd.DataFrame, money: tuple[str, ...]) -> ExportTable:
    dates = tuple(column for column in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[column]))
    numeric = set(money) | set(dates)
    text = tuple(column for column in frame.columns if column not in numeric
                 and not pd.api.types.is_numeric_dtype(frame[column]))
    for column in text:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), "").astype("str")
    return ExportTable(name, frame.reset_index(drop=True), money, dates, text)


def export_table(ledger: Ledger, what: str, as_of: dt.date | None) -> ExportTable:
    """The export ``what`` (one of ``EXPORTS``) of ``ledger``. ``as_of`` is required except for the ledger."""
    if what == "ledger":
        return _table("ledger", ledger_frame(ledger, as_of), ("amount",))
    if what not in EXPORTS:
        raise ValueError(f"{what!r}: expected one of {', '.join(EXPORTS)}")
    if as_of is None:
        raise ValueError(f"the {what} export needs an as-of date")
    if what == "applications":
        applications = settle(ledger, as_of).applications
        return _table("applications", applications[list(APPLICATION_COLUMNS)].copy(), ("amount",))
    from ..fx import convertible

    report = aging(ledger, as_of, convert=what == "aging" and convertible(ledger, as_of))
    if what == "aging":
        columns = ["customer_id", "name", "currency", *report.labels, UNAPPLIED, TOTAL]
        return _table("aging", report.summary[columns].copy(), (*report.labels, UNAPPLIED, TOTAL))
    detail = report.detail.copy()
    names = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")["name"]
    detail["name"] = detail["customer_id"].map(names).fillna("")
    return _table("open-items", detail[list(OPEN_ITEM_COLUMNS)].copy(),
                  ("original", "adjusted", "applied", "open_amount"))


def ledger_frame(ledger: Ledger, as_of: dt.date | None = None) -> pd.DataFrame:
    """Every document with its signed amount (see the module docstring), columns ``LEDGER_COLUMNS``."""
    invoices = pd.concat([ledger.invoices, ledger.voided], ignore_index=True)
    names = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")["name"]
    blank = pd.Series("", index=invoices.index, dtype="str")
    parts = [pd.DataFrame({
        "kind": invoices["type"], "document_id": invoices["invoice_id"], "customer_id": invoices["customer_id"],
        "date": invoices["invoice_date"], "due_date": invoices["due_date"], "amount": invoices["amount"],
        "currency": invoices["currency"], "invoice_id": invoices["applies_to"], "status": invoices["status"],
        "po_number": invoices["po_number"], "method": blank, "reference": blank,
        "description": invoices["description"],
    })]
    payments = ledger.payments
    blank = pd.Series("", index=payments.index, dtype="str")
    parts.append(pd.DataFrame({
        "kind": pd.Series("payment", index=payments.index, dtype="str"), "document_id": payments["payment_id"],
        "customer_id": payments["customer_id"], "date": payments["payment_date"],
        "due_date": pd.Series(pd.NaT, index=payments.index, dtype="datetime64[s]"),
        "amount": -payments["amount"], "currency": payments["currency"], "invoice_id": payments["invoice_id"],
        "status": blank, "po_number": blank, "method": payments["method"], "reference": payments["reference"],
        "description": blank,
    }))
    adjustments = ledger.adjustments
    if len(adjustments):
        owner = invoices.drop_duplicates("invoice_id").set_index("invoice_id")["customer_id"]
        blank = pd.Series("", index=adjustments.index, dtype="str")
        parts.append(pd.DataFrame({
            "kind": adjustments["type"], "document_id": adjustments["adjustment_id"],
            "customer_id": adjustments["invoice_id"].map(owner).fillna(""), "date": adjustments["date"],
            "due_date": pd.Series(pd.NaT, index=adjustments.index, dtype="datetime64[s]"),
            "amount": adjustments["effect"], "currency": adjustments["currency"],
            "invoice_id": adjustments["invoice_id"], "status": blank, "po_number": blank, "method": blank,
            "reference": blank, "description": adjustments["reason"],
        }))
    frame = pd.concat([part for part in parts if len(part)], ignore_index=True) if any(
        len(part) for part in parts) else parts[0]
    frame["amount"] = frame["amount"].astype(np.int64)
    frame["date"] = frame["date"].astype("datetime64[s]")
    frame["due_date"] = frame["due_date"].astype("datetime64[s]")
    if as_of is not None:
        frame = frame[frame["date"] <= np.datetime64(as_of, "s")]
    frame["customer_name"] = frame["customer_id"].map(names).fillna("").astype("str")
    frame = frame.sort_values(["date", "document_id"], kind="stable")
    return frame[list(LEDGER_COLUMNS)].reset_index(drop=True)
