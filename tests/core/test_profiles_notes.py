"""Profile notes on number-like text columns agree with read_csv's notes."""

import pandas as pd
import pytest

from core.data import read_csv
from core.profiles import profile_columns


def profile_of(table, column, delimiter=None):
    profiles = profile_columns(table.frame, delimiter=delimiter)
    return next(profile for profile in profiles if profile.name == column)


def reader_note(table, column):
    return next(note for note in table.notes if f"Column {column!r}" in note)


def test_ambiguous_groups_repeat_reader_note():
    table = read_csv(b'id,amount\n1,"1,234"\n2,"5,678"\n3,"9,100"\n')
    profile = profile_of(table, "amount")
    note = reader_note(table, "amount")
    assert profile.note == "The column" + note.removeprefix("Column 'amount'")
    assert "decimal comma" not in profile.note
    assert "';'" not in profile.note
    assert profile.kind == "categorical"


def test_mixed_separators_repeat_reader_note():
    table = read_csv(b"id;amount\n1;1.234,56\n2;1 234,56\n3;12\n4;13\n5;14\n")
    profile = profile_of(table, "amount")
    note = reader_note(table, "amount")
    assert profile.note == "The column" + note.removeprefix("Column 'amount'")
    assert "Mostly numbers" not in profile.note
    assert "are not" not in profile.note


@pytest.mark.parametrize("delimiter", [None, ","])
def test_quoted_thousands_get_no_delimiter_advice(delimiter):
    # Saved with ';', this column would be read as 2.698 with no note.
    table = read_csv(b'id,amount\n1,"2,698"\n2,950\n3,"1,500"\n')
    profile = profile_of(table, "amount", delimiter)
    assert "';'" not in profile.note
    assert "'2,698'" in profile.note
    assert "could be 2698" in profile.note
    assert "or 2.698" in profile.note


def test_advice_followed_reads_right_numbers():
    # A value such as "1,5" settles that the comma is a decimal mark, so
    # the advice to save the file with ';' is given, and following it
    # reads the numbers the comma file meant.
    comma = read_csv(b'id,price\n1,"1,5"\n2,"2,698"\n3,4\n')
    profile = profile_of(comma, "price", ",")
    assert "save the file with ';' as delimiter" in profile.note
    semicolon = read_csv(b"id;price\n1;1,5\n2;2,698\n3;4\n")
    assert semicolon.frame["price"].tolist() == [1.5, 2.698, 4.0]


@pytest.mark.parametrize("delimiter", [None, ";"])
def test_semicolon_file_not_told_to_use_semicolon(delimiter):
    table = read_csv(b"x;amount\n0,1;2.007\n0,2;3.5\n0,3;4.25\n")
    assert table.delimiter == ";"
    profile = profile_of(table, "x", delimiter)
    assert "save the file" not in profile.note
    assert "';'" not in profile.note
    assert "'0,1'" in profile.note


def test_semicolon_file_told_one_decimal_mark():
    table = read_csv(b"x;amount\n0,1;2.007\n0,2;3.5\n0,3;4.25\n")
    profile = profile_of(table, "x", table.delimiter)
    assert "Use one decimal mark in the whole file" in profile.note
    assert "Use one decimal mark in the whole file" in table.notes[0]


def test_ambiguous_point_groups_not_called_numeric():
    # A decimal-comma file: "2.007" may be 2007, so numeric is not
    # suggested, because numeric encoding would read 2.007.
    table = read_csv(b"x;amount\n0,1;2.007\n0,2;3.010\n0,3;4.250\n")
    assert table.decimal == ","
    profile = profile_of(table, "amount", ";")
    assert profile.suggested_encoding != "numeric"
    assert "could be 2007" in profile.note
    assert "'2.007'" in reader_note(table, "amount")


def test_comma_file_gets_semicolon_advice():
    table = read_csv(b'price,label\n"1,5",a\n"2,25",b\n"3",a\n')
    profile = profile_of(table, "price", ",")
    assert "save the file with ';' as delimiter" in profile.note
    assert "'1,5'" in profile.note


def test_unknown_delimiter_gets_plain_advice():
    table = read_csv(b'price,label\n"1,5",a\n"2,25",b\n"3",a\n')
    profile = profile_of(table, "price")
    assert "Write them with a decimal point to read them" in profile.note
    assert "';'" not in profile.note


def test_mixed_note_skips_grouped_numbers():
    values = ["12", "1.234,56", "15", "n/k", "20", "31"]
    (profile,) = profile_columns(pd.DataFrame({"amount": values}))
    assert "'n/k'" in profile.note
    assert "1.234,56" not in profile.note
