"""`workbench info FILE` and `workbench export-trace FILE`, called through their own parsers."""

from __future__ import annotations

import argparse
import gzip
import json

import pytest

from tests.session.fixtures.sessions import sample_document, sample_events
from workbench.session.cli_commands import (
    add_export_trace_parser,
    add_info_parser,
    export_trace_main,
    info_main,
)
from workbench.session.files import SessionDocument, StoredProfile, StoredRun, save_session
from workbench.trace import load as load_trace
from workbench.trace import validate


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="workbench")
    commands = parser.add_subparsers(dest="command", required=True)
    add_info_parser(commands)
    add_export_trace_parser(commands)
    return parser.parse_args(argv)


@pytest.fixture
def session_file(tmp_path):
    doc = sample_document()
    doc.profiles = [
        StoredProfile("first", sample_events(3)),
        StoredProfile("loop", sample_events(7)),
    ]
    return save_session(doc, tmp_path / "work.wbsession")


def test_info_prints_what_the_file_holds(session_file, capsys):
    args = parse("info", str(session_file))
    assert args.handler is info_main
    assert info_main(args) == 0
    out = capsys.readouterr().out
    lines = [line.strip() for line in out.splitlines()]
    assert lines[0] == str(session_file)
    assert (
        "format: autograd-workbench-session, schema version 1 (written by Workbench 0.1.0)" in lines
    )
    assert any(line.startswith("created: ") and line.endswith("Z") for line in lines)
    size_line = next(line for line in lines if line.startswith("size: "))
    assert "on disk" in size_line and "uncompressed in" in size_line
    assert "code tabs (3):" in lines
    assert any(line.startswith("main") and line.endswith("2 lines") for line in lines)
    assert any(
        line.startswith("ünï/../tab.py") and "2 lines  (/home/u/tab.py)" in line for line in lines
    )
    assert "tensors (10):" in lines
    assert any(
        line.startswith("f32") and line.endswith("float32 [3, 4]  requires_grad") for line in lines
    )
    assert any(line.startswith("scalar") and "float64 []" in line for line in lines)
    assert "modules (2):" in lines
    assert any(
        line.startswith("model (Net)") and line.endswith("13 parameters in 3 tensors")
        for line in lines
    )
    assert "training runs (2):" in lines
    spirals = next(line for line in lines if line.startswith("[0] spirals"))
    assert spirals.endswith("3 steps; final loss=0.25, accuracy=0.9")
    assert "profiles (2):" in lines
    assert any(line.startswith("[1] loop") and line.endswith("7 events") for line in lines)
    assert "graphs (1):" in lines
    assert any(line.startswith("[0] a.grad") and line.endswith("2 nodes") for line in lines)
    assert "ui state: panels, selection, layout, zoom" in lines


def test_info_of_an_empty_session(tmp_path, capsys):
    path = save_session(SessionDocument(), tmp_path / "e.wbsession")
    assert info_main(parse("info", str(path))) == 0
    out = capsys.readouterr().out
    assert "code tabs (0)\n" in out and "profiles (0)\n" in out and "ui state: empty" in out


@pytest.mark.parametrize("content", [b"not a zip", b""])
def test_info_of_a_bad_file_exits_1_with_the_message(tmp_path, capsys, content):
    path = tmp_path / "bad.wbsession"
    path.write_bytes(content)
    assert info_main(parse("info", str(path))) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"workbench info: error: {path}: not a session file")


def test_info_of_a_missing_file(tmp_path, capsys):
    assert info_main(parse("info", str(tmp_path / "nope.wbsession"))) == 1
    assert "cannot open the file" in capsys.readouterr().err


def _x_events(path) -> int:
    return validate(path).complete_events


def test_export_trace_writes_the_last_profile_by_default(session_file, tmp_path, capsys):
    out = tmp_path / "trace.json"
    args = parse("export-trace", str(session_file), "-o", str(out))
    assert args.handler is export_trace_main
    assert export_trace_main(args) == 0
    assert "profile 'loop' written to" in capsys.readouterr().out
    assert _x_events(out) == 7
    events = load_trace(out)
    assert events.name == sample_events(7).name
    assert events.thread_names == {(7, 1): "main", (7, 2): "backward"}


@pytest.mark.parametrize("which, count", [("0", 3), ("1", 7), ("-2", 3), ("first", 3)])
def test_export_trace_picks_a_profile(session_file, tmp_path, which, count):
    out = tmp_path / "t.json"
    assert (
        export_trace_main(parse("export-trace", str(session_file), "--run", which, "-o", str(out)))
        == 0
    )
    assert _x_events(out) == count


def test_export_trace_gzipped(session_file, tmp_path):
    out = tmp_path / "t.json.gz"
    assert export_trace_main(parse("export-trace", str(session_file), "-o", str(out))) == 0
    data = json.loads(gzip.decompress(out.read_bytes()))
    assert sum(1 for e in data["traceEvents"] if e["ph"] == "X") == 7


@pytest.mark.parametrize("which", ["2", "-3", "nope"])
def test_export_trace_unknown_profile_lists_the_available_ones(
    session_file, tmp_path, capsys, which
):
    out = tmp_path / "t.json"
    assert (
        export_trace_main(parse("export-trace", str(session_file), "--run", which, "-o", str(out)))
        == 1
    )
    err = capsys.readouterr().err
    assert err.startswith("workbench export-trace: error: no profile")
    assert "[0] 'first' (3 events), [1] 'loop' (7 events)" in err
    assert not out.exists()


def test_export_trace_without_profiles(tmp_path, capsys):
    path = save_session(SessionDocument(), tmp_path / "e.wbsession")
    assert export_trace_main(parse("export-trace", str(path), "-o", str(tmp_path / "t.json"))) == 1
    assert f"{path} holds no profiles" in capsys.readouterr().err


def test_export_trace_of_a_bad_file_and_to_a_bad_place(session_file, tmp_path, capsys):
    bad = tmp_path / "bad.wbsession"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert export_trace_main(parse("export-trace", str(bad), "-o", str(tmp_path / "t.json"))) == 1
    assert "truncated or damaged" in capsys.readouterr().err
    nowhere = tmp_path / "missing-dir" / "t.json"
    assert export_trace_main(parse("export-trace", str(session_file), "-o", str(nowhere))) == 1
    assert "cannot write trace" in capsys.readouterr().err


def test_export_trace_requires_an_output(session_file):
    with pytest.raises(SystemExit) as info:
        parse("export-trace", str(session_file))
    assert info.value.code == 2


def test_info_summarises_a_trainer_history(tmp_path, capsys):
    # the shape of workbench.training's TrainHistory.to_dict()
    step = {"epoch": 1, "batch": 3, "lr": 0.1, "time": 0.01, "grad_norm": {"0": 1.5}}
    history = {
        "config": {"epochs": 2},
        "dataset": "spirals",
        "layers": ["Linear(2, 16)"],
        "steps": [{**step, "step": i, "loss": 1.0 / i} for i in range(1, 9)],
        "epochs": [
            {
                "epoch": e,
                "step": 4 * (e + 1),
                "train_loss": 0.5 / (e + 1),
                "train_accuracy": 0.8,
                "test_loss": None,
                "test_accuracy": None,
                "lr": 0.1,
                "time": 0.04,
            }
            for e in range(2)
        ],
    }
    doc = SessionDocument(training_runs=[StoredRun("spirals", None, {}, history)])
    path = save_session(doc, tmp_path / "t.wbsession")
    assert info_main(parse("info", str(path))) == 0
    out = capsys.readouterr().out
    assert "[0] spirals  8 steps, 2 epochs; final train_loss=0.25, train_accuracy=0.8\n" in out
