"""Foreign exchange: rates over time, the booking rate of each document, and exact conversion of minor units into
the reporting currency.

**Rates over time.** A row of FXRates says how many reporting-currency units one unit of its currency is worth
from its ``date`` on, until the currency's next dated row; a row with a blank date holds since always (until the
currency's first dated row). ``rates_on(ledger, currencies, days)`` is the rate in force on each day (NaN where
the currency has none yet); ``rate_on`` is one of them. The reporting currency has rate 1 whatever FXRates says.
A report at an as-of date converts at the rates in force on that date, so a rate dated later never moves it.

**Booking rates.** ``booking_rates(ledger)`` is each Invoices and Payments row's rate at booking: its ``fx_rate``
when one is typed, else the FXRates rate in force on its document date (NaN when there is none: the loader warns).
Booked values (``booked_values``) use it; revaluation (``arxl.revaluation``) compares them with the value at the
as-of rate, and realised differences compare the booking rates of a payment (or credit note) and of the invoice
it settles. A cross-currency receipt (a payment in another currency than the invoice it settles) settles at an
exchange rate of its own: the Applications row's ``exchange_rate``, else ``cross_rates`` at the payment date (the
invoice currency's FXRates rate over the payment currency's); ``exchange`` converts with it, exactly.

**Rounding rule.** A rate is the decimal it was typed as: the shortest decimal that reads back as the stored double
(``83.1234`` is 83.1234, a rate computed as ``=1/3`` is 0.3333333333333333). Each amount converts as exactly
``amount x rate``, rounded once, half away from zero (Excel's ROUND), to the reporting currency's minor unit,
before anything is summed; so converted totals are sums of converted items and reconcile with them to the cent.

API, for reports and for what builds on them:

- ``rate_on(ledger, currency, day)``, ``rates_on(ledger, currencies, days)``: the rate in force.
- ``booking_rates(ledger)``: (invoice rates, payment rates), one per row of ``ledger.invoices`` / ``payments``.
- ``convert(amounts, currencies, rates, reporting)``: exact conversion at one rate per amount.
- ``to_reporting_currency(ledger, amounts, currencies, on=day)`` and ``convert_coded``: at the rates in force on
  ``on`` (None: each currency's latest rate, as a report dated today would); a ValueError names a currency
  without one.
- ``convertible(ledger, on=day)``: whether every currency of the documents dated on or before ``on`` has a rate
  in force then (None: whether every currency used has any rate), so that reports can add them up;
  ``unconvertible`` names the currencies that do not, ``unconvertible_message`` says so to a user.
- ``exact_rate(rate)``, ``cross_rates(ledger, from, to, days)``, ``exchange_factor(rate, from, to)`` and
  ``exchange(amounts, factors)``: conversion between two document currencies (cross-currency receipts), each
  amount rounded once, half away from zero, to the target currency's minor unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from .dates import day_number, day_numbers
from .ledger import Ledger
from .money import exponent

Rate = float
"""Reporting-currency units per unit of a currency, as typed in a cell."""

_NO_RATE = np.nan


def _day(on: dt.date | int | None) -> int | None:
    if on is None or isinstance(on, int | np.integer):
        return None if on is None else int(on)
    return day_number(on)


class _RateTable:
    """FXRates by currency: day numbers (blank = since always) and rates, sorted by day."""

    def __init__(self, ledger: Ledger):
        rates = ledger.fx_rates
        self.reporting = ledger.settings.reporting_currency
        days = day_numbers(rates["date"]) if len(rates) else np.zeros(0, dtype=np.int64)
        currencies = rates["currency"].to_numpy(dtype=object)
        values = rates["rate"].to_numpy(dtype=np.float64)
        self.by_currency: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for currency in dict.fromkeys(currencies.tolist()):
            if currency == self.reporting:
                continue
            rows = np.flatnonzero(currencies == currency)
            order = rows[np.argsort(days[rows], kind="stable")]
            self.by_currency[str(currency)] = (days[order], values[order])

    def on(self, currency: str, days: np.ndarray) -> np.ndarray:
        """The rate of ``currency`` in force on each day (NaN before its first rate)."""
        if currency == self.reporting:
            return np.ones(len(days), dtype=np.float64)
        found = self.by_currency.get(currency)
        if found is None:
            return np.full(len(days), _NO_RATE)
        rate_days, rates = found
        # The latest rate dated on or before the day; a blank date (NAT_DAY) is before every day.
        where = np.searchsorted(rate_days, np.asarray(days, dtype=np.int64), side="right") - 1
        return np.where(where >= 0, rates[np.maximum(where, 0)], _NO_RATE)

    def first(self, currency: str) -> float:
        """The currency's earliest rate (NaN when it has none)."""
        if currency == self.reporting:
            return 1.0
        found = self.by_currency.get(currency)
        return float(found[1][0]) if found is not None else _NO_RATE

    def latest(self, currency: str) -> float:
        if currency == self.reporting:
            return 1.0
        found = self.by_currency.get(currency)
        return float(found[1][-1]) if found is not None else _NO_RATE


def _rates_coded(table: _RateTable, codes: np.ndarray, currencies: np.ndarray, days: np.ndarray) -> np.ndarray:
    result = np.full(len(codes), _NO_RATE)
    for code in (np.unique(codes) if len(codes) else codes):
        rows = codes == code
        result[rows] = table.on(str(currencies[code]), days[rows])
    return result


def rates_on(ledger: Ledger, currencies: np.ndarray | pd.Series, days: np.ndarray | int) -> np.ndarray:
    """The FXRates rate in force for each (currency, day number), float64; NaN where the currency has none yet.

    ``days`` is one day number for all or one per currency; the reporting currency is 1.
    """
    currencies = np.asarray(currencies, dtype=object)
    days = np.broadcast_to(np.asarray(days, dtype=np.int64), currencies.shape)
    codes, uniques = pd.factorize(currencies)
    return _rates_coded(_RateTable(ledger), codes, np.asarray(uniques, dtype=object), days)


def rate_on(ledger: Ledger, currency: str, on: dt.date) -> Rate | None:
    """The rate of ``currency`` in force on ``on``, or None when it has none then."""
    rate = float(rates_on(ledger, np.array([currency], dtype=object), day_number(on))[0])
    return None if np.isnan(rate) else rate


def booking_rates_coded(ledger: Ledger, codes: np.ndarray, currencies: np.ndarray, days: np.ndarray,
                        typed: np.ndarray) -> np.ndarray:
    """Booking rates of documents given column-wise: currency ``currencies[codes]``, date (day numbers) and the
    typed ``fx_rate`` (NaN when blank); NaN where none is known."""
    currencies = np.asarray(currencies, dtype=object)
    reporting = np.flatnonzero(currencies == ledger.settings.reporting_currency)
    in_force = _rates_coded(_RateTable(ledger), codes, currencies, np.asarray(days, dtype=np.int64))
    rates = np.where(np.isnan(typed), in_force, typed)
    return np.where(np.isin(codes, reporting), 1.0, rates)


def first_rates(ledger: Ledger, currencies: np.ndarray) -> np.ndarray:
    """Each currency's earliest FXRates rate (1 for the reporting currency, NaN for one with no rate): what a
    document dated before its currency's first rate counts at in credit sales (``arxl.metrics``)."""
    table = _RateTable(ledger)
    return np.array([table.first(str(currency)) for currency in currencies], dtype=np.float64)


def booking_rates(ledger: Ledger) -> tuple[np.ndarray, np.ndarray]:
    """(invoice rates, payment rates): each document's booking rate (module docstring), NaN where unknown."""
    def of(frame: pd.DataFrame, date_column: str) -> np.ndarray:
        codes, uniques = pd.factorize(frame["currency"].to_numpy(dtype=object))
        typed = frame["fx_rate"].to_numpy(dtype=np.float64) if "fx_rate" in frame else np.full(len(frame), np.nan)
        days = day_numbers(frame[date_column])
        return booking_rates_coded(ledger, codes, np.asarray(uniques, dtype=object), days, typed)

    return of(ledger.invoices, "invoice_date"), of(ledger.payments, "payment_date")


# --- exact conversion --------------------------------------------------------------------------------------------

def _fraction(rate: float) -> tuple[int, int]:
    """A rate as (numerator, decimals): the shortest decimal of the double, 83.1234 -> (831234, 4)."""
    sign, digits, power = Decimal(repr(float(rate))).normalize().as_tuple()
    numerator = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if isinstance(power, str):
        raise ValueError(f"exchange rate {rate!r} is not a finite number")
    return (numerator * 10 ** power, 0) if power > 0 else (numerator, -power)


def convert(amounts: np.ndarray, currencies: np.ndarray | pd.Series | str, rates: np.ndarray, reporting: str
            ) -> np.ndarray:
    """Minor units of each amount's currency x its rate -> reporting-currency minor units, exactly, each rounded
    half away from zero (the module's rounding rule). ``rates`` must be finite; one per amount; ``currencies``
    is one per amount, or one code for all."""
    amounts = np.asarray(amounts, dtype=np.int64)
    if not len(amounts):
        return amounts.copy()
    rates = np.asarray(rates, dtype=np.float64)
    if not np.isfinite(rates).all():
        raise ValueError("an amount has no exchange rate to convert it with")
    distinct, which = np.unique(rates, return_inverse=True)
    parts = [_fraction(rate) for rate in distinct]
    if isinstance(currencies, str):
        currency_digits: np.ndarray | int = exponent(currencies)
    else:
        codes, uniques = pd.factorize(np.asarray(currencies, dtype=object))
        currency_digits = np.array([exponent(str(code)) for code in uniques], dtype=np.int64)[codes]
    shift = exponent(reporting) - currency_digits - np.array([part[1] for part in parts], dtype=np.int64)[which]
    up = np.where(shift > 0, shift, 0)
    down = np.where(shift < 0, -shift, 0)
    biggest = max(abs(part[0]) for part in parts)
    if (int(np.abs(amounts).max()) * biggest * 10 ** int(up.max()) < 2 ** 62 and int(down.max()) < 18):
        scaled = amounts * np.array([part[0] for part in parts], dtype=np.int64)[which] * np.power(10, up)
        divisor = np.power(10, down)
        quotient, remainder = np.divmod(np.abs(scaled), divisor)
        quotient += 2 * remainder >= divisor
        return np.sign(scaled) * quotient
    # Rates with many digits or very large amounts: the same arithmetic on Python integers.
    numerators = [part[0] for part in parts]
    result = np.empty(len(amounts), dtype=np.int64)
    for index, (amount, rate_index, raise_by, lower_by) in enumerate(zip(amounts.tolist(), which.tolist(),
                                                                       up.tolist(), down.tolist(), strict=True)):
        scaled = amount * numerators[rate_index] * 10 ** raise_by
        divisor = 10 ** lower_by
        quotient, remainder = divmod(abs(scaled), divisor)
        quotient += 1 if 2 * remainder >= divisor else 0
        result[index] = quotient if scaled >= 0 else -quotient
    return result


def to_reporting_currency(ledger: Ledger, amounts: np.ndarray, currencies: np.ndarray | pd.Series,
                          on: dt.date | None = None) -> np.ndarray:
    """Minor units of each row's currency -> reporting-currency minor units at the rates in force on ``on``
    (None: each currency's latest rate), each rounded half away from zero.

    Raises ValueError naming the first currency that has no rate then.
    """
    amounts = np.asarray(amounts, dtype=np.int64)
    codes, uniques = pd.factorize(np.asarray(currencies, dtype=object))
    return convert_coded(ledger, amounts, codes, np.asarray(uniques, dtype=object), on)


def convert_coded(ledger: Ledger, amounts: np.ndarray, codes: np.ndarray, currencies: np.ndarray,
                  on: dt.date | None = None) -> np.ndarray:
    """``to_reporting_currency`` for amounts whose currency is given as ``currencies[codes]``."""
    reporting = ledger.settings.reporting_currency
    table = _RateTable(ledger)
    day = _day(on)
    result = np.asarray(amounts, dtype=np.int64).copy()
    present = np.unique(codes) if len(codes) else codes
    for code in present:
        currency = str(currencies[code])
        if currency == reporting:
            continue
        rate = table.latest(currency) if day is None else float(table.on(currency, np.array([day]))[0])
        if np.isnan(rate):
            when = "" if day is None else f" in force on {dt.date(1970, 1, 1) + dt.timedelta(days=day)}"
            raise ValueError(f"no exchange rate for {currency}{when}: add {currency} to the FXRates table "
                             f"(reporting-currency {reporting} per unit of {currency}) to convert it")
        rows = codes == code
        result[rows] = convert(result[rows], currency, np.full(int(rows.sum()), rate), reporting)
    return result


def booked_values(ledger: Ledger, amounts: np.ndarray, currencies: np.ndarray | pd.Series,
                  rates: np.ndarray) -> np.ndarray:
    """Amounts at their own booking rates (``rates``, one per amount, NaN allowed only for reporting-currency
    amounts), in reporting-currency minor units."""
    currencies = np.asarray(currencies, dtype=object)
    rates = np.where(currencies == ledger.settings.reporting_currency, 1.0, np.asarray(rates, dtype=np.float64))
    return convert(amounts, currencies, rates, ledger.settings.reporting_currency)


def used_currencies(ledger: Ledger, on: dt.date | None = None) -> set[str]:
    """Currencies of the invoices and payments (dated on or before ``on`` when given)."""
    invoices, payments = ledger.invoices, ledger.payments
    if on is None:
        return set(invoices["currency"].unique()) | set(payments["currency"].unique())
    day = day_number(on)
    return (set(invoices["currency"][day_numbers(invoices["invoice_date"]) <= day].unique())
            | set(payments["currency"][day_numbers(payments["payment_date"]) <= day].unique()))


def convertible(ledger: Ledger, on: dt.date | None = None) -> bool:
    """True when every currency used has an exchange rate (in force on ``on`` when given, for the documents
    dated on or before it), so amounts can be added in the reporting currency."""
    return not unconvertible(ledger, on)


def unconvertible(ledger: Ledger, on: dt.date | None = None) -> list[str]:
    """The currencies that keep ``convertible`` false, sorted: used (by documents dated on or before ``on`` when
    given) and without a rate (in force on ``on`` when given)."""
    reporting = ledger.settings.reporting_currency
    if not used_currencies(ledger) - {reporting}:
        return []  # one currency: nothing to convert, whatever the date
    foreign = used_currencies(ledger, on) - {reporting}
    if on is None:
        return sorted(foreign - set(ledger.fx_rates["currency"].unique()))
    table = _RateTable(ledger)
    day = np.array([day_number(on)], dtype=np.int64)
    return sorted(currency for currency in foreign if np.isnan(table.on(currency, day)[0]))


def unconvertible_message(ledger: Ledger, on: dt.date) -> str | None:
    """Why amounts cannot be added in the reporting currency on ``on`` (None when they can)."""
    missing = unconvertible(ledger, on)
    if not missing:
        return None
    reporting = ledger.settings.reporting_currency
    named = ", ".join(missing)
    return (f"{named} {'has' if len(missing) == 1 else 'have'} no exchange rate in force on {on.isoformat()}, so "
            f"amounts cannot be added up in {reporting}: add a row for {named} to the FXRates table "
            f"({reporting} per unit), dated on or before {on.isoformat()}")


def has_foreign_items(ledger: Ledger) -> bool:
    """Whether any invoice or payment is in another currency than the reporting one."""
    return bool(used_currencies(ledger) - {ledger.settings.reporting_currency})



# --- between two document currencies ----------------------------------------------------------------------------

def exact_rate(rate: float) -> Fraction:
    """A rate as the decimal it was typed as (the module's rounding rule), exactly: 1.08 -> 27/25."""
    numerator, decimals = _fraction(rate)
    return Fraction(numerator, 10 ** decimals)


def cross_rates(ledger: Ledger, from_currencies: np.ndarray | Sequence[str],
                to_currencies: np.ndarray | Sequence[str], days: np.ndarray) -> list[Fraction | None]:
    """Units of each ``to`` currency per unit of its ``from`` currency in force on each day (day numbers), through
    the reporting currency: FXRates(from) / FXRates(to), exactly; None where either has no rate then."""
    from_currencies = np.asarray(from_currencies, dtype=object)
    to_currencies = np.asarray(to_currencies, dtype=object)
    days = np.asarray(days, dtype=np.int64)
    if not len(days):
        return []
    table = _RateTable(ledger)
    codes, uniques = pd.factorize(np.concatenate([from_currencies, to_currencies]))
    rates = _rates_coded(table, codes, np.asarray(uniques, dtype=object), np.concatenate([days, days]))
    over, under = rates[: len(days)], rates[len(days):]
    return [None if np.isnan(high) or np.isnan(low) else exact_rate(float(high)) / exact_rate(float(low))
            for high, low in zip(over.tolist(), under.tolist(), strict=True)]


def exchange_factor(rate: Fraction, from_currency: str, to_currency: str) -> Fraction:
    """What turns minor units of ``from_currency`` into minor units of ``to_currency`` at ``rate`` (``to`` units
    per ``from`` unit): the rate shifted by the difference of their minor units."""
    return rate * Fraction(10) ** (exponent(to_currency) - exponent(from_currency))


def exchange(amounts: np.ndarray | Sequence[int], factors: Sequence[Fraction]) -> np.ndarray:
    """Each amount (minor units) times its factor (``exchange_factor``), rounded once, half away from zero."""
    result = np.zeros(len(factors), dtype=np.int64)
    for index, (amount, factor) in enumerate(zip(np.asarray(amounts, dtype=np.int64).tolist(), factors,
                                                 strict=True)):
        scaled = abs(amount) * factor
        whole = int(scaled)
        whole += 1 if 2 * (scaled - whole) >= 1 else 0
        result[index] = whole if amount >= 0 else -whole
    return result
