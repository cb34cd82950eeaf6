"""manifest.json: what the archive is, who wrote it, and the sha256 of every other member.

    {"format": "autograd-workbench-session", "schema_version": 1, "app_version": "0.1.0",
     "created": "2025-01-31T12:00:00Z", "modified": "2025-01-31T12:05:00Z",
     "members": [{"name": "code/index.json", "sha256": "…", "size": 123}, …]}

Parsing checks the format name and the schema version before anything else, so a file from a
newer Workbench is reported as such even if the rest of its manifest looks different.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .archive import MemberData
from .errors import ManifestError, NewerVersionError, UnknownFormat

__all__ = [
    "FORMAT_NAME",
    "MANIFEST_NAME",
    "MAX_MANIFEST_SIZE",
    "Manifest",
    "MemberEntry",
    "build_manifest",
    "parse_manifest",
    "utc_now",
]

FORMAT_NAME = "autograd-workbench-session"
MANIFEST_NAME = "manifest.json"
MAX_MANIFEST_SIZE = 16 << 20  # 10,000 members take about 1.5 MB
_SHA256 = re.compile(r"[0-9a-f]{64}")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class MemberEntry:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    format: str
    schema_version: int
    app_version: str
    created: str
    modified: str
    members: tuple[MemberEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "schema_version": self.schema_version,
            "app_version": self.app_version,
            "created": self.created,
            "modified": self.modified,
            "members": [{"name": m.name, "sha256": m.sha256, "size": m.size} for m in self.members],
        }

    def to_json(self) -> bytes:
        return (json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n").encode()


def build_manifest(
    members: Sequence[MemberData],
    *,
    schema_version: int,
    app_version: str,
    created: str,
    modified: str,
) -> Manifest:
    return Manifest(
        format=FORMAT_NAME,
        schema_version=schema_version,
        app_version=app_version,
        created=created,
        modified=modified,
        members=tuple(
            MemberEntry(m.name, hashlib.sha256(m.data).hexdigest(), len(m.data)) for m in members
        ),
    )


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _timestamp(data: dict, key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise ManifestError(f'manifest "{key}" must be an ISO 8601 string, not {value!r:.60}')
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ManifestError(f'manifest "{key}" is not an ISO 8601 time: {value!r:.60}') from None
    return value


def parse_manifest(raw: bytes, *, current_schema: int, app_version: str) -> Manifest:
    """Check and parse manifest.json; raise ManifestError / UnknownFormat / NewerVersionError."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ManifestError(f"manifest.json is not UTF-8 text ({exc.reason})") from exc
    except (ValueError, RecursionError) as exc:
        raise ManifestError(f"manifest.json is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ManifestError(f"manifest.json must hold a JSON object, not {type(data).__name__}")
    if "format" not in data:
        raise ManifestError('manifest.json has no "format"')
    if not isinstance(data["format"], str):
        raise ManifestError(f'manifest "format" must be a string, not {data["format"]!r:.60}')
    if data["format"] != FORMAT_NAME:
        raise UnknownFormat(
            f"unknown format {data['format']!r:.80} (expected {FORMAT_NAME!r}): "
            "not an Autograd Workbench session"
        )
    if "schema_version" not in data:
        raise ManifestError('manifest.json has no "schema_version"')
    version = data["schema_version"]
    if not _is_int(version) or version < 0:
        raise ManifestError(
            f'manifest "schema_version" must be a non-negative integer, not {version!r:.60}'
        )
    writer = data.get("app_version")
    writer = writer if isinstance(writer, str) else None
    if version > current_schema:
        by = f"Workbench {writer}" if writer else "a newer Workbench"
        raise NewerVersionError(
            f"this session was saved by {by} with session format version {version}; "
            f"this Workbench ({app_version}) reads versions up to {current_schema}. "
            "Update Workbench to open it.",
            file_version=version,
            writer_version=writer,
        )
    for key in ("app_version", "created", "modified", "members"):
        if key not in data:
            raise ManifestError(f'manifest.json has no "{key}"')
    if writer is None:
        raise ManifestError(
            f'manifest "app_version" must be a string, not {data["app_version"]!r:.60}'
        )
    created, modified = _timestamp(data, "created"), _timestamp(data, "modified")
    members = data["members"]
    if not isinstance(members, list):
        raise ManifestError('manifest "members" must be a list')
    entries = []
    seen = set()
    for i, m in enumerate(members):
        if not isinstance(m, dict):
            raise ManifestError(f"manifest members[{i}] must be an object")
        name, sha, size = m.get("name"), m.get("sha256"), m.get("size")
        if not isinstance(name, str):
            raise ManifestError(f'manifest members[{i}] has no "name" string')
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise ManifestError(f"manifest entry for {name!r} has no valid sha256")
        if not _is_int(size) or size < 0:
            raise ManifestError(f"manifest entry for {name!r} has no valid size")
        if name == MANIFEST_NAME or name in seen:
            raise ManifestError(f"manifest lists {name!r} twice or lists itself")
        seen.add(name)
        entries.append(MemberEntry(name, sha, size))
    return Manifest(FORMAT_NAME, version, writer, created, modified, tuple(entries))
