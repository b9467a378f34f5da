"""The .xlsx/.xlsm package as a zip: refusing hostile or unusable files before any parser sees them.

Limits are checked against the zip's central directory (declared sizes) before anything is decompressed, so a
decompression bomb is refused in milliseconds with bounded memory.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeXml

from ..errors import WorkbookError

MAX_TOTAL_UNCOMPRESSED = 4 * 1024**3  # 4 GiB: a 1,000,000-invoice book is about 0.3 GiB
MAX_PART_UNCOMPRESSED = 2 * 1024**3
MAX_RATIO = 200  # real sheet XML compresses about 10-30x; bombs compress 1000x and more
RATIO_FLOOR = 8 * 1024**2  # parts smaller than this are not ratio-checked
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass(frozen=True)
class PackageInfo:
    """Facts read from the package without loading any sheet."""

    path: Path
    date1904: bool
    sheet_names: tuple[str, ...]
    has_vba: bool


def inspect_package(path: str | Path) -> PackageInfo:
    """Check that ``path`` is a readable, non-hostile workbook package and read its basic facts."""
    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    if path.is_dir():
        raise WorkbookError(f"{path}: is a folder, not a workbook")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == OLE_MAGIC:
        raise WorkbookError(f"{path}: is encrypted (password-protected) or an old binary .xls; "
                            "save it in Excel as an unprotected .xlsx or .xlsm")
    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK\x03\x04"):
            raise WorkbookError(f"{path}: the file is damaged (cut short or not a complete zip); "
                                "restore it from a backup")
        raise WorkbookError(f"{path}: is not an Excel workbook (.xlsx or .xlsm)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_sizes(path, infos)
            names = {info.filename for info in infos}
            if "xl/workbook.xml" not in names:
                raise WorkbookError(f"{path}: is a zip file but not an Excel workbook (no xl/workbook.xml)")
            root = SafeXml.fromstring(archive.read("xl/workbook.xml"))
    except zipfile.BadZipFile as exc:
        raise WorkbookError(f"{path}: the file is damaged ({exc}); restore it from a backup") from exc
    except SafeXml.ParseError as exc:
        raise WorkbookError(f"{path}: the workbook part is damaged ({exc})") from exc
    except DefusedXmlException as exc:
        raise WorkbookError(f"{path}: refused: the workbook contains unsafe XML ({exc})") from exc
    properties = root.find(f"{{{NS_MAIN}}}workbookPr")
    date1904 = properties is not None and properties.get("date1904", "0").lower() in ("1", "true")
    sheets = tuple(sheet.get("name", "") for sheet in root.iter(f"{{{NS_MAIN}}}sheet"))
    return PackageInfo(path, date1904, sheets, "xl/vbaProject.bin" in names)


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        if info.flag_bits & 0x1:
            raise WorkbookError(f"{path}: refused: part {info.filename} is encrypted")
        if info.file_size > MAX_PART_UNCOMPRESSED:
            raise WorkbookError(f"{path}: refused: part {info.filename} would decompress to "
                                f"{info.file_size:,} bytes (limit {MAX_PART_UNCOMPRESSED:,})")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise WorkbookError(f"{path}: refused: part {info.filename} compresses "
                                f"{info.file_size // max(info.compress_size, 1):,}:1, a decompression bomb")
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise WorkbookError(f"{path}: refused: the workbook would decompress to {total:,} bytes "
                            f"(limit {MAX_TOTAL_UNCOMPRESSED:,})")
