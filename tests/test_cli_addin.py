"""``arxl addin install|remove|status`` into a fake home folder, and the wheel that ships the add-in."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import xlwings
from click.testing import CliRunner
from packaging.requirements import Requirement

from arxl.cli import main
from arxl.verbs.addin import packaged_addin, read_config

ROOT = Path(__file__).resolve().parents[1]
WINDOWS_XLSTART = Path("AppData", "Roaming", "Microsoft", "Excel", "XLSTART")
MAC_XLSTART = Path("Library", "Group Containers", "UBF8T346G9.Office", "User Content.localized",
                   "Startup.localized", "Excel")
MAC_CONFIG = Path("Library", "Containers", "com.microsoft.Excel", "Data", "arxl.conf")
MAC_SCRIPTS = Path("Library", "Application Scripts", "com.microsoft.Excel")


def run(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["addin", *arguments], env=env)
    return result.exit_code, result.output


def test_install_on_windows_puts_the_add_in_in_xlstart_and_status_reports_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, output = run("install", "--platform", "windows", "--home", str(home))
    assert code == 0, output
    installed = home / WINDOWS_XLSTART / "arxl.xlam"
    assert installed.read_bytes() == (ROOT / "workbooks" / "arxl.xlam").read_bytes()
    config = home / ".arxl" / "arxl.conf"
    assert read_config(config) == {"INTERPRETER_WIN": sys.executable}
    assert config.read_bytes() == f'"INTERPRETER_WIN","{sys.executable}"\r\n'.encode()
    lines = output.strip().splitlines()
    assert lines == [f"copied the add-in: {installed}", f'set INTERPRETER_WIN = "{sys.executable}" in {config}',
                     "OK: installed; start (or restart) Excel and the AR tab appears (windows)"]
    code, output = run("status", "--platform", "windows", "--home", str(home))
    assert code == 0, output
    assert output.strip().splitlines() == [
        f"add-in: {installed} (this arxl's)", f"interpreter: {sys.executable} (this Python), from {config}",
        "OK: the arxl add-in is installed (windows)"]


def test_install_on_windows_follows_appdata_when_no_home_is_given(tmp_path: Path) -> None:
    roaming, profile = tmp_path / "Roaming", tmp_path / "profile"
    env = {"APPDATA": str(roaming), "HOME": str(profile), "USERPROFILE": str(profile)}
    code, output = run("install", "--platform", "windows", env=env)
    assert code == 0, output
    assert (roaming / "Microsoft" / "Excel" / "XLSTART" / "arxl.xlam").is_file()
    assert (profile / ".arxl" / "arxl.conf").is_file()


def test_install_on_macos_also_copies_the_runpython_applescript(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, output = run("install", "--platform", "macos", "--home", str(home))
    assert code == 0, output
    assert (home / MAC_XLSTART / "arxl.xlam").is_file()
    assert read_config(home / MAC_CONFIG) == {"INTERPRETER_MAC": sys.executable}
    script = home / MAC_SCRIPTS / f"xlwings-{xlwings.__version__}.applescript"
    assert script.read_bytes() == (Path(xlwings.__file__).parent / script.name).read_bytes()
    code, output = run("status", "--platform", "macos", "--home", str(home))
    assert code == 0, output
    assert f"RunPython AppleScript: {script}" in output


def test_reinstall_replaces_the_add_in_and_keeps_the_users_other_settings(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / ".arxl" / "arxl.conf"
    config.parent.mkdir(parents=True)
    config.write_text('"INTERPRETER_WIN","C:\\old\\python.exe"\r\n"CONDA ENV","ar"\r\n', encoding="utf-8")
    stale = home / WINDOWS_XLSTART / "arxl.xlam"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an older add-in")
    code, output = run("status", "--platform", "windows", "--home", str(home))
    assert code == 1
    assert "(another version)" in output and "interpreter: C:\\old\\python.exe, from" in output
    assert output.strip().splitlines()[-1].startswith("FAILED: the installed add-in is not this arxl's")
    code, output = run("install", "--platform", "windows", "--home", str(home))
    assert code == 0, output
    assert output.startswith(f"replaced the add-in: {stale}")
    assert stale.read_bytes() == packaged_addin().read_bytes()
    assert read_config(config) == {"CONDA ENV": "ar", "INTERPRETER_WIN": sys.executable}


def test_remove_deletes_the_add_in_and_keeps_the_configuration_unless_purged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run("install", "--platform", "windows", "--home", str(home))[0] == 0
    code, output = run("remove", "--platform", "windows", "--home", str(home))
    assert code == 0, output
    assert not (home / WINDOWS_XLSTART / "arxl.xlam").exists()
    assert (home / ".arxl" / "arxl.conf").is_file()
    assert "kept the configuration file" in output
    code, output = run("status", "--platform", "windows", "--home", str(home))
    assert code == 1 and "add-in: not installed (arxl addin install puts it at" in output
    code, output = run("remove", "--platform", "windows", "--home", str(home), "--purge")
    assert code == 0
    assert "no add-in to delete at" in output and "deleted the configuration file" in output
    assert not (home / ".arxl" / "arxl.conf").exists()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Excel's own platforms pick themselves")
def test_without_a_platform_where_excel_does_not_run_it_says_how(tmp_path: Path) -> None:
    code, output = run("install", "--home", str(tmp_path))
    assert code == 2
    assert "Excel runs on Windows and macOS" in output
    assert not any(tmp_path.iterdir())


def test_the_wheel_ships_the_add_in_and_pins_xlwings(tmp_path: Path) -> None:
    """The wheel as ``pip install`` would get it: ``unzip -l`` lists arxl/data/arxl.xlam (byte for byte the
    committed add-in) and the two top-level Excel modules; its metadata pins xlwings and leaves the readers and
    xlwings out in Pyodide; installed from the wheel, arxl finds its add-in."""
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True,
                           timeout=600, check=False)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("arxl-*.whl"))
    with zipfile.ZipFile(wheel) as package:
        names = set(package.namelist())
        assert package.read("arxl/data/arxl.xlam") == (ROOT / "workbooks" / "arxl.xlam").read_bytes()
        metadata_name = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(package.read(metadata_name).decode("utf-8"))
    assert {"arxl/data/arxl.xlam", "arxl_udfs.py", "arxl_macros.py", "arxl/verbs/addin.py"} <= names
    requires = {requirement.name: requirement
                for requirement in map(Requirement, metadata.get_all("Requires-Dist"))}
    assert str(requires["xlwings"].specifier) == f"=={xlwings.__version__}"
    pyodide, linux = {"sys_platform": "emscripten", "extra": ""}, {"sys_platform": "linux", "extra": ""}
    for name in ("xlwings", "fastexcel", "python-calamine", "openpyxl"):
        marker = requires[name].marker
        assert marker is not None and not marker.evaluate(pyodide) and marker.evaluate(linux), name
    for name in ("pandas", "numpy", "pyarrow", "numpy-financial"):  # what the core needs, in Pyodide too
        assert requires[name].marker is None, name
    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                                str(target), str(wheel)], capture_output=True, text=True, timeout=600, check=False)
    assert installed.returncode == 0, installed.stderr
    found = subprocess.run([sys.executable, "-c", "from arxl.verbs.addin import packaged_addin; "
                            "print(packaged_addin())"], capture_output=True, text=True, cwd=tmp_path,
                           env={"PYTHONPATH": str(target), "PATH": ""}, timeout=120, check=False)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == target / "arxl" / "data" / "arxl.xlam"
