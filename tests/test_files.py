"""The book as a file on disk (issue 13, item 9): links, read-only files, the package's kind and its name, names
with spaces, accents and ``[ ]``, two runs at once and a write that fails. Each case ends correctly or in a clear
refusal with the file byte-identical (the bytes are compared)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import python_calamine as calamine
from books import base, write_book
from click.testing import CliRunner
from test_refresh import rich_book

from arxl.cli import main
from arxl.workbook.save import backups_of, check_package, package_extension

AS_OF = "2026-03-31"
MACRO_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def _run(*arguments: str):
    return CliRunner().invoke(main, list(arguments))


def _sheet_names(path: Path) -> list[str]:
    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        return list(book.sheet_names)
    finally:
        book.close()


def _leftovers(folder: Path) -> list[str]:
    """Temporary files a save may have left behind."""
    return sorted(entry.name for entry in folder.iterdir() if ".arxl-" in entry.name)


def _book(path: Path, **settings: object) -> Path:
    tables = base()
    tables["Settings"] += [[key, value] for key, value in settings.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_book(path, tables)


# --- links ----------------------------------------------------------------------------------------------------

def test_a_book_reached_through_a_link_is_written_through_and_the_link_stays(tmp_path: Path) -> None:
    real = _book(tmp_path / "shared drive" / "Créances 2026.xlsx")
    original = real.read_bytes()
    desktop = tmp_path / "desktop"
    desktop.mkdir()
    link = desktop / "AR.xlsx"
    link.symlink_to(real)

    result = _run("refresh", str(link), "--as-of", AS_OF, "--quiet")

    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(real)  # still a link, to the same file
    assert "Aging" in _sheet_names(real)  # the real file got the new version
    backups = backups_of(link)
    # The backup sits beside the real file, named after it, and is the previous version byte for byte.
    assert [backup.parent for backup in backups] == [real.parent]
    assert backups[0].name.startswith("Créances 2026.bak-") and backups[0].read_bytes() == original
    assert sorted(entry.name for entry in desktop.iterdir()) == ["AR.xlsx"]
    assert _leftovers(real.parent) == []


def test_an_output_that_is_a_link_is_written_through(tmp_path: Path) -> None:
    book = _book(tmp_path / "book.xlsx")
    real_output = tmp_path / "reports" / "out.xlsx"
    real_output.parent.mkdir()
    real_output.write_bytes(book.read_bytes())
    link = tmp_path / "latest.xlsx"
    link.symlink_to(real_output)

    result = _run("refresh", str(book), "--as-of", AS_OF, "--output", str(link), "--quiet")

    assert result.exit_code == 0, result.output
    assert link.is_symlink() and "Aging" in _sheet_names(real_output)


# --- read-only files ------------------------------------------------------------------------------------------

def test_a_read_only_book_is_refused_before_any_work(tmp_path: Path) -> None:
    book = _book(tmp_path / "book.xlsx")
    book.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # r--r--r--, as Windows' read-only attribute shows
    before = book.read_bytes()

    result = _run("refresh", str(book), "--as-of", AS_OF)

    assert result.exit_code == 2
    assert f"arxl: {book}: is read-only; nothing was written" in result.output
    assert "reading the input tables" not in result.output  # refused before the work
    assert book.read_bytes() == before and stat.S_IMODE(book.stat().st_mode) == 0o444
    assert backups_of(book) == [] and _leftovers(tmp_path) == []


def test_a_read_only_book_may_be_refreshed_into_a_copy(tmp_path: Path) -> None:
    book = _book(tmp_path / "book.xlsx")
    book.chmod(0o444)
    before = book.read_bytes()

    result = _run("refresh", str(book), "--as-of", AS_OF, "--output", str(tmp_path / "copy.xlsx"), "--quiet")

    assert result.exit_code == 0, result.output
    assert book.read_bytes() == before and "Aging" in _sheet_names(tmp_path / "copy.xlsx")


def test_an_import_into_a_read_only_book_is_refused(tmp_path: Path) -> None:
    book = _book(tmp_path / "book.xlsx")
    book.chmod(0o444)
    before = book.read_bytes()
    payments = tmp_path / "payments.csv"
    payments.write_text("payment_id,customer_id,payment_date,amount\nP9,C1,2026-03-20,10.00\n", encoding="utf-8")

    result = _run("import", str(book), "--table", "payments", str(payments))

    assert result.exit_code == 2 and "is read-only" in result.output
    assert book.read_bytes() == before and _leftovers(tmp_path) == []


# --- the package's kind and the output's name -----------------------------------------------------------------

def test_a_macro_book_is_not_saved_under_xlsx_nor_the_reverse(tmp_path: Path) -> None:
    xlsm = rich_book(tmp_path)  # a VBA project and ribbons: an .xlsm package
    plain = _book(tmp_path / "plain.xlsx")
    before = xlsm.read_bytes(), plain.read_bytes()
    assert package_extension(xlsm) == ".xlsm" and package_extension(plain) == ".xlsx"

    as_xlsx = _run("refresh", str(xlsm), "--as-of", AS_OF, "--output", str(tmp_path / "out.xlsx"))
    as_xlsm = _run("refresh", str(plain), "--as-of", AS_OF, "--output", str(tmp_path / "out.xlsm"))

    assert as_xlsx.exit_code == 2
    assert ("book.xlsm is an .xlsm workbook (it holds macros); saved as .xlsx it would be a file Excel refuses "
            "to open. Nothing was written: name the output out.xlsm") in as_xlsx.output
    assert as_xlsm.exit_code == 2 and "name the output out.xlsx" in as_xlsm.output
    assert not (tmp_path / "out.xlsx").exists() and not (tmp_path / "out.xlsm").exists()
    assert (xlsm.read_bytes(), plain.read_bytes()) == before


def test_a_macro_book_saved_under_its_own_kind_keeps_its_macros(tmp_path: Path) -> None:
    xlsm = rich_book(tmp_path)
    output = tmp_path / "Out.XLSM"  # the extension's case does not matter

    result = _run("refresh", str(xlsm), "--as-of", AS_OF, "--output", str(output), "--quiet")

    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as archive:
        assert MACRO_TYPE in archive.read("[Content_Types].xml").decode()
        assert "xl/vbaProject.bin" in archive.namelist()


def test_new_books_are_named_xlsx(tmp_path: Path) -> None:
    result = _run("new", str(tmp_path / "ar.xlsm"))

    assert result.exit_code == 2 and "name it ar.xlsx" in result.output
    assert not (tmp_path / "ar.xlsm").exists()


# --- names ----------------------------------------------------------------------------------------------------

def test_backups_of_a_name_with_brackets_spaces_and_accents_are_pruned_like_others(tmp_path: Path) -> None:
    book = _book(tmp_path / "Clients [2026] — été.xlsx", backups=2)
    decoy = tmp_path / "Clients [2026] — été.bak-notes.xlsx"  # not a backup: never pruned
    decoy.write_bytes(b"mine")
    other = tmp_path / "Clients 2.bak-20260101-000000-000000.xlsx"  # "[2026]" as a glob would match this one
    other.write_bytes(b"other")

    for _ in range(4):
        result = _run("refresh", str(book), "--as-of", AS_OF, "--quiet")
        assert result.exit_code == 0, result.output

    backups = backups_of(book)
    assert len(backups) == 2  # Settings backups = 2: the four refreshes made four, two were pruned
    assert all(backup.name.startswith("Clients [2026] — été.bak-") for backup in backups)
    assert decoy.read_bytes() == b"mine" and other.read_bytes() == b"other"


# --- two runs at once, and a write that fails -----------------------------------------------------------------

def test_two_refreshes_at_once_never_interleave(tmp_path: Path) -> None:
    book = _book(tmp_path / "book.xlsx")
    command = [sys.executable, "-m", "arxl", "refresh", str(book), "--as-of", AS_OF, "--quiet"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]
    outputs = [(run.wait(timeout=120), run.stdout.read()) for run in runs]

    for code, output in outputs:
        # Each one either ran (the second after the first) or refused cleanly: never both half-way.
        assert code == 0 or (code == 2 and "another arxl command is working on this book" in output), output
    assert check_package(book) is None and "Aging" in _sheet_names(book)
    assert len(backups_of(book)) == sum(code == 0 for code, _ in outputs)
    assert _leftovers(tmp_path) == []


def test_a_write_that_fails_leaves_the_book_byte_identical(tmp_path: Path) -> None:
    """The file-size limit of the process (RLIMIT_FSIZE) makes the temporary file's write fail for real with
    "File too large", as a full disk or a quota would: the book and its folder are as they were."""
    book = _book(tmp_path / "book.xlsx")
    before = book.read_bytes()
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"  # a failing write returns an error, no signal
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({len(before) // 2}, {len(before) // 2}))\n"
        "from arxl.cli import main\n"
        f"main(['refresh', {str(book)!r}, '--as-of', '{AS_OF}', '--quiet'])\n"
    )
    run = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True,
                         timeout=120)

    assert run.returncode == 2, run.stderr
    assert f"arxl: {book}: could not write the new version (File too large); the original is unchanged" \
        in run.stderr
    assert book.read_bytes() == before
    assert backups_of(book) == [] and _leftovers(tmp_path) == []
