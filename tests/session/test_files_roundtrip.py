"""Session files: everything saved comes back exactly, and the layout is what the format says."""

from __future__ import annotations

import builtins
import io
import json
import zipfile

import numpy as np
import pytest

import workbench
import workbench.engine as torch
from tests.session.fixtures.sessions import (
    assert_documents_equal,
    bits,
    read_members,
    sample_document,
    sample_events,
)
from workbench.session.files import (
    CURRENT_SCHEMA,
    FORMAT_NAME,
    CodeBuffer,
    SessionDocument,
    StoredGraph,
    StoredProfile,
    StoredRun,
    UnsupportedValue,
    document_to_session,
    dumps_session,
    load_session,
    read_session,
    save_session,
    session_to_document,
)
from workbench.trace import TraceEvents


def test_everything_round_trips_exactly(tmp_path):
    doc = sample_document()
    path = save_session(doc, tmp_path / "s.wbsession")
    back = load_session(path)
    assert_documents_equal(doc, back)
    # NaN payload and negative zero survive: bit-exact, not just equal
    assert back.tensors["weird"].view(np.uint32)[0] == 0x7FC00123
    assert np.signbit(back.tensors["weird"][1])
    assert back.tensors["scalar"].shape == ()
    assert back.tensors["strided"].tolist() == [[0, 2], [4, 6], [8, 10]]


def test_loading_from_bytes_equals_loading_from_the_file(tmp_path):
    doc = sample_document()
    save_session(doc, tmp_path / "s.wbsession")
    assert_documents_equal(load_session((tmp_path / "s.wbsession").read_bytes()), doc)


@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "int64", "bool", "float16", "int8", "int16", "int32", "uint8"]
)
def test_tensors_keep_dtype_and_bits(dtype):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((2, 3, 4)) * 100).astype(dtype)
    back = load_session(dumps_session(SessionDocument(tensors={"t": a}))).tensors["t"]
    assert bits(back) == bits(a)


def test_big_endian_input_is_stored_as_its_values():
    a = np.arange(5, dtype=">f8") / 3
    back = load_session(dumps_session(SessionDocument(tensors={"t": a}))).tensors["t"]
    assert back.dtype == np.float64 and np.array_equal(back, a)


def test_manifest_names_the_format_versions_times_and_every_member():
    doc = sample_document()
    data = dumps_session(doc)
    manifest, members = read_members(data)
    assert manifest["format"] == FORMAT_NAME == "autograd-workbench-session"
    assert manifest["schema_version"] == CURRENT_SCHEMA == 1
    assert manifest["app_version"] == workbench.__version__
    assert manifest["created"].endswith("Z") and manifest["modified"].endswith("Z")
    assert [m["name"] for m in manifest["members"]] == list(members)
    for m in manifest["members"]:
        assert m["size"] == len(members[m["name"]])
    assert doc.created == manifest["created"] and doc.modified == manifest["modified"]


def test_layout_code_as_text_arrays_as_safetensors_json_deflated():
    data = dumps_session(sample_document())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        infos = {i.filename: i for i in zf.infolist()}
        assert names[0] == "manifest.json"
        assert zf.read("code/0-main.py").decode() == sample_document().code[0].text
        index = json.loads(zf.read("code/index.json"))
        assert [e["name"] for e in index] == ["main", "ünï/../tab.py", "empty"]
        # a user's name never becomes a path: it is sanitised, the index keeps the real name
        assert all(".." not in n and "ü" not in n for n in names)
        for name, info in infos.items():
            # parameters do not compress; profile columns (times, name codes) do
            stored = name.endswith(".safetensors") and not name.endswith("columns.safetensors")
            expected = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            assert info.compress_type == expected, name
    # module state dicts are plain safetensors keyed by state_dict names (PyTorch can read them)
    import safetensors.numpy

    _, members = read_members(data)
    state = safetensors.numpy.load(members["modules/0-model.safetensors"])
    assert sorted(state) == ["bn.num_batches_tracked", "layer1.bias", "layer1.weight"]


def test_member_order_is_deterministic():
    names = []
    for _ in range(2):
        _, members = read_members(dumps_session(sample_document()))
        names.append(list(members))
    assert names[0] == names[1]
    assert names[0].index("code/index.json") < names[0].index("code/0-main.py")


def test_created_is_kept_and_modified_moves_on_resave(tmp_path):
    doc = SessionDocument(created="2020-02-02T02:02:02Z")
    save_session(doc, tmp_path / "a.wbsession")
    back = load_session(tmp_path / "a.wbsession")
    assert back.created == "2020-02-02T02:02:02Z"
    assert back.modified != back.created
    assert back.app_version == workbench.__version__ and back.schema_version == 1


def test_read_session_reports_manifest_and_size():
    loaded = read_session(dumps_session(sample_document()))
    assert loaded.manifest.schema_version == 1
    assert loaded.uncompressed_size > sum(m.size for m in loaded.manifest.members)


def test_profile_with_args_as_json_texts_round_trips():
    # the profiler's shortcut: args kept as JSON text until someone reads them
    ev = TraceEvents(
        ["a", "b"],
        ["c", "c"],
        [0.0, 1.0],
        [1.0, 1.0],
        [1, 1],
        [2, 2],
        args_json=['{"node":3}', None],
        process_names={1: "p"},
        thread_names={(1, 2): "t"},
    )
    doc = SessionDocument(profiles=[StoredProfile("p", ev)])
    back = load_session(dumps_session(doc)).profiles[0].events
    assert back.args == [{"node": 3}, None]
    assert back.name == ["a", "b"]


def test_a_real_profiler_capture_round_trips():
    from workbench.engine.autograd import profiler

    x = torch.randn((2, 3), requires_grad=True)
    with profiler.profile(record_shapes=True) as prof:
        (x * 2).sin().sum().backward()
    events = prof.trace_events()
    back = load_session(dumps_session(SessionDocument(profiles=[StoredProfile("p", events)])))
    from workbench.trace import dumps

    assert dumps(back.profiles[0].events) == dumps(events)


def test_unsupported_values_are_refused_before_writing(tmp_path):
    target = tmp_path / "s.wbsession"
    cases = [
        SessionDocument(tensors={"c": np.zeros(2, np.complex64)}),
        SessionDocument(tensors={"o": np.array(["x"], dtype=object)}),
        SessionDocument(tensors={"__metadata__": np.zeros(1)}),
        SessionDocument(tensors={"l": [1, 2]}),
        SessionDocument(ui_state={"a": {1: "int key"}}),
        SessionDocument(ui_state={"a": np.zeros(2)}),
        SessionDocument(ui_state={"a": object()}),
        SessionDocument(code=[CodeBuffer("x", "\ud800 lone surrogate")]),
        SessionDocument(graphs=[StoredGraph("g", {"a": {"b": set()}})]),
        SessionDocument(training_runs=[StoredRun("r", None, {}, {"x": np.ones(1)})]),
        SessionDocument(profiles=[StoredProfile("p", "not events")]),
    ]
    for doc in cases:
        with pytest.raises(UnsupportedValue):
            save_session(doc, target)
        assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temp file left either


def test_json_parts_accept_tuples_and_numpy_scalars():
    doc = SessionDocument(ui_state={"t": (1, 2), "f": np.float32(0.5), "i": np.int64(3)})
    back = load_session(dumps_session(doc))
    assert back.ui_state == {"t": [1, 2], "f": 0.5, "i": 3}


def test_tensor_values_may_be_engine_tensors():
    t = torch.tensor([[1.0, 2.0]], requires_grad=True)
    doc = SessionDocument(tensors={"t": t}, modules={"m": torch.nn.Linear(2, 3).state_dict()})
    back = load_session(dumps_session(doc))
    assert back.tensors["t"].dtype == np.float32 and back.tensors["t"].tolist() == [[1.0, 2.0]]
    assert sorted(back.modules["m"]) == ["bias", "weight"]


# --------------------------------------------------------------------------- Session <-> doc


def test_session_to_document_and_back(make_session, tmp_path):
    session = make_session()
    session.buffers = [CodeBuffer("main", "a = 1\n", "/x/main.py")]
    assert session.run(
        "import workbench.engine as torch\n"
        "a = torch.linspace(0, 1, steps=5, requires_grad=True)\n"
        "b = (a * 2).sin()\n"
        "n = torch.arange(3)\n"
        "h = torch.ones(2, dtype=torch.float16)\n"
        "model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())\n"
        "_private = torch.ones(1)\n"
    ).wait(10)
    doc = session_to_document(session, ui_state={"panels": ["graph"]})
    assert sorted(doc.tensors) == ["a", "b", "h", "n"]
    assert doc.requires_grad == {"a", "b"}
    assert doc.module_types == {"model": "Sequential"}
    assert sorted(doc.modules["model"]) == ["0.bias", "0.weight"]
    save_session(doc, tmp_path / "s.wbsession")

    restored = document_to_session(load_session(tmp_path / "s.wbsession"))
    try:
        assert restored.buffers == session.buffers
        assert restored.history == []  # nothing ran
        ns = restored.namespace
        assert "model" not in ns  # a module cannot be rebuilt without running its code
        for name in ("a", "b", "n", "h"):
            assert isinstance(ns[name], torch.Tensor)
            assert np.array_equal(
                ns[name].detach().numpy(), session.namespace[name].detach().numpy()
            )
            assert ns[name].dtype == session.namespace[name].dtype
        assert ns["a"].requires_grad and ns["a"].is_leaf
        assert ns["b"].requires_grad and ns["b"].grad_fn is None  # back as a leaf
        assert not ns["n"].requires_grad
        # the restored tensors are usable: autograd works on them
        ns["a"].sum().backward()
        assert ns["a"].grad.tolist() == [1.0] * 5
    finally:
        restored.close()


def test_document_copies_tensors_so_later_runs_cannot_change_it(make_session):
    session = make_session()
    assert session.run("import workbench.engine as torch\nw = torch.zeros(3)").wait(10)
    doc = session_to_document(session)
    assert session.run("w.add_(1)").wait(10)
    assert doc.tensors["w"].tolist() == [0.0, 0.0, 0.0]


def test_loading_never_runs_the_code(tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('x')\n"
    doc = SessionDocument(code=[CodeBuffer("evil", code)])
    save_session(doc, tmp_path / "s.wbsession")
    session = document_to_session(load_session(tmp_path / "s.wbsession"))
    try:
        assert session.buffers[0].text == code
        assert not marker.exists()
    finally:
        session.close()


def test_resave_keeps_restored_modules_and_captures(make_session):
    base = sample_document()
    session = make_session()
    doc = session_to_document(session, base=base)
    assert list(doc.modules) == ["model", "empty"] and doc.module_types == {"model": "Net"}
    assert [g.name for g in doc.graphs] == ["a.grad"]
    assert [p.name for p in doc.profiles] == ["loop", "empty"]
    assert doc.ui_state == base.ui_state and doc.created == base.created
    doc = session_to_document(session, base=base, profiles=[StoredProfile("n", sample_events(2))])
    assert [p.name for p in doc.profiles] == ["n"]


def test_uint_tensors_come_back_as_numpy_arrays():
    doc = SessionDocument(tensors={"u": np.arange(3, dtype=np.uint16)})
    session = document_to_session(load_session(dumps_session(doc)))
    try:
        assert isinstance(session.namespace["u"], np.ndarray)
        assert session.namespace["u"].dtype == np.uint16
    finally:
        session.close()


def test_a_file_cannot_plant_dunder_names_in_the_namespace():
    doc = SessionDocument(
        tensors={n: np.zeros(1) for n in ("__builtins__", "_x", "a.b", "class", "ok")}
    )
    session = document_to_session(load_session(dumps_session(doc)))
    try:
        assert session.namespace["__builtins__"] is builtins
        assert [n for n in session.namespace if not n.startswith("__")] == ["ok"]
    finally:
        session.close()
