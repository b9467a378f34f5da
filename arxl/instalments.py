"""Instalments: an invoice due in several parts, and how whatever settles it is shared among them.

The rule (DESIGN.md section 3, beside the settlement order): **within one invoice, whatever settles it goes to its
earliest-due open instalment first** - explicit applications, the payment's own reference, auto-apply, credit
notes, write-offs and discounts alike. Finance charges and recoveries raise the first instalment. Equivalently,
the invoice's open amount sits in its latest-due instalments: with open amount O and instalments a1..ak in due
order, instalment i (i > 1) has ``clip(O - (a[i+1] + ... + ak), 0, ai)`` open and the first one the rest. So an
invoice's open instalments always add up to its open amount, whatever happened in which order.

Auto-apply (settlement step 4) takes each instalment as an item of its own, by its own due date: a customer's
oldest-due items first, so an unreferenced payment settles the first instalment of a long invoice before a
younger invoice and that invoice before the long invoice's later instalments. Within one invoice this is the rule
above again, so both steps agree.

Everything due-date dependent - aging, Aging Detail, open items, statements, dunning, the forecast, the worksheet
functions and the metrics' current AR and days late - sees one open item per open instalment, with its own due
date and the label ``k/n`` (``INV-1001 2/3``). Instalments are ordered by due date, then by their Excel row.

This module holds the as-of independent plan (``InstalmentPlan``) and the array arithmetic of the rule;
``arxl.settle`` calls it. Money is int64 minor units, days int64 day numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .arrays import group_first, sort_order


@dataclass(frozen=True, eq=False)
class InstalmentPlan:
    """Every instalment of the ledger, sorted by (document, due date, Excel row), with the document it splits.

    Attributes:
        doc: the document position (in ``arxl.settle.PreparedLedger``) of each instalment.
        due: its due date (day number).
        amount: its amount (minor units).
        number: 1 for the earliest-due instalment of its document, then 2, 3...
        count: how many instalments its document has.
        after: the amounts of its document's later instalments, summed (the tail the rule fills last).
        start: its start on its document's axis before finance charges: 0 for the first, else the document's
            amount minus the instalment and everything after it.
        first: the position (in these arrays) of its document's first instalment.
        has: one flag per document: whether it is split into instalments.
    """

    doc: np.ndarray
    due: np.ndarray
    amount: np.ndarray
    number: np.ndarray
    count: np.ndarray
    after: np.ndarray
    start: np.ndarray
    first: np.ndarray
    has: np.ndarray

    def __len__(self) -> int:
        return len(self.doc)

    def labels(self, rows: np.ndarray) -> np.ndarray:
        """``"k/n"`` of the instalments ``rows``, as object strings."""
        numbers, counts = self.number[rows].tolist(), self.count[rows].tolist()
        return np.array([f"{number}/{count}" for number, count in zip(numbers, counts, strict=True)], dtype=object)


def plan_instalments(doc: np.ndarray, due: np.ndarray, amount: np.ndarray, row: np.ndarray, doc_amount: np.ndarray
                     ) -> InstalmentPlan | None:
    """The plan from the Instalments rows (``doc``: each row's document position, -1 to leave it out) and every
    document's own amount; None when no document has instalments."""
    keep = doc >= 0
    if not keep.any():
        return None
    doc, due, amount, row = doc[keep], due[keep], amount[keep], row[keep]
    order = sort_order([doc, due, row])
    doc, due, amount = doc[order], due[order], amount[order]
    first = group_first(doc)
    position = np.arange(len(doc))
    number = position - first + 1
    last = np.r_[doc[1:] != doc[:-1], True]
    last_of_group = np.flatnonzero(last)[np.cumsum(np.r_[0, last[:-1]])]
    count = last_of_group - first + 1
    running = np.cumsum(amount)
    through = running - (running - amount)[first]  # this one and the earlier ones of its document
    total = through[last_of_group]
    after = total - through
    start = np.where(number == 1, 0, doc_amount[doc] - after - amount)
    has = np.zeros(len(doc_amount), dtype=bool)
    has[doc] = True
    return InstalmentPlan(doc=doc, due=due, amount=amount, number=number, count=count, after=after, start=start,
                          first=first, has=has)


def open_parts(plan: InstalmentPlan, doc_open: np.ndarray) -> np.ndarray:
    """Each instalment's open amount when its document has ``doc_open[doc]`` open (the rule of the module
    docstring): the open amount fills the latest-due instalments; the first takes whatever is left."""
    owed = doc_open[plan.doc] - plan.after
    return np.where(plan.number == 1, np.maximum(owed, 0), np.clip(owed, 0, plan.amount))


def split_parts(plan: InstalmentPlan, doc_amount: np.ndarray, doc_open: np.ndarray, increase: np.ndarray,
                reduction: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(original, adjusted, applied, open) of each instalment, so that original + adjusted + applied = open.

    ``increase`` and ``reduction`` are each document's finance charges and recoveries, and its write-offs and
    discounts (positive minor units, in force). The first instalment's original also takes any difference
    between the document's amount and its instalments (none in a ledger the loader accepted). Reductions by
    adjustment come first on the document's axis (settlement step 1), cash after them.
    """
    open_amount = open_parts(plan, doc_open)
    is_first = plan.number == 1
    original = np.where(is_first, doc_amount[plan.doc] - plan.after, plan.amount)
    low, high = axis_bounds(plan, doc_amount, increase)
    adjusted_away = np.clip(np.minimum(reduction[plan.doc], high) - low, 0, None)
    settled = high - low - open_amount
    adjusted = np.where(is_first, increase[plan.doc], 0) - adjusted_away
    return original, adjusted, -(settled - adjusted_away), open_amount


def axis_bounds(plan: InstalmentPlan, doc_amount: np.ndarray, increase: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each instalment on its document's axis, where settlement fills from 0 upwards."""
    is_first = plan.number == 1
    lift = increase[plan.doc]
    low = np.where(is_first, 0, plan.start + lift)
    high = np.where(is_first, doc_amount[plan.doc] - plan.after + lift, low + plan.amount)
    return low, high


def overlay(first_low: np.ndarray, first_high: np.ndarray, second_low: np.ndarray, second_high: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where two lists of intervals on one axis overlap: (index in the first, index in the second, length).

    Each list must be sorted and its intervals disjoint (touching allowed); empty intervals are ignored.
    Every elementary segment between the merged ends lies in at most one interval of each list.
    """
    empty = np.zeros(0, dtype=np.int64)
    if not len(first_low) or not len(second_low):
        return empty, empty, empty
    points = np.unique(np.concatenate([first_low, first_high, second_low, second_high]))
    low, high = points[:-1], points[1:]
    in_first = np.searchsorted(first_high, low, "right")
    in_second = np.searchsorted(second_high, low, "right")
    inside = (in_first < len(first_low)) & (in_second < len(second_low))
    inside[inside] = ((first_low[in_first[inside]] <= low[inside])
                      & (second_low[in_second[inside]] <= low[inside]))
    return in_first[inside], in_second[inside], (high - low)[inside]


def item_labels(document_ids: Iterable[object], instalments: Iterable[object]) -> list[str]:
    """How people see open items: the document id, followed by ``k/n`` for an instalment (``INV-1001 2/3``)."""
    documents, parts = np.asarray(list(document_ids), dtype=object), np.asarray(list(instalments), dtype=object)
    split = np.flatnonzero(parts != "")
    labels = documents.copy()
    labels[split] = documents[split] + " " + parts[split]
    return [str(label) for label in labels.tolist()]
