"""The printed open-item statement (``arxl.render.statement``): what a customer reads, page by page."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from arxl.aging import aging
from arxl.load import load_tables, raw_table_from_rows
from arxl.render.layout import printable_points
from arxl.render.sheets import statement_sheets
from arxl.render.spec import SheetSpec
from arxl.render.statement import DAYS, DOCUMENT, DUE, OPEN, ORIGINAL, REFERENCE, SLACK_POINTS

D = dt.date
AS_OF = D(2026, 6, 30)


def _ledger(extra_invoices: list[list[object]] = (), settings: list[list[object]] = ()):  # type: ignore[assignment]
    tables = {
        "Settings": [["key", "value"], ["company_name", "Test Co"], ["company_address", "1 Main St\nSpringfield"],
                     ["reporting_currency", "USD"], ["remit_to", "Test Co\nLockbox 42\nSpringfield 12345"],
                     ["payment_instructions", "Pay by transfer to account 123."], *settings],
        "Customers": [["customer_id", "name", "terms_days", "address", "email"],
                      ["C1", "Acme Ltd", 30, "9 Elm Rd\nShelbyville", "ap@acme.test"],
                      ["C2", "Beta GmbH", 30, "", ""],
                      ["C3", "Gamma & Sons", 0, "", ""]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "due_date", "po_number"],
                     ["I1", "C1", D(2026, 4, 1), 1000.0, D(2026, 5, 1), "PO-77"],
                     ["I2", "C1", D(2026, 6, 20), 500.0, D(2026, 7, 20), ""],
                     ["I3", "C2", D(2026, 5, 1), 100.0, D(2026, 5, 31), ""],
                     *extra_invoices],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id", "reference"],
                     ["P1", "C2", D(2026, 5, 15), 178.83, "I3", "cheque 5512"]],
    }
    loaded = load_tables({name: raw_table_from_rows(name, rows) for name, rows in tables.items()})
    assert loaded.ok, loaded.problems
    return loaded.ledger


def _statements(ledger) -> dict[str, SheetSpec]:  # type: ignore[no-untyped-def]
    return {spec.name: spec for spec in statement_sheets(ledger, aging(ledger, AS_OF))}


def _row_of(spec: SheetSpec, column: int, value: object) -> int:
    rows = [row for (row, col), cell in spec.cells.items() if col == column and cell.value == value]
    assert len(rows) == 1, (value, rows)
    return rows[0]


def _texts(spec: SheetSpec) -> list[str]:
    return [str(cell.value) for _, cell in sorted(spec.cells.items()) if isinstance(cell.value, str)]


def _capacity(spec: SheetSpec) -> float:
    assert spec.page is not None
    return printable_points(spec.page.paper)[1] * 100 / spec.page.scale - SLACK_POINTS


def _pages(spec: SheetSpec) -> list[range]:
    assert spec.page is not None
    last = max(row for row, _ in spec.cells)
    edges = [0, *spec.page.row_breaks, last]
    return [range(first + 1, end + 1) for first, end in itertools.pairwise(edges)]


def test_items_show_po_days_overdue_only_when_late_and_the_total_due() -> None:
    statement = _statements(_ledger())["ST C1"]
    late = _row_of(statement, DOCUMENT, "I1")
    # I1 fell due 2026-05-01: 30 days to May 31 and 30 more to June 30 = 60 days overdue.
    assert statement.cells[(late, REFERENCE)].value == "PO-77"
    assert statement.cells[(late, DAYS)].value == 60
    not_due = _row_of(statement, DOCUMENT, "I2")
    assert statement.cells[(not_due, DAYS)].value is None
    assert statement.cells[(not_due, DUE)].value == D(2026, 7, 20)
    total = _row_of(statement, ORIGINAL, "Total due")
    assert statement.cells[(total, OPEN)].value == 1500.0  # 1,000.00 + 500.00
    assert statement.cells[(total, OPEN)].formula == f"SUM(I{late}:I{not_due})"  # column I: the open amount


def test_the_slip_asks_for_the_amount_due_and_gives_the_remit_to_address() -> None:
    statement = _statements(_ledger())["ST C1"]
    texts = _texts(statement)
    assert "REMITTANCE ADVICE" in texts and "Amount enclosed" in texts
    for line in ("Remit to", "Lockbox 42", "Springfield 12345"):  # Settings remit_to, not the office address
        assert _row_of(statement, 1, line) > _row_of(statement, 1, "REMITTANCE ADVICE")
    due = _row_of(statement, DUE, "Amount due (USD)")
    assert statement.cells[(due, OPEN)].value == 1500.0
    assert statement.page is not None
    assert "Statement for Acme Ltd" in statement.page.footer and "ST C1" not in statement.page.footer
    assert (statement.page.paper, statement.date_format) == ("letter", "mm/dd/yyyy")  # a USD book


def test_a_credit_balance_reads_as_a_credit_with_no_payment_due() -> None:
    """C2: I3 100.00, then P1 178.83 naming I3: 178.83 - 100.00 = 78.83 unapplied, a credit balance."""
    statement = _statements(_ledger())["ST C2"]
    texts = _texts(statement)
    assert "Credit balance, no payment due" in texts
    assert "Amount enclosed" not in texts and not any(text.startswith("Amount due") for text in texts)
    credit = _row_of(statement, DUE, "Credit balance (USD)")
    assert statement.cells[(credit, OPEN)].value == 78.83
    box = _row_of(statement, ORIGINAL, "Credit balance")
    assert statement.cells[(box, OPEN)].value == 78.83
    payment = _row_of(statement, DOCUMENT, "P1")
    assert statement.cells[(payment, OPEN)].value == -78.83
    assert statement.cells[(payment, DAYS)].value is None and statement.cells[(payment, DUE)].value is None
    assert statement.cells[(payment, REFERENCE)].value == "cheque 5512"


def test_terms_of_zero_days_read_due_on_receipt() -> None:
    ledger = _ledger([["I9", "C3", D(2026, 6, 1), 10.0, D(2026, 6, 1), ""]])
    statement = _statements(ledger)["ST C3"]
    assert "Due on receipt" in _texts(statement)
    assert statement.page is not None and "Statement for Gamma && Sons" in statement.page.footer  # & escaped


@pytest.mark.parametrize("paper", ["letter", "a4", "legal"])
def test_a_long_statement_breaks_pages_with_the_header_repeated_and_the_slip_at_the_foot(paper: str) -> None:
    """C3 with 150 invoices: several pages; each page within its height; each page that continues the items
    starts with their header; no header without an item under it; the slip ends the last page at its foot."""
    invoices = [[f"J{number:03d}", "C3", D(2026, 1, 1) + dt.timedelta(days=number), 10.0, None, f"PO {number}"]
                for number in range(150)]
    statement = _statements(_ledger(invoices, [["paper_size", paper]]))["ST C3"]
    assert statement.page is not None and statement.page.paper == paper
    pages = _pages(statement)
    assert len(pages) >= 3
    capacity = _capacity(statement)
    for page in pages:
        assert sum(statement.heights[row] for row in page) <= capacity + 0.01
    headers = [row for (row, column), cell in statement.cells.items() if column == 1 and cell.value == "Date"]
    for row in headers:
        assert str(statement.cells[(row + 1, DOCUMENT)].value).startswith("J")  # an item under every header
    for page in pages[1:]:
        if any(str(statement.cells.get((row, DOCUMENT), "")).startswith("J") for row in page):
            assert page[0] in headers
    last = pages[-1]
    assert _row_of(statement, 1, "REMITTANCE ADVICE") in last
    used = sum(statement.heights[row] for row in last)
    assert capacity - 1.0 <= used <= capacity + 0.01  # the blank space above the slip fills the page


def test_every_customer_with_a_balance_gets_one_statement() -> None:
    assert sorted(_statements(_ledger())) == ["ST C1", "ST C2"]
