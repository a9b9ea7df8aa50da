"""Numbers written with thousands separators in core.data.read_csv."""

import numpy as np
import pandas as pd
import pytest

from core.data import SAMPLE_BYTES, read_csv
from core.profiles import profile_columns


def read_text(text: str, encoding: str = "utf-8"):
    return read_csv(text.encode(encoding))


def note_with(table, text: str) -> str:
    matches = [note for note in table.notes if text in note]
    assert matches, table.notes
    return matches[0]


@pytest.mark.parametrize(
    ("text", "expected", "separator", "example"),
    [
        (
            "name;amount\na;1.234,56\nb;999,5\nc;12.345.678,00\n",
            [1234.56, 999.5, 12345678.0],
            "'.'",
            "'1.234,56' read as 1234.56",
        ),
        (
            'name,amount\na,"1,234.56"\nb,999.5\nc,"12,345,678"\n',
            [1234.56, 999.5, 12345678.0],
            "','",
            "'1,234.56' read as 1234.56",
        ),
        (
            "name;amount\na;1 234,56\nb;12 345\nc;-5\n",
            [1234.56, 12345.0, -5.0],
            "a space",
            "'1 234,56' read as 1234.56",
        ),
        (
            "name;amount\na;1\u202f234,56\nb;12\u202f345\n",
            [1234.56, 12345.0],
            "a narrow no-break space (U+202F)",
            "read as 1234.56",
        ),
        (
            "name,amount\na,1'234.56\nb,-12'345\nc,7.5\n",
            [1234.56, -12345.0, 7.5],
            "an apostrophe",
            '"1\'234.56" read as 1234.56',
        ),
    ],
    ids=["dot-decimal-comma", "comma-quoted", "space", "narrow-nbsp", "apostrophe"],
)
def test_thousands_read_as_numbers(text, expected, separator, example):
    table = read_text(text)
    amount = table.frame["amount"]
    assert amount.dtype == np.float64
    assert amount.tolist() == expected
    note = note_with(table, "thousands separator")
    assert "column 'amount'" in note
    assert separator in note
    assert example in note


def test_thousands_whole_numbers_int64():
    table = read_text("id;n\na;1.234\nb;12.345.678\nc;5\n")
    assert table.frame["n"].dtype == np.int64
    assert table.frame["n"].tolist() == [1234, 12345678, 5]


def test_thousands_decimal_detected_from_groups():
    # No value is a plain decimal number, so only the grouped values show
    # that the comma is the decimal mark.
    table = read_text("name;amount\na;1.234,56\nb;2.000,10\n")
    assert table.decimal == ","
    assert table.frame["amount"].tolist() == [1234.56, 2000.1]


def test_thousands_cp1252_no_break_space():
    data = "name;amount\na;1\u00a0234,5\nb;7,25\n".encode("cp1252")
    table = read_csv(data)
    assert table.encoding == "cp1252"
    assert table.frame["amount"].tolist() == [1234.5, 7.25]
    assert "a no-break space (U+00A0)" in note_with(table, "thousands separator")


def test_thousands_with_missing_values():
    table = read_text("name;amount\na;1.234,5\nb;NA\nc;\nd; \ne;2,5\n")
    amount = table.frame["amount"]
    assert amount.dtype == np.float64
    assert amount.tolist()[0] == 1234.5
    assert amount.isna().tolist() == [False, True, True, True, False]
    assert note_with(table, "markers were read as missing")


def test_thousands_ambiguous_comma_stays_text():
    # In a decimal-point file "1,234" may be 1234 or a decimal 1.234 from a
    # decimal-comma locale, and no value in the column decides it.
    table = read_text('name,amount\na,"1,234"\nb,"12,500"\nc,7\n')
    assert table.frame["amount"].tolist() == ["1,234", "12,500", "7"]
    note = note_with(table, "could be")
    assert "'1,234'" in note
    assert "1234" in note
    assert "1.234" in note
    assert "stays text" in note


def test_thousands_ambiguous_settled_by_groups():
    table = read_text('name,amount\na,"1,234"\nb,"1,234,567"\n')
    assert table.frame["amount"].tolist() == [1234, 1234567]


def test_thousands_ambiguous_dot_stays_text():
    table = read_text("name;amount;x\na;1.234;1,5\nb;12.500;2,5\nc;7.000;3\n")
    assert table.decimal == ","
    assert table.frame["amount"].tolist() == ["1.234", "12.500", "7.000"]
    assert "'1.234'" in note_with(table, "could be")


def test_thousands_space_never_ambiguous():
    table = read_text("name,amount\na,1 234\nb,12 500\n")
    assert table.frame["amount"].tolist() == [1234, 12500]


def test_thousands_comma_decimal_id_column():
    # The decimal comma is never a thousands separator, so "1,234" stays
    # 1.234 as pandas reads it, and a note points out the reading.
    table = read_text("id;x\n1,234;2,5\n5,678;3,5\n")
    assert table.frame["id"].tolist() == [1.234, 5.678]
    note = note_with(table, "three digits after the comma")
    assert "Column 'id'" in note
    assert "'1,234' is 1.234" in note
    assert not any("thousands separator were read" in n for n in table.notes)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_thousands_point_decimal_groups_noted(delimiter):
    # German Excel writes 1.250 for 1250; with no decimal comma anywhere the
    # file reads with a decimal point, so the note must say how it read.
    content = f"preis{delimiter}menge\n1.250{delimiter}3\n12.500{delimiter}4\n"
    table = read_text(content)
    assert table.frame["preis"].tolist() == [1.25, 12.5]
    note = note_with(table, "three digits after the point")
    assert "Column 'preis'" in note
    assert "'1.250' is 1.25" in note


def test_thousands_point_decimal_comma_file_quiet():
    table = read_text("price,n\n1.250,3\n12.500,4\n")
    assert table.frame["price"].tolist() == [1.25, 12.5]
    assert not any("three digits" in n for n in table.notes)


def test_thousands_point_decimals_vary_quiet():
    table = read_text("x;y\n1.25;3\n12.500;4\n")
    assert not any("three digits" in n for n in table.notes)


def test_thousands_mixed_separators_stay_text():
    table = read_text("name;amount\na;1.234,56\nb;1 234,56\nc;5\nd;2.000\n")
    assert table.frame["amount"].tolist() == ["1.234,56", "1 234,56", "5", "2.000"]
    note = note_with(table, "different thousands separators")
    assert "Column 'amount'" in note
    assert "'1.234,56', '2.000' use '.'" in note
    assert "'1 234,56' uses a space" in note


def test_thousands_date_column_untouched():
    table = read_text("day;amount\n01.02.2020;1.234,5\n03.04.2021;2,5\n")
    assert table.frame["day"].tolist() == ["01.02.2020", "03.04.2021"]
    assert table.frame["amount"].tolist() == [1234.5, 2.5]


@pytest.mark.parametrize(
    "values",
    [["1.234,5", "hello"], ["0.123,5", "1,5"], ["1.23,5", "2,5"], ["1.2345,5", "2,5"]],
    ids=["word", "leading-zero", "short-group", "long-group"],
)
def test_thousands_not_numbers_stay_text(values):
    text = "name;amount;x\n" + "".join(f"r;{v};1,5\n" for v in values)
    table = read_text(text)
    assert table.frame["amount"].tolist() == values
    assert not any("thousands" in note for note in table.notes)


def test_thousands_late_text_value_stays_text():
    # The sample proposes the column, and every value of the file decides.
    rows = "".join(f"r{i};1.{i % 1000:03d},5\n" for i in range(SAMPLE_BYTES // 12))
    table = read_text("name;amount\n" + rows + "last;unknown\n")
    assert table.frame["amount"].iloc[-1] == "unknown"
    assert not pd.api.types.is_numeric_dtype(table.frame["amount"].dtype)


def test_thousands_late_mixed_separator_noted():
    rows = "".join(f"r{i};1.{i % 1000:03d},5\n" for i in range(SAMPLE_BYTES // 12))
    table = read_text("name;amount\n" + rows + "last;2 000,5\n")
    note = note_with(table, "different thousands separators")
    assert "'2 000,5' uses a space" in note


@pytest.mark.parametrize(
    ("first", "number"), [("1.000,5", 1000.5), ("12,5", 12.5)], ids=["sample", "late"]
)
def test_thousands_across_parser_chunks(first, number):
    # With 2 columns pandas' C engine (low_memory=True) parses 262,144 rows
    # per chunk. When the first value is plain, only the last chunk holds
    # text, so the column has mixed chunks (object dtype).
    values = ["12,5"] * 300_000
    values[0] = first
    values[-1] = "1.234,5"
    table = read_text("amount;x\n" + "".join(f"{value};1,5\n" for value in values))
    amount = table.frame["amount"]
    assert amount.dtype == np.float64
    assert amount.iloc[0] == number
    assert amount.iloc[1] == 12.5
    assert amount.iloc[-1] == 1234.5
    assert "column 'amount'" in note_with(table, "thousands separator")


@pytest.mark.parametrize(
    "text",
    [
        "name;amount;y\na;1.234,56;0\nb;999,5;1\nc;12.345,00;0\n",
        'name,amount,y\na,"1,234.56",0\nb,999.5,1\nc,"12,345.00",0\n',
        "name,amount,y\na,1'234.56,0\nb,999.5,1\nc,12'345,0\n",
    ],
    ids=["dot", "comma", "apostrophe"],
)
def test_thousands_profile_numeric(text):
    table = read_text(text)
    profiles = {profile.name: profile for profile in profile_columns(table.frame)}
    assert profiles["amount"].kind == "numeric"
    assert profiles["amount"].dtype == "float64"
    assert profiles["amount"].suggested_encoding == "numeric"


def test_thousands_first_after_sample():
    rows = "".join("1234,x\n" for _ in range(20_000))
    table = read_text("a,b\n" + rows + '"1,234,567",y\n')
    assert table.frame["a"].dtype == np.int64
    assert table.frame["a"].iloc[-1] == 1_234_567
    assert note_with(table, "'1,234,567' read as 1234567")


def test_thousands_decimal_comma_after_sample():
    rows = "".join("1234;x\n" for _ in range(20_000))
    # The sample has no decimal comma, so the file reads with a point and
    # the late value cannot be a number: the column stays text, with a note.
    table = read_text("a;b\n" + rows + "1.234,5;y\n")
    assert table.frame["a"].iloc[-1] == "1.234,5"
    note = note_with(table, "has numbers in its first rows")
    assert "'1.234,5' (from data row 20,001)" in note
