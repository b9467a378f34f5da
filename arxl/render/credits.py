"""Sheet specs of customer credit balances: the generated ``Credits`` sheet (every open credit, its age, last
activity and proposed action) and the ``Small balances`` review sheet (small-balance write-offs to post). Pure,
like ``arxl.render.sheets``: report frames in, ``SheetSpec`` out; money arrives in minor units and leaves as
major-unit floats; totals are live formulas whose cached values are arxl's own sums.

``Credits`` is about credit *balances* (money owed to customers); the ``Credit`` sheet (``arxl.render.risk``) is
about credit *standing* (limits, holds, risk): the titles say so.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..credit_balances import ACTIONS
from ..ledger import Ledger
from ..money import format_plain, to_major_floats
from ..small_balances import UNDERPAID
from .collections import _currency_totals, _writable, _yes
from .sheets import TITLE_ROWS, title_cells
from .spec import Block, Cell, PageSetup, SheetSpec

CREDITS_SHEET = "Credits"
CREDITS_KEY = "credits"
SMALL_BALANCES_SHEET = "Small balances"
SMALL_BALANCES_KEY = "small-balances"


def credits_sheet(ledger: Ledger, as_of: dt.date, credits: pd.DataFrame) -> SheetSpec:
    """Every open credit (``arxl.credit_balances``) with what to do about it; totals per currency, and the count
    per proposed action."""
    credits = credits.reset_index(drop=True)
    currencies = credits["currency"]
    frame = pd.DataFrame({
        "Customer ID": credits["customer_id"],
        "Customer": credits["name"],
        "Document": credits["document_id"],
        "Kind": credits["kind"].str.replace("_", " "),
        "Date": credits["document_date"],
        "Currency": currencies,
        "Original": to_major_floats(credits["original"], currencies),
        "Credit balance": to_major_floats(credits["credit"], currencies),
        "Age (days)": credits["age_days"].astype("int64"),
        "Last activity": credits["last_activity"],
        "Dormant (days)": credits["dormant_days"].astype("int64"),
        "Proposed action": credits["action"],
        "Why": credits["detail"],
    })
    styles = ("text", "text", "text", "text", "date", "text", "money", "money", "integer", "date", "integer",
              "text", "wrap")
    header_row = TITLE_ROWS + 1
    first, last = header_row + 1, header_row + max(len(frame), 1)
    counts = credits["action"].value_counts()
    summary = ", ".join(f"{int(counts.get(action, 0))} {action}" for action in ACTIONS)
    cells = title_cells(ledger, "Credit balances (what customers are owed, not credit standing)", as_of,
                        f"{len(frame)} open credit(s): {summary}")
    if frame.empty:
        cells[(first, 1)] = Cell("No unapplied cash and no unapplied credit notes at this date.", "subtitle")
    else:
        _currency_totals(cells, last + 2, currencies, {8: credits["credit"]}, first, last, currency_column=6)
    widths = {13: 48}  # the rest fitted to their content (arxl.render.layout)
    return SheetSpec(CREDITS_SHEET, cells=cells, key=CREDITS_KEY,
                     blocks=(Block(header_row, 1, _writable(frame), styles, table_name="arxl_Credits"),),
                     widths=widths, freeze=(header_row + 1, 3), tab_color="2E75B6",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row)))


def small_balances_sheet(ledger: Ledger, as_of: dt.date, proposals: pd.DataFrame) -> SheetSpec:
    """The review sheet of small-balance write-offs to post (``arxl.small_balances``): one row per proposed
    Adjustments row with an **Accept** column, ``yes`` unless the closed period refuses it; ``arxl small-balances
    --accept`` (or the ribbon's Accept small balances, which reads the column) appends them to Adjustments."""
    proposals = proposals.reset_index(drop=True)
    currencies = proposals["currency"]
    refused = proposals["refused"].to_numpy(dtype=object) != ""
    # What posting does to the customer's balance: an underpayment written off lowers what is owed, an
    # unapplied residue written off takes away credit (the balance rises towards zero). Their total is the net
    # change to receivables; the Amount total is what is written off either way.
    underpaid = proposals["reason"].str.endswith(UNDERPAID).to_numpy()
    amounts = proposals["amount"].to_numpy(dtype=np.int64)
    effect = np.where(underpaid, -amounts, amounts)
    frame = pd.DataFrame({
        "Adjustment": proposals["adjustment_id"],
        "Document": proposals["invoice_id"],
        "Customer ID": proposals["customer_id"],
        "Date": proposals["date"],
        "Type": proposals["type"].str.replace("_", " "),
        "Currency": currencies,
        "Amount": to_major_floats(proposals["amount"], currencies),
        "Effect on balance": to_major_floats(effect, currencies),
        "Reason": proposals["reason"],
        "From": proposals["source"],
        "Cannot post because": proposals["refused"],
        "Accept": _yes(~refused),
    })
    styles = ("text", "text", "text", "date", "text", "text", "money", "money", "wrap", "wrap", "wrap", "text")
    header_row = TITLE_ROWS + 1
    first, last = header_row + 1, header_row + max(len(frame), 1)
    reporting = ledger.settings.reporting_currency
    tolerance = int(ledger.settings.write_off_tolerance)
    limit = f"{format_plain(tolerance, reporting)} {reporting}"
    cells = title_cells(ledger, "Small-balance write-offs to post (not bad debts)", as_of,
                        f"residues at or below write_off_tolerance {limit}; rows marked yes are what arxl "
                        "small-balances --accept appends to Adjustments")
    if frame.empty:
        text = ("No residue at or below the tolerance at this date." if tolerance > 0 else
                "Settings write_off_tolerance is 0: no small balance is proposed. Set it (e.g. 5.00) to have "
                "residues of partly settled items proposed for write-off.")
        cells[(first, 1)] = Cell(text, "subtitle")
    else:
        _currency_totals(cells, last + 2, currencies, {7: proposals["amount"], 8: pd.Series(effect)}, first,
                         last, currency_column=6)
    widths = {9: 34, 10: 30, 11: 30}  # the rest fitted to their content (arxl.render.layout)
    return SheetSpec(SMALL_BALANCES_SHEET, cells=cells, key=SMALL_BALANCES_KEY,
                     entry_columns=(len(frame.columns),),
                     blocks=(Block(header_row, 1, _writable(frame), styles, table_name="arxl_SmallBalances"),),
                     widths=widths, freeze=(header_row + 1, 2), tab_color="7030A0",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row)))

