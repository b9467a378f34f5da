"""Late fees and finance charges as proposals, posted like cash application, on real workbooks: a letter logged in
Activity brings its level's fee, the Charges sheet proposes it, accepting appends it to Adjustments once (never
into a closed period), and the next statement and the next letter show it. Figures worked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from books import D, write_book
from click.testing import CliRunner

from arxl.cli import main
from arxl.postings import posting_proposals
from arxl.statements import activity_statement, open_item_statement
from arxl.verbs import charges
from arxl.verbs.books import file_book
from arxl.verbs.letters import LettersRefused, write_letters
from arxl.verbs.refresh import run_refresh
from arxl.workbook import load_book

AS_OF = dt.date(2026, 6, 30)


def fee_tables(**settings: object) -> dict[str, list[list[object]]]:
    """C1 owes I1 1,000.00 (dated 04-01, due 05-01: 60 days past due at 06-30). The first two dunning levels
    carry fees of 25.00 and 40.00."""
    rows = [["key", "value"], ["company_name", "Test Co"], ["company_email", "ar@test-co.example"],
            ["as_of", D(2026, 6, 30)]]
    rows += [[key, value] for key, value in settings.items()]
    return {
        "Settings": rows,
        "Customers": [["customer_id", "name", "email", "terms_days"], ["C1", "Acme Ltd", "ap@acme.test", 30]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount", "due_date"],
                     ["I1", "C1", D(2026, 4, 1), 1000.0, D(2026, 5, 1)]],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id"],
                     ["P0", "C1", D(2026, 3, 1), 10.0, ""]],
        "Adjustments": [["adjustment_id", "invoice_id", "date", "type", "amount", "reason"],
                        ["A0", "I1", D(2026, 4, 2), "discount", 10.0, "goodwill"]],
        "Activity": [["date", "customer_id", "invoice_id", "action", "promised_date", "promised_amount", "note"],
                     [D(2026, 5, 2), "C1", "", "note", None, None, "account opened"]],
        "DunningLevels": [["level", "min_days", "name", "fee"], [1, 1, "Reminder", 25.0],
                          [2, 30, "Second notice", 40.0]],
    }


def test_a_letters_fee_is_proposed_posted_once_and_shown_on_the_next_statement(tmp_path: Path) -> None:
    # I1 1,000.00 - discount 10.00 - P0's 10.00 (auto-applied) = 980.00 open.
    path = write_book(tmp_path / "book.xlsx", fee_tables())
    written = write_letters(file_book(path), tmp_path / "letters", as_of=None, today=AS_OF, attach=False)
    # the first letter is the Reminder (level 1): its fee is 25.00, charged on I1
    assert written.letters == 1 and written.logged == 1
    ledger = load_book(path).ledger
    proposals = posting_proposals(ledger, AS_OF)
    assert proposals[["adjustment_id", "invoice_id", "type", "amount", "refused"]].values.tolist() == [
        ["LF-2026-06-30-C1-L1", "I1", "late_fee", 2500, ""]]

    proposed = charges.propose(file_book(path), as_of=None, today=AS_OF)
    assert (proposed.late_fees, proposed.finance_charges, proposed.refused) == (1, 0, 0)
    sheet = openpyxl.load_workbook(path)["Charges"]
    header = [cell.value for cell in sheet[4]]
    row = dict(zip(header, [cell.value for cell in sheet[5]], strict=True))
    assert (row["Adjustment"], row["Amount"], row["Accept"]) == ("LF-2026-06-30-C1-L1", 25.0, "yes")

    posted = charges.accept(file_book(path), as_of=None, today=AS_OF)
    # appended on Adjustments row 3 (after A0 on row 2), for the audit trail
    assert (posted.rows, posted.first_row) == (1, 3)
    assert [(item.table, item.row, item.values["adjustment_id"], item.values["amount"])
            for item in posted.appended] == [("Adjustments", 3, "LF-2026-06-30-C1-L1", 25.0)]
    again = charges.accept(file_book(path), as_of=None, today=AS_OF)
    assert again.rows == 0  # never twice
    ledger = load_book(path).ledger
    assert ledger.adjustments["adjustment_id"].tolist() == ["A0", "LF-2026-06-30-C1-L1"]

    # The next statement: I1 open 980.00 + 25.00 = 1,005.00, of which 25.00 - 10.00 = 15.00 adjustments.
    statement = open_item_statement(ledger, "C1", AS_OF)
    item = statement.items.iloc[0]
    assert (item["document_id"], item["adjusted"], item["open_amount"]) == ("I1", 1500, 100500)
    assert statement.total_due == {"USD": 100500}
    activity = activity_statement(ledger, "C1", dt.date(2026, 6, 1), AS_OF)
    assert activity.lines[["document_id", "kind", "debit"]].values.tolist() == [
        ["LF-2026-06-30-C1-L1", "adjustment", 2500]]
    assert activity.opening_balance == {"USD": 98000} and activity.closing_balance == {"USD": 100500}
    run_refresh(file_book(path), as_of=None, today=AS_OF, only=("statements",))
    st = openpyxl.load_workbook(path)["ST C1"]
    header = next(row for row in range(1, 40) if st.cell(row=row, column=1).value == "Date")
    values = {st.cell(row=header, column=column).value: st.cell(row=header + 1, column=column).value
              for column in range(1, 10)}
    assert (values["Fees, interest and credits (USD)"], values["Open amount (USD)"]) == (15.0, 1005.0)

    # The next letter (gap 14 days: 07-14) is the Second notice; it shows the fee already charged, and its own.
    later = dt.date(2026, 7, 14)
    written = write_letters(file_book(path), tmp_path / "second", as_of=later, today=later, attach=False)
    text = (tmp_path / "second" / "C1.txt").read_text(encoding="utf-8")
    assert written.letters == 1 and "Second notice" in text
    assert "This includes late fees and interest already charged: 25.00 USD." in text
    assert "Of which charges" in text and "A late fee of 40.00 USD is charged" in text


def test_charges_are_never_posted_into_a_closed_period(tmp_path: Path) -> None:
    path = write_book(tmp_path / "book.xlsx", fee_tables())
    write_letters(file_book(path), tmp_path / "letters", as_of=None, today=AS_OF, attach=False)
    closed = fee_tables(closed_through=D(2026, 6, 30))
    closed["Activity"] = [[cell for cell in row] for row in _sheet_rows(path, "Activity")]
    path = write_book(tmp_path / "closed.xlsx", closed)
    proposed = charges.propose(file_book(path), as_of=None, today=AS_OF)
    assert proposed.refused == 1
    posted = charges.accept(file_book(path), as_of=None, today=AS_OF)
    assert posted.rows == 0
    assert posted.refused == ["LF-2026-06-30-C1-L1: dated on or before closed_through 2026-06-30: the period is "
                              "closed; post it after the close instead"]
    assert load_book(path).ledger.adjustments["adjustment_id"].tolist() == ["A0"]
    # letters of a closed period cannot be logged either (--dry-run still writes them)
    with pytest.raises(LettersRefused, match="closed_through 2026-06-30"):
        write_letters(file_book(path), tmp_path / "again", as_of=None, today=AS_OF, attach=False)


def _sheet_rows(path: Path, name: str) -> list[list[object]]:
    sheet = openpyxl.load_workbook(path)[name]
    return [[cell.value.date() if isinstance(cell.value, dt.datetime) else cell.value for cell in row]
            for row in sheet.iter_rows() if any(cell.value is not None for cell in row)]


def test_finance_charges_from_the_command_line(tmp_path: Path) -> None:
    # 1.5% a month on 980.00 overdue all June (05-31 .. 06-30 charged from 06-01: 30 days):
    # 98,000 cents x 30 days x 0.18 / 365 = 1,449.86 -> 1,450 cents = 14.50
    path = write_book(tmp_path / "book.xlsx", fee_tables(finance_charge_rate=0.015))
    runner = CliRunner()
    result = runner.invoke(main, ["charges", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 late fee(s) and 1 finance charge(s) as of 2026-06-30" in result.output
    result = runner.invoke(main, ["charges", str(path), "--accept"])
    assert result.exit_code == 0 and "appended 1 row(s) to Adjustments (from Excel row 3)" in result.output
    adjustments = load_book(path).ledger.adjustments
    assert adjustments[["adjustment_id", "type", "amount"]].values.tolist()[-1] == [
        "FC-2026-06-30-I1", "finance_charge", 1450]
    result = runner.invoke(main, ["charges", str(path), "--accept"])
    assert result.exit_code == 0 and "nothing to post" in result.output
