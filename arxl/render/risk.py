"""Sheet specs of credit risk: the ``Allowance`` (provision matrix, expected loss per customer, write-off
proposals) and ``Credit`` (each customer's standing and the largest order each verdict allows). Pure, like
``arxl.render.sheets``: money arrives in minor units and leaves as major-unit floats; totals are live formulas
whose cached values are arxl's own figures.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..allowance import AllowanceMatrix
from ..credit import APPROVE, REFER_OVER_LIMIT, REFER_OVERDUE_SHARE
from ..excel import column_letter
from ..ledger import Ledger
from ..money import to_major_float, to_major_floats
from .sheets import TITLE_ROWS, title_cells
from .spec import Block, Cell, ConditionalFill, PageSetup, SheetSpec

ALLOWANCE_SHEET = "Allowance"
CREDIT_SHEET = "Credit"


def _sum_by_currency(cells: dict[tuple[int, int], Cell], row: int, label: str, currencies: pd.Series,
                     sums: dict[int, pd.Series], first: int, last: int, currency_column: int) -> int:
    """Total rows per currency under a block (SUMIFS over each money column, cached); the next free row."""
    letter = column_letter(currency_column)
    for currency in sorted(set(currencies)):
        cells[(row, 1)] = Cell(f"{label} {currency}", "total_label")
        for column, minor in sums.items():
            cached = to_major_float(int(minor[(currencies == currency).to_numpy()].sum()), currency)
            target = column_letter(column)
            formula = (f'SUMIFS({target}{first}:{target}{last},${letter}${first}:${letter}${last},'
                       f'"{currency}")')
            cells[(row, column)] = Cell(cached, "total_money", formula=formula)
        row += 1
    return row


def allowance_sheet(ledger: Ledger, allowance: AllowanceMatrix, write_offs: pd.DataFrame) -> SheetSpec:
    """The provision matrix with its totals, the expected loss per customer and the write-off proposals."""
    method = ("loss rates from Settings allowance_rates" if allowance.method == "settings"
              else "loss rates from the write-off history")
    cells = title_cells(ledger, "Allowance for doubtful accounts", allowance.as_of, method)
    blocks: list[Block] = []
    matrix = allowance.matrix.reset_index(drop=True)
    source = np.where(np.array(allowance.fallback, dtype=bool), "Settings (no history)",
                      "history" if allowance.method == "history" else "Settings")
    rate_source = pd.Series(np.resize(source, len(matrix)) if len(source) else [""] * len(matrix), dtype="str")
    frame = pd.DataFrame({
        "Bucket": matrix["bucket"],
        "Currency": matrix["currency"],
        "Exposure": to_major_floats(matrix["exposure"], matrix["currency"]),
        "Loss rate": matrix["rate"].astype("float64"),
        "Expected loss": to_major_floats(matrix["expected_loss"], matrix["currency"]),
        "Rate from": rate_source,
    })
    header = TITLE_ROWS + 1
    cells[(header - 1, 1)] = Cell("Provision matrix", "label")
    header += 1
    blocks.append(Block(header, 1, frame, ("text", "text", "money", "percent", "money", "text"),
                        table_name="arxl_Allowance"))
    first, last = header + 1, header + max(len(frame), 1)
    row = _sum_by_currency(cells, last + 1, "Allowance", matrix["currency"],
                           {3: matrix["exposure"], 5: matrix["expected_loss"]}, first, last, 2) + 2

    customers = allowance.customers.sort_values(["expected_loss", "customer_id"], ascending=[False, True],
                                                kind="stable").reset_index(drop=True)
    cells[(row, 1)] = Cell("Expected loss per customer", "label")
    per_customer = pd.DataFrame({
        "Customer ID": customers["customer_id"],
        "Customer": customers["name"],
        "Currency": customers["currency"],
        "Exposure": to_major_floats(customers["exposure"], customers["currency"]),
        "Expected loss": to_major_floats(customers["expected_loss"], customers["currency"]),
    })
    for label in allowance.labels:
        per_customer[label] = to_major_floats(customers[label], customers["currency"])
    header = row + 1
    blocks.append(Block(header, 1, per_customer.astype(object) if per_customer.empty else per_customer,
                        ("text", "text", "text", "money", "money", *(["money"] * len(allowance.labels))),
                        table_name="arxl_AllowanceCustomers"))
    first, last = header + 1, header + max(len(per_customer), 1)
    row = _sum_by_currency(cells, last + 1, "Total", customers["currency"],
                           {4: customers["exposure"], 5: customers["expected_loss"]}, first, last, 3) + 2

    cells[(row, 1)] = Cell("Write-off proposals (not posted: review, then enter them in Adjustments)", "label")
    proposals = pd.DataFrame({
        "Adjustment": write_offs["adjustment_id"],
        "Invoice": write_offs["invoice_id"],
        "Customer ID": write_offs["customer_id"],
        "Currency": write_offs["currency"],
        "Days past due": write_offs["days_past_due"].astype("int64"),
        "Last payment": write_offs["last_payment_date"],
        "Amount": to_major_floats(write_offs["amount"], write_offs["currency"]),
        "Reason": write_offs["reason"],
    })
    header = row + 1
    blocks.append(Block(header, 1, proposals.astype(object) if proposals.empty else proposals,
                        ("text", "text", "text", "text", "integer", "date", "money", "text"),
                        table_name="arxl_WriteOffs"))
    if proposals.empty:
        cells[(header + 1, 1)] = Cell("Nothing to write off at this date.", "subtitle")
    else:
        _sum_by_currency(cells, header + len(proposals) + 1, "Total", write_offs["currency"],
                         {7: write_offs["amount"]}, header + 1, header + len(proposals), 4)
    # One set of widths serves the three tables: the customers' bucket columns (6 on) are the widest need.
    widths = {1: 25, 2: 30, 3: 16, 4: 14, 5: 16, 6: 18, 7: 14,
              **{8 + index: 13 for index in range(max(len(allowance.labels) - 2, 1))}}
    return SheetSpec(ALLOWANCE_SHEET, cells=cells, blocks=tuple(blocks), widths=widths, tab_color="7F6000",
                     freeze=(TITLE_ROWS + 1, 1), page=PageSetup(landscape=True))


def credit_sheet(ledger: Ledger, as_of: dt.date, standing: pd.DataFrame) -> SheetSpec:
    """Every customer's credit standing: limit, balance, overdue share, risk grade, hold, the verdict that does
    not depend on the order, and the largest order approved and referred (``arxl report credit`` answers the
    same for one order)."""
    standing = standing.sort_values(["currency", "customer_id"], kind="stable").reset_index(drop=True)
    currencies = standing["currency"]
    reasons = []
    for row in standing.itertuples(index=False):
        against = [text for verdict, text in ((row.hold_verdict, row.hold_text),
                                              (row.overdue_verdict, row.overdue_text),
                                              (row.risk_verdict, row.risk_text)) if verdict != APPROVE]
        reasons.append("; ".join(against))
    frame = pd.DataFrame({
        "Customer ID": standing["customer_id"],
        "Customer": standing["name"],
        "Currency": currencies,
        "Credit limit": to_major_floats(standing["credit_limit"].astype("float64"), currencies),
        "Balance": to_major_floats(standing["balance"], currencies),
        "Overdue": to_major_floats(standing["overdue"], currencies),
        "Overdue share": standing["overdue_share"].astype("float64"),
        "Risk grade": standing["risk_grade"],
        "On hold": pd.Series(np.where(standing["hold"].to_numpy(dtype=bool), "yes", ""), dtype="str"),
        "Standing": standing["standing"],
        "Approve orders up to": to_major_floats(standing["approve_up_to"].astype("float64"), currencies),
        "Refer orders up to": to_major_floats(standing["refer_up_to"].astype("float64"), currencies),
        "Why not approve": pd.Series(reasons, dtype="str"),
    })
    styles = ("text", "text", "text", "money", "money", "money", "percent", "text", "text", "text", "money",
              "money", "text")
    header = TITLE_ROWS + 1
    first, last = header + 1, header + max(len(frame), 1)
    referred = int((standing["standing"] != APPROVE).sum())
    cells = title_cells(ledger, "Credit standing", as_of,
                        f"{referred} customer(s) referred or refused whatever the order; a blank 'up to' means "
                        f"no credit limit; over the limit by up to {REFER_OVER_LIMIT:.0%} is referred, overdue "
                        f"above {REFER_OVERDUE_SHARE:.0%} of the balance is referred")
    if frame.empty:
        cells[(first, 1)] = Cell("No customers.", "subtitle")
    conditional = (ConditionalFill(f"G{first}:G{last}", "FFEB9C", "9C5700", threshold=REFER_OVERDUE_SHARE),)
    widths = {1: 13, 2: 28, 3: 9, 4: 14, 5: 14, 6: 14, 7: 9, 8: 7, 9: 8, 10: 10, 11: 14, 12: 14, 13: 120}
    return SheetSpec(CREDIT_SHEET, cells=cells,
                     blocks=(Block(header, 1, frame.astype(object) if frame.empty else frame, styles,
                                   table_name="arxl_Credit"),),
                     widths=widths, heights={header: 30.0}, freeze=(header + 1, 3), conditional=conditional,
                     tab_color="375623", page=PageSetup(landscape=True, title_rows=(header, header)))
