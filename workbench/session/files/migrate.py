"""Schema versions and the migrations that bring an older file up to the current one.

A migration works on the archive *view* — `{"manifest": dict, "members": {name: bytes}}`, after
the checksums were verified — and returns the view of the next version, with
`manifest["schema_version"]` raised by one. `MIGRATIONS[n]` takes version n to n + 1; loading
applies them in order, so the decoder only ever reads the current layout.

A migration is frozen once released: it writes the layout of its target version, spelled out
here, never by calling the current writer (which will have moved on).

Version history:
  0  (never released; kept to exercise this machinery) — like 1, but the code tabs are one
     JSON member, `code.json`: [{"name", "text", "path"}, …].
  1  the first released layout (see codec.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .errors import CorruptMember, ManifestError, MissingMember

__all__ = ["CURRENT_SCHEMA", "MIGRATIONS", "migrate"]

CURRENT_SCHEMA = 1

View = dict[str, Any]


def _v0_to_v1(view: View) -> View:
    members = dict(view["members"])
    if "code.json" not in members:
        raise MissingMember("member 'code.json' (the code tabs of a version-0 session) is missing")
    try:
        tabs = json.loads(members.pop("code.json").decode("utf-8"))
        if not isinstance(tabs, list):
            raise ValueError("expected a list of tabs")
        index = []
        for i, tab in enumerate(tabs):
            name, text, path = tab["name"], tab["text"], tab.get("path")
            if not (isinstance(name, str) and isinstance(text, str)):
                raise ValueError(f"tab {i}: name and text must be strings")
            if path is not None and not isinstance(path, str):
                raise ValueError(f"tab {i}: path must be a string or null")
            member = f"code/{i}.py"
            members[member] = text.encode("utf-8")
            index.append({"name": name, "path": path, "member": member})
    except (ValueError, KeyError, TypeError, UnicodeError, RecursionError) as exc:
        raise CorruptMember(f"member 'code.json' cannot be read: {exc}") from exc
    members["code/index.json"] = json.dumps(index).encode()
    return {"manifest": {**view["manifest"], "schema_version": 1}, "members": members}


MIGRATIONS: dict[int, Callable[[View], View]] = {0: _v0_to_v1}


def migrate(view: View, *, target: int = CURRENT_SCHEMA) -> View:
    """Apply MIGRATIONS in order until the view is at `target`."""
    version = view["manifest"]["schema_version"]
    while version < target:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ManifestError(
                f"session format version {version} is older than any this Workbench can read"
            )
        view = step(view)
        new = view["manifest"]["schema_version"]
        if new != version + 1:  # a broken migration, not a broken file
            raise AssertionError(f"migration from {version} gave version {new}")
        version = new
    return view
