"""CSV import: features and target, header and delimiter detection, and every error's line and
column."""

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.training import CSVImportError, load_csv

IRIS = """sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
4.9,3.0,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.4,3.2,4.5,1.5,versicolor
6.3,3.3,6.0,2.5,virginica
5.8,2.7,5.1,1.9,virginica
"""


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(ds):
    """All rows, train and test, sorted, as (features..., target) tuples."""
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test]).reshape(len(x), -1)
    return sorted(map(tuple, np.concatenate([x, y], axis=1).tolist()))


def test_header_numeric_features_and_text_labels(tmp_path):
    ds = load_csv(write(tmp_path, IRIS, "iris.csv"), target="species", test_fraction=0.0)
    assert ds.name == "iris" and ds.task == "classification"
    assert ds.feature_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert ds.class_names == ["setosa", "versicolor", "virginica"] and ds.n_classes == 3
    assert ds.input_shape == (4,) and ds.x_train.dtype == np.float32
    assert ds.y_train.dtype == np.int64
    assert rows_of(ds)[0] == pytest.approx((4.9, 3.0, 1.4, 0.2, 0))
    assert rows_of(ds)[-1] == pytest.approx((7.0, 3.2, 4.7, 1.4, 1))
    assert ds.target_names == ["species"] and ds.params["delimiter"] == ","


def test_target_by_index_and_regression(tmp_path):
    numeric = "\n".join(line.rpartition(",")[0] for line in IRIS.splitlines()) + "\n"
    path = write(tmp_path, numeric)
    by_name = load_csv(path, target="petal_width", task="regression", test_fraction=0.0)
    by_index = load_csv(path, target=3, task="regression", test_fraction=0.0)
    assert by_name.task == "regression" and by_name.y_train.shape == (6, 1)
    assert by_name.y_train.dtype == np.float32
    np.testing.assert_array_equal(by_name.y_train, by_index.y_train)
    assert by_name.feature_names == ["sepal_length", "sepal_width", "petal_length"]
    # a text column is no feature: it is refused as one
    with pytest.raises(CSVImportError, match="column 5 \\('species'\\): 'setosa' is not a number"):
        load_csv(write(tmp_path, IRIS), target=0)


def test_default_target_is_the_last_column(tmp_path):
    ds = load_csv(write(tmp_path, IRIS))
    assert ds.target_names == ["species"]


def test_no_header_integer_target_reads_as_classes(tmp_path):
    text = "".join(f"{i * 0.5},{i % 3 * 1.5},{i % 2}\n" for i in range(10))
    ds = load_csv(write(tmp_path, text), target=-1, test_fraction=0.2, seed=1)
    assert ds.task == "classification" and ds.n_classes == 2
    assert ds.class_names == ["0", "1"]
    assert ds.feature_names == ["column 1", "column 2"] and ds.target_names == ["column 3"]
    assert ds.n_train == 8 and ds.n_test == 2


def test_auto_picks_regression_for_fractional_targets(tmp_path):
    text = "x,y\n" + "".join(f"{i},{i * 0.37:.3f}\n" for i in range(30))
    ds = load_csv(write(tmp_path, text), target="y")
    assert ds.task == "regression" and ds.n_classes is None


def test_numeric_class_labels_sort_by_value(tmp_path):
    text = "a,label\n1,10\n2,9\n3,10\n4,-1\n"
    ds = load_csv(write(tmp_path, text), target="label", task="classification", test_fraction=0)
    assert ds.class_names == ["-1", "9", "10"]
    assert dict(rows_of(ds)[i][:2] for i in range(4)) == {1.0: 2, 2.0: 1, 3.0: 2, 4.0: 0}


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_sniffed(tmp_path, delimiter):
    text = IRIS.replace(",", delimiter)
    ds = load_csv(write(tmp_path, text), target="species", test_fraction=0.0)
    assert ds.n_train == 6 and ds.params["delimiter"] == delimiter
    explicit = load_csv(write(tmp_path, text), target="species", delimiter=delimiter)
    assert explicit.n_train + explicit.n_test == 6


def test_decimal_commas_with_semicolons_pick_semicolons(tmp_path):
    text = "a;b;c\n1,5;2,0;0\n2,5;1,0;1\n3,0;0,5;1\n"
    with pytest.raises(CSVImportError, match="'1,5' is not a number"):
        load_csv(write(tmp_path, text))  # sniffed ';', and decimal commas are not numbers
    assert load_csv(write(tmp_path, "a;b;c\n1.5;2;0\n2.5;1;1\n")).params["delimiter"] == ";"


def test_quotes_blank_lines_and_a_bom(tmp_path):
    text = '\ufeff"x, the first",y,label\n\n1,2,"a, b"\n\n3,4,c\n5,6,c\n'
    ds = load_csv(write(tmp_path, text), test_fraction=0.0)
    assert ds.feature_names == ["x, the first", "y"]
    assert ds.class_names == ["a, b", "c"]


def test_header_can_be_forced(tmp_path):
    text = "1,2,0\n3,4,1\n5,6,0\n"
    forced = load_csv(write(tmp_path, text), header=True, test_fraction=0)
    assert forced.n_train == 2 and forced.feature_names == ["1", "2"]
    detected = load_csv(write(tmp_path, text), test_fraction=0)
    assert detected.n_train == 3 and detected.feature_names == ["column 1", "column 2"]


def test_split_is_deterministic_by_seed(tmp_path):
    text = "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(40))
    path = write(tmp_path, text)
    a, b, c = load_csv(path, seed=5), load_csv(path, seed=5), load_csv(path, seed=6)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert a.n_test == 8


# ----- errors -------------------------------------------------------------------------------


def error_for(tmp_path, text, **kwargs):
    with pytest.raises(CSVImportError) as info:
        load_csv(write(tmp_path, text), **kwargs)
    return info.value


def test_an_empty_value_names_line_and_column(tmp_path):
    lines = IRIS.splitlines()
    lines[6] = "5.8,2.7,5.1,,virginica"  # line 7 of the file
    e = error_for(tmp_path, "\n".join(lines) + "\n", target="species")
    assert str(e) == "line 7, column 4 ('petal_width'): empty value"
    assert isinstance(e, ValueError) and (e.line, e.column) == (7, 4)


def test_text_in_a_numeric_column_names_line_and_column(tmp_path):
    rows = ["x1,x2,x3,y"] + [f"{i},{i},{i},{i % 2}" for i in range(20)]
    rows[11] = "1,2,abc,0"  # line 12
    rows[0] = "x1,x3,x2,y"
    e = error_for(tmp_path, "\n".join(rows) + "\n", target="y")
    assert str(e) == "line 12, column 3 ('x2'): 'abc' is not a number"
    assert (e.line, e.column) == (12, 3)


def test_without_a_header_the_column_is_its_number(tmp_path):
    e = error_for(tmp_path, "1,2,0\n3,x,1\n5,6,1\n")
    assert str(e) == "line 2, column 2: 'x' is not a number"


def test_line_numbers_count_blank_lines_and_multiline_quotes(tmp_path):
    text = 'a,b,label\n1,2,"two\nlines"\n\n3,4,c\n5,,c\n'
    e = error_for(tmp_path, text)
    assert e.line == 6 and "column 2 ('b'): empty value" in str(e)


@pytest.mark.parametrize("value", ["NA", "nan", "null", "?"])
def test_missing_value_markers_are_named(tmp_path, value):
    e = error_for(tmp_path, f"a,b,y\n1,2,0\n3,{value},1\n")
    assert str(e) == f"line 3, column 2 ('b'): missing value '{value}'"


def test_an_infinite_value_is_refused(tmp_path):
    e = error_for(tmp_path, "a,y\n1,0\ninf,1\n2,1\n")
    assert str(e) == "line 3, column 1 ('a'): 'inf' is not a finite number"


def test_a_missing_target_is_named(tmp_path):
    e = error_for(tmp_path, "a,y\n1,0\n2,\n3,1\n", target="y")
    assert str(e) == "line 3, column 2 ('y'): empty value"


def test_a_single_data_row_is_not_enough(tmp_path):
    e = error_for(tmp_path, "a,b,y\n1,2,0\n")
    assert "needs at least 2 data rows, found 1" in str(e)
    e = error_for(tmp_path, "1,2,0\n")
    assert "needs at least 2 data rows" in str(e)


@pytest.mark.parametrize(("delimiter", "name"), [(";", "';'"), ("\t", "tab")])
def test_the_wrong_delimiter_gets_a_hint(tmp_path, delimiter, name):
    text = IRIS.replace(",", delimiter)
    e = error_for(tmp_path, text, delimiter=",")
    assert f"looks like {delimiter!r}-separated; pass delimiter={delimiter!r}" in str(e)
    assert f"line 1 holds {name}" in str(e)


def test_ragged_rows_are_named(tmp_path):
    e = error_for(tmp_path, "a,b,y\n1,2,0\n3,4\n5,6,1\n")
    assert str(e) == "line 3: 2 columns where line 1 has 3" and e.line == 3


def test_target_column_errors(tmp_path):
    e = error_for(tmp_path, IRIS, target="kind")
    assert "unknown target column 'kind'; the columns are: sepal_length, " in str(e)
    e = error_for(tmp_path, "1,2,0\n3,4,1\n", target="y")
    assert "no header row" in str(e) and "(0 to 2)" in str(e)
    e = error_for(tmp_path, IRIS, target=5)
    assert "target column 5 is out of range: the file has 5 columns" in str(e)


def test_other_bad_files(tmp_path):
    assert "the file is empty" in str(error_for(tmp_path, "\n \n"))
    assert "holds a single class" in str(error_for(tmp_path, "a,y\n1,x\n2,x\n"))
    assert "at least 2 columns" in str(error_for(tmp_path, "1\n2\n3\n"))
    (tmp_path / "bin.csv").write_bytes(b"a,b\n\xff\xfe,1\n")
    with pytest.raises(CSVImportError, match="not a UTF-8 text file"):
        load_csv(tmp_path / "bin.csv")
    with pytest.raises(ValueError, match="task must be"):
        load_csv(write(tmp_path, IRIS), task="clustering")


# ----- property: what csv.writer writes, load_csv reads back -----------------------------------

_VALUES = st.floats(-1e6, 1e6, allow_nan=False, width=32)


@given(
    st.integers(2, 5).flatmap(
        lambda k: st.lists(st.lists(_VALUES, min_size=k, max_size=k), min_size=2, max_size=12)
    ),
    st.sampled_from([",", ";", "\t", "|"]),
    st.booleans(),
)
def test_written_tables_read_back(rows, delimiter, with_header):
    width = len(rows[0])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    if with_header:
        writer.writerow([f"c{i}" for i in range(width)])
    writer.writerows([[repr(v) for v in row] for row in rows])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_text(out.getvalue())
        ds = load_csv(path, target=-1, task="regression", test_fraction=0.0)
    assert ds.params["delimiter"] == delimiter
    assert ds.feature_names == (
        [f"c{i}" for i in range(width - 1)]
        if with_header
        else [f"column {i + 1}" for i in range(width - 1)]
    )
    expected = sorted(map(tuple, np.array(rows, dtype=np.float32).tolist()))
    assert rows_of(ds) == expected
