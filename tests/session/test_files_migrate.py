"""Schema versions: older files migrate, and the version-1 fixture loads forever."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.session.fixtures.sessions import (
    assert_documents_equal,
    manifest_for,
    raw_archive,
    read_members,
    sample_document,
)
from workbench.session.files import (
    CURRENT_SCHEMA,
    MIGRATIONS,
    CorruptMember,
    ManifestError,
    dumps_session,
    load_session,
)
from workbench.session.files import migrate as migrate_module

FIXTURE = Path(__file__).parent / "fixtures" / "v1-example.wbsession"


def test_the_v1_fixture_loads_with_its_exact_contents():
    doc = load_session(FIXTURE)
    assert doc.schema_version == 1
    assert doc.created == "2025-01-01T12:00:00Z"
    assert [(b.name, b.path) for b in doc.code] == [("tutorial", None), ("notes", "/tmp/notes.py")]
    assert doc.code[0].text == (
        "import workbench.engine as torch\n"
        "a = torch.linspace(0, 1, steps=4, requires_grad=True)\n"
        "b = (2 * a.sin() + 1).sum()\n"
    )
    assert doc.code[1].text == "# π ≈ 3.14159\n"

    assert list(doc.tensors) == ["a", "steps", "mask"]
    a = doc.tensors["a"]
    assert a.dtype == np.float32
    assert a.view(np.uint32).tolist() == [0x00000000, 0x3EAAAAAB, 0x3F2AAAAB, 0x3F800000]
    assert doc.tensors["steps"].dtype == np.int64 and doc.tensors["steps"].tolist() == [1, 2, 3]
    assert doc.tensors["mask"].tolist() == [True, False]
    assert doc.requires_grad == {"a"}

    assert doc.module_types == {"model": "Linear"}
    assert doc.modules["model"]["weight"].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert doc.modules["model"]["bias"].tolist() == [0.0, 0.0]

    (run,) = doc.training_runs
    assert run.name == "xor" and run.settings == {"lr": 0.1, "optimizer": "SGD"}
    assert run.history == {"step": [1, 2], "loss": [0.75, 0.5]}
    assert run.spec == {"layers": [{"type": "Linear", "in": 2, "out": 2}]}
    assert run.weights["0.weight"].tolist() == [[0.5, -0.5], [1.0, 2.0]]

    (profile,) = doc.profiles
    assert profile.name == "loop" and len(profile.events) == 12
    assert profile.events.name[:2] == ["aten::div", "aten::mul"]
    assert profile.events.start_us[-1] == 27.5
    assert profile.events.args[5] == {"node": 5}
    assert profile.events.thread_names == {(1, 1): "main"}

    (graph,) = doc.graphs
    assert graph.name == "b" and len(graph.data["nodes"]) == 5
    assert graph.data["nodes"][3] == {"id": 3, "name": "SinBackward0"}
    assert graph.arrays["grad:4"].tolist() == pytest.approx([2.0, 1.8, 1.6, 1.1])

    assert doc.ui_state == {
        "panels": ["editor", "graph"],
        "selection": {"tensor": "a"},
        "layout": "AAAA",
    }


def test_the_fixture_was_written_by_schema_1():
    manifest, _ = read_members(FIXTURE.read_bytes())
    assert manifest["schema_version"] == 1


def _as_version_0(data: bytes) -> bytes:
    """A v1 file rewritten in the (never released) version-0 layout: code in code.json."""
    _, members = read_members(data)
    index = json.loads(members.pop("code/index.json"))
    tabs = [
        {"name": e["name"], "text": members.pop(e["member"]).decode(), "path": e["path"]}
        for e in index
    ]
    members = {"code.json": json.dumps(tabs).encode(), **members}
    return raw_archive(members, manifest_for(members, schema_version=0))


def test_version_0_migrates_to_the_current_document():
    doc = sample_document()
    back = load_session(_as_version_0(dumps_session(doc)))
    assert_documents_equal(doc, back)
    assert back.schema_version == 0  # what the file said; the document is current


def test_registry_covers_every_older_version():
    assert CURRENT_SCHEMA == 1
    assert sorted(MIGRATIONS) == list(range(CURRENT_SCHEMA))


def test_a_version_without_a_migration_is_refused(monkeypatch):
    data = _as_version_0(dumps_session(sample_document()))
    monkeypatch.delitem(MIGRATIONS, 0)
    with pytest.raises(ManifestError, match="older than any"):
        load_session(data)


def test_migrations_run_in_order(monkeypatch):
    seen = []

    def step(n):
        def migrate(view):
            seen.append(n)
            return {**view, "manifest": {**view["manifest"], "schema_version": n + 1}}

        return migrate

    monkeypatch.setitem(MIGRATIONS, 0, step(0))
    monkeypatch.setitem(MIGRATIONS, 1, step(1))
    view = migrate_module.migrate({"manifest": {"schema_version": 0}, "members": {}}, target=2)
    assert seen == [0, 1] and view["manifest"]["schema_version"] == 2


def test_a_damaged_version_0_code_member(monkeypatch):
    data = _as_version_0(dumps_session(sample_document()))
    _, members = read_members(data)
    members["code.json"] = b'[{"name": 1}]'
    with pytest.raises(CorruptMember, match="code.json"):
        load_session(raw_archive(members, manifest_for(members, schema_version=0)))
