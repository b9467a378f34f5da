"""Aging buckets, detail and summary (DESIGN.md section 3, "Aging")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import arxl_udfs as udf
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from arxl.aging import aging, aging_detail, aging_summary, bucket_labels, parse_edges
from arxl.cli import main
from arxl.fx import to_reporting_currency
from arxl.settle import settle
from arxl.workbook import load_book
from tests.books import base, write_book
from tests.builders import build_ledger

AS_OF = dt.date(2026, 3, 31)


def test_default_labels_follow_the_edges():
    assert bucket_labels() == ["Current", "1-30", "31-60", "61-90", "Over 90"]
    assert bucket_labels((15, 45)) == ["Current", "1-15", "16-45", "Over 45"]
    assert bucket_labels([7]) == ["Current", "1-7", "Over 7"]


@pytest.mark.parametrize(("edges", "message"), [
    ((), "empty"),
    ((30, 30), "not strictly ascending"),
    ((60, 30), "not strictly ascending"),
    ((0, 30), "not a positive whole number"),
    ((-5,), "not a positive whole number"),
    ((30.5,), "not a positive whole number"),
    ((True,), "not a positive whole number"),
])
def test_bad_edges_are_refused_with_a_clear_message(edges, message):
    with pytest.raises(ValueError, match=message):
        bucket_labels(edges)


@pytest.mark.parametrize(("given", "expected"), [
    ("30,60,90", (30, 60, 90)),
    (" 15 ; 45 ", (15, 45)),
    ("30;60, 90,", (30, 60, 90)),
    ([30, 60.0, Decimal("90"), "120"], (30, 60, 90, 120)),
    ([[15.0], [None], [45.0], [" "]], (15, 45)),  # an Excel column range with blank cells
    ([[15.0, 45.0]], (15, 45)),  # an Excel row range
    (np.array([7, 14], dtype=np.int64), (7, 14)),
])
def test_edges_are_read_from_whatever_a_face_hands_over(given, expected):
    edges = parse_edges(given)
    assert edges == expected
    assert all(type(edge) is int for edge in edges)


@pytest.mark.parametrize(("given", "message"), [
    ("", "aging bucket edges are empty"),
    (" ; ", "aging bucket edges are empty"),
    ("30,x", 'aging bucket edge "x" is not a positive whole number of days'),
    ("30.5", 'aging bucket edge "30.5" is not a positive whole number of days'),
    ([[30.5]], "aging bucket edge 30.5 is not a positive whole number of days"),
    ("0,30", 'aging bucket edge "0" is not a positive whole number of days'),
    ([Decimal("-5")], "aging bucket edge -5 is not a positive whole number of days"),
    ("inf", 'aging bucket edge "inf" is not a positive whole number of days'),
    ([[True]], "aging bucket edge True is not a positive whole number of days"),
    ("60;30", "aging bucket edges 60,30 are not strictly ascending"),
])
def test_bad_edges_name_what_is_wrong(given, message):
    with pytest.raises(ValueError, match=message) as raised:
        parse_edges(given)
    assert str(raised.value).endswith("(expected ascending whole numbers of days such as 30,60,90)")


def test_every_face_reads_the_same_edges_the_same_way(tmp_path: Path):
    # "15; 45" typed in Settings, given to --buckets or to a worksheet function: buckets 1-15, 16-45, Over 45.
    tables = base()
    tables["Settings"].append(["bucket_edges", "15; 45"])
    path = write_book(tmp_path / "book.xlsx", tables)
    loaded = load_book(path)
    assert loaded.ok and loaded.ledger.settings.bucket_edges == (15, 45)
    result = CliRunner().invoke(main, ["report", "aging", str(path), "--format", "csv", "--buckets", "15; 45"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "customer_id,name,Current,1-15,16-45,Over 45,Unapplied,Total"
    assert udf.AR_BUCKET(16.0, "15; 45") == udf.AR_BUCKET(16.0, [[15.0], [45.0]]) == "16-45"
    result = CliRunner().invoke(main, ["report", "aging", str(path), "--buckets", "30,x"])
    assert result.exit_code == 2 and 'aging bucket edge "x" is not a positive whole number' in result.output


def _invoice(invoice_id: str, days_past_due: int, amount: str = "1.00", customer_id: str = "C1") -> dict:
    due = AS_OF - dt.timedelta(days=days_past_due)
    return dict(invoice_id=invoice_id, customer_id=customer_id, invoice_date=due - dt.timedelta(days=30),
                due_date=due, amount=amount)


def test_every_item_falls_in_exactly_one_bucket_at_the_boundaries():
    days = {"A": -5, "B": 0, "C": 1, "D": 30, "E": 31, "F": 60, "G": 61, "H": 90, "I": 91}
    ledger = build_ledger(invoices=[_invoice(name, value) for name, value in days.items()])
    detail = aging_detail(settle(ledger, AS_OF), AS_OF)
    by_id = detail.set_index("document_id")
    assert by_id["days_past_due"].to_dict() == days
    assert by_id["bucket"].to_dict() == {
        "A": "Current", "B": "Current", "C": "1-30", "D": "1-30", "E": "31-60", "F": "31-60",
        "G": "61-90", "H": "61-90", "I": "Over 90",
    }
    assert detail["days_past_due"].dtype == np.int64


def test_the_invoice_basis_ages_from_the_document_date():
    ledger = build_ledger(invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-02-28",
                                         due_date="2026-04-30", amount="1.00")])
    detail = aging_detail(settle(ledger, AS_OF), AS_OF, basis="invoice")
    # 31 Mar - 28 Feb = 31 days old, although it is not due yet.
    assert detail[["days_past_due", "bucket"]].iloc[0].tolist() == [31, "31-60"]
    with pytest.raises(ValueError, match="basis"):
        aging_detail(settle(ledger, AS_OF), AS_OF, basis="posting")


def test_unapplied_cash_has_its_own_bucket():
    ledger = build_ledger(payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-03-01",
                                         amount="25.00")])
    detail = aging_detail(settle(ledger, AS_OF))
    assert detail["bucket"].tolist() == ["Unapplied"]
    assert detail["days_past_due"].tolist() == [30]


def test_aging_another_date_than_the_settlements_is_refused():
    ledger = build_ledger(invoices=[_invoice("I1", 5)])
    with pytest.raises(ValueError, match="settle at"):
        aging_detail(settle(ledger, AS_OF), dt.date(2026, 4, 30))


def _two_customer_ledger(**settings):
    return build_ledger(
        customers=[dict(customer_id="C1", name="Acme", credit_limit="500.00"),
                   dict(customer_id="C2", name="Beta", currency="EUR", credit_limit="100.00")],
        invoices=[_invoice("I1", 10, "100.00"), _invoice("I2", 45, "50.00"), _invoice("I3", -3, "20.00"),
                  _invoice("E1", 100, "80.00", customer_id="C2"),
                  dict(invoice_id="U1", customer_id="C1", invoice_date="2026-01-01", amount="7.00",
                       currency="EUR")],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-03-30", amount="30.00",
                       invoice_id="I3")],
        fx_rates=[dict(currency="EUR", rate="1.25")],
        auto_apply=False,
        **settings,
    )


def test_the_summary_has_a_row_per_customer_and_currency():
    ledger = _two_customer_ledger()
    report = aging(ledger, AS_OF)
    summary = report.summary.set_index(["customer_id", "currency"])
    # C1 USD: I3 current 20 - 20 paid = 0; I1 10 days = 100 in 1-30; I2 45 days = 50 in 31-60;
    # P1 pays I3's 20 and leaves 10 unapplied. Total = 100 + 50 - 10 = 140.
    c1 = summary.loc[("C1", "USD")]
    assert [c1[label] for label in report.labels] == [0, 10000, 5000, 0, 0]
    assert (c1["Unapplied"], c1["Total"]) == (1000, 14000)
    # Credit limit 500 in C1's own currency: headroom 500 - 140 = 360.
    assert (c1["credit_limit"], c1["headroom"]) == (50000, 36000)
    # C1's EUR invoice: 7.00 due 31 Jan, 59 days past due; no credit limit in EUR.
    c1_eur = summary.loc[("C1", "EUR")]
    assert (c1_eur["31-60"], c1_eur["Total"]) == (700, 700)
    assert pd.isna(c1_eur["credit_limit"]) and pd.isna(c1_eur["headroom"])
    # C2 EUR: 80 over 90; share of the EUR total 80 / (80 + 7).
    c2 = summary.loc[("C2", "EUR")]
    assert (c2["Over 90"], c2["Total"], c2["credit_limit"], c2["headroom"]) == (8000, 8000, 10000, 2000)
    assert c2["share"] == pytest.approx(80 / 87)
    assert c1["share"] == pytest.approx(1.0)
    assert list(report.summary.columns) == ["customer_id", "name", "currency", *report.labels, "Unapplied",
                                            "Total", "share", "credit_limit", "headroom"]
    assert report.summary["name"].tolist() == ["Acme", "Acme", "Beta"]


def test_the_converted_summary_has_one_row_per_customer_in_the_reporting_currency():
    ledger = _two_customer_ledger()
    summary = aging(ledger, AS_OF, convert=True).summary.set_index("customer_id")
    # C1: 140.00 USD + 7.00 EUR x 1.25 = 8.75 -> 148.75 USD; the EUR 8.75 sits in 31-60.
    assert summary.loc["C1", "Total"] == 14875
    assert summary.loc["C1", "31-60"] == 5000 + 875
    # C2: 80.00 EUR x 1.25 = 100.00 USD; its 100.00 EUR limit is 125.00 USD, headroom 25.00.
    assert (summary.loc["C2", "Total"], summary.loc["C2", "credit_limit"], summary.loc["C2", "headroom"]) == (
        10000, 12500, 2500)
    assert set(summary["currency"]) == {"USD"}
    assert summary["share"].sum() == pytest.approx(1.0)


def test_conversion_rounds_each_item_half_away_from_zero():
    ledger = build_ledger(fx_rates=[dict(currency="EUR", rate="0.5"), dict(currency="JPY", rate="0.0067")])
    # 0.01 EUR x 0.5 = 0.005 USD -> 0.01; -0.01 -> -0.01; 1 JPY x 0.0067 = 0.0067 USD -> 0.01.
    amounts = to_reporting_currency(ledger, np.array([1, -1, 3, 1]), np.array(["EUR", "EUR", "EUR", "JPY"]))
    assert amounts.tolist() == [1, -1, 2, 1]
    assert to_reporting_currency(ledger, np.array([12345]), np.array(["USD"])).tolist() == [12345]


def test_a_missing_rate_names_the_currency():
    ledger = build_ledger(invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-01-01",
                                         amount="10.00", currency="GBP")])
    with pytest.raises(ValueError, match="GBP"):
        aging(ledger, AS_OF, convert=True)


def test_aging_uses_the_settings_and_reconciles_with_the_balance():
    ledger = _two_customer_ledger(bucket_edges=(15, 45), aging_basis="due")
    report = aging(ledger, AS_OF)
    assert report.labels == ["Current", "1-15", "16-45", "Over 45"]
    detail_total = report.detail.groupby(["customer_id", "currency"])["open_amount"].sum()
    summary_total = report.summary.set_index(["customer_id", "currency"])["Total"]
    assert detail_total.to_dict() == summary_total.to_dict()


def test_summary_with_custom_edges_recomputes_buckets_from_days():
    ledger = build_ledger(invoices=[_invoice("I1", 20, "10.00")])
    detail = aging_detail(settle(ledger, AS_OF), AS_OF)
    summary = aging_summary(ledger, detail, (10, 30))
    assert summary[["Current", "1-10", "11-30", "Over 30"]].iloc[0].tolist() == [0, 0, 1000, 0]


def test_nothing_open_gives_an_empty_summary():
    ledger = build_ledger(invoices=[_invoice("I1", 5)])
    report = aging(ledger, dt.date(2020, 1, 1))
    assert report.detail.empty and report.summary.empty
