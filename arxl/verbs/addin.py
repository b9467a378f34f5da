"""Putting the arxl add-in where Excel loads it, and taking it away: ``arxl addin install|remove|status``.

Excel opens every file in its user startup folder (XLSTART) when it starts; XLSTART is a trusted location, so
the add-in's macros run without a prompt, and a file copied there by this command carries no Mark of the Web
(only a browser's download does, and Office blocks the macros of such a file). xlwings' own ``xlwings addin
install`` copies its add-ins to the same folder, but asks a running Excel where it is; this command knows the
folders, so it works headless (no Excel needed, nothing started) and is tested with a fake home folder:

- **Windows**: ``%APPDATA%\\Microsoft\\Excel\\XLSTART`` (Excel's ``Application.StartupPath``); the add-in's
  configuration file is ``%USERPROFILE%\\.arxl\\arxl.conf`` (what the add-in's xlwings VBA reads for
  ``PROJECT_NAME = "arxl"``: ``GetConfigFilePath``).
- **macOS**: ``~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel``
  (Excel 2016 and later); the configuration file is ``~/Library/Containers/com.microsoft.Excel/Data/arxl.conf``
  (Excel's sandbox home), and RunPython needs xlwings' AppleScript in ``~/Library/Application
  Scripts/com.microsoft.Excel/`` (what ``xlwings runpython install`` copies), which this command copies too.

``install`` copies the add-in (replacing an older one; refused while Excel holds it open), and writes the
interpreter the add-in must start (this Python, ``INTERPRETER_WIN`` or ``INTERPRETER_MAC``: the one arxl is
installed in) into the configuration file, keeping every other line of it; the add-in's own ``arxl.conf``
sheet adds ``ADD_WORKBOOK_TO_PYTHONPATH = False``. Nothing is written to the Windows registry: an add-in in
XLSTART needs no registration, and the worksheet functions live inside the add-in (no VBA reference, no
"Trust access to the VBA project object model"). ``remove`` deletes the add-in, and the configuration file
only with ``purge`` (it may hold settings of the user's own); the AppleScript stays, being xlwings' and shared
with every xlwings tool. ``status`` says what is where and whether it is this arxl's add-in. Every function
returns the lines that say exactly what was done; nothing is printed here.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SaveRefused, WorkbookError

ADDIN_FILE = "arxl.xlam"
PLATFORMS = ("windows", "macos")
MAC_STARTUP = ("Library", "Group Containers", "UBF8T346G9.Office", "User Content.localized", "Startup.localized",
               "Excel")
MAC_SANDBOX = ("Library", "Containers", "com.microsoft.Excel", "Data")
MAC_SCRIPTS = ("Library", "Application Scripts", "com.microsoft.Excel")


@dataclass(frozen=True)
class ExcelPlaces:
    """Where Excel on one platform looks for what the add-in needs.

    Attributes:
        platform: ``windows`` or ``macos``.
        startup: Excel's user startup folder (XLSTART).
        config: the add-in's user configuration file (xlwings' format: one ``"KEY","VALUE"`` a line).
        scripts: macOS only: the folder of RunPython's AppleScript (None on Windows).
    """

    platform: str
    startup: Path
    config: Path
    scripts: Path | None = None

    @property
    def addin(self) -> Path:
        return self.startup / ADDIN_FILE

    @property
    def interpreter_key(self) -> str:
        return "INTERPRETER_WIN" if self.platform == "windows" else "INTERPRETER_MAC"


def current_platform() -> str | None:
    """``windows`` or ``macos`` for this machine; None where Excel does not run."""
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return None


def excel_places(platform: str, home: Path, appdata: Path | None = None) -> ExcelPlaces:
    """The folders of ``platform`` for the user whose home folder is ``home`` (``appdata``: Windows' roaming
    application data folder, ``%APPDATA%``; default ``home\\AppData\\Roaming``)."""
    if platform == "windows":
        roaming = appdata or home / "AppData" / "Roaming"
        return ExcelPlaces(platform, roaming / "Microsoft" / "Excel" / "XLSTART", home / ".arxl" / "arxl.conf")
    if platform == "macos":
        return ExcelPlaces(platform, home.joinpath(*MAC_STARTUP), home.joinpath(*MAC_SANDBOX) / "arxl.conf",
                           home.joinpath(*MAC_SCRIPTS))
    raise ValueError(f"Excel add-ins install on {' or '.join(PLATFORMS)}, not {platform}")


def packaged_addin() -> Path:
    """The add-in shipped with this arxl: inside the installed package (``arxl/data/arxl.xlam`` in the wheel),
    else in the source checkout (``workbooks/arxl.xlam``, for an editable install)."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "data" / ADDIN_FILE, package.parent / "workbooks" / ADDIN_FILE):
        if candidate.is_file():
            return candidate
    raise WorkbookError(f"this arxl installation has no {ADDIN_FILE} (looked in {package / 'data'} and "
                        f"{package.parent / 'workbooks'}); reinstall arxl")


def applescript() -> Path:
    """xlwings' RunPython AppleScript for macOS, shipped in the xlwings package
    (``xlwings-<version>.applescript``)."""
    import xlwings

    return Path(xlwings.__file__).resolve().parent / f"xlwings-{xlwings.__version__}.applescript"


# --- the configuration file ----------------------------------------------------------------------------------

def read_config(path: Path) -> dict[str, str]:
    """The settings of an xlwings configuration file (``"KEY","VALUE"`` lines, as VBA's ``Write #`` writes
    them); keys upper-cased as xlwings compares them."""
    if not path.is_file():
        return {}
    settings: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, value = _config_line(line)
        if key:
            settings[key.upper()] = value
    return settings


def _config_line(line: str) -> tuple[str, str]:
    parts = line.strip().split(",", 1)
    if len(parts) != 2:
        return "", ""
    return parts[0].strip().strip('"'), parts[1].strip().strip('"')


def write_config(path: Path, updates: dict[str, str]) -> None:
    """Set ``updates`` in the configuration file at ``path``, keeping every other line as it was."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.is_file() else []
    kept = [line for line in lines if _config_line(line)[0].upper() not in updates]
    kept += [f'"{key}","{value}"' for key, value in updates.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("\r\n".join(kept) + "\r\n", encoding="utf-8")
    os.replace(temporary, path)


# --- install, remove, status ---------------------------------------------------------------------------------

def _copy(source: Path, target: Path) -> None:
    """Copy atomically; a file Excel holds open cannot be replaced on Windows: say so."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except PermissionError as exc:
        temporary.unlink(missing_ok=True)
        raise SaveRefused(f"cannot write {target}: quit Excel (it holds the add-in open) and run this again "
                          f"({exc.strerror})") from exc


def install(places: ExcelPlaces, *, interpreter: str, addin: Path | None = None) -> list[str]:
    """Copy the add-in into Excel's startup folder and point its configuration at ``interpreter``."""
    source = addin or packaged_addin()
    done = []
    replaced = places.addin.is_file()
    _copy(source, places.addin)
    done.append(f"{'replaced' if replaced else 'copied'} the add-in: {places.addin}")
    write_config(places.config, {places.interpreter_key: interpreter})
    done.append(f'set {places.interpreter_key} = "{interpreter}" in {places.config}')
    if places.scripts is not None:
        script = applescript()
        _copy(script, places.scripts / script.name)
        done.append(f"copied xlwings' RunPython AppleScript: {places.scripts / script.name}")
    return done


def remove(places: ExcelPlaces, *, purge: bool = False) -> list[str]:
    """Delete the add-in from Excel's startup folder (and, with ``purge``, its configuration file)."""
    done = []
    if places.addin.is_file():
        try:
            places.addin.unlink()
        except PermissionError as exc:
            raise SaveRefused(f"cannot delete {places.addin}: quit Excel (it holds the add-in open) and run this "
                              f"again ({exc.strerror})") from exc
        done.append(f"deleted the add-in: {places.addin}")
    else:
        done.append(f"no add-in to delete at {places.addin}")
    if purge and places.config.is_file():
        places.config.unlink()
        done.append(f"deleted the configuration file: {places.config}")
    elif places.config.is_file():
        done.append(f"kept the configuration file (it may hold settings of yours; --purge deletes it): "
                    f"{places.config}")
    if places.scripts is not None:
        done.append(f"kept xlwings' RunPython AppleScript (other xlwings tools use it): {places.scripts}")
    return done


@dataclass(frozen=True)
class AddinStatus:
    """What ``status`` found.

    Attributes:
        lines: one line per thing checked, for people.
        problems: what stops the add-in from working as installed (empty when all is well).
    """

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def status(places: ExcelPlaces, *, interpreter: str, addin: Path | None = None) -> AddinStatus:
    """Whether the add-in, its interpreter setting (and on macOS the AppleScript) are where Excel needs them."""
    lines: list[str] = []
    problems: list[str] = []
    if places.addin.is_file():
        source = addin or packaged_addin()
        if places.addin.read_bytes() == source.read_bytes():
            lines.append(f"add-in: {places.addin} (this arxl's)")
        else:
            lines.append(f"add-in: {places.addin} (another version)")
            problems.append("the installed add-in is not this arxl's: run arxl addin install to replace it")
    else:
        lines.append(f"add-in: not installed (arxl addin install puts it at {places.addin})")
        problems.append("the add-in is not installed")
    configured = read_config(places.config).get(places.interpreter_key)
    if configured is None:
        lines.append(f"interpreter: no {places.interpreter_key} in {places.config} (the add-in would start "
                     "whatever 'python' Excel finds)")
        problems.append(f"no {places.interpreter_key} set: run arxl addin install")
    else:
        this = " (this Python)" if os.path.normcase(configured) == os.path.normcase(interpreter) else ""
        lines.append(f"interpreter: {configured}{this}, from {places.config}")
        if not this and places.platform == current_platform() and not Path(configured).is_file():
            problems.append(f"the configured interpreter {configured} does not exist: run arxl addin install")
    if places.scripts is not None:
        script = places.scripts / applescript().name
        if script.is_file():
            lines.append(f"RunPython AppleScript: {script}")
        else:
            lines.append(f"RunPython AppleScript: missing ({script})")
            problems.append("xlwings' AppleScript for this xlwings version is missing: run arxl addin install")
    return AddinStatus(lines, problems)
