"""Reading a CSV file into a `Dataset`: numeric feature columns and one target column.

Errors name the line (as a text editor counts them) and the column (1-based, with its header
name when there is a header), because the person fixing the file has it open in an editor.
"""

from __future__ import annotations

import csv
import io
import math
import os

import numpy as np

from .datasets import Dataset, split

__all__ = ["load_csv", "CSVImportError"]

_DELIMITERS = (",", ";", "\t", "|")
_MISSING = {"na", "n/a", "nan", "null", "none", "?", "-"}
_MAX_AUTO_CLASSES = 20  # an integer target with at most this many values reads as classes


class CSVImportError(ValueError):
    """A file that cannot be read as a dataset; `line` and `column` (1-based) locate the
    problem where there is one place to point at."""

    def __init__(self, message, line=None, column=None):
        super().__init__(message)
        self.line = line
        self.column = column


def _delimiter_name(d):
    return {"\t": "tab", " ": "space"}.get(d, repr(d))


def _parses(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _sniff(lines):
    """The delimiter that splits every sampled line into the same number (> 1) of fields;
    among several, the one that leaves the most numeric cells."""
    best, best_score = None, -1
    for d in _DELIMITERS:
        rows = list(csv.reader(lines, delimiter=d))
        widths = {len(r) for r in rows}
        if len(widths) != 1 or widths.pop() < 2:
            continue
        score = sum(_parses(cell) for r in rows for cell in r)
        if score > best_score:
            best, best_score = d, score
    return best or ","


class _Table:
    """The rows of a file with the line number each starts on, blank lines left out."""

    def __init__(self, text, delimiter):
        self.rows, self.lines = [], []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        start = 1
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    self.rows.append([cell.strip() for cell in row])
                    self.lines.append(start)
                start = reader.line_num + 1
        except csv.Error as e:
            raise CSVImportError(f"line {reader.line_num}: {e}", line=reader.line_num) from None


def _has_header(first, second):
    """A header when some column holds text in the first row and a number in the second."""
    return any(not _parses(a) and _parses(b) for a, b in zip(first, second))


def _where(line, col, names):
    name = f" ({names[col]!r})" if names else ""
    return f"line {line}, column {col + 1}{name}"


def _number(text, line, col, names):
    if text == "":
        raise CSVImportError(f"{_where(line, col, names)}: empty value", line, col + 1)
    if text.lower() in _MISSING:
        raise CSVImportError(f"{_where(line, col, names)}: missing value {text!r}", line, col + 1)
    try:
        value = float(text)
    except ValueError:
        raise CSVImportError(
            f"{_where(line, col, names)}: {text!r} is not a number", line, col + 1
        ) from None
    if not math.isfinite(value):
        raise CSVImportError(
            f"{_where(line, col, names)}: {text!r} is not a finite number", line, col + 1
        )
    return value


def _target_index(target, names, width):
    if isinstance(target, str):
        if names is None:
            raise CSVImportError(
                f"the file has no header row, so target {target!r} can't be found by name; "
                f"pass the column's index (0 to {width - 1})"
            )
        if target not in names:
            raise CSVImportError(
                f"unknown target column {target!r}; the columns are: {', '.join(names)}"
            )
        return names.index(target)
    if isinstance(target, bool) or not isinstance(target, int):
        raise CSVImportError(f"target must be a column name or index, got {target!r}")
    if not -width <= target < width:
        raise CSVImportError(
            f"target column {target} is out of range: the file has {width} columns"
        )
    return target % width


def load_csv(
    path,
    target: str | int = -1,
    task: str = "auto",
    delimiter: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    header: bool | None = None,
) -> Dataset:
    """Read a CSV file into a Dataset.

    - `target`: the target column, by header name or by 0-based index (negative counts from
      the end; the default is the last column). Every other column is a numeric feature.
    - `task`: "classification" maps the target's labels (numbers or text) to class indices in
      sorted order and keeps the labels as `class_names`; "regression" reads it as numbers;
      "auto" picks classification for text labels or for integers with at most 20 distinct
      values, regression otherwise.
    - `delimiter`: None sniffs one of `,` `;` tab `|` from the first lines.
    - `header`: None detects a header row (text above numbers in some column).
    """
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise CSVImportError(f"not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    if not text.strip():
        raise CSVImportError("the file is empty")

    sample = [line for line in text.splitlines() if line.strip()][:20]
    used = delimiter or _sniff(sample)
    table = _Table(text, used)
    rows, lines = table.rows, table.lines
    if all(len(r) == 1 for r in rows):
        for d in _DELIMITERS:
            if d != used and d in sample[0]:
                raise CSVImportError(
                    f"every row has one column, but line {lines[0]} holds {_delimiter_name(d)}: "
                    f"looks like {d!r}-separated; pass delimiter={d!r}",
                    line=lines[0],
                )

    if header is None:
        header = len(rows) >= 2 and _has_header(rows[0], rows[1])
    names = rows[0] if header else None
    data, data_lines = (rows[1:], lines[1:]) if header else (rows, lines)
    if len(data) < 2:
        raise CSVImportError(f"needs at least 2 data rows, found {len(data)}")
    width = len(rows[0])
    for row, line in zip(data, data_lines):
        if len(row) != width:
            raise CSVImportError(
                f"line {line}: {len(row)} columns where line {lines[0]} has {width}", line=line
            )
    if width < 2:
        raise CSVImportError("needs at least 2 columns: one feature and the target")
    t = _target_index(target, names, width)
    features = [c for c in range(width) if c != t]
    x = np.array(
        [[_number(row[c], line, c, names) for c in features] for row, line in zip(data, data_lines)]
    )
    labels = [row[t] for row in data]
    for label, line in zip(labels, data_lines):
        if label == "" or label.lower() in _MISSING:
            _number(label, line, t, names)  # raises the missing-value error
    numeric = all(_parses(v) for v in labels)
    if task == "auto":
        task = _guess_task(labels, numeric)

    target_name = names[t] if names else f"column {t + 1}"
    feature_names = [names[c] if names else f"column {c + 1}" for c in features]
    extra = {}
    if task == "classification":
        keys = [float(v) for v in labels] if numeric else labels
        classes = sorted(set(keys))
        if len(classes) < 2:
            raise CSVImportError(f"target column {target_name!r} holds a single class")
        index = {k: i for i, k in enumerate(classes)}
        y = np.array([index[k] for k in keys], dtype=np.int64)
        first = {}
        for k, v in zip(keys, labels):
            first.setdefault(k, v)
        extra = {"n_classes": len(classes), "class_names": [first[k] for k in classes]}
    else:
        y = np.array([[_number(v, line, t, names)] for v, line in zip(labels, data_lines)]).astype(
            np.float32
        )
        extra = {"n_classes": None}

    rng = np.random.default_rng(seed)
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    x_train, y_train, x_test, y_test = split(rng, x.astype(np.float32), y, test_fraction)
    name = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    return Dataset(
        name=name,
        task=task,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        input_shape=(len(features),),
        feature_names=feature_names,
        description=f"{os.path.basename(os.fspath(path))}: {len(data)} rows, "
        f"{len(features)} features, target {target_name!r} ({task})",
        target_names=[target_name],
        params={
            "path": os.fspath(path),
            "target": target,
            "task": task,
            "delimiter": used,
            "test_fraction": test_fraction,
            "seed": seed,
        },
        **extra,
    )


def _guess_task(labels, numeric):
    if not numeric:
        return "classification"
    values = [float(v) for v in labels]
    if all(v.is_integer() for v in values) and len(set(values)) <= _MAX_AUTO_CLASSES:
        return "classification"
    return "regression"
