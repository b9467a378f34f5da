"""arxl.text: the one grammar for dates, amounts and yes/no typed as text, whichever way a row arrives.

Each case is a text, the policy it is read with, and what an accountant reads in it (worked by hand).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from arxl.text import Outcome, read_amounts, read_dates, read_flags

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
