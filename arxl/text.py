"""The grammar of values typed as text: which texts are dates, amounts and yes/no flags, and what they mean.

One grammar for every way a row arrives: workbook cells (``arxl.cells``, for the loader) and other systems'
files (``arxl.imports``). What differs between those callers is policy, and it comes in as arguments: the date
order (Settings ``date_order`` for a workbook; the mapping, ``--date-order`` or the whole file's evidence for
an import) and the decimal mark (Settings ``decimal_comma`` or the mapping). Each reader takes a column of
texts at once (Arrow's C++ kernels do the matching), and returns per text the value and an ``Outcome``, never a
message: each caller phrases its own, located the way its user counts (``Invoices row 14`` or
``invoices.csv line 14``). Spaces around a text (non-breaking ones included) never matter.

Dates
-----
- Year first: ``2026-04-03``, ``2026/4/3``, ``2026.04.03`` are always year, month, day.
- Year last, in 2 or 4 digits: ``03/04/2026``, ``3-4-26``, ``03.04.2026`` are read in the date order given
  (``dmy`` or ``mdy``). With none, a text that proves its own order is read in it (a first field above 12 can
  only be a day: ``13/04/2026`` is day first) and so is one whose day and month are equal (``04/04/2026``);
  any other is AMBIGUOUS. With the order ``ymd``, a two-digit year comes first (``26/04/03``) and a text
  with a four-digit year last is not a date in that order.
- English month names, either way round: ``3 Apr 2026``, ``03-Apr-26``, ``3rd April 2026``, ``Apr 3, 2026``,
  ``April 3rd 2026`` (a four-digit year when the month comes first).
- A time of day may follow any of them (``2026-04-03 17:45``, ``2026-04-03T17:45:00Z``,
  ``03/04/2026 5:45 PM``); the date is kept as written.
The two separators of a numeric date are the same character. Two-digit years are 20xx. Anything else is
INVALID: three-digit years, dates before 1900 (Excel has none), days a month lacks (``31/02/2026``).

Amounts
-------
A number with at most one sign and at most one currency, in any order around it:
- the number: digits with an optional decimal part (``1234.56``, ``.5``, ``12.``). Thousands may be grouped
  in threes by ``,`` (``.`` with a decimal comma), ``'`` or a space: ``1,234,567.89``, ``1'234.50``,
  ``1 234,50``; a group of any other size is refused (``12 34`` is no amount). With the decimal point an
  ungrouped number may carry an exponent (``12e3``, ``1.5E+03``), as programs write them.
- the sign: a leading ``-`` or ``+``, a trailing ``-`` (``250.00-``) or parentheses (``(250.00)``). Two signs
  (``(-250.00)``, ``--5``) are refused rather than guessed.
- the currency: one symbol (``$ € £ ¥ ₹ ₩ ₽ ₺ ₪ ₫ ₦ ₱ ฿``) or ISO 4217 code in any case (``USD 99.50``,
  ``99.50 eur``), before or after the number, inside or outside the sign (``-$5``, ``$(5.00)``). It is not
  compared with the row's currency.
The decimal mark is the caller's: a point, unless a decimal comma is configured (then ``1.234,56``; ``1,234``
reads 1.234 and ``1.234`` reads 1234). A text that is no amount with this mark but is one with the other is
OTHER_MARK, so that the caller can say which setting to change.

Yes/no flags
------------
True: ``yes``, ``y``, ``true``, ``1``, ``x`` (a ticked box), ``on``, ``hold`` (for ``on_hold``); false: ``no``,
``n``, ``false``, ``0``, ``off``; any case. A blank is BLANK: the caller's default applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .money import ISO_CURRENCIES

Texts = np.ndarray | pa.Array | pd.Series | Sequence[str]
"""A column of texts: Python strings (an object array, a list, a Series) or an Arrow string array."""

DATE_ORDERS = ("dmy", "mdy", "ymd")
SPACES = " \t\r\n\u00a0\u2007\u202f\ufeff"
"""What counts as space around a text: the ASCII ones and the non-breaking ones spreadsheets and PDFs leave."""

CURRENCY_SYMBOLS = "$€£¥₹₩₽₺₪₫₦₱฿"
TRUE_WORDS = ("yes", "y", "true", "1", "x", "on", "hold")
FALSE_WORDS = ("no", "n", "false", "0", "off")


class Outcome(IntEnum):
    """What a reader made of one text."""

    BLANK = 0
    """Nothing but spaces: the caller's default (or its "required" rule) applies."""
    READ = 1
    INVALID = 2
    """Not a date (an amount, a flag) in this grammar."""
    AMBIGUOUS = 3
    """Dates: day and month could be either way round, and no date order was given."""
    OTHER_MARK = 4
    """Amounts: no amount with the configured decimal mark, but one with the other."""


def _trimmed(texts: Texts) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if not isinstance(texts, pa.Array):
        texts = pa.array(np.asarray(texts, dtype=object), type=pa.string(), from_pandas=True)
    return pc.utf8_trim(texts.cast(pa.string()).fill_null(""), characters=SPACES)


def _outcomes(count: int, blank: np.ndarray) -> np.ndarray:
    outcome = np.full(count, Outcome.INVALID, dtype=np.int8)
    outcome[blank] = Outcome.BLANK
    return outcome


def _numpy(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _integers(text: pa.Array) -> np.ndarray:
    return _numpy(pc.cast(text, pa.int64()))


# --- dates ----------------------------------------------------------------------------------------------------

_TIME = (r"(?:[T ](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?(?: ?[AaPp]\.?[Mm]\.?)?"
         r"(?: ?(?:Z|[+-]\d{2}:?\d{2}))?)?")
_NUMERIC_DATE = rf"^(?P<a>\d{{1,4}})(?P<s1>[-/.])(?P<b>\d{{1,2}})(?P<s2>[-/.])(?P<c>\d{{1,4}}){_TIME}$"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DAY_MONTH_NAME = (rf"^(?P<day>\d{{1,2}}){_ORDINAL}[-/. ]*(?P<month>[A-Za-z]{{3,9}})\.?[-/., ]*"
                   rf"(?P<year>\d{{4}}|\d{{2}}){_TIME}$")
_MONTH_NAME_DAY = (rf"^(?P<month>[A-Za-z]{{3,9}})\.?[-/. ]*(?P<day>\d{{1,2}}){_ORDINAL},?[-/. ]*"
                   rf"(?P<year>\d{{4}}){_TIME}$")
_MONTH_NAMES = [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
                ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
                ("oct", "october"), ("nov", "november"), ("dec", "december")]
_MONTH_WORDS = pa.array([word for names in _MONTH_NAMES for word in names])
_MONTH_OF_WORD = np.array([0] + [number for number, names in enumerate(_MONTH_NAMES, start=1) for _ in names])
_NAT = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class Dates:
    """What the date grammar made of a column of texts.

    Attributes:
        days: ``datetime64[D]`` per text, NaT unless READ.
        outcome: an ``Outcome`` per text (int8).
        order: per text, the order a day/month text was read in (``dmy``, ``mdy``; ``ymd`` for a two-digit year
            first), whether or not that gave a real date: the order given, else the one the text proves.
            ``""`` for year-first and month-name texts, and, with no order given, for day/month texts whose
            day and month are equal, that are ambiguous, or that are no date either way round.
        evidence: per text, the order a day/month text proves on its own: ``dmy`` when its first field is above
            12 and its second is not, ``mdy`` the other way round, else ``""``. An import with no date order
            decides one for the whole file from this.
    """

    days: np.ndarray
    outcome: np.ndarray
    order: np.ndarray
    evidence: np.ndarray


def _valid_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``datetime64[D]`` of (year, month, day), NaT where that is no date from 1900 to 9999, and which are."""
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1900) & (year <= 9999)
    months = ((np.where(ok, year, 2000) - 1970) * 12 + np.where(ok, month, 1) - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= day <= length
    days = first + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    return np.where(ok, days, _NAT), ok


def _century(year: np.ndarray, digits: np.ndarray) -> np.ndarray:
    return np.where(digits == 2, year + 2000, year)


def read_dates(texts: Texts, order: str = "") -> Dates:
    """Texts -> dates (see the module doc); ``order`` is ``dmy``, ``mdy``, ``ymd`` or ``""`` (none given)."""
    if order not in ("", *DATE_ORDERS):
        raise ValueError(f"date order {order!r}: expected one of {', '.join(DATE_ORDERS)} or blank")
    text = _trimmed(texts)
    count = len(text)
    blank = _numpy(pc.equal(text, ""))
    outcome = _outcomes(count, blank)
    year = np.zeros(count, dtype=np.int64)
    month = np.zeros(count, dtype=np.int64)
    day = np.zeros(count, dtype=np.int64)
    used = np.full(count, "", dtype="<U3")
    evidence = np.full(count, "", dtype="<U3")
    candidate = np.zeros(count, dtype=bool)  # a form that may be a date: its fields decide

    numeric = pc.extract_regex(text, _NUMERIC_DATE)
    numeric_form = _numpy(numeric.is_valid())
    rows = np.flatnonzero(numeric_form)
    if len(rows):
        taken = numeric.take(pa.array(rows))
        a, b, c = (_integers(taken.field(name)) for name in ("a", "b", "c"))
        a_digits, c_digits = (_numpy(pc.utf8_length(taken.field(name))) for name in ("a", "c"))
        same_separator = _numpy(pc.equal(taken.field("s1"), taken.field("s2")))
        year_first = same_separator & (a_digits == 4) & (c_digits <= 2)
        year_last = same_separator & (a_digits <= 2) & ((c_digits == 2) | (c_digits == 4))
        two_digit_year_first = year_last & (c_digits == 2) & (order == "ymd")
        ymd = year_first | two_digit_year_first
        day_month = year_last & ~two_digit_year_first
        proves_dmy = day_month & (a > 12) & (b <= 12)
        proves_mdy = day_month & (b > 12) & (a <= 12)
        evidence[rows[proves_dmy]] = "dmy"
        evidence[rows[proves_mdy]] = "mdy"
        neither = np.zeros(len(rows), dtype=bool)
        if order == "ymd":
            used[rows[year_last]] = "ymd"  # a four-digit year last is no date in this order: left INVALID
            day_first, month_first = neither, neither
        elif order:
            used[rows[day_month]] = order
            day_first, month_first = (day_month, neither) if order == "dmy" else (neither, day_month)
        else:
            used[rows[proves_dmy]] = "dmy"
            used[rows[proves_mdy]] = "mdy"
            ambiguous = day_month & (a != b) & (a <= 12) & (b <= 12)
            outcome[rows[ambiguous]] = Outcome.AMBIGUOUS
            day_first, month_first = proves_dmy | (day_month & (a == b)), proves_mdy
        year[rows] = np.select([ymd, day_first | month_first], [_century(a, a_digits), _century(c, c_digits)], 0)
        month[rows] = np.select([ymd, day_first, month_first], [b, b, a], 0)
        day[rows] = np.select([ymd, day_first, month_first], [c, a, b], 0)
        candidate[rows] = ymd | day_first | month_first

    for pattern in (_DAY_MONTH_NAME, _MONTH_NAME_DAY):
        rest = ~blank & ~numeric_form & ~candidate
        if not rest.any():
            break
        named = pc.extract_regex(text.filter(pa.array(rest)), pattern)
        found = _numpy(named.is_valid())
        rows = np.flatnonzero(rest)[found]
        if not len(rows):
            continue
        taken = named.filter(pa.array(found))
        words = pc.utf8_lower(taken.field("month"))
        month[rows] = _MONTH_OF_WORD[_numpy(pc.index_in(words, value_set=_MONTH_WORDS).fill_null(-1)) + 1]
        digits = _numpy(pc.utf8_length(taken.field("year")))
        year[rows] = _century(_integers(taken.field("year")), digits)
        day[rows] = _integers(taken.field("day"))
        candidate[rows] = True

    days, ok = _valid_days(year, month, day)
    days = np.where(candidate, days, _NAT)
    read = candidate & ok
    outcome[read] = Outcome.READ
    return Dates(days, outcome, used, evidence)


# --- amounts --------------------------------------------------------------------------------------------------

# The number is the run from the first digit or mark to the last; what is around it is decoration.
_AMOUNT = (r"^(?P<before>[^0-9.,]*)(?P<number>[0-9.,]|[0-9.,][0-9.,' ]*[0-9.,])(?P<exponent>[eE][+-]?[0-9]+)?"
           r"(?P<after>[^0-9.,]*)$")


def _number_pattern(group_mark: str, decimal_mark: str) -> str:
    """Digits with ``decimal_mark`` before the decimals, thousands grouped in threes by ``group_mark``, ``'``
    or a space (one of them throughout)."""
    grouped = "|".join(rf"\d{{1,3}}(?:{mark}\d{{3}})+" for mark in (group_mark, "'", " "))
    return rf"^(?:\d+|{grouped})(?:{decimal_mark}\d*)?$|^{decimal_mark}\d+$"


_POINT_NUMBER = _number_pattern(",", r"\.")
_COMMA_NUMBER = _number_pattern(r"\.", ",")
_UNGROUPED = r"^(?:\d+\.?\d*|\.\d+)$"
_CURRENCIES = pa.array([*CURRENCY_SYMBOLS, *sorted(ISO_CURRENCIES)])


@dataclass(frozen=True)
class Amounts:
    """What the amount grammar made of a column of texts.

    Attributes:
        values: float64 per text, NaN unless READ (the nearest double to the decimal written).
        outcome: an ``Outcome`` per text (int8).
        plain: per text, whether it was written as a plain number: digits, a decimal point, a leading sign or
            an exponent, nothing else (no currency, grouping, parentheses, trailing minus or decimal comma).
        numbers: per READ text, the number as read in plain decimal form (``-1234.50``), for messages; ``""``
            elsewhere.
    """

    values: np.ndarray
    outcome: np.ndarray
    plain: np.ndarray
    numbers: np.ndarray


def _number_fits(number: pa.Array, exponent: pa.Array, decimal_comma: bool) -> np.ndarray:
    fits = pc.match_substring_regex(number, _COMMA_NUMBER if decimal_comma else _POINT_NUMBER)
    if decimal_comma:
        fits = pc.and_(fits, exponent.is_null())
    else:
        fits = pc.and_(fits, pc.or_(exponent.is_null(), pc.match_substring_regex(number, _UNGROUPED)))
    return _numpy(fits.fill_null(False))


def read_amounts(texts: Texts, decimal_comma: bool = False) -> Amounts:
    """Texts -> amounts in major units (see the module doc); ``decimal_comma``: the mark is ``,`` not ``.``."""
    text = pc.replace_substring_regex(_trimmed(texts), "[\t\u00a0\u2007\u202f]", " ")
    count = len(text)
    blank = _numpy(pc.equal(text, ""))
    outcome = _outcomes(count, blank)
    values = np.full(count, np.nan)
    plain = np.zeros(count, dtype=bool)
    numbers = np.full(count, "", dtype=object)
    parts = pc.extract_regex(text, _AMOUNT)
    rows = np.flatnonzero(_numpy(parts.is_valid()))
    if not len(rows):
        return Amounts(values, outcome, plain, numbers)
    parts = parts.take(pa.array(rows))
    before, number, exponent, after = (parts.field(name) for name in ("before", "number", "exponent", "after"))
    exponent = pc.if_else(pc.equal(exponent, ""), pa.nulls(len(rows), pa.string()), exponent)
    opening = _numpy(pc.count_substring(before, "("))
    closing = _numpy(pc.count_substring(after, ")"))
    minus = _numpy(pc.count_substring(before, "-")) + _numpy(pc.count_substring(after, "-"))
    plus = _numpy(pc.count_substring(before, "+"))
    currency_before = pc.replace_substring_regex(before, r"[ (+\-]", "")
    currency_after = pc.replace_substring_regex(after, r"[ )\-]", "")
    currency = pc.utf8_upper(pc.binary_join_element_wise(currency_before, currency_after, ""))
    one_currency = pc.or_(pc.equal(currency_before, ""), pc.equal(currency_after, ""))
    known_currency = pc.or_(pc.equal(currency, ""), pc.is_in(currency, value_set=_CURRENCIES))
    well_formed = (_numpy(pc.and_(one_currency, known_currency)) & (opening == closing)
                   & (opening + minus + plus <= 1))
    fits = well_formed & _number_fits(number, exponent, decimal_comma)
    other = well_formed & ~fits & _number_fits(number, exponent, not decimal_comma)
    outcome[rows[other]] = Outcome.OTHER_MARK
    if not fits.any():
        return Amounts(values, outcome, plain, numbers)

    read = rows[fits]
    take = pa.array(np.flatnonzero(fits))
    digits = pc.replace_substring_regex(number.take(take), r"[.' ]" if decimal_comma else r"[,' ]", "")
    if decimal_comma:
        digits = pc.replace_substring(digits, ",", ".")
    digits = pc.replace_substring_regex(pc.replace_substring_regex(digits, r"^\.", "0."), r"\.$", "")
    negative = (opening + minus)[fits] > 0
    signed = pc.binary_join_element_wise(pa.array(np.where(negative, "-", "")), digits, "")
    with_exponent = pc.binary_join_element_wise(signed, exponent.take(take).fill_null(""), "")
    values[read] = _numpy(pc.cast(with_exponent, pa.float64())) + 0.0  # + 0.0: no negative zero
    outcome[read] = Outcome.READ
    numbers[read] = _numpy(signed).astype(object)
    has_exponent = _numpy(exponent.take(take).is_valid())
    for index in read[has_exponent]:
        numbers[index] = np.format_float_positional(values[index], trim="-")
    sign_only = pc.and_(pc.is_in(pc.replace_substring(before, " ", ""), value_set=pa.array(["", "-", "+"])),
                        pc.equal(pc.replace_substring(after, " ", ""), ""))
    simple_number = pc.match_substring_regex(number, r"^\d+$" if decimal_comma else _UNGROUPED)
    plain[rows] = _numpy(pc.and_(sign_only, simple_number)) & fits
    return Amounts(values, outcome, plain, numbers)


# --- yes/no ---------------------------------------------------------------------------------------------------

_FLAG_WORDS = pa.array([*TRUE_WORDS, *FALSE_WORDS])


@dataclass(frozen=True)
class Flags:
    """What the yes/no grammar made of a column of texts: ``values`` (bool, False unless read true) and
    ``outcome`` (an ``Outcome`` per text, int8)."""

    values: np.ndarray
    outcome: np.ndarray


def read_flags(texts: Texts) -> Flags:
    """Texts -> yes/no flags (see the module doc)."""
    text = pc.utf8_lower(_trimmed(texts))
    position = _numpy(pc.index_in(text, value_set=_FLAG_WORDS).fill_null(-1))
    outcome = _outcomes(len(text), _numpy(pc.equal(text, "")))
    outcome[position >= 0] = Outcome.READ
    return Flags((position >= 0) & (position < len(TRUE_WORDS)), outcome)
