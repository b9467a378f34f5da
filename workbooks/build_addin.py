"""Build the AR ribbon add-in ``workbooks/arxl.xlam``: ``python workbooks/build_addin.py [OUTPUT]``.

Reproducible from xlwings' own ribbon add-in template (``quickstart_addin_ribbon.xlam`` inside the installed
xlwings package, the file ``xlwings quickstart NAME --addin --ribbon`` copies):

1. the template's VBA modules are read back with oletools (``xlwings``, the RunPython machinery, with its
   ``PROJECT_NAME`` set to ``arxl`` so that its optional configuration lives in ``~/.arxl/arxl.conf`` or an
   ``arxl.conf`` sheet; ``Dictionary``; and the document modules ``ThisWorkbook`` and ``Sheet2``); its sample
   ``RibbonMyAddin`` module is replaced by ``RibbonArxl``, whose single dispatcher ``ArxlRibbon`` runs
   ``arxl_macros.on_ribbon(<button id>)`` through ``RunPython``;
2. a new ``vbaProject.bin`` is written from those sources with the ``ms-ovba`` package (a source-only project:
   Excel compiles it on first open), in a temporary folder because ms-ovba writes its helper files into the
   current directory;
3. the package is rewritten with the AR tab's ``customUI/customUI.xml``, the template's configuration sheet
   renamed ``_arxl.conf`` (inactive until renamed ``arxl.conf``), and every other part copied as it is, with
   fixed zip timestamps so that the same xlwings version gives the same bytes.

Needs the dev extras (``pip install -e .[dev]``: oletools, ms-ovba). ``tests/test_addin.py`` checks the result
with independent readers (oletools and LibreOffice).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "arxl.xlam"
PROJECT_NAME = "arxl"
DISPATCHER_MODULE = "RibbonArxl"
DISPATCHER = "ArxlRibbon"
PROJECT_ID = "{6D1E2F0A-5B7C-4C1D-9E3A-2A7F0C4B8E51}"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

GROUPS: tuple[tuple[str, str, tuple[tuple[str, str, str, str], ...]], ...] = (
    ("arxlReceivables", "Receivables", (
        ("arxlRefresh", "Refresh", "Refresh",
         "Validate the input tables and rebuild Dashboard, Aging, Aging Detail, statements, Checks, Collections, "
         "Forecast, Allowance and Credit."),
        ("arxlStatements", "Statements", "FilePrint", "Rebuild the customer statement sheets (ST ...)."),
        ("arxlCheck", "Check", "DataValidation",
         "Validate the input tables and list every problem; changes nothing."),
    )),
    ("arxlCash", "Cash and data", (
        ("arxlApplyCash", "Apply cash", "AutoSum",
         "Propose where payments that name no invoice go, on the Cash application sheet; rows at or above 80% "
         "confidence are marked yes in its Accept column for you to review."),
        ("arxlAcceptCash", "Accept cash", "ReviewAcceptChange",
         "Append the rows marked yes on the Cash application sheet to the Applications table."),
        ("arxlImport", "Import", "ImportTextFile",
         "Append the rows of a CSV, Excel or Parquet file to Invoices, Payments, Customers or Adjustments, "
         "checked first."),
    )),
    ("arxlCollections", "Collections", (
        ("arxlCharges", "Charges", "CurrencyFormat",
         "Propose the late fees of the dunning letters sent and the finance charges due, on the Charges sheet."),
        ("arxlAcceptCharges", "Accept charges", "ReviewAcceptChange",
         "Append the rows marked yes on the Charges sheet to the Adjustments table."),
        ("arxlCredit", "Credit check", "CheckNames",
         "Can we ship this order? Type a customer id and an amount: approve, refer or refuse, with the reasons."),
    )),
    ("arxlHelpGroup", "arxl", (
        ("arxlHelp", "Help", "Help", "What the buttons do and where the documentation is."),
    )),
)
"""The AR tab's groups: (group id, label, buttons), each button (control id, label, imageMso, supertip); the
control ids are the keys of ``arxl_macros.ACTIONS``."""

DISPATCHER_SOURCE = f'''Attribute VB_Name = "{DISPATCHER_MODULE}"
Option Explicit

' Every button of the AR ribbon tab calls this one dispatcher: all logic is in Python (arxl_macros.py).
Sub {DISPATCHER}(control As IRibbonControl)
    RunPython "import arxl_macros; arxl_macros.on_ribbon('" & control.Id & "')"
End Sub
'''


def ovba_compress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1 compression: a signature byte, then one chunk per 4096 bytes, each a sequence of flag
    bytes and tokens (a literal byte, or a copy token pointing back into the chunk for a match of 3 bytes or
    more, found greedily through a table of 3-byte prefixes).

    ms-ovba-compression's own compressor emits wrong copy tokens once a chunk passes a few hundred bytes
    (oletools then decodes garbage), so the add-in is built with this one; tests check it against oletools'
    independent decompressor.
    """
    container = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) > 4096:
            if len(chunk) != 4096:
                raise ValueError("a final chunk that does not compress cannot be stored raw")
            container += (0x3FFF).to_bytes(2, "little") + chunk  # a raw chunk: flag 0, signature 0b011
        else:
            container += (0xB000 | (len(body) - 1)).to_bytes(2, "little") + body
    return bytes(container)


def _compress_chunk(chunk: bytes) -> bytearray:
    body = bytearray()
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> positions where it starts, in order
    indexed = 0  # positions below this are in ``seen``
    position = 0
    while position < len(chunk):
        flag_at = len(body)
        body.append(0)
        for bit in range(8):
            if position >= len(chunk):
                break
            for index in range(indexed, min(position, len(chunk) - 2)):
                seen.setdefault(chunk[index:index + 3], []).append(index)
            indexed = max(indexed, position)
            # The copy token splits 16 bits between offset and length by how far into the chunk it sits.
            bit_count = max((position - 1).bit_length(), 4)
            maximum = (0xFFFF >> bit_count) + 3
            best_length, best_offset = 0, 0
            for candidate in reversed(seen.get(chunk[position:position + 3], ())):
                length = 0
                while (length < maximum and position + length < len(chunk)
                       and chunk[candidate + length] == chunk[position + length]):
                    length += 1
                if length > best_length:
                    best_length, best_offset = length, position - candidate
                    if length == maximum:
                        break
            if best_length >= 3:
                token = ((best_offset - 1) << (16 - bit_count)) | (best_length - 3)
                body += token.to_bytes(2, "little")
                body[flag_at] |= 1 << bit
                position += best_length
            else:
                body.append(chunk[position])
                position += 1
    return body


def template_path() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent / "quickstart_addin_ribbon.xlam"


def custom_ui() -> str:
    """The AR tab: every button's onAction is the one dispatcher."""
    action = f"{DISPATCHER_MODULE}.{DISPATCHER}"

    def button(control_id: str, label: str, image: str, tip: str) -> str:
        return (f"          <button id={quoteattr(control_id)} label={quoteattr(label)} size=\"large\" "
                f"imageMso={quoteattr(image)} supertip={quoteattr(tip)} onAction={quoteattr(action)} />")

    groups = "\n".join(f"        <group id={quoteattr(group_id)} label={quoteattr(label)}>\n"
                       + "\n".join(button(*spec) for spec in buttons) + "\n        </group>"
                       for group_id, label, buttons in GROUPS)
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
  <ribbon>
    <tabs>
      <tab id="arxlTab" label="AR">
{groups}
      </tab>
    </tabs>
  </ribbon>
</customUI>
"""


def template_modules(path: Path) -> dict[str, str]:
    """Module name -> source of the template's VBA project, as oletools decodes it."""
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _crlf(source: str) -> bytes:
    lines = source.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def vba_project(modules: dict[str, str]) -> bytes:
    """A source-only vbaProject.bin (MS-OVBA) holding the add-in's modules, written by ms-ovba."""
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.module_base import ModuleBase
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.libid_reference import LibidReference
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile

    class ClassModule(ModuleBase):
        """A class module: MODULETYPE 0x0022 in the dir stream (as for document modules), ``Class=`` in the
        PROJECT stream. ms-ovba has no class of its own for these."""

        def __init__(self, name: str) -> None:
            super().__init__(name)
            self.type = "Document"

        def to_project_module_string(self) -> str:
            return "Class=" + self.name

    sources = dict(modules)
    sources["xlwings"] = sources["xlwings"].replace('Public Const PROJECT_NAME As String = "myaddin"',
                                                    f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"')
    if f'PROJECT_NAME As String = "{PROJECT_NAME}"' not in sources["xlwings"]:
        raise RuntimeError("the template's xlwings module no longer sets PROJECT_NAME as expected")
    sources.pop("RibbonMyAddin", None)
    sources[DISPATCHER_MODULE] = DISPATCHER_SOURCE
    documents = {"ThisWorkbook": "0002081900000000C000000000000046", "Sheet2": "0002082000000000C000000000000046"}

    import ms_ovba_crypto.ms_ovba_crypto as ovba_crypto
    from ms_ovba_compression.ms_ovba import MsOvba

    project = VbaProject()
    project.project_id = PROJECT_ID
    previous = Path.cwd()
    own_compress, own_random = MsOvba.compress, ovba_crypto.random
    with tempfile.TemporaryDirectory(prefix="arxl-ovba-") as folder:
        os.chdir(folder)
        MsOvba.compress = lambda _self, data: ovba_compress(data)  # see ovba_compress
        # The PROJECT stream's obfuscated CMG/DPB/GC values take a random seed byte: fix it, same bytes each build.
        ovba_crypto.random = random.Random(PROJECT_ID)
        try:
            for name in ("ThisWorkbook", "Sheet2", "Dictionary", "xlwings", DISPATCHER_MODULE):
                if name in documents:
                    module: ModuleBase = DocModule(name)
                    module.add_guid(uuid.UUID(documents[name]))
                elif name == "Dictionary":
                    module = ClassModule(name)
                else:
                    module = StdModule(name)
                # The module stream is the source as the VBA editor holds it (attributes included), CRLF, in
                # the project's code page; written here directly instead of ms-ovba's normalize_file.
                module.add_file(str(Path(folder) / name))
                (Path(folder) / f"{name}.new").write_bytes(_crlf(sources[name]))
                project.add_module(module)
            for guid, version, path, label, reference_name in (
                ("0002043000000000C000000000000046", "2.0", "C:\\Windows\\System32\\stdole2.tlb",
                 "OLE Automation", "stdole"),
                ("2DF8D04C5BFA101BBDE500AA0044DE52", "2.0",
                 "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL",
                 "Microsoft Office 16.0 Object Library", "Office"),
            ):
                libid = LibidReference(uuid.UUID(guid), version, "0", path, label)
                project.add_reference(Reference(ReferenceRegistered(libid), reference_name))
            ProjectOleFile.write_file(project)
            return (Path(folder) / "vbaProject.bin").read_bytes()
        finally:
            MsOvba.compress, ovba_crypto.random = own_compress, own_random
            os.chdir(previous)


def build(output: Path = OUTPUT, template: Path | None = None) -> Path:
    """Write the add-in to ``output`` from the xlwings template (see the module docstring)."""
    template = template or template_path()
    vba = vba_project(template_modules(template))
    replaced = {
        "xl/vbaProject.bin": vba,
        "customUI/customUI.xml": custom_ui().encode("utf-8"),
    }
    output = Path(output)
    temporary = output.with_name(output.name + ".tmp")
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = replaced.get(info.filename)
            if data is None:
                data = source.read(info.filename)
                if info.filename == "xl/workbook.xml":
                    data = data.replace(b'name="_myaddin.conf"', f'name="_{PROJECT_NAME}.conf"'.encode())
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, data)
    temporary.replace(output)
    return output


if __name__ == "__main__":
    print(f"wrote {build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)}")
