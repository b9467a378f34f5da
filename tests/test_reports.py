"""Machine-readable shapes of the engine's results (the CLI contract of issue 3)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

from arxl.aging import aging
from arxl.metrics import compute_metrics
from arxl.render.plain import aging_csv, metrics_dict, open_items_frame, safe_text, statement_frames
from arxl.statements import activity_statement, open_item_statement
from tests.builders import build_ledger

AS_OF = dt.date(2026, 3, 31)


def _ledger(**settings):
    return build_ledger(
        customers=[dict(customer_id="C1", name="Acme, Inc."), dict(customer_id="C2", name="=HYPERLINK(\"x\")"),
                   dict(customer_id="-7", name="Minus"), dict(customer_id="J1", name="Tokyo", currency="JPY"),
                   dict(customer_id="C9", name="Nothing open")],
        invoices=[
            dict(invoice_id="I1", customer_id="C1", invoice_date="2026-03-01", due_date="2026-03-31",
                 amount="1234.50"),
            dict(invoice_id="I2", customer_id="C1", invoice_date="2025-11-01", due_date="2025-12-01",
                 amount="10.00"),
            dict(invoice_id="I3", customer_id="C2", invoice_date="2026-02-01", due_date="2026-03-01",
                 amount="0.05"),
            dict(invoice_id="I4", customer_id="-7", invoice_date="2026-02-01", due_date="2026-03-01",
                 amount="1.00"),
            dict(invoice_id="Y1", customer_id="J1", invoice_date="2026-01-01", due_date="2026-01-31",
                 amount="5000"),
            dict(invoice_id="I9", customer_id="C9", invoice_date="2026-01-01", amount="1.00"),
        ],
        payments=[dict(payment_id="P1", customer_id="C2", payment_date="2026-03-10", amount="20.00"),
                  dict(payment_id="P9", customer_id="C9", payment_date="2026-01-02", amount="1.00",
                       invoice_id="I9")],
        **settings,
    )


def test_aging_csv_header_and_rows_exactly():
    report = aging(_ledger(), AS_OF)
    text = aging_csv(report.summary, report.labels, _ledger())
    # C1: I1 due today (Current) 1234.50, I2 120 days past due (Over 90) 10.00.
    # C2: I3 30 days (1-30) 0.05; P1 20.00, 19.95 of it unapplied -> Total -19.95.
    # -7: 30 days 1.00. J1: 59 days, JPY has no minor digits. C9: nothing open, no row.
    assert text == (
        "customer_id,name,Current,1-30,31-60,61-90,Over 90,Unapplied,Total\n"
        "'-7,Minus,0.00,1.00,0.00,0.00,0.00,0.00,1.00\n"
        "C1,\"Acme, Inc.\",1234.50,0.00,0.00,0.00,10.00,0.00,1244.50\n"
        "C2,\"'=HYPERLINK(\"\"x\"\")\",0.00,0.00,0.00,0.00,0.00,19.95,-19.95\n"
        "J1,Tokyo,0,0,5000,0,0,0,5000\n"
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[2][1] == "Acme, Inc."


def test_aging_csv_header_follows_the_edges():
    report = aging(_ledger(), AS_OF, edges=(15, 45))
    header = aging_csv(report.summary, report.labels).splitlines()[0]
    assert header == "customer_id,name,Current,1-15,16-45,Over 45,Unapplied,Total"


def test_formula_like_text_is_neutralised():
    for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]:
        assert safe_text(text) == "'" + text
    assert safe_text("Acme") == "Acme"


def test_metrics_dict_is_json_ready_with_the_documented_keys():
    ledger = build_ledger(
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-03-01", amount="300.00"),
                  dict(invoice_id="I0", customer_id="C1", invoice_date="2025-12-15", amount="100.10")],
    )
    data = metrics_dict(compute_metrics(ledger, AS_OF))
    json.dumps(data)
    for key in ("ar", "current_ar", "beginning_ar", "credit_sales", "dso", "dso_countback", "bpdso", "add",
                "cei"):
        assert key in data
    # AR 400.10; sales 300.00 in the period; DSO = 400.10 / 300 x 90 = 120.03; BPDSO = 300 / 300 x 90 = 90.
    assert (data["ar"], data["current_ar"], data["beginning_ar"], data["credit_sales"]) == (
        400.10, 300.00, 100.10, 300.00)
    assert (data["dso"], data["bpdso"], data["add"]) == (120.03, 90.0, 30.03)
    # CEI = (100.10 + 300 - 400.10) / (100.10 + 300 - 300) x 100 = 0.
    assert data["cei"] == 0.0
    assert (data["as_of"], data["period_days"], data["currency"]) == ("2026-03-31", 90, "USD")
    empty = metrics_dict(compute_metrics(build_ledger(), AS_OF))
    assert empty["dso"] is None and empty["ar"] == 0.0


def test_display_frames_hold_exact_decimals():
    ledger = _ledger()
    frame = open_items_frame(aging(ledger, AS_OF).detail)
    by_id = frame.set_index("document_id")
    assert by_id.loc["I1", "open_amount"] == Decimal("1234.50")
    assert by_id.loc["Y1", "open_amount"] == Decimal("5000")
    assert by_id.loc["P1", "open_amount"] == Decimal("-19.95")
    assert by_id.loc["I1", "due_date"] == dt.date(2026, 3, 31)
    frames = statement_frames(open_item_statement(ledger, "C1", AS_OF))
    assert frames["footer"]["Total"].tolist() == [Decimal("1244.50")]
    activity = statement_frames(activity_statement(ledger, "C2", dt.date(2026, 3, 1), AS_OF))
    assert activity["lines"]["credit"].tolist() == [Decimal("20.00")]
    assert activity["balances"]["closing_balance"].tolist() == [Decimal("-19.95")]
