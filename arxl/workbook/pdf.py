"""Generated sheets as PDF files through LibreOffice headless: statements for customers, pictures for the docs.

Each sheet is written alone into a small workbook (by the same writer as a refresh, so the PDF is what the sheet
prints), and the workbooks are converted in batches of ``BATCH_SIZE`` by up to ``workers`` LibreOffice processes
at once, each with its own user profile (one LibreOffice process per profile). Batches matter: LibreOffice takes
the file names of one command line through a buffer of a few kilobytes and silently ignores the rest (about 246
statements with absolute paths), so a batch names few files, by short names relative to its folder. Several
processes help even on two cores: a conversion waits on LibreOffice's own timers about half of its time.

A batch that fails or times out is tried once more, file by file; what still fails is reported by name with
LibreOffice's last message (its harmless start-up warnings left out), and every PDF that was made is kept.

``find_soffice`` looks where each system installs LibreOffice: ``ARXL_SOFFICE`` first (a path or a command),
then ``soffice``/``libreoffice`` on PATH, then ``%ProgramFiles%\\LibreOffice\\program\\soffice.exe`` (and the
x86 and per-user folders) on Windows, ``/Applications/LibreOffice.app/Contents/MacOS/soffice`` (system or
user Applications) on macOS, and ``/usr/lib/libreoffice``, ``/opt/libreoffice*``, snap and flatpak on Linux.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import MissingToolError
from ..render.spec import SheetSpec
from .generated import OWNED_PROPERTY, write_generated

BATCH_SIZE = 40
"""Workbooks one LibreOffice run converts (their names stay far below its command-line buffer)."""
SECONDS_PER_FILE = 20
"""A batch may take this long per file (plus a minute to start) before it is stopped and tried again."""
SINGLE_SHEET = "Statement"
"""The sheet name of a one-sheet book whose sheet has no chart (nothing refers to its name)."""
_HARMLESS = ("javaldx", "java may not function", "Fontconfig", "dbind-WARNING")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Conversion:
    """What a conversion made: one entry per sheet, in order (None where LibreOffice made nothing), the names
    of the sheets that failed, and LibreOffice's last message about them."""

    pdfs: list[Path | None]
    failed: list[str]
    detail: str = ""

    @property
    def files(self) -> list[Path]:
        return [pdf for pdf in self.pdfs if pdf is not None]


def default_workers() -> int:
    """LibreOffice processes at once: two on a small machine (they idle half of the time), at most four."""
    return max(2, min(4, os.cpu_count() or 1))


def soffice_candidates(platform: str, environ: Mapping[str, str], home: Path) -> list[Path]:
    """Where LibreOffice's ``soffice`` usually is on ``platform`` (``sys.platform``), most likely first."""
    if platform.startswith("win"):
        roots = [environ.get(key, "") for key in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")]
        local = environ.get("LOCALAPPDATA", "")
        folders = [Path(root) / "LibreOffice" for root in roots if root]
        if local:
            folders.append(Path(local) / "Programs" / "LibreOffice")
        return [folder / "program" / "soffice.exe" for folder in folders]
    if platform == "darwin":
        bundle = Path("LibreOffice.app") / "Contents" / "MacOS" / "soffice"
        return [Path("/Applications") / bundle, home / "Applications" / bundle]
    opt = sorted(Path("/opt").glob("libreoffice*/program/soffice"), reverse=True) if Path("/opt").is_dir() else []
    return [Path("/usr/bin/soffice"), Path("/usr/lib/libreoffice/program/soffice"), *opt,
            Path("/snap/bin/libreoffice"), Path("/var/lib/flatpak/exports/bin/org.libreoffice.LibreOffice"),
            home / ".local/share/flatpak/exports/bin/org.libreoffice.LibreOffice"]


def find_soffice(environ: Mapping[str, str] | None = None, *, platform: str | None = None,
                 home: Path | None = None) -> str:
    """The LibreOffice program: ``ARXL_SOFFICE``, else PATH, else where the system installs it (module
    docstring); MissingToolError saying how to install it or point arxl at it."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("ARXL_SOFFICE", "").strip()
    if chosen:
        found = shutil.which(chosen, path=environ.get("PATH"))
        if found is None and Path(chosen).is_file():
            found = chosen
        if found is None:
            raise MissingToolError(f"ARXL_SOFFICE is {chosen!r}, which is not a program; set it to the full path "
                                   "of LibreOffice's soffice (soffice.exe on Windows)")
        return found
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    for candidate in soffice_candidates(platform or sys.platform, environ, home or Path.home()):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise MissingToolError("PDF statements need LibreOffice: install it (Debian/Ubuntu: apt-get install "
                           "libreoffice-calc; Windows/macOS: libreoffice.org), or set ARXL_SOFFICE to its soffice "
                           "program, and run the command again")


def _safe_file_name(name: str) -> str:
    return "".join(character if character.isalnum() or character in "-_." else "_" for character in name)


class _Books:
    """One-sheet workbooks written from a seed per sheet name (a sheet with a chart keeps its own name, since
    its chart refers to it; any other is written as ``SINGLE_SHEET``)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.seeds: dict[str, Path] = {}

    def _seed(self, name: str) -> Path:
        if name not in self.seeds:
            from openpyxl import Workbook
            from openpyxl.packaging.custom import StringProperty

            seed = self.folder / f"seed{len(self.seeds)}.xlsx"
            book = Workbook()
            book.active.title = name
            book.custom_doc_props.append(StringProperty(name=OWNED_PROPERTY, value=name))
            book.save(seed)
            self.seeds[name] = seed
        return self.seeds[name]

    def write(self, spec: SheetSpec, target: Path) -> Path:
        if not spec.charts:
            spec = replace(spec, name=SINGLE_SHEET)
        write_generated(self._seed(spec.name), target, [spec])
        return target


def _last_message(completed_output: str) -> str:
    lines = [line.strip() for line in completed_output.splitlines()
             if line.strip() and not any(harmless in line for harmless in _HARMLESS)
             and not line.startswith("convert ")]
    return lines[-1] if lines else ""


def _run(command: list[str], folder: Path, environment: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run LibreOffice in ``folder``; (exit status, what it printed). A run that outlives ``timeout`` is
    stopped with everything it started."""
    posix = os.name == "posix"
    with subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=environment, start_new_session=posix) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            if posix:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
            process.communicate()
            return -1, f"LibreOffice did not finish within {timeout:.0f} s"
        return process.returncode, output or ""


def write_pdfs(specs: Sequence[SheetSpec], out_dir: Path, *, soffice: str | None = None,
               progress: Progress | None = None, workers: int | None = None, batch_size: int = BATCH_SIZE,
               names: Sequence[str] | None = None) -> Conversion:
    """Convert each sheet spec into ``out_dir/<name>.pdf`` (``names``, default each spec's name made safe for a
    file name) and say what was made; the caller decides what a failure means."""
    binary = soffice or find_soffice()
    say = progress or (lambda _message: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    stems = [_safe_file_name(name) for name in (names if names is not None else [spec.name for spec in specs])]
    pdfs: list[Path | None] = [None] * len(specs)
    if not specs:
        return Conversion(pdfs, [])
    count = workers or default_workers()
    batches = [list(range(start, min(start + batch_size, len(specs))))
               for start in range(0, len(specs), batch_size)]
    count = max(1, min(count, len(batches)))
    with tempfile.TemporaryDirectory(prefix="arxl-pdf-") as scratch:
        folder = Path(scratch)
        books = _Books(folder)
        profiles: queue.Queue[Path] = queue.Queue()
        for number in range(count):
            profiles.put(folder / f"profile{number}")
        environment = dict(os.environ, HOME=str(folder))

        def convert(batch_number: int, positions: list[int]) -> tuple[list[int], str]:
            """Convert one batch; the positions it did not make, and LibreOffice's message about them."""
            batch = folder / f"batch{batch_number}"
            made = batch / "out"
            profile = profiles.get()
            try:
                command = [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                           "--nologo", "--nodefault", "--convert-to", "pdf", "--outdir", "out",
                           *(f"{position}.xlsx" for position in positions)]
                status, output = _run(command, batch, environment, 60 + SECONDS_PER_FILE * len(positions))
            finally:
                profiles.put(profile)
            missing = []
            for position in positions:
                produced = made / f"{position}.pdf"
                if produced.is_file() and produced.stat().st_size > 0:
                    target = out_dir / f"{stems[position]}.pdf"
                    shutil.move(str(produced), target)
                    pdfs[position] = target
                else:
                    missing.append(position)
            detail = _last_message(output) if missing else ""
            if missing and not detail:
                detail = f"LibreOffice exited with status {status} and made no PDF"
            return missing, detail

        def prepare(batch_number: int, positions: list[int]) -> None:
            batch = folder / f"batch{batch_number}"
            batch.mkdir()
            for position in positions:
                books.write(specs[position], batch / f"{position}.xlsx")

        failed: list[int] = []
        detail = ""
        done = 0
        say(f"converting {len(specs):,} sheet(s) with {count} LibreOffice process(es)")
        with ThreadPoolExecutor(max_workers=count) as pool:
            futures = {}
            for number, positions in enumerate(batches):
                prepare(number, positions)
                futures[pool.submit(convert, number, positions)] = positions
            for future in as_completed(futures):
                missing, message = future.result()
                failed += missing
                detail = message or detail
                done += len(futures[future]) - len(missing)
                say(f"converted {done:,} of {len(specs):,}")
        if failed:  # once more, one file at a time, so that one bad file cannot sink its neighbours
            say(f"trying {len(failed):,} again one by one")
            retry = sorted(failed)
            failed = []
            for offset, position in enumerate(retry):
                number = len(batches) + offset
                prepare(number, [position])
                missing, message = convert(number, [position])
                failed += missing
                detail = message or detail
        return Conversion(pdfs, [specs[position].name for position in sorted(failed)], detail)
