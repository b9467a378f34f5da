"""``arxl refresh``: generated sheets written surgically; everything of the user's survives byte for byte."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from books import D, base, write_book
from click.testing import CliRunner
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from arxl.cli import main
from arxl.errors import SaveRefused
from arxl.verbs.refresh import run_refresh
from arxl.workbook.book import FileBook
from arxl.workbook.bookxml import Relationships, WorkbookXml
from arxl.workbook.package import resolve_target

AS_OF = "2026-03-31"
VBA_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8  # stands in for a VBA project
RIBBON = ('<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui"><ribbon><tabs>'
          '<tab id="arxlTab" label="AR"><group id="g" label="AR"><button id="refresh" label="Refresh" '
          'onAction="ArxlRibbon"/></group></tab></tabs></ribbon></customUI>')
RIBBON14 = RIBBON.replace("2006/01/customui", "2009/07/customui")


def _png() -> bytes:
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _add_zip_parts(path: Path) -> None:
    """Add what openpyxl cannot write: a VBA project, both ribbon parts with their relationships."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    types = parts["[Content_Types].xml"].decode()
    types = types.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                          "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    types = types.replace("</Types>", '<Default Extension="bin" '
                                      'ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    parts["[Content_Types].xml"] = types.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode().replace(
        "</Relationships>", '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
                            'vbaProject" Target="vbaProject.bin"/></Relationships>')
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    parts["xl/vbaProject.bin"] = VBA_BYTES
    parts["customUI/customUI.xml"] = RIBBON.encode()
    parts["customUI/customUI14.xml"] = RIBBON14.encode()
    root = parts["_rels/.rels"].decode().replace(
        "</Relationships>",
        '<Relationship Id="rIdUi" Type="http://schemas.microsoft.com/office/2006/relationships/ui/extensibility" '
        'Target="customUI/customUI.xml"/><Relationship Id="rIdUi14" '
        'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility" '
        'Target="customUI/customUI14.xml"/></Relationships>')
    parts["_rels/.rels"] = root.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def rich_book(folder: Path) -> Path:
    """The small valid book plus a user sheet with formulas, a chart, an image, a comment, validation,
    conditional formatting and defined names, saved as .xlsm with a VBA project and two ribbon parts."""
    path = write_book(folder / "book.xlsx", base())
    book = openpyxl.load_workbook(path)
    mine = book.create_sheet("My analysis")
    mine["A1"] = "Invoiced"
    mine["B1"] = "=SUM(Invoices!D2:D4)"
    mine["A2"] = "Count"
    mine["B2"] = "=COUNTA(Invoices!A2:A4)"
    mine["A1"].comment = Comment("My own note", "Controller")
    for row, (label, value) in enumerate([("Q1", 10), ("Q2", 20), ("Q3", 15)], start=4):
        mine.cell(row=row, column=1, value=label)
        mine.cell(row=row, column=2, value=value)
    chart = BarChart()
    chart.add_data(Reference(mine, min_col=2, min_row=4, max_row=6))
    chart.set_categories(Reference(mine, min_col=1, min_row=4, max_row=6))
    mine.add_chart(chart, "D2")
    image_path = folder / "logo.png"
    image_path.write_bytes(_png())
    mine.add_image(Image(str(image_path)), "D20")
    validation = DataValidation(type="list", formula1='"yes,no"')
    validation.add("C4:C6")
    mine.add_data_validation(validation)
    mine.conditional_formatting.add("B4:B6", CellIsRule(operator="greaterThan", formula=["12"],
                                                          fill=PatternFill("solid", fgColor="FFC7CE")))
    book.defined_names["my_total"] = DefinedName("my_total", attr_text="'My analysis'!$B$1")
    mine.defined_names["local_name"] = DefinedName("local_name", attr_text="'My analysis'!$B$2")
    book.save(path)
    xlsm = folder / "book.xlsm"
    path.rename(xlsm)
    _add_zip_parts(xlsm)
    return xlsm


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def _refresh(path: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["refresh", str(path), "--as-of", AS_OF, "--quiet", *extra])
    assert result.exit_code == 0, result.output


ALLOWED_TO_CHANGE = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                     "docProps/custom.xml", "_rels/.rels", "xl/calcChain.xml"}


def _is_arxl_part(name: str) -> bool:
    return Path(name).name.startswith("arxl-")


def test_every_part_arxl_does_not_own_is_byte_identical(tmp_path: Path) -> None:
    book = rich_book(tmp_path)
    before = _parts(book)
    _refresh(book)
    after = _parts(book)
    for name, data in before.items():
        if name in ALLOWED_TO_CHANGE:
            continue
        assert name in after, f"{name} was dropped"
        assert after[name] == data, f"{name} changed"
    # the parts that hold the user's things, named explicitly so a regression reads clearly
    for name in ("xl/vbaProject.bin", "customUI/customUI.xml", "customUI/customUI14.xml", "xl/charts/chart1.xml",
                 "xl/media/image1.png", "xl/comments/comment1.xml", "xl/worksheets/sheet8.xml"):
        assert after[name] == before[name], name
    added = set(after) - set(before)
    assert added and all(_is_arxl_part(name) or name == "docProps/custom.xml" for name in added), added


def test_relationships_and_names_survive(tmp_path: Path) -> None:
    book = rich_book(tmp_path)
    before = _parts(book)
    _refresh(book)
    after = _parts(book)
    root = after["_rels/.rels"].decode()
    assert "customUI/customUI.xml" in root and "customUI/customUI14.xml" in root
    assert "vbaProject.bin" in after["xl/_rels/workbook.xml.rels"].decode()
    kept = {(item.id, item.type, item.target)
            for item in Relationships.parse(after["xl/_rels/workbook.xml.rels"]).items}
    for item in Relationships.parse(before["xl/_rels/workbook.xml.rels"]).items:
        if not item.type.endswith("/calcChain"):  # dropped on purpose: Excel rebuilds it
            assert (item.id, item.type, item.target) in kept
    workbook = after["xl/workbook.xml"].decode()
    assert "my_total" in workbook and "local_name" in workbook
    assert "macroEnabled" in after["[Content_Types].xml"].decode()
    reopened = openpyxl.load_workbook(book, keep_vba=True)
    assert reopened["My analysis"]["B1"].value == "=SUM(Invoices!D2:D4)"
    assert "my_total" in reopened.defined_names
    local = reopened["My analysis"].defined_names
    assert "local_name" in local  # still attached to its own sheet after sheets were added
    assert reopened["My analysis"].data_validations.dataValidation
    assert reopened["My analysis"].conditional_formatting


def test_second_refresh_changes_nothing(tmp_path: Path) -> None:
    book = rich_book(tmp_path)
    _refresh(book)
    once = _parts(book)
    styles_once = once["xl/styles.xml"]
    _refresh(book)
    twice = _parts(book)
    assert set(once) == set(twice)
    changed = [name for name in once if once[name] != twice[name] and name != "docProps/core.xml"]
    assert changed == []
    assert len(twice["xl/styles.xml"]) == len(styles_once)


def test_generated_sheets_and_their_figures(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", base())
    _refresh(book)
    workbook = openpyxl.load_workbook(book)
    for name in ("Dashboard", "Aging", "Aging Detail", "Checks", "ST C1", "ST C2"):
        assert name in workbook.sheetnames, name
    aging = workbook["Aging"]
    header = [cell.value for cell in aging[4]]
    assert header[:10] == ["Customer ID", "Customer", "Currency", "Current", "1-30", "31-60", "61-90", "Over 90",
                           "Unapplied", "Total"]
    rows = {row[0]: row for row in aging.iter_rows(min_row=5, max_row=6, values_only=True)}
    # C1 at 2026-03-31: I1 100.00 - CN1 20.00 (applies_to) - P1 50.00 = 30.00, due 2026-02-04: 55 days -> 31-60
    assert rows["C1"][5] == 30.0 and rows["C1"][9] == 30.0
    # C2: I2 250.50 - discount 5.00 - P2 100.00 (application) = 145.50, due 2026-02-16: 43 days -> 31-60
    assert rows["C2"][5] == 145.5 and rows["C2"][9] == 145.5
    checks = workbook["Checks"]
    results = [row[5] for row in checks.iter_rows(min_row=5, values_only=True) if row[0]]
    assert results and set(results) == {"PASS"}
    statement = workbook["ST C1"]
    texts = [cell for row in statement.iter_rows(values_only=True) for cell in row if cell is not None]
    assert "STATEMENT" in texts and 30.0 in texts


def test_aging_detail_explains_each_open_amount_and_ties_its_totals_to_aging(tmp_path: Path) -> None:
    """As of 2026-03-31: C1's I1 100.00 - CN1 20.00 - P1 50.00 = 30.00; C2's I2 250.50 - discount 5.00 - P2
    100.00 = 145.50. Original + Adjustments + Applied = Open amount on each line; each customer's last line
    carries its total; the totals row: 350.50 - 5.00 - 170.00 = 175.50, the Aging sheet's Total."""
    book = write_book(tmp_path / "b.xlsx", base())
    _refresh(book)
    values = openpyxl.load_workbook(book, data_only=True)
    detail = values["Aging Detail"]
    header = [cell.value for cell in detail[4]]
    column = {name: header.index(name) for name in header if name}
    lines = {row[column["Document"]]: row for row in detail.iter_rows(min_row=5, max_row=6, values_only=True)}
    assert [lines["I1"][column[name]] for name in ("Original", "Adjustments", "Applied", "Open amount")] == \
        [100.0, 0.0, -70.0, 30.0]
    assert [lines["I2"][column[name]] for name in ("Original", "Adjustments", "Applied", "Open amount")] == \
        [250.5, -5.0, -100.0, 145.5]
    assert (lines["I1"][column["Customer total"]], lines["I2"][column["Customer total"]]) == (30.0, 145.5)
    totals = next(row for row in detail.iter_rows(min_row=7, values_only=True) if row[0] == "Total USD")
    assert [totals[column[name]] for name in ("Original", "Adjustments", "Applied", "Open amount")] == \
        [350.5, -5.0, -170.0, 175.5]
    aging_total = next(row for row in values["Aging"].iter_rows(min_row=5, values_only=True) if row[0] == "Total")
    assert aging_total[9] == totals[column["Open amount"]] == 175.5
    formulas = openpyxl.load_workbook(book)["Aging Detail"]
    open_letter = openpyxl.utils.get_column_letter(column["Open amount"] + 1)
    assert formulas[f"{open_letter}8"].value == f'=SUMIFS({open_letter}5:{open_letter}6,$J$5:$J$6,"USD")'


def test_statement_of_a_settled_customer_is_removed(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", base())
    _refresh(book)
    assert "ST C1" in openpyxl.load_workbook(book).sheetnames
    # The user records C1's final payment in the same book (Excel would extend the table the same way).
    edited = openpyxl.load_workbook(book)
    payments = edited["Payments"]
    payments.append(["P3", "C1", dt.datetime(2026, 3, 15), 30.0, "I1", ""])
    payments.tables["Payments"].ref = f"A1:F{payments.max_row}"
    edited.save(book)
    _refresh(book)
    names = openpyxl.load_workbook(book).sheetnames
    assert "ST C1" not in names
    assert "ST C2" in names


def test_only_rewrites_what_it_names(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", base())
    _refresh(book)
    before = _parts(book)
    _refresh(book, "--only", "checks")
    after = _parts(book)
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed <= ALLOWED_TO_CHANGE | {name for name in before if "arxl-" in name}
    names = openpyxl.load_workbook(book).sheetnames
    assert {"Aging", "Dashboard", "ST C1"} <= set(names)


def test_a_users_sheet_with_a_generated_name_is_never_overwritten(tmp_path: Path) -> None:
    tables = base()
    tables["Aging"] = [["my own aging"], ["do not touch"]]
    book = write_book(tmp_path / "b.xlsx", tables, as_tables=False)
    with zipfile.ZipFile(book) as archive:
        mine = archive.read(_part_of(book, "Aging"))
    result = CliRunner().invoke(main, ["refresh", str(book), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "'Aging' is not one arxl generated" in result.output and "'Aging~2'" in result.output
    with zipfile.ZipFile(book) as archive:
        assert archive.read(_part_of(book, "Aging")) == mine
    values = openpyxl.load_workbook(book, read_only=True)
    assert values["Aging"]["A1"].value == "my own aging" and values["Aging~2"]["A1"].value is not None


def _part_of(book: Path, sheet: str) -> str:
    with zipfile.ZipFile(book) as archive:
        workbook = WorkbookXml(archive.read("xl/workbook.xml").decode())
        rels = Relationships.parse(archive.read("xl/_rels/workbook.xml.rels"))
    rid = next(item.rid for item in workbook.sheets if item.name == sheet)
    return resolve_target("xl/workbook.xml", rels.target(rid) or "")


def test_validation_errors_write_nothing(tmp_path: Path) -> None:
    tables = base()
    tables["Invoices"][1][2] = "31/02/2026"
    book = write_book(tmp_path / "b.xlsx", tables)
    before = book.read_bytes()
    result = CliRunner().invoke(main, ["refresh", str(book), "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "Invoices row 2" in result.output and "nothing was written" in result.output
    assert book.read_bytes() == before
    assert list(tmp_path.iterdir()) == [book]


def test_refuses_while_excel_has_the_book_open(tmp_path: Path) -> None:
    book = write_book(tmp_path / "receivables.xlsx", base())
    lock = tmp_path / "~$ceivables.xlsx"
    lock.write_bytes(b"owner")
    before = book.read_bytes()
    result = CliRunner().invoke(main, ["refresh", str(book), "--as-of", AS_OF])
    assert result.exit_code == 2 and "open in Excel" in result.output
    assert book.read_bytes() == before
    forced = CliRunner().invoke(main, ["refresh", str(book), "--as-of", AS_OF, "--force", "-q"])
    assert forced.exit_code == 0, forced.output


def test_refuses_when_the_file_changed_since_it_was_read(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", base())

    class ChangingBook(FileBook):
        def read_tables(self):  # someone saves the book while arxl computes
            found = super().read_tables()
            data = self.path.read_bytes()
            self.path.write_bytes(data + b"")
            os.utime(self.path, ns=(1, 1))
            return found

    changed = ChangingBook(book)
    with pytest.raises(SaveRefused, match="changed on disk"):
        run_refresh(changed, as_of=dt.date(2026, 3, 31), today=dt.date(2026, 3, 31))


def test_backup_is_kept_and_pruned(tmp_path: Path) -> None:
    tables = base()
    tables["Settings"].append(["backups", 2])
    book = write_book(tmp_path / "b.xlsx", tables)
    original = book.read_bytes()
    for _ in range(4):
        _refresh(book)
    backups = sorted(tmp_path.glob("b.bak-*.xlsx"))
    assert len(backups) == 2  # Settings backups = 2: the older ones were pruned
    assert original not in {backup.read_bytes() for backup in backups}  # the original was the oldest
    assert all(zipfile.is_zipfile(backup) for backup in backups)


def test_output_option_leaves_the_source_alone(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", base())
    before = book.read_bytes()
    target = tmp_path / "out.xlsx"
    _refresh(book, "--output", str(target))
    assert book.read_bytes() == before
    assert "Aging" in openpyxl.load_workbook(target).sheetnames


def _soffice() -> str | None:
    found = shutil.which("soffice")
    if found is None and os.environ.get("CI"):
        pytest.fail("LibreOffice must be installed in CI")
    return found


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_live_formulas_to_arxls_figures(tmp_path: Path) -> None:
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    book = write_book(tmp_path / "b.xlsx", base())
    _refresh(book)
    expected = openpyxl.load_workbook(book, data_only=True)
    # Strip every cached formula value so that only a recalculation can fill them in again.
    parts = _parts(book)
    stripped = tmp_path / "stripped.xlsx"
    with zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            cleared = re.sub(rb"(<f>[^<]*</f>)<v>[^<]*</v>", rb"\1", data) if "worksheets/arxl-" in name else data
            archive.writestr(name, cleared)
    out = tmp_path / "lo"
    completed = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out), str(stripped)], capture_output=True, text=True, timeout=240, check=False)
    assert completed.returncode == 0, completed.stderr
    recalculated = openpyxl.load_workbook(out / "stripped.xlsx", data_only=True)
    formulas = openpyxl.load_workbook(book)
    checked = 0
    for sheet in ("Aging", "ST C1", "ST C2"):
        for row in formulas[sheet].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    ours = expected[sheet][cell.coordinate].value
                    theirs = recalculated[sheet][cell.coordinate].value
                    assert theirs == pytest.approx(ours, abs=0.005), (sheet, cell.coordinate)
                    checked += 1
    assert checked >= 8


def test_sha_of_untouched_parts_is_stable_across_three_refreshes(tmp_path: Path) -> None:
    book = rich_book(tmp_path)
    digests = []
    for _ in range(3):
        _refresh(book)
        digests.append({name: hashlib.sha256(data).hexdigest() for name, data in _parts(book).items()})
    assert digests[1] == digests[2]


@pytest.mark.libreoffice
def test_statement_pdfs_show_the_total_due(tmp_path: Path) -> None:
    if _soffice() is None:
        pytest.skip("LibreOffice is not installed")
    book = write_book(tmp_path / "b.xlsx", base())
    result = CliRunner().invoke(main, ["statements", str(book), "--pdf", str(tmp_path / "pdf"), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    pdfs = sorted((tmp_path / "pdf").glob("*.pdf"))
    assert [pdf.name for pdf in pdfs] == ["ST_C1.pdf", "ST_C2.pdf"]
    text = subprocess.run(["pdftotext", "-layout", str(pdfs[0]), "-"], capture_output=True, text=True,
                          check=True).stdout
    # C1 owes 100.00 - 20.00 - 50.00 = 30.00 (see test_generated_sheets_and_their_figures)
    assert "STATEMENT" in text and "Acme Ltd" in text and "30.00" in text
    assert "Page 1 of 1" in text


def test_a_tiny_book_refreshes(tmp_path: Path) -> None:
    tables = {
        "Customers": [["customer_id", "name"], ["C1", "Solo Ltd"]],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount"], ["I1", "C1", D(2026, 3, 1), 10.0]],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount"]],
    }
    book = write_book(tmp_path / "tiny.xlsx", tables)
    _refresh(book)
    workbook = openpyxl.load_workbook(book)
    assert workbook["Aging"]["J5"].value == 10.0  # I1's 10.00 is the whole balance
    assert workbook["Aging Detail"]["A5"].value == "C1"


def test_generated_parts_have_each_cell_once(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", base())
    _refresh(book)
    with zipfile.ZipFile(book) as archive:
        for name in archive.namelist():
            if "worksheets/arxl-" in name and name.endswith(".xml"):
                references = re.findall(rb'<c r="([A-Z]+\d+)"', archive.read(name))
                assert len(references) == len(set(references)), name
