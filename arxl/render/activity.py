"""Activity (balance-forward) statements as print-ready sheets: ``AS <customer_id>``, one per customer.

Pure, like ``arxl.render.sheets``: an ``arxl.statements.ActivityStatement`` in, a ``SheetSpec`` out. The sheet
has the company block, the customer, the period, then per currency the opening balance, every movement of the
period (date, document, kind, description, debit, credit, running balance) and the closing balance, which is
a live formula (opening + debits - credits) whose cached value is arxl's figure and equals the customer's aging
total at the period's last day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ledger import Ledger
from ..money import to_major_float, to_major_floats
from ..ownership import activity_key
from ..statements import ActivityStatement
from .sheets import statement_sheet_name
from .spec import Block, Cell, PageSetup, SheetSpec

ACTIVITY_PREFIX = "AS "
"""Activity statement sheets are named ``AS <customer_id>`` (open-item statements are ``ST ...``)."""
FIRST_BLOCK_ROW = 10


def activity_sheet_name(customer_id: str, taken: set[str]) -> str:
    """``AS <customer_id>`` made a legal, unique sheet name."""
    return statement_sheet_name(customer_id, taken, prefix=ACTIVITY_PREFIX)


def activity_statement_sheet(ledger: Ledger, statement: ActivityStatement, customer: pd.Series | None,
                             sheet_name: str) -> SheetSpec:
    """One customer's activity statement over ``statement.start`` .. ``statement.end``."""
    settings = ledger.settings
    cells: dict[tuple[int, int], Cell] = {(1, 1): Cell(settings.company_name, "title"),
                                          (1, 5): Cell("ACCOUNT STATEMENT", "title")}
    for offset, line in enumerate(settings.company_address.splitlines()[:3], start=2):
        cells[(offset, 1)] = Cell(line)
    cells[(2, 5)] = Cell("From", "label")
    cells[(2, 6)] = Cell(statement.start, "date")
    cells[(3, 5)] = Cell("To", "label")
    cells[(3, 6)] = Cell(statement.end, "date")
    cells[(4, 5)] = Cell("Customer ID", "label")
    cells[(4, 6)] = Cell(statement.customer_id)
    bill_to = [] if customer is None else [str(customer["name"]), *str(customer["address"]).splitlines()]
    cells[(6, 1)] = Cell("Account", "label")
    for offset, line in enumerate([line for line in bill_to if line][:3]):
        cells[(6 + offset, 2)] = Cell(line)
    blocks = []
    top = FIRST_BLOCK_ROW
    lines = statement.lines
    for currency in statement.opening_balance:
        own = lines[(lines["currency"] == currency).to_numpy()].reset_index(drop=True)
        opening = int(statement.opening_balance[currency])
        closing = int(statement.closing_balance[currency])
        cells[(top, 1)] = Cell(f"{currency}: opening balance on {statement.start.isoformat()}", "label")
        cells[(top, 7)] = Cell(to_major_float(opening, currency), "money_bold")
        header = top + 1
        frame = pd.DataFrame({
            "Date": own["date"],
            "Document": own["document_id"],
            "Type": own["kind"].str.replace("_", " "),
            "Description": own["description"],
            "Debit": to_major_floats(own["debit"], currency),
            "Credit": to_major_floats(own["credit"], currency),
            "Balance": to_major_floats(own["running_balance"], currency),
        })
        blocks.append(Block(header, 1, frame.astype(object) if frame.empty else frame,
                            ("date", "text", "text", "text", "money", "money", "money")))
        first, last = header + 1, header + max(len(frame), 1)
        end = last + 1
        if frame.empty:
            cells[(first, 1)] = Cell("No movements in the period.", "subtitle")
            formula = f"G{top}"
        else:
            formula = f"G{top}+SUM(E{first}:E{last})-SUM(F{first}:F{last})"
        cells[(end, 1)] = Cell(f"{currency}: closing balance on {statement.end.isoformat()}", "total_label")
        for column in range(2, 7):
            cells[(end, column)] = Cell("", "total_label")
        cells[(end, 7)] = Cell(to_major_float(closing, currency), "total_money", formula=formula)
        top = end + 2
    cells[(top, 1)] = Cell(settings.statement_message, "subtitle")
    merges: tuple[str, ...] = ()
    heights: dict[int, float] = {}
    if settings.payment_instructions:
        cells[(top + 1, 1)] = Cell("How to pay", "label")
        cells[(top + 1, 2)] = Cell(settings.payment_instructions, "wrap")
        merges = (f"B{top + 1}:G{top + 1}",)
        heights[top + 1] = 15.0 * (len(settings.payment_instructions) // 90 + 1)
    widths = {1: 12, 2: 16, 3: 12, 4: 44, 5: 14, 6: 14, 7: 15}
    footer = "&L" + sheet_name.replace("&", "&&") + "&RPage &P of &N"
    return SheetSpec(sheet_name, key=activity_key(statement.customer_id), cells=cells, blocks=tuple(blocks),
                     widths=widths, merges=merges,
                     heights=heights, page=PageSetup(footer=footer), freeze=None)


def activity_statement_sheets(ledger: Ledger, statements: list[ActivityStatement]) -> list[SheetSpec]:
    """One ``AS`` sheet per statement, named uniquely in the order given."""
    customers = ledger.customers.drop_duplicates("customer_id").set_index("customer_id")
    taken: set[str] = set()
    specs = []
    for statement in statements:
        customer = customers.loc[statement.customer_id] if statement.customer_id in customers.index else None
        specs.append(activity_statement_sheet(ledger, statement, customer,
                                              activity_sheet_name(statement.customer_id, taken)))
    return specs


def has_activity(statement: ActivityStatement) -> bool:
    """Whether a statement is worth sending: a movement in the period, or a balance at either end."""
    balances = np.array([*statement.opening_balance.values(), *statement.closing_balance.values()])
    return bool(len(statement.lines)) or bool((balances != 0).any())
