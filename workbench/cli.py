"""The `workbench` command.

`workbench [FILE]` opens the desktop app (with a script in the editor); `workbench run SCRIPT`
runs a script headless under the profiler; `workbench snapshot` renders the window to a PNG;
`workbench demo` prints the engine's headless demo.
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

COMMANDS = ("run", "snapshot", "info", "export-trace", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description=(
            "Autograd Workbench: build a computation or a small model, run it on our autograd "
            "engine and look inside. With no command it opens the desktop app."
        ),
        epilog=(
            "commands (workbench COMMAND --help for their options):\n"
            "  run SCRIPT       run a script headless with the profiler on\n"
            "  snapshot [FILE]  render the window or a panel to a PNG offscreen\n"
            "  info FILE        what a .wbsession file holds\n"
            "  export-trace FILE -o OUT.json[.gz]  a session's profile as a Chrome trace\n"
            "  demo             print the engine's headless demo (the first autograd tutorial)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "file", nargs="?", help="a Python script (.py) or a session (.wbsession) to open"
    )
    return parser


def build_command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
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
    from workbench.ui.snapshot import PANELS  # plain data: no Qt is imported for it

    snap = commands.add_parser(
        "snapshot",
        help="render the window (or one panel) to a PNG offscreen",
        description=(
            "Open FILE in a fresh window offscreen (never touching your settings), optionally "
            "run it, save a PNG of the window or of one panel, and exit."
        ),
    )
    snap.add_argument("file", nargs="?", help="a Python script to open first")
    snap.add_argument("-o", "--output", required=True, metavar="OUT.png", help="the PNG to write")
    snap.add_argument(
        "--panel",
        choices=PANELS,
        help="render only this panel",
    )
    snap.add_argument("--size", default="1440x900", metavar="WxH", help="window size (%(default)s)")
    snap.add_argument("--run", action="store_true", help="run the script before rendering")
    snap.add_argument("--profile", action="store_true", help="run it under the profiler")
    snap.add_argument("--theme", choices=("light", "dark"), default="light", help="(%(default)s)")
    from workbench.session.cli_commands import add_export_trace_parser, add_info_parser

    add_info_parser(commands)
    add_export_trace_parser(commands)
    commands.add_parser("demo", help="print the engine's headless demo")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after `--` belongs to the script; argparse would choke on it.
    script_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, script_args = argv[:cut], argv[cut + 1 :]
    if argv and argv[0] in COMMANDS:
        args = build_command_parser().parse_args(argv)
        if args.command == "run":
            return run_script(args, script_args)
        if script_args:
            build_command_parser().error("arguments after -- belong to `workbench run SCRIPT`")
        if args.command == "snapshot":
            from workbench.ui.snapshot import main_snapshot

            return main_snapshot(args)
        if args.command in ("info", "export-trace"):
            return args.handler(args)
        from workbench.demo import run_demo

        run_demo()
        return 0
    parser = build_parser()
    args = parser.parse_args(argv)
    if script_args:
        parser.error("arguments after -- belong to `workbench run SCRIPT -- ARGS`")
    if args.file is not None and not Path(args.file).is_file():
        what = "is not a file" if Path(args.file).exists() else "does not exist"
        parser.error(f"{args.file!r} {what}")
    from workbench.ui.app import run_app

    return run_app(args.file)


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
