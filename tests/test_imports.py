"""arxl.imports and arxl.workbook.source: real-shaped exports of each profile, mapped, checked and planned.

Each fixture is written here from the column layout documented in ``arxl.imports`` (title rows, grouping rows and
totals included, as the systems export them); the expected figures are read off the fixture by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from books import base, write_book
from openpyxl import Workbook

from arxl import contract
from arxl.imports import (
    ColumnMapping,
    ImportPlan,
    IncomingRows,
    MappingError,
    SourceInfo,
    header_probe,
    mapping_from_toml,
    plan_import,
    prepare_rows,
    profile_mapping,
)
from arxl.workbook import build_template
from arxl.workbook.read import read_raw_tables
from arxl.workbook.source import detect_encoding, read_source

D = dt.date

QUICKBOOKS_CSV = """Northwind Components Ltd
Open Invoices
"As of June 30, 2026"

,Date,Transaction Type,Num,Customer,P.O. #,Terms,Due Date,Aging,Open Balance
Acme Ltd,,,,,,,,,
,05/02/2026,Invoice,1001,Acme Ltd,PO-77,Net 30,06/01/2026,29,"1,250.00"
,05/20/2026,Credit Memo,CM-1001,Acme Ltd,,,05/20/2026,,-120.00
,06/10/2026,Payment,,Acme Ltd,,,06/10/2026,,-50.00
Total for Acme Ltd,,,,,,,,,"1,080.00"
Beta GmbH,,,,,,,,,
,06/13/2026,Invoice,1002,Beta GmbH,,Net 15,06/28/2026,2,980.40
Total for Beta GmbH,,,,,,,,,980.40
TOTAL,,,,,,,,,"2,060.40"
"""

ERPNEXT_CSV = (
    "ID;Customer;Customer Name;Posting Date;Due Date;Currency;Grand Total;Outstanding Amount;"
    "Is Return (Credit Note);Return Against;Status;PO No\n"
    "ACC-SINV-2026-00001;00123;Müller GmbH;15-01-2026;14-02-2026;EUR;1.234,50;1.234,50;0;;Unpaid;\n"
    "ACC-SINV-2026-00002;NA;Société Nationale;20-01-2026;19-02-2026;EUR;500,00;380,00;0;;Partly Paid;PO-9\n"
    "ACC-SINV-2026-00003;00123;Müller GmbH;25-01-2026;25-01-2026;EUR;-120,00;0,00;1;ACC-SINV-2026-00001;"
    "Return;\n"
    "ACC-SINV-2026-00004;123;Plain 123 AG;01-02-2026;03-03-2026;EUR;75,25;75,25;0;;Cancelled;\n"
    "ACC-SINV-2026-00005;123;Plain 123 AG;02-02-2026;04-03-2026;EUR;10,00;10,00;0;;Draft;\n"
)


def read(path: Path, mapping: ColumnMapping, **options: object) -> IncomingRows:
    rows = read_source(path, probe=header_probe(mapping), **options)
    return prepare_rows(rows.rows, rows.numbers, mapping, SourceInfo(rows.name, rows.unit))


def plan(book: Path, incoming: IncomingRows, **options: bool) -> ImportPlan:
    raw, date1904, _problems = read_raw_tables(book)
    return plan_import(incoming, raw, date1904=date1904, **options)


# --- the package -----------------------------------------------------------------------------------------------

def test_the_package_exports_its_public_names_and_only_those() -> None:
    import arxl.imports as package

    submodules = {"mapping", "rows", "plan"}
    public = {name for name in vars(package) if not name.startswith("_")} - submodules - {"annotations"}
    assert set(package.__all__) == public
    for name in package.__all__:
        value = getattr(package, name)
        if callable(value):  # classes and functions live in the package's modules, not elsewhere
            assert value.__module__.rsplit(".", 1) in [["arxl.imports", module] for module in submodules], name


# --- reading files ----------------------------------------------------------------------------------------------

def test_encodings_are_detected_from_marks_and_content() -> None:
    assert detect_encoding("é".encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding("é".encode("utf-16")) == "utf-16"
    assert detect_encoding("a;é".encode()) == "utf-8"
    assert detect_encoding("a;é".encode("cp1252")) == "cp1252"
    assert detect_encoding("a,b".encode("utf-16-le")) == "utf-16-le"


def test_semicolon_file_with_decimal_commas_is_not_split_on_commas(tmp_path: Path) -> None:
    # csv.Sniffer alone picks "," here (every line has exactly one): the header decides.
    path = tmp_path / "x.csv"
    path.write_bytes(b"invoice_id;customer_id;invoice_date;amount\nI1;C1;2026-01-05;12,50\n")
    mapping = profile_mapping("generic", contract.INVOICES)
    rows = read_source(path, probe=header_probe(mapping))
    assert rows.delimiter == ";" and rows.rows[1] == ["I1", "C1", "2026-01-05", "12,50"]


def test_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('invoice_id,customer_id,invoice_date,amount,description\n\nI1,C1,2026-01-05,1,"two\nlines"\n'
                    "I2,C1,2026-01-05,1,x\n", encoding="utf-8")
    incoming = read(path, profile_mapping("generic", contract.INVOICES))
    assert incoming.lines.tolist() == [3, 5]  # a blank line 2, and I1's quoted value spans lines 3-4


# --- profiles ---------------------------------------------------------------------------------------------------

def test_quickbooks_open_invoices_skips_headings_totals_and_payments(tmp_path: Path) -> None:
    path = tmp_path / "open-invoices.csv"
    path.write_text(QUICKBOOKS_CSV, encoding="utf-8-sig")
    incoming = read(path, profile_mapping("quickbooks-open-invoices", contract.INVOICES))
    assert not incoming.problems
    assert incoming.lines.tolist() == [7, 8, 12]
    assert incoming.values["invoice_id"].tolist() == ["1001", "CM-1001", "1002"]
    assert incoming.values["type"].tolist() == ["invoice", "credit_note", "invoice"]
    assert incoming.values["amount"].tolist() == [1250.0, -120.0, 980.4]
    assert incoming.values["invoice_date"][0] == np.datetime64("2026-05-02")  # 05/02 is May 2nd (m/d/y)
    assert incoming.values["po_number"][0] == "PO-77"
    # Two customer headings and the TOTAL row have no Num; the Payment row is cash, not an invoice.
    assert incoming.skipped == {"no Num (headings, totals)": 3, "Transaction Type is Payment": 1}


def xero_workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Aged Receivables Detail"
    rows = [
        ["Aged Receivables Detail"], ["Demo Company (UK)"], ["As at 30 June 2026"], [],
        ["Invoice Date", "Invoice Number", "Invoice Reference", "Due Date", "Contact", "Current", "< 1 Month",
         "1 Month", "2 Months", "3 Months", "Older", "Total"],
        [None, None, None, None, "Acme Ltd"],
        [D(2026, 4, 2), "INV-0041", "PO 55", D(2026, 5, 2), "Acme Ltd", 0, 0, 315.5, 0, 0, 0, 315.5],
        ["15 Jun 2026", "INV-0057", None, "15/07/2026", "Acme Ltd", 1200, 0, 0, 0, 0, 0, 1200],
        [D(2026, 6, 20), "CN-0009", None, D(2026, 6, 20), "Acme Ltd", -40, 0, 0, 0, 0, 0, -40],
        [None, None, None, None, "Total Acme Ltd", 1160, 0, 315.5, 0, 0, 0, 1475.5],
        [None, None, None, None, "Total", 1160, 0, 315.5, 0, 0, 0, 1475.5],
    ]
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xero_aged_receivables_from_an_xlsx_report(tmp_path: Path) -> None:
    incoming = read(xero_workbook(tmp_path / "aged.xlsx"), profile_mapping("xero-aged-receivables",
                                                                          contract.INVOICES))
    assert not incoming.problems
    assert incoming.source.unit == "row" and incoming.lines.tolist() == [7, 8, 9]
    assert incoming.values["invoice_id"].tolist() == ["INV-0041", "INV-0057", "CN-0009"]
    assert incoming.values["customer_id"].tolist() == ["Acme Ltd"] * 3
    assert incoming.values["amount"].tolist() == [315.5, 1200.0, -40.0]
    assert incoming.values["invoice_date"][1] == np.datetime64("2026-06-15")  # text "15 Jun 2026"
    assert incoming.values["due_date"][1] == np.datetime64("2026-07-15")  # text 15/07/2026, day first
    assert incoming.skipped == {"no Invoice Number (headings, totals)": 3}


def test_erpnext_semicolons_cp1252_and_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "sales-invoice.csv"
    path.write_bytes(ERPNEXT_CSV.encode("cp1252"))
    mapping = profile_mapping("erpnext-sales-invoice", contract.INVOICES)
    rows = read_source(path, probe=header_probe(mapping))
    assert (rows.encoding, rows.delimiter) == ("cp1252", ";")
    from dataclasses import replace

    incoming = prepare_rows(rows.rows, rows.numbers, replace(mapping, decimal_comma=True, date_order="dmy"),
                            SourceInfo(rows.name))
    assert not incoming.problems
    assert incoming.values["customer_id"].tolist() == ["00123", "NA", "00123", "123"]  # zeros and NA kept
    assert incoming.customer_names.tolist()[:2] == ["Müller GmbH", "Société Nationale"]
    assert incoming.values["amount"].tolist() == [1234.5, 500.0, -120.0, 75.25]
    assert incoming.values["type"].tolist() == ["invoice", "invoice", "credit_note", "invoice"]
    assert incoming.values["applies_to"][2] == "ACC-SINV-2026-00001"
    assert incoming.values["status"].tolist() == ["", "", "", "void"]
    assert incoming.values["due_date"][0] == np.datetime64("2026-02-14")
    assert incoming.skipped == {"Status is Draft": 1}


def test_erpnext_without_decimal_comma_names_the_line_and_the_option(tmp_path: Path) -> None:
    path = tmp_path / "sales-invoice.csv"
    path.write_bytes(ERPNEXT_CSV.encode("cp1252"))
    incoming = read(path, profile_mapping("erpnext-sales-invoice", contract.INVOICES))
    first = [str(problem) for problem in incoming.problems if problem.row == 2]
    assert first == ['sales-invoice.csv line 2, amount: "1.234,50" is not an amount; for amounts written '
                     "1.234,56 use --decimal-comma (or decimal_comma = true) (expected an amount such as 1234.56)"]


def test_generic_parquet_payments_keep_text_ids(tmp_path: Path) -> None:
    path = tmp_path / "payments.parquet"
    pd.DataFrame({"Payment ID": ["R-001", "R-002"], "Customer ID": ["00123", "NA"],
                  "Payment Date": pd.to_datetime(["2026-02-01", "2026-02-03"]), "Amount": [100.0, 20.5],
                  "Reference": ["=HYPERLINK(\"x\")", None]}).to_parquet(path)
    incoming = read(path, profile_mapping("generic", contract.PAYMENTS))
    assert not incoming.problems
    assert incoming.lines.tolist() == [1, 2]
    assert incoming.values["customer_id"].tolist() == ["00123", "NA"]
    assert incoming.values["payment_date"].astype("datetime64[D]").astype(str).tolist() == ["2026-02-01",
                                                                                           "2026-02-03"]
    assert incoming.values["reference"].tolist() == ['=HYPERLINK("x")', ""]


# --- mapping files ----------------------------------------------------------------------------------------------

BANK_MAPPING = """
table = "payments"
date_order = "dmy"
decimal_comma = true
amount_sign = "negate"
skip_blank = ["Ref"]

[columns]
payment_id = "Ref"
customer_id = ["Account", "Debtor"]
payment_date = "Booked"
amount = "Amount"
reference = "Text"

[constants]
currency = "EUR"
method = "transfer"

[keep]
"Kind" = ["credit"]
"""


def test_a_mapping_file_with_constants_signs_and_filters(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text("Ref;Booked;Debtor;Amount;Text;Kind\nB1;03/02/2026;C1;-1.000,00;Inv I1;credit\n"
                    "B2;04/02/2026;C2;5,00;fee;debit\n;;;;;\n", encoding="utf-8")
    mapping = mapping_from_toml(BANK_MAPPING, contract.PAYMENTS, "bank.toml")
    incoming = read(path, mapping)
    assert not incoming.problems
    assert incoming.values["amount"].tolist() == [1000.0]
    assert incoming.values["currency"].tolist() == ["EUR"] and incoming.values["method"].tolist() == ["transfer"]
    assert incoming.values["payment_date"][0] == np.datetime64("2026-02-03")
    assert incoming.headers["customer_id"] == "Debtor" and incoming.headers["currency"] == "(constant)"
    assert incoming.skipped == {"Kind not credit": 1}


@pytest.mark.parametrize(("text", "message"), [
    ('[columns]\ninvoice_id = "No"', "maps no column to customer_id, invoice_date, amount"),
    ('table = "payments"\n[columns]\ninvoice_id = "No"', "is a mapping for payments, not invoices"),
    ('[columns]\nnonsense = "X"', "nonsense: not a column of Invoices"),
    ('date_order = "dym"\nby_name = true', "date_order = 'dym'"),
    ("colums = 1", "unknown key(s) colums"),
    ("by_name = [", "is not valid TOML"),
])
def test_bad_mappings_say_what_to_change(text: str, message: str) -> None:
    with pytest.raises(MappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        mapping_from_toml(text, contract.INVOICES, "m.toml")


def test_a_file_without_the_needed_header_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Number,Client,Date\n1,C1,2026-01-01\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"missing invoice_id \(Num\); customer_id \(Customer\); amount "
                                           r"\(Open Balance or Amount\). The closest row holds: Number, Client"):
        read(path, profile_mapping("quickbooks-open-invoices", contract.INVOICES))


# --- dates and amounts ------------------------------------------------------------------------------------------

def write_generic(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "invoices.csv"
    path.write_text("invoice_id,customer_id,invoice_date,amount,due_date\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


def test_date_order_is_inferred_from_the_whole_file(tmp_path: Path) -> None:
    path = write_generic(tmp_path, ["I1,C1,03/04/2026,1,", "I2,C1,13/04/2026,1,", "I3,C1,2026-04-05,1,"])
    incoming = read(path, profile_mapping("generic", contract.INVOICES))
    assert incoming.values["invoice_date"].astype("datetime64[D]").astype(str).tolist() == [
        "2026-04-03", "2026-04-13", "2026-04-05"]
    assert incoming.notes == ["dates read day/month/year (a day above 12 comes first on line 3)"]


def test_ambiguous_dates_are_refused_without_an_order(tmp_path: Path) -> None:
    path = write_generic(tmp_path, ["I1,C1,03/04/2026,1,", "I2,C1,05/06/2026,1,"])
    incoming = read(path, profile_mapping("generic", contract.INVOICES))
    assert [str(problem) for problem in incoming.problems] == [
        "invoices.csv: dates such as the one on line 2 could be day/month or month/day, and nothing in the file "
        "decides it (expected --date-order dmy or mdy (or date_order in the mapping))"]
    assert {column for _index, column in incoming.failed} == {"invoice_date"}


def test_dates_proving_both_orders_are_refused_once_for_the_file(tmp_path: Path) -> None:
    # 13/04 is day first, 04/13 month first: no order reads the file; 31/02 is left with them, unread.
    path = write_generic(tmp_path, ["I1,C1,13/04/2026,1,", "I2,C1,04/13/2026,1,", "I3,C1,31/02/2026,1,",
                                    "I4,C1,2026-01-01,1,"])
    incoming = read(path, profile_mapping("generic", contract.INVOICES))
    assert [str(problem) for problem in incoming.problems] == [
        "invoices.csv: the dates mix day-first and month-first forms (expected --date-order dmy or mdy (or "
        "date_order in the mapping))"]
    assert sorted(incoming.failed) == [(0, "invoice_date"), (1, "invoice_date"), (2, "invoice_date")]
    assert str(incoming.values["invoice_date"][3].astype("datetime64[D]")) == "2026-01-01"


@pytest.mark.parametrize(("typed", "read_as"), [
    ("1,234.50", 1234.5), ("$1,234.50", 1234.5), ("(250.00)", -250.0), ("250.00-", -250.0), ("USD 12", 12.0),
    ("-0.5", -0.5), (".25", 0.25), ("1e3", 1000.0), ("usd 12", 12.0), ("1'234.50", 1234.5), ("$(5.00)", -5.0),
])
def test_amounts_as_exports_write_them(tmp_path: Path, typed: str, read_as: float) -> None:
    path = write_generic(tmp_path, [f'I1,C1,2026-01-05,"{typed}",'])
    incoming = read(path, profile_mapping("generic", contract.INVOICES))
    assert not incoming.problems and incoming.values["amount"].tolist() == [read_as]


@pytest.mark.parametrize(("typed", "message"), [
    ("(-250.00)", "is not an amount"),  # two signs: refused, not guessed (was read as +250)
    ("1'2'3", "is not an amount"),  # apostrophes only group thousands in threes (was read as 123)
    ("xyz12", "is not an amount"),  # no ISO 4217 code (was read as 12)
    ("12,50", "is not an amount; for amounts written 1.234,56 use --decimal-comma (or decimal_comma = true)"),
])
def test_amounts_the_grammar_refuses_name_the_line(tmp_path: Path, typed: str, message: str) -> None:
    path = write_generic(tmp_path, [f'I1,C1,2026-01-05,"{typed}",'])
    incoming = read(path, profile_mapping("generic", contract.INVOICES))
    assert [(problem.row, problem.column, problem.value, problem.message) for problem in incoming.problems] == [
        (2, "amount", typed, message)]


def test_with_a_decimal_comma_a_decimal_point_is_named(tmp_path: Path) -> None:
    path = write_generic(tmp_path, ['I1,C1,2026-01-05,"1,234.56",'])
    from dataclasses import replace

    mapping = replace(profile_mapping("generic", contract.INVOICES), decimal_comma=True)
    assert [problem.message for problem in read(path, mapping).problems] == [
        "is not an amount; this import reads decimal commas (1.234,56): leave out --decimal-comma?"]


def test_dates_the_file_cannot_hold_in_any_order_are_each_refused(tmp_path: Path) -> None:
    # 13/13 is no date either way round, so it proves no order (it used to fail the whole file as a mix of
    # orders); 04/04 is the same date either way round.
    path = write_generic(tmp_path, ["I1,C1,13/13/2026,1,", "I2,C1,04/04/2026,1,", "I3,C1,2026-02-30,1,"])
    incoming = read(path, profile_mapping("generic", contract.INVOICES))
    assert [str(problem) for problem in incoming.problems] == [
        'invoices.csv line 2, invoice_date: "13/13/2026" is not a date (expected a date such as 2026-02-28)',
        'invoices.csv line 4, invoice_date: "2026-02-30" is not a date (expected a date such as 2026-02-28)']
    assert str(incoming.values["invoice_date"][1].astype("datetime64[D]")) == "2026-04-04"  # the same either way


# --- planning against a book ------------------------------------------------------------------------------------

def test_new_rows_land_after_the_table_and_problems_name_source_lines(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    path = write_generic(tmp_path, ["I7,C1,2026-03-01,10,", "I8,C9,2026-03-02,20,",
                                    "I9,C1,2026-03-05,5,2026-03-01"])
    result = plan(book, read(path, profile_mapping("generic", contract.INVOICES)))
    assert result.first_row == 5  # base() has Invoices rows 2-4
    assert [str(problem) for problem in result.errors] == [
        'invoices.csv line 3, customer_id: "C9" is not a known customer (expected a customer_id listed in the '
        "Customers table)",
        'invoices.csv line 4, due_date: "2026-03-01" is before the invoice date (expected a due date on or after '
        "invoice_date)"]


def test_identical_rows_are_already_imported_and_changed_ones_conflict(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    # I1 as in the book (blank due date = terms; 100 typed 100.00); I2 with another amount and due date.
    path = write_generic(tmp_path, ["I1,C1,2026-01-05,100.00,2026-02-04", "I2,C2,2026-02-01,260.50,2026-02-20",
                                    "I3,C2,2026-03-01,1,"])
    incoming = read(path, profile_mapping("generic", contract.INVOICES))
    result = plan(book, incoming)
    assert result.already == 1 and len(result.rows) == 1 and result.rows["invoice_id"].tolist() == ["I3"]
    (conflict,) = result.conflicts
    assert (conflict.line, conflict.key, conflict.book_row) == (3, "I2", 3)
    assert conflict.differences == (("amount", "250.50", "260.50"), ("due_date", "2026-02-16", "2026-02-20"))
    assert len(result.errors) == 2 and not result.ok
    skipping = plan(book, incoming, skip_conflicts=True)
    assert skipping.ok and len(skipping.conflicts) == 1 and len(skipping.rows) == 1


def test_a_repeated_id_in_the_file(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    path = write_generic(tmp_path, ["I5,C1,2026-03-01,10,", "I5,C1,2026-03-01,10,", "I5,C1,2026-03-01,11,"])
    result = plan(book, read(path, profile_mapping("generic", contract.INVOICES)))
    assert result.repeated == 1
    assert [str(problem) for problem in result.errors] == [
        'invoices.csv line 4, invoice_id: "I5" is also on line 2 with other content (expected each invoice_id '
        "once)"]


def test_create_customers_takes_names_and_a_single_currency(tmp_path: Path) -> None:
    path = tmp_path / "sales-invoice.csv"
    path.write_bytes(ERPNEXT_CSV.encode("cp1252"))
    mapping = profile_mapping("erpnext-sales-invoice", contract.INVOICES)
    from dataclasses import replace

    incoming = read(path, replace(mapping, decimal_comma=True, date_order="dmy"))
    book = build_template(tmp_path / "book.xlsx")
    refused = plan(book, incoming)
    assert {str(problem).split(":")[0] for problem in refused.errors} == {
        "sales-invoice.csv line 2, customer_id", "sales-invoice.csv line 3, customer_id",
        "sales-invoice.csv line 4, customer_id", "sales-invoice.csv line 5, customer_id"}
    created = plan(book, incoming, create_customers=True)
    assert created.ok, created.problems
    assert created.customers.to_dict("list") == {
        "customer_id": ["00123", "NA", "123"], "name": ["Müller GmbH", "Société Nationale", "Plain 123 AG"],
        "currency": ["EUR", "EUR", "EUR"]}
    assert created.customers_first_row == 2
    # The loader's warning that 00123 and 123 may be one account arrives on the file's line.
    assert any("00123" in str(problem) and "different ids" in str(problem) for problem in created.problems)


def test_a_book_with_errors_of_its_own_is_refused(tmp_path: Path) -> None:
    tables = base()
    tables["Payments"][1][1] = "C9"
    book = write_book(tmp_path / "book.xlsx", tables)
    path = write_generic(tmp_path, ["I7,C1,2026-03-01,10,"])
    result = plan(book, read(path, profile_mapping("generic", contract.INVOICES)))
    assert result.book_errors and {problem.sheet for problem in result.errors} == {"Payments"}


def test_a_column_the_book_lacks_is_an_error(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())  # base()'s Invoices has no po_number column
    path = tmp_path / "invoices.csv"
    path.write_text("invoice_id,customer_id,invoice_date,amount,po_number\nI7,C1,2026-03-01,10,PO-1\n",
                    encoding="utf-8")
    result = plan(book, read(path, profile_mapping("generic", contract.INVOICES)))
    assert [problem.message for problem in result.errors] == [
        "the book's Invoices table has no po_number column, and the file fills it"]
