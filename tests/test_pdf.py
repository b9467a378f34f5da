"""Statement PDFs at any scale (``arxl.workbook.pdf``): where LibreOffice is found, batches and processes,
failures named and the rest kept. A stand-in ``soffice`` (a real program written here, which converts by
writing a small file per workbook and logs how it was called) checks the plumbing without LibreOffice; the
tests marked ``libreoffice`` run the real one."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from books import write_book
from click.testing import CliRunner

from arxl.aging import aging
from arxl.cli import main
from arxl.errors import MissingToolError
from arxl.load import load_tables, raw_table_from_rows
from arxl.render.sheets import statement_sheets
from arxl.workbook.pdf import find_soffice, write_pdfs

D = dt.date
AS_OF = D(2026, 6, 30)

FAKE_SOFFICE = textwrap.dedent('''\
    #!{python}
    """Stands in for LibreOffice: one PDF per workbook named on the command line, unless the workbook holds
    the text FAILME; logs each call (profile, files) to $ARXL_FAKE_LOG."""
    import json, os, sys, zipfile
    args = sys.argv[1:]
    profile = next(a for a in args if a.startswith("-env:UserInstallation="))
    outdir = args[args.index("--outdir") + 1]
    files = [a for a in args if a.endswith(".xlsx")]
    with open(os.environ["ARXL_FAKE_LOG"], "a") as log:
        log.write(json.dumps({{"profile": profile, "files": files}}) + "\\n")
    print("Warning: failed to launch javaldx - java may not function correctly", file=sys.stderr)
    os.makedirs(outdir, exist_ok=True)
    for name in files:
        with zipfile.ZipFile(name) as book:
            text = b"".join(book.read(part) for part in book.namelist() if part.endswith(".xml"))
        if b"FAILME" in text:
            print(f"Error: source file could not be loaded: {{name}}", file=sys.stderr)
            continue
        with open(os.path.join(outdir, name[:-5] + ".pdf"), "wb") as pdf:
            pdf.write(b"%PDF-1.4 stand-in for " + name.encode())
''')


def _executable(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    program = _executable(tmp_path / "bin" / "soffice", FAKE_SOFFICE.format(python=sys.executable))
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("ARXL_FAKE_LOG", str(log))
    monkeypatch.setenv("ARXL_SOFFICE", str(program))
    return program, log


def _customers(count: int, failing: int | None = None) -> dict[str, list[list[object]]]:
    names = [f"FAILME Corp {n}" if n == failing else f"Customer {n}" for n in range(count)]
    return {
        "Settings": [["key", "value"], ["company_name", "Test Co"], ["as_of", AS_OF]],
        "Customers": [["customer_id", "name"], *([f"C{n:02d}", names[n]] for n in range(count))],
        "Invoices": [["invoice_id", "customer_id", "invoice_date", "amount"],
                     *([f"I{n:02d}", f"C{n:02d}", D(2026, 6, 1), 100.0 + n] for n in range(count))],
        "Payments": [["payment_id", "customer_id", "payment_date", "amount"]],
    }


def _specs(count: int, failing: int | None = None):  # type: ignore[no-untyped-def]
    tables = _customers(count, failing)
    ledger = load_tables({name: raw_table_from_rows(name, rows) for name, rows in tables.items()}).ledger
    return statement_sheets(ledger, aging(ledger, AS_OF))


def _calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


# --- finding LibreOffice ----------------------------------------------------------------------------------------

def test_arxl_soffice_names_the_program(tmp_path: Path) -> None:
    program = _executable(tmp_path / "lo" / "soffice")
    assert find_soffice({"ARXL_SOFFICE": str(program), "PATH": ""}) == str(program)
    with pytest.raises(MissingToolError, match="ARXL_SOFFICE"):
        find_soffice({"ARXL_SOFFICE": str(tmp_path / "nowhere" / "soffice"), "PATH": ""})


def test_soffice_is_found_where_windows_installs_it(tmp_path: Path) -> None:
    program = _executable(tmp_path / "Program Files" / "LibreOffice" / "program" / "soffice.exe")
    environ = {"PATH": "", "ProgramFiles": str(tmp_path / "Program Files")}
    assert find_soffice(environ, platform="win32", home=tmp_path) == str(program)


def test_soffice_is_found_where_macos_installs_it_for_one_user(tmp_path: Path) -> None:
    program = _executable(tmp_path / "Applications" / "LibreOffice.app" / "Contents" / "MacOS" / "soffice")
    assert find_soffice({"PATH": ""}, platform="darwin", home=tmp_path) == str(program)


def test_no_libreoffice_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(MissingToolError, match=r"libreoffice\.org.*ARXL_SOFFICE"):
        find_soffice({"PATH": ""}, platform="darwin", home=tmp_path)


# --- batches, processes, failures -------------------------------------------------------------------------------

def test_statements_are_converted_in_short_batches_by_several_processes(
        tmp_path: Path, fake_soffice: tuple[Path, Path]) -> None:
    _program, log = fake_soffice
    specs = _specs(7)
    messages: list[str] = []
    conversion = write_pdfs(specs, tmp_path / "out", batch_size=3, workers=2, progress=messages.append)
    assert conversion.failed == []
    assert [pdf.name for pdf in conversion.files] == [f"ST_C0{n}.pdf" for n in range(7)]
    calls = _calls(log)
    assert sorted(len(call["files"]) for call in calls) == [1, 3, 3]  # 7 = 3 + 3 + 1
    assert all(not os.path.isabs(name) for call in calls for name in call["files"])  # short relative names
    assert len({call["profile"] for call in calls}) <= 2  # one profile per process, reused
    assert messages[0] == "converting 7 sheet(s) with 2 LibreOffice process(es)"
    assert messages[-1] == "converted 7 of 7"


def test_a_statement_libreoffice_cannot_convert_is_named_and_the_others_are_kept(
        tmp_path: Path, fake_soffice: tuple[Path, Path]) -> None:
    _program, log = fake_soffice
    conversion = write_pdfs(_specs(5, failing=3), tmp_path / "out", batch_size=2, workers=2)
    assert conversion.failed == ["ST C03"]
    assert conversion.detail.startswith("Error: source file could not be loaded")  # not the java warning
    assert len(conversion.files) == 4 and conversion.pdfs[3] is None
    assert [len(call["files"]) for call in _calls(log)][-1] == 1  # tried once more on its own


def test_statements_command_exits_two_naming_what_failed(tmp_path: Path, fake_soffice: tuple[Path, Path]) -> None:
    book = write_book(tmp_path / "b.xlsx", _customers(4, failing=1))
    result = CliRunner().invoke(main, ["statements", str(book), "--output", str(tmp_path / "pdf")])
    assert result.exit_code == 2, result.output
    assert "could not convert 1 of 4 statement(s) (ST C01)" in result.output
    assert "the other 3 are in" in result.output
    assert sorted(path.name for path in (tmp_path / "pdf").iterdir()) == ["ST_C00.pdf", "ST_C02.pdf", "ST_C03.pdf"]


def test_statements_command_reports_progress_and_keeps_the_old_option_name(
        tmp_path: Path, fake_soffice: tuple[Path, Path]) -> None:
    book = write_book(tmp_path / "b.xlsx", _customers(3))
    result = CliRunner().invoke(main, ["statements", str(book), "--pdf", str(tmp_path / "pdf"), "--jobs", "3"])
    assert result.exit_code == 0, result.output
    assert "converted 3 of 3" in result.output
    assert "OK: 3 statement PDF(s) as of 2026-06-30" in result.output
    helped = CliRunner().invoke(main, ["statements", "--help"]).output
    assert "--output" in helped and "--pdf" not in helped


# --- the real LibreOffice ---------------------------------------------------------------------------------------

def _libreoffice() -> bool:
    try:
        find_soffice({"PATH": os.environ.get("PATH", "")})
    except MissingToolError:
        return False
    return True


@pytest.mark.libreoffice
def test_libreoffice_converts_more_statements_than_one_batch_holds(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    if not _libreoffice():
        pytest.skip("LibreOffice is not installed")
    monkeypatch.delenv("ARXL_SOFFICE", raising=False)
    conversion = write_pdfs(_specs(7), tmp_path / "out", batch_size=3, workers=2)
    assert conversion.failed == [] and len(conversion.files) == 7
    for number, pdf in enumerate(conversion.files):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        # Customer n owes its one invoice of 100.00 + n
        assert f"Customer {number}" in text and f"{100 + number:,.2f}" in text
        assert zipfile.is_zipfile(pdf) is False and pdf.read_bytes().startswith(b"%PDF")
