"""Exact money: integer minor units inside arxl, and the one conversion each way at the edges.

Excel stores amounts as IEEE doubles. arxl turns them into int64 minor units (cents for USD, yen for JPY,
fils for KWD) with one rounding rule, half away from zero (what Excel's ROUND does), decided on the shortest
decimal representation of the double, so ``1.005`` is read as 1.005 and becomes 101 cents, not 100.

On the way out, money becomes exact Decimals (``to_major``, for CSV and display text) or float major units
(``to_major_floats`` and its scalar ``to_major_float``, for Excel cells, charts and JSON numbers), always with
the currency's own minor digits: never a hard-coded 2.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

Currency = str
"""An ISO 4217 code such as ``USD``."""

MinorUnits = int
"""An amount in the currency's minor unit (cents for USD)."""

# ISO 4217 minor-unit exponents that differ from 2; every other code uses 2.
_EXPONENTS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}

# Codes arxl accepts without complaint: the active ISO 4217 list.
ISO_CURRENCIES: frozenset[str] = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK
    LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR
    PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP
    SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYI UYU UYW UZS VES VND VUV WST XAF XCD XOF XPF YER
    ZAR ZMW ZWL""".split()
)


def exponent(currency: Currency) -> int:
    """Number of minor-unit digits of ``currency`` (ISO 4217; 2 when the code is not special)."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor(value: float | int | Decimal | str, currency: Currency) -> MinorUnits:
    """One amount in major units -> minor units, rounding half away from zero on its decimal form."""
    text = repr(value) if isinstance(value, float) else str(value)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not an amount") from exc
    return int(number.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(minor: MinorUnits, currency: Currency) -> Decimal:
    """Minor units -> an exact Decimal in major units (``12345, 'USD'`` -> ``Decimal('123.45')``)."""
    return Decimal(int(minor)).scaleb(-exponent(currency))


def format_plain(minor: MinorUnits, currency: Currency) -> str:
    """A plain decimal with the currency's minor digits and no separators: ``-1234.50``."""
    digits = exponent(currency)
    return f"{to_major(minor, currency):.{digits}f}"


def floats_to_minor(values: np.ndarray, exponents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised float -> minor units, half away from zero; also says which inputs had sub-minor digits.

    ``values`` are float64 major units, ``exponents`` the currency exponent per value. Returns
    ``(minor int64, had_extra_digits bool)``. Values whose scaled fraction sits within float noise of one
    half are decided on their shortest decimal repr, so ``1.005`` gives 101 like Excel's ROUND.
    """
    values = np.asarray(values, dtype=np.float64)
    scale = np.power(10.0, np.asarray(exponents, dtype=np.float64))
    scaled = np.abs(values) * scale
    floor = np.floor(scaled)
    fraction = scaled - floor
    tolerance = np.maximum(1e-9, scaled * 4e-16)
    near_half = np.abs(fraction - 0.5) <= tolerance
    rounded = np.where(fraction >= 0.5, floor + 1.0, floor)
    minor = (np.sign(values) * rounded).astype(np.int64)
    extra = (np.minimum(fraction, 1.0 - fraction) > tolerance) & ~near_half
    for index in np.flatnonzero(near_half):
        number = Decimal(repr(float(values[index]))).scaleb(int(exponents[index]))
        minor[index] = int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        extra[index] = number != number.to_integral_value()
    return minor, extra


def to_major_floats(minor: np.ndarray | pd.Series, currency: Currency | np.ndarray | pd.Series) -> np.ndarray:
    """Minor units -> float major units, the way money leaves arxl for Excel cells, charts and JSON numbers.

    ``minor`` holds whole minor units (int64, or float64 where NaN marks a blank, which stays NaN);
    ``currency`` is one code for every value or one code per value, and each value is divided by 10 to the
    power of its own currency's minor digits (``exponent``): 12345 is 123.45 in USD, 12345 in JPY and 12.345
    in KWD. The result is the double nearest to the exact decimal amount (one correctly rounded division,
    for any amount below 2**53 minor units), so it is the same double Excel holds when that amount is typed.
    """
    values = np.asarray(minor, dtype=np.float64)
    if isinstance(currency, str):
        return values / _scale(currency)
    codes, distinct = pd.factorize(np.asarray(currency, dtype=object), use_na_sentinel=False)
    scales = np.array([_scale(code) for code in distinct], dtype=np.float64)
    return values / scales[codes] if len(values) else values


def to_major_float(minor: int | np.integer, currency: Currency) -> float:
    """``to_major_floats`` of one amount: ``12345, 'KWD'`` -> ``12.345``."""
    return float(minor) / _scale(currency)


def _scale(currency: Currency) -> float:
    """How many minor units make one major unit of ``currency``, as the float the conversion divides by."""
    return 10.0 ** exponent(currency)
