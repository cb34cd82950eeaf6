"""A SessionDocument to archive members and back: the schema-1 layout.

    manifest.json                       (manifest.py)
    code/index.json                     [{"name", "path", "member"}], tab order
    code/0-main.py                      each tab's text, UTF-8
    tensors/index.json                  [{"name", "requires_grad"}], namespace order
    tensors/tensors.safetensors         keyed by tensor name
    modules/index.json                  [{"name", "type", "member", "keys"}]
    modules/0-model.safetensors         the state dict, keyed as state_dict() names it
    runs/index.json                     [{"name", "run", "weights", "keys"}]
    runs/0-name/run.json                {"spec", "settings", "history"}
    runs/0-name/weights.safetensors
    profiles/index.json                 [{"name", "events", "columns", "tables", "args"}]
    profiles/0-name/columns.safetensors start_us, dur_us (float64), pid, tid (int64),
                                        name, cat (int32 codes into tables.json's lists)
    profiles/0-name/tables.json         {"names", "cats", "process_names", "thread_names"}
    profiles/0-name/args.json           one JSON array: each event's args object or null
    graphs/index.json                   [{"name", "data", "arrays", "keys"}]
    graphs/0-name/graph.json            Graph.to_dict()
    graphs/0-name/arrays.safetensors    Graph.arrays()
    ui_state.json

Arrays go to safetensors (no pickle; a module's file loads into PyTorch with
`safetensors.torch.load_file`), stored uncompressed since weights do not compress; `keys` keep
the order of a dict, which safetensors does not. JSON and text members are deflated.

Profiles are columnar rather than Chrome JSON: the columns are raw float64/int64 bytes (exact
to the bit, where Chrome JSON rounds to the nanosecond) deflated ~4x, and only the args objects
are JSON. For 100,000 profiler events that saves in ~0.1 s and loads in ~0.15 s, against
~0.25 s and ~0.75 s through the Chrome writer and `workbench.trace.load` (1.2 s with input
shapes in the args); the JSON decode of the args is what loading costs.

Member names are made from positions plus a sanitised name, never the raw name, so any user
name is safe; the indexes hold the real names.

Decoding validates every index entry and raises CorruptMember / MissingMember naming the member.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy as st

from workbench.session.session import CodeBuffer
from workbench.trace import TraceEvents

from .archive import MemberData
from .document import SessionDocument, StoredGraph, StoredProfile, StoredRun
from .errors import CorruptMember, MissingMember, UnsupportedValue

__all__ = ["ALLOWED_DTYPES", "decode_document", "encode_document", "jsonable", "to_numpy"]

ALLOWED_DTYPES = frozenset(
    np.dtype(t)
    for t in (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
    )
)
_RESERVED_KEY = "__metadata__"  # safetensors keeps its header metadata under this key
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# --------------------------------------------------------------------------- encode


def _slug(index: int, name: str) -> str:
    slug = _SLUG.sub("_", name.removesuffix(".py")).strip("_")[:40]
    return f"{index}-{slug}" if slug else str(index)


def to_numpy(value: Any, where: str) -> np.ndarray:
    """A NumPy array of `value` (an array, a workbench Tensor, a CuPy array), C-contiguous."""
    if not isinstance(value, np.ndarray):
        from workbench.engine import Tensor

        if isinstance(value, Tensor):
            value = value.detach().cpu().numpy()
        elif hasattr(value, "get") and hasattr(value, "__cuda_array_interface__"):
            value = value.get()  # CuPy
        elif isinstance(value, np.generic):
            value = np.asarray(value)
        else:
            raise UnsupportedValue(
                f"{where}: expected a NumPy array or a Tensor, not {type(value).__name__}"
            )
    if value.dtype not in ALLOWED_DTYPES:
        raise UnsupportedValue(f"{where}: dtype {value.dtype} cannot be stored")
    if value.dtype.byteorder == ">":
        value = value.astype(value.dtype.newbyteorder("<"))
    if not value.flags.c_contiguous:
        value = value.copy(order="C")  # safetensors would read a strided view's memory raw
    return value


def _safetensors(arrays: Mapping[str, Any], where: str) -> tuple[bytes, list[str]]:
    out = {}
    for key, value in arrays.items():
        if not isinstance(key, str):
            raise UnsupportedValue(f"{where}: array names must be strings, not {key!r}")
        if key == _RESERVED_KEY:
            raise UnsupportedValue(f"{where}: {_RESERVED_KEY!r} is reserved by safetensors")
        out[key] = to_numpy(value, f"{where}[{key!r}]")
    try:
        return st.save(out), list(out)
    except (safetensors.SafetensorError, ValueError, TypeError) as exc:
        raise UnsupportedValue(f"{where}: {exc}") from exc


def jsonable(value: Any, where: str) -> Any:
    """`value` checked to be JSON (tuples become lists, NumPy scalars Python numbers)."""
    try:
        return _jsonable(value, where)
    except RecursionError:
        raise UnsupportedValue(f"{where}: nested too deeply") from None


def _jsonable(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise UnsupportedValue(f"{where}: dict key {k!r} is not a string")
            out[k] = _jsonable(v, f"{where}.{k}")
        return out
    if isinstance(value, list | tuple):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    raise UnsupportedValue(
        f"{where}: {type(value).__name__} is not JSON (arrays belong in the arrays/weights dicts)"
    )


def _json_bytes(value: Any) -> bytes:
    return _encode(value).encode("utf-8")


def _text_bytes(text: str, where: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnsupportedValue(f"{where}: not encodable as UTF-8 ({exc.reason})") from exc


def _check_str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise UnsupportedValue(f"{where} must be a string, not {type(value).__name__}")
    _text_bytes(value, where)
    return value


def _args_json(events: TraceEvents) -> str:
    """Every event's args as one JSON array."""
    # The profiler hands over args as JSON texts that are decoded on first use; joining those
    # costs ~10 ms for 100,000 events, decoding and re-encoding them ~0.5 s.
    texts = getattr(events, "_args_json", None)
    if texts is not None and getattr(events, "_args", None) is None:
        return "[" + ",".join(t or "null" for t in texts) + "]"
    return json.dumps(events.args, ensure_ascii=False, separators=(",", ":"), default=str)


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    table = {v: i for i, v in enumerate(dict.fromkeys(values))}
    return np.fromiter(map(table.__getitem__, values), np.int32, len(values)), list(table)


def _encode_profile(p: StoredProfile, base: str) -> tuple[list[MemberData], dict]:
    ev = p.events
    if not isinstance(ev, TraceEvents):
        raise UnsupportedValue(f"profile {p.name!r}: events must be TraceEvents")
    where = f"profile {p.name!r}"
    try:
        name_code, name_table = _codes(ev.name)
        cat_code, cat_table = _codes(ev.cat)
    except TypeError as exc:  # an unhashable name
        raise UnsupportedValue(f"{where}: event names and categories must be strings") from exc
    for s in (*name_table, *cat_table):  # the distinct ones: a few dozen, not 100,000
        _check_str(s, f"{where} event name or category")
    columns, _ = _safetensors(
        {
            "start_us": ev.start_us,
            "dur_us": ev.dur_us,
            "pid": ev.pid,
            "tid": ev.tid,
            "name": name_code,
            "cat": cat_code,
        },
        where,
    )
    tables = {
        "names": name_table,
        "cats": cat_table,
        "process_names": [[int(k), _check_str(v, where)] for k, v in ev.process_names.items()],
        "thread_names": [
            [int(p), int(t), _check_str(v, where)] for (p, t), v in ev.thread_names.items()
        ],
    }
    entry = {
        "name": p.name,
        "events": len(ev),
        "columns": f"{base}/columns.safetensors",
        "tables": f"{base}/tables.json",
        "args": f"{base}/args.json",
    }
    args = _text_bytes(_args_json(ev), f"{where} args")
    return [
        MemberData(entry["columns"], columns, True),  # times and codes do compress, ~3x
        MemberData(entry["tables"], _json_bytes(tables), True),
        MemberData(entry["args"], args, True),
    ], entry


def encode_document(doc: SessionDocument) -> list[MemberData]:
    """The members of `doc`, in the layout's order (the manifest is added by the caller)."""
    out: list[MemberData] = []

    def section(name: str, items, encode: Callable[[int, Any], dict]) -> None:
        at = len(out)  # the index goes first, ahead of the members it lists
        index = [encode(i, item) for i, item in enumerate(items)]
        out.insert(at, MemberData(f"{name}/index.json", _json_bytes(index), True))

    def code(i: int, buf: CodeBuffer) -> dict:
        name = _check_str(buf.name, f"code tab {i} name")
        if buf.path is not None:
            _check_str(buf.path, f"code tab {name!r} path")
        member = f"code/{_slug(i, name)}.py"
        out.append(MemberData(member, _text_bytes(buf.text, f"code tab {name!r}"), True))
        return {"name": name, "path": buf.path, "member": member}

    section("code", doc.code, code)

    tensor_names = [_check_str(k, "tensor name") for k in doc.tensors]
    data, _ = _safetensors(doc.tensors, "tensors")
    index = [{"name": k, "requires_grad": k in doc.requires_grad} for k in tensor_names]
    out.append(MemberData("tensors/index.json", _json_bytes(index), True))
    out.append(MemberData("tensors/tensors.safetensors", data, False))

    def module(i: int, item: tuple[str, Mapping]) -> dict:
        name, state = item
        _check_str(name, "module name")
        member = f"modules/{_slug(i, name)}.safetensors"
        data, keys = _safetensors(state, f"module {name!r}")
        out.append(MemberData(member, data, False))
        kind = doc.module_types.get(name)
        return {"name": name, "type": kind, "member": member, "keys": keys}

    section("modules", doc.modules.items(), module)

    def run(i: int, r: StoredRun) -> dict:
        name = _check_str(r.name, "training run name")
        where = f"training run {name!r}"
        base = f"runs/{_slug(i, name)}"
        body = {
            "spec": jsonable(r.spec, f"{where} spec"),
            "settings": jsonable(r.settings, f"{where} settings"),
            "history": jsonable(r.history, f"{where} history"),
        }
        data, keys = _safetensors(r.weights, f"{where} weights")
        out.append(MemberData(f"{base}/run.json", _json_bytes(body), True))
        out.append(MemberData(f"{base}/weights.safetensors", data, False))
        return {
            "name": name,
            "run": f"{base}/run.json",
            "weights": f"{base}/weights.safetensors",
            "keys": keys,
        }

    section("runs", doc.training_runs, run)

    def profile(i: int, p: StoredProfile) -> dict:
        _check_str(p.name, "profile name")
        members, entry = _encode_profile(p, f"profiles/{_slug(i, p.name)}")
        out.extend(members)
        return entry

    section("profiles", doc.profiles, profile)

    def graph(i: int, g: StoredGraph) -> dict:
        name = _check_str(g.name, "graph name")
        base = f"graphs/{_slug(i, name)}"
        body = jsonable(g.data, f"graph {name!r} data")
        data, keys = _safetensors(g.arrays, f"graph {name!r} arrays")
        out.append(MemberData(f"{base}/graph.json", _json_bytes(body), True))
        out.append(MemberData(f"{base}/arrays.safetensors", data, False))
        return {
            "name": name,
            "data": f"{base}/graph.json",
            "arrays": f"{base}/arrays.safetensors",
            "keys": keys,
        }

    section("graphs", doc.graphs, graph)

    if not isinstance(doc.ui_state, dict):
        raise UnsupportedValue("ui_state must be a dict")
    out.append(MemberData("ui_state.json", _json_bytes(jsonable(doc.ui_state, "ui_state")), True))
    return out


# --------------------------------------------------------------------------- decode


class _Reader:
    """Typed access to the members, raising the error that names the member."""

    def __init__(self, members: Mapping[str, bytes]) -> None:
        self.members = members

    def raw(self, name: Any, referrer: str) -> bytes:
        if not isinstance(name, str):
            raise CorruptMember(f"member {referrer!r} names a member with {name!r:.60}")
        try:
            return self.members[name]
        except KeyError:
            raise MissingMember(f"member {name!r} is missing (listed in {referrer!r})") from None

    def text(self, name: str, referrer: str) -> str:
        try:
            return self.raw(name, referrer).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorruptMember(f"member {name!r} is not UTF-8 text ({exc.reason})") from exc

    def json(self, name: str, referrer: str = "the layout") -> Any:
        text = self.text(name, referrer)
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise CorruptMember(f"member {name!r} is not valid JSON: {exc}") from exc

    def arrays(self, name: str, referrer: str, keys: Any) -> dict[str, np.ndarray]:
        data = self.raw(name, referrer)
        try:
            loaded = st.load(data)
        except Exception as exc:  # SafetensorError, and whatever a hostile header provokes
            raise CorruptMember(f"member {name!r} is not a valid safetensors file: {exc}") from exc
        if (
            not isinstance(keys, list)
            or not all(isinstance(k, str) for k in keys)
            or len(set(keys)) != len(keys)
            or set(keys) != set(loaded)
        ):
            raise CorruptMember(f"member {name!r} does not hold the arrays that {referrer!r} lists")
        for key, a in loaded.items():
            if a.dtype not in ALLOWED_DTYPES:
                raise CorruptMember(f"member {name!r}: array {key!r} has dtype {a.dtype}")
        return {k: loaded[k] for k in keys}

    def index(self, name: str, fields: dict[str, Any]) -> list[dict]:
        """A section's index: a list of objects, each checked against `fields`."""
        value = self.json(name)
        if not isinstance(value, list):
            raise CorruptMember(f"member {name!r} must hold a list")
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise CorruptMember(f"member {name!r}: entry {i} must be an object")
            for key, kind in fields.items():
                if key not in entry or not isinstance(entry[key], kind):
                    raise CorruptMember(f"member {name!r}: entry {i} has no valid {key!r}")
                if kind is int and isinstance(entry[key], bool):
                    raise CorruptMember(f"member {name!r}: entry {i} has no valid {key!r}")
        return value


def _object(value: Any, member: str, key: str, *, optional: bool = False) -> Any:
    if (value is None and optional) or isinstance(value, dict):
        return value
    raise CorruptMember(f"member {member!r}: {key!r} must be a JSON object")


def _decode_profile(r: _Reader, entry: dict) -> StoredProfile:
    where = entry["columns"]
    cols = r.arrays(
        where, "profiles/index.json", ["start_us", "dur_us", "pid", "tid", "name", "cat"]
    )
    tables = r.json(entry["tables"])
    args = r.json(entry["args"])
    try:
        names, cats = tables["names"], tables["cats"]
        if not (isinstance(names, list) and isinstance(cats, list)):
            raise ValueError("names and categories must be lists")
        if not all(isinstance(s, str) for s in [*names, *cats]):
            raise ValueError("names and categories must be strings")
        n = entry["events"]
        for key, dtype in (
            ("start_us", "f8"),
            ("dur_us", "f8"),
            ("pid", "i8"),
            ("tid", "i8"),
            ("name", "i4"),
            ("cat", "i4"),
        ):
            if cols[key].dtype != np.dtype(dtype) or cols[key].shape != (n,):
                raise ValueError(f"column {key!r} must be {dtype} of shape ({n},)")
        for key, table in (("name", names), ("cat", cats)):
            code = cols[key]
            if n and (code.min() < 0 or code.max() >= len(table)):
                raise ValueError(f"column {key!r} has codes outside its table")
        if not isinstance(args, list) or len(args) != n:
            raise ValueError("args must be a list with one entry per event")
        if not all(a is None or isinstance(a, dict) for a in args):
            raise ValueError("each event's args must be an object or null")
        process_names = {}
        for pid, label in tables["process_names"]:
            if not (type(pid) is int and isinstance(label, str)):
                raise ValueError("process_names must hold [pid, name] pairs")
            process_names[pid] = label
        thread_names = {}
        for pid, tid, label in tables["thread_names"]:
            if not (type(pid) is int and type(tid) is int and isinstance(label, str)):
                raise ValueError("thread_names must hold [pid, tid, name] triples")
            thread_names[pid, tid] = label
        name_list = np.array(names, dtype=object)[cols["name"]].tolist() if n else []
        cat_list = np.array(cats, dtype=object)[cols["cat"]].tolist() if n else []
        events = TraceEvents(
            name=name_list,
            cat=cat_list,
            start_us=cols["start_us"],
            dur_us=cols["dur_us"],
            pid=cols["pid"],
            tid=cols["tid"],
            args=args,
            process_names=process_names,
            thread_names=thread_names,
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CorruptMember(f"profile {entry['name']!r} ({where!r}) is damaged: {exc}") from exc
    return StoredProfile(entry["name"], events)


def decode_document(members: Mapping[str, bytes]) -> SessionDocument:
    """The document held by schema-1 `members` (the manifest is read by the caller)."""
    r = _Reader(members)
    doc = SessionDocument()
    str_or_none = (str, type(None))

    for e in r.index("code/index.json", {"name": str, "path": str_or_none, "member": str}):
        doc.code.append(CodeBuffer(e["name"], r.text(e["member"], "code/index.json"), e["path"]))

    index = r.index("tensors/index.json", {"name": str, "requires_grad": bool})
    names = [e["name"] for e in index]
    if len(set(names)) != len(names):
        raise CorruptMember("member 'tensors/index.json' lists a tensor twice")
    doc.tensors = r.arrays("tensors/tensors.safetensors", "tensors/index.json", names)
    doc.requires_grad = {e["name"] for e in index if e["requires_grad"]}

    fields = {"name": str, "type": str_or_none, "member": str, "keys": list}
    for e in r.index("modules/index.json", fields):
        if e["name"] in doc.modules:
            raise CorruptMember(f"member 'modules/index.json' lists {e['name']!r} twice")
        doc.modules[e["name"]] = r.arrays(e["member"], "modules/index.json", e["keys"])
        if e["type"] is not None:
            doc.module_types[e["name"]] = e["type"]

    fields = {"name": str, "run": str, "weights": str, "keys": list}
    for e in r.index("runs/index.json", fields):
        body = _object(r.json(e["run"]), e["run"], "run")
        for key in ("spec", "settings", "history"):
            if key not in body:
                raise CorruptMember(f"member {e['run']!r} has no {key!r}")
        doc.training_runs.append(
            StoredRun(
                name=e["name"],
                spec=_object(body["spec"], e["run"], "spec", optional=True),
                settings=_object(body["settings"], e["run"], "settings"),
                history=_object(body["history"], e["run"], "history"),
                weights=r.arrays(e["weights"], "runs/index.json", e["keys"]),
            )
        )

    fields = {"name": str, "events": int, "columns": str, "tables": str, "args": str}
    for e in r.index("profiles/index.json", fields):
        doc.profiles.append(_decode_profile(r, e))

    fields = {"name": str, "data": str, "arrays": str, "keys": list}
    for e in r.index("graphs/index.json", fields):
        data = _object(r.json(e["data"]), e["data"], "graph")
        arrays = r.arrays(e["arrays"], "graphs/index.json", e["keys"])
        doc.graphs.append(StoredGraph(e["name"], data, arrays))

    doc.ui_state = _object(r.json("ui_state.json"), "ui_state.json", "ui_state")
    return doc
