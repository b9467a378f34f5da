"""Sheet specs of the collections workbench: the ``Collections`` worklist, the ``Forecast``, and the review
sheets ``Cash application`` and ``Charges`` (late fees and finance charges to post). Pure, like
``arxl.render.sheets``: report frames in, ``SheetSpec`` out; money arrives in minor units and leaves as
major-unit floats; totals a reader may audit are live formulas whose cached values are arxl's own figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..aging import TOTAL, AgingReport
from ..excel import column_letter, quoted
from ..forecast import Forecast
from ..ledger import Ledger
from ..money import to_major_float, to_major_floats
from .sheets import TITLE_ROWS, title_cells
from .spec import Block, Cell, Chart, ConditionalFill, PageSetup, Series, SheetSpec

COLLECTIONS_SHEET = "Collections"
COLLECTIONS_KEY = "collections"
ENTRY_HEADERS = ("Outcome", "Note", "Promised date", "Promised amount")
"""The Collections sheet's entry columns, last in its table: what a collector types in after a call. The next
refresh turns each filled row into an Activity row (``arxl.verbs.sheets.harvest``) and writes them blank."""
FORECAST_SHEET = "Forecast"
CASH_APPLICATION_SHEET = "Cash application"
CASH_APPLICATION_KEY = "cash-application"
CHARGES_SHEET = "Charges"
CHARGES_KEY = "charges"

RED, RED_TEXT = "FFC7CE", "9C0006"
AMBER, AMBER_TEXT = "FFEB9C", "9C5700"
GREEN, GREEN_TEXT = "C6EFCE", "006100"


def _range(column: int, first: int, last: int) -> str:
    letter = column_letter(column)
    return f"{letter}{first}:{letter}{last}"


def _yes(values: pd.Series | np.ndarray) -> pd.Series:
    return pd.Series(np.where(np.asarray(values, dtype=bool), "yes", ""), dtype="str")


def _writable(frame: pd.DataFrame) -> pd.DataFrame:
    """An empty frame as text columns: the sheet writer turns empty numeric columns into no cells at all."""
    return frame.astype(object) if frame.empty else frame


def _currency_totals(cells: dict[tuple[int, int], Cell], row: int, currencies: pd.Series,
                     sums: dict[int, pd.Series], first: int, last: int, currency_column: int,
                     label_column: int = 1) -> int:
    """One total row per currency under a block: SUMIFS over each money column; returns the next free row."""
    currency_letter = column_letter(currency_column)
    for currency in sorted(set(currencies)):
        cells[(row, label_column)] = Cell(f"Total {currency}", "total_label")
        for column, minor in sums.items():
            cached = to_major_float(int(minor[currencies == currency].sum()), currency)
            criteria = f"${currency_letter}${first}:${currency_letter}${last}"
            formula = f'SUMIFS({_range(column, first, last)},{criteria},"{currency}")'
            cells[(row, column)] = Cell(cached, "total_money", formula=formula)
        row += 1
    return row


# --- Collections ----------------------------------------------------------------------------------------------

def collections_sheet(ledger: Ledger, as_of: dt.date, worklist: pd.DataFrame) -> SheetSpec:
    """The ranked worklist: who to chase first, why, what to do next; holds and broken promises stand out."""
    worklist = worklist.reset_index(drop=True)
    currencies = worklist["currency"]
    frame = pd.DataFrame({
        "Rank": worklist["rank"].astype("int64"),
        "Priority": worklist["priority"].astype("float64"),
        "Customer ID": worklist["customer_id"],
        "Customer": worklist["name"],
        "Currency": currencies,
        "Overdue": to_major_floats(worklist["overdue"], currencies),
        "Collectable": to_major_floats(worklist["collectable"], currencies),
        "Disputed": to_major_floats(worklist["disputed"], currencies),
        "Oldest days past due": worklist["oldest_days"].astype("int64"),
        "Dunning level": worklist["level_name"],
        "Last contact": worklist["last_contact_date"],
        "Last action": worklist["last_contact_action"],
        "Next action": worklist["next_action"],
        "Next action date": worklist["next_action_date"],
        "Promise date": worklist["promise_date"],
        "Promise amount": to_major_floats(worklist["promise_amount"].astype("float64"), currencies),
        "Promise status": worklist["promise_status"],
        "Broken promises (12 months)": worklist["broken_promises"].astype("int64"),
        "Over limit": _yes(worklist["over_limit"]),
        "Credit hold": _yes(worklist["credit_hold"]),
        "Hold reason": worklist["hold_reason"],
        "Risk grade": worklist["risk_grade"],
        "Contact": worklist["contact"],
        "Email": worklist["email"],
        "Days in dispute": worklist["dispute_days"].astype("float64"),
        "Dispute reason": worklist["dispute_reason"],
        "Promise shortfall": to_major_floats(worklist["promise_shortfall"].astype("float64"), currencies),
        "Last letter": worklist["last_letter"],
        "Last letter date": worklist["last_letter_date"],
    })
    styles = ("integer", "decimal", "text", "text", "text", "money", "money", "money", "integer", "text", "date",
              "text", "text", "date", "date", "money", "text", "integer", "text", "text", "text", "text", "text",
              "text", "integer", "text", "money", "text", "date")
    blank = np.full(len(frame), "", dtype=object)
    frame = frame.assign(**{ENTRY_HEADERS[0]: blank, ENTRY_HEADERS[1]: blank,
                            ENTRY_HEADERS[2]: pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]"),
                            ENTRY_HEADERS[3]: np.full(len(frame), np.nan)})
    styles = (*styles, "entry", "entry_wrap", "entry_date", "entry_money")
    entry_columns = tuple(range(len(frame.columns) - len(ENTRY_HEADERS) + 1, len(frame.columns) + 1))
    header_row = TITLE_ROWS + 1
    first, last = header_row + 1, header_row + max(len(frame), 1)
    holds = int(worklist["credit_hold"].sum())
    broken = int((worklist["promise_status"] == "broken").sum())
    cells = title_cells(ledger, "Collections worklist", as_of,
                   f"{len(frame)} customers with overdue items, {holds} on credit hold, {broken} with a broken "
                   "latest promise")
    if len(frame):
        _currency_totals(cells, last + 2, currencies, {6: worklist["overdue"], 7: worklist["collectable"],
                                                      8: worklist["disputed"]}, first, last, currency_column=5)
    else:
        cells[(first, 1)] = Cell("Nothing is overdue at this date.", "subtitle")
    conditional = (
        ConditionalFill(_range(2, first, last), RED, RED_TEXT, threshold=60),
        ConditionalFill(_range(9, first, last), RED, RED_TEXT, threshold=ledger.settings.hold_days),
        ConditionalFill(_range(8, first, last), AMBER, AMBER_TEXT, threshold=0),
        ConditionalFill(_range(18, first, last), AMBER, AMBER_TEXT, threshold=0),
    )
    # The printed page holds what a collector works from (rank to next action date); the rest stays on screen.
    printed = frame.columns.get_loc("Next action date") + 1
    totals_bottom = last + 2 + len(set(currencies))
    print_area = f"$A$1:${column_letter(printed)}${max(totals_bottom, first)}"
    widths = dict(zip(entry_columns, (12, 40, 12, 14), strict=True))
    return SheetSpec(COLLECTIONS_SHEET, cells=cells, key=COLLECTIONS_KEY, entry_columns=entry_columns,
                     widths=widths,
                     blocks=(Block(header_row, 1, _writable(frame), styles, table_name="arxl_Collections"),),
                     freeze=(header_row + 1, 5), conditional=conditional, tab_color="C55A11",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row), print_area=print_area))


# --- Forecast -------------------------------------------------------------------------------------------------

def forecast_sheet(ledger: Ledger, forecast: Forecast, report: AgingReport) -> SheetSpec:
    """Expected receipts per week for 13 weeks and later, disputed and long-overdue items apart, the total
    reconciled to the aging total (open AR), and a column chart of the weeks."""
    lines = forecast.lines
    currencies = lines["currency"]
    frame = pd.DataFrame({
        "Line": lines["line"],
        "From": lines["week_start"],
        "To": lines["week_end"],
        "Currency": currencies,
        "Expected receipts": to_major_floats(lines["amount"], currencies),
        "Items": lines["items"].astype("int64"),
    })
    header_row = TITLE_ROWS + 1
    first, last = header_row + 1, header_row + len(frame)
    cells = title_cells(ledger, "Cash forecast", forecast.as_of,
                   f"due date + each customer's average days late; disputed and over {forecast.over_days} days "
                   "past due shown apart")
    row = last + 2
    aging_total = report.summary.groupby("currency")[TOTAL].sum()
    for currency in sorted(set(currencies)):
        in_currency = (lines["currency"] == currency).to_numpy()
        total = int(lines.loc[in_currency, "amount"].sum())
        formula = f'SUMIFS($E${first}:$E${last},$D${first}:$D${last},"{currency}")'
        cells[(row, 1)] = Cell(f"Total {currency}", "total_label")
        cells[(row, 5)] = Cell(to_major_float(total, currency), "total_money", formula=formula)
        open_ar = int(aging_total.get(currency, 0))
        cells[(row + 1, 1)] = Cell(f"Open AR {currency} (Aging total)", "label")
        cells[(row + 1, 5)] = Cell(to_major_float(open_ar, currency), "money_bold")
        cells[(row + 2, 1)] = Cell("Difference (must be 0)", "label")
        cells[(row + 2, 5)] = Cell(to_major_float(total - open_ar, currency),
                                   "pass" if total == open_ar else "fail", formula=f"E{row}-E{row + 1}")
        row += 4
    charts: tuple[Chart, ...] = ()
    if len(frame):
        currency = sorted(set(currencies))[0]
        positions = np.flatnonzero(((lines["currency"] == currency) & lines["kind"].isin(["week", "later"]))
                                   .to_numpy())
        low, high = first + int(positions[0]), first + int(positions[-1])
        sheet = quoted(FORECAST_SHEET)
        charts = (Chart("column", f"Expected receipts by week ({currency})", f"{sheet}!$A${low}:$A${high}",
                        (Series(f"Expected receipts ({currency})", f"{sheet}!$E${low}:$E${high}", "2E75B6"),),
                        (header_row, 8), (header_row + 20, 18), category_title="Week",
                        value_title=f"Expected receipts ({currency})"),)
    return SheetSpec(FORECAST_SHEET, cells=cells,
                     blocks=(Block(header_row, 1, frame, ("text", "date", "date", "text", "money", "integer"),
                                   table_name="arxl_Forecast"),),
                     widths={1: 24}, freeze=(header_row + 1, 1), charts=charts,
                     tab_color="70AD47", page=PageSetup(landscape=True, fit_height=1))


# --- Cash application -----------------------------------------------------------------------------------------

def cash_application_sheet(ledger: Ledger, as_of: dt.date, proposals: pd.DataFrame, min_confidence: float
                           ) -> SheetSpec:
    """The review sheet of proposed applications: ``arxl apply BOOK --accept`` appends the rows marked yes."""
    proposals = proposals.reset_index(drop=True)
    currencies = proposals["currency"]
    refused = proposals["refused"].to_numpy(dtype=object) != "" if "refused" in proposals else \
        np.zeros(len(proposals), dtype=bool)
    accepted = (proposals["confidence"].to_numpy(dtype=np.float64) >= min_confidence) & ~refused
    reason = proposals["reason"].to_numpy(dtype=object)
    if refused.any():
        why = proposals["refused"].to_numpy(dtype=object)
        reason = np.where(refused, "NOT ACCEPTABLE: " + why + "; " + reason, reason)
    frame = pd.DataFrame({
        "Rank": proposals["rank"].astype("int64"),
        "Payment": proposals["payment_id"],
        "Customer ID": proposals["customer_id"],
        "Payment date": proposals["payment_date"],
        "Currency": currencies,
        "Unreferenced receipt": to_major_floats(proposals["payment_amount"], currencies),
        "Remittance text": proposals["reference"],
        "Invoice": proposals["invoice_id"],
        "Invoice due": proposals["invoice_due_date"],
        "Invoice open": to_major_floats(proposals["invoice_open"], currencies),
        "Apply": to_major_floats(proposals["amount"], currencies),
        "Date": proposals["date"],
        "Confidence": proposals["confidence"].astype("float64"),
        "Reason": pd.Series(reason, dtype="str"),
        "Accept": _yes(accepted),
        "Now": proposals["now"] if "now" in proposals else pd.Series([""] * len(proposals), dtype="str"),
    })
    styles = ("integer", "text", "text", "date", "text", "money", "wrap", "text", "date", "money", "money", "date",
              "percent", "wrap", "text", "text")
    header_row = TITLE_ROWS + 1
    first, last = header_row + 1, header_row + max(len(frame), 1)
    payments = proposals["payment_id"].nunique()
    cells = title_cells(ledger, "Cash application proposals", as_of,
                   f"{payments} unreferenced receipt(s) still unapplied or auto-applied in the open period; rows "
                   f"marked yes (confidence at least {min_confidence:.0%}) are what arxl apply --accept appends "
                   "to Applications")
    if frame.empty:
        cells[(first, 1)] = Cell("No unreferenced receipts to review at this date.", "subtitle")
    else:
        # Totals per currency: each receipt counted once, and what the proposals apply.
        first_of_payment = ~proposals["payment_id"].duplicated().to_numpy()
        row = last + 2
        for currency in sorted(set(currencies)):
            mine = (currencies == currency).to_numpy()
            cells[(row, 1)] = Cell(f"Total {currency}", "total_label")
            cells[(row, 6)] = Cell(to_major_float(int(proposals.loc[mine & first_of_payment, "payment_amount"]
                                                      .sum()), currency), "total_money")
            cells[(row, 11)] = Cell(to_major_float(int(proposals.loc[mine, "amount"].sum()), currency),
                                    "total_money", formula=f'SUMIFS({_range(11, first, last)},'
                                                           f'${column_letter(5)}${first}:${column_letter(5)}${last},'
                                                           f'"{currency}")')
            row += 1
    conditional = (ConditionalFill(_range(13, first, last), GREEN, GREEN_TEXT,
                                   threshold=max(min_confidence - 1e-9, 0.0)),)
    widths = {7: 32, 14: 48, 16: 36}
    accept = list(frame.columns).index("Accept") + 1  # the user marks what to accept
    return SheetSpec(CASH_APPLICATION_SHEET, cells=cells, key=CASH_APPLICATION_KEY, entry_columns=(accept,),
                     blocks=(Block(header_row, 1, _writable(frame), styles, table_name="arxl_CashApplication"),),
                     widths=widths, freeze=(header_row + 1, 3),
                     conditional=conditional, tab_color="7030A0",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row)))


@dataclass(frozen=True)
class Entry:
    """What a collector typed on one row of the Collections sheet (cell values as read), and where."""

    row: int
    customer_id: str
    outcome: object
    note: object
    promised_date: object
    promised_amount: object


def collection_entries(values: list[list[object]]) -> list[Entry]:
    """The filled entry rows of the Collections sheet, from its cell values read from A1: the rows below the
    header row that holds ``Customer ID`` and the entry headers."""
    columns: dict[str, int] | None = None
    entries = []
    for number, row in enumerate(values, start=1):
        cells = ["" if cell is None else cell for cell in row]
        if columns is None:
            texts = [str(cell).strip() for cell in cells]
            wanted = ("Customer ID", *ENTRY_HEADERS)
            if all(header in texts for header in wanted):
                columns = {header: texts.index(header) for header in wanted}
            continue
        picked = [cells[columns[header]] if columns[header] < len(cells) else "" for header in ENTRY_HEADERS]
        if all(value == "" or (isinstance(value, str) and not value.strip()) for value in picked):
            continue
        customer = cells[columns["Customer ID"]] if columns["Customer ID"] < len(cells) else ""
        whole = isinstance(customer, float) and customer.is_integer()
        customer_text = str(int(customer)) if whole else str(customer)
        entries.append(Entry(number, customer_text.strip(), *picked))
    return entries


# --- Charges --------------------------------------------------------------------------------------------------

def charges_sheet(ledger: Ledger, as_of: dt.date, proposals: pd.DataFrame) -> SheetSpec:
    """The review sheet of late fees and finance charges to post (``arxl.postings``): one row per proposed
    Adjustments row with an **Accept** column, ``yes`` unless the closed period refuses it; ``arxl charges
    --accept`` (or the ribbon's Accept charges, which reads the column) appends them to Adjustments."""
    proposals = proposals.reset_index(drop=True)
    currencies = proposals["currency"]
    refused = proposals["refused"].to_numpy(dtype=object) != ""
    frame = pd.DataFrame({
        "Adjustment": proposals["adjustment_id"],
        "Invoice": proposals["invoice_id"],
        "Customer ID": proposals["customer_id"],
        "Date": proposals["date"],
        "Type": proposals["type"].str.replace("_", " "),
        "Currency": currencies,
        "Amount": to_major_floats(proposals["amount"], currencies),
        "Reason": proposals["reason"],
        "From": proposals["source"],
        "Cannot post because": proposals["refused"],
        "Accept": _yes(~refused),
    })
    # Long texts are not wrapped (a wrapped cell needs a row height the writer does not know): wide columns.
    styles = ("text", "text", "text", "date", "text", "text", "money", "text", "text", "text", "text")
    header_row = TITLE_ROWS + 1
    first, last = header_row + 1, header_row + max(len(frame), 1)
    fees = int((proposals["type"] == "late_fee").sum())
    cells = title_cells(ledger, "Charges to post", as_of,
                        f"{fees} late fee(s) of letters sent, {len(proposals) - fees} finance charge(s); rows "
                        "marked yes are what arxl charges --accept appends to Adjustments")
    if frame.empty:
        cells[(first, 1)] = Cell("No late fee or finance charge to post at this date.", "subtitle")
    else:
        _currency_totals(cells, last + 2, currencies, {7: proposals["amount"]}, first, last, currency_column=6)
    widths = {1: 28, 2: 13, 3: 12, 4: 12, 5: 14, 6: 9, 7: 13, 8: 92, 9: 44, 10: 44, 11: 8}
    return SheetSpec(CHARGES_SHEET, cells=cells, key=CHARGES_KEY, entry_columns=(len(frame.columns),),
                     blocks=(Block(header_row, 1, _writable(frame), styles, table_name="arxl_Charges"),),
                     widths=widths, heights={header_row: 30.0}, freeze=(header_row + 1, 2), tab_color="7030A0",
                     page=PageSetup(landscape=True, title_rows=(header_row, header_row)))
