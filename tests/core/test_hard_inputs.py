"""Hard and strange inputs, followed from the CSV bytes to predictions.

Each group covers one kind of fault: text encodings, line endings and
delimiters, table shapes, label spellings, files that are not CSV text,
size limits and column contents. Every case checks the value the product
must produce, or the error type and the words of its message.
"""

import io
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.bundle import load_model, model_to_bytes
from core.data import SAMPLE_BYTES, ReadLimits, read_csv
from core.encoding import MAX_ONEHOT_LEVELS, ColumnSpec, FeatureEncoder
from core.errors import (
    CSVReadError,
    EncodingSpecError,
    PredictionError,
    TargetError,
)
from core.pipeline import default_specs, fit_classifier, prepare_data
from core.profiles import profile_columns
from core.target import encode_target, target_candidates
from core.training import TrainConfig

# Kept apart from the case files in data/, which a test compares with
# pandas' defaults; these files are read differently on purpose.
DATA = Path(__file__).resolve().parents[1] / "data" / "hard_inputs"
QUICK = TrainConfig(epochs=3, validation_share=0.25)


def case_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def profiles_by_name(frame: pd.DataFrame) -> dict:
    return {profile.name: profile for profile in profile_columns(frame)}


def train_default(frame: pd.DataFrame, target: str, config: TrainConfig = QUICK):
    specs = default_specs(frame, target, profile_columns(frame))
    prepared = prepare_data(frame, target, specs)
    return prepared, fit_classifier(prepared, config)


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buffer.getvalue()


PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


# Text encodings


def test_utf8_bom_with_crlf():
    table = read_csv(b"\xef\xbb\xbfstadt,preis\r\nK\xc3\xb6ln,1.5\r\nNizza,2\r\n")
    assert table.encoding == "utf-8-sig"
    assert list(table.frame.columns) == ["stadt", "preis"]
    assert table.frame["stadt"].tolist() == ["Köln", "Nizza"]
    assert table.frame["preis"].tolist() == [1.5, 2.0]


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"\x80", "€"),
        (b"\x84", "„"),
        (b"\x8a", "Š"),
        (b"\x93x\x94", "“x”"),
        (b"\x89", "‰"),
        (b"\x9c", "œ"),
    ],
)
def test_cp1252_only_bytes_decode(raw, text):
    # latin-1 would turn each of these bytes into an invisible control
    # character instead.
    table = read_csv(b"note,n\n" + raw + b",1\nplain,2\n")
    assert table.encoding == "cp1252"
    assert table.frame["note"].iloc[0] == text


def test_cp1252_semicolon_decimal_comma():
    content = "Ort;Betrag;Klasse\r\nMünchen;1,5;ja\r\nZürich;2,25;nein\r\n"
    table = read_csv(content.encode("cp1252"))
    assert table.encoding == "cp1252"
    assert table.delimiter == ";"
    assert table.decimal == ","
    assert table.frame["Ort"].tolist() == ["München", "Zürich"]
    assert table.frame["Betrag"].tolist() == [1.5, 2.25]


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("utf-16", "UTF-16 text"),
        ("utf-16-be", "UTF-16 text"),
        ("utf-32", "UTF-32 text"),
    ],
)
def test_utf16_and_utf32_get_message(encoding, named):
    content = "a,b\n1,2\n3,4\n".encode(encoding)
    if encoding == "utf-16-be":
        content = b"\xfe\xff" + content
    with pytest.raises(CSVReadError) as caught:
        read_csv(content, name="export.csv")
    message = str(caught.value)
    assert "export.csv cannot be used" in message
    assert named in message
    assert "CSV UTF-8" in message


def test_utf16_without_bom_names_nul_byte():
    content = "a,b\n1,2\n".encode("utf-16-le")
    with pytest.raises(CSVReadError, match="NUL byte at byte offset 1"):
        read_csv(content)


# Empty files and re-reading


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xef\xbb\xbf", "only blank lines, so it has no header row"),
        (b"\r\n \r\n\r\n", "only blank lines, so it has no header row"),
        (b",,,\n,,,\n", "first line contains only delimiters and spaces"),
        (b"   \n \t \n", "first line contains only delimiters and spaces"),
        (b"a;b;c\r\n", "has columns a, b, c but no data rows"),
        (b"a,b\n,\n , \n", "has columns a, b but no data rows"),
    ],
    ids=["bom-only", "blank-crlf", "delimiters", "whitespace", "header", "blank-rows"],
)
def test_files_without_data(content, message):
    with pytest.raises(CSVReadError, match=message):
        read_csv(content)


def test_blank_fields_are_missing():
    table = read_csv(b"a;b;c\n1,5;x;u\n  ;y;v\n3;\t;w\n")
    frame = table.frame
    assert frame["a"].dtype == np.float64
    assert frame["a"].isna().tolist() == [False, True, False]
    assert frame["b"].isna().tolist() == [False, False, True]
    (note,) = table.notes
    assert "only whitespace" in note
    assert "columns 'a' (1 value), 'b' (1 value)" in note


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_buffer_types_give_same_frame(wrap):
    content = (DATA.parent / "07_reread_buffer.csv").read_bytes()
    expected = read_csv(content).frame
    first = read_csv(wrap(content)).frame
    second = read_csv(wrap(content)).frame
    pd.testing.assert_frame_equal(first, expected)
    pd.testing.assert_frame_equal(second, expected)


# Prediction files that differ from the training file


def test_prediction_file_in_other_format():
    train = read_csv(
        b"plan,device,fee,y\n"
        + b"".join(
            f"{p},{d},{f},{y}\n".encode()
            for p, d, f, y in [
                (1, "mobile", 9.5, "a"),
                (2, "desktop", 20, "b"),
                (3, "mobile", 31, "a"),
                (1, "desktop", 11, "b"),
                (2, "mobile", 19, "a"),
                (3, "desktop", 29.5, "b"),
            ]
            * 3
        )
    ).frame
    specs = [
        ColumnSpec("plan", "onehot"),
        ColumnSpec("device", "onehot"),
        ColumnSpec("fee", "numeric"),
    ]
    model = fit_classifier(prepare_data(train, "y", specs), QUICK)
    # Semicolons, decimal commas, CRLF, reordered columns, an extra column,
    # plan written as 1,0 (a float), spaces around a level, a new spelling.
    new = read_csv(
        b"fee;device;extra;plan\r\n9,5; mobile ;x;1,0\r\n20;Mobile;y;2\r\n"
        b"31;desktop;z;3\r\n"
    ).frame
    result = model.predict(new)
    assert result.n_scored == 2
    (problem,) = result.problems
    assert problem.row == 2
    assert "device='Mobile' was not seen in training" in problem.message
    assert "known: desktop, mobile" in problem.message
    assert result.notes == ["ignored column(s) the model does not use: extra"]
    X = model.encoder.transform(new.iloc[[0]])
    assert X[0, :3].tolist() == [1.0, 0.0, 0.0]


# Line endings and delimiters


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_line_endings_and_delimiters(ending, delimiter):
    rows = [["name", "score", "label"], ["Ann", "1.5", "yes"], ["Bo", "2", "no"]]
    content = ending.join(delimiter.join(row) for row in rows) + ending
    table = read_csv(content.encode())
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == ["name", "score", "label"]
    assert table.frame["score"].tolist() == [1.5, 2.0]
    assert table.frame["label"].tolist() == ["yes", "no"]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_file_without_final_newline(ending):
    content = ending.join(["a,b", "1,x", '2,"y, z"'])
    table = read_csv(content.encode())
    assert table.frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y, z"]}


def test_quoted_delimiters_and_newlines():
    table = read_csv(case_bytes("mixed_case_labels.csv"))
    frame = table.frame
    assert frame.shape == (8, 3)
    assert frame["Kommentar"].iloc[0] == "rot, groß"
    assert frame["Kommentar"].iloc[1] == "blau\nzweizeilig"
    assert frame["Kommentar"].iloc[3] == 'gelb, "klein"'
    assert frame["größe (cm)"].tolist()[:3] == [170, 182, 165]


def test_quoted_crlf_inside_value():
    table = read_csv(b'id,text\r\n1,"a\r\nb"\r\n2,c\r\n')
    assert table.frame["text"].tolist() == ["a\r\nb", "c"]


def test_trailing_delimiter_on_every_line():
    table = read_csv(b"a,b,\n1,x,\n2,y,\n3,z,\n")
    assert list(table.frame.columns) == ["a", "b", "column_3"]
    profile = profiles_by_name(table.frame)["column_3"]
    assert profile.kind == "empty"
    assert profile.suggested_encoding == "drop"


def test_trailing_delimiter_on_data_lines():
    table = read_csv(case_bytes("trailing_semicolon_bom_crlf.csv"))
    frame = table.frame
    assert table.encoding == "utf-8-sig"
    assert table.delimiter == ";"
    assert table.decimal == ","
    assert list(frame.columns) == ["plan", "monthly fee", "discount", "renewed"]
    assert frame["monthly fee"].tolist() == [9.99, 19.5, 29.0, 9.99, 31.5, 18.0]
    assert frame["renewed"].iloc[-1] == "no"
    (note,) = table.notes
    assert "every extra field is empty" in note
    assert "';'" in note


def test_trailing_delimiter_after_sample():
    n_rows = SAMPLE_BYTES // 4 + 10
    content = b"a,b\n" + b"1,x\n" * n_rows + b"2,y,\n3,z,\n"
    table = read_csv(content)
    assert table.frame.shape == (n_rows + 2, 2)
    assert table.frame["b"].iloc[-1] == "z"
    assert any("every extra field is empty" in note for note in table.notes)


def test_extra_value_beside_trailing_delimiters():
    content = b"a,b\n1,x,\n2,y,\n3,z,oops\n4,w,\n"
    with pytest.raises(CSVReadError) as caught:
        read_csv(content)
    message = str(caught.value)
    assert "the header has 2 fields, but line 4 has 3." in message
    assert "line 2" not in message


def test_row_with_more_fields_than_header():
    content = b"age,city,label\n31,Oslo,yes\n40,Rome,Italy,no\n22,Bern,no\n"
    with pytest.raises(CSVReadError) as caught:
        read_csv(content, name="people.csv")
    message = str(caught.value)
    assert message.startswith("people.csv cannot be used:")
    assert "the header has 3 fields, but line 3 has 4" in message
    assert "double quotes" in message


# Header rows


def test_header_of_numbers_is_data():
    table = read_csv(b"1,2,3\n4,5,6\n7,8,9\n")
    assert list(table.frame.columns) == ["column_1", "column_2", "column_3"]
    assert table.frame["column_1"].tolist() == [1, 4, 7]
    (note,) = table.notes
    assert "The first row looks like data" in note
    assert "Add a header row" in note


def test_headerless_file_with_labels():
    table = read_csv(case_bytes("headerless_measurements.csv"))
    frame = table.frame
    assert frame.shape == (9, 5)
    assert frame["column_1"].iloc[0] == 5.1
    assert frame["column_5"].iloc[0] == "setosa"
    assert any("The first row looks like data" in note for note in table.notes)
    _, model = train_default(frame, "column_5")
    assert model.classes_ == ["setosa", "versicolor", "virginica"]


def test_headerless_decimal_comma_file():
    table = read_csv(b"1,5;2,5;ja\n3,5;4;nein\n5;6,25;ja\n")
    assert table.decimal == ","
    assert table.frame["column_1"].tolist() == [1.5, 3.5, 5.0]
    assert table.frame["column_3"].tolist() == ["ja", "nein", "ja"]


@pytest.mark.parametrize(
    "content",
    [b"2019,2020,label\n1,2,yes\n3,4,no\n", b",1,2\n0,5,6\n1,7,8\n"],
    ids=["years-and-name", "unnamed-index"],
)
def test_header_with_names_is_kept(content):
    table = read_csv(content)
    assert table.frame.shape == (2, 3)
    assert not any("looks like data" in note for note in table.notes)


def test_unicode_and_spaced_column_names():
    table = read_csv(case_bytes("mixed_case_labels.csv"))
    specs = [ColumnSpec("größe (cm)", "numeric"), ColumnSpec("Kommentar", "drop")]
    prepared = prepare_data(table.frame, "kauft", specs)
    model = fit_classifier(prepared, QUICK)
    assert model.encoder.feature_names_ == ["größe (cm)"]
    loaded = load_model(model_to_bytes(model))
    result = loaded.predict(table.frame.drop(columns="kauft"))
    assert result.n_scored == 8
    assert set(result.frame["prediction"]) <= {"yes", "no"}


# Table shapes


def test_single_feature_column_trains():
    frame = pd.DataFrame({"x": np.arange(20.0), "y": ["a", "b"] * 10})
    prepared, model = train_default(frame, "y")
    assert model.encoder.feature_names_ == ["x"]
    assert model.predict(frame[["x"]]).n_scored == 20


def test_only_target_column_rejected():
    table = read_csv(b"label\nyes\nno\nyes\nno\n")
    with pytest.raises(EncodingSpecError, match="only the target column 'label'"):
        prepare_data(table.frame, "label", [])


def test_target_as_first_column():
    table = read_csv(b"label,x\nyes,1\nno,2\nyes,3\nno,4\nyes,5\nno,6\n")
    prepared, model = train_default(table.frame, "label")
    assert model.encoder.input_columns_ == ["x"]
    assert model.classes_ == ["no", "yes"]


def test_duplicated_rows_are_kept():
    content = b"x,y\n" + b"1,a\n2,b\n" * 10
    table = read_csv(content)
    assert table.frame.shape == (20, 2)
    prepared, _ = train_default(table.frame, "y")
    assert prepared.n_samples == 20


def test_target_chosen_as_feature_rejected():
    frame = read_csv((DATA.parent / "12_yes_no_target.csv").read_bytes()).frame
    specs = default_specs(frame, "subscribed") + [ColumnSpec("subscribed", "onehot")]
    with pytest.raises(EncodingSpecError, match="'subscribed' is also listed"):
        prepare_data(frame, "subscribed", specs)


def test_column_listed_twice_rejected():
    frame = pd.DataFrame({"x": range(6), "y": ["a", "b"] * 3})
    specs = [ColumnSpec("x", "numeric"), ColumnSpec("x", "onehot")]
    with pytest.raises(EncodingSpecError, match="'x' is listed more than once"):
        prepare_data(frame, "y", specs)


def test_repeated_prediction_column_rejected():
    frame = pd.DataFrame({"x": np.arange(8.0), "y": ["a", "b"] * 4})
    _, model = train_default(frame, "y")
    twice = pd.DataFrame([[1.0, 2.0]], columns=["x", "x"])
    with pytest.raises(PredictionError, match="more than one column named 'x'"):
        model.predict(twice)


# Label spellings


@pytest.mark.parametrize(
    ("values", "classes", "pos_label"),
    [
        (["Yes", "no", "YES", "No", "yes", "no"], ["no", "yes"], "yes"),
        ([" yes", "no ", "yes", "no"], ["no", "yes"], "yes"),
        ([1.0, 0.0, 1.0, 0.0], ["0", "1"], "1"),
        ([-1, 1, 1, -1], ["-1", "1"], "1"),
        (["-1", "1", "1", "-1"], ["-1", "1"], "1"),
        (["positive", "negative", "negative"], ["negative", "positive"], "positive"),
        (["True", "true", "FALSE", "false"], ["false", "true"], "true"),
        (["1.0", "1", "0", "0.0"], ["0", "1"], "1"),
        ([True, False, None, True], ["False", "True"], "True"),
    ],
    ids=[
        "mixed-case",
        "spaces",
        "floats",
        "minus-one",
        "minus-one-text",
        "positive-negative",
        "true-false-case",
        "number-forms",
        "bool-with-missing",
    ],
)
def test_label_spellings_give_two_classes(values, classes, pos_label):
    encoded = encode_target(pd.Series(values, name="t"))
    assert encoded.classes_ == [c for c in classes if c != pos_label] + [pos_label]
    assert encoded.pos_label == pos_label
    assert target_candidates(pd.Series(values))[0] == classes


def test_case_merge_uses_common_spelling():
    encoded = encode_target(pd.Series(["Yes", "yes", "yes", "NO", "no", "No"]))
    assert encoded.classes_ == ["no", "yes"]
    assert encoded.merged == {"no": ["NO", "No"], "yes": ["Yes"]}
    assert encoded.y.tolist() == [1, 1, 1, 0, 0, 0]
    note = encoded.merge_note()
    assert "'NO', 'No' as 'no'" in note
    assert "'Yes' as 'yes'" in note


def test_mixed_case_labels_through_pipeline():
    frame = read_csv(case_bytes("mixed_case_labels.csv")).frame
    prepared, model = train_default(frame, "kauft")
    assert prepared.target.classes_ == ["no", "yes"]
    assert prepared.target.pos_label == "yes"
    assert any("differ only in upper and lower case" in n for n in prepared.notes)
    assert model.classes_ == ["no", "yes"]
    kauft = profiles_by_name(frame)["kauft"]
    assert "differ only in case" in kauft.note


def test_blank_labels_are_missing():
    encoded = encode_target(pd.Series(["a", " ", "b", "", "a"], name="t"))
    assert encoded.classes_ == ["a", "b"]
    assert encoded.missing_rows == [2, 4]
    assert encoded.y.tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    ("values", "pos_label", "expected"),
    [
        (["yes", "no", "Yes"], "YES", "yes"),
        ([0, 1, 1], 1.0, "1"),
        ([0, 1, 1], True, None),
        (["a", "b"], " ", "b"),
        (["a", "b"], float("nan"), "b"),
    ],
    ids=["case", "float-for-int", "bool-is-not-1", "blank-is-default", "nan"],
)
def test_pos_label_spelling(values, pos_label, expected):
    series = pd.Series(values, name="t")
    if expected is None:
        with pytest.raises(TargetError, match="positive class 'True'"):
            encode_target(series, pos_label)
        return
    assert encode_target(series, pos_label).pos_label == expected


def test_minus_one_labels_predict_originals():
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    frame = pd.DataFrame({"x": x, "y": np.where(x > 0, 1, -1)})
    _, model = train_default(frame, "y", TrainConfig(epochs=30, validation_share=0.25))
    assert model.classes_ == ["-1", "1"]
    assert model.pos_label == "1"
    predicted = model.predict(frame[["x"]]).frame["prediction"]
    assert set(predicted) <= {"-1", "1"}


def test_single_class_target_rejected():
    table = read_csv(b"x,y\n1,yes\n2,Yes\n3, yes\n4,YES\n")
    with pytest.raises(TargetError, match=r"only one class \('yes'\) in 4 rows"):
        prepare_data(table.frame, "y", [ColumnSpec("x", "numeric")])


def test_target_with_500_values_rejected():
    content = "x,price\n" + "".join(f"{i},{i % 500}\n" for i in range(1000))
    table = read_csv(content.encode())
    with pytest.raises(TargetError) as caught:
        prepare_data(table.frame, "price", [ColumnSpec("x", "numeric")])
    message = str(caught.value)
    assert "'price' has 500 distinct values (limit 50)" in message
    assert "bin the values" in message


def test_all_missing_target_rejected():
    table = read_csv(b"x,y\n1,\n2,NA\n3,\n")
    with pytest.raises(TargetError, match="'y' has no values"):
        prepare_data(table.frame, "y", [ColumnSpec("x", "numeric")])


# Files that are not CSV text


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (xlsx_bytes(), "Excel workbook (.xlsx)"),
        (PNG_BYTES, "PNG image"),
        (b"<!DOCTYPE html>\n<html><body><table></table></body></html>\n", "HTML"),
        (b'<?xml version="1.0"?>\n<rows><row a="1"/></rows>\n', "XML"),
        (b'[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]\n', "JSON data"),
        (b'{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n', "JSON data"),
    ],
    ids=["xlsx", "png", "html", "xml", "json", "json-lines"],
)
def test_renamed_file_is_not_csv(tmp_path, content, looks_like):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(CSVReadError) as caught:
        read_csv(path)
    message = str(caught.value)
    assert message.startswith("data.csv cannot be used: it looks like")
    assert looks_like in message
    assert "not CSV text" in message


def test_bracketed_header_is_csv():
    table = read_csv(b"[cm] length,label\n3,a\n4,b\n")
    assert list(table.frame.columns) == ["[cm] length", "label"]


# Size limits


def big_csv(path: Path, target_bytes: int) -> int:
    """Write a CSV of at least target_bytes, about 100 bytes per row."""
    rng = np.random.default_rng(0)
    n = 20_000
    block = pd.DataFrame(
        {
            "amount": rng.normal(1000, 300, n).round(4),
            "ratio": rng.random(n).round(6),
            "visits": rng.integers(0, 500, n),
            "score": rng.normal(size=n).round(5),
            "city": rng.choice(["Lisboa", "København", "Zürich", "Kraków"], n),
            "comment": rng.choice(["on time", "late, but complete", "early"], n),
            "weight": rng.normal(70, 12, n).round(3),
            "latitude": rng.uniform(-90, 90, n).round(6),
            "longitude": rng.uniform(-180, 180, n).round(6),
            "segment": rng.choice(["returning customer", "first purchase"], n),
            "bought": rng.choice(["yes", "no"], n),
        }
    )
    body = block.to_csv(index=False, header=False).encode()
    header = ",".join(block.columns).encode() + b"\n"
    repeats = -(-(target_bytes - len(header)) // len(body))
    with open(path, "wb") as handle:
        handle.write(header)
        for _ in range(repeats):
            handle.write(body)
    return repeats * n


@pytest.mark.slow
def test_150_megabyte_file(tmp_path):
    path = tmp_path / "big.csv"
    n_rows = big_csv(path, 150 * 1024 * 1024)
    size = path.stat().st_size
    assert size >= 150 * 1024 * 1024
    started = time.perf_counter()
    table = read_csv(path)
    seconds = time.perf_counter() - started
    assert n_rows < ReadLimits().max_rows
    assert table.frame.shape == (n_rows, 11)
    assert table.n_bytes == size
    assert table.frame["amount"].dtype == np.float64
    assert table.frame["city"].iloc[1] in {"Lisboa", "København", "Zürich", "Kraków"}
    assert table.frame["comment"].str.contains(",").any()
    assert seconds < 60
    profiles = profiles_by_name(table.frame)
    assert profiles["visits"].kind == "numeric"
    assert profiles["bought"].kind == "boolean"
    with pytest.raises(CSVReadError) as caught:
        read_csv(path, ReadLimits(max_bytes=100 * 1024 * 1024))
    message = str(caught.value)
    assert f"big.csv cannot be used: it is {size / 2**20:.1f} MB" in message
    assert "larger than the limit of 100.0 MB" in message


def test_size_limit_checked_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    big_csv(path, 3 * 1024 * 1024)
    with pytest.raises(CSVReadError, match=r"it is 3\.\d MB, larger than the limit"):
        read_csv(path, ReadLimits(max_bytes=1024 * 1024))


# Column contents


def test_mixed_numbers_and_text():
    content = b"dose,y\n" + b"".join(
        f"{v},{'a' if i % 2 else 'b'}\n".encode()
        for i, v in enumerate(["1", "2", "n/k", "4", "5", "?", "7", "8"])
    )
    frame = read_csv(content).frame
    profile = profiles_by_name(frame)["dose"]
    assert profile.kind == "categorical"
    assert "'n/k'" in profile.note
    assert "'?'" in profile.note
    with pytest.raises(EncodingSpecError) as caught:
        prepare_data(frame, "y", [ColumnSpec("dose", "numeric")])
    message = str(caught.value)
    assert "column 'dose' is set to numeric" in message
    assert "'n/k', '?'" in message
    assert "data rows 3, 6" in message
    prepared = prepare_data(frame, "y", [ColumnSpec("dose", "onehot")])
    assert prepared.encoder.n_features == 8


def test_numeric_problems_use_file_rows():
    frame = pd.DataFrame(
        {"x": ["1", "2", "3", "oops", "5", "6"], "y": [None, "a", "b", "a", "b", "a"]}
    )
    with pytest.raises(EncodingSpecError, match=r"'oops' \(data row 4\)"):
        prepare_data(frame, "y", [ColumnSpec("x", "numeric")])


def test_numeric_looking_ids():
    frame = read_csv(case_bytes("ids_inf_dates.csv")).frame
    profiles = profiles_by_name(frame)
    assert frame["customer_id"].dtype == np.int64
    assert profiles["customer_id"].kind == "text"
    assert profiles["customer_id"].suggested_encoding == "drop"
    assert profiles["store_id"].kind == "categorical"
    assert profiles["store_id"].suggested_encoding == "onehot"
    specs = {
        s.name: s.encoding for s in default_specs(frame, "bought", profiles.values())
    }
    assert specs["customer_id"] == "drop"
    assert specs["store_id"] == "onehot"


def test_datetime_column():
    frame = read_csv(case_bytes("ids_inf_dates.csv")).frame
    profile = profiles_by_name(frame)["visit_date"]
    assert profile.kind == "datetime"
    assert profile.suggested_encoding == "drop"
    with pytest.raises(EncodingSpecError, match="'visit_date' is set to numeric"):
        prepare_data(frame, "bought", [ColumnSpec("visit_date", "numeric")])


def test_all_missing_column():
    frame = read_csv(case_bytes("ids_inf_dates.csv")).frame
    profile = profiles_by_name(frame)["coupon"]
    assert profile.kind == "empty"
    assert profile.suggested_encoding == "drop"
    for encoding in ("numeric", "onehot", "ordinal"):
        specs = [ColumnSpec("store_id", "onehot"), ColumnSpec("coupon", encoding)]
        with pytest.raises(EncodingSpecError, match="'coupon' has no values at all"):
            prepare_data(frame, "bought", specs)


def test_default_specs_train_on_hard_file():
    frame = read_csv(case_bytes("ids_inf_dates.csv")).frame
    prepared, model = train_default(frame, "bought")
    assert [c.name for c in model.encoder.columns_] == ["store_id"]
    result = model.predict(frame)
    assert result.n_scored == 30


def test_infinite_values_are_rejected():
    frame = read_csv(case_bytes("ids_inf_dates.csv")).frame
    assert np.isinf(frame["amount"]).sum() == 2
    profile = profiles_by_name(frame)["amount"]
    assert profile.kind == "numeric"
    assert profile.suggested_encoding == "drop"
    assert "Data rows 5, 18 hold inf or -inf" in profile.note
    with pytest.raises(EncodingSpecError) as caught:
        prepare_data(frame, "bought", [ColumnSpec("amount", "numeric")])
    message = str(caught.value)
    assert "column 'amount' has infinite or too large values inf" in message
    assert "data rows 5, 18" in message
    assert "set the column to 'drop'" in message


@pytest.mark.parametrize("text", ["inf", "-inf", "Infinity", "1e300"])
def test_too_large_numbers_rejected(text):
    content = f"x,y\n1,a\n{text},b\n3,a\n4,b\n5,a\n".encode()
    frame = read_csv(content).frame
    with pytest.raises(EncodingSpecError, match=r"infinite or too large .*data row 2"):
        prepare_data(frame, "y", [ColumnSpec("x", "numeric")])
    with pytest.raises(EncodingSpecError, match="'x' has infinite or too large"):
        FeatureEncoder.fit(frame, [ColumnSpec("x", "numeric")])


def test_infinite_value_at_prediction():
    frame = pd.DataFrame({"x": np.arange(12.0), "y": ["a", "b", "c"] * 4})
    _, model = train_default(frame, "y")
    # 1e39 is finite as float64 but beyond float32, the network's type.
    new = read_csv(b"x\n1\ninf\n-inf\n1e39\n2\n").frame
    result = model.predict(new)
    assert result.n_scored == 2
    assert [p.row for p in result.problems] == [2, 3, 4]
    assert "x expects a finite number but has inf" in result.problems[0].message
    assert result.frame["prediction"].isna().tolist() == [
        False,
        True,
        True,
        True,
        False,
    ]
    probabilities = result.frame[[f"probability_{c}" for c in model.classes_]]
    assert np.isfinite(probabilities.iloc[[0, 4]].to_numpy()).all()


def test_ten_thousand_categories_capped():
    # Half the rows repeat one code, so the profile does not call it an ID.
    n = 20_000
    codes = [f"k{i:05d}" for i in range(10_000)] + ["k00001"] * (n - 10_000)
    frame = pd.DataFrame({"code": codes, "y": ["a", "b"] * (n // 2)})
    profile = profiles_by_name(frame)["code"]
    assert profile.n_distinct == 10_000
    assert "keeps the 100 most frequent of its 10,000 categories" in profile.note
    prepared = prepare_data(frame, "y", [ColumnSpec("code", "onehot")])
    assert prepared.encoder.n_features == MAX_ONEHOT_LEVELS + 1
    assert prepared.encoder.feature_names_[-1] == "code_(other)"
    assert any("more than 100 categories" in note for note in prepared.notes)
    encoded = prepared.encoder.encode(frame)
    # One position per row for the one-hot block, not 10,000 dense floats.
    assert encoded.nbytes <= n * 8 + 1024
    X = prepared.encoder.transform(frame.head(3))
    assert X.shape == (3, MAX_ONEHOT_LEVELS + 1)
    assert X.sum(axis=1).tolist() == [1.0, 1.0, 1.0]


def test_unseen_category_goes_to_other():
    n = 400
    codes = [f"k{i:03d}" for i in range(200)] * 2
    frame = pd.DataFrame({"code": codes, "y": ["a", "b"] * (n // 2)})
    prepared = prepare_data(frame, "y", [ColumnSpec("code", "onehot")])
    model = fit_classifier(prepared, TrainConfig(epochs=1, batch_size=128))
    result = model.predict(pd.DataFrame({"code": ["k000", "never-seen"]}))
    assert result.n_scored == 2
    assert result.problems == []
