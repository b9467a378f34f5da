"""Foreign exchange: converting minor units of any currency into the reporting currency with the FXRates table.

The reporting currency has rate 1 whatever FXRates says. Each item is converted into reporting minor units and
rounded half away from zero before anything is summed, so converted totals reconcile with the converted items.
A currency without a rate is a ValueError naming it; ``convertible`` says beforehand whether every currency of
the ledger has one (reports then convert; otherwise they stay per currency).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .ledger import Ledger
from .money import exponent, floats_to_minor


def fx_rate_table(ledger: Ledger) -> dict[str, float]:
    """Currency -> reporting-currency units per unit, from ``ledger.fx_rates`` (reporting currency = 1)."""
    rates = dict(zip(ledger.fx_rates["currency"].tolist(), ledger.fx_rates["rate"].tolist(), strict=True))
    rates[ledger.settings.reporting_currency] = 1.0
    return rates


def to_reporting_currency(ledger: Ledger, amounts: np.ndarray, currencies: np.ndarray | pd.Series
                          ) -> np.ndarray:
    """Minor units of each row's currency -> reporting-currency minor units, each rounded half away from zero.

    Raises ValueError naming the first currency that has no rate in the FXRates table.
    """
    amounts = np.asarray(amounts, dtype=np.int64)
    codes, uniques = pd.factorize(np.asarray(currencies, dtype=object))
    return convert_coded(ledger, amounts, codes, np.asarray(uniques, dtype=object))


def convert_coded(ledger: Ledger, amounts: np.ndarray, codes: np.ndarray, currencies: np.ndarray
                  ) -> np.ndarray:
    """``to_reporting_currency`` for amounts whose currency is given as ``currencies[codes]``."""
    reporting = ledger.settings.reporting_currency
    rates = fx_rate_table(ledger)
    result = np.asarray(amounts, dtype=np.int64).copy()
    present = np.unique(codes) if len(codes) else codes
    for code in present:
        currency = str(currencies[code])
        if currency == reporting:
            continue
        if currency not in rates:
            raise ValueError(f"no exchange rate for {currency}: add {currency} to the FXRates table "
                             f"(reporting-currency {reporting} per unit of {currency}) to convert it")
        rows = codes == code
        major = result[rows] / 10.0 ** exponent(currency) * rates[currency]
        result[rows], _ = floats_to_minor(major, np.full(len(major), exponent(reporting)))
    return result


def convertible(ledger: Ledger) -> bool:
    """True when every currency used has an exchange rate, so amounts can be added in the reporting currency."""
    used = set(ledger.invoices["currency"].unique()) | set(ledger.payments["currency"].unique())
    return used <= set(ledger.fx_rates["currency"].unique()) | {ledger.settings.reporting_currency}
