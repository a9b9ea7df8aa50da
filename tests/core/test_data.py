"""Tests for core.data: reading CSV bytes and profiling columns."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data import (
    NA_MARKERS,
    SAMPLE_BYTES,
    CSVTable,
    ReadLimits,
    read_csv,
)
from core.errors import CSVReadError, ExplorerError
from core.profiles import ColumnProfile, profile_columns, profiles_frame
from core.values import category_strings

DATA = Path(__file__).resolve().parents[1] / "data"


def case_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def profile_of(values: list[object] | pd.Series, name: str = "x") -> ColumnProfile:
    frame = pd.DataFrame({name: values})
    (profile,) = profile_columns(frame)
    return profile


# Hard-input cases


def test_cp1252_export_reads_accents_and_euro():
    table = read_csv(case_bytes("01_cp1252_excel_export.csv"))
    assert table.encoding == "cp1252"
    assert table.frame.shape == (8, 4)
    assert table.frame["city"].iloc[0] == "Montréal"
    assert table.frame["city"].iloc[1] == "Köln"
    assert table.frame["note"].iloc[1] == "5 € off"
    assert table.frame["note"].iloc[0] == "café – large"
    assert table.frame["note"].iloc[2] == "client’s pick"
    assert "Windows-1252" in table.describe()
    assert any("cp1252" in note for note in table.notes)


def test_semicolon_and_decimal_comma_detected():
    table = read_csv(case_bytes("03_semicolon_decimal_comma.csv"))
    frame = table.frame
    assert frame.shape == (8, 4)
    assert list(frame.columns) == ["age", "income", "discount", "bought"]
    assert table.delimiter == ";"
    assert table.decimal == ","
    assert frame["income"].dtype == np.float64
    assert frame["income"].iloc[0] == 41250.5
    assert frame["discount"].iloc[0] == 0.15
    assert frame["bought"].iloc[0] == "ja"
    assert table.describe() == (
        "UTF-8, semicolon-separated, decimal comma, 8 rows x 4 columns"
    )


def test_empty_file_message():
    with pytest.raises(CSVReadError, match=r"file is empty \(0 bytes\)"):
        read_csv(case_bytes("05_empty.csv"))


def test_header_only_file_message():
    with pytest.raises(
        CSVReadError, match="has columns age, income, bought but no data rows"
    ):
        read_csv(case_bytes("05_header_only.csv"), name="05_header_only.csv")


def test_same_bytes_read_twice_give_same_frame():
    content = case_bytes("07_reread_buffer.csv")
    first = read_csv(content)
    second = read_csv(content)
    assert first.frame.shape == (10, 3)
    pd.testing.assert_frame_equal(first.frame, second.frame)
    assert first.describe() == (
        "UTF-8, comma-separated, decimal point, 10 rows x 3 columns"
    )


def test_path_and_bytes_give_same_table():
    path = DATA / "07_reread_buffer.csv"
    from_path = read_csv(path)
    from_str = read_csv(str(path))
    from_bytes = read_csv(path.read_bytes())
    pd.testing.assert_frame_equal(from_path.frame, from_bytes.frame)
    pd.testing.assert_frame_equal(from_str.frame, from_bytes.frame)
    assert from_path.n_bytes == len(path.read_bytes())


def test_na_marker_in_target_gets_note():
    table = read_csv(case_bytes("13_nan_target.csv"))
    churned = table.frame["churned"]
    assert churned.isna().sum() == 2
    assert pd.isna(churned.iloc[6])
    (note,) = table.notes
    assert "'churned'" in note
    assert "'NA'" in note
    assert "keep_default_na" in note


# The 05 files are empty or header-only, so read_csv rejects them.
READABLE_CASES = [
    path for path in sorted(DATA.glob("*.csv")) if not path.name.startswith("05_")
]


@pytest.mark.parametrize("path", READABLE_CASES, ids=lambda p: p.name)
def test_case_files_match_pandas_default(path):
    content = path.read_bytes()
    table = read_csv(content)
    encoding = "cp1252" if table.encoding == "cp1252" else "utf-8"
    expected = pd.read_csv(
        io.BytesIO(content),
        sep=table.delimiter,
        decimal=table.decimal,
        encoding=encoding,
    )
    pd.testing.assert_frame_equal(table.frame, expected)


# Encodings


def test_utf8_bom_is_stripped_and_reported():
    table = read_csv(b"\xef\xbb\xbfname,score\nZo\xc3\xab,1\nAl,2\n")
    assert table.encoding == "utf-8-sig"
    assert list(table.frame.columns) == ["name", "score"]
    assert table.frame["name"].iloc[0] == "Zoë"
    assert table.describe().startswith("UTF-8 with BOM,")


def test_plain_utf8_is_reported():
    table = read_csv("name,score\nZoë,1\nAl,2\n".encode())
    assert table.encoding == "utf-8"
    assert table.notes == []


def test_undecodable_bytes_name_byte_and_fix():
    content = b"a,b\n1,caf\xe9\n2,\x81x\n"
    with pytest.raises(CSVReadError) as caught:
        read_csv(content, name="odd.csv")
    message = str(caught.value)
    assert "odd.csv" in message
    assert "0x81" in message
    assert "byte offset 13" in message
    assert "line 3" in message
    assert "save the file as CSV UTF-8" in message


def test_non_utf8_byte_after_sample_falls_back():
    content = b"a,b\n" + b"1,x\n" * (SAMPLE_BYTES // 4 + 10) + b"2,caf\xe9\n"
    table = read_csv(content)
    assert table.encoding == "cp1252"
    assert table.frame["b"].iloc[-1] == "café"


# Delimiters and decimal marks


@pytest.mark.parametrize(
    ("delimiter", "name"),
    [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")],
)
def test_delimiter_detected(delimiter, name):
    rows = [["city", "price", "label"], ["Oslo", "1.5", "yes"], ["Rome", "2", "no"]]
    content = "\n".join(delimiter.join(row) for row in rows).encode()
    table = read_csv(content)
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == ["city", "price", "label"]
    assert table.frame["price"].tolist() == [1.5, 2.0]
    assert f"{name}-separated" in table.describe()


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_decimal_comma_detected(delimiter):
    content = delimiter.join(["x", "y", "label"]) + "\n"
    content += delimiter.join(["3,25", "10", "a"]) + "\n"
    content += delimiter.join(["-0,5", "12", "b"]) + "\n"
    table = read_csv(content.encode())
    assert table.decimal == ","
    assert table.frame["x"].tolist() == [3.25, -0.5]
    assert table.frame["y"].tolist() == [10, 12]


def test_mixed_decimal_marks_keep_point_with_note():
    table = read_csv(b"a;b;c\n1,5;2.5;x\n2,5;3.5;y\n")
    assert table.decimal == "."
    assert table.frame["b"].tolist() == [2.5, 3.5]
    (note,) = table.notes
    assert "column 'a'" in note
    assert "decimal comma" in note


def test_quoted_delimiter_inside_value_is_kept():
    table = read_csv(b'name,comment\nA,"red, large"\nB,"blue"\n')
    assert table.frame["comment"].tolist() == ["red, large", "blue"]


def test_single_quoted_column_with_semicolon_is_noted():
    table = read_csv(b'"x;y"\n1\n2\n')
    assert list(table.frame.columns) == ["x;y"]
    assert any("';'" in note for note in table.notes)


# Header problems


def test_duplicate_column_names_are_named():
    with pytest.raises(CSVReadError) as caught:
        read_csv(b"age,income,age, income\n1,2,3,4\n5,6,7,8\n")
    message = str(caught.value)
    assert "'age' (columns 1, 3)" in message
    assert "'income' (columns 2, 4)" in message
    assert "Rename" in message


def test_column_names_are_stripped():
    table = read_csv(b" age , income\t\n1,2\n3,4\n")
    assert list(table.frame.columns) == ["age", "income"]


def test_empty_column_name_gets_position_name():
    table = read_csv(b"a,,c\n1,2,3\n4,5,6\n")
    assert list(table.frame.columns) == ["a", "column_2", "c"]
    assert table.frame["column_2"].tolist() == [2, 5]
    assert any("'column_2'" in note for note in table.notes)


def test_trailing_delimiter_column_is_named_and_empty():
    table = read_csv(b"a,b,\n1,2,\n3,4,\n")
    assert list(table.frame.columns) == ["a", "b", "column_3"]
    assert table.frame["column_3"].isna().all()


def test_only_blank_lines_have_no_header():
    with pytest.raises(CSVReadError, match="no header row"):
        read_csv(b"\n\n  \n")


# Row problems


def test_row_with_extra_fields_names_line_and_counts():
    content = b"a,b,c\n1,2,3\n\n4,5,6,7\n8,9,10\n"
    with pytest.raises(CSVReadError) as caught:
        read_csv(content)
    message = str(caught.value)
    assert "the header has 3 fields" in message
    assert "line 4 has 4" in message
    assert "double quotes" in message


def test_first_data_row_with_extra_field_is_rejected():
    # pandas alone would make column a the index and shift every name.
    with pytest.raises(CSVReadError, match="line 2 has 3, line 3 has 3"):
        read_csv(b"a,b\n1,2,3\n4,5,6\n")


def test_extra_fields_after_sample_are_found():
    n_rows = SAMPLE_BYTES // 4 + 10
    content = b"a,b\n" + b"1,x\n" * n_rows + b"2,y,z\n"
    with pytest.raises(CSVReadError, match=f"line {n_rows + 2} has 3"):
        read_csv(content)


def test_many_long_rows_are_counted():
    content = b"a,b\n" + b"1,2,3\n" * 8
    with pytest.raises(CSVReadError, match=r"line 6 has 3 \(and 3 other lines\)"):
        read_csv(content)


def test_long_rows_in_non_utf8_file_are_found():
    content = b"a,b\n" + b"1,x\n" * (SAMPLE_BYTES // 4 + 10) + b"2,caf\xe9,z\n"
    with pytest.raises(CSVReadError, match="has 3"):
        read_csv(content)


def test_blank_lines_are_skipped():
    table = read_csv(b"a,b\n\n1,2\n\n\n3,4\n\n")
    assert table.frame.to_dict("list") == {"a": [1, 3], "b": [2, 4]}


def test_rows_with_only_empty_fields_are_dropped():
    table = read_csv(b"a,b\n1,x\n,\n3,y\n,\n")
    assert table.frame.shape == (2, 2)
    assert table.frame["b"].tolist() == ["x", "y"]
    assert any("2 rows" in note for note in table.notes)


def test_unclosed_quote_is_reported():
    with pytest.raises(CSVReadError, match="double quote"):
        read_csv(b'a,b\n"1,2\n3,4\n')


def test_problems_are_reported_together():
    with pytest.raises(CSVReadError) as caught:
        read_csv(b"a,a\n1,2,3\n4,5\n")
    message = str(caught.value)
    assert "2 reasons" in message
    assert "'a' (columns 1, 2)" in message
    assert "line 2 has 3" in message


# Files that are not CSV text


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (xlsx_bytes(), "Excel workbook (.xlsx)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF document"),
        (b"a,b\n1\x00,2\n", "NUL byte"),
        ("a,b\n1,2\n".encode("utf-16"), "UTF-16 text"),
    ],
    ids=["png", "xlsx", "pdf", "nul", "utf16"],
)
def test_binary_file_is_rejected(content, looks_like):
    with pytest.raises(CSVReadError) as caught:
        read_csv(content, name="upload.csv")
    message = str(caught.value)
    assert looks_like in message
    assert "not CSV text" in message
    assert "CSV UTF-8" in message


# Limits


def test_file_over_byte_limit_names_sizes():
    content = b"a,b\n" + b"1,2\n" * 80_000
    limits = ReadLimits(max_bytes=200 * 1024)
    with pytest.raises(
        CSVReadError, match=r"0\.3 MB, larger than the limit of 0\.2 MB"
    ):
        read_csv(content, limits)


def test_path_over_byte_limit_is_rejected(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 100)
    with pytest.raises(CSVReadError, match="big.csv cannot be used: it is 404 bytes"):
        read_csv(path, ReadLimits(max_bytes=100))


def test_rows_over_limit_are_rejected():
    content = b"a,b\n" + b"1,2\n" * 11
    with pytest.raises(CSVReadError, match="more than 10 data rows"):
        read_csv(content, ReadLimits(max_rows=10))
    assert read_csv(content, ReadLimits(max_rows=11)).frame.shape == (11, 2)


def test_rows_under_minimum_are_rejected():
    with pytest.raises(CSVReadError, match="only 1 data row, but at least 2"):
        read_csv(b"a,b\n1,2\n")
    with pytest.raises(CSVReadError, match="only 3 data rows, but at least 5"):
        read_csv(b"a,b\n1,2\n3,4\n5,6\n", ReadLimits(min_rows=5))


def test_invalid_limits_raise_value_error():
    with pytest.raises(ValueError, match="max_rows"):
        ReadLimits(max_rows=-1)
    with pytest.raises(ValueError, match="min_rows"):
        ReadLimits(max_rows=3, min_rows=5)


def test_missing_path_is_read_error(tmp_path):
    with pytest.raises(CSVReadError, match="Cannot open"):
        read_csv(tmp_path / "absent.csv")


def test_file_object_is_type_error():
    with pytest.raises(TypeError, match="getvalue"):
        read_csv(io.BytesIO(b"a,b\n1,2\n"))  # type: ignore[arg-type]


def test_read_error_is_explorer_error():
    assert issubclass(CSVReadError, ExplorerError)


# Missing-value markers


def test_marker_list_matches_pandas_defaults():
    from pandas._libs.parsers import STR_NA_VALUES

    assert set(NA_MARKERS) == set(STR_NA_VALUES) - {""}


def test_markers_in_number_column_give_pandas_dtype():
    content = b"x,y,label\n1,NA,a\n2,3.5,null\nN/A,4,b\n"
    table = read_csv(content)
    expected = pd.read_csv(io.BytesIO(content))
    pd.testing.assert_frame_equal(table.frame, expected)
    assert table.frame["x"].dtype == np.float64
    (note,) = table.notes
    for column, marker in [("x", "N/A"), ("y", "NA"), ("label", "null")]:
        assert f"column {column!r} {marker!r}" in note


def test_markers_in_boolean_column_give_pandas_values():
    content = b"flag,n\nTrue,1\nNA,2\nFalse,3\n"
    table = read_csv(content)
    pd.testing.assert_frame_equal(table.frame, pd.read_csv(io.BytesIO(content)))


def test_empty_fields_alone_give_no_note():
    table = read_csv(b"a,b\n1,\n,x\n3,y\n")
    assert table.frame["a"].isna().sum() == 1
    assert table.frame["b"].isna().sum() == 1
    assert table.notes == []


def test_table_fields():
    table = read_csv(b"a,b\n1,2\n3,4\n")
    assert isinstance(table, CSVTable)
    assert table.delimiter == ","
    assert table.decimal == "."
    assert table.n_bytes == 12


# Column profiles


def test_numeric_column_profile():
    profile = profile_of([2.5, 10.0, 1.0, np.nan, 2.5])
    assert profile.kind == "numeric"
    assert profile.suggested_encoding == "numeric"
    assert profile.dtype == "float64"
    assert profile.n_missing == 1
    assert profile.n_distinct == 3
    assert profile.examples == ["2.5", "10", "1"]
    # Numbers sort by value, as category strings.
    assert profile.categories == ["1", "2.5", "10"]


def test_categorical_column_profile():
    values = ["north", "south", "east", "north", None, "south"]
    profile = profile_of(values)
    assert profile.kind == "categorical"
    assert profile.suggested_encoding == "onehot"
    assert profile.categories == ["east", "north", "south"]
    assert profile.examples == ["north", "south", "east"]
    assert profile.n_missing == 1
    assert profile.suggested_order is None


def test_categories_are_capped_but_count_is_true():
    values = [f"c{i:02d}" for i in range(60)] * 4
    profile = profile_of(values)
    assert profile.kind == "categorical"
    assert profile.n_distinct == 60
    assert len(profile.categories) == 50
    assert profile.categories[0] == "c00"
    assert "60 columns" in profile.note


def test_categories_match_category_strings():
    series = pd.Series([" red", "blue ", "red", "green"])
    profile = profile_of(series)
    expected = sorted(set(category_strings(series).dropna()))
    assert profile.categories == expected
    assert profile.n_distinct == 3


@pytest.mark.parametrize(
    "values",
    [
        [True, False, True],
        ["yes", "no", "no"],
        ["Y", "N", "Y"],
        [0, 1, 1],
        [0.0, 1.0, np.nan],
        ["TRUE", "false", "TRUE"],
    ],
    ids=["bool", "yes-no", "y-n", "int-0-1", "float-0-1", "true-false"],
)
def test_boolean_column_profile(values):
    profile = profile_of(values)
    assert profile.kind == "boolean"
    assert profile.suggested_encoding == "onehot"
    assert profile.n_distinct == 2


def test_two_other_values_are_categorical():
    profile = profile_of(["ja", "nej", "ja"])
    assert profile.kind == "categorical"


def test_constant_column_profile():
    profile = profile_of(["x", "x", None, "x"])
    assert profile.kind == "constant"
    assert profile.suggested_encoding == "drop"
    assert "'x'" in profile.note


def test_all_missing_column_profile():
    profile = profile_of([np.nan, np.nan, np.nan])
    assert profile.kind == "empty"
    assert profile.suggested_encoding == "drop"
    assert profile.n_missing == 3
    assert profile.n_distinct == 0
    assert profile.categories == []


def test_all_missing_column_from_csv():
    table = read_csv(b"a,empty,c\n1,,x\n2,NA,y\n3,,z\n")
    by_name = {profile.name: profile for profile in profile_columns(table.frame)}
    assert by_name["empty"].kind == "empty"
    assert by_name["empty"].n_missing == 3


def test_running_id_column_is_text():
    profile = profile_of(list(range(1, 101)))
    assert profile.kind == "text"
    assert profile.suggested_encoding == "drop"
    assert "row ID" in profile.note


def test_short_or_unsorted_integer_column_is_numeric():
    assert profile_of(list(range(1, 21))).kind == "numeric"
    assert profile_of([5, 1, 4, 2, 3] * 10).kind == "numeric"


def test_id_strings_are_text():
    profile = profile_of([f"C-{i:04d}" for i in range(200)])
    assert profile.kind == "text"
    assert profile.suggested_encoding == "drop"
    assert "200 distinct values in 200 rows" in profile.note


@pytest.mark.parametrize(
    "values",
    [
        pd.date_range("2024-01-30", periods=40).strftime("%Y-%m-%d").tolist(),
        pd.date_range("2024-01-30", periods=40).strftime("%d/%m/%Y").tolist(),
        pd.date_range("2024-01-30", periods=40, freq="h")
        .strftime("%Y-%m-%d %H:%M:%S")
        .tolist(),
        ["3 March 2024", "14 April 2024", "1 May 2024"],
    ],
    ids=["iso", "day-month-year", "timestamp", "month-name"],
)
def test_datetime_column_profile(values):
    profile = profile_of(values)
    assert profile.kind == "datetime"
    assert profile.suggested_encoding == "drop"


def test_mixed_numbers_and_text_profile():
    values = ["12", "15", "n/k", "20", "unknown", "31", "12"]
    profile = profile_of(values)
    assert profile.kind == "categorical"
    assert profile.suggested_encoding == "onehot"
    assert "'n/k'" in profile.note
    assert "'unknown'" in profile.note


def test_quoted_decimal_commas_get_note():
    table = read_csv(b'price,label\n"1,5",a\n"2,25",b\n"3",a\n')
    (profile, _) = profile_columns(table.frame)
    assert profile.kind == "categorical"
    assert "decimal comma" in profile.note
    assert "'1,5'" in profile.note


def test_letter_grades_are_ordinal_lowest_first():
    profile = profile_of(["B", "A", "F", "C", "D", "A"])
    assert profile.suggested_encoding == "ordinal"
    assert profile.suggested_order == ("F", "D", "C", "B", "A")
    assert profile.kind == "categorical"


def test_letter_grades_with_signs_are_ordered():
    profile = profile_of(["A", "B+", "A-", "B", "C", "A+"])
    assert profile.suggested_order == ("C", "B", "B+", "A-", "A", "A+")


@pytest.mark.parametrize(
    ("values", "order"),
    [
        (["High", "Low", "Medium", "Low"], ("Low", "Medium", "High")),
        (["mid", "high", "low"], ("low", "mid", "high")),
        (["large", "small", "medium"], ("small", "medium", "large")),
        (["agree", "neutral", "disagree"], ("disagree", "neutral", "agree")),
    ],
)
def test_scale_values_are_ordinal(values, order):
    profile = profile_of(values)
    assert profile.suggested_encoding == "ordinal"
    assert profile.suggested_order == order


@pytest.mark.parametrize(
    ("values", "name"),
    [
        (["A", "B", "C", "X", "A"], "grade"),
        (["A", "B", "A", "B", "A"], "grade"),
        (["A", "B", "C", "D", "A"], "section"),
    ],
    ids=["letter-outside-grades", "two-letters", "group-letters"],
)
def test_letters_that_are_not_grades_stay_onehot(values, name):
    profile = profile_of(values, name)
    assert profile.suggested_encoding == "onehot"
    assert profile.suggested_order is None


def test_grade_column_name_makes_letters_ordinal():
    profile = profile_of(["A", "C", "B", "A"], "final_grade")
    assert profile.suggested_order == ("C", "B", "A")


def test_two_scale_values_stay_onehot():
    profile = profile_of(["low", "high", "low"])
    assert profile.suggested_encoding == "onehot"


def test_profiles_of_case_file():
    table = read_csv(case_bytes("09_unseen_train.csv"))
    by_name = {profile.name: profile for profile in profile_columns(table.frame)}
    assert by_name["device"].suggested_encoding == "onehot"
    assert by_name["tier"].suggested_order == ("low", "mid", "high")
    assert by_name["visits"].kind == "numeric"
    assert by_name["converted"].kind == "boolean"


def test_profile_of_duplicate_names_by_position():
    frame = pd.DataFrame([[1, "a"], [2, "b"]], columns=["x", "x"])
    profiles = profile_columns(frame)
    assert [profile.kind for profile in profiles] == ["numeric", "categorical"]


def test_profiles_frame_layout():
    frame = pd.DataFrame({"n": [1.0, 2.0, 3.0], "grade": ["A", "B", "C"]})
    display = profiles_frame(profile_columns(frame))
    assert list(display.columns) == [
        "column",
        "kind",
        "dtype",
        "missing",
        "distinct",
        "examples",
        "suggested",
        "note",
    ]
    assert display["column"].tolist() == ["n", "grade"]
    assert display["examples"].iloc[0] == "1, 2, 3"
    assert display["suggested"].iloc[1] == "ordinal (C < B < A)"
    assert display["distinct"].tolist() == [3, 3]
