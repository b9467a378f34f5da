"""Settlement: which payments and credit notes settled which invoices at an as-of date, and what stays open.

``settle(ledger, as_of)`` follows DESIGN.md section 3, "Application of cash and credits". Documents dated after
the as-of date do not exist; then, each step finished for every document before the next starts:

1. adjustments (``ledger.adjustments["effect"]`` is signed: write-offs and discounts reduce, finance charges and
   recoveries increase the invoice; a write-off of a payment or credit note brings that credit towards zero);
   then **refunds**: the credit each refund names (a credit note or a payment) pays it out, from the refund's
   date, before anything else takes from that credit;
2. rows of the Applications table, in the order (date, Excel row);
3. each payment's own ``invoice_id`` and each credit note's ``applies_to``, up to that invoice's remaining open
   amount (several documents naming one invoice are taken by date, then id);
4. when auto-apply is on, the remainder of every payment and credit note to the same customer's open invoices,
   debit notes, reopened reversals and uncovered refunds in the same currency: **undisputed ones before
   disputed ones**, each group oldest due date first (then document date, then id), cash taken by date, then
   id. An increasing adjustment (finance charge, late fee, recovery) is a part of its invoice owed from the
   adjustment's own date and due that day: whatever settled the invoice before (reductions, Applications rows,
   references) settled its older parts first, and auto-apply reaches the newer part in the order of that due
   date, so a charge posted today never takes cash that had paid an older invoice. Then what a customer's
   payments still hold goes to its receivables still open **in other currencies**, in the same order (cash by
   date then id; undisputed first, oldest due first), at the FXRates cross rate of the payment's date;
5. whatever is left is unapplied cash or credit: an open item with a negative open amount.

**Cross-currency receipts.** A payment may settle an invoice or debit note of the same customer in another
currency: by an Applications row (its ``amount`` is in the invoice's currency, its ``exchange_rate`` the units
of the payment's currency per unit of the invoice's), by its own ``invoice_id``, or by auto-apply (above). The
rate is the row's ``exchange_rate``, else the FXRates cross rate in force on the payment's date (the invoice
currency's rate over the payment currency's, exactly as typed: ``arxl.fx.cross_rates``); a pair with no rate is
not settled (the loader reports rows and references that need one). The amount settled is in the invoice's minor
units; what the payment gives is that amount times the rate, rounded once, half away from zero, to the payment's
minor unit, except that a settlement taking everything the payment still holds gives exactly that (no residue
below a minor unit is left on either side). ``Settlement.applications`` carries both (``amount``,
``source_amount``). Credit notes settle only their own currency.

**Refunds** (Payments rows of type ``refund``, amounts negative: money out) are receivables of kind ``refund``
that their credit settles first (application step ``refund``): a refund fully covered leaves nothing open on
either side. Should the credit no longer hold it (a refunded payment reversed later), the rest stays open as a
debit the customer owes, which auto-apply reaches like a reopened reversal. That a refund, or a write-off of a
payment or credit note, takes no more than the credit holds unapplied on its date is the loader's rule, measured
by ``credit_uses``.

Within an invoice that has instalments (``ledger.instalments``), whatever settles it goes to its earliest-due open
instalment first, and auto-apply takes each instalment by its own due date (``arxl.instalments`` states the rule
in full); such an invoice is one open item per open instalment.

A credit note (an Invoices row with a negative amount) settles like a payment dated at its invoice date, and like
a payment it is due on that date, whatever the Invoices row says. A negative payment is a reversal: when its
``reference`` (else its ``invoice_id``) names a payment of the same customer it reduces that payment by its
amount from the reversal's date on, so every application of that payment is recomputed from what it still
holds; a reversal naming no payment is a positive open debit, kind ``reversal``, due on its date. Void invoices
never reach the engine (the loader keeps them in ``ledger.voided``).

**Disputed** documents are those ``arxl.receivables`` calls disputed at the as-of date: Invoices ``status``
``disputed``, or an Activity ``dispute`` row naming the document (for the same customer) that no ``resolved``
row dated the same day or later follows. They settle and age like any other, except that auto-apply reaches
them only once every undisputed receivable of the account is settled; explicit Applications rows and a
payment's own reference settle them as usual (a customer who names a disputed invoice means to pay it). Their
open items carry ``status`` ``disputed`` whichever of the two made them so, so every report shows the same.

Outputs (all money int64 minor units of the row's currency, signed as the receivable sees it: positive = owed by
the customer):

``Settlement.open_items`` (``OPEN_ITEM_COLUMNS``), one row per document with a non-zero open amount (per open
instalment for an invoice with instalments), ordered by customer_id, currency, document_date, document_id (then
instalment). ``original + adjusted + applied == open_amount``.
``Settlement.applications`` (``APPLICATION_COLUMNS``), the application ledger: for every receivable,
``original + adjusted - sum(amount of its applications) == open_amount``; for every payment or credit note,
``original + adjusted + sum(source_amount of its applications) == open_amount``.
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
- Adjustments count against invoices and debit notes, and (write-offs only: a positive effect) against credit
  notes and payments; one naming an unknown document, a reversal or a refund is ignored (the loader reports
  it). An id that is both an Invoices and a Payments id names the invoice. A write-off or discount never takes
  an invoice below zero, nor a write-off a credit above zero: adjustments are taken by date, then
  adjustment_id, and the part of a reduction beyond the document's amount is dropped
  (``Settlement.adjustments["effect"]`` shows the effect given).
- A reversal matches a payment only when that payment is positive, of the same customer and currency and dated
  on or before the reversal. Several reversals of one payment are taken by date, then id; the part of a
  reversal beyond what the payment still holds stays open as a debit (kind ``reversal``). For a payment,
  ``adjusted`` is the part reversed; for a reversal, ``adjusted`` is minus the part that reduced the payment.
- Reopened reversals take part in auto-apply like debit notes (never disputed), but Applications rows and
  references cannot name them.
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
from fractions import Fraction
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import (
    canonical_order,
    dense_codes,
    group_first,
    grouped_exclusive_cumsum,
    sort_order,
    text_column,
)
from .dates import NAT_DAY, day_number, days_to_datetimes
from .fx import cross_rates, exact_rate, exchange, exchange_factor
from .instalments import InstalmentPlan, axis_bounds, open_parts, overlay, plan_instalments, split_parts
from .ledger import Ledger

KIND_INVOICE = "invoice"
KIND_DEBIT_NOTE = "debit_note"
KIND_CREDIT_NOTE = "credit_note"
KIND_PAYMENT = "payment"
KIND_REVERSAL = "reversal"
KIND_REFUND = "refund"
KINDS: tuple[str, ...] = (KIND_INVOICE, KIND_DEBIT_NOTE, KIND_CREDIT_NOTE, KIND_PAYMENT, KIND_REVERSAL,
                          KIND_REFUND)
"""Document kinds, in the order of their integer codes inside the engine."""

STEP_EXPLICIT = "explicit"
STEP_REFERENCE = "reference"
STEP_AUTO = "auto"
STEP_REFUND = "refund"
STEPS: tuple[str, ...] = (STEP_EXPLICIT, STEP_REFERENCE, STEP_AUTO, STEP_REFUND)

OPEN_ITEM_COLUMNS: tuple[str, ...] = (
    "customer_id", "document_id", "kind", "currency", "document_date", "due_date",
    "original", "adjusted", "applied", "open_amount", "status", "po_number", "reference", "description",
    "instalment",
)
"""Columns of ``Settlement.open_items``: ``original`` (signed document amount: credit notes and payments
negative), ``adjusted`` (adjustments in force; for payments and reversals the part reversed), ``applied``
(signed amount settled, bringing the item towards zero), ``open_amount`` (positive = receivable, negative =
unapplied cash or credit); ``status`` is ``disputed`` for a disputed document (its Invoices status, or an open
Activity dispute at the as-of date), else ``""``; ``reference`` is a credit
note's ``applies_to`` or a payment's remittance text; ``description`` an invoice's description or a payment's
method; ``instalment`` is ``k/n`` for the k-th of an invoice's n instalments (its own due date and amounts), blank
for a whole document."""

APPLICATION_COLUMNS: tuple[str, ...] = (
    "source_id", "source_kind", "invoice_id", "invoice_kind", "customer_id", "currency", "amount", "date",
    "invoice_date", "due_date", "step", "source_currency", "source_amount",
)
"""Columns of ``Settlement.applications``: a payment or credit note (``source_*``) settling ``amount``
(positive minor units of the receivable's ``currency``) of a receivable (``invoice_*``, whose document date and
due date are repeated for payment-behaviour figures; for an invoice with instalments the due date of its last
one, while ``applied_dues`` splits each application over the instalments it settled), effective on ``date``, by
``step`` (one of ``STEPS``); ``source_amount`` is what the source gave, in minor units of ``source_currency``:
``amount`` itself unless a payment settled a receivable in another currency (a cross-currency receipt)."""

ADJUSTMENT_COLUMNS: tuple[str, ...] = (
    "adjustment_id", "invoice_id", "customer_id", "currency", "date", "type", "amount", "effect", "reason",
)
"""Columns of ``Settlement.adjustments``: ``date`` is when the adjustment takes effect (its own date, or its
invoice's date when that is later); ``effect`` is the signed effect the engine gave it (``amount`` is as
entered)."""

_INVOICE, _DEBIT_NOTE, _CREDIT_NOTE, _PAYMENT, _REVERSAL, _REFUND = range(6)
_KIND_NAMES = pa.array(KINDS, type=pa.large_string())
_STEP_NAMES = pa.array(STEPS, type=pa.large_string())


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


CREDIT_USE_COLUMNS: tuple[str, ...] = (
    "table", "row", "credit_id", "credit_kind", "customer_id", "currency", "date", "amount", "used", "available",
)
"""Columns of ``credit_uses``: a Payments row of type refund or an Adjustments row writing off a payment or a
credit note (``table``, Excel ``row``), the credit it uses (``credit_*``), its ``date`` and ``amount``, ``used``
(it and the earlier uses of the same credit, by date then table and row) and ``available`` (what the credit
holds unapplied for them at the end of that date). Money in minor units of ``currency``."""


def credit_uses(ledger: Ledger) -> pd.DataFrame:
    """Every refund and every write-off of unapplied cash or credit, with what its credit holds for it
    (``CREDIT_USE_COLUMNS``): the rule a refund or such a write-off obeys is ``used <= available``.

    ``available`` is the credit's unapplied remainder at the end of the use's date, settled by the rules of this
    module as if no refund and no such write-off existed (they only take what nothing else would), less the
    Applications rows of the credit dated later (those will take their part from it). Only the customers with
    such uses are settled, once per date they use credit on.
    """
    prepared = prepared_ledger(ledger)
    refund_rows = prepared.refund_documents - prepared.n_invoices
    credit_adjustment = prepared.is_source[prepared.adjustment_target]
    written = prepared.adjustment_rows[credit_adjustment]
    if not len(refund_rows) and not len(written):
        return pd.DataFrame({column: pd.Series(dtype="int64" if column in ("row", "amount", "used", "available")
                                               else "datetime64[s]" if column == "date" else "str")
                             for column in CREDIT_USE_COLUMNS})
    source = np.concatenate([prepared.refund_source, prepared.adjustment_target[credit_adjustment]])
    day = np.concatenate([prepared.doc_date[prepared.refund_documents],
                          prepared.adjustment_exists_from[credit_adjustment]])
    amount = np.concatenate([prepared.doc_original[prepared.refund_documents],
                             ledger.adjustments["effect"].to_numpy(dtype=np.int64)[written]])
    row = np.concatenate([ledger.payments["row"].to_numpy(dtype=np.int64)[refund_rows],
                          ledger.adjustments["row"].to_numpy(dtype=np.int64)[written]])
    table = np.concatenate([np.zeros(len(refund_rows), dtype=np.int64), np.ones(len(written), dtype=np.int64)])
    order = sort_order([source, day, table, row])
    source, day, amount, row, table = source[order], day[order], amount[order], row[order], table[order]
    used = np.cumsum(amount)
    used -= (used - amount)[group_first(source)]

    # What each credit holds at each date its uses fall on, in a ledger without them: only their customers.
    customers = text_column(prepared.customers, np.unique(prepared.doc_customer[source]))
    bare = _without_credit_uses(ledger, customers)
    bare_prepared = prepared_ledger(bare)
    position = dict(zip(zip(bare_prepared.doc_id.to_pylist(), bare_prepared.doc_kind.tolist(), strict=True),
                        range(len(bare_prepared.doc_kind)), strict=True))
    ids = prepared.doc_id.to_pylist()
    in_bare = np.array([position.get((ids[doc], int(prepared.doc_kind[doc])), -1) for doc in source.tolist()],
                       dtype=np.int64)
    available = np.zeros(len(source), dtype=np.int64)
    for when in np.unique(day).tolist():
        settled = settle_arrays(bare_prepared, dt.date(1970, 1, 1) + dt.timedelta(days=when),
                                auto_apply=ledger.settings.auto_apply)
        here = (day == when) & (in_bare >= 0)
        available[here] = -settled.open_amount[in_bare[here]]
    available -= _explicit_after(prepared, source, day)
    return pd.DataFrame({
        "table": pd.Series(np.where(table == 0, "Payments", "Adjustments"), dtype="str"),
        "row": row,
        "credit_id": text_column(prepared.doc_id, source),
        "credit_kind": pd.Series(np.where(prepared.doc_kind[source] == _CREDIT_NOTE, "credit note", "payment"),
                                 dtype="str"),
        "customer_id": text_column(prepared.customers, prepared.doc_customer[source]),
        "currency": text_column(prepared.currencies, prepared.doc_currency[source]),
        "date": days_to_datetimes(day),
        "amount": amount,
        "used": used,
        "available": available,
    }, columns=list(CREDIT_USE_COLUMNS))


def _without_credit_uses(ledger: Ledger, customers: pd.Series) -> Ledger:
    """The ledger of ``customers`` only, without refunds and without write-offs of payments and credit notes."""
    import dataclasses

    from .arrays import member

    invoices = ledger.invoices[member(ledger.invoices["customer_id"], customers).to_numpy()]
    payments = ledger.payments[member(ledger.payments["customer_id"], customers).to_numpy()]
    if "type" in payments:
        payments = payments[(payments["type"] != KIND_REFUND).to_numpy()]
    kept = pd.concat([invoices["invoice_id"], payments["payment_id"]], ignore_index=True)
    credits = pd.concat([invoices.loc[(invoices["amount"] < 0).to_numpy(), "invoice_id"],
                         payments.loc[(payments["amount"] > 0).to_numpy(), "payment_id"]], ignore_index=True)
    receivable_ids = invoices.loc[(invoices["amount"] >= 0).to_numpy(), "invoice_id"]
    adjustments = ledger.adjustments[member(ledger.adjustments["invoice_id"], kept).to_numpy()]
    on_credit = (member(adjustments["invoice_id"], credits) & ~member(adjustments["invoice_id"], receivable_ids))
    adjustments = adjustments[~on_credit.to_numpy()]
    return dataclasses.replace(
        ledger, customers=ledger.customers[member(ledger.customers["customer_id"], customers).to_numpy()],
        invoices=invoices, payments=payments, adjustments=adjustments,
        applications=ledger.applications[member(ledger.applications["invoice_id"], kept).to_numpy()],
        activity=ledger.activity[member(ledger.activity["customer_id"], customers).to_numpy()],
        instalments=ledger.instalments[member(ledger.instalments["invoice_id"], kept).to_numpy()])


def _explicit_after(prepared: PreparedLedger, source: np.ndarray, day: np.ndarray) -> np.ndarray:
    """For each (credit, day): what the Applications rows of that credit dated after the day take from it, in
    its own currency (converted where the row settles another currency)."""
    given = prepared.application_amount.copy()
    if len(prepared.application_cross):
        given[prepared.application_cross] = exchange(given[prepared.application_cross],
                                                     prepared.application_factors)
    later = np.zeros(len(source), dtype=np.int64)
    if not len(given):
        return later
    for index, (credit, when) in enumerate(zip(source.tolist(), day.tolist(), strict=True)):
        mine = (prepared.application_source == credit) & (prepared.application_date > when)
        later[index] = int(given[mine].sum())
    return later


# ---------------------------------------------------------------------------------------------------------
# The as-of-independent preparation, memoised per Ledger object.


@dataclass(frozen=True, eq=False)
class PreparedLedger:
    """Integer-coded documents and their canonical orders, built once per Ledger (engine internals).

    Documents are the invoices rows (positions ``0 .. n_invoices-1``) followed by the payments rows; every
    ``doc_*`` array has one entry per document. Customer and currency codes index the sorted ``customers`` and
    ``currencies``, so integer order is text order. ``invoice_order`` is auto-apply's order, undisputed
    (by Invoices status) first; the ``dispute_*`` arrays are the Activity dispute and resolved rows naming a
    document of their customer (document position, day, whether the row resolves). ``settled`` memoises the last
    few ``SettledArrays`` and
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
    status_disputed: np.ndarray
    dispute_target: np.ndarray
    dispute_day: np.ndarray
    dispute_resolves: np.ndarray
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
    application_cross: np.ndarray
    application_factors: list[Fraction]
    reference_cross: np.ndarray
    reference_factors: list[Fraction]
    refund_documents: np.ndarray
    refund_source: np.ndarray
    refund_exists_from: np.ndarray
    refund_first: np.ndarray
    mixed_customers: np.ndarray
    settled: dict[tuple[int, bool], SettledArrays] = field(default_factory=dict)
    derived: dict[str, object] = field(default_factory=dict)
    instalments: InstalmentPlan | None = None
    auto_units: AutoUnits | None = None


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


class _Documents(NamedTuple):
    """Every Invoices row (positions ``0 .. n_invoices-1``) then every Payments row as one integer-coded
    document, in the arrays ``_prepare`` builds everything else from."""

    n_invoices: int
    invoice_ids: pa.Array
    payment_ids: pa.Array
    doc_id: pa.Array
    kind: np.ndarray
    original: np.ndarray
    date: np.ndarray
    due: np.ndarray
    customers: pa.Array
    currencies: pa.Array
    customer: np.ndarray
    currency: np.ndarray
    group: np.ndarray
    account: np.ndarray
    n_accounts: int
    order: np.ndarray
    rank: np.ndarray
    is_target: np.ndarray
    is_receivable: np.ndarray
    is_source: np.ndarray

    def same_account(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Whether documents ``first`` and ``second`` (positions) belong to the same (customer, currency)."""
        return (self.customer[first] == self.customer[second]) & (self.currency[first] == self.currency[second])


class _Names(NamedTuple):
    """Where every id the tables name points (document positions, -1 for none), and the texts looked up."""

    applies_to: pa.Array
    payment_reference: pa.Array
    credit_applies_to: np.ndarray
    payment_invoice: np.ndarray
    application_credit: np.ndarray
    application_payment: np.ndarray
    application_invoice: np.ndarray
    adjustment_invoice: np.ndarray
    adjustment_payment: np.ndarray
    reversal_invoice: np.ndarray
    reversal_reference: np.ndarray
    refund_invoice: np.ndarray
    refund_payment: np.ndarray


class _Reversals(NamedTuple):
    """Reversals matched to the payment each reduces, by (payment, document order), with the part consumed."""

    documents: np.ndarray
    target: np.ndarray
    consumed: np.ndarray


class _Adjustments(NamedTuple):
    """Usable Adjustments rows by (invoice position, date, adjustment_id), with the effect the engine gives."""

    rows: np.ndarray
    target: np.ndarray
    day: np.ndarray
    effect: np.ndarray


class _Applications(NamedTuple):
    """Usable Applications rows in (effective date, Excel row, source, target) order; ``cross`` the positions of
    those between two currencies and ``factors`` their exchange factors (``_exchange_factors``)."""

    source: np.ndarray
    target: np.ndarray
    amount: np.ndarray
    effective: np.ndarray
    later_document: np.ndarray
    by_source: np.ndarray
    by_target: np.ndarray
    cross: np.ndarray
    factors: list[Fraction]


class _Refunds(NamedTuple):
    """Refunds with the credit each pays out (document positions), by (credit, refund's document order)."""

    documents: np.ndarray
    source: np.ndarray
    exists_from: np.ndarray


class _References(NamedTuple):
    """Usable own references (source, target) by (target, source's document order); ``cross`` and ``factors``
    as for ``_Applications``."""

    source: np.ndarray
    target: np.ndarray
    cross: np.ndarray
    factors: list[Fraction]


def _prepare(ledger: Ledger) -> PreparedLedger:
    """Build the ``PreparedLedger``: documents, then what the tables name, then each settlement step's rows."""
    docs = _documents(ledger)
    names = _names(ledger, docs)
    reversals = _reversals(docs, names)
    refunds = _refunds(docs, names)
    adjustments = _adjustments(ledger.adjustments, docs, names.adjustment_invoice, names.adjustment_payment)
    applications = _applications(ledger, docs, names)
    references = _references(ledger, docs, names)
    reference_source, reference_target = references.source, references.target
    status_disputed = np.zeros(len(docs.kind), dtype=bool)
    status_disputed[: docs.n_invoices] = _equal(_arrow(ledger.invoices["status"]), "disputed")
    dispute_target, dispute_day, dispute_resolves = _activity_disputes(ledger, docs)
    fixed_adjust = np.zeros(len(docs.kind), dtype=np.int64)
    fixed_adjust[reversals.documents] = -reversals.consumed
    date = docs.date
    plan = _instalment_plan(ledger, docs)
    return PreparedLedger(
        ledger_ref=weakref.ref(ledger),
        n_invoices=docs.n_invoices,
        customers=docs.customers,
        currencies=docs.currencies,
        doc_id=docs.doc_id,
        doc_customer=docs.customer,
        doc_currency=docs.currency,
        doc_date=date,
        doc_due=docs.due,
        doc_kind=docs.kind,
        doc_original=docs.original,
        doc_fixed_adjust=fixed_adjust,
        doc_text=_document_text(ledger, names),
        doc_order=docs.order,
        doc_rank=docs.rank,
        is_receivable=docs.is_receivable,
        is_source=docs.is_source,
        cash_order=docs.order[docs.is_source[docs.order]],
        invoice_order=_auto_apply_order(docs, status_disputed),
        status_disputed=status_disputed,
        dispute_target=dispute_target,
        dispute_day=dispute_day,
        dispute_resolves=dispute_resolves,
        group_of=docs.group,
        account_of=docs.account,
        n_accounts=docs.n_accounts,
        reversal_target=reversals.target,
        reversal_consumed=reversals.consumed,
        reversal_date=date[reversals.documents],
        adjustment_rows=adjustments.rows,
        adjustment_target=adjustments.target,
        adjustment_effect=adjustments.effect,
        adjustment_exists_from=np.maximum(adjustments.day, date[adjustments.target]),
        application_source=applications.source,
        application_target=applications.target,
        application_amount=applications.amount,
        application_date=applications.effective,
        application_exists_from=np.maximum(applications.effective, applications.later_document),
        application_by_source=(applications.by_source, group_first(applications.source[applications.by_source])),
        application_by_target=(applications.by_target, group_first(applications.target[applications.by_target])),
        application_cross=applications.cross,
        application_factors=applications.factors,
        reference_source=reference_source,
        reference_target=reference_target,
        reference_exists_from=np.maximum(date[reference_source], date[reference_target]),
        reference_first=group_first(reference_target),
        reference_cross=references.cross,
        reference_factors=references.factors,
        refund_documents=refunds.documents,
        refund_source=refunds.source,
        refund_exists_from=refunds.exists_from,
        refund_first=group_first(refunds.source),
        mixed_customers=_mixed_customers(docs),
        instalments=plan,
        auto_units=None if plan is None else _auto_apply_units(docs, plan),
    )


def _documents(ledger: Ledger) -> _Documents:
    """Invoices and payments as documents: kind, signed amount, dates, customer and currency codes, account,
    and the canonical order (customer, currency, date, id)."""
    invoices, payments = ledger.invoices, ledger.payments
    invoice_amount = invoices["amount"].to_numpy(dtype=np.int64)
    payment_amount = payments["amount"].to_numpy(dtype=np.int64)
    invoice_kind = np.where(invoice_amount < 0, _CREDIT_NOTE,
                            np.where(_equal(_arrow(invoices["type"]), KIND_DEBIT_NOTE), _DEBIT_NOTE, _INVOICE))
    refund = (_equal(_arrow(payments["type"]), KIND_REFUND) if "type" in payments
              else np.zeros(len(payments), dtype=bool))
    payment_kind = np.where(refund, _REFUND, np.where(payment_amount < 0, _REVERSAL, _PAYMENT))
    kind = np.concatenate([invoice_kind, payment_kind]).astype(np.int8)
    payment_date = _days(payments["payment_date"])
    date = np.concatenate([_days(invoices["invoice_date"]), payment_date])
    # Payments, reversals, refunds and credit notes are "due" on their own date.
    due = np.where(kind == _CREDIT_NOTE, date, np.concatenate([_days(invoices["due_date"]), payment_date]))
    invoice_ids, payment_ids = _arrow(invoices["invoice_id"]), _arrow(payments["payment_id"])
    doc_id = pa.concat_arrays([invoice_ids, payment_ids])
    (_, customer_inv, customer_pay), customers = _encode([
        _arrow(ledger.customers["customer_id"]), _arrow(invoices["customer_id"]), _arrow(payments["customer_id"])])
    (currency_inv, currency_pay), currencies = _encode([_arrow(invoices["currency"]),
                                                        _arrow(payments["currency"])])
    customer = np.concatenate([customer_inv, customer_pay])
    currency = np.concatenate([currency_inv, currency_pay])
    group = customer * max(len(currencies), 1) + currency
    account, accounts = dense_codes(group)
    order = canonical_order([customer, currency, date], [doc_id, kind])
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    is_target = (kind == _INVOICE) | (kind == _DEBIT_NOTE)
    return _Documents(
        n_invoices=len(invoices), invoice_ids=invoice_ids, payment_ids=payment_ids, doc_id=doc_id, kind=kind,
        original=np.concatenate([invoice_amount, -payment_amount]), date=date, due=due, customers=customers,
        currencies=currencies, customer=customer, currency=currency, group=group, account=account,
        n_accounts=len(accounts), order=order, rank=rank, is_target=is_target,
        is_receivable=is_target | (kind == _REVERSAL) | (kind == _REFUND),
        is_source=(kind == _CREDIT_NOTE) | (kind == _PAYMENT))


def _names(ledger: Ledger, docs: _Documents) -> _Names:
    """Every id lookup in two passes: the names of invoices, then the names of payments."""
    invoices, payments, applications = ledger.invoices, ledger.payments, ledger.applications
    reversal_rows = pa.array(np.flatnonzero(docs.kind == _REVERSAL) - docs.n_invoices, type=pa.int64())
    refund_rows = pa.array(np.flatnonzero(docs.kind == _REFUND) - docs.n_invoices, type=pa.int64())
    payment_invoice_id, payment_reference = _arrow(payments["invoice_id"]), _arrow(payments["reference"])
    refund_credit = (_arrow(payments["credit_id"]).take(refund_rows) if "credit_id" in payments
                     else pa.array([""] * len(refund_rows), type=pa.large_string()))
    application_source_name = _arrow(applications["payment_id"])
    adjusted_name = _arrow(ledger.adjustments["invoice_id"])
    applies_to = _arrow(invoices["applies_to"])
    (credit_applies_to, payment_invoice, application_credit, application_invoice, adjustment_invoice,
     refund_invoice) = _lookup_many([applies_to, payment_invoice_id, application_source_name,
                                     _arrow(applications["invoice_id"]), adjusted_name, refund_credit],
                                    docs.invoice_ids)
    reversal_invoice, reversal_reference, application_payment, adjustment_payment, refund_payment = _lookup_many(
        [payment_invoice_id.take(reversal_rows), payment_reference.take(reversal_rows), application_source_name,
         adjusted_name, refund_credit], docs.payment_ids)
    return _Names(applies_to=applies_to, payment_reference=payment_reference,
                  credit_applies_to=credit_applies_to, payment_invoice=payment_invoice,
                  application_credit=application_credit, application_payment=application_payment,
                  application_invoice=application_invoice, adjustment_invoice=adjustment_invoice,
                  adjustment_payment=adjustment_payment, reversal_invoice=reversal_invoice,
                  reversal_reference=reversal_reference, refund_invoice=refund_invoice,
                  refund_payment=refund_payment)


def _reversals(docs: _Documents, names: _Names) -> _Reversals:
    """Which payment each reversal reduces, and by how much (as-of independent: earlier reversals first)."""
    kind, date = docs.kind, docs.date
    reversals = np.flatnonzero(kind == _REVERSAL)
    target = np.full(len(reversals), -1, dtype=np.int64)
    for named in (names.reversal_invoice, names.reversal_reference):  # the reference wins: looked at last
        candidate = np.where(named >= 0, named + docs.n_invoices, 0)
        valid = ((named >= 0) & (kind[candidate] == _PAYMENT) & docs.same_account(candidate, reversals)
                 & (date[candidate] <= date[reversals]))
        target = np.where(valid, candidate, target)
    matched = target >= 0
    reversals, target = reversals[matched], target[matched]
    order = sort_order([target, docs.rank[reversals]])
    reversals, target = reversals[order], target[order]
    reversed_amount = docs.original[reversals]
    held = -docs.original[target]
    running = np.cumsum(reversed_amount)
    running -= (running - reversed_amount)[group_first(target)]
    consumed = np.clip(running, 0, held) - np.clip(running - reversed_amount, 0, held)
    return _Reversals(documents=reversals, target=target, consumed=consumed)


def _adjustments(adjustments: pd.DataFrame, docs: _Documents, invoice: np.ndarray, payment: np.ndarray
                 ) -> _Adjustments:
    """Adjustments of invoices and debit notes, and write-offs of credits (a credit note, else a payment, named
    by ``invoice`` / ``payment``: the positions each row names), each floored so that no document changes sign:
    no invoice below zero, no credit above zero."""
    target = np.where(invoice >= 0, invoice, -1)
    named = target >= 0
    named[named] = docs.is_target[target[named]] | (docs.kind[target[named]] == _CREDIT_NOTE)
    target = np.where(named, target, -1)
    paid = np.where((target < 0) & (payment >= 0), payment + docs.n_invoices, -1)
    named = paid >= 0
    named[named] = docs.kind[paid[named]] == _PAYMENT
    target = np.where(named, paid, target)
    effect = adjustments["effect"].to_numpy(dtype=np.int64)
    usable = target >= 0
    # A credit only takes what brings it towards zero (the loader reports anything else).
    usable[usable] = ~docs.is_source[target[usable]] | (effect[usable] > 0)
    rows = np.flatnonzero(usable)
    target = target[rows]
    day = _days(adjustments["date"])[rows]
    order = canonical_order([target, day],
                            [_arrow(adjustments["adjustment_id"]).take(pa.array(rows, type=pa.int64()))])
    rows, target, day = rows[order], target[order], day[order]
    # Worked on the size of each document (a credit's sign flipped), then signed back.
    sign = np.where(docs.is_source[target], -1, 1)
    effect = effect[rows] * sign
    start = docs.original[target] * sign
    first = group_first(target)
    balance = np.cumsum(effect)
    balance = balance - (balance - effect)[first] + start
    shortfall = np.minimum(pd.Series(balance).groupby(first).cummin().to_numpy(), 0)
    floored = balance - shortfall
    previous = np.r_[0, floored[:-1]]
    starts = first == np.arange(len(first))
    previous[starts] = start[starts]
    return _Adjustments(rows=rows, target=target, day=day, effect=(floored - previous) * sign)


def _refunds(docs: _Documents, names: _Names) -> _Refunds:
    """Every refund with the credit it pays out: the credit note its ``credit_id`` names, else the payment; one
    of another customer or currency, or dated after the refund, pays nothing out (the loader reports it)."""
    refunds = np.flatnonzero(docs.kind == _REFUND)
    source = names.refund_invoice.copy()
    named = source >= 0
    named[named] = docs.kind[source[named]] == _CREDIT_NOTE
    source[~named] = -1
    payment = np.where((source < 0) & (names.refund_payment >= 0), names.refund_payment + docs.n_invoices, -1)
    named = payment >= 0
    named[named] = docs.kind[payment[named]] == _PAYMENT
    source = np.where(named, payment, source)
    keep = source >= 0
    keep[keep] = docs.same_account(source[keep], refunds[keep]) & (docs.date[source[keep]]
                                                                   <= docs.date[refunds[keep]])
    refunds, source = refunds[keep], source[keep]
    order = sort_order([source, docs.rank[refunds]])
    refunds, source = refunds[order], source[order]
    return _Refunds(documents=refunds, source=source, exists_from=docs.date[refunds])


def _exchange_factors(ledger: Ledger, docs: _Documents, source: np.ndarray, target: np.ndarray,
                      typed: np.ndarray | None) -> tuple[np.ndarray, list[Fraction], np.ndarray]:
    """For pairs of a payment (``source``) and a receivable (``target``) of one customer: the pairs in two
    currencies (positions), the factor of each turning the receivable's minor units into the payment's (the
    ``typed`` exchange rate where one is given, else the FXRates cross rate in force on the payment's date),
    and whether each pair can be settled (same currency, or a rate known)."""
    cross = np.flatnonzero(docs.currency[source] != docs.currency[target])
    usable = np.ones(len(source), dtype=bool)
    if not len(cross):
        return cross, [], usable
    codes = docs.currencies.to_pylist()
    owed_in = [codes[code] for code in docs.currency[target[cross]].tolist()]
    paid_in = [codes[code] for code in docs.currency[source[cross]].tolist()]
    in_force = cross_rates(ledger, owed_in, paid_in, docs.date[source[cross]])
    given = np.full(len(cross), np.nan) if typed is None else typed[cross]
    kept: list[int] = []
    factors: list[Fraction] = []
    for index, (position, quoted) in enumerate(zip(cross.tolist(), in_force, strict=True)):
        rate = exact_rate(float(given[index])) if np.isfinite(given[index]) and given[index] > 0 else quoted
        if rate is None or docs.kind[source[position]] != _PAYMENT:
            usable[position] = False
            continue
        kept.append(position)
        factors.append(exchange_factor(rate, owed_in[index], paid_in[index]))
    return np.array(kept, dtype=np.int64), factors, usable


def _applications(ledger: Ledger, docs: _Documents, names: _Names) -> _Applications:
    """Applications rows: a payment (else a credit note) settling an invoice or debit note of the same customer,
    in the same currency, or a payment in another one at an exchange rate (``_exchange_factors``)."""
    applications = ledger.applications
    kind = docs.kind
    source = np.where(names.application_payment >= 0, names.application_payment + docs.n_invoices, -1)
    source[source >= 0] = np.where(kind[source[source >= 0]] == _PAYMENT, source[source >= 0], -1)
    credit = names.application_credit
    credit_ok = credit >= 0
    credit_ok[credit_ok] = kind[credit[credit_ok]] == _CREDIT_NOTE
    source = np.where((source < 0) & credit_ok, credit, source)
    target = names.application_invoice
    amount = applications["amount"].to_numpy(dtype=np.int64)
    keep = (source >= 0) & (target >= 0) & (amount > 0)
    keep[keep] = docs.is_target[target[keep]] & (docs.customer[source[keep]] == docs.customer[target[keep]])
    rows = np.flatnonzero(keep)
    typed = (applications["exchange_rate"].to_numpy(dtype=np.float64)[rows] if "exchange_rate" in applications
             else None)
    _, _, usable = _exchange_factors(ledger, docs, source[rows], target[rows], typed)
    rows = rows[usable]
    source, target, amount = source[rows], target[rows], amount[rows]
    given = _days(applications["date"])[rows]
    later_document = np.maximum(docs.date[source], docs.date[target])
    effective = np.where(given == NAT_DAY, later_document, given)
    row_number = applications["row"].to_numpy(dtype=np.int64)[rows]
    order = sort_order([effective, row_number, docs.rank[source], docs.rank[target]])
    source, target, amount, effective, later_document = (
        source[order], target[order], amount[order], effective[order], later_document[order])
    typed = None if typed is None else typed[usable][order]
    cross, factors, _ = _exchange_factors(ledger, docs, source, target, typed)
    return _Applications(source=source, target=target, amount=amount, effective=effective,
                         later_document=later_document, by_source=np.argsort(source, kind="stable"),
                         by_target=np.argsort(target, kind="stable"), cross=cross, factors=factors)


def _references(ledger: Ledger, docs: _Documents, names: _Names) -> _References:
    """Every usable own reference: a credit note's applies_to (same currency), a payment's invoice_id (same
    currency, or another one at the FXRates cross rate of the payment's date); several sources of one invoice by
    document order."""
    n_invoices, kind = docs.n_invoices, docs.kind
    target = np.concatenate([np.where(kind[:n_invoices] == _CREDIT_NOTE, names.credit_applies_to, -1),
                             np.where(kind[n_invoices:] == _PAYMENT, names.payment_invoice, -1)])
    source = np.flatnonzero(target >= 0)
    target = target[source]
    keep = docs.is_target[target] & (docs.customer[source] == docs.customer[target])
    source, target = source[keep], target[keep]
    _, _, usable = _exchange_factors(ledger, docs, source, target, None)
    source, target = source[usable], target[usable]
    order = sort_order([target, docs.rank[source]])
    source, target = source[order], target[order]
    cross, factors, _ = _exchange_factors(ledger, docs, source, target, None)
    return _References(source=source, target=target, cross=cross, factors=factors)


def _mixed_customers(docs: _Documents) -> np.ndarray:
    """Per customer code: whether its documents are in more than one currency (only then can a payment settle
    a receivable of another currency by auto-apply)."""
    mixed = np.zeros(len(docs.customers), dtype=bool)
    if len(docs.customer):
        pairs = np.unique(np.stack([docs.customer, docs.currency]), axis=1)
        customers, count = np.unique(pairs[0], return_counts=True)
        mixed[customers[count > 1]] = True
    return mixed


def _auto_apply_order(docs: _Documents, disputed: np.ndarray) -> np.ndarray:
    """Receivables in (account, disputed, due date, document date, id) order: the order auto-apply settles them
    in, with ``disputed`` the Invoices status (open Activity disputes are added per as-of date)."""
    # Receivables in document order already run by date then id within each account; a stable sort by
    # (account, disputed, due date) on top gives (account, disputed, due date, date, id) with a key small
    # enough to pack.
    receivables = docs.order[docs.is_receivable[docs.order]]
    return receivables[sort_order([docs.account[receivables], disputed[receivables].astype(np.int64),
                                   docs.due[receivables]])]


def _activity_disputes(ledger: Ledger, docs: _Documents) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(document position, day, resolves) of every Activity dispute or resolved row naming an invoice of its
    own customer."""
    activity = ledger.activity
    empty = np.zeros(0, dtype=np.int64)
    if activity.empty:
        return empty, empty, np.zeros(0, dtype=bool)
    action = _arrow(activity["action"])
    rows = np.flatnonzero(_equal(action, "dispute") | _equal(action, "resolved"))
    if not len(rows):
        return empty, empty, np.zeros(0, dtype=bool)
    taken = pa.array(rows, type=pa.int64())
    (target,) = _lookup_many([_arrow(activity["invoice_id"]).take(taken)], docs.invoice_ids)
    customer = pc.index_in(_arrow(activity["customer_id"]).take(taken), value_set=docs.customers)
    customer = customer.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    keep = target >= 0
    keep[keep] = docs.customer[target[keep]] == customer[keep]
    return (target[keep], _days(activity["date"])[rows][keep],
            _equal(action.take(taken), "resolved")[keep])


def _document_text(ledger: Ledger, names: _Names) -> dict[str, pa.Array]:
    """The text columns open items repeat, one entry per document (blank where a kind has none)."""
    invoices, payments = ledger.invoices, ledger.payments
    blank = pa.array([""] * len(payments), type=pa.large_string())
    return {
        "status": pa.concat_arrays([_arrow(invoices["status"]), blank]),
        "po_number": pa.concat_arrays([_arrow(invoices["po_number"]), blank]),
        "reference": pa.concat_arrays([names.applies_to, names.payment_reference]),
        "description": pa.concat_arrays([_arrow(invoices["description"]), _arrow(payments["method"])]),
    }


# ---------------------------------------------------------------------------------------------------------
# One settlement, as arrays.


@dataclass(frozen=True, eq=False)
class SettledArrays:
    """One settlement as per-document arrays (engine internals; ``settle`` turns it into frames).

    ``exists``, ``adjusted``, ``applied`` and ``open_amount`` have one entry per document of the
    ``PreparedLedger``; the ``application_*`` arrays list the application ledger; ``adjustment_live`` says which
    prepared adjustments are in force; ``disputed`` which documents are disputed at the as-of date.
    """

    as_of: dt.date
    exists: np.ndarray
    adjusted: np.ndarray
    applied: np.ndarray
    open_amount: np.ndarray
    application_source: np.ndarray
    application_target: np.ndarray
    application_amount: np.ndarray
    application_source_amount: np.ndarray
    application_date: np.ndarray
    application_step: np.ndarray
    adjustment_live: np.ndarray
    disputed: np.ndarray


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
    # (source, receivable, amount settled, amount the source gave in its own currency, date, step code)
    steps: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]] = []

    # Refunds: the credit a refund names pays it out first, from the refund's date.
    source, target = prepared.refund_source, prepared.refund_documents
    offered = np.where(prepared.refund_exists_from <= day, owed[target], 0)
    taken = _grouped_fill(offered, held[source], prepared.refund_first)
    np.subtract.at(held, source, taken)
    np.subtract.at(owed, target, taken)
    steps.append((source, target, taken, taken, prepared.refund_exists_from, STEPS.index(STEP_REFUND)))

    # Step 2: Applications rows, capped in (date, row) order.
    live = prepared.application_exists_from <= day
    source, target = prepared.application_source, prepared.application_target
    taken, given = _capped_in_order(np.where(live, prepared.application_amount, 0), held[source], owed[target],
                                    prepared.application_by_source, prepared.application_by_target,
                                    prepared.application_cross, prepared.application_factors)
    np.subtract.at(held, source, given)
    np.subtract.at(owed, target, taken)
    steps.append((source, target, taken, given, prepared.application_date, 0))

    # Step 3: own references, several sources of one invoice by date then id.
    source, target = prepared.reference_source, prepared.reference_target
    held_now = np.where(prepared.reference_exists_from <= day, held[source], 0)
    offered = _in_receivable_currency(held_now, prepared.reference_cross, prepared.reference_factors)
    taken = _grouped_fill(offered, owed[target], prepared.reference_first)
    given = _given(taken, offered, held_now, prepared.reference_cross, prepared.reference_factors)
    np.subtract.at(held, source, given)
    np.subtract.at(owed, target, taken)
    steps.append((source, target, taken, given, np.maximum(prepared.doc_date[source], prepared.doc_date[target]),
                  1))

    # Step 4: FIFO, undisputed first, oldest due first, as an interval intersection over all accounts at once;
    # then what a customer's cash still holds to its receivables in other currencies.
    disputed, order = _disputed_at(prepared, day)
    if auto_apply:
        if prepared.instalments is None:
            source, target, taken, since = _auto_apply(prepared, held, owed, disputed, order, adjustment_live)
        else:
            source, target, taken = _fifo_instalments(prepared, held, owed, disputed)
            since = prepared.doc_date[target]
        np.subtract.at(held, source, taken)
        np.subtract.at(owed, target, taken)
        steps.append((source, target, taken, taken, np.maximum(prepared.doc_date[source], since), 2))
        if prepared.mixed_customers.any():
            source, target, taken, given = _auto_apply_across_currencies(prepared, held, owed, disputed)
            np.subtract.at(held, source, given)
            np.subtract.at(owed, target, taken)
            steps.append((source, target, taken, given,
                          np.maximum(prepared.doc_date[source], prepared.doc_date[target]), 2))

    open_amount = np.where(prepared.is_receivable, owed, -held)
    kept = [step[2] > 0 for step in steps]

    def joined(part: int) -> np.ndarray:
        return np.concatenate([step[part][k] for step, k in zip(steps, kept, strict=True)])

    return SettledArrays(
        as_of=as_of,
        exists=exists,
        adjusted=adjusted,
        applied=open_amount - value,
        open_amount=open_amount,
        application_source=joined(0),
        application_target=joined(1),
        application_amount=joined(2),
        application_source_amount=joined(3),
        application_date=joined(4),
        application_step=np.concatenate([np.full(int(k.sum()), step[5], dtype=np.int8)
                                         for step, k in zip(steps, kept, strict=True)]),
        adjustment_live=adjustment_live,
        disputed=disputed,
    )


def _grouped_fill(offered: np.ndarray, capacity: np.ndarray, first: np.ndarray) -> np.ndarray:
    """What each of a run of offers takes from a room shared by its group (``first``: each member's group start),
    in order: the running total of the offers cut at the room."""
    running = np.cumsum(offered)
    running -= (running - offered)[first]
    return np.clip(running, 0, capacity) - np.clip(running - offered, 0, capacity)


def _in_receivable_currency(held: np.ndarray, cross: np.ndarray, factors: list[Fraction]) -> np.ndarray:
    """What payments holding ``held`` (their own minor units) can settle, in the minor units of the receivable
    each is paired with: the same where the currency is, converted at each pair's factor where not."""
    if not len(cross):
        return held
    result = held.copy()
    result[cross] = exchange(held[cross], [1 / factor for factor in factors])
    return result


def _given(taken: np.ndarray, capacity: np.ndarray, held: np.ndarray, cross: np.ndarray,
           factors: list[Fraction]) -> np.ndarray:
    """What the sources give for settling ``taken`` (the receivables' minor units), in their own: the same
    amount in one currency; across two, the settled amount converted, or everything the source held when it
    settles all it can (``capacity``, in the receivable's units), so no residue below a minor unit is left."""
    if not len(cross):
        return taken
    given = taken.copy()
    converted = exchange(taken[cross], factors)
    whole = (taken[cross] == capacity[cross]) & (taken[cross] > 0)
    given[cross] = np.where(whole, held[cross], np.minimum(converted, held[cross]))
    return given


def _auto_apply_across_currencies(prepared: PreparedLedger, held: np.ndarray, owed: np.ndarray,
                                  disputed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The end of step 4: a customer's payments that still hold cash after auto-apply in their own currency
    settle its receivables still open in other currencies, cash by date then id, receivables undisputed first,
    oldest due first (then date, id), at the FXRates cross rate of the payment's date (a pair without one is
    skipped). Returns (source, receivable, amount settled, amount given by the source).

    Sequential, but only over the few customers that have both: after the first part of step 4 a customer's
    cash in one currency and its open receivables in that currency never coexist.
    """
    empty = np.zeros(0, dtype=np.int64)
    customer = prepared.doc_customer
    cash = np.flatnonzero((held > 0) & (prepared.doc_kind == _PAYMENT))
    debts = np.flatnonzero(owed > 0)
    both = np.intersect1d(customer[cash], customer[debts])
    both = both[prepared.mixed_customers[both]]
    if not len(both):
        return empty, empty, empty, empty
    cash = cash[np.isin(customer[cash], both)]
    cash = cash[sort_order([customer[cash], prepared.doc_rank[cash]])]
    debts = debts[np.isin(customer[debts], both)]
    debts = debts[sort_order([customer[debts], disputed[debts].astype(np.int64), prepared.doc_due[debts],
                              prepared.doc_rank[debts]])]
    factors = _factor_cache(prepared)
    records: list[tuple[int, int, int, int]] = []
    owed_left = {int(debt): int(owed[debt]) for debt in debts}
    debts_of: dict[int, list[int]] = {}
    for debt in debts.tolist():
        debts_of.setdefault(int(customer[debt]), []).append(debt)
    for payment in cash.tolist():
        left = int(held[payment])
        for debt in debts_of[int(customer[payment])]:
            if owed_left[debt] == 0 or prepared.doc_currency[debt] == prepared.doc_currency[payment]:
                continue
            factor = factors(payment, debt)
            if factor is None:
                continue
            capacity = int(exchange([left], [1 / factor])[0])
            if capacity == 0:
                continue
            taken = min(owed_left[debt], capacity)
            given = left if taken == capacity else min(left, int(exchange([taken], [factor])[0]))
            records.append((payment, debt, taken, given))
            owed_left[debt] -= taken
            left -= given
            if left == 0:
                break
    if not records:
        return empty, empty, empty, empty
    source, target, taken, given = (np.array(column, dtype=np.int64) for column in zip(*records, strict=True))
    return source, target, taken, given


def _factor_cache(prepared: PreparedLedger):  # type: ignore[no-untyped-def]
    """``factor(payment, receivable)``: the exchange factor at the FXRates cross rate of the payment's date
    (``_exchange_factors``), None without one; memoised on the prepared ledger."""
    cache = prepared.derived.setdefault("cross_factors", {})
    assert isinstance(cache, dict)
    codes = prepared.currencies.to_pylist()

    def factor(payment: int, receivable: int) -> Fraction | None:
        key = (payment, int(prepared.doc_currency[receivable]))
        if key not in cache:
            ledger = prepared.ledger_ref()
            owed_in, paid_in = codes[key[1]], codes[int(prepared.doc_currency[payment])]
            (rate,) = cross_rates(ledger, [owed_in], [paid_in], prepared.doc_date[[payment]])
            cache[key] = None if rate is None else exchange_factor(rate, owed_in, paid_in)
        return cache[key]

    return factor


def _disputed_at(prepared: PreparedLedger, day: int) -> tuple[np.ndarray, np.ndarray]:
    """Which documents are disputed at ``day`` (Invoices status, or an open Activity dispute), and auto-apply's
    order of the receivables with those disputes last in each account."""
    live = prepared.dispute_day <= day
    if not live.any():
        return prepared.status_disputed, prepared.invoice_order
    target, resolves = prepared.dispute_target[live], prepared.dispute_resolves[live]
    when = prepared.dispute_day[live]
    last_dispute = np.full(len(prepared.doc_kind), NAT_DAY, dtype=np.int64)
    last_resolved = np.full(len(prepared.doc_kind), NAT_DAY, dtype=np.int64)
    np.maximum.at(last_dispute, target[~resolves], when[~resolves])
    np.maximum.at(last_resolved, target[resolves], when[resolves])
    opened = (last_dispute != NAT_DAY) & (last_dispute > last_resolved)
    if not (opened & ~prepared.status_disputed).any():
        return prepared.status_disputed, prepared.invoice_order
    disputed = prepared.status_disputed | opened
    order = prepared.invoice_order
    return disputed, order[sort_order([prepared.account_of[order], disputed[order].astype(np.int64)])]


def _capped_in_order(requested: np.ndarray, source_room: np.ndarray, target_room: np.ndarray,
                     by_source: tuple[np.ndarray, np.ndarray], by_target: tuple[np.ndarray, np.ndarray],
                     cross: np.ndarray, factors: list[Fraction]) -> tuple[np.ndarray, np.ndarray]:
    """Greedy in row order: each row takes min(request, what its source still holds, what its target owes).
    Returns (taken, given): the amount settled (target's minor units) and what the source gave (its own), which
    differ only on the rows between two currencies (``cross``, converted at ``factors`` as ``_given`` says).

    Each row depends only on earlier rows, so iterating the whole-array formula reaches the sequential
    answer (after at most one pass per row, and with valid data, where nothing is capped, after one).
    """
    taken = requested
    given = _given(taken, np.full(len(taken), -1, dtype=np.int64), source_room, cross, factors)
    for _ in range(len(requested) + 1):
        source_left = np.maximum(source_room - grouped_exclusive_cumsum(given, *by_source), 0)
        before_target = grouped_exclusive_cumsum(taken, *by_target)
        capacity = _in_receivable_currency(source_left, cross, factors)
        capped = np.clip(np.minimum(requested, np.minimum(capacity, target_room - before_target)), 0, None)
        new_given = _given(capped, capacity, source_left, cross, factors)
        if np.array_equal(capped, taken) and np.array_equal(new_given, given):
            break
        taken, given = capped, new_given
    return taken, given


def _auto_apply(prepared: PreparedLedger, held: np.ndarray, owed: np.ndarray, disputed: np.ndarray,
                order: np.ndarray, adjustment_live: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step 4: (source, receivable, amount, the day the part of the receivable paid came to be owed).

    A receivable is owed in parts: its own amount from its date, due on its due date, and each increasing
    adjustment (finance charge, late fee, recovery) from the adjustment's date, due that day. Whatever already
    settled the receivable (reductions, explicit applications, its own references) settled its oldest parts
    first; auto-apply reaches the parts in (account, disputed, due date, document date, id) order. So a charge
    posted today is paid after every receivable due before today, never with cash that paid an older invoice.
    """
    increase = adjustment_live & (prepared.adjustment_effect > 0)
    split = np.zeros(len(owed), dtype=bool)
    split[prepared.adjustment_target[increase]] = True
    split &= owed > 0
    if not split.any():
        debts = order[owed[order] > 0]
        cash, position, taken = _fifo(prepared, held, debts, owed[debts])
        return cash, debts[position], taken, prepared.doc_date[debts[position]]
    # The parts of the receivables that have increases: own amount first, then increases by date.
    split_docs = np.flatnonzero(split)
    rows = np.flatnonzero(increase & split[prepared.adjustment_target])
    part_doc = np.concatenate([split_docs, prepared.adjustment_target[rows]])
    part_amount = np.concatenate([prepared.doc_original[split_docs], prepared.adjustment_effect[rows]])
    part_day = np.concatenate([prepared.doc_date[split_docs], prepared.adjustment_exists_from[rows]])
    part_seq = np.concatenate([np.zeros(len(split_docs), dtype=np.int64), np.arange(1, len(rows) + 1)])
    stack = sort_order([part_doc, part_day, part_seq])
    part_doc, part_amount, part_day = part_doc[stack], part_amount[stack], part_day[stack]
    part_due = np.where(part_seq[stack] == 0, prepared.doc_due[part_doc], part_day)
    ends = np.cumsum(part_amount)
    ends -= (ends - part_amount)[group_first(part_doc)]
    total = np.zeros(len(owed), dtype=np.int64)
    np.add.at(total, part_doc, part_amount)
    settled_before = total[part_doc] - owed[part_doc]
    part_left = np.clip(ends - settled_before, 0, part_amount)
    keep = part_left > 0
    part_doc, part_left, part_day, part_due = part_doc[keep], part_left[keep], part_day[keep], part_due[keep]

    # Accounts without parts keep the prepared order; the others are sorted afresh, parts and all.
    account = prepared.account_of
    touched = np.zeros(prepared.n_accounts, dtype=bool)
    touched[account[split_docs]] = True
    plain = order[(owed[order] > 0) & ~split[order]]
    mixed = touched[account[plain]]
    whole_doc = plain[mixed]
    doc = np.concatenate([whole_doc, part_doc])
    amount = np.concatenate([owed[whole_doc], part_left])
    since = np.concatenate([prepared.doc_date[whole_doc], part_day])
    due = np.concatenate([prepared.doc_due[whole_doc], part_due])
    sequence = np.concatenate([np.zeros(len(whole_doc), dtype=np.int64), np.arange(1, len(part_doc) + 1)])
    resorted = sort_order([account[doc], disputed[doc].astype(np.int64), due, prepared.doc_rank[doc], sequence])
    untouched = plain[~mixed]
    doc = np.concatenate([untouched, doc[resorted]])
    amount = np.concatenate([owed[untouched], amount[resorted]])
    since = np.concatenate([prepared.doc_date[untouched], since[resorted]])
    by_account = sort_order([account[doc]])
    doc, amount, since = doc[by_account], amount[by_account], since[by_account]
    cash, position, taken = _fifo(prepared, held, doc, amount)
    return cash, doc[position], taken, since[position]


def _fifo(prepared: PreparedLedger, held: np.ndarray, debts: np.ndarray, debt_amount: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Oldest-due-first application of what every source still holds, for all accounts at once: (source,
    position in ``debts``, amount).

    ``debts`` (receivables, one entry per part owed, ``debt_amount`` positive) are grouped by account in
    ascending account order, each account's in the order auto-apply takes them. Per (customer, currency)
    account, cash (in date, id order) and debts are laid end to end from the account's base on one global axis
    (each account gets the larger of its two totals); each elementary segment between the merged breakpoints
    lies in one cash interval and one debt interval, and is one application.
    """
    cash = prepared.cash_order[held[prepared.cash_order] > 0]
    cash_at, debt_at, taken = _fifo_segments(prepared, cash, held[cash], debts, debt_amount)
    return cash[cash_at], debt_at, taken


def _fifo_segments(prepared: PreparedLedger, cash: np.ndarray, cash_amount: np.ndarray, debts: np.ndarray,
                   debt_amount: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The interval intersection of ``_fifo``: (position in ``cash``, position in ``debts``, amount) of every
    application, for cash and debts (documents, in the order they are taken) with what each holds or owes."""
    empty = np.zeros(0, dtype=np.int64)
    if not len(cash) or not len(debts):
        return empty, empty, empty
    cash_account, debt_account = prepared.account_of[cash], prepared.account_of[debts]
    cash_total = np.zeros(prepared.n_accounts, dtype=np.int64)
    debt_total = np.zeros(prepared.n_accounts, dtype=np.int64)
    np.add.at(cash_total, cash_account, cash_amount)
    np.add.at(debt_total, debt_account, debt_amount)
    width = np.maximum(cash_total, debt_total)
    base = np.cumsum(width) - width

    def lay_out(account: np.ndarray, amount: np.ndarray) -> np.ndarray:
        before = np.cumsum(amount) - amount
        return base[account] + before - before[group_first(account)]

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
    return cash_at[inside], debt_at[inside], (high - low)[inside]


# ---------------------------------------------------------------------------------------------------------
# Frames.


def _open_items_frame(prepared: PreparedLedger, core: SettledArrays, customer: int | None = None
                      ) -> pd.DataFrame:
    order = prepared.doc_order
    rows = order[core.open_amount[order] != 0]
    if customer is not None:
        rows = rows[prepared.doc_customer[rows] == customer]
    if prepared.instalments is not None and prepared.instalments.has[rows].any():
        return _open_instalments_frame(prepared, core, rows)
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
    _mark_disputed(prepared, core, rows, data)
    data["instalment"] = pd.Series(np.full(len(rows), "", dtype=object), dtype="str")
    return pd.DataFrame(data, columns=list(OPEN_ITEM_COLUMNS), copy=False)


def _mark_disputed(prepared: PreparedLedger, core: SettledArrays, rows: np.ndarray,
                   data: dict[str, object]) -> None:
    """Show ``status`` "disputed" on the documents an open Activity dispute holds (Invoices says otherwise)."""
    by_activity = core.disputed[rows] & ~prepared.status_disputed[rows]
    if by_activity.any():
        data["status"] = data["status"].mask(by_activity, "disputed")  # type: ignore[union-attr]


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
        "source_currency": text_column(prepared.currencies, prepared.doc_currency[source]),
        "source_amount": core.application_source_amount[order],
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


# ---------------------------------------------------------------------------------------------------------
# Instalments: the plan, auto-apply over instalments, and open items per instalment (rule in arxl.instalments).


class AutoUnits(NamedTuple):
    """What auto-apply takes one by one when some invoices have instalments: every receivable without
    instalments (``part`` -1) and every instalment (``part``: its index in the plan), with ``order`` the
    auto-apply order over them (account, due date, document date, id, instalment number)."""

    doc: np.ndarray
    part: np.ndarray
    order: np.ndarray


def _instalment_plan(ledger: Ledger, docs: _Documents) -> InstalmentPlan | None:
    """The Instalments rows of invoices and debit notes in force, as a plan over document positions."""
    table = ledger.instalments
    if table.empty:
        return None
    (doc,) = _lookup_many([_arrow(table["invoice_id"])], docs.invoice_ids)
    usable = doc >= 0
    usable[usable] = docs.is_target[doc[usable]]
    return plan_instalments(np.where(usable, doc, -1), _days(table["due_date"]),
                            table["amount"].to_numpy(dtype=np.int64), table["row"].to_numpy(dtype=np.int64),
                            docs.original)


def _auto_apply_units(docs: _Documents, plan: InstalmentPlan) -> AutoUnits:
    whole = np.flatnonzero(docs.is_receivable & ~plan.has)
    doc = np.concatenate([whole, plan.doc])
    part = np.concatenate([np.full(len(whole), -1, dtype=np.int64), np.arange(len(plan), dtype=np.int64)])
    due = np.concatenate([docs.due[whole], plan.due])
    number = np.concatenate([np.zeros(len(whole), dtype=np.int64), plan.number])
    order = sort_order([docs.account[doc], due, docs.rank[doc], number])
    return AutoUnits(doc=doc, part=part, order=order)


def _fifo_instalments(prepared: PreparedLedger, held: np.ndarray, owed: np.ndarray, disputed: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_fifo`` over the auto-apply units: instalments by their own due dates, disputed documents last in
    their account. Consecutive pieces of one source on one document (several instalments of it in a row) are
    one application."""
    units, plan = prepared.auto_units, prepared.instalments
    assert units is not None and plan is not None
    unit_owed = owed[units.doc]
    parts = units.part >= 0
    unit_owed[parts] = open_parts(plan, owed)[units.part[parts]]
    order = units.order
    if disputed[units.doc].any():
        order = order[sort_order([prepared.account_of[units.doc[order]],
                                  disputed[units.doc[order]].astype(np.int64)])]
    debts = order[unit_owed[order] > 0]
    cash = prepared.cash_order[held[prepared.cash_order] > 0]
    cash_at, debt_at, taken = _fifo_segments(prepared, cash, held[cash], units.doc[debts], unit_owed[debts])
    source, target = cash[cash_at], units.doc[debts[debt_at]]
    if len(source) < 2:
        return source, target, taken
    starts = np.flatnonzero(np.r_[True, (source[1:] != source[:-1]) | (target[1:] != target[:-1])])
    return source[starts], target[starts], np.add.reduceat(taken, starts)


def _adjustment_sides(prepared: PreparedLedger, core: SettledArrays) -> tuple[np.ndarray, np.ndarray]:
    """Per document: the increases (finance charges, recoveries) and the reductions (write-offs, discounts) in
    force, both positive."""
    live = core.adjustment_live
    target, effect = prepared.adjustment_target[live], prepared.adjustment_effect[live]
    increase = np.zeros(len(prepared.doc_kind), dtype=np.int64)
    reduction = np.zeros(len(prepared.doc_kind), dtype=np.int64)
    np.add.at(increase, target, np.maximum(effect, 0))
    np.add.at(reduction, target, np.maximum(-effect, 0))
    return increase, reduction


def _open_instalments_frame(prepared: PreparedLedger, core: SettledArrays, rows: np.ndarray) -> pd.DataFrame:
    """The open items of documents ``rows`` (in order) with every split document replaced by its open
    instalments (in due order)."""
    plan = prepared.instalments
    assert plan is not None
    increase, reduction = _adjustment_sides(prepared, core)
    original, adjusted, applied, open_amount = split_parts(plan, prepared.doc_original, core.open_amount,
                                                           increase, reduction)
    # Each document row becomes its instalments (open ones only) or stays itself.
    split = plan.has[rows]
    first, count = np.zeros(len(rows), dtype=np.int64), np.ones(len(rows), dtype=np.int64)
    starts = np.flatnonzero(plan.number == 1)
    start_of = np.full(len(prepared.doc_kind), -1, dtype=np.int64)
    start_of[plan.doc[starts]] = starts
    first[split] = start_of[rows[split]]
    count[split] = plan.count[first[split]]
    item_doc = np.repeat(rows, count)
    offset = np.arange(len(item_doc)) - np.repeat(np.cumsum(count) - count, count)
    part = np.where(np.repeat(split, count), np.repeat(first, count) + offset, -1)
    is_part = part >= 0
    safe = np.maximum(part, 0)
    item_open = np.where(is_part, open_amount[safe], core.open_amount[item_doc])
    keep = item_open != 0
    item_doc, part, is_part = item_doc[keep], part[keep], is_part[keep]
    safe, item_open = safe[keep], item_open[keep]
    labels = np.full(len(item_doc), "", dtype=object)
    labels[is_part] = plan.labels(part[is_part])
    data: dict[str, object] = {
        "customer_id": text_column(prepared.customers, prepared.doc_customer[item_doc]),
        "document_id": text_column(prepared.doc_id, item_doc),
        "kind": text_column(_KIND_NAMES, prepared.doc_kind[item_doc]),
        "currency": text_column(prepared.currencies, prepared.doc_currency[item_doc]),
        "document_date": days_to_datetimes(prepared.doc_date[item_doc]),
        "due_date": days_to_datetimes(np.where(is_part, plan.due[safe], prepared.doc_due[item_doc])),
        "original": np.where(is_part, original[safe], prepared.doc_original[item_doc]),
        "adjusted": np.where(is_part, adjusted[safe], core.adjusted[item_doc]),
        "applied": np.where(is_part, applied[safe], core.applied[item_doc]),
        "open_amount": item_open,
    }
    for column, values in prepared.doc_text.items():
        data[column] = text_column(values, item_doc)
    _mark_disputed(prepared, core, item_doc, data)
    data["instalment"] = pd.Series(labels, dtype="str")
    return pd.DataFrame(data, columns=list(OPEN_ITEM_COLUMNS), copy=False)


def open_dues(prepared: PreparedLedger, core: SettledArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(document, due day, open amount) of every open item: a document, or each open instalment of a split
    one. What the metrics use wherever a due date matters."""
    rows = np.flatnonzero(core.open_amount)
    plan = prepared.instalments
    if plan is None:
        return rows, prepared.doc_due[rows], core.open_amount[rows]
    whole = rows[~plan.has[rows]]
    parts = open_parts(plan, core.open_amount)
    open_part = np.flatnonzero(parts)
    return (np.concatenate([whole, plan.doc[open_part]]), np.concatenate([prepared.doc_due[whole],
                                                                         plan.due[open_part]]),
            np.concatenate([core.open_amount[whole], parts[open_part]]))


def applied_dues(prepared: PreparedLedger, core: SettledArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(application index, due day, amount): every application of ``core``, and for an invoice with instalments
    its pieces, each with the due date of the instalment it settled (the module rule: after the invoice's
    write-offs and discounts, its applications fill its instalments earliest-due first, in settlement order)."""
    count = len(core.application_target)
    plan = prepared.instalments
    everything = np.arange(count, dtype=np.int64)
    if plan is None:
        return everything, prepared.doc_due[core.application_target], core.application_amount
    target = core.application_target
    split = plan.has[target]
    whole = everything[~split]
    pieces = everything[split]
    if not len(pieces):
        return whole, prepared.doc_due[target[whole]], core.application_amount[whole]
    increase, reduction = _adjustment_sides(prepared, core)
    low, high = axis_bounds(plan, prepared.doc_original, increase)
    # One axis for every split document: each gets the room of its largest bound and its cash, end to end.
    pieces = pieces[np.argsort(target[pieces], kind="stable")]  # settlement order kept within a document
    piece_doc = target[pieces]
    amount = core.application_amount[pieces]
    running = np.cumsum(amount)
    before = running - amount
    before -= before[group_first(piece_doc)]
    room = np.zeros(len(prepared.doc_kind), dtype=np.int64)
    np.maximum.at(room, plan.doc, high)
    np.maximum.at(room, piece_doc, reduction[piece_doc] + before + amount)
    base = np.cumsum(room) - room
    cash_low = base[piece_doc] + reduction[piece_doc] + before
    part_low, part_high = base[plan.doc] + low, base[plan.doc] + high
    at_cash, at_part, length = overlay(cash_low, cash_low + amount, part_low, part_high)
    return (np.concatenate([whole, pieces[at_cash]]), np.concatenate([prepared.doc_due[target[whole]],
                                                                      plan.due[at_part]]),
            np.concatenate([core.application_amount[whole], length]))
