"""Where the shipped assets (icons, examples, example sessions) live.

They sit in `assets/` at the repository root, beside the package; `WORKBENCH_ASSETS` points
elsewhere (a packaged install, a test).
"""

from __future__ import annotations

import os
from pathlib import Path


def assets_dir() -> Path:
    override = os.environ.get("WORKBENCH_ASSETS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "assets"


def asset(*parts: str) -> Path:
    return assets_dir().joinpath(*parts)
