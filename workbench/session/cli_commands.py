"""`workbench info FILE` and `workbench export-trace FILE [--run N] -o OUT`: session files on the
command line. `workbench/cli.py` adds the parsers (`add_*_parser`) and calls the `*_main`s.

Both exit 0 on success and 1 with the problem on stderr (a damaged file's SessionFileError
message, a profile that does not exist); argparse exits 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from .files import LoadedSession, SessionFileError, StoredProfile, read_session

__all__ = [
    "add_export_trace_parser",
    "add_info_parser",
    "describe_session",
    "export_trace_main",
    "info_main",
]

# bookkeeping, not metrics: left out of a run's "final ..." figures
_STEP_KEYS = frozenset(
    ("step", "steps", "epoch", "epochs", "batch", "iteration", "lr", "time", "wall_time", "elapsed")
)


def add_info_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "info",
        help="print what a session file holds",
        description="Print what a .wbsession file holds: its format and version, code tabs, "
        "tensors, modules, training runs, profiles, graphs and size. Runs none of its code.",
    )
    parser.add_argument("file", metavar="FILE", help="a .wbsession file")
    parser.set_defaults(handler=info_main)
    return parser


def add_export_trace_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export-trace",
        help="write a profile from a session file as a Chrome trace",
        description="Write one of the profiles a .wbsession file holds as a Chrome trace "
        "(Perfetto, chrome://tracing), validated after writing.",
    )
    parser.add_argument("file", metavar="FILE", help="a .wbsession file")
    parser.add_argument(
        "--run",
        metavar="N",
        help="which profile: its number as `workbench info` lists it (negative counts from "
        "the end) or its name (default: the last)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.json[.gz]",
        help="the trace to write; a name ending .gz is gzipped",
    )
    parser.set_defaults(handler=export_trace_main)
    return parser


def _error(command: str, message: Any) -> int:
    print(f"workbench {command}: error: {message}", file=sys.stderr)
    return 1


# --------------------------------------------------------------------------- info


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _shape(a) -> str:
    return "[" + ", ".join(map(str, a.shape)) + "]"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _series(history: Mapping) -> dict[str, list]:
    """The lists of numbers in a metric history, top level and one level down, by dotted name."""
    out: dict[str, list] = {}
    for key, value in history.items():
        if isinstance(value, list) and value and all(_is_number(v) for v in value):
            out[key] = value
        elif isinstance(value, Mapping):
            for k, v in value.items():
                if isinstance(v, list) and v and all(_is_number(x) for x in v):
                    out[f"{key}.{k}"] = v
    return out


def _records(value: Any) -> list[Mapping] | None:
    """`value` if it is a list of per-step (or per-epoch) records."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return value
    return None


def _run_summary(history: Mapping) -> str:
    """Steps and final metrics of a run's history: `TrainHistory.to_dict()` (lists of step and
    epoch records), or any dict of metric lists."""
    steps_rec, epochs_rec = _records(history.get("steps")), _records(history.get("epochs"))
    series = _series(history)
    if steps_rec:
        last = steps_rec[-1].get("step")
        steps = last if _is_number(last) else len(steps_rec)
    elif _is_number(history.get("steps")):
        steps = history["steps"]
    elif "step" in series:
        steps = series["step"][-1]
    else:
        steps = max((len(v) for v in series.values()), default=0)
    if epochs_rec or steps_rec:
        final = dict((epochs_rec or steps_rec)[-1])
    else:
        final = {name: values[-1] for name, values in series.items()}
    finals = [
        f"{name}={value:.4g}"
        for name, value in final.items()
        if _is_number(value) and name.rsplit(".", 1)[-1] not in _STEP_KEYS
    ]
    text = _plural(steps, "step")
    if epochs_rec:
        text += f", {_plural(len(epochs_rec), 'epoch')}"
    return text + (f"; final {', '.join(finals[:6])}" if finals else "")


def _graph_nodes(data: Mapping) -> str:
    nodes = data.get("nodes")
    return _plural(len(nodes), "node") if isinstance(nodes, list | dict) else "nodes unknown"


def describe_session(loaded: LoadedSession, file_size: int | None = None) -> str:
    """The text `workbench info` prints for a loaded session."""
    doc, m = loaded.document, loaded.manifest
    out = [
        f"format: {m.format}, schema version {m.schema_version} (written by Workbench "
        f"{m.app_version})",
        f"created: {m.created}",
        f"modified: {m.modified}",
    ]
    size = f"{_size(loaded.uncompressed_size)} uncompressed in {len(m.members) + 1} members"
    out.append(f"size: {_size(file_size)} on disk, {size}" if file_size is not None else size)

    def section(title: str, rows: list[tuple[str, str]]) -> None:
        out.append("")
        out.append(f"{title} ({len(rows)})" + (":" if rows else ""))
        width = max((len(name) for name, _ in rows), default=0)
        out.extend(f"  {name:<{width}}  {what}" for name, what in rows)

    section(
        "code tabs",
        [
            (b.name, _plural(_lines(b.text), "line") + (f"  ({b.path})" if b.path else ""))
            for b in doc.code
        ],
    )
    section(
        "tensors",
        [
            (
                name,
                f"{a.dtype} {_shape(a)}" + ("  requires_grad" if name in doc.requires_grad else ""),
            )
            for name, a in doc.tensors.items()
        ],
    )
    section(
        "modules",
        [
            (
                name + (f" ({doc.module_types[name]})" if name in doc.module_types else ""),
                _plural(sum(int(a.size) for a in state.values()), "parameter")
                + f" in {_plural(len(state), 'tensor')}",
            )
            for name, state in doc.modules.items()
        ],
    )
    section(
        "training runs",
        [(f"[{i}] {r.name}", _run_summary(r.history)) for i, r in enumerate(doc.training_runs)],
    )
    section(
        "profiles",
        [(f"[{i}] {p.name}", _plural(len(p.events), "event")) for i, p in enumerate(doc.profiles)],
    )
    section("graphs", [(f"[{i}] {g.name}", _graph_nodes(g.data)) for i, g in enumerate(doc.graphs)])
    keys = ", ".join(doc.ui_state) if doc.ui_state else "empty"
    out.extend(["", f"ui state: {keys}"])
    return "\n".join(out)


def info_main(args: argparse.Namespace) -> int:
    try:
        loaded = read_session(args.file)
    except SessionFileError as exc:
        return _error("info", exc)
    try:
        file_size = os.path.getsize(args.file)
    except OSError:
        file_size = None
    print(args.file)
    print(describe_session(loaded, file_size))
    return 0


# --------------------------------------------------------------------------- export-trace


def _listing(profiles: list[StoredProfile]) -> str:
    return ", ".join(f"[{i}] {p.name!r} ({len(p.events):,} events)" for i, p in enumerate(profiles))


def _pick(profiles: list[StoredProfile], which: str | None) -> StoredProfile | str:
    """The chosen profile, or the error message."""
    if which is None:
        return profiles[-1]
    try:
        n = int(which)
    except ValueError:
        named = [p for p in profiles if p.name == which]
        if named:
            return named[-1]
        return f"no profile named {which!r}; the file holds {_listing(profiles)}"
    if -len(profiles) <= n < len(profiles):
        return profiles[n]
    return f"no profile {n}; the file holds {_listing(profiles)}"


def export_trace_main(args: argparse.Namespace) -> int:
    from workbench.trace import TraceError, dump, validate

    try:
        doc = read_session(args.file).document
    except SessionFileError as exc:
        return _error("export-trace", exc)
    if not doc.profiles:
        return _error("export-trace", f"{args.file} holds no profiles")
    picked = _pick(doc.profiles, args.run)
    if isinstance(picked, str):
        return _error("export-trace", picked)
    try:
        dump(picked.events, args.output)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        return _error("export-trace", f"cannot write trace {args.output!r}: {reason}")
    try:
        report = validate(args.output)
    except TraceError as exc:
        return _error("export-trace", f"the trace written to {args.output!r} is not valid: {exc}")
    print(f"profile {picked.name!r} written to {args.output} ({report}); validated: OK")
    return 0
