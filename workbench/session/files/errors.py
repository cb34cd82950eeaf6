"""The errors a session file can raise: one base class, one subclass per kind of problem.

Loading raises nothing but these (the app shows the message and carries on), so every lower
level error — zipfile, json, safetensors, UnicodeDecodeError, struct, zlib, MemoryError — is
caught where it happens and re-raised as the subclass that names the problem.
"""

from __future__ import annotations

__all__ = [
    "SessionFileError",
    "NotASessionFile",
    "UnreadableFile",
    "ManifestError",
    "UnknownFormat",
    "NewerVersionError",
    "CorruptMember",
    "MissingMember",
    "TooLarge",
    "UnsafeMemberName",
    "UnsupportedValue",
]


class SessionFileError(Exception):
    """A session file that cannot be read (or a document that cannot be written).

    `source` is the file it is about (set by `load_session`); `str()` puts it first.
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


class NotASessionFile(SessionFileError):
    """Not a zip archive, or a zip without manifest.json."""


class UnreadableFile(SessionFileError):
    """The file cannot be opened or read at all (missing, a directory, no permission)."""


class ManifestError(SessionFileError):
    """manifest.json is missing a key, is not valid JSON, or holds a value of the wrong type."""


class UnknownFormat(SessionFileError):
    """The manifest names a format other than ours."""


class NewerVersionError(SessionFileError):
    """Written with a schema version newer than this Workbench reads."""

    def __init__(
        self,
        message: str,
        *,
        file_version: int,
        writer_version: str | None,
        source: str | None = None,
    ) -> None:
        super().__init__(message, source=source)
        self.file_version = file_version
        self.writer_version = writer_version


class CorruptMember(SessionFileError):
    """A member whose bytes are damaged: checksum mismatch, truncated, undecodable."""


class MissingMember(SessionFileError):
    """A member that the manifest or an index lists is not in the archive."""


class TooLarge(SessionFileError):
    """Past a limit: member count, a member's size, the total size, or the compression ratio."""


class UnsafeMemberName(SessionFileError):
    """A member name that could point outside the archive, or one that appears twice."""


class UnsupportedValue(SessionFileError, ValueError):
    """Saving: the document holds something the format cannot store (a complex tensor, a
    non-JSON value in ui_state, a name safetensors reserves). Raised before anything is written."""
