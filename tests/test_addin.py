"""The AR ribbon add-in workbooks/arxl.xlam, checked with readers independent of the code that wrote it:
the zip and XML parts directly, oletools for the VBA project, and LibreOffice for the whole file."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import arxl_macros
import pytest
import xlwings

with warnings.catch_warnings():  # oletools uses pyparsing names pyparsing 3 calls deprecated: noise here
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser, decompress_stream

ROOT = Path(__file__).resolve().parents[1]
ADDIN = ROOT / "workbooks" / "arxl.xlam"
sys.path.insert(0, str(ROOT / "workbooks"))
import build_addin  # noqa: E402 - the build script lives beside the workbooks it builds

CUSTOM_UI_NS = "{http://schemas.microsoft.com/office/2006/01/customui}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@pytest.fixture(scope="module")
def modules() -> dict[str, str]:
    parser = VBA_Parser(str(ADDIN))
    try:
        assert parser.detect_vba_macros()
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _ui() -> ElementTree.Element:
    with zipfile.ZipFile(ADDIN) as package:
        return ElementTree.fromstring(package.read("customUI/customUI.xml"))


def test_custom_ui_is_well_formed_and_in_the_package_relationships() -> None:
    with zipfile.ZipFile(ADDIN) as package:
        assert package.testzip() is None
        rels = ElementTree.fromstring(package.read("_rels/.rels"))
        names = set(package.namelist())
    targets = {rel.get("Target"): rel.get("Type") for rel in rels.iter(f"{REL_NS}Relationship")}
    assert targets["customUI/customUI.xml"].endswith("/relationships/ui/extensibility")
    assert "customUI/customUI.xml" in names and "xl/vbaProject.bin" in names
    tab = _ui().find(f"{CUSTOM_UI_NS}ribbon/{CUSTOM_UI_NS}tabs/{CUSTOM_UI_NS}tab")
    assert tab is not None and tab.get("label") == "AR"


def test_the_buttons_are_the_ribbon_entry_points() -> None:
    buttons = list(_ui().iter(f"{CUSTOM_UI_NS}button"))
    assert [button.get("label") for button in buttons] == [
        "Refresh", "Statements", "Check", "Apply cash", "Accept cash", "Import", "Charges", "Accept charges",
        "Credit check", "Help"]
    assert {button.get("id") for button in buttons} == set(arxl_macros.ACTIONS)
    assert {button.get("onAction") for button in buttons} == {"RibbonArxl.ArxlRibbon"}


def test_every_on_action_names_a_sub_in_the_decoded_vba(modules: dict[str, str]) -> None:
    for button in _ui().iter(f"{CUSTOM_UI_NS}button"):
        module, _, sub = str(button.get("onAction")).rpartition(".")
        assert module in modules, module
        signature = rf"^\s*(Public\s+)?Sub\s+{sub}\s*\(\s*control\s+As\s+IRibbonControl\s*\)"
        assert re.search(signature, modules[module], re.MULTILINE | re.IGNORECASE), sub


def test_the_dispatcher_runs_python(modules: dict[str, str]) -> None:
    body = modules["RibbonArxl"]
    assert 'RunPython "import arxl_macros; arxl_macros.on_ribbon(\'" & control.Id & "\')"' in body
    assert re.search(r"^\s*(Public\s+)?(Function|Sub)\s+RunPython\s*\(", modules["xlwings"], re.MULTILINE)


def test_the_template_modules_are_kept(modules: dict[str, str]) -> None:
    assert set(modules) == {"ThisWorkbook", "Sheet2", "Dictionary", "xlwings", "RibbonArxl"}
    template = build_addin.template_modules(build_addin.template_path())
    ours = modules["xlwings"].replace("\r\n", "\n").rstrip("\n").split("\n")
    theirs = template["xlwings"].replace("\r\n", "\n").rstrip("\n").split("\n")
    changed = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
    assert changed == [('Public Const PROJECT_NAME As String = "arxl"',
                        'Public Const PROJECT_NAME As String = "myaddin"')]
    def unix(text: str) -> str:
        return text.replace("\r\n", "\n").strip()

    assert unix(modules["Dictionary"]) == unix(template["Dictionary"])


def test_olevba_command_line_decodes_the_dispatcher() -> None:
    olevba = shutil.which("olevba")
    if olevba is None:
        pytest.skip("the olevba script is not on PATH (the Python API is checked above)")
    run = subprocess.run([olevba, "--decode", str(ADDIN)], capture_output=True, text=True, timeout=120,
                         check=False)
    assert "Sub ArxlRibbon(control As IRibbonControl)" in run.stdout


def test_build_is_reproducible(tmp_path: Path, modules: dict[str, str]) -> None:
    first = build_addin.build(tmp_path / "a.xlam")
    second = build_addin.build(tmp_path / "b.xlam")
    assert first.read_bytes() == second.read_bytes()
    version = re.search(r"'Version: (\S+)", modules["xlwings"])
    if version is None or version.group(1) != xlwings.__version__:
        pytest.skip(f"the committed add-in was built from another xlwings ({version and version.group(1)}); "
                    "rebuild it with python workbooks/build_addin.py")
    assert first.read_bytes() == ADDIN.read_bytes(), "rebuild it with python workbooks/build_addin.py"


def test_the_compressor_round_trips_through_oletools() -> None:
    words = [b"Dim ", b"As String", b"\r\n", b"    ", b"End Sub", b"If ", b"Then", b"x", b"RunPython ", b"'",
             b"\""]
    generator = random.Random(5)
    cases = [b"", b"a", b"abc", b"a" * 5000, bytes(range(256)) * 20]
    cases += [b"".join(generator.choice(words) for _ in range(size)) for size in (10, 300, 900, 1500, 4000)]
    source = Path(xlwings.__file__).with_name("xlwings.bas").read_bytes()
    cases.append(source)
    for data in cases:
        assert bytes(decompress_stream(bytearray(build_addin.ovba_compress(data)))) == data


def test_libreoffice_opens_the_add_in_and_reads_its_vba(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice (soffice) is required in CI to check the add-in")
        pytest.skip("LibreOffice (soffice) is not installed; CI installs it")
    copy = tmp_path / "arxl.xlam"
    shutil.copy(ADDIN, copy)
    # LibreOffice's type detection does not know the add-in content type: name the Excel VBA filter.
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--infilter=Calc MS Excel 2007 VBA XML", "--convert-to", "ods", "--outdir",
                          str(tmp_path / "out"), str(copy)], capture_output=True, text=True, timeout=300,
                         check=False)
    converted = tmp_path / "out" / "arxl.ods"
    assert converted.exists(), run.stdout + run.stderr
    with zipfile.ZipFile(converted) as package:
        basic = {Path(name).stem: package.read(name).decode("utf-8") for name in package.namelist()
                 if name.startswith("Basic/VBAProject/") and not name.endswith("script-lb.xml")}
    assert set(basic) == {"ThisWorkbook", "Sheet2", "Dictionary", "xlwings", "RibbonArxl"}
    assert "Sub ArxlRibbon(control As IRibbonControl)" in basic["RibbonArxl"]
    assert 'script:moduleType="class"' in basic["Dictionary"]
