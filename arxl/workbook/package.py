"""The .xlsx/.xlsm package (an OPC zip): refusing hostile or unusable files before any parser sees them, finding
parts, and rewriting a package with every untouched part copied as it is.

Limits are checked against the zip's central directory (declared sizes) before anything is decompressed, so a
decompression bomb is refused in milliseconds with bounded memory.

Writing is done here rather than by ``zipfile``, which offers no public way to copy a member without
decompressing and compressing it again (seconds on a big sheet): ``ZipWriter`` writes each part's local header
from the public fields of its ``ZipInfo`` (CRC, sizes, compression, dates) followed by its compressed bytes as
stored, then the central directory and the end records, zip64 where a size, an offset or the count of parts needs
it. New parts are deflated at level 1. The bytes are those ``zipfile`` writes for the same members (the tests
hold the two to that), with two choices of our own: every part is marked as made on Unix, so the same book
gives the same bytes on every platform, and no data descriptor follows a part, since every size is known.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

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
                if "mimetype" in names and archive.read("mimetype")[:64].startswith(
                        b"application/vnd.oasis.opendocument.spreadsheet"):
                    raise WorkbookError(f"{path}: is an OpenDocument spreadsheet (.ods), not an Excel workbook; "
                                        "save it as Excel 2007-365 (.xlsx) first (in LibreOffice: File > Save As)")
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


def rels_path(part: str) -> str:
    """The relationships part of ``part``: ``xl/worksheets/sheet1.xml`` ->
    ``xl/worksheets/_rels/sheet1.xml.rels``."""
    path = PurePosixPath(part)
    return str(path.parent / "_rels" / (path.name + ".rels"))


def normalise_part(part: str) -> str:
    """A part name with ``.``, ``..`` and empty pieces resolved: ``xl/worksheets/../tables/t1.xml`` ->
    ``xl/tables/t1.xml``."""
    out: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            out = out[:-1]  # climbing above the root stays at the root, as in resolving a URL
        elif piece not in (".", ""):
            out.append(piece)
    return "/".join(out)


def resolve_target(source: str, target: str) -> str:
    """The part a relationship of part ``source`` points to: ``Target`` is relative to ``source``'s folder, or
    absolute from the package root when it starts with ``/``."""
    if target.startswith("/"):
        return normalise_part(target)
    return normalise_part(str(PurePosixPath(source).parent / target))


@dataclass(frozen=True)
class SheetEntry:
    """One ``<sheet>`` of ``xl/workbook.xml``: its name, ``sheetId``, relationship id and part."""

    name: str
    sheet_id: int
    rid: str
    part: str


def read_sheet_entries(workbook_xml: str, rels_xml: str) -> list[SheetEntry]:
    """The sheets of ``xl/workbook.xml`` in tab order, each with the part its relationship names (any valid XML
    spelling: ``arxl.workbook.bookxml``)."""
    from .bookxml import Relationships, WorkbookXml

    rels = Relationships.parse(rels_xml)
    return [SheetEntry(sheet.name, sheet.sheet_id, sheet.rid,
                       resolve_target("xl/workbook.xml", rels.target(sheet.rid) or ""))
            for sheet in WorkbookXml(workbook_xml).sheets]


class Package:
    """A workbook package open for a surgical update: parts are read when asked for, replaced, added or removed
    in memory, and ``write`` copies every untouched part's compressed bytes as they are stored."""

    def __init__(self, path: Path):
        self.path = path
        self.archive = zipfile.ZipFile(path)
        self.infos = self.archive.infolist()
        self.changed: dict[str, bytes] = {}
        self.removed: set[str] = set()
        self._cache: dict[str, bytes] = {}

    def read(self, name: str) -> bytes | None:
        if name in self.removed:
            return None
        if name in self.changed:
            return self.changed[name]
        if name not in self._cache:
            try:
                self._cache[name] = self.archive.read(name)
            except KeyError:
                return None
        return self._cache[name]

    def text(self, name: str) -> str | None:
        data = self.read(name)
        return None if data is None else data.decode("utf-8")

    def names(self) -> list[str]:
        present = [info.filename for info in self.infos if info.filename not in self.removed]
        return present + [name for name in self.changed if name not in present]

    def set(self, name: str, data: bytes | str) -> None:
        self.removed.discard(name)
        self.changed[name] = data.encode("utf-8") if isinstance(data, str) else data

    def remove(self, name: str) -> None:
        self.changed.pop(name, None)
        self.removed.add(name)

    def crc(self, name: str) -> tuple[int, int]:
        """(CRC-32, size) of a part as it will be written: from the zip's directory when untouched."""
        if name in self.changed:
            return zlib.crc32(self.changed[name]), len(self.changed[name])
        info = next(info for info in self.infos if info.filename == name)
        return info.CRC, info.file_size

    def inputs_fingerprint(self) -> str:
        """A digest of the parts that hold what users type (sheets, tables and shared strings, but not arxl's own
        parts nor the workbook-wide ones a write of arxl's changes): equal fingerprints mean the input tables
        cannot have changed."""
        import hashlib

        digest = hashlib.blake2b(digest_size=16)
        for name in sorted(self.names()):
            stem = PurePosixPath(name).name
            if stem.startswith("arxl-") or not (name.startswith(("xl/worksheets/", "xl/tables/"))
                                                or name == "xl/sharedStrings.xml"):
                continue
            crc, size = self.crc(name)
            digest.update(f"{name}:{crc}:{size};".encode())
        return digest.hexdigest()

    def write(self, target: Path) -> None:
        """Write the updated package: changed parts compressed anew, the others copied as stored."""
        original = {info.filename: info for info in self.infos}
        with target.open("wb") as out, self.path.open("rb") as source:
            writer = ZipWriter(out)
            for name in self.names():
                if name in self.changed:
                    writer.add(name, self.changed[name])
                else:
                    writer.copy(source, original[name])
            writer.finish()

    def close(self) -> None:
        self.archive.close()


# Level 1: a third of level 6's time on big generated sheets, for files a little bigger.
COMPRESS_LEVEL = 1
# Beyond this, sizes and offsets go to a zip64 field. 2**31 - 1 as in Python's zipfile: some readers take the
# 32-bit fields as signed.
ZIP64_LIMIT = (1 << 31) - 1
_MAX_CLASSIC_ENTRIES = 0xFFFF
_VERSION, _ZIP64_VERSION = 20, 45  # "version needed to extract": 2.0 (deflate), 4.5 (zip64)
_MADE_ON_UNIX = 3
_DATA_DESCRIPTOR_FLAG, _UTF8_NAME_FLAG = 0x08, 0x800
_NEW_PART_TIME = (2026, 1, 1, 0, 0, 0)  # a fixed stamp: the same book always gives the same bytes
_NEW_PART_MODE = 0o600 << 16  # rw------- in the Unix half of the external attributes
_COPY_CHUNK = 1 << 20

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_CENTRAL_HEADER = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_END64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EXTRA = 1


@dataclass(frozen=True)
class _Entry:
    """What the central directory repeats about one written part."""

    name: bytes
    flags: int
    method: int
    dos_time: int
    dos_date: int
    crc: int
    compressed_size: int
    size: int
    made_on: int
    external_attr: int
    offset: int


def central_directory_start(handle: BinaryIO) -> int:
    """Where the central directory of the zip file open as ``handle`` starts, from its end records: the zip64
    one where the classic field overflowed. Raises WorkbookError when there is no end record."""
    size = handle.seek(0, 2)
    tail_length = min(size, _END.size + 0xFFFF)  # the end record, then a comment of up to 64 KiB
    handle.seek(size - tail_length)
    tail = handle.read(tail_length)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _END.size > len(tail):
        raise WorkbookError("the zip file has no end record")
    start = _END.unpack_from(tail, at)[6]
    locator_at = at - _END64_LOCATOR.size
    if start == 0xFFFFFFFF and locator_at >= 0 and tail[locator_at:locator_at + 4] == b"PK\x06\x07":
        handle.seek(_END64_LOCATOR.unpack_from(tail, locator_at)[2])
        record = handle.read(_END64.size)
        if len(record) < _END64.size or record[:4] != b"PK\x06\x06":
            raise WorkbookError("the zip file's zip64 end record is damaged")
        start = _END64.unpack(record)[9]
    return start


class ZipWriter:
    """A zip file written front to back into ``out``: ``add`` and ``copy`` parts in order, then ``finish``."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.position = 0
        self.entries: list[_Entry] = []

    def add(self, name: str, data: bytes) -> None:
        """A new part, deflated."""
        compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        compressed = compressor.compress(data) + compressor.flush()
        entry = self._header(name, 0, zipfile.ZIP_DEFLATED, _NEW_PART_TIME, zlib.crc32(data), len(compressed),
                             len(data), _MADE_ON_UNIX, _NEW_PART_MODE)
        self._write(compressed)
        self.entries.append(entry)

    def copy(self, source: BinaryIO, info: zipfile.ZipInfo) -> None:
        """The part ``info`` of the zip file open as ``source``, its compressed bytes copied as they are."""
        source.seek(info.header_offset)
        header = source.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            raise WorkbookError(f"damaged zip entry {info.filename}")
        name_length, extra_length = struct.unpack("<2H", header[-4:])
        source.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
        entry = self._header(info.filename, info.flag_bits & ~_DATA_DESCRIPTOR_FLAG, info.compress_type,
                             info.date_time, info.CRC, info.compress_size, info.file_size, info.create_system,
                             info.external_attr)
        remaining = info.compress_size
        while remaining:
            chunk = source.read(min(remaining, _COPY_CHUNK))
            if not chunk:
                raise WorkbookError(f"damaged zip entry {info.filename}: its data is cut short")
            self._write(chunk)
            remaining -= len(chunk)
        self.entries.append(entry)

    def finish(self) -> None:
        """The central directory and the end records, zip64 ones where a count, size or offset needs them."""
        start = self.position
        for entry in self.entries:
            zip64_fields = []
            compressed_size, size, offset = entry.compressed_size, entry.size, entry.offset
            if max(size, compressed_size) > ZIP64_LIMIT:
                zip64_fields += [size, compressed_size]
                compressed_size = size = 0xFFFFFFFF
            if offset > ZIP64_LIMIT:
                zip64_fields.append(offset)
                offset = 0xFFFFFFFF
            extra = struct.pack(f"<2H{len(zip64_fields)}Q", _ZIP64_EXTRA, 8 * len(zip64_fields),
                                *zip64_fields) if zip64_fields else b""
            version = _ZIP64_VERSION if zip64_fields else _VERSION
            self._write(_CENTRAL_HEADER.pack(
                b"PK\x01\x02", entry.made_on << 8 | version, version, entry.flags, entry.method, entry.dos_time,
                entry.dos_date, entry.crc, compressed_size, size, len(entry.name), len(extra), 0, 0, 0,
                entry.external_attr, offset) + entry.name + extra)
        end = self.position
        count, size, offset = len(self.entries), end - start, start
        if count > _MAX_CLASSIC_ENTRIES or offset > ZIP64_LIMIT or size > ZIP64_LIMIT:
            self._write(_END64.pack(b"PK\x06\x06", _END64.size - 12, _ZIP64_VERSION, _ZIP64_VERSION, 0, 0, count,
                                    count, size, offset))
            self._write(_END64_LOCATOR.pack(b"PK\x06\x07", 0, end, 1))
            count, size, offset = min(count, 0xFFFF), min(size, 0xFFFFFFFF), min(offset, 0xFFFFFFFF)
        self._write(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, offset, 0))

    def _header(self, name: str, flags: int, method: int, date_time: tuple[int, ...], crc: int,
                compressed_size: int, size: int, made_on: int, external_attr: int) -> _Entry:
        """Write the local header of a part whose data follows; return its central directory entry."""
        try:
            encoded = name.encode("ascii")
        except UnicodeEncodeError:
            encoded, flags = name.encode("utf-8"), flags | _UTF8_NAME_FLAG
        year, month, day, hour, minute, second = date_time
        entry = _Entry(encoded, flags, method, hour << 11 | minute << 5 | second // 2,
                       (year - 1980) << 9 | month << 5 | day, crc, compressed_size, size, made_on, external_attr,
                       self.position)
        extra, version = b"", _VERSION
        if max(size, compressed_size) > ZIP64_LIMIT:
            extra = struct.pack("<2H2Q", _ZIP64_EXTRA, 16, size, compressed_size)
            version, compressed_size, size = _ZIP64_VERSION, 0xFFFFFFFF, 0xFFFFFFFF
        self._write(_LOCAL_HEADER.pack(b"PK\x03\x04", version, flags, method, entry.dos_time, entry.dos_date, crc,
                                       compressed_size, size, len(encoded), len(extra)) + encoded + extra)
        return entry

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.position += len(data)
