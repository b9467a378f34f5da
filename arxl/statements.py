"""Customer statements: the open-item statement at a date and the activity statement over a period.

DESIGN.md section 3, "Statements": an open-item statement lists every open item with its age, an aging footer
and the total due; an activity statement gives the opening balance, every document of the period with a running
balance, and the closing balance, which equals the customer's aging total at the end date.

Choices where DESIGN.md is silent:

- A customer with documents in several currencies gets one figure per currency: ``total_due``,
  ``opening_balance`` and ``closing_balance`` are ``{currency: minor units}``, the open-item ``footer`` has one
  row per currency, and activity ``lines`` are grouped by currency (running balance per currency). A customer
  with nothing at all shows its own currency with zero.
- Activity lines: every invoice, debit note, credit note, payment, reversal and refund dated in the period, and
  every adjustment taking effect in it (an adjustment takes effect on its date, or on its invoice's date if
  later), with the effect the engine gave it. A refund is a debit (the credit paid back out). Documents of zero
  amount are left out. A payment that settled an invoice in another currency (a cross-currency receipt) adds
  two ``exchange`` lines on the application's date: a credit of the amount settled in the invoice's currency
  and a debit of what the payment gave in its own, so that each currency's closing balance is its aging total.
  Lines are ordered by currency, date, kind (``ACTIVITY_KINDS`` order: what the customer owes before what it
  paid) and document id.
- The opening balance is the customer's balance at the end of the day before ``start``.
- An invoice with instalments is one open item per open instalment (``instalment`` = ``k/n``), each with its own
  due date and age; the activity statement lists the invoice once, as the customer was billed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .aging import TOTAL, UNAPPLIED, aging_detail, aging_summary, bucket_labels, parse_edges
from .ledger import Ledger
from .settle import Settlement, settle

ACTIVITY_KINDS: tuple[str, ...] = ("invoice", "debit_note", "adjustment", "credit_note", "payment", "reversal",
                                   "refund", "exchange")
"""Kinds of activity lines, in the order they are listed within a day."""

ACTIVITY_COLUMNS: tuple[str, ...] = (
    "currency", "date", "document_id", "kind", "description", "debit", "credit", "running_balance",
)
STATEMENT_ITEM_COLUMNS: tuple[str, ...] = (
    "currency", "document_id", "instalment", "kind", "document_date", "due_date", "original", "adjusted",
    "applied", "open_amount", "days_past_due", "bucket", "status", "po_number", "reference", "description",
)


@dataclass(frozen=True, eq=False)
class OpenItemStatement:
    """What a customer owes at one date, item by item.

    Attributes:
        customer_id, name: the customer.
        as_of: the statement date.
        basis: ``due`` or ``invoice`` (how ages are counted).
        labels: the day-bucket labels of the footer.
        items: the customer's open items (``STATEMENT_ITEM_COLUMNS``), by currency, date, id.
        footer: one row per currency: currency, one column per label, Unapplied, Total.
        total_due: currency -> the balance (Total) in minor units.
    """

    customer_id: str
    name: str
    as_of: dt.date
    basis: str
    labels: list[str]
    items: pd.DataFrame
    footer: pd.DataFrame
    total_due: dict[str, int]


@dataclass(frozen=True, eq=False)
class ActivityStatement:
    """A customer's account over a period.

    Attributes:
        customer_id, name: the customer.
        start, end: the period, both days included.
        opening_balance: currency -> balance at the end of the day before ``start`` (minor units).
        lines: ``ACTIVITY_COLUMNS``; debit and credit are positive minor units.
        closing_balance: currency -> opening balance + debits - credits.
    """

    customer_id: str
    name: str
    start: dt.date
    end: dt.date
    opening_balance: dict[str, int]
    lines: pd.DataFrame
    closing_balance: dict[str, int]


def _home_currency(ledger: Ledger, customer_id: str) -> str:
    currency = ledger.customers.loc[ledger.customers["customer_id"] == customer_id, "currency"]
    return str(currency.iloc[0]) if len(currency) else ledger.settings.reporting_currency


def _balances(settlement: Settlement) -> dict[str, int]:
    sums = settlement.open_items.groupby("currency", sort=True)["open_amount"].sum()
    return {str(currency): int(amount) for currency, amount in sums.items()}


def open_item_statement(ledger: Ledger, customer_id: str, as_of: dt.date, *, basis: str | None = None,
                        edges: Sequence[int] | None = None, settlement: Settlement | None = None
                        ) -> OpenItemStatement:
    """The open-item statement of ``customer_id`` at ``as_of``; basis and edges default to the Settings.

    Pass ``settlement`` (of the whole ledger or of this customer, at ``as_of``) to reuse one.
    """
    basis = ledger.settings.aging_basis if basis is None else basis
    edges = parse_edges(ledger.settings.bucket_edges if edges is None else edges)
    labels = bucket_labels(edges)
    if settlement is None:
        settlement = settle(ledger, as_of, customer_id=customer_id)
    detail = aging_detail(settlement, as_of, basis, edges)
    detail = detail.loc[detail["customer_id"] == customer_id].reset_index(drop=True)
    summary = aging_summary(ledger, detail, edges)
    footer = summary[["currency", *labels, UNAPPLIED, TOTAL]].reset_index(drop=True)
    if footer.empty:
        zero = {column: [0] for column in [*labels, UNAPPLIED, TOTAL]}
        footer = pd.DataFrame({"currency": pd.Series([_home_currency(ledger, customer_id)], dtype="str"), **zero})
    total_due = {str(row.currency): int(getattr(row, TOTAL)) for row in footer[["currency", TOTAL]].itertuples()}
    return OpenItemStatement(
        customer_id=customer_id,
        name=ledger.customer_name(customer_id),
        as_of=as_of,
        basis=basis,
        labels=labels,
        items=detail[list(STATEMENT_ITEM_COLUMNS)],
        footer=footer,
        total_due=total_due,
    )


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].astype("str").to_numpy(dtype=object)


def _lines(currency: np.ndarray, date: np.ndarray, document_id: np.ndarray, kind: np.ndarray,
           description: np.ndarray, signed: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"currency": currency, "date": date, "document_id": document_id, "kind": kind,
                         "description": description, "signed": np.asarray(signed, dtype=np.int64)})


def _or(text: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """``text`` where it is not blank, else ``fallback``."""
    return np.where(text != "", text, fallback)


def _exchange_lines(applications: pd.DataFrame, first: np.datetime64) -> pd.DataFrame:
    """The two lines of each cross-currency receipt dated from ``first`` on (the module docstring)."""
    cross = applications.loc[(applications["source_currency"] != applications["currency"]).to_numpy()
                             & (applications["date"] >= first).to_numpy()]
    source, invoice = _text(cross, "source_id"), _text(cross, "invoice_id")
    currency, source_currency = _text(cross, "currency"), _text(cross, "source_currency")
    amount = cross["amount"].to_numpy(dtype=np.int64)
    given = cross["source_amount"].to_numpy(dtype=np.int64)
    settled_text = np.array([f"{paid} in {code} settles {target}" for paid, code, target
                             in zip(source, source_currency, invoice, strict=True)], dtype=object)
    given_text = np.array([f"{paid} applied to {target} in {code}" for paid, target, code
                           in zip(source, invoice, currency, strict=True)], dtype=object)
    date = cross["date"].to_numpy()
    kind = np.full(len(cross), "exchange", dtype=object)
    return pd.concat([_lines(currency, date, source, kind, settled_text, -amount),
                      _lines(source_currency, date, source, kind, given_text, given)], ignore_index=True)


def activity_statement(ledger: Ledger, customer_id: str, start: dt.date, end: dt.date) -> ActivityStatement:
    """Every movement on ``customer_id``'s account from ``start`` to ``end`` (both included), with balances."""
    if end < start:
        raise ValueError(f"the statement period ends ({end}) before it starts ({start})")
    first, last = np.datetime64(start, "s"), np.datetime64(end, "s")

    invoices = ledger.invoices
    invoices = invoices.loc[(invoices["customer_id"] == customer_id) & (invoices["invoice_date"] >= first)
                            & (invoices["invoice_date"] <= last) & (invoices["amount"] != 0)]
    amount = invoices["amount"].to_numpy(dtype=np.int64)
    credit_note = amount < 0
    kind = np.where(credit_note, "credit_note", np.where(_text(invoices, "type") == "debit_note", "debit_note",
                                                         "invoice"))
    applies_to, po_number = _text(invoices, "applies_to"), _text(invoices, "po_number")
    named = np.where(credit_note, np.where(applies_to != "", "Credit for " + applies_to, ""),
                     np.where(po_number != "", "PO " + po_number, ""))

    payments = ledger.payments
    payments = payments.loc[(payments["customer_id"] == customer_id) & (payments["payment_date"] >= first)
                            & (payments["payment_date"] <= last) & (payments["amount"] != 0)]
    paid = payments["amount"].to_numpy(dtype=np.int64)
    payment_kind = (_text(payments, "type") if "type" in payments
                    else np.where(paid < 0, "reversal", "payment").astype(object))
    refunded = payment_kind == "refund"
    remittance = _or(_text(payments, "reference"), _text(payments, "invoice_id"))
    if refunded.any():
        remittance = np.where(refunded, "Refund of " + _text(payments, "credit_id"), remittance)
    method = _text(payments, "method")
    payment_text = np.where((method != "") & (remittance != ""), method + " " + remittance, method + remittance)

    at_end = settle(ledger, end, customer_id=customer_id)
    adjustments = at_end.adjustments
    adjustments = adjustments.loc[(adjustments["date"] >= first) & (adjustments["effect"] != 0)]
    adjustment_type = np.array([text.replace("_", " ").capitalize() for text in _text(adjustments, "type")],
                               dtype=object)
    adjustment_text = adjustment_type + " " + _text(adjustments, "invoice_id")
    reason = _text(adjustments, "reason")
    adjustment_text = np.where(reason != "", adjustment_text + ": " + reason, adjustment_text)

    lines = pd.concat([
        _lines(_text(invoices, "currency"), invoices["invoice_date"].to_numpy(), _text(invoices, "invoice_id"),
               kind, _or(_text(invoices, "description"), named), amount),
        _lines(_text(payments, "currency"), payments["payment_date"].to_numpy(), _text(payments, "payment_id"),
               payment_kind, payment_text, -paid),
        _lines(_text(adjustments, "currency"), adjustments["date"].to_numpy(), _text(adjustments, "adjustment_id"),
               np.full(len(adjustments), "adjustment", dtype=object), adjustment_text,
               adjustments["effect"].to_numpy(dtype=np.int64)),
        _exchange_lines(at_end.applications, first),
    ], ignore_index=True)
    lines["kind_rank"] = pd.Categorical(lines["kind"], categories=list(ACTIVITY_KINDS)).codes
    lines = lines.sort_values(["currency", "date", "kind_rank", "document_id"], kind="stable",
                              ignore_index=True)

    before = _balances(settle(ledger, start - dt.timedelta(days=1), customer_id=customer_id))
    currencies = sorted(set(before) | set(lines["currency"])) or [_home_currency(ledger, customer_id)]
    opening = {currency: before.get(currency, 0) for currency in currencies}
    signed = lines["signed"].to_numpy(dtype=np.int64)
    currency = lines["currency"].to_numpy(dtype=object)
    running = (pd.Series(signed).groupby(currency).cumsum().to_numpy(dtype=np.int64)
               + np.array([opening[code] for code in currency], dtype=np.int64))
    result = pd.DataFrame({
        "currency": pd.Series(currency, dtype="str"),
        "date": lines["date"].to_numpy(dtype="datetime64[s]"),
        "document_id": pd.Series(lines["document_id"].to_numpy(dtype=object), dtype="str"),
        "kind": pd.Series(lines["kind"].to_numpy(dtype=object), dtype="str"),
        "description": pd.Series(lines["description"].to_numpy(dtype=object), dtype="str"),
        "debit": np.where(signed > 0, signed, 0),
        "credit": np.where(signed < 0, -signed, 0),
        "running_balance": running,
    }, columns=list(ACTIVITY_COLUMNS))
    closing = {code: opening[code] + int(signed[currency == code].sum()) for code in currencies}
    return ActivityStatement(
        customer_id=customer_id,
        name=ledger.customer_name(customer_id),
        start=start,
        end=end,
        opening_balance=opening,
        lines=result,
        closing_balance=closing,
    )
