"""The fast paths of core.data.read_csv give what the plain ways give.

A path is parsed from disk after sniffing its first 64 KB instead of being
loaded into memory first, and missing markers are found from each text
column's distinct values instead of per value. These tests compare the
results with bytes in memory and with plain pandas.read_csv.
"""

import csv
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.csv_numbers import _parse_numbers
from core.data import SAMPLE_BYTES, ReadLimits, read_csv
from core.errors import CSVReadError

DATA = Path(__file__).resolve().parents[1] / "data"
CASE_FILES = sorted(DATA.glob("*.csv")) + sorted(DATA.glob("hard_inputs/*.csv"))


def plain_read(data: bytes, delimiter: str, decimal: str) -> pd.DataFrame:
    """Read with pandas' default missing markers plus the blank fields."""
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    blanks = sorted({f for row in reader for f in row if f and not f.strip()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            decimal=decimal,
            na_values=blanks,
            encoding="utf-8-sig",
        )
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame


def tricky_csv(n_rows: int, seed: int = 0) -> bytes:
    """Markers in number, boolean and text columns, and blank fields."""
    rng = np.random.default_rng(seed)
    measure = np.round(rng.normal(10, 3, n_rows), 2).astype(str).astype(object)
    measure[rng.random(n_rows) < 0.05] = "NA"
    measure[rng.random(n_rows) < 0.05] = ""
    measure[rng.random(n_rows) < 0.02] = "  "
    count = rng.integers(0, 100, n_rows).astype(str).astype(object)
    count[rng.random(n_rows) < 0.03] = "null"
    flag = rng.choice(["True", "False", "N/A"], n_rows)
    plan = rng.choice(["basic", "pro", "NULL", " ", "\t", "", "n/a"], n_rows)
    note = rng.choice(["ok", "late", "called twice", "nan", "None"], n_rows)
    clean = rng.choice(["north", "south"], n_rows)
    lines = ["measure,count,flag,plan,note,clean"]
    for row in zip(measure, count, flag, plan, note, clean, strict=True):
        lines.append(",".join(row))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda path: path.name)
def test_path_equals_bytes_case_files(path):
    data = path.read_bytes()
    try:
        from_bytes = read_csv(data, name=path.name)
    except CSVReadError as error:
        with pytest.raises(CSVReadError) as raised:
            read_csv(path)
        assert str(raised.value) == str(error)
        return
    from_path = read_csv(path)
    pd.testing.assert_frame_equal(from_path.frame, from_bytes.frame)
    assert from_path.notes == from_bytes.notes
    assert from_path.encoding == from_bytes.encoding
    assert from_path.n_bytes == from_bytes.n_bytes == len(data)


@pytest.mark.parametrize(
    "late_bytes",
    [
        b"x,caf\xe9,1\n",  # cp1252 after the sample
        b"x,1,2,3,4\n",  # a long record after the sample
        b"x,,\n,,\n",  # a row of empty fields after the sample
    ],
    ids=["cp1252", "long-record", "empty-row"],
)
def test_path_equals_bytes_after_sample(tmp_path, late_bytes):
    head = b"name,text,n\n" + b"a,plain,1\n" * (SAMPLE_BYTES // 10 + 10)
    data = head + late_bytes + b"b,end,2\n"
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    try:
        from_bytes = read_csv(data, name="late.csv")
    except CSVReadError as error:
        with pytest.raises(CSVReadError) as raised:
            read_csv(path)
        assert str(raised.value) == str(error)
        return
    from_path = read_csv(path)
    pd.testing.assert_frame_equal(from_path.frame, from_bytes.frame)
    assert from_path.notes == from_bytes.notes
    assert from_path.encoding == from_bytes.encoding


def test_path_cp1252_after_sample_read(tmp_path):
    data = b"name,text\n" + b"a,plain\n" * (SAMPLE_BYTES // 8 + 10) + b"b,caf\xe9\n"
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    table = read_csv(path)
    assert table.encoding == "cp1252"
    assert table.frame["text"].iloc[-1] == "café"


def test_path_long_record_after_sample(tmp_path):
    data = b"a,b\n" + b"1,2\n" * (SAMPLE_BYTES // 4 + 10) + b"3,4,5\n"
    path = tmp_path / "long.csv"
    path.write_bytes(data)
    line = data.count(b"\n")
    with pytest.raises(CSVReadError, match=f"line {line} has 3"):
        read_csv(path)


@pytest.mark.parametrize("n_rows", [50, 5000])
def test_markers_equal_plain_pandas(n_rows):
    data = tricky_csv(n_rows)
    table = read_csv(data)
    expected = plain_read(data, table.delimiter, table.decimal)
    pd.testing.assert_frame_equal(table.frame, expected)


def test_markers_notes_name_columns():
    data = tricky_csv(5000)
    notes = " ".join(read_csv(data).notes)
    for column in ("measure", "count", "flag", "plan", "note"):
        assert f"column {column!r}" in notes
    assert "'clean'" not in notes
    assert "'  '" not in notes


def test_markers_counts_match_values():
    data = tricky_csv(5000)
    raw = pd.read_csv(io.BytesIO(data), keep_default_na=False, dtype=str)
    n_null = int((raw["count"] == "null").sum())
    n_blank = int(raw["plan"].isin([" ", "\t"]).sum())
    notes = " ".join(read_csv(data).notes)
    assert f"column 'count' 'null' ({n_null:,} values)" in notes
    assert f"'plan' ({n_blank:,} values)" in notes


def test_markers_type_change_after_chunks():
    # With 2 columns pandas' C engine (low_memory=True) parses 262,144 rows
    # per chunk, so this column is integers in the first chunk and text
    # with a marker in the second.
    n_rows = 300_000
    codes = np.arange(n_rows).astype(str).astype(object)
    codes[-5:] = ["x1", "NA", " ", "x2", "7"]
    values = np.where(np.arange(n_rows) % 7 == 0, "NA", "1.5")
    lines = ["code,value"] + [f"{c},{v}" for c, v in zip(codes, values, strict=True)]
    data = ("\n".join(lines) + "\n").encode()
    table = read_csv(data)
    expected = plain_read(data, ",", ".")
    pd.testing.assert_frame_equal(table.frame, expected)
    assert table.frame["code"].dtype == object
    assert table.frame["value"].dtype == np.float64
    assert any("'code' 'NA' (1 value)" in note for note in table.notes)


@pytest.mark.parametrize(
    ("separator", "decimal"), [(".", ","), (",", "."), ("'", "."), (" ", ",")]
)
def test_thousands_parse_equal_storages(separator, decimal):
    # pyarrow's kernels parse columns stored in Arrow, pandas the others.
    texts = [f"1{separator}234{decimal}5", f"-12{separator}000", None, "7", "+3"]
    expected = np.array([1234.5, -12000.0, np.nan, 7.0, 3.0])
    for storage in ("pyarrow", "python"):
        series = pd.Series(texts, dtype=pd.StringDtype(storage, na_value=np.nan))
        numbers = _parse_numbers(series, separator, decimal)
        np.testing.assert_array_equal(numbers, expected)


@pytest.mark.parametrize("as_path", [False, True])
def test_row_limit_holds_when_estimate_low(tmp_path, as_path):
    # Long rows fill the sampled bytes, so the row estimate is far below the
    # limit and pandas parses without nrows; the limit must still hold.
    long_rows = "".join(f"{i},{'x' * 10_000}\n" for i in range(8))
    short_rows = "".join(f"{i},y\n" for i in range(5_000))
    content = ("id,text\n" + long_rows + short_rows).encode("utf-8")
    assert len(content) > SAMPLE_BYTES
    source = content
    if as_path:
        source = tmp_path / "rows.csv"
        source.write_bytes(content)
    with pytest.raises(CSVReadError, match="more than 1,000 data rows"):
        read_csv(source, ReadLimits(max_rows=1_000))
    assert read_csv(source, ReadLimits(max_rows=5_008)).frame.shape == (5_008, 2)


@pytest.mark.parametrize("max_rows", [4_999, 5_000, 5_001])
def test_row_limit_exact_with_row_cap(max_rows):
    content = ("a,b\n" + "".join(f"{i},{i}\n" for i in range(5_000))).encode()
    if max_rows < 5_000:
        with pytest.raises(CSVReadError, match=f"more than {max_rows:,} data rows"):
            read_csv(content, ReadLimits(max_rows=max_rows))
    else:
        assert len(read_csv(content, ReadLimits(max_rows=max_rows)).frame) == 5_000


def test_empty_rows_note_names_rows():
    content = b"a,b\n1,2\n,\n3,4\n,\n,\n" + b"".join(b"5,6\n" for _ in range(3))
    table = read_csv(content)
    note = next(n for n in table.notes if n.startswith("Skipped 3 rows"))
    assert "(data rows 2, 4, 5)" in note
    assert "numbered without them" in note
    assert len(table.frame) == 5
