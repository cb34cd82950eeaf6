"""Saving and loading `.wbsession` files: the codec, the manifest, the archive and atomic writes.

Loading reads the zip into memory (nothing is extracted or written anywhere), verifies every
member's size and sha256 against the manifest, migrates an older schema to the current one and
decodes the document. It never executes anything from the file, and every failure is a
`SessionFileError` subclass that names the problem.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from workbench import __version__

from .archive import DEFAULT_LIMITS, Limits, MemberData, open_archive, write_archive
from .atomic import atomic_write
from .codec import decode_document, encode_document
from .document import SessionDocument
from .errors import (
    CorruptMember,
    MissingMember,
    NotASessionFile,
    SessionFileError,
    TooLarge,
)
from .manifest import (
    MANIFEST_NAME,
    MAX_MANIFEST_SIZE,
    Manifest,
    build_manifest,
    parse_manifest,
    utc_now,
)
from .migrate import CURRENT_SCHEMA, migrate

__all__ = ["LoadedSession", "dumps_session", "load_session", "read_session", "save_session"]

Progress = Callable[[int, int], None]
Source = str | os.PathLike | bytes | bytearray | memoryview


@dataclass(eq=False)
class LoadedSession:
    """A loaded document with what the archive said about it (for `workbench info`)."""

    document: SessionDocument
    manifest: Manifest
    uncompressed_size: int  # all members, the manifest included


def _members(doc: SessionDocument) -> tuple[list[MemberData], str, str]:
    members = encode_document(doc)  # raises UnsupportedValue before anything is written
    now = utc_now()
    created = doc.created or now
    manifest = build_manifest(
        members,
        schema_version=CURRENT_SCHEMA,
        app_version=__version__,
        created=created,
        modified=now,
    )
    return [MemberData(MANIFEST_NAME, manifest.to_json(), True), *members], created, now


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    t = datetime.fromisoformat(iso).timetuple()[:6]
    return max(t, (1980, 1, 1, 0, 0, 0))


def _stamp(doc: SessionDocument, created: str, modified: str) -> None:
    doc.created, doc.modified = created, modified
    doc.app_version, doc.schema_version = __version__, CURRENT_SCHEMA


def save_session(
    doc: SessionDocument, path: str | os.PathLike, *, progress: Progress | None = None
) -> Path:
    """Write `doc` to `path` atomically (the old file survives any failure or crash).

    `progress(done_bytes, total_bytes)` is called after each member is written. On success
    the document's `created`/`modified`/`app_version`/`schema_version` describe the new file.
    """
    members, created, modified = _members(doc)
    target = atomic_write(
        path,
        lambda f: write_archive(f, members, date_time=_zip_time(modified), progress=progress),
    )
    _stamp(doc, created, modified)
    return target


def dumps_session(doc: SessionDocument) -> bytes:
    """The bytes `save_session` would write."""
    members, created, modified = _members(doc)
    buffer = io.BytesIO()
    write_archive(buffer, members, date_time=_zip_time(modified))
    _stamp(doc, created, modified)
    return buffer.getvalue()


def _read(source: Source, limits: Limits) -> LoadedSession:
    with open_archive(source, limits) as reader:
        if MANIFEST_NAME not in reader:
            raise NotASessionFile("not a session file: a zip archive without manifest.json")
        if reader.infos[MANIFEST_NAME].file_size > MAX_MANIFEST_SIZE:
            raise TooLarge(f"manifest.json is larger than {MAX_MANIFEST_SIZE >> 20} MiB")
        manifest = parse_manifest(
            reader.read(MANIFEST_NAME), current_schema=CURRENT_SCHEMA, app_version=__version__
        )
        listed = {m.name for m in manifest.members}
        for name in reader.names():
            if name != MANIFEST_NAME and name not in listed:
                raise CorruptMember(f"member {name!r} is not listed in the manifest")
        members: dict[str, bytes] = {}
        for entry in manifest.members:
            if entry.name not in reader:
                raise MissingMember(f"member {entry.name!r} listed in the manifest is missing")
            data = reader.read(entry.name)
            if len(data) != entry.size:
                raise CorruptMember(
                    f"member {entry.name!r} is {len(data):,} bytes; "
                    f"the manifest says {entry.size:,}"
                )
            if hashlib.sha256(data).hexdigest() != entry.sha256:
                raise CorruptMember(
                    f"member {entry.name!r} is damaged: its sha256 checksum does not match the "
                    "manifest"
                )
            members[entry.name] = data
        total = reader.total_size
    view = migrate({"manifest": manifest.to_dict(), "members": members})
    doc = decode_document(view["members"])
    doc.created, doc.modified = manifest.created, manifest.modified
    doc.app_version, doc.schema_version = manifest.app_version, manifest.schema_version
    return LoadedSession(doc, manifest, total)


def read_session(source: Source, *, limits: Limits = DEFAULT_LIMITS) -> LoadedSession:
    """Load a session file (a path, or its bytes) with its manifest; see `load_session`."""
    where = None if isinstance(source, bytes | bytearray | memoryview) else os.fspath(source)
    try:
        return _read(source, limits)
    except SessionFileError as exc:
        exc.source = exc.source or where
        raise
    except Exception as exc:  # a bug below us; the caller is still promised a SessionFileError
        raise SessionFileError(
            f"unexpected error while reading the session ({type(exc).__name__}: {exc})",
            source=where,
        ) from exc


def load_session(source: Source, *, limits: Limits = DEFAULT_LIMITS) -> SessionDocument:
    """Load a `.wbsession` file (a path, or the file's bytes) into a SessionDocument.

    Raises only SessionFileError subclasses. Runs no code from the file.
    """
    return read_session(source, limits=limits).document
