"""Read a CSV file into a DataFrame and profile its columns.

`read_csv` turns the bytes of an uploaded file into a `CSVTable`. It
detects the text encoding, the delimiter and the decimal mark, and parses
the whole file once with pandas' C engine. All problems of one file are
reported together in one `CSVReadError`. `profile_columns` then describes
each column (its kind, missing and distinct values) and suggests an
encoding for it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd

from core.errors import CSVReadError

logger = logging.getLogger(__name__)

# Only this many leading bytes are decoded up front to detect the encoding,
# the delimiter and the decimal mark. pandas decodes the rest while parsing.
SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {
    ",": "comma-separated",
    ";": "semicolon-separated",
    "\t": "tab-separated",
    "|": "pipe-separated",
}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "cp1252": "Windows-1252 (cp1252)",
}
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
# The texts that pandas reads as booleans by default.
_BOOLEAN_TEXT = ("True", "TRUE", "true", "False", "FALSE", "false")
_NUMBER_TEXT = r"\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?\s*|[+-]?inf"

# Leading bytes of file types that people upload by mistake.
_MAGIC_BYTES = (
    (b"PK\x03\x04", "a ZIP archive, such as an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    # The UTF-32 byte order marks start like UTF-16's, so they come first.
    (b"\xff\xfe\x00\x00", "UTF-32 text"),
    (b"\x00\x00\xfe\xff", "UTF-32 text"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)
_EXPORT_HINT = (
    "Open it in the program that made it and export the table as CSV "
    "(in Excel: File > Save As > CSV UTF-8)."
)
_NO_HEADER = (
    "it contains only blank lines, so it has no header row. Choose a CSV "
    "file whose first line names the columns."
)
_EMPTY_HEADER = (
    "its first line contains only delimiters and spaces, so it names no "
    "columns. Put the column names in the first line."
)
_INT_TEXT = re.compile(r"[+-]?\d+")
_COMMA_DECIMAL_TEXT = re.compile(r"[+-]?\d*,\d+")
_POINT_DECIMAL_TEXT = re.compile(r"[+-]?\d*\.\d+")
# Scanning for rows with extra fields stops after this many are found.
_MAX_LONG_RECORDS = 1000
_PANDAS_BAD_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
# A header field that is a plain number, as in a data row.
_HEADER_NUMBER = {
    ".": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"),
    ",": re.compile(r"[+-]?(\d+(,\d*)?|,\d+)([eE][+-]?\d+)?"),
}
# Start of a document that is markup rather than CSV text.
_MARKUP_START = re.compile(
    r"<(\?xml|!doctype|html|head|body|table|svg|rss|feed)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class ReadLimits:
    """Size limits that `read_csv` enforces.

    Attributes
    ----------
    max_bytes : int
        Largest accepted file size in bytes.
    max_rows : int
        Largest accepted number of data rows.
    min_rows : int
        Smallest accepted number of data rows.
    """

    max_bytes: int = 200 * 1024 * 1024
    max_rows: int = 2_000_000
    min_rows: int = 2

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_rows", "min_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"ReadLimits.{name} must be an int >= 0, got {value!r}"
                )
        if self.min_rows > self.max_rows:
            raise ValueError(
                f"ReadLimits.min_rows ({self.min_rows}) must not exceed "
                f"max_rows ({self.max_rows})"
            )


@dataclass
class CSVTable:
    """A parsed CSV file and the settings that were detected to read it.

    Attributes
    ----------
    frame : pandas.DataFrame
        The data rows, one column per header field.
    encoding : str
        "utf-8", "utf-8-sig" (UTF-8 with a byte order mark) or "cp1252".
    delimiter : str
        One of ",", ";", tab and "|".
    decimal : str
        "." or ",".
    n_bytes : int
        Size of the file in bytes.
    notes : list of str
        Facts the user should see, such as renamed columns or values that
        pandas read as missing.
    """

    frame: pd.DataFrame
    encoding: str
    delimiter: str
    decimal: str
    n_bytes: int
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """Summarise the detected settings and the shape in one line."""
        n_rows, n_columns = self.frame.shape
        decimal = "decimal point" if self.decimal == "." else "decimal comma"
        return (
            f"{ENCODING_NAMES.get(self.encoding, self.encoding)}, "
            f"{DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}, "
            f"{decimal}, {_count(n_rows, 'row')} x {_count(n_columns, 'column')}"
        )


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


def read_csv(
    source: bytes | str | os.PathLike[str],
    limits: ReadLimits = ReadLimits(),
    name: str | None = None,
) -> CSVTable:
    """Parse a CSV file, detecting its encoding, delimiter and decimal mark.

    The text encoding is UTF-8 (a leading byte order mark is removed) or,
    when the bytes are not valid UTF-8, Windows-1252 (cp1252). The
    delimiter is one of ``, ; tab |`` and the decimal mark ``.`` or ``,``,
    both detected from the first 64 KB. Blank lines are skipped, whitespace
    around column names is removed and an empty column name becomes
    ``column_<n>`` for the n-th column. Values that pandas reads as missing
    by default (empty, NA, N/A, null, NaN, ...) stay missing, and each
    column where a written marker was read as missing gets a note.

    Parameters
    ----------
    source : bytes, str or os.PathLike
        The file contents, or the path of the file.
    limits : ReadLimits, optional
        Size limits for the file and its number of data rows.
    name : str, optional
        File name used in messages. Defaults to the path's base name.

    Returns
    -------
    CSVTable
        The frame and the detected settings.

    Raises
    ------
    CSVReadError
        If the file is missing, empty, not text, too large, has too few or
        too many data rows, has duplicate column names or rows with more
        fields than the header. One message lists all problems found.
    """
    data, label = _load_bytes(source, limits, name)
    problem = _check_bytes(data, limits)
    if problem:
        raise _read_error(label, [problem])

    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    sample, encoding, truncated = _decode_sample(data, start, label)
    problem = _markup_problem(sample, truncated)
    if problem:
        raise _read_error(label, [problem])
    dialect = _detect_dialect(sample, truncated)
    if not dialect.header:
        raise _read_error(label, [_NO_HEADER])
    if not any(name.strip() for name in dialect.header):
        raise _read_error(label, [_EMPTY_HEADER])
    problems = _header_problems(dialect.header)
    frame, encoding, dialect, problem = _parse(data, start, encoding, dialect, limits)
    if problem:
        problems.append(problem)
    notes = list(dialect.notes)
    if dialect.trailing_empty:
        notes.append(
            f"Data lines have more fields than the header's "
            f"{_count(len(dialect.header), 'column')}, and every extra field is "
            f"empty, as a {_mark(dialect.delimiter)} at the end of each line "
            "makes. The empty fields were ignored."
        )
    if encoding == "cp1252":
        notes.append(
            "The file is not valid UTF-8, so it was read as Windows-1252 "
            '(cp1252), the code page that Excel\'s "CSV (Comma delimited)" '
            "export uses on Western European Windows."
        )
    if frame is not None:
        frame = _clean_columns(frame, dialect.header, notes)
        frame = _apply_missing_markers(
            frame,
            lambda positions, blanks: _pandas_read(
                data, start, encoding, dialect, limits, positions, blanks
            ),
            notes,
        )
        frame = _drop_empty_rows(frame, notes)
        note = _single_column_note(frame)
        if note:
            notes.append(note)
        problems += _shape_problems(frame, limits)
    if problems:
        raise _read_error(label, problems)

    table = CSVTable(
        frame=frame,
        encoding=encoding,
        delimiter=dialect.delimiter,
        decimal=dialect.decimal,
        n_bytes=len(data),
        notes=notes,
    )
    logger.info("Read %s: %s", label, table.describe())
    return table


def _load_bytes(
    source: bytes | str | os.PathLike[str], limits: ReadLimits, name: str | None
) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "The CSV data"
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            "read_csv expects bytes or a file path, got "
            f"{type(source).__name__}; pass uploaded_file.getvalue() for an upload"
        )
    path = os.fspath(source)
    label = name or os.path.basename(path) or path
    try:
        size = os.path.getsize(path)
        if size > limits.max_bytes:
            raise _read_error(label, [_size_problem(size, limits)])
        with open(path, "rb") as handle:
            return handle.read(), label
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        raise CSVReadError(
            f"Cannot open {path!r}: {error.strerror}. Check the path and that "
            "it names a readable CSV file."
        ) from error


def _check_bytes(data: bytes, limits: ReadLimits) -> str | None:
    """Return the problem that stops the bytes from being read as text."""
    if not data:
        return (
            "the file is empty (0 bytes). Choose a CSV file with a header row "
            f"and at least {_count(limits.min_rows, 'data row')}."
        )
    if len(data) > limits.max_bytes:
        return _size_problem(len(data), limits)
    for magic, kind in _MAGIC_BYTES:
        if data.startswith(magic):
            return f"it looks like {kind}, not CSV text. {_EXPORT_HINT}"
    nul = data.find(b"\x00", 0, SAMPLE_BYTES)
    if nul >= 0:
        return (
            f"it contains a NUL byte at byte offset {nul}, so it is a binary "
            f"file or UTF-16 text, not CSV text. {_EXPORT_HINT}"
        )
    return None


def _markup_problem(sample: str, truncated: bool) -> str | None:
    """Return the problem when the text is HTML, XML or JSON, not CSV."""
    head = sample.lstrip()
    if _MARKUP_START.match(head):
        return f"it looks like an HTML or XML document, not CSV text. {_EXPORT_HINT}"
    if head[:1] not in ("{", "["):
        return None
    # The whole sample (a JSON document) or its first line (JSON Lines).
    texts = [head.splitlines()[0]] if truncated else [head, head.splitlines()[0]]
    if not any(_is_json_container(text) for text in texts):
        return None
    return (
        "it looks like JSON data, not CSV text. Convert it to a table first, "
        "for example with pandas.json_normalize(...).to_csv(...)."
    )


def _is_json_container(text: str) -> bool:
    try:
        return isinstance(json.loads(text), (dict, list))
    except ValueError:
        return False


def _size_problem(n_bytes: int, limits: ReadLimits) -> str:
    return (
        f"it is {_megabytes(n_bytes)}, larger than the limit of "
        f"{_megabytes(limits.max_bytes)}. Use a sample of the rows or a "
        "larger ReadLimits.max_bytes."
    )


def _decode_sample(data: bytes, start: int, label: str) -> tuple[str, str, bool]:
    """Decode the leading sample and choose the encoding of the whole file."""
    end = start + SAMPLE_BYTES
    chunk = data[start:end]
    truncated = len(data) > end
    if truncated:
        # A line break never sits inside a multi-byte UTF-8 character.
        cut = chunk.rfind(b"\n")
        if cut > 0:
            chunk = chunk[: cut + 1]
    utf8 = "utf-8-sig" if start else "utf-8"
    try:
        return _decode_prefix(chunk, "utf-8", truncated), utf8, truncated
    except UnicodeDecodeError:
        pass
    try:
        return chunk.decode("cp1252"), "cp1252", truncated
    except UnicodeDecodeError:
        raise _read_error(label, [_encoding_problem(data, start)]) from None


def _decode_prefix(chunk: bytes, encoding: str, truncated: bool) -> str:
    """Decode, tolerating a character cut off at the end of a truncated chunk."""
    try:
        return chunk.decode(encoding)
    except UnicodeDecodeError as error:
        if truncated and error.start >= len(chunk) - 3:
            return chunk[: error.start].decode(encoding)
        raise


def _encoding_problem(data: bytes, start: int) -> str:
    """Describe where UTF-8 and cp1252 decoding of the file fail."""
    parts = []
    for encoding, title in (("utf-8", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            data[start:].decode(encoding)
        except UnicodeDecodeError as error:
            offset = start + error.start
            line = _line_of(data, offset)
            parts.append(
                f"{title} fails at byte 0x{data[offset]:02x} "
                f"(byte offset {offset}, line {line})"
            )
    return (
        f"it is neither UTF-8 nor Windows-1252 text: {' and '.join(parts)}. "
        "Open it in a spreadsheet or text editor and save the file as CSV UTF-8."
    )


def _line_of(data: bytes, offset: int) -> int:
    """Return the 1-based line of a byte offset, for any line ending."""
    head = data[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return head.count(b"\n") + 1


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
    a comma decimal, and likewise for the decimal point.
    """
    if delimiter == "," or not records:
        return ".", []
    comma_columns, point_columns = [], []
    for index, column in enumerate(header):
        values = [
            fields[index].strip()
            for _, fields in records
            if index < len(fields) and fields[index].strip() not in ("", *NA_MARKERS)
        ]
        if _all_numbers(values, _COMMA_DECIMAL_TEXT):
            comma_columns.append(column.strip())
        elif _all_numbers(values, _POINT_DECIMAL_TEXT):
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


def _all_numbers(values: list[str], decimal_text: re.Pattern[str]) -> bool:
    decimals = [bool(decimal_text.fullmatch(value)) for value in values]
    if not any(decimals):
        return False
    return all(
        is_decimal or _INT_TEXT.fullmatch(value)
        for value, is_decimal in zip(values, decimals, strict=True)
    )


def _header_problems(header: list[str]) -> list[str]:
    positions: dict[str, list[int]] = {}
    for number, raw in enumerate(header, start=1):
        column = raw.strip()
        if column:
            positions.setdefault(column, []).append(number)
    duplicates = [
        f"{column!r} (columns {', '.join(map(str, numbers))})"
        for column, numbers in positions.items()
        if len(numbers) > 1
    ]
    if not duplicates:
        return []
    return [
        "column names must be unique, but the header repeats "
        f"{'; '.join(duplicates)}. Rename the repeated columns in the header row."
    ]


def _long_records(
    records: list[tuple[int, list[str]]], n_expected: int
) -> list[tuple[int, int]]:
    """Return (line, number of fields) of records longer than the header."""
    return [(line, len(fields)) for line, fields in records if len(fields) > n_expected]


def _scan_long_records(
    data: bytes, start: int, encoding: str, dialect: _Dialect
) -> tuple[list[tuple[int, int]], bool]:
    """Scan the file for records longer than the header.

    Returns (line, number of fields) of the records whose extra fields hold
    a value, up to a cap, and whether any record has extra fields that are
    all empty.
    """
    # Undecodable bytes cannot change the field count, so they are replaced.
    text = data[start:].decode(_codec(encoding), errors="replace")
    n_expected = len(dialect.header)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter)
    filled = []
    any_empty = False
    line = 1
    try:
        if dialect.has_header:
            next(reader, None)
            line = reader.line_num + 1
        for fields in reader:
            if len(fields) > n_expected:
                if any(value.strip() for value in fields[n_expected:]):
                    filled.append((line, len(fields)))
                    if len(filled) > _MAX_LONG_RECORDS:
                        break
                else:
                    any_empty = True
            line = reader.line_num + 1
    except csv.Error:
        pass
    return filled, any_empty


def _long_records_problem(
    bad: list[tuple[int, int]], n_expected: int, delimiter: str
) -> str:
    listed = ", ".join(f"line {line} has {n}" for line, n in bad[:5])
    more = ""
    if len(bad) > _MAX_LONG_RECORDS:
        more = f" (and more than {_MAX_LONG_RECORDS - 5} other lines)"
    elif len(bad) > 5:
        more = f" (and {len(bad) - 5} other lines)"
    mark = _mark(delimiter)
    return (
        f"the header has {n_expected} fields, but {listed}{more}. Put values "
        f"that contain {mark} in double quotes, or remove the extra {mark} "
        "from those lines."
    )


def _mark(delimiter: str) -> str:
    return "a tab" if delimiter == "\t" else repr(delimiter)


_Parsed = tuple[pd.DataFrame | None, str, _Dialect, str | None]


def _parse(
    data: bytes, start: int, encoding: str, dialect: _Dialect, limits: ReadLimits
) -> _Parsed:
    """Parse the whole file with pandas.

    Returns the frame (None on failure), the encoding used, the dialect
    (marked when lines end in empty extra fields) and the problem that
    stopped parsing. The sample may be valid UTF-8 while a later byte is
    not, so a decoding failure falls back to cp1252 and parses again.
    """
    n_expected = len(dialect.header)
    if not dialect.trailing_empty and _long_records(dialect.records, n_expected):
        # Checked before pandas runs, because pandas silently makes the first
        # column the index when the first data row has one extra field.
        filled, any_empty = _scan_long_records(data, start, encoding, dialect)
        if filled:
            problem = _long_records_problem(filled, n_expected, dialect.delimiter)
            return None, encoding, dialect, problem
        dialect = replace(dialect, trailing_empty=any_empty)
    try:
        frame = _pandas_read(data, start, encoding, dialect, limits)
        return frame, encoding, dialect, None
    except UnicodeDecodeError:
        if encoding == "cp1252":
            return None, encoding, dialect, _encoding_problem(data, start)
        logger.warning("The file is not valid UTF-8 after the first 64 KB")
    except pd.errors.EmptyDataError:
        return None, encoding, dialect, _NO_HEADER
    except pd.errors.ParserError as error:
        filled, any_empty = [], False
        if _PANDAS_BAD_LINE.search(str(error)):
            filled, any_empty = _scan_long_records(data, start, encoding, dialect)
        if any_empty and not filled and not dialect.trailing_empty:
            # Lines after the sample end in empty extra fields.
            trailing = replace(dialect, trailing_empty=True)
            return _parse(data, start, encoding, trailing, limits)
        problem = _parser_problem(error, filled, dialect)
        return None, encoding, dialect, problem
    return _parse(data, start, "cp1252", dialect, limits)


def _parser_problem(
    error: pd.errors.ParserError, filled: list[tuple[int, int]], dialect: _Dialect
) -> str:
    match = _PANDAS_BAD_LINE.search(str(error))
    if not match:
        return (
            f"pandas cannot parse it ({error}). Check that every double quote "
            "that opens a value also closes it."
        )
    if not filled:
        # csv.reader split the lines differently, so pandas' count is used.
        expected, line, seen = (int(group) for group in match.groups())
        return _long_records_problem([(line, seen)], expected, dialect.delimiter)
    return _long_records_problem(filled, len(dialect.header), dialect.delimiter)


def _pandas_read(
    data: bytes,
    start: int,
    encoding: str,
    dialect: _Dialect,
    limits: ReadLimits,
    positions: list[int] | None = None,
    blanks: list[str] | None = None,
) -> pd.DataFrame:
    """Parse the file, or the columns at positions with default markers.

    `blanks` lists fields of only whitespace that count as missing too.
    """
    buffer = io.BytesIO(data)
    buffer.seek(start)
    usecols = positions
    if dialect.trailing_empty and usecols is None:
        usecols = list(range(len(dialect.header)))
    # NOTE: catch_warnings swaps the process-wide filter list (Python 3.11),
    # so another thread's DtypeWarning during this parse is hidden too.
    with warnings.catch_warnings():
        # Columns whose type differs between the C engine's chunks are
        # described by profile_columns, so pandas' DtypeWarning is noise.
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        return pd.read_csv(
            buffer,
            sep=dialect.delimiter,
            decimal=dialect.decimal,
            encoding=_codec(encoding),
            engine="c",
            # Markers such as "NA" are replaced after parsing, so that each
            # column where one occurs can be named in a note.
            keep_default_na=positions is not None,
            na_values=(blanks or None) if positions is not None else [""],
            header=0 if dialect.has_header else None,
            # Without a header row, `header` contains the names column_1, ...
            names=None if dialect.has_header else dialect.header,
            usecols=usecols,
            # With extra fields past the header, pandas would otherwise turn
            # the first column into the index.
            index_col=False if dialect.trailing_empty else None,
            skip_blank_lines=True,
            # One row past the limit is enough to know the limit is exceeded.
            nrows=limits.max_rows + 1,
        )


def _codec(encoding: str) -> str:
    """Return the codec for the bytes after a byte order mark was skipped."""
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _clean_columns(
    frame: pd.DataFrame, header: list[str], notes: list[str]
) -> pd.DataFrame:
    """Strip column names and name empty ones column_<n>."""
    if len(header) == frame.shape[1]:
        names = [raw.strip() for raw in header]
    else:
        names = [str(column).strip() for column in frame.columns]
        names = ["" if name.startswith("Unnamed: ") else name for name in names]
    renamed = []
    for number, column in enumerate(names, start=1):
        if column:
            continue
        new_name = f"column_{number}"
        while new_name in names:
            new_name += "_"
        names[number - 1] = new_name
        renamed.append(new_name)
    if renamed:
        notes.append(
            "Column names that are empty in the header row were filled in by "
            f"position: {_names(renamed)}."
        )
    frame.columns = names
    return frame


def _apply_missing_markers(
    frame: pd.DataFrame,
    reparse: Callable[[list[int], list[str]], pd.DataFrame],
    notes: list[str],
) -> pd.DataFrame:
    """Read missing markers and blank fields as missing, noting each column.

    The frame was parsed with only empty fields as missing, so a marker
    keeps its column as text. The markers are pandas' defaults (NA, null,
    ...) and fields of only spaces or tabs, which pandas keeps as text. A
    text column with markers has them replaced by NaN. A column that looks
    like numbers or booleans apart from its markers is parsed again with
    pandas' defaults plus those blank fields, so that its dtype is the one
    pandas gives.
    """
    found, blank_columns, numeric_positions = [], [], []
    blanks: set[str] = set()
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            continue
        is_marker = series.isin(NA_MARKERS)
        is_blank = _blank_fields(series)
        if not is_marker.any() and not is_blank.any():
            continue
        if is_marker.any():
            counts = series[is_marker].value_counts()
            written = ", ".join(
                f"{value!r} ({_count(int(count), 'value')})"
                for value, count in counts.items()
            )
            found.append(f"column {column!r} {written}")
        if is_blank.any():
            blank_columns.append(f"{column!r} ({_count(int(is_blank.sum()), 'value')})")
            blanks.update(series[is_blank].unique().tolist())
        remaining = series.where(~(is_marker | is_blank))
        if _may_be_numbers(remaining):
            numeric_positions.append(position)
        else:
            frame.isetitem(position, remaining)
    if numeric_positions:
        parsed = reparse(numeric_positions, sorted(blanks))
        for index, position in enumerate(numeric_positions):
            frame.isetitem(position, parsed.iloc[:, index])
    if found:
        notes.append(
            "These markers were read as missing values, as pandas does by "
            f"default: {'; '.join(found)}. If a marker is a real category, "
            "such as a class called 'NA', read the column with "
            "keep_default_na=False to keep it."
        )
    if blank_columns:
        noun = "column" if len(blank_columns) == 1 else "columns"
        notes.append(
            "Fields that contain only whitespace were read as missing values "
            f"in {noun} {', '.join(blank_columns)}."
        )
    return frame


def _blank_fields(series: pd.Series) -> pd.Series:
    """Mark the text fields that contain only whitespace."""
    if series.dtype == object:
        # Mixed chunks: only str values can be blank.
        is_text = series.map(lambda value: isinstance(value, str), na_action="ignore")
        text = series.where(is_text.fillna(False).astype(bool))
    else:
        text = series
    return (text.str.strip() == "").fillna(False).astype(bool)


def _may_be_numbers(series: pd.Series) -> bool:
    """Tell whether pandas could read the non-missing values as numbers."""
    if series.dtype == object:
        # The C engine's chunks disagreed on the type, so some chunks held
        # numbers or booleans.
        return True
    head = series.dropna().head(200)
    return bool(head.isin(_BOOLEAN_TEXT).all()) or bool(
        head.str.fullmatch(_NUMBER_TEXT).all()
    )


def _drop_empty_rows(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Drop rows where every field is empty, such as ",,," lines."""
    if frame.empty:
        return frame
    # Narrow the candidates column by column, so that a frame without such
    # rows costs about one isna pass over a single column.
    candidates = frame.index
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if len(candidates) < len(frame):
            values = values.loc[candidates]
        candidates = candidates[values.isna().to_numpy()]
        if candidates.empty:
            return frame
    dropped = candidates
    notes.append(
        f"Skipped {_count(len(dropped), 'row')} in which every field is empty."
    )
    return frame.drop(index=dropped).reset_index(drop=True)


def _single_column_note(frame: pd.DataFrame) -> str | None:
    """Point out a lone column whose name suggests another delimiter."""
    if frame.shape[1] != 1:
        return None
    column = str(frame.columns[0])
    if ";" not in column and "\t" not in column:
        return None
    mark = "';'" if ";" in column else "a tab"
    return (
        f"Only 1 column was found, named {column!r}. The name contains {mark}, "
        f"so the file may use {mark} as its delimiter, with the header in "
        "double quotes. Remove those quotes to read the columns separately."
    )


def _shape_problems(frame: pd.DataFrame, limits: ReadLimits) -> list[str]:
    problems = []
    n_rows, n_columns = frame.shape
    columns = [str(column) for column in frame.columns]
    if n_columns and n_rows == 0:
        problems.append(
            f"it has columns {', '.join(columns)} but no data rows. Add at "
            f"least {_count(limits.min_rows, 'data row')} below the header."
        )
    elif n_rows > limits.max_rows:
        problems.append(
            f"it has more than {limits.max_rows:,} data rows, the limit. Use a "
            "sample of the rows or a larger ReadLimits.max_rows."
        )
    elif n_rows < limits.min_rows:
        problems.append(
            f"it has only {_count(n_rows, 'data row')}, but at least "
            f"{limits.min_rows} are needed. Add more rows."
        )
    return problems


def _read_error(label: str, problems: list[str]) -> CSVReadError:
    if len(problems) == 1:
        return CSVReadError(f"{label} cannot be used: {problems[0]}")
    items = "\n".join(f"- {problem[0].upper()}{problem[1:]}" for problem in problems)
    return CSVReadError(
        f"{label} cannot be used, for {len(problems)} reasons:\n{items}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _megabytes(n_bytes: int) -> str:
    megabytes = n_bytes / (1024 * 1024)
    if megabytes < 0.1:
        return _count(n_bytes, "byte")
    return f"{megabytes:.1f} MB"


def _columns(columns: list[str]) -> str:
    noun = "column" if len(columns) == 1 else "columns"
    return f"{noun} {_names(columns)}"


def _names(columns: list[str]) -> str:
    return ", ".join(repr(column) for column in columns)
