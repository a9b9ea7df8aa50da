"""Tests for writing CSV files that spreadsheets open without running formulas."""

import io

import numpy as np
import pandas as pd
import pytest

from core.spreadsheet import escape_formulas, is_formula_text, to_safe_csv


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        '=HYPERLINK("http://127.0.0.1/x","click")',
        "=cmd|' /C calc'!A0",
        "+SUM(A1:A2)",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "\0=1+1",
        "-",
        "+",
        "-inf",
        "-1 +2",
        "-1,2)",
    ],
)
def test_formula_text_detected(value):
    assert is_formula_text(value)


@pytest.mark.parametrize(
    "value",
    [
        "-3.5",
        "+1e6",
        "-0,5",
        "-.25",
        "-1.234,56",
        "-1,234.5",
        "-12 500",
        "-1\u202f234,5",
        "-1'234.5",
        "abc",
        "",
        "a=b",
        "email@example.org",
        3,
        None,
    ],
)
def test_plain_values_not_formulas(value):
    assert not is_formula_text(value)


def test_escape_changes_only_formula_text():
    frame = pd.DataFrame(
        {
            "name": ["=1+1", "Ann", None, "-4", "@x"],
            "score": [-1.0, 2.0, np.nan, -4.0, 0.5],
            "flag": [True, False, True, False, True],
        }
    )
    original = frame.copy()
    escaped, n_escaped, columns = escape_formulas(frame)
    assert n_escaped == 2
    assert columns == ("name",)
    assert escaped["name"].tolist()[:2] == ["'=1+1", "Ann"]
    assert pd.isna(escaped["name"].iloc[2])
    assert escaped["name"].tolist()[3:] == ["-4", "'@x"]
    pd.testing.assert_series_equal(escaped["score"], frame["score"])
    pd.testing.assert_series_equal(escaped["flag"], frame["flag"])
    pd.testing.assert_frame_equal(frame, original)


def test_escape_returns_same_frame_when_clean():
    frame = pd.DataFrame({"a": ["x", "y"], "b": [-1, 2]})
    escaped, n_escaped, columns = escape_formulas(frame)
    assert escaped is frame
    assert n_escaped == 0
    assert columns == ()


def test_safe_csv_reads_back_as_text():
    frame = pd.DataFrame(
        {
            "comment": ["=cmd|' /C calc'!A0", "fine", "+1+2"],
            "amount": [-5.5, 1.0, 2.0],
            "prediction": ["yes", "no", "yes"],
        }
    )
    safe = to_safe_csv(frame)
    back = pd.read_csv(io.BytesIO(safe.data))
    assert back["comment"].tolist() == ["'=cmd|' /C calc'!A0", "fine", "'+1+2"]
    assert back["amount"].tolist() == [-5.5, 1.0, 2.0]
    assert back["prediction"].tolist() == ["yes", "no", "yes"]
    assert safe.n_escaped == 2
    assert safe.columns == ("comment",)


def test_safe_csv_escapes_column_names():
    frame = pd.DataFrame({"=evil()": ["a"], "ok": [1]})
    safe = to_safe_csv(frame)
    header = safe.data.decode("utf-8").splitlines()[0]
    assert header == "'=evil(),ok"
    assert safe.n_names_escaped == 1
    assert list(frame.columns) == ["=evil()", "ok"]


def test_safe_csv_note_names_columns():
    frame = pd.DataFrame({"city": ["=1", "@2", "Oslo"], "=h": [1, 2, 3]})
    note = to_safe_csv(frame).note()
    assert note is not None
    assert "2 text cells in 'city'" in note
    assert "1 column name" in note
    assert "'" in note


def test_safe_csv_note_none_when_clean():
    frame = pd.DataFrame({"city": ["Oslo", "Rome"]})
    assert to_safe_csv(frame).note() is None


def test_safe_csv_matches_pandas_when_clean():
    frame = pd.DataFrame({"x": [1.5, -2.0], "label": ["a", "b"]})
    assert to_safe_csv(frame).data == frame.to_csv(index=False).encode("utf-8")
