"""The print-ready open-item statement a customer receives: one ``ST <customer_id>`` sheet, laid out page by page.

A statement places its own page breaks, so that what a customer reads is never split badly:

- page 1 carries the company, the statement date, the customer's id and terms and the bill-to address; then the
  items of each currency (date, document, type, PO or reference, due date, days overdue, original amount, fees,
  interest and credits since, and open amount; an invoice paid in instalments as one line per open instalment,
  ``INV-1001 1/2``, each with its own due date); item lines continue on the next page under a repeated header,
  and a header is never printed without an item under it;
- each currency's aging box (buckets, Unapplied, Total due) stays whole, beside the statement message and the
  payment instructions;
- the remittance slip (remit-to address, customer, statement date, amount due, a line for the amount enclosed)
  sits at the foot of the last page, after a cut line, so it can be torn off.

Choices where the issue is silent:

- The sheet prints at a fixed scale (at most 100 %) chosen so that its columns fit across the paper even where
  LibreOffice draws it with a wider font than Calibri; page breaks are counted in points at that scale with a
  margin of ``SLACK_POINTS``, so the slip lands at the foot of the page in Excel and in LibreOffice alike.
- Days overdue are blank for items not yet due and for unapplied cash or credits (a negative item is not late,
  and has no due date either).
- ``PO / reference`` shows an invoice's PO number, else its reference (a credit note's invoice, a payment's
  remittance text); long references wrap.
- A currency whose balance is a credit reads "Credit balance" (as a positive amount) and the slip says "Credit
  balance, no payment due" instead of asking for an amount; the amount-enclosed line is left out when nothing
  is due in any currency.
- Remit-to is Settings ``remit_to``, else the company name and address.
- The footer is for the customer: company, "Statement for" the customer's name, page x of y (not the sheet name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..aging import UNAPPLIED, AgingReport
from ..instalments import item_labels
from ..ledger import Ledger
from ..money import exponent, to_major_float
from ..ownership import statement_key
from .layout import (
    LINE_HEIGHT,
    date_format,
    date_width,
    number_width,
    paper_size,
    printable_points,
    scale_to_fit,
    text_width,
    wrapped_lines,
)
from .spec import ACCOUNTING, CENTER, TOP, Cell, PageSetup, SheetSpec

COLUMNS = 9  # A..I
DATE, DOCUMENT, TYPE, REFERENCE, DUE, DAYS, ORIGINAL, ADJUSTED, OPEN = range(1, COLUMNS + 1)
TITLE_HEIGHT = 21.0
MAX_ROW_HEIGHT = 409.0  # Excel's tallest row
SLACK_POINTS = 14.0
"""Points left free at the foot of every page: renderers round row heights differently."""
REFERENCE_WIDTH = 24.0
"""Widest the PO / reference column grows before it wraps."""


@dataclass
class _Line:
    """One row of the statement: its cells by column and its height in points."""

    cells: dict[int, Cell] = field(default_factory=dict)
    height: float = LINE_HEIGHT
    merges: tuple[tuple[int, int, int], ...] = ()  # (first column, last column, rows) starting on this row


class _Pages:
    """Writes lines down the sheet, starting a new page (a manual break) where the next lines would not fit."""

    def __init__(self, capacity: float):
        self.capacity = capacity
        self.row = 1
        self.used = 0.0
        self.cells: dict[tuple[int, int], Cell] = {}
        self.heights: dict[int, float] = {}
        self.merges: list[str] = []
        self.breaks: list[int] = []

    def _write(self, line: _Line) -> None:
        for column, cell in line.cells.items():
            # Every cell at the top of its row: a line grown for a wrapped reference or name reads across.
            top = cell if TOP in cell.style else replace(cell, style=cell.style + TOP)
            self.cells[(self.row, column)] = top
        for first, last, rows in line.merges:
            self.merges.append(f"{_letter(first)}{self.row}:{_letter(last)}{self.row + rows - 1}")
        self.heights[self.row] = line.height
        self.used += line.height
        self.row += 1

    def new_page(self) -> None:
        if self.row > 1:
            self.breaks.append(self.row - 1)
        self.used = 0.0

    def fits(self, height: float) -> bool:
        return self.used + height <= self.capacity

    def together(self, lines: list[_Line]) -> None:
        """``lines`` on one page: a new page first when they do not fit on this one."""
        if not self.fits(sum(line.height for line in lines)) and self.used > 0:
            self.new_page()
        for line in lines:
            self._write(line)

    def flowing(self, header: _Line, lines: list[_Line]) -> None:
        """``lines`` under ``header``, repeating the header on each new page; a header always has a line under
        it."""
        self.together([header, lines[0]])
        for line in lines[1:]:
            if not self.fits(line.height):
                self.new_page()
                self._write(header)
            self._write(line)

    def at_foot(self, lines: list[_Line]) -> None:
        """``lines`` at the bottom of the page: blank space above them fills the rest of it."""
        height = sum(line.height for line in lines)
        if not self.fits(height):
            self.new_page()
        spare = self.capacity - self.used - height
        while spare > 1.0:
            step = min(spare, MAX_ROW_HEIGHT)
            self._write(_Line({1: Cell(None)}, round(step, 2)))
            spare -= step
        for line in lines:
            self._write(line)


def _letter(column: int) -> str:
    return "ABCDEFGHI"[column - 1]


def _is_credit(total: int) -> bool:
    return total < 0


def _escape_footer(text: str) -> str:
    return text.replace("&", "&&")


def statement_sheet(ledger: Ledger, report: AgingReport, customer_id: str, customer: pd.Series | None,
                    items: pd.DataFrame, sheet_name: str) -> SheetSpec:
    """The open-item statement of one customer (``items``: its rows of the aging detail), page by page."""
    settings = ledger.settings
    paper = paper_size(settings)
    date_code = date_format(settings)
    # Plain arrays from here on: a big book has thousands of statements, and per-row pandas access is slow.
    currency_of = items["currency"].to_numpy(dtype=object)
    document_ids = np.array(item_labels(items["document_id"], items["instalment"]), dtype=object)
    document_dates = items["document_date"].to_numpy(dtype="datetime64[D]")
    order = np.lexsort((document_ids, document_dates, currency_of))  # instalments of a document by number
    currency_of, document_ids, document_dates = currency_of[order], document_ids[order], document_dates[order]
    due_dates = items["due_date"].to_numpy(dtype="datetime64[D]")[order]
    kinds = items["kind"].to_numpy(dtype=object)[order]
    buckets = items["bucket"].to_numpy(dtype=object)[order]
    po_numbers = items["po_number"].to_numpy(dtype=object)[order]
    references = items["reference"].to_numpy(dtype=object)[order]
    reference = np.where(po_numbers != "", po_numbers, references)
    open_items = items["open_amount"].to_numpy(dtype=np.int64)[order]
    original = items["original"].to_numpy(dtype=np.int64)[order]
    adjusted = items["adjusted"].to_numpy(dtype=np.int64)[order]
    age = items["days_past_due"].to_numpy(dtype=np.int64)[order]
    currencies = sorted(set(currency_of.tolist()))
    labels = [*report.labels, UNAPPLIED]
    name = "" if customer is None else str(customer["name"])
    overdue = (open_items > 0) & (age > 0)
    days = np.where(overdue, age, 0)
    scales = np.array([10.0 ** exponent(str(code)) for code in currency_of])
    original_major = original / scales
    adjusted_major = adjusted / scales
    open_major = open_items / scales
    totals = {currency: int(open_items[currency_of == currency].sum()) for currency in currencies}
    bucket_amounts = {currency: [to_major_float(int(np.abs(open_items[(currency_of == currency)
                                                                      & (buckets == label)]).sum()), currency)
                                 for label in labels] for currency in currencies}

    # --- widths: from what the columns show, then the scale at which they fit across the paper
    money = [*open_major.tolist(), *(abs(to_major_float(total, c)) for c, total in totals.items()),
             *(amount for amounts in bucket_amounts.values() for amount in amounts)]
    dates = date_width(date_code) + 1.5
    widths = {
        DATE: max(dates, text_width("Date", bold=True) + 1.5),
        DOCUMENT: max(text_width("Document", bold=True) + 1.5,
                      max((text_width(str(text)) for text in set(document_ids.tolist())), default=0) + 2),
        TYPE: max(text_width("credit note") + 2, text_width("Type", bold=True) + 1.5),
        REFERENCE: min(max(text_width("reference", bold=True) + 2,
                           max((text_width(str(text)) for text in set(reference.tolist())), default=0) + 2),
                       REFERENCE_WIDTH),
        DUE: max(dates, text_width("Due date", bold=True) + 1.5),
        DAYS: max(text_width("overdue", bold=True) + 1.5, number_width(days, "#,##0_)") + 1.5),
        ORIGINAL: max(number_width(original_major, ACCOUNTING) + 1.5,
                      text_width("Credit balance", bold=True) + 1.5,
                      max(text_width(label, bold=True) for label in labels) + 1.5,
                      text_width(f"Original ({currencies[0]})", bold=True) / 2 + 1.5),
        ADJUSTED: max(number_width(adjusted_major, ACCOUNTING) + 1.5,
                      text_width("interest and", bold=True) + 1.5),
        OPEN: max(number_width(np.array(money, dtype=np.float64), ACCOUNTING, bold=True) + 1.5,
                  text_width("Open amount", bold=True) + 1.5),
    }
    widths = {column: round(width, 1) for column, width in widths.items()}
    scale = scale_to_fit(widths, range(1, COLUMNS + 1), paper)
    _width_points, height_points = printable_points(paper)
    pages = _Pages(height_points * 100 / scale - SLACK_POINTS)

    # --- page 1: who is writing to whom
    heading = [_Line({1: Cell(settings.company_name, "title"), DAYS: Cell("STATEMENT", "title")},
                     TITLE_HEIGHT)]
    address = [line for line in settings.company_address.splitlines() if line.strip()][:3]
    terms_days = None if customer is None else int(customer["terms_days"])
    terms = "" if terms_days is None else ("Due on receipt" if terms_days == 0 else f"Net {terms_days} days")
    facts = [("Statement date", Cell(report.as_of, "date")), ("Customer ID", Cell(customer_id)),
             ("Terms", Cell(terms))]
    for offset in range(max(len(address), len(facts))):
        line = _Line()
        if offset < len(address):
            line.cells[1] = Cell(address[offset])
        if offset < len(facts) and (facts[offset][0] != "Terms" or terms):
            line.cells[DAYS] = Cell(facts[offset][0], "label")
            line.cells[OPEN] = facts[offset][1]
        heading.append(line)
    heading.append(_Line({}, 8.0))
    bill_to = [] if customer is None else [name, *str(customer["address"]).splitlines(), str(customer["email"])]
    for offset, text in enumerate([text for text in bill_to if text.strip()][:6]):
        heading.append(_Line({1: Cell("Bill to", "label")} if offset == 0 else {}, LINE_HEIGHT))
        heading[-1].cells[DOCUMENT] = Cell(text)
    heading.append(_Line({}, 10.0))
    pages.together(heading)

    # --- items, currency by currency
    for currency in currencies:
        titles = ["Date", "Document", "Type", "PO / reference", "Due date", "Days overdue",
                  f"Original ({currency})", f"Fees, interest and credits ({currency})",
                  f"Open amount ({currency})"]
        header_lines = max(wrapped_lines(title, widths[column], bold=True)
                           for column, title in enumerate(titles, start=1))
        header = _Line({column: Cell(title, "header") for column, title in enumerate(titles, start=1)},
                       LINE_HEIGHT * header_lines)
        lines = []
        for index in np.flatnonzero(currency_of == currency).tolist():
            text = str(reference[index])
            height = LINE_HEIGHT * wrapped_lines(text, widths[REFERENCE]) if text else LINE_HEIGHT
            lines.append(_Line({
                DATE: Cell(document_dates[index].item(), "date" + CENTER),
                DOCUMENT: Cell(str(document_ids[index])),
                TYPE: Cell(str(kinds[index]).replace("_", " ")),
                REFERENCE: Cell(text, "wrap") if text else Cell(None),
                DUE: Cell(due_dates[index].item(), "date" + CENTER) if open_items[index] > 0 else Cell(None),
                DAYS: Cell(int(days[index]), "integer") if overdue[index] else Cell(None),
                ORIGINAL: Cell(float(original_major[index]), "money"),
                ADJUSTED: Cell(float(adjusted_major[index]), "money"),
                OPEN: Cell(float(open_major[index]), "money"),
            }, height))
        first_row = pages.row + 1
        pages.flowing(header, lines)
        last_row = pages.row - 1
        first = currency == currencies[0]
        pages.together(_aging_box(settings.statement_message if first else "",
                                  settings.payment_instructions if first else "", currency, labels,
                                  bucket_amounts[currency], totals[currency], (first_row, last_row), widths))

    # --- the remittance slip, at the foot of the last page
    pages.at_foot(_slip(ledger, customer_id, name, report.as_of, totals, widths))

    company = _escape_footer(settings.company_name)
    footer = f"&L{company} · Statement for {_escape_footer(name or customer_id)}&RPage &P of &N"
    page = PageSetup(footer=footer, paper=paper, scale=scale, row_breaks=tuple(pages.breaks))
    return SheetSpec(sheet_name, key=statement_key(customer_id), cells=pages.cells, widths=widths,
                     heights=pages.heights, merges=tuple(pages.merges), page=page, date_format=date_code,
                     fitted=True)


def _aging_box(message: str, instructions: str, currency: str, labels: list[str], amounts: list[float],
               total: int, item_rows: tuple[int, int], widths: dict[int, float]) -> list[_Line]:
    """The aging of one currency as a box at the right (label, amount), with the statement message and the
    payment instructions beside it on the left."""
    first, last = item_rows
    credit = _is_credit(total)
    box = [_Line({ORIGINAL: Cell(f"Aging ({currency})", "header_left"), ADJUSTED: Cell("", "header_left"),
                  OPEN: Cell("", "header_left")})]
    for label, amount in zip(labels, amounts, strict=True):
        box.append(_Line({ORIGINAL: Cell(label), OPEN: Cell(amount, "money")}))
    formula = f"SUM({_letter(OPEN)}{first}:{_letter(OPEN)}{last})"
    box.append(_Line({ORIGINAL: Cell("Credit balance" if credit else "Total due", "total_label"),
                      ADJUSTED: Cell("", "total_label"),
                      OPEN: Cell(abs(to_major_float(total, currency)), "total_money",
                                 formula=f"-{formula}" if credit else formula)}))
    lines = [_Line({}, 10.0), *box]
    if message:
        lines[1].cells[DATE] = Cell(message, "subtitle")
    if instructions:
        span = sum(widths[column] for column in range(DOCUMENT, DUE + 1))
        needed = wrapped_lines(instructions, span)
        while len(lines) - 2 < needed:
            lines.append(_Line())
        lines[2].cells[DATE] = Cell("How to pay", "label")
        lines[2].cells[DOCUMENT] = Cell(instructions, "wrap")
        lines[2].merges = ((DOCUMENT, DUE, max(needed, len(lines) - 2)),)
    return lines


def _slip(ledger: Ledger, customer_id: str, name: str, as_of: dt.date, totals: dict[str, int],
          widths: dict[int, float]) -> list[_Line]:
    """The remittance slip: remit-to on the left; customer, date and amount due (or credit) on the right."""
    settings = ledger.settings
    remit_to = [line for line in (settings.remit_to or "\n".join([settings.company_name,
                                                                   settings.company_address])).splitlines()
                if line.strip()]
    cut = _Line({1: Cell("✂  Please return this part with your payment", "cut"),
                 **{column: Cell("", "cut") for column in range(2, COLUMNS + 1)}}, 22.0)
    left = [Cell("REMITTANCE ADVICE", "heading"), Cell("Remit to", "label"), *(Cell(line) for line in remit_to)]
    right: list[tuple[Cell, Cell | None, str]] = [
        (Cell("Customer ID", "label"), Cell(customer_id), "text"),
        (Cell("Customer", "label"), Cell(name), "wrap"),
        (Cell("Statement date", "label"), Cell(as_of, "date"), "text"),
    ]
    due = False
    for currency, total in totals.items():
        amount = abs(to_major_float(total, currency))
        if _is_credit(total):
            right.append((Cell(f"Credit balance ({currency})", "label"), Cell(amount, "money_bold"), "money"))
            right.append((Cell("Credit balance, no payment due", "label"), None, "text"))
        else:
            right.append((Cell(f"Amount due ({currency})", "label"), Cell(amount, "money_bold"), "money"))
            due = due or total > 0
    if due:
        right.append((Cell("Amount enclosed", "label"), Cell("", "blank_line"), "enclosed"))
    lines = [cut]
    value_width = widths[ORIGINAL] + widths[ADJUSTED] + widths[OPEN]
    for offset in range(max(len(left), len(right))):
        line = _Line()
        if offset < len(left):
            line.cells[DATE] = left[offset]
        if offset < len(right):
            label, value, kind = right[offset]
            line.cells[DUE] = label
            if kind == "money" and value is not None:
                line.cells[OPEN] = value
            elif kind == "enclosed" and value is not None:
                line.cells[ORIGINAL] = value
                line.cells[ADJUSTED] = Cell("", "blank_line")
                line.cells[OPEN] = Cell("", "blank_line")
            elif kind == "wrap" and value is not None:
                line.cells[ORIGINAL] = Cell(value.value, "wrap")
                line.merges = ((ORIGINAL, OPEN, 1),)
                line.height = LINE_HEIGHT * wrapped_lines(str(value.value), value_width)
            elif value is not None:
                line.cells[ORIGINAL] = value
        lines.append(line)
    return lines

