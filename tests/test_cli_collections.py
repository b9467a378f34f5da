"""The collections commands on real workbooks: letters, the worklist and forecast reports, cash application
(review sheet, --accept, idempotence) and the Collections and Forecast sheets of a refresh.

The base book (tests/books.py) at 2026-03-31: C1 owes I1 100.00 - CN1 20.00 - P1 50.00 = 30.00, due 02-04
(55 days past due); C2 owes I2 250.50 - discount 5.00 - P2 100.00 = 145.50, due 02-16 (43 days), and promised
145.50 by 03-15 on 03-02 without paying since: a broken promise (its last day, with the 3 grace days, 03-18).
Letters need a sender: ``lettered()`` adds Settings company_email.
"""

from __future__ import annotations

import csv
import email
import io
import json
import re
import shutil
import zipfile
from email import policy
from pathlib import Path

import click
import openpyxl
import pytest
from books import D, base, write_book
from click.testing import CliRunner

from arxl.cli import main
from arxl.cli.collections import apply, letters, register

AS_OF = "2026-03-31"
EVIL = '=HYPERLINK("http://evil.example","click")'


def cli() -> click.Group:
    group = click.Group("arxl")
    group.add_command(letters)
    group.add_command(apply)
    reports = click.Group("report")
    register(reports)
    group.add_command(reports)
    return group


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli(), list(arguments))
    return result.exit_code, result.output


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write_book(tmp_path / "book.xlsx", base())


def lettered() -> dict[str, list[list[object]]]:
    """The base book with a sender for letters."""
    tables = base()
    tables["Settings"].append(["company_email", "ar@test-co.example"])
    return tables


def activity_rows(path: Path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path)["Activity"]
    return [row for row in sheet.iter_rows(min_row=2, values_only=True) if any(row)]


def test_letters_are_written_as_eml_and_txt_and_logged_once(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", lettered())
    out = tmp_path / "letters"
    code, output = run("letters", str(book), "--as-of", AS_OF, "--out", str(out), "--no-pdf")
    assert code == 0, output
    assert "2 letter(s)" in output and "2 logged in Activity (from Excel row 3)" in output
    assert sorted(path.name for path in out.iterdir()) == ["C1.eml", "C1.txt", "C2.eml", "C2.txt"]
    message = email.message_from_bytes((out / "C1.eml").read_bytes(), policy=policy.default)
    # C1: 55 days past due would reach level 2 (30 days), but no letter was ever sent: the first letter is
    # level 1, the Reminder; 30.00 overdue
    assert message["To"] == "Acme Ltd <ap@acme.test>"
    assert message["Subject"] == "Payment reminder from Test Co: account C1"
    assert message["From"].addresses[0].display_name == "Test Co"
    assert message["From"].addresses[0].addr_spec == "ar@test-co.example"
    assert message["Date"] and message["Message-ID"]
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "I1" in body and "30.00" in body and "Total overdue: 30.00 USD" in body
    assert "\n\n\n" not in body  # blank Settings payment_instructions leave no hole
    assert body.rstrip().endswith("Kind regards,\nTest Co")  # no letter_signature: the company's name
    other = email.message_from_bytes((out / "C2.eml").read_bytes(), policy=policy.default)
    assert other["To"] is None and "145.50" in other.get_body(("plain",)).get_content()
    assert "no valid email" in output
    assert "Payment reminder" in (out / "C1.txt").read_text(encoding="utf-8")
    # the book's promise row, then one row per letter: date, customer, the invoice, action, the level in the note
    logged = activity_rows(book)
    assert [(row[0].date(), row[1], row[2], row[3]) for row in logged[1:]] == [
        (D(2026, 3, 31), "C1", "I1", "letter"), (D(2026, 3, 31), "C2", "I2", "letter")]
    assert logged[1][6] == "Dunning letter level 1 (Reminder): I1; 30.00 USD"
    # the same run again: the same letters, nothing logged twice
    code, output = run("letters", str(book), "--as-of", AS_OF, "--out", str(out), "--no-pdf")
    assert code == 0 and "2 letter(s)" in output and "0 logged in Activity, 2 logged before" in output
    assert len(activity_rows(book)) == 3


def test_letters_dry_run_logs_nothing_and_a_missing_sender_is_refused(tmp_path: Path, book: Path) -> None:
    out = tmp_path / "letters"
    before = book.read_bytes()
    code, output = run("letters", str(book), "--as-of", AS_OF, "--out", str(out), "--no-pdf")
    assert code == 1 and "Settings company_email is blank" in output
    assert book.read_bytes() == before and not out.exists()
    code, output = run("letters", str(book), "--as-of", AS_OF, "--out", str(out), "--no-pdf",
                       "--from", "ar@test-co.example", "--dry-run")
    assert code == 0 and "2 letter(s)" in output and "not logged (--dry-run)" in output
    assert book.read_bytes() == before


def test_letter_templates_from_the_book_render_safely(tmp_path: Path) -> None:
    tables = lettered()
    tables["DunningLevels"] = [
        ["level", "min_days", "name", "fee", "subject", "template"],
        [1, 1, "Nudge", 0, "Hello {customer_name}", "Owed {total_overdue} {currency}. {__import__} {contact.x}"],
    ]
    book = write_book(tmp_path / "book.xlsx", tables)
    out = tmp_path / "letters"
    code, output = run("letters", str(book), "--as-of", AS_OF, "--out", str(out), "--no-pdf", "--dry-run")
    assert code == 0, output
    text = email.message_from_bytes((out / "C1.eml").read_bytes(), policy=policy.default)
    assert text["Subject"] == "Hello Acme Ltd"
    assert text.get_body(("plain",)).get_content().strip() == "Owed 30.00 USD. {__import__} {contact.x}"
    assert "{__import__} was left as typed" in output


@pytest.mark.libreoffice
def test_letters_attach_the_statement_pdf(tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    book = write_book(tmp_path / "book.xlsx", lettered())
    out = tmp_path / "letters"
    code, output = run("letters", str(book), "--as-of", AS_OF, "--out", str(out))
    assert code == 0 and "2 with a statement PDF" in output, output
    message = email.message_from_bytes((out / "C1.eml").read_bytes(), policy=policy.default)
    attachments = list(message.iter_attachments())
    assert [part.get_content_type() for part in attachments] == ["application/pdf"]
    assert attachments[0].get_content().startswith(b"%PDF")


def test_worklist_report_formats(book: Path) -> None:
    code, output = run("report", "worklist", str(book), "--as-of", AS_OF, "--format", "csv")
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    # C2: 40 x 145.50/145.50 + 30 x 43/120 = 10.75 + 20 x 1/2 (broken promise) = 60.75
    # C1: 40 x 30.00/145.50 = 8.25 + 30 x 55/120 = 13.75 -> 22.00
    assert [row["customer_id"] for row in rows] == ["C2", "C1"]
    assert [row["priority"] for row in rows] == ["60.75", "22.0"]
    assert rows[0]["next_action"] == "Call: promise broken" and rows[0]["overdue"] == "145.5"
    code, output = run("report", "worklist", str(book), "--as-of", AS_OF, "--format", "json")
    data = json.loads(output)
    assert data["as_of"] == AS_OF and data["customers"][1]["collectable"] == 30.0
    code, output = run("report", "worklist", str(book), "--as-of", AS_OF)
    assert code == 0 and "Call: promise broken" in output


def test_worklist_csv_defuses_formulas(tmp_path: Path) -> None:
    tables = base()
    tables["Customers"][1][1] = EVIL
    book = write_book(tmp_path / "book.xlsx", tables)
    code, output = run("report", "worklist", str(book), "--as-of", AS_OF, "--format", "csv")
    assert code == 0, output
    names = [row["name"] for row in csv.DictReader(io.StringIO(output))]
    assert "'" + EVIL in names


def test_forecast_report_reconciles_with_open_ar(book: Path) -> None:
    code, output = run("report", "forecast", str(book), "--as-of", AS_OF, "--format", "json")
    assert code == 0, output
    data = json.loads(output)
    # open AR = 30.00 + 145.50 = 175.50, all overdue under 90 days, no history: expected now, week 1
    assert data["open_ar"] == {"USD": 175.5}
    assert round(sum(line["amount"] for line in data["lines"]), 2) == 175.5
    assert data["lines"][0]["line"] == "Week 1" and data["lines"][0]["amount"] == 175.5
    code, output = run("report", "forecast", str(book), "--as-of", AS_OF, "--format", "csv")
    assert output.splitlines()[0] == "line,kind,week_start,week_end,currency,amount,items"
    code, output = run("report", "forecast", str(book), "--as-of", AS_OF)
    assert code == 0 and "Total (open AR)" in output and "175.50" in output


def test_reports_refuse_an_invalid_book(tmp_path: Path) -> None:
    tables = base()
    tables["Invoices"][1][3] = "lots"
    book = write_book(tmp_path / "book.xlsx", tables)
    code, output = run("report", "worklist", str(book), "--as-of", AS_OF)
    assert code == 1 and "FAILED" in output


def cash_book(tmp_path: Path) -> Path:
    tables = base()
    # an unreferenced 30.00 from C1 on 03-20 with hostile remittance text: exactly I1's 30.00
    tables["Payments"].append(["P3", "C1", D(2026, 3, 20), 30.0, "", EVIL])
    return write_book(tmp_path / "book.xlsx", tables)


def _sheet_xml(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet [^>]*name="{sheet}"[^>]*r:id="([^"]+)"', workbook).group(1)
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels) or re.search(
            rf'Target="([^"]+)"[^>]*Id="{rid}"', rels)
        return archive.read("xl/" + target.group(1).lstrip("/").removeprefix("xl/")).decode()


def _applications(path: Path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path)["Applications"]
    return [row for row in sheet.iter_rows(min_row=2, values_only=True) if any(row)]


def test_apply_writes_the_review_sheet_with_text_never_formulas(tmp_path: Path) -> None:
    book = cash_book(tmp_path)
    code, output = run("apply", str(book), "--as-of", AS_OF)
    assert code == 0, output
    assert "1 payment(s) with a proposal" in output
    sheet = openpyxl.load_workbook(book)["Cash application"]
    rows = list(sheet.iter_rows(min_row=5, max_row=5, values_only=True))
    assert rows[0][1:3] == ("P3", "C1") and rows[0][7] == "I1" and rows[0][10] == 30.0
    assert rows[0][14] == "yes"  # 0.90 >= 0.80
    xml = _sheet_xml(book, "Cash application")
    # The remittance text is there, as text; the only formula is arxl's own total of what is applied, 30.00.
    assert re.findall(r"<f>(.*?)</f>", xml) == ['SUMIFS(K5:K5,$E$5:$E$5,"USD")'] and "HYPERLINK" in xml
    assert sheet["A7"].value == "Total USD" and sheet["K7"].value == '=SUMIFS(K5:K5,$E$5:$E$5,"USD")'
    assert _applications(book) == [("P2", "I2", 100, None)]  # nothing appended yet


def test_apply_accept_appends_once(tmp_path: Path) -> None:
    book = cash_book(tmp_path)
    assert run("apply", str(book), "--as-of", AS_OF)[0] == 0
    code, output = run("apply", str(book), "--as-of", AS_OF, "--accept")
    assert code == 0, output
    assert "appended 1 row(s)" in output
    rows = _applications(book)
    assert rows[0] == ("P2", "I2", 100, None)  # the user's row is untouched
    assert rows[1] == ("P3", "I1", 30, None)  # blank date: the later of the two documents' dates
    assert list(tmp_path.glob("book.bak-*.xlsx"))
    code, output = run("apply", str(book), "--as-of", AS_OF, "--accept")
    assert code == 0 and "nothing to append" in output
    assert len(_applications(book)) == 2
    code, output = CliRunner().invoke(main, ["check", str(book)]).exit_code, ""
    assert code == 0
    review = openpyxl.load_workbook(book)["Cash application"]
    assert "No unreferenced receipts" in str(review["A5"].value)


def test_apply_respects_the_minimum_confidence(tmp_path: Path) -> None:
    book = cash_book(tmp_path)
    code, output = run("apply", str(book), "--as-of", AS_OF, "--accept", "--min-confidence", "0.95")
    assert code == 0 and "nothing to append" in output
    assert len(_applications(book)) == 1


def test_refresh_writes_the_collections_and_forecast_sheets(book: Path) -> None:
    result = CliRunner().invoke(main, ["refresh", str(book), "--as-of", AS_OF, "--quiet"])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(book)
    collections = workbook["Collections"]
    assert [collections.cell(row=5, column=3).value, collections.cell(row=6, column=3).value] == ["C2", "C1"]
    assert collections.cell(row=5, column=13).value == "Call: promise broken"
    forecast = workbook["Forecast"]
    labels = {forecast.cell(row=row, column=1).value: row for row in range(5, 40)}
    assert forecast.cell(row=5, column=5).value == 175.5  # week 1
    assert forecast.cell(row=labels["Open AR USD (Aging total)"], column=5).value == 175.5
    assert forecast.cell(row=labels["Total USD"], column=5).value.startswith("=SUMIFS(")
    values = openpyxl.load_workbook(book, data_only=True)["Forecast"]
    assert values.cell(row=labels["Difference (must be 0)"], column=5).value == 0


def test_accepting_what_a_later_row_contradicts_writes_nothing(tmp_path: Path) -> None:
    # As of 2026-03-31 receipt P1 (100.00, "payment for I1") is unapplied and I1 (100.00) open, so apply proposes
    # P1 -> I1. But the book already holds an Applications row dated 2026-04-10 settling I1 from P9: with the
    # proposal added, I1 would be settled twice. The accept is refused with the loader's message, the file as
    # it was.
    book = write_book(tmp_path / "later.xlsx", {
        "Settings": [["key", "value"], ["company_name", "Test Co"], ["as_of", D(2026, 3, 31)],
                     ["auto_apply", "no"]],
        "Customers": [["customer_id", "name"], ["C1", "Acme Ltd"]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount"], ["I1", "C1", D(2026, 3, 1), 100.0]],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount", "invoice_id", "reference"],
                     ["P1", "C1", D(2026, 3, 10), 100.0, "", "payment for I1"],
                     ["P9", "C1", D(2026, 4, 10), 100.0, "", ""]],
        "Applications": [["payment_id", "invoice_id", "amount", "date"], ["P9", "I1", 100.0, D(2026, 4, 10)]],
    })
    assert CliRunner().invoke(main, ["apply", str(book)]).exit_code == 0  # the proposal, on its review sheet
    before = book.read_bytes()
    result = CliRunner().invoke(main, ["apply", str(book), "--accept"])
    assert result.exit_code == 1, result.output
    assert "would settle invoice I1 beyond its amount by 100.00" in result.output
    assert "(row 3 is one this command would append)" in " ".join(result.output.split())
    assert "nothing was written" in result.output and book.read_bytes() == before
