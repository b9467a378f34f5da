"""The credit what-if as a verb: "can we ship this order?" for the faces that ask it with the book at hand (the
ribbon's Credit check, scripts). The rule is ``arxl.credit.credit_check``'s; the command line's
``arxl report credit`` and the worksheet function ``AR_CREDIT_CHECK`` give the same answer."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..errors import ArxlError

if TYPE_CHECKING:
    from ..credit import CreditDecision
    from .refresh import BookAdapter


class BadOrder(ArxlError):
    """The customer or the order amount asked about cannot be used; the message says why."""


def order_amount(text: str, currency: str) -> int:
    """An order typed as text (``5000``, ``5,000.00``, ``$5,000``) as minor units of ``currency``; BadOrder
    when it is not a positive amount."""
    from ..money import to_minor
    from ..text import Outcome, read_amounts

    read = read_amounts([str(text)])
    if read.outcome[0] != Outcome.READ:
        raise BadOrder(f'"{text}" is not an amount (expected an amount such as 5000 or 5,000.00)')
    amount = to_minor(str(read.numbers[0]), currency)
    if amount <= 0:
        raise BadOrder(f'"{text}": the order must be a positive amount')
    return amount


def check_order(adapter: BookAdapter, customer_id: str, order: str, *, as_of: dt.date | None, today: dt.date
                ) -> tuple[CreditDecision, dt.date]:
    """The decision on an order of ``order`` (text, the customer's currency) from ``customer_id``, and its date;
    ValidationFailed when the book has errors, BadOrder for an unknown customer or an unusable amount."""
    from ..credit import credit_check
    from ..dates import resolve_as_of
    from .refresh import load_validated

    ledger = load_validated(adapter).ledger
    customers = ledger.customers
    found = customers.loc[customers["customer_id"] == customer_id, "currency"]
    if found.empty:
        raise BadOrder(f'customer "{customer_id}" is not in the Customers table')
    date = resolve_as_of(ledger, as_of, today)
    return credit_check(ledger, date, customer_id, order_amount(order, str(found.iloc[0]))), date
