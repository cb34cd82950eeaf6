"""The example scripts shipped in assets/examples, read as data (no Qt, never executed here).

An example is a plain Python file that runs top to bottom on our engine (and on PyTorch once its
`import workbench.engine as torch` becomes `import torch`). Its module docstring carries the
gallery text: the first line is the title, the lines after it the description.

Comment lines of the form

    # workbench: inspect NAME [against XNAME]

tell the app what to show after a run: the namespace name NAME in the tensor inspector, plotted
against XNAME when given (a 1-D tensor of the same length). Names are namespace names, dotted for
module parameters (`model.layer2.weight`). Directives are read with `tokenize`, in file order, and
may sit anywhere in the file (by convention right below the docstring). A line starting with
`# workbench:` that does not fit this grammar is an error naming the file and line.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

DIRECTIVE_PREFIX = "# workbench:"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*"
_INSPECT = re.compile(rf"inspect\s+(?P<name>{_NAME})(?:\s+against\s+(?P<x>{_NAME}))?")


@dataclass(frozen=True)
class Example:
    name: str  # the file stem: "01_derivative_of_sin"
    title: str
    description: str
    path: Path
    inspect: tuple[tuple[str, str | None], ...] = ()  # (name, x-axis name or None), in order


def default_folder() -> Path:
    from workbench.assets import asset

    return asset("examples")


def list_examples(folder: Path | str | None = None) -> list[Example]:
    """Every `*.py` in `folder` (default: the shipped examples), sorted by file name.

    Raises ValueError for an example without a docstring title or with a malformed directive.
    """
    folder = default_folder() if folder is None else Path(folder)
    return [parse_example(path) for path in sorted(folder.glob("*.py"))]


def read_example(example: Example) -> str:
    return example.path.read_text(encoding="utf-8")


def parse_example(path: Path | str) -> Example:
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    try:
        module = ast.parse(source, filename=str(path))
    except SyntaxError as error:
        raise ValueError(f"{path}:{error.lineno}: not valid Python: {error.msg}") from error
    docstring = ast.get_docstring(module) or ""
    lines = docstring.strip().splitlines()
    if not lines or not lines[0].strip():
        raise ValueError(
            f"{path}:1: an example starts with a docstring whose first line is its title"
        )
    title = lines[0].strip()
    description = " ".join(line.strip() for line in lines[1:] if line.strip())
    return Example(
        name=path.stem,
        title=title,
        description=description,
        path=path,
        inspect=parse_directives(source, path),
    )


def parse_directives(
    source: str, path: Path | str = "<string>"
) -> tuple[tuple[str, str | None], ...]:
    """The `# workbench: inspect NAME [against XNAME]` directives of `source`, in order."""
    found: list[tuple[str, str | None]] = []
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        if token.type != tokenize.COMMENT or not token.string.startswith(DIRECTIVE_PREFIX):
            continue
        body = token.string[len(DIRECTIVE_PREFIX) :].strip()
        match = _INSPECT.fullmatch(body)
        if match is None:
            raise ValueError(
                f"{path}:{token.start[0]}: malformed directive {token.string!r}; "
                "expected '# workbench: inspect NAME [against XNAME]'"
            )
        found.append((match["name"], match["x"]))
    return tuple(found)
