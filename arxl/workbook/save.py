"""Saving a workbook without ever losing the user's file.

A save writes a temporary file in the same folder, flushes and fsyncs it, re-opens it as a zip to check it is
whole, keeps a timestamped backup of the previous version, and only then replaces the original with
``os.replace`` (atomic on one filesystem). It refuses while Excel holds the file open (its ``~$`` owner file
sits beside it) and when the file changed on disk since arxl read it.

The file on disk, as people keep it:

- **A symbolic link** is written through: the file it points to (following every link in the path) gets the
  new version and the link stays a link. The temporary file and the backups sit beside that real file, named
  after it, because only there is the replace atomic (the link may live in another folder or file system);
  ``backups_of`` a link lists them.
- **A read-only file** (no write permission, or Windows' read-only attribute, which Python shows as the same) is
  refused before anything is written, and so is one whose folder arxl cannot write in; a program running as
  an administrator could replace it, but a user who made a file read-only meant it to stay as it is.
- **The package must match its name**: ``check_package_kind`` refuses to save an ``.xlsm`` package (macros) under
  ``.xlsx`` or the reverse, which Excel would refuse to open; the workbook part's content type in
  ``[Content_Types].xml`` decides what the package is.
- **Any name**: spaces, accents and glob characters such as ``[ ]`` in names are ordinary characters here
  (backups are found by listing the folder, never by a glob pattern).
- **Two runs at once** on one book are serialised by ``book_lock``; a failed write (a full disk, a quota, a
  file too large) leaves the original byte for byte as it was and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import stat
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from defusedxml import ElementTree as SafeXml

from ..errors import SaveRefused, WorkbookError
from .package import central_directory_start

REPLACE_RETRIES = 10
REPLACE_WAIT_SECONDS = 0.5


@dataclass(frozen=True)
class Fingerprint:
    """What a file looked like when arxl read it."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        status = path.stat()
        return cls(status.st_size, status.st_mtime_ns, digest.hexdigest())


def owner_file(path: Path) -> Path:
    """Excel's lock file for ``path``: ``~$`` replacing the first two characters of long names."""
    name = path.name
    return path.with_name("~$" + (name[2:] if len(name) > 8 + len(path.suffix) else name))


def excel_has_open(path: Path) -> Path | None:
    """The owner file proving Excel (or LibreOffice) has ``path`` open, if there is one."""
    candidates = [owner_file(path), path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    return next((candidate for candidate in candidates if candidate.exists()), None)


def real_path(path: Path) -> Path:
    """The file a save must replace: ``path`` with every symbolic link in it followed (itself when none)."""
    return Path(os.path.realpath(path))


def read_only(path: Path) -> bool:
    """Whether ``path`` is an existing file its user marked read-only (no write permission for anyone, as
    Windows' read-only attribute shows in Python) or that this process may not write."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def check_writable(path: Path, *, force: bool = False, expected: Fingerprint | None = None) -> None:
    """Refuse (SaveRefused) while the file is open in Excel, read-only, in a folder arxl cannot write in, or
    changed since ``expected`` was taken. ``path`` may be a symbolic link: its target is looked at too."""
    target = real_path(path)
    for place in dict.fromkeys((path, target)):
        lock = excel_has_open(place)
        if lock is not None and not force:
            raise SaveRefused(f"{path}: is open in Excel ({lock.name} exists); close it and try again, "
                              "or use --force if that file is a leftover")
    if read_only(target):
        raise SaveRefused(f"{path}: is read-only; nothing was written. Clear its read-only flag, or write a "
                          "copy with --output")
    if target.parent.is_dir() and not os.access(target.parent, os.W_OK):
        raise SaveRefused(f"{path}: arxl may not write in the folder {target.parent}; nothing was written")
    if expected is not None and path.exists() and Fingerprint.of(path) != expected:
        raise SaveRefused(f"{path}: changed on disk since arxl read it; nothing was written. "
                          "Run the command again")


# The workbook part's content type -> the extension Excel expects for such a package.
PACKAGE_EXTENSIONS = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ".xlsx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": ".xlsm",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ".xltx",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": ".xltm",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml": ".xlam",
}
_KIND_WORDS = {".xlsx": "an .xlsx workbook (no macros)", ".xlsm": "an .xlsm workbook (it holds macros)",
               ".xltx": "an .xltx template", ".xltm": "an .xltm template (it holds macros)",
               ".xlam": "an .xlam add-in"}
_NS_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_NS_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "/officeDocument"


def package_extension(path: Path) -> str | None:
    """The extension Excel expects for the package at ``path`` (``.xlsx``, ``.xlsm`` ...), from its workbook
    part's content type; None when the package does not say (a damaged or unusual file: left to the reader)."""
    try:
        with zipfile.ZipFile(path) as archive:
            types = SafeXml.fromstring(archive.read("[Content_Types].xml"))
            try:
                rels = SafeXml.fromstring(archive.read("_rels/.rels"))
            except KeyError:
                rels = None
    except (KeyError, OSError, zipfile.BadZipFile, SafeXml.ParseError):
        return None
    workbook = "/xl/workbook.xml"
    for relationship in rels.iter(f"{_NS_RELS}Relationship") if rels is not None else ():
        if relationship.get("Type", "").endswith(_OFFICE_DOCUMENT):
            workbook = "/" + relationship.get("Target", workbook).lstrip("/")
            break
    for override in types.iter(f"{_NS_TYPES}Override"):
        if override.get("PartName", "").casefold() == workbook.casefold():
            return PACKAGE_EXTENSIONS.get(override.get("ContentType", "").strip())
    return None


def check_package_kind(source: Path, output: Path) -> None:
    """Refuse (SaveRefused) to save the package of ``source`` as ``output`` when ``output``'s extension is not
    the one Excel expects for it: an ``.xlsm`` (macros) saved as ``.xlsx``, or the reverse, is a file Excel
    refuses to open. Nothing is converted: the user names the output for what it is."""
    expected = package_extension(source)
    if expected is None or output.suffix.casefold() == expected:
        return
    named = output.suffix or "a name without an extension"
    raise SaveRefused(f"{output}: {source.name} is {_KIND_WORDS[expected]}; saved as {named} it would be a file "
                      f"Excel refuses to open. Nothing was written: name the output "
                      f"{output.with_suffix(expected).name}")


def _backup_name(path: Path, stamp: str) -> Path:
    return path.with_name(f"{path.stem}.bak-{stamp}{path.suffix}")


_STAMP = re.compile(r"\d{8}-\d{6}(?:-\d{6})?")


def backups_of(path: Path) -> list[Path]:
    """Existing backups of ``path`` (of the file it links to), oldest first. The folder is listed and names
    compared as text: a glob pattern would read ``[ ]`` in a book's name as a character class."""
    target = real_path(Path(path))
    prefix, suffix = f"{target.stem}.bak-", target.suffix
    try:
        names = [entry.name for entry in os.scandir(target.parent)]
    except OSError:
        return []
    found = [name for name in names if name.startswith(prefix) and name.endswith(suffix)
             and _STAMP.fullmatch(name[len(prefix):len(name) - len(suffix)])]
    return [target.with_name(name) for name in sorted(found)]


CRC_CHECKED_BYTES = 1 << 20  # parts up to this size are decompressed and CRC-checked after a write


def check_package(path: Path) -> str | None:
    """The name of the first damaged part of a freshly written zip, or None.

    Every part's local header must sit where the central directory says, carry its name, and its data end
    before the next part starts; small parts (workbook.xml, rels, content types, styles) are decompressed and
    CRC-checked. Decompressing every big sheet again (``ZipFile.testzip``) would cost seconds per hundred
    megabytes and only re-prove what zipfile wrote from bytes already in memory.
    """
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            infos = sorted(archive.infolist(), key=lambda info: info.header_offset)
            ends = [info.header_offset for info in infos[1:]] + [central_directory_start(raw)]
            for info, end in zip(infos, ends, strict=True):
                raw.seek(info.header_offset)
                header = raw.read(30)
                if len(header) < 30 or header[:4] != b"PK\x03\x04":
                    return info.filename
                name_length, extra_length = struct.unpack("<HH", header[26:30])
                if raw.read(name_length) != info.orig_filename.encode("cp437" if not info.flag_bits & 0x800
                                                                        else "utf-8"):
                    return info.filename
                if info.header_offset + 30 + name_length + extra_length + info.compress_size > end:
                    return info.filename
                if info.file_size <= CRC_CHECKED_BYTES:
                    with archive.open(info) as member:
                        while member.read(1 << 20):
                            pass
    except (zipfile.BadZipFile, WorkbookError, OSError, EOFError, UnicodeEncodeError, zlib.error):
        return path.name
    return None


def _keep_as(path: Path, backup: Path) -> None:
    """Keep the current version as ``backup``: a hard link when the file system allows (the old version is
    replaced, never written over, so the link keeps it intact), else a copy."""
    try:
        os.link(path, backup)
    except OSError:
        try:
            shutil.copy2(path, backup)
        except BaseException:
            backup.unlink(missing_ok=True)  # never leave half a backup (a full disk) to pass for one
            raise


def atomic_write(path: Path, write: Callable[[Path], None], *, keep_backups: int = 5, force: bool = False,
                 expected: Fingerprint | None = None, now: dt.datetime | None = None) -> Path | None:
    """Write ``path`` through ``write(temporary_path)`` atomically; return the backup made, if any.

    ``write`` must produce a complete workbook at the temporary path. On any failure the temporary file is
    removed and the original is untouched.
    """
    path = Path(path)
    check_writable(path, force=force, expected=expected)
    target = real_path(path)  # a link is written through: the file it points to is replaced, the link stays
    temporary = target.with_name(f".{target.name}.arxl-{os.getpid()}.tmp")
    backup: Path | None = None
    try:
        write(temporary)
        with temporary.open("rb+") as handle:
            handle.flush()
            os.fsync(handle.fileno())
        damaged = check_package(temporary)
        if damaged is not None:
            raise SaveRefused(f"{path}: the new version failed its check (part {damaged}); nothing was written")
        check_writable(path, force=force, expected=expected)
        if target.exists():
            with contextlib.suppress(OSError):
                shutil.copymode(target, temporary)
            if keep_backups > 0:
                stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
                backup = _backup_name(target, stamp)
                _keep_as(target, backup)
        _replace(temporary, target)
        _fsync_folder(target.parent)
    except OSError as exc:  # disk full, quota, file too large, permissions: the original is untouched
        with contextlib.suppress(OSError):
            temporary.unlink()
        reason = exc.strerror or str(exc)
        raise SaveRefused(f"{path}: could not write the new version ({reason}); the original is unchanged") \
            from exc
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    if keep_backups > 0:
        for old in backups_of(path)[:-keep_backups]:
            with contextlib.suppress(OSError):
                old.unlink()
    return backup


def _replace(source: Path, target: Path) -> None:
    """``os.replace`` with bounded retries: on Windows a virus scanner or sync client may hold the file."""
    for attempt in range(REPLACE_RETRIES):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == REPLACE_RETRIES - 1:
                raise SaveRefused(f"{target}: another program holds the file; nothing was written") from None
            time.sleep(REPLACE_WAIT_SECONDS)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def book_lock(path: Path, *, wait_seconds: float = 5.0) -> Iterator[None]:
    """Hold a lock on the book for the whole read-compute-write, so two arxl runs on one book never
    interleave: the second waits up to ``wait_seconds``, then refuses cleanly."""
    # The lock lives in the temp folder, keyed by the book's full path: nothing is left beside the user's file.
    key = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:24]
    lock_path = Path(tempfile.gettempdir()) / f"arxl-{key}.lock"
    handle = lock_path.open("a+")
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                _try_lock(handle)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise SaveRefused(f"{path}: another arxl command is working on this book; "
                                      "try again when it has finished") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            _unlock(handle)
    finally:
        # The (empty) lock file stays: unlinking it would let a waiting run lock a deleted inode while a
        # third one locks a new file.
        handle.close()


def _try_lock(handle: IO[str]) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(handle: IO[str]) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
