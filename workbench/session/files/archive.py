"""The zip container: limits, member names, and reading members into memory with a cap.

Reading trusts nothing in the archive. Sizes are checked against `Limits` from the zip's
central directory before anything is decompressed, and then again while reading: a member is
read with the directory's size as the cap (zipfile also stops there and checks the CRC), so a
directory that lies about sizes gives a short read or a CRC error, never unbounded memory.
Nothing is extracted to disk. Only stored and deflated members are accepted (we write no
other), and encrypted ones are refused.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from .errors import (
    CorruptMember,
    NotASessionFile,
    SessionFileError,
    TooLarge,
    UnreadableFile,
    UnsafeMemberName,
)

__all__ = [
    "Limits",
    "DEFAULT_LIMITS",
    "ArchiveReader",
    "MemberData",
    "check_member_name",
    "open_archive",
    "write_archive",
    "READ_ERRORS",
]

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

# What reading a damaged zip member can raise, besides our own errors.
READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    struct.error,
    ValueError,
    OverflowError,
    MemoryError,
    NotImplementedError,
    RuntimeError,
    KeyError,
    IndexError,
    TypeError,
)

_ZIP_MAGIC = b"PK\x03\x04"
_DRIVE = re.compile(r"[A-Za-z]:")
_MAX_NAME = 255
_FAST_DEFLATE_ABOVE = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What a session file may hold. A member smaller than `ratio_floor` is not held to
    `max_ratio`: a 4 KiB JSON of repeated keys compresses 300:1 and harms no one."""

    max_members: int = 10_000
    max_member_size: int = 2 * GiB
    max_total_size: int = 4 * GiB
    max_ratio: float = 200.0
    ratio_floor: int = 1 * MiB


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class MemberData:
    """A member to write: its name, its bytes, and whether to deflate it."""

    name: str
    data: bytes | bytearray | memoryview
    deflate: bool


def check_member_name(name: str, raw: str | None = None) -> None:
    """Raise UnsafeMemberName for a name that could point outside the archive.

    `raw` is the name as stored (zipfile cuts a name at its first NUL byte).
    """
    raw = name if raw is None else raw
    shown = repr(raw)
    if "\x00" in raw:
        raise UnsafeMemberName(f"member name {shown} contains a NUL byte")
    if not name:
        raise UnsafeMemberName("a member has an empty name")
    if len(name) > _MAX_NAME:
        raise UnsafeMemberName(f"member name {name[:40]!r}… is longer than {_MAX_NAME} characters")
    if "\\" in name:
        raise UnsafeMemberName(f"member name {shown} contains a backslash")
    if name.startswith("/"):
        raise UnsafeMemberName(f"member name {shown} is an absolute path")
    if _DRIVE.match(name):
        raise UnsafeMemberName(f"member name {shown} starts with a drive letter")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise UnsafeMemberName(f"member name {shown} contains a control character")
    parts = name.split("/")
    if ".." in parts:
        raise UnsafeMemberName(f"member name {shown} points outside the archive (..)")
    if any(p in ("", ".") for p in parts):
        raise UnsafeMemberName(f"member name {shown} has an empty or '.' path component")


def _describe_size(n: int) -> str:
    if n >= GiB:
        return f"{n / GiB:.1f} GiB"
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    return f"{n:,} bytes"


class ArchiveReader:
    """An open zip whose directory passed the checks; `read(name)` gives a member's bytes."""

    def __init__(self, zf: zipfile.ZipFile, fileobj: BinaryIO, limits: Limits) -> None:
        self._zip = zf
        self._file = fileobj
        self.limits = limits
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise TooLarge(
                f"the archive has {len(infos):,} members; at most {limits.max_members:,} allowed"
            )
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            check_member_name(info.filename, info.orig_filename)
            if info.filename in self.infos:
                raise UnsafeMemberName(f"member {info.filename!r} appears twice in the archive")
            self.infos[info.filename] = info
        total = 0
        for name, info in self.infos.items():
            self._check_entry(name, info)
            total += info.file_size
        if total > limits.max_total_size:
            raise TooLarge(
                f"the members add up to {_describe_size(total)} uncompressed; at most "
                f"{_describe_size(limits.max_total_size)} allowed"
            )
        self.total_size = total

    def _check_entry(self, name: str, info: zipfile.ZipInfo) -> None:
        limits = self.limits
        if info.flag_bits & 0x1:
            raise CorruptMember(f"member {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CorruptMember(
                f"member {name!r} uses compression method {info.compress_type}; "
                "only stored and deflated members are read"
            )
        if info.file_size > limits.max_member_size:
            raise TooLarge(
                f"member {name!r} is {_describe_size(info.file_size)} uncompressed; at most "
                f"{_describe_size(limits.max_member_size)} allowed"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise CorruptMember(
                f"member {name!r} is stored uncompressed but its directory entry gives two "
                f"sizes ({info.compress_size} and {info.file_size})"
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise TooLarge(
                f"member {name!r} expands {ratio:,.0f}:1 ({_describe_size(info.file_size)}); "
                f"at most {limits.max_ratio:g}:1 allowed (a zip bomb?)"
            )

    def __contains__(self, name: str) -> bool:
        return name in self.infos

    def names(self) -> list[str]:
        return list(self.infos)

    def read(self, name: str) -> bytes:
        info = self.infos[name]
        size = info.file_size
        try:
            with self._zip.open(info) as f:
                data = f.read(size)  # the cap: never more than the checked directory size
                extra = f.read(1)
        except SessionFileError:
            raise
        except READ_ERRORS as exc:
            raise CorruptMember(f"member {name!r} cannot be read: {_reason(exc)}") from exc
        if extra:
            raise TooLarge(f"member {name!r} holds more data than its directory entry says")
        if len(data) != size:
            raise CorruptMember(f"member {name!r} is truncated: {len(data):,} of {size:,} bytes")
        return data

    def close(self) -> None:
        try:
            self._zip.close()
        finally:
            self._file.close()  # ZipFile leaves a file object it was given open

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def open_archive(source: str | os.PathLike | bytes | bytearray | memoryview, limits: Limits):
    """Open `source` (a path, or the file's bytes) as a checked ArchiveReader.

    Raises NotASessionFile when it is not a zip at all, CorruptMember when it looks like one
    that is truncated or damaged, and the errors of `ArchiveReader` for its directory.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        fileobj: BinaryIO = io.BytesIO(source)
    else:
        try:
            fileobj = open(source, "rb")  # noqa: SIM115 - the reader closes it
        except OSError as exc:
            raise UnreadableFile(f"cannot open the file: {exc.strerror or exc}") from exc
    try:
        try:
            head = fileobj.read(4)
            fileobj.seek(0)
        except OSError as exc:
            raise UnreadableFile(f"cannot read the file: {exc.strerror or exc}") from exc
        try:
            zf = zipfile.ZipFile(fileobj)
        except READ_ERRORS as exc:
            if head == _ZIP_MAGIC:
                raise CorruptMember(
                    f"the zip archive is truncated or damaged ({_reason(exc)})"
                ) from exc
            raise NotASessionFile(
                "not a session file: it is not a zip archive" + ("" if head else " (empty file)")
            ) from exc
        try:
            return ArchiveReader(zf, fileobj, limits)
        except BaseException:
            zf.close()
            raise
    except BaseException:
        fileobj.close()
        raise


def write_archive(
    file: BinaryIO,
    members: Sequence[MemberData],
    *,
    date_time: tuple[int, int, int, int, int, int],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write `members` in the given order; `progress(done, total)` after each (in bytes).

    Big members deflate at level 1: a 5 MB profile args JSON takes ~20 ms there and ~60 ms at
    the default 6, for 15% more bytes."""
    total = sum(len(m.data) for m in members)
    done = 0
    with zipfile.ZipFile(file, "w", allowZip64=True) as zf:
        for m in members:
            check_member_name(m.name)
            info = zipfile.ZipInfo(m.name, date_time)
            info.external_attr = 0o644 << 16
            if m.deflate:
                info.compress_type = zipfile.ZIP_DEFLATED
                level = 1 if len(m.data) > _FAST_DEFLATE_ABOVE else 6
                zf.writestr(info, m.data, compresslevel=level)
            else:
                zf.writestr(info, m.data)
            done += len(m.data)
            if progress is not None:
                progress(done, total)
