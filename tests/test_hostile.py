"""Hostile files and faults: refused quickly with one message, nothing executed, nothing lost."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import resource
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from books import base, write_book
from click.testing import CliRunner

from arxl.cli import main
from arxl.workbook.generated import read_generated

AS_OF = "2026-03-31"
MEMORY_LIMIT = 1536 * 1024 * 1024


def _rewrite(path: Path, target: Path, changes: dict[str, bytes], *, compress_level: int = 6) -> Path:
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    parts.update(changes)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=compress_level) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _check_in_child(path: Path) -> tuple[int, str, float]:
    """``arxl check`` in a child process with a memory ceiling; returns exit code, output and seconds."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "arxl", "check", str(path)], capture_output=True, text=True,
                               timeout=60, check=False, preexec_fn=_limited)
    return completed.returncode, completed.stdout + completed.stderr, time.perf_counter() - started


@pytest.fixture(scope="module")
def clean_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book(tmp_path_factory.mktemp("hostile") / "clean.xlsx", base())


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b']><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol9;</workbook>')
EXTERNAL_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&x;</workbook>')


def _bomb_sheet() -> bytes:
    return b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + \
        b" " * (400 * 1024 * 1024) + b"</sheetData></worksheet>"


HOSTILE = {
    "xml-entity-expansion": lambda book, folder: _rewrite(book, folder / "bomb.xlsx",
                                                          {"xl/workbook.xml": BILLION_LAUGHS}),
    "external-entity": lambda book, folder: _rewrite(book, folder / "xxe.xlsx",
                                                     {"xl/workbook.xml": EXTERNAL_ENTITY}),
    "decompression-bomb": lambda book, folder: _rewrite(book, folder / "zip.xlsx",
                                                        {"xl/worksheets/sheet9.xml": _bomb_sheet()},
                                                        compress_level=9),
    "truncated-zip": lambda book, folder: _truncated(book, folder / "cut.xlsx"),
    "not-a-workbook-zip": lambda book, folder: _docx(folder / "letter.xlsx"),
    "pdf-renamed": lambda book, folder: _write(folder / "scan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    "encrypted-workbook": lambda book, folder: _write(folder / "locked.xlsx",
                                                      b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096),
    "empty-file": lambda book, folder: _write(folder / "empty.xlsx", b""),
    "huge-dimensions": lambda book, folder: _far_cell(book, folder / "far.xlsx"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncated(book: Path, target: Path) -> Path:
    data = book.read_bytes()
    return _write(target, data[: len(data) // 2])


def _docx(target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return target


def _far_cell(book: Path, target: Path) -> Path:
    with zipfile.ZipFile(book) as archive:
        sheet = archive.read("xl/worksheets/sheet3.xml").decode()
    sheet = sheet.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is>'
                                          "</c></row></sheetData>")
    return _rewrite(book, target, {"xl/worksheets/sheet3.xml": sheet.encode()})


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_is_refused_quickly_with_one_message(clean_book: Path, tmp_path: Path, case: str) -> None:
    hostile = HOSTILE[case](clean_book, tmp_path)
    code, output, seconds = _check_in_child(hostile)
    assert code == 2, output
    assert output.startswith("arxl: ") and output.strip().count("\n") == 0, output
    assert "Traceback" not in output
    assert seconds < 10, f"{case} took {seconds:.1f} s"


def test_external_entity_content_never_appears(clean_book: Path, tmp_path: Path) -> None:
    hostile = HOSTILE["external-entity"](clean_book, tmp_path)
    _, output, _ = _check_in_child(hostile)
    assert "root:" not in output


def test_formula_looking_text_stays_text_everywhere(tmp_path: Path) -> None:
    tables = base()
    tables["Customers"][1][1] = '=HYPERLINK("http://evil.test","Acme")'
    tables["Payments"][2][5] = "+cmd|' /C calc'!A0"
    tables["Invoices"][1][0] = "@SUM(1+1)"
    tables["Invoices"][3][6] = "@SUM(1+1)"  # the credit note's applies_to follows the renamed invoice
    tables["Payments"][1][4] = "@SUM(1+1)"
    book = write_book(tmp_path / "b.xlsx", tables)
    result = CliRunner().invoke(main, ["refresh", str(book), "--as-of", AS_OF, "-q"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(book) as archive:
        generated = {name: archive.read(name).decode() for name in archive.namelist()
                     if "worksheets/arxl-" in name}
    for name, xml in generated.items():
        for formula in re.findall(r"<f>(.*?)</f>", xml):
            # arxl's own formulas only: functions over cell ranges, nothing taken from the data
            assert not any(payload in formula for payload in ("HYPERLINK", "cmd", "@SUM")), (name, formula)
            assert re.fullmatch(r"[A-Z0-9$:(),.+\-*/ ]*(?:\"[A-Z]{3}\"[A-Z0-9$:(),.+\-*/ ]*)*", formula), \
                (name, formula)
    workbook = openpyxl.load_workbook(book)
    aging = workbook["Aging"]
    names = [row[1] for row in aging.iter_rows(min_row=5, max_row=6, values_only=True)]
    assert '=HYPERLINK("http://evil.test","Acme")' in names
    cell = next(cell for row in aging.iter_rows(min_row=5, max_row=6) for cell in row
                if cell.value == '=HYPERLINK("http://evil.test","Acme")')
    assert cell.data_type == "s"
    exported = CliRunner().invoke(main, ["report", "aging", str(book), "--format", "csv", "--as-of", AS_OF])
    rows = list(csv.reader(io.StringIO(exported.output)))
    assert rows[1][1] == "'=HYPERLINK(\"http://evil.test\",\"Acme\")"
    items = CliRunner().invoke(main, ["report", "open-items", str(book), "--format", "csv", "--as-of", AS_OF])
    assert "'@SUM(1+1)" in items.output


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_complete_new_version(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.testzip() is not None:
                return False
        return "Checks" in openpyxl.load_workbook(path, read_only=True).sheetnames
    except Exception:
        return False


@pytest.mark.slow
def test_a_killed_refresh_leaves_the_old_or_the_new_book(tmp_path: Path) -> None:
    """SIGKILL at many moments of a refresh: the book is always the old file or a complete new one."""
    source = write_book(tmp_path / "source.xlsx", base())
    old = _sha(source)
    delays = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 3.0]
    outcomes = {"old": 0, "new": 0}
    for index, delay in enumerate(delays):
        book = tmp_path / f"book{index}.xlsx"
        book.write_bytes(source.read_bytes())
        process = subprocess.Popen([sys.executable, "-m", "arxl", "refresh", str(book), "--as-of", AS_OF, "-q"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if _sha(book) == old:
            outcomes["old"] += 1
        else:
            assert _is_complete_new_version(book), f"damaged book after a kill at {delay} s"
            outcomes["new"] += 1
    assert outcomes["old"] >= 1


def _set_file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG, like ENOSPC
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_failing_disk_leaves_the_original_intact(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", base())
    before = book.read_bytes()
    limit = len(before) + 2048  # the refreshed book is larger than this: its write fails part-way
    completed = subprocess.run([sys.executable, "-m", "arxl", "refresh", str(book), "--as-of", AS_OF],
                               capture_output=True, text=True, timeout=120, check=False,
                               preexec_fn=lambda: _set_file_size_limit(limit))
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert "could not write the new version" in completed.stderr and "original is unchanged" in completed.stderr
    assert book.read_bytes() == before
    leftovers = [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")]
    assert leftovers == []


def test_two_refreshes_at_once_never_mix(tmp_path: Path) -> None:
    book = write_book(tmp_path / "b.xlsx", base())
    command = [sys.executable, "-m", "arxl", "refresh", str(book), "--as-of", AS_OF, "-q"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [(*process.communicate(timeout=120), process.returncode) for process in (first, second)]
    codes = sorted(code for _, _, code in results)
    # Either both succeeded one after the other, or the second refused cleanly (book changed / busy).
    assert codes[0] == 0 and codes[1] in (0, 2), results
    assert _is_complete_new_version(book)
    generated = read_generated(book)  # one record of arxl's sheets, each sheet marked once
    assert generated.names.count("arxl_state") == 1 and not generated.copies
    assert {"aging", "checks", "state"} <= set(generated.sheets)
    assert os.path.exists(book)


def test_the_check_after_a_write_finds_a_truncated_or_altered_package(tmp_path: Path) -> None:
    from arxl.workbook.save import check_package

    good = write_book(tmp_path / "good.xlsx", base())
    assert check_package(good) is None
    data = good.read_bytes()
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    assert check_package(truncated) is not None
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("xl/workbook.xml")
    altered = bytearray(data)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    altered[start + info.compress_size // 2] ^= 0xFF  # one byte of workbook.xml's compressed data
    damaged = tmp_path / "altered.xlsx"
    damaged.write_bytes(bytes(altered))
    assert check_package(damaged) is not None


def test_a_refresh_keeps_the_old_version_as_its_backup(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book.xlsx", base())
    before = book.read_bytes()
    result = CliRunner().invoke(main, ["refresh", str(book), "--as-of", "2026-03-31", "--quiet"])
    assert result.exit_code == 0, result.output
    backups = sorted(tmp_path.glob("book.bak-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert book.read_bytes() != before


def test_an_opendocument_spreadsheet_is_named_and_the_way_out_said(tmp_path: Path) -> None:
    book = tmp_path / "ar.xlsx"  # an .ods renamed, as a mail client or a user might
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    before = book.read_bytes()
    result = CliRunner().invoke(main, ["refresh", str(book)])
    assert result.exit_code == 2
    assert "is an OpenDocument spreadsheet (.ods), not an Excel workbook; save it as Excel 2007-365 (.xlsx)" \
        in result.output
    assert book.read_bytes() == before
