"""Detect the dialect of a CSV sample: delimiter, decimal mark and header.

`core.data.read_csv` decodes the first 64 KB of a file and hands the text
to `_detect_dialect`, which splits it with `csv.reader` to choose the
delimiter, the decimal mark and whether the first row names the columns.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from core.csv_numbers import _sample_grouping

# Only this many leading bytes are decoded up front to detect the encoding,
# the delimiter and the decimal mark. pandas decodes the rest while parsing.
SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
# The strings that pandas.read_csv reads as missing by default, without the
# empty string: pandas 3.1 keeps them in pandas._libs.parsers.STR_NA_VALUES,
# and a test compares the two.
NA_MARKERS = (
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)
_INT_TEXT = re.compile(r"[+-]?\d+")
_COMMA_DECIMAL_TEXT = re.compile(r"[+-]?\d*,\d+")
_POINT_DECIMAL_TEXT = re.compile(r"[+-]?\d*\.\d+")
_MISSING_TEXT = frozenset(("", *NA_MARKERS))
# An integer, or a number that "." may split into thousands groups.
_POINT_GROUPS = re.compile(r"[+-]?(\d+|[1-9]\d{0,2}(\.\d{3})+)")
# A header field that is a plain number, as in a data row.
_HEADER_NUMBER = {
    ".": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"),
    ",": re.compile(r"[+-]?(\d+(,\d*)?|,\d+)([eE][+-]?\d+)?"),
}


@dataclass(frozen=True)
class _Dialect:
    """Delimiter and decimal mark detected from the leading sample."""

    delimiter: str
    decimal: str
    header: list[str]
    # Data records of the sample with their 1-based physical line numbers.
    records: list[tuple[int, list[str]]]
    notes: list[str]
    # False when the first row is data, so `header` contains position names.
    has_header: bool = True
    # True when data lines carry empty fields past the header's last column,
    # as a delimiter at the end of each line makes. Those fields are dropped.
    trailing_empty: bool = False


def _detect_dialect(sample: str, truncated: bool) -> _Dialect:
    delimiter = _detect_delimiter(sample, truncated)
    records = _sample_records(sample, delimiter, truncated)
    header = records[0][1] if records else []
    data_records = records[1:]
    decimal, notes = _detect_decimal(header, data_records, delimiter)
    if header and _header_is_data(header, data_records, decimal):
        names = [f"column_{number}" for number in range(1, len(header) + 1)]
        shown = ", ".join(name.strip() for name in header[:5])
        shown += ", ..." if len(header) > 5 else ""
        named = f"the column is named {names[0]!r}"
        if len(names) > 1:
            named = f"the columns are named {names[0]!r} to {names[-1]!r}"
        notes.append(
            "The first row looks like data, not column names: its fields "
            f"({shown}) are numbers or values that occur in their columns. It "
            "is read as the first data row, and "
            f"{named}. Add a header row to give the columns names."
        )
        return _Dialect(delimiter, decimal, names, records, notes, has_header=False)
    return _Dialect(delimiter, decimal, header, data_records, notes)


def _header_is_data(
    header: list[str], records: list[tuple[int, list[str]]], decimal: str
) -> bool:
    """Tell whether the header row reads like a data row.

    That is when some header field is a number and every other one is a
    value of its own column further down, such as "yes" in a label column.
    Column names are neither.
    """
    number = _HEADER_NUMBER[decimal]
    names = [name.strip() for name in header]
    is_number = [bool(number.fullmatch(name)) for name in names]
    if not any(is_number):
        return False
    for index, name in enumerate(names):
        if is_number[index]:
            continue
        column = {f[index].strip() for _, f in records if index < len(f)}
        if not name or name not in column:
            return False
    return True


def _detect_delimiter(sample: str, truncated: bool) -> str:
    """Pick the delimiter that splits the sample rows most consistently.

    csv.Sniffer proposes a delimiter. It is kept unless another candidate
    splits the header into 2 or more fields and more of the leading rows
    into that same number of fields.
    """
    head = sample[: SAMPLE_BYTES // 4]
    try:
        sniffed = csv.Sniffer().sniff(head, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    scores = {}
    for candidate in DELIMITERS:
        lengths = [
            len(fields)
            for _, fields in _sample_records(sample, candidate, truncated, 50)
        ]
        if lengths and lengths[0] >= 2:
            rows = lengths[1:] or lengths
            share = sum(n == lengths[0] for n in rows) / len(rows)
            scores[candidate] = (share, lengths[0])
    if not scores:
        return ","
    best = max(scores, key=lambda candidate: scores[candidate])
    if sniffed in scores and scores[sniffed][0] >= scores[best][0]:
        return sniffed
    return best


def _sample_records(
    text: str, delimiter: str, truncated: bool, max_records: int | None = None
) -> list[tuple[int, list[str]]]:
    """Split text into non-blank records, each with its first line number."""
    # newline="" hands csv.reader the line endings, so "\r" alone ends a line.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    line = 1
    try:
        for fields in reader:
            # pandas skips lines that hold only whitespace, as blank lines.
            if len(fields) > 1 or (fields and fields[0].strip()):
                records.append((line, fields))
            line = reader.line_num + 1
            if max_records is not None and len(records) >= max_records:
                return records
    except csv.Error:
        # An unclosed quote. pandas reports it while parsing.
        pass
    if truncated and records:
        # The sample ends at a line break that may sit inside a quoted value.
        records.pop()
    return records


def _detect_decimal(
    header: list[str], records: list[tuple[int, list[str]]], delimiter: str
) -> tuple[str, list[str]]:
    """Choose "," as decimal mark when numbers are written like 41250,50.

    A comma cannot be a decimal mark in a comma-separated file, so only the
    other delimiters are checked. Each column counts for the decimal comma
    when all its values are integers or comma decimals, and at least one is
    a comma decimal, and likewise for the decimal point. Grouped numbers
    such as 1.234,56 or 1,234.5 count for their decimal mark. A column of
    values like 1.234 or 12.500 could be thousands groups, so it does not
    count for the point when another column uses a decimal comma.
    """
    if delimiter == "," or not records:
        return ".", []
    comma_columns, point_columns = [], []
    for index, column in enumerate(header):
        values = [
            fields[index].strip()
            for _, fields in records
            if index < len(fields) and fields[index].strip() not in _MISSING_TEXT
        ]
        if _all_numbers(values, _COMMA_DECIMAL_TEXT):
            comma_columns.append(column.strip())
        elif _all_numbers(values, _POINT_DECIMAL_TEXT):
            if not all(_POINT_GROUPS.fullmatch(value) for value in values):
                point_columns.append(column.strip())
        else:
            grouped = _grouped_decimal(values)
            if grouped == ",":
                comma_columns.append(column.strip())
            elif grouped == ".":
                point_columns.append(column.strip())
    if not comma_columns:
        return ".", []
    if not point_columns:
        return ",", []
    note = (
        f"Values in {_columns(comma_columns)} use a decimal comma but values in "
        f"{_columns(point_columns)} use a decimal point. The file is read with "
        "a decimal point, so the decimal-comma values stay text. Use one "
        "decimal mark in the whole file to read them as numbers."
    )
    return ".", [note]


def _grouped_decimal(values: list[str]) -> str | None:
    """Return the decimal mark that numbers like 1.234,56 or 1'234.5 imply."""
    comma = _sample_grouping(values, ",")
    point = _sample_grouping(values, ".")
    if comma is not None and point is None and (comma.has_decimals or comma.settled):
        return ","
    if point is not None and comma is None and (point.has_decimals or point.settled):
        return "."
    return None


def _sample_values(records: list[tuple[int, list[str]]], position: int) -> list[str]:
    """Return the distinct present values of one column in the sample."""
    values: dict[str, None] = {}
    for _, fields in records:
        if position < len(fields):
            value = fields[position].strip()
            if value and value not in NA_MARKERS:
                values[value] = None
    return list(values)


def _all_numbers(values: list[str], decimal_text: re.Pattern[str]) -> bool:
    decimals = [bool(decimal_text.fullmatch(value)) for value in values]
    if not any(decimals):
        return False
    return all(
        is_decimal or _INT_TEXT.fullmatch(value)
        for value, is_decimal in zip(values, decimals, strict=True)
    )


def _mark(delimiter: str) -> str:
    return "a tab" if delimiter == "\t" else repr(delimiter)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _columns(columns: list[str]) -> str:
    noun = "column" if len(columns) == 1 else "columns"
    return f"{noun} {_names(columns)}"


def _names(columns: list[str]) -> str:
    return ", ".join(repr(column) for column in columns)
