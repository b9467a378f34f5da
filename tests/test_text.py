"""arxl.text: the one grammar for dates, amounts and yes/no typed as text, whichever way a row arrives.

Each case is a text, the policy it is read with, and what an accountant reads in it (worked by hand). The last
test types the same texts into a workbook and into a CSV file imported into it, and finds the same values.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from books import base, write_book
from click.testing import CliRunner

from arxl.cli import main
from arxl.text import Outcome, read_amounts, read_dates, read_flags
from arxl.workbook import load_book

READ, INVALID, AMBIGUOUS, OTHER_MARK, BLANK = (Outcome.READ, Outcome.INVALID, Outcome.AMBIGUOUS,
                                               Outcome.OTHER_MARK, Outcome.BLANK)


# --- dates ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "order", "expected"), [
    # Year first is always year, month, day, whatever the order says.
    ("2026-04-03", "", "2026-04-03"), ("2026/4/3", "mdy", "2026-04-03"), ("2026.04.03", "dmy", "2026-04-03"),
    # Year last follows the order.
    ("03/04/2026", "dmy", "2026-04-03"), ("03/04/2026", "mdy", "2026-03-04"), ("03.04.2026", "dmy", "2026-04-03"),
    ("3-4-26", "dmy", "2026-04-03"), ("3-4-26", "mdy", "2026-03-04"),
    # Without an order, a text that proves its own is read in it; equal day and month read either way.
    ("13/04/2026", "", "2026-04-13"), ("04/13/2026", "", "2026-04-13"), ("04/04/2026", "", "2026-04-04"),
    ("03/04/2026", "", AMBIGUOUS), ("3-4-26", "", AMBIGUOUS),
    # A two-digit year first only with ymd; a four-digit year last is then no date.
    ("26/04/03", "ymd", "2026-04-03"), ("26/04/03", "dmy", "2003-04-26"), ("03/04/2026", "ymd", INVALID),
    # English month names, either way round, with or without ordinals and commas.
    ("3 Apr 2026", "", "2026-04-03"), ("03-Apr-26", "mdy", "2026-04-03"), ("3rd April 2026", "", "2026-04-03"),
    ("Apr 3, 2026", "dmy", "2026-04-03"), ("April 3rd 2026", "", "2026-04-03"),
    ("Sept 30, 2026", "", "2026-09-30"),
    # A time of day may follow; the date is kept as written.
    ("2026-04-03 17:45", "", "2026-04-03"), ("2026-04-03T23:59:59Z", "", "2026-04-03"),
    ("03/04/2026 5:45 PM", "dmy", "2026-04-03"), ("2026-04-03 garbage", "", INVALID),
    # Spaces around a text, non-breaking ones too, never matter.
    ("\u00a02026-04-03 ", "", "2026-04-03"),
    # Not dates: impossible days, both fields above 12, mixed separators, 3-digit or pre-1900 years, words.
    ("31/02/2026", "dmy", INVALID), ("31/02/2026", "", INVALID), ("13/13/2026", "", INVALID),
    ("03/04-2026", "dmy", INVALID), ("03/04/202", "dmy", INVALID), ("1899-12-31", "", INVALID),
    ("3 Foo 2026", "", INVALID), ("Apr 2026", "", INVALID), ("abc", "", INVALID), ("  ", "", BLANK),
])
def test_date_grammar(text: str, order: str, expected: str | Outcome) -> None:
    reading = read_dates(np.array([text], dtype=object), order)
    if isinstance(expected, Outcome):
        assert (reading.outcome[0], str(reading.days[0])) == (expected, "NaT")
    else:
        assert (reading.outcome[0], str(reading.days[0])) == (READ, expected)


def test_date_evidence_and_the_order_each_text_was_read_in() -> None:
    texts = pa.array(["13/04/2026", "04/13/2026", "03/04/2026", "04/04/2026", "2026-04-03", "31/02/2026"])
    undecided = read_dates(texts)
    # A first field above 12 can only be a day (dmy); a second one above 12 only a day too (mdy).
    assert undecided.evidence.tolist() == ["dmy", "mdy", "", "", "", "dmy"]
    assert undecided.order.tolist() == ["dmy", "mdy", "", "", "", "dmy"]
    given = read_dates(texts, "mdy")
    assert given.order.tolist() == ["mdy", "mdy", "mdy", "mdy", "", "mdy"]
    assert given.outcome.tolist() == [INVALID, READ, READ, READ, READ, INVALID]  # month 13, month 31
    assert str(given.days[2]) == "2026-03-04"


def test_an_unknown_date_order_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="date order 'dym'"):
        read_dates(["03/04/2026"], "dym")


# --- amounts ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "decimal_comma", "expected"), [
    ("1234.56", False, 1234.56), ("-0.5", False, -0.5), ("+5", False, 5.0), (".25", False, 0.25),
    ("12.", False, 12.0), ("12e3", False, 12000.0), ("1.5E+03", False, 1500.0),
    # Thousands in threes, by the mark the decimal mark leaves free, an apostrophe or a space.
    ("1,234.56", False, 1234.56), ("1,000,000", False, 1_000_000.0), ("1'234.50", False, 1234.5),
    ("1 234.50", False, 1234.5), ("1\u202f234.50", False, 1234.5), ("1,234", False, 1234.0),
    ("1.234", False, 1.234),
    ("1.234,56", True, 1234.56), ("1 234,56", True, 1234.56), ("12,50", True, 12.5), (",5", True, 0.5),
    ("1.234", True, 1234.0), ("1,234", True, 1.234), ("-250", True, -250.0),
    # One sign: leading, trailing or parentheses.
    ("(250.00)", False, -250.0), ("250.00-", False, -250.0), ("(1.234,50)", True, -1234.5),
    # One currency, symbol or ISO code in any case, either side, inside or outside the sign.
    ("$1,234.56", False, 1234.56), ("USD 99.50", False, 99.5), ("99.50 eur", False, 99.5),
    ("€ 12", False, 12.0), ("12 €", False, 12.0), ("-$5", False, -5.0), ("$-5", False, -5.0),
    ("$(5.00)", False, -5.0), ("($5.00)", False, -5.0), ("$ (1,234.50)", False, -1234.5),
    ("5- USD", False, -5.0), ("EUR 1.234,56", True, 1234.56),
    # Refused rather than guessed.
    ("(-250.00)", False, INVALID), ("--5", False, INVALID), ("12 34", False, INVALID), ("1.2.3", False, INVALID),
    ("ABC 12", False, INVALID), ("USD 12 EUR", False, INVALID), ("$12$", False, INVALID), ("(5", False, INVALID),
    ("1,234.5e3", False, INVALID), ("12e3", True, OTHER_MARK), ("abc", False, INVALID), ("-", False, INVALID),
    ("#N/A", False, INVALID), ("", False, BLANK),
    # With the other decimal mark it would be an amount: the caller names the setting.
    ("1.234,56", False, OTHER_MARK), ("12,50", False, OTHER_MARK), ("1,234.56", True, OTHER_MARK),
    ("$12.50", True, OTHER_MARK),
])
def test_amount_grammar(text: str, decimal_comma: bool, expected: float | Outcome) -> None:
    reading = read_amounts([text], decimal_comma)
    if isinstance(expected, Outcome):
        assert reading.outcome[0] == expected and np.isnan(reading.values[0])
    else:
        assert reading.outcome[0] == READ and reading.values[0] == expected


def test_amounts_say_how_they_were_written_and_read() -> None:
    reading = read_amounts(["-1234.50", "$1,234.50", "(250.00)", "12e3", ".5", "-0", "1.234,5"])
    assert reading.plain.tolist() == [True, False, False, True, True, True, False]
    assert reading.numbers.tolist() == ["-1234.50", "1234.50", "-250.00", "12000", "0.5", "-0", ""]
    assert str(reading.values[5]) == "0.0"  # no negative zero
    comma = read_amounts(["1234", "12,5", "1.234"], decimal_comma=True)
    assert comma.plain.tolist() == [True, False, False]  # a decimal comma or a grouping was interpreted


# --- yes/no -----------------------------------------------------------------------------------------------------

def test_flag_grammar() -> None:
    texts = ["yes", "Y", " TRUE ", "1", "x", "On", "hold", "no", "N", "false", "0", "off", "", "maybe", "2"]
    flags = read_flags(texts)
    assert flags.values.tolist() == [True] * 7 + [False] * 8
    assert flags.outcome.tolist() == [READ] * 12 + [BLANK, INVALID, INVALID]


# --- both ways a row arrives: a workbook cell and an imported CSV line read the same text alike -----------------

# (invoice date, amount) typed as text, and what they are: dates worked by hand, amounts in cents.
SAME_TEXTS = {
    ("dmy", False): [
        ("03/02/2026", "$1,234.56", "2026-02-03", 123456),  # 3 February: day first
        ("3 Feb 2026", "USD 99.50", "2026-02-03", 9950),
        ("Feb 14, 2026", "(250.00)", "2026-02-14", -25000),  # a credit note: negative
        ("14.02.2026", "1'234.50", "2026-02-14", 123450),
        ("2026-03-01 09:30", "250.00-", "2026-03-01", -25000),
        ("01/03/26", "12e3", "2026-03-01", 1200000),  # 12 x 10^3 = 12,000.00
        ("04/04/2025", "usd .5", "2025-04-04", 50),
    ],
    ("mdy", True): [
        ("02/03/2026", "1.234,56", "2026-02-03", 123456),  # 3 February: month first
        ("Mar 1st, 2026", "(1.000,00)", "2026-03-01", -100000),
        ("2026/02/03", "12,5", "2026-02-03", 1250),
        ("2/14/26", "EUR 1 234,50", "2026-02-14", 123450),
    ],
}
FLAG_TEXTS = [("x", True), ("Y", True), ("off", False), ("hold", True), ("No", False), ("", False)]


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([header, *rows])
    return path


@pytest.mark.parametrize(("order", "decimal_comma"), list(SAME_TEXTS))
def test_a_workbook_cell_and_an_imported_line_read_the_same_text_alike(tmp_path: Path, order: str,
                                                                       decimal_comma: bool) -> None:
    cases = SAME_TEXTS[order, decimal_comma]
    # The workbook: invoices W1.. and customers W1.. typed with the texts, read with Settings' policy.
    tables = base()
    tables["Settings"] += [["date_order", order], ["decimal_comma", "yes" if decimal_comma else "no"]]
    invoices_header = tables["Invoices"][0]
    for number, (date, amount, _day, _cents) in enumerate(cases, start=1):
        typed = {"invoice_id": f"W{number}", "customer_id": "C1", "invoice_date": date, "amount": amount}
        tables["Invoices"].append([typed.get(name, "") for name in invoices_header])
    for number, (flag, _on_hold) in enumerate(FLAG_TEXTS, start=1):
        tables["Customers"].append([f"W{number}", f"Typed {number}", "", 30, None, "", flag])
    book = write_book(tmp_path / "book.xlsx", tables)
    # The import: invoices and customers F1.. with the same texts, read with the same policy given as options.
    invoices = _csv(tmp_path / "invoices.csv", ["invoice_id", "customer_id", "invoice_date", "amount"],
                    [[f"F{number}", "C1", date, amount] for number, (date, amount, *_read) in enumerate(cases, 1)])
    customers = _csv(tmp_path / "customers.csv", ["customer_id", "name", "on_hold"],
                     [[f"F{number}", f"Imported {number}", flag]
                      for number, (flag, _on_hold) in enumerate(FLAG_TEXTS, 1)])
    options = ["--date-order", order, *(["--decimal-comma"] if decimal_comma else [])]
    for table, source in (("invoices", invoices), ("customers", customers)):
        result = CliRunner().invoke(main, ["import", str(book), "--table", table, str(source), *options])
        assert result.exit_code == 0, result.output

    ledger = load_book(book).ledger
    invoice_rows = pd.concat([ledger.invoices, ledger.voided]).set_index("invoice_id")
    on_hold = ledger.customers.set_index("customer_id")["on_hold"]
    for way in ("W", "F"):
        read = [(str(invoice_rows.at[f"{way}{number}", "invoice_date"].date()),
                 int(invoice_rows.at[f"{way}{number}", "amount"])) for number in range(1, len(cases) + 1)]
        assert read == [(day, cents) for _date, _amount, day, cents in cases], way
        flags = [bool(on_hold[f"{way}{number}"]) for number in range(1, len(FLAG_TEXTS) + 1)]
        assert flags == [value for _flag, value in FLAG_TEXTS], way
