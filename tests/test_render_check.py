"""The render check: the refreshed demo book and its statement PDFs, drawn by LibreOffice and read back from the
PDF's text layer (pdftotext), as a controller or a customer would see them.

It fails on ``###`` (a number in a column too narrow for it), on text printed over other text, on a number
run into the word beside it (``121USD``), and on a figure or a name that is not there whole (a cut amount).
Only arxl's generated sheets are drawn: the input sheets are hidden in a copy of the book first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from arxl.cli import main
from arxl.contract import TABLES

pytestmark = pytest.mark.libreoffice
ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-06-30"
INPUT_SHEETS = {table.name for table in TABLES} | {"Start here"}


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    left: float
    top: float
    right: float
    bottom: float


def _tools() -> None:
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice and pdftotext are needed")


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _words(pdf: Path) -> tuple[list[Word], list[float]]:
    """Every word of ``pdf`` with its box, and each page's height."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    words, heights = [], []
    for number, page in enumerate(re.findall(r"<page [^>]*>.*?</page>", html, re.S)):
        heights.append(float(re.search(r'height="([\d.]+)"', page).group(1)))  # type: ignore[union-attr]
        for match in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                                 r"(.*?)</word>", page):
            left, top, right, bottom = (float(match.group(index)) for index in range(1, 5))
            words.append(Word(number, match.group(5), left, top, right, bottom))
    return words, heights


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _overprinted(words: list[Word]) -> list[tuple[str, str]]:
    """Pairs of words whose boxes overlap: text drawn over text, on one line (a number run into its neighbour)
    or across lines (wrapped text spilling over the next row)."""
    clashes = []
    # A word's box reaches from the font's ascent to its descent, more than the pitch of wrapped lines: the
    # middle half of its height is where its ink is. Rotated text (an axis title) is left out.
    inked = [Word(word.page, word.text, word.left, word.top + (word.bottom - word.top) / 4, word.right,
                  word.bottom - (word.bottom - word.top) / 4)
             for word in words if word.bottom - word.top <= 3 * (word.right - word.left) + 20]
    for page in {word.page for word in inked}:
        on_page = sorted((word for word in inked if word.page == page), key=lambda word: word.top)
        for index, word in enumerate(on_page):
            for other in on_page[index + 1:]:
                if other.top >= word.bottom:
                    break
                if other.left < word.right - 0.5 and word.left < other.right - 0.5:
                    clashes.append((word.text, other.text))
    return clashes


_GLUED = re.compile(r"^\(?[\d,]*\d(\.\d+)?\)?%?[A-Za-z]")


def _glued(words: list[Word]) -> list[str]:
    """Words in which a number runs straight into letters, as 121USD or 1PAY-000003 did."""
    return [word.text for word in words if _GLUED.match(word.text)]


def _hide_input_sheets(book: Path, target: Path) -> Path:
    """A copy of ``book`` with every input sheet hidden, so that only arxl's sheets print."""
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/workbook.xml":
                text = re.sub(r"<sheet\b[^>]*/>", _hidden_if_input, data.decode("utf-8"))
                text = re.sub(r'activeTab="\d+"', f'activeTab="{_first_generated(text)}"', text)
                data = text.encode("utf-8")
            copy.writestr(info, data)
    return target


def _hidden_if_input(match: re.Match[str]) -> str:
    element = match.group(0)
    name = re.search(r'name="([^"]+)"', element).group(1)  # type: ignore[union-attr]
    if name not in INPUT_SHEETS:
        return element
    return re.sub(r'\s+state="\w+"', "", element).replace("<sheet ", '<sheet state="hidden" ', 1)


def _first_generated(workbook_xml: str) -> int:
    names = re.findall(r'<sheet name="([^"]+)"', workbook_xml)
    return next(index for index, name in enumerate(names) if name not in INPUT_SHEETS)


def _convert(book: Path, folder: Path) -> Path:
    profile = folder / "profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(folder), str(book)], capture_output=True, check=True,
                   timeout=600)
    pdf = folder / (book.stem + ".pdf")
    assert pdf.is_file()
    return pdf


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo book refreshed (and its cash applications proposed), and its generated sheets as one PDF."""
    _tools()
    folder = tmp_path_factory.mktemp("render")
    book = folder / "demo.xlsx"
    shutil.copy(ROOT / "workbooks" / "demo.xlsx", book)
    _invoke("refresh", str(book), "--as-of", AS_OF, "--quiet")
    _invoke("apply", str(book), "--as-of", AS_OF)
    return book, _convert(_hide_input_sheets(book, folder / "generated.xlsx"), folder)


def _aging_totals(book: Path) -> list[str]:
    """The Aging sheet's Total row as the cells hold them (openpyxl, an independent reader), formatted as the
    sheet shows amounts."""
    sheet = openpyxl.load_workbook(book, data_only=True)["Aging"]
    row = next(row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0] == "Total")
    return [f"{value:,.2f}" for value in row[3:10] if isinstance(value, float) and value]


def test_the_generated_sheets_print_no_hashes_no_overprint_and_no_glued_numbers(
        refreshed: tuple[Path, Path]) -> None:
    _book, pdf = refreshed
    text = _text(pdf)
    assert "###" not in text
    words, _heights = _words(pdf)
    assert _overprinted(words) == []
    assert _glued(words) == []


def test_every_figure_and_name_is_printed_whole(refreshed: tuple[Path, Path]) -> None:
    book, pdf = refreshed
    printed = {word.text for word in _words(pdf)[0]}
    totals = _aging_totals(book)
    assert len(totals) >= 5
    assert [figure for figure in totals if figure not in printed] == []
    text = _text(pdf)
    workbook = openpyxl.load_workbook(book, data_only=True)
    names = [row[1] for row in workbook["Aging"].iter_rows(min_row=5, values_only=True)
             if row[0] and row[0] != "Total" and row[1]]
    assert names and [name for name in names if name not in text] == []
    scopes = [row[1] for row in workbook["Checks"].iter_rows(min_row=5, values_only=True) if row[1]]
    assert [scope for scope in scopes if scope not in text] == []


def test_each_report_repeats_its_title_on_every_page(refreshed: tuple[Path, Path]) -> None:
    _book, pdf = refreshed
    pages = _text(pdf).split("\f")
    detail = [page for page in pages if "Open items as of 06/30/2026" in page]
    assert len(detail) >= 3  # 325 open items do not fit one page
    assert all("Northwind Components Ltd" in page and "Customer ID" in page for page in detail)


@pytest.fixture(scope="module")
def statements(refreshed: tuple[Path, Path]) -> Path:
    book, _pdf = refreshed
    folder = book.parent / "statements"
    _invoke("statements", str(book), "--output", str(folder), "--customer", "C0039", "--customer", "C0036",
            "--as-of", AS_OF)
    return folder


def test_a_long_statement_prints_whole_with_its_slip_at_the_foot(refreshed: tuple[Path, Path],
                                                                 statements: Path) -> None:
    """C0039 owes the most (its Over 90 printed ### before): two pages, every figure whole, items continued
    under their header, the remittance slip in the bottom third of the last page."""
    book, _pdf = refreshed
    pdf = statements / "ST_C0039.pdf"
    text = _text(pdf)
    assert "###" not in text
    words, heights = _words(pdf)
    assert _overprinted(words) == [] and _glued(words) == []
    row = next(row for row in openpyxl.load_workbook(book, data_only=True)["Aging"].iter_rows(
        min_row=5, values_only=True) if row[0] == "C0039")
    printed = {word.text for word in words}
    assert [f"{value:,.2f}" for value in row[3:10] if value and f"{value:,.2f}" not in printed] == []
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) == 2
    if "INV-" in pages[1]:  # items that continue on page 2 do so under their header
        assert pages[1].lstrip().startswith("Date")
    slip = next(word for word in words if word.text == "REMITTANCE")
    assert slip.page == len(heights) - 1 and slip.top > heights[slip.page] * 2 / 3
    assert "Statement for Harbor Tooling Corp" in text and "ST C0039" not in text


def test_a_credit_balance_statement_asks_for_nothing(statements: Path) -> None:
    text = _text(statements / "ST_C0036.pdf")
    assert "Credit balance, no payment due" in text and "Amount due" not in text
    assert "78.83" in text and "(78.83)" in text  # the slip's credit, and the unapplied payment line
