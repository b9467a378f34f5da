"""``arxl addin install|remove|status``: the Excel add-in where Excel loads it (``arxl.verbs.addin``).

Headless: no Excel is started or needed. ``--platform`` (``windows`` or ``macos``) defaults to this machine's;
elsewhere it must be given, with ``--home`` naming the home folder to prepare (a mounted profile, or a test's
fake home). On Windows the startup folder is under ``%APPDATA%``, taken from the environment when ``--home`` is
not given. Every command prints what it did, one line each, then ``OK:`` or ``FAILED:``; exit codes are those
of ``arxl.cli`` (``status`` exits 1 when something is missing or stale, 2 when a file cannot be written).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import EXIT_INVALID, EXIT_UNUSABLE, handle_errors, out_console

if TYPE_CHECKING:
    from ..verbs.addin import ExcelPlaces

PLATFORM = click.Choice(["windows", "macos"])


def _places(platform: str | None, home: Path | None) -> ExcelPlaces:
    import os

    from ..verbs.addin import current_platform, excel_places

    chosen = platform or current_platform()
    if chosen is None:
        click.echo("arxl: Excel runs on Windows and macOS; to prepare a home folder for one from here, pass "
                   "--platform windows or --platform macos with --home", err=True)
        sys.exit(EXIT_UNUSABLE)
    appdata = None
    if home is None:
        home = Path.home()
        if chosen == "windows" and os.environ.get("APPDATA"):
            appdata = Path(os.environ["APPDATA"])
    return excel_places(chosen, home, appdata)


def _print(lines: list[str]) -> None:
    for line in lines:
        out_console.print(line, markup=False, highlight=False)


_OPTIONS = (
    click.option("--platform", type=PLATFORM, default=None,
                 help="windows or macos (default: this machine's)."),
    click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="The user's home folder (default: yours)."),
)


def _with_places(command):  # type: ignore[no-untyped-def]
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


@click.group()
def addin() -> None:
    """Install the arxl add-in (AR ribbon tab and AR_* worksheet functions) where Excel loads it.

    \b
    Example:  arxl addin install        then start Excel: the AR tab is there
              arxl addin status
    """


@addin.command()
@_with_places
@handle_errors
def install(platform: str | None, home: Path | None) -> None:
    """Copy the add-in into Excel's startup folder and set the Python it starts (this one)."""
    from ..verbs import addin as verb

    places = _places(platform, home)
    _print(verb.install(places, interpreter=sys.executable))
    out_console.print(f"OK: installed; start (or restart) Excel and the AR tab appears ({places.platform})",
                      markup=False, highlight=False)


@addin.command()
@_with_places
@click.option("--purge", is_flag=True, help="Also delete the add-in's configuration file.")
@handle_errors
def remove(platform: str | None, home: Path | None, purge: bool) -> None:
    """Delete the add-in from Excel's startup folder (quit Excel first)."""
    from ..verbs import addin as verb

    places = _places(platform, home)
    _print(verb.remove(places, purge=purge))
    out_console.print(f"OK: removed; restart Excel ({places.platform})", markup=False, highlight=False)


@addin.command()
@_with_places
@handle_errors
def status(platform: str | None, home: Path | None) -> None:
    """Say whether the add-in and its settings are where Excel needs them (exit 1 if not)."""
    from ..verbs import addin as verb

    places = _places(platform, home)
    found = verb.status(places, interpreter=sys.executable)
    _print(found.lines)
    if found.ok:
        out_console.print(f"OK: the arxl add-in is installed ({places.platform})", markup=False, highlight=False)
        return
    out_console.print(f"FAILED: {'; '.join(found.problems)}", markup=False, highlight=False)
    sys.exit(EXIT_INVALID)
