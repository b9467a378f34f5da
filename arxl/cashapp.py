"""Cash application assistant: proposed Applications rows, with a confidence, for payments that name no invoice.

``propose_applications(ledger, as_of)`` looks at the **unreferenced receipts**: positive payments dated on or
before the as-of date with a blank invoice_id and no Applications rows, that still hold cash when the ledger is
settled with auto-apply off. It proposes where that cash should go, as rows shaped like the Applications table
(payment_id, invoice_id, amount, date) plus ``confidence`` (0-1), ``reason`` and context.

**It looks forward.** By default it reviews only the receipts whose placing is still open to decide: those
still unapplied at the as-of date (with the book's own auto-apply setting: cash nobody has placed, whatever its
date), and those auto-applied in the **open period** (an auto-apply application dated on or after its first
day). The open period starts the day after Settings ``closed_through``; with nothing closed, on the first day
of the as-of month (the month being worked on). ``since`` moves the start (``since`` far back reviews the
whole history). Receipts applied long ago by auto-apply are settled business: re-pointing them would rewrite
aging that was reported. A proposal never changes a closed period: one dated on or before ``closed_through``
(its date is the later of the receipt's and the invoice's dates) is listed with ``refused`` saying why, and
``arxl.verbs.apply`` never appends it.

Evidence, strongest first; the first rule that finds something makes the payment's proposal:

1. **Invoice numbers in the remittance text** (``reference``): open invoices of the customer whose ids appear
   in it as whole words (case-insensitive). The cash goes to them in the order named, each up to what it still
   owes. Confidence 0.98 when they add up to the payment exactly, 0.85 when the payment is short of them, 0.80
   when it is more (the rest stays unapplied). Disputed invoices can be named.
2. **Exact amount to one open invoice** of the customer: 0.90 when only one invoice owes exactly the payment,
   0.60 when several do (the oldest due is proposed).
3. **The oldest invoices in due-date order add up to the payment** (two or more, any number): 0.85.
4. **A combination of open invoices sums exactly to the payment**: every combination of 2 to
   ``MAX_COMBINATION`` (3) invoices among the customer's ``COMBINATION_POOL`` (20) oldest open invoices by due
   date is tried (at most 190 + 1,140 sums per payment, checked in one NumPy step); one match gives 0.80 for a
   pair, 0.75 for three, several give 0.50 for the one with the oldest invoices.
5. **A round-sum overpayment**: the payment is a whole multiple of 100 (major units) and exactly one open
   invoice owes between the payment less 100 and the payment: that invoice is proposed in full, the rest stays
   unapplied; 0.55.

Rules 2-5 skip disputed invoices. When the payment's customer_id is blank or not in the Customers table (bank
lines not yet keyed in), the customer is taken from invoice numbers in the text, or else found by name: the
remittance text, stripped of digits and bank words (ACH, CREDIT, WIRE...), is compared with each customer's
name (legal suffixes dropped) with ``difflib.SequenceMatcher``; the best ratio of at least 0.8 that beats the
runner-up by 0.05 wins, and every confidence of that payment is multiplied by the ratio.

Payments compete for invoices: each invoice can receive only what it still owes. Rule 1 is run for every
payment first (in payment date, then id order), then rules 2-5 in the same order, each against what earlier
proposals left. ``rank`` orders the proposals by confidence (then payment date and id); the rows of one
proposal share it. Amounts are in minor units of the payment's currency; only invoices and debit notes of that
currency are considered.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import member
from .dates import day_number, day_numbers, days_to_datetimes
from .ledger import Ledger
from .money import exponent, format_plain
from .receivables import disputed_mask
from .settle import settle

MAX_COMBINATION = 3
COMBINATION_POOL = 20
NAME_CUTOFF = 0.8
NAME_MARGIN = 0.05
ROUND_MAJOR_UNITS = 100

CONFIDENCE: dict[str, float] = {
    "named_exact": 0.98, "named_short": 0.85, "named_over": 0.80, "amount_unique": 0.90, "amount_several": 0.60,
    "oldest_run": 0.85, "pair": 0.80, "triple": 0.75, "combination_several": 0.50, "round_overpayment": 0.55,
}

PROPOSAL_COLUMNS: tuple[str, ...] = (
    "payment_id", "invoice_id", "amount", "date", "confidence", "reason", "rank", "customer_id", "currency",
    "payment_date", "payment_amount", "reference", "invoice_due_date", "invoice_open", "now", "refused",
)
"""The first four are the Applications columns (amount in minor units of ``currency``; ``date`` the later of the
payment's and the invoice's dates, which is also what a blank Applications date means); ``payment_amount`` is
the receipt's unreferenced cash (what it holds with auto-apply off), ``invoice_open`` what the invoice owes at
the as-of date (auto-apply off) before any proposal; ``now`` where the receipt's cash is without the proposal
("unapplied", or "auto-applied to ..."); ``refused`` why the proposal cannot be accepted ("" when it can)."""

_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_\-/.#]*[A-Za-z0-9])?")
_BANK_WORDS = frozenset((
    "ACH", "CREDIT", "DEBIT", "WIRE", "TRANSFER", "TRF", "PAYMENT", "PMT", "PAY", "REMITTANCE", "REMIT", "FOR",
    "FROM", "CHEQUE", "CHECK", "CHQ", "REF", "REFERENCE", "INV", "INVOICE", "INVOICES", "BANK", "DEPOSIT", "EFT",
    "SEPA", "BACS", "FPS", "GIRO", "TO", "OF", "THE", "AND",
))
_LEGAL_SUFFIXES = frozenset((
    "INC", "LLC", "LTD", "CORP", "CO", "GROUP", "PARTNERS", "HOLDINGS", "GMBH", "AG", "SA", "SAS", "SARL", "PLC",
    "BV", "NV", "LIMITED", "CORPORATION", "COMPANY", "LLP", "LP",
))


@dataclass
class _Account:
    """The open invoices of one (customer, currency), oldest due first, with what they still owe."""

    ids: np.ndarray
    due: np.ndarray
    dated: np.ndarray
    owed: np.ndarray
    disputed: np.ndarray


def _normalise_name(text: str, drop: frozenset[str]) -> str:
    words = re.sub(r"[^A-Z0-9]+", " ", text.upper()).split()
    return " ".join(word for word in words if word not in drop and not any(char.isdigit() for char in word))


def match_customer(text: str, customers: pd.DataFrame) -> tuple[str, float] | None:
    """The customer whose name the remittance ``text`` names (rule in the module docstring), with the ratio."""
    cleaned = _normalise_name(text, _BANK_WORDS | _LEGAL_SUFFIXES)
    if len(cleaned) < 3:
        return None
    scores = []
    for customer_id, name in zip(customers["customer_id"], customers["name"], strict=True):
        target = _normalise_name(str(name), _LEGAL_SUFFIXES)
        if not target:
            continue
        matcher = difflib.SequenceMatcher(None, cleaned, target)
        best = matcher.ratio()
        if len(target) > len(cleaned):  # banks cut names short: compare with the name's start as well
            best = max(best, difflib.SequenceMatcher(None, cleaned, target[: len(cleaned)]).ratio())
        scores.append((best, str(customer_id)))
    if not scores:
        return None
    scores.sort(reverse=True)
    best_score, best_id = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best_score >= NAME_CUTOFF and best_score - runner_up >= NAME_MARGIN:
        return best_id, best_score
    return None


def _combinations(size: int) -> list[np.ndarray]:
    return [np.array(list(itertools.combinations(range(size), count)), dtype=np.int64).reshape(-1, count)
            for count in range(2, MAX_COMBINATION + 1)]


_COMBINATIONS = {size: _combinations(size) for size in range(COMBINATION_POOL + 1)}


def review_start(ledger: Ledger, as_of: dt.date) -> dt.date:
    """The first day of the open period the assistant reviews by default (rule in the module docstring)."""
    closed = ledger.settings.closed_through
    if closed is not None:
        return closed + dt.timedelta(days=1)
    return as_of.replace(day=1)


def receipts_to_review(ledger: Ledger, as_of: dt.date, *, since: dt.date | None = None) -> pd.DataFrame:
    """The unreferenced receipts the assistant reviews at ``as_of``: the Payments rows, plus ``cash`` (what each
    holds with auto-apply off) and ``now`` (where its cash is today), by payment date and id."""
    today = day_number(as_of)
    start = day_number(since if since is not None else review_start(ledger, as_of))
    items = settle(ledger, as_of, auto_apply=False).open_items
    payments = ledger.payments
    payment_day = day_numbers(payments["payment_date"])
    explicit = set(ledger.applications["payment_id"])
    unapplied = items.loc[(items["kind"] == "payment") & (items["open_amount"] < 0)]
    held = pd.Series(-unapplied["open_amount"].to_numpy(dtype=np.int64), index=unapplied["document_id"].to_numpy())
    candidates = payments[(payments["amount"] > 0).to_numpy() & (payments["invoice_id"] == "").to_numpy()
                          & (payment_day <= today) & ~payments["payment_id"].isin(explicit).to_numpy()
                          & payments["payment_id"].isin(held.index).to_numpy()]
    actual = settle(ledger, as_of)
    still = actual.open_items
    still = set(still.loc[(still["kind"] == "payment") & (still["open_amount"] < 0), "document_id"])
    auto = actual.applications[(actual.applications["step"] == "auto").to_numpy()]
    auto = auto[member(auto["source_id"], candidates["payment_id"]).to_numpy()]
    recent = set(auto.loc[day_numbers(auto["date"]) >= start, "source_id"])
    placed = auto.groupby("source_id")["invoice_id"].agg(lambda ids: ", ".join(dict.fromkeys(ids)))
    reviewed = candidates["payment_id"].isin(still | recent).to_numpy()
    candidates = candidates[reviewed]
    now = placed.reindex(candidates["payment_id"]).to_numpy(dtype=object)
    is_unapplied = candidates["payment_id"].isin(still).to_numpy()
    text = np.where(pd.isna(now), "unapplied", "auto-applied to " + pd.Series(now).fillna("").astype(str))
    text = np.where(is_unapplied & ~pd.isna(now), text + " (part unapplied)", text)
    candidates = candidates.assign(day=day_numbers(candidates["payment_date"]),
                                   cash=held.reindex(candidates["payment_id"]).to_numpy(dtype=np.int64),
                                   now=pd.Series(text, index=candidates.index, dtype="str"))
    return candidates.sort_values(["day", "payment_id"], kind="stable").reset_index(drop=True)


def propose_applications(ledger: Ledger, as_of: dt.date, *, since: dt.date | None = None) -> pd.DataFrame:
    """Proposed applications of the unreferenced receipts to review at ``as_of`` (``PROPOSAL_COLUMNS``; see
    above; ``since``: the first day of the period reviewed, default ``review_start``)."""
    settlement = settle(ledger, as_of, auto_apply=False)
    items = settlement.open_items
    candidates = receipts_to_review(ledger, as_of, since=since)

    receivable = items[items["kind"].isin(["invoice", "debit_note"]) & (items["open_amount"] > 0)].copy()
    receivable["disputed"] = disputed_mask(ledger, as_of, receivable)
    receivable = receivable.sort_values(["customer_id", "currency", "due_date", "document_date", "document_id"],
                                        kind="stable")
    accounts: dict[tuple[str, str], _Account] = {}
    for (customer_id, currency), own in receivable.groupby(["customer_id", "currency"], sort=False):
        accounts[(str(customer_id), str(currency))] = _Account(
            own["document_id"].to_numpy(dtype=object), day_numbers(own["due_date"]),
            day_numbers(own["document_date"]), own["open_amount"].to_numpy(dtype=np.int64).copy(),
            own["disputed"].to_numpy(dtype=bool))
    where = {str(invoice_id).upper(): (str(customer_id), str(currency))
             for invoice_id, customer_id, currency in zip(receivable["document_id"], receivable["customer_id"],
                                                          receivable["currency"], strict=True)}
    known = set(ledger.customers["customer_id"])

    resolved: list[tuple[str, float, str]] = []
    named: list[list[str]] = []
    for payment in candidates.itertuples(index=False):
        tokens = [token.upper() for token in _TOKEN.findall(str(payment.reference))]
        mentioned = list(dict.fromkeys(token for token in tokens if token in where))
        customer, factor, how = str(payment.customer_id), 1.0, ""
        if customer == "" or customer not in known:
            owners = {where[token][0] for token in mentioned}
            if len(owners) == 1:
                customer, how = owners.pop(), "customer from the invoice numbers"
            else:
                found = match_customer(str(payment.reference), ledger.customers)
                if found is not None:
                    customer, factor = found
                    how = f"customer {customer} by name ({factor:.2f})"
        resolved.append((customer, factor, how))
        named.append([token for token in mentioned if where[token] == (customer, str(payment.currency))])

    chosen: dict[int, tuple[list[tuple[str, int]], float, str]] = {}
    for index, payment in enumerate(candidates.itertuples(index=False)):
        customer, _, _ = resolved[index]
        account = accounts.get((customer, str(payment.currency)))
        if account is not None and named[index]:
            chosen[index] = _by_name(account, named[index], int(payment.cash))
    for index, payment in enumerate(candidates.itertuples(index=False)):
        customer, _, _ = resolved[index]
        account = accounts.get((customer, str(payment.currency)))
        if index in chosen or account is None:
            continue
        found = _by_amount(account, int(payment.cash), str(payment.currency))
        if found is not None:
            chosen[index] = found
    return _frame(ledger, candidates, chosen, resolved, receivable)


def _take(account: _Account, rows: list[tuple[int, int]]) -> list[tuple[str, int]]:
    """Record ``(position, amount)`` applications on the account; return them as (invoice_id, amount)."""
    taken = []
    for position, amount in rows:
        account.owed[position] -= amount
        taken.append((str(account.ids[position]), int(amount)))
    return taken


def _by_name(account: _Account, named: list[str], cash: int) -> tuple[list[tuple[str, int]], float, str]:
    upper = np.array([str(invoice_id).upper() for invoice_id in account.ids], dtype=object)
    positions = [int(np.flatnonzero(upper == token)[0]) for token in named]
    positions = [position for position in positions if account.owed[position] > 0]
    owed = sum(int(account.owed[position]) for position in positions)
    if not positions:
        return [], 0.0, ""
    left, rows = cash, []
    for position in positions:
        amount = min(left, int(account.owed[position]))
        if amount > 0:
            rows.append((position, amount))
            left -= amount
    names = ", ".join(str(account.ids[position]) for position in positions)
    if owed == cash:
        return _take(account, rows), CONFIDENCE["named_exact"], f"remittance names {names}; amounts agree"
    if cash < owed:
        return _take(account, rows), CONFIDENCE["named_short"], f"remittance names {names}; the payment is short"
    return _take(account, rows), CONFIDENCE["named_over"], (f"remittance names {names}; the payment is more, "
                                                            "the rest stays unapplied")


def _by_amount(account: _Account, cash: int, currency: str) -> tuple[list[tuple[str, int]], float, str] | None:
    usable = np.flatnonzero((account.owed > 0) & ~account.disputed)
    if not len(usable):
        return None
    owed = account.owed[usable]
    exact = usable[owed == cash]
    if len(exact):
        position = int(exact[0])
        if len(exact) == 1:
            return (_take(account, [(position, cash)]), CONFIDENCE["amount_unique"],
                    "the only open invoice of that amount")
        return (_take(account, [(position, cash)]), CONFIDENCE["amount_several"],
                f"{len(exact)} open invoices of that amount; the oldest due is proposed")
    running = np.cumsum(owed)
    run = np.flatnonzero(running == cash)
    if len(run) and run[0] >= 1:
        count = int(run[0]) + 1
        rows = [(int(position), int(account.owed[position])) for position in usable[:count]]
        return _take(account, rows), CONFIDENCE["oldest_run"], f"the {count} oldest open invoices add up to it"
    pool = usable[:COMBINATION_POOL]
    amounts = account.owed[pool]
    for combinations in _COMBINATIONS[len(pool)]:
        if not len(combinations):
            continue
        hits = np.flatnonzero(amounts[combinations].sum(axis=1) == cash)
        if not len(hits):
            continue
        picked = pool[combinations[hits[0]]]
        rows = [(int(position), int(account.owed[position])) for position in picked]
        size = combinations.shape[1]
        if len(hits) == 1:
            confidence = CONFIDENCE["pair"] if size == 2 else CONFIDENCE["triple"]
            return _take(account, rows), confidence, f"the only {size} open invoices that add up to it"
        return (_take(account, rows), CONFIDENCE["combination_several"],
                f"{len(hits)} combinations of {size} invoices add up to it; the oldest is proposed")
    step = ROUND_MAJOR_UNITS * 10 ** exponent(currency)
    if cash % step == 0:
        near = usable[(owed < cash) & (owed > cash - step)]
        if len(near) == 1:
            position = int(near[0])
            amount = int(account.owed[position])
            return (_take(account, [(position, amount)]), CONFIDENCE["round_overpayment"],
                    f"a round sum just above the only invoice near it; {format_plain(cash - amount, currency)} "
                    "stays unapplied")
    return None


def _frame(ledger: Ledger, candidates: pd.DataFrame, chosen: dict[int, tuple[list[tuple[str, int]], float, str]],
           resolved: list[tuple[str, float, str]], receivable: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for index, (taken, confidence, reason) in chosen.items():
        if not taken:
            continue
        payment = candidates.iloc[index]
        customer, factor, how = resolved[index]
        for invoice_id, amount in taken:
            rows.append({"index": index, "payment_id": payment["payment_id"], "invoice_id": invoice_id,
                         "amount": amount, "confidence": round(confidence * factor, 4),
                         "reason": f"{how}; {reason}" if how else reason, "customer_id": customer,
                         "currency": payment["currency"], "payment_day": int(payment["day"]),
                         "payment_amount": int(payment["cash"]), "reference": payment["reference"],
                         "now": payment["now"]})
    frame = pd.DataFrame(rows, columns=["index", "payment_id", "invoice_id", "amount", "confidence", "reason",
                                        "customer_id", "currency", "payment_day", "payment_amount", "reference",
                                        "now"])
    if frame.empty:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in zip(PROPOSAL_COLUMNS, (
            "str", "str", "int64", "datetime64[s]", "float64", "str", "int64", "str", "str", "datetime64[s]",
            "int64", "str", "datetime64[s]", "int64", "str", "str"), strict=True)})
    info = receivable.drop_duplicates("document_id").set_index("document_id")
    invoice_day = day_numbers(info["document_date"].reindex(frame["invoice_id"]))
    proposal = frame.groupby("index")["confidence"].first()
    order = proposal.reset_index().merge(frame.groupby("index")[["payment_day", "payment_id"]].first(),
                                         on="index").sort_values(["confidence", "payment_day", "payment_id"],
                                                                 ascending=[False, True, True], kind="stable")
    rank = pd.Series(np.arange(1, len(order) + 1), index=order["index"].to_numpy())
    result = pd.DataFrame({
        "payment_id": frame["payment_id"].astype("str"),
        "invoice_id": frame["invoice_id"].astype("str"),
        "amount": frame["amount"].to_numpy(dtype=np.int64),
        "date": days_to_datetimes(np.maximum(frame["payment_day"].to_numpy(dtype=np.int64), invoice_day)),
        "confidence": frame["confidence"].to_numpy(dtype=np.float64),
        "reason": frame["reason"].astype("str"),
        "rank": rank.reindex(frame["index"]).to_numpy(dtype=np.int64),
        "customer_id": frame["customer_id"].astype("str"),
        "currency": frame["currency"].astype("str"),
        "payment_date": days_to_datetimes(frame["payment_day"].to_numpy(dtype=np.int64)),
        "payment_amount": frame["payment_amount"].to_numpy(dtype=np.int64),
        "reference": frame["reference"].astype("str"),
        "invoice_due_date": info["due_date"].reindex(frame["invoice_id"]).to_numpy(dtype="datetime64[s]"),
        "invoice_open": info["open_amount"].reindex(frame["invoice_id"]).to_numpy(dtype=np.int64),
        "now": frame["now"].astype("str"),
        "refused": pd.Series([""] * len(frame), dtype="str"),
    }, columns=list(PROPOSAL_COLUMNS))
    result["refused"] = pd.Series(_closed_refusal(ledger, result["date"].to_numpy()), dtype="str")
    return result.sort_values(["rank", "invoice_due_date", "invoice_id"], kind="stable").reset_index(drop=True)


def _closed_refusal(ledger: Ledger, dates: np.ndarray) -> np.ndarray:
    """"" for a proposal that may be accepted, else why not: dated on or before Settings ``closed_through``."""
    closed = ledger.settings.closed_through
    if closed is None:
        return np.full(len(dates), "", dtype=object)
    text = (f"dated on or before closed_through {closed.isoformat()}: applying it would change the closed "
            "period")
    return np.where(day_numbers(dates) <= day_number(closed), text, "").astype(object)
