"""Settlement: which payments and credit notes settled which invoices at an as-of date, and what stays open.

``settle(ledger, as_of)`` follows DESIGN.md section 3, "Application of cash and credits". Documents dated after
the as-of date do not exist; then, each step finished for every document before the next starts:

1. adjustments (``ledger.adjustments["effect"]`` is signed: write-offs and discounts reduce, finance charges and
   recoveries increase the invoice);
2. rows of the Applications table, in the order (date, Excel row);
3. each payment's own ``invoice_id`` and each credit note's ``applies_to``, up to that invoice's remaining open
   amount (several documents naming one invoice are taken by date, then id);
4. when auto-apply is on, the remainder of every payment and credit note to the same customer's open invoices,
   debit notes and reopened reversals in the same currency, oldest due date first (then document date, then id),
   cash taken by date, then id;
5. whatever is left is unapplied cash or credit: an open item with a negative open amount.

A credit note (an Invoices row with a negative amount) settles like a payment dated at its invoice date, and like
a payment it is due on that date, whatever the Invoices row says. A negative payment is a reversal: when its
``reference`` (else its ``invoice_id``) names a payment of the same customer it reduces that payment by its
amount from the reversal's date on, so every application of that payment is recomputed from what it still
holds; a reversal naming no payment is a positive open debit, kind ``reversal``, due on its date. Void invoices never reach the engine (the loader keeps them in
``ledger.voided``); disputed invoices settle and age like any other and keep their ``status``.

Outputs (all money int64 minor units of the row's currency, signed as the receivable sees it: positive = owed by
the customer):

``Settlement.open_items`` (``OPEN_ITEM_COLUMNS``), one row per document with a non-zero open amount, ordered by
customer_id, currency, document_date, document_id. ``original + adjusted + applied == open_amount``.
``Settlement.applications`` (``APPLICATION_COLUMNS``), the application ledger: for every receivable,
``original + adjusted - sum(amount of its applications) == open_amount``; for every payment or credit note,
``original + adjusted + sum(amount of its applications) == open_amount``.
``Settlement.adjustments`` (``ADJUSTMENT_COLUMNS``): the adjustments in force at the as-of date with the effect
the engine gave them (a fourth field beside the two the issue asks for: activity statements list them).
Applications and adjustments are listed by invoice in document order, then by date.

Choices where DESIGN.md is silent (an accountant's reading, as in ERPNext's AR report):

- The sign of an Invoices amount decides its role: negative = credit note (kind ``credit_note``, a source of
  credit), zero or positive = a receivable of its type (``debit_note`` or else ``invoice``).
- A document, adjustment or application exists at the as-of date when it and every document it names are dated
  on or before it. An application's ``date`` is the Applications row's date, or else the later of the two
  documents' dates.
- An application, a payment's ``invoice_id`` or a credit note's ``applies_to`` only counts when it names an
  existing invoice or debit note of the same customer in the same currency; anything else (unknown, void,
  another customer's or another currency's document, a credit note) is ignored here - the loader reports it -
  and the cash goes on to auto-apply. Applications rows must name a payment (or, failing that, a credit note)
  as source; a reversal is never a source.
- Explicit applications are capped in (date, row) order so that none takes more than its source still holds or
  more than its invoice still owes: the latest rows are the ones cut back. This is also how a reversed payment's
  explicit applications are cut back, latest first.
- Adjustments count only against invoices and debit notes; one naming a credit note, a payment or an unknown
  document is ignored (the loader reports it). A write-off or discount never takes an invoice below zero:
  adjustments are taken by date, then adjustment_id, and the part of a reduction beyond the open amount is
  dropped (``Settlement.adjustments["effect"]`` shows the effect given).
- A reversal matches a payment only when that payment is positive, of the same customer and currency and dated
  on or before the reversal. Several reversals of one payment are taken by date, then id; the part of a
  reversal beyond what the payment still holds stays open as a debit (kind ``reversal``). For a payment,
  ``adjusted`` is the part reversed; for a reversal, ``adjusted`` is minus the part that reduced the payment.
- Reopened reversals take part in auto-apply like debit notes, but Applications rows and references cannot
  name them.
- Payments and documents of zero amount never appear in the outputs.
- "Then id" compares ids as text, by Unicode code point (``I10`` comes before ``I9``), so the result never
  depends on the order of the input rows. Only rows that are exact duplicates (same id, which the loader
  rejects) keep their input order.

Speed: the as-of-independent work (id lookups, canonical orders) is done once per Ledger object and memoised
(a Ledger's frames are treated as immutable); each settlement is then whole-array NumPy. FIFO is an interval
intersection: cash and invoice amounts are laid end to end per (customer, currency) group on one axis, and each
elementary segment between the merged breakpoints is one application.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .dates import day_number, days_to_datetimes
from .ledger import Ledger

KIND_INVOICE = "invoice"
KIND_DEBIT_NOTE = "debit_note"
KIND_CREDIT_NOTE = "credit_note"
KIND_PAYMENT = "payment"
KIND_REVERSAL = "reversal"
KINDS: tuple[str, ...] = (KIND_INVOICE, KIND_DEBIT_NOTE, KIND_CREDIT_NOTE, KIND_PAYMENT, KIND_REVERSAL)
"""Document kinds, in the order of their integer codes inside the engine."""

STEP_EXPLICIT = "explicit"
STEP_REFERENCE = "reference"
STEP_AUTO = "auto"
STEPS: tuple[str, ...] = (STEP_EXPLICIT, STEP_REFERENCE, STEP_AUTO)

OPEN_ITEM_COLUMNS: tuple[str, ...] = (
    "customer_id", "document_id", "kind", "currency", "document_date", "due_date",
    "original", "adjusted", "applied", "open_amount", "status", "po_number", "reference", "description",
)
"""Columns of ``Settlement.open_items``: ``original`` (signed document amount: credit notes and payments
negative), ``adjusted`` (adjustments in force; for payments and reversals the part reversed), ``applied``
(signed amount settled, bringing the item towards zero), ``open_amount`` (positive = receivable, negative =
unapplied cash or credit); ``status`` is the invoice status (``""`` or ``disputed``); ``reference`` is a credit
note's ``applies_to`` or a payment's remittance text; ``description`` an invoice's description or a payment's
method."""

APPLICATION_COLUMNS: tuple[str, ...] = (
    "source_id", "source_kind", "invoice_id", "invoice_kind", "customer_id", "currency", "amount", "date",
    "invoice_date", "due_date", "step",
)
"""Columns of ``Settlement.applications``: a payment or credit note (``source_*``) settling ``amount``
(positive minor units) of a receivable (``invoice_*``, whose document date and due date are repeated for
payment-behaviour figures), effective on ``date``, by ``step`` (one of ``STEPS``)."""

ADJUSTMENT_COLUMNS: tuple[str, ...] = (
    "adjustment_id", "invoice_id", "customer_id", "currency", "date", "type", "amount", "effect", "reason",
)
"""Columns of ``Settlement.adjustments``: ``date`` is when the adjustment takes effect (its own date, or its
invoice's date when that is later); ``effect`` is the signed effect the engine gave it (``amount`` is as
entered)."""

_INVOICE, _DEBIT_NOTE, _CREDIT_NOTE, _PAYMENT, _REVERSAL = range(5)
_KIND_NAMES = pa.array(KINDS, type=pa.large_string())
_STEP_NAMES = pa.array(STEPS, type=pa.large_string())
_NO_DATE = np.iinfo(np.int64).min


@dataclass(frozen=True, eq=False)
class Settlement:
    """The result of settling a ledger at one as-of date.

    Attributes:
        as_of: the as-of date.
        open_items: one row per open document (``OPEN_ITEM_COLUMNS``).
        applications: the application ledger (``APPLICATION_COLUMNS``).
        adjustments: adjustments in force at the as-of date (``ADJUSTMENT_COLUMNS``).
    """

    as_of: dt.date
    open_items: pd.DataFrame
    applications: pd.DataFrame
    adjustments: pd.DataFrame


def settle(ledger: Ledger, as_of: dt.date, *, auto_apply: bool | None = None,
           customer_id: str | None = None) -> Settlement:
    """Settle every payment and credit note of ``ledger`` as at ``as_of`` (see the module docstring).

    ``auto_apply`` overrides ``ledger.settings.auto_apply`` (step 4, FIFO by due date). ``customer_id`` keeps
    only that customer's rows in the frames (accounts settle independently, so they are the same rows as in
    the full settlement, built faster). The result does not depend on the order of the input rows.
    """
    prepared = prepared_ledger(ledger)
    core = settle_arrays(prepared, as_of, auto_apply=ledger.settings.auto_apply if auto_apply is None
                         else auto_apply)
    customer = None if customer_id is None else customer_code(prepared, customer_id)
    return Settlement(
        as_of=as_of,
        open_items=_open_items_frame(prepared, core, customer),
        applications=_applications_frame(prepared, core, customer),
        adjustments=_adjustments_frame(ledger, prepared, core, customer),
    )


def customer_code(prepared: PreparedLedger, customer_id: str) -> int:
    """The integer code of ``customer_id`` in a prepared ledger (-1 when it has no document or row)."""
    found = pc.index_in(pa.array([customer_id], type=pa.large_string()), value_set=prepared.customers)[0]
    return -1 if not found.is_valid else int(found.as_py())


# ---------------------------------------------------------------------------------------------------------
# The as-of-independent preparation, memoised per Ledger object.


@dataclass(frozen=True, eq=False)
class PreparedLedger:
    """Integer-coded documents and their canonical orders, built once per Ledger (engine internals).

    Documents are the invoices rows (positions ``0 .. n_invoices-1``) followed by the payments rows; every
    ``doc_*`` array has one entry per document. Customer and currency codes index the sorted ``customers`` and
    ``currencies``, so integer order is text order. ``settled`` memoises the last few ``SettledArrays`` and
    ``derived`` holds what other modules derive from the prepared ledger once (such as converted sales).
    """

    ledger_ref: weakref.ref
    n_invoices: int
    customers: pa.Array
    currencies: pa.Array
    doc_id: pa.Array
    doc_customer: np.ndarray
    doc_currency: np.ndarray
    doc_date: np.ndarray
    doc_due: np.ndarray
    doc_kind: np.ndarray
    doc_original: np.ndarray
    doc_fixed_adjust: np.ndarray
    doc_text: dict[str, pa.Array]
    doc_order: np.ndarray
    doc_rank: np.ndarray
    is_receivable: np.ndarray
    is_source: np.ndarray
    cash_order: np.ndarray
    invoice_order: np.ndarray
    group_of: np.ndarray
    account_of: np.ndarray
    n_accounts: int
    reversal_target: np.ndarray
    reversal_consumed: np.ndarray
    reversal_date: np.ndarray
    adjustment_rows: np.ndarray
    adjustment_target: np.ndarray
    adjustment_effect: np.ndarray
    adjustment_exists_from: np.ndarray
    application_source: np.ndarray
    application_target: np.ndarray
    application_amount: np.ndarray
    application_date: np.ndarray
    application_exists_from: np.ndarray
    application_by_source: tuple[np.ndarray, np.ndarray]
    application_by_target: tuple[np.ndarray, np.ndarray]
    reference_source: np.ndarray
    reference_target: np.ndarray
    reference_exists_from: np.ndarray
    reference_first: np.ndarray
    settled: dict[tuple[int, bool], SettledArrays] = field(default_factory=dict)
    derived: dict[str, object] = field(default_factory=dict)


_PREPARED: dict[int, PreparedLedger] = {}
_SETTLED_KEPT = 3


def prepared_ledger(ledger: Ledger) -> PreparedLedger:
    """The memoised ``PreparedLedger`` of ``ledger`` (built on first use, dropped with the ledger)."""
    key = id(ledger)
    hit = _PREPARED.get(key)
    if hit is not None and hit.ledger_ref() is ledger:
        return hit
    prepared = _prepare(ledger)
    _PREPARED[key] = prepared
    weakref.finalize(ledger, _PREPARED.pop, key, None)
    return prepared


def _arrow(values: pd.Series) -> pa.Array:
    """A text column as a pyarrow ``large_string`` array, blanks as ``""`` (zero-copy for Arrow columns)."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array(values.astype(str).to_numpy(dtype=object), type=pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    return pc.fill_null(array, "") if array.null_count else array


def _equal(array: pa.Array, text: str) -> np.ndarray:
    return pc.equal(array, text).to_numpy(zero_copy_only=False)


def _days(series: pd.Series) -> np.ndarray:
    """datetime64 column -> int64 days since 1970-01-01 (NaT -> the smallest int64)."""
    return series.to_numpy().astype("datetime64[D]").view(np.int64)


def _split(values: np.ndarray, arrays: list[pa.Array]) -> list[np.ndarray]:
    return np.split(values, np.cumsum([len(array) for array in arrays])[:-1])


def _encode(arrays: list[pa.Array]) -> tuple[list[np.ndarray], pa.Array]:
    """Text arrays -> int64 codes into their common categories, sorted, so that code order is text order."""
    encoded = pc.dictionary_encode(pa.concat_arrays(arrays))
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)] if len(order) else np.zeros(0, np.int64)
    return _split(codes, arrays), encoded.dictionary.take(pa.array(order, type=pa.int64()))


def _lookup_many(name_arrays: list[pa.Array], keys: pa.Array) -> list[np.ndarray]:
    """For each name of each array: its position in ``keys`` (first occurrence), -1 when absent or blank."""
    names = pa.concat_arrays(name_arrays)
    result = np.full(len(names), -1, dtype=np.int64)
    named = np.flatnonzero(~_equal(names, "")) if len(names) else np.zeros(0, dtype=np.int64)
    if len(named) and len(keys):
        names = names.take(pa.array(named, type=pa.int64()))
        if 4 * len(names) >= len(keys):
            # Many names: one dictionary over keys then names; keys come first, so their codes say where.
            codes = pc.dictionary_encode(pa.concat_arrays([keys, names])).indices.to_numpy(zero_copy_only=False)
            key_codes, name_codes = codes[: len(keys)].astype(np.int64), codes[len(keys):]
            if np.array_equal(key_codes, np.arange(len(keys))):  # unique keys: a key's code is its position
                result[named] = np.where(name_codes < len(keys), name_codes, -1)
            else:
                first = np.full(len(keys) + len(names), -1, dtype=np.int64)
                distinct, position = np.unique(key_codes, return_index=True)
                first[distinct] = position
                result[named] = first[name_codes]
        else:
            # Few names: probe every key against the small set of names.
            wanted = pc.unique(names)
            which = pc.index_in(keys, value_set=wanted).to_numpy(zero_copy_only=False)
            hit = np.flatnonzero(~np.isnan(which))
            first = np.full(len(wanted), -1, dtype=np.int64)
            distinct, position = np.unique(which[hit].astype(np.int64), return_index=True)
            first[distinct] = hit[position]
            where = pc.index_in(names, value_set=wanted).to_numpy(zero_copy_only=False).astype(np.int64)
            result[named] = first[where]
    return _split(result, name_arrays)


def _combined_key(keys: list[np.ndarray], spare_bits: int = 0) -> np.ndarray | None:
    """One int64 whose order is the lexicographic order of ``keys``, leaving ``spare_bits`` free below it, or
    None when it would not fit."""
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    span_total = 1
    for key in keys:
        low, high = int(key.min()), int(key.max())
        span = high - low + 1
        span_total *= span
        if span_total >= 2 ** (62 - spare_bits):
            return None
        combined = combined * span + (key - low)
    return combined


def _sorted(keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
    """Stable permutation sorting by integer ``keys`` (most significant first), and the sorted combined key
    when the keys fit in one int64 (else None)."""
    size = len(keys[0])
    if not size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    index_bits = max(int(size - 1).bit_length(), 1)
    combined = _combined_key(keys, index_bits)
    if combined is not None and np.count_nonzero(combined[1:] < combined[:-1]) * 64 < size:
        # Nearly in order already (documents are mostly entered by date): timsort merges the runs at once.
        order = np.argsort(combined, kind="stable")
        return order, combined[order]
    if combined is not None:
        # Sorting values is about twice as fast as argsort: carry the position in the low bits.
        packed = np.sort((combined << index_bits) | np.arange(size, dtype=np.int64))
        return packed & ((1 << index_bits) - 1), packed >> index_bits
    combined = _combined_key(keys)
    if combined is None:
        return np.lexsort(keys[::-1]), None
    order = np.argsort(combined, kind="stable")
    return order, combined[order]


def sort_order(keys: list[np.ndarray]) -> np.ndarray:
    """Stable permutation sorting by integer ``keys``, most significant first."""
    return _sorted(keys)[0]


def canonical_order(keys: list[np.ndarray], ties: list[pa.Array | np.ndarray]) -> np.ndarray:
    """Permutation sorting by integer ``keys`` (most significant first), then by ``ties`` (text or integers).

    Text comparison is the slow part, so it is only done inside runs of rows whose integer keys are equal.
    Text compares by Unicode code point, as Python does.
    """
    order, combined = _sorted(keys)
    if len(order) < 2:
        return order
    if combined is not None:
        same = combined[1:] == combined[:-1]
    else:
        same = np.ones(len(order) - 1, dtype=bool)
        for key in keys:
            ordered = key[order]
            same &= ordered[1:] == ordered[:-1]
    if not same.any():
        return order
    run = np.cumsum(np.r_[True, ~same]) - 1
    positions = np.flatnonzero(np.r_[same, False] | np.r_[False, same])
    members = order[positions]
    table = {"run": run[positions]}
    for index, tie in enumerate(ties):
        table[f"tie{index}"] = (tie.take(pa.array(members, type=pa.int64())) if isinstance(tie, pa.Array)
                                else tie[members])
    within = pc.sort_indices(pa.table(table), sort_keys=[(name, "ascending") for name in table]).to_numpy()
    order[positions] = members[within]
    return order


def _dense(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Non-negative codes -> 0, 1, 2, ... in the same order, and how many distinct codes there are."""
    if not len(codes):
        return codes.copy(), 0
    if int(codes.max()) < 4 * len(codes):
        present = np.zeros(int(codes.max()) + 1, dtype=bool)
        present[codes] = True
        rank = np.cumsum(present) - 1
        return rank[codes], int(present.sum())
    distinct, dense = np.unique(codes, return_inverse=True)
    return dense.astype(np.int64), len(distinct)


def _group_first(sorted_groups: np.ndarray) -> np.ndarray:
    """For an array sorted by group: the position of the first element of each element's group."""
    size = len(sorted_groups)
    if not size:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    return np.maximum.accumulate(np.where(starts, np.arange(size), 0))


def _grouped_exclusive_cumsum(values: np.ndarray, order: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Sum of the earlier values of the same group, groups given by ``order`` (sorted) and ``first``."""
    ordered = values[order]
    exclusive = np.cumsum(ordered) - ordered
    result = np.empty_like(values)
    result[order] = exclusive - exclusive[first]
    return result


def _prepare(ledger: Ledger) -> PreparedLedger:
    invoices, payments = ledger.invoices, ledger.payments
    applications, adjustments = ledger.applications, ledger.adjustments
    n_invoices = len(invoices)
    invoice_amount = invoices["amount"].to_numpy(dtype=np.int64)
    payment_amount = payments["amount"].to_numpy(dtype=np.int64)
    invoice_kind = np.where(invoice_amount < 0, _CREDIT_NOTE,
                            np.where(_equal(_arrow(invoices["type"]), KIND_DEBIT_NOTE), _DEBIT_NOTE, _INVOICE))
    kind = np.concatenate([invoice_kind, np.where(payment_amount < 0, _REVERSAL, _PAYMENT)]).astype(np.int8)
    original = np.concatenate([invoice_amount, -payment_amount])
    payment_date = _days(payments["payment_date"])
    date = np.concatenate([_days(invoices["invoice_date"]), payment_date])
    # Payments, reversals and credit notes are "due" on their own date.
    due = np.where(kind == _CREDIT_NOTE, date, np.concatenate([_days(invoices["due_date"]), payment_date]))
    invoice_ids, payment_ids = _arrow(invoices["invoice_id"]), _arrow(payments["payment_id"])
    doc_id = pa.concat_arrays([invoice_ids, payment_ids])
    (_, customer_inv, customer_pay), customers = _encode(
        [_arrow(ledger.customers["customer_id"]), _arrow(invoices["customer_id"]), _arrow(payments["customer_id"])])
    (currency_inv, currency_pay), currencies = _encode([_arrow(invoices["currency"]), _arrow(payments["currency"])])
    customer = np.concatenate([customer_inv, customer_pay])
    currency = np.concatenate([currency_inv, currency_pay])
    group = customer * max(len(currencies), 1) + currency
    account, n_accounts = _dense(group)

    doc_order = canonical_order([customer, currency, date], [doc_id, kind])
    doc_rank = np.empty_like(doc_order)
    doc_rank[doc_order] = np.arange(len(doc_order))
    is_target = (kind == _INVOICE) | (kind == _DEBIT_NOTE)
    is_receivable = is_target | (kind == _REVERSAL)
    is_source = (kind == _CREDIT_NOTE) | (kind == _PAYMENT)

    def same_account(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        return (customer[first] == customer[second]) & (currency[first] == currency[second])

    # Every id lookup in two passes: names of invoices, names of payments.
    reversals = np.flatnonzero(kind == _REVERSAL)
    reversal_rows = pa.array(reversals - n_invoices, type=pa.int64())
    payment_invoice_id, payment_reference = _arrow(payments["invoice_id"]), _arrow(payments["reference"])
    application_source_name = _arrow(applications["payment_id"])
    applies_to = _arrow(invoices["applies_to"])
    named_by_credit, named_by_payment, credit, target, adjustment_target = _lookup_many(
        [applies_to, payment_invoice_id, application_source_name, _arrow(applications["invoice_id"]),
         _arrow(adjustments["invoice_id"])], invoice_ids)
    reversal_named_invoice, reversal_named_reference, source = _lookup_many(
        [payment_invoice_id.take(reversal_rows), payment_reference.take(reversal_rows), application_source_name],
        payment_ids)

    # Reversals: which payment each reduces, and by how much (as-of independent: earlier reversals first).
    fixed_adjust = np.zeros(len(kind), dtype=np.int64)
    reversal_target = np.full(len(reversals), -1, dtype=np.int64)
    for named in (reversal_named_invoice, reversal_named_reference):  # the reference wins: looked at last
        candidate = np.where(named >= 0, named + n_invoices, 0)
        valid = ((named >= 0) & (kind[candidate] == _PAYMENT) & same_account(candidate, reversals)
                 & (date[candidate] <= date[reversals]))
        reversal_target = np.where(valid, candidate, reversal_target)
    matched = reversal_target >= 0
    reversals, reversal_target = reversals[matched], reversal_target[matched]
    order = sort_order([reversal_target, doc_rank[reversals]])
    reversals, reversal_target = reversals[order], reversal_target[order]
    reversed_amount = original[reversals]
    held = -original[reversal_target]
    running = np.cumsum(reversed_amount)
    running -= (running - reversed_amount)[_group_first(reversal_target)]
    consumed = np.clip(running, 0, held) - np.clip(running - reversed_amount, 0, held)
    fixed_adjust[reversals] = -consumed

    # Adjustments: against invoices and debit notes only, a reduction never below zero.
    usable = adjustment_target >= 0
    usable[usable] = is_target[adjustment_target[usable]]
    adjustment_rows = np.flatnonzero(usable)
    adjustment_target = adjustment_target[adjustment_rows]
    adjustment_day = _days(adjustments["date"])[adjustment_rows]
    order = canonical_order([adjustment_target, adjustment_day],
                            [_arrow(adjustments["adjustment_id"]).take(pa.array(adjustment_rows, type=pa.int64()))])
    adjustment_rows, adjustment_target, adjustment_day = (
        adjustment_rows[order], adjustment_target[order], adjustment_day[order])
    effect = adjustments["effect"].to_numpy(dtype=np.int64)[adjustment_rows]
    first = _group_first(adjustment_target)
    balance = np.cumsum(effect)
    balance = balance - (balance - effect)[first] + original[adjustment_target]
    shortfall = np.minimum(pd.Series(balance).groupby(first).cummin().to_numpy(), 0)
    floored = balance - shortfall
    previous = np.r_[0, floored[:-1]]
    starts = first == np.arange(len(first))
    previous[starts] = original[adjustment_target[starts]]
    adjustment_effect = floored - previous

    # Applications rows: a payment (else a credit note) settling an invoice or debit note of the same account.
    source = np.where(source >= 0, source + n_invoices, -1)
    source[source >= 0] = np.where(kind[source[source >= 0]] == _PAYMENT, source[source >= 0], -1)
    credit_ok = credit >= 0
    credit_ok[credit_ok] = kind[credit[credit_ok]] == _CREDIT_NOTE
    source = np.where((source < 0) & credit_ok, credit, source)
    amount = applications["amount"].to_numpy(dtype=np.int64)
    keep = (source >= 0) & (target >= 0) & (amount > 0)
    keep[keep] = is_target[target[keep]] & same_account(source[keep], target[keep])
    rows = np.flatnonzero(keep)
    source, target, amount = source[rows], target[rows], amount[rows]
    given = _days(applications["date"])[rows]
    later_document = np.maximum(date[source], date[target])
    effective = np.where(given == _NO_DATE, later_document, given)
    row_number = applications["row"].to_numpy(dtype=np.int64)[rows]
    order = sort_order([effective, row_number, doc_rank[source], doc_rank[target]])
    source, target, amount, effective, later_document = (
        source[order], target[order], amount[order], effective[order], later_document[order])
    by_source = np.argsort(source, kind="stable")
    by_target = np.argsort(target, kind="stable")

    # References: a credit note's applies_to, a payment's invoice_id.
    reference_target = np.concatenate([np.where(kind[:n_invoices] == _CREDIT_NOTE, named_by_credit, -1),
                                       np.where(kind[n_invoices:] == _PAYMENT, named_by_payment, -1)])
    reference_source = np.flatnonzero(reference_target >= 0)
    reference_target = reference_target[reference_source]
    keep = is_target[reference_target] & same_account(reference_source, reference_target)
    reference_source, reference_target = reference_source[keep], reference_target[keep]
    order = sort_order([reference_target, doc_rank[reference_source]])
    reference_source, reference_target = reference_source[order], reference_target[order]

    # Receivables in document order already run by date then id within each account; a stable sort by
    # (account, due date) on top gives (account, due date, date, id) with a key small enough to pack.
    receivables = doc_order[is_receivable[doc_order]]
    invoice_order = receivables[sort_order([account[receivables], due[receivables]])]
    blank = pa.array([""] * len(payments), type=pa.large_string())
    doc_text = {
        "status": pa.concat_arrays([_arrow(invoices["status"]), blank]),
        "po_number": pa.concat_arrays([_arrow(invoices["po_number"]), blank]),
        "reference": pa.concat_arrays([applies_to, payment_reference]),
        "description": pa.concat_arrays([_arrow(invoices["description"]), _arrow(payments["method"])]),
    }
    return PreparedLedger(
        ledger_ref=weakref.ref(ledger),
        n_invoices=n_invoices,
        customers=customers,
        currencies=currencies,
        doc_id=doc_id,
        doc_customer=customer,
        doc_currency=currency,
        doc_date=date,
        doc_due=due,
        doc_kind=kind,
        doc_original=original,
        doc_fixed_adjust=fixed_adjust,
        doc_text=doc_text,
        doc_order=doc_order,
        doc_rank=doc_rank,
        is_receivable=is_receivable,
        is_source=is_source,
        cash_order=doc_order[is_source[doc_order]],
        invoice_order=invoice_order,
        group_of=group,
        account_of=account,
        n_accounts=n_accounts,
        reversal_target=reversal_target,
        reversal_consumed=consumed,
        reversal_date=date[reversals],
        adjustment_rows=adjustment_rows,
        adjustment_target=adjustment_target,
        adjustment_effect=adjustment_effect,
        adjustment_exists_from=np.maximum(adjustment_day, date[adjustment_target]),
        application_source=source,
        application_target=target,
        application_amount=amount,
        application_date=effective,
        application_exists_from=np.maximum(effective, later_document),
        application_by_source=(by_source, _group_first(source[by_source])),
        application_by_target=(by_target, _group_first(target[by_target])),
        reference_source=reference_source,
        reference_target=reference_target,
        reference_exists_from=np.maximum(date[reference_source], date[reference_target]),
        reference_first=_group_first(reference_target),
    )


# ---------------------------------------------------------------------------------------------------------
# One settlement, as arrays.


@dataclass(frozen=True, eq=False)
class SettledArrays:
    """One settlement as per-document arrays (engine internals; ``settle`` turns it into frames).

    ``exists``, ``adjusted``, ``applied`` and ``open_amount`` have one entry per document of the
    ``PreparedLedger``; the ``application_*`` arrays list the application ledger; ``adjustment_live`` says which
    prepared adjustments are in force.
    """

    as_of: dt.date
    exists: np.ndarray
    adjusted: np.ndarray
    applied: np.ndarray
    open_amount: np.ndarray
    application_source: np.ndarray
    application_target: np.ndarray
    application_amount: np.ndarray
    application_date: np.ndarray
    application_step: np.ndarray
    adjustment_live: np.ndarray


def settle_arrays(prepared: PreparedLedger, as_of: dt.date, *, auto_apply: bool) -> SettledArrays:
    """Settle a prepared ledger at ``as_of`` without building frames (memoised for the last few dates)."""
    key = (day_number(as_of), bool(auto_apply))
    hit = prepared.settled.get(key)
    if hit is None:
        hit = _settle_arrays(prepared, as_of, key[0], key[1])
        while len(prepared.settled) >= _SETTLED_KEPT:
            prepared.settled.pop(next(iter(prepared.settled)))
        prepared.settled[key] = hit
    return hit


def _settle_arrays(prepared: PreparedLedger, as_of: dt.date, day: int, auto_apply: bool) -> SettledArrays:
    exists = prepared.doc_date <= day
    adjusted = np.where(exists, prepared.doc_fixed_adjust, 0)
    adjustment_live = prepared.adjustment_exists_from <= day
    np.add.at(adjusted, prepared.adjustment_target[adjustment_live], prepared.adjustment_effect[adjustment_live])
    reversal_live = prepared.reversal_date <= day
    np.add.at(adjusted, prepared.reversal_target[reversal_live], prepared.reversal_consumed[reversal_live])
    value = np.where(exists, prepared.doc_original + adjusted, 0)
    owed = np.where(prepared.is_receivable, value, 0)
    held = np.where(prepared.is_source, -value, 0)
    steps: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]] = []

    # Step 2: Applications rows, capped in (date, row) order.
    live = prepared.application_exists_from <= day
    source, target = prepared.application_source, prepared.application_target
    taken = _capped_in_order(np.where(live, prepared.application_amount, 0), held[source], owed[target],
                             prepared.application_by_source, prepared.application_by_target)
    np.subtract.at(held, source, taken)
    np.subtract.at(owed, target, taken)
    steps.append((source, target, taken, prepared.application_date, 0))

    # Step 3: own references, several sources of one invoice by date then id.
    source, target = prepared.reference_source, prepared.reference_target
    offered = np.where(prepared.reference_exists_from <= day, held[source], 0)
    capacity = owed[target]
    running = np.cumsum(offered)
    running -= (running - offered)[prepared.reference_first]
    taken = np.clip(running, 0, capacity) - np.clip(running - offered, 0, capacity)
    np.subtract.at(held, source, taken)
    np.subtract.at(owed, target, taken)
    steps.append((source, target, taken, np.maximum(prepared.doc_date[source], prepared.doc_date[target]), 1))

    # Step 4: FIFO, oldest due first, as an interval intersection over all accounts at once.
    if auto_apply:
        source, target, taken = _fifo(prepared, held, owed)
        np.subtract.at(held, source, taken)
        np.subtract.at(owed, target, taken)
        steps.append((source, target, taken, np.maximum(prepared.doc_date[source], prepared.doc_date[target]), 2))

    open_amount = np.where(prepared.is_receivable, owed, -held)
    kept = [step[2] > 0 for step in steps]
    return SettledArrays(
        as_of=as_of,
        exists=exists,
        adjusted=adjusted,
        applied=open_amount - value,
        open_amount=open_amount,
        application_source=np.concatenate([step[0][k] for step, k in zip(steps, kept, strict=True)]),
        application_target=np.concatenate([step[1][k] for step, k in zip(steps, kept, strict=True)]),
        application_amount=np.concatenate([step[2][k] for step, k in zip(steps, kept, strict=True)]),
        application_date=np.concatenate([step[3][k] for step, k in zip(steps, kept, strict=True)]),
        application_step=np.concatenate([np.full(int(k.sum()), step[4], dtype=np.int8)
                                         for step, k in zip(steps, kept, strict=True)]),
        adjustment_live=adjustment_live,
    )


def _capped_in_order(requested: np.ndarray, source_room: np.ndarray, target_room: np.ndarray,
                     by_source: tuple[np.ndarray, np.ndarray], by_target: tuple[np.ndarray, np.ndarray]
                     ) -> np.ndarray:
    """Greedy in row order: each row takes min(request, what its source still holds, what its target owes).

    Each row depends only on earlier rows, so iterating the whole-array formula reaches the sequential
    answer (after at most one pass per row, and with valid data, where nothing is capped, after one).
    """
    taken = requested
    for _ in range(len(requested) + 1):
        before_source = _grouped_exclusive_cumsum(taken, *by_source)
        before_target = _grouped_exclusive_cumsum(taken, *by_target)
        capped = np.clip(np.minimum(requested, np.minimum(source_room - before_source,
                                                          target_room - before_target)), 0, None)
        if np.array_equal(capped, taken):
            break
        taken = capped
    return taken


def _fifo(prepared: PreparedLedger, held: np.ndarray, owed: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Oldest-due-first application of what every source still holds, for all accounts at once.

    Per (customer, currency) account, cash (in date, id order) and debts (in due date, date, id order) are laid
    end to end from the account's base on one global axis (each account gets the larger of its two totals);
    each elementary segment between the merged breakpoints lies in one cash interval and one debt interval,
    and is one application.
    """
    cash = prepared.cash_order[held[prepared.cash_order] > 0]
    debts = prepared.invoice_order[owed[prepared.invoice_order] > 0]
    empty = np.zeros(0, dtype=np.int64)
    if not len(cash) or not len(debts):
        return empty, empty, empty
    cash_account, debt_account = prepared.account_of[cash], prepared.account_of[debts]
    cash_amount, debt_amount = held[cash], owed[debts]
    cash_total = np.zeros(prepared.n_accounts, dtype=np.int64)
    debt_total = np.zeros(prepared.n_accounts, dtype=np.int64)
    np.add.at(cash_total, cash_account, cash_amount)
    np.add.at(debt_total, debt_account, debt_amount)
    width = np.maximum(cash_total, debt_total)
    base = np.cumsum(width) - width

    def lay_out(account: np.ndarray, amount: np.ndarray) -> np.ndarray:
        before = np.cumsum(amount) - amount
        return base[account] + before - before[_group_first(account)]

    cash_start, debt_start = lay_out(cash_account, cash_amount), lay_out(debt_account, debt_amount)
    cash_end, debt_end = cash_start + cash_amount, debt_start + debt_amount
    # Each run of intervals starts at its account's base or where the previous one ended.
    points = np.sort(np.concatenate([cash_end, debt_end, base[width > 0]]), kind="stable")
    points = points[np.r_[True, points[1:] != points[:-1]]]
    low, high = points[:-1], points[1:]
    cash_at = np.searchsorted(cash_end, low, "right")
    debt_at = np.searchsorted(debt_end, low, "right")
    inside = (cash_at < len(cash)) & (debt_at < len(debts))
    inside[inside] = ((cash_start[cash_at[inside]] <= low[inside])
                      & (debt_start[debt_at[inside]] <= low[inside]))
    return cash[cash_at[inside]], debts[debt_at[inside]], (high - low)[inside]


# ---------------------------------------------------------------------------------------------------------
# Frames.


def text_column(array: pa.Array, rows: np.ndarray) -> pd.Series:
    """``array[rows]`` as a pandas ``str`` column."""
    return pd.Series(array.take(pa.array(rows, type=pa.int64())), dtype="str")


def _open_items_frame(prepared: PreparedLedger, core: SettledArrays, customer: int | None = None
                      ) -> pd.DataFrame:
    order = prepared.doc_order
    rows = order[core.open_amount[order] != 0]
    if customer is not None:
        rows = rows[prepared.doc_customer[rows] == customer]
    data: dict[str, object] = {
        "customer_id": text_column(prepared.customers, prepared.doc_customer[rows]),
        "document_id": text_column(prepared.doc_id, rows),
        "kind": text_column(_KIND_NAMES, prepared.doc_kind[rows]),
        "currency": text_column(prepared.currencies, prepared.doc_currency[rows]),
        "document_date": days_to_datetimes(prepared.doc_date[rows]),
        "due_date": days_to_datetimes(prepared.doc_due[rows]),
        "original": prepared.doc_original[rows],
        "adjusted": core.adjusted[rows],
        "applied": core.applied[rows],
        "open_amount": core.open_amount[rows],
    }
    for column, values in prepared.doc_text.items():
        data[column] = text_column(values, rows)
    return pd.DataFrame(data, columns=list(OPEN_ITEM_COLUMNS), copy=False)


def _applications_frame(prepared: PreparedLedger, core: SettledArrays, customer: int | None = None
                        ) -> pd.DataFrame:
    source, target = core.application_source, core.application_target
    rank = prepared.doc_rank
    # Ties keep the engine's own order (cash by date then id), which is as canonical as the ranks.
    order = sort_order([rank[target], core.application_date, core.application_step])
    if customer is not None:
        order = order[prepared.doc_customer[target[order]] == customer]
    source, target = source[order], target[order]
    data = {
        "source_id": text_column(prepared.doc_id, source),
        "source_kind": text_column(_KIND_NAMES, prepared.doc_kind[source]),
        "invoice_id": text_column(prepared.doc_id, target),
        "invoice_kind": text_column(_KIND_NAMES, prepared.doc_kind[target]),
        "customer_id": text_column(prepared.customers, prepared.doc_customer[target]),
        "currency": text_column(prepared.currencies, prepared.doc_currency[target]),
        "amount": core.application_amount[order],
        "date": days_to_datetimes(core.application_date[order]),
        "invoice_date": days_to_datetimes(prepared.doc_date[target]),
        "due_date": days_to_datetimes(prepared.doc_due[target]),
        "step": text_column(_STEP_NAMES, core.application_step[order]),
    }
    return pd.DataFrame(data, columns=list(APPLICATION_COLUMNS), copy=False)


def _adjustments_frame(ledger: Ledger, prepared: PreparedLedger, core: SettledArrays,
                       customer: int | None = None) -> pd.DataFrame:
    live = core.adjustment_live.copy()
    if customer is not None:
        live &= prepared.doc_customer[prepared.adjustment_target] == customer
    # Prepared adjustments are grouped by invoice position; list them by invoice in document order instead.
    live = np.flatnonzero(live)
    live = live[sort_order([prepared.doc_rank[prepared.adjustment_target[live]]])]
    rows = prepared.adjustment_rows[live]
    target = prepared.adjustment_target[live]
    source = ledger.adjustments.iloc[rows]
    data = {
        "adjustment_id": source["adjustment_id"].astype("str").reset_index(drop=True),
        "invoice_id": text_column(prepared.doc_id, target),
        "customer_id": text_column(prepared.customers, prepared.doc_customer[target]),
        "currency": text_column(prepared.currencies, prepared.doc_currency[target]),
        "date": days_to_datetimes(prepared.adjustment_exists_from[live]),
        "type": source["type"].astype("str").reset_index(drop=True),
        "amount": source["amount"].to_numpy(dtype=np.int64),
        "effect": prepared.adjustment_effect[live],
        "reason": source["reason"].astype("str").reset_index(drop=True),
    }
    return pd.DataFrame(data, columns=list(ADJUSTMENT_COLUMNS), copy=False)
