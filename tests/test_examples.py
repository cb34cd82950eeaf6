"""The shipped examples: each runs top to bottom on our engine and teaches what it says."""

from __future__ import annotations

import contextlib
import io
import runpy

import numpy as np
import pytest

from workbench.session.examples import Example, list_examples, parse_example, read_example

EXAMPLES = list_examples()
EXPECTED_NAMES = [
    "01_derivative_of_sin",
    "02_tiny_training_step",
    "03_gradient_accumulation",
    "04_no_grad_and_detach",
    "05_inplace_errors",
    "06_vector_backward",
    "07_jacobian_and_hessian",
    "08_profiling_a_loop",
    "09_two_layer_graph",
]


def run_example(name: str) -> tuple[dict, str]:
    example = next(e for e in EXAMPLES if e.name == name)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace = runpy.run_path(str(example.path))
    return namespace, out.getvalue()


def test_the_examples_are_listed_in_order():
    assert [e.name for e in EXAMPLES] == EXPECTED_NAMES


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_example_runs_to_the_end(name):
    namespace, output = run_example(name)
    assert output.strip(), f"{name} printed nothing"
    # Directive names must exist after the run, or the app would point at nothing.
    example = next(e for e in EXAMPLES if e.name == name)
    for target, x_name in example.inspect:
        root = target.split(".")[0]
        assert root in namespace, f"{name}: directive names {target!r}, not in the namespace"
        if x_name is not None:
            assert x_name.split(".")[0] in namespace


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_examples_import_only_the_engine_the_pytorch_way(example):
    imports = [
        line.strip()
        for line in read_example(example).splitlines()
        if line.startswith(("import ", "from "))
    ]
    allowed_roots = ("import math", "import workbench.engine as torch", "from workbench.engine")
    assert imports and all(line.startswith(allowed_roots) for line in imports), imports


def test_derivative_of_sin_gives_two_cos():
    namespace, output = run_example("01_derivative_of_sin")
    a = namespace["a"]
    np.testing.assert_allclose(a.grad.numpy(), 2 * np.cos(a.detach().numpy()), atol=1e-5)
    assert "a.grad == 2 * cos(a): True" in output


def test_training_step_lowers_the_loss_and_clears_grads():
    namespace, _ = run_example("02_tiny_training_step")
    assert namespace["new_loss"].item() < namespace["loss"].item()
    assert not namespace["model"].layer2.weight.grad.numpy().any()


def test_accumulated_micro_batches_equal_the_full_batch():
    namespace, output = run_example("03_gradient_accumulation")
    np.testing.assert_allclose(
        namespace["w"].grad.numpy(), namespace["full_batch_grad"].numpy(), atol=1e-6
    )
    assert "after two backwards: x.grad = tensor([ 4.,  8., 12.])" in output


def test_no_grad_records_nothing():
    namespace, _ = run_example("04_no_grad_and_detach")
    assert not namespace["c"].requires_grad and namespace["c"].grad_fn is None
    assert namespace["b"].grad_fn is not None


def test_inplace_example_prints_both_errors():
    _, output = run_example("05_inplace_errors")
    assert "a leaf Variable that requires grad is being used in an in-place operation" in output
    assert "modified by an inplace operation" in output


def test_vector_backward_is_a_vjp():
    namespace, output = run_example("06_vector_backward")
    assert "grad can be implicitly created only for scalar outputs" in output
    expected = namespace["v"].numpy() * 2 ** namespace["doublings"]
    np.testing.assert_allclose(namespace["x"].grad.numpy(), expected, rtol=1e-5)


def test_jacobian_and_hessian_values():
    namespace, _ = run_example("07_jacobian_and_hessian")
    np.testing.assert_allclose(namespace["jac"].numpy(), [[2, 1, 0], [0, 3, 2], [2, 0, 0]])
    np.testing.assert_allclose(namespace["hess"].numpy(), [[6, 1, 0], [1, 12, 0], [0, 0, 18]])


def test_profiler_example_prints_the_table():
    _, output = run_example("08_profiling_a_loop")
    assert "Self CPU time total" in output
    assert "div" in output and "mul" in output and "AddmmBackward0" in output


def test_titles_descriptions_and_directives_are_parsed():
    first = EXAMPLES[0]
    assert isinstance(first, Example)
    assert first.title == "The derivative of sin"
    assert "2·cos(a)" in first.description and "\n" not in first.description
    assert first.inspect == (("b", "a"), ("a", None))
    assert ("model.layer2.weight", None) in EXAMPLES[1].inspect
    assert all(e.title and e.description for e in EXAMPLES)


def test_list_examples_reads_a_given_folder_sorted(tmp_path):
    (tmp_path / "b.py").write_text('"""Second\nMore."""\n', encoding="utf-8")
    (tmp_path / "a.py").write_text(
        '"""First\nAbout it."""\n# workbench: inspect y against x\nx = 1  # a comment\n',
        encoding="utf-8",
    )
    examples = list_examples(tmp_path)
    assert [e.name for e in examples] == ["a", "b"]
    assert examples[0].inspect == (("y", "x"),)
    assert examples[1].inspect == () and examples[1].description == "More."


@pytest.mark.parametrize(
    "directive",
    [
        "# workbench: inspect",
        "# workbench: show x",
        "# workbench: inspect x against",
        "# workbench: inspect 1x",
    ],
)
def test_malformed_directive_names_file_and_line(tmp_path, directive):
    path = tmp_path / "bad.py"
    path.write_text(f'"""Bad\nAn example."""\n\nx = 1\n{directive}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.py:5: malformed directive"):
        parse_example(path)


def test_example_without_a_title_is_an_error(tmp_path):
    path = tmp_path / "untitled.py"
    path.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="untitled.py:1"):
        parse_example(path)


def test_parsing_never_runs_the_example(tmp_path):
    path = tmp_path / "boom.py"
    path.write_text('"""Boom\nNever runs."""\nraise SystemExit("ran")\n', encoding="utf-8")
    assert parse_example(path).title == "Boom"


def test_the_graph_example_has_a_two_layer_loss():
    namespace, output = run_example("09_two_layer_graph")
    loss = namespace["loss"]
    assert loss.grad_fn.name() == "MeanBackward0" and "loss = tensor(" in output
