"""read_csv(keep_text=True): the fields as written, aligned with the frame."""

import numpy as np
import pandas as pd
import pytest

from core.data import read_csv
from core.errors import CSVReadError

EXAMPLE = (
    b"id,zip,x,color,n,flag,big,e\n"
    b"007,02134,0.5,red,3,TRUE,12345678901234567890,1e3\n"
    b"010,90210,1.25,blue,4,FALSE,98765432109876543210,2E-1\n"
)


def assert_aligned(table):
    assert table.text is not None
    assert table.text.shape == table.frame.shape
    assert list(table.text.columns) == list(table.frame.columns)
    pd.testing.assert_index_equal(table.text.index, table.frame.index)


def test_text_keeps_fields_as_written():
    table = read_csv(EXAMPLE, keep_text=True)
    assert_aligned(table)
    assert table.text.iloc[0].tolist() == [
        "007",
        "02134",
        "0.5",
        "red",
        "3",
        "TRUE",
        "12345678901234567890",
        "1e3",
    ]
    assert table.text.loc[1, "e"] == "2E-1"
    # The frame is parsed as before.
    assert table.frame.loc[0, "id"] == 7
    assert table.frame.loc[0, "e"] == 1000.0


def test_text_cells_are_str():
    table = read_csv(EXAMPLE, keep_text=True)
    for column in table.text.columns:
        assert all(isinstance(value, str) for value in table.text[column])


def test_text_off_by_default():
    table = read_csv(EXAMPLE)
    assert table.text is None


def test_frame_same_with_and_without_text():
    plain = read_csv(EXAMPLE)
    with_text = read_csv(EXAMPLE, keep_text=True)
    pd.testing.assert_frame_equal(plain.frame, with_text.frame)
    assert plain.notes == with_text.notes


def test_text_keeps_missing_markers():
    data = b"id,label,score\n1,NA,0.5\n2,b,n/a\n3,null,\n"
    table = read_csv(data, keep_text=True)
    assert_aligned(table)
    assert table.frame["label"].isna().tolist() == [True, False, True]
    assert table.text["label"].tolist() == ["NA", "b", "null"]
    assert table.text.loc[1, "score"] == "n/a"
    # Only the empty field is missing in the text.
    assert table.text["score"].isna().tolist() == [False, False, True]


def test_text_keeps_whitespace_fields():
    table = read_csv(b"a,b\n1,x\n  ,y\n3,z\n", keep_text=True)
    assert np.isnan(table.frame.loc[1, "a"])
    assert table.text.loc[1, "a"] == "  "


def test_text_decimal_comma_file():
    data = b"x;y;label\n0,5;1.234,56;a\n-1,25;999,5;b\n3;12.345,00;a\n"
    table = read_csv(data, keep_text=True)
    assert table.decimal == ","
    assert_aligned(table)
    assert table.frame["x"].tolist() == [0.5, -1.25, 3.0]
    assert table.text["x"].tolist() == ["0,5", "-1,25", "3"]
    assert table.frame["y"].tolist() == [1234.56, 999.5, 12345.0]
    assert table.text["y"].tolist() == ["1.234,56", "999,5", "12.345,00"]


def test_text_quoted_thousands():
    data = b'name,amount\na,"1,234.56"\nb,999.5\nc,"12,345.00"\n'
    table = read_csv(data, keep_text=True)
    assert table.frame["amount"].tolist() == [1234.56, 999.5, 12345.0]
    assert table.text["amount"].tolist() == ["1,234.56", "999.5", "12,345.00"]


def test_text_cp1252_file():
    data = "name,city\nJosé,Köln\nRenée,Zürich\n".encode("cp1252")
    table = read_csv(data, keep_text=True)
    assert table.encoding == "cp1252"
    assert table.text["name"].tolist() == ["José", "Renée"]
    assert table.text["city"].tolist() == ["Köln", "Zürich"]


def test_text_utf8_bom_file():
    table = read_csv(b"\xef\xbb\xbfid,x\n007,1\n008,2\n", keep_text=True)
    assert list(table.text.columns) == ["id", "x"]
    assert table.text["id"].tolist() == ["007", "008"]


def test_text_drops_empty_rows():
    data = b"id,x,label\n007,1,a\n,,\n008,2,b\n\n009,3,a\n"
    table = read_csv(data, keep_text=True)
    assert_aligned(table)
    assert len(table.frame) == 3
    assert table.text["id"].tolist() == ["007", "008", "009"]
    assert table.frame["id"].tolist() == [7, 8, 9]


def test_text_drops_rows_of_markers_only():
    # Markers make the frame's row empty, so the text row goes with it.
    data = b"id,x\n007,1\nNA,null\n008,2\n"
    table = read_csv(data, keep_text=True)
    assert_aligned(table)
    assert table.text["id"].tolist() == ["007", "008"]


def test_empty_row_with_long_integers_dropped():
    # pandas 3.1 gives that row's empty field as "" in a column of integers
    # beyond 64 bits, which must still count as empty.
    data = b"id,big\n007,12345678901234567890\n,\n008,1\n"
    table = read_csv(data, keep_text=True)
    assert len(table.frame) == 2
    assert table.text["big"].tolist() == ["12345678901234567890", "1"]
    assert not any("whitespace" in note for note in table.notes)


def test_text_renamed_empty_header():
    table = read_csv(b"id,,label\n007,x,a\n008,y,b\n", keep_text=True)
    assert list(table.frame.columns) == ["id", "column_2", "label"]
    assert list(table.text.columns) == ["id", "column_2", "label"]
    assert table.text["column_2"].tolist() == ["x", "y"]


def test_text_trailing_delimiters():
    table = read_csv(b"id,x\n007,1,\n008,2,\n", keep_text=True)
    assert list(table.text.columns) == ["id", "x"]
    assert table.text["id"].tolist() == ["007", "008"]


def test_text_headerless_file():
    table = read_csv(b"007,1.5,a\n008,2.5,a\n009,3.5,b\n", keep_text=True)
    assert len(table.frame) == 3
    assert list(table.text.columns) == ["column_1", "column_2", "column_3"]
    assert table.text["column_1"].tolist() == ["007", "008", "009"]


def test_text_from_path(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(EXAMPLE)
    table = read_csv(path, keep_text=True)
    assert table.text.loc[1, "id"] == "010"


@pytest.mark.parametrize("keep_text", [False, True])
def test_text_flag_keeps_errors(keep_text):
    with pytest.raises(CSVReadError, match="column names must be unique"):
        read_csv(b"a,a\n1,2\n3,4\n", keep_text=keep_text)
