"""Build a typed Ledger from plain Python rows, with exactly the dtypes of ``arxl.ledger`` (for tests).

Amounts are major units written as strings (``"100.00"``) and go through ``money.to_minor``; dates are ISO
strings or ``datetime.date``; omitted columns take the loader's defaults (due date = invoice date + the
customer's terms, type from the sign, currency from the customer, customers created for every id used).
Invoices with ``status="void"`` go to ``ledger.voided``. A payment with ``type="refund"`` pays out the credit its
``invoice_id`` (a credit note) or ``reference`` (a payment) names, stored negative as the loader does; an
adjustment naming a credit note or a payment is signed as the loader signs it (a write-off brings it to zero).
Instalments (``invoice_id, due_date, amount``) set their invoice's due date to the last one's, as the loader
does; an invoice's or payment's ``fx_rate`` and an FXRates row's ``date`` are optional.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

from arxl.contract import REDUCING_ADJUSTMENTS
from arxl.ledger import (
    ACTIVITY_COLUMNS,
    ADJUSTMENT_COLUMNS,
    APPLICATION_COLUMNS,
    CUSTOMER_COLUMNS,
    FX_COLUMNS,
    INSTALMENT_COLUMNS,
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    Ledger,
    Settings,
    empty_frame,
)
from arxl.money import to_minor

Row = dict[str, Any]


def day(value: str | dt.date | None) -> dt.date | None:
    """``"2026-01-31"`` -> ``date(2026, 1, 31)``; dates and None pass through."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _frame(rows: list[Row], columns: dict[str, str]) -> pd.DataFrame:
    if not rows:
        return empty_frame(columns)
    data = {name: [row[name] for row in rows] for name in columns}
    frame = pd.DataFrame(data)
    for name, dtype in columns.items():
        if dtype.startswith("datetime64"):
            frame[name] = pd.to_datetime(frame[name]).astype(dtype)
        else:
            frame[name] = frame[name].astype(dtype)
    return frame


def build_ledger(
    *,
    invoices: Sequence[Row] = (),
    payments: Sequence[Row] = (),
    applications: Sequence[Row] = (),
    adjustments: Sequence[Row] = (),
    customers: Sequence[Row] = (),
    fx_rates: Sequence[Row] = (),
    instalments: Sequence[Row] = (),
    settings: Settings | None = None,
    **setting_overrides: Any,
) -> Ledger:
    """A Ledger from plain rows (see the module docstring); ``setting_overrides`` replace Settings fields."""
    settings = dataclasses.replace(settings or Settings(), **setting_overrides)
    reporting = settings.reporting_currency

    customer_rows: dict[str, Row] = {}
    for index, given in enumerate(customers):
        limit = given.get("credit_limit")
        currency = given.get("currency", reporting)
        customer_rows[given["customer_id"]] = {
            "customer_id": given["customer_id"], "name": given.get("name", given["customer_id"]),
            "email": given.get("email", ""), "terms_days": given.get("terms_days", settings.default_terms_days),
            "credit_limit": None if limit is None else to_minor(limit, currency), "currency": currency,
            "on_hold": bool(given.get("on_hold", False)), "contact": given.get("contact", ""),
            "address": given.get("address", ""), "group": given.get("group", ""),
            "region": given.get("region", ""), "salesperson": given.get("salesperson", ""), "row": index + 2,
        }
    for given in [*invoices, *payments]:
        customer_id = given["customer_id"]
        if customer_id not in customer_rows:
            customer_rows[customer_id] = {
                "customer_id": customer_id, "name": customer_id, "email": "",
                "terms_days": settings.default_terms_days, "credit_limit": None, "currency": reporting,
                "on_hold": False, "contact": "", "address": "", "group": "", "region": "", "salesperson": "",
                "row": len(customer_rows) + 2,
            }

    invoice_rows: list[Row] = []
    for index, given in enumerate(invoices):
        customer = customer_rows[given["customer_id"]]
        currency = given.get("currency", customer["currency"])
        amount = to_minor(given["amount"], currency)
        invoice_date = day(given["invoice_date"])
        due = day(given.get("due_date")) or invoice_date + dt.timedelta(days=int(customer["terms_days"]))
        invoice_rows.append({
            "invoice_id": given["invoice_id"], "customer_id": given["customer_id"],
            "invoice_date": invoice_date, "due_date": due, "amount": amount,
            "type": given.get("type", "credit_note" if amount < 0 else "invoice"),
            "applies_to": given.get("applies_to", ""), "currency": currency, "status": given.get("status", ""),
            "po_number": given.get("po_number", ""), "description": given.get("description", ""),
            "fx_rate": float(given.get("fx_rate", "nan")), "row": given.get("row", index + 2),
        })
    invoice_currency = {row["invoice_id"]: row["currency"] for row in invoice_rows}

    payment_rows = []
    for index, given in enumerate(payments):
        currency = given.get("currency", customer_rows[given["customer_id"]]["currency"])
        amount = to_minor(given["amount"], currency)
        refund = given.get("type") == "refund"
        payment_rows.append({
            "payment_id": given["payment_id"], "customer_id": given["customer_id"],
            "payment_date": day(given["payment_date"]), "amount": -abs(amount) if refund else amount,
            "invoice_id": given.get("invoice_id", ""), "currency": currency, "method": given.get("method", ""),
            "reference": given.get("reference", ""), "fx_rate": float(given.get("fx_rate", "nan")),
            "type": "refund" if refund else ("reversal" if amount < 0 else "payment"),
            "credit_id": (given.get("invoice_id") or given.get("reference", "")) if refund else "",
            "row": given.get("row", index + 2),
        })
    payment_currency = {row["payment_id"]: row["currency"] for row in payment_rows}
    credit_notes = {row["invoice_id"] for row in invoice_rows if row["amount"] < 0}

    application_rows = []
    for index, given in enumerate(applications):
        currency = invoice_currency.get(given["invoice_id"], reporting)
        application_rows.append({
            "payment_id": given["payment_id"], "invoice_id": given["invoice_id"],
            "amount": to_minor(given["amount"], currency), "date": day(given.get("date")),
            "exchange_rate": float(given.get("exchange_rate", "nan")), "row": given.get("row", index + 2),
        })

    adjustment_rows = []
    for index, given in enumerate(adjustments):
        named = given["invoice_id"]
        credit = named in credit_notes or (named not in invoice_currency and named in payment_currency)
        currency = invoice_currency.get(named) or payment_currency.get(named, reporting)
        amount = to_minor(given["amount"], currency)
        reducing = given["type"] in REDUCING_ADJUSTMENTS
        adjustment_rows.append({
            "adjustment_id": given["adjustment_id"], "invoice_id": named,
            "date": day(given["date"]), "type": given["type"], "amount": amount,
            "effect": amount if credit and reducing else (-amount if reducing else amount), "currency": currency,
            "reason": given.get("reason", ""), "row": given.get("row", index + 2),
        })

    fx_rows = [{"currency": given["currency"], "rate": float(given["rate"]), "date": day(given.get("date")),
                "row": index + 2} for index, given in enumerate(fx_rates)]

    instalment_rows = [{"invoice_id": given["invoice_id"], "due_date": day(given["due_date"]),
                        "amount": to_minor(given["amount"], invoice_currency.get(given["invoice_id"], reporting)),
                        "note": given.get("note", ""), "row": given.get("row", index + 2)}
                       for index, given in enumerate(instalments)]
    last_due: dict[str, dt.date] = {}
    for row in instalment_rows:
        last_due[row["invoice_id"]] = max(row["due_date"], last_due.get(row["invoice_id"], row["due_date"]))
    for row in invoice_rows:
        row["due_date"] = last_due.get(row["invoice_id"], row["due_date"])

    live = [row for row in invoice_rows if row["status"] != "void"]
    void = [row for row in invoice_rows if row["status"] == "void"]
    return Ledger(
        settings=settings,
        customers=_frame(list(customer_rows.values()), CUSTOMER_COLUMNS),
        invoices=_frame(live, INVOICE_COLUMNS),
        voided=_frame(void, INVOICE_COLUMNS),
        payments=_frame(payment_rows, PAYMENT_COLUMNS),
        applications=_frame(application_rows, APPLICATION_COLUMNS),
        adjustments=_frame(adjustment_rows, ADJUSTMENT_COLUMNS),
        activity=empty_frame(ACTIVITY_COLUMNS),
        fx_rates=_frame(fx_rows, FX_COLUMNS),
        instalments=_frame(instalment_rows, INSTALMENT_COLUMNS),
    )


def shuffled(ledger: Ledger, seed: int) -> Ledger:
    """The same ledger with the rows of every table in another order (the ``row`` column travels along)."""
    def mix(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)

    frames = {item.name: mix(getattr(ledger, item.name)) for item in dataclasses.fields(ledger)
              if isinstance(getattr(ledger, item.name), pd.DataFrame)}
    return dataclasses.replace(ledger, **frames)
