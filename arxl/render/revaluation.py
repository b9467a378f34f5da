"""The ``Revaluation`` sheet: open foreign-currency items at the as-of rate against their booked value, and the
exchange differences realised in the period. Pure, like ``arxl.render.sheets``: ``arxl.revaluation.Revaluation``
in, ``SheetSpec`` out; money leaves as major-unit floats with each currency's own digits; the totals are live
formulas whose cached values are arxl's own sums.
"""

from __future__ import annotations

import pandas as pd

from ..excel import column_letter
from ..ledger import Ledger
from ..money import to_major_float, to_major_floats
from ..revaluation import Revaluation
from .sheets import TITLE_ROWS, title_cells
from .spec import Block, Cell, ConditionalFill, PageSetup, SheetSpec

REVALUATION_SHEET = "Revaluation"


def _writable(frame: pd.DataFrame) -> pd.DataFrame:
    """An empty frame as text columns: the sheet writer turns empty numeric columns into no cells at all."""
    return frame.astype(object) if frame.empty else frame


def revaluation_sheet(ledger: Ledger, result: Revaluation) -> SheetSpec:
    """Per customer and currency: open foreign amount, booked value, value at the as-of rate, unrealised and
    realised differences; then the rates used, then every application of the period with its realised
    difference (what the payment gave in its own currency beside the amount settled: they differ for a
    cross-currency receipt)."""
    reporting = result.currency
    summary = result.summary
    cells = title_cells(ledger, "Revaluation", result.as_of,
                        f"{reporting} · realised from {result.start.isoformat()} · unrealised since booking")
    header_row = TITLE_ROWS + 1
    frame = pd.DataFrame({
        "Customer ID": summary["customer_id"],
        "Customer": summary["name"],
        "Currency": summary["currency"],
        "Open amount": to_major_floats(summary["open_amount"], summary["currency"]),
        f"Booked ({reporting})": to_major_floats(summary["booked"], reporting),
        f"At as-of rate ({reporting})": to_major_floats(summary["revalued"], reporting),
        f"Unrealised ({reporting})": to_major_floats(summary["unrealised"], reporting),
        f"Realised in period ({reporting})": to_major_floats(summary["realised"], reporting),
    })
    styles = ("text", "text", "text", "money", "money", "money", "money", "money")
    first, last = header_row + 1, header_row + max(len(frame), 1)
    row = last + 2
    if len(frame):
        cells[(row, 1)] = Cell("Total", "total_label")
        cells[(row, 2)] = Cell("", "total_label")
        cells[(row, 3)] = Cell(reporting, "total_label")
        for column, name in zip(range(5, 9), ("booked", "revalued", "unrealised", "realised"), strict=True):
            letter = column_letter(column)
            cells[(row, column)] = Cell(to_major_float(result.total(name), reporting), "total_money",
                                        formula=f"SUM({letter}{first}:{letter}{last})")
    else:
        cells[(first, 1)] = Cell("No open foreign-currency items and no realised differences in the period.",
                                 "subtitle")
    row += 2
    for note in result.missing:
        cells[(row, 1)] = Cell(note, "subtitle")
        row += 1
    rates = result.items.drop_duplicates("currency").sort_values("currency")
    blocks = [Block(header_row, 1, _writable(frame), styles, table_name="arxl_Revaluation")]
    if len(rates):
        row += 1
        cells[(row, 1)] = Cell(f"Rates in force on {result.as_of.isoformat()}", "label")
        blocks.append(Block(row + 1, 1, pd.DataFrame({
            "Currency": rates["currency"].reset_index(drop=True),
            f"{reporting} per unit": rates["as_of_rate"].reset_index(drop=True).astype("float64"),
        }), ("text", "rate")))
        row += len(rates) + 3
    realised = result.realised
    cells[(row, 1)] = Cell(f"Realised differences from {result.start.isoformat()} to {result.as_of.isoformat()}",
                           "label")
    currencies = realised["currency"]
    applications = pd.DataFrame({
        "Date": realised["date"],
        "Customer ID": realised["customer_id"],
        "Currency": currencies,
        "Paid by": realised["source_id"],
        "Invoice": realised["invoice_id"],
        "Amount": to_major_floats(realised["amount"], currencies),
        "Paid in": realised["source_currency"],
        "Paid": to_major_floats(realised["source_amount"], realised["source_currency"]),
        "Rate paid": realised["source_rate"].astype("float64"),
        "Rate booked": realised["invoice_rate"].astype("float64"),
        f"Received ({reporting})": to_major_floats(realised["received"], reporting),
        f"Booked ({reporting})": to_major_floats(realised["booked"], reporting),
        f"Realised ({reporting})": to_major_floats(realised["realised"], reporting),
    })
    realised_header = row + 1
    if applications.empty:
        cells[(row + 1, 1)] = Cell("No settlement between foreign-currency documents in the period.", "subtitle")
    else:
        blocks.append(Block(row + 1, 1, applications, ("date", "text", "text", "text", "text", "money", "text",
                                                       "money", "rate", "rate", "money", "money", "money")))
    widths = {1: 13, 2: 28, 3: 10, 4: 14, 5: 16, 6: 16, 7: 16, 8: 16, 9: 16, 10: 16, 11: 16, 12: 16, 13: 16}
    conditional = (ConditionalFill(f"G{first}:G{last}", "C6EFCE", "006100", threshold=0),)
    return SheetSpec(REVALUATION_SHEET, cells=cells, blocks=tuple(blocks), widths=widths,
                     heights={header_row: 30.0, **({realised_header: 30.0} if not applications.empty else {})},
                     freeze=(header_row + 1, 3), conditional=conditional, tab_color="7030A0",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row)))
