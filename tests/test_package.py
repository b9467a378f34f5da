"""The package writer (``arxl.workbook.package``): new parts as ``zipfile`` writes them, untouched parts copied
with their compressed bytes as stored, zip64 where a count, size or offset needs it; every result read back
by ``zipfile`` and, where installed, by Info-ZIP's ``unzip -t``."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from arxl.errors import WorkbookError
from arxl.workbook import package
from arxl.workbook.package import Package, ZipWriter, central_directory_start, normalise_part, resolve_target

NEW_PARTS = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
    "xl/worksheets/sheet1.xml": b"<worksheet>" + b"<row/>" * 5000 + b"</worksheet>",
    "xl/empty.bin": b"",
    "xl/media/caf\u00e9.png": bytes(range(256)) * 4,  # a name outside ASCII: stored as UTF-8, flag 0x800
}


def _zipfile_bytes(parts: dict[str, bytes]) -> bytes:
    """What Python's zipfile writes for new parts with the stamp, mode and level arxl uses."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 3
            archive.writestr(info, data, compresslevel=1)
    return buffer.getvalue()


def _writer_bytes(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    writer = ZipWriter(buffer)
    for name, data in parts.items():
        writer.add(name, data)
    writer.finish()
    return buffer.getvalue()


def _unzip_test(path: Path) -> None:
    if shutil.which("unzip") is None:
        return
    completed = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _data_start(path: Path, info: zipfile.ZipInfo) -> int:
    """Where a part's compressed bytes start: after its local header (30 bytes, the name, the extra field)."""
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        name_length, extra_length = struct.unpack("<2H", handle.read(30)[26:30])
    return info.header_offset + 30 + name_length + extra_length


def _stored_bytes(path: Path, info: zipfile.ZipInfo) -> bytes:
    """A part's compressed bytes as they sit in the file."""
    with path.open("rb") as handle:
        handle.seek(_data_start(path, info))
        return handle.read(info.compress_size)


class _Pipe(io.RawIOBase):
    """A stream that cannot seek: zipfile then puts sizes and CRC in a data descriptor after each part."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self.buffer.write(data)


def test_new_parts_are_the_bytes_zipfile_writes() -> None:
    assert _writer_bytes(NEW_PARTS) == _zipfile_bytes(NEW_PARTS)


def test_more_parts_than_the_classic_directory_counts_take_zip64_end_records(tmp_path: Path) -> None:
    parts = {f"p/{number}": b"" for number in range(0xFFFF + 1)}  # 65,536: one more than 16 bits count
    written = _writer_bytes(parts)
    assert written == _zipfile_bytes(parts)
    assert b"PK\x06\x06" in written[-200:] and b"PK\x06\x07" in written[-200:]
    path = tmp_path / "many.zip"
    path.write_bytes(written)
    with zipfile.ZipFile(path) as archive:
        assert len(archive.infolist()) == 65536
    _unzip_test(path)


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    """A package from another producer: a stored part, a part deflated at level 9, and parts followed by data
    descriptors (written to a stream that cannot seek), one of them with a name outside ASCII."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w") as archive:  # type: ignore[arg-type]
        archive.writestr("xl/workbook.xml", b"<workbook/>" * 50, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("docProps/app.xml", b"<Properties/>", compress_type=zipfile.ZIP_STORED)
        archive.writestr("xl/vbaProject.bin", bytes(range(256)) * 40, compress_type=zipfile.ZIP_DEFLATED,
                         compresslevel=9)
        archive.writestr("xl/media/\u00fcber.png", b"\x89PNG" * 10, compress_type=zipfile.ZIP_DEFLATED)
    path = tmp_path / "source.xlsm"
    path.write_bytes(pipe.buffer.getvalue())
    with zipfile.ZipFile(path) as archive:
        assert all(info.flag_bits & 0x08 for info in archive.infolist())
    return path


def test_untouched_parts_keep_their_compressed_bytes_and_lose_their_data_descriptors(source: Path,
                                                                                       tmp_path: Path) -> None:
    book = Package(source)
    book.set("xl/workbook.xml", "<workbook>changed</workbook>")
    book.remove("docProps/app.xml")
    book.set("xl/worksheets/arxl-1.xml", b"<worksheet/>")
    target = tmp_path / "target.xlsm"
    book.write(target)
    book.close()

    with zipfile.ZipFile(source) as before, zipfile.ZipFile(target) as after:
        assert after.namelist() == ["xl/workbook.xml", "xl/vbaProject.bin", "xl/media/\u00fcber.png",
                                    "xl/worksheets/arxl-1.xml"]
        assert after.testzip() is None
        assert after.read("xl/workbook.xml") == b"<workbook>changed</workbook>"
        assert after.read("xl/worksheets/arxl-1.xml") == b"<worksheet/>"
        for name in ("xl/vbaProject.bin", "xl/media/\u00fcber.png"):
            old, new = before.getinfo(name), after.getinfo(name)
            assert after.read(name) == before.read(name)
            assert _stored_bytes(target, new) == _stored_bytes(source, old)
            assert (new.CRC, new.compress_size, new.compress_type) == (old.CRC, old.compress_size, 8)
            assert new.flag_bits & 0x08 == 0
            with target.open("rb") as handle:  # the local header itself now carries CRC and sizes
                handle.seek(new.header_offset)
                crc, compressed, size = struct.unpack("<3L", handle.read(30)[14:26])
            assert (crc, compressed, size) == (old.CRC, old.compress_size, old.file_size)
        last = after.infolist()[-1]
    with target.open("rb") as handle:  # the directory follows the last part's data
        assert central_directory_start(handle) == _data_start(target, last) + last.compress_size
    _unzip_test(target)


def test_sizes_and_offsets_beyond_the_limit_go_to_zip64_fields(source: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # 2 GiB parts are too slow for a unit test: lower the limit so this small package crosses it everywhere.
    monkeypatch.setattr(package, "ZIP64_LIMIT", 64)
    book = Package(source)
    book.set("xl/worksheets/arxl-1.xml", b"<row/>" * 1000)
    target = tmp_path / "zip64.xlsm"
    book.write(target)
    book.close()
    with zipfile.ZipFile(source) as before, zipfile.ZipFile(target) as after:
        assert after.testzip() is None
        for info in after.infolist():
            assert info.extra[:2] == b"\x01\x00"  # the zip64 extra field, tag 1
            expected = b"<row/>" * 1000 if info.filename.endswith("arxl-1.xml") else before.read(info.filename)
            assert after.read(info.filename) == expected
        last = after.infolist()[-1]
    with target.open("rb") as handle:  # beyond the limit, the directory's offset is in the zip64 end record
        assert b"PK\x06\x06" in target.read_bytes()
        assert central_directory_start(handle) == _data_start(target, last) + last.compress_size
    _unzip_test(target)


def test_a_damaged_part_is_refused_not_copied(source: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(source) as archive:
        offset = archive.getinfo("xl/vbaProject.bin").header_offset
    damaged = bytearray(source.read_bytes())
    damaged[offset:offset + 2] = b"XX"  # the local header's signature
    broken = tmp_path / "broken.xlsm"
    broken.write_bytes(bytes(damaged))
    book = Package(broken)
    try:
        with pytest.raises(WorkbookError, match=r"damaged zip entry xl/vbaProject\.bin"):
            book.write(tmp_path / "out.xlsm")
    finally:
        book.close()


def test_a_part_cut_short_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", b"<a/>" * 100, compress_type=zipfile.ZIP_STORED)
    data = bytearray(buffer.getvalue())
    directory = data.rindex(b"PK\x01\x02")
    data[directory + 20:directory + 24] = struct.pack("<L", 10_000)  # the directory claims more than there is
    short = tmp_path / "short.xlsx"
    short.write_bytes(bytes(data))
    book = Package(short)
    try:
        with pytest.raises(WorkbookError, match="cut short"):
            book.write(tmp_path / "out.xlsx")
    finally:
        book.close()


def test_part_names_resolve_as_relationship_targets_do() -> None:
    assert normalise_part("xl/worksheets/../tables/./table1.xml") == "xl/tables/table1.xml"
    assert normalise_part("../../xl//workbook.xml") == "xl/workbook.xml"  # nothing climbs above the root
    assert resolve_target("xl/worksheets/sheet1.xml", "../tables/table1.xml") == "xl/tables/table1.xml"
    assert resolve_target("xl/worksheets/sheet1.xml", "/xl/tables/table2.xml") == "xl/tables/table2.xml"
    assert resolve_target("xl/workbook.xml", "worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"


def test_compressed_data_of_a_new_part_is_raw_deflate_at_level_one() -> None:
    data = NEW_PARTS["xl/worksheets/sheet1.xml"]
    written = _writer_bytes({"s.xml": data})
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    expected = compressor.compress(data) + compressor.flush()
    assert written[30 + len("s.xml"):30 + len("s.xml") + len(expected)] == expected
