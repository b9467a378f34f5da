"""The AR add-in workbooks/arxl.xlam, checked with readers independent of the code that wrote it: the zip and
XML parts directly, oletools and olefile for the VBA project (against the project Excel saved in xlwings' own
template), and LibreOffice for the whole file."""

from __future__ import annotations

import inspect
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
import arxl_udfs
import olefile
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
        "Small balances", "Accept small balances", "Credit check", "Help"]
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
    assert set(modules) == {"ThisWorkbook", "Sheet2", "Dictionary", "xlwings", "RibbonArxl", "xlwings_udfs",
                            "ArxlFunctions"}
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
    assert set(basic) == {"ThisWorkbook", "Sheet2", "Dictionary", "xlwings", "RibbonArxl", "xlwings_udfs",
                          "ArxlFunctions"}
    assert "Sub ArxlRibbon(control As IRibbonControl)" in basic["RibbonArxl"]
    assert "Function AR_DSO(Optional invoices" in basic["xlwings_udfs"]
    assert 'script:moduleType="class"' in basic["Dictionary"]


# --- the worksheet functions inside the add-in -----------------------------------------------------------------

def worksheet_functions() -> dict[str, list[str]]:
    """Every AR_* function of udfs/arxl_udfs.py with its parameter names, in order."""
    return {name: list(inspect.signature(getattr(arxl_udfs, name)).parameters)
            for name in dir(arxl_udfs) if name.startswith("AR_") and callable(getattr(arxl_udfs, name))}


def vba_functions(source: str) -> dict[str, tuple[list[str], str]]:
    """Function name -> (parameter names, body) of every Function of a VBA module."""
    found = {}
    for match in re.finditer(r"^Function (\w+)\((.*?)\)\r?\n(.*?)^End Function", source,
                             re.MULTILINE | re.DOTALL):
        parameters = [part.split()[-1] for part in match.group(2).split(",") if part.strip()]
        found[match.group(1)] = (parameters, match.group(3))
    return found


def test_every_worksheet_function_is_declared_in_the_add_in(modules: dict[str, str]) -> None:
    declared = vba_functions(modules["xlwings_udfs"])
    python = worksheet_functions()
    assert set(declared) == set(python) and len(python) >= 16
    for name, parameters in python.items():
        vba_parameters, body = declared[name]
        assert vba_parameters == [f"{parameter}_code" if parameter == "currency" else parameter
                                  for parameter in parameters], name
        call = f'XLPy.CallUDF("arxl_udfs", "{name}", Array({", ".join(vba_parameters)}), ActiveWorkbook, ' \
               "Application.Caller)"
        assert call in body, name


def test_no_parameter_is_a_vba_reserved_word(modules: dict[str, str]) -> None:
    """A reserved word as a parameter (``currency`` is VBA's Currency type) is a compile error that takes every
    function of the module down with it."""
    reserved = {"currency", "date", "string", "integer", "long", "double", "boolean", "variant", "object",
                "single", "byte", "decimal", "len", "mid", "error", "type", "input", "open", "close", "get", "put"}
    for name, (parameters, _body) in vba_functions(modules["xlwings_udfs"]).items():
        assert not {parameter.casefold() for parameter in parameters} & reserved, name


def test_table_functions_skip_the_wizard_and_only_the_no_argument_form_is_volatile(modules) -> None:
    tables = ("invoices", "payments", "customers", "applications", "adjustments", "settings", "instalments",
              "fx_rates", "activity")
    wizard = 'If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function'
    for name, (parameters, body) in vba_functions(modules["xlwings_udfs"]).items():
        takes_tables = "invoices" in parameters
        # volatile only when every table argument the function takes is missing (the no-argument form)
        volatile = ("If " + " And ".join(f"IsMissing({table})" for table in tables if table in parameters)
                    + " Then Application.Volatile True Else Application.Volatile False")
        assert (volatile in body) is takes_tables, name
        assert (wizard in body) is takes_tables, name
    assert "Application.Volatile" not in vba_functions(modules["xlwings_udfs"])["AR_BUCKET"][1]


def test_the_function_wizard_texts_are_registered_when_the_add_in_opens(modules: dict[str, str]) -> None:
    assert re.search(r"Private Sub Workbook_Open\(\)\s+RegisterArxlFunctions\s+End Sub", modules["ThisWorkbook"])
    register = modules["ArxlFunctions"]
    for name in worksheet_functions():
        macro = rf'MacroOptions Macro:="\'" & ThisWorkbook\.Name & "\'!{name}", Description:="'
        assert re.search(macro, register), name
    assert 'Category:="arxl"' in register
    assert "Optional as-of date; blank = the Settings as_of, else today" in register


def test_olevba_shows_the_function_declarations() -> None:
    olevba = shutil.which("olevba")
    if olevba is None:
        pytest.skip("the olevba script is not on PATH (the Python API is checked above)")
    run = subprocess.run([olevba, "--decode", str(ADDIN)], capture_output=True, text=True, timeout=120,
                         check=False)
    for name in worksheet_functions():
        assert f"Function {name}(" in run.stdout, name


# --- the VBA project is shaped like one Excel saves ------------------------------------------------------------

def _ole_streams(package_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package_path) as package:
        data = package.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(data)
    try:
        return {"/".join(entry): ole.openstream(entry).read() for entry in ole.listdir()}
    finally:
        ole.close()


def test_the_vba_project_has_the_streams_and_fields_excel_writes() -> None:
    """Compared with the project Excel saved in xlwings' own template: PROJECTwm (each module's name in MBCS,
    NUL, in UTF-16, two NULs; two NULs at the end), VersionCompatible32 in the PROJECT stream, a [Workspace]
    section, and the same 7 bytes of _VBA_PROJECT (Reserved3 = 1, not ms-ovba's 3)."""
    ours, excel = _ole_streams(ADDIN), _ole_streams(build_addin.template_path())
    assert ours["VBA/_VBA_PROJECT"] == excel["VBA/_VBA_PROJECT"] == bytes.fromhex("cc61ffff000100")
    project = ours["PROJECT"].decode("cp1252")
    assert 'VersionCompatible32="393222000"' in excel["PROJECT"].decode("cp1252")
    lines = project.split("\r\n")
    assert lines.index('VersionCompatible32="393222000"') == lines.index('HelpContextID="0"') + 1
    modules = [line.split("=")[1].split("/")[0] for line in lines if line.startswith(("Document=", "Module=",
                                                                                      "Class="))]
    workspace = lines[lines.index("[Workspace]") + 1:]
    assert [line.split("=")[0] for line in workspace if line] == modules
    expected_wm = b"".join(name.encode("cp1252") + b"\0" + name.encode("utf-16-le") + b"\0\0"
                           for name in modules) + b"\0\0"
    assert ours["PROJECTwm"] == expected_wm
    assert excel["PROJECTwm"].endswith(b"x\0l\0w\0i\0n\0g\0s\0\0\0\0\0")  # the same layout in Excel's file


def test_the_add_in_sheet_sets_only_what_every_book_needs() -> None:
    """The sheet xlwings reads as the add-in's configuration (PROJECT_NAME & ".conf") holds
    ADD_WORKBOOK_TO_PYTHONPATH = False, and no key the user's configuration file must be able to set (an
    interpreter there would override ~/.arxl/arxl.conf)."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(ADDIN) as package:
        workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
        sheet = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))
        strings = [item.findtext(f"{main}t") for item in
                   ElementTree.fromstring(package.read("xl/sharedStrings.xml")).iter(f"{main}si")]
    assert [node.get("name") for node in workbook.iter(f"{main}sheet")] == ["arxl.conf"]
    cells = {cell.get("r"): strings[int(cell.findtext(f"{main}v"))] for cell in sheet.iter(f"{main}c")}
    assert cells["A1"] == "ADD_WORKBOOK_TO_PYTHONPATH" and cells["B1"] == "False"
    keys = [value for address, value in cells.items() if address.startswith("A")]
    assert keys == ["ADD_WORKBOOK_TO_PYTHONPATH"]


def test_the_xlwings_pin_and_the_add_in_vba_agree(modules: dict[str, str]) -> None:
    """The add-in's VBA is xlwings' own of one version (its macOS ribbon calls that version's AppleScript, its
    UDFs load that version's DLL): pyproject pins exactly that xlwings, and the environment runs it. Moving
    the pin without rebuilding the add-in, or the other way round, fails here."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pins = re.findall(r'"xlwings==([0-9][^;" ]*)', pyproject)
    assert len(pins) == 1, "pyproject must pin xlwings to one version (xlwings==X.Y.Z)"
    source = modules["xlwings"]
    header = re.search(r"^'Version: (\S+)", source, re.MULTILINE)
    constant = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', source)
    dlls = set(re.findall(r"xlwings(?:32|64)-([0-9.]+)\.dll", source))
    assert header is not None and constant is not None
    assert pins[0] == header.group(1) == constant.group(1), (pins[0], header.group(1), constant.group(1))
    assert dlls == {pins[0]}
    assert xlwings.__version__ == pins[0], "the environment runs another xlwings than the pinned one"
