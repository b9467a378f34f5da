"""Exchange rates over time, booking rates and revaluation (issue 16). Figures worked out by hand in comments."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import arxl_udfs as udf
import numpy as np
import openpyxl
import pandas as pd
import pytest
from books import D, base, write_book
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arxl.aging import aging
from arxl.cli import main
from arxl.fx import booking_rates, convert, convertible, rate_on, to_reporting_currency
from arxl.metrics import compute_metrics
from arxl.revaluation import revaluation
from arxl.workbook import load_book
from tests.builders import build_ledger

# The hand-worked book: a USD invoice of 100.00 booked at 80 in an INR book; FXRates USD 80 from
# 2026-01-01 and 85 from 2026-06-01.
BOOK: dict[str, list[list[object]]] = {
    "Settings": [["key", "value"], ["company_name", "Test Co"], ["reporting_currency", "INR"],
                 ["as_of", D(2026, 6, 30)]],
    "Customers": [["customer_id", "name", "currency"], ["C1", "Boston Tools", "USD"]],
    "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "fx_rate"],
                 ["I1", "C1", D(2026, 3, 1), 100.0, 80.0]],
    "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"]],
    "FXRates": [["currency", "rate", "date"], ["USD", 80.0, D(2026, 1, 1)], ["USD", 85.0, D(2026, 6, 1)]],
}


def _book(tmp_path: Path, **changes: list[list[object]]) -> Path:
    return write_book(tmp_path / "fx.xlsx", {**BOOK, **changes})


def _csv(*arguments: str) -> list[dict[str, str]]:
    result = CliRunner().invoke(main, ["report", *arguments, "--format", "csv"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


# --- the hand-worked book -------------------------------------------------------------------------------------

def test_a_back_dated_aging_uses_the_rate_in_force_then(tmp_path: Path) -> None:
    book = _book(tmp_path)
    # As of 2026-05-31 the rate in force is 80 (from 01-01): 100.00 x 80 = 8,000.00 INR.
    (may,) = _csv("aging", str(book), "--as-of", "2026-05-31")
    assert (may["customer_id"], may["Total"]) == ("C1", "8000.00")
    # As of 2026-06-30 it is 85 (from 06-01): 100.00 x 85 = 8,500.00 INR.
    (june,) = _csv("aging", str(book), "--as-of", "2026-06-30")
    assert june["Total"] == "8500.00"


def test_revaluation_reports_the_unrealised_difference(tmp_path: Path) -> None:
    book = _book(tmp_path)
    (june,) = _csv("revaluation", str(book), "--as-of", "2026-06-30")
    # Booked at 80: 8,000.00; at the as-of rate 85: 8,500.00; unrealised 8,500.00 - 8,000.00 = 500.00 (a gain).
    assert june == {"customer_id": "C1", "name": "Boston Tools", "currency": "USD", "open_amount": "100.00",
                    "booked": "8000.00", "revalued": "8500.00", "unrealised": "500.00", "realised": "0.00"}
    (may,) = _csv("revaluation", str(book), "--as-of", "2026-05-31")
    assert (may["revalued"], may["unrealised"]) == ("8000.00", "0.00")


def test_the_booking_rate_defaults_to_the_rate_in_force_on_the_document_date(tmp_path: Path) -> None:
    # No fx_rate typed: the invoice of 2026-03-01 is booked at the rate in force then, 80.
    book = _book(tmp_path, Invoices=[["invoice_id", "customer_id", "invoice_date", "amount"],
                                     ["I1", "C1", D(2026, 3, 1), 100.0]])
    ledger = load_book(book).ledger
    invoice_rates, _ = booking_rates(ledger)
    assert invoice_rates.tolist() == [80.0]
    assert revaluation(ledger, dt.date(2026, 6, 30)).total("unrealised") == 50000


def test_a_payment_realises_the_difference_between_booking_rates() -> None:
    ledger = build_ledger(
        reporting_currency="INR", customers=[dict(customer_id="C1", currency="USD")],
        invoices=[dict(invoice_id="I1", customer_id="C1", invoice_date="2026-03-01", amount="100.00", fx_rate=80)],
        payments=[dict(payment_id="P1", customer_id="C1", payment_date="2026-06-15", amount="40.00",
                       invoice_id="I1")],
        fx_rates=[dict(currency="USD", rate=80, date="2026-01-01"),
                  dict(currency="USD", rate=85, date="2026-06-01")],
    )
    result = revaluation(ledger, dt.date(2026, 6, 30))
    # P1 is booked at the rate in force on 06-15, 85. Realised: 40.00 x 85 - 40.00 x 80 = 3,400.00 - 3,200.00 =
    # 200.00 (a gain). Still open 60.00: booked 60 x 80 = 4,800.00, at 85 = 5,100.00, unrealised 300.00.
    (line,) = result.realised.to_dict("records")
    assert (line["source_id"], line["invoice_id"], line["amount"]) == ("P1", "I1", 4000)
    assert (line["received"], line["booked"], line["realised"]) == (340000, 320000, 20000)
    (row,) = result.summary.to_dict("records")
    assert (row["open_amount"], row["booked"], row["revalued"], row["unrealised"], row["realised"]) == (
        6000, 480000, 510000, 30000, 20000)
    # Realised differences belong to their period: in May's revaluation the payment does not exist yet, and
    # a period starting after it leaves it out.
    assert revaluation(ledger, dt.date(2026, 5, 31)).realised.empty
    assert revaluation(ledger, dt.date(2026, 6, 30), dt.date(2026, 6, 20)).total("realised") == 0


def test_refresh_writes_a_revaluation_sheet_only_for_foreign_books(tmp_path: Path) -> None:
    book = _book(tmp_path)
    result = CliRunner().invoke(main, ["refresh", str(book), "--quiet"])
    assert result.exit_code == 0, result.output
    sheets = openpyxl.load_workbook(book, data_only=True)
    sheet = sheets["Revaluation"]
    header = [cell.value for cell in sheet[4]]
    assert header[:7] == ["Customer ID", "Customer", "Currency", "Open amount", "Booked (INR)",
                          "At as-of rate (INR)", "Unrealised (INR)"]
    assert [cell.value for cell in sheet[5]][:8] == ["C1", "Boston Tools", "USD", 100.0, 8000.0, 8500.0, 500.0,
                                                     0.0]
    assert sheets["Aging"]["J5"].value == 8500.0  # the converted aging: the same 8,500.00 at the as-of rate
    # Every check passes: the converted aging (INR) is not compared with the items' USD balance.
    assert sheets["Checks"]["A2"].value.endswith("passed, 0 failed")
    plain = write_book(tmp_path / "usd.xlsx", base())
    result = CliRunner().invoke(main, ["refresh", str(plain), "--quiet", "--as-of", "2026-03-31"])
    assert result.exit_code == 0, result.output
    assert "Revaluation" not in openpyxl.load_workbook(plain).sheetnames


def test_the_worksheet_function_takes_the_fx_rates_table() -> None:
    tables = {name.lower(): [[dt.datetime(value.year, value.month, value.day) if isinstance(value, dt.date)
                              else value for value in row] for row in rows] for name, rows in BOOK.items()}
    spill = udf.AR_AGING(tables["invoices"], tables["payments"], tables["customers"], None, None,
                         tables["settings"], dt.datetime(2026, 5, 31), None, None, None, None, tables["fxrates"])
    assert spill[1][0] == "C1" and spill[1][-1] == 8000.0
    later = udf.AR_AGING(tables["invoices"], tables["payments"], tables["customers"], None, None,
                         tables["settings"], dt.datetime(2026, 6, 30), fx_rates=tables["fxrates"])
    assert later[1][-1] == 8500.0


# --- the rates and the rounding rule --------------------------------------------------------------------------

def _rates_ledger(*rows: dict) -> object:
    return build_ledger(fx_rates=list(rows), invoices=[dict(invoice_id="I1", customer_id="C1",
                                                             invoice_date="2026-01-01", amount="1.00",
                                                             currency="EUR")])


def test_a_rate_holds_from_its_date_until_the_next_one() -> None:
    ledger = _rates_ledger(dict(currency="EUR", rate=1.05), dict(currency="EUR", rate=1.10, date="2026-03-01"),
                           dict(currency="EUR", rate=1.20, date="2026-05-01"))
    assert rate_on(ledger, "EUR", dt.date(2025, 1, 1)) == 1.05  # the undated rate: since always
    assert rate_on(ledger, "EUR", dt.date(2026, 2, 28)) == 1.05
    assert rate_on(ledger, "EUR", dt.date(2026, 3, 1)) == 1.10
    assert rate_on(ledger, "EUR", dt.date(2026, 4, 30)) == 1.10
    assert rate_on(ledger, "EUR", dt.date(2026, 5, 1)) == 1.20
    assert rate_on(ledger, "USD", dt.date(2026, 5, 1)) == 1.0  # the reporting currency
    dated_only = _rates_ledger(dict(currency="EUR", rate=1.10, date="2026-03-01"))
    assert rate_on(dated_only, "EUR", dt.date(2026, 2, 28)) is None
    assert not convertible(dated_only, dt.date(2026, 2, 28))
    assert convertible(dated_only, dt.date(2026, 3, 1))


def test_conversion_is_exact_and_rounds_half_away_from_zero_once() -> None:
    def one(minor: int, currency: str, rate: float, reporting: str = "USD") -> int:
        return int(convert(np.array([minor]), np.array([currency], dtype=object), np.array([rate]), reporting)[0])

    # EUR 0.10 at 1.15 is exactly 0.115: half a cent, rounded away from zero to 0.12 (float arithmetic gives
    # 0.11499999999999999 and would round down).
    assert one(10, "EUR", 1.15) == 12
    assert one(-10, "EUR", 1.15) == -12
    # EUR 3.00 at 1.005 = 3.015 -> 3.02; EUR 0.05 at 0.7 = 0.035 -> 0.04.
    assert one(300, "EUR", 1.005) == 302
    assert one(5, "EUR", 0.7) == 4
    # JPY has no minor digits: 1,000 JPY at 0.0067 = 6.70 USD. KWD has three: 1.234 KWD at 3.25 = 4.0105 USD
    # -> 4.01. USD 12.34 into JPY at 150.5 = 1,857.17 -> 1,857 yen.
    assert one(1000, "JPY", 0.0067) == 670
    assert one(1234, "KWD", 3.25) == 401
    assert one(1234, "USD", 150.5, reporting="JPY") == 1857
    # A rate with many digits (=1/3) and a large amount take the exact path on Python integers.
    # 10**13 EUR x 0.3333333333333333 = 3,333,333,333,333.3333333333333 USD -> 333,333,333,333,333 cents.
    assert one(10**15, "EUR", 1 / 3) == 333333333333333


def test_to_reporting_currency_names_a_currency_without_a_rate_in_force() -> None:
    ledger = _rates_ledger(dict(currency="EUR", rate=1.10, date="2026-03-01"))
    with pytest.raises(ValueError, match="no exchange rate for EUR in force on 2026-02-01"):
        to_reporting_currency(ledger, np.array([100]), np.array(["EUR"]), dt.date(2026, 2, 1))
    assert to_reporting_currency(ledger, np.array([100]), np.array(["EUR"]), dt.date(2026, 3, 1)).tolist() == [110]


# --- validation ----------------------------------------------------------------------------------------------

def test_rates_and_booking_rates_are_checked(tmp_path: Path) -> None:
    book = _book(
        tmp_path,
        FXRates=[["currency", "rate", "date"], ["USD", 80.0, D(2026, 1, 1)], ["USD", 81.0, D(2026, 1, 1)],
                 ["EUR", 90.0, None], ["EUR", 91.0, None], ["GBP", 100.0, D(2026, 4, 1)]],
        Invoices=[["invoice_id", "customer_id", "invoice_date", "amount", "fx_rate", "currency"],
                  ["I1", "C1", D(2026, 3, 1), 100.0, -80.0, ""],
                  ["I2", "C1", D(2026, 3, 2), 50.0, 2.0, "INR"],
                  ["I3", "C1", D(2026, 3, 3), 10.0, None, "GBP"],
                  ["I4", "C1", D(2026, 3, 4), 10.0, None, "GBP"]],
    )
    problems = [str(problem) for problem in load_book(book).problems]
    assert problems == [
        'FXRates row 2, currency: "USD" has two rates from 2026-01-01 (also row 3) (expected one rate per '
        "currency and date)",
        'FXRates row 3, currency: "USD" has two rates from 2026-01-01 (also row 2) (expected one rate per '
        "currency and date)",
        'FXRates row 4, currency: "EUR" has two rates without a date (also row 5) (expected one rate per '
        "currency and date)",
        'FXRates row 5, currency: "EUR" has two rates without a date (also row 4) (expected one rate per '
        "currency and date)",
        'Invoices row 2, fx_rate: "-80" is not positive (expected a positive exchange rate, or blank for the '
        "FXRates rate)",
        'Invoices row 3, fx_rate: "2" is ignored: the document is in the reporting currency INR (rate 1)',
        "Invoices row 4, fx_rate: no booking rate: GBP has no FXRates rate in force on 2026-03-03 (and 1 more "
        "row(s)); revaluation leaves such documents out and credit sales (DSO) count them at GBP's first rate "
        "(expected an fx_rate, or an FXRates row for GBP dated on or before the document)",
    ]


def test_a_revaluation_names_what_it_cannot_revalue() -> None:
    ledger = build_ledger(
        customers=[dict(customer_id="C1", currency="GBP"), dict(customer_id="C2", currency="EUR")],
        invoices=[dict(invoice_id="G1", customer_id="C1", invoice_date="2026-01-10", amount="10.00"),
                  dict(invoice_id="E1", customer_id="C2", invoice_date="2026-01-10", amount="10.00")],
        fx_rates=[dict(currency="GBP", rate=1.25, date="2026-02-01"), dict(currency="EUR", rate=1.1)],
    )
    result = revaluation(ledger, dt.date(2026, 1, 31))
    assert result.missing == ("GBP: no FXRates rate in force on 2026-01-31; its open items are not revalued",)
    assert result.summary["currency"].tolist() == ["EUR"]
    later = revaluation(ledger, dt.date(2026, 2, 28))
    assert later.missing == ("GBP: 1 open item(s) without a booking rate (no fx_rate and no FXRates rate in force "
                             "on the document date) are not revalued",)


# --- the property: a later rate never moves a back-dated report ------------------------------------------------

@st.composite
def foreign_books(draw: st.DrawFn) -> tuple[dict, dt.date, list[dict]]:
    """A USD book whose customers owe in EUR and JPY, with an undated rate for each and dated ones, an as-of
    date, and further rates dated after it."""
    day0 = dt.date(2026, 1, 1)
    rate = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("200"), places=4).map(float)
    rates = [dict(currency="EUR", rate=draw(rate)), dict(currency="JPY", rate=draw(rate) / 100)]
    as_of = day0 + dt.timedelta(draw(st.integers(20, 200)))
    for currency in ("EUR", "JPY"):
        for offset in sorted(set(draw(st.lists(st.integers(1, 400), max_size=3)))):
            rates.append(dict(currency=currency, rate=draw(rate), date=day0 + dt.timedelta(offset)))
    customers = [dict(customer_id="C1", currency="EUR"), dict(customer_id="C2", currency="JPY"),
                 dict(customer_id="C3")]
    invoices, payments = [], []
    for number in range(draw(st.integers(1, 8))):
        customer = draw(st.sampled_from(customers))
        invoices.append(dict(invoice_id=f"I{number}", customer_id=customer["customer_id"],
                             invoice_date=day0 + dt.timedelta(draw(st.integers(0, 300))),
                             amount=str(draw(st.integers(1, 10**6))),
                             **({"fx_rate": draw(rate)} if draw(st.booleans()) else {})))
    for number in range(draw(st.integers(0, 5))):
        customer = draw(st.sampled_from(customers))
        payments.append(dict(payment_id=f"P{number}", customer_id=customer["customer_id"],
                             payment_date=day0 + dt.timedelta(draw(st.integers(0, 300))),
                             amount=str(draw(st.integers(1, 10**6)))))
    later = [dict(currency=draw(st.sampled_from(["EUR", "JPY"])), rate=draw(rate),
                  date=as_of + dt.timedelta(draw(st.integers(1, 100))))
             for _ in range(draw(st.integers(1, 3)))]
    book = dict(customers=customers, invoices=invoices, payments=payments, fx_rates=rates)
    return book, as_of, later


def _figures(ledger: object, as_of: dt.date) -> tuple[object, ...]:
    report = aging(ledger, as_of, convert=convertible(ledger, as_of))
    result = revaluation(ledger, as_of, dt.date(2026, 1, 1))
    return (report.summary, compute_metrics(ledger, as_of, period_days=60), result.summary, result.realised)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(foreign_books())
def test_rates_dated_after_the_as_of_date_change_nothing(data) -> None:
    book, as_of, later = data
    before = _figures(build_ledger(**book), as_of)
    # Rates dated after the as-of date, possibly also on a date some existing rate already has: drop those.
    existing = {(rate["currency"], rate.get("date")) for rate in book["fx_rates"]}
    added = [rate for rate in later if (rate["currency"], rate["date"]) not in existing]
    after = _figures(build_ledger(**dict(book, fx_rates=[*book["fx_rates"], *added])), as_of)
    for old, new in zip(before, after, strict=True):
        if isinstance(old, pd.DataFrame):
            pd.testing.assert_frame_equal(old, new)
        else:
            assert old == new


def test_report_revaluation_json_totals(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "revaluation", str(_book(tmp_path)), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert (payload["currency"], payload["from"]) == ("INR", "2026-06-01")
    assert payload["totals"] == {"booked": 8000.0, "revalued": 8500.0, "unrealised": 500.0, "realised": 0.0}


# A EUR customer in a USD book whose first EUR rate (1.10) is dated after its invoice: EUR 100.00 on 2026-03-10,
# due 2026-04-09, with no fx_rate of its own; 1.20 from 2026-06-01.
LATE_RATES: dict[str, list[list[object]]] = {
    "Settings": [["key", "value"], ["company_name", "Test Co"], ["reporting_currency", "USD"],
                 ["as_of", D(2026, 6, 30)]],
    "Customers": [["customer_id", "name", "currency"], ["C1", "Paris SA", "EUR"], ["C2", "Ohio Inc", "USD"]],
    "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount"],
                 ["E1", "C1", D(2026, 3, 10), 100.0], ["U1", "C2", D(2026, 2, 1), 40.0]],
    "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"]],
    "FXRates": [["currency", "rate", "date"], ["EUR", 1.10, D(2026, 4, 1)], ["EUR", 1.20, D(2026, 6, 1)]],
}


def test_a_sale_dated_before_its_currencys_first_rate_counts_at_that_rate() -> None:
    ledger = build_ledger(
        customers=[dict(customer_id="C1", currency="EUR")],
        invoices=[dict(invoice_id="E1", customer_id="C1", invoice_date="2026-03-10", amount="100.00")],
        fx_rates=[dict(currency="EUR", rate=1.10, date="2026-04-01"), dict(currency="EUR", rate=1.20,
                                                                           date="2026-06-01")],
    )
    metrics = compute_metrics(ledger, dt.date(2026, 6, 30), period_days=120)
    # AR at the rate in force on 2026-06-30: 100.00 x 1.20 = 120.00. Credit sales of the 120 days after
    # 2026-03-02: E1 at EUR's first rate (it has no booking rate): 100.00 x 1.10 = 110.00.
    assert (metrics.ar, metrics.credit_sales) == (12000, 11000)
    assert metrics.dso == pytest.approx(12000 * 120 / 11000)  # 130.91 days
    # Beginning AR is measured on 2026-03-02, before E1: nothing to convert, 0.
    assert metrics.beginning_ar == 0


def test_metrics_dated_before_a_currencys_first_rate_say_which_rate_is_missing() -> None:
    from arxl.errors import NotConvertible

    ledger = build_ledger(
        customers=[dict(customer_id="C1", currency="EUR")],
        invoices=[dict(invoice_id="E1", customer_id="C1", invoice_date="2026-03-10", amount="100.00")],
        fx_rates=[dict(currency="EUR", rate=1.10, date="2026-04-01")],
    )
    with pytest.raises(NotConvertible, match="EUR has no exchange rate in force on 2026-03-31"):
        compute_metrics(ledger, dt.date(2026, 3, 31))
    assert not convertible(ledger, dt.date(2026, 3, 31)) and convertible(ledger, dt.date(2026, 4, 1))


def test_a_book_refreshes_at_any_date_whatever_rates_it_lacks(tmp_path: Path) -> None:
    book = write_book(tmp_path / "late.xlsx", LATE_RATES)
    runner = CliRunner()
    # As of 2026-03-31 EUR has no rate in force: the refresh still writes every sheet, the Dashboard says why
    # its USD figures are missing, and the Aging gives each currency its own totals.
    result = runner.invoke(main, ["refresh", str(book), "--as-of", "2026-03-31", "--quiet"])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(book)
    dashboard = workbook["Dashboard"]
    assert "EUR has no exchange rate in force on 2026-03-31" in dashboard["A3"].value
    assert dashboard["A5"].value == "n/a" and dashboard["D5"].value == "n/a"  # Total AR, overdue share
    months = {dashboard.cell(row, 14).value: dashboard.cell(row, 15).value for row in range(12, 24)}
    # U1 (USD 40.00, dated 2026-02-01) is all the AR there is at the end of February; at the end of March E1
    # is open and EUR has no rate yet: blank, not a wrong sum.
    assert months["02/28/2026"] == 40 and months["03/31/2026"] is None
    top = [[dashboard.cell(row, column).value for column in range(1, 7)] for row in range(48, 50)]
    # Overdue on 2026-03-31: U1 (due 2026-03-03, 28 days) in USD; E1 is not due before 2026-04-09.
    assert top == [["Customer ID", "Customer", "Currency", "Overdue", "Oldest days past due", "Total"],
                   ["C2", "Ohio Inc", "USD", 40, 28, 40]]
    aging_rows = {(row[0].value, row[2].value): row[9].value for row in workbook["Aging"].iter_rows(min_row=5)
                  if row[0].value in ("C1", "C2")}
    assert aging_rows == {("C1", "EUR"): 100, ("C2", "USD"): 40}
    report = runner.invoke(main, ["report", "metrics", str(book), "--as-of", "2026-03-31"])
    assert report.exit_code == 1 and "EUR has no exchange rate in force on 2026-03-31" in report.output

    # As of 2026-06-30 every amount converts: E1 at 1.20 = 120.00, the top ten in USD agrees with the Aging.
    result = runner.invoke(main, ["refresh", str(book), "--quiet"])
    assert result.exit_code == 0, result.output
    dashboard = openpyxl.load_workbook(book)["Dashboard"]
    assert dashboard["A3"].value is None and dashboard["A5"].value == 160  # 120.00 + 40.00
    top = [[dashboard.cell(row, column).value for column in range(1, 6)] for row in range(48, 51)]
    assert top == [["Customer ID", "Customer", "Overdue (USD)", "Oldest days past due", "Total (USD)"],
                   ["C1", "Paris SA", 120, 82, 120], ["C2", "Ohio Inc", 40, 119, 40]]


def test_a_credit_limit_in_a_currency_without_a_rate_is_left_blank_in_a_converted_aging() -> None:
    # C1 keeps its books in JPY (limit JPY 500,000) but has only paid and been invoiced in EUR; FXRates knows EUR
    # (1.10 USD) and not JPY. The aging converts (every document's currency has a rate): C1's EUR 100.00 is
    # USD 110.00, and its JPY limit, which cannot be converted, is blank rather than a failed report.
    ledger = build_ledger(
        customers=[dict(customer_id="C1", currency="JPY", credit_limit="500000"),
                   dict(customer_id="C2", credit_limit="1000.00")],
        invoices=[dict(invoice_id="E1", customer_id="C1", invoice_date="2026-03-10", amount="100.00",
                       currency="EUR"),
                  dict(invoice_id="U1", customer_id="C2", invoice_date="2026-03-10", amount="40.00")],
        fx_rates=[dict(currency="EUR", rate=1.10)],
    )
    report = aging(ledger, dt.date(2026, 3, 31), convert=True)
    rows = report.summary.set_index("customer_id")
    assert (rows.loc["C1", "Total"], rows.loc["C1", "currency"]) == (11000, "USD")
    assert pd.isna(rows.loc["C1", "credit_limit"]) and rows.loc["C2", "credit_limit"] == 100000


def test_metrics_before_a_currency_without_rates_is_first_used_are_those_of_the_other_documents() -> None:
    from arxl.errors import NotConvertible

    ledger = build_ledger(
        customers=[dict(customer_id="C1", currency="JPY"), dict(customer_id="C2")],
        invoices=[dict(invoice_id="J1", customer_id="C1", invoice_date="2026-05-01", amount="5000"),
                  dict(invoice_id="U1", customer_id="C2", invoice_date="2026-03-10", amount="40.00")],
    )
    # As of 2026-03-31 J1 does not exist yet: AR and the 90 days' credit sales are U1's 40.00, DSO 90 days.
    metrics = compute_metrics(ledger, dt.date(2026, 3, 31))
    assert (metrics.ar, metrics.credit_sales, metrics.dso) == (4000, 4000, 90.0)
    with pytest.raises(NotConvertible, match="JPY has no exchange rate in force on 2026-06-30"):
        compute_metrics(ledger, dt.date(2026, 6, 30))
