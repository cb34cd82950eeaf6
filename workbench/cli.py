"""The `workbench` command.

For now it runs a short headless demo of the engine; opening the desktop app, running a script
headless, exporting and snapshotting come as those parts are built (DESIGN.md §3).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from workbench import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description=(
            "Autograd Workbench: build a computation or a small model, run it on our autograd "
            "engine and look inside. The desktop window is not built yet; with no arguments this "
            "runs a short headless demo of the engine (PyTorch's first autograd tutorial example)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    from workbench.demo import run_demo

    run_demo()
    return 0
