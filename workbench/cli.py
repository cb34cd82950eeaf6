"""The `workbench` command.

With no arguments it runs a short headless demo of the engine; `workbench run SCRIPT` runs a
script headless under the profiler. Opening the desktop app, exporting and snapshotting come as
those parts are built (DESIGN.md §3).
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run a Python script headless with the profiler on",
        description=(
            "Run a Python script headless (as __main__) with the engine's profiler on; print "
            "the key-averages table and/or write a Chrome trace. Arguments after `--` go to the "
            "script's sys.argv."
        ),
    )
    run.add_argument("script", help="the Python script to run")
    run.add_argument(
        "--trace",
        metavar="PATH",
        help="write a Chrome trace (Perfetto, chrome://tracing); a name ending .gz is gzipped",
    )
    run.add_argument(
        "--record-shapes", action="store_true", help="record input shapes (and group by them)"
    )
    run.add_argument("--table", action="store_true", help="print the key-averages table")
    run.add_argument(
        "--sort-by",
        default="self_cpu_time_total",
        metavar="KEY",
        help="table sort key, as in key_averages().table() (default: %(default)s)",
    )
    run.add_argument(
        "--row-limit", type=int, default=100, metavar="N", help="table rows (default: %(default)s)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after `--` belongs to the script; argparse would choke on it.
    script_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, script_args = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_script(args, script_args)
    if script_args:
        parser.error("arguments after -- need a command (workbench run SCRIPT -- ARGS)")
    from workbench.demo import run_demo

    run_demo()
    return 0


def _error(message: str) -> None:
    print(f"workbench run: error: {message}", file=sys.stderr)


def run_script(args: argparse.Namespace, script_args: Sequence[str] = ()) -> int:
    """`workbench run`: 0 on success, 1 when the script or the profiler fails, 2 on bad usage."""
    script = Path(args.script)
    if not script.is_file():
        what = "is not a file" if script.exists() else "does not exist"
        _error(f"script {str(script)!r} {what}")
        return 2
    if args.row_limit is not None and args.row_limit < 0:
        _error("--row-limit must be >= 0")
        return 2
    try:
        from workbench.engine.autograd import profiler
    except ImportError as exc:
        _error(f"the profiler (workbench.engine.autograd.profiler) is not available: {exc}")
        return 1

    script = script.resolve()
    saved_argv, saved_path = sys.argv, list(sys.path)
    # What `python SCRIPT ARGS` would see: its own argv and its folder first on the path.
    sys.argv = [str(script), *script_args]
    sys.path.insert(0, str(script.parent))
    try:
        with profiler.profile(record_shapes=args.record_shapes) as prof:
            runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            return exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # the user's error, reported like Python would
        _print_user_traceback(exc, str(script))
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path

    if args.table:
        averages = prof.key_averages(group_by_input_shape=args.record_shapes)
        try:
            print(averages.table(sort_by=args.sort_by, row_limit=args.row_limit))
        except (KeyError, ValueError, AttributeError) as exc:
            _error(f"cannot sort the table by {args.sort_by!r}: {exc}")
            return 2
    if args.trace:
        from workbench.trace import TraceError, validate

        trace = Path(args.trace)
        try:
            prof.export_chrome_trace(os.fspath(trace))
        except OSError as exc:
            _error(f"cannot write trace {str(trace)!r}: {exc.strerror or exc}")
            return 1
        try:
            report = validate(trace)
        except TraceError as exc:
            _error(f"the trace written to {str(trace)!r} is not valid: {exc}")
            return 1
        print(f"trace written to {trace} ({report}); validated: OK")
    return 0


def _print_user_traceback(exc: BaseException, script: str) -> None:
    """Print the traceback from the user's first frame on, hiding runpy and this module."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != script:
        tb = tb.tb_next
    if tb is None:  # e.g. a SyntaxError: no frame of the script ran
        lines = traceback.format_exception_only(type(exc), exc)
    else:
        lines = traceback.format_exception(type(exc), exc, tb)
    sys.stderr.write("".join(lines))
